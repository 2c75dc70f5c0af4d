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

/* ---- reading holds (db_hold.c) ---- */

enum rma_err db_hold_live(struct db *db, int64_t rma_id, struct hold *out);
enum rma_err db_hold_latest(struct db *db, int64_t rma_id, struct hold *out);
enum rma_err db_hold_by_order(struct db *db, const char *order_id,
                              bool for_update, struct hold *out);
enum rma_err db_hold_by_id(struct db *db, int64_t id, bool for_update,
                           struct hold *out);
enum rma_err db_hold_by_authorization(struct db *db,
                                      const char *authorization_id,
                                      struct hold *out);
/* The hold whose capture or refund PayPal left PENDING as paypal_id. */
enum rma_err db_hold_by_pending(struct db *db, const char *paypal_id,
                                struct hold *out);
/* The hold and its case's status. */
enum rma_err db_hold_with_case(struct db *db, int64_t hold_id, struct hold *out,
                               enum rma_status *status);
/* Up to limit authorized holds whose case cannot have one, locked (SKIP
 * LOCKED) until the transaction ends. */
enum rma_err db_hold_stray(struct db *db, int limit, int64_t *ids, int *n);

/* ---- creating a hold (db_hold.c) ---- */

/* The customer's acceptance of the pre-authorization agreement, which
 * makes a pending hold.  Borrowed strings; now ISO 8601 UTC. */
struct hold_acceptance {
    int64_t rma_id;
    int64_t customer_id;
    const char *terms_version;
    const char *terms_text;
    int64_t amount_minor;
    const char *currency;
    const char *client_addr;
    const char *now;
};
/* Records the acceptance and its pending_approval hold; *id the hold's. */
enum rma_err db_hold_create(struct db *db, const struct hold_acceptance *a,
                            int64_t *id);

/* ---- changing a hold (db_hold_state.c) ----
 * One function per statement.  Times are ISO 8601 UTC text.  Each UPDATE
 * requires the state it changes from and answers RMA_ECONFLICT when the
 * hold is no longer in it (no row touched), unless said otherwise. */

/* An authorization's times. */
struct hold_authorization_times {
    const char *at;
    const char *expires;
    const char *honor_until;
    const char *deadline;
};

/* pending_approval: the PayPal order and its approval link. */
enum rma_err db_hold_set_order(struct db *db, int64_t hold_id,
                               const char *order_id, const char *approve_url,
                               const char *now);
/* abandoned -> pending_approval. */
enum rma_err db_hold_reopen(struct db *db, int64_t hold_id, const char *now);
/* pending_approval -> abandoned. */
enum rma_err db_hold_abandon(struct db *db, int64_t hold_id, const char *now);
/* pending_approval -> authorized. */
enum rma_err db_hold_authorize(struct db *db, int64_t hold_id,
                               const char *authorization_id,
                               const struct hold_authorization_times *t,
                               const char *now);
/* pending_approval or abandoned -> authorized with its release requested
 * (void_reason stray): an authorization for a case that no longer awaits
 * one. */
enum rma_err db_hold_authorize_stray(struct db *db, int64_t hold_id,
                                     const char *authorization_id,
                                     const struct hold_authorization_times *t,
                                     const char *now);
/* authorized, no release asked, no capture asked for or under way: the
 * release is requested for reason. */
enum rma_err db_hold_request_void(struct db *db, int64_t hold_id,
                                  const char *now, const char *reason);
/* authorized -> to (voided or expired). */
enum rma_err db_hold_voided(struct db *db, int64_t hold_id, enum hold_status to,
                            const char *now);
/* authorized -> captured. */
enum rma_err db_hold_captured(struct db *db, int64_t hold_id,
                              const char *capture_id, int64_t capture_minor,
                              int64_t fee_minor, const char *at,
                              const char *reason);
/* authorized: a declined capture, tried again at next_attempt. */
enum rma_err db_hold_capture_declined(struct db *db, int64_t hold_id,
                                      const char *next_attempt,
                                      const char *now);
/* authorized -> failed (captures declined too often). */
enum rma_err db_hold_failed(struct db *db, int64_t hold_id, const char *now);
/* authorized, not reauthorized yet: the reauthorization's outcome;
 * reauthorization_id and honor_until NULL when it was refused. */
enum rma_err db_hold_reauthorized(struct db *db, int64_t hold_id,
                                  bool succeeded,
                                  const char *reauthorization_id,
                                  const char *now, const char *honor_until);
/* authorized, no release asked, no manual capture yet: a manual capture. */
enum rma_err db_hold_request_capture(struct db *db, int64_t hold_id,
                                     const char *now);
/* authorized: a new deadline. */
enum rma_err db_hold_extend(struct db *db, int64_t hold_id,
                            const char *deadline, const char *now);
/* Records the supervisor's decision on refunding a captured hold after a
 * late return (by: who); RMA_ECONFLICT when it was already decided or a
 * refund already asked for. */
enum rma_err db_hold_decide_refund(struct db *db, int64_t hold_id,
                                   const char *by, const char *now);
/* captured, no refund asked yet: a refund of amount_minor.  RMA_OK also
 * when one was asked before (nothing changes). */
enum rma_err db_hold_request_refund(struct db *db, int64_t hold_id,
                                    int64_t amount_minor, const char *reason,
                                    const char *now);
/* captured, not refunded: the refund made. */
enum rma_err db_hold_refunded(struct db *db, int64_t hold_id,
                              const char *refund_id, int64_t refund_minor,
                              const char *at);
/* The reminder days before the deadline was sent (once). */
enum rma_err db_hold_reminded(struct db *db, int64_t hold_id, int days,
                              const char *now);
/* authorized: a capture PayPal left PENDING. */
enum rma_err db_hold_capture_pending(struct db *db, int64_t hold_id,
                                     const char *capture_id, const char *now);
/* captured, not refunded: a refund PayPal left PENDING. */
enum rma_err db_hold_refund_pending(struct db *db, int64_t hold_id,
                                    const char *refund_id, const char *now);
/* captured, not refunded: PayPal failed the refund. */
enum rma_err db_hold_refund_failed(struct db *db, int64_t hold_id,
                                   const char *now);

/* A finance exception, once per dedupe_key (RMA_OK also when it was
 * raised before); hold_id 0: about the case only. */
enum rma_err db_hold_exception(struct db *db, const char *kind, int64_t rma_id,
                               int64_t hold_id, const char *currency,
                               int64_t amount_minor, const char *detail,
                               const char *dedupe_key, const char *now);
/* A shipment of the case. */
enum rma_err db_shipment_insert(struct db *db, int64_t rma_id, const char *kind,
                                const char *carrier,
                                const char *tracking_number,
                                const char *shipped_at, const char *created_by);

/* ---- the job's leases (db_hold.c) ---- */

/* What work a due query looks for. */
enum hold_due {
    HOLD_DUE_VOID,
    HOLD_DUE_REFUND,
    HOLD_DUE_REAUTH,
    HOLD_DUE_CAPTURE, /* arg: capture_before_expiry (0 or 1) */
    HOLD_DUE_PENDING,
    HOLD_DUE_APPROVAL,
    HOLD_DUE_REMIND, /* arg: the reminder's days before the deadline */
};
/* Up to limit ids of holds due for what at now, excluding tried ("{1,2}"),
 * locked briefly (SKIP LOCKED) until the transaction ends. */
enum rma_err db_hold_due(struct db *db, enum hold_due what, const char *now,
                         const char *tried, int limit, int arg, int64_t *ids,
                         int *n);
/* Session-level lease on a hold: taken (got) or released. */
enum rma_err db_hold_lock(struct db *db, int64_t hold_id, bool lock, bool *got);
/* The same for n holds in one round trip: got[0 .. *n_got) are those taken,
 * in the order of ids. */
enum rma_err db_hold_lock_many(struct db *db, const int64_t *ids, int n,
                               int64_t *got, int *n_got);
enum rma_err db_hold_unlock_many(struct db *db, const int64_t *ids, int n);

/* ---- receipts and webhook events (db_hold.c) ---- */

/* The warehouse's receipt of the returned unit.  Borrowed strings;
 * serial_number, uid and notes may be NULL. */
struct receipt_row {
    int64_t rma_id;
    const char *condition;
    const char *serial_number;
    const char *uid;
    const char *notes;
    const char *received_at;
    const char *created_by;
};
/* *match: the unit's S/N or UID is one of the case's devices. */
enum rma_err db_receipt_insert(struct db *db, const struct receipt_row *rc,
                               bool *match);
/* Whether an event id or a transmission id was taken before. */
enum rma_err db_webhook_seen(struct db *db, const char *event_id,
                             const char *transmission_id, bool *seen);
/* Records an event taken: RMA_ECONFLICT when its id or its transmission id
 * was taken first. */
enum rma_err db_webhook_record(struct db *db, const char *event_id,
                               const char *type, const char *resource_id,
                               const char *outcome, const char *transmission_id,
                               const char *now);

#endif
