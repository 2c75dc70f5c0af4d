/* sim_util.c - paypal-sim helpers: time, ids, JSON fields, PayPal money. */
#include "sim/sim_util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "rma/crypto.h"
#include "rma/money.h"

char *
sim_time_iso(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

char *
sim_time_search(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%S+0000", &tm);
    return out;
}

/* Reads exactly `digits` decimal digits at *s. */
static int
read_digits(const char **s, int digits, int *out)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += digits;
    *out = v;
    return 0;
}

int
sim_time_parse(const char *s, int64_t *out)
{
    struct tm tm;
    int year, mon, day, hour, min, sec;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || read_digits(&s, 4, &year) || *s++ != '-' ||
        read_digits(&s, 2, &mon) || *s++ != '-' || read_digits(&s, 2, &day))
        return -1;
    if (*s != 'T' && *s != 't' && *s != ' ')
        return -1;
    s++;
    if (read_digits(&s, 2, &hour) || *s++ != ':' || read_digits(&s, 2, &min) ||
        *s++ != ':' || read_digits(&s, 2, &sec))
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
        sec > 60)
        return -1;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return -1;
        while (isdigit((unsigned char)*s))
            s++;
    }
    int64_t offset = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1;
        int oh, om;
        s++;
        if (read_digits(&s, 2, &oh))
            return -1;
        if (*s == ':')
            s++;
        if (read_digits(&s, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*s != '\0')
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm) - offset;
    return 0;
}

void
sim_random_id(char *out, size_t n)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        (void)crypto_random_below(36, &v);
        out[i] = alphabet[v];
    }
    out[n] = '\0';
}

void
sim_random_account_id(char out[14])
{
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    for (size_t i = 0; i < 13; i++) {
        uint32_t v = 0;
        (void)crypto_random_below(sizeof(alphabet) - 1, &v);
        out[i] = alphabet[v];
    }
    out[13] = '\0';
}

void
sim_random_hex(char *out, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        (void)crypto_random_below(16, &v);
        out[i] = digits[v];
    }
    out[n] = '\0';
}

void
sim_random_uuid(char out[37])
{
    sim_random_hex(out, 36);
    out[8] = out[13] = out[18] = out[23] = '-';
}

double
sim_random_unit(void)
{
    uint32_t v = 0;
    (void)crypto_random(&v, sizeof(v));
    return (double)v / 4294967296.0;
}

int64_t
sim_jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

const char *
sim_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

bool
sim_jbool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

void
sim_set_int(json_t *o, const char *key, int64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

void
sim_set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v != NULL ? json_string(v) : json_null());
}

json_t *
sim_money_json(int64_t minor, const char *currency)
{
    char text[MONEY_TEXT_MAX];
    int exponent = money_exponent(currency);
    money_format_minor(minor, exponent < 0 ? 2 : exponent, text);
    return json_pack("{s:s, s:s}", "currency_code", currency, "value", text);
}

static bool
money_fail(struct sim_money_check *c, int status, const char *issue,
           const char *description, const char *suffix)
{
    c->status = status;
    c->issue = issue;
    c->description = description;
    c->field_suffix = suffix;
    return false;
}

bool
sim_money_parse(const json_t *amount, int64_t *minor, char currency[4],
                struct sim_money_check *c)
{
    memset(c, 0, sizeof(*c));
    const char *code = sim_jstr(amount, "currency_code");
    json_t *jv = json_object_get(amount, "value");
    if (!json_is_object(amount) || code == NULL || jv == NULL)
        return money_fail(c, 400, "MISSING_REQUIRED_PARAMETER",
                          "A required field / parameter is missing.",
                          code == NULL ? "/currency_code" : "/value");
    const char *value = json_string_value(jv);
    if (value == NULL)
        return money_fail(c, 400, "INVALID_PARAMETER_SYNTAX",
                          "The value of a field does not conform to the "
                          "expected format.",
                          "/value");
    /* ^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$, at most 32 characters. */
    const char *p = value;
    bool negative = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    size_t int_digits = strspn(p, "0123456789");
    const char *frac = NULL;
    size_t frac_digits = 0;
    bool syntax_ok = strlen(value) <= 32;
    if (p[int_digits] == '.') {
        frac = p + int_digits + 1;
        frac_digits = strspn(frac, "0123456789");
        syntax_ok = syntax_ok && frac_digits > 0 && frac[frac_digits] == '\0';
    } else {
        syntax_ok = syntax_ok && int_digits > 0 && p[int_digits] == '\0';
    }
    if (!syntax_ok)
        return money_fail(c, 400, "INVALID_PARAMETER_SYNTAX",
                          "The value of a field does not conform to the "
                          "expected format.",
                          "/value");
    int exponent = money_exponent(code);
    if (exponent < 0)
        return money_fail(c, 422, "INVALID_CURRENCY_CODE",
                          "Currency code is invalid or is not currently "
                          "supported. Please refer "
                          "https://developer.paypal.com/docs/api/reference/"
                          "currency-codes/ for list of supported currency "
                          "codes.",
                          "/currency_code");
    if (exponent == 0 && frac != NULL)
        return money_fail(c, 422, "DECIMALS_NOT_SUPPORTED",
                          "Currency does not support decimals. Please refer "
                          "to https://developer.paypal.com/docs/api/"
                          "reference/currency-codes/ for more information.",
                          "/value");
    if (frac_digits > (size_t)exponent)
        return money_fail(c, 422, "DECIMAL_PRECISION",
                          "If the currency supports decimals, only two "
                          "decimal place precision is supported.",
                          "/value");
    /* 999999999999999.99 is PayPal's maximum order amount. */
    while (int_digits > 1 && *p == '0')
        p++, int_digits--;
    if (int_digits > 15)
        return money_fail(c, 422, "MAX_VALUE_EXCEEDED",
                          "Should be less than or equal to "
                          "999999999999999.99.",
                          "/value");
    int64_t v = 0;
    for (size_t i = 0; i < int_digits; i++)
        v = v * 10 + (p[i] - '0');
    for (int i = 0; i < exponent; i++)
        v = v * 10 + ((size_t)i < frac_digits ? frac[i] - '0' : 0);
    if (negative)
        v = -v;
    if (v <= 0)
        return money_fail(c, 422, "CANNOT_BE_ZERO_OR_NEGATIVE",
                          "Must be greater than zero. If the currency "
                          "supports decimals, only two decimal place "
                          "precision is supported.",
                          "/value");
    *minor = v;
    memcpy(currency, code, 3);
    currency[3] = '\0';
    return true;
}

uint32_t
sim_crc32(const void *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        uint32_t t[256];
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        memcpy(table, t, sizeof(t));
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

static int
hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void
sim_form_decode(char *s)
{
    char *o = s;
    for (char *i = s; *i != '\0'; i++) {
        if (*i == '+') {
            *o++ = ' ';
        } else if (*i == '%' && hex_value(i[1]) >= 0 && hex_value(i[2]) >= 0) {
            *o++ = (char)(hex_value(i[1]) * 16 + hex_value(i[2]));
            i += 2;
        } else {
            *o++ = *i;
        }
    }
    *o = '\0';
}

bool
sim_form_get(const char *body, const char *name, char *out, size_t n)
{
    size_t name_len = strlen(name);
    const char *p = body;
    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > name_len && strncmp(p, name, name_len) == 0 &&
            p[name_len] == '=') {
            size_t vlen = len - name_len - 1;
            if (vlen >= n)
                vlen = n - 1;
            memcpy(out, p + name_len + 1, vlen);
            out[vlen] = '\0';
            sim_form_decode(out);
            return true;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return false;
}

size_t
sim_html_escape(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; s != NULL && *s != '\0'; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        size_t len = rep != NULL ? strlen(rep) : 1;
        if (o + len + 1 > n)
            break;
        if (rep != NULL)
            memcpy(out + o, rep, len);
        else
            out[o] = *s;
        o += len;
    }
    if (n > 0)
        out[o] = '\0';
    return o;
}
