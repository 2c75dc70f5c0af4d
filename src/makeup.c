/* makeup.c - the reconciliation rules of make-up payments (SPEC §5.5), no
 * I/O; see makeup.h. */
#include "rma/makeup.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const status_names[MAKEUP_STATUS_COUNT] = {
    [MAKEUP_PENDING] = "pending",     [MAKEUP_MATCHED] = "matched",
    [MAKEUP_UNDERPAID] = "underpaid", [MAKEUP_OVERPAID] = "overpaid",
    [MAKEUP_UNMATCHED] = "unmatched", [MAKEUP_DUPLICATE] = "duplicate",
};

const char *
makeup_status_name(enum makeup_status s)
{
    return (unsigned)s < MAKEUP_STATUS_COUNT ? status_names[s] : "unknown";
}

int
makeup_status_parse(const char *s)
{
    for (int i = 0; s != NULL && i < MAKEUP_STATUS_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

bool
makeup_status_paid(enum makeup_status s)
{
    return s == MAKEUP_MATCHED || s == MAKEUP_UNDERPAID || s == MAKEUP_OVERPAID;
}

const char *
makeup_method_name(enum makeup_method m)
{
    switch (m) {
    case MAKEUP_BY_TRANSACTION_ID: return "transaction_id";
    case MAKEUP_BY_AMOUNT_EMAIL_DATE: return "fallback_amount_email_date";
    default: return NULL;
    }
}

const char *
makeup_exception_kind(enum makeup_status s)
{
    switch (s) {
    case MAKEUP_UNDERPAID: return "makeup_underpaid";
    case MAKEUP_OVERPAID: return "makeup_overpaid";
    case MAKEUP_UNMATCHED: return "makeup_unmatched";
    case MAKEUP_DUPLICATE: return "makeup_duplicate";
    default: return NULL;
    }
}

enum makeup_submit
makeup_can_submit(enum rma_status status, int64_t due, bool has_claim,
                  enum makeup_status latest)
{
    if (due <= 0)
        return MAKEUP_SUBMIT_NOTHING_DUE;
    if (!rma_status_open(status) || !rma_status_customer_visible(status) ||
        status == ST_PENDING_CONFIRM || status == ST_REJECTED)
        return MAKEUP_SUBMIT_STATE;
    if (has_claim && latest == MAKEUP_PENDING)
        return MAKEUP_SUBMIT_PENDING;
    if (has_claim && makeup_status_paid(latest))
        return MAKEUP_SUBMIT_PAID;
    return MAKEUP_SUBMIT_OK;
}

bool
makeup_transaction_id_normalize(const char *in, char out[MAKEUP_TXN_ID_LEN + 1])
{
    if (in == NULL)
        return false;
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n != MAKEUP_TXN_ID_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9')))
            return false;
        out[i] = (char)toupper(ch);
    }
    out[n] = '\0';
    return true;
}

struct makeup_policy
makeup_policy_default(void)
{
    struct makeup_policy p = {
        .retry_window_s = 72L * 3600,
        .backoff_first_s = 15L * 60,
        .backoff_max_s = 12L * 3600,
        .fallback_before_s = 3L * 86400,
    };
    return p;
}

void
makeup_id_window(time_t now, struct makeup_window *w)
{
    w->end = now;
    w->start = now - MAKEUP_SEARCH_MAX_S;
}

bool
makeup_fallback_window(const struct makeup_policy *p, time_t submitted,
                       time_t now, struct makeup_window *w)
{
    w->end = now < submitted + MAKEUP_FALLBACK_AFTER_S
                 ? now
                 : submitted + MAKEUP_FALLBACK_AFTER_S;
    w->start = submitted - p->fallback_before_s;
    if (w->end - w->start > MAKEUP_SEARCH_MAX_S)
        w->start = w->end - MAKEUP_SEARCH_MAX_S;
    return w->end > w->start;
}

/* A payment received, positive. */
static bool
is_credit(const struct makeup_transaction *tx)
{
    return tx->payment && tx->amount.minor > 0;
}

bool
makeup_fallback_candidate(const struct makeup_claim_facts *c,
                          const struct makeup_transaction *tx,
                          const struct makeup_window *w)
{
    return is_credit(tx) &&
           (tx->status == MAKEUP_TX_COMPLETED ||
            tx->status == MAKEUP_TX_PENDING) &&
           strcmp(tx->amount.currency, c->currency) == 0 &&
           tx->amount.minor == c->due && tx->initiated != 0 &&
           tx->initiated >= w->start && tx->initiated <= w->end &&
           c->payer_email != NULL && c->payer_email[0] != '\0' &&
           strcasecmp(tx->payer_email, c->payer_email) == 0;
}

/* Whether a is a better fallback choice than b (completed first, then the
 * earliest, then the smallest id for a stable answer). */
static bool
better(const struct makeup_transaction *a, const struct makeup_transaction *b)
{
    bool sa = a->status == MAKEUP_TX_COMPLETED,
         sb = b->status == MAKEUP_TX_COMPLETED;
    if (sa != sb)
        return sa;
    if (a->initiated != b->initiated)
        return a->initiated < b->initiated;
    return strcmp(a->transaction_id, b->transaction_id) < 0;
}

int
makeup_fallback_pick(const struct makeup_transaction *tx, const bool *taken,
                     size_t n)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (taken != NULL && taken[i])
            continue;
        if (best < 0 || better(&tx[i], &tx[best]))
            best = (int)i;
    }
    return best;
}

long
makeup_backoff_s(const struct makeup_policy *p, int attempt)
{
    long d = p->backoff_first_s;
    for (int i = 1; i < attempt && d < p->backoff_max_s; i++)
        d *= 2;
    return d > p->backoff_max_s ? p->backoff_max_s : d;
}

static void
pending(const struct makeup_policy *p, const struct makeup_claim_facts *c,
        time_t now, int attempts, const char *reason,
        struct makeup_decision *out)
{
    out->status = MAKEUP_PENDING;
    out->reason = reason;
    time_t deadline = c->submitted + p->retry_window_s;
    time_t next = now + makeup_backoff_s(p, attempts);
    /* One try right at the end of the window, where it decides. */
    if (now < deadline && next > deadline)
        next = deadline;
    out->next_attempt = next;
}

/* The outcome for a transaction that was found (by id or fallback). */
static void
judge(const struct makeup_policy *p, const struct makeup_claim_facts *c,
      const struct makeup_transaction *tx, bool taken, time_t now, int attempts,
      struct makeup_decision *out)
{
    out->tx = tx;
    bool over = now >= c->submitted + p->retry_window_s;
    if (!is_credit(tx)) {
        out->status = MAKEUP_UNMATCHED;
        out->reason = "not_a_credit";
        return;
    }
    if (tx->status == MAKEUP_TX_PENDING) {
        /* Not paid yet at PayPal: wait for it like for a lagging search. */
        if (over) {
            out->status = MAKEUP_UNMATCHED;
            out->reason = "not_completed";
        } else {
            pending(p, c, now, attempts, "not_completed", out);
        }
        return;
    }
    if (tx->status != MAKEUP_TX_COMPLETED) {
        out->status = MAKEUP_UNMATCHED;
        out->reason = tx->status == MAKEUP_TX_REVERSED ? "reversed"
                      : tx->status == MAKEUP_TX_DENIED ? "denied"
                                                       : "not_completed";
        return;
    }
    if (strcmp(tx->amount.currency, c->currency) != 0) {
        out->status = MAKEUP_UNMATCHED;
        out->reason = "wrong_currency";
        return;
    }
    if (taken) {
        out->status = MAKEUP_DUPLICATE;
        out->reason = "already_claimed";
        return;
    }
    /* Someone else's payment with the id the customer typed: finance. */
    if (tx->payer_email[0] != '\0' && c->payer_email != NULL &&
        strcasecmp(tx->payer_email, c->payer_email) != 0) {
        out->status = MAKEUP_UNMATCHED;
        out->reason = "payer_differs";
        return;
    }
    out->paid = tx->amount.minor;
    /* PayPal writes the fee as a debit ("-1.03"); either sign is read as
     * its size, at most what was paid. */
    int64_t fee = 0;
    if (tx->has_fee && strcmp(tx->fee.currency, tx->amount.currency) == 0)
        fee = tx->fee.minor < 0 ? -tx->fee.minor : tx->fee.minor;
    out->fee = fee > out->paid ? out->paid : fee;
    out->status = out->paid == c->due  ? MAKEUP_MATCHED
                  : out->paid < c->due ? MAKEUP_UNDERPAID
                                       : MAKEUP_OVERPAID;
    out->reason = NULL;
}

void
makeup_decide(const struct makeup_policy *p, const struct makeup_claim_facts *c,
              const struct makeup_search *s, time_t now, int attempts,
              struct makeup_decision *out)
{
    memset(out, 0, sizeof(*out));
    if (s->by_id != NULL) {
        out->method = MAKEUP_BY_TRANSACTION_ID;
        judge(p, c, s->by_id, s->by_id_taken, now, attempts, out);
        return;
    }
    if (!s->searched) {
        /* PayPal did not answer: nothing learnt; past the retry window,
         * finance takes it over. */
        if (now >= c->submitted + p->retry_window_s) {
            out->status = MAKEUP_UNMATCHED;
            out->reason = "search_failed";
            return;
        }
        pending(p, c, now, attempts, "search_failed", out);
        return;
    }
    if (s->fallback != NULL) {
        out->method = MAKEUP_BY_AMOUNT_EMAIL_DATE;
        judge(p, c, s->fallback, false, now, attempts, out);
        return;
    }
    /* Not found.  Unmatched once the window has passed and PayPal's data
     * reaches the moment of the claim (the payment came before it); should
     * PayPal's reporting stay behind, after twice the window anyway, so
     * that finance hears of it. */
    bool over = now >= c->submitted + p->retry_window_s;
    bool covered = s->refreshed != 0 && s->refreshed >= c->submitted;
    bool long_over = now >= c->submitted + 2 * p->retry_window_s;
    if ((over && covered) || long_over) {
        out->status = MAKEUP_UNMATCHED;
        out->reason = "not_found";
        return;
    }
    pending(p, c, now, attempts, "not_found", out);
}
