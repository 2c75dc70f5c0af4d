/* harness.c - helpers for the tiers that run against the started stack. */
#include "harness.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "rma/buf.h"

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
