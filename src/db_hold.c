/* db_hold.c - SQL for reading holds, creating them, leasing the due ones
 * for the job, receipts and webhook events (SPEC §5.3, §10); the changes
 * of a hold's state are db_hold_state.c. */
#include "rma/db_hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_hold_sql.h"
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
    {"hold_stray",
     "SELECT h.id FROM hold h JOIN rma r ON r.id = h.rma_id"
     " WHERE h.status = 'authorized' AND h.void_requested_at IS NULL"
     " AND (r.replacement_method IS DISTINCT FROM 'advanced'"
     "  OR r.status NOT IN ('awaiting_shipment', 'awaiting_return',"
     "   'return_submitted', 'received'))"
     " ORDER BY h.id LIMIT $1 FOR UPDATE OF h SKIP LOCKED", 1},
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
    long rows = 0;
    enum rma_err err = db_command(db, "webhook_event_insert", 6, params, &rows);
    /* No row: the event or the transmission was taken first. */
    return err == RMA_OK && rows < 1 ? RMA_ECONFLICT : err;
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
db_hold_create(struct db *db, const struct hold_acceptance *a, int64_t *id)
{
    char rma[24], customer[24], amount[24];
    const char *params[] = {db_num(rma, a->rma_id),
                            db_num(customer, a->customer_id),
                            a->terms_version,
                            a->terms_text,
                            db_num(amount, a->amount_minor),
                            a->currency,
                            a->client_addr,
                            a->now};
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

/* The query of each kind of due work, and whether it takes the extra
 * parameter. */
static const struct {
    const char *stmt;
    bool extra;
} due_query[] = {
    [HOLD_DUE_VOID] = {"hold_due_void", false},
    [HOLD_DUE_REFUND] = {"hold_due_refund", false},
    [HOLD_DUE_REAUTH] = {"hold_due_reauth", false},
    [HOLD_DUE_CAPTURE] = {"hold_due_capture", true},
    [HOLD_DUE_PENDING] = {"hold_due_pending", false},
    [HOLD_DUE_APPROVAL] = {"hold_due_approval", false},
    [HOLD_DUE_REMIND] = {"hold_due_remind", true},
};

enum rma_err
db_hold_due(struct db *db, enum hold_due what, const char *now,
            const char *tried, int limit, int arg, int64_t *ids, int *n)
{
    char lim[16], extra[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    if (what == HOLD_DUE_CAPTURE)
        snprintf(extra, sizeof(extra), "%s", arg ? "true" : "false");
    else
        snprintf(extra, sizeof(extra), "%d", arg);
    const char *stmt = due_query[what].stmt;
    const char *params[] = {now, tried, lim, extra};
    bool with_extra = due_query[what].extra;
    enum rma_err err;
    PGresult *r = db_run(db, stmt, with_extra ? 4 : 3, params, &err);
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
db_receipt_insert(struct db *db, const struct receipt_row *rc, bool *match)
{
    char rma[24];
    const char *params[] = {db_num(rma, rc->rma_id),
                            rc->condition,
                            rc->serial_number,
                            rc->uid,
                            rc->notes,
                            rc->received_at,
                            rc->created_by};
    enum rma_err err;
    PGresult *r = db_run(db, "receipt_insert", 7, params, &err);
    if (r == NULL)
        return err;
    *match = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RMA_OK;
}
