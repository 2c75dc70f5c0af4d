/* refund.h - refund cases paid (SPEC §14): the refund payment a case owes
 * once its return is received, paid by a PayPal refund of the order's
 * capture (refund_ops.c, with a durable intent) or by finance by other
 * means (a recorded payout).  The SQL is in db_refund.c. */
#ifndef RMA_REFUND_H
#define RMA_REFUND_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/db.h"

enum refund_status {
    REFUND_DUE,     /* to pay */
    REFUND_PENDING, /* PayPal answered PENDING: asked again */
    REFUND_PAID,
    REFUND_FAILED, /* PayPal refused: finance pays by other means */
};

struct refund_row {
    int64_t id;
    int64_t rma_id;
    char method[8]; /* paypal | other */
    char currency[4];
    int64_t amount_minor;
    char capture_id[65];
    char paypal_refund_id[65];
    char reference[201];
    enum refund_status status;
};

const char *refund_status_name(enum refund_status s);

/* The order's payment, given when the case is created. */
enum rma_err db_order_set_payment(struct db *db, int64_t rma_id,
                                  const char *method, const char *capture_id,
                                  const char *reference);
/* The order's payment of rma_id: method "" when not recorded. */
enum rma_err db_order_payment(struct db *db, int64_t rma_id, char method[8],
                              char capture_id[65]);
/* Opens the case's refund payment (due).  RMA_ECONFLICT if it has one. */
enum rma_err db_refund_open(struct db *db, int64_t rma_id, const char *method,
                            const char *currency, int64_t amount,
                            const char *capture_id, const char *now);
enum rma_err db_refund_of_case(struct db *db, int64_t rma_id, bool lock,
                               struct refund_row *out);
enum rma_err db_refund_by_id(struct db *db, int64_t id, bool lock,
                             struct refund_row *out);
enum rma_err db_refund_by_paypal_id(struct db *db, const char *refund_id,
                                    struct refund_row *out);
/* PayPal answered PENDING for paypal_refund_id. */
enum rma_err db_refund_pending(struct db *db, int64_t id,
                               const char *paypal_refund_id, const char *now);
/* Paid: by PayPal (paypal_refund_id) or by other means (reference). */
enum rma_err db_refund_paid(struct db *db, int64_t id,
                            const char *paypal_refund_id, const char *reference,
                            const char *paid_by, const char *now);
enum rma_err db_refund_failed(struct db *db, int64_t id, const char *failure,
                              const char *now);
/* Up to max PayPal refunds due or pending, not in tried ("{1,2}"), locked
 * with SKIP LOCKED until the transaction ends. */
enum rma_err db_refund_due(struct db *db, const char *tried, int max,
                           int64_t *ids, int *n);
/* A session lease on refund id (the job's runners skip each other's). */
enum rma_err db_refund_lease(struct db *db, int64_t id, bool take, bool *got);

/* What a case still owes or is owed (case_ends.c's completion rule). */
struct case_owed {
    bool shipped;       /* an outbound shipment is recorded */
    bool fee_unpaid;    /* a make-up amount due, not paid nor resolved */
    bool hold_open;     /* a hold pending, authorized or refunding */
    bool refund_unpaid; /* a refund payment not paid */
};
enum rma_err db_case_owed(struct db *db, int64_t rma_id, struct case_owed *o);

#endif
