/* api_auth.c - customers sign in with a code sent by mail (SPEC §7, §12):
 * POST /api/v1/auth/code, POST and DELETE /api/v1/auth/session. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "rma/api.h"
#include "rma/log.h"
#include "rma/mail.h"

/* Rate limits count per 15-minute window (limits in the configuration). */
#define RATE_WINDOW 900

static const char code_answer[] =
    "If this address has RMA solutions, a sign-in code is on its way. "
    "It is valid for 15 minutes.";

static enum rma_err
rate_limit(struct api_ctx *ctx, const char *what, const char *who, int limit)
{
    char key[320];
    snprintf(key, sizeof(key), "%s:%s", what, who);
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

static void
code_hmac(const struct rma_config *cfg, const char *email, const char *code,
          unsigned char out[SHA256_LEN])
{
    char msg[300];
    int n = snprintf(msg, sizeof(msg), "%s:%s", email, code);
    crypto_hmac_sha256(cfg->secret_pepper, strlen(cfg->secret_pepper), msg,
                       (size_t)n, out);
    OPENSSL_cleanse(msg, sizeof(msg));
}

static const struct field code_spec[] = {
    {.name = "email", .type = FT_EMAIL, .required = true},
};

enum rma_err
api_auth_code(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(code_spec), &body);
    if (err != RMA_OK)
        return err;
    char email[255];
    email_normalize(json_string_value(json_object_get(body, "email")), email);
    json_decref(body);

    /* The same limits for known and unknown addresses: a 429 says nothing
     * about whether an account exists. */
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

    /* The same work whether the address has cases or not (SPEC §12: no
     * account enumeration, by the answer or by its time): the HMAC, the
     * message, one transaction that stores the code and queues the
     * message.  The sender process drops the message to an unknown
     * address (mail_deliver_pass); a code stored for it is never
     * accepted, as the session needs a customer first. */
    int64_t customer_id;
    err = db_customer_by_email(&ctx->app->db, email, &customer_id);
    if (err != RMA_OK && err != RMA_ENOTFOUND) {
        OPENSSL_cleanse(code, sizeof(code));
        return err;
    }
    const char *kind =
        err == RMA_OK ? MAIL_KIND_LOGIN_CODE : MAIL_KIND_LOGIN_CODE_UNKNOWN;
    struct mail_text text = {0};
    err = mail_text_login_code(code, &text);
    OPENSSL_cleanse(code, sizeof(code));
    if (err == RMA_OK)
        err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_login_code_store(&ctx->app->db, email, mac, ctx->now);
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
api_auth_session_create(struct api_ctx *ctx)
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
    if (err != RMA_OK)
        return err;

    int64_t customer_id;
    err = db_customer_by_email(&ctx->app->db, email, &customer_id);
    if (err == RMA_ENOTFOUND)
        return bad_code(ctx);
    if (err != RMA_OK)
        return err;
    unsigned char stored[SHA256_LEN], given[SHA256_LEN];
    int tries;
    err = db_login_code_try(&ctx->app->db, email, ctx->now, stored, &tries);
    if (err == RMA_ENOTFOUND)
        return bad_code(ctx);
    if (err != RMA_OK)
        return err;
    code_hmac(ctx->app->cfg, email, code, given);
    OPENSSL_cleanse(code, sizeof(code));
    /* The sixth try fails even with the right code. */
    if (tries > AUTH_CODE_MAX_TRIES || !crypto_equal(stored, given, SHA256_LEN))
        return bad_code(ctx);

    char token[96];
    unsigned char hash[SHA256_LEN];
    if (crypto_new_token("", token, sizeof(token)) != RMA_OK)
        return RMA_EINTERNAL;
    crypto_sha256(token, strlen(token), hash);
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_login_code_use(&ctx->app->db, email, ctx->now);
    if (err == RMA_ECONFLICT) { /* used by a concurrent request */
        api_rollback(ctx);
        return bad_code(ctx);
    }
    if (err == RMA_OK)
        err = db_session_create(&ctx->app->db, customer_id, hash, ctx->now,
                                (int)ctx->app->cfg->session_absolute_hours);
    if (err == RMA_OK)
        err = api_commit(ctx);
    if (err != RMA_OK) {
        OPENSSL_cleanse(token, sizeof(token));
        return err;
    }
    char cookie[256];
    snprintf(cookie, sizeof(cookie),
             "%s=%s; Path=/; Max-Age=%ld; HttpOnly; Secure; SameSite=Lax",
             AUTH_COOKIE, token, ctx->app->cfg->session_absolute_hours * 3600);
    http_add_header(ctx->res, ctx->arena, "Set-Cookie", cookie);
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(cookie, sizeof(cookie));
    log_event(LOG_INFO, "customer_signed_in", "{s:I}", "customer",
              (json_int_t)customer_id);
    ctx->res->body = json_pack("{s:{s:s}}", "customer", "email", email);
    return RMA_OK;
}

enum rma_err
api_auth_session_delete(struct api_ctx *ctx)
{
    enum rma_err err =
        db_session_revoke(&ctx->app->db, ctx->customer.session_id, ctx->now);
    if (err != RMA_OK)
        return err;
    http_add_header(ctx->res, ctx->arena, "Set-Cookie",
                    AUTH_COOKIE "=; Path=/; Max-Age=0; HttpOnly; Secure; "
                                "SameSite=Lax");
    ctx->res->outcome = OUT_NO_CONTENT;
    return RMA_OK;
}
