/* db_paypal.c - SQL for durable PayPal intents (db_paypal.h; the intents
 * themselves: paypal_intent.h). */
#include "rma/db_paypal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define INTENT_COLUMNS                                                         \
    "id, operation, request_id, case_id, hold_id, sequence, status,"           \
    " attempts, http_status, paypal_id, debug_id"

/* The intent for what a key is about: its operation and attempt, for its
 * hold (which names it) or, without one, its case; the arguments are the
 * parameters holding the operation, case id, hold id and sequence. */
#define INTENT_OF_KEY(op, cid, hid, seq)                                       \
    " FROM paypal_intent WHERE operation = " op " AND sequence = " seq         \
    "::integer AND CASE WHEN " hid "::bigint IS NOT NULL"                      \
    " THEN hold_id = " hid "::bigint"                                          \
    " ELSE hold_id IS NULL AND case_id = " cid "::bigint END"                  \
    " ORDER BY id DESC LIMIT 1"

/* paypal_intent_begin's: $1 operation, $3 case, $4 hold, $5 sequence. */
#define BEGIN_KEY INTENT_OF_KEY("$1", "$3", "$4", "$5")
/* paypal_intent_find_key's: $1 operation, $2 case, $3 hold, $4 sequence. */
#define FIND_KEY INTENT_OF_KEY("$1", "$2", "$3", "$4")

static const struct db_stmt stmts[] = {
    /* An open intent met again counts one more attempt; a final one is
     * returned as it is.  DO UPDATE (not DO NOTHING) so that the row comes
     * back even when a concurrent run inserted it.  The request id is the
     * one already recorded for the key if any (an intent from before the
     * installation prefix keeps its id: PayPal knows it by it), else $2. */
    {"paypal_intent_begin",
     "INSERT INTO paypal_intent"
     " (operation, request_id, case_id, hold_id, sequence, request)"
     " VALUES ($1, coalesce((SELECT request_id" BEGIN_KEY "), $2),"
     " $3::bigint, $4::bigint, $5::integer,"
     " COALESCE($6::jsonb, '{}'::jsonb))"
     " ON CONFLICT (request_id) DO UPDATE SET"
     " attempts = paypal_intent.attempts + CASE WHEN paypal_intent.status"
     " IN ('pending', 'unknown') THEN 1 ELSE 0 END, updated_at = now()"
     " RETURNING " INTENT_COLUMNS ", (xmax = 0) AS created",
     6},
    {"paypal_intent_finish",
     "UPDATE paypal_intent SET status = $2, http_status = $3::integer,"
     " response = $4::jsonb, paypal_id = COALESCE($5, paypal_id),"
     " error_name = $6, error_issue = $7, debug_id = COALESCE($8, debug_id),"
     " updated_at = now(), finished_at = CASE WHEN $2 IN ('succeeded',"
     " 'failed') THEN now() END"
     " WHERE request_id = $1 AND status IN ('pending', 'unknown')"
     " RETURNING id",
     8},
    {"paypal_intent_find",
     "SELECT " INTENT_COLUMNS ", false FROM paypal_intent"
     " WHERE request_id = $1",
     1},
    {"paypal_intent_find_key", "SELECT " INTENT_COLUMNS ", false" FIND_KEY, 4},
    {"installation_prefix", "SELECT request_id_prefix FROM installation", 0},
    /* PayPal's access token shared by the processes (0020). */
    {"paypal_token_get",
     "SELECT access_token, extract(epoch FROM expires_at)::bigint"
     " FROM paypal_token WHERE client_id_hash = $1 AND expires_at > now()",
     1},
    {"paypal_token_put",
     "INSERT INTO paypal_token (client_id_hash, access_token, expires_at)"
     " VALUES ($1, $2, to_timestamp($3::bigint))"
     " ON CONFLICT (client_id_hash) DO UPDATE SET"
     " access_token = EXCLUDED.access_token,"
     " expires_at = EXCLUDED.expires_at, updated_at = now()",
     3},
    {"paypal_intent_list_open",
     "SELECT " INTENT_COLUMNS ", false FROM paypal_intent"
     " WHERE status IN ('pending', 'unknown')"
     " AND updated_at <= now() - make_interval(secs => $1::double precision)"
     " ORDER BY updated_at, id LIMIT $2::integer",
     2},
};
const struct db_stmt_table db_paypal_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

static int64_t
to_i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static enum rma_err
row_to_intent(const PGresult *r, int row, struct paypal_intent *out)
{
    memset(out, 0, sizeof(*out));
    out->id = to_i64(db_get(r, row, 0));
    const char *op = db_get(r, row, 1);
    bool found = false;
    for (int i = PAYPAL_OP_ORDER_CREATE; i <= PAYPAL_OP_REFUND; i++)
        if (op && strcmp(op, paypal_operation_name(i)) == 0) {
            out->op = (enum paypal_operation)i;
            found = true;
        }
    db_copy(out->request_id, sizeof(out->request_id), db_get(r, row, 2));
    out->case_id = to_i64(db_get(r, row, 3));
    out->hold_id = to_i64(db_get(r, row, 4));
    out->sequence = (int)to_i64(db_get(r, row, 5));
    const char *st = db_get(r, row, 6);
    bool st_found = false;
    for (int i = PAYPAL_INTENT_PENDING; i <= PAYPAL_INTENT_UNKNOWN; i++)
        if (st && strcmp(st, paypal_intent_status_name(i)) == 0) {
            out->status = (enum paypal_intent_status)i;
            st_found = true;
        }
    out->attempts = (int)to_i64(db_get(r, row, 7));
    out->http_status = (int)to_i64(db_get(r, row, 8));
    db_copy(out->paypal_id, sizeof(out->paypal_id), db_get(r, row, 9));
    db_copy(out->debug_id, sizeof(out->debug_id), db_get(r, row, 10));
    const char *created = db_get(r, row, 11);
    out->created = created && created[0] == 't';
    return found && st_found ? RMA_OK : RMA_EINTERNAL;
}

static const char *
id_param(int64_t v, char *buf, size_t n)
{
    if (v <= 0)
        return NULL;
    snprintf(buf, n, "%" PRId64, v);
    return buf;
}

/* The installation's prefix into db->installation, once per connection. */
static enum rma_err
installation_prefix(struct db *db)
{
    if (db->installation[0] != '\0')
        return RMA_OK;
    enum rma_err err;
    PGresult *r = db_run(db, "installation_prefix", 0, NULL, &err);
    if (r == NULL)
        return err;
    const char *v = PQntuples(r) == 1 ? db_get(r, 0, 0) : NULL;
    err = v != NULL && v[0] != '\0' && strlen(v) < sizeof(db->installation)
              ? RMA_OK
              : RMA_EINTERNAL;
    if (err == RMA_OK)
        db_copy(db->installation, sizeof(db->installation), v);
    PQclear(r);
    return err;
}

/* The request id of key in this installation: the configured namespace
 * ("rma" by default), the installation's prefix, then paypal_request_id's
 * operation, owner and attempt: "rma-3f9c0d2e71b8a645-capture-h42-1". */
static enum rma_err
request_id(struct db *db, const struct paypal_intent_key *key, char *out,
           size_t n)
{
    enum rma_err err = installation_prefix(db);
    if (err != RMA_OK)
        return err;
    char prefix[64];
    int len = snprintf(prefix, sizeof(prefix), "%s-%s",
                       key->prefix ? key->prefix : "rma", db->installation);
    if (len < 0 || (size_t)len >= sizeof(prefix))
        return RMA_EINVAL;
    struct paypal_intent_key k = *key;
    k.prefix = prefix;
    return paypal_request_id(&k, out, n);
}

/* The parameters of INTENT_OF_KEY and paypal_intent_begin for key:
 * operation, request id (rid, may be NULL), case, hold, sequence, request
 * summary.  The buffers are the caller's. */
static void
key_params(const struct paypal_intent_key *key, const char *rid,
           const char *request_json, char cid[24], char hid[24], char seq[16],
           const char *params[6])
{
    snprintf(seq, 16, "%d", key->sequence ? key->sequence : 1);
    params[0] = paypal_operation_name(key->op);
    params[1] = rid;
    params[2] = id_param(key->case_id, cid, 24);
    params[3] = id_param(key->hold_id, hid, 24);
    params[4] = seq;
    params[5] = request_json;
}

enum rma_err
paypal_intent_find_key(struct db *db, const struct paypal_intent_key *key,
                       struct paypal_intent *out)
{
    char cid[24], hid[24], seq[16];
    const char *params[6];
    if (paypal_operation_name(key->op) == NULL ||
        (key->case_id <= 0 && key->hold_id <= 0))
        return RMA_EINVAL;
    key_params(key, NULL, NULL, cid, hid, seq, params);
    const char *find[] = {params[0], params[2], params[3], params[4]};
    enum rma_err err;
    PGresult *r = db_run(db, "paypal_intent_find_key", 4, find, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? row_to_intent(r, 0, out) : RMA_ENOTFOUND;
    PQclear(r);
    return err;
}

enum rma_err
paypal_intent_begin(struct db *db, const struct paypal_intent_key *key,
                    const char *request_json, struct paypal_intent *out)
{
    char rid[PAYPAL_REQUEST_ID_MAX + 1], cid[24], hid[24], seq[16];
    enum rma_err err = request_id(db, key, rid, sizeof(rid));
    if (err != RMA_OK)
        return err;
    const char *params[6];
    key_params(key, rid, request_json, cid, hid, seq, params);
    PGresult *r = db_run(db, "paypal_intent_begin", 6, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? row_to_intent(r, 0, out) : RMA_EINTERNAL;
    PQclear(r);
    if (err == RMA_OK && (out->op != key->op || out->case_id != key->case_id ||
                          out->hold_id != key->hold_id))
        err = RMA_ECONFLICT; /* the id names another intent */
    return err;
}

enum rma_err
paypal_intent_find(struct db *db, const char *request_id,
                   struct paypal_intent *out)
{
    const char *params[] = {request_id};
    enum rma_err err;
    PGresult *r = db_run(db, "paypal_intent_find", 1, params, &err);
    if (r == NULL)
        return err;
    err = PQntuples(r) == 1 ? row_to_intent(r, 0, out) : RMA_ENOTFOUND;
    PQclear(r);
    return err;
}

/* A response body as jsonb text: JSON as it is, anything else wrapped so
 * that it is kept (e.g. an HTML error page from a proxy). */
static char *
response_text(const char *body)
{
    if (body == NULL || body[0] == '\0')
        return NULL;
    json_t *j = json_loads(body, JSON_DECODE_ANY, NULL);
    if (j == NULL)
        j = json_pack("{s:s%}", "unparsed", body,
                      strnlen(body, 4096) < 4096 ? strlen(body) : 4096);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return s;
}

static const char *
nonempty(const char *s)
{
    return s && s[0] ? s : NULL;
}

enum rma_err
paypal_intent_finish(struct db *db, const char *request_id,
                     enum paypal_intent_status status,
                     const char *response_json, const char *paypal_id,
                     const struct paypal_result *res)
{
    if (status == PAYPAL_INTENT_PENDING ||
        paypal_intent_status_name(status) == NULL || request_id == NULL)
        return RMA_EINVAL;
    char http[16];
    const char *http_p = NULL;
    if (res != NULL && res->http_status > 0) {
        snprintf(http, sizeof(http), "%d", res->http_status);
        http_p = http;
    }
    char *resp = response_text(response_json);
    const char *params[] = {request_id,
                            paypal_intent_status_name(status),
                            http_p,
                            resp,
                            nonempty(paypal_id),
                            res ? nonempty(res->name) : NULL,
                            res ? nonempty(res->issue) : NULL,
                            res ? nonempty(res->debug_id) : NULL};
    enum rma_err err;
    PGresult *r = db_run(db, "paypal_intent_finish", 8, params, &err);
    free(resp);
    if (r == NULL)
        return err;
    int n = PQntuples(r);
    PQclear(r);
    if (n == 1)
        return RMA_OK;
    struct paypal_intent cur;
    err = paypal_intent_find(db, request_id, &cur);
    if (err != RMA_OK)
        return err;
    return cur.status == status ? RMA_OK : RMA_ECONFLICT;
}

enum rma_err
paypal_intent_list_open(struct db *db, long older_than_s,
                        struct paypal_intent *out, size_t max, size_t *n)
{
    char secs[24], lim[24];
    *n = 0;
    snprintf(secs, sizeof(secs), "%ld", older_than_s < 0 ? 0 : older_than_s);
    snprintf(lim, sizeof(lim), "%zu", max > 10000 ? (size_t)10000 : max);
    const char *params[] = {secs, lim};
    enum rma_err err;
    PGresult *r = db_run(db, "paypal_intent_list_open", 2, params, &err);
    if (r == NULL)
        return err;
    int rows = PQntuples(r);
    for (int i = 0; i < rows && (size_t)i < max; i++) {
        err = row_to_intent(r, i, &out[i]);
        if (err != RMA_OK)
            break;
        (*n)++;
    }
    PQclear(r);
    return err;
}

/* ---- the shared access token ---- */

enum rma_err
db_paypal_token_get(struct db *db, const char *key, char *token, size_t n,
                    time_t *use_until)
{
    const char *params[] = {key};
    enum rma_err err;
    PGresult *r = db_run(db, "paypal_token_get", 1, params, &err);
    if (r == NULL)
        return err;
    const char *t = PQntuples(r) == 1 ? db_get(r, 0, 0) : NULL;
    err = t == NULL ? RMA_ENOTFOUND : strlen(t) < n ? RMA_OK : RMA_EINTERNAL;
    if (err == RMA_OK) {
        db_copy(token, n, t);
        *use_until = (time_t)to_i64(db_get(r, 0, 1));
    }
    PQclear(r);
    return err;
}

enum rma_err
db_paypal_token_put(struct db *db, const char *key, const char *token,
                    time_t use_until)
{
    char until[24];
    const char *params[] = {key, token, db_num(until, (int64_t)use_until)};
    return db_command(db, "paypal_token_put", 3, params, NULL);
}
