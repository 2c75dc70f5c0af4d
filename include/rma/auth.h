/* auth.h - customers' sign-in: one-time codes, sessions, rate limits, and
 * the idempotency keys of their mutating requests (SPEC §7, §12).
 *
 * Codes are stored only as HMAC-SHA256(secret_pepper, email ":" code);
 * session tokens only as SHA-256.  Everything lives in PostgreSQL so that
 * any worker on any host serves any customer. */
#ifndef RMA_AUTH_H
#define RMA_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/err.h"

#define AUTH_CODE_MINUTES 15
#define AUTH_CODE_MAX_TRIES 5
#define AUTH_COOKIE "rma_session"

struct customer_session {
    int64_t session_id;
    int64_t customer_id;
    char email[255];
    bool stale; /* last_seen_at is old enough to be refreshed */
};

/* One hit on a fixed-window counter.  *allowed is false past limit, with
 * *retry_after the seconds until the window ends. */
enum rma_err db_rate_hit(struct db *db, const char *key, int window_seconds,
                         int limit, const char *now, bool *allowed,
                         int *retry_after);

/* The customer with this (normalized) email; RMA_ENOTFOUND if none. */
enum rma_err db_customer_by_email(struct db *db, const char *email,
                                  int64_t *id);

/* Stores a new code (replacing any earlier one, tries reset). */
enum rma_err db_login_code_store(struct db *db, const char *email,
                                 const unsigned char hmac[SHA256_LEN],
                                 const char *now);
/* Counts one try on email's live code and returns its HMAC and the tries so
 * far (this one included).  RMA_ENOTFOUND when there is no live code. */
enum rma_err db_login_code_try(struct db *db, const char *email,
                               const char *now, unsigned char hmac[SHA256_LEN],
                               int *tries);
/* Marks the code used; RMA_ECONFLICT if it already was (a concurrent use). */
enum rma_err db_login_code_use(struct db *db, const char *email,
                               const char *now);

enum rma_err db_session_create(struct db *db, int64_t customer_id,
                               const unsigned char hash[SHA256_LEN],
                               const char *now, int absolute_hours);
/* The live session of a token hash; RMA_EUNAUTH when none (unknown,
 * revoked, idle too long or past its absolute expiry). */
enum rma_err db_session_find(struct db *db,
                             const unsigned char hash[SHA256_LEN],
                             const char *now, int idle_minutes,
                             struct customer_session *out);
enum rma_err db_session_touch(struct db *db, int64_t session_id,
                              const char *now);
enum rma_err db_session_revoke(struct db *db, int64_t session_id,
                               const char *now);

/* Idempotency keys.  begin records the key for (customer, key) or, when it
 * exists, returns RMA_ECONFLICT with the stored answer (*status 0 while the
 * first request is still running).  *same is false when the stored request
 * differs from this one. */
enum rma_err db_idem_begin(struct db *db, int64_t customer_id, const char *key,
                           const unsigned char request_hash[SHA256_LEN],
                           int *status, char **body, bool *same);
enum rma_err db_idem_finish(struct db *db, int64_t customer_id, const char *key,
                            int status, const char *body);
enum rma_err db_idem_abort(struct db *db, int64_t customer_id, const char *key);

#endif
