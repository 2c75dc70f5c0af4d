/* http_json.h - strict JSON request bodies: every field declared once with
 * its validator (after kcgi); a handler only ever sees fields that passed.
 *
 * Unknown fields, wrong types and malformed JSON are 400; rule violations
 * (missing, too long, out of range, not one of the allowed values, control
 * characters) are 422.  Both name the field. */
#ifndef RMA_HTTP_JSON_H
#define RMA_HTTP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rma/arena.h"
#include "rma/err.h"
#include "rma/http.h"

enum field_type {
    FT_STRING,  /* min/max: length in characters */
    FT_INTEGER, /* min/max: value */
    FT_BOOLEAN,
    FT_ENUM,     /* a string among values */
    FT_EMAIL,    /* a string that looks like an address, max 254 */
    FT_OBJECT,   /* checked against sub[0..nsub) */
    FT_ARRAY,    /* min/max items, each an object checked against sub */
    FT_MONEY,    /* {"currency_code", "value"} with the currency's exponent;
                    min/max in minor units, max at most MONEY_MAX_MINOR */
    FT_DATE,     /* "YYYY-MM-DD", a real date */
    FT_COUNTRY,  /* ISO 3166-1 alpha-2, upper case */
    FT_CURRENCY, /* a supported ISO 4217 code */
};

#define F_MULTILINE 1u /* a string may contain newlines and tabs */

struct field {
    const char *name;
    enum field_type type;
    bool required;
    long min, max;
    const char *const *values; /* FT_ENUM: NULL-terminated */
    unsigned flags;
    const struct field *sub; /* FT_OBJECT, FT_ARRAY items */
    size_t nsub;
};

#define FIELDS(spec) (spec), (sizeof(spec) / sizeof((spec)[0]))

/* Parses body[0..len) into *out (new reference, a JSON object) after
 * checking every field against spec[0..n).  On failure fills res's error
 * (strings in arena a) and returns the error. */
enum rma_err http_json_parse(const char *body, size_t len, struct arena *a,
                             struct http_response *res,
                             const struct field *spec, size_t n, json_t **out);

/* Number of UTF-8 characters in s (s is valid UTF-8: jansson checked it). */
size_t utf8_length(const char *s);

/* True when s has no control characters (and, without F_MULTILINE, no
 * newline or tab). */
bool text_is_printable(const char *s, unsigned flags);

/* Normalizes an email address into out (lower case, trimmed); false if it
 * does not look like one.  The one rule for addresses, from a case's
 * creation to the message's delivery: printable ASCII only (mail is sent
 * without SMTPUTF8) and usable by mail (mail_address_ok).  out must hold
 * 255 bytes. */
bool email_normalize(const char *in, char *out);

#endif
