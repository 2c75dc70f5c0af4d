/* api_staff_rma.c - agents and supervisors work on RMA solutions (SPEC §7):
 * create, edit, list and search, submit, approve, send back, confirm on the
 * customer's behalf, cancel.  Who may call what is in routes.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/mail.h"
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

struct rma_actor_info
api_staff_actor(const struct api_ctx *ctx)
{
    struct rma_actor_info who = {
        ctx->staff.role == ROLE_SUPERVISOR ? ACTOR_SUPERVISOR : ACTOR_AGENT,
        ctx->staff.name, staff_role_name(ctx->staff.role), false};
    if (ctx->staff.role == ROLE_WAREHOUSE)
        who.kind = ACTOR_WAREHOUSE;
    return who;
}

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

enum rma_err
api_staff_detail(struct api_ctx *ctx, int64_t id, bool created)
{
    struct rma_detail d;
    char *events;
    enum rma_err err =
        db_rma_detail(&ctx->app->db, NULL, id, 0, true, ctx->arena, &d);
    if (err == RMA_OK)
        err = db_rma_events_json(&ctx->app->db, id, true, ctx->arena, &events);
    json_t *ev = err == RMA_OK ? json_loads(events, 0, NULL) : NULL;
    if (err == RMA_OK && ev == NULL)
        err = RMA_EINTERNAL;
    if (err != RMA_OK)
        return err;
    json_decref(ctx->res->body);
    ctx->res->body = json_pack("{s:o}", "events", ev);
    err = api_detail_answer(ctx, &d, true);
    if (err != RMA_OK)
        return err;
    if (created)
        ctx->res->outcome = OUT_CREATED;
    return RMA_OK;
}

enum rma_err
api_staff_case(struct api_ctx *ctx, struct rma_ref *r)
{
    enum rma_err err = db_rma_find(&ctx->app->db, ctx->req->params[0], r);
    if (err == RMA_ENOTFOUND)
        return http_fail(ctx->res, err, NULL, "no such RMA", NULL);
    return err;
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
    struct policy_refund_plan plan = {0};
    if (err == RMA_OK && kind == KIND_REFUND)
        err = api_policy_refund_plan(ctx, doc, currency, &plan);
    if (err == RMA_OK)
        err = check_case(ctx, doc, currency, kind, order, total);
    char *text = err == RMA_OK ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    int64_t id = 0;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_rma_create(&ctx->app->db, text, who.name, ctx->now, &id);
    if (err == RMA_OK)
        err = api_policy_refund_record(ctx, id, &plan);
    bool pay_differs = false;
    if (err == RMA_OK && pay_method != NULL) {
        err = db_order_set_payment(&ctx->app->db, id, pay_method, pay_capture,
                                   pay_reference);
        pay_differs = err == RMA_ECONFLICT;
    }
    if (err == RMA_OK)
        err = db_rma_snapshot(&ctx->app->db, id, who.name, ctx->now);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, id, &who, "create", NULL, ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    free(text);
    if (err != RMA_OK)
        api_rollback(ctx);
    if (pay_differs)
        return http_fail(ctx->res, RMA_ERULE, "order_payment_differs",
                         "the order was recorded with another payment",
                         "order.payment");
    if (err == RMA_ERULE)
        return http_fail(ctx->res, err, "rule_violated",
                         "unknown model, or the order belongs to another "
                         "customer",
                         NULL);
    if (err != RMA_OK)
        return err;
    return api_staff_detail(ctx, id, true);
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
    char *text = err == RMA_OK ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    err = api_begin(ctx);
    if (err == RMA_OK && r.status == ST_REJECTED) {
        err = db_rma_transition(&ctx->app->db, &r, ST_DRAFT, EV_REVISE, &who,
                                NULL, ctx->now);
        r.status = ST_DRAFT;
    }
    if (err == RMA_OK)
        err = db_rma_edit(&ctx->app->db, r.id, text, ctx->now);
    if (err == RMA_OK)
        err = db_rma_snapshot(&ctx->app->db, r.id, who.name, ctx->now);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, r.id, &who, "edit", text, ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    free(text);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "state_changed",
                         "the RMA changed meanwhile: reload it", NULL);
    if (err != RMA_OK)
        return err;
    return api_staff_detail(ctx, r.id, false);
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
    struct rma_ref r;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    return api_staff_detail(ctx, r.id, false);
}

/* Whether policy asks a supervisor to review this case before the customer
 * sees it (config supervisor_review). */
static bool
needs_review(const struct rma_config *cfg, const struct rma_ref *r)
{
    if (cfg->review_policy == REVIEW_ALWAYS)
        return true;
    if (cfg->review_policy == REVIEW_NEVER)
        return false;
    /* The threshold is in major units with two decimals; scale it to the
     * case's currency exponent. */
    int exp = money_exponent(r->currency);
    int64_t threshold = cfg->review_threshold_minor;
    for (int e = exp; e < 2; e++)
        threshold /= 10;
    for (int e = 2; e < exp; e++)
        threshold *= 10;
    int64_t amount = r->refund_minor > r->replacement_minor
                         ? r->refund_minor
                         : r->replacement_minor;
    return amount > threshold;
}

/* Four eyes (SPEC §15): where policy asks for a supervisor's review, nobody
 * approves a case they created or edited (as the same staff name).  Inside
 * the approval's transaction, under the case's row lock, so that no edit
 * slips between the check and the approval.  403 four_eyes (answered). */
static enum rma_err
four_eyes(struct api_ctx *ctx, const struct rma_ref *r,
          const struct rma_actor_info *who)
{
    if (ctx->app->cfg->review_policy == REVIEW_NEVER)
        return RMA_OK;
    bool touched = true;
    enum rma_err err =
        db_rma_lock_staff_touched(&ctx->app->db, r->id, who->name, &touched);
    if (err == RMA_ENOTFOUND)
        return RMA_ECONFLICT;
    if (err == RMA_OK && touched)
        err = http_fail(ctx->res, RMA_EFORBIDDEN, "four_eyes",
                        "you created or edited this RMA: another supervisor "
                        "must approve it",
                        NULL);
    return err;
}

/* Moves r by ev (as the staff member), with everything that follows:
 * mail when it becomes visible to the customer, fulfilment when it is
 * confirmed.  One transaction. */
static enum rma_err
staff_transition(struct api_ctx *ctx, struct rma_ref *r, enum rma_event ev,
                 struct rma_actor_info *who, const char *detail_json,
                 const char *what, const char *cancel_reason)
{
    int to = rma_state_next(r->status, ev, r->kind, who->kind);
    if (to < 0)
        return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                         conflict_message(ctx, r, what), NULL);
    struct mail_text text = {0};
    enum rma_err err = RMA_OK;
    if (to == ST_PENDING_CONFIRM)
        err = mail_text_action_required(ctx->app->cfg->public_base_url,
                                        r->customer_name, r->number, &text);
    if (err == RMA_OK)
        err = api_begin(ctx);
    if (err == RMA_OK && ev == EV_APPROVE)
        err = four_eyes(ctx, r, who);
    if (err == RMA_OK && cancel_reason != NULL) /* a CHECK needs it first */
        err = db_rma_set_cancel_reason(&ctx->app->db, r->id, cancel_reason);
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, r, (enum rma_status)to, ev, who,
                                detail_json, ctx->now);
    struct hold_env env = api_hold_env(ctx, *who);
    int64_t void_id = 0;
    if (err == RMA_OK && ev == EV_CANCEL)
        err = case_release_hold_in_tx(&env, r->id, "cancelled", &void_id);
    if (err == RMA_OK && to == ST_PENDING_CONFIRM)
        err = mail_enqueue(&ctx->app->db, "action_required", r->id,
                           r->customer_email, text.subject, text.body);
    int next = rma_state_next(ST_CONFIRMED, EV_START_FULFILMENT, r->kind,
                              ACTOR_SYSTEM);
    if (err == RMA_OK && to == ST_CONFIRMED && next >= 0) {
        struct rma_ref confirmed = *r;
        confirmed.status = ST_CONFIRMED;
        struct rma_actor_info sys = {ACTOR_SYSTEM, "rma", NULL, false};
        err =
            db_rma_transition(&ctx->app->db, &confirmed, (enum rma_status)next,
                              EV_START_FULFILMENT, &sys, NULL, ctx->now);
    }
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err == RMA_OK && ev == EV_CANCEL)
        case_void_now(&env, void_id);
    mail_text_free(&text);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "state_changed",
                         "the RMA changed meanwhile: reload it", NULL);
    if (err != RMA_OK)
        return err;
    return api_staff_detail(ctx, r->id, false);
}

enum rma_err
api_staff_rma_submit(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    enum rma_event ev =
        needs_review(ctx->app->cfg, &r) ? EV_SUBMIT_REVIEWED : EV_SUBMIT;
    return staff_transition(ctx, &r, ev, &who, NULL, "submitting", NULL);
}

enum rma_err
api_staff_rma_approve(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    return staff_transition(ctx, &r, EV_APPROVE, &who, NULL, "approving", NULL);
}

static const struct field reason_spec[] = {
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

static enum rma_err
with_reason(struct api_ctx *ctx, enum rma_event ev, const char *what,
            bool on_behalf)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(reason_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    const char *reason = json_string_value(json_object_get(body, "reason"));
    char *detail = json_dumps(body, JSON_COMPACT);
    struct rma_actor_info who = api_staff_actor(ctx);
    who.on_behalf = on_behalf;
    err = staff_transition(ctx, &r, ev, &who, detail, what,
                           ev == EV_CANCEL ? reason : NULL);
    free(detail);
    json_decref(body);
    return err;
}

enum rma_err
api_staff_rma_send_back(struct api_ctx *ctx)
{
    return with_reason(ctx, EV_SEND_BACK, "sending back", false);
}

enum rma_err
api_staff_rma_confirm(struct api_ctx *ctx)
{
    return with_reason(ctx, EV_CONFIRM_ON_BEHALF, "confirming", true);
}

enum rma_err
api_staff_rma_cancel(struct api_ctx *ctx)
{
    return with_reason(ctx, EV_CANCEL, "cancelling", false);
}
