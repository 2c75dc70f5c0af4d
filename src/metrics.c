/* metrics.c - request counts and latency histograms in shared memory. */
#include "rma/metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static const int statuses[] = {200, 201, 202, 204, 303, 400, 401, 403, 404,
                               405, 409, 413, 415, 422, 429, 500, 502, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + other */

static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
#define NBUCKET (sizeof(bounds) / sizeof(bounds[0]) + 1) /* + +Inf */

static const char *const paypal_ops[] = {"oauth2_token",
                                         "orders_create",
                                         "orders_get",
                                         "orders_authorize",
                                         "authorizations_get",
                                         "authorizations_capture",
                                         "authorizations_reauthorize",
                                         "authorizations_void",
                                         "captures_get",
                                         "captures_refund",
                                         "refunds_get",
                                         "transactions_search",
                                         "verify_webhook_signature",
                                         "other"};
#define NOPS (sizeof(paypal_ops) / sizeof(paypal_ops[0]))
static const char *const paypal_outcomes[] = {"ok", "rejected", "unavailable",
                                              "network"};
#define NOUTCOMES (sizeof(paypal_outcomes) / sizeof(paypal_outcomes[0]))

struct series {
    uint64_t bucket[NBUCKET]; /* non-cumulative here, cumulated on render */
    uint64_t sum_us;
};

struct shared {
    size_t nroutes;
    uint64_t db_errors;
    uint64_t worker_restarts;
    uint64_t paypal[NOPS][NOUTCOMES];
    struct series s[]; /* (nroutes + 1) * NSTATUS */
};

static struct shared *shm;

enum rma_err
metrics_init(size_t nroutes)
{
    size_t size =
        sizeof(struct shared) + (nroutes + 1) * NSTATUS * sizeof(struct series);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return RMA_EINTERNAL;
    shm = p;
    shm->nroutes = nroutes;
    return RMA_OK;
}

static size_t
status_index(int status)
{
    for (size_t i = 0; i < NSTATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return NSTATUS - 1;
}

void
metrics_observe(int route, int status, double seconds)
{
    if (shm == NULL)
        return;
    size_t r = route < 0 ? shm->nroutes : (size_t)route;
    struct series *s = &shm->s[r * NSTATUS + status_index(status)];
    size_t b = 0;
    while (b < NBUCKET - 1 && seconds > bounds[b])
        b++;
    __atomic_fetch_add(&s->bucket[b], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->sum_us, (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
}

void
metrics_count_db_error(void)
{
    if (shm != NULL)
        __atomic_fetch_add(&shm->db_errors, 1, __ATOMIC_RELAXED);
}

void
metrics_count_paypal(const char *op, const char *outcome)
{
    if (shm == NULL || op == NULL || outcome == NULL)
        return;
    size_t o = 0, k = 0;
    while (o < NOPS - 1 && strcmp(paypal_ops[o], op) != 0)
        o++;
    while (k < NOUTCOMES && strcmp(paypal_outcomes[k], outcome) != 0)
        k++;
    if (k < NOUTCOMES)
        __atomic_fetch_add(&shm->paypal[o][k], 1, __ATOMIC_RELAXED);
}

void
metrics_count_worker_restart(void)
{
    if (shm != NULL)
        __atomic_fetch_add(&shm->worker_restarts, 1, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

enum rma_err
metrics_render(struct buf *out, const char *const *route_names,
               const char *const *route_methods)
{
    if (shm == NULL)
        return RMA_EINTERNAL;
    enum rma_err e = buf_puts(
        out, "# HELP rma_http_requests_total Requests answered, by route and "
             "status.\n# TYPE rma_http_requests_total counter\n");
    for (size_t r = 0; r <= shm->nroutes && e == RMA_OK; r++) {
        for (size_t si = 0; si < NSTATUS; si++) {
            const struct series *s = &shm->s[r * NSTATUS + si];
            uint64_t n = 0;
            for (size_t b = 0; b < NBUCKET; b++)
                n += load(&s->bucket[b]);
            if (n == 0)
                continue;
            const char *route = r < shm->nroutes ? route_names[r] : "unmatched";
            const char *method = r < shm->nroutes ? route_methods[r] : "";
            char status[8];
            if (si < NSTATUS - 1)
                snprintf(status, sizeof(status), "%d", statuses[si]);
            else
                snprintf(status, sizeof(status), "other");
            e = buf_printf(out,
                           "rma_http_requests_total{method=\"%s\",route=\"%s\","
                           "status=\"%s\"} %llu\n",
                           method, route, status, (unsigned long long)n);
        }
    }
    e = e
            ?: buf_puts(out, "# HELP rma_http_request_duration_seconds Request "
                             "latency, by route and status.\n# TYPE "
                             "rma_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= shm->nroutes && e == RMA_OK; r++) {
        for (size_t si = 0; si < NSTATUS && e == RMA_OK; si++) {
            const struct series *s = &shm->s[r * NSTATUS + si];
            uint64_t total = 0;
            for (size_t b = 0; b < NBUCKET; b++)
                total += load(&s->bucket[b]);
            if (total == 0)
                continue;
            const char *route = r < shm->nroutes ? route_names[r] : "unmatched";
            const char *method = r < shm->nroutes ? route_methods[r] : "";
            char status[8];
            if (si < NSTATUS - 1)
                snprintf(status, sizeof(status), "%d", statuses[si]);
            else
                snprintf(status, sizeof(status), "other");
            char labels[512];
            snprintf(labels, sizeof(labels),
                     "method=\"%s\",route=\"%s\",status=\"%s\"", method, route,
                     status);
            uint64_t cum = 0;
            for (size_t b = 0; b < NBUCKET && e == RMA_OK; b++) {
                cum += load(&s->bucket[b]);
                if (b < NBUCKET - 1)
                    e = buf_printf(out,
                                   "rma_http_request_duration_seconds_bucket{"
                                   "%s,le=\"%g\"} %llu\n",
                                   labels, bounds[b], (unsigned long long)cum);
                else
                    e = buf_printf(out,
                                   "rma_http_request_duration_seconds_bucket{"
                                   "%s,le=\"+Inf\"} %llu\n",
                                   labels, (unsigned long long)cum);
            }
            e = e
                    ?: buf_printf(
                           out,
                           "rma_http_request_duration_seconds_sum{%s} "
                           "%.6f\nrma_http_request_duration_seconds_count{"
                           "%s} %llu\n",
                           labels, (double)load(&s->sum_us) / 1e6, labels,
                           (unsigned long long)total);
        }
    }
    e = e
            ?: buf_printf(out,
                          "# HELP rma_db_errors_total Failed database "
                          "connections and statements.\n# TYPE "
                          "rma_db_errors_total counter\nrma_db_errors_total "
                          "%llu\n# HELP rma_worker_restarts_total Workers "
                          "replaced after dying.\n# TYPE "
                          "rma_worker_restarts_total counter\n"
                          "rma_worker_restarts_total %llu\n",
                          (unsigned long long)load(&shm->db_errors),
                          (unsigned long long)load(&shm->worker_restarts));
    e = e
            ?: buf_printf(out, "# HELP rma_paypal_calls_total PayPal calls by "
                               "operation and final outcome (after retries).\n"
                               "# TYPE rma_paypal_calls_total counter\n");
    for (size_t o = 0; o < NOPS && e == RMA_OK; o++)
        for (size_t k = 0; k < NOUTCOMES && e == RMA_OK; k++)
            e = buf_printf(out,
                           "rma_paypal_calls_total{operation=\"%s\","
                           "outcome=\"%s\"} %llu\n",
                           paypal_ops[o], paypal_outcomes[k],
                           (unsigned long long)load(&shm->paypal[o][k]));
    return e;
}
