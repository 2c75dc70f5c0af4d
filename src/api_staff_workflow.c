/* api_staff_workflow.c - a case's way through the staff (SPEC §7): submit
 * (to review when policy asks for it), approve (four eyes), send back,
 * confirm on the customer's behalf, cancel.  Who may call what is in
 * routes.c; creating, editing and finding cases is api_staff_rma.c. */
#include <stdlib.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/mail.h"
#include "rma/money.h"
#include "rma/rma.h"

static const char *
not_possible(struct api_ctx *ctx, const struct rma_ref *r, const char *what)
{
    return arena_printf(ctx->arena, "%s is not possible while the RMA is %s",
                        what, rma_status_name(r->status));
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
                         not_possible(ctx, r, what), NULL);
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

/* PUT /staff/rmas/{number}/shipping-address: the shipping address confirmed
 * with the customer (on the phone, by mail), audited as done on their behalf.
 */
enum rma_err
api_staff_rma_address(struct api_ctx *ctx)
{
    char *address;
    const char *country;
    enum rma_err err = api_address_body(ctx, &address, &country);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    who.on_behalf = true;
    struct hold_env env = api_hold_env(ctx, who);
    struct case_refusal no = {0};
    err = api_refused(ctx, case_set_address(&env, r.id, address, country, &no),
                      &no);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}
