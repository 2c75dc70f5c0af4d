/* api_rma.c - the customer's RMA solutions (SPEC §7): list, detail with
 * actions, timeline, agree, disagree, replacement method, shipping address.
 *
 * A case that is not the caller's, or not yet visible to customers, is
 * answered exactly like an unknown number: 404. */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/rma.h"

static enum rma_err
not_found(struct api_ctx *ctx)
{
    return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such RMA", NULL);
}

static struct rma_actor_info
customer_actor(const struct api_ctx *ctx)
{
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    return who;
}

enum rma_err
api_rma_list(struct api_ctx *ctx)
{
    char *json;
    enum rma_err err = db_rma_list_json(
        &ctx->app->db, ctx->customer.customer_id, ctx->arena, &json);
    /* Sent as PostgreSQL wrote it ({"rmas": [...]}), not parsed again. */
    return err == RMA_OK ? api_json_merge_text(ctx, json) : err;
}

enum rma_err
api_rma_get(struct api_ctx *ctx)
{
    /* The API read (SPEC §11): the case was read with the session, in one
     * query (AUTH_CUSTOMER_CASE). */
    const struct rma_detail *d = ctx->case_read;
    if (d == NULL || d->ref.customer_id != ctx->customer.customer_id ||
        !rma_status_customer_visible(d->ref.status))
        return not_found(ctx);
    return api_detail_answer(ctx, d, false);
}

enum rma_err
api_rma_events(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    char *json;
    err = db_rma_events_json(&ctx->app->db, r.id, false, ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    json_t *list = json_loads(json, 0, NULL);
    if (list == NULL)
        return RMA_EINTERNAL;
    ctx->res->body =
        json_pack("{s:s, s:o}", "number", r.number, "events", list);
    return RMA_OK;
}

/* One operation on the caller's case as the customer; its detail then. */
static enum rma_err
answer(struct api_ctx *ctx, const struct rma_ref *r, enum rma_err err,
       const struct case_refusal *no)
{
    err = api_refused(ctx, err, no);
    return err == RMA_OK ? api_customer_detail(ctx, r->id) : err;
}

enum rma_err
api_rma_agree(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, customer_actor(ctx));
    struct case_refusal no = {0};
    return answer(ctx, &r, case_agree(&env, r.id, &no), &no);
}

static const struct field disagree_spec[] = {
    {.name = "comment",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 2000,
     .flags = F_MULTILINE},
};

enum rma_err
api_rma_disagree(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(disagree_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_customer_case(ctx, &r);
    struct case_refusal no = {0};
    if (err == RMA_OK) {
        struct hold_env env = api_hold_env(ctx, customer_actor(ctx));
        const char *comment =
            json_string_value(json_object_get(body, "comment"));
        err = answer(ctx, &r, case_disagree(&env, r.id, comment, &no), &no);
    }
    json_decref(body); /* after: the operation borrowed the comment */
    return err;
}

static const char *const methods[] = {"standard", "advanced", NULL};
static const struct field method_spec[] = {
    {.name = "method", .type = FT_ENUM, .required = true, .values = methods},
};

enum rma_err
api_rma_method(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(method_spec), &body);
    if (err != RMA_OK)
        return err;
    bool advanced = strcmp(json_string_value(json_object_get(body, "method")),
                           "advanced") == 0;
    json_decref(body);
    struct rma_ref r;
    err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, customer_actor(ctx));
    struct case_refusal no = {0};
    return answer(ctx, &r, case_choose_method(&env, r.id, advanced, &no), &no);
}

enum rma_err
api_rma_address(struct api_ctx *ctx)
{
    char *address;
    const char *country;
    enum rma_err err = api_address_body(ctx, &address, &country);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    /* The state and the country are the operation's to check, under the
     * case's lock. */
    struct hold_env env = api_hold_env(ctx, customer_actor(ctx));
    struct case_refusal no = {0};
    return answer(ctx, &r, case_set_address(&env, r.id, country, address, &no),
                  &no);
}
