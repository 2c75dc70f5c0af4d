/* hold_outcomes.c - what PayPal's answers mean for a hold, inside the
 * caller's transaction with the hold row locked: the hold's new state, its
 * ledger entries, the case's transition with its audit event, mail and
 * finance exceptions (hold_ops.h).  Shared by the job's settling, the
 * request path and webhooks. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/hold_ops.h"
#include "rma/ledger_ops.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/money.h"

/* Stamps t as ISO 8601 UTC into out. */
void
hold_iso(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
    log_event(LOG_WARN, "finance_exception", "{s:s, s:I, s:s}", "kind", kind,
              "hold_id", (json_int_t)hold_id, "detail", detail);
    return db_hold_exception(env->db, kind, rma_id, hold_id, currency,
                             amount_minor, detail, dedupe_key, env->now);
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

char *
hold_detail_json(const char *fmt, ...)
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
    char t_at[32], t_exp[32], t_honor[32], t_deadline[32];
    hold_iso(at, t_at, sizeof(t_at));
    hold_iso(expires, t_exp, sizeof(t_exp));
    hold_iso(at + HOLD_HONOR_DAYS * HOLD_DAY, t_honor, sizeof(t_honor));
    hold_iso(deadline, t_deadline, sizeof(t_deadline));
    struct hold_authorization_times t = {t_at, t_exp, t_honor, t_deadline};
    enum rma_err err = db_hold_authorize(env->db, h->id, a->id, &t, env->now);
    if (err == RMA_OK)
        err = ledger_hold_authorized(env->db, h->rma_id, h->id, h->currency,
                                     h->amount_minor, a->id);
    struct rma_ref r;
    char *d = hold_detail_json("{s:s, s:s}", "authorization_id", a->id,
                               "deadline", t_deadline);
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_PREAUTHORIZED, d, &r);
    free(d);
    /* The customer learns the amount held and the return's deadline. */
    if (err == RMA_OK)
        err = case_notify(env, &r, CASE_MAIL_HOLD_PLACED, h->amount_minor,
                          deadline, NULL);
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
    enum rma_err err = db_hold_voided(env->db, h->id, to, env->now);
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
    char *d =
        hold_detail_json("{s:s, s:s}", "hold", hold_status_name(to), "reason",
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

enum rma_err
hold_apply_captured(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_capture *c = &w->item.out.capture;
    int64_t gross = c->amount.minor > 0 ? c->amount.minor : h->amount_minor;
    int64_t fee = c->has_breakdown ? c->fee.minor : 0;
    enum rma_err err =
        db_hold_captured(env->db, h->id, c->id, gross, fee, env->now, w->why);
    if (err == RMA_OK)
        err = ledger_capture_with_release(env->db, h->rma_id, h->id,
                                          w->intent.id, c->id, h->currency,
                                          h->amount_minor, gross, fee);
    struct rma_ref r;
    char *d =
        hold_detail_json("{s:s, s:s, s:s}", "capture_id", c->id, "reason",
                         w->why, "authorization_id", hold_capture_target(h));
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_CAPTURE, d, &r);
    free(d);
    if (err == RMA_OK && r.status == ST_CHARGED)
        err = mail_customer(env, &r, "hold_captured", gross, h->currency);
    /* The unit arrived while the capture was under way: give it back. */
    if (err == RMA_OK && r.status == ST_RECEIVED)
        err = db_hold_request_refund(env->db, h->id, gross,
                                     "returned while the capture was made",
                                     env->now);
    return err;
}

enum rma_err
hold_apply_capture_refused(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_result *res = &w->item.result;
    if (paypal_issue_is(res, PAYPAL_ISSUE_AUTHORIZATION_EXPIRED) ||
        paypal_issue_is(res, PAYPAL_ISSUE_AUTHORIZATION_VOIDED))
        return hold_apply_released(env, h, HOLD_EXPIRED, NULL);
    struct hold_policy p = hold_policy_of(env->cfg);
    /* A retry only while the authorization still runs (an extended
     * deadline may leave no room for one). */
    bool room = h->expires_at == 0 ||
                env->now_t + p.capture_retry_s <= h->expires_at - HOLD_DAY / 24;
    if (h->capture_attempts + 1 < p.capture_max_attempts && room) {
        char next[32];
        hold_iso(env->now_t + p.capture_retry_s, next, sizeof(next));
        enum rma_err err =
            db_hold_capture_declined(env->db, h->id, next, env->now);
        char *d =
            hold_detail_json("{s:s, s:s, s:i, s:s}", "issue", res->issue,
                             "debug_id", res->debug_id, "attempt",
                             h->capture_attempts + 1, "next_attempt", next);
        if (err == RMA_OK)
            err = db_rma_audit(env->db, h->rma_id, &env->who,
                               "capture_declined", d, env->now);
        free(d);
        return err;
    }
    enum rma_err err = db_hold_failed(env->db, h->id, env->now);
    if (err == RMA_OK)
        err = ledger_hold_released(env->db, h->rma_id, h->id, h->currency,
                                   h->amount_minor, "failed",
                                   h->authorization_id);
    struct rma_ref r;
    char *d =
        hold_detail_json("{s:s, s:s, s:i}", "issue", res->issue, "debug_id",
                         res->debug_id, "attempts", h->capture_attempts + 1);
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_CAPTURE_FAILED, d, &r);
    free(d);
    if (err == RMA_OK)
        err = case_notify(env, &r, CASE_MAIL_CAPTURE_FAILED, h->amount_minor, 0,
                          NULL);
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

enum rma_err
hold_apply_reauthorized(struct hold_env *env, struct hold_work *w, bool ok)
{
    struct hold *h = &w->h;
    const struct paypal_authorization *a = &w->item.out.authorization;
    char honor[32];
    time_t at = ok && a->created ? a->created : env->now_t;
    hold_iso(at + HOLD_HONOR_DAYS * HOLD_DAY, honor, sizeof(honor));
    enum rma_err err = db_hold_reauthorized(
        env->db, h->id, ok, ok ? a->id : NULL, env->now, ok ? honor : NULL);
    if (err == RMA_OK && ok)
        err = ledger_hold_reauthorized(env->db, h->rma_id, h->id, h->currency,
                                       h->amount_minor, a->id);
    char *d = ok ? hold_detail_json("{s:s}", "reauthorization_id", a->id)
                 : hold_detail_json("{s:s, s:s}", "issue", w->item.result.issue,
                                    "debug_id", w->item.result.debug_id);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, h->rma_id, &env->who,
                           ok ? "hold_reauthorized" : "reauthorization_refused",
                           d, env->now);
    free(d);
    return err;
}

enum rma_err
hold_apply_refunded(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_refund *rf = &w->item.out.refund;
    int64_t amount =
        rf->amount.minor > 0 ? rf->amount.minor : h->refund_requested_minor;
    int64_t fee_back = rf->has_breakdown ? rf->fee.minor : 0;
    char amount_s[24];
    snprintf(amount_s, sizeof(amount_s), "%lld", (long long)amount);
    enum rma_err err =
        db_hold_refunded(env->db, h->id, rf->id, amount, env->now);
    if (err == RMA_OK)
        err = ledger_refund(env->db, h->rma_id, h->id, w->intent.id, rf->id,
                            h->currency, amount, fee_back);
    struct rma_ref r;
    char *d = hold_detail_json("{s:s, s:o}", "refund_id", rf->id, "amount",
                               json_string(amount_s));
    if (err == RMA_OK)
        err = move_case(env, h->rma_id, EV_COMPLETE, d, &r);
    free(d);
    if (err == RMA_OK)
        err = case_notify(env, &r, CASE_MAIL_CAPTURE_REFUNDED, amount, 0, NULL);
    return err;
}

/* ---- PayPal's answers, believed only for what they say (SPEC §16) ---- */

/* PayPal answered about another resource than the one asked for: nothing
 * is booked, finance looks. */
static enum rma_err
mismatch(struct hold_env *env, const struct hold *h, const char *what,
         const char *asked, const char *answered)
{
    char key[96], detail[512];
    snprintf(key, sizeof(key), "hold:%lld:%s_mismatch", (long long)h->id, what);
    snprintf(detail, sizeof(detail),
             "PayPal answered the %s of %s with one of %s: nothing was booked",
             what, asked, answered[0] ? answered : "(none)");
    log_event(LOG_ERROR, "paypal_mismatch", "{s:I, s:s, s:s, s:s}", "hold_id",
              (json_int_t)h->id, "op", what, "asked", asked, "answered",
              answered);
    return hold_exception(env, "paypal_mismatch", h->rma_id, h->id, h->currency,
                          h->amount_minor, detail, key);
}

enum rma_err
hold_apply_capture_answer(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_capture *c = &w->item.out.capture;
    const char *asked = hold_capture_target(h);
    if (strcmp(c->authorization_id, asked) != 0 &&
        strcmp(c->authorization_id, h->authorization_id) != 0)
        return mismatch(env, h, "capture", asked, c->authorization_id);
    switch (paypal_status_parse(c->status)) {
    case PAYPAL_STATUS_COMPLETED: return hold_apply_captured(env, w);
    case PAYPAL_STATUS_DECLINED:
    case PAYPAL_STATUS_FAILED: return hold_apply_capture_refused(env, w);
    default: {
        /* PENDING (or a word we do not know): booked when PayPal says
         * COMPLETED, by the job's GET or a webhook's trigger. */
        enum rma_err err =
            db_hold_capture_pending(env->db, h->id, c->id, env->now);
        char *d =
            hold_detail_json("{s:s, s:s, s:s}", "capture_id", c->id, "status",
                             c->status, "reason", c->status_reason);
        if (err == RMA_OK)
            err = db_rma_audit(env->db, h->rma_id, &env->who, "capture_pending",
                               d, env->now);
        free(d);
        return err;
    }
    }
}

enum rma_err
hold_apply_refund_answer(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    const struct paypal_refund *rf = &w->item.out.refund;
    if (rf->capture_id[0] != '\0' && strcmp(rf->capture_id, h->capture_id) != 0)
        return mismatch(env, h, "refund", h->capture_id, rf->capture_id);
    enum paypal_status st = paypal_status_parse(rf->status);
    if (st == PAYPAL_STATUS_COMPLETED)
        return hold_apply_refunded(env, w);
    if (st == PAYPAL_STATUS_FAILED || st == PAYPAL_STATUS_CANCELLED) {
        enum rma_err err = db_hold_refund_failed(env->db, h->id, env->now);
        char key[64];
        snprintf(key, sizeof(key), "hold:%lld:refund_failed", (long long)h->id);
        if (err == RMA_OK)
            err = hold_exception(env, "refund_failed", h->rma_id, h->id,
                                 h->currency, h->refund_requested_minor,
                                 "PayPal failed the refund of the capture "
                                 "after a late return: refund by other means",
                                 key);
        return err;
    }
    enum rma_err err = db_hold_refund_pending(env->db, h->id, rf->id, env->now);
    char *d = hold_detail_json("{s:s, s:s}", "refund_id", rf->id, "status",
                               rf->status);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, h->rma_id, &env->who, "refund_pending", d,
                           env->now);
    free(d);
    return err;
}

enum rma_err
hold_apply_refund_refused(struct hold_env *env, struct hold_work *w)
{
    struct hold *h = &w->h;
    char key[64], detail[512];
    snprintf(key, sizeof(key), "hold:%lld:refund_failed", (long long)h->id);
    snprintf(detail, sizeof(detail),
             "PayPal refused the refund of the capture after a late return "
             "(%s %s, debug_id %s): refund by other means",
             w->item.result.name, w->item.result.issue,
             w->item.result.debug_id);
    enum rma_err err = db_hold_refund_failed(env->db, h->id, env->now);
    if (err == RMA_OK)
        err =
            hold_exception(env, "refund_failed", h->rma_id, h->id, h->currency,
                           h->refund_requested_minor, detail, key);
    return err;
}

/* The intent of the capture or refund a pending one answered. */
static enum rma_err
pending_intent(struct hold_env *env, const struct hold *h, enum hold_op op,
               struct paypal_intent *in)
{
    struct paypal_intent_key key = {
        .op = op == HOLD_OP_CAPTURE ? PAYPAL_OP_CAPTURE : PAYPAL_OP_REFUND,
        .case_id = h->rma_id,
        .hold_id = h->id,
        .sequence = op == HOLD_OP_CAPTURE ? h->capture_attempts + 1 : 1,
        .prefix = env->cfg->paypal_request_id_prefix,
    };
    return paypal_intent_find_key(env->db, &key, in);
}

enum rma_err
hold_settle_pending(struct hold_env *env, int64_t hold_id,
                    enum hold_outcome *outcome)
{
    *outcome = HOLD_SKIPPED;
    struct hold h;
    enum rma_err err = db_hold_by_id(env->db, hold_id, false, &h);
    if (err != RMA_OK)
        return err;
    bool capture = h.pending_capture_id[0] != '\0';
    if (!capture && h.pending_refund_id[0] == '\0')
        return RMA_OK;
    struct hold_work w = {.hold_id = h.id,
                          .op = capture ? HOLD_OP_CAPTURE : HOLD_OP_REFUND};
    struct paypal_result res = {0};
    err = capture ? paypal_capture_get(env->pc, h.pending_capture_id,
                                       &w.item.out.capture, &res)
                  : paypal_refund_get(env->pc, h.pending_refund_id,
                                      &w.item.out.refund, &res);
    paypal_result_free(&res);
    if (err != RMA_OK) /* asked again next time */
        return err == RMA_ENOTFOUND ? RMA_EUPSTREAM : err;
    enum paypal_status st = paypal_status_parse(
        capture ? w.item.out.capture.status : w.item.out.refund.status);
    if (st == PAYPAL_STATUS_PENDING) {
        *outcome = HOLD_PENDING;
        return RMA_OK;
    }
    err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_hold_by_id(env->db, hold_id, true, &w.h);
    bool same =
        err == RMA_OK &&
        strcmp(capture ? w.h.pending_capture_id : w.h.pending_refund_id,
               capture ? h.pending_capture_id : h.pending_refund_id) == 0;
    if (err == RMA_OK && same)
        err = pending_intent(env, &w.h, w.op, &w.intent);
    if (err == RMA_OK && same) {
        w.why = w.h.capture_reason[0] ? w.h.capture_reason : "deadline";
        err = capture ? hold_apply_capture_answer(env, &w)
                      : hold_apply_refund_answer(env, &w);
    }
    if (err == RMA_OK)
        err = db_commit(env->db);
    else
        db_rollback(env->db);
    if (err == RMA_OK && same)
        *outcome = st == PAYPAL_STATUS_COMPLETED ? HOLD_DONE : HOLD_REFUSED;
    return err;
}
