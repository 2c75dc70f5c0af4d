/* api_exception.c - finance's exceptions over HTTP (SPEC §14): GET
 * /api/v1/staff/exceptions?status=open|resolved|all&kind=&rma=&limit=
 * (rma: one case's), POST
 * /api/v1/staff/exceptions/{id}/resolve {outcome, note, amount?}. */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/exception.h"
#include "rma/money.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 500

static const char *const kinds[] = {"capture_failed",
                                    "hold_expired",
                                    "makeup_unmatched",
                                    "makeup_underpaid",
                                    "makeup_overpaid",
                                    "makeup_duplicate",
                                    "serial_mismatch",
                                    "ledger_verify",
                                    "stray_hold",
                                    "void_refused",
                                    "paypal_mismatch",
                                    "refund_failed",
                                    NULL};

static bool
known_kind(const char *k)
{
    for (size_t i = 0; kinds[i] != NULL; i++)
        if (strcmp(kinds[i], k) == 0)
            return true;
    return false;
}

enum rma_err
api_staff_exception_list(struct api_ctx *ctx)
{
    enum rma_err err;
    const char *status = http_query_param(ctx->req, "status", &err);
    const char *kind =
        err == RMA_OK ? http_query_param(ctx->req, "kind", &err) : NULL;
    const char *limit_s =
        err == RMA_OK ? http_query_param(ctx->req, "limit", &err) : NULL;
    const char *rma =
        err == RMA_OK ? http_query_param(ctx->req, "rma", &err) : NULL;
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    if (status == NULL || *status == '\0')
        status = "open";
    if (strcmp(status, "open") != 0 && strcmp(status, "resolved") != 0 &&
        strcmp(status, "all") != 0)
        return http_fail(ctx->res, RMA_EINVAL, "invalid_status",
                         "status is one of open, resolved, all", "status");
    if (kind != NULL && *kind == '\0')
        kind = NULL;
    if (kind != NULL && !known_kind(kind))
        return http_fail(ctx->res, RMA_EINVAL, "invalid_kind",
                         "unknown exception kind", "kind");
    if (rma != NULL && *rma == '\0')
        rma = NULL;
    if (rma != NULL && !rma_number_valid(rma))
        return http_fail(ctx->res, RMA_EINVAL, "invalid_rma",
                         "rma is an RMA number such as RMA-2026-000001", "rma");
    int limit = LIMIT_DEFAULT;
    if (limit_s != NULL) {
        char *end;
        long v = strtol(limit_s, &end, 10);
        if (*limit_s == '\0' || *end != '\0' || v < 1 || v > LIMIT_MAX)
            return http_fail(ctx->res, RMA_EINVAL, "invalid_limit",
                             "limit takes 1 to 500", "limit");
        limit = (int)v;
    }
    char *json;
    err = db_exception_list(&ctx->app->db, status, kind, rma, limit, ctx->arena,
                            &json);
    if (err != RMA_OK)
        return err;
    json_t *list = json_loads(json, 0, NULL);
    if (list == NULL)
        return RMA_EINTERNAL;
    ctx->res->body = json_pack("{s:o}", "exceptions", list);
    return RMA_OK;
}

static const char *const outcomes[] = {"closed", "collected", "paid_out", NULL};
static const struct field resolve_spec[] = {
    {.name = "outcome", .type = FT_ENUM, .required = true, .values = outcomes},
    {.name = "note",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 2000,
     .flags = F_MULTILINE},
    {.name = "amount", .type = FT_MONEY, .min = 1},
};

enum rma_err
api_staff_exception_resolve(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(resolve_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *s = ctx->req->params[0];
    char *end = NULL;
    long long id = 0;
    if (*s >= '1' && *s <= '9' && strlen(s) <= 18)
        id = strtoll(s, &end, 10);
    if (id <= 0 || end == NULL || *end != '\0') {
        json_decref(body);
        return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such exception",
                         NULL);
    }
    /* Copied: body goes before the answer is written. */
    const char *o = arena_strdup(
        ctx->arena, json_string_value(json_object_get(body, "outcome")));
    enum exception_outcome outcome =
        strcmp(o, "collected") == 0  ? EXCEPTION_COLLECTED
        : strcmp(o, "paid_out") == 0 ? EXCEPTION_PAID_OUT
                                     : EXCEPTION_CLOSED;
    struct money m = {0};
    json_t *amount = json_object_get(body, "amount");
    if (amount != NULL &&
        money_parse(json_string_value(json_object_get(amount, "value")),
                    json_string_value(json_object_get(amount, "currency_code")),
                    &m) != RMA_OK) {
        json_decref(body);
        return http_fail(ctx->res, RMA_EINVAL, "invalid_amount",
                         "amount is not a valid amount of its currency",
                         "amount");
    }
    char *note = arena_strdup(ctx->arena,
                              json_string_value(json_object_get(body, "note")));
    json_decref(body);
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err = api_refused(
        ctx,
        exception_resolve(&env, id, outcome, m.minor, m.currency, note, &no),
        &no);
    if (err != RMA_OK)
        return err;
    ctx->res->body = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id,
                               "status", "resolved", "outcome", o);
    return RMA_OK;
}
