/* test_security.c - the attack surface at a glance (SPEC §12): every route
 * of the route table (src/routes.c, read here, so a new endpoint is
 * covered the day it is added) called by every staff role, by no one, by a
 * customer who does not own the case; SQL metacharacters and oversized
 * input in text fields; and the edges of issue 15, each named after its
 * hole: amounts past 10^12 minor units, an Idempotency-Key reused with
 * another body, the test clock without test_clock, non-ASCII addresses,
 * four eyes; the console's people (sessions by role, each queue by role,
 * customer and staff sessions never crossing).  CSRF, rate limits,
 * enumeration and upload spoofing have their own tests (test_customer.c,
 * test_upload.c, test_webhook.c; the console's sign-in, CSRF and limits in
 * test_console.c; the timing of /auth/code in test_auth_timing.c); this
 * file lists them in its header so a reviewer finds them. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../console_harness.h"
#include "rma/api.h"
#include "rma/console.h"

static const struct {
    enum staff_role role;
    const char *name;
} roles[] = {
    {ROLE_AGENT, "agent"},         {ROLE_SUPERVISOR, "supervisor"},
    {ROLE_WAREHOUSE, "warehouse"}, {ROLE_FINANCE, "finance"},
    {ROLE_ADMIN, "admin"},
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

static const char *
method_name(enum http_method m)
{
    switch (m) {
    case HTTP_GET: return "GET";
    case HTTP_HEAD: return "HEAD";
    case HTTP_POST: return "POST";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_DELETE: return "DELETE";
    }
    return "GET";
}

/* The pattern with its parameters filled in. */
static void
fill(const char *pattern, const char *number, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 1 < n;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            /* An id nothing has: the matrix deactivates, revokes and
             * resolves nothing of another test's. */
            const char *v = "1";
            if (strncmp(p, "{id}", 4) == 0)
                v = "999999999";
            else if (strncmp(p, "{name}", 6) == 0)
                v = "no-such-queue"; /* each queue: its own matrix */
            else if (strncmp(p, "{number}", 8) == 0)
                v = number;
            else if (strncmp(p, "{kind}", 6) == 0)
                v = strstr(pattern, "exports") ? "ledger" : "product_photo";
            o += (size_t)snprintf(out + o, n - o, "%s", v);
            p = end + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static long
call(const struct route *r, const char *path, const char *const *headers)
{
    const char *body = r->body == BODY_JSON ? "{}" : NULL;
    struct http_result res =
        harness_http(method_name(r->method), path, headers, body, body ? 2 : 0);
    long status = res.status;
    harness_http_free(&res);
    return status;
}

Test(security, every_staff_route_refuses_other_roles_and_anonymous_callers)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-a"));
    char *email = harness_unique_email("matrix");
    char *number = harness_create_case(agent, email, "replacement", true);
    char *tokens[NROLES];
    for (size_t i = 0; i < NROLES; i++)
        tokens[i] = harness_staff_token(roles[i].name,
                                        harness_unique_email(roles[i].name));
    int checked = 0;
    for (size_t k = 0; k < n_routes; k++) {
        const struct route *r = &routes[k];
        if (r->auth != AUTH_STAFF)
            continue;
        char path[512];
        fill(r->pattern, number, path, sizeof(path));
        const char *anon[] = {"Content-Type: application/json", NULL};
        cr_expect_eq(call(r, path, anon), 401, "%s %s without a token",
                     method_name(r->method), r->pattern);
        for (size_t i = 0; i < NROLES; i++) {
            char auth[256];
            snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tokens[i]);
            const char *h[] = {auth, "Content-Type: application/json", NULL};
            long s = call(r, path, h);
            if (r->roles & roles[i].role)
                cr_expect(s != 401 && s != 403, "%s %s as %s: %ld",
                          method_name(r->method), r->pattern, roles[i].name, s);
            else
                cr_expect_eq(s, 403, "%s %s as %s", method_name(r->method),
                             r->pattern, roles[i].name);
            checked++;
        }
    }
    cr_assert_gt(checked, 20, "the matrix covered %d calls", checked);
    for (size_t i = 0; i < NROLES; i++)
        free(tokens[i]);
    free(number);
    free(email);
    free(agent);
}

/* The console's people (SPEC §15): the same matrix with each role's
 * session instead of a token (mutating calls with the console's CSRF
 * header); a customer's session is refused on every staff route (401),
 * and without the console's header a person's mutating call is a 403
 * csrf whatever the role. */
Test(security, every_staff_route_takes_people_by_role_and_refuses_customers)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-p"));
    char *email = harness_unique_email("matrix-people");
    char *number = harness_create_case(agent, email, "replacement", true);
    char *customer = harness_login(email);
    char *cookies[NROLES];
    for (size_t i = 0; i < NROLES; i++) {
        char *person = console_person(roles[i].name);
        cookies[i] = console_login(person);
        free(person);
    }
    int checked = 0;
    for (size_t k = 0; k < n_routes; k++) {
        const struct route *r = &routes[k];
        if (r->auth != AUTH_STAFF)
            continue;
        char path[512];
        fill(r->pattern, number, path, sizeof(path));
        cr_expect_eq(call(r, path, console_headers(customer, true, NULL)), 401,
                     "%s %s with a customer's session", method_name(r->method),
                     r->pattern);
        /* Logging out is its own test (test_console.c): it would end the
         * session the rest of the matrix uses. */
        if (r->method == HTTP_DELETE && strstr(r->pattern, "/auth/session"))
            continue;
        for (size_t i = 0; i < NROLES; i++) {
            bool mut = r->method != HTTP_GET && r->method != HTTP_HEAD;
            if (mut) {
                long s =
                    call(r, path, console_headers(cookies[i], false, NULL));
                cr_expect_eq(s, 403, "%s %s as a %s without the header",
                             method_name(r->method), r->pattern, roles[i].name);
            }
            long s = call(r, path, console_headers(cookies[i], true, NULL));
            if (r->roles & roles[i].role)
                cr_expect(s != 401 && s != 403, "%s %s as a %s person: %ld",
                          method_name(r->method), r->pattern, roles[i].name, s);
            else
                cr_expect_eq(s, 403, "%s %s as a %s person",
                             method_name(r->method), r->pattern, roles[i].name);
            checked++;
        }
    }
    /* Each queue: its roles' (and an admin's), a 403 for the others. */
    for (size_t q = 0; q < console_nqueues; q++) {
        char path[128];
        snprintf(path, sizeof(path), "/api/v1/staff/queues/%s",
                 console_queues[q].name);
        for (size_t i = 0; i < NROLES; i++) {
            struct http_result res = harness_http(
                "GET", path, console_headers(cookies[i], false, NULL), NULL, 0);
            bool mine = roles[i].role == ROLE_ADMIN ||
                        (console_queues[q].roles & roles[i].role);
            cr_expect_eq(res.status, mine ? 200 : 403, "queue %s as a %s",
                         console_queues[q].name, roles[i].name);
            harness_http_free(&res);
            checked++;
        }
    }
    cr_assert_gt(checked, 20, "the matrix covered %d calls", checked);
    for (size_t i = 0; i < NROLES; i++)
        free(cookies[i]);
    free(customer);
    free(number);
    free(email);
    free(agent);
}

Test(security, every_customer_route_needs_a_session_and_hides_others_cases)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-c"));
    char *owner = harness_unique_email("owner");
    char *other = harness_unique_email("other");
    char *number = harness_create_case(agent, owner, "replacement", true);
    free(harness_create_case(agent, other, "refund", true));
    char *cookie = harness_login(other);
    char *agent_person = console_person("agent");
    char *person = console_login(agent_person);
    int checked = 0;
    for (size_t k = 0; k < n_routes; k++) {
        const struct route *r = &routes[k];
        if (r->auth != AUTH_CUSTOMER)
            continue;
        char path[512];
        fill(r->pattern, number, path, sizeof(path));
        /* No session, even with a staff token: 401. */
        char auth[256];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", agent);
        const char *staff[] = {auth, "Content-Type: application/json",
                               "X-Requested-With: rma-portal", NULL};
        cr_expect_eq(call(r, path, staff), 401, "%s %s without a session",
                     method_name(r->method), r->pattern);
        /* A person's console session is no customer's. */
        char cookie_line[600];
        snprintf(cookie_line, sizeof(cookie_line), "Cookie: %s", person);
        const char *console[] = {"Content-Type: application/json",
                                 "X-Requested-With: rma-portal", cookie_line,
                                 NULL};
        cr_expect_eq(call(r, path, console), 401, "%s %s with a staff session",
                     method_name(r->method), r->pattern);
        /* Another customer's case: answered exactly like a number that
         * does not exist (no enumeration), and never a success. */
        if (strstr(r->pattern, "{number}") != NULL) {
            char unknown[512];
            fill(r->pattern, "RMA-2099-999999", unknown, sizeof(unknown));
            long s = call(r, path, harness_portal_headers(cookie, NULL));
            long u = call(r, unknown, harness_portal_headers(cookie, NULL));
            cr_expect_eq(s, u, "%s %s: %ld for another's case, %ld for none",
                         method_name(r->method), r->pattern, s, u);
            cr_expect(s >= 400, "%s %s of another customer: %ld",
                      method_name(r->method), r->pattern, s);
        }
        checked++;
    }
    cr_assert_gt(checked, 8, "%d customer routes", checked);
    free(person);
    free(agent_person);
    free(cookie);
    free(number);
    free(other);
    free(owner);
    free(agent);
}

Test(security, sql_metacharacters_and_oversized_text_are_plain_data)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-s"));
    char *email = harness_unique_email("sqli");
    char *number = harness_create_case(agent, email, "replacement", true);
    char *cookie = harness_login(email);
    static const char *const evil[] = {
        "'; DROP TABLE rma; --", "\\\" OR 1=1 --", "%' OR '%'='",
        "$1); SELECT pg_sleep(5); --", "\\\\x00\\\\u0000"};
    char path[256], body[512];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/disagree", number);
    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        snprintf(body, sizeof(body), "{\"comment\":\"%s\"}", evil[i]);
        struct http_result r =
            harness_http("POST", path, harness_portal_headers(cookie, NULL),
                         body, strlen(body));
        cr_expect(r.status == 200 || r.status == 409 || r.status == 400,
                  "%s -> %ld %s", evil[i], r.status, r.body);
        harness_http_free(&r);
    }
    /* Search with metacharacters: an answer, never an error. */
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", agent);
    const char *h[] = {auth, NULL};
    struct http_result r = harness_http(
        "GET", "/api/v1/staff/rmas?q=%27%3B%20DROP%20TABLE%20rma%3B--", h, NULL,
        0);
    cr_expect_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    /* The table is still there, the comment stored verbatim. */
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/events", number);
    r = harness_http("GET", path, harness_portal_headers(cookie, NULL), NULL,
                     0);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "DROP TABLE rma") != NULL, "%s", r.body);
    harness_http_free(&r);
    /* Oversized text: 2001 characters of comment is refused (422), a body
     * over max_body_bytes is 413. */
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/disagree", number);
    size_t big = 2001 + 20;
    char *b = malloc(big + 1);
    int o = snprintf(b, big + 1, "{\"comment\":\"");
    memset(b + o, 'x', 2001);
    snprintf(b + o + 2001, big + 1 - (size_t)o - 2001, "\"}");
    r = harness_http("POST", path, harness_portal_headers(cookie, NULL), b,
                     strlen(b));
    cr_expect(r.status == 422 || r.status == 409, "%ld %s", r.status, r.body);
    harness_http_free(&r);
    free(b);
    size_t huge = 2 * 1024 * 1024;
    b = malloc(huge + 1);
    memset(b, ' ', huge);
    b[0] = '{';
    b[huge - 1] = '}';
    b[huge] = '\0';
    r = harness_http("POST", path, harness_portal_headers(cookie, NULL), b,
                     huge);
    cr_expect_eq(r.status, 413, "%ld", r.status);
    harness_http_free(&r);
    free(b);
    free(cookie);
    free(number);
    free(email);
    free(agent);
}

/* ---- helpers of the edge-safety tests below ---- */

/* A single value from the database (as the admin). Caller owns. */
static char *
sql(const char *fmt, ...)
{
    char q[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    char *out = harness_runf(false, "%s '%s' -XAtq -c \"%s\"",
                             harness_env("RMA_TEST_PSQL"),
                             harness_env("RMA_TEST_ADMIN_URL"), q);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static long
sql_long(const char *fmt, const char *arg)
{
    char *v = sql(fmt, arg);
    long n = strtol(v, NULL, 10);
    free(v);
    return n;
}

static struct http_result
staff_call(const char *method, const char *path, const char *token,
           const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

/* POST /staff/rmas for a replacement of one item: quantity x unit_price,
 * replacement_value, all in USD, under order number order. */
static struct http_result
create_priced(const char *token, const char *order, int quantity,
              const char *unit_price, const char *replacement)
{
    char *email = harness_unique_email("money");
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Money Test\"},"
             "\"order\":{\"order_number\":\"%s\",\"sales_channel\":\"web\","
             "\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"CAM-4K-OUT\",\"quantity\":%d,\"unit_price\":{"
             "\"currency_code\":\"USD\",\"value\":\"%s\"}}]},"
             "\"kind\":\"replacement\",\"problem\":\"No power.\","
             "\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":"
             "\"SN-MONEY-1\"}],\"replacement_value\":{\"currency_code\":"
             "\"USD\",\"value\":\"%s\"}}",
             email, order, quantity, unit_price, replacement);
    free(email);
    return staff_call("POST", "/api/v1/staff/rmas", token, body);
}

static long
orders_named(const char *order)
{
    return sql_long("SELECT count(*) FROM original_order"
                    " WHERE order_number = '%s'",
                    order);
}

/* A unit price near 2^63 times a quantity overflowed int64 (undefined
 * behaviour in C, "bigint out of range" on every later read).  Every money
 * input is at most 10^12 minor units, every sum is checked: exactly 10^12
 * is accepted, one minor unit more is a 422 with nothing stored. */
Test(security, money_past_ten_to_the_twelve_minor_units_is_refused)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-money"));
    char order[64];
    unsigned stamp = (unsigned)getpid();

    /* Exactly the bound: accepted. */
    snprintf(order, sizeof(order), "SO-MAX-%u", stamp);
    struct http_result r =
        create_priced(agent, order, 1, "10000000000.00", "10000000000.00");
    cr_assert_eq(r.status, 201, "%s", r.body);
    char number[32];
    snprintf(number, sizeof(number), "%s",
             json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);

    /* One past, in each money field, and in the order's total. */
    static const struct {
        int quantity;
        const char *unit_price, *replacement;
        const char *field;
    } bad[] = {
        {1, "10000000000.01", "1.00", "unit_price"},
        {1, "1.00", "10000000000.01", "replacement_value"},
        {2, "5000000000.01", "1.00", "items"},
        {2, "92233720368547758.07", "1.00", "unit_price"},
        {1000, "9223372036854775.80", "1.00", "unit_price"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(order, sizeof(order), "SO-OVER-%u-%zu", stamp, i);
        r = create_priced(agent, order, bad[i].quantity, bad[i].unit_price,
                          bad[i].replacement);
        cr_expect_eq(r.status, 422, "case %zu: %ld %s", i, r.status, r.body);
        const char *code = harness_error_code(&r);
        cr_expect(code != NULL && strcmp(code, "amount_out_of_range") == 0,
                  "case %zu: %s", i, r.body);
        const char *field = json_string_value(
            json_object_get(json_object_get(r.json, "error"), "field"));
        cr_expect(field != NULL && strcmp(field, bad[i].field) == 0,
                  "case %zu names %s: %s", i, bad[i].field, r.body);
        harness_http_free(&r);
        cr_expect_eq(orders_named(order), 0, "case %zu: nothing stored", i);
    }

    /* PATCH: the same bound, nothing changed. */
    char path[128], body[256];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", number);
    snprintf(body, sizeof(body),
             "{\"replacement_value\":{\"currency_code\":\"USD\","
             "\"value\":\"10000000000.01\"}}");
    r = staff_call("PATCH", path, agent, body);
    cr_expect_eq(r.status, 422, "%s", r.body);
    cr_expect_str_eq(harness_error_code(&r), "amount_out_of_range");
    harness_http_free(&r);
    snprintf(body, sizeof(body),
             "{\"makeup_due\":{\"currency_code\":\"USD\","
             "\"value\":\"92233720368547758.07\"},"
             "\"makeup_reason\":\"shipping_fee\"}");
    r = staff_call("PATCH", path, agent, body);
    cr_expect_eq(r.status, 422, "%s", r.body);
    cr_expect_str_eq(harness_error_code(&r), "amount_out_of_range");
    harness_http_free(&r);
    cr_expect_eq(sql_long("SELECT count(*) FROM rma WHERE number = '%s'"
                          " AND replacement_minor = 1000000000000"
                          " AND makeup_due_minor IS NULL",
                          number),
                 1, "the case is as created");
    /* Reads still work: no stored amount is out of range. */
    r = staff_call("GET", path, agent, NULL);
    cr_expect_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);

    /* The database refuses what the service would: the last line. */
    char *out =
        harness_runf(true,
                     "%s '%s' -XAtq -c \"UPDATE rma SET replacement_minor ="
                     " 1000000000001 WHERE number = '%s'\" 2>&1",
                     harness_env("RMA_TEST_PSQL"),
                     harness_env("RMA_TEST_ADMIN_URL"), number);
    cr_expect(strstr(out, "violates check constraint") != NULL, "%s", out);
    free(out);
    free(agent);
}

/* A case without problem or devices is a 422 naming the field (the body
 * was once read after it was freed to find that name). */
Test(security, a_case_without_problem_names_the_field)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-uaf"));
    struct http_result r =
        staff_call("POST", "/api/v1/staff/rmas", agent,
                   "{\"customer\":{\"email\":\"uaf@example.com\",\"name\":"
                   "\"U\"},\"order\":{\"order_number\":\"SO-UAF\","
                   "\"sales_channel\":\"web\",\"shipping_country\":\"US\","
                   "\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\","
                   "\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,"
                   "\"unit_price\":{\"currency_code\":\"USD\",\"value\":"
                   "\"1.00\"}}]},\"kind\":\"replacement\",\"devices\":[{"
                   "\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-UAF-1\"}],"
                   "\"replacement_value\":{\"currency_code\":\"USD\","
                   "\"value\":\"1.00\"}}");
    cr_expect_eq(r.status, 422, "%s", r.body);
    const char *field = json_string_value(
        json_object_get(json_object_get(r.json, "error"), "field"));
    cr_expect(field != NULL && strcmp(field, "problem") == 0, "%s", r.body);
    harness_http_free(&r);
    free(agent);
}

static struct http_result
upload(const char *cookie, const char *number, const char *key,
       const char *fixture)
{
    char path[512], cookie_line[512], key_line[256];
    snprintf(path, sizeof(path), "%s/%s", IMAGE_FIXTURES, fixture);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static unsigned char data[1 << 16];
    size_t len = fread(data, 1, sizeof(data), f);
    fclose(f);
    snprintf(cookie_line, sizeof(cookie_line), "Cookie: %s", cookie);
    snprintf(key_line, sizeof(key_line), "Idempotency-Key: %s", key);
    const char *h[] = {"X-Requested-With: rma-portal",
                       "Content-Type: application/octet-stream", cookie_line,
                       key_line, NULL};
    snprintf(path, sizeof(path),
             "/api/v1/rmas/%s/attachments/proof_of_purchase", number);
    return harness_http("PUT", path, h, (const char *)data, len);
}

/* An Idempotency-Key names one request: the same key with another body
 * (an upload's bytes included) is a 422, never the first answer replayed
 * over a request that was not made; the same key and body replay it. */
Test(security, idempotency_key_reused_with_another_body_is_refused)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-idem"));
    char *email = harness_unique_email("idem");
    char *number = harness_create_case(agent, email, "replacement", true);
    char *cookie = harness_login(email);
    char key[64], key_line[96];
    snprintf(key, sizeof(key), "idem-upload-%d", (int)getpid());

    struct http_result first = upload(cookie, number, key, "tiny.jpg");
    cr_assert_eq(first.status, 201, "%s", first.body);
    struct http_result other = upload(cookie, number, key, "tiny.png");
    cr_expect_eq(other.status, 422, "another file under the key: %ld %s",
                 other.status, other.body);
    cr_expect_str_eq(harness_error_code(&other) ? harness_error_code(&other)
                                                : "",
                     "idempotency_key_reused");
    harness_http_free(&other);
    cr_expect_eq(sql_long("SELECT count(*) FROM attachment a JOIN rma r"
                          " ON r.id = a.rma_id WHERE r.number = '%s'",
                          number),
                 1, "the second file was not stored");
    struct http_result again = upload(cookie, number, key, "tiny.jpg");
    cr_expect_eq(again.status, 201, "%s", again.body);
    cr_expect_eq(again.body_len, first.body_len);
    cr_expect(again.body_len == first.body_len &&
                  memcmp(again.body, first.body, first.body_len) == 0,
              "the same key and file replay the first answer: %s", again.body);
    char value[64];
    cr_expect_not_null(
        harness_header(&again, "Idempotent-Replay", value, sizeof(value)));
    harness_http_free(&again);
    harness_http_free(&first);

    /* JSON bodies: the same rule. */
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/disagree", number);
    snprintf(key_line, sizeof(key_line), "Idempotency-Key: idem-json-%d",
             (int)getpid());
    const char *body1 = "{\"comment\":\"The colour is wrong.\"}";
    const char *body2 = "{\"comment\":\"Something else entirely.\"}";
    struct http_result a =
        harness_http("POST", path, harness_portal_headers(cookie, key_line),
                     body1, strlen(body1));
    cr_expect_eq(a.status, 200, "%s", a.body);
    struct http_result b =
        harness_http("POST", path, harness_portal_headers(cookie, key_line),
                     body2, strlen(body2));
    cr_expect_eq(b.status, 422, "%s", b.body);
    cr_expect_str_eq(harness_error_code(&b) ? harness_error_code(&b) : "",
                     "idempotency_key_reused");
    struct http_result c =
        harness_http("POST", path, harness_portal_headers(cookie, key_line),
                     body1, strlen(body1));
    cr_expect_eq(c.status, 200, "%s", c.body);
    cr_expect(c.body_len == a.body_len &&
                  memcmp(c.body, a.body, a.body_len) == 0,
              "replayed");
    harness_http_free(&a);
    harness_http_free(&b);
    harness_http_free(&c);
    free(cookie);
    free(number);
    free(email);
    free(agent);
}

/* ---- FastCGI straight to a worker of our own, without nginx ---- */

static void
write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        cr_assert_gt(w, 0, "write to the worker socket");
        c += w;
        n -= (size_t)w;
    }
}

static void
fcgi_record(int fd, int type, const void *data, size_t n)
{
    unsigned char h[8] = {1,
                          (unsigned char)type,
                          0,
                          1,
                          (unsigned char)(n >> 8),
                          (unsigned char)(n & 0xFF),
                          0,
                          0};
    write_all(fd, h, 8);
    if (n > 0)
        write_all(fd, data, n);
}

static size_t
fcgi_pair(unsigned char *out, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    cr_assert(nl < 128 && vl < 128);
    out[0] = (unsigned char)nl;
    out[1] = (unsigned char)vl;
    memcpy(out + 2, name, nl);
    memcpy(out + 2 + nl, value, vl);
    return 2 + nl + vl;
}

/* POST of a JSON body to path on the worker listening on socket_path, with
 * the header X-Rma-Test-Now: now.  Returns the status. */
static int
fcgi_post(const char *socket_path, const char *path, const char *body,
          const char *now)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
                 "connect %s", sa.sun_path);
    const unsigned char begin[8] = {0, 1, 0, 0, 0, 0, 0, 0}; /* responder */
    fcgi_record(fd, 1, begin, 8);
    unsigned char params[2048];
    char len[24];
    snprintf(len, sizeof(len), "%zu", strlen(body));
    size_t np = 0;
    np += fcgi_pair(params + np, "REQUEST_METHOD", "POST");
    np += fcgi_pair(params + np, "DOCUMENT_URI", path);
    np += fcgi_pair(params + np, "QUERY_STRING", "");
    np += fcgi_pair(params + np, "CONTENT_TYPE", "application/json");
    np += fcgi_pair(params + np, "CONTENT_LENGTH", len);
    np += fcgi_pair(params + np, "REMOTE_ADDR", "127.0.0.1");
    np += fcgi_pair(params + np, "HTTP_X_REQUESTED_WITH", "rma-portal");
    np += fcgi_pair(params + np, "HTTP_X_RMA_TEST_NOW", now);
    fcgi_record(fd, 4, params, np);
    fcgi_record(fd, 4, NULL, 0);
    fcgi_record(fd, 5, body, strlen(body));
    fcgi_record(fd, 5, NULL, 0);
    char out[4096] = "";
    size_t got = 0;
    for (;;) {
        unsigned char h[8];
        if (read(fd, h, 8) != 8)
            break;
        size_t n = (size_t)h[4] << 8 | h[5], pad = h[6];
        char data[65536 + 256];
        size_t r = 0;
        while (r < n + pad) {
            ssize_t k = read(fd, data + r, n + pad - r);
            cr_assert_gt(k, 0);
            r += (size_t)k;
        }
        if (h[1] == 6 && got + n < sizeof(out)) {
            memcpy(out + got, data, n);
            got += n;
        }
        if (h[1] == 3) /* END_REQUEST */
            break;
    }
    close(fd);
    out[got < sizeof(out) ? got : sizeof(out) - 1] = '\0';
    int status = 0;
    cr_assert_eq(sscanf(out, "Status: %d", &status), 1, "answer: %s", out);
    return status;
}

static long
login_code_year(const char *email)
{
    return sql_long("SELECT coalesce(max(extract(year FROM created_at)), 0)"
                    " FROM login_code WHERE email = '%s'",
                    email);
}

/* test_mode lets the service talk to the simulator over plain HTTP; alone
 * it must not let any client move the service's clock (and so slip out of
 * every rate-limit window) with X-Rma-Test-Now: that takes test_clock. */
Test(security, test_clock_header_needs_test_clock_not_only_test_mode)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-clk"));
    char *with = harness_unique_email("clock-on");
    char *without = harness_unique_email("clock-off");
    free(harness_create_case(agent, with, "replacement", true));
    free(harness_create_case(agent, without, "replacement", true));

    /* The suite's workers have test_clock = true: the header is honoured. */
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", with);
    struct http_result r = harness_http(
        "POST", "/api/v1/auth/code",
        harness_portal_headers(NULL, "X-Rma-Test-Now: 2091-01-01T00:00:00Z"),
        body, strlen(body));
    cr_assert_eq(r.status, 202, "%s", r.body);
    harness_http_free(&r);
    cr_expect_eq(login_code_year(with), 2091);

    /* A worker of the same configuration with test_clock off (test_mode
     * still on) ignores it. */
    char sock[256], cmd[1024];
    snprintf(sock, sizeof(sock), "%s/noclock-%d.sock",
             harness_env("RMA_TEST_RUN"), (int)getpid());
    snprintf(cmd, sizeof(cmd),
             "RMA_TEST_CLOCK=false RMA_TEST_MODE=true rma-fcgi --config '%s' "
             "--socket '%s' --workers 1 >>'%s/log/rma-fcgi-noclock.log' 2>&1 &"
             " echo $!",
             harness_env("RMA_CONFIG"), sock, harness_env("RMA_TEST_RUN"));
    char *pid = harness_runf(false, "%s", cmd);
    struct stat st;
    for (int i = 0; i < 100 && stat(sock, &st) != 0; i++)
        usleep(100 * 1000);
    cr_assert_eq(stat(sock, &st), 0, "the extra worker did not start");
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", without);
    int status =
        fcgi_post(sock, "/api/v1/auth/code", body, "2091-01-01T00:00:00Z");
    free(harness_runf(true, "kill -TERM %ld", strtol(pid, NULL, 10)));
    free(pid);
    cr_expect_eq(status, 202);
    long year = login_code_year(without);
    cr_expect(year > 2020 && year < 2090,
              "the code was made at the real time, not 2091 (%ld)", year);
    free(without);
    free(with);
    free(agent);
}

/* Non-ASCII addresses were accepted at case creation and refused by mail,
 * so /auth/code answered 400 for a known one and 202 for an unknown one
 * (an existence leak), and that customer could never sign in.  One rule
 * from creation to delivery: ASCII only. */
Test(security, non_ascii_email_is_refused_at_creation_and_leaks_nothing)
{
    char *agent = harness_staff_token("agent", harness_unique_email("m-utf"));
    char known[128], unknown[128];
    snprintf(known, sizeof(known), "j\xc3\xbcrgen-%d@example.com",
             (int)getpid());
    snprintf(unknown, sizeof(unknown), "zo\xc3\xab-%d@example.com",
             (int)getpid());
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"J\xc3\xbcrgen\"},"
             "\"order\":{\"order_number\":\"SO-UTF-%d\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"DE\",\"currency\":\"EUR\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{"
             "\"currency_code\":\"EUR\",\"value\":\"129.99\"}}]},"
             "\"kind\":\"replacement\",\"problem\":\"No power.\","
             "\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":"
             "\"SN-UTF-1\"}],\"replacement_value\":{\"currency_code\":"
             "\"EUR\",\"value\":\"129.99\"}}",
             known, (int)getpid());
    struct http_result r =
        staff_call("POST", "/api/v1/staff/rmas", agent, body);
    cr_expect_eq(r.status, 422, "%ld %s", r.status, r.body);
    cr_expect_str_eq(harness_error_code(&r) ? harness_error_code(&r) : "",
                     "invalid_email");
    harness_http_free(&r);
    cr_expect_eq(
        sql_long("SELECT count(*) FROM customer WHERE email = '%s'", known), 0,
        "nothing stored");

    /* /auth/code: the same answer whoever the address belongs to. */
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", known);
    struct http_result a =
        harness_http("POST", "/api/v1/auth/code",
                     harness_portal_headers(NULL, NULL), body, strlen(body));
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", unknown);
    struct http_result b =
        harness_http("POST", "/api/v1/auth/code",
                     harness_portal_headers(NULL, NULL), body, strlen(body));
    cr_expect_eq(a.status, b.status, "%ld %s / %ld %s", a.status, a.body,
                 b.status, b.body);
    cr_expect_eq(a.status, 422, "%s", a.body);
    cr_expect(a.body_len == b.body_len &&
                  memcmp(a.body, b.body, a.body_len) == 0,
              "identical answers: %s / %s", a.body, b.body);
    harness_http_free(&a);
    harness_http_free(&b);
    free(agent);
}

static char *
case_for_review(const char *token, const char *email)
{
    /* 600.00 is above the suite's supervisor_review threshold (500.00). */
    static int serial;
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"customer\":{\"email\":\"%s\",\"name\":\"Four Eyes\"},"
             "\"order\":{\"order_number\":\"SO-4E-%d-%d\",\"sales_channel\":"
             "\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\","
             "\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":"
             "\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{"
             "\"currency_code\":\"USD\",\"value\":\"600.00\"}}]},"
             "\"kind\":\"replacement\",\"problem\":\"No power.\","
             "\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":"
             "\"SN-4E-1\"}],\"replacement_value\":{\"currency_code\":"
             "\"USD\",\"value\":\"600.00\"}}",
             email, (int)getpid(), ++serial);
    struct http_result r =
        staff_call("POST", "/api/v1/staff/rmas", token, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    char *number = strdup(json_string_value(json_object_get(r.json, "number")));
    harness_http_free(&r);
    return number;
}

static long
staff_post(const char *token, const char *number, const char *action,
           struct http_result *out)
{
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/%s", number, action);
    *out = staff_call("POST", path, token, NULL);
    return out->status;
}

/* SPEC §15: with supervisor_review other than never, nobody approves a
 * case they created or edited (403 four_eyes); another supervisor can. */
Test(security, four_eyes_a_supervisor_cannot_approve_own_case)
{
    char *s1 = harness_staff_token("supervisor", harness_unique_email("m-s1"));
    char *s2 = harness_staff_token("supervisor", harness_unique_email("m-s2"));
    char *agent = harness_staff_token("agent", harness_unique_email("m-4a"));
    char *email = harness_unique_email("foureyes");
    struct http_result r;

    /* Created by s1. */
    char *number = case_for_review(s1, email);
    cr_assert_eq(staff_post(s1, number, "submit", &r), 200, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                     "pending_review");
    harness_http_free(&r);
    cr_expect_eq(staff_post(s1, number, "approve", &r), 403, "%s", r.body);
    cr_expect_str_eq(harness_error_code(&r) ? harness_error_code(&r) : "",
                     "four_eyes");
    harness_http_free(&r);
    cr_expect_eq(staff_post(s2, number, "approve", &r), 200, "%s", r.body);
    harness_http_free(&r);

    /* Created by an agent, edited by s2: s2 may not approve, s1 may. */
    char *second = case_for_review(agent, email);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", second);
    r = staff_call("PATCH", path, s2, "{\"problem\":\"No power at all.\"}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    harness_http_free(&r);
    cr_assert_eq(staff_post(agent, second, "submit", &r), 200, "%s", r.body);
    harness_http_free(&r);
    cr_expect_eq(staff_post(s2, second, "approve", &r), 403, "%s", r.body);
    cr_expect_str_eq(harness_error_code(&r) ? harness_error_code(&r) : "",
                     "four_eyes");
    harness_http_free(&r);
    cr_expect_eq(sql_long("SELECT count(*) FROM rma WHERE number = '%s'"
                          " AND status = 'pending_review'",
                          second),
                 1, "a refusal changes nothing");
    cr_expect_eq(staff_post(s1, second, "approve", &r), 200, "%s", r.body);
    harness_http_free(&r);
    free(second);
    free(number);
    free(email);
    free(agent);
    free(s2);
    free(s1);
}
