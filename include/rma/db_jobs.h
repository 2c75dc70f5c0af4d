/* db_jobs.h - the SQL of the scheduled job's own steps (db_jobs.c):
 * counting and cleaning.  Below the job (jobs.h). */
#ifndef RMA_DB_JOBS_H
#define RMA_DB_JOBS_H

#include <stdbool.h>

#include "rma/db.h"
#include "rma/err.h"

enum rma_err db_jobs_count_due_mail(struct db *db, int *n);
/* Deletes expired rate-limit windows, sessions, login codes and
 * idempotency keys; *rows counts them. */
enum rma_err db_jobs_housekeeping(struct db *db, const char *now, long *rows);
/* Records the end of a pass that took seconds (GET /metrics reads it);
 * succeeded: it did all its due work. */
enum rma_err db_jobs_record_run(struct db *db, double seconds, bool succeeded);

#endif
