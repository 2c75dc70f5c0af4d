/* refund_ops.h - the operations that pay a refund case (SPEC §14), in the
 * case_ops.h way: the case row locked, its state re-checked, every
 * consequence (refund payment, ledger, transition, mail, exception) in one
 * transaction; the PayPal refund between two such transactions with its
 * durable intent committed first (PayPal-Request-Id
 * rma-<installation>-refund-c<case>-1), so a retry, a crash or a second
 * runner replays the one refund and PayPal answers the first result. */
#ifndef RMA_REFUND_OPS_H
#define RMA_REFUND_OPS_H

#include "rma/case_ops.h"
#include "rma/refund.h"

/* Inside the caller's case transaction, the case r just received: a refund
 * case moves to refund_due and its refund payment opens (a PayPal refund
 * of the order's capture, or a payout for finance).  Other kinds: no-op. */
enum rma_err refund_open_in_tx(struct hold_env *env, const struct rma_ref *r);

/* Pays the case's PayPal refund now if PayPal answers (after the commit of
 * the receipt; the job finishes what this leaves).  *outcome as hold_ops. */
enum rma_err refund_pay(struct hold_env *env, int64_t refund_id,
                        enum hold_outcome *outcome);
enum rma_err refund_pay_case(struct hold_env *env, int64_t rma_id);

/* Finance paid the refund by other means (a PayPal-paid order whose refund
 * PayPal refused, or an order paid otherwise): amount must be the refund
 * due; reference names the payout (bank transfer id ...). */
enum rma_err refund_payout(struct hold_env *env, int64_t rma_id, int64_t amount,
                           const char *currency, const char *reference,
                           struct case_refusal *no);

/* The job's step: PayPal refunds due or pending, leased per refund. */
struct refund_job_summary {
    int paid, pending, failed, errors;
};
enum rma_err refund_job_run(struct hold_env *env, struct refund_job_summary *s);

#endif
