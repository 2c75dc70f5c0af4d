/* exception.h - finance's exceptions as one list (SPEC §14): capture
 * failures, expired holds, serial mismatches, stray holds, refused voids
 * and refunds, PayPal mismatches, make-up claims needing finance and
 * ledger-verify findings; each resolved once with an outcome and a note,
 * the money that moved outside PayPal booked in the ledger.  SQL in
 * db_exception.c, the operation in exception_ops.c. */
#ifndef RMA_EXCEPTION_H
#define RMA_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/arena.h"
#include "rma/case_ops.h"
#include "rma/db.h"

struct exception_row {
    int64_t id;
    char kind[32];
    int64_t rma_id;    /* 0: none */
    int64_t hold_id;   /* 0: none */
    int64_t makeup_id; /* 0: none */
    char currency[4];  /* "" when none */
    bool resolved;
};

/* The list as JSON text (in a): status "open", "resolved" or "all"; kind
 * NULL for every kind; oldest first. */
enum rma_err db_exception_list(struct db *db, const char *status,
                               const char *kind, int limit, struct arena *a,
                               char **json);
enum rma_err db_exception_lock(struct db *db, int64_t id,
                               struct exception_row *out);
/* RMA_ECONFLICT when it was resolved meanwhile. */
enum rma_err db_exception_resolve(struct db *db, int64_t id, const char *who,
                                  const char *note, const char *outcome,
                                  int64_t amount, const char *now);
/* The outcome of an exception resolved in this transaction by its make-up
 * claim's resolution. */
enum rma_err db_exception_set_outcome(struct db *db, int64_t id,
                                      const char *outcome, int64_t amount);
/* A ledger-verify finding as an exception, once per text. */
enum rma_err db_exception_finding(struct db *db, const char *text,
                                  int64_t hold_id, const char *now);

enum exception_outcome {
    EXCEPTION_CLOSED,    /* nothing moved: written off or explained */
    EXCEPTION_COLLECTED, /* collected from the customer outside PayPal */
    EXCEPTION_PAID_OUT,  /* paid to the customer outside PayPal */
};

/* Finance resolves exception id (amount: minor units in its currency, for
 * collected and paid_out).  A make-up claim's exception resolves its claim;
 * a failed capture's completes its case. */
enum rma_err exception_resolve(struct hold_env *env, int64_t id,
                               enum exception_outcome outcome, int64_t amount,
                               const char *currency, const char *note,
                               struct case_refusal *no);

#endif
