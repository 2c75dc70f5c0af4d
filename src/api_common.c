/* api_common.c - small helpers every handler uses, below every
 * api_<resource>.c (and api_detail.c): the body, JSON answers,
 * transactions, and the environment of a case operation for this request
 * (its PayPal client made at first use, process-lifetime). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"

enum rma_err
api_body(struct api_ctx *ctx, const struct field *spec, size_t n, json_t **out)
{
    return http_json_parse(ctx->req->body, ctx->req->body_len, ctx->arena,
                           ctx->res, spec, n, out);
}

enum rma_err
api_json_text(struct api_ctx *ctx, const char *json)
{
    json_t *v = json_loads(json, 0, NULL);
    if (v == NULL)
        return RMA_EINTERNAL;
    json_decref(ctx->res->body);
    ctx->res->body = v;
    return RMA_OK;
}

enum rma_err
api_json_merge_text(struct api_ctx *ctx, const char *doc)
{
    size_t len = strlen(doc);
    while (len > 0 && (doc[len - 1] == '\n' || doc[len - 1] == ' '))
        len--;
    if (len < 2 || doc[0] != '{' || doc[len - 1] != '}')
        return RMA_EINTERNAL;
    char *extra = ctx->res->body != NULL && json_object_size(ctx->res->body)
                      ? json_dumps(ctx->res->body, JSON_COMPACT)
                      : NULL;
    if (extra == NULL) {
        ctx->res->json_text = arena_strndup(ctx->arena, doc, len);
        return RMA_OK;
    }
    bool empty = strspn(doc + 1, " ") == len - 2; /* "{}" or "{ }" */
    /* doc without its closing brace, a comma, extra without its opening one */
    ctx->res->json_text = arena_printf(ctx->arena, "%.*s%s%s", (int)(len - 1),
                                       doc, empty ? "" : ",", extra + 1);
    free(extra);
    return RMA_OK;
}

enum rma_err
api_begin(struct api_ctx *ctx)
{
    return db_begin(&ctx->app->db);
}

enum rma_err
api_commit(struct api_ctx *ctx)
{
    return db_commit(&ctx->app->db);
}

void
api_rollback(struct api_ctx *ctx)
{
    db_rollback(&ctx->app->db);
}

/* ---- the case operations' environment ---- */

struct paypal_client *
api_paypal_client(struct api_ctx *ctx)
{
    struct app *app = ctx->app;
    if (app->paypal == NULL) {
        /* The token the jobs and other workers use, if there is one. */
        app->paypal = hold_paypal_client(app->cfg, true);
        hold_paypal_token_load(app->paypal, &app->db, app->cfg);
    }
    return app->paypal;
}

struct hold_env
api_hold_env(struct api_ctx *ctx, struct rma_actor_info who)
{
    struct hold_env env = {
        .db = &ctx->app->db,
        .pc = api_paypal_client(ctx),
        .cfg = ctx->app->cfg,
        .who = who,
    };
    hold_env_set_now(&env, ctx->now_t);
    return env;
}

enum rma_err
api_refused(struct api_ctx *ctx, enum rma_err err,
            const struct case_refusal *no)
{
    if (err != RMA_OK && no->code != NULL)
        /* The refusal lives on the caller's stack: the answer keeps a
         * copy for the request's lifetime. */
        return http_fail(ctx->res, err, no->code,
                         arena_strdup(ctx->arena, no->message), no->field);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "state_changed",
                         "the RMA changed meanwhile: reload it", NULL);
    return err;
}

/* ---- the shipping address's fields (§14) ---- */

static const struct field address_spec[] = {
    {.name = "name", .type = FT_STRING, .required = true, .min = 1, .max = 100},
    {.name = "line1",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 100},
    {.name = "line2", .type = FT_STRING, .max = 100},
    {.name = "city", .type = FT_STRING, .required = true, .min = 1, .max = 60},
    {.name = "region", .type = FT_STRING, .max = 60},
    {.name = "postal_code", .type = FT_STRING, .max = 20},
    {.name = "country", .type = FT_COUNTRY, .required = true},
    {.name = "phone", .type = FT_STRING, .required = true, .min = 7, .max = 20},
};

static bool
valid_phone(const char *p)
{
    int digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr("+ -().", *p))
            return false;
    }
    return digits >= 7 && digits <= 15;
}

static bool
valid_postal_code(const char *p)
{
    for (; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= 'a' && *p <= 'z') || *p == ' ' || *p == '-'))
            return false;
    return true;
}

enum rma_err
api_address_body(struct api_ctx *ctx, char **json, const char **country)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(address_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *phone = json_string_value(json_object_get(body, "phone"));
    const char *postal =
        json_string_value(json_object_get(body, "postal_code"));
    if (!valid_phone(phone))
        err = http_fail(ctx->res, RMA_ERULE, "invalid_phone",
                        "phone must have 7 to 15 digits", "phone");
    else if (postal != NULL && !valid_postal_code(postal))
        err = http_fail(ctx->res, RMA_ERULE, "invalid_postal_code",
                        "postal_code has characters that are not allowed",
                        "postal_code");
    if (err == RMA_OK) {
        char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
        *json = arena_strdup(ctx->arena, text);
        free(text);
        *country = arena_strdup(
            ctx->arena, json_string_value(json_object_get(body, "country")));
    }
    json_decref(body);
    return err;
}
