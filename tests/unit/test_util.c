/* test_util.c - arena, bounded buffers, crypto helpers, error names. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rma/arena.h"
#include "rma/buf.h"
#include "rma/crypto.h"
#include "rma/err.h"
#include "rma/id_list.h"

Test(arena, allocations_are_aligned_and_survive_growth)
{
    struct arena a;
    arena_init(&a, 64);
    char *s = arena_strdup(&a, "hello");
    void *big = arena_alloc(&a, 1000); /* larger than a chunk */
    memset(big, 'x', 1000);
    char *p = arena_printf(&a, "%s-%d", s, 42);
    cr_assert_str_eq(s, "hello");
    cr_assert_str_eq(p, "hello-42");
    cr_assert_eq((uintptr_t)arena_alloc(&a, 3) % _Alignof(max_align_t), 0);
    arena_reset(&a);
    char *q = arena_strndup(&a, "abcdef", 3);
    cr_assert_str_eq(q, "abc");
    arena_free(&a);
}

Test(buf, refuses_growth_past_its_maximum_and_keeps_content)
{
    struct buf b;
    buf_init(&b, 10);
    cr_assert_eq(buf_puts(&b, "0123456789"), RMA_OK, "exactly the maximum");
    cr_assert_eq(buf_puts(&b, "x"), RMA_ETOOLARGE, "one past the maximum");
    cr_assert_eq(b.len, 10);
    cr_assert_str_eq(b.data, "0123456789");
    buf_reset(&b);
    cr_assert_eq(buf_printf(&b, "%d", 12345), RMA_OK);
    cr_assert_str_eq(b.data, "12345");
    char *s = buf_steal(&b);
    cr_assert_str_eq(s, "12345");
    free(s);
    cr_assert_null(b.data);
    buf_free(&b);
}

Test(crypto, sha256_and_hmac_match_known_vectors)
{
    unsigned char h[SHA256_LEN];
    char hex[SHA256_HEX_LEN];
    crypto_sha256("abc", 3, h);
    cr_assert_str_eq(
        crypto_hex(h, SHA256_LEN, hex),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 */
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, h);
    cr_assert_str_eq(
        crypto_hex(h, SHA256_LEN, hex),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Test(crypto, base64url_is_unpadded_and_url_safe)
{
    char out[16];
    cr_assert_str_eq(
        crypto_base64url((const unsigned char *)"\xfb\xff", 2, out), "-_8");
    cr_assert_str_eq(crypto_base64url((const unsigned char *)"foobar", 6, out),
                     "Zm9vYmFy");
    cr_assert_str_eq(crypto_base64url((const unsigned char *)"f", 1, out),
                     "Zg");
}

Test(crypto, tokens_are_random_and_prefixed)
{
    char a[96], b[96];
    cr_assert_eq(crypto_new_token("rma_st_", a, sizeof(a)), RMA_OK);
    cr_assert_eq(crypto_new_token("rma_st_", b, sizeof(b)), RMA_OK);
    cr_assert_eq(strncmp(a, "rma_st_", 7), 0);
    cr_assert_eq(strlen(a), 7 + 43, "32 bytes in unpadded base64url");
    cr_assert_str_neq(a, b);
    cr_assert(crypto_equal(a, a, strlen(a)));
    cr_assert_not(crypto_equal(a, b, strlen(a)));
}

Test(crypto, random_below_stays_in_range)
{
    for (int i = 0; i < 1000; i++) {
        uint32_t v;
        cr_assert_eq(crypto_random_below(1000000, &v), RMA_OK);
        cr_assert_lt(v, 1000000u);
    }
    uint32_t v;
    cr_assert_eq(crypto_random_below(0, &v), RMA_EINVAL);
}

Test(err, every_error_has_a_snake_case_code)
{
    for (int e = RMA_OK; e <= RMA_EINTERNAL; e++) {
        const char *c = rma_err_code((enum rma_err)e);
        cr_assert_not_null(c);
        for (const char *p = c; *p; p++)
            cr_assert((*p >= 'a' && *p <= 'z') || *p == '_', "%s", c);
    }
}

Test(id_list, array_literals_hold_every_id_at_the_widest)
{
    char *t = id_array_text(NULL, 0);
    cr_assert_str_eq(t, "{}");
    free(t);
    int64_t widest[] = {INT64_MIN, INT64_MAX, 0};
    t = id_array_text(widest, 3);
    cr_assert_str_eq(t, "{-9223372036854775808,9223372036854775807,0}");
    free(t);

    struct id_list l = {0};
    for (int64_t i = 1; i <= 200; i++) /* past the first allocation */
        cr_assert_eq(id_list_add(&l, i), RMA_OK);
    const char *text = id_list_text(&l);
    cr_assert_eq(strncmp(text, "{1,2,3,", 7), 0);
    cr_assert_eq(strcmp(text + strlen(text) - 5, ",200}"), 0);
    id_list_free(&l);
    cr_assert_eq(l.n, 0);
}
