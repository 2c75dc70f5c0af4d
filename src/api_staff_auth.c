/* api_staff_auth.c - people sign in to the staff console with a code sent
 * by mail (SPEC §15), as customers do to the portal (api_auth.c, SPEC §12):
 * POST /api/v1/staff/auth/code, POST and DELETE /api/v1/staff/auth/session.
 *
 * The same limits (rate_limit_* keys, in windows of their own), the same
 * answer and the same work for known and unknown addresses (a deactivated
 * account is unknown), codes valid 15 minutes and 5 tries.  The session's
 * cookie is the console's (staff_account.h): Path the staff API,
 * SameSite=Strict, and its idle expiry staff_session_idle_minutes. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "rma/api.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/staff_account.h"
#include "rma/staff_notify.h"

#define RATE_WINDOW 900

static const char code_answer[] =
    "If this address belongs to a staff account, a sign-in code is on its "
    "way. It is valid for 15 minutes.";

static enum rma_err
rate_limit(struct api_ctx *ctx, const char *what, const char *who, int limit)
{
    char key[320];
    snprintf(key, sizeof(key), "staff-%s:%s", what, who);
    bool allowed;
    int retry_after;
    enum rma_err err = db_rate_hit(&ctx->app->db, key, RATE_WINDOW, limit,
                                   ctx->now, &allowed, &retry_after);
    if (err != RMA_OK)
        return err;
    if (!allowed) {
        ctx->res->retry_after = retry_after;
        return http_fail(ctx->res, RMA_ERATE, NULL,
                         "too many attempts: try again later", NULL);
    }
    return RMA_OK;
}

/* The HMAC of a staff code: "staff:" keeps it apart from a customer's. */
static void
code_hmac(const struct rma_config *cfg, const char *email, const char *code,
          unsigned char out[SHA256_LEN])
{
    char msg[320];
    int n = snprintf(msg, sizeof(msg), "staff:%s:%s", email, code);
    crypto_hmac_sha256(cfg->secret_pepper, strlen(cfg->secret_pepper), msg,
                       (size_t)n, out);
    OPENSSL_cleanse(msg, sizeof(msg));
}

static const struct field code_spec[] = {
    {.name = "email", .type = FT_EMAIL, .required = true},
};

enum rma_err
api_staff_auth_code(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(code_spec), &body);
    if (err != RMA_OK)
        return err;
    char email[255];
    email_normalize(json_string_value(json_object_get(body, "email")), email);
    json_decref(body);

    err = rate_limit(ctx, "code-address", ctx->req->remote_addr,
                     (int)ctx->app->cfg->rate_codes_per_address);
    if (err == RMA_OK)
        err = rate_limit(ctx, "code-email", email,
                         (int)ctx->app->cfg->rate_codes_per_email);
    if (err != RMA_OK)
        return err;

    uint32_t n;
    if (crypto_random_below(1000000, &n) != RMA_OK)
        return RMA_EINTERNAL;
    char code[8];
    snprintf(code, sizeof(code), "%06u", n);
    unsigned char mac[SHA256_LEN];
    code_hmac(ctx->app->cfg, email, code, mac);

    /* The same work whether the address is a person's or not: the code is
     * stored and the message queued alike; the sender drops the one to an
     * unknown address (MAIL_KIND_LOGIN_CODE_UNKNOWN), and a code stored for
     * it never signs anyone in, as the session needs an account first. */
    struct staff_account acct;
    err = db_staff_account_by_email(&ctx->app->db, email, &acct);
    if (err != RMA_OK && err != RMA_ENOTFOUND) {
        OPENSSL_cleanse(code, sizeof(code));
        return err;
    }
    const char *kind =
        err == RMA_OK ? MAIL_KIND_LOGIN_CODE : MAIL_KIND_LOGIN_CODE_UNKNOWN;
    struct mail_text text = {0};
    err = mail_text_staff_login_code(code, &text);
    OPENSSL_cleanse(code, sizeof(code));
    if (err == RMA_OK)
        err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_staff_code_store(&ctx->app->db, email, mac, ctx->now);
    if (err == RMA_OK)
        err = mail_enqueue(&ctx->app->db, kind, 0, email, text.subject,
                           text.body);
    if (err == RMA_OK)
        err = api_commit(ctx);
    mail_text_free(&text);
    if (err != RMA_OK)
        return err;
    ctx->res->outcome = OUT_ACCEPTED;
    ctx->res->body = json_pack("{s:s}", "message", code_answer);
    return RMA_OK;
}

static const struct field session_spec[] = {
    {.name = "email", .type = FT_EMAIL, .required = true},
    {.name = "code", .type = FT_STRING, .required = true, .min = 1, .max = 16},
};

static enum rma_err
bad_code(struct api_ctx *ctx)
{
    return http_fail(ctx->res, RMA_EUNAUTH, "invalid_code",
                     "the code is wrong, expired or already used: ask for a "
                     "new one",
                     NULL);
}

enum rma_err
api_staff_auth_session_create(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(session_spec), &body);
    if (err != RMA_OK)
        return err;
    char email[255], code[17];
    email_normalize(json_string_value(json_object_get(body, "email")), email);
    snprintf(code, sizeof(code), "%s",
             json_string_value(json_object_get(body, "code")));
    json_decref(body);

    err = rate_limit(ctx, "session-address", ctx->req->remote_addr,
                     (int)ctx->app->cfg->rate_sessions_per_address);
    if (err != RMA_OK) {
        OPENSSL_cleanse(code, sizeof(code));
        return err;
    }
    struct staff_account acct;
    err = db_staff_account_by_email(&ctx->app->db, email, &acct);
    unsigned char stored[SHA256_LEN], given[SHA256_LEN];
    int tries = 0;
    if (err == RMA_OK)
        err = db_staff_code_try(&ctx->app->db, email, ctx->now, stored, &tries);
    if (err == RMA_OK)
        code_hmac(ctx->app->cfg, email, code, given);
    OPENSSL_cleanse(code, sizeof(code));
    if (err == RMA_ENOTFOUND)
        return bad_code(ctx);
    if (err != RMA_OK)
        return err;
    /* The sixth try fails even with the right code. */
    if (tries > AUTH_CODE_MAX_TRIES || !crypto_equal(stored, given, SHA256_LEN))
        return bad_code(ctx);

    char token[96];
    unsigned char hash[SHA256_LEN];
    if (crypto_new_token("", token, sizeof(token)) != RMA_OK)
        return RMA_EINTERNAL;
    crypto_sha256(token, strlen(token), hash);
    long hours = ctx->app->cfg->staff_session_absolute_hours;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_staff_code_use(&ctx->app->db, email, ctx->now);
    if (err == RMA_ECONFLICT) { /* used by a concurrent request */
        api_rollback(ctx);
        OPENSSL_cleanse(token, sizeof(token));
        return bad_code(ctx);
    }
    if (err == RMA_OK)
        err = db_staff_session_create(&ctx->app->db, acct.id, hash, ctx->now,
                                      (int)hours);
    if (err == RMA_OK)
        err = db_staff_audit(&ctx->app->db, "staff", acct.email,
                             staff_role_name(acct.role), "sign_in", NULL,
                             ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err != RMA_OK) {
        OPENSSL_cleanse(token, sizeof(token));
        return err;
    }
    char cookie[320];
    snprintf(cookie, sizeof(cookie),
             "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; Secure; SameSite=Strict",
             STAFF_COOKIE, token, STAFF_COOKIE_PATH, hours * 3600);
    http_add_header(ctx->res, ctx->arena, "Set-Cookie", cookie);
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(cookie, sizeof(cookie));
    log_event(LOG_INFO, "staff_signed_in", "{s:I, s:s}", "staff",
              (json_int_t)acct.id, "role", staff_role_name(acct.role));
    ctx->res->body =
        json_pack("{s:{s:s, s:s, s:s, s:s, s:i}}", "staff", "email", acct.email,
                  "name", acct.name, "display_name", acct.name, "role",
                  staff_role_name(acct.role), "idle_minutes",
                  (int)ctx->app->cfg->staff_session_idle_minutes);
    return RMA_OK;
}

enum rma_err
api_staff_auth_session_delete(struct api_ctx *ctx)
{
    if (ctx->staff.session_id == 0)
        return http_fail(ctx->res, RMA_ECONFLICT, "no_session",
                         "a bearer token has no session to end: revoke the "
                         "token instead",
                         NULL);
    enum rma_err err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_staff_session_revoke(&ctx->app->db, ctx->staff.session_id,
                                      ctx->now);
    if (err == RMA_OK)
        err = db_staff_audit(&ctx->app->db, "staff", ctx->staff.name,
                             staff_role_name(ctx->staff.role), "sign_out", NULL,
                             ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err != RMA_OK)
        return err;
    http_add_header(ctx->res, ctx->arena, "Set-Cookie",
                    STAFF_COOKIE "=; Path=" STAFF_COOKIE_PATH
                                 "; Max-Age=0; HttpOnly; Secure; "
                                 "SameSite=Strict");
    ctx->res->outcome = OUT_NO_CONTENT;
    return RMA_OK;
}
