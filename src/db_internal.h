/* db_internal.h - shared by the db*.c files only; never included elsewhere. */
#ifndef RMA_DB_INTERNAL_H
#define RMA_DB_INTERNAL_H

#include <libpq-fe.h>

#include "rma/db.h"

struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

struct db_stmt_table {
    const struct db_stmt *stmts;
    int n;
};

/* Every concept's statement table, listed in db.c. */
extern const struct db_stmt_table db_health_stmts;
extern const struct db_stmt_table db_staff_stmts;
extern const struct db_stmt_table db_paypal_stmts;
extern const struct db_stmt_table db_rma_stmts;
extern const struct db_stmt_table db_read_stmts;
extern const struct db_stmt_table db_auth_stmts;
extern const struct db_stmt_table db_mail_stmts;
extern const struct db_stmt_table db_jobs_stmts;
extern const struct db_stmt_table db_hold_stmts;
extern const struct db_stmt_table db_hold_state_stmts;
extern const struct db_stmt_table db_ledger_stmts;
extern const struct db_stmt_table db_export_stmts;
extern const struct db_stmt_table db_returns_stmts;
extern const struct db_stmt_table db_makeup_stmts;
extern const struct db_stmt_table db_refund_stmts;
extern const struct db_stmt_table db_exception_stmts;
extern const struct db_stmt_table db_policy_stmts;
extern const struct db_stmt_table db_metrics_stmts;
extern const struct db_stmt_table db_staff_account_stmts;
extern const struct db_stmt_table db_console_stmts;
extern const struct db_stmt_table db_orders_stmts;

/* A live customer session (SPEC §12), for db_auth.c's session_find and
 * the API read's query that reads the case with it (db_rma.c): $1 the
 * token's hash in hex, $2 the request's clock, $3 the idle minutes.  Its
 * columns are read by db_session_from_row; SESSION_LIVE_COLUMNS_WITH("''")
 * and FROM customer_session s alone leave the email out. */
#define SESSION_LIVE_COLUMNS_WITH(email)                                       \
    "s.id, s.customer_id, " email ","                                          \
    " s.last_seen_at < $2::timestamptz - interval '60 seconds'"
#define SESSION_LIVE_COLUMNS SESSION_LIVE_COLUMNS_WITH("c.email")
#define SESSION_LIVE_FROM                                                      \
    " FROM customer_session s JOIN customer c ON c.id = s.customer_id"
#define SESSION_LIVE_WHERE                                                     \
    " WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL"         \
    " AND s.expires_at > $2"                                                   \
    " AND s.last_seen_at > $2::timestamptz - make_interval(mins => $3)"
/* A list's or a queue's read (db_read.c): runs stmt, whose column 0 is
 * the answer's JSON text (into *json, in the arena; RMA_ENOTFOUND without
 * it) and whose columns 1 and 2, when it has them, are the ids and
 * revisions of the items it had to render (0025_read_rows.sql); those are
 * then stored, where nothing changed since, never inside a transaction,
 * never waiting for a writer. */
struct arena;
enum rma_err db_items_read(struct db *db, const char *stmt, int n,
                           const char *const *params, struct arena *a,
                           char **json);

struct customer_session;
/* The session of SESSION_LIVE_COLUMNS at columns 0-3 of row 0. */
void db_session_from_row(const PGresult *r, struct customer_session *out);

static inline PGconn *
db_pg(struct db *db)
{
    return db->conn; /* struct pg_conn is libpq's PGconn */
}

/* Runs a prepared statement with text parameters.  Returns the result (caller
 * PQclears it) when its status is TUPLES_OK or COMMAND_OK; otherwise logs,
 * clears, sets *err (SQLSTATE translated) and returns NULL. */
PGresult *db_run(struct db *db, const char *stmt, int nparams,
                 const char *const *params, enum rma_err *err);
/* db_run for a statement that answers one row whose first column is not
 * NULL: that result (caller PQclears it), or NULL with *err RMA_ENOTFOUND
 * when it answered no row, several, or a NULL (db_run's error otherwise). */
PGresult *db_run_one(struct db *db, const char *stmt, int nparams,
                     const char *const *params, enum rma_err *err);
/* db_run in two halves, for a client that works while the server does:
 * db_send sends the statement; db_receive waits for its result, answered
 * as db_run answers it.  Nothing else may use the connection between
 * them. */
enum rma_err db_send(struct db *db, const char *stmt, int nparams,
                     const char *const *params);
PGresult *db_receive(struct db *db, const char *stmt, enum rma_err *err);

/* Runs stmt for its side effects; *affected (may be NULL) gets the row
 * count. */
enum rma_err db_command(struct db *db, const char *stmt, int n,
                        const char *const *params, long *affected);

/* v in decimal into buf (24 bytes), for a text parameter; returns buf. */
const char *db_num(char *buf, int64_t v);

/* src (NULL: "") into dst of n bytes, cut to fit. */
void db_copy(char *dst, size_t n, const char *src);

/* The application error for a failed result (SQLSTATE classes). */
enum rma_err db_translate(const PGresult *res);

/* Reads column col of row 0 as a string; NULL if SQL NULL.  Borrowed from res.
 */
const char *db_get(const PGresult *res, int row, int col);

#endif
