/* test_every_kind.c - SPEC §14: every kind of case reaches `completed`
 * through nginx, the simulator and the job, the customer told of each
 * change by mail in order, and `rmactl ledger verify` clean at the end:
 * refund (paid by PayPal, paid by other means), standard replacement,
 * advanced replacement (on time; late, with a partial refund), repair (in
 * warranty; out of warranty with the quote approved and paid, or declined
 * and the unit returned as it is), resend.
 *
 * The simulator's outcome rules are shared: the tests take the harness's
 * lock. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness.h"

#define DAY (24L * 3600)

struct world {
    char *agent, *warehouse, *supervisor, *finance;
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
world_init(struct world *w, const char *who)
{
    harness_sim_lock();
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    memset(w, 0, sizeof(*w));
    w->agent = token("agent");
    w->warehouse = token("warehouse");
    w->supervisor = token("supervisor");
    w->finance = token("finance");
    w->email = harness_unique_email(who);
}

static void
world_free(struct world *w)
{
    free(w->agent);
    free(w->warehouse);
    free(w->supervisor);
    free(w->finance);
    free(w->email);
    free(w->cookie);
}

/* ---- calls ---- */

static struct http_result
as_staff(const char *tok, const char *method, const char *number,
         const char *what, const char *body)
{
    char auth[256], path[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/%s", number, what);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

/* A staff action that must succeed. */
static void
staff_ok(const char *tok, const char *number, const char *what,
         const char *body)
{
    struct http_result r = as_staff(tok, "POST", number, what, body);
    cr_assert(r.status == 200 || r.status == 201, "%s: %s", what, r.body);
    harness_http_free(&r);
}

/* A customer action that must succeed. */
static void
customer_ok(struct world *w, const char *method, const char *number,
            const char *what, const char *body)
{
    if (w->cookie == NULL)
        w->cookie = harness_login(w->email);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/%s", number, what);
    struct http_result r =
        harness_http(method, path, harness_portal_headers(w->cookie, NULL),
                     body, body ? strlen(body) : 0);
    cr_assert(r.status == 200 || r.status == 201, "%s: %s", what, r.body);
    harness_http_free(&r);
}

static void
run_jobs_at(time_t t)
{
    char now[32];
    harness_iso(t, now);
    free(harness_runf(false, "rmactl run-jobs --now %s 2>&1", now));
}

static void
ship(struct world *w, const char *number)
{
    staff_ok(
        w->warehouse, number, "shipments",
        "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\"}");
}

static void
receive(struct world *w, const char *number)
{
    staff_ok(w->warehouse, number, "receipt",
             "{\"condition\":\"good\",\"serial_number\":\"SN-E2E-0001\"}");
}

/* The customer pays amount (USD) with PayPal and claims it with a
 * screenshot; matched by the simulator's record. */
static void
pay_makeup(struct world *w, const char *number, const char *amount)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"%s\"},"
             "\"payer_email\":\"%s\"}",
             amount, w->email);
    json_t *j = harness_sim("POST", "/sim/payments", body);
    char txn[32];
    snprintf(txn, sizeof(txn), "%s",
             json_string_value(json_object_get(j, "seller_transaction_id")));
    json_decref(j);
    long long id = harness_upload_png(w->cookie, number, "payment_receipt");
    snprintf(body, sizeof(body),
             "{\"transaction_id\":\"%s\",\"payment_receipt_id\":%lld}", txn,
             id);
    customer_ok(w, "POST", number, "makeup-payment", body);
}

/* ---- what is checked at the end of each ---- */

/* The kinds of the case's mails, in the order they were queued, with the
 * deadline reminders left out (their number depends on when the job ran). */
static char *
mails(const char *number)
{
    return harness_sqlf(
        "SELECT string_agg(m.kind, ',' ORDER BY m.id) FROM mail_outbox"
        " m JOIN rma r ON r.id = m.rma_id WHERE r.number = '%s' AND"
        " m.kind <> 'reminder'",
        number);
}

static void
ends(const char *number, const char *want_mails)
{
    char *st =
        harness_sqlf("SELECT status FROM rma WHERE number = '%s'", number);
    cr_assert_str_eq(st, "completed", "%s", number);
    free(st);
    char *m = mails(number);
    cr_assert_str_eq(m, want_mails, "the customer's mails for %s: %s", number,
                     m);
    free(m);
    char *out;
    int rc = harness_run("rmactl ledger verify 2>&1", &out);
    cr_assert_eq(rc, 0, "ledger verify: %s", out);
    free(out);
}

/* Created, submitted and agreed by its customer: the solution's mail
 * first. */
static char *
agreed(struct world *w, const char *kind)
{
    char *number = harness_create_case(w->agent, w->email, kind, true);
    customer_ok(w, "POST", number, "agree", NULL);
    return number;
}

/* ---- the kinds ---- */

/* A refund case whose order was paid as payment says (JSON), agreed. */
static char *
agreed_refund(struct world *w, const char *payment)
{
    char body[2048], auth[256];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Rae Fund\"},"
             "\"order\":{\"order_number\":\"SO-K%08x\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":"
             "\"USD\",\"value\":\"129.99\"}}],\"payment\":%s},"
             "\"kind\":\"refund\",\"problem\":\"It does not power on.\","
             "\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":"
             "\"SN-E2E-0001\"}],\"refund_amount\":{\"currency_code\":\"USD\","
             "\"value\":\"129.99\"},\"refund_override_reason\":"
             "\"Full refund for the test.\"}",
             w->email, (unsigned)arc4random(), payment);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->agent);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    struct http_result r =
        harness_http("POST", "/api/v1/staff/rmas", h, body, strlen(body));
    cr_assert_eq(r.status, 201, "create: %s", r.body);
    char *number = strdup(json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);
    staff_ok(w->agent, number, "submit", NULL);
    customer_ok(w, "POST", number, "agree", NULL);
    return number;
}

Test(every_kind, refund_paid_by_paypal)
{
    struct world w;
    world_init(&w, "kind-refund-pp");
    char body[512];
    snprintf(body, sizeof(body),
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
             "\"payer_email\":\"%s\"}",
             w.email);
    json_t *j = harness_sim("POST", "/sim/payments", body);
    char payment[256];
    snprintf(payment, sizeof(payment),
             "{\"method\":\"paypal\",\"capture_id\":\"%s\"}",
             json_string_value(json_object_get(j, "capture_id")));
    json_decref(j);
    char *number = agreed_refund(&w, payment);
    receive(&w, number); /* PayPal refunds the capture at once */
    ends(number, "action_required,return_received,refund_paid");
    free(number);
    world_free(&w);
}

Test(every_kind, refund_paid_by_other_means)
{
    struct world w;
    world_init(&w, "kind-refund-other");
    char *number = agreed_refund(
        &w, "{\"method\":\"other\",\"reference\":\"INV-2026-17\"}");
    receive(&w, number);
    staff_ok(w.finance, number, "refund-payout",
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
             "\"reference\":\"BANK-2026-0042\"}");
    ends(number, "action_required,return_received,refund_paid");
    free(number);
    world_free(&w);
}

Test(every_kind, standard_replacement)
{
    struct world w;
    world_init(&w, "kind-standard");
    char *number = agreed(&w, "replacement");
    customer_ok(&w, "POST", number, "replacement-method",
                "{\"method\":\"standard\"}");
    receive(&w, number);
    ship(&w, number);
    ends(number, "action_required,return_received,shipped");
    free(number);
    world_free(&w);
}

Test(every_kind, resend)
{
    struct world w;
    world_init(&w, "kind-resend");
    char *number = agreed(&w, "resend");
    ship(&w, number);
    ends(number, "action_required,shipped");
    free(number);
    world_free(&w);
}

Test(every_kind, repair_in_warranty)
{
    struct world w;
    world_init(&w, "kind-repair");
    char *number = agreed(&w, "repair");
    receive(&w, number);
    ship(&w, number);
    ends(number, "action_required,return_received,shipped");
    free(number);
    world_free(&w);
}

/* Out of warranty (damaged in transit, a quote): approved and paid, then
 * repaired and shipped; or declined, its handling fee paid, and the unit
 * returned as it is. */
static void
quoted_repair(const char *decision, const char *fee)
{
    struct world w;
    world_init(&w, "kind-quote");
    char *number = agreed(&w, "repair");
    receive(&w, number);
    staff_ok(w.warehouse, number, "inspection",
             "{\"outcome\":\"damaged_in_transit\",\"notes\":\"Cracked.\"}");
    staff_ok(w.warehouse, number, "quote",
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"50.00\"},"
             "\"notes\":\"A new housing.\"}");
    char body[64];
    snprintf(body, sizeof(body), "{\"decision\":\"%s\"}", decision);
    customer_ok(&w, "POST", number, "quote-decision", body);
    /* The unit does not leave unpaid. */
    struct http_result r = as_staff(
        w.warehouse, "POST", number, "shipments",
        "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "fee_unpaid");
    harness_http_free(&r);
    pay_makeup(&w, number, fee);
    ship(&w, number);
    /* The payment was found while the customer waited: the portal showed
     * the outcome, so no mail about it. */
    ends(number, "action_required,return_received,repair_quote,shipped");
    free(number);
    world_free(&w);
}

Test(every_kind, repair_out_of_warranty_quote_approved_and_paid)
{
    quoted_repair("approve", "50.00");
}

Test(every_kind, repair_out_of_warranty_quote_declined_returned_as_is)
{
    quoted_repair("decline", "5.00");
}

/* An advanced replacement's hold, approved at the simulator: the case
 * awaits its shipment. */
static char *
held(struct world *w)
{
    char *number = agreed(w, "replacement");
    customer_ok(w, "POST", number, "replacement-method",
                "{\"method\":\"advanced\"}");
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/preauthorization", number);
    const char *accept =
        "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}";
    struct http_result r =
        harness_http("POST", path, harness_portal_headers(w->cookie, NULL),
                     accept, strlen(accept));
    cr_assert_eq(r.status, 201, "%s", r.body);
    char order[64];
    snprintf(order, sizeof(order), "%s",
             json_string_value(json_object_get(r.json, "order_id")));
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/sim/orders/%s/approve", order);
    harness_sim_ok("POST", path, "{}");
    snprintf(path, sizeof(path), "/api/v1/paypal/return?token=%s&PayerID=K1",
             order);
    r = harness_http("GET", path, harness_portal_headers(w->cookie, NULL), NULL,
                     0);
    cr_assert_eq(r.status, 303, "%s", r.body);
    harness_http_free(&r);
    return number;
}

Test(every_kind, advanced_replacement_returned_on_time)
{
    struct world w;
    world_init(&w, "kind-advanced");
    char *number = held(&w);
    ship(&w, number);
    receive(&w, number);
    /* The release is PayPal's void: at once, or by the job. */
    run_jobs_at(time(NULL));
    ends(number, "action_required,hold_placed,shipped,hold_released");
    free(number);
    world_free(&w);
}

Test(every_kind, advanced_replacement_returned_late_with_a_partial_refund)
{
    struct world w;
    world_init(&w, "kind-late");
    char *number = held(&w);
    ship(&w, number);
    run_jobs_at(time(NULL) + 26 * DAY); /* the deadline passed: captured */
    char *st =
        harness_sqlf("SELECT status FROM rma WHERE number = '%s'", number);
    cr_assert_str_eq(st, "charged");
    free(st);
    /* The unit arrives after all; inspected, a supervisor refunds 100.00
     * of the 129.99 captured. */
    receive(&w, number);
    staff_ok(w.warehouse, number, "inspection",
             "{\"outcome\":\"damaged_in_transit\",\"notes\":\"Dented.\"}");
    staff_ok(w.supervisor, number, "capture-refund",
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"100.00\"},"
             "\"reason\":\"Dented housing: 29.99 kept.\"}");
    run_jobs_at(time(NULL) + 26 * DAY + 60);
    ends(number, "action_required,hold_placed,shipped,hold_captured,"
                 "return_received,capture_refunded");
    char *refund =
        harness_sqlf("SELECT h.refund_minor FROM hold h JOIN rma r ON r.id ="
                     " h.rma_id WHERE r.number = '%s'",
                     number);
    cr_assert_str_eq(refund, "10000");
    free(refund);
    free(number);
    world_free(&w);
}

/* An agent asks for a proof of purchase: the customer is mailed with the
 * agent's words and sees the request until one is uploaded. */
Test(every_kind, a_proof_of_purchase_is_asked_for_and_uploaded)
{
    struct world w;
    world_init(&w, "kind-proof");
    char *number = agreed(&w, "refund");
    struct http_result r =
        as_staff(w.warehouse, "POST", number, "request-proof-of-purchase",
                 "{\"note\":\"Your receipt, please.\"}");
    cr_assert_eq(r.status, 403, "agents and supervisors ask: %s", r.body);
    harness_http_free(&r);
    r = as_staff(w.agent, "POST", number, "request-proof-of-purchase",
                 "{\"note\":\"\"}");
    cr_assert_eq(r.status, 422, "a note is required: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "required");
    harness_http_free(&r);
    staff_ok(w.agent, number, "request-proof-of-purchase",
             "{\"note\":\"The receipt's date is not readable.\"}");
    char *told =
        harness_sqlf("SELECT m.subject || ' | ' || replace(m.body, E'\\\\n', "
                     "' ') FROM mail_outbox m JOIN rma r ON r.id = m.rma_id"
                     " WHERE r.number = '%s' AND m.kind = 'proof_requested'",
                     number);
    cr_assert(strstr(told, "proof of purchase") &&
                  strstr(told, "The receipt's date is not readable."),
              "%s", told);
    free(told);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    r = harness_http("GET", path, harness_portal_headers(w.cookie, NULL), NULL,
                     0);
    json_t *p = json_object_get(r.json, "proof_of_purchase");
    cr_assert_not_null(json_object_get(p, "requested_at"), "%s", r.body);
    cr_assert_null(json_object_get(p, "received_at"), "%s", r.body);
    harness_http_free(&r);
    /* The customer uploads one. */
    harness_upload_png(w.cookie, number, "proof_of_purchase");
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    r = harness_http("GET", path, harness_portal_headers(w.cookie, NULL), NULL,
                     0);
    p = json_object_get(r.json, "proof_of_purchase");
    cr_assert_not_null(json_object_get(p, "received_at"), "%s", r.body);
    harness_http_free(&r);
    free(number);
    world_free(&w);
}

/* SPEC §14: what the vendor's FAQ says agents do, for the customer on the
 * phone: submit the return's information (the pictures may follow) and a
 * make-up payment's transaction; audited as on the customer's behalf. */
Test(every_kind, an_agent_submits_the_return_and_the_payment_for_the_customer)
{
    struct world w;
    world_init(&w, "kind-behalf");
    char *number = agreed(&w, "repair");
    /* The customer acknowledged, on the phone, that a recording device's
     * data may be erased. */
    const char *ret =
        "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\","
        "\"acknowledge_data_erasure\":true}";
    struct http_result r =
        as_staff(w.warehouse, "POST", number, "return-shipment", ret);
    cr_assert_eq(r.status, 403, "agents and supervisors: %s", r.body);
    harness_http_free(&r);
    r = as_staff(w.agent, "POST", number, "return-shipment",
                 "{\"carrier\":\"UPS\"}");
    cr_assert_eq(r.status, 422, "the tracking number is needed: %s", r.body);
    harness_http_free(&r);
    staff_ok(w.agent, number, "return-shipment", ret);
    r = as_staff(w.agent, "POST", number, "return-shipment", ret);
    cr_assert_eq(r.status, 409, "once: %s", r.body);
    harness_http_free(&r);
    char *st =
        harness_sqlf("SELECT r.status || ' ' || s.on_behalf || ' ' ||"
                     " (s.shipping_label_id IS NULL) FROM rma r JOIN"
                     " return_submission s ON s.rma_id = r.id WHERE r.number ="
                     " '%s'",
                     number);
    cr_assert_str_eq(st, "return_submitted true true");
    free(st);
    receive(&w, number);
    staff_ok(w.warehouse, number, "inspection",
             "{\"outcome\":\"damaged_in_transit\",\"notes\":\"Cracked.\"}");
    staff_ok(w.warehouse, number, "quote",
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"50.00\"},"
             "\"notes\":\"A new housing.\"}");
    customer_ok(&w, "POST", number, "quote-decision",
                "{\"decision\":\"approve\"}");
    /* The customer paid and reads the transaction out on the phone. */
    char body[512];
    snprintf(body, sizeof(body),
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"50.00\"},"
             "\"payer_email\":\"%s\"}",
             w.email);
    json_t *j = harness_sim("POST", "/sim/payments", body);
    snprintf(body, sizeof(body), "{\"transaction_id\":\"%s\"}",
             json_string_value(json_object_get(j, "seller_transaction_id")));
    json_decref(j);
    r = as_staff(w.agent, "POST", number, "makeup-payment", body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "matched", "%s", r.body);
    harness_http_free(&r);
    char *claim =
        harness_sqlf("SELECT on_behalf || ' ' || (payment_receipt_id IS NULL)"
                     " FROM makeup_claim m JOIN rma r ON r.id = m.rma_id"
                     " WHERE r.number = '%s'",
                     number);
    cr_assert_str_eq(claim, "true true");
    free(claim);
    char *audited =
        harness_sqlf("SELECT count(*) FROM audit_event e JOIN rma r ON"
                     " r.id = e.rma_id WHERE r.number = '%s' AND"
                     " e.on_behalf AND e.action IN ('submit_return',"
                     " 'makeup_payment_submitted')",
                     number);
    cr_assert_str_eq(audited, "2", "both audited as on the customer's behalf");
    free(audited);
    ship(&w, number);
    /* Not the one waiting on the screen, the customer is mailed the
     * payment's outcome. */
    ends(number, "action_required,return_received,repair_quote,"
                 "makeup_payment,shipped");
    free(number);
    world_free(&w);
}
