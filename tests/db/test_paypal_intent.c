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
#include "rma/paypal_intent.h"

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
    cr_assert_str_eq(a.request_id, expect);
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
