/* fuzz_tracking.c - libFuzzer target: carriers and tracking numbers a
 * customer types (include/rma/tracking.h).
 *
 * Input: "carrier name\ntracking number".
 *
 * Invariants: a carrier name maps to one of the enum's carriers and the
 * known ones' own names map back to them; an accepted number is the raw one
 * without spaces and dashes, upper-cased, letters and digits only, within
 * the length limits and the carrier's formats; a refusal comes with a
 * message; checking the normalized number again accepts it unchanged. */
#include <ctype.h>

#include "fuzz.h"
#include "rma/tracking.h"

static const enum carrier carriers[] = {
    CARRIER_OTHER, CARRIER_UPS, CARRIER_USPS, CARRIER_FEDEX, CARRIER_DHL};
#define NCARRIERS (sizeof(carriers) / sizeof(carriers[0]))

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (size_t i = 1; i < NCARRIERS; i++)
        FUZZ_ASSERT(carrier_identify(carrier_name(carriers[i])) == carriers[i]);
    FUZZ_ASSERT(carrier_name(CARRIER_OTHER) == NULL);
    return 0;
}

static int
all_digits(const char *s)
{
    return strspn(s, "0123456789") == strlen(s);
}

/* The formats of tracking.h, by shape only (check digits aside). */
static int
shape_ok(enum carrier c, const char *s)
{
    size_t n = strlen(s);
    switch (c) {
    case CARRIER_UPS:
        return (n == 18 && strncmp(s, "1Z", 2) == 0) ||
               (n == 11 && s[0] == 'T' && all_digits(s + 1));
    case CARRIER_USPS:
        return (n == 13 && strcmp(s + 11, "US") == 0) ||
               (all_digits(s) && (n == 20 || n == 22 || n == 28 || n == 30 ||
                                  n == 32 || n == 34));
    case CARRIER_FEDEX:
        return all_digits(s) && (n == 12 || n == 14 || n == 15 || n == 20 ||
                                 (n == 22 && strncmp(s, "96", 2) == 0));
    case CARRIER_DHL:
        return (all_digits(s) && (n == 10 || n == 12 || n == 20)) ||
               (n == 21 && strncmp(s, "JJD", 3) == 0) ||
               (n >= 18 && n <= 22 && strncmp(s, "GM", 2) == 0) || n == 13;
    case CARRIER_OTHER:
        return n >= TRACKING_MIN && n <= TRACKING_MAX &&
               strpbrk(s, "0123456789") != NULL;
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_take_line(&data, &size);
    char *raw = fuzz_take_line(&data, &size);

    enum carrier named = carrier_identify(name);
    int known = 0;
    for (size_t i = 0; i < NCARRIERS; i++)
        known |= named == carriers[i];
    FUZZ_ASSERT(known);

    /* The normalization tracking.h describes. */
    char *want = malloc(strlen(raw) + 1);
    FUZZ_ASSERT(want != NULL);
    size_t w = 0;
    int clean = 1;
    for (const char *p = raw; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '-')
            continue;
        if (!(c < 0x80 && isalnum(c)))
            clean = 0;
        want[w++] = (char)(c < 0x80 ? toupper(c) : c);
    }
    want[w] = '\0';

    for (size_t i = 0; i < NCARRIERS; i++) {
        char out[TRACKING_MAX + 1];
        memset(out, 0x7f, sizeof(out));
        const char *msg =
            tracking_number_check(carriers[i], raw, out, sizeof(out));
        if (msg != NULL) {
            FUZZ_ASSERT(msg[0] != '\0');
            continue;
        }
        FUZZ_ASSERT(clean);
        FUZZ_ASSERT(strcmp(out, want) == 0);
        FUZZ_ASSERT(strlen(out) <= TRACKING_MAX);
        for (const char *p = out; *p; p++)
            FUZZ_ASSERT(isdigit((unsigned char)*p) ||
                        isupper((unsigned char)*p));
        FUZZ_ASSERT(shape_ok(carriers[i], out));
        char again[TRACKING_MAX + 1];
        FUZZ_ASSERT(tracking_number_check(carriers[i], out, again,
                                          sizeof(again)) == NULL);
        FUZZ_ASSERT(strcmp(again, out) == 0);
    }

    free(want);
    free(name);
    free(raw);
    return 0;
}
