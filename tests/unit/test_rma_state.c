/* test_rma_state.c - every allowed transition of SPEC §4.1, and every other
 * (status, event, kind, actor) combination refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rma/rma_state.h"

/* The specification, written independently of the table in rma_state.c:
 * "from event kinds actors to" with kinds/actors as comma lists or "*". */
static const char *const allowed[] = {
    "draft submit * agent,supervisor pending_confirm",
    "draft submit_reviewed * agent,supervisor pending_review",
    "pending_review approve * supervisor pending_confirm",
    "pending_review send_back * supervisor draft",
    "rejected revise * agent,supervisor draft",
    "pending_confirm revise * agent,supervisor draft",
    "pending_confirm agree * customer confirmed",
    "pending_confirm disagree * customer rejected",
    "pending_confirm confirm_on_behalf * agent,supervisor confirmed",
    "confirmed start_fulfilment refund,repair system awaiting_return",
    "confirmed start_fulfilment resend system awaiting_shipment",
    "confirmed choose_standard replacement customer,agent,supervisor "
    "awaiting_return",
    "confirmed choose_advanced replacement customer awaiting_preauth",
    "awaiting_preauth choose_standard replacement customer,agent,supervisor "
    "awaiting_return",
    "awaiting_preauth preauthorized replacement system awaiting_shipment",
    "awaiting_shipment ship replacement warehouse awaiting_return",
    "awaiting_shipment ship resend warehouse completed",
    "awaiting_return capture replacement system,supervisor charged",
    "awaiting_return capture_failed replacement system capture_failed",
    "return_submitted capture replacement system charged",
    "return_submitted capture_failed replacement system capture_failed",
    "awaiting_return waive replacement supervisor,system completed",
    "return_submitted waive replacement supervisor,system completed",
    "charged receive replacement warehouse received",
    "charged submit_return replacement customer charged",
    "capture_failed submit_return replacement customer capture_failed",
    "capture_failed receive replacement warehouse received",
    /* finance resolved the failed capture's exception (SPEC §14) */
    "capture_failed complete replacement system completed",
    "awaiting_return submit_return refund,replacement,repair customer "
    "return_submitted",
    "awaiting_return receive refund,replacement,repair warehouse received",
    "return_submitted receive refund,replacement,repair warehouse received",
    "received refund_due refund warehouse,system refund_due",
    "refund_due complete refund system,supervisor completed",
    "received ship replacement warehouse replacement_shipped",
    "replacement_shipped complete replacement system,warehouse completed",
    "received complete replacement system,warehouse,supervisor completed",
    "received quote repair warehouse quote_pending",
    "quote_pending quote_decided repair customer,system received",
    "received ship_repaired repair warehouse repair_shipped",
    "repair_shipped complete repair system,warehouse completed",
    "draft cancel * agent,supervisor cancelled",
    "pending_review cancel * agent,supervisor cancelled",
    "pending_confirm cancel * agent,supervisor cancelled",
    "confirmed cancel * agent,supervisor cancelled",
    "rejected cancel * agent,supervisor cancelled",
    "awaiting_preauth cancel * agent,supervisor cancelled",
    "awaiting_shipment cancel * agent,supervisor cancelled",
    "awaiting_return cancel * agent,supervisor cancelled",
    "return_submitted cancel * agent,supervisor cancelled",
    "received cancel * agent,supervisor cancelled",
    "quote_pending cancel * agent,supervisor cancelled",
    "capture_failed cancel * supervisor cancelled",
    "pending_confirm expire * system expired",
    "confirmed expire * system expired",
    "awaiting_return expire refund,replacement,repair system expired",
};

static const struct {
    const char *name;
    enum rma_actor actor;
} actors[] = {
    {"customer", ACTOR_CUSTOMER},     {"agent", ACTOR_AGENT},
    {"supervisor", ACTOR_SUPERVISOR}, {"warehouse", ACTOR_WAREHOUSE},
    {"system", ACTOR_SYSTEM},
};
static const enum rma_kind kinds[] = {KIND_REFUND, KIND_REPLACEMENT,
                                      KIND_RESEND, KIND_REPAIR};

static int
in_list(const char *list, const char *word)
{
    if (strcmp(list, "*") == 0)
        return 1;
    char buf[128];
    snprintf(buf, sizeof(buf), ",%s,", list);
    char w[64];
    snprintf(w, sizeof(w), ",%s,", word);
    return strstr(buf, w) != NULL;
}

/* The expected next status, or -1. */
static int
expected(enum rma_status from, enum rma_event ev, enum rma_kind kind,
         const char *actor)
{
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        char f[40], e[40], k[80], a[80], t[40];
        cr_assert_eq(
            sscanf(allowed[i], "%39s %39s %79s %79s %39s", f, e, k, a, t), 5);
        if (strcmp(f, rma_status_name(from)) == 0 &&
            strcmp(e, rma_event_name(ev)) == 0 &&
            in_list(k, rma_kind_name(kind)) && in_list(a, actor)) {
            int to = rma_status_parse(t);
            cr_assert_geq(to, 0, "%s", t);
            return to;
        }
    }
    return -1;
}

Test(rma_state, every_combination_matches_the_specification)
{
    int allowed_seen = 0;
    for (int s = 0; s < ST_COUNT; s++)
        for (int e = 0; e < EV_COUNT; e++)
            for (size_t k = 0; k < 4; k++)
                for (size_t a = 0; a < 5; a++) {
                    int want = expected((enum rma_status)s, (enum rma_event)e,
                                        kinds[k], actors[a].name);
                    int got =
                        rma_state_next((enum rma_status)s, (enum rma_event)e,
                                       kinds[k], actors[a].actor);
                    cr_assert_eq(got, want, "%s --%s--> (%s by %s): got %d",
                                 rma_status_name((enum rma_status)s),
                                 rma_event_name((enum rma_event)e),
                                 rma_kind_name(kinds[k]), actors[a].name, got);
                    allowed_seen += got >= 0;
                }
    cr_assert_gt(allowed_seen, 100);
}

Test(rma_state, agree_and_disagree_only_in_pending_confirm)
{
    for (int s = 0; s < ST_COUNT; s++) {
        int agree = rma_state_next((enum rma_status)s, EV_AGREE,
                                   KIND_REPLACEMENT, ACTOR_CUSTOMER);
        int disagree = rma_state_next((enum rma_status)s, EV_DISAGREE,
                                      KIND_REFUND, ACTOR_CUSTOMER);
        if (s == ST_PENDING_CONFIRM) {
            cr_assert_eq(agree, ST_CONFIRMED);
            cr_assert_eq(disagree, ST_REJECTED);
        } else {
            cr_assert_eq(agree, -1, "%s", rma_status_name((enum rma_status)s));
            cr_assert_eq(disagree, -1);
        }
    }
}

Test(rma_state, staff_cannot_agree_for_the_customer_without_saying_so)
{
    cr_assert_eq(
        rma_state_next(ST_PENDING_CONFIRM, EV_AGREE, KIND_REFUND, ACTOR_AGENT),
        -1);
    cr_assert_eq(rma_state_next(ST_PENDING_CONFIRM, EV_CONFIRM_ON_BEHALF,
                                KIND_REFUND, ACTOR_AGENT),
                 ST_CONFIRMED);
}

Test(rma_state, names_round_trip_and_visibility)
{
    for (int s = 0; s < ST_COUNT; s++)
        cr_assert_eq(rma_status_parse(rma_status_name((enum rma_status)s)), s);
    cr_assert_eq(rma_status_parse("nope"), -1);
    cr_assert_eq(rma_kind_parse("repair"), KIND_REPAIR);
    cr_assert_eq(rma_kind_parse("gift"), 0);
    cr_assert_not(rma_status_customer_visible(ST_DRAFT));
    cr_assert_not(rma_status_customer_visible(ST_PENDING_REVIEW));
    cr_assert(rma_status_customer_visible(ST_PENDING_CONFIRM));
    cr_assert(rma_status_in_progress(ST_AWAITING_RETURN));
    cr_assert_not(rma_status_in_progress(ST_COMPLETED));
    cr_assert_not(rma_status_open(ST_CANCELLED));
}

/* SPEC §14: the address may change until the unit ships; staff may set it
 * while they prepare the solution; a refund ships nothing. */
Test(rma_state, the_shipping_address_is_editable_until_the_unit_ships)
{
    cr_assert(rma_address_editable(ST_AWAITING_PREAUTH, KIND_REPLACEMENT, true,
                                   false));
    cr_assert(rma_address_editable(ST_AWAITING_SHIPMENT, KIND_REPLACEMENT, true,
                                   false));
    cr_assert_not(
        rma_address_editable(ST_AWAITING_RETURN, KIND_REPLACEMENT, true, false),
        "an advanced replacement has shipped by then");
    cr_assert(rma_address_editable(ST_AWAITING_RETURN, KIND_REPLACEMENT, false,
                                   false),
              "a standard one ships after the return");
    cr_assert(rma_address_editable(ST_RECEIVED, KIND_REPAIR, false, false));
    cr_assert_not(
        rma_address_editable(ST_REPAIR_SHIPPED, KIND_REPAIR, false, true));
    cr_assert_not(
        rma_address_editable(ST_DRAFT, KIND_REPLACEMENT, false, false));
    cr_assert(rma_address_editable(ST_DRAFT, KIND_REPLACEMENT, false, true));
    cr_assert_not(rma_address_editable(ST_CONFIRMED, KIND_REFUND, false, true));
    cr_assert_not(rma_address_editable(ST_COMPLETED, KIND_RESEND, false, true));
    /* Before shipping, on either path. */
    cr_assert(
        rma_address_editable(ST_CONFIRMED, KIND_REPLACEMENT, false, false));
    cr_assert(rma_address_editable(ST_AWAITING_PREAUTH, KIND_REPLACEMENT, true,
                                   false));
    cr_assert(
        rma_address_editable(ST_AWAITING_SHIPMENT, KIND_RESEND, false, false));
    /* The standard path ships after the return: editable meanwhile. */
    cr_assert(rma_address_editable(ST_RETURN_SUBMITTED, KIND_REPLACEMENT, false,
                                   false));
    cr_assert(
        rma_address_editable(ST_QUOTE_PENDING, KIND_REPAIR, false, false));
    /* The advanced path has shipped by then. */
    cr_assert_not(rma_address_editable(ST_AWAITING_RETURN, KIND_REPLACEMENT,
                                       true, false));
    cr_assert_not(
        rma_address_editable(ST_RECEIVED, KIND_REPLACEMENT, true, false));
    /* Nothing ships on a refund; nothing changes before agreement or after
     * the end. */
    cr_assert_not(
        rma_address_editable(ST_CONFIRMED, KIND_REFUND, false, false));
    cr_assert_not(rma_address_editable(ST_PENDING_CONFIRM, KIND_REPLACEMENT,
                                       false, false));
    cr_assert_not(
        rma_address_editable(ST_COMPLETED, KIND_REPLACEMENT, false, false));
}
