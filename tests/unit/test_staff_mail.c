/* test_staff_mail.c - the texts staff get (staff_notify.h), and the queue
 * table they are built from (console.h): no I/O. */
#include <criterion/criterion.h>
#include <string.h>

#include "rma/console.h"
#include "rma/staff_notify.h"

Test(staff_mail, the_sign_in_code_stands_on_a_line_of_its_own)
{
    struct mail_text t;
    cr_assert_eq(mail_text_staff_login_code("012345", &t), RMA_OK);
    cr_assert_str_eq(t.subject, "Your RMA console sign-in code");
    cr_assert_not_null(strstr(t.body, "\nCode: 012345\n"));
    mail_text_free(&t);
    cr_assert_eq(mail_text_staff_login_code("12345", &t), RMA_EINVAL);
    cr_assert_eq(mail_text_staff_login_code("12345x", &t), RMA_EINVAL);
}

Test(staff_mail, a_digest_lists_what_waits_and_nothing_is_no_digest)
{
    struct staff_digest_line lines[] = {
        {"Pending review", 3, 2},
        {"Hold decisions", 0, 0},
        {"Customer disagreed", 1, 0},
    };
    struct mail_text t;
    cr_assert_eq(
        mail_text_staff_digest("https://rma.example.com", "Sam", lines, 3, &t),
        RMA_OK);
    cr_assert_str_eq(t.subject, "4 RMA cases wait for you");
    cr_assert_not_null(strstr(t.body, "Hello Sam,"));
    cr_assert_not_null(
        strstr(t.body, "  Pending review: 3 (the oldest for 2 days)\n"));
    cr_assert_not_null(strstr(t.body, "  Customer disagreed: 1\n"));
    cr_assert_null(strstr(t.body, "Hold decisions"), "empty queues left out");
    cr_assert_not_null(strstr(t.body, "https://rma.example.com/staff/"));
    mail_text_free(&t);
    lines[0].count = 0;
    lines[2].count = 0;
    cr_assert_eq(
        mail_text_staff_digest("https://rma.example.com", "Sam", lines, 3, &t),
        RMA_EINVAL, "nothing waits: no digest");
}

Test(staff_mail, the_disagreement_quotes_the_customer_and_links_the_case)
{
    struct mail_text t;
    cr_assert_eq(mail_text_staff_disagreed("https://rma.example.com", "Avery",
                                           "RMA-2026-000042",
                                           "I want a refund.", &t),
                 RMA_OK);
    cr_assert_str_eq(t.subject, "Customer disagreed with RMA-2026-000042");
    cr_assert_not_null(strstr(t.body, "I want a refund."));
    cr_assert_not_null(
        strstr(t.body, "https://rma.example.com/staff/#/rmas/RMA-2026-000042"));
    mail_text_free(&t);
    cr_assert_eq(mail_text_staff_disagreed("https://rma.example.com", NULL,
                                           "RMA-2026-000042\r\nBcc: x", NULL,
                                           &t),
                 RMA_EINVAL, "no header injection through the number");
}

Test(console, every_queue_belongs_to_a_role_and_admins_see_all)
{
    cr_assert_gt(console_nqueues, 0);
    for (size_t i = 0; i < console_nqueues; i++) {
        const struct console_queue *q = &console_queues[i];
        cr_assert_neq(q->roles, 0, "%s", q->name);
        cr_assert_eq(console_queue_find(q->name), q);
        cr_assert(console_queue_visible(q, ROLE_ADMIN));
    }
    cr_assert_null(console_queue_find("nonsense"));
    const struct console_queue *review = console_queue_find("pending_review");
    cr_assert(console_queue_visible(review, ROLE_SUPERVISOR));
    cr_assert_not(console_queue_visible(review, ROLE_AGENT));
    cr_assert_not(console_queue_visible(review, ROLE_WAREHOUSE));
}
