/* api_common.c - small helpers every handler uses, below every
 * api_<resource>.c (and api_detail.c): the body, JSON answers,
 * transactions, and the environment of a case operation for this request
 * (its PayPal client made at first use, process-lifetime). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/orders.h"

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
    return api_json_merge_members(ctx, doc, NULL);
}

enum rma_err
api_json_merge_members(struct api_ctx *ctx, const char *doc,
                       const char *members)
{
    size_t len = strlen(doc);
    while (len > 0 && (doc[len - 1] == '\n' || doc[len - 1] == ' '))
        len--;
    if (len < 2 || doc[0] != '{' || doc[len - 1] != '}')
        return RMA_EINTERNAL;
    char *extra = ctx->res->body != NULL && json_object_size(ctx->res->body)
                      ? json_dumps(ctx->res->body, JSON_COMPACT)
                      : NULL;
    /* doc without its closing brace, then each part after a comma: the
     * members text, the body's without its braces; copied, not formatted
     * (vsnprintf is slow on a document of kilobytes, and this is the API
     * read, SPEC §11) */
    const char *parts[] = {members, extra != NULL ? extra + 1 : NULL};
    size_t plen[] = {members != NULL ? strlen(members) : 0,
                     extra != NULL ? strlen(extra + 1) - 1 : 0};
    char *out = arena_alloc(ctx->arena, len + plen[0] + plen[1] + 3);
    memcpy(out, doc, len - 1);
    size_t at = len - 1;
    bool empty = strspn(doc + 1, " ") == len - 2; /* "{}" or "{ }" */
    for (size_t i = 0; i < 2; i++) {
        if (parts[i] == NULL || plen[i] == 0)
            continue;
        if (!empty)
            out[at++] = ',';
        memcpy(out + at, parts[i], plen[i]);
        at += plen[i];
        empty = false;
    }
    out[at++] = '}';
    out[at] = '\0';
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

/* The lines of a new case's order: the stored order's when it is there
 * (imported, entered once, or a previous case's: the request's items are
 * then not used), else the request's items. */
static enum rma_err
order_lines_of(struct api_ctx *ctx, json_t *order, struct order_line **lines,
               size_t *n)
{
    enum rma_err err = db_order_lines(
        &ctx->app->db,
        json_string_value(json_object_get(order, "sales_channel")),
        json_string_value(json_object_get(order, "order_number")), ctx->arena,
        lines, n);
    if (err != RMA_ENOTFOUND)
        return err;
    json_t *items = json_object_get(order, "items");
    *n = json_array_size(items);
    *lines = arena_calloc(ctx->arena, *n ? *n : 1, sizeof(**lines));
    if (*lines == NULL)
        return RMA_EINTERNAL;
    for (size_t i = 0; i < *n; i++) {
        json_t *it = json_array_get(items, i);
        (*lines)[i].model = json_string_value(json_object_get(it, "model"));
        (*lines)[i].quantity =
            (long)json_integer_value(json_object_get(it, "quantity"));
    }
    return RMA_OK;
}

/* 422 device_not_on_order (answered) when a device of devices is not on
 * lines; order names the order in the message. */
static enum rma_err
devices_on_lines(struct api_ctx *ctx, const struct order_line *lines,
                 size_t n_lines, json_t *devices, const char *order)
{
    size_t n_models = json_array_size(devices);
    const char **models =
        arena_calloc(ctx->arena, n_models ? n_models : 1, sizeof(*models));
    if (models == NULL)
        return RMA_EINTERNAL;
    for (size_t i = 0; i < n_models; i++)
        models[i] = json_string_value(
            json_object_get(json_array_get(devices, i), "model"));
    long bad = order_lines_first_missing(lines, n_lines, models, n_models);
    if (bad < 0)
        return RMA_OK;
    return http_fail(ctx->res, RMA_ERULE, "device_not_on_order",
                     arena_printf(ctx->arena,
                                  "device %ld (%s) is not on %s: each device "
                                  "must be one of the order's lines, at most "
                                  "as many of a model as the order has",
                                  bad + 1, models[bad], order),
                     "devices");
}

enum rma_err
api_devices_on_order(struct api_ctx *ctx, json_t *doc)
{
    json_t *order = json_object_get(doc, "order");
    struct order_line *lines = NULL;
    size_t n = 0;
    enum rma_err err = order_lines_of(ctx, order, &lines, &n);
    if (err != RMA_OK)
        return err;
    return devices_on_lines(ctx, lines, n, json_object_get(doc, "devices"),
                            arena_printf(ctx->arena, "order %s",
                                         json_string_value(json_object_get(
                                             order, "order_number"))));
}

enum rma_err
api_devices_on_case_order(struct api_ctx *ctx, int64_t rma_id, json_t *doc)
{
    json_t *devices = json_object_get(doc, "devices");
    if (devices == NULL)
        return RMA_OK;
    struct order_line *lines = NULL;
    size_t n = 0;
    enum rma_err err =
        db_order_lines_of_rma(&ctx->app->db, rma_id, ctx->arena, &lines, &n);
    if (err == RMA_ENOTFOUND)
        n = 0; /* an order without lines: nothing is on it */
    else if (err != RMA_OK)
        return err;
    return devices_on_lines(ctx, lines, n, devices, "the case's order");
}
