/* test_makeup.c - make-up payments through nginx and paypal-sim (SPEC
 * §5.5, §5.6): the customer claims a payment, the service finds it with
 * Transaction Search (by the claimed id, or by amount, payer and date when
 * the buyer's id was given), books it, and `rmactl run-jobs` retries what
 * PayPal does not show yet; finance lists the exceptions and resolves them.
 *
 * The tests move the simulator's clock and its search latency, which every
 * test of the suite shares: they take test_hold's lock and run one at a
 * time, and put the simulator back as they found it (never /sim/reset: the
 * ledger's verification asks the simulator about every capture made). */
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

#ifndef IMAGE_FIXTURES
#define IMAGE_FIXTURES "tests/fixtures/images"
#endif

#define HOUR 3600L

static void
search_latency(long seconds)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"search_latency_seconds\":%ld}", seconds);
    harness_sim_ok("POST", "/sim/config", body);
}

/* A single value from the database, as the admin. */
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
sql_long(const char *fmt, ...)
{
    char q[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    char *v = sql("%s", q);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

/* rmactl run-jobs at t; asserts success, returns the summary (owned). */
static char *
run_jobs(time_t t)
{
    char now[32];
    harness_iso(t, now);
    return harness_runf(false, "rmactl run-jobs --now %s 2>&1", now);
}

/* A number not used before by this process (order numbers, request ids). */
static long
unique(void)
{
    static long n;
    return (long)(time(NULL) % 1000000) * 1000 + ++n;
}

/* The count after "what " in the job's make-up payments summary ("matched
 * 2, ..."); other tests' claims may be counted too. */
static long
summary_count(const char *out, const char *what)
{
    const char *part = strstr(out, "make-up payments ");
    cr_assert_not_null(part, "%s", out);
    char key[64];
    snprintf(key, sizeof(key), " %s ", what);
    const char *p = strstr(part, key);
    cr_assert_not_null(p, "%s: %s", what, out);
    return strtol(p + strlen(key), NULL, 10);
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
    long latency; /* the simulator's search latency before the test */
    char now_header[64];
    char *agent, *finance;
};

static void
at(struct world *w, time_t t)
{
    char now[32];
    harness_iso(t, now);
    snprintf(w->now_header, sizeof(w->now_header), "X-Rma-Test-Now: %s", now);
    harness_sim_clock(t);
}

static void
world_init(struct world *w)
{
    harness_sim_lock();
    memset(w, 0, sizeof(*w));
    json_t *cfg = harness_sim("POST", "/sim/config", "{}");
    w->latency = (long)json_integer_value(
        json_object_get(json_object_get(cfg, "config"), "search_latency_"
                                                        "seconds"));
    if (json_object_get(cfg, "search_latency_seconds") != NULL)
        w->latency = (long)json_integer_value(
            json_object_get(cfg, "search_latency_seconds"));
    json_decref(cfg);
    search_latency(0);
    w->t0 = time(NULL) + 60;
    at(w, w->t0);
    w->agent = token_for("agent");
    w->finance = token_for("finance");
}

static void
world_free(struct world *w)
{
    search_latency(w->latency);
    harness_sim_clock(time(NULL));
    free(w->agent);
    free(w->finance);
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

/* A customer with a case owing due (e.g. "10.00" USD). */
struct buyer {
    char *email, *cookie, *number;
    long long receipt; /* a payment_receipt attachment of the case */
};

static struct http_result
customer(struct world *w, const struct buyer *b, const char *method,
         const char *path, const char *body)
{
    return harness_http(method, path,
                        harness_portal_headers(b->cookie, w->now_header), body,
                        body ? strlen(body) : 0);
}

static const char *
str(const struct http_result *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

static bool
has_action(const struct http_result *r, const char *action)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r->json, "actions"), i, a)
    {
        if (strcmp(json_string_value(a), action) == 0)
            return true;
    }
    return false;
}

static struct http_result
detail(struct world *w, const struct buyer *b)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", b->number);
    struct http_result r = customer(w, b, "GET", path, NULL);
    cr_assert_eq(r.status, 200, "detail: %s", r.body);
    return r;
}

/* Uploads tiny.png as kind to the buyer's case; returns its id. */
static long long
upload(struct world *w, const struct buyer *b, const char *kind)
{
    char file[512], path[160], cookie[512];
    snprintf(file, sizeof(file), "%s/tiny.png", IMAGE_FIXTURES);
    FILE *f = fopen(file, "rb");
    cr_assert_not_null(f, "%s", file);
    unsigned char data[4096];
    size_t len = fread(data, 1, sizeof(data), f);
    fclose(f);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/%s", b->number,
             kind);
    snprintf(cookie, sizeof(cookie), "Cookie: %s", b->cookie);
    const char *h[] = {"X-Requested-With: rma-portal", cookie,
                       "Content-Type: image/png", w->now_header, NULL};
    struct http_result r =
        harness_http("PUT", path, h, (const char *)data, len);
    cr_assert_eq(r.status, 201, "upload %s: %s", kind, r.body);
    long long id = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);
    return id;
}

/* A repair case (in warranty: no refund or quote policy involved) of the
 * customer email (NULL: a new one) with a make-up payment of due USD (the
 * shipping fee), shown to the customer; agreed (awaiting the return) unless
 * !agree. */
static struct buyer
buyer_of(struct world *w, const char *email, const char *due, bool agree)
{
    struct buyer b = {0};
    b.email = email ? strdup(email) : harness_unique_email("makeup");
    char order[32];
    snprintf(order, sizeof(order), "SO-MU-%d-%ld", (int)getpid(), unique());
    json_t *doc = json_pack(
        "{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, "
        "s:{s:s, s:s}}]}, s:s, s:s, s:[{s:s, s:s}], s:{s:s, s:s}, s:s}",
        "customer", "email", b.email, "name", "Mona Makeup", "order",
        "order_number", order, "sales_channel", "web", "shipping_country", "US",
        "currency", "USD", "purchase_date", "2026-06-01", "items", "model",
        "CAM-4K-OUT", "quantity", 1, "unit_price", "currency_code", "USD",
        "value", "129.99", "kind", "repair", "problem",
        "The camera does not power on.", "devices", "model", "CAM-4K-OUT",
        "serial_number", "SN-MU-0001", "makeup_due", "currency_code", "USD",
        "value", due, "makeup_reason", "shipping_fee");
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct http_result r =
        staff(w, w->agent, "POST", "/api/v1/staff/rmas", text);
    free(text);
    cr_assert_eq(r.status, 201, "create: %s", r.body);
    b.number = strdup(str(&r, "number"));
    harness_http_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", b.number);
    r = staff(w, w->agent, "POST", path, NULL);
    cr_assert_eq(r.status, 200, "submit: %s", r.body);
    harness_http_free(&r);
    b.cookie = harness_login(b.email);
    if (agree) {
        snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", b.number);
        r = customer(w, &b, "POST", path, NULL);
        cr_assert_eq(r.status, 200, "agree: %s", r.body);
        cr_assert_str_eq(str(&r, "status"), "awaiting_return");
        cr_assert(has_action(&r, "submit_makeup_payment"), "%s", r.body);
        harness_http_free(&r);
        b.receipt = upload(w, &b, "payment_receipt");
    }
    return b;
}

static struct buyer
buyer_new(struct world *w, const char *due, bool agree)
{
    return buyer_of(w, NULL, due, agree);
}

static void
buyer_free(struct buyer *b)
{
    free(b->email);
    free(b->cookie);
    free(b->number);
}

struct paid {
    char seller[32], buyer[32];
};

/* The customer pays value USD from payer_email, at t (PayPal's clock). */
static struct paid
pay(const char *value, const char *payer_email, time_t t)
{
    char body[512], when[32];
    harness_iso(t, when);
    snprintf(body, sizeof(body),
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"%s\"},"
             "\"payer_email\":\"%s\",\"time\":\"%s\"}",
             value, payer_email, when);
    json_t *j = harness_sim("POST", "/sim/payments", body);
    struct paid p;
    snprintf(p.seller, sizeof(p.seller), "%s",
             json_string_value(json_object_get(j, "seller_transaction_id")));
    snprintf(p.buyer, sizeof(p.buyer), "%s",
             json_string_value(json_object_get(j, "buyer_transaction_id")));
    json_decref(j);
    cr_assert_eq(strlen(p.seller), 17);
    cr_assert_eq(strlen(p.buyer), 17);
    return p;
}

static struct http_result
claim_with(struct world *w, const struct buyer *b, const char *txn,
           long long receipt)
{
    char path[128], body[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/makeup-payment", b->number);
    snprintf(body, sizeof(body),
             "{\"transaction_id\":\"%s\",\"payment_receipt_id\":%lld}", txn,
             receipt);
    return customer(w, b, "POST", path, body);
}

/* Claims txn; asserts 201 and returns the claim's status (owned). */
static char *
claim(struct world *w, const struct buyer *b, const char *txn)
{
    struct http_result r = claim_with(w, b, txn, b->receipt);
    cr_assert_eq(r.status, 201, "claim: %s", r.body);
    cr_assert_str_eq(str(&r, "transaction_id"), txn);
    char *status = strdup(str(&r, "status"));
    harness_http_free(&r);
    return status;
}

static char *
claim_field(const struct buyer *b, const char *field)
{
    return sql("SELECT coalesce(m.%s::text, '') FROM makeup_claim m JOIN rma "
               "r ON r.id = m.rma_id WHERE r.number = '%s' ORDER BY m.id DESC "
               "LIMIT 1",
               field, b->number);
}

static void
assert_claim(const struct buyer *b, const char *field, const char *want)
{
    char *v = claim_field(b, field);
    cr_assert_str_eq(v, want, "%s of %s's claim", field, b->number);
    free(v);
}

/* The sum of the case's postings on account, in minor units. */
static long
posted(const struct buyer *b, const char *account)
{
    return sql_long("SELECT coalesce(sum(p.amount_minor), 0) FROM posting p "
                    "JOIN journal_entry e ON e.id = p.entry_id JOIN rma r ON "
                    "r.id = e.rma_id WHERE e.kind = 'makeup_payment' AND "
                    "p.account = '%s' AND r.number = '%s'",
                    account, b->number);
}

static long
entries(const struct buyer *b)
{
    return sql_long("SELECT count(*) FROM journal_entry e JOIN rma r ON r.id "
                    "= e.rma_id WHERE e.kind = 'makeup_payment' AND r.number "
                    "= '%s'",
                    b->number);
}

/* The open exception of kind on the case's claims, or 0. */
static long
exception_of(const struct buyer *b, const char *kind)
{
    return sql_long("SELECT coalesce(max(f.id), 0) FROM finance_exception f "
                    "JOIN makeup_claim m ON m.id = f.makeup_id JOIN rma r ON "
                    "r.id = m.rma_id WHERE r.number = '%s' AND f.kind = '%s'",
                    b->number, kind);
}

static long
audits(const struct buyer *b, const char *action)
{
    return sql_long("SELECT count(*) FROM audit_event a JOIN rma r ON r.id = "
                    "a.rma_id WHERE r.number = '%s' AND a.action = '%s'",
                    b->number, action);
}

Test(makeup, an_exact_payment_by_its_id_is_matched_and_booked_once)
{
    struct world w;
    world_init(&w);
    struct buyer b = buyer_new(&w, "10.00", true);
    struct paid p = pay("10.00", b.email, w.t0 - 120);
    /* The id as the customer may type it: lower case, blanks around. */
    char typed[40];
    snprintf(typed, sizeof(typed), " %s ", p.seller);
    for (char *c = typed; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    struct http_result r = claim_with(&w, &b, typed, b.receipt);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(str(&r, "status"), "matched");
    cr_assert_str_eq(str(&r, "transaction_id"), p.seller);
    json_t *due = json_object_get(r.json, "amount_due");
    cr_assert_str_eq(json_string_value(json_object_get(due, "value")), "10.00");
    json_t *paid = json_object_get(r.json, "amount_paid");
    cr_assert_str_eq(json_string_value(json_object_get(paid, "value")),
                     "10.00");
    cr_assert_null(json_object_get(r.json, "match_method"),
                   "staff-only fields stay out of the customer's answer");
    harness_http_free(&r);
    assert_claim(&b, "match_method", "transaction_id");
    assert_claim(&b, "matched_transaction_id", p.seller);
    assert_claim(&b, "attempts", "1");
    /* The portal's contract: the latest claim, no more form. */
    r = detail(&w, &b);
    json_t *mp = json_object_get(r.json, "makeup_payment");
    cr_assert_str_eq(json_string_value(json_object_get(mp, "status")),
                     "matched");
    cr_assert_str_eq(json_string_value(json_object_get(mp, "transaction_id")),
                     p.seller);
    cr_assert_not_null(json_object_get(mp, "submitted_at"));
    cr_assert_not_null(json_object_get(mp, "amount_due"));
    cr_assert_not_null(json_object_get(mp, "amount_paid"));
    cr_assert_not(has_action(&r, "submit_makeup_payment"), "%s", r.body);
    harness_http_free(&r);
    /* Booked: PayPal's balance and fee against the income, once. */
    cr_assert_eq(entries(&b), 1);
    long fee = sql_long("SELECT m.fee_minor FROM makeup_claim m JOIN rma r ON "
                        "r.id = m.rma_id WHERE r.number = '%s'",
                        b.number);
    cr_assert_gt(fee, 0, "the simulator's fee");
    cr_assert_eq(posted(&b, "income:makeup_payments"), -1000);
    cr_assert_eq(posted(&b, "expense:paypal_fees"), fee);
    cr_assert_eq(posted(&b, "paypal:balance"), 1000 - fee);
    cr_assert_eq(posted(&b, "liability:makeup_surplus"), 0);
    cr_assert_eq(exception_of(&b, "makeup_underpaid") +
                     exception_of(&b, "makeup_overpaid"),
                 0);
    cr_assert_eq(audits(&b, "makeup_payment_submitted"), 1);
    cr_assert_eq(audits(&b, "makeup_payment_matched"), 1);
    /* A second claim: already paid. */
    r = claim_with(&w, &b, p.seller, b.receipt);
    cr_assert_eq(r.status, 409, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "already_paid");
    harness_http_free(&r);
    /* The job has nothing to do for it. */
    char *out = run_jobs(w.t0 + HOUR);
    free(out);
    cr_assert_eq(entries(&b), 1);
    buyer_free(&b);
    world_free(&w);
}

Test(makeup, one_cent_short_is_underpaid_and_one_cent_over_is_overpaid)
{
    struct world w;
    world_init(&w);
    struct buyer u = buyer_new(&w, "10.00", true);
    struct paid p = pay("9.99", u.email, w.t0 - 120);
    char *status = claim(&w, &u, p.seller);
    cr_assert_str_eq(status, "underpaid");
    free(status);
    long ex = exception_of(&u, "makeup_underpaid");
    cr_assert_gt(ex, 0, "finance is told");
    cr_assert_eq(sql_long("SELECT amount_minor FROM finance_exception WHERE "
                          "id = %ld",
                          ex),
                 1, "the shortfall");
    cr_assert_eq(posted(&u, "income:makeup_payments"), -999,
                 "what arrived is booked");
    cr_assert_eq(posted(&u, "liability:makeup_surplus"), 0);
    struct http_result r = detail(&w, &u);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "makeup_payment"), "status")),
                     "underpaid");
    cr_assert_not(has_action(&r, "submit_makeup_payment"),
                  "the team contacts the customer");
    harness_http_free(&r);

    struct buyer o = buyer_new(&w, "10.00", true);
    p = pay("10.01", o.email, w.t0 - 120);
    status = claim(&w, &o, p.seller);
    cr_assert_str_eq(status, "overpaid");
    free(status);
    ex = exception_of(&o, "makeup_overpaid");
    cr_assert_gt(ex, 0);
    cr_assert_eq(sql_long("SELECT amount_minor FROM finance_exception WHERE "
                          "id = %ld",
                          ex),
                 1, "the surplus");
    cr_assert_eq(posted(&o, "income:makeup_payments"), -1000);
    cr_assert_eq(posted(&o, "liability:makeup_surplus"), -1,
                 "the surplus is owed back");
    r = detail(&w, &o);
    json_t *mp = json_object_get(r.json, "makeup_payment");
    cr_assert_str_eq(json_string_value(json_object_get(mp, "status")),
                     "overpaid");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(mp, "amount_paid"), "value")),
                     "10.01");
    harness_http_free(&r);
    buyer_free(&u);
    buyer_free(&o);
    world_free(&w);
}

Test(makeup, the_buyers_id_is_matched_by_amount_payer_and_date)
{
    struct world w;
    world_init(&w);
    struct buyer b = buyer_new(&w, "10.00", true);
    /* Another payment of the same customer, of another amount, and one of
     * the same amount by someone else: neither is taken. */
    pay("25.00", b.email, w.t0 - 600);
    pay("10.00", "stranger@example.net", w.t0 - 300);
    struct paid p = pay("10.00", b.email, w.t0 - 120);
    char *status = claim(&w, &b, p.buyer);
    cr_assert_str_eq(status, "matched");
    free(status);
    assert_claim(&b, "transaction_id", p.buyer);
    assert_claim(&b, "matched_transaction_id", p.seller);
    assert_claim(&b, "match_method", "fallback_amount_email_date");
    cr_assert_eq(sql_long("SELECT count(*) FROM journal_entry WHERE "
                          "idempotency_key = 'makeup:%s'",
                          p.seller),
                 1, "booked under the seller's id");
    /* The same payment claimed by its buyer id once more from another case
     * of the customer: the fallback does not take a payment twice. */
    struct buyer again = buyer_of(&w, b.email, "10.00", true);
    status = claim(&w, &again, p.buyer);
    cr_assert_str_eq(status, "pending", "no free payment found yet");
    free(status);
    buyer_free(&again);
    buyer_free(&b);
    world_free(&w);
}

Test(makeup, the_same_payment_claimed_by_two_cases_is_a_duplicate)
{
    struct world w;
    world_init(&w);
    struct buyer a = buyer_new(&w, "10.00", true);
    struct buyer b = buyer_new(&w, "10.00", true);
    struct paid p = pay("10.00", a.email, w.t0 - 120);
    char *status = claim(&w, &a, p.seller);
    cr_assert_str_eq(status, "matched");
    free(status);
    status = claim(&w, &b, p.seller);
    cr_assert_str_eq(status, "duplicate");
    free(status);
    cr_assert_gt(exception_of(&b, "makeup_duplicate"), 0);
    cr_assert_eq(entries(&a), 1);
    cr_assert_eq(entries(&b), 0, "booked for the first case only");
    assert_claim(&b, "outcome_reason", "already_claimed");
    /* The portal says so, and the customer may try another id. */
    struct http_result r = detail(&w, &b);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "makeup_payment"), "status")),
                     "duplicate");
    cr_assert(has_action(&r, "submit_makeup_payment"));
    harness_http_free(&r);
    buyer_free(&a);
    buyer_free(&b);
    world_free(&w);
}

Test(makeup, pending_while_paypal_lags_then_matched_by_the_job)
{
    struct world w;
    world_init(&w);
    search_latency(HOUR); /* PayPal's reports trail by an hour */
    struct buyer b = buyer_new(&w, "10.00", true);
    struct paid p = pay("10.00", b.email, w.t0 - 120);
    char *status = claim(&w, &b, p.seller);
    cr_assert_str_eq(status, "pending");
    free(status);
    assert_claim(&b, "attempts", "1");
    assert_claim(&b, "outcome_reason", "not_found");
    struct http_result r = detail(&w, &b);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "makeup_payment"), "status")),
                     "pending");
    cr_assert_not(has_action(&r, "submit_makeup_payment"),
                  "one claim at a time");
    harness_http_free(&r);
    r = claim_with(&w, &b, p.seller, b.receipt);
    cr_assert_eq(r.status, 409);
    cr_assert_str_eq(harness_error_code(&r), "claim_pending");
    harness_http_free(&r);
    /* Backoff: the next look is 15 minutes after the first. */
    at(&w, w.t0 + 15 * 60 - 1);
    char *out = run_jobs(w.t0 + 15 * 60 - 1);
    free(out);
    assert_claim(&b, "attempts", "1");
    at(&w, w.t0 + 15 * 60);
    out = run_jobs(w.t0 + 15 * 60);
    cr_assert_geq(summary_count(out, "pending"), 1, "%s", out);
    free(out);
    assert_claim(&b, "attempts", "2");
    assert_claim(&b, "status", "pending");
    /* ... then 30 minutes after that. */
    at(&w, w.t0 + 45 * 60 - 1);
    out = run_jobs(w.t0 + 45 * 60 - 1);
    free(out);
    assert_claim(&b, "attempts", "2");
    /* The data arrives. */
    at(&w, w.t0 + 2 * HOUR);
    out = run_jobs(w.t0 + 2 * HOUR);
    cr_assert_geq(summary_count(out, "matched"), 1, "%s", out);
    free(out);
    assert_claim(&b, "status", "matched");
    assert_claim(&b, "attempts", "3");
    cr_assert_eq(entries(&b), 1);
    cr_assert_eq(sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON "
                          "r.id = m.rma_id WHERE r.number = '%s' AND m.kind = "
                          "'makeup_payment'",
                          b.number),
                 1, "the customer is told");
    cr_assert_eq(audits(&b, "makeup_payment_matched"), 1);
    buyer_free(&b);
    world_free(&w);
}

Test(makeup, a_payment_never_found_is_unmatched_after_72_hours)
{
    struct world w;
    world_init(&w);
    struct buyer b = buyer_new(&w, "10.00", true);
    char txn[32];
    snprintf(txn, sizeof(txn), "0NOSUCH%010ld",
             ((long)getpid() * 100000 + unique()) % 10000000000L);
    char *status = claim(&w, &b, txn);
    cr_assert_str_eq(status, "pending");
    free(status);
    time_t end = w.t0 + 72 * HOUR;
    at(&w, end - 1);
    char *out = run_jobs(end - 1);
    free(out);
    assert_claim(&b, "status", "pending");
    char *next = sql("SELECT iso_utc(m.next_attempt_at) FROM makeup_claim m "
                     "JOIN rma r ON r.id = m.rma_id WHERE r.number = '%s'",
                     b.number);
    char want[32];
    harness_iso(end, want);
    cr_assert_str_eq(next, want, "the last look is at the window's end");
    free(next);
    at(&w, end);
    out = run_jobs(end);
    cr_assert_geq(summary_count(out, "unmatched"), 1, "%s", out);
    free(out);
    assert_claim(&b, "status", "unmatched");
    assert_claim(&b, "outcome_reason", "not_found");
    long ex = exception_of(&b, "makeup_unmatched");
    cr_assert_gt(ex, 0);
    cr_assert_eq(entries(&b), 0);
    at(&w, w.t0); /* back where the customer's session is still valid */
    struct http_result r = detail(&w, &b);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "makeup_payment"), "status")),
                     "unmatched");
    cr_assert(has_action(&r, "submit_makeup_payment"), "another try");
    harness_http_free(&r);

    /* Finance: the list, then the resolution with a note, once. */
    char *id = claim_field(&b, "id");
    r = staff(&w, w.finance, "GET", "/api/v1/staff/makeup-payments?status=open",
              NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    bool listed = false;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "makeup_payments"), i, c)
    {
        if (json_integer_value(json_object_get(c, "id")) == atoll(id)) {
            listed = true;
            cr_assert_str_eq(
                json_string_value(json_object_get(c, "rma_number")), b.number);
            cr_assert_str_eq(json_string_value(json_object_get(c, "status")),
                             "unmatched");
            json_t *e = json_object_get(c, "exception");
            cr_assert_str_eq(json_string_value(json_object_get(e, "kind")),
                             "makeup_unmatched");
        }
    }
    cr_assert(listed, "%s", r.body);
    harness_http_free(&r);
    r = staff(&w, w.agent, "GET", "/api/v1/staff/makeup-payments", NULL);
    cr_assert_eq(r.status, 403, "agents do not see finance's list");
    harness_http_free(&r);
    r = staff(&w, w.finance, "GET", "/api/v1/staff/makeup-payments?status=paid",
              NULL);
    cr_assert_eq(r.status, 400);
    harness_http_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/makeup-payments/%s/resolve",
             id);
    r = staff(&w, w.agent, "POST", path, "{\"note\":\"x\"}");
    cr_assert_eq(r.status, 403);
    harness_http_free(&r);
    r = staff(&w, w.finance, "POST", path, "{\"note\":\"\"}");
    cr_assert_eq(r.status, 422, "a note is required: %s", r.body);
    harness_http_free(&r);
    r = staff(&w, w.finance, "POST", path,
              "{\"note\":\"customer called: paid by bank transfer\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *e = json_object_get(r.json, "exception");
    cr_assert_str_eq(json_string_value(json_object_get(e, "resolution")),
                     "customer called: paid by bank transfer");
    cr_assert_not_null(json_object_get(e, "resolved_at"));
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM finance_exception WHERE id = "
                          "%ld AND resolved_at IS NOT NULL",
                          ex),
                 1);
    assert_claim(&b, "resolution", "customer called: paid by bank transfer");
    cr_assert_eq(audits(&b, "makeup_payment_resolved"), 1);
    r = staff(&w, w.finance, "POST", path, "{\"note\":\"again\"}");
    cr_assert_eq(r.status, 409, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "nothing_to_resolve");
    harness_http_free(&r);
    r = staff(&w, w.finance, "POST",
              "/api/v1/staff/makeup-payments/999999999/resolve",
              "{\"note\":\"x\"}");
    cr_assert_eq(r.status, 404);
    harness_http_free(&r);
    free(id);
    buyer_free(&b);
    world_free(&w);
}

Test(makeup, claims_are_checked_before_anything_is_recorded)
{
    struct world w;
    world_init(&w);
    /* Before the customer agreed: no form, and 409. */
    struct buyer early = buyer_new(&w, "10.00", false);
    struct http_result r = detail(&w, &early);
    cr_assert_str_eq(str(&r, "status"), "pending_confirm");
    cr_assert_not(has_action(&r, "submit_makeup_payment"));
    harness_http_free(&r);
    early.receipt = upload(&w, &early, "payment_receipt");
    r = claim_with(&w, &early, "5TY05013RG002845M", early.receipt);
    cr_assert_eq(r.status, 409, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "invalid_state");
    harness_http_free(&r);

    struct buyer b = buyer_new(&w, "10.00", true);
    struct buyer other = buyer_new(&w, "10.00", true);
    /* 17 characters, no more, no less, letters and digits. */
    r = claim_with(&w, &b, "5TY05013RG002845", b.receipt);
    cr_assert_eq(r.status, 422, "16 characters: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "invalid_transaction_id");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "field")),
                     "transaction_id");
    harness_http_free(&r);
    r = claim_with(&w, &b, "5TY05013RG002845MM", b.receipt);
    cr_assert_eq(r.status, 422, "18 characters");
    harness_http_free(&r);
    r = claim_with(&w, &b, "5TY05013RG0028-5M", b.receipt);
    cr_assert_eq(r.status, 422);
    harness_http_free(&r);
    /* The screenshot: of this case, and a payment_receipt. */
    r = claim_with(&w, &b, "5TY05013RG002845M", other.receipt);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "unknown_attachment");
    harness_http_free(&r);
    long long photo = upload(&w, &b, "product_photo");
    r = claim_with(&w, &b, "5TY05013RG002845M", photo);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "wrong_attachment_kind");
    harness_http_free(&r);
    /* Missing and unknown fields. */
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/makeup-payment", b.number);
    r = customer(&w, &b, "POST", path,
                 "{\"transaction_id\":\"5TY05013RG002845M\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "field")),
                     "payment_receipt_id");
    harness_http_free(&r);
    r = customer(&w, &b, "POST", path,
                 "{\"transaction_id\":\"5TY05013RG002845M\","
                 "\"payment_receipt_id\":1,\"amount\":\"10.00\"}");
    cr_assert_eq(r.status, 400, "%s", r.body);
    harness_http_free(&r);
    /* Another customer's case: 404, as for any case not theirs. */
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/makeup-payment",
             other.number);
    char body[128];
    snprintf(body, sizeof(body),
             "{\"transaction_id\":\"5TY05013RG002845M\","
             "\"payment_receipt_id\":%lld}",
             b.receipt);
    r = customer(&w, &b, "POST", path, body);
    cr_assert_eq(r.status, 404, "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM makeup_claim m JOIN rma r ON "
                          "r.id = m.rma_id WHERE r.number IN ('%s', '%s', "
                          "'%s')",
                          b.number, other.number, early.number),
                 0, "nothing recorded");
    /* A repeated Idempotency-Key answers the first answer. */
    struct paid p = pay("10.00", b.email, w.t0 - 120);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/makeup-payment", b.number);
    snprintf(body, sizeof(body),
             "{\"transaction_id\":\"%s\",\"payment_receipt_id\":%lld}",
             p.seller, b.receipt);
    char key[128];
    snprintf(key, sizeof(key), "Idempotency-Key: mu-%d-%ld", (int)getpid(),
             unique());
    char cookie[512];
    snprintf(cookie, sizeof(cookie), "Cookie: %s", b.cookie);
    const char *h[] = {"X-Requested-With: rma-portal",
                       "Content-Type: application/json",
                       cookie,
                       key,
                       w.now_header,
                       NULL};
    r = harness_http("POST", path, h, body, strlen(body));
    cr_assert_eq(r.status, 201, "%s", r.body);
    harness_http_free(&r);
    r = harness_http("POST", path, h, body, strlen(body));
    cr_assert_eq(r.status, 201, "the first answer again: %s", r.body);
    cr_assert_str_eq(str(&r, "status"), "matched");
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM makeup_claim m JOIN rma r ON "
                          "r.id = m.rma_id WHERE r.number = '%s'",
                          b.number),
                 1);
    buyer_free(&early);
    buyer_free(&b);
    buyer_free(&other);
    world_free(&w);
}

/* ---- the webhook of a completed capture ---- */

/* A PayPal call to the simulator as the service's client. */
static json_t *
paypal(const char *path, const char *body, const char *request_id)
{
    char *tok =
        harness_runf(false,
                     "curl -sS -u rma-demo-client:sim-secret -d "
                     "grant_type=client_credentials '%s/v1/oauth2/token'",
                     harness_env("RMA_TEST_SIM_URL"));
    json_t *t = json_loads(tok, 0, NULL);
    free(tok);
    char *out =
        harness_runf(false,
                     "curl -sS -X POST -H 'Authorization: Bearer %s' -H "
                     "'Content-Type: application/json' -H 'Prefer: "
                     "return=representation' -H 'PayPal-Request-Id: %s' "
                     "--data '%s' '%s%s'",
                     json_string_value(json_object_get(t, "access_token")),
                     request_id, body, harness_env("RMA_TEST_SIM_URL"), path);
    json_decref(t);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s: %s", path, out);
    free(out);
    return j;
}

/* The vendor captures a checkout payment of value USD; returns the capture
 * id (PayPal then sends PAYMENT.CAPTURE.COMPLETED). */
static char *
checkout_capture(const char *value)
{
    char rid[64], body[256], path[160];
    snprintf(rid, sizeof(rid), "mu-%d-%ld-o", (int)getpid(), unique());
    snprintf(body, sizeof(body),
             "{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":{"
             "\"currency_code\":\"USD\",\"value\":\"%s\"}}]}",
             value);
    json_t *o = paypal("/v2/checkout/orders", body, rid);
    char *order = strdup(json_string_value(json_object_get(o, "id")));
    json_decref(o);
    snprintf(path, sizeof(path), "/sim/orders/%s/approve", order);
    harness_sim_ok("POST", path, "{}");
    snprintf(rid, sizeof(rid), "mu-%d-%ld-a", (int)getpid(), unique());
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order);
    json_t *a = paypal(path, "{}", rid);
    json_t *auths = json_object_get(
        json_object_get(json_array_get(json_object_get(a, "purchase_units"), 0),
                        "payments"),
        "authorizations");
    const char *auth =
        json_string_value(json_object_get(json_array_get(auths, 0), "id"));
    cr_assert_not_null(auth, "authorize: %s", json_dumps(a, 0));
    snprintf(path, sizeof(path), "/v2/payments/authorizations/%s/capture",
             auth);
    json_decref(a);
    snprintf(rid, sizeof(rid), "mu-%d-%ld-c", (int)getpid(), unique());
    json_t *c = paypal(path, "{\"final_capture\":true}", rid);
    char *id = strdup(json_string_value(json_object_get(c, "id")));
    cr_assert_str_eq(json_string_value(json_object_get(c, "status")),
                     "COMPLETED");
    json_decref(c);
    free(order);
    return id;
}

/* The delivery record of the event about resource id. */
static json_t *
delivery_of(const char *event_type, const char *id)
{
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    json_t *found = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(state, "webhooks"), i, e)
    {
        const char *body = json_string_value(json_object_get(e, "body"));
        if (body != NULL && strstr(body, id) != NULL &&
            strstr(body, event_type) != NULL)
            found = e;
    }
    if (found != NULL)
        json_incref(found);
    json_decref(state);
    cr_assert_not_null(found, "no %s event for %s", event_type, id);
    return found;
}

Test(makeup, a_capture_webhook_settles_the_pending_claim_naming_it)
{
    struct world w;
    world_init(&w);
    /* The service's clock is the real one here: webhooks are checked
     * against it. */
    time_t now = time(NULL);
    at(&w, now);
    struct buyer b = buyer_new(&w, "12.34", true);
    /* PayPal's clock an hour ahead: its deliveries are refused as
     * future-dated until it is set right, so the event waits for the
     * claim; and its reports do not show the capture yet. */
    harness_sim_clock(now + HOUR);
    char *capture = checkout_capture("12.34");
    char *status = claim(&w, &b, capture);
    cr_assert_str_eq(status, "pending");
    free(status);
    json_t *rec = delivery_of("PAYMENT.CAPTURE.COMPLETED", capture);
    cr_assert_str_neq(json_string_value(json_object_get(rec, "status")),
                      "delivered", "refused while the clocks disagree");
    json_decref(rec);
    harness_sim_clock(time(NULL));
    /* The delivery thread may be retrying it meanwhile: wait for it. */
    for (int i = 0; i < 50; i++) {
        harness_sim_ok("POST", "/sim/webhooks/flush", "{}");
        rec = delivery_of("PAYMENT.CAPTURE.COMPLETED", capture);
        if (json_integer_value(json_object_get(rec, "last_http_status")) == 200)
            break;
        json_decref(rec);
        rec = NULL;
        usleep(100 * 1000);
    }
    cr_assert_not_null(rec, "the event was delivered once the clocks agree");
    const char *event = json_string_value(json_object_get(rec, "event_id"));
    char *outcome = sql("SELECT outcome FROM paypal_webhook_event WHERE "
                        "event_id = '%s'",
                        event);
    cr_assert_str_eq(outcome, "make-up payment matched");
    free(outcome);
    json_decref(rec);
    assert_claim(&b, "status", "matched");
    assert_claim(&b, "matched_transaction_id", capture);
    assert_claim(&b, "match_method", "transaction_id");
    cr_assert_eq(entries(&b), 1);
    cr_assert_eq(posted(&b, "income:makeup_payments"), -1234);
    /* The job later finds the claim settled and leaves it. */
    char *out = run_jobs(time(NULL) + 2 * HOUR);
    free(out);
    cr_assert_eq(entries(&b), 1);
    free(capture);
    buyer_free(&b);
    world_free(&w);
}

Test(makeup, a_payment_from_another_paypal_account_goes_to_finance)
{
    struct world w;
    world_init(&w);
    struct buyer b = buyer_new(&w, "10.00", true);
    /* The right amount, the id the customer typed, someone else's
     * account: not taken as the customer's payment. */
    struct paid p = pay("10.00", "someone-else@example.net", w.t0 - 120);
    char *status = claim(&w, &b, p.seller);
    cr_assert_str_eq(status, "unmatched");
    free(status);
    assert_claim(&b, "outcome_reason", "payer_differs");
    cr_assert_gt(exception_of(&b, "makeup_unmatched"), 0);
    cr_assert_eq(entries(&b), 0, "nothing booked");
    buyer_free(&b);
    world_free(&w);
}
