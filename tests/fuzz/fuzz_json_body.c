/* fuzz_json_body.c - libFuzzer target: the strict JSON body validator
 * (include/rma/http_json.h) with the real field specs of the routes.
 *
 * Input: "<spec>\n<body>", spec one of the names in specs[] below (any
 * other first line picks one by hash).  The api_*.c files are included so
 * that their static specs are the ones the service uses.
 *
 * Invariants: an accepted body satisfies its spec (checked by an
 * independent validator), re-validates after serialization, and only
 * carries known fields; a refused body is a 400 or 422 whose rendered
 * envelope is valid JSON {"error": {code, message[, field]}} naming what
 * http_fail was told. */
#include <ctype.h>

#include "api_auth.c"
#include "api_common.c"
#include "api_rma.c"
#include "api_staff_rma.c"
#include "api_staff_workflow.c"
#include "fuzz.h"

static const struct {
    const char *name;
    const struct field *spec;
    size_t n;
} specs[] = {
    {"auth_code", FIELDS(code_spec)},    {"auth_session", FIELDS(session_spec)},
    {"disagree", FIELDS(disagree_spec)}, {"method", FIELDS(method_spec)},
    {"address", FIELDS(address_spec)},   {"staff_create", FIELDS(create_spec)},
    {"staff_edit", FIELDS(edit_spec)},   {"reason", FIELDS(reason_spec)},
    {"proof", FIELDS(proof_spec)},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Specs are data: the cheap mistakes a table can hold. */
static void
lint_spec(const struct field *spec, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct field *f = &spec[i];
        FUZZ_ASSERT(f->name != NULL && f->name[0] != '\0');
        for (size_t j = 0; j < i; j++)
            FUZZ_ASSERT(strcmp(spec[j].name, f->name) != 0);
        switch (f->type) {
        case FT_INTEGER: FUZZ_ASSERT(f->min <= f->max); break;
        case FT_STRING: FUZZ_ASSERT(f->max == 0 || f->min <= f->max); break;
        case FT_ENUM: FUZZ_ASSERT(f->values && f->values[0]); break;
        case FT_ARRAY:
            FUZZ_ASSERT(f->sub != NULL && f->nsub > 0);
            FUZZ_ASSERT(f->max == 0 || f->min <= f->max);
            lint_spec(f->sub, f->nsub);
            break;
        case FT_OBJECT:
            if (f->sub != NULL)
                lint_spec(f->sub, f->nsub);
            break;
        default: break;
        }
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    for (size_t i = 0; i < NSPECS; i++)
        lint_spec(specs[i].spec, specs[i].n);
    return 0;
}

/* ---- an independent validator of accepted bodies ---- */

static size_t
utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

static int
printable(const char *s, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            if (!(flags & F_MULTILINE))
                return 0;
        } else if (*p < 0x20 || *p == 0x7f) {
            return 0;
        } else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
            return 0; /* U+0080..U+009F */
        }
    }
    return 1;
}

static int
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Exactly YYYY-MM-DD, a day of the Gregorian calendar. */
static int
date_ok(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
            (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1)
        return 0;
    return d <= mdays[m - 1] + (m == 2 && leap(y));
}

static void expect_valid(json_t *obj, const struct field *spec, size_t n);

static void
expect_field(const struct field *f, json_t *v)
{
    switch (f->type) {
    case FT_STRING: {
        FUZZ_ASSERT(json_is_string(v));
        const char *s = json_string_value(v);
        FUZZ_ASSERT(strlen(s) == json_string_length(v));
        FUZZ_ASSERT(printable(s, f->flags));
        size_t chars = utf8_chars(s);
        FUZZ_ASSERT(f->min <= 0 || chars >= (size_t)f->min);
        FUZZ_ASSERT(f->max <= 0 || chars <= (size_t)f->max);
        break;
    }
    case FT_ENUM: {
        FUZZ_ASSERT(json_is_string(v));
        int found = 0;
        for (size_t i = 0; f->values[i]; i++)
            found |= strcmp(json_string_value(v), f->values[i]) == 0;
        FUZZ_ASSERT(found);
        break;
    }
    case FT_EMAIL: {
        FUZZ_ASSERT(json_is_string(v));
        char norm[255];
        FUZZ_ASSERT(email_normalize(json_string_value(v), norm));
        const char *at = strchr(norm, '@');
        FUZZ_ASSERT(at != NULL && at != norm && strchr(at + 1, '@') == NULL);
        FUZZ_ASSERT(strchr(at, '.') != NULL);
        FUZZ_ASSERT(strlen(norm) <= 254);
        for (const char *p = norm; *p; p++)
            FUZZ_ASSERT(!isupper((unsigned char)*p) &&
                        (unsigned char)*p > ' ' &&
                        (unsigned char)*p < 0x7f); /* ASCII: what mail sends */
        FUZZ_ASSERT(mail_address_ok(norm));
        break;
    }
    case FT_INTEGER:
        FUZZ_ASSERT(json_is_integer(v));
        FUZZ_ASSERT(json_integer_value(v) >= f->min &&
                    json_integer_value(v) <= f->max);
        break;
    case FT_BOOLEAN: FUZZ_ASSERT(json_is_boolean(v)); break;
    case FT_OBJECT:
        FUZZ_ASSERT(json_is_object(v));
        if (f->sub != NULL)
            expect_valid(v, f->sub, f->nsub);
        break;
    case FT_ARRAY: {
        FUZZ_ASSERT(json_is_array(v));
        size_t n = json_array_size(v);
        FUZZ_ASSERT(n >= (size_t)f->min &&
                    (f->max <= 0 || n <= (size_t)f->max));
        for (size_t i = 0; i < n; i++)
            expect_valid(json_array_get(v, i), f->sub, f->nsub);
        break;
    }
    case FT_MONEY: {
        FUZZ_ASSERT(json_is_object(v) && json_object_size(v) == 2);
        const char *cur =
            json_string_value(json_object_get(v, "currency_code"));
        const char *val = json_string_value(json_object_get(v, "value"));
        FUZZ_ASSERT(cur != NULL && val != NULL);
        struct money m;
        FUZZ_ASSERT(money_parse(val, cur, &m) == RMA_OK);
        FUZZ_ASSERT(m.minor >= f->min && (f->max <= 0 || m.minor <= f->max));
        FUZZ_ASSERT(m.minor <= MONEY_MAX_MINOR); /* every amount bounded */
        break;
    }
    case FT_DATE:
        FUZZ_ASSERT(json_is_string(v) && date_ok(json_string_value(v)));
        break;
    case FT_COUNTRY: {
        FUZZ_ASSERT(json_is_string(v));
        const char *c = json_string_value(v);
        FUZZ_ASSERT(strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' &&
                    c[1] >= 'A' && c[1] <= 'Z');
        break;
    }
    case FT_CURRENCY:
        FUZZ_ASSERT(json_is_string(v) &&
                    money_exponent(json_string_value(v)) >= 0);
        break;
    }
}

static void
expect_valid(json_t *obj, const struct field *spec, size_t n)
{
    FUZZ_ASSERT(json_is_object(obj));
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < n; i++)
            known |= strcmp(spec[i].name, key) == 0;
        FUZZ_ASSERT(known);
    }
    for (size_t i = 0; i < n; i++) {
        v = json_object_get(obj, spec[i].name);
        if (v == NULL || json_is_null(v)) {
            FUZZ_ASSERT(!spec[i].required);
            continue;
        }
        expect_field(&spec[i], v);
    }
}

/* ---- the error envelope ---- */

static void
expect_envelope(const struct http_response *res, enum rma_err err)
{
    FUZZ_ASSERT(err == RMA_EINVAL || err == RMA_ERULE);
    FUZZ_ASSERT(res->error_code != NULL && res->error_message != NULL);
    char *text = http_render_body(res, err);
    FUZZ_ASSERT(text != NULL);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    FUZZ_ASSERT(doc != NULL);
    json_t *e = json_object_get(doc, "error");
    FUZZ_ASSERT(json_is_object(e));
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    FUZZ_ASSERT(code != NULL && strcmp(code, res->error_code) == 0);
    FUZZ_ASSERT(msg != NULL && strcmp(msg, res->error_message) == 0);
    json_t *field = json_object_get(e, "field");
    if (res->error_field != NULL)
        FUZZ_ASSERT(json_is_string(field) &&
                    strcmp(json_string_value(field), res->error_field) == 0);
    else
        FUZZ_ASSERT(field == NULL);
    json_decref(doc);
    free(text);
}

/* Exercises the address handler's own checks on an accepted body. */
static void
address_extras(json_t *body)
{
    const char *phone = json_string_value(json_object_get(body, "phone"));
    const char *postal =
        json_string_value(json_object_get(body, "postal_code"));
    if (phone != NULL)
        (void)valid_phone(phone);
    if (postal != NULL)
        (void)valid_postal_code(postal);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_take_line(&data, &size);
    size_t k = NSPECS;
    for (size_t i = 0; i < NSPECS; i++)
        if (strcmp(name, specs[i].name) == 0)
            k = i;
    if (k == NSPECS) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *p = name; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        k = h % NSPECS;
    }
    free(name);

    struct arena a;
    arena_init(&a, 4096);
    struct http_response res;
    memset(&res, 0, sizeof(res));
    json_t *out = (json_t *)1;
    enum rma_err err =
        http_json_parse(size ? (const char *)data : NULL, size, &a, &res,
                        specs[k].spec, specs[k].n, &out);
    if (err != RMA_OK) {
        FUZZ_ASSERT(out == NULL);
        expect_envelope(&res, err);
    } else {
        expect_valid(out, specs[k].spec, specs[k].n);
        if (specs[k].spec == address_spec)
            address_extras(out);
        /* What was accepted is accepted again once serialized. */
        char *text = json_dumps(out, JSON_COMPACT);
        FUZZ_ASSERT(text != NULL);
        struct http_response res2;
        memset(&res2, 0, sizeof(res2));
        json_t *again = NULL;
        FUZZ_ASSERT(http_json_parse(text, strlen(text), &a, &res2,
                                    specs[k].spec, specs[k].n,
                                    &again) == RMA_OK);
        FUZZ_ASSERT(json_equal(out, again));
        json_decref(again);
        free(text);
        json_decref(out);
    }
    arena_free(&a);
    return 0;
}
