/* db.c - the process's PostgreSQL connection, reconnection and statements. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "rma/log.h"
#include "rma/metrics.h"

#define RECONNECT_INTERVAL_MS 250

/* One statement table per concept (db_<concept>.c), one line each. */
// clang-format off
static const struct db_stmt_table *const tables[] = {
    &db_health_stmts,
    &db_staff_stmts,
    &db_paypal_stmts,
    &db_rma_stmts,
    &db_read_stmts,
    &db_auth_stmts,
    &db_mail_stmts,
    &db_jobs_stmts,
    &db_hold_stmts,
    &db_hold_state_stmts,
    &db_ledger_stmts,
    &db_export_stmts,
    &db_returns_stmts,
    &db_makeup_stmts,
    &db_policy_stmts,
    &db_refund_stmts,
    &db_exception_stmts,
    &db_metrics_stmts,
    &db_staff_account_stmts,
    &db_console_stmts,
    &db_orders_stmts,
};
// clang-format on

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
db_init(struct db *db, const char *conninfo, const char *app_name)
{
    memset(db, 0, sizeof(*db));
    db->conninfo = strdup(conninfo);
    db->app_name = strdup(app_name);
}

static enum rma_err
prepare_all(struct db *db)
{
    PGconn *c = db_pg(db);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (int i = 0; i < tables[t]->n; i++) {
            const struct db_stmt *s = &tables[t]->stmts[i];
            PGresult *r = PQprepare(c, s->name, s->sql, s->nparams, NULL);
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                log_event(LOG_ERROR, "db_prepare_failed", "{s:s, s:s}",
                          "statement", s->name, "error",
                          PQresultErrorMessage(r));
                PQclear(r);
                return RMA_EDB;
            }
            PQclear(r);
        }
    }
    return RMA_OK;
}

/* The server's notices (and an error it sends while the connection is
 * idle, such as its shutdown) as log lines, not libpq's bare stderr. */
static void
log_notice(void *arg, const char *message)
{
    (void)arg;
    int n = (int)strcspn(message, "\n");
    log_event(LOG_INFO, "db_notice", "{s:s%}", "message", message, (size_t)n);
}

static enum rma_err
connect_now(struct db *db)
{
    if (db->conn != NULL) {
        PQfinish(db_pg(db));
        db->conn = NULL;
    }
    db->prepared = false;
    db->installation[0] = '\0'; /* read again: the database may be another */
    /* The conninfo (key=value or URI) is expanded as dbname; keywords after
     * it fill in what it leaves out. */
    const char *const kw[] = {"dbname", "fallback_application_name",
                              "connect_timeout", NULL};
    const char *const val[] = {db->conninfo, db->app_name, "2", NULL};
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (c == NULL)
        return RMA_EDB;
    db->conn = c;
    PQsetNoticeProcessor(c, log_notice, NULL);
    if (PQstatus(c) != CONNECTION_OK) {
        metrics_count_db_error();
        log_event(LOG_WARN, "db_connect_failed", "{s:s}", "error",
                  PQerrorMessage(c));
        return RMA_EDB;
    }
    if (prepare_all(db) != RMA_OK) {
        metrics_count_db_error();
        return RMA_EDB;
    }
    db->prepared = true;
    return RMA_OK;
}

enum rma_err
db_ensure(struct db *db)
{
    if (db->conn != NULL && db->prepared &&
        PQstatus(db_pg(db)) == CONNECTION_OK)
        return RMA_OK;
    int64_t now = now_ms();
    if (now < db->next_attempt_ms)
        return RMA_EDB;
    bool was_connected = db->conn != NULL;
    enum rma_err err = connect_now(db);
    if (err != RMA_OK) {
        db->next_attempt_ms = now + RECONNECT_INTERVAL_MS;
        return err;
    }
    if (was_connected) {
        db->reconnects++;
        log_event(LOG_INFO, "db_reconnected", "{s:I}", "reconnects",
                  (json_int_t)db->reconnects);
    }
    return RMA_OK;
}

void
db_close(struct db *db)
{
    if (db->conn != NULL)
        PQfinish(db_pg(db));
    db->conn = NULL;
    free(db->conninfo);
    free(db->app_name);
    db->conninfo = db->app_name = NULL;
}

enum rma_err
db_translate(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL)
        return RMA_EDB; /* no SQLSTATE: the connection failed */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strcmp(state, "53300") == 0)
        return RMA_EDB; /* connection, shutdown, too many connections */
    if (strcmp(state, "23505") == 0 || strcmp(state, "40001") == 0 ||
        strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return RMA_ECONFLICT; /* unique, serialization, deadlock, lock */
    if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0 ||
        strcmp(state, "23503") == 0 || strcmp(state, "23502") == 0)
        return RMA_ERULE; /* data exception, check violation */
    return RMA_EINTERNAL;
}

/* r as db_run answers it: r when its status is TUPLES_OK or COMMAND_OK;
 * otherwise logged, cleared, *err set and NULL. */
static PGresult *
checked(struct db *db, const char *stmt, PGresult *r, enum rma_err *err)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    *err = db_translate(r);
    metrics_count_db_error();
    const char *sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    log_event(*err == RMA_EDB || *err == RMA_EINTERNAL ? LOG_ERROR : LOG_INFO,
              "db_statement_failed", "{s:s, s:s, s:s}", "statement", stmt,
              "sqlstate", sqlstate ? sqlstate : "", "error",
              r ? PQresultErrorMessage(r) : PQerrorMessage(db_pg(db)));
    PQclear(r);
    if (PQstatus(db_pg(db)) != CONNECTION_OK)
        db->prepared = false; /* reconnect on the next call */
    return NULL;
}

PGresult *
db_run(struct db *db, const char *stmt, int nparams, const char *const *params,
       enum rma_err *err)
{
    *err = db_ensure(db);
    if (*err != RMA_OK)
        return NULL;
    return checked(
        db, stmt,
        PQexecPrepared(db_pg(db), stmt, nparams, params, NULL, NULL, 0), err);
}

PGresult *
db_run_one(struct db *db, const char *stmt, int nparams,
           const char *const *params, enum rma_err *err)
{
    PGresult *r = db_run(db, stmt, nparams, params, err);
    if (r != NULL && (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))) {
        PQclear(r);
        *err = RMA_ENOTFOUND;
        return NULL;
    }
    return r;
}

enum rma_err
db_send(struct db *db, const char *stmt, int nparams, const char *const *params)
{
    enum rma_err err = db_ensure(db);
    if (err != RMA_OK)
        return err;
    if (PQsendQueryPrepared(db_pg(db), stmt, nparams, params, NULL, NULL, 0) ==
        1)
        return RMA_OK;
    (void)checked(db, stmt, NULL, &err); /* logs libpq's message */
    return err;
}

PGresult *
db_receive(struct db *db, const char *stmt, enum rma_err *err)
{
    /* One statement: its result, then NULL (libpq's end of the query). */
    PGresult *r = PQgetResult(db_pg(db));
    for (PGresult *more; (more = PQgetResult(db_pg(db))) != NULL;)
        PQclear(more);
    *err = RMA_OK;
    return checked(db, stmt, r, err);
}

enum rma_err
db_command(struct db *db, const char *stmt, int n, const char *const *params,
           long *affected)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    if (affected != NULL)
        *affected = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

const char *
db_num(char *buf, int64_t v)
{
    snprintf(buf, 24, "%lld", (long long)v);
    return buf;
}

void
db_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src != NULL ? src : "");
}

const char *
db_get(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

static enum rma_err
simple(struct db *db, const char *sql)
{
    enum rma_err err = db_ensure(db);
    if (err != RMA_OK)
        return err;
    PGresult *r = PQexec(db_pg(db), sql);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        PQclear(r);
        return RMA_OK;
    }
    err = db_translate(r);
    metrics_count_db_error();
    log_event(LOG_WARN, "db_transaction_failed", "{s:s, s:s}", "command", sql,
              "error", PQresultErrorMessage(r));
    PQclear(r);
    return err;
}

enum rma_err
db_begin(struct db *db)
{
    return simple(db, "BEGIN");
}

enum rma_err
db_commit(struct db *db)
{
    return simple(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
    if (db->conn != NULL && PQstatus(db_pg(db)) == CONNECTION_OK &&
        PQtransactionStatus(db_pg(db)) != PQTRANS_IDLE)
        (void)simple(db, "ROLLBACK");
}

/* Savepoints inside a transaction: one piece of a batch can fail alone. */
enum rma_err
db_savepoint(struct db *db)
{
    return simple(db, "SAVEPOINT piece");
}

enum rma_err
db_release(struct db *db)
{
    return simple(db, "RELEASE SAVEPOINT piece");
}

enum rma_err
db_rollback_to(struct db *db)
{
    return simple(db, "ROLLBACK TO SAVEPOINT piece");
}

/* ------------------------------------------------------------------ */
/* Health */

static const struct db_stmt health[] = {
    {"health_ping", "SELECT 1", 0},
};
const struct db_stmt_table db_health_stmts = {health, 1};

enum rma_err
db_ping(struct db *db)
{
    enum rma_err err;
    PGresult *r = db_run(db, "health_ping", 0, NULL, &err);
    if (r == NULL)
        return err == RMA_OK ? RMA_EDB : err;
    PQclear(r);
    return RMA_OK;
}
