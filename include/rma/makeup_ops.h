/* makeup_ops.h - reconciling make-up payment claims with PayPal (SPEC §5.5):
 * shared by the request path (one quick try when the claim arrives), the
 * webhook of a completed capture, and `rmactl run-jobs` (the retries).
 *
 * One attempt: read the claim, search PayPal (outside any transaction),
 * decide (makeup.h), then settle in one transaction with the claim row
 * locked and still pending: the claim's new state, the ledger entry of a
 * payment found (key makeup:<seller transaction id>, so never twice), the
 * finance exception, the case's audit event and, when the customer is not
 * looking, a mail.  The seller transaction is locked while it is checked
 * against other claims and our own hold captures, so two cases claiming one
 * payment at once cannot both get it. */
#ifndef RMA_MAKEUP_OPS_H
#define RMA_MAKEUP_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "rma/arena.h"
#include "rma/config.h"
#include "rma/db.h"
#include "rma/makeup.h"
#include "rma/paypal.h"
#include "rma/rma.h"

struct makeup_env {
    struct db *db;
    struct paypal_client *pc; /* NULL: PayPal is not configured */
    const struct rma_config *cfg;
    struct makeup_policy policy;
    time_t now_t;
    char now[32];              /* ISO 8601 UTC of now_t */
    struct rma_actor_info who; /* the job, the webhook, or the service */
    int max_pages;             /* of the fallback's search, at most */
    bool notify;               /* mail the customer a settled outcome */
};

/* An environment at now with the default policy; pc may be NULL. */
void makeup_env_init(struct makeup_env *env, struct db *db,
                     struct paypal_client *pc, const struct rma_config *cfg,
                     time_t now, const char *actor);

/* One attempt on claim_id, outside any transaction.  *status (may be NULL)
 * gets the claim's status afterwards.  RMA_OK also when the claim stays
 * pending (PayPal unreachable, not found yet) or was no longer pending;
 * RMA_ENOTFOUND for no such claim; database errors otherwise. */
enum rma_err makeup_reconcile(struct makeup_env *env, int64_t claim_id,
                              enum makeup_status *status);

/* PayPal's PAYMENT.CAPTURE.COMPLETED event, with the capture as PayPal's
 * GET answered it (never the event's body; borrowed), inside the webhook's
 * transaction: a completed capture (a credit to the
 * vendor's account: the event came for our webhook) whose id a pending
 * claim names settles that claim when it is the payment (matched, underpaid,
 * overpaid; a duplicate when another claim or a hold has it).  Anything else
 * is left to the job.  Returns what happened (static text), or NULL on a
 * database error. */
const char *makeup_match_capture_event(struct db *db,
                                       const struct rma_config *cfg,
                                       const struct paypal_capture *fetched,
                                       time_t now);

/* ---- the database (db_makeup.c) ---- */

/* A claim with what reconciliation needs of its case. */
struct makeup_claim_row {
    int64_t id;
    int64_t rma_id;
    char rma_number[RMA_NUMBER_MAX + 1];
    char transaction_id[MAKEUP_TXN_ID_LEN + 1];
    char currency[4];
    int64_t due;
    char reason[24];
    time_t submitted;
    enum makeup_status status;
    int attempts;
    char customer_email[255];
    char customer_name[201];
};

/* RMA_ENOTFOUND when there is no such claim; lock: FOR UPDATE. */
enum rma_err db_makeup_claim(struct db *db, int64_t id, bool lock,
                             struct makeup_claim_row *out);

/* What the case owes and where its claims stand. */
struct makeup_case {
    int64_t due;     /* rma.makeup_due_minor, 0 when none */
    char reason[24]; /* "" when none */
    char currency[4];
    int64_t latest_id; /* the newest claim, 0 when none */
    enum makeup_status latest_status;
};
/* lock: the case's row FOR UPDATE (submissions serialize on it). */
enum rma_err db_makeup_case(struct db *db, int64_t rma_id, bool lock,
                            struct makeup_case *out);

struct makeup_claim_new {
    int64_t rma_id;
    const char *transaction_id; /* normalized */
    int64_t payment_receipt_id;
    const char *currency;
    int64_t due;
    const char *reason;
    const char *submitted_by;
    const char *first_retry; /* when the job looks if the first try did not
                                settle it (ISO 8601) */
};
/* Inserts a pending claim and marks the case's open payment receipts
 * submitted.  RMA_ERULE when the receipt is
 * not a payment_receipt of the case; RMA_ECONFLICT when the case has a
 * pending or paid claim already. */
enum rma_err db_makeup_insert(struct db *db, const struct makeup_claim_new *c,
                              const char *now, int64_t *id);

/* Whether transaction_id is already the payment of a claim other than
 * claim_id, or one of our hold captures or refunds. */
enum rma_err db_makeup_taken(struct db *db, const char *transaction_id,
                             int64_t claim_id, bool *taken);
/* Serializes the checking of one transaction until the transaction ends. */
enum rma_err db_makeup_lock_transaction(struct db *db,
                                        const char *transaction_id);

/* Records an attempt's decision on a pending claim (attempts is the new
 * count).  RMA_ECONFLICT if the claim is no longer pending. */
enum rma_err db_makeup_record(struct db *db, int64_t claim_id,
                              const struct makeup_decision *d, int attempts,
                              const char *now);

/* Pending claims due at now, not among tried ("{1,2}"), at most limit,
 * locked until the caller's transaction ends (SKIP LOCKED). */
enum rma_err db_makeup_due(struct db *db, const char *now, const char *tried,
                           int limit, int64_t *ids, int *n);
/* Session-level lease on a claim: taken (*got) or released. */
enum rma_err db_makeup_lease(struct db *db, int64_t claim_id, bool lock,
                             bool *got);

/* A finance exception about a claim, once per dedupe key. */
enum rma_err db_makeup_exception(struct db *db, const char *kind,
                                 const struct makeup_claim_row *c,
                                 int64_t amount, const char *detail,
                                 const char *dedupe_key, const char *now);

/* One claim as JSON text (staff view unless customer). */
enum rma_err db_makeup_claim_json(struct db *db, int64_t claim_id, bool staff,
                                  struct arena *a, char **json);
/* Claims, newest first, of status (NULL: any; "open": with an exception not
 * yet resolved), at most limit: a JSON array. */
enum rma_err db_makeup_list_json(struct db *db, const char *status, int limit,
                                 struct arena *a, char **json);

/* Finance resolves the claim's open exception with note.  *resolved is
 * false when there was nothing open to resolve. */
enum rma_err db_makeup_resolve(struct db *db, int64_t claim_id, const char *who,
                               const char *note, const char *now,
                               bool *resolved);

/* The pending claim naming transaction_id, locked; RMA_ENOTFOUND if none. */
enum rma_err db_makeup_pending_by_transaction(struct db *db,
                                              const char *transaction_id,
                                              int64_t *claim_id);

#endif
