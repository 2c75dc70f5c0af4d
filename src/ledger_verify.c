/* ledger_verify.c - `rmactl ledger verify`: every invariant of SPEC §5.6
 * checked on one snapshot of the database (the queries are in db_ledger.c),
 * then each capture and refund entry against PayPal's record.
 *
 * The database refuses most violations on its own (constraints, triggers,
 * privileges); verify finds what slipped past them anyway (an owner who
 * disabled triggers, a restore gone wrong, a bug that wrote a consistent
 * but wrong entry) and what only shows across tables: a hold whose memo
 * balance does not match its state, a capture the ledger and PayPal
 * disagree on. */
#include "rma/ledger_verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/db_ledger.h"
#include "rma/money.h"
#include "rma/paypal.h"

/* A capture or refund entry to compare with PayPal. */
struct paypal_check {
    int64_t entry_id;
    bool is_refund;
    char paypal_id[PAYPAL_ID_MAX];
    char currency[4];
    int64_t amount; /* gross captured, or refunded */
    int64_t fee;    /* fee kept (capture) or returned (refund) */
    int64_t hold_id;
    char authorization_id[PAYPAL_ID_MAX];
    char reauthorization_id[PAYPAL_ID_MAX];
    char capture_id[PAYPAL_ID_MAX]; /* the hold's */
};

struct verify {
    struct ledger_findings *out;
    struct paypal_check *checks; /* owned */
    size_t n_checks, cap_checks;
};

static enum rma_err add(struct ledger_findings *f, const char *check,
                        int64_t entry_id, int64_t hold_id, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum rma_err
add(struct ledger_findings *f, const char *check, int64_t entry_id,
    int64_t hold_id, const char *fmt, ...)
{
    if (f->n >= LEDGER_FINDINGS_MAX) {
        f->omitted++;
        return RMA_OK;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct ledger_finding *p = realloc(f->item, cap * sizeof(*p));
        if (p == NULL)
            return RMA_EINTERNAL;
        f->item = p;
        f->cap = cap;
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    struct ledger_finding *it = &f->item[f->n];
    it->text = strdup(text);
    if (it->text == NULL)
        return RMA_EINTERNAL;
    it->check = check;
    it->entry_id = entry_id;
    it->hold_id = hold_id;
    f->n++;
    return RMA_OK;
}

void
ledger_findings_free(struct ledger_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->item[i].text);
    free(f->item);
    memset(f, 0, sizeof(*f));
}

/* ---- reading columns (NULL is SQL NULL) ---- */

static int64_t
i64(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static bool
flag(const char *s)
{
    return s != NULL && s[0] == 't';
}

static const char *
str(const char *s)
{
    return s ? s : "";
}

/* minor (decimal text, may exceed int64) as an amount of currency with its
 * decimals, "+0.05" when signed; the text itself when it cannot be. */
static const char *
amount_text(const char *currency, const char *minor, bool signed_, char *out,
            size_t n)
{
    int exponent = currency ? money_exponent(currency) : -1;
    char *end;
    errno = 0;
    long long v = minor ? strtoll(minor, &end, 10) : 0;
    if (minor == NULL || errno != 0 || *end != '\0' || exponent < 0) {
        snprintf(out, n, "%s", str(minor));
        return out;
    }
    char text[MONEY_TEXT_MAX];
    money_format_minor((int64_t)v, exponent, text);
    snprintf(out, n, "%s%s", signed_ && v > 0 ? "+" : "", text);
    return out;
}

static const char *
amount_i64(const char *currency, int64_t minor, char *out, size_t n)
{
    char text[24];
    snprintf(text, sizeof(text), "%" PRId64, minor);
    return amount_text(currency, text, false, out, n);
}

/* ---- the checks on the snapshot, one per query ---- */

/* entry id, currency, memo, sum */
static enum rma_err
on_unbalanced(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    char sum[48];
    return add(v->out, "unbalanced", i64(col[0]), 0,
               "unbalanced entry %s (%s%s: %s)", str(col[0]), str(col[1]),
               flag(col[2]) ? " memo" : "",
               amount_text(col[1], col[3], true, sum, sizeof(sum)));
}

/* entry id, postings */
static enum rma_err
on_few_postings(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    return add(v->out, "postings", i64(col[0]), 0,
               "entry %s has %s posting%s (at least 2 needed)", str(col[0]),
               str(col[1]), i64(col[1]) == 1 ? "" : "s");
}

/* posting id, entry id, account, currency, no entry, no account, no
 * currency */
static enum rma_err
on_orphan(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    enum rma_err err = RMA_OK;
    if (flag(col[4]))
        err = add(v->out, "orphan", 0, 0,
                  "orphan posting %s (entry %s does not exist)", str(col[0]),
                  str(col[1]));
    if (err == RMA_OK && flag(col[5]))
        err = add(v->out, "orphan", i64(col[1]), 0,
                  "posting %s of entry %s names unknown account %s",
                  str(col[0]), str(col[1]), str(col[2]));
    if (err == RMA_OK && flag(col[6]))
        err = add(v->out, "orphan", i64(col[1]), 0,
                  "posting %s of entry %s names unknown currency %s",
                  str(col[0]), str(col[1]), str(col[3]));
    return err;
}

/* key, count, entry ids */
static enum rma_err
on_duplicate_key(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    return add(v->out, "key", 0, 0,
               "idempotency key %s used by %s entries (%s)", str(col[0]),
               str(col[1]), str(col[2]));
}

/* entry id, hold id, entry's case, hold's case, hold missing, memo without
 * hold */
static enum rma_err
on_cause(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    int64_t entry = i64(col[0]), hold = i64(col[1]);
    if (flag(col[4]))
        return add(v->out, "cause", entry, hold,
                   "entry %s names hold %s, which does not exist", str(col[0]),
                   str(col[1]));
    if (flag(col[5]))
        return add(v->out, "cause", entry, 0,
                   "entry %s moves a memo account without naming a hold",
                   str(col[0]));
    return add(v->out, "cause", entry, hold,
               "entry %s names case %s but its hold %s belongs to case %s",
               str(col[0]), col[2] ? col[2] : "(none)", str(col[1]),
               str(col[3]));
}

/* hold id, status, currency, expected, balance */
static enum rma_err
on_memo(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    char balance[48], expected[48];
    return add(v->out, "memo", 0, i64(col[0]),
               "hold %s (%s) has memo balance %s %s, expected %s", str(col[0]),
               str(col[1]), str(col[2]),
               amount_text(col[2], col[4], false, balance, sizeof(balance)),
               amount_text(col[2], col[3], false, expected, sizeof(expected)));
}

/* hold id, case number, case status, method */
static enum rma_err
on_stray_hold(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    int64_t hold = i64(col[0]);
    return add(v->out, "business", 0, hold,
               "hold %s is authorized on %s, which is %s (%s): it cannot have "
               "a hold",
               str(col[0]), str(col[1]), str(col[2]),
               col[3] && col[3][0] ? col[3] : "no method");
}

/* hold id, case number, case status, method */
static enum rma_err
on_captured_case(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    int64_t hold = i64(col[0]);
    return add(v->out, "business", 0, hold,
               "hold %s is captured but %s is %s, with no refund of the "
               "capture asked for",
               str(col[0]), str(col[1]), str(col[2]));
}

/* The words of the settlement checks, captures or refunds. */
struct settlement {
    const char *check;  /* capture | refund */
    const char *done;   /* captured | refunded */
    const char *amount; /* gross | amount */
    bool compare_fee;   /* the hold records the fee */
};

static const struct settlement captures = {"capture", "captured", "gross",
                                           true};
static const struct settlement refunds = {"refund", "refunded", "amount",
                                          false};

/* hold id, status, currency, PayPal id, amount, fee, entries, entry ids;
 * of the first entry: PayPal id, currencies, amount, fee */
static enum rma_err
on_settlement(struct verify *v, const struct settlement *w,
              const char *const *col)
{
    int64_t hold = i64(col[0]);
    int64_t entries = i64(col[6]);
    int64_t entry = entries > 0 ? i64(col[7]) : 0;
    if (col[3] == NULL)
        return add(v->out, w->check, entry, hold,
                   "hold %s (%s) was not %s but has %s entr%s %s", str(col[0]),
                   str(col[1]), w->done, w->check, entries == 1 ? "y" : "ies",
                   str(col[7]));
    if (entries == 0)
        return add(v->out, w->check, 0, hold, "%s hold %s has no %s entry",
                   w->done, str(col[0]), w->check);
    if (entries > 1)
        return add(v->out, w->check, entry, hold,
                   "hold %s has %s %s entries (%s)", str(col[0]), str(col[6]),
                   w->check, str(col[7]));
    enum rma_err err = RMA_OK;
    char a[48], b[48];
    if (strcmp(str(col[8]), col[3]) != 0)
        err = add(v->out, w->check, entry, hold,
                  "%s entry %s names %s %s, hold %s names %s", w->check,
                  str(col[7]), w->check, str(col[8]), str(col[0]), col[3]);
    if (err == RMA_OK && strcmp(str(col[9]), str(col[2])) != 0)
        err = add(v->out, w->check, entry, hold,
                  "%s entry %s is in %s, hold %s in %s", w->check, str(col[7]),
                  str(col[9]), str(col[0]), str(col[2]));
    if (err == RMA_OK && (col[4] == NULL || i64(col[10]) != i64(col[4])))
        err = add(v->out, w->check, entry, hold,
                  "%s entry %s %s %s differs from hold %s %s %s", w->check,
                  str(col[7]), w->amount,
                  amount_text(col[2], col[10], false, a, sizeof(a)),
                  str(col[0]), w->check,
                  col[4] ? amount_text(col[2], col[4], false, b, sizeof(b))
                         : "(none)");
    if (err == RMA_OK && w->compare_fee && i64(col[11]) != i64(col[5]))
        err =
            add(v->out, w->check, entry, hold,
                "%s entry %s fee %s differs from hold %s fee %s", w->check,
                str(col[7]), amount_text(col[2], col[11], false, a, sizeof(a)),
                str(col[0]), amount_text(col[2], col[5], false, b, sizeof(b)));
    return err;
}

static enum rma_err
on_capture(void *ctx, const char *const *col, int ncol)
{
    (void)ncol;
    return on_settlement(ctx, &captures, col);
}

static enum rma_err
on_refund(void *ctx, const char *const *col, int ncol)
{
    (void)ncol;
    return on_settlement(ctx, &refunds, col);
}

/* entry id, kind, PayPal id, currency, amount, fee, hold id, authorization,
 * reauthorization, capture: kept for after the snapshot. */
static enum rma_err
on_paypal_row(void *ctx, const char *const *col, int ncol)
{
    struct verify *v = ctx;
    (void)ncol;
    if (v->n_checks == v->cap_checks) {
        size_t cap = v->cap_checks ? v->cap_checks * 2 : 64;
        struct paypal_check *p = realloc(v->checks, cap * sizeof(*p));
        if (p == NULL)
            return RMA_EINTERNAL;
        v->checks = p;
        v->cap_checks = cap;
    }
    struct paypal_check *c = &v->checks[v->n_checks++];
    memset(c, 0, sizeof(*c));
    c->entry_id = i64(col[0]);
    c->is_refund = strcmp(str(col[1]), "refund") == 0;
    snprintf(c->paypal_id, sizeof(c->paypal_id), "%s", str(col[2]));
    snprintf(c->currency, sizeof(c->currency), "%s", str(col[3]));
    c->amount = i64(col[4]);
    c->fee = i64(col[5]);
    c->hold_id = i64(col[6]);
    snprintf(c->authorization_id, sizeof(c->authorization_id), "%s",
             str(col[7]));
    snprintf(c->reauthorization_id, sizeof(c->reauthorization_id), "%s",
             str(col[8]));
    snprintf(c->capture_id, sizeof(c->capture_id), "%s", str(col[9]));
    return RMA_OK;
}

/* Every query and what to do with its rows, in the order findings appear. */
static const struct {
    enum ledger_query q;
    ledger_row_fn fn;
} queries[] = {
    {LEDGER_Q_FEW_POSTINGS, on_few_postings},
    {LEDGER_Q_UNBALANCED, on_unbalanced},
    {LEDGER_Q_ORPHANS, on_orphan},
    {LEDGER_Q_DUPLICATE_KEYS, on_duplicate_key},
    {LEDGER_Q_CAUSES, on_cause},
    {LEDGER_Q_MEMO, on_memo},
    {LEDGER_Q_STRAY_HOLDS, on_stray_hold},
    {LEDGER_Q_CAPTURED_CASES, on_captured_case},
    {LEDGER_Q_CAPTURES, on_capture},
    {LEDGER_Q_REFUNDS, on_refund},
};

/* ---- against PayPal ---- */

/* The ledger's amount against PayPal's: a finding when they differ. */
static enum rma_err
compare_amount(struct verify *v, const struct paypal_check *c, const char *what,
               const char *noun, int64_t ledger, const struct money *paypal)
{
    if (strcmp(paypal->currency, c->currency) == 0 && paypal->minor == ledger)
        return RMA_OK;
    char a[48], b[48];
    return add(v->out, "paypal", c->entry_id, c->hold_id,
               "%s %s of entry %" PRId64 ": ledger %s %s %s, PayPal %s %s",
               what, c->paypal_id, c->entry_id, noun, c->currency,
               amount_i64(c->currency, ledger, a, sizeof(a)), paypal->currency,
               amount_i64(paypal->currency, paypal->minor, b, sizeof(b)));
}

static enum rma_err
fetch_failed(struct verify *v, const struct paypal_check *c, const char *what,
             enum rma_err err)
{
    if (err == RMA_ENOTFOUND)
        return add(v->out, "paypal", c->entry_id, c->hold_id,
                   "%s %s of entry %" PRId64 ": not found at PayPal", what,
                   c->paypal_id, c->entry_id);
    return add(v->out, "paypal", c->entry_id, c->hold_id,
               "%s %s of entry %" PRId64 ": could not be checked at PayPal "
               "(%s)",
               what, c->paypal_id, c->entry_id, rma_err_code(err));
}

static enum rma_err
check_capture(struct verify *v, struct paypal_client *pc,
              const struct paypal_check *c)
{
    struct paypal_capture cap;
    struct paypal_result res;
    enum rma_err err = paypal_capture_get(pc, c->paypal_id, &cap, &res);
    paypal_result_free(&res);
    if (err != RMA_OK)
        return fetch_failed(v, c, "capture", err);
    enum paypal_status st = paypal_status_parse(cap.status);
    if (st != PAYPAL_STATUS_COMPLETED &&
        st != PAYPAL_STATUS_PARTIALLY_REFUNDED && st != PAYPAL_STATUS_REFUNDED)
        err = add(v->out, "paypal", c->entry_id, c->hold_id,
                  "capture %s of entry %" PRId64 " is %s at PayPal",
                  c->paypal_id, c->entry_id, cap.status);
    if (err == RMA_OK)
        err = compare_amount(v, c, "capture", "gross", c->amount, &cap.amount);
    struct money fee = cap.fee;
    if (!cap.has_breakdown) {
        fee.minor = 0;
        memcpy(fee.currency, cap.amount.currency, sizeof(fee.currency));
    }
    if (err == RMA_OK)
        err = compare_amount(v, c, "capture", "fee", c->fee, &fee);
    if (err == RMA_OK && cap.authorization_id[0] != '\0' &&
        strcmp(cap.authorization_id, c->authorization_id) != 0 &&
        strcmp(cap.authorization_id, c->reauthorization_id) != 0)
        err = add(v->out, "paypal", c->entry_id, c->hold_id,
                  "capture %s of entry %" PRId64
                  " belongs to authorization %s at PayPal, not to hold "
                  "%" PRId64,
                  c->paypal_id, c->entry_id, cap.authorization_id, c->hold_id);
    return err;
}

static enum rma_err
check_refund(struct verify *v, struct paypal_client *pc,
             const struct paypal_check *c)
{
    struct paypal_refund ref;
    struct paypal_result res;
    enum rma_err err = paypal_refund_get(pc, c->paypal_id, &ref, &res);
    paypal_result_free(&res);
    if (err != RMA_OK)
        return fetch_failed(v, c, "refund", err);
    if (paypal_status_parse(ref.status) != PAYPAL_STATUS_COMPLETED)
        err = add(v->out, "paypal", c->entry_id, c->hold_id,
                  "refund %s of entry %" PRId64 " is %s at PayPal",
                  c->paypal_id, c->entry_id, ref.status);
    if (err == RMA_OK)
        err = compare_amount(v, c, "refund", "amount", c->amount, &ref.amount);
    struct money fee = ref.fee;
    if (!ref.has_breakdown) {
        fee.minor = 0;
        memcpy(fee.currency, ref.amount.currency, sizeof(fee.currency));
    }
    if (err == RMA_OK)
        err = compare_amount(v, c, "refund", "fee returned", c->fee, &fee);
    if (err == RMA_OK && ref.capture_id[0] != '\0' &&
        strcmp(ref.capture_id, c->capture_id) != 0)
        err = add(v->out, "paypal", c->entry_id, c->hold_id,
                  "refund %s of entry %" PRId64
                  " refunds capture %s at PayPal, not hold %" PRId64
                  "'s capture %s",
                  c->paypal_id, c->entry_id, ref.capture_id, c->hold_id,
                  c->capture_id[0] ? c->capture_id : "(none)");
    return err;
}

enum rma_err
ledger_verify(struct db *db, struct paypal_client *pc,
              struct ledger_findings *out)
{
    struct verify v = {.out = out};
    enum rma_err err = db_ledger_snapshot(db);
    if (err != RMA_OK)
        return err;
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        err = db_ledger_query(db, queries[i].q, queries[i].fn, &v);
        if (err != RMA_OK)
            break;
    }
    if (err == RMA_OK && pc != NULL)
        err = db_ledger_query(db, LEDGER_Q_PAYPAL, on_paypal_row, &v);
    db_rollback(db); /* read only: nothing to keep */
    /* PayPal is asked after the snapshot ends: no transaction stays open
     * during the calls.  One at a time (paypal_batch has no reads). */
    for (size_t i = 0; err == RMA_OK && i < v.n_checks; i++)
        err = v.checks[i].is_refund ? check_refund(&v, pc, &v.checks[i])
                                    : check_capture(&v, pc, &v.checks[i]);
    free(v.checks);
    return err;
}
