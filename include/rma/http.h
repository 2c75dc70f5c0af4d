/* http.h - one FastCGI request turned into a validated request, routed, and
 * answered.  Only the http layer picks HTTP status codes.
 *
 * Request memory lives in the request's arena and is freed after the answer;
 * FCGX parameters are borrowed until FCGX_Finish_r and copied when kept. */
#ifndef RMA_HTTP_H
#define RMA_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rma/arena.h"
#include "rma/err.h"

struct FCGX_Request;
struct api_ctx;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 8
#define HTTP_MAX_QUERY 4096
#define HTTP_MAX_PATH 2048
#define HTTP_MAX_HEADER_VALUE 8192

enum http_method {
    HTTP_GET = 1 << 0,
    HTTP_HEAD = 1 << 1,
    HTTP_POST = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_PATCH = 1 << 4,
    HTTP_DELETE = 1 << 5,
};

struct http_request {
    enum http_method method;
    const char *method_name;
    const char *path;  /* decoded, normalized by nginx ($document_uri) */
    const char *query; /* raw, may be "" */
    const char *request_id;
    const char *remote_addr;
    const char *content_type;
    long content_length;                 /* -1 when absent */
    const char *params[HTTP_MAX_PARAMS]; /* path parameters, in order */
    size_t nparams;
    char *body; /* NUL-terminated, arena; NULL when not read */
    size_t body_len;
    struct FCGX_Request *fcgx; /* borrowed */
    struct arena *arena;       /* borrowed */
};

/* What a handler produces; the http layer turns it into status + headers. */
enum http_outcome {
    OUT_OK,         /* 200 with body */
    OUT_CREATED,    /* 201 with body */
    OUT_ACCEPTED,   /* 202 with body */
    OUT_NO_CONTENT, /* 204 */
    OUT_SEE_OTHER,  /* 303 to location */
    OUT_TEXT,       /* 200 with text_body of content_type */
    OUT_STREAMED,   /* the handler wrote everything itself */
    OUT_REPLAY,     /* replay_status with the JSON text_body (idempotency) */
};

struct http_header {
    const char *name;
    const char *value;
};

struct http_response {
    enum http_outcome outcome;
    json_t *body; /* new reference, owned by the response */
    /* When set, the answer's JSON object as text (arena), sent as it is
     * instead of body: a document PostgreSQL built need not be parsed and
     * printed again (api_json_merge_text). */
    const char *json_text;
    const char *location;  /* for OUT_SEE_OTHER */
    const char *text_body; /* for OUT_TEXT; arena */
    size_t text_len;
    const char *content_type;
    struct http_header headers[HTTP_MAX_HEADERS]; /* extra; arena */
    size_t nheaders;
    /* When the handler fails: */
    const char *error_code;    /* snake_case, static; default from err */
    const char *error_message; /* short, for the client; static or arena */
    const char *error_field;   /* the offending input field, or NULL */
    long retry_after;          /* seconds, for 429 and 503; 0 = none */
    int replay_status;         /* for OUT_REPLAY */
};

/* The status for a successful outcome or an error. */
int http_status_for_err(enum rma_err err);
const char *http_reason(int status);

/* A request header as libfcgi passes it (HTTP_X_REQUESTED_WITH ...), or NULL.
 * Borrowed until the request ends. */
const char *http_header(const struct http_request *req, const char *cgi_name);

/* Reads the body into req (at most max bytes; never trusts CONTENT_LENGTH
 * alone).  RMA_ETOOLARGE past max. */
enum rma_err http_read_body(struct http_request *req, size_t max);

/* For BODY_STREAM routes (uploads): reads the next body bytes into
 * data[0..n) (n < INT_MAX).  Returns the count, fewer than n only at the
 * end of the body, 0 at its end, -1 when the stream broke before its end.
 * The handler bounds the total. */
long http_body_read(struct http_request *req, void *data, size_t n);
/* Reads and discards what is left of the body (at most HTTP_DRAIN_MAX
 * bytes), so that nginx, still sending it, sees the answer rather than a
 * closed connection.  Called for every request before it is answered. */
#define HTTP_DRAIN_MAX (64L * 1024 * 1024)
void http_body_drain(struct http_request *req);

/* The value of name in the query string, percent-decoded into the arena, or
 * NULL.  RMA_EINVAL (via *err) for bad encoding. */
const char *http_query_param(const struct http_request *req, const char *name,
                             enum rma_err *err);

/* Adds a response header (copied into the arena). */
void http_add_header(struct http_response *res, struct arena *a,
                     const char *name, const char *value);

/* Sets res's error fields and returns err, for `return http_fail(...)`. */
enum rma_err http_fail(struct http_response *res, enum rma_err err,
                       const char *code, const char *message,
                       const char *field);

/* The status of a successful outcome. */
int http_success_status(enum http_outcome o);
/* The JSON text that http_respond would send for err (the error envelope)
 * or the success body; caller frees.  NULL when there is no body. */
char *http_render_body(const struct http_response *res, enum rma_err err);

/* Writes the response for outcome or error err with the request id header.
 * Returns the status sent. */
int http_respond(const struct http_request *req, struct http_response *res,
                 enum rma_err err);

/* Streaming, for bodies too large to hold (the finance exports): a 200 whose
 * body the handler writes in pieces as it produces them, without
 * Content-Length, with X-Accel-Buffering: no so that nginx passes each piece
 * on instead of collecting the whole body.
 *
 * http_stream_begin sends the status line and headers (res's extra headers
 * included) and sets res->outcome to OUT_STREAMED.  http_stream_write sends
 * body bytes (none for HEAD): 0, or -1 when the client has gone.
 * http_stream_abort ends a stream that cannot be finished: the connection is
 * cut without the end of the response, so that the client sees a failed
 * transfer rather than a complete-looking short file. */
void http_stream_begin(const struct http_request *req,
                       struct http_response *res, const char *content_type);
int http_stream_write(const struct http_request *req, const char *data,
                      size_t len);
void http_stream_abort(const struct http_request *req);

#endif
