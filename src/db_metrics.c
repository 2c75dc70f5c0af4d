/* db_metrics.c - SQL of the gauges GET /metrics reads at each scrape
 * (metrics.h): two statements, every count over a partial index that
 * holds only what should not last (mail not yet sent or given up on,
 * PayPal operations without an answer or refused captures, open
 * exceptions) or over one row (the job's passes, job_run). */
#include "rma/db_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmts[] = {
    {"metrics_gauges",
     "SELECT"
     " (SELECT count(*) FROM mail_outbox"
     "   WHERE sent_at IS NULL AND failed_at IS NULL),"
     " (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)"
     "   FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL),"
     " (SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL),"
     " (SELECT count(*) FROM paypal_intent"
     "   WHERE operation = 'authorization_capture' AND status = 'failed'),"
     " (SELECT count(*) FROM paypal_intent"
     "   WHERE status IN ('pending', 'unknown')),"
     " (SELECT coalesce(extract(epoch FROM now() - min(updated_at)), 0)"
     "   FROM paypal_intent WHERE status IN ('pending', 'unknown')),"
     " (SELECT count(*) FROM finance_exception"
     "   WHERE resolved_at IS NULL AND created_at < now() - interval '1 day'),"
     " coalesce(j.runs, 0), coalesce(j.failed_runs, 0),"
     " coalesce(extract(epoch FROM j.last_finished_at), 0),"
     " coalesce(extract(epoch FROM j.last_succeeded_at), 0)"
     " FROM (SELECT 1) AS one LEFT JOIN job_run j ON j.job = 'run-jobs'",
     0},
    {"metrics_exceptions",
     "SELECT kind, count(*) FROM finance_exception WHERE resolved_at IS NULL"
     " GROUP BY kind ORDER BY kind",
     0},
};
const struct db_stmt_table db_metrics_stmts = {stmts, sizeof(stmts) /
                                                          sizeof(stmts[0])};

static int64_t
num(const PGresult *r, int col)
{
    return strtoll(PQgetvalue(r, 0, col), NULL, 10);
}

static double
real(const PGresult *r, int col)
{
    return strtod(PQgetvalue(r, 0, col), NULL);
}

enum rma_err
db_metrics_read(struct db *db, struct metrics_db *d)
{
    memset(d, 0, sizeof(*d));
    enum rma_err err;
    PGresult *r = db_run(db, "metrics_gauges", 0, NULL, &err);
    if (r == NULL)
        return err == RMA_OK ? RMA_EDB : err;
    if (PQntuples(r) != 1 || PQnfields(r) != 11) {
        PQclear(r);
        return RMA_EINTERNAL;
    }
    d->mail_pending = num(r, 0);
    d->mail_oldest_s = real(r, 1);
    d->mail_failed = num(r, 2);
    d->captures_failed = num(r, 3);
    d->intents_open = num(r, 4);
    d->intents_oldest_s = real(r, 5);
    d->exceptions_past_day = num(r, 6);
    d->job_runs = num(r, 7);
    d->job_failed_runs = num(r, 8);
    d->job_last_run = real(r, 9);
    d->job_last_success = real(r, 10);
    PQclear(r);

    r = db_run(db, "metrics_exceptions", 0, NULL, &err);
    if (r == NULL)
        return err == RMA_OK ? RMA_EDB : err;
    for (int i = 0; i < PQntuples(r) && d->nkinds < METRICS_MAX_KINDS; i++) {
        db_copy(d->kind[d->nkinds], sizeof(d->kind[0]), PQgetvalue(r, i, 0));
        d->kind_open[d->nkinds++] = strtoll(PQgetvalue(r, i, 1), NULL, 10);
    }
    PQclear(r);
    d->ok = true;
    return RMA_OK;
}
