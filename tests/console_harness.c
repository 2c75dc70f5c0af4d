/* console_harness.c - the staff console's test helpers (console_harness.h).
 */
#include "console_harness.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
console_person(const char *role)
{
    char *email = harness_unique_email(role);
    char *out = harness_runf(false,
                             "rmactl staff add --email '%s' --name 'Test %s' "
                             "--role %s 2>&1",
                             email, role, role);
    free(out);
    return email;
}

const char *const *
console_headers(const char *cookie, bool csrf, const char *extra)
{
    static char cookie_line[512];
    static const char *h[5];
    size_t n = 0;
    if (csrf)
        h[n++] = "X-Requested-With: rma-console";
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
console_login_at(const char *email, const char *now)
{
    char body[512], clock[64];
    snprintf(clock, sizeof(clock), "X-Rma-Test-Now: %s", now ? now : "");
    const char *extra = now ? clock : NULL;
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    struct http_result r =
        harness_http("POST", "/api/v1/staff/auth/code",
                     console_headers(NULL, true, extra), body, strlen(body));
    cr_assert_eq(r.status, 202, "%s", r.body);
    harness_http_free(&r);
    char *code = harness_mailed_code(email);
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"code\":\"%s\"}", email,
             code);
    free(code);
    r = harness_http("POST", "/api/v1/staff/auth/session",
                     console_headers(NULL, true, extra), body, strlen(body));
    cr_assert_eq(r.status, 200, "%s", r.body);
    char cookie[512];
    cr_assert_not_null(
        harness_header(&r, "Set-Cookie", cookie, sizeof(cookie)));
    harness_http_free(&r);
    cookie[strcspn(cookie, ";")] = '\0';
    return strdup(cookie);
}

char *
console_login(const char *email)
{
    return console_login_at(email, NULL);
}

struct http_result
console_call(const char *method, const char *path, const char *cookie,
             const char *body)
{
    return harness_http(method, path, console_headers(cookie, true, NULL), body,
                        body ? strlen(body) : 0);
}

struct http_result
console_bearer(const char *method, const char *path, const char *token,
               const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

static char *
vsql(const char *fmt, va_list ap)
{
    char q[4096];
    vsnprintf(q, sizeof(q), fmt, ap);
    char *out = harness_runf(false, "%s '%s' -XAtq -c \"%s\"",
                             harness_env("RMA_TEST_PSQL"),
                             harness_env("RMA_TEST_ADMIN_URL"), q);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

char *
console_sql(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = vsql(fmt, ap);
    va_end(ap);
    return out;
}

long
console_sql_long(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = vsql(fmt, ap);
    va_end(ap);
    long v = strtol(out, NULL, 10);
    free(out);
    return v;
}

void
console_time(long offset, char out[32])
{
    time_t t = time(NULL) + offset;
    struct tm tm;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}
