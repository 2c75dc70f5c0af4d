/* api_policy.c - the vendors' policies in the API (policy.h): the
 * warehouse's repair quote and the customer's decision, the supervisor's
 * extension of an RMA number's validity.  The refund a new refund case
 * proposes is part of its creation (api_staff_rma.c). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/mail.h"
#include "rma/money.h"
#include "rma/policy_db.h"

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
