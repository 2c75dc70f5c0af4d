/* sim_client.h - driving paypal-sim from the PayPal client tests: its /sim/
 * control endpoints over HTTP, a private instance for tests that move its
 * clock or inject faults, and a PayPal client pointed at it. */
#ifndef RMA_TEST_SIM_CLIENT_H
#define RMA_TEST_SIM_CLIENT_H

#include <jansson.h>

#include "rma/paypal.h"

/* The simulator the test talks to: RMA_TEST_SIM_URL, or the private one
 * while sim_private_start is in effect.  Borrowed. */
const char *sim_url(void);

/* Starts a private paypal-sim on a free port (SIM_BINARY) and makes it
 * sim_url(); sim_private_stop stops it.  For criterion .init / .fini. */
void sim_private_start(void);
void sim_private_stop(void);

/* method path body -> the parsed JSON answer (new reference); the test fails
 * unless the status is 2xx. */
json_t *sim_call(const char *method, const char *path, const char *body);
/* The same with a printf-style body. */
json_t *sim_callf(const char *method, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sim_advance(long seconds);
void sim_approve(const char *order_id);
/* Outcome control (SPEC §16, doc/paypal-sim.md): the next `next`
 * operations ("authorize", "capture" or "refund") that would succeed answer
 * 201 with status ("PENDING", "DENIED", "DECLINED", "FAILED") instead.  The
 * test fails if the simulator refuses the rule. */
void sim_outcome(const char *operation, const char *status, int next);
/* Settles a PENDING authorization, capture or refund to status; its answer
 * {"id", "kind", "status", "event"} (new reference).  The test fails unless
 * the simulator settled it. */
json_t *sim_settle(const char *id, const char *status);
/* Number of captures in /sim/state whose authorization_id is auth_id. */
int sim_captures_of(const char *auth_id);

/* A client for sim_url() with the demo credentials and short timings. */
struct paypal_client *sim_paypal(long timeout_ms);

/* Creates, approves and authorizes an order for amount (e.g. "12.34") in
 * currency; out gets the authorized order. */
void sim_authorized_order(struct paypal_client *pc, const char *value,
                          const char *currency, struct paypal_order *out);

/* A request id unique to this process and call: "<what>-<pid>-<n>". */
const char *sim_request_id(const char *what);

#endif
