/* sim_http.c - paypal-sim's HTTP layer: routing, faults, idempotency;
 * the answers' bodies (PayPal's errors included) are sim_reply.c. */
#include "sim/sim_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rma/buf.h"
#include "rma/log.h"
#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"

enum route_flags {
    R_API = 1 << 0,           /* PayPal's API: faults, latency, --record */
    R_AUTH = 1 << 1,          /* needs a bearer token */
    R_IDEM_ORDERS = 1 << 2,   /* PayPal-Request-Id kept 6 h, replay is 200 */
    R_IDEM_PAYMENTS = 1 << 3, /* PayPal-Request-Id kept 45 days */
    R_MOCK = 1 << 4,          /* honours PayPal-Mock-Response */
    R_MUTATES = 1 << 5,       /* writes the --state snapshot afterwards */
    R_NOLOCK = 1 << 6,        /* the handler takes the lock itself */
};

struct route {
    const char *method;
    const char *pattern; /* '*' matches one path segment (rq->id) */
    sim_handler *handler;
    unsigned flags;
};

#define PAYPAL_GET (R_API | R_AUTH | R_MOCK)
#define ORDERS_POST (R_API | R_AUTH | R_MOCK | R_IDEM_ORDERS | R_MUTATES)
#define PAYMENTS_POST (R_API | R_AUTH | R_MOCK | R_IDEM_PAYMENTS | R_MUTATES)

static const struct route routes[] = {
    {"POST", "/v1/oauth2/token", sim_oauth_token, R_API},
    {"POST", "/v2/checkout/orders", sim_orders_create, ORDERS_POST},
    {"GET", "/v2/checkout/orders/*", sim_orders_get, PAYPAL_GET},
    {"POST", "/v2/checkout/orders/*/authorize", sim_orders_authorize,
     ORDERS_POST},
    {"GET", "/v2/payments/authorizations/*", sim_authorizations_get,
     PAYPAL_GET},
    {"POST", "/v2/payments/authorizations/*/capture",
     sim_authorizations_capture, PAYMENTS_POST},
    {"POST", "/v2/payments/authorizations/*/reauthorize",
     sim_authorizations_reauthorize, PAYMENTS_POST},
    {"POST", "/v2/payments/authorizations/*/void", sim_authorizations_void,
     PAYMENTS_POST},
    {"GET", "/v2/payments/captures/*", sim_captures_get, PAYPAL_GET},
    {"POST", "/v2/payments/captures/*/refund", sim_captures_refund,
     PAYMENTS_POST},
    {"GET", "/v2/payments/refunds/*", sim_refunds_get, PAYPAL_GET},
    {"GET", "/v1/reporting/transactions", sim_search_transactions, PAYPAL_GET},
    {"POST", "/v1/notifications/verify-webhook-signature", sim_webhooks_verify,
     R_API | R_AUTH},
    {"GET", "/v1/notifications/certs/*", sim_webhooks_cert, 0},
    {"GET", "/checkoutnow", sim_checkout_page, 0},
    {"POST", "/checkoutnow/approve", sim_checkout_approve, R_MUTATES},
    {"POST", "/checkoutnow/cancel", sim_checkout_cancel, 0},
    {"GET", "/sim/clock", sim_control_clock_get, 0},
    {"POST", "/sim/clock", sim_control_clock_set, R_MUTATES},
    {"POST", "/sim/latency", sim_control_latency, 0},
    {"POST", "/sim/faults", sim_control_faults_set, 0},
    {"DELETE", "/sim/faults", sim_control_faults_clear, 0},
    {"POST", "/sim/mock-responses", sim_control_mocks_set, 0},
    {"GET", "/sim/outcomes", sim_control_outcomes_list, 0},
    {"POST", "/sim/outcomes", sim_control_outcomes_set, 0},
    {"DELETE", "/sim/outcomes", sim_control_outcomes_clear, 0},
    {"POST", "/sim/outcomes/settle", sim_control_outcomes_settle, R_MUTATES},
    {"POST", "/sim/config", sim_control_config, R_MUTATES},
    {"POST", "/sim/payments", sim_control_payments, R_MUTATES},
    {"POST", "/sim/orders/*/approve", sim_control_order_approve, R_MUTATES},
    {"GET", "/sim/state", sim_control_state, 0},
    {"POST", "/sim/reset", sim_control_reset, R_MUTATES},
    {"DELETE", "/sim/tokens", sim_control_tokens_revoke, 0},
    {"POST", "/sim/webhooks/flush", sim_control_webhooks_flush, R_NOLOCK},
};

struct conn_ctx {
    struct buf body;
    bool too_large;
};

/* Matches path against pattern, copying the '*' segment into id. */
static bool
route_match(const char *pattern, const char *path, char *id, size_t n)
{
    while (*pattern != '\0') {
        if (*pattern == '*') {
            size_t len = strcspn(path, "/");
            if (len == 0 || len >= n)
                return false;
            memcpy(id, path, len);
            id[len] = '\0';
            path += len;
            pattern++;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    return *path == '\0';
}

static const struct route *
route_find(const char *method, const char *path, char *id, size_t n,
           bool *wrong_method)
{
    *wrong_method = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!route_match(routes[i].pattern, path, id, n))
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
        *wrong_method = true;
    }
    return NULL;
}

static enum MHD_Result
collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
              const char *value)
{
    json_object_set_new((json_t *)cls, key, json_string(value ? value : ""));
    return MHD_YES;
}

/* Picks the fault for this call, if any (lock held). */
static bool
fault_pick(struct sim *s, const char *path, char *kind, size_t n)
{
    for (int i = 0; i < s->n_faults; i++) {
        struct sim_fault *f = &s->faults[i];
        if (f->path_prefix[0] != '\0' &&
            strncmp(path, f->path_prefix, strlen(f->path_prefix)) != 0)
            continue;
        bool fire = false;
        if (f->next > 0) {
            f->next--;
            fire = true;
            if (f->next == 0) {
                memmove(f, f + 1, (size_t)(s->n_faults - i - 1) * sizeof(*f));
                s->n_faults--;
            }
        } else if (f->rate > 0) {
            fire = sim_random_unit() < f->rate;
        }
        if (fire) {
            snprintf(kind, n, "%s", f->kind);
            return true;
        }
    }
    return false;
}

/* Sleeps ms milliseconds, or until shutdown. */
static void
sim_sleep_ms(struct sim *s, int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&s->nap_lock);
    while (!s->napping_stops) {
        if (pthread_cond_timedwait(&s->nap_end, &s->nap_lock, &until) ==
            ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&s->nap_lock);
}

/* The HTTP status for a negative-testing issue (NOTES §7). */
static int
mock_status(const char *issue)
{
    static const char *const bad_request[] = {
        "INVALID_PARAMETER_VALUE",  "MISSING_REQUIRED_PARAMETER",
        "INVALID_STRING_LENGTH",    "INVALID_STRING_MAX_LENGTH",
        "INVALID_PARAMETER_SYNTAX", "INVALID_ARRAY_MAX_ITEMS",
        "INVALID_ARRAY_MIN_ITEMS",  "PAYPAL_REQUEST_ID_REQUIRED",
        "MALFORMED_REQUEST_JSON",   "INVALID_REQUEST"};
    for (size_t i = 0; i < sizeof(bad_request) / sizeof(bad_request[0]); i++)
        if (strcmp(issue, bad_request[i]) == 0)
            return 400;
    if (strcmp(issue, "PERMISSION_DENIED") == 0 ||
        strcmp(issue, "NOT_AUTHORIZED") == 0)
        return 403;
    if (strcmp(issue, "INVALID_RESOURCE_ID") == 0 ||
        strcmp(issue, "RESOURCE_NOT_FOUND") == 0)
        return 404;
    if (strcmp(issue, "PREVIOUS_REQUEST_IN_PROGRESS") == 0 ||
        strcmp(issue, "RESOURCE_CONFLICT") == 0)
        return 409;
    if (strcmp(issue, "RATE_LIMIT_REACHED") == 0)
        return 429;
    if (strcmp(issue, "INTERNAL_SERVER_ERROR") == 0 ||
        strcmp(issue, "INTERNAL_SERVICE_ERROR") == 0)
        return 500;
    if (strcmp(issue, "SERVICE_UNAVAILABLE") == 0)
        return 503;
    if (strcmp(issue, "AUTHENTICATION_FAILURE") == 0 ||
        strcmp(issue, "INVALID_ACCOUNT_STATUS") == 0)
        return 401;
    return 422;
}

/* Answers the PayPal-Mock-Response error, if the header asks for one. */
static bool
mock_response(struct sim_request *rq, struct sim_response *rs)
{
    const char *header = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                     "PayPal-Mock-Response");
    char armed[160];
    if (header == NULL && strcmp(rq->method, "POST") == 0) {
        /* Armed by /sim/mock-responses: as if the client had asked. */
        size_t plen = strlen(rq->path);
        for (int i = 0; header == NULL && i < g_sim->n_mocks; i++) {
            struct sim_mock *m = &g_sim->mocks[i];
            size_t slen = strlen(m->path_suffix);
            if (m->next > 0 && plen >= slen &&
                strcmp(rq->path + plen - slen, m->path_suffix) == 0) {
                m->next--;
                snprintf(armed, sizeof(armed),
                         "{\"mock_application_codes\":\"%s\"}", m->issue);
                header = armed;
            }
        }
    }
    if (header == NULL)
        return false;
    json_t *mock = json_loads(header, 0, NULL);
    const char *issue = sim_jstr(mock, "mock_application_codes");
    if (issue == NULL || *issue == '\0') {
        json_decref(mock);
        return false;
    }
    int status = mock_status(issue);
    if (status >= 500)
        sim_reply_error(rs, status, NULL, NULL, NULL, NULL, NULL);
    else
        sim_reply_error(rs, status, issue, "Simulated by PayPal-Mock-Response.",
                        NULL, NULL, NULL);
    json_decref(mock);
    return true;
}

static void
fault_reply(struct sim_response *rs, const char *kind)
{
    if (strcmp(kind, "503") == 0) {
        sim_reply_error(rs, 503, NULL, NULL, NULL, NULL, NULL);
    } else if (strcmp(kind, "429") == 0) {
        sim_reply_error(rs, 429, "RATE_LIMIT_REACHED",
                        "Too many requests. Blocked due to rate limiting.",
                        NULL, NULL, NULL);
        sim_reply_header(rs, "Retry-After", "1");
    } else {
        sim_reply_error(rs, 500, NULL, NULL, NULL, NULL, NULL);
    }
}

static bool
is_secret_header(const char *name)
{
    return strcasecmp(name, "Authorization") == 0;
}

/* Appends the exchange to --record as one JSON line. */
static void
record_exchange(struct sim *s, const struct sim_request *rq,
                const struct sim_response *rs)
{
    if (s->record == NULL)
        return;
    json_t *req_headers = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(rq->headers, key, value)
    {
        json_object_set_new(req_headers, key,
                            is_secret_header(key) ? json_string("<redacted>")
                                                  : json_incref(value));
    }
    json_t *resp_headers =
        rs->headers != NULL ? json_deep_copy(rs->headers) : json_object();
    json_object_set_new(resp_headers, "Paypal-Debug-Id",
                        json_string(rs->debug_id));
    if (rs->content_type != NULL)
        json_object_set_new(resp_headers, "Content-Type",
                            json_string(rs->content_type));
    json_t *req_body = rq->json != NULL   ? json_incref(rq->json)
                       : rq->body_len > 0 ? json_string(rq->body)
                                          : json_null();
    json_t *resp_body = rs->json != NULL   ? json_incref(rs->json)
                        : rs->text != NULL ? json_string(rs->text)
                                           : json_null();
    json_t *line = json_pack(
        "{s:s, s:s, s:O, s:o, s:o, s:i, s:o, s:o}", "method", rq->method,
        "path", rq->path, "query", rq->query, "request_headers", req_headers,
        "request_body", req_body, "status", rs->drop ? 0 : rs->status,
        "response_headers", resp_headers, "response_body", resp_body);
    char *text = json_dumps(line, JSON_COMPACT);
    if (text != NULL) {
        pthread_mutex_lock(&s->record_lock);
        fprintf(s->record, "%s\n", text);
        fflush(s->record);
        pthread_mutex_unlock(&s->record_lock);
        free(text);
    }
    json_decref(line);
}

static enum MHD_Result
send_response(struct MHD_Connection *conn, struct sim_response *rs)
{
    if (rs->drop)
        return MHD_NO;
    char *data = NULL;
    size_t len = 0;
    if (rs->json != NULL) {
        data = json_dumps(rs->json, JSON_COMPACT);
        len = data != NULL ? strlen(data) : 0;
    } else if (rs->text != NULL) {
        data = strdup(rs->text);
        len = strlen(data);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, data ? data : (char *)"", MHD_RESPMEM_MUST_COPY);
    free(data);
    if (resp == NULL)
        return MHD_NO;
    if (rs->content_type != NULL && len > 0)
        MHD_add_response_header(resp, "Content-Type", rs->content_type);
    MHD_add_response_header(resp, "Paypal-Debug-Id", rs->debug_id);
    const char *key;
    json_t *value;
    json_object_foreach(rs->headers, key, value)
    {
        MHD_add_response_header(resp, key, json_string_value(value));
    }
    enum MHD_Result ret =
        MHD_queue_response(conn, (unsigned int)rs->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Runs one complete request. */
static enum MHD_Result
dispatch(struct MHD_Connection *conn, struct conn_ctx *cx, const char *url,
         const char *method)
{
    struct sim *s = g_sim;
    struct sim_request rq;
    struct sim_response rs;
    memset(&rq, 0, sizeof(rq));
    memset(&rs, 0, sizeof(rs));
    sim_random_hex(rs.debug_id, 13);
    rs.payments_api = strncmp(url, "/v2/payments/", 13) == 0;
    rq.conn = conn;
    rq.method = method;
    rq.path = url;
    rq.body = cx->body.data != NULL ? cx->body.data : "";
    rq.body_len = cx->body.len;
    if (rq.body_len > 0)
        rq.json = json_loadb(rq.body, rq.body_len, 0, NULL);
    rq.query = json_object();
    rq.headers = json_object();
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_value,
                              rq.query);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_value, rq.headers);
    rq.request_id =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "PayPal-Request-Id");
    const char *prefer =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer");
    rq.representation =
        prefer != NULL && strstr(prefer, "return=representation") != NULL;

    bool wrong_method = false;
    const struct route *r =
        route_find(method, url, rq.id, sizeof(rq.id), &wrong_method);
    unsigned flags = r != NULL ? r->flags : 0;
    bool slept = false;
    char fault[20] = "";
    char idem_key[512] = "";
    const char *idem_kind = NULL;

    if (cx->too_large) {
        sim_reply_error(&rs, 400, "INVALID_STRING_LENGTH",
                        "The request body is too large.", NULL, NULL, "body");
        goto send;
    }
    if (r == NULL) {
        if (strncmp(url, "/sim/", 5) == 0)
            sim_reply_sim_error(&rs, wrong_method ? 405 : 404,
                                wrong_method ? "method not allowed"
                                             : "not found");
        else if (wrong_method)
            sim_reply_error(&rs, 405, NULL, NULL, NULL, NULL, NULL);
        else
            sim_reply_error(&rs, 404, NULL, NULL, NULL, NULL, NULL);
        if (wrong_method) {
            rs.status = 405;
            json_object_set_new(rs.json, "name",
                                json_string("METHOD_NOT_SUPPORTED"));
            json_object_set_new(
                rs.json, "message",
                json_string("The server does not implement the requested "
                            "HTTP method."));
        }
        goto send;
    }
    if (flags & R_API) {
        pthread_mutex_lock(&s->lock);
        bool fired = fault_pick(s, url, fault, sizeof(fault));
        pthread_mutex_unlock(&s->lock);
        if (fired) {
            log_event(LOG_INFO, "sim_fault", "{s:s, s:s}", "kind", fault,
                      "path", url);
            if (strcmp(fault, "timeout") == 0) {
                sim_sleep_ms(s, 60000);
                rs.drop = true;
                goto send;
            }
            if (strcmp(fault, "drop") == 0) {
                rs.drop = true;
                goto send;
            }
            if (strcmp(fault, "500_after_effect") != 0) {
                fault_reply(&rs, fault);
                goto send;
            }
        }
    }
    if (flags & R_NOLOCK) {
        r->handler(&rq, &rs);
        goto send;
    }
    if (flags & (R_IDEM_ORDERS | R_IDEM_PAYMENTS) && rq.request_id != NULL) {
        idem_kind = (flags & R_IDEM_ORDERS) ? "orders" : "payments";
        snprintf(idem_key, sizeof(idem_key), "%s|%s", url, rq.request_id);
    }

    pthread_mutex_lock(&s->lock);
    sim_state_sweep(s);
    if ((flags & R_AUTH) && !sim_oauth_check(&rq, &rs)) {
        pthread_mutex_unlock(&s->lock);
        goto send;
    }
    if ((flags & R_MOCK) && mock_response(&rq, &rs)) {
        pthread_mutex_unlock(&s->lock);
        goto send;
    }
    if (idem_kind != NULL) {
        json_t *entry = sim_idem_get(s, idem_key, idem_kind);
        if (entry != NULL && sim_jbool(entry, "in_progress")) {
            sim_reply_error(&rs, 409, "PREVIOUS_REQUEST_IN_PROGRESS",
                            "A previous request on this resource is "
                            "currently in progress. Please wait for "
                            "sometime and try again.",
                            NULL, NULL, NULL);
            pthread_mutex_unlock(&s->lock);
            goto send;
        }
        if (entry != NULL) {
            int status = (int)sim_jint(entry, "status");
            if (strcmp(idem_kind, "orders") == 0 && status == 201)
                status = 200;
            json_t *body = json_object_get(entry, "body");
            if (json_is_null(body) || body == NULL)
                rs.status = status;
            else
                sim_reply_json(&rs, status, json_deep_copy(body));
            pthread_mutex_unlock(&s->lock);
            goto send;
        }
        sim_idem_begin(s, idem_key, idem_kind);
    }
    int64_t latency = s->latency_ms;
    pthread_mutex_unlock(&s->lock);
    if (flags & R_API) {
        sim_sleep_ms(s, latency);
        slept = true;
    }

    pthread_mutex_lock(&s->lock);
    sim_state_sweep(s);
    r->handler(&rq, &rs);
    bool success = rs.status >= 200 && rs.status < 300;
    if (idem_kind != NULL)
        sim_idem_finish(s, idem_key, success ? rs.status : 0, rs.json);
    if (success && (flags & (R_IDEM_ORDERS | R_IDEM_PAYMENTS)))
        sim_count_execution(s, rq.request_id);
    if (flags & R_MUTATES)
        sim_state_save(s);
    pthread_mutex_unlock(&s->lock);
    if (strcmp(fault, "500_after_effect") == 0) {
        json_decref(rs.json);
        rs.json = NULL;
        json_decref(rs.headers);
        rs.headers = NULL;
        fault_reply(&rs, "500");
    }

send:
    if ((flags & R_API) && !slept && !rs.drop) {
        pthread_mutex_lock(&s->lock);
        int64_t ms = s->latency_ms;
        pthread_mutex_unlock(&s->lock);
        sim_sleep_ms(s, ms);
    }
    if (rs.status == 0)
        rs.status = 500;
    if (flags & R_API)
        record_exchange(s, &rq, &rs);
    if (strncmp(url, "/sim/", 5) != 0)
        log_event(LOG_INFO, "sim_request", "{s:s, s:s, s:i, s:s}", "method",
                  method, "path", url, "status", rs.drop ? 0 : rs.status,
                  "debug_id", rs.debug_id);
    enum MHD_Result ret = send_response(conn, &rs);
    json_decref(rq.json);
    json_decref(rq.query);
    json_decref(rq.headers);
    json_decref(rs.json);
    json_decref(rs.headers);
    free(rs.text);
    return ret;
}

enum MHD_Result
sim_http_handler(void *cls, struct MHD_Connection *conn, const char *url,
                 const char *method, const char *version,
                 const char *upload_data, size_t *upload_data_size,
                 void **con_cls)
{
    struct conn_ctx *cx = *con_cls;
    if (cx == NULL) {
        cx = calloc(1, sizeof(*cx));
        if (cx == NULL)
            return MHD_NO;
        buf_init(&cx->body, SIM_BODY_MAX);
        *con_cls = cx;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!cx->too_large &&
            buf_append(&cx->body, upload_data, *upload_data_size) != RMA_OK)
            cx->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(conn, cx, url, method);
}

void
sim_http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
    struct conn_ctx *cx = *con_cls;
    if (cx == NULL)
        return;
    buf_free(&cx->body);
    free(cx);
    *con_cls = NULL;
}
