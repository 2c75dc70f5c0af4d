/* case_warehouse.c - the operations of the unit's way back (case_ops.h):
 * the customer's return shipment, the warehouse's receipt (with what it
 * means for the hold and a refund) and inspection.  Each locks the case
 * row, re-checks its state there and applies every consequence in one
 * transaction; PayPal is called after the commit (hold_ops.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "rma/case_ops.h"
#include "rma/refund_ops.h"
#include "rma/returns.h"

enum rma_err
case_submit_return(struct hold_env *env, const struct return_submission *s,
                   struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, s->rma_id, &r);
    if (err != RMA_OK)
        return err;
    /* Staff submit it for the customer where the customer could. */
    int to =
        rma_state_next(r.status, EV_SUBMIT_RETURN, r.kind,
                       env->who.on_behalf ? ACTOR_CUSTOMER : env->who.kind);
    if (to < 0)
        return case_end(env,
                        case_refuse_state(no, &r, "submitting the return"));
    char *detail = hold_detail_json("{s:s, s:s}", "carrier", s->carrier,
                                    "tracking_number", s->tracking_number);
    err = db_rma_transition(env->db, &r, (enum rma_status)to, EV_SUBMIT_RETURN,
                            &env->who, detail, env->now);
    free(detail);
    if (err == RMA_OK)
        err = db_return_submit(env->db, s, env->now);
    /* A concurrent change: another submission, or a picture deleted. */
    if (err == RMA_ERULE)
        err = RMA_ECONFLICT;
    return case_end(env, err);
}

/* Inside the receipt's transaction: what the receipt means for the case's
 * latest hold h (herr: whether there is one).  Released when the unit is
 * the right one; a capture already made waits for the inspection and a
 * supervisor's refund decision (case_late_return.c); a mismatch waits for
 * a supervisor.  *void_id: the hold to void after commit. */
static enum rma_err
receipt_hold(struct hold_env *env, const struct rma_ref *r, bool match,
             enum rma_err herr, const struct hold *h, int64_t *void_id)
{
    if (herr == RMA_ENOTFOUND)
        return RMA_OK;
    if (herr != RMA_OK)
        return herr;
    if (!match &&
        (h->status == HOLD_AUTHORIZED || h->status == HOLD_CAPTURED)) {
        char key[64];
        snprintf(key, sizeof(key), "hold:%lld:serial_mismatch",
                 (long long)h->id);
        return hold_exception(env, "serial_mismatch", r->id, h->id, h->currency,
                              h->amount_minor,
                              "the received unit's S/N or UID does not match "
                              "the case: the hold waits for a supervisor",
                              key);
    }
    if (h->status == HOLD_AUTHORIZED)
        return case_release_hold_in_tx(env, r->id, "received", void_id);
    return RMA_OK;
}

enum rma_err
case_receive(struct hold_env *env, const struct receipt_row *rc, json_t *detail,
             struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rc->rma_id, &r);
    if (err != RMA_OK)
        return err;
    int to = rma_state_next(r.status, EV_RECEIVE, r.kind, env->who.kind);
    if (to < 0)
        return case_end(env,
                        case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                                    "a receipt is not possible while "
                                    "the RMA is %s",
                                    rma_status_name(r.status)));
    bool match = false;
    err = db_receipt_insert(env->db, rc, &match);
    json_object_set_new(detail, "serial_match", json_boolean(match));
    char *text = json_dumps(detail, JSON_COMPACT);
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to, EV_RECEIVE,
                                &env->who, text, env->now);
    free(text);
    struct hold h;
    enum rma_err herr = RMA_ENOTFOUND;
    if (err == RMA_OK)
        herr = db_hold_latest(env->db, r.id, &h);
    /* A refund case: the refund is due now (SPEC §14). */
    if (err == RMA_OK)
        err = refund_open_in_tx(env, &r);
    int64_t void_id = 0;
    if (err == RMA_OK)
        err = receipt_hold(env, &r, match, herr, &h, &void_id);
    /* The customer is told, unless the hold's release says it (its mail
     * names the return). */
    bool released = herr == RMA_OK && match && h.status == HOLD_AUTHORIZED;
    if (err == RMA_OK && !released)
        err = case_notify(env, &r, CASE_MAIL_RETURN_RECEIVED, -1, 0, NULL);
    err = case_end(env, err);
    if (err != RMA_OK)
        return err;
    if (r.kind == KIND_REFUND)
        refund_pay_case(env, r.id);
    if (released)
        case_void_now(env, void_id);
    return RMA_OK;
}

enum rma_err
case_inspect(struct hold_env *env, int64_t rma_id, const char *outcome,
             const char *notes, const char *detail_json,
             struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    /* After the receipt: also once a refund is due or paid, or the unit
     * has gone back (SPEC §14 keeps the case moving on receipt). */
    bool after_receipt = r.status == ST_RECEIVED || r.status == ST_REFUND_DUE ||
                         r.status == ST_REPLACEMENT_SHIPPED ||
                         r.status == ST_REPAIR_SHIPPED ||
                         r.status == ST_COMPLETED;
    if (!after_receipt)
        return case_end(env,
                        case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                                    "an inspection is recorded after "
                                    "the receipt, not while the RMA is "
                                    "%s",
                                    rma_status_name(r.status)));
    err = db_inspection_insert(env->db, r.id, outcome, notes, env->who.name,
                               env->now);
    if (err == RMA_ECONFLICT)
        err = case_refuse(no, err, "already_inspected", NULL,
                          "this RMA's inspection is already recorded");
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "inspection", detail_json,
                           env->now);
    return case_end(env, err);
}
