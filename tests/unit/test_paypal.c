/* test_paypal.c - the PayPal client without a network: response and error
 * parsing from fixture files, money strings, request ids, backoff, times and
 * webhook signature verification with test certificates. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rma/paypal.h"
#include "rma/paypal_intent.h"

#ifndef PAYPAL_FIXTURES
#define PAYPAL_FIXTURES "tests/fixtures/paypal"
#endif

/* The fixture file name, NUL-terminated (caller frees). */
static char *
fixture(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", PAYPAL_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)n;
    return s;
}

/* ---- money ---- */

Test(paypal, usd_amounts_convert_both_ways_exactly)
{
    struct money m;
    cr_assert_eq(paypal_money_parse("12.34", "USD", &m), RMA_OK);
    cr_assert_eq(m.minor, 1234);
    cr_assert_str_eq(m.currency, "USD");
    char out[MONEY_TEXT_MAX];
    cr_assert_eq(paypal_money_value(&m, out), RMA_OK);
    cr_assert_str_eq(out, "12.34");
    m.minor = 5;
    paypal_money_value(&m, out);
    cr_assert_str_eq(out, "0.05");
    cr_assert_eq(paypal_money_parse("12.345", "USD", &m), RMA_EINVAL);
}

Test(paypal, jpy_amounts_have_no_decimals)
{
    struct money m;
    cr_assert_eq(paypal_money_parse("1500", "JPY", &m), RMA_OK);
    cr_assert_eq(m.minor, 1500);
    char out[MONEY_TEXT_MAX];
    cr_assert_eq(paypal_money_value(&m, out), RMA_OK);
    cr_assert_str_eq(out, "1500");
    cr_assert_eq(paypal_money_parse("1500.5", "JPY", &m), RMA_EINVAL);
    cr_assert_eq(paypal_money_parse("1500.00", "JPY", &m), RMA_EINVAL);
    cr_assert_eq(paypal_money_parse("1", "XXX", &m), RMA_EINVAL);
}

Test(paypal, a_bad_amount_is_refused_before_any_call)
{
    /* Nothing listens on port 9: a call would fail differently and count. */
    struct paypal_client_options o = {.base_url = "http://127.0.0.1:9",
                                      .client_id = "id",
                                      .client_secret = "secret",
                                      .timeout_ms = 500};
    struct paypal_client *pc = paypal_client_new(&o);
    cr_assert_not_null(pc);
    struct money jpy;
    /* A JPY decimal from the API never becomes an amount... */
    cr_assert_eq(paypal_money_parse("1500.50", "JPY", &jpy), RMA_EINVAL);
    /* ... and an amount PayPal would refuse never leaves the process. */
    struct paypal_order_params p = {.amount = {0, "JPY"},
                                    .return_url = "https://x.example/r",
                                    .cancel_url = "https://x.example/c"};
    struct paypal_order order;
    struct paypal_result res;
    cr_assert_eq(paypal_order_create(pc, &p, "rma-order-h1-1", &order, &res),
                 RMA_EINVAL);
    p.amount = (struct money){1500, "XXX"};
    cr_assert_eq(paypal_order_create(pc, &p, "rma-order-h1-1", &order, &res),
                 RMA_EINVAL);
    p.amount = (struct money){1500, "JPY"};
    cr_assert_eq(paypal_order_create(pc, &p, "", &order, &res), RMA_EINVAL);
    p.shipping_preference = "SOMEWHERE";
    cr_assert_eq(paypal_order_create(pc, &p, "rma-order-h1-1", &order, &res),
                 RMA_EINVAL);
    struct money half = {-5, "USD"};
    struct paypal_capture cap;
    cr_assert_eq(paypal_capture_authorization(pc, "AUTH1", &half, true,
                                              "rma-capture-h1-1", &cap, &res),
                 RMA_EINVAL);
    cr_assert_eq(paypal_capture_authorization(pc, "../orders/x", NULL, true,
                                              "rma-capture-h1-1", &cap, &res),
                 RMA_EINVAL, "ids cannot change the path");
    struct paypal_search_query q = {.start = 1000000,
                                    .end = 1000000 + 32L * 86400};
    struct paypal_search_result sr;
    cr_assert_eq(paypal_search_transactions(pc, &q, &sr, &res), RMA_EINVAL,
                 "a window over 31 days");
    struct paypal_client_stats st;
    paypal_client_stats(pc, &st);
    cr_assert_eq(st.http_calls, 0);
    paypal_client_free(pc);
}

Test(paypal, a_client_needs_a_base_url_and_credentials)
{
    struct paypal_client_options o = {.base_url = "http://127.0.0.1:9",
                                      .client_id = "id"};
    cr_assert_null(paypal_client_new(&o));
    o.client_secret = "s";
    o.https_only = true;
    cr_assert_null(paypal_client_new(&o), "http refused when https_only");
}

/* ---- request ids and intents ---- */

Test(paypal, request_ids_derive_from_the_intent)
{
    char id[PAYPAL_REQUEST_ID_MAX + 1], again[PAYPAL_REQUEST_ID_MAX + 1];
    struct paypal_intent_key k = {.op = PAYPAL_OP_CAPTURE, .hold_id = 42};
    cr_assert_eq(paypal_request_id(&k, id, sizeof(id)), RMA_OK);
    cr_assert_str_eq(id, "rma-capture-h42-1");
    cr_assert_eq(paypal_request_id(&k, again, sizeof(again)), RMA_OK);
    cr_assert_str_eq(id, again, "deterministic, never random");
    k.sequence = 2;
    paypal_request_id(&k, id, sizeof(id));
    cr_assert_str_eq(id, "rma-capture-h42-2");
    struct paypal_intent_key r = {
        .op = PAYPAL_OP_REFUND, .case_id = 7, .prefix = "rma-staging"};
    paypal_request_id(&r, id, sizeof(id));
    cr_assert_str_eq(id, "rma-staging-refund-c7-1");
    r.op = PAYPAL_OP_ORDER_CREATE;
    r.hold_id = 9;
    paypal_request_id(&r, id, sizeof(id));
    cr_assert_str_eq(id, "rma-staging-order-h9-1");
    cr_assert(paypal_request_id_valid(id));

    struct paypal_intent_key bad = {.op = PAYPAL_OP_VOID};
    cr_assert_eq(paypal_request_id(&bad, id, sizeof(id)), RMA_EINVAL,
                 "no owner");
    bad.hold_id = 1;
    bad.prefix = "has space";
    cr_assert_eq(paypal_request_id(&bad, id, sizeof(id)), RMA_EINVAL);
    bad.prefix = NULL;
    bad.sequence = -1;
    cr_assert_eq(paypal_request_id(&bad, id, sizeof(id)), RMA_EINVAL);
    bad.sequence = 1;
    bad.op = (enum paypal_operation)99;
    cr_assert_eq(paypal_request_id(&bad, id, sizeof(id)), RMA_EINVAL);
}

Test(paypal, request_ids_are_1_to_108_printable_characters)
{
    char long_id[120];
    memset(long_id, 'a', sizeof(long_id));
    long_id[108] = '\0';
    cr_assert(paypal_request_id_valid(long_id));
    long_id[108] = 'a';
    long_id[109] = '\0';
    cr_assert_not(paypal_request_id_valid(long_id));
    cr_assert_not(paypal_request_id_valid(""));
    cr_assert_not(paypal_request_id_valid(NULL));
    cr_assert_not(paypal_request_id_valid("a\r\nX-Injected: 1"));
}

Test(paypal, call_errors_map_to_intent_outcomes)
{
    cr_assert_eq(paypal_intent_status_for(RMA_OK), PAYPAL_INTENT_SUCCEEDED);
    cr_assert_eq(paypal_intent_status_for(RMA_ERULE), PAYPAL_INTENT_FAILED);
    cr_assert_eq(paypal_intent_status_for(RMA_ENOTFOUND), PAYPAL_INTENT_FAILED);
    cr_assert_eq(paypal_intent_status_for(RMA_EUPSTREAM), PAYPAL_INTENT_UNKNOWN,
                 "a 5xx or timeout may have happened");
    cr_assert_str_eq(paypal_operation_name(PAYPAL_OP_REAUTHORIZE),
                     "authorization_reauthorize");
    cr_assert_str_eq(paypal_intent_status_name(PAYPAL_INTENT_UNKNOWN),
                     "unknown");
}

/* ---- backoff, times, statuses ---- */

Test(paypal, backoff_grows_exponentially_within_bounds)
{
    const uint32_t rs[] = {0, 1, 12345, 0x7fffffff, UINT32_MAX};
    long expect = 250;
    for (int retry = 1; retry <= 12; retry++) {
        for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
            long d = paypal_backoff_ms(250, 8000, retry, rs[i]);
            cr_assert(d >= expect / 2 && d <= expect,
                      "retry %d: %ld not in [%ld, %ld]", retry, d, expect / 2,
                      expect);
        }
        expect = expect * 2 > 8000 ? 8000 : expect * 2;
    }
    cr_assert_eq(paypal_backoff_ms(250, 8000, 1, 0), 125);
    cr_assert_eq(paypal_backoff_ms(250, 8000, 40, UINT32_MAX) <= 8000, 1);
    /* Jitter: different random inputs give different delays. */
    cr_assert_neq(paypal_backoff_ms(1000, 8000, 2, 1),
                  paypal_backoff_ms(1000, 8000, 2, 777));
}

Test(paypal, times_parse_in_every_form_paypal_writes)
{
    time_t t;
    cr_assert_eq(paypal_parse_time("2024-03-15T20:57:44Z", &t), RMA_OK);
    cr_assert_eq(t, 1710536264);
    cr_assert_eq(paypal_parse_time("2024-03-15T20:57:44.123Z", &t), RMA_OK);
    cr_assert_eq(t, 1710536264);
    cr_assert_eq(paypal_parse_time("2024-03-15T20:57:44+0000", &t), RMA_OK);
    cr_assert_eq(t, 1710536264, "the +0000 form of Transaction Search");
    cr_assert_eq(paypal_parse_time("2024-03-15T13:57:44-07:00", &t), RMA_OK);
    cr_assert_eq(t, 1710536264);
    cr_assert_eq(paypal_parse_time("2024-03-15T22:57:44+0200", &t), RMA_OK);
    cr_assert_eq(t, 1710536264);
    const char *bad[] = {"",
                         "2024-03-15",
                         "2024-03-15T20:57:44",
                         "2024-13-15T20:57:44Z",
                         "2024-03-15T20:57:44Zjunk",
                         "2024-03-15T20:57:44+00",
                         "x024-03-15T20:57:44Z",
                         "2026-02-31T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "1900-02-29T00:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(paypal_parse_time(bad[i], &t), RMA_EINVAL, "%s", bad[i]);
    /* The last day of each month, leap years by the Gregorian rule. */
    const char *last[] = {"2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z",
                          "2026-02-28T00:00:00Z", "2026-04-30T00:00:00Z",
                          "2026-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof(last) / sizeof(last[0]); i++)
        cr_assert_eq(paypal_parse_time(last[i], &t), RMA_OK, "%s", last[i]);
}

Test(paypal, statuses_map_to_application_errors)
{
    cr_assert_eq(paypal_err_for_status(201, NULL), RMA_OK);
    cr_assert_eq(paypal_err_for_status(400, "INVALID_PARAMETER_VALUE"),
                 RMA_EINVAL);
    cr_assert_eq(paypal_err_for_status(401, NULL), RMA_EUPSTREAM);
    cr_assert_eq(paypal_err_for_status(403, NULL), RMA_EFORBIDDEN);
    cr_assert_eq(paypal_err_for_status(404, "INVALID_RESOURCE_ID"),
                 RMA_ENOTFOUND);
    cr_assert_eq(paypal_err_for_status(409, "PREVIOUS_REQUEST_IN_PROGRESS"),
                 RMA_EUPSTREAM);
    cr_assert_eq(paypal_err_for_status(409, "OTHER"), RMA_ECONFLICT);
    cr_assert_eq(paypal_err_for_status(422, "AUTHORIZATION_EXPIRED"),
                 RMA_ERULE);
    cr_assert_eq(paypal_err_for_status(429, NULL), RMA_EUPSTREAM);
    cr_assert_eq(paypal_err_for_status(503, NULL), RMA_EUPSTREAM);
}

/* ---- error bodies ---- */

Test(paypal, error_bodies_give_name_first_issue_message_and_debug_id)
{
    char *s = fixture("error_422.json", NULL);
    struct paypal_result r = {0};
    paypal_parse_error(s, &r);
    cr_assert_str_eq(r.name, "UNPROCESSABLE_ENTITY");
    cr_assert_str_eq(r.issue, "AUTHORIZATION_EXPIRED");
    cr_assert_str_eq(r.debug_id, "b28a2f2d2c5e8");
    cr_assert(strncmp(r.message, "The requested action", 20) == 0);
    free(s);

    struct paypal_result o = {0};
    s = fixture("error_oauth_401.json", NULL);
    paypal_parse_error(s, &o);
    cr_assert_str_eq(o.name, "invalid_client");
    cr_assert_str_eq(o.message, "Client Authentication failed");
    cr_assert_str_eq(o.issue, "");
    free(s);

    struct paypal_result u = {0};
    s = fixture("error_503.json", NULL);
    paypal_parse_error(s, &u);
    cr_assert_str_eq(u.name, "SERVICE_UNAVAILABLE");
    cr_assert_str_eq(u.debug_id, "90957fca61718");
    free(s);

    struct paypal_result h = {0};
    paypal_parse_error("<html>bad gateway</html>", &h);
    cr_assert_str_eq(h.name, "", "a non-JSON body leaves the fields empty");
}

/* ---- responses ---- */

Test(paypal, a_created_order_gives_its_payer_action_link)
{
    char *s = fixture("order_created.json", NULL);
    struct paypal_order o;
    cr_assert_eq(paypal_parse_order(s, &o), RMA_OK);
    cr_assert_str_eq(o.id, "5O190127TN364715T");
    cr_assert_str_eq(o.status, "PAYER_ACTION_REQUIRED");
    cr_assert_str_eq(o.intent, "AUTHORIZE");
    cr_assert_str_eq(o.approve_url, "https://www.paypal.com/checkoutnow?token="
                                    "5O190127TN364715T");
    cr_assert(o.has_amount);
    cr_assert_eq(o.amount.minor, 1234);
    cr_assert_not(o.has_authorization);
    free(s);
}

Test(paypal, a_created_order_gives_its_approve_link)
{
    char *s = fixture("order_created_approve.json", NULL);
    struct paypal_order o;
    cr_assert_eq(paypal_parse_order(s, &o), RMA_OK);
    cr_assert_str_eq(o.status, "CREATED");
    cr_assert_str_eq(o.approve_url, "https://www.paypal.com/checkoutnow?token="
                                    "5O190127TN364715T");
    cr_assert_eq(o.amount.minor, 1500);
    cr_assert_str_eq(o.amount.currency, "JPY");
    free(s);
}

Test(paypal, an_authorized_order_gives_its_authorization)
{
    char *s = fixture("order_authorized.json", NULL);
    struct paypal_order o;
    cr_assert_eq(paypal_parse_order(s, &o), RMA_OK);
    cr_assert_str_eq(o.status, "COMPLETED");
    cr_assert(o.has_authorization);
    const struct paypal_authorization *a = &o.authorization;
    cr_assert_str_eq(a->id, "0AW2184448108334S");
    cr_assert_str_eq(a->status, "CREATED");
    cr_assert_eq(a->amount.minor, 1234);
    cr_assert_str_eq(a->amount.currency, "USD");
    cr_assert_str_eq(a->expiration_time, "2024-04-13T20:57:44Z");
    cr_assert_str_eq(a->create_time, "2024-03-15T20:57:44Z");
    cr_assert_eq(a->expiration - a->created, 29L * 86400);
    cr_assert_str_eq(a->order_id, "5O190127TN364715T");
    cr_assert_str_eq(o.payer_id, "QYR5Z8XDVJNXQ");
    cr_assert_str_eq(o.payer_email, "buyer@example.com");
    cr_assert_str_eq(o.approve_url, "");
    free(s);
}

Test(paypal, an_authorization_parses_with_its_order)
{
    char *s = fixture("authorization.json", NULL);
    struct paypal_authorization a;
    cr_assert_eq(paypal_parse_authorization(s, &a), RMA_OK);
    cr_assert_str_eq(a.status, "VOIDED");
    cr_assert_str_eq(a.order_id, "5O190127TN364715T");
    cr_assert_str_eq(a.update_time, "2024-03-20T08:01:02Z");
    free(s);
}

Test(paypal, a_capture_gives_fee_and_net_from_its_breakdown)
{
    char *s = fixture("capture.json", NULL);
    struct paypal_capture c;
    cr_assert_eq(paypal_parse_capture(s, &c), RMA_OK);
    cr_assert_str_eq(c.id, "2GG279541U471931P");
    cr_assert_str_eq(c.status, "COMPLETED");
    cr_assert(c.final_capture);
    cr_assert(c.has_breakdown);
    cr_assert_eq(c.amount.minor, 1234);
    cr_assert_eq(c.gross.minor, 1234);
    cr_assert_eq(c.fee.minor, 92);
    cr_assert_eq(c.net.minor, 1142);
    cr_assert_str_eq(c.fee.currency, "USD");
    cr_assert_str_eq(c.authorization_id, "0AW2184448108334S");
    free(s);
}

Test(paypal, a_pending_capture_has_no_breakdown)
{
    char *s = fixture("capture_pending.json", NULL);
    struct paypal_capture c;
    cr_assert_eq(paypal_parse_capture(s, &c), RMA_OK);
    cr_assert_str_eq(c.status, "PENDING");
    cr_assert_str_eq(c.status_reason, "PENDING_REVIEW");
    cr_assert_not(c.has_breakdown);
    cr_assert_eq(c.amount.minor, 1500);
    cr_assert_str_eq(c.authorization_id, "8AA831015G517922L",
                     "from the up link");
    free(s);
}

Test(paypal, a_refund_parses_with_its_capture)
{
    char *s = fixture("refund.json", NULL);
    struct paypal_refund r;
    cr_assert_eq(paypal_parse_refund(s, &r), RMA_OK);
    cr_assert_str_eq(r.id, "1JU08902781691411");
    cr_assert_str_eq(r.status, "COMPLETED");
    cr_assert_eq(r.amount.minor, 500);
    cr_assert(r.has_breakdown);
    cr_assert_eq(r.total_refunded.minor, 500);
    cr_assert_str_eq(r.capture_id, "2GG279541U471931P");
    free(s);
}

Test(paypal, transaction_search_results_parse_with_plus0000_dates)
{
    char *s = fixture("search.json", NULL);
    struct paypal_search_result r;
    cr_assert_eq(paypal_parse_search(s, &r), RMA_OK);
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.page, 1);
    cr_assert_eq(r.total_items, 2);
    cr_assert_eq(r.total_pages, 1);
    cr_assert_str_eq(r.last_refreshed, "2018-07-01T05:59:59+0000");
    cr_assert_eq(r.last_refreshed_at, 1530424799);
    const struct paypal_transaction *t = &r.items[0];
    cr_assert_str_eq(t->transaction_id, "5TY05013RG002845M");
    cr_assert_str_eq(t->event_code, "T0006");
    cr_assert_str_eq(t->status, "S");
    cr_assert_eq(t->amount.minor, 7800);
    cr_assert(t->has_fee);
    cr_assert_eq(t->fee.minor, -103);
    cr_assert_eq(t->initiated, 1529453838);
    cr_assert_str_eq(t->payer_email, "buyer@example.com");
    cr_assert_str_eq(t->payer_name, "Jane Buyer");
    cr_assert_str_eq(t->invoice_id, "RMA-7");
    cr_assert_str_eq(t->custom_field, "case-7");
    cr_assert_eq(r.items[1].amount.minor, -1500);
    cr_assert_str_eq(r.items[1].amount.currency, "JPY");
    cr_assert_str_eq(r.items[1].status, "V");
    cr_assert_not(r.items[1].has_fee);
    paypal_search_result_free(&r);
    free(s);
}

Test(paypal, statuses_issues_and_search_codes_read_as_enums)
{
    cr_assert_eq(paypal_status_parse("PARTIALLY_REFUNDED"),
                 PAYPAL_STATUS_PARTIALLY_REFUNDED);
    cr_assert_eq(paypal_status_parse("COMPLETED"), PAYPAL_STATUS_COMPLETED);
    cr_assert_eq(paypal_status_parse("SOMETHING_NEW"), PAYPAL_STATUS_UNKNOWN);
    cr_assert_eq(paypal_status_parse(NULL), PAYPAL_STATUS_UNKNOWN);
    cr_assert_str_eq(paypal_status_name(PAYPAL_STATUS_VOIDED), "VOIDED");

    struct paypal_result r = {0};
    snprintf(r.name, sizeof(r.name), "UNPROCESSABLE_ENTITY");
    snprintf(r.issue, sizeof(r.issue), "AUTHORIZATION_EXPIRED");
    cr_assert_eq(paypal_issue_of(&r), PAYPAL_ISSUE_AUTHORIZATION_EXPIRED);
    cr_assert(paypal_issue_is(&r, PAYPAL_ISSUE_AUTHORIZATION_EXPIRED));
    cr_assert_not(paypal_issue_is(&r, PAYPAL_ISSUE_AUTHORIZATION_VOIDED));
    /* An issue given as the error's name only. */
    snprintf(r.name, sizeof(r.name), "PREVIOUSLY_VOIDED");
    r.issue[0] = '\0';
    cr_assert_eq(paypal_issue_of(&r), PAYPAL_ISSUE_PREVIOUSLY_VOIDED);
    cr_assert(paypal_issue_is(&r, PAYPAL_ISSUE_PREVIOUSLY_VOIDED));
    snprintf(r.name, sizeof(r.name), "INTERNAL_SERVER_ERROR");
    cr_assert_eq(paypal_issue_of(&r), PAYPAL_ISSUE_OTHER);
    cr_assert_not(paypal_issue_is(&r, PAYPAL_ISSUE_OTHER));

    char *s = fixture("search.json", NULL);
    struct paypal_search_result sr;
    cr_assert_eq(paypal_parse_search(s, &sr), RMA_OK);
    cr_assert_eq(paypal_transaction_status_of(&sr.items[0]),
                 PAYPAL_TRANSACTION_SUCCESS);
    cr_assert(paypal_transaction_is_payment(&sr.items[0]), "T0006");
    cr_assert_eq(paypal_transaction_status_of(&sr.items[1]),
                 PAYPAL_TRANSACTION_REVERSED);
    struct paypal_transaction t = sr.items[0];
    snprintf(t.status, sizeof(t.status), "P");
    cr_assert_eq(paypal_transaction_status_of(&t), PAYPAL_TRANSACTION_PENDING);
    snprintf(t.status, sizeof(t.status), "D");
    cr_assert_eq(paypal_transaction_status_of(&t), PAYPAL_TRANSACTION_DENIED);
    snprintf(t.status, sizeof(t.status), "X");
    cr_assert_eq(paypal_transaction_status_of(&t), PAYPAL_TRANSACTION_UNKNOWN);
    snprintf(t.event_code, sizeof(t.event_code), "T1107");
    cr_assert_not(paypal_transaction_is_payment(&t), "a refund");
    paypal_search_result_free(&sr);
    free(s);
}

Test(paypal, malformed_responses_are_upstream_errors)
{
    struct paypal_order o;
    struct paypal_capture c;
    struct paypal_search_result r;
    cr_assert_eq(paypal_parse_order("not json", &o), RMA_EUPSTREAM);
    cr_assert_eq(paypal_parse_order("{\"status\":\"CREATED\"}", &o),
                 RMA_EUPSTREAM, "no id");
    cr_assert_eq(paypal_parse_capture("{\"id\":\"X\",\"status\":\"COMPLETED\","
                                      "\"amount\":{\"currency_code\":\"JPY\","
                                      "\"value\":\"1.5\"}}",
                                      &c),
                 RMA_EUPSTREAM, "a JPY decimal from PayPal is malformed");
    cr_assert_eq(paypal_parse_capture("{\"id\":\"X\",\"status\":7}", &c),
                 RMA_EUPSTREAM);
    cr_assert_eq(paypal_parse_search("{\"transaction_details\":[{}]}", &r),
                 RMA_EUPSTREAM);
    cr_assert_null(r.items);
    cr_assert_eq(paypal_parse_search("{\"transaction_details\":[]}", &r),
                 RMA_OK);
    cr_assert_eq(r.n, 0);
}

/* ---- webhooks ---- */

#define CERT_URL "https://api.paypal.com/v1/notifications/certs/CERT-1"
#define BODY "{\"id\":\"WH-1\",\"event_type\":\"PAYMENT.CAPTURE.COMPLETED\"}"
#define SENT "2026-11-23T10:00:00Z"
#define SENT_T 1795428000

/* base64(RSA-SHA256 over id|time|webhook_id|crc32(body)) with key_file. */
static char *
sign(const char *key_file, const char *id, const char *when,
     const char *webhook_id, const char *body)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", PAYPAL_FIXTURES, key_file);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    cr_assert_not_null(key);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s|%s|%s|%lu", id, when, webhook_id,
             (unsigned long)paypal_crc32(body, strlen(body)));
    unsigned char sig[512];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    cr_assert_eq(
        EVP_DigestSign(md, sig, &siglen, (unsigned char *)msg, strlen(msg)), 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    char *b64 = malloc(4 * ((siglen + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
    return b64;
}

static struct paypal_webhook_verifier *
verifier(void)
{
    static const char *const origins[] = {
        "https://api.paypal.com", "https://api.sandbox.paypal.com/", NULL};
    struct paypal_webhook_options o = {.webhook_id = "WH-TEST",
                                       .cert_origins = origins,
                                       .ca_file = PAYPAL_FIXTURES "/ca.pem"};
    struct paypal_webhook_verifier *v = paypal_webhook_verifier_new(&o);
    cr_assert_not_null(v);
    size_t len;
    char *pem = fixture("leaf.pem", &len);
    cr_assert_eq(paypal_webhook_add_cert(v, CERT_URL, pem, len), RMA_OK);
    free(pem);
    return v;
}

Test(paypal_webhook, crc32_is_the_ieee_checksum)
{
    cr_assert_eq(paypal_crc32("123456789", 9), 0xCBF43926u);
    cr_assert_eq(paypal_crc32("", 0), 0);
}

Test(paypal_webhook, a_correctly_signed_delivery_is_accepted)
{
    struct paypal_webhook_verifier *v = verifier();
    char *sig = sign("leaf.key", "tx-1", SENT, "WH-TEST", BODY);
    struct paypal_webhook_headers h = {"tx-1", SENT, sig, CERT_URL,
                                       "SHA256withRSA"};
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_OK);
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T + 599),
                 RMA_OK, "inside the freshness window");
    free(sig);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, a_changed_body_byte_is_rejected)
{
    struct paypal_webhook_verifier *v = verifier();
    char *sig = sign("leaf.key", "tx-1", SENT, "WH-TEST", BODY);
    struct paypal_webhook_headers h = {"tx-1", SENT, sig, CERT_URL,
                                       "SHA256withRSA"};
    char body[] = BODY;
    body[10] ^= 1;
    cr_assert_eq(paypal_webhook_verify(v, &h, body, strlen(body), SENT_T),
                 RMA_EUNAUTH);
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY) - 1, SENT_T),
                 RMA_EUNAUTH, "a truncated body");
    free(sig);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, a_changed_header_is_rejected)
{
    struct paypal_webhook_verifier *v = verifier();
    char *sig = sign("leaf.key", "tx-1", SENT, "WH-TEST", BODY);
    struct paypal_webhook_headers h = {"tx-2", SENT, sig, CERT_URL,
                                       "SHA256withRSA"};
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_EUNAUTH, "another transmission id");
    h.transmission_id = "tx-1";
    h.transmission_time = "2026-11-23T10:00:01Z";
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_EUNAUTH, "another transmission time");
    h.transmission_time = SENT;
    h.auth_algo = "SHA1withRSA";
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_EUNAUTH, "another algorithm");
    h.auth_algo = "SHA256withRSA";
    h.transmission_sig = "bm90IGEgc2lnbmF0dXJl";
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_EUNAUTH, "a garbage signature");
    h.transmission_sig = NULL;
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_EINVAL, "a missing header");
    free(sig);
    /* Signed for another webhook id. */
    sig = sign("leaf.key", "tx-1", SENT, "WH-OTHER", BODY);
    struct paypal_webhook_headers o = {"tx-1", SENT, sig, CERT_URL,
                                       "SHA256withRSA"};
    cr_assert_eq(paypal_webhook_verify(v, &o, BODY, strlen(BODY), SENT_T),
                 RMA_EUNAUTH);
    free(sig);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, a_stale_or_future_delivery_is_rejected)
{
    struct paypal_webhook_verifier *v = verifier();
    char *sig = sign("leaf.key", "tx-1", SENT, "WH-TEST", BODY);
    struct paypal_webhook_headers h = {"tx-1", SENT, sig, CERT_URL,
                                       "SHA256withRSA"};
    /* PayPal redelivers for 3 days: a transmission that old is taken
     * (replays are stopped by transmission id), a second older is not. */
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY),
                                       SENT_T + PAYPAL_WEBHOOK_MAX_AGE_S),
                 RMA_OK, "within PayPal's redelivery span");
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY),
                                       SENT_T + PAYPAL_WEBHOOK_MAX_AGE_S + 1),
                 RMA_EUNAUTH, "delivered after the window");
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T - 301),
                 RMA_EUNAUTH, "from the future");
    free(sig);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, a_cert_from_a_host_not_allowed_is_rejected)
{
    struct paypal_webhook_verifier *v = verifier();
    const char *urls[] = {
        "https://evil.example.com/v1/notifications/certs/CERT-1",
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.evil.example/certs/CERT-1",
        "https://api.paypal.com@evil.example/certs/CERT-1",
        "https://api.paypal.com:8443/certs/CERT-1",
        "https://api.paypal.com",
        "file:///etc/passwd",
    };
    size_t len;
    char *pem = fixture("leaf.pem", &len);
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        char *sig = sign("leaf.key", "tx-1", SENT, "WH-TEST", BODY);
        struct paypal_webhook_headers h = {"tx-1", SENT, sig, urls[i],
                                           "SHA256withRSA"};
        /* Not fetched: refused before any network access. */
        cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                     RMA_EUNAUTH, "%s", urls[i]);
        cr_assert_eq(paypal_webhook_add_cert(v, urls[i], pem, len), RMA_EUNAUTH,
                     "%s", urls[i]);
        free(sig);
    }
    cr_assert_eq(paypal_webhook_add_cert(
                     v,
                     "https://API.SANDBOX.PAYPAL.COM/v1/notifications/certs/C2",
                     pem, len),
                 RMA_OK, "origins compare case-insensitively");
    free(pem);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, a_cert_not_chained_to_the_ca_is_rejected)
{
    struct paypal_webhook_verifier *v = verifier();
    size_t len;
    char *pem = fixture("rogue.pem", &len);
    const char *url = "https://api.paypal.com/v1/notifications/certs/ROGUE";
    cr_assert_eq(paypal_webhook_add_cert(v, url, pem, len), RMA_EUNAUTH);
    free(pem);
    pem = fixture("wrong-cn.pem", &len);
    cr_assert_eq(paypal_webhook_add_cert(v, url, pem, len), RMA_EUNAUTH,
                 "chained, but not a PayPal subject");
    free(pem);
    cr_assert_eq(paypal_webhook_add_cert(v, url, "junk", 4), RMA_EUNAUTH);
    /* A signature by the rogue key against the good certificate fails. */
    char *sig = sign("rogue.key", "tx-1", SENT, "WH-TEST", BODY);
    struct paypal_webhook_headers h = {"tx-1", SENT, sig, CERT_URL,
                                       "SHA256withRSA"};
    cr_assert_eq(paypal_webhook_verify(v, &h, BODY, strlen(BODY), SENT_T),
                 RMA_EUNAUTH);
    free(sig);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, a_verifier_needs_its_options)
{
    static const char *const origins[] = {"https://api.paypal.com", NULL};
    struct paypal_webhook_options o = {.cert_origins = origins};
    cr_assert_null(paypal_webhook_verifier_new(&o), "no webhook id");
    o.webhook_id = "WH";
    o.ca_file = "/nonexistent/ca.pem";
    cr_assert_null(paypal_webhook_verifier_new(&o), "unreadable CA file");
}

/* ---- the certificate cache's limits ---- */

/* A certificate server on 127.0.0.1 that never has one: it counts the
 * requests and answers each 503.  Runs until the test's process ends. */
struct cert_server {
    int fd;
    int port;
    int requests; /* under lock */
    pthread_mutex_t lock;
    pthread_t thread;
};

static void *
cert_server_run(void *arg)
{
    struct cert_server *s = arg;
    static const char answer[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Content-Length: 0\r\n"
                                 "Connection: close\r\n\r\n";
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[4096];
        size_t got = 0;
        while (got < sizeof(buf) - 1) {
            ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n") != NULL)
                break;
        }
        pthread_mutex_lock(&s->lock);
        s->requests++;
        pthread_mutex_unlock(&s->lock);
        ssize_t w = write(c, answer, sizeof(answer) - 1);
        (void)w;
        close(c);
    }
}

static void
cert_server_start(struct cert_server *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(s->fd, 16), 0);
    socklen_t len = sizeof(a);
    cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    cr_assert_eq(pthread_create(&s->thread, NULL, cert_server_run, s), 0);
}

static int
cert_server_requests(struct cert_server *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* A verifier that fetches its certificates from s. */
static struct paypal_webhook_verifier *
fetching_verifier(const struct cert_server *s)
{
    char origin[64];
    snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", s->port);
    const char *const origins[] = {origin, NULL};
    struct paypal_webhook_options o = {.webhook_id = "WH-TEST",
                                       .cert_origins = origins,
                                       .ca_file = PAYPAL_FIXTURES "/ca.pem"};
    struct paypal_webhook_verifier *v = paypal_webhook_verifier_new(&o);
    cr_assert_not_null(v);
    return v;
}

/* A delivery naming certificate n of s, verified at now. */
static enum rma_err
deliver(struct paypal_webhook_verifier *v, const struct cert_server *s, int n,
        time_t now)
{
    char url[128];
    snprintf(url, sizeof(url),
             "http://127.0.0.1:%d/v1/notifications/certs/CERT-%d", s->port, n);
    struct paypal_webhook_headers h = {"tx-1", SENT, "AAAA", url,
                                       "SHA256withRSA"};
    return paypal_webhook_verify(v, &h, BODY, strlen(BODY), now);
}

Test(paypal_webhook, a_failed_certificate_fetch_is_not_retried_for_60_s)
{
    struct cert_server s;
    cert_server_start(&s);
    struct paypal_webhook_verifier *v = fetching_verifier(&s);
    cr_assert_eq(deliver(v, &s, 1, SENT_T), RMA_EUPSTREAM);
    cr_assert_eq(cert_server_requests(&s), 1);
    cr_assert_eq(deliver(v, &s, 1, SENT_T + 1), RMA_EUPSTREAM);
    cr_assert_eq(deliver(v, &s, 1, SENT_T + 59), RMA_EUPSTREAM);
    cr_assert_eq(cert_server_requests(&s), 1,
                 "a failed URL was fetched again within 60 s");
    /* Another URL is its own question. */
    cr_assert_eq(deliver(v, &s, 2, SENT_T + 59), RMA_EUPSTREAM);
    cr_assert_eq(cert_server_requests(&s), 2);
    /* 60 s on, the failed URL is asked again. */
    cr_assert_eq(deliver(v, &s, 1, SENT_T + 60), RMA_EUPSTREAM);
    cr_assert_eq(cert_server_requests(&s), 3);
    paypal_webhook_verifier_free(v);
}

Test(paypal_webhook, certificate_fetches_are_capped_at_10_a_minute)
{
    struct cert_server s;
    cert_server_start(&s);
    struct paypal_webhook_verifier *v = fetching_verifier(&s);
    /* Deliveries naming 15 certificate URLs within one minute. */
    for (int i = 0; i < 15; i++)
        cr_assert_eq(deliver(v, &s, i, SENT_T + i), RMA_EUPSTREAM, "%d", i);
    cr_assert_eq(cert_server_requests(&s), 10,
                 "the deliveries made the verifier fetch at will");
    /* The next minute: fetches again, up to the cap. */
    cr_assert_eq(deliver(v, &s, 100, SENT_T + 61), RMA_EUPSTREAM);
    cr_assert_eq(cert_server_requests(&s), 11);
    paypal_webhook_verifier_free(v);
}
