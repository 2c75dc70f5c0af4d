/* test_paypal_client.c - the PayPal client against paypal-sim, over HTTP.
 *
 * Tests that only create their own orders use the suite's simulator
 * (RMA_TEST_SIM_URL).  Tests that move the simulator's clock, change its
 * rules or inject faults each start a private simulator (.init/.fini), so
 * that they cannot disturb tests running at the same time. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rma/http_client.h"
#include "rma/paypal.h"
#include "sim_client.h"

#define DAY 86400L

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static time_t
sim_now(void)
{
    json_t *c = sim_call("GET", "/sim/clock", NULL);
    time_t t = 0;
    cr_assert_eq(
        paypal_parse_time(json_string_value(json_object_get(c, "now")), &t),
        RMA_OK);
    json_decref(c);
    return t;
}

/* ---- the suite's simulator: fresh orders per test ---- */

Test(paypal_client, creates_an_order_with_an_approval_link)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order_params p = {
        .return_url = "http://127.0.0.1/return?case=1",
        .cancel_url = "http://127.0.0.1/cancel?case=1",
        .brand_name = "RMA Test",
        .reference_id = "hold-1",
        .custom_id = "case-1"};
    paypal_money_parse("129.99", "USD", &p.amount);
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("order"));
    struct paypal_order o, again, got;
    struct paypal_result res;
    cr_assert_eq(paypal_order_create(pc, &p, rid, &o, &res), RMA_OK, "%d %s",
                 res.http_status, res.issue);
    cr_assert(res.http_status == 201 || res.http_status == 200);
    paypal_result_free(&res);
    cr_assert_neq(o.id[0], '\0');
    cr_assert(strcmp(o.status, "PAYER_ACTION_REQUIRED") == 0 ||
                  strcmp(o.status, "CREATED") == 0,
              "%s", o.status);
    cr_assert_not_null(strstr(o.approve_url, o.id), "%s", o.approve_url);
    /* The same request id replays the same order. */
    cr_assert_eq(paypal_order_create(pc, &p, rid, &again, NULL), RMA_OK);
    cr_assert_str_eq(again.id, o.id);
    cr_assert_eq(paypal_order_get(pc, o.id, &got, NULL), RMA_OK);
    cr_assert_str_eq(got.id, o.id);
    cr_assert_eq(got.amount.minor, 12999);
    cr_assert_str_eq(got.intent, "AUTHORIZE");
    paypal_client_free(pc);
}

Test(paypal_client, authorizes_an_approved_order_for_29_days)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "12.34", "USD", &o);
    cr_assert_str_eq(o.status, "COMPLETED");
    cr_assert(o.has_authorization);
    const struct paypal_authorization *a = &o.authorization;
    cr_assert_str_eq(a->status, "CREATED");
    cr_assert_eq(a->amount.minor, 1234);
    cr_assert_str_eq(a->amount.currency, "USD");
    cr_assert_neq(a->expiration_time[0], '\0');
    cr_assert_eq(a->expiration - a->created, 29 * DAY);
    struct paypal_authorization got;
    cr_assert_eq(paypal_authorization_get(pc, a->id, &got, NULL), RMA_OK);
    cr_assert_str_eq(got.id, a->id);
    cr_assert_str_eq(got.status, "CREATED");
    cr_assert_eq(got.expiration, a->expiration);
    paypal_client_free(pc);
}

Test(paypal_client, authorize_replays_and_refuses_documented_mistakes)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order_params p = {.return_url = "http://127.0.0.1/r",
                                    .cancel_url = "http://127.0.0.1/c"};
    paypal_money_parse("10.00", "USD", &p.amount);
    struct paypal_order o, a1, a2;
    struct paypal_result res;
    cr_assert_eq(paypal_order_create(pc, &p, sim_request_id("order"), &o, NULL),
                 RMA_OK);
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("authorize"));
    cr_assert_eq(paypal_order_authorize(pc, o.id, rid, &a1, &res), RMA_ERULE);
    cr_assert_eq(res.http_status, 422);
    cr_assert_str_eq(res.issue, "ORDER_NOT_APPROVED");
    cr_assert_neq(res.debug_id[0], '\0', "debug_id kept");
    paypal_result_free(&res);

    sim_approve(o.id);
    snprintf(rid, sizeof(rid), "%s", sim_request_id("authorize"));
    cr_assert_eq(paypal_order_authorize(pc, o.id, rid, &a1, NULL), RMA_OK);
    cr_assert_eq(paypal_order_authorize(pc, o.id, rid, &a2, NULL), RMA_OK,
                 "the same request id replays");
    cr_assert_str_eq(a2.authorization.id, a1.authorization.id);
    cr_assert_eq(paypal_order_authorize(pc, o.id, sim_request_id("authorize"),
                                        &a2, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "ORDER_ALREADY_AUTHORIZED");
    paypal_result_free(&res);
    paypal_client_free(pc);
}

Test(paypal_client, captures_with_fee_then_refunds_partially_and_fully)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "100.00", "USD", &o);
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("capture"));
    struct paypal_capture c, again, got;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, rid, &c, &res),
                 RMA_OK, "%d %s", res.http_status, res.issue);
    paypal_result_free(&res);
    cr_assert_str_eq(c.status, "COMPLETED");
    cr_assert_eq(c.amount.minor, 10000);
    cr_assert(c.has_breakdown);
    cr_assert_gt(c.fee.minor, 0);
    cr_assert_eq(c.fee.minor + c.net.minor, c.gross.minor);
    cr_assert(c.final_capture);
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, rid, &again, NULL),
                 RMA_OK);
    cr_assert_str_eq(again.id, c.id, "replayed, not captured twice");
    cr_assert_eq(sim_captures_of(o.authorization.id), 1);
    cr_assert_eq(paypal_capture_get(pc, c.id, &got, NULL), RMA_OK);
    cr_assert_str_eq(got.id, c.id);
    cr_assert_str_eq(got.authorization_id, o.authorization.id);

    struct money five = {500, "USD"};
    struct paypal_refund r1, r2, rg;
    cr_assert_eq(paypal_refund_capture(pc, c.id, &five, "late return",
                                       sim_request_id("refund"), &r1, &res),
                 RMA_OK, "%d %s", res.http_status, res.issue);
    paypal_result_free(&res);
    cr_assert_eq(r1.amount.minor, 500);
    cr_assert_eq(paypal_refund_get(pc, r1.id, &rg, NULL), RMA_OK);
    cr_assert_str_eq(rg.id, r1.id);
    cr_assert_str_eq(rg.capture_id, c.id);
    struct money too_much = {10000, "USD"};
    cr_assert_eq(paypal_refund_capture(pc, c.id, &too_much, NULL,
                                       sim_request_id("refund"), &r2, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "REFUND_AMOUNT_EXCEEDED");
    paypal_result_free(&res);
    cr_assert_eq(paypal_refund_capture(pc, c.id, NULL, NULL,
                                       sim_request_id("refund"), &r2, NULL),
                 RMA_OK, "the rest");
    cr_assert_eq(r2.amount.minor, 9500);
    cr_assert_eq(paypal_capture_get(pc, c.id, &got, NULL), RMA_OK);
    cr_assert_str_eq(got.status, "REFUNDED");
    cr_assert_eq(paypal_refund_capture(pc, c.id, NULL, NULL,
                                       sim_request_id("refund"), &r2, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "CAPTURE_FULLY_REFUNDED");
    paypal_result_free(&res);
    paypal_client_free(pc);
}

Test(paypal_client, voids_once_and_then_refuses_void_and_capture)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "25.00", "EUR", &o);
    struct paypal_authorization v;
    struct paypal_result res;
    cr_assert_eq(paypal_void_authorization(pc, o.authorization.id,
                                           sim_request_id("void"), &v, &res),
                 RMA_OK, "%d %s", res.http_status, res.issue);
    cr_assert(res.http_status == 200 || res.http_status == 204);
    if (res.http_status == 200)
        cr_assert_str_eq(v.status, "VOIDED");
    paypal_result_free(&res);
    cr_assert_eq(paypal_void_authorization(pc, o.authorization.id,
                                           sim_request_id("void"), NULL, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "PREVIOUSLY_VOIDED");
    paypal_result_free(&res);
    struct paypal_capture c;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, sim_request_id("capture"),
                                              &c, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "AUTHORIZATION_VOIDED");
    paypal_result_free(&res);
    paypal_client_free(pc);
}

Test(paypal_client, jpy_holds_use_whole_amounts)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "1500", "JPY", &o);
    cr_assert_eq(o.authorization.amount.minor, 1500);
    cr_assert_str_eq(o.authorization.amount.currency, "JPY");
    struct money part = {1000, "JPY"};
    struct paypal_capture c;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, &part,
                                              false, sim_request_id("capture"),
                                              &c, NULL),
                 RMA_OK);
    cr_assert_eq(c.amount.minor, 1000);
    cr_assert_str_eq(c.amount.currency, "JPY");
    paypal_client_free(pc);
}

Test(paypal_client, unknown_ids_are_not_found)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_authorization a;
    struct paypal_order o;
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_authorization_get(pc, "0NOSUCHAUTH00000", &a, &res),
                 RMA_ENOTFOUND);
    cr_assert_eq(res.http_status, 404);
    cr_assert_neq(res.debug_id[0], '\0');
    paypal_result_free(&res);
    cr_assert_eq(paypal_order_get(pc, "0NOSUCHORDER0000", &o, NULL),
                 RMA_ENOTFOUND);
    cr_assert_eq(paypal_capture_authorization(pc, "0NOSUCHAUTH00000", NULL,
                                              true, sim_request_id("capture"),
                                              &c, NULL),
                 RMA_ENOTFOUND);
    paypal_client_free(pc);
}

Test(paypal_client, transaction_search_finds_a_customer_payment)
{
    struct paypal_client *pc = sim_paypal(5000);
    char email[96];
    snprintf(email, sizeof(email), "buyer-%d@example.com", (int)getpid());
    json_t *pay = sim_callf("POST", "/sim/payments",
                            "{\"amount\": {\"currency_code\": \"USD\", "
                            "\"value\": \"49.50\"}, \"payer_email\": \"%s\"}",
                            email);
    const char *seller =
        json_string_value(json_object_get(pay, "seller_transaction_id"));
    cr_assert_not_null(seller);
    time_t now = sim_now();
    struct paypal_search_query q = {
        .start = now - 2 * DAY, .end = now + 3600, .transaction_id = seller};
    struct paypal_search_result r;
    struct paypal_result res;
    cr_assert_eq(paypal_search_transactions(pc, &q, &r, &res), RMA_OK,
                 "%d %s %s", res.http_status, res.name, res.issue);
    paypal_result_free(&res);
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.items[0].transaction_id, seller);
    cr_assert_str_eq(r.items[0].status, "S");
    cr_assert_eq(r.items[0].amount.minor, 4950);
    cr_assert_str_eq(r.items[0].payer_email, email);
    cr_assert_neq(r.last_refreshed_at, 0);
    paypal_search_result_free(&r);
    json_decref(pay);
    paypal_client_free(pc);
}

Test(paypal_client, a_webhook_postback_with_a_bad_signature_fails)
{
    struct paypal_client *pc = sim_paypal(5000);
    char cert[256];
    snprintf(cert, sizeof(cert), "%s/v1/notifications/certs/CERT-X", sim_url());
    struct paypal_webhook_headers h = {"tx-1", "2026-11-23T10:00:00Z",
                                       "bm90IGEgc2lnbmF0dXJl", cert,
                                       "SHA256withRSA"};
    const char *body = "{\"id\":\"WH-X\",\"event_type\":\"PAYMENT.CAPTURE."
                       "COMPLETED\",\"resource\":{}}";
    struct paypal_result res;
    cr_assert_eq(paypal_webhook_verify_postback(pc, "1JE4291016473214C", &h,
                                                body, strlen(body), &res),
                 RMA_EUNAUTH);
    paypal_result_free(&res);
    cr_assert_eq(paypal_webhook_verify_postback(pc, "1JE4291016473214C", &h,
                                                "nope", 4, NULL),
                 RMA_EINVAL);
    paypal_client_free(pc);
}

/* ---- a private simulator: clock, rules and faults ---- */

TestSuite(paypal_sim, .init = sim_private_start, .fini = sim_private_stop);

Test(paypal_sim, a_token_expiring_mid_session_is_refreshed_once)
{
    json_decref(sim_call("POST", "/sim/config", "{\"token_ttl_seconds\": 60}"));
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o, got;
    sim_authorized_order(pc, "12.34", "USD", &o);
    struct paypal_client_stats st;
    paypal_client_stats(pc, &st);
    cr_assert_eq(st.token_fetches, 1, "one token for the session");
    sim_advance(120); /* the token expires at PayPal, not in our cache */
    cr_assert_eq(paypal_order_get(pc, o.id, &got, NULL), RMA_OK);
    paypal_client_stats(pc, &st);
    cr_assert_eq(st.token_fetches, 2, "refreshed on the 401");
    cr_assert_eq(st.retries, 0, "a 401 is not a backoff retry");
    paypal_client_free(pc);
}

Test(paypal_sim, wrong_credentials_are_an_upstream_error)
{
    struct paypal_client_options opt = {.base_url = sim_url(),
                                        .client_id = "rma-demo-client",
                                        .client_secret = "wrong",
                                        .timeout_ms = 5000};
    struct paypal_client *pc = paypal_client_new(&opt);
    struct paypal_order o;
    struct paypal_result res;
    cr_assert_eq(paypal_order_get(pc, "5O190127TN364715T", &o, &res),
                 RMA_EUPSTREAM);
    struct paypal_client_stats st;
    paypal_client_stats(pc, &st);
    cr_assert_eq(st.http_calls, 1, "a 401 on the token is not retried");
    paypal_client_free(pc);
}

Test(paypal_sim, a_5xx_after_the_effect_is_replayed_with_the_same_request_id)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "40.00", "USD", &o);
    json_decref(sim_call("POST", "/sim/faults",
                         "{\"kind\": \"500_after_effect\", \"next\": 1, "
                         "\"path_prefix\": \"/v2/payments\"}"));
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, "rma-capture-h900-1", &c,
                                              &res),
                 RMA_OK, "%d %s", res.http_status, res.name);
    cr_assert_eq(res.attempts, 2);
    paypal_result_free(&res);
    cr_assert_eq(sim_captures_of(o.authorization.id), 1,
                 "one capture despite the 500");
    json_t *st = sim_call("GET", "/sim/state", NULL);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(st, "counts"), "captures")),
                 1);
    json_decref(st);
    paypal_client_free(pc);
}

Test(paypal_sim, timeouts_and_drops_are_retried_with_the_same_request_id)
{
    struct paypal_client *pc = sim_paypal(1000);
    struct paypal_order o;
    sim_authorized_order(pc, "40.00", "USD", &o);
    json_decref(sim_call("POST", "/sim/faults",
                         "{\"kind\": \"timeout\", \"next\": 1, "
                         "\"path_prefix\": \"/v2/payments\"}"));
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              false, "rma-capture-h901-1", &c,
                                              &res),
                 RMA_OK, "%d %s", res.http_status, res.message);
    cr_assert_eq(res.attempts, 2);
    paypal_result_free(&res);
    json_decref(sim_call("POST", "/sim/faults",
                         "{\"kind\": \"drop\", \"next\": 2, "
                         "\"path_prefix\": \"/v2/payments\"}"));
    struct paypal_authorization a;
    cr_assert_eq(paypal_authorization_get(pc, o.authorization.id, &a, &res),
                 RMA_OK);
    /* libcurl itself retries once on a reused connection that died; the
     * second drop reaches the client's own retry. */
    cr_assert_geq(res.attempts, 2, "attempts %d", res.attempts);
    paypal_result_free(&res);
    cr_assert_eq(sim_captures_of(o.authorization.id), 1);
    paypal_client_free(pc);
}

Test(paypal_sim, rate_limits_are_retried_after_retry_after)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "40.00", "USD", &o);
    json_decref(sim_call("POST", "/sim/faults",
                         "{\"kind\": \"429\", \"next\": 2, "
                         "\"path_prefix\": \"/v2/payments\"}"));
    struct paypal_client_stats before, after;
    paypal_client_stats(pc, &before);
    double t0 = now_s();
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, "rma-capture-h902-1", &c,
                                              &res),
                 RMA_OK);
    double took = now_s() - t0;
    cr_assert_eq(res.attempts, 3);
    paypal_result_free(&res);
    paypal_client_stats(pc, &after);
    cr_assert_eq(after.retries - before.retries, 2);
    cr_assert(took >= 1.9, "Retry-After: 1 honoured twice (%.2fs)", took);
    paypal_client_free(pc);
}

Test(paypal_sim, a_persistent_5xx_gives_up_and_a_later_replay_succeeds)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "40.00", "USD", &o);
    json_decref(sim_call("POST", "/sim/faults",
                         "{\"kind\": \"503\", \"rate\": 1.0, "
                         "\"path_prefix\": \"/v2/payments\"}"));
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, "rma-capture-h903-1", &c,
                                              &res),
                 RMA_EUPSTREAM);
    cr_assert_eq(res.attempts, 4);
    cr_assert_eq(res.http_status, 503);
    cr_assert_neq(res.debug_id[0], '\0');
    paypal_result_free(&res);
    json_decref(sim_call("DELETE", "/sim/faults", NULL));
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, "rma-capture-h903-1", &c,
                                              &res),
                 RMA_OK);
    cr_assert_eq(res.attempts, 1);
    paypal_result_free(&res);
    cr_assert_eq(sim_captures_of(o.authorization.id), 1);
    paypal_client_free(pc);
}

Test(paypal_sim, capture_succeeds_on_day_3_and_may_be_declined_on_day_4)
{
    json_decref(
        sim_call("POST", "/sim/config", "{\"decline_after_honor\": true}"));
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order a, b;
    sim_authorized_order(pc, "30.00", "USD", &a);
    sim_authorized_order(pc, "30.00", "USD", &b);
    sim_advance(3 * DAY - 120); /* the last minutes of the honor period */
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, a.authorization.id, NULL,
                                              true, sim_request_id("cap"), &c,
                                              &res),
                 RMA_OK, "%s", res.issue);
    paypal_result_free(&res);
    sim_advance(240); /* day 4 */
    cr_assert_eq(paypal_capture_authorization(pc, b.authorization.id, NULL,
                                              true, sim_request_id("cap"), &c,
                                              &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "TRANSACTION_REFUSED");
    paypal_result_free(&res);
    paypal_client_free(pc);
}

Test(paypal_sim, reauthorization_is_refused_on_day_3_and_renews_on_day_4)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "60.00", "USD", &o);
    sim_advance(3 * DAY - 120);
    struct paypal_authorization re;
    struct paypal_result res;
    cr_assert_eq(paypal_reauthorize(pc, o.authorization.id, NULL,
                                    sim_request_id("reauth"), &re, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "REAUTHORIZATION_TOO_SOON");
    paypal_result_free(&res);
    sim_advance(240);
    cr_assert_eq(paypal_reauthorize(pc, o.authorization.id, NULL,
                                    sim_request_id("reauth"), &re, &res),
                 RMA_OK, "%s", res.issue);
    paypal_result_free(&res);
    cr_assert_str_neq(re.id, o.authorization.id, "a new authorization id");
    cr_assert_str_eq(re.status, "CREATED");
    /* Reauthorizing the reauthorization is not supported. */
    struct paypal_authorization re2;
    cr_assert_eq(paypal_reauthorize(pc, re.id, NULL, sim_request_id("reauth"),
                                    &re2, &res),
                 RMA_ERULE);
    paypal_result_free(&res);
    struct paypal_capture c;
    cr_assert_eq(paypal_capture_authorization(pc, re.id, NULL, true,
                                              sim_request_id("cap"), &c, NULL),
                 RMA_OK, "the capture uses the new id");
    paypal_client_free(pc);
}

Test(paypal_sim, a_capture_after_day_29_is_refused_as_expired)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_authorized_order(pc, "60.00", "USD", &o);
    sim_advance(29 * DAY + 60);
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, sim_request_id("cap"), &c,
                                              &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "AUTHORIZATION_EXPIRED");
    paypal_result_free(&res);
    struct paypal_authorization a;
    cr_assert_eq(paypal_authorization_get(pc, o.authorization.id, &a, NULL),
                 RMA_OK);
    cr_assert(strcmp(a.status, "VOIDED") == 0 ||
                  strcmp(a.status, "EXPIRED") == 0,
              "%s", a.status);
    paypal_client_free(pc);
}

Test(paypal_sim, a_batch_runs_captures_concurrently_with_their_own_outcomes)
{
    enum { N = 8 };
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o[N];
    for (int i = 0; i < N; i++)
        sim_authorized_order(pc, "10.00", "USD", &o[i]);
    /* One of them cannot be captured any more. */
    cr_assert_eq(paypal_void_authorization(pc, o[3].authorization.id,
                                           "rma-void-h3-1", NULL, NULL),
                 RMA_OK);
    json_decref(sim_call("POST", "/sim/latency", "{\"ms\": 400}"));
    struct paypal_batch_item items[N];
    char rids[N][64];
    memset(items, 0, sizeof(items));
    for (int i = 0; i < N; i++) {
        snprintf(rids[i], sizeof(rids[i]), "rma-capture-h%d-1", 100 + i);
        items[i].kind = PAYPAL_BATCH_CAPTURE;
        items[i].id = o[i].authorization.id;
        items[i].request_id = rids[i];
        items[i].final_capture = true;
    }
    double t0 = now_s();
    cr_assert_eq(paypal_batch(pc, items, N, 4), RMA_OK);
    double took = now_s() - t0;
    json_decref(sim_call("POST", "/sim/latency", "{\"ms\": 0}"));
    for (int i = 0; i < N; i++) {
        if (i == 3) {
            cr_assert_eq(items[i].err, RMA_ERULE);
            cr_assert_str_eq(items[i].result.issue, "AUTHORIZATION_VOIDED");
        } else {
            cr_assert_eq(items[i].err, RMA_OK, "item %d: %s", i,
                         items[i].result.issue);
            cr_assert_str_eq(items[i].out.capture.status, "COMPLETED");
        }
        paypal_result_free(&items[i].result);
    }
    /* 8 calls of 400 ms, 4 at a time: about 0.8 s, far below 3.2 s. */
    cr_assert(took < 2.4, "took %.2fs", took);
    paypal_client_free(pc);
}

/* The outcomes SPEC §16 asks the service to believe only for what they say
 * reach the client in PayPal's shapes (and, in the conformance run, are
 * checked against PayPal's OpenAPI documents). */
Test(paypal_sim, pending_outcomes_parse_and_settle)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order o;
    sim_outcome("authorize", "PENDING", 1);
    sim_authorized_order(pc, "80.00", "USD", &o);
    cr_assert_str_eq(o.status, "COMPLETED");
    cr_assert_str_eq(o.authorization.status, "PENDING");
    cr_assert_str_eq(o.authorization.status_reason, "PENDING_REVIEW");
    json_t *s = sim_settle(o.authorization.id, "CREATED");
    cr_assert_str_eq(json_string_value(json_object_get(s, "event")),
                     "PAYMENT.AUTHORIZATION.CREATED");
    json_decref(s);
    struct paypal_authorization a;
    cr_assert_eq(paypal_authorization_get(pc, o.authorization.id, &a, NULL),
                 RMA_OK);
    cr_assert_str_eq(a.status, "CREATED");
    cr_assert_str_eq(a.status_reason, "");

    sim_outcome("capture", "PENDING", 1);
    struct paypal_capture c, got;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, o.authorization.id, NULL,
                                              true, sim_request_id("capture"),
                                              &c, &res),
                 RMA_OK, "%d %s", res.http_status, res.issue);
    paypal_result_free(&res);
    cr_assert_str_eq(c.status, "PENDING");
    cr_assert_str_eq(c.status_reason, "PENDING_REVIEW");
    cr_assert(!c.has_breakdown, "no money moved yet");
    json_decref(sim_settle(c.id, "COMPLETED"));
    cr_assert_eq(paypal_capture_get(pc, c.id, &got, NULL), RMA_OK);
    cr_assert_str_eq(got.status, "COMPLETED");
    cr_assert(got.has_breakdown);
    cr_assert_eq(got.gross.minor, 8000);

    sim_outcome("refund", "PENDING", 1);
    struct money ten = {1000, "USD"};
    struct paypal_refund r, rg;
    cr_assert_eq(paypal_refund_capture(pc, c.id, &ten, NULL,
                                       sim_request_id("refund"), &r, &res),
                 RMA_OK, "%d %s", res.http_status, res.issue);
    paypal_result_free(&res);
    cr_assert_str_eq(r.status, "PENDING");
    cr_assert_str_eq(r.status_reason, "ECHECK");
    cr_assert(!r.has_breakdown);
    json_decref(sim_settle(r.id, "COMPLETED"));
    cr_assert_eq(paypal_refund_get(pc, r.id, &rg, NULL), RMA_OK);
    cr_assert_str_eq(rg.status, "COMPLETED");
    cr_assert(rg.has_breakdown);
    cr_assert_eq(rg.total_refunded.minor, 1000);
    paypal_client_free(pc);
}

Test(paypal_sim, refused_outcomes_parse_as_statuses_not_errors)
{
    struct paypal_client *pc = sim_paypal(5000);
    struct paypal_order denied, held;
    sim_outcome("authorize", "DENIED", 1);
    sim_authorized_order(pc, "20.00", "USD", &denied);
    cr_assert_str_eq(denied.authorization.status, "DENIED");
    struct paypal_capture c;
    struct paypal_result res;
    cr_assert_eq(paypal_capture_authorization(pc, denied.authorization.id, NULL,
                                              true, sim_request_id("capture"),
                                              &c, &res),
                 RMA_ERULE);
    cr_assert_str_eq(res.issue, "AUTHORIZATION_DENIED");
    paypal_result_free(&res);

    sim_authorized_order(pc, "20.00", "USD", &held);
    sim_outcome("capture", "DECLINED", 1);
    cr_assert_eq(paypal_capture_authorization(pc, held.authorization.id, NULL,
                                              true, sim_request_id("capture"),
                                              &c, NULL),
                 RMA_OK);
    cr_assert_str_eq(c.status, "DECLINED");
    cr_assert(!c.has_breakdown);
    cr_assert_eq(paypal_capture_authorization(pc, held.authorization.id, NULL,
                                              true, sim_request_id("capture"),
                                              &c, NULL),
                 RMA_OK, "still capturable after a decline");
    cr_assert_str_eq(c.status, "COMPLETED");

    sim_outcome("refund", "FAILED", 1);
    struct paypal_refund r;
    cr_assert_eq(paypal_refund_capture(pc, c.id, NULL, NULL,
                                       sim_request_id("refund"), &r, NULL),
                 RMA_OK);
    cr_assert_str_eq(r.status, "FAILED");
    cr_assert(!r.has_breakdown);
    paypal_client_free(pc);
}

Test(paypal_client, a_customer_payment_is_refunded_through_its_capture_id)
{
    struct paypal_client *pc = sim_paypal(5000);
    json_t *pay = sim_call("POST", "/sim/payments",
                           "{\"amount\": {\"currency_code\": \"USD\", "
                           "\"value\": \"30.00\"}, \"payer_email\": "
                           "\"refund@example.com\"}");
    const char *id = json_string_value(json_object_get(pay, "capture_id"));
    cr_assert_not_null(id);
    struct paypal_capture c;
    cr_assert_eq(paypal_capture_get(pc, id, &c, NULL), RMA_OK);
    cr_assert_str_eq(c.status, "COMPLETED");
    cr_assert_eq(c.amount.minor, 3000);
    struct money part = {1250, "USD"};
    struct paypal_refund r1, r2;
    cr_assert_eq(paypal_refund_capture(pc, id, &part, NULL,
                                       sim_request_id("refund"), &r1, NULL),
                 RMA_OK);
    cr_assert_str_eq(r1.status, "COMPLETED");
    cr_assert_str_eq(r1.capture_id, id);
    cr_assert_eq(paypal_refund_capture(pc, id, NULL, NULL,
                                       sim_request_id("refund"), &r2, NULL),
                 RMA_OK);
    cr_assert_eq(r2.amount.minor, 1750);
    cr_assert_eq(r2.total_refunded.minor, 3000);
    cr_assert_eq(paypal_capture_get(pc, id, &c, NULL), RMA_OK);
    cr_assert_str_eq(c.status, "REFUNDED");
    json_decref(pay);
    paypal_client_free(pc);
}
