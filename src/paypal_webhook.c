/* paypal_webhook.c - verifying that a webhook delivery comes from PayPal
 * (NOTES §8.4 self-verification, §8.5 postback).
 *
 * The certificate is fetched only from an allowed origin, chained to the
 * configured CA, its subject CN checked, and cached as PEM by URL; the
 * chain and validity are checked again on every use. */
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "paypal_internal.h"
#include "rma/buf.h"
#include "rma/http_client.h"
#include "rma/log.h"
#include "rma/paypal.h"

#define CERT_CACHE_SIZE 16
#define CERT_MAX_BYTES (64 * 1024)
#define SIG_MAX_BYTES 1024
/* Certificate fetches: a failed URL is not asked again for this long, and
 * at most this many fetches go out per minute, whatever the deliveries
 * claim (an attacker's headers name the URL). */
#define CERT_FAIL_HOLD_S 60
#define CERT_FETCHES_PER_MINUTE 10

struct cert_entry {
    char *url; /* owned */
    char *pem; /* owned; NULL: the fetch failed at failed_at */
    time_t failed_at;
    unsigned long used;
};

struct paypal_webhook_verifier {
    char *webhook_id;
    char **origins; /* NULL-terminated, owned */
    char *cn_suffix;
    long max_age_s;
    long max_future_s;
    X509_STORE *store;
    struct http_client *http;
    struct cert_entry cache[CERT_CACHE_SIZE];
    unsigned long clock;
    time_t fetch_window; /* the minute the fetch count is of */
    int fetches;
};

uint32_t
paypal_crc32(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

void
paypal_webhook_verifier_free(struct paypal_webhook_verifier *v)
{
    if (v == NULL)
        return;
    free(v->webhook_id);
    for (size_t i = 0; v->origins && v->origins[i]; i++)
        free(v->origins[i]);
    free(v->origins);
    free(v->cn_suffix);
    X509_STORE_free(v->store);
    http_client_free(v->http);
    for (size_t i = 0; i < CERT_CACHE_SIZE; i++) {
        free(v->cache[i].url);
        free(v->cache[i].pem);
    }
    free(v);
}

struct paypal_webhook_verifier *
paypal_webhook_verifier_new(const struct paypal_webhook_options *o)
{
    if (o == NULL || o->webhook_id == NULL || o->webhook_id[0] == '\0' ||
        o->cert_origins == NULL || o->cert_origins[0] == NULL)
        return NULL;
    struct paypal_webhook_verifier *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    size_t n = 0;
    while (o->cert_origins[n] != NULL)
        n++;
    v->origins = calloc(n + 1, sizeof(*v->origins));
    v->webhook_id = strdup(o->webhook_id);
    v->cn_suffix =
        strdup(o->cert_cn_suffix ? o->cert_cn_suffix : ".paypal.com");
    v->max_age_s = o->max_age_s > 0 ? o->max_age_s : PAYPAL_WEBHOOK_MAX_AGE_S;
    v->max_future_s = o->max_future_s > 0 ? o->max_future_s : 300;
    if (v->origins == NULL || v->webhook_id == NULL || v->cn_suffix == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        /* Stored without a trailing slash, compared case-insensitively. */
        size_t len = strlen(o->cert_origins[i]);
        while (len > 0 && o->cert_origins[i][len - 1] == '/')
            len--;
        if ((v->origins[i] = strndup(o->cert_origins[i], len)) == NULL)
            goto fail;
    }
    v->store = X509_STORE_new();
    if (v->store == NULL)
        goto fail;
    if (o->ca_file != NULL && o->ca_file[0] != '\0') {
        if (X509_STORE_load_locations(v->store, o->ca_file, NULL) != 1) {
            log_event(LOG_ERROR, "paypal_webhook_ca_unreadable", "{s:s}",
                      "ca_file", o->ca_file);
            goto fail;
        }
    } else if (X509_STORE_set_default_paths(v->store) != 1) {
        goto fail;
    }
    struct http_client_options ho = {
        .connect_timeout_ms = 3000,
        .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000,
        .max_response = CERT_MAX_BYTES,
        .ca_file = o->http_ca_file,
    };
    if ((v->http = http_client_new(&ho)) == NULL)
        goto fail;
    return v;
fail:
    paypal_webhook_verifier_free(v);
    return NULL;
}

static void
reject(const char *reason, const struct paypal_webhook_headers *h)
{
    log_event(LOG_WARN, "paypal_webhook_rejected", "{s:s, s:s}", "reason",
              reason, "transmission_id",
              h && h->transmission_id ? h->transmission_id : "");
}

/* Whether url's scheme://authority is one of the allowed origins and a path
 * follows it.  No userinfo, no fragment games. */
static bool
origin_allowed(const struct paypal_webhook_verifier *v, const char *url)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL)
        return false;
    const char *path = strchr(sep + 3, '/');
    if (path == NULL)
        return false;
    size_t olen = (size_t)(path - url);
    for (const char *p = url; p < path; p++)
        if (*p == '@' || *p == '\\' || *p == '?' || *p == '#' ||
            (unsigned char)*p <= ' ')
            return false;
    for (size_t i = 0; v->origins[i]; i++)
        if (strlen(v->origins[i]) == olen &&
            strncasecmp(v->origins[i], url, olen) == 0)
            return true;
    return false;
}

static bool
cn_matches(X509 *leaf, const char *suffix)
{
    X509_NAME *name = X509_get_subject_name(leaf);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0)
        return false;
    ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    const unsigned char *cn = ASN1_STRING_get0_data(d);
    int len = ASN1_STRING_length(d);
    size_t slen = strlen(suffix);
    if (cn == NULL || len <= 0 || memchr(cn, '\0', (size_t)len) != NULL ||
        (size_t)len < slen)
        return false;
    return strncasecmp((const char *)cn + len - slen, suffix, slen) == 0;
}

/* Checks pem's leaf (first certificate; the rest are intermediates) against
 * the store and the CN rule.  On success *key is the leaf's public key
 * (caller frees). */
static enum rma_err
check_cert(struct paypal_webhook_verifier *v, const char *pem, size_t len,
           EVP_PKEY **key)
{
    enum rma_err err = RMA_EUNAUTH;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *leaf = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (bio == NULL || chain == NULL || ctx == NULL) {
        err = RMA_EINTERNAL;
        goto done;
    }
    leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (leaf == NULL)
        goto done;
    X509 *extra;
    while ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (sk_X509_push(chain, extra) <= 0) {
            X509_free(extra);
            goto done;
        }
    if (X509_STORE_CTX_init(ctx, v->store, leaf, chain) != 1)
        goto done;
    if (X509_verify_cert(ctx) != 1) {
        log_event(LOG_WARN, "paypal_webhook_cert_untrusted", "{s:s}", "error",
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto done;
    }
    if (!cn_matches(leaf, v->cn_suffix)) {
        log_event(LOG_WARN, "paypal_webhook_cert_subject", "{s:s}",
                  "expected_suffix", v->cn_suffix);
        goto done;
    }
    *key = X509_get_pubkey(leaf);
    if (*key == NULL || EVP_PKEY_base_id(*key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(*key);
        *key = NULL;
        goto done;
    }
    err = RMA_OK;
done:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    BIO_free(bio);
    return err;
}

static struct cert_entry *
cache_find(struct paypal_webhook_verifier *v, const char *url)
{
    for (size_t i = 0; i < CERT_CACHE_SIZE; i++)
        if (v->cache[i].url != NULL && strcmp(v->cache[i].url, url) == 0) {
            v->cache[i].used = ++v->clock;
            return &v->cache[i];
        }
    return NULL;
}

/* The entry of url, a new one (the least used evicted) when there is
 * none; NULL when out of memory. */
static struct cert_entry *
cache_slot(struct paypal_webhook_verifier *v, const char *url)
{
    struct cert_entry *e = cache_find(v, url);
    if (e != NULL)
        return e;
    e = &v->cache[0];
    for (size_t i = 0; i < CERT_CACHE_SIZE; i++) {
        if (v->cache[i].url == NULL) {
            e = &v->cache[i];
            break;
        }
        if (v->cache[i].used < e->used)
            e = &v->cache[i];
    }
    free(e->url);
    free(e->pem);
    e->pem = NULL;
    e->failed_at = 0;
    e->used = ++v->clock;
    e->url = strdup(url);
    return e->url != NULL ? e : NULL;
}

static enum rma_err
cache_put(struct paypal_webhook_verifier *v, const char *url, const char *pem,
          size_t len)
{
    struct cert_entry *e = cache_slot(v, url);
    if (e == NULL)
        return RMA_EINTERNAL;
    free(e->pem);
    /* pem need not be NUL-terminated. */
    e->pem = memchr(pem, '\0', len) == NULL ? malloc(len + 1) : NULL;
    if (e->pem == NULL) {
        free(e->url);
        e->url = NULL;
        return RMA_EINTERNAL;
    }
    memcpy(e->pem, pem, len);
    e->pem[len] = '\0';
    e->failed_at = 0;
    return RMA_OK;
}

/* Remembers that url could not be fetched or used at now. */
static void
cache_fail(struct paypal_webhook_verifier *v, const char *url, time_t now)
{
    struct cert_entry *e = cache_slot(v, url);
    if (e != NULL) {
        free(e->pem);
        e->pem = NULL;
        e->failed_at = now;
    }
}

enum rma_err
paypal_webhook_add_cert(struct paypal_webhook_verifier *v, const char *url,
                        const char *pem, size_t len)
{
    if (url == NULL || pem == NULL || !origin_allowed(v, url))
        return RMA_EUNAUTH;
    EVP_PKEY *key = NULL;
    enum rma_err err = check_cert(v, pem, len, &key);
    EVP_PKEY_free(key);
    if (err != RMA_OK)
        return err;
    return cache_put(v, url, pem, len);
}

/* The leaf's key for url: from the cache or fetched, checked either way.
 * A failure is remembered for CERT_FAIL_HOLD_S, and fetches are capped per
 * minute: deliveries cannot make this process fetch at will. */
static enum rma_err
cert_key(struct paypal_webhook_verifier *v, const char *url, time_t now,
         EVP_PKEY **key)
{
    struct cert_entry *e = cache_find(v, url);
    if (e != NULL && e->pem != NULL)
        return check_cert(v, e->pem, strlen(e->pem), key);
    if (e != NULL && now - e->failed_at < CERT_FAIL_HOLD_S)
        return RMA_EUPSTREAM;
    if (now - v->fetch_window >= 60) {
        v->fetch_window = now;
        v->fetches = 0;
    }
    if (v->fetches >= CERT_FETCHES_PER_MINUTE) {
        log_event(LOG_WARN, "paypal_webhook_cert_fetch_capped", "{s:s}", "url",
                  url);
        return RMA_EUPSTREAM;
    }
    v->fetches++;
    struct http_request req = {.method = "GET", .url = url};
    struct http_response resp;
    enum rma_err err = http_client_call(v->http, &req, &resp);
    if (err != RMA_OK || resp.status != 200 || resp.body.len == 0) {
        log_event(LOG_WARN, "paypal_webhook_cert_fetch_failed",
                  "{s:s, s:i, s:s}", "url", url, "status", (int)resp.status,
                  "transport", http_transport_name(resp.transport));
        http_response_free(&resp);
        cache_fail(v, url, now);
        return RMA_EUPSTREAM;
    }
    err = check_cert(v, resp.body.data, resp.body.len, key);
    if (err == RMA_OK)
        err = cache_put(v, url, resp.body.data, resp.body.len);
    else
        cache_fail(v, url, now);
    http_response_free(&resp);
    return err;
}

/* Base64 (standard alphabet, padded) into out; returns the length or -1. */
static int
base64_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t len = strlen(in);
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
        return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    if (in[len - 1] == '=')
        n--;
    if (in[len - 2] == '=')
        n--;
    return n;
}

enum rma_err
paypal_webhook_verify(struct paypal_webhook_verifier *v,
                      const struct paypal_webhook_headers *h, const void *body,
                      size_t len, time_t now)
{
    if (h == NULL || h->transmission_id == NULL ||
        h->transmission_time == NULL || h->transmission_sig == NULL ||
        h->cert_url == NULL || h->auth_algo == NULL || body == NULL ||
        h->transmission_id[0] == '\0' || strlen(h->transmission_id) > 128) {
        reject("missing_header", h);
        return RMA_EINVAL;
    }
    if (strcmp(h->auth_algo, "SHA256withRSA") != 0) {
        reject("auth_algo", h);
        return RMA_EUNAUTH;
    }
    time_t sent;
    if (paypal_parse_time(h->transmission_time, &sent) != RMA_OK ||
        now - sent > v->max_age_s || sent - now > v->max_future_s) {
        reject("transmission_time", h);
        return RMA_EUNAUTH;
    }
    if (!origin_allowed(v, h->cert_url)) {
        reject("cert_origin", h);
        return RMA_EUNAUTH;
    }
    unsigned char sig[SIG_MAX_BYTES];
    int siglen = base64_decode(h->transmission_sig, sig, sizeof(sig));
    if (siglen <= 0) {
        reject("signature_encoding", h);
        return RMA_EUNAUTH;
    }
    EVP_PKEY *key = NULL;
    enum rma_err err = cert_key(v, h->cert_url, now, &key);
    if (err != RMA_OK) {
        reject(err == RMA_EUPSTREAM ? "cert_fetch" : "cert", h);
        return err;
    }
    struct buf msg;
    buf_init(&msg, 1024);
    err = buf_printf(&msg, "%s|%s|%s|%lu", h->transmission_id,
                     h->transmission_time, v->webhook_id,
                     (unsigned long)paypal_crc32(body, len));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (err == RMA_OK &&
        (md == NULL ||
         EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
         EVP_DigestVerify(md, sig, (size_t)siglen,
                          (const unsigned char *)msg.data, msg.len) != 1))
        err = RMA_EUNAUTH;
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    buf_free(&msg);
    if (err != RMA_OK)
        reject("signature", h);
    return err;
}

enum rma_err
paypal_webhook_verify_postback(struct paypal_client *pc, const char *webhook_id,
                               const struct paypal_webhook_headers *h,
                               const char *body, size_t len,
                               struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (h == NULL || !h->transmission_id || !h->transmission_time ||
        !h->transmission_sig || !h->cert_url || !h->auth_algo ||
        webhook_id == NULL)
        return RMA_EINVAL;
    json_t *event = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(event)) {
        json_decref(event);
        return RMA_EINVAL;
    }
    json_t *req = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "auth_algo", h->auth_algo,
        "cert_url", h->cert_url, "transmission_id", h->transmission_id,
        "transmission_sig", h->transmission_sig, "transmission_time",
        h->transmission_time, "webhook_id", webhook_id, "webhook_event", event);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (text == NULL)
        return RMA_EINTERNAL;
    char *answer = NULL;
    enum rma_err err = paypal_post_json(
        pc, "verify_webhook_signature",
        "/v1/notifications/verify-webhook-signature", text, &answer, res);
    free(text);
    if (err == RMA_OK) {
        json_t *j = json_loads(answer, 0, NULL);
        const char *st =
            json_string_value(json_object_get(j, "verification_status"));
        if (st == NULL)
            err = RMA_EUPSTREAM;
        else if (strcmp(st, "SUCCESS") != 0)
            err = RMA_EUNAUTH;
        json_decref(j);
    }
    free(answer);
    return err;
}
