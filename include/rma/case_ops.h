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

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rma/hold_ops.h"
#include "rma/mail.h"

struct case_refusal {
    const char *code;  /* snake_case error code; NULL: not refused */
    const char *field; /* the input field at fault, or NULL */
    char message[200];
};

/* Fills no (message printf-like, cut to its size) and returns err. */
enum rma_err case_refuse(struct case_refusal *no, enum rma_err err,
                         const char *code, const char *field, const char *fmt,
                         ...) __attribute__((format(printf, 5, 6)));
/* 409 invalid_state: "<what> is not possible while the RMA is <status>". */
enum rma_err case_refuse_state(struct case_refusal *no, const struct rma_ref *r,
                               const char *what);

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

/* ---- the customer's part (case_customer.c) ---- */

/* Agreement: confirmed; kinds other than replacement start fulfilment in
 * the same transaction (replacements wait for the method). */
enum rma_err case_agree(struct hold_env *env, int64_t rma_id,
                        struct case_refusal *no);
/* Disagreement with comment (borrowed): the comment, the transition and
 * the mail to the agent who prepared the case. */
enum rma_err case_disagree(struct hold_env *env, int64_t rma_id,
                           const char *comment, struct case_refusal *no);
/* The address the replacement, repaired unit or resend ships to
 * (address_json, validated), in the original order's country: by the
 * customer while the case lets them set it, or by staff for them
 * (env->who.on_behalf, audited), who may also set it while the solution
 * is prepared.  Pre-authorizations and shipments wait for it (§14). */
enum rma_err case_set_address(struct hold_env *env, int64_t rma_id,
                              const char *country, const char *address_json,
                              struct case_refusal *no);
/* The customer's decision on the repair quote; a decline leaves the
 * policy's handling fee due.  A quote missing or decided meanwhile is a
 * bare RMA_ECONFLICT. */
enum rma_err case_decide_quote(struct hold_env *env, int64_t rma_id,
                               bool approve, struct case_refusal *no);

/* ---- staff (case_staff.c) ---- */

/* A new case: its validated document, the order's payment (pay_method
 * NULL: none given) and what the refund policy decided (refund_applies). */
struct case_new {
    const char *doc_json;
    const char *pay_method, *pay_capture, *pay_reference;
    bool refund_applies;
    int64_t refund_price, refund_fee;   /* minor units */
    const char *refund_note;            /* for the customer */
    const char *refund_override_reason; /* the agent's, or NULL */
};
/* Creates the case (*id), its snapshot and audit event.  Refuses
 * order_payment_differs and rule_violated (RMA_ERULE). */
enum rma_err case_create(struct hold_env *env, const struct case_new *c,
                         int64_t *id, struct case_refusal *no);
/* Edits a draft or rejected case (a rejected one goes back to draft) with
 * doc_json (validated). */
enum rma_err case_edit(struct hold_env *env, int64_t rma_id,
                       const char *doc_json, struct case_refusal *no);
/* Moves the case by ev as the staff member env->who, with everything that
 * follows: EV_SUBMIT becomes EV_SUBMIT_REVIEWED where policy asks for a
 * review; an approval checks four eyes (403 four_eyes); the customer is
 * mailed when the case becomes theirs to confirm; a confirmed case starts
 * fulfilment; a cancelled one (cancel_reason) releases its hold.  what
 * names the action in the refusal. */
enum rma_err case_staff_move(struct hold_env *env, int64_t rma_id,
                             enum rma_event ev, const char *detail_json,
                             const char *what, const char *cancel_reason,
                             struct case_refusal *no);
/* The warehouse's repair quote (in the case's currency, where the policy
 * allows one): the amount becomes due and the customer is asked. */
enum rma_err case_quote(struct hold_env *env, int64_t rma_id,
                        int64_t amount_minor, const char *currency,
                        const char *notes, struct case_refusal *no);
/* The supervisor extends the RMA number's validity by days (up to
 * POLICY_EXTENSION_MAX_DAYS in all). */
/* An agent asks the customer for a proof of purchase, with a note (their
 * words, in the mail and the customer's detail), while the case goes on;
 * asking again replaces the note. */
enum rma_err case_request_proof(struct hold_env *env, int64_t rma_id,
                                const char *note, struct case_refusal *no);
enum rma_err case_extend_validity(struct hold_env *env, int64_t rma_id,
                                  int days, const char *detail_json,
                                  struct case_refusal *no);

/* ---- the unit's way back (case_warehouse.c) ---- */

struct return_submission;
struct receipt_row;
/* The customer's return shipment s (checked: items, attachments); a
 * concurrent change is a bare RMA_ECONFLICT. */
enum rma_err case_submit_return(struct hold_env *env,
                                const struct return_submission *s,
                                struct case_refusal *no);
/* The warehouse's receipt rc; detail (borrowed, the request's body) gets
 * serial_match and becomes the audit detail.  After commit: a refund case
 * is paid, a released hold voided, a captured one refunded. */
enum rma_err case_receive(struct hold_env *env, const struct receipt_row *rc,
                          json_t *detail, struct case_refusal *no);
/* The inspection after the receipt, once (already_inspected). */
enum rma_err case_inspect(struct hold_env *env, int64_t rma_id,
                          const char *outcome, const char *notes,
                          const char *detail_json, struct case_refusal *no);

/* ---- pictures (case_attachment.c) ---- */

struct upload_tmp;
struct attachment;
struct attachment_new;
/* Whether the customer may add or delete attachments of kind in status:
 * the return's pictures while the return can be submitted, the others
 * while the case is open. */
bool case_upload_open(enum rma_status status, enum rma_kind case_kind,
                      const char *kind);
/* Records the received picture a (its case a->rma_id, at most
 * ATTACHMENT_MAX_PER_SUBMISSION open per kind) and moves t's file into
 * place; *id is the new attachment's. */
enum rma_err case_attach(struct hold_env *env, struct upload_tmp *t,
                         const struct attachment_new *a, int64_t *id,
                         struct case_refusal *no);
/* Deletes a (already_submitted once its submission was made), then its
 * file when nothing else uses it. */
enum rma_err case_detach(struct hold_env *env, const struct attachment *a,
                         struct case_refusal *no);

/* ---- make-up payment claims (case_makeup.c) ---- */

/* The customer's claim of transaction txn (normalized) with the
 * screenshot receipt_id (checked); *id is the claim's. */
enum rma_err case_claim_makeup(struct hold_env *env, int64_t rma_id,
                               const char *txn, int64_t receipt_id, int64_t *id,
                               struct case_refusal *no);
/* Finance resolves claim_id's open exception with note; RMA_ENOTFOUND
 * (not refused) when there is no such claim. */
enum rma_err case_resolve_makeup(struct hold_env *env, int64_t claim_id,
                                 const char *note, struct case_refusal *no);

#endif
