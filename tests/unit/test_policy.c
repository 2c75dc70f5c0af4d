/* test_policy.c - refund, repair-quote and validity rules (policy.c). */
#include <criterion/criterion.h>

#include "rma/policy.h"

static const struct policy_line camera = {
    .product_line = "camera",
    .refund_window_days = 30,
    .restocking_fee_bp = 2500,
    .decline_fee_bp = 1000,
    .validity_days = 90,
};

static time_t
date(const char *s)
{
    time_t t = 0;
    cr_assert_eq(policy_parse_date(s, &t), RMA_OK, "%s", s);
    return t;
}

Test(policy, restocking_fee_of_99_99_usd_is_25_00_half_up)
{
    /* 9999 * 25% = 2499.75 -> 2500 */
    cr_assert_eq(policy_restocking_fee(&camera, 9999), 2500);
}

Test(policy, restocking_fee_of_1500_jpy_is_375)
{
    cr_assert_eq(policy_restocking_fee(&camera, 1500), 375);
}

Test(policy, restocking_fee_rounds_odd_amounts_half_up)
{
    cr_assert_eq(policy_restocking_fee(&camera, 1), 0);        /* 0.25 -> 0 */
    cr_assert_eq(policy_restocking_fee(&camera, 2), 1);        /* 0.5 -> 1 */
    cr_assert_eq(policy_restocking_fee(&camera, 3), 1);        /* 0.75 -> 1 */
    cr_assert_eq(policy_restocking_fee(&camera, 5), 1);        /* 1.25 -> 1 */
    cr_assert_eq(policy_restocking_fee(&camera, 6), 2);        /* 1.5 -> 2 */
    cr_assert_eq(policy_restocking_fee(&camera, 12999), 3250); /* 3249.75 */
    cr_assert_eq(policy_restocking_fee(&camera, 12998), 3250); /* 3249.5 */
    cr_assert_eq(policy_restocking_fee(&camera, 12997), 3249); /* 3249.25 */
    cr_assert_eq(policy_restocking_fee(&camera, 0), 0);
    struct policy_line odd = camera;
    odd.restocking_fee_bp = 1250;                          /* 12.5% */
    cr_assert_eq(policy_restocking_fee(&odd, 9999), 1250); /* 1249.875 */
    cr_assert_eq(policy_restocking_fee(&odd, 1500), 188);  /* 187.5 */
}

Test(policy, refund_is_price_minus_fee_and_they_add_up)
{
    struct policy_refund r;
    policy_refund(&camera, 9999, date("2026-06-01"), date("2026-06-10"), &r);
    cr_assert(r.allowed);
    cr_assert_eq(r.days, 9);
    cr_assert_eq(r.fee, 2500);
    cr_assert_eq(r.amount, 7499);
    cr_assert_eq(r.fee + r.amount, r.price);
}

Test(policy, refund_window_day_30_allowed_day_31_refused)
{
    struct policy_refund r;
    time_t bought = date("2026-06-01");
    /* 2026-07-01 is day 30, even at its last second. */
    policy_refund(&camera, 12999, bought, date("2026-07-01") + 86399, &r);
    cr_assert(r.allowed);
    cr_assert_eq(r.days, 30);
    cr_assert_eq(r.amount, 12999 - 3250);
    /* 2026-07-02 00:00:00 is day 31. */
    policy_refund(&camera, 12999, bought, date("2026-07-02"), &r);
    cr_assert_not(r.allowed);
    cr_assert_eq(r.days, 31);
    cr_assert_eq(r.fee, 0);
    cr_assert_eq(r.amount, 0);
}

Test(policy, refund_on_the_day_of_purchase)
{
    struct policy_refund r;
    policy_refund(&camera, 1500, date("2026-06-01"), date("2026-06-01") + 5,
                  &r);
    cr_assert(r.allowed);
    cr_assert_eq(r.days, 0);
    cr_assert_eq(r.fee, 375);
    cr_assert_eq(r.amount, 1125);
}

Test(policy, dates_are_checked)
{
    time_t t;
    cr_assert_eq(policy_parse_date("2025-02-30", &t), RMA_EINVAL);
    cr_assert_eq(policy_parse_date("2026-13-01", &t), RMA_EINVAL);
    cr_assert_eq(policy_parse_date("2026-06-01x", &t), RMA_EINVAL);
    cr_assert_eq(policy_parse_date(NULL, &t), RMA_EINVAL);
    cr_assert_eq(policy_parse_date("2024-02-29", &t), RMA_OK);
    cr_assert_eq(policy_days_since(date("2024-02-28"), date("2024-03-01")), 2);
}

Test(policy, quote_basis)
{
    cr_assert_eq(policy_quote_basis(true, NULL), QUOTE_NONE);
    cr_assert_eq(policy_quote_basis(true, "as_described"), QUOTE_NONE);
    cr_assert_eq(policy_quote_basis(true, "not_faulty"), QUOTE_NONE);
    cr_assert_eq(policy_quote_basis(false, NULL), QUOTE_OUT_OF_WARRANTY);
    cr_assert_eq(policy_quote_basis(true, "out_of_warranty"),
                 QUOTE_OUT_OF_WARRANTY);
    /* Packaging damage is charged in or out of warranty. */
    cr_assert_eq(policy_quote_basis(true, "damaged_in_transit"),
                 QUOTE_PACKAGING_DAMAGE);
    cr_assert_eq(policy_quote_basis(false, "damaged_in_transit"),
                 QUOTE_PACKAGING_DAMAGE);
    cr_assert_str_eq(policy_quote_basis_name(QUOTE_PACKAGING_DAMAGE),
                     "packaging_damage");
}

Test(policy, decline_fee_is_a_share_of_the_quote)
{
    cr_assert_eq(policy_decline_fee(&camera, 8000), 800);
    cr_assert_eq(policy_decline_fee(&camera, 8005), 801); /* 800.5 */
    cr_assert_eq(policy_decline_fee(&camera, 8004), 800); /* 800.4 */
    struct policy_line none = camera;
    none.decline_fee_bp = 0;
    cr_assert_eq(policy_decline_fee(&none, 8000), 0);
}

Test(policy, validity_exactly_90_days_valid_one_second_more_expired)
{
    time_t approved = date("2026-06-01") + 3600;
    time_t until = policy_valid_until(&camera, approved, 0);
    cr_assert_eq(until - approved, 90 * 86400);
    cr_assert_not(policy_expired(until, approved + 90 * 86400));
    cr_assert(policy_expired(until, approved + 90 * 86400 + 1));
}

Test(policy, validity_extension_moves_the_end)
{
    time_t approved = date("2026-06-01");
    time_t until = policy_valid_until(&camera, approved, 14);
    cr_assert_eq(until - approved, 104 * 86400);
    cr_assert_not(policy_expired(until, approved + 104 * 86400));
    cr_assert(policy_expired(until, approved + 104 * 86400 + 1));
}

Test(policy, percent_text)
{
    char b[16];
    cr_assert_str_eq(policy_percent_text(2500, b), "25");
    cr_assert_str_eq(policy_percent_text(1250, b), "12.5");
    cr_assert_str_eq(policy_percent_text(1005, b), "10.05");
    cr_assert_str_eq(policy_percent_text(0, b), "0");
}
