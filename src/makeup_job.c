/* makeup_job.c - the make-up payments' part of `rmactl run-jobs` (SPEC
 * §5.5, §10): pending claims whose next attempt is due, looked up again.
 *
 * Leases as in hold_job.c: each round selects due claims with FOR UPDATE
 * SKIP LOCKED and takes a session-level advisory lock on each before any
 * work, so concurrent runners never look up one claim at once; a runner
 * killed with -9 loses its locks with its connection.  A claim settled
 * meanwhile (the webhook) is left alone by makeup_reconcile. */
#include "rma/makeup_job.h"

#include <stdlib.h>
#include <string.h>

#include "rma/hold_ops.h"
#include "rma/id_list.h"
#include "rma/log.h"
#include "rma/makeup_ops.h"

#define BATCH 32
#define TRIED_MAX 100000 /* claims one pass looks at, at most */

/* Selects up to BATCH due claims not tried yet and leases those it can. */
static enum rma_err
lease(struct makeup_env *env, struct id_list *tried, int64_t *leased, int *n,
      int *seen)
{
    int64_t ids[BATCH];
    int found = 0;
    *n = 0;
    const char *text = id_list_text(tried);
    if (text == NULL)
        return RMA_EINTERNAL;
    enum rma_err err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_makeup_due(env->db, env->now, text, BATCH, ids, &found);
    for (int i = 0; err == RMA_OK && i < found; i++) {
        bool got = false;
        err = id_list_add(tried, ids[i]);
        if (err == RMA_OK)
            err = db_makeup_lease(env->db, ids[i], true, &got);
        if (err == RMA_OK && got)
            leased[(*n)++] = ids[i];
    }
    if (err == RMA_OK)
        err = db_commit(env->db);
    else
        db_rollback(env->db);
    *seen = found;
    return err;
}

enum rma_err
makeup_job_run(struct db *db, const struct rma_config *cfg,
               const struct makeup_job_options *o, struct makeup_job_summary *s)
{
    memset(s, 0, sizeof(*s));
    struct paypal_client *pc =
        o->dry_run ? NULL : hold_paypal_client(cfg, false);
    if (pc == NULL && !o->dry_run) {
        log_event(LOG_WARN, "makeup_skipped", "{s:s}", "reason",
                  "paypal_base_url is not set");
        return RMA_OK;
    }
    hold_paypal_token_load(pc, db, cfg);
    struct makeup_env env;
    makeup_env_init(&env, db, pc, cfg, o->now, "run-jobs");
    env.notify = true;
    struct id_list tried = {0};
    int64_t leased[BATCH];
    enum rma_err first = RMA_OK;
    while (tried.n < TRIED_MAX) {
        int n = 0, seen = 0;
        enum rma_err err = lease(&env, &tried, leased, &n, &seen);
        if (err != RMA_OK) {
            first = err;
            break;
        }
        if (seen == 0)
            break;
        for (int i = 0; i < n; i++) {
            if (o->dry_run) {
                fprintf(o->out, "would look up make-up payment claim %lld\n",
                        (long long)leased[i]);
                s->would++;
            } else {
                enum makeup_status st = MAKEUP_PENDING;
                err = makeup_reconcile(&env, leased[i], &st);
                if (err != RMA_OK) {
                    log_event(LOG_ERROR, "makeup_attempt_failed", "{s:I, s:s}",
                              "claim_id", (json_int_t)leased[i], "error",
                              rma_err_code(err));
                    s->errors++;
                    if (first == RMA_OK)
                        first = err;
                } else {
                    s->settled[st]++;
                }
            }
            db_makeup_lease(db, leased[i], false, NULL);
        }
        if (o->progress != NULL) {
            fprintf(o->progress, "\r\033[Kmake-up payments: %zu", tried.n);
            fflush(o->progress);
        }
    }
    id_list_free(&tried);
    hold_paypal_token_save(pc, db, cfg);
    paypal_client_free(pc);
    return first;
}
