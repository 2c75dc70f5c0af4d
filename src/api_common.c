/* api_common.c - small helpers every handler uses. */
#include <string.h>

#include "rma/api.h"

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
