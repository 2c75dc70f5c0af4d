/* fuzz_money.c - libFuzzer target: money parsing and formatting
 * (include/rma/money.h) and PayPal's money strings (paypal_money_parse).
 *
 * Input: "value\ncurrency\namount numerator denominator\n" (any line may be
 * missing or garbage).
 *
 * Invariants: money_parse_decimal accepts exactly the grammar of money.h
 * (checked against an independent reference parser with 128-bit
 * arithmetic); format(parse(x)) re-parses to the same amount and is a fixed
 * point; parse(format(m)) == m for every amount above INT64_MIN; money_parse
 * and paypal_money_parse agree with the currency table; money_ratio_half_up
 * is the nearest integer, ties away from zero. */
#include <ctype.h>
#include <errno.h>

#include "fuzz.h"
#include "rma/money.h"
#include "rma/paypal.h"

/* The grammar of money.h: -?D*(.D{1,e})? with at least one digit, no '.'
 * when e == 0, and a result that fits in int64. */
static int
reference_parse(const char *s, int e, int64_t *out)
{
    __int128 v = 0;
    int negative = 0, ndigits = 0, nfrac = 0;
    if (*s == '-') {
        negative = 1;
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++, ndigits++) {
        v = v * 10 + (*s - '0');
        if (v > INT64_MAX)
            return 0;
    }
    if (*s == '.') {
        if (e == 0)
            return 0;
        for (s++; *s >= '0' && *s <= '9'; s++, nfrac++) {
            if (nfrac == e)
                return 0;
            v = v * 10 + (*s - '0');
            if (v > INT64_MAX)
                return 0;
        }
        if (nfrac == 0)
            return 0;
    }
    if (*s != '\0' || ndigits + nfrac == 0)
        return 0;
    for (; nfrac < e; nfrac++) {
        v *= 10;
        if (v > INT64_MAX)
            return 0;
    }
    *out = (int64_t)(negative ? -v : v);
    return 1;
}

/* What money_format_minor must write: -?D+(.D{e})?, no leading zeros. */
static void
check_format(const char *text, int64_t minor, int e)
{
    size_t n = strlen(text);
    FUZZ_ASSERT(n > 0 && n < MONEY_TEXT_MAX);
    const char *p = text;
    if (*p == '-') {
        FUZZ_ASSERT(minor < 0);
        p++;
    } else {
        FUZZ_ASSERT(minor >= 0);
    }
    size_t int_digits = strspn(p, "0123456789");
    FUZZ_ASSERT(int_digits > 0);
    FUZZ_ASSERT(int_digits == 1 || p[0] != '0');
    p += int_digits;
    if (e == 0) {
        FUZZ_ASSERT(*p == '\0');
        return;
    }
    FUZZ_ASSERT(*p == '.');
    FUZZ_ASSERT(strspn(p + 1, "0123456789") == (size_t)e);
    FUZZ_ASSERT(p[1 + e] == '\0');
}

static void
check_round_trip(int64_t minor, int e)
{
    char text[MONEY_TEXT_MAX];
    FUZZ_ASSERT(money_format_minor(minor, e, text) == text);
    check_format(text, minor, e);
    if (minor == INT64_MIN)
        return; /* formatted, but its magnitude does not parse (int64) */
    int64_t back = 0;
    FUZZ_ASSERT(money_parse_decimal(text, e, &back) == RMA_OK);
    FUZZ_ASSERT(back == minor);
}

static void
check_decimal(const char *value)
{
    for (int e = 0; e <= 4; e++) {
        int64_t got = 0, want = 0;
        enum rma_err err = money_parse_decimal(value, e, &got);
        int ok = reference_parse(value, e, &want);
        FUZZ_ASSERT((err == RMA_OK) == (ok == 1));
        if (err != RMA_OK) {
            FUZZ_ASSERT(err == RMA_EINVAL);
            continue;
        }
        FUZZ_ASSERT(got == want);
        /* format(parse(x)) is canonical: it parses back to the same
         * amount and formats to itself. */
        char text[MONEY_TEXT_MAX], again[MONEY_TEXT_MAX];
        money_format_minor(got, e, text);
        int64_t back = 0;
        FUZZ_ASSERT(money_parse_decimal(text, e, &back) == RMA_OK);
        FUZZ_ASSERT(back == got);
        money_format_minor(back, e, again);
        FUZZ_ASSERT(strcmp(text, again) == 0);
    }
    FUZZ_ASSERT(money_parse_decimal(value, 5, &(int64_t){0}) == RMA_EINVAL);
    FUZZ_ASSERT(money_parse_decimal(value, -1, &(int64_t){0}) == RMA_EINVAL);
}

static void
check_currency(const char *value, const char *currency)
{
    struct money m, p;
    memset(&m, 0, sizeof(m));
    memset(&p, 0, sizeof(p));
    int e = money_exponent(currency);
    FUZZ_ASSERT(e == -1 || e == 0 || e == 2);
    if (e >= 0) {
        FUZZ_ASSERT(strlen(currency) == 3);
        for (int i = 0; i < 3; i++)
            FUZZ_ASSERT(isupper((unsigned char)currency[i]));
    }
    enum rma_err err = money_parse(value, currency, &m);
    enum rma_err perr = paypal_money_parse(value, currency, &p);
    FUZZ_ASSERT(err == perr);
    int64_t want = 0;
    FUZZ_ASSERT((err == RMA_OK) ==
                (e >= 0 && reference_parse(value, e, &want)));
    if (err != RMA_OK)
        return;
    FUZZ_ASSERT(m.minor == want && p.minor == want);
    FUZZ_ASSERT(strcmp(m.currency, currency) == 0);
    FUZZ_ASSERT(memcmp(&m, &p, sizeof(m)) == 0);
    char text[MONEY_TEXT_MAX], ptext[MONEY_TEXT_MAX];
    FUZZ_ASSERT(money_format(&m, text) == text);
    FUZZ_ASSERT(paypal_money_value(&m, ptext) == RMA_OK);
    FUZZ_ASSERT(strcmp(text, ptext) == 0);
    struct money back;
    FUZZ_ASSERT(money_parse(text, currency, &back) == RMA_OK);
    FUZZ_ASSERT(back.minor == m.minor);
}

/* q must be amount * num / den rounded to nearest, ties away from zero. */
static void
check_ratio(int64_t amount, int64_t num, int64_t den)
{
    if (den == 0 || amount >= ((int64_t)1 << 62) ||
        amount <= -((int64_t)1 << 62) || num == INT64_MIN || den == INT64_MIN ||
        (num < 0 ? -num : num) > (den < 0 ? -den : den))
        return; /* outside the documented domain */
    int64_t q = money_ratio_half_up(amount, num, den);
    __int128 p = (__int128)amount * num;
    __int128 d = den < 0 ? -(__int128)den : (__int128)den;
    __int128 diff = (__int128)q * den - p; /* den * (q - exact) */
    __int128 adiff = diff < 0 ? -diff : diff;
    FUZZ_ASSERT(2 * adiff <= d);
    if (2 * adiff == d) { /* a tie: away from zero */
        __int128 qd = (__int128)q * den;
        FUZZ_ASSERT((qd < 0 ? -qd : qd) > (p < 0 ? -p : p));
    }
}

static int64_t
number(const char **s)
{
    char *end;
    errno = 0;
    long long v = strtoll(*s, &end, 10);
    if (end == *s) {
        *s += strlen(*s);
        return 0;
    }
    *s = end;
    return (int64_t)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_take_line(&data, &size);
    char *currency = fuzz_take_line(&data, &size);
    char *numbers = fuzz_take_line(&data, &size);

    check_decimal(value);
    check_currency(value, currency);

    const char *s = numbers;
    int64_t amount = number(&s), num = number(&s), den = number(&s);
    for (int e = 0; e <= 4; e++) {
        check_round_trip(amount, e);
        check_round_trip(num, e);
        check_round_trip(den, e);
    }
    check_ratio(amount, num, den);

    free(value);
    free(currency);
    free(numbers);
    return 0;
}
