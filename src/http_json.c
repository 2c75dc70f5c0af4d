/* http_json.c - strict parsing and validation of JSON request bodies. */
#include "rma/http_json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rma/mail.h"
#include "rma/money.h"

size_t
utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

bool
text_is_printable(const char *s, unsigned flags)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            if (!(flags & F_MULTILINE))
                return false;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f)
            return false;
        /* C1 controls U+0080..U+009F are encoded C2 80..C2 9F. */
        if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
            return false;
    }
    return true;
}

bool
email_normalize(const char *in, char *out)
{
    while (isspace((unsigned char)*in))
        in++;
    size_t n = strlen(in);
    while (n > 0 && isspace((unsigned char)in[n - 1]))
        n--;
    if (n < 3 || n > 254)
        return false;
    const char *at = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        /* ASCII only: what mail delivers (no SMTPUTF8), so what a case may
         * be created with and a customer may sign in with. */
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '(' ||
            c == ')' || c == ',' || c == ';' || c == ':' || c == '\\' ||
            c == '"' || c == '[' || c == ']')
            return false;
        if (c == '@') {
            if (at != NULL)
                return false;
            at = in + i;
        }
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    if (at == NULL || at == in || (size_t)(at - in) > 64)
        return false;
    const char *domain = at + 1;
    size_t dlen = n - (size_t)(domain - in);
    if (dlen < 3 || memchr(domain, '.', dlen) == NULL || domain[0] == '.' ||
        domain[dlen - 1] == '.' || strstr(out, "..") != NULL)
        return false;
    /* And exactly what the outbox and the sender accept: one rule from a
     * case's creation to the message's delivery. */
    return mail_address_ok(out);
}

/* The length of s's longest prefix of at most max bytes that ends on a
 * character boundary (s is valid UTF-8). */
static size_t
utf8_prefix(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Fails with the message "<field> <what>".  A long field name (an unknown
 * key) is cut to 64 bytes on a character boundary: cut inside a character,
 * it would make the error envelope invalid UTF-8, which jansson refuses to
 * build, and the client would get no body (found by tests/fuzz). */
static enum rma_err
fail(struct http_response *res, struct arena *a, enum rma_err err,
     const char *code, const char *field, const char *what)
{
    const char *f = field ? field : "";
    int flen = (int)utf8_prefix(f, 64);
    char msg[256];
    snprintf(msg, sizeof(msg), "%.*s %s", flen, f, what);
    return http_fail(res, err, code, arena_strdup(a, msg),
                     field ? arena_strndup(a, field, (size_t)flen) : NULL);
}

static enum rma_err check_object(json_t *obj, const struct field *spec,
                                 size_t n, struct arena *a,
                                 struct http_response *res);

static bool
valid_date(const char *s)
{
    /* The shape first: strptime skips blanks and takes fewer digits, so it
     * alone would pass "2025- 3-28" (found by tests/fuzz). */
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (end == NULL || *end != '\0')
        return false;
    /* Round-trip through timegm refuses 2026-02-30. */
    struct tm copy = tm;
    time_t t = timegm(&copy);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_mday == tm.tm_mday && back.tm_mon == tm.tm_mon;
}

static enum rma_err
check_field(const struct field *f, json_t *v, struct arena *a,
            struct http_response *res)
{
    const char *name = f->name;
    switch (f->type) {
    case FT_STRING:
    case FT_ENUM:
    case FT_EMAIL: {
        if (!json_is_string(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be a string");
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v))
            return fail(res, a, RMA_ERULE, "invalid_characters", name,
                        "contains a NUL character");
        if (f->type == FT_ENUM) {
            for (size_t i = 0; f->values[i] != NULL; i++)
                if (strcmp(s, f->values[i]) == 0)
                    return RMA_OK;
            return fail(res, a, RMA_ERULE, "invalid_value", name,
                        "is not one of the allowed values");
        }
        if (f->type == FT_EMAIL) {
            char norm[255];
            if (!email_normalize(s, norm))
                return fail(res, a, RMA_ERULE, "invalid_email", name,
                            "is not a valid email address");
            return RMA_OK;
        }
        if (!text_is_printable(s, f->flags))
            return fail(res, a, RMA_ERULE, "invalid_characters", name,
                        "contains control characters");
        size_t chars = utf8_length(s);
        if (f->min > 0 && chars < (size_t)f->min)
            return fail(res, a, RMA_ERULE,
                        chars == 0 ? "required" : "too_short", name,
                        "is too short");
        if (f->max > 0 && chars > (size_t)f->max)
            return fail(res, a, RMA_ERULE, "too_long", name, "is too long");
        return RMA_OK;
    }
    case FT_INTEGER: {
        if (!json_is_integer(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be an integer");
        json_int_t i = json_integer_value(v);
        if (i < f->min || i > f->max)
            return fail(res, a, RMA_ERULE, "out_of_range", name,
                        "is out of range");
        return RMA_OK;
    }
    case FT_BOOLEAN:
        if (!json_is_boolean(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be true or false");
        return RMA_OK;
    case FT_OBJECT:
        if (!json_is_object(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be an object");
        return f->sub ? check_object(v, f->sub, f->nsub, a, res) : RMA_OK;
    case FT_ARRAY: {
        if (!json_is_array(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be an array");
        size_t n = json_array_size(v);
        if (n < (size_t)f->min)
            return fail(res, a, RMA_ERULE, n == 0 ? "required" : "too_short",
                        name, "has too few items");
        if (f->max > 0 && n > (size_t)f->max)
            return fail(res, a, RMA_ERULE, "too_long", name,
                        "has too many items");
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_object(item))
                return fail(res, a, RMA_EINVAL, "invalid_type", name,
                            "must hold objects");
            enum rma_err err = check_object(item, f->sub, f->nsub, a, res);
            if (err != RMA_OK)
                return err;
        }
        return RMA_OK;
    }
    case FT_MONEY: {
        const char *cur, *val;
        json_error_t jerr;
        if (!json_is_object(v) ||
            json_unpack_ex(v, &jerr, JSON_STRICT, "{s:s, s:s}", "currency_code",
                           &cur, "value", &val) != 0)
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be {\"currency_code\", \"value\"}");
        struct money m;
        if (money_exponent(cur) < 0)
            return fail(res, a, RMA_ERULE, "invalid_currency", name,
                        "has an unsupported currency");
        if (money_parse(val, cur, &m) != RMA_OK)
            return fail(res, a, RMA_ERULE, "invalid_amount", name,
                        "is not a valid amount in its currency");
        /* Every amount is bounded (money.h): 10^12 minor units at most,
         * less when the field says so. */
        int64_t max =
            f->max > 0 && f->max < MONEY_MAX_MINOR ? f->max : MONEY_MAX_MINOR;
        if (m.minor < f->min || m.minor > max) {
            char lo[MONEY_TEXT_MAX], hi[MONEY_TEXT_MAX], what[128];
            money_format_minor(f->min, money_exponent(cur), lo);
            money_format_minor(max, money_exponent(cur), hi);
            snprintf(what, sizeof(what), "must be from %s to %s %s", lo, hi,
                     cur);
            return fail(res, a, RMA_ERULE, "amount_out_of_range", name, what);
        }
        return RMA_OK;
    }
    case FT_DATE:
        if (!json_is_string(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be a string");
        if (!valid_date(json_string_value(v)))
            return fail(res, a, RMA_ERULE, "invalid_date", name,
                        "must be a date YYYY-MM-DD");
        return RMA_OK;
    case FT_COUNTRY: {
        if (!json_is_string(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be a string");
        const char *c = json_string_value(v);
        if (strlen(c) != 2 || !isupper((unsigned char)c[0]) ||
            !isupper((unsigned char)c[1]))
            return fail(res, a, RMA_ERULE, "invalid_country", name,
                        "must be an ISO 3166-1 alpha-2 code");
        return RMA_OK;
    }
    case FT_CURRENCY:
        if (!json_is_string(v))
            return fail(res, a, RMA_EINVAL, "invalid_type", name,
                        "must be a string");
        if (money_exponent(json_string_value(v)) < 0)
            return fail(res, a, RMA_ERULE, "invalid_currency", name,
                        "is not a supported currency");
        return RMA_OK;
    }
    return RMA_EINTERNAL;
}

static enum rma_err
check_object(json_t *root, const struct field *spec, size_t n, struct arena *a,
             struct http_response *res)
{
    const char *key;
    json_t *value;
    enum rma_err err = RMA_OK;
    json_object_foreach(root, key, value)
    {
        const struct field *f = NULL;
        for (size_t i = 0; i < n; i++)
            if (strcmp(spec[i].name, key) == 0)
                f = &spec[i];
        if (f == NULL) {
            err = fail(res, a, RMA_EINVAL, "unknown_field", key,
                       "is not a known field");
            break;
        }
        if (json_is_null(value) && !f->required)
            continue;
        err = check_field(f, value, a, res);
        if (err != RMA_OK)
            break;
    }
    for (size_t i = 0; err == RMA_OK && i < n; i++) {
        json_t *v = json_object_get(root, spec[i].name);
        if (spec[i].required && (v == NULL || json_is_null(v)))
            err = fail(res, a, RMA_ERULE, "required", spec[i].name,
                       "is required");
    }
    return err;
}

enum rma_err
http_json_parse(const char *body, size_t len, struct arena *a,
                struct http_response *res, const struct field *spec, size_t n,
                json_t **out)
{
    *out = NULL;
    if (body == NULL || len == 0)
        return http_fail(res, RMA_EINVAL, "malformed_json",
                         "request body is empty", NULL);
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "malformed JSON at line %d column %d",
                 jerr.line, jerr.column);
        return http_fail(res, RMA_EINVAL, "malformed_json",
                         arena_strdup(a, msg), NULL);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return http_fail(res, RMA_EINVAL, "expected_object",
                         "request body must be a JSON object", NULL);
    }
    enum rma_err err = check_object(root, spec, n, a, res);
    if (err != RMA_OK) {
        json_decref(root);
        return err;
    }
    *out = root;
    return RMA_OK;
}
