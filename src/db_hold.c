/* db_hold.c - SQL for holds, shipments, receipts, finance exceptions and
 * webhook events (SPEC §5.3, §10). */
#include "rma/db_hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/id_list.h"

#define HOLD_SELECT                                                            \
    "SELECT h.id, h.rma_id, h.status, h.currency, h.amount_minor,"             \
    " coalesce(h.order_id, ''), coalesce(h.approve_url, ''),"                  \
    " coalesce(h.authorization_id, ''),"                                       \
    " coalesce(extract(epoch FROM h.authorized_at)::bigint, 0),"               \
    " coalesce(extract(epoch FROM h.expires_at)::bigint, 0),"                  \
    " coalesce(extract(epoch FROM h.honor_until)::bigint, 0),"                 \
    " h.reauth_status, coalesce(h.reauthorization_id, ''),"                    \
    " coalesce(extract(epoch FROM h.reauth_honor_until)::bigint, 0),"          \
    " coalesce(extract(epoch FROM h.deadline)::bigint, 0), h.extensions,"      \
    " coalesce(extract(epoch FROM h.void_requested_at)::bigint, 0),"           \
    " coalesce(h.void_reason, ''), h.capture_attempts,"                        \
    " coalesce(extract(epoch FROM h.next_capture_at)::bigint, 0),"             \
    " coalesce(h.capture_reason, ''), coalesce(h.capture_id, ''),"             \
    " coalesce(h.capture_minor, 0), coalesce(h.fee_minor, 0),"                 \
    " coalesce(h.refund_requested_minor, 0), coalesce(h.refund_id, ''),"       \
    " (SELECT coalesce(sum(1 << d), 0) FROM unnest(h.reminded_days) d"         \
    "  WHERE d BETWEEN 1 AND 31)::bigint,"                                     \
    " coalesce(extract(epoch FROM h.order_created_at)::bigint, 0),"            \
    " coalesce(h.pending_capture_id, ''), coalesce(h.pending_refund_id, ''),"  \
    " h.refund_failed_at IS NOT NULL"
#define HOLD_COUNT 31
#define HOLD_COLUMNS HOLD_SELECT " FROM hold h"

/* Due work, for the job: ids only, locked briefly so that concurrent runners
 * pick different rows; $1 now, $2 ids already tried in this run, $3 limit. */
#define DUE(cond)                                                              \
    "SELECT h.id FROM hold h JOIN rma r ON r.id = h.rma_id"                    \
    " WHERE $1::timestamptz IS NOT NULL AND " cond                             \
    " AND NOT (h.id = ANY ($2::bigint[]))"                                     \
    " ORDER BY h.id LIMIT $3 FOR UPDATE OF h SKIP LOCKED"

/* An open intent of op for the hold at the attempt about to be made. */
#define OPEN_INTENT(op, seq)                                                   \
    "EXISTS (SELECT 1 FROM paypal_intent i WHERE i.hold_id = h.id"             \
    " AND i.operation = '" op "' AND i.sequence = " seq                        \
    " AND i.status IN ('pending', 'unknown'))"

// clang-format off
static const struct db_stmt stmts[] = {
    {"hold_by_id", HOLD_COLUMNS " WHERE h.id = $1", 1},
    {"hold_by_id_lock", HOLD_COLUMNS " WHERE h.id = $1 FOR UPDATE", 1},
    {"hold_live", HOLD_COLUMNS " WHERE h.rma_id = $1"
     " AND h.status IN ('pending_approval', 'authorized')", 1},
    {"hold_latest", HOLD_COLUMNS " WHERE h.rma_id = $1 AND h.status <> 'abandoned'"
     " ORDER BY h.id DESC LIMIT 1", 1},
    {"hold_by_order", HOLD_COLUMNS " WHERE h.order_id = $1", 1},
    {"hold_by_order_lock", HOLD_COLUMNS " WHERE h.order_id = $1 FOR UPDATE", 1},
    {"hold_by_authorization", HOLD_COLUMNS
     " WHERE h.authorization_id = $1 OR h.reauthorization_id = $1", 1},
    {"hold_create",
     "WITH a AS (INSERT INTO preauth_acceptance (rma_id, customer_id,"
     " terms_version, terms_text, amount_minor, currency, client_addr,"
     " accepted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id)"
     " INSERT INTO hold (rma_id, acceptance_id, status, currency,"
     " amount_minor, created_at, updated_at)"
     " SELECT $1, a.id, 'pending_approval', $6, $5, $8, $8 FROM a"
     " RETURNING id", 8},
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
    {"hold_stray",
     "SELECT h.id FROM hold h JOIN rma r ON r.id = h.rma_id"
     " WHERE h.status = 'authorized' AND h.void_requested_at IS NULL"
     " AND (r.replacement_method IS DISTINCT FROM 'advanced'"
     "  OR r.status NOT IN ('awaiting_shipment', 'awaiting_return',"
     "   'return_submitted', 'received'))"
     " ORDER BY h.id LIMIT $1 FOR UPDATE OF h SKIP LOCKED", 1},
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
    {"hold_refunded",
     "UPDATE hold SET refund_id = $2, refund_minor = $3, refunded_at = $4,"
     " pending_refund_id = NULL,"
     " updated_at = $4 WHERE id = $1 AND status = 'captured'"
     " AND refund_id IS NULL", 4},
    {"hold_reminded",
     "UPDATE hold SET reminded_days = reminded_days || $2::integer,"
     " updated_at = $3 WHERE id = $1 AND NOT ($2::integer = ANY (reminded_days))", 3},
    {"hold_with_case", HOLD_SELECT ", r.status FROM hold h"
     " JOIN rma r ON r.id = h.rma_id WHERE h.id = $1", 1},
    {"hold_lock_try", "SELECT pg_try_advisory_lock(7413, ($1::bigint % 2147483647)::integer)", 1},
    {"hold_unlock", "SELECT pg_advisory_unlock(7413, ($1::bigint % 2147483647)::integer)", 1},
    {"hold_lock_many",
     "SELECT x FROM unnest($1::bigint[]) WITH ORDINALITY AS u (x, o)"
     " WHERE pg_try_advisory_lock(7413, (x % 2147483647)::integer) ORDER BY o", 1},
    {"hold_unlock_many",
     "SELECT count(*) FILTER (WHERE pg_advisory_unlock(7413, (x % 2147483647)::integer))"
     " FROM unnest($1::bigint[]) x", 1},
    {"hold_due_void", DUE("h.status = 'authorized'"
     " AND h.void_requested_at IS NOT NULL AND NOT EXISTS (SELECT 1"
     "  FROM finance_exception e WHERE e.hold_id = h.id"
     "  AND e.kind = 'void_refused' AND e.resolved_at IS NULL)"), 3},
    {"hold_due_refund", DUE("h.status = 'captured'"
     " AND h.refund_requested_minor IS NOT NULL AND h.refund_id IS NULL"
     " AND h.pending_refund_id IS NULL AND h.refund_failed_at IS NULL"), 3},
    {"hold_due_pending", DUE("((h.status = 'authorized'"
     " AND h.pending_capture_id IS NOT NULL) OR (h.status = 'captured'"
     " AND h.pending_refund_id IS NOT NULL))"), 3},
    {"hold_by_pending", HOLD_COLUMNS " WHERE h.pending_capture_id = $1"
     " OR h.pending_refund_id = $1", 1},
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
    {"hold_due_reauth", DUE("h.status = 'authorized'"
     " AND h.void_requested_at IS NULL AND h.reauth_status = 'none'"
     " AND coalesce(h.capture_reason, '') <> 'manual'"
     " AND r.status IN ('awaiting_shipment', 'awaiting_return')"
     " AND h.deadline - interval '2 days' <= $1 AND h.deadline > $1"
     " AND h.authorized_at + interval '3 days' <= $1"), 3},
    {"hold_due_capture", DUE("h.status = 'authorized'"
     " AND h.void_requested_at IS NULL AND h.pending_capture_id IS NULL"
     " AND (h.next_capture_at IS NULL OR h.next_capture_at <= $1)"
     " AND (h.capture_reason = 'manual'"
     "  OR (r.status = 'awaiting_return' AND h.deadline <= $1)"
     "  OR ($4::boolean AND r.status IN ('awaiting_return', 'return_submitted')"
     "      AND h.expires_at - interval '1 day' <= $1)"
     "  OR " OPEN_INTENT("authorization_capture", "h.capture_attempts + 1") ")"), 4},
    {"hold_due_approval", DUE("h.status = 'pending_approval'"
     " AND h.order_id IS NOT NULL AND h.updated_at <= $1 - interval '2 minutes'"
     " AND r.status = 'awaiting_preauth'"), 3},
    {"hold_due_remind", DUE("h.status = 'authorized'"
     " AND h.void_requested_at IS NULL AND r.status = 'awaiting_return'"
     " AND h.deadline > $1 AND h.deadline - make_interval(days => $4::integer) <= $1"
     " AND NOT ($4::integer = ANY (h.reminded_days))"), 4},
    {"hold_exception",
     "INSERT INTO finance_exception (kind, rma_id, hold_id, currency,"
     " amount_minor, detail, dedupe_key, created_at)"
     " VALUES ($1, $2, nullif($3, '0')::bigint, $4, $5, $6, $7, $8)"
     " ON CONFLICT (dedupe_key) DO NOTHING", 8},
    {"shipment_insert",
     "INSERT INTO shipment (rma_id, kind, carrier, tracking_number,"
     " shipped_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)", 6},
    {"receipt_insert",
     "INSERT INTO return_receipt (rma_id, condition, serial_number, uid,"
     " serial_match, notes, received_at, created_by)"
     " SELECT $1, $2, $3, $4, EXISTS (SELECT 1 FROM rma_device d"
     "  WHERE d.rma_id = $1 AND ((upper(d.serial_number) = upper($3))"
     "   OR (upper(d.uid) = upper($4)))), $5, $6, $7"
     " RETURNING serial_match", 7},
    {"webhook_event_insert",
     "INSERT INTO paypal_webhook_event (event_id, event_type, resource_id,"
     " outcome, received_at, transmission_id)"
     " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", 6},
    {"webhook_seen",
     "SELECT count(*) FROM paypal_webhook_event"
     " WHERE event_id = $1 OR transmission_id = $2", 2},
};
// clang-format on

const struct db_stmt_table db_hold_stmts = {stmts,
                                            sizeof(stmts) / sizeof(stmts[0])};

static void
read_hold(PGresult *r, struct hold *h)
{
    memset(h, 0, sizeof(*h));
    h->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    h->rma_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    h->status = (enum hold_status)hold_status_parse(PQgetvalue(r, 0, 2));
    db_copy(h->currency, sizeof(h->currency), PQgetvalue(r, 0, 3));
    h->amount_minor = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    db_copy(h->order_id, sizeof(h->order_id), PQgetvalue(r, 0, 5));
    db_copy(h->approve_url, sizeof(h->approve_url), PQgetvalue(r, 0, 6));
    db_copy(h->authorization_id, sizeof(h->authorization_id),
            PQgetvalue(r, 0, 7));
    h->authorized_at = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
    h->expires_at = strtoll(PQgetvalue(r, 0, 9), NULL, 10);
    h->honor_until = strtoll(PQgetvalue(r, 0, 10), NULL, 10);
    const char *re = PQgetvalue(r, 0, 11);
    h->reauth = strcmp(re, "succeeded") == 0 ? REAUTH_SUCCEEDED
                : strcmp(re, "refused") == 0 ? REAUTH_REFUSED
                                             : REAUTH_NONE;
    db_copy(h->reauthorization_id, sizeof(h->reauthorization_id),
            PQgetvalue(r, 0, 12));
    h->reauth_honor_until = strtoll(PQgetvalue(r, 0, 13), NULL, 10);
    h->deadline = strtoll(PQgetvalue(r, 0, 14), NULL, 10);
    h->extensions = (int)strtol(PQgetvalue(r, 0, 15), NULL, 10);
    h->void_requested_at = strtoll(PQgetvalue(r, 0, 16), NULL, 10);
    db_copy(h->void_reason, sizeof(h->void_reason), PQgetvalue(r, 0, 17));
    h->capture_attempts = (int)strtol(PQgetvalue(r, 0, 18), NULL, 10);
    h->next_capture_at = strtoll(PQgetvalue(r, 0, 19), NULL, 10);
    db_copy(h->capture_reason, sizeof(h->capture_reason), PQgetvalue(r, 0, 20));
    db_copy(h->capture_id, sizeof(h->capture_id), PQgetvalue(r, 0, 21));
    h->capture_minor = strtoll(PQgetvalue(r, 0, 22), NULL, 10);
    h->fee_minor = strtoll(PQgetvalue(r, 0, 23), NULL, 10);
    h->refund_requested_minor = strtoll(PQgetvalue(r, 0, 24), NULL, 10);
    db_copy(h->refund_id, sizeof(h->refund_id), PQgetvalue(r, 0, 25));
    h->reminded = (unsigned)strtoull(PQgetvalue(r, 0, 26), NULL, 10);
    h->order_created_at = strtoll(PQgetvalue(r, 0, 27), NULL, 10);
    db_copy(h->pending_capture_id, sizeof(h->pending_capture_id),
            PQgetvalue(r, 0, 28));
    db_copy(h->pending_refund_id, sizeof(h->pending_refund_id),
            PQgetvalue(r, 0, 29));
    h->refund_failed = strcmp(PQgetvalue(r, 0, 30), "t") == 0;
}

static enum rma_err
find(struct db *db, const char *stmt, const char *param, struct hold *out)
{
    enum rma_err err;
    const char *params[] = {param};
    PGresult *r = db_run(db, stmt, 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    read_hold(r, out);
    PQclear(r);
    return RMA_OK;
}

static enum rma_err
find_id(struct db *db, const char *stmt, int64_t id, struct hold *out)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    return find(db, stmt, buf, out);
}

enum rma_err
db_hold_live(struct db *db, int64_t rma_id, struct hold *out)
{
    return find_id(db, "hold_live", rma_id, out);
}

enum rma_err
db_hold_latest(struct db *db, int64_t rma_id, struct hold *out)
{
    return find_id(db, "hold_latest", rma_id, out);
}

enum rma_err
db_hold_by_order(struct db *db, const char *order_id, bool for_update,
                 struct hold *out)
{
    return find(db, for_update ? "hold_by_order_lock" : "hold_by_order",
                order_id, out);
}

enum rma_err
db_hold_by_authorization(struct db *db, const char *authorization_id,
                         struct hold *out)
{
    return find(db, "hold_by_authorization", authorization_id, out);
}

enum rma_err
db_hold_by_id(struct db *db, int64_t id, bool for_update, struct hold *out)
{
    return find_id(db, for_update ? "hold_by_id_lock" : "hold_by_id", id, out);
}

/* Runs an UPDATE/INSERT; RMA_ECONFLICT when it touched no row and one was
 * required. */
static enum rma_err
exec(struct db *db, const char *stmt, int n, const char *const *params,
     bool need_row)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    long rows = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return need_row && rows < 1 ? RMA_ECONFLICT : RMA_OK;
}

enum rma_err
db_hold_exec(struct db *db, const char *stmt, int n, const char *const *params)
{
    return exec(db, stmt, n, params, true);
}

enum rma_err
db_hold_exec_any(struct db *db, const char *stmt, int n,
                 const char *const *params)
{
    return exec(db, stmt, n, params, false);
}

enum rma_err
db_hold_by_pending(struct db *db, const char *paypal_id, struct hold *out)
{
    return find(db, "hold_by_pending", paypal_id, out);
}

enum rma_err
db_webhook_seen(struct db *db, const char *event_id,
                const char *transmission_id, bool *seen)
{
    const char *params[] = {event_id, transmission_id};
    enum rma_err err;
    *seen = false;
    PGresult *r = db_run(db, "webhook_seen", 2, params, &err);
    if (r == NULL)
        return err;
    *seen = strtol(PQgetvalue(r, 0, 0), NULL, 10) > 0;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_webhook_record(struct db *db, const char *event_id, const char *type,
                  const char *resource_id, const char *outcome,
                  const char *transmission_id, const char *now)
{
    const char *params[] = {event_id, type, resource_id,
                            outcome,  now,  transmission_id};
    /* No row: the event or the transmission was taken first. */
    return exec(db, "webhook_event_insert", 6, params, true);
}

enum rma_err
db_hold_stray(struct db *db, int limit, int64_t *ids, int *n)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {lim};
    enum rma_err err;
    *n = 0;
    PGresult *r = db_run(db, "hold_stray", 1, params, &err);
    if (r == NULL)
        return err;
    for (int i = 0; i < PQntuples(r) && i < limit; i++)
        ids[(*n)++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_hold_create(struct db *db, const char *const params[8], int64_t *id)
{
    enum rma_err err;
    PGresult *r = db_run(db, "hold_create", 8, params, &err);
    if (r == NULL)
        return err;
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_hold_with_case(struct db *db, int64_t hold_id, struct hold *out,
                  enum rma_status *status)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)hold_id);
    const char *params[] = {id};
    enum rma_err err;
    PGresult *r = db_run(db, "hold_with_case", 1, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK) {
        read_hold(r, out);
        *status =
            (enum rma_status)rma_status_parse(PQgetvalue(r, 0, HOLD_COUNT));
    }
    PQclear(r);
    return err;
}

enum rma_err
db_hold_due(struct db *db, const char *stmt, const char *now, const char *tried,
            int limit, const char *extra, int64_t *ids, int *n)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {now, tried, lim, extra};
    enum rma_err err;
    PGresult *r = db_run(db, stmt, extra ? 4 : 3, params, &err);
    if (r == NULL)
        return err;
    *n = PQntuples(r);
    for (int i = 0; i < *n && i < limit; i++)
        ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_hold_lock(struct db *db, int64_t hold_id, bool lock, bool *got)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)hold_id);
    const char *params[] = {id};
    enum rma_err err;
    PGresult *r =
        db_run(db, lock ? "hold_lock_try" : "hold_unlock", 1, params, &err);
    if (r == NULL)
        return err;
    if (got != NULL)
        *got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RMA_OK;
}

/* Runs stmt with ids as its one parameter, a bigint[]. */
static PGresult *
run_ids(struct db *db, const char *stmt, const int64_t *ids, int n,
        enum rma_err *err)
{
    char *text = id_array_text(ids, (size_t)n);
    if (text == NULL) {
        *err = RMA_EINTERNAL;
        return NULL;
    }
    const char *params[] = {text};
    PGresult *r = db_run(db, stmt, 1, params, err);
    free(text);
    return r;
}

enum rma_err
db_hold_lock_many(struct db *db, const int64_t *ids, int n, int64_t *got,
                  int *n_got)
{
    *n_got = 0;
    enum rma_err err;
    PGresult *r = run_ids(db, "hold_lock_many", ids, n, &err);
    if (r == NULL)
        return err;
    for (int i = 0; i < PQntuples(r) && i < n; i++)
        got[(*n_got)++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_hold_unlock_many(struct db *db, const int64_t *ids, int n)
{
    enum rma_err err = RMA_OK;
    PGresult *r = n > 0 ? run_ids(db, "hold_unlock_many", ids, n, &err) : NULL;
    PQclear(r);
    return err;
}

enum rma_err
db_receipt_insert(struct db *db, const char *const params[7], bool *match)
{
    enum rma_err err;
    PGresult *r = db_run(db, "receipt_insert", 7, params, &err);
    if (r == NULL)
        return err;
    *match = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RMA_OK;
}
