/* test_web.c - what nginx itself answers: the security headers on every
 * kind of answer (the portal, its assets, the API, an uploaded file, an
 * error of nginx's own), Allow on nginx's own 405s, and nothing but the
 * portal served from the web root.  Run by tests/run-suite against the
 * demo's configuration (nginx/rma-local.conf.in) and by
 * tests/e2e/nginx_example.sh against the production example
 * (nginx/rma.conf.example, which also sends HSTS: RMA_TEST_HSTS=1). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../harness.h"

#ifndef IMAGE_FIXTURES
#define IMAGE_FIXTURES "tests/fixtures/images"
#endif

/* The headers every answer carries, whoever wrote it. */
static void
assert_security_headers(const struct http_result *r, const char *what)
{
    static const struct {
        const char *name, *value;
    } want[] = {
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "same-origin"},
        {"X-Frame-Options", "DENY"},
    };
    char v[1024];
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cr_assert_not_null(harness_header(r, want[i].name, v, sizeof(v)),
                           "%s: no %s", what, want[i].name);
        cr_assert_str_eq(v, want[i].value, "%s: %s", what, want[i].name);
    }
    cr_assert_not_null(
        harness_header(r, "Content-Security-Policy", v, sizeof(v)),
        "%s: no Content-Security-Policy", what);
    cr_assert_not_null(strstr(v, "frame-ancestors 'none'"), "%s: CSP %s", what,
                       v);
    const char *hsts = getenv("RMA_TEST_HSTS");
    if (hsts != NULL && strcmp(hsts, "1") == 0)
        cr_assert_not_null(
            harness_header(r, "Strict-Transport-Security", v, sizeof(v)),
            "%s: no Strict-Transport-Security", what);
}

static struct http_result
get(const char *path)
{
    return harness_http("GET", path, NULL, NULL, 0);
}

Test(web, the_portal_its_assets_the_api_and_errors_carry_the_headers)
{
    static const struct {
        const char *path;
        long status;
    } pages[] = {
        {"/", 200},
        {"/css/portal.css", 200},
        {"/js/no-such-file.js", 404},
        {"/healthz", 200},
        {"/api/v1/rmas", 401},
        {"/api/v1/no/such/thing", 404},
    };
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        struct http_result r = get(pages[i].path);
        cr_assert_eq(r.status, pages[i].status, "%s: %ld", pages[i].path,
                     r.status);
        assert_security_headers(&r, pages[i].path);
        harness_http_free(&r);
    }
}

/* An uploaded picture comes from nginx's internal /_uploads/ location,
 * which has add_header lines of its own in production: nginx then
 * inherits none of the server's, so that location must repeat them. */
Test(web, an_uploaded_file_carries_the_headers)
{
    /* Unique names: the test runs twice against one database. */
    char *email = harness_unique_email("web-headers");
    char *agent = harness_staff_token("agent", email);
    char *number = harness_create_case(agent, email, "refund", true);
    char *cookie = harness_login(email);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", number);
    struct http_result r = harness_http(
        "POST", path, harness_portal_headers(cookie, NULL), NULL, 0);
    cr_assert_eq(r.status, 200, "agree: %s", r.body);
    harness_http_free(&r);

    FILE *f = fopen(IMAGE_FIXTURES "/tiny.png", "rb");
    cr_assert_not_null(f);
    char png[4096];
    size_t n = fread(png, 1, sizeof(png), f);
    fclose(f);
    char cookie_line[512];
    snprintf(cookie_line, sizeof(cookie_line), "Cookie: %s", cookie);
    const char *h[] = {"X-Requested-With: rma-portal", cookie_line,
                       "Content-Type: image/png", NULL};
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/shipping_label",
             number);
    r = harness_http("PUT", path, h, png, n);
    cr_assert_eq(r.status, 201, "upload: %s", r.body);
    long long id = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/%lld", number,
             id);
    r = harness_http("GET", path, h, NULL, 0);
    cr_assert_eq(r.status, 200, "download: %s", r.body);
    cr_assert_eq(r.body_len, n, "the picture itself");
    char v[256];
    cr_assert_not_null(harness_header(&r, "Content-Type", v, sizeof(v)));
    cr_assert_str_eq(v, "image/png");
    cr_assert_not_null(harness_header(&r, "Cache-Control", v, sizeof(v)));
    cr_assert_not_null(strstr(v, "no-store"), "Cache-Control: %s", v);
    assert_security_headers(&r, "an uploaded file");
    harness_http_free(&r);
    free(cookie);
    free(number);
    free(email);
    free(agent);
}

/* nginx answers 405 itself to TRACE (before any location) and to a POST
 * to a static file; like the service's, its 405s name the methods. */
Test(web, nginx_own_405s_carry_allow)
{
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"POST", "/", "GET, HEAD"},
        {"POST", "/index.html", "GET, HEAD"},
        {"DELETE", "/css/portal.css", "GET, HEAD"},
        {"TRACE", "/", "GET, HEAD"},
        {"TRACE", "/api/v1/rmas", "GET, HEAD"},
        {"TRACE", "/api/v1/auth/session", "POST, DELETE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_result r =
            harness_http(cases[i].method, cases[i].path, NULL, NULL, 0);
        cr_assert_eq(r.status, 405, "%s %s: %ld", cases[i].method,
                     cases[i].path, r.status);
        char allow[64];
        cr_assert_not_null(harness_header(&r, "Allow", allow, sizeof(allow)),
                           "%s %s: no Allow", cases[i].method, cases[i].path);
        cr_assert_str_eq(allow, cases[i].allow, "%s %s", cases[i].method,
                         cases[i].path);
        /* One Allow, not nginx's beside the service's. */
        const char *first = strstr(r.headers, "\nAllow:");
        cr_assert(first == NULL || strstr(first + 1, "\nAllow:") == NULL,
                  "%s %s: two Allow headers", cases[i].method, cases[i].path);
        assert_security_headers(&r, cases[i].path);
        harness_http_free(&r);
    }
}

/* The web root is the portal and nothing else: no build file, no hidden
 * file, nothing above it.  An unknown path is either a 404 or the portal's
 * page (its own routes), never another file's bytes. */
Test(web, no_build_file_is_served_from_the_web_root)
{
    struct http_result home = get("/index.html");
    cr_assert_eq(home.status, 200);
    static const char *const paths[] = {
        "/local.mk",           "/web.mk",
        "/Makefile",           "/Makefile.am",
        "/Makefile.in",        "/configure",
        "/configure.ac",       "/config.log",
        "/config.status",      "/libtool",
        "/.gitignore",         "/.git/config",
        "/.bootstrap-options", "/js/.dirstamp",
        "/index.html~",        "/js/app.js.orig",
        "/../Makefile",        "/%2e%2e/Makefile",
        "/..%2fMakefile",      "/css/../../Makefile.am",
        "/rma-fcgi",           "/src/main_fcgi.c",
        "/web/index.html",     "/run/rma.conf",
    };
    static const char *const denied[] = {
        "/local.mk",   "/web.mk",      "/Makefile.am", "/config.log",
        "/.gitignore", "/.git/config", "/index.html~", "/js/app.js.orig",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct http_result r = get(paths[i]);
        bool is_portal = r.status == 200 && r.body_len == home.body_len &&
                         memcmp(r.body, home.body, home.body_len) == 0;
        cr_assert(r.status == 404 || r.status == 400 || is_portal,
                  "%s: %ld, %zu bytes", paths[i], r.status, r.body_len);
        cr_assert_null(strstr(r.body, "automake"), "%s", paths[i]);
        cr_assert_null(strstr(r.body, "EXTRA_DIST"), "%s", paths[i]);
        cr_assert_null(strstr(r.body, "database_url"), "%s", paths[i]);
        harness_http_free(&r);
    }
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        struct http_result r = get(denied[i]);
        cr_assert_eq(r.status, 404, "%s: %ld", denied[i], r.status);
        assert_security_headers(&r, denied[i]);
        harness_http_free(&r);
    }
    harness_http_free(&home);
}
