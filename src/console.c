/* console.c - the staff console's queues: which role works on which
 * (SPEC §15).  Supervisors review and decide on holds; agents revise what
 * was sent back or disagreed with; the warehouse ships, receives and
 * inspects; finance closes exceptions and make-up claims.  An admin sees
 * every queue.  No I/O: the SQL is in db_console.c. */
#include "rma/console.h"

#include <string.h>

const struct console_queue console_queues[] = {
    {"drafts", "Drafts", ROLE_AGENT},
    {"sent_back", "Sent back", ROLE_AGENT},
    {"disagreed", "Customer disagreed", ROLE_AGENT | ROLE_SUPERVISOR},
    {"pending_review", "Pending review", ROLE_SUPERVISOR},
    {"hold_decisions", "Hold decisions", ROLE_SUPERVISOR},
    {"extensions", "Deadlines near (extensions)", ROLE_SUPERVISOR},
    {"awaiting_shipment", "Awaiting shipment", ROLE_WAREHOUSE},
    {"returns_on_the_way", "Returns on the way", ROLE_WAREHOUSE},
    {"to_inspect", "Received, to inspect", ROLE_WAREHOUSE},
    {"exceptions", "Exceptions", ROLE_FINANCE},
    {"makeup_claims", "Make-up claims", ROLE_FINANCE},
    {"refunds_due", "Refunds to pay", ROLE_FINANCE},
};
const size_t console_nqueues =
    sizeof(console_queues) / sizeof(console_queues[0]);

const struct console_queue *
console_queue_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < console_nqueues; i++)
        if (strcmp(console_queues[i].name, name) == 0)
            return &console_queues[i];
    return NULL;
}

bool
console_queue_visible(const struct console_queue *q, enum staff_role role)
{
    return role == ROLE_ADMIN || (q->roles & (unsigned)role) != 0;
}
