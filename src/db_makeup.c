/* db_makeup.c - SQL for make-up payment claims (sql/migrations/
 * 0008_makeup.sql, SPEC §5.5). */
#include "rma/db_makeup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* Advisory lock classes: a claim leased by a job runner (session), one
 * PayPal transaction being checked against the claims (transaction). */
#define LEASE_CLASS "7008"
#define TRANSACTION_CLASS "7009"

#define CLAIM_COLUMNS                                                          \
    "SELECT m.id, m.rma_id, r.number, m.transaction_id, m.currency,"           \
    " m.amount_due_minor, m.reason,"                                           \
    " extract(epoch FROM m.submitted_at)::bigint, m.status, m.attempts,"       \
    " c.email, c.name"                                                         \
    " FROM makeup_claim m JOIN rma r ON r.id = m.rma_id"                       \
    " JOIN customer c ON c.id = r.customer_id WHERE m.id = $1"

#define CASE_COLUMNS                                                           \
    "SELECT coalesce(r.makeup_due_minor, 0), coalesce(r.makeup_reason, ''),"   \
    " r.currency, coalesce(l.id, 0), coalesce(l.status, '')"                   \
    " FROM rma r LEFT JOIN LATERAL (SELECT id, status FROM makeup_claim"       \
    " WHERE rma_id = r.id ORDER BY id DESC LIMIT 1) l ON true"                 \
    " WHERE r.id = $1"

#define PAID "('matched', 'underpaid', 'overpaid')"

// clang-format off
static const struct db_stmt stmts[] = {
    {"makeup_claim", CLAIM_COLUMNS, 1},
    {"makeup_claim_lock", CLAIM_COLUMNS " FOR UPDATE OF m", 1},
    {"makeup_case", CASE_COLUMNS, 1},
    {"makeup_case_lock", CASE_COLUMNS " FOR UPDATE OF r", 1},
    {"makeup_insert",
     "INSERT INTO makeup_claim (rma_id, transaction_id, payment_receipt_id,"
     " currency, amount_due_minor, reason, submitted_by, submitted_at,"
     " next_attempt_at, on_behalf) VALUES ($1, $2, NULLIF($3::bigint, 0), $4,"
     " $5, $6, $7, $8, $9, $10) RETURNING id", 10},
    {"makeup_mark_receipts",
     "UPDATE attachment SET submitted_at = $2 WHERE rma_id = $1"
     " AND submission = 'makeup_payment' AND submitted_at IS NULL", 2},
    {"makeup_taken",
     "SELECT EXISTS (SELECT 1 FROM makeup_claim WHERE matched_transaction_id = $1"
     " AND status IN " PAID " AND id <> $2)"
     " OR EXISTS (SELECT 1 FROM hold WHERE capture_id = $1 OR refund_id = $1"
     " OR authorization_id = $1 OR reauthorization_id = $1)", 2},
    {"makeup_lock_transaction",
     "SELECT pg_advisory_xact_lock(" TRANSACTION_CLASS ", hashtext($1))", 1},
    {"makeup_record",
     "UPDATE makeup_claim SET status = $2, outcome_reason = nullif($3, ''),"
     " matched_transaction_id = nullif($4, ''), match_method = nullif($5, ''),"
     " paid_minor = nullif($6, '')::bigint, fee_minor = nullif($7, '')::bigint,"
     " transaction_at = nullif($8, '')::timestamptz, attempts = $9,"
     " last_attempt_at = $10,"
     " next_attempt_at = CASE WHEN $2 = 'pending' THEN $11::timestamptz END,"
     " reconciled_at = CASE WHEN $2 = 'pending' THEN NULL"
     "                 ELSE $10::timestamptz END"
     " WHERE id = $1 AND status = 'pending'", 11},
    {"makeup_due",
     "SELECT id FROM makeup_claim WHERE status = 'pending'"
     " AND next_attempt_at <= $1::timestamptz AND NOT (id = ANY ($2::bigint[]))"
     " ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED", 3},
    {"makeup_lease",
     "SELECT pg_try_advisory_lock(" LEASE_CLASS ","
     " ($1::bigint % 2147483647)::integer)", 1},
    {"makeup_release",
     "SELECT pg_advisory_unlock(" LEASE_CLASS ","
     " ($1::bigint % 2147483647)::integer)", 1},
    {"makeup_exception",
     "INSERT INTO finance_exception (kind, rma_id, currency, amount_minor,"
     " detail, dedupe_key, created_at, makeup_id)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
     " ON CONFLICT (dedupe_key) DO NOTHING", 8},
    {"makeup_claim_json", "SELECT makeup_claim_json($1, $2)::text", 2},
    {"makeup_list_json",
     "SELECT coalesce(jsonb_agg(makeup_claim_json(x.id, true)"
     " ORDER BY x.id DESC), '[]')::text FROM (SELECT m.id FROM makeup_claim m"
     " WHERE $1::text IS NULL OR m.status = $1"
     " OR ($1 = 'open' AND EXISTS (SELECT 1 FROM finance_exception f"
     "     WHERE f.makeup_id = m.id AND f.resolved_at IS NULL))"
     " ORDER BY m.id DESC LIMIT $2) x", 2},
    {"makeup_resolve_exceptions",
     "UPDATE finance_exception SET resolved_at = $2, resolved_by = $3,"
     " resolution = $4 WHERE makeup_id = $1 AND resolved_at IS NULL", 4},
    {"makeup_resolve_claim",
     "UPDATE makeup_claim SET resolved_at = $2, resolved_by = $3,"
     " resolution = $4 WHERE id = $1 AND resolved_at IS NULL"
     " AND status IN ('underpaid', 'overpaid', 'unmatched', 'duplicate')", 4},
    {"makeup_pending_by_transaction",
     "SELECT id FROM makeup_claim WHERE status = 'pending'"
     " AND transaction_id = $1 ORDER BY id LIMIT 1 FOR UPDATE", 1},
};
// clang-format on
const struct db_stmt_table db_makeup_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

/* Runs stmt, which answers at most one row of one text column, and copies
 * it into a (*out NULL for no row or SQL NULL). */
static enum rma_err
one_text(struct db *db, const char *stmt, int n, const char *const *params,
         struct arena *a, char **out)
{
    enum rma_err err;
    *out = NULL;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        *out = arena_strdup(a, PQgetvalue(r, 0, 0));
        if (*out == NULL)
            err = RMA_EINTERNAL;
    }
    PQclear(r);
    return err;
}

/* Runs stmt, which answers one boolean. */
static enum rma_err
one_bool(struct db *db, const char *stmt, int n, const char *const *params,
         bool *out)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_EINTERNAL;
    }
    *out = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_makeup_claim(struct db *db, int64_t id, bool lock,
                struct makeup_claim_row *out)
{
    char buf[24];
    const char *params[] = {db_num(buf, id)};
    enum rma_err err;
    PGresult *r = db_run(db, lock ? "makeup_claim_lock" : "makeup_claim", 1,
                         params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    memset(out, 0, sizeof(*out));
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->rma_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    db_copy(out->rma_number, sizeof(out->rma_number), PQgetvalue(r, 0, 2));
    db_copy(out->transaction_id, sizeof(out->transaction_id),
            PQgetvalue(r, 0, 3));
    db_copy(out->currency, sizeof(out->currency), PQgetvalue(r, 0, 4));
    out->due = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
    db_copy(out->reason, sizeof(out->reason), PQgetvalue(r, 0, 6));
    out->submitted = (time_t)strtoll(PQgetvalue(r, 0, 7), NULL, 10);
    int s = makeup_status_parse(PQgetvalue(r, 0, 8));
    out->attempts = (int)strtol(PQgetvalue(r, 0, 9), NULL, 10);
    db_copy(out->customer_email, sizeof(out->customer_email),
            PQgetvalue(r, 0, 10));
    db_copy(out->customer_name, sizeof(out->customer_name),
            PQgetvalue(r, 0, 11));
    PQclear(r);
    if (s < 0)
        return RMA_EINTERNAL;
    out->status = (enum makeup_status)s;
    return RMA_OK;
}

enum rma_err
db_makeup_case(struct db *db, int64_t rma_id, bool lock,
               struct makeup_case *out)
{
    char buf[24];
    const char *params[] = {db_num(buf, rma_id)};
    enum rma_err err;
    PGresult *r =
        db_run(db, lock ? "makeup_case_lock" : "makeup_case", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    memset(out, 0, sizeof(*out));
    out->due = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    db_copy(out->reason, sizeof(out->reason), PQgetvalue(r, 0, 1));
    db_copy(out->currency, sizeof(out->currency), PQgetvalue(r, 0, 2));
    out->latest_id = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    int s = makeup_status_parse(PQgetvalue(r, 0, 4));
    out->latest_status = s < 0 ? MAKEUP_PENDING : (enum makeup_status)s;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_makeup_insert(struct db *db, const struct makeup_claim_new *c,
                 const char *now, int64_t *id)
{
    char rma[24], receipt[24], due[24];
    const char *params[] = {db_num(rma, c->rma_id),
                            c->transaction_id,
                            db_num(receipt, c->payment_receipt_id),
                            c->currency,
                            db_num(due, c->due),
                            c->reason,
                            c->submitted_by,
                            now,
                            c->first_retry,
                            c->on_behalf ? "true" : "false"};
    enum rma_err err;
    PGresult *r = db_run(db, "makeup_insert", 10, params, &err);
    if (r == NULL)
        return err;
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    const char *mark[] = {rma, now};
    return db_command(db, "makeup_mark_receipts", 2, mark, NULL);
}

enum rma_err
db_makeup_taken(struct db *db, const char *transaction_id, int64_t claim_id,
                bool *taken)
{
    char id[24];
    const char *params[] = {transaction_id, db_num(id, claim_id)};
    return one_bool(db, "makeup_taken", 2, params, taken);
}

enum rma_err
db_makeup_lock_transaction(struct db *db, const char *transaction_id)
{
    const char *params[] = {transaction_id};
    return db_command(db, "makeup_lock_transaction", 1, params, NULL);
}

static void
iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum rma_err
db_makeup_record(struct db *db, int64_t claim_id,
                 const struct makeup_decision *d, int attempts, const char *now)
{
    char id[24], paid[24] = "", fee[24] = "", count[24], at[32] = "",
                 next[32] = "";
    bool final = d->status != MAKEUP_PENDING;
    const char *txn = final && d->tx != NULL ? d->tx->transaction_id : "";
    const char *method = txn[0] != '\0' ? makeup_method_name(d->method) : NULL;
    if (makeup_status_paid(d->status)) {
        db_num(paid, d->paid);
        db_num(fee, d->fee);
    }
    if (final && d->tx != NULL && d->tx->initiated != 0)
        iso(d->tx->initiated, at);
    if (!final)
        iso(d->next_attempt, next);
    const char *params[] = {db_num(id, claim_id),
                            makeup_status_name(d->status),
                            d->reason != NULL ? d->reason : "",
                            txn,
                            method != NULL ? method : "",
                            paid,
                            fee,
                            at,
                            db_num(count, attempts),
                            now,
                            final ? NULL : next};
    long rows = 0;
    enum rma_err err = db_command(db, "makeup_record", 11, params, &rows);
    return err == RMA_OK && rows != 1 ? RMA_ECONFLICT : err;
}

enum rma_err
db_makeup_due(struct db *db, const char *now, const char *tried, int limit,
              int64_t *ids, int *n)
{
    char lim[24];
    const char *params[] = {now, tried, db_num(lim, limit)};
    enum rma_err err;
    PGresult *r = db_run(db, "makeup_due", 3, params, &err);
    if (r == NULL)
        return err;
    *n = PQntuples(r);
    for (int i = 0; i < *n && i < limit; i++)
        ids[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_makeup_lease(struct db *db, int64_t claim_id, bool lock, bool *got)
{
    char id[24];
    const char *params[] = {db_num(id, claim_id)};
    bool v = false;
    enum rma_err err =
        one_bool(db, lock ? "makeup_lease" : "makeup_release", 1, params, &v);
    if (got != NULL)
        *got = v;
    return err;
}

enum rma_err
db_makeup_exception(struct db *db, const char *kind,
                    const struct makeup_claim_row *c, int64_t amount,
                    const char *detail, const char *dedupe_key, const char *now)
{
    char rma[24], am[24], claim[24];
    const char *params[] = {kind,        db_num(rma, c->rma_id),
                            c->currency, db_num(am, amount),
                            detail,      dedupe_key,
                            now,         db_num(claim, c->id)};
    return db_command(db, "makeup_exception", 8, params, NULL);
}

enum rma_err
db_makeup_claim_json(struct db *db, int64_t claim_id, bool staff,
                     struct arena *a, char **json)
{
    char id[24];
    const char *params[] = {db_num(id, claim_id), staff ? "true" : "false"};
    return one_text(db, "makeup_claim_json", 2, params, a, json);
}

enum rma_err
db_makeup_list_json(struct db *db, const char *status, int limit,
                    struct arena *a, char **json)
{
    char lim[24];
    const char *params[] = {status, db_num(lim, limit)};
    enum rma_err err = one_text(db, "makeup_list_json", 2, params, a, json);
    return err == RMA_OK && *json == NULL ? RMA_EINTERNAL : err;
}

enum rma_err
db_makeup_resolve(struct db *db, int64_t claim_id, const char *who,
                  const char *note, const char *now, bool *resolved)
{
    char id[24];
    const char *params[] = {db_num(id, claim_id), now, who, note};
    long rows = 0;
    enum rma_err err =
        db_command(db, "makeup_resolve_exceptions", 4, params, &rows);
    *resolved = rows > 0;
    if (err == RMA_OK && rows > 0)
        err = db_command(db, "makeup_resolve_claim", 4, params, NULL);
    return err;
}

enum rma_err
db_makeup_pending_by_transaction(struct db *db, const char *transaction_id,
                                 int64_t *claim_id)
{
    const char *params[] = {transaction_id};
    enum rma_err err;
    PGresult *r = db_run(db, "makeup_pending_by_transaction", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    *claim_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}
