/* api_hold.c - the advanced replacement's hold over HTTP (SPEC §5.3, §7):
 * the customer's pre-authorization and PayPal's redirects, the warehouse's
 * shipments and receipts, the supervisor's extension, waiver and manual
 * capture, PayPal's webhooks.
 *
 * The PayPal calls of the request path are short (see hold_paypal_client,
 * made by api_common.c): what they cannot finish is written on the hold
 * first and finished by `rmactl run-jobs`. */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/hold_ops.h"
#include "rma/log.h"
#include "rma/refund_ops.h"

/* ---- the customer's pre-authorization ---- */

static const struct field preauth_spec[] = {
    {.name = "accept_terms", .type = FT_BOOLEAN, .required = true},
    {.name = "terms_version",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 32},
};

static const char *
url(struct api_ctx *ctx, const char *path)
{
    const char *base = ctx->app->cfg->public_base_url;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return arena_printf(ctx->arena, "%.*s%s", (int)n, base, path);
}

enum rma_err
api_rma_preauthorize(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(preauth_spec), &body);
    if (err != RMA_OK)
        return err;
    bool accepted = json_is_true(json_object_get(body, "accept_terms"));
    bool current =
        strcmp(json_string_value(json_object_get(body, "terms_version")),
               HOLD_TERMS_VERSION) == 0;
    json_decref(body);
    if (!accepted)
        return http_fail(ctx->res, RMA_ERULE, "terms_not_accepted",
                         "the pre-authorization agreement must be accepted",
                         "accept_terms");
    if (!current)
        return http_fail(ctx->res, RMA_ERULE, "terms_outdated",
                         "the agreement changed: reload it and accept the "
                         "current version",
                         "terms_version");
    struct rma_ref r;
    err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    struct hold_env env = api_hold_env(ctx, who);
    struct case_refusal no = {0};
    char approve_url[HOLD_URL_MAX], order_id[HOLD_ID_MAX];
    err = case_preauthorize(&env, r.id, ctx->req->remote_addr, approve_url,
                            order_id, &no);
    if (err != RMA_OK)
        return api_refused(ctx, err, &no);
    ctx->res->body = json_pack("{s:s, s:s}", "approve_url", approve_url,
                               "order_id", order_id);
    ctx->res->outcome = OUT_CREATED;
    return RMA_OK;
}

/* ---- PayPal's redirects ---- */

static enum rma_err
back_to_portal(struct api_ctx *ctx, const char *number,
               enum case_redirect outcome)
{
    const char *o = case_redirect_name(outcome);
    ctx->res->outcome = OUT_SEE_OTHER;
    ctx->res->location =
        number[0] ? url(ctx, arena_printf(ctx->arena, "/#/rmas/%s?paypal=%s",
                                          number, o))
                  : url(ctx, arena_printf(ctx->arena, "/#/?paypal=%s", o));
    return RMA_OK;
}

/* The order PayPal names in ?token=, or NULL. */
static const char *
order_token(struct api_ctx *ctx)
{
    enum rma_err err;
    const char *token = http_query_param(ctx->req, "token", &err);
    if (token == NULL || strlen(token) < 1 || strlen(token) > 64)
        return NULL;
    return token;
}

static const struct rma_actor_info system_actor = {ACTOR_SYSTEM, "rma", NULL,
                                                   false};

enum rma_err
api_paypal_return(struct api_ctx *ctx)
{
    const char *token = order_token(ctx);
    if (token == NULL)
        return back_to_portal(ctx, "", REDIRECT_UNKNOWN);
    struct hold_env env = api_hold_env(ctx, system_actor);
    char number[RMA_NUMBER_MAX + 1];
    enum case_redirect outcome;
    enum rma_err err = case_paypal_return(&env, token, number, &outcome);
    if (err != RMA_OK)
        return err;
    return back_to_portal(ctx, number, outcome);
}

enum rma_err
api_paypal_cancel(struct api_ctx *ctx)
{
    const char *token = order_token(ctx);
    if (token == NULL)
        return back_to_portal(ctx, "", REDIRECT_UNKNOWN);
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    struct hold_env env = api_hold_env(ctx, who);
    char number[RMA_NUMBER_MAX + 1];
    enum case_redirect outcome;
    enum rma_err err = case_paypal_cancel(
        &env, token, ctx->customer.customer_id, number, &outcome);
    if (err != RMA_OK)
        return err;
    return back_to_portal(ctx, number, outcome);
}

/* ---- warehouse ---- */

static const char *const shipment_kinds[] = {"replacement", "repaired",
                                             "resend", NULL};
static const struct field shipment_spec[] = {
    {.name = "kind", .type = FT_ENUM, .values = shipment_kinds},
    {.name = "carrier",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 40},
    {.name = "tracking_number",
     .type = FT_STRING,
     .required = true,
     .min = 6,
     .max = 40},
};

static bool
tracking_ok(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-") == strlen(s);
}

enum rma_err
api_staff_rma_shipments(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(shipment_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    const char *carrier = json_string_value(json_object_get(body, "carrier"));
    const char *tracking =
        json_string_value(json_object_get(body, "tracking_number"));
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (err == RMA_OK && !tracking_ok(tracking))
        err = http_fail(ctx->res, RMA_ERULE, "invalid_tracking_number",
                        "a tracking number has letters, digits and '-' only",
                        "tracking_number");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    char *detail = json_dumps(body, JSON_COMPACT);
    err = api_refused(
        ctx, case_ship(&env, r.id, kind, carrier, tracking, detail, &no), &no);
    free(detail);
    json_decref(body); /* after: the operation borrowed its strings */
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

static const char *const conditions[] = {"sealed",  "good",       "used",
                                         "damaged", "incomplete", NULL};
static const struct field receipt_spec[] = {
    {.name = "condition",
     .type = FT_ENUM,
     .required = true,
     .values = conditions},
    {.name = "serial_number", .type = FT_STRING, .min = 4, .max = 40},
    {.name = "uid", .type = FT_STRING, .min = 4, .max = 64},
    {.name = "notes", .type = FT_STRING, .max = 2000, .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_receipt(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(receipt_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *sn = json_string_value(json_object_get(body, "serial_number"));
    const char *uid = json_string_value(json_object_get(body, "uid"));
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err == RMA_OK && sn == NULL && uid == NULL)
        err = http_fail(ctx->res, RMA_ERULE, "serial_required",
                        "the received unit's serial_number or uid is required",
                        "serial_number");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    struct rma_actor_info who = api_staff_actor(ctx);
    struct receipt_row rc = {
        .rma_id = r.id,
        .condition = json_string_value(json_object_get(body, "condition")),
        .serial_number = sn,
        .uid = uid,
        .notes = json_string_value(json_object_get(body, "notes")),
        .received_at = ctx->now,
        .created_by = ctx->staff.name,
    };
    struct hold_env env = api_hold_env(ctx, who);
    struct case_refusal no = {0};
    err = api_refused(ctx, case_receive(&env, &rc, body, &no), &no);
    json_decref(body); /* after: the receipt borrowed its strings */
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

/* ---- supervisor ---- */

static const struct field extension_spec[] = {
    {.name = "deadline",
     .type = FT_STRING,
     .required = true,
     .min = 20,
     .max = 20},
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

static const struct field reason_spec[] = {
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_deadline_extension(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(extension_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *text = json_string_value(json_object_get(body, "deadline"));
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0') {
        json_decref(body);
        return http_fail(ctx->res, RMA_EINVAL, "invalid_deadline",
                         "deadline must be YYYY-MM-DDTHH:MM:SSZ", "deadline");
    }
    time_t deadline = timegm(&tm);
    char when[32];
    snprintf(when, sizeof(when), "%s", text);
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct case_refusal no = {0};
    if (err == RMA_OK) {
        struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
        err = api_refused(
            ctx, case_extend_deadline(&env, r.id, deadline, when, detail, &no),
            &no);
    }
    free(detail);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

/* waive-hold and capture-now: a reason, one case operation. */
static enum rma_err
hold_decision(struct api_ctx *ctx,
              enum rma_err (*op)(struct hold_env *, int64_t, const char *,
                                 struct case_refusal *))
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(reason_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct case_refusal no = {0};
    if (err == RMA_OK) {
        struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
        err = api_refused(ctx, op(&env, r.id, detail, &no), &no);
    }
    free(detail);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

enum rma_err
api_staff_rma_waive_hold(struct api_ctx *ctx)
{
    return hold_decision(ctx, case_waive_hold);
}

enum rma_err
api_staff_rma_capture_now(struct api_ctx *ctx)
{
    return hold_decision(ctx, case_capture_now);
}

/* ---- finance ---- */

static const struct field payout_spec[] = {
    {.name = "amount", .type = FT_MONEY, .required = true, .min = 1},
    {.name = "reference",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 200},
};

enum rma_err
api_staff_rma_refund_payout(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(payout_spec), &body);
    if (err != RMA_OK)
        return err;
    json_t *amount = json_object_get(body, "amount");
    struct money m;
    const char *cur =
        json_string_value(json_object_get(amount, "currency_code"));
    err = money_parse(json_string_value(json_object_get(amount, "value")), cur,
                      &m);
    char reference[201];
    snprintf(reference, sizeof(reference), "%s",
             json_string_value(json_object_get(body, "reference")));
    json_decref(body);
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "invalid_amount",
                         "amount is not a valid amount of its currency",
                         "amount");
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err = api_refused(
        ctx, refund_payout(&env, r.id, m.minor, m.currency, reference, &no),
        &no);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}
/* POST /staff/rmas/{number}/capture-refund {amount, reason}: the refund of
 * a hold captured before its return arrived, per the inspection (SPEC §14;
 * the agreement's clause 4); an amount of 0 refunds nothing. */
static const struct field capture_refund_spec[] = {
    {.name = "amount", .type = FT_MONEY, .required = true, .min = 0},
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_capture_refund(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(capture_refund_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    json_t *amount = json_object_get(body, "amount");
    const char *cur =
        json_string_value(json_object_get(amount, "currency_code"));
    struct money m = {0};
    if (err == RMA_OK &&
        (money_parse(json_string_value(json_object_get(amount, "value")), cur,
                     &m) != RMA_OK ||
         strcmp(cur, r.currency) != 0))
        err = http_fail(ctx->res, RMA_ERULE, "currency_mismatch",
                        arena_printf(ctx->arena,
                                     "the refund is in the case's currency, %s",
                                     r.currency),
                        "amount");
    const char *reason =
        err == RMA_OK
            ? arena_strdup(ctx->arena,
                           json_string_value(json_object_get(body, "reason")))
            : NULL;
    json_decref(body);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err = api_refused(
        ctx, case_refund_capture(&env, r.id, m.minor, reason, &no), &no);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}
