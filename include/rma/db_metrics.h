/* db_metrics.h - the database's part of the metrics (db_metrics.c), read
 * with one cheap statement for GET /metrics; rendered by metrics.c. */
#ifndef RMA_DB_METRICS_H
#define RMA_DB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/metrics.h"

/* The database's part of the metrics (db_metrics.c): the job's passes,
 * the mail outbox, PayPal intents, open finance exceptions. */
struct metrics_db {
    bool ok;                     /* false: the database could not be read */
    int64_t mail_pending;        /* not sent, not given up */
    double mail_oldest_s;        /* age of the oldest of those, 0 when none */
    int64_t mail_failed;         /* given up on */
    int64_t captures_failed;     /* capture intents PayPal refused */
    int64_t intents_open;        /* PayPal operations without an answer */
    double intents_oldest_s;     /* age of the oldest of those */
    int64_t exceptions_past_day; /* open for more than a day */
    int64_t job_runs, job_failed_runs;
    double job_last_run;     /* Unix time of the last pass's end, 0: never */
    double job_last_success; /* of the last pass that did all it had to */
    size_t nkinds;           /* open exceptions by kind */
    char kind[METRICS_MAX_KINDS][32];
    int64_t kind_open[METRICS_MAX_KINDS];
};

/* Reads d from db (RMA_OK or the database's error; d->ok says which). */
enum rma_err db_metrics_read(struct db *db, struct metrics_db *d);

#endif
