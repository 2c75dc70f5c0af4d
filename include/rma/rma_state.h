/* rma_state.h - the life of an RMA solution (SPEC §4.1) as one table.
 *
 * Every transition of every kind is a row: from, event, to, the kinds it
 * applies to and the actors who may cause it.  rma_state_next is the only
 * place that decides; the db layer applies its answer atomically with a
 * compare-and-set on the current status, so two concurrent requests cannot
 * both win. */
#ifndef RMA_RMA_STATE_H
#define RMA_RMA_STATE_H

#include <stdbool.h>

enum rma_kind {
    KIND_REFUND = 1 << 0,
    KIND_REPLACEMENT = 1 << 1,
    KIND_RESEND = 1 << 2,
    KIND_REPAIR = 1 << 3,
};
#define KIND_ANY (KIND_REFUND | KIND_REPLACEMENT | KIND_RESEND | KIND_REPAIR)

enum rma_status {
    ST_DRAFT,
    ST_PENDING_REVIEW,
    ST_PENDING_CONFIRM,
    ST_CONFIRMED,
    ST_REJECTED,
    ST_AWAITING_PREAUTH,
    ST_AWAITING_SHIPMENT,
    ST_AWAITING_RETURN,
    ST_RETURN_SUBMITTED,
    ST_RECEIVED,
    ST_REFUND_DUE,
    ST_REPLACEMENT_SHIPPED,
    ST_QUOTE_PENDING,
    ST_REPAIR_SHIPPED,
    ST_CHARGED,
    ST_CAPTURE_FAILED,
    ST_COMPLETED,
    ST_CANCELLED,
    ST_EXPIRED,
    ST_COUNT
};

enum rma_event {
    EV_SUBMIT,            /* agent: to review or straight to the customer */
    EV_SUBMIT_REVIEWED,   /* agent, when policy needs a supervisor */
    EV_APPROVE,           /* supervisor */
    EV_SEND_BACK,         /* supervisor */
    EV_REVISE,            /* agent edits a rejected solution */
    EV_AGREE,             /* customer */
    EV_DISAGREE,          /* customer, with a comment */
    EV_CONFIRM_ON_BEHALF, /* agent, for the customer */
    EV_START_FULFILMENT,  /* system, right after confirmation */
    EV_CHOOSE_STANDARD,   /* customer: return first */
    EV_CHOOSE_ADVANCED,   /* customer: replacement first, PayPal hold */
    EV_PREAUTHORIZED,     /* system: the hold is in place */
    EV_SHIP,              /* warehouse: outbound replacement or part */
    EV_SUBMIT_RETURN,     /* customer: tracking and evidence */
    EV_RECEIVE,           /* warehouse: the return arrived */
    EV_REFUND_DUE,        /* system: inspection passed, refund to pay */
    EV_QUOTE,             /* warehouse: out-of-warranty repair quote */
    EV_QUOTE_DECIDED,     /* customer accepts, pays or asks for return */
    EV_SHIP_REPAIRED,     /* warehouse */
    EV_CAPTURE,           /* system job: deadline passed, hold captured */
    EV_CAPTURE_FAILED,    /* system job: retries exhausted */
    EV_COMPLETE,          /* system or staff: nothing left to do */
    EV_CANCEL,            /* agent, with a reason */
    EV_EXPIRE,            /* system: RMA number validity passed */
    EV_WAIVE,             /* supervisor: release the hold, no return */
    EV_COUNT
};

enum rma_actor {
    ACTOR_CUSTOMER = 1 << 0,
    ACTOR_AGENT = 1 << 1,
    ACTOR_SUPERVISOR = 1 << 2,
    ACTOR_WAREHOUSE = 1 << 3,
    ACTOR_SYSTEM = 1 << 4,
};

const char *rma_status_name(enum rma_status s);
/* -1 when unknown. */
int rma_status_parse(const char *s);
const char *rma_event_name(enum rma_event e);
const char *rma_kind_name(enum rma_kind k);
/* 0 when unknown. */
enum rma_kind rma_kind_parse(const char *s);

/* The status after event in from for a case of kind, if actor may cause it;
 * -1 when the transition does not exist or the actor may not. */
int rma_state_next(enum rma_status from, enum rma_event event,
                   enum rma_kind kind, enum rma_actor actor);

/* Visible to the customer: pending_confirm and everything after it. */
bool rma_status_customer_visible(enum rma_status s);
/* Not yet in a terminal state (completed, cancelled, expired). */
bool rma_status_open(enum rma_status s);
/* Shown first in the customer's list: open and visible. */
bool rma_status_in_progress(enum rma_status s);
/* Whether the customer may set the address the replacement ships to now:
 * before it ships, and on the standard path (which ships after the return)
 * until the return is dealt with; never on a refund. */
bool rma_address_editable(enum rma_status s, enum rma_kind kind, bool advanced);

#endif
