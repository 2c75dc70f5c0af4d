/* test_webhook.c - PayPal webhooks through nginx (SPEC §7, §12): events the
 * simulator signs are accepted once; replays, forgeries, foreign
 * certificates and stale events change nothing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "rma/paypal.h"

static char *
run(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    char *out;
    harness_run(cmd, &out);
    return out;
}

/* A PayPal API call to the simulator as the service's client. */
static json_t *
paypal(const char *path, const char *body, const char *request_id)
{
    char *tok = run("curl -sS -u rma-demo-client:sim-secret -d "
                    "grant_type=client_credentials '%s/v1/oauth2/token'",
                    harness_env("RMA_TEST_SIM_URL"));
    json_t *t = json_loads(tok, 0, NULL);
    free(tok);
    char *out = run("curl -sS -X POST -H 'Authorization: Bearer %s' -H "
                    "'Content-Type: application/json' -H 'Prefer: "
                    "return=representation' -H 'PayPal-Request-Id: %s' "
                    "--data '%s' '%s%s'",
                    json_string_value(json_object_get(t, "access_token")),
                    request_id, body, harness_env("RMA_TEST_SIM_URL"), path);
    json_decref(t);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s: %s", path, out);
    free(out);
    return j;
}

/* The simulator to ourselves, without the faults or latency another
 * test binary may have left (its webhooks' GETs must be answered). */
static void
webhook_lock(void)
{
    harness_sim_lock();
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    harness_sim_ok("POST", "/sim/latency", "{\"ms\":0}");
}

/* GET an order from the simulator as the service's client. */
static json_t *
paypal_get_order(const char *order)
{
    char *tok = run("curl -sS -u rma-demo-client:sim-secret -d "
                    "grant_type=client_credentials '%s/v1/oauth2/token'",
                    harness_env("RMA_TEST_SIM_URL"));
    json_t *t = json_loads(tok, 0, NULL);
    free(tok);
    char *out = run("curl -sS -H 'Authorization: Bearer %s' "
                    "'%s/v2/checkout/orders/%s'",
                    json_string_value(json_object_get(t, "access_token")),
                    harness_env("RMA_TEST_SIM_URL"), order);
    json_decref(t);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    free(out);
    return j;
}

/* Makes the simulator emit events: an order approved and authorized. */
static char *
make_events(const char *tag)
{
    char rid[64];
    snprintf(rid, sizeof(rid), "wh-%s-%d-o", tag, (int)getpid());
    json_t *o = paypal("/v2/checkout/orders",
                       "{\"intent\":\"AUTHORIZE\",\"purchase_units\":[{"
                       "\"amount\":{\"currency_code\":\"USD\",\"value\":"
                       "\"10.00\"}}]}",
                       rid);
    char *order = strdup(json_string_value(json_object_get(o, "id")));
    json_decref(o);
    char path[128];
    snprintf(path, sizeof(path), "/sim/orders/%s/approve", order);
    json_decref(harness_sim("POST", path, "{}"));
    snprintf(rid, sizeof(rid), "wh-%s-%d-a", tag, (int)getpid());
    snprintf(path, sizeof(path), "/v2/checkout/orders/%s/authorize", order);
    json_decref(paypal(path, "{}", rid));
    return order;
}

/* The newest delivery record of an event whose body mentions needle. */
static json_t *
delivery(const char *needle)
{
    json_decref(harness_sim("POST", "/sim/webhooks/flush", "{}"));
    json_t *state = harness_sim("GET", "/sim/state", NULL);
    json_t *found = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(state, "webhooks"), i, e)
    {
        const char *body = json_string_value(json_object_get(e, "body"));
        if (body != NULL && strstr(body, needle) != NULL)
            found = e;
    }
    if (found != NULL)
        json_incref(found);
    json_decref(state);
    cr_assert_not_null(found, "no event mentions %s", needle);
    return found;
}

/* Posts body with the delivery's headers (one replaced when name is set)
 * to the service; returns the HTTP status. */
static long
post(json_t *rec, const char *body, const char *name, const char *value)
{
    char file[] = "/tmp/rma-webhook-XXXXXX";
    int fd = mkstemp(file);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    close(fd);
    char headers[4096] = "";
    size_t off = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(rec, "last_headers"), k, v)
    {
        if (strncmp(k, "PAYPAL-", 7) != 0)
            continue;
        const char *val =
            name != NULL && strcmp(k, name) == 0 ? value : json_string_value(v);
        off += (size_t)snprintf(headers + off, sizeof(headers) - off,
                                " -H '%s: %s'", k, val);
    }
    char *out = run("curl -sS -o /dev/null -w '%%{http_code}' -X POST -H "
                    "'Content-Type: application/json'%s --data-binary @%s "
                    "'%s/api/v1/paypal/webhooks'",
                    headers, file, harness_env("RMA_TEST_BASE_URL"));
    unlink(file);
    long status = strtol(out, NULL, 10);
    free(out);
    return status;
}

static long
rows_for(const char *event_id)
{
    char *out = run("%s '%s' -XAtq -c \"SELECT count(*) FROM "
                    "paypal_webhook_event WHERE event_id = '%s'\"",
                    harness_env("RMA_TEST_PSQL"),
                    harness_env("RMA_TEST_ADMIN_URL"), event_id);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

Test(webhook, a_signed_event_is_taken_once_and_replays_change_nothing)
{
    webhook_lock();
    char *order = make_events("once");
    json_t *rec = delivery(order);
    cr_assert_eq(json_integer_value(json_object_get(rec, "last_http_status")),
                 200, "the service accepted the simulator's delivery");
    const char *id = json_string_value(json_object_get(rec, "event_id"));
    cr_assert_eq(rows_for(id), 1);
    /* The same delivery again (PayPal retries, or an attacker replays). */
    const char *body = json_string_value(json_object_get(rec, "body"));
    cr_assert_eq(post(rec, body, NULL, NULL), 200);
    cr_assert_eq(rows_for(id), 1, "processed once");
    json_decref(rec);
    free(order);
}

Test(webhook, forgeries_are_refused_and_leave_no_trace)
{
    webhook_lock();
    char *order = make_events("forged");
    json_t *rec = delivery(order);
    const char *body = json_string_value(json_object_get(rec, "body"));
    /* A changed body: the CRC in the signed string differs. */
    char *changed = strdup(body);
    char *p = strstr(changed, "10.00");
    cr_assert_not_null(p);
    p[0] = '9';
    json_t *ev = json_loads(changed, 0, NULL);
    const char *fake_id = "WH-FORGED-0000000000000000000000000000";
    json_object_set_new(ev, "id", json_string(fake_id));
    char *forged = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    cr_assert_eq(post(rec, forged, NULL, NULL), 401);
    cr_assert_eq(rows_for(fake_id), 0);
    /* A broken signature. */
    cr_assert_eq(post(rec, body, "PAYPAL-TRANSMISSION-SIG", "AAAA"), 401);
    /* A certificate from a host we do not trust. */
    cr_assert_eq(
        post(rec, body, "PAYPAL-CERT-URL", "https://evil.example.com/cert.pem"),
        401);
    /* Another transmission time than the one signed. */
    cr_assert_eq(
        post(rec, body, "PAYPAL-TRANSMISSION-TIME", "2020-01-01T00:00:00Z"),
        401);
    /* No headers at all. */
    char *out = run("curl -sS -o /dev/null -w '%%{http_code}' -X POST -H "
                    "'Content-Type: application/json' --data '{}' "
                    "'%s/api/v1/paypal/webhooks'",
                    harness_env("RMA_TEST_BASE_URL"));
    cr_assert_str_eq(out, "401");
    free(out);
    free(forged);
    free(changed);
    json_decref(rec);
    free(order);
}

Test(webhook, a_stale_signed_event_is_refused)
{
    webhook_lock();
    /* The simulator signs with its clock: four days ago, past PayPal's
     * three days of redelivery. */
    char now[32], body[64];
    time_t t = time(NULL) - 4 * 24 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof(body), "{\"set\":\"%s\"}", now);
    json_decref(harness_sim("POST", "/sim/clock", body));
    char *order = make_events("stale");
    json_t *rec = delivery(order);
    t = time(NULL);
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof(body), "{\"set\":\"%s\"}", now);
    json_decref(harness_sim("POST", "/sim/clock", body));
    cr_assert_eq(json_integer_value(json_object_get(rec, "last_http_status")),
                 401, "a four-day-old transmission is refused");
    const char *id = json_string_value(json_object_get(rec, "event_id"));
    cr_assert_eq(rows_for(id), 0);
    json_decref(rec);
    free(order);
}

Test(webhook, a_redelivery_two_days_late_is_still_taken)
{
    webhook_lock();
    char now[32], body[64];
    time_t t = time(NULL) - 2 * 24 * 3600;
    harness_iso(t, now);
    snprintf(body, sizeof(body), "{\"set\":\"%s\"}", now);
    json_decref(harness_sim("POST", "/sim/clock", body));
    char *order = make_events("late");
    json_t *rec = delivery(order);
    harness_iso(time(NULL), now);
    snprintf(body, sizeof(body), "{\"set\":\"%s\"}", now);
    json_decref(harness_sim("POST", "/sim/clock", body));
    cr_assert_eq(json_integer_value(json_object_get(rec, "last_http_status")),
                 200, "PayPal redelivers for three days");
    json_decref(rec);
    free(order);
}

/* ---- forged bodies with the signed CRC32 (SPEC §16) ---- */

/* Rewrites the pad_len characters at pad (each 'a' or 'c', one bit apart)
 * so that the CRC32 of buf[0 .. len) becomes target: CRC32 is affine over
 * GF(2), so the pad's bits are the solution of a linear system. */
static bool
force_crc(char *buf, size_t len, char *pad, size_t pad_len, uint32_t target)
{
    memset(pad, 'a', pad_len);
    uint32_t base = paypal_crc32(buf, len);
    uint32_t col[256];
    uint64_t pick[256][4]; /* which pad positions make up each row */
    size_t n = pad_len < 256 ? pad_len : 256;
    for (size_t i = 0; i < n; i++) {
        pad[i] = 'c';
        col[i] = paypal_crc32(buf, len) ^ base;
        pad[i] = 'a';
        memset(pick[i], 0, sizeof(pick[i]));
        pick[i][i / 64] |= 1ULL << (i % 64);
    }
    /* Gaussian elimination on the columns, bit by bit. */
    uint32_t want = target ^ base;
    uint64_t sol[4] = {0};
    size_t rank = 0;
    for (int bit = 31; bit >= 0 && rank < n; bit--) {
        size_t p = rank;
        while (p < n && !(col[p] >> bit & 1))
            p++;
        if (p == n)
            continue;
        uint32_t tc = col[p];
        col[p] = col[rank];
        col[rank] = tc;
        uint64_t tp[4];
        memcpy(tp, pick[p], sizeof(tp));
        memcpy(pick[p], pick[rank], sizeof(tp));
        memcpy(pick[rank], tp, sizeof(tp));
        for (size_t q = 0; q < n; q++)
            if (q != rank && (col[q] >> bit & 1)) {
                col[q] ^= col[rank];
                for (int k = 0; k < 4; k++)
                    pick[q][k] ^= pick[rank][k];
            }
        if (want >> bit & 1) {
            want ^= col[rank];
            for (int k = 0; k < 4; k++)
                sol[k] ^= pick[rank][k];
        }
        rank++;
    }
    if (want != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        pad[i] = (sol[i / 64] >> (i % 64) & 1) ? 'c' : 'a';
    return paypal_crc32(buf, len) == target;
}

/* body, as another event with the same CRC32: type about resource. */
static char *
forge(const char *body, const char *type, const char *resource_id)
{
    char *out = malloc(4096);
    int n = snprintf(out, 4096,
                     "{\"id\":\"WH-FORGED-%d\",\"event_type\":\"%s\","
                     "\"resource_type\":\"authorization\",\"resource\":{"
                     "\"id\":\"%s\",\"status\":\"VOIDED\"},\"pad\":\"",
                     (int)getpid(), type, resource_id);
    size_t pad = (size_t)n;
    memset(out + pad, 'a', 64);
    snprintf(out + pad + 64, 4096 - pad - 64, "\"}");
    size_t len = strlen(out);
    cr_assert(
        force_crc(out, len, out + pad, 64, paypal_crc32(body, strlen(body))),
        "no pad gives the CRC");
    return out;
}

static char *
sql(const char *q)
{
    return run("%s '%s' -XAtq -c \"%s\"", harness_env("RMA_TEST_PSQL"),
               harness_env("RMA_TEST_ADMIN_URL"), q);
}

/* An advanced replacement of ours whose hold is the simulator's live
 * authorization of order; returns the case number (owned). */
static char *
hold_on(const char *order, char *auth, size_t n)
{
    json_t *o = paypal_get_order(order);
    json_t *a = json_array_get(
        json_object_get(
            json_object_get(
                json_array_get(json_object_get(o, "purchase_units"), 0),
                "payments"),
            "authorizations"),
        0);
    cr_assert_not_null(a, "the order has no authorization");
    snprintf(auth, n, "%s", json_string_value(json_object_get(a, "id")));
    json_decref(o);
    char *email = harness_unique_email("forged");
    char *agent_name = harness_unique_email("agent");
    char *agent = harness_staff_token("agent", agent_name);
    char *number = harness_create_case(agent, email, "replacement", true);
    char q[2048];
    snprintf(q, sizeof(q),
             "UPDATE rma SET status = 'awaiting_return',"
             " replacement_method = 'advanced', replacement_minor = 1000"
             " WHERE number = '%s';"
             " WITH a AS (INSERT INTO preauth_acceptance (rma_id, customer_id,"
             " terms_version, terms_text, amount_minor, currency, accepted_at)"
             " SELECT id, customer_id, 'v', 't', 1000, 'USD', now() FROM rma"
             " WHERE number = '%s' RETURNING id, rma_id)"
             " INSERT INTO hold (rma_id, acceptance_id, status, currency,"
             " amount_minor, order_id, authorization_id, authorized_at,"
             " expires_at, deadline, created_at, updated_at) SELECT rma_id, id,"
             " 'authorized', 'USD', 1000, '%s', '%s', now(), now() + interval"
             " '29 days', now() + interval '25 days', now(), now() FROM a",
             number, number, order, auth);
    free(sql(q));
    free(agent);
    free(agent_name);
    free(email);
    return number;
}

static char *
hold_status(const char *auth)
{
    char q[256];
    snprintf(q, sizeof(q),
             "SELECT status FROM hold WHERE authorization_id = '%s'", auth);
    char *s = sql(q);
    s[strcspn(s, "\n")] = '\0';
    return s;
}

Test(webhook, a_forged_body_with_the_signed_crc32_changes_nothing)
{
    webhook_lock();
    char *order = make_events("crc");
    char auth[64];
    char *number = hold_on(order, auth, sizeof(auth));
    json_t *rec = delivery(order);
    const char *body = json_string_value(json_object_get(rec, "body"));
    char *forged = forge(body, "PAYMENT.AUTHORIZATION.VOIDED", auth);
    cr_assert_eq(paypal_crc32(forged, strlen(forged)),
                 paypal_crc32(body, strlen(body)));
    /* Replayed with the intercepted delivery's headers: the signature
     * holds, the transmission was taken already. */
    cr_assert_eq(post(rec, forged, NULL, NULL), 200);
    char *st = hold_status(auth);
    cr_assert_str_eq(st, "authorized", "a replayed transmission acted");
    free(st);
    /* Even arriving first (the genuine one forgotten), the event is only a
     * trigger: PayPal says the authorization is live. */
    char q[256];
    snprintf(
        q, sizeof(q),
        "DELETE FROM paypal_webhook_event WHERE transmission_id = '%s'",
        json_string_value(json_object_get(json_object_get(rec, "last_headers"),
                                          "PAYPAL-TRANSMISSION-ID")));
    free(sql(q));
    cr_assert_eq(post(rec, forged, NULL, NULL), 200);
    st = hold_status(auth);
    cr_assert_str_eq(st, "authorized", "a forged body acted");
    free(st);
    free(forged);
    json_decref(rec);
    free(number);
    free(order);
}

Test(webhook, a_forged_capture_of_an_invented_id_pays_no_claim)
{
    webhook_lock();
    char *order = make_events("capture");
    json_t *rec = delivery(order);
    const char *body = json_string_value(json_object_get(rec, "body"));
    char *forged =
        forge(body, "PAYMENT.CAPTURE.COMPLETED", "9XK12345AB678901C");
    char q[256];
    snprintf(
        q, sizeof(q),
        "DELETE FROM paypal_webhook_event WHERE transmission_id = '%s'",
        json_string_value(json_object_get(json_object_get(rec, "last_headers"),
                                          "PAYPAL-TRANSMISSION-ID")));
    free(sql(q));
    long st = post(rec, forged, NULL, NULL);
    cr_assert_eq(st, 200, "forged capture event answered %ld", st);
    snprintf(q, sizeof(q),
             "SELECT outcome FROM paypal_webhook_event WHERE event_id ="
             " 'WH-FORGED-%d'",
             (int)getpid());
    char *n = sql(q);
    cr_assert(strstr(n, "unknown resource") != NULL, "%s", n);
    free(n);
    free(forged);
    json_decref(rec);
    free(order);
}
