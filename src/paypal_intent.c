/* paypal_intent.c - request ids and outcomes of durable PayPal intents;
 * the SQL is in db_paypal.c. */
#include "rma/paypal_intent.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[] = {
    "order_create",          "order_authorize",
    "authorization_capture", "authorization_reauthorize",
    "authorization_void",    "capture_refund",
};
static const char *const op_short[] = {"order",  "authorize", "capture",
                                       "reauth", "void",      "refund"};
static const char *const status_names[] = {"pending", "succeeded", "failed",
                                           "unknown"};

const char *
paypal_operation_name(enum paypal_operation op)
{
    if ((size_t)op < sizeof(op_names) / sizeof(op_names[0]))
        return op_names[op];
    return NULL;
}

const char *
paypal_intent_status_name(enum paypal_intent_status s)
{
    if ((size_t)s < sizeof(status_names) / sizeof(status_names[0]))
        return status_names[s];
    return NULL;
}

static bool
prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 32)
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

enum rma_err
paypal_request_id(const struct paypal_intent_key *key, char *out, size_t n)
{
    const char *prefix = key->prefix ? key->prefix : "rma";
    int seq = key->sequence ? key->sequence : 1;
    if (paypal_operation_name(key->op) == NULL || !prefix_ok(prefix) ||
        seq < 1 || key->case_id < 0 || key->hold_id < 0 ||
        (key->case_id == 0 && key->hold_id == 0))
        return RMA_EINVAL;
    char kind = key->hold_id > 0 ? 'h' : 'c';
    int64_t entity = key->hold_id > 0 ? key->hold_id : key->case_id;
    int len = snprintf(out, n, "%s-%s-%c%" PRId64 "-%d", prefix,
                       op_short[key->op], kind, entity, seq);
    if (len < 0 || (size_t)len >= n || len > PAYPAL_REQUEST_ID_MAX)
        return RMA_EINVAL;
    return RMA_OK;
}

enum paypal_intent_status
paypal_intent_status_for(enum rma_err err)
{
    switch (err) {
    case RMA_OK: return PAYPAL_INTENT_SUCCEEDED;
    case RMA_EINVAL:
    case RMA_ERULE:
    case RMA_ENOTFOUND:
    case RMA_EFORBIDDEN:
    case RMA_ECONFLICT: return PAYPAL_INTENT_FAILED;
    default: return PAYPAL_INTENT_UNKNOWN;
    }
}
