/* makeup_job.h - the make-up payments' part of `rmactl run-jobs` (SPEC
 * §5.5, §10): every pending claim whose next attempt is due is looked up
 * again at PayPal, with a doubling backoff, until it is settled. */
#ifndef RMA_MAKEUP_JOB_H
#define RMA_MAKEUP_JOB_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "rma/config.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/makeup.h"

struct makeup_job_options {
    time_t now;
    bool dry_run; /* print what would be looked up to out */
    FILE *out;
    FILE *progress; /* a terminal, or NULL */
};

struct makeup_job_summary {
    int settled[MAKEUP_STATUS_COUNT]; /* by outcome; [MAKEUP_PENDING]: still
                                         pending after this pass's try */
    int errors;                       /* attempts our side failed */
    int would;                        /* dry run: claims due */
};

enum rma_err makeup_job_run(struct db *db, const struct rma_config *cfg,
                            const struct makeup_job_options *o,
                            struct makeup_job_summary *s);

#endif
