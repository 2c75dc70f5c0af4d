/* crypto.h - the OpenSSL wrapper: randomness, hashing, HMAC, comparisons. */
#ifndef RMA_CRYPTO_H
#define RMA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/err.h"

#define SHA256_LEN 32
#define SHA256_HEX_LEN 65 /* with the NUL */

/* Fills out with n bytes from the CSPRNG.  RMA_EINTERNAL if it fails. */
enum rma_err crypto_random(void *out, size_t n);
/* A uniformly random integer in [0, bound). */
enum rma_err crypto_random_below(uint32_t bound, uint32_t *out);
void crypto_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN]);
void crypto_hmac_sha256(const void *key, size_t key_len, const void *data,
                        size_t n, unsigned char out[SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n + 1 bytes). Returns out. */
char *crypto_hex(const unsigned char *in, size_t n, char *out);
/* Unpadded base64url of n bytes into out (at least 4 * ceil(n/3) + 1). */
char *crypto_base64url(const unsigned char *in, size_t n, char *out);
/* Constant-time equality of two buffers of the same length. */
bool crypto_equal(const void *a, const void *b, size_t n);

/* A new bearer token: prefix + base64url(32 random bytes), into out
 * (at least 64 bytes).  The token itself is shown once and never stored. */
enum rma_err crypto_new_token(const char *prefix, char *out, size_t n);

#endif
