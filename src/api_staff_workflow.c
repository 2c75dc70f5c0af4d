/* api_staff_workflow.c - a case's way through the staff (SPEC §7): submit
 * (to review when policy asks for it), approve (four eyes), send back,
 * confirm on the customer's behalf, cancel.  Who may call what is in
 * routes.c; creating, editing and finding cases is api_staff_rma.c. */
#include <stdlib.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/rma.h"

/* Moves the case named by the path by ev as the staff member who, with
 * everything that follows (case_staff_move); its detail then. */
static enum rma_err
staff_transition(struct api_ctx *ctx, enum rma_event ev,
                 struct rma_actor_info who, const char *detail_json,
                 const char *what, const char *cancel_reason)
{
    struct rma_ref r;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, who);
    struct case_refusal no = {0};
    err = api_refused(
        ctx,
        case_staff_move(&env, r.id, ev, detail_json, what, cancel_reason, &no),
        &no);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

/* Submitted to review where policy asks for it (decided under the lock). */
enum rma_err
api_staff_rma_submit(struct api_ctx *ctx)
{
    return staff_transition(ctx, EV_SUBMIT, api_staff_actor(ctx), NULL,
                            "submitting", NULL);
}

enum rma_err
api_staff_rma_approve(struct api_ctx *ctx)
{
    return staff_transition(ctx, EV_APPROVE, api_staff_actor(ctx), NULL,
                            "approving", NULL);
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
    const char *reason = json_string_value(json_object_get(body, "reason"));
    char *detail = json_dumps(body, JSON_COMPACT);
    struct rma_actor_info who = api_staff_actor(ctx);
    who.on_behalf = on_behalf;
    err = staff_transition(ctx, ev, who, detail, what,
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
    err = api_refused(ctx, case_set_address(&env, r.id, country, address, &no),
                      &no);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

/* POST /staff/rmas/{number}/request-proof-of-purchase {note}: the customer
 * is asked, by mail and in the portal, to upload one. */
static const struct field proof_spec[] = {
    {.name = "note",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_request_proof(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(proof_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err == RMA_OK) {
        struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
        struct case_refusal no = {0};
        const char *note = json_string_value(json_object_get(body, "note"));
        err = api_refused(ctx, case_request_proof(&env, r.id, note, &no), &no);
    }
    json_decref(body); /* after: the operation borrowed the note */
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}
