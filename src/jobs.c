/* jobs.c - the scheduled job's pass over due work (SPEC §10). */
#include "rma/jobs.h"

#include <string.h>

#include "rma/log.h"
#include "rma/mail.h"
#include "rma/policy_db.h"
#include "rma/staff_account.h"
#include "rma/staff_notify.h"

/* Messages one pass delivers at most; the rest waits for the next pass. */
#define MAIL_PER_RUN 1000

static void
iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
progress(const struct jobs_options *opt, const char *what)
{
    if (opt->progress != NULL) {
        fprintf(opt->progress, "\r\033[K%s", what);
        fflush(opt->progress);
    }
}

static enum rma_err
step_mail(struct db *db, const struct rma_config *cfg,
          const struct jobs_options *opt, struct jobs_summary *s)
{
    progress(opt, "mail...");
    if (opt->dry_run)
        return db_jobs_count_due_mail(db, &s->mail_due);
    int sent = mail_deliver_due(db, cfg, MAIL_PER_RUN);
    if (sent < 0)
        return RMA_EDB;
    s->mail_sent = sent;
    int left = 0;
    if (db_jobs_count_due_mail(db, &left) == RMA_OK && left > 0)
        s->failures += left; /* retried with backoff on a later pass */
    return RMA_OK;
}

static enum rma_err
step_housekeeping(struct db *db, const struct jobs_options *opt,
                  struct jobs_summary *s)
{
    progress(opt, "housekeeping...");
    if (opt->dry_run)
        return RMA_OK;
    char now[32];
    iso(opt->now, now);
    return db_jobs_housekeeping(db, now, &s->housekeeping_rows);
}

/* Make-up payment claims whose next look at PayPal is due (makeup_job.c);
 * the mail of claims it settles goes out in the same pass. */
static enum rma_err
step_makeup(struct db *db, const struct rma_config *cfg,
            const struct jobs_options *opt, struct jobs_summary *s)
{
    progress(opt, "make-up payments...");
    struct makeup_job_options mo = {
        .now = opt->now,
        .dry_run = opt->dry_run,
        .out = stdout,
        .progress = opt->progress,
    };
    enum rma_err err = makeup_job_run(db, cfg, &mo, &s->makeup);
    s->failures += s->makeup.errors;
    int settled = 0;
    for (int i = MAKEUP_MATCHED; i < MAKEUP_STATUS_COUNT; i++)
        settled += s->makeup.settled[i];
    if (!opt->dry_run && settled > 0) {
        int sent = mail_deliver_due(db, cfg, MAIL_PER_RUN);
        if (sent > 0)
            s->mail_sent += sent;
    }
    return err;
}

/* Refund cases whose PayPal refund is due or pending (refund_ops.c). */
static enum rma_err
step_refunds(struct db *db, const struct rma_config *cfg,
             const struct jobs_options *opt, struct jobs_summary *s)
{
    if (opt->dry_run)
        return RMA_OK;
    progress(opt, "refunds...");
    struct hold_env env = {
        .db = db,
        .cfg = cfg,
        .who = {ACTOR_SYSTEM, "run-jobs", NULL, false},
    };
    hold_env_set_now(&env, opt->now);
    env.pc = hold_paypal_client(cfg, false);
    hold_paypal_token_load(env.pc, db, cfg);
    enum rma_err err = refund_job_run(&env, &s->refunds);
    hold_paypal_token_save(env.pc, db, cfg);
    paypal_client_free(env.pc);
    s->failures += s->refunds.errors;
    if (err == RMA_OK && s->refunds.paid > 0) {
        int sent = mail_deliver_due(db, cfg, MAIL_PER_RUN);
        if (sent > 0)
            s->mail_sent += sent;
    }
    return err;
}

/* The console's people (staff_notify.c): their daily digest, sent at
 * once, and their expired codes and sessions removed. */
static enum rma_err
step_staff(struct db *db, const struct rma_config *cfg,
           const struct jobs_options *opt, struct jobs_summary *s)
{
    progress(opt, "staff digests...");
    int digests = 0;
    enum rma_err err =
        staff_digest_run(db, cfg, opt->now, opt->dry_run, &digests);
    if (!opt->dry_run && digests > 0) {
        int sent = mail_deliver_due(db, cfg, MAIL_PER_RUN);
        if (sent > 0)
            s->mail_sent += sent;
    }
    if (digests > 0)
        log_event(LOG_INFO, "staff_digests", "{s:i, s:b}", "count", digests,
                  "dry_run", opt->dry_run);
    long rows = 0;
    if (err == RMA_OK && !opt->dry_run) {
        char now[32];
        iso(opt->now, now);
        err = db_staff_housekeeping(db, now, &rows);
        s->housekeeping_rows += rows;
    }
    return err;
}

enum rma_err
jobs_run(struct db *db, const struct rma_config *cfg,
         const struct jobs_options *opt, struct jobs_summary *out)
{
    memset(out, 0, sizeof(*out));
    enum rma_err err = db_ensure(db);
    if (err != RMA_OK)
        return err;
    enum rma_err first = RMA_OK;
    err = step_mail(db, cfg, opt, out);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step", "mail",
                  "error", rma_err_code(err));
        first = err;
    }
    progress(opt, "holds...");
    struct hold_job_options ho = {
        .now = opt->now,
        .concurrency = opt->concurrency,
        .dry_run = opt->dry_run,
        .out = stdout,
        .progress = opt->progress,
    };
    err = hold_job_run(db, cfg, &ho, &out->holds);
    out->failures += out->holds.pending;
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step", "holds",
                  "error", rma_err_code(err));
        if (first == RMA_OK)
            first = err;
    }
    /* Mail the hold steps queued (releases, captures, reminders) goes out
     * in the same pass. */
    if (!opt->dry_run && out->holds.reminders + out->holds.done[HOLD_OP_VOID] +
                                 out->holds.done[HOLD_OP_CAPTURE] >
                             0) {
        int sent = mail_deliver_due(db, cfg, MAIL_PER_RUN);
        if (sent > 0)
            out->mail_sent += sent;
    }
    err = step_refunds(db, cfg, opt, out);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step", "refunds",
                  "error", rma_err_code(err));
        if (first == RMA_OK)
            first = err;
    }
    err = step_makeup(db, cfg, opt, out);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step",
                  "makeup_payments", "error", rma_err_code(err));
        if (first == RMA_OK)
            first = err;
    }
    progress(opt, "expiry...");
    struct hold_env env = {
        .db = db,
        .cfg = cfg,
        .who = {ACTOR_SYSTEM, "run-jobs", NULL, false},
    };
    hold_env_set_now(&env, opt->now);
    err = policy_expire_run(&env, opt->dry_run, &out->rmas_expired,
                            &out->rmas_warned);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step", "expiry",
                  "error", rma_err_code(err));
        if (first == RMA_OK)
            first = err;
    }
    err = step_staff(db, cfg, opt, out);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step", "staff",
                  "error", rma_err_code(err));
        if (first == RMA_OK)
            first = err;
    }
    err = step_housekeeping(db, opt, out);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "job_step_failed", "{s:s, s:s}", "step",
                  "housekeeping", "error", rma_err_code(err));
        if (first == RMA_OK)
            first = err;
    }
    progress(opt, "");
    if (opt->progress != NULL)
        fputs("\r\033[K", opt->progress);
    return first;
}

void
jobs_print_summary(FILE *f, const struct jobs_options *opt,
                   const struct jobs_summary *s, double seconds)
{
    char now[32];
    iso(opt->now, now);
    const struct hold_job_summary *h = &s->holds;
    const struct makeup_job_summary *m = &s->makeup;
    if (opt->dry_run)
        fprintf(f,
                "run-jobs (dry run) at %s: would void %d, refund %d, "
                "reauthorize %d, capture %d, remind %d; would look up %d "
                "make-up payments; would expire %d RMAs and warn %d; would "
                "deliver %d mail; %.2f s\n",
                now, h->would[HOLD_OP_VOID], h->would[HOLD_OP_REFUND],
                h->would[HOLD_OP_REAUTHORIZE], h->would[HOLD_OP_CAPTURE],
                h->would_remind, m->would, s->rmas_expired, s->rmas_warned,
                s->mail_due, seconds);
    else
        fprintf(f,
                "run-jobs at %s: holds voided %d, refunded %d, reauthorized "
                "%d (%d refused), captured %d (%d declined), reminded %d; "
                "make-up payments matched %d, underpaid %d, overpaid %d, "
                "unmatched %d, duplicate %d, still pending %d; "
                "refunds paid %d (%d pending, %d failed); "
                "RMAs expired %d (%d warned); mail %d sent; housekeeping %ld "
                "rows; %d "
                "pending retry; "
                "%.2f s\n",
                now, h->done[HOLD_OP_VOID], h->done[HOLD_OP_REFUND],
                h->done[HOLD_OP_REAUTHORIZE], h->refused[HOLD_OP_REAUTHORIZE],
                h->done[HOLD_OP_CAPTURE], h->refused[HOLD_OP_CAPTURE],
                h->reminders, m->settled[MAKEUP_MATCHED],
                m->settled[MAKEUP_UNDERPAID], m->settled[MAKEUP_OVERPAID],
                m->settled[MAKEUP_UNMATCHED], m->settled[MAKEUP_DUPLICATE],
                m->settled[MAKEUP_PENDING], s->refunds.paid, s->refunds.pending,
                s->refunds.failed, s->rmas_expired, s->rmas_warned,
                s->mail_sent, s->housekeeping_rows, s->failures, seconds);
}
