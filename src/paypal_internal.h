/* paypal_internal.h - shared by the paypal*.c files only. */
#ifndef RMA_PAYPAL_INTERNAL_H
#define RMA_PAYPAL_INTERNAL_H

#include "rma/paypal.h"

/* POSTs the JSON body to path (under the base URL) with the bearer token and
 * the retry policy, without a PayPal-Request-Id.  On RMA_OK *answer is the
 * response body (caller frees). */
enum rma_err paypal_post_json(struct paypal_client *pc, const char *op,
                              const char *path, const char *body, char **answer,
                              struct paypal_result *res);

#endif
