/* ledger_ops.c - posting ledger entries in the caller's transaction
 * (ledger_ops.h): the entry is checked (ledger.c), then written
 * (db_ledger.c). */
#include "rma/ledger_ops.h"

#include "rma/db_ledger.h"
#include "rma/log.h"

enum rma_err
ledger_post(struct db *db, const struct ledger_entry *e, bool *created)
{
    *created = false;
    enum rma_err err = ledger_check(e);
    if (err != RMA_OK) {
        log_event(LOG_ERROR, "ledger_entry_refused", "{s:s, s:s}", "key",
                  e && e->key ? e->key : "", "error", rma_err_code(err));
        return err;
    }
    return db_ledger_post(db, e, created);
}

/* Posts a built draft; a draft that failed to build is not posted. */
static enum rma_err
post_draft(struct db *db, struct ledger_draft *d, enum rma_err built)
{
    if (built != RMA_OK) {
        log_event(LOG_ERROR, "ledger_entry_refused", "{s:s, s:s, s:s}", "key",
                  d->key, "kind", d->entry.kind ? d->entry.kind : "", "error",
                  rma_err_code(built));
        return built;
    }
    bool created;
    return db_ledger_post(db, &d->entry, &created);
}

enum rma_err
ledger_hold_authorized(struct db *db, int64_t rma_id, int64_t hold_id,
                       const char *currency, int64_t amount,
                       const char *authorization_id)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_hold_authorized(&d, rma_id, hold_id,
                                                   currency, amount,
                                                   authorization_id));
}

enum rma_err
ledger_hold_reauthorized(struct db *db, int64_t rma_id, int64_t hold_id,
                         const char *currency, int64_t amount,
                         const char *reauthorization_id)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_hold_reauthorized(&d, rma_id, hold_id,
                                                     currency, amount,
                                                     reauthorization_id));
}

enum rma_err
ledger_hold_released(struct db *db, int64_t rma_id, int64_t hold_id,
                     const char *currency, int64_t amount, const char *why,
                     const char *paypal_id)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_hold_released(&d, rma_id, hold_id, currency,
                                                 amount, why, paypal_id));
}

enum rma_err
ledger_capture(struct db *db, int64_t rma_id, int64_t hold_id,
               int64_t intent_id, const char *capture_id, const char *currency,
               int64_t gross, int64_t fee)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_capture(&d, rma_id, hold_id, intent_id,
                                           capture_id, currency, gross, fee));
}

enum rma_err
ledger_capture_with_release(struct db *db, int64_t rma_id, int64_t hold_id,
                            int64_t intent_id, const char *capture_id,
                            const char *currency, int64_t held, int64_t gross,
                            int64_t fee)
{
    struct ledger_draft d[2];
    enum rma_err err = ledger_build_hold_released(
        &d[0], rma_id, hold_id, currency, held, "captured", capture_id);
    if (err != RMA_OK)
        return post_draft(db, &d[0], err);
    err = ledger_build_capture(&d[1], rma_id, hold_id, intent_id, capture_id,
                               currency, gross, fee);
    if (err != RMA_OK)
        return post_draft(db, &d[1], err);
    const struct ledger_entry *e[2] = {&d[0].entry, &d[1].entry};
    bool created[2];
    return db_ledger_post_many(db, e, 2, created);
}

enum rma_err
ledger_refund(struct db *db, int64_t rma_id, int64_t hold_id, int64_t intent_id,
              const char *refund_id, const char *currency, int64_t amount,
              int64_t fee_returned)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_refund(&d, rma_id, hold_id, intent_id,
                                          refund_id, currency, amount,
                                          fee_returned));
}

enum rma_err
ledger_makeup_payment(struct db *db, int64_t rma_id, int64_t makeup_id,
                      const char *transaction_id, const char *currency,
                      int64_t due, int64_t paid, int64_t fee)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_makeup_payment(&d, rma_id, makeup_id,
                                                  transaction_id, currency, due,
                                                  paid, fee));
}

enum rma_err
ledger_sale_refund(struct db *db, int64_t rma_id, int64_t intent_id,
                   const char *refund_id, const char *currency, int64_t amount,
                   int64_t fee_returned)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_sale_refund(&d, rma_id, intent_id, refund_id,
                                               currency, amount, fee_returned));
}

enum rma_err
ledger_refund_payout(struct db *db, int64_t rma_id, const char *currency,
                     int64_t amount)
{
    struct ledger_draft d;
    return post_draft(db, &d,
                      ledger_build_refund_payout(&d, rma_id, currency, amount));
}

enum rma_err
ledger_exception_resolution(struct db *db, int64_t exception_id, int64_t rma_id,
                            const char *currency, int64_t amount,
                            bool collected, const char *counter_account)
{
    struct ledger_draft d;
    return post_draft(
        db, &d,
        ledger_build_exception_resolution(&d, exception_id, rma_id, currency,
                                          amount, collected, counter_account));
}
