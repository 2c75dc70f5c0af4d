/* db_staff.c - SQL for staff tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/staff.h"

static const struct db_stmt stmts[] = {
    {"staff_token_find",
     "SELECT id, name, role FROM staff_token"
     " WHERE token_hash = decode($1, 'hex') AND revoked_at IS NULL",
     1},
    {"staff_token_create",
     "INSERT INTO staff_token (name, role, token_hash)"
     " VALUES ($1, $2, decode($3, 'hex')) RETURNING id",
     3},
    {"staff_token_revoke",
     "UPDATE staff_token SET revoked_at = now()"
     " WHERE name = $1 AND revoked_at IS NULL",
     1},
};
const struct db_stmt_table db_staff_stmts = {stmts,
                                             sizeof(stmts) / sizeof(stmts[0])};

static const char *const role_names[] = {"agent", "supervisor", "warehouse",
                                         "finance", "admin"};

const char *
staff_role_name(enum staff_role role)
{
    for (int i = 0; i < 5; i++)
        if (role == (enum staff_role)(1 << i))
            return role_names[i];
    return NULL;
}

enum staff_role
staff_role_parse(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (s != NULL && strcmp(s, role_names[i]) == 0)
            return (enum staff_role)(1 << i);
    return 0;
}

enum rma_err
db_staff_token_find(struct db *db, const unsigned char hash[SHA256_LEN],
                    struct staff_identity *out)
{
    char hex[SHA256_HEX_LEN];
    const char *params[] = {crypto_hex(hash, SHA256_LEN, hex)};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_token_find", 1, params, &err);
    if (r == NULL)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return RMA_EUNAUTH;
    }
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
    out->role = staff_role_parse(PQgetvalue(r, 0, 2));
    PQclear(r);
    return out->role != 0 ? RMA_OK : RMA_EINTERNAL;
}

enum rma_err
db_staff_token_create(struct db *db, const char *name, enum staff_role role,
                      const unsigned char hash[SHA256_LEN], int64_t *id)
{
    char hex[SHA256_HEX_LEN];
    const char *params[] = {name, staff_role_name(role),
                            crypto_hex(hash, SHA256_LEN, hex)};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_token_create", 3, params, &err);
    if (r == NULL)
        return err;
    *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_staff_token_revoke(struct db *db, const char *name)
{
    const char *params[] = {name};
    enum rma_err err;
    PGresult *r = db_run(db, "staff_token_revoke", 1, params, &err);
    if (r == NULL)
        return err;
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return n > 0 ? RMA_OK : RMA_ENOTFOUND;
}
