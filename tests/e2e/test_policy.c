/* test_policy.c - through nginx: the refund policy's restocking fee, repair
 * quotes approved and declined, the RMA number's validity expiring by the
 * job and extended by a supervisor, and who may call the new staff routes
 * (policy.h, SPEC §4.1, §5.5).
 *
 * The expiry tests run `rmactl run-jobs` with a clock in the past (cases
 * approved four months ago by the service clock), so nothing another test
 * made is old enough to expire; the tests of this binary still take a file
 * lock and run one at a time. */
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

static void
serialize(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/policy-tests.lock",
             harness_env("RMA_TEST_RUN"));
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0); /* held until the test exits */
}

static void
iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
day_of(time_t t, char out[16])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

struct world {
    char now_header[64];
    char *agent, *supervisor, *warehouse, *finance;
    char *email, *cookie;
};

static void
at(struct world *w, time_t t)
{
    char now[32];
    iso(t, now);
    snprintf(w->now_header, sizeof(w->now_header), "X-Rma-Test-Now: %s", now);
}

static char *
token_for(const char *role)
{
    char *name = harness_unique_email(role);
    char *token = harness_staff_token(role, name);
    free(name);
    return token;
}

static void
world_init(struct world *w)
{
    serialize();
    memset(w, 0, sizeof(*w));
    at(w, time(NULL));
    w->agent = token_for("agent");
    w->supervisor = token_for("supervisor");
    w->warehouse = token_for("warehouse");
    w->finance = token_for("finance");
    w->email = harness_unique_email("policy");
}

static void
world_free(struct world *w)
{
    free(w->agent);
    free(w->supervisor);
    free(w->warehouse);
    free(w->finance);
    free(w->email);
    free(w->cookie);
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
    if (w->cookie == NULL)
        w->cookie = harness_login(w->email);
    return harness_http(method, path,
                        harness_portal_headers(w->cookie, w->now_header), body,
                        body ? strlen(body) : 0);
}

static const char *
str(const struct http_result *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

/* A value at a dotted path of r's JSON ("policy.refund.why"), or NULL. */
static json_t *
at_path(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf, *dot; j != NULL && p != NULL; p = dot) {
        dot = strchr(p, '.');
        if (dot != NULL)
            *dot++ = '\0';
        j = json_object_get(j, p);
    }
    return j;
}

static const char *
sp(const struct http_result *r, const char *path)
{
    return json_string_value(at_path(r->json, path));
}

/* Money at path as "value currency". */
static char *
money_at(const struct http_result *r, const char *path)
{
    json_t *m = at_path(r->json, path);
    cr_assert_not_null(m, "%s missing in %s", path, r->body);
    char *s;
    cr_assert(
        asprintf(&s, "%s %s", json_string_value(json_object_get(m, "value")),
                 json_string_value(json_object_get(m, "currency_code"))) > 0);
    return s;
}

static void
assert_money(const struct http_result *r, const char *path, const char *want)
{
    char *got = money_at(r, path);
    cr_assert_str_eq(got, want, "%s in %s", path, r->body);
    free(got);
}

static unsigned long
unique(void)
{
    static unsigned long n;
    return ((unsigned long)getpid() << 16) + (unsigned long)time(NULL) % 65536 +
           ++n * 7919;
}

/* POST /api/v1/staff/rmas as the agent; extra is more fields (",..." or
 * ""). */
static struct http_result
create(struct world *w, const char *kind, const char *purchase,
       const char *model, const char *country, const char *currency,
       const char *price, const char *extra)
{
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Pat Policy\"},"
             "\"order\":{\"order_number\":\"SO-POL-%lu\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"%s\",\"currency\":\"%s\","
             "\"purchase_date\":\"%s\",\"items\":[{\"model\":\"%s\","
             "\"quantity\":1,\"unit_price\":{\"currency_code\":\"%s\","
             "\"value\":\"%s\"}}]},\"kind\":\"%s\",\"problem\":\"It stopped "
             "working.\",\"devices\":[{\"model\":\"%s\",\"serial_number\":"
             "\"SN-POL-0001\"}]%s}",
             w->email, unique(), country, currency, purchase, model, currency,
             price, kind, model, extra);
    return staff(w, w->agent, "POST", "/api/v1/staff/rmas", body);
}

static char *
created_number(struct http_result *r)
{
    cr_assert_eq(r->status, 201, "create: %s", r->body);
    char *n = strdup(str(r, "number"));
    harness_http_free(r);
    return n;
}

static void
step(struct world *w, const char *token, const char *number, const char *what,
     const char *body, const char *want_status)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/%s", number, what);
    struct http_result r = staff(w, token, "POST", path, body);
    cr_assert_eq(r.status, 200, "%s: %s", what, r.body);
    cr_assert_str_eq(str(&r, "status"), want_status, "%s: %s", what, r.body);
    harness_http_free(&r);
}

static struct http_result
customer_get(struct world *w, const char *number)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    struct http_result r = customer(w, "GET", path, NULL);
    cr_assert_eq(r.status, 200, "detail: %s", r.body);
    return r;
}

static bool
has_action(const struct http_result *r, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r->json, "actions"), i, a)
    {
        if (strcmp(json_string_value(a), name) == 0)
            return true;
    }
    return false;
}

/* ---- refunds ---- */

Test(policy, refund_within_30_days_keeps_a_25_percent_restocking_fee)
{
    struct world w;
    world_init(&w);
    char bought[16];
    day_of(time(NULL) - 10 * DAY, bought);
    struct http_result r =
        create(&w, "refund", bought, "CAM-4K-OUT", "US", "USD", "99.99", "");
    cr_assert_eq(r.status, 201, "%s", r.body);
    /* 25% of 99.99 is 24.9975 -> 25.00 (half-up on minor units). */
    assert_money(&r, "amounts.refund", "74.99 USD");
    assert_money(&r, "policy.refund.price", "99.99 USD");
    assert_money(&r, "policy.refund.restocking_fee", "25.00 USD");
    cr_assert_str_eq(sp(&r, "policy.refund.restocking_fee_percent"), "25");
    cr_assert(json_is_false(at_path(r.json, "policy.refund.overridden")));
    char *number = created_number(&r);

    step(&w, w.agent, number, "submit", NULL, "pending_confirm");
    r = customer_get(&w, number);
    assert_money(&r, "amounts.refund", "74.99 USD");
    assert_money(&r, "policy.refund.restocking_fee", "25.00 USD");
    const char *why = sp(&r, "policy.refund.why");
    cr_assert(why != NULL && strstr(why, "25% restocking fee") &&
                  strstr(why, "25.00 USD") && strstr(why, "30 days"),
              "%s", r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(policy, refund_fee_in_jpy_has_no_decimals)
{
    struct world w;
    world_init(&w);
    char bought[16];
    day_of(time(NULL) - 3 * DAY, bought);
    struct http_result r =
        create(&w, "refund", bought, "CAM-2K-IN", "JP", "JPY", "1500", "");
    cr_assert_eq(r.status, 201, "%s", r.body);
    assert_money(&r, "policy.refund.restocking_fee", "375 JPY");
    assert_money(&r, "amounts.refund", "1125 JPY");
    harness_http_free(&r);
    world_free(&w);
}

Test(policy, refund_window_day_30_allowed_day_31_needs_a_reason)
{
    struct world w;
    world_init(&w);
    time_t now = time(NULL);
    char d30[16], d31[16];
    day_of(now - 30 * DAY, d30);
    day_of(now - 31 * DAY, d31);
    struct http_result r =
        create(&w, "refund", d30, "PSU-12V", "US", "USD", "20.00", "");
    cr_assert_eq(r.status, 201, "day 30: %s", r.body);
    assert_money(&r, "amounts.refund", "15.00 USD");
    harness_http_free(&r);

    r = create(&w, "refund", d31, "PSU-12V", "US", "USD", "20.00", "");
    cr_assert_eq(r.status, 422, "day 31: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "refund_window_passed");
    harness_http_free(&r);
    const char *full =
        ",\"refund_amount\":{\"currency_code\":\"USD\",\"value\":\"20.00\"}";
    r = create(&w, "refund", d31, "PSU-12V", "US", "USD", "20.00", full);
    cr_assert_eq(r.status, 422, "day 31, no reason: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "override_reason_required");
    harness_http_free(&r);

    char extra[256];
    snprintf(extra, sizeof(extra),
             "%s,\"refund_override_reason\":\"Arrived broken; goodwill.\"",
             full);
    r = create(&w, "refund", d31, "PSU-12V", "US", "USD", "20.00", extra);
    cr_assert_eq(r.status, 201, "override: %s", r.body);
    assert_money(&r, "amounts.refund", "20.00 USD");
    assert_money(&r, "policy.refund.restocking_fee", "0.00 USD");
    cr_assert(json_is_true(at_path(r.json, "policy.refund.overridden")));
    cr_assert_str_eq(sp(&r, "policy.refund.override_reason"),
                     "Arrived broken; goodwill.");
    char *number = created_number(&r);
    step(&w, w.agent, number, "submit", NULL, "pending_confirm");
    r = customer_get(&w, number);
    cr_assert(json_is_true(at_path(r.json, "policy.refund.overridden")));
    cr_assert_null(at_path(r.json, "policy.refund.override_reason"),
                   "the agent's reason is internal: %s", r.body);
    cr_assert_not_null(strstr(sp(&r, "policy.refund.why"), "31 days"));
    harness_http_free(&r);

    /* Within the window, another amount than the policy's needs a reason
     * too. */
    r = create(&w, "refund", d30, "PSU-12V", "US", "USD", "20.00", full);
    cr_assert_eq(r.status, 422, "day 30, full refund: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "override_reason_required");
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

/* ---- repairs ---- */

/* A repair case taken to `received`: created, submitted, agreed, received
 * by the warehouse. */
static char *
received_repair(struct world *w, const char *purchase)
{
    struct http_result r =
        create(w, "repair", purchase, "CAM-4K-OUT", "US", "USD", "129.99", "");
    char *number = created_number(&r);
    step(w, w->agent, number, "submit", NULL, "pending_confirm");
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    r = customer(w, "POST", path, NULL);
    cr_assert_eq(r.status, 200, "agree: %s", r.body);
    cr_assert_str_eq(str(&r, "status"), "awaiting_return");
    harness_http_free(&r);
    step(w, w->warehouse, number, "receipt",
         "{\"condition\":\"used\",\"serial_number\":\"SN-POL-0001\"}",
         "received");
    return number;
}

static struct http_result
quote(struct world *w, const char *token, const char *number, const char *value)
{
    char path[256], body[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/quote", number);
    snprintf(body, sizeof(body),
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"%s\"},"
             "\"notes\":\"Replace the image sensor.\"}",
             value);
    return staff(w, token, "POST", path, body);
}

static struct http_result
decide(struct world *w, const char *number, const char *decision)
{
    char path[256], body[64];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/quote-decision", number);
    snprintf(body, sizeof(body), "{\"decision\":\"%s\"}", decision);
    return customer(w, "POST", path, body);
}

Test(policy, out_of_warranty_repair_quote_approved_stays_due)
{
    struct world w;
    world_init(&w);
    char *number = received_repair(&w, "2023-01-15"); /* 24 months: over */
    struct http_result r = quote(&w, w.warehouse, number, "80.00");
    cr_assert_eq(r.status, 200, "quote: %s", r.body);
    cr_assert_str_eq(str(&r, "status"), "quote_pending");
    assert_money(&r, "amounts.makeup_due", "80.00 USD");
    cr_assert_str_eq(sp(&r, "amounts.makeup_reason"), "repair_fee");
    cr_assert_str_eq(sp(&r, "policy.quote.basis"), "out_of_warranty");
    harness_http_free(&r);
    r = quote(&w, w.warehouse, number, "80.00");
    cr_assert_eq(r.status, 409, "quoted twice: %s", r.body);
    harness_http_free(&r);

    r = customer_get(&w, number);
    cr_assert(has_action(&r, "decide_quote"), "%s", r.body);
    cr_assert_str_eq(sp(&r, "policy.quote.status"), "pending");
    assert_money(&r, "policy.quote.amount", "80.00 USD");
    cr_assert_str_eq(sp(&r, "policy.quote.notes"), "Replace the image sensor.");
    harness_http_free(&r);

    r = decide(&w, number, "maybe");
    cr_assert_eq(r.status, 422, "%s", r.body);
    harness_http_free(&r);
    r = decide(&w, number, "approve");
    cr_assert_eq(r.status, 200, "approve: %s", r.body);
    cr_assert_str_eq(str(&r, "status"), "received");
    assert_money(&r, "amounts.makeup_due", "80.00 USD");
    cr_assert_str_eq(sp(&r, "amounts.makeup_reason"), "repair_fee");
    cr_assert_str_eq(sp(&r, "policy.quote.status"), "approved");
    cr_assert_not(has_action(&r, "decide_quote"));
    harness_http_free(&r);
    r = decide(&w, number, "decline");
    cr_assert_eq(r.status, 409, "decided twice: %s", r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(policy, packaging_damage_quote_declined_leaves_a_handling_fee)
{
    struct world w;
    world_init(&w);
    char bought[16];
    day_of(time(NULL) - 60 * DAY, bought); /* in warranty */
    char *number = received_repair(&w, bought);
    /* In warranty and not damaged: the repair is free, no quote. */
    struct http_result r = quote(&w, w.warehouse, number, "50.00");
    cr_assert_eq(r.status, 422, "in warranty: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "quote_not_allowed");
    harness_http_free(&r);

    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/inspection", number);
    r = staff(&w, w.warehouse, "POST", path,
              "{\"outcome\":\"damaged_in_transit\",\"notes\":\"Loose in a "
              "thin envelope.\"}");
    cr_assert_eq(r.status, 201, "inspection: %s", r.body);
    harness_http_free(&r);

    r = quote(&w, w.warehouse, number, "50.05");
    cr_assert_eq(r.status, 200, "quote: %s", r.body);
    cr_assert_str_eq(sp(&r, "policy.quote.basis"), "packaging_damage");
    assert_money(&r, "amounts.makeup_due", "50.05 USD");
    harness_http_free(&r);

    r = decide(&w, number, "decline");
    cr_assert_eq(r.status, 200, "decline: %s", r.body);
    cr_assert_str_eq(str(&r, "status"), "received");
    /* Camera line: 10% of 50.05 = 5.005 -> 5.01 (half-up). */
    assert_money(&r, "amounts.makeup_due", "5.01 USD");
    assert_money(&r, "policy.quote.handling_fee", "5.01 USD");
    cr_assert_str_eq(sp(&r, "policy.quote.status"), "declined");
    harness_http_free(&r);

    /* The decision is in the timeline, by the customer. */
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/events", number);
    r = customer(&w, "GET", path, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "\"quote_decided\""), "%s", r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(policy, quote_routes_check_roles_and_state)
{
    struct world w;
    world_init(&w);
    char *number = received_repair(&w, "2023-01-15");
    const char *others[] = {w.agent, w.supervisor, w.finance};
    for (size_t i = 0; i < 3; i++) {
        struct http_result r = quote(&w, others[i], number, "80.00");
        cr_assert_eq(r.status, 403, "role %zu: %s", i, r.body);
        harness_http_free(&r);
    }
    /* Not quoted yet: no decision to make. */
    struct http_result r = decide(&w, number, "approve");
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);
    /* A quote in another currency. */
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/quote", number);
    r = staff(&w, w.warehouse, "POST", path,
              "{\"amount\":{\"currency_code\":\"EUR\",\"value\":\"80.00\"},"
              "\"notes\":\"x\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "currency_mismatch");
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

/* ---- validity ---- */

/* How many mails of kind the outbox holds for case number. */
static long
mails(const char *number, const char *kind)
{
    char q[512];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM mail_outbox m JOIN rma r ON r.id ="
             " m.rma_id WHERE r.number = '%s' AND m.kind = '%s'",
             number, kind);
    char *v = harness_runf(false, "%s '%s' -XAtq -c \"%s\"",
                           harness_env("RMA_TEST_PSQL"),
                           harness_env("RMA_TEST_ADMIN_URL"), q);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

/* rmactl run-jobs at t; asserts it ran. */
static void
run_jobs(time_t t)
{
    char now[32], cmd[256];
    iso(t, now);
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %s 2>&1", now);
    char *out;
    int rc = harness_run(cmd, &out);
    cr_assert(rc == 0 || rc == 1, "%s -> %d: %s", cmd, rc, out);
    cr_assert_not_null(strstr(out, "RMAs expired"), "%s", out);
    free(out);
}

static char *
status_of(struct world *w, const char *number)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    struct http_result r = staff(w, w->agent, "GET", path, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char *s = strdup(str(&r, "status"));
    harness_http_free(&r);
    return s;
}

static void
assert_status(struct world *w, const char *number, const char *want)
{
    char *s = status_of(w, number);
    cr_assert_str_eq(s, want, "%s", number);
    free(s);
}

/* A case approved (made visible) at t. */
static char *
approved_at(struct world *w, time_t t)
{
    at(w, t);
    char bought[16];
    day_of(t - 5 * DAY, bought);
    struct http_result r =
        create(w, "replacement", bought, "DB-PRO", "US", "USD", "149.00",
               ",\"replacement_value\":{\"currency_code\":\"USD\","
               "\"value\":\"149.00\"}");
    char *number = created_number(&r);
    step(w, w->agent, number, "submit", NULL, "pending_confirm");
    return number;
}

Test(policy, rma_number_expires_90_days_after_approval)
{
    struct world w;
    world_init(&w);
    time_t t = time(NULL) - 150 * DAY;
    char *number = approved_at(&w, t);
    struct http_result r = customer_get(&w, number);
    char until[32];
    iso(t + 90 * DAY, until);
    cr_assert_str_eq(sp(&r, "policy.validity.valid_until"), until, "%s",
                     r.body);
    cr_assert_eq(json_integer_value(at_path(r.json, "policy.validity.days")),
                 90);
    harness_http_free(&r);

    /* A week before, the customer is warned, once. */
    run_jobs(t + 83 * DAY - 60);
    cr_assert_eq(mails(number, "rma_expiring"), 0, "too early");
    run_jobs(t + 83 * DAY + 60);
    run_jobs(t + 84 * DAY);
    cr_assert_eq(mails(number, "rma_expiring"), 1, "warned once");
    run_jobs(t + 90 * DAY); /* exactly 90 days: still valid */
    assert_status(&w, number, "pending_confirm");
    run_jobs(t + 90 * DAY + 1);
    assert_status(&w, number, "expired");
    cr_assert_eq(mails(number, "rma_expired"), 1, "told it expired");

    /* Audited, by the system, and nothing left for the customer to do. */
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    r = staff(&w, w.agent, "GET", path, NULL);
    json_t *events = json_object_get(r.json, "events");
    json_t *last = json_array_get(events, json_array_size(events) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(last, "action")),
                     "expire", "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(last, "actor"), "kind")),
                     "system");
    harness_http_free(&r);
    at(&w, time(NULL));
    r = customer_get(&w, number);
    cr_assert_eq(json_array_size(json_object_get(r.json, "actions")), 0, "%s",
                 r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(policy, supervisor_extends_the_validity)
{
    struct world w;
    world_init(&w);
    time_t t = time(NULL) - 150 * DAY;
    char *number = approved_at(&w, t);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/validity-extension",
             number);
    const char *body = "{\"days\":10,\"reason\":\"Customer travelling.\"}";
    const char *others[] = {w.agent, w.warehouse, w.finance};
    for (size_t i = 0; i < 3; i++) {
        struct http_result r = staff(&w, others[i], "POST", path, body);
        cr_assert_eq(r.status, 403, "role %zu: %s", i, r.body);
        harness_http_free(&r);
    }
    struct http_result r =
        staff(&w, w.supervisor, "POST", path, "{\"days\":0,\"reason\":\"x\"}");
    cr_assert_eq(r.status, 422, "0 days: %s", r.body);
    harness_http_free(&r);
    r = staff(&w, w.supervisor, "POST", path, "{\"days\":10}");
    cr_assert_eq(r.status, 422, "no reason: %s", r.body);
    harness_http_free(&r);

    at(&w, t + 30 * DAY);
    r = staff(&w, w.supervisor, "POST", path, body);
    cr_assert_eq(r.status, 200, "extension: %s", r.body);
    char until[32];
    iso(t + 100 * DAY, until);
    cr_assert_str_eq(sp(&r, "policy.validity.valid_until"), until, "%s",
                     r.body);
    cr_assert_eq(
        json_integer_value(at_path(r.json, "policy.validity.extended_days")),
        10);
    json_t *events = json_object_get(r.json, "events");
    json_t *last = json_array_get(events, json_array_size(events) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(last, "action")),
                     "validity_extension");
    cr_assert_str_eq(json_string_value(json_object_get(last, "reason")),
                     "Customer travelling.");
    harness_http_free(&r);

    run_jobs(t + 90 * DAY + 1);
    assert_status(&w, number, "pending_confirm");
    run_jobs(t + 100 * DAY);
    assert_status(&w, number, "pending_confirm");
    run_jobs(t + 100 * DAY + 1);
    assert_status(&w, number, "expired");

    /* An expired case cannot be extended. */
    r = staff(&w, w.supervisor, "POST", path, body);
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}
