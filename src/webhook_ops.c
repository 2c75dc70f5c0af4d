/* webhook_ops.c - a verified PayPal event, taken once and acted on as
 * PayPal's own GET of its resource says (webhook_ops.h). */
#include "rma/webhook_ops.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/log.h"
#include "rma/makeup_ops.h"
#include "rma/metrics.h"

/* ---- the delivery ---- */

#define MAX_ORIGINS 8

static const char *default_origins[] = {
    "https://api.paypal.com", "https://api.sandbox.paypal.com",
    "https://api-m.paypal.com", "https://api-m.sandbox.paypal.com", NULL};

struct paypal_webhook_verifier *
webhook_verifier_for(const struct rma_config *cfg)
{
    char *origins[MAX_ORIGINS + 1];
    char list[1024];
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
    /* The verifier copies the origins. */
    return paypal_webhook_verifier_new(&o);
}

enum rma_err
webhook_receive(struct hold_env *env, struct paypal_webhook_verifier *v,
                const struct webhook_headers *h, const char *body, size_t len,
                const char **outcome)
{
    struct paypal_webhook_headers ph = {
        .transmission_id = h->transmission_id,
        .transmission_time = h->transmission_time,
        .transmission_sig = h->transmission_sig,
        .cert_url = h->cert_url,
        .auth_algo = h->auth_algo,
    };
    *outcome = NULL;
    enum rma_err err =
        v == NULL ? RMA_EUPSTREAM
                  : paypal_webhook_verify(v, &ph, body, len, time(NULL));
    if (err != RMA_OK) {
        metrics_count_webhook_rejected();
        log_event(LOG_WARN, "webhook_rejected", "{s:s, s:s}", "error",
                  rma_err_code(err), "transmission_id",
                  h->transmission_id ? h->transmission_id : "");
        *outcome = "unverified";
        return RMA_EUNAUTH;
    }
    json_t *event = json_loadb(body, len, 0, NULL);
    const char *id = json_string_value(json_object_get(event, "id"));
    const char *type = json_string_value(json_object_get(event, "event_type"));
    json_t *resource = json_object_get(event, "resource");
    const char *rid = json_string_value(json_object_get(resource, "id"));
    if (id == NULL || type == NULL || !json_is_object(resource) ||
        strlen(id) > 64 || strlen(type) > 100 ||
        (rid != NULL && strlen(rid) > 64)) {
        json_decref(event);
        log_event(LOG_WARN, "webhook_malformed", "{}");
        *outcome = "malformed";
        return RMA_OK;
    }
    struct webhook_event e = {
        .transmission_id = h->transmission_id,
        .id = id,
        .type = type,
        .resource_id = rid,
    };
    err = webhook_take(env, &e, outcome);
    if (err == RMA_OK)
        log_event(LOG_INFO, "webhook", "{s:s, s:s, s:s}", "event_id", id,
                  "event_type", type, "outcome", *outcome);
    json_decref(event);
    return err;
}

/* ---- the event ---- */

enum resource_kind { RES_NONE, RES_AUTHORIZATION, RES_CAPTURE, RES_REFUND };

/* Which resource an event names, by its type. */
static enum resource_kind
resource_of(const char *type)
{
    if (strncmp(type, "PAYMENT.AUTHORIZATION.", 22) == 0)
        return RES_AUTHORIZATION;
    if (strcmp(type, "PAYMENT.CAPTURE.REFUNDED") == 0 ||
        strncmp(type, "PAYMENT.REFUND.", 15) == 0)
        return RES_REFUND;
    if (strncmp(type, "PAYMENT.CAPTURE.", 16) == 0)
        return RES_CAPTURE;
    return RES_NONE;
}

/* Inside the case's transaction: what an authorization PayPal reports
 * means for the hold that holds it. */
static const char *
authorization_known(struct hold_env *env, struct hold *h,
                    const struct paypal_authorization *a)
{
    enum paypal_status st = paypal_status_parse(a->status);
    if (st != PAYPAL_STATUS_VOIDED && st != PAYPAL_STATUS_EXPIRED)
        return "authorization unchanged";
    if (h->status != HOLD_AUTHORIZED)
        return "hold already settled";
    /* Voided without our asking: PayPal let it lapse. */
    enum hold_status to =
        h->void_requested_at != 0 ? HOLD_VOIDED : HOLD_EXPIRED;
    if (hold_apply_released(env, h, to, a->id) != RMA_OK)
        return NULL;
    return to == HOLD_VOIDED ? "hold released" : "hold expired";
}

static const char *
take_authorization(struct hold_env *env, const struct paypal_authorization *a)
{
    struct hold h;
    enum rma_err err = db_hold_by_authorization(env->db, a->id, &h);
    if (err == RMA_ENOTFOUND && a->order_id[0] != '\0') {
        /* Not ours yet: an authorization PayPal decided after answering
         * PENDING, or one whose return to us was lost. */
        if (db_hold_by_order(env->db, a->order_id, false, &h) != RMA_OK)
            return "unknown authorization";
        if (h.status != HOLD_PENDING_APPROVAL && h.status != HOLD_ABANDONED)
            return "hold already settled";
        enum case_redirect o;
        if (case_settle_authorization(env, h.id, a, &o) != RMA_OK)
            return NULL;
        return o == REDIRECT_APPROVED   ? "hold authorized"
               : o == REDIRECT_PENDING  ? "authorization pending"
               : o == REDIRECT_DECLINED ? "authorization denied"
                                        : "authorization released";
    }
    if (err == RMA_ENOTFOUND)
        return "unknown authorization";
    if (err != RMA_OK)
        return NULL;
    struct rma_ref r;
    if (case_begin(env, h.rma_id, &r) != RMA_OK)
        return NULL;
    const char *outcome = NULL;
    if (db_hold_by_id(env->db, h.id, true, &h) == RMA_OK)
        outcome = authorization_known(env, &h, a);
    if (case_end(env, outcome != NULL ? RMA_OK : RMA_EDB) != RMA_OK)
        return NULL;
    return outcome;
}

/* A capture or refund of a hold that PayPal had left PENDING. */
static const char *
take_pending(struct hold_env *env, const char *paypal_id)
{
    struct hold h;
    enum rma_err err = db_hold_by_pending(env->db, paypal_id, &h);
    if (err == RMA_ENOTFOUND)
        return "";
    enum hold_outcome o = HOLD_SKIPPED;
    if (err == RMA_OK)
        err = hold_settle_pending(env, h.id, &o);
    if (err != RMA_OK)
        return NULL;
    return o == HOLD_DONE      ? "pending payment completed"
           : o == HOLD_REFUSED ? "pending payment refused"
           : o == HOLD_PENDING ? "payment still pending"
                               : "pending payment already settled";
}

static const char *
take_capture(struct hold_env *env, const struct paypal_capture *c)
{
    const char *outcome = take_pending(env, c->id);
    if (outcome == NULL || outcome[0] != '\0')
        return outcome;
    enum rma_err err = db_begin(env->db);
    outcome = err == RMA_OK
                  ? makeup_match_capture_event(env->db, env->cfg, c, env->now_t)
                  : NULL;
    if (case_end(env, outcome != NULL ? RMA_OK : RMA_EDB) != RMA_OK)
        return NULL;
    /* The holds' other captures are settled by their operations and the
     * job, which ask PayPal themselves. */
    return outcome;
}

/* Asks PayPal about the event's resource and acts on the answer.  NULL
 * (with *err) when PayPal or the database did not answer. */
static const char *
act(struct hold_env *env, const struct webhook_event *e, enum rma_err *err)
{
    enum resource_kind kind = resource_of(e->type);
    if (kind == RES_NONE)
        return "noted";
    if (e->resource_id == NULL)
        return "no resource id";
    if (env->pc == NULL) {
        *err = RMA_EUPSTREAM;
        return NULL;
    }
    struct paypal_result res = {0};
    const char *outcome = NULL;
    if (kind == RES_AUTHORIZATION) {
        struct paypal_authorization a;
        *err = paypal_authorization_get(env->pc, e->resource_id, &a, &res);
        if (*err == RMA_OK)
            outcome = take_authorization(env, &a);
    } else if (kind == RES_CAPTURE) {
        struct paypal_capture c;
        *err = paypal_capture_get(env->pc, e->resource_id, &c, &res);
        if (*err == RMA_OK)
            outcome = take_capture(env, &c);
    } else {
        struct paypal_refund f;
        *err = paypal_refund_get(env->pc, e->resource_id, &f, &res);
        if (*err == RMA_OK)
            outcome = take_pending(env, f.id);
        if (outcome != NULL && outcome[0] == '\0')
            outcome = "noted"; /* the job settles the holds' refunds */
    }
    paypal_result_free(&res);
    if (*err == RMA_ENOTFOUND || *err == RMA_EINVAL) {
        /* PayPal does not know it: a forged or foreign event. */
        *err = RMA_OK;
        return "unknown resource";
    }
    if (*err == RMA_OK && outcome == NULL)
        *err = RMA_EDB;
    return outcome;
}

enum rma_err
webhook_take(struct hold_env *env, const struct webhook_event *e,
             const char **outcome)
{
    bool seen = false;
    enum rma_err err =
        db_webhook_seen(env->db, e->id, e->transmission_id, &seen);
    if (err != RMA_OK)
        return err;
    if (seen) {
        *outcome = "duplicate";
        return RMA_OK;
    }
    const char *o = act(env, e, &err);
    if (err != RMA_OK) {
        log_event(LOG_WARN, "webhook_deferred", "{s:s, s:s, s:s}", "event_id",
                  e->id, "event_type", e->type, "error", rma_err_code(err));
        return err;
    }
    err = db_webhook_record(env->db, e->id, e->type, e->resource_id, o,
                            e->transmission_id, env->now);
    if (err == RMA_ECONFLICT) { /* a concurrent delivery took it first */
        *outcome = "duplicate";
        return RMA_OK;
    }
    *outcome = o;
    return err;
}
