/* sim_api.h - paypal-sim's route handlers, one group per source file.
 *
 * Each handler fills rs from rq.  Unless its route says otherwise it runs
 * with g_sim->lock held and may read and change g_sim's state. */
#ifndef RMA_SIM_API_H
#define RMA_SIM_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim_http.h"

struct sim;

typedef void sim_handler(struct sim_request *rq, struct sim_response *rs);

/* sim_oauth.c */
sim_handler sim_oauth_token;
/* Checks rq's bearer token; fills rq->client_id or answers 401. */
bool sim_oauth_check(struct sim_request *rq, struct sim_response *rs);

/* sim_orders.c */
json_t *sim_orders_json(const json_t *order, bool full);
sim_handler sim_orders_create;
sim_handler sim_orders_get;
sim_handler sim_orders_authorize;
sim_handler sim_checkout_page;
sim_handler sim_checkout_approve;
sim_handler sim_checkout_cancel;
/* Approves an order as the buyer would (also /sim/orders/{id}/approve).
 * Returns false with a message if it cannot be approved. */
bool sim_order_approve(const char *order_id, const char **msg);

/* sim_payments.c */
/* PayPal representations of stored records (new references). */
json_t *sim_payments_authorization_json(const json_t *auth);
json_t *sim_payments_capture_json(const json_t *capture);
/* Creates an authorization record (borrowed, in the state) for an order
 * with status "CREATED" (queues PAYMENT.AUTHORIZATION.CREATED), "PENDING"
 * (reason PENDING_REVIEW) or "DENIED" (PayPal has no event for these). */
json_t *sim_payments_new_authorization(json_t *order, const char *parent_id,
                                       int64_t amount_minor,
                                       const char *status);
/* Settles a PENDING record (borrowed) of kind "authorization", "capture"
 * or "refund" to status, which the caller has checked fits the kind:
 * authorization CREATED|DENIED, capture COMPLETED|DECLINED|DENIED|FAILED,
 * refund COMPLETED|FAILED.  Returns the webhook event type queued (static)
 * or NULL when PayPal has none for that change. */
const char *sim_payments_settle(json_t *record, const char *kind,
                                const char *status);
/* A customer's payment to the merchant as PayPal keeps it: a COMPLETED
 * order (intent CAPTURE) and its COMPLETED capture, whose id is
 * capture_id (the seller's transaction id), refundable like any other.
 * Returns the capture record (borrowed, in the state). */
json_t *sim_payments_customer_capture(const char *capture_id,
                                      int64_t amount_minor, int64_t fee_minor,
                                      const char *currency,
                                      const char *payer_id,
                                      const char *payer_email, int64_t time,
                                      const char *note);

sim_handler sim_authorizations_get;
sim_handler sim_authorizations_capture;
sim_handler sim_authorizations_reauthorize;
sim_handler sim_authorizations_void;
sim_handler sim_captures_get;
sim_handler sim_captures_refund;
sim_handler sim_refunds_get;

/* sim_search.c */
sim_handler sim_search_transactions;
sim_handler sim_control_payments;

/* sim_webhooks.c */
sim_handler sim_webhooks_verify;
sim_handler sim_webhooks_cert;
sim_handler sim_control_webhooks_flush; /* runs without the lock */

/* sim_outcomes.c */
/* The status the next `operation` ("authorize", "capture", "refund") that
 * would succeed answers with, taken from the oldest armed rule (one use
 * consumed), or NULL to succeed as usual.  Static string. */
const char *sim_outcome_take(struct sim *s, const char *operation);
/* The armed rules [{operation, status, next}] (new reference). */
json_t *sim_outcomes_json(const struct sim *s);
sim_handler sim_control_outcomes_set;
sim_handler sim_control_outcomes_list;
sim_handler sim_control_outcomes_clear;
sim_handler sim_control_outcomes_settle;

/* sim_control.c */
sim_handler sim_control_clock_get;
sim_handler sim_control_clock_set;
sim_handler sim_control_latency;
sim_handler sim_control_faults_set;
sim_handler sim_control_faults_clear;
sim_handler sim_control_mocks_set;
sim_handler sim_control_config;
sim_handler sim_control_order_approve;
sim_handler sim_control_state;
sim_handler sim_control_reset;
sim_handler sim_control_tokens_revoke;

#endif
