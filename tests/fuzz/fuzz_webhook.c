/* fuzz_webhook.c - libFuzzer target: PayPal webhook deliveries
 * (src/paypal_webhook.c): the five PAYPAL-* headers and the raw body
 * through paypal_webhook_verify, certificates through
 * paypal_webhook_add_cert, and paypal_crc32.
 *
 * Input: header lines "Name: value", an empty line, then the body.  Lines
 * the harness reads itself:
 *   X-Fuzz-Sign: 1       replace the signature by a valid one (the test
 *                        leaf key of tests/fixtures/paypal) over the
 *                        message NOTES §8.4 defines, computed here;
 *   X-Fuzz-Pem: 1        first offer the body as the PEM of the cert URL;
 *   X-Fuzz-Add-Cert: URL first cache the test leaf under URL.
 * The verifier trusts the fixtures' CA and fetches certificates only from
 * 127.0.0.1:9, where nothing listens; the test leaf is cached under
 * CERT_URL.  The clock is fixed at NOW.
 *
 * Invariants: missing headers are 400-class (RMA_EINVAL); a wrong
 * algorithm, time or certificate origin is refused; a delivery signed with
 * the leaf's key over "id|time|webhook_id|crc32(body)" is accepted, and no
 * longer once one byte of the body changes; nothing unsigned is ever
 * accepted; paypal_crc32 agrees with a table-driven CRC-32. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <strings.h>

#include "fuzz.h"
#include "rma/paypal.h"

#define NOW ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define WEBHOOK_ID "1JE4291016473214C"
#define CERT_URL                                                               \
    "https://127.0.0.1:9/v1/notifications/certs/"                              \
    "CERT-360caa42-fca2a594-a5cafa77"
#define MAX_AGE 600
#define MAX_FUTURE 300

static const char *const origins[] = {"https://127.0.0.1:9",
                                      "http://127.0.0.1:9", NULL};
static struct paypal_webhook_verifier *verifier;
static EVP_PKEY *leaf_key;
static char *leaf_pem;
static size_t leaf_len;
static uint32_t crc_table[256];

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    FUZZ_ASSERT(f != NULL);
    char *s = malloc(65536);
    FUZZ_ASSERT(s != NULL);
    *len = fread(s, 1, 65535, f);
    s[*len] = '\0';
    fclose(f);
    return s;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    struct paypal_webhook_options o = {
        .webhook_id = WEBHOOK_ID,
        .cert_origins = origins,
        .ca_file = PAYPAL_FIXTURES "/ca.pem",
        .max_age_s = MAX_AGE,
        .max_future_s = MAX_FUTURE,
        .timeout_ms = 500,
    };
    verifier = paypal_webhook_verifier_new(&o);
    FUZZ_ASSERT(verifier != NULL);
    leaf_pem = slurp(PAYPAL_FIXTURES "/leaf.pem", &leaf_len);
    FUZZ_ASSERT(paypal_webhook_add_cert(verifier, CERT_URL, leaf_pem,
                                        leaf_len) == RMA_OK);
    FILE *f = fopen(PAYPAL_FIXTURES "/leaf.key", "r");
    FUZZ_ASSERT(f != NULL);
    leaf_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    FUZZ_ASSERT(leaf_key != NULL);
    return 0;
}

static uint32_t
reference_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* base64(RSA-SHA256(leaf, "id|time|webhook_id|crc32")), caller frees. */
static char *
sign(const char *id, const char *when, const uint8_t *body, size_t len)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "%s|%s|%s|%lu", id, when, WEBHOOK_ID,
                     (unsigned long)reference_crc32(body, len));
    FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(msg));
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    FUZZ_ASSERT(md != NULL);
    FUZZ_ASSERT(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, leaf_key) ==
                1);
    FUZZ_ASSERT(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg,
                               (size_t)n) == 1);
    EVP_MD_CTX_free(md);
    char *b64 = malloc(4 * ((siglen + 2) / 3) + 1);
    FUZZ_ASSERT(b64 != NULL);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
    return b64;
}

static int
origin_ok(const char *url)
{
    for (size_t i = 0; origins[i]; i++) {
        size_t n = strlen(origins[i]);
        if (strncasecmp(url, origins[i], n) == 0 && url[n] == '/')
            return 1;
    }
    return 0;
}

struct delivery {
    char *lines[32];
    size_t nlines;
};

static const char *
header(const struct delivery *d, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < d->nlines; i++)
        if (strncasecmp(d->lines[i], name, n) == 0 && d->lines[i][n] == ':') {
            const char *v = d->lines[i] + n + 1;
            return v + strspn(v, " ");
        }
    return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct delivery d = {.nlines = 0};
    while (size > 0) {
        char *line = fuzz_take_line(&data, &size);
        if (line[0] == '\0') {
            free(line);
            break;
        }
        if (d.nlines < 32)
            d.lines[d.nlines++] = line;
        else
            free(line);
    }
    const uint8_t *body = data;
    size_t len = size;
    FUZZ_ASSERT(paypal_crc32(body, len) == reference_crc32(body, len));

    struct paypal_webhook_headers h = {
        .transmission_id = header(&d, "PAYPAL-TRANSMISSION-ID"),
        .transmission_time = header(&d, "PAYPAL-TRANSMISSION-TIME"),
        .transmission_sig = header(&d, "PAYPAL-TRANSMISSION-SIG"),
        .cert_url = header(&d, "PAYPAL-CERT-URL"),
        .auth_algo = header(&d, "PAYPAL-AUTH-ALGO"),
    };
    const char *add = header(&d, "X-Fuzz-Add-Cert");
    int pem_mode = header(&d, "X-Fuzz-Pem") != NULL;
    int sign_mode = header(&d, "X-Fuzz-Sign") != NULL;

    /* Certificates offered first; the test leaf always stays cached. */
    const char *added = NULL;
    if (pem_mode && h.cert_url != NULL) {
        enum rma_err e = paypal_webhook_add_cert(verifier, h.cert_url,
                                                 (const char *)body, len);
        FUZZ_ASSERT(e == RMA_OK || e == RMA_EUNAUTH || e == RMA_EINTERNAL);
        if (e == RMA_OK) {
            FUZZ_ASSERT(origin_ok(h.cert_url));
            added = h.cert_url;
        }
    }
    if (add != NULL) {
        enum rma_err e =
            paypal_webhook_add_cert(verifier, add, leaf_pem, leaf_len);
        FUZZ_ASSERT((e == RMA_OK) == origin_ok(add));
        if (e == RMA_OK)
            added = add;
    }
    if (pem_mode || add != NULL)
        FUZZ_ASSERT(paypal_webhook_add_cert(verifier, CERT_URL, leaf_pem,
                                            leaf_len) == RMA_OK);

    char *signature = NULL;
    if (sign_mode && h.transmission_id && h.transmission_time &&
        strlen(h.transmission_id) + strlen(h.transmission_time) < 400) {
        signature = sign(h.transmission_id, h.transmission_time, body, len);
        h.transmission_sig = signature;
    }

    enum rma_err err = paypal_webhook_verify(verifier, &h, body, len, NOW);

    /* What the headers alone decide. */
    int present = h.transmission_id && h.transmission_time &&
                  h.transmission_sig && h.cert_url && h.auth_algo &&
                  h.transmission_id[0] != '\0' &&
                  strlen(h.transmission_id) <= 128;
    time_t sent = 0;
    int fresh = present &&
                paypal_parse_time(h.transmission_time, &sent) == RMA_OK &&
                NOW - sent <= MAX_AGE && sent - NOW <= MAX_FUTURE;
    int plausible = present && strcmp(h.auth_algo, "SHA256withRSA") == 0 &&
                    fresh && origin_ok(h.cert_url);
    int cached = plausible && (strcmp(h.cert_url, CERT_URL) == 0 ||
                               (added && strcmp(h.cert_url, added) == 0));

    if (!present)
        FUZZ_ASSERT(err == RMA_EINVAL);
    else if (!plausible)
        FUZZ_ASSERT(err == RMA_EUNAUTH);
    if (err == RMA_OK)
        FUZZ_ASSERT(plausible && signature != NULL);
    if (signature != NULL && cached && strcmp(h.cert_url, CERT_URL) == 0)
        FUZZ_ASSERT(err == RMA_OK);
    if (err == RMA_OK) {
        /* The signature covers the body: one byte more or changed fails. */
        uint8_t *other = malloc(len + 1);
        FUZZ_ASSERT(other != NULL);
        if (len > 0)
            memcpy(other, body, len);
        other[len] = 'x';
        FUZZ_ASSERT(paypal_webhook_verify(verifier, &h, other, len + 1, NOW) ==
                    RMA_EUNAUTH);
        if (len > 0) {
            other[len / 2] ^= 0x01;
            FUZZ_ASSERT(paypal_webhook_verify(verifier, &h, other, len, NOW) ==
                        RMA_EUNAUTH);
        }
        free(other);
        /* And the clock: one second past the window fails. */
        FUZZ_ASSERT(paypal_webhook_verify(verifier, &h, body, len,
                                          sent + MAX_AGE + 1) == RMA_EUNAUTH);
        FUZZ_ASSERT(paypal_webhook_verify(verifier, &h, body, len,
                                          sent + MAX_AGE) == RMA_OK);
    }

    free(signature);
    for (size_t i = 0; i < d.nlines; i++)
        free(d.lines[i]);
    return 0;
}
