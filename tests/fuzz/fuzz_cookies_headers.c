/* fuzz_cookies_headers.c - libFuzzer target: what the service reads from
 * the FastCGI environment before a handler runs (src/http_server.c,
 * src/http_auth.c, src/http_request.c): method, path, query and Content-Length
 * (parse_request), the request id, headers (http_header), the session
 * cookie, the CSRF check, the injectable clock, Content-Type, the bounded
 * body reader, the Allow header, and the response written back.
 *
 * Input: FastCGI parameters, one "NAME=VALUE" a line, then an empty line,
 * then the request body.  Lines the harness reads itself: FUZZ_CHUNK=n
 * (bytes libfcgi hands over per read), FUZZ_MAX=n (max_body_bytes),
 * FUZZ_TEST_MODE=1, FUZZ_TEST_CLOCK=1, FUZZ_BODY=none (the route takes no
 * body).
 *
 * http_server.c and http_auth.c are included to reach their static
 * functions; nothing here touches a database.  Invariants: each function
 * agrees with an independent reading of the parameters, the body reader
 * returns exactly the body or refuses it at the limit, and the response is
 * a well-formed CGI header block (no header split by CR or LF) with a
 * valid JSON body. */
#include "fuzz.h"
#include "http_auth.c"
#include "http_server.c"

#define MAX_ENV 64

static struct rma_config cfg;
static struct app app;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    cfg.public_base_url = (char *)"https://rma.example.com";
    app.cfg = &cfg;
    return 0;
}

/* ---- in-memory libfcgi streams ---- */

struct source {
    FCGX_Stream s; /* first: what libfcgi sees */
    unsigned char *data;
    size_t len, pos, chunk;
};

static void
source_fill(FCGX_Stream *s)
{
    struct source *src = (struct source *)s;
    if (src->pos >= src->len) {
        s->isClosed = 1;
        return;
    }
    size_t n =
        src->len - src->pos < src->chunk ? src->len - src->pos : src->chunk;
    s->rdNext = s->stopUnget = src->data + src->pos;
    s->stop = s->rdNext + n;
    src->pos += n;
}

struct sink {
    FCGX_Stream s; /* first */
    unsigned char window[256];
    char *data;
    size_t len;
};

static void
sink_empty(FCGX_Stream *s, int close)
{
    struct sink *k = (struct sink *)s;
    size_t n = (size_t)(s->wrNext - k->window);
    char *grown = realloc(k->data, k->len + n + 1);
    FUZZ_ASSERT(grown != NULL);
    k->data = grown;
    memcpy(k->data + k->len, k->window, n);
    k->len += n;
    k->data[k->len] = '\0';
    s->wrNext = k->window;
}

/* ---- independent readings ---- */

/* The empty JSON object with any JSON whitespace around its braces. */
static int
reference_empty_object(const uint8_t *d, size_t n)
{
    size_t i = 0;
    int braces = 0;
    for (; i < n; i++) {
        if (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')
            continue;
        if ((braces == 0 && d[i] == '{') || (braces == 1 && d[i] == '}'))
            braces++;
        else
            return 0;
    }
    return braces == 2;
}

static const char *
param(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **p = envp; *p; p++)
        if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

static long
number(const char *s, long def)
{
    if (s == NULL)
        return def;
    char *end;
    long v = strtol(s, &end, 10);
    return end == s ? def : v;
}

/* The first "rma_session=<value>" cookie with a non-empty value. */
static char *
reference_cookie(const char *header)
{
    const char *name = "rma_session=";
    size_t n = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > n && strncmp(p, name, n) == 0)
            return strndup(p + n, len - n);
        p += len;
    }
    return NULL;
}

static int
reference_is_json(const char *ct)
{
    const char *want = "application/json";
    if (ct == NULL)
        return 0;
    for (size_t i = 0; want[i]; i++)
        if (ct[i] != want[i] &&
            !(ct[i] >= 'A' && ct[i] <= 'Z' && ct[i] + ('a' - 'A') == want[i]))
            return 0;
    char c = ct[strlen(want)];
    return c == '\0' || c == ';' || c == ' ';
}

/* A CGI response: "Status: NNN Reason", "Name: value" lines, an empty
 * line, then (for errors and JSON) a JSON document and a newline. */
static void
check_response(const char *out, const struct http_request *req, int status,
               int expect_json)
{
    const char *end = strstr(out, "\r\n\r\n");
    FUZZ_ASSERT(end != NULL);
    FUZZ_ASSERT(strncmp(out, "Status: ", 8) == 0);
    FUZZ_ASSERT(out[8] >= '1' && out[8] <= '5' && out[11] == ' ');
    FUZZ_ASSERT((out[8] - '0') * 100 + (out[9] - '0') * 10 + (out[10] - '0') ==
                status);
    int saw_request_id = 0;
    for (const char *line = out; line < end;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = (size_t)(eol - line);
        FUZZ_ASSERT(memchr(line, '\n', len) == NULL);
        FUZZ_ASSERT(memchr(line, '\r', len) == NULL);
        const char *colon = memchr(line, ':', len);
        FUZZ_ASSERT(colon != NULL && colon > line && colon[1] == ' ');
        for (const char *c = line; c < colon; c++)
            FUZZ_ASSERT((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                        (*c >= '0' && *c <= '9') || *c == '-');
        if (strncmp(line, "X-Request-Id: ", 14) == 0) {
            saw_request_id = 1;
            FUZZ_ASSERT(strlen(req->request_id) == len - 14);
            FUZZ_ASSERT(memcmp(line + 14, req->request_id, len - 14) == 0);
        }
        line = eol + 2;
    }
    FUZZ_ASSERT(saw_request_id ==
                (req->request_id != NULL && req->request_id[0] != '\0'));
    if (!expect_json)
        return;
    json_error_t jerr;
    json_t *doc = json_loads(end + 4, 0, &jerr);
    FUZZ_ASSERT(doc != NULL);
    if (status >= 400) {
        json_t *e = json_object_get(doc, "error");
        FUZZ_ASSERT(json_is_string(json_object_get(e, "code")));
        FUZZ_ASSERT(json_is_string(json_object_get(e, "message")));
    }
    json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *envp[MAX_ENV + 1];
    size_t nenv = 0;
    while (size > 0) {
        char *line = fuzz_take_line(&data, &size);
        if (line[0] == '\0') {
            free(line);
            break;
        }
        if (nenv < MAX_ENV)
            envp[nenv++] = line;
        else
            free(line);
    }
    envp[nenv] = NULL;

    long chunk = number(param(envp, "FUZZ_CHUNK"), 4096);
    long max = number(param(envp, "FUZZ_MAX"), 1024);
    cfg.max_body_bytes = max >= 1 && max <= 65536 ? max : 1024;
    cfg.test_mode = param(envp, "FUZZ_TEST_MODE") != NULL;
    cfg.test_clock = param(envp, "FUZZ_TEST_CLOCK") != NULL;
    const char *fb = param(envp, "FUZZ_BODY");
    int body_none = fb != NULL && strcmp(fb, "none") == 0;

    struct source in;
    memset(&in, 0, sizeof(in));
    in.data = (unsigned char *)fuzz_strndup(data, size);
    in.len = size;
    in.chunk = chunk >= 1 && chunk <= 65536 ? (size_t)chunk : 4096;
    in.s.rdNext = in.s.stop = in.s.stopUnget = in.data;
    in.s.isReader = 1;
    in.s.fillBuffProc = source_fill;
    struct sink out;
    memset(&out, 0, sizeof(out));
    out.s.wrNext = out.s.rdNext = out.window;
    out.s.stop = out.window + sizeof(out.window);
    out.s.emptyBuffProc = sink_empty;

    FCGX_Request f;
    memset(&f, 0, sizeof(f));
    f.in = &in.s;
    f.out = &out.s;
    f.envp = envp;

    struct arena a;
    arena_init(&a, 4096);
    struct http_request req;
    struct http_response res;
    memset(&res, 0, sizeof(res));
    struct api_ctx ctx = {.app = &app, .req = &req, .res = &res, .arena = &a};

    /* parse_request */
    enum rma_err err = parse_request(&f, &a, &req, &res);
    /* The request id: 1 to 64 visible ASCII characters, or none. */
    const char *rid = param(envp, "REQUEST_ID");
    int rid_ok = rid != NULL && rid[0] != '\0' && strlen(rid) <= 64;
    for (const char *p = rid; rid_ok && *p; p++)
        rid_ok = *p > ' ' && *p < 0x7f;
    FUZZ_ASSERT((req.request_id != NULL) == rid_ok);
    FUZZ_ASSERT(!rid_ok || strcmp(req.request_id, rid) == 0);
    if (err == RMA_OK) {
        FUZZ_ASSERT(req.path[0] == '/' && strlen(req.path) <= HTTP_MAX_PATH);
        FUZZ_ASSERT(strlen(req.query) <= HTTP_MAX_QUERY);
        const char *m = param(envp, "REQUEST_METHOD");
        FUZZ_ASSERT(m != NULL && strcmp(req.method_name, m) == 0);
        FUZZ_ASSERT(parse_method(m) == req.method && req.method != 0);
        const char *cl = param(envp, "CONTENT_LENGTH");
        if (cl == NULL || cl[0] == '\0')
            FUZZ_ASSERT(req.content_length == -1);
        else
            FUZZ_ASSERT(req.content_length >= 0 &&
                        req.content_length == strtol(cl, NULL, 10));
    } else {
        FUZZ_ASSERT(err == RMA_EINVAL || err == RMA_EMETHOD);
    }

    if (err == RMA_OK) {
        /* Headers: absent, or exactly the parameter when not absurd. */
        static const char *const names[] = {
            "HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_ORIGIN",
            "HTTP_X_REQUESTED_WITH", "HTTP_IDEMPOTENCY_KEY"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *want = param(envp, names[i]);
            const char *got = http_header(&req, names[i]);
            if (want == NULL || strlen(want) > HTTP_MAX_HEADER_VALUE)
                FUZZ_ASSERT(got == NULL);
            else
                FUZZ_ASSERT(got != NULL && strcmp(got, want) == 0);
        }

        /* The session cookie. */
        const char *cookie_header = http_header(&req, "HTTP_COOKIE");
        char *want = reference_cookie(cookie_header);
        const char *got = session_token(&req, &a);
        FUZZ_ASSERT((want == NULL) == (got == NULL));
        FUZZ_ASSERT(want == NULL || strcmp(want, got) == 0);
        free(want);

        /* CSRF: the portal's header (the console's on staff paths) or
         * our own origin, nothing else. */
        const char *xrw = http_header(&req, "HTTP_X_REQUESTED_WITH");
        const char *origin = http_header(&req, "HTTP_ORIGIN");
        struct http_response scratch;
        memset(&scratch, 0, sizeof(scratch));
        ctx.res = &scratch;
        enum rma_err csrf = check_csrf(&ctx);
        ctx.res = &res;
        const char *mine = strncmp(req.path, "/api/v1/staff/", 14) == 0
                               ? "rma-console"
                               : "rma-portal";
        int allowed = (xrw && strcmp(xrw, mine) == 0) ||
                      (origin && strcmp(origin, cfg.public_base_url) == 0);
        FUZZ_ASSERT(csrf == (allowed ? RMA_OK : RMA_EFORBIDDEN));

        /* The clock: a full timestamp, from the header only with
         * test_clock (test_mode alone does not move it). */
        time_t before = time(NULL);
        set_clock(&ctx);
        FUZZ_ASSERT(strlen(ctx.now) > 0 && ctx.now[strlen(ctx.now) - 1] == 'Z');
        if (!cfg.test_clock)
            FUZZ_ASSERT(ctx.now_t >= before && ctx.now_t <= time(NULL));

        FUZZ_ASSERT(is_json(req.content_type) ==
                    reference_is_json(req.content_type));

        /* Routing, and the Allow header of a 405. */
        unsigned allowed_methods = 0;
        int r = router_match(req.path, req.method, &req, &allowed_methods);
        if (r < 0 && allowed_methods != 0) {
            allow_header(&res, &a, allowed_methods);
            FUZZ_ASSERT(res.nheaders == 1);
            const char *allow = res.headers[0].value;
            for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
                int on = (allowed_methods & methods[i].method) ||
                         (methods[i].method == HTTP_HEAD &&
                          (allowed_methods & HTTP_GET));
                FUZZ_ASSERT(on == (strstr(allow, methods[i].name) != NULL));
            }
            err =
                http_fail(&res, RMA_EMETHOD, NULL, "method not allowed", NULL);
        }

        /* The body: all of it, or refused at the limit. */
        struct route route = {.method = req.method,
                              .pattern = "/fuzz",
                              .body = body_none ? BODY_NONE : BODY_JSON};
        if (r >= 0)
            route = routes[r];
        enum rma_err berr = read_body(&ctx, &route);
        size_t lim = (size_t)cfg.max_body_bytes;
        if (route.body == BODY_NONE) {
            /* No body, or {} on a mutating request. */
            int empty_object =
                req.method != HTTP_GET && req.method != HTTP_HEAD &&
                !(req.content_length > 0 && (size_t)req.content_length > lim) &&
                size <= lim && reference_empty_object(data, size);
            FUZZ_ASSERT(berr == (req.content_length > 0 && !empty_object
                                     ? RMA_EINVAL
                                     : RMA_OK));
            FUZZ_ASSERT(req.body == NULL);
        } else if (route.body != BODY_JSON) { /* the handler reads it */
            FUZZ_ASSERT(berr == RMA_OK && req.body == NULL);
        } else if (!reference_is_json(req.content_type)) {
            FUZZ_ASSERT(berr == RMA_EMEDIA);
        } else if ((req.content_length > 0 &&
                    (size_t)req.content_length > lim) ||
                   size > lim) {
            FUZZ_ASSERT(berr == RMA_ETOOLARGE);
        } else {
            FUZZ_ASSERT(berr == RMA_OK);
            FUZZ_ASSERT(req.body != NULL && req.body_len == size);
            FUZZ_ASSERT(memcmp(req.body, data, size) == 0);
            FUZZ_ASSERT(req.body[size] == '\0');
        }
        if (err == RMA_OK)
            err = berr;
    }

    /* The answer. */
    if (err == RMA_OK) {
        res.outcome = OUT_OK;
        res.body = json_pack("{s:b}", "ok", 1);
    } else if (res.retry_after == 0 && (req.method_name[0] & 1)) {
        res.retry_after = 1 + (long)(size % 60);
    }
    int status = http_respond(&req, &res, err);
    FUZZ_ASSERT(status == (err == RMA_OK ? 200 : http_status_for_err(err)));
    sink_empty(&out.s, 0);
    FUZZ_ASSERT(out.data != NULL);
    check_response(out.data, &req, status, req.method != HTTP_HEAD);

    json_decref(res.body);
    free(out.data);
    free(in.data);
    arena_free(&a);
    for (size_t i = 0; i < nenv; i++)
        free(envp[i]);
    return 0;
}
