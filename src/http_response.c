/* http_response.c - status codes, headers and bodies: the only place that
 * turns an rma_err into an HTTP status. */
#include <fastcgi.h>
#include <fcgiapp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rma/http.h"
#include "rma/log.h"

int
http_status_for_err(enum rma_err err)
{
    switch (err) {
    case RMA_OK: return 200;
    case RMA_EINVAL: return 400;
    case RMA_EUNAUTH: return 401;
    case RMA_EFORBIDDEN: return 403;
    case RMA_ENOTFOUND: return 404;
    case RMA_EMETHOD: return 405;
    case RMA_ECONFLICT: return 409;
    case RMA_ETOOLARGE: return 413;
    case RMA_EMEDIA: return 415;
    case RMA_ERULE: return 422;
    case RMA_ERATE: return 429;
    case RMA_EUPSTREAM: return 503;
    case RMA_EDB: return 503;
    case RMA_EINTERNAL: return 500;
    }
    return 500;
}

const char *
http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}

static const char *
default_message(enum rma_err err)
{
    switch (err) {
    case RMA_EINVAL: return "malformed request";
    case RMA_EUNAUTH: return "authentication required";
    case RMA_EFORBIDDEN: return "not allowed";
    case RMA_ENOTFOUND: return "not found";
    case RMA_EMETHOD: return "method not allowed";
    case RMA_ECONFLICT: return "conflicts with the current state";
    case RMA_ETOOLARGE: return "request body too large";
    case RMA_EMEDIA: return "unsupported media type";
    case RMA_ERULE: return "request violates a rule";
    case RMA_ERATE: return "too many requests";
    case RMA_EUPSTREAM: return "payment service unavailable";
    case RMA_EDB: return "service temporarily unavailable";
    default: return "internal error";
    }
}

void
http_add_header(struct http_response *res, struct arena *a, const char *name,
                const char *value)
{
    if (res->nheaders == HTTP_MAX_HEADERS)
        return;
    res->headers[res->nheaders].name = arena_strdup(a, name);
    res->headers[res->nheaders].value = arena_strdup(a, value);
    res->nheaders++;
}

enum rma_err
http_fail(struct http_response *res, enum rma_err err, const char *code,
          const char *message, const char *field)
{
    res->error_code = code;
    res->error_message = message;
    res->error_field = field;
    return err;
}

int
http_success_status(enum http_outcome o)
{
    switch (o) {
    case OUT_CREATED: return 201;
    case OUT_ACCEPTED: return 202;
    case OUT_NO_CONTENT: return 204;
    case OUT_SEE_OTHER: return 303;
    default: return 200;
    }
}

/* The header block every response carries. */
static void
put_common(FCGX_Stream *out, const struct http_request *req,
           const struct http_response *res, int status)
{
    FCGX_FPrintF(out, "Status: %d %s\r\n", status, http_reason(status));
    if (req->request_id != NULL && req->request_id[0] != '\0')
        FCGX_FPrintF(out, "X-Request-Id: %s\r\n", req->request_id);
    for (size_t i = 0; i < res->nheaders; i++)
        FCGX_FPrintF(out, "%s: %s\r\n", res->headers[i].name,
                     res->headers[i].value);
}

static void
put_json_text(FCGX_Stream *out, const struct http_request *req,
              const char *text)
{
    FCGX_PutS("Content-Type: application/json\r\n"
              "Cache-Control: no-store\r\n\r\n",
              out);
    if (req->method == HTTP_HEAD || text == NULL)
        return;
    FCGX_PutStr(text, (int)strlen(text), out);
    FCGX_PutChar('\n', out);
}

static void
put_json(FCGX_Stream *out, const struct http_request *req, json_t *body)
{
    char *text = body != NULL && req->method != HTTP_HEAD
                     ? json_dumps(body, JSON_COMPACT)
                     : NULL;
    put_json_text(out, req, text);
    free(text);
}

static json_t *
error_body(const struct http_response *res, enum rma_err err)
{
    json_t *e = json_pack(
        "{s:s, s:s}", "code",
        res->error_code ? res->error_code : rma_err_code(err), "message",
        res->error_message ? res->error_message : default_message(err));
    if (res->error_field != NULL)
        json_object_set_new(e, "field", json_string(res->error_field));
    return json_pack("{s:o}", "error", e);
}

char *
http_render_body(const struct http_response *res, enum rma_err err)
{
    if (err != RMA_OK) {
        json_t *body = error_body(res, err);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        return text;
    }
    if (res->json_text != NULL)
        return strdup(res->json_text);
    if (res->body == NULL)
        return NULL;
    return json_dumps(res->body, JSON_COMPACT);
}

int
http_respond(const struct http_request *req, struct http_response *res,
             enum rma_err err)
{
    FCGX_Stream *out = req->fcgx->out;
    if (err == RMA_OK && res->outcome == OUT_STREAMED)
        return 200;
    if (err != RMA_OK) {
        int status = http_status_for_err(err);
        put_common(out, req, res, status);
        if (res->retry_after > 0)
            FCGX_FPrintF(out, "Retry-After: %ld\r\n", res->retry_after);
        json_t *body = error_body(res, err);
        put_json(out, req, body);
        json_decref(body);
        return status;
    }
    if (res->outcome == OUT_REPLAY) {
        int status = res->replay_status;
        put_common(out, req, res, status);
        FCGX_PutS("Idempotent-Replay: true\r\n", out);
        if (res->text_len == 0) {
            FCGX_PutS("\r\n", out);
            return status;
        }
        FCGX_PutS("Content-Type: application/json\r\n"
                  "Cache-Control: no-store\r\n\r\n",
                  out);
        if (req->method != HTTP_HEAD) {
            FCGX_PutStr(res->text_body, (int)res->text_len, out);
            FCGX_PutChar('\n', out);
        }
        return status;
    }
    int status = http_success_status(res->outcome);
    put_common(out, req, res, status);
    switch (res->outcome) {
    case OUT_NO_CONTENT: FCGX_PutS("\r\n", out); break;
    case OUT_SEE_OTHER:
        FCGX_FPrintF(out, "Location: %s\r\nCache-Control: no-store\r\n\r\n",
                     res->location);
        break;
    case OUT_TEXT:
        FCGX_FPrintF(out, "Content-Type: %s\r\nCache-Control: no-store\r\n\r\n",
                     res->content_type);
        if (req->method != HTTP_HEAD)
            FCGX_PutStr(res->text_body, (int)res->text_len, out);
        break;
    default:
        if (res->json_text != NULL)
            put_json_text(out, req, res->json_text);
        else
            put_json(out, req, res->body);
        break;
    }
    return status;
}

void
http_stream_begin(const struct http_request *req, struct http_response *res,
                  const char *content_type)
{
    FCGX_Stream *out = req->fcgx->out;
    res->outcome = OUT_STREAMED;
    put_common(out, req, res, 200);
    FCGX_FPrintF(out,
                 "Content-Type: %s\r\nCache-Control: no-store\r\n"
                 "X-Accel-Buffering: no\r\n\r\n",
                 content_type);
}

int
http_stream_write(const struct http_request *req, const char *data, size_t len)
{
    if (req->method == HTTP_HEAD || len == 0)
        return 0;
    if (len > INT_MAX)
        return -1;
    return FCGX_PutStr(data, (int)len, req->fcgx->out) == (int)len ? 0 : -1;
}

void
http_stream_abort(const struct http_request *req)
{
    /* Ending the FastCGI request early is not enough: without
     * fastcgi_keep_conn, nginx takes the end of the connection for the end
     * of the response and closes the chunked body normally.  So after what
     * libfcgi still buffers, one record that only a web server may send
     * (FCGI_ABORT_REQUEST): nginx rejects it as a protocol error and resets
     * the client's connection.  Then the socket is shut, so that
     * FCGX_Finish_r cannot send FCGI_END_REQUEST. */
    FCGX_Request *f = req->fcgx;
    FCGX_FFlush(f->out);
    const unsigned char record[FCGI_HEADER_LEN] = {
        FCGI_VERSION_1,
        FCGI_ABORT_REQUEST,
        (unsigned char)(f->requestId >> 8),
        (unsigned char)f->requestId,
    };
    if (write(f->ipcFd, record, sizeof(record)) < 0)
        log_event(LOG_DEBUG, "stream_abort_write_failed", NULL);
    shutdown(f->ipcFd, SHUT_RDWR);
}
