/* http_client.h - outgoing HTTP(S) through libcurl, the only place that
 * links it (besides the SMTP sender).
 *
 * Every call has a connect timeout and a total timeout, TLS verification is
 * always on (an optional CA file replaces the system store), redirects are
 * never followed, and a response body larger than its maximum is refused.
 * One synchronous call, and a batch of N calls of which at most C are in
 * flight at once (the libcurl multi interface), for the scheduled job. */
#ifndef RMA_HTTP_CLIENT_H
#define RMA_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "rma/buf.h"
#include "rma/err.h"

#define HTTP_CLIENT_DEFAULT_CONNECT_MS 3000
#define HTTP_CLIENT_DEFAULT_TIMEOUT_MS 15000
#define HTTP_CLIENT_DEFAULT_MAX_BODY (1024 * 1024)
#define HTTP_CLIENT_MAX_HEADERS (64 * 1024)

struct http_client_options {
    long connect_timeout_ms; /* 0: HTTP_CLIENT_DEFAULT_CONNECT_MS */
    long timeout_ms;         /* whole call; 0: HTTP_CLIENT_DEFAULT_TIMEOUT_MS */
    size_t max_response;     /* body bytes; 0: HTTP_CLIENT_DEFAULT_MAX_BODY */
    const char *ca_file;     /* PEM bundle, or NULL for the system store */
    bool https_only;         /* refuse plain http:// URLs */
};

/* What happened below HTTP.  Only HTTP_TRANSPORT_OK carries a status. */
enum http_transport {
    HTTP_TRANSPORT_OK = 0,
    HTTP_TRANSPORT_TIMEOUT,   /* connect or total timeout */
    HTTP_TRANSPORT_CONNECT,   /* refused, unreachable, name not resolved */
    HTTP_TRANSPORT_BROKEN,    /* dropped, reset, empty reply */
    HTTP_TRANSPORT_TLS,       /* handshake or certificate failure */
    HTTP_TRANSPORT_TOO_LARGE, /* body over max_response */
    HTTP_TRANSPORT_REFUSED,   /* a URL this client will not call */
    HTTP_TRANSPORT_INTERNAL,  /* out of memory, libcurl misuse */
};

struct http_request {
    const char *method; /* "GET", "POST", ...; borrowed */
    const char *url;    /* borrowed */
    /* "Name: value" lines, NULL-terminated, or NULL; borrowed */
    const char *const *headers;
    const char *body; /* borrowed; NULL for none */
    size_t body_len;
    /* "user:password" for HTTP Basic, or NULL; borrowed, never logged */
    const char *basic_auth;
    long timeout_ms; /* 0: the client's */
};

struct http_response {
    enum http_transport transport;
    long status;        /* 0 unless transport is OK */
    struct buf body;    /* owned; NUL-terminated */
    struct buf headers; /* owned; the last response's raw header block */
    char error[256];    /* libcurl's message when transport is not OK */
    double seconds;     /* total time */
};

struct http_client;

/* A new client (caller owns; http_client_free).  NULL when out of memory or
 * libcurl cannot be initialised. */
struct http_client *http_client_new(const struct http_client_options *opt);
void http_client_free(struct http_client *c);

/* Initialises resp (always; free it with http_response_free) and runs req.
 * RMA_OK when a status line arrived (any status); RMA_EUPSTREAM when the
 * transport failed (see resp->transport); RMA_EINVAL for a bad request. */
enum rma_err http_client_call(struct http_client *c,
                              const struct http_request *req,
                              struct http_response *resp);

/* Runs n requests with at most concurrency in flight; resps[i] answers
 * reqs[i] (each initialised; free each with http_response_free).  Returns
 * RMA_OK when the batch ran (each response says how its request fared). */
enum rma_err http_client_batch(struct http_client *c,
                               const struct http_request *reqs,
                               struct http_response *resps, size_t n,
                               size_t concurrency);

/* Where http_client_stream takes its requests from and gives the answers
 * to.  Both callbacks run in the streaming thread. */
struct http_source {
    void *ctx;
    /* Fills *req (its strings borrowed until done) and *tag for the next
     * request and returns true; or returns false, with *wait_ms set to how
     * long until one is due when the source holds one back (left alone
     * otherwise) and *ended set when no request will ever come again. */
    bool (*next)(void *ctx, struct http_request *req, void **tag, long *wait_ms,
                 bool *ended);
    /* The answer to the request tagged tag: *resp is the callee's now. */
    void (*done)(void *ctx, void *tag, struct http_response *resp);
};

/* Runs the source's requests with at most concurrency in flight, taking
 * the next one as soon as a handle is free, until the source has ended
 * and nothing is in flight.  Every request taken gets its done.  An idle
 * stream waits for http_client_wakeup (or asks again after a second).
 * RMA_EINTERNAL when libcurl failed (the requests in flight then end with
 * HTTP_TRANSPORT_INTERNAL). */
enum rma_err http_client_stream(struct http_client *c,
                                const struct http_source *src,
                                size_t concurrency);

/* Wakes the stream running on c (from any thread): its source has a new
 * request. */
void http_client_wakeup(struct http_client *c);

void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);

/* The value of the last header called name (case-insensitive) in r, trimmed,
 * into out (n bytes).  Returns out, or NULL if absent or too long. */
const char *http_response_header(const struct http_response *r,
                                 const char *name, char *out, size_t n);

/* Retry-After as milliseconds (delta-seconds or an HTTP date against now),
 * or -1 when absent or unparsable. */
long http_response_retry_after_ms(const struct http_response *r);

/* Whether a transport failure may succeed when tried again. */
bool http_transport_retryable(enum http_transport t);
const char *http_transport_name(enum http_transport t);

#endif
