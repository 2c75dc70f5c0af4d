/* case_makeup.c - make-up payment claims as case operations (case_ops.h):
 * the customer's claim, recorded under the case's row lock that re-checks
 * that a claim may be made, and finance's resolution of a claim's
 * exception.  Looking a claim up at PayPal is makeup_ops.c. */
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "rma/case_ops.h"
#include "rma/db_makeup.h"
#include "rma/makeup.h"

/* Why a claim cannot be made now. */
static enum rma_err
refuse_claim(struct case_refusal *no, enum makeup_submit why,
             enum rma_status status)
{
    switch (why) {
    case MAKEUP_SUBMIT_NOTHING_DUE:
        return case_refuse(no, RMA_ECONFLICT, "nothing_due", NULL,
                           "no make-up payment is due on this RMA");
    case MAKEUP_SUBMIT_PENDING:
        return case_refuse(no, RMA_ECONFLICT, "claim_pending", NULL,
                           "your payment is being checked: wait for the "
                           "outcome");
    case MAKEUP_SUBMIT_PAID:
        return case_refuse(no, RMA_ECONFLICT, "already_paid", NULL,
                           "a payment for this RMA was already found");
    default:
        return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                           "a make-up payment cannot be submitted while the "
                           "RMA is %s",
                           rma_status_name(status));
    }
}

enum rma_err
case_claim_makeup(struct hold_env *env, int64_t rma_id, const char *txn,
                  int64_t receipt_id, int64_t *id, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    struct makeup_case mc;
    err = db_makeup_case(env->db, r.id, false, &mc);
    if (err != RMA_OK)
        return case_end(env, err);
    enum makeup_submit why = makeup_can_submit(
        r.status, mc.due, mc.latest_id != 0, mc.latest_status);
    if (why != MAKEUP_SUBMIT_OK)
        return case_end(env, refuse_claim(no, why, r.status));
    /* The job's first look comes after the backoff's first step: the try
     * made right after this commit goes first. */
    struct makeup_policy policy = makeup_policy_default();
    char first_retry[32];
    hold_iso(env->now_t + policy.backoff_first_s, first_retry,
             sizeof(first_retry));
    struct makeup_claim_new c = {
        r.id,      txn,           receipt_id,  mc.currency,       mc.due,
        mc.reason, env->who.name, first_retry, env->who.on_behalf};
    err = db_makeup_insert(env->db, &c, env->now, id);
    if (err == RMA_ERULE) /* the receipt went away meanwhile */
        err = RMA_ECONFLICT;
    else if (err == RMA_ECONFLICT) /* a concurrent claim won */
        err = refuse_claim(no, MAKEUP_SUBMIT_PENDING, r.status);
    if (err == RMA_OK) {
        char *d = hold_detail_json(
            "{s:I, s:s, s:I}", "claim_id", (json_int_t)*id, "transaction_id",
            txn, "payment_receipt_id", (json_int_t)receipt_id);
        err = db_rma_audit(env->db, r.id, &env->who, "makeup_payment_submitted",
                           d, env->now);
        free(d);
    }
    return case_end(env, err);
}

enum rma_err
case_resolve_makeup(struct hold_env *env, int64_t claim_id, const char *note,
                    struct case_refusal *no)
{
    enum rma_err err = db_begin(env->db);
    if (err != RMA_OK)
        return err;
    struct makeup_claim_row c;
    bool resolved = false;
    err = db_makeup_claim(env->db, claim_id, true, &c);
    if (err == RMA_OK)
        err = db_makeup_resolve(env->db, claim_id, env->who.name, note,
                                env->now, &resolved);
    if (err == RMA_OK && !resolved)
        err = case_refuse(no, RMA_ECONFLICT, "nothing_to_resolve", NULL,
                          "make-up payment claim %lld has no open exception "
                          "(it is %s)",
                          (long long)claim_id, makeup_status_name(c.status));
    if (err == RMA_OK) {
        char *d = hold_detail_json("{s:I, s:s, s:s}", "claim_id",
                                   (json_int_t)claim_id, "outcome",
                                   makeup_status_name(c.status), "note", note);
        err = db_rma_audit(env->db, c.rma_id, &env->who,
                           "makeup_payment_resolved", d, env->now);
        free(d);
    }
    return case_end(env, err);
}
