/* api_staff_rma.c - agents and supervisors work on RMA solutions (SPEC §7):
 * create (with the refund policy's proposal), edit, list and search, read.
 * Who may call what is in routes.c; the case's way through review, to
 * confirmation or cancellation, is api_staff_workflow.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/money.h"
#include "rma/policy_db.h"
#include "rma/refund.h"
#include "rma/rma.h"

static const char *const kinds[] = {"refund", "replacement", "resend", "repair",
                                    NULL};
static const char *const makeup_reasons[] = {
    "shipping_fee", "replacement_fee", "repair_fee", "restocking_fee", NULL};

static const struct field customer_spec[] = {
    {.name = "email", .type = FT_EMAIL, .required = true},
    {.name = "name", .type = FT_STRING, .required = true, .min = 1, .max = 200},
};
static const struct field item_spec[] = {
    {.name = "model", .type = FT_STRING, .required = true, .min = 1, .max = 64},
    {.name = "quantity",
     .type = FT_INTEGER,
     .required = true,
     .min = 1,
     .max = 1000},
    {.name = "unit_price", .type = FT_MONEY, .required = true},
};
static const char *const payment_methods[] = {"paypal", "other", NULL};
/* How the original order was paid (SPEC §14): a refund goes back there. */
static const struct field payment_spec[] = {
    {.name = "method",
     .type = FT_ENUM,
     .required = true,
     .values = payment_methods},
    {.name = "capture_id", .type = FT_STRING, .min = 1, .max = 64},
    {.name = "reference", .type = FT_STRING, .min = 1, .max = 200},
};
static const struct field order_spec[] = {
    {.name = "order_number",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "sales_channel",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "shipping_country", .type = FT_COUNTRY, .required = true},
    {.name = "currency", .type = FT_CURRENCY, .required = true},
    {.name = "purchase_date", .type = FT_DATE, .required = true},
    {.name = "items",
     .type = FT_ARRAY,
     .required = true,
     .min = 1,
     .max = 50,
     .sub = FIELDS(item_spec)},
    {.name = "payment", .type = FT_OBJECT, .sub = FIELDS(payment_spec)},
};
static const struct field device_spec[] = {
    {.name = "model", .type = FT_STRING, .required = true, .min = 1, .max = 64},
    {.name = "serial_number", .type = FT_STRING, .min = 4, .max = 40},
    {.name = "uid", .type = FT_STRING, .min = 4, .max = 64},
    {.name = "whole_kit", .type = FT_BOOLEAN},
};
static const struct field override_spec[] = {
    {.name = "in_warranty", .type = FT_BOOLEAN, .required = true},
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500},
};

#define CASE_FIELDS                                                            \
    {.name = "problem",                                                        \
     .type = FT_STRING,                                                        \
     .min = 1,                                                                 \
     .max = 2000,                                                              \
     .flags = F_MULTILINE},                                                    \
        {.name = "devices",                                                    \
         .type = FT_ARRAY,                                                     \
         .min = 1,                                                             \
         .max = 20,                                                            \
         .sub = FIELDS(device_spec)},                                          \
        {.name = "refund_amount", .type = FT_MONEY},                           \
        {.name = "replacement_value", .type = FT_MONEY, .min = 1},             \
        {.name = "makeup_due", .type = FT_MONEY, .min = 1},                    \
        {.name = "makeup_reason", .type = FT_ENUM, .values = makeup_reasons},  \
        {.name = "warranty_override",                                          \
         .type = FT_OBJECT,                                                    \
         .sub = FIELDS(override_spec)},                                        \
    {                                                                          \
        .name = "warehouse_region", .type = FT_STRING, .min = 2, .max = 16     \
    }

static const struct field create_spec[] = {
    {.name = "customer",
     .type = FT_OBJECT,
     .required = true,
     .sub = FIELDS(customer_spec)},
    {.name = "order",
     .type = FT_OBJECT,
     .required = true,
     .sub = FIELDS(order_spec)},
    {.name = "kind", .type = FT_ENUM, .required = true, .values = kinds},
    /* Why refund_amount departs from the refund policy (policy.h). */
    {.name = "refund_override_reason",
     .type = FT_STRING,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
    CASE_FIELDS,
};
static const struct field edit_spec[] = {CASE_FIELDS};

static bool
identifier_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= 'a' && *s <= 'z') || *s == '-'))
            return false;
    return true;
}

/* Minor units of a validated money field, or -1 when absent. */
static int64_t
minor_of(json_t *doc, const char *name, const char *currency, bool *mismatch)
{
    json_t *m = json_object_get(doc, name);
    if (m == NULL || json_is_null(m))
        return -1;
    const char *cur = json_string_value(json_object_get(m, "currency_code"));
    struct money v;
    if (strcmp(cur, currency) != 0) {
        *mismatch = true;
        return -1;
    }
    money_parse(json_string_value(json_object_get(m, "value")), cur, &v);
    return v.minor;
}

/* The total of a new case's order (quantity times unit price, summed) into
 * *total, every step checked against MONEY_MAX_MINOR: 422
 * amount_out_of_range (answered) past it.  Each unit price is already
 * bounded (FT_MONEY); a unit price in another currency is answered later
 * by check_case. */
static enum rma_err
order_total(struct api_ctx *ctx, json_t *order, int64_t *total)
{
    int64_t sum = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(order, "items"), i, it)
    {
        json_t *up = json_object_get(it, "unit_price");
        const char *cur =
            json_string_value(json_object_get(up, "currency_code"));
        struct money p;
        int64_t line;
        if (money_parse(json_string_value(json_object_get(up, "value")), cur,
                        &p) != RMA_OK ||
            !money_mul(p.minor,
                       json_integer_value(json_object_get(it, "quantity")),
                       &line) ||
            !money_add(sum, line, &sum)) {
            char max[MONEY_TEXT_MAX];
            money_format_minor(MONEY_MAX_MINOR, money_exponent(cur), max);
            return http_fail(ctx->res, RMA_ERULE, "amount_out_of_range",
                             arena_printf(ctx->arena,
                                          "the order's total (quantity times "
                                          "unit_price, summed) must be at "
                                          "most %s %s",
                                          max, cur),
                             "items");
        }
    }
    *total = sum;
    return RMA_OK;
}

/* Rules across fields, for a new case (order != NULL, order_total its
 * total) or an edit (order_total the stored order's). */
static enum rma_err
check_case(struct api_ctx *ctx, json_t *doc, const char *currency,
           enum rma_kind kind, json_t *order, int64_t order_total)
{
    struct http_response *res = ctx->res;
    json_t *devices = json_object_get(doc, "devices");
    size_t i;
    json_t *d;
    json_array_foreach(devices, i, d)
    {
        const char *sn = json_string_value(json_object_get(d, "serial_number"));
        const char *uid = json_string_value(json_object_get(d, "uid"));
        if (sn == NULL && uid == NULL)
            return http_fail(res, RMA_ERULE, "device_identifier_required",
                             "each device needs a serial_number or a uid",
                             "devices");
        if ((sn && !identifier_ok(sn)) || (uid && !identifier_ok(uid)))
            return http_fail(res, RMA_ERULE, "invalid_identifier",
                             "serial_number and uid take letters, digits "
                             "and dashes",
                             "devices");
    }
    bool mismatch = false;
    int64_t refund = minor_of(doc, "refund_amount", currency, &mismatch);
    int64_t replacement =
        minor_of(doc, "replacement_value", currency, &mismatch);
    int64_t makeup = minor_of(doc, "makeup_due", currency, &mismatch);
    if (order != NULL) {
        size_t j;
        json_t *it;
        json_array_foreach(json_object_get(order, "items"), j, it)
        {
            json_t *p = json_object_get(it, "unit_price");
            if (strcmp(json_string_value(json_object_get(p, "currency_code")),
                       currency) != 0)
                mismatch = true;
        }
    }
    if (mismatch)
        return http_fail(res, RMA_ERULE, "currency_mismatch",
                         arena_printf(ctx->arena,
                                      "every amount must be in the order's "
                                      "currency, %s",
                                      currency),
                         NULL);
    if (kind == KIND_REFUND && order != NULL && refund < 0)
        return http_fail(res, RMA_ERULE, "required",
                         "a refund needs refund_amount", "refund_amount");
    if (kind == KIND_REPLACEMENT && order != NULL && replacement < 0)
        return http_fail(res, RMA_ERULE, "required",
                         "a replacement needs replacement_value (the hold "
                         "amount)",
                         "replacement_value");
    (void)makeup;
    if (json_object_get(doc, "makeup_due") != NULL &&
        json_object_get(doc, "makeup_reason") == NULL)
        return http_fail(res, RMA_ERULE, "required",
                         "makeup_due needs makeup_reason", "makeup_reason");
    if (order != NULL) {
        const char *day =
            json_string_value(json_object_get(order, "purchase_date"));
        if (strncmp(day, ctx->now, 10) > 0)
            return http_fail(res, RMA_ERULE, "purchase_in_future",
                             "purchase_date is in the future", "purchase_date");
    }
    if (refund > order_total)
        return http_fail(res, RMA_ERULE, "refund_exceeds_order",
                         "refund_amount exceeds the order's total",
                         "refund_amount");
    return RMA_OK;
}

/* ---- the refund of a new case (policy.h) ---- */

struct refund_plan {
    bool applies;                /* a refund case with a known line */
    int64_t price, fee;          /* minor units */
    const char *note;            /* why, for the customer; arena */
    const char *override_reason; /* the agent's, or NULL; arena */
};

static char *
money_text(struct api_ctx *ctx, int64_t minor, const char *currency)
{
    char out[MONEY_TEXT_MAX];
    money_format_minor(minor, money_exponent(currency), out);
    return arena_printf(ctx->arena, "%s %s", out, currency);
}

/* For a new refund case (doc validated against the create spec): proposes
 * refund_amount (price less the restocking fee) when it is absent, and
 * refuses a refund past the window or another amount without
 * refund_override_reason (422 answered). */
static enum rma_err
refund_plan(struct api_ctx *ctx, json_t *doc, const char *currency,
            struct refund_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    json_t *order = json_object_get(doc, "order");
    json_t *devices = json_object_get(doc, "devices");
    const char *model =
        json_string_value(json_object_get(json_array_get(devices, 0), "model"));
    time_t bought;
    if (model == NULL || policy_parse_date(json_string_value(json_object_get(
                                               order, "purchase_date")),
                                           &bought) != RMA_OK)
        return RMA_OK; /* refused by the case's own checks */
    struct policy_line line;
    enum rma_err err = db_policy_line_for_model(&ctx->app->db, model, &line);
    if (err == RMA_ENOTFOUND)
        return RMA_OK; /* unknown model: refused when the case is created */
    if (err != RMA_OK)
        return err;

    int64_t price = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(order, "items"), i, it)
    {
        struct money p;
        json_t *up = json_object_get(it, "unit_price");
        if (money_parse(json_string_value(json_object_get(up, "value")),
                        json_string_value(json_object_get(up, "currency_code")),
                        &p) != RMA_OK ||
            strcmp(p.currency, currency) != 0)
            return RMA_OK; /* currency_mismatch, answered by check_case */
        int64_t item_total;
        if (!money_mul(p.minor,
                       json_integer_value(json_object_get(it, "quantity")),
                       &item_total) ||
            !money_add(price, item_total, &price))
            return RMA_OK; /* amount_out_of_range, answered by the caller */
    }
    struct policy_refund pr;
    policy_refund(&line, price, bought, ctx->now_t, &pr);

    char pct[16];
    policy_percent_text(line.restocking_fee_bp, pct);
    const char *reason =
        json_string_value(json_object_get(doc, "refund_override_reason"));
    json_t *given_j = json_object_get(doc, "refund_amount");
    int64_t given = -1;
    if (given_j != NULL) {
        struct money g;
        if (money_parse(
                json_string_value(json_object_get(given_j, "value")),
                json_string_value(json_object_get(given_j, "currency_code")),
                &g) != RMA_OK ||
            strcmp(g.currency, currency) != 0)
            return RMA_OK; /* currency_mismatch, answered by check_case */
        given = g.minor;
    }

    if (given < 0 && !pr.allowed)
        return http_fail(
            ctx->res, RMA_ERULE, "refund_window_passed",
            arena_printf(ctx->arena,
                         "the purchase was %ld days ago, past the %d-day "
                         "refund window: choose another kind, or set "
                         "refund_amount with refund_override_reason",
                         pr.days, line.refund_window_days),
            "kind");
    if (given < 0 || (pr.allowed && given == pr.amount)) {
        /* The policy's refund, as proposed. */
        if (given < 0) {
            char v[MONEY_TEXT_MAX];
            money_format_minor(pr.amount, money_exponent(currency), v);
            json_object_set_new(
                doc, "refund_amount",
                json_pack("{s:s, s:s}", "currency_code", currency, "value", v));
        }
        plan->applies = true;
        plan->price = price;
        plan->fee = pr.fee;
        plan->note = arena_printf(
            ctx->arena,
            "Returned within %d days of purchase: a %s%% restocking fee of "
            "%s is kept from the price of %s.",
            line.refund_window_days, pct, money_text(ctx, pr.fee, currency),
            money_text(ctx, price, currency));
        return RMA_OK;
    }
    /* An override: another amount, or a refund past the window. */
    if (reason == NULL)
        return http_fail(
            ctx->res, RMA_ERULE, "override_reason_required",
            pr.allowed
                ? arena_printf(ctx->arena,
                               "the refund policy proposes %s (price less a "
                               "%s%% restocking fee); another amount needs "
                               "refund_override_reason",
                               money_text(ctx, pr.amount, currency), pct)
                : arena_printf(ctx->arena,
                               "the purchase was %ld days ago, past the "
                               "%d-day refund window: a refund needs "
                               "refund_override_reason",
                               pr.days, line.refund_window_days),
            "refund_override_reason");
    plan->applies = true;
    plan->price = price;
    plan->fee = given < price ? price - given : 0;
    plan->override_reason = arena_strdup(ctx->arena, reason);
    plan->note =
        pr.allowed
            ? arena_printf(ctx->arena,
                           "The RMA team set this refund amount instead of "
                           "the policy's (the price less a %s%% restocking "
                           "fee).",
                           pct)
            : arena_printf(ctx->arena,
                           "Returned %ld days after purchase, past the %d-day "
                           "refund window: the RMA team granted this refund "
                           "as an exception.",
                           pr.days, line.refund_window_days);
    return RMA_OK;
}

enum rma_err
api_staff_rma_create(struct api_ctx *ctx)
{
    json_t *doc;
    enum rma_err err = api_body(ctx, FIELDS(create_spec), &doc);
    if (err != RMA_OK)
        return err;
    json_t *order = json_object_get(doc, "order");
    const char *currency =
        json_string_value(json_object_get(order, "currency"));
    enum rma_kind kind =
        rma_kind_parse(json_string_value(json_object_get(doc, "kind")));
    if (json_object_get(doc, "problem") == NULL ||
        json_object_get(doc, "devices") == NULL) {
        const char *missing =
            json_object_get(doc, "problem") ? "devices" : "problem";
        json_decref(doc);
        return http_fail(ctx->res, RMA_ERULE, "required",
                         "problem and devices are required", missing);
    }
    /* The order's payment: a PayPal capture, or another method with a
     * reference; copied before doc goes. */
    json_t *pay = json_object_get(order, "payment");
    const char *pm = json_string_value(json_object_get(pay, "method"));
    const char *pc = json_string_value(json_object_get(pay, "capture_id"));
    const char *pr = json_string_value(json_object_get(pay, "reference"));
    bool pay_ok = pay == NULL ||
                  (strcmp(pm, "paypal") == 0
                       ? pc != NULL && pr == NULL &&
                             strspn(pc, "ABCDEFGHIJKLMNOPQRSTUV"
                                        "WXYZabcdefghijklmnopq"
                                        "rstuvwxyz0123456789-") == strlen(pc)
                       : pr != NULL && pc == NULL);
    if (!pay_ok) {
        json_decref(doc);
        return http_fail(ctx->res, RMA_ERULE, "invalid_payment",
                         "order.payment is {method: paypal, capture_id} or "
                         "{method: other, reference}",
                         "order.payment");
    }
    char *pay_method = pay ? arena_strdup(ctx->arena, pm) : NULL;
    char *pay_capture = pc ? arena_strdup(ctx->arena, pc) : NULL;
    char *pay_reference = pr ? arena_strdup(ctx->arena, pr) : NULL;
    int64_t total = 0;
    err = order_total(ctx, order, &total);
    /* The refund policy proposes refund_amount or asks for a reason. */
    struct refund_plan plan = {0};
    if (err == RMA_OK && kind == KIND_REFUND)
        err = refund_plan(ctx, doc, currency, &plan);
    if (err == RMA_OK)
        err = check_case(ctx, doc, currency, kind, order, total);
    if (err == RMA_OK)
        err = api_devices_on_order(ctx, doc);
    char *text = err == RMA_OK ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (err != RMA_OK)
        return err;
    struct case_new c = {
        .doc_json = text,
        .pay_method = pay_method,
        .pay_capture = pay_capture,
        .pay_reference = pay_reference,
        .refund_applies = plan.applies,
        .refund_price = plan.price,
        .refund_fee = plan.fee,
        .refund_note = plan.note,
        .refund_override_reason = plan.override_reason,
    };
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    int64_t id = 0;
    err = api_refused(ctx, case_create(&env, &c, &id, &no), &no);
    free(text);
    return err == RMA_OK ? api_staff_detail(ctx, id, true) : err;
}

static const char *
conflict_message(struct api_ctx *ctx, const struct rma_ref *r, const char *what)
{
    return arena_printf(ctx->arena, "%s is not possible while the RMA is %s",
                        what, rma_status_name(r->status));
}

enum rma_err
api_staff_rma_edit(struct api_ctx *ctx)
{
    json_t *doc;
    enum rma_err err = api_body(ctx, FIELDS(edit_spec), &doc);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err == RMA_OK && r.status != ST_DRAFT && r.status != ST_REJECTED)
        err = http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                        conflict_message(ctx, &r, "editing"), NULL);
    if (err == RMA_OK)
        err =
            check_case(ctx, doc, r.currency, r.kind, NULL, r.order_total_minor);
    if (err == RMA_OK)
        err = api_devices_on_case_order(ctx, r.id, doc);
    char *text = err == RMA_OK ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err = api_refused(ctx, case_edit(&env, r.id, text, &no), &no);
    free(text);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

enum rma_err
api_staff_rma_list(struct api_ctx *ctx)
{
    enum rma_err err;
    const char *status = http_query_param(ctx->req, "status", &err);
    const char *q =
        err == RMA_OK ? http_query_param(ctx->req, "q", &err) : NULL;
    const char *limit_s =
        err == RMA_OK ? http_query_param(ctx->req, "limit", &err) : NULL;
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    if (status != NULL && *status == '\0')
        status = NULL;
    if (q != NULL && *q == '\0')
        q = NULL;
    if (status != NULL && rma_status_parse(status) < 0)
        return http_fail(ctx->res, RMA_EINVAL, "invalid_status",
                         "status is not a known status", "status");
    if (q != NULL && strlen(q) > 254)
        return http_fail(ctx->res, RMA_EINVAL, "too_long", "q is too long",
                         "q");
    int limit = 50;
    if (limit_s != NULL) {
        char *end;
        long v = strtol(limit_s, &end, 10);
        if (*limit_s == '\0' || *end != '\0' || v < 1 || v > 200)
            return http_fail(ctx->res, RMA_EINVAL, "invalid_limit",
                             "limit takes 1 to 200", "limit");
        limit = (int)v;
    }
    char *json;
    err =
        db_rma_search_json(&ctx->app->db, status, q, limit, ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    ctx->res->body = json_pack("{s:o}", "rmas", json_loads(json, 0, NULL));
    return RMA_OK;
}

enum rma_err
api_staff_rma_get(struct api_ctx *ctx)
{
    return api_staff_detail_read(ctx);
}
