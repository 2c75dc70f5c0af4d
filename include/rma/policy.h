/* policy.h - the vendors' refund, repair and RMA-validity rules, per product
 * line (SPEC §4.1, §5.5).  Pure functions: no I/O, unit-tested.
 *
 * The numbers come from the product_line_policy table (0009_policy.sql),
 * one row per product line; db_policy.c reads them into struct policy_line.
 *
 * Rounding: every fee is a share of an amount in minor units, rounded
 * half-up (away from zero on exactly .5) by money_ratio_half_up, once, on
 * the final fee: 25% of 99.99 USD (9999 minor) is 2499.75 -> 2500 = 25.00;
 * 25% of 1500 JPY is 375. */
#ifndef RMA_POLICY_H
#define RMA_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "rma/err.h"

#define POLICY_DAY 86400L
#define POLICY_BP 10000               /* basis points in a whole */
#define POLICY_EXTENSION_MAX_DAYS 365 /* all extensions of one case */

struct policy_line {
    char product_line[16];  /* camera, nvr, doorbell, kit, accessory */
    int refund_window_days; /* refund allowed this many days after purchase */
    int restocking_fee_bp;  /* share of the price kept, in basis points */
    int decline_fee_bp;     /* handling fee on a declined repair quote, as a
                               share of the quote, in basis points (0: none) */
    int validity_days;      /* RMA number validity from approval */
};

/* A refund as the policy proposes it. */
struct policy_refund {
    bool allowed;   /* within the window */
    long days;      /* whole days from purchase to now (UTC dates) */
    int64_t price;  /* what the customer paid, minor units */
    int64_t fee;    /* restocking fee, 0 when not allowed */
    int64_t amount; /* price - fee, 0 when not allowed */
};

/* Midnight UTC of "YYYY-MM-DD" into *out.  RMA_EINVAL if not a date. */
enum rma_err policy_parse_date(const char *s, time_t *out);

/* Whole days from the purchase date to now's UTC date (negative if the
 * purchase is in the future). */
long policy_days_since(time_t purchase_midnight, time_t now);

/* The restocking fee of price under line: half-up on minor units. */
int64_t policy_restocking_fee(const struct policy_line *line, int64_t price);

/* The refund the policy proposes for price, bought at purchase_midnight,
 * asked for at now: allowed through day refund_window_days inclusive (day
 * 30 yes, day 31 no). */
void policy_refund(const struct policy_line *line, int64_t price,
                   time_t purchase_midnight, time_t now,
                   struct policy_refund *out);

enum policy_quote_basis {
    QUOTE_NONE,             /* in warranty, undamaged: the repair is free */
    QUOTE_OUT_OF_WARRANTY,  /* the customer pays the quoted repair */
    QUOTE_PACKAGING_DAMAGE, /* damaged in transit by inadequate packaging:
                               a repair fee, quoted before work */
};

/* Why a repair may be quoted: packaging damage (inspection outcome
 * damaged_in_transit) first, then out of warranty (the case's warranty or
 * the inspection outcome out_of_warranty).  inspection may be NULL. */
enum policy_quote_basis policy_quote_basis(bool in_warranty,
                                           const char *inspection);
const char *policy_quote_basis_name(enum policy_quote_basis b);

/* The handling fee when the customer declines a quote (0: none). */
int64_t policy_decline_fee(const struct policy_line *line, int64_t quote);

/* When the RMA number stops being valid: approval + validity_days +
 * extension_days, in exact seconds. */
time_t policy_valid_until(const struct policy_line *line, time_t approved_at,
                          int extension_days);
/* Expired once now is past valid_until (at valid_until: still valid). */
bool policy_expired(time_t valid_until, time_t now);

/* "25" or "12.5": a basis-point share as a percentage, into out (16). */
char *policy_percent_text(int bp, char out[16]);

#endif
