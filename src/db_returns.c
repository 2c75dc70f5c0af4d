/* db_returns.c - SQL for attachments, return submissions and inspections
 * (sql/migrations/0007_attachments.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/returns.h"

/* Advisory locks on stored files: (this class, hashtext(sha256)). */
#define FILE_LOCK_CLASS "7007"

static const struct db_stmt stmts[] = {
    {"returns_count_open",
     "SELECT count(*) FROM attachment WHERE rma_id = $1"
     " AND submitted_at IS NULL AND submission = attachment_submission($2)",
     2},
    {"returns_lock_file",
     "SELECT pg_advisory_xact_lock(" FILE_LOCK_CLASS ", hashtext($1))", 1},
    {"returns_lock_file_session",
     "SELECT pg_advisory_lock(" FILE_LOCK_CLASS ", hashtext($1))", 1},
    {"returns_unlock_file",
     "SELECT pg_advisory_unlock(" FILE_LOCK_CLASS ", hashtext($1))", 1},
    {"returns_insert",
     "INSERT INTO attachment (rma_id, kind, sha256, bytes, media_type, width,"
     " height, uploaded_by, created_at)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
     9},
    {"returns_get",
     "SELECT id, rma_id, kind, sha256, bytes, media_type,"
     " submitted_at IS NOT NULL FROM attachment WHERE id = $1",
     1},
    {"returns_delete",
     "DELETE FROM attachment WHERE id = $1 AND rma_id = $2"
     " AND submitted_at IS NULL",
     2},
    {"returns_file_refs", "SELECT count(*) FROM attachment WHERE sha256 = $1",
     1},
    {"returns_records_data",
     "SELECT EXISTS (SELECT 1 FROM rma_device d"
     " JOIN product_model m ON m.model = d.model"
     " WHERE d.rma_id = $1 AND m.recording_device)",
     1},
    {"returns_submit",
     "INSERT INTO return_submission (rma_id, carrier, tracking_number,"
     " shipping_label_id, postage_receipt_id, data_erasure_required,"
     " data_erasure_acknowledged, submitted_by, submitted_at, on_behalf)"
     " VALUES ($1, $2, $3, NULLIF($4::bigint, 0), NULLIF($5::bigint, 0), $6,"
     " $7, $8, $9, $10)",
     10},
    {"returns_mark_submitted",
     "UPDATE attachment SET submitted_at = $2 WHERE rma_id = $1"
     " AND submission = 'return' AND submitted_at IS NULL",
     2},
    /* Only a unit the warehouse received is inspected (0 rows else). */
    {"returns_inspect",
     "INSERT INTO inspection (rma_id, outcome, notes, inspected_by,"
     " inspected_at) SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1"
     " FROM return_receipt WHERE rma_id = $1)",
     5},
};
const struct db_stmt_table db_returns_stmts = {stmts, sizeof(stmts) /
                                                          sizeof(stmts[0])};

/* Runs stmt, which answers one row, and reads its first column as a
 * number. */
static enum rma_err
one_number(struct db *db, const char *stmt, int n, const char *const *params,
           long long *out)
{
    enum rma_err err;
    PGresult *r = db_run_one(db, stmt, n, params, &err);
    if (r == NULL)
        return err == RMA_ENOTFOUND ? RMA_EINTERNAL : err;
    *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_attachment_count_open(struct db *db, int64_t rma_id, const char *kind,
                         int *n)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id), kind};
    long long v;
    enum rma_err err = one_number(db, "returns_count_open", 2, params, &v);
    if (err == RMA_OK)
        *n = (int)v;
    return err;
}

enum rma_err
db_attachment_lock_file(struct db *db, const char *sha256)
{
    const char *params[] = {sha256};
    return db_command(db, "returns_lock_file", 1, params, NULL);
}

enum rma_err
db_attachment_lock_file_session(struct db *db, const char *sha256)
{
    const char *params[] = {sha256};
    return db_command(db, "returns_lock_file_session", 1, params, NULL);
}

void
db_attachment_unlock_file(struct db *db, const char *sha256)
{
    /* When the connection is gone, so is the lock. */
    const char *params[] = {sha256};
    (void)db_command(db, "returns_unlock_file", 1, params, NULL);
}

enum rma_err
db_attachment_insert(struct db *db, const struct attachment_new *a,
                     const char *now, int64_t *id)
{
    char rma[24], bytes[24], width[24], height[24];
    const char *params[] = {
        db_num(rma, a->rma_id),    a->kind,        a->sha256,
        db_num(bytes, a->bytes),   a->media_type,  db_num(width, a->width),
        db_num(height, a->height), a->uploaded_by, now};
    long long v;
    enum rma_err err = one_number(db, "returns_insert", 9, params, &v);
    if (err == RMA_OK)
        *id = (int64_t)v;
    return err;
}

enum rma_err
db_attachment_get(struct db *db, int64_t id, struct attachment *out)
{
    char buf[24];
    const char *params[] = {db_num(buf, id)};
    enum rma_err err;
    PGresult *r = db_run(db, "returns_get", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    memset(out, 0, sizeof(*out));
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->rma_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    snprintf(out->kind, sizeof(out->kind), "%s", PQgetvalue(r, 0, 2));
    snprintf(out->sha256, sizeof(out->sha256), "%s", PQgetvalue(r, 0, 3));
    out->bytes = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
    snprintf(out->media_type, sizeof(out->media_type), "%s",
             PQgetvalue(r, 0, 5));
    out->submitted = strcmp(PQgetvalue(r, 0, 6), "t") == 0;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_attachment_delete(struct db *db, int64_t id, int64_t rma_id, bool *deleted)
{
    char a[24], b[24];
    const char *params[] = {db_num(a, id), db_num(b, rma_id)};
    long n = 0;
    enum rma_err err = db_command(db, "returns_delete", 2, params, &n);
    *deleted = err == RMA_OK && n == 1;
    return err;
}

enum rma_err
db_attachment_file_refs(struct db *db, const char *sha256, long *n)
{
    const char *params[] = {sha256};
    long long v;
    enum rma_err err = one_number(db, "returns_file_refs", 1, params, &v);
    if (err == RMA_OK)
        *n = (long)v;
    return err;
}

enum rma_err
db_rma_records_data(struct db *db, int64_t rma_id, bool *yes)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id)};
    enum rma_err err;
    PGresult *r = db_run(db, "returns_records_data", 1, params, &err);
    if (r == NULL)
        return err;
    *yes = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_return_submit(struct db *db, const struct return_submission *s,
                 const char *now)
{
    char rma[24], label[24], receipt[24];
    const char *params[] = {db_num(rma, s->rma_id),
                            s->carrier,
                            s->tracking_number,
                            db_num(label, s->shipping_label_id),
                            db_num(receipt, s->postage_receipt_id),
                            s->erasure_required ? "true" : "false",
                            s->erasure_acknowledged ? "true" : "false",
                            s->submitted_by,
                            now,
                            s->on_behalf ? "true" : "false"};
    enum rma_err err = db_command(db, "returns_submit", 10, params, NULL);
    if (err != RMA_OK)
        return err;
    const char *mark[] = {rma, now};
    return db_command(db, "returns_mark_submitted", 2, mark, NULL);
}

enum rma_err
db_inspection_insert(struct db *db, int64_t rma_id, const char *outcome,
                     const char *notes, const char *inspected_by,
                     const char *now)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id), outcome, notes, inspected_by,
                            now};
    long rows = 0;
    enum rma_err err = db_command(db, "returns_inspect", 5, params, &rows);
    return err == RMA_OK && rows == 0 ? RMA_ECONFLICT : err;
}
