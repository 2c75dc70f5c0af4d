/* paypal.h - the PayPal REST client (SPEC §5.7): the only code that speaks
 * PayPal.
 *
 * OAuth2 client-credentials token cached until shortly before it expires and
 * refreshed (one retry) on any 401; Orders v2 create/get/authorize; Payments
 * v2 authorizations, captures and refunds; Transaction Search; webhook
 * signature verification (paypal_webhook.c).
 *
 * Retries (§5.7): network errors, timeouts, 429 (honouring Retry-After), 5xx
 * and 409 PREVIOUS_REQUEST_IN_PROGRESS are retried with exponential backoff
 * and jitter, with the same PayPal-Request-Id; other 4xx never.  Every
 * mutating call takes the caller's PayPal-Request-Id (1..108 characters),
 * derived from a durable intent (paypal_intent.h).
 *
 * Errors: RMA_EUPSTREAM when PayPal cannot be reached or keeps failing (the
 * outcome of a mutating call is then unknown: replay it with the same
 * request id); RMA_ERULE for 422 refusals; RMA_EINVAL for 400 and for
 * arguments refused before any call; RMA_ENOTFOUND for 404; RMA_EFORBIDDEN
 * for 403; RMA_ECONFLICT for other 409s.  struct paypal_result says more.
 *
 * A client is not thread-safe: one per process or per thread. */
#ifndef RMA_PAYPAL_H
#define RMA_PAYPAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rma/err.h"
#include "rma/money.h"

#define PAYPAL_ID_MAX 64          /* with the NUL; PayPal ids are 17-19 */
#define PAYPAL_REQUEST_ID_MAX 108 /* without the NUL */
#define PAYPAL_STATUS_MAX 40
#define PAYPAL_TIME_MAX 40 /* ISO 8601 as PayPal sent it */
#define PAYPAL_URL_MAX 1024

struct paypal_client_options {
    const char *base_url;      /* e.g. https://api-m.paypal.com; borrowed */
    const char *client_id;     /* borrowed */
    const char *client_secret; /* borrowed; never logged */
    const char *ca_file;       /* paypal_ca_file, or NULL: system store */
    bool https_only;           /* refuse a plain http base URL */
    long connect_timeout_ms;   /* 0: 3000 */
    long timeout_ms;           /* per attempt; 0: 15000 */
    size_t max_response;       /* 0: 1 MiB */
    int max_attempts;          /* per call, 401 retry not counted; 0: 4 */
    long backoff_base_ms;      /* first retry delay; 0: 250 */
    long backoff_max_ms;       /* cap of the delay; 0: 8000 */
    long retry_after_max_ms;   /* cap of a Retry-After wait; 0: 30000 */
    long token_margin_s;       /* refresh this long before expiry; 0: 300,
                                  at most a tenth of expires_in */
};

/* What PayPal answered, for logs, intents and decisions.  On an error body:
 * its name, the first details[].issue, message and debug_id (or the
 * Paypal-Debug-Id header). */
struct paypal_result {
    int http_status; /* 0 when no answer arrived */
    int attempts;    /* HTTP attempts made */
    bool timed_out;  /* the last attempt failed below HTTP */
    char name[64];
    char issue[96];
    char message[256];
    char debug_id[64];
    char *body; /* raw response body (owned; paypal_result_free) or NULL */
};

void paypal_result_free(struct paypal_result *r);

/* The issues the service tells apart in PayPal's refusals (paypal_status.c);
 * any other is PAYPAL_ISSUE_OTHER. */
enum paypal_issue {
    PAYPAL_ISSUE_OTHER,
    PAYPAL_ISSUE_AUTHORIZATION_EXPIRED,
    PAYPAL_ISSUE_AUTHORIZATION_VOIDED,
    PAYPAL_ISSUE_PREVIOUSLY_VOIDED,
    PAYPAL_ISSUE_AUTHORIZATION_ALREADY_CAPTURED,
    PAYPAL_ISSUE_ORDER_ALREADY_AUTHORIZED,
};
/* The issue r names: its first issue when known, else its error name when
 * known, else PAYPAL_ISSUE_OTHER. */
enum paypal_issue paypal_issue_of(const struct paypal_result *r);
/* Whether r names issue, as its first issue or as its error name. */
bool paypal_issue_is(const struct paypal_result *r, enum paypal_issue issue);

struct paypal_client;

/* A new client (caller owns: paypal_client_free); NULL if the options are
 * unusable (missing base URL or credentials) or memory runs out. */
struct paypal_client *paypal_client_new(const struct paypal_client_options *o);
void paypal_client_free(struct paypal_client *pc);

struct paypal_client_stats {
    unsigned long http_calls;    /* HTTP attempts, tokens included */
    unsigned long token_fetches; /* successful token requests */
    unsigned long retries;       /* attempts after a retryable failure */
};
void paypal_client_stats(const struct paypal_client *pc,
                         struct paypal_client_stats *out);
/* Fetches a token unless the client holds one that is still good, so that
 * a stream's first call does not wait for it: RMA_OK, or the token call's
 * error (a stream tries again itself). */
enum rma_err paypal_client_ready(struct paypal_client *pc);
/* Forgets the cached token (tests; after a credential change). */
void paypal_client_forget_token(struct paypal_client *pc);

/* The token cache beyond one process (the client knows no table: its
 * caller loads and stores, hold_ops.c).  An access token's bytes with the
 * NUL are at most PAYPAL_TOKEN_MAX. */
#define PAYPAL_TOKEN_MAX 2048
/* Takes token (copied) as the client's own until use_until (wall clock),
 * as if it had fetched it; a 401 on it fetches another, once, as for any
 * token.  Nothing when use_until has passed. */
void paypal_client_set_token(struct paypal_client *pc, const char *token,
                             time_t use_until);
/* The token the client fetched from PayPal itself (not one it was given),
 * copied into out (n bytes), with the time until which it may be used
 * (wall clock); false when it holds none of its own. */
bool paypal_client_fetched_token(const struct paypal_client *pc, char *out,
                                 size_t n, time_t *use_until);

/* ---- helpers without I/O ---- */

/* A PayPal money string ("12.34", "1500") for m; RMA_EINVAL for an unknown
 * currency. out has MONEY_TEXT_MAX bytes. */
enum rma_err paypal_money_value(const struct money *m, char *out);
/* Parses PayPal's {currency_code, value} strings into m: RMA_EINVAL for a
 * decimal in a currency without decimals ("1500.5" JPY), an unknown currency
 * or more decimals than the currency has. */
enum rma_err paypal_money_parse(const char *value, const char *currency,
                                struct money *m);
/* Whether id is acceptable as a PayPal-Request-Id (1..108 printable ASCII). */
bool paypal_request_id_valid(const char *id);
/* Parses ISO 8601 / RFC 3339 times as PayPal writes them: "...Z",
 * "...+00:00", "...+0000", optional fractional seconds.  RMA_EINVAL if not. */
enum rma_err paypal_parse_time(const char *s, time_t *out);
/* The delay before retry number `retry` (1 = first retry): exponential from
 * base_ms, capped at max_ms, with "equal jitter": a value in [d/2, d] chosen
 * by the 32-bit random r. */
long paypal_backoff_ms(long base_ms, long max_ms, int retry, uint32_t r);
/* The application error for an HTTP status PayPal answered (not 2xx). */
enum rma_err paypal_err_for_status(int status, const char *issue);
/* Parses a PayPal error body (either the REST shape or OAuth's
 * error/error_description) into r's name, issue, message, debug_id. */
void paypal_parse_error(const char *body, struct paypal_result *r);

/* ---- Orders v2 ---- */

struct paypal_order_params {
    struct money amount; /* minor > 0, a currency PayPal knows */
    const char *return_url;
    const char *cancel_url;
    const char *brand_name;          /* <= 127, or NULL */
    const char *shipping_preference; /* NO_SHIPPING (default) | ... */
    const char *user_action;         /* CONTINUE (default) | PAY_NOW */
    const char *locale;              /* e.g. en-US, or NULL */
    const char *reference_id;        /* <= 256, or NULL */
    const char *custom_id;           /* <= 127, or NULL */
    const char *invoice_id;          /* <= 127, or NULL */
    const char *description;         /* <= 127, or NULL */
};

/* PayPal's status words (orders, authorizations, captures, refunds). */
enum paypal_status {
    PAYPAL_STATUS_UNKNOWN, /* absent, or a word PayPal may add */
    PAYPAL_STATUS_CREATED,
    PAYPAL_STATUS_SAVED,
    PAYPAL_STATUS_APPROVED,
    PAYPAL_STATUS_PAYER_ACTION_REQUIRED,
    PAYPAL_STATUS_PENDING,
    PAYPAL_STATUS_COMPLETED,
    PAYPAL_STATUS_DENIED,
    PAYPAL_STATUS_DECLINED,
    PAYPAL_STATUS_FAILED,
    PAYPAL_STATUS_CAPTURED,
    PAYPAL_STATUS_PARTIALLY_CAPTURED,
    PAYPAL_STATUS_VOIDED,
    PAYPAL_STATUS_EXPIRED,
    PAYPAL_STATUS_REFUNDED,
    PAYPAL_STATUS_PARTIALLY_REFUNDED,
    PAYPAL_STATUS_CANCELLED,
};
enum paypal_status paypal_status_parse(const char *s);
const char *paypal_status_name(enum paypal_status s);

struct paypal_authorization {
    char id[PAYPAL_ID_MAX];
    char status[PAYPAL_STATUS_MAX]; /* CREATED, CAPTURED, VOIDED, EXPIRED.. */
    char status_reason[PAYPAL_STATUS_MAX];
    struct money amount;
    char create_time[PAYPAL_TIME_MAX];
    char update_time[PAYPAL_TIME_MAX];
    char expiration_time[PAYPAL_TIME_MAX];
    time_t created;               /* 0 if absent */
    time_t expiration;            /* 0 if absent */
    char order_id[PAYPAL_ID_MAX]; /* supplementary_data.related_ids */
};

struct paypal_order {
    char id[PAYPAL_ID_MAX];
    char status[PAYPAL_STATUS_MAX]; /* CREATED, PAYER_ACTION_REQUIRED, ... */
    char intent[16];
    char approve_url[PAYPAL_URL_MAX]; /* rel approve or payer-action */
    bool has_amount;
    struct money amount; /* purchase_units[0].amount */
    char payer_id[PAYPAL_ID_MAX];
    char payer_email[256];
    bool has_authorization; /* purchase_units[0].payments.authorizations[0] */
    struct paypal_authorization authorization;
};

enum rma_err paypal_order_create(struct paypal_client *pc,
                                 const struct paypal_order_params *p,
                                 const char *request_id,
                                 struct paypal_order *out,
                                 struct paypal_result *res);
enum rma_err paypal_order_get(struct paypal_client *pc, const char *order_id,
                              struct paypal_order *out,
                              struct paypal_result *res);
/* Authorizes an approved order (Prefer: return=representation); the hold is
 * out->authorization (RMA_EUPSTREAM if the answer lacks it). */
enum rma_err paypal_order_authorize(struct paypal_client *pc,
                                    const char *order_id,
                                    const char *request_id,
                                    struct paypal_order *out,
                                    struct paypal_result *res);

/* ---- Payments v2 ---- */

struct paypal_capture {
    char id[PAYPAL_ID_MAX];
    char status[PAYPAL_STATUS_MAX]; /* COMPLETED, PENDING, DECLINED, ... */
    char status_reason[PAYPAL_STATUS_MAX];
    struct money amount;
    bool final_capture;
    bool has_breakdown; /* seller_receivable_breakdown (absent if pending) */
    struct money gross;
    struct money fee; /* paypal_fee */
    struct money net;
    char create_time[PAYPAL_TIME_MAX];
    char authorization_id[PAYPAL_ID_MAX]; /* related_ids, or link "up" */
};

struct paypal_refund {
    char id[PAYPAL_ID_MAX];
    char status[PAYPAL_STATUS_MAX]; /* COMPLETED, PENDING, FAILED, CANCELLED */
    char status_reason[PAYPAL_STATUS_MAX];
    struct money amount;
    bool has_breakdown; /* seller_payable_breakdown */
    struct money fee;   /* paypal_fee returned to the seller, may be 0 */
    struct money net;
    struct money total_refunded;
    char create_time[PAYPAL_TIME_MAX];
    char capture_id[PAYPAL_ID_MAX]; /* link "up" */
};

/* amount NULL captures the full authorized amount. */
enum rma_err paypal_authorization_get(struct paypal_client *pc,
                                      const char *authorization_id,
                                      struct paypal_authorization *out,
                                      struct paypal_result *res);
enum rma_err paypal_capture_authorization(
    struct paypal_client *pc, const char *authorization_id,
    const struct money *amount, bool final_capture, const char *request_id,
    struct paypal_capture *out, struct paypal_result *res);
/* amount NULL reauthorizes the original amount.  out is the new one. */
enum rma_err
paypal_reauthorize(struct paypal_client *pc, const char *authorization_id,
                   const struct money *amount, const char *request_id,
                   struct paypal_authorization *out, struct paypal_result *res);
/* 204 and 200 are both success; out (may be NULL) is filled only on 200. */
enum rma_err paypal_void_authorization(struct paypal_client *pc,
                                       const char *authorization_id,
                                       const char *request_id,
                                       struct paypal_authorization *out,
                                       struct paypal_result *res);
enum rma_err paypal_capture_get(struct paypal_client *pc,
                                const char *capture_id,
                                struct paypal_capture *out,
                                struct paypal_result *res);
/* amount NULL refunds what is left of the capture. note may be NULL. */
enum rma_err
paypal_refund_capture(struct paypal_client *pc, const char *capture_id,
                      const struct money *amount, const char *note_to_payer,
                      const char *request_id, struct paypal_refund *out,
                      struct paypal_result *res);
enum rma_err paypal_refund_get(struct paypal_client *pc, const char *refund_id,
                               struct paypal_refund *out,
                               struct paypal_result *res);

/* ---- concurrent calls for the scheduled job ---- */

enum paypal_batch_kind {
    PAYPAL_BATCH_CAPTURE,     /* id: authorization; amount, final_capture */
    PAYPAL_BATCH_REAUTHORIZE, /* id: authorization; amount optional */
    PAYPAL_BATCH_VOID,        /* id: authorization */
    PAYPAL_BATCH_REFUND,      /* id: capture; amount optional */
    PAYPAL_BATCH_GET_AUTHORIZATION,
};

struct paypal_batch_item {
    /* in (borrowed until paypal_batch returns) */
    enum paypal_batch_kind kind;
    const char *id;
    const char *request_id; /* required for the mutating kinds */
    bool has_amount;
    struct money amount;
    bool final_capture;
    /* out */
    enum rma_err err;
    struct paypal_result result; /* owned by the item: paypal_result_free */
    union {
        struct paypal_capture capture;
        struct paypal_authorization authorization; /* reauth, void, get */
        struct paypal_refund refund;
    } out;
};

/* Runs the n items with at most concurrency HTTP calls in flight, each with
 * the retry policy above.  Every item gets its own err and result.  Returns
 * RMA_OK when the batch ran (not that every item succeeded). */
enum rma_err paypal_batch(struct paypal_client *pc,
                          struct paypal_batch_item *items, size_t n,
                          size_t concurrency);

/* Where paypal_stream takes its items from and gives them back.  Both
 * callbacks run in the streaming thread. */
struct paypal_feed {
    void *ctx;
    /* The next item to call (borrowed until its done), or NULL when none
     * is waiting now; *ended is set when none will ever come again. */
    struct paypal_batch_item *(*next)(void *ctx, bool *ended);
    /* The item has its err, result and out. */
    void (*done)(void *ctx, struct paypal_batch_item *it);
};

/* Calls the feed's items with at most concurrency HTTP calls in flight
 * and the retry policy above, taking the next item as soon as a call
 * ends, until the feed has ended and every item taken is done.  An idle
 * stream waits for paypal_client_wakeup.  Returns RMA_OK unless libcurl
 * failed (every item taken still gets its done). */
enum rma_err paypal_stream(struct paypal_client *pc,
                           const struct paypal_feed *feed, size_t concurrency);

/* Tells the stream running on pc (from any thread) that its feed has a
 * new item. */
void paypal_client_wakeup(struct paypal_client *pc);

/* ---- Transaction Search (GET /v1/reporting/transactions) ---- */

struct paypal_search_query {
    time_t start; /* window of at most 31 days, start < end */
    time_t end;
    const char *transaction_id; /* or NULL */
    int page;                   /* 1-based; 0: 1 */
    int page_size;              /* 1..500; 0: 100 */
};

struct paypal_transaction {
    char transaction_id[PAYPAL_ID_MAX];
    char paypal_reference_id[PAYPAL_ID_MAX];
    char event_code[8];  /* T0006 ... */
    char status[4];      /* S, P, V, D */
    struct money amount; /* signed: credits positive */
    bool has_fee;
    struct money fee; /* usually negative */
    char initiation_date[PAYPAL_TIME_MAX];
    time_t initiated; /* 0 if unparsable */
    char updated_date[PAYPAL_TIME_MAX];
    char invoice_id[128];
    char custom_field[128];
    char payer_account_id[PAYPAL_ID_MAX];
    char payer_email[256];
    char payer_name[256];
};

/* Transaction Search's transaction_status codes (paypal_status.c). */
enum paypal_transaction_status {
    PAYPAL_TRANSACTION_UNKNOWN,  /* absent, or a code PayPal may add */
    PAYPAL_TRANSACTION_SUCCESS,  /* S: completed */
    PAYPAL_TRANSACTION_PENDING,  /* P */
    PAYPAL_TRANSACTION_REVERSED, /* V */
    PAYPAL_TRANSACTION_DENIED,   /* D */
};
enum paypal_transaction_status
paypal_transaction_status_of(const struct paypal_transaction *t);
/* Whether t is a payment received: its event code is one of PayPal's
 * account-to-account payments, T00nn (T0006 a checkout payment). */
bool paypal_transaction_is_payment(const struct paypal_transaction *t);

struct paypal_search_result {
    struct paypal_transaction *items; /* owned; paypal_search_result_free */
    size_t n;
    int page;
    int total_pages;
    int total_items;
    char last_refreshed[PAYPAL_TIME_MAX];
    time_t last_refreshed_at; /* 0 if absent */
};

enum rma_err paypal_search_transactions(struct paypal_client *pc,
                                        const struct paypal_search_query *q,
                                        struct paypal_search_result *out,
                                        struct paypal_result *res);
void paypal_search_result_free(struct paypal_search_result *r);

/* ---- response parsing (exposed for the unit tests) ----
 * Each parses a JSON body as PayPal returns it.  RMA_EUPSTREAM if a required
 * field is missing or malformed. */
enum rma_err paypal_parse_order(const char *json, struct paypal_order *out);
enum rma_err paypal_parse_authorization(const char *json,
                                        struct paypal_authorization *out);
enum rma_err paypal_parse_capture(const char *json, struct paypal_capture *out);
enum rma_err paypal_parse_refund(const char *json, struct paypal_refund *out);
enum rma_err paypal_parse_search(const char *json,
                                 struct paypal_search_result *out);

/* ---- webhooks (paypal_webhook.c) ---- */

/* The five delivery headers, verbatim (borrowed). */
struct paypal_webhook_headers {
    const char *transmission_id;   /* PAYPAL-TRANSMISSION-ID */
    const char *transmission_time; /* PAYPAL-TRANSMISSION-TIME */
    const char *transmission_sig;  /* PAYPAL-TRANSMISSION-SIG (base64) */
    const char *cert_url;          /* PAYPAL-CERT-URL */
    const char *auth_algo;         /* PAYPAL-AUTH-ALGO: SHA256withRSA */
};

/* PayPal redelivers an event for up to 3 days: a transmission that old is
 * still genuine (replays are stopped by transmission and event ids). */
#define PAYPAL_WEBHOOK_MAX_AGE_S (3L * 24 * 3600 + 3600)

struct paypal_webhook_options {
    const char *webhook_id; /* paypal_webhook_id; borrowed */
    /* Origins ("https://api.paypal.com", "http://127.0.0.1:8089") a
     * certificate may be fetched from, NULL-terminated; borrowed. */
    const char *const *cert_origins;
    /* CA bundle the signing certificate must chain to
     * (paypal_webhook_ca_file); NULL: the system store. */
    const char *ca_file;
    /* The certificate's subject CN must end with this; NULL: ".paypal.com" */
    const char *cert_cn_suffix;
    long max_age_s;    /* transmission time at most this old; 0: the max */
    long max_future_s; /* and at most this far ahead; 0: 300 */
    const char *http_ca_file; /* for fetching over https; NULL: system */
    long timeout_ms;          /* fetch timeout; 0: 5000 */
};

struct paypal_webhook_verifier;

/* Caller owns (paypal_webhook_verifier_free); NULL on bad options (e.g. an
 * unreadable CA file) or out of memory. */
struct paypal_webhook_verifier *
paypal_webhook_verifier_new(const struct paypal_webhook_options *o);
void paypal_webhook_verifier_free(struct paypal_webhook_verifier *v);

/* Self-verification (NOTES §8.4): the certificate URL must be on an allowed
 * origin; the certificate (fetched once and cached) must chain to the CA,
 * be currently valid and carry the expected CN; the transmission time must
 * be within the window around now; the RSA-SHA256 signature must cover
 * "id|time|webhook_id|crc32(body)".  RMA_OK, or RMA_EUNAUTH for any failed
 * check, RMA_EINVAL for missing headers, RMA_EUPSTREAM when the certificate
 * cannot be fetched. */
enum rma_err paypal_webhook_verify(struct paypal_webhook_verifier *v,
                                   const struct paypal_webhook_headers *h,
                                   const void *body, size_t len, time_t now);
/* Puts a PEM certificate (leaf first, then intermediates) for url into the
 * cache after the same origin and chain checks; for tests and for
 * preloading.  RMA_EUNAUTH if a check fails. */
enum rma_err paypal_webhook_add_cert(struct paypal_webhook_verifier *v,
                                     const char *url, const char *pem,
                                     size_t len);
/* Unsigned CRC-32 (IEEE, as zlib) of the raw body. */
uint32_t paypal_crc32(const void *data, size_t n);

/* The postback alternative (NOTES §8.5): POST
 * /v1/notifications/verify-webhook-signature with the headers, webhook_id and
 * the parsed event.  RMA_OK on SUCCESS, RMA_EUNAUTH on FAILURE, RMA_EINVAL
 * if body is not JSON, else the call's error. */
enum rma_err
paypal_webhook_verify_postback(struct paypal_client *pc, const char *webhook_id,
                               const struct paypal_webhook_headers *h,
                               const char *body, size_t len,
                               struct paypal_result *res);

#endif
