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

static const struct db_stmt stmts[] = {
    {"rma_find", FIND_COLUMNS " WHERE r.number = $1", 1},
    {"rma_find_id", FIND_COLUMNS " WHERE r.id = $1", 1},
    {"rma_lock_id", FIND_COLUMNS " WHERE r.id = $1 FOR UPDATE OF r", 1},
    {"rma_json", "SELECT rma_json($1, $2)::text", 2},
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
    PGresult *r = db_run_one(db, stmt, n, params, &err);
    if (r == NULL)
        return err;
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
