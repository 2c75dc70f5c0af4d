/* db_mail.c - SQL for the mail outbox (sql/migrations/0004_mail_outbox.sql)
 * and the senders' wake-up (0015_mail_notify.sql).
 *
 * Claims are leases: one autocommitted UPDATE picks the next due message
 * with FOR UPDATE SKIP LOCKED and sets claimed_until, so concurrent senders
 * skip it (locked, or leased once committed) and a sender that dies only
 * delays it until the lease runs out.
 *
 * A sender LISTENs on MAIL_CHANNEL, which a trigger NOTIFYs when mail is
 * queued, and waits for it with poll() on the connection's socket. */
#include "rma/db_mail.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/log.h"
#include "rma/metrics.h"

/* The channel of 0015_mail_notify.sql's trigger. */
#define MAIL_CHANNEL "rma_mail_outbox"

static const struct db_stmt stmts[] = {
    {"mail_insert",
     "INSERT INTO mail_outbox (kind, rma_id, to_addr, subject, body,"
     " message_id) VALUES ($1, NULLIF($2::bigint, 0), $3, $4, $5, $6)",
     6},
    {"mail_claim",
     "UPDATE mail_outbox m"
     " SET claimed_until = now() + $1::integer * interval '1 second',"
     " attempts = m.attempts + 1"
     " FROM (SELECT id FROM mail_outbox"
     " WHERE sent_at IS NULL AND failed_at IS NULL"
     " AND next_attempt_at <= now()"
     " AND (claimed_until IS NULL OR claimed_until <= now())"
     " ORDER BY next_attempt_at, id LIMIT 1"
     " FOR UPDATE SKIP LOCKED) due"
     " WHERE m.id = due.id"
     " RETURNING m.id, m.kind, m.message_id, m.to_addr, m.subject, m.body,"
     " floor(extract(epoch FROM m.created_at))::bigint, m.attempts",
     1},
    /* A login code is useless once used or expired: its text is not kept. */
    {"mail_mark_sent",
     "UPDATE mail_outbox SET sent_at = now(), claimed_until = NULL,"
     " body = CASE WHEN kind IN ('login_code', 'login_code_unknown')"
     " THEN '' ELSE body END"
     " WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL",
     1},
    /* Backoff 1, 2, 4 ... 60 minutes; a message 24 hours old (a login code
     * 15 minutes old) is marked failed instead, and kept. */
    {"mail_mark_retry",
     "WITH m AS (SELECT id, now() >= created_at + CASE kind"
     " WHEN 'login_code' THEN interval '15 minutes'"
     " WHEN 'login_code_unknown' THEN interval '15 minutes'"
     " ELSE interval '24 hours' END AS give_up"
     " FROM mail_outbox WHERE id = $1)"
     " UPDATE mail_outbox o SET claimed_until = NULL,"
     " last_error = left($2, 1000),"
     " next_attempt_at = now() + interval '1 minute'"
     " * least(60, power(2, least(greatest(o.attempts - 1, 0), 6))),"
     " failed_at = CASE WHEN m.give_up THEN now() END,"
     " body = CASE WHEN m.give_up AND o.kind IN ('login_code',"
     " 'login_code_unknown') THEN ''"
     " ELSE o.body END"
     " FROM m WHERE o.id = m.id AND o.sent_at IS NULL AND o.failed_at IS NULL"
     " RETURNING o.failed_at IS NOT NULL",
     2},
    {"mail_listen", "LISTEN " MAIL_CHANNEL, 0},
    /* When the next message falls due, in milliseconds from now: its next
     * attempt, or the end of its lease when that is later (greatest skips
     * a NULL claimed_until).  NULL when nothing waits. */
    {"mail_next_due",
     "SELECT floor(extract(epoch FROM"
     " min(greatest(next_attempt_at, claimed_until)) - now()) * 1000)::bigint"
     " FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL",
     0},
};
const struct db_stmt_table db_mail_stmts = {stmts,
                                            sizeof(stmts) / sizeof(stmts[0])};

enum rma_err
db_mail_insert(struct db *db, const char *kind, int64_t rma_id, const char *to,
               const char *subject, const char *body, const char *message_id)
{
    char rma[24];
    snprintf(rma, sizeof(rma), "%lld", (long long)rma_id);
    const char *params[] = {kind, rma, to, subject, body, message_id};
    enum rma_err err;
    PGresult *r = db_run(db, "mail_insert", 6, params, &err);
    if (r == NULL)
        return err;
    PQclear(r);
    return RMA_OK;
}

static char *
dup_col(const PGresult *r, int col)
{
    return strdup(PQgetvalue(r, 0, col));
}

enum rma_err
db_mail_claim(struct db *db, int lease_seconds, struct mail_outbox_row *out)
{
    memset(out, 0, sizeof(*out));
    if (db->conn != NULL) {
        PGTransactionStatusType ts = PQtransactionStatus(db_pg(db));
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR ||
            ts == PQTRANS_ACTIVE) {
            /* A claim must commit at once to be seen by other senders. */
            log_event(LOG_ERROR, "mail_claim_in_transaction", NULL);
            return RMA_EINTERNAL;
        }
    }
    char lease[16];
    snprintf(lease, sizeof(lease), "%d", lease_seconds);
    const char *params[] = {lease};
    enum rma_err err;
    PGresult *r = db_run(db, "mail_claim", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(out->kind, sizeof(out->kind), "%s", PQgetvalue(r, 0, 1));
    snprintf(out->message_id, sizeof(out->message_id), "%s",
             PQgetvalue(r, 0, 2));
    out->to_addr = dup_col(r, 3);
    out->subject = dup_col(r, 4);
    out->body = dup_col(r, 5);
    out->created_at = (time_t)strtoll(PQgetvalue(r, 0, 6), NULL, 10);
    out->attempts = (int)strtol(PQgetvalue(r, 0, 7), NULL, 10);
    PQclear(r);
    if (out->to_addr == NULL || out->subject == NULL || out->body == NULL) {
        mail_outbox_row_free(out);
        return RMA_EINTERNAL; /* out of memory: the lease will run out */
    }
    return RMA_OK;
}

enum rma_err
db_mail_mark_sent(struct db *db, int64_t id)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    const char *params[] = {sid};
    enum rma_err err;
    PGresult *r = db_run(db, "mail_mark_sent", 1, params, &err);
    if (r == NULL)
        return err;
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return n == 1 ? RMA_OK : RMA_ENOTFOUND;
}

enum rma_err
db_mail_mark_retry(struct db *db, int64_t id, const char *error, bool *gave_up)
{
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    const char *params[] = {sid, error};
    enum rma_err err;
    *gave_up = false;
    PGresult *r = db_run(db, "mail_mark_retry", 2, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_ENOTFOUND;
    }
    *gave_up = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_mail_listen(struct db *db)
{
    enum rma_err err;
    PGresult *r = db_run(db, "mail_listen", 0, NULL, &err);
    if (r == NULL)
        return err;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_mail_next_due(struct db *db, int64_t *ms, bool *none)
{
    *ms = 0;
    *none = true;
    enum rma_err err;
    PGresult *r = db_run(db, "mail_next_due", 0, NULL, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        *ms = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        *none = false;
    }
    PQclear(r);
    return RMA_OK;
}

/* Reads what the server sent and takes every notification it holds;
 * *notified when there was one.  false when the connection is lost (the
 * next db_ensure reconnects). */
static bool
take_notifications(struct db *db, bool *notified)
{
    PGconn *c = db_pg(db);
    if (PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK) {
        metrics_count_db_error();
        log_event(LOG_WARN, "db_connection_lost", "{s:s}", "error",
                  PQerrorMessage(c));
        db->prepared = false;
        return false;
    }
    PGnotify *n;
    while ((n = PQnotifies(c)) != NULL) {
        *notified = true;
        PQfreemem(n);
    }
    /* An error the server sent while idle (its shutdown) is parsed by
     * PQnotifies; the end of the connection may come with it. */
    if (PQstatus(c) != CONNECTION_OK) {
        db->prepared = false;
        return false;
    }
    return true;
}

enum rma_err
db_mail_wait(struct db *db, int timeout_ms, int wake_fd, bool *notified)
{
    *notified = false;
    if (db->conn == NULL || !db->prepared ||
        PQstatus(db_pg(db)) != CONNECTION_OK)
        return RMA_EDB;
    /* A notification that came with the answer to an earlier statement
     * is already in libpq's buffer: poll() would not see it. */
    if (!take_notifications(db, notified))
        return RMA_EDB;
    if (*notified)
        return RMA_OK;
    int sock = PQsocket(db_pg(db));
    if (sock < 0)
        return RMA_EDB;
    struct pollfd fds[2] = {
        {.fd = sock, .events = POLLIN},
        {.fd = wake_fd, .events = POLLIN},
    };
    int n = poll(fds, wake_fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0)
        return errno == EINTR ? RMA_OK : RMA_EINTERNAL;
    if (n > 0 && fds[0].revents != 0 && !take_notifications(db, notified))
        return RMA_EDB;
    return RMA_OK;
}
