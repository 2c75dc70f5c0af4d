/* api_detail.c - what the handlers share about a case, below every
 * api_<resource>.c: the case a path names (404 answered), the acting staff
 * member, and the detail answer with its parts (the customer's actions,
 * the hold's agreement, the upload limits, the make-up payment action).
 *
 * Handler files call this file and api_common.c, never each other
 * (tests/check-structure). */
#include <string.h>

#include "rma/api.h"
#include "rma/hold.h"
#include "rma/makeup.h"
#include "rma/returns.h"

/* ---- the case a path names ---- */

enum rma_err
api_customer_case(struct api_ctx *ctx, struct rma_ref *r)
{
    enum rma_err err = db_rma_find(&ctx->app->db, ctx->req->params[0], r);
    if (err == RMA_ENOTFOUND ||
        (err == RMA_OK && (r->customer_id != ctx->customer.customer_id ||
                           !rma_status_customer_visible(r->status))))
        return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such RMA", NULL);
    return err;
}

enum rma_err
api_staff_case(struct api_ctx *ctx, struct rma_ref *r)
{
    enum rma_err err = db_rma_find(&ctx->app->db, ctx->req->params[0], r);
    if (err == RMA_ENOTFOUND)
        return http_fail(ctx->res, err, NULL, "no such RMA", NULL);
    return err;
}

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

/* ---- the parts of a detail answer ---- */

bool
api_address_editable(const struct rma_ref *r)
{
    return rma_address_editable(r->status, r->kind,
                                strcmp(r->replacement_method, "advanced") == 0,
                                false);
}

/* What the customer may do now, from the state machine. */
static json_t *
actions(const struct rma_ref *r)
{
    static const struct {
        enum rma_event ev;
        const char *name;
    } customer_events[] = {
        {EV_AGREE, "agree"},
        {EV_DISAGREE, "disagree"},
        {EV_CHOOSE_STANDARD, "choose_standard"},
        {EV_CHOOSE_ADVANCED, "choose_advanced"},
        {EV_SUBMIT_RETURN, "submit_return"},
        {EV_QUOTE_DECIDED, "decide_quote"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof(customer_events) / sizeof(customer_events[0]);
         i++)
        if (rma_state_next(r->status, customer_events[i].ev, r->kind,
                           ACTOR_CUSTOMER) >= 0)
            json_array_append_new(a, json_string(customer_events[i].name));
    if (api_address_editable(r))
        json_array_append_new(a, json_string("edit_shipping_address"));
    if (r->status == ST_AWAITING_PREAUTH)
        json_array_append_new(a, json_string("preauthorize"));
    return a;
}

/* The hold's part: while the customer must accept the hold,
 * "preauthorization" with the agreement. */
static void
hold_terms(struct api_ctx *ctx, const struct rma_ref *r)
{
    if (r->status == ST_AWAITING_PREAUTH)
        json_object_set_new(ctx->res->body, "preauthorization",
                            json_pack("{s:s, s:s}", "terms_version",
                                      HOLD_TERMS_VERSION, "terms_text",
                                      hold_terms_text()));
}

/* The return's part: "upload_limits". */
static void
return_limits(struct api_ctx *ctx)
{
    json_object_set_new(ctx->res->body, "upload_limits",
                        json_pack("{s:I, s:i, s:[s, s, s]}", "max_bytes",
                                  (json_int_t)ATTACHMENT_MAX_BYTES,
                                  "max_per_submission",
                                  ATTACHMENT_MAX_PER_SUBMISSION, "media_types",
                                  "image/jpeg", "image/png", "image/webp"));
}

/* The make-up payment's part: the customer's "submit_makeup_payment"
 * action and, while it is open, who to pay ("makeup_payee": the account
 * and the invoice link of the configuration, SPEC §14). */
static void
makeup_action(struct api_ctx *ctx, const struct rma_detail *d)
{
    int latest = makeup_status_parse(d->makeup_latest_status);
    json_t *list = json_object_get(ctx->res->body, "actions");
    if (!json_is_array(list) ||
        makeup_can_submit(
            d->ref.status, d->makeup_due, d->makeup_latest_id != 0,
            latest < 0 ? MAKEUP_PENDING : (enum makeup_status)latest) !=
            MAKEUP_SUBMIT_OK)
        return;
    json_array_append_new(list, json_string("submit_makeup_payment"));
    const struct rma_config *cfg = ctx->app->cfg;
    if (cfg->makeup_payee == NULL || cfg->makeup_payee[0] == '\0')
        return;
    json_t *payee = json_pack("{s:s}", "account", cfg->makeup_payee);
    if (cfg->makeup_invoice_url != NULL && cfg->makeup_invoice_url[0] != '\0')
        json_object_set_new(payee, "invoice_url",
                            json_string(cfg->makeup_invoice_url));
    json_object_set_new(ctx->res->body, "makeup_payee", payee);
}

/* ---- the detail answers ---- */

enum rma_err
api_detail_answer(struct api_ctx *ctx, const struct rma_detail *d, bool staff)
{
    if (d->json == NULL)
        return RMA_ENOTFOUND;
    if (ctx->res->body == NULL)
        ctx->res->body = json_object();
    hold_terms(ctx, &d->ref);
    return_limits(ctx);
    if (!staff) {
        json_object_set_new(ctx->res->body, "actions", actions(&d->ref));
        makeup_action(ctx, d);
    }
    /* The document is sent as PostgreSQL wrote it (SPEC §11: the API read
     * is not parsed and printed again). */
    return api_json_merge_text(ctx, d->json);
}

enum rma_err
api_customer_detail(struct api_ctx *ctx, int64_t id)
{
    struct rma_detail d;
    enum rma_err err =
        db_rma_detail(&ctx->app->db, NULL, id, ctx->customer.customer_id, false,
                      ctx->arena, &d);
    return err == RMA_OK ? api_detail_answer(ctx, &d, false) : err;
}

enum rma_err
api_staff_detail(struct api_ctx *ctx, int64_t id, bool created)
{
    /* The staff detail carries its timeline ("events"). */
    struct rma_detail d;
    enum rma_err err =
        db_rma_detail(&ctx->app->db, NULL, id, 0, true, ctx->arena, &d);
    if (err != RMA_OK)
        return err;
    json_decref(ctx->res->body);
    ctx->res->body = NULL;
    err = api_detail_answer(ctx, &d, true);
    if (err != RMA_OK)
        return err;
    if (created)
        ctx->res->outcome = OUT_CREATED;
    return RMA_OK;
}

enum rma_err
api_staff_detail_read(struct api_ctx *ctx)
{
    /* The case the path names and its staff detail in one query. */
    struct rma_detail d;
    enum rma_err err = db_rma_detail(&ctx->app->db, ctx->req->params[0], 0, 0,
                                     true, ctx->arena, &d);
    if (err == RMA_ENOTFOUND)
        return http_fail(ctx->res, err, NULL, "no such RMA", NULL);
    if (err != RMA_OK)
        return err;
    json_decref(ctx->res->body);
    ctx->res->body = NULL;
    return api_detail_answer(ctx, &d, true);
}
