/* policy_db.h - the policies' SQL (db_policy.c) and their job step
 * (policy_job.c).  Rules: policy.h; the API's part: api_policy.c and, for
 * the refund of a new case, api_staff_rma.c. */
#ifndef RMA_POLICY_DB_H
#define RMA_POLICY_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "rma/arena.h"
#include "rma/config.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/policy.h"

/* What the policies need to know about one case. */
struct policy_case {
    struct policy_line line;
    bool in_warranty;
    char inspection[24];     /* outcome, "" when not inspected */
    int64_t makeup_due;      /* -1 when nothing is due */
    int64_t quote_amount;    /* -1 when not quoted */
    char quote_decision[12]; /* approved | declined | "" (pending) */
    int extension_days;
};

/* A case the expiry step looks at (leased: FOR UPDATE SKIP LOCKED). */
struct policy_expiry {
    int64_t id;
    char status[24];
    time_t visible_at;
    int validity_days;
    int extension_days;
};

/* The policy of a model's product line.  RMA_ENOTFOUND if unknown. */
enum rma_err db_policy_line_for_model(struct db *db, const char *model,
                                      struct policy_line *out);
/* The case's facts, its row locked (call inside a transaction). */
enum rma_err db_policy_case(struct db *db, int64_t rma_id,
                            struct policy_case *out);
/* What the refund policy proposed; override_reason may be NULL. */
enum rma_err db_policy_record_refund(struct db *db, int64_t rma_id,
                                     int64_t price, int64_t fee,
                                     const char *note,
                                     const char *override_reason);
/* RMA_ECONFLICT when the case was already quoted. */
enum rma_err db_policy_quote_insert(struct db *db, int64_t rma_id,
                                    const char *currency, int64_t amount,
                                    const char *basis, const char *notes,
                                    const char *by, const char *now);
/* fee < 0: none (an approval).  RMA_ECONFLICT when already decided. */
enum rma_err db_policy_quote_decide(struct db *db, int64_t rma_id,
                                    const char *decision, int64_t fee,
                                    const char *by, const char *now);
/* Sets the case's make-up amount due; amount < 0 clears it. */
enum rma_err db_policy_set_makeup(struct db *db, int64_t rma_id, int64_t amount,
                                  const char *reason, const char *now);
/* Adds days to the validity while the case is in status.  RMA_ECONFLICT
 * when it moved or the total would pass POLICY_EXTENSION_MAX_DAYS. */
enum rma_err db_policy_extend(struct db *db, int64_t rma_id, const char *status,
                              int days, const char *now);
/* Up to max cases whose validity ran out before now, in a state that can
 * expire, locked; *out is malloc'ed (caller frees).  With warning: those
 * whose validity ends within 7 days of now instead, the customer not yet
 * warned of that end. */
enum rma_err db_policy_expiry_due(struct db *db, const char *now, bool warning,
                                  int max, struct policy_expiry **out, int *n);
/* Records that the customer was warned of the end `until` (ISO 8601). */
enum rma_err db_policy_expiry_warned(struct db *db, int64_t rma_id,
                                     const char *until);

/* The job step (policy_job.c): expires every case whose RMA number's
 * validity passed (EV_EXPIRE, audited).  *expired counts them, or in a dry
 * run those that would be. */
struct hold_env;
enum rma_err policy_expire_run(struct hold_env *env, bool dry_run, int *expired,
                               int *warned);

#endif
