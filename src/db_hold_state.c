/* db_hold_state.c - the SQL that changes a hold (db_hold.h; SPEC §5.3,
 * §10): one statement and one typed function per change, with the finance
 * exceptions and shipments recorded beside them.  Reading holds, leasing
 * them and webhook events are db_hold.c.
 *
 * Each UPDATE names the state it changes from: a hold that is no longer in
 * it is not touched, and the function answers RMA_ECONFLICT ("must touch a
 * row"); the few that may touch none (an exception already raised, a
 * refund already asked for) answer RMA_OK either way. */
#include <stdio.h>
#include <stdlib.h>

#include "db_hold_sql.h"
#include "db_internal.h"
#include "rma/db_hold.h"

// clang-format off
static const struct db_stmt stmts[] = {
    {"hold_set_order",
     "UPDATE hold SET order_id = $2, approve_url = $3, order_created_at = $4,"
     " updated_at = $4 WHERE id = $1 AND status = 'pending_approval'", 4},
    {"hold_reopen",
     "UPDATE hold SET status = 'pending_approval', ended_at = NULL,"
     " updated_at = $2 WHERE id = $1 AND status = 'abandoned'", 2},
    {"hold_authorize_stray",
     "UPDATE hold SET status = 'authorized', authorization_id = $2,"
     " authorized_at = $3, expires_at = $4, honor_until = $5, deadline = $6,"
     " void_requested_at = $7, void_reason = 'stray', updated_at = $7"
     " WHERE id = $1 AND status IN ('pending_approval', 'abandoned')", 7},
    {"hold_abandon",
     "UPDATE hold SET status = 'abandoned', ended_at = $2, updated_at = $2"
     " WHERE id = $1 AND status = 'pending_approval'", 2},
    {"hold_authorize",
     "UPDATE hold SET status = 'authorized', authorization_id = $2,"
     " authorized_at = $3, expires_at = $4, honor_until = $5, deadline = $6,"
     " updated_at = $7 WHERE id = $1 AND status = 'pending_approval'", 7},
    /* Not while a capture is asked for or under way: the two exclude each
     * other (a waiver racing a manual capture loses, SPEC §16). */
    {"hold_request_void",
     "UPDATE hold h SET void_requested_at = $2, void_reason = $3,"
     " updated_at = $2 WHERE h.id = $1 AND h.status = 'authorized'"
     " AND h.void_requested_at IS NULL AND h.pending_capture_id IS NULL"
     " AND coalesce(h.capture_reason, '') <> 'manual'"
     " AND NOT " OPEN_INTENT("authorization_capture", "h.capture_attempts + 1"),
     3},
    {"hold_voided",
     "UPDATE hold SET status = $3, voided_at = $2, ended_at = $2,"
     " updated_at = $2 WHERE id = $1 AND status = 'authorized'", 3},
    {"hold_captured",
     "UPDATE hold SET status = 'captured', capture_id = $2,"
     " pending_capture_id = NULL,"
     " capture_minor = $3, fee_minor = $4, captured_at = $5,"
     " capture_reason = $6, capture_attempts = capture_attempts + 1,"
     " next_capture_at = NULL, ended_at = $5, updated_at = $5"
     " WHERE id = $1 AND status = 'authorized'", 6},
    {"hold_capture_declined",
     "UPDATE hold SET capture_attempts = capture_attempts + 1,"
     " pending_capture_id = NULL,"
     " next_capture_at = $2, updated_at = $3"
     " WHERE id = $1 AND status = 'authorized'", 3},
    {"hold_failed",
     "UPDATE hold SET status = 'failed', capture_attempts = capture_attempts + 1,"
     " pending_capture_id = NULL,"
     " next_capture_at = NULL, ended_at = $2, updated_at = $2"
     " WHERE id = $1 AND status = 'authorized'", 2},
    {"hold_reauthorized",
     "UPDATE hold SET reauth_status = $2, reauthorization_id = $3,"
     " reauthorized_at = CASE WHEN $3::text IS NULL THEN NULL ELSE $4::timestamptz END,"
     " reauth_honor_until = $5, updated_at = $4"
     " WHERE id = $1 AND status = 'authorized' AND reauth_status = 'none'", 5},
    {"hold_request_capture",
     "UPDATE hold SET capture_reason = 'manual', next_capture_at = NULL,"
     " updated_at = $2 WHERE id = $1 AND status = 'authorized'"
     " AND void_requested_at IS NULL"
     " AND coalesce(capture_reason, '') <> 'manual'", 2},
    {"hold_extend",
     "UPDATE hold SET deadline = $2, extensions = extensions + 1,"
     " updated_at = $3 WHERE id = $1 AND status = 'authorized'", 3},
    {"hold_request_refund",
     "UPDATE hold SET refund_requested_minor = $2, refund_reason = $3,"
     " updated_at = $4 WHERE id = $1 AND status = 'captured'"
     " AND refund_requested_minor IS NULL", 4},
    {"hold_decide_refund",
     "UPDATE hold SET refund_decided_at = $2, refund_decided_by = $3,"
     " updated_at = $2 WHERE id = $1 AND status = 'captured'"
     " AND refund_decided_at IS NULL AND refund_requested_minor IS NULL", 3},
    {"hold_refunded",
     "UPDATE hold SET refund_id = $2, refund_minor = $3, refunded_at = $4,"
     " pending_refund_id = NULL,"
     " updated_at = $4 WHERE id = $1 AND status = 'captured'"
     " AND refund_id IS NULL", 4},
    {"hold_reminded",
     "UPDATE hold SET reminded_days = reminded_days || $2::integer,"
     " updated_at = $3 WHERE id = $1 AND NOT ($2::integer = ANY (reminded_days))", 3},
    {"hold_capture_pending",
     "UPDATE hold SET pending_capture_id = $2, updated_at = $3"
     " WHERE id = $1 AND status = 'authorized'", 3},
    {"hold_refund_pending",
     "UPDATE hold SET pending_refund_id = $2, updated_at = $3"
     " WHERE id = $1 AND status = 'captured' AND refund_id IS NULL", 3},
    {"hold_refund_failed",
     "UPDATE hold SET pending_refund_id = NULL, refund_failed_at = $2,"
     " updated_at = $2 WHERE id = $1 AND status = 'captured'"
     " AND refund_id IS NULL", 2},
    {"hold_exception",
     "INSERT INTO finance_exception (kind, rma_id, hold_id, currency,"
     " amount_minor, detail, dedupe_key, created_at)"
     " VALUES ($1, $2, nullif($3, '0')::bigint, $4, $5, $6, $7, $8)"
     " ON CONFLICT (dedupe_key) DO NOTHING", 8},
    {"shipment_insert",
     "INSERT INTO shipment (rma_id, kind, carrier, tracking_number,"
     " shipped_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)", 6},
};
// clang-format on

const struct db_stmt_table db_hold_state_stmts = {stmts, sizeof(stmts) /
                                                             sizeof(stmts[0])};

/* Runs an UPDATE/INSERT that must touch a row: RMA_ECONFLICT when it
 * touched none (the hold was not in the state the statement requires). */
static enum rma_err
must_touch(struct db *db, const char *stmt, int n, const char *const *params)
{
    long rows = 0;
    enum rma_err err = db_command(db, stmt, n, params, &rows);
    if (err != RMA_OK)
        return err;
    return rows < 1 ? RMA_ECONFLICT : RMA_OK;
}
enum rma_err
db_hold_set_order(struct db *db, int64_t hold_id, const char *order_id,
                  const char *approve_url, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), order_id, approve_url, now};
    return must_touch(db, "hold_set_order", 4, params);
}

enum rma_err
db_hold_reopen(struct db *db, int64_t hold_id, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now};
    return must_touch(db, "hold_reopen", 2, params);
}

enum rma_err
db_hold_abandon(struct db *db, int64_t hold_id, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now};
    return must_touch(db, "hold_abandon", 2, params);
}

enum rma_err
db_hold_authorize(struct db *db, int64_t hold_id, const char *authorization_id,
                  const struct hold_authorization_times *t, const char *now)
{
    char id[24];
    const char *params[] = {
        db_num(id, hold_id), authorization_id, t->at, t->expires,
        t->honor_until,      t->deadline,      now};
    return must_touch(db, "hold_authorize", 7, params);
}

enum rma_err
db_hold_authorize_stray(struct db *db, int64_t hold_id,
                        const char *authorization_id,
                        const struct hold_authorization_times *t,
                        const char *now)
{
    char id[24];
    const char *params[] = {
        db_num(id, hold_id), authorization_id, t->at, t->expires,
        t->honor_until,      t->deadline,      now};
    return must_touch(db, "hold_authorize_stray", 7, params);
}

enum rma_err
db_hold_request_void(struct db *db, int64_t hold_id, const char *now,
                     const char *reason)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now, reason};
    return must_touch(db, "hold_request_void", 3, params);
}

enum rma_err
db_hold_voided(struct db *db, int64_t hold_id, enum hold_status to,
               const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now, hold_status_name(to)};
    return must_touch(db, "hold_voided", 3, params);
}

enum rma_err
db_hold_captured(struct db *db, int64_t hold_id, const char *capture_id,
                 int64_t capture_minor, int64_t fee_minor, const char *at,
                 const char *reason)
{
    char id[24], gross[24], fee[24];
    const char *params[] = {
        db_num(id, hold_id),    capture_id, db_num(gross, capture_minor),
        db_num(fee, fee_minor), at,         reason};
    return must_touch(db, "hold_captured", 6, params);
}

enum rma_err
db_hold_capture_declined(struct db *db, int64_t hold_id,
                         const char *next_attempt, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), next_attempt, now};
    return must_touch(db, "hold_capture_declined", 3, params);
}

enum rma_err
db_hold_failed(struct db *db, int64_t hold_id, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now};
    return must_touch(db, "hold_failed", 2, params);
}

enum rma_err
db_hold_reauthorized(struct db *db, int64_t hold_id, bool succeeded,
                     const char *reauthorization_id, const char *now,
                     const char *honor_until)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id),
                            succeeded ? "succeeded" : "refused",
                            reauthorization_id, now, honor_until};
    return must_touch(db, "hold_reauthorized", 5, params);
}

enum rma_err
db_hold_request_capture(struct db *db, int64_t hold_id, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now};
    return must_touch(db, "hold_request_capture", 2, params);
}

enum rma_err
db_hold_extend(struct db *db, int64_t hold_id, const char *deadline,
               const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), deadline, now};
    return must_touch(db, "hold_extend", 3, params);
}

enum rma_err
db_hold_request_refund(struct db *db, int64_t hold_id, int64_t amount_minor,
                       const char *reason, const char *now)
{
    char id[24], amount[24];
    const char *params[] = {db_num(id, hold_id), db_num(amount, amount_minor),
                            reason, now};
    return db_command(db, "hold_request_refund", 4, params, NULL);
}

enum rma_err
db_hold_decide_refund(struct db *db, int64_t hold_id, const char *by,
                      const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now, by};
    return must_touch(db, "hold_decide_refund", 3, params);
}

enum rma_err
db_hold_refunded(struct db *db, int64_t hold_id, const char *refund_id,
                 int64_t refund_minor, const char *at)
{
    char id[24], amount[24];
    const char *params[] = {db_num(id, hold_id), refund_id,
                            db_num(amount, refund_minor), at};
    return must_touch(db, "hold_refunded", 4, params);
}

enum rma_err
db_hold_reminded(struct db *db, int64_t hold_id, int days, const char *now)
{
    char id[24], d[24];
    const char *params[] = {db_num(id, hold_id), db_num(d, days), now};
    return must_touch(db, "hold_reminded", 3, params);
}

enum rma_err
db_hold_capture_pending(struct db *db, int64_t hold_id, const char *capture_id,
                        const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), capture_id, now};
    return must_touch(db, "hold_capture_pending", 3, params);
}

enum rma_err
db_hold_refund_pending(struct db *db, int64_t hold_id, const char *refund_id,
                       const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), refund_id, now};
    return must_touch(db, "hold_refund_pending", 3, params);
}

enum rma_err
db_hold_refund_failed(struct db *db, int64_t hold_id, const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, hold_id), now};
    return must_touch(db, "hold_refund_failed", 2, params);
}

enum rma_err
db_hold_exception(struct db *db, const char *kind, int64_t rma_id,
                  int64_t hold_id, const char *currency, int64_t amount_minor,
                  const char *detail, const char *dedupe_key, const char *now)
{
    char rma[24], hold[24], amount[24];
    const char *params[] = {kind,
                            db_num(rma, rma_id),
                            db_num(hold, hold_id),
                            currency,
                            db_num(amount, amount_minor),
                            detail,
                            dedupe_key,
                            now};
    return db_command(db, "hold_exception", 8, params, NULL);
}

enum rma_err
db_shipment_insert(struct db *db, int64_t rma_id, const char *kind,
                   const char *carrier, const char *tracking_number,
                   const char *shipped_at, const char *created_by)
{
    char rma[24];
    const char *params[] = {db_num(rma, rma_id), kind,       carrier,
                            tracking_number,     shipped_at, created_by};
    return must_touch(db, "shipment_insert", 6, params);
}
