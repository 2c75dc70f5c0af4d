/* paypal_status.c - PayPal's status words as one enum (SPEC §16): the rest
 * of the service compares enums, never PayPal's strings. */
#include <string.h>

#include "rma/paypal.h"

static const char *const names[] = {
    [PAYPAL_STATUS_UNKNOWN] = "",
    [PAYPAL_STATUS_CREATED] = "CREATED",
    [PAYPAL_STATUS_SAVED] = "SAVED",
    [PAYPAL_STATUS_APPROVED] = "APPROVED",
    [PAYPAL_STATUS_PAYER_ACTION_REQUIRED] = "PAYER_ACTION_REQUIRED",
    [PAYPAL_STATUS_PENDING] = "PENDING",
    [PAYPAL_STATUS_COMPLETED] = "COMPLETED",
    [PAYPAL_STATUS_DENIED] = "DENIED",
    [PAYPAL_STATUS_DECLINED] = "DECLINED",
    [PAYPAL_STATUS_FAILED] = "FAILED",
    [PAYPAL_STATUS_CAPTURED] = "CAPTURED",
    [PAYPAL_STATUS_PARTIALLY_CAPTURED] = "PARTIALLY_CAPTURED",
    [PAYPAL_STATUS_VOIDED] = "VOIDED",
    [PAYPAL_STATUS_EXPIRED] = "EXPIRED",
    [PAYPAL_STATUS_REFUNDED] = "REFUNDED",
    [PAYPAL_STATUS_PARTIALLY_REFUNDED] = "PARTIALLY_REFUNDED",
    [PAYPAL_STATUS_CANCELLED] = "CANCELLED",
};

enum paypal_status
paypal_status_parse(const char *s)
{
    if (s == NULL)
        return PAYPAL_STATUS_UNKNOWN;
    for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return (enum paypal_status)i;
    return PAYPAL_STATUS_UNKNOWN;
}

const char *
paypal_status_name(enum paypal_status s)
{
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "";
}
