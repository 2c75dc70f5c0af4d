/* test_makeup.c - the reconciliation rules of make-up payments without I/O
 * (SPEC §5.5): transaction ids, search windows, the fallback match, every
 * outcome at its boundaries, the retry backoff and the unmatched window. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rma/makeup.h"

#define HOUR 3600L
#define DAY (24 * HOUR)

static const time_t T0 = 1800000000; /* the claim's submission */

static struct makeup_policy
policy(void)
{
    return makeup_policy_default();
}

static struct makeup_claim_facts
claim(void)
{
    struct makeup_claim_facts c = {"5TY05013RG002845M", "USD", 1000,
                                   "ann@example.com", T0};
    return c;
}

/* A completed payment to the vendor of minor units of currency, paid by
 * email, at t. */
static struct makeup_transaction
payment(const char *id, int64_t minor, const char *currency, const char *email,
        time_t t)
{
    struct makeup_transaction tx;
    memset(&tx, 0, sizeof(tx));
    snprintf(tx.transaction_id, sizeof(tx.transaction_id), "%s", id);
    tx.payment = true; /* PayPal's T0000 */
    tx.status = MAKEUP_TX_COMPLETED;
    tx.amount.minor = minor;
    snprintf(tx.amount.currency, sizeof(tx.amount.currency), "%s", currency);
    tx.has_fee = true;
    tx.fee.minor = -(minor * 349 / 10000 + 49);
    snprintf(tx.fee.currency, sizeof(tx.fee.currency), "%s", currency);
    tx.initiated = t;
    snprintf(tx.payer_email, sizeof(tx.payer_email), "%s", email);
    return tx;
}

static struct makeup_decision
decide_by_id(const struct makeup_transaction *tx, bool taken, time_t now)
{
    struct makeup_policy p = policy();
    struct makeup_claim_facts c = claim();
    struct makeup_search s = {
        .searched = true, .refreshed = now, .by_id = tx, .by_id_taken = taken};
    struct makeup_decision d;
    makeup_decide(&p, &c, &s, now, 1, &d);
    return d;
}

Test(makeup, transaction_ids_have_17_letters_and_digits)
{
    char out[MAKEUP_TXN_ID_LEN + 1];
    cr_assert(makeup_transaction_id_normalize("5TY05013RG002845M", out));
    cr_assert_str_eq(out, "5TY05013RG002845M");
    cr_assert(makeup_transaction_id_normalize(" 5ty05013rg002845m\t", out),
              "blanks around and lower case are the customer's typing");
    cr_assert_str_eq(out, "5TY05013RG002845M");
    cr_assert_not(makeup_transaction_id_normalize("5TY05013RG002845", out),
                  "16 characters");
    cr_assert_not(makeup_transaction_id_normalize("5TY05013RG002845MX", out),
                  "18 characters");
    cr_assert_not(makeup_transaction_id_normalize("5TY05013RG00-845M", out));
    cr_assert_not(makeup_transaction_id_normalize("5TY05013RG00 845M", out));
    cr_assert_not(
        makeup_transaction_id_normalize("5TY05013RG002845\xc3\x9c", out));
    cr_assert_not(makeup_transaction_id_normalize("", out));
    cr_assert_not(makeup_transaction_id_normalize(NULL, out));
}

Test(makeup, names_round_trip)
{
    for (int s = 0; s < MAKEUP_STATUS_COUNT; s++)
        cr_assert_eq(makeup_status_parse(makeup_status_name(s)), s);
    cr_assert_eq(makeup_status_parse("paid"), -1);
    cr_assert_str_eq(makeup_method_name(MAKEUP_BY_TRANSACTION_ID),
                     "transaction_id");
    cr_assert_str_eq(makeup_method_name(MAKEUP_BY_AMOUNT_EMAIL_DATE),
                     "fallback_amount_email_date");
    cr_assert_null(makeup_method_name(MAKEUP_BY_NONE));
    cr_assert_null(makeup_exception_kind(MAKEUP_MATCHED));
    cr_assert_null(makeup_exception_kind(MAKEUP_PENDING));
    cr_assert_str_eq(makeup_exception_kind(MAKEUP_UNDERPAID),
                     "makeup_underpaid");
    cr_assert_str_eq(makeup_exception_kind(MAKEUP_OVERPAID), "makeup_overpaid");
    cr_assert_str_eq(makeup_exception_kind(MAKEUP_UNMATCHED),
                     "makeup_unmatched");
    cr_assert_str_eq(makeup_exception_kind(MAKEUP_DUPLICATE),
                     "makeup_duplicate");
}

Test(makeup, the_amount_decides_matched_underpaid_overpaid_at_one_cent)
{
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "ann@example.com", T0 - 60);
    struct makeup_decision d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_MATCHED);
    cr_assert_eq(d.method, MAKEUP_BY_TRANSACTION_ID);
    cr_assert_eq(d.paid, 1000);
    cr_assert_eq(d.fee, 1000 * 349 / 10000 + 49, "the fee's size");
    cr_assert_null(d.reason);
    cr_assert_eq(d.tx, &tx);
    tx.amount.minor = 999;
    d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_UNDERPAID);
    cr_assert_eq(d.paid, 999);
    tx.amount.minor = 1001;
    d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_OVERPAID);
    cr_assert_eq(d.paid, 1001);
}

Test(makeup, a_fee_is_read_by_its_size_and_never_above_the_payment)
{
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "ann@example.com", T0);
    tx.fee.minor = 85; /* written as a credit by someone */
    cr_assert_eq(decide_by_id(&tx, false, T0).fee, 85);
    tx.fee.minor = -5000;
    cr_assert_eq(decide_by_id(&tx, false, T0).fee, 1000);
    tx.has_fee = false;
    cr_assert_eq(decide_by_id(&tx, false, T0).fee, 0);
}

Test(makeup, a_payment_already_claimed_is_a_duplicate)
{
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "a@b.c", T0);
    struct makeup_decision d = decide_by_id(&tx, true, T0);
    cr_assert_eq(d.status, MAKEUP_DUPLICATE);
    cr_assert_str_eq(d.reason, "already_claimed");
    cr_assert_eq(d.tx, &tx, "the transaction found is kept for finance");
}

Test(makeup, only_a_completed_credit_in_the_currency_pays)
{
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "a@b.c", T0);
    tx.status = MAKEUP_TX_REVERSED;
    struct makeup_decision d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "reversed");
    tx.status = MAKEUP_TX_DENIED;
    d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "denied");
    tx.status = MAKEUP_TX_COMPLETED;
    snprintf(tx.amount.currency, sizeof(tx.amount.currency), "EUR");
    d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "wrong_currency");
    tx = payment("SELLER00000000001", -1000, "USD", "a@b.c", T0);
    d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED, "a debit is not a payment to us");
    cr_assert_str_eq(d.reason, "not_a_credit");
    tx = payment("SELLER00000000001", 1000, "USD", "a@b.c", T0);
    tx.payment = false; /* a refund, PayPal's T1107 */
    d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "not_a_credit");
    /* Checked before the duplicate: a refund is never "already claimed". */
    d = decide_by_id(&tx, true, T0);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
}

Test(makeup, a_payment_pending_at_paypal_waits_until_the_window_ends)
{
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "a@b.c", T0);
    tx.status = MAKEUP_TX_PENDING;
    struct makeup_decision d = decide_by_id(&tx, false, T0);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    cr_assert_str_eq(d.reason, "not_completed");
    cr_assert_eq(d.next_attempt, T0 + 15 * 60);
    d = decide_by_id(&tx, false, T0 + 72 * HOUR - 1);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    d = decide_by_id(&tx, false, T0 + 72 * HOUR);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "not_completed");
}

Test(makeup, the_backoff_doubles_from_15_minutes_to_12_hours)
{
    struct makeup_policy p = policy();
    cr_assert_eq(makeup_backoff_s(&p, 1), 15 * 60);
    cr_assert_eq(makeup_backoff_s(&p, 2), 30 * 60);
    cr_assert_eq(makeup_backoff_s(&p, 3), 60 * 60);
    cr_assert_eq(makeup_backoff_s(&p, 6), 8 * HOUR);
    cr_assert_eq(makeup_backoff_s(&p, 7), 12 * HOUR, "capped");
    cr_assert_eq(makeup_backoff_s(&p, 1000), 12 * HOUR);
}

static struct makeup_decision
decide_not_found(time_t now, time_t refreshed, bool searched, int attempts)
{
    struct makeup_policy p = policy();
    struct makeup_claim_facts c = claim();
    struct makeup_search s = {.searched = searched, .refreshed = refreshed};
    struct makeup_decision d;
    makeup_decide(&p, &c, &s, now, attempts, &d);
    return d;
}

Test(makeup, not_found_is_pending_then_unmatched_after_72_hours)
{
    struct makeup_decision d = decide_not_found(T0, T0, true, 1);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    cr_assert_str_eq(d.reason, "not_found");
    cr_assert_eq(d.next_attempt, T0 + 15 * 60);
    d = decide_not_found(T0 + HOUR, T0 + HOUR, true, 3);
    cr_assert_eq(d.next_attempt, T0 + 2 * HOUR);
    /* The last try before the window's end is moved onto it. */
    d = decide_not_found(T0 + 70 * HOUR, T0 + 70 * HOUR, true, 9);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    cr_assert_eq(d.next_attempt, T0 + 72 * HOUR);
    d = decide_not_found(T0 + 72 * HOUR - 1, T0 + 72 * HOUR - 1, true, 10);
    cr_assert_eq(d.status, MAKEUP_PENDING, "one second before the end");
    d = decide_not_found(T0 + 72 * HOUR, T0 + 72 * HOUR, true, 10);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED, "at the end");
    cr_assert_str_eq(d.reason, "not_found");
    cr_assert_null(d.tx);
}

Test(makeup, unmatched_waits_for_paypal_data_that_covers_the_claim)
{
    /* PayPal's data stops an hour before the claim: the payment may be in
     * what it has not published yet. */
    struct makeup_decision d =
        decide_not_found(T0 + 80 * HOUR, T0 - HOUR, true, 10);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    cr_assert_eq(d.next_attempt, T0 + 80 * HOUR + 12 * HOUR);
    d = decide_not_found(T0 + 80 * HOUR, T0, true, 10);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED, "refreshed up to the claim");
    d = decide_not_found(T0 + 80 * HOUR, 0, true, 10);
    cr_assert_eq(d.status, MAKEUP_PENDING, "unknown refresh time");
    /* A reporting feed stuck for twice the window: finance hears of it. */
    d = decide_not_found(T0 + 144 * HOUR - 1, T0 - HOUR, true, 20);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    d = decide_not_found(T0 + 144 * HOUR, T0 - HOUR, true, 20);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
}

Test(makeup, a_failed_search_goes_to_finance_after_the_window)
{
    /* Inside the retry window: retried with the backoff. */
    struct makeup_decision d =
        decide_not_found(T0 + 10 * HOUR, T0 + 10 * HOUR, false, 3);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    cr_assert_str_eq(d.reason, "search_failed");
    /* At the window's end: finance, never pending forever. */
    d = decide_not_found(T0 + 72 * HOUR - 1, T0, false, 30);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    d = decide_not_found(T0 + 72 * HOUR, T0, false, 30);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "search_failed");
}

Test(makeup, the_id_search_covers_31_days_and_the_fallback_the_days_before)
{
    struct makeup_policy p = policy();
    struct makeup_window w;
    makeup_id_window(T0, &w);
    cr_assert_eq(w.end, T0);
    cr_assert_eq(w.end - w.start, 31 * DAY);
    cr_assert(makeup_fallback_window(&p, T0, T0 + HOUR, &w));
    cr_assert_eq(w.start, T0 - 3 * DAY);
    cr_assert_eq(w.end, T0 + HOUR);
    /* Bounded: it does not grow as the claim waits. */
    cr_assert(makeup_fallback_window(&p, T0, T0 + 28 * DAY, &w));
    cr_assert_eq(w.start, T0 - 3 * DAY);
    cr_assert_eq(w.end, T0 + HOUR);
    /* Before the hour after the claim: up to now. */
    cr_assert(makeup_fallback_window(&p, T0, T0 + 60, &w));
    cr_assert_eq(w.end, T0 + 60);
    cr_assert_not(makeup_fallback_window(&p, T0, T0 - 3 * DAY, &w),
                  "an empty window");
}

Test(makeup, a_payment_from_another_payer_goes_to_finance)
{
    struct makeup_policy p = policy();
    struct makeup_claim_facts c = claim();
    struct makeup_transaction tx = payment("SELLER00000000001", 1000, "USD",
                                           "mallory@example.com", T0 - DAY);
    struct makeup_search s = {.searched = true, .by_id = &tx};
    struct makeup_decision d;
    makeup_decide(&p, &c, &s, T0 + HOUR, 1, &d);
    cr_assert_eq(d.status, MAKEUP_UNMATCHED);
    cr_assert_str_eq(d.reason, "payer_differs");
    /* The same payer, whatever the case of the address: matched. */
    snprintf(tx.payer_email, sizeof(tx.payer_email), "%s", "ANN@example.com");
    makeup_decide(&p, &c, &s, T0 + HOUR, 1, &d);
    cr_assert_eq(d.status, MAKEUP_MATCHED);
}

Test(makeup, the_fallback_takes_amount_currency_payer_and_date)
{
    struct makeup_policy p = policy();
    struct makeup_claim_facts c = claim();
    struct makeup_window w;
    cr_assert(makeup_fallback_window(&p, T0, T0 + HOUR, &w));
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "Ann@Example.COM", T0 - DAY);
    cr_assert(makeup_fallback_candidate(&c, &tx, &w),
              "the payer's email in another case");
    tx.amount.minor = 1001;
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w), "one cent more");
    tx.amount.minor = 999;
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w), "one cent less");
    tx.amount.minor = 1000;
    snprintf(tx.amount.currency, sizeof(tx.amount.currency), "CAD");
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w));
    snprintf(tx.amount.currency, sizeof(tx.amount.currency), "USD");
    snprintf(tx.payer_email, sizeof(tx.payer_email), "bob@example.com");
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w));
    snprintf(tx.payer_email, sizeof(tx.payer_email), "ann@example.com");
    tx.initiated = T0 - 3 * DAY;
    cr_assert(makeup_fallback_candidate(&c, &tx, &w), "at the window's start");
    tx.initiated = T0 - 3 * DAY - 1;
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w), "a second before");
    tx.initiated = T0 + HOUR;
    cr_assert(makeup_fallback_candidate(&c, &tx, &w), "up to now");
    tx.initiated = T0 + HOUR + 1;
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w));
    tx.initiated = T0;
    tx.status = MAKEUP_TX_PENDING;
    cr_assert(makeup_fallback_candidate(&c, &tx, &w), "pending at PayPal");
    tx.status = MAKEUP_TX_REVERSED;
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w));
    tx.status = MAKEUP_TX_COMPLETED;
    tx.payment = false; /* a refund, PayPal's T1107 */
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w), "not a payment");
    tx.payment = true; /* a checkout payment, T0006 */
    cr_assert(makeup_fallback_candidate(&c, &tx, &w), "a checkout payment");
    tx.initiated = 0;
    cr_assert_not(makeup_fallback_candidate(&c, &tx, &w), "no date");
}

Test(makeup, the_fallback_picks_the_earliest_free_completed_payment)
{
    struct makeup_transaction tx[4] = {
        payment("SELLER0000000000C", 1000, "USD", "a@b.c", T0 - 10),
        payment("SELLER0000000000A", 1000, "USD", "a@b.c", T0 - 30),
        payment("SELLER0000000000B", 1000, "USD", "a@b.c", T0 - 40),
        payment("SELLER0000000000D", 1000, "USD", "a@b.c", T0 - 50),
    };
    tx[3].status = MAKEUP_TX_PENDING;
    bool taken[4] = {false, false, true, false};
    cr_assert_eq(makeup_fallback_pick(tx, taken, 4), 1,
                 "B is earlier but claimed; D is earlier but pending");
    taken[1] = true;
    cr_assert_eq(makeup_fallback_pick(tx, taken, 4), 0);
    taken[0] = true;
    cr_assert_eq(makeup_fallback_pick(tx, taken, 4), 3, "only D is left");
    taken[3] = true;
    cr_assert_eq(makeup_fallback_pick(tx, taken, 4), -1);
    cr_assert_eq(makeup_fallback_pick(tx, NULL, 0), -1);
}

Test(makeup, a_fallback_match_is_recorded_as_such)
{
    struct makeup_policy p = policy();
    struct makeup_claim_facts c = claim();
    struct makeup_transaction tx =
        payment("SELLER00000000001", 1000, "USD", "ann@example.com", T0);
    struct makeup_search s = {
        .searched = true, .refreshed = T0, .fallback = &tx};
    struct makeup_decision d;
    makeup_decide(&p, &c, &s, T0 + 60, 1, &d);
    cr_assert_eq(d.status, MAKEUP_MATCHED);
    cr_assert_eq(d.method, MAKEUP_BY_AMOUNT_EMAIL_DATE);
    cr_assert_eq(d.tx, &tx);
    tx.status = MAKEUP_TX_PENDING;
    makeup_decide(&p, &c, &s, T0 + 60, 1, &d);
    cr_assert_eq(d.status, MAKEUP_PENDING);
    cr_assert_str_eq(d.reason, "not_completed");
}

Test(makeup, the_claimed_id_wins_over_the_fallback)
{
    struct makeup_policy p = policy();
    struct makeup_claim_facts c = claim();
    struct makeup_transaction by_id =
        payment("SELLER00000000001", 1200, "USD", "ann@example.com", T0);
    struct makeup_transaction other =
        payment("SELLER00000000002", 1000, "USD", "ann@example.com", T0);
    struct makeup_search s = {
        .searched = true, .refreshed = T0, .by_id = &by_id, .fallback = &other};
    struct makeup_decision d;
    makeup_decide(&p, &c, &s, T0, 1, &d);
    cr_assert_eq(d.status, MAKEUP_OVERPAID);
    cr_assert_eq(d.method, MAKEUP_BY_TRANSACTION_ID);
    cr_assert_eq(d.tx, &by_id);
}

Test(makeup, who_may_claim_when)
{
    cr_assert_eq(
        makeup_can_submit(ST_AWAITING_RETURN, 999, false, MAKEUP_PENDING),
        MAKEUP_SUBMIT_OK);
    cr_assert_eq(
        makeup_can_submit(ST_AWAITING_RETURN, 0, false, MAKEUP_PENDING),
        MAKEUP_SUBMIT_NOTHING_DUE);
    cr_assert_eq(makeup_can_submit(ST_CONFIRMED, 1, false, MAKEUP_PENDING),
                 MAKEUP_SUBMIT_OK);
    cr_assert_eq(makeup_can_submit(ST_CHARGED, 1, false, MAKEUP_PENDING),
                 MAKEUP_SUBMIT_OK);
    static const enum rma_status closed[] = {
        ST_DRAFT,     ST_PENDING_REVIEW, ST_PENDING_CONFIRM, ST_REJECTED,
        ST_COMPLETED, ST_CANCELLED,      ST_EXPIRED};
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
        cr_assert_eq(makeup_can_submit(closed[i], 1, false, MAKEUP_PENDING),
                     MAKEUP_SUBMIT_STATE, "%s", rma_status_name(closed[i]));
    cr_assert_eq(makeup_can_submit(ST_RECEIVED, 1, true, MAKEUP_PENDING),
                 MAKEUP_SUBMIT_PENDING);
    cr_assert_eq(makeup_can_submit(ST_RECEIVED, 1, true, MAKEUP_MATCHED),
                 MAKEUP_SUBMIT_PAID);
    cr_assert_eq(makeup_can_submit(ST_RECEIVED, 1, true, MAKEUP_OVERPAID),
                 MAKEUP_SUBMIT_PAID);
    cr_assert_eq(makeup_can_submit(ST_RECEIVED, 1, true, MAKEUP_UNDERPAID),
                 MAKEUP_SUBMIT_PAID);
    cr_assert_eq(makeup_can_submit(ST_RECEIVED, 1, true, MAKEUP_UNMATCHED),
                 MAKEUP_SUBMIT_OK, "another try with the right id");
    cr_assert_eq(makeup_can_submit(ST_RECEIVED, 1, true, MAKEUP_DUPLICATE),
                 MAKEUP_SUBMIT_OK);
}
