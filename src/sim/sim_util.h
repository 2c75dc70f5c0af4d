/* sim_util.h - paypal-sim helpers: time, ids, JSON fields, PayPal money.
 *
 * Private to the simulator.  Times are seconds since the epoch on the
 * simulator's clock (sim_state.h); money is integer minor units. */
#ifndef RMA_SIM_UTIL_H
#define RMA_SIM_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SIM_DAY 86400
#define SIM_ID_LEN 17

/* "2026-11-23T10:00:00Z" into out (at least 32 bytes).  Returns out. */
char *sim_time_iso(int64_t t, char *out, size_t n);
/* "2026-11-23T10:00:00+0000" (Transaction Search style). */
char *sim_time_search(int64_t t, char *out, size_t n);
/* Parses RFC 3339 (Z, +hh:mm or +hhmm, optional fraction). -1 on error. */
int sim_time_parse(const char *s, int64_t *out);

/* n random characters of [0-9A-Z] and a NUL into out (n + 1 bytes). */
void sim_random_id(char *out, size_t n);
/* A PayPal account id: 13 of [2-9A-HJ-NP-Z] and a NUL (14 bytes). */
void sim_random_account_id(char out[14]);
/* n random lower-case hex digits and a NUL. */
void sim_random_hex(char *out, size_t n);
/* A random uuid-shaped string (37 bytes with the NUL). */
void sim_random_uuid(char out[37]);
/* A uniform double in [0, 1). */
double sim_random_unit(void);

/* Borrowed field accessors: 0 / NULL / false when absent or mistyped. */
int64_t sim_jint(const json_t *o, const char *key);
const char *sim_jstr(const json_t *o, const char *key);
bool sim_jbool(const json_t *o, const char *key);
/* Sets key to an integer / string (copied) / boolean. */
void sim_set_int(json_t *o, const char *key, int64_t v);
void sim_set_str(json_t *o, const char *key, const char *v);

/* A PayPal money object {currency_code, value}: new reference. */
json_t *sim_money_json(int64_t minor, const char *currency);

/* The outcome of checking a PayPal money object. */
struct sim_money_check {
    int status;        /* 0 when valid, else 400 or 422 */
    const char *issue; /* static */
    const char *description;
    const char *field_suffix; /* "/value" or "/currency_code" */
};

/* Validates amount ({currency_code, value}) as PayPal does (NOTES §10):
 * on success fills *minor and currency (4 bytes) and returns true. */
bool sim_money_parse(const json_t *amount, int64_t *minor, char currency[4],
                     struct sim_money_check *check);

/* IEEE CRC-32 (as zlib's crc32) of n bytes. */
uint32_t sim_crc32(const void *data, size_t n);

/* Percent-decodes a form-urlencoded value in place ('+' is a space). */
void sim_form_decode(char *s);
/* Looks up name in an application/x-www-form-urlencoded body; copies the
 * decoded value into out (n bytes).  Returns false when absent. */
bool sim_form_get(const char *body, const char *name, char *out, size_t n);

/* Appends s to out (n bytes) HTML-escaped; returns the new length. */
size_t sim_html_escape(const char *s, char *out, size_t n);

#endif
