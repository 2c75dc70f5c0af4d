/* sim_payments.h - what paypal-sim's Payments v2 files share
 * (sim_payments.c: the records, their representations and how their money
 * moves; sim_authorizations.c and sim_captures.c: the handlers, declared
 * in sim_api.h). */
#ifndef RMA_SIM_PAYMENTS_H
#define RMA_SIM_PAYMENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_http.h"

/* ---- requests ---- */

/* A JSON object body (or none); answers 400 and returns false otherwise. */
bool sim_pay_body_ok(struct sim_request *rq, struct sim_response *rs);
/* An optional string member of at most max bytes; answers and returns
 * false if bad. */
bool sim_pay_string_max(struct sim_request *rq, struct sim_response *rs,
                        const char *key, size_t max);
/* Parses an optional money field; answers and returns false if bad. */
bool sim_pay_optional_money(struct sim_request *rq, struct sim_response *rs,
                            const char *key, bool *present, int64_t *minor,
                            char currency[4]);
/* A 422 UNPROCESSABLE_ENTITY naming the issue. */
void sim_pay_issue(struct sim_response *rs, const char *name,
                   const char *description);

/* ---- representations ---- */

/* Copies member key of from to to when present. */
void sim_pay_copy_optional(json_t *to, const json_t *from, const char *key);
/* {id, status, links} for Prefer: return=minimal, from a full body. */
json_t *sim_pay_minimal(json_t *full);
/* A refund's PayPal representation (new reference). */
json_t *sim_pay_refund_json(const json_t *refund);

/* ---- authorizations ---- */

/* The original authorization of auth's family. */
json_t *sim_pay_family_root(json_t *auth);
/* True when any authorization of the family is fully captured (the
 * capture marks the family's root: no scan of every authorization under
 * the lock each request holds). */
bool sim_pay_family_captured(json_t *root);
/* Whether auth is past its validity. */
bool sim_pay_is_expired(json_t *auth);
/* Largest total capture: 115% of the authorization, at most +75.00 USD. */
int64_t sim_pay_capture_limit(int64_t authorized, const char *currency);

/* ---- how the money moves ---- */

/* Whether a capture's money moved: breakdowns and refunds exist only then
 * (NOTES §4: no seller_receivable_breakdown while pending). */
bool sim_pay_capture_settled(const json_t *cap);
/* The money of a capture moves (at once, or when a pending one settles):
 * the fee, the authorization's captured amount, count and status, the
 * merchant's transactions and PAYMENT.CAPTURE.COMPLETED. */
void sim_pay_capture_complete(json_t *cap);
/* Queues event_type about cap, with a summary "<what> <value> <currency>". */
void sim_pay_capture_event(const json_t *cap, const char *event_type,
                           const char *what);
/* The money of a refund moves (at once, or when a pending one settles):
 * the fee back, the capture's refunded amount and status, the merchant's
 * transactions and PAYMENT.CAPTURE.REFUNDED. */
void sim_pay_refund_complete(json_t *refund, json_t *cap);

#endif
