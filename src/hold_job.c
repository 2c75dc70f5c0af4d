/* hold_job.c - the holds' part of `rmactl run-jobs` (SPEC §5.3, §10):
 * releases and refunds left pending, reauthorizations, captures, reminders.
 *
 * Leases: each round selects due holds with FOR UPDATE SKIP LOCKED (so
 * concurrent runners see different rows) and takes a session-level advisory
 * lock on each before any work; the lock lives as long as the connection,
 * so a runner killed with -9 releases it at once, and a hold another runner
 * is working on is skipped.  After the lock the hold is re-read and the
 * work re-checked (hold_ops.c), so a hold settled meanwhile is left alone. */
#include "rma/hold_job.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/id_list.h"
#include "rma/log.h"
#include "rma/mail.h"

#define TRIED_MAX 100000 /* holds one pass looks at per step, at most */

/* The holds this pass looked at already, for the due queries. */
static const char *
tried_text(struct id_list *t)
{
    const char *text = id_list_text(t);
    return text != NULL ? text : "{}";
}

static const char *const due_stmt[] = {
    [HOLD_OP_VOID] = "hold_due_void",
    [HOLD_OP_CAPTURE] = "hold_due_capture",
    [HOLD_OP_REAUTHORIZE] = "hold_due_reauth",
    [HOLD_OP_REFUND] = "hold_due_refund",
};

/* Selects up to max due holds not tried yet and leases those it can. */
static enum rma_err
lease(struct hold_env *env, enum hold_op op, struct id_list *tried, int max,
      int64_t *leased, int *n, int *seen)
{
    int64_t *ids = calloc((size_t)max, sizeof(*ids));
    if (ids == NULL)
        return RMA_EINTERNAL;
    const char *extra = NULL;
    if (op == HOLD_OP_CAPTURE)
        extra = env->cfg->capture_before_expiry ? "true" : "false";
    int found = 0;
    enum rma_err err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_hold_due(env->db, due_stmt[op], env->now, tried_text(tried),
                          max, extra, ids, &found);
    *n = 0;
    for (int i = 0; err == RMA_OK && i < found; i++)
        err = id_list_add(tried, ids[i]);
    if (err == RMA_OK && found > 0)
        err = db_hold_lock_many(env->db, ids, found, leased, n);
    if (err == RMA_OK)
        err = db_commit(env->db);
    else
        db_rollback(env->db);
    *seen = found;
    free(ids);
    return err;
}

static void
count(struct hold_job_summary *s, enum hold_op op, enum hold_outcome o)
{
    if (o == HOLD_DONE)
        s->done[op]++;
    else if (o == HOLD_REFUSED)
        s->refused[op]++;
    else if (o == HOLD_PENDING || o == HOLD_ERROR)
        s->pending++;
}

/* One round of work: the holds leased, their work, their PayPal batch. */
struct round {
    int64_t *leased;
    struct hold_work *w;
    int n;
    struct hold_batch b;
};

/* The rounds of one step and the two stages that run beside this thread:
 * the PayPal calls of a round (which touch neither the database nor env)
 * and the settling of a round on the settling connection.  A stage thread
 * marks itself finished under lock and signals; this thread joins it. */
#define ROUNDS 5 /* prepared, calling, called, settling, and one spare */

struct stage {
    pthread_t thread;
    bool running, finished;
    struct round *r;
    struct pipeline *p;
};

struct pipeline {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct stage calls, settling;
    struct paypal_client *pc;
    size_t concurrency;
    struct hold_env *senv;
    /* FIFOs of rounds waiting for the next stage. */
    struct round *prepared[ROUNDS], *called[ROUNDS];
    int n_prepared, n_called;
    struct round *spare[ROUNDS];
    int n_spare;
};

static void
stage_done(struct stage *st)
{
    pthread_mutex_lock(&st->p->lock);
    st->finished = true;
    pthread_cond_signal(&st->p->changed);
    pthread_mutex_unlock(&st->p->lock);
}

static void *
call_thread(void *arg)
{
    struct stage *st = arg;
    hold_batch_call(st->p->pc, &st->r->b, st->p->concurrency);
    stage_done(st);
    return NULL;
}

static void *
settle_thread(void *arg)
{
    struct stage *st = arg;
    hold_batch_settle(st->p->senv, &st->r->b);
    stage_done(st);
    return NULL;
}

/* Starts fn on r in the stage's thread, or runs it here when no thread can
 * be made. */
static void
stage_start(struct stage *st, struct round *r, void *(*fn)(void *))
{
    st->r = r;
    st->finished = false;
    st->running = pthread_create(&st->thread, NULL, fn, st) == 0;
    if (!st->running) {
        fn(st);
        st->running = true; /* finished: harvested like a thread */
        st->thread = pthread_self();
    }
}

/* The stage's round once it has finished (joined), else NULL. */
static struct round *
stage_harvest(struct stage *st)
{
    pthread_mutex_lock(&st->p->lock);
    bool finished = st->running && st->finished;
    pthread_mutex_unlock(&st->p->lock);
    if (!finished)
        return NULL;
    if (!pthread_equal(st->thread, pthread_self()))
        pthread_join(st->thread, NULL);
    st->running = false;
    struct round *r = st->r;
    st->r = NULL;
    return r;
}

static void
push(struct round **q, int *n, struct round *r)
{
    q[(*n)++] = r;
}

static struct round *
pop(struct round **q, int *n)
{
    struct round *r = q[0];
    memmove(q, q + 1, (size_t)(--*n) * sizeof(*q));
    return r;
}

static void
release(struct hold_env *env, struct round *r)
{
    db_hold_unlock_many(env->db, r->leased, r->n);
    r->n = 0;
}

/* Leases due holds round after round through a pipeline: this thread
 * leases a round and writes its intents on the job's connection, a second
 * thread makes the PayPal calls of one round after another, and a third
 * settles the called rounds on its own connection (senv).  Each stage
 * takes its next round as soon as it is free, so the calls never wait for
 * a settling and C calls stay in flight.  The leases are the job
 * connection's session locks: this thread releases a round's once it is
 * settled.  With senv == env the settling runs here, between leases. */
static enum rma_err
step(struct hold_env *env, struct hold_env *senv, enum hold_op op,
     const struct hold_job_options *o, struct hold_job_summary *s)
{
    /* Each round leases two holds per call slot: paypal_batch keeps C
     * calls in flight through the round, and the database work of a round
     * (one commit for the intents, one for the outcomes) is shared.  Larger
     * rounds measured no faster (bench/RESULTS.md): the last round's
     * settling, which nothing overlaps, grows with them. */
    int c = o->concurrency > 0 ? o->concurrency : 16;
    int size = c * 2 < 256 ? c * 2 : 256;
    struct id_list tried = {0};
    struct round rounds[ROUNDS];
    memset(rounds, 0, sizeof(rounds));
    struct pipeline p = {.pc = env->pc, .concurrency = (size_t)c, .senv = senv};
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.changed, NULL);
    p.calls.p = p.settling.p = &p;
    enum rma_err err = RMA_OK;
    for (int k = 0; k < ROUNDS; k++) {
        rounds[k].leased = calloc((size_t)size, sizeof(int64_t));
        rounds[k].w = calloc((size_t)size, sizeof(struct hold_work));
        if (rounds[k].leased == NULL || rounds[k].w == NULL)
            err = RMA_EINTERNAL;
        push(p.spare, &p.n_spare, &rounds[k]);
    }
    bool apart = senv->db != env->db; /* settle in a thread of its own */
    bool done = err != RMA_OK;
    for (;;) {
        struct round *r = stage_harvest(&p.calls);
        if (r != NULL)
            push(p.called, &p.n_called, r);
        if ((r = stage_harvest(&p.settling)) != NULL) {
            for (int i = 0; i < r->n; i++)
                count(s, op, r->w[i].outcome);
            hold_batch_free(&r->b);
            release(env, r);
            push(p.spare, &p.n_spare, r);
        }
        if (!p.calls.running && p.n_prepared > 0)
            stage_start(&p.calls, pop(p.prepared, &p.n_prepared), call_thread);
        if (p.n_called > 0 && !p.settling.running) {
            if (apart) {
                stage_start(&p.settling, pop(p.called, &p.n_called),
                            settle_thread);
            } else { /* on env's connection, here */
                r = pop(p.called, &p.n_called);
                hold_batch_settle(env, &r->b);
                p.settling.r = r;
                p.settling.running = p.settling.finished = true;
                p.settling.thread = pthread_self();
                continue;
            }
        }
        /* Keep one round prepared ahead of the calls. */
        if (!done && p.n_prepared == 0 && p.n_spare > 0) {
            struct round *next = pop(p.spare, &p.n_spare);
            int seen = 0;
            next->n = 0;
            if (tried.n < TRIED_MAX) {
                err =
                    lease(env, op, &tried, size, next->leased, &next->n, &seen);
                done = err != RMA_OK || seen == 0;
            } else {
                done = true;
            }
            bool run = !done && next->n > 0;
            if (run && o->dry_run) {
                for (int i = 0; i < next->n; i++) {
                    fprintf(o->out, "would %s hold %lld\n", hold_op_name(op),
                            (long long)next->leased[i]);
                    s->would[op]++;
                }
                run = false;
            }
            if (run) {
                memset(next->w, 0, (size_t)next->n * sizeof(*next->w));
                for (int i = 0; i < next->n; i++) {
                    next->w[i].hold_id = next->leased[i];
                    next->w[i].op = op;
                }
                err =
                    hold_batch_prepare(env, next->w, (size_t)next->n, &next->b);
                run = err == RMA_OK;
            }
            if (run) {
                push(p.prepared, &p.n_prepared, next);
            } else {
                release(env, next);
                push(p.spare, &p.n_spare, next);
            }
            if (o->progress != NULL) {
                fprintf(o->progress, "\r\033[Kholds: %s %zu", hold_op_name(op),
                        tried.n);
                fflush(o->progress);
            }
            continue;
        }
        if (!p.calls.running && !p.settling.running && p.n_prepared == 0 &&
            p.n_called == 0 && done)
            break;
        /* Nothing to start: wait for a stage to finish. */
        pthread_mutex_lock(&p.lock);
        while (!(p.calls.running && p.calls.finished) &&
               !(p.settling.running && p.settling.finished))
            pthread_cond_wait(&p.changed, &p.lock);
        pthread_mutex_unlock(&p.lock);
    }
    pthread_cond_destroy(&p.changed);
    pthread_mutex_destroy(&p.lock);
    for (int k = 0; k < ROUNDS; k++) {
        free(rounds[k].leased);
        free(rounds[k].w);
    }
    id_list_free(&tried);
    return err;
}

/* A buyer who approved at PayPal but whose return to us was lost (a
 * closed tab, PayPal or the service down, a crash between PayPal's answer
 * and our commit): the order is authorized here, replaying the return's
 * durable intent; an order PayPal dropped abandons the hold. */
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
    if (err == RMA_ENOTFOUND ||
        (err == RMA_OK && strcmp(o.status, "VOIDED") == 0)) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)h.id);
        const char *params[] = {id, env->now};
        db_hold_exec_any(env->db, "hold_abandon", 2, params);
        return;
    }
    if (err != RMA_OK || (strcmp(o.status, "APPROVED") != 0 &&
                          strcmp(o.status, "COMPLETED") != 0)) {
        if (err != RMA_OK)
            s->pending++;
        return;
    }
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
    if (err != RMA_OK) {
        s->pending++;
        return;
    }
    struct hold locked;
    err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_hold_by_id(env->db, h.id, true, &locked);
    if (err == RMA_OK && locked.status == HOLD_PENDING_APPROVAL)
        err = hold_apply_authorized(env, &locked, &o.authorization);
    if (err == RMA_OK)
        err = db_commit(env->db);
    else
        db_rollback(env->db);
    if (err == RMA_OK)
        s->authorized++;
}

static enum rma_err
catch_up_approvals(struct hold_env *env, const struct hold_job_options *o,
                   struct hold_job_summary *s)
{
    struct id_list tried = {0};
    enum rma_err err = RMA_OK;
    for (;;) {
        int64_t ids[16];
        int found = 0;
        err = db_begin(env->db);
        if (err == RMA_OK)
            err = db_hold_due(env->db, "hold_due_approval", env->now,
                              tried_text(&tried), 16, NULL, ids, &found);
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
                fprintf(o->out, "would look at the approval of hold %lld\n",
                        (long long)ids[i]);
            else
                catch_up_one(env, ids[i], s);
            db_hold_lock(env->db, ids[i], false, NULL);
        }
    }
    id_list_free(&tried);
    return err;
}

/* Reminder mails 7 and 2 days before the deadline (reminder_days). */
static enum rma_err
remind(struct hold_env *env, const struct hold_job_options *o,
       struct hold_job_summary *s)
{
    const struct rma_config *cfg = env->cfg;
    for (size_t k = 0; k < cfg->n_reminders; k++) {
        int days = cfg->reminders[k];
        char d[16];
        snprintf(d, sizeof(d), "%d", days);
        struct id_list tried = {0};
        for (;;) {
            int64_t ids[64];
            int found = 0;
            enum rma_err err = db_begin(env->db);
            if (err == RMA_OK)
                err = db_hold_due(env->db, "hold_due_remind", env->now,
                                  tried_text(&tried), 64, d, ids, &found);
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
                char hid[24];
                snprintf(hid, sizeof(hid), "%lld", (long long)h.id);
                const char *params[] = {hid, d, env->now};
                if (err == RMA_OK)
                    err = db_hold_exec(env->db, "hold_reminded", 3, params);
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
    /* The outcomes are settled on a second connection, in a thread of
     * their own; without it (it cannot connect) they are settled on the
     * job's connection, in turn with the rest. */
    struct db settle_db;
    db_init(&settle_db, db->conninfo, "rmactl-settle");
    struct hold_env senv = env;
    if (!o->dry_run && db_ensure(&settle_db) == RMA_OK)
        senv.db = &settle_db;
    /* Order matters: a release or refund first (the customer is waiting),
     * then the reauthorization that a capture right after may use. */
    static const enum hold_op order[] = {HOLD_OP_VOID, HOLD_OP_REFUND,
                                         HOLD_OP_REAUTHORIZE, HOLD_OP_CAPTURE};
    enum rma_err first = RMA_OK;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        enum rma_err err = step(&env, &senv, order[i], o, s);
        if (err != RMA_OK) {
            log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step",
                      hold_op_name(order[i]), "error", rma_err_code(err));
            if (first == RMA_OK)
                first = err;
        }
    }
    enum rma_err err = catch_up_approvals(&env, o, s);
    if (err != RMA_OK && first == RMA_OK)
        first = err;
    err = remind(&env, o, s);
    if (err != RMA_OK && first == RMA_OK)
        first = err;
    db_close(&settle_db);
    paypal_client_free(env.pc);
    return first;
}
