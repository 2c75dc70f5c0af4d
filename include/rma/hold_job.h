/* hold_job.h - the holds' part of `rmactl run-jobs` (SPEC §5.3, §10). */
#ifndef RMA_HOLD_JOB_H
#define RMA_HOLD_JOB_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "rma/hold_ops.h"

struct hold_job_options {
    time_t now;
    int concurrency; /* PayPal calls in flight at most */
    bool dry_run;    /* print what would be done to out */
    FILE *out;
    FILE *progress; /* a terminal, or NULL */
};

struct hold_job_summary {
    int done[4];    /* by enum hold_op */
    int refused[4]; /* PayPal said no (declines, expiries) */
    int would[4];   /* dry run */
    int pending;    /* no definite answer yet: the next run replays */
    int authorized; /* approvals whose return to us was lost */
    int reminders;
    int would_remind;
};

enum rma_err hold_job_run(struct db *db, const struct rma_config *cfg,
                          const struct hold_job_options *o,
                          struct hold_job_summary *s);

#endif
