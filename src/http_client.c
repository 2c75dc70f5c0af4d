/* http_client.c - libcurl behind timeouts, TLS verification and size caps.
 *
 * The easy handle of synchronous calls is kept (and reset before each call)
 * so that connections are reused; a batch takes handles from a pool that
 * grows to the largest concurrency asked for. */
#include "rma/http_client.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct http_client {
    struct http_client_options opt;
    char *ca_file; /* owned copy */
    CURL *easy;    /* synchronous calls */
    CURLM *multi;
    CURL **pool; /* batch handles, npool of them */
    size_t npool;
};

/* One transfer in progress: what the callbacks see. */
struct transfer {
    struct http_response *resp;
    struct curl_slist *headers;
    bool too_large;
};

/* How long an idle stream sleeps before asking its source again (it is
 * woken sooner by http_client_wakeup). */
#define STREAM_IDLE_MS 1000

static bool curl_ready;

static bool
global_init(void)
{
    /* Process-wide and idempotent; the first client initialises libcurl
     * before any thread is started. */
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        curl_ready = true;
    return curl_ready;
}

struct http_client *
http_client_new(const struct http_client_options *opt)
{
    if (!global_init())
        return NULL;
    struct http_client *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->opt = *opt;
    if (c->opt.connect_timeout_ms <= 0)
        c->opt.connect_timeout_ms = HTTP_CLIENT_DEFAULT_CONNECT_MS;
    if (c->opt.timeout_ms <= 0)
        c->opt.timeout_ms = HTTP_CLIENT_DEFAULT_TIMEOUT_MS;
    if (c->opt.max_response == 0)
        c->opt.max_response = HTTP_CLIENT_DEFAULT_MAX_BODY;
    if (opt->ca_file != NULL && opt->ca_file[0] != '\0') {
        c->ca_file = strdup(opt->ca_file);
        if (c->ca_file == NULL)
            goto fail;
    }
    c->opt.ca_file = c->ca_file;
    c->easy = curl_easy_init();
    c->multi = curl_multi_init();
    if (c->easy == NULL || c->multi == NULL)
        goto fail;
    return c;
fail:
    http_client_free(c);
    return NULL;
}

void
http_client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    if (c->multi != NULL)
        curl_multi_cleanup(c->multi);
    if (c->easy != NULL)
        curl_easy_cleanup(c->easy);
    free(c->ca_file);
    free(c);
}

void
http_response_init(struct http_response *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->body, HTTP_CLIENT_DEFAULT_MAX_BODY);
    buf_init(&r->headers, HTTP_CLIENT_MAX_HEADERS);
}

void
http_response_free(struct http_response *r)
{
    buf_free(&r->body);
    buf_free(&r->headers);
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    size_t n = size * nmemb;
    if (buf_append(&t->resp->body, p, n) != RMA_OK) {
        t->too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct transfer *t = arg;
    size_t n = size * nmemb;
    /* A new status line (after 100 Continue or an interim answer) starts a
     * new header block: keep only the final response's headers. */
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        buf_reset(&t->resp->headers);
    if (buf_append(&t->resp->headers, p, n) != RMA_OK)
        return 0;
    return n;
}

static bool
url_allowed(const struct http_client *c, const char *url)
{
    if (strncasecmp(url, "https://", 8) == 0)
        return true;
    return !c->opt.https_only && strncasecmp(url, "http://", 7) == 0;
}

/* Configures h (freshly reset) for req; t receives the callbacks. */
static enum rma_err
setup(struct http_client *c, CURL *h, const struct http_request *req,
      struct transfer *t)
{
    if (req->method == NULL || req->url == NULL)
        return RMA_EINVAL;
    t->resp->body.max = c->opt.max_response;
    if (!url_allowed(c, req->url)) {
        t->resp->transport = HTTP_TRANSPORT_REFUSED;
        snprintf(t->resp->error, sizeof(t->resp->error), "scheme not allowed");
        return RMA_EUPSTREAM;
    }
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : c->opt.timeout_ms;
    bool ok = true;
#define SET(opt, val) ok = ok && curl_easy_setopt(h, opt, val) == CURLE_OK
    SET(CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->opt.connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->opt.ca_file != NULL)
        SET(CURLOPT_CAINFO, c->opt.ca_file);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opt.max_response);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_ERRORBUFFER, t->resp->error);
    SET(CURLOPT_PRIVATE, t);
    SET(CURLOPT_USERAGENT, "rma");
    if (req->basic_auth != NULL) {
        SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SET(CURLOPT_USERPWD, req->basic_auth);
    }
    if (strcmp(req->method, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(req->method, "POST") == 0) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE,
            (curl_off_t)(req->body ? req->body_len : 0));
        SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
    } else {
        SET(CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body != NULL) {
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            SET(CURLOPT_POSTFIELDS, req->body);
        }
    }
#undef SET
    if (!ok)
        return RMA_EINTERNAL;
    /* No "Expect: 100-continue" round trip for small JSON bodies. */
    struct curl_slist *l = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; l != NULL && req->headers && req->headers[i]; i++) {
        struct curl_slist *n = curl_slist_append(l, req->headers[i]);
        if (n == NULL) {
            curl_slist_free_all(l);
            l = NULL;
        } else {
            l = n;
        }
    }
    if (l == NULL)
        return RMA_EINTERNAL;
    t->headers = l;
    if (curl_easy_setopt(h, CURLOPT_HTTPHEADER, l) != CURLE_OK)
        return RMA_EINTERNAL;
    return RMA_OK;
}

static enum http_transport
classify(CURLcode rc, bool too_large)
{
    if (too_large || rc == CURLE_FILESIZE_EXCEEDED)
        return HTTP_TRANSPORT_TOO_LARGE;
    switch (rc) {
    case CURLE_OK: return HTTP_TRANSPORT_OK;
    case CURLE_OPERATION_TIMEDOUT: return HTTP_TRANSPORT_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return HTTP_TRANSPORT_CONNECT;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return HTTP_TRANSPORT_BROKEN;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER: return HTTP_TRANSPORT_TLS;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return HTTP_TRANSPORT_REFUSED;
    default: return HTTP_TRANSPORT_BROKEN;
    }
}

/* Records the outcome of h's transfer in t->resp. */
static void
finish(CURL *h, struct transfer *t, CURLcode rc)
{
    struct http_response *r = t->resp;
    r->transport = classify(rc, t->too_large);
    if (r->transport == HTTP_TRANSPORT_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        r->status = status;
    } else {
        r->status = 0;
        if (r->error[0] == '\0')
            snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
    }
    double secs = 0;
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &secs);
    r->seconds = secs;
    curl_slist_free_all(t->headers);
    t->headers = NULL;
}

enum rma_err
http_client_call(struct http_client *c, const struct http_request *req,
                 struct http_response *resp)
{
    http_response_init(resp);
    struct transfer t = {.resp = resp};
    curl_easy_reset(c->easy);
    enum rma_err err = setup(c, c->easy, req, &t);
    if (err != RMA_OK) {
        curl_slist_free_all(t.headers);
        if (resp->transport == HTTP_TRANSPORT_OK)
            resp->transport = HTTP_TRANSPORT_INTERNAL;
        return err;
    }
    CURLcode rc = curl_easy_perform(c->easy);
    finish(c->easy, &t, rc);
    /* The easy handle must not keep pointers into this call's frame. */
    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, NULL);
    return resp->transport == HTTP_TRANSPORT_OK ? RMA_OK : RMA_EUPSTREAM;
}

static enum rma_err
grow_pool(struct http_client *c, size_t n)
{
    if (c->npool >= n)
        return RMA_OK;
    CURL **p = realloc(c->pool, n * sizeof(*p));
    if (p == NULL)
        return RMA_EINTERNAL;
    c->pool = p;
    while (c->npool < n) {
        CURL *h = curl_easy_init();
        if (h == NULL)
            return RMA_EINTERNAL;
        c->pool[c->npool++] = h;
    }
    return RMA_OK;
}

/* One handle of the pool and what it is doing. */
struct slot {
    bool busy;
    void *tag;
    struct transfer t;
    struct http_response resp;
};

struct stream {
    struct http_client *c;
    const struct http_source *src;
    struct slot *slots; /* slots[s] drives c->pool[s] */
    size_t concurrency, running;
};

/* Starts the source's next request on a free slot; false when the source
 * has none now (*wait_ms and *ended then say why). */
static bool
start_next(struct stream *st, long *wait_ms, bool *ended)
{
    struct http_request req;
    void *tag = NULL;
    if (!st->src->next(st->src->ctx, &req, &tag, wait_ms, ended))
        return false;
    size_t s = 0;
    while (st->slots[s].busy)
        s++;
    struct slot *sl = &st->slots[s];
    CURL *h = st->c->pool[s];
    curl_easy_reset(h);
    http_response_init(&sl->resp);
    sl->t = (struct transfer){.resp = &sl->resp};
    if (setup(st->c, h, &req, &sl->t) != RMA_OK ||
        curl_multi_add_handle(st->c->multi, h) != CURLM_OK) {
        curl_slist_free_all(sl->t.headers);
        sl->t.headers = NULL;
        if (sl->resp.transport == HTTP_TRANSPORT_OK)
            sl->resp.transport = HTTP_TRANSPORT_INTERNAL;
        st->src->done(st->src->ctx, tag, &sl->resp);
        return true;
    }
    sl->busy = true;
    sl->tag = tag;
    st->running++;
    return true;
}

/* Hands every finished transfer to the source; returns how many. */
static size_t
reap(struct stream *st)
{
    size_t n = 0;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(st->c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *h = m->easy_handle;
        struct transfer *t = NULL;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&t);
        CURLcode rc = m->data.result;
        curl_multi_remove_handle(st->c->multi, h);
        finish(h, t, rc);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
        struct slot *sl = (struct slot *)((char *)t - offsetof(struct slot, t));
        sl->busy = false;
        st->running--;
        st->src->done(st->src->ctx, sl->tag, &sl->resp);
        n++;
    }
    return n;
}

enum rma_err
http_client_stream(struct http_client *c, const struct http_source *src,
                   size_t concurrency)
{
    struct stream st = {.c = c, .src = src};
    st.concurrency = concurrency > 0 ? concurrency : 1;
    if (grow_pool(c, st.concurrency) != RMA_OK)
        return RMA_EINTERNAL;
    st.slots = calloc(st.concurrency, sizeof(*st.slots));
    if (st.slots == NULL)
        return RMA_EINTERNAL;
    enum rma_err result = RMA_OK;
    for (;;) {
        /* Fill the free handles: a freed one takes the next request at
         * once, or its slot would stay empty until another transfer
         * stirs. */
        long wait_ms = -1;
        bool ended = false;
        while (st.running < st.concurrency && start_next(&st, &wait_ms, &ended))
            ;
        if (st.running == 0 && ended)
            break;
        if (st.running > 0) {
            int still = 0;
            if (curl_multi_perform(c->multi, &still) != CURLM_OK) {
                result = RMA_EINTERNAL;
                break;
            }
            if (reap(&st) > 0)
                continue;
        }
        /* Wait for a transfer to stir, for the source to be woken
         * (http_client_wakeup) or for a request it holds back. */
        long timeout = STREAM_IDLE_MS;
        if (wait_ms >= 0 && wait_ms < timeout)
            timeout = wait_ms;
        if (curl_multi_poll(c->multi, NULL, 0, (int)timeout, NULL) !=
            CURLM_OK) {
            result = RMA_EINTERNAL;
            break;
        }
    }
    if (result != RMA_OK) { /* what is still attached fails */
        for (size_t s = 0; s < st.concurrency; s++) {
            struct slot *sl = &st.slots[s];
            if (!sl->busy)
                continue;
            curl_multi_remove_handle(c->multi, c->pool[s]);
            curl_easy_setopt(c->pool[s], CURLOPT_ERRORBUFFER, NULL);
            curl_slist_free_all(sl->t.headers);
            sl->busy = false;
            sl->resp.transport = HTTP_TRANSPORT_INTERNAL;
            sl->resp.status = 0;
            src->done(src->ctx, sl->tag, &sl->resp);
        }
    }
    free(st.slots);
    return result;
}

void
http_client_wakeup(struct http_client *c)
{
    curl_multi_wakeup(c->multi);
}

/* http_client_batch's source: the array, in order. */
struct array_source {
    const struct http_request *reqs;
    struct http_response *resps;
    size_t n, next;
};

static bool
array_next(void *ctx, struct http_request *req, void **tag, long *wait_ms,
           bool *ended)
{
    struct array_source *a = ctx;
    (void)wait_ms;
    if (a->next == a->n) {
        *ended = true;
        return false;
    }
    *req = a->reqs[a->next];
    *tag = &a->resps[a->next++];
    return true;
}

static void
array_done(void *ctx, void *tag, struct http_response *resp)
{
    (void)ctx;
    *(struct http_response *)tag = *resp; /* moved */
}

enum rma_err
http_client_batch(struct http_client *c, const struct http_request *reqs,
                  struct http_response *resps, size_t n, size_t concurrency)
{
    struct array_source a = {.reqs = reqs, .resps = resps, .n = n};
    struct http_source src = {
        .ctx = &a, .next = array_next, .done = array_done};
    if (n == 0)
        return RMA_OK;
    enum rma_err err =
        http_client_stream(c, &src, concurrency < n ? concurrency : n);
    for (size_t i = a.next; i < n; i++) { /* never started */
        http_response_init(&resps[i]);
        resps[i].transport = HTTP_TRANSPORT_INTERNAL;
    }
    return err;
}

const char *
http_response_header(const struct http_response *r, const char *name, char *out,
                     size_t n)
{
    const char *found = NULL;
    size_t found_len = 0;
    size_t name_len = strlen(name);
    const char *p = r->headers.data;
    if (p == NULL || n == 0)
        return NULL;
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > name_len && p[name_len] == ':' &&
            strncasecmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1;
            const char *end = p + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v &&
                   (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            found = v;
            found_len = (size_t)(end - v);
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    if (found == NULL || found_len >= n)
        return NULL;
    memcpy(out, found, found_len);
    out[found_len] = '\0';
    return out;
}

long
http_response_retry_after_ms(const struct http_response *r)
{
    char v[128];
    if (http_response_header(r, "Retry-After", v, sizeof(v)) == NULL)
        return -1;
    char *end;
    long secs = strtol(v, &end, 10);
    if (end != v && *end == '\0') {
        if (secs < 0 || secs > 86400)
            return -1;
        return secs * 1000;
    }
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    time_t now = time(NULL);
    return when <= now ? 0 : (long)(when - now) * 1000;
}

bool
http_transport_retryable(enum http_transport t)
{
    return t == HTTP_TRANSPORT_TIMEOUT || t == HTTP_TRANSPORT_CONNECT ||
           t == HTTP_TRANSPORT_BROKEN;
}

const char *
http_transport_name(enum http_transport t)
{
    static const char *const names[] = {"ok",      "timeout", "connect",
                                        "broken",  "tls",     "too_large",
                                        "refused", "internal"};
    if ((size_t)t < sizeof(names) / sizeof(names[0]))
        return names[t];
    return "unknown";
}
