/* sim_http.h - paypal-sim's HTTP layer: requests, responses, PayPal errors.
 *
 * libmicrohttpd calls sim_http_handler on its own thread per connection;
 * the handler reads the body (with a limit), picks the route, applies
 * faults, latency, bearer checks, negative testing and idempotency, runs the
 * route's handler under the state lock, records the exchange and answers. */
#ifndef RMA_SIM_HTTP_H
#define RMA_SIM_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#define SIM_BODY_MAX (1024 * 1024)

struct sim_request {
    const char *method; /* borrowed from MHD */
    const char *path;   /* borrowed from MHD, without the query */
    const char *body;   /* NUL-terminated, may be "" */
    size_t body_len;
    json_t *json;           /* the parsed body, NULL if none or not JSON */
    json_t *query;          /* decoded query arguments: name -> string */
    json_t *headers;        /* request headers: name -> string */
    char id[128];           /* the {id} path segment, if the route has one */
    const char *request_id; /* PayPal-Request-Id or NULL */
    bool representation;    /* Prefer: return=representation */
    char client_id[128];    /* from the bearer token */
    struct MHD_Connection *conn;
};

struct sim_response {
    int status;
    json_t *json;             /* owned; the body when JSON */
    char *text;               /* owned; the body otherwise */
    const char *content_type; /* static */
    json_t *headers;          /* owned; extra headers name -> string */
    bool drop;                /* close the connection without answering */
    bool payments_api;        /* issue texts from Payments v2, else Orders */
    char debug_id[16];
};

/* Sets a JSON body (steals body) and status. */
void sim_reply_json(struct sim_response *rs, int status, json_t *body);
/* Sets a text body (copied). */
void sim_reply_text(struct sim_response *rs, int status, const char *type,
                    const char *text);
void sim_reply_header(struct sim_response *rs, const char *name,
                      const char *value);

/* A PayPal error body {name, message, debug_id, details[], links} with the
 * name and message for status; issue may be NULL (no details).  field,
 * value, location may be NULL. */
void sim_reply_error(struct sim_response *rs, int status, const char *issue,
                     const char *description, const char *field,
                     const char *value, const char *location);
/* 404 RESOURCE_NOT_FOUND / INVALID_RESOURCE_ID for the path id. */
void sim_reply_not_found(struct sim_response *rs, const char *id);
/* A control endpoint's 400 {"error": msg}. */
void sim_reply_sim_error(struct sim_response *rs, int status, const char *msg);

/* The libmicrohttpd access handler and completion callback. */
enum MHD_Result sim_http_handler(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls);
void sim_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe);

#endif
