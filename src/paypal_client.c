/* paypal_client.c - the PayPal REST client (SPEC §5.7): its lifetime and
 * the helpers without I/O the other paypal*.c files share (money, ids,
 * times, backoff, error mapping, request bodies).
 *
 * The client is split along its sections: this file; paypal_exec.c (the
 * executor: token, retries, streams of calls); paypal_parse.c (answers
 * into the plain structs of paypal.h); paypal_orders.c (Orders v2);
 * paypal_payments.c (Payments v2: authorizations, captures, refunds);
 * paypal_search.c (Transaction Search); paypal_status.c (PayPal's
 * vocabulary as enums); paypal_webhook.c (webhook signatures).  No jansson
 * type and no table leaves them. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "paypal_internal.h"
#include "rma/buf.h"
#include "rma/calendar.h"

/* ------------------------------------------------------------------ */
/* Client */

struct paypal_client *
paypal_client_new(const struct paypal_client_options *o)
{
    if (o == NULL || o->base_url == NULL || o->base_url[0] == '\0' ||
        o->client_id == NULL || o->client_id[0] == '\0' ||
        o->client_secret == NULL || o->client_secret[0] == '\0')
        return NULL;
    struct paypal_client *pc = calloc(1, sizeof(*pc));
    if (pc == NULL)
        return NULL;
    pc->opt = *o;
    if (pc->opt.max_attempts <= 0)
        pc->opt.max_attempts = 4;
    if (pc->opt.backoff_base_ms <= 0)
        pc->opt.backoff_base_ms = 250;
    if (pc->opt.backoff_max_ms <= 0)
        pc->opt.backoff_max_ms = 8000;
    if (pc->opt.retry_after_max_ms <= 0)
        pc->opt.retry_after_max_ms = 30000;
    if (pc->opt.token_margin_s <= 0)
        pc->opt.token_margin_s = 300;
    size_t n = strlen(o->base_url);
    while (n > 0 && o->base_url[n - 1] == '/')
        n--;
    pc->base_url = strndup(o->base_url, n);
    pc->client_id = strdup(o->client_id);
    struct buf b;
    buf_init(&b, 4096);
    if (buf_printf(&b, "%s:%s", o->client_id, o->client_secret) == RMA_OK)
        pc->basic = buf_steal(&b);
    buf_free(&b);
    struct http_client_options ho = {
        .connect_timeout_ms = o->connect_timeout_ms,
        .timeout_ms = o->timeout_ms,
        .max_response = o->max_response,
        .ca_file = o->ca_file,
        .https_only = o->https_only,
    };
    pc->http = http_client_new(&ho);
    pc->opt.base_url = pc->opt.client_id = pc->opt.client_secret = NULL;
    pc->opt.ca_file = NULL;
    if (pc->base_url == NULL || pc->client_id == NULL || pc->basic == NULL ||
        pc->http == NULL ||
        (o->https_only && strncmp(pc->base_url, "https://", 8) != 0)) {
        paypal_client_free(pc);
        return NULL;
    }
    return pc;
}

static void
free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void
paypal_client_free(struct paypal_client *pc)
{
    if (pc == NULL)
        return;
    http_client_free(pc->http);
    free(pc->base_url);
    free(pc->client_id);
    free_secret(pc->basic);
    free_secret(pc->token);
    free(pc);
}

void
paypal_client_stats(const struct paypal_client *pc,
                    struct paypal_client_stats *out)
{
    *out = pc->stats;
}

void
paypal_client_forget_token(struct paypal_client *pc)
{
    free_secret(pc->token);
    pc->token = NULL;
    pc->token_expires_ms = 0;
    pc->token_fetched = false;
}

void
paypal_result_free(struct paypal_result *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
}

/* ------------------------------------------------------------------ */
/* Helpers without I/O */

enum rma_err
paypal_money_value(const struct money *m, char *out)
{
    return money_format(m, out) != NULL ? RMA_OK : RMA_EINVAL;
}

enum rma_err
paypal_money_parse(const char *value, const char *currency, struct money *m)
{
    return money_parse(value, currency, m);
}

bool
paypal_request_id_valid(const char *id)
{
    if (id == NULL)
        return false;
    size_t n = strlen(id);
    if (n == 0 || n > PAYPAL_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] <= ' ' || id[i] > '~')
            return false;
    return true;
}

/* Path segments PayPal ids may occupy: letters, digits, '-' and '_'. */
bool
paypal_id_valid(const char *id)
{
    if (id == NULL || id[0] == '\0' || strlen(id) >= PAYPAL_ID_MAX)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

static int
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

enum rma_err
paypal_parse_time(const char *s, time_t *out)
{
    int y, mo, d, h, mi, sec;
    if (s == NULL || strlen(s) < 19 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
        s[16] != ':' || !digits(s + 17, 2, &sec))
        return RMA_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > calendar_days_in_month(y, mo) ||
        h > 23 || mi > 59 || sec > 60)
        return RMA_EINVAL;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return RMA_EINVAL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (!digits(p, 2, &oh))
            return RMA_EINVAL;
        p += 2;
        if (*p == ':')
            p++;
        if (!digits(p, 2, &om) || oh > 23 || om > 59)
            return RMA_EINVAL;
        p += 2;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return RMA_EINVAL;
    }
    if (*p != '\0')
        return RMA_EINVAL;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return RMA_EINVAL;
    *out = t - offset;
    return RMA_OK;
}

long
paypal_backoff_ms(long base_ms, long max_ms, int retry, uint32_t r)
{
    if (base_ms <= 0)
        base_ms = 1;
    if (max_ms < base_ms)
        max_ms = base_ms;
    if (retry < 1)
        retry = 1;
    long d = base_ms;
    for (int i = 1; i < retry && d < max_ms; i++)
        d = d > max_ms / 2 ? max_ms : d * 2;
    if (d > max_ms)
        d = max_ms;
    long half = d / 2;
    return half + (long)(r % (uint32_t)(d - half + 1));
}

enum rma_err
paypal_err_for_status(int status, const char *issue)
{
    if (status >= 200 && status < 300)
        return RMA_OK;
    switch (status) {
    case 400: return RMA_EINVAL;
    case 403: return RMA_EFORBIDDEN;
    case 404: return RMA_ENOTFOUND;
    case 409:
        if (issue != NULL && strcmp(issue, "PREVIOUS_REQUEST_IN_PROGRESS") == 0)
            return RMA_EUPSTREAM;
        return RMA_ECONFLICT;
    case 422: return RMA_ERULE;
    default: return RMA_EUPSTREAM; /* 401 after a refresh, 429, 5xx, ... */
    }
}

void
paypal_copy_text(char *out, size_t n, const char *s)
{
    if (s == NULL)
        s = "";
    size_t len = strnlen(s, n - 1);
    memcpy(out, s, len);
    out[len] = '\0';
}

void
paypal_parse_error(const char *body, struct paypal_result *r)
{
    json_t *j = body ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return;
    }
    const char *name = json_string_value(json_object_get(j, "name"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    const char *dbg = json_string_value(json_object_get(j, "debug_id"));
    if (name == NULL) /* OAuth: {"error":..., "error_description":...} */
        name = json_string_value(json_object_get(j, "error"));
    if (msg == NULL)
        msg = json_string_value(json_object_get(j, "error_description"));
    json_t *details = json_object_get(j, "details");
    const char *issue =
        json_string_value(json_object_get(json_array_get(details, 0), "issue"));
    if (name != NULL)
        paypal_copy_text(r->name, sizeof(r->name), name);
    if (msg != NULL)
        paypal_copy_text(r->message, sizeof(r->message), msg);
    if (dbg != NULL)
        paypal_copy_text(r->debug_id, sizeof(r->debug_id), dbg);
    if (issue != NULL)
        paypal_copy_text(r->issue, sizeof(r->issue), issue);
    json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Request bodies */

char *
paypal_json_dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

bool
paypal_text_ok(const char *s, size_t max)
{
    return s == NULL || (s[0] != '\0' && strlen(s) <= max);
}

bool
paypal_money_ok(const struct money *m)
{
    return m != NULL && money_exponent(m->currency) >= 0 && m->minor > 0;
}

json_t *
paypal_money_json(const struct money *m)
{
    char v[MONEY_TEXT_MAX];
    if (money_format(m, v) == NULL)
        return NULL;
    return json_pack("{s:s, s:s}", "currency_code", m->currency, "value", v);
}
