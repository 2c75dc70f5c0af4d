/* api_policy.c - the vendors' policies in the API (policy.h): the
 * warehouse's repair quote and the customer's decision, the supervisor's
 * extension of an RMA number's validity.  The refund a new refund case
 * proposes is part of its creation (api_staff_rma.c). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/money.h"
#include "rma/policy.h"

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
    json_t *amount = json_object_get(body, "amount");
    const char *cur =
        json_string_value(json_object_get(amount, "currency_code"));
    struct money m;
    money_parse(json_string_value(json_object_get(amount, "value")), cur, &m);
    const char *notes = json_string_value(json_object_get(body, "notes"));
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err =
        api_refused(ctx, case_quote(&env, r.id, m.minor, cur, notes, &no), &no);
    json_decref(body); /* after: the operation borrowed its strings */
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
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
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    struct hold_env env = api_hold_env(ctx, who);
    struct case_refusal no = {0};
    err = api_refused(ctx, case_decide_quote(&env, r.id, approve, &no), &no);
    return err == RMA_OK ? api_customer_detail(ctx, r.id) : err;
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
    int days = (int)json_integer_value(json_object_get(body, "days"));
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct case_refusal no = {0};
    if (err == RMA_OK) {
        struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
        err = api_refused(
            ctx, case_extend_validity(&env, r.id, days, detail, &no), &no);
    }
    free(detail);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}
