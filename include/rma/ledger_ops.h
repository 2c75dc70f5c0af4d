/* ledger_ops.h - posting to the ledger (ledger_ops.c; SPEC §5.6,
 * doc/ledger.md).  The entries and posting rules are ledger.h (no I/O);
 * this is their I/O.
 *
 * Posting runs INSIDE the caller's transaction (it never begins or commits):
 * the entry commits or rolls back with the state change it records.  After
 * an error other than a duplicate, roll the transaction back.
 *
 * Callers use the posting rules (ledger_hold_authorized ... ledger_makeup_
 * payment) and never write account names; ledger_post is the general form. */
#ifndef RMA_LEDGER_OPS_H
#define RMA_LEDGER_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/ledger.h"

/* Posts e in the caller's open transaction.  *created is true when this call
 * wrote it.  The same key posted again with the same content (kind, cause,
 * currency, lines in any order; effective_at when given): RMA_OK with
 * *created false.  The same key with other content: RMA_ECONFLICT.  Errors of
 * ledger_check, or RMA_EDB / RMA_ERULE / RMA_EINTERNAL from the database. */
enum rma_err ledger_post(struct db *db, const struct ledger_entry *e,
                         bool *created);

/* The posting rules: each builds its entry (ledger_build_<rule>, ledger.h)
 * and posts it: RMA_OK also when it was already posted; a draft that fails
 * to build is not posted (logged, its error returned). */
enum rma_err ledger_hold_authorized(struct db *db, int64_t rma_id,
                                    int64_t hold_id, const char *currency,
                                    int64_t amount,
                                    const char *authorization_id);
enum rma_err ledger_hold_reauthorized(struct db *db, int64_t rma_id,
                                      int64_t hold_id, const char *currency,
                                      int64_t amount,
                                      const char *reauthorization_id);
enum rma_err ledger_hold_released(struct db *db, int64_t rma_id,
                                  int64_t hold_id, const char *currency,
                                  int64_t amount, const char *why,
                                  const char *paypal_id);
enum rma_err ledger_capture(struct db *db, int64_t rma_id, int64_t hold_id,
                            int64_t intent_id, const char *capture_id,
                            const char *currency, int64_t gross, int64_t fee);
/* A capture's two entries in one statement: the hold's memo released
 * (ledger_hold_released, why "captured", held) and the capture. */
enum rma_err ledger_capture_with_release(struct db *db, int64_t rma_id,
                                         int64_t hold_id, int64_t intent_id,
                                         const char *capture_id,
                                         const char *currency, int64_t held,
                                         int64_t gross, int64_t fee);
enum rma_err ledger_refund(struct db *db, int64_t rma_id, int64_t hold_id,
                           int64_t intent_id, const char *refund_id,
                           const char *currency, int64_t amount,
                           int64_t fee_returned);
/* A refund case paid back through PayPal, or paid out by other means. */
enum rma_err ledger_sale_refund(struct db *db, int64_t rma_id,
                                int64_t intent_id, const char *refund_id,
                                const char *currency, int64_t amount,
                                int64_t fee_returned);
enum rma_err ledger_refund_payout(struct db *db, int64_t rma_id,
                                  const char *currency, int64_t amount);
/* Money moved outside PayPal when finance resolved an exception. */
enum rma_err ledger_exception_resolution(struct db *db, int64_t exception_id,
                                         int64_t rma_id, const char *currency,
                                         int64_t amount, bool collected,
                                         const char *counter_account);
enum rma_err ledger_makeup_payment(struct db *db, int64_t rma_id,
                                   int64_t makeup_id,
                                   const char *transaction_id,
                                   const char *currency, int64_t due,
                                   int64_t paid, int64_t fee);

#endif
