/* test_hold.c - through nginx and paypal-sim, with both clocks moved: the
 * advanced replacement's hold from the customer's acceptance to its release,
 * capture, reauthorization, declines and refunds (SPEC §5.3, §10).
 *
 * The simulator's clock is shared by every test of this binary, so the
 * tests take a file lock and run one at a time. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define DAY (24L * 3600)

/* A single value from the database (as the admin). */
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

/* rmactl run-jobs at t; returns its exit status and summary line. */
static int
run_jobs(time_t t, char **summary)
{
    char now[32];
    harness_iso(t, now);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %s 2>&1", now);
    char *out;
    int rc = harness_run(cmd, &out);
    if (summary != NULL)
        *summary = out;
    else
        free(out);
    return rc;
}

static char *
token_for(const char *role)
{
    char *name = harness_unique_email(role);
    char *token = harness_staff_token(role, name);
    free(name);
    return token;
}

struct world {
    time_t t0;
    char now_header[64];
    char *agent, *warehouse, *supervisor;
    char *email, *cookie;
};

static void
at(struct world *w, time_t t)
{
    char now[32];
    harness_iso(t, now);
    snprintf(w->now_header, sizeof(w->now_header), "X-Rma-Test-Now: %s", now);
    harness_sim_clock(t);
}

static struct http_result
staff(struct world *w, const char *token, const char *method, const char *path,
      const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", w->now_header,
                       NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

static struct http_result
customer(struct world *w, const char *method, const char *path,
         const char *body)
{
    return harness_http(method, path,
                        harness_portal_headers(w->cookie, w->now_header), body,
                        body ? strlen(body) : 0);
}

static const char *
str(const struct http_result *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

/* The simulator's rules, faults and latency as they were, keeping what it
 * knows (the ledger's verification asks it about every capture ever made
 * in this suite). */
static void
sim_defaults(void)
{
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":0}");
    harness_sim_ok("POST", "/sim/mock-responses", "{\"next\":0}");
    harness_sim_ok("POST", "/sim/config",
                   "{\"decline_after_honor\":false,\"reauth_limit\":1}");
}

static void
world_init(struct world *w)
{
    harness_sim_lock();
    sim_defaults();
    memset(w, 0, sizeof(*w));
    /* Start a little ahead of real time, as a fresh day. */
    w->t0 = time(NULL) + 60;
    at(w, w->t0);
    w->agent = token_for("agent");
    w->warehouse = token_for("warehouse");
    w->supervisor = token_for("supervisor");
    w->email = harness_unique_email("hold");
}

static void
world_free(struct world *w)
{
    sim_defaults();
    harness_sim_clock(time(NULL));
    free(w->agent);
    free(w->warehouse);
    free(w->supervisor);
    free(w->email);
    free(w->cookie);
}

/* A replacement case taken by the customer to an authorized hold and, if
 * shipped, with the replacement on its way: awaiting_return.  Returns the
 * case number (owned). */
static char *
held_case(struct world *w, bool ship)
{
    char *number = harness_create_case(w->agent, w->email, "replacement", true);
    if (w->cookie == NULL)
        w->cookie = harness_login(w->email);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    struct http_result r = customer(w, "POST", path, NULL);
    cr_assert_eq(r.status, 200, "agree: %s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/replacement-method", number);
    r = customer(w, "POST", path, "{\"method\":\"advanced\"}");
    cr_assert_eq(r.status, 200, "method: %s", r.body);
    cr_assert_str_eq(str(&r, "status"), "awaiting_preauth");
    json_t *pre = json_object_get(r.json, "preauthorization");
    cr_assert_str_eq(json_string_value(json_object_get(pre, "terms_version")),
                     "2026-11");
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    const char *accept =
        "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}";
    r = customer(w, "POST", path, accept);
    cr_assert_eq(r.status, 201, "preauthorization: %s", r.body);
    char *order = strdup(str(&r, "order_id"));
    char *approve = strdup(str(&r, "approve_url"));
    harness_http_free(&r);
    /* A second click: the same order, no second PayPal order. */
    r = customer(w, "POST", path, accept);
    cr_assert_eq(r.status, 201, "second click: %s", r.body);
    cr_assert_str_eq(str(&r, "order_id"), order);
    cr_assert_str_eq(str(&r, "approve_url"), approve);
    harness_http_free(&r);

    char sp[256];
    snprintf(sp, sizeof(sp), "/sim/orders/%s/approve", order);
    harness_sim_ok("POST", sp, "{}");
    snprintf(path, sizeof(path), "/api/v1/paypal/return?token=%s&PayerID=X1",
             order);
    r = customer(w, "GET", path, NULL);
    cr_assert_eq(r.status, 303, "return: %s", r.body);
    char loc[512];
    cr_assert_not_null(harness_header(&r, "Location", loc, sizeof(loc)));
    cr_assert(strstr(loc, number) != NULL && strstr(loc, "paypal=approved"),
              "%s", loc);
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    r = customer(w, "GET", path, NULL);
    cr_assert_str_eq(str(&r, "status"), "awaiting_shipment");
    json_t *hold = json_object_get(r.json, "hold");
    cr_assert_str_eq(json_string_value(json_object_get(hold, "status")),
                     "authorized");
    cr_assert_not_null(json_object_get(hold, "deadline"));
    harness_http_free(&r);
    char *window = sql("SELECT h.deadline - h.authorized_at FROM hold h JOIN "
                       "rma r ON r.id = h.rma_id WHERE r.number = '%s' AND "
                       "h.status = 'authorized'",
                       number);
    cr_assert_str_eq(window, "25 days", "deadline = authorization + 25 days");
    free(window);
    /* The customer is told the amount held and the deadline (UTC). */
    char *told = sql("SELECT m.subject || ' | ' || replace(m.body, E'\\n',"
                     " ' ') FROM mail_outbox m"
                     " JOIN rma r ON r.id = m.rma_id WHERE r.number = '%s'"
                     " AND m.kind = 'hold_placed'",
                     number);
    cr_assert(strstr(told, "PayPal hold in place") &&
                  strstr(told, "129.99 USD") && strstr(told, "(UTC)"),
              "%s", told);
    free(told);
    free(order);
    free(approve);
    if (ship) {
        snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/shipments", number);
        r = staff(
            w, w->warehouse, "POST", path,
            "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\"}");
        cr_assert_eq(r.status, 200, "shipment: %s", r.body);
        cr_assert_str_eq(str(&r, "status"), "awaiting_return");
        harness_http_free(&r);
    }
    return number;
}

static struct http_result
receipt(struct world *w, const char *number, const char *serial)
{
    char path[256], body[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/receipt", number);
    snprintf(body, sizeof(body),
             "{\"condition\":\"good\",\"serial_number\":\"%s\"}", serial);
    return staff(w, w->warehouse, "POST", path, body);
}

/* The serial number harness_create_case gives the device. */
static char *
serial_of(const char *number)
{
    return sql("SELECT d.serial_number FROM rma_device d JOIN rma r ON r.id = "
               "d.rma_id WHERE r.number = '%s' ORDER BY d.id LIMIT 1",
               number);
}

static char *
hold_field(const char *number, const char *field)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT coalesce(h.%s::text, '') FROM hold h JOIN rma r ON r.id "
             "= h.rma_id WHERE r.number = '%%s' AND h.status <> 'abandoned' "
             "ORDER BY h.id DESC LIMIT 1",
             field);
    return sql(q, number);
}

static char *
case_status(const char *number)
{
    return sql("SELECT status FROM rma WHERE number = '%s'", number);
}

/* Memo balance of the case's hold in the ledger. */
static long
memo_balance(const char *number)
{
    return sql_long("SELECT coalesce(sum(p.amount_minor), 0) FROM posting p "
                    "JOIN journal_entry e ON e.id = p.entry_id JOIN rma r ON "
                    "r.id = e.rma_id WHERE p.account = 'holds:authorized' AND "
                    "r.number = '%s'",
                    number);
}

/* How many times the simulator executed op (capture, void, refund,
 * reauthorize) on this case's holds: counted from its state. */
static long
sim_count(const char *kind, const char *authorization_id)
{
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    json_t *coll = json_object_get(state, kind);
    long n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(coll, key, v)
    {
        const char *a =
            json_string_value(json_object_get(v, "authorization_id"));
        if (a != NULL && strcmp(a, authorization_id) == 0)
            n++;
    }
    json_decref(state);
    return n;
}

Test(hold, on_time_return_releases_the_hold)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    cr_assert_eq(memo_balance(number), 12999, "the hold is on the memo");
    /* Regression: the simulator's event for the authorization was never
     * queued (a json_pack format with one key too many). */
    char *created = hold_field(number, "authorization_id");
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    json_t *hooks = json_object_get(state, "webhooks");
    bool queued = false;
    size_t i;
    json_t *e;
    json_array_foreach(hooks, i, e)
    {
        const char *body = json_string_value(json_object_get(e, "body"));
        if (body == NULL || strstr(body, created) == NULL ||
            strstr(body, "PAYMENT.AUTHORIZATION.CREATED") == NULL)
            continue;
        /* Exactly the members of PayPal's event, nothing read from
         * elsewhere. */
        json_t *ev = json_loads(body, 0, NULL);
        static const char *const members[] = {
            "id",         "create_time", "resource_type",
            "event_type", "summary",     "event_version",
            "resource",   "links",       "resource_version"};
        cr_assert_eq(json_object_size(ev), 9, "%s", body);
        for (size_t k = 0; k < 9; k++)
            cr_assert_not_null(json_object_get(ev, members[k]), "%s: %s",
                               members[k], body);
        json_decref(ev);
        queued = true;
    }
    json_decref(state);
    free(created);
    cr_assert(queued, "PAYMENT.AUTHORIZATION.CREATED was queued");
    at(&w, w.t0 + 10 * DAY);
    char *serial = serial_of(number);
    struct http_result r = receipt(&w, number, serial);
    cr_assert_eq(r.status, 200, "receipt: %s", r.body);
    harness_http_free(&r);
    char *st = case_status(number);
    cr_assert_str_eq(st, "completed");
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "voided");
    cr_assert_eq(memo_balance(number), 0, "memo balance back to zero");
    char *auth = hold_field(number, "authorization_id");
    cr_assert_eq(sim_count("captures", auth), 0, "no capture");
    long mails = sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON "
                          "r.id = m.rma_id WHERE r.number = '%s' AND m.kind = "
                          "'hold_released'",
                          number);
    cr_assert_eq(mails, 1, "the customer is told");
    /* The deadline passes: nothing left to capture. */
    char *summary;
    cr_assert_eq(run_jobs(w.t0 + 26 * DAY, &summary), 0, "%s", summary);
    cr_assert_eq(sim_count("captures", auth), 0, "%s", summary);
    free(summary);
    free(auth);
    free(hs);
    free(st);
    free(serial);
    free(number);
    world_free(&w);
}

Test(hold, deadline_capture_then_late_return_refund)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    char *auth = hold_field(number, "authorization_id");
    /* The day before the deadline: nothing due. */
    char *summary;
    at(&w, w.t0 + 24 * DAY);
    cr_assert_eq(run_jobs(w.t0 + 24 * DAY, &summary), 0, "%s", summary);
    free(summary);
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_return");
    free(st);
    /* Just after it: captured, once, however often the job runs. */
    time_t after = w.t0 + 25 * DAY + 3600;
    at(&w, after);
    cr_assert_eq(run_jobs(after, &summary), 0, "%s", summary);
    free(summary);
    cr_assert_eq(run_jobs(after + 60, &summary), 0, "%s", summary);
    free(summary);
    st = case_status(number);
    cr_assert_str_eq(st, "charged");
    free(st);
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "captured");
    free(hs);
    /* Day 24 was inside the reauthorization window: the capture may use
     * either authorization, but there is one capture in all. */
    char *reauth = hold_field(number, "reauthorization_id");
    cr_assert_eq(sim_count("captures", auth) +
                     (reauth[0] ? sim_count("captures", reauth) : 0),
                 1, "exactly one capture");
    free(reauth);
    cr_assert_eq(memo_balance(number), 0);
    long captures = sql_long(
        "SELECT count(*) FROM journal_entry e JOIN rma r ON r.id = e.rma_id "
        "WHERE e.kind = 'capture' AND r.number = '%s'",
        number);
    cr_assert_eq(captures, 1, "one capture entry");
    long fee = sql_long("SELECT coalesce(sum(p.amount_minor), 0) FROM posting "
                        "p JOIN journal_entry e ON e.id = p.entry_id JOIN rma "
                        "r ON r.id = e.rma_id WHERE p.account = "
                        "'expense:paypal_fees' AND r.number = '%s'",
                        number);
    cr_assert_gt(fee, 0, "PayPal's fee is booked");

    /* The unit arrives after all.  The agreement's clause 4: the capture
     * is refunded per the inspection's outcome, as a supervisor decides;
     * until then nothing is refunded and the case is not complete. */
    at(&w, after + 2 * DAY);
    char *serial = serial_of(number);
    struct http_result r = receipt(&w, number, serial);
    cr_assert_eq(r.status, 200, "receipt: %s", r.body);
    harness_http_free(&r);
    cr_assert_eq(run_jobs(after + 2 * DAY + 60, &summary), 0, "%s", summary);
    free(summary);
    st = case_status(number);
    cr_assert_str_eq(st, "received", "waits for the refund decision");
    free(st);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/capture-refund",
             number);
    const char *part = "{\"amount\":{\"currency_code\":\"USD\",\"value\":"
                       "\"100.00\"},\"reason\":\"Scratched housing.\"}";
    r = staff(&w, w.agent, "POST", path, part);
    cr_assert_eq(r.status, 403, "a supervisor's decision: %s", r.body);
    harness_http_free(&r);
    r = staff(&w, w.supervisor, "POST", path, part);
    cr_assert_eq(r.status, 422, "before the inspection: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "inspection_required");
    harness_http_free(&r);
    char ip[256];
    snprintf(ip, sizeof(ip), "/api/v1/staff/rmas/%s/inspection", number);
    r = staff(&w, w.warehouse, "POST", ip,
              "{\"outcome\":\"damaged_in_transit\",\"notes\":\"Scratched.\"}");
    cr_assert(r.status == 200 || r.status == 201, "inspection: %s", r.body);
    harness_http_free(&r);
    /* At most what was captured: 129.99 is, 130.00 is not. */
    r = staff(&w, w.supervisor, "POST", path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":"
              "\"130.00\"},\"reason\":\"Too much.\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "amount_too_high");
    harness_http_free(&r);
    r = staff(&w, w.supervisor, "POST", path, part);
    cr_assert_eq(r.status, 200, "decision: %s", r.body);
    harness_http_free(&r);
    r = staff(&w, w.supervisor, "POST", path, part);
    cr_assert_eq(r.status, 409, "decided once: %s", r.body);
    harness_http_free(&r);
    cr_assert_eq(run_jobs(after + 2 * DAY + 120, &summary), 0, "%s", summary);
    free(summary);
    st = case_status(number);
    cr_assert_str_eq(st, "completed");
    free(st);
    char *refund = hold_field(number, "refund_minor");
    cr_assert_str_eq(refund, "10000", "the part the supervisor decided");
    free(refund);
    cr_assert_eq(sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON"
                          " r.id = m.rma_id WHERE m.kind = 'capture_refunded'"
                          " AND r.number = '%s'",
                          number),
                 1, "the customer is told");
    long refunds = sql_long(
        "SELECT count(*) FROM journal_entry e JOIN rma r ON r.id = e.rma_id "
        "WHERE e.kind = 'refund' AND r.number = '%s'",
        number);
    cr_assert_eq(refunds, 1, "one refund entry");
    free(serial);
    free(auth);
    free(number);
    world_free(&w);
}

Test(hold, reauthorization_then_capture_uses_the_new_authorization)
{
    struct world w;
    world_init(&w);
    /* Captures outside an honor period are declined: only the
     * reauthorization makes the capture after the deadline succeed. */
    harness_sim_ok("POST", "/sim/config", "{\"decline_after_honor\":true}");
    char *number = held_case(&w, true);
    time_t day23 = w.t0 + 23 * DAY + 60;
    at(&w, day23);
    char *summary;
    cr_assert_eq(run_jobs(day23, &summary), 0, "%s", summary);
    free(summary);
    char *re = hold_field(number, "reauth_status");
    cr_assert_str_eq(re, "succeeded");
    char *reauth = hold_field(number, "reauthorization_id");
    cr_assert(strlen(reauth) > 0);
    time_t after = w.t0 + 25 * DAY + 3600;
    at(&w, after);
    cr_assert_eq(run_jobs(after, &summary), 0, "%s", summary);
    free(summary);
    char *st = case_status(number);
    cr_assert_str_eq(st, "charged");
    cr_assert_eq(sim_count("captures", reauth), 1,
                 "the capture used the reauthorization");
    free(st);
    free(re);
    free(reauth);
    free(number);
    world_free(&w);
}

Test(hold, refused_reauthorization_still_captures_the_original)
{
    struct world w;
    world_init(&w);
    harness_sim_ok("POST", "/sim/config", "{\"reauth_limit\":0}");
    char *number = held_case(&w, true);
    char *auth = hold_field(number, "authorization_id");
    time_t day23 = w.t0 + 23 * DAY + 60;
    at(&w, day23);
    char *summary;
    cr_assert_eq(run_jobs(day23, &summary), 0, "%s", summary);
    free(summary);
    char *re = hold_field(number, "reauth_status");
    cr_assert_str_eq(re, "refused");
    time_t after = w.t0 + 25 * DAY + 3600;
    at(&w, after);
    cr_assert_eq(run_jobs(after, &summary), 0, "%s", summary);
    free(summary);
    char *st = case_status(number);
    cr_assert_str_eq(st, "charged");
    cr_assert_eq(sim_count("captures", auth), 1, "captured on the original");
    free(st);
    free(re);
    free(auth);
    free(number);
    world_free(&w);
}

Test(hold, declined_capture_is_retried_then_fails_with_an_exception)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    harness_sim_ok(
        "POST", "/sim/mock-responses",
        "{\"issue\":\"INSTRUMENT_DECLINED\",\"path_suffix\":\"/capture\","
        "\"next\":3}");
    time_t t = w.t0 + 25 * DAY + 3600;
    char *summary;
    for (int attempt = 1; attempt <= 3; attempt++) {
        at(&w, t);
        cr_assert_eq(run_jobs(t, &summary), 0, "%s", summary);
        free(summary);
        char *n = hold_field(number, "capture_attempts");
        cr_assert_eq(strtol(n, NULL, 10), attempt, "attempt %d", attempt);
        free(n);
        /* Within the retry delay nothing happens. */
        cr_assert_eq(run_jobs(t + 3600, &summary), 0, "%s", summary);
        free(summary);
        t += DAY + 60;
    }
    char *st = case_status(number);
    cr_assert_str_eq(st, "capture_failed");
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "failed");
    long exceptions = sql_long(
        "SELECT count(*) FROM finance_exception x JOIN rma r ON r.id = "
        "x.rma_id WHERE x.kind = 'capture_failed' AND r.number = '%s'",
        number);
    cr_assert_eq(exceptions, 1, "one exception for finance");
    cr_assert_eq(sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON"
                          " r.id = m.rma_id WHERE m.kind = 'capture_failed'"
                          " AND r.number = '%s'",
                          number),
                 1, "the customer is told what to do");
    cr_assert_eq(memo_balance(number), 0);
    free(hs);
    free(st);
    free(number);
    world_free(&w);
}

Test(hold, receipt_while_paypal_is_down_is_released_by_the_next_run)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    harness_sim_ok("POST", "/sim/faults", "{\"kind\":\"503\",\"rate\":1.0}");
    at(&w, w.t0 + 5 * DAY);
    char *serial = serial_of(number);
    struct http_result r = receipt(&w, number, serial);
    cr_assert_eq(r.status, 200, "the receipt is recorded at once: %s", r.body);
    harness_http_free(&r);
    char *st = case_status(number);
    cr_assert_str_eq(st, "received");
    free(st);
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "authorized", "PayPal did not answer");
    free(hs);
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    char *summary;
    cr_assert_eq(run_jobs(w.t0 + 5 * DAY + 600, &summary), 0, "%s", summary);
    free(summary);
    hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "voided");
    st = case_status(number);
    cr_assert_str_eq(st, "completed");
    cr_assert_eq(memo_balance(number), 0);
    free(hs);
    free(st);
    free(serial);
    free(number);
    world_free(&w);
}

Test(hold, supervisor_actions_are_bounded_and_audited)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/deadline-extension",
             number);
    char body[256], when[32];
    /* Past the authorization's validity (29 days, a day kept for the
     * capture): refused. */
    harness_iso(w.t0 + 28 * DAY + 60, when);
    snprintf(body, sizeof(body), "{\"deadline\":\"%s\",\"reason\":\"abroad\"}",
             when);
    struct http_result r = staff(&w, w.supervisor, "POST", path, body);
    cr_assert_eq(r.status, 422, "%s", r.body);
    harness_http_free(&r);
    /* An agent may not. */
    harness_iso(w.t0 + 27 * DAY, when);
    snprintf(body, sizeof(body), "{\"deadline\":\"%s\",\"reason\":\"abroad\"}",
             when);
    r = staff(&w, w.agent, "POST", path, body);
    cr_assert_eq(r.status, 403, "%s", r.body);
    harness_http_free(&r);
    r = staff(&w, w.supervisor, "POST", path, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    long deadline = sql_long("SELECT extract(epoch FROM h.deadline)::bigint "
                             "FROM hold h JOIN rma r ON r.id = h.rma_id WHERE "
                             "r.number = '%s' AND h.status = 'authorized'",
                             number);
    cr_assert_eq(deadline, (long)(w.t0 + 27 * DAY));
    /* The old deadline passes: nothing captured. */
    char *summary;
    cr_assert_eq(run_jobs(w.t0 + 25 * DAY + 3600, &summary), 0, "%s", summary);
    free(summary);
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_return");
    free(st);
    /* Capture now, with a reason. */
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/capture-now", number);
    r = staff(&w, w.supervisor, "POST", path, "{\"reason\":\"fraud\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    st = case_status(number);
    cr_assert_str_eq(st, "charged");
    free(st);
    long audited = sql_long(
        "SELECT count(*) FROM audit_event e JOIN rma r ON r.id = e.rma_id "
        "WHERE r.number = '%s' AND e.action IN ('deadline_extension', "
        "'capture_now')",
        number);
    cr_assert_eq(audited, 2);
    free(number);

    /* Waiver: void without a return. */
    number = held_case(&w, true);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/waive-hold", number);
    r = staff(&w, w.supervisor, "POST", path, "{\"reason\":\"goodwill\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "voided");
    free(hs);
    st = case_status(number);
    cr_assert_str_eq(st, "completed");
    free(st);
    free(number);

    /* Cancel releases the hold. */
    number = held_case(&w, false);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/cancel", number);
    r = staff(&w, w.agent, "POST", path, "{\"reason\":\"duplicate\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "voided");
    free(hs);
    cr_assert_eq(memo_balance(number), 0);
    free(number);
    world_free(&w);
}

/* Every hold of this test's customer is captured exactly once: in our
 * database, and at PayPal (the simulator's state). */
static void
assert_captured_once(struct world *w, int n)
{
    long captured = sql_long("SELECT count(*) FROM hold h JOIN rma r ON r.id "
                             "= h.rma_id JOIN customer c ON c.id = "
                             "r.customer_id WHERE c.email = '%s' AND "
                             "h.status = 'captured'",
                             w->email);
    cr_assert_eq(captured, n, "every hold captured (%ld of %d)", captured, n);
    char *ours = sql("SELECT ',' || string_agg(h.authorization_id || ',' || "
                     "coalesce(h.reauthorization_id || ',', ''), '') FROM "
                     "hold h JOIN rma r ON r.id = h.rma_id JOIN customer c "
                     "ON c.id = r.customer_id WHERE c.email = '%s'",
                     w->email);
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    json_t *caps = json_object_get(state, "captures");
    json_t *per_auth = json_object();
    const char *key;
    json_t *v;
    int made = 0;
    json_object_foreach(caps, key, v)
    {
        const char *a =
            json_string_value(json_object_get(v, "authorization_id"));
        char needle[80];
        snprintf(needle, sizeof(needle), ",%s,", a ? a : "?");
        if (strstr(ours, needle) == NULL)
            continue; /* another test's */
        made++;
        json_t *c = json_object_get(per_auth, a);
        json_object_set_new(per_auth, a,
                            json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    free(ours);
    cr_assert_eq(made, n, "PayPal made %d captures for %d holds", made, n);
    json_object_foreach(per_auth, key, v)
        cr_assert_eq(json_integer_value(v), 1,
                     "authorization %s captured %lld "
                     "times",
                     key, (long long)json_integer_value(v));
    json_decref(per_auth);
    json_decref(state);
    long entries = sql_long("SELECT count(*) FROM journal_entry e JOIN rma r "
                            "ON r.id = e.rma_id JOIN customer c ON c.id = "
                            "r.customer_id WHERE c.email = '%s' AND e.kind = "
                            "'capture'",
                            w->email);
    cr_assert_eq(entries, n, "one capture entry per hold");
    char *out;
    int rc = harness_run("rmactl ledger verify 2>&1", &out);
    cr_assert_eq(rc, 0, "ledger verify: %s", out);
    free(out);
}

Test(hold, two_runners_capture_each_of_200_holds_exactly_once, .timeout = 600)
{
    struct world w;
    world_init(&w);
    const int n = 200;
    for (int i = 0; i < n; i++)
        free(held_case(&w, true));
    time_t after = w.t0 + 25 * DAY + 3600;
    at(&w, after);
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":20}");
    char now[32], cmd[512];
    harness_iso(after, now);
    /* One runner settles on two connections of its own, the other on its
     * job connection, between calls. */
    snprintf(cmd, sizeof(cmd),
             "(rmactl run-jobs --now %s --concurrency 8 & "
             "RMA_JOB_SETTLE_CONNECTIONS=0 rmactl run-jobs --now %s "
             "--concurrency 8 & wait) 2>&1",
             now, now);
    char *out;
    cr_assert_eq(harness_run(cmd, &out), 0, "%s", out);
    free(out);
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":0}");
    assert_captured_once(&w, n);
    world_free(&w);
}

Test(hold, job_killed_at_random_moments_loses_and_duplicates_nothing,
     .timeout = 600)
{
    struct world w;
    world_init(&w);
    const int n = 40;
    for (int i = 0; i < n; i++)
        free(held_case(&w, true));
    time_t after = w.t0 + 25 * DAY + 3600;
    at(&w, after);
    /* Slow PayPal calls widen the window in which a kill lands mid-call. */
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":60}");
    char now[32], cmd[512];
    harness_iso(after, now);
    for (int i = 0; i < 25; i++) {
        int ms = 20 + (int)(arc4random_uniform(400));
        snprintf(cmd, sizeof(cmd),
                 "rmactl run-jobs --now %s --concurrency 2 >/dev/null 2>&1 & "
                 "p=$!; sleep %d.%03d; kill -9 $p 2>/dev/null; wait $p; true",
                 now, ms / 1000, ms % 1000);
        char *out;
        harness_run(cmd, &out);
        free(out);
    }
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":0}");
    char *out;
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %s 2>&1", now);
    cr_assert_eq(harness_run(cmd, &out), 0, "%s", out);
    free(out);
    long open = sql_long("SELECT count(*) FROM paypal_intent i JOIN hold h ON "
                         "h.id = i.hold_id JOIN rma r ON r.id = h.rma_id JOIN "
                         "customer c ON c.id = r.customer_id WHERE c.email = "
                         "'%s' AND i.status IN ('pending', 'unknown')",
                         w.email);
    cr_assert_eq(open, 0, "no intent left open");
    assert_captured_once(&w, n);
    world_free(&w);
}

Test(hold, job_converges_through_paypal_faults_at_30_percent, .timeout = 600)
{
    struct world w;
    world_init(&w);
    const int n = 30;
    for (int i = 0; i < n; i++)
        free(held_case(&w, true));
    time_t after = w.t0 + 25 * DAY + 3600;
    at(&w, after);
    /* 30% of PayPal calls fail: errors, rate limits, connections dropped
     * before or after PayPal did the work, calls that never answer. */
    harness_sim_ok("POST", "/sim/faults",
                   "{\"kind\":\"503\",\"rate\":0.08,\"path_prefix\":\"/v2/\"}");
    harness_sim_ok("POST", "/sim/faults",
                   "{\"kind\":\"429\",\"rate\":0.06,\"path_prefix\":\"/v2/\"}");
    harness_sim_ok(
        "POST", "/sim/faults",
        "{\"kind\":\"drop\",\"rate\":0.06,\"path_prefix\":\"/v2/\"}");
    harness_sim_ok("POST", "/sim/faults",
                   "{\"kind\":\"500_after_effect\",\"rate\":0.06,"
                   "\"path_prefix\":\"/v2/\"}");
    harness_sim_ok(
        "POST", "/sim/faults",
        "{\"kind\":\"timeout\",\"rate\":0.04,\"path_prefix\":\"/v2/\"}");
    char now[32], cmd[512];
    harness_iso(after, now);
    snprintf(cmd, sizeof(cmd),
             "RMA_PAYPAL_TIMEOUT_MS=1500 RMA_PAYPAL_MAX_ATTEMPTS=2 "
             "rmactl run-jobs --now %s --concurrency 8 2>&1",
             now);
    int runs = 0;
    long left = n;
    while (left > 0 && runs < 15) {
        char *out;
        harness_run(cmd, &out); /* exit 1 while work is left: expected */
        free(out);
        runs++;
        left = sql_long("SELECT count(*) FROM hold h JOIN rma r ON r.id = "
                        "h.rma_id JOIN customer c ON c.id = r.customer_id "
                        "WHERE c.email = '%s' AND h.status = 'authorized'",
                        w.email);
    }
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    cr_assert_eq(left, 0, "converged after %d runs", runs);
    assert_captured_once(&w, n);
    world_free(&w);
}

Test(hold, approval_whose_return_was_lost_is_authorized_by_the_job)
{
    struct world w;
    world_init(&w);
    char *number = harness_create_case(w.agent, w.email, "replacement", true);
    w.cookie = harness_login(w.email);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    struct http_result r = customer(&w, "POST", path, NULL);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/replacement-method", number);
    r = customer(&w, "POST", path, "{\"method\":\"advanced\"}");
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    r = customer(&w, "POST", path,
                 "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char sp[256];
    snprintf(sp, sizeof(sp), "/sim/orders/%s/approve", str(&r, "order_id"));
    harness_http_free(&r);
    harness_sim_ok("POST", sp, "{}");
    /* The buyer never comes back to us. */
    char *summary;
    cr_assert_eq(run_jobs(w.t0 + 600, &summary), 0, "%s", summary);
    free(summary);
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "authorized");
    char *st = case_status(number);
    cr_assert_str_eq(st, "awaiting_shipment");
    free(hs);
    free(st);
    free(number);
    world_free(&w);
}

Test(hold, serial_mismatch_on_receipt_blocks_the_release_until_a_supervisor)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    at(&w, w.t0 + 5 * DAY);
    struct http_result r = receipt(&w, number, "SN-NOT-THIS-ONE");
    cr_assert_eq(r.status, 200, "the receipt is recorded: %s", r.body);
    harness_http_free(&r);
    char *st = case_status(number);
    cr_assert_str_eq(st, "received");
    free(st);
    char *hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "authorized", "no automatic release");
    free(hs);
    long flagged = sql_long(
        "SELECT count(*) FROM finance_exception x JOIN rma r ON r.id = "
        "x.rma_id WHERE x.kind = 'serial_mismatch' AND r.number = '%s'",
        number);
    cr_assert_eq(flagged, 1, "flagged for finance and the supervisor");
    long matched = sql_long("SELECT count(*) FROM return_receipt t JOIN rma r "
                            "ON r.id = t.rma_id WHERE r.number = '%s' AND NOT "
                            "t.serial_match",
                            number);
    cr_assert_eq(matched, 1, "the receipt records the mismatch");
    /* The job does not release it either. */
    char *summary;
    cr_assert_eq(run_jobs(w.t0 + 5 * DAY + 600, &summary), 0, "%s", summary);
    free(summary);
    hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "authorized");
    free(hs);
    /* The supervisor decides: release. */
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/waive-hold", number);
    r = staff(&w, w.supervisor, "POST", path,
              "{\"reason\":\"the kit's box S/N, checked by hand\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    hs = hold_field(number, "status");
    cr_assert_str_eq(hs, "voided");
    free(hs);
    st = case_status(number);
    cr_assert_str_eq(st, "completed");
    free(st);
    cr_assert_eq(memo_balance(number), 0);
    free(number);
    world_free(&w);
}

/* Access tokens /v1/oauth2/token handed out so far. */
static long
oauth_tokens_issued(void)
{
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    long n =
        (long)json_integer_value(json_object_get(state, "oauth_tokens_issued"));
    json_decref(state);
    return n;
}

/* Each `rmactl run-jobs` is a process of its own: the token one run got
 * is used by the next (one OAuth call for both), until PayPal rejects it
 * (a 401: replaced once) or its time is up (not used: replaced). */
Test(hold, job_runs_share_one_oauth_token_until_it_is_rejected_or_expires)
{
    struct world w;
    world_init(&w);
    char *number = held_case(&w, true);
    /* A capture PayPal leaves PENDING: every run asks about it. */
    harness_sim_outcome("capture", "PENDING", 1);
    time_t t = w.t0 + 25 * DAY + 3600;
    at(&w, t);
    long c0 = oauth_tokens_issued();
    char *summary;
    cr_assert_eq(run_jobs(t, &summary), 0, "%s", summary);
    free(summary);
    char *pending = hold_field(number, "pending_capture_id");
    cr_assert_neq(pending[0], '\0', "the capture is pending");
    long c1 = oauth_tokens_issued();
    /* The clock moved 25 days: the stored token is no longer PayPal's. */
    cr_assert_leq(c1 - c0, 1, "one token for the first run, got %ld", c1 - c0);
    char *first = sql("SELECT access_token FROM paypal_token");
    cr_assert_neq(first[0], '\0', "the token is kept for the next run");

    cr_assert_eq(run_jobs(t + 60, &summary), 0, "%s", summary);
    free(summary);
    cr_assert_eq(oauth_tokens_issued(), c1,
                 "the second run asked PayPal for another token");
    char *still = sql("SELECT access_token FROM paypal_token");
    cr_assert_str_eq(still, first);

    /* Revoked at PayPal: the next run's first call answers 401, the token
     * is fetched again once and replaces the stored one. */
    json_decref(harness_sim("DELETE", "/sim/tokens", NULL));
    cr_assert_eq(run_jobs(t + 120, &summary), 0, "%s", summary);
    free(summary);
    cr_assert_eq(oauth_tokens_issued(), c1 + 1, "a rejected token is replaced");
    char *replaced = sql("SELECT access_token FROM paypal_token");
    cr_assert_str_neq(replaced, first);

    /* Past its time: not used, replaced. */
    free(sql("UPDATE paypal_token SET expires_at = now() - interval "
             "'1 minute'"));
    cr_assert_eq(run_jobs(t + 180, &summary), 0, "%s", summary);
    free(summary);
    cr_assert_eq(oauth_tokens_issued(), c1 + 2, "an expired token is replaced");
    char *fresh = sql("SELECT access_token || ' ' || (expires_at > now() + "
                      "interval '1 hour')::text FROM paypal_token");
    cr_assert(strncmp(fresh, replaced, strlen(replaced)) != 0, "%s", fresh);
    cr_assert(strstr(fresh, " true") != NULL, "%s", fresh);

    json_decref(harness_sim_settle(pending, "COMPLETED"));
    free(fresh);
    free(replaced);
    free(still);
    free(first);
    free(pending);
    free(number);
    world_free(&w);
}
