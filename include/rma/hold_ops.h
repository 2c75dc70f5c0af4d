/* hold_ops.h - doing the PayPal work of holds exactly once (SPEC §5.3,
 * §5.7, §10): shared by the request path (a release right after a receipt)
 * and `rmactl run-jobs` (everything due).
 *
 * One piece of work is one PayPal operation on one hold:
 *   prepare  re-reads the hold, checks that the work is still due, records
 *            the durable intent (committed before the call) whose
 *            PayPal-Request-Id the call carries;
 *   call     paypal_batch, concurrently for many holds;
 *   settle   records the intent's outcome, then in one transaction with the
 *            hold row locked: the hold's new state, its ledger entries, the
 *            case's transition with its audit event, mail, exceptions.
 * A crash anywhere leaves either nothing or an open intent: the next run
 * prepares the same work, replays the same request id (PayPal answers the
 * first result) and settles it; ledger keys make a second posting
 * impossible. */
#ifndef RMA_HOLD_OPS_H
#define RMA_HOLD_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "rma/config.h"
#include "rma/db.h"
#include "rma/db_hold.h"
#include "rma/db_paypal.h"
#include "rma/hold.h"
#include "rma/paypal.h"
#include "rma/paypal_intent.h"
#include "rma/rma.h"

struct hold_env {
    struct db *db;
    struct paypal_client *pc; /* NULL: PayPal is not configured */
    const struct rma_config *cfg;
    time_t now_t;
    char now[32];              /* ISO 8601 UTC of now_t */
    struct rma_actor_info who; /* who asked: the job, or staff */
};

void hold_env_set_now(struct hold_env *env, time_t now);
struct hold_policy hold_policy_of(const struct rma_config *cfg);

enum hold_op {
    HOLD_OP_VOID,
    HOLD_OP_CAPTURE,
    HOLD_OP_REAUTHORIZE,
    HOLD_OP_REFUND,
};

/* How a piece of work ended. */
enum hold_outcome {
    HOLD_DONE,    /* PayPal did it; recorded */
    HOLD_REFUSED, /* PayPal refused it; recorded (decline, expiry...) */
    HOLD_PENDING, /* no definite answer: the next run replays it */
    HOLD_SKIPPED, /* no longer due (someone else did it, or it changed) */
    HOLD_ERROR,   /* our side failed (database); retried next run */
};

struct hold_work {
    int64_t hold_id;
    enum hold_op op;
    /* filled by prepare */
    struct hold h;
    const char *why; /* capture reason */
    struct paypal_intent intent;
    struct paypal_batch_item item;
    bool ready;
    /* filled by settle */
    enum hold_outcome outcome;
};

const char *hold_op_name(enum hold_op op);
const char *hold_outcome_name(enum hold_outcome o);

/* Prepares, calls (at most concurrency at once) and settles n pieces of
 * work.  Each gets its outcome.  RMA_OK unless PayPal is not configured. */
enum rma_err hold_run(struct hold_env *env, struct hold_work *w, size_t n,
                      size_t concurrency);

/* The three phases of hold_run apart, for the job's pipeline.  Prepare
 * (one transaction) gives each work its intent and makes it ready, or
 * gives it its outcome.  The call of a ready work is its item, through
 * paypal_stream (it touches neither the database nor env, so it may run in
 * another thread).  Settle (one transaction) records the outcomes of
 * called works. */
void hold_prepare(struct hold_env *env, struct hold_work *w, size_t n);
void hold_settle(struct hold_env *env, struct hold_work **w, size_t n);

/* Outcomes that need no PayPal call, inside the caller's transaction with
 * the hold row locked (the request path's authorization, webhooks). */
enum rma_err hold_apply_authorized(struct hold_env *env, struct hold *h,
                                   const struct paypal_authorization *a);
enum rma_err hold_apply_released(struct hold_env *env, struct hold *h,
                                 enum hold_status to, const char *paypal_id);

/* The outcomes of called work (hold_outcomes.c), inside the settling
 * transaction with the hold row locked; w as prepared and called. */
enum rma_err hold_apply_captured(struct hold_env *env, struct hold_work *w);
enum rma_err hold_apply_capture_refused(struct hold_env *env,
                                        struct hold_work *w);
enum rma_err hold_apply_reauthorized(struct hold_env *env, struct hold_work *w,
                                     bool ok);
enum rma_err hold_apply_refunded(struct hold_env *env, struct hold_work *w);
/* A capture or refund PayPal answered (2xx), as its status says: booked
 * when COMPLETED, a decline when DECLINED/FAILED, kept pending otherwise;
 * an answer about another authorization or capture than the one asked for
 * books nothing and raises a paypal_mismatch exception. */
enum rma_err hold_apply_capture_answer(struct hold_env *env,
                                       struct hold_work *w);
enum rma_err hold_apply_refund_answer(struct hold_env *env,
                                      struct hold_work *w);
/* PayPal refused the refund (4xx): not asked again, finance refunds. */
enum rma_err hold_apply_refund_refused(struct hold_env *env,
                                       struct hold_work *w);
/* A capture or refund of hold_id that PayPal left PENDING: asked again
 * (GET) and settled when PayPal decided (its own transaction).  *outcome:
 * HOLD_PENDING while PayPal still says PENDING; RMA_EUPSTREAM when PayPal
 * did not answer. */
enum rma_err hold_settle_pending(struct hold_env *env, int64_t hold_id,
                                 enum hold_outcome *outcome);
/* t as ISO 8601 UTC. */
void hold_iso(time_t t, char *out, size_t n);
/* An audit detail packed like json_pack (caller frees), NULL on error. */
char *hold_detail_json(const char *fmt, ...);

/* A finance exception, once per dedupe key. */
enum rma_err hold_exception(struct hold_env *env, const char *kind,
                            int64_t rma_id, int64_t hold_id,
                            const char *currency, int64_t amount_minor,
                            const char *detail, const char *dedupe_key);

/* The PayPal client of a configuration: NULL when PayPal is not configured
 * (paypal_base_url empty).  interactive: fewer, shorter attempts for the
 * request path (the job finishes what it leaves). */
struct paypal_client *hold_paypal_client(const struct rma_config *cfg,
                                         bool interactive);
/* PayPal's access token shared by the service's processes (a new
 * `rmactl run-jobs` each time its timer fires would otherwise ask for one
 * every run): load gives pc the stored one while it may be used; save
 * stores the one pc fetched itself (a first, one replacing a token PayPal
 * rejected, or one past its time).  On db's connection, outside any
 * transaction; neither fails its caller (the token is only a saving), and
 * both do nothing without a client. */
void hold_paypal_token_load(struct paypal_client *pc, struct db *db,
                            const struct rma_config *cfg);
void hold_paypal_token_save(struct paypal_client *pc, struct db *db,
                            const struct rma_config *cfg);

#endif
