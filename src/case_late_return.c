/* case_late_return.c - a return that arrives after its hold was captured
 * (SPEC §5.3, §14).  The customer's signed agreement (clause 4) promises a
 * refund of the capture per the inspection's outcome: once the unit is
 * inspected, a supervisor decides the amount (all of it for a unit in
 * order, less for a damaged one, or nothing), and the refund goes to
 * PayPal through the hold's durable refund intent (hold_ops.c).  Until the
 * decision the case is not complete (db_case_owed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/policy_db.h"

/* Under the case lock: the checks, then the decision recorded. */
static enum rma_err
decide(struct hold_env *env, const struct rma_ref *r, int64_t amount_minor,
       const char *reason, struct hold *h, struct case_refusal *no)
{
    if (r->kind != KIND_REPLACEMENT || r->status != ST_RECEIVED)
        return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                           "a capture is refunded after its late return is "
                           "received, and before the case completes");
    enum rma_err err = db_hold_latest(env->db, r->id, h);
    if (err == RMA_ENOTFOUND || (err == RMA_OK && h->status != HOLD_CAPTURED))
        return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                           "this RMA has no captured hold to refund");
    if (err != RMA_OK)
        return err;
    struct policy_case pc;
    err = db_policy_case(env->db, r->id, &pc);
    if (err != RMA_OK)
        return err;
    if (pc.inspection[0] == '\0')
        return case_refuse(
            no, RMA_ERULE, "inspection_required", NULL,
            "record the inspection first: the refund follows its "
            "outcome");
    if (amount_minor > h->capture_minor)
        return case_refuse(no, RMA_ERULE, "amount_too_high", "amount",
                           "the refund cannot exceed what was captured");
    if (strcmp(h->currency, r->currency) != 0)
        return case_refuse(no, RMA_ERULE, "currency_mismatch", "amount",
                           "the refund is in the capture's currency");
    err = db_hold_decide_refund(env->db, h->id, env->who.name, env->now);
    if (err == RMA_ECONFLICT)
        return case_refuse(no, RMA_ECONFLICT, "already_decided", NULL,
                           "the refund of this capture was already decided");
    if (err == RMA_OK && amount_minor > 0)
        err = db_hold_request_refund(env->db, h->id, amount_minor, reason,
                                     env->now);
    char amount[24];
    snprintf(amount, sizeof(amount), "%lld", (long long)amount_minor);
    char *d = hold_detail_json("{s:s, s:s, s:s}", "amount", amount, "reason",
                               reason, "inspection", pc.inspection);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r->id, &env->who, "capture_refund_decided",
                           d, env->now);
    free(d);
    /* Nothing to refund: the case may be complete now. */
    if (err == RMA_OK && amount_minor == 0)
        err = case_complete_if_settled(env, r);
    return err;
}

enum rma_err
case_refund_capture(struct hold_env *env, int64_t rma_id, int64_t amount_minor,
                    const char *reason, struct case_refusal *no)
{
    if (amount_minor < 0)
        return case_refuse(no, RMA_ERULE, "invalid_amount", "amount",
                           "the refund is zero or more");
    struct rma_ref r;
    struct hold h;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = case_end(env, decide(env, &r, amount_minor, reason, &h, no));
    /* The refund itself: at once when PayPal is there, else the job's. */
    if (err == RMA_OK && amount_minor > 0 && env->pc != NULL) {
        struct hold_work w = {.hold_id = h.id, .op = HOLD_OP_REFUND};
        hold_run(env, &w, 1, 1);
    }
    return err;
}
