/* db_makeup.h - the SQL of make-up payment claims (db_makeup.c; SPEC
 * §5.5).  Below the operations (makeup_ops.h), which include it; it knows
 * no operation.  Rules: makeup.h. */
#ifndef RMA_DB_MAKEUP_H
#define RMA_DB_MAKEUP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "rma/arena.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/makeup.h"
#include "rma/rma.h"

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
    bool on_behalf; /* by staff for the customer: the screenshot optional */
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
