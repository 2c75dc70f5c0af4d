/* test_http.c - through nginx to rma-fcgi: health, metrics, the error
 * envelope, request ids, methods and bodies, staff authentication. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

static void
assert_envelope(const struct http_result *r, long status, const char *code)
{
    cr_assert_eq(r->status, status, "status %ld: %s", r->status, r->body);
    cr_assert_not_null(r->json, "not JSON: %s", r->body);
    const char *c = harness_error_code(r);
    cr_assert_not_null(c, "no error envelope: %s", r->body);
    cr_assert_str_eq(c, code);
    json_t *msg = json_object_get(json_object_get(r->json, "error"), "message");
    cr_assert(json_is_string(msg) && json_string_length(msg) > 0);
}

Test(health, answers_200_with_the_database_up)
{
    struct http_result r = harness_http("GET", "/healthz", NULL, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "database")),
                     "ok");
    char ct[128];
    cr_assert_not_null(harness_header(&r, "Content-Type", ct, sizeof(ct)));
    cr_assert_str_eq(ct, "application/json");
    harness_http_free(&r);
}

Test(http, every_response_carries_nginx_request_id)
{
    struct http_result r = harness_http("GET", "/healthz", NULL, NULL, 0);
    char id[128];
    cr_assert_not_null(harness_header(&r, "X-Request-Id", id, sizeof(id)));
    cr_assert_eq(strlen(id), 32, "nginx $request_id is 32 hex digits: %s", id);
    harness_http_free(&r);
    r = harness_http("GET", "/api/v1/nope", NULL, NULL, 0);
    cr_assert_not_null(harness_header(&r, "X-Request-Id", id, sizeof(id)));
    harness_http_free(&r);
}

Test(http, unknown_path_is_a_404_envelope)
{
    struct http_result r =
        harness_http("GET", "/api/v1/no/such/thing", NULL, NULL, 0);
    assert_envelope(&r, 404, "not_found");
    harness_http_free(&r);
}

Test(http, wrong_method_is_a_405_with_allow)
{
    struct http_result r =
        harness_http("DELETE", "/api/v1/staff/whoami", NULL, NULL, 0);
    assert_envelope(&r, 405, "method_not_allowed");
    char allow[64];
    cr_assert_not_null(harness_header(&r, "Allow", allow, sizeof(allow)));
    cr_assert_str_eq(allow, "GET, HEAD");
    harness_http_free(&r);
}

Test(http, a_body_where_none_is_taken_is_refused)
{
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_result r = harness_http("GET", "/healthz", h, "{}", 2);
    assert_envelope(&r, 400, "unexpected_body");
    harness_http_free(&r);
}

Test(http, an_unknown_method_is_a_405_naming_the_paths_methods)
{
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"OPTIONS", "/api/v1/rmas", "GET, HEAD"},
        {"BREW", "/healthz", "GET, HEAD"},
        {"PUT", "/metrics", "GET, HEAD"},
        {"PATCH", "/api/v1/auth/session", "POST, DELETE"},
        {"OPTIONS", "/api/v1/staff/rmas/RMA-2099-000001", "GET, HEAD, PATCH"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_result r =
            harness_http(cases[i].method, cases[i].path, NULL, NULL, 0);
        assert_envelope(&r, 405, "method_not_allowed");
        char allow[64];
        cr_assert_not_null(harness_header(&r, "Allow", allow, sizeof(allow)),
                           "%s %s: no Allow", cases[i].method, cases[i].path);
        cr_assert_str_eq(allow, cases[i].allow, "%s %s", cases[i].method,
                         cases[i].path);
        harness_http_free(&r);
    }
    /* A path that does not exist stays a 404 whatever the method. */
    struct http_result r =
        harness_http("OPTIONS", "/api/v1/no/such/thing", NULL, NULL, 0);
    assert_envelope(&r, 404, "not_found");
    harness_http_free(&r);
}

static struct http_result
as_staff(const char *token, const char *method, const char *path,
         const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

/* Actions without input (submit, approve, agree, ...) take no body or the
 * empty object, which many clients send with every POST; any other body
 * is still a 400, and an Idempotency-Key sees {} and no body as one
 * request. */
Test(http, a_bodyless_action_takes_no_body_or_an_empty_object)
{
    char *agent = harness_staff_token("agent", "bodyless-agent");
    char *email = harness_unique_email("bodyless");
    char *number = harness_create_case(agent, email, "replacement", false);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
    static const char *const refused[] = {"{\"x\":1}", "[]", "null",
                                          "{}{}",      "{",  "x"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct http_result r = as_staff(agent, "POST", path, refused[i]);
        assert_envelope(&r, 400, "unexpected_body");
        harness_http_free(&r);
    }
    struct http_result r = as_staff(agent, "POST", path, " {\r\n } ");
    cr_assert_eq(r.status, 200, "submit with {}: %s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "pending_confirm");
    harness_http_free(&r);

    char *cookie = harness_login(email);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    r = harness_http("POST", path,
                     harness_portal_headers(cookie, "Idempotency-Key: k-1"),
                     "{}", 2);
    cr_assert_eq(r.status, 200, "agree with {}: %s", r.body);
    char *first = strdup(r.body);
    harness_http_free(&r);
    r = harness_http("POST", path,
                     harness_portal_headers(cookie, "Idempotency-Key: k-1"),
                     NULL, 0);
    cr_assert_eq(r.status, 200, "the same request without a body: %s", r.body);
    cr_assert_str_eq(r.body, first, "replayed");
    harness_http_free(&r);
    free(first);
    free(cookie);
    free(number);
    free(email);
    free(agent);
}

Test(metrics, counts_requests_by_route_and_status)
{
    struct http_result r = harness_http("GET", "/healthz", NULL, NULL, 0);
    harness_http_free(&r);
    r = harness_http("GET", "/metrics", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_not_null(strstr(r.body, "rma_http_requests_total{method=\"GET\","
                                      "route=\"/healthz\",status=\"200\"}"),
                       "%s", r.body);
    cr_assert_not_null(strstr(
        r.body, "rma_http_request_duration_seconds_bucket{method="
                "\"GET\",route=\"/healthz\",status=\"200\",le=\"+Inf\"}"));
    cr_assert_not_null(strstr(r.body, "rma_db_errors_total"));
    harness_http_free(&r);
}

/* The value of the series key ("name{labels}" as written) in a /metrics
 * body; the test fails when it is not there. */
static double
sample(const char *body, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = body; line != NULL && *line;) {
        if (strncmp(line, key, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    cr_assert_fail("no sample %s in /metrics", key);
    return 0;
}

static char *
scrape(void)
{
    struct http_result r = harness_http("GET", "/metrics", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    char *body = strdup(r.body);
    harness_http_free(&r);
    return body;
}

static void
psql(const char *sql)
{
    free(harness_runf(false, "%s '%s' -XAtq -c \"%s\"",
                      harness_env("RMA_TEST_PSQL"),
                      harness_env("RMA_TEST_ADMIN_URL"), sql));
}

/* What contrib/prometheus/rma-alerts.yml watches (tests/e2e/alert_rules.sh
 * checks the names; here, that the values move with what they count). */
Test(metrics, export_what_the_alert_rules_watch)
{
    char *before = scrape();
    cr_assert_eq(sample(before, "rma_metrics_database_up"), 1);
    double rejected = sample(before, "rma_webhook_verification_failures_total");
    double client_errors =
        sample(before, "rma_http_responses_total{class=\"4xx\"}");
    sample(before, "rma_mail_outbox_pending");
    sample(before, "rma_paypal_capture_failures_total");
    free(before);

    /* A webhook whose signature cannot be verified. */
    const char *h[] = {"Content-Type: application/json",
                       "PAYPAL-TRANSMISSION-ID: forged-1",
                       "PAYPAL-TRANSMISSION-TIME: 2026-12-01T10:00:00Z",
                       "PAYPAL-TRANSMISSION-SIG: AAAA",
                       "PAYPAL-CERT-URL: https://api.paypal.com/cert.pem",
                       "PAYPAL-AUTH-ALGO: SHA256withRSA",
                       NULL};
    const char *event = "{\"id\":\"WH-FORGED\",\"event_type\":"
                        "\"PAYMENT.CAPTURE.COMPLETED\",\"resource\":{}}";
    struct http_result r = harness_http("POST", "/api/v1/paypal/webhooks", h,
                                        event, strlen(event));
    cr_assert_eq(r.status, 401, "%s", r.body);
    harness_http_free(&r);

    /* A pass of the job, and an exception open for two days. */
    time_t t0 = time(NULL);
    free(harness_runf(true, "rmactl run-jobs 2>&1"));
    char key[64], sql[512];
    snprintf(key, sizeof(key), "metrics-test-%d", (int)getpid());
    snprintf(sql, sizeof(sql),
             "INSERT INTO finance_exception (kind, detail, dedupe_key, "
             "created_at) VALUES ('ledger_verify', 'metrics test', '%s', "
             "now() - interval '2 days')",
             key);
    psql(sql);

    char *after = scrape();
    snprintf(sql, sizeof(sql),
             "DELETE FROM finance_exception WHERE dedupe_key = '%s'", key);
    psql(sql);
    cr_assert_eq(sample(after, "rma_webhook_verification_failures_total"),
                 rejected + 1);
    cr_assert_geq(sample(after, "rma_http_responses_total{class=\"4xx\"}"),
                  client_errors + 1);
    double last = sample(after, "rma_job_last_run_timestamp_seconds");
    cr_assert(last >= (double)t0 - 5 && last <= (double)time(NULL) + 5,
              "the job's last pass at %f, started at %lld", last,
              (long long)t0);
    cr_assert_geq(sample(after, "rma_job_runs_total{outcome=\"ok\"}") +
                      sample(after, "rma_job_runs_total{outcome=\"failed\"}"),
                  1);
    cr_assert_geq(sample(after, "rma_exceptions_open_past_day"), 1);
    cr_assert_geq(sample(after, "rma_exceptions_open{kind=\"ledger_verify\"}"),
                  1);
    free(after);
}

Test(staff_auth, missing_token_is_401)
{
    struct http_result r =
        harness_http("GET", "/api/v1/staff/whoami", NULL, NULL, 0);
    assert_envelope(&r, 401, "unauthenticated");
    char www[128];
    cr_assert_not_null(
        harness_header(&r, "WWW-Authenticate", www, sizeof(www)));
    harness_http_free(&r);
}

Test(staff_auth, unknown_token_is_401)
{
    const char *h[] = {"Authorization: Bearer rma_st_notarealtoken", NULL};
    struct http_result r =
        harness_http("GET", "/api/v1/staff/whoami", h, NULL, 0);
    assert_envelope(&r, 401, "invalid_token");
    harness_http_free(&r);
}

/* RFC 7235 §2.1: the scheme's name is case-insensitive. */
Test(staff_auth, the_bearer_scheme_is_matched_case_insensitively)
{
    char *token = harness_staff_token("agent", "bearer-case");
    static const char *const accepted[] = {"Bearer", "bearer", "BEARER",
                                           "bEaReR"};
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        char auth[256];
        snprintf(auth, sizeof(auth), "Authorization: %s  %s", accepted[i],
                 token);
        const char *h[] = {auth, NULL};
        struct http_result r =
            harness_http("GET", "/api/v1/staff/whoami", h, NULL, 0);
        cr_assert_eq(r.status, 200, "%s: %s", accepted[i], r.body);
        harness_http_free(&r);
    }
    char joined[256], basic[256];
    snprintf(joined, sizeof(joined), "Authorization: Bearer%s", token);
    snprintf(basic, sizeof(basic), "Authorization: Basic %s", token);
    const char *const refused[] = {joined, basic, "Authorization: Bearer    "};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *h[] = {refused[i], NULL};
        struct http_result r =
            harness_http("GET", "/api/v1/staff/whoami", h, NULL, 0);
        assert_envelope(&r, 401, "unauthenticated");
        harness_http_free(&r);
    }
    free(token);
}

Test(staff_auth, valid_token_says_who_and_revoked_is_401)
{
    char *token = harness_staff_token("supervisor", "e2e-sup");
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, NULL};
    struct http_result r =
        harness_http("GET", "/api/v1/staff/whoami", h, NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "name")),
                     "e2e-sup");
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "role")),
                     "supervisor");
    harness_http_free(&r);
    cr_assert_eq(
        harness_run("rmactl token revoke --name e2e-sup 2>/dev/null", NULL), 0);
    r = harness_http("GET", "/api/v1/staff/whoami", h, NULL, 0);
    assert_envelope(&r, 401, "invalid_token");
    harness_http_free(&r);
    free(token);
}

/* POST /api/v1/auth/code with a body of exactly n bytes: a valid request
 * padded with spaces. */
static struct http_result
code_request_of_size(size_t n)
{
    const char *json = "{\"email\":\"limit@example.com\"}";
    char *body = malloc(n + 1);
    memset(body, ' ', n);
    memcpy(body, json, strlen(json));
    body[n] = '\0';
    const char *h[] = {"Content-Type: application/json",
                       "X-Requested-With: rma-portal", NULL};
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code", h, body, n);
    free(body);
    return r;
}

Test(http, body_at_the_limit_passes_and_one_byte_over_is_413)
{
    struct http_result r = code_request_of_size(65536);
    cr_assert_eq(r.status, 202, "exactly max_body_bytes: %s", r.body);
    harness_http_free(&r);
    r = code_request_of_size(65537);
    assert_envelope(&r, 413, "too_large");
    harness_http_free(&r);
}

Test(http, malformed_json_is_400_and_unknown_fields_are_named)
{
    const char *h[] = {"Content-Type: application/json",
                       "X-Requested-With: rma-portal", NULL};
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code", h, "{\"email\":", 9);
    assert_envelope(&r, 400, "malformed_json");
    harness_http_free(&r);
    const char *body = "{\"email\":\"a@example.com\",\"admin\":true}";
    r = harness_http("POST", "/api/v1/auth/code", h, body, strlen(body));
    assert_envelope(&r, 400, "unknown_field");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "field")),
                     "admin");
    harness_http_free(&r);
}

Test(http, a_json_endpoint_refuses_other_media_types)
{
    const char *h[] = {"Content-Type: text/plain",
                       "X-Requested-With: rma-portal", NULL};
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code", h, "email=a@example.com", 19);
    assert_envelope(&r, 415, "unsupported_media_type");
    harness_http_free(&r);
}

/* Every staff endpoint against every role: the route table's grants, seen
 * from outside.  Allowed calls may still fail for other reasons (404 for an
 * unknown case, 422 for an empty body) but never with 401 or 403. */
Test(staff_auth, roles_are_enforced_endpoint_by_endpoint)
{
    static const struct {
        const char *method, *path, *roles;
    } matrix[] = {
        {"GET", "/api/v1/staff/whoami",
         "agent supervisor warehouse finance admin"},
        {"POST", "/api/v1/staff/rmas", "agent supervisor"},
        {"GET", "/api/v1/staff/rmas",
         "agent supervisor warehouse finance admin"},
        {"GET", "/api/v1/staff/rmas/RMA-2099-999999",
         "agent supervisor warehouse finance admin"},
        {"PATCH", "/api/v1/staff/rmas/RMA-2099-999999", "agent supervisor"},
        {"POST", "/api/v1/staff/rmas/RMA-2099-999999/submit",
         "agent supervisor"},
        {"POST", "/api/v1/staff/rmas/RMA-2099-999999/approve", "supervisor"},
        {"POST", "/api/v1/staff/rmas/RMA-2099-999999/send-back", "supervisor"},
        {"POST", "/api/v1/staff/rmas/RMA-2099-999999/confirm-on-behalf",
         "agent supervisor"},
        {"POST", "/api/v1/staff/rmas/RMA-2099-999999/cancel",
         "agent supervisor"},
    };
    const char *roles[] = {"agent", "supervisor", "warehouse", "finance",
                           "admin"};
    char *tokens[5];
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof(name), "matrix-%s-%d", roles[i], (int)getpid());
        tokens[i] = harness_staff_token(roles[i], name);
    }
    for (size_t m = 0; m < sizeof(matrix) / sizeof(matrix[0]); m++) {
        for (int i = 0; i < 5; i++) {
            char auth[256];
            snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tokens[i]);
            const char *h[] = {auth, "Content-Type: application/json", NULL};
            bool body = strcmp(matrix[m].method, "GET") != 0;
            struct http_result r =
                harness_http(matrix[m].method, matrix[m].path, h,
                             body ? "{}" : NULL, body ? 2 : 0);
            char pattern[32];
            snprintf(pattern, sizeof(pattern), "%s", roles[i]);
            bool allowed = strstr(matrix[m].roles, pattern) != NULL;
            if (allowed)
                cr_assert(r.status != 401 && r.status != 403,
                          "%s %s as %s: %ld", matrix[m].method, matrix[m].path,
                          roles[i], r.status);
            else
                cr_assert_eq(r.status, 403, "%s %s as %s: %ld %s",
                             matrix[m].method, matrix[m].path, roles[i],
                             r.status, r.body);
            harness_http_free(&r);
        }
    }
    for (int i = 0; i < 5; i++)
        free(tokens[i]);
}
