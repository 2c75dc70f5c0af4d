/* case_ops.h - the operations that change a case on the advanced
 * replacement's path (SPEC §5.3, §16): one function each, called alike by
 * the HTTP handlers, PayPal's redirects and webhooks, and `rmactl
 * run-jobs`.
 *
 * Each operation takes one environment (struct hold_env: database, PayPal
 * client, configuration, clock, actor), and in one transaction locks the
 * case row, re-checks its state there and applies every consequence: the
 * transition and its audit event, the hold, the ledger, the mail outbox.
 * A PayPal call never runs inside that transaction: its durable intent is
 * committed first (hold_ops.h), and its outcome is settled by a second
 * locked transaction that re-checks everything again, so a case that left
 * the advanced path meanwhile has its authorization voided, never kept.
 *
 * An operation that refuses fills a struct case_refusal and returns
 * RMA_ECONFLICT (the state does not allow it) or RMA_ERULE (a rule);
 * other errors (RMA_EDB, RMA_EUPSTREAM) leave it empty. */
#ifndef RMA_CASE_OPS_H
#define RMA_CASE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/hold_ops.h"
#include "rma/mail.h"

struct case_refusal {
    const char *code;  /* snake_case error code; NULL: not refused */
    const char *field; /* the input field at fault, or NULL */
    char message[200];
};

/* Runs the database transaction of an operation on rma_id: begins, locks
 * the case row into *r, then the caller re-checks and applies; the caller
 * ends it with case_end. */
enum rma_err case_begin(struct hold_env *env, int64_t rma_id,
                        struct rma_ref *r);
enum rma_err case_end(struct hold_env *env, enum rma_err err);
/* Whether the case is where a hold may be created or authorized: awaiting
 * its pre-authorization on the advanced path. */
bool case_awaits_hold(const struct rma_ref *r);

/* The customer chooses standard or advanced replacement.  Leaving the
 * advanced path abandons a pending PayPal order, or voids an authorized
 * hold (at once when PayPal answers, else by the job). */
enum rma_err case_choose_method(struct hold_env *env, int64_t rma_id,
                                bool advanced, struct case_refusal *no);

/* Sets the address the replacement, repaired unit or resend ships to
 * (address_json: the validated fields; country must be the order's).  By
 * the customer, or by staff for them (env->who.on_behalf, audited), who
 * may also set it while the solution is prepared. */
enum rma_err case_set_address(struct hold_env *env, int64_t rma_id,
                              const char *address_json, const char *country,
                              struct case_refusal *no);

/* Queues the customer's mail `which` about case r in the operation's
 * transaction: minor (in r's currency; -1 for none), when (0 for none) and
 * reason (NULL for none) as mail_case.c's text needs them. */
enum rma_err case_notify(struct hold_env *env, const struct rma_ref *r,
                         enum case_mail which, int64_t minor, time_t when,
                         const char *reason);

/* A supervisor decides the refund of a hold captured before its return
 * arrived (case_late_return.c): amount_minor (0 to the captured amount; 0:
 * none) once the unit is received and inspected, with the reason; the
 * refund goes to PayPal after the commit (or by the job). */
enum rma_err case_refund_capture(struct hold_env *env, int64_t rma_id,
                                 int64_t amount_minor, const char *reason,
                                 struct case_refusal *no);

/* The customer accepts the pre-authorization agreement: the hold is
 * created under the case lock (only while the case awaits it), then its
 * PayPal order; approve_url (HOLD_URL_MAX) and order_id (HOLD_ID_MAX) are
 * filled.  A second call answers the same link, unless the order expired
 * (PayPal's 3 hours), in which case a new hold and order replace it.
 * Refused (422 address_required) until a shipping address is confirmed. */
enum rma_err case_preauthorize(struct hold_env *env, int64_t rma_id,
                               const char *client_addr, char *approve_url,
                               char *order_id, struct case_refusal *no);

/* Supervisor actions on an authorized hold, each with its reason (the audit
 * detail, JSON).  Conflicting ones exclude each other under the case lock:
 * a waiver after a requested capture, or a capture after a requested
 * release, is a conflict. */
enum rma_err case_waive_hold(struct hold_env *env, int64_t rma_id,
                             const char *detail_json, struct case_refusal *no);
enum rma_err case_capture_now(struct hold_env *env, int64_t rma_id,
                              const char *detail_json, struct case_refusal *no);
enum rma_err case_extend_deadline(struct hold_env *env, int64_t rma_id,
                                  time_t deadline, const char *deadline_text,
                                  const char *detail_json,
                                  struct case_refusal *no);

/* Inside the caller's case transaction: releases the case's live hold
 * (abandons a pending order, requests the void of an authorization).
 * *void_id is the hold to void after commit, 0 when none. */
enum rma_err case_release_hold_in_tx(struct hold_env *env, int64_t rma_id,
                                     const char *reason, int64_t *void_id);
/* After commit: voids hold_id now if PayPal answers (the job otherwise). */
void case_void_now(struct hold_env *env, int64_t hold_id);

/* The job's sweep: every authorized hold whose case cannot have one (not
 * an advanced replacement, or past the states that keep a hold) gets its
 * void requested and a finance exception.  *n: how many. */
enum rma_err case_sweep_stray_holds(struct hold_env *env, int *n);

/* ---- PayPal's redirects and authorizations (case_paypal.c) ---- */

/* What a PayPal redirect did, for the portal's ?paypal= outcome. */
enum case_redirect {
    REDIRECT_APPROVED,    /* the hold is in place */
    REDIRECT_PENDING,     /* PayPal is still deciding (PENDING) */
    REDIRECT_DECLINED,    /* PayPal refused (DENIED, or a 4xx) */
    REDIRECT_EXPIRED,     /* the order is no longer wanted or no longer valid */
    REDIRECT_CANCELLED,   /* the buyer cancelled at PayPal */
    REDIRECT_UNAVAILABLE, /* PayPal or the database did not answer */
    REDIRECT_UNKNOWN,     /* no such order */
};
const char *case_redirect_name(enum case_redirect o);

/* PayPal's return (the buyer approved order_id): authorizes the order
 * unless the case left the advanced path, and settles the answer.
 * number (RMA_NUMBER_MAX + 1 bytes) is the case's, empty when the order is
 * unknown. */
enum rma_err case_paypal_return(struct hold_env *env, const char *order_id,
                                char *number, enum case_redirect *out);

/* PayPal's cancel: abandons the pending order, but only for the case's own
 * customer (customer_id 0: no session, nothing changes). */
enum rma_err case_paypal_cancel(struct hold_env *env, const char *order_id,
                                int64_t customer_id, char *number,
                                enum case_redirect *out);

/* Settles an authorization PayPal reports for a hold's order (the return,
 * the job's approval catch-up, a webhook after its GET): CREATED is the
 * hold if the case still awaits it, else voided; PENDING waits; DENIED
 * abandons the hold and tells the customer. */
enum rma_err case_settle_authorization(struct hold_env *env, int64_t hold_id,
                                       const struct paypal_authorization *a,
                                       enum case_redirect *out);

/* ---- every case ends (case_ends.c, SPEC §14) ---- */

/* Inside the case's transaction, r as it is now: completes it when its
 * unit has shipped and nothing is owed either way (the one rule). */
enum rma_err case_complete_if_settled(struct hold_env *env,
                                      const struct rma_ref *r);

/* The warehouse ships the replacement, repaired unit or resend (kind NULL:
 * the case's); a repaired unit only once its fee is paid or resolved; the
 * customer is mailed the tracking; the case completes when nothing is
 * owed. */
enum rma_err case_ship(struct hold_env *env, int64_t rma_id, const char *kind,
                       const char *carrier, const char *tracking,
                       const char *detail_json, struct case_refusal *no);

#endif
