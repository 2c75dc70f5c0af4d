/* api_common.c - small helpers every handler uses. */
#include <stdlib.h>
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
