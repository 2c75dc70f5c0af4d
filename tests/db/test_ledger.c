/* test_ledger.c - the double-entry ledger against the suite's PostgreSQL and
 * paypal-sim: posting and its idempotency, what the database refuses on its
 * own (unbalanced entries, entries without postings, any change), what
 * ledger verify finds, and `rmactl ledger verify`'s exit codes.
 *
 * verify looks at a whole database, so every test gets a database of its
 * own, copied from a migrated template; violations that the database would
 * refuse are written by the superuser with triggers off
 * (session_replication_role = replica), as a careless restore could. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../e2e/sim_client.h"
#include "../harness.h"
#include "rma/db.h"
#include "rma/db_ledger.h"
#include "rma/ledger.h"
#include "rma/ledger_ops.h"
#include "rma/ledger_verify.h"
#include "rma/paypal.h"

#define TEMPLATE "rma_ledger_template"

struct fixture {
    char name[64];        /* the test's database */
    char app_url[1024];   /* conninfo as the service (rma_web) */
    char admin_url[1024]; /* conninfo as the superuser */
    PGconn *admin;        /* the superuser's connection */
    struct db db;         /* the service's connection */
    int cases;            /* cases created so far */
};

static char last_error[1024];

static PGconn *
connect_url(const char *url)
{
    PGconn *c = PQconnectdb(url);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s: %s", url, PQerrorMessage(c));
    return c;
}

/* Runs sql: NULL when it succeeded, else its SQLSTATE (static) with the
 * message in last_error. */
static const char *try_sql(PGconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *
try_sql(PGconn *c, const char *fmt, ...)
{
    static char state[8];
    char sql[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(r);
        return NULL;
    }
    const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(state, sizeof(state), "%s", s ? s : "?????");
    snprintf(last_error, sizeof(last_error), "%s", PQresultErrorMessage(r));
    PQclear(r);
    return state;
}

#define sql_ok(c, ...)                                                         \
    do {                                                                       \
        const char *state_ = try_sql(c, __VA_ARGS__);                          \
        cr_assert_null(state_, "%s", last_error);                              \
    } while (0)

/* The first column of the first row, as a number. */
static long long sql_int(PGconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static long long
sql_int(PGconn *c, const char *fmt, ...)
{
    char sql[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql,
                 PQresultErrorMessage(r));
    cr_assert_eq(PQntuples(r), 1, "%s", sql);
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

/* The ledger holds entries journal entries and postings postings. */
static void
assert_rows(struct fixture *f, long long entries, long long postings)
{
    cr_assert_eq(sql_int(f->admin, "SELECT count(*) FROM journal_entry"),
                 entries);
    cr_assert_eq(sql_int(f->admin, "SELECT count(*) FROM posting"), postings);
}

static void
server_url(char *out, size_t n, const char *var, const char *dbname)
{
    /* In a conninfo string the last value of a keyword wins. */
    snprintf(out, n, "%s dbname=%s", harness_env(var), dbname);
}

/* The migrated template, made once per cluster under a lock. */
static void
ensure_template(void)
{
    char path[1024], url[1024];
    snprintf(path, sizeof(path), "%s/ledger-template.lock",
             harness_env("RMA_TEST_RUN"));
    int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0);
    server_url(url, sizeof(url), "RMA_TEST_ADMIN_URL", "postgres");
    PGconn *pg = connect_url(url);
    if (sql_int(pg, "SELECT count(*) FROM pg_database WHERE datname = '%s'",
                TEMPLATE) == 0) {
        sql_ok(pg, "DROP DATABASE IF EXISTS rma_ledger_building");
        sql_ok(pg, "CREATE DATABASE rma_ledger_building");
        char cmd[2048], *out;
        server_url(url, sizeof(url), "RMA_TEST_ADMIN_URL",
                   "rma_ledger_building");
        snprintf(cmd, sizeof(cmd),
                 "RMA_ADMIN_DATABASE_URL='%s' rmactl migrate 2>&1", url);
        int rc = harness_run(cmd, &out);
        cr_assert_eq(rc, 0, "%s", out ? out : "");
        free(out);
        sql_ok(pg, "ALTER DATABASE rma_ledger_building RENAME TO %s", TEMPLATE);
    }
    PQfinish(pg);
    close(fd);
}

static void
setup(struct fixture *f)
{
    static int n;
    memset(f, 0, sizeof(*f));
    ensure_template();
    snprintf(f->name, sizeof(f->name), "rma_ledger_%d_%d", (int)getpid(), ++n);
    char url[1024];
    server_url(url, sizeof(url), "RMA_TEST_ADMIN_URL", "postgres");
    PGconn *pg = connect_url(url);
    sql_ok(pg, "CREATE DATABASE %s TEMPLATE %s", f->name, TEMPLATE);
    PQfinish(pg);
    server_url(f->admin_url, sizeof(f->admin_url), "RMA_TEST_ADMIN_URL",
               f->name);
    server_url(f->app_url, sizeof(f->app_url), "RMA_TEST_APP_URL", f->name);
    f->admin = connect_url(f->admin_url);
    db_init(&f->db, f->app_url, "test_ledger");
    cr_assert_eq(db_ensure(&f->db), RMA_OK);
}

static void
teardown(struct fixture *f)
{
    db_close(&f->db);
    PQfinish(f->admin);
    char url[1024];
    server_url(url, sizeof(url), "RMA_TEST_ADMIN_URL", "postgres");
    PGconn *pg = connect_url(url);
    (void)try_sql(pg, "DROP DATABASE IF EXISTS %s", f->name);
    PQfinish(pg);
}

/* A new case with an authorized hold of amount USD minor units on the
 * PayPal authorization auth_id (NULL: a made-up one).  Only the hold row:
 * its ledger entries are the test's business. */
static int64_t
add_hold(struct fixture *f, int64_t amount, const char *auth_id,
         int64_t *rma_id)
{
    int k = ++f->cases;
    int64_t rma = sql_int(
        f->admin,
        "WITH c AS (INSERT INTO customer (email, name)"
        " VALUES ('ledger-%d@example.com', 'Ledger Test') RETURNING id),"
        " o AS (INSERT INTO original_order (order_number, sales_channel,"
        " customer_id, shipping_country, currency, purchase_date)"
        " SELECT 'L-%d', 'test', id, 'US', 'USD', current_date FROM c"
        " RETURNING id, customer_id)"
        " INSERT INTO rma (number, customer_id, order_id, kind, status,"
        " problem, currency, replacement_minor, warehouse_region,"
        " replacement_method, created_by)"
        " SELECT 'RMA-2026-%06d', customer_id, id, 'replacement',"
        " 'awaiting_shipment', 'a test case', 'USD', %lld, 'US', 'advanced',"
        " 'test' FROM o RETURNING id",
        k, k, k, (long long)amount);
    int64_t hold = sql_int(
        f->admin,
        "WITH a AS (INSERT INTO preauth_acceptance (rma_id, customer_id,"
        " terms_version, terms_text, amount_minor, currency, accepted_at)"
        " SELECT id, customer_id, 'v1', 'the terms', %lld, 'USD', now()"
        " FROM rma WHERE id = %lld RETURNING id, rma_id)"
        " INSERT INTO hold (rma_id, acceptance_id, status, currency,"
        " amount_minor, authorization_id, authorized_at, expires_at,"
        " deadline, created_at, updated_at)"
        " SELECT rma_id, id, 'authorized', 'USD', %lld, '%s%s', now(),"
        " now() + interval '29 days', now() + interval '25 days', now(),"
        " now() FROM a RETURNING id",
        (long long)amount, (long long)rma, (long long)amount,
        auth_id ? "" : "AUTH-", auth_id ? auth_id : f->name);
    if (auth_id == NULL)
        sql_ok(f->admin,
               "UPDATE hold SET authorization_id = 'AUTH-%lld'"
               " WHERE id = %lld",
               (long long)hold, (long long)hold);
    if (rma_id != NULL)
        *rma_id = rma;
    return hold;
}

static void
hold_captured(struct fixture *f, int64_t hold, const char *capture_id,
              int64_t gross, int64_t fee)
{
    sql_ok(f->admin,
           "UPDATE hold SET status = 'captured', capture_id = '%s',"
           " capture_minor = %lld, fee_minor = %lld, captured_at = now(),"
           " capture_reason = 'deadline' WHERE id = %lld",
           capture_id, (long long)gross, (long long)fee, (long long)hold);
    /* The business state goes with it (ledger verify checks it too). */
    sql_ok(f->admin,
           "UPDATE rma SET status = 'charged' WHERE id = (SELECT rma_id FROM"
           " hold WHERE id = %lld)",
           (long long)hold);
}

static void
hold_refunded(struct fixture *f, int64_t hold, const char *refund_id,
              int64_t amount)
{
    sql_ok(f->admin,
           "UPDATE hold SET refund_id = '%s', refund_minor = %lld,"
           " refunded_at = now() WHERE id = %lld",
           refund_id, (long long)amount, (long long)hold);
}

static void
hold_voided(struct fixture *f, int64_t hold)
{
    sql_ok(f->admin,
           "UPDATE hold SET status = 'voided', voided_at = now(),"
           " void_reason = 'received' WHERE id = %lld",
           (long long)hold);
}

static void
begin(struct fixture *f)
{
    cr_assert_eq(db_begin(&f->db), RMA_OK);
}

static void
commit(struct fixture *f)
{
    cr_assert_eq(db_commit(&f->db), RMA_OK);
}

/* A hold and its ledger, consistent, ending as `end`: authorized,
 * reauthorized, voided, captured or refunded.  Returns the hold id.  The
 * hold row changes first: an open transaction whose entries name the hold
 * keeps a key-share lock on it. */
static int64_t
consistent_hold(struct fixture *f, const char *end)
{
    int64_t rma, amount = 12999, fee = 483;
    int64_t hold = add_hold(f, amount, NULL, &rma);
    char auth[32], cap[32], ref[32];
    snprintf(auth, sizeof(auth), "AUTH-%lld", (long long)hold);
    snprintf(cap, sizeof(cap), "CAP-%lld", (long long)hold);
    snprintf(ref, sizeof(ref), "REF-%lld", (long long)hold);
    bool voided = strcmp(end, "voided") == 0;
    bool refunded = strcmp(end, "refunded") == 0;
    bool captured = refunded || strcmp(end, "captured") == 0;
    if (voided)
        hold_voided(f, hold);
    if (captured)
        hold_captured(f, hold, cap, amount, fee);
    if (refunded)
        hold_refunded(f, hold, ref, 5000);
    begin(f);
    cr_assert_eq(ledger_hold_authorized(&f->db, rma, hold, "USD", amount, auth),
                 RMA_OK);
    if (strcmp(end, "reauthorized") == 0)
        cr_assert_eq(ledger_hold_reauthorized(&f->db, rma, hold, "USD", amount,
                                              "REAUTH-1"),
                     RMA_OK);
    if (voided)
        cr_assert_eq(ledger_hold_released(&f->db, rma, hold, "USD", amount,
                                          "voided", auth),
                     RMA_OK);
    if (captured) {
        cr_assert_eq(ledger_hold_released(&f->db, rma, hold, "USD", amount,
                                          "captured", cap),
                     RMA_OK);
        cr_assert_eq(
            ledger_capture(&f->db, rma, hold, 0, cap, "USD", amount, fee),
            RMA_OK);
    }
    if (refunded)
        cr_assert_eq(ledger_refund(&f->db, rma, hold, 0, ref, "USD", 5000, 186),
                     RMA_OK);
    commit(f);
    return hold;
}

static struct ledger_findings
verify(struct fixture *f, struct paypal_client *pc)
{
    struct ledger_findings out = {0};
    cr_assert_eq(ledger_verify(&f->db, pc, &out), RMA_OK);
    return out;
}

static void
print_findings(const struct ledger_findings *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        fprintf(stderr, "  finding [%s] %s\n", fs->item[i].check,
                fs->item[i].text);
}

/* The one finding of check whose text is exactly text. */
static void
assert_finding(const struct ledger_findings *fs, const char *check,
               const char *text)
{
    for (size_t i = 0; i < fs->n; i++)
        if (strcmp(fs->item[i].check, check) == 0 &&
            strcmp(fs->item[i].text, text) == 0)
            return;
    print_findings(fs);
    cr_assert_fail("no [%s] finding \"%s\"", check, text);
}

static void
assert_clean(const struct ledger_findings *fs)
{
    if (fs->n != 0)
        print_findings(fs);
    cr_assert_eq(fs->n, 0, "%zu findings on a consistent ledger", fs->n);
}

/* ---- posting ---- */

Test(ledger_post, an_entry_and_its_postings_are_written_once)
{
    struct fixture f;
    setup(&f);
    int64_t rma, hold = add_hold(&f, 12999, NULL, &rma);
    struct ledger_draft d;
    cr_assert_eq(
        ledger_build_capture(&d, rma, hold, 0, "CAP-A", "USD", 12999, 483),
        RMA_OK);
    d.entry.memo = "deadline passed";
    d.entry.effective_at = "2026-11-23T10:00:00Z";
    bool created;
    begin(&f);
    cr_assert_eq(ledger_post(&f.db, &d.entry, &created), RMA_OK);
    cr_assert(created);
    commit(&f);
    cr_assert_eq(sql_int(f.admin,
                         "SELECT count(*) FROM posting p JOIN journal_entry e"
                         " ON e.id = p.entry_id WHERE e.idempotency_key ="
                         " 'capture:CAP-A' AND e.hold_id = %lld AND"
                         " e.rma_id = %lld AND e.kind = 'capture' AND"
                         " e.paypal_id = 'CAP-A' AND e.memo = 'deadline passed'"
                         " AND e.effective_at = '2026-11-23T10:00:00Z'",
                         (long long)hold, (long long)rma),
                 3);
    cr_assert_eq(sql_int(f.admin, "SELECT sum(amount_minor) FROM posting"
                                  " WHERE account = 'paypal:balance'"),
                 12516);
    cr_assert_eq(sql_int(f.admin, "SELECT sum(amount_minor) FROM posting"
                                  " WHERE account = 'expense:paypal_fees'"),
                 483);

    /* The same operation again, e.g. a rerun after a crash. */
    begin(&f);
    cr_assert_eq(ledger_post(&f.db, &d.entry, &created), RMA_OK);
    cr_assert_not(created);
    d.entry.effective_at = NULL; /* "now" matches whatever was stored */
    cr_assert_eq(ledger_post(&f.db, &d.entry, &created), RMA_OK);
    cr_assert_not(created);
    cr_assert_eq(
        ledger_capture(&f.db, rma, hold, 0, "CAP-A", "USD", 12999, 483),
        RMA_ECONFLICT, "the rule's entry has no memo");
    commit(&f);
    assert_rows(&f, 1, 3);
    teardown(&f);
}

Test(ledger_post, the_same_key_with_other_content_is_a_conflict)
{
    struct fixture f;
    setup(&f);
    int64_t rma, hold = add_hold(&f, 12999, NULL, &rma);
    begin(&f);
    cr_assert_eq(
        ledger_capture(&f.db, rma, hold, 0, "CAP-B", "USD", 12999, 483),
        RMA_OK);
    commit(&f);

    begin(&f);
    cr_assert_eq(
        ledger_capture(&f.db, rma, hold, 0, "CAP-B", "USD", 12999, 484),
        RMA_ECONFLICT, "another fee");
    cr_assert_eq(
        ledger_capture(&f.db, rma, hold, 0, "CAP-B", "USD", 12998, 483),
        RMA_ECONFLICT, "another gross");
    cr_assert_eq(
        ledger_capture(&f.db, rma, hold, 0, "CAP-B", "EUR", 12999, 483),
        RMA_ECONFLICT, "another currency");
    cr_assert_eq(ledger_capture(&f.db, 0, hold, 0, "CAP-B", "USD", 12999, 483),
                 RMA_ECONFLICT, "another case");
    struct ledger_draft d;
    cr_assert_eq(
        ledger_build_capture(&d, rma, hold, 0, "CAP-B", "USD", 12999, 483),
        RMA_OK);
    d.entry.effective_at = "2020-01-01T00:00:00Z";
    bool created;
    cr_assert_eq(ledger_post(&f.db, &d.entry, &created), RMA_ECONFLICT,
                 "another date");
    /* The lines in another order are the same entry. */
    struct ledger_line swapped[3] = {d.line[2], d.line[0], d.line[1]};
    d.entry.effective_at = NULL;
    d.entry.lines = swapped;
    cr_assert_eq(ledger_post(&f.db, &d.entry, &created), RMA_OK);
    cr_assert_not(created);
    /* A conflict does not abort the caller's transaction. */
    cr_assert_eq(
        ledger_hold_authorized(&f.db, rma, hold, "USD", 12999, "AUTH-B"),
        RMA_OK);
    commit(&f);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 2);
    teardown(&f);
}

/* A capture's two entries go in by one statement (db_ledger_post_many):
 * both or neither, each idempotent on its own key. */
Test(ledger_post, a_capture_and_its_release_are_posted_together)
{
    struct fixture f;
    setup(&f);
    int64_t rma, hold = add_hold(&f, 12999, NULL, &rma);
    begin(&f);
    cr_assert_eq(
        ledger_hold_authorized(&f.db, rma, hold, "USD", 12999, "AUTH-W"),
        RMA_OK);
    cr_assert_eq(ledger_capture_with_release(&f.db, rma, hold, 0, "CAP-W",
                                             "USD", 12999, 12999, 483),
                 RMA_OK);
    commit(&f);
    assert_rows(&f, 3, 7);
    cr_assert_eq(sql_int(f.admin, "SELECT sum(amount_minor) FROM posting"
                                  " WHERE account = 'holds:authorized'"),
                 0, "the hold is released");
    cr_assert_eq(sql_int(f.admin,
                         "SELECT count(*) FROM journal_entry r, journal_entry c"
                         " WHERE r.idempotency_key = 'hold:%lld:captured'"
                         " AND r.kind = 'hold_captured' AND r.paypal_id ="
                         " 'CAP-W' AND c.idempotency_key = 'capture:CAP-W'"
                         " AND r.id < c.id AND (SELECT max(id) FROM posting"
                         " WHERE entry_id = r.id) < (SELECT min(id) FROM"
                         " posting WHERE entry_id = c.id)",
                         (long long)hold),
                 1, "the release, then the capture, each with its postings");

    /* Again (a rerun), and again with another fee: the first is the same
     * pair, the second a conflict that does not abort the transaction. */
    begin(&f);
    cr_assert_eq(ledger_capture_with_release(&f.db, rma, hold, 0, "CAP-W",
                                             "USD", 12999, 12999, 483),
                 RMA_OK);
    cr_assert_eq(ledger_capture_with_release(&f.db, rma, hold, 0, "CAP-W",
                                             "USD", 12999, 12999, 484),
                 RMA_ECONFLICT);
    commit(&f);
    assert_rows(&f, 3, 7);
    teardown(&f);
}

Test(ledger_post, several_entries_in_one_statement_keep_their_text_and_keys)
{
    struct fixture f;
    setup(&f);
    struct ledger_line lines[] = {{LEDGER_PAYPAL_BALANCE, 100},
                                  {LEDGER_ADJUSTMENTS, -100}};
    /* Text JSON must escape, and that is not ASCII. */
    const char *memo = "said \"no\" \\ {a,b} caf\xc3\xa9\n";
    struct ledger_entry a = {.key = "adjust:\"q\"",
                             .kind = "adjustment",
                             .currency = "USD",
                             .memo = memo,
                             .lines = lines,
                             .n = 2};
    struct ledger_entry b = a;
    b.key = "adjust:{2}";
    b.memo = NULL;
    b.effective_at = "2026-11-23T10:00:00Z";
    const struct ledger_entry *both[] = {&a, &b};
    bool created[2];
    begin(&f);
    cr_assert_eq(db_ledger_post_many(&f.db, both, 2, created), RMA_OK);
    cr_assert(created[0] && created[1]);
    commit(&f);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry WHERE"
                                  " idempotency_key = 'adjust:\"q\"' AND"
                                  " memo = 'said \"no\" \\ {a,b} caf\xc3\xa9'"
                                  " || chr(10)"),
                 1, "the memo as it was");
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry WHERE"
                                  " idempotency_key = 'adjust:{2}' AND memo"
                                  " IS NULL AND effective_at ="
                                  " '2026-11-23T10:00:00Z'"),
                 1);

    /* One written before, one new: only the new one is written. */
    struct ledger_entry c = b;
    c.key = "adjust:3";
    const struct ledger_entry *again[] = {&a, &c};
    begin(&f);
    cr_assert_eq(db_ledger_post_many(&f.db, again, 2, created), RMA_OK);
    cr_assert(!created[0] && created[1]);
    commit(&f);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 3);

    /* One key twice in one call is the caller's mistake: nothing written. */
    struct ledger_entry d = c;
    d.key = "adjust:4";
    const struct ledger_entry *twice[] = {&d, &d};
    begin(&f);
    cr_assert_eq(db_ledger_post_many(&f.db, twice, 2, created), RMA_EINTERNAL);
    commit(&f);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 3);
    teardown(&f);
}

Test(ledger_post, entries_the_c_side_refuses_never_reach_the_database)
{
    struct fixture f;
    setup(&f);
    struct ledger_line lines[] = {{LEDGER_PAYPAL_BALANCE, 100},
                                  {LEDGER_REVENUE_UNRETURNED, -99}};
    struct ledger_entry e = {.key = "adjust:1",
                             .kind = "adjustment",
                             .currency = "USD",
                             .lines = lines,
                             .n = 2};
    bool created = true;
    begin(&f);
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_ERULE);
    cr_assert_not(created);
    lines[1].account = "revenue:elsewhere";
    lines[1].amount_minor = -100;
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_EINVAL);
    lines[1].account = LEDGER_REVENUE_UNRETURNED;
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_OK);
    cr_assert(created);
    commit(&f);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 1);
    teardown(&f);
}

Test(ledger_post, a_duplicate_posted_concurrently_is_written_once)
{
    struct fixture f;
    setup(&f);
    int64_t rma, hold = add_hold(&f, 12999, NULL, &rma);
    begin(&f);
    cr_assert_eq(
        ledger_capture(&f.db, rma, hold, 0, "CAP-C", "USD", 12999, 483),
        RMA_OK);
    /* A second runner posts the same capture while the first has not
     * committed: it waits, then finds the entry. */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct db other;
        db_init(&other, f.app_url, "test_ledger_other");
        bool created = true;
        enum rma_err err = db_begin(&other);
        if (err == RMA_OK) {
            struct ledger_draft d;
            ledger_build_capture(&d, rma, hold, 0, "CAP-C", "USD", 12999, 483);
            err = ledger_post(&other, &d.entry, &created);
        }
        if (err == RMA_OK)
            err = db_commit(&other);
        db_close(&other);
        _exit(err == RMA_OK && !created ? 0 : 10 + (int)err);
    }
    usleep(500 * 1000);
    commit(&f);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0, "the other runner: exit %d",
                 WEXITSTATUS(status));
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM posting"), 3);
    teardown(&f);
}

Test(ledger_post, the_chart_in_c_is_the_chart_in_the_database)
{
    struct fixture f;
    setup(&f);
    size_t n;
    const struct ledger_account *a = ledger_accounts(&n);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM ledger_account"),
                 (long long)n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sql_int(f.admin,
                             "SELECT count(*) FROM ledger_account"
                             " WHERE code = '%s' AND kind = '%s'",
                             a[i].code, a[i].kind),
                     1, "%s", a[i].code);
    teardown(&f);
}

Test(ledger_post, the_c_and_sql_limits_on_keys_agree)
{
    struct fixture f;
    setup(&f);
    char key[LEDGER_KEY_MAX + 2];
    memset(key, 'k', sizeof(key) - 1);
    key[LEDGER_KEY_MAX] = '\0';
    struct ledger_line lines[] = {{LEDGER_PAYPAL_BALANCE, 100},
                                  {LEDGER_PAYPAL_FEES, -100}};
    struct ledger_entry e = {.key = key,
                             .kind = "adjustment",
                             .currency = "JPY",
                             .lines = lines,
                             .n = 2};
    bool created;
    begin(&f);
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_OK, "200 characters");
    commit(&f);
    cr_assert_eq(sql_int(f.admin, "SELECT length(idempotency_key)"
                                  " FROM journal_entry"),
                 LEDGER_KEY_MAX);
    /* One more: C refuses it, and so does the table. */
    key[LEDGER_KEY_MAX] = 'k';
    key[LEDGER_KEY_MAX + 1] = '\0';
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_EINVAL);
    PGconn *app = connect_url(f.app_url);
    const char *state = try_sql(app,
                                "INSERT INTO journal_entry (idempotency_key,"
                                " kind) VALUES ('%s', 'adjustment')",
                                key);
    cr_assert_str_eq(state ? state : "ok", "23514", "%s", last_error);
    PQfinish(app);
    teardown(&f);
}

/* ---- what the database refuses by itself (as the service's role) ---- */

/* An entry's postings are checked by the statement that adds them
 * (0026_ledger_check_once.sql): what it refuses changes nothing. */
static void
refused(PGconn *app, const char *want_state, const char *want_error,
        const char *sql)
{
    const char *state = try_sql(app, "%s", sql);
    cr_assert_not_null(state, "accepted: %s", sql);
    cr_assert_str_eq(state, want_state, "%s: %s", sql, last_error);
    cr_assert_not_null(strstr(last_error, want_error), "%s", last_error);
    sql_ok(app, "ROLLBACK");
}

Test(ledger_db, an_unbalanced_entry_is_refused)
{
    struct fixture f;
    setup(&f);
    PGconn *app = connect_url(f.app_url);
    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:1', 'adjustment')");
    refused(app, "23514", "unbalanced (USD real: 1)",
            "INSERT INTO posting (entry_id, account, currency,"
            " amount_minor) SELECT id, a, 'USD', m FROM journal_entry,"
            " (VALUES ('paypal:balance', 100),"
            " ('expense:paypal_fees', -99)) v(a, m)"
            " WHERE idempotency_key = 'raw:1'");

    /* Balanced per currency, not across currencies. */
    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:2', 'adjustment')");
    refused(app, "23514", "unbalanced",
            "INSERT INTO posting (entry_id, account, currency,"
            " amount_minor) SELECT id, a, c, m FROM journal_entry,"
            " (VALUES ('paypal:balance', 'USD', 100),"
            " ('expense:paypal_fees', 'EUR', -100)) v(a, c, m)"
            " WHERE idempotency_key = 'raw:2'");

    /* A memo leg cannot balance a real one. */
    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:3', 'adjustment')");
    refused(app, "23514", "unbalanced (USD memo: -100)",
            "INSERT INTO posting (entry_id, account, currency,"
            " amount_minor) SELECT id, a, 'USD', m FROM journal_entry,"
            " (VALUES ('paypal:balance', 100),"
            " ('holds:contra', -100)) v(a, m)"
            " WHERE idempotency_key = 'raw:3'");

    /* Postings added one statement at a time: each statement must leave
     * the entry balanced, the first one already. */
    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:4', 'adjustment')");
    refused(app, "23514", "1 posting(s)",
            "INSERT INTO posting (entry_id, account, currency,"
            " amount_minor) SELECT id, 'paypal:balance', 'USD', 100"
            " FROM journal_entry WHERE idempotency_key = 'raw:4'");

    /* The same postings, balanced, go in. */
    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:5', 'adjustment')");
    sql_ok(app, "INSERT INTO posting (entry_id, account, currency,"
                " amount_minor) SELECT id, a, 'USD', m FROM journal_entry,"
                " (VALUES ('paypal:balance', 100),"
                " ('expense:paypal_fees', -100)) v(a, m)"
                " WHERE idempotency_key = 'raw:5'");
    sql_ok(app, "COMMIT");
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 1);
    PQfinish(app);
    teardown(&f);
}

Test(ledger_db, a_statement_adding_to_several_entries_is_checked_per_entry)
{
    struct fixture f;
    setup(&f);
    PGconn *app = connect_url(f.app_url);
    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:a', 'adjustment'), ('raw:b', 'adjustment')");
    /* Balanced together, not each. */
    refused(app, "23514", "unbalanced",
            "INSERT INTO posting (entry_id, account, currency,"
            " amount_minor) SELECT e.id, 'paypal:balance', 'USD',"
            " CASE e.idempotency_key WHEN 'raw:a' THEN 100 ELSE -100 END"
            " FROM journal_entry e UNION ALL SELECT e.id,"
            " 'expense:paypal_fees', 'USD', CASE e.idempotency_key"
            " WHEN 'raw:a' THEN -50 ELSE 50 END FROM journal_entry e");
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 0);
    PQfinish(app);
    teardown(&f);
}

Test(ledger_db, unknown_accounts_and_currencies_are_refused)
{
    struct fixture f;
    setup(&f);
    PGconn *app = connect_url(f.app_url);
    static const char *const postings[] = {
        "('cash:box', 'USD', 100), ('paypal:balance', 'USD', -100)",
        "('paypal:balance', 'XXX', 100), ('expense:paypal_fees', 'XXX', -100)",
    };
    static const char *const messages[] = {"names an unknown account",
                                           "names an unknown currency"};
    for (int i = 0; i < 2; i++) {
        sql_ok(app, "BEGIN");
        sql_ok(app,
               "INSERT INTO journal_entry (idempotency_key, kind)"
               " VALUES ('raw:%d', 'adjustment')",
               i);
        char insert[512];
        snprintf(insert, sizeof(insert),
                 "INSERT INTO posting (entry_id, account, currency,"
                 " amount_minor) SELECT id, a, c, m FROM journal_entry,"
                 " (VALUES %s) v(a, c, m) WHERE idempotency_key = 'raw:%d'",
                 postings[i], i);
        refused(app, "23503", messages[i], insert);
    }
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 0);
    /* Nor can the owner remove or rename an account. */
    cr_assert_not_null(try_sql(f.admin, "DELETE FROM ledger_account"
                                        " WHERE code = 'holds:contra'"));
    cr_assert_not_null(try_sql(f.admin, "UPDATE ledger_account SET code ="
                                        " 'holds:other' WHERE code ="
                                        " 'holds:contra'"));
    sql_ok(f.admin, "UPDATE ledger_account SET description = 'the other side'"
                    " WHERE code = 'holds:contra'");
    PQfinish(app);
    teardown(&f);
}

Test(ledger_db, entries_without_their_postings_are_refused_at_commit)
{
    struct fixture f;
    setup(&f);
    PGconn *app = connect_url(f.app_url);
    const char *state =
        try_sql(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                     " VALUES ('raw:1', 'adjustment')");
    cr_assert_str_eq(state ? state : "ok", "23514", "no postings");
    cr_assert_not_null(strstr(last_error, "0 posting(s)"), "%s", last_error);

    sql_ok(app, "BEGIN");
    sql_ok(app, "INSERT INTO journal_entry (idempotency_key, kind)"
                " VALUES ('raw:2', 'adjustment')");
    state = try_sql(app, "COMMIT");
    cr_assert_str_eq(state ? state : "ok", "23514",
                     "no postings, in a"
                     " transaction");
    cr_assert_not_null(strstr(last_error, "0 posting(s)"), "%s", last_error);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM journal_entry"), 0);
    PQfinish(app);
    teardown(&f);
}

Test(ledger_db, a_posting_added_later_must_keep_its_entry_balanced)
{
    struct fixture f;
    setup(&f);
    int64_t hold = consistent_hold(&f, "captured");
    PGconn *app = connect_url(f.app_url);
    const char *state = try_sql(
        app,
        "INSERT INTO posting (entry_id, account, currency, amount_minor)"
        " SELECT id, 'paypal:balance', 'USD', 1 FROM journal_entry"
        " WHERE kind = 'capture' AND hold_id = %lld",
        (long long)hold);
    cr_assert_str_eq(state ? state : "ok", "23514");
    PQfinish(app);
    teardown(&f);
}

Test(ledger_db, the_service_cannot_change_or_remove_ledger_rows)
{
    struct fixture f;
    setup(&f);
    consistent_hold(&f, "captured");
    PGconn *app = connect_url(f.app_url);
    static const char *const changes[] = {
        "UPDATE posting SET amount_minor = amount_minor * 2",
        "DELETE FROM posting",
        "UPDATE journal_entry SET memo = 'edited'",
        "DELETE FROM journal_entry",
        "TRUNCATE posting",
        "UPDATE ledger_account SET kind = 'asset'",
        "INSERT INTO ledger_account VALUES ('cash:box', 'asset', 'a box')",
    };
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        const char *state = try_sql(app, "%s", changes[i]);
        cr_assert_str_eq(state ? state : "ok", "42501", "%s: %s", changes[i],
                         last_error);
        cr_assert_not_null(strstr(last_error, "permission denied"), "%s",
                           last_error);
    }
    /* Not even the owner: the triggers refuse. */
    static const char *const owner_changes[] = {
        "UPDATE posting SET amount_minor = amount_minor * 2",
        "DELETE FROM posting",
        "UPDATE journal_entry SET memo = 'edited'",
        "DELETE FROM journal_entry",
        "TRUNCATE posting, journal_entry",
    };
    for (size_t i = 0; i < sizeof(owner_changes) / sizeof(owner_changes[0]);
         i++) {
        const char *state = try_sql(f.admin, "%s", owner_changes[i]);
        cr_assert_not_null(state, "%s succeeded", owner_changes[i]);
        cr_assert_not_null(strstr(last_error, "append-only"), "%s: %s",
                           owner_changes[i], last_error);
    }
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM posting"), 7);
    cr_assert_eq(sql_int(f.admin, "SELECT count(*) FROM posting"
                                  " WHERE amount_minor = 12999"),
                 2, "amounts unchanged");
    PQfinish(app);
    teardown(&f);
}

/* ---- verify ---- */

Test(ledger_verify, a_consistent_ledger_is_clean)
{
    struct fixture f;
    setup(&f);
    consistent_hold(&f, "authorized");
    consistent_hold(&f, "reauthorized");
    consistent_hold(&f, "voided");
    consistent_hold(&f, "captured");
    consistent_hold(&f, "refunded");
    add_hold(&f, 5000, NULL, NULL);
    sql_ok(f.admin, "UPDATE hold SET status = 'expired' WHERE amount_minor"
                    " = 5000"); /* never had an entry: memo 0 is right */
    struct ledger_findings fs = verify(&f, NULL);
    assert_clean(&fs);
    ledger_findings_free(&fs);
    teardown(&f);
}

Test(ledger_verify, a_hold_memo_balance_must_match_its_state)
{
    struct fixture f;
    setup(&f);
    /* Authorized, but its authorization was never posted. */
    int64_t a = add_hold(&f, 12999, NULL, NULL);
    /* Voided, but its release was never posted. */
    int64_t rma, v = add_hold(&f, 5000, NULL, &rma);
    begin(&f);
    cr_assert_eq(ledger_hold_authorized(&f.db, rma, v, "USD", 5000, "AUTH-V"),
                 RMA_OK);
    commit(&f);
    hold_voided(&f, v);
    /* Authorized twice over: two entries with keys of their own. */
    int64_t rma2, t = add_hold(&f, 700, NULL, &rma2);
    struct ledger_line lines[] = {{LEDGER_HOLDS_AUTHORIZED, 700},
                                  {LEDGER_HOLDS_CONTRA, -700}};
    struct ledger_entry e = {.key = "hold:extra",
                             .kind = "hold_authorized",
                             .currency = "USD",
                             .rma_id = rma2,
                             .hold_id = t,
                             .lines = lines,
                             .n = 2};
    bool created;
    begin(&f);
    cr_assert_eq(ledger_hold_authorized(&f.db, rma2, t, "USD", 700, "A-T"),
                 RMA_OK);
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_OK);
    commit(&f);

    struct ledger_findings fs = verify(&f, NULL);
    char text[256];
    snprintf(text, sizeof(text),
             "hold %lld (authorized) has memo balance USD 0.00, expected "
             "129.99",
             (long long)a);
    assert_finding(&fs, "memo", text);
    snprintf(text, sizeof(text),
             "hold %lld (voided) has memo balance USD 50.00, expected 0.00",
             (long long)v);
    assert_finding(&fs, "memo", text);
    snprintf(text, sizeof(text),
             "hold %lld (authorized) has memo balance USD 14.00, expected "
             "7.00",
             (long long)t);
    assert_finding(&fs, "memo", text);
    cr_assert_eq(fs.n, 3);
    ledger_findings_free(&fs);
    teardown(&f);
}

Test(ledger_verify, unbalanced_and_short_entries_and_orphans_are_named)
{
    struct fixture f;
    setup(&f);
    int64_t hold = consistent_hold(&f, "captured");
    int64_t entry = sql_int(f.admin,
                            "SELECT id FROM journal_entry WHERE kind ="
                            " 'capture' AND hold_id = %lld",
                            (long long)hold);
    sql_ok(f.admin, "SET session_replication_role = replica");
    /* Five cents more on the PayPal balance. */
    sql_ok(f.admin,
           "INSERT INTO posting (entry_id, account, currency, amount_minor)"
           " VALUES (%lld, 'paypal:balance', 'USD', 5)",
           (long long)entry);
    /* An entry with one posting, one with none. */
    int64_t one = sql_int(f.admin, "INSERT INTO journal_entry"
                                   " (idempotency_key, kind) VALUES"
                                   " ('raw:one', 'adjustment') RETURNING id");
    sql_ok(f.admin,
           "INSERT INTO posting (entry_id, account, currency, amount_minor)"
           " VALUES (%lld, 'paypal:balance', 'JPY', -1500)",
           (long long)one);
    int64_t none = sql_int(f.admin, "INSERT INTO journal_entry"
                                    " (idempotency_key, kind) VALUES"
                                    " ('raw:none', 'adjustment') RETURNING id");
    /* Postings of an entry that does not exist, on an unknown account. */
    sql_ok(f.admin,
           "INSERT INTO posting (entry_id, account, currency, amount_minor)"
           " VALUES (999999, 'paypal:balance', 'USD', 7),"
           " (999999, 'paypal:balance', 'USD', -7)");
    sql_ok(f.admin,
           "INSERT INTO posting (entry_id, account, currency, amount_minor)"
           " VALUES (%lld, 'cash:box', 'USD', 3),"
           " (%lld, 'paypal:balance', 'USD', -3)",
           (long long)none, (long long)none);
    sql_ok(f.admin, "RESET session_replication_role");

    struct ledger_findings fs = verify(&f, NULL);
    char text[256];
    snprintf(text, sizeof(text), "unbalanced entry %lld (USD: +0.05)",
             (long long)entry);
    assert_finding(&fs, "unbalanced", text);
    snprintf(text, sizeof(text), "unbalanced entry %lld (JPY: -1500)",
             (long long)one);
    assert_finding(&fs, "unbalanced", text);
    snprintf(text, sizeof(text), "entry %lld has 1 posting (at least 2 needed)",
             (long long)one);
    assert_finding(&fs, "postings", text);
    int64_t orphan = sql_int(f.admin, "SELECT min(id) FROM posting"
                                      " WHERE entry_id = 999999");
    snprintf(text, sizeof(text),
             "orphan posting %lld (entry 999999 does not exist)",
             (long long)orphan);
    assert_finding(&fs, "orphan", text);
    snprintf(text, sizeof(text),
             "orphan posting %lld (entry 999999 does not exist)",
             (long long)orphan + 1);
    assert_finding(&fs, "orphan", text);
    int64_t box = sql_int(f.admin, "SELECT id FROM posting"
                                   " WHERE account = 'cash:box'");
    snprintf(text, sizeof(text),
             "posting %lld of entry %lld names unknown account cash:box",
             (long long)box, (long long)none);
    assert_finding(&fs, "orphan", text);
    /* The capture entry's gross is still right: nothing else. */
    cr_assert_eq(fs.n, 6);
    ledger_findings_free(&fs);
    teardown(&f);
}

Test(ledger_verify, a_duplicated_idempotency_key_is_named)
{
    struct fixture f;
    setup(&f);
    int64_t hold = consistent_hold(&f, "authorized");
    int64_t first = sql_int(f.admin, "SELECT id FROM journal_entry");
    /* Only a schema change lets a second entry take the key. */
    sql_ok(f.admin, "ALTER TABLE journal_entry"
                    " DROP CONSTRAINT journal_entry_idempotency_key_key");
    int64_t rma = sql_int(f.admin, "SELECT rma_id FROM hold WHERE id = %lld",
                          (long long)hold);
    struct ledger_line lines[] = {{LEDGER_PAYPAL_BALANCE, 1},
                                  {LEDGER_PAYPAL_FEES, -1}};
    char key[64];
    snprintf(key, sizeof(key), "hold:%lld:authorized", (long long)hold);
    PGconn *app = connect_url(f.app_url);
    sql_ok(app, "BEGIN");
    int64_t second = sql_int(app,
                             "INSERT INTO journal_entry (idempotency_key,"
                             " kind, rma_id) VALUES ('%s', 'adjustment', %lld)"
                             " RETURNING id",
                             key, (long long)rma);
    sql_ok(app,
           "INSERT INTO posting (entry_id, account, currency,"
           " amount_minor) VALUES (%lld, '%s', 'USD', %lld),"
           " (%lld, '%s', 'USD', %lld)",
           (long long)second, lines[0].account,
           (long long)lines[0].amount_minor, (long long)second,
           lines[1].account, (long long)lines[1].amount_minor);
    sql_ok(app, "COMMIT");
    PQfinish(app);

    struct ledger_findings fs = verify(&f, NULL);
    char text[256];
    snprintf(text, sizeof(text),
             "idempotency key %s used by 2 entries (%lld, %lld)", key,
             (long long)first, (long long)second);
    assert_finding(&fs, "key", text);
    cr_assert_eq(fs.n, 1);
    ledger_findings_free(&fs);
    teardown(&f);
}

Test(ledger_verify, captures_must_match_their_hold)
{
    struct fixture f;
    setup(&f);
    /* Captured, no capture entry (the release was posted). */
    int64_t rma1, h1 = add_hold(&f, 12999, NULL, &rma1);
    hold_captured(&f, h1, "CAP-1", 12999, 483);
    begin(&f);
    cr_assert_eq(ledger_hold_authorized(&f.db, rma1, h1, "USD", 12999, "A1"),
                 RMA_OK);
    cr_assert_eq(ledger_hold_released(&f.db, rma1, h1, "USD", 12999, "captured",
                                      "CAP-1"),
                 RMA_OK);
    commit(&f);
    /* Captured; the entry's gross and fee differ from the hold's. */
    int64_t h2 = consistent_hold(&f, "captured");
    sql_ok(f.admin,
           "UPDATE hold SET capture_minor = 12000, fee_minor = 450"
           " WHERE id = %lld",
           (long long)h2);
    /* Captured once at PayPal, posted under two ids. */
    int64_t h3 = consistent_hold(&f, "captured");
    int64_t rma3 = sql_int(f.admin, "SELECT rma_id FROM hold WHERE id = %lld",
                           (long long)h3);
    begin(&f);
    cr_assert_eq(
        ledger_capture(&f.db, rma3, h3, 0, "CAP-OTHER", "USD", 12999, 483),
        RMA_OK);
    commit(&f);
    /* Voided, yet a capture entry. */
    int64_t h4 = consistent_hold(&f, "voided");
    int64_t rma4 = sql_int(f.admin, "SELECT rma_id FROM hold WHERE id = %lld",
                           (long long)h4);
    begin(&f);
    cr_assert_eq(
        ledger_capture(&f.db, rma4, h4, 0, "CAP-VOIDED", "USD", 12999, 483),
        RMA_OK);
    commit(&f);

    struct ledger_findings fs = verify(&f, NULL);
    char text[256];
    snprintf(text, sizeof(text), "captured hold %lld has no capture entry",
             (long long)h1);
    assert_finding(&fs, "capture", text);
    int64_t e2 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'capture'"
                         " AND hold_id = %lld",
                         (long long)h2);
    snprintf(text, sizeof(text),
             "capture entry %lld gross 129.99 differs from hold %lld capture "
             "120.00",
             (long long)e2, (long long)h2);
    assert_finding(&fs, "capture", text);
    snprintf(text, sizeof(text),
             "capture entry %lld fee 4.83 differs from hold %lld fee 4.50",
             (long long)e2, (long long)h2);
    assert_finding(&fs, "capture", text);
    int64_t e3a = sql_int(f.admin,
                          "SELECT min(id) FROM journal_entry WHERE kind ="
                          " 'capture' AND hold_id = %lld",
                          (long long)h3);
    snprintf(text, sizeof(text), "hold %lld has 2 capture entries (%lld, %lld)",
             (long long)h3, (long long)e3a, (long long)e3a + 1);
    assert_finding(&fs, "capture", text);
    int64_t e4 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'capture'"
                         " AND hold_id = %lld",
                         (long long)h4);
    snprintf(text, sizeof(text),
             "hold %lld (voided) was not captured but has capture entry %lld",
             (long long)h4, (long long)e4);
    assert_finding(&fs, "capture", text);
    cr_assert_eq(fs.n, 5);
    ledger_findings_free(&fs);
    teardown(&f);
}

Test(ledger_verify, refunds_must_match_their_hold)
{
    struct fixture f;
    setup(&f);
    /* Refunded, no refund entry. */
    int64_t h1 = consistent_hold(&f, "captured");
    hold_refunded(&f, h1, "REF-X", 1000);
    /* Refunded; the entry's amount differs. */
    int64_t h2 = consistent_hold(&f, "refunded");
    sql_ok(f.admin, "UPDATE hold SET refund_minor = 4999 WHERE id = %lld",
           (long long)h2);
    /* A refund entry that names another refund than the hold. */
    int64_t h3 = consistent_hold(&f, "refunded");
    sql_ok(f.admin, "UPDATE hold SET refund_id = 'REF-ELSE' WHERE id = %lld",
           (long long)h3);

    struct ledger_findings fs = verify(&f, NULL);
    char text[256];
    snprintf(text, sizeof(text), "refunded hold %lld has no refund entry",
             (long long)h1);
    assert_finding(&fs, "refund", text);
    int64_t e2 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'refund'"
                         " AND hold_id = %lld",
                         (long long)h2);
    snprintf(text, sizeof(text),
             "refund entry %lld amount 50.00 differs from hold %lld refund "
             "49.99",
             (long long)e2, (long long)h2);
    assert_finding(&fs, "refund", text);
    int64_t e3 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'refund'"
                         " AND hold_id = %lld",
                         (long long)h3);
    snprintf(text, sizeof(text),
             "refund entry %lld names refund REF-%lld, hold %lld names "
             "REF-ELSE",
             (long long)e3, (long long)h3, (long long)h3);
    assert_finding(&fs, "refund", text);
    cr_assert_eq(fs.n, 3);
    ledger_findings_free(&fs);
    teardown(&f);
}

Test(ledger_verify, an_entry_cause_must_hold_together)
{
    struct fixture f;
    setup(&f);
    int64_t rma1, h1 = add_hold(&f, 12999, NULL, &rma1);
    int64_t rma2, h2 = add_hold(&f, 5000, NULL, &rma2);
    (void)h2;
    begin(&f);
    /* The hold of one case posted under another. */
    cr_assert_eq(ledger_hold_authorized(&f.db, rma2, h1, "USD", 12999, "A1"),
                 RMA_OK);
    cr_assert_eq(ledger_hold_authorized(&f.db, rma2, h2, "USD", 5000, "A2"),
                 RMA_OK);
    /* Memo accounts moved without a hold. */
    struct ledger_line lines[] = {{LEDGER_HOLDS_AUTHORIZED, 10},
                                  {LEDGER_HOLDS_CONTRA, -10}};
    struct ledger_entry e = {.key = "adjust:memo",
                             .kind = "adjustment",
                             .currency = "USD",
                             .lines = lines,
                             .n = 2};
    bool created;
    cr_assert_eq(ledger_post(&f.db, &e, &created), RMA_OK);
    commit(&f);
    int64_t e1 =
        sql_int(f.admin, "SELECT id FROM journal_entry WHERE hold_id = %lld",
                (long long)h1);
    int64_t em = sql_int(f.admin, "SELECT id FROM journal_entry"
                                  " WHERE idempotency_key = 'adjust:memo'");

    struct ledger_findings fs = verify(&f, NULL);
    char text[256];
    snprintf(text, sizeof(text),
             "entry %lld names case %lld but its hold %lld belongs to case "
             "%lld",
             (long long)e1, (long long)rma2, (long long)h1, (long long)rma1);
    assert_finding(&fs, "cause", text);
    snprintf(text, sizeof(text),
             "entry %lld moves a memo account without naming a hold",
             (long long)em);
    assert_finding(&fs, "cause", text);
    cr_assert_eq(fs.n, 2);
    ledger_findings_free(&fs);
    teardown(&f);
}

/* n authorized holds with no ledger entry, each of a case of its own:
 * one memo finding each. */
static void
add_unposted_holds(struct fixture *f, int n)
{
    int first = f->cases + 1;
    f->cases += n;
    sql_ok(f->admin,
           "INSERT INTO customer (email, name) SELECT 'many-' || g ||"
           " '@example.com', 'Many' FROM generate_series(%d, %d) g",
           first, first + n - 1);
    sql_ok(f->admin, "INSERT INTO original_order (order_number, sales_channel,"
                     " customer_id, shipping_country, currency, purchase_date)"
                     " SELECT 'M-' || id, 'test', id, 'US', 'USD', current_date"
                     " FROM customer WHERE email LIKE 'many-%%' AND id NOT IN"
                     " (SELECT customer_id FROM original_order)");
    sql_ok(f->admin,
           "INSERT INTO rma (number, customer_id, order_id, kind, status,"
           " problem, currency, replacement_minor, warehouse_region,"
           " replacement_method, created_by)"
           " SELECT 'RMA-2027-' || lpad(o.id::text, 6, '0'), o.customer_id,"
           " o.id, 'replacement', 'awaiting_shipment', 'many', 'USD', 100,"
           " 'US', 'advanced', 'test' FROM original_order o"
           " WHERE o.id NOT IN (SELECT order_id FROM rma)");
    sql_ok(f->admin,
           "INSERT INTO preauth_acceptance (rma_id, customer_id,"
           " terms_version, terms_text, amount_minor, currency, accepted_at)"
           " SELECT id, customer_id, 'v1', 'terms', 100, 'USD', now()"
           " FROM rma WHERE id NOT IN (SELECT rma_id FROM preauth_acceptance)");
    sql_ok(f->admin,
           "INSERT INTO hold (rma_id, acceptance_id, status, currency,"
           " amount_minor, authorization_id, authorized_at, expires_at,"
           " deadline, created_at, updated_at)"
           " SELECT rma_id, id, 'authorized', 'USD', 100, 'MANY-' || id,"
           " now(), now() + interval '29 days', now() + interval '25 days',"
           " now(), now() FROM preauth_acceptance"
           " WHERE id NOT IN (SELECT acceptance_id FROM hold)");
}

Test(ledger_verify, at_most_10000_findings_are_listed_and_the_rest_counted,
     .timeout = 300)
{
    struct fixture f;
    setup(&f);
    add_unposted_holds(&f, LEDGER_FINDINGS_MAX);
    struct ledger_findings fs = verify(&f, NULL);
    cr_assert_eq(fs.n, LEDGER_FINDINGS_MAX);
    cr_assert_eq(fs.omitted, 0);
    ledger_findings_free(&fs);

    add_unposted_holds(&f, 1);
    fs = verify(&f, NULL);
    cr_assert_eq(fs.n, LEDGER_FINDINGS_MAX);
    cr_assert_eq(fs.omitted, 1);
    cr_assert_str_eq(fs.item[0].check, "memo");
    ledger_findings_free(&fs);

    char *out;
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "RMA_DATABASE_URL='%s' rmactl ledger verify --offline"
             " 2>/dev/null | tail -n 1",
             f.app_url);
    cr_assert_eq(harness_run(cmd, &out), 0);
    cr_assert_str_eq(out, "and 1 more violations\n");
    free(out);
    teardown(&f);
}

/* ---- against PayPal (the suite's paypal-sim) ---- */

/* An authorization captured at the simulator, its hold and its ledger. */
static int64_t
captured_at_paypal(struct fixture *f, struct paypal_client *pc,
                   struct paypal_capture *cap)
{
    struct paypal_order order;
    sim_authorized_order(pc, "129.99", "USD", &order);
    struct paypal_result res;
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("ledger-capture"));
    enum rma_err err = paypal_capture_authorization(pc, order.authorization.id,
                                                    NULL, true, rid, cap, &res);
    cr_assert_eq(err, RMA_OK, "capture: %d %s", res.http_status, res.name);
    paypal_result_free(&res);
    cr_assert(cap->has_breakdown);
    cr_assert_gt(cap->fee.minor, 0);

    int64_t rma, hold = add_hold(f, 12999, order.authorization.id, &rma);
    hold_captured(f, hold, cap->id, cap->amount.minor, cap->fee.minor);
    begin(f);
    cr_assert_eq(ledger_hold_authorized(&f->db, rma, hold, "USD", 12999,
                                        order.authorization.id),
                 RMA_OK);
    cr_assert_eq(ledger_hold_released(&f->db, rma, hold, "USD", 12999,
                                      "captured", cap->id),
                 RMA_OK);
    cr_assert_eq(ledger_capture(&f->db, rma, hold, 0, cap->id, "USD",
                                cap->amount.minor, cap->fee.minor),
                 RMA_OK);
    commit(f);
    return hold;
}

Test(ledger_verify, captures_and_refunds_match_paypal)
{
    struct fixture f;
    setup(&f);
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_capture cap;
    int64_t hold = captured_at_paypal(&f, pc, &cap);
    int64_t rma = sql_int(f.admin, "SELECT rma_id FROM hold WHERE id = %lld",
                          (long long)hold);

    /* A partial refund after a late return. */
    struct money part = {.minor = 4000, .currency = "USD"};
    struct paypal_refund ref;
    struct paypal_result res;
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("ledger-refund"));
    cr_assert_eq(
        paypal_refund_capture(pc, cap.id, &part, NULL, rid, &ref, &res),
        RMA_OK);
    paypal_result_free(&res);
    int64_t fee_back = ref.has_breakdown ? ref.fee.minor : 0;
    cr_assert_gt(fee_back, 0, "the simulator returns part of the fee");
    hold_refunded(&f, hold, ref.id, 4000);
    begin(&f);
    cr_assert_eq(
        ledger_refund(&f.db, rma, hold, 0, ref.id, "USD", 4000, fee_back),
        RMA_OK);
    commit(&f);

    struct ledger_findings fs = verify(&f, pc);
    assert_clean(&fs);
    ledger_findings_free(&fs);
    paypal_client_free(pc);
    teardown(&f);
}

Test(ledger_verify, captures_and_refunds_that_differ_from_paypal_are_named)
{
    struct fixture f;
    setup(&f);
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_capture cap;
    char text[512];

    /* The ledger and the hold say one cent more than PayPal captured. */
    struct paypal_order order;
    sim_authorized_order(pc, "129.99", "USD", &order);
    struct paypal_result res;
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("ledger-capture"));
    cr_assert_eq(paypal_capture_authorization(pc, order.authorization.id, NULL,
                                              true, rid, &cap, &res),
                 RMA_OK);
    paypal_result_free(&res);
    int64_t rma, hold = add_hold(&f, 13000, order.authorization.id, &rma);
    hold_captured(&f, hold, cap.id, 13000, cap.fee.minor);
    begin(&f);
    cr_assert_eq(ledger_capture(&f.db, rma, hold, 0, cap.id, "USD", 13000,
                                cap.fee.minor),
                 RMA_OK);
    commit(&f);
    int64_t e1 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'capture'"
                         " AND hold_id = %lld",
                         (long long)hold);

    /* A capture PayPal never made. */
    int64_t rma2, hold2 = add_hold(&f, 2500, NULL, &rma2);
    hold_captured(&f, hold2, "NEVERCAPTURED1", 2500, 0);
    begin(&f);
    cr_assert_eq(
        ledger_capture(&f.db, rma2, hold2, 0, "NEVERCAPTURED1", "USD", 2500, 0),
        RMA_OK);
    commit(&f);
    int64_t e2 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'capture'"
                         " AND hold_id = %lld",
                         (long long)hold2);

    /* A real capture posted against another hold's authorization. */
    struct paypal_capture cap3;
    int64_t hold3 = captured_at_paypal(&f, pc, &cap3);
    sql_ok(f.admin,
           "UPDATE hold SET authorization_id = 'AUTH-NOT-THIS' WHERE id = "
           "%lld",
           (long long)hold3);
    int64_t e3 = sql_int(f.admin,
                         "SELECT id FROM journal_entry WHERE kind = 'capture'"
                         " AND hold_id = %lld",
                         (long long)hold3);

    struct ledger_findings fs = verify(&f, pc);
    snprintf(text, sizeof(text),
             "capture %s of entry %lld: ledger gross USD 130.00, PayPal USD "
             "129.99",
             cap.id, (long long)e1);
    assert_finding(&fs, "paypal", text);
    snprintf(text, sizeof(text),
             "capture NEVERCAPTURED1 of entry %lld: not found at PayPal",
             (long long)e2);
    assert_finding(&fs, "paypal", text);
    snprintf(text, sizeof(text),
             "capture %s of entry %lld belongs to authorization %s at "
             "PayPal, not to hold %lld",
             cap3.id, (long long)e3, cap3.authorization_id, (long long)hold3);
    assert_finding(&fs, "paypal", text);
    /* Offline, the same ledger is consistent. */
    struct ledger_findings offline = verify(&f, NULL);
    assert_clean(&offline);
    ledger_findings_free(&offline);
    ledger_findings_free(&fs);
    paypal_client_free(pc);
    teardown(&f);
}

/* ---- rmactl ledger verify ---- */

/* Runs rmactl ledger verify with args against f's database; its stdout in
 * *out (owned, never NULL). */
static int
rmactl_verify(const struct fixture *f, const char *env, const char *args,
              char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "RMA_DATABASE_URL='%s' %s rmactl ledger verify %s 2>/dev/null",
             f->app_url, env, args);
    int rc = harness_run(cmd, out);
    if (*out == NULL)
        *out = strdup("");
    return rc;
}

Test(rmactl_ledger, verify_exits_0_when_clean_1_on_violations_2_on_usage)
{
    struct fixture f;
    setup(&f);
    consistent_hold(&f, "refunded");
    char *out;
    cr_assert_eq(rmactl_verify(&f, "", "--offline", &out), 0, "%s", out);
    cr_assert_str_eq(out, "");
    free(out);
    /* Online: the suite's configuration names paypal-sim, which has never
     * seen CAP-n: each capture and refund is named. */
    cr_assert_eq(rmactl_verify(&f, "", "", &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "not found at PayPal"), "%s", out);
    free(out);

    int64_t hold = add_hold(&f, 12999, NULL, NULL);
    char want[256];
    snprintf(want, sizeof(want),
             "hold %lld (authorized) has memo balance USD 0.00, expected "
             "129.99\n",
             (long long)hold);
    cr_assert_eq(rmactl_verify(&f, "", "--offline", &out), 1, "%s", out);
    cr_assert_str_eq(out, want, "one line per violation");
    free(out);

    cr_assert_eq(rmactl_verify(&f, "", "--offline --bogus", &out), 2);
    free(out);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rmactl ledger 2>/dev/null");
    cr_assert_eq(harness_run(cmd, NULL), 2);
    snprintf(cmd, sizeof(cmd), "rmactl ledger check 2>/dev/null");
    cr_assert_eq(harness_run(cmd, NULL), 2);
    cr_assert_eq(rmactl_verify(&f, "RMA_PAYPAL_BASE_URL=ftp://x", "", &out), 2,
                 "a configuration problem");
    free(out);
    teardown(&f);
}

Test(rmactl_ledger, verify_clean_online_and_unreachable_database)
{
    struct fixture f;
    setup(&f);
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_capture cap;
    captured_at_paypal(&f, pc, &cap);
    paypal_client_free(pc);
    char *out;
    cr_assert_eq(rmactl_verify(&f, "", "", &out), 0, "%s", out);
    cr_assert_str_eq(out, "");
    free(out);

    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "RMA_DATABASE_URL='host=/nonexistent dbname=rma user=nobody' "
             "rmactl ledger verify --offline 2>&1");
    cr_assert_eq(harness_run(cmd, &out), 1);
    cr_assert_not_null(strstr(out, "database is unavailable"), "%s", out);
    free(out);
    teardown(&f);
}
