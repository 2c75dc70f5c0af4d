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
