/* mail_row.c - the outbox's row (mail_row.h), shared by its SQL
 * (db_mail.c) and the sender (mail_send.c). */
#include "rma/mail_row.h"

#include <stdlib.h>

void
mail_outbox_row_free(struct mail_outbox_row *row)
{
    free(row->to_addr);
    free(row->subject);
    free(row->body);
    row->to_addr = row->subject = row->body = NULL;
}
