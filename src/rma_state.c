/* rma_state.c - the transition table of RMA solutions (SPEC §4.1). */
#include "rma/rma_state.h"

#include <stddef.h>
#include <string.h>

static const char *const status_names[ST_COUNT] = {
    "draft",
    "pending_review",
    "pending_confirm",
    "confirmed",
    "rejected",
    "awaiting_preauth",
    "awaiting_shipment",
    "awaiting_return",
    "return_submitted",
    "received",
    "refund_due",
    "replacement_shipped",
    "quote_pending",
    "repair_shipped",
    "charged",
    "capture_failed",
    "completed",
    "cancelled",
    "expired",
};

static const char *const event_names[EV_COUNT] = {
    "submit",
    "submit_reviewed",
    "approve",
    "send_back",
    "revise",
    "agree",
    "disagree",
    "confirm_on_behalf",
    "start_fulfilment",
    "choose_standard",
    "choose_advanced",
    "preauthorized",
    "ship",
    "submit_return",
    "receive",
    "refund_due",
    "quote",
    "quote_decided",
    "ship_repaired",
    "capture",
    "capture_failed",
    "complete",
    "cancel",
    "expire",
    "waive",
};

#define STAFF_AGENT (ACTOR_AGENT | ACTOR_SUPERVISOR)
#define STANDARD (KIND_REFUND | KIND_REPLACEMENT | KIND_REPAIR)

struct transition {
    enum rma_status from;
    enum rma_event event;
    enum rma_status to;
    unsigned kinds;
    unsigned actors;
};

/* The whole state machine.  Replacements wait in `confirmed` for the
 * customer's choice of method; the other kinds start fulfilment at once.
 * Cancellation is listed per open state below. */
static const struct transition table[] = {
    /* Review and agreement. */
    {ST_DRAFT, EV_SUBMIT, ST_PENDING_CONFIRM, KIND_ANY, STAFF_AGENT},
    {ST_DRAFT, EV_SUBMIT_REVIEWED, ST_PENDING_REVIEW, KIND_ANY, STAFF_AGENT},
    {ST_PENDING_REVIEW, EV_APPROVE, ST_PENDING_CONFIRM, KIND_ANY,
     ACTOR_SUPERVISOR},
    {ST_PENDING_REVIEW, EV_SEND_BACK, ST_DRAFT, KIND_ANY, ACTOR_SUPERVISOR},
    {ST_REJECTED, EV_REVISE, ST_DRAFT, KIND_ANY, STAFF_AGENT},
    {ST_PENDING_CONFIRM, EV_REVISE, ST_DRAFT, KIND_ANY, STAFF_AGENT},
    {ST_PENDING_CONFIRM, EV_AGREE, ST_CONFIRMED, KIND_ANY, ACTOR_CUSTOMER},
    {ST_PENDING_CONFIRM, EV_DISAGREE, ST_REJECTED, KIND_ANY, ACTOR_CUSTOMER},
    {ST_PENDING_CONFIRM, EV_CONFIRM_ON_BEHALF, ST_CONFIRMED, KIND_ANY,
     STAFF_AGENT},

    /* Fulfilment starts. */
    {ST_CONFIRMED, EV_START_FULFILMENT, ST_AWAITING_RETURN,
     KIND_REFUND | KIND_REPAIR, ACTOR_SYSTEM},
    {ST_CONFIRMED, EV_START_FULFILMENT, ST_AWAITING_SHIPMENT, KIND_RESEND,
     ACTOR_SYSTEM},
    {ST_CONFIRMED, EV_CHOOSE_STANDARD, ST_AWAITING_RETURN, KIND_REPLACEMENT,
     ACTOR_CUSTOMER | STAFF_AGENT},
    {ST_CONFIRMED, EV_CHOOSE_ADVANCED, ST_AWAITING_PREAUTH, KIND_REPLACEMENT,
     ACTOR_CUSTOMER},
    {ST_AWAITING_PREAUTH, EV_CHOOSE_STANDARD, ST_AWAITING_RETURN,
     KIND_REPLACEMENT, ACTOR_CUSTOMER | STAFF_AGENT},

    /* Advanced replacement: hold, ship first, then the return. */
    {ST_AWAITING_PREAUTH, EV_PREAUTHORIZED, ST_AWAITING_SHIPMENT,
     KIND_REPLACEMENT, ACTOR_SYSTEM},
    {ST_AWAITING_SHIPMENT, EV_SHIP, ST_AWAITING_RETURN, KIND_REPLACEMENT,
     ACTOR_WAREHOUSE},
    {ST_AWAITING_SHIPMENT, EV_SHIP, ST_COMPLETED, KIND_RESEND, ACTOR_WAREHOUSE},
    {ST_AWAITING_RETURN, EV_CAPTURE, ST_CHARGED, KIND_REPLACEMENT,
     ACTOR_SYSTEM | ACTOR_SUPERVISOR},
    {ST_AWAITING_RETURN, EV_CAPTURE_FAILED, ST_CAPTURE_FAILED, KIND_REPLACEMENT,
     ACTOR_SYSTEM},
    {ST_RETURN_SUBMITTED, EV_CAPTURE, ST_CHARGED, KIND_REPLACEMENT,
     ACTOR_SYSTEM},
    {ST_RETURN_SUBMITTED, EV_CAPTURE_FAILED, ST_CAPTURE_FAILED,
     KIND_REPLACEMENT, ACTOR_SYSTEM},
    {ST_AWAITING_RETURN, EV_WAIVE, ST_COMPLETED, KIND_REPLACEMENT,
     ACTOR_SUPERVISOR | ACTOR_SYSTEM},
    {ST_RETURN_SUBMITTED, EV_WAIVE, ST_COMPLETED, KIND_REPLACEMENT,
     ACTOR_SUPERVISOR | ACTOR_SYSTEM},
    {ST_CHARGED, EV_RECEIVE, ST_RECEIVED, KIND_REPLACEMENT, ACTOR_WAREHOUSE},
    {ST_CAPTURE_FAILED, EV_RECEIVE, ST_RECEIVED, KIND_REPLACEMENT,
     ACTOR_WAREHOUSE},
    /* Finance resolved the failed capture (collected or written off). */
    {ST_CAPTURE_FAILED, EV_COMPLETE, ST_COMPLETED, KIND_REPLACEMENT,
     ACTOR_SYSTEM},

    /* Returns. */
    {ST_AWAITING_RETURN, EV_SUBMIT_RETURN, ST_RETURN_SUBMITTED, STANDARD,
     ACTOR_CUSTOMER},
    {ST_AWAITING_RETURN, EV_RECEIVE, ST_RECEIVED, STANDARD, ACTOR_WAREHOUSE},
    {ST_RETURN_SUBMITTED, EV_RECEIVE, ST_RECEIVED, STANDARD, ACTOR_WAREHOUSE},
    {ST_RECEIVED, EV_REFUND_DUE, ST_REFUND_DUE, KIND_REFUND,
     ACTOR_WAREHOUSE | ACTOR_SYSTEM},
    {ST_REFUND_DUE, EV_COMPLETE, ST_COMPLETED, KIND_REFUND,
     ACTOR_SYSTEM | ACTOR_SUPERVISOR},
    {ST_RECEIVED, EV_SHIP, ST_REPLACEMENT_SHIPPED, KIND_REPLACEMENT,
     ACTOR_WAREHOUSE},
    {ST_REPLACEMENT_SHIPPED, EV_COMPLETE, ST_COMPLETED, KIND_REPLACEMENT,
     ACTOR_SYSTEM | ACTOR_WAREHOUSE},
    {ST_RECEIVED, EV_COMPLETE, ST_COMPLETED, KIND_REPLACEMENT,
     ACTOR_SYSTEM | ACTOR_WAREHOUSE | ACTOR_SUPERVISOR},

    /* Repairs. */
    {ST_RECEIVED, EV_QUOTE, ST_QUOTE_PENDING, KIND_REPAIR, ACTOR_WAREHOUSE},
    {ST_QUOTE_PENDING, EV_QUOTE_DECIDED, ST_RECEIVED, KIND_REPAIR,
     ACTOR_CUSTOMER | ACTOR_SYSTEM},
    {ST_RECEIVED, EV_SHIP_REPAIRED, ST_REPAIR_SHIPPED, KIND_REPAIR,
     ACTOR_WAREHOUSE},
    {ST_REPAIR_SHIPPED, EV_COMPLETE, ST_COMPLETED, KIND_REPAIR,
     ACTOR_SYSTEM | ACTOR_WAREHOUSE},

    /* Cancellation by an agent, from any open state before money moved. */
    {ST_DRAFT, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_PENDING_REVIEW, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_PENDING_CONFIRM, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_CONFIRMED, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_REJECTED, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_AWAITING_PREAUTH, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_AWAITING_SHIPMENT, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_AWAITING_RETURN, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_RETURN_SUBMITTED, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_RECEIVED, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_QUOTE_PENDING, EV_CANCEL, ST_CANCELLED, KIND_ANY, STAFF_AGENT},
    {ST_CAPTURE_FAILED, EV_CANCEL, ST_CANCELLED, KIND_ANY, ACTOR_SUPERVISOR},

    /* RMA number validity (90 days from approval) ran out. */
    {ST_PENDING_CONFIRM, EV_EXPIRE, ST_EXPIRED, KIND_ANY, ACTOR_SYSTEM},
    {ST_CONFIRMED, EV_EXPIRE, ST_EXPIRED, KIND_ANY, ACTOR_SYSTEM},
    {ST_AWAITING_RETURN, EV_EXPIRE, ST_EXPIRED, STANDARD, ACTOR_SYSTEM},
};

const char *
rma_status_name(enum rma_status s)
{
    return (unsigned)s < ST_COUNT ? status_names[s] : "unknown";
}

int
rma_status_parse(const char *s)
{
    for (int i = 0; s != NULL && i < ST_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

const char *
rma_event_name(enum rma_event e)
{
    return (unsigned)e < EV_COUNT ? event_names[e] : "unknown";
}

const char *
rma_kind_name(enum rma_kind k)
{
    switch (k) {
    case KIND_REFUND: return "refund";
    case KIND_REPLACEMENT: return "replacement";
    case KIND_RESEND: return "resend";
    case KIND_REPAIR: return "repair";
    }
    return "unknown";
}

enum rma_kind
rma_kind_parse(const char *s)
{
    static const enum rma_kind kinds[] = {KIND_REFUND, KIND_REPLACEMENT,
                                          KIND_RESEND, KIND_REPAIR};
    for (size_t i = 0; s != NULL && i < 4; i++)
        if (strcmp(s, rma_kind_name(kinds[i])) == 0)
            return kinds[i];
    return 0;
}

int
rma_state_next(enum rma_status from, enum rma_event event, enum rma_kind kind,
               enum rma_actor actor)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct transition *t = &table[i];
        if (t->from == from && t->event == event && (t->kinds & kind))
            return (t->actors & actor) ? (int)t->to : -1;
    }
    return -1;
}

bool
rma_status_customer_visible(enum rma_status s)
{
    return s != ST_DRAFT && s != ST_PENDING_REVIEW;
}

bool
rma_status_open(enum rma_status s)
{
    return s != ST_COMPLETED && s != ST_CANCELLED && s != ST_EXPIRED;
}

bool
rma_status_in_progress(enum rma_status s)
{
    return rma_status_customer_visible(s) && rma_status_open(s);
}

bool
rma_address_editable(enum rma_status s, enum rma_kind kind, bool advanced)
{
    if (kind == KIND_REFUND)
        return false;
    switch (s) {
    case ST_CONFIRMED:
    case ST_AWAITING_PREAUTH:
    case ST_AWAITING_SHIPMENT: return true;
    case ST_AWAITING_RETURN:
    case ST_RETURN_SUBMITTED:
    case ST_RECEIVED:
    case ST_QUOTE_PENDING: return !advanced; /* ships after the return */
    default: return false;
    }
}
