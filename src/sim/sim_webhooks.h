/* sim_webhooks.h - signed webhook events (NOTES §8).
 *
 * At startup the simulator makes a test CA and a signing certificate
 * (CN messageverificationcerts.sandbox.paypal.com) served at
 * <public-url>/v1/notifications/certs/<name>.  Events are queued in the
 * state and POSTed by a delivery thread with PayPal's transmission headers,
 * signed SHA256withRSA over id|time|webhook_id|crc32(body). */
#ifndef RMA_SIM_WEBHOOKS_H
#define RMA_SIM_WEBHOOKS_H

#include <jansson.h>
#include <stdbool.h>

#include "sim/sim_state.h"

/* Makes the keys and certificates; writes the CA PEM to ca_out if given.
 * Returns false on failure (logged). */
bool sim_webhooks_init(struct sim *s, const char *ca_out);
void sim_webhooks_free(struct sim *s);

/* Queues an event of event_type about resource (copied), with lock held. */
void sim_webhook_queue(struct sim *s, const char *event_type,
                       const char *resource_type, const char *summary,
                       const json_t *resource);

/* The delivery thread (arg: struct sim *); returns on s->stopping. */
void *sim_webhooks_thread(void *arg);

/* Signs text with the signing key into base64 out (n bytes). */
bool sim_webhooks_sign(struct sim *s, const char *text, char *out, size_t n);

#endif
