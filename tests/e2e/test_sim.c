/* test_sim.c - paypal-sim against its contract (doc/paypal-sim.md) and
 * PayPal's rules (../shared/paypal/NOTES.md §11), over HTTP with libcurl.
 *
 * Criterion runs tests in parallel processes against one simulator.  Tests
 * that change global state (clock, faults, rules, reset) take an exclusive
 * flock on a file named after RMA_TEST_SIM_URL and reset the simulator
 * before and after; the others take a shared lock and only use resources
 * they created.  So the suite is correct with any --jobs. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define DAY 86400

struct res {
    long status;
    json_t *json; /* owned, NULL when the body is not JSON */
    char body[65536];
    size_t len;
    char location[1024];
    char debug_id[64];
    char content_type[128];
};

static const char *
sim_url(void)
{
    const char *url = getenv("RMA_TEST_SIM_URL");
    if (url == NULL || *url == '\0')
        cr_skip_test("RMA_TEST_SIM_URL is not set");
    return url;
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct res *r = userdata;
    size_t n = size * nmemb;
    size_t room = sizeof(r->body) - 1 - r->len;
    size_t take = n < room ? n : room;
    memcpy(r->body + r->len, ptr, take);
    r->len += take;
    r->body[r->len] = '\0';
    return n;
}

static void
copy_header(const char *line, size_t n, const char *name, char *out,
            size_t out_n)
{
    size_t len = strlen(name);
    if (n <= len || strncasecmp(line, name, len) != 0 || line[len] != ':')
        return;
    const char *v = line + len + 1;
    while (*v == ' ')
        v++;
    size_t vlen = n - (size_t)(v - line);
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    if (vlen >= out_n)
        vlen = out_n - 1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
    struct res *r = userdata;
    size_t n = size * nmemb;
    copy_header(line, n, "Location", r->location, sizeof(r->location));
    copy_header(line, n, "Paypal-Debug-Id", r->debug_id, sizeof(r->debug_id));
    copy_header(line, n, "Content-Type", r->content_type,
                sizeof(r->content_type));
    return n;
}

/* One HTTP exchange.  headers is a NULL-terminated list or NULL. */
static struct res *
http(const char *method, const char *path, const char *body,
     const char *const *headers)
{
    struct res *r = calloc(1, sizeof(*r));
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", sim_url(), path);
    CURL *curl = curl_easy_init();
    struct curl_slist *list = NULL;
    for (int i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    if (body != NULL &&
        (headers == NULL || strstr(headers[0], "Content-Type") == NULL))
        list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    if (body != NULL)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(curl);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path,
                 curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    if (r->len > 0)
        r->json = json_loads(r->body, 0, NULL);
    return r;
}

static void
res_free(struct res *r)
{
    json_decref(r->json);
    free(r);
}

/* Control endpoints. */
static struct res *
sim(const char *method, const char *path, const char *body)
{
    return http(method, path, body, NULL);
}

static void
sim_ok(const char *method, const char *path, const char *body)
{
    struct res *r = sim(method, path, body);
    cr_assert(r->status >= 200 && r->status < 300, "%s %s: %ld %s", method,
              path, r->status, r->body);
    res_free(r);
}

static void
advance(long seconds)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"advance_seconds\": %ld}", seconds);
    sim_ok("POST", "/sim/clock", body);
}

static int lock_fd = -1;

static void
take_lock(int how)
{
    char path[512];
    unsigned long h = 5381;
    for (const char *p = sim_url(); *p; p++)
        h = h * 33 + (unsigned char)*p;
    snprintf(path, sizeof(path), "/tmp/rma-test-sim-%lx.lock", h);
    lock_fd = open(path, O_RDWR | O_CREAT, 0600);
    cr_assert(lock_fd >= 0);
    cr_assert_eq(flock(lock_fd, how), 0);
}

static void
shared(void)
{
    take_lock(LOCK_SH);
}

static void
exclusive(void)
{
    take_lock(LOCK_EX);
    sim_ok("POST", "/sim/reset", NULL);
}

static void
exclusive_done(void)
{
    struct res *r = sim("POST", "/sim/reset", NULL);
    res_free(r);
    if (lock_fd >= 0)
        close(lock_fd);
}

static const char *
jstr(const json_t *o, const char *path)
{
    /* "a.b.0.c": objects by key, arrays by index. */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    const json_t *cur = o;
    for (char *save = NULL, *seg = strtok_r(buf, ".", &save); seg != NULL;
         seg = strtok_r(NULL, ".", &save)) {
        if (json_is_array(cur))
            cur = json_array_get(cur, strtoul(seg, NULL, 10));
        else
            cur = json_object_get(cur, seg);
    }
    return json_string_value(cur);
}

static const char *
issue_of(const struct res *r)
{
    return jstr(r->json, "details.0.issue");
}

static void
assert_issue(struct res *r, long status, const char *issue)
{
    cr_assert_eq(r->status, status, "want %ld %s, got %ld %s", status, issue,
                 r->status, r->body);
    cr_assert_not_null(r->json, "%s", r->body);
    cr_assert_not_null(jstr(r->json, "name"));
    cr_assert_not_null(jstr(r->json, "message"));
    cr_assert_not_null(jstr(r->json, "debug_id"));
    cr_assert_str_eq(jstr(r->json, "debug_id"), r->debug_id);
    cr_assert(json_is_array(json_object_get(r->json, "links")));
    cr_assert_str_eq(issue_of(r), issue, "%s", r->body);
}

static char *
token(void)
{
    const char *const headers[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Authorization: Basic cm1hLWRlbW8tY2xpZW50OnNpbS1zZWNyZXQ=", NULL};
    struct res *r = http("POST", "/v1/oauth2/token",
                         "grant_type=client_credentials", headers);
    cr_assert_eq(r->status, 200, "%s", r->body);
    char *t = strdup(jstr(r->json, "access_token"));
    res_free(r);
    return t;
}

/* A PayPal API call with a fresh token; extra may hold one header. */
static struct res *
api(const char *method, const char *path, const char *body,
    const char *request_id, const char *extra)
{
    static char *tok;
    if (tok == NULL)
        tok = token();
    char auth[256], rid[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *headers[6] = {"Content-Type: application/json", auth,
                              "Prefer: return=representation"};
    int n = 3;
    if (request_id != NULL) {
        snprintf(rid, sizeof(rid), "PayPal-Request-Id: %s", request_id);
        headers[n++] = rid;
    }
    if (extra != NULL)
        headers[n++] = extra;
    headers[n] = NULL;
    struct res *r = http(method, path, body, headers);
    if (r->status == 401) {
        /* As PayPal's SDKs do: a new token, then the call once more. */
        free(tok);
        tok = token();
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
        res_free(r);
        r = http(method, path, body, headers);
    }
    return r;
}

static void
unique(char *out, size_t n, const char *prefix)
{
    static int counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, n, "%s-%d-%ld-%ld-%d", prefix, (int)getpid(), (long)ts.tv_sec,
             ts.tv_nsec, ++counter);
}

#define ORDER_BODY(value)                                                      \
    "{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"               \
    "{\"currency_code\":\"USD\",\"value\":\"" value "\"}}],"                   \
    "\"payment_source\":{\"paypal\":{\"experience_context\":"                  \
    "{\"return_url\":\"https://rma.example/return\","                          \
    "\"cancel_url\":\"https://rma.example/cancel\"}}}}"

static void
create_order(const char *body, char *id, size_t n)
{
    struct res *r = api("POST", "/v2/checkout/orders", body, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(id, n, "%s", jstr(r->json, "id"));
    res_free(r);
}

static void
approve(const char *order)
{
    char path[128];
    snprintf(path, sizeof(path), "/sim/orders/%s/approve", order);
    sim_ok("POST", path, "{}");
}

/* Creates, approves and authorizes an order of value USD; returns the
 * authorization id in auth. */
static void
authorized(char *auth, size_t n)
{
    char order[64], path[128];
    create_order(ORDER_BODY("129.99"), order, sizeof(order));
    approve(order);
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order);
    struct res *r = api("POST", path, NULL, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(auth, n, "%s",
             jstr(r->json, "purchase_units.0.payments.authorizations.0.id"));
    res_free(r);
}

static struct res *
auth_call(const char *auth, const char *action, const char *body,
          const char *request_id)
{
    char path[160];
    snprintf(path, sizeof(path), "/v2/payments/authorizations/%s%s%s", auth,
             action != NULL ? "/" : "", action != NULL ? action : "");
    return api(action != NULL ? "POST" : "GET", path, body, request_id, NULL);
}

TestSuite(sim, .timeout = 120);

Test(sim, token_has_paypal_fields_and_expires, .init = exclusive,
     .fini = exclusive_done)
{
    const char *const bad[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Authorization: Basic cm1hLWRlbW8tY2xpZW50Ondyb25n", NULL};
    struct res *r =
        http("POST", "/v1/oauth2/token", "grant_type=client_credentials", bad);
    cr_assert_eq(r->status, 401);
    cr_assert_str_eq(jstr(r->json, "error"), "invalid_client");
    cr_assert_neq(r->debug_id[0], '\0');
    res_free(r);

    sim_ok("POST", "/sim/config", "{\"token_ttl_seconds\": 60}");
    const char *const good[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Authorization: Basic cm1hLWRlbW8tY2xpZW50OnNpbS1zZWNyZXQ=", NULL};
    r = http("POST", "/v1/oauth2/token", "grant_type=client_credentials", good);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "token_type"), "Bearer");
    cr_assert_not_null(jstr(r->json, "app_id"));
    cr_assert_not_null(jstr(r->json, "nonce"));
    cr_assert_not_null(jstr(r->json, "scope"));
    cr_assert_eq(json_integer_value(json_object_get(r->json, "expires_in")),
                 60);
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
             jstr(r->json, "access_token"));
    res_free(r);
    const char *const headers[] = {auth, NULL};
    r = http("GET", "/v2/checkout/orders/NOSUCHORDER00000", NULL, headers);
    assert_issue(r, 404, "INVALID_RESOURCE_ID");
    cr_assert_str_eq(jstr(r->json, "name"), "RESOURCE_NOT_FOUND");
    res_free(r);
    advance(61);
    r = http("GET", "/v2/checkout/orders/NOSUCHORDER00000", NULL, headers);
    cr_assert_eq(r->status, 401, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "name"), "AUTHENTICATION_FAILURE");
    cr_assert_str_eq(jstr(r->json, "debug_id"), r->debug_id);
    res_free(r);
}

Test(sim, order_create_validates_like_paypal, .init = shared)
{
    static const struct {
        const char *body;
        long status;
        const char *issue;
    } cases[] = {
        {"{\"purchase_units\":[{\"amount\":{\"currency_code\":\"USD\","
         "\"value\":\"1.00\"}}]}",
         400, "MISSING_REQUIRED_PARAMETER"},
        {"{\"intent\":\"AUTHORIZE\",\"purchase_units\":["
         "{\"reference_id\":\"a\",\"amount\":{\"currency_code\":\"USD\","
         "\"value\":\"1.00\"}},{\"reference_id\":\"b\",\"amount\":"
         "{\"currency_code\":\"USD\",\"value\":\"1.00\"}}]}",
         422, "UNSUPPORTED_INTENT"},
        {"{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"
         "{\"currency_code\":\"USD\",\"value\":\"10.001\"}}]}",
         422, "DECIMAL_PRECISION"},
        {"{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"
         "{\"currency_code\":\"JPY\",\"value\":\"1500.5\"}}]}",
         422, "DECIMALS_NOT_SUPPORTED"},
        {"{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"
         "{\"currency_code\":\"USD\",\"value\":\"0.00\"}}]}",
         422, "CANNOT_BE_ZERO_OR_NEGATIVE"},
        {"{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"
         "{\"currency_code\":\"XXX\",\"value\":\"1.00\"}}]}",
         422, "INVALID_CURRENCY_CODE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct res *r =
            api("POST", "/v2/checkout/orders", cases[i].body, NULL, NULL);
        assert_issue(r, cases[i].status, cases[i].issue);
        res_free(r);
    }
    char id[64];
    create_order("{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"
                 "{\"currency_code\":\"JPY\",\"value\":\"1500\"}}]}",
                 id, sizeof(id));
}

Test(sim, order_link_styles_follow_the_request, .init = shared)
{
    struct res *r =
        api("POST", "/v2/checkout/orders", ORDER_BODY("10.00"), NULL, NULL);
    cr_assert_eq(r->status, 201);
    cr_assert_str_eq(jstr(r->json, "status"), "PAYER_ACTION_REQUIRED");
    cr_assert_str_eq(jstr(r->json, "links.1.rel"), "payer-action");
    cr_assert(strstr(jstr(r->json, "links.1.href"), "/checkoutnow?token=") !=
              NULL);
    res_free(r);
    r = api("POST", "/v2/checkout/orders",
            "{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"
            "{\"currency_code\":\"USD\",\"value\":\"10.00\"}}],"
            "\"application_context\":{\"return_url\":\"https://r.example/\","
            "\"cancel_url\":\"https://c.example/\"}}",
            NULL, NULL);
    cr_assert_eq(r->status, 201);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    cr_assert_str_eq(jstr(r->json, "links.1.rel"), "approve");
    res_free(r);
}

Test(sim, authorize_needs_approval_and_happens_once, .init = shared)
{
    char order[64], path[128];
    create_order(ORDER_BODY("129.99"), order, sizeof(order));
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order);
    struct res *r = api("POST", path, NULL, NULL, NULL);
    assert_issue(r, 422, "ORDER_NOT_APPROVED");
    res_free(r);
    approve(order);
    r = api("POST", path, NULL, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    json_t *a = json_array_get(
        json_object_get(
            json_object_get(
                json_array_get(json_object_get(r->json, "purchase_units"), 0),
                "payments"),
            "authorizations"),
        0);
    cr_assert_str_eq(jstr(a, "status"), "CREATED");
    struct tm tm_c, tm_e;
    memset(&tm_c, 0, sizeof(tm_c));
    memset(&tm_e, 0, sizeof(tm_e));
    cr_assert_not_null(
        strptime(jstr(a, "create_time"), "%Y-%m-%dT%H:%M:%SZ", &tm_c));
    cr_assert_not_null(
        strptime(jstr(a, "expiration_time"), "%Y-%m-%dT%H:%M:%SZ", &tm_e));
    cr_assert_eq(timegm(&tm_e) - timegm(&tm_c), 29 * DAY);
    const char *rels[] = {"self", "capture", "void", "reauthorize", "up"};
    for (int i = 0; i < 5; i++) {
        char p[32];
        snprintf(p, sizeof(p), "links.%d.rel", i);
        cr_assert_str_eq(jstr(a, p), rels[i]);
    }
    res_free(r);
    char rid[128];
    unique(rid, sizeof(rid), "again");
    r = api("POST", path, NULL, rid, NULL);
    assert_issue(r, 422, "ORDER_ALREADY_AUTHORIZED");
    res_free(r);
}

Test(sim, approval_page_has_buttons_and_redirects, .init = shared)
{
    char order[64], path[160];
    create_order(ORDER_BODY("42.50"), order, sizeof(order));
    snprintf(path, sizeof(path), "/checkoutnow?token=%s", order);
    struct res *r = http("GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert(strstr(r->content_type, "text/html") != NULL);
    cr_assert(strstr(r->body, ">Approve</button>") != NULL);
    cr_assert(strstr(r->body, ">Cancel</button>") != NULL);
    cr_assert(strstr(r->body, "42.50 USD") != NULL);
    res_free(r);

    char form[128];
    snprintf(form, sizeof(form), "token=%s", order);
    const char *const hdr[] = {
        "Content-Type: application/x-www-form-urlencoded", NULL};
    r = http("POST", "/checkoutnow/cancel", form, hdr);
    cr_assert_eq(r->status, 303);
    cr_assert(strncmp(r->location, "https://rma.example/cancel?token=", 33) ==
                  0,
              "%s", r->location);
    res_free(r);
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s", order);
    r = api("GET", path, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "PAYER_ACTION_REQUIRED");
    res_free(r);

    r = http("POST", "/checkoutnow/approve", form, hdr);
    cr_assert_eq(r->status, 303);
    char want[160];
    snprintf(want, sizeof(want),
             "https://rma.example/return?token=%s&PayerID=", order);
    cr_assert(strncmp(r->location, want, strlen(want)) == 0, "%s", r->location);
    cr_assert_gt(strlen(r->location), strlen(want));
    res_free(r);
    r = api("GET", path, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "APPROVED");
    res_free(r);
}

Test(sim, capture_is_declined_after_the_honor_period, .init = exclusive,
     .fini = exclusive_done)
{
    sim_ok("POST", "/sim/config", "{\"decline_after_honor\": true}");
    char a[64], b[64];
    authorized(a, sizeof(a));
    authorized(b, sizeof(b));
    advance(3 * DAY - 120);
    struct res *r = auth_call(a, "capture", "{}", NULL);
    cr_assert_eq(r->status, 201, "day 3 capture: %s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);
    advance(240);
    r = auth_call(b, "capture", "{}", NULL);
    assert_issue(r, 422, "TRANSACTION_REFUSED");
    res_free(r);
    r = auth_call(b, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    res_free(r);
}

Test(sim, reauthorize_rules, .init = exclusive, .fini = exclusive_done)
{
    char a[64];
    authorized(a, sizeof(a));
    advance(2 * DAY);
    struct res *r = auth_call(a, "reauthorize", "{}", NULL);
    assert_issue(r, 422, "REAUTHORIZATION_TOO_SOON");
    res_free(r);
    advance(2 * DAY);
    r = auth_call(a, "reauthorize", "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char re[64];
    snprintf(re, sizeof(re), "%s", jstr(r->json, "id"));
    cr_assert_str_neq(re, a);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    res_free(r);
    r = auth_call(re, "reauthorize", "{}", NULL);
    assert_issue(r, 422, "REAUTHORIZATION_NOT_SUPPORTED");
    res_free(r);
    r = auth_call(a, "reauthorize", "{}", NULL);
    assert_issue(r, 422, "TOO_MANY_REAUTHORIZATIONS");
    res_free(r);
    r = auth_call(re, "void", NULL, NULL);
    assert_issue(r, 422, "CANNOT_BE_VOIDED");
    res_free(r);
    sim_ok("POST", "/sim/config", "{\"decline_after_honor\": true}");
    r = auth_call(re, "capture", "{}", NULL);
    cr_assert_eq(r->status, 201, "capture in the new honor period: %s",
                 r->body);
    res_free(r);
    r = auth_call(a, "void", NULL, NULL);
    assert_issue(r, 422, "PREVIOUSLY_CAPTURED");
    res_free(r);
}

/* The capture count per authorization and the family's "captured" mark
 * are kept as captures happen (no scan of every record per request). */
Test(sim, capture_count_and_family_rules, .init = exclusive,
     .fini = exclusive_done)
{
    sim_ok("POST", "/sim/config", "{\"max_captures\": 2}");
    const char *part = "{\"amount\": {\"currency_code\": \"USD\", "
                       "\"value\": \"10.00\"}, \"final_capture\": false}";
    char a[64], b[64];
    authorized(a, sizeof(a));
    authorized(b, sizeof(b));
    for (int i = 0; i < 2; i++) {
        struct res *r = auth_call(a, "capture", part, NULL);
        cr_assert_eq(r->status, 201, "capture %d: %s", i + 1, r->body);
        res_free(r);
    }
    struct res *r = auth_call(a, "capture", part, NULL);
    assert_issue(r, 422, "MAX_CAPTURE_COUNT_EXCEEDED");
    res_free(r);
    /* Another authorization's count is its own. */
    r = auth_call(b, "capture", part, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    res_free(r);
    /* Partly captured: the family is not captured, a void still works. */
    r = auth_call(b, "void", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    res_free(r);
    /* A reauthorization captured in full marks the whole family. */
    char c[64];
    authorized(c, sizeof(c));
    advance(4 * DAY);
    r = auth_call(c, "reauthorize", "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char re[64];
    snprintf(re, sizeof(re), "%s", jstr(r->json, "id"));
    res_free(r);
    r = auth_call(re, "capture", "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    res_free(r);
    r = auth_call(c, "capture", "{}", NULL);
    assert_issue(r, 422, "AUTHORIZATION_ALREADY_CAPTURED");
    res_free(r);
    r = auth_call(c, "reauthorize", "{}", NULL);
    assert_issue(r, 422, "AUTHORIZATION_ALREADY_CAPTURED");
    res_free(r);
}

Test(sim, capture_after_day_29_is_expired, .init = exclusive,
     .fini = exclusive_done)
{
    char a[64];
    authorized(a, sizeof(a));
    advance(29 * DAY + 60);
    struct res *r = auth_call(a, "capture", "{}", NULL);
    assert_issue(r, 422, "AUTHORIZATION_EXPIRED");
    res_free(r);
    r = auth_call(a, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "VOIDED");
    res_free(r);
    sim_ok("POST", "/sim/config", "{\"expiry_status\": \"EXPIRED\"}");
    char b[64];
    authorized(b, sizeof(b));
    advance(29 * DAY);
    r = auth_call(b, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "EXPIRED");
    res_free(r);
}

Test(sim, void_rules, .init = shared)
{
    char a[64], b[64];
    authorized(a, sizeof(a));
    struct res *r = auth_call(a, "void", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "VOIDED");
    res_free(r);
    r = auth_call(a, "void", NULL, NULL);
    assert_issue(r, 422, "PREVIOUSLY_VOIDED");
    res_free(r);
    r = auth_call(a, "capture", "{}", NULL);
    assert_issue(r, 422, "AUTHORIZATION_VOIDED");
    res_free(r);
    authorized(b, sizeof(b));
    r = auth_call(b, "capture", "{}", NULL);
    cr_assert_eq(r->status, 201);
    res_free(r);
    r = auth_call(b, "void", NULL, NULL);
    assert_issue(r, 422, "PREVIOUSLY_CAPTURED");
    res_free(r);
    r = auth_call("NOSUCHAUTH0000000", "void", NULL, NULL);
    assert_issue(r, 404, "INVALID_RESOURCE_ID");
    res_free(r);
}

Test(sim, void_with_prefer_minimal_is_204, .init = shared)
{
    char a[64], path[160];
    authorized(a, sizeof(a));
    snprintf(path, sizeof(path), "/v2/payments/authorizations/%s/void", a);
    char *t = token();
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t);
    free(t);
    const char *const headers[] = {auth, "Prefer: return=minimal", NULL};
    struct res *r = http("POST", path, NULL, headers);
    cr_assert_eq(r->status, 204, "%s", r->body);
    cr_assert_eq(r->len, 0);
    cr_assert_neq(r->debug_id[0], '\0');
    res_free(r);
    r = auth_call(a, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "VOIDED");
    res_free(r);
}

Test(sim, capture_and_refund_rules, .init = shared)
{
    char a[64], cap[64], path[160];
    authorized(a, sizeof(a));
    struct res *r = auth_call(
        a, "capture",
        "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"200.00\"}}", NULL);
    assert_issue(r, 422, "MAX_CAPTURE_AMOUNT_EXCEEDED");
    res_free(r);
    r = auth_call(
        a, "capture",
        "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"50.00\"}}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(cap, sizeof(cap), "%s", jstr(r->json, "id"));
    cr_assert_str_eq(
        jstr(r->json, "seller_receivable_breakdown.gross_amount.value"),
        "50.00");
    /* 3.49% of 50.00 = 1.745 -> 1.75, plus 0.49. */
    cr_assert_str_eq(jstr(r->json, "seller_receivable_breakdown.paypal_fee."
                                   "value"),
                     "2.24");
    cr_assert_str_eq(
        jstr(r->json, "seller_receivable_breakdown.net_amount.value"), "47.76");
    res_free(r);
    r = auth_call(a, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "PARTIALLY_CAPTURED");
    res_free(r);

    snprintf(path, sizeof(path), "/v2/payments/captures/%s/refund", cap);
    r = api("POST", path,
            "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"10.00\"}}",
            NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);
    snprintf(path, sizeof(path), "/v2/payments/captures/%s", cap);
    r = api("GET", path, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "PARTIALLY_REFUNDED");
    res_free(r);
    snprintf(path, sizeof(path), "/v2/payments/captures/%s/refund", cap);
    r = api("POST", path,
            "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"40.01\"}}",
            NULL, NULL);
    assert_issue(r, 422, "REFUND_AMOUNT_EXCEEDED");
    res_free(r);
    r = api("POST", path, NULL, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "amount.value"), "40.00");
    cr_assert_str_eq(
        jstr(r->json, "seller_payable_breakdown.total_refunded_amount.value"),
        "50.00");
    res_free(r);
    r = api("POST", path, NULL, NULL, NULL);
    assert_issue(r, 422, "CAPTURE_FULLY_REFUNDED");
    res_free(r);
    snprintf(path, sizeof(path), "/v2/payments/captures/%s", cap);
    r = api("GET", path, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "REFUNDED");
    res_free(r);
}

Test(sim, request_id_replays_without_executing_again, .init = shared)
{
    char rid[128], a[64];
    unique(rid, sizeof(rid), "order");
    struct res *r1 =
        api("POST", "/v2/checkout/orders", ORDER_BODY("5.00"), rid, NULL);
    struct res *r2 =
        api("POST", "/v2/checkout/orders", ORDER_BODY("5.00"), rid, NULL);
    cr_assert_eq(r1->status, 201);
    cr_assert_eq(r2->status, 200);
    cr_assert_str_eq(jstr(r1->json, "id"), jstr(r2->json, "id"));
    res_free(r1);
    res_free(r2);

    authorized(a, sizeof(a));
    unique(rid, sizeof(rid), "capture");
    const char *body =
        "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"20.00\"}}";
    r1 = auth_call(a, "capture", body, rid);
    r2 = auth_call(a, "capture", body, rid);
    cr_assert_eq(r1->status, 201, "%s", r1->body);
    cr_assert(r2->status == 201 || r2->status == 200);
    cr_assert_str_eq(jstr(r1->json, "id"), jstr(r2->json, "id"));
    res_free(r1);
    res_free(r2);
    r1 = auth_call(a, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r1->json, "status"), "PARTIALLY_CAPTURED");
    res_free(r1);
    r1 = sim("GET", "/sim/state", NULL);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(r1->json, "executed"), rid)),
                 1);
    res_free(r1);
}

Test(sim, a_500_after_the_effect_replays_one_capture, .init = exclusive,
     .fini = exclusive_done)
{
    char a[64], rid[128];
    authorized(a, sizeof(a));
    sim_ok("POST", "/sim/faults",
           "{\"kind\":\"500_after_effect\",\"next\":1,"
           "\"path_prefix\":\"/v2/payments/authorizations\"}");
    unique(rid, sizeof(rid), "fault");
    struct res *r = auth_call(a, "capture", "{}", rid);
    cr_assert_eq(r->status, 500, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "name"), "INTERNAL_SERVER_ERROR");
    res_free(r);
    r = auth_call(a, "capture", "{}", rid);
    cr_assert(r->status == 201 || r->status == 200, "%s", r->body);
    res_free(r);
    r = sim("GET", "/sim/state", NULL);
    int captures = 0;
    const char *key;
    json_t *c;
    json_object_foreach(json_object_get(r->json, "captures"), key, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "authorization_id")),
                   a) == 0)
            captures++;
    }
    cr_assert_eq(captures, 1);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(r->json, "executed"), rid)),
                 1);
    res_free(r);
}

Test(sim, faults_for_the_next_calls, .init = exclusive, .fini = exclusive_done)
{
    sim_ok("POST", "/sim/faults",
           "{\"kind\":\"503\",\"next\":1,\"path_prefix\":\"/v2/checkout\"}");
    struct res *r =
        api("GET", "/v2/checkout/orders/NOPE0000000000000", NULL, NULL, NULL);
    cr_assert_eq(r->status, 503);
    cr_assert_str_eq(jstr(r->json, "name"), "SERVICE_UNAVAILABLE");
    res_free(r);
    r = api("GET", "/v2/checkout/orders/NOPE0000000000000", NULL, NULL, NULL);
    cr_assert_eq(r->status, 404);
    res_free(r);
    sim_ok("POST", "/sim/faults", "{\"kind\":\"429\",\"rate\":1.0}");
    r = api("GET", "/v2/checkout/orders/NOPE0000000000000", NULL, NULL, NULL);
    cr_assert_eq(r->status, 429);
    res_free(r);
    sim_ok("DELETE", "/sim/faults", NULL);
    r = api("GET", "/v2/checkout/orders/NOPE0000000000000", NULL, NULL, NULL);
    cr_assert_eq(r->status, 404);
    res_free(r);
}

Test(sim, mock_response_answers_without_side_effect, .init = shared)
{
    char a[64], path[160];
    authorized(a, sizeof(a));
    snprintf(path, sizeof(path), "/v2/payments/authorizations/%s/capture", a);
    struct res *r = api("POST", path, "{}", NULL,
                        "PayPal-Mock-Response: {\"mock_application_codes\":"
                        "\"INSTRUMENT_DECLINED\"}");
    assert_issue(r, 422, "INSTRUMENT_DECLINED");
    res_free(r);
    r = auth_call(a, NULL, NULL, NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    res_free(r);
}

static struct res *
search(const char *query)
{
    char path[1024];
    snprintf(path, sizeof(path), "/v1/reporting/transactions?%s", query);
    return api("GET", path, NULL, NULL, NULL);
}

Test(sim, transaction_search_window_latency_and_ids, .init = exclusive,
     .fini = exclusive_done)
{
    sim_ok("POST", "/sim/clock", "{\"set\": \"2026-11-23T10:00:00Z\"}");
    struct res *r = sim("POST", "/sim/payments",
                        "{\"amount\":{\"currency_code\":\"USD\","
                        "\"value\":\"25.00\"},\"payer_email\":"
                        "\"customer@example.com\",\"note\":\"RMA fee\"}");
    cr_assert(r->status == 200 || r->status == 201, "%s", r->body);
    char seller[32], buyer[32], q[512];
    snprintf(seller, sizeof(seller), "%s",
             jstr(r->json, "seller_transaction_id"));
    snprintf(buyer, sizeof(buyer), "%s", jstr(r->json, "buyer_transaction_id"));
    cr_assert_str_neq(seller, buyer);
    res_free(r);

    snprintf(q, sizeof(q),
             "start_date=2026-11-01T00:00:00Z&end_date=2026-11-23T10:00:00Z"
             "&transaction_id=%s&fields=all",
             seller);
    r = search(q);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *rows = json_object_get(r->json, "transaction_details");
    cr_assert_eq(json_array_size(rows), 1, "%s", r->body);
    json_t *row = json_array_get(rows, 0);
    cr_assert_str_eq(jstr(row, "transaction_info.transaction_amount.value"),
                     "25.00");
    cr_assert_str_eq(jstr(row, "transaction_info.transaction_status"), "S");
    cr_assert_str_eq(jstr(row, "transaction_info.transaction_event_code"),
                     "T0000");
    cr_assert_str_eq(jstr(row, "transaction_info.transaction_initiation_date"),
                     "2026-11-23T10:00:00+0000");
    cr_assert_str_eq(jstr(row, "payer_info.email_address"),
                     "customer@example.com");
    cr_assert_eq(jstr(row, "transaction_info.fee_amount.value")[0], '-');
    cr_assert_not_null(jstr(r->json, "last_refreshed_datetime"));
    res_free(r);

    snprintf(q, sizeof(q),
             "start_date=2026-11-01T00:00:00Z&end_date=2026-11-23T10:00:00Z"
             "&transaction_id=%s",
             buyer);
    r = search(q);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(
        json_array_size(json_object_get(r->json, "transaction_details")), 0);
    res_free(r);

    r = search("start_date=2026-10-01T00:00:00Z&end_date=2026-11-23T00:00:00Z");
    assert_issue(r, 400, "Date range is greater than 31 days");
    cr_assert_str_eq(jstr(r->json, "details.0.field"), "end_date");
    cr_assert_str_eq(jstr(r->json, "details.0.location"), "query");
    res_free(r);
    r = search("end_date=2026-11-23T00:00:00Z");
    cr_assert_eq(r->status, 400);
    res_free(r);

    sim_ok("POST", "/sim/config", "{\"search_latency_seconds\": 3600}");
    r = sim("POST", "/sim/payments",
            "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"7.00\"},"
            "\"payer_email\":\"late@example.com\"}");
    snprintf(seller, sizeof(seller), "%s",
             jstr(r->json, "seller_transaction_id"));
    res_free(r);
    snprintf(q, sizeof(q),
             "start_date=2026-11-01T00:00:00Z&end_date=2026-11-30T00:00:00Z"
             "&transaction_id=%s",
             seller);
    r = search(q);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(
        json_array_size(json_object_get(r->json, "transaction_details")), 0,
        "visible before the latency: %s", r->body);
    cr_assert_str_eq(jstr(r->json, "last_refreshed_datetime"),
                     "2026-11-23T09:00:00+0000");
    res_free(r);
    advance(3601);
    r = search(q);
    cr_assert_eq(
        json_array_size(json_object_get(r->json, "transaction_details")), 1,
        "%s", r->body);
    res_free(r);

    /* Captures through the API are merchant transactions too. */
    sim_ok("POST", "/sim/config", "{\"search_latency_seconds\": 0}");
    char a[64], cap[32];
    authorized(a, sizeof(a));
    r = auth_call(a, "capture", "{}", NULL);
    snprintf(cap, sizeof(cap), "%s", jstr(r->json, "id"));
    res_free(r);
    snprintf(q, sizeof(q),
             "start_date=2026-11-20T00:00:00Z&end_date=2026-11-30T00:00:00Z"
             "&transaction_id=%s",
             cap);
    r = search(q);
    cr_assert_eq(
        json_array_size(json_object_get(r->json, "transaction_details")), 1,
        "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "transaction_details.0.transaction_info."
                                   "transaction_amount.value"),
                     "129.99");
    res_free(r);
}

static X509 *
pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return x;
}

Test(sim, webhooks_are_signed_by_the_simulator_ca, .init = shared)
{
    char a[64];
    authorized(a, sizeof(a));
    struct res *flush = sim("POST", "/sim/webhooks/flush", NULL);
    cr_assert_eq(flush->status, 200, "%s", flush->body);
    res_free(flush);
    struct res *st = sim("GET", "/sim/state", NULL);
    json_t *found = NULL;
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(st->json, "webhooks"), i, rec)
    {
        const char *body = json_string_value(json_object_get(rec, "body"));
        if (strcmp(json_string_value(json_object_get(rec, "event_type")),
                   "PAYMENT.AUTHORIZATION.CREATED") == 0 &&
            strstr(body, a) != NULL)
            found = rec;
    }
    cr_assert_not_null(found, "no PAYMENT.AUTHORIZATION.CREATED for %s", a);
    json_t *h = json_object_get(found, "last_headers");
    if (h == NULL)
        cr_skip_test("the simulator has no --webhook-url");
    json_t *event =
        json_loads(json_string_value(json_object_get(found, "body")), 0, NULL);
    json_t *req = json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "auth_algo",
        json_object_get(h, "PAYPAL-AUTH-ALGO"), "cert_url",
        json_object_get(h, "PAYPAL-CERT-URL"), "transmission_id",
        json_object_get(h, "PAYPAL-TRANSMISSION-ID"), "transmission_sig",
        json_object_get(h, "PAYPAL-TRANSMISSION-SIG"), "transmission_time",
        json_object_get(h, "PAYPAL-TRANSMISSION-TIME"), "webhook_id",
        json_object_get(st->json, "webhook_id"), "webhook_event", event);
    char *text = json_dumps(req, JSON_COMPACT);
    struct res *r = api("POST", "/v1/notifications/verify-webhook-signature",
                        text, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "verification_status"), "SUCCESS");
    res_free(r);
    free(text);
    json_object_set_new(req, "webhook_id", json_string("WH-SOMEONE-ELSE"));
    text = json_dumps(req, JSON_COMPACT);
    r = api("POST", "/v1/notifications/verify-webhook-signature", text, NULL,
            NULL);
    cr_assert_str_eq(jstr(r->json, "verification_status"), "FAILURE");
    res_free(r);
    free(text);

    /* The certificate at PAYPAL-CERT-URL chains to --ca-out. */
    const char *url = json_string_value(json_object_get(h, "PAYPAL-CERT-URL"));
    const char *path = strstr(url, "/v1/notifications/certs/");
    cr_assert_not_null(path);
    r = http("GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200);
    X509 *leaf = pem_cert(r->body);
    cr_assert_not_null(leaf);
    res_free(r);
    char cn[256];
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                              sizeof(cn));
    cr_assert(strncmp(cn, "messageverificationcerts", 24) == 0, "%s", cn);
    cr_assert(strlen(cn) > 11 &&
              strcmp(cn + strlen(cn) - 11, ".paypal.com") == 0);
    const char *run = getenv("RMA_TEST_RUN");
    char ca_path[1024];
    snprintf(ca_path, sizeof(ca_path), "%s/paypal-sim-ca.pem",
             run != NULL ? run : ".");
    if (access(ca_path, R_OK) == 0) {
        X509_STORE *store = X509_STORE_new();
        cr_assert_eq(X509_STORE_load_file(store, ca_path), 1, "%s", ca_path);
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();
        X509_STORE_CTX_init(ctx, store, leaf, NULL);
        cr_assert_eq(X509_verify_cert(ctx), 1);
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
    }
    X509_free(leaf);
    json_decref(req);
    json_decref(event);
    res_free(st);
}
