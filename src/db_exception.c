/* db_exception.c - SQL for finance's exceptions (exception.h). */
#include "rma/db_exception.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/crypto.h"

// clang-format off
static const struct db_stmt stmts[] = {
    {"exception_list",
     "SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object("
     " 'id', e.id, 'kind', e.kind, 'rma', r.number, 'hold_id', e.hold_id,"
     " 'makeup_payment_id', e.makeup_id,"
     " 'amount', CASE WHEN e.currency IS NOT NULL AND e.amount_minor IS NOT NULL"
     "  THEN money_json(e.amount_minor, e.currency) END,"
     " 'detail', e.detail, 'created_at', iso_utc(e.created_at),"
     " 'status', CASE WHEN e.resolved_at IS NULL THEN 'open' ELSE 'resolved' END,"
     " 'resolved_at', iso_utc(e.resolved_at), 'resolved_by', e.resolved_by,"
     " 'resolution', e.resolution, 'outcome', e.outcome,"
     " 'outcome_amount', CASE WHEN e.outcome_amount_minor IS NOT NULL"
     "  THEN money_json(e.outcome_amount_minor, e.currency) END))"
     " ORDER BY e.created_at, e.id), '[]')::text"
     " FROM (SELECT * FROM finance_exception f"
     "  WHERE ($1 = 'all' OR ($1 = 'open') = (f.resolved_at IS NULL))"
     "  AND ($2::text IS NULL OR f.kind = $2)"
     "  AND ($4::text IS NULL"
     "   OR f.rma_id = (SELECT x.id FROM rma x WHERE x.number = $4))"
     "  ORDER BY f.created_at, f.id LIMIT $3) e"
     " LEFT JOIN rma r ON r.id = e.rma_id", 4},
    {"exception_lock",
     "SELECT id, kind, coalesce(rma_id, 0), coalesce(hold_id, 0),"
     " coalesce(makeup_id, 0), coalesce(currency, ''), resolved_at IS NOT NULL"
     " FROM finance_exception WHERE id = $1 FOR UPDATE", 1},
    {"exception_resolve",
     "UPDATE finance_exception SET resolved_at = $5, resolved_by = $2,"
     " resolution = $3, outcome = $4,"
     " outcome_amount_minor = nullif($6, '0')::bigint"
     " WHERE id = $1 AND resolved_at IS NULL", 6},
    {"exception_set_outcome",
     "UPDATE finance_exception SET outcome = $2,"
     " outcome_amount_minor = nullif($3, '0')::bigint"
     " WHERE id = $1 AND resolved_at IS NOT NULL AND outcome IS NULL", 3},
    {"exception_finding",
     "INSERT INTO finance_exception (kind, hold_id, detail, dedupe_key,"
     " created_at) VALUES ('ledger_verify', nullif($1, '0')::bigint, $2, $3, $4)"
     " ON CONFLICT (dedupe_key) DO NOTHING", 4},
};
// clang-format on

const struct db_stmt_table db_exception_stmts = {stmts, sizeof(stmts) /
                                                            sizeof(stmts[0])};

enum rma_err
db_exception_list(struct db *db, const char *status, const char *kind,
                  const char *rma, int limit, struct arena *a, char **json)
{
    char lim[24];
    const char *params[] = {status, kind, db_num(lim, limit), rma};
    enum rma_err err;
    PGresult *r = db_run(db, "exception_list", 4, params, &err);
    if (r == NULL)
        return err;
    *json = arena_strdup(a, PQgetvalue(r, 0, 0));
    PQclear(r);
    return *json != NULL ? RMA_OK : RMA_EINTERNAL;
}

enum rma_err
db_exception_lock(struct db *db, int64_t id, struct exception_row *out)
{
    char buf[24];
    const char *params[] = {db_num(buf, id)};
    enum rma_err err;
    PGresult *r = db_run(db, "exception_lock", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    memset(out, 0, sizeof(*out));
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    db_copy(out->kind, sizeof(out->kind), PQgetvalue(r, 0, 1));
    out->rma_id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    out->hold_id = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    out->makeup_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    db_copy(out->currency, sizeof(out->currency), PQgetvalue(r, 0, 5));
    out->resolved = strcmp(PQgetvalue(r, 0, 6), "t") == 0;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_exception_resolve(struct db *db, int64_t id, const char *who,
                     const char *note, const char *outcome, int64_t amount,
                     const char *now)
{
    char buf[24], am[24];
    const char *params[] = {db_num(buf, id), who, note,
                            outcome,         now, db_num(am, amount)};
    long rows = 0;
    enum rma_err err = db_command(db, "exception_resolve", 6, params, &rows);
    return err == RMA_OK && rows < 1 ? RMA_ECONFLICT : err;
}

enum rma_err
db_exception_set_outcome(struct db *db, int64_t id, const char *outcome,
                         int64_t amount)
{
    char buf[24], am[24];
    const char *params[] = {db_num(buf, id), outcome, db_num(am, amount)};
    long rows = 0;
    enum rma_err err =
        db_command(db, "exception_set_outcome", 3, params, &rows);
    return err == RMA_OK && rows < 1 ? RMA_ECONFLICT : err;
}

enum rma_err
db_exception_finding(struct db *db, const char *text, int64_t hold_id,
                     const char *now)
{
    unsigned char h[SHA256_LEN];
    crypto_sha256(text, strlen(text), h);
    char key[64] = "ledger_verify:";
    size_t off = strlen(key);
    for (int i = 0; i < 16; i++)
        off += (size_t)snprintf(key + off, sizeof(key) - off, "%02x", h[i]);
    char buf[24], detail[2001];
    snprintf(detail, sizeof(detail), "%s", text);
    const char *params[] = {db_num(buf, hold_id), detail, key, now};
    return db_command(db, "exception_finding", 4, params, NULL);
}
