/* db_console.c - SQL for the staff console's queues (what waits for each
 * role, oldest first, with the case's age) and the warehouse scan box
 * (console.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/console.h"

/* When the case entered its current status (its last transition there). */
#define SINCE "rma_status_since(r.id)"
#define LAST_INTO_DRAFT                                                        \
    "(SELECT e.action FROM audit_event e WHERE e.rma_id = r.id"                \
    " AND e.to_status = 'draft' ORDER BY e.id DESC LIMIT 1)"
#define LIVE_HOLD                                                              \
    "SELECT 1 FROM hold h WHERE h.rma_id = r.id AND h.status = 'authorized'"   \
    " AND h.void_requested_at IS NULL"
#define INSPECTED "EXISTS (SELECT 1 FROM inspection i WHERE i.rma_id = r.id)"

/* Each case queue's condition on rma r ($1: the request's clock). */
#define Q_DRAFTS                                                               \
    "r.status = 'draft' AND " LAST_INTO_DRAFT " IS DISTINCT FROM 'send_back'"
#define Q_SENT_BACK "r.status = 'draft' AND " LAST_INTO_DRAFT " = 'send_back'"
#define Q_DISAGREED "r.status = 'rejected'"
#define Q_PENDING_REVIEW "r.status = 'pending_review'"
#define Q_HOLD_DECISIONS                                                       \
    "EXISTS (" LIVE_HOLD ") AND EXISTS (SELECT 1 FROM return_receipt x"        \
    " WHERE x.rma_id = r.id AND NOT x.serial_match)"
#define Q_EXTENSIONS                                                           \
    "r.status = 'awaiting_return' AND EXISTS (" LIVE_HOLD                      \
    " AND h.deadline < $1::timestamptz + interval '3 days')"
#define Q_AWAITING_SHIPMENT                                                    \
    "(r.status = 'awaiting_shipment' OR (r.status = 'received' AND " INSPECTED \
    " AND (r.kind = 'repair' OR (r.kind = 'replacement'"                       \
    " AND coalesce(r.replacement_method, 'standard') = 'standard'))))"
#define Q_RETURNS "r.status = 'return_submitted'"
#define Q_TO_INSPECT "r.status = 'received' AND NOT " INSPECTED
/* A refund the job pays by PayPal or finance records (refund-payout). */
#define Q_REFUNDS_DUE "r.status = 'refund_due'"
/* Finance: every open exception, of every kind (a make-up claim's too,
 * resolvable there or in Make-up claims); claims with one. */
#define Q_EXCEPTIONS "f.resolved_at IS NULL"
#define Q_CLAIMS                                                               \
    "EXISTS (SELECT 1 FROM finance_exception f WHERE f.makeup_id = m.id"       \
    " AND f.resolved_at IS NULL)"

/* Seconds from a time to the request's clock ($1). */
#define SECONDS_SINCE "greatest(0, floor(extract(epoch FROM $1::timestamptz - "
#define AGE_Q SECONDS_SINCE "q.since)))::bigint"
#define AGE_F SECONDS_SINCE "f.created_at)))::bigint"
#define AGE_M SECONDS_SINCE "m.submitted_at)))::bigint"

/* One case queue's items, oldest first ($1 now, $2 limit): each as stored
 * (rma_queue_item, 0025_read_rows.sql) or, when it is not, rendered now,
 * with its age added; and the ids and revisions of those not stored
 * (db_items_read stores them). */
#define QUEUE_UNSTORED " FILTER (WHERE q.unstored)"
#define CASE_QUEUE(cond)                                                       \
    "SELECT '[' || coalesce(string_agg(left(q.item, -1)"                       \
    " || ', \"age_seconds\": ' || (" AGE_Q ")::text || '}', ', '"              \
    " ORDER BY q.since, q.id), '') || ']',"                                    \
    " coalesce(array_agg(q.rma_id)" QUEUE_UNSTORED ", '{}'),"                  \
    " coalesce(array_agg(q.revision)" QUEUE_UNSTORED ", '{}')"                 \
    " FROM (SELECT r.id, d.rma_id, d.revision,"                                \
    " d.rma_id IS NOT NULL AND d.queue_item IS NULL AS unstored,"              \
    " coalesce(d.queue_item, rma_queue_item(r.id)::text) AS item,"             \
    " CASE WHEN d.queue_item IS NOT NULL THEN d.queue_since"                   \
    " ELSE " SINCE " END AS since"                                             \
    " FROM rma r LEFT JOIN rma_document d ON d.rma_id = r.id"                  \
    " WHERE " cond " ORDER BY since, r.id LIMIT $2) q"

#define CASE_COUNT(name, cond)                                                 \
    "SELECT '" name "', count(*), iso_utc(min(x.since)) FROM (SELECT " SINCE   \
    " AS since FROM rma r WHERE " cond ") x"

/* Every queue's count and oldest item, a row each ($1 now). */
// clang-format off
#define ALL_COUNTS \
    CASE_COUNT("drafts", Q_DRAFTS) \
    " UNION ALL " CASE_COUNT("sent_back", Q_SENT_BACK) \
    " UNION ALL " CASE_COUNT("disagreed", Q_DISAGREED) \
    " UNION ALL " CASE_COUNT("pending_review", Q_PENDING_REVIEW) \
    " UNION ALL " CASE_COUNT("hold_decisions", Q_HOLD_DECISIONS) \
    " UNION ALL " CASE_COUNT("extensions", Q_EXTENSIONS) \
    " UNION ALL " CASE_COUNT("awaiting_shipment", Q_AWAITING_SHIPMENT) \
    " UNION ALL " CASE_COUNT("returns_on_the_way", Q_RETURNS) \
    " UNION ALL " CASE_COUNT("to_inspect", Q_TO_INSPECT) \
    " UNION ALL " CASE_COUNT("refunds_due", Q_REFUNDS_DUE) \
    " UNION ALL SELECT 'exceptions', count(*), iso_utc(min(f.created_at))" \
    " FROM finance_exception f WHERE " Q_EXCEPTIONS \
    " UNION ALL SELECT 'makeup_claims', count(*)," \
    " iso_utc(min(m.submitted_at)) FROM makeup_claim m WHERE " Q_CLAIMS
// clang-format on

static const struct db_stmt stmts[] = {
    {"console_q_drafts", CASE_QUEUE(Q_DRAFTS), 2},
    {"console_q_sent_back", CASE_QUEUE(Q_SENT_BACK), 2},
    {"console_q_disagreed", CASE_QUEUE(Q_DISAGREED), 2},
    {"console_q_pending_review", CASE_QUEUE(Q_PENDING_REVIEW), 2},
    {"console_q_hold_decisions", CASE_QUEUE(Q_HOLD_DECISIONS), 2},
    {"console_q_extensions", CASE_QUEUE(Q_EXTENSIONS), 2},
    {"console_q_awaiting_shipment", CASE_QUEUE(Q_AWAITING_SHIPMENT), 2},
    {"console_q_returns_on_the_way", CASE_QUEUE(Q_RETURNS), 2},
    {"console_q_to_inspect", CASE_QUEUE(Q_TO_INSPECT), 2},
    {"console_q_refunds_due", CASE_QUEUE(Q_REFUNDS_DUE), 2},
    {"console_q_exceptions",
     "SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object("
     " 'id', f.id, 'exception_kind', f.kind, 'number', r.number,"
     " 'kind', r.kind, 'status', r.status, 'customer_email', c.email,"
     " 'amount', money_json(f.amount_minor, f.currency),"
     " 'currency', coalesce(f.currency, r.currency),"
     " 'note', f.detail, 'since', iso_utc(f.created_at),"
     " 'age_seconds', " AGE_F ")) ORDER BY f.created_at, f.id), '[]')::text"
     " FROM (SELECT * FROM finance_exception f WHERE " Q_EXCEPTIONS
     " ORDER BY created_at, id LIMIT $2) f"
     " LEFT JOIN rma r ON r.id = f.rma_id"
     " LEFT JOIN customer c ON c.id = r.customer_id",
     2},
    {"console_q_makeup_claims",
     "SELECT coalesce(jsonb_agg(makeup_claim_json(m.id, true)"
     " || jsonb_build_object('number', r.number, 'kind', r.kind,"
     " 'status', r.status, 'claim_status', m.status,"
     " 'customer_email', c.email, 'since', iso_utc(m.submitted_at),"
     " 'age_seconds', " AGE_M ") ORDER BY m.submitted_at, m.id), '[]')::text"
     " FROM (SELECT * FROM makeup_claim m WHERE " Q_CLAIMS
     " ORDER BY submitted_at, id LIMIT $2) m"
     " JOIN rma r ON r.id = m.rma_id JOIN customer c ON c.id = r.customer_id",
     2},
    {"console_counts", ALL_COUNTS, 1},
    /* The scan box: an RMA number, a return or outbound tracking number
     * ($2: normalized, spaces and dashes dropped, upper case), or a
     * device's S/N or UID; newest case first. */
    {"console_scan",
     "SELECT coalesce(jsonb_agg(jsonb_build_object('number', r.number,"
     " 'kind', r.kind, 'status', r.status, 'customer_email', c.email,"
     " 'matched_by', m.matched_by, 'devices', (SELECT coalesce(jsonb_agg("
     "  d.model ORDER BY d.id), '[]') FROM rma_device d"
     "  WHERE d.rma_id = r.id)) ORDER BY r.id DESC), '[]')::text"
     " FROM (SELECT rma_id, min(matched_by) AS matched_by FROM ("
     "  SELECT id AS rma_id, 'number' AS matched_by FROM rma"
     "   WHERE number = upper($1)"
     "  UNION ALL SELECT rma_id, 'return_tracking' FROM return_submission"
     "   WHERE tracking_number = $2"
     "  UNION ALL SELECT rma_id, 'outbound_tracking' FROM shipment"
     "   WHERE upper(tracking_number) = upper($1)"
     "  UNION ALL SELECT rma_id, 'serial_number' FROM rma_device"
     "   WHERE upper(serial_number) = upper($1)"
     "  UNION ALL SELECT rma_id, 'uid' FROM rma_device"
     "   WHERE upper(uid) = upper($1)) s GROUP BY rma_id"
     "  ORDER BY rma_id DESC LIMIT 20) m"
     " JOIN rma r ON r.id = m.rma_id JOIN customer c ON c.id = r.customer_id",
     2},
};
const struct db_stmt_table db_console_stmts = {stmts, sizeof(stmts) /
                                                          sizeof(stmts[0])};

static enum rma_err
one_text(struct db *db, const char *stmt, int n, const char *const *params,
         struct arena *a, char **out)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    *out = arena_strdup(a, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "[]");
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_console_counts(struct db *db, const char *now, struct console_count *out,
                  size_t max, size_t *n)
{
    const char *params[] = {now};
    enum rma_err err;
    PGresult *r = db_run(db, "console_counts", 1, params, &err);
    if (r == NULL)
        return err;
    *n = 0;
    for (int i = 0; i < PQntuples(r) && *n < max; i++) {
        struct console_count *c = &out[(*n)++];
        db_copy(c->name, sizeof(c->name), PQgetvalue(r, i, 0));
        c->count = strtol(PQgetvalue(r, i, 1), NULL, 10);
        db_copy(c->oldest, sizeof(c->oldest), db_get(r, i, 2));
    }
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_console_queue_json(struct db *db, const char *queue, const char *now,
                      int limit, struct arena *a, char **json)
{
    char stmt[64], lim[16];
    snprintf(stmt, sizeof(stmt), "console_q_%s", queue);
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {now, lim};
    return db_items_read(db, stmt, 2, params, a, json);
}

enum rma_err
db_console_scan_json(struct db *db, const char *code, const char *normalized,
                     struct arena *a, char **json)
{
    const char *params[] = {code, normalized};
    return one_text(db, "console_scan", 2, params, a, json);
}
