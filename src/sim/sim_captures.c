/* sim_captures.c - Payments v2's captures and refunds (NOTES §4): read a
 * capture, refund it (in full or in part), read a refund.  The records and
 * their representations are sim_payments.c. */
#include <stdio.h>
#include <string.h>

#include "rma/money.h"
#include "sim/sim_api.h"
#include "sim/sim_payments.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"
#include "sim/sim_webhooks.h"

void
sim_captures_get(struct sim_request *rq, struct sim_response *rs)
{
    json_t *cap = json_object_get(sim_captures(g_sim), rq->id);
    if (cap == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    sim_reply_json(rs, 200, sim_payments_capture_json(cap));
}

void
sim_captures_refund(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *cap = json_object_get(sim_captures(s), rq->id);
    if (cap == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    if (!sim_pay_body_ok(rq, rs) ||
        !sim_pay_string_max(rq, rs, "invoice_id", 127) ||
        !sim_pay_string_max(rq, rs, "custom_id", 127) ||
        !sim_pay_string_max(rq, rs, "note_to_payer", 255))
        return;
    const char *status = sim_jstr(cap, "status");
    if (strcmp(status, "REFUNDED") == 0) {
        sim_pay_issue(rs, "CAPTURE_FULLY_REFUNDED",
                      "The capture has already been fully refunded");
        return;
    }
    if (strcmp(status, "PENDING") == 0) {
        sim_pay_issue(
            rs, "PENDING_CAPTURE",
            "Cannot initiate a refund as the capture is pending. Capture "
            "is typically pending when the payer has funded the "
            "transaction by using an e-check or bank account.");
        return;
    }
    if (!sim_pay_capture_settled(cap)) {
        sim_pay_issue(rs, "REFUND_NOT_ALLOWED",
                      "A declined or failed capture moved no money to refund.");
        return;
    }
    const char *currency = sim_jstr(cap, "currency");
    int64_t gross = sim_jint(cap, "amount_minor");
    /* Pending refunds hold their amount: it cannot be refunded twice. */
    int64_t taken =
        sim_jint(cap, "refunded_minor") + sim_jint(cap, "pending_refund_minor");
    bool present;
    int64_t amount = gross - taken;
    char cur[4];
    if (!sim_pay_optional_money(rq, rs, "amount", &present, &amount, cur))
        return;
    if (present && strcmp(cur, currency) != 0) {
        sim_pay_issue(rs, "REFUND_CAPTURE_CURRENCY_MISMATCH",
                      "Refund must be in the same currency as the capture");
        return;
    }
    if (amount <= 0 || taken + amount > gross) {
        sim_pay_issue(rs, "REFUND_AMOUNT_EXCEEDED",
                      "The refund amount must be less than or equal to the "
                      "capture amount that has not yet been refunded.");
        return;
    }
    const char *outcome = sim_outcome_take(s, "refund");
    int64_t now = sim_now(s);
    char id[SIM_ID_LEN + 1];
    sim_random_id(id, SIM_ID_LEN);
    json_t *refund = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "id", id, "capture_id",
        rq->id, "status", outcome != NULL ? outcome : "COMPLETED", "currency",
        currency, "amount_minor", (json_int_t)amount, "fee_minor",
        (json_int_t)0, "total_refunded_minor",
        (json_int_t)sim_jint(cap, "refunded_minor"), "created", (json_int_t)now,
        "updated", (json_int_t)now);
    sim_pay_copy_optional(refund, rq->json, "invoice_id");
    sim_pay_copy_optional(refund, rq->json, "custom_id");
    sim_pay_copy_optional(refund, rq->json, "note_to_payer");
    json_object_set_new(sim_refunds(s), id, refund);
    if (outcome == NULL) {
        sim_pay_refund_complete(refund, cap);
    } else if (strcmp(outcome, "PENDING") == 0) {
        /* The capture is as it was until settled; PayPal has no event. */
        sim_set_str(refund, "status_reason", "ECHECK");
        sim_set_int(cap, "pending_refund_minor",
                    sim_jint(cap, "pending_refund_minor") + amount);
    }
    /* FAILED: nothing moved, nothing held, no event. */
    json_t *full = sim_pay_refund_json(refund);
    sim_reply_json(rs, 201, rq->representation ? full : sim_pay_minimal(full));
}

void
sim_refunds_get(struct sim_request *rq, struct sim_response *rs)
{
    json_t *refund = json_object_get(sim_refunds(g_sim), rq->id);
    if (refund == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    sim_reply_json(rs, 200, sim_pay_refund_json(refund));
}
