/* http_server.c - the FastCGI accept loop and the path of every request:
 * parse, route, authenticate (http_auth.c), read the body, call the
 * handler, answer. */
#include <errno.h>
#include <fcgiapp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rma/api.h"
#include "rma/crypto.h"
#include "rma/http_auth.h"
#include "rma/log.h"
#include "rma/metrics.h"

static const struct {
    const char *name;
    enum http_method method;
} methods[] = {
    {"GET", HTTP_GET}, {"HEAD", HTTP_HEAD},   {"POST", HTTP_POST},
    {"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
};

static enum http_method
parse_method(const char *s)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(s, methods[i].name) == 0)
            return methods[i].method;
    return 0;
}

static void
allow_header(struct http_response *res, struct arena *a, unsigned allowed)
{
    char list[64] = "";
    size_t n = 0;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        bool on = (allowed & methods[i].method) ||
                  (methods[i].method == HTTP_HEAD && (allowed & HTTP_GET));
        if (on)
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
                                  n ? ", " : "", methods[i].name);
    }
    http_add_header(res, a, "Allow", list);
}

/* A request id goes back as X-Request-Id and into every log line: 1 to 64
 * visible ASCII characters (nginx's $request_id is 32 hex digits), so that
 * no CR or LF splits the header and no invalid UTF-8 drops it from the logs
 * (found by tests/fuzz). */
static bool
request_id_ok(const char *rid)
{
    if (rid == NULL || rid[0] == '\0' || strnlen(rid, 65) > 64)
        return false;
    for (const char *p = rid; *p; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    return true;
}

/* Fills req from the FastCGI parameters.  RMA_EINVAL for what nginx would
 * not send us (missing method, over-long path or query). */
static enum rma_err
parse_request(FCGX_Request *f, struct arena *a, struct http_request *req,
              struct http_response *res)
{
    memset(req, 0, sizeof(*req));
    req->fcgx = f;
    req->arena = a;
    req->content_length = -1;
    const char *rid = FCGX_GetParam("REQUEST_ID", f->envp);
    if (request_id_ok(rid))
        req->request_id = arena_strdup(a, rid);
    const char *m = FCGX_GetParam("REQUEST_METHOD", f->envp);
    req->method_name = m ? arena_strndup(a, m, strnlen(m, 16)) : "";
    req->method = m ? parse_method(m) : 0;

    const char *path = FCGX_GetParam("DOCUMENT_URI", f->envp);
    const char *uri = FCGX_GetParam("REQUEST_URI", f->envp);
    if (path == NULL && uri != NULL) /* no nginx: take REQUEST_URI's path */
        path = arena_strndup(a, uri, strcspn(uri, "?"));
    if (path == NULL || path[0] != '/')
        return http_fail(res, RMA_EINVAL, "bad_path", "malformed path", NULL);
    if (strlen(path) > HTTP_MAX_PATH)
        return http_fail(res, RMA_EINVAL, "path_too_long", "path too long",
                         NULL);
    req->path = arena_strdup(a, path);

    const char *q = FCGX_GetParam("QUERY_STRING", f->envp);
    if (q != NULL && strlen(q) > HTTP_MAX_QUERY)
        return http_fail(res, RMA_EINVAL, "query_too_long",
                         "query string too long", NULL);
    req->query = q ? arena_strdup(a, q) : "";

    const char *ra = FCGX_GetParam("REMOTE_ADDR", f->envp);
    req->remote_addr = ra ? arena_strndup(a, ra, strnlen(ra, 64)) : "";
    const char *ct = FCGX_GetParam("CONTENT_TYPE", f->envp);
    req->content_type = ct ? arena_strndup(a, ct, strnlen(ct, 256)) : NULL;
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", f->envp);
    if (cl != NULL && *cl != '\0') {
        char *end;
        errno = 0;
        long v = strtol(cl, &end, 10);
        if (errno != 0 || *end != '\0' || v < 0)
            return http_fail(res, RMA_EINVAL, "bad_content_length",
                             "malformed Content-Length", NULL);
        req->content_length = v;
    }
    if (req->method == 0) {
        res->retry_after = 0;
        return http_fail(res, RMA_EMETHOD, NULL, "method not allowed", NULL);
    }
    return RMA_OK;
}

/* The request's clock: real time, or with test_clock the X-Rma-Test-Now
 * header (SPEC §2: time is injectable only when configured; test_mode
 * alone does not, and either is refused beside a public URL). */
static void
set_clock(struct api_ctx *ctx)
{
    time_t t = time(NULL);
    if (ctx->app->cfg->test_clock) {
        const char *h = http_header(ctx->req, "HTTP_X_RMA_TEST_NOW");
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        const char *end = h ? strptime(h, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
        if (end != NULL && *end == '\0')
            t = timegm(&tm);
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    ctx->now_t = t;
    strftime(ctx->now, sizeof(ctx->now), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool
is_json(const char *content_type)
{
    if (content_type == NULL)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(content_type, "application/json", n) == 0 &&
           (content_type[n] == '\0' || content_type[n] == ';' ||
            content_type[n] == ' ');
}

static const char *
skip_json_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* True when body[0..len) is the empty JSON object, spaces allowed. */
static bool
is_empty_object(const char *body, size_t len)
{
    const char *end = body + len;
    const char *p = skip_json_space(body, end);
    if (p == end || *p++ != '{')
        return false;
    p = skip_json_space(p, end);
    if (p == end || *p++ != '}')
        return false;
    return skip_json_space(p, end) == end;
}

static enum rma_err
read_body(struct api_ctx *ctx, const struct route *r)
{
    struct http_request *req = ctx->req;
    bool has_body = req->content_length > 0;
    if (r->body == BODY_NONE) {
        if (!has_body)
            return RMA_OK;
        /* An action without input (agree, submit, approve, ...) also takes
         * {}, what many clients send with every POST; anything else is
         * refused.  The body is then forgotten, so that an Idempotency-Key
         * sees {} and no body as the same request. */
        if (http_method_mutating(req->method) &&
            http_read_body(req, (size_t)ctx->app->cfg->max_body_bytes) ==
                RMA_OK &&
            is_empty_object(req->body, req->body_len)) {
            req->body = NULL;
            req->body_len = 0;
            return RMA_OK;
        }
        req->body = NULL;
        req->body_len = 0;
        return http_fail(ctx->res, RMA_EINVAL, "unexpected_body",
                         "this endpoint takes no request body (or {})", NULL);
    }
    if (r->body == BODY_STREAM)
        return RMA_OK;
    if (!is_json(req->content_type))
        return http_fail(ctx->res, RMA_EMEDIA, NULL,
                         "expected Content-Type: application/json", NULL);
    enum rma_err err =
        http_read_body(req, (size_t)ctx->app->cfg->max_body_bytes);
    if (err == RMA_ETOOLARGE)
        return http_fail(ctx->res, err, NULL, "request body too large", NULL);
    return err;
}

static double
elapsed(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* An Idempotency-Key on a customer's mutating request: a repeated key
 * answers what the first request answered, and only to the same request:
 * the key is stored with a SHA-256 of the method, the path and the body
 * (for a streamed body, the SHA-256 of its bytes, body_digest).  Returns
 * true when the answer was replayed (or refused) and nothing else must
 * run. */
static bool
idempotency_begin(struct api_ctx *ctx, const char *key,
                  const unsigned char *body_digest, enum rma_err *err)
{
    struct buf b;
    buf_init(&b, 2 * 1024 * 1024);
    buf_puts(&b, ctx->req->method_name);
    buf_puts(&b, " ");
    buf_puts(&b, ctx->req->path);
    buf_puts(&b, "\n");
    if (body_digest != NULL) {
        char hex[SHA256_HEX_LEN];
        buf_puts(&b, "sha256:");
        buf_puts(&b, crypto_hex(body_digest, SHA256_LEN, hex));
    } else if (ctx->req->body != NULL)
        buf_append(&b, ctx->req->body, ctx->req->body_len);
    unsigned char hash[SHA256_LEN];
    crypto_sha256(b.data ? b.data : "", b.len, hash);
    buf_free(&b);
    char *body = NULL;
    bool same = true;
    int status = 0;
    enum rma_err e = db_idem_begin(&ctx->app->db, ctx->customer.customer_id,
                                   key, hash, &status, &body, &same);
    if (e == RMA_OK) {
        ctx->idem_begun = true;
        return false;
    }
    if (e != RMA_ECONFLICT) {
        *err = e;
        free(body);
        return true;
    }
    if (!same)
        *err = http_fail(ctx->res, RMA_ERULE, "idempotency_key_reused",
                         "this Idempotency-Key was used for another request",
                         NULL);
    else if (status == 0)
        *err = http_fail(ctx->res, RMA_ECONFLICT, "request_in_progress",
                         "the first request with this Idempotency-Key is "
                         "still running",
                         NULL);
    else {
        ctx->res->outcome = OUT_REPLAY;
        ctx->res->text_body = arena_strdup(ctx->arena, body ? body : "");
        ctx->res->text_len = strlen(ctx->res->text_body);
        ctx->res->replay_status = status;
        *err = RMA_OK;
    }
    free(body);
    return true;
}

bool
api_idempotency_stream(struct api_ctx *ctx,
                       const unsigned char body_sha256[SHA256_LEN],
                       enum rma_err *err)
{
    *err = RMA_OK;
    if (ctx->idem_key == NULL || ctx->idem_begun)
        return false;
    return idempotency_begin(ctx, ctx->idem_key, body_sha256, err);
}

static void
idempotency_finish(struct api_ctx *ctx, const char *key, enum rma_err err)
{
    int status = http_status_for_err(err);
    if (status >= 500) { /* let a retry run again */
        (void)db_idem_abort(&ctx->app->db, ctx->customer.customer_id, key);
        return;
    }
    char *text = http_render_body(ctx->res, err);
    if (err == RMA_OK)
        status = http_success_status(ctx->res->outcome);
    (void)db_idem_finish(&ctx->app->db, ctx->customer.customer_id, key, status,
                         text ? text : "");
    free(text);
}

/* Serves one request. */
static void
handle(struct app *app, FCGX_Request *f, struct arena *a)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct http_request req;
    struct http_response res;
    memset(&res, 0, sizeof(res));
    struct api_ctx ctx = {.app = app, .req = &req, .res = &res, .arena = a};
    int route = -1;
    const struct route *r = NULL;

    enum rma_err err = parse_request(f, a, &req, &res);
    log_set_request_id(req.request_id);
    /* A method we do not know at all (OPTIONS, BREW) is routed too, so
     * that its 405 names the path's methods in Allow like any other. */
    if (err == RMA_OK || (err == RMA_EMETHOD && req.path != NULL)) {
        if (err == RMA_OK)
            set_clock(&ctx);
        unsigned allowed;
        route = router_match(req.path, req.method, &req, &allowed);
        if (route < 0 && allowed == 0)
            err =
                http_fail(&res, RMA_ENOTFOUND, NULL, "no such endpoint", NULL);
        else if (route < 0) {
            allow_header(&res, a, allowed);
            err = http_fail(&res, RMA_EMETHOD, NULL,
                            "method not allowed for this endpoint", NULL);
        } else
            r = &routes[route];
    }
    if (err == RMA_OK)
        err = http_authenticate(&ctx, r);
    if (err == RMA_OK)
        err = read_body(&ctx, r);
    bool replayed = false;
    if (err == RMA_OK &&
        (r->auth == AUTH_CUSTOMER || r->auth == AUTH_CUSTOMER_CASE) &&
        http_method_mutating(req.method)) {
        const char *idem_key = http_header(&req, "HTTP_IDEMPOTENCY_KEY");
        if (idem_key != NULL &&
            (strlen(idem_key) == 0 || strlen(idem_key) > 128))
            err =
                http_fail(&res, RMA_EINVAL, "bad_idempotency_key",
                          "Idempotency-Key must be 1 to 128 characters", NULL);
        else if (idem_key != NULL) {
            ctx.idem_key = idem_key;
            /* A streamed body is hashed by its handler as it reads it
             * (api_idempotency_stream). */
            if (r->body != BODY_STREAM)
                replayed = idempotency_begin(&ctx, idem_key, NULL, &err);
        }
    }
    if (err == RMA_OK && !replayed)
        err = r->handler(&ctx);
    if (err != RMA_OK)
        db_rollback(&app->db); /* a handler may fail inside a transaction */
    if (ctx.idem_begun)
        idempotency_finish(&ctx, ctx.idem_key, err);
    if ((err == RMA_EDB || err == RMA_EUPSTREAM) && res.retry_after == 0)
        res.retry_after = 1;

    http_body_drain(&req); /* what a refusal or a handler left unread */
    int status = http_respond(&req, &res, err);
    json_decref(res.body);
    double secs = elapsed(&t0);
    metrics_observe(route, status, secs);
    if (status >= 500)
        log_event(LOG_ERROR, "request_failed", "{s:s, s:s, s:i, s:s, s:f}",
                  "method", req.method_name ? req.method_name : "", "path",
                  req.path ? req.path : "", "status", status, "code",
                  res.error_code ? res.error_code : rma_err_code(err),
                  "duration_ms", secs * 1000.0);
    else
        log_event(LOG_DEBUG, "request", "{s:s, s:s, s:i, s:f}", "method",
                  req.method_name ? req.method_name : "", "path",
                  req.path ? req.path : "", "status", status, "duration_ms",
                  secs * 1000.0);
}

int
http_serve(struct app *app, int listen_fd, volatile int *stop)
{
    FCGX_Request f;
    if (FCGX_InitRequest(&f, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
        return -1;
    struct arena arena;
    arena_init(&arena, 16384);
    /* Connect before the first request so that it is not slower. */
    (void)db_ensure(&app->db);
    while (!*stop) {
        int rc = FCGX_Accept_r(&f);
        if (rc < 0) {
            if (*stop || rc == -EINTR)
                continue;
            log_event(LOG_ERROR, "accept_failed", "{s:i}", "rc", rc);
            break;
        }
        /* Mail a request queued is delivered by the sender (`rmactl
         * mail-sender`), woken when the request's transaction commits: a
         * worker never waits on SMTP, and its work after the answer is
         * the same whatever the request queued (SPEC §12). */
        handle(app, &f, &arena);
        FCGX_Finish_r(&f);
        arena_reset(&arena);
        log_set_request_id(NULL);
    }
    FCGX_Free(&f, 0);
    arena_free(&arena);
    return 0;
}
