/* mail.h - outgoing mail: the outbox, message rendering, delivery, the
 * sender process and the texts of the messages the service sends.
 *
 * A message is enqueued in the same transaction as its cause (mail_enqueue
 * runs one INSERT on the caller's connection and never sends), and delivered
 * by the sender (`rmactl mail-sender`, woken by the INSERT's notification)
 * and by every `rmactl run-jobs`, both through mail_deliver_due's claims:
 * by SMTP through libcurl when smtp_url is set, otherwise as one .eml file
 * a message in mail_spool_dir.  A failed delivery is retried with
 * exponential backoff and never lost.  The outbox's row is
 * rma/mail_row.h and its SQL rma/db_mail.h, below this module. */
#ifndef RMA_MAIL_H
#define RMA_MAIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rma/buf.h"
#include "rma/config.h"
#include "rma/db.h"
#include "rma/db_mail.h"
#include "rma/err.h"
#include "rma/mail_row.h"

#define MAIL_SUBJECT_MAX 500      /* bytes of UTF-8 */
#define MAIL_BODY_MAX (64 * 1024) /* bytes of UTF-8, before encoding */
#define MAIL_ADDR_MAX 254
#define MAIL_RENDERED_MAX (4 * MAIL_BODY_MAX)

/* ------------------------------------------------------------------ */
/* The outbox */

/* Queues a message: one INSERT on db's connection, so it commits or rolls
 * back with the caller's open transaction.  kind is a lower-case word
 * ("login_code", "action_required", ...); rma_id is the case it is about,
 * or 0 for none; to is a bare address; subject and body are UTF-8 (the
 * body's lines end in LF or CRLF).  RMA_EINVAL for an unusable address,
 * subject (CR, LF or another control character: no header injection) or
 * body; RMA_EDB or another database error otherwise.  Never sends. */
enum rma_err mail_enqueue(struct db *db, const char *kind, int64_t rma_id,
                          const char *to, const char *subject,
                          const char *body);

/* The kinds a sign-in code request queues (api_auth.c): the code for an
 * address that has cases, and the same message for one that has none,
 * which the sender drops without delivering it, so that both requests do
 * the same work and take the same time (SPEC §12). */
#define MAIL_KIND_LOGIN_CODE "login_code"
#define MAIL_KIND_LOGIN_CODE_UNKNOWN "login_code_unknown"

/* Delivers up to max due messages, one claim at a time, each leased for
 * cfg->mail_lease_seconds (0: 300) with FOR UPDATE SKIP LOCKED so that
 * concurrent senders never deliver one twice; a sender that dies holding a
 * lease delays that message until the lease runs out.
 * A delivered message is marked sent; a failure is recorded (last_error,
 * never a secret) and retried 1, 2, 4 ... up to 60 minutes later, until the
 * message is 24 hours old (15 minutes for a login code, useless after
 * that), when it is marked failed and kept.  A MAIL_KIND_LOGIN_CODE_UNKNOWN
 * message is dropped: marked sent with its body cleared, nothing delivered,
 * not counted.  Call it outside a transaction.  Returns the number sent, or -1
 * when the database is unavailable (what was sent until then stays sent). */
int mail_deliver_due(struct db *db, const struct rma_config *cfg, int max);

/* What one mail_deliver_pass did. */
struct mail_pass {
    int claimed; /* messages taken, whatever became of them */
    int sent;    /* delivered and marked sent */
    int dropped; /* MAIL_KIND_LOGIN_CODE_UNKNOWN: marked sent, not delivered */
    int retried; /* failed, due again later */
    int failed;  /* failed for the last time: marked failed */
    bool more;   /* stopped at max: more may be due */
};

/* mail_deliver_due's work, for a caller that runs long: delivers until
 * nothing is due, max messages were claimed (out->more), or *stop is
 * non-zero (NULL: never), which is looked at between messages so that the
 * one in hand is finished.  RMA_OK in those cases; RMA_EDB (or another
 * database error) when the database failed, out then counting what was
 * done until then, which stays done. */
enum rma_err mail_deliver_pass(struct db *db, const struct rma_config *cfg,
                               int max, const volatile sig_atomic_t *stop,
                               struct mail_pass *out);

/* ------------------------------------------------------------------ */
/* The sender (mail_sender.c): `rmactl mail-sender` */

struct mail_sender_options {
    int interval_seconds; /* a sweep at least this often, woken or not */
};

/* What a sender did, added up over its runs. */
struct mail_sender_totals {
    long sent, dropped, retried, failed;
};

/* Delivers the outbox as it fills, until *quit is non-zero: LISTENs for
 * the notification of 0015_mail_notify.sql on its own connection to
 * cfg->database_url, and on each one (also on start, after every
 * reconnection, when a retry or a lease falls due, and every
 * interval_seconds anyway) delivers what is due with mail_deliver_pass.
 * Waits in poll() on the connection's socket and wake_fd (-1: none),
 * which the caller's signal handler writes to after setting *quit; wake_fd
 * is read until empty (it must be non-blocking).  A lost database is
 * reconnected to, 0.5 s apart at first, at most 5 s apart later.  Adds
 * what it did to *totals.  Returns once *quit is set, after the message
 * in hand: RMA_OK. */
enum rma_err mail_sender_run(const struct rma_config *cfg,
                             const struct mail_sender_options *opt,
                             const volatile sig_atomic_t *quit, int wake_fd,
                             struct mail_sender_totals *totals);

/* ------------------------------------------------------------------ */
/* Rendering (no I/O) */

struct mail_message {
    const char *from;       /* "Name <addr>" or "addr"; borrowed */
    const char *to;         /* a bare address; borrowed */
    const char *subject;    /* UTF-8; borrowed */
    const char *body;       /* UTF-8, LF or CRLF line ends; borrowed */
    const char *message_id; /* the left part, e.g. "rma.0123..."; borrowed */
    time_t date;
};

/* Appends the whole RFC 5322 message to out: headers (the subject and the
 * sender's name as RFC 2047 encoded-words when not ASCII), a blank line and
 * the body as quoted-printable UTF-8, every line ending in CRLF.  RMA_EINVAL
 * when a header value holds CR, LF or another control character, an address
 * is unusable, or the text is not UTF-8; out is then left as it was. */
enum rma_err mail_render(const struct mail_message *m, struct buf *out);

/* Appends body as quoted-printable (RFC 2045 §6.7): lines of at most 76
 * characters, soft breaks, trailing blanks encoded, CRLF line ends. */
enum rma_err mail_qp_encode(const char *body, struct buf *out);

/* Appends "Subject: value" folded to 78 columns, as encoded-words when value
 * is not ASCII, with the final CRLF.  RMA_EINVAL as for mail_render. */
enum rma_err mail_header_subject(const char *value, struct buf *out);

/* Whether s may go in a header: valid UTF-8 with no control character
 * (tab allowed), at most max bytes. */
bool mail_header_value_ok(const char *s, size_t max);
/* Whether s is a bare address (local@domain) usable in To: and RCPT TO. */
bool mail_address_ok(const char *s);
/* Splits mail_from ("Name <addr>" or "addr") into its address (into addr,
 * n bytes) and its display name (into name, n bytes; "" when none).
 * RMA_EINVAL when it is not of either form. */
enum rma_err mail_parse_from(const char *from, char *addr, char *name,
                             size_t n);
/* RFC 5322 date ("Tue, 01 Jul 2025 09:30:00 +0000") of t, in UTC. */
void mail_format_date(time_t t, char out[32]);
/* A new random message id ("rma." and 32 hex digits). */
enum rma_err mail_new_id(char out[MAIL_ID_LEN + 1]);

/* ------------------------------------------------------------------ */
/* Texts, in mail_templates.c: plain UTF-8, friendly and short.  Links are
 * public_base_url + "/#/rmas/" + number.  Each fills out (caller frees with
 * mail_text_free) or returns RMA_EINVAL for an unusable argument. */

struct mail_text {
    char *subject; /* owned */
    char *body;    /* owned */
};

void mail_text_free(struct mail_text *t);

/* "Your RMA portal sign-in code"; the code (6 digits) on a line of its own,
 * "Code: 123456", valid for 15 minutes. */
enum rma_err mail_text_login_code(const char *code, struct mail_text *out);
/* "Action Required: Please Confirm Your RMA Solution Promptly". */
enum rma_err mail_text_action_required(const char *base_url, const char *name,
                                       const char *rma_number,
                                       struct mail_text *out);
/* The hold (amount, e.g. "129.99 USD") was released: the return arrived. */
enum rma_err mail_text_hold_released(const char *base_url, const char *name,
                                     const char *rma_number, const char *amount,
                                     struct mail_text *out);
/* days_left (>= 1) before deadline to send the return information. */
enum rma_err mail_text_return_reminder(const char *base_url, const char *name,
                                       const char *rma_number, int days_left,
                                       time_t deadline, struct mail_text *out);
/* The refund (amount, e.g. "129.99 USD") was paid: back to the PayPal
 * account the order was paid from (by_paypal), or by the means the team
 * arranged. */
enum rma_err mail_text_refund_paid(const char *base_url, const char *name,
                                   const char *rma_number, const char *amount,
                                   bool by_paypal, struct mail_text *out);
/* The replacement, repaired unit or resend left: carrier and tracking. */
enum rma_err mail_text_shipped(const char *base_url, const char *name,
                               const char *rma_number, const char *carrier,
                               const char *tracking, struct mail_text *out);
/* PayPal refused the pre-authorization: try again or choose standard. */
enum rma_err mail_text_preauth_denied(const char *base_url, const char *name,
                                      const char *rma_number,
                                      struct mail_text *out);
/* The hold was captured because no return arrived by the deadline. */
enum rma_err mail_text_hold_captured(const char *base_url, const char *name,
                                     const char *rma_number, const char *amount,
                                     struct mail_text *out);

/* ------------------------------------------------------------------ */
/* The customer's mails for a case's other changes (SPEC §14), in
 * mail_case.c: one table of texts with named blanks.  (A make-up payment's
 * outcome has its own mail, "makeup_payment": makeup_ops.c.) */

enum case_mail {
    CASE_MAIL_HOLD_PLACED,      /* amount, when: the return's deadline */
    CASE_MAIL_RETURN_RECEIVED,  /* - */
    CASE_MAIL_CAPTURE_FAILED,   /* amount */
    CASE_MAIL_CANCELLED,        /* reason */
    CASE_MAIL_REPAIR_QUOTE,     /* amount */
    CASE_MAIL_EXPIRING,         /* when: the RMA number's expiry */
    CASE_MAIL_EXPIRED,          /* - */
    CASE_MAIL_CAPTURE_REFUNDED, /* amount */
    CASE_MAIL_PROOF_REQUESTED,  /* reason: the agent's words */
    CASE_MAIL_COUNT
};

struct case_mail_facts {
    const char *base_url; /* public_base_url: the links */
    const char *name;     /* the customer's name, or NULL */
    const char *rma_number;
    const char *amount; /* "$129.99" (amount_text), or NULL */
    time_t when;        /* 0: none */
    const char *reason; /* the staff member's words, or NULL */
};

/* The outbox kind of a case mail ("hold_placed", ...). */
const char *mail_case_kind(enum case_mail which);
/* The text of a case mail; RMA_EINVAL when a fact it needs is missing or
 * unusable. */
enum rma_err mail_text_case(enum case_mail which,
                            const struct case_mail_facts *f,
                            struct mail_text *out);

#endif
