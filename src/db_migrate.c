/* db_migrate.c - applies sql/migrations/NNNN_*.sql in order, once each. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "rma/buf.h"
#include "rma/crypto.h"
#include "rma/migrate.h"

#define MAX_MIGRATIONS 1000
#define MAX_MIGRATION_BYTES (4 * 1024 * 1024)
/* pg_advisory_lock key of the migrator (any constant unique to rma). */
#define MIGRATE_LOCK_KEY "727261001"

struct migration {
    int version;
    char *name; /* file name, owned */
    char checksum[SHA256_HEX_LEN];
    char *sql; /* owned */
    int applied;
};

static int
valid_name(const char *n)
{
    /* NNNN_[a-z0-9_]+.sql */
    size_t len = strlen(n);
    if (len < 10 || strcmp(n + len - 4, ".sql") != 0)
        return 0;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)n[i]))
            return 0;
    if (n[4] != '_')
        return 0;
    for (size_t i = 5; i < len - 4; i++)
        if (!(islower((unsigned char)n[i]) || isdigit((unsigned char)n[i]) ||
              n[i] == '_'))
            return 0;
    return 1;
}

static int
by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static char *
read_file(const char *path, FILE *err_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(err_out, "migrate: cannot read %s: %s\n", path,
                strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b, MAX_MIGRATION_BYTES);
    char chunk[8192];
    size_t n;
    enum rma_err e = RMA_OK;
    while (e == RMA_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        e = buf_append(&b, chunk, n);
    fclose(f);
    if (e != RMA_OK) {
        fprintf(err_out, "migrate: %s is too large\n", path);
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

static int
load_dir(const char *dir, struct migration *m, FILE *err_out)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(err_out, "migrate: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!valid_name(e->d_name))
            continue;
        if (n == MAX_MIGRATIONS) {
            fprintf(err_out, "migrate: more than %d migrations\n",
                    MAX_MIGRATIONS);
            break;
        }
        size_t plen = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(plen);
        snprintf(path, plen, "%s/%s", dir, e->d_name);
        char *sql = read_file(path, err_out);
        free(path);
        if (sql == NULL)
            continue;
        unsigned char sum[SHA256_LEN];
        crypto_sha256(sql, strlen(sql), sum);
        m[n].version = (int)strtol(e->d_name, NULL, 10);
        m[n].name = strdup(e->d_name);
        crypto_hex(sum, SHA256_LEN, m[n].checksum);
        m[n].sql = sql;
        m[n].applied = 0;
        n++;
    }
    closedir(d);
    qsort(m, (size_t)n, sizeof(*m), by_version);
    for (int i = 1; i < n; i++)
        if (m[i].version == m[i - 1].version) {
            fprintf(err_out, "migrate: %s and %s share version %04d\n",
                    m[i - 1].name, m[i].name, m[i].version);
            return -1;
        }
    return n;
}

static int
exec_ok(PGconn *c, const char *sql, FILE *err_out, const char *what)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(r);
        return 1;
    }
    fprintf(err_out, "migrate: %s failed: %s", what, PQresultErrorMessage(r));
    PQclear(r);
    return 0;
}

static struct migration *
find(struct migration *m, int n, int version)
{
    for (int i = 0; i < n; i++)
        if (m[i].version == version)
            return &m[i];
    return NULL;
}

enum rma_err
migrate_run(const char *conninfo, const char *dir, FILE *out, FILE *err_out,
            int *applied)
{
    enum rma_err result = RMA_OK;
    PGconn *c = NULL;
    PGresult *r = NULL;
    *applied = 0;
    struct migration *m = calloc(MAX_MIGRATIONS, sizeof(*m));
    if (m == NULL)
        return RMA_EINTERNAL;
    int n = load_dir(dir, m, err_out);
    if (n < 0) {
        result = RMA_EINVAL;
        goto done;
    }

    const char *const kw[] = {"dbname", "fallback_application_name", NULL};
    const char *const val[] = {conninfo, "rmactl-migrate", NULL};
    c = PQconnectdbParams(kw, val, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(err_out, "migrate: cannot connect: %s", PQerrorMessage(c));
        result = RMA_EDB;
        goto done;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    /* One migrator at a time, across hosts. */
    if (!exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err_out,
                 "lock") ||
        !exec_ok(c,
                 "CREATE TABLE IF NOT EXISTS rma_schema_migration ("
                 " version integer PRIMARY KEY,"
                 " name text NOT NULL,"
                 " checksum text NOT NULL,"
                 " applied_at timestamptz NOT NULL DEFAULT now())",
                 err_out, "bookkeeping table")) {
        result = RMA_EDB;
        goto done;
    }
    r = PQexec(c, "SELECT version, name, checksum FROM rma_schema_migration"
                  " ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(err_out, "migrate: %s", PQresultErrorMessage(r));
        result = RMA_EDB;
        goto done;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        int version = (int)strtol(PQgetvalue(r, i, 0), NULL, 10);
        struct migration *f = find(m, n, version);
        if (f == NULL) {
            fprintf(err_out,
                    "migrate: applied migration %s is missing from %s\n",
                    PQgetvalue(r, i, 1), dir);
            result = RMA_ECONFLICT;
        } else if (strcmp(f->checksum, PQgetvalue(r, i, 2)) != 0) {
            fprintf(err_out,
                    "migrate: %s was edited after it was applied "
                    "(checksum %.12s, recorded %.12s); add a new migration "
                    "instead\n",
                    f->name, f->checksum, PQgetvalue(r, i, 2));
            result = RMA_ECONFLICT;
        } else {
            f->applied = 1;
        }
    }
    PQclear(r);
    r = NULL;
    if (result != RMA_OK)
        goto done;

    for (int i = 0; i < n; i++) {
        if (m[i].applied)
            continue;
        char version[16];
        snprintf(version, sizeof(version), "%d", m[i].version);
        const char *params[] = {version, m[i].name, m[i].checksum};
        if (!exec_ok(c, "BEGIN", err_out, "BEGIN")) {
            result = RMA_EDB;
            goto done;
        }
        if (!exec_ok(c, m[i].sql, err_out, m[i].name)) {
            PQclear(PQexec(c, "ROLLBACK"));
            result = RMA_EINTERNAL;
            goto done;
        }
        r = PQexecParams(c,
                         "INSERT INTO rma_schema_migration (version, name, "
                         "checksum) VALUES ($1, $2, $3)",
                         3, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(err_out, "migrate: recording %s failed: %s", m[i].name,
                    PQresultErrorMessage(r));
            PQclear(PQexec(c, "ROLLBACK"));
            result = RMA_EDB;
            goto done;
        }
        PQclear(r);
        r = NULL;
        if (!exec_ok(c, "COMMIT", err_out, "COMMIT")) {
            result = RMA_EDB;
            goto done;
        }
        fprintf(out, "applied %s\n", m[i].name);
        (*applied)++;
    }

done:
    PQclear(r);
    if (c != NULL)
        PQfinish(c);
    for (int i = 0; i < MAX_MIGRATIONS && m[i].name != NULL; i++) {
        free(m[i].name);
        free(m[i].sql);
    }
    free(m);
    return result;
}
