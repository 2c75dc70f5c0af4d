/* mail_sender.c - the long-running mail sender (`rmactl mail-sender`): it
 * delivers the outbox within moments of a message being queued.
 *
 * It LISTENs on its own connection for the notification that
 * sql/migrations/0015_mail_notify.sql's trigger sends when a transaction
 * that queued mail commits, and delivers with mail_deliver_pass, whose
 * claims (FOR UPDATE SKIP LOCKED, leases) let any number of senders and
 * `run-jobs` passes share the outbox without delivering a message twice.
 * Besides notifications it sweeps on start, after every reconnection (a
 * notification sent meanwhile is lost), when the next retry or lease
 * falls due, and every interval_seconds.  Between sweeps it sleeps in
 * poll(): no busy loop. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "rma/log.h"
#include "rma/mail.h"

#define PASS_MAX 100 /* claims between two looks at the notifications */
#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS 5000
#define WAIT_MIN_MS 100 /* a message due now but locked by another sender */

/* Reads wake_fd (non-blocking) until it is empty. */
static void
drain(int wake_fd)
{
    char buf[64];
    if (wake_fd < 0)
        return;
    while (read(wake_fd, buf, sizeof(buf)) > 0)
        ;
}

/* Sleeps ms, or less when wake_fd becomes readable or a signal comes. */
static void
nap(int ms, int wake_fd)
{
    struct pollfd p = {.fd = wake_fd, .events = POLLIN};
    if (poll(&p, wake_fd >= 0 ? 1 : 0, ms) > 0)
        drain(wake_fd);
}

static int
next_retry(int ms)
{
    return ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : ms * 2;
}

/* How long to wait for a notification: until the next retry or lease
 * falls due, at most interval_ms. */
static int
wait_ms(struct db *db, int interval_ms)
{
    int64_t due;
    bool none;
    if (db_mail_next_due(db, &due, &none) != RMA_OK || none ||
        due >= interval_ms)
        return interval_ms;
    return due < WAIT_MIN_MS ? WAIT_MIN_MS : (int)due;
}

enum rma_err
mail_sender_run(const struct rma_config *cfg,
                const struct mail_sender_options *opt,
                const volatile sig_atomic_t *quit, int wake_fd,
                struct mail_sender_totals *t)
{
    struct db db;
    db_init(&db, cfg->database_url, "rmactl-mail-sender");
    const int interval_ms = opt->interval_seconds * 1000;
    bool listening = false, lost_logged = false;
    unsigned long listened_at = 0; /* db.reconnects when LISTEN ran */
    int retry_ms = RETRY_FIRST_MS;

    while (!*quit) {
        /* A new connection listens to nothing: LISTEN on each one, then
         * sweep, as notifications sent while there was none are lost. */
        if (!listening || db.reconnects != listened_at) {
            listening = false;
            if (db_mail_listen(&db) != RMA_OK) {
                if (!lost_logged)
                    log_event(LOG_WARN, "mail_sender_waiting_for_database",
                              "{s:i}", "retry_ms", retry_ms);
                lost_logged = true;
                nap(retry_ms, wake_fd);
                retry_ms = next_retry(retry_ms);
                continue;
            }
            listening = true;
            listened_at = db.reconnects;
            log_event(LOG_INFO, "mail_sender_listening", "{s:I}", "reconnects",
                      (json_int_t)db.reconnects);
            lost_logged = false;
        }

        struct mail_pass pass;
        enum rma_err err = mail_deliver_pass(&db, cfg, PASS_MAX, quit, &pass);
        t->sent += pass.sent;
        t->dropped += pass.dropped;
        t->retried += pass.retried;
        t->failed += pass.failed;
        if (err != RMA_OK) {
            /* The database went away (or refused a statement): start
             * again, LISTEN included, after a pause that grows while this
             * goes on. */
            listening = false;
            nap(retry_ms, wake_fd);
            retry_ms = next_retry(retry_ms);
            continue;
        }
        retry_ms = RETRY_FIRST_MS;
        if (pass.more)
            continue;

        bool notified = false;
        err = db_mail_wait(&db, wait_ms(&db, interval_ms), wake_fd, &notified);
        drain(wake_fd);
        if (err != RMA_OK)
            listening = false;
    }

    db_close(&db);
    return RMA_OK;
}
