/* sim_state.c - paypal-sim's state: clock, rules, idempotency, expiry. */
#include "sim/sim_state.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rma/log.h"
#include "rma/money.h"
#include "sim/sim_api.h"
#include "sim/sim_util.h"
#include "sim/sim_webhooks.h"

struct sim *g_sim;

#define ORDERS_IDEM_SECONDS (6 * 3600)
#define PAYMENTS_IDEM_SECONDS (45 * 86400)

int64_t
sim_now(const struct sim *s)
{
    return (int64_t)time(NULL) + s->clock_offset;
}

int64_t
sim_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sim_config_defaults(struct sim_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->expiry_status, sizeof(c->expiry_status), "%s", "VOIDED");
    c->reauth_limit = 1;
    c->fee_percent_bp = 349;
    c->fee_fixed_minor = 49;
    c->token_ttl_seconds = 32400;
    c->decline_after_honor = false;
    c->search_latency_seconds = 0;
    c->order_ttl_seconds = 10800;
    /* An order with neither experience_context nor application_context
     * is CREATED with an approve link, as PayPal answers (NOTES §2.1). */
    snprintf(c->link_style, sizeof(c->link_style), "%s", "approve");
    c->webhook_duplicates = false;
    c->max_captures = 10;
    snprintf(c->auth_error_style, sizeof(c->auth_error_style), "%s",
             "AUTHENTICATION_FAILURE");
}

json_t *
sim_config_json(const struct sim_config *c)
{
    return json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:s, s:b, s:I, s:s}",
        "expiry_status", c->expiry_status, "reauth_limit",
        (json_int_t)c->reauth_limit, "fee_percent_bp",
        (json_int_t)c->fee_percent_bp, "fee_fixed_minor",
        (json_int_t)c->fee_fixed_minor, "token_ttl_seconds",
        (json_int_t)c->token_ttl_seconds, "decline_after_honor",
        c->decline_after_honor, "search_latency_seconds",
        (json_int_t)c->search_latency_seconds, "order_ttl_seconds",
        (json_int_t)c->order_ttl_seconds, "link_style", c->link_style,
        "webhook_duplicates", c->webhook_duplicates, "max_captures",
        (json_int_t)c->max_captures, "auth_error_style", c->auth_error_style);
}

static bool
config_int(const json_t *body, const char *key, int64_t min, int64_t *out,
           const char **msg)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < min) {
        *msg = key;
        return false;
    }
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool
config_choice(const json_t *body, const char *key, const char *a, const char *b,
              char *out, size_t n, const char **msg)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL)
        return true;
    const char *s = json_string_value(v);
    if (s == NULL || (strcmp(s, a) != 0 && strcmp(s, b) != 0)) {
        *msg = key;
        return false;
    }
    snprintf(out, n, "%s", s);
    return true;
}

static bool
config_bool(const json_t *body, const char *key, bool *out, const char **msg)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL)
        return true;
    if (!json_is_boolean(v)) {
        *msg = key;
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool
sim_config_apply(struct sim_config *c, json_t *body, const char **msg)
{
    static const char *const known[] = {
        "expiry_status",          "reauth_limit",      "fee_percent_bp",
        "fee_fixed_minor",        "token_ttl_seconds", "decline_after_honor",
        "search_latency_seconds", "order_ttl_seconds", "link_style",
        "webhook_duplicates",     "max_captures",      "auth_error_style"};
    const char *key;
    json_t *value;
    if (!json_is_object(body)) {
        *msg = "body must be a JSON object";
        return false;
    }
    json_object_foreach(body, key, value)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok) {
            *msg = key;
            return false;
        }
    }
    struct sim_config n = *c;
    if (!config_choice(body, "expiry_status", "VOIDED", "EXPIRED",
                       n.expiry_status, sizeof(n.expiry_status), msg) ||
        !config_int(body, "reauth_limit", 0, &n.reauth_limit, msg) ||
        !config_int(body, "fee_percent_bp", 0, &n.fee_percent_bp, msg) ||
        !config_int(body, "fee_fixed_minor", 0, &n.fee_fixed_minor, msg) ||
        !config_int(body, "token_ttl_seconds", 1, &n.token_ttl_seconds, msg) ||
        !config_bool(body, "decline_after_honor", &n.decline_after_honor,
                     msg) ||
        !config_int(body, "search_latency_seconds", 0,
                    &n.search_latency_seconds, msg) ||
        !config_int(body, "order_ttl_seconds", 1, &n.order_ttl_seconds, msg) ||
        !config_choice(body, "link_style", "payer-action", "approve",
                       n.link_style, sizeof(n.link_style), msg) ||
        !config_bool(body, "webhook_duplicates", &n.webhook_duplicates, msg) ||
        !config_int(body, "max_captures", 1, &n.max_captures, msg) ||
        !config_choice(body, "auth_error_style", "AUTHENTICATION_FAILURE",
                       "invalid_token", n.auth_error_style,
                       sizeof(n.auth_error_style), msg))
        return false;
    if (n.fee_percent_bp > 10000) {
        *msg = "fee_percent_bp";
        return false;
    }
    *c = n;
    return true;
}

void
sim_state_reset(struct sim *s)
{
    json_decref(s->state);
    s->state = json_pack("{s:{}, s:{}, s:{}, s:{}, s:[], s:[], s:{}, s:{}}",
                         "orders", "authorizations", "captures", "refunds",
                         "transactions", "webhooks", "idempotency", "executed");
    s->next_expiry = 0;
    s->webhook_scan_from = 0;
    s->clock_offset = 0;
    s->latency_ms = 0;
    s->n_faults = 0;
    s->n_mocks = 0;
    s->n_outcomes = 0;
    sim_config_defaults(&s->config);
}

json_t *
sim_orders(struct sim *s)
{
    return json_object_get(s->state, "orders");
}

json_t *
sim_authorizations(struct sim *s)
{
    return json_object_get(s->state, "authorizations");
}

json_t *
sim_captures(struct sim *s)
{
    return json_object_get(s->state, "captures");
}

json_t *
sim_refunds(struct sim *s)
{
    return json_object_get(s->state, "refunds");
}

json_t *
sim_transactions(struct sim *s)
{
    return json_object_get(s->state, "transactions");
}

json_t *
sim_webhook_list(struct sim *s)
{
    return json_object_get(s->state, "webhooks");
}

void
sim_state_sweep(struct sim *s)
{
    int64_t now = sim_now(s);
    if (now < s->next_expiry)
        return;
    int64_t next = INT64_MAX;
    const char *id;
    json_t *auth;
    json_object_foreach(sim_authorizations(s), id, auth)
    {
        const char *status = sim_jstr(auth, "status");
        if (status == NULL || (strcmp(status, "CREATED") != 0 &&
                               strcmp(status, "PARTIALLY_CAPTURED") != 0))
            continue;
        int64_t expires = sim_jint(auth, "expires");
        if (now < expires) {
            if (expires < next)
                next = expires;
            continue;
        }
        sim_set_str(auth, "status", s->config.expiry_status);
        json_object_set_new(auth, "expired", json_true());
        sim_set_int(auth, "updated", expires);
        json_t *resource = sim_payments_authorization_json(auth);
        char summary[128];
        snprintf(summary, sizeof(summary),
                 "A payment authorization was voided for %s %s",
                 sim_jstr(json_object_get(resource, "amount"), "value"),
                 sim_jstr(auth, "currency"));
        sim_webhook_queue(s, "PAYMENT.AUTHORIZATION.VOIDED", "authorization",
                          summary, resource);
        json_decref(resource);
    }
    s->next_expiry = next;
}

void
sim_state_save(struct sim *s)
{
    if (s->state_file == NULL)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", s->state_file);
    json_t *snap = json_pack("{s:O, s:I, s:o}", "state", s->state,
                             "clock_offset", (json_int_t)s->clock_offset,
                             "config", sim_config_json(&s->config));
    if (snap == NULL)
        return;
    if (json_dump_file(snap, tmp, JSON_COMPACT) != 0 ||
        rename(tmp, s->state_file) != 0)
        log_event(LOG_WARN, "sim_state_save_failed", "{s:s}", "file",
                  s->state_file);
    json_decref(snap);
}

void
sim_state_load(struct sim *s)
{
    if (s->state_file == NULL || access(s->state_file, F_OK) != 0)
        return;
    json_error_t error;
    json_t *snap = json_load_file(s->state_file, 0, &error);
    json_t *state = json_object_get(snap, "state");
    const char *msg = NULL;
    if (!json_is_object(state) ||
        !json_is_object(json_object_get(state, "authorizations"))) {
        log_event(LOG_WARN, "sim_state_load_failed", "{s:s}", "file",
                  s->state_file);
        json_decref(snap);
        return;
    }
    json_decref(s->state);
    s->state = json_incref(state);
    s->next_expiry = 0;
    s->webhook_scan_from = 0;
    s->clock_offset = sim_jint(snap, "clock_offset");
    json_t *config = json_object_get(snap, "config");
    if (config != NULL && !sim_config_apply(&s->config, config, &msg))
        log_event(LOG_WARN, "sim_state_config_ignored", "{s:s}", "field", msg);
    json_decref(snap);
}

static int64_t
idem_retention(const char *kind)
{
    return strcmp(kind, "orders") == 0 ? ORDERS_IDEM_SECONDS
                                       : PAYMENTS_IDEM_SECONDS;
}

json_t *
sim_idem_get(struct sim *s, const char *key, const char *kind)
{
    json_t *store = json_object_get(s->state, "idempotency");
    json_t *entry = json_object_get(store, key);
    if (entry == NULL)
        return NULL;
    if (sim_now(s) - sim_jint(entry, "created") > idem_retention(kind)) {
        json_object_del(store, key);
        return NULL;
    }
    return entry;
}

void
sim_idem_begin(struct sim *s, const char *key, const char *kind)
{
    json_t *store = json_object_get(s->state, "idempotency");
    json_object_set_new(store, key,
                        json_pack("{s:s, s:I, s:b}", "kind", kind, "created",
                                  (json_int_t)sim_now(s), "in_progress", 1));
}

void
sim_idem_finish(struct sim *s, const char *key, int status, const json_t *body)
{
    json_t *store = json_object_get(s->state, "idempotency");
    json_t *entry = json_object_get(store, key);
    if (entry == NULL)
        return;
    if (status == 0) {
        json_object_del(store, key);
        return;
    }
    json_object_set_new(entry, "in_progress", json_false());
    sim_set_int(entry, "status", status);
    json_object_set_new(entry, "body",
                        body != NULL ? json_deep_copy(body) : json_null());
}

void
sim_count_execution(struct sim *s, const char *request_id)
{
    if (request_id == NULL)
        return;
    json_t *executed = json_object_get(s->state, "executed");
    sim_set_int(executed, request_id, sim_jint(executed, request_id) + 1);
}

void
sim_add_transaction(struct sim *s, json_t *row)
{
    sim_set_int(row, "recorded", sim_now(s));
    json_array_append_new(sim_transactions(s), row);
}

int64_t
sim_fee(const struct sim *s, int64_t gross_minor)
{
    return money_ratio_half_up(gross_minor, s->config.fee_percent_bp, 10000) +
           s->config.fee_fixed_minor;
}
