/* staff_account.h - staff are people (SPEC §15): accounts (e-mail, name,
 * role, active), their one-time sign-in codes and console sessions, and the
 * audit events of what happens to accounts and tokens.
 *
 * Codes are stored only as HMAC-SHA256(secret_pepper, email ":" code), in
 * a table apart from the customers' (a customer's code never signs a person
 * in); session tokens only as SHA-256.  A person acts, and is audited,
 * under their e-mail address: struct staff_identity's name. */
#ifndef RMA_STAFF_ACCOUNT_H
#define RMA_STAFF_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/arena.h"
#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/staff.h"

/* The console's cookie: sent only to the staff API (Path), never to
 * another site (SameSite=Strict), never to scripts (HttpOnly). */
#define STAFF_COOKIE "rma_staff"
#define STAFF_COOKIE_PATH "/api/v1/staff"
#define STAFF_DISPLAY_NAME_MAX 100

struct staff_account {
    int64_t id;
    char email[STAFF_ACTOR_MAX + 1];
    char name[STAFF_DISPLAY_NAME_MAX + 1];
    enum staff_role role;
};

/* ---- accounts ---- */

/* Creates an active account (email normalized by the caller).  by is the
 * actor's name (an admin's e-mail, a token name, or the operating-system
 * user of rmactl).  RMA_ECONFLICT when the address has an active account,
 * RMA_ERULE when the database refuses a value. */
enum rma_err db_staff_account_create(struct db *db, const char *email,
                                     const char *name, enum staff_role role,
                                     const char *by, const char *now,
                                     int64_t *id);
/* Deactivates the active account with this id (id > 0) or else this
 * e-mail, and revokes its sessions.  *out (may be NULL) gets the account.
 * RMA_ENOTFOUND when there is no such active account. */
enum rma_err db_staff_account_deactivate(struct db *db, int64_t id,
                                         const char *email, const char *by,
                                         const char *now,
                                         struct staff_account *out);
/* The active account of a normalized e-mail; RMA_ENOTFOUND when none. */
enum rma_err db_staff_account_by_email(struct db *db, const char *email,
                                       struct staff_account *out);
/* Every account, active first then by e-mail, as a JSON array (arena):
 * [{id, email, name, role, active, created_at, created_by,
 * deactivated_at, deactivated_by, last_sign_in_at}]. */
enum rma_err db_staff_account_list_json(struct db *db, struct arena *a,
                                        char **json);

/* An audit event about no case (rma_id NULL): an account added or
 * deactivated, a token created or revoked, a sign-in or a sign-out.
 * detail_json is a JSON object (or NULL). */
enum rma_err db_staff_audit(struct db *db, const char *actor_kind,
                            const char *actor_name, const char *actor_role,
                            const char *action, const char *detail_json,
                            const char *now);

/* ---- one-time codes (the customers' rules: 15 minutes, 5 tries) ---- */

enum rma_err db_staff_code_store(struct db *db, const char *email,
                                 const unsigned char hmac[SHA256_LEN],
                                 const char *now);
/* Counts one try on email's live code; RMA_ENOTFOUND when none. */
enum rma_err db_staff_code_try(struct db *db, const char *email,
                               const char *now, unsigned char hmac[SHA256_LEN],
                               int *tries);
/* RMA_ECONFLICT when the code was used meanwhile. */
enum rma_err db_staff_code_use(struct db *db, const char *email,
                               const char *now);

/* ---- sessions ---- */

enum rma_err db_staff_session_create(struct db *db, int64_t staff_id,
                                     const unsigned char hash[SHA256_LEN],
                                     const char *now, int absolute_hours);
/* The live session of a token hash with its active account, into out
 * (name: the e-mail; id: the account's id; session_id; display_name).
 * RMA_EUNAUTH when none: unknown, revoked, idle longer than idle_minutes,
 * past its absolute expiry, or the account deactivated.  *stale when its
 * idle clock is old enough to be refreshed (db_staff_session_touch). */
enum rma_err db_staff_session_find(struct db *db,
                                   const unsigned char hash[SHA256_LEN],
                                   const char *now, int idle_minutes,
                                   struct staff_identity *out, bool *stale);
enum rma_err db_staff_session_touch(struct db *db, int64_t session_id,
                                    const char *now);
enum rma_err db_staff_session_revoke(struct db *db, int64_t session_id,
                                     const char *now);

/* ---- bearer tokens, for the admin page ---- */

/* Every token (never its hash), active first: [{id, name, role, active,
 * created_at, revoked_at}]. */
enum rma_err db_staff_token_list_json(struct db *db, struct arena *a,
                                      char **json);
/* Revokes the active token with this id; *name (STAFF_NAME_MAX + 1) gets
 * its name.  RMA_ENOTFOUND when there is none. */
enum rma_err db_staff_token_revoke_id(struct db *db, int64_t id, char *name);

/* ---- notifications (staff_notify.c) ---- */

/* Active accounts that have had no digest on day (YYYY-MM-DD), by id, in
 * *out (caller frees). */
enum rma_err db_staff_digest_due(struct db *db, const char *day,
                                 struct staff_account **out, size_t *n);
/* Marks account id's digest sent on day; RMA_ECONFLICT when it already was
 * (another runner).  In the transaction that queues the message. */
enum rma_err db_staff_digest_claim(struct db *db, int64_t id, const char *day);
/* The active account that created case rma_id (its created_by) and the
 * case's number (n bytes); RMA_ENOTFOUND when the creator is no person. */
enum rma_err db_staff_creator_of(struct db *db, int64_t rma_id,
                                 struct staff_account *out, char *number,
                                 size_t n);

/* Removes codes and sessions that can never be used again. */
enum rma_err db_staff_housekeeping(struct db *db, const char *now, long *rows);

#endif
