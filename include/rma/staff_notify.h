/* staff_notify.h - what the staff console's people are told by mail
 * (SPEC §15, issue 17): their sign-in code, a daily digest of what waits in
 * their queues, and at once when their customer disagrees.
 *
 * The texts (mail_staff.c) are plain UTF-8 and do no I/O; the digest job
 * (staff_notify.c) runs in `rmactl run-jobs`. */
#ifndef RMA_STAFF_NOTIFY_H
#define RMA_STAFF_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "rma/config.h"
#include "rma/db.h"
#include "rma/mail.h"

/* "Your RMA console sign-in code"; "Code: 123456" on a line of its own. */
enum rma_err mail_text_staff_login_code(const char *code,
                                        struct mail_text *out);

/* One queue of a digest: its title, how many wait, the oldest's age. */
struct staff_digest_line {
    const char *title;
    long count;
    long oldest_days;
};

/* "N cases wait for you" with one line per non-empty queue and a link to
 * the console (base_url + "/staff/").  RMA_EINVAL when nothing waits. */
enum rma_err mail_text_staff_digest(const char *base_url, const char *name,
                                    const struct staff_digest_line *lines,
                                    size_t n, struct mail_text *out);

/* The customer of rma_number disagreed with the solution (comment: their
 * words, may be NULL). */
enum rma_err mail_text_staff_disagreed(const char *base_url, const char *name,
                                       const char *rma_number,
                                       const char *comment,
                                       struct mail_text *out);

/* The digest step of run-jobs: from staff_digest_hour (UTC) on, each active
 * person whose queues hold something and who has had no digest today gets
 * one (marked in the same transaction as the message is queued, so two
 * runners never send two).  Nothing is sent when nothing waits.  *sent gets
 * the count (with dry_run, the count that would be sent). */
enum rma_err staff_digest_run(struct db *db, const struct rma_config *cfg,
                              time_t now, bool dry_run, int *sent);

/* Queues the "customer disagreed" mail to the person who created the case
 * (its created_by, when that is an active account; nothing otherwise), on
 * db's connection in the caller's transaction; the mail sender delivers it
 * once that commits. */
enum rma_err staff_notify_disagreed(struct db *db, const struct rma_config *cfg,
                                    int64_t rma_id, const char *comment);

#endif
