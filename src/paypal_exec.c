/* paypal_exec.c - the PayPal client's executor (SPEC §5.7).
 *
 * Every call is an "exchange" run by one executor, alone or in a stream of
 * calls: the executor attaches the bearer token (fetched and refreshed
 * here), sends the PayPal-Request-Id the caller gave, retries what §5.7
 * says may be retried (same request id), refreshes the token once on a
 * 401, and records what PayPal answered in a struct paypal_result. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "paypal_internal.h"
#include "rma/buf.h"
#include "rma/crypto.h"
#include "rma/log.h"
#include "rma/metrics.h"

/* ------------------------------------------------------------------ */
/* The executor */

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void
paypal_exch_free(struct exch *x)
{
    free(x->url);
    free(x->body);
    if (x->has_resp)
        http_response_free(&x->resp);
    x->url = x->body = NULL;
    x->has_resp = false;
}

/* x->url = base URL + before + id + after (id already checked). */
enum rma_err
paypal_exch_url(struct paypal_client *pc, struct exch *x, const char *before,
                const char *id, const char *after)
{
    struct buf b;
    buf_init(&b, 8192);
    enum rma_err err = buf_puts(&b, pc->base_url);
    if (err == RMA_OK)
        err = buf_puts(&b, before);
    if (err == RMA_OK && id != NULL)
        err = buf_puts(&b, id);
    if (err == RMA_OK && after != NULL)
        err = buf_puts(&b, after);
    if (err != RMA_OK) {
        buf_free(&b);
        return err;
    }
    x->url = buf_steal(&b);
    return x->url ? RMA_OK : RMA_EINTERNAL;
}

static void exch_call(struct paypal_client *pc, struct exch *x);

void
paypal_client_set_token(struct paypal_client *pc, const char *token,
                        time_t use_until)
{
    paypal_client_forget_token(pc);
    time_t left = use_until - time(NULL);
    if (token == NULL || token[0] == '\0' || left <= 0)
        return;
    pc->token = strdup(token);
    if (pc->token == NULL)
        return;
    pc->token_expires_ms = now_ms() + (int64_t)left * 1000;
    pc->token_gen++; /* a 401 on it replaces it, as any other */
}

bool
paypal_client_fetched_token(const struct paypal_client *pc, char *out, size_t n,
                            time_t *use_until)
{
    int64_t left_ms = pc->token_expires_ms - now_ms();
    if (pc->token == NULL || !pc->token_fetched || left_ms <= 0 ||
        strlen(pc->token) >= n)
        return false;
    memcpy(out, pc->token, strlen(pc->token) + 1);
    *use_until = time(NULL) + (time_t)(left_ms / 1000);
    return true;
}

/* Fetches a token when none is cached or it is about to expire. */
static enum rma_err
ensure_token(struct paypal_client *pc)
{
    if (pc->token != NULL && now_ms() < pc->token_expires_ms)
        return RMA_OK;
    paypal_client_forget_token(pc);
    struct paypal_result res = {0};
    struct exch x = {
        .op = "oauth2_token",
        .method = "POST",
        .body = strdup("grant_type=client_credentials"),
        .token_call = true,
        .res = &res,
    };
    enum rma_err err = RMA_EINTERNAL;
    if (x.body == NULL ||
        paypal_exch_url(pc, &x, "/v1/oauth2/token", NULL, NULL) != RMA_OK)
        goto done;
    exch_call(pc, &x);
    err = x.err;
    if (err != RMA_OK)
        goto done;
    json_t *j = paypal_json_load(x.resp.body.data);
    const char *tok = json_string_value(json_object_get(j, "access_token"));
    json_t *exp = json_object_get(j, "expires_in");
    if (tok == NULL || tok[0] == '\0' || !json_is_integer(exp) ||
        json_integer_value(exp) <= 0) {
        log_event(LOG_ERROR, "paypal_token_malformed", "{s:s}", "debug_id",
                  res.debug_id);
        json_decref(j);
        err = RMA_EUPSTREAM;
        goto done;
    }
    int64_t ttl = json_integer_value(exp);
    int64_t margin = pc->opt.token_margin_s;
    if (margin > ttl / 10)
        margin = ttl / 10;
    pc->token = strdup(tok);
    pc->token_expires_ms = now_ms() + (ttl - margin) * 1000;
    pc->token_gen++;
    json_decref(j);
    if (pc->token == NULL) {
        err = RMA_EINTERNAL;
        goto done;
    }
    pc->token_fetched = true;
    pc->stats.token_fetches++;
    log_event(LOG_INFO, "paypal_token", "{s:I}", "expires_in", (json_int_t)ttl);
done:
    if (x.has_resp)
        OPENSSL_cleanse(x.resp.body.data, x.resp.body.len);
    paypal_exch_free(&x);
    paypal_result_free(&res);
    return err;
}

static bool
status_retryable(long status, const char *issue)
{
    if (status == 429 || status == 408 || status >= 500)
        return true;
    return status == 409 && strcmp(issue, "PREVIOUS_REQUEST_IN_PROGRESS") == 0;
}

static void
log_failure(const struct exch *x, enum log_level level, const char *event,
            long delay_ms)
{
    const struct paypal_result *r = x->res;
    log_event(level, event, "{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:I}",
              "op", x->op, "status", r->http_status, "name", r->name, "issue",
              r->issue, "debug_id", r->debug_id, "request_id",
              x->request_id ? x->request_id : "", "transport",
              x->has_resp ? http_transport_name(x->resp.transport) : "",
              "attempt", x->attempts, "retry_in_ms", (json_int_t)delay_ms);
}

static void
schedule_retry(struct paypal_client *pc, struct exch *x, long retry_after_ms)
{
    uint32_t r = 0;
    (void)crypto_random(&r, sizeof(r));
    x->failures++;
    long delay = paypal_backoff_ms(pc->opt.backoff_base_ms,
                                   pc->opt.backoff_max_ms, x->failures, r);
    if (retry_after_ms >= 0) {
        if (retry_after_ms > pc->opt.retry_after_max_ms)
            retry_after_ms = pc->opt.retry_after_max_ms;
        if (retry_after_ms > delay)
            delay = retry_after_ms;
    }
    x->not_before_ms = now_ms() + delay;
    pc->stats.retries++;
    log_failure(x, LOG_WARN, "paypal_retry", delay);
}

/* Decides what an answer (or its absence) means for x. */
static void
judge(struct paypal_client *pc, struct exch *x)
{
    struct paypal_result *r = x->res;
    struct http_response *h = &x->resp;
    x->attempts++;
    pc->stats.http_calls++;
    free(r->body);
    r->body = NULL;
    r->attempts = x->attempts;
    r->http_status = (int)h->status;
    r->timed_out = h->transport != HTTP_TRANSPORT_OK;
    r->name[0] = r->issue[0] = r->message[0] = r->debug_id[0] = '\0';
    http_response_header(h, "Paypal-Debug-Id", r->debug_id,
                         sizeof(r->debug_id));
    bool can_retry = x->failures + 1 < pc->opt.max_attempts;
    if (h->transport != HTTP_TRANSPORT_OK) {
        paypal_copy_text(r->message, sizeof(r->message), h->error);
        if (http_transport_retryable(h->transport) && can_retry) {
            schedule_retry(pc, x, -1);
            return;
        }
        x->done = true;
        x->err = h->transport == HTTP_TRANSPORT_INTERNAL ? RMA_EINTERNAL
                                                         : RMA_EUPSTREAM;
        metrics_count_paypal(x->op, "network");
        log_failure(x, LOG_ERROR, "paypal_call_failed", 0);
        return;
    }
    if (!x->token_call && h->body.data != NULL)
        r->body = strdup(h->body.data);
    if (h->status >= 200 && h->status < 300) {
        x->done = true;
        x->err = RMA_OK;
        metrics_count_paypal(x->op, "ok");
        log_event(LOG_INFO, "paypal_call", "{s:s, s:i, s:s, s:s, s:i, s:I}",
                  "op", x->op, "status", (int)h->status, "debug_id",
                  r->debug_id, "request_id", x->request_id ? x->request_id : "",
                  "attempts", x->attempts, "ms",
                  (json_int_t)(now_ms() - x->started_ms));
        return;
    }
    paypal_parse_error(h->body.data, r);
    if (h->status == 401 && !x->token_call && !x->reauthed) {
        x->reauthed = true;
        x->want_token = true;
        log_failure(x, LOG_INFO, "paypal_token_rejected", 0);
        return;
    }
    if (status_retryable(h->status, r->issue) && can_retry) {
        schedule_retry(pc, x, http_response_retry_after_ms(h));
        return;
    }
    x->done = true;
    x->err = paypal_err_for_status((int)h->status, r->issue);
    metrics_count_paypal(x->op, h->status >= 500 || h->status == 429
                                    ? "unavailable"
                                    : "rejected");
    if (x->token_call && h->status >= 400 && h->status < 500)
        x->err = RMA_EUPSTREAM; /* our credentials: PayPal is unusable */
    log_failure(x, x->err == RMA_EUPSTREAM ? LOG_ERROR : LOG_WARN,
                "paypal_call_failed", 0);
}

/* The header lines of one attempt of x; the Authorization line is put in
 * auth (owned by the caller). */
static void
headers_for(struct paypal_client *pc, const struct exch *x, struct buf *auth,
            struct buf *rid, const char **h)
{
    size_t k = 0;
    h[k++] = x->token_call ? "Content-Type: application/x-www-form-urlencoded"
                           : "Content-Type: application/json";
    h[k++] = "Accept: application/json";
    if (!x->token_call && pc->token != NULL &&
        buf_printf(auth, "Authorization: Bearer %s", pc->token) == RMA_OK)
        h[k++] = auth->data;
    if (x->request_id != NULL &&
        buf_printf(rid, "PayPal-Request-Id: %s", x->request_id) == RMA_OK)
        h[k++] = rid->data;
    if (x->prefer_representation)
        h[k++] = "Prefer: return=representation";
    h[k] = NULL;
}

#define MAX_HEADERS 8

/* The request of x's next attempt; its header lines point into auth, rid
 * and h (MAX_HEADERS), which must outlive the call. */
static void
exch_request(struct paypal_client *pc, const struct exch *x, struct buf *auth,
             struct buf *rid, const char **h, struct http_request *req)
{
    buf_init(auth, 8192);
    buf_init(rid, 256);
    headers_for(pc, x, auth, rid, h);
    *req = (struct http_request){
        .method = x->method,
        .url = x->url,
        .headers = h,
        .body = x->body,
        .body_len = x->body ? strlen(x->body) : 0,
        .basic_auth = x->token_call ? pc->basic : NULL,
    };
}

static void
forget_request(struct buf *auth, struct buf *rid)
{
    if (auth->data != NULL)
        OPENSSL_cleanse(auth->data, auth->len);
    buf_free(auth);
    buf_free(rid);
}

/* Takes resp as x's latest answer and judges it; a rejected token is
 * replaced (unless a newer one was fetched since the attempt, token_gen). */
static void
exch_answered(struct paypal_client *pc, struct exch *x,
              struct http_response *resp, unsigned token_gen)
{
    if (x->has_resp)
        http_response_free(&x->resp);
    x->resp = *resp;
    x->has_resp = true;
    judge(pc, x);
    if (!x->want_token)
        return;
    x->want_token = false;
    if (token_gen == pc->token_gen)
        paypal_client_forget_token(pc);
    if (ensure_token(pc) != RMA_OK) {
        x->done = true;
        x->err = RMA_EUPSTREAM;
    }
}

/* Runs x to its end here: its attempts, waits and a new token if PayPal
 * rejects the one it had. */
static void
exch_call(struct paypal_client *pc, struct exch *x)
{
    x->started_ms = now_ms();
    if (x->url == NULL) {
        x->done = true;
        x->err = RMA_EINTERNAL;
        return;
    }
    if (!x->token_call && ensure_token(pc) != RMA_OK) {
        x->done = true;
        x->err = RMA_EUPSTREAM;
        return;
    }
    while (!x->done) {
        sleep_ms(x->not_before_ms - now_ms());
        struct buf auth, rid;
        const char *h[MAX_HEADERS];
        struct http_request req;
        struct http_response resp;
        exch_request(pc, x, &auth, &rid, h, &req);
        unsigned gen = pc->token_gen;
        (void)http_client_call(pc->http, &req, &resp);
        forget_request(&auth, &rid);
        exch_answered(pc, x, &resp, gen);
    }
}

/* Runs one exchange and hands its outcome to res (may be NULL). */
enum rma_err
paypal_exch_run(struct paypal_client *pc, struct exch *x,
                struct paypal_result *res)
{
    struct paypal_result local = {0};
    if (res == NULL)
        res = &local;
    else
        memset(res, 0, sizeof(*res));
    x->res = res;
    exch_call(pc, x);
    paypal_result_free(&local);
    return x->err;
}

/* For paypal_webhook.c: an authenticated JSON POST without request id. */
enum rma_err
paypal_post_json(struct paypal_client *pc, const char *op, const char *path,
                 const char *body, char **answer, struct paypal_result *res)
{
    *answer = NULL;
    struct exch x = {.op = op, .method = "POST", .body = strdup(body)};
    enum rma_err err = x.body == NULL
                           ? RMA_EINTERNAL
                           : paypal_exch_url(pc, &x, path, NULL, NULL);
    if (err == RMA_OK) {
        err = paypal_exch_run(pc, &x, res);
        if (err == RMA_OK) {
            *answer = x.resp.body.data ? strdup(x.resp.body.data) : NULL;
            if (*answer == NULL)
                err = RMA_EUPSTREAM;
        }
    }
    paypal_exch_free(&x);
    return err;
}

enum rma_err
paypal_client_ready(struct paypal_client *pc)
{
    return ensure_token(pc);
}

/* ------------------------------------------------------------------ */
/* Streams of calls */

/* One item of a stream and its exchange. */
struct call {
    struct exch x;
    struct paypal_batch_item *it;
    struct buf auth, rid; /* the attempt in flight's header lines */
    const char *h[MAX_HEADERS];
    unsigned token_gen; /* of the token the attempt in flight carries */
};

/* The items of a stream waiting to be tried again (a retry's delay). */
struct stream {
    struct paypal_client *pc;
    const struct paypal_feed *feed;
    struct call **waiting;
    size_t n_waiting, cap_waiting;
    bool no_token; /* no token could be had: the rest fail at once */
};

/* Hands the finished call's item back to the feed. */
static void
call_end(struct stream *st, struct call *cl, enum rma_err err)
{
    struct paypal_batch_item *it = cl->it;
    it->err = err;
    if (err == RMA_OK) {
        it->err = cl->x.err;
        if (it->err == RMA_OK)
            it->err = paypal_item_parse(it, &cl->x);
        if (it->err == RMA_EUPSTREAM && cl->x.err == RMA_OK)
            log_event(LOG_ERROR, "paypal_response_malformed", "{s:s, s:s}",
                      "op", cl->x.op, "debug_id", it->result.debug_id);
    }
    paypal_exch_free(&cl->x);
    free(cl);
    st->feed->done(st->feed->ctx, it);
}

/* The next call to start: a retry that is due, else the feed's next item;
 * NULL when there is none now (*wait_ms, *ended: http_source). */
static struct call *
stream_take(struct stream *st, long *wait_ms, bool *ended)
{
    int64_t now = now_ms(), wake = INT64_MAX;
    for (size_t k = 0; k < st->n_waiting; k++) {
        struct call *cl = st->waiting[k];
        if (cl->x.not_before_ms <= now) {
            st->waiting[k] = st->waiting[--st->n_waiting];
            return cl;
        }
        if (cl->x.not_before_ms < wake)
            wake = cl->x.not_before_ms;
    }
    for (;;) {
        bool feed_ended = false;
        struct paypal_batch_item *it =
            st->feed->next(st->feed->ctx, &feed_ended);
        if (it == NULL) {
            if (wake != INT64_MAX)
                *wait_ms = (long)(wake - now);
            else
                *ended = feed_ended;
            return NULL;
        }
        memset(&it->result, 0, sizeof(it->result));
        struct call *cl = calloc(1, sizeof(*cl));
        if (cl == NULL) {
            it->err = RMA_EINTERNAL;
            st->feed->done(st->feed->ctx, it);
            continue;
        }
        cl->it = it;
        enum rma_err err = paypal_item_exch(st->pc, it, &cl->x);
        cl->x.res = &it->result;
        cl->x.started_ms = now;
        if (err == RMA_OK && !st->no_token && ensure_token(st->pc) != RMA_OK)
            st->no_token = true;
        if (err == RMA_OK && st->no_token)
            err = RMA_EUPSTREAM;
        if (err != RMA_OK) {
            call_end(st, cl, err);
            continue;
        }
        return cl;
    }
}

static bool
stream_next(void *ctx, struct http_request *req, void **tag, long *wait_ms,
            bool *ended)
{
    struct stream *st = ctx;
    struct call *cl = stream_take(st, wait_ms, ended);
    if (cl == NULL)
        return false;
    exch_request(st->pc, &cl->x, &cl->auth, &cl->rid, cl->h, req);
    cl->token_gen = st->pc->token_gen;
    *tag = cl;
    return true;
}

static void
stream_done(void *ctx, void *tag, struct http_response *resp)
{
    struct stream *st = ctx;
    struct call *cl = tag;
    forget_request(&cl->auth, &cl->rid);
    exch_answered(st->pc, &cl->x, resp, cl->token_gen);
    if (cl->x.done) {
        call_end(st, cl, RMA_OK);
        return;
    }
    if (st->n_waiting == st->cap_waiting) {
        size_t cap = st->cap_waiting ? st->cap_waiting * 2 : 16;
        struct call **w = realloc(st->waiting, cap * sizeof(*w));
        if (w == NULL) {
            cl->x.err = RMA_EINTERNAL;
            call_end(st, cl, RMA_OK);
            return;
        }
        st->waiting = w;
        st->cap_waiting = cap;
    }
    st->waiting[st->n_waiting++] = cl;
}

enum rma_err
paypal_stream(struct paypal_client *pc, const struct paypal_feed *feed,
              size_t concurrency)
{
    struct stream st = {.pc = pc, .feed = feed};
    struct http_source src = {
        .ctx = &st, .next = stream_next, .done = stream_done};
    enum rma_err err = http_client_stream(pc->http, &src, concurrency);
    /* After a failure of libcurl, the retries still waiting end here. */
    for (size_t k = 0; k < st.n_waiting; k++)
        call_end(&st, st.waiting[k], RMA_EINTERNAL);
    free(st.waiting);
    return err;
}

void
paypal_client_wakeup(struct paypal_client *pc)
{
    http_client_wakeup(pc->http);
}
