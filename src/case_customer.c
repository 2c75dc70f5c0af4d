/* case_customer.c - the operations a customer causes on a case (case_ops.h):
 * agreeing, disagreeing, the shipping address, the decision on a repair
 * quote.  Each locks the case row, re-checks its state there and applies
 * the transition, its audit event and what follows in one transaction.
 * The replacement method and the hold's agreement are case_ops.c. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/money.h"
#include "rma/policy_db.h"
#include "rma/staff_notify.h"

/* Confirmed, then, for kinds that start at once, fulfilment (replacements
 * wait for their method). */
enum rma_err
case_agree(struct hold_env *env, int64_t rma_id, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    int to = rma_state_next(r.status, EV_AGREE, r.kind, env->who.kind);
    if (to < 0)
        return case_end(env, case_refuse_state(no, &r, "agreeing"));
    err = db_rma_transition(env->db, &r, (enum rma_status)to, EV_AGREE,
                            &env->who, NULL, env->now);
    int next =
        rma_state_next(ST_CONFIRMED, EV_START_FULFILMENT, r.kind, ACTOR_SYSTEM);
    if (err == RMA_OK && next >= 0) {
        r.status = ST_CONFIRMED;
        struct rma_actor_info sys = {ACTOR_SYSTEM, "rma", NULL, false};
        err = db_rma_transition(env->db, &r, (enum rma_status)next,
                                EV_START_FULFILMENT, &sys, NULL, env->now);
    }
    return case_end(env, err);
}

enum rma_err
case_disagree(struct hold_env *env, int64_t rma_id, const char *comment,
              struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    int to = rma_state_next(r.status, EV_DISAGREE, r.kind, env->who.kind);
    if (to < 0)
        return case_end(env, case_refuse_state(no, &r, "disagreeing"));
    char *detail = hold_detail_json("{s:s}", "comment", comment);
    err = detail == NULL ? RMA_EINTERNAL : RMA_OK;
    if (err == RMA_OK)
        err = db_rma_comment(env->db, r.id, "customer", env->who.name, comment,
                             env->now);
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to, EV_DISAGREE,
                                &env->who, detail, env->now);
    if (err == RMA_OK) /* the agent who prepared it (staff_notify.h) */
        err = staff_notify_disagreed(env->db, env->cfg, r.id, comment);
    free(detail);
    return case_end(env, err);
}

enum rma_err
case_set_address(struct hold_env *env, int64_t rma_id, const char *country,
                 const char *address_json, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    bool staff = env->who.kind != ACTOR_CUSTOMER;
    if (r.kind == KIND_REFUND)
        err = case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                          "a refund ships nothing: it has no shipping "
                          "address");
    else if (!rma_address_editable(
                 r.status, r.kind,
                 strcmp(r.replacement_method, "advanced") == 0, staff))
        err = case_refuse_state(no, &r, "changing the shipping address");
    else if (strcmp(country, r.order_country) != 0)
        err = case_refuse(no, RMA_ERULE, "country_locked", "country",
                          "the country cannot change: the replacement ships "
                          "to %s, the country of the original order",
                          r.order_country);
    if (err == RMA_OK)
        err = db_rma_set_address(env->db, r.id, address_json, env->now);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "shipping_address", NULL,
                           env->now);
    return case_end(env, err);
}

enum rma_err
case_decide_quote(struct hold_env *env, int64_t rma_id, bool approve,
                  struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    int to = rma_state_next(r.status, EV_QUOTE_DECIDED, r.kind, env->who.kind);
    if (to < 0)
        return case_end(env, case_refuse_state(no, &r, "deciding on a quote"));
    struct policy_case pc;
    err = db_policy_case(env->db, r.id, &pc);
    if (err == RMA_OK && (pc.quote_amount < 0 || pc.quote_decision[0]))
        err = RMA_ECONFLICT; /* answered as a change meanwhile */
    int64_t fee = -1;
    if (err == RMA_OK && !approve) {
        fee = policy_decline_fee(&pc.line, pc.quote_amount);
        /* Return as-is: the quote is no longer due, the handling fee is. */
        err = db_policy_set_makeup(env->db, r.id, fee > 0 ? fee : -1,
                                   "repair_fee", env->now);
    }
    const char *decision = approve ? "approved" : "declined";
    char *detail = NULL;
    if (err == RMA_OK) {
        json_t *d = json_pack("{s:s}", "decision", decision);
        if (fee >= 0) {
            char v[MONEY_TEXT_MAX];
            money_format_minor(fee, money_exponent(r.currency), v);
            json_object_set_new(d, "handling_fee",
                                json_pack("{s:s, s:s}", "currency_code",
                                          r.currency, "value", v));
        }
        detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        err = db_policy_quote_decide(env->db, r.id, decision, fee,
                                     env->who.name, env->now);
    }
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to,
                                EV_QUOTE_DECIDED, &env->who, detail, env->now);
    free(detail);
    return case_end(env, err);
}
