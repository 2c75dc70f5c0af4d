/* test_money.c - exact amounts and PayPal's decimal strings. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "rma/money.h"

Test(money, exponents_come_from_the_table)
{
    cr_assert_eq(money_exponent("USD"), 2);
    cr_assert_eq(money_exponent("EUR"), 2);
    cr_assert_eq(money_exponent("JPY"), 0);
    cr_assert_eq(money_exponent("HUF"), 0);
    cr_assert_eq(money_exponent("TWD"), 0);
    cr_assert_eq(money_exponent("XXX"), -1);
    cr_assert_eq(money_exponent("usd"), -1);
    cr_assert_eq(money_exponent("US"), -1);
    cr_assert_eq(money_exponent(NULL), -1);
}

Test(money, parses_decimal_strings_exactly)
{
    int64_t v;
    cr_assert_eq(money_parse_decimal("12.34", 2, &v), RMA_OK);
    cr_assert_eq(v, 1234);
    cr_assert_eq(money_parse_decimal("129.99", 2, &v), RMA_OK);
    cr_assert_eq(v, 12999);
    cr_assert_eq(money_parse_decimal("12.5", 2, &v), RMA_OK);
    cr_assert_eq(v, 1250);
    cr_assert_eq(money_parse_decimal("-12.50", 2, &v), RMA_OK);
    cr_assert_eq(v, -1250);
    cr_assert_eq(money_parse_decimal(".5", 2, &v), RMA_OK);
    cr_assert_eq(v, 50);
    cr_assert_eq(money_parse_decimal("1500", 0, &v), RMA_OK);
    cr_assert_eq(v, 1500);
    cr_assert_eq(money_parse_decimal("0", 2, &v), RMA_OK);
    cr_assert_eq(v, 0);
}

Test(money, refuses_what_is_not_an_exact_amount)
{
    int64_t v = 42;
    const char *bad2[] = {
        "",   "-",  ".",    "1.",   "1.234", "+1",    "1e3",
        " 1", "1 ", "1,00", "0x10", "--1",   "1.2.3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad2) / sizeof(bad2[0]); i++)
        cr_assert_eq(money_parse_decimal(bad2[i], 2, &v), RMA_EINVAL, "%s",
                     bad2[i]);
    cr_assert_eq(money_parse_decimal("1500.0", 0, &v), RMA_EINVAL,
                 "a JPY decimal is refused");
    cr_assert_eq(money_parse_decimal("1500.5", 0, &v), RMA_EINVAL);
    cr_assert_eq(v, 42, "nothing written on failure");
}

Test(money, refuses_overflow_at_the_int64_boundary)
{
    int64_t v;
    cr_assert_eq(money_parse_decimal("92233720368547758.07", 2, &v), RMA_OK);
    cr_assert_eq(v, INT64_MAX);
    cr_assert_eq(money_parse_decimal("92233720368547758.08", 2, &v),
                 RMA_EINVAL);
    cr_assert_eq(money_parse_decimal("9223372036854775807", 0, &v), RMA_OK);
    cr_assert_eq(money_parse_decimal("9223372036854775808", 0, &v), RMA_EINVAL);
}

Test(money, formats_with_the_currency_exponent)
{
    char out[MONEY_TEXT_MAX];
    cr_assert_str_eq(money_format_minor(1234, 2, out), "12.34");
    cr_assert_str_eq(money_format_minor(9999, 2, out), "99.99");
    cr_assert_str_eq(money_format_minor(-1250, 2, out), "-12.50");
    cr_assert_str_eq(money_format_minor(5, 2, out), "0.05");
    cr_assert_str_eq(money_format_minor(-5, 2, out), "-0.05");
    cr_assert_str_eq(money_format_minor(0, 2, out), "0.00");
    cr_assert_str_eq(money_format_minor(1500, 0, out), "1500");
    cr_assert_str_eq(money_format_minor(INT64_MIN, 2, out),
                     "-92233720368547758.08");
    struct money m = {1500, "JPY"};
    cr_assert_str_eq(money_format(&m, out), "1500");
    struct money u = {1, "XXX"};
    cr_assert_null(money_format(&u, out));
}

Test(money, parse_and_format_round_trip)
{
    const char *values[] = {"0.01", "12.34", "-0.99", "100000.00"};
    for (size_t i = 0; i < 4; i++) {
        struct money m;
        char out[MONEY_TEXT_MAX];
        cr_assert_eq(money_parse(values[i], "USD", &m), RMA_OK);
        cr_assert_str_eq(money_format(&m, out), values[i]);
    }
    struct money m;
    cr_assert_eq(money_parse("1", "ZZZ", &m), RMA_EINVAL);
}

Test(money, ratio_rounds_half_up_on_minor_units)
{
    /* 25% of 99.99 USD = 24.9975 -> 25.00 */
    cr_assert_eq(money_ratio_half_up(9999, 25, 100), 2500);
    /* 25% of 99.98 = 24.995 -> 25.00 (half up) */
    cr_assert_eq(money_ratio_half_up(9998, 25, 100), 2500);
    /* 25% of 99.97 = 24.9925 -> 24.99 */
    cr_assert_eq(money_ratio_half_up(9997, 25, 100), 2499);
    /* JPY: 25% of 1999 = 499.75 -> 500 */
    cr_assert_eq(money_ratio_half_up(1999, 25, 100), 500);
    /* symmetric for negatives */
    cr_assert_eq(money_ratio_half_up(-9998, 25, 100), -2500);
    cr_assert_eq(money_ratio_half_up(INT64_MAX, 1, 1), INT64_MAX);
}

/* Every sum and product of amounts is checked against MONEY_MAX_MINOR
 * (10^12): a unit price near 2^63 times a quantity once overflowed. */
Test(money, sums_and_products_stop_at_ten_to_the_twelve)
{
    int64_t v = -1;
    cr_assert(money_add(MONEY_MAX_MINOR - 1, 1, &v));
    cr_assert_eq(v, MONEY_MAX_MINOR, "exactly the bound");
    cr_assert_not(money_add(MONEY_MAX_MINOR, 1, &v), "one past");
    cr_assert_eq(v, MONEY_MAX_MINOR, "untouched on refusal");
    cr_assert_not(money_add(INT64_MAX, 1, &v));
    cr_assert_not(money_add(INT64_MIN, -1, &v));
    cr_assert(money_add(-MONEY_MAX_MINOR, 0, &v));
    cr_assert_not(money_add(-MONEY_MAX_MINOR, -1, &v));
    cr_assert(money_mul(500000000000, 2, &v));
    cr_assert_eq(v, MONEY_MAX_MINOR);
    cr_assert_not(money_mul(500000000001, 2, &v));
    cr_assert_not(money_mul(INT64_MAX, 2, &v), "2^63 - 1 is out already");
    cr_assert_not(money_mul(922337203685477580, 1000, &v));
    cr_assert_not(money_mul(1, INT64_MIN, &v));
    cr_assert(money_mul(0, INT64_MAX, &v));
    cr_assert_eq(v, 0);
}
