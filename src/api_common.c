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
    /* doc without its closing brace, a comma, extra without its opening
     * one; copied, not formatted (vsnprintf is slow on a document of
     * kilobytes, and this is the API read, SPEC §11) */
    size_t elen = strlen(extra + 1);
    char *out = arena_alloc(ctx->arena, len - 1 + 1 + elen + 1);
    memcpy(out, doc, len - 1);
    size_t at = len - 1;
    if (!empty)
        out[at++] = ',';
    memcpy(out + at, extra + 1, elen + 1);
    ctx->res->json_text = out;
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
    if (app->paypal == NULL)
        app->paypal = hold_paypal_client(app->cfg, true);
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
