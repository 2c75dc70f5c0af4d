/* paypal_intent.h - durable intents of PayPal operations (SPEC §5.7).
 *
 * Before a mutating PayPal call the caller records an intent; its
 * PayPal-Request-Id is derived from the intent (never random), so a rerun
 * after a crash, a timeout or a 5xx finds the same row and replays the same
 * request id, and PayPal performs the operation once.  After the call the
 * outcome is recorded.  A new attempt at the same operation after a definite
 * refusal (e.g. a second capture try after a decline) uses the next
 * sequence number, hence a new request id.
 *
 *     struct paypal_intent in;
 *     paypal_intent_begin(db, &key, "{\"amount\":...}", &in);   // before
 *     err = paypal_capture_authorization(pc, ..., in.request_id, ...);
 *     paypal_intent_finish(db, in.request_id,
 *                          paypal_intent_status_for(err), body, id, &res);
 *
 * This header is the pure part (paypal_intent.c: names, request ids, what
 * an error means); recording intents is SQL, declared in db_paypal.h
 * (db_paypal.c): the PayPal client knows no table.
 */
#ifndef RMA_PAYPAL_INTENT_H
#define RMA_PAYPAL_INTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/err.h"
#include "rma/paypal.h"

enum paypal_operation {
    PAYPAL_OP_ORDER_CREATE,
    PAYPAL_OP_ORDER_AUTHORIZE,
    PAYPAL_OP_CAPTURE,     /* authorization capture */
    PAYPAL_OP_REAUTHORIZE, /* authorization reauthorize */
    PAYPAL_OP_VOID,        /* authorization void */
    PAYPAL_OP_REFUND,      /* capture refund */
};

enum paypal_intent_status {
    PAYPAL_INTENT_PENDING,   /* recorded; the call has not answered yet */
    PAYPAL_INTENT_SUCCEEDED, /* PayPal did it */
    PAYPAL_INTENT_FAILED,    /* PayPal refused it: final for this id */
    PAYPAL_INTENT_UNKNOWN,   /* no definite answer: replay the same id */
};

/* What an intent is about.  At least one of case_id, hold_id is > 0. */
struct paypal_intent_key {
    enum paypal_operation op;
    int64_t case_id; /* 0 if none */
    int64_t hold_id; /* 0 if none; names the request id when set */
    int sequence;    /* 1 for the first attempt; 0 means 1 */
    /* Namespace of this installation's request ids (e.g. "rma", or
     * "rma-staging" when environments share a PayPal account); NULL: "rma".
     * Letters, digits and '-', at most 32. */
    const char *prefix;
};

struct paypal_intent {
    int64_t id;
    enum paypal_operation op;
    char request_id[PAYPAL_REQUEST_ID_MAX + 1];
    int64_t case_id;
    int64_t hold_id;
    int sequence;
    enum paypal_intent_status status;
    int attempts;
    int http_status;
    char paypal_id[PAYPAL_ID_MAX];
    char debug_id[64];
    bool created; /* begin inserted it now (false: an earlier run did) */
};

/* The stable name of op ("authorization_capture"), and its short form used in
 * request ids ("capture"). Static. */
const char *paypal_operation_name(enum paypal_operation op);
const char *paypal_intent_status_name(enum paypal_intent_status s);

/* The request id of key: "<prefix>-<op>-h<hold id>-<sequence>" (or
 * "c<case id>" without a hold), e.g. "rma-capture-h42-1", into out
 * (PAYPAL_REQUEST_ID_MAX + 1 bytes).  RMA_EINVAL for a bad key. */
enum rma_err paypal_request_id(const struct paypal_intent_key *key, char *out,
                               size_t n);

/* The intent status that the error of a PayPal call means: RMA_OK ->
 * succeeded; a definite refusal (EINVAL, ERULE, ENOTFOUND, EFORBIDDEN,
 * ECONFLICT) -> failed; anything else (no answer, 5xx) -> unknown. */
enum paypal_intent_status paypal_intent_status_for(enum rma_err err);

#endif
