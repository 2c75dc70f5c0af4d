/* db_export.c - SQL of the finance exports (SPEC §8, doc/exports.md).
 *
 * Each kind is one query, read through a server-side cursor in a read-only
 * REPEATABLE READ transaction: PostgreSQL keeps the result, the client holds
 * one batch of EXPORT_FETCH_ROWS rows at a time (and asks for the next one
 * before writing it), and the whole export sees one snapshot.  (COPY would be
 * faster but takes no parameters.)  Values come back as text: timestamps in UTC
 * and ISO style, amounts as integer minor units; export.c formats them.  Every
 * query selects its columns in the order of export.c's table for the kind and
 * orders by time, then id. */
#include "rma/db_export.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/log.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct db_stmt stmts[] = {
    {"export_begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0},
    /* For this transaction only: UTC ISO timestamps, and plans made for
     * reading the whole result rather than its first rows. */
    {"export_settings",
     "SELECT set_config('TimeZone', 'UTC', true),"
     " set_config('DateStyle', 'ISO, YMD', true),"
     " set_config('cursor_tuple_fraction', '1', true)",
     0},
    {"export_fetch",
     "FETCH FORWARD " STR(EXPORT_FETCH_ROWS) " FROM export_rows", 0},
    {"export_commit", "COMMIT", 0},

    /* One cursor per kind; $1 and $2 are the period [from, to). */
    /* ledger: one row per posting, by the entry's effective time. */
    {"export_ledger",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT e.effective_at, e.id, e.kind, p.id, p.account, a.kind,"
     " p.currency, p.amount_minor, r.number, e.hold_id, e.paypal_id,"
     " e.makeup_id, e.idempotency_key, e.memo, e.created_at"
     " FROM posting p"
     " JOIN journal_entry e ON e.id = p.entry_id"
     " JOIN ledger_account a ON a.code = p.account"
     " LEFT JOIN rma r ON r.id = e.rma_id"
     " WHERE e.effective_at >= $1::timestamptz"
     " AND e.effective_at < $2::timestamptz"
     " ORDER BY e.effective_at, e.id, p.id",
     2},
    /* holds: those PayPal authorized, by authorization time. */
    {"export_holds",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT h.authorized_at, h.id, r.number, h.status, h.currency,"
     " h.amount_minor, h.authorization_id, h.honor_until, h.expires_at,"
     " h.deadline, h.extensions, h.reauth_status, h.reauthorization_id,"
     " h.reauthorized_at, h.void_reason, h.voided_at, h.capture_id,"
     " h.capture_minor, h.fee_minor, h.captured_at, h.capture_reason,"
     " h.capture_attempts, h.refund_id, h.refund_minor, h.refunded_at,"
     " h.refund_reason, h.ended_at"
     " FROM hold h JOIN rma r ON r.id = h.rma_id"
     " WHERE h.authorized_at >= $1::timestamptz"
     " AND h.authorized_at < $2::timestamptz"
     " ORDER BY h.authorized_at, h.id",
     2},
    /* captures-refunds: captures of holds and refunds of those captures,
     * each at its own time, and the refunds of refund cases paid by PayPal
     * (of the original order's capture, SPEC §14); refunds are negative.
     * A capture took the reauthorization when there was one (§5.3.7). */
    {"export_captures_refunds",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT at, type, hold_id, number, paypal_id, related, currency,"
     " gross, fee, net, reason FROM ("
     " SELECT h.captured_at AS at, 'capture' AS type, h.id AS hold_id,"
     " 0::bigint AS sale, r.number, h.capture_id AS paypal_id,"
     " CASE WHEN h.reauth_status = 'succeeded' THEN h.reauthorization_id"
     " ELSE h.authorization_id END AS related,"
     " h.currency, h.capture_minor AS gross, h.fee_minor AS fee,"
     " h.capture_minor - h.fee_minor AS net, h.capture_reason AS reason"
     " FROM hold h JOIN rma r ON r.id = h.rma_id"
     " WHERE h.capture_id IS NOT NULL"
     " AND h.captured_at >= $1::timestamptz"
     " AND h.captured_at < $2::timestamptz"
     " UNION ALL"
     " SELECT h.refunded_at, 'refund', h.id, 0, r.number, h.refund_id,"
     " h.capture_id, h.currency, -h.refund_minor, NULL, -h.refund_minor,"
     " h.refund_reason"
     " FROM hold h JOIN rma r ON r.id = h.rma_id"
     " WHERE h.refund_id IS NOT NULL"
     " AND h.refunded_at >= $1::timestamptz"
     " AND h.refunded_at < $2::timestamptz"
     " UNION ALL"
     " SELECT p.paid_at, 'sale_refund', NULL, p.id, r.number,"
     " p.paypal_refund_id, p.capture_id, p.currency, -p.amount_minor, NULL,"
     " -p.amount_minor, 'refund of the original order'"
     " FROM refund_payment p JOIN rma r ON r.id = p.rma_id"
     " WHERE p.method = 'paypal' AND p.status = 'paid'"
     " AND p.paid_at >= $1::timestamptz AND p.paid_at < $2::timestamptz"
     ") x ORDER BY at, hold_id, sale, type",
     2},
    /* exceptions: by the time they were raised. */
    {"export_exceptions",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT f.created_at, f.id, f.kind, r.number, f.hold_id,"
     " f.currency, f.amount_minor, f.detail,"
     " CASE WHEN f.resolved_at IS NULL THEN 'open' ELSE 'resolved' END,"
     " f.resolved_at, f.resolved_by, f.resolution"
     " FROM finance_exception f LEFT JOIN rma r ON r.id = f.rma_id"
     " WHERE f.created_at >= $1::timestamptz"
     " AND f.created_at < $2::timestamptz"
     " ORDER BY f.created_at, f.id",
     2},
    /* makeup-payments: the customers' claims with their reconciliation
     * outcome, by submission time. */
    {"export_makeup_payments",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT m.submitted_at, m.id, r.number, m.reason, m.currency,"
     " m.amount_due_minor, m.transaction_id, m.status, m.match_method,"
     " m.paid_minor,"
     " CASE WHEN m.status = 'overpaid' THEN m.paid_minor - m.amount_due_minor"
     " END,"
     " m.reconciled_at, m.resolved_at, m.resolved_by, m.resolution"
     " FROM makeup_claim m JOIN rma r ON r.id = m.rma_id"
     " WHERE m.submitted_at >= $1::timestamptz"
     " AND m.submitted_at < $2::timestamptz"
     " ORDER BY m.submitted_at, m.id",
     2},
    /* rmas: the case summary, by creation time. */
    {"export_rmas",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT r.created_at, r.number, r.kind, r.status, r.revision,"
     " c.email, c.name, o.order_number, o.sales_channel,"
     " o.shipping_country, r.currency, r.refund_minor, r.replacement_minor,"
     " r.makeup_due_minor, r.makeup_reason, r.replacement_method,"
     " r.warehouse_region, r.problem, r.cancel_reason, r.created_by,"
     " r.updated_at, r.confirmed_at, r.closed_at"
     " FROM rma r JOIN customer c ON c.id = r.customer_id"
     " JOIN original_order o ON o.id = r.order_id"
     " WHERE r.created_at >= $1::timestamptz"
     " AND r.created_at < $2::timestamptz"
     " ORDER BY r.created_at, r.id",
     2},

    /* shipments: outbound parcels (replacements, repaired units,
     * resends), by the time they left (SPEC §14). */
    {"export_shipments",
     "DECLARE export_rows NO SCROLL CURSOR FOR"
     " SELECT s.shipped_at, s.id, r.number, r.kind, s.kind, s.carrier,"
     " s.tracking_number, tracking_url(s.carrier, s.tracking_number),"
     " s.created_by"
     " FROM shipment s JOIN rma r ON r.id = s.rma_id"
     " WHERE s.shipped_at >= $1::timestamptz"
     " AND s.shipped_at < $2::timestamptz"
     " ORDER BY s.shipped_at, s.id",
     2},

    /* A replica's progress against its primary (export_wait_for_replica). */
    {"export_primary_lsn", "SELECT pg_current_wal_lsn()::text", 0},
    {"export_replica_position",
     "SELECT pg_is_in_recovery(),"
     " coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false),"
     " greatest(coalesce(pg_wal_lsn_diff($1::pg_lsn,"
     " pg_last_wal_replay_lsn()), 0), 0)::bigint",
     1},

    {"export_audit",
     "INSERT INTO audit_event (at, actor_kind, actor_name, actor_role,"
     " action, detail) VALUES ($1::timestamptz, $2, $3, $4, 'export',"
     " jsonb_build_object('kind', $5::text, 'from', $6::text,"
     " 'to', $7::text, 'rows', $8::bigint, 'outcome', $9::text,"
     " 'via', $10::text))",
     10},
};
const struct db_stmt_table db_export_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

/* The cursor's statement per kind; NULL while the kind has no table yet
 * (make-up payments: the export is the header row alone). */
static const char *const declare_stmt[EXPORT_KINDS] = {
    [EXPORT_LEDGER] = "export_ledger",
    [EXPORT_HOLDS] = "export_holds",
    [EXPORT_CAPTURES_REFUNDS] = "export_captures_refunds",
    [EXPORT_MAKEUP_PAYMENTS] = "export_makeup_payments",
    [EXPORT_EXCEPTIONS] = "export_exceptions",
    [EXPORT_RMAS] = "export_rmas",
    [EXPORT_SHIPMENTS] = "export_shipments",
};

/* Runs a statement whose result is not needed. */
static enum rma_err
run(struct db *db, const char *stmt, int n, const char *const *params)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    PQclear(r);
    return RMA_OK;
}

/* Hands each row of r to row(); returns non-zero when row() asked to stop. */
static int
pass_rows(const PGresult *r, int ncolumns, db_export_row_fn row, void *arg)
{
    const char *values[EXPORT_MAX_COLUMNS];
    int nrows = PQntuples(r);
    for (int i = 0; i < nrows; i++) {
        for (int c = 0; c < ncolumns; c++)
            values[c] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
        if (row(arg, values, ncolumns) != 0)
            return 1;
    }
    return 0;
}

enum rma_err
db_export_stream(struct db *db, enum export_kind kind, const char *from,
                 const char *to, int ncolumns, db_export_row_fn row, void *arg)
{
    const char *declare = declare_stmt[kind];
    if (declare == NULL)
        return RMA_OK;
    if (ncolumns > EXPORT_MAX_COLUMNS)
        return RMA_EINTERNAL;
    const char *period[] = {from, to};
    enum rma_err err = run(db, "export_begin", 0, NULL);
    if (err == RMA_OK)
        err = run(db, "export_settings", 0, NULL);
    if (err == RMA_OK)
        err = run(db, declare, 2, period);
    /* Each batch is asked for before the last one is written, so that
     * PostgreSQL reads it while rmactl formats (bench/export.sh: the two
     * took turns before). */
    if (err == RMA_OK)
        err = db_send(db, "export_fetch", 0, NULL);
    while (err == RMA_OK) {
        PGresult *r = db_receive(db, "export_fetch", &err);
        if (r == NULL)
            break;
        if (PQnfields(r) != ncolumns) {
            log_event(LOG_ERROR, "export_columns_mismatch", "{s:s, s:i, s:i}",
                      "statement", declare, "columns", PQnfields(r), "expected",
                      ncolumns);
            PQclear(r);
            err = RMA_EINTERNAL;
            break;
        }
        bool more = PQntuples(r) == EXPORT_FETCH_ROWS;
        if (more)
            err = db_send(db, "export_fetch", 0, NULL);
        int stop = err == RMA_OK ? pass_rows(r, ncolumns, row, arg) : 0;
        PQclear(r);
        if (stop) {
            if (more) /* the batch asked for, not wanted */
                PQclear(db_receive(db, "export_fetch", &err));
            db_rollback(db);
            return RMA_OK;
        }
        if (!more && err == RMA_OK) {
            err = run(db, "export_commit", 0, NULL);
            break;
        }
    }
    if (err != RMA_OK)
        db_rollback(db);
    return err;
}

enum rma_err
db_export_primary_lsn(struct db *db, char *lsn)
{
    enum rma_err err;
    PGresult *r = db_run(db, "export_primary_lsn", 0, NULL, &err);
    if (r == NULL)
        return err;
    db_copy(lsn, EXPORT_LSN_TEXT, db_get(r, 0, 0));
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_export_replica_position(struct db *db, const char *lsn, bool *in_recovery,
                           bool *caught_up, int64_t *behind_bytes)
{
    const char *params[] = {lsn};
    enum rma_err err;
    PGresult *r = db_run(db, "export_replica_position", 1, params, &err);
    if (r == NULL)
        return err;
    *in_recovery = strcmp(db_get(r, 0, 0), "t") == 0;
    *caught_up = strcmp(db_get(r, 0, 1), "t") == 0;
    *behind_bytes = strtoll(db_get(r, 0, 2), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_export_audit(struct db *db, const struct export_audit *a)
{
    char rows[24];
    snprintf(rows, sizeof(rows), "%" PRIu64, a->rows);
    const char *params[] = {
        a->at,
        a->actor_kind,
        a->actor_name,
        a->actor_role,
        export_kind_name(a->kind),
        a->period->from_text,
        a->period->to_text,
        rows,
        a->outcome,
        a->via,
    };
    return run(db, "export_audit", 10, params);
}
