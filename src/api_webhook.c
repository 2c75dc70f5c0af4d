/* api_webhook.c - POST /api/v1/paypal/webhooks (SPEC §7, §12, §16):
 * PayPal's events, verified before anything in them is read, then taken
 * once (webhook_ops.c: the verification, by transmission and event id, the
 * resource fetched from PayPal and acted on as PayPal states it).  This
 * handler only hands the delivery over and answers. */
#include <string.h>

#include "rma/api.h"
#include "rma/webhook_ops.h"

enum rma_err
api_paypal_webhook(struct api_ctx *ctx)
{
    struct app *app = ctx->app;
    if (app->webhooks == NULL)
        app->webhooks = webhook_verifier_for(app->cfg);
    struct webhook_headers h = {
        .transmission_id = http_header(ctx->req, "HTTP_PAYPAL_TRANSMISSION_ID"),
        .transmission_time =
            http_header(ctx->req, "HTTP_PAYPAL_TRANSMISSION_TIME"),
        .transmission_sig =
            http_header(ctx->req, "HTTP_PAYPAL_TRANSMISSION_SIG"),
        .cert_url = http_header(ctx->req, "HTTP_PAYPAL_CERT_URL"),
        .auth_algo = http_header(ctx->req, "HTTP_PAYPAL_AUTH_ALGO"),
    };
    struct rma_actor_info who = {ACTOR_SYSTEM, "paypal-webhook", NULL, false};
    struct hold_env env = api_hold_env(ctx, who);
    const char *outcome = NULL;
    enum rma_err err = webhook_receive(&env, app->webhooks, &h, ctx->req->body,
                                       ctx->req->body_len, &outcome);
    if (err == RMA_EUNAUTH && outcome != NULL &&
        strcmp(outcome, "unverified") == 0)
        return http_fail(ctx->res, RMA_EUNAUTH, "webhook_unverified",
                         "the webhook signature could not be verified", NULL);
    if (err != RMA_OK)
        return err;
    ctx->res->body = json_pack("{s:s}", "outcome", outcome);
    return RMA_OK;
}
