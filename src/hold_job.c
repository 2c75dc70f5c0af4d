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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
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

static const enum hold_due due_of[] = {
    [HOLD_OP_VOID] = HOLD_DUE_VOID,
    [HOLD_OP_CAPTURE] = HOLD_DUE_CAPTURE,
    [HOLD_OP_REAUTHORIZE] = HOLD_DUE_REAUTH,
    [HOLD_OP_REFUND] = HOLD_DUE_REFUND,
};

/* Selects up to max due holds not tried yet and leases those it can. */
static enum rma_err
lease(struct hold_env *env, enum hold_op op, struct id_list *tried, int max,
      int64_t *leased, int *n, int *seen)
{
    int64_t *ids = calloc((size_t)max, sizeof(*ids));
    if (ids == NULL)
        return RMA_EINTERNAL;
    /* The capture's query takes the stricter policy's switch. */
    int arg = op == HOLD_OP_CAPTURE && env->cfg->capture_before_expiry;
    int found = 0;
    enum rma_err err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_hold_due(env->db, due_of[op], env->now, tried_text(tried), max,
                          arg, ids, &found);
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

/* One lease's holds and their work.  A round goes back to the spares
 * when none of its works is open (each is settled, or ended in prepare,
 * and its lease released). */
struct round {
    int64_t *leased;
    struct hold_work *w;
    int n, open;
};

#define ROUNDS 8   /* enough that the calls never wait for a spare round */
#define SETTLERS 4 /* settling threads at most (job_settle_connections) */

struct pipeline;

/* A settling thread and its connection. */
struct settler {
    pthread_t thread;
    struct pipeline *p;
    struct hold_env *env;
    struct hold_work **batch;
};

/* The job's thread leases rounds and prepares their works; the call
 * thread streams the works' PayPal calls, C in flight, taking the next
 * work as soon as a call ends; the settling threads record the called
 * works' outcomes, each taking all that wait when it is free; the job's
 * thread then releases the settled works' leases.  The queues live under
 * lock; changed is broadcast whenever one of them grows (and when to_call
 * shrinks to the point where another round is wanted). */
struct pipeline {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct paypal_client *pc;
    size_t concurrency, want;   /* want: prepare while fewer wait */
    struct hold_work **to_call; /* ring of cap */
    size_t cap, head, n_to_call;
    bool fed; /* no work will be added to to_call */
    struct hold_work **called, **settled;
    size_t n_called, n_settled;
    bool calls_ended;
    int settling; /* settling threads still running */
    /* The job's thread's own. */
    pthread_t calls;
    struct settler settlers[SETTLERS];
    int up;   /* settling threads started (settlers[0..up)) */
    int size; /* holds a round leases */
    struct round rounds[ROUNDS], *spare[ROUNDS];
    int n_spare;
    bool done;    /* no due hold left (or an error): nothing more to lease */
    int64_t *ids; /* scratch: the leases to release */
    struct hold_work **batch; /* scratch: the settled works taken */
};

static struct hold_work *
work_of(struct paypal_batch_item *it)
{
    return (struct hold_work *)((char *)it - offsetof(struct hold_work, item));
}

/* Under lock: w's call is over (or will never be made). */
static void
called(struct pipeline *p, struct hold_work *w)
{
    p->called[p->n_called++] = w;
    pthread_cond_broadcast(&p->changed);
}

static struct paypal_batch_item *
feed_next(void *ctx, bool *ended)
{
    struct pipeline *p = ctx;
    struct hold_work *w = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->n_to_call > 0) {
        w = p->to_call[p->head];
        p->head = (p->head + 1) % p->cap;
        if (p->n_to_call-- == p->want)
            pthread_cond_broadcast(&p->changed);
    } else {
        *ended = p->fed;
    }
    pthread_mutex_unlock(&p->lock);
    return w != NULL ? &w->item : NULL;
}

static void
feed_done(void *ctx, struct paypal_batch_item *it)
{
    struct pipeline *p = ctx;
    pthread_mutex_lock(&p->lock);
    called(p, work_of(it));
    pthread_mutex_unlock(&p->lock);
}

/* Works never called (libcurl failed) go to the settling as they are:
 * an intent without an answer, replayed by the next run. */
static void
not_called(struct pipeline *p, struct hold_work *w)
{
    memset(&w->item.result, 0, sizeof(w->item.result));
    w->item.err = RMA_EINTERNAL;
    called(p, w);
}

static void *
call_thread(void *arg)
{
    struct pipeline *p = arg;
    struct paypal_feed feed = {.ctx = p, .next = feed_next, .done = feed_done};
    enum rma_err err = paypal_stream(p->pc, &feed, p->concurrency);
    if (err != RMA_OK)
        log_event(LOG_ERROR, "job_calls_failed", "{s:s}", "error",
                  rma_err_code(err));
    pthread_mutex_lock(&p->lock);
    for (; p->n_to_call > 0; p->n_to_call--) {
        not_called(p, p->to_call[p->head]);
        p->head = (p->head + 1) % p->cap;
    }
    p->calls_ended = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Settles what waits on env's connection; false when nothing waited. */
static bool
settle_waiting(struct pipeline *p, struct hold_env *env,
               struct hold_work **batch)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->n_called;
    memcpy(batch, p->called, n * sizeof(*batch));
    p->n_called = 0;
    pthread_mutex_unlock(&p->lock);
    if (n == 0)
        return false;
    hold_settle(env, batch, n);
    pthread_mutex_lock(&p->lock);
    memcpy(p->settled + p->n_settled, batch, n * sizeof(*batch));
    p->n_settled += n;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return true;
}

static void *
settle_thread(void *arg)
{
    struct settler *st = arg;
    struct pipeline *p = st->p;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->n_called == 0 && !p->calls_ended)
            pthread_cond_wait(&p->changed, &p->lock);
        bool last = p->n_called == 0; /* and the calls have ended */
        pthread_mutex_unlock(&p->lock);
        if (last)
            break;
        settle_waiting(p, st->env, st->batch);
    }
    pthread_mutex_lock(&p->lock);
    p->settling--;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static struct round *
round_of(struct round *rounds, const struct hold_work *w)
{
    for (int k = 0; k < ROUNDS; k++)
        if (w >= rounds[k].w && w < rounds[k].w + rounds[k].n)
            return &rounds[k];
    return NULL;
}

/* Leases a round of due holds and prepares their work; the works that
 * are ready go to the calls, the others end here with their leases.
 * Sets p->done when no due hold is left (or on an error). */
static enum rma_err
feed_round(struct hold_env *env, struct pipeline *p, enum hold_op op,
           const struct hold_job_options *o, struct id_list *tried,
           struct round *r, struct hold_job_summary *s)
{
    int seen = 0;
    r->n = r->open = 0;
    if (tried->n >= TRIED_MAX) {
        p->done = true;
        return RMA_OK;
    }
    enum rma_err err = lease(env, op, tried, p->size, r->leased, &r->n, &seen);
    p->done = err != RMA_OK || seen == 0;
    if (o->progress != NULL) {
        fprintf(o->progress, "\r\033[Kholds: %s %zu", hold_op_name(op),
                tried->n);
        fflush(o->progress);
    }
    if (err != RMA_OK || r->n == 0)
        return err;
    if (o->dry_run) {
        for (int i = 0; i < r->n; i++) {
            fprintf(o->out, "would %s hold %lld\n", hold_op_name(op),
                    (long long)r->leased[i]);
            s->would[op]++;
        }
        db_hold_unlock_many(env->db, r->leased, r->n);
        r->n = 0;
        return RMA_OK;
    }
    memset(r->w, 0, (size_t)r->n * sizeof(*r->w));
    for (int i = 0; i < r->n; i++) {
        r->w[i].hold_id = r->leased[i];
        r->w[i].op = op;
    }
    hold_prepare(env, r->w, (size_t)r->n);
    int k = 0;
    for (int i = 0; i < r->n; i++) {
        if (r->w[i].ready)
            continue;
        count(s, op, r->w[i].outcome);
        r->leased[k++] = r->w[i].hold_id; /* leased[]: now those to free */
    }
    db_hold_unlock_many(env->db, r->leased, k);
    r->open = r->n - k;
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < r->n; i++) {
        if (!r->w[i].ready)
            continue;
        if (p->calls_ended) {
            not_called(p, &r->w[i]);
            continue;
        }
        p->to_call[(p->head + p->n_to_call++) % p->cap] = &r->w[i];
    }
    pthread_mutex_unlock(&p->lock);
    paypal_client_wakeup(p->pc);
    return RMA_OK;
}

/* Under lock: whether another round should be leased now. */
static bool
round_wanted(const struct pipeline *p)
{
    return !p->done && !p->calls_ended && p->n_spare > 0 &&
           p->n_to_call < p->want;
}

/* Under lock: whether every work has been called and settled (settled
 * by the job's thread when there is no settling thread). */
static bool
all_settled(const struct pipeline *p)
{
    if (p->up > 0)
        return p->settling == 0;
    return p->calls_ended && p->n_called == 0;
}

static void
pipeline_free(struct pipeline *p)
{
    for (int k = 0; k < ROUNDS; k++) {
        free(p->rounds[k].leased);
        free(p->rounds[k].w);
    }
    for (int k = 0; k < SETTLERS; k++)
        free(p->settlers[k].batch);
    free(p->to_call);
    free(p->called);
    free(p->settled);
    free(p->ids);
    free(p->batch);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
}

/* Rounds of two holds per call slot: a round's prepare (one commit for the
 * intents) is shared, and the calls never run dry while the next round is
 * prepared. */
static enum rma_err
pipeline_init(struct pipeline *p, struct paypal_client *pc, int concurrency,
              struct hold_env *senv, int n_senv)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    p->pc = pc;
    p->concurrency = (size_t)concurrency;
    p->size = concurrency * 2 < 256 ? concurrency * 2 : 256;
    p->want = (size_t)p->size;
    p->cap = (size_t)p->size * ROUNDS;
    bool ok = (p->to_call = calloc(p->cap, sizeof(*p->to_call))) &&
              (p->called = calloc(p->cap, sizeof(*p->called))) &&
              (p->settled = calloc(p->cap, sizeof(*p->settled))) &&
              (p->ids = calloc(p->cap, sizeof(*p->ids))) &&
              (p->batch = calloc(p->cap, sizeof(*p->batch)));
    for (int k = 0; ok && k < ROUNDS; k++) {
        struct round *r = &p->rounds[k];
        ok = (r->leased = calloc((size_t)p->size, sizeof(*r->leased))) &&
             (r->w = calloc((size_t)p->size, sizeof(*r->w)));
        p->spare[p->n_spare++] = r;
    }
    for (int k = 0; ok && k < n_senv && k < SETTLERS; k++) {
        struct settler *st = &p->settlers[k];
        st->p = p;
        st->env = &senv[k];
        ok = (st->batch = calloc(p->cap, sizeof(*st->batch))) != NULL;
    }
    return ok ? RMA_OK : RMA_EINTERNAL;
}

/* Starts the call thread and as many settling threads as there are
 * connections for (with none, the job's thread settles). */
static enum rma_err
pipeline_start(struct pipeline *p)
{
    if (pthread_create(&p->calls, NULL, call_thread, p) != 0)
        return RMA_EINTERNAL;
    for (int k = 0; k < SETTLERS && p->settlers[k].env != NULL; k++) {
        pthread_mutex_lock(&p->lock);
        p->settling++;
        pthread_mutex_unlock(&p->lock);
        if (pthread_create(&p->settlers[k].thread, NULL, settle_thread,
                           &p->settlers[k]) != 0) {
            pthread_mutex_lock(&p->lock);
            p->settling--;
            pthread_mutex_unlock(&p->lock);
            break;
        }
        p->up++;
    }
    return RMA_OK;
}

static void
pipeline_join(struct pipeline *p)
{
    pthread_join(p->calls, NULL);
    for (int k = 0; k < p->up; k++)
        pthread_join(p->settlers[k].thread, NULL);
}

/* Tells the call thread that no work will come any more. */
static void
pipeline_fed(struct pipeline *p)
{
    pthread_mutex_lock(&p->lock);
    p->fed = true;
    pthread_mutex_unlock(&p->lock);
    paypal_client_wakeup(p->pc);
}

/* Takes the settled works: their outcomes, their leases, their rounds.
 * Returns whether every work has been settled (these were the last), and
 * sets *wanted: whether another round should be leased. */
static bool
harvest(struct pipeline *p, struct hold_env *env, enum hold_op op,
        struct hold_job_summary *s, bool *wanted)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->n_settled;
    memcpy(p->batch, p->settled, n * sizeof(*p->batch));
    p->n_settled = 0;
    bool ended = all_settled(p);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < n; i++) {
        struct hold_work *w = p->batch[i];
        count(s, op, w->outcome);
        p->ids[i] = w->hold_id;
        struct round *r = round_of(p->rounds, w);
        if (r != NULL && --r->open == 0)
            p->spare[p->n_spare++] = r;
    }
    if (n > 0)
        db_hold_unlock_many(env->db, p->ids, (int)n);
    pthread_mutex_lock(&p->lock);
    *wanted = round_wanted(p);
    pthread_mutex_unlock(&p->lock);
    return ended;
}

/* Runs one kind of work over every due hold through the pipeline above,
 * settling on the n_senv connections of senv (none: on env's, between
 * leases). */
static enum rma_err
step(struct hold_env *env, struct hold_env *senv, int n_senv, enum hold_op op,
     const struct hold_job_options *o, struct hold_job_summary *s)
{
    struct pipeline p;
    enum rma_err err = pipeline_init(
        &p, env->pc, o->concurrency > 0 ? o->concurrency : 16, senv, n_senv);
    if (err == RMA_OK)
        err = pipeline_start(&p);
    if (err != RMA_OK) {
        pipeline_free(&p);
        return err;
    }
    struct id_list tried = {0};
    for (;;) {
        bool wanted;
        if (harvest(&p, env, op, s, &wanted))
            break;
        if (wanted) {
            struct round *r = p.spare[--p.n_spare];
            enum rma_err e = feed_round(env, &p, op, o, &tried, r, s);
            if (e != RMA_OK && err == RMA_OK)
                err = e;
            if (r->open == 0)
                p.spare[p.n_spare++] = r;
            if (p.done)
                pipeline_fed(&p);
            continue;
        }
        if (p.up == 0 && settle_waiting(&p, env, p.batch))
            continue;
        /* Nothing to do: wait for a settled work, the end, a call to
         * settle here, or room for another round. */
        pthread_mutex_lock(&p.lock);
        while (p.n_settled == 0 && !all_settled(&p) &&
               (p.up > 0 || p.n_called == 0) && !round_wanted(&p))
            pthread_cond_wait(&p.changed, &p.lock);
        pthread_mutex_unlock(&p.lock);
    }
    pipeline_join(&p);
    pipeline_free(&p);
    id_list_free(&tried);
    return err;
}

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
            err = db_hold_due(env->db, what, env->now, tried_text(&tried), 16,
                              0, ids, &found);
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
                err = db_hold_due(env->db, HOLD_DUE_REMIND, env->now,
                                  tried_text(&tried), 64, days, ids, &found);
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
    /* The outcomes are settled on connections of their own, a thread
     * each; without them (none can connect) they are settled on the job's
     * connection, in turn with the rest. */
    struct db settle_db[SETTLERS];
    struct hold_env senv[SETTLERS];
    int n_senv = 0, want = (int)cfg->job_settle_connections;
    for (int k = 0; k < want && k < SETTLERS; k++) {
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
        enum rma_err err = step(&env, senv, n_senv, order[i], o, s);
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
        enum rma_err e = step(&env, senv, n_senv, HOLD_OP_VOID, o, s);
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
    for (int k = 0; k < want && k < SETTLERS; k++)
        db_close(&settle_db[k]);
    paypal_client_free(env.pc);
    return first;
}
