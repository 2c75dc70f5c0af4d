/* api_staff_admin.c - the console's admin page (SPEC §15): staff accounts
 * (list, add, deactivate) and bearer tokens (list, create, revoke), each
 * change audited with the admin who made it.  Admin role only (routes.c). */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/staff_account.h"

static const char *const role_values[] = {"agent",   "supervisor", "warehouse",
                                          "finance", "admin",      NULL};

/* The {id} of the path: 1 to 2^63-1, else 404 (answered). */
static enum rma_err
path_id(struct api_ctx *ctx, int64_t *id)
{
    const char *s = ctx->req->params[0];
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < 1)
        return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such id", NULL);
    *id = (int64_t)v;
    return RMA_OK;
}

static enum rma_err
audit(struct api_ctx *ctx, const char *action, json_t *detail)
{
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    if (text == NULL)
        return RMA_EINTERNAL;
    enum rma_err err = db_staff_audit(&ctx->app->db, "staff", ctx->staff.name,
                                      staff_role_name(ctx->staff.role), action,
                                      text, ctx->now);
    free(text);
    return err;
}

static enum rma_err
answer_list(struct api_ctx *ctx, const char *key,
            enum rma_err (*list)(struct db *, struct arena *, char **))
{
    char *json;
    enum rma_err err = list(&ctx->app->db, ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    json_t *v = json_loads(json, 0, NULL);
    if (v == NULL)
        return RMA_EINTERNAL;
    json_decref(ctx->res->body);
    ctx->res->body = json_pack("{s:o}", key, v);
    return RMA_OK;
}

enum rma_err
api_staff_accounts_list(struct api_ctx *ctx)
{
    return answer_list(ctx, "accounts", db_staff_account_list_json);
}

static const struct field account_spec[] = {
    {.name = "email", .type = FT_EMAIL, .required = true},
    {.name = "name", .type = FT_STRING, .required = true, .min = 1, .max = 100},
    {.name = "role", .type = FT_ENUM, .required = true, .values = role_values},
};

enum rma_err
api_staff_accounts_create(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(account_spec), &body);
    if (err != RMA_OK)
        return err;
    char email[255];
    email_normalize(json_string_value(json_object_get(body, "email")), email);
    const char *name = json_string_value(json_object_get(body, "name"));
    enum staff_role role =
        staff_role_parse(json_string_value(json_object_get(body, "role")));
    int64_t id = 0;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_staff_account_create(&ctx->app->db, email, name, role,
                                      ctx->staff.name, ctx->now, &id);
    if (err == RMA_OK)
        err = audit(ctx, "staff_account_add",
                    json_pack("{s:s, s:s, s:s}", "email", email, "name", name,
                              "role", staff_role_name(role)));
    if (err == RMA_OK)
        err = api_commit(ctx);
    json_decref(body);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "account_exists",
                         "this address has an active staff account", "email");
    if (err == RMA_ERULE)
        return http_fail(ctx->res, err, "invalid_account",
                         "the name or address cannot be stored", NULL);
    if (err != RMA_OK)
        return err;
    err = answer_list(ctx, "accounts", db_staff_account_list_json);
    if (err != RMA_OK)
        return err;
    json_object_set_new(ctx->res->body, "created", json_integer(id));
    ctx->res->outcome = OUT_CREATED;
    return RMA_OK;
}

enum rma_err
api_staff_accounts_deactivate(struct api_ctx *ctx)
{
    int64_t id;
    enum rma_err err = path_id(ctx, &id);
    if (err != RMA_OK)
        return err;
    if (ctx->staff.session_id != 0 && id == ctx->staff.id)
        return http_fail(ctx->res, RMA_ECONFLICT, "own_account",
                         "you cannot deactivate your own account: ask "
                         "another admin",
                         NULL);
    struct staff_account gone;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_staff_account_deactivate(&ctx->app->db, id, NULL,
                                          ctx->staff.name, ctx->now, &gone);
    if (err == RMA_OK)
        err = audit(ctx, "staff_account_deactivate",
                    json_pack("{s:s, s:s}", "email", gone.email, "role",
                              staff_role_name(gone.role)));
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err == RMA_ENOTFOUND)
        return http_fail(ctx->res, err, NULL, "no such active account", NULL);
    if (err != RMA_OK)
        return err;
    return answer_list(ctx, "accounts", db_staff_account_list_json);
}

enum rma_err
api_staff_tokens_list(struct api_ctx *ctx)
{
    return answer_list(ctx, "tokens", db_staff_token_list_json);
}

static const struct field token_spec[] = {
    {.name = "name",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = STAFF_NAME_MAX},
    {.name = "role", .type = FT_ENUM, .required = true, .values = role_values},
};

enum rma_err
api_staff_tokens_create(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(token_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *name = json_string_value(json_object_get(body, "name"));
    enum staff_role role =
        staff_role_parse(json_string_value(json_object_get(body, "role")));
    char token[96];
    unsigned char hash[SHA256_LEN];
    int64_t id = 0;
    err = crypto_new_token(STAFF_TOKEN_PREFIX, token, sizeof(token));
    if (err == RMA_OK) {
        crypto_sha256(token, strlen(token), hash);
        err = api_begin(ctx);
    }
    if (err == RMA_OK)
        err = db_staff_token_create(&ctx->app->db, name, role, hash, &id);
    if (err == RMA_OK)
        err = audit(ctx, "staff_token_create",
                    json_pack("{s:s, s:s}", "name", name, "role",
                              staff_role_name(role)));
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err == RMA_OK) {
        ctx->res->body =
            json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "name",
                      name, "role", staff_role_name(role), "token", token);
        ctx->res->outcome = OUT_CREATED;
        http_add_header(ctx->res, ctx->arena, "Cache-Control", "no-store");
    }
    OPENSSL_cleanse(token, sizeof(token));
    json_decref(body);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "token_exists",
                         "this name has an active token: revoke it first",
                         "name");
    return err;
}

enum rma_err
api_staff_tokens_revoke(struct api_ctx *ctx)
{
    int64_t id;
    enum rma_err err = path_id(ctx, &id);
    if (err != RMA_OK)
        return err;
    char name[STAFF_NAME_MAX + 1];
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_staff_token_revoke_id(&ctx->app->db, id, name);
    if (err == RMA_OK)
        err =
            audit(ctx, "staff_token_revoke", json_pack("{s:s}", "name", name));
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err == RMA_ENOTFOUND)
        return http_fail(ctx->res, err, NULL, "no such active token", NULL);
    if (err != RMA_OK)
        return err;
    return answer_list(ctx, "tokens", db_staff_token_list_json);
}
