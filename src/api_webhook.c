/* api_webhook.c - POST /api/v1/paypal/webhooks (SPEC §7, §12, §16):
 * PayPal's events, verified before anything in them is read, then taken
 * once (webhook_ops.c: by transmission and event id, the resource fetched
 * from PayPal and acted on as PayPal states it). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/log.h"
#include "rma/metrics.h"
#include "rma/paypal.h"
#include "rma/webhook_ops.h"

#define MAX_ORIGINS 8

static const char *default_origins[] = {
    "https://api.paypal.com", "https://api.sandbox.paypal.com",
    "https://api-m.paypal.com", "https://api-m.sandbox.paypal.com", NULL};

/* paypal_cert_hosts: a comma-separated list of origins. */
static struct paypal_webhook_verifier *
verifier_of(struct app *app)
{
    static char *origins[MAX_ORIGINS + 1];
    static char list[1024];
    if (app->webhooks != NULL)
        return app->webhooks;
    const struct rma_config *cfg = app->cfg;
    if (cfg->paypal_webhook_id == NULL || cfg->paypal_webhook_id[0] == '\0')
        return NULL;
    const char *const *allowed = default_origins;
    if (cfg->paypal_cert_hosts != NULL && cfg->paypal_cert_hosts[0] != '\0') {
        snprintf(list, sizeof(list), "%s", cfg->paypal_cert_hosts);
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(list, ", ", &save); t && n < MAX_ORIGINS;
             t = strtok_r(NULL, ", ", &save))
            origins[n++] = t;
        origins[n] = NULL;
        allowed = (const char *const *)origins;
    }
    struct paypal_webhook_options o = {
        .webhook_id = cfg->paypal_webhook_id,
        .cert_origins = allowed,
        .ca_file = cfg->paypal_webhook_ca_file,
        .http_ca_file = cfg->paypal_ca_file,
    };
    app->webhooks = paypal_webhook_verifier_new(&o);
    return app->webhooks;
}

static enum rma_err
ignored(struct api_ctx *ctx, const char *outcome)
{
    ctx->res->body = json_pack("{s:s}", "outcome", outcome);
    return RMA_OK;
}

enum rma_err
api_paypal_webhook(struct api_ctx *ctx)
{
    struct paypal_webhook_verifier *v = verifier_of(ctx->app);
    struct paypal_webhook_headers h = {
        .transmission_id = http_header(ctx->req, "HTTP_PAYPAL_TRANSMISSION_ID"),
        .transmission_time =
            http_header(ctx->req, "HTTP_PAYPAL_TRANSMISSION_TIME"),
        .transmission_sig =
            http_header(ctx->req, "HTTP_PAYPAL_TRANSMISSION_SIG"),
        .cert_url = http_header(ctx->req, "HTTP_PAYPAL_CERT_URL"),
        .auth_algo = http_header(ctx->req, "HTTP_PAYPAL_AUTH_ALGO"),
    };
    enum rma_err err =
        v == NULL ? RMA_EUPSTREAM
                  : paypal_webhook_verify(v, &h, ctx->req->body,
                                          ctx->req->body_len, time(NULL));
    if (err != RMA_OK) {
        metrics_count_webhook_rejected();
        log_event(LOG_WARN, "webhook_rejected", "{s:s, s:s}", "error",
                  rma_err_code(err), "transmission_id",
                  h.transmission_id ? h.transmission_id : "");
        return http_fail(ctx->res, RMA_EUNAUTH, "webhook_unverified",
                         "the webhook signature could not be verified", NULL);
    }
    json_t *event = json_loadb(ctx->req->body, ctx->req->body_len, 0, NULL);
    const char *id = json_string_value(json_object_get(event, "id"));
    const char *type = json_string_value(json_object_get(event, "event_type"));
    json_t *resource = json_object_get(event, "resource");
    const char *rid = json_string_value(json_object_get(resource, "id"));
    if (id == NULL || type == NULL || !json_is_object(resource) ||
        strlen(id) > 64 || strlen(type) > 100 ||
        (rid != NULL && strlen(rid) > 64)) {
        json_decref(event);
        log_event(LOG_WARN, "webhook_malformed", "{}");
        return ignored(ctx, "malformed");
    }
    struct webhook_event e = {
        .transmission_id = h.transmission_id,
        .id = id,
        .type = type,
        .resource_id = rid,
    };
    struct rma_actor_info who = {ACTOR_SYSTEM, "paypal-webhook", NULL, false};
    struct hold_env env = api_hold_env(ctx, who);
    const char *outcome = NULL;
    err = webhook_take(&env, &e, &outcome);
    if (err == RMA_OK)
        log_event(LOG_INFO, "webhook", "{s:s, s:s, s:s}", "event_id", id,
                  "event_type", type, "outcome", outcome);
    json_decref(event);
    return err == RMA_OK ? ignored(ctx, outcome) : err;
}
