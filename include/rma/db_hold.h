/* db_hold.h - the SQL of holds (db_hold.c), with shipments, receipts,
 * finance exceptions and webhook events (SPEC §5.3, §10).  Below the hold
 * operations (hold_ops.h, case_ops.h), which include it; it knows no
 * operation.  Rules: hold.h. */
#ifndef RMA_DB_HOLD_H
#define RMA_DB_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/hold.h"
#include "rma/rma_state.h"

/* ---- reading holds ---- */

enum rma_err db_hold_live(struct db *db, int64_t rma_id, struct hold *out);
enum rma_err db_hold_latest(struct db *db, int64_t rma_id, struct hold *out);
enum rma_err db_hold_by_order(struct db *db, const char *order_id,
                              bool for_update, struct hold *out);
enum rma_err db_hold_by_id(struct db *db, int64_t id, bool for_update,
                           struct hold *out);

enum rma_err db_hold_by_authorization(struct db *db,
                                      const char *authorization_id,
                                      struct hold *out);
/* An UPDATE that must touch a row (else RMA_ECONFLICT) / may touch none. */
enum rma_err db_hold_exec(struct db *db, const char *stmt, int n,
                          const char *const *params);
enum rma_err db_hold_exec_any(struct db *db, const char *stmt, int n,
                              const char *const *params);
/* The hold whose capture or refund PayPal left PENDING as paypal_id. */
enum rma_err db_hold_by_pending(struct db *db, const char *paypal_id,
                                struct hold *out);
/* Whether an event id or a transmission id was taken before. */
enum rma_err db_webhook_seen(struct db *db, const char *event_id,
                             const char *transmission_id, bool *seen);
/* Records an event taken: RMA_ECONFLICT when its id or its transmission id
 * was taken first. */
enum rma_err db_webhook_record(struct db *db, const char *event_id,
                               const char *type, const char *resource_id,
                               const char *outcome, const char *transmission_id,
                               const char *now);
/* Up to limit authorized holds whose case cannot have one, locked (SKIP
 * LOCKED) until the transaction ends. */
enum rma_err db_hold_stray(struct db *db, int limit, int64_t *ids, int *n);
/* rma_id, customer_id, terms_version, terms_text, amount_minor, currency,
 * client_addr, now. */
enum rma_err db_hold_create(struct db *db, const char *const params[8],
                            int64_t *id);
/* The hold and its case's status. */
enum rma_err db_hold_with_case(struct db *db, int64_t hold_id, struct hold *out,
                               enum rma_status *status);
/* Due ids (stmt hold_due_*), excluding tried ("{1,2}"), locked briefly. */
enum rma_err db_hold_due(struct db *db, const char *stmt, const char *now,
                         const char *tried, int limit, const char *extra,
                         int64_t *ids, int *n);
/* Session-level lease on a hold: taken (got) or released. */
enum rma_err db_hold_lock(struct db *db, int64_t hold_id, bool lock, bool *got);
/* The same for n holds in one round trip: got[0 .. *n_got) are those taken,
 * in the order of ids. */
enum rma_err db_hold_lock_many(struct db *db, const int64_t *ids, int n,
                               int64_t *got, int *n_got);
enum rma_err db_hold_unlock_many(struct db *db, const int64_t *ids, int n);
/* rma_id, condition, serial_number, uid, notes, now, created_by. */
enum rma_err db_receipt_insert(struct db *db, const char *const params[7],
                               bool *match);

#endif
