/* db_refund.c - SQL for refund cases paid (refund.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/refund.h"

#define REFUND_COLUMNS                                                         \
    "SELECT id, rma_id, method, currency, amount_minor,"                       \
    " coalesce(capture_id, ''), coalesce(paypal_refund_id, ''),"               \
    " coalesce(reference, ''), status FROM refund_payment"

// clang-format off
static const struct db_stmt stmts[] = {
    {"order_set_payment",
     "UPDATE original_order SET payment_method = $2,"
     " payment_capture_id = nullif($3, ''), payment_reference = nullif($4, '')"
     " WHERE id = (SELECT order_id FROM rma WHERE id = $1)"
     " AND (payment_method IS NULL OR (payment_method = $2"
     "  AND payment_capture_id IS NOT DISTINCT FROM nullif($3, '')"
     "  AND payment_reference IS NOT DISTINCT FROM nullif($4, '')))", 4},
    {"order_payment",
     "SELECT coalesce(o.payment_method, ''), coalesce(o.payment_capture_id, '')"
     " FROM rma r JOIN original_order o ON o.id = r.order_id WHERE r.id = $1", 1},
    {"refund_open",
     "INSERT INTO refund_payment (rma_id, method, currency, amount_minor,"
     " capture_id, status, requested_at, updated_at)"
     " VALUES ($1, $2, $3, $4, nullif($5, ''), 'due', $6, $6)"
     " ON CONFLICT (rma_id) DO NOTHING", 6},
    {"refund_of_case", REFUND_COLUMNS " WHERE rma_id = $1", 1},
    {"refund_of_case_lock", REFUND_COLUMNS " WHERE rma_id = $1 FOR UPDATE", 1},
    {"refund_by_id", REFUND_COLUMNS " WHERE id = $1", 1},
    {"refund_by_id_lock", REFUND_COLUMNS " WHERE id = $1 FOR UPDATE", 1},
    {"refund_by_paypal_id", REFUND_COLUMNS " WHERE paypal_refund_id = $1", 1},
    {"refund_pending",
     "UPDATE refund_payment SET status = 'pending', paypal_refund_id = $2,"
     " updated_at = $3 WHERE id = $1 AND status IN ('due', 'pending')", 3},
    {"refund_paid",
     "UPDATE refund_payment SET status = 'paid',"
     " paypal_refund_id = coalesce(nullif($2, ''), paypal_refund_id),"
     " reference = nullif($3, ''), paid_by = $4, paid_at = $5, updated_at = $5"
     " WHERE id = $1 AND status IN ('due', 'pending', 'failed')", 5},
    {"refund_failed",
     "UPDATE refund_payment SET status = 'failed', failure = $2,"
     " updated_at = $3 WHERE id = $1 AND status IN ('due', 'pending')", 3},
    {"refund_due",
     "SELECT id FROM refund_payment WHERE method = 'paypal'"
     " AND status IN ('due', 'pending') AND NOT (id = ANY ($1::bigint[]))"
     " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED", 2},
    {"case_owed",
     "SELECT EXISTS (SELECT 1 FROM shipment s WHERE s.rma_id = r.id),"
     " coalesce(r.makeup_due_minor, 0) > 0 AND NOT EXISTS (SELECT 1"
     "  FROM makeup_claim m WHERE m.rma_id = r.id"
     "  AND (m.status IN ('matched', 'overpaid') OR m.resolved_at IS NOT NULL)),"
     " EXISTS (SELECT 1 FROM hold h WHERE h.rma_id = r.id"
     "  AND (h.status IN ('pending_approval', 'authorized')"
     "   OR (h.status = 'captured' AND h.refund_requested_minor IS NOT NULL"
     "       AND h.refund_id IS NULL AND h.refund_failed_at IS NULL)"
     /* a late return whose refund a supervisor has not decided yet */
     "   OR (h.status = 'captured' AND h.refund_requested_minor IS NULL"
     "       AND h.refund_decided_at IS NULL AND EXISTS (SELECT 1"
     "        FROM return_receipt rr WHERE rr.rma_id = r.id"
     "        AND rr.received_at >= h.captured_at)))),"
     " EXISTS (SELECT 1 FROM refund_payment p WHERE p.rma_id = r.id"
     "  AND p.status <> 'paid')"
     " FROM rma r WHERE r.id = $1", 1},
    {"refund_lease", "SELECT pg_try_advisory_lock(7415, ($1::bigint % 2147483647)::integer)", 1},
    {"refund_unlease", "SELECT pg_advisory_unlock(7415, ($1::bigint % 2147483647)::integer)", 1},
};
// clang-format on

const struct db_stmt_table db_refund_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

static const char *const status_names[] = {
    [REFUND_DUE] = "due",
    [REFUND_PENDING] = "pending",
    [REFUND_PAID] = "paid",
    [REFUND_FAILED] = "failed",
};

const char *
refund_status_name(enum refund_status s)
{
    return status_names[s];
}

static enum refund_status
status_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, status_names[i]) == 0)
            return (enum refund_status)i;
    return REFUND_FAILED;
}

static enum rma_err
command(struct db *db, const char *stmt, int n, const char *const *params)
{
    long rows = 0;
    enum rma_err err = db_command(db, stmt, n, params, &rows);
    return err == RMA_OK && rows < 1 ? RMA_ECONFLICT : err;
}

enum rma_err
db_order_set_payment(struct db *db, int64_t rma_id, const char *method,
                     const char *capture_id, const char *reference)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id), method,
                            capture_id ? capture_id : "",
                            reference ? reference : ""};
    return command(db, "order_set_payment", 4, params);
}

enum rma_err
db_order_payment(struct db *db, int64_t rma_id, char method[8],
                 char capture_id[65])
{
    char id[24];
    const char *params[] = {db_num(id, rma_id)};
    enum rma_err err;
    PGresult *r = db_run(db, "order_payment", 1, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK) {
        db_copy(method, 8, PQgetvalue(r, 0, 0));
        db_copy(capture_id, 65, PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return err;
}

enum rma_err
db_refund_open(struct db *db, int64_t rma_id, const char *method,
               const char *currency, int64_t amount, const char *capture_id,
               const char *now)
{
    char id[24], am[24];
    const char *params[] = {
        db_num(id, rma_id),           method, currency, db_num(am, amount),
        capture_id ? capture_id : "", now};
    return command(db, "refund_open", 6, params);
}

static enum rma_err
one(struct db *db, const char *stmt, const char *param, struct refund_row *out)
{
    const char *params[] = {param};
    enum rma_err err;
    PGresult *r = db_run(db, stmt, 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    memset(out, 0, sizeof(*out));
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->rma_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    db_copy(out->method, sizeof(out->method), PQgetvalue(r, 0, 2));
    db_copy(out->currency, sizeof(out->currency), PQgetvalue(r, 0, 3));
    out->amount_minor = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    db_copy(out->capture_id, sizeof(out->capture_id), PQgetvalue(r, 0, 5));
    db_copy(out->paypal_refund_id, sizeof(out->paypal_refund_id),
            PQgetvalue(r, 0, 6));
    db_copy(out->reference, sizeof(out->reference), PQgetvalue(r, 0, 7));
    out->status = status_parse(PQgetvalue(r, 0, 8));
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_refund_of_case(struct db *db, int64_t rma_id, bool lock,
                  struct refund_row *out)
{
    char id[24];
    return one(db, lock ? "refund_of_case_lock" : "refund_of_case",
               db_num(id, rma_id), out);
}

enum rma_err
db_refund_by_id(struct db *db, int64_t id, bool lock, struct refund_row *out)
{
    char buf[24];
    return one(db, lock ? "refund_by_id_lock" : "refund_by_id", db_num(buf, id),
               out);
}

enum rma_err
db_refund_by_paypal_id(struct db *db, const char *refund_id,
                       struct refund_row *out)
{
    return one(db, "refund_by_paypal_id", refund_id, out);
}

enum rma_err
db_refund_pending(struct db *db, int64_t id, const char *paypal_refund_id,
                  const char *now)
{
    char buf[24];
    const char *params[] = {db_num(buf, id), paypal_refund_id, now};
    return command(db, "refund_pending", 3, params);
}

enum rma_err
db_refund_paid(struct db *db, int64_t id, const char *paypal_refund_id,
               const char *reference, const char *paid_by, const char *now)
{
    char buf[24];
    const char *params[] = {db_num(buf, id),
                            paypal_refund_id ? paypal_refund_id : "",
                            reference ? reference : "", paid_by, now};
    return command(db, "refund_paid", 5, params);
}

enum rma_err
db_refund_failed(struct db *db, int64_t id, const char *failure,
                 const char *now)
{
    char buf[24];
    const char *params[] = {db_num(buf, id), failure, now};
    return command(db, "refund_failed", 3, params);
}

enum rma_err
db_refund_due(struct db *db, const char *tried, int max, int64_t *ids, int *n)
{
    char lim[24];
    const char *params[] = {tried, db_num(lim, max)};
    enum rma_err err;
    *n = 0;
    PGresult *r = db_run(db, "refund_due", 2, params, &err);
    if (r == NULL)
        return err;
    for (int i = 0; i < PQntuples(r) && i < max; i++)
        ids[(*n)++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_refund_lease(struct db *db, int64_t id, bool take, bool *got)
{
    char buf[24];
    const char *params[] = {db_num(buf, id)};
    enum rma_err err;
    PGresult *r =
        db_run(db, take ? "refund_lease" : "refund_unlease", 1, params, &err);
    if (r == NULL)
        return err;
    if (got != NULL)
        *got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_case_owed(struct db *db, int64_t rma_id, struct case_owed *o)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id)};
    enum rma_err err;
    memset(o, 0, sizeof(*o));
    PGresult *r = db_run(db, "case_owed", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    o->shipped = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    o->fee_unpaid = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    o->hold_open = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
    o->refund_unpaid = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
    PQclear(r);
    return RMA_OK;
}
