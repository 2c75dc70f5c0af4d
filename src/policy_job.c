/* policy_job.c - the job step that expires RMA numbers whose validity
 * passed (policy.h; SPEC §10).  Cases are leased with FOR UPDATE SKIP
 * LOCKED, a batch per transaction, so concurrent runners never expire one
 * case twice; each expiry is a compare-and-set transition with its audit
 * event and the customer's mail; a week before, the customer is warned
 * (once per end: an extension warns again). */
#include <stdio.h>
#include <stdlib.h>

#include "rma/case_ops.h"
#include "rma/log.h"
#include "rma/policy_db.h"
#include "rma/rma.h"

#define EXPIRY_BATCH 100

static void
iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One batch in one transaction; *done counts the cases it expired (or,
 * warning, whose customers it warned) and *more says whether a full batch
 * was found.  Each customer is told by mail (SPEC §14). */
static enum rma_err
batch(struct hold_env *env, bool warning, bool dry_run, int *done, bool *more)
{
    *more = false;
    enum rma_err err = db_begin(env->db);
    if (err != RMA_OK)
        return err;
    struct policy_expiry *due = NULL;
    int n = 0;
    err = db_policy_expiry_due(env->db, env->now, warning, EXPIRY_BATCH, &due,
                               &n);
    for (int i = 0; err == RMA_OK && i < n; i++) {
        struct policy_line line = {.validity_days = due[i].validity_days};
        time_t until =
            policy_valid_until(&line, due[i].visible_at, due[i].extension_days);
        if (!warning && !policy_expired(until, env->now_t))
            continue; /* SQL and C agree; this is only a guard */
        if (dry_run) {
            (*done)++;
            continue;
        }
        struct rma_ref r;
        err = db_rma_find_id(env->db, due[i].id, &r);
        if (err != RMA_OK)
            break;
        char until_s[32], detail[128];
        iso(until, until_s);
        if (warning) {
            err = db_policy_expiry_warned(env->db, r.id, until_s);
            if (err == RMA_OK)
                err = case_notify(env, &r, CASE_MAIL_EXPIRING, -1, until, NULL);
            if (err == RMA_OK)
                (*done)++;
            continue;
        }
        if (rma_state_next(r.status, EV_EXPIRE, r.kind, ACTOR_SYSTEM) < 0)
            continue;
        snprintf(detail, sizeof(detail), "{\"valid_until\":\"%s\"}", until_s);
        err = db_rma_transition(env->db, &r, ST_EXPIRED, EV_EXPIRE, &env->who,
                                detail, env->now);
        if (err == RMA_OK)
            err = case_notify(env, &r, CASE_MAIL_EXPIRED, -1, 0, NULL);
        if (err == RMA_OK) {
            (*done)++;
            log_event(LOG_INFO, "rma_expired", "{s:s, s:s}", "rma", r.number,
                      "valid_until", until_s);
        }
    }
    free(due);
    if (err == RMA_OK && !dry_run)
        err = db_commit(env->db);
    else
        db_rollback(env->db);
    if (err == RMA_OK)
        *more = n == EXPIRY_BATCH && !dry_run;
    return err;
}

static enum rma_err
run(struct hold_env *env, bool warning, bool dry_run, int *count)
{
    *count = 0;
    bool more = true;
    enum rma_err err = RMA_OK;
    while (err == RMA_OK && more) {
        int done = 0;
        err = batch(env, warning, dry_run, &done, &more);
        if (err == RMA_OK)
            *count += done;
        if (done == 0)
            more = false;
    }
    return err;
}

enum rma_err
policy_expire_run(struct hold_env *env, bool dry_run, int *expired, int *warned)
{
    enum rma_err err = run(env, false, dry_run, expired);
    if (err == RMA_OK)
        err = run(env, true, dry_run, warned);
    return err;
}
