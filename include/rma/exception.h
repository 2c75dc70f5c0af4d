/* exception.h - finance's exceptions as one list (SPEC §14): capture
 * failures, expired holds, serial mismatches, stray holds, refused voids
 * and refunds, PayPal mismatches, make-up claims needing finance and
 * ledger-verify findings; each resolved once with an outcome and a note,
 * the money that moved outside PayPal booked in the ledger.  The SQL is
 * db_exception.h (db_exception.c), the operation exception_ops.c. */
#ifndef RMA_EXCEPTION_H
#define RMA_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/case_ops.h"
#include "rma/db_exception.h"

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
