/* crypto.c - OpenSSL behind a small, hard-to-misuse interface. */
#include "rma/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

enum rma_err
crypto_random(void *out, size_t n)
{
    if (n > INT32_MAX || RAND_bytes(out, (int)n) != 1)
        return RMA_EINTERNAL;
    return RMA_OK;
}

enum rma_err
crypto_random_below(uint32_t bound, uint32_t *out)
{
    if (bound == 0)
        return RMA_EINVAL;
    /* Rejection sampling: no modulo bias. */
    uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
    for (;;) {
        uint32_t v;
        if (crypto_random(&v, sizeof(v)) != RMA_OK)
            return RMA_EINTERNAL;
        if (v < limit) {
            *out = v % bound;
            return RMA_OK;
        }
    }
}

void
crypto_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN])
{
    /* SHA256() looks the algorithm up and allocates a context on every
     * call (OpenSSL 3): most of libcrypto's share of an API read
     * (bench/RESULTS.md).  Both are made once per thread here. */
    static _Thread_local EVP_MD *md;
    static _Thread_local EVP_MD_CTX *ctx;
    if (md == NULL)
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (ctx == NULL)
        ctx = EVP_MD_CTX_new();
    unsigned int len = SHA256_LEN;
    if (md == NULL || ctx == NULL || EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, data, n) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &len) != 1)
        SHA256(data, n, out);
}

void
crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                   unsigned char out[SHA256_LEN])
{
    unsigned int len = SHA256_LEN;
    HMAC(EVP_sha256(), key, (int)key_len, data, n, out, &len);
}

char *
crypto_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

char *
crypto_base64url(const unsigned char *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v =
            (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

bool
crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

enum rma_err
crypto_new_token(const char *prefix, char *out, size_t n)
{
    unsigned char raw[32];
    char enc[48];
    if (crypto_random(raw, sizeof(raw)) != RMA_OK)
        return RMA_EINTERNAL;
    crypto_base64url(raw, sizeof(raw), enc);
    OPENSSL_cleanse(raw, sizeof(raw));
    int w = snprintf(out, n, "%s%s", prefix, enc);
    OPENSSL_cleanse(enc, sizeof(enc));
    if (w < 0 || (size_t)w >= n)
        return RMA_EINTERNAL;
    return RMA_OK;
}
