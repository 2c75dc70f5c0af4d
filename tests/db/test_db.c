/* test_db.c - against the suite's PostgreSQL cluster: migrations, the
 * service role's rights, statements prepared against the real schema,
 * staff tokens. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/hold_ops.h"
#include "rma/staff.h"

/* psql as the admin against database db; returns its exit status. */
static int
psql(const char *db, const char *sql, char **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "'%s' -X -q -At -v ON_ERROR_STOP=1 -h '%s/pg' -U rma_admin -d %s "
             "-c \"%s\" 2>&1",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"), db,
             sql);
    return harness_run(cmd, out);
}

Test(migrate, a_second_run_is_a_no_op)
{
    char *out;
    int rc = harness_run("rmactl migrate 2>&1", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_not_null(strstr(out, "0 applied"), "%s", out);
    free(out);
}

Test(migrate, an_edited_applied_migration_is_refused)
{
    char db[64], dir[] = "/tmp/rma-mig-XXXXXX", cmd[4096], *out;
    snprintf(db, sizeof(db), "rma_migtest_%d", (int)getpid());
    cr_assert_not_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "CREATE DATABASE %s", db);
    cr_assert_eq(psql("postgres", cmd, &out), 0, "%s", out);
    free(out);
    snprintf(cmd, sizeof(cmd), "cp '%s'/sql/migrations/*.sql '%s'/",
             getenv("top_srcdir"), dir);
    cr_assert_eq(harness_run(cmd, NULL), 0);

    char url[1024];
    snprintf(url, sizeof(url), "host=%s/pg dbname=%s user=rma_admin",
             harness_env("RMA_TEST_RUN"), db);
    snprintf(cmd, sizeof(cmd),
             "RMA_ADMIN_DATABASE_URL='%s' RMA_MIGRATIONS_DIR='%s' "
             "rmactl migrate 2>&1",
             url, dir);
    cr_assert_eq(harness_run(cmd, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "applied 0001_base.sql"), "%s", out);
    free(out);

    char edit[1024];
    snprintf(edit, sizeof(edit), "echo '-- edited' >> '%s/0001_base.sql'", dir);
    cr_assert_eq(harness_run(edit, NULL), 0);
    cr_assert_eq(harness_run(cmd, &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "0001_base.sql was edited"), "%s", out);
    free(out);

    snprintf(edit, sizeof(edit), "rm -rf '%s'", dir);
    harness_run(edit, NULL);
    snprintf(cmd, sizeof(cmd), "DROP DATABASE %s", db);
    psql("postgres", cmd, NULL);
}

Test(db, every_statement_prepares_against_the_migrated_schema)
{
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_db");
    cr_assert_eq(db_ensure(&db), RMA_OK,
                 "a statement failed to prepare: see the log above");
    cr_assert_eq(db_ping(&db), RMA_OK);
    db_close(&db);
}

/* PostgreSQL plans a LANGUAGE sql function that reads a table anew in
 * every statement that calls it (0010_detail.sql): such functions are
 * plpgsql, whose plans last the session.  A new one written in sql would
 * quietly make every detail answer several times slower. */
Test(db, no_sql_language_function_reads_a_table)
{
    char *out;
    int rc = psql("rma",
                  "SELECT string_agg(p.proname, ', ') FROM pg_proc p"
                  " JOIN pg_language l ON l.oid = p.prolang"
                  " WHERE p.pronamespace = 'public'::regnamespace"
                  " AND l.lanname = 'sql' AND p.prosrc ~* '\\\\mfrom\\\\M'",
                  &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_str_eq(out, "\n", "LANGUAGE sql functions reading tables: %s",
                     out);
    free(out);
}

/* The job's leases (hold_job.c): one round trip takes those of a round that
 * no other connection holds, in order, and gives them back. */
Test(db, hold_leases_are_taken_and_released_in_one_round_trip)
{
    struct db a, b;
    db_init(&a, harness_env("RMA_TEST_APP_URL"), "test_lease_a");
    db_init(&b, harness_env("RMA_TEST_APP_URL"), "test_lease_b");
    int64_t base = 900000000 + (int64_t)getpid() * 10;
    int64_t ids[] = {base + 3, base + 1, base + 2}, got[3];
    int n = -1;
    bool one = false;
    cr_assert_eq(db_hold_lock(&b, base + 1, true, &one), RMA_OK);
    cr_assert(one);
    cr_assert_eq(db_hold_lock_many(&a, ids, 3, got, &n), RMA_OK);
    cr_assert_eq(n, 2, "b holds %lld", (long long)(base + 1));
    cr_assert_eq(got[0], base + 3);
    cr_assert_eq(got[1], base + 2);
    /* b cannot take what a holds; after a releases, it can. */
    cr_assert_eq(db_hold_lock_many(&b, ids, 3, got, &n), RMA_OK);
    cr_assert_eq(n, 1); /* its own, taken again (session locks nest) */
    cr_assert_eq(db_hold_unlock_many(&a, ids, 3), RMA_OK);
    cr_assert_eq(db_hold_lock_many(&b, ids, 3, got, &n), RMA_OK);
    cr_assert_eq(n, 3);
    db_close(&a); /* a's locks, if any were left, go with its session */
    db_close(&b);
}

/* The service adds and revokes tokens for the console's admin page
 * (0016_staff_console.sql) and nothing more: it cannot change a token's
 * hash, name or role, delete one, or bring a revoked one back. */
Test(db, the_service_role_only_adds_and_revokes_staff_tokens)
{
    static const char *const refused[] = {
        "UPDATE staff_token SET token_hash = sha256('x')",
        "UPDATE staff_token SET role = 'admin'",
        "DELETE FROM staff_token",
        "UPDATE staff_token SET revoked_at = NULL"
        " WHERE revoked_at IS NOT NULL",
        "UPDATE staff_account SET deactivated_at = NULL,"
        " deactivated_by = NULL WHERE deactivated_at IS NOT NULL",
        "DELETE FROM staff_account",
    };
    char cmd[2048], *out;
    /* Something revoked and deactivated to try on. */
    snprintf(cmd, sizeof(cmd),
             "rmactl token create --role agent --name db-test-revoked "
             "2>/dev/null && rmactl token revoke --name db-test-revoked "
             "2>/dev/null; rmactl staff add --email db-test-gone@example.com "
             "--name Gone --role agent >/dev/null 2>&1; rmactl staff "
             "deactivate --email db-test-gone@example.com >/dev/null 2>&1");
    harness_run(cmd, &out);
    free(out);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(cmd, sizeof(cmd),
                 "'%s' -X -q -At -h '%s/pg' -U rma_web -d rma -c "
                 "\"%s\" 2>&1",
                 harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"),
                 refused[i]);
        cr_expect_neq(harness_run(cmd, &out), 0, "%s", refused[i]);
        cr_expect(strstr(out, "permission denied") ||
                      strstr(out, "stays revoked") ||
                      strstr(out, "stays deactivated"),
                  "%s: %s", refused[i], out);
        free(out);
    }
}

Test(db, an_unreachable_database_is_reported_not_fatal)
{
    struct db db;
    db_init(&db, "host=/nonexistent dbname=rma user=nobody", "test_db");
    cr_assert_eq(db_ensure(&db), RMA_EDB);
    cr_assert_eq(db_ping(&db), RMA_EDB);
    db_close(&db);
}

Test(staff, tokens_are_stored_hashed_and_revocable)
{
    char *token = harness_staff_token("warehouse", "db-test-dock");
    unsigned char hash[SHA256_LEN];
    crypto_sha256(token, strlen(token), hash);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_db");
    struct staff_identity who;
    cr_assert_eq(db_staff_token_find(&db, hash, &who), RMA_OK);
    cr_assert_str_eq(who.name, "db-test-dock");
    cr_assert_eq(who.role, ROLE_WAREHOUSE);

    char *out;
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM staff_token WHERE token_hash::text LIKE "
             "'%%%.16s%%'",
             token + 7);
    cr_assert_eq(psql("rma", sql, &out), 0);
    cr_assert_str_eq(out, "0\n", "the token text is nowhere in the table");
    free(out);

    cr_assert_eq(harness_run("rmactl token create --role agent "
                             "--name db-test-dock 2>/dev/null",
                             NULL),
                 1, "one active token per name");
    cr_assert_eq(harness_run("rmactl token revoke --name db-test-dock", NULL),
                 0);
    cr_assert_eq(db_staff_token_find(&db, hash, &who), RMA_EUNAUTH);
    cr_assert_eq(harness_run("rmactl token revoke --name db-test-dock "
                             "2>/dev/null",
                             NULL),
                 1);
    cr_assert_eq(harness_run("rmactl token create --role wizard --name x "
                             "2>/dev/null",
                             NULL),
                 2, "usage error");
    db_close(&db);
    free(token);
}

Test(config_check, names_problems_and_exits_2)
{
    char *out;
    int rc = harness_run("RMA_SECRET_PEPPER=short RMA_RETURN_WINDOW_DAYS=30 "
                         "rmactl config check 2>&1",
                         &out);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert_not_null(strstr(out, "secret_pepper"), "%s", out);
    cr_assert_not_null(strstr(out, "return_window_days"), "%s", out);
    cr_assert_null(strstr(out, "short"), "the secret is not printed: %s", out);
    free(out);
    rc = harness_run("rmactl config check 2>&1", &out);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
}

Test(demo, seed_creates_the_demo_cases_once)
{
    char *out;
    int rc = harness_run("rmactl demo seed 2>&1", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "pending_confirm") != NULL ||
                  strstr(out, "exists already") != NULL,
              "%s", out);
    free(out);
    rc = harness_run("rmactl demo seed 2>&1", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_not_null(strstr(out, "nothing changed"), "%s", out);
    free(out);
    cr_assert_eq(
        psql("rma",
             "SELECT string_agg(r.status, ',' ORDER BY r.id) FROM rma r "
             "JOIN customer c ON c.id = r.customer_id "
             "WHERE c.email = 'demo@example.com'",
             &out),
        0);
    cr_assert_str_eq(out,
                     "pending_confirm,pending_confirm,rejected,confirmed\n");
    free(out);
}

Test(jobs, run_jobs_does_one_pass_and_prints_one_line)
{
    char *out;
    int rc = harness_run("rmactl run-jobs --dry-run", &out);
    cr_assert_eq(rc, 0, "%s", out);
    /* What it would do, a line each, then the one-line summary. */
    char *last = out;
    for (char *nl = strchr(out, '\n'); nl != NULL && nl[1] != '\0';
         nl = strchr(nl + 1, '\n')) {
        cr_assert_eq(strncmp(last, "would ", 6), 0, "%s", out);
        last = nl + 1;
    }
    cr_assert_eq(strncmp(last, "run-jobs (dry run)", 18), 0, "%s", out);
    cr_assert_eq(strchr(last, '\n'), last + strlen(last) - 1, "%s", out);
    free(out);
    /* Now, not years ahead: a pass in the future would expire the cases
     * other tests of this tier look at (validity policy). */
    char now[32], cmd[128], expect[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %s --concurrency 4", now);
    snprintf(expect, sizeof(expect), "run-jobs at %s: holds ", now);
    rc = harness_run(cmd, &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_not_null(strstr(out, expect), "%s", out);
    cr_assert_not_null(strstr(out, "; mail "), "%s", out);
    free(out);
    cr_assert_eq(
        harness_run("rmactl run-jobs --now yesterday 2>/dev/null", NULL), 2);
    cr_assert_eq(
        harness_run("rmactl run-jobs --concurrency 0 2>/dev/null", NULL), 2);
}
