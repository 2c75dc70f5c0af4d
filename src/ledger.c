/* ledger.c - the chart of accounts, the checks of an entry and the posting
 * rules of the double-entry ledger, without I/O; posting is ledger_ops.c,
 * the SQL db_ledger.c. */
#include "rma/ledger.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rma/money.h"

/* The same codes and kinds as sql/migrations/0006_ledger.sql seeds. */
static const struct ledger_account accounts[] = {
    {LEDGER_HOLDS_AUTHORIZED, "memo"},    {LEDGER_HOLDS_CONTRA, "memo"},
    {LEDGER_PAYPAL_BALANCE, "asset"},     {LEDGER_REVENUE_UNRETURNED, "income"},
    {LEDGER_PAYPAL_FEES, "expense"},      {LEDGER_MAKEUP_INCOME, "income"},
    {LEDGER_MAKEUP_SURPLUS, "liability"}, {LEDGER_SALES_REFUNDS, "income"},
    {LEDGER_REFUND_PAYOUTS, "asset"},     {LEDGER_BANK_OTHER, "asset"},
    {LEDGER_ADJUSTMENTS, "expense"},
};

/* The kinds of entry and the cause each needs (the CHECKs of the table). */
static const struct entry_kind {
    const char *name;
    bool needs_hold;
    bool needs_paypal_id;
    bool needs_makeup;
} kinds[] = {
    {"hold_authorized", true, false, false},
    {"hold_reauthorized", true, false, false},
    {"hold_voided", true, false, false},
    {"hold_expired", true, false, false},
    {"hold_captured", true, false, false},
    {"hold_failed", true, false, false},
    {"capture", true, true, false},
    {"refund", true, true, false},
    {"makeup_payment", false, true, true},
    {"adjustment", false, false, false},
    {"sale_refund", false, true, false},
    {"refund_payout", false, false, false},
};

/* The ways a hold is released, and the kind of entry each posts. */
static const struct {
    const char *why;
    const char *kind;
} releases[] = {
    {"voided", "hold_voided"},
    {"expired", "hold_expired"},
    {"captured", "hold_captured"},
    {"failed", "hold_failed"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const struct ledger_account *
ledger_accounts(size_t *n)
{
    *n = COUNT(accounts);
    return accounts;
}

const struct ledger_account *
ledger_account_find(const char *code)
{
    if (code == NULL)
        return NULL;
    for (size_t i = 0; i < COUNT(accounts); i++)
        if (strcmp(accounts[i].code, code) == 0)
            return &accounts[i];
    return NULL;
}

static const struct entry_kind *
kind_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < COUNT(kinds); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

/* 1..max characters of printable ASCII without space. */
static bool
token_ok(const char *s, size_t max)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s > '~')
            return false;
    return true;
}

enum rma_err
ledger_check(const struct ledger_entry *e)
{
    if (e == NULL || !token_ok(e->key, LEDGER_KEY_MAX))
        return RMA_EINVAL;
    const struct entry_kind *k = kind_find(e->kind);
    if (k == NULL || e->currency == NULL || money_exponent(e->currency) < 0)
        return RMA_EINVAL;
    if (e->rma_id < 0 || e->hold_id < 0 || e->intent_id < 0 || e->makeup_id < 0)
        return RMA_EINVAL;
    if ((k->needs_hold && e->hold_id == 0) ||
        (k->needs_paypal_id && e->paypal_id == NULL) ||
        (k->needs_makeup && e->makeup_id == 0))
        return RMA_EINVAL;
    if (e->paypal_id != NULL && !token_ok(e->paypal_id, LEDGER_PAYPAL_ID_MAX))
        return RMA_EINVAL;
    if (e->memo != NULL &&
        (e->memo[0] == '\0' || strlen(e->memo) > LEDGER_MEMO_MAX))
        return RMA_EINVAL;
    if (e->lines == NULL || e->n < 2 || e->n > LEDGER_LINES_MAX)
        return RMA_EINVAL;
    int64_t real = 0, memo = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct ledger_account *a =
            ledger_account_find(e->lines[i].account);
        if (a == NULL || e->lines[i].amount_minor == 0)
            return RMA_EINVAL;
        int64_t *sum = strcmp(a->kind, "memo") == 0 ? &memo : &real;
        if (__builtin_add_overflow(*sum, e->lines[i].amount_minor, sum))
            return RMA_ERULE;
    }
    return real == 0 && memo == 0 ? RMA_OK : RMA_ERULE;
}

/* ---- posting rules ---- */

/* Starts d with its cause; the key is printed by the caller. */
static void
draft_init(struct ledger_draft *d, const char *kind, const char *currency,
           int64_t rma_id, int64_t hold_id, const char *paypal_id)
{
    memset(d, 0, sizeof(*d));
    d->entry.key = d->key;
    d->entry.kind = kind;
    d->entry.currency = currency;
    d->entry.rma_id = rma_id;
    d->entry.hold_id = hold_id;
    d->entry.paypal_id = paypal_id;
    d->entry.lines = d->line;
}

/* Adds a line unless its amount is zero (a fee of 0 posts nothing). */
static void
draft_line(struct ledger_draft *d, const char *account, int64_t amount)
{
    if (amount == 0 || d->entry.n >= LEDGER_DRAFT_LINES)
        return;
    d->line[d->entry.n].account = account;
    d->line[d->entry.n].amount_minor = amount;
    d->entry.n++;
}

/* Prints the key; RMA_EINVAL if it does not fit. */
static enum rma_err draft_key(struct ledger_draft *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum rma_err
draft_key(struct ledger_draft *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->key, sizeof(d->key), fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof(d->key) ? RMA_EINVAL : RMA_OK;
}

static bool
amount_ok(int64_t amount)
{
    return amount > 0;
}

/* 0 <= part <= whole. */
static bool
part_ok(int64_t part, int64_t whole)
{
    return part >= 0 && part <= whole;
}

enum rma_err
ledger_build_hold_authorized(struct ledger_draft *d, int64_t rma_id,
                             int64_t hold_id, const char *currency,
                             int64_t amount, const char *authorization_id)
{
    draft_init(d, "hold_authorized", currency, rma_id, hold_id,
               authorization_id);
    if (hold_id <= 0 || !amount_ok(amount) || authorization_id == NULL ||
        draft_key(d, "hold:%" PRId64 ":authorized", hold_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_HOLDS_AUTHORIZED, amount);
    draft_line(d, LEDGER_HOLDS_CONTRA, -amount);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_hold_reauthorized(struct ledger_draft *d, int64_t rma_id,
                               int64_t hold_id, const char *currency,
                               int64_t amount, const char *reauthorization_id)
{
    draft_init(d, "hold_reauthorized", currency, rma_id, hold_id,
               reauthorization_id);
    if (hold_id <= 0 || !amount_ok(amount) || reauthorization_id == NULL ||
        draft_key(d, "hold:%" PRId64 ":reauthorized", hold_id) != RMA_OK)
        return RMA_EINVAL;
    /* The original released ... */
    draft_line(d, LEDGER_HOLDS_AUTHORIZED, -amount);
    draft_line(d, LEDGER_HOLDS_CONTRA, amount);
    /* ... and the reauthorization held. */
    draft_line(d, LEDGER_HOLDS_AUTHORIZED, amount);
    draft_line(d, LEDGER_HOLDS_CONTRA, -amount);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_hold_released(struct ledger_draft *d, int64_t rma_id,
                           int64_t hold_id, const char *currency,
                           int64_t amount, const char *why,
                           const char *paypal_id)
{
    const char *kind = NULL;
    for (size_t i = 0; why != NULL && i < COUNT(releases); i++)
        if (strcmp(releases[i].why, why) == 0)
            kind = releases[i].kind;
    draft_init(d, kind, currency, rma_id, hold_id, paypal_id);
    if (kind == NULL || hold_id <= 0 || !amount_ok(amount) ||
        draft_key(d, "hold:%" PRId64 ":%s", hold_id, why) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_HOLDS_AUTHORIZED, -amount);
    draft_line(d, LEDGER_HOLDS_CONTRA, amount);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_capture(struct ledger_draft *d, int64_t rma_id, int64_t hold_id,
                     int64_t intent_id, const char *capture_id,
                     const char *currency, int64_t gross, int64_t fee)
{
    draft_init(d, "capture", currency, rma_id, hold_id, capture_id);
    d->entry.intent_id = intent_id;
    if (capture_id == NULL || !amount_ok(gross) || !part_ok(fee, gross) ||
        draft_key(d, "capture:%s", capture_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_PAYPAL_BALANCE, gross - fee);
    draft_line(d, LEDGER_PAYPAL_FEES, fee);
    draft_line(d, LEDGER_REVENUE_UNRETURNED, -gross);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_refund(struct ledger_draft *d, int64_t rma_id, int64_t hold_id,
                    int64_t intent_id, const char *refund_id,
                    const char *currency, int64_t amount, int64_t fee_returned)
{
    draft_init(d, "refund", currency, rma_id, hold_id, refund_id);
    d->entry.intent_id = intent_id;
    if (refund_id == NULL || !amount_ok(amount) ||
        !part_ok(fee_returned, amount) ||
        draft_key(d, "refund:%s", refund_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_REVENUE_UNRETURNED, amount);
    draft_line(d, LEDGER_PAYPAL_BALANCE, -(amount - fee_returned));
    draft_line(d, LEDGER_PAYPAL_FEES, -fee_returned);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_makeup_payment(struct ledger_draft *d, int64_t rma_id,
                            int64_t makeup_id, const char *transaction_id,
                            const char *currency, int64_t due, int64_t paid,
                            int64_t fee)
{
    draft_init(d, "makeup_payment", currency, rma_id, 0, transaction_id);
    d->entry.makeup_id = makeup_id;
    if (makeup_id <= 0 || transaction_id == NULL || !amount_ok(due) ||
        !amount_ok(paid) || !part_ok(fee, paid) ||
        draft_key(d, "makeup:%s", transaction_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_PAYPAL_BALANCE, paid - fee);
    draft_line(d, LEDGER_PAYPAL_FEES, fee);
    draft_line(d, LEDGER_MAKEUP_INCOME, -(paid < due ? paid : due));
    draft_line(d, LEDGER_MAKEUP_SURPLUS, paid > due ? -(paid - due) : 0);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_sale_refund(struct ledger_draft *d, int64_t rma_id,
                         int64_t intent_id, const char *refund_id,
                         const char *currency, int64_t amount,
                         int64_t fee_returned)
{
    draft_init(d, "sale_refund", currency, rma_id, 0, refund_id);
    d->entry.intent_id = intent_id;
    if (refund_id == NULL || !amount_ok(amount) ||
        !part_ok(fee_returned, amount) ||
        draft_key(d, "sale_refund:%s", refund_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_SALES_REFUNDS, amount);
    draft_line(d, LEDGER_PAYPAL_BALANCE, -(amount - fee_returned));
    draft_line(d, LEDGER_PAYPAL_FEES, -fee_returned);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_refund_payout(struct ledger_draft *d, int64_t rma_id,
                           const char *currency, int64_t amount)
{
    draft_init(d, "refund_payout", currency, rma_id, 0, NULL);
    if (rma_id <= 0 || !amount_ok(amount) ||
        draft_key(d, "refund_payout:%lld", (long long)rma_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_SALES_REFUNDS, amount);
    draft_line(d, LEDGER_REFUND_PAYOUTS, -amount);
    return ledger_check(&d->entry);
}

enum rma_err
ledger_build_exception_resolution(struct ledger_draft *d, int64_t exception_id,
                                  int64_t rma_id, const char *currency,
                                  int64_t amount, bool collected,
                                  const char *counter_account)
{
    draft_init(d, "adjustment", currency, rma_id, 0, NULL);
    if (exception_id <= 0 || !amount_ok(amount) ||
        ledger_account_find(counter_account) == NULL ||
        draft_key(d, "exception:%lld", (long long)exception_id) != RMA_OK)
        return RMA_EINVAL;
    draft_line(d, LEDGER_BANK_OTHER, collected ? amount : -amount);
    draft_line(d, counter_account, collected ? -amount : amount);
    return ledger_check(&d->entry);
}
