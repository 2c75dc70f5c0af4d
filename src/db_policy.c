/* db_policy.c - SQL for the refund, repair and validity policies
 * (sql/migrations/0009_policy.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/policy_db.h"

#define LINE_COLUMNS                                                           \
    "p.product_line, p.refund_window_days, p.restocking_fee_bp,"               \
    " p.decline_fee_bp, p.validity_days"

/* Cases that can expire: the states of EV_EXPIRE in rma_state.c, without an
 * advanced replacement's hold running. */
#define EXPIRABLE                                                              \
    "r.status IN ('pending_confirm', 'confirmed', 'awaiting_return')"          \
    " AND NOT (r.status = 'awaiting_return'"                                   \
    "  AND r.replacement_method IS NOT DISTINCT FROM 'advanced')"

static const struct db_stmt stmts[] = {
    {"policy_line_for_model",
     "SELECT " LINE_COLUMNS " FROM product_line_policy p"
     " JOIN product_model m ON m.product_line = p.product_line"
     " WHERE m.model = $1",
     1},
    {"policy_case",
     "SELECT " LINE_COLUMNS ","
     " coalesce(r.warranty_override,"
     "  rma_warranty_until(r.id) >= r.created_at::date, true),"
     " coalesce(i.outcome, ''), coalesce(r.makeup_due_minor, -1),"
     " coalesce(q.amount_minor, -1), coalesce(q.decision, ''),"
     " r.validity_extension_days"
     " FROM rma r"
     " JOIN product_line_policy p ON p.product_line = rma_product_line(r.id)"
     " LEFT JOIN inspection i ON i.rma_id = r.id"
     " LEFT JOIN repair_quote q ON q.rma_id = r.id"
     " WHERE r.id = $1 FOR UPDATE OF r",
     1},
    {"policy_record_refund",
     "UPDATE rma SET refund_price_minor = $2, restocking_fee_minor = $3,"
     " refund_policy_note = $4, refund_override_reason = $5 WHERE id = $1",
     5},
    {"policy_quote_insert",
     "INSERT INTO repair_quote (rma_id, currency, amount_minor, basis, notes,"
     " quoted_by, quoted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
     7},
    {"policy_quote_decide",
     "UPDATE repair_quote SET decision = $2, handling_fee_minor = $3,"
     " decided_by = $4, decided_at = $5"
     " WHERE rma_id = $1 AND decision IS NULL",
     5},
    {"policy_set_makeup",
     "UPDATE rma SET makeup_due_minor = $2, makeup_reason = $3,"
     " updated_at = $4 WHERE id = $1",
     4},
    {"policy_extend",
     "UPDATE rma SET validity_extension_days = validity_extension_days + $3,"
     " updated_at = $4 WHERE id = $1 AND status = $2"
     " AND validity_extension_days + $3 <= 365",
     4},
    {"policy_expiry_due",
     "SELECT r.id, r.status, extract(epoch FROM r.visible_at)::bigint,"
     " p.validity_days, r.validity_extension_days"
     " FROM rma r"
     " JOIN product_line_policy p ON p.product_line = rma_product_line(r.id)"
     " WHERE " EXPIRABLE " AND r.visible_at IS NOT NULL"
     " AND r.visible_at + make_interval(secs => (p.validity_days"
     "  + r.validity_extension_days) * 86400) < $1"
     " ORDER BY r.id LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
     2},
    /* Those whose validity ends within 7 days of $1, the customer not yet
     * told of this end (an extension moves it: they are told again). */
    {"policy_expiring_due",
     "SELECT r.id, r.status, extract(epoch FROM r.visible_at)::bigint,"
     " p.validity_days, r.validity_extension_days"
     " FROM rma r"
     " JOIN product_line_policy p ON p.product_line = rma_product_line(r.id)"
     " CROSS JOIN LATERAL (SELECT r.visible_at + make_interval(secs =>"
     "  (p.validity_days + r.validity_extension_days) * 86400) AS until) v"
     " WHERE " EXPIRABLE " AND r.visible_at IS NOT NULL"
     " AND v.until >= $1 AND v.until < $1::timestamptz + interval '7 days'"
     " AND r.expiry_warned_for IS DISTINCT FROM v.until"
     " ORDER BY r.id LIMIT $2 FOR UPDATE OF r SKIP LOCKED",
     2},
    {"policy_expiry_warned",
     "UPDATE rma SET expiry_warned_for = $2 WHERE id = $1", 2},
};
const struct db_stmt_table db_policy_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

static void
read_line(const PGresult *r, int row, struct policy_line *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->product_line, sizeof(out->product_line), "%s",
             PQgetvalue(r, row, 0));
    out->refund_window_days = (int)strtol(PQgetvalue(r, row, 1), NULL, 10);
    out->restocking_fee_bp = (int)strtol(PQgetvalue(r, row, 2), NULL, 10);
    out->decline_fee_bp = (int)strtol(PQgetvalue(r, row, 3), NULL, 10);
    out->validity_days = (int)strtol(PQgetvalue(r, row, 4), NULL, 10);
}

enum rma_err
db_policy_line_for_model(struct db *db, const char *model,
                         struct policy_line *out)
{
    const char *params[] = {model};
    enum rma_err err;
    PGresult *r = db_run(db, "policy_line_for_model", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    read_line(r, 0, out);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_policy_case(struct db *db, int64_t rma_id, struct policy_case *out)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id)};
    enum rma_err err;
    PGresult *r = db_run(db, "policy_case", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    memset(out, 0, sizeof(*out));
    read_line(r, 0, &out->line);
    out->in_warranty = strcmp(PQgetvalue(r, 0, 5), "t") == 0;
    snprintf(out->inspection, sizeof(out->inspection), "%s",
             PQgetvalue(r, 0, 6));
    out->makeup_due = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
    out->quote_amount = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
    snprintf(out->quote_decision, sizeof(out->quote_decision), "%s",
             PQgetvalue(r, 0, 9));
    out->extension_days = (int)strtol(PQgetvalue(r, 0, 10), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_policy_record_refund(struct db *db, int64_t rma_id, int64_t price,
                        int64_t fee, const char *note,
                        const char *override_reason)
{
    char id[24], p[24], f[24];
    const char *params[] = {db_num(id, rma_id), db_num(p, price),
                            db_num(f, fee), note, override_reason};
    return db_command(db, "policy_record_refund", 5, params, NULL);
}

enum rma_err
db_policy_quote_insert(struct db *db, int64_t rma_id, const char *currency,
                       int64_t amount, const char *basis, const char *notes,
                       const char *by, const char *now)
{
    char id[24], a[24];
    const char *params[] = {
        db_num(id, rma_id), currency, db_num(a, amount), basis, notes, by, now};
    return db_command(db, "policy_quote_insert", 7, params, NULL);
}

enum rma_err
db_policy_quote_decide(struct db *db, int64_t rma_id, const char *decision,
                       int64_t fee, const char *by, const char *now)
{
    char id[24], f[24];
    const char *params[] = {db_num(id, rma_id), decision,
                            fee < 0 ? NULL : db_num(f, fee), by, now};
    long n = 0;
    enum rma_err err = db_command(db, "policy_quote_decide", 5, params, &n);
    if (err == RMA_OK && n != 1)
        return RMA_ECONFLICT;
    return err;
}

enum rma_err
db_policy_set_makeup(struct db *db, int64_t rma_id, int64_t amount,
                     const char *reason, const char *now)
{
    char id[24], a[24];
    const char *params[] = {db_num(id, rma_id),
                            amount < 0 ? NULL : db_num(a, amount),
                            amount < 0 ? NULL : reason, now};
    return db_command(db, "policy_set_makeup", 4, params, NULL);
}

enum rma_err
db_policy_extend(struct db *db, int64_t rma_id, const char *status, int days,
                 const char *now)
{
    char id[24], d[24];
    const char *params[] = {db_num(id, rma_id), status, db_num(d, days), now};
    long n = 0;
    enum rma_err err = db_command(db, "policy_extend", 4, params, &n);
    if (err == RMA_OK && n != 1)
        return RMA_ECONFLICT;
    return err;
}

enum rma_err
db_policy_expiry_warned(struct db *db, int64_t rma_id, const char *until)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id), until};
    return db_command(db, "policy_expiry_warned", 2, params, NULL);
}

enum rma_err
db_policy_expiry_due(struct db *db, const char *now, bool warning, int max,
                     struct policy_expiry **out, int *n)
{
    char m[24];
    const char *params[] = {now, db_num(m, max)};
    enum rma_err err;
    *out = NULL;
    *n = 0;
    PGresult *r =
        db_run(db, warning ? "policy_expiring_due" : "policy_expiry_due", 2,
               params, &err);
    if (r == NULL)
        return err;
    int rows = PQntuples(r);
    if (rows > 0) {
        *out = calloc((size_t)rows, sizeof(**out));
        if (*out == NULL) {
            PQclear(r);
            return RMA_EINTERNAL;
        }
    }
    for (int i = 0; i < rows; i++) {
        struct policy_expiry *e = &(*out)[i];
        e->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        snprintf(e->status, sizeof(e->status), "%s", PQgetvalue(r, i, 1));
        e->visible_at = (time_t)strtoll(PQgetvalue(r, i, 2), NULL, 10);
        e->validity_days = (int)strtol(PQgetvalue(r, i, 3), NULL, 10);
        e->extension_days = (int)strtol(PQgetvalue(r, i, 4), NULL, 10);
    }
    *n = rows;
    PQclear(r);
    return RMA_OK;
}
