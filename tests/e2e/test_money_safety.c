/* test_money_safety.c - the holes of SPEC §16 as tests, through nginx and
 * paypal-sim: a case changes in one place (case_ops.c), so no race, no
 * stray PayPal redirect and no leftover authorization charges a customer
 * who is not on the advanced path.  Each race runs as a loop of parallel
 * requests, then `rmactl ledger verify` must be clean.
 *
 * The simulator's clock is shared: the tests take the harness's lock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness.h"

#define DAY (24L * 3600)
#define RACES 20

static char *
sql(const char *fmt, ...)
{
    char q[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    char *out = harness_runf(false, "%s '%s' -XAtq -c \"%s\"",
                             harness_env("RMA_TEST_PSQL"),
                             harness_env("RMA_TEST_ADMIN_URL"), q);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static long
sql_long(const char *fmt, const char *arg)
{
    char *v = sql(fmt, arg);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

static void
run_jobs_at(time_t t)
{
    char now[32];
    harness_iso(t, now);
    char *out = harness_runf(false, "rmactl run-jobs --now %s 2>&1", now);
    free(out);
}

static void
ledger_verify_clean(void)
{
    char *out;
    int rc = harness_run("rmactl ledger verify 2>&1", &out);
    cr_assert_eq(rc, 0, "ledger verify: %s", out);
    free(out);
}

struct world {
    char *agent, *supervisor, *warehouse;
    char *email, *cookie;
};

static void
world_init(struct world *w)
{
    harness_sim_lock();
    harness_sim_clock(time(NULL));
    memset(w, 0, sizeof(*w));
    char *n = harness_unique_email("agent");
    w->agent = harness_staff_token("agent", n);
    free(n);
    n = harness_unique_email("supervisor");
    w->supervisor = harness_staff_token("supervisor", n);
    free(n);
    n = harness_unique_email("warehouse");
    w->warehouse = harness_staff_token("warehouse", n);
    free(n);
    w->email = harness_unique_email("safety");
}

static void
world_free(struct world *w)
{
    harness_sim_clock(time(NULL));
    free(w->agent);
    free(w->supervisor);
    free(w->warehouse);
    free(w->email);
    free(w->cookie);
}

static struct http_result
customer(const char *cookie, const char *method, const char *path,
         const char *body)
{
    return harness_http(method, path, harness_portal_headers(cookie, NULL),
                        body, body ? strlen(body) : 0);
}

static struct http_result
staff(const char *token, const char *path, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http("POST", path, h, body, strlen(body));
}

static long
post_status(const char *cookie, const char *number, const char *what,
            const char *body)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/%s", number, what);
    struct http_result r = customer(cookie, "POST", path, body);
    long status = r.status;
    harness_http_free(&r);
    return status;
}

/* A confirmed replacement with the advanced method chosen:
 * awaiting_preauth.  Returns its number (owned). */
static char *
awaiting_preauth(struct world *w)
{
    char *number = harness_create_case(w->agent, w->email, "replacement", true);
    if (w->cookie == NULL)
        w->cookie = harness_login(w->email);
    cr_assert_eq(post_status(w->cookie, number, "agree", NULL), 200);
    cr_assert_eq(post_status(w->cookie, number, "replacement-method",
                             "{\"method\":\"advanced\"}"),
                 200);
    return number;
}

/* The customer accepts the agreement; the PayPal order id (owned). */
static char *
preauthorize(struct world *w, const char *number)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    struct http_result r =
        customer(w->cookie, "POST", path,
                 "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}");
    cr_assert_eq(r.status, 201, "preauthorization: %s", r.body);
    char *order =
        strdup(json_string_value(json_object_get(r.json, "order_id")));
    harness_http_free(&r);
    return order;
}

static void
approve_at_paypal(const char *order)
{
    char sp[256];
    snprintf(sp, sizeof(sp), "/sim/orders/%s/approve", order);
    harness_sim_ok("POST", sp, "{}");
}

/* PayPal sends the buyer back; the ?paypal= outcome (owned). */
static char *
paypal_redirect(const char *cookie, const char *which, const char *order)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/paypal/%s?token=%s&PayerID=X1", which,
             order);
    struct http_result r = customer(cookie, "GET", path, NULL);
    cr_assert_eq(r.status, 303, "%s: %s", which, r.body);
    char loc[512];
    cr_assert_not_null(harness_header(&r, "Location", loc, sizeof(loc)));
    harness_http_free(&r);
    const char *o = strstr(loc, "paypal=");
    cr_assert_not_null(o, "%s", loc);
    return strdup(o + 7);
}

/* Holds of the case that keep money: authorized with no release asked
 * for, or captured. */
static long
live_money(const char *number)
{
    return sql_long("SELECT count(*) FROM hold h JOIN rma r ON r.id = h.rma_id"
                    " WHERE r.number = '%s' AND ((h.status = 'authorized' AND"
                    " h.void_requested_at IS NULL) OR h.status = 'captured')",
                    number);
}

static long
captured(const char *number)
{
    return sql_long("SELECT count(*) FROM hold h JOIN rma r ON r.id = h.rma_id"
                    " WHERE r.number = '%s' AND h.status = 'captured'",
                    number);
}

static char *
case_status(const char *number)
{
    return sql("SELECT status FROM rma WHERE number = '%s'", number);
}

/* ---- two requests at once ---- */

struct call {
    void (*fn)(struct call *);
    struct world *w;
    const char *number, *order;
    long status;
};

static void *
call_thread(void *arg)
{
    struct call *c = arg;
    c->fn(c);
    return NULL;
}

static void
at_once(struct call *a, struct call *b)
{
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, call_thread, a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, call_thread, b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
}

static void
choose_standard(struct call *c)
{
    c->status = post_status(c->w->cookie, c->number, "replacement-method",
                            "{\"method\":\"standard\"}");
}

static void
return_from_paypal(struct call *c)
{
    free(paypal_redirect(c->w->cookie, "return", c->order));
    c->status = 303;
}

static void
staff_cancel(struct call *c)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/cancel", c->number);
    struct http_result r =
        staff(c->w->agent, path, "{\"reason\":\"customer asked by phone\"}");
    c->status = r.status;
    harness_http_free(&r);
}

static void
preauthorize_and_return(struct call *c)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", c->number);
    struct http_result r =
        customer(c->w->cookie, "POST", path,
                 "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}");
    c->status = r.status;
    const char *order =
        r.status == 201 ? json_string_value(json_object_get(r.json, "order_id"))
                        : NULL;
    if (order != NULL) {
        approve_at_paypal(order);
        free(paypal_redirect(c->w->cookie, "return", order));
    }
    harness_http_free(&r);
}

static void
supervisor_action(struct call *c)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/%s", c->number,
             c->order);
    struct http_result r =
        staff(c->w->supervisor, path, "{\"reason\":\"decided by phone\"}");
    c->status = r.status;
    harness_http_free(&r);
}

/* ---- the holes ---- */

Test(money_safety, standard_chosen_while_awaiting_approval_is_never_charged)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    char *order = preauthorize(&w, number);
    approve_at_paypal(order);
    /* The customer changes their mind before PayPal sends them back. */
    cr_assert_eq(post_status(w.cookie, number, "replacement-method",
                             "{\"method\":\"standard\"}"),
                 200);
    char *outcome = paypal_redirect(w.cookie, "return", order);
    cr_assert_str_eq(outcome, "expired");
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_return");
    cr_assert_eq(live_money(number), 0, "no hold keeps money");
    /* Past any deadline, the job charges nothing. */
    run_jobs_at(time(NULL) + 40 * DAY);
    cr_assert_eq(captured(number), 0, "a standard replacement was charged");
    ledger_verify_clean();
    free(st);
    free(outcome);
    free(order);
    free(number);
    world_free(&w);
}

Test(money_safety, standard_racing_paypal_return_never_keeps_a_hold,
     .timeout = 600)
{
    struct world w;
    world_init(&w);
    int kept = 0;
    for (int i = 0; i < RACES; i++) {
        char *number = awaiting_preauth(&w);
        char *order = preauthorize(&w, number);
        approve_at_paypal(order);
        struct call a = {return_from_paypal, &w, number, order, 0};
        struct call b = {choose_standard, &w, number, order, 0};
        at_once(&a, &b);
        char *st = case_status(number);
        if (b.status == 200) {
            /* Standard won: whatever PayPal authorized is released. */
            cr_assert_str_eq(st, "awaiting_return");
            cr_assert_eq(live_money(number), 0, "iteration %d: %s", i, number);
        } else {
            /* The hold won: the switch was refused, the hold is real. */
            cr_assert_eq(b.status, 409, "iteration %d", i);
            cr_assert_str_eq(st, "awaiting_shipment");
            kept++;
        }
        free(st);
        free(order);
        free(number);
    }
    cr_log_info("standard won %d of %d", RACES - kept, RACES);
    run_jobs_at(time(NULL) + 40 * DAY);
    cr_assert_eq(sql_long("SELECT count(*) FROM hold h JOIN rma r ON r.id ="
                          " h.rma_id WHERE r.replacement_method = 'standard'"
                          " AND h.status IN ('authorized', 'captured')"
                          " AND h.void_requested_at IS NULL AND %s",
                          "true"),
                 0, "a standard replacement keeps or paid a hold");
    ledger_verify_clean();
    world_free(&w);
}

Test(money_safety, cancel_racing_preauthorization_leaves_no_hold,
     .timeout = 600)
{
    struct world w;
    world_init(&w);
    for (int i = 0; i < RACES; i++) {
        char *number = awaiting_preauth(&w);
        struct call a = {preauthorize_and_return, &w, number, NULL, 0};
        struct call b = {staff_cancel, &w, number, NULL, 0};
        at_once(&a, &b);
        char *st = case_status(number);
        if (b.status == 200) {
            cr_assert_str_eq(st, "cancelled", "iteration %d", i);
            cr_assert_eq(live_money(number), 0,
                         "iteration %d: a hold on cancelled %s", i, number);
        } else {
            cr_assert_eq(b.status, 409, "iteration %d: cancel %ld", i,
                         b.status);
        }
        free(st);
        free(number);
    }
    /* The job releases what PayPal had authorized meanwhile, and nothing
     * on a cancelled case is ever captured. */
    run_jobs_at(time(NULL) + 40 * DAY);
    cr_assert_eq(sql_long("SELECT count(*) FROM hold h JOIN rma r ON r.id ="
                          " h.rma_id WHERE r.status = 'cancelled' AND"
                          " h.status IN ('authorized', 'captured') AND %s",
                          "true"),
                 0, "an authorized or captured hold on a cancelled case");
    ledger_verify_clean();
    world_free(&w);
}

Test(money_safety, waive_racing_capture_now_one_wins, .timeout = 600)
{
    struct world w;
    world_init(&w);
    for (int i = 0; i < RACES; i++) {
        char *number = awaiting_preauth(&w);
        char *order = preauthorize(&w, number);
        approve_at_paypal(order);
        free(paypal_redirect(w.cookie, "return", order));
        char path[256];
        snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/shipments", number);
        struct http_result r = staff(w.warehouse, path,
                                     "{\"carrier\":\"UPS\",\"tracking_number\":"
                                     "\"1Z999AA10123456784\"}");
        cr_assert_eq(r.status, 200, "%s", r.body);
        harness_http_free(&r);
        struct call a = {supervisor_action, &w, number, "waive-hold", 0};
        struct call b = {supervisor_action, &w, number, "capture-now", 0};
        at_once(&a, &b);
        cr_assert((a.status == 200) != (b.status == 200),
                  "iteration %d: waive %ld, capture %ld", i, a.status,
                  b.status);
        cr_assert(a.status == 409 || b.status == 409, "iteration %d", i);
        /* The loser left no trace in the hold. */
        if (a.status == 200)
            cr_assert_eq(captured(number), 0, "waived, yet charged");
        free(order);
        free(number);
    }
    run_jobs_at(time(NULL) + 60);
    ledger_verify_clean();
    world_free(&w);
}

Test(money_safety, paypal_cancel_needs_the_customers_session)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    char *order = preauthorize(&w, number);
    char *other_email = harness_unique_email("other");
    char *other_case =
        harness_create_case(w.agent, other_email, "refund", true);
    char *other = harness_login(other_email);
    /* Without a session, and with another customer's: nothing changes. */
    char *o1 = paypal_redirect(NULL, "cancel", order);
    char *o2 = paypal_redirect(other, "cancel", order);
    char *hs = sql("SELECT status FROM hold WHERE order_id = '%s'", order);
    cr_assert_str_eq(hs, "pending_approval");
    free(hs);
    /* The customer's own cancel abandons the order. */
    char *o3 = paypal_redirect(w.cookie, "cancel", order);
    cr_assert_str_eq(o3, "cancelled");
    hs = sql("SELECT status FROM hold WHERE order_id = '%s'", order);
    cr_assert_str_eq(hs, "abandoned");
    free(hs);
    free(o1);
    free(o2);
    free(o3);
    free(other);
    free(other_case);
    free(other_email);
    free(order);
    free(number);
    world_free(&w);
}

Test(money_safety, stray_authorized_hold_is_voided_by_the_job)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    char *order = preauthorize(&w, number);
    approve_at_paypal(order);
    char *outcome = paypal_redirect(w.cookie, "return", order);
    cr_assert_str_eq(outcome, "approved");
    /* A case moved by hand (a restore, an operator's UPDATE) leaves its
     * hold stray. */
    free(sql("UPDATE rma SET status = 'cancelled', cancel_reason = 'by hand',"
             " closed_at = now() WHERE number = '%s'",
             number));
    /* The books balance, the business state is wrong: verify says so. */
    char *out;
    cr_assert_neq(harness_run("rmactl ledger verify 2>&1", &out), 0);
    cr_assert(strstr(out, "cannot have a hold") != NULL, "%s", out);
    free(out);
    run_jobs_at(time(NULL) + 60);
    char *hs = sql("SELECT status || ' ' || coalesce(void_reason, '') FROM hold"
                   " WHERE order_id = '%s'",
                   order);
    cr_assert_str_eq(hs, "voided stray");
    cr_assert_eq(sql_long("SELECT count(*) FROM finance_exception e JOIN rma r"
                          " ON r.id = e.rma_id WHERE r.number = '%s' AND"
                          " e.kind = 'stray_hold'",
                          number),
                 1);
    ledger_verify_clean();
    free(hs);
    free(outcome);
    free(order);
    free(number);
    world_free(&w);
}

Test(money_safety, hold_cannot_be_created_on_a_case_off_the_path)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    cr_assert_eq(post_status(w.cookie, number, "replacement-method",
                             "{\"method\":\"standard\"}"),
                 200);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    struct http_result r =
        customer(w.cookie, "POST", path,
                 "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}");
    cr_assert_eq(r.status, 409, "%s", r.body);
    /* The refusal's words reach the customer (they outlive the case
     * operation that wrote them). */
    cr_assert(strstr(r.body, "a hold is not possible while the RMA is "
                             "awaiting_return") != NULL,
              "%s", r.body);
    harness_http_free(&r);
    /* The database refuses it too, whoever asks. */
    char *out;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "%s '%s' -XAtq -c \"WITH a AS (INSERT INTO preauth_acceptance"
             " (rma_id, customer_id, terms_version, terms_text, amount_minor,"
             " currency, accepted_at) SELECT id, customer_id, 'v', 't', 100,"
             " 'USD', now() FROM rma WHERE number = '%s' RETURNING id, rma_id)"
             " INSERT INTO hold (rma_id, acceptance_id, status, currency,"
             " amount_minor, created_at, updated_at) SELECT rma_id, id,"
             " 'pending_approval', 'USD', 100, now(), now() FROM a\" 2>&1",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_ADMIN_URL"),
             number);
    int rc = harness_run(cmd, &out);
    cr_assert_neq(rc, 0, "the insert passed: %s", out);
    cr_assert(strstr(out, "awaiting the pre-authorization") != NULL, "%s", out);
    free(out);
    free(number);
    world_free(&w);
}

/* ---- PayPal's outcomes, believed only for what they say ---- */

/* Waits up to 10 s for the query (with one %s: number) to answer want. */
static void
eventually(const char *query, const char *number, const char *want)
{
    char *got = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(harness_sim("POST", "/sim/webhooks/flush", "{}"));
        free(got);
        got = sql(query, number);
        if (strcmp(got, want) == 0)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    cr_assert_str_eq(got, want, "%s", query);
    free(got);
}

static char *
hold_of(const char *number, const char *expr)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT %s FROM hold h JOIN rma r ON r.id = h.rma_id WHERE"
             " r.number = '%%s' ORDER BY h.id DESC LIMIT 1",
             expr);
    return sql(q, number);
}

/* The customer approves at PayPal and comes back: the ?paypal= outcome. */
static char *
approve_and_return(struct world *w, const char *number)
{
    char *order = preauthorize(w, number);
    approve_at_paypal(order);
    char *outcome = paypal_redirect(w->cookie, "return", order);
    free(order);
    return outcome;
}

/* An authorized hold with the replacement shipped: awaiting_return. */
static char *
held_and_shipped(struct world *w)
{
    char *number = awaiting_preauth(w);
    char *outcome = approve_and_return(w, number);
    cr_assert_str_eq(outcome, "approved");
    free(outcome);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/shipments", number);
    struct http_result r = staff(w->warehouse, path,
                                 "{\"carrier\":\"UPS\",\"tracking_number\":"
                                 "\"1Z999AA10123456784\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    return number;
}

Test(money_safety, authorization_pending_waits_for_paypals_word)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    harness_sim_outcome("authorize", "PENDING", 1);
    char *outcome = approve_and_return(&w, number);
    cr_assert_str_eq(outcome, "pending");
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_preauth", "a PENDING authorization shipped");
    char *hs = hold_of(number, "h.status");
    cr_assert_str_eq(hs, "pending_approval");
    /* PayPal decides; its webhook is only a trigger: the service asks. */
    char *auth = sql("SELECT paypal_id FROM paypal_intent i JOIN rma r ON"
                     " r.id = i.case_id WHERE r.number = '%s' AND"
                     " i.operation = 'order_authorize'",
                     number);
    json_decref(harness_sim_settle(auth, "CREATED"));
    eventually("SELECT status FROM rma WHERE number = '%s'", number,
               "awaiting_shipment");
    free(hs);
    hs = hold_of(number, "h.status || ' ' || h.authorization_id");
    char want[128];
    snprintf(want, sizeof(want), "authorized %s", auth);
    cr_assert_str_eq(hs, want);
    ledger_verify_clean();
    free(auth);
    free(hs);
    free(st);
    free(outcome);
    free(number);
    world_free(&w);
}

Test(money_safety, authorization_denied_is_no_hold_and_the_customer_is_told)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    harness_sim_outcome("authorize", "DENIED", 1);
    char *outcome = approve_and_return(&w, number);
    cr_assert_str_eq(outcome, "declined");
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_preauth");
    char *hs = hold_of(number, "h.status");
    cr_assert_str_eq(hs, "abandoned");
    cr_assert_eq(sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON"
                          " r.id = m.rma_id WHERE r.number = '%s' AND"
                          " m.kind = 'preauth_denied'",
                          number),
                 1);
    /* The customer may try again: a new order, and this time a hold. */
    free(outcome);
    outcome = approve_and_return(&w, number);
    cr_assert_str_eq(outcome, "approved");
    ledger_verify_clean();
    free(hs);
    free(st);
    free(outcome);
    free(number);
    world_free(&w);
}

Test(money_safety, capture_pending_is_booked_only_when_completed)
{
    struct world w;
    world_init(&w);
    char *number = held_and_shipped(&w);
    harness_sim_outcome("capture", "PENDING", 1);
    run_jobs_at(time(NULL) + 26 * DAY);
    char *hs = hold_of(number, "h.status || ' ' || (h.pending_capture_id IS NOT"
                               " NULL)::text");
    cr_assert_str_eq(hs, "authorized true");
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_return", "charged before PayPal said so");
    cr_assert_eq(sql_long("SELECT count(*) FROM journal_entry e JOIN rma r ON"
                          " r.id = e.rma_id WHERE r.number = '%s' AND"
                          " e.idempotency_key LIKE 'capture:%%'",
                          number),
                 0, "a PENDING capture was booked");
    /* A second run does not capture again while PayPal decides. */
    run_jobs_at(time(NULL) + 26 * DAY + 3600);
    char *pc = hold_of(number, "pending_capture_id");
    json_decref(harness_sim_settle(pc, "COMPLETED"));
    eventually("SELECT status FROM rma WHERE number = '%s'", number, "charged");
    free(hs);
    hs = hold_of(number, "h.status || ' ' || h.capture_id");
    char want[128];
    snprintf(want, sizeof(want), "captured %s", pc);
    cr_assert_str_eq(hs, want);
    ledger_verify_clean();
    free(pc);
    free(hs);
    free(st);
    free(number);
    world_free(&w);
}

Test(money_safety, capture_declined_or_failed_in_a_2xx_is_a_decline)
{
    struct world w;
    world_init(&w);
    const char *statuses[] = {"DECLINED", "FAILED"};
    for (int i = 0; i < 2; i++) {
        char *number = held_and_shipped(&w);
        harness_sim_outcome("capture", statuses[i], 1);
        run_jobs_at(time(NULL) + 26 * DAY);
        char *hs = hold_of(number, "h.status || ' ' || h.capture_attempts ||"
                                   " ' ' || (next_capture_at IS NOT NULL)");
        cr_assert_str_eq(hs, "authorized 1 true", "%s", statuses[i]);
        char *st = case_status(number);
        cr_assert_str_eq(st, "awaiting_return", "%s", statuses[i]);
        free(hs);
        free(st);
        free(number);
    }
    ledger_verify_clean();
    world_free(&w);
}

/* A case charged at the deadline whose unit then arrives, is inspected,
 * and whose capture a supervisor refunds in full. */
static char *
charged_then_received(struct world *w)
{
    char *number = held_and_shipped(w);
    run_jobs_at(time(NULL) + 26 * DAY);
    char *st = case_status(number);
    cr_assert_str_eq(st, "charged");
    free(st);
    char *serial =
        sql("SELECT d.serial_number FROM rma_device d JOIN rma r ON r.id ="
            " d.rma_id WHERE r.number = '%s' ORDER BY d.id LIMIT 1",
            number);
    char path[256], body[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/receipt", number);
    snprintf(body, sizeof(body),
             "{\"condition\":\"good\",\"serial_number\":\"%s\"}", serial);
    struct http_result r = staff(w->warehouse, path, body);
    cr_assert_eq(r.status, 200, "receipt: %s", r.body);
    harness_http_free(&r);
    free(serial);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/inspection", number);
    r = staff(w->warehouse, path, "{\"outcome\":\"as_described\"}");
    cr_assert(r.status == 200 || r.status == 201, "inspection: %s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/capture-refund",
             number);
    r = staff(w->supervisor, path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":"
              "\"129.99\"},\"reason\":\"The unit is in order.\"}");
    cr_assert_eq(r.status, 200, "capture-refund: %s", r.body);
    harness_http_free(&r);
    return number;
}

Test(money_safety, refund_pending_is_booked_only_when_completed)
{
    struct world w;
    world_init(&w);
    harness_sim_outcome("refund", "PENDING", 1);
    char *number = charged_then_received(&w);
    char *hs = hold_of(number, "coalesce(refund_id, '-') || ' ' ||"
                               " (pending_refund_id IS NOT NULL)");
    cr_assert_str_eq(hs, "- true");
    char *pr = hold_of(number, "pending_refund_id");
    json_decref(harness_sim_settle(pr, "COMPLETED"));
    eventually("SELECT status FROM rma WHERE number = '%s'", number,
               "completed");
    free(hs);
    hs = hold_of(number, "refund_id");
    cr_assert_str_eq(hs, pr);
    ledger_verify_clean();
    free(pr);
    free(hs);
    free(number);
    world_free(&w);
}

Test(money_safety, refund_failed_goes_to_finance_and_is_not_asked_again)
{
    struct world w;
    world_init(&w);
    harness_sim_outcome("refund", "FAILED", 1);
    char *number = charged_then_received(&w);
    char *hs = hold_of(number, "coalesce(refund_id, '-') || ' ' ||"
                               " (refund_failed_at IS NOT NULL)");
    cr_assert_str_eq(hs, "- true");
    cr_assert_eq(sql_long("SELECT count(*) FROM finance_exception e JOIN rma"
                          " r ON r.id = e.rma_id WHERE r.number = '%s' AND"
                          " e.kind = 'refund_failed'",
                          number),
                 1);
    long calls = sql_long("SELECT count(*) FROM paypal_intent i JOIN rma r ON"
                          " r.id = i.case_id WHERE r.number = '%s' AND"
                          " i.operation = 'capture_refund'",
                          number);
    run_jobs_at(time(NULL) + 27 * DAY);
    cr_assert_eq(sql_long("SELECT count(*) FROM paypal_intent i JOIN rma r ON"
                          " r.id = i.case_id WHERE r.number = '%s' AND"
                          " i.operation = 'capture_refund'",
                          number),
                 calls);
    ledger_verify_clean();
    free(hs);
    free(number);
    world_free(&w);
}

Test(money_safety, ledger_verify_names_a_capture_whose_case_is_not_charged)
{
    struct world w;
    world_init(&w);
    char *number = held_and_shipped(&w);
    run_jobs_at(time(NULL) + 26 * DAY);
    ledger_verify_clean();
    free(sql("UPDATE rma SET status = 'completed', closed_at = now() WHERE"
             " number = '%s'",
             number));
    char *out;
    cr_assert_neq(harness_run("rmactl ledger verify 2>&1", &out), 0);
    cr_assert(strstr(out, "is captured but") != NULL, "%s", out);
    free(out);
    free(sql("UPDATE rma SET status = 'charged', closed_at = NULL WHERE"
             " number = '%s'",
             number));
    ledger_verify_clean();
    free(number);
    world_free(&w);
}

Test(money_safety,
     an_order_paypal_dropped_is_replaced_when_the_customer_continues)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    char *first = preauthorize(&w, number);
    /* Within PayPal's 3 hours a second click answers the same order. */
    char *again = preauthorize(&w, number);
    cr_assert_str_eq(again, first);
    /* Past them, the order is gone at PayPal: a new one replaces it. */
    free(sql("UPDATE hold SET order_created_at = order_created_at - interval"
             " '3 hours' WHERE order_id = '%s'",
             first));
    char *second = preauthorize(&w, number);
    cr_assert_str_neq(second, first);
    char *hs = sql("SELECT status FROM hold WHERE order_id = '%s'", first);
    cr_assert_str_eq(hs, "abandoned");
    free(hs);
    /* And the new one leads to the hold. */
    approve_at_paypal(second);
    char *outcome = paypal_redirect(w.cookie, "return", second);
    cr_assert_str_eq(outcome, "approved");
    free(outcome);
    free(second);
    free(again);
    free(first);
    free(number);
    world_free(&w);
}

/* Authorizes order at the simulator as our client would, with another
 * request id: an authorization whose answer never reached us.  Its id. */
static char *
authorize_behind_our_back(const char *order)
{
    char *tok =
        harness_runf(false,
                     "curl -sS -u rma-demo-client:sim-secret -d "
                     "grant_type=client_credentials '%s/v1/oauth2/token'",
                     harness_env("RMA_TEST_SIM_URL"));
    json_t *t = json_loads(tok, 0, NULL);
    free(tok);
    char *out = harness_runf(
        false,
        "curl -sS -X POST -H 'Authorization: Bearer %s' -H 'Content-Type: "
        "application/json' -H 'Prefer: return=representation' -H "
        "'PayPal-Request-Id: lost-%s' --data '{}' "
        "'%s/v2/checkout/orders/%s/authorize'",
        json_string_value(json_object_get(t, "access_token")), order,
        harness_env("RMA_TEST_SIM_URL"), order);
    json_decref(t);
    json_t *o = json_loads(out, 0, NULL);
    json_t *a = json_array_get(
        json_object_get(
            json_object_get(
                json_array_get(json_object_get(o, "purchase_units"), 0),
                "payments"),
            "authorizations"),
        0);
    cr_assert_not_null(a, "%s", out);
    char *id = strdup(json_string_value(json_object_get(a, "id")));
    json_decref(o);
    free(out);
    return id;
}

Test(money_safety, the_catch_up_adopts_an_authorization_paypal_already_made)
{
    struct world w;
    world_init(&w);
    char *number = awaiting_preauth(&w);
    char *order = preauthorize(&w, number);
    approve_at_paypal(order);
    /* The order was authorized, but the answer was lost and the buyer
     * never came back. */
    char *auth = authorize_behind_our_back(order);
    run_jobs_at(time(NULL) + 600);
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_shipment",
                     "the authorization PayPal holds is the hold");
    char *hs = hold_of(number, "h.status || ' ' || h.authorization_id");
    char want[128];
    snprintf(want, sizeof(want), "authorized %s", auth);
    cr_assert_str_eq(hs, want);
    ledger_verify_clean();
    free(hs);
    free(st);
    free(auth);
    free(order);
    free(number);
    world_free(&w);
}
