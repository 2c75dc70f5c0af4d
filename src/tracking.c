/* tracking.c - carriers and tracking number formats (rules in tracking.h). */
#include "rma/tracking.h"

#include <ctype.h>
#include <string.h>

/* A name is a known carrier when, compared by its letters and digits
 * without case, it is one of these keys or starts with one of the long
 * ones, or when its first word is one of the short ones ("FedEx Ground",
 * "DHL eCommerce"; but "Upstate Courier" is not UPS). */
static const struct {
    const char *key;
    enum carrier carrier;
    bool prefix; /* also matches names that start with it */
} carrier_keys[] = {
    {"ups", CARRIER_UPS, false},
    {"unitedparcelservice", CARRIER_UPS, true},
    {"usps", CARRIER_USPS, false},
    {"unitedstatespostalservice", CARRIER_USPS, true},
    {"fedex", CARRIER_FEDEX, false},
    {"federalexpress", CARRIER_FEDEX, true},
    {"dhl", CARRIER_DHL, false},
    {"dhlexpress", CARRIER_DHL, false},
};

enum carrier
carrier_identify(const char *name)
{
    char key[CARRIER_MAX + 1], word[CARRIER_MAX + 1];
    size_t k = 0, w = 0;
    bool in_first_word = true;
    for (const char *p = name; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (!isascii(c) || !isalnum(c)) {
            in_first_word = in_first_word && w == 0;
            continue;
        }
        if (k == CARRIER_MAX)
            return CARRIER_OTHER;
        key[k++] = (char)tolower(c);
        if (in_first_word)
            word[w++] = (char)tolower(c);
    }
    key[k] = '\0';
    word[w] = '\0';
    for (size_t i = 0; i < sizeof(carrier_keys) / sizeof(carrier_keys[0]);
         i++) {
        const char *ck = carrier_keys[i].key;
        if (strcmp(key, ck) == 0 || strcmp(word, ck) == 0 ||
            (carrier_keys[i].prefix && strncmp(key, ck, strlen(ck)) == 0))
            return carrier_keys[i].carrier;
    }
    return CARRIER_OTHER;
}

const char *
carrier_name(enum carrier c)
{
    switch (c) {
    case CARRIER_UPS: return "UPS";
    case CARRIER_USPS: return "USPS";
    case CARRIER_FEDEX: return "FedEx";
    case CARRIER_DHL: return "DHL";
    case CARRIER_OTHER: break;
    }
    return NULL;
}

static bool
all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool
all_letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)s[i]))
            return false;
    return true;
}

/* GS1 mod 10 over s[0..n): the last digit checks the others, weighted 3
 * and 1 alternately from the right. */
static bool
gs1_check(const char *s, size_t n)
{
    if (n < 2 || !all_digits(s, n))
        return false;
    unsigned sum = 0, weight = 3;
    for (size_t i = n - 1; i-- > 0;) {
        sum += (unsigned)(s[i] - '0') * weight;
        weight = weight == 3 ? 1 : 3;
    }
    return (10 - sum % 10) % 10 == (unsigned)(s[n - 1] - '0');
}

/* UPU S10: 2 letters, 8 digits, a check digit, 2 letters (the country). */
static bool
s10_check(const char *s, size_t n)
{
    static const unsigned weights[8] = {8, 6, 4, 2, 3, 5, 9, 7};
    if (n != 13 || !all_letters(s, 2) || !all_digits(s + 2, 9) ||
        !all_letters(s + 11, 2))
        return false;
    unsigned sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (unsigned)(s[2 + i] - '0') * weights[i];
    unsigned check = 11 - sum % 11;
    if (check == 10)
        check = 0;
    else if (check == 11)
        check = 5;
    return check == (unsigned)(s[10] - '0');
}

/* UPS 1Z numbers: 1Z, 15 characters, a check digit over those 15. */
static bool
ups_1z_check(const char *s, size_t n)
{
    if (n != 18 || strncmp(s, "1Z", 2) != 0)
        return false;
    unsigned sum = 0;
    for (size_t i = 2; i < 17; i++) {
        unsigned v;
        if (isdigit((unsigned char)s[i]))
            v = (unsigned)(s[i] - '0');
        else if (isupper((unsigned char)s[i]))
            v = (unsigned)(s[i] - 63) % 10;
        else
            return false;
        sum += (i - 2) % 2 == 1 ? 2 * v : v;
    }
    return isdigit((unsigned char)s[17]) &&
           (10 - sum % 10) % 10 == (unsigned)(s[17] - '0');
}

static bool
ups_valid(const char *s, size_t n)
{
    if (ups_1z_check(s, n))
        return true;
    return n == 11 && s[0] == 'T' && all_digits(s + 1, 10);
}

static bool
usps_valid(const char *s, size_t n)
{
    if (s10_check(s, n))
        return strcmp(s + 11, "US") == 0;
    if (!all_digits(s, n))
        return false;
    /* Scanned with the routing code: 420 + ZIP (5 or 9 digits) first. */
    if (strncmp(s, "420", 3) == 0 && (n == 28 || n == 30)) {
        s += 8;
        n -= 8;
    } else if (strncmp(s, "420", 3) == 0 && (n == 32 || n == 34)) {
        s += 12;
        n -= 12;
    }
    return (n == 20 || n == 22) && gs1_check(s, n);
}

static bool
fedex_valid(const char *s, size_t n)
{
    if (!all_digits(s, n))
        return false;
    if (n == 22)
        return strncmp(s, "96", 2) == 0;
    return n == 12 || n == 14 || n == 15 || n == 20;
}

static bool
dhl_valid(const char *s, size_t n)
{
    if (n == 10 && all_digits(s, n)) {
        unsigned long first9 = 0;
        for (size_t i = 0; i < 9; i++)
            first9 = first9 * 10 + (unsigned long)(s[i] - '0');
        return first9 % 7 == (unsigned long)(s[9] - '0');
    }
    if ((n == 12 || n == 20) && all_digits(s, n))
        return true;
    if (n == 21 && strncmp(s, "JJD", 3) == 0 && all_digits(s + 3, 18))
        return true;
    if (n >= 18 && n <= 22 && strncmp(s, "GM", 2) == 0 &&
        all_digits(s + 2, n - 2))
        return true;
    return s10_check(s, n);
}

const char *
tracking_number_check(enum carrier c, const char *raw, char *out, size_t n)
{
    size_t len = 0;
    bool digit = false;
    for (const char *p = raw; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ' || ch == '-')
            continue;
        if (!isascii(ch) || !isalnum(ch))
            return "tracking_number takes letters, digits, spaces and dashes";
        if (len + 1 >= n || len == TRACKING_MAX)
            return "tracking_number is too long";
        out[len++] = (char)toupper(ch);
        digit = digit || isdigit(ch);
    }
    out[len] = '\0';
    if (len < TRACKING_MIN)
        return "tracking_number is too short";
    if (!digit)
        return "tracking_number needs at least one digit";
    switch (c) {
    case CARRIER_UPS:
        return ups_valid(out, len) ? NULL
                                   : "not a UPS tracking number (1Z followed "
                                     "by 16 letters or digits)";
    case CARRIER_USPS:
        return usps_valid(out, len) ? NULL
                                    : "not a USPS tracking number (20 or 22 "
                                      "digits, or 13 characters ending US)";
    case CARRIER_FEDEX:
        return fedex_valid(out, len) ? NULL
                                     : "not a FedEx tracking number (12, 14, "
                                       "15, 20 or 22 digits)";
    case CARRIER_DHL:
        return dhl_valid(out, len) ? NULL : "not a DHL tracking number";
    case CARRIER_OTHER: break;
    }
    return NULL;
}
