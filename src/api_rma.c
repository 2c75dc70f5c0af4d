/* api_rma.c - the customer's RMA solutions (SPEC §7): list, detail with
 * actions, timeline, agree, disagree, replacement method, shipping address.
 *
 * A case that is not the caller's, or not yet visible to customers, is
 * answered exactly like an unknown number: 404. */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/policy_db.h"
#include "rma/rma.h"
#include "rma/staff_notify.h"

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

static enum rma_err
refuse_transition(struct api_ctx *ctx, const struct rma_ref *r,
                  const char *what)
{
    char *msg =
        arena_printf(ctx->arena, "%s is not possible while the RMA is %s", what,
                     rma_status_name(r->status));
    return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state", msg, NULL);
}

/* Agreement: confirmed; kinds other than replacement start fulfilment in
 * the same transaction (replacements wait for the method). */
enum rma_err
api_rma_agree(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    int to = rma_state_next(r.status, EV_AGREE, r.kind, ACTOR_CUSTOMER);
    if (to < 0)
        return refuse_transition(ctx, &r, "agreeing");
    struct rma_actor_info who = customer_actor(ctx);
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, &r, (enum rma_status)to,
                                EV_AGREE, &who, NULL, ctx->now);
    int next =
        rma_state_next(ST_CONFIRMED, EV_START_FULFILMENT, r.kind, ACTOR_SYSTEM);
    if (err == RMA_OK && next >= 0) {
        r.status = ST_CONFIRMED;
        struct rma_actor_info sys = {ACTOR_SYSTEM, "rma", NULL, false};
        err = db_rma_transition(&ctx->app->db, &r, (enum rma_status)next,
                                EV_START_FULFILMENT, &sys, NULL, ctx->now);
    }
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "state_changed",
                         "the RMA changed meanwhile: reload it", NULL);
    if (err != RMA_OK)
        return err;
    return api_customer_detail(ctx, r.id);
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
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    int to = rma_state_next(r.status, EV_DISAGREE, r.kind, ACTOR_CUSTOMER);
    if (to < 0) {
        json_decref(body);
        return refuse_transition(ctx, &r, "disagreeing");
    }
    const char *comment = json_string_value(json_object_get(body, "comment"));
    json_t *detail_doc = json_pack("{s:s}", "comment", comment);
    char *detail_text = json_dumps(detail_doc, JSON_COMPACT);
    json_decref(detail_doc);
    struct rma_actor_info who = customer_actor(ctx);
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_rma_comment(&ctx->app->db, r.id, "customer", who.name, comment,
                             ctx->now);
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, &r, (enum rma_status)to,
                                EV_DISAGREE, &who, detail_text, ctx->now);
    if (err == RMA_OK) /* the agent who prepared it (staff_notify.h) */
        err =
            staff_notify_disagreed(&ctx->app->db, ctx->app->cfg, r.id, comment);
    if (err == RMA_OK)
        err = api_commit(ctx);
    free(detail_text);
    json_decref(body);
    if (err == RMA_ECONFLICT)
        return http_fail(ctx->res, err, "state_changed",
                         "the RMA changed meanwhile: reload it", NULL);
    if (err != RMA_OK)
        return err;
    return api_customer_detail(ctx, r.id);
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
    err = api_refused(ctx, case_choose_method(&env, r.id, advanced, &no), &no);
    return err == RMA_OK ? api_customer_detail(ctx, r.id) : err;
}

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
api_rma_address(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(address_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_customer_case(ctx, &r);
    const char *country = json_string_value(json_object_get(body, "country"));
    const char *phone = json_string_value(json_object_get(body, "phone"));
    const char *postal =
        json_string_value(json_object_get(body, "postal_code"));
    if (err == RMA_OK && !api_address_editable(&r))
        err = refuse_transition(ctx, &r, "changing the shipping address");
    else if (err == RMA_OK && strcmp(country, r.order_country) != 0)
        err = http_fail(ctx->res, RMA_ERULE, "country_locked",
                        arena_printf(ctx->arena,
                                     "the country cannot change: the "
                                     "replacement ships to %s, the country "
                                     "of the original order",
                                     r.order_country),
                        "country");
    else if (err == RMA_OK && !valid_phone(phone))
        err = http_fail(ctx->res, RMA_ERULE, "invalid_phone",
                        "phone must have 7 to 15 digits", "phone");
    else if (err == RMA_OK && postal != NULL && !valid_postal_code(postal))
        err = http_fail(ctx->res, RMA_ERULE, "invalid_postal_code",
                        "postal_code has characters that are not allowed",
                        "postal_code");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    char *address = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(body);
    struct rma_actor_info who = customer_actor(ctx);
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_rma_set_address(&ctx->app->db, r.id, address, ctx->now);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, r.id, &who, "shipping_address", NULL,
                           ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    free(address);
    if (err != RMA_OK)
        return err;
    return api_customer_detail(ctx, r.id);
}
