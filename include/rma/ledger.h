/* ledger.h - the double-entry ledger (SPEC §5.6; doc/ledger.md).
 *
 * A journal entry records one business event with two or more postings;
 * a posting moves amount_minor (debit > 0, credit < 0) on one account.  In
 * each currency the postings on memo accounts sum to zero, and so do the
 * others.  Entries and postings are never updated or deleted: the database
 * enforces that and the balance (sql/migrations/0006_ledger.sql); this module
 * checks the same before writing so that a mistake is named in C.
 *
 * Every entry carries a unique idempotency key derived from its cause
 * ("capture:<capture id>"), so a retried operation cannot post twice.
 *
 * This header is the ledger's rules, without I/O (ledger.c): the chart of
 * accounts, the checks of an entry, the posting rules that build entries.
 * Posting them is ledger_ops.h (ledger_ops.c), checking the books is
 * ledger_verify.h, their SQL db_ledger.h. */
#ifndef RMA_LEDGER_H
#define RMA_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/err.h"

#define LEDGER_KEY_MAX 200 /* idempotency key, printable ASCII, no space */
#define LEDGER_LINES_MAX 32
#define LEDGER_PAYPAL_ID_MAX 64
#define LEDGER_MEMO_MAX 500 /* bytes */

/* The accounts (the chart seeded by the migration). */
#define LEDGER_HOLDS_AUTHORIZED "holds:authorized"
#define LEDGER_HOLDS_CONTRA "holds:contra"
#define LEDGER_PAYPAL_BALANCE "paypal:balance"
#define LEDGER_REVENUE_UNRETURNED "revenue:unreturned_units"
#define LEDGER_PAYPAL_FEES "expense:paypal_fees"
#define LEDGER_MAKEUP_INCOME "income:makeup_payments"
#define LEDGER_MAKEUP_SURPLUS "liability:makeup_surplus"
#define LEDGER_SALES_REFUNDS "revenue:sales_refunds"
#define LEDGER_REFUND_PAYOUTS "bank:refund_payouts"
#define LEDGER_BANK_OTHER "bank:other"
#define LEDGER_ADJUSTMENTS "expense:adjustments"

struct ledger_line {
    const char *account;  /* a code of the chart, e.g. "paypal:balance" */
    int64_t amount_minor; /* > 0 debit, < 0 credit, never 0 */
};

/* One entry to post.  Every pointer is borrowed for the call. */
struct ledger_entry {
    const char *key;      /* idempotency key, 1..LEDGER_KEY_MAX */
    const char *kind;     /* hold_authorized, capture, ... (doc/ledger.md) */
    const char *currency; /* of every line */
    int64_t rma_id;       /* the cause; 0 = none */
    int64_t hold_id;
    int64_t intent_id;        /* paypal_intent.id */
    int64_t makeup_id;        /* the make-up payment claim */
    const char *paypal_id;    /* authorization/capture/refund/transaction id */
    const char *memo;         /* or NULL */
    const char *effective_at; /* ISO 8601, or NULL: now */
    const struct ledger_line *lines;
    size_t n;
};

/* The chart of accounts as src/ledger.c knows it. */
struct ledger_account {
    const char *code;
    const char *kind; /* asset | liability | income | expense | memo */
};
/* The accounts (static), *n of them. */
const struct ledger_account *ledger_accounts(size_t *n);
/* The account named code, or NULL. */
const struct ledger_account *ledger_account_find(const char *code);

/* Checks e without I/O: key (1..200 printable ASCII, no space), known kind
 * and currency, the cause a kind needs (a hold for hold_* and capture/refund,
 * a PayPal id for capture/refund/makeup_payment, a claim for
 * makeup_payment), 2..LEDGER_LINES_MAX lines on known accounts, no zero
 * amount.  RMA_EINVAL for any of those; RMA_ERULE when the lines do not sum
 * to zero (memo and real accounts each) or the sums overflow. */
enum rma_err ledger_check(const struct ledger_entry *e);

/* ---- posting rules (doc/ledger.md) ----
 * Each builds its entry into a draft (no I/O; unit-tested); the
 * ledger_<rule> function of ledger_ops.h posts it.  Amounts are minor units
 * of currency; RMA_EINVAL for a non-positive amount, a fee outside
 * 0..amount, a missing id. */

#define LEDGER_DRAFT_LINES 4

struct ledger_draft {
    struct ledger_entry entry; /* points into the draft and the arguments */
    struct ledger_line line[LEDGER_DRAFT_LINES];
    char key[LEDGER_KEY_MAX + 1];
};

/* key hold:<id>:authorized.  Dr holds:authorized, Cr holds:contra. */
enum rma_err ledger_build_hold_authorized(struct ledger_draft *d,
                                          int64_t rma_id, int64_t hold_id,
                                          const char *currency, int64_t amount,
                                          const char *authorization_id);
/* key hold:<id>:reauthorized.  The original authorization is released and
 * the new one held, for the same amount: Cr holds:authorized, Dr
 * holds:contra, Dr holds:authorized, Cr holds:contra.  The hold's memo
 * balance is unchanged; the entry records that the funds are now held by
 * reauthorization_id. */
enum rma_err ledger_build_hold_reauthorized(struct ledger_draft *d,
                                            int64_t rma_id, int64_t hold_id,
                                            const char *currency,
                                            int64_t amount,
                                            const char *reauthorization_id);
/* key hold:<id>:<why>, why = voided | expired | captured | failed (kind
 * hold_<why>).  Cr holds:authorized, Dr holds:contra: the memo balance goes
 * back to zero.  paypal_id (the authorization, or the capture) may be
 * NULL. */
enum rma_err ledger_build_hold_released(struct ledger_draft *d, int64_t rma_id,
                                        int64_t hold_id, const char *currency,
                                        int64_t amount, const char *why,
                                        const char *paypal_id);
/* key capture:<capture id>.  Dr paypal:balance gross - fee (if > 0), Dr
 * expense:paypal_fees fee (if > 0), Cr revenue:unreturned_units gross.
 * intent_id may be 0. */
enum rma_err ledger_build_capture(struct ledger_draft *d, int64_t rma_id,
                                  int64_t hold_id, int64_t intent_id,
                                  const char *capture_id, const char *currency,
                                  int64_t gross, int64_t fee);
/* key refund:<refund id>.  Dr revenue:unreturned_units amount, Cr
 * paypal:balance amount - fee_returned (if > 0), Cr expense:paypal_fees
 * fee_returned (if > 0). */
enum rma_err ledger_build_refund(struct ledger_draft *d, int64_t rma_id,
                                 int64_t hold_id, int64_t intent_id,
                                 const char *refund_id, const char *currency,
                                 int64_t amount, int64_t fee_returned);
/* key makeup:<transaction id>.  Dr paypal:balance paid - fee (if > 0), Dr
 * expense:paypal_fees fee (if > 0), Cr income:makeup_payments min(paid,
 * due), Cr liability:makeup_surplus paid - due (if > 0).  An underpaid claim
 * books what was paid as income. */
enum rma_err ledger_build_makeup_payment(struct ledger_draft *d, int64_t rma_id,
                                         int64_t makeup_id,
                                         const char *transaction_id,
                                         const char *currency, int64_t due,
                                         int64_t paid, int64_t fee);

/* key sale_refund:<refund id>: a refund case paid back through PayPal
 * (refund_id, the fee PayPal returned).  key refund_payout:<case id>: one
 * paid out by other means (one per case). */
enum rma_err ledger_build_sale_refund(struct ledger_draft *d, int64_t rma_id,
                                      int64_t intent_id, const char *refund_id,
                                      const char *currency, int64_t amount,
                                      int64_t fee_returned);
enum rma_err ledger_build_refund_payout(struct ledger_draft *d, int64_t rma_id,
                                        const char *currency, int64_t amount);
/* Money that moved outside PayPal when finance resolved exception_id:
 * collected from the customer (bank:other up) or paid out to them, against
 * counter_account (what the exception was about).  key exception:<id>. */
enum rma_err ledger_build_exception_resolution(struct ledger_draft *d,
                                               int64_t exception_id,
                                               int64_t rma_id,
                                               const char *currency,
                                               int64_t amount, bool collected,
                                               const char *counter_account);

#endif
