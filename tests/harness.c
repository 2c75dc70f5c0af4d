/* harness.c - helpers for the tiers that run against the started stack. */
#include "harness.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rma/buf.h"
#include "rma/crypto.h"

const char *
harness_env(const char *name)
{
    const char *v = getenv(name);
    cr_assert_not_null(v, "%s is not set: run the suite with `make check`",
                       name);
    return v;
}

static size_t
collect(char *p, size_t size, size_t n, void *user)
{
    struct buf *b = user;
    return buf_append(b, p, size * n) == RMA_OK ? size * n : 0;
}

struct http_result
harness_http(const char *method, const char *path, const char *const *headers,
             const char *body, size_t body_len)
{
    struct http_result r = {0};
    struct buf b, h;
    buf_init(&b, 64 * 1024 * 1024);
    buf_init(&h, 1024 * 1024);
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", harness_env("RMA_TEST_BASE_URL"), path);
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path,
                 curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    r.body_len = b.len;
    r.body = buf_steal(&b);
    r.headers = buf_steal(&h);
    r.json = json_loadb(r.body, r.body_len, 0, NULL);
    return r;
}

void
harness_http_free(struct http_result *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

const char *
harness_header(const struct http_result *r, const char *name, char *out,
               size_t n)
{
    size_t len = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (end == NULL)
            break;
        if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
            const char *v = line + len + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)(end - v), v);
            return out;
        }
        line = end + 2;
    }
    return NULL;
}

const char *
harness_error_code(const struct http_result *r)
{
    json_t *e = json_object_get(r->json, "error");
    return json_string_value(json_object_get(e, "code"));
}

int
harness_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    struct buf b;
    buf_init(&b, 16 * 1024 * 1024);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        buf_append(&b, chunk, n);
    int status = pclose(p);
    if (out != NULL)
        *out = buf_steal(&b);
    else
        buf_free(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

char *
harness_staff_token(const char *role, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "rmactl token create --role %s --name '%s'",
             role, name);
    char *out;
    int rc = harness_run(cmd, &out);
    cr_assert_eq(rc, 0, "%s", cmd);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

const char *const *
harness_portal_headers(const char *cookie, const char *extra)
{
    static char cookie_line[512];
    static const char *h[5];
    size_t n = 0;
    h[n++] = "X-Requested-With: rma-portal";
    h[n++] = "Content-Type: application/json";
    if (cookie != NULL) {
        snprintf(cookie_line, sizeof(cookie_line), "Cookie: %s", cookie);
        h[n++] = cookie_line;
    }
    if (extra != NULL)
        h[n++] = extra;
    h[n] = NULL;
    return h;
}

char *
harness_unique_email(const char *prefix)
{
    static int counter;
    char buf[128];
    unsigned char r[4];
    crypto_random(r, sizeof(r));
    snprintf(buf, sizeof(buf), "%s-%d-%d-%02x%02x%02x%02x@example.com", prefix,
             (int)getpid(), ++counter, r[0], r[1], r[2], r[3]);
    return strdup(buf);
}

void
harness_confirm_address(const char *token, const char *number)
{
    char auth[256], path[128];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/shipping-address",
             number);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    const char *body =
        "{\"name\":\"Test Customer\",\"line1\":\"1 Main Street\","
        "\"city\":\"Springfield\",\"region\":\"IL\",\"postal_code\":"
        "\"62701\",\"country\":\"US\",\"phone\":\"+1 217 555 0100\"}";
    struct http_result res = harness_http("PUT", path, h, body, strlen(body));
    cr_assert_eq(res.status, 200, "address: %s", res.body);
    harness_http_free(&res);
}

static char *create_case(const char *token, const char *email, const char *kind,
                         bool submit, bool address);

char *
harness_create_case(const char *token, const char *email, const char *kind,
                    bool submit)
{
    return create_case(token, email, kind, submit, true);
}

char *
harness_create_case_no_address(const char *token, const char *email,
                               const char *kind, bool submit)
{
    return create_case(token, email, kind, submit, false);
}

static char *
create_case(const char *token, const char *email, const char *kind, bool submit,
            bool address)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    unsigned char r[4];
    crypto_random(r, sizeof(r));
    char order[32];
    snprintf(order, sizeof(order), "SO-%02x%02x%02x%02x", r[0], r[1], r[2],
             r[3]);
    json_t *doc = json_pack(
        "{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, "
        "s:{s:s, s:s}}]}, s:s, s:s, s:[{s:s, s:s}]}",
        "customer", "email", email, "name", "Test Customer", "order",
        "order_number", order, "sales_channel", "web", "shipping_country", "US",
        "currency", "USD", "purchase_date", "2026-06-01", "items", "model",
        "CAM-4K-OUT", "quantity", 1, "unit_price", "currency_code", "USD",
        "value", "129.99", "kind", kind, "problem",
        "The camera does not power on.", "devices", "model", "CAM-4K-OUT",
        "serial_number", "SN-E2E-0001");
    if (strcmp(kind, "refund") == 0) {
        json_object_set_new(
            doc, "refund_amount",
            json_pack("{s:s, s:s}", "currency_code", "USD", "value", "129.99"));
        /* A full refund past the 30-day window is an override (policy.h). */
        json_object_set_new(doc, "refund_override_reason",
                            json_string("Full refund for the test."));
    } else
        json_object_set_new(
            doc, "replacement_value",
            json_pack("{s:s, s:s}", "currency_code", "USD", "value", "129.99"));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct http_result res =
        harness_http("POST", "/api/v1/staff/rmas", h, text, strlen(text));
    free(text);
    cr_assert_eq(res.status, 201, "create: %s", res.body);
    char *number =
        strdup(json_string_value(json_object_get(res.json, "number")));
    harness_http_free(&res);
    if (address && strcmp(kind, "refund") != 0)
        harness_confirm_address(token, number);
    if (submit) {
        char path[128];
        snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
        res = harness_http("POST", path, h, NULL, 0);
        cr_assert_eq(res.status, 200, "submit: %s", res.body);
        cr_assert_str_eq(json_string_value(json_object_get(res.json, "status")),
                         "pending_confirm",
                         "the suite's policy: no review under 500.00");
        harness_http_free(&res);
    }
    return number;
}

char *
harness_mailed_code(const char *email)
{
    char cmd[1024], pending[1024];
    /* Newest first: the last code sent is the live one. */
    snprintf(cmd, sizeof(cmd),
             "cd '%s/mail' 2>/dev/null && grep -l -i -F 'To: %s' *.eml "
             "2>/dev/null | xargs -r ls -t | xargs -r sed -n "
             "'s/^Code: \\([0-9]\\{6\\}\\).*/\\1/p' | head -n 1",
             harness_env("RMA_TEST_RUN"), email);
    /* The mail sender delivers once the request has committed: until the
     * outbox has no code left for the address, the newest file may be an
     * older one. */
    snprintf(pending, sizeof(pending),
             "'%s' '%s' -XAtq -c \"SELECT count(*) FROM mail_outbox"
             " WHERE to_addr = lower('%s') AND kind = 'login_code'"
             " AND sent_at IS NULL AND failed_at IS NULL\"",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_ADMIN_URL"),
             email);
    for (int i = 0; i < 50; i++) {
        char *left;
        harness_run(pending, &left);
        bool waiting = strtol(left, NULL, 10) != 0;
        free(left);
        if (waiting) {
            usleep(100 * 1000);
            continue;
        }
        char *out;
        harness_run(cmd, &out);
        if (strlen(out) >= 6) {
            out[6] = '\0';
            return out;
        }
        free(out);
        usleep(100 * 1000);
    }
    cr_assert_fail("no sign-in code mailed to %s", email);
    return NULL;
}

char *
harness_login(const char *email)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code",
                     harness_portal_headers(NULL, NULL), body, strlen(body));
    cr_assert_eq(r.status, 202, "%s", r.body);
    harness_http_free(&r);
    char *code = harness_mailed_code(email);
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"%s\"}", email,
             code);
    free(code);
    r = harness_http("POST", "/api/v1/auth/session",
                     harness_portal_headers(NULL, NULL), body, strlen(body));
    cr_assert_eq(r.status, 200, "%s", r.body);
    char cookie[512];
    cr_assert_not_null(
        harness_header(&r, "Set-Cookie", cookie, sizeof(cookie)));
    harness_http_free(&r);
    cookie[strcspn(cookie, ";")] = '\0';
    return strdup(cookie);
}

void
harness_sim_lock(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/hold-tests.lock",
             harness_env("RMA_TEST_RUN"));
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    cr_assert(fd >= 0, "open %s", path);
    cr_assert_eq(flock(fd, LOCK_EX), 0); /* held until the test exits */
}

json_t *
harness_sim(const char *method, const char *path, const char *body)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "curl -sS -X %s -H 'Content-Type: application/json' "
             "--data '%s' '%s%s'",
             method, body ? body : "", harness_env("RMA_TEST_SIM_URL"), path);
    char *out;
    int rc = harness_run(cmd, &out);
    cr_assert_eq(rc, 0, "%s -> %d: %s", cmd, rc, out);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "sim %s %s: %s", method, path, out);
    free(out);
    return j;
}

void
harness_sim_outcome(const char *operation, const char *status, int next)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"operation\":\"%s\",\"status\":\"%s\",\"next\":%d}", operation,
             status, next);
    json_t *j = harness_sim("POST", "/sim/outcomes", body);
    cr_assert(json_is_array(json_object_get(j, "outcomes")),
              "outcome %s %s %d refused: %s", operation, status, next,
              json_string_value(json_object_get(j, "error")));
    json_decref(j);
}

json_t *
harness_sim_settle(const char *id, const char *status)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"status\":\"%s\"}", id,
             status);
    json_t *j = harness_sim("POST", "/sim/outcomes/settle", body);
    cr_assert_not_null(json_object_get(j, "kind"), "settle %s %s refused: %s",
                       id, status,
                       json_string_value(json_object_get(j, "error")));
    return j;
}

void
harness_iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
harness_runf(bool allow_fail, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    char *out;
    int rc = harness_run(cmd, &out);
    if (!allow_fail)
        cr_assert_eq(rc, 0, "%s -> %d: %s", cmd, rc, out);
    return out;
}

char *
harness_sqlf(const char *fmt, ...)
{
    char q[4096];
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

long long
harness_upload_png(const char *cookie, const char *number, const char *kind)
{
    char file[512], path[256], cookie_h[512];
    snprintf(file, sizeof(file), "%s/tests/fixtures/images/tiny.png",
             harness_env("RMA_TEST_TOP_SRCDIR"));
    FILE *f = fopen(file, "rb");
    cr_assert_not_null(f, "%s", file);
    unsigned char data[4096];
    size_t len = fread(data, 1, sizeof(data), f);
    fclose(f);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/%s", number,
             kind);
    snprintf(cookie_h, sizeof(cookie_h), "Cookie: %s", cookie);
    const char *h[] = {"X-Requested-With: rma-portal", cookie_h,
                       "Content-Type: image/png", NULL};
    struct http_result r =
        harness_http("PUT", path, h, (const char *)data, len);
    cr_assert_eq(r.status, 201, "upload %s: %s", kind, r.body);
    long long id = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);
    return id;
}

void
harness_sim_ok(const char *method, const char *path, const char *body)
{
    json_decref(harness_sim(method, path, body));
}

void
harness_sim_clock(time_t t)
{
    char now[32], body[64];
    harness_iso(t, now);
    snprintf(body, sizeof(body), "{\"set\":\"%s\"}", now);
    harness_sim_ok("POST", "/sim/clock", body);
}
