/* db.h - the PostgreSQL connection: one per process, statements prepared once
 * per connection, reconnect after the server restarts.
 *
 * Only db*.c contain SQL text; a PGresult never leaves them.  Each
 * db_<concept>.c declares its statements in one static table, and db.c prepares
 * every table on every (re)connection. */
#ifndef RMA_DB_H
#define RMA_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/err.h"

struct pg_conn;

struct db {
    struct pg_conn *conn; /* PGconn, owned */
    char *conninfo;       /* owned */
    char *app_name;       /* owned */
    bool prepared;
    int64_t next_attempt_ms; /* no reconnect before this (monotonic ms) */
    unsigned long reconnects;
    /* The installation's random prefix of PayPal-Request-Ids (table
     * installation), read at its first use on each connection
     * (db_paypal.c); "" until then. */
    char installation[33];
};

/* Remembers how to connect; connects at the first db_ensure. */
void db_init(struct db *db, const char *conninfo, const char *app_name);
/* Connects or reconnects when needed and prepares the statements.
 * RMA_EDB while the server cannot be reached (retried at most every 250 ms). */
enum rma_err db_ensure(struct db *db);
/* A round trip to the server: RMA_OK or RMA_EDB. */
enum rma_err db_ping(struct db *db);
void db_close(struct db *db);

/* Transactions on the process's connection. */
enum rma_err db_begin(struct db *db);
enum rma_err db_commit(struct db *db);
void db_rollback(struct db *db);
/* One savepoint ("piece") inside a transaction: taken, released, or rolled
 * back to, so that one piece of a batch fails without the others. */
enum rma_err db_savepoint(struct db *db);
enum rma_err db_release(struct db *db);
enum rma_err db_rollback_to(struct db *db);

#endif
