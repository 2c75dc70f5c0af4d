/* sim_oauth.c - OAuth2 client credentials and bearer checks (NOTES §1). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "rma/crypto.h"
#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"

#define SCOPES                                                                 \
    "https://uri.paypal.com/services/payments/futurepayments "                 \
    "https://uri.paypal.com/services/reporting/search/read "                   \
    "https://uri.paypal.com/services/payments/realtimepayment "                \
    "https://api.paypal.com/v1/payments/.* "                                   \
    "https://uri.paypal.com/services/payments/refund "                         \
    "https://api.paypal.com/v1/vault/credit-card/.* "                          \
    "https://uri.paypal.com/services/applications/webhooks "                   \
    "https://uri.paypal.com/services/payments/payment/authcapture openid"

static void
invalid_client(struct sim_response *rs)
{
    sim_reply_json(rs, 401,
                   json_pack("{s:s, s:s}", "error", "invalid_client",
                             "error_description",
                             "Client Authentication failed"));
}

/* Decodes "Basic base64(id:secret)" into the matching client, or NULL. */
static const struct sim_client *
basic_client(const char *header)
{
    if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
        return NULL;
    const char *b64 = header + 6;
    size_t len = strlen(b64);
    if (len == 0 || len > 1024 || len % 4 != 0)
        return NULL;
    unsigned char decoded[800];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return NULL;
    /* EVP_DecodeBlock counts padding as zero bytes. */
    if (len >= 1 && b64[len - 1] == '=')
        n--;
    if (len >= 2 && b64[len - 2] == '=')
        n--;
    decoded[n] = '\0';
    char *colon = strchr((char *)decoded, ':');
    if (colon == NULL)
        return NULL;
    *colon = '\0';
    const char *id = (const char *)decoded;
    const char *secret = colon + 1;
    for (int i = 0; i < g_sim->n_clients; i++) {
        const struct sim_client *c = &g_sim->clients[i];
        if (strcmp(c->id, id) == 0 && strlen(c->secret) == strlen(secret) &&
            CRYPTO_memcmp(c->secret, secret, strlen(secret)) == 0)
            return c;
    }
    return NULL;
}

void
sim_oauth_token(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    const char *auth =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization");
    const struct sim_client *client = basic_client(auth);
    if (client == NULL) {
        invalid_client(rs);
        return;
    }
    char grant[64];
    if (!sim_form_get(rq->body, "grant_type", grant, sizeof(grant))) {
        sim_reply_json(rs, 400,
                       json_pack("{s:s, s:s}", "error", "invalid_request",
                                 "error_description",
                                 "grant_type is required"));
        return;
    }
    if (strcmp(grant, "client_credentials") != 0) {
        sim_reply_json(rs, 400,
                       json_pack("{s:s, s:s}", "error",
                                 "unsupported_grant_type", "error_description",
                                 "Grant Type is NULL"));
        return;
    }
    char token[80];
    char nonce[64];
    char stamp[32];
    if (crypto_new_token("A21AA", token, sizeof(token)) != RMA_OK) {
        sim_reply_error(rs, 500, NULL, NULL, NULL, NULL, NULL);
        return;
    }
    sim_random_id(nonce, 43);
    sim_time_iso(sim_now(s), stamp, sizeof(stamp));
    memcpy(nonce, stamp, 20); /* PayPal's nonces start with the time */
    /* Forget expired tokens so that the table stays small. */
    const char *key;
    json_t *entry, *tmp;
    json_object_foreach_safe(s->tokens, tmp, key, entry)
    {
        if (sim_jint(entry, "expires") <= sim_now(s))
            json_object_del(s->tokens, key);
    }
    s->tokens_issued++;
    int64_t ttl = s->config.token_ttl_seconds;
    json_object_set_new(s->tokens, token,
                        json_pack("{s:s, s:I}", "client_id", client->id,
                                  "expires", (json_int_t)(sim_now(s) + ttl)));
    char app_id[32];
    snprintf(app_id, sizeof(app_id), "APP-80W284485P519543T");
    sim_reply_json(rs, 200,
                   json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "scope", SCOPES,
                             "access_token", token, "token_type", "Bearer",
                             "app_id", app_id, "expires_in", (json_int_t)ttl,
                             "nonce", nonce));
}

bool
sim_oauth_check(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    const char *auth =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization");
    json_t *entry = NULL;
    if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0)
        entry = json_object_get(s->tokens, auth + 7);
    if (entry != NULL && sim_now(s) < sim_jint(entry, "expires")) {
        snprintf(rq->client_id, sizeof(rq->client_id), "%s",
                 sim_jstr(entry, "client_id"));
        return true;
    }
    if (strcmp(s->config.auth_error_style, "invalid_token") == 0)
        sim_reply_json(rs, 401,
                       json_pack("{s:s, s:s}", "error", "invalid_token",
                                 "error_description",
                                 "Access Token not found in cache"));
    else
        sim_reply_error(rs, 401, NULL, NULL, NULL, NULL, NULL);
    return false;
}
