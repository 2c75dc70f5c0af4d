/* test_hold.c - the hold's rules without I/O (SPEC §5.3): deadline,
 * reauthorization and capture timing, extension bounds, reminders. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rma/hold.h"

#define DAY HOLD_DAY

static const time_t T0 = 1800000000; /* an authorization time */

static struct hold
authorized(void)
{
    struct hold h;
    memset(&h, 0, sizeof(h));
    h.status = HOLD_AUTHORIZED;
    h.authorized_at = T0;
    h.expires_at = T0 + 29 * DAY;
    h.honor_until = T0 + 3 * DAY;
    h.deadline = hold_deadline(T0, 25);
    snprintf(h.authorization_id, sizeof(h.authorization_id), "AUTH1");
    return h;
}

static const struct hold_policy policy = {
    .return_window_days = 25,
    .capture_max_attempts = 3,
    .capture_retry_s = DAY,
};

Test(hold, deadline_is_authorization_plus_the_window)
{
    cr_assert_eq(hold_deadline(T0, 25), T0 + 25 * DAY);
    cr_assert_eq(hold_deadline(T0, 1), T0 + DAY);
}

Test(hold, reauthorization_is_due_two_days_before_the_deadline_once)
{
    struct hold h = authorized();
    cr_assert_not(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 23 * DAY - 1));
    cr_assert(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 23 * DAY));
    cr_assert(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 25 * DAY - 1));
    cr_assert_not(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 25 * DAY),
                  "at the deadline the capture comes instead");
    cr_assert_not(hold_reauth_due(&h, ST_RETURN_SUBMITTED, T0 + 23 * DAY),
                  "the return is on its way: no capture, no renewal");
    h.reauth = REAUTH_SUCCEEDED;
    cr_assert_not(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 23 * DAY));
    h.reauth = REAUTH_REFUSED;
    cr_assert_not(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 23 * DAY));
}

Test(hold, never_reauthorized_inside_the_first_honor_period)
{
    struct hold h = authorized();
    h.deadline = T0 + 4 * DAY; /* a short window: 2 days before is day 2 */
    cr_assert_not(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 2 * DAY));
    cr_assert(hold_reauth_due(&h, ST_AWAITING_RETURN, T0 + 3 * DAY));
}

Test(hold, capture_is_due_at_the_deadline_without_return_information)
{
    struct hold h = authorized();
    const char *why = NULL;
    cr_assert_not(hold_capture_due(&h, ST_AWAITING_RETURN, h.deadline - 1,
                                   &policy, &why));
    cr_assert(
        hold_capture_due(&h, ST_AWAITING_RETURN, h.deadline, &policy, &why));
    cr_assert_str_eq(why, "deadline");
    cr_assert_not(hold_capture_due(&h, ST_RETURN_SUBMITTED, h.deadline + DAY,
                                   &policy, &why),
                  "return information stops the clock");
    cr_assert_not(
        hold_capture_due(&h, ST_AWAITING_SHIPMENT, h.deadline, &policy, &why));
    h.void_requested_at = T0 + DAY;
    cr_assert_not(
        hold_capture_due(&h, ST_AWAITING_RETURN, h.deadline, &policy, &why),
        "a release asked for wins");
}

Test(hold, stricter_policy_captures_a_day_before_expiry_if_not_received)
{
    struct hold h = authorized();
    struct hold_policy strict = policy;
    strict.capture_before_expiry = true;
    const char *why = NULL;
    cr_assert_not(hold_capture_due(&h, ST_RETURN_SUBMITTED,
                                   h.expires_at - DAY - 1, &strict, &why));
    cr_assert(hold_capture_due(&h, ST_RETURN_SUBMITTED, h.expires_at - DAY,
                               &strict, &why));
    cr_assert_str_eq(why, "expiry_policy");
    cr_assert_not(hold_capture_due(&h, ST_RETURN_SUBMITTED, h.expires_at - DAY,
                                   &policy, &why),
                  "not under the default policy");
}

Test(hold, declined_capture_waits_for_its_retry)
{
    struct hold h = authorized();
    h.capture_attempts = 1;
    h.next_capture_at = h.deadline + DAY;
    const char *why = NULL;
    cr_assert_not(hold_capture_due(&h, ST_AWAITING_RETURN, h.deadline + 3600,
                                   &policy, &why));
    cr_assert(hold_capture_due(&h, ST_AWAITING_RETURN, h.deadline + DAY,
                               &policy, &why));
}

Test(hold, manual_capture_is_due_at_once)
{
    struct hold h = authorized();
    snprintf(h.capture_reason, sizeof(h.capture_reason), "manual");
    const char *why = NULL;
    cr_assert(
        hold_capture_due(&h, ST_AWAITING_RETURN, T0 + DAY, &policy, &why));
    cr_assert_str_eq(why, "manual");
}

Test(hold, capture_targets_the_reauthorization_void_the_original)
{
    struct hold h = authorized();
    cr_assert_str_eq(hold_capture_target(&h), "AUTH1");
    h.reauth = REAUTH_SUCCEEDED;
    snprintf(h.reauthorization_id, sizeof(h.reauthorization_id), "AUTH2");
    cr_assert_str_eq(hold_capture_target(&h), "AUTH2");
    h.reauth = REAUTH_REFUSED;
    cr_assert_str_eq(hold_capture_target(&h), "AUTH1");
}

Test(hold, extension_stays_inside_the_authorization)
{
    struct hold h = authorized();
    cr_assert_null(hold_extension_refusal(&h, h.expires_at - DAY),
                   "exactly at the bound");
    cr_assert_not_null(hold_extension_refusal(&h, h.expires_at - DAY + 1),
                       "one second past it");
    cr_assert_not_null(hold_extension_refusal(&h, h.deadline),
                       "not earlier or equal");
    h.status = HOLD_VOIDED;
    cr_assert_not_null(hold_extension_refusal(&h, h.deadline + DAY));
}

Test(hold, reminders_seven_and_two_days_before)
{
    static const int days[] = {7, 2};
    struct hold h = authorized();
    cr_assert_eq(hold_reminder_due(&h, ST_AWAITING_RETURN,
                                   h.deadline - 7 * DAY - 1, days, 2),
                 0);
    cr_assert_eq(hold_reminder_due(&h, ST_AWAITING_RETURN, h.deadline - 7 * DAY,
                                   days, 2),
                 7);
    h.reminded |= 1u << 7;
    cr_assert_eq(hold_reminder_due(&h, ST_AWAITING_RETURN, h.deadline - 3 * DAY,
                                   days, 2),
                 0);
    cr_assert_eq(hold_reminder_due(&h, ST_AWAITING_RETURN, h.deadline - 2 * DAY,
                                   days, 2),
                 2);
    cr_assert_eq(hold_reminder_due(&h, ST_RETURN_SUBMITTED,
                                   h.deadline - 2 * DAY, days, 2),
                 0, "no reminder once the return is submitted");
    struct hold late = authorized();
    cr_assert_eq(hold_reminder_due(&late, ST_AWAITING_RETURN,
                                   late.deadline - DAY, days, 2),
                 2, "a late start sends only the nearest reminder");
    late.reminded |= 1u << 2;
    cr_assert_eq(hold_reminder_due(&late, ST_AWAITING_RETURN,
                                   late.deadline - DAY, days, 2),
                 0, "and never the farther one afterwards");
}

Test(hold, status_names_round_trip)
{
    for (int s = HOLD_PENDING_APPROVAL; s <= HOLD_FAILED; s++)
        cr_assert_eq(hold_status_parse(hold_status_name((enum hold_status)s)),
                     s);
    cr_assert_eq(hold_status_parse("nope"), -1);
}
