/* sim_client.c - see sim_client.h. */
#include "sim_client.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rma/http_client.h"

#ifndef SIM_BINARY
#define SIM_BINARY "paypal-sim"
#endif

static char private_url[96];
static pid_t private_pid;

const char *
sim_url(void)
{
    if (private_url[0] != '\0')
        return private_url;
    const char *u = getenv("RMA_TEST_SIM_URL");
    cr_assert(u != NULL && u[0] != '\0', "RMA_TEST_SIM_URL is not set");
    return u;
}

static int
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void
sim_private_start(void)
{
    int port = free_port();
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", 1);
        if (null >= 0 && getenv("RMA_TEST_SIM_LOG") == NULL)
            dup2(null, 2);
        /* The conformance run records private simulators too. */
        const char *rec = getenv("RMA_TEST_SIM_RECORD");
        if (rec != NULL && rec[0] != '\0')
            execl(SIM_BINARY, "paypal-sim", "--listen", listen, "--record", rec,
                  (char *)NULL);
        else
            execl(SIM_BINARY, "paypal-sim", "--listen", listen, (char *)NULL);
        _exit(127);
    }
    private_pid = pid;
    snprintf(private_url, sizeof(private_url), "http://%s", listen);
    /* Wait until it answers. */
    for (int i = 0; i < 100; i++) {
        struct http_client_options o = {.timeout_ms = 500};
        struct http_client *c = http_client_new(&o);
        char url[128];
        snprintf(url, sizeof(url), "%s/sim/clock", private_url);
        struct http_request rq = {.method = "GET", .url = url};
        struct http_response rs;
        enum rma_err err = http_client_call(c, &rq, &rs);
        long status = rs.status;
        http_response_free(&rs);
        http_client_free(c);
        if (err == RMA_OK && status == 200)
            return;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    cr_assert_fail("private paypal-sim did not start (%s)", SIM_BINARY);
}

void
sim_private_stop(void)
{
    if (private_pid > 0) {
        kill(private_pid, SIGTERM);
        for (int i = 0; i < 60; i++) {
            if (waitpid(private_pid, NULL, WNOHANG) == private_pid) {
                private_pid = 0;
                break;
            }
            struct timespec ts = {0, 50 * 1000000};
            nanosleep(&ts, NULL);
        }
        if (private_pid > 0) {
            kill(private_pid, SIGKILL);
            waitpid(private_pid, NULL, 0);
        }
    }
    private_pid = 0;
    private_url[0] = '\0';
}

json_t *
sim_call(const char *method, const char *path, const char *body)
{
    struct http_client_options o = {.timeout_ms = 10000,
                                    .max_response = 64 * 1024 * 1024};
    struct http_client *c = http_client_new(&o);
    char url[512];
    snprintf(url, sizeof(url), "%s%s", sim_url(), path);
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    struct http_request rq = {.method = method,
                              .url = url,
                              .headers = hdrs,
                              .body = body,
                              .body_len = body ? strlen(body) : 0};
    struct http_response rs;
    enum rma_err err = http_client_call(c, &rq, &rs);
    cr_assert_eq(err, RMA_OK, "%s %s: %s", method, path, rs.error);
    cr_assert(rs.status >= 200 && rs.status < 300, "%s %s: %ld %s", method,
              path, rs.status, rs.body.data ? rs.body.data : "");
    json_t *j = rs.body.data ? json_loads(rs.body.data, 0, NULL) : NULL;
    http_response_free(&rs);
    http_client_free(c);
    return j ? j : json_object();
}

json_t *
sim_callf(const char *method, const char *path, const char *fmt, ...)
{
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    return sim_call(method, path, body);
}

void
sim_advance(long seconds)
{
    json_decref(
        sim_callf("POST", "/sim/clock", "{\"advance_seconds\": %ld}", seconds));
}

void
sim_approve(const char *order_id)
{
    char path[256];
    snprintf(path, sizeof(path), "/sim/orders/%s/approve", order_id);
    json_decref(sim_call("POST", path, "{}"));
}

void
sim_outcome(const char *operation, const char *status, int next)
{
    json_decref(sim_callf("POST", "/sim/outcomes",
                          "{\"operation\": \"%s\", \"status\": \"%s\", "
                          "\"next\": %d}",
                          operation, status, next));
}

json_t *
sim_settle(const char *id, const char *status)
{
    return sim_callf("POST", "/sim/outcomes/settle",
                     "{\"id\": \"%s\", \"status\": \"%s\"}", id, status);
}

int
sim_captures_of(const char *auth_id)
{
    json_t *st = sim_call("GET", "/sim/state", NULL);
    json_t *caps = json_object_get(st, "captures");
    const char *k;
    json_t *v;
    int n = 0;
    json_object_foreach(caps, k, v)
    {
        const char *a =
            json_string_value(json_object_get(v, "authorization_id"));
        if (a != NULL && strcmp(a, auth_id) == 0)
            n++;
    }
    json_decref(st);
    return n;
}

struct paypal_client *
sim_paypal(long timeout_ms)
{
    struct paypal_client_options o = {
        .base_url = sim_url(),
        .client_id = "rma-demo-client",
        .client_secret = "sim-secret",
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = 1000,
        .backoff_base_ms = 50,
        .backoff_max_ms = 400,
    };
    struct paypal_client *pc = paypal_client_new(&o);
    cr_assert_not_null(pc);
    return pc;
}

const char *
sim_request_id(const char *what)
{
    static char id[128];
    static int n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(id, sizeof(id), "test-%s-%d-%ld-%d", what, (int)getpid(),
             (long)ts.tv_nsec, ++n);
    return id;
}

void
sim_authorized_order(struct paypal_client *pc, const char *value,
                     const char *currency, struct paypal_order *out)
{
    struct paypal_order_params p = {.return_url = "http://127.0.0.1/return",
                                    .cancel_url = "http://127.0.0.1/cancel",
                                    .brand_name = "RMA Test"};
    cr_assert_eq(paypal_money_parse(value, currency, &p.amount), RMA_OK);
    struct paypal_order created;
    struct paypal_result res;
    enum rma_err err =
        paypal_order_create(pc, &p, sim_request_id("order"), &created, &res);
    cr_assert_eq(err, RMA_OK, "create: %d %s %s", res.http_status, res.name,
                 res.issue);
    paypal_result_free(&res);
    sim_approve(created.id);
    char rid[128];
    snprintf(rid, sizeof(rid), "%s", sim_request_id("authorize"));
    err = paypal_order_authorize(pc, created.id, rid, out, &res);
    cr_assert_eq(err, RMA_OK, "authorize: %d %s %s", res.http_status, res.name,
                 res.issue);
    paypal_result_free(&res);
}
