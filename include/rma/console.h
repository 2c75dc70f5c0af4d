/* console.h - what waits for whom (SPEC §15): the staff console's queues
 * per role, oldest first with the case's age, and the warehouse's scan
 * box.  The queue table (names, titles, roles) is console.c's; the SQL of
 * each queue is db_console.c's. */
#ifndef RMA_CONSOLE_H
#define RMA_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "rma/arena.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/staff.h"

struct console_queue {
    const char *name;  /* "pending_review": the API's and the SQL's name */
    const char *title; /* "Pending review": what the console shows */
    unsigned roles;    /* enum staff_role bits whose work it is */
};

extern const struct console_queue console_queues[];
extern const size_t console_nqueues;

/* The queue named name, or NULL. */
const struct console_queue *console_queue_find(const char *name);
/* Whether role sees queue q (its own role's, or any for admin). */
bool console_queue_visible(const struct console_queue *q, enum staff_role role);

struct console_count {
    char name[32];
    long count;
    char oldest[32]; /* ISO 8601 UTC of the oldest item, "" when empty */
};

/* Every queue's count, at most max (console_nqueues is enough). */
enum rma_err db_console_counts(struct db *db, const char *now,
                               struct console_count *out, size_t max,
                               size_t *n);
/* One queue's items, oldest first, at most limit, as a JSON array (arena).
 * queue must be a console_queues name. */
enum rma_err db_console_queue_json(struct db *db, const char *queue,
                                   const char *now, int limit, struct arena *a,
                                   char **json);
/* Cases found by code (an RMA number, outbound tracking number, S/N or
 * UID, compared without case) or normalized (a return tracking number as
 * stored: no spaces or dashes, upper case), newest first, at most 20:
 * [{number, kind, status, customer_email, matched_by, devices}]. */
enum rma_err db_console_scan_json(struct db *db, const char *code,
                                  const char *normalized, struct arena *a,
                                  char **json);

#endif
