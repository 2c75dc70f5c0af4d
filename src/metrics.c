/* metrics.c - request counts and latency histograms in shared memory, and
 * the Prometheus text of them and of the database's gauges. */
#include "rma/metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "rma/db_metrics.h"

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

/* Responses by status class: 1xx to 5xx. */
#define NCLASS 5

struct shared {
    size_t nroutes;
    uint64_t db_errors;
    uint64_t worker_restarts;
    uint64_t webhooks_rejected;
    uint64_t by_class[NCLASS];
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
    if (status >= 100 && status < 600)
        __atomic_fetch_add(&shm->by_class[status / 100 - 1], 1,
                           __ATOMIC_RELAXED);
}

void
metrics_count_db_error(void)
{
    if (shm != NULL)
        __atomic_fetch_add(&shm->db_errors, 1, __ATOMIC_RELAXED);
}

void
metrics_count_webhook_rejected(void)
{
    if (shm != NULL)
        __atomic_fetch_add(&shm->webhooks_rejected, 1, __ATOMIC_RELAXED);
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

/* A label value we write as it is: lower-case words (exception kinds). */
static bool
plain_label(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
            return false;
    return true;
}

/* One metric family's HELP and TYPE lines. */
static enum rma_err
family(struct buf *out, const char *name, const char *type, const char *help)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
                      type);
}

/* A family of one sample, left out when !ok (then only its HELP and TYPE
 * are written). */
static enum rma_err
count(struct buf *out, const char *name, const char *type, const char *help,
      bool ok, int64_t v)
{
    enum rma_err e = family(out, name, type, help);
    if (e == RMA_OK && ok)
        e = buf_printf(out, "%s %lld\n", name, (long long)v);
    return e;
}

static enum rma_err
seconds(struct buf *out, const char *name, const char *help, bool ok, double v)
{
    enum rma_err e = family(out, name, "gauge", help);
    if (e == RMA_OK && ok)
        e = buf_printf(out, "%s %.3f\n", name, v);
    return e;
}

/* The database's part (metrics.h).  Every family is written, also when the
 * database cannot be read: only the samples are left out then, and
 * rma_metrics_database_up says why. */
static enum rma_err
render_db(struct buf *out, const struct metrics_db *d)
{
    static const struct metrics_db none;
    bool ok = d != NULL && d->ok;
    if (d == NULL)
        d = &none;
    enum rma_err e = count(
        out, "rma_metrics_database_up", "gauge",
        "Whether this scrape could read the database's gauges.", true, ok);
    e = e
            ?: seconds(out, "rma_job_last_run_timestamp_seconds",
                       "When the last pass of rmactl run-jobs ended (Unix "
                       "time; 0: never).",
                       ok, d->job_last_run);
    e = e
            ?: seconds(out, "rma_job_last_success_timestamp_seconds",
                       "When the last pass of rmactl run-jobs that did all its "
                       "due work ended (Unix time; 0: never).",
                       ok, d->job_last_success);
    e = e
            ?: family(out, "rma_job_runs_total", "counter",
                      "Passes of rmactl run-jobs by outcome (failed: some work "
                      "stays due).");
    if (ok)
        e = e
                ?: buf_printf(out,
                              "rma_job_runs_total{outcome=\"ok\"} %lld\n"
                              "rma_job_runs_total{outcome=\"failed\"} %lld\n",
                              (long long)(d->job_runs - d->job_failed_runs),
                              (long long)d->job_failed_runs);
    e = e
            ?: count(out, "rma_mail_outbox_pending", "gauge",
                     "Messages in the outbox neither sent nor given up on.", ok,
                     d->mail_pending);
    e = e
            ?: seconds(out, "rma_mail_outbox_oldest_pending_seconds",
                       "Age of the oldest of those (0 when there is none).", ok,
                       d->mail_oldest_s);
    e = e
            ?: count(out, "rma_mail_outbox_failed", "gauge",
                     "Messages given up on after their retries.", ok,
                     d->mail_failed);
    e = e
            ?: count(out, "rma_paypal_capture_failures_total", "counter",
                     "Captures PayPal refused (declined, or the authorization "
                     "expired).",
                     ok, d->captures_failed);
    e = e
            ?: count(
                   out, "rma_paypal_intents_open", "gauge",
                   "PayPal operations recorded without a definite answer yet.",
                   ok, d->intents_open);
    e = e
            ?: seconds(out, "rma_paypal_intents_oldest_open_seconds",
                       "Age of the oldest of those (0 when there is none).", ok,
                       d->intents_oldest_s);
    e = e
            ?: family(out, "rma_exceptions_open", "gauge",
                      "Open finance exceptions by kind.");
    for (size_t k = 0; ok && k < d->nkinds && e == RMA_OK; k++)
        if (plain_label(d->kind[k]))
            e = buf_printf(out, "rma_exceptions_open{kind=\"%s\"} %lld\n",
                           d->kind[k], (long long)d->kind_open[k]);
    e = e
            ?: count(out, "rma_exceptions_open_past_day", "gauge",
                     "Finance exceptions open for more than a day.", ok,
                     d->exceptions_past_day);
    return e;
}

enum rma_err
metrics_render(struct buf *out, const char *const *route_names,
               const char *const *route_methods, const struct metrics_db *db)
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
    e = e
            ?: family(out, "rma_http_responses_total", "counter",
                      "Responses by status class (1xx to 5xx).");
    for (int c = 0; c < NCLASS && e == RMA_OK; c++)
        e = buf_printf(out, "rma_http_responses_total{class=\"%dxx\"} %llu\n",
                       c + 1, (unsigned long long)load(&shm->by_class[c]));
    e = e
            ?: family(out, "rma_webhook_verification_failures_total", "counter",
                      "PayPal webhooks refused because their signature could "
                      "not be verified.");
    e = e
            ?: buf_printf(out, "rma_webhook_verification_failures_total %llu\n",
                          (unsigned long long)load(&shm->webhooks_rejected));
    return e ?: render_db(out, db);
}
