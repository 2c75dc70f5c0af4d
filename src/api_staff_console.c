/* api_staff_console.c - the console's queues and scan box (SPEC §15):
 * GET /api/v1/staff/queues, GET /api/v1/staff/queues/{name},
 * GET /api/v1/staff/scan?code=. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/console.h"
#include "rma/orders.h"

#define QUEUE_LIMIT_DEFAULT 100
#define QUEUE_LIMIT_MAX 500
#define SCAN_MAX 64

enum rma_err
api_staff_queues(struct api_ctx *ctx)
{
    struct console_count counts[32];
    size_t n = 0;
    enum rma_err err =
        db_console_counts(&ctx->app->db, ctx->now, counts, 32, &n);
    if (err != RMA_OK)
        return err;
    json_t *list = json_array();
    for (size_t i = 0; i < console_nqueues; i++) {
        const struct console_queue *q = &console_queues[i];
        if (!console_queue_visible(q, ctx->staff.role))
            continue;
        const struct console_count *c = NULL;
        for (size_t k = 0; k < n; k++)
            if (strcmp(counts[k].name, q->name) == 0)
                c = &counts[k];
        json_t *roles = json_array();
        for (unsigned bit = 1; bit <= ROLE_ADMIN; bit <<= 1)
            if (q->roles & bit)
                json_array_append_new(
                    roles, json_string(staff_role_name((enum staff_role)bit)));
        json_t *item =
            json_pack("{s:s, s:s, s:o, s:i}", "name", q->name, "title",
                      q->title, "roles", roles, "count", c ? (int)c->count : 0);
        if (c != NULL && c->oldest[0] != '\0')
            json_object_set_new(item, "oldest", json_string(c->oldest));
        json_array_append_new(list, item);
    }
    ctx->res->body =
        json_pack("{s:s, s:s, s:o}", "role", staff_role_name(ctx->staff.role),
                  "now", ctx->now, "queues", list);
    return RMA_OK;
}

enum rma_err
api_staff_queue_get(struct api_ctx *ctx)
{
    const struct console_queue *q = console_queue_find(ctx->req->params[0]);
    if (q == NULL)
        return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such queue", NULL);
    if (!console_queue_visible(q, ctx->staff.role))
        return http_fail(ctx->res, RMA_EFORBIDDEN, NULL,
                         "this queue is another role's work", NULL);
    enum rma_err err;
    const char *limit_s = http_query_param(ctx->req, "limit", &err);
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    int limit = QUEUE_LIMIT_DEFAULT;
    if (limit_s != NULL) {
        char *end;
        long v = strtol(limit_s, &end, 10);
        if (*limit_s == '\0' || *end != '\0' || v < 1 || v > QUEUE_LIMIT_MAX)
            return http_fail(ctx->res, RMA_EINVAL, "invalid_limit",
                             "limit takes 1 to 500", "limit");
        limit = (int)v;
    }
    char *json;
    err = db_console_queue_json(&ctx->app->db, q->name, ctx->now, limit,
                                ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    /* The items are sent as PostgreSQL wrote them, not parsed and printed
     * again (SPEC §11). */
    ctx->res->body = json_pack("{s:s, s:s, s:s}", "name", q->name, "title",
                               q->title, "now", ctx->now);
    return api_json_merge_members(
        ctx, "{}", arena_printf(ctx->arena, "\"items\": %s", json));
}

enum rma_err
api_staff_scan(struct api_ctx *ctx)
{
    enum rma_err err;
    const char *code = http_query_param(ctx->req, "code", &err);
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    /* What a scanner or a person types: trimmed, printable ASCII. */
    size_t len = code ? strlen(code) : 0;
    while (len > 0 && code[len - 1] == ' ')
        len--;
    while (len > 0 && *code == ' ') {
        code++;
        len--;
    }
    if (len == 0 || len > SCAN_MAX)
        return http_fail(ctx->res, RMA_ERULE, "invalid_code",
                         "scan or type 1 to 64 characters: an RMA number, a "
                         "tracking number, a serial number or a UID",
                         "code");
    char exact[SCAN_MAX + 1], normalized[SCAN_MAX + 1];
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)code[i];
        if (c < 0x20 || c > 0x7e)
            return http_fail(ctx->res, RMA_ERULE, "invalid_code",
                             "the code takes printable ASCII characters",
                             "code");
        exact[i] = (char)c;
        if (c != ' ' && c != '-')
            normalized[m++] = (char)toupper(c);
    }
    exact[len] = '\0';
    normalized[m] = '\0';
    char *json;
    err = db_console_scan_json(&ctx->app->db, exact, normalized, ctx->arena,
                               &json);
    if (err != RMA_OK)
        return err;
    json_t *matches = json_loads(json, 0, NULL);
    if (matches == NULL)
        return RMA_EINTERNAL;
    ctx->res->body = json_pack("{s:s, s:o}", "code", exact, "matches", matches);
    return RMA_OK;
}

enum rma_err
api_staff_orders(struct api_ctx *ctx)
{
    enum rma_err err;
    const char *q = http_query_param(ctx->req, "q", &err);
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    while (q != NULL && *q == ' ')
        q++;
    size_t len = q ? strlen(q) : 0;
    while (len > 0 && q[len - 1] == ' ')
        len--;
    if (len == 0 || len > 254)
        return http_fail(ctx->res, RMA_ERULE, "invalid_query",
                         "give an order number or the customer's e-mail "
                         "address",
                         "q");
    char today[11];
    snprintf(today, sizeof(today), "%.10s", ctx->now);
    char *json;
    err = db_order_search_json(&ctx->app->db, arena_strndup(ctx->arena, q, len),
                               today, ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    json_t *orders = json_loads(json, 0, NULL);
    if (orders == NULL)
        return RMA_EINTERNAL;
    ctx->res->body = json_pack("{s:o}", "orders", orders);
    return RMA_OK;
}
