/* hold_ops.c - the PayPal work of holds, each piece exactly once: prepare
 * (durable intent), call (concurrently), settle (one transaction).  See
 * hold_ops.h for the protocol. */
#include "rma/hold_ops.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/ledger.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/money.h"

static const char *const op_names[] = {
    [HOLD_OP_VOID] = "void",
    [HOLD_OP_CAPTURE] = "capture",
    [HOLD_OP_REAUTHORIZE] = "reauthorize",
    [HOLD_OP_REFUND] = "refund",
};

static const char *const outcome_names[] = {
    [HOLD_DONE] = "done",       [HOLD_REFUSED] = "refused",
    [HOLD_PENDING] = "pending", [HOLD_SKIPPED] = "skipped",
    [HOLD_ERROR] = "error",
};

const char *
hold_op_name(enum hold_op op)
{
    return op_names[op];
}

const char *
hold_outcome_name(enum hold_outcome o)
{
    return outcome_names[o];
}

void
hold_env_set_now(struct hold_env *env, time_t now)
{
    struct tm tm;
    env->now_t = now;
    gmtime_r(&now, &tm);
    strftime(env->now, sizeof(env->now), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
iso(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct hold_policy
hold_policy_of(const struct rma_config *cfg)
{
    struct hold_policy p = {
        .return_window_days = cfg->return_window_days,
        .capture_before_expiry = cfg->capture_before_expiry,
        .capture_max_attempts = (int)cfg->capture_max_attempts,
        .capture_retry_s = cfg->capture_retry_hours * 3600,
    };
    return p;
}

struct paypal_client *
hold_paypal_client(const struct rma_config *cfg, bool interactive)
{
    if (cfg->paypal_base_url == NULL || cfg->paypal_base_url[0] == '\0')
        return NULL;
    struct paypal_client_options o = {
        .base_url = cfg->paypal_base_url,
        .client_id = cfg->paypal_client_id,
        .client_secret = cfg->paypal_client_secret,
        .ca_file = cfg->paypal_ca_file,
        .https_only = !cfg->test_mode,
        .connect_timeout_ms = cfg->paypal_connect_timeout_ms,
        .timeout_ms = cfg->paypal_timeout_ms,
        .max_attempts = (int)cfg->paypal_max_attempts,
    };
    if (interactive) {
        /* A person waits: one quick retry at most; the job does the rest. */
        o.max_attempts = o.max_attempts > 2 ? 2 : o.max_attempts;
        if (o.timeout_ms == 0 || o.timeout_ms > 8000)
            o.timeout_ms = 8000;
        o.backoff_max_ms = 500;
        o.retry_after_max_ms = 1000;
    }
    return paypal_client_new(&o);
}

static void
amount_text(int64_t minor, const char *currency, char *out, size_t n)
{
    char v[MONEY_TEXT_MAX];
    money_format_minor(minor, money_exponent(currency), v);
    snprintf(out, n, "%s %s", v, currency);
}

enum rma_err
hold_exception(struct hold_env *env, const char *kind, int64_t rma_id,
               int64_t hold_id, const char *currency, int64_t amount_minor,
               const char *detail, const char *dedupe_key)
{
    char rma[24], hold[24], amount[24];
    snprintf(rma, sizeof(rma), "%lld", (long long)rma_id);
    snprintf(hold, sizeof(hold), "%lld", (long long)hold_id);
    snprintf(amount, sizeof(amount), "%lld", (long long)amount_minor);
    const char *params[] = {kind,   rma,    hold,       currency,
                            amount, detail, dedupe_key, env->now};
    log_event(LOG_WARN, "finance_exception", "{s:s, s:I, s:s}", "kind", kind,
              "hold_id", (json_int_t)hold_id, "detail", detail);
    return db_hold_exec_any(env->db, "hold_exception", 8, params);
}

/* Moves the hold's case by ev as the system (or the staff member who asked)
 * when the state machine allows it from where the case is now; a case that
 * is elsewhere is left alone (the event is then only audited). */
static enum rma_err
move_case(struct hold_env *env, int64_t rma_id, enum rma_event ev,
          const char *detail_json, struct rma_ref *r)
{
    enum rma_err err = db_rma_find_id(env->db, rma_id, r);
    if (err != RMA_OK)
        return err;
    int to = rma_state_next(r->status, ev, r->kind, env->who.kind);
    if (to < 0 && env->who.kind != ACTOR_SYSTEM)
        to = rma_state_next(r->status, ev, r->kind, ACTOR_SYSTEM);
    if (to < 0)
        return db_rma_audit(env->db, rma_id, &env->who, rma_event_name(ev),
                            detail_json, env->now);
    err = db_rma_transition(env->db, r, (enum rma_status)to, ev, &env->who,
                            detail_json, env->now);
    if (err == RMA_OK)
        r->status = (enum rma_status)to;
    return err;
}

static enum rma_err
mail_customer(struct hold_env *env, const struct rma_ref *r, const char *kind,
              int64_t minor, const char *currency)
{
    char amount[48];
    amount_text(minor, currency, amount, sizeof(amount));
    struct mail_text t = {0};
    const char *base =
        env->cfg->public_base_url ? env->cfg->public_base_url : "";
    enum rma_err err = strcmp(kind, "hold_released") == 0
                           ? mail_text_hold_released(base, r->customer_name,
                                                     r->number, amount, &t)
                           : mail_text_hold_captured(base, r->customer_name,
                                                     r->number, amount, &t);
    if (err == RMA_OK)
        err = mail_enqueue(env->db, kind, r->id, r->customer_email, t.subject,
                           t.body);
    mail_text_free(&t);
    return err;
}

static char *
detail_json(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *d = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return s;
}

/* ---- outcomes ---- */

enum rma_err
hold_apply_authorized(struct hold_env *env, struct hold *h,
                      const struct paypal_authorization *a)
{
    time_t at = a->created ? a->created : env->now_t;
    time_t expires =
        a->expiration ? a->expiration : at + HOLD_VALIDITY_DAYS * HOLD_DAY;
    time_t deadline = hold_deadline(at, env->cfg->return_window_days);
    if (deadline > expires - HOLD_DAY)
        deadline = expires - HOLD_DAY;
    char id[24], t_at[32], t_exp[32], t_honor[32], t_deadline[32];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    iso(at, t_at, sizeof(t_at));
    iso(expires, t_exp, sizeof(t_exp));
    iso(at + HOLD_HONOR_DAYS * HOLD_DAY, t_honor, sizeof(t_honor));
    iso(deadline, t_deadline, sizeof(t_deadline));
    const char *params[] = {id,      a->id,      t_at,    t_exp,
                            t_honor, t_deadline, env->now};
    enum rma_err err = db_hold_exec(env->db, "hold_authorize", 7, params);
    if (err == RMA_OK)
        err = ledger_hold_authorized(env->db, h->rma_id, h->id, h->currency,
                                     h->amount_minor, a->id);
    struct rma_ref r;
    char *d = detail_json("{s:s, s:s}", "authorization_id", a->id, "deadline",
                          t_deadline);
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_PREAUTHORIZED, d, &r);
    free(d);
    if (err == RMA_OK) {
        h->status = HOLD_AUTHORIZED;
        h->authorized_at = at;
        h->expires_at = expires;
        h->deadline = deadline;
        snprintf(h->authorization_id, sizeof(h->authorization_id), "%s", a->id);
    }
    return err;
}

enum rma_err
hold_apply_released(struct hold_env *env, struct hold *h, enum hold_status to,
                    const char *paypal_id)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    const char *params[] = {id, env->now, hold_status_name(to)};
    enum rma_err err = db_hold_exec(env->db, "hold_voided", 3, params);
    if (err == RMA_OK)
        err = ledger_hold_released(env->db, h->rma_id, h->id, h->currency,
                                   h->amount_minor,
                                   to == HOLD_VOIDED ? "voided" : "expired",
                                   paypal_id ? paypal_id : h->authorization_id);
    struct rma_ref r;
    if (err == RMA_OK)
        err = db_rma_find_id(env->db, h->rma_id, &r);
    if (err != RMA_OK)
        return err;
    char *d = detail_json("{s:s, s:s}", "hold", hold_status_name(to), "reason",
                          h->void_reason[0] ? h->void_reason : "paypal");
    if (to == HOLD_VOIDED && strcmp(h->void_reason, "received") == 0) {
        err = move_case(env, h->rma_id, EV_COMPLETE, d, &r);
        if (err == RMA_OK)
            err = mail_customer(env, &r, "hold_released", h->amount_minor,
                                h->currency);
    } else if (to == HOLD_VOIDED && strcmp(h->void_reason, "waived") == 0) {
        err = move_case(env, h->rma_id, EV_WAIVE, d, &r);
        if (err == RMA_OK)
            err = mail_customer(env, &r, "hold_released", h->amount_minor,
                                h->currency);
    } else if (to == HOLD_EXPIRED) {
        /* PayPal let the hold lapse before it was released or captured. */
        if (h->void_requested_at == 0) {
            err = move_case(env, h->rma_id, EV_CAPTURE_FAILED, d, &r);
            char key[64];
            snprintf(key, sizeof(key), "hold:%lld:expired", (long long)h->id);
            if (err == RMA_OK)
                err = hold_exception(env, "hold_expired", h->rma_id, h->id,
                                     h->currency, h->amount_minor,
                                     "the authorization expired before the "
                                     "return or a capture",
                                     key);
        } else {
            err = db_rma_audit(env->db, h->rma_id, &env->who, "hold_expired", d,
                               env->now);
        }
    } else {
        err = db_rma_audit(env->db, h->rma_id, &env->who, "hold_released", d,
                           env->now);
    }
    free(d);
    if (err == RMA_OK)
        h->status = to;
    return err;
}

static enum rma_err
apply_captured(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_capture *c = &w->item.out.capture;
    int64_t gross = c->amount.minor > 0 ? c->amount.minor : h->amount_minor;
    int64_t fee = c->has_breakdown ? c->fee.minor : 0;
    char id[24], gross_s[24], fee_s[24];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    snprintf(gross_s, sizeof(gross_s), "%lld", (long long)gross);
    snprintf(fee_s, sizeof(fee_s), "%lld", (long long)fee);
    const char *params[] = {id, c->id, gross_s, fee_s, env->now, w->why};
    enum rma_err err = db_hold_exec(env->db, "hold_captured", 6, params);
    if (err == RMA_OK)
        err = ledger_hold_released(env->db, h->rma_id, h->id, h->currency,
                                   h->amount_minor, "captured", c->id);
    if (err == RMA_OK)
        err = ledger_capture(env->db, h->rma_id, h->id, w->intent.id, c->id,
                             h->currency, gross, fee);
    struct rma_ref r;
    char *d = detail_json("{s:s, s:s, s:s}", "capture_id", c->id, "reason",
                          w->why, "authorization_id", hold_capture_target(h));
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_CAPTURE, d, &r);
    free(d);
    if (err == RMA_OK && r.status == ST_CHARGED)
        err = mail_customer(env, &r, "hold_captured", gross, h->currency);
    /* The unit arrived while the capture was under way: give it back. */
    if (err == RMA_OK && r.status == ST_RECEIVED) {
        const char *rp[] = {id, gross_s, "returned while the capture was made",
                            env->now};
        err = db_hold_exec_any(env->db, "hold_request_refund", 4, rp);
    }
    return err;
}

static bool
issue_is(const struct paypal_result *res, const char *issue)
{
    return strcmp(res->issue, issue) == 0 || strcmp(res->name, issue) == 0;
}

static enum rma_err
apply_capture_refused(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_result *res = &w->item.result;
    if (issue_is(res, "AUTHORIZATION_EXPIRED") ||
        issue_is(res, "AUTHORIZATION_VOIDED"))
        return hold_apply_released(env, h, HOLD_EXPIRED, NULL);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    struct hold_policy p = hold_policy_of(env->cfg);
    if (h->capture_attempts + 1 < p.capture_max_attempts) {
        char next[32];
        iso(env->now_t + p.capture_retry_s, next, sizeof(next));
        const char *params[] = {id, next, env->now};
        enum rma_err err =
            db_hold_exec(env->db, "hold_capture_declined", 3, params);
        char *d = detail_json("{s:s, s:s, s:i, s:s}", "issue", res->issue,
                              "debug_id", res->debug_id, "attempt",
                              h->capture_attempts + 1, "next_attempt", next);
        if (err == RMA_OK)
            err = db_rma_audit(env->db, h->rma_id, &env->who,
                               "capture_declined", d, env->now);
        free(d);
        return err;
    }
    const char *params[] = {id, env->now};
    enum rma_err err = db_hold_exec(env->db, "hold_failed", 2, params);
    if (err == RMA_OK)
        err = ledger_hold_released(env->db, h->rma_id, h->id, h->currency,
                                   h->amount_minor, "failed",
                                   h->authorization_id);
    struct rma_ref r;
    char *d = detail_json("{s:s, s:s, s:i}", "issue", res->issue, "debug_id",
                          res->debug_id, "attempts", h->capture_attempts + 1);
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_CAPTURE_FAILED, d, &r);
    free(d);
    char key[64], detail[512];
    snprintf(key, sizeof(key), "hold:%lld:capture_failed", (long long)h->id);
    snprintf(detail, sizeof(detail),
             "capture declined %d times (last: %s %s, debug_id %s): collect "
             "manually",
             h->capture_attempts + 1, res->name, res->issue, res->debug_id);
    if (err == RMA_OK)
        err = hold_exception(env, "capture_failed", h->rma_id, h->id,
                             h->currency, h->amount_minor, detail, key);
    return err;
}

static enum rma_err
apply_reauthorized(struct hold_env *env, struct hold_work *w, bool ok)
{
    struct hold *h = &w->h;
    const struct paypal_authorization *a = &w->item.out.authorization;
    char id[24], honor[32];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    time_t at = ok && a->created ? a->created : env->now_t;
    iso(at + HOLD_HONOR_DAYS * HOLD_DAY, honor, sizeof(honor));
    const char *params[] = {id, ok ? "succeeded" : "refused", ok ? a->id : NULL,
                            env->now, ok ? honor : NULL};
    enum rma_err err = db_hold_exec(env->db, "hold_reauthorized", 5, params);
    if (err == RMA_OK && ok)
        err = ledger_hold_reauthorized(env->db, h->rma_id, h->id, h->currency,
                                       h->amount_minor, a->id);
    char *d = ok ? detail_json("{s:s}", "reauthorization_id", a->id)
                 : detail_json("{s:s, s:s}", "issue", w->item.result.issue,
                               "debug_id", w->item.result.debug_id);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, h->rma_id, &env->who,
                           ok ? "hold_reauthorized" : "reauthorization_refused",
                           d, env->now);
    free(d);
    return err;
}

static enum rma_err
apply_refunded(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_refund *rf = &w->item.out.refund;
    int64_t amount =
        rf->amount.minor > 0 ? rf->amount.minor : h->refund_requested_minor;
    int64_t fee_back = rf->has_breakdown ? rf->fee.minor : 0;
    char id[24], amount_s[24];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    snprintf(amount_s, sizeof(amount_s), "%lld", (long long)amount);
    const char *params[] = {id, rf->id, amount_s, env->now};
    enum rma_err err = db_hold_exec(env->db, "hold_refunded", 4, params);
    if (err == RMA_OK)
        err = ledger_refund(env->db, h->rma_id, h->id, w->intent.id, rf->id,
                            h->currency, amount, fee_back);
    struct rma_ref r;
    char *d = detail_json("{s:s, s:o}", "refund_id", rf->id, "amount",
                          json_string(amount_s));
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_COMPLETE, d, &r);
    free(d);
    return err;
}

/* ---- prepare, call, settle ---- */

static bool
still_due(struct hold_env *env, struct hold_work *w, enum rma_status cs)
{
    const struct hold *h = &w->h;
    struct hold_policy p = hold_policy_of(env->cfg);
    switch (w->op) {
    case HOLD_OP_VOID:
        return h->status == HOLD_AUTHORIZED && h->void_requested_at != 0;
    case HOLD_OP_CAPTURE: {
        const char *why = NULL;
        if (hold_capture_due(h, cs, env->now_t, &p, &why)) {
            w->why = why;
            return true;
        }
        /* A capture already asked of PayPal is finished whatever happened
         * since (its outcome decides). */
        if (h->status == HOLD_AUTHORIZED && w->intent.id > 0) {
            w->why = h->capture_reason[0] ? "manual" : "deadline";
            return true;
        }
        return false;
    }
    case HOLD_OP_REAUTHORIZE: return hold_reauth_due(h, cs, env->now_t);
    case HOLD_OP_REFUND:
        return h->status == HOLD_CAPTURED && h->refund_requested_minor > 0 &&
               h->refund_id[0] == '\0';
    }
    return false;
}

static const enum paypal_operation paypal_op[] = {
    [HOLD_OP_VOID] = PAYPAL_OP_VOID,
    [HOLD_OP_CAPTURE] = PAYPAL_OP_CAPTURE,
    [HOLD_OP_REAUTHORIZE] = PAYPAL_OP_REAUTHORIZE,
    [HOLD_OP_REFUND] = PAYPAL_OP_REFUND,
};

static void
prepare(struct hold_env *env, struct hold_work *w)
{
    w->ready = false;
    w->outcome = HOLD_SKIPPED;
    enum rma_status cs;
    enum rma_err err = db_hold_with_case(env->db, w->hold_id, &w->h, &cs);
    if (err != RMA_OK) {
        w->outcome = HOLD_ERROR;
        return;
    }
    struct paypal_intent_key key = {
        .op = paypal_op[w->op],
        .case_id = w->h.rma_id,
        .hold_id = w->h.id,
        .sequence = w->op == HOLD_OP_CAPTURE ? w->h.capture_attempts + 1 : 1,
        .prefix = env->cfg->paypal_request_id_prefix,
    };
    /* An open intent for exactly this attempt means the call may have
     * happened: it is finished whatever the due rules say now. */
    memset(&w->intent, 0, sizeof(w->intent));
    if (paypal_intent_find_key(env->db, &key, &w->intent) == RMA_OK &&
        (w->intent.status == PAYPAL_INTENT_SUCCEEDED ||
         w->intent.status == PAYPAL_INTENT_FAILED))
        w->intent.id = 0; /* final: settled below only if still due */
    if (!still_due(env, w, cs))
        return;

    char amount[MONEY_TEXT_MAX];
    int64_t minor = w->op == HOLD_OP_REFUND ? w->h.refund_requested_minor
                                            : w->h.amount_minor;
    money_format_minor(minor, money_exponent(w->h.currency), amount);
    char *summary = detail_json("{s:s, s:s, s:s}", "amount", amount, "currency",
                                w->h.currency, "reason",
                                w->why                  ? w->why
                                : w->op == HOLD_OP_VOID ? w->h.void_reason
                                                        : "due");
    err = paypal_intent_begin(env->db, &key, summary, &w->intent);
    free(summary);
    if (err != RMA_OK) {
        w->outcome = HOLD_ERROR;
        return;
    }
    struct paypal_batch_item *it = &w->item;
    memset(it, 0, sizeof(*it));
    it->request_id = w->intent.request_id;
    switch (w->op) {
    case HOLD_OP_VOID:
        it->kind = PAYPAL_BATCH_VOID;
        it->id = w->h.authorization_id; /* always the original (§5.3.7) */
        break;
    case HOLD_OP_CAPTURE:
        it->kind = PAYPAL_BATCH_CAPTURE;
        it->id = hold_capture_target(&w->h);
        it->has_amount = true;
        it->amount.minor = w->h.amount_minor;
        snprintf(it->amount.currency, sizeof(it->amount.currency), "%s",
                 w->h.currency);
        it->final_capture = true;
        break;
    case HOLD_OP_REAUTHORIZE:
        it->kind = PAYPAL_BATCH_REAUTHORIZE;
        it->id = w->h.authorization_id;
        break;
    case HOLD_OP_REFUND:
        it->kind = PAYPAL_BATCH_REFUND;
        it->id = w->h.capture_id;
        it->has_amount = true;
        it->amount.minor = w->h.refund_requested_minor;
        snprintf(it->amount.currency, sizeof(it->amount.currency), "%s",
                 w->h.currency);
        break;
    }
    w->ready = true;
}

/* The id PayPal gave the result, for the intent. */
static const char *
result_id(const struct hold_work *w)
{
    switch (w->op) {
    case HOLD_OP_CAPTURE: return w->item.out.capture.id;
    case HOLD_OP_REFUND: return w->item.out.refund.id;
    case HOLD_OP_REAUTHORIZE: return w->item.out.authorization.id;
    case HOLD_OP_VOID: return NULL;
    }
    return NULL;
}

/* Void refusals that mean the hold is gone anyway. */
static int
void_refusal_means(const struct paypal_result *res)
{
    if (issue_is(res, "PREVIOUSLY_VOIDED") ||
        issue_is(res, "AUTHORIZATION_VOIDED"))
        return HOLD_VOIDED;
    if (issue_is(res, "AUTHORIZATION_EXPIRED"))
        return HOLD_EXPIRED;
    return -1;
}

/* Settles w inside the caller's transaction, under its own savepoint: the
 * intent's outcome, then (when PayPal answered) the hold's new state with
 * everything that follows.  A failure rolls back this piece only. */
static void
settle(struct hold_env *env, struct hold_work *w)
{
    struct paypal_batch_item *it = &w->item;
    enum paypal_intent_status st = paypal_intent_status_for(it->err);
    const char *pid = st == PAYPAL_INTENT_SUCCEEDED ? result_id(w) : NULL;
    bool ok = st == PAYPAL_INTENT_SUCCEEDED;
    enum rma_err err = db_savepoint(env->db);
    if (err == RMA_OK) {
        err = paypal_intent_finish(env->db, w->intent.request_id, st,
                                   it->result.body, pid && pid[0] ? pid : NULL,
                                   &it->result);
        if (err == RMA_ECONFLICT) /* already final: its outcome stands */
            err = RMA_OK;
    }
    if (err == RMA_OK &&
        (st == PAYPAL_INTENT_UNKNOWN || st == PAYPAL_INTENT_PENDING)) {
        err = db_release(env->db);
        w->outcome = err == RMA_OK ? HOLD_PENDING : HOLD_ERROR;
        return;
    }
    /* Re-read under the row lock: the state this work was prepared for
     * must still hold (another runner, a webhook or staff may have won). */
    struct hold now;
    if (err == RMA_OK)
        err = db_hold_by_id(env->db, w->hold_id, true, &now);
    if (err == RMA_OK && now.status != w->h.status) {
        err = db_release(env->db);
        w->outcome = err == RMA_OK ? HOLD_SKIPPED : HOLD_ERROR;
        return;
    }
    if (err == RMA_OK) {
        w->h = now;
        switch (w->op) {
        case HOLD_OP_VOID:
            if (ok) {
                err = hold_apply_released(env, &w->h, HOLD_VOIDED, NULL);
            } else {
                int to = void_refusal_means(&it->result);
                if (to >= 0)
                    err = hold_apply_released(env, &w->h, (enum hold_status)to,
                                              NULL);
                else
                    log_event(LOG_ERROR, "hold_void_refused", "{s:I, s:s, s:s}",
                              "hold_id", (json_int_t)w->hold_id, "issue",
                              it->result.issue, "debug_id",
                              it->result.debug_id);
            }
            break;
        case HOLD_OP_CAPTURE:
            err = ok ? apply_captured(env, w) : apply_capture_refused(env, w);
            break;
        case HOLD_OP_REAUTHORIZE: err = apply_reauthorized(env, w, ok); break;
        case HOLD_OP_REFUND:
            if (ok)
                err = apply_refunded(env, w);
            else
                err = hold_exception(
                    env, "capture_failed", w->h.rma_id, w->h.id, w->h.currency,
                    w->h.refund_requested_minor,
                    "the refund of the capture after a late return was "
                    "refused by PayPal: refund manually",
                    "refund_refused");
            break;
        }
    }
    if (err == RMA_OK) {
        err = db_release(env->db);
    } else if (db_rollback_to(env->db) == RMA_OK) {
        (void)db_release(env->db);
    }
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "hold_settle_failed", "{s:I, s:s, s:s}", "hold_id",
                  (json_int_t)w->hold_id, "op", hold_op_name(w->op), "error",
                  rma_err_code(err));
        w->outcome = HOLD_ERROR;
        return;
    }
    w->outcome = ok ? HOLD_DONE : HOLD_REFUSED;
    log_event(LOG_INFO, "hold_settled", "{s:I, s:s, s:s, s:s}", "hold_id",
              (json_int_t)w->hold_id, "op", hold_op_name(w->op), "outcome",
              hold_outcome_name(w->outcome), "request_id",
              w->intent.request_id);
}

void
hold_prepare(struct hold_env *env, struct hold_work *w, size_t n)
{
    /* The intents of all n are committed together, before any call: one
     * commit (one WAL flush) for them, not one per hold. */
    enum rma_err err = db_begin(env->db);
    for (size_t i = 0; err == RMA_OK && i < n; i++) {
        err = db_savepoint(env->db);
        if (err != RMA_OK)
            break;
        prepare(env, &w[i]);
        if (w[i].outcome == HOLD_ERROR)
            err = db_rollback_to(env->db);
        if (err == RMA_OK)
            err = db_release(env->db);
    }
    err = err == RMA_OK ? db_commit(env->db) : err;
    if (err != RMA_OK) {
        db_rollback(env->db);
        for (size_t i = 0; i < n; i++) {
            w[i].ready = false;
            w[i].outcome = HOLD_ERROR;
        }
    }
}

void
hold_settle(struct hold_env *env, struct hold_work **w, size_t n)
{
    /* Every outcome in one transaction, a savepoint each. */
    enum rma_err tx = n > 0 ? db_begin(env->db) : RMA_OK;
    for (size_t k = 0; k < n; k++) {
        if (tx == RMA_OK)
            settle(env, w[k]);
        else
            w[k]->outcome = HOLD_PENDING;
        paypal_result_free(&w[k]->item.result);
    }
    if (n > 0 && tx == RMA_OK && db_commit(env->db) != RMA_OK) {
        db_rollback(env->db);
        for (size_t k = 0; k < n; k++)
            w[k]->outcome = HOLD_ERROR; /* replayed next run */
    }
}

/* hold_run's feed: the works that are ready, in order. */
struct ready_feed {
    struct hold_work *w;
    size_t n, next;
};

static struct paypal_batch_item *
ready_next(void *ctx, bool *ended)
{
    struct ready_feed *f = ctx;
    while (f->next < f->n && !f->w[f->next].ready)
        f->next++;
    if (f->next == f->n) {
        *ended = true;
        return NULL;
    }
    return &f->w[f->next++].item;
}

static void
ready_done(void *ctx, struct paypal_batch_item *it)
{
    (void)ctx;
    (void)it;
}

enum rma_err
hold_run(struct hold_env *env, struct hold_work *w, size_t n,
         size_t concurrency)
{
    if (env->pc == NULL)
        return RMA_EUPSTREAM;
    hold_prepare(env, w, n);
    struct ready_feed f = {.w = w, .n = n};
    struct paypal_feed feed = {
        .ctx = &f, .next = ready_next, .done = ready_done};
    (void)paypal_stream(env->pc, &feed, concurrency ? concurrency : 1);
    for (size_t i = f.next; i < n; i++) { /* never taken: not called */
        memset(&w[i].item.result, 0, sizeof(w[i].item.result));
        w[i].item.err = RMA_EINTERNAL;
    }
    struct hold_work **ready = calloc(n ? n : 1, sizeof(*ready));
    if (ready == NULL) {
        for (size_t i = 0; i < n; i++)
            if (w[i].ready) {
                w[i].outcome = HOLD_PENDING; /* replayed next run */
                paypal_result_free(&w[i].item.result);
            }
        return RMA_EINTERNAL;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i].ready)
            ready[m++] = &w[i];
    hold_settle(env, ready, m);
    free(ready);
    return RMA_OK;
}
