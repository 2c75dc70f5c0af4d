/* case_staff.c - the operations staff cause on a case (case_ops.h):
 * creating and editing it, its way through review and confirmation (four
 * eyes included), the repair quote, the RMA number's validity extension.
 * Each runs in one transaction that locks the case row (a new case: its
 * creation), re-checks its state there and applies every consequence. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/mail.h"
#include "rma/money.h"
#include "rma/policy_db.h"
#include "rma/refund.h"

/* ---- creating and editing ---- */

enum rma_err
case_create(struct hold_env *env, const struct case_new *c, int64_t *id,
            struct case_refusal *no)
{
    *id = 0;
    enum rma_err err = db_begin(env->db);
    if (err != RMA_OK)
        return err;
    err = db_rma_create(env->db, c->doc_json, env->who.name, env->now, id);
    if (err == RMA_OK && c->refund_applies)
        err = db_policy_record_refund(env->db, *id, c->refund_price,
                                      c->refund_fee, c->refund_note,
                                      c->refund_override_reason);
    if (err == RMA_OK && c->pay_method != NULL) {
        err = db_order_set_payment(env->db, *id, c->pay_method, c->pay_capture,
                                   c->pay_reference);
        if (err == RMA_ECONFLICT)
            err = case_refuse(no, RMA_ERULE, "order_payment_differs",
                              "order.payment",
                              "the order was recorded with another payment");
    }
    if (err == RMA_OK)
        err = db_rma_snapshot(env->db, *id, env->who.name, env->now);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, *id, &env->who, "create", NULL, env->now);
    err = case_end(env, err);
    if (err == RMA_ERULE && no->code == NULL)
        err = case_refuse(no, err, "rule_violated", NULL,
                          "unknown model, or the order belongs to another "
                          "customer");
    return err;
}

enum rma_err
case_edit(struct hold_env *env, int64_t rma_id, const char *doc_json,
          struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    if (r.status != ST_DRAFT && r.status != ST_REJECTED)
        return case_end(env, case_refuse_state(no, &r, "editing"));
    if (r.status == ST_REJECTED)
        err = db_rma_transition(env->db, &r, ST_DRAFT, EV_REVISE, &env->who,
                                NULL, env->now);
    if (err == RMA_OK)
        err = db_rma_edit(env->db, r.id, doc_json, env->now);
    if (err == RMA_OK)
        err = db_rma_snapshot(env->db, r.id, env->who.name, env->now);
    if (err == RMA_OK)
        err =
            db_rma_audit(env->db, r.id, &env->who, "edit", doc_json, env->now);
    return case_end(env, err);
}

/* ---- review and confirmation ---- */

/* Whether policy asks a supervisor to review this case before the customer
 * sees it (config supervisor_review). */
static bool
needs_review(const struct rma_config *cfg, const struct rma_ref *r)
{
    if (cfg->review_policy == REVIEW_ALWAYS)
        return true;
    if (cfg->review_policy == REVIEW_NEVER)
        return false;
    /* The threshold is in major units with two decimals; scale it to the
     * case's currency exponent. */
    int exp = money_exponent(r->currency);
    int64_t threshold = cfg->review_threshold_minor;
    for (int e = exp; e < 2; e++)
        threshold /= 10;
    for (int e = 2; e < exp; e++)
        threshold *= 10;
    int64_t amount = r->refund_minor > r->replacement_minor
                         ? r->refund_minor
                         : r->replacement_minor;
    return amount > threshold;
}

/* Four eyes (SPEC §15): where policy asks for a supervisor's review, nobody
 * approves a case they created or edited (as the same staff name).  Under
 * the case's row lock, so that no edit slips between the check and the
 * approval. */
static enum rma_err
four_eyes(struct hold_env *env, const struct rma_ref *r,
          struct case_refusal *no)
{
    if (env->cfg->review_policy == REVIEW_NEVER)
        return RMA_OK;
    bool touched = true;
    enum rma_err err =
        db_rma_lock_staff_touched(env->db, r->id, env->who.name, &touched);
    if (err == RMA_ENOTFOUND)
        return RMA_ECONFLICT;
    if (err == RMA_OK && touched)
        err = case_refuse(no, RMA_EFORBIDDEN, "four_eyes", NULL,
                          "you created or edited this RMA: another "
                          "supervisor must approve it");
    return err;
}

enum rma_err
case_staff_move(struct hold_env *env, int64_t rma_id, enum rma_event ev,
                const char *detail_json, const char *what,
                const char *cancel_reason, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    if (ev == EV_SUBMIT && needs_review(env->cfg, &r))
        ev = EV_SUBMIT_REVIEWED;
    int to = rma_state_next(r.status, ev, r.kind, env->who.kind);
    if (to < 0)
        return case_end(env, case_refuse_state(no, &r, what));
    struct mail_text text = {0};
    if (to == ST_PENDING_CONFIRM)
        err = mail_text_action_required(env->cfg->public_base_url,
                                        r.customer_name, r.number, &text);
    if (err == RMA_OK && ev == EV_APPROVE)
        err = four_eyes(env, &r, no);
    if (err == RMA_OK && cancel_reason != NULL) /* a CHECK needs it first */
        err = db_rma_set_cancel_reason(env->db, r.id, cancel_reason);
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to, ev, &env->who,
                                detail_json, env->now);
    int64_t void_id = 0;
    if (err == RMA_OK && ev == EV_CANCEL)
        err = case_release_hold_in_tx(env, r.id, "cancelled", &void_id);
    if (err == RMA_OK && to == ST_PENDING_CONFIRM)
        err = mail_enqueue(env->db, "action_required", r.id, r.customer_email,
                           text.subject, text.body);
    /* A customer who has seen the case is told why it ends. */
    if (err == RMA_OK && ev == EV_CANCEL && cancel_reason != NULL &&
        rma_status_customer_visible(r.status))
        err = case_notify(env, &r, CASE_MAIL_CANCELLED, -1, 0, cancel_reason);
    int next =
        rma_state_next(ST_CONFIRMED, EV_START_FULFILMENT, r.kind, ACTOR_SYSTEM);
    if (err == RMA_OK && to == ST_CONFIRMED && next >= 0) {
        r.status = ST_CONFIRMED;
        struct rma_actor_info sys = {ACTOR_SYSTEM, "rma", NULL, false};
        err = db_rma_transition(env->db, &r, (enum rma_status)next,
                                EV_START_FULFILMENT, &sys, NULL, env->now);
    }
    mail_text_free(&text);
    err = case_end(env, err);
    if (err == RMA_OK)
        case_void_now(env, void_id);
    return err;
}

/* ---- the repair quote ---- */

/* Under the case lock: refuses a quote the policy or the case does not
 * allow; *basis is the quote's. */
static enum rma_err
quotable(struct hold_env *env, const struct rma_ref *r,
         enum policy_quote_basis *basis, struct case_refusal *no)
{
    struct policy_case pc;
    enum rma_err err = db_policy_case(env->db, r->id, &pc);
    if (err != RMA_OK)
        return err;
    *basis = policy_quote_basis(pc.in_warranty,
                                pc.inspection[0] ? pc.inspection : NULL);
    if (*basis == QUOTE_NONE)
        return case_refuse(no, RMA_ERULE, "quote_not_allowed", NULL,
                           "the unit is in warranty and was not damaged by "
                           "inadequate packaging: the repair is free");
    if (pc.quote_amount >= 0)
        return case_refuse(no, RMA_ECONFLICT, "already_quoted", NULL,
                           "this RMA's repair was already quoted");
    if (pc.makeup_due >= 0)
        return case_refuse(no, RMA_ECONFLICT, "makeup_already_due", NULL,
                           "another amount is already due on this RMA");
    return RMA_OK;
}

enum rma_err
case_quote(struct hold_env *env, int64_t rma_id, int64_t amount_minor,
           const char *currency, const char *notes, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    if (strcmp(currency, r.currency) != 0)
        return case_end(env, case_refuse(no, RMA_ERULE, "currency_mismatch",
                                         "amount",
                                         "the quote must be in the case's "
                                         "currency, %s",
                                         r.currency));
    int to = rma_state_next(r.status, EV_QUOTE, r.kind, env->who.kind);
    if (to < 0)
        return case_end(env, case_refuse_state(no, &r, "quoting a repair"));
    enum policy_quote_basis basis = QUOTE_NONE;
    err = quotable(env, &r, &basis, no);
    char *detail = NULL;
    if (err == RMA_OK) {
        char v[MONEY_TEXT_MAX];
        money_format_minor(amount_minor, money_exponent(r.currency), v);
        detail =
            hold_detail_json("{s:{s:s, s:s}, s:s, s:s}", "amount",
                             "currency_code", r.currency, "value", v, "basis",
                             policy_quote_basis_name(basis), "notes", notes);
        err = db_policy_quote_insert(env->db, r.id, r.currency, amount_minor,
                                     policy_quote_basis_name(basis), notes,
                                     env->who.name, env->now);
    }
    if (err == RMA_OK)
        err = db_policy_set_makeup(env->db, r.id, amount_minor, "repair_fee",
                                   env->now);
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to, EV_QUOTE,
                                &env->who, detail, env->now);
    /* The customer's decision is asked for, with the price. */
    if (err == RMA_OK)
        err =
            case_notify(env, &r, CASE_MAIL_REPAIR_QUOTE, amount_minor, 0, NULL);
    free(detail);
    return case_end(env, err);
}

/* ---- the RMA number's validity ---- */

enum rma_err
case_extend_validity(struct hold_env *env, int64_t rma_id, int days,
                     const char *detail_json, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    if (rma_state_next(r.status, EV_EXPIRE, r.kind, ACTOR_SYSTEM) < 0)
        return case_end(
            env,
            case_refuse_state(no, &r, "extending the RMA number's validity"));
    if (r.status == ST_AWAITING_RETURN &&
        strcmp(r.replacement_method, "advanced") == 0)
        return case_end(env,
                        case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                                    "an advanced replacement follows its "
                                    "hold's deadline: use "
                                    "deadline-extension"));
    struct policy_case pc;
    err = db_policy_case(env->db, r.id, &pc);
    if (err == RMA_OK && pc.extension_days + days > POLICY_EXTENSION_MAX_DAYS)
        err = case_refuse(no, RMA_ERULE, "extension_limit", "days",
                          "extensions may add up to %d days; %d are left",
                          POLICY_EXTENSION_MAX_DAYS,
                          POLICY_EXTENSION_MAX_DAYS - pc.extension_days);
    if (err == RMA_OK)
        err = db_policy_extend(env->db, r.id, rma_status_name(r.status), days,
                               env->now);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "validity_extension",
                           detail_json, env->now);
    return case_end(env, err);
}

/* ---- a proof of purchase ---- */

enum rma_err
case_request_proof(struct hold_env *env, int64_t rma_id, const char *note,
                   struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    /* The customer sees the case and it is still going on. */
    if (!rma_status_in_progress(r.status))
        return case_end(
            env, case_refuse_state(no, &r, "asking for a proof of purchase"));
    err = db_rma_request_proof(env->db, r.id, note, env->now);
    char *d = hold_detail_json("{s:s}", "comment", note);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "proof_requested", d,
                           env->now);
    free(d);
    if (err == RMA_OK)
        err = case_notify(env, &r, CASE_MAIL_PROOF_REQUESTED, -1, 0, note);
    return case_end(env, err);
}
