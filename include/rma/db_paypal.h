/* db_paypal.h - the SQL of durable PayPal intents (db_paypal.c; SPEC
 * §5.7, §16): recording, finishing and finding them, and the
 * installation's random prefix of their request ids.  The intents
 * themselves, their request ids and outcomes are paypal_intent.h (no
 * I/O); the PayPal client (paypal*.c) never touches these tables, the
 * operations (hold_ops.c, case_*.c) do. */
#ifndef RMA_DB_PAYPAL_H
#define RMA_DB_PAYPAL_H

#include <stddef.h>
#include <time.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/paypal.h"
#include "rma/paypal_intent.h"

/* Records the intent for key with the request summary request_json (a JSON
 * object, or NULL for {}), or returns the one already recorded for the same
 * key or request id (counting one more attempt if it is still open).
 * RMA_ECONFLICT if that row is about something else (another operation or
 * owner).  A new intent's request id is paypal_request_id's with the
 * installation's random prefix after key->prefix (SPEC §16; table
 * installation, read once per connection): "rma-3f9c0d2e71b8a645-capture-
 * h42-1".  An intent recorded before keeps the request id it has. */
enum rma_err paypal_intent_begin(struct db *db,
                                 const struct paypal_intent_key *key,
                                 const char *request_json,
                                 struct paypal_intent *out);

/* Records the outcome of the intent with request_id: status, the response
 * body (JSON or NULL), the id of the resource PayPal made (or NULL), and
 * what res says (HTTP status, error name, issue, debug_id; res may be NULL).
 * A succeeded or failed intent is final: RMA_ECONFLICT if already final
 * with another status, RMA_OK (no change) with the same.  RMA_ENOTFOUND if
 * there is no such intent. */
enum rma_err paypal_intent_finish(struct db *db, const char *request_id,
                                  enum paypal_intent_status status,
                                  const char *response_json,
                                  const char *paypal_id,
                                  const struct paypal_result *res);

/* Reads the latest intent recorded for key (its operation and sequence,
 * for its hold or, without one, its case), whatever its request id.
 * RMA_ENOTFOUND if none. */
enum rma_err paypal_intent_find_key(struct db *db,
                                    const struct paypal_intent_key *key,
                                    struct paypal_intent *out);

/* Reads the intent with request_id.  RMA_ENOTFOUND if none. */
enum rma_err paypal_intent_find(struct db *db, const char *request_id,
                                struct paypal_intent *out);

/* Up to max open intents (pending or unknown) not touched for older_than_s
 * seconds, oldest first, into out; *n receives the count.  For the job. */
enum rma_err paypal_intent_list_open(struct db *db, long older_than_s,
                                     struct paypal_intent *out, size_t max,
                                     size_t *n);

/* PayPal's access token shared by the processes that call PayPal, for the
 * account key names (a hex SHA-256, hold_ops.c): copied into token (n
 * bytes) with the time until which it may be used; RMA_ENOTFOUND when none
 * is stored or it is past that time.  The token is a secret: never
 * logged. */
enum rma_err db_paypal_token_get(struct db *db, const char *key, char *token,
                                 size_t n, time_t *use_until);
/* Stores token for key, replacing the one there (one PayPal rejected, or
 * one about to end). */
enum rma_err db_paypal_token_put(struct db *db, const char *key,
                                 const char *token, time_t use_until);

#endif
