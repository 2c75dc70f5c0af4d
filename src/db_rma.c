/* db_rma.c - SQL for RMA solutions: lookups, views, edits, transitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/auth.h"
#include "rma/rma.h"

/* The columns of struct rma_ref (ref_from_row), and where they come from. */
#define REF_COLUMNS                                                            \
    "SELECT r.id, r.customer_id, r.number, r.status, r.kind, r.revision,"      \
    " r.currency, coalesce(r.refund_minor, -1),"                               \
    " coalesce(r.replacement_minor, -1), o.shipping_country, c.email,"         \
    " c.name, coalesce(r.replacement_method, ''),"                             \
    " (SELECT coalesce(sum(i.quantity * i.unit_price_minor), 0)"               \
    "  FROM order_item i WHERE i.order_id = r.order_id),"                      \
    " r.shipping_address IS NOT NULL"
#define REF_COUNT 15
#define REF_FROM                                                               \
    " FROM rma r JOIN original_order o ON o.id = r.order_id"                   \
    " JOIN customer c ON c.id = r.customer_id"
#define FIND_COLUMNS REF_COLUMNS REF_FROM

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
    {"rma_find", FIND_COLUMNS " WHERE r.number = $1", 1},
    {"rma_find_id", FIND_COLUMNS " WHERE r.id = $1", 1},
    {"rma_lock_id", FIND_COLUMNS " WHERE r.id = $1 FOR UPDATE OF r", 1},
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
    {"rma_json", "SELECT rma_json($1, $2)::text", 2},
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
    /* A list's or a queue's items stored (db_rma_items_store). */
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
    {"rma_events_json", "SELECT rma_events_json($1, $2)::text", 2},
    {"rma_search_json",
     "SELECT coalesce(jsonb_agg(jsonb_build_object("
     " 'number', r.number, 'kind', r.kind, 'status', r.status,"
     " 'revision', r.revision, 'customer_email', c.email,"
     " 'updated_at', iso_utc(r.updated_at)) ORDER BY r.id DESC), '[]')::text"
     " FROM (SELECT r.* FROM rma r JOIN customer c ON c.id = r.customer_id"
     "  WHERE ($1::text IS NULL OR r.status = $1)"
     "  AND ($2::text IS NULL OR c.email = lower($2) OR r.number = upper($2)"
     "   OR EXISTS (SELECT 1 FROM rma_device d WHERE d.rma_id = r.id"
     "    AND (upper(d.serial_number) = upper($2)"
     "         OR upper(d.uid) = upper($2)))"
     /* the original order's number, the return's tracking number (kept
      * upper case without spaces or dashes), an outbound one */
     "   OR r.order_id IN (SELECT id FROM original_order"
     "    WHERE upper(order_number) = upper($2))"
     "   OR r.id IN (SELECT rma_id FROM return_submission"
     "    WHERE tracking_number = upper(regexp_replace($2, '[\\s-]', '',"
     " 'g')))"
     "   OR r.id IN (SELECT rma_id FROM shipment"
     "    WHERE upper(tracking_number) = upper($2)))"
     "  ORDER BY r.id DESC LIMIT $3) r"
     " JOIN customer c ON c.id = r.customer_id",
     3},
    {"rma_create", "SELECT rma_create($1::jsonb, $2, $3)", 3},
    {"rma_edit", "SELECT rma_edit($1, $2::jsonb, $3)", 3},
    {"rma_snapshot",
     "INSERT INTO rma_revision (rma_id, revision, snapshot, created_by,"
     " created_at) SELECT id, revision, rma_json(id, true), $2, $3"
     " FROM rma WHERE id = $1 ON CONFLICT DO NOTHING",
     3},
    /* The move and its audit event in one statement: no event when the
     * case was no longer in $3 (0 rows). */
    {"rma_transition",
     "WITH moved AS (UPDATE rma SET status = $2, updated_at = $4,"
     " visible_at = CASE WHEN $2 = 'pending_confirm' THEN $4"
     "  ELSE visible_at END,"
     " confirmed_at = CASE WHEN $2 = 'confirmed' THEN $4"
     "  ELSE confirmed_at END,"
     " closed_at = CASE WHEN $2 IN ('completed', 'cancelled', 'expired')"
     "  THEN $4 ELSE closed_at END"
     " WHERE id = $1 AND status = $3 RETURNING id)"
     " INSERT INTO audit_event (at, rma_id, actor_kind, actor_name,"
     " actor_role, action, from_status, to_status, on_behalf, detail)"
     " SELECT $4, id, $5, $6, $7, $8, $3, $2, $9, coalesce($10::jsonb, '{}')"
     " FROM moved",
     10},
    {"rma_lock_staff_touched",
     "SELECT EXISTS (SELECT 1 FROM audit_event e WHERE e.rma_id = r.id"
     " AND e.actor_kind = 'staff' AND e.actor_name = $2"
     " AND e.action IN ('create', 'edit'))"
     " FROM rma r WHERE r.id = $1 FOR UPDATE OF r",
     2},
    {"rma_audit",
     "INSERT INTO audit_event (at, rma_id, actor_kind, actor_name,"
     " actor_role, action, from_status, to_status, on_behalf, detail)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
     " coalesce($10::jsonb, '{}'))",
     10},
    {"rma_comment",
     "INSERT INTO rma_comment (rma_id, author_kind, author_name, body,"
     " created_at) VALUES ($1, $2, $3, $4, $5)",
     5},
    {"rma_set_method",
     "UPDATE rma SET replacement_method = $2, updated_at = $3 WHERE id = $1",
     3},
    {"rma_set_address",
     "UPDATE rma SET shipping_address = $2::jsonb, updated_at = $3"
     " WHERE id = $1",
     3},
    {"rma_set_cancel_reason", "UPDATE rma SET cancel_reason = $2 WHERE id = $1",
     2},
    {"rma_request_proof",
     "UPDATE rma SET proof_requested_at = $2, proof_request_note = $3,"
     " updated_at = $2 WHERE id = $1",
     3},
};
const struct db_stmt_table db_rma_stmts = {stmts,
                                           sizeof(stmts) / sizeof(stmts[0])};

bool
rma_number_valid(const char *s)
{
    /* RMA-YYYY-NNNNNN */
    if (s == NULL || strlen(s) != 15 || strncmp(s, "RMA-", 4) != 0 ||
        s[8] != '-')
        return false;
    for (int i = 4; i < 15; i++)
        if (i != 8 && (s[i] < '0' || s[i] > '9'))
            return false;
    return true;
}

static const char *
actor_kind_name(enum rma_actor a)
{
    switch (a) {
    case ACTOR_CUSTOMER: return "customer";
    case ACTOR_SYSTEM: return "system";
    default: return "staff";
    }
}

static void
ref_from_row(const PGresult *r, struct rma_ref *out)
{
    memset(out, 0, sizeof(*out));
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->customer_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    db_copy(out->number, sizeof(out->number), PQgetvalue(r, 0, 2));
    out->status = (enum rma_status)rma_status_parse(PQgetvalue(r, 0, 3));
    out->kind = rma_kind_parse(PQgetvalue(r, 0, 4));
    out->revision = (int)strtol(PQgetvalue(r, 0, 5), NULL, 10);
    db_copy(out->currency, sizeof(out->currency), PQgetvalue(r, 0, 6));
    out->refund_minor = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
    out->replacement_minor = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
    db_copy(out->order_country, sizeof(out->order_country),
            PQgetvalue(r, 0, 9));
    db_copy(out->customer_email, sizeof(out->customer_email),
            PQgetvalue(r, 0, 10));
    db_copy(out->customer_name, sizeof(out->customer_name),
            PQgetvalue(r, 0, 11));
    db_copy(out->replacement_method, sizeof(out->replacement_method),
            PQgetvalue(r, 0, 12));
    out->order_total_minor = strtoll(PQgetvalue(r, 0, 13), NULL, 10);
    out->address_confirmed = PQgetvalue(r, 0, 14)[0] == 't';
}

static enum rma_err
find(struct db *db, const char *stmt, const char *param, struct rma_ref *out)
{
    const char *params[] = {param};
    enum rma_err err;
    PGresult *r = db_run(db, stmt, 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1 || PQnfields(r) != REF_COUNT) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    ref_from_row(r, out);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_rma_find(struct db *db, const char *number, struct rma_ref *out)
{
    if (!rma_number_valid(number))
        return RMA_ENOTFOUND;
    return find(db, "rma_find", number, out);
}

enum rma_err
db_rma_find_id(struct db *db, int64_t id, struct rma_ref *out)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    return find(db, "rma_find_id", buf, out);
}

enum rma_err
db_rma_lock_id(struct db *db, int64_t id, struct rma_ref *out)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    return find(db, "rma_lock_id", buf, out);
}

/* Runs stmt and copies the single text cell into the arena. */
static enum rma_err
one_text(struct db *db, const char *stmt, int n, const char *const *params,
         struct arena *a, char **out)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    *out = arena_strdup(a, PQgetvalue(r, 0, 0));
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_rma_json(struct db *db, int64_t id, bool staff, struct arena *a, char **json)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, staff ? "true" : "false"};
    return one_text(db, "rma_json", 2, params, a, json);
}

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

enum rma_err
db_rma_list_json(struct db *db, int64_t customer_id, struct arena *a,
                 char **json)
{
    char buf[24];
    const char *params[] = {db_num(buf, customer_id)};
    enum rma_err err;
    PGresult *r = db_run(db, "rma_list_json", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    *json = arena_strdup(a, PQgetvalue(r, 0, 0));
    db_rma_items_store(db, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    PQclear(r);
    return RMA_OK;
}

void
db_rma_items_store(struct db *db, const char *ids, const char *revisions)
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
db_rma_events_json(struct db *db, int64_t id, bool staff, struct arena *a,
                   char **json)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, staff ? "true" : "false"};
    return one_text(db, "rma_events_json", 2, params, a, json);
}

enum rma_err
db_rma_search_json(struct db *db, const char *status, const char *q, int limit,
                   struct arena *a, char **json)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", limit);
    const char *params[] = {status, q, lim};
    return one_text(db, "rma_search_json", 3, params, a, json);
}

enum rma_err
db_rma_create(struct db *db, const char *doc_json, const char *actor,
              const char *now, int64_t *id)
{
    const char *params[] = {doc_json, actor, now};
    enum rma_err err;
    PGresult *r = db_run(db, "rma_create", 3, params, &err);
    if (r == NULL)
        return err;
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_rma_edit(struct db *db, int64_t id, const char *doc_json, const char *now)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, doc_json, now};
    return db_command(db, "rma_edit", 3, params, NULL);
}

enum rma_err
db_rma_snapshot(struct db *db, int64_t id, const char *actor, const char *now)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, actor, now};
    return db_command(db, "rma_snapshot", 3, params, NULL);
}

static enum rma_err
audit(struct db *db, int64_t rma_id, const struct rma_actor_info *who,
      const char *action, const char *from, const char *to,
      const char *detail_json, const char *now)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)rma_id);
    const char *params[] = {
        now,        id,        actor_kind_name(who->kind),
        who->name,  who->role, action,
        from,       to,        who->on_behalf ? "true" : "false",
        detail_json};
    return db_command(db, "rma_audit", 10, params, NULL);
}

enum rma_err
db_rma_lock_staff_touched(struct db *db, int64_t rma_id, const char *staff_name,
                          bool *touched)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id), staff_name};
    enum rma_err err;
    PGresult *r = db_run(db, "rma_lock_staff_touched", 2, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK)
        *touched = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return err;
}

enum rma_err
db_rma_transition(struct db *db, const struct rma_ref *r, enum rma_status to,
                  enum rma_event ev, const struct rma_actor_info *who,
                  const char *detail_json, const char *now)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)r->id);
    const char *params[] = {id,
                            rma_status_name(to),
                            rma_status_name(r->status),
                            now,
                            actor_kind_name(who->kind),
                            who->name,
                            who->role,
                            rma_event_name(ev),
                            who->on_behalf ? "true" : "false",
                            detail_json};
    long n = 0;
    enum rma_err err = db_command(db, "rma_transition", 10, params, &n);
    if (err == RMA_OK && n != 1)
        return RMA_ECONFLICT; /* someone else moved it first */
    return err;
}

enum rma_err
db_rma_audit(struct db *db, int64_t rma_id, const struct rma_actor_info *who,
             const char *action, const char *detail_json, const char *now)
{
    return audit(db, rma_id, who, action, NULL, NULL, detail_json, now);
}

enum rma_err
db_rma_comment(struct db *db, int64_t rma_id, const char *author_kind,
               const char *author_name, const char *body, const char *now)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)rma_id);
    const char *params[] = {id, author_kind, author_name, body, now};
    return db_command(db, "rma_comment", 5, params, NULL);
}

enum rma_err
db_rma_set_method(struct db *db, int64_t id, const char *method,
                  const char *now)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, method, now};
    return db_command(db, "rma_set_method", 3, params, NULL);
}

enum rma_err
db_rma_set_address(struct db *db, int64_t id, const char *address_json,
                   const char *now)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, address_json, now};
    return db_command(db, "rma_set_address", 3, params, NULL);
}

enum rma_err
db_rma_set_cancel_reason(struct db *db, int64_t id, const char *reason)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, reason};
    return db_command(db, "rma_set_cancel_reason", 2, params, NULL);
}

enum rma_err
db_rma_request_proof(struct db *db, int64_t id, const char *note,
                     const char *now)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, now, note};
    return db_command(db, "rma_request_proof", 3, params, NULL);
}
