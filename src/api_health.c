/* api_health.c - GET /healthz and GET /metrics. */
#include "rma/api.h"
#include "rma/db_metrics.h"
#include "rma/metrics.h"

#define METRICS_MAX_BYTES (4 * 1024 * 1024)

enum rma_err
api_health_get(struct api_ctx *ctx)
{
    enum rma_err err = db_ping(&ctx->app->db);
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EDB, "database_unavailable",
                         "database unreachable", NULL);
    ctx->res->body = json_pack("{s:s, s:s}", "status", "ok", "database", "ok");
    return RMA_OK;
}

enum rma_err
api_metrics_get(struct api_ctx *ctx)
{
    const char **names = arena_calloc(ctx->arena, n_routes, sizeof(char *));
    const char **meths = arena_calloc(ctx->arena, n_routes, sizeof(char *));
    for (size_t i = 0; i < n_routes; i++) {
        names[i] = routes[i].pattern;
        switch (routes[i].method) {
        case HTTP_GET: meths[i] = "GET"; break;
        case HTTP_HEAD: meths[i] = "HEAD"; break;
        case HTTP_POST: meths[i] = "POST"; break;
        case HTTP_PUT: meths[i] = "PUT"; break;
        case HTTP_PATCH: meths[i] = "PATCH"; break;
        case HTTP_DELETE: meths[i] = "DELETE"; break;
        }
    }
    /* What other processes did (the job, other pools) is in the database:
     * one cheap read; without it the pool's own counters still answer. */
    struct metrics_db d;
    if (db_metrics_read(&ctx->app->db, &d) != RMA_OK)
        d.ok = false;
    struct buf b;
    buf_init(&b, METRICS_MAX_BYTES);
    enum rma_err err = metrics_render(&b, names, meths, &d);
    if (err != RMA_OK) {
        buf_free(&b);
        return RMA_EINTERNAL;
    }
    ctx->res->outcome = OUT_TEXT;
    ctx->res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    ctx->res->text_body =
        arena_strndup(ctx->arena, b.data ? b.data : "", b.len);
    ctx->res->text_len = b.len;
    buf_free(&b);
    return RMA_OK;
}
