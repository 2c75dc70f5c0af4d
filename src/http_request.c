/* http_request.c - headers, bounded body and query string of a request. */
#include <fcgiapp.h>
#include <string.h>

#include "rma/http.h"

const char *
http_header(const struct http_request *req, const char *cgi_name)
{
    const char *v = FCGX_GetParam(cgi_name, req->fcgx->envp);
    if (v != NULL &&
        strnlen(v, HTTP_MAX_HEADER_VALUE + 1) > HTTP_MAX_HEADER_VALUE)
        return NULL; /* absurdly long: treat as absent; nginx caps it too */
    return v;
}

enum rma_err
http_read_body(struct http_request *req, size_t max)
{
    /* CONTENT_LENGTH is a cheap early refusal, never a promise: the read
     * below stops at max + 1 bytes whatever it says. */
    if (req->content_length > 0 && (size_t)req->content_length > max)
        return RMA_ETOOLARGE;
    size_t cap = req->content_length > 0 ? (size_t)req->content_length : 4096;
    if (cap > max)
        cap = max;
    char *data = arena_alloc(req->arena, cap + 2);
    size_t len = 0;
    for (;;) {
        if (len == cap + 1) {
            if (len > max)
                return RMA_ETOOLARGE;
            size_t ncap = cap * 2 > max ? max : cap * 2;
            char *grown = arena_alloc(req->arena, ncap + 2);
            memcpy(grown, data, len);
            data = grown;
            cap = ncap;
        }
        int n = FCGX_GetStr(data + len, (int)(cap + 1 - len), req->fcgx->in);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len > max)
            return RMA_ETOOLARGE;
    }
    data[len] = '\0';
    req->body = data;
    req->body_len = len;
    return RMA_OK;
}

long
http_body_read(struct http_request *req, void *data, size_t n)
{
    int got = FCGX_GetStr(data, (int)n, req->fcgx->in);
    if ((size_t)(got > 0 ? got : 0) < n && FCGX_GetError(req->fcgx->in) != 0)
        return -1;
    return got > 0 ? got : 0;
}

void
http_body_drain(struct http_request *req)
{
    if (req->fcgx == NULL || req->content_length == 0)
        return;
    char sink[16384];
    long left = HTTP_DRAIN_MAX;
    while (left > 0) {
        int n = FCGX_GetStr(sink, (int)sizeof(sink), req->fcgx->in);
        if (n <= 0)
            break;
        left -= n;
    }
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) ('+' is a space) into the arena; NULL if bad. */
static char *
decode(struct arena *a, const char *s, size_t n)
{
    char *out = arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= n)
                return NULL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            char c = (char)(hi << 4 | lo);
            if (c == '\0')
                return NULL;
            out[o++] = c;
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

const char *
http_query_param(const struct http_request *req, const char *name,
                 enum rma_err *err)
{
    *err = RMA_OK;
    size_t nlen = strlen(name);
    const char *q = req->query;
    while (q != NULL && *q != '\0') {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        if (klen == nlen && memcmp(q, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : q + len;
            size_t vlen = (size_t)(q + len - v);
            char *d = decode(req->arena, v, vlen);
            if (d == NULL)
                *err = RMA_EINVAL;
            return d;
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return NULL;
}
