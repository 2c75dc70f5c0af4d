/* fuzz_router.c - libFuzzer target: route matching with path parameters
 * (src/http_router.c) and query-string parsing (http_query_param).
 *
 * Input: "path\nquery\nname\nname...": the decoded path nginx passes as
 * DOCUMENT_URI, the raw QUERY_STRING, and parameter names to look up (the
 * names the handlers use and every key of the query are looked up too).
 *
 * Invariants, for every method: a match is the first route whose pattern
 * matches (checked against an independent segment matcher) with its method
 * (or GET for HEAD); substituting its parameters into the pattern gives the
 * path back; a miss reports exactly the methods of the matching patterns.
 * http_query_param agrees with an independent decoder. */
#include "fuzz.h"
#include "rma/api.h"

static const enum http_method all_methods[] = {
    HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE,
};
#define NMETHODS (sizeof(all_methods) / sizeof(all_methods[0]))

/* The names handlers pass to http_query_param. */
static const char *const handler_names[] = {"status", "q", "limit", "cursor",
                                            "page",   "",  "from",  "to"};

/* The parameters of a pattern: at most one per segment, which it may share
 * with a literal prefix and suffix ("/exports/{kind}.csv"). */
static size_t
pattern_params(const char *p)
{
    size_t n = 0;
    for (; *p; p++) {
        if (*p != '{')
            continue;
        const char *close = strchr(p, '}');
        FUZZ_ASSERT(close != NULL && close > p + 1);
        FUZZ_ASSERT(memchr(p, '/', (size_t)(close - p)) == NULL);
        size_t rest = strcspn(close + 1, "/");
        FUZZ_ASSERT(memchr(close + 1, '{', rest) == NULL);
        n++;
    }
    return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    FUZZ_ASSERT(n_routes > 0);
    for (size_t i = 0; i < n_routes; i++) {
        FUZZ_ASSERT(routes[i].pattern[0] == '/');
        FUZZ_ASSERT(pattern_params(routes[i].pattern) <= HTTP_MAX_PARAMS);
        FUZZ_ASSERT(routes[i].handler != NULL);
        for (size_t j = 0; j < i; j++) /* no route shadowed by another */
            FUZZ_ASSERT(routes[j].method != routes[i].method ||
                        strcmp(routes[j].pattern, routes[i].pattern) != 0);
    }
    return 0;
}

/* Segment by segment: a literal segment is equal; one with a parameter,
 * "prefix{x}suffix", is the prefix, at least one character, the suffix. */
static int
reference_match(const char *pattern, const char *path)
{
    const char *p = pattern, *s = path;
    for (;;) {
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        const char *open = memchr(p, '{', plen);
        if (open != NULL) {
            const char *close = strchr(open, '}');
            size_t pre = (size_t)(open - p);
            size_t suf = plen - (size_t)(close + 1 - p);
            if (slen < pre + suf + 1 || memcmp(s, p, pre) != 0 ||
                memcmp(s + slen - suf, close + 1, suf) != 0)
                return 0;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
        if (*p == '\0' || *s == '\0')
            return *p == '\0' && *s == '\0';
        p++; /* both at '/' */
        s++;
    }
}

static int
serves(enum http_method route_method, enum http_method m)
{
    return route_method == m || (m == HTTP_HEAD && route_method == HTTP_GET);
}

static void
check_route(const char *path)
{
    unsigned matching = 0; /* methods of all patterns matching path */
    int first[NMETHODS];
    for (size_t k = 0; k < NMETHODS; k++)
        first[k] = -1;
    for (size_t i = 0; i < n_routes; i++) {
        if (!reference_match(routes[i].pattern, path))
            continue;
        matching |= routes[i].method;
        for (size_t k = 0; k < NMETHODS; k++)
            if (first[k] < 0 && serves(routes[i].method, all_methods[k]))
                first[k] = (int)i;
    }
    for (size_t k = 0; k < NMETHODS; k++) {
        struct arena a;
        arena_init(&a, 1024);
        struct http_request req;
        memset(&req, 0, sizeof(req));
        req.arena = &a;
        unsigned allowed = 0xdead;
        int r = router_match(path, all_methods[k], &req, &allowed);
        FUZZ_ASSERT(r == first[k]);
        if (r < 0) {
            FUZZ_ASSERT(allowed == matching);
            FUZZ_ASSERT(req.nparams == 0);
            arena_free(&a);
            continue;
        }
        FUZZ_ASSERT(allowed & routes[r].method);
        /* The pattern with its parameters put back is the path. */
        const char *pattern = routes[r].pattern;
        FUZZ_ASSERT(req.nparams == pattern_params(pattern));
        char rebuilt[HTTP_MAX_PATH * 2];
        size_t n = 0, pi = 0;
        for (const char *p = pattern; *p;) {
            if (*p == '{') {
                const char *v = req.params[pi++];
                FUZZ_ASSERT(v != NULL && v[0] != '\0' && !strchr(v, '/'));
                size_t vlen = strlen(v);
                FUZZ_ASSERT(n + vlen < sizeof(rebuilt));
                memcpy(rebuilt + n, v, vlen);
                n += vlen;
                p = strchr(p, '}') + 1;
            } else {
                FUZZ_ASSERT(n + 1 < sizeof(rebuilt));
                rebuilt[n++] = *p++;
            }
        }
        rebuilt[n] = '\0';
        FUZZ_ASSERT(strcmp(rebuilt, path) == 0);
        arena_free(&a);
    }
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The value of the first "name=..." (or bare "name") of query, decoded
 * ('+' a space, %XX a byte other than NUL) into out; -1 absent, 0 bad
 * encoding, 1 found. */
static int
reference_query(const char *query, const char *name, char *out)
{
    size_t nlen = strlen(name);
    for (const char *q = query;;) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        if ((len > 0 || *q == '&') && klen == nlen &&
            memcmp(q, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : q + len, *end = q + len;
            size_t o = 0;
            for (; v < end; v++) {
                if (*v == '+') {
                    out[o++] = ' ';
                } else if (*v == '%') {
                    if (end - v < 3 || hexval(v[1]) < 0 || hexval(v[2]) < 0)
                        return 0;
                    int c = hexval(v[1]) * 16 + hexval(v[2]);
                    if (c == 0)
                        return 0;
                    out[o++] = (char)c;
                    v += 2;
                } else {
                    out[o++] = *v;
                }
            }
            out[o] = '\0';
            return 1;
        }
        if (q[len] == '\0')
            return -1;
        q += len + 1;
    }
}

static void
check_query_name(const struct http_request *req, const char *name)
{
    char *want = malloc(strlen(req->query) + 1);
    FUZZ_ASSERT(want != NULL);
    int ref = reference_query(req->query, name, want);
    enum rma_err err = (enum rma_err) - 1;
    const char *got = http_query_param(req, name, &err);
    if (ref == 1) {
        FUZZ_ASSERT(err == RMA_OK && got != NULL);
        FUZZ_ASSERT(strcmp(got, want) == 0);
    } else if (ref == 0) {
        FUZZ_ASSERT(err == RMA_EINVAL && got == NULL);
    } else {
        FUZZ_ASSERT(err == RMA_OK && got == NULL);
    }
    free(want);
}

static void
check_query(const char *query, char **names, size_t nnames)
{
    struct arena a;
    arena_init(&a, 1024);
    struct http_request req;
    memset(&req, 0, sizeof(req));
    req.arena = &a;
    req.query = query;
    for (size_t i = 0; i < sizeof(handler_names) / sizeof(handler_names[0]);
         i++)
        check_query_name(&req, handler_names[i]);
    for (size_t i = 0; i < nnames; i++)
        check_query_name(&req, names[i]);
    /* Every key present in the query. */
    char *copy = strdup(query);
    FUZZ_ASSERT(copy != NULL);
    for (char *k = copy;;) {
        size_t len = strcspn(k, "&");
        char saved = k[len];
        k[len] = '\0';
        char *eq = strchr(k, '=');
        if (eq != NULL)
            *eq = '\0';
        check_query_name(&req, k);
        if (saved == '\0')
            break;
        k += len + 1;
    }
    free(copy);
    arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_take_line(&data, &size);
    char *query = fuzz_take_line(&data, &size);
    char *names[8];
    size_t nnames = 0;
    while (size > 0 && nnames < 8)
        names[nnames++] = fuzz_take_line(&data, &size);

    if (strlen(path) <= HTTP_MAX_PATH) /* longer paths never get here */
        check_route(path);
    if (strlen(query) <= HTTP_MAX_QUERY)
        check_query(query, names, nnames);

    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(path);
    free(query);
    return 0;
}
