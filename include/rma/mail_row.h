/* mail_row.h - a message of the outbox as the database layer (db_mail.c)
 * hands it to the sender (mail.h), below both. */
#ifndef RMA_MAIL_ROW_H
#define RMA_MAIL_ROW_H

#include <stdint.h>
#include <time.h>

#define MAIL_KIND_MAX 32
#define MAIL_ID_LEN 36 /* "rma." and 32 hex digits */

/* A claimed message. */
struct mail_outbox_row {
    int64_t id;
    char kind[MAIL_KIND_MAX + 1];
    char message_id[MAIL_ID_LEN + 1];
    char *to_addr; /* owned, like subject and body; mail_outbox_row_free */
    char *subject;
    char *body;
    time_t created_at;
    int attempts; /* including this one */
};

/* Frees what row owns and clears its pointers (mail_row.c). */
void mail_outbox_row_free(struct mail_outbox_row *row);

#endif
