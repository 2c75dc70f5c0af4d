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

/* Whether the customer may submit a make-up payment now. */
static bool
makeup_open(const struct rma_detail *d)
{
    int latest = makeup_status_parse(d->makeup_latest_status);
    return makeup_can_submit(
               d->ref.status, d->makeup_due, d->makeup_latest_id != 0,
               latest < 0 ? MAKEUP_PENDING : (enum makeup_status)latest) ==
           MAKEUP_SUBMIT_OK;
}

/* Appends the NUL-terminated s to out (size bytes, at its end *at),
 * cutting it short rather than overflowing. */
static void
append(char *out, size_t size, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (n > size - 1 - *at)
        n = size - 1 - *at;
    memcpy(out + *at, s, n);
    *at += n;
    out[*at] = '\0';
}

/* The "actions" member: what the customer may do now, from the state
 * machine (names only, which need no escaping). */
static void
actions_member(const struct rma_detail *d, char *out, size_t size, size_t *at)
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
    const struct rma_ref *r = &d->ref;
    const char *names[sizeof(customer_events) / sizeof(customer_events[0]) + 3];
    size_t n = 0;
    for (size_t i = 0; i < sizeof(customer_events) / sizeof(customer_events[0]);
         i++)
        if (rma_state_next(r->status, customer_events[i].ev, r->kind,
                           ACTOR_CUSTOMER) >= 0)
            names[n++] = customer_events[i].name;
    if (api_address_editable(r))
        names[n++] = "edit_shipping_address";
    if (r->status == ST_AWAITING_PREAUTH)
        names[n++] = "preauthorize";
    if (makeup_open(d))
        names[n++] = "submit_makeup_payment";
    append(out, size, at, "\"actions\": [");
    for (size_t i = 0; i < n; i++) {
        append(out, size, at, i > 0 ? ", \"" : "\"");
        append(out, size, at, names[i]);
        append(out, size, at, "\"");
    }
    append(out, size, at, "]");
}

/* The "upload_limits" member, the same in every answer: made once. */
static const char *
upload_limits_member(void)
{
    static char text[192];
    if (text[0] == '\0')
        snprintf(text, sizeof(text),
                 "\"upload_limits\": {\"max_bytes\": %ld, "
                 "\"max_per_submission\": %d, \"media_types\": "
                 "[\"image/jpeg\", \"image/png\", \"image/webp\"]}",
                 (long)ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_PER_SUBMISSION);
    return text;
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

/* The make-up payment's part: while the customer may submit one, who to
 * pay ("makeup_payee": the account and the invoice link of the
 * configuration, SPEC §14). */
static void
makeup_payee(struct api_ctx *ctx, const struct rma_detail *d)
{
    const struct rma_config *cfg = ctx->app->cfg;
    if (!makeup_open(d) || cfg->makeup_payee == NULL ||
        cfg->makeup_payee[0] == '\0')
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
    /* What every answer has, as text (no JSON values are made and printed
     * for the API read, SPEC §11); the rarer parts in the body. */
    char members[512];
    size_t at = 0;
    members[0] = '\0';
    append(members, sizeof(members), &at, upload_limits_member());
    hold_terms(ctx, &d->ref);
    if (!staff) {
        append(members, sizeof(members), &at, ", ");
        actions_member(d, members, sizeof(members), &at);
        makeup_payee(ctx, d);
    }
    /* The document is sent as PostgreSQL wrote it (SPEC §11: the API read
     * is not parsed and printed again). */
    return api_json_merge_members(ctx, d->json, members);
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
