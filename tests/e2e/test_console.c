/* test_console.c - through nginx: staff are people (SPEC §15, issue 17).
 * People added with rmactl sign in to the console by mailed code under the
 * customers' rules (identical answers, 5 tries, 15 minutes, rate limits),
 * with a cookie of their own (scoped to the staff API, Strict, a shorter
 * idle expiry) that any staff route takes beside the bearer token, with
 * CSRF; deactivation ends it and keeps the trail; four eyes holds for
 * people; their queues, the scan box, the admin page's API, and the mail
 * they get (the customer disagreed; the daily digest). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../console_harness.h"

static char *
token_for(const char *role)
{
    char *name = harness_unique_email(role);
    char *token = harness_staff_token(role, name);
    free(name);
    return token;
}

static struct http_result
code_request(const char *email, const char *extra)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    return harness_http("POST", "/api/v1/staff/auth/code",
                        console_headers(NULL, true, extra), body, strlen(body));
}

static long
try_code(const char *email, const char *code, const char *now)
{
    char body[256], clock[64];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"%s\"}", email,
             code);
    snprintf(clock, sizeof(clock), "X-Rma-Test-Now: %s", now ? now : "");
    struct http_result r = harness_http(
        "POST", "/api/v1/staff/auth/session",
        console_headers(NULL, true, now ? clock : NULL), body, strlen(body));
    long status = r.status;
    if (status != 200)
        cr_assert_str_eq(harness_error_code(&r), "invalid_code", "%s", r.body);
    harness_http_free(&r);
    return status;
}

static char *
mailed(const char *email)
{
    struct http_result r = code_request(email, NULL);
    cr_assert_eq(r.status, 202, "%s", r.body);
    harness_http_free(&r);
    return harness_mailed_code(email);
}

static void
wrong_code(const char *code, char out[7])
{
    memcpy(out, code, 6);
    out[5] = (char)('0' + (code[5] - '0' + 1) % 10);
    out[6] = '\0';
}

static long
whoami(const char *cookie, const char *now)
{
    char clock[64];
    snprintf(clock, sizeof(clock), "X-Rma-Test-Now: %s", now ? now : "");
    struct http_result r = harness_http(
        "GET", "/api/v1/staff/whoami",
        console_headers(cookie, false, now ? clock : NULL), NULL, 0);
    long s = r.status;
    harness_http_free(&r);
    return s;
}

Test(staff_login, code_answers_are_identical_for_known_unknown_and_gone)
{
    char *known = console_person("agent");
    char *gone = console_person("agent");
    free(harness_runf(false, "rmactl staff deactivate --email '%s'", gone));
    char *unknown = harness_unique_email("nobody");
    struct http_result a = code_request(known, NULL);
    struct http_result b = code_request(unknown, NULL);
    struct http_result c = code_request(gone, NULL);
    cr_assert_eq(a.status, 202);
    cr_assert_eq(b.status, 202);
    cr_assert_eq(c.status, 202);
    cr_assert_eq(a.body_len, b.body_len);
    cr_assert_eq(memcmp(a.body, b.body, a.body_len), 0, "byte-identical");
    cr_assert_eq(a.body_len, c.body_len);
    cr_assert_eq(memcmp(a.body, c.body, a.body_len), 0, "byte-identical");
    harness_http_free(&a);
    harness_http_free(&b);
    harness_http_free(&c);
    /* The same work: a code stored and a message queued for each; only the
     * person's is delivered. */
    cr_assert_eq(console_sql_long("SELECT count(*) FROM staff_login_code"
                                  " WHERE email IN ('%s', '%s', '%s')",
                                  known, unknown, gone),
                 3);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM mail_outbox"
                                  " WHERE to_addr IN ('%s', '%s')"
                                  " AND kind = 'login_code_unknown'",
                                  unknown, gone),
                 2);
    char *code = harness_mailed_code(known);
    cr_assert_eq(strlen(code), 6);
    free(code);
    /* A customer's code never signs a person in, nor a person's code a
     * customer (separate tables, separate HMACs). */
    free(known);
    free(unknown);
    free(gone);
}

Test(staff_login, the_sixth_try_fails_and_an_expired_code_fails)
{
    char *email = console_person("warehouse");
    char *code = mailed(email);
    char bad[7];
    wrong_code(code, bad);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(try_code(email, bad, NULL), 401);
    cr_assert_eq(try_code(email, code, NULL), 401, "sixth try, right code");
    free(code);
    code = mailed(email);
    char later[32];
    console_time(16 * 60, later);
    cr_assert_eq(try_code(email, code, later), 401, "16 minutes later");
    console_time(14 * 60, later);
    cr_assert_eq(try_code(email, code, later), 200, "14 minutes later");
    cr_assert_eq(try_code(email, code, NULL), 401, "a used code fails");
    free(code);
    free(email);
}

Test(staff_login, rate_limits_answer_429_with_retry_after)
{
    char when[64];
    snprintf(when, sizeof(when), "X-Rma-Test-Now: 2092-%02d-%02dT10:00:00Z",
             1 + getpid() % 12, 1 + getpid() % 28);
    char *email = console_person("finance");
    for (int i = 0; i < 5; i++) {
        struct http_result r = code_request(email, when);
        cr_assert_eq(r.status, 202, "request %d: %s", i + 1, r.body);
        harness_http_free(&r);
    }
    struct http_result r = code_request(email, when);
    cr_assert_eq(r.status, 429, "the sixth code for one address");
    char retry[32];
    cr_assert_not_null(harness_header(&r, "Retry-After", retry, sizeof(retry)));
    cr_assert_gt(strtol(retry, NULL, 10), 0);
    harness_http_free(&r);
    /* An unknown address is limited alike (no enumeration by 429). */
    char *unknown = harness_unique_email("nobody-rate");
    for (int i = 0; i < 5; i++) {
        r = code_request(unknown, when);
        cr_assert_eq(r.status, 202);
        harness_http_free(&r);
    }
    r = code_request(unknown, when);
    cr_assert_eq(r.status, 429);
    harness_http_free(&r);
    /* Sign-in attempts per client address (200 in the suite). */
    int limited = 0;
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"000000\"}",
             email);
    for (int i = 0; i < 201 && !limited; i++) {
        r = harness_http("POST", "/api/v1/staff/auth/session",
                         console_headers(NULL, true, when), body, strlen(body));
        limited = r.status == 429;
        harness_http_free(&r);
    }
    cr_assert(limited, "the per-address limit on sign-in attempts");
    free(unknown);
    free(email);
}

Test(staff_session, cookie_is_scoped_strict_httponly_secure)
{
    char *email = console_person("agent");
    char *code = mailed(email);
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"%s\"}", email,
             code);
    struct http_result r =
        harness_http("POST", "/api/v1/staff/auth/session",
                     console_headers(NULL, true, NULL), body, strlen(body));
    cr_assert_eq(r.status, 200, "%s", r.body);
    char set[512];
    cr_assert_not_null(harness_header(&r, "Set-Cookie", set, sizeof(set)));
    cr_assert_eq(strncmp(set, "rma_staff=", 10), 0, "%s", set);
    cr_assert_eq(strcspn(set + 10, ";"), 43, "a 256-bit token: %s", set);
    cr_assert_not_null(strstr(set, "Path=/api/v1/staff;"), "%s", set);
    cr_assert_not_null(strstr(set, "HttpOnly"));
    cr_assert_not_null(strstr(set, "Secure"));
    cr_assert_not_null(strstr(set, "SameSite=Strict"));
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "staff"), "role")),
                     "agent");
    harness_http_free(&r);
    /* Only the hash is stored. */
    char token[64];
    snprintf(token, sizeof(token), "%.43s", set + 10);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM staff_session"
                                  " WHERE token_hash = sha256('%s')",
                                  token),
                 1);
    free(code);
    free(email);
}

Test(staff_session, idle_expiry_is_the_consoles_and_activity_extends_it)
{
    char *email = console_person("supervisor");
    char t0[32], t10[32], t24[32], t40[32];
    console_time(0, t0);
    console_time(10 * 60, t10);
    console_time(24 * 60, t24);
    console_time(40 * 60, t40);
    char *cookie = console_login_at(email, t0);
    cr_assert_eq(whoami(cookie, t10), 200, "10 minutes idle");
    cr_assert_eq(whoami(cookie, t24), 200, "14 minutes after the last use");
    cr_assert_eq(whoami(cookie, t40), 401, "16 minutes idle (default 15)");
    free(cookie);
    free(email);
}

Test(staff_session, logout_and_deactivation_end_it_and_keep_the_trail)
{
    char *email = console_person("agent");
    char *cookie = console_login(email);
    struct http_result r =
        console_call("GET", "/api/v1/staff/whoami", cookie, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "name")), email);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "via")),
                     "session");
    harness_http_free(&r);
    r = console_call("DELETE", "/api/v1/staff/auth/session", cookie, NULL);
    cr_assert_eq(r.status, 204, "%s", r.body);
    char set[256];
    cr_assert_not_null(harness_header(&r, "Set-Cookie", set, sizeof(set)));
    cr_assert_not_null(strstr(set, "Max-Age=0"));
    harness_http_free(&r);
    cr_assert_eq(whoami(cookie, NULL), 401, "logged out");
    free(cookie);

    /* Deactivated: the live session ends at once, a new code signs in no
     * more, and what they did stays theirs in the audit trail. */
    cookie = console_login(email);
    char *agent = token_for("agent");
    char *customer = harness_unique_email("trail");
    char *number = harness_create_case(agent, customer, "refund", false);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
    r = console_call("POST", path, cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    char *out =
        harness_runf(false, "rmactl staff deactivate --email '%s'", email);
    free(out);
    cr_assert_eq(whoami(cookie, NULL), 401, "deactivated");
    char *code = mailed(email);
    cr_assert_eq(try_code(email, code, NULL), 401);
    free(code);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM audit_event e JOIN rma"
                                  " r ON r.id = e.rma_id WHERE r.number = '%s'"
                                  " AND e.actor_name = '%s'"
                                  " AND e.action LIKE 'submit%%'",
                                  number, email),
                 1);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM staff_account"
                                  " WHERE email = '%s'"
                                  " AND deactivated_at IS NOT NULL",
                                  email),
                 1);
    /* The address may be given a new account. */
    out = harness_runf(false,
                       "rmactl staff add --email '%s' --name Again --role "
                       "agent",
                       email);
    free(out);
    free(number);
    free(customer);
    free(agent);
    free(cookie);
    free(email);
}

Test(staff_session, csrf_needs_the_console_header_or_origin_with_a_cookie)
{
    char *email = console_person("agent");
    char *cookie = console_login(email);
    char *agent = token_for("agent");
    char *customer = harness_unique_email("csrf");
    char *number = harness_create_case(agent, customer, "refund", false);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    const char *body = "{\"problem\":\"Edited in the console.\"}";
    struct http_result r =
        harness_http("PATCH", path, console_headers(cookie, false, NULL), body,
                     strlen(body));
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "csrf");
    harness_http_free(&r);
    r = harness_http(
        "PATCH", path,
        console_headers(cookie, false, "X-Requested-With: rma-portal"), body,
        strlen(body));
    cr_assert_eq(r.status, 403, "the portal's header is not the console's");
    harness_http_free(&r);
    r = harness_http(
        "PATCH", path,
        console_headers(cookie, false, "Origin: https://evil.example"), body,
        strlen(body));
    cr_assert_eq(r.status, 403);
    harness_http_free(&r);
    char origin[256];
    snprintf(origin, sizeof(origin), "Origin: %s",
             harness_env("RMA_TEST_BASE_URL"));
    r = harness_http("PATCH", path, console_headers(cookie, false, origin),
                     body, strlen(body));
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    r = console_call("PATCH", path, cookie, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    /* Reads need no header; a bearer token (automation) needs none. */
    r = harness_http("GET", path, console_headers(cookie, false, NULL), NULL,
                     0);
    cr_assert_eq(r.status, 200);
    harness_http_free(&r);
    r = console_bearer("PATCH", path, agent, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    /* Sign-in itself needs the console's header too. */
    const char *json[] = {"Content-Type: application/json", NULL};
    const char *code_body = "{\"email\":\"nobody@example.com\"}";
    r = harness_http("POST", "/api/v1/staff/auth/code", json, code_body,
                     strlen(code_body));
    cr_assert_eq(r.status, 403);
    harness_http_free(&r);
    free(number);
    free(customer);
    free(agent);
    free(cookie);
    free(email);
}

Test(staff_session, customer_and_staff_sessions_do_not_cross)
{
    char *agent = token_for("agent");
    char *customer = harness_unique_email("cross");
    char *number = harness_create_case(agent, customer, "refund", true);
    char *customer_cookie = harness_login(customer);
    char *person = console_person("agent");
    char *staff_cookie = console_login(person);
    /* A customer's session on a staff route: 401. */
    struct http_result r =
        harness_http("GET", "/api/v1/staff/queues",
                     console_headers(customer_cookie, true, NULL), NULL, 0);
    cr_assert_eq(r.status, 401, "%s", r.body);
    harness_http_free(&r);
    /* A person's session on a customer route: 401. */
    r = harness_http("GET", "/api/v1/rmas",
                     harness_portal_headers(staff_cookie, NULL), NULL, 0);
    cr_assert_eq(r.status, 401, "%s", r.body);
    harness_http_free(&r);
    /* A person's token in the customer's cookie name: 401. */
    char forged[512];
    snprintf(forged, sizeof(forged), "rma_session=%s", staff_cookie + 10);
    r = harness_http("GET", "/api/v1/rmas",
                     harness_portal_headers(forged, NULL), NULL, 0);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
    snprintf(forged, sizeof(forged), "rma_staff=%s",
             customer_cookie + strlen("rma_session="));
    r = harness_http("GET", "/api/v1/staff/whoami",
                     console_headers(forged, true, NULL), NULL, 0);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
    free(staff_cookie);
    free(person);
    free(customer_cookie);
    free(number);
    free(customer);
    free(agent);
}

/* A replacement above the review threshold (500.00 in the suite), created
 * by cookie's person. */
static char *
case_by(const char *cookie, const char *email)
{
    unsigned r = (unsigned)getpid() * 2654435761u + (unsigned)time(NULL);
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Four Eyes\"},"
             "\"order\":{\"order_number\":\"CON-%u\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"NVR-8CH\",\"quantity\":1,\"unit_price\":{\"currency_code\":"
             "\"USD\",\"value\":\"899.00\"}}]},\"kind\":\"replacement\","
             "\"problem\":\"It reboots.\",\"devices\":[{\"model\":\"NVR-8CH\","
             "\"serial_number\":\"NVR-CON-%u\"}],\"replacement_value\":"
             "{\"currency_code\":\"USD\",\"value\":\"899.00\"}}",
             email, r, r % 100000);
    struct http_result res =
        console_call("POST", "/api/v1/staff/rmas", cookie, body);
    cr_assert_eq(res.status, 201, "%s", res.body);
    char *number =
        strdup(json_string_value(json_object_get(res.json, "number")));
    harness_http_free(&res);
    return number;
}

static long
act(const char *cookie, const char *number, const char *action,
    const char *body, struct http_result *out)
{
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/%s", number, action);
    *out = console_call("POST", path, cookie, body);
    return out->status;
}

Test(staff_session, four_eyes_holds_for_people)
{
    char *s1 = console_person("supervisor");
    char *s2 = console_person("supervisor");
    char *c1 = console_login(s1);
    char *c2 = console_login(s2);
    char *customer = harness_unique_email("foureyes-person");
    char *number = case_by(c1, customer);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM rma WHERE number ="
                                  " '%s' AND created_by = '%s'",
                                  number, s1),
                 1, "created under the person's e-mail");
    struct http_result r;
    cr_assert_eq(act(c1, number, "submit", NULL, &r), 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "pending_review");
    harness_http_free(&r);
    cr_assert_eq(act(c1, number, "approve", NULL, &r), 403, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "four_eyes");
    harness_http_free(&r);
    cr_assert_eq(act(c2, number, "approve", NULL, &r), 200, "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM audit_event e JOIN rma"
                                  " r ON r.id = e.rma_id WHERE r.number = '%s'"
                                  " AND e.action = 'approve'"
                                  " AND e.actor_name = '%s'"
                                  " AND e.actor_role = 'supervisor'",
                                  number, s2),
                 1, "the approval is the second person's");
    /* A stale action is the API's 409. */
    cr_assert_eq(act(c2, number, "approve", NULL, &r), 409, "%s", r.body);
    harness_http_free(&r);
    free(number);
    free(customer);
    free(c2);
    free(c1);
    free(s2);
    free(s1);
}

static json_t *
queue_item(const char *cookie, const char *queue, const char *number)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/queues/%s?limit=500", queue);
    struct http_result r = console_call("GET", path, cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *found = NULL, *it;
    size_t i;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
    {
        const char *n = json_string_value(json_object_get(it, "number"));
        if (n != NULL && strcmp(n, number) == 0)
            found = json_incref(it);
    }
    harness_http_free(&r);
    return found;
}

Test(queues, each_role_sees_its_queues_with_counts_oldest_first)
{
    char *agent_person = console_person("agent");
    char *sup_person = console_person("supervisor");
    char *wh_person = console_person("warehouse");
    char *agent = console_login(agent_person);
    char *sup = console_login(sup_person);
    char *wh = console_login(wh_person);
    char *customer = harness_unique_email("queues");
    char *number = case_by(agent, customer);

    struct http_result r =
        console_call("GET", "/api/v1/staff/queues", agent, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *qs = json_object_get(r.json, "queues");
    cr_assert_eq(json_array_size(qs), 3, "%s", r.body);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(qs, 0), "title")),
        "Drafts");
    cr_assert_geq(
        json_integer_value(json_object_get(json_array_get(qs, 0), "count")), 1);
    harness_http_free(&r);
    json_t *item = queue_item(agent, "drafts", number);
    cr_assert_not_null(item, "the new draft is in Drafts");
    cr_assert_geq(json_integer_value(json_object_get(item, "age_seconds")), 0);
    cr_assert_str_eq(json_string_value(json_object_get(item, "created_by")),
                     agent_person);
    json_decref(item);

    /* Submitted: Pending review, for supervisors only. */
    cr_assert_eq(act(agent, number, "submit", NULL, &r), 200, "%s", r.body);
    harness_http_free(&r);
    item = queue_item(sup, "pending_review", number);
    cr_assert_not_null(item);
    json_decref(item);
    r = console_call("GET", "/api/v1/staff/queues/pending_review", wh, NULL);
    cr_assert_eq(r.status, 403, "another role's queue");
    harness_http_free(&r);
    r = console_call("GET", "/api/v1/staff/queues/nonsense", sup, NULL);
    cr_assert_eq(r.status, 404);
    harness_http_free(&r);

    /* Sent back: the reason is the item's note. */
    cr_assert_eq(act(sup, number, "send-back",
                     "{\"reason\":\"The value needs a receipt.\"}", &r),
                 200, "%s", r.body);
    harness_http_free(&r);
    item = queue_item(agent, "sent_back", number);
    cr_assert_not_null(item, "sent back");
    cr_assert_str_eq(json_string_value(json_object_get(item, "note")),
                     "The value needs a receipt.");
    json_decref(item);
    item = queue_item(agent, "drafts", number);
    cr_assert_null(item, "not among the plain drafts");

    /* Oldest first. */
    r = console_call("GET", "/api/v1/staff/queues/drafts?limit=500", agent,
                     NULL);
    json_t *items = json_object_get(r.json, "items");
    for (size_t i = 1; i < json_array_size(items); i++)
        cr_assert_leq(strcmp(json_string_value(json_object_get(
                                 json_array_get(items, i - 1), "since")),
                             json_string_value(json_object_get(
                                 json_array_get(items, i), "since"))),
                      0, "oldest first");
    harness_http_free(&r);

    /* Warehouse queues, by title. */
    r = console_call("GET", "/api/v1/staff/queues", wh, NULL);
    qs = json_object_get(r.json, "queues");
    cr_assert_eq(json_array_size(qs), 3);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(qs, 0), "title")),
        "Awaiting shipment");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(qs, 1), "title")),
        "Returns on the way");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(qs, 2), "title")),
        "Received, to inspect");
    harness_http_free(&r);
    free(number);
    free(customer);
    free(wh);
    free(sup);
    free(agent);
    free(wh_person);
    free(sup_person);
    free(agent_person);
}

Test(queues, the_scan_box_finds_a_parcel_by_tracking_serial_or_number)
{
    char *agent = token_for("agent");
    char *customer = harness_unique_email("scan");
    char *number = harness_create_case(agent, customer, "refund", true);
    char *person = console_person("warehouse");
    char *wh = console_login(person);
    /* The customer's return, as the portal stores it (test_upload.c sends
     * it through the API). */
    char *tracking = console_sql(
        "WITH r AS (SELECT id FROM rma WHERE number = '%s'),"
        " a AS (INSERT INTO attachment (rma_id, kind, sha256, bytes,"
        " media_type, width, height, uploaded_by, created_at)"
        " SELECT r.id, k, repeat('ab', 32), 10, 'image/png', 1, 1, 'x',"
        " now() FROM r, unnest(ARRAY['shipping_label', 'postage_receipt']) k"
        " RETURNING id, kind),"
        " s AS (INSERT INTO return_submission (rma_id, carrier,"
        " tracking_number, shipping_label_id, postage_receipt_id,"
        " data_erasure_required, data_erasure_acknowledged, submitted_by,"
        " submitted_at) SELECT r.id, 'UPS', 'T' || lpad((r.id %% 1000000000)"
        "::text, 10, '0'), (SELECT id FROM a WHERE kind = 'shipping_label'),"
        " (SELECT id FROM a WHERE kind = 'postage_receipt'), false, false,"
        " 'x', now() FROM r RETURNING tracking_number)"
        " SELECT tracking_number FROM s",
        number);
    cr_assert_eq(strlen(tracking), 11, "%s", tracking);
    /* Typed with spaces and dashes, lower case: still found. */
    char typed[64], path[160];
    snprintf(typed, sizeof(typed), "t%%20%.5s-%s", tracking + 1, tracking + 6);
    snprintf(path, sizeof(path), "/api/v1/staff/scan?code=%s", typed);
    struct http_result r = console_call("GET", path, wh, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *m = json_array_get(json_object_get(r.json, "matches"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(m, "number")), number);
    cr_assert_str_eq(json_string_value(json_object_get(m, "matched_by")),
                     "return_tracking");
    harness_http_free(&r);
    /* By the RMA number, any case. */
    snprintf(path, sizeof(path), "/api/v1/staff/scan?code=%s", number);
    r = console_call("GET", path, wh, NULL);
    m = json_array_get(json_object_get(r.json, "matches"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(m, "matched_by")),
                     "number");
    harness_http_free(&r);
    /* Nothing: an empty list, not an error; nonsense: 422. */
    r = console_call("GET", "/api/v1/staff/scan?code=NOPE-NOTHING-0", wh, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(json_array_size(json_object_get(r.json, "matches")), 0);
    harness_http_free(&r);
    r = console_call("GET", "/api/v1/staff/scan?code=", wh, NULL);
    cr_assert_eq(r.status, 422);
    harness_http_free(&r);
    free(tracking);
    free(wh);
    free(person);
    free(number);
    free(customer);
    free(agent);
}

Test(admin, accounts_and_tokens_from_the_admin_page_are_audited)
{
    char *admin_person = console_person("admin");
    char *admin = console_login(admin_person);
    char *agent_person = console_person("agent");
    char *agent = console_login(agent_person);
    char *newbie = harness_unique_email("newbie");
    char body[512];
    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"name\":\"New Person\",\"role\":"
             "\"warehouse\"}",
             newbie);
    struct http_result r =
        console_call("POST", "/api/v1/staff/accounts", agent, body);
    cr_assert_eq(r.status, 403, "an agent is no admin");
    harness_http_free(&r);
    r = console_call("POST", "/api/v1/staff/accounts", admin, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    long long id = json_integer_value(json_object_get(r.json, "created"));
    harness_http_free(&r);
    r = console_call("POST", "/api/v1/staff/accounts", admin, body);
    cr_assert_eq(r.status, 409, "one active account per address");
    harness_http_free(&r);
    /* The new person signs in. */
    char *cookie = console_login(newbie);
    free(cookie);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/accounts/%lld/deactivate", id);
    r = console_call("POST", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    /* Not oneself. */
    long long own = console_sql_long("SELECT id FROM staff_account WHERE"
                                     " email = '%s'",
                                     admin_person);
    snprintf(path, sizeof(path), "/api/v1/staff/accounts/%lld/deactivate", own);
    r = console_call("POST", path, admin, NULL);
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);

    /* A token: shown once, works, revoked. */
    char *name = harness_unique_email("page-token");
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"role\":\"finance\"}",
             name);
    r = console_call("POST", "/api/v1/staff/tokens", admin, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *token = strdup(json_string_value(json_object_get(r.json, "token")));
    long long tid = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);
    r = console_bearer("GET", "/api/v1/staff/whoami", token, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "role")),
                     "finance");
    harness_http_free(&r);
    r = console_call("GET", "/api/v1/staff/tokens", admin, NULL);
    cr_assert_eq(r.status, 200);
    cr_assert_null(strstr(r.body, token), "never shown again");
    cr_assert_null(strstr(r.body, "hash"));
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/tokens/%lld/revoke", tid);
    r = console_call("POST", path, admin, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    r = console_bearer("GET", "/api/v1/staff/whoami", token, NULL);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
    cr_assert_eq(
        console_sql_long("SELECT count(*) FROM audit_event WHERE rma_id IS"
                         " NULL AND actor_name = '%s' AND action IN"
                         " ('staff_account_add', 'staff_account_deactivate',"
                         " 'staff_token_create', 'staff_token_revoke')",
                         admin_person),
        4);
    free(token);
    free(name);
    free(newbie);
    free(agent);
    free(agent_person);
    free(admin);
    free(admin_person);
}

/* The newest message to email whose subject has text, or NULL (owned). */
static char *
mail_to(const char *email, const char *text)
{
    for (int i = 0; i < 50; i++) {
        char *out = harness_runf(true,
                                 "cd '%s/mail' && grep -l -i -F 'To: %s' "
                                 "*.eml 2>/dev/null | xargs -r grep -l -F "
                                 "'%s' | xargs -r ls -t | head -n 1",
                                 harness_env("RMA_TEST_RUN"), email, text);
        if (out[0] != '\0') {
            out[strcspn(out, "\n")] = '\0';
            return out;
        }
        free(out);
        usleep(100 * 1000);
    }
    return NULL;
}

Test(notify, the_agent_hears_at_once_when_their_customer_disagrees)
{
    char *person = console_person("agent");
    char *cookie = console_login(person);
    char *customer = harness_unique_email("disagrees");
    /* Below the review threshold: straight to the customer. */
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Dee\"},"
             "\"order\":{\"order_number\":\"DIS-%d\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"CAM-2K-IN\",\"quantity\":1,\"unit_price\":{\"currency_code\":"
             "\"USD\",\"value\":\"59.99\"}}]},\"kind\":\"replacement\","
             "\"problem\":\"No picture.\",\"devices\":[{\"model\":"
             "\"CAM-2K-IN\",\"serial_number\":\"C2K-DIS-%d\"}],"
             "\"replacement_value\":{\"currency_code\":\"USD\",\"value\":"
             "\"59.99\"}}",
             customer, (int)getpid(), (int)getpid());
    struct http_result r =
        console_call("POST", "/api/v1/staff/rmas", cookie, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *number = strdup(json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);
    cr_assert_eq(act(cookie, number, "submit", NULL, &r), 200, "%s", r.body);
    harness_http_free(&r);
    char *cust = harness_login(customer);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/disagree", number);
    const char *comment = "{\"comment\":\"I wanted the outdoor model.\"}";
    r = harness_http("POST", path, harness_portal_headers(cust, NULL), comment,
                     strlen(comment));
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    /* Delivered by the worker after the answer: no run-jobs. */
    char subject[96];
    snprintf(subject, sizeof(subject), "Customer disagreed with %s", number);
    char *file = mail_to(person, subject);
    cr_assert_not_null(file, "no mail to %s", person);
    char *text = harness_runf(false, "cat '%s/mail/%s'",
                              harness_env("RMA_TEST_RUN"), file);
    cr_assert_not_null(strstr(text, "I wanted the outdoor model."), "%s", text);
    cr_assert_not_null(strstr(text, "/staff/#/rmas/"), "%s", text);
    /* And the case is in their Customer disagreed queue. */
    json_t *item = queue_item(cookie, "disagreed", number);
    cr_assert_not_null(item);
    cr_assert_str_eq(json_string_value(json_object_get(item, "note")),
                     "I wanted the outdoor model.");
    json_decref(item);
    free(text);
    free(file);
    free(cust);
    free(number);
    free(customer);
    free(cookie);
    free(person);
}

Test(notify, the_digest_goes_once_a_day_and_only_when_something_waits)
{
    char *sup = console_person("supervisor");
    char *admin = console_person("admin");
    char *agent = token_for("agent");
    char *customer = harness_unique_email("digest");
    /* Something waits for supervisors: a case in review. */
    char *cookie = console_login(sup);
    char *number = case_by(cookie, customer);
    struct http_result r;
    cr_assert_eq(act(cookie, number, "submit", NULL, &r), 200, "%s", r.body);
    harness_http_free(&r);
    /* On the day of the next 07:00 UTC (the default hour), before the
     * hour: nothing; after it, one digest, and no second one that day.
     * The next one, not tomorrow's: each run's housekeeping deletes the
     * sign-in codes that expired a day before its clock, and from a clock
     * more than a day ahead it took the codes of the tests signing in
     * meanwhile (this file's failed whenever it ran between 00:00 and
     * 07:00 UTC). */
    char day[16], cmd[128];
    time_t next = time(NULL) + 120;
    struct tm tm;
    if (gmtime_r(&next, &tm)->tm_hour >= 7)
        next += 86400;
    strftime(day, sizeof(day), "%Y-%m-%d", gmtime_r(&next, &tm));
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %sT06:59:00Z", day);
    free(harness_runf(false, "%s 2>/dev/null", cmd));
    long before = console_sql_long("SELECT count(*) FROM mail_outbox WHERE"
                                   " to_addr = '%s' AND kind = 'staff_digest'",
                                   sup);
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %sT07:01:00Z", day);
    free(harness_runf(false, "%s 2>/dev/null", cmd));
    long after = console_sql_long("SELECT count(*) FROM mail_outbox WHERE"
                                  " to_addr = '%s' AND kind = 'staff_digest'"
                                  " AND sent_at IS NOT NULL",
                                  sup);
    cr_assert_eq(after, before + 1, "one digest, delivered");
    snprintf(cmd, sizeof(cmd), "rmactl run-jobs --now %sT07:05:00Z", day);
    free(harness_runf(false, "%s 2>/dev/null", cmd));
    cr_assert_eq(console_sql_long("SELECT count(*) FROM mail_outbox WHERE"
                                  " to_addr = '%s' AND kind = 'staff_digest'",
                                  sup),
                 after, "once a day");
    char *file = mail_to(sup, "wait");
    cr_assert_not_null(file);
    char *text = harness_runf(false, "cat '%s/mail/%s'",
                              harness_env("RMA_TEST_RUN"), file);
    cr_assert_not_null(strstr(text, "Pending review:"), "%s", text);
    cr_assert_not_null(strstr(text, "/staff/"), "%s", text);
    /* An admin has no queue of their own: nothing waits, nothing sent. */
    cr_assert_eq(console_sql_long("SELECT count(*) FROM mail_outbox WHERE"
                                  " to_addr = '%s'"
                                  " AND kind = 'staff_digest'",
                                  admin),
                 0);
    free(text);
    free(file);
    free(number);
    free(cookie);
    free(customer);
    free(agent);
    free(admin);
    free(sup);
}

Test(orders, import_stores_each_order_once_and_the_console_finds_it)
{
    char *buyer = harness_unique_email("orders");
    char path[512];
    snprintf(path, sizeof(path), "%s/orders-%d.csv",
             harness_env("RMA_TEST_RUN"), (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "order_number,sales_channel,customer_email,customer_name,"
            "shipping_country,currency,purchase_date,model,quantity,"
            "unit_price\r\n"
            "IMP-%d,shop,%s,\"North, Nora\",US,USD,2020-01-15,NVR-8CH,1,"
            "249.00\r\n"
            "IMP-%d,shop,%s,\"North, Nora\",US,USD,2020-01-15,PSU-12V,2,"
            "19.99\r\n"
            "IMPBAD-%d,shop,%s,X,US,USD,2020-02-30,NVR-8CH,1,1.00\r\n"
            "IMPBAD2-%d,shop,%s,X,US,USD,2020-02-01,NO-SUCH-MODEL,1,1.00\r\n",
            (int)getpid(), buyer, (int)getpid(), buyer, (int)getpid(), buyer,
            (int)getpid(), buyer);
    fclose(f);
    char *out = NULL;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rmactl orders import '%s' 2>&1", path);
    int rc = harness_run(cmd, &out);
    cr_assert_eq(rc, 1, "refused orders are a failure: %s", out);
    cr_assert_not_null(strstr(out, "1 created, 0 already there, 2 refused"),
                       "%s", out);
    cr_assert_not_null(strstr(out, "purchase_date"), "%s", out);
    cr_assert_not_null(strstr(out, "unknown model"), "%s", out);
    free(out);
    rc = harness_run(cmd, &out);
    cr_assert_not_null(strstr(out, "0 created, 1 already there"), "%s", out);
    free(out);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM order_item i JOIN"
                                  " original_order o ON o.id = i.order_id"
                                  " WHERE o.order_number = 'IMP-%d'",
                                  (int)getpid()),
                 2, "stored once");

    char *agent = console_person("agent");
    char *cookie = console_login(agent);
    char url[256];
    snprintf(url, sizeof(url), "/api/v1/staff/orders?q=imp-%d", (int)getpid());
    struct http_result r = console_call("GET", url, cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    json_t *o = json_array_get(json_object_get(r.json, "orders"), 0);
    cr_assert_not_null(o, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(o, "customer"), "name")),
                     "North, Nora");
    json_t *nvr = json_array_get(json_object_get(o, "items"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(nvr, "model")),
                     "NVR-8CH");
    cr_assert(json_is_false(json_object_get(nvr, "in_warranty")),
              "bought in 2020 with 24 months: out of warranty");
    cr_assert_str_eq(json_string_value(json_object_get(nvr, "warranty_until")),
                     "2022-01-15");
    harness_http_free(&r);
    snprintf(url, sizeof(url), "/api/v1/staff/orders?q=%s", buyer);
    r = console_call("GET", url, cookie, NULL);
    cr_assert_eq(json_array_size(json_object_get(r.json, "orders")), 1,
                 "found by the customer's address: %s", r.body);
    harness_http_free(&r);
    free(cookie);
    free(agent);
    free(buyer);
}

Test(queues, finance_pays_a_refund_due_from_refunds_to_pay)
{
    char *agent = token_for("agent");
    char *warehouse = token_for("warehouse");
    char *customer = harness_unique_email("payout");
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Pat Payout\"},"
             "\"order\":{\"order_number\":\"PO-%d\",\"sales_channel\":\"web\","
             "\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-11-20\",\"items\":[{\"model\":"
             "\"CAM-2K-IN\",\"quantity\":1,\"unit_price\":{\"currency_code\":"
             "\"USD\",\"value\":\"59.99\"}}],\"payment\":{\"method\":"
             "\"other\",\"reference\":\"INV-%d\"}},\"kind\":\"refund\","
             "\"problem\":\"No picture.\",\"refund_amount\":{\"currency_code\":"
             "\"USD\",\"value\":\"59.99\"},\"refund_override_reason\":\"Full "
             "refund.\",\"devices\":[{\"model\":\"CAM-2K-IN\","
             "\"serial_number\":\"SN-PO-%d\"}]}",
             customer, (int)getpid(), (int)getpid(), (int)getpid());
    struct http_result r =
        console_bearer("POST", "/api/v1/staff/rmas", agent, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *number = strdup(json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
    r = console_bearer("POST", path, agent, NULL);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/confirm-on-behalf",
             number);
    r = console_bearer("POST", path, agent, "{\"reason\":\"By phone.\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/receipt", number);
    snprintf(body, sizeof(body),
             "{\"condition\":\"good\",\"serial_number\":\"SN-PO-%d\"}",
             (int)getpid());
    r = console_bearer("POST", path, warehouse, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "refund_due");
    harness_http_free(&r);

    char *person = console_person("finance");
    char *cookie = console_login(person);
    json_t *item = queue_item(cookie, "refunds_due", number);
    cr_assert_not_null(item, "in Refunds to pay");
    json_decref(item);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/refund-payout", number);
    r = console_call("POST", path, cookie,
                     "{\"amount\":{\"currency_code\":\"USD\",\"value\":"
                     "\"59.99\"},\"reference\":\"Bank transfer 8812\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    item = queue_item(cookie, "refunds_due", number);
    cr_assert_null(item, "paid: out of the queue");
    /* The payout is recorded under the person (refund_payment.paid_by; the
     * completion that follows is the system's, 0017_case_ends.sql). */
    cr_assert_eq(console_sql_long("SELECT count(*) FROM refund_payment p JOIN"
                                  " rma r ON r.id = p.rma_id WHERE r.number ="
                                  " '%s' AND p.paid_by = '%s'"
                                  " AND r.status = 'completed'",
                                  number, person),
                 1, "the payout is the person's");
    free(cookie);
    free(person);
    free(number);
    free(customer);
    free(warehouse);
    free(agent);
}

/* A create body for order (sales channel shop) of buyer: the request's
 * items are one line of items_model; devices is the JSON array. */
static char *
create_on_order(const char *buyer, const char *order, const char *items_model,
                const char *devices)
{
    char *body = NULL;
    int n = asprintf(
        &body,
        "{\"customer\":{\"email\":\"%s\",\"name\":\"Olga Order\"},"
        "\"order\":{\"order_number\":\"%s\",\"sales_channel\":\"shop\","
        "\"shipping_country\":\"US\",\"currency\":\"USD\","
        "\"purchase_date\":\"2026-09-01\",\"items\":[{\"model\":\"%s\","
        "\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\","
        "\"value\":\"649.00\"}}]},\"kind\":\"replacement\","
        "\"problem\":\"It reboots.\",\"replacement_value\":{"
        "\"currency_code\":\"USD\",\"value\":\"649.00\"},\"devices\":%s}",
        buyer, order, items_model, devices);
    cr_assert_gt(n, 0);
    return body;
}

static void
expect_off_order(const char *token, const char *body, const char *order)
{
    long before = console_sql_long("SELECT count(*) FROM rma r JOIN"
                                   " original_order o ON o.id = r.order_id"
                                   " WHERE o.order_number = '%s'",
                                   order);
    long orders = console_sql_long("SELECT count(*) FROM original_order"
                                   " WHERE order_number = '%s'",
                                   order);
    struct http_result r =
        console_bearer("POST", "/api/v1/staff/rmas", token, body);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "device_not_on_order", "%s",
                     r.body);
    json_t *e = json_object_get(r.json, "error");
    cr_assert_str_eq(json_string_value(json_object_get(e, "field")), "devices");
    cr_assert_not_null(strstr(json_string_value(json_object_get(e, "message")),
                              "is not on order"),
                       "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(console_sql_long("SELECT count(*) FROM rma r JOIN"
                                  " original_order o ON o.id = r.order_id"
                                  " WHERE o.order_number = '%s'",
                                  order),
                 before, "no case made");
    cr_assert_eq(console_sql_long("SELECT count(*) FROM original_order"
                                  " WHERE order_number = '%s'",
                                  order),
                 orders, "no order stored");
}

Test(orders, a_device_not_on_the_original_order_is_refused)
{
    char *buyer = harness_unique_email("offorder");
    char order[64], csv[512];
    snprintf(order, sizeof(order), "OFF-%d", (int)getpid());
    snprintf(csv, sizeof(csv), "%s/offorder-%d.csv",
             harness_env("RMA_TEST_RUN"), (int)getpid());
    FILE *f = fopen(csv, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "order_number,sales_channel,customer_email,customer_name,"
            "shipping_country,currency,purchase_date,model,quantity,"
            "unit_price\r\n"
            "%s,shop,%s,Olga Order,US,USD,2026-09-01,NVR-8CH,1,649.00\r\n"
            "%s,shop,%s,Olga Order,US,USD,2026-09-01,PSU-12V,2,19.99\r\n",
            order, buyer, order, buyer);
    fclose(f);
    free(harness_runf(false, "rmactl orders import '%s'", csv));
    char *agent = token_for("agent");

    /* Exactly on the imported order: the NVR and both power supplies. */
    char *body = create_on_order(
        buyer, order, "NVR-8CH",
        "[{\"model\":\"NVR-8CH\",\"serial_number\":\"NVR-ON-0001\"},"
        "{\"model\":\"PSU-12V\",\"serial_number\":\"PSU-ON-0001\"},"
        "{\"model\":\"PSU-12V\",\"serial_number\":\"PSU-ON-0002\"}]");
    struct http_result r =
        console_bearer("POST", "/api/v1/staff/rmas", agent, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s",
             json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);
    free(body);
    /* An edit keeps to the order too: another camera is refused and the
     * devices stay, the order's own line is taken. */
    r = console_bearer("PATCH", path, agent,
                       "{\"devices\":[{\"model\":\"CAM-4K-OUT\","
                       "\"serial_number\":\"CAM-EDIT-0001\"}]}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "device_not_on_order", "%s",
                     r.body);
    harness_http_free(&r);
    r = console_bearer("GET", path, agent, NULL);
    cr_assert_eq(json_array_size(json_object_get(r.json, "devices")), 3,
                 "unchanged: %s", r.body);
    harness_http_free(&r);
    r = console_bearer("PATCH", path, agent,
                       "{\"devices\":[{\"model\":\"PSU-12V\","
                       "\"serial_number\":\"PSU-EDIT-0001\"}]}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);

    /* A camera the order does not have, though the request's items (not
     * the stored order's) name it. */
    body = create_on_order(
        buyer, order, "CAM-4K-OUT",
        "[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"CAM-OFF-0001\"}]");
    expect_off_order(agent, body, order);
    free(body);
    /* A third power supply of an order of two. */
    body = create_on_order(
        buyer, order, "PSU-12V",
        "[{\"model\":\"PSU-12V\",\"serial_number\":\"PSU-OFF-0001\"},"
        "{\"model\":\"PSU-12V\",\"serial_number\":\"PSU-OFF-0002\"},"
        "{\"model\":\"PSU-12V\",\"serial_number\":\"PSU-OFF-0003\"}]");
    expect_off_order(agent, body, order);
    free(body);
    /* An order entered with the case: its own lines rule, and nothing is
     * stored when a device is not on them. */
    char fresh[64];
    snprintf(fresh, sizeof(fresh), "NEWOFF-%d", (int)getpid());
    body = create_on_order(buyer, fresh, "NVR-8CH",
                           "[{\"model\":\"DB-PRO\",\"uid\":\"DBP-OFF-0001\"}]");
    expect_off_order(agent, body, fresh);
    free(body);

    free(agent);
    free(buyer);
}

/* The supervisor's decisions (hold, deadline, validity) and the
 * warehouse's repair quote, as the console offers them on the case page:
 * a person of any other role is refused (403) before anything is read,
 * the role they belong to reaches the case (its answer is about the case,
 * never 403). */
Test(authorization, case_page_decisions_belong_to_their_role_alone)
{
    char *agent = token_for("agent");
    char *customer = harness_unique_email("matrix");
    char *number = harness_create_case(agent, customer, "repair", true);
    char deadline[32];
    console_time(40L * 86400, deadline);
    char extension[160];
    snprintf(extension, sizeof(extension),
             "{\"deadline\":\"%s\",\"reason\":\"Abroad.\"}", deadline);
    const struct {
        const char *path, *body, *role;
    } actions[] = {
        {"waive-hold", "{\"reason\":\"Goodwill.\"}", "supervisor"},
        {"capture-now", "{\"reason\":\"Kept the unit.\"}", "supervisor"},
        {"deadline-extension", extension, "supervisor"},
        {"validity-extension", "{\"days\":30,\"reason\":\"In hospital.\"}",
         "supervisor"},
        {"quote",
         "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"49.00\"}}",
         "warehouse"},
    };
    const char *roles[] = {"agent", "supervisor", "warehouse", "finance",
                           "admin"};
    for (size_t p = 0; p < sizeof(roles) / sizeof(roles[0]); p++) {
        char *email = console_person(roles[p]);
        char *cookie = console_login(email);
        for (size_t a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
            char path[160];
            snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/%s", number,
                     actions[a].path);
            struct http_result r =
                console_call("POST", path, cookie, actions[a].body);
            if (strcmp(roles[p], actions[a].role) == 0)
                cr_assert(r.status != 403 && r.status != 401 && r.status < 500,
                          "%s may %s: %ld %s", roles[p], actions[a].path,
                          r.status, r.body);
            else
                cr_assert_eq(r.status, 403, "%s may not %s: %s", roles[p],
                             actions[a].path, r.body);
            harness_http_free(&r);
        }
        free(cookie);
        free(email);
    }
    /* The supervisor's validity extension reached the case
     * (pending_confirm: it applies). */
    cr_assert_eq(console_sql_long("SELECT coalesce(validity_extension_days, 0)"
                                  " FROM rma WHERE number = '%s'",
                                  number),
                 30);
    free(number);
    free(customer);
    free(agent);
}

/* The warehouse's paper: a case's outbound packing slip and the pick list
 * are HTML pages (with the print stylesheet, every text escaped), in the
 * person's session; the pick list is the warehouse's (and the admin's). */
Test(paper, packing_slip_and_pick_list_print_for_the_warehouse)
{
    char *agent = token_for("agent");
    char *customer = harness_unique_email("paper");
    char *number = harness_create_case(agent, customer, "resend", true);
    char *person = console_person("warehouse");
    char *cookie = console_login(person);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/packing-slip", number);
    struct http_result r = console_call("GET", path, cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char type[128];
    cr_assert_not_null(harness_header(&r, "Content-Type", type, sizeof(type)));
    cr_assert_not_null(strstr(type, "text/html"), "%s", type);
    cr_assert_not_null(strstr(r.body, "/staff/css/paper.css"), "%s", r.body);
    cr_assert_not_null(strstr(r.body, number), "%s", r.body);
    cr_assert_not_null(strstr(r.body, "CAM-4K-OUT"), "%s", r.body);
    cr_assert_not_null(strstr(r.body, "SN-E2E-0001"), "%s", r.body);
    cr_assert_null(strstr(r.body, "<script>"), "no inline script");
    harness_http_free(&r);
    r = console_call("GET", "/api/v1/staff/rmas/RMA-2000-999999/packing-slip",
                     cookie, NULL);
    cr_assert_eq(r.status, 404, "%s", r.body);
    harness_http_free(&r);

    /* A resend the customer agreed to awaits shipment: on the pick list. */
    char *cust_cookie = harness_login(customer);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    r = harness_http("POST", path, harness_portal_headers(cust_cookie, NULL),
                     NULL, 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    r = console_call("GET", path, cookie, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "awaiting_shipment", "%s", r.body);
    harness_http_free(&r);
    r = console_call("GET", "/api/v1/staff/pick-list", cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_not_null(strstr(r.body, "<h1>Pick list</h1>"), "%s", r.body);
    cr_assert_not_null(strstr(r.body, number), "on the pick list: %s", r.body);
    harness_http_free(&r);

    /* The pick list is not finance's. */
    char *fin = console_person("finance");
    char *fin_cookie = console_login(fin);
    r = console_call("GET", "/api/v1/staff/pick-list", fin_cookie, NULL);
    cr_assert_eq(r.status, 403, "%s", r.body);
    harness_http_free(&r);
    free(fin_cookie);
    free(fin);
    free(cust_cookie);
    free(cookie);
    free(person);
    free(number);
    free(customer);
    free(agent);
}

/* The case page asks for one case's exceptions: ?rma= takes an RMA number
 * and lists that case's only. */
Test(exceptions, the_list_takes_one_cases_number)
{
    char *person = console_person("finance");
    char *cookie = console_login(person);
    struct http_result r = console_call(
        "GET", "/api/v1/staff/exceptions?rma=not-a-number", cookie, NULL);
    cr_assert_eq(r.status, 400, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "invalid_rma", "%s", r.body);
    harness_http_free(&r);
    r = console_call("GET",
                     "/api/v1/staff/exceptions?status=all&rma=RMA-2000-999999",
                     cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_eq(json_array_size(json_object_get(r.json, "exceptions")), 0,
                 "%s", r.body);
    harness_http_free(&r);
    free(cookie);
    free(person);
}
