/* test_paypal_intent.c - durable PayPal intents against the suite's cluster,
 * as the service role: begin/finish, reruns reuse the request id, outcomes
 * are final, and the role cannot delete or rewrite an intent. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "rma/db.h"
#include "rma/db_paypal.h"

static struct db db;

static void
connect_app(void)
{
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_paypal_intent");
    cr_assert_eq(db_ensure(&db), RMA_OK);
}

static void
disconnect(void)
{
    db_close(&db);
}

/* A hold id unique to this run and test. */
static int64_t
fresh_hold(void)
{
    static int n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)(ts.tv_sec % 100000) * 100000000 + (int64_t)getpid() * 100 +
           ++n;
}

TestSuite(paypal_intent, .init = connect_app, .fini = disconnect);

Test(paypal_intent, a_rerun_finds_the_same_request_id)
{
    struct paypal_intent_key k = {
        .op = PAYPAL_OP_CAPTURE, .case_id = 7, .hold_id = fresh_hold()};
    struct paypal_intent a, b;
    cr_assert_eq(paypal_intent_begin(&db, &k, "{\"amount\":\"12.34\"}", &a),
                 RMA_OK);
    cr_assert(a.created);
    cr_assert_eq(a.status, PAYPAL_INTENT_PENDING);
    cr_assert_eq(a.attempts, 1);
    char expect[PAYPAL_REQUEST_ID_MAX + 1];
    paypal_request_id(&k, expect, sizeof(expect));
    /* "rma-capture-h..." with the installation's prefix after "rma". */
    cr_assert(strncmp(a.request_id, "rma-", 4) == 0 &&
                  strlen(a.request_id) == strlen(expect) + 17 &&
                  strcmp(a.request_id + 21, expect + 4) == 0,
              "%s for %s", a.request_id, expect);
    /* The process crashed before the outcome: the rerun reuses the id. */
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &b), RMA_OK);
    cr_assert_not(b.created);
    cr_assert_eq(b.id, a.id);
    cr_assert_str_eq(b.request_id, a.request_id);
    cr_assert_eq(b.attempts, 2);
}

Test(paypal_intent, an_outcome_is_recorded_once_and_is_final)
{
    struct paypal_intent_key k = {.op = PAYPAL_OP_VOID,
                                  .hold_id = fresh_hold()};
    struct paypal_intent in, got;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &in), RMA_OK);
    struct paypal_result res = {.http_status = 503};
    snprintf(res.debug_id, sizeof(res.debug_id), "dbg503");
    cr_assert_eq(paypal_intent_finish(&db, in.request_id, PAYPAL_INTENT_UNKNOWN,
                                      "<html>503</html>", NULL, &res),
                 RMA_OK, "a non-JSON body is kept");
    struct paypal_result ok = {.http_status = 200};
    snprintf(ok.debug_id, sizeof(ok.debug_id), "dbg200");
    cr_assert_eq(
        paypal_intent_finish(&db, in.request_id, PAYPAL_INTENT_SUCCEEDED,
                             "{\"status\":\"VOIDED\"}", "AUTH123", &ok),
        RMA_OK);
    cr_assert_eq(paypal_intent_find(&db, in.request_id, &got), RMA_OK);
    cr_assert_eq(got.status, PAYPAL_INTENT_SUCCEEDED);
    cr_assert_eq(got.http_status, 200);
    cr_assert_str_eq(got.paypal_id, "AUTH123");
    cr_assert_str_eq(got.debug_id, "dbg200");
    cr_assert_eq(paypal_intent_finish(&db, in.request_id,
                                      PAYPAL_INTENT_SUCCEEDED, NULL, NULL,
                                      NULL),
                 RMA_OK, "the same outcome again is harmless");
    cr_assert_eq(paypal_intent_finish(&db, in.request_id, PAYPAL_INTENT_FAILED,
                                      NULL, NULL, NULL),
                 RMA_ECONFLICT, "a final outcome does not change");
    /* A final intent met again is not counted as a new attempt. */
    struct paypal_intent again;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &again), RMA_OK);
    cr_assert_eq(again.status, PAYPAL_INTENT_SUCCEEDED);
    cr_assert_eq(again.attempts, 1);
    cr_assert_eq(paypal_intent_finish(&db, "rma-void-h0-1",
                                      PAYPAL_INTENT_FAILED, NULL, NULL, NULL),
                 RMA_ENOTFOUND);
}

Test(paypal_intent, a_new_sequence_gets_a_new_request_id)
{
    struct paypal_intent_key k = {.op = PAYPAL_OP_CAPTURE,
                                  .hold_id = fresh_hold()};
    struct paypal_intent first, second;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &first), RMA_OK);
    cr_assert_eq(paypal_intent_finish(&db, first.request_id,
                                      PAYPAL_INTENT_FAILED, NULL, NULL, NULL),
                 RMA_OK);
    k.sequence = 2;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &second), RMA_OK);
    cr_assert_str_neq(second.request_id, first.request_id);
    cr_assert_eq(second.sequence, 2);
}

Test(paypal_intent, a_request_id_of_another_intent_is_a_conflict)
{
    int64_t hold = fresh_hold();
    struct paypal_intent_key k = {.op = PAYPAL_OP_REFUND, .hold_id = hold};
    struct paypal_intent a, b;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &a), RMA_OK);
    /* Same request id (hold names it), another owner case. */
    k.case_id = 99;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &b), RMA_ECONFLICT);
}

Test(paypal_intent, open_intents_are_listed_for_the_job)
{
    struct paypal_intent_key k = {.op = PAYPAL_OP_REAUTHORIZE,
                                  .hold_id = fresh_hold()};
    struct paypal_intent in;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &in), RMA_OK);
    struct paypal_intent open[500];
    size_t n = 0;
    cr_assert_eq(paypal_intent_list_open(&db, 0, open, 500, &n), RMA_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found |= strcmp(open[i].request_id, in.request_id) == 0;
    cr_assert(found || n == 500);
}

Test(paypal_intent, the_service_role_cannot_delete_or_rewrite_an_intent)
{
    char cmd[2048], *out;
    const char *sqls[] = {
        "DELETE FROM paypal_intent",
        "UPDATE paypal_intent SET request_id = 'x' WHERE false",
        "UPDATE paypal_intent SET operation = 'order_create' WHERE false",
    };
    for (size_t i = 0; i < 3; i++) {
        snprintf(cmd, sizeof(cmd),
                 "'%s' -X -q -At -v ON_ERROR_STOP=1 -h '%s/pg' -U rma_web "
                 "-d rma -c \"%s\" 2>&1",
                 harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"),
                 sqls[i]);
        int rc = harness_run(cmd, &out);
        cr_assert_neq(rc, 0, "%s succeeded: %s", sqls[i], out);
        cr_assert_not_null(strstr(out, "permission denied"), "%s", out);
        free(out);
    }
}

/* psql as the admin against database dbname; its output (owned), asserting
 * success. */
static char *
admin_sql(const char *dbname, const char *sql)
{
    char cmd[4096], *out;
    snprintf(cmd, sizeof(cmd),
             "'%s' -X -q -At -v ON_ERROR_STOP=1 -h '%s/pg' -U rma_admin -d %s "
             "-c \"%s\" 2>&1",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"), dbname,
             sql);
    int rc = harness_run(cmd, &out);
    cr_assert_eq(rc, 0, "%s: %s", sql, out);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* PayPal-Request-Ids "rma-capture-h42-1" repeated in every installation and
 * after every restore of an older backup: PayPal would answer another
 * hold's capture.  They carry a random prefix of the installation, fixed
 * by its first migration (SPEC §16). */
Test(paypal_intent, request_ids_carry_the_installation_prefix)
{
    char *prefix =
        admin_sql("rma", "SELECT request_id_prefix FROM installation");
    cr_assert_eq(strlen(prefix), 16, "%s", prefix);
    cr_assert_eq(strspn(prefix, "0123456789abcdef"), 16, "%s", prefix);
    int64_t hold = fresh_hold();
    struct paypal_intent_key k = {.op = PAYPAL_OP_CAPTURE, .hold_id = hold};
    struct paypal_intent in;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &in), RMA_OK);
    char expect[PAYPAL_REQUEST_ID_MAX + 1];
    snprintf(expect, sizeof(expect), "rma-%s-capture-h%lld-1", prefix,
             (long long)hold);
    cr_assert_str_eq(in.request_id, expect);
    k.prefix = "rma-staging";
    k.hold_id = fresh_hold();
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &in), RMA_OK);
    snprintf(expect, sizeof(expect), "rma-staging-%s-capture-h%lld-1", prefix,
             (long long)k.hold_id);
    cr_assert_str_eq(in.request_id, expect, "the configured namespace first");
    free(prefix);
}

/* An intent recorded before the prefix existed keeps its request id: a
 * rerun replays it as PayPal first saw it. */
Test(paypal_intent, an_intent_recorded_before_the_prefix_is_replayed_as_it_was)
{
    int64_t hold = fresh_hold();
    char sql[512], old[64];
    snprintf(old, sizeof(old), "rma-capture-h%lld-1", (long long)hold);
    snprintf(sql, sizeof(sql),
             "INSERT INTO paypal_intent (operation, request_id, hold_id,"
             " status) VALUES ('authorization_capture', '%s', %lld,"
             " 'unknown')",
             old, (long long)hold);
    free(admin_sql("rma", sql));
    struct paypal_intent_key k = {.op = PAYPAL_OP_CAPTURE, .hold_id = hold};
    struct paypal_intent in;
    cr_assert_eq(paypal_intent_begin(&db, &k, NULL, &in), RMA_OK);
    cr_assert_str_eq(in.request_id, old);
    cr_assert_not(in.created);
    cr_assert_eq(in.attempts, 2);
    struct paypal_intent found;
    cr_assert_eq(paypal_intent_find_key(&db, &k, &found), RMA_OK);
    cr_assert_str_eq(found.request_id, old);
    cr_assert_eq(found.id, in.id);
}

/* Two databases migrated from nothing get two prefixes. */
Test(paypal_intent, two_fresh_databases_get_different_prefixes)
{
    char prefixes[2][64];
    for (int i = 0; i < 2; i++) {
        char name[64], sql[128], url[1024], cmd[2048], *out;
        snprintf(name, sizeof(name), "rma_prefix_%d_%d", (int)getpid(), i);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
        free(admin_sql("postgres", sql));
        snprintf(url, sizeof(url), "host=%s/pg dbname=%s user=rma_admin",
                 harness_env("RMA_TEST_RUN"), name);
        snprintf(cmd, sizeof(cmd),
                 "RMA_ADMIN_DATABASE_URL='%s' rmactl migrate 2>&1", url);
        cr_assert_eq(harness_run(cmd, &out), 0, "%s", out);
        free(out);
        char *p = admin_sql(name, "SELECT request_id_prefix FROM installation");
        snprintf(prefixes[i], sizeof(prefixes[i]), "%s", p);
        free(p);
        snprintf(sql, sizeof(sql), "DROP DATABASE %s", name);
        free(admin_sql("postgres", sql));
    }
    cr_assert_eq(strlen(prefixes[0]), 16, "%s", prefixes[0]);
    cr_assert_str_neq(prefixes[0], prefixes[1]);
}
