/* http_router.c - matches a path against the static route table. */
#include <string.h>

#include "rma/api.h"

/* Matches one pattern; on success stores parameters (arena copies). */
static int
match(const char *pattern, const char *path, struct http_request *req)
{
    size_t np = 0;
    const char *params[HTTP_MAX_PARAMS];
    size_t lens[HTTP_MAX_PARAMS];
    const char *p = pattern, *s = path;
    while (*p != '\0') {
        if (*p == '{') {
            /* A parameter runs to the end of its segment, less the literal
             * that follows it there ("{kind}.csv"). */
            const char *close = strchr(p, '}');
            size_t len = strcspn(s, "/");
            size_t suffix = close ? strcspn(close + 1, "/") : 0;
            if (close == NULL || len <= suffix || np == HTTP_MAX_PARAMS)
                return 0;
            len -= suffix;
            params[np] = s;
            lens[np++] = len;
            p = close + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    if (*s != '\0')
        return 0;
    if (req != NULL) {
        for (size_t i = 0; i < np; i++)
            req->params[i] = arena_strndup(req->arena, params[i], lens[i]);
        req->nparams = np;
    }
    return 1;
}

int
router_match(const char *path, enum http_method method,
             struct http_request *req, unsigned *allowed)
{
    *allowed = 0;
    for (size_t i = 0; i < n_routes; i++) {
        if (!match(routes[i].pattern, path, NULL))
            continue;
        *allowed |= routes[i].method;
        if (routes[i].method == method ||
            (method == HTTP_HEAD && routes[i].method == HTTP_GET)) {
            match(routes[i].pattern, path, req);
            return (int)i;
        }
    }
    return -1;
}
