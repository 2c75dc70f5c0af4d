/* api_export.c - GET /api/v1/staff/exports/{kind}.csv?from=&to= (SPEC §8):
 * a finance export streamed as CSV while PostgreSQL returns it, then
 * audited.
 *
 * Nothing is sent before the export's query has run and the first buffer of
 * CSV is ready, so a bad request or an unavailable database still gets the
 * usual error envelope.  Once the headers are out, a failure (or an audit
 * that cannot be written) cuts the connection instead of ending the
 * response, so a client never mistakes a partial file for a whole one. */
#include <stdio.h>

#include "rma/api.h"
#include "rma/export.h"
#include "rma/log.h"

/* The FastCGI stream as the CSV writer's sink: the headers go out with the
 * first piece of the body. */
struct stream_sink {
    struct api_ctx *ctx;
    const char *filename;
    bool started;
};

static int
stream_write(void *arg, const char *data, size_t len)
{
    struct stream_sink *s = arg;
    if (!s->started) {
        char disposition[EXPORT_FILENAME_MAX + 32];
        snprintf(disposition, sizeof(disposition),
                 "attachment; filename=\"%s\"", s->filename);
        http_add_header(s->ctx->res, s->ctx->arena, "Content-Disposition",
                        disposition);
        http_stream_begin(s->ctx->req, s->ctx->res, "text/csv; charset=utf-8");
        s->started = true;
    }
    return http_stream_write(s->ctx->req, data, len);
}

/* The replica's connection when one is configured, else the service's. */
static struct db *
export_db(struct app *app)
{
    return app->export_db.conninfo != NULL ? &app->export_db : &app->db;
}

static enum rma_err
parse_period(struct api_ctx *ctx, struct export_period *p)
{
    enum rma_err e1, e2;
    const char *from = http_query_param(ctx->req, "from", &e1);
    const char *to = http_query_param(ctx->req, "to", &e2);
    if (e1 != RMA_OK || e2 != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    const char *field;
    enum rma_err err = export_period_parse(from, to, p, &field);
    if (err == RMA_EINVAL && (field[0] == 'f' ? from : to) == NULL)
        return http_fail(ctx->res, err, "missing_parameter",
                         "from and to are required", field);
    if (err == RMA_EINVAL)
        return http_fail(ctx->res, err, "bad_time",
                         "expected a date (2026-11-01) or a time "
                         "(2026-11-01T10:00:00Z)",
                         field);
    if (err == RMA_ERULE)
        return http_fail(ctx->res, err, "empty_period",
                         "to must be later than from", "to");
    return err;
}

enum rma_err
api_export_get(struct api_ctx *ctx)
{
    enum export_kind kind;
    if (!export_kind_parse(ctx->req->params[0], &kind))
        return http_fail(ctx->res, RMA_ENOTFOUND, "unknown_export",
                         "no such export", NULL);
    struct export_period period;
    enum rma_err err = parse_period(ctx, &period);
    if (err != RMA_OK)
        return err;
    char filename[EXPORT_FILENAME_MAX];
    export_filename(kind, &period, filename);
    struct stream_sink sink = {.ctx = ctx, .filename = filename};
    if (ctx->req->method == HTTP_HEAD) {
        (void)stream_write(&sink, NULL, 0);
        return RMA_OK;
    }

    struct csv_writer w;
    csv_init(&w, stream_write, &sink);
    uint64_t rows = 0;
    struct db *from_db = export_db(ctx->app);
    enum export_replica_state replica_state = EXPORT_REPLICA_CAUGHT_UP;
    int64_t behind = 0;
    if (from_db != &ctx->app->db)
        err = export_wait_for_replica(&ctx->app->db, from_db,
                                      ctx->app->cfg->export_max_lag_seconds,
                                      &replica_state, &behind);
    if (err == RMA_OK)
        err = export_run(from_db, kind, &period, &w, &rows);
    const char *outcome = err != RMA_OK ? "failed"
                          : w.failed    ? "output_failed"
                                        : "completed";
    struct export_audit audit = {
        .actor_kind = "staff",
        .actor_name = ctx->staff.name,
        .actor_role = staff_role_name(ctx->staff.role),
        .via = "http",
        .kind = kind,
        .period = &period,
        .rows = rows,
        .outcome = outcome,
        .at = ctx->now,
    };
    enum rma_err audit_err = db_export_audit(&ctx->app->db, &audit);
    log_event(err == RMA_OK && audit_err == RMA_OK ? LOG_INFO : LOG_ERROR,
              "export", "{s:s, s:s, s:s, s:I, s:s, s:s, s:b}", "kind",
              export_kind_name(kind), "from", period.from_text, "to",
              period.to_text, "rows", (json_int_t)rows, "outcome", outcome,
              "staff", ctx->staff.name, "audited", audit_err == RMA_OK);
    if (replica_state == EXPORT_REPLICA_BEHIND)
        return http_fail(ctx->res, RMA_EDB, "replica_behind",
                         "the export replica is behind; try again shortly",
                         NULL);
    if (!sink.started) /* nothing sent: an ordinary error answer */
        return err != RMA_OK ? err : audit_err;
    if (err != RMA_OK || w.failed || audit_err != RMA_OK)
        http_stream_abort(ctx->req);
    return RMA_OK;
}
