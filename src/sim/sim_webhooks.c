/* sim_webhooks.c - signed webhook deliveries, the signing certificate and
 * verify-webhook-signature (NOTES §8). */
#include "sim/sim_webhooks.h"

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "rma/crypto.h"
#include "rma/log.h"
#include "sim/sim_api.h"
#include "sim/sim_util.h"

#define MAX_ATTEMPTS 25
#define RETRY_BASE_MS 1000
#define RETRY_MAX_MS 60000
#define SIGNING_CN "messageverificationcerts.sandbox.paypal.com"

static bool
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for key, signed by issuer_key (self-signed when issuer is
 * NULL).  New reference or NULL. */
static X509 *
make_cert(EVP_PKEY *key, const char *org, const char *cn, X509 *issuer,
          EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    bool ok = false;
    if (x == NULL || crypto_random(serial, sizeof(serial)) != RMA_OK)
        goto done;
    serial[0] &= 0x7f;
    bn = BN_bin2bn(serial, sizeof(serial), NULL);
    X509_NAME *name = X509_get_subject_name(x);
    if (bn == NULL || X509_set_version(x, 2) != 1 ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
        X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) == NULL ||
        X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                                   (const unsigned char *)"US", -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)org, -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer)
                                               : name) != 1)
        goto done;
    X509 *signer = issuer != NULL ? issuer : x;
    if (issuer == NULL) {
        ok =
            add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE") &&
            add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
            add_ext(x, signer, NID_subject_key_identifier, "hash");
    } else {
        char san[128];
        snprintf(san, sizeof(san), "DNS:%s", cn);
        ok = add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, signer, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, signer, NID_subject_key_identifier, "hash") &&
             add_ext(x, signer, NID_authority_key_identifier, "keyid:always") &&
             add_ext(x, signer, NID_subject_alt_name, san);
    }
    ok = ok &&
         X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0;
done:
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *
cert_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (bio != NULL && PEM_write_bio_X509(bio, x) == 1) {
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        out = len >= 0 ? malloc((size_t)len + 1) : NULL;
        if (out != NULL) {
            memcpy(out, data, (size_t)len);
            out[len] = '\0';
        }
    }
    BIO_free(bio);
    return out;
}

bool
sim_webhooks_init(struct sim *s, const char *ca_out)
{
    s->ca_key = EVP_RSA_gen(2048);
    s->sign_key = EVP_RSA_gen(2048);
    if (s->ca_key == NULL || s->sign_key == NULL)
        return false;
    s->ca_cert =
        make_cert(s->ca_key, "paypal-sim", "paypal-sim Test CA", NULL, NULL);
    if (s->ca_cert == NULL)
        return false;
    s->sign_cert = make_cert(s->sign_key, "PayPal, Inc.", SIGNING_CN,
                             s->ca_cert, s->ca_key);
    if (s->sign_cert == NULL)
        return false;
    s->ca_cert_pem = cert_pem(s->ca_cert);
    s->sign_cert_pem = cert_pem(s->sign_cert);
    if (s->ca_cert_pem == NULL || s->sign_cert_pem == NULL)
        return false;
    char a[9], b[9];
    sim_random_hex(a, 8);
    sim_random_hex(b, 8);
    snprintf(s->cert_name, sizeof(s->cert_name), "CERT-360caa42-%s-%s", a, b);
    if (ca_out != NULL) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", ca_out);
        FILE *f = fopen(tmp, "w");
        if (f == NULL || fputs(s->ca_cert_pem, f) < 0 || fclose(f) != 0 ||
            rename(tmp, ca_out) != 0) {
            log_event(LOG_ERROR, "sim_ca_out_failed", "{s:s}", "file", ca_out);
            return false;
        }
    }
    return true;
}

void
sim_webhooks_free(struct sim *s)
{
    EVP_PKEY_free(s->ca_key);
    EVP_PKEY_free(s->sign_key);
    X509_free(s->ca_cert);
    X509_free(s->sign_cert);
    free(s->ca_cert_pem);
    free(s->sign_cert_pem);
}

static void
cert_url(const struct sim *s, char *out, size_t n)
{
    snprintf(out, n, "%s/v1/notifications/certs/%s", s->public_url,
             s->cert_name);
}

bool
sim_webhooks_sign(struct sim *s, const char *text, char *out, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t sig_len = sizeof(sig);
    bool ok =
        ctx != NULL &&
        EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->sign_key) == 1 &&
        EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)text,
                       strlen(text)) == 1 &&
        n > 4 * ((sig_len + 2) / 3);
    if (ok)
        EVP_EncodeBlock((unsigned char *)out, sig, (int)sig_len);
    EVP_MD_CTX_free(ctx);
    return ok;
}

void
sim_webhook_queue(struct sim *s, const char *event_type,
                  const char *resource_type, const char *summary,
                  const json_t *resource)
{
    char a[18], b[18], id[48], now[32], self[512], resend[600];
    sim_random_id(a, 17);
    sim_random_id(b, 17);
    snprintf(id, sizeof(id), "WH-%s-%s", a, b);
    sim_time_iso(sim_now(s), now, sizeof(now));
    snprintf(self, sizeof(self), "%s/v1/notifications/webhooks-events/%s",
             s->public_url, id);
    snprintf(resend, sizeof(resend), "%s/resend", self);
    json_t *event =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:[{s:s, s:s, s:s}, "
                  "{s:s, s:s, s:s}], s:s}",
                  "id", id, "create_time", now, "resource_type", resource_type,
                  "event_type", event_type, "summary", summary, "event_version",
                  "1.0", "resource", resource, "links", "href", self, "rel",
                  "self", "method", "GET", "href", resend, "rel", "resend",
                  "method", "POST", "resource_version", "2.0");
    char *raw = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    if (raw == NULL)
        return;
    json_t *record =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:i, s:b}", "event_id",
                  id, "event_type", event_type, "body", raw, "status",
                  s->webhook_url != NULL ? "pending" : "not_configured",
                  "attempts", 0, "transmissions", 0, "next_attempt_ms",
                  (json_int_t)0, "last_http_status", 0, "in_flight", 0);
    free(raw);
    json_array_append_new(sim_webhook_list(s), record);
    pthread_cond_broadcast(&s->wake);
}

static size_t
discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    return size * nmemb;
}

/* POSTs one signed transmission of body; returns the HTTP status or 0.
 * Fills headers (new reference) with what was sent.  No lock held. */
static long
transmit(struct sim *s, const char *body, int64_t sim_time, json_t **headers)
{
    char transmission_id[37], time_text[32], url[512], text[512];
    char sig[1024], line[1200];
    sim_random_uuid(transmission_id);
    sim_time_iso(sim_time, time_text, sizeof(time_text));
    cert_url(s, url, sizeof(url));
    snprintf(text, sizeof(text), "%s|%s|%s|%u", transmission_id, time_text,
             s->webhook_id, (unsigned)sim_crc32(body, strlen(body)));
    *headers = NULL;
    if (!sim_webhooks_sign(s, text, sig, sizeof(sig)))
        return 0;
    *headers = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s}", "PAYPAL-TRANSMISSION-ID",
        transmission_id, "PAYPAL-TRANSMISSION-TIME", time_text,
        "PAYPAL-TRANSMISSION-SIG", sig, "PAYPAL-CERT-URL", url,
        "PAYPAL-AUTH-ALGO", "SHA256withRSA", "PAYPAL-AUTH-VERSION", "v2");
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return 0;
    struct curl_slist *list = NULL;
    list = curl_slist_append(list, "Content-Type: application/json");
    const char *key;
    json_t *value;
    json_object_foreach(*headers, key, value)
    {
        snprintf(line, sizeof(line), "%s: %s", key, json_string_value(value));
        list = curl_slist_append(list, line);
    }
    curl_easy_setopt(curl, CURLOPT_URL, s->webhook_url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "PayPal/AUHD-214.0-58487530");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return status;
}

/* The record of event_id: looked for among the open ones first (where
 * the delivery thread's events are), then among the final ones. */
static json_t *
find_delivery(struct sim *s, const char *event_id)
{
    json_t *list = sim_webhook_list(s);
    size_t n = json_array_size(list);
    size_t from = s->webhook_scan_from < n ? s->webhook_scan_from : 0;
    for (size_t k = 0; k < n; k++) {
        json_t *rec = json_array_get(list, (from + k) % n);
        if (strcmp(sim_jstr(rec, "event_id"), event_id) == 0)
            return rec;
    }
    return NULL;
}

/* Delivers the event (marked in_flight by the caller, lock not held);
 * returns true when it was accepted with a 2xx. */
static bool
deliver(struct sim *s, const char *event_id)
{
    pthread_mutex_lock(&s->lock);
    json_t *rec = find_delivery(s, event_id);
    char *body = rec != NULL ? strdup(sim_jstr(rec, "body")) : NULL;
    int64_t now = sim_now(s);
    int copies = s->config.webhook_duplicates ? 2 : 1;
    pthread_mutex_unlock(&s->lock);
    if (body == NULL)
        return false;
    long status = 0;
    json_t *headers = NULL;
    int sent = 0;
    for (int i = 0; i < copies; i++) {
        json_decref(headers);
        status = transmit(s, body, now, &headers);
        sent++;
        if (status < 200 || status > 299)
            break;
    }
    free(body);
    bool ok = status >= 200 && status <= 299;
    pthread_mutex_lock(&s->lock);
    rec = find_delivery(s, event_id);
    if (rec != NULL) {
        int64_t attempts = sim_jint(rec, "attempts") + 1;
        sim_set_int(rec, "attempts", attempts);
        sim_set_int(rec, "transmissions",
                    sim_jint(rec, "transmissions") + sent);
        sim_set_int(rec, "last_http_status", status);
        json_object_set_new(rec, "in_flight", json_false());
        if (headers != NULL)
            json_object_set(rec, "last_headers", headers);
        if (ok) {
            sim_set_str(rec, "status", "delivered");
        } else if (attempts >= MAX_ATTEMPTS) {
            sim_set_str(rec, "status", "failed");
        } else {
            int64_t delay = RETRY_BASE_MS
                            << (attempts - 1 < 10 ? attempts - 1 : 10);
            if (delay > RETRY_MAX_MS)
                delay = RETRY_MAX_MS;
            sim_set_int(rec, "next_attempt_ms", sim_mono_ms() + delay);
        }
    }
    pthread_mutex_unlock(&s->lock);
    json_decref(headers);
    log_event(ok ? LOG_INFO : LOG_WARN, "sim_webhook_delivery", "{s:s, s:i}",
              "event_id", event_id, "status", (int)status);
    return ok;
}

/* Marks the next due delivery in flight and copies its id (lock held). */
static bool
next_due(struct sim *s, bool all, char *id, size_t n)
{
    int64_t now = sim_mono_ms();
    json_t *list = sim_webhook_list(s);
    size_t count = json_array_size(list);
    if (s->webhook_scan_from > count)
        s->webhook_scan_from = 0;
    bool final_so_far = true;
    for (size_t i = s->webhook_scan_from; i < count; i++) {
        json_t *rec = json_array_get(list, i);
        bool pending = strcmp(sim_jstr(rec, "status"), "pending") == 0;
        if (final_so_far && !pending) /* never pending again */
            s->webhook_scan_from = i + 1;
        final_so_far = final_so_far && !pending;
        if (!pending || sim_jbool(rec, "in_flight"))
            continue;
        if (!all && sim_jint(rec, "next_attempt_ms") > now)
            continue;
        json_object_set_new(rec, "in_flight", json_true());
        snprintf(id, n, "%s", sim_jstr(rec, "event_id"));
        return true;
    }
    return false;
}

void *
sim_webhooks_thread(void *arg)
{
    struct sim *s = arg;
    char id[64];
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        if (s->webhook_url == NULL || !next_due(s, false, id, sizeof(id))) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += 200 * 1000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&s->wake, &s->lock, &until);
            continue;
        }
        pthread_mutex_unlock(&s->lock);
        deliver(s, id);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

void
sim_control_webhooks_flush(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    int delivered = 0, failed = 0;
    char id[64];
    for (int guard = 0; guard < 10000; guard++) {
        pthread_mutex_lock(&s->lock);
        bool found =
            s->webhook_url != NULL && next_due(s, true, id, sizeof(id));
        pthread_mutex_unlock(&s->lock);
        if (!found)
            break;
        if (deliver(s, id))
            delivered++;
        else
            failed++;
    }
    pthread_mutex_lock(&s->lock);
    int pending = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(sim_webhook_list(s), i, rec)
    {
        if (strcmp(sim_jstr(rec, "status"), "pending") == 0)
            pending++;
    }
    pthread_mutex_unlock(&s->lock);
    sim_reply_json(rs, 200,
                   json_pack("{s:i, s:i, s:i}", "delivered", delivered,
                             "failed", failed, "pending", pending));
}

void
sim_webhooks_cert(struct sim_request *rq, struct sim_response *rs)
{
    if (strcmp(rq->id, g_sim->cert_name) != 0) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    sim_reply_text(rs, 200, "application/x-pem-file", g_sim->sign_cert_pem);
}

/* Verifies sig_b64 over text with the signing certificate's key. */
static bool
verify_signature(struct sim *s, const char *text, const char *sig_b64)
{
    size_t len = strlen(sig_b64);
    if (len == 0 || len % 4 != 0 || len > 2048)
        return false;
    unsigned char sig[1600];
    int n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)len);
    if (n < 0)
        return false;
    if (sig_b64[len - 1] == '=')
        n--;
    if (len > 1 && sig_b64[len - 2] == '=')
        n--;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok =
        ctx != NULL &&
        EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, s->sign_key) == 1 &&
        EVP_DigestVerify(ctx, sig, (size_t)n, (const unsigned char *)text,
                         strlen(text)) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

void
sim_webhooks_verify(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    static const char *const required[] = {
        "auth_algo",        "cert_url",          "transmission_id",
        "transmission_sig", "transmission_time", "webhook_id"};
    if (!json_is_object(rq->json)) {
        sim_reply_error(rs, 400, "MALFORMED_REQUEST_JSON",
                        "The request JSON is not well formed.", NULL, NULL,
                        "body");
        return;
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (sim_jstr(rq->json, required[i]) == NULL) {
            char field[64];
            snprintf(field, sizeof(field), "/%s", required[i]);
            sim_reply_error(rs, 400, "MISSING_REQUIRED_PARAMETER",
                            "A required field / parameter is missing.", field,
                            NULL, "body");
            return;
        }
    }
    json_t *event = json_object_get(rq->json, "webhook_event");
    if (!json_is_object(event)) {
        sim_reply_error(rs, 400, "MISSING_REQUIRED_PARAMETER",
                        "A required field / parameter is missing.",
                        "/webhook_event", NULL, "body");
        return;
    }
    char url[512];
    cert_url(s, url, sizeof(url));
    bool ok = strcmp(sim_jstr(rq->json, "auth_algo"), "SHA256withRSA") == 0 &&
              strcmp(sim_jstr(rq->json, "cert_url"), url) == 0 &&
              strcmp(sim_jstr(rq->json, "webhook_id"), s->webhook_id) == 0;
    if (ok) {
        const char *event_id = sim_jstr(event, "id");
        json_t *rec = event_id != NULL ? find_delivery(s, event_id) : NULL;
        char *raw = rec != NULL ? strdup(sim_jstr(rec, "body"))
                                : json_dumps(event, JSON_COMPACT);
        char text[512];
        snprintf(text, sizeof(text), "%s|%s|%s|%u",
                 sim_jstr(rq->json, "transmission_id"),
                 sim_jstr(rq->json, "transmission_time"),
                 sim_jstr(rq->json, "webhook_id"),
                 raw != NULL ? (unsigned)sim_crc32(raw, strlen(raw)) : 0u);
        ok = raw != NULL &&
             verify_signature(s, text, sim_jstr(rq->json, "transmission_sig"));
        free(raw);
    }
    sim_reply_json(
        rs, 200,
        json_pack("{s:s}", "verification_status", ok ? "SUCCESS" : "FAILURE"));
}
