/* http_auth.c - who is asking (SPEC §12): a staff member by bearer token
 * or console session with the route's roles, a customer by session
 * cookie, and the CSRF rule of browser requests.  Only this layer answers
 * 401 and 403 for them. */
#include "rma/http_auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rma/api.h"
#include "rma/crypto.h"
#include "rma/staff_account.h"

/* The credentials of an Authorization header in the Bearer scheme, or
 * NULL.  The scheme's name is case-insensitive and one or more spaces
 * follow it (RFC 7235 §2.1, RFC 6750 §2.1).  Borrowed from h. */
static const char *
bearer_token(const char *h)
{
    static const char scheme[] = "Bearer";
    size_t n = sizeof(scheme) - 1;
    if (h == NULL || strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
        return NULL;
    h += n;
    while (*h == ' ')
        h++;
    return *h != '\0' ? h : NULL;
}

bool
http_method_mutating(enum http_method m)
{
    return m != HTTP_GET && m != HTTP_HEAD;
}

/* The value of cookie name in the request, or NULL.  Arena. */
static const char *
cookie_value(const struct http_request *req, struct arena *a, const char *name)
{
    const char *cookies = http_header(req, "HTTP_COOKIE");
    size_t n = strlen(name);
    for (const char *p = cookies; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        if (len > n + 1 && strncmp(p, name, n) == 0 && p[n] == '=')
            return arena_strndup(a, p + n + 1, len - n - 1);
        p += len;
    }
    return NULL;
}

/* The session cookie's token, or NULL.  Borrowed from the request. */
static const char *
session_token(const struct http_request *req, struct arena *a)
{
    return cookie_value(req, a, AUTH_COOKIE);
}

static enum rma_err check_csrf(struct api_ctx *ctx);

/* A person's console session (staff_account.h) instead of a bearer token:
 * 401 when unknown, revoked, idle too long or the account deactivated; a
 * mutating request needs the console's CSRF header (check_csrf). */
static enum rma_err
authenticate_staff_session(struct api_ctx *ctx, const char *token)
{
    enum rma_err err = RMA_EUNAUTH;
    bool stale = false;
    if (strlen(token) <= 128) {
        unsigned char hash[SHA256_LEN];
        crypto_sha256(token, strlen(token), hash);
        err = db_staff_session_find(
            &ctx->app->db, hash, ctx->now,
            (int)ctx->app->cfg->staff_session_idle_minutes, &ctx->staff,
            &stale);
    }
    if (err == RMA_EUNAUTH)
        return http_fail(ctx->res, RMA_EUNAUTH, "session_expired",
                         "your session has ended: please sign in again", NULL);
    if (err != RMA_OK)
        return err;
    if (stale) /* refresh the idle clock at most once a minute */
        (void)db_staff_session_touch(&ctx->app->db, ctx->staff.session_id,
                                     ctx->now);
    if (http_method_mutating(ctx->req->method))
        return check_csrf(ctx);
    return RMA_OK;
}

/* Bearer token of a staff route or, without one, the console's session
 * cookie: 401 when neither is there, or it is unknown, revoked or expired;
 * 403 when the caller's role is not among the route's. */
static enum rma_err
authenticate_staff(struct api_ctx *ctx, const struct route *r)
{
    memset(&ctx->staff, 0, sizeof(ctx->staff));
    const char *h = http_header(ctx->req, "HTTP_AUTHORIZATION");
    const char *cookie =
        h == NULL ? cookie_value(ctx->req, ctx->arena, STAFF_COOKIE) : NULL;
    enum rma_err err;
    if (cookie != NULL) {
        err = authenticate_staff_session(ctx, cookie);
        if (err != RMA_OK)
            return err;
    } else if (bearer_token(h) == NULL) {
        http_add_header(ctx->res, ctx->arena, "WWW-Authenticate",
                        "Bearer realm=\"rma-staff\"");
        return http_fail(ctx->res, RMA_EUNAUTH, NULL,
                         "a staff bearer token or console session is "
                         "required",
                         NULL);
    } else {
        const char *token = bearer_token(h);
        unsigned char hash[SHA256_LEN];
        crypto_sha256(token, strlen(token), hash);
        err = db_staff_token_find(&ctx->app->db, hash, &ctx->staff);
        if (err == RMA_EUNAUTH) {
            http_add_header(
                ctx->res, ctx->arena, "WWW-Authenticate",
                "Bearer realm=\"rma-staff\", error=\"invalid_token\"");
            return http_fail(ctx->res, RMA_EUNAUTH, "invalid_token",
                             "unknown or revoked token", NULL);
        }
        if (err != RMA_OK)
            return err;
    }
    if ((ctx->staff.role & r->roles) == 0)
        return http_fail(ctx->res, RMA_EFORBIDDEN, NULL,
                         "your role may not call this endpoint", NULL);
    return RMA_OK;
}

/* Session cookie: 401 when missing, unknown, revoked or expired.  With
 * with_case, the case the path's {number} names is read in the same query
 * (ctx->case_read), the session's rules unchanged. */
static enum rma_err
authenticate_customer(struct api_ctx *ctx, bool with_case)
{
    const char *token = session_token(ctx->req, ctx->arena);
    if (token == NULL || strlen(token) > 128)
        return http_fail(ctx->res, RMA_EUNAUTH, NULL, "please log in", NULL);
    unsigned char hash[SHA256_LEN];
    crypto_sha256(token, strlen(token), hash);
    int idle = (int)ctx->app->cfg->session_idle_minutes;
    enum rma_err err =
        with_case ? db_session_find_case(&ctx->app->db, hash, ctx->now, idle,
                                         ctx->req->params[0], &ctx->customer,
                                         ctx->arena, &ctx->case_read)
                  : db_session_find(&ctx->app->db, hash, ctx->now, idle,
                                    &ctx->customer);
    if (err == RMA_EUNAUTH)
        return http_fail(ctx->res, RMA_EUNAUTH, "session_expired",
                         "your session has ended: please log in again", NULL);
    if (err != RMA_OK)
        return err;
    if (ctx->customer.stale) /* refresh the idle clock at most once a minute */
        (void)db_session_touch(&ctx->app->db, ctx->customer.session_id,
                               ctx->now);
    return RMA_OK;
}

/* The session's customer when the request carries a valid one; nobody
 * (customer_id 0) otherwise, without failing the request. */
static enum rma_err
recognize_customer(struct api_ctx *ctx)
{
    memset(&ctx->customer, 0, sizeof(ctx->customer));
    const char *token = session_token(ctx->req, ctx->arena);
    if (token == NULL || strlen(token) > 128)
        return RMA_OK;
    unsigned char hash[SHA256_LEN];
    crypto_sha256(token, strlen(token), hash);
    enum rma_err err = db_session_find(&ctx->app->db, hash, ctx->now,
                                       (int)ctx->app->cfg->session_idle_minutes,
                                       &ctx->customer);
    if (err == RMA_EUNAUTH) {
        memset(&ctx->customer, 0, sizeof(ctx->customer));
        return RMA_OK;
    }
    return err;
}

/* SPEC §12: a mutating browser request carries X-Requested-With:
 * rma-portal (the console's, under /api/v1/staff/: rma-console), or an
 * Origin equal to public_base_url. */
static enum rma_err
check_csrf(struct api_ctx *ctx)
{
    bool console = strncmp(ctx->req->path, "/api/v1/staff/", 14) == 0;
    const char *want = console ? "rma-console" : "rma-portal";
    const char *xrw = http_header(ctx->req, "HTTP_X_REQUESTED_WITH");
    if (xrw != NULL && strcmp(xrw, want) == 0)
        return RMA_OK;
    const char *origin = http_header(ctx->req, "HTTP_ORIGIN");
    if (origin != NULL && strcmp(origin, ctx->app->cfg->public_base_url) == 0)
        return RMA_OK;
    return http_fail(ctx->res, RMA_EFORBIDDEN, "csrf",
                     console ? "missing X-Requested-With: rma-console or a "
                               "matching Origin"
                             : "missing X-Requested-With: rma-portal or a "
                               "matching Origin",
                     NULL);
}

enum rma_err
http_authenticate(struct api_ctx *ctx, const struct route *r)
{
    enum rma_err err = RMA_OK;
    if (r->csrf && http_method_mutating(ctx->req->method))
        err = check_csrf(ctx);
    if (err == RMA_OK && r->auth == AUTH_STAFF)
        err = authenticate_staff(ctx, r);
    if (err == RMA_OK &&
        (r->auth == AUTH_CUSTOMER || r->auth == AUTH_CUSTOMER_CASE))
        err = authenticate_customer(ctx, r->auth == AUTH_CUSTOMER_CASE);
    if (err == RMA_OK && r->auth == AUTH_CUSTOMER_OPTIONAL)
        err = recognize_customer(ctx);
    return err;
}
