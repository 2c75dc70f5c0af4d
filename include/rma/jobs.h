/* jobs.h - `rmactl run-jobs`: one pass of all due work (SPEC §10), then
 * exit.  Each step leases its work in PostgreSQL (FOR UPDATE SKIP LOCKED),
 * so several runners, on one host or many, never do one thing twice. */
#ifndef RMA_JOBS_H
#define RMA_JOBS_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "rma/config.h"
#include "rma/db.h"
#include "rma/db_jobs.h"
#include "rma/err.h"
#include "rma/hold_job.h"
#include "rma/makeup_job.h"
#include "rma/refund_ops.h"

struct jobs_options {
    time_t now;      /* the job's clock (--now), or the real time */
    int concurrency; /* PayPal calls in flight at most (--concurrency) */
    bool dry_run;    /* say what would be done, do nothing */
    FILE *progress;  /* a terminal for progress lines, or NULL */
};

struct jobs_summary {
    int mail_sent;
    int mail_due; /* dry run: messages that would be delivered */
    long housekeeping_rows;
    int rmas_expired; /* RMA numbers whose validity passed (policy_job.c) */
    int rmas_warned;  /* customers told their RMA expires within 7 days */
    int failures;     /* steps or items that failed and will be retried */
    struct hold_job_summary holds;
    struct makeup_job_summary makeup;
    struct refund_job_summary refunds;
};

/* Runs every step once.  RMA_OK when everything due was done (or, in a dry
 * run, counted); RMA_EDB when the database could not be reached; any other
 * error when some work failed and stays due. */
enum rma_err jobs_run(struct db *db, const struct rma_config *cfg,
                      const struct jobs_options *opt, struct jobs_summary *out);

/* The one-line summary. */
void jobs_print_summary(FILE *f, const struct jobs_options *opt,
                        const struct jobs_summary *s, double seconds);

#endif
