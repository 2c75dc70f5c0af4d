/* sim_outcomes.c - outcome control (SPEC §16, doc/paypal-sim.md): the rules
 * that make the next authorize, capture or refund answer 201 with a status
 * other than success (POST /sim/outcomes), and settling a pending
 * authorization, capture or refund later (POST /sim/outcomes/settle).
 *
 * The rules live in g_sim->outcomes, under the state lock like every
 * handler here; the effects of settling are Payments rules and live in
 * sim_payments.c. */
#include <stdio.h>
#include <string.h>

#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"

#define OUTCOME_NEXT_MAX 1000

/* Which statuses an operation may be told to answer: the ones its
 * resource's OpenAPI enum has besides success (authorization_status,
 * capture_status, refund_status).  NULL-terminated. */
struct outcome_kind {
    const char *operation;
    const char *const statuses[4];
    const char *list; /* for messages */
};

static const struct outcome_kind kinds[] = {
    {"authorize", {"PENDING", "DENIED", NULL}, "PENDING or DENIED"},
    {"capture",
     {"PENDING", "DECLINED", "FAILED", NULL},
     "PENDING, DECLINED or FAILED"},
    {"refund", {"PENDING", "FAILED", NULL}, "PENDING or FAILED"},
};

static const struct outcome_kind *
kind_of(const char *operation)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].operation, operation) == 0)
            return &kinds[i];
    return NULL;
}

/* The static spelling of status among the kind's, or NULL. */
static const char *
kind_status(const struct outcome_kind *k, const char *status)
{
    for (size_t i = 0; k->statuses[i] != NULL; i++)
        if (strcmp(k->statuses[i], status) == 0)
            return k->statuses[i];
    return NULL;
}

const char *
sim_outcome_take(struct sim *s, const char *operation)
{
    for (int i = 0; i < s->n_outcomes; i++) {
        struct sim_outcome *o = &s->outcomes[i];
        if (strcmp(o->operation, operation) != 0 || o->next <= 0)
            continue;
        const struct outcome_kind *k = kind_of(operation);
        const char *status = k != NULL ? kind_status(k, o->status) : NULL;
        if (--o->next == 0) {
            memmove(o, o + 1, (size_t)(s->n_outcomes - i - 1) * sizeof(*o));
            s->n_outcomes--;
        }
        return status;
    }
    return NULL;
}

json_t *
sim_outcomes_json(const struct sim *s)
{
    json_t *list = json_array();
    for (int i = 0; i < s->n_outcomes; i++) {
        const struct sim_outcome *o = &s->outcomes[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "operation",
                                              o->operation, "status", o->status,
                                              "next", (json_int_t)o->next));
    }
    return list;
}

static void
outcomes_reply(struct sim_response *rs)
{
    sim_reply_json(rs, 200,
                   json_pack("{s:o}", "outcomes", sim_outcomes_json(g_sim)));
}

/* A 400 naming the first key of body not in known (NULL-terminated);
 * false when there is one. */
static bool
only_known_keys(struct sim_response *rs, json_t *body, const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool ok = false;
        for (size_t i = 0; known[i] != NULL && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            char msg[160];
            snprintf(msg, sizeof(msg), "unknown field: %.100s", key);
            sim_reply_sim_error(rs, 400, msg);
            return false;
        }
    }
    return true;
}

/* POST /sim/outcomes {"operation", "status", "next"}: the next `next`
 * operations of that kind that would succeed answer 201 with status. */
void
sim_control_outcomes_set(struct sim_request *rq, struct sim_response *rs)
{
    static const char *const known[] = {"operation", "status", "next", NULL};
    struct sim *s = g_sim;
    if (!json_is_object(rq->json)) {
        sim_reply_sim_error(rs, 400,
                            "expected a JSON object {\"operation\", "
                            "\"status\", \"next\"}");
        return;
    }
    if (!only_known_keys(rs, rq->json, known))
        return;
    const char *operation = sim_jstr(rq->json, "operation");
    const char *status = sim_jstr(rq->json, "status");
    json_t *next = json_object_get(rq->json, "next");
    const struct outcome_kind *k =
        operation != NULL ? kind_of(operation) : NULL;
    if (k == NULL) {
        sim_reply_sim_error(rs, 400,
                            "operation must be authorize, capture or refund");
        return;
    }
    if (status == NULL ||
        (strcmp(status, "PENDING") != 0 && strcmp(status, "DENIED") != 0 &&
         strcmp(status, "DECLINED") != 0 && strcmp(status, "FAILED") != 0)) {
        sim_reply_sim_error(rs, 400,
                            "status must be PENDING, DENIED, DECLINED or "
                            "FAILED");
        return;
    }
    if (kind_status(k, status) == NULL) {
        char msg[160];
        snprintf(msg, sizeof(msg), "status %s does not apply to %s (%s)",
                 status, operation, k->list);
        sim_reply_sim_error(rs, 400, msg);
        return;
    }
    if (!json_is_integer(next) || json_integer_value(next) < 1 ||
        json_integer_value(next) > OUTCOME_NEXT_MAX) {
        sim_reply_sim_error(rs, 400, "next must be an integer from 1 to 1000");
        return;
    }
    if (s->n_outcomes == SIM_MAX_OUTCOMES) {
        sim_reply_sim_error(rs, 400, "too many outcome rules");
        return;
    }
    struct sim_outcome *o = &s->outcomes[s->n_outcomes++];
    memset(o, 0, sizeof(*o));
    snprintf(o->operation, sizeof(o->operation), "%s", operation);
    snprintf(o->status, sizeof(o->status), "%s", status);
    o->next = (int64_t)json_integer_value(next);
    outcomes_reply(rs);
}

/* GET /sim/outcomes: the rules still armed, oldest first. */
void
sim_control_outcomes_list(struct sim_request *rq, struct sim_response *rs)
{
    outcomes_reply(rs);
}

/* DELETE /sim/outcomes: forgets every rule. */
void
sim_control_outcomes_clear(struct sim_request *rq, struct sim_response *rs)
{
    g_sim->n_outcomes = 0;
    outcomes_reply(rs);
}

/* The statuses each kind of pending resource settles to, as the control
 * endpoint takes them (sim_payments_settle maps them to the resource). */
static const struct {
    const char *kind;
    const char *const statuses[5];
    const char *list;
} settles[] = {
    {"authorization", {"CREATED", "DENIED", NULL}, "CREATED or DENIED"},
    {"capture",
     {"COMPLETED", "DECLINED", "DENIED", "FAILED", NULL},
     "COMPLETED, DECLINED, DENIED or FAILED"},
    {"refund", {"COMPLETED", "FAILED", NULL}, "COMPLETED or FAILED"},
};

/* POST /sim/outcomes/settle {"id", "status"}: a PENDING authorization,
 * capture or refund takes status, and its webhook event (if PayPal has
 * one) is queued.  400 bad body, 404 unknown id, 422 a status that does
 * not fit the resource, 409 not pending. */
void
sim_control_outcomes_settle(struct sim_request *rq, struct sim_response *rs)
{
    static const char *const known[] = {"id", "status", NULL};
    static const char *const all[] = {"CREATED", "COMPLETED", "DENIED",
                                      "DECLINED", "FAILED"};
    struct sim *s = g_sim;
    if (!json_is_object(rq->json)) {
        sim_reply_sim_error(rs, 400,
                            "expected a JSON object {\"id\", \"status\"}");
        return;
    }
    if (!only_known_keys(rs, rq->json, known))
        return;
    const char *id = sim_jstr(rq->json, "id");
    const char *status = sim_jstr(rq->json, "status");
    if (id == NULL || *id == '\0' || strlen(id) > 64) {
        sim_reply_sim_error(rs, 400,
                            "id must be an authorization, capture or refund "
                            "id");
        return;
    }
    bool valid = false;
    for (size_t i = 0; status != NULL && i < sizeof(all) / sizeof(all[0]); i++)
        valid = valid || strcmp(status, all[i]) == 0;
    if (!valid) {
        sim_reply_sim_error(rs, 400,
                            "status must be CREATED, COMPLETED, DENIED, "
                            "DECLINED or FAILED");
        return;
    }
    json_t *const stores[] = {sim_authorizations(s), sim_captures(s),
                              sim_refunds(s)};
    size_t which = 0;
    json_t *record = NULL;
    for (size_t i = 0; i < 3 && record == NULL; i++) {
        record = json_object_get(stores[i], id);
        which = i;
    }
    if (record == NULL) {
        sim_reply_sim_error(rs, 404,
                            "no authorization, capture or refund has this "
                            "id");
        return;
    }
    bool fits = false;
    for (size_t i = 0; settles[which].statuses[i] != NULL; i++)
        fits = fits || strcmp(settles[which].statuses[i], status) == 0;
    char msg[200];
    if (!fits) {
        snprintf(msg, sizeof(msg), "a pending %s settles as %s, not %s",
                 settles[which].kind, settles[which].list, status);
        sim_reply_sim_error(rs, 422, msg);
        return;
    }
    const char *now_status = sim_jstr(record, "status");
    if (now_status == NULL || strcmp(now_status, "PENDING") != 0) {
        snprintf(msg, sizeof(msg), "the %s is %s, not PENDING",
                 settles[which].kind, now_status != NULL ? now_status : "?");
        sim_reply_sim_error(rs, 409, msg);
        return;
    }
    const char *event =
        sim_payments_settle(record, settles[which].kind, status);
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "id", id, "kind", settles[which].kind,
                  "status", sim_jstr(record, "status"));
    json_object_set_new(body, "event",
                        event != NULL ? json_string(event) : json_null());
    sim_reply_json(rs, 200, body);
}
