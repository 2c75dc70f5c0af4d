/* jobs.c - the scheduled job's pass over due work (SPEC §10). */
#include "rma/jobs.h"

#include <string.h>

#include "rma/log.h"
#include "rma/mail.h"

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
    if (opt->dry_run)
        fprintf(f, "run-jobs (dry run) at %s: would deliver %d mail; %.2f s\n",
                now, s->mail_due, seconds);
    else
        fprintf(f,
                "run-jobs at %s: mail %d sent; housekeeping %ld rows; "
                "%d pending retry; %.2f s\n",
                now, s->mail_sent, s->housekeeping_rows, s->failures, seconds);
}
