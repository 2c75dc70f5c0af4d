/* policy_job.c - the job step that expires RMA numbers whose validity
 * passed (policy.h; SPEC §10).  Cases are leased with FOR UPDATE SKIP
 * LOCKED, a batch per transaction, so concurrent runners never expire one
 * case twice; each expiry is a compare-and-set transition with its audit
 * event. */
#include <stdio.h>
#include <stdlib.h>

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

/* One batch in one transaction; *done counts the cases it expired and
 * *more says whether a full batch was found. */
static enum rma_err
expire_batch(struct db *db, time_t now, bool dry_run, int *done, bool *more)
{
    char now_s[32];
    iso(now, now_s);
    *more = false;
    enum rma_err err = db_begin(db);
    if (err != RMA_OK)
        return err;
    struct policy_expiry *due = NULL;
    int n = 0;
    err = db_policy_expiry_due(db, now_s, EXPIRY_BATCH, &due, &n);
    struct rma_actor_info sys = {ACTOR_SYSTEM, "run-jobs", NULL, false};
    for (int i = 0; err == RMA_OK && i < n; i++) {
        struct policy_line line = {.validity_days = due[i].validity_days};
        time_t until =
            policy_valid_until(&line, due[i].visible_at, due[i].extension_days);
        if (!policy_expired(until, now))
            continue; /* SQL and C agree; this is only a guard */
        if (dry_run) {
            (*done)++;
            continue;
        }
        struct rma_ref r;
        err = db_rma_find_id(db, due[i].id, &r);
        if (err != RMA_OK)
            break;
        if (rma_state_next(r.status, EV_EXPIRE, r.kind, ACTOR_SYSTEM) < 0)
            continue;
        char until_s[32], detail[128];
        iso(until, until_s);
        snprintf(detail, sizeof(detail), "{\"valid_until\":\"%s\"}", until_s);
        err = db_rma_transition(db, &r, ST_EXPIRED, EV_EXPIRE, &sys, detail,
                                now_s);
        if (err == RMA_OK) {
            (*done)++;
            log_event(LOG_INFO, "rma_expired", "{s:s, s:s}", "rma", r.number,
                      "valid_until", until_s);
        }
    }
    free(due);
    if (err == RMA_OK && !dry_run)
        err = db_commit(db);
    else
        db_rollback(db);
    if (err == RMA_OK)
        *more = n == EXPIRY_BATCH && !dry_run;
    return err;
}

enum rma_err
policy_expire_run(struct db *db, time_t now, bool dry_run, int *expired)
{
    *expired = 0;
    bool more = true;
    enum rma_err err = RMA_OK;
    while (err == RMA_OK && more) {
        int done = 0;
        err = expire_batch(db, now, dry_run, &done, &more);
        if (err == RMA_OK)
            *expired += done;
        if (done == 0)
            more = false;
    }
    return err;
}
