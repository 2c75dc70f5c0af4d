/* paypal_status.c - PayPal's vocabulary as enums and predicates (SPEC
 * §16): status words, issue names, Transaction Search's codes.  The rest
 * of the service compares enums, never PayPal's strings
 * (tests/check-structure). */
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

static const char *const issues[] = {
    [PAYPAL_ISSUE_OTHER] = "",
    [PAYPAL_ISSUE_AUTHORIZATION_EXPIRED] = "AUTHORIZATION_EXPIRED",
    [PAYPAL_ISSUE_AUTHORIZATION_VOIDED] = "AUTHORIZATION_VOIDED",
    [PAYPAL_ISSUE_PREVIOUSLY_VOIDED] = "PREVIOUSLY_VOIDED",
    [PAYPAL_ISSUE_AUTHORIZATION_ALREADY_CAPTURED] =
        "AUTHORIZATION_ALREADY_CAPTURED",
    [PAYPAL_ISSUE_ORDER_ALREADY_AUTHORIZED] = "ORDER_ALREADY_AUTHORIZED",
};

static enum paypal_issue
issue_parse(const char *s)
{
    for (size_t i = 1; i < sizeof(issues) / sizeof(issues[0]); i++)
        if (strcmp(s, issues[i]) == 0)
            return (enum paypal_issue)i;
    return PAYPAL_ISSUE_OTHER;
}

enum paypal_issue
paypal_issue_of(const struct paypal_result *r)
{
    enum paypal_issue i = issue_parse(r->issue);
    return i != PAYPAL_ISSUE_OTHER ? i : issue_parse(r->name);
}

bool
paypal_issue_is(const struct paypal_result *r, enum paypal_issue issue)
{
    return issue != PAYPAL_ISSUE_OTHER &&
           (issue_parse(r->issue) == issue || issue_parse(r->name) == issue);
}

enum paypal_transaction_status
paypal_transaction_status_of(const struct paypal_transaction *t)
{
    static const struct {
        const char *code;
        enum paypal_transaction_status status;
    } codes[] = {
        {"S", PAYPAL_TRANSACTION_SUCCESS},
        {"P", PAYPAL_TRANSACTION_PENDING},
        {"V", PAYPAL_TRANSACTION_REVERSED},
        {"D", PAYPAL_TRANSACTION_DENIED},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(t->status, codes[i].code) == 0)
            return codes[i].status;
    return PAYPAL_TRANSACTION_UNKNOWN;
}

bool
paypal_transaction_is_payment(const struct paypal_transaction *t)
{
    return strncmp(t->event_code, "T00", 3) == 0;
}
