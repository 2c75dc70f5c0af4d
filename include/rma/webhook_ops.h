/* webhook_ops.h - what a verified PayPal webhook event does (SPEC §12,
 * §16).  An event is a trigger, never a fact: its body is signed only
 * through a CRC32, so nothing in it but the resource's id is used.  The
 * resource is fetched from PayPal (GET authorization, capture, refund) and
 * acted on as PayPal states it, through the same case operations as the
 * request path and the job.  A transmission id or an event id is taken
 * once.  The handler (api_webhook.c) only hands the delivery over: the
 * verification, PayPal's part, is here. */
#ifndef RMA_WEBHOOK_OPS_H
#define RMA_WEBHOOK_OPS_H

#include <stddef.h>

#include "rma/config.h"
#include "rma/hold_ops.h"

struct webhook_event {
    const char *transmission_id; /* PAYPAL-TRANSMISSION-ID, verified */
    const char *id;              /* the event's id */
    const char *type;            /* event_type */
    const char *resource_id;     /* resource.id, or NULL */
};

/* The verifier of cfg's webhook id (paypal_webhook_id) for certificates
 * from paypal_cert_hosts (a comma-separated list of origins; PayPal's own
 * API origins when unset).  Caller owns it (it lives as long as the
 * process: struct app keeps it); NULL when paypal_webhook_id is not set or
 * the options are unusable. */
struct paypal_webhook_verifier *
webhook_verifier_for(const struct rma_config *cfg);

/* PayPal's transmission headers of one delivery, borrowed (NULL when
 * absent). */
struct webhook_headers {
    const char *transmission_id;   /* PAYPAL-TRANSMISSION-ID */
    const char *transmission_time; /* PAYPAL-TRANSMISSION-TIME */
    const char *transmission_sig;  /* PAYPAL-TRANSMISSION-SIG */
    const char *cert_url;          /* PAYPAL-CERT-URL */
    const char *auth_algo;         /* PAYPAL-AUTH-ALGO */
};

/* One delivery of POST /api/v1/paypal/webhooks: its signature verified
 * with v (against the real clock) before anything in body is read, then
 * the event taken (webhook_take).  *outcome (static text) says what
 * happened:
 *   "unverified" with RMA_EUNAUTH: v is NULL or the signature does not
 *       verify (logged as webhook_rejected), nothing was read;
 *   "malformed" with RMA_OK: verified, but without an id, an event_type
 *       or a resource, or with one too long (logged);
 *   else webhook_take's outcome and error (*outcome NULL on error). */
enum rma_err webhook_receive(struct hold_env *env,
                             struct paypal_webhook_verifier *v,
                             const struct webhook_headers *h, const char *body,
                             size_t len, const char **outcome);

/* Takes one verified event.  *outcome (static text) says what it did:
 * "duplicate" for a transmission or event taken before.  RMA_EUPSTREAM
 * when PayPal could not be asked (the event is not recorded, so PayPal's
 * redelivery tries again), RMA_EDB likewise. */
enum rma_err webhook_take(struct hold_env *env, const struct webhook_event *e,
                          const char **outcome);

#endif
