/* hold_job.c - the holds' part of `rmactl run-jobs` (SPEC §5.3, §10):
 * releases and refunds left pending, reauthorizations, captures (each
 * through the pipeline of hold_pipeline.c), the stray holds' sweep,
 * payments PayPal left pending, lost approvals, reminders.
 *
 * Leases, here as in the pipeline: due holds are selected with FOR UPDATE
 * SKIP LOCKED and each is locked for the session before any work, then
 * re-read and re-checked, so a hold settled meanwhile is left alone. */
#include "rma/hold_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/hold_pipeline.h"
#include "rma/id_list.h"
#include "rma/log.h"
#include "rma/mail.h"

/* A buyer who approved at PayPal but whose return to us was lost (a
 * closed tab, PayPal or the service down, a crash between PayPal's answer
 * and our commit), or an authorization PayPal left PENDING: the order is
 * read first, and an authorization it already carries is settled as it
 * stands (authorizing again would be refused, ORDER_ALREADY_AUTHORIZED);
 * an approved order is authorized, replaying the return's durable intent;
 * an order PayPal dropped abandons the hold. */
static void
catch_up_one(struct hold_env *env, int64_t hold_id, struct hold_job_summary *s)
{
    struct hold h;
    struct rma_ref r;
    if (db_hold_by_id(env->db, hold_id, false, &h) != RMA_OK ||
        h.status != HOLD_PENDING_APPROVAL ||
        db_rma_find_id(env->db, h.rma_id, &r) != RMA_OK)
        return;
    struct paypal_order o;
    struct paypal_result res = {0};
    enum rma_err err = paypal_order_get(env->pc, h.order_id, &o, &res);
    paypal_result_free(&res);
    enum paypal_status st =
        err == RMA_OK ? paypal_status_parse(o.status) : PAYPAL_STATUS_UNKNOWN;
    if (err == RMA_ENOTFOUND || st == PAYPAL_STATUS_VOIDED) {
        /* PayPal dropped the order: abandoned if still pending. */
        db_hold_abandon(env->db, h.id, env->now);
        return;
    }
    if (err != RMA_OK) {
        s->pending++;
        return;
    }
    enum case_redirect outcome;
    if (o.has_authorization) {
        if (case_settle_authorization(env, h.id, &o.authorization, &outcome) !=
            RMA_OK)
            s->pending++;
        else if (outcome == REDIRECT_APPROVED)
            s->authorized++;
        return;
    }
    if (st != PAYPAL_STATUS_APPROVED)
        return; /* the buyer has not approved (yet) */
    struct paypal_intent_key key = {
        .op = PAYPAL_OP_ORDER_AUTHORIZE,
        .case_id = r.id,
        .hold_id = h.id,
        .prefix = env->cfg->paypal_request_id_prefix,
    };
    struct paypal_intent in;
    if (paypal_intent_begin(env->db, &key, NULL, &in) != RMA_OK)
        return;
    memset(&res, 0, sizeof(res));
    err = paypal_order_authorize(env->pc, h.order_id, in.request_id, &o, &res);
    paypal_intent_finish(env->db, in.request_id, paypal_intent_status_for(err),
                         res.body, err == RMA_OK ? o.authorization.id : NULL,
                         &res);
    paypal_result_free(&res);
    if (err == RMA_OK)
        err = case_settle_authorization(env, h.id, &o.authorization, &outcome);
    if (err != RMA_OK)
        s->pending++;
    else if (outcome == REDIRECT_APPROVED)
        s->authorized++;
}

/* Runs fn on each hold due for what, leased like the other steps
 * (selected with SKIP LOCKED, then a session lock each). */
static enum rma_err
each_leased(struct hold_env *env, const struct hold_job_options *o,
            struct hold_job_summary *s, enum hold_due what, const char *dry,
            void (*fn)(struct hold_env *, int64_t, struct hold_job_summary *))
{
    struct id_list tried = {0};
    enum rma_err err = RMA_OK;
    for (;;) {
        int64_t ids[16];
        int found = 0;
        err = db_begin(env->db);
        if (err == RMA_OK)
            err = db_hold_due(env->db, what, env->now, hold_tried_text(&tried),
                              16, 0, ids, &found);
        int n = 0;
        for (int i = 0; err == RMA_OK && i < found; i++) {
            bool got = false;
            err = id_list_add(&tried, ids[i]);
            if (err == RMA_OK)
                err = db_hold_lock(env->db, ids[i], true, &got);
            if (err == RMA_OK && got)
                ids[n++] = ids[i];
        }
        if (err == RMA_OK)
            err = db_commit(env->db);
        else
            db_rollback(env->db);
        if (err != RMA_OK || found == 0)
            break;
        for (int i = 0; i < n; i++) {
            if (o->dry_run)
                fprintf(o->out, "would %s hold %lld\n", dry, (long long)ids[i]);
            else
                fn(env, ids[i], s);
            db_hold_lock(env->db, ids[i], false, NULL);
        }
    }
    id_list_free(&tried);
    return err;
}

static enum rma_err
catch_up_approvals(struct hold_env *env, const struct hold_job_options *o,
                   struct hold_job_summary *s)
{
    return each_leased(env, o, s, HOLD_DUE_APPROVAL, "look at the approval of",
                       catch_up_one);
}

/* A capture or refund PayPal left PENDING: asked again. */
static void
settle_pending_one(struct hold_env *env, int64_t hold_id,
                   struct hold_job_summary *s)
{
    /* PayPal still deciding is no failure of ours: only an unanswered
     * question counts as work left for the next run. */
    struct hold h;
    enum hold_outcome outcome;
    enum hold_op op = db_hold_by_id(env->db, hold_id, false, &h) == RMA_OK &&
                              h.pending_refund_id[0] != '\0'
                          ? HOLD_OP_REFUND
                          : HOLD_OP_CAPTURE;
    if (hold_settle_pending(env, hold_id, &outcome) != RMA_OK)
        s->pending++;
    else if (outcome == HOLD_DONE)
        s->done[op]++;
    else if (outcome == HOLD_REFUSED)
        s->refused[op]++;
}

static enum rma_err
settle_pending(struct hold_env *env, const struct hold_job_options *o,
               struct hold_job_summary *s)
{
    return each_leased(env, o, s, HOLD_DUE_PENDING,
                       "ask PayPal about the pending payment of",
                       settle_pending_one);
}

/* Reminder mails 7 and 2 days before the deadline (reminder_days). */
static enum rma_err
remind(struct hold_env *env, const struct hold_job_options *o,
       struct hold_job_summary *s)
{
    const struct rma_config *cfg = env->cfg;
    for (size_t k = 0; k < cfg->n_reminders; k++) {
        int days = cfg->reminders[k];
        struct id_list tried = {0};
        for (;;) {
            int64_t ids[64];
            int found = 0;
            enum rma_err err = db_begin(env->db);
            if (err == RMA_OK)
                err =
                    db_hold_due(env->db, HOLD_DUE_REMIND, env->now,
                                hold_tried_text(&tried), 64, days, ids, &found);
            for (int i = 0; err == RMA_OK && i < found; i++) {
                err = id_list_add(&tried, ids[i]);
                struct hold h;
                struct rma_ref r;
                if (err == RMA_OK)
                    err = db_hold_by_id(env->db, ids[i], true, &h);
                if (err == RMA_OK)
                    err = db_rma_find_id(env->db, h.rma_id, &r);
                if (err != RMA_OK)
                    break;
                /* Only the nearest reminder after a late start. */
                int due =
                    hold_reminder_due(&h, r.status, env->now_t, cfg->reminders,
                                      (int)cfg->n_reminders);
                if (due != days)
                    continue;
                if (o->dry_run) {
                    fprintf(o->out, "would remind hold %lld (%d days)\n",
                            (long long)h.id, days);
                    s->would_remind++;
                    continue;
                }
                struct mail_text t = {0};
                err = mail_text_return_reminder(
                    cfg->public_base_url ? cfg->public_base_url : "",
                    r.customer_name, r.number, days, h.deadline, &t);
                if (err == RMA_OK)
                    err = mail_enqueue(env->db, "reminder", r.id,
                                       r.customer_email, t.subject, t.body);
                mail_text_free(&t);
                if (err == RMA_OK)
                    err = db_hold_reminded(env->db, h.id, days, env->now);
                if (err == RMA_OK)
                    s->reminders++;
            }
            if (err == RMA_OK && !o->dry_run)
                err = db_commit(env->db);
            else
                db_rollback(env->db);
            if (err != RMA_OK) {
                id_list_free(&tried);
                return err;
            }
            if (found == 0)
                break;
        }
        id_list_free(&tried);
    }
    return RMA_OK;
}

enum rma_err
hold_job_run(struct db *db, const struct rma_config *cfg,
             const struct hold_job_options *o, struct hold_job_summary *s)
{
    memset(s, 0, sizeof(*s));
    struct hold_env env = {
        .db = db,
        .cfg = cfg,
        .who = {ACTOR_SYSTEM, "run-jobs", NULL, false},
    };
    hold_env_set_now(&env, o->now);
    env.pc = hold_paypal_client(cfg, false);
    if (env.pc == NULL) {
        log_event(LOG_WARN, "holds_skipped", "{s:s}", "reason",
                  "paypal_base_url is not set");
        return RMA_OK;
    }
    if (!o->dry_run)
        hold_paypal_token_load(env.pc, db, cfg);
    /* The outcomes are settled on connections of their own, a thread
     * each; without them (none can connect) they are settled on the job's
     * connection, in turn with the rest. */
    struct db settle_db[HOLD_SETTLERS_MAX];
    struct hold_env senv[HOLD_SETTLERS_MAX];
    int n_senv = 0, want = (int)cfg->job_settle_connections;
    for (int k = 0; k < want && k < HOLD_SETTLERS_MAX; k++) {
        db_init(&settle_db[k], db->conninfo, "rmactl-settle");
        senv[k] = env;
        senv[k].db = &settle_db[k];
        if (!o->dry_run && db_ensure(&settle_db[k]) == RMA_OK)
            senv[n_senv++].db = &settle_db[k];
    }
    /* Order matters: a release or refund first (the customer is waiting),
     * then the reauthorization that a capture right after may use. */
    static const enum hold_op order[] = {HOLD_OP_VOID, HOLD_OP_REFUND,
                                         HOLD_OP_REAUTHORIZE, HOLD_OP_CAPTURE};
    enum rma_err first = RMA_OK;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        enum rma_err err =
            hold_pipeline_step(&env, senv, n_senv, order[i], o, s);
        if (err != RMA_OK) {
            log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step",
                      hold_op_name(order[i]), "error", rma_err_code(err));
            if (first == RMA_OK)
                first = err;
        }
    }
    /* Before the approvals: a hold made stray since the last run is
     * released by the void step of the next one (or at once below). */
    int stray = 0;
    enum rma_err err =
        o->dry_run ? RMA_OK : case_sweep_stray_holds(&env, &stray);
    if (err == RMA_OK && stray > 0) {
        log_event(LOG_WARN, "stray_holds", "{s:i}", "count", stray);
        enum rma_err e =
            hold_pipeline_step(&env, senv, n_senv, HOLD_OP_VOID, o, s);
        if (e != RMA_OK)
            err = e;
    }
    if (err != RMA_OK && first == RMA_OK)
        first = err;
    err = settle_pending(&env, o, s);
    if (err != RMA_OK && first == RMA_OK)
        first = err;
    err = catch_up_approvals(&env, o, s);
    if (err != RMA_OK && first == RMA_OK)
        first = err;
    err = remind(&env, o, s);
    if (err != RMA_OK && first == RMA_OK)
        first = err;
    for (int k = 0; k < want && k < HOLD_SETTLERS_MAX; k++)
        db_close(&settle_db[k]);
    if (!o->dry_run)
        hold_paypal_token_save(env.pc, db, cfg);
    paypal_client_free(env.pc);
    return first;
}
