/* staff.h - staff identities and their bearer tokens.
 *
 * A token is shown once when created; only its SHA-256 is stored.  Roles are
 * bits so that a route can name the set of roles it serves. */
#ifndef RMA_STAFF_H
#define RMA_STAFF_H

#include <stdint.h>

#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/err.h"

enum staff_role {
    ROLE_AGENT = 1 << 0,
    ROLE_SUPERVISOR = 1 << 1,
    ROLE_WAREHOUSE = 1 << 2,
    ROLE_FINANCE = 1 << 3,
    ROLE_ADMIN = 1 << 4,
};
#define ROLE_ANY                                                               \
    (ROLE_AGENT | ROLE_SUPERVISOR | ROLE_WAREHOUSE | ROLE_FINANCE | ROLE_ADMIN)

#define STAFF_NAME_MAX 100
#define STAFF_ACTOR_MAX 254 /* a person acts under their e-mail address */
#define STAFF_TOKEN_PREFIX "rma_st_"

/* Who calls a staff route: a bearer token (session_id 0; name the token's)
 * or a person signed in to the console (staff_account.h; name their e-mail,
 * id their account's). */
struct staff_identity {
    int64_t id;
    char name[STAFF_ACTOR_MAX + 1];
    enum staff_role role;
    int64_t session_id;     /* the console session, 0 for a token */
    char display_name[101]; /* the person's name; "" for a token */
};

/* "agent" etc.; NULL for a value that is not a single role. */
const char *staff_role_name(enum staff_role role);
/* The role named s, or 0 if none. */
enum staff_role staff_role_parse(const char *s);

/* Looks up an active (not revoked) token by the SHA-256 of its text.
 * RMA_EUNAUTH if none, RMA_EDB if the database is unavailable. */
enum rma_err db_staff_token_find(struct db *db,
                                 const unsigned char hash[SHA256_LEN],
                                 struct staff_identity *out);
/* Stores a new token's hash.  RMA_ECONFLICT if name has an active token. */
enum rma_err db_staff_token_create(struct db *db, const char *name,
                                   enum staff_role role,
                                   const unsigned char hash[SHA256_LEN],
                                   int64_t *id);
/* Revokes name's active token.  RMA_ENOTFOUND if it has none. */
enum rma_err db_staff_token_revoke(struct db *db, const char *name);

#endif
