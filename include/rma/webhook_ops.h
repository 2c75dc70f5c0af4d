/* webhook_ops.h - what a verified PayPal webhook event does (SPEC §12,
 * §16).  An event is a trigger, never a fact: its body is signed only
 * through a CRC32, so nothing in it but the resource's id is used.  The
 * resource is fetched from PayPal (GET authorization, capture, refund) and
 * acted on as PayPal states it, through the same case operations as the
 * request path and the job.  A transmission id or an event id is taken
 * once. */
#ifndef RMA_WEBHOOK_OPS_H
#define RMA_WEBHOOK_OPS_H

#include "rma/hold_ops.h"

struct webhook_event {
    const char *transmission_id; /* PAYPAL-TRANSMISSION-ID, verified */
    const char *id;              /* the event's id */
    const char *type;            /* event_type */
    const char *resource_id;     /* resource.id, or NULL */
};

/* Takes one verified event.  *outcome (static text) says what it did:
 * "duplicate" for a transmission or event taken before.  RMA_EUPSTREAM
 * when PayPal could not be asked (the event is not recorded, so PayPal's
 * redelivery tries again), RMA_EDB likewise. */
enum rma_err webhook_take(struct hold_env *env, const struct webhook_event *e,
                          const char **outcome);

#endif
