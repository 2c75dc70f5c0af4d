/* hold.c - the rules of a hold that need no I/O (SPEC §5.3): the agreement,
 * the deadline, what is due when, how far a deadline may move. */
#include "rma/hold.h"

#include <string.h>

static const char *const status_names[] = {
    [HOLD_PENDING_APPROVAL] = "pending_approval",
    [HOLD_ABANDONED] = "abandoned",
    [HOLD_AUTHORIZED] = "authorized",
    [HOLD_VOIDED] = "voided",
    [HOLD_CAPTURED] = "captured",
    [HOLD_EXPIRED] = "expired",
    [HOLD_FAILED] = "failed",
};

const char *
hold_terms_text(void)
{
    return "Advanced replacement: pre-authorization agreement "
           "(version " HOLD_TERMS_VERSION ")\n"
           "\n"
           "1. We ship your replacement before you return the faulty unit. To "
           "guarantee the return, we place a hold (a PayPal pre-authorization) "
           "for the replacement value on your PayPal account. No money is "
           "taken when the hold is placed.\n"
           "2. You must submit the return information (carrier, tracking "
           "number, a photo of the shipping label and the postage receipt) "
           "before the return deadline shown in the portal: the time the hold "
           "was placed plus the return window. We remind you by e-mail 7 and 2 "
           "days before the deadline.\n"
           "3. When our warehouse receives the returned unit, we release the "
           "hold and tell you by e-mail.\n"
           "4. If no return information has been submitted when the deadline "
           "passes, we capture the hold: the replacement value is charged to "
           "your PayPal account. If the unit arrives later, we refund the "
           "charge in full, or in part if the inspection finds damage not "
           "covered by the warranty, with the reason.\n"
           "5. To keep the hold valid, we may renew the authorization once, "
           "two "
           "days before the deadline.\n";
}

const char *
hold_status_name(enum hold_status s)
{
    return (unsigned)s <= HOLD_FAILED ? status_names[s] : "unknown";
}

int
hold_status_parse(const char *s)
{
    for (int i = 0; i <= HOLD_FAILED; i++)
        if (s != NULL && strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

time_t
hold_deadline(time_t authorized_at, long window_days)
{
    return authorized_at + (time_t)window_days * HOLD_DAY;
}

const char *
hold_capture_target(const struct hold *h)
{
    return h->reauth == REAUTH_SUCCEEDED && h->reauthorization_id[0]
               ? h->reauthorization_id
               : h->authorization_id;
}

/* Authorized, nothing asked that would end it. */
static bool
holding(const struct hold *h)
{
    return h->status == HOLD_AUTHORIZED && h->void_requested_at == 0;
}

bool
hold_reauth_due(const struct hold *h, enum rma_status case_status, time_t now)
{
    if (!holding(h) || h->reauth != REAUTH_NONE ||
        strcmp(h->capture_reason, "manual") == 0)
        return false;
    if (case_status != ST_AWAITING_RETURN &&
        case_status != ST_AWAITING_SHIPMENT)
        return false;
    return now >= h->deadline - HOLD_REAUTH_LEAD_DAYS * HOLD_DAY &&
           now >= h->authorized_at + HOLD_HONOR_DAYS * HOLD_DAY &&
           now < h->deadline;
}

bool
hold_capture_due(const struct hold *h, enum rma_status case_status, time_t now,
                 const struct hold_policy *p, const char **why)
{
    if (!holding(h))
        return false;
    if (h->next_capture_at != 0 && now < h->next_capture_at)
        return false;
    if (strcmp(h->capture_reason, "manual") == 0) {
        *why = "manual";
        return true;
    }
    if (case_status == ST_AWAITING_RETURN && now >= h->deadline) {
        *why = "deadline";
        return true;
    }
    if (p->capture_before_expiry &&
        (case_status == ST_AWAITING_RETURN ||
         case_status == ST_RETURN_SUBMITTED) &&
        now >= h->expires_at - HOLD_DAY) {
        *why = "expiry_policy";
        return true;
    }
    return false;
}

const char *
hold_extension_refusal(const struct hold *h, time_t new_deadline)
{
    if (h->status != HOLD_AUTHORIZED)
        return "the hold is not in place";
    if (new_deadline <= h->deadline)
        return "the new deadline must be later than the current one";
    if (new_deadline > h->expires_at - HOLD_DAY)
        return "the new deadline must leave a day before the authorization "
               "expires";
    return NULL;
}

int
hold_reminder_due(const struct hold *h, enum rma_status case_status, time_t now,
                  const int *days, int ndays)
{
    if (!holding(h) || case_status != ST_AWAITING_RETURN || now >= h->deadline)
        return 0;
    /* The nearest reminder whose moment has come and that was not sent:
     * after a late start only the last one goes out. */
    int best = 0;
    for (int i = 0; i < ndays; i++) {
        int d = days[i];
        if (d < 1 || d > 31 || (h->reminded & (1u << d)))
            continue;
        if (now >= h->deadline - (time_t)d * HOLD_DAY &&
            (best == 0 || d < best))
            best = d;
    }
    if (best == 0)
        return 0;
    /* A nearer reminder already sent makes the farther ones moot. */
    for (int d = 1; d < best; d++)
        if (h->reminded & (1u << d))
            return 0;
    return best;
}
