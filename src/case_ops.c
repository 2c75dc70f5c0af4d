/* case_ops.c - the operations that change a case on the advanced
 * replacement's path, one function each (case_ops.h): lock the case row,
 * re-check, apply every consequence, commit; PayPal calls in between with
 * their durable intents committed first.  PayPal's redirects and the
 * settling of an authorization are case_paypal.c. */
#include "rma/case_ops.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/ledger_ops.h"
#include "rma/log.h"
#include "rma/mail.h"

/* PayPal drops an order that was not approved within 3 hours. */
#define ORDER_LIFETIME_S (3 * 3600)

enum rma_err
case_refuse(struct case_refusal *no, enum rma_err err, const char *code,
            const char *field, const char *fmt, ...)
{
    no->code = code;
    no->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(no->message, sizeof(no->message), fmt, ap);
    va_end(ap);
    return err;
}

enum rma_err
case_refuse_state(struct case_refusal *no, const struct rma_ref *r,
                  const char *what)
{
    return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                       "%s is not possible while the RMA is %s", what,
                       rma_status_name(r->status));
}

/* ---- the transaction of an operation ---- */

enum rma_err
case_begin(struct hold_env *env, int64_t rma_id, struct rma_ref *r)
{
    enum rma_err err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_rma_lock_id(env->db, rma_id, r);
    if (err != RMA_OK)
        db_rollback(env->db);
    return err;
}

enum rma_err
case_end(struct hold_env *env, enum rma_err err)
{
    if (err == RMA_OK)
        return db_commit(env->db);
    db_rollback(env->db);
    return err;
}

bool
case_awaits_hold(const struct rma_ref *r)
{
    return r->status == ST_AWAITING_PREAUTH &&
           strcmp(r->replacement_method, "advanced") == 0;
}

/* ---- releasing a hold ---- */

enum rma_err
case_release_hold_in_tx(struct hold_env *env, int64_t rma_id,
                        const char *reason, int64_t *void_id)
{
    *void_id = 0;
    struct hold h;
    enum rma_err err = db_hold_live(env->db, rma_id, &h);
    if (err == RMA_ENOTFOUND)
        return RMA_OK;
    if (err != RMA_OK)
        return err;
    if (h.status == HOLD_PENDING_APPROVAL)
        return db_hold_abandon(env->db, h.id, env->now);
    if (h.void_requested_at != 0) {
        *void_id = h.id;
        return RMA_OK;
    }
    /* A capture asked for or under way cannot be released: a conflict. */
    err = db_hold_request_void(env->db, h.id, env->now, reason);
    if (err == RMA_OK)
        *void_id = h.id;
    return err;
}

void
case_void_now(struct hold_env *env, int64_t hold_id)
{
    if (hold_id == 0 || env->pc == NULL)
        return;
    struct hold_work w = {.hold_id = hold_id, .op = HOLD_OP_VOID};
    if (hold_run(env, &w, 1, 1) != RMA_OK || w.outcome != HOLD_DONE)
        log_event(LOG_WARN, "hold_release_deferred", "{s:I, s:s}", "hold_id",
                  (json_int_t)hold_id, "outcome", hold_outcome_name(w.outcome));
}

/* ---- the customer's choices ---- */

enum rma_err
case_choose_method(struct hold_env *env, int64_t rma_id, bool advanced,
                   struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    enum rma_event ev = advanced ? EV_CHOOSE_ADVANCED : EV_CHOOSE_STANDARD;
    int to = rma_state_next(r.status, ev, r.kind, env->who.kind);
    if (r.kind != KIND_REPLACEMENT)
        err = case_refuse(no, RMA_ERULE, "not_a_replacement", "method",
                          "only replacements have a replacement method");
    else if (to < 0)
        err =
            case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                        "choosing the replacement method is not possible while "
                        "the RMA is %s",
                        rma_status_name(r.status));
    const char *method = advanced ? "advanced" : "standard";
    char *d = hold_detail_json("{s:s}", "method", method);
    if (err == RMA_OK)
        err = db_rma_set_method(env->db, r.id, method, env->now);
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &r, (enum rma_status)to, ev, &env->who,
                                d, env->now);
    free(d);
    /* Leaving the advanced path: its order is abandoned, its hold voided. */
    int64_t void_id = 0;
    if (err == RMA_OK && !advanced)
        err = case_release_hold_in_tx(env, r.id, "cancelled", &void_id);
    err = case_end(env, err);
    if (err == RMA_OK)
        case_void_now(env, void_id);
    return err;
}

/* ---- pre-authorization ---- */

static const char *
url(const struct hold_env *env, const char *path, char *out, size_t n)
{
    const char *base =
        env->cfg->public_base_url ? env->cfg->public_base_url : "";
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    snprintf(out, n, "%.*s%s", (int)len, base, path);
    return out;
}

/* Creates the PayPal order of a pending hold (replayed with the same
 * PayPal-Request-Id after a failure) and stores its approval link, if the
 * hold is still pending then. */
static enum rma_err
create_order(struct hold_env *env, const struct rma_ref *r, struct hold *h)
{
    struct paypal_intent_key key = {
        .op = PAYPAL_OP_ORDER_CREATE,
        .case_id = r->id,
        .hold_id = h->id,
        .prefix = env->cfg->paypal_request_id_prefix,
    };
    struct paypal_intent in;
    enum rma_err err = paypal_intent_begin(env->db, &key, NULL, &in);
    if (err != RMA_OK)
        return err;
    char ret[512], cancel[512], invoice[64];
    snprintf(invoice, sizeof(invoice), "%s-H%lld", r->number, (long long)h->id);
    struct paypal_order_params p = {
        .amount = {.minor = h->amount_minor},
        .return_url = url(env, "/api/v1/paypal/return", ret, sizeof(ret)),
        .cancel_url = url(env, "/api/v1/paypal/cancel", cancel, sizeof(cancel)),
        .user_action = "CONTINUE",
        .reference_id = r->number,
        .custom_id = r->number,
        .invoice_id = invoice,
        .description = "Advanced replacement: hold until the return arrives",
    };
    snprintf(p.amount.currency, sizeof(p.amount.currency), "%s", h->currency);
    struct paypal_order o;
    struct paypal_result res = {0};
    err = paypal_order_create(env->pc, &p, in.request_id, &o, &res);
    paypal_intent_finish(env->db, in.request_id, paypal_intent_status_for(err),
                         res.body, err == RMA_OK ? o.id : NULL, &res);
    paypal_result_free(&res);
    if (err != RMA_OK) {
        log_event(LOG_WARN, "preauth_order_failed", "{s:s, s:s}", "rma",
                  r->number, "error", rma_err_code(err));
        return RMA_EUPSTREAM;
    }
    /* Must touch the hold: one abandoned meanwhile gets no link. */
    err = db_hold_set_order(env->db, h->id, o.id, o.approve_url, env->now);
    if (err == RMA_OK) {
        snprintf(h->order_id, sizeof(h->order_id), "%s", o.id);
        snprintf(h->approve_url, sizeof(h->approve_url), "%s", o.approve_url);
        h->order_created_at = env->now_t;
    }
    return err;
}

/* Under the case lock: the case's pending hold, a new one when there is
 * none or its order expired. */
static enum rma_err
pending_hold(struct hold_env *env, const struct rma_ref *r,
             const char *client_addr, struct hold *h, struct case_refusal *no)
{
    enum rma_err err = db_hold_live(env->db, r->id, h);
    if (err == RMA_OK && h->status != HOLD_PENDING_APPROVAL)
        return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                           "the hold is already in place");
    if (err == RMA_OK && h->order_created_at != 0 &&
        env->now_t - h->order_created_at >= ORDER_LIFETIME_S) {
        err = db_hold_abandon(env->db, h->id, env->now);
        if (err == RMA_OK)
            err = RMA_ENOTFOUND; /* an order PayPal no longer has */
    }
    if (err != RMA_ENOTFOUND)
        return err;
    struct hold_acceptance acc = {
        .rma_id = r->id,
        .customer_id = r->customer_id,
        .terms_version = HOLD_TERMS_VERSION,
        .terms_text = hold_terms_text(),
        .amount_minor = r->replacement_minor,
        .currency = r->currency,
        .client_addr = client_addr,
        .now = env->now,
    };
    int64_t hold_id = 0;
    err = db_hold_create(env->db, &acc, &hold_id);
    char *d =
        hold_detail_json("{s:s, s:I}", "terms_version", HOLD_TERMS_VERSION,
                         "hold_id", (json_int_t)hold_id);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r->id, &env->who, "accept_preauth", d,
                           env->now);
    free(d);
    if (err == RMA_OK)
        err = db_hold_by_id(env->db, hold_id, false, h);
    return err;
}

enum rma_err
case_preauthorize(struct hold_env *env, int64_t rma_id, const char *client_addr,
                  char *approve_url, char *order_id, struct case_refusal *no)
{
    if (env->pc == NULL)
        return case_refuse(no, RMA_EUPSTREAM, "paypal_unavailable", NULL,
                           "PayPal is not configured");
    struct rma_ref r;
    struct hold h;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    if (!case_awaits_hold(&r))
        err = case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                          "a hold is not possible while the RMA is %s",
                          rma_status_name(r.status));
    else if (r.replacement_minor <= 0)
        err = case_refuse(no, RMA_ERULE, "no_replacement_value", NULL,
                          "the RMA has no replacement value to hold");
    else if (!r.address_confirmed)
        err = case_refuse(no, RMA_ERULE, "address_required", NULL,
                          "confirm the shipping address first: the "
                          "replacement ships there once the hold is in place");
    if (err == RMA_OK)
        err = pending_hold(env, &r, client_addr, &h, no);
    err = case_end(env, err);
    if (err == RMA_OK && h.approve_url[0] == '\0')
        err = create_order(env, &r, &h);
    if (err == RMA_ECONFLICT && no->code == NULL) /* abandoned meanwhile */
        err = case_refuse(no, RMA_ECONFLICT, "state_changed", NULL,
                          "the RMA changed meanwhile: reload it");
    if (err == RMA_EUPSTREAM && no->code == NULL)
        err = case_refuse(no, RMA_EUPSTREAM, "paypal_unavailable", NULL,
                          "PayPal did not answer: try again in a moment");
    if (err != RMA_OK)
        return err;
    snprintf(approve_url, HOLD_URL_MAX, "%s", h.approve_url);
    snprintf(order_id, HOLD_ID_MAX, "%s", h.order_id);
    return RMA_OK;
}

/* ---- supervisor ---- */

/* Under the case lock: its authorized hold, with no release asked for. */
static enum rma_err
held(struct hold_env *env, const struct rma_ref *r, struct hold *h,
     struct case_refusal *no)
{
    enum rma_err err = db_hold_live(env->db, r->id, h);
    if (err == RMA_ENOTFOUND || (err == RMA_OK && h->status != HOLD_AUTHORIZED))
        return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                           "the RMA has no hold in place");
    if (err == RMA_OK && h->void_requested_at != 0)
        return case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                           "the hold is already being released");
    return err;
}

enum rma_err
case_waive_hold(struct hold_env *env, int64_t rma_id, const char *detail_json,
                struct case_refusal *no)
{
    struct rma_ref r;
    struct hold h;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = held(env, &r, &h, no);
    if (err == RMA_OK && strcmp(h.capture_reason, "manual") == 0)
        err = case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                          "a capture of the hold was asked for: it cannot be "
                          "waived");
    /* A mismatched receipt leaves the case received with its hold in
     * place: the supervisor's waiver releases it. */
    const char *reason = r.status == ST_RECEIVED ? "received" : "waived";
    if (err == RMA_OK)
        err = db_hold_request_void(env->db, h.id, env->now, reason);
    if (err == RMA_ECONFLICT && no->code == NULL)
        case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                    "a capture of the hold is under way: it cannot be waived");
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "waive_hold", detail_json,
                           env->now);
    err = case_end(env, err);
    if (err == RMA_OK)
        case_void_now(env, h.id);
    return err;
}

enum rma_err
case_capture_now(struct hold_env *env, int64_t rma_id, const char *detail_json,
                 struct case_refusal *no)
{
    struct rma_ref r;
    struct hold h;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = held(env, &r, &h, no);
    if (err == RMA_OK && r.status != ST_AWAITING_RETURN)
        err = case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                          "a capture is not possible while the RMA is %s",
                          rma_status_name(r.status));
    if (err == RMA_OK && strcmp(h.capture_reason, "manual") == 0)
        err = case_refuse(no, RMA_ECONFLICT, "invalid_state", NULL,
                          "a capture of the hold was already asked for");
    if (err == RMA_OK)
        err = db_hold_request_capture(env->db, h.id, env->now);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "capture_now", detail_json,
                           env->now);
    err = case_end(env, err);
    if (err == RMA_OK && env->pc != NULL) {
        struct hold_work w = {.hold_id = h.id, .op = HOLD_OP_CAPTURE};
        hold_run(env, &w, 1, 1);
    }
    return err;
}

enum rma_err
case_extend_deadline(struct hold_env *env, int64_t rma_id, time_t deadline,
                     const char *deadline_text, const char *detail_json,
                     struct case_refusal *no)
{
    struct rma_ref r;
    struct hold h;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = held(env, &r, &h, no);
    const char *refusal =
        err == RMA_OK ? hold_extension_refusal(&h, deadline) : NULL;
    if (refusal != NULL)
        err = case_refuse(no, RMA_ERULE, "deadline_out_of_bounds", "deadline",
                          "%s", refusal);
    if (err == RMA_OK)
        err = db_hold_extend(env->db, h.id, deadline_text, env->now);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "deadline_extension",
                           detail_json, env->now);
    return case_end(env, err);
}

/* ---- the job's sweep ---- */

enum rma_err
case_sweep_stray_holds(struct hold_env *env, int *n)
{
    *n = 0;
    int64_t ids[64];
    int found = 0;
    enum rma_err err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_hold_stray(env->db, 64, ids, &found);
    for (int i = 0; err == RMA_OK && i < found; i++) {
        struct hold h;
        err = db_hold_by_id(env->db, ids[i], true, &h);
        char key[64];
        snprintf(key, sizeof(key), "hold:%lld:stray", (long long)h.id);
        if (err == RMA_OK)
            err = db_hold_request_void(env->db, h.id, env->now, "stray");
        if (err == RMA_ECONFLICT) { /* a capture under way: finance decides */
            err = RMA_OK;
            continue;
        }
        if (err == RMA_OK)
            err = hold_exception(env, "stray_hold", h.rma_id, h.id, h.currency,
                                 h.amount_minor,
                                 "an authorized hold on a case that cannot "
                                 "have one: its release was requested",
                                 key);
        if (err == RMA_OK)
            err = db_rma_audit(env->db, h.rma_id, &env->who, "stray_hold", NULL,
                               env->now);
        if (err == RMA_OK)
            (*n)++;
    }
    if (err == RMA_OK)
        return db_commit(env->db);
    db_rollback(env->db);
    return err;
}
