/* paypal.c - the PayPal REST client: token, retries, Orders v2, Payments v2,
 * Transaction Search.
 *
 * Every call is an "exchange" run by one executor, alone or in a batch: the
 * executor attaches the bearer token, sends the PayPal-Request-Id the caller
 * gave, retries what §5.7 says may be retried (same request id), refreshes
 * the token once on a 401, and records what PayPal answered in a
 * struct paypal_result.  Parsing turns JSON bodies into the plain structs of
 * paypal.h; no jansson type leaves this file. */
#include "rma/paypal.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paypal_internal.h"
#include "rma/buf.h"
#include "rma/calendar.h"
#include "rma/crypto.h"
#include "rma/http_client.h"
#include "rma/log.h"
#include "rma/metrics.h"

struct paypal_client {
    struct paypal_client_options opt;
    char *base_url; /* owned, no trailing slash */
    char *basic;    /* "id:secret", owned, cleansed on free */
    char *client_id;
    struct http_client *http;
    char *token;              /* owned, never logged */
    int64_t token_expires_ms; /* monotonic */
    unsigned token_gen;       /* counts the tokens fetched */
    struct paypal_client_stats stats;
};

/* One HTTP exchange with PayPal and its retry state. */
struct exch {
    const char *op;         /* for logs, static */
    const char *method;     /* static */
    char *url;              /* owned */
    char *body;             /* owned, or NULL */
    const char *request_id; /* borrowed, or NULL */
    bool prefer_representation;
    bool token_call;
    /* state */
    int attempts;
    int failures; /* retryable failures so far */
    bool reauthed;
    bool want_token;
    bool done;
    int64_t not_before_ms;
    enum rma_err err;
    struct http_response resp; /* the last answer; owned */
    bool has_resp;
    struct paypal_result *res; /* borrowed: where the outcome goes */
    int64_t started_ms;
};

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
static bool
id_valid(const char *id)
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

static void
copy_text(char *out, size_t n, const char *s)
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
        copy_text(r->name, sizeof(r->name), name);
    if (msg != NULL)
        copy_text(r->message, sizeof(r->message), msg);
    if (dbg != NULL)
        copy_text(r->debug_id, sizeof(r->debug_id), dbg);
    if (issue != NULL)
        copy_text(r->issue, sizeof(r->issue), issue);
    json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Parsing */

/* Copies string member key of o into out (n bytes).  false if present but
 * not a string or too long; a missing member leaves out empty and is true
 * unless required. */
static bool
get_str(const json_t *o, const char *key, char *out, size_t n, bool required)
{
    out[0] = '\0';
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return !required;
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) >= n)
        return false;
    memcpy(out, s, strlen(s) + 1);
    return true;
}

/* Parses a money object member; absent is fine unless required (then m is
 * zeroed). */
static bool
get_money(const json_t *o, const char *key, struct money *m, bool required)
{
    memset(m, 0, sizeof(*m));
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return !required;
    const char *cur = json_string_value(json_object_get(v, "currency_code"));
    const char *val = json_string_value(json_object_get(v, "value"));
    return cur != NULL && val != NULL && money_parse(val, cur, m) == RMA_OK;
}

static void
get_time(const json_t *o, const char *key, char *out, size_t n, time_t *t)
{
    if (!get_str(o, key, out, n, false))
        out[0] = '\0';
    if (t != NULL && (out[0] == '\0' || paypal_parse_time(out, t) != RMA_OK))
        *t = 0;
}

/* The href of the first link with rel in rels (NULL-terminated). */
static const char *
link_href(const json_t *o, const char *const *rels)
{
    json_t *links = json_object_get(o, "links");
    size_t i;
    json_t *l;
    for (const char *const *r = rels; *r; r++)
        json_array_foreach(links, i, l)
        {
            const char *rel = json_string_value(json_object_get(l, "rel"));
            if (rel != NULL && strcmp(rel, *r) == 0)
                return json_string_value(json_object_get(l, "href"));
        }
    return NULL;
}

/* The last path segment of link rel into out (ids of parent resources). */
static void
link_last_segment(const json_t *o, const char *rel, char *out, size_t n)
{
    const char *rels[] = {rel, NULL};
    const char *href = link_href(o, rels);
    out[0] = '\0';
    if (href == NULL)
        return;
    const char *q = strchr(href, '?');
    size_t len = q ? (size_t)(q - href) : strlen(href);
    while (len > 0 && href[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && href[start - 1] != '/')
        start--;
    if (len - start < n) {
        memcpy(out, href + start, len - start);
        out[len - start] = '\0';
    }
}

static enum rma_err
authorization_from(const json_t *a, struct paypal_authorization *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(a) || !get_str(a, "id", out->id, sizeof(out->id), 1) ||
        !get_str(a, "status", out->status, sizeof(out->status), true) ||
        !get_money(a, "amount", &out->amount, false))
        return RMA_EUPSTREAM;
    json_t *sd = json_object_get(a, "status_details");
    if (!get_str(sd, "reason", out->status_reason, sizeof(out->status_reason),
                 false))
        out->status_reason[0] = '\0';
    get_time(a, "create_time", out->create_time, sizeof(out->create_time),
             &out->created);
    get_time(a, "update_time", out->update_time, sizeof(out->update_time),
             NULL);
    get_time(a, "expiration_time", out->expiration_time,
             sizeof(out->expiration_time), &out->expiration);
    json_t *rel = json_object_get(json_object_get(a, "supplementary_data"),
                                  "related_ids");
    if (!get_str(rel, "order_id", out->order_id, sizeof(out->order_id), false))
        out->order_id[0] = '\0';
    return RMA_OK;
}

static enum rma_err
order_from(const json_t *o, struct paypal_order *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(o) || !get_str(o, "id", out->id, sizeof(out->id), 1) ||
        !get_str(o, "status", out->status, sizeof(out->status), true) ||
        !get_str(o, "intent", out->intent, sizeof(out->intent), false))
        return RMA_EUPSTREAM;
    static const char *const rels[] = {"approve", "payer-action", NULL};
    const char *href = link_href(o, rels);
    if (href != NULL) {
        if (strlen(href) >= sizeof(out->approve_url))
            return RMA_EUPSTREAM;
        copy_text(out->approve_url, sizeof(out->approve_url), href);
    }
    json_t *pu = json_array_get(json_object_get(o, "purchase_units"), 0);
    if (pu != NULL) {
        if (!get_money(pu, "amount", &out->amount, false))
            return RMA_EUPSTREAM;
        out->has_amount = json_object_get(pu, "amount") != NULL;
        json_t *auths =
            json_object_get(json_object_get(pu, "payments"), "authorizations");
        json_t *a = json_array_get(auths, 0);
        if (a != NULL) {
            if (authorization_from(a, &out->authorization) != RMA_OK)
                return RMA_EUPSTREAM;
            out->has_authorization = true;
            if (out->authorization.order_id[0] == '\0')
                copy_text(out->authorization.order_id,
                          sizeof(out->authorization.order_id), out->id);
        }
    }
    json_t *payer = json_object_get(o, "payer");
    json_t *wallet =
        json_object_get(json_object_get(o, "payment_source"), "paypal");
    if (!get_str(payer, "payer_id", out->payer_id, sizeof(out->payer_id),
                 false) ||
        !get_str(payer, "email_address", out->payer_email,
                 sizeof(out->payer_email), false))
        return RMA_EUPSTREAM;
    if (out->payer_id[0] == '\0' &&
        !get_str(wallet, "account_id", out->payer_id, sizeof(out->payer_id),
                 false))
        return RMA_EUPSTREAM;
    if (out->payer_email[0] == '\0' &&
        !get_str(wallet, "email_address", out->payer_email,
                 sizeof(out->payer_email), false))
        return RMA_EUPSTREAM;
    return RMA_OK;
}

static enum rma_err
capture_from(const json_t *c, struct paypal_capture *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(c) || !get_str(c, "id", out->id, sizeof(out->id), 1) ||
        !get_str(c, "status", out->status, sizeof(out->status), true) ||
        !get_money(c, "amount", &out->amount, false))
        return RMA_EUPSTREAM;
    json_t *sd = json_object_get(c, "status_details");
    if (!get_str(sd, "reason", out->status_reason, sizeof(out->status_reason),
                 false))
        out->status_reason[0] = '\0';
    out->final_capture = json_is_true(json_object_get(c, "final_capture"));
    json_t *b = json_object_get(c, "seller_receivable_breakdown");
    if (b != NULL) {
        if (!get_money(b, "gross_amount", &out->gross, false) ||
            !get_money(b, "paypal_fee", &out->fee, false) ||
            !get_money(b, "net_amount", &out->net, false))
            return RMA_EUPSTREAM;
        out->has_breakdown = true;
        /* A breakdown without a fee means no fee, in the same currency. */
        if (out->fee.currency[0] == '\0')
            memcpy(out->fee.currency, out->amount.currency, 4);
    }
    get_time(c, "create_time", out->create_time, sizeof(out->create_time),
             NULL);
    json_t *rel = json_object_get(json_object_get(c, "supplementary_data"),
                                  "related_ids");
    if (!get_str(rel, "authorization_id", out->authorization_id,
                 sizeof(out->authorization_id), false))
        return RMA_EUPSTREAM;
    if (out->authorization_id[0] == '\0')
        link_last_segment(c, "up", out->authorization_id,
                          sizeof(out->authorization_id));
    return RMA_OK;
}

static enum rma_err
refund_from(const json_t *r, struct paypal_refund *out)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(r) || !get_str(r, "id", out->id, sizeof(out->id), 1) ||
        !get_str(r, "status", out->status, sizeof(out->status), true) ||
        !get_money(r, "amount", &out->amount, false))
        return RMA_EUPSTREAM;
    json_t *sd = json_object_get(r, "status_details");
    if (!get_str(sd, "reason", out->status_reason, sizeof(out->status_reason),
                 false))
        out->status_reason[0] = '\0';
    json_t *b = json_object_get(r, "seller_payable_breakdown");
    if (b != NULL) {
        if (!get_money(b, "paypal_fee", &out->fee, false) ||
            !get_money(b, "net_amount", &out->net, false) ||
            !get_money(b, "total_refunded_amount", &out->total_refunded, false))
            return RMA_EUPSTREAM;
        out->has_breakdown = true;
    }
    get_time(r, "create_time", out->create_time, sizeof(out->create_time),
             NULL);
    link_last_segment(r, "up", out->capture_id, sizeof(out->capture_id));
    return RMA_OK;
}

static enum rma_err
transaction_from(const json_t *d, struct paypal_transaction *t)
{
    memset(t, 0, sizeof(*t));
    json_t *ti = json_object_get(d, "transaction_info");
    if (!json_is_object(ti) ||
        !get_str(ti, "transaction_id", t->transaction_id,
                 sizeof(t->transaction_id), true) ||
        !get_str(ti, "paypal_reference_id", t->paypal_reference_id,
                 sizeof(t->paypal_reference_id), false) ||
        !get_str(ti, "transaction_event_code", t->event_code,
                 sizeof(t->event_code), false) ||
        !get_str(ti, "transaction_status", t->status, sizeof(t->status),
                 false) ||
        !get_money(ti, "transaction_amount", &t->amount, true) ||
        !get_money(ti, "fee_amount", &t->fee, false) ||
        !get_str(ti, "invoice_id", t->invoice_id, sizeof(t->invoice_id),
                 false) ||
        !get_str(ti, "custom_field", t->custom_field, sizeof(t->custom_field),
                 false))
        return RMA_EUPSTREAM;
    t->has_fee = json_object_get(ti, "fee_amount") != NULL;
    get_time(ti, "transaction_initiation_date", t->initiation_date,
             sizeof(t->initiation_date), &t->initiated);
    get_time(ti, "transaction_updated_date", t->updated_date,
             sizeof(t->updated_date), NULL);
    json_t *pi = json_object_get(d, "payer_info");
    if (!get_str(pi, "account_id", t->payer_account_id,
                 sizeof(t->payer_account_id), false) ||
        !get_str(pi, "email_address", t->payer_email, sizeof(t->payer_email),
                 false))
        return RMA_EUPSTREAM;
    json_t *pn = json_object_get(pi, "payer_name");
    if (!get_str(pn, "alternate_full_name", t->payer_name,
                 sizeof(t->payer_name), false))
        t->payer_name[0] = '\0';
    if (t->payer_name[0] == '\0') {
        const char *g = json_string_value(json_object_get(pn, "given_name"));
        const char *s = json_string_value(json_object_get(pn, "surname"));
        snprintf(t->payer_name, sizeof(t->payer_name), "%s%s%s", g ? g : "",
                 g && s ? " " : "", s ? s : "");
    }
    return RMA_OK;
}

static json_t *
load(const char *s)
{
    return s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
}

enum rma_err
paypal_parse_order(const char *s, struct paypal_order *out)
{
    json_t *j = load(s);
    enum rma_err err = order_from(j, out);
    json_decref(j);
    return err;
}

enum rma_err
paypal_parse_authorization(const char *s, struct paypal_authorization *out)
{
    json_t *j = load(s);
    enum rma_err err = authorization_from(j, out);
    json_decref(j);
    return err;
}

enum rma_err
paypal_parse_capture(const char *s, struct paypal_capture *out)
{
    json_t *j = load(s);
    enum rma_err err = capture_from(j, out);
    json_decref(j);
    return err;
}

enum rma_err
paypal_parse_refund(const char *s, struct paypal_refund *out)
{
    json_t *j = load(s);
    enum rma_err err = refund_from(j, out);
    json_decref(j);
    return err;
}

static int
int_member(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) <= INT32_MAX)
        return (int)json_integer_value(v);
    return 0;
}

enum rma_err
paypal_parse_search(const char *s, struct paypal_search_result *out)
{
    memset(out, 0, sizeof(*out));
    json_t *j = load(s);
    enum rma_err err = RMA_EUPSTREAM;
    if (!json_is_object(j))
        goto done;
    json_t *details = json_object_get(j, "transaction_details");
    size_t n = json_array_size(details);
    if (details != NULL && !json_is_array(details))
        goto done;
    if (n > 0) {
        out->items = calloc(n, sizeof(*out->items));
        if (out->items == NULL) {
            err = RMA_EINTERNAL;
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (transaction_from(json_array_get(details, i), &out->items[i]) !=
            RMA_OK)
            goto done;
        out->n++;
    }
    out->page = int_member(j, "page");
    out->total_items = int_member(j, "total_items");
    out->total_pages = int_member(j, "total_pages");
    get_time(j, "last_refreshed_datetime", out->last_refreshed,
             sizeof(out->last_refreshed), &out->last_refreshed_at);
    err = RMA_OK;
done:
    json_decref(j);
    if (err != RMA_OK)
        paypal_search_result_free(out);
    return err;
}

void
paypal_search_result_free(struct paypal_search_result *r)
{
    free(r->items);
    r->items = NULL;
    r->n = 0;
}

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

static void
exch_free(struct exch *x)
{
    free(x->url);
    free(x->body);
    if (x->has_resp)
        http_response_free(&x->resp);
    x->url = x->body = NULL;
    x->has_resp = false;
}

/* x->url = base URL + before + id + after (id already checked). */
static enum rma_err
exch_url(struct paypal_client *pc, struct exch *x, const char *before,
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
        exch_url(pc, &x, "/v1/oauth2/token", NULL, NULL) != RMA_OK)
        goto done;
    exch_call(pc, &x);
    err = x.err;
    if (err != RMA_OK)
        goto done;
    json_t *j = load(x.resp.body.data);
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
    pc->stats.token_fetches++;
    log_event(LOG_INFO, "paypal_token", "{s:I}", "expires_in", (json_int_t)ttl);
done:
    if (x.has_resp)
        OPENSSL_cleanse(x.resp.body.data, x.resp.body.len);
    exch_free(&x);
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
        copy_text(r->message, sizeof(r->message), h->error);
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

static enum rma_err item_exch(struct paypal_client *pc,
                              struct paypal_batch_item *it, struct exch *x);
static enum rma_err item_parse(struct paypal_batch_item *it, struct exch *x);

/* Hands the finished call's item back to the feed. */
static void
call_end(struct stream *st, struct call *cl, enum rma_err err)
{
    struct paypal_batch_item *it = cl->it;
    it->err = err;
    if (err == RMA_OK) {
        it->err = cl->x.err;
        if (it->err == RMA_OK)
            it->err = item_parse(it, &cl->x);
        if (it->err == RMA_EUPSTREAM && cl->x.err == RMA_OK)
            log_event(LOG_ERROR, "paypal_response_malformed", "{s:s, s:s}",
                      "op", cl->x.op, "debug_id", it->result.debug_id);
    }
    exch_free(&cl->x);
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
        enum rma_err err = item_exch(st->pc, it, &cl->x);
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

/* ------------------------------------------------------------------ */
/* Operations */

/* Runs one exchange and hands its outcome to res (may be NULL). */
static enum rma_err
run_one(struct paypal_client *pc, struct exch *x, struct paypal_result *res)
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

static char *
dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static bool
text_ok(const char *s, size_t max)
{
    return s == NULL || (s[0] != '\0' && strlen(s) <= max);
}

static bool
one_of(const char *s, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(s, *allowed) == 0)
            return true;
    return false;
}

static bool
money_ok(const struct money *m)
{
    return m != NULL && money_exponent(m->currency) >= 0 && m->minor > 0;
}

static json_t *
money_json(const struct money *m)
{
    char v[MONEY_TEXT_MAX];
    if (money_format(m, v) == NULL)
        return NULL;
    return json_pack("{s:s, s:s}", "currency_code", m->currency, "value", v);
}

static void
set_opt(json_t *o, const char *key, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, key, json_string(v));
}

static bool
url_ok(const char *u)
{
    return u != NULL && strlen(u) <= 4000 &&
           (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

enum rma_err
paypal_order_create(struct paypal_client *pc,
                    const struct paypal_order_params *p, const char *request_id,
                    struct paypal_order *out, struct paypal_result *res)
{
    static const char *const ship[] = {"GET_FROM_FILE", "NO_SHIPPING",
                                       "SET_PROVIDED_ADDRESS", NULL};
    static const char *const action[] = {"CONTINUE", "PAY_NOW", NULL};
    const char *shipping =
        p->shipping_preference ? p->shipping_preference : "NO_SHIPPING";
    const char *user_action = p->user_action ? p->user_action : "CONTINUE";
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    /* Refused before any call: PayPal would only say 400/422 later. */
    if (!money_ok(&p->amount) || !paypal_request_id_valid(request_id) ||
        !url_ok(p->return_url) || !url_ok(p->cancel_url) ||
        !one_of(shipping, ship) || !one_of(user_action, action) ||
        !text_ok(p->brand_name, 127) || !text_ok(p->reference_id, 256) ||
        !text_ok(p->custom_id, 127) || !text_ok(p->invoice_id, 127) ||
        !text_ok(p->description, 127) || !text_ok(p->locale, 10))
        return RMA_EINVAL;
    json_t *ctx = json_pack("{s:s, s:s, s:s, s:s}", "return_url", p->return_url,
                            "cancel_url", p->cancel_url, "shipping_preference",
                            shipping, "user_action", user_action);
    json_t *unit = json_pack("{s:o}", "amount", money_json(&p->amount));
    if (ctx == NULL || unit == NULL) {
        json_decref(ctx);
        json_decref(unit);
        return RMA_EINTERNAL;
    }
    set_opt(ctx, "brand_name", p->brand_name);
    set_opt(ctx, "locale", p->locale);
    set_opt(unit, "reference_id", p->reference_id);
    set_opt(unit, "custom_id", p->custom_id);
    set_opt(unit, "invoice_id", p->invoice_id);
    set_opt(unit, "description", p->description);
    struct exch x = {
        .op = "orders_create",
        .method = "POST",
        .request_id = request_id,
        .prefer_representation = true,
        .body =
            dump(json_pack("{s:s, s:[o], s:{s:{s:o}}}", "intent", "AUTHORIZE",
                           "purchase_units", unit, "payment_source", "paypal",
                           "experience_context", ctx)),
    };
    enum rma_err err = RMA_EINTERNAL;
    if (x.body != NULL &&
        exch_url(pc, &x, "/v2/checkout/orders", NULL, NULL) == RMA_OK) {
        err = run_one(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_order(x.resp.body.data, out);
    }
    exch_free(&x);
    return err;
}

enum rma_err
paypal_order_get(struct paypal_client *pc, const char *order_id,
                 struct paypal_order *out, struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (!id_valid(order_id))
        return RMA_EINVAL;
    struct exch x = {.op = "orders_get", .method = "GET"};
    enum rma_err err = exch_url(pc, &x, "/v2/checkout/orders/", order_id, NULL);
    if (err == RMA_OK) {
        err = run_one(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_order(x.resp.body.data, out);
    }
    exch_free(&x);
    return err;
}

enum rma_err
paypal_order_authorize(struct paypal_client *pc, const char *order_id,
                       const char *request_id, struct paypal_order *out,
                       struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (!id_valid(order_id) || !paypal_request_id_valid(request_id))
        return RMA_EINVAL;
    struct exch x = {
        .op = "orders_authorize",
        .method = "POST",
        .request_id = request_id,
        .prefer_representation = true,
        .body = strdup("{}"),
    };
    enum rma_err err =
        exch_url(pc, &x, "/v2/checkout/orders/", order_id, "/authorize");
    if (err == RMA_OK) {
        err = run_one(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_order(x.resp.body.data, out);
        if (err == RMA_OK && !out->has_authorization) {
            log_event(LOG_ERROR, "paypal_authorize_without_authorization",
                      "{s:s, s:s}", "order_id", order_id, "debug_id",
                      res ? res->debug_id : "");
            err = RMA_EUPSTREAM;
        }
    }
    exch_free(&x);
    return err;
}

/* Builds the exchange of a batch item (also used by the single calls). */
static enum rma_err
item_exch(struct paypal_client *pc, struct paypal_batch_item *it,
          struct exch *x)
{
    memset(x, 0, sizeof(*x));
    bool mutating = it->kind != PAYPAL_BATCH_GET_AUTHORIZATION;
    if (!id_valid(it->id) ||
        (mutating && !paypal_request_id_valid(it->request_id)) ||
        (it->has_amount && !money_ok(&it->amount)))
        return RMA_EINVAL;
    x->request_id = mutating ? it->request_id : NULL;
    x->method = mutating ? "POST" : "GET";
    x->prefer_representation = mutating;
    json_t *body = mutating ? json_object() : NULL;
    if (it->has_amount)
        json_object_set_new(body, "amount", money_json(&it->amount));
    const char *base = "/v2/payments/authorizations/", *action = NULL;
    switch (it->kind) {
    case PAYPAL_BATCH_CAPTURE:
        x->op = "authorizations_capture";
        action = "/capture";
        json_object_set_new(body, "final_capture",
                            json_boolean(it->final_capture));
        break;
    case PAYPAL_BATCH_REAUTHORIZE:
        x->op = "authorizations_reauthorize";
        action = "/reauthorize";
        break;
    case PAYPAL_BATCH_VOID:
        x->op = "authorizations_void";
        action = "/void";
        json_decref(body); /* void takes no body */
        body = NULL;
        break;
    case PAYPAL_BATCH_REFUND:
        x->op = "captures_refund";
        base = "/v2/payments/captures/";
        action = "/refund";
        break;
    case PAYPAL_BATCH_GET_AUTHORIZATION: x->op = "authorizations_get"; break;
    }
    if (body != NULL && (x->body = dump(body)) == NULL)
        return RMA_EINTERNAL;
    return exch_url(pc, x, base, it->id, action);
}

/* Parses a finished item's answer into its out union. */
static enum rma_err
item_parse(struct paypal_batch_item *it, struct exch *x)
{
    const char *body = x->resp.body.data;
    switch (it->kind) {
    case PAYPAL_BATCH_CAPTURE:
        return paypal_parse_capture(body, &it->out.capture);
    case PAYPAL_BATCH_REFUND: return paypal_parse_refund(body, &it->out.refund);
    case PAYPAL_BATCH_VOID:
        memset(&it->out.authorization, 0, sizeof(it->out.authorization));
        if (x->resp.status == 204 || x->resp.body.len == 0)
            return RMA_OK;
        return paypal_parse_authorization(body, &it->out.authorization);
    case PAYPAL_BATCH_REAUTHORIZE:
    case PAYPAL_BATCH_GET_AUTHORIZATION:
        return paypal_parse_authorization(body, &it->out.authorization);
    }
    return RMA_EINTERNAL;
}

/* paypal_batch's feed: the array, in order. */
struct array_feed {
    struct paypal_batch_item *items;
    size_t n, next;
};

static struct paypal_batch_item *
array_next(void *ctx, bool *ended)
{
    struct array_feed *a = ctx;
    if (a->next == a->n) {
        *ended = true;
        return NULL;
    }
    return &a->items[a->next++];
}

static void
array_done(void *ctx, struct paypal_batch_item *it)
{
    (void)ctx;
    (void)it;
}

enum rma_err
paypal_batch(struct paypal_client *pc, struct paypal_batch_item *items,
             size_t n, size_t concurrency)
{
    struct array_feed a = {.items = items, .n = n};
    struct paypal_feed feed = {
        .ctx = &a, .next = array_next, .done = array_done};
    enum rma_err err = paypal_stream(pc, &feed, concurrency);
    for (size_t i = a.next; i < n; i++) { /* never taken */
        memset(&items[i].result, 0, sizeof(items[i].result));
        items[i].err = RMA_EINTERNAL;
    }
    return err == RMA_OK ? RMA_OK : RMA_EINTERNAL;
}

/* One batch item run synchronously; res takes over the item's result. */
static enum rma_err
single(struct paypal_client *pc, struct paypal_batch_item *it,
       struct paypal_result *res)
{
    (void)paypal_batch(pc, it, 1, 1);
    if (res != NULL)
        *res = it->result;
    else
        paypal_result_free(&it->result);
    return it->err;
}

enum rma_err
paypal_authorization_get(struct paypal_client *pc, const char *authorization_id,
                         struct paypal_authorization *out,
                         struct paypal_result *res)
{
    struct paypal_batch_item it = {.kind = PAYPAL_BATCH_GET_AUTHORIZATION,
                                   .id = authorization_id};
    enum rma_err err = single(pc, &it, res);
    if (err == RMA_OK)
        *out = it.out.authorization;
    return err;
}

enum rma_err
paypal_capture_authorization(struct paypal_client *pc,
                             const char *authorization_id,
                             const struct money *amount, bool final_capture,
                             const char *request_id, struct paypal_capture *out,
                             struct paypal_result *res)
{
    struct paypal_batch_item it = {.kind = PAYPAL_BATCH_CAPTURE,
                                   .id = authorization_id,
                                   .request_id = request_id,
                                   .has_amount = amount != NULL,
                                   .final_capture = final_capture};
    if (amount != NULL)
        it.amount = *amount;
    enum rma_err err = single(pc, &it, res);
    if (err == RMA_OK)
        *out = it.out.capture;
    return err;
}

enum rma_err
paypal_reauthorize(struct paypal_client *pc, const char *authorization_id,
                   const struct money *amount, const char *request_id,
                   struct paypal_authorization *out, struct paypal_result *res)
{
    struct paypal_batch_item it = {.kind = PAYPAL_BATCH_REAUTHORIZE,
                                   .id = authorization_id,
                                   .request_id = request_id,
                                   .has_amount = amount != NULL};
    if (amount != NULL)
        it.amount = *amount;
    enum rma_err err = single(pc, &it, res);
    if (err == RMA_OK)
        *out = it.out.authorization;
    return err;
}

enum rma_err
paypal_void_authorization(struct paypal_client *pc,
                          const char *authorization_id, const char *request_id,
                          struct paypal_authorization *out,
                          struct paypal_result *res)
{
    struct paypal_batch_item it = {.kind = PAYPAL_BATCH_VOID,
                                   .id = authorization_id,
                                   .request_id = request_id};
    enum rma_err err = single(pc, &it, res);
    if (err == RMA_OK && out != NULL)
        *out = it.out.authorization;
    return err;
}

enum rma_err
paypal_refund_capture(struct paypal_client *pc, const char *capture_id,
                      const struct money *amount, const char *note_to_payer,
                      const char *request_id, struct paypal_refund *out,
                      struct paypal_result *res)
{
    if (note_to_payer != NULL) {
        /* The batch has no note; a refund with a note is built here. */
        if (res != NULL)
            memset(res, 0, sizeof(*res));
        if (!text_ok(note_to_payer, 255) || !id_valid(capture_id) ||
            !paypal_request_id_valid(request_id) ||
            (amount != NULL && !money_ok(amount)))
            return RMA_EINVAL;
        json_t *body = json_pack("{s:s}", "note_to_payer", note_to_payer);
        if (amount != NULL)
            json_object_set_new(body, "amount", money_json(amount));
        struct exch x = {.op = "captures_refund",
                         .method = "POST",
                         .request_id = request_id,
                         .prefer_representation = true,
                         .body = dump(body)};
        enum rma_err err = x.body == NULL
                               ? RMA_EINTERNAL
                               : exch_url(pc, &x, "/v2/payments/captures/",
                                          capture_id, "/refund");
        if (err == RMA_OK) {
            err = run_one(pc, &x, res);
            if (err == RMA_OK)
                err = paypal_parse_refund(x.resp.body.data, out);
        }
        exch_free(&x);
        return err;
    }
    struct paypal_batch_item it = {.kind = PAYPAL_BATCH_REFUND,
                                   .id = capture_id,
                                   .request_id = request_id,
                                   .has_amount = amount != NULL};
    if (amount != NULL)
        it.amount = *amount;
    enum rma_err err = single(pc, &it, res);
    if (err == RMA_OK)
        *out = it.out.refund;
    return err;
}

static enum rma_err
get_resource(struct paypal_client *pc, const char *op, const char *base,
             const char *id, struct exch *x, struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    memset(x, 0, sizeof(*x));
    if (!id_valid(id))
        return RMA_EINVAL;
    x->op = op;
    x->method = "GET";
    enum rma_err err = exch_url(pc, x, base, id, NULL);
    return err == RMA_OK ? run_one(pc, x, res) : err;
}

enum rma_err
paypal_capture_get(struct paypal_client *pc, const char *capture_id,
                   struct paypal_capture *out, struct paypal_result *res)
{
    struct exch x;
    enum rma_err err = get_resource(
        pc, "captures_get", "/v2/payments/captures/", capture_id, &x, res);
    if (err == RMA_OK)
        err = paypal_parse_capture(x.resp.body.data, out);
    exch_free(&x);
    return err;
}

enum rma_err
paypal_refund_get(struct paypal_client *pc, const char *refund_id,
                  struct paypal_refund *out, struct paypal_result *res)
{
    struct exch x;
    enum rma_err err = get_resource(pc, "refunds_get", "/v2/payments/refunds/",
                                    refund_id, &x, res);
    if (err == RMA_OK)
        err = paypal_parse_refund(x.resp.body.data, out);
    exch_free(&x);
    return err;
}

/* Appends &key=value with value percent-encoded (RFC 3986 unreserved kept). */
static enum rma_err
query_param(struct buf *b, const char *key, const char *value)
{
    enum rma_err err = buf_printf(b, "%s%s=", b->len ? "&" : "", key);
    for (const unsigned char *p = (const unsigned char *)value;
         err == RMA_OK && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
            *p == '~')
            err = buf_append(b, p, 1);
        else
            err = buf_printf(b, "%%%02X", *p);
    }
    return err;
}

static void
format_time(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum rma_err
paypal_search_transactions(struct paypal_client *pc,
                           const struct paypal_search_query *q,
                           struct paypal_search_result *out,
                           struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    memset(out, 0, sizeof(*out));
    int page = q->page ? q->page : 1;
    int size = q->page_size ? q->page_size : 100;
    if (q->start >= q->end || q->end - q->start > 31L * 86400 || page < 1 ||
        size < 1 || size > 500 ||
        (q->transaction_id != NULL && !id_valid(q->transaction_id)))
        return RMA_EINVAL;
    char start[32], end[32], num[16];
    format_time(q->start, start, sizeof(start));
    format_time(q->end, end, sizeof(end));
    struct buf qs;
    buf_init(&qs, 2048);
    enum rma_err err = query_param(&qs, "start_date", start);
    if (err == RMA_OK)
        err = query_param(&qs, "end_date", end);
    if (err == RMA_OK && q->transaction_id != NULL)
        err = query_param(&qs, "transaction_id", q->transaction_id);
    if (err == RMA_OK)
        /* Only what reconciliation reads: the amount, status and dates,
         * and the payer (not cart, shipping, auction or store data). */
        err = query_param(&qs, "fields", "transaction_info,payer_info");
    snprintf(num, sizeof(num), "%d", size);
    if (err == RMA_OK)
        err = query_param(&qs, "page_size", num);
    snprintf(num, sizeof(num), "%d", page);
    if (err == RMA_OK)
        err = query_param(&qs, "page", num);
    struct exch x = {.op = "transactions_search", .method = "GET"};
    if (err == RMA_OK)
        err = exch_url(pc, &x, "/v1/reporting/transactions?", qs.data, NULL);
    buf_free(&qs);
    if (err == RMA_OK) {
        err = run_one(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_search(x.resp.body.data, out);
    }
    exch_free(&x);
    return err;
}

/* For paypal_webhook.c: an authenticated JSON POST without request id. */
enum rma_err
paypal_post_json(struct paypal_client *pc, const char *op, const char *path,
                 const char *body, char **answer, struct paypal_result *res)
{
    *answer = NULL;
    struct exch x = {.op = op, .method = "POST", .body = strdup(body)};
    enum rma_err err =
        x.body == NULL ? RMA_EINTERNAL : exch_url(pc, &x, path, NULL, NULL);
    if (err == RMA_OK) {
        err = run_one(pc, &x, res);
        if (err == RMA_OK) {
            *answer = x.resp.body.data ? strdup(x.resp.body.data) : NULL;
            if (*answer == NULL)
                err = RMA_EUPSTREAM;
        }
    }
    exch_free(&x);
    return err;
}
