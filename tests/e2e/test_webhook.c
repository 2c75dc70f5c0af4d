/* test_webhook.c - PayPal webhooks through nginx (SPEC §7, §12): events the
 * simulator signs are accepted once; replays, forgeries, foreign
 * certificates and stale events change nothing. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

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
    harness_sim_lock();
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
    harness_sim_lock();
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
    harness_sim_lock();
    /* The simulator signs with its clock: an hour ago. */
    char now[32], body[64];
    time_t t = time(NULL) - 3600;
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
                 401, "an hour-old transmission is refused");
    const char *id = json_string_value(json_object_get(rec, "event_id"));
    cr_assert_eq(rows_for(id), 0);
    json_decref(rec);
    free(order);
}
