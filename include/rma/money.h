/* money.h - exact amounts: integer minor units plus an ISO 4217 code.
 *
 * Never a float.  A currency's exponent (digits after the decimal point) comes
 * from one table; PayPal's decimal strings are produced and parsed here. */
#ifndef RMA_MONEY_H
#define RMA_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/err.h"

struct money {
    int64_t minor;    /* e.g. 12999 for 129.99 USD, 1500 for 1500 JPY */
    char currency[4]; /* upper-case ISO 4217, NUL-terminated */
};

/* Longest text money_format writes, with the NUL: sign, 19 digits, point. */
#define MONEY_TEXT_MAX 24

/* The largest amount the service accepts, stores or computes, in minor
 * units: 10^12 (ten billion in a two-decimal currency).  Every money input
 * is bounded by it and every sum and product of amounts is checked against
 * it (money_add, money_mul), so that none can overflow int64_t; the
 * database has the same bound as CHECK constraints (SPEC §16). */
#define MONEY_MAX_MINOR INT64_C(1000000000000)

/* The currency's exponent (2 for USD, 0 for JPY), or -1 if not supported. */
int money_exponent(const char *currency);

/* Parses a decimal string such as "129.99", "-12.5" or "1500" into minor
 * units for a currency with the given exponent.  Refuses (RMA_EINVAL) signs
 * other than a leading '-', more decimals than the exponent, a decimal point
 * in a currency without decimals, empty parts, and overflow. */
enum rma_err money_parse_decimal(const char *s, int exponent, int64_t *out);

/* Parses value in currency into m.  RMA_EINVAL on a bad value or currency. */
enum rma_err money_parse(const char *value, const char *currency,
                         struct money *m);

/* Writes minor as a decimal string with exactly `exponent` decimals into out
 * (at least MONEY_TEXT_MAX bytes).  Returns out. */
char *money_format_minor(int64_t minor, int exponent, char *out);

/* Writes m's value (no currency) into out, MONEY_TEXT_MAX bytes. Returns out,
 * or NULL if m's currency is unknown. */
char *money_format(const struct money *m, char *out);

/* *out = a + b, when that is within [-MONEY_MAX_MINOR, MONEY_MAX_MINOR]
 * (and a and b are, so nothing overflows on the way).  Returns false, *out
 * untouched, otherwise. */
bool money_add(int64_t a, int64_t b, int64_t *out);
/* *out = amount * factor (a quantity, say), under the same rule. */
bool money_mul(int64_t amount, int64_t factor, int64_t *out);

/* Rounds amount * numerator / denominator half-up (away from zero on .5) in
 * minor units, exactly, without overflow for any amount below 2^62.
 * Used for percentage fees: 25% of 9999 is 2500. */
int64_t money_ratio_half_up(int64_t amount, int64_t numerator,
                            int64_t denominator);

#endif
