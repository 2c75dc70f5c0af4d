/* test_ledger.c - the ledger without a database: the chart of accounts, the
 * checks of an entry (each limit at and one past it) and the lines every
 * posting rule builds. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rma/ledger.h"

/* A valid capture-like entry whose lines the tests change. */
static struct ledger_line lines[LEDGER_LINES_MAX + 1];
static struct ledger_entry entry;

static void
valid_entry(void)
{
    memset(lines, 0, sizeof(lines));
    lines[0] = (struct ledger_line){LEDGER_PAYPAL_BALANCE, 9621};
    lines[1] = (struct ledger_line){LEDGER_PAYPAL_FEES, 379};
    lines[2] = (struct ledger_line){LEDGER_REVENUE_UNRETURNED, -10000};
    entry = (struct ledger_entry){.key = "capture:CAP1",
                                  .kind = "capture",
                                  .currency = "USD",
                                  .rma_id = 3,
                                  .hold_id = 7,
                                  .paypal_id = "CAP1",
                                  .lines = lines,
                                  .n = 3};
}

/* A string of n copies of c (static; one at a time). */
static const char *
repeat(char c, size_t n)
{
    static char s[1024];
    cr_assert_lt(n, sizeof(s));
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Whether d's lines are exactly want[0..n). */
static void
assert_lines(const struct ledger_draft *d, const struct ledger_line *want,
             size_t n)
{
    cr_assert_eq(d->entry.n, n, "lines: %zu, expected %zu", d->entry.n, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(d->entry.lines[i].account, want[i].account, "line %zu",
                         i);
        cr_assert_eq(d->entry.lines[i].amount_minor, want[i].amount_minor,
                     "line %zu: %lld", i,
                     (long long)d->entry.lines[i].amount_minor);
    }
    cr_assert_eq(ledger_check(&d->entry), RMA_OK);
}

Test(ledger, the_chart_names_every_account_of_the_rules)
{
    size_t n;
    const struct ledger_account *a = ledger_accounts(&n);
    cr_assert_eq(n, 11);
    cr_assert_str_eq(ledger_account_find("revenue:sales_refunds")->kind,
                     "income");
    cr_assert_str_eq(ledger_account_find("bank:refund_payouts")->kind, "asset");
    cr_assert_str_eq(ledger_account_find("holds:authorized")->kind, "memo");
    cr_assert_str_eq(ledger_account_find("holds:contra")->kind, "memo");
    cr_assert_str_eq(ledger_account_find("paypal:balance")->kind, "asset");
    cr_assert_str_eq(ledger_account_find("revenue:unreturned_units")->kind,
                     "income");
    cr_assert_str_eq(ledger_account_find("expense:paypal_fees")->kind,
                     "expense");
    cr_assert_str_eq(ledger_account_find("income:makeup_payments")->kind,
                     "income");
    cr_assert_str_eq(ledger_account_find("liability:makeup_surplus")->kind,
                     "liability");
    cr_assert_null(ledger_account_find("paypal:Balance"));
    cr_assert_null(ledger_account_find("paypal"));
    cr_assert_null(ledger_account_find(NULL));
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ledger_account_find(a[i].code), &a[i]);
}

Test(ledger, a_valid_entry_passes)
{
    valid_entry();
    cr_assert_eq(ledger_check(&entry), RMA_OK);
}

Test(ledger, keys_are_1_to_200_printable_characters)
{
    valid_entry();
    entry.key = repeat('k', LEDGER_KEY_MAX);
    cr_assert_eq(ledger_check(&entry), RMA_OK, "200 characters");
    entry.key = repeat('k', LEDGER_KEY_MAX + 1);
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "201 characters");
    entry.key = "";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL);
    entry.key = NULL;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL);
    entry.key = "capture: CAP1";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "a space");
    entry.key = "capture:\tCAP1";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "a control character");
    entry.key = "capture:\xc3\xa9";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "not ASCII");
    entry.key = "!~";
    cr_assert_eq(ledger_check(&entry), RMA_OK, "the printable range's ends");
}

Test(ledger, two_to_32_lines)
{
    valid_entry();
    entry.n = 1;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "one line");
    entry.n = 0;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "no line");
    entry.lines = NULL;
    entry.n = 2;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "no lines array");

    valid_entry();
    entry.n = 2;
    lines[0] = (struct ledger_line){LEDGER_PAYPAL_BALANCE, 10000};
    lines[1] = (struct ledger_line){LEDGER_REVENUE_UNRETURNED, -10000};
    cr_assert_eq(ledger_check(&entry), RMA_OK, "two lines");

    for (size_t i = 0; i <= LEDGER_LINES_MAX; i++)
        lines[i] = (struct ledger_line){i % 2 ? LEDGER_REVENUE_UNRETURNED
                                              : LEDGER_PAYPAL_BALANCE,
                                        i % 2 ? -1 : 1};
    entry.n = LEDGER_LINES_MAX;
    cr_assert_eq(ledger_check(&entry), RMA_OK, "32 lines");
    lines[LEDGER_LINES_MAX - 1].amount_minor = -2;
    lines[LEDGER_LINES_MAX].amount_minor = 1;
    entry.n = LEDGER_LINES_MAX + 1;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "33 lines");
}

Test(ledger, unknown_accounts_and_zero_amounts_are_refused)
{
    valid_entry();
    lines[0].account = "paypal:savings";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL);
    valid_entry();
    lines[0].account = NULL;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL);
    valid_entry();
    lines[1].amount_minor = 0;
    lines[0].amount_minor = 10000;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "a zero line");
}

Test(ledger, lines_must_sum_to_zero)
{
    valid_entry();
    lines[0].amount_minor += 1;
    cr_assert_eq(ledger_check(&entry), RMA_ERULE, "one minor unit off");
    lines[0].amount_minor -= 2;
    cr_assert_eq(ledger_check(&entry), RMA_ERULE, "one minor unit short");
}

Test(ledger, memo_and_real_accounts_balance_apart)
{
    valid_entry();
    entry.n = 2;
    lines[0] = (struct ledger_line){LEDGER_HOLDS_AUTHORIZED, 500};
    lines[1] = (struct ledger_line){LEDGER_PAYPAL_BALANCE, -500};
    cr_assert_eq(ledger_check(&entry), RMA_ERULE,
                 "a memo leg cannot offset a real one");
    lines[1].account = LEDGER_HOLDS_CONTRA;
    cr_assert_eq(ledger_check(&entry), RMA_OK);
}

Test(ledger, sums_that_overflow_are_refused)
{
    valid_entry();
    entry.n = 4;
    lines[0] = (struct ledger_line){LEDGER_PAYPAL_BALANCE, INT64_MAX};
    lines[1] = (struct ledger_line){LEDGER_PAYPAL_FEES, 2};
    lines[2] = (struct ledger_line){LEDGER_REVENUE_UNRETURNED, INT64_MIN};
    lines[3] = (struct ledger_line){LEDGER_REVENUE_UNRETURNED, -1};
    cr_assert_eq(ledger_check(&entry), RMA_ERULE);
}

Test(ledger, kind_currency_and_cause_are_checked)
{
    valid_entry();
    entry.kind = "payment";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "unknown kind");
    valid_entry();
    entry.currency = "XXX";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "unknown currency");
    valid_entry();
    entry.currency = NULL;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL);
    valid_entry();
    entry.hold_id = 0;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "a capture needs a hold");
    valid_entry();
    entry.paypal_id = NULL;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "and PayPal's id");
    valid_entry();
    entry.rma_id = -1;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "negative id");
    valid_entry();
    entry.kind = "makeup_payment";
    entry.hold_id = 0;
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "a claim is needed");
    entry.makeup_id = 4;
    cr_assert_eq(ledger_check(&entry), RMA_OK);
    valid_entry();
    entry.kind = "adjustment";
    entry.hold_id = 0;
    entry.paypal_id = NULL;
    cr_assert_eq(ledger_check(&entry), RMA_OK, "an adjustment needs no cause");
}

Test(ledger, paypal_ids_and_memos_have_limits)
{
    valid_entry();
    entry.paypal_id = repeat('P', LEDGER_PAYPAL_ID_MAX);
    cr_assert_eq(ledger_check(&entry), RMA_OK, "64 characters");
    entry.paypal_id = repeat('P', LEDGER_PAYPAL_ID_MAX + 1);
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "65 characters");
    valid_entry();
    entry.memo = repeat('m', LEDGER_MEMO_MAX);
    cr_assert_eq(ledger_check(&entry), RMA_OK, "500 bytes");
    entry.memo = repeat('m', LEDGER_MEMO_MAX + 1);
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "501 bytes");
    entry.memo = "";
    cr_assert_eq(ledger_check(&entry), RMA_EINVAL, "empty memo");
}

Test(ledger, a_hold_authorized_debits_the_memo_account)
{
    struct ledger_draft d;
    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 7, "USD", 12999, "AUTH-1"),
                 RMA_OK);
    cr_assert_str_eq(d.entry.key, "hold:7:authorized");
    cr_assert_str_eq(d.entry.kind, "hold_authorized");
    cr_assert_str_eq(d.entry.paypal_id, "AUTH-1");
    cr_assert_eq(d.entry.rma_id, 3);
    cr_assert_eq(d.entry.hold_id, 7);
    const struct ledger_line want[] = {{LEDGER_HOLDS_AUTHORIZED, 12999},
                                       {LEDGER_HOLDS_CONTRA, -12999}};
    assert_lines(&d, want, 2);

    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 7, "USD", 0, "AUTH-1"),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 7, "USD", -1, "AUTH-1"),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 0, "USD", 1, "AUTH-1"),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 7, "USD", 1, NULL),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 7, "usd", 1, "A"),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_hold_authorized(&d, 3, 7, "JPY", 1, "A"), RMA_OK,
                 "one yen");
}

Test(ledger, a_reauthorization_keeps_the_memo_balance)
{
    struct ledger_draft d;
    cr_assert_eq(
        ledger_build_hold_reauthorized(&d, 3, 7, "EUR", 5000, "REAUTH-1"),
        RMA_OK);
    cr_assert_str_eq(d.entry.key, "hold:7:reauthorized");
    cr_assert_str_eq(d.entry.kind, "hold_reauthorized");
    cr_assert_str_eq(d.entry.paypal_id, "REAUTH-1");
    const struct ledger_line want[] = {{LEDGER_HOLDS_AUTHORIZED, -5000},
                                       {LEDGER_HOLDS_CONTRA, 5000},
                                       {LEDGER_HOLDS_AUTHORIZED, 5000},
                                       {LEDGER_HOLDS_CONTRA, -5000}};
    assert_lines(&d, want, 4);
    int64_t memo = 0;
    for (size_t i = 0; i < d.entry.n; i++)
        if (strcmp(d.entry.lines[i].account, LEDGER_HOLDS_AUTHORIZED) == 0)
            memo += d.entry.lines[i].amount_minor;
    cr_assert_eq(memo, 0);
}

Test(ledger, a_release_names_why_in_its_key_and_kind)
{
    static const char *const whys[] = {"voided", "expired", "captured",
                                       "failed"};
    for (size_t i = 0; i < 4; i++) {
        struct ledger_draft d;
        cr_assert_eq(ledger_build_hold_released(&d, 3, 7, "USD", 12999, whys[i],
                                                "AUTH-1"),
                     RMA_OK);
        char key[64], kind[32];
        snprintf(key, sizeof(key), "hold:7:%s", whys[i]);
        snprintf(kind, sizeof(kind), "hold_%s", whys[i]);
        cr_assert_str_eq(d.entry.key, key);
        cr_assert_str_eq(d.entry.kind, kind);
        const struct ledger_line want[] = {{LEDGER_HOLDS_AUTHORIZED, -12999},
                                           {LEDGER_HOLDS_CONTRA, 12999}};
        assert_lines(&d, want, 2);
    }
    struct ledger_draft d;
    cr_assert_eq(
        ledger_build_hold_released(&d, 3, 7, "USD", 12999, "VOIDED", NULL),
        RMA_EINVAL);
    cr_assert_eq(
        ledger_build_hold_released(&d, 3, 7, "USD", 12999, "authorized", NULL),
        RMA_EINVAL);
    cr_assert_eq(ledger_build_hold_released(&d, 3, 7, "USD", 12999, NULL, NULL),
                 RMA_EINVAL);
    cr_assert_eq(
        ledger_build_hold_released(&d, 3, 7, "USD", 12999, "voided", NULL),
        RMA_OK, "the PayPal id is optional");
    cr_assert_null(d.entry.paypal_id);
}

Test(ledger, a_capture_books_gross_fee_and_net)
{
    struct ledger_draft d;
    cr_assert_eq(ledger_build_capture(&d, 3, 7, 11, "CAP-1", "USD", 10000, 379),
                 RMA_OK);
    cr_assert_str_eq(d.entry.key, "capture:CAP-1");
    cr_assert_str_eq(d.entry.kind, "capture");
    cr_assert_eq(d.entry.intent_id, 11);
    const struct ledger_line want[] = {{LEDGER_PAYPAL_BALANCE, 9621},
                                       {LEDGER_PAYPAL_FEES, 379},
                                       {LEDGER_REVENUE_UNRETURNED, -10000}};
    assert_lines(&d, want, 3);
}

Test(ledger, a_capture_fee_of_zero_or_all_of_it_leaves_out_the_empty_line)
{
    struct ledger_draft d;
    cr_assert_eq(ledger_build_capture(&d, 3, 7, 0, "CAP-1", "USD", 10000, 0),
                 RMA_OK);
    const struct ledger_line no_fee[] = {{LEDGER_PAYPAL_BALANCE, 10000},
                                         {LEDGER_REVENUE_UNRETURNED, -10000}};
    assert_lines(&d, no_fee, 2);
    cr_assert_eq(
        ledger_build_capture(&d, 3, 7, 0, "CAP-1", "USD", 10000, 10000),
        RMA_OK);
    const struct ledger_line all_fee[] = {{LEDGER_PAYPAL_FEES, 10000},
                                          {LEDGER_REVENUE_UNRETURNED, -10000}};
    assert_lines(&d, all_fee, 2);
    cr_assert_eq(
        ledger_build_capture(&d, 3, 7, 0, "CAP-1", "USD", 10000, 10001),
        RMA_EINVAL, "a fee above the gross");
    cr_assert_eq(ledger_build_capture(&d, 3, 7, 0, "CAP-1", "USD", 10000, -1),
                 RMA_EINVAL, "a negative fee");
    cr_assert_eq(ledger_build_capture(&d, 3, 7, 0, "CAP-1", "USD", 0, 0),
                 RMA_EINVAL, "nothing captured");
    cr_assert_eq(ledger_build_capture(&d, 3, 7, 0, NULL, "USD", 1, 0),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_capture(&d, 3, 0, 0, "CAP-1", "USD", 1, 0),
                 RMA_EINVAL, "no hold");
}

Test(ledger, paypal_ids_in_keys_have_paypals_limit)
{
    struct ledger_draft d;
    cr_assert_eq(
        ledger_build_capture(&d, 3, 7, 0, repeat('C', 64), "USD", 10000, 0),
        RMA_OK);
    cr_assert_eq(strlen(d.entry.key), strlen("capture:") + 64);
    cr_assert_eq(
        ledger_build_capture(&d, 3, 7, 0, repeat('C', 65), "USD", 10000, 0),
        RMA_EINVAL);
    cr_assert_eq(ledger_build_capture(&d, 3, 7, 0, "CAP 1", "USD", 10000, 0),
                 RMA_EINVAL, "a space");
}

Test(ledger, a_refund_gives_back_revenue_less_the_fee_returned)
{
    struct ledger_draft d;
    cr_assert_eq(ledger_build_refund(&d, 3, 7, 12, "REF-1", "USD", 4000, 152),
                 RMA_OK);
    cr_assert_str_eq(d.entry.key, "refund:REF-1");
    cr_assert_str_eq(d.entry.kind, "refund");
    cr_assert_str_eq(d.entry.paypal_id, "REF-1");
    const struct ledger_line want[] = {{LEDGER_REVENUE_UNRETURNED, 4000},
                                       {LEDGER_PAYPAL_BALANCE, -3848},
                                       {LEDGER_PAYPAL_FEES, -152}};
    assert_lines(&d, want, 3);

    cr_assert_eq(ledger_build_refund(&d, 3, 7, 12, "REF-1", "USD", 4000, 0),
                 RMA_OK);
    const struct ledger_line no_fee[] = {{LEDGER_REVENUE_UNRETURNED, 4000},
                                         {LEDGER_PAYPAL_BALANCE, -4000}};
    assert_lines(&d, no_fee, 2);
    cr_assert_eq(ledger_build_refund(&d, 3, 7, 12, "REF-1", "USD", 4000, 4000),
                 RMA_OK);
    cr_assert_eq(d.entry.n, 2);
    cr_assert_eq(ledger_build_refund(&d, 3, 7, 12, "REF-1", "USD", 4000, 4001),
                 RMA_EINVAL);
    cr_assert_eq(ledger_build_refund(&d, 3, 7, 12, "REF-1", "USD", 0, 0),
                 RMA_EINVAL);
}

Test(ledger, a_makeup_payment_splits_income_and_surplus)
{
    struct ledger_draft d;
    /* Paid exactly what was due. */
    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 5, "TX-1", "USD", 1500, 1500, 74),
        RMA_OK);
    cr_assert_str_eq(d.entry.key, "makeup:TX-1");
    cr_assert_str_eq(d.entry.kind, "makeup_payment");
    cr_assert_eq(d.entry.makeup_id, 5);
    cr_assert_eq(d.entry.hold_id, 0);
    const struct ledger_line exact[] = {{LEDGER_PAYPAL_BALANCE, 1426},
                                        {LEDGER_PAYPAL_FEES, 74},
                                        {LEDGER_MAKEUP_INCOME, -1500}};
    assert_lines(&d, exact, 3);

    /* One cent more: the cent is owed back. */
    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 5, "TX-2", "USD", 1500, 1501, 74),
        RMA_OK);
    const struct ledger_line over[] = {{LEDGER_PAYPAL_BALANCE, 1427},
                                       {LEDGER_PAYPAL_FEES, 74},
                                       {LEDGER_MAKEUP_INCOME, -1500},
                                       {LEDGER_MAKEUP_SURPLUS, -1}};
    assert_lines(&d, over, 4);

    /* Underpaid: what came in is income. */
    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 5, "TX-3", "USD", 1500, 1000, 0),
        RMA_OK);
    const struct ledger_line under[] = {{LEDGER_PAYPAL_BALANCE, 1000},
                                        {LEDGER_MAKEUP_INCOME, -1000}};
    assert_lines(&d, under, 2);

    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 0, "TX-1", "USD", 1500, 1500, 0),
        RMA_EINVAL, "no claim");
    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 5, "TX-1", "USD", 1500, 1500, 1501),
        RMA_EINVAL, "fee above the payment");
    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 5, "TX-1", "USD", 0, 1500, 0),
        RMA_EINVAL, "nothing due");
    cr_assert_eq(
        ledger_build_makeup_payment(&d, 3, 5, NULL, "USD", 1500, 1500, 0),
        RMA_EINVAL);
}
