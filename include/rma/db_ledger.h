/* db_ledger.h - the ledger's SQL (db_ledger.c): posting an entry and the
 * queries of ledger verify.  Below ledger_ops.h and ledger_verify.h. */
#ifndef RMA_DB_LEDGER_H
#define RMA_DB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/ledger.h"

/* Writes e (ledger_ops.h: ledger_post); created[i] tells whether e[i]
 * was written by this call.  The keys must be distinct (RMA_EINTERNAL). */
enum rma_err db_ledger_post_many(struct db *db,
                                 const struct ledger_entry *const *e, size_t n,
                                 bool *created);
enum rma_err db_ledger_post(struct db *db, const struct ledger_entry *e,
                            bool *created);

/* The queries of ledger_verify; their columns are listed in db_ledger.c. */
enum ledger_query {
    LEDGER_Q_UNBALANCED,
    LEDGER_Q_FEW_POSTINGS,
    LEDGER_Q_ORPHANS,
    LEDGER_Q_DUPLICATE_KEYS,
    LEDGER_Q_CAUSES,
    LEDGER_Q_MEMO,
    LEDGER_Q_STRAY_HOLDS,    /* business state: a hold kept off the path */
    LEDGER_Q_CAPTURED_CASES, /* business state: a capture not charged */
    LEDGER_Q_CAPTURES,
    LEDGER_Q_REFUNDS,
    LEDGER_Q_PAYPAL,
};

/* Called for each row: col[i] is the text of column i, NULL for SQL NULL
 * (borrowed for the call).  A non-OK return stops the query with it. */
typedef enum rma_err (*ledger_row_fn)(void *ctx, const char *const *col,
                                      int ncol);

/* Starts the read-only, repeatable-read transaction verify runs in (end it
 * with db_rollback). */
enum rma_err db_ledger_snapshot(struct db *db);
enum rma_err db_ledger_query(struct db *db, enum ledger_query q,
                             ledger_row_fn fn, void *ctx);

#endif
