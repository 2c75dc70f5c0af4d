/* paypal_internal.h - shared by the paypal*.c files only: the client and
 * one exchange with PayPal, and the helpers the files of the client share
 * (each defined where its section is, named below). */
#ifndef RMA_PAYPAL_INTERNAL_H
#define RMA_PAYPAL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/http_client.h"
#include "rma/money.h"
#include "rma/paypal.h"

struct paypal_client {
    struct paypal_client_options opt;
    char *base_url; /* owned, no trailing slash */
    char *basic;    /* "id:secret", owned, cleansed on free */
    char *client_id;
    struct http_client *http;
    char *token;              /* owned, never logged */
    int64_t token_expires_ms; /* monotonic */
    unsigned token_gen;       /* counts the tokens fetched */
    bool token_fetched;       /* token came from PayPal to this client */
    struct paypal_client_stats stats;
};

/* One HTTP exchange with PayPal and its retry state. */
struct exch {
    const char *op;         /* for logs, static */
    const char *method;     /* static */
    char *url;              /* owned */
    char *body;             /* owned, or NULL */
    const char *request_id; /* borrowed, or NULL */
    bool prefer_representation;
    bool token_call;
    /* state */
    int attempts;
    int failures; /* retryable failures so far */
    bool reauthed;
    bool want_token;
    bool done;
    int64_t not_before_ms;
    enum rma_err err;
    struct http_response resp; /* the last answer; owned */
    bool has_resp;
    struct paypal_result *res; /* borrowed: where the outcome goes */
    int64_t started_ms;
};

/* ---- paypal_client.c: helpers without I/O ---- */

/* Path segments PayPal ids may occupy: letters, digits, '-' and '_'. */
bool paypal_id_valid(const char *id);
/* s (NULL: "") into out of n bytes, cut to fit. */
void paypal_copy_text(char *out, size_t n, const char *s);
/* j as compact JSON text (caller frees), NULL on error; steals j. */
char *paypal_json_dump(json_t *j);
/* NULL, or 1..max bytes. */
bool paypal_text_ok(const char *s, size_t max);
/* A positive amount in a known currency. */
bool paypal_money_ok(const struct money *m);
/* {"currency_code", "value"} (new reference), NULL on error. */
json_t *paypal_money_json(const struct money *m);

/* ---- paypal_parse.c ---- */

/* s parsed, duplicate keys refused (new reference), NULL on error. */
json_t *paypal_json_load(const char *s);

/* ---- paypal_exec.c: the executor ---- */

/* x->url = base URL + before + id + after (id already checked). */
enum rma_err paypal_exch_url(struct paypal_client *pc, struct exch *x,
                             const char *before, const char *id,
                             const char *after);
/* Frees what x owns (its URL, body and last answer). */
void paypal_exch_free(struct exch *x);
/* Runs one exchange and hands its outcome to res (may be NULL). */
enum rma_err paypal_exch_run(struct paypal_client *pc, struct exch *x,
                             struct paypal_result *res);
/* POSTs the JSON body to path (under the base URL) with the bearer token and
 * the retry policy, without a PayPal-Request-Id.  On RMA_OK *answer is the
 * response body (caller frees). */
enum rma_err paypal_post_json(struct paypal_client *pc, const char *op,
                              const char *path, const char *body, char **answer,
                              struct paypal_result *res);

/* ---- paypal_payments.c: batch items, for the executor's streams ---- */

/* Builds the exchange of a batch item (also used by the single calls). */
enum rma_err paypal_item_exch(struct paypal_client *pc,
                              struct paypal_batch_item *it, struct exch *x);
/* Parses a finished item's answer into its out union. */
enum rma_err paypal_item_parse(struct paypal_batch_item *it, struct exch *x);

#endif
