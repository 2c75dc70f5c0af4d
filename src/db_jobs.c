/* db_jobs.c - SQL of the scheduled job's own steps (counting, cleaning). */
#include "rma/db_jobs.h"

#include <stdio.h>
#include <stdlib.h>

#include "db_internal.h"

static const struct db_stmt stmts[] = {
    {"jobs_due_mail",
     "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL"
     " AND failed_at IS NULL AND next_attempt_at <= now()",
     0},
    /* Each removes what can never be used again. */
    {"jobs_clean_rate_limit",
     "DELETE FROM rate_limit WHERE window_start < $1::timestamptz"
     " - interval '1 day'",
     1},
    {"jobs_clean_sessions",
     "DELETE FROM customer_session WHERE (expires_at < $1::timestamptz"
     " - interval '30 days') OR (revoked_at < $1::timestamptz"
     " - interval '30 days')",
     1},
    {"jobs_clean_login_codes",
     "DELETE FROM login_code WHERE expires_at < $1::timestamptz"
     " - interval '1 day'",
     1},
    /* The end of a pass, for monitoring (0018_monitoring.sql): $1 its
     * length in seconds, $2 whether it did all its due work.  Runners on
     * several hosts share the row; the database's clock times them. */
    {"jobs_record_run",
     "INSERT INTO job_run AS j (job, runs, failed_runs, last_started_at,"
     " last_finished_at, last_succeeded_at)"
     " VALUES ('run-jobs', 1, CASE WHEN $2::boolean THEN 0 ELSE 1 END,"
     " now() - make_interval(secs => $1::double precision), now(),"
     " CASE WHEN $2::boolean THEN now() END)"
     " ON CONFLICT (job) DO UPDATE SET runs = j.runs + 1,"
     " failed_runs = j.failed_runs + EXCLUDED.failed_runs,"
     " last_started_at = EXCLUDED.last_started_at,"
     " last_finished_at = EXCLUDED.last_finished_at,"
     " last_succeeded_at = coalesce(EXCLUDED.last_succeeded_at,"
     " j.last_succeeded_at)",
     2},
    {"jobs_clean_idempotency",
     "DELETE FROM idempotency_key WHERE created_at < $1::timestamptz"
     " - interval '7 days'",
     1},
};
const struct db_stmt_table db_jobs_stmts = {stmts,
                                            sizeof(stmts) / sizeof(stmts[0])};

enum rma_err
db_jobs_count_due_mail(struct db *db, int *n)
{
    enum rma_err err;
    PGresult *r = db_run(db, "jobs_due_mail", 0, NULL, &err);
    if (r == NULL)
        return err;
    *n = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_jobs_housekeeping(struct db *db, const char *now, long *rows)
{
    static const char *const steps[] = {
        "jobs_clean_rate_limit", "jobs_clean_sessions",
        "jobs_clean_login_codes", "jobs_clean_idempotency"};
    *rows = 0;
    const char *params[] = {now};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        enum rma_err err;
        PGresult *r = db_run(db, steps[i], 1, params, &err);
        if (r == NULL)
            return err;
        *rows += strtol(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    return RMA_OK;
}

enum rma_err
db_jobs_record_run(struct db *db, double seconds, bool succeeded)
{
    char secs[32];
    snprintf(secs, sizeof(secs), "%.3f", seconds >= 0 ? seconds : 0.0);
    const char *params[] = {secs, succeeded ? "true" : "false"};
    return db_command(db, "jobs_record_run", 2, params, NULL);
}
