/* db_staff_account.c - SQL for staff accounts, their sign-in codes and
 * console sessions, the token list of the admin page, and the audit events
 * about no case (staff_account.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/staff_account.h"

#define ACCOUNT_COLUMNS "SELECT id, email, name, role FROM staff_account"

static const struct db_stmt stmts[] = {
    {"staff_account_create",
     "INSERT INTO staff_account (email, name, role, created_at, created_by)"
     " VALUES ($1, $2, $3, $4, $5) RETURNING id",
     5},
    {"staff_account_deactivate",
     "WITH gone AS (UPDATE staff_account SET deactivated_at = $3,"
     " deactivated_by = $4 WHERE deactivated_at IS NULL"
     " AND (id = $1::bigint OR ($1::bigint = 0 AND email = $2))"
     " RETURNING id, email, name, role),"
     " ended AS (UPDATE staff_session s SET revoked_at = $3 FROM gone"
     " WHERE s.staff_id = gone.id AND s.revoked_at IS NULL)"
     " SELECT id, email, name, role FROM gone",
     4},
    {"staff_account_by_email",
     ACCOUNT_COLUMNS " WHERE email = $1 AND deactivated_at IS NULL", 1},
    {"staff_account_list_json",
     "SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'email', email,"
     " 'name', name, 'role', role, 'active', deactivated_at IS NULL,"
     " 'created_at', iso_utc(created_at), 'created_by', created_by,"
     " 'deactivated_at', iso_utc(deactivated_at),"
     " 'deactivated_by', deactivated_by,"
     " 'last_sign_in_at', iso_utc(last_sign_in_at))"
     " ORDER BY deactivated_at IS NOT NULL, email, id), '[]')::text"
     " FROM staff_account",
     0},
    {"staff_audit",
     "INSERT INTO audit_event (at, rma_id, actor_kind, actor_name,"
     " actor_role, action, detail)"
     " VALUES ($1, NULL, $2, $3, $4, $5, coalesce($6::jsonb, '{}'))",
     6},
    {"staff_code_store",
     "INSERT INTO staff_login_code (email, code_hmac, created_at, expires_at)"
     " VALUES ($1, decode($2, 'hex'), $3, $3::timestamptz"
     "  + interval '15 minutes')"
     " ON CONFLICT (email) DO UPDATE SET code_hmac = excluded.code_hmac,"
     " created_at = excluded.created_at, expires_at = excluded.expires_at,"
     " tries = 0, used_at = NULL",
     3},
    {"staff_code_try",
     "UPDATE staff_login_code SET tries = tries + 1"
     " WHERE email = $1 AND used_at IS NULL AND expires_at > $2"
     " RETURNING encode(code_hmac, 'hex'), tries",
     2},
    {"staff_code_use",
     "UPDATE staff_login_code SET used_at = $2"
     " WHERE email = $1 AND used_at IS NULL",
     2},
    {"staff_session_create",
     "WITH s AS (INSERT INTO staff_session (token_hash, staff_id, created_at,"
     " last_seen_at, expires_at) VALUES (decode($1, 'hex'), $2, $3, $3,"
     " $3::timestamptz + make_interval(hours => $4)) RETURNING staff_id)"
     " UPDATE staff_account a SET last_sign_in_at = $3 FROM s"
     " WHERE a.id = s.staff_id",
     4},
    {"staff_session_find",
     "SELECT s.id, a.id, a.email, a.name, a.role,"
     " s.last_seen_at < $2::timestamptz - interval '60 seconds'"
     " FROM staff_session s JOIN staff_account a ON a.id = s.staff_id"
     " WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL"
     " AND a.deactivated_at IS NULL AND s.expires_at > $2"
     " AND s.last_seen_at > $2::timestamptz - make_interval(mins => $3)",
     3},
    {"staff_session_touch",
     "UPDATE staff_session SET last_seen_at = $2 WHERE id = $1", 2},
    {"staff_session_revoke",
     "UPDATE staff_session SET revoked_at = $2"
     " WHERE id = $1 AND revoked_at IS NULL",
     2},
    {"staff_token_list_json",
     "SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'name', name,"
     " 'role', role, 'active', revoked_at IS NULL,"
     " 'created_at', iso_utc(created_at), 'revoked_at', iso_utc(revoked_at))"
     " ORDER BY revoked_at IS NOT NULL, name, id), '[]')::text"
     " FROM staff_token",
     0},
    {"staff_token_revoke_id",
     "UPDATE staff_token SET revoked_at = now()"
     " WHERE id = $1 AND revoked_at IS NULL RETURNING name",
     1},
    /* Notifications (staff_notify.c). */
    {"staff_digest_due",
     ACCOUNT_COLUMNS
     " WHERE deactivated_at IS NULL"
     " AND (digest_sent_on IS NULL OR digest_sent_on < $1::date)"
     " ORDER BY id",
     1},
    {"staff_digest_claim",
     "UPDATE staff_account SET digest_sent_on = $2::date"
     " WHERE id = $1 AND deactivated_at IS NULL"
     " AND (digest_sent_on IS NULL OR digest_sent_on < $2::date)",
     2},
    {"staff_creator_of",
     "SELECT a.id, a.email, a.name, a.role, r.number FROM rma r"
     " JOIN staff_account a ON a.email = r.created_by"
     " AND a.deactivated_at IS NULL WHERE r.id = $1",
     1},
    {"staff_clean_codes",
     "DELETE FROM staff_login_code WHERE expires_at < $1::timestamptz"
     " - interval '1 day'",
     1},
    {"staff_clean_sessions",
     "DELETE FROM staff_session WHERE (expires_at < $1::timestamptz"
     " - interval '30 days') OR (revoked_at < $1::timestamptz"
     " - interval '30 days')",
     1},
};
const struct db_stmt_table db_staff_account_stmts = {
    stmts, sizeof(stmts) / sizeof(stmts[0])};

static void
hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static void
account_from_row(const PGresult *r, int row, struct staff_account *out)
{
    out->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    db_copy(out->email, sizeof(out->email), PQgetvalue(r, row, 1));
    db_copy(out->name, sizeof(out->name), PQgetvalue(r, row, 2));
    out->role = staff_role_parse(PQgetvalue(r, row, 3));
}

static enum rma_err
one_text(struct db *db, const char *stmt, struct arena *a, char **out)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, 0, NULL, &err);
    if (r == NULL)
        return err;
    *out = arena_strdup(a, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "[]");
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_staff_account_create(struct db *db, const char *email, const char *name,
                        enum staff_role role, const char *by, const char *now,
                        int64_t *id)
{
    const char *params[] = {email, name, staff_role_name(role), now, by};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_account_create", 5, params, &err);
    if (r == NULL)
        return err;
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_staff_account_deactivate(struct db *db, int64_t id, const char *email,
                            const char *by, const char *now,
                            struct staff_account *out)
{
    char idb[24];
    const char *params[] = {db_num(idb, id), email ? email : "", now, by};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_account_deactivate", 4, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK && out != NULL)
        account_from_row(r, 0, out);
    PQclear(r);
    return err;
}

enum rma_err
db_staff_account_by_email(struct db *db, const char *email,
                          struct staff_account *out)
{
    const char *params[] = {email};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_account_by_email", 1, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK)
        account_from_row(r, 0, out);
    PQclear(r);
    return err;
}

enum rma_err
db_staff_account_list_json(struct db *db, struct arena *a, char **json)
{
    return one_text(db, "staff_account_list_json", a, json);
}

enum rma_err
db_staff_audit(struct db *db, const char *actor_kind, const char *actor_name,
               const char *actor_role, const char *action,
               const char *detail_json, const char *now)
{
    const char *params[] = {now,        actor_kind, actor_name,
                            actor_role, action,     detail_json};
    return db_command(db, "staff_audit", 6, params, NULL);
}

enum rma_err
db_staff_code_store(struct db *db, const char *email,
                    const unsigned char hmac[SHA256_LEN], const char *now)
{
    char hex[SHA256_HEX_LEN];
    const char *params[] = {email, crypto_hex(hmac, SHA256_LEN, hex), now};
    return db_command(db, "staff_code_store", 3, params, NULL);
}

enum rma_err
db_staff_code_try(struct db *db, const char *email, const char *now,
                  unsigned char hmac[SHA256_LEN], int *tries)
{
    const char *params[] = {email, now};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_code_try", 2, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    hex_to_bytes(PQgetvalue(r, 0, 0), hmac, SHA256_LEN);
    *tries = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_staff_code_use(struct db *db, const char *email, const char *now)
{
    const char *params[] = {email, now};
    long n = 0;
    enum rma_err err = db_command(db, "staff_code_use", 2, params, &n);
    if (err != RMA_OK)
        return err;
    return n == 1 ? RMA_OK : RMA_ECONFLICT;
}

enum rma_err
db_staff_session_create(struct db *db, int64_t staff_id,
                        const unsigned char hash[SHA256_LEN], const char *now,
                        int absolute_hours)
{
    char hex[SHA256_HEX_LEN], id[24], hours[16];
    snprintf(hours, sizeof(hours), "%d", absolute_hours);
    const char *params[] = {crypto_hex(hash, SHA256_LEN, hex),
                            db_num(id, staff_id), now, hours};
    return db_command(db, "staff_session_create", 4, params, NULL);
}

enum rma_err
db_staff_session_find(struct db *db, const unsigned char hash[SHA256_LEN],
                      const char *now, int idle_minutes,
                      struct staff_identity *out, bool *stale)
{
    char hex[SHA256_HEX_LEN], idle[16];
    snprintf(idle, sizeof(idle), "%d", idle_minutes);
    const char *params[] = {crypto_hex(hash, SHA256_LEN, hex), now, idle};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_session_find", 3, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_EUNAUTH;
    }
    out->session_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    db_copy(out->name, sizeof(out->name), PQgetvalue(r, 0, 2));
    db_copy(out->display_name, sizeof(out->display_name), PQgetvalue(r, 0, 3));
    out->role = staff_role_parse(PQgetvalue(r, 0, 4));
    *stale = PQgetvalue(r, 0, 5)[0] == 't';
    PQclear(r);
    return out->role != 0 ? RMA_OK : RMA_EINTERNAL;
}

static enum rma_err
by_id(struct db *db, const char *stmt, int64_t id, const char *now)
{
    char buf[24];
    const char *params[] = {db_num(buf, id), now};
    return db_command(db, stmt, 2, params, NULL);
}

enum rma_err
db_staff_session_touch(struct db *db, int64_t session_id, const char *now)
{
    return by_id(db, "staff_session_touch", session_id, now);
}

enum rma_err
db_staff_session_revoke(struct db *db, int64_t session_id, const char *now)
{
    return by_id(db, "staff_session_revoke", session_id, now);
}

enum rma_err
db_staff_token_list_json(struct db *db, struct arena *a, char **json)
{
    return one_text(db, "staff_token_list_json", a, json);
}

enum rma_err
db_staff_token_revoke_id(struct db *db, int64_t id, char *name)
{
    char buf[24];
    const char *params[] = {db_num(buf, id)};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_token_revoke_id", 1, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK)
        db_copy(name, STAFF_NAME_MAX + 1, PQgetvalue(r, 0, 0));
    PQclear(r);
    return err;
}

enum rma_err
db_staff_housekeeping(struct db *db, const char *now, long *rows)
{
    static const char *const steps[] = {"staff_clean_codes",
                                        "staff_clean_sessions"};
    const char *params[] = {now};
    *rows = 0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        enum rma_err err;
        PGresult *r = db_run(db, steps[i], 1, params, &err);
        if (r == NULL)
            return err;
        *rows += strtol(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    return RMA_OK;
}

enum rma_err
db_staff_digest_due(struct db *db, const char *day, struct staff_account **out,
                    size_t *n)
{
    const char *params[] = {day};
    enum rma_err err;
    *out = NULL;
    *n = 0;
    PGresult *r = db_run(db, "staff_digest_due", 1, params, &err);
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
    for (int i = 0; i < rows; i++)
        account_from_row(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_staff_digest_claim(struct db *db, int64_t id, const char *day)
{
    char buf[24];
    const char *params[] = {db_num(buf, id), day};
    long n = 0;
    enum rma_err err = db_command(db, "staff_digest_claim", 2, params, &n);
    if (err != RMA_OK)
        return err;
    return n == 1 ? RMA_OK : RMA_ECONFLICT;
}

enum rma_err
db_staff_creator_of(struct db *db, int64_t rma_id, struct staff_account *out,
                    char *number, size_t n)
{
    char buf[24];
    const char *params[] = {db_num(buf, rma_id)};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_creator_of", 1, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? RMA_OK : RMA_ENOTFOUND;
    if (err == RMA_OK) {
        account_from_row(r, 0, out);
        db_copy(number, n, PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return err;
}
