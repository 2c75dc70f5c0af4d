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
#include "rma/db_makeup.h"
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

#endif
