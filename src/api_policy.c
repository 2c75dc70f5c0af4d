/* api_policy.c - the vendors' policies in the API (policy.h): the refund
 * an agent's new refund case proposes, the warehouse's repair quote and the
 * customer's decision, the supervisor's extension of an RMA number's
 * validity, and the "policy" part of a case's detail. */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/mail.h"
#include "rma/money.h"
#include "rma/policy_db.h"

/* ---- the detail ---- */

/* ---- the refund of a new case ---- */

static char *
money_text(struct api_ctx *ctx, int64_t minor, const char *currency)
{
    char out[MONEY_TEXT_MAX];
    money_format_minor(minor, money_exponent(currency), out);
    return arena_printf(ctx->arena, "%s %s", out, currency);
}

enum rma_err
api_policy_refund_plan(struct api_ctx *ctx, json_t *doc, const char *currency,
                       struct policy_refund_plan *plan)
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
api_policy_refund_record(struct api_ctx *ctx, int64_t rma_id,
                         const struct policy_refund_plan *plan)
{
    if (!plan->applies)
        return RMA_OK;
    return db_policy_record_refund(&ctx->app->db, rma_id, plan->price,
                                   plan->fee, plan->note,
                                   plan->override_reason);
}

/* ---- the repair quote ---- */

static const struct field quote_spec[] = {
    {.name = "amount", .type = FT_MONEY, .required = true, .min = 1},
    {.name = "notes",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 2000,
     .flags = F_MULTILINE},
};

static enum rma_err
invalid_state(struct api_ctx *ctx, const struct rma_ref *r, const char *what)
{
    return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                     arena_printf(ctx->arena,
                                  "%s is not possible while the RMA is %s",
                                  what, rma_status_name(r->status)),
                     NULL);
}

static enum rma_err
changed(struct api_ctx *ctx, enum rma_err err)
{
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "state_changed",
                         "the RMA changed meanwhile: reload it", NULL);
    return err;
}

enum rma_err
api_staff_rma_quote(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(quote_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    struct rma_actor_info who = api_staff_actor(ctx);
    json_t *amount = json_object_get(body, "amount");
    const char *cur =
        json_string_value(json_object_get(amount, "currency_code"));
    struct money m;
    money_parse(json_string_value(json_object_get(amount, "value")), cur, &m);
    const char *notes = json_string_value(json_object_get(body, "notes"));
    if (strcmp(cur, r.currency) != 0)
        err = http_fail(ctx->res, RMA_ERULE, "currency_mismatch",
                        arena_printf(ctx->arena,
                                     "the quote must be in the case's "
                                     "currency, %s",
                                     r.currency),
                        "amount");
    else if (rma_state_next(r.status, EV_QUOTE, r.kind, who.kind) < 0)
        err = invalid_state(ctx, &r, "quoting a repair");
    const char *note_copy =
        err == RMA_OK ? arena_strdup(ctx->arena, notes) : NULL;
    json_decref(body);
    if (err != RMA_OK)
        return err;

    struct policy_case pc;
    struct mail_text text = {0};
    bool answered = false;
    err = mail_text_action_required(ctx->app->cfg->public_base_url,
                                    r.customer_name, r.number, &text);
    if (err == RMA_OK)
        err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_policy_case(&ctx->app->db, r.id, &pc);
    enum policy_quote_basis basis = QUOTE_NONE;
    if (err == RMA_OK) {
        basis = policy_quote_basis(pc.in_warranty,
                                   pc.inspection[0] ? pc.inspection : NULL);
        answered =
            basis == QUOTE_NONE || pc.quote_amount >= 0 || pc.makeup_due >= 0;
        if (basis == QUOTE_NONE)
            err = http_fail(ctx->res, RMA_ERULE, "quote_not_allowed",
                            "the unit is in warranty and was not damaged by "
                            "inadequate packaging: the repair is free",
                            NULL);
        else if (pc.quote_amount >= 0)
            err = http_fail(ctx->res, RMA_ECONFLICT, "already_quoted",
                            "this RMA's repair was already quoted", NULL);
        else if (pc.makeup_due >= 0)
            err = http_fail(ctx->res, RMA_ECONFLICT, "makeup_already_due",
                            "another amount is already due on this RMA", NULL);
    }
    char *detail = NULL;
    if (err == RMA_OK) {
        json_t *d = json_pack(
            "{s:{s:s, s:s}, s:s, s:s}", "amount", "currency_code", r.currency,
            "value",
            money_format_minor(m.minor, money_exponent(r.currency),
                               (char[MONEY_TEXT_MAX]){0}),
            "basis", policy_quote_basis_name(basis), "notes", note_copy);
        detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        err = db_policy_quote_insert(&ctx->app->db, r.id, r.currency, m.minor,
                                     policy_quote_basis_name(basis), note_copy,
                                     who.name, ctx->now);
    }
    if (err == RMA_OK)
        err = db_policy_set_makeup(&ctx->app->db, r.id, m.minor, "repair_fee",
                                   ctx->now);
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, &r, ST_QUOTE_PENDING, EV_QUOTE,
                                &who, detail, ctx->now);
    if (err == RMA_OK)
        err = mail_enqueue(&ctx->app->db, "action_required", r.id,
                           r.customer_email, text.subject, text.body);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    free(detail);
    mail_text_free(&text);
    if (err != RMA_OK)
        return answered ? err : changed(ctx, err);
    return api_staff_detail(ctx, r.id, false);
}

static const char *const decisions[] = {"approve", "decline", NULL};
static const struct field decision_spec[] = {
    {.name = "decision",
     .type = FT_ENUM,
     .required = true,
     .values = decisions},
};

enum rma_err
api_rma_quote_decision(struct api_ctx *ctx)
{
    /* Another customer's case is 404 whatever the body. */
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    json_t *body;
    err = api_body(ctx, FIELDS(decision_spec), &body);
    if (err != RMA_OK)
        return err;
    bool approve = strcmp(json_string_value(json_object_get(body, "decision")),
                          "approve") == 0;
    json_decref(body);
    int to = rma_state_next(r.status, EV_QUOTE_DECIDED, r.kind, ACTOR_CUSTOMER);
    if (to < 0)
        return invalid_state(ctx, &r, "deciding on a quote");
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    struct policy_case pc;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_policy_case(&ctx->app->db, r.id, &pc);
    if (err == RMA_OK && (pc.quote_amount < 0 || pc.quote_decision[0]))
        err = RMA_ECONFLICT;
    int64_t fee = -1;
    if (err == RMA_OK && !approve) {
        fee = policy_decline_fee(&pc.line, pc.quote_amount);
        /* Return as-is: the quote is no longer due, the handling fee is. */
        err = db_policy_set_makeup(&ctx->app->db, r.id, fee > 0 ? fee : -1,
                                   "repair_fee", ctx->now);
    }
    char *detail = NULL;
    if (err == RMA_OK) {
        json_t *d =
            json_pack("{s:s}", "decision", approve ? "approved" : "declined");
        if (fee >= 0) {
            char v[MONEY_TEXT_MAX];
            money_format_minor(fee, money_exponent(r.currency), v);
            json_object_set_new(d, "handling_fee",
                                json_pack("{s:s, s:s}", "currency_code",
                                          r.currency, "value", v));
        }
        detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        err = db_policy_quote_decide(&ctx->app->db, r.id,
                                     approve ? "approved" : "declined", fee,
                                     who.name, ctx->now);
    }
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, &r, (enum rma_status)to,
                                EV_QUOTE_DECIDED, &who, detail, ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    free(detail);
    if (err != RMA_OK)
        return changed(ctx, err);
    r.status = (enum rma_status)to;
    return api_customer_detail(ctx, r.id);
}

/* ---- the RMA number's validity ---- */

static const struct field extension_spec[] = {
    {.name = "days",
     .type = FT_INTEGER,
     .required = true,
     .min = 1,
     .max = POLICY_EXTENSION_MAX_DAYS},
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_validity_extension(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(extension_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err == RMA_OK &&
        rma_state_next(r.status, EV_EXPIRE, r.kind, ACTOR_SYSTEM) < 0)
        err = invalid_state(ctx, &r, "extending the RMA number's validity");
    if (err == RMA_OK && r.status == ST_AWAITING_RETURN &&
        strcmp(r.replacement_method, "advanced") == 0)
        err = http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                        "an advanced replacement follows its hold's "
                        "deadline: use deadline-extension",
                        NULL);
    int days = (int)json_integer_value(json_object_get(body, "days"));
    char *detail = err == RMA_OK ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    struct policy_case pc;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_policy_case(&ctx->app->db, r.id, &pc);
    bool answered =
        err == RMA_OK && pc.extension_days + days > POLICY_EXTENSION_MAX_DAYS;
    if (answered)
        err = http_fail(
            ctx->res, RMA_ERULE, "extension_limit",
            arena_printf(ctx->arena,
                         "extensions may add up to %d days; "
                         "%d are left",
                         POLICY_EXTENSION_MAX_DAYS,
                         POLICY_EXTENSION_MAX_DAYS - pc.extension_days),
            "days");
    if (err == RMA_OK)
        err = db_policy_extend(&ctx->app->db, r.id, rma_status_name(r.status),
                               days, ctx->now);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, r.id, &who, "validity_extension",
                           detail, ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    free(detail);
    if (err != RMA_OK)
        return answered ? err : changed(ctx, err);
    return api_staff_detail(ctx, r.id, false);
}
