/* makeup.h - make-up payments (SPEC §5.5): the rules that decide what a
 * customer's claim "I paid, here is the PayPal transaction id" comes to,
 * given what PayPal's Transaction Search shows.  No I/O: makeup_ops.h does
 * the searching and the recording.
 *
 * A claim names a transaction id.  Buyer and seller see different ids for
 * one payment (paypal/NOTES.md §9) and the vendor's search sees only the
 * seller's, so:
 *   1. the claimed id is looked up in the last 31 days (PayPal's widest
 *      window);
 *   2. when it is not there, the fallback looks for a completed credit of
 *      exactly the amount due, in the case's currency, paid by the case's
 *      customer (payer email, case-insensitive) between
 *      fallback_before_s before the claim and an hour after it (a payment
 *      comes before its claim: the window does not grow with time);
 *   3. when neither finds it, the claim stays pending (PayPal's reporting
 *      lags by hours) and is retried with a doubling backoff, until the
 *      retry window has passed and PayPal's data (last_refreshed_datetime)
 *      covers the moment of the claim (or twice the window has passed,
 *      should PayPal's reporting stay behind): then it is unmatched.  A
 *      search that keeps failing is unmatched (search_failed) once the
 *      retry window has passed, so that finance hears of it.
 * A payment from another PayPal account than the case's customer's goes to
 * finance (unmatched, payer_differs) instead of matching.  A transaction
 * another claim already matched, or that is one of our own hold captures,
 * is a duplicate.
 *
 * The rules see a transaction as struct makeup_transaction, which
 * makeup_ops.c fills from PayPal's (Transaction Search's codes are read
 * by paypal*.c): this header knows no PayPal type. */
#ifndef RMA_MAKEUP_H
#define RMA_MAKEUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rma/money.h"
#include "rma/rma_state.h"

#define MAKEUP_TXN_ID_LEN 17         /* PayPal transaction ids (NOTES §9) */
#define MAKEUP_SEARCH_MAX_S 2678400  /* 31 days: Transaction Search's limit */
#define MAKEUP_FALLBACK_AFTER_S 3600 /* the fallback's end after the claim */

/* What Transaction Search says of a transaction's state (PayPal's
 * transaction_status codes, read by paypal_transaction_status_of). */
enum makeup_tx_status {
    MAKEUP_TX_OTHER,     /* a code these rules do not know */
    MAKEUP_TX_COMPLETED, /* S */
    MAKEUP_TX_PENDING,   /* P: not paid yet at PayPal */
    MAKEUP_TX_REVERSED,  /* V */
    MAKEUP_TX_DENIED,    /* D */
};

#define MAKEUP_TX_ID_MAX 64 /* with the NUL */

/* One transaction as the rules see it. */
struct makeup_transaction {
    char transaction_id[MAKEUP_TX_ID_MAX];
    bool payment; /* a payment received (PayPal's T00nn event codes) */
    enum makeup_tx_status status;
    struct money amount; /* signed: credits positive */
    bool has_fee;
    struct money fee; /* usually negative */
    time_t initiated; /* 0 if unknown */
    char payer_email[256];
};

enum makeup_status {
    MAKEUP_PENDING,   /* not found yet: retried */
    MAKEUP_MATCHED,   /* paid exactly what was due */
    MAKEUP_UNDERPAID, /* paid, less than due: finance */
    MAKEUP_OVERPAID,  /* paid, more than due: surplus owed back, finance */
    MAKEUP_UNMATCHED, /* not found, or not a usable payment: finance */
    MAKEUP_DUPLICATE, /* the payment was already claimed: finance */
    MAKEUP_STATUS_COUNT
};

/* "pending", "matched", ...; makeup_status_parse: -1 when unknown. */
const char *makeup_status_name(enum makeup_status s);
int makeup_status_parse(const char *s);
/* Whether a claim with status s has found its payment (matched, underpaid,
 * overpaid): the payment is booked and cannot be claimed again. */
bool makeup_status_paid(enum makeup_status s);

enum makeup_method {
    MAKEUP_BY_NONE,
    MAKEUP_BY_TRANSACTION_ID,    /* "transaction_id" */
    MAKEUP_BY_AMOUNT_EMAIL_DATE, /* "fallback_amount_email_date" */
};
/* NULL for MAKEUP_BY_NONE. */
const char *makeup_method_name(enum makeup_method m);

/* A customer's transaction id as PayPal prints it: 17 letters and digits,
 * surrounding blanks ignored, stored upper case into out.  False when it is
 * anything else. */
bool makeup_transaction_id_normalize(const char *in,
                                     char out[MAKEUP_TXN_ID_LEN + 1]);

struct makeup_policy {
    long retry_window_s;    /* pending this long, then unmatched: 72 h */
    long backoff_first_s;   /* first retry after: 15 min, then doubling */
    long backoff_max_s;     /* at most: 12 h */
    long fallback_before_s; /* fallback looks back from the claim: 3 days */
};

struct makeup_policy makeup_policy_default(void);

/* The claim as the rules see it (borrowed strings). */
struct makeup_claim_facts {
    const char *claimed_id;  /* normalized */
    const char *currency;    /* of the amount due */
    int64_t due;             /* minor units, > 0 */
    const char *payer_email; /* the case's customer */
    time_t submitted;
};

struct makeup_window {
    time_t start, end;
};

/* The window the claimed id is searched in: the 31 days up to now. */
void makeup_id_window(time_t now, struct makeup_window *w);
/* The fallback's window: fallback_before_s before the claim up to
 * MAKEUP_FALLBACK_AFTER_S after it, or now when that is earlier; at most 31
 * days.  False when it is empty (now not after its start). */
bool makeup_fallback_window(const struct makeup_policy *p, time_t submitted,
                            time_t now, struct makeup_window *w);

/* Whether tx could be the claim's payment by the fallback: a credit (a
 * payment, amount > 0) of exactly the amount due in the claim's currency,
 * completed or still pending at PayPal, from payer_email, initiated inside
 * w. */
bool makeup_fallback_candidate(const struct makeup_claim_facts *c,
                               const struct makeup_transaction *tx,
                               const struct makeup_window *w);
/* Among the n candidates (taken[i]: already claimed or ours), the one the
 * fallback takes: the earliest completed one, else the earliest pending
 * one; -1 when none is free. */
int makeup_fallback_pick(const struct makeup_transaction *tx, const bool *taken,
                         size_t n);

/* What the searches found, for makeup_decide (borrowed). */
struct makeup_search {
    bool searched;    /* both searches ran; false: PayPal failed */
    time_t refreshed; /* PayPal's last_refreshed_datetime, 0 if unknown */
    const struct makeup_transaction *by_id; /* the claimed id, or NULL */
    bool by_id_taken; /* ... already matched by another claim, or ours */
    const struct makeup_transaction *fallback; /* makeup_fallback_pick's */
};

struct makeup_decision {
    enum makeup_status status;
    enum makeup_method method;
    /* Why, in a word (static): not_found, not_completed, reversed, denied,
     * not_a_credit, wrong_currency, already_claimed, search_failed; NULL
     * for a payment found and booked. */
    const char *reason;
    const struct makeup_transaction *tx; /* the transaction found, or NULL */
    int64_t paid;        /* tx's amount (minor units), 0 without tx */
    int64_t fee;         /* PayPal's fee on it, 0..paid */
    time_t next_attempt; /* when pending: the next try */
};

/* The delay before retry number `attempt` (1 = after the first try):
 * backoff_first_s doubling, at most backoff_max_s. */
long makeup_backoff_s(const struct makeup_policy *p, int attempt);

/* Decides the claim's outcome after attempt number `attempts` (1 = the
 * first try) at now. */
void makeup_decide(const struct makeup_policy *p,
                   const struct makeup_claim_facts *c,
                   const struct makeup_search *s, time_t now, int attempts,
                   struct makeup_decision *out);

/* Whether the customer may claim a payment now. */
enum makeup_submit {
    MAKEUP_SUBMIT_OK,
    MAKEUP_SUBMIT_NOTHING_DUE, /* no amount due on the case */
    MAKEUP_SUBMIT_STATE,       /* not agreed yet, or closed */
    MAKEUP_SUBMIT_PENDING,     /* the last claim is being checked */
    MAKEUP_SUBMIT_PAID,        /* a payment was found (finance handles an
                                  underpayment) */
};
/* For a case in status with due minor units (0: none) whose newest claim,
 * if has_claim, is latest: open cases the customer has agreed to (confirmed
 * and after) may claim while nothing was paid and no claim is pending; a
 * claim that came to unmatched or duplicate may be followed by another. */
enum makeup_submit makeup_can_submit(enum rma_status status, int64_t due,
                                     bool has_claim, enum makeup_status latest);

/* The finance exception kind of a status (makeup_unmatched, ...), NULL for
 * matched and pending. */
const char *makeup_exception_kind(enum makeup_status s);

#endif
