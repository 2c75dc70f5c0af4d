/* case_ends.c - every case reaches its end (SPEC §14): the outbound
 * shipment as a case operation, and the one completion rule applied after
 * it: a case whose unit has shipped and that owes nothing in either
 * direction (no hold open, no fee unpaid, no refund unpaid) completes. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/refund.h"

static const struct rma_actor_info system_actor = {ACTOR_SYSTEM, "rma", NULL,
                                                   false};

enum rma_err
case_complete_if_settled(struct hold_env *env, const struct rma_ref *r)
{
    if (r->status != ST_REPLACEMENT_SHIPPED && r->status != ST_REPAIR_SHIPPED &&
        r->status != ST_RECEIVED)
        return RMA_OK;
    struct case_owed o;
    enum rma_err err = db_case_owed(env->db, r->id, &o);
    if (err != RMA_OK)
        return err;
    if (!o.shipped || o.fee_unpaid || o.hold_open || o.refund_unpaid)
        return RMA_OK;
    int to = rma_state_next(r->status, EV_COMPLETE, r->kind, ACTOR_SYSTEM);
    if (to < 0)
        return RMA_OK;
    char *d = hold_detail_json("{s:s}", "rule", "shipped and nothing owed");
    err = db_rma_transition(env->db, r, (enum rma_status)to, EV_COMPLETE,
                            &system_actor, d, env->now);
    free(d);
    return err;
}

enum rma_err
case_ship(struct hold_env *env, int64_t rma_id, const char *kind,
          const char *carrier, const char *tracking, const char *detail_json,
          struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    enum rma_event ev = r.kind == KIND_REPAIR ? EV_SHIP_REPAIRED : EV_SHIP;
    int to = rma_state_next(r.status, ev, r.kind, env->who.kind);
    struct case_owed o = {0};
    if (to < 0) {
        err = RMA_ECONFLICT;
        no->code = "invalid_state";
        snprintf(no->message, sizeof(no->message),
                 "shipping is not possible while the RMA is %s",
                 rma_status_name(r.status));
    }
    if (err == RMA_OK && !r.address_confirmed)
        err = case_refuse(no, RMA_ERULE, "address_required", NULL,
                          "%s has no confirmed shipping address: the "
                          "customer (or an agent for them) confirms it first",
                          r.number);
    if (err == RMA_OK)
        err = db_case_owed(env->db, r.id, &o);
    /* A repaired unit leaves only when its fee is paid or resolved. */
    if (err == RMA_OK && r.kind == KIND_REPAIR && o.fee_unpaid) {
        err = RMA_ERULE;
        no->code = "fee_unpaid";
        snprintf(no->message, sizeof(no->message),
                 "the repair fee of %s is not paid yet: the unit ships when "
                 "it is paid, waived or finance resolves it",
                 r.number);
    }
    if (kind == NULL)
        kind = r.kind == KIND_REPAIR   ? "repaired"
               : r.kind == KIND_RESEND ? "resend"
                                       : "replacement";
    if (err == RMA_OK)
        err = db_shipment_insert(env->db, r.id, kind, carrier, tracking,
                                 env->now, env->who.name);
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to, ev, &env->who,
                                detail_json, env->now);
    struct mail_text t = {0};
    if (err == RMA_OK)
        err = mail_text_shipped(
            env->cfg->public_base_url ? env->cfg->public_base_url : "",
            r.customer_name, r.number, carrier, tracking, &t);
    if (err == RMA_OK)
        err = mail_enqueue(env->db, "shipped", r.id, r.customer_email,
                           t.subject, t.body);
    mail_text_free(&t);
    if (err == RMA_OK) {
        r.status = (enum rma_status)to;
        err = case_complete_if_settled(env, &r);
    }
    return case_end(env, err);
}
