/* test_case_ends.c - refund cases reach `completed` (SPEC §14): paid back
 * by a PayPal refund of the order's capture, or paid out by finance, booked
 * in the ledger, the customer told; through nginx and paypal-sim, also with
 * PayPal failing and the job killed at random moments.
 *
 * The simulator's faults are shared: the tests take the harness's lock. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness.h"

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

struct world {
    char *agent, *warehouse, *finance;
    char *email, *cookie;
};

static char *
token(const char *role)
{
    char *name = harness_unique_email(role);
    char *t = harness_staff_token(role, name);
    free(name);
    return t;
}

static void
world_init(struct world *w)
{
    harness_sim_lock();
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    memset(w, 0, sizeof(*w));
    w->agent = token("agent");
    w->warehouse = token("warehouse");
    w->finance = token("finance");
    w->email = harness_unique_email("refund");
}

static void
world_free(struct world *w)
{
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    free(w->agent);
    free(w->warehouse);
    free(w->finance);
    free(w->email);
    free(w->cookie);
}

static struct http_result
staff(const char *tok, const char *path, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http("POST", path, h, body, body ? strlen(body) : 0);
}

/* Finance's export of kind over today and tomorrow (UTC), as text. */
static char *
export_today(const struct world *w, const char *kind)
{
    time_t now = time(NULL);
    char from[16], to[16], path[256], auth[256];
    time_t t = now - 86400;
    strftime(from, sizeof(from), "%Y-%m-%d", gmtime(&t));
    t = now + 2 * 86400;
    strftime(to, sizeof(to), "%Y-%m-%d", gmtime(&t));
    snprintf(path, sizeof(path), "/api/v1/staff/exports/%s.csv?from=%s&to=%s",
             kind, from, to);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->finance);
    const char *h[] = {auth, NULL};
    struct http_result r = harness_http("GET", path, h, NULL, 0);
    cr_assert_eq(r.status, 200, "%s export: %s", kind, r.body);
    char *text = strdup(r.body);
    harness_http_free(&r);
    return text;
}

/* The customer paid the order with PayPal: the capture's id. */
static char *
paid_with_paypal(const char *email)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
             "\"payer_email\":\"%s\"}",
             email);
    json_t *j = harness_sim("POST", "/sim/payments", body);
    const char *c = json_string_value(json_object_get(j, "capture_id"));
    cr_assert_not_null(c, "the simulator's payment has no capture");
    char *capture = strdup(c);
    json_decref(j);
    return capture;
}

/* A refund case of 129.99 USD whose order was paid as payment says (a JSON
 * object), confirmed by the customer: awaiting_return.  Its number. */
static char *
refund_case(struct world *w, const char *payment)
{
    unsigned suffix = (unsigned)arc4random();
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Rae Fund\"},"
             "\"order\":{\"order_number\":\"SO-R%08x\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":"
             "\"USD\",\"value\":\"129.99\"}}],\"payment\":%s},"
             "\"kind\":\"refund\",\"problem\":\"It does not power on.\","
             "\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":"
             "\"SN-REFUND-1\"}],\"refund_amount\":{\"currency_code\":\"USD\","
             "\"value\":\"129.99\"},\"refund_override_reason\":"
             "\"Full refund for the test.\"}",
             w->email, suffix, payment);
    struct http_result r = staff(w->agent, "/api/v1/staff/rmas", body);
    cr_assert_eq(r.status, 201, "create: %s", r.body);
    char *number = strdup(json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
    r = staff(w->agent, path, NULL);
    cr_assert_eq(r.status, 200, "submit: %s", r.body);
    harness_http_free(&r);
    if (w->cookie == NULL)
        w->cookie = harness_login(w->email);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    r = harness_http("POST", path, harness_portal_headers(w->cookie, NULL),
                     NULL, 0);
    cr_assert_eq(r.status, 200, "agree: %s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "awaiting_return");
    harness_http_free(&r);
    return number;
}

/* The warehouse receives the unit; the case's status after it. */
static char *
receive(struct world *w, const char *number)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/receipt", number);
    struct http_result r =
        staff(w->warehouse, path,
              "{\"condition\":\"good\",\"serial_number\":\"SN-REFUND-1\"}");
    cr_assert_eq(r.status, 200, "receipt: %s", r.body);
    char *status = strdup(json_string_value(json_object_get(r.json, "status")));
    harness_http_free(&r);
    return status;
}

static char *
case_status(const char *number)
{
    return sql("SELECT status FROM rma WHERE number = '%s'", number);
}

static void
ledger_verify_clean(void)
{
    char *out;
    int rc = harness_run("rmactl ledger verify 2>&1", &out);
    cr_assert_eq(rc, 0, "ledger verify: %s", out);
    free(out);
}

/* Refunds of capture at the simulator. */
static long
sim_refunds(const char *capture)
{
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    long n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(state, "refunds"), key, v)
    {
        const char *c = json_string_value(json_object_get(v, "capture_id"));
        if (c != NULL && strcmp(c, capture) == 0)
            n++;
    }
    json_decref(state);
    return n;
}

Test(case_ends, refund_paid_by_paypal_completes_the_case)
{
    struct world w;
    world_init(&w);
    char *capture = paid_with_paypal(w.email);
    char payment[256];
    snprintf(payment, sizeof(payment),
             "{\"method\":\"paypal\",\"capture_id\":\"%s\"}", capture);
    char *number = refund_case(&w, payment);
    char *st = receive(&w, number);
    cr_assert_str_eq(st, "completed", "refunded at once when PayPal answers");
    char *rp =
        sql("SELECT p.status || ' ' || p.amount_minor FROM refund_payment"
            " p JOIN rma r ON r.id = p.rma_id WHERE r.number = '%s'",
            number);
    cr_assert_str_eq(rp, "paid 12999");
    cr_assert_eq(sim_refunds(capture), 1);
    cr_assert_eq(sql_long("SELECT count(*) FROM journal_entry e JOIN rma r ON"
                          " r.id = e.rma_id WHERE r.number = '%s' AND"
                          " e.kind = 'sale_refund'",
                          number),
                 1);
    cr_assert_eq(sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON"
                          " r.id = m.rma_id WHERE r.number = '%s' AND"
                          " m.kind = 'refund_paid'",
                          number),
                 1, "the customer is told");
    /* Finance sees it with PayPal's settlement: a sale_refund row naming
     * the case and the original capture, negative. */
    char *csv = export_today(&w, "captures-refunds");
    char want[256];
    snprintf(want, sizeof(want), ",sale_refund,,%s,", number);
    char *row = strstr(csv, want);
    cr_assert_not_null(row, "%s", csv);
    cr_assert(strstr(row, capture) != NULL && strstr(row, ",-129.99,") != NULL,
              "%.200s", row);
    free(csv);
    /* The audit trail goes through refund_due. */
    cr_assert_eq(sql_long("SELECT count(*) FROM audit_event a JOIN rma r ON"
                          " r.id = a.rma_id WHERE r.number = '%s' AND"
                          " a.to_status = 'refund_due'",
                          number),
                 1);
    ledger_verify_clean();
    free(rp);
    free(st);
    free(number);
    free(capture);
    world_free(&w);
}

Test(case_ends, refund_paid_by_other_means_is_recorded_by_finance)
{
    struct world w;
    world_init(&w);
    char *number = refund_case(
        &w, "{\"method\":\"other\",\"reference\":\"card sale 4411\"}");
    char *st = receive(&w, number);
    cr_assert_str_eq(st, "refund_due");
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/refund-payout", number);
    /* Not the warehouse's to record; not another amount. */
    struct http_result r =
        staff(w.warehouse, path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
              "\"reference\":\"wire 1\"}");
    cr_assert_eq(r.status, 403, "%s", r.body);
    harness_http_free(&r);
    r = staff(w.finance, path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.98\"},"
              "\"reference\":\"wire 1\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "amount_mismatch");
    /* The message survives the operation that wrote it. */
    cr_assert(strstr(r.body, "the refund due is 129.99 USD") != NULL, "%s",
              r.body);
    harness_http_free(&r);
    r = staff(w.finance, path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
              "\"reference\":\"wire 1\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "completed");
    harness_http_free(&r);
    /* Once. */
    r = staff(w.finance, path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
              "\"reference\":\"wire 1\"}");
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM journal_entry e JOIN rma r ON"
                          " r.id = e.rma_id WHERE r.number = '%s' AND"
                          " e.kind = 'refund_payout'",
                          number),
                 1);
    ledger_verify_clean();
    free(st);
    free(number);
    world_free(&w);
}

Test(case_ends, refund_by_paypal_is_made_once_through_faults_and_kills,
     .timeout = 600)
{
    struct world w;
    world_init(&w);
    const int n = 6;
    char *capture[6], *number[6];
    for (int i = 0; i < n; i++) {
        capture[i] = paid_with_paypal(w.email);
        char payment[256];
        snprintf(payment, sizeof(payment),
                 "{\"method\":\"paypal\",\"capture_id\":\"%s\"}", capture[i]);
        number[i] = refund_case(&w, payment);
    }
    /* 30% of PayPal calls fail, also after PayPal did the work. */
    harness_sim_ok("POST", "/sim/faults",
                   "{\"kind\":\"503\",\"rate\":0.1,\"path_prefix\":\"/v2/\"}");
    harness_sim_ok("POST", "/sim/faults",
                   "{\"kind\":\"drop\",\"rate\":0.1,\"path_prefix\":\"/v2/\"}");
    harness_sim_ok("POST", "/sim/faults",
                   "{\"kind\":\"500_after_effect\",\"rate\":0.1,"
                   "\"path_prefix\":\"/v2/\"}");
    for (int i = 0; i < n; i++)
        free(receive(&w, number[i]));
    /* The job, killed at random moments, then left to finish. */
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":40}");
    for (int k = 0; k < 10; k++) {
        char cmd[256];
        int ms = 10 + (int)arc4random_uniform(200);
        snprintf(cmd, sizeof(cmd),
                 "RMA_PAYPAL_MAX_ATTEMPTS=2 rmactl run-jobs >/dev/null 2>&1 &"
                 " p=$!; sleep 0.%03d; kill -9 $p 2>/dev/null; wait $p; true",
                 ms);
        char *out;
        harness_run(cmd, &out);
        free(out);
    }
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":0}");
    long left = n;
    for (int runs = 0; left > 0 && runs < 20; runs++) {
        char *out;
        harness_run("RMA_PAYPAL_MAX_ATTEMPTS=2 rmactl run-jobs 2>&1", &out);
        free(out);
        left = sql_long("SELECT count(*) FROM rma r JOIN customer c ON c.id ="
                        " r.customer_id WHERE c.email = '%s' AND"
                        " r.status <> 'completed'",
                        w.email);
    }
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    cr_assert_eq(left, 0, "every refund case completed");
    for (int i = 0; i < n; i++) {
        cr_assert_eq(sim_refunds(capture[i]), 1, "one refund at PayPal");
        cr_assert_eq(sql_long("SELECT count(*) FROM journal_entry e JOIN rma"
                              " r ON r.id = e.rma_id WHERE r.number = '%s'"
                              " AND e.kind = 'sale_refund'",
                              number[i]),
                     1, "one ledger entry");
        free(capture[i]);
        free(number[i]);
    }
    ledger_verify_clean();
    world_free(&w);
}

Test(case_ends, a_payment_without_its_capture_is_refused_at_creation)
{
    struct world w;
    world_init(&w);
    struct http_result r = staff(
        w.agent, "/api/v1/staff/rmas",
        "{\"customer\":{\"email\":\"x@example.com\",\"name\":\"X\"},"
        "\"order\":{\"order_number\":\"SO-BAD-PAY\",\"sales_channel\":\"web\","
        "\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":"
        "\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,"
        "\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"10.00\"}}],"
        "\"payment\":{\"method\":\"paypal\",\"reference\":\"x\"}},"
        "\"kind\":\"resend\",\"problem\":\"p\",\"devices\":[{\"model\":"
        "\"CAM-4K-OUT\",\"serial_number\":\"SN-X-1\"}]}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "invalid_payment");
    harness_http_free(&r);
    world_free(&w);
}

/* ---- shipments and the completion rule ---- */

static void
customer_post(struct world *w, const char *number, const char *what,
              const char *body, long want)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/%s", number, what);
    struct http_result r =
        harness_http("POST", path, harness_portal_headers(w->cookie, NULL),
                     body, body ? strlen(body) : 0);
    cr_assert_eq(r.status, want, "%s: %s", what, r.body);
    harness_http_free(&r);
}

static void
customer_put_address(struct world *w, const char *number, const char *body,
                     long want)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/shipping-address", number);
    struct http_result r =
        harness_http("PUT", path, harness_portal_headers(w->cookie, NULL), body,
                     strlen(body));
    cr_assert_eq(r.status, want, "shipping-address: %s", r.body);
    harness_http_free(&r);
}

static struct http_result
staff_put(const char *tok, const char *path, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http("PUT", path, h, body, strlen(body));
}

/* A case of kind, agreed by its customer (standard method for a
 * replacement), its unit received by the warehouse. */
static char *
received_case_as(struct world *w, const char *kind, bool address)
{
    char *number = address ? harness_create_case(w->agent, w->email, kind, true)
                           : harness_create_case_no_address(w->agent, w->email,
                                                            kind, true);
    if (w->cookie == NULL)
        w->cookie = harness_login(w->email);
    customer_post(w, number, "agree", NULL, 200);
    if (strcmp(kind, "replacement") == 0)
        customer_post(w, number, "replacement-method",
                      "{\"method\":\"standard\"}", 200);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/receipt", number);
    struct http_result r =
        staff(w->warehouse, path,
              "{\"condition\":\"good\",\"serial_number\":\"SN-E2E-0001\"}");
    cr_assert_eq(r.status, 200, "receipt: %s", r.body);
    harness_http_free(&r);
    return number;
}

static char *
received_case(struct world *w, const char *kind)
{
    return received_case_as(w, kind, true);
}

static struct http_result
ship(struct world *w, const char *number)
{
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/shipments", number);
    return staff(w->warehouse, path,
                 "{\"carrier\":\"UPS\",\"tracking_number\":"
                 "\"1Z999AA10123456784\"}");
}

Test(case_ends, standard_replacement_completes_when_shipped)
{
    struct world w;
    world_init(&w);
    char *number = received_case(&w, "replacement");
    struct http_result r = ship(&w, number);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "completed");
    harness_http_free(&r);
    /* The customer sees the shipment and its tracking link, and is told. */
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    r = harness_http("GET", path, harness_portal_headers(w.cookie, NULL), NULL,
                     0);
    json_t *s = json_array_get(json_object_get(r.json, "shipments"), 0);
    cr_assert_not_null(s, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(s, "tracking_number")),
                     "1Z999AA10123456784");
    cr_assert_str_eq(json_string_value(json_object_get(s, "tracking_url")),
                     "https://www.ups.com/track?tracknum=1Z999AA10123456784");
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM mail_outbox m JOIN rma r ON"
                          " r.id = m.rma_id WHERE r.number = '%s' AND"
                          " m.kind = 'shipped'",
                          number),
                 1);
    /* Staff find it by its outbound tracking number and by the original
     * order's number, typed in lower case. */
    char *order = sql("SELECT lower(o.order_number) FROM rma r JOIN"
                      " original_order o ON o.id = r.order_id WHERE"
                      " r.number = '%s'",
                      number);
    const char *queries[] = {"1z999aa10123456784", order};
    for (int i = 0; i < 2; i++) {
        char auth[256], path[256];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w.agent);
        snprintf(path, sizeof(path), "/api/v1/staff/rmas?q=%s&limit=200",
                 queries[i]);
        const char *h[] = {auth, NULL};
        r = harness_http("GET", path, h, NULL, 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_assert(strstr(r.body, number) != NULL, "q=%s: %s", queries[i],
                  r.body);
        harness_http_free(&r);
    }
    free(order);
    /* And in finance's shipments export, with its tracking link. */
    char *csv = export_today(&w, "shipments");
    cr_assert(strncmp(csv, "shipped_at,shipment_id,rma_number,", 34) == 0,
              "%.100s", csv);
    char want[128];
    snprintf(want, sizeof(want), ",%s,replacement,replacement,UPS,", number);
    char *row = strstr(csv, want);
    cr_assert_not_null(row, "%s", csv);
    cr_assert(strstr(row, "https://www.ups.com/track?tracknum="
                          "1Z999AA10123456784") != NULL,
              "%.200s", row);
    free(csv);
    free(number);
    world_free(&w);
}

/* SPEC §14: nothing ships, and no hold is placed, before the shipping
 * address is confirmed; the customer confirms it, or an agent for them
 * (audited as on their behalf). */
Test(case_ends, shipping_without_a_confirmed_address_is_refused)
{
    struct world w;
    world_init(&w);
    char *number = received_case_as(&w, "replacement", false);
    struct http_result r = ship(&w, number);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "code")),
                     "address_required", "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM shipment s JOIN rma r ON"
                          " r.id = s.rma_id WHERE r.number = '%s'",
                          number),
                 0, "nothing shipped");
    char *status = sql("SELECT status FROM rma WHERE number = '%s'", number);
    cr_assert_str_eq(status, "received");
    free(status);
    /* The customer confirms it (a country other than the order's is
     * refused); then it ships. */
    customer_put_address(
        &w, number,
        "{\"name\":\"Rae\",\"line1\":\"1 Rue\",\"city\":\"Paris\","
        "\"country\":\"FR\",\"phone\":\"+33 1 23 45 67 89\"}",
        422);
    customer_put_address(
        &w, number,
        "{\"name\":\"Rae\",\"line1\":\"1 Main Street\",\"city\":"
        "\"Springfield\",\"country\":\"US\",\"phone\":"
        "\"+1 217 555 0100\"}",
        200);
    r = ship(&w, number);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "completed");
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(case_ends, a_hold_waits_for_the_address_an_agent_may_confirm)
{
    struct world w;
    world_init(&w);
    char *number =
        harness_create_case_no_address(w.agent, w.email, "replacement", true);
    if (w.cookie == NULL)
        w.cookie = harness_login(w.email);
    customer_post(&w, number, "agree", NULL, 200);
    customer_post(&w, number, "replacement-method", "{\"method\":\"advanced\"}",
                  200);
    const char *accept =
        "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}";
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    struct http_result r =
        harness_http("POST", path, harness_portal_headers(w.cookie, NULL),
                     accept, strlen(accept));
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "code")),
                     "address_required", "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(sql_long("SELECT count(*) FROM hold h JOIN rma r ON"
                          " r.id = h.rma_id WHERE r.number = '%s'",
                          number),
                 0, "no hold, no PayPal order");
    /* The warehouse may not set it; an agent may, for the customer. */
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/shipping-address",
             number);
    const char *address =
        "{\"name\":\"Rae\",\"line1\":\"1 Main Street\",\"city\":"
        "\"Springfield\",\"country\":\"US\",\"phone\":\"+1 217 555 0100\"}";
    r = staff_put(w.warehouse, path, address);
    cr_assert_eq(r.status, 403, "%s", r.body);
    harness_http_free(&r);
    r = staff_put(w.agent, path, address);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(
        sql_long("SELECT count(*) FROM audit_event e JOIN rma r ON"
                 " r.id = e.rma_id WHERE r.number = '%s' AND"
                 " e.action = 'shipping_address' AND e.on_behalf"
                 " AND e.actor_kind = 'staff' AND e.actor_role = 'agent'",
                 number),
        1, "audited as done for the customer");
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    r = harness_http("POST", path, harness_portal_headers(w.cookie, NULL),
                     accept, strlen(accept));
    cr_assert_eq(r.status, 201, "%s", r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(case_ends, repair_in_warranty_completes_when_shipped)
{
    struct world w;
    world_init(&w);
    char *number = received_case(&w, "repair");
    struct http_result r = ship(&w, number);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "completed");
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

Test(case_ends, a_repaired_unit_with_its_fee_unpaid_does_not_ship)
{
    struct world w;
    world_init(&w);
    char *number = received_case(&w, "repair");
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/inspection", number);
    struct http_result r =
        staff(w.warehouse, path,
              "{\"outcome\":\"out_of_warranty\",\"notes\":\"water inside\"}");
    cr_assert(r.status == 200 || r.status == 201, "inspection: %s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/quote", number);
    r = staff(w.warehouse, path,
              "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"45.00\"},"
              "\"notes\":\"new board\"}");
    cr_assert(r.status == 200 || r.status == 201, "quote: %s", r.body);
    harness_http_free(&r);
    customer_post(&w, number, "quote-decision", "{\"decision\":\"approve\"}",
                  200);
    r = ship(&w, number);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "fee_unpaid");
    harness_http_free(&r);
    char *st = case_status(number);
    cr_assert_str_eq(st, "received");
    free(st);
    free(number);
    world_free(&w);
}

/* ---- finance's exceptions, one list ---- */

static struct http_result
staff_get(const char *tok, const char *path)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *h[] = {auth, NULL};
    return harness_http("GET", path, h, NULL, 0);
}

Test(case_ends, every_exception_is_listed_and_resolved_with_its_money)
{
    struct world w;
    world_init(&w);
    /* A replacement whose capture failed for good, as the job leaves it. */
    char *number = harness_create_case(w.agent, w.email, "replacement", true);
    free(sql("UPDATE rma SET status = 'capture_failed', replacement_method ="
             " 'advanced' WHERE number = '%s'",
             number));
    char *ex = sql("INSERT INTO finance_exception (kind, rma_id, currency,"
                   " amount_minor, detail, dedupe_key, created_at) SELECT"
                   " 'capture_failed', id, 'USD', 12999, 'declined 3 times',"
                   " 'test:' || number, now() FROM rma WHERE number = '%s'"
                   " RETURNING id",
                   number);
    char *other = sql("INSERT INTO finance_exception (kind, rma_id, detail,"
                      " dedupe_key, created_at) SELECT 'serial_mismatch', id,"
                      " 'another unit', 'test2:' || number, now() FROM rma"
                      " WHERE number = '%s' RETURNING id",
                      number);
    /* The list: finance's, not the warehouse's. */
    struct http_result r = staff_get(w.warehouse, "/api/v1/staff/exceptions");
    cr_assert_eq(r.status, 403);
    harness_http_free(&r);
    r = staff_get(w.finance, "/api/v1/staff/exceptions?kind=capture_failed");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert(strstr(r.body, number) != NULL, "%s", r.body);
    harness_http_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/exceptions/%s/resolve", ex);
    /* Money moved needs its amount. */
    r = staff(w.finance, path,
              "{\"outcome\":\"collected\",\"note\":\"paid by card\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "amount_required");
    harness_http_free(&r);
    r = staff(w.finance, path,
              "{\"outcome\":\"collected\",\"note\":\"paid by card\","
              "\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    /* Once. */
    r = staff(w.finance, path, "{\"outcome\":\"closed\",\"note\":\"again\"}");
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);
    /* The money collected outside PayPal is in the ledger, the case ends. */
    cr_assert_eq(sql_long("SELECT count(*) FROM journal_entry WHERE"
                          " idempotency_key = 'exception:%s'",
                          ex),
                 1);
    char *st = case_status(number);
    cr_assert_str_eq(st, "completed");
    free(st);
    snprintf(path, sizeof(path), "/api/v1/staff/exceptions/%s/resolve", other);
    r = staff(w.finance, path,
              "{\"outcome\":\"closed\",\"note\":\"the right unit after "
              "all\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    r = staff_get(w.finance, "/api/v1/staff/exceptions?status=resolved"
                             "&kind=serial_mismatch&limit=500");
    cr_assert(strstr(r.body, "the right unit after all") != NULL, "%s", r.body);
    harness_http_free(&r);
    ledger_verify_clean();
    free(other);
    free(ex);
    free(number);
    world_free(&w);
}

Test(case_ends, ledger_findings_are_recorded_as_exceptions)
{
    struct world w;
    world_init(&w);
    char *number = harness_create_case(w.agent, w.email, "replacement", true);
    /* A hold with no memo entry: the books are wrong. */
    char *hold = sql(
        "UPDATE rma SET status = 'awaiting_shipment', replacement_method ="
        " 'advanced' WHERE number = '%s'; WITH a AS (INSERT INTO"
        " preauth_acceptance (rma_id, customer_id, terms_version, terms_text,"
        " amount_minor, currency, accepted_at) SELECT id, customer_id, 'v',"
        " 't', 100, 'USD', now() FROM rma WHERE number = '%s' RETURNING id,"
        " rma_id) INSERT INTO hold (rma_id, acceptance_id, status, currency,"
        " amount_minor, authorization_id, authorized_at, expires_at,"
        " deadline, created_at, updated_at) SELECT rma_id, id, 'authorized',"
        " 'USD', 100, 'FINDING-' || id, now(), now() + interval '29 days',"
        " now() + interval '25 days', now(), now() FROM a RETURNING id",
        number, number);
    char *out;
    cr_assert_neq(
        harness_run("rmactl ledger verify --offline --record 2>&1", &out), 0);
    free(out);
    cr_assert_geq(sql_long("SELECT count(*) FROM finance_exception WHERE"
                           " kind = 'ledger_verify' AND hold_id = %s",
                           hold),
                  1);
    /* Recorded once, however often verify runs. */
    long n = sql_long("SELECT count(*) FROM finance_exception WHERE kind ="
                      " 'ledger_verify' AND hold_id = %s",
                      hold);
    harness_run("rmactl ledger verify --offline --record 2>&1", &out);
    free(out);
    cr_assert_eq(sql_long("SELECT count(*) FROM finance_exception WHERE kind"
                          " = 'ledger_verify' AND hold_id = %s",
                          hold),
                 n);
    /* Put the books right again for the rest of the suite. */
    free(sql("UPDATE hold SET status = 'voided', voided_at = now(),"
             " void_reason = 'waived', void_requested_at = now() WHERE id ="
             " %s",
             hold));
    ledger_verify_clean();
    free(hold);
    free(number);
    world_free(&w);
}
