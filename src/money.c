/* money.c - exact money arithmetic and decimal conversion. */
#include "rma/money.h"

#include <stdio.h>
#include <string.h>

struct currency {
    const char code[4];
    int exponent;
};

/* The currencies PayPal's REST API accepts, with their exponents (PayPal
 * documents HUF, JPY and TWD as having no decimals). */
static const struct currency currencies[] = {
    {"AUD", 2}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2}, {"CNY", 2},
    {"CZK", 2}, {"DKK", 2}, {"EUR", 2}, {"GBP", 2}, {"HKD", 2},
    {"HUF", 0}, {"ILS", 2}, {"JPY", 0}, {"MXN", 2}, {"MYR", 2},
    {"NOK", 2}, {"NZD", 2}, {"PHP", 2}, {"PLN", 2}, {"RUB", 2},
    {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TWD", 0}, {"USD", 2},
};

int
money_exponent(const char *currency)
{
    if (currency == NULL || strlen(currency) != 3)
        return -1;
    for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
        if (memcmp(currencies[i].code, currency, 3) == 0)
            return currencies[i].exponent;
    return -1;
}

/* v = v * 10 + digit, unless that overflows. */
static int
append_digit(int64_t *v, int digit)
{
    if (*v > (INT64_MAX - digit) / 10)
        return 0;
    *v = *v * 10 + digit;
    return 1;
}

enum rma_err
money_parse_decimal(const char *s, int exponent, int64_t *out)
{
    if (s == NULL || exponent < 0 || exponent > 4)
        return RMA_EINVAL;
    int negative = 0;
    if (*s == '-') {
        negative = 1;
        s++;
    }
    int64_t v = 0;
    int int_digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (!append_digit(&v, *s - '0'))
            return RMA_EINVAL;
        s++;
        int_digits++;
    }
    int frac_digits = 0;
    if (*s == '.') {
        if (exponent == 0)
            return RMA_EINVAL;
        s++;
        while (*s >= '0' && *s <= '9') {
            if (frac_digits == exponent || !append_digit(&v, *s - '0'))
                return RMA_EINVAL;
            s++;
            frac_digits++;
        }
        if (frac_digits == 0)
            return RMA_EINVAL;
    }
    if (*s != '\0' || (int_digits == 0 && frac_digits == 0))
        return RMA_EINVAL;
    for (; frac_digits < exponent; frac_digits++)
        if (!append_digit(&v, 0))
            return RMA_EINVAL;
    *out = negative ? -v : v;
    return RMA_OK;
}

enum rma_err
money_parse(const char *value, const char *currency, struct money *m)
{
    int exp = money_exponent(currency);
    if (exp < 0)
        return RMA_EINVAL;
    int64_t minor;
    enum rma_err err = money_parse_decimal(value, exp, &minor);
    if (err != RMA_OK)
        return err;
    m->minor = minor;
    memcpy(m->currency, currency, 4);
    return RMA_OK;
}

char *
money_format_minor(int64_t minor, int exponent, char *out)
{
    /* Work on the magnitude as unsigned so INT64_MIN is exact. */
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)mag);
    char *p = out;
    if (minor < 0)
        *p++ = '-';
    if (exponent == 0) {
        memcpy(p, digits, (size_t)n + 1);
        return out;
    }
    if (n <= exponent) { /* 0.05: pad the fraction */
        *p++ = '0';
        *p++ = '.';
        for (int i = n; i < exponent; i++)
            *p++ = '0';
        memcpy(p, digits, (size_t)n + 1);
        return out;
    }
    memcpy(p, digits, (size_t)(n - exponent));
    p += n - exponent;
    *p++ = '.';
    memcpy(p, digits + n - exponent, (size_t)exponent + 1);
    return out;
}

char *
money_format(const struct money *m, char *out)
{
    int exp = money_exponent(m->currency);
    if (exp < 0)
        return NULL;
    return money_format_minor(m->minor, exp, out);
}

static bool
in_bounds(int64_t v)
{
    return v >= -MONEY_MAX_MINOR && v <= MONEY_MAX_MINOR;
}

bool
money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t sum;
    if (!in_bounds(a) || !in_bounds(b) || __builtin_add_overflow(a, b, &sum) ||
        !in_bounds(sum))
        return false;
    *out = sum;
    return true;
}

bool
money_mul(int64_t amount, int64_t factor, int64_t *out)
{
    int64_t product;
    if (!in_bounds(amount) ||
        __builtin_mul_overflow(amount, factor, &product) || !in_bounds(product))
        return false;
    *out = product;
    return true;
}

int64_t
money_ratio_half_up(int64_t amount, int64_t numerator, int64_t denominator)
{
    /* 128-bit intermediate: exact for every int64 amount and ratio. */
    __int128 p = (__int128)amount * numerator;
    __int128 q = p / denominator;
    __int128 r = p % denominator;
    if (r < 0)
        r = -r;
    if (2 * r >= (denominator < 0 ? -(__int128)denominator : denominator))
        q += (p < 0) != (denominator < 0) ? -1 : 1;
    return (int64_t)q;
}
