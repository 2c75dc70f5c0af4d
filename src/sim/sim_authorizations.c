/* sim_authorizations.c - Payments v2's authorizations (NOTES §3, §4):
 * read, capture, reauthorize, void, with PayPal's honor period, validity
 * and void rules.  The records and their representations are
 * sim_payments.c. */
#include <stdio.h>
#include <string.h>

#include "rma/money.h"
#include "sim/sim_api.h"
#include "sim/sim_payments.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"
#include "sim/sim_webhooks.h"

void
sim_authorizations_get(struct sim_request *rq, struct sim_response *rs)
{
    json_t *auth = json_object_get(sim_authorizations(g_sim), rq->id);
    if (auth == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    sim_reply_json(rs, 200, sim_payments_authorization_json(auth));
}

void
sim_authorizations_capture(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *auth = json_object_get(sim_authorizations(s), rq->id);
    if (auth == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    if (!sim_pay_body_ok(rq, rs) ||
        !sim_pay_string_max(rq, rs, "invoice_id", 127) ||
        !sim_pay_string_max(rq, rs, "note_to_payer", 255) ||
        !sim_pay_string_max(rq, rs, "soft_descriptor", 22))
        return;
    const char *status = sim_jstr(auth, "status");
    if (strcmp(status, "CAPTURED") == 0 ||
        sim_pay_family_captured(sim_pay_family_root(auth))) {
        sim_pay_issue(
            rs, "AUTHORIZATION_ALREADY_CAPTURED",
            "Authorization has been previously captured and hence cannot "
            "be captured again.");
        return;
    }
    if (sim_pay_is_expired(auth)) {
        sim_pay_issue(
            rs, "AUTHORIZATION_EXPIRED",
            "Authorization has expired and hence cannot be captured.");
        return;
    }
    if (strcmp(status, "VOIDED") == 0) {
        sim_pay_issue(
            rs, "AUTHORIZATION_VOIDED",
            "A voided authorization cannot be captured or reauthorized.");
        return;
    }
    if (strcmp(status, "DENIED") == 0) {
        sim_pay_issue(rs, "AUTHORIZATION_DENIED",
                      "A denied authorization cannot be captured.");
        return;
    }
    if (strcmp(status, "PENDING") == 0) {
        /* PayPal documents no issue for this; the refusal it has. */
        sim_pay_issue(
            rs, "TRANSACTION_REFUSED",
            "The authorization is pending and cannot be captured yet.");
        return;
    }
    const char *currency = sim_jstr(auth, "currency");
    int64_t authorized = sim_jint(auth, "amount_minor");
    int64_t captured = sim_jint(auth, "captured_minor");
    bool present;
    int64_t amount = 0;
    char cur[4];
    if (!sim_pay_optional_money(rq, rs, "amount", &present, &amount, cur))
        return;
    if (!present) {
        amount = authorized - captured;
        if (amount <= 0) {
            sim_pay_issue(
                rs, "AUTHORIZATION_ALREADY_CAPTURED",
                "Authorization has been previously captured and hence "
                "cannot be captured again.");
            return;
        }
    } else if (strcmp(cur, currency) != 0) {
        sim_pay_issue(rs, "AUTH_CAPTURE_CURRENCY_MISMATCH",
                      "Currency of capture must be the same as currency of "
                      "authorization.");
        return;
    }
    if (captured + amount > sim_pay_capture_limit(authorized, currency)) {
        sim_pay_issue(
            rs, "MAX_CAPTURE_AMOUNT_EXCEEDED",
            "Capture amount exceeds allowable limit. Please contact "
            "customer service or your account manager to request the "
            "change to your overage limit. The default overage limit is "
            "115%, which allows the sum of all captures to be up to 115% "
            "of the order amount.");
        return;
    }
    if (sim_jint(auth, "captures") >= s->config.max_captures) {
        sim_pay_issue(
            rs, "MAX_CAPTURE_COUNT_EXCEEDED",
            "Maximum number of allowable captures has been reached. No "
            "additional captures are possible for this authorization.");
        return;
    }
    if (s->config.decline_after_honor &&
        sim_now(s) > sim_jint(auth, "honor_end")) {
        sim_pay_issue(
            rs, "TRANSACTION_REFUSED",
            "PayPal's internal controls prevent authorization from being "
            "captured.");
        return;
    }
    const char *outcome = sim_outcome_take(s, "capture");
    int64_t now = sim_now(s);
    char id[SIM_ID_LEN + 1];
    sim_random_id(id, SIM_ID_LEN);
    json_t *cap = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:I, s:I}", "id", id,
        "authorization_id", rq->id, "order_id", sim_jstr(auth, "order_id"),
        "status", outcome != NULL ? outcome : "COMPLETED", "currency", currency,
        "amount_minor", (json_int_t)amount, "fee_minor", (json_int_t)0,
        "refunded_minor", (json_int_t)0, "final_capture",
        sim_jbool(rq->json, "final_capture"), "created", (json_int_t)now,
        "updated", (json_int_t)now);
    const char *invoice = sim_jstr(rq->json, "invoice_id");
    if (invoice == NULL)
        invoice = sim_jstr(auth, "invoice_id");
    sim_set_str(cap, "invoice_id", invoice);
    sim_pay_copy_optional(cap, auth, "custom_id");
    sim_pay_copy_optional(cap, rq->json, "note_to_payer");
    json_object_set_new(sim_captures(s), id, cap);
    if (outcome == NULL) {
        sim_pay_capture_complete(cap);
    } else if (strcmp(outcome, "PENDING") == 0) {
        /* Not captured money until settled: the authorization is as it
         * was, and no fee, transaction or breakdown exists yet. */
        sim_set_str(cap, "status_reason", "PENDING_REVIEW");
        sim_pay_capture_event(cap, "PAYMENT.CAPTURE.PENDING",
                              "Payment pending for");
    } else {
        /* DECLINED or FAILED: nothing moved, the authorization stays
         * capturable (as after a declined PayPal-Mock-Response). */
        sim_pay_capture_event(cap, "PAYMENT.CAPTURE.DECLINED",
                              "Payment declined for");
    }
    json_t *full = sim_payments_capture_json(cap);
    sim_reply_json(rs, 201, rq->representation ? full : sim_pay_minimal(full));
}

void
sim_authorizations_reauthorize(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *auth = json_object_get(sim_authorizations(s), rq->id);
    if (auth == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    if (!sim_pay_body_ok(rq, rs))
        return;
    if (sim_jstr(auth, "parent_id") != NULL) {
        sim_pay_issue(
            rs, "REAUTHORIZATION_NOT_SUPPORTED",
            "A reauthorize cannot be attempted on an authorization_id "
            "that is the result of a prior reauthorization or on an "
            "authorization made on an Order saved using the "
            "`v2/checkout/orders/id/save` API.");
        return;
    }
    if (sim_pay_family_captured(auth)) {
        sim_pay_issue(
            rs, "AUTHORIZATION_ALREADY_CAPTURED",
            "Authorization has been previously captured and hence cannot "
            "be captured again.");
        return;
    }
    if (sim_pay_is_expired(auth)) {
        sim_pay_issue(rs, "AUTHORIZATION_EXPIRED",
                      "Authorization has expired and hence cannot be "
                      "reauthorized.");
        return;
    }
    if (strcmp(sim_jstr(auth, "status"), "VOIDED") == 0) {
        sim_pay_issue(
            rs, "AUTHORIZATION_VOIDED",
            "A voided authorization cannot be captured or reauthorized.");
        return;
    }
    if (strcmp(sim_jstr(auth, "status"), "DENIED") == 0 ||
        strcmp(sim_jstr(auth, "status"), "PENDING") == 0) {
        sim_pay_issue(
            rs, "TRANSACTION_REFUSED",
            "A denied or pending authorization cannot be reauthorized.");
        return;
    }
    if (sim_now(s) < sim_jint(auth, "honor_end")) {
        sim_pay_issue(
            rs, "REAUTHORIZATION_TOO_SOON",
            "A reauthorization is only allowed once from Day 4 to Day 29 "
            "since the date of the original authorization.");
        return;
    }
    if (sim_jint(auth, "reauth_count") >= s->config.reauth_limit) {
        sim_pay_issue(
            rs, "TOO_MANY_REAUTHORIZATIONS",
            "Maximum number of reauthorizations for this authorization "
            "has been reached.");
        return;
    }
    const char *currency = sim_jstr(auth, "currency");
    int64_t authorized = sim_jint(auth, "amount_minor");
    bool present;
    int64_t amount = authorized;
    char cur[4];
    if (!sim_pay_optional_money(rq, rs, "amount", &present, &amount, cur))
        return;
    if (present && strcmp(cur, currency) != 0) {
        sim_pay_issue(
            rs, "AUTH_CURRENCY_MISMATCH",
            "The currency of the reauthorization should be the same as "
            "the currency of the authorization.");
        return;
    }
    if (amount > sim_pay_capture_limit(authorized, currency)) {
        sim_pay_issue(
            rs, "AUTHORIZATION_AMOUNT_EXCEEDED",
            "Authorization amount exceeds the allowed limit of 115% of "
            "the original amount (at most 75 USD more).");
        return;
    }
    json_t *order = json_object_get(sim_orders(s), sim_jstr(auth, "order_id"));
    json_t *reauth =
        sim_payments_new_authorization(order, rq->id, amount, "CREATED");
    sim_set_int(auth, "reauth_count", sim_jint(auth, "reauth_count") + 1);
    sim_set_int(auth, "updated", sim_now(s));
    json_t *full = sim_payments_authorization_json(reauth);
    sim_reply_json(rs, 201, rq->representation ? full : sim_pay_minimal(full));
}

void
sim_authorizations_void(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *auth = json_object_get(sim_authorizations(s), rq->id);
    if (auth == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    if (sim_jstr(auth, "parent_id") != NULL) {
        sim_pay_issue(
            rs, "CANNOT_BE_VOIDED",
            "A reauthorization cannot be voided. Please void the original "
            "parent authorization.");
        return;
    }
    if (sim_pay_family_captured(auth)) {
        sim_pay_issue(
            rs, "PREVIOUSLY_CAPTURED",
            "Authorization has been previously captured and hence cannot "
            "be voided.");
        return;
    }
    const char *status = sim_jstr(auth, "status");
    if (strcmp(status, "VOIDED") == 0) {
        sim_pay_issue(
            rs, "PREVIOUSLY_VOIDED",
            "Authorization has been previously voided and hence cannot be "
            "voided again.");
        return;
    }
    if (strcmp(status, "EXPIRED") == 0) {
        sim_pay_issue(rs, "AUTHORIZATION_EXPIRED",
                      "Authorization has expired and hence cannot be voided.");
        return;
    }
    if (strcmp(status, "DENIED") == 0) {
        sim_pay_issue(rs, "CANNOT_BE_VOIDED",
                      "A denied authorization holds nothing to void.");
        return;
    }
    int64_t now = sim_now(s);
    const char *key;
    json_t *a;
    json_object_foreach(sim_authorizations(s), key, a)
    {
        const char *parent = sim_jstr(a, "parent_id");
        bool member =
            a == auth || (parent != NULL && strcmp(parent, rq->id) == 0);
        const char *st = sim_jstr(a, "status");
        if (member && (strcmp(st, "CREATED") == 0 ||
                       strcmp(st, "PARTIALLY_CAPTURED") == 0 ||
                       strcmp(st, "PENDING") == 0)) {
            sim_set_str(a, "status", "VOIDED");
            json_object_del(a, "status_reason");
            sim_set_int(a, "updated", now);
        }
    }
    json_t *full = sim_payments_authorization_json(auth);
    char summary[160];
    snprintf(summary, sizeof(summary),
             "A payment authorization was voided for %s %s",
             sim_jstr(json_object_get(full, "amount"), "value"),
             sim_jstr(auth, "currency"));
    sim_webhook_queue(s, "PAYMENT.AUTHORIZATION.VOIDED", "authorization",
                      summary, full);
    if (rq->representation) {
        sim_reply_json(rs, 200, full);
    } else {
        json_decref(full);
        rs->status = 204;
    }
}
