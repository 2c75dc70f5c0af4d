/* db_read.c - SQL of the read paths (SPEC §11): a case's stored documents
 * with what the answer's C part needs (0021_read_cache.sql,
 * 0025_read_rows.sql), the customer's read with its session in one query,
 * the customer's list, and the storing of what a read had to render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/auth.h"
#include "rma/crypto.h"
#include "rma/rma.h"

/* struct rma_detail: what the answer's actions depend on, and the document
 * ($2: the customer who may see it, 0 for staff; $3: staff).
 *
 * DOC_COLUMNS is the API read's query (SPEC §11): one fetch of the case's
 * rma_document row, whose columns besides the documents are the case's
 * own as of the stored document (0025_read_rows.sql), so only a row whose
 * document is there answers.  Otherwise DETAIL_COLUMNS reads the case and
 * what is stored; the document is NULL when stale (0021_read_cache.sql),
 * then DETAIL_STORE renders it and stores it if revision is still the one
 * read here. */
#define DOC_DOCUMENT "CASE WHEN $3 THEN d.staff_doc ELSE d.customer_doc END"
#define DOC_COLUMNS                                                            \
    "SELECT d.rma_id, d.customer_id, d.number, d.status, d.kind,"              \
    " coalesce(d.replacement_method, ''), coalesce(d.makeup_due_minor, 0),"    \
    " coalesce(d.makeup_latest_id, 0), coalesce(d.makeup_latest_status, ''),"  \
    " CASE WHEN $2::bigint = 0 OR d.customer_id = $2 THEN " DOC_DOCUMENT       \
    " END, d.revision FROM rma_document d WHERE " DOC_DOCUMENT " IS NOT NULL"
#define DETAIL_COLUMNS                                                         \
    "SELECT r.id, r.customer_id, r.number, r.status, r.kind,"                  \
    " coalesce(r.replacement_method, ''), coalesce(r.makeup_due_minor, 0),"    \
    " coalesce(d.makeup_latest_id, 0), coalesce(d.makeup_latest_status, ''),"  \
    " CASE WHEN $2::bigint = 0 OR r.customer_id = $2 THEN " DOC_DOCUMENT       \
    " END, coalesce(d.revision, 0)"                                            \
    " FROM rma r LEFT JOIN rma_document d ON d.rma_id = r.id"
#define DETAIL_COUNT 11
/* The document rendered now ($1 id, $2 staff): the latest make-up claim's
 * id and status, the text, and the case's columns stored with it. */
#define DETAIL_RENDER                                                          \
    "SELECT r.id, coalesce(l.id, 0) AS mid, coalesce(l.status, '') AS mst,"    \
    " CASE WHEN $2::boolean THEN rma_staff_document(r.id)"                     \
    " ELSE rma_detail_json(r.id, false) END::text AS json, r.number,"          \
    " r.customer_id, r.status, r.kind, r.replacement_method,"                  \
    " r.makeup_due_minor FROM rma r"                                           \
    " LEFT JOIN LATERAL (SELECT id, status FROM makeup_claim"                  \
    " WHERE rma_id = r.id ORDER BY id DESC LIMIT 1) l ON true"                 \
    " WHERE r.id = $1::bigint"
/* ... and stored unless it went stale meanwhile ($3: the revision read
 * before rendering, 0 when there was no row). */
#define DETAIL_STORE                                                           \
    "WITH doc AS (" DETAIL_RENDER "), stored AS ("                             \
    " INSERT INTO rma_document AS d (rma_id, revision, customer_doc,"          \
    " makeup_latest_id, makeup_latest_status, staff_doc, number,"              \
    " customer_id, status, kind, replacement_method, makeup_due_minor)"        \
    " SELECT id, $3::bigint, CASE WHEN NOT $2 THEN json END,"                  \
    " CASE WHEN NOT $2 THEN nullif(mid, 0) END,"                               \
    " CASE WHEN NOT $2 THEN nullif(mst, '') END,"                              \
    " CASE WHEN $2 THEN json END, number, customer_id, status, kind,"          \
    " replacement_method, makeup_due_minor FROM doc"                           \
    " ON CONFLICT (rma_id) DO UPDATE SET"                                      \
    " customer_doc = CASE WHEN $2 THEN d.customer_doc"                         \
    "  ELSE excluded.customer_doc END,"                                        \
    " makeup_latest_id = CASE WHEN $2 THEN d.makeup_latest_id"                 \
    "  ELSE excluded.makeup_latest_id END,"                                    \
    " makeup_latest_status = CASE WHEN $2 THEN d.makeup_latest_status"         \
    "  ELSE excluded.makeup_latest_status END,"                                \
    " staff_doc = CASE WHEN $2 THEN excluded.staff_doc ELSE d.staff_doc END,"  \
    " number = excluded.number, customer_id = excluded.customer_id,"           \
    " status = excluded.status, kind = excluded.kind,"                         \
    " replacement_method = excluded.replacement_method,"                       \
    " makeup_due_minor = excluded.makeup_due_minor"                            \
    " WHERE d.revision = excluded.revision)"                                   \
    " SELECT id, mid, mst, json FROM doc"

/* The customer's list's items not stored. */
#define LIST_UNSTORED                                                          \
    " FILTER (WHERE d.rma_id IS NOT NULL AND d.list_item IS NULL)"

static const struct db_stmt stmts[] = {
    {"rma_doc", DOC_COLUMNS " AND d.number = $1", 3},
    {"rma_doc_id", DOC_COLUMNS " AND d.rma_id = $1::bigint", 3},
    {"rma_detail", DETAIL_COLUMNS " WHERE r.number = $1", 3},
    {"rma_detail_id", DETAIL_COLUMNS " WHERE r.id = $1::bigint", 3},
    /* The customer's API read in one query: the session (SESSION_LIVE_*
     * without the customer's email, no row when it is not live) and the
     * stored document of the case numbered $4 (NULLs when there is none:
     * no such case, or not stored). */
    {"rma_detail_session",
     "SELECT " SESSION_LIVE_COLUMNS_WITH(
         "''") ", d.rma_id, d.customer_id,"
               " d.number, d.status, d.kind, coalesce(d.replacement_method, "
               "''),"
               " coalesce(d.makeup_due_minor, 0), coalesce(d.makeup_latest_id, "
               "0),"
               " coalesce(d.makeup_latest_status, ''),"
               " CASE WHEN d.customer_id = s.customer_id THEN d.customer_doc "
               "END,"
               " d.revision FROM customer_session s"
               " LEFT JOIN rma_document d ON d.number = $4"
               " AND d.customer_doc IS NOT NULL" SESSION_LIVE_WHERE,
     4},
    {"rma_detail_render", DETAIL_RENDER, 2},
    {"rma_detail_store", DETAIL_STORE, 3},
    /* The customer's list ({"rmas": [...]}, as jsonb would print it):
     * which cases and their order from rma, each item as stored with the
     * case's documents or, when it is not, rendered now; and the ids and
     * revisions of those not stored (0025_read_rows.sql). */
    {"rma_list_json",
     "SELECT '{\"rmas\": [' || coalesce(string_agg(coalesce(d.list_item,"
     " rma_list_item(r.id)::text), ', ' ORDER BY r.status IN ('completed',"
     " 'cancelled', 'expired'), r.updated_at DESC, r.id DESC), '') || ']}',"
     " coalesce(array_agg(d.rma_id)" LIST_UNSTORED ", '{}'),"
     " coalesce(array_agg(d.revision)" LIST_UNSTORED ", '{}')"
     " FROM rma r LEFT JOIN rma_document d ON d.rma_id = r.id"
     " WHERE r.customer_id = $1::bigint"
     " AND r.status NOT IN ('draft', 'pending_review')",
     1},
    /* A list's or a queue's items stored (items_store). */
    {"rma_items_store",
     "UPDATE rma_document d"
     " SET list_item = coalesce(d.list_item, rma_list_item(d.rma_id)::text),"
     " queue_item = coalesce(d.queue_item, rma_queue_item(d.rma_id)::text),"
     " queue_since = CASE WHEN d.queue_item IS NULL"
     " THEN rma_status_since(d.rma_id) ELSE d.queue_since END"
     " FROM unnest($1::bigint[], $2::bigint[]) AS s(id, revision)"
     " WHERE d.rma_id = s.id AND d.revision = s.revision"
     " AND (d.list_item IS NULL OR d.queue_item IS NULL)"
     " AND d.rma_id IN (SELECT l.rma_id FROM rma_document l"
     " WHERE l.rma_id = ANY ($1::bigint[]) FOR UPDATE SKIP LOCKED)",
     2},
};

const struct db_stmt_table db_read_stmts = {stmts,
                                            sizeof(stmts) / sizeof(stmts[0])};

/* Whether a statement may store a rendered document: not inside a
 * transaction, whose changes may yet roll back or change again, and whose
 * locks a store waiting on another writer would keep. */
static bool
may_store(struct db *db)
{
    return PQtransactionStatus(db_pg(db)) == PQTRANS_IDLE;
}

/* The document of case id rendered now (and stored when may_store), into
 * out's makeup fields and json. */
static enum rma_err
detail_render(struct db *db, int64_t id, bool staff, const char *revision,
              struct arena *a, struct rma_detail *out)
{
    char key[24];
    const char *params[] = {db_num(key, id), staff ? "true" : "false",
                            revision};
    bool store = may_store(db);
    enum rma_err err;
    PGresult *r = db_run(db, store ? "rma_detail_store" : "rma_detail_render",
                         store ? 3 : 2, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 3)) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    out->makeup_latest_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    db_copy(out->makeup_latest_status, sizeof(out->makeup_latest_status),
            PQgetvalue(r, 0, 2));
    out->json = arena_strdup(a, PQgetvalue(r, 0, 3));
    PQclear(r);
    return RMA_OK;
}

/* DETAIL_COLUMNS from column c of row 0 into out (json in the arena,
 * NULL when absent), and the revision read into revision (24 bytes). */
static void
detail_from_row(const PGresult *r, int c, struct arena *a,
                struct rma_detail *out, char *revision)
{
    memset(out, 0, sizeof(*out));
    struct rma_ref *ref = &out->ref;
    ref->id = strtoll(PQgetvalue(r, 0, c + 0), NULL, 10);
    ref->customer_id = strtoll(PQgetvalue(r, 0, c + 1), NULL, 10);
    db_copy(ref->number, sizeof(ref->number), PQgetvalue(r, 0, c + 2));
    ref->status = (enum rma_status)rma_status_parse(PQgetvalue(r, 0, c + 3));
    ref->kind = rma_kind_parse(PQgetvalue(r, 0, c + 4));
    db_copy(ref->replacement_method, sizeof(ref->replacement_method),
            PQgetvalue(r, 0, c + 5));
    out->makeup_due = strtoll(PQgetvalue(r, 0, c + 6), NULL, 10);
    out->makeup_latest_id = strtoll(PQgetvalue(r, 0, c + 7), NULL, 10);
    db_copy(out->makeup_latest_status, sizeof(out->makeup_latest_status),
            PQgetvalue(r, 0, c + 8));
    if (!PQgetisnull(r, 0, c + 9))
        out->json = arena_strdup(a, PQgetvalue(r, 0, c + 9));
    db_copy(revision, 24, PQgetvalue(r, 0, c + 10));
}

/* Runs stmt (DOC_COLUMNS or DETAIL_COLUMNS, params $1-$3) into out and the
 * revision read into revision (24 bytes): RMA_ENOTFOUND without a row. */
static enum rma_err
detail_query(struct db *db, const char *stmt, const char *const *params,
             struct arena *a, struct rma_detail *out, char *revision)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, 3, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1 || PQnfields(r) != DETAIL_COUNT) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    detail_from_row(r, 0, a, out, revision);
    PQclear(r);
    return RMA_OK;
}

/* The case from its tables (stmt: rma_detail or rma_detail_id) and, when
 * its document is stale and the viewer may see it, the document rendered
 * now. */
static enum rma_err
detail_case(struct db *db, const char *stmt, const char *const *params,
            int64_t viewer, bool staff, struct arena *a, struct rma_detail *out)
{
    char revision[24];
    enum rma_err err = detail_query(db, stmt, params, a, out, revision);
    if (err == RMA_OK && out->json == NULL &&
        (viewer == 0 || viewer == out->ref.customer_id))
        err = detail_render(db, out->ref.id, staff, revision, a, out);
    return err;
}

enum rma_err
db_rma_detail(struct db *db, const char *number, int64_t id, int64_t viewer,
              bool staff, struct arena *a, struct rma_detail *out)
{
    if (number != NULL && !rma_number_valid(number))
        return RMA_ENOTFOUND;
    char key[24], who[24], revision[24];
    const char *params[] = {number != NULL ? number : db_num(key, id),
                            db_num(who, viewer), staff ? "true" : "false"};
    /* The stored document with the case's columns, else the tables. */
    enum rma_err err =
        detail_query(db, number != NULL ? "rma_doc" : "rma_doc_id", params, a,
                     out, revision);
    if (err == RMA_ENOTFOUND)
        err = detail_case(db, number != NULL ? "rma_detail" : "rma_detail_id",
                          params, viewer, staff, a, out);
    return err;
}

enum rma_err
db_session_find_case(struct db *db, const unsigned char *hash, const char *now,
                     int idle_minutes, const char *number,
                     struct customer_session *who, struct arena *a,
                     struct rma_detail **out)
{
    char hex[SHA256_HEX_LEN], idle[16], revision[24];
    snprintf(idle, sizeof(idle), "%d", idle_minutes);
    bool valid = rma_number_valid(number);
    /* an invalid number finds no case (and the session is still checked) */
    const char *params[] = {crypto_hex(hash, SHA256_LEN, hex), now, idle,
                            valid ? number : ""};
    enum rma_err err;
    PGresult *r = db_run(db, "rma_detail_session", 4, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_EUNAUTH;
    }
    db_session_from_row(r, who);
    *out = NULL;
    struct rma_detail *d = arena_alloc(a, sizeof(*d));
    bool found = !PQgetisnull(r, 0, 4);
    if (found)
        detail_from_row(r, 4, a, d, revision);
    PQclear(r);
    if (!found && valid) { /* no such case, or its document not stored */
        char viewer[24];
        const char *p[] = {number, db_num(viewer, who->customer_id), "false"};
        err = detail_case(db, "rma_detail", p, who->customer_id, false, a, d);
        if (err == RMA_ENOTFOUND)
            return RMA_OK;
        if (err != RMA_OK)
            return err;
        found = true;
    }
    if (found)
        *out = d;
    return RMA_OK;
}

/* Stores the items a list or queue read had to render: their ids and the
 * revisions the read saw (PostgreSQL arrays as text, "{}" when none). */
static void
items_store(struct db *db, const char *ids, const char *revisions)
{
    if (strcmp(ids, "{}") == 0 || !may_store(db))
        return;
    const char *params[] = {ids, revisions};
    enum rma_err err;
    PGresult *r = db_run(db, "rma_items_store", 2, params, &err);
    if (r != NULL) /* a failure only costs the next read a rendering */
        PQclear(r);
}

enum rma_err
db_items_read(struct db *db, const char *stmt, int n, const char *const *params,
              struct arena *a, char **json)
{
    enum rma_err err;
    PGresult *r = db_run_one(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    *json = arena_strdup(a, PQgetvalue(r, 0, 0));
    if (PQnfields(r) == 3)
        items_store(db, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_rma_list_json(struct db *db, int64_t customer_id, struct arena *a,
                 char **json)
{
    char buf[24];
    const char *params[] = {db_num(buf, customer_id)};
    return db_items_read(db, "rma_list_json", 1, params, a, json);
}
