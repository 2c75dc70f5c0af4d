/* db_auth.c - SQL for sign-in codes, sessions, rate limits, idempotency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/auth.h"

static const struct db_stmt stmts[] = {
    {"rate_hit",
     "INSERT INTO rate_limit AS r (key, window_start, hits)"
     " VALUES ($1, to_timestamp(floor(extract(epoch FROM $2::timestamptz)"
     "  / $3) * $3), 1)"
     " ON CONFLICT (key, window_start) DO UPDATE SET hits = r.hits + 1"
     " RETURNING hits, ceil(extract(epoch FROM r.window_start"
     "  + make_interval(secs => $3) - $2::timestamptz))::int",
     3},
    {"customer_by_email", "SELECT id FROM customer WHERE email = $1", 1},
    {"login_code_store",
     "INSERT INTO login_code (email, code_hmac, created_at, expires_at)"
     " VALUES ($1, decode($2, 'hex'), $3, $3::timestamptz"
     "  + interval '15 minutes')"
     " ON CONFLICT (email) DO UPDATE SET code_hmac = excluded.code_hmac,"
     " created_at = excluded.created_at, expires_at = excluded.expires_at,"
     " tries = 0, used_at = NULL",
     3},
    {"login_code_try",
     "UPDATE login_code SET tries = tries + 1"
     " WHERE email = $1 AND used_at IS NULL AND expires_at > $2"
     " RETURNING encode(code_hmac, 'hex'), tries",
     2},
    {"login_code_use",
     "UPDATE login_code SET used_at = $2 WHERE email = $1 AND used_at IS NULL",
     2},
    {"session_create",
     "INSERT INTO customer_session (token_hash, customer_id, created_at,"
     " last_seen_at, expires_at) VALUES (decode($1, 'hex'), $2, $3, $3,"
     " $3::timestamptz + make_interval(hours => $4))",
     4},
    {"session_find",
     "SELECT " SESSION_LIVE_COLUMNS SESSION_LIVE_FROM SESSION_LIVE_WHERE, 3},
    {"session_touch",
     "UPDATE customer_session SET last_seen_at = $2 WHERE id = $1", 2},
    {"session_revoke",
     "UPDATE customer_session SET revoked_at = $2"
     " WHERE id = $1 AND revoked_at IS NULL",
     2},
    {"idem_begin",
     "INSERT INTO idempotency_key (customer_id, key, request_hash, status,"
     " body) VALUES ($1, $2, decode($3, 'hex'), 0, '')"
     " ON CONFLICT DO NOTHING",
     3},
    {"idem_get",
     "SELECT status, body, request_hash = decode($3, 'hex')"
     " FROM idempotency_key WHERE customer_id = $1 AND key = $2",
     3},
    {"idem_finish",
     "UPDATE idempotency_key SET status = $3, body = $4"
     " WHERE customer_id = $1 AND key = $2",
     4},
    {"idem_abort",
     "DELETE FROM idempotency_key WHERE customer_id = $1 AND key = $2"
     " AND status = 0",
     2},
};
const struct db_stmt_table db_auth_stmts = {stmts,
                                            sizeof(stmts) / sizeof(stmts[0])};

static void
hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

enum rma_err
db_rate_hit(struct db *db, const char *key, int window_seconds, int limit,
            const char *now, bool *allowed, int *retry_after)
{
    char win[16];
    snprintf(win, sizeof(win), "%d", window_seconds);
    const char *params[] = {key, now, win};
    enum rma_err err;
    PGresult *r = db_run(db, "rate_hit", 3, params, &err);
    if (r == NULL)
        return err;
    long hits = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    int left = (int)strtol(PQgetvalue(r, 0, 1), NULL, 10);
    PQclear(r);
    *allowed = hits <= limit;
    *retry_after = left > 0 ? left : 1;
    return RMA_OK;
}

enum rma_err
db_customer_by_email(struct db *db, const char *email, int64_t *id)
{
    const char *params[] = {email};
    enum rma_err err;
    PGresult *r = db_run(db, "customer_by_email", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_login_code_store(struct db *db, const char *email,
                    const unsigned char hmac[SHA256_LEN], const char *now)
{
    char hex[SHA256_HEX_LEN];
    const char *params[] = {email, crypto_hex(hmac, SHA256_LEN, hex), now};
    return db_command(db, "login_code_store", 3, params, NULL);
}

enum rma_err
db_login_code_try(struct db *db, const char *email, const char *now,
                  unsigned char hmac[SHA256_LEN], int *tries)
{
    const char *params[] = {email, now};
    enum rma_err err;
    PGresult *r = db_run(db, "login_code_try", 2, params, &err);
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
db_login_code_use(struct db *db, const char *email, const char *now)
{
    const char *params[] = {email, now};
    long n = 0;
    enum rma_err err = db_command(db, "login_code_use", 2, params, &n);
    if (err != RMA_OK)
        return err;
    return n == 1 ? RMA_OK : RMA_ECONFLICT;
}

enum rma_err
db_session_create(struct db *db, int64_t customer_id,
                  const unsigned char hash[SHA256_LEN], const char *now,
                  int absolute_hours)
{
    char hex[SHA256_HEX_LEN], id[24], hours[16];
    snprintf(id, sizeof(id), "%lld", (long long)customer_id);
    snprintf(hours, sizeof(hours), "%d", absolute_hours);
    const char *params[] = {crypto_hex(hash, SHA256_LEN, hex), id, now, hours};
    return db_command(db, "session_create", 4, params, NULL);
}

enum rma_err
db_session_find(struct db *db, const unsigned char hash[SHA256_LEN],
                const char *now, int idle_minutes, struct customer_session *out)
{
    char hex[SHA256_HEX_LEN], idle[16];
    snprintf(idle, sizeof(idle), "%d", idle_minutes);
    const char *params[] = {crypto_hex(hash, SHA256_LEN, hex), now, idle};
    enum rma_err err;
    PGresult *r = db_run(db, "session_find", 3, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_EUNAUTH;
    }
    db_session_from_row(r, out);
    PQclear(r);
    return RMA_OK;
}

void
db_session_from_row(const PGresult *r, struct customer_session *out)
{
    out->session_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->customer_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    snprintf(out->email, sizeof(out->email), "%s", PQgetvalue(r, 0, 2));
    out->stale = PQgetvalue(r, 0, 3)[0] == 't';
}

static enum rma_err
by_id(struct db *db, const char *stmt, int64_t id, const char *now)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    const char *params[] = {buf, now};
    return db_command(db, stmt, 2, params, NULL);
}

enum rma_err
db_session_touch(struct db *db, int64_t session_id, const char *now)
{
    return by_id(db, "session_touch", session_id, now);
}

enum rma_err
db_session_revoke(struct db *db, int64_t session_id, const char *now)
{
    return by_id(db, "session_revoke", session_id, now);
}

enum rma_err
db_idem_begin(struct db *db, int64_t customer_id, const char *key,
              const unsigned char request_hash[SHA256_LEN], int *status,
              char **body, bool *same)
{
    char id[24], hex[SHA256_HEX_LEN];
    snprintf(id, sizeof(id), "%lld", (long long)customer_id);
    const char *params[] = {id, key, crypto_hex(request_hash, SHA256_LEN, hex)};
    long n = 0;
    enum rma_err err = db_command(db, "idem_begin", 3, params, &n);
    if (err != RMA_OK || n == 1)
        return err;
    PGresult *r = db_run(db, "idem_get", 3, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) { /* aborted meanwhile: treat as in progress */
        PQclear(r);
        *status = 0;
        *body = NULL;
        *same = true;
        return RMA_ECONFLICT;
    }
    *status = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
    *body = strdup(PQgetvalue(r, 0, 1));
    *same = PQgetvalue(r, 0, 2)[0] == 't';
    PQclear(r);
    return RMA_ECONFLICT;
}

enum rma_err
db_idem_finish(struct db *db, int64_t customer_id, const char *key, int status,
               const char *body)
{
    char id[24], st[8];
    snprintf(id, sizeof(id), "%lld", (long long)customer_id);
    snprintf(st, sizeof(st), "%d", status);
    const char *params[] = {id, key, st, body};
    return db_command(db, "idem_finish", 4, params, NULL);
}

enum rma_err
db_idem_abort(struct db *db, int64_t customer_id, const char *key)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)customer_id);
    const char *params[] = {id, key};
    return db_command(db, "idem_abort", 2, params, NULL);
}
