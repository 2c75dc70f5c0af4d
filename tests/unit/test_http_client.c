/* test_http_client.c - the HTTP client's batch and stream against a small
 * local server (libmicrohttpd) whose answers take as long as their path
 * says. */
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rma/http_client.h"

static double now_ms(void);

/* When the server saw the latest request arrive (ms, now_ms's clock),
 * how many it is answering and the most it answered at once. */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static double last_arrival;
static int in_flight, most_in_flight;

/* GET /sleep/MS answers 200 after MS milliseconds. */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *data, size_t *data_size, void **state)
{
    (void)cls, (void)method, (void)version, (void)data, (void)data_size;
    if (*state == NULL) { /* the headers: answer on the next call */
        *state = c;
        pthread_mutex_lock(&seen_lock);
        last_arrival = now_ms();
        if (++in_flight > most_in_flight)
            most_in_flight = in_flight;
        pthread_mutex_unlock(&seen_lock);
        return MHD_YES;
    }
    long ms = strncmp(url, "/sleep/", 7) == 0 ? strtol(url + 7, NULL, 10) : 0;
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
    pthread_mutex_lock(&seen_lock);
    in_flight--;
    pthread_mutex_unlock(&seen_lock);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *
start_server(int *port)
{
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
        NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    cr_assert_not_null(d);
    *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    pthread_mutex_lock(&seen_lock);
    last_arrival = 0;
    in_flight = most_in_flight = 0;
    pthread_mutex_unlock(&seen_lock);
    return d;
}

static double
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* Regression: a handle freed by a finished transfer waited for another
 * transfer to stir (up to 200 ms) before it took the next request, so a
 * batch ran with fewer than `concurrency` calls in flight (the capture
 * job's calls took a quarter longer than their latency).  Two slots, one
 * slow call and five fast ones: the fast ones must run one after another
 * in the second slot while the slow one runs in the first. */
Test(http_client, a_freed_slot_takes_the_next_request_at_once)
{
    int port;
    struct MHD_Daemon *d = start_server(&port);

    enum { N = 6 };
    char urls[N][64];
    struct http_request reqs[N];
    struct http_response resps[N];
    for (int i = 0; i < N; i++) {
        snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d/sleep/%d", port,
                 i == 0 ? 900 : 40);
        reqs[i] = (struct http_request){.method = "GET", .url = urls[i]};
    }
    struct http_client_options o = {.timeout_ms = 5000};
    struct http_client *c = http_client_new(&o);
    cr_assert_not_null(c);
    double t0 = now_ms();
    cr_assert_eq(http_client_batch(c, reqs, resps, N, 2), RMA_OK);
    double took = now_ms() - t0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(resps[i].status, 200, "request %d: %ld", i,
                     resps[i].status);
        http_response_free(&resps[i]);
    }
    /* The last fast call arrived about 160 ms in (four fast ones before
     * it); before the fix, 200 ms of waiting after each: 800 ms, after the
     * slow call. */
    cr_assert_lt(last_arrival - t0, 500.0,
                 "the last request arrived %.0f ms in (the batch took %.0f ms)",
                 last_arrival - t0, took);
    http_client_free(c);
    MHD_stop_daemon(d);
}

/* A source fed from another thread: requests arrive over time. */
enum { FED = 8 };
struct fed_source {
    pthread_mutex_t lock;
    struct http_client *c;
    char urls[FED][64];
    double pushed_at[FED], done_at[FED];
    long status[FED];
    int pushed, taken, done;
    bool ended;
};

static bool
fed_next(void *ctx, struct http_request *req, void **tag, long *wait_ms,
         bool *ended)
{
    struct fed_source *f = ctx;
    (void)wait_ms;
    pthread_mutex_lock(&f->lock);
    bool got = f->taken < f->pushed;
    if (got) {
        *req = (struct http_request){.method = "GET", .url = f->urls[f->taken]};
        *tag = &f->status[f->taken++];
    } else {
        *ended = f->ended;
    }
    pthread_mutex_unlock(&f->lock);
    return got;
}

static void
fed_done(void *ctx, void *tag, struct http_response *resp)
{
    struct fed_source *f = ctx;
    long *status = tag;
    pthread_mutex_lock(&f->lock);
    *status = resp->status;
    f->done_at[status - f->status] = now_ms();
    f->done++;
    pthread_mutex_unlock(&f->lock);
    http_response_free(resp);
}

static void
push(struct fed_source *f, int n, bool last)
{
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < n; i++)
        f->pushed_at[f->pushed++] = now_ms();
    f->ended = last;
    pthread_mutex_unlock(&f->lock);
    http_client_wakeup(f->c);
}

static void *
producer(void *arg)
{
    struct fed_source *f = arg;
    struct timespec pause = {0, 300 * 1000000L};
    push(f, 5, false); /* more than the two slots: they queue */
    nanosleep(&pause, NULL);
    push(f, 1, false); /* the stream is idle: it must be woken */
    nanosleep(&pause, NULL);
    push(f, 2, true);
    return NULL;
}

/* The job's calls: a stream takes requests as they come, from another
 * thread, never more than its concurrency at once, and one that arrives
 * while the stream is idle starts at once (woken), not after the idle
 * stream's second of sleep. */
Test(http_client, a_stream_takes_requests_as_they_come)
{
    int port;
    struct MHD_Daemon *d = start_server(&port);
    struct http_client_options o = {.timeout_ms = 5000};
    struct fed_source f = {.lock = PTHREAD_MUTEX_INITIALIZER};
    f.c = http_client_new(&o);
    cr_assert_not_null(f.c);
    for (int i = 0; i < FED; i++)
        snprintf(f.urls[i], sizeof(f.urls[i]), "http://127.0.0.1:%d/sleep/50",
                 port);
    struct http_source src = {.ctx = &f, .next = fed_next, .done = fed_done};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, producer, &f), 0);
    double t0 = now_ms();
    cr_assert_eq(http_client_stream(f.c, &src, 2), RMA_OK);
    double took = now_ms() - t0;
    pthread_join(t, NULL);
    cr_assert_eq(f.done, FED);
    for (int i = 0; i < FED; i++)
        cr_assert_eq(f.status[i], 200, "request %d: %ld", i, f.status[i]);
    cr_assert_eq(most_in_flight, 2, "at most 2 in flight, saw %d",
                 most_in_flight);
    /* The sixth came to an idle stream: 50 ms of answer, not 1,000 ms of
     * sleep first. */
    double sixth = f.done_at[5] - f.pushed_at[5];
    cr_assert_lt(sixth, 400.0, "the sixth took %.0f ms", sixth);
    cr_assert_lt(took, 1500.0, "the stream took %.0f ms", took);
    http_client_free(f.c);
    MHD_stop_daemon(d);
}
