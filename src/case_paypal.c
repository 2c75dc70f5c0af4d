/* case_paypal.c - the case operations PayPal starts (case_ops.h): the
 * buyer's return from PayPal and cancel, and the settling of an
 * authorization PayPal reports (the return, the job's catch-up, a
 * webhook), each under the case lock like every case operation
 * (case_ops.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/ledger_ops.h"
#include "rma/log.h"
#include "rma/mail.h"

static const char *const redirect_names[] = {
    [REDIRECT_APPROVED] = "approved",   [REDIRECT_PENDING] = "pending",
    [REDIRECT_DECLINED] = "declined",   [REDIRECT_EXPIRED] = "expired",
    [REDIRECT_CANCELLED] = "cancelled", [REDIRECT_UNAVAILABLE] = "unavailable",
    [REDIRECT_UNKNOWN] = "unknown",
};

const char *
case_redirect_name(enum case_redirect o)
{
    return redirect_names[o];
}

/* ---- settling an authorization ---- */

/* Under the case lock: an authorization made for a case that no longer
 * awaits it is recorded with its release requested (the ledger's memo
 * entry and the void's balance each other). */
static enum rma_err
record_stray(struct hold_env *env, struct hold *h,
             const struct paypal_authorization *a)
{
    time_t at = a->created ? a->created : env->now_t;
    time_t expires =
        a->expiration ? a->expiration : at + HOLD_VALIDITY_DAYS * HOLD_DAY;
    char t_at[32], t_exp[32], t_honor[32];
    hold_iso(at, t_at, sizeof(t_at));
    hold_iso(expires, t_exp, sizeof(t_exp));
    hold_iso(at + HOLD_HONOR_DAYS * HOLD_DAY, t_honor, sizeof(t_honor));
    /* No deadline of its own: its release is asked for at once. */
    struct hold_authorization_times t = {t_at, t_exp, t_honor, t_at};
    enum rma_err err =
        db_hold_authorize_stray(env->db, h->id, a->id, &t, env->now);
    if (err == RMA_OK)
        err = ledger_hold_authorized(env->db, h->rma_id, h->id, h->currency,
                                     h->amount_minor, a->id);
    char *d = hold_detail_json("{s:s, s:s}", "authorization_id", a->id,
                               "reason", "the case no longer awaits a hold");
    if (err == RMA_OK)
        err = db_rma_audit(env->db, h->rma_id, &env->who, "stray_hold", d,
                           env->now);
    free(d);
    return err;
}

static enum rma_err
deny(struct hold_env *env, const struct rma_ref *r, struct hold *h,
     const struct paypal_authorization *a)
{
    enum rma_err err = db_hold_abandon(env->db, h->id, env->now);
    if (err == RMA_ECONFLICT) /* no longer pending: nothing to abandon */
        err = RMA_OK;
    char *d = hold_detail_json("{s:s, s:s}", "authorization_id", a->id,
                               "status", a->status);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r->id, &env->who, "preauth_denied", d,
                           env->now);
    free(d);
    struct mail_text t = {0};
    if (err == RMA_OK)
        err = mail_text_preauth_denied(
            env->cfg->public_base_url ? env->cfg->public_base_url : "",
            r->customer_name, r->number, &t);
    if (err == RMA_OK)
        err = mail_enqueue(env->db, "preauth_denied", r->id, r->customer_email,
                           t.subject, t.body);
    mail_text_free(&t);
    return err;
}

enum rma_err
case_settle_authorization(struct hold_env *env, int64_t hold_id,
                          const struct paypal_authorization *a,
                          enum case_redirect *out)
{
    struct hold h;
    struct rma_ref r;
    enum rma_err err = db_hold_by_id(env->db, hold_id, false, &h);
    if (err == RMA_OK)
        err = case_begin(env, h.rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = db_hold_by_id(env->db, hold_id, true, &h);
    enum paypal_status st = paypal_status_parse(a->status);
    int64_t void_id = 0;
    *out = REDIRECT_APPROVED;
    if (err != RMA_OK) {
        /* nothing */
    } else if (h.status == HOLD_AUTHORIZED &&
               strcmp(h.authorization_id, a->id) == 0) {
        *out = h.void_requested_at ? REDIRECT_EXPIRED : REDIRECT_APPROVED;
    } else if (st == PAYPAL_STATUS_PENDING) {
        *out = REDIRECT_PENDING; /* PayPal's word comes later */
    } else if (st != PAYPAL_STATUS_CREATED) {
        *out = REDIRECT_DECLINED;
        if (h.status == HOLD_PENDING_APPROVAL)
            err = deny(env, &r, &h, a);
    } else if (h.status != HOLD_PENDING_APPROVAL &&
               h.status != HOLD_ABANDONED) {
        *out = REDIRECT_EXPIRED; /* another authorization is the hold */
    } else if (case_awaits_hold(&r)) {
        /* The case still wants a hold: this approval is it, also when the
         * buyer had started another order in a second tab. */
        struct hold other;
        enum rma_err e = db_hold_live(env->db, r.id, &other);
        if (e == RMA_OK && other.id != h.id)
            e = db_hold_abandon(env->db, other.id, env->now);
        else if (e == RMA_ENOTFOUND)
            e = RMA_OK;
        if (e == RMA_OK && h.status == HOLD_ABANDONED)
            e = db_hold_reopen(env->db, h.id, env->now);
        err = e == RMA_OK ? hold_apply_authorized(env, &h, a) : e;
    } else {
        *out = REDIRECT_EXPIRED;
        err = record_stray(env, &h, a);
        void_id = h.id;
    }
    err = case_end(env, err);
    if (err == RMA_OK)
        case_void_now(env, void_id);
    return err;
}

/* ---- PayPal's redirects ---- */

enum rma_err
case_paypal_return(struct hold_env *env, const char *order_id, char *number,
                   enum case_redirect *out)
{
    struct hold h;
    struct rma_ref r;
    number[0] = '\0';
    *out = REDIRECT_UNKNOWN;
    enum rma_err err = db_hold_by_order(env->db, order_id, false, &h);
    if (err == RMA_ENOTFOUND)
        return RMA_OK;
    if (err == RMA_OK)
        err = db_rma_find_id(env->db, h.rma_id, &r);
    if (err != RMA_OK)
        return err;
    snprintf(number, RMA_NUMBER_MAX + 1, "%s", r.number);
    if (h.status == HOLD_AUTHORIZED) {
        *out = h.void_requested_at ? REDIRECT_EXPIRED : REDIRECT_APPROVED;
        return RMA_OK; /* a reload */
    }
    if (h.status != HOLD_PENDING_APPROVAL) {
        *out = REDIRECT_EXPIRED;
        return RMA_OK;
    }
    if (!case_awaits_hold(&r)) {
        /* The case left the path: nothing to authorize. */
        *out = REDIRECT_EXPIRED;
        err = case_begin(env, h.rma_id, &r);
        if (err == RMA_OK) {
            int64_t none = 0;
            err = case_awaits_hold(&r)
                      ? RMA_OK
                      : case_release_hold_in_tx(env, r.id, "cancelled", &none);
            err = case_end(env, err);
        }
        return err;
    }
    if (env->pc == NULL) {
        *out = REDIRECT_UNAVAILABLE;
        return RMA_OK;
    }
    struct paypal_intent_key key = {
        .op = PAYPAL_OP_ORDER_AUTHORIZE,
        .case_id = r.id,
        .hold_id = h.id,
        .prefix = env->cfg->paypal_request_id_prefix,
    };
    struct paypal_intent in;
    err = paypal_intent_begin(env->db, &key, NULL, &in);
    if (err != RMA_OK)
        return err;
    struct paypal_order o;
    struct paypal_result res = {0};
    err = paypal_order_authorize(env->pc, h.order_id, in.request_id, &o, &res);
    paypal_intent_finish(env->db, in.request_id, paypal_intent_status_for(err),
                         res.body, err == RMA_OK ? o.authorization.id : NULL,
                         &res);
    if (err != RMA_OK) {
        log_event(LOG_WARN, "preauth_authorize_failed", "{s:s, s:s, s:s, s:s}",
                  "rma", r.number, "error", rma_err_code(err), "issue",
                  res.issue, "debug_id", res.debug_id);
        paypal_result_free(&res);
        *out = err == RMA_EUPSTREAM || err == RMA_EDB ? REDIRECT_UNAVAILABLE
                                                      : REDIRECT_DECLINED;
        return RMA_OK;
    }
    paypal_result_free(&res);
    return case_settle_authorization(env, h.id, &o.authorization, out);
}

enum rma_err
case_paypal_cancel(struct hold_env *env, const char *order_id,
                   int64_t customer_id, char *number, enum case_redirect *out)
{
    struct hold h;
    struct rma_ref r;
    number[0] = '\0';
    *out = REDIRECT_UNKNOWN;
    enum rma_err err = db_hold_by_order(env->db, order_id, false, &h);
    if (err == RMA_ENOTFOUND)
        return RMA_OK;
    if (err == RMA_OK)
        err = case_begin(env, h.rma_id, &r);
    if (err != RMA_OK)
        return err;
    snprintf(number, RMA_NUMBER_MAX + 1, "%s", r.number);
    *out = REDIRECT_CANCELLED;
    /* Only the case's own customer abandons the order: the link is not a
     * secret (it passes through the browser's history and PayPal). */
    if (customer_id == 0 || customer_id != r.customer_id) {
        db_rollback(env->db);
        return RMA_OK;
    }
    err = db_hold_by_id(env->db, h.id, true, &h);
    if (err == RMA_OK && h.status == HOLD_PENDING_APPROVAL) {
        err = db_hold_abandon(env->db, h.id, env->now);
        if (err == RMA_OK)
            err = db_rma_audit(env->db, r.id, &env->who, "paypal_cancelled",
                               NULL, env->now);
    }
    return case_end(env, err);
}
