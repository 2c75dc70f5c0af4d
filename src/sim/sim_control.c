/* sim_control.c - the /sim/ control endpoints (doc/paypal-sim.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"

static void
clock_reply(struct sim_response *rs)
{
    char now[32];
    sim_time_iso(sim_now(g_sim), now, sizeof(now));
    sim_reply_json(rs, 200, json_pack("{s:s}", "now", now));
}

void
sim_control_clock_get(struct sim_request *rq, struct sim_response *rs)
{
    clock_reply(rs);
}

void
sim_control_clock_set(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    const char *set = sim_jstr(rq->json, "set");
    json_t *advance = json_object_get(rq->json, "advance_seconds");
    if (set != NULL) {
        int64_t t;
        if (sim_time_parse(set, &t) != 0) {
            sim_reply_sim_error(rs, 400, "set must be ISO-8601");
            return;
        }
        s->clock_offset = t - (int64_t)time(NULL);
    } else if (json_is_integer(advance) && json_integer_value(advance) >= 0) {
        s->clock_offset += (int64_t)json_integer_value(advance);
    } else {
        sim_reply_sim_error(rs, 400,
                            "expected {\"set\": ISO-8601} or "
                            "{\"advance_seconds\": N >= 0}");
        return;
    }
    sim_state_sweep(s);
    clock_reply(rs);
}

void
sim_control_latency(struct sim_request *rq, struct sim_response *rs)
{
    json_t *ms = json_object_get(rq->json, "ms");
    if (!json_is_integer(ms) || json_integer_value(ms) < 0 ||
        json_integer_value(ms) > 600000) {
        sim_reply_sim_error(rs, 400, "expected {\"ms\": 0..600000}");
        return;
    }
    g_sim->latency_ms = (int64_t)json_integer_value(ms);
    sim_reply_json(rs, 200,
                   json_pack("{s:I}", "ms", (json_int_t)g_sim->latency_ms));
}

static json_t *
faults_json(const struct sim *s)
{
    json_t *list = json_array();
    for (int i = 0; i < s->n_faults; i++) {
        const struct sim_fault *f = &s->faults[i];
        json_array_append_new(list, json_pack("{s:s, s:f, s:I, s:s}", "kind",
                                              f->kind, "rate", f->rate, "next",
                                              (json_int_t)f->next,
                                              "path_prefix", f->path_prefix));
    }
    return list;
}

void
sim_control_faults_set(struct sim_request *rq, struct sim_response *rs)
{
    static const char *const kinds[] = {"500",     "503",  "429",
                                        "timeout", "drop", "500_after_effect"};
    struct sim *s = g_sim;
    const char *kind = sim_jstr(rq->json, "kind");
    json_t *rate = json_object_get(rq->json, "rate");
    json_t *next = json_object_get(rq->json, "next");
    const char *prefix = sim_jstr(rq->json, "path_prefix");
    bool known = false;
    for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]);
         i++)
        known = known || strcmp(kind, kinds[i]) == 0;
    if (!known) {
        sim_reply_sim_error(rs, 400,
                            "kind must be 500, 503, 429, timeout, drop or "
                            "500_after_effect");
        return;
    }
    struct sim_fault f;
    memset(&f, 0, sizeof(f));
    snprintf(f.kind, sizeof(f.kind), "%s", kind);
    if (prefix != NULL)
        snprintf(f.path_prefix, sizeof(f.path_prefix), "%s", prefix);
    if (json_is_integer(next) && json_integer_value(next) > 0) {
        f.next = (int64_t)json_integer_value(next);
    } else if (json_is_number(rate) && json_number_value(rate) > 0 &&
               json_number_value(rate) <= 1) {
        f.rate = json_number_value(rate);
    } else {
        sim_reply_sim_error(rs, 400,
                            "expected \"rate\" in (0, 1] or \"next\" >= 1");
        return;
    }
    if (s->n_faults == SIM_MAX_FAULTS) {
        sim_reply_sim_error(rs, 400, "too many faults");
        return;
    }
    s->faults[s->n_faults++] = f;
    sim_reply_json(rs, 200, json_pack("{s:o}", "faults", faults_json(s)));
}

void
sim_control_faults_clear(struct sim_request *rq, struct sim_response *rs)
{
    g_sim->n_faults = 0;
    sim_reply_json(rs, 200, json_pack("{s:[]}", "faults"));
}

void
sim_control_config(struct sim_request *rq, struct sim_response *rs)
{
    const char *msg = NULL;
    if (!sim_config_apply(&g_sim->config, rq->json, &msg)) {
        char text[160];
        snprintf(text, sizeof(text), "bad or unknown field: %s", msg);
        sim_reply_sim_error(rs, 400, text);
        return;
    }
    sim_reply_json(rs, 200, sim_config_json(&g_sim->config));
}

void
sim_control_order_approve(struct sim_request *rq, struct sim_response *rs)
{
    const char *msg = NULL;
    if (!sim_order_approve(rq->id, &msg)) {
        sim_reply_sim_error(
            rs, json_object_get(sim_orders(g_sim), rq->id) ? 422 : 404, msg);
        return;
    }
    json_t *order = json_object_get(sim_orders(g_sim), rq->id);
    sim_reply_json(rs, 200,
                   json_pack("{s:s, s:s, s:s}", "id", rq->id, "status",
                             sim_jstr(order, "status"), "payer_id",
                             sim_jstr(order, "payer_id")));
}

void
sim_control_state(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    char now[32];
    json_t *body = json_deep_copy(s->state);
    json_object_set_new(
        body, "now", json_string(sim_time_iso(sim_now(s), now, sizeof(now))));
    json_object_set_new(body, "config", sim_config_json(&s->config));
    json_object_set_new(body, "faults", faults_json(s));
    json_object_set_new(body, "latency_ms", json_integer(s->latency_ms));
    json_object_set_new(body, "outcomes", sim_outcomes_json(s));
    json_object_set_new(body, "webhook_id", json_string(s->webhook_id));
    /* Counts make assertions short: {"orders": 3, ...}. */
    json_object_set_new(
        body, "counts",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "orders",
                  (json_int_t)json_object_size(sim_orders(s)), "authorizations",
                  (json_int_t)json_object_size(sim_authorizations(s)),
                  "captures", (json_int_t)json_object_size(sim_captures(s)),
                  "refunds", (json_int_t)json_object_size(sim_refunds(s)),
                  "transactions",
                  (json_int_t)json_array_size(sim_transactions(s)), "webhooks",
                  (json_int_t)json_array_size(sim_webhook_list(s))));
    json_object_set_new(body, "oauth_tokens_issued",
                        json_integer((json_int_t)s->tokens_issued));
    sim_reply_json(rs, 200, body);
}

/* DELETE /sim/tokens: every access token issued so far stops working (a
 * revocation: the next call with one answers 401). */
void
sim_control_tokens_revoke(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_int_t n = (json_int_t)json_object_size(s->tokens);
    json_object_clear(s->tokens);
    sim_reply_json(rs, 200, json_pack("{s:I}", "revoked", n));
}

void
sim_control_reset(struct sim_request *rq, struct sim_response *rs)
{
    sim_state_reset(g_sim);
    sim_reply_json(rs, 200, json_pack("{s:b}", "reset", 1));
}

/* POST /sim/mock-responses {"issue", "path_suffix", "next"}: the next N
 * POSTs whose path ends with path_suffix answer as if they carried
 * PayPal-Mock-Response {"mock_application_codes": issue}.  "next": 0 clears
 * them all. */
void
sim_control_mocks_set(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    const char *issue = sim_jstr(rq->json, "issue");
    const char *suffix = sim_jstr(rq->json, "path_suffix");
    json_t *next = json_object_get(rq->json, "next");
    if (json_is_integer(next) && json_integer_value(next) == 0) {
        s->n_mocks = 0;
        sim_reply_json(rs, 200, json_pack("{s:i}", "mocks", 0));
        return;
    }
    if (issue == NULL || suffix == NULL || strlen(issue) >= 64 ||
        strlen(suffix) >= 64 || !json_is_integer(next) ||
        json_integer_value(next) < 1) {
        sim_reply_sim_error(
            rs, 400, "expected {\"issue\", \"path_suffix\", \"next\" >= 1}");
        return;
    }
    if (s->n_mocks == SIM_MAX_MOCKS) {
        sim_reply_sim_error(rs, 400, "too many mocks");
        return;
    }
    struct sim_mock *m = &s->mocks[s->n_mocks++];
    snprintf(m->issue, sizeof(m->issue), "%s", issue);
    snprintf(m->path_suffix, sizeof(m->path_suffix), "%s", suffix);
    m->next = (int64_t)json_integer_value(next);
    int n = s->n_mocks;
    sim_reply_json(rs, 200, json_pack("{s:i}", "mocks", n));
}
