/* hold_ops.c - the PayPal work of holds, each piece exactly once: prepare
 * (durable intent), call (concurrently), settle (one transaction).  See
 * hold_ops.h for the protocol. */
#include "rma/hold_ops.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/crypto.h"
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

/* ---- the access token shared by the processes ---- */

/* The key of cfg's PayPal account: SHA-256 (hex) of base URL and client
 * id; false without PayPal. */
static bool
token_key(const struct rma_config *cfg, char key[SHA256_HEX_LEN])
{
    if (cfg->paypal_base_url == NULL || cfg->paypal_client_id == NULL)
        return false;
    char *account =
        hold_detail_json("[s, s]", cfg->paypal_base_url, cfg->paypal_client_id);
    if (account == NULL)
        return false;
    unsigned char hash[SHA256_LEN];
    crypto_sha256(account, strlen(account), hash);
    crypto_hex(hash, SHA256_LEN, key);
    free(account);
    return true;
}

void
hold_paypal_token_load(struct paypal_client *pc, struct db *db,
                       const struct rma_config *cfg)
{
    char key[SHA256_HEX_LEN];
    if (pc == NULL || !token_key(cfg, key))
        return;
    char *token = malloc(PAYPAL_TOKEN_MAX);
    time_t until = 0;
    if (token != NULL &&
        db_paypal_token_get(db, key, token, PAYPAL_TOKEN_MAX, &until) == RMA_OK)
        paypal_client_set_token(pc, token, until);
    if (token != NULL)
        OPENSSL_cleanse(token, PAYPAL_TOKEN_MAX);
    free(token);
}

void
hold_paypal_token_save(struct paypal_client *pc, struct db *db,
                       const struct rma_config *cfg)
{
    char key[SHA256_HEX_LEN];
    if (pc == NULL || !token_key(cfg, key))
        return;
    char *token = malloc(PAYPAL_TOKEN_MAX);
    time_t until = 0;
    if (token != NULL &&
        paypal_client_fetched_token(pc, token, PAYPAL_TOKEN_MAX, &until) &&
        db_paypal_token_put(db, key, token, until) != RMA_OK)
        log_event(LOG_WARN, "paypal_token_not_kept", "{s:s}", "reason",
                  "database");
    if (token != NULL)
        OPENSSL_cleanse(token, PAYPAL_TOKEN_MAX);
    free(token);
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
    char *summary = hold_detail_json("{s:s, s:s, s:s}", "amount", amount,
                                     "currency", w->h.currency, "reason",
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
    if (paypal_issue_is(res, PAYPAL_ISSUE_PREVIOUSLY_VOIDED) ||
        paypal_issue_is(res, PAYPAL_ISSUE_AUTHORIZATION_VOIDED))
        return HOLD_VOIDED;
    if (paypal_issue_is(res, PAYPAL_ISSUE_AUTHORIZATION_EXPIRED))
        return HOLD_EXPIRED;
    return -1;
}

/* PayPal refused a void for another reason than an ended authorization
 * (captured from PayPal's dashboard, a rule we do not know): finance
 * looks; the void is not asked again while the exception is open. */
static enum rma_err
void_refused(struct hold_env *env, struct hold_work *w)
{
    const struct paypal_result *res = &w->item.result;
    log_event(LOG_ERROR, "hold_void_refused", "{s:I, s:s, s:s}", "hold_id",
              (json_int_t)w->hold_id, "issue", res->issue, "debug_id",
              res->debug_id);
    char key[64], detail[512];
    snprintf(key, sizeof(key), "hold:%lld:void_refused", (long long)w->h.id);
    snprintf(detail, sizeof(detail),
             "PayPal refused to void the hold (%s %s, debug_id %s)%s: check "
             "the authorization in PayPal, then resolve",
             res->name, res->issue, res->debug_id,
             paypal_issue_is(res, PAYPAL_ISSUE_AUTHORIZATION_ALREADY_CAPTURED)
                 ? ", already captured outside the service"
                 : "");
    return hold_exception(env, "void_refused", w->h.rma_id, w->h.id,
                          w->h.currency, w->h.amount_minor, detail, key);
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
                    err = void_refused(env, w);
            }
            break;
        case HOLD_OP_CAPTURE:
            err = ok ? hold_apply_capture_answer(env, w)
                     : hold_apply_capture_refused(env, w);
            break;
        case HOLD_OP_REAUTHORIZE:
            err = hold_apply_reauthorized(env, w, ok);
            break;
        case HOLD_OP_REFUND:
            err = ok ? hold_apply_refund_answer(env, w)
                     : hold_apply_refund_refused(env, w);
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
