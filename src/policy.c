/* policy.c - refund, repair-quote and validity rules per product line
 * (policy.h).  No I/O. */
#include "rma/policy.h"

#include <stdio.h>
#include <string.h>

#include "rma/money.h"

enum rma_err
policy_parse_date(const char *s, time_t *out)
{
    int y, m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return RMA_EINVAL;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d || back.tm_mon != m - 1) /* 2025-02-30 */
        return RMA_EINVAL;
    *out = t;
    return RMA_OK;
}

long
policy_days_since(time_t purchase_midnight, time_t now)
{
    time_t today =
        now - (time_t)(((now % POLICY_DAY) + POLICY_DAY) % POLICY_DAY);
    return (long)((today - purchase_midnight) / POLICY_DAY);
}

int64_t
policy_restocking_fee(const struct policy_line *line, int64_t price)
{
    return money_ratio_half_up(price, line->restocking_fee_bp, POLICY_BP);
}

void
policy_refund(const struct policy_line *line, int64_t price,
              time_t purchase_midnight, time_t now, struct policy_refund *out)
{
    memset(out, 0, sizeof(*out));
    out->price = price;
    out->days = policy_days_since(purchase_midnight, now);
    out->allowed = out->days <= line->refund_window_days;
    if (out->allowed) {
        out->fee = policy_restocking_fee(line, price);
        out->amount = price - out->fee;
    }
}

enum policy_quote_basis
policy_quote_basis(bool in_warranty, const char *inspection)
{
    if (inspection != NULL && strcmp(inspection, "damaged_in_transit") == 0)
        return QUOTE_PACKAGING_DAMAGE;
    if (!in_warranty ||
        (inspection != NULL && strcmp(inspection, "out_of_warranty") == 0))
        return QUOTE_OUT_OF_WARRANTY;
    return QUOTE_NONE;
}

const char *
policy_quote_basis_name(enum policy_quote_basis b)
{
    switch (b) {
    case QUOTE_OUT_OF_WARRANTY: return "out_of_warranty";
    case QUOTE_PACKAGING_DAMAGE: return "packaging_damage";
    case QUOTE_NONE: break;
    }
    return "none";
}

int64_t
policy_decline_fee(const struct policy_line *line, int64_t quote)
{
    return money_ratio_half_up(quote, line->decline_fee_bp, POLICY_BP);
}

time_t
policy_valid_until(const struct policy_line *line, time_t approved_at,
                   int extension_days)
{
    return approved_at +
           (time_t)(line->validity_days + extension_days) * POLICY_DAY;
}

bool
policy_expired(time_t valid_until, time_t now)
{
    return now > valid_until;
}

char *
policy_percent_text(int bp, char out[16])
{
    int whole = bp / 100, frac = bp % 100;
    if (frac == 0)
        snprintf(out, 16, "%d", whole);
    else if (frac % 10 == 0)
        snprintf(out, 16, "%d.%d", whole, frac / 10);
    else
        snprintf(out, 16, "%d.%02d", whole, frac);
    return out;
}
