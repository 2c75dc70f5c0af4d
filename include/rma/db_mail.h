/* db_mail.h - the SQL of the mail outbox (db_mail.c;
 * sql/migrations/0004_mail_outbox.sql).  Below the mail module (mail.h),
 * which includes it; the row they share is rma/mail_row.h. */
#ifndef RMA_DB_MAIL_H
#define RMA_DB_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/mail_row.h"

/* Queues one message; rma_id 0 is stored as NULL. */
enum rma_err db_mail_insert(struct db *db, const char *kind, int64_t rma_id,
                            const char *to, const char *subject,
                            const char *body, const char *message_id);
/* Claims the next due message for lease_seconds and counts the attempt.
 * RMA_ENOTFOUND when nothing is due; RMA_EINTERNAL inside a transaction. */
enum rma_err db_mail_claim(struct db *db, int lease_seconds,
                           struct mail_outbox_row *out);
enum rma_err db_mail_mark_sent(struct db *db, int64_t id);
/* Records error and schedules the next attempt, or marks the message failed
 * when it is too old to retry (*gave_up). */
enum rma_err db_mail_mark_retry(struct db *db, int64_t id, const char *error,
                                bool *gave_up);
/* LISTENs on the channel the outbox's trigger NOTIFYs (a new connection
 * listens to nothing: call it again after each reconnection). */
enum rma_err db_mail_listen(struct db *db);
/* Milliseconds until the next message falls due (a retry's time, or the
 * end of a lease), 0 or less when one is due now; *none when no message
 * waits at all. */
enum rma_err db_mail_next_due(struct db *db, int64_t *ms, bool *none);
/* Waits up to timeout_ms for a notification on a listening connection or
 * for wake_fd (-1: none) to be readable; *notified when a notification
 * came (all those pending are taken).  RMA_OK also on a timeout, a signal
 * or wake_fd; RMA_EDB when the connection is lost (reconnect and LISTEN
 * again). */
enum rma_err db_mail_wait(struct db *db, int timeout_ms, int wake_fd,
                          bool *notified);

#endif
