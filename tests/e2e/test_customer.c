/* test_customer.c - through nginx: customers sign in with a mailed code and
 * work through their RMA solutions; staff create, submit and confirm them.
 * SPEC §4.1, §7, §12. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

/* A staff token with a name of its own. */
static char *
token_for(const char *role)
{
    char *name = harness_unique_email(role);
    char *token = harness_staff_token(role, name);
    free(name);
    return token;
}

static char *
agent_token(void)
{
    return token_for("agent");
}

/* A staff request with a JSON body (or none). */
static struct http_result
staff(const char *method, const char *path, const char *token, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

static struct http_result
customer(const char *method, const char *path, const char *cookie,
         const char *body)
{
    return harness_http(method, path, harness_portal_headers(cookie, NULL),
                        body, body ? strlen(body) : 0);
}

static const char *
status_of(const struct http_result *r)
{
    return json_string_value(json_object_get(r->json, "status"));
}

Test(login, code_request_is_identical_for_known_and_unknown_emails)
{
    char *agent = agent_token();
    char *known = harness_unique_email("known");
    char *unknown = harness_unique_email("unknown");
    free(harness_create_case(agent, known, "refund", true));
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", known);
    struct http_result a = customer("POST", "/api/v1/auth/code", NULL, body);
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", unknown);
    struct http_result b = customer("POST", "/api/v1/auth/code", NULL, body);
    cr_assert_eq(a.status, 202);
    cr_assert_eq(b.status, 202);
    cr_assert_eq(a.body_len, b.body_len);
    cr_assert_eq(memcmp(a.body, b.body, a.body_len), 0,
                 "byte-identical answers");
    harness_http_free(&a);
    harness_http_free(&b);
    free(harness_mailed_code(known));
    free(known);
    free(unknown);
    free(agent);
}

static long
try_code(const char *email, const char *code, const char *now)
{
    char body[256], hdr[64];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"%s\"}", email,
             code);
    snprintf(hdr, sizeof(hdr), "X-Rma-Test-Now: %s", now ? now : "");
    struct http_result r = harness_http(
        "POST", "/api/v1/auth/session",
        harness_portal_headers(NULL, now ? hdr : NULL), body, strlen(body));
    long status = r.status;
    if (status != 200)
        cr_assert_str_eq(harness_error_code(&r), "invalid_code", "%s", r.body);
    harness_http_free(&r);
    return status;
}

static char *
request_code(const char *email)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    struct http_result r = customer("POST", "/api/v1/auth/code", NULL, body);
    cr_assert_eq(r.status, 202);
    harness_http_free(&r);
    return harness_mailed_code(email);
}

/* The code with its last digit changed. */
static void
wrong_code(const char *code, char out[7])
{
    memcpy(out, code, 6);
    out[5] = (char)('0' + (code[5] - '0' + 1) % 10);
    out[6] = '\0';
}

Test(login, the_sixth_try_fails_even_with_the_right_code)
{
    char *agent = agent_token();
    char *email = harness_unique_email("tries");
    free(harness_create_case(agent, email, "refund", true));
    char *code = request_code(email);
    char bad[7];
    wrong_code(code, bad);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(try_code(email, bad, NULL), 401);
    cr_assert_eq(try_code(email, code, NULL), 401, "sixth try, right code");
    free(code);
    /* A new code replaces the old one and resets the count. */
    code = request_code(email);
    wrong_code(code, bad);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(try_code(email, bad, NULL), 401);
    cr_assert_eq(try_code(email, code, NULL), 200, "fifth try, right code");
    cr_assert_eq(try_code(email, code, NULL), 401, "a used code fails");
    free(code);
    free(email);
    free(agent);
}

Test(login, an_expired_code_fails)
{
    char *agent = agent_token();
    char *email = harness_unique_email("expired");
    free(harness_create_case(agent, email, "refund", true));
    char *code = request_code(email);
    time_t later = time(NULL) + 16 * 60;
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&later));
    cr_assert_eq(try_code(email, code, when), 401, "16 minutes later");
    later = time(NULL) + 14 * 60;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&later));
    cr_assert_eq(try_code(email, code, when), 200, "14 minutes later");
    free(code);
    free(email);
    free(agent);
}

Test(login, rate_limits_answer_429_with_retry_after)
{
    /* A window of its own, far from the other tests' (test mode clock). */
    char when[64];
    snprintf(when, sizeof(when), "X-Rma-Test-Now: 2091-%02d-%02dT10:00:00Z",
             1 + getpid() % 12, 1 + getpid() % 28);
    char *email = harness_unique_email("rate");
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    for (int i = 0; i < 5; i++) {
        struct http_result r = harness_http("POST", "/api/v1/auth/code",
                                            harness_portal_headers(NULL, when),
                                            body, strlen(body));
        cr_assert_eq(r.status, 202, "request %d: %s", i + 1, r.body);
        harness_http_free(&r);
    }
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code",
                     harness_portal_headers(NULL, when), body, strlen(body));
    cr_assert_eq(r.status, 429, "the sixth code for one email");
    char retry[32];
    cr_assert_not_null(harness_header(&r, "Retry-After", retry, sizeof(retry)));
    cr_assert_gt(strtol(retry, NULL, 10), 0);
    cr_assert_str_eq(harness_error_code(&r), "rate_limited");
    harness_http_free(&r);

    /* Per client address: the suite allows 200 per window. */
    int limited = 0;
    for (int i = 0; i < 200 && !limited; i++) {
        char *other = harness_unique_email("addr");
        snprintf(body, sizeof(body), "{\"email\":\"%s\"}", other);
        free(other);
        r = harness_http("POST", "/api/v1/auth/code",
                         harness_portal_headers(NULL, when), body,
                         strlen(body));
        limited = r.status == 429;
        harness_http_free(&r);
    }
    cr_assert(limited, "the address limit was reached");
    free(email);
}

Test(csrf, mutating_requests_need_the_portal_header_or_origin)
{
    const char *body = "{\"email\":\"nobody@example.com\"}";
    const char *json[] = {"Content-Type: application/json", NULL};
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code", json, body, strlen(body));
    cr_assert_eq(r.status, 403);
    cr_assert_str_eq(harness_error_code(&r), "csrf");
    harness_http_free(&r);
    const char *wrong_origin[] = {"Content-Type: application/json",
                                  "Origin: https://evil.example", NULL};
    r = harness_http("POST", "/api/v1/auth/code", wrong_origin, body,
                     strlen(body));
    cr_assert_eq(r.status, 403);
    harness_http_free(&r);
    char origin[256];
    snprintf(origin, sizeof(origin), "Origin: %s",
             harness_env("RMA_TEST_BASE_URL"));
    const char *good_origin[] = {"Content-Type: application/json", origin,
                                 NULL};
    r = harness_http("POST", "/api/v1/auth/code", good_origin, body,
                     strlen(body));
    cr_assert_eq(r.status, 202, "%s", r.body);
    harness_http_free(&r);
}

Test(customer, sees_only_their_own_cases_and_others_are_404)
{
    char *agent = agent_token();
    char *alice = harness_unique_email("alice");
    char *bob = harness_unique_email("bob");
    char *mine = harness_create_case(agent, alice, "replacement", true);
    char *theirs = harness_create_case(agent, bob, "replacement", true);
    char *cookie = harness_login(alice);

    struct http_result list = customer("GET", "/api/v1/rmas", cookie, NULL);
    cr_assert_eq(list.status, 200);
    json_t *rmas = json_object_get(list.json, "rmas");
    cr_assert_eq(json_array_size(rmas), 1);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(rmas, 0), "number")),
        mine);
    harness_http_free(&list);

    static const struct {
        const char *method, *suffix, *body;
    } calls[] = {
        {"GET", "", NULL},
        {"GET", "/events", NULL},
        {"POST", "/agree", NULL},
        {"POST", "/disagree", "{\"comment\":\"no\"}"},
        {"POST", "/replacement-method", "{\"method\":\"advanced\"}"},
        {"PUT", "/shipping-address",
         "{\"name\":\"A\",\"line1\":\"1 St\",\"city\":\"X\",\"country\":"
         "\"US\",\"phone\":\"+1 555 0100 22\"}"},
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        char other[128], unknown[128];
        snprintf(other, sizeof(other), "/api/v1/rmas/%s%s", theirs,
                 calls[i].suffix);
        snprintf(unknown, sizeof(unknown), "/api/v1/rmas/RMA-2099-999999%s",
                 calls[i].suffix);
        struct http_result a =
            customer(calls[i].method, other, cookie, calls[i].body);
        struct http_result b =
            customer(calls[i].method, unknown, cookie, calls[i].body);
        cr_assert_eq(a.status, 404, "%s %s: %s", calls[i].method, other,
                     a.body);
        cr_assert_eq(b.status, 404);
        cr_assert_str_eq(a.body, b.body, "identical to an unknown number");
        harness_http_free(&a);
        harness_http_free(&b);
    }
    /* Bob's case is untouched. */
    char *bob_cookie = harness_login(bob);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", theirs);
    struct http_result r = customer("GET", path, bob_cookie, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(status_of(&r), "pending_confirm");
    harness_http_free(&r);
    free(bob_cookie);
    free(cookie);
    free(mine);
    free(theirs);
    free(alice);
    free(bob);
    free(agent);
}

Test(customer, without_a_session_is_401)
{
    struct http_result r = customer("GET", "/api/v1/rmas", NULL, NULL);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
    r = customer("GET", "/api/v1/rmas", "rma_session=forged", NULL);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
}

Test(customer, logout_revokes_the_session)
{
    char *agent = agent_token();
    char *email = harness_unique_email("logout");
    free(harness_create_case(agent, email, "refund", true));
    char *cookie = harness_login(email);
    struct http_result r = customer("GET", "/api/v1/rmas", cookie, NULL);
    cr_assert_eq(r.status, 200);
    harness_http_free(&r);
    r = customer("DELETE", "/api/v1/auth/session", cookie, NULL);
    cr_assert_eq(r.status, 204);
    char set[256];
    cr_assert_not_null(harness_header(&r, "Set-Cookie", set, sizeof(set)));
    cr_assert_not_null(strstr(set, "Max-Age=0"));
    harness_http_free(&r);
    r = customer("GET", "/api/v1/rmas", cookie, NULL);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
    free(cookie);
    free(email);
    free(agent);
}

Test(customer, session_cookie_is_httponly_secure_samesite)
{
    char *agent = agent_token();
    char *email = harness_unique_email("cookie");
    free(harness_create_case(agent, email, "refund", true));
    char *code = request_code(email);
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"%s\"}", email,
             code);
    struct http_result r = customer("POST", "/api/v1/auth/session", NULL, body);
    cr_assert_eq(r.status, 200);
    char set[256];
    cr_assert_not_null(harness_header(&r, "Set-Cookie", set, sizeof(set)));
    cr_assert_not_null(strstr(set, "HttpOnly"));
    cr_assert_not_null(strstr(set, "Secure"));
    cr_assert_not_null(strstr(set, "SameSite=Lax"));
    /* 256-bit token: 43 characters of base64url. */
    cr_assert_eq(strcspn(set + strlen("rma_session="), ";"), 43);
    harness_http_free(&r);
    free(code);
    free(email);
    free(agent);
}

Test(customer, disagree_needs_a_comment_and_agree_only_when_pending)
{
    char *agent = agent_token();
    char *email = harness_unique_email("disagree");
    char *number = harness_create_case(agent, email, "refund", true);
    char *cookie = harness_login(email);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/disagree", number);
    struct http_result r = customer("POST", path, cookie, "{}");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(harness_error_code(&r), "required");
    harness_http_free(&r);
    r = customer("POST", path, cookie, "{\"comment\":\"\"}");
    cr_assert_eq(r.status, 422);
    harness_http_free(&r);
    char *long_comment = malloc(2100);
    memset(long_comment, 'x', 2001);
    long_comment[2001] = '\0';
    char *body = malloc(2200);
    snprintf(body, 2200, "{\"comment\":\"%s\"}", long_comment);
    r = customer("POST", path, cookie, body);
    cr_assert_eq(r.status, 422, "2001 characters");
    harness_http_free(&r);
    long_comment[2000] = '\0';
    snprintf(body, 2200, "{\"comment\":\"%s\"}", long_comment);
    r = customer("POST", path, cookie, body);
    cr_assert_eq(r.status, 200, "2000 characters: %s", r.body);
    cr_assert_str_eq(status_of(&r), "rejected");
    harness_http_free(&r);
    free(body);
    free(long_comment);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    r = customer("POST", path, cookie, NULL);
    cr_assert_eq(r.status, 409, "agree outside pending_confirm");
    harness_http_free(&r);
    free(cookie);
    free(number);
    free(email);
    free(agent);
}

Test(customer, concurrent_agree_and_disagree_one_wins)
{
    char *agent = agent_token();
    for (int round = 0; round < 3; round++) {
        char *email = harness_unique_email("race");
        char *number = harness_create_case(agent, email, "replacement", true);
        char *cookie = harness_login(email);
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        for (int child = 0; child < 2; child++) {
            pid_t pid = fork();
            cr_assert_geq(pid, 0);
            if (pid == 0) {
                char path[128];
                snprintf(path, sizeof(path), "/api/v1/rmas/%s/%s", number,
                         child == 0 ? "agree" : "disagree");
                struct http_result r =
                    customer("POST", path, cookie,
                             child == 0 ? NULL : "{\"comment\":\"no thanks\"}");
                long status = r.status;
                if (write(fds[1], &status, sizeof(status)) < 0)
                    _exit(2);
                _exit(0);
            }
        }
        long statuses[2];
        for (int i = 0; i < 2; i++)
            cr_assert_eq(read(fds[0], &statuses[i], sizeof(long)),
                         (ssize_t)sizeof(long));
        while (wait(NULL) > 0)
            ;
        close(fds[0]);
        close(fds[1]);
        cr_assert((statuses[0] == 200 && statuses[1] == 409) ||
                      (statuses[0] == 409 && statuses[1] == 200),
                  "got %ld and %ld", statuses[0], statuses[1]);
        free(cookie);
        free(number);
        free(email);
    }
    free(agent);
}

Test(customer, replacement_flow_with_the_country_locked)
{
    char *agent = agent_token();
    char *email = harness_unique_email("flow");
    char *number =
        harness_create_case_no_address(agent, email, "replacement", true);
    char *cookie = harness_login(email);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    struct http_result r = customer("GET", path, cookie, NULL);
    cr_assert_eq(r.status, 200);
    json_t *actions = json_object_get(r.json, "actions");
    cr_assert_str_eq(json_string_value(json_array_get(actions, 0)), "agree");
    cr_assert_str_eq(json_string_value(json_array_get(actions, 1)), "disagree");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(r.json, "amounts"),
                                         "replacement_value"),
                         "value")),
                     "129.99");
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    r = harness_http("POST", path,
                     harness_portal_headers(cookie, "Idempotency-Key: k-1"),
                     NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "confirmed");
    char *first = strdup(r.body);
    harness_http_free(&r);
    r = harness_http("POST", path,
                     harness_portal_headers(cookie, "Idempotency-Key: k-1"),
                     NULL, 0);
    cr_assert_eq(r.status, 200, "a repeated key returns the first answer");
    cr_assert_str_eq(r.body, first);
    harness_http_free(&r);
    free(first);

    const char *good = "{\"name\":\"Pat Doe\",\"line1\":\"1 Main St\","
                       "\"city\":\"Springfield\",\"region\":\"IL\","
                       "\"postal_code\":\"62701\",\"country\":\"US\","
                       "\"phone\":\"+1 217 555 0100\"}";
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/shipping-address", number);
    r = customer("PUT", path, cookie, good);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    const char *moved = "{\"name\":\"Pat Doe\",\"line1\":\"1 Rue\","
                        "\"city\":\"Paris\",\"postal_code\":\"75001\","
                        "\"country\":\"FR\",\"phone\":\"+33 1 55 55 01 00\"}";
    r = customer("PUT", path, cookie, moved);
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(harness_error_code(&r), "country_locked");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "field")),
                     "country");
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", number);
    r = customer("GET", path, cookie, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "shipping_address"), "city")),
                     "Springfield", "nothing changed");
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/rmas/%s/replacement-method", number);
    r = customer("POST", path, cookie, "{\"method\":\"express\"}");
    cr_assert_eq(r.status, 422);
    harness_http_free(&r);
    r = customer("POST", path, cookie, "{\"method\":\"advanced\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "awaiting_preauth");
    harness_http_free(&r);

    /* The timeline shows each step with its actor. */
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/events", number);
    r = customer("GET", path, cookie, NULL);
    cr_assert_eq(r.status, 200);
    json_t *events = json_object_get(r.json, "events");
    const char *want[] = {"submit", "agree", "shipping_address",
                          "choose_advanced"};
    cr_assert_eq(json_array_size(events), 4, "%s", r.body);
    for (size_t i = 0; i < 4; i++)
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(events, i), "action")),
                         want[i]);
    harness_http_free(&r);
    free(cookie);
    free(number);
    free(email);
    free(agent);
}

Test(staff, every_transition_leaves_an_audit_event_with_its_actor)
{
    char *agent = agent_token();
    char *email = harness_unique_email("audit");
    char *number = harness_create_case(agent, email, "refund", false);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    struct http_result r =
        staff("PATCH", path, agent, "{\"problem\":\"No power at all.\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "revision")), 2);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
    r = staff("POST", path, agent, NULL);
    cr_assert_eq(r.status, 200);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    r = staff("PATCH", path, agent, "{\"problem\":\"x\"}");
    cr_assert_eq(r.status, 409, "no edits once the customer sees it");
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/confirm-on-behalf",
             number);
    r = staff("POST", path, agent, "{\"reason\":\"agreed by phone\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "awaiting_return",
                     "a refund starts fulfilment at once");
    json_t *events = json_object_get(r.json, "events");
    const char *want[][3] = {{"create", "staff", NULL},
                             {"edit", "staff", NULL},
                             {"submit", "staff", "pending_confirm"},
                             {"confirm_on_behalf", "staff", "confirmed"},
                             {"start_fulfilment", "system", "awaiting_return"}};
    cr_assert_eq(json_array_size(events), 5, "%s", r.body);
    for (size_t i = 0; i < 5; i++) {
        json_t *e = json_array_get(events, i);
        cr_assert_str_eq(json_string_value(json_object_get(e, "action")),
                         want[i][0]);
        json_t *actor = json_object_get(e, "actor");
        cr_assert_str_eq(json_string_value(json_object_get(actor, "kind")),
                         want[i][1]);
        cr_assert_not_null(json_string_value(json_object_get(actor, "name")));
        if (want[i][2] != NULL)
            cr_assert_str_eq(json_string_value(json_object_get(e, "to_status")),
                             want[i][2]);
    }
    cr_assert(
        json_is_true(json_object_get(json_array_get(events, 3), "on_behalf")));
    harness_http_free(&r);
    free(number);
    free(email);
    free(agent);
}

Test(staff, review_policy_sends_large_amounts_to_a_supervisor)
{
    char *agent = agent_token();
    char *sup = token_for("supervisor");
    char *email = harness_unique_email("review");
    char *number = harness_create_case(agent, email, "refund", false);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    struct http_result r = staff(
        "PATCH", path, agent,
        "{\"refund_amount\":{\"currency_code\":\"USD\",\"value\":\"600.00\"}}");
    cr_assert_eq(r.status, 422, "more than the order: %s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "refund_exceeds_order");
    harness_http_free(&r);
    r = staff(
        "PATCH", path, agent,
        "{\"refund_amount\":{\"currency_code\":\"EUR\",\"value\":\"1.00\"}}");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(harness_error_code(&r), "currency_mismatch");
    harness_http_free(&r);

    /* A replacement worth more than the suite's threshold (500.00). */
    char *big = harness_create_case(agent, email, "replacement", false);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", big);
    r = staff("PATCH", path, agent,
              "{\"replacement_value\":{\"currency_code\":\"USD\","
              "\"value\":\"500.01\"}}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", big);
    r = staff("POST", path, agent, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "pending_review");
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/approve", big);
    r = staff("POST", path, agent, NULL);
    cr_assert_eq(r.status, 403, "agents do not approve");
    harness_http_free(&r);
    r = staff("POST", path, sup, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "pending_confirm");
    harness_http_free(&r);
    r = staff("POST", path, sup, NULL);
    cr_assert_eq(r.status, 409, "approved already");
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/cancel", number);
    r = staff("POST", path, agent, "{}");
    cr_assert_eq(r.status, 422, "a reason is required");
    harness_http_free(&r);
    r = staff("POST", path, agent, "{\"reason\":\"duplicate\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "cancelled");
    cr_assert_str_eq(
        json_string_value(json_object_get(r.json, "cancel_reason")),
        "duplicate");
    harness_http_free(&r);
    free(big);
    free(number);
    free(email);
    free(sup);
    free(agent);
}

Test(staff, search_by_status_email_number_and_serial)
{
    char *agent = agent_token();
    char *email = harness_unique_email("search");
    char *number = harness_create_case(agent, email, "refund", true);
    char auth[256], path[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", agent);
    const char *h[] = {auth, NULL};
    const char *queries[] = {email, number};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path),
                 "/api/v1/staff/rmas?status=pending_confirm&q=%s", queries[i]);
        struct http_result r = harness_http("GET", path, h, NULL, 0);
        cr_assert_eq(r.status, 200, "%s", r.body);
        json_t *rmas = json_object_get(r.json, "rmas");
        cr_assert_eq(json_array_size(rmas), 1, "%s: %s", queries[i], r.body);
        cr_assert_str_eq(json_string_value(json_object_get(
                             json_array_get(rmas, 0), "number")),
                         number);
        harness_http_free(&r);
    }
    struct http_result r = harness_http(
        "GET", "/api/v1/staff/rmas?q=sn-e2e-0001&limit=200", h, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_geq(json_array_size(json_object_get(r.json, "rmas")), 1);
    harness_http_free(&r);
    r = harness_http("GET", "/api/v1/staff/rmas?status=bogus", h, NULL, 0);
    cr_assert_eq(r.status, 400);
    harness_http_free(&r);
    r = harness_http("GET", "/api/v1/staff/rmas?limit=201", h, NULL, 0);
    cr_assert_eq(r.status, 400);
    harness_http_free(&r);
    free(number);
    free(email);
    free(agent);
}
