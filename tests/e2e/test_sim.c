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
    json_t *json;       /* owned, NULL when the body is not JSON */
    char body[1 << 20]; /* /sim/state can be large */
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

/* A PayPal API call with a fresh token and prefer ("Prefer: ..." or NULL
 * for none); extra may hold one header. */
static struct res *
api_prefer(const char *method, const char *path, const char *body,
           const char *request_id, const char *extra, const char *prefer)
{
    static char *tok;
    if (tok == NULL)
        tok = token();
    char auth[256], rid[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *headers[6] = {"Content-Type: application/json", auth};
    int n = 2;
    if (prefer != NULL)
        headers[n++] = prefer;
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

/* A PayPal API call asking for the full resource. */
static struct res *
api(const char *method, const char *path, const char *body,
    const char *request_id, const char *extra)
{
    return api_prefer(method, path, body, request_id, extra,
                      "Prefer: return=representation");
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

/* ---- outcome control (SPEC §16): /sim/outcomes, /sim/outcomes/settle ---- */

static struct res *
outcome(const char *operation, const char *status, long next)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"operation\":\"%s\",\"status\":\"%s\",\"next\":%ld}", operation,
             status, next);
    return sim("POST", "/sim/outcomes", body);
}

static void
outcome_ok(const char *operation, const char *status, long next)
{
    struct res *r = outcome(operation, status, next);
    cr_assert_eq(r->status, 200, "%s %s %ld: %s", operation, status, next,
                 r->body);
    res_free(r);
}

static struct res *
settle(const char *id, const char *status)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"status\":\"%s\"}", id,
             status);
    return sim("POST", "/sim/outcomes/settle", body);
}

/* Settles id to status, asserting the answer; returns its event or "". */
static void
settle_ok(const char *id, const char *status, const char *now_status,
          const char *event)
{
    struct res *r = settle(id, status);
    cr_assert_eq(r->status, 200, "settle %s %s: %s", id, status, r->body);
    cr_assert_str_eq(jstr(r->json, "id"), id);
    cr_assert_str_eq(jstr(r->json, "status"), now_status, "%s", r->body);
    json_t *e = json_object_get(r->json, "event");
    if (event == NULL)
        cr_assert(json_is_null(e), "no event expected: %s", r->body);
    else
        cr_assert_str_eq(json_string_value(e), event, "%s", r->body);
    res_free(r);
}

/* The uses left of the armed rules for operation. */
static long
armed(const char *operation)
{
    struct res *r = sim("GET", "/sim/outcomes", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *list = json_object_get(r->json, "outcomes");
    cr_assert(json_is_array(list), "%s", r->body);
    long n = 0;
    size_t i;
    json_t *rule;
    json_array_foreach(list, i, rule)
    {
        if (strcmp(json_string_value(json_object_get(rule, "operation")),
                   operation) == 0)
            n += (long)json_integer_value(json_object_get(rule, "next"));
    }
    res_free(r);
    return n;
}

/* How many webhook events of event_type are about resource id. */
static int
events(const char *event_type, const char *id)
{
    struct res *r = sim("GET", "/sim/state", NULL);
    int n = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(r->json, "webhooks"), i, rec)
    {
        json_t *event = json_loads(
            json_string_value(json_object_get(rec, "body")), 0, NULL);
        const char *rid = jstr(event, "resource.id");
        if (strcmp(json_string_value(json_object_get(rec, "event_type")),
                   event_type) == 0 &&
            rid != NULL && strcmp(rid, id) == 0)
            n++;
        json_decref(event);
    }
    res_free(r);
    return n;
}

/* Whether links (an array of {href, rel, method}) has rel. */
static bool
has_link(const json_t *o, const char *rel)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(o, "links"), i, l)
    {
        if (strcmp(json_string_value(json_object_get(l, "rel")), rel) == 0)
            return true;
    }
    return false;
}

/* Creates and approves an order; authorizes it (representation) and
 * returns that answer; the order id in order. */
static struct res *
authorize_new(char *order, size_t n)
{
    char path[128];
    create_order(ORDER_BODY("129.99"), order, n);
    approve(order);
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order);
    struct res *r = api("POST", path, NULL, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    return r;
}

#define AUTH0 "purchase_units.0.payments.authorizations.0"

static struct res *
capture_call(const char *auth, const char *body, const char *request_id)
{
    return auth_call(auth, "capture", body, request_id);
}

static struct res *
refund_call(const char *capture, const char *body, const char *request_id)
{
    char path[160];
    snprintf(path, sizeof(path), "/v2/payments/captures/%s/refund", capture);
    return api("POST", path, body, request_id, NULL);
}

static struct res *
get(const char *kind, const char *id)
{
    char path[160];
    snprintf(path, sizeof(path), "/v2/%s/%s", kind, id);
    struct res *r = api("GET", path, NULL, NULL, NULL);
    cr_assert_eq(r->status, 200, "GET %s: %s", path, r->body);
    return r;
}

/* The status of GET /v2/<kind>/<id> into out. */
static const char *
status_of(const char *kind, const char *id, char *out, size_t n)
{
    struct res *r = get(kind, id);
    snprintf(out, n, "%s", jstr(r->json, "status"));
    res_free(r);
    return out;
}

#define AUTHS "payments/authorizations"
#define CAPTURES "payments/captures"
#define REFUNDS "payments/refunds"

Test(sim, outcome_rules_are_validated_strictly, .init = exclusive,
     .fini = exclusive_done)
{
    static const struct {
        const char *body;
        const char *error; /* a part of the message */
    } bad[] = {
        {"[]", "expected a JSON object"},
        {"operation=capture", "expected a JSON object"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":1,"
         "\"path_suffix\":\"/capture\"}",
         "unknown field: path_suffix"},
        {"{\"status\":\"PENDING\",\"next\":1}", "operation must be"},
        {"{\"operation\":\"void\",\"status\":\"PENDING\",\"next\":1}",
         "operation must be authorize, capture or refund"},
        {"{\"operation\":\"capture\",\"status\":\"COMPLETED\",\"next\":1}",
         "status must be PENDING, DENIED, DECLINED or FAILED"},
        {"{\"operation\":\"capture\",\"status\":\"pending\",\"next\":1}",
         "status must be"},
        {"{\"operation\":\"capture\",\"next\":1}", "status must be"},
        {"{\"operation\":\"refund\",\"status\":\"DENIED\",\"next\":1}",
         "status DENIED does not apply to refund (PENDING or FAILED)"},
        {"{\"operation\":\"refund\",\"status\":\"DECLINED\",\"next\":1}",
         "does not apply to refund"},
        {"{\"operation\":\"capture\",\"status\":\"DENIED\",\"next\":1}",
         "does not apply to capture"},
        {"{\"operation\":\"authorize\",\"status\":\"DECLINED\",\"next\":1}",
         "does not apply to authorize"},
        {"{\"operation\":\"authorize\",\"status\":\"FAILED\",\"next\":1}",
         "does not apply to authorize"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\"}", "next must be"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":0}",
         "next must be an integer from 1 to 1000"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":-1}",
         "next must be"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":1001}",
         "next must be"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\","
         "\"next\":9223372036854775807}",
         "next must be"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":\"1\"}",
         "next must be"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":1.0}",
         "next must be"},
        {"{\"operation\":\"capture\",\"status\":\"PENDING\",\"next\":true}",
         "next must be"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct res *r = sim("POST", "/sim/outcomes", bad[i].body);
        cr_assert_eq(r->status, 400, "%s -> %ld %s", bad[i].body, r->status,
                     r->body);
        const char *error = jstr(r->json, "error");
        cr_assert(error != NULL && strstr(error, bad[i].error) != NULL,
                  "%s -> %s", bad[i].body, r->body);
        res_free(r);
    }
    cr_assert_eq(armed("authorize") + armed("capture") + armed("refund"), 0,
                 "a refused rule was armed");

    /* The bounds themselves are taken, and the answer lists the rules. */
    struct res *r = outcome("capture", "PENDING", 1000);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "outcomes")), 1);
    cr_assert_str_eq(jstr(r->json, "outcomes.0.operation"), "capture");
    cr_assert_str_eq(jstr(r->json, "outcomes.0.status"), "PENDING");
    res_free(r);
    outcome_ok("refund", "FAILED", 1);
    cr_assert_eq(armed("capture"), 1000);
    cr_assert_eq(armed("refund"), 1);
    r = sim("GET", "/sim/state", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "outcomes")), 2, "%s",
                 r->body);
    res_free(r);
    /* At most 16 rules. */
    for (int i = 2; i < 16; i++)
        outcome_ok("authorize", "DENIED", 1);
    r = outcome("authorize", "DENIED", 1);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "error"), "too many outcome rules");
    res_free(r);
    cr_assert_eq(armed("authorize"), 14);
}

Test(sim, settle_validates_its_body_and_the_resource, .init = exclusive,
     .fini = exclusive_done)
{
    static const struct {
        const char *body;
        long status;
        const char *error;
    } bad[] = {
        {"[]", 400, "expected a JSON object"},
        {"{\"id\":\"NOSUCHID000000000\",\"status\":\"COMPLETED\","
         "\"reason\":\"x\"}",
         400, "unknown field: reason"},
        {"{\"status\":\"COMPLETED\"}", 400, "id must be"},
        {"{\"id\":\"\",\"status\":\"COMPLETED\"}", 400, "id must be"},
        {"{\"id\":\"NOSUCHID000000000\",\"status\":\"PENDING\"}", 400,
         "status must be CREATED, COMPLETED, DENIED, DECLINED or FAILED"},
        {"{\"id\":\"NOSUCHID000000000\",\"status\":\"VOIDED\"}", 400,
         "status must be"},
        {"{\"id\":\"NOSUCHID000000000\"}", 400, "status must be"},
        {"{\"id\":\"NOSUCHID000000000\",\"status\":\"COMPLETED\"}", 404,
         "no authorization, capture or refund"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct res *r = sim("POST", "/sim/outcomes/settle", bad[i].body);
        cr_assert_eq(r->status, bad[i].status, "%s -> %ld %s", bad[i].body,
                     r->status, r->body);
        const char *error = jstr(r->json, "error");
        cr_assert(error != NULL && strstr(error, bad[i].error) != NULL,
                  "%s -> %s", bad[i].body, r->body);
        res_free(r);
    }
    /* A resource that is not pending: 409; a status not of its kind: 422. */
    char a[64], cap[64];
    authorized(a, sizeof(a));
    struct res *r = settle(a, "CREATED");
    cr_assert_eq(r->status, 409, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "error"),
                     "the authorization is CREATED, not PENDING");
    res_free(r);
    r = settle(a, "COMPLETED");
    cr_assert_eq(r->status, 422, "%s", r->body);
    cr_assert(strstr(jstr(r->json, "error"), "CREATED or DENIED") != NULL);
    res_free(r);
    r = capture_call(a, "{}", NULL);
    snprintf(cap, sizeof(cap), "%s", jstr(r->json, "id"));
    res_free(r);
    r = settle(cap, "COMPLETED");
    cr_assert_eq(r->status, 409, "%s", r->body);
    res_free(r);
    r = settle(cap, "CREATED");
    cr_assert_eq(r->status, 422, "%s", r->body);
    res_free(r);
    char st[32];
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)), "COMPLETED");
}

Test(sim, authorize_denied_for_exactly_the_next_n, .init = exclusive,
     .fini = exclusive_done)
{
    outcome_ok("authorize", "DENIED", 2);
    char order[3][64], auth[3][64];
    for (int i = 0; i < 3; i++) {
        struct res *r = authorize_new(order[i], sizeof(order[i]));
        cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED", "%s", r->body);
        snprintf(auth[i], sizeof(auth[i]), "%s", jstr(r->json, AUTH0 ".id"));
        cr_assert_str_eq(jstr(r->json, AUTH0 ".status"),
                         i < 2 ? "DENIED" : "CREATED", "authorize %d: %s", i,
                         r->body);
        json_t *a = json_array_get(
            json_object_get(
                json_object_get(
                    json_array_get(json_object_get(r->json, "purchase_units"),
                                   0),
                    "payments"),
                "authorizations"),
            0);
        cr_assert_null(json_object_get(a, "status_details"));
        cr_assert_eq(has_link(a, "capture"), i == 2);
        res_free(r);
        cr_assert_eq(armed("authorize"), i < 2 ? 1 - i : 0);
    }
    cr_assert_eq(events("PAYMENT.AUTHORIZATION.CREATED", auth[0]), 0);
    cr_assert_eq(events("PAYMENT.AUTHORIZATION.CREATED", auth[1]), 0);
    cr_assert_eq(events("PAYMENT.AUTHORIZATION.CREATED", auth[2]), 1);

    /* A denied authorization is no hold. */
    char st[32];
    cr_assert_str_eq(status_of(AUTHS, auth[0], st, sizeof(st)), "DENIED");
    struct res *r = capture_call(auth[0], "{}", NULL);
    assert_issue(r, 422, "AUTHORIZATION_DENIED");
    res_free(r);
    r = auth_call(auth[0], "void", NULL, NULL);
    assert_issue(r, 422, "CANNOT_BE_VOIDED");
    res_free(r);
    char path[128], rid[128];
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order[0]);
    unique(rid, sizeof(rid), "again");
    r = api("POST", path, NULL, rid, NULL);
    assert_issue(r, 422, "ORDER_ALREADY_AUTHORIZED");
    res_free(r);
    r = get("checkout/orders", order[1]);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "DENIED");
    res_free(r);
    /* Back to normal: the third is a hold. */
    r = capture_call(auth[2], "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);
}

Test(sim, authorize_pending_until_settled_with_its_webhook, .init = exclusive,
     .fini = exclusive_done)
{
    outcome_ok("authorize", "PENDING", 2);
    char order[64], a[64], b[64];
    struct res *r = authorize_new(order, sizeof(order));
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "PENDING", "%s", r->body);
    cr_assert_str_eq(jstr(r->json, AUTH0 ".status_details.reason"),
                     "PENDING_REVIEW");
    snprintf(a, sizeof(a), "%s", jstr(r->json, AUTH0 ".id"));
    res_free(r);
    r = authorize_new(order, sizeof(order));
    snprintf(b, sizeof(b), "%s", jstr(r->json, AUTH0 ".id"));
    cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "PENDING");
    res_free(r);
    cr_assert_eq(events("PAYMENT.AUTHORIZATION.CREATED", a), 0);

    /* Not a hold yet. */
    r = capture_call(a, "{}", NULL);
    assert_issue(r, 422, "TRANSACTION_REFUSED");
    res_free(r);
    r = settle(a, "COMPLETED");
    cr_assert_eq(r->status, 422, "%s", r->body);
    res_free(r);

    settle_ok(a, "CREATED", "CREATED", "PAYMENT.AUTHORIZATION.CREATED");
    cr_assert_eq(events("PAYMENT.AUTHORIZATION.CREATED", a), 1);
    r = get(AUTHS, a);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    cr_assert_null(json_object_get(r->json, "status_details"));
    cr_assert(has_link(r->json, "capture"));
    res_free(r);
    r = settle(a, "CREATED");
    cr_assert_eq(r->status, 409, "settled twice: %s", r->body);
    res_free(r);
    r = capture_call(a, "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);

    settle_ok(b, "DENIED", "DENIED", NULL);
    cr_assert_eq(events("PAYMENT.AUTHORIZATION.CREATED", b), 0);
    char st[32];
    cr_assert_str_eq(status_of(AUTHS, b, st, sizeof(st)), "DENIED");
    r = capture_call(b, "{}", NULL);
    assert_issue(r, 422, "AUTHORIZATION_DENIED");
    res_free(r);
}

/* now - 1 day .. now + 1 hour on the simulator's clock, for a search. */
static void
search_window(char *q, size_t n, const char *transaction_id)
{
    struct res *r = sim("GET", "/sim/clock", NULL);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    cr_assert_not_null(
        strptime(jstr(r->json, "now"), "%Y-%m-%dT%H:%M:%SZ", &tm));
    res_free(r);
    time_t now = timegm(&tm);
    time_t from = now - DAY, to = now + 3600;
    char start[32], end[32];
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&from));
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", gmtime(&to));
    snprintf(q, n, "start_date=%s&end_date=%s&transaction_id=%s", start, end,
             transaction_id);
}

static size_t
search_rows(const char *transaction_id, char *status, size_t n)
{
    char q[512];
    search_window(q, sizeof(q), transaction_id);
    struct res *r = search(q);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *rows = json_object_get(r->json, "transaction_details");
    size_t count = json_array_size(rows);
    if (status != NULL)
        snprintf(status, n, "%s",
                 count > 0 ? jstr(json_array_get(rows, 0),
                                  "transaction_info.transaction_status")
                           : "");
    res_free(r);
    return count;
}

Test(sim, pending_capture_is_not_captured_money_until_settled,
     .init = exclusive, .fini = exclusive_done)
{
    char a[64], cap[64], st[32];
    authorized(a, sizeof(a));
    outcome_ok("capture", "PENDING", 1);
    struct res *r = capture_call(
        a, "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"50.00\"}}",
        NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(cap, sizeof(cap), "%s", jstr(r->json, "id"));
    cr_assert_str_eq(jstr(r->json, "status"), "PENDING");
    cr_assert_str_eq(jstr(r->json, "status_details.reason"), "PENDING_REVIEW");
    cr_assert_null(json_object_get(r->json, "seller_receivable_breakdown"));
    cr_assert(!has_link(r->json, "refund"));
    res_free(r);
    cr_assert_eq(events("PAYMENT.CAPTURE.PENDING", cap), 1);
    cr_assert_eq(events("PAYMENT.CAPTURE.COMPLETED", cap), 0);
    /* The authorization and the books do not count it. */
    r = get(AUTHS, a);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    res_free(r);
    r = sim("GET", "/sim/state", NULL);
    json_t *rec =
        json_object_get(json_object_get(r->json, "authorizations"), a);
    cr_assert_eq(json_integer_value(json_object_get(rec, "captured_minor")), 0);
    cr_assert_eq(json_integer_value(json_object_get(rec, "captures")), 0);
    res_free(r);
    cr_assert_eq(search_rows(cap, NULL, 0), 0);
    r = refund_call(cap, NULL, NULL);
    assert_issue(r, 422, "PENDING_CAPTURE");
    res_free(r);

    settle_ok(cap, "COMPLETED", "COMPLETED", "PAYMENT.CAPTURE.COMPLETED");
    cr_assert_eq(events("PAYMENT.CAPTURE.COMPLETED", cap), 1);
    r = get(CAPTURES, cap);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_null(json_object_get(r->json, "status_details"));
    cr_assert_str_eq(
        jstr(r->json, "seller_receivable_breakdown.gross_amount.value"),
        "50.00");
    cr_assert_str_eq(jstr(r->json, "seller_receivable_breakdown.paypal_fee."
                                   "value"),
                     "2.24");
    res_free(r);
    cr_assert_str_eq(status_of(AUTHS, a, st, sizeof(st)), "PARTIALLY_CAPTURED");
    cr_assert_eq(search_rows(cap, st, sizeof(st)), 1);
    cr_assert_str_eq(st, "S");
    r = refund_call(cap, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    res_free(r);
}

Test(sim, declined_and_failed_captures_leave_the_hold_capturable,
     .init = exclusive, .fini = exclusive_done)
{
    char a[64], refused[3][64], st[32];
    authorized(a, sizeof(a));
    outcome_ok("capture", "DECLINED", 2);
    outcome_ok("capture", "FAILED", 1);
    static const char *const want[] = {"DECLINED", "DECLINED", "FAILED"};
    for (int i = 0; i < 3; i++) {
        struct res *r = capture_call(a, "{}", NULL);
        cr_assert_eq(r->status, 201, "%s", r->body);
        cr_assert_str_eq(jstr(r->json, "status"), want[i], "%d: %s", i,
                         r->body);
        cr_assert_null(json_object_get(r->json, "seller_receivable_breakdown"));
        snprintf(refused[i], sizeof(refused[i]), "%s", jstr(r->json, "id"));
        res_free(r);
        cr_assert_eq(events("PAYMENT.CAPTURE.DECLINED", refused[i]), 1);
        cr_assert_str_eq(status_of(AUTHS, a, st, sizeof(st)), "CREATED");
    }
    cr_assert_eq(armed("capture"), 0);
    /* Back to normal: the whole amount is still there to capture. */
    struct res *r = capture_call(a, "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(jstr(r->json, "amount.value"), "129.99");
    res_free(r);
    cr_assert_str_eq(status_of(AUTHS, a, st, sizeof(st)), "CAPTURED");
    cr_assert_str_eq(status_of(CAPTURES, refused[0], st, sizeof(st)),
                     "DECLINED");
    r = refund_call(refused[0], NULL, NULL);
    assert_issue(r, 422, "REFUND_NOT_ALLOWED");
    res_free(r);
    r = settle(refused[2], "COMPLETED");
    cr_assert_eq(r->status, 409, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "error"),
                     "the capture is FAILED, not PENDING");
    res_free(r);
}

Test(sim, pending_capture_settles_declined_denied_or_failed, .init = exclusive,
     .fini = exclusive_done)
{
    char a[3][64], cap[3][64], st[32];
    outcome_ok("capture", "PENDING", 3);
    for (int i = 0; i < 3; i++) {
        authorized(a[i], sizeof(a[i]));
        struct res *r = capture_call(a[i], "{}", NULL);
        cr_assert_str_eq(jstr(r->json, "status"), "PENDING", "%s", r->body);
        snprintf(cap[i], sizeof(cap[i]), "%s", jstr(r->json, "id"));
        res_free(r);
    }
    struct res *r = settle(cap[0], "CREATED");
    cr_assert_eq(r->status, 422, "%s", r->body);
    cr_assert(strstr(jstr(r->json, "error"),
                     "COMPLETED, DECLINED, DENIED or FAILED") != NULL);
    res_free(r);
    settle_ok(cap[0], "DECLINED", "DECLINED", "PAYMENT.CAPTURE.DECLINED");
    settle_ok(cap[1], "DENIED", "DECLINED", "PAYMENT.CAPTURE.DENIED");
    settle_ok(cap[2], "FAILED", "FAILED", "PAYMENT.CAPTURE.DECLINED");
    cr_assert_eq(events("PAYMENT.CAPTURE.DENIED", cap[1]), 1);
    cr_assert_eq(events("PAYMENT.CAPTURE.DECLINED", cap[2]), 1);
    cr_assert_eq(events("PAYMENT.CAPTURE.COMPLETED", cap[0]), 0);
    cr_assert_str_eq(status_of(CAPTURES, cap[1], st, sizeof(st)), "DECLINED");
    cr_assert_str_eq(status_of(CAPTURES, cap[2], st, sizeof(st)), "FAILED");
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(status_of(AUTHS, a[i], st, sizeof(st)), "CREATED");
    r = capture_call(a[1], "{}", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);
}

Test(sim, refund_outcomes_pending_and_failed, .init = exclusive,
     .fini = exclusive_done)
{
    char a[64], cap[64], pending[64], failed[64], st[32];
    authorized(a, sizeof(a));
    struct res *r = capture_call(a, "{}", NULL);
    snprintf(cap, sizeof(cap), "%s", jstr(r->json, "id"));
    res_free(r);
    outcome_ok("refund", "PENDING", 1);
    outcome_ok("refund", "FAILED", 1);
    r = refund_call(
        cap, "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"30.00\"}}",
        NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "PENDING");
    cr_assert_str_eq(jstr(r->json, "status_details.reason"), "ECHECK");
    cr_assert_null(json_object_get(r->json, "seller_payable_breakdown"));
    snprintf(pending, sizeof(pending), "%s", jstr(r->json, "id"));
    res_free(r);
    cr_assert_eq(events("PAYMENT.CAPTURE.REFUNDED", pending), 0);
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)), "COMPLETED");
    r = refund_call(cap, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "FAILED");
    cr_assert_str_eq(jstr(r->json, "amount.value"), "99.99");
    snprintf(failed, sizeof(failed), "%s", jstr(r->json, "id"));
    res_free(r);
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)), "COMPLETED");
    /* The pending 30.00 is held; the failed one holds nothing. */
    r = refund_call(
        cap, "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"100.00\"}}",
        NULL);
    assert_issue(r, 422, "REFUND_AMOUNT_EXCEEDED");
    res_free(r);
    r = refund_call(cap, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(jstr(r->json, "amount.value"), "99.99");
    res_free(r);
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)),
                     "PARTIALLY_REFUNDED");
    r = refund_call(cap, NULL, NULL);
    assert_issue(r, 422, "REFUND_AMOUNT_EXCEEDED");
    res_free(r);

    r = settle(pending, "DENIED");
    cr_assert_eq(r->status, 422, "%s", r->body);
    res_free(r);
    settle_ok(pending, "COMPLETED", "COMPLETED", "PAYMENT.CAPTURE.REFUNDED");
    cr_assert_eq(events("PAYMENT.CAPTURE.REFUNDED", pending), 1);
    r = get(REFUNDS, pending);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(
        jstr(r->json, "seller_payable_breakdown.total_refunded_amount.value"),
        "129.99");
    res_free(r);
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)), "REFUNDED");
    r = settle(failed, "COMPLETED");
    cr_assert_eq(r->status, 409, "%s", r->body);
    res_free(r);

    /* A pending refund that fails gives its amount back. */
    char b[64], cap_b[64], gone[64];
    authorized(b, sizeof(b));
    r = capture_call(b, "{}", NULL);
    snprintf(cap_b, sizeof(cap_b), "%s", jstr(r->json, "id"));
    res_free(r);
    outcome_ok("refund", "PENDING", 1);
    r = refund_call(cap_b, NULL, NULL);
    snprintf(gone, sizeof(gone), "%s", jstr(r->json, "id"));
    res_free(r);
    settle_ok(gone, "FAILED", "FAILED", NULL);
    cr_assert_str_eq(status_of(REFUNDS, gone, st, sizeof(st)), "FAILED");
    r = refund_call(cap_b, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "amount.value"), "129.99");
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);
}

Test(sim, outcome_rules_are_used_only_by_calls_that_succeed, .init = exclusive,
     .fini = exclusive_done)
{
    char a[64], rid[128], first[64];
    authorized(a, sizeof(a));
    outcome_ok("capture", "DECLINED", 2);
    struct res *r = capture_call(
        a, "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"200.00\"}}",
        NULL);
    assert_issue(r, 422, "MAX_CAPTURE_AMOUNT_EXCEEDED");
    res_free(r);
    cr_assert_eq(armed("capture"), 2, "a refused call used the rule");
    char path[160];
    snprintf(path, sizeof(path), "/v2/payments/authorizations/%s/capture", a);
    r = api("POST", path, "{}", NULL,
            "PayPal-Mock-Response: {\"mock_application_codes\":"
            "\"INSTRUMENT_DECLINED\"}");
    assert_issue(r, 422, "INSTRUMENT_DECLINED");
    res_free(r);
    cr_assert_eq(armed("capture"), 2, "a mocked call used the rule");
    unique(rid, sizeof(rid), "outcome");
    r = capture_call(a, "{}", rid);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "DECLINED");
    snprintf(first, sizeof(first), "%s", jstr(r->json, "id"));
    res_free(r);
    cr_assert_eq(armed("capture"), 1);
    r = capture_call(a, "{}", rid);
    cr_assert(r->status == 201 || r->status == 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), first, "the replay executed again");
    res_free(r);
    cr_assert_eq(armed("capture"), 1, "a replay used the rule");
    /* Authorize and refund rules are not used by a capture. */
    outcome_ok("refund", "FAILED", 1);
    outcome_ok("authorize", "DENIED", 1);
    r = capture_call(a, "{}", NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "DECLINED");
    res_free(r);
    cr_assert_eq(armed("capture"), 0);
    cr_assert_eq(armed("refund"), 1);
    cr_assert_eq(armed("authorize"), 1);
}

Test(sim, reset_and_delete_forget_outcome_rules, .init = exclusive,
     .fini = exclusive_done)
{
    outcome_ok("authorize", "DENIED", 5);
    outcome_ok("capture", "PENDING", 5);
    outcome_ok("refund", "PENDING", 5);
    struct res *r = sim("DELETE", "/sim/outcomes", NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "outcomes")), 0);
    res_free(r);
    cr_assert_eq(armed("capture"), 0);

    outcome_ok("authorize", "DENIED", 5);
    outcome_ok("capture", "DECLINED", 5);
    sim_ok("POST", "/sim/reset", NULL);
    cr_assert_eq(armed("authorize") + armed("capture"), 0);
    r = sim("GET", "/sim/state", NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "outcomes")), 0);
    res_free(r);
    /* Really gone: an authorize and a capture succeed. */
    char order[64], a[64];
    r = authorize_new(order, sizeof(order));
    cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "CREATED");
    snprintf(a, sizeof(a), "%s", jstr(r->json, AUTH0 ".id"));
    res_free(r);
    r = capture_call(a, "{}", NULL);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    res_free(r);
}

#define BARE_ORDER                                                             \
    "{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{\"amount\":"               \
    "{\"currency_code\":\"USD\",\"value\":\"17.25\"}}]}"

Test(sim, order_without_context_is_created_with_a_working_approve_link,
     .init = shared)
{
    struct res *r = api("POST", "/v2/checkout/orders", BARE_ORDER, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    cr_assert(!has_link(r->json, "payer-action"));
    cr_assert(has_link(r->json, "authorize"));
    char order[64], href[512] = "";
    snprintf(order, sizeof(order), "%s", jstr(r->json, "id"));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(r->json, "links"), i, l)
    {
        if (strcmp(json_string_value(json_object_get(l, "rel")), "approve") ==
            0)
            snprintf(href, sizeof(href), "%s",
                     json_string_value(json_object_get(l, "href")));
    }
    res_free(r);
    /* The minimal answer has the same links. */
    r = api_prefer("POST", "/v2/checkout/orders", BARE_ORDER, NULL, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "CREATED");
    cr_assert(has_link(r->json, "approve"));
    res_free(r);

    char want[128];
    snprintf(want, sizeof(want), "/checkoutnow?token=%s", order);
    const char *path = strstr(href, "/checkoutnow?");
    cr_assert(path != NULL && strcmp(path, want) == 0, "approve link %s", href);
    r = http("GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert(strstr(r->body, ">Approve</button>") != NULL, "%s", r->body);
    cr_assert(strstr(r->body, "17.25 USD") != NULL);
    res_free(r);
    char form[128];
    snprintf(form, sizeof(form), "token=%s", order);
    const char *const hdr[] = {
        "Content-Type: application/x-www-form-urlencoded", NULL};
    r = http("POST", "/checkoutnow/approve", form, hdr);
    /* No return URL: PayPal's page says so (NOTES §2.1). */
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(strstr(r->body, "Things don't appear to be working") != NULL);
    res_free(r);
    char st[32];
    cr_assert_str_eq(status_of("checkout/orders", order, st, sizeof(st)),
                     "APPROVED");
    char action[128];
    snprintf(action, sizeof(action), "/v2/checkout/orders/%s/authorize", order);
    r = api("POST", action, NULL, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "CREATED");
    res_free(r);
}

Test(sim, authorize_answer_follows_prefer, .init = shared)
{
    static const char *const prefers[] = {NULL, "Prefer: return=minimal",
                                          "Prefer: return=representation"};
    for (int i = 0; i < 3; i++) {
        char order[64], path[128];
        create_order(ORDER_BODY("12.00"), order, sizeof(order));
        approve(order);
        snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order);
        struct res *r = api_prefer("POST", path, NULL, NULL, NULL, prefers[i]);
        cr_assert_eq(r->status, 201, "%s", r->body);
        cr_assert_str_eq(jstr(r->json, "id"), order);
        cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
        cr_assert(has_link(r->json, "self"));
        if (i < 2) {
            /* Minimal (also the default): id, status and links only. */
            cr_assert_eq(json_object_size(r->json), 3, "%s: %s",
                         prefers[i] ? prefers[i] : "no Prefer", r->body);
            cr_assert_null(json_object_get(r->json, "purchase_units"));
        } else {
            cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "CREATED");
            cr_assert_str_eq(jstr(r->json, AUTH0 ".amount.value"), "12.00");
            cr_assert_str_eq(jstr(r->json, "intent"), "AUTHORIZE");
            cr_assert_not_null(json_object_get(r->json, "payer"));
        }
        res_free(r);
        /* Either way the authorization is there to GET. */
        r = get("checkout/orders", order);
        cr_assert_str_eq(jstr(r->json, AUTH0 ".status"), "CREATED");
        res_free(r);
    }
}

Test(sim, customer_payment_is_a_refundable_capture, .init = shared)
{
    struct res *r = sim("POST", "/sim/payments",
                        "{\"amount\":{\"currency_code\":\"USD\","
                        "\"value\":\"25.00\"},\"payer_email\":"
                        "\"refund-me@example.com\",\"note\":\"make-up\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    char seller[32], cap[32], st[32];
    snprintf(seller, sizeof(seller), "%s",
             jstr(r->json, "seller_transaction_id"));
    cr_assert_not_null(jstr(r->json, "buyer_transaction_id"));
    cr_assert_str_neq(jstr(r->json, "buyer_transaction_id"), seller);
    cr_assert_not_null(jstr(r->json, "capture_id"), "%s", r->body);
    snprintf(cap, sizeof(cap), "%s", jstr(r->json, "capture_id"));
    cr_assert_str_eq(cap, seller);
    res_free(r);

    r = get(CAPTURES, cap);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(jstr(r->json, "amount.value"), "25.00");
    /* 3.49% of 25.00 = 0.8725 -> 0.87, plus 0.49. */
    cr_assert_str_eq(jstr(r->json, "seller_receivable_breakdown.paypal_fee."
                                   "value"),
                     "1.36");
    cr_assert(has_link(r->json, "refund"));
    const char *order =
        jstr(r->json, "supplementary_data.related_ids.order_id");
    cr_assert_not_null(order);
    char order_id[32];
    snprintf(order_id, sizeof(order_id), "%s", order);
    res_free(r);
    r = get("checkout/orders", order_id);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    cr_assert_str_eq(jstr(r->json, "intent"), "CAPTURE");
    cr_assert_str_eq(jstr(r->json, "payer.email_address"),
                     "refund-me@example.com");
    res_free(r);

    char rid[128], refund[32];
    unique(rid, sizeof(rid), "refund");
    const char *ten =
        "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"10.00\"}}";
    r = refund_call(cap, ten, rid);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "COMPLETED");
    snprintf(refund, sizeof(refund), "%s", jstr(r->json, "id"));
    res_free(r);
    r = refund_call(cap, ten, rid);
    cr_assert(r->status == 201 || r->status == 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), refund, "the replay refunded again");
    res_free(r);
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)),
                     "PARTIALLY_REFUNDED");
    r = refund_call(
        cap, "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"15.01\"}}",
        NULL);
    assert_issue(r, 422, "REFUND_AMOUNT_EXCEEDED");
    res_free(r);
    r = refund_call(
        cap, "{\"amount\":{\"currency_code\":\"EUR\",\"value\":\"1.00\"}}",
        NULL);
    assert_issue(r, 422, "REFUND_CAPTURE_CURRENCY_MISMATCH");
    res_free(r);
    r = refund_call(cap, NULL, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "amount.value"), "15.00");
    cr_assert_str_eq(
        jstr(r->json, "seller_payable_breakdown.total_refunded_amount.value"),
        "25.00");
    res_free(r);
    cr_assert_str_eq(status_of(CAPTURES, cap, st, sizeof(st)), "REFUNDED");
    r = refund_call(cap, NULL, NULL);
    assert_issue(r, 422, "CAPTURE_FULLY_REFUNDED");
    res_free(r);
    cr_assert_eq(search_rows(seller, st, sizeof(st)), 1);
    cr_assert_str_eq(st, "V", "the refunded payment's row");

    /* A payment that has not completed is no capture. */
    r = sim("POST", "/sim/payments",
            "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"5.00\"},"
            "\"payer_email\":\"later@example.com\",\"status\":\"P\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_not_null(jstr(r->json, "seller_transaction_id"));
    cr_assert_null(json_object_get(r->json, "capture_id"));
    res_free(r);
}
