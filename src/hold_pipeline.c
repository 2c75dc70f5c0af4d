/* hold_pipeline.c - the PayPal work of `rmactl run-jobs` on holds
 * (hold_pipeline.h): due holds leased in rounds, their calls streamed, C
 * in flight, their outcomes settled on connections of their own.
 *
 * Leases: each round selects due holds with FOR UPDATE SKIP LOCKED (so
 * concurrent runners see different rows) and takes a session-level advisory
 * lock on each before any work; the lock lives as long as the connection,
 * so a runner killed with -9 releases it at once, and a hold another runner
 * is working on is skipped.  After the lock the hold is re-read and the
 * work re-checked (hold_ops.c), so a hold settled meanwhile is left alone. */
#include "rma/hold_pipeline.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/id_list.h"
#include "rma/log.h"

#define TRIED_MAX 100000 /* holds one pass looks at per step, at most */

const char *
hold_tried_text(struct id_list *t)
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
        err = db_hold_due(env->db, due_of[op], env->now, hold_tried_text(tried),
                          max, arg, ids, &found);
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

#define ROUNDS 8 /* enough that the calls never wait for a spare round */

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
    struct settler settlers[HOLD_SETTLERS_MAX];
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
    /* The token while the job's thread leases the first round. */
    paypal_client_ready(p->pc);
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
    for (int k = 0; k < HOLD_SETTLERS_MAX; k++)
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
    for (int k = 0; ok && k < n_senv && k < HOLD_SETTLERS_MAX; k++) {
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
    for (int k = 0; k < HOLD_SETTLERS_MAX && p->settlers[k].env != NULL; k++) {
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

enum rma_err
hold_pipeline_step(struct hold_env *env, struct hold_env *senv, int n_senv,
                   enum hold_op op, const struct hold_job_options *o,
                   struct hold_job_summary *s)
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
