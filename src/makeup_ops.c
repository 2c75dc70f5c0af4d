/* makeup_ops.c - reconciling make-up payment claims with PayPal's
 * Transaction Search and capture webhooks (SPEC §5.5, §5.6); see
 * makeup_ops.h. */
#include "rma/makeup_ops.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rma/buf.h"
#include "rma/case_ops.h"
#include "rma/ledger_ops.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/money.h"

#define PAGE_SIZE 500
#define CANDIDATES_MAX 64 /* fallback candidates kept per attempt */

void
makeup_env_init(struct makeup_env *env, struct db *db, struct paypal_client *pc,
                const struct rma_config *cfg, time_t now, const char *actor)
{
    memset(env, 0, sizeof(*env));
    env->db = db;
    env->pc = pc;
    env->cfg = cfg;
    env->policy = makeup_policy_default();
    env->now_t = now;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(env->now, sizeof(env->now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    env->who = (struct rma_actor_info){ACTOR_SYSTEM, actor, NULL, false};
    env->max_pages = 20;
}

static void
amount_text(int64_t minor, const char *currency, char *out, size_t n)
{
    char v[MONEY_TEXT_MAX];
    money_format_minor(minor, money_exponent(currency), v);
    snprintf(out, n, "%s %s", v, currency);
}

/* ---- searching ---- */

/* PayPal's transaction as the rules see it. */
static void
transaction_of(const struct paypal_transaction *t, struct makeup_transaction *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->transaction_id, sizeof(m->transaction_id), "%s",
             t->transaction_id);
    m->payment = paypal_transaction_is_payment(t);
    switch (paypal_transaction_status_of(t)) {
    case PAYPAL_TRANSACTION_SUCCESS: m->status = MAKEUP_TX_COMPLETED; break;
    case PAYPAL_TRANSACTION_PENDING: m->status = MAKEUP_TX_PENDING; break;
    case PAYPAL_TRANSACTION_REVERSED: m->status = MAKEUP_TX_REVERSED; break;
    case PAYPAL_TRANSACTION_DENIED: m->status = MAKEUP_TX_DENIED; break;
    default: m->status = MAKEUP_TX_OTHER; break;
    }
    m->amount = t->amount;
    m->has_fee = t->has_fee;
    m->fee = t->fee;
    m->initiated = t->initiated;
    snprintf(m->payer_email, sizeof(m->payer_email), "%s", t->payer_email);
}

/* What one attempt learnt from PayPal; owns its copies. */
struct findings {
    bool searched;
    time_t refreshed;
    bool have_id;
    struct makeup_transaction by_id;
    bool by_id_taken;
    struct makeup_transaction cand[CANDIDATES_MAX];
    bool taken[CANDIDATES_MAX];
    size_t ncand;
    int fallback; /* index into cand, or -1 */
};

static void
log_search_failure(const struct makeup_claim_row *c, enum rma_err err,
                   const struct paypal_result *res)
{
    log_event(LOG_WARN, "makeup_search_failed", "{s:I, s:s, s:i, s:s, s:s}",
              "claim_id", (json_int_t)c->id, "error", rma_err_code(err),
              "http_status", res->http_status, "issue", res->issue, "debug_id",
              res->debug_id);
}

static void
note_refreshed(struct findings *f, const struct paypal_search_result *r)
{
    if (r->last_refreshed_at != 0 &&
        (f->refreshed == 0 || r->last_refreshed_at < f->refreshed))
        f->refreshed = r->last_refreshed_at;
}

/* The claimed id in the last 31 days.  PayPal may list one id twice (a
 * balance-affecting row and another); a credit is preferred. */
static enum rma_err
search_by_id(struct makeup_env *env, const struct makeup_claim_row *c,
             struct findings *f)
{
    struct makeup_window w;
    makeup_id_window(env->now_t, &w);
    struct paypal_search_query q = {.start = w.start,
                                    .end = w.end,
                                    .transaction_id = c->transaction_id,
                                    .page_size = 20};
    struct paypal_search_result r;
    struct paypal_result res = {0};
    enum rma_err err = paypal_search_transactions(env->pc, &q, &r, &res);
    if (err != RMA_OK) {
        log_search_failure(c, err, &res);
        paypal_result_free(&res);
        return err;
    }
    paypal_result_free(&res);
    note_refreshed(f, &r);
    for (size_t i = 0; i < r.n; i++) {
        const struct paypal_transaction *t = &r.items[i];
        if (strcasecmp(t->transaction_id, c->transaction_id) != 0)
            continue;
        bool credit = paypal_transaction_is_payment(t);
        if (!f->have_id || credit) {
            transaction_of(t, &f->by_id);
            f->have_id = true;
            if (credit)
                break;
        }
    }
    paypal_search_result_free(&r);
    return RMA_OK;
}

/* The fallback: the window's transactions, page by page, keeping those that
 * could be the claim's payment. */
static enum rma_err
search_fallback(struct makeup_env *env, const struct makeup_claim_row *c,
                struct findings *f)
{
    struct makeup_window w;
    if (!makeup_fallback_window(&env->policy, c->submitted, env->now_t, &w))
        return RMA_OK;
    struct makeup_claim_facts facts = {c->transaction_id, c->currency, c->due,
                                       c->customer_email, c->submitted};
    for (int page = 1; page <= env->max_pages; page++) {
        struct paypal_search_query q = {.start = w.start,
                                        .end = w.end,
                                        .page = page,
                                        .page_size = PAGE_SIZE};
        struct paypal_search_result r;
        struct paypal_result res = {0};
        enum rma_err err = paypal_search_transactions(env->pc, &q, &r, &res);
        if (err != RMA_OK) {
            log_search_failure(c, err, &res);
            paypal_result_free(&res);
            return err;
        }
        paypal_result_free(&res);
        note_refreshed(f, &r);
        for (size_t i = 0; i < r.n && f->ncand < CANDIDATES_MAX; i++) {
            transaction_of(&r.items[i], &f->cand[f->ncand]);
            if (makeup_fallback_candidate(&facts, &f->cand[f->ncand], &w))
                f->ncand++;
        }
        int pages = r.total_pages;
        paypal_search_result_free(&r);
        if (page >= pages)
            return RMA_OK;
    }
    /* More pages than one attempt reads: what was seen decides, or the
     * next attempt looks again. */
    log_event(LOG_WARN, "makeup_search_truncated", "{s:I, s:i}", "claim_id",
              (json_int_t)c->id, "pages", env->max_pages);
    return RMA_OK;
}

static enum rma_err
search(struct makeup_env *env, const struct makeup_claim_row *c,
       struct findings *f)
{
    memset(f, 0, sizeof(*f));
    f->fallback = -1;
    if (env->pc == NULL)
        return RMA_OK; /* not searched: stays pending */
    if (search_by_id(env, c, f) != RMA_OK)
        return RMA_OK;
    enum rma_err err = RMA_OK;
    if (f->have_id) {
        err = db_makeup_taken(env->db, f->by_id.transaction_id, c->id,
                              &f->by_id_taken);
    } else {
        if (search_fallback(env, c, f) != RMA_OK)
            return RMA_OK;
        for (size_t i = 0; err == RMA_OK && i < f->ncand; i++)
            err = db_makeup_taken(env->db, f->cand[i].transaction_id, c->id,
                                  &f->taken[i]);
        if (err == RMA_OK)
            f->fallback = makeup_fallback_pick(f->cand, f->taken, f->ncand);
    }
    if (err == RMA_OK)
        f->searched = true;
    return err;
}

/* ---- settling ---- */

static enum rma_err
audit(struct makeup_env *env, const struct makeup_claim_row *c,
      const struct makeup_decision *d)
{
    json_t *j = json_pack("{s:I, s:s, s:s}", "claim_id", (json_int_t)c->id,
                          "transaction_id", c->transaction_id, "outcome",
                          makeup_status_name(d->status));
    if (j == NULL)
        return RMA_EINTERNAL;
    if (d->tx != NULL)
        json_object_set_new(j, "matched_transaction_id",
                            json_string(d->tx->transaction_id));
    if (makeup_method_name(d->method) != NULL && d->tx != NULL)
        json_object_set_new(j, "match_method",
                            json_string(makeup_method_name(d->method)));
    if (d->reason != NULL)
        json_object_set_new(j, "reason", json_string(d->reason));
    if (makeup_status_paid(d->status)) {
        char paid[MONEY_TEXT_MAX];
        money_format_minor(d->paid, money_exponent(c->currency), paid);
        json_object_set_new(j, "amount_paid",
                            json_pack("{s:s, s:s}", "currency_code",
                                      c->currency, "value", paid));
    }
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text == NULL)
        return RMA_EINTERNAL;
    char action[64];
    snprintf(action, sizeof(action), "makeup_payment_%s",
             makeup_status_name(d->status));
    enum rma_err err =
        db_rma_audit(env->db, c->rma_id, &env->who, action, text, env->now);
    free(text);
    return err;
}

static enum rma_err
exception(struct makeup_env *env, const struct makeup_claim_row *c,
          const struct makeup_decision *d)
{
    const char *kind = makeup_exception_kind(d->status);
    if (kind == NULL)
        return RMA_OK;
    char due[48], paid[48], detail[512], key[64];
    amount_text(c->due, c->currency, due, sizeof(due));
    const char *txn = d->tx != NULL ? d->tx->transaction_id : NULL;
    int64_t amount = c->due;
    switch (d->status) {
    case MAKEUP_UNDERPAID:
    case MAKEUP_OVERPAID:
        amount_text(d->paid, c->currency, paid, sizeof(paid));
        amount =
            d->status == MAKEUP_OVERPAID ? d->paid - c->due : c->due - d->paid;
        snprintf(detail, sizeof(detail),
                 "make-up payment claim %lld of %s: %s paid of %s due "
                 "(transaction %s, matched by %s); %s",
                 (long long)c->id, c->rma_number, paid, due, txn,
                 makeup_method_name(d->method),
                 d->status == MAKEUP_OVERPAID
                     ? "the surplus is owed back to the customer"
                     : "the rest is still owed");
        break;
    case MAKEUP_DUPLICATE:
        snprintf(detail, sizeof(detail),
                 "make-up payment claim %lld of %s: transaction %s (claimed "
                 "as %s) is already the payment of another claim or a hold",
                 (long long)c->id, c->rma_number, txn ? txn : "?",
                 c->transaction_id);
        break;
    default:
        snprintf(detail, sizeof(detail),
                 "make-up payment claim %lld of %s: %s due, transaction %s "
                 "%s%s%s",
                 (long long)c->id, c->rma_number, due, c->transaction_id,
                 d->reason ? d->reason : "not_found", txn ? " as " : "",
                 txn ? txn : "");
        break;
    }
    snprintf(key, sizeof(key), "makeup:%lld", (long long)c->id);
    log_event(LOG_WARN, "finance_exception", "{s:s, s:I, s:s}", "kind", kind,
              "claim_id", (json_int_t)c->id, "detail", detail);
    return db_makeup_exception(env->db, kind, c, amount, detail, key, env->now);
}

/* The customer's mail about a settled claim (the job or a webhook settled
 * it: the customer was told "we are looking" and is not looking now). */
static enum rma_err
mail(struct makeup_env *env, const struct makeup_claim_row *c,
     const struct makeup_decision *d)
{
    static const char *const words[MAKEUP_STATUS_COUNT] = {
        [MAKEUP_MATCHED] = "We found your payment and it matches the amount "
                           "due. Thank you!",
        [MAKEUP_OVERPAID] = "We found your payment. It is more than the "
                            "amount due: our team will refund the "
                            "difference.",
        [MAKEUP_UNDERPAID] = "We found your payment, but it is less than the "
                             "amount due. Our team will contact you.",
        [MAKEUP_UNMATCHED] = "We could not find this payment at PayPal. Our "
                             "team will contact you.",
        [MAKEUP_DUPLICATE] = "This PayPal transaction was already used for "
                             "another payment. Please check the transaction "
                             "ID.",
    };
    if (!env->notify || words[d->status] == NULL)
        return RMA_OK;
    char due[48];
    amount_text(c->due, c->currency, due, sizeof(due));
    const char *base = env->cfg != NULL && env->cfg->public_base_url != NULL
                           ? env->cfg->public_base_url
                           : "";
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, 8192);
    enum rma_err err =
        buf_printf(&s, "Your payment for %s: %s", c->rma_number,
                   d->status == MAKEUP_MATCHED || d->status == MAKEUP_OVERPAID
                       ? "received"
                       : "we need to talk");
    if (err == RMA_OK)
        err =
            buf_printf(&b,
                       "Hello %s,\n\n"
                       "You told us you paid %s for %s with the PayPal "
                       "transaction %s.\n%s\n\nDetails: %s/#/rmas/%s\n",
                       c->customer_name, due, c->rma_number, c->transaction_id,
                       words[d->status], base, c->rma_number);
    if (err == RMA_OK)
        err = mail_enqueue(env->db, "makeup_payment", c->rma_id,
                           c->customer_email, s.data, b.data);
    buf_free(&s);
    buf_free(&b);
    return err;
}

/* Settles d on c in the caller's transaction with c's row locked and still
 * pending; a payment found is checked again under the transaction's lock
 * and becomes a duplicate when it is taken meanwhile. */
/* SPEC §14: the case's completion rule, under the case lock. */
static enum rma_err
complete_case(struct makeup_env *env, int64_t rma_id)
{
    struct hold_env he = {
        .db = env->db,
        .cfg = env->cfg,
        .who = {ACTOR_SYSTEM, "rma", NULL, false},
    };
    hold_env_set_now(&he, env->now_t);
    struct rma_ref r;
    enum rma_err err = db_rma_lock_id(env->db, rma_id, &r);
    return err == RMA_OK ? case_complete_if_settled(&he, &r) : err;
}

static enum rma_err
settle(struct makeup_env *env, const struct makeup_claim_row *c,
       struct makeup_decision *d, int attempts)
{
    enum rma_err err = RMA_OK;
    if (makeup_status_paid(d->status)) {
        bool taken = false;
        err = db_makeup_lock_transaction(env->db, d->tx->transaction_id);
        if (err == RMA_OK)
            err =
                db_makeup_taken(env->db, d->tx->transaction_id, c->id, &taken);
        if (err == RMA_OK && taken) {
            d->status = MAKEUP_DUPLICATE;
            d->reason = "already_claimed";
        }
    }
    if (err == RMA_OK)
        err = db_makeup_record(env->db, c->id, d, attempts, env->now);
    if (err != RMA_OK || d->status == MAKEUP_PENDING)
        return err;
    if (makeup_status_paid(d->status))
        err = ledger_makeup_payment(env->db, c->rma_id, c->id,
                                    d->tx->transaction_id, c->currency, c->due,
                                    d->paid, d->fee);
    if (err == RMA_OK)
        err = exception(env, c, d);
    if (err == RMA_OK)
        err = audit(env, c, d);
    if (err == RMA_OK)
        err = mail(env, c, d);
    /* The fee was what the case still owed: it may complete now. */
    if (err == RMA_OK && makeup_status_paid(d->status))
        err = complete_case(env, c->rma_id);
    if (err == RMA_OK)
        log_event(LOG_INFO, "makeup_settled", "{s:I, s:s, s:s}", "claim_id",
                  (json_int_t)c->id, "outcome", makeup_status_name(d->status),
                  "reason", d->reason ? d->reason : "");
    return err;
}

/* Locks the claim, settles d if it is still pending, commits. */
static enum rma_err
settle_in_tx(struct makeup_env *env, int64_t claim_id,
             struct makeup_decision *d, enum makeup_status *status)
{
    struct makeup_claim_row c;
    enum rma_err err = db_begin(env->db);
    if (err != RMA_OK)
        return err;
    err = db_makeup_claim(env->db, claim_id, true, &c);
    if (err == RMA_OK && c.status != MAKEUP_PENDING) {
        db_rollback(env->db); /* settled meanwhile (a webhook, a runner) */
        if (status != NULL)
            *status = c.status;
        return RMA_OK;
    }
    if (err == RMA_OK)
        err = settle(env, &c, d, c.attempts + 1);
    if (err == RMA_OK)
        err = db_commit(env->db);
    else
        db_rollback(env->db);
    if (err == RMA_OK && status != NULL)
        *status = d->status;
    return err;
}

enum rma_err
makeup_reconcile(struct makeup_env *env, int64_t claim_id,
                 enum makeup_status *status)
{
    struct makeup_claim_row c;
    enum rma_err err = db_makeup_claim(env->db, claim_id, false, &c);
    if (err != RMA_OK)
        return err;
    if (status != NULL)
        *status = c.status;
    if (c.status != MAKEUP_PENDING)
        return RMA_OK;
    struct findings *f = malloc(sizeof(*f));
    if (f == NULL)
        return RMA_EINTERNAL;
    err = search(env, &c, f);
    if (err == RMA_OK) {
        struct makeup_claim_facts facts = {c.transaction_id, c.currency, c.due,
                                           c.customer_email, c.submitted};
        struct makeup_search s = {
            .searched = f->searched,
            .refreshed = f->refreshed,
            .by_id = f->have_id ? &f->by_id : NULL,
            .by_id_taken = f->by_id_taken,
            .fallback = f->fallback >= 0 ? &f->cand[f->fallback] : NULL,
        };
        struct makeup_decision d;
        makeup_decide(&env->policy, &facts, &s, env->now_t, c.attempts + 1, &d);
        err = settle_in_tx(env, claim_id, &d, status);
    }
    free(f);
    return err;
}

/* ---- webhooks ---- */

const char *
makeup_match_capture_event(struct db *db, const struct rma_config *cfg,
                           const struct paypal_capture *fetched, time_t now)
{
    char id[MAKEUP_TXN_ID_LEN + 1];
    if (!makeup_transaction_id_normalize(fetched->id, id))
        return "no make-up payment claim";
    int64_t claim_id;
    enum rma_err err = db_makeup_pending_by_transaction(db, id, &claim_id);
    if (err == RMA_ENOTFOUND)
        return "no make-up payment claim";
    if (err != RMA_OK)
        return NULL;
    const struct paypal_capture cap = *fetched;
    if (paypal_status_parse(cap.status) != PAYPAL_STATUS_COMPLETED ||
        cap.amount.minor <= 0)
        return "make-up payment claim: capture not completed";
    struct makeup_env env;
    makeup_env_init(&env, db, NULL, cfg, now, "paypal-webhook");
    env.notify = true;
    struct makeup_claim_row c;
    err = db_makeup_claim(db, claim_id, true, &c);
    if (err != RMA_OK)
        return NULL;
    /* The capture as Transaction Search would list it: a completed
     * checkout payment to the vendor, its fee as a debit. */
    struct makeup_transaction tx = {0};
    snprintf(tx.transaction_id, sizeof(tx.transaction_id), "%s", cap.id);
    tx.payment = true;
    tx.status = MAKEUP_TX_COMPLETED;
    tx.amount = cap.amount;
    if (cap.has_breakdown) {
        tx.has_fee = true;
        tx.fee = cap.fee;
        tx.fee.minor = -cap.fee.minor;
    }
    if (cap.create_time[0] != '\0')
        paypal_parse_time(cap.create_time, &tx.initiated);
    bool taken = false;
    err = db_makeup_taken(db, tx.transaction_id, c.id, &taken);
    if (err != RMA_OK)
        return NULL;
    struct makeup_claim_facts facts = {c.transaction_id, c.currency, c.due,
                                       c.customer_email, c.submitted};
    struct makeup_search s = {
        .searched = true, .refreshed = now, .by_id = &tx, .by_id_taken = taken};
    struct makeup_decision d;
    makeup_decide(&env.policy, &facts, &s, now, c.attempts + 1, &d);
    /* Only a payment found settles here; anything else is for the job,
     * which asks Transaction Search itself. */
    if (!makeup_status_paid(d.status))
        return "make-up payment claim: left to the job";
    if (settle(&env, &c, &d, c.attempts + 1) != RMA_OK)
        return NULL;
    switch (d.status) {
    case MAKEUP_MATCHED: return "make-up payment matched";
    case MAKEUP_OVERPAID: return "make-up payment overpaid";
    case MAKEUP_UNDERPAID: return "make-up payment underpaid";
    case MAKEUP_DUPLICATE: return "make-up payment duplicate";
    default: return "make-up payment claim: left to the job";
    }
}
