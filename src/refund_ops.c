/* refund_ops.c - paying refund cases (refund_ops.h). */
#include "rma/refund_ops.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/id_list.h"
#include "rma/ledger_ops.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/money.h"

static const struct rma_actor_info system_actor = {ACTOR_SYSTEM, "rma", NULL,
                                                   false};

enum rma_err
refund_open_in_tx(struct hold_env *env, const struct rma_ref *r)
{
    if (r->kind != KIND_REFUND)
        return RMA_OK;
    int to =
        rma_state_next(ST_RECEIVED, EV_REFUND_DUE, KIND_REFUND, ACTOR_SYSTEM);
    struct rma_ref received = *r;
    received.status = ST_RECEIVED;
    if (to < 0 || r->refund_minor <= 0) {
        log_event(LOG_ERROR, "refund_not_opened", "{s:s, s:I}", "rma",
                  r->number, "refund_minor", (json_int_t)r->refund_minor);
        return RMA_OK; /* finance sees it in the received queue */
    }
    char method[8], capture[65];
    enum rma_err err = db_order_payment(env->db, r->id, method, capture);
    bool paypal = err == RMA_OK && strcmp(method, "paypal") == 0;
    char *d = hold_detail_json("{s:s}", "method", paypal ? "paypal" : "other");
    if (err == RMA_OK)
        err = db_rma_transition(env->db, &received, (enum rma_status)to,
                                EV_REFUND_DUE, &system_actor, d, env->now);
    free(d);
    if (err == RMA_OK)
        err = db_refund_open(env->db, r->id, paypal ? "paypal" : "other",
                             r->currency, r->refund_minor,
                             paypal ? capture : NULL, env->now);
    return err;
}

static void
amount_text(int64_t minor, const char *currency, char *out, size_t n)
{
    char v[MONEY_TEXT_MAX];
    money_format_minor(minor, money_exponent(currency), v);
    snprintf(out, n, "%s %s", v, currency);
}

/* Under the case lock: the refund paid, booked, the case completed and
 * the customer told. */
static enum rma_err
paid(struct hold_env *env, const struct rma_ref *r,
     const struct refund_row *row, const char *paypal_refund_id,
     const char *reference, int64_t intent_id, int64_t fee_returned)
{
    enum rma_err err =
        db_refund_paid(env->db, row->id, paypal_refund_id, reference,
                       env->who.name ? env->who.name : "rma", env->now);
    if (err == RMA_OK)
        err = paypal_refund_id != NULL
                  ? ledger_sale_refund(env->db, r->id, intent_id,
                                       paypal_refund_id, row->currency,
                                       row->amount_minor, fee_returned)
                  : ledger_refund_payout(env->db, r->id, row->currency,
                                         row->amount_minor);
    char amount[48];
    amount_text(row->amount_minor, row->currency, amount, sizeof(amount));
    char *d =
        hold_detail_json("{s:s, s:s, s:s}", "amount", amount, "paid_by",
                         paypal_refund_id ? "paypal" : "other", "reference",
                         paypal_refund_id ? paypal_refund_id : reference);
    if (err == RMA_OK && r->status == ST_REFUND_DUE)
        err = db_rma_transition(env->db, r, ST_COMPLETED, EV_COMPLETE,
                                &system_actor, d, env->now);
    else if (err == RMA_OK)
        err =
            db_rma_audit(env->db, r->id, &env->who, "refund_paid", d, env->now);
    free(d);
    struct mail_text t = {0};
    if (err == RMA_OK)
        err = mail_text_refund_paid(
            env->cfg->public_base_url ? env->cfg->public_base_url : "",
            r->customer_name, r->number, amount, paypal_refund_id != NULL, &t);
    if (err == RMA_OK)
        err = mail_enqueue(env->db, "refund_paid", r->id, r->customer_email,
                           t.subject, t.body);
    mail_text_free(&t);
    return err;
}

static enum rma_err
failed(struct hold_env *env, const struct refund_row *row, const char *why)
{
    char key[64], detail[600];
    snprintf(key, sizeof(key), "refund_payment:%lld:failed",
             (long long)row->id);
    snprintf(detail, sizeof(detail),
             "PayPal did not refund the order's capture %s (%s): pay the "
             "refund by other means and record the payout",
             row->capture_id, why);
    enum rma_err err = db_refund_failed(env->db, row->id, why, env->now);
    if (err == RMA_OK)
        err = hold_exception(env, "refund_failed", row->rma_id, 0,
                             row->currency, row->amount_minor, detail, key);
    return err;
}

/* Settles PayPal's word on the refund (its POST's answer or a GET). */
static enum rma_err
settle(struct hold_env *env, int64_t refund_id, const struct paypal_refund *f,
       int64_t intent_id, enum hold_outcome *outcome)
{
    struct refund_row row;
    struct rma_ref r;
    enum rma_err err = db_refund_by_id(env->db, refund_id, false, &row);
    if (err == RMA_OK)
        err = case_begin(env, row.rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = db_refund_by_id(env->db, refund_id, true, &row);
    *outcome = HOLD_SKIPPED;
    if (err != RMA_OK ||
        (row.status != REFUND_DUE && row.status != REFUND_PENDING))
        return case_end(env, err);
    if (f->capture_id[0] != '\0' &&
        strcmp(f->capture_id, row.capture_id) != 0) {
        char key[64], detail[300];
        snprintf(key, sizeof(key), "refund_payment:%lld:mismatch",
                 (long long)row.id);
        snprintf(detail, sizeof(detail),
                 "PayPal answered the refund of capture %s with a refund of "
                 "capture %s: nothing was booked",
                 row.capture_id, f->capture_id);
        err = hold_exception(env, "paypal_mismatch", row.rma_id, 0,
                             row.currency, row.amount_minor, detail, key);
        return case_end(env, err);
    }
    switch (paypal_status_parse(f->status)) {
    case PAYPAL_STATUS_COMPLETED:
        err = paid(env, &r, &row, f->id, NULL, intent_id,
                   f->has_breakdown ? f->fee.minor : 0);
        *outcome = HOLD_DONE;
        break;
    case PAYPAL_STATUS_FAILED:
    case PAYPAL_STATUS_CANCELLED:
        err = failed(env, &row, f->status);
        *outcome = HOLD_REFUSED;
        break;
    default:
        err = db_refund_pending(env->db, row.id, f->id, env->now);
        *outcome = HOLD_PENDING;
        break;
    }
    return case_end(env, err);
}

enum rma_err
refund_pay(struct hold_env *env, int64_t refund_id, enum hold_outcome *outcome)
{
    *outcome = HOLD_SKIPPED;
    struct refund_row row;
    enum rma_err err = db_refund_by_id(env->db, refund_id, false, &row);
    if (err != RMA_OK || strcmp(row.method, "paypal") != 0 ||
        (row.status != REFUND_DUE && row.status != REFUND_PENDING))
        return err;
    if (env->pc == NULL) {
        *outcome = HOLD_PENDING;
        return RMA_EUPSTREAM;
    }
    struct paypal_refund f;
    memset(&f, 0, sizeof(f));
    struct paypal_result res = {0};
    if (row.status == REFUND_PENDING) {
        err = paypal_refund_get(env->pc, row.paypal_refund_id, &f, &res);
        paypal_result_free(&res);
        if (err != RMA_OK) {
            *outcome = HOLD_PENDING;
            return RMA_EUPSTREAM;
        }
        return settle(env, refund_id, &f, 0, outcome);
    }
    struct paypal_intent_key key = {
        .op = PAYPAL_OP_REFUND,
        .case_id = row.rma_id,
        .sequence = 1,
        .prefix = env->cfg->paypal_request_id_prefix,
    };
    char amount[MONEY_TEXT_MAX];
    money_format_minor(row.amount_minor, money_exponent(row.currency), amount);
    char *summary =
        hold_detail_json("{s:s, s:s, s:s}", "amount", amount, "currency",
                         row.currency, "capture_id", row.capture_id);
    struct paypal_intent in;
    err = paypal_intent_begin(env->db, &key, summary, &in);
    free(summary);
    if (err != RMA_OK)
        return err;
    if (in.status == PAYPAL_INTENT_FAILED) {
        /* PayPal refused it for good before; finance has been told. */
        return RMA_OK;
    }
    struct money m = {.minor = row.amount_minor};
    snprintf(m.currency, sizeof(m.currency), "%s", row.currency);
    struct rma_ref r;
    char note[64] = "Refund of your returned order";
    if (db_rma_find_id(env->db, row.rma_id, &r) == RMA_OK)
        snprintf(note, sizeof(note), "Refund for %s", r.number);
    err = paypal_refund_capture(env->pc, row.capture_id, &m, note,
                                in.request_id, &f, &res);
    enum paypal_intent_status st = paypal_intent_status_for(err);
    paypal_intent_finish(env->db, in.request_id, st, res.body,
                         err == RMA_OK ? f.id : NULL, &res);
    if (st == PAYPAL_INTENT_FAILED) {
        char why[256];
        snprintf(why, sizeof(why), "%s %s, debug_id %s", res.name, res.issue,
                 res.debug_id);
        paypal_result_free(&res);
        err = db_begin(env->db);
        if (err == RMA_OK &&
            db_refund_by_id(env->db, refund_id, true, &row) == RMA_OK &&
            row.status == REFUND_DUE)
            err = failed(env, &row, why);
        err = case_end(env, err);
        *outcome = HOLD_REFUSED;
        return err;
    }
    paypal_result_free(&res);
    if (err != RMA_OK) {
        *outcome = HOLD_PENDING; /* no definite answer: replayed */
        return RMA_EUPSTREAM;
    }
    return settle(env, refund_id, &f, in.id, outcome);
}

enum rma_err
refund_pay_case(struct hold_env *env, int64_t rma_id)
{
    struct refund_row row;
    enum rma_err err = db_refund_of_case(env->db, rma_id, false, &row);
    if (err == RMA_ENOTFOUND)
        return RMA_OK;
    enum hold_outcome o;
    if (err == RMA_OK)
        err = refund_pay(env, row.id, &o);
    if (err != RMA_OK)
        log_event(LOG_WARN, "refund_deferred", "{s:I, s:s}", "rma_id",
                  (json_int_t)rma_id, "error", rma_err_code(err));
    return err;
}

enum rma_err
refund_payout(struct hold_env *env, int64_t rma_id, int64_t amount,
              const char *currency, const char *reference,
              struct case_refusal *no)
{
    struct rma_ref r;
    struct refund_row row;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = db_refund_of_case(env->db, rma_id, true, &row);
    if (err == RMA_ENOTFOUND) {
        err = RMA_ECONFLICT;
        no->code = "no_refund_due";
        snprintf(no->message, sizeof(no->message),
                 "no refund is due on %s (%s)", r.number,
                 rma_status_name(r.status));
    } else if (err == RMA_OK && row.status == REFUND_PAID) {
        err = RMA_ECONFLICT;
        no->code = "refund_already_paid";
        snprintf(no->message, sizeof(no->message),
                 "the refund of %s is already paid", r.number);
    } else if (err == RMA_OK && row.status == REFUND_PENDING) {
        err = RMA_ECONFLICT;
        no->code = "refund_pending_at_paypal";
        snprintf(no->message, sizeof(no->message),
                 "PayPal is still processing the refund of %s", r.number);
    } else if (err == RMA_OK && strcmp(row.method, "paypal") == 0 &&
               row.status == REFUND_DUE) {
        err = RMA_ECONFLICT;
        no->code = "refund_by_paypal";
        snprintf(no->message, sizeof(no->message),
                 "%s is refunded through PayPal; a payout is recorded only "
                 "when PayPal refused it",
                 r.number);
    } else if (err == RMA_OK && (amount != row.amount_minor ||
                                 strcmp(currency, row.currency) != 0)) {
        err = RMA_ERULE;
        no->code = "amount_mismatch";
        no->field = "amount";
        char due[48];
        amount_text(row.amount_minor, row.currency, due, sizeof(due));
        snprintf(no->message, sizeof(no->message), "the refund due is %s", due);
    }
    if (err == RMA_OK)
        err = paid(env, &r, &row, NULL, reference, 0, 0);
    return case_end(env, err);
}

enum rma_err
refund_job_run(struct hold_env *env, struct refund_job_summary *s)
{
    memset(s, 0, sizeof(*s));
    if (env->pc == NULL)
        return RMA_OK;
    struct id_list tried = {0};
    enum rma_err first = RMA_OK;
    for (;;) {
        int64_t ids[16];
        int found = 0, n = 0;
        const char *t = id_list_text(&tried);
        enum rma_err err = t == NULL ? RMA_EINTERNAL : db_begin(env->db);
        if (err == RMA_OK)
            err = db_refund_due(env->db, t, 16, ids, &found);
        for (int i = 0; err == RMA_OK && i < found; i++) {
            bool got = false;
            err = id_list_add(&tried, ids[i]);
            if (err == RMA_OK)
                err = db_refund_lease(env->db, ids[i], true, &got);
            if (err == RMA_OK && got)
                ids[n++] = ids[i];
        }
        err = case_end(env, err);
        if (err != RMA_OK || found == 0) {
            if (err != RMA_OK && first == RMA_OK)
                first = err;
            break;
        }
        for (int i = 0; i < n; i++) {
            enum hold_outcome o = HOLD_SKIPPED;
            enum rma_err e = refund_pay(env, ids[i], &o);
            if (e != RMA_OK)
                s->errors++;
            else if (o == HOLD_DONE)
                s->paid++;
            else if (o == HOLD_PENDING)
                s->pending++;
            else if (o == HOLD_REFUSED)
                s->failed++;
            db_refund_lease(env->db, ids[i], false, NULL);
        }
    }
    id_list_free(&tried);
    return first;
}
