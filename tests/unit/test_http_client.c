/* test_http_client.c - the HTTP client's batch against a small local
 * server (libmicrohttpd) whose answers take as long as their path says. */
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

/* When the server saw the latest request arrive (ms, now_ms's clock). */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static double last_arrival;

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
        pthread_mutex_unlock(&seen_lock);
        return MHD_YES;
    }
    long ms = strncmp(url, "/sleep/", 7) == 0 ? strtol(url + 7, NULL, 10) : 0;
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
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
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
        NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    cr_assert_not_null(d);
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info->port;

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
