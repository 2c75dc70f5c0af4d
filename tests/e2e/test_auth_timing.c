/* test_auth_timing.c - through nginx: POST /api/v1/auth/code costs the same
 * for an address that has RMA solutions and one that has none (SPEC §12:
 * no account enumeration, by the answer or by its time).
 *
 * 40 known and 40 unknown addresses, asked for in pairs (which kind goes
 * first alternates) on one kept-alive connection after a warm-up; the
 * median of the pairs' differences must be under 0.3 ms (the medians of
 * each kind are printed too).  A round that misses is repeated (the
 * machine is shared), three rounds at most; each round runs in a
 * 15-minute window of its own (X-Rma-Test-Now), out of the other tests'
 * rate limits.  Alone in its binary so that no test of ours runs beside
 * it.
 *
 * Built a second time with AUTH_TIMING_STAFF (tests/console.mk): the
 * console's POST /api/v1/staff/auth/code, for people added with rmactl
 * staff add and unknown addresses (SPEC §15: "like customers"). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define PER_KIND 40
#define WARM_UP 10
#define ROUNDS 3
#define MAX_DIFF_MS 0.3
#define GAP_US 5000
#ifdef AUTH_TIMING_STAFF
#define CODE_PATH "/api/v1/staff/auth/code"
#define CSRF_HEADER "X-Requested-With: rma-console"
#else
#define CODE_PATH "/api/v1/auth/code"
#define CSRF_HEADER "X-Requested-With: rma-portal"
#endif
/* 2092-01-01T00:00:00Z: far from every other test's clock. */
#define WINDOWS_FROM ((time_t)3849984000)

static size_t
discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

/* One POST /auth/code for email on c at now; its duration in ms. */
static double
ask(CURL *c, const char *email, const char *now)
{
    char body[256], when[64];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    snprintf(when, sizeof(when), "X-Rma-Test-Now: %s", now);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, CSRF_HEADER);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, when);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CURLcode rc = curl_easy_perform(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    curl_slist_free_all(h);
    cr_assert_eq(rc, CURLE_OK, "%s", curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    cr_assert_eq(status, 202, "%s -> %ld", email, status);
    return (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static int
by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Test(auth_timing, code_request_takes_as_long_for_unknown_as_known_address,
     .timeout = 600)
{
    char *agent = harness_staff_token("agent", harness_unique_email("timing"));
    char *known[PER_KIND], *unknown[PER_KIND];
    for (int i = 0; i < PER_KIND; i++) {
        known[i] = harness_unique_email("timing-known");
        unknown[i] = harness_unique_email("timing-unknown");
#ifdef AUTH_TIMING_STAFF
        free(harness_runf(false,
                          "rmactl staff add --email '%s' --name Timing "
                          "--role agent 2>&1",
                          known[i]));
#else
        free(harness_create_case(agent, known[i], "replacement", false));
#endif
    }
    char url[512];
    snprintf(url, sizeof(url), "%s" CODE_PATH,
             harness_env("RMA_TEST_BASE_URL"));
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);

    double diff = 0, mk = 0, mu = 0;
    int round;
    for (round = 0; round < ROUNDS; round++) {
        /* A 15-minute window of its own, for this process and round. */
        char now[32];
        harness_iso(WINDOWS_FROM + (time_t)(getpid() % 5000) * 3600 +
                        round * 1200,
                    now);
        for (int i = 0; i < WARM_UP; i++)
            ask(c, i % 2 ? known[i] : unknown[i], now);
        double tk[PER_KIND], tu[PER_KIND], pair[PER_KIND];
        for (int i = 0; i < PER_KIND; i++) {
            /* Alternate which kind goes first; between two requests the
             * worker that answered has time to deliver (or drop) its
             * message, as it does between requests of different clients. */
            if (i % 2) {
                tk[i] = ask(c, known[i], now);
                usleep(GAP_US);
                tu[i] = ask(c, unknown[i], now);
            } else {
                tu[i] = ask(c, unknown[i], now);
                usleep(GAP_US);
                tk[i] = ask(c, known[i], now);
            }
            usleep(GAP_US);
            pair[i] = tk[i] - tu[i];
        }
        /* The median of the pairs' differences: each pair ran at nearly
         * the same moment, so the load of a shared machine cancels out. */
        double d = median(pair, PER_KIND);
        diff = d < 0 ? -d : d;
        mk = median(tk, PER_KIND);
        mu = median(tu, PER_KIND);
        fprintf(stderr,
                "auth_timing round %d: median known %.3f ms, unknown %.3f ms; "
                "median of the pairs' differences %+.3f ms\n",
                round + 1, mk, mu, d);
        if (diff < MAX_DIFF_MS)
            break;
    }
    cr_expect_lt(diff, MAX_DIFF_MS,
                 "median known %.3f ms, unknown %.3f ms, of the pairs' "
                 "differences %.3f ms, after %d rounds",
                 mk, mu, diff, round);
    curl_easy_cleanup(c);
    for (int i = 0; i < PER_KIND; i++) {
        free(known[i]);
        free(unknown[i]);
    }
    free(agent);
}
