/* fuzz_paypal_responses.c - libFuzzer target: the parsers of PayPal's
 * answers (include/rma/paypal.h): orders, authorizations, captures,
 * refunds, transaction searches, error bodies, times and request ids.
 *
 * Input: "<kind>\n<body>", kind one of order, authorization, capture,
 * refund, search, error, time, request_id (any other first line picks one
 * by hash).  The body is what PayPal would send.
 *
 * Invariants: a parse either fails with RMA_EUPSTREAM or yields strings
 * terminated inside their buffers and amounts in a supported currency that
 * format and parse back to themselves; an error body never overflows the
 * result's fields; a parsed time formats back to the instant it named. */
#include "fuzz.h"
#include "rma/paypal.h"

enum kind {
    K_ORDER,
    K_AUTHORIZATION,
    K_CAPTURE,
    K_REFUND,
    K_SEARCH,
    K_ERROR,
    K_TIME,
    K_REQUEST_ID,
    NKINDS
};
static const char *const kind_names[NKINDS] = {
    "order",  "authorization", "capture", "refund",
    "search", "error",         "time",    "request_id",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    return 0;
}

#define TERMINATED(field) FUZZ_ASSERT(memchr((field), '\0', sizeof(field)))

/* Empty (absent) or a supported currency whose amount round-trips. */
static void
check_money(const struct money *m)
{
    TERMINATED(m->currency);
    if (m->currency[0] == '\0') {
        FUZZ_ASSERT(m->minor == 0);
        return;
    }
    FUZZ_ASSERT(money_exponent(m->currency) >= 0);
    char text[MONEY_TEXT_MAX];
    FUZZ_ASSERT(paypal_money_value(m, text) == RMA_OK);
    struct money back;
    FUZZ_ASSERT(paypal_money_parse(text, m->currency, &back) == RMA_OK);
    FUZZ_ASSERT(back.minor == m->minor);
}

static void
check_authorization(const struct paypal_authorization *a)
{
    TERMINATED(a->id);
    TERMINATED(a->status);
    TERMINATED(a->status_reason);
    TERMINATED(a->create_time);
    TERMINATED(a->update_time);
    TERMINATED(a->expiration_time);
    TERMINATED(a->order_id);
    check_money(&a->amount);
    time_t t;
    if (a->create_time[0] == '\0' ||
        paypal_parse_time(a->create_time, &t) != RMA_OK)
        FUZZ_ASSERT(a->created == 0);
    else
        FUZZ_ASSERT(a->created == t);
    if (a->expiration_time[0] == '\0' ||
        paypal_parse_time(a->expiration_time, &t) != RMA_OK)
        FUZZ_ASSERT(a->expiration == 0);
    else
        FUZZ_ASSERT(a->expiration == t);
}

static void
check_order(const char *body)
{
    struct paypal_order o;
    enum rma_err err = paypal_parse_order(body, &o);
    if (err != RMA_OK) {
        FUZZ_ASSERT(err == RMA_EUPSTREAM);
        return;
    }
    TERMINATED(o.id);
    TERMINATED(o.status);
    TERMINATED(o.intent);
    TERMINATED(o.approve_url);
    TERMINATED(o.payer_id);
    TERMINATED(o.payer_email);
    if (o.has_amount)
        check_money(&o.amount);
    else
        FUZZ_ASSERT(o.amount.currency[0] == '\0');
    if (o.has_authorization) {
        check_authorization(&o.authorization);
        FUZZ_ASSERT(o.authorization.order_id[0] != '\0' || o.id[0] == '\0');
    }
}

static void
check_capture(const char *body)
{
    struct paypal_capture c;
    enum rma_err err = paypal_parse_capture(body, &c);
    if (err != RMA_OK) {
        FUZZ_ASSERT(err == RMA_EUPSTREAM);
        return;
    }
    TERMINATED(c.id);
    TERMINATED(c.status);
    TERMINATED(c.status_reason);
    TERMINATED(c.create_time);
    TERMINATED(c.authorization_id);
    check_money(&c.amount);
    if (c.has_breakdown) {
        check_money(&c.gross);
        check_money(&c.fee);
        check_money(&c.net);
    }
}

static void
check_refund(const char *body)
{
    struct paypal_refund r;
    enum rma_err err = paypal_parse_refund(body, &r);
    if (err != RMA_OK) {
        FUZZ_ASSERT(err == RMA_EUPSTREAM);
        return;
    }
    TERMINATED(r.id);
    TERMINATED(r.status);
    TERMINATED(r.status_reason);
    TERMINATED(r.create_time);
    TERMINATED(r.capture_id);
    FUZZ_ASSERT(strchr(r.capture_id, '/') == NULL);
    FUZZ_ASSERT(strchr(r.capture_id, '?') == NULL);
    check_money(&r.amount);
    if (r.has_breakdown) {
        check_money(&r.fee);
        check_money(&r.net);
        check_money(&r.total_refunded);
    }
}

static void
check_search(const char *body)
{
    struct paypal_search_result s;
    enum rma_err err = paypal_parse_search(body, &s);
    if (err != RMA_OK) {
        FUZZ_ASSERT(err == RMA_EUPSTREAM);
        FUZZ_ASSERT(s.items == NULL && s.n == 0);
        return;
    }
    FUZZ_ASSERT(s.n == 0 || s.items != NULL);
    FUZZ_ASSERT(s.page >= 0 && s.total_pages >= 0 && s.total_items >= 0);
    TERMINATED(s.last_refreshed);
    for (size_t i = 0; i < s.n; i++) {
        const struct paypal_transaction *t = &s.items[i];
        TERMINATED(t->transaction_id);
        TERMINATED(t->paypal_reference_id);
        TERMINATED(t->event_code);
        TERMINATED(t->status);
        TERMINATED(t->initiation_date);
        TERMINATED(t->updated_date);
        TERMINATED(t->invoice_id);
        TERMINATED(t->custom_field);
        TERMINATED(t->payer_account_id);
        TERMINATED(t->payer_email);
        TERMINATED(t->payer_name);
        FUZZ_ASSERT(t->amount.currency[0] != '\0');
        check_money(&t->amount);
        if (t->has_fee)
            check_money(&t->fee);
    }
    paypal_search_result_free(&s);
    FUZZ_ASSERT(s.items == NULL && s.n == 0);
}

static void
check_error(const char *body)
{
    struct paypal_result r;
    memset(&r, 0, sizeof(r));
    paypal_parse_error(body, &r);
    TERMINATED(r.name);
    TERMINATED(r.issue);
    TERMINATED(r.message);
    TERMINATED(r.debug_id);
    FUZZ_ASSERT(r.body == NULL && r.http_status == 0);
    /* Whatever it says, a status maps to one error of the vocabulary. */
    for (int status = 399; status <= 600; status += 1) {
        enum rma_err e = paypal_err_for_status(status, r.issue);
        FUZZ_ASSERT(e > RMA_OK && e <= RMA_EINTERNAL);
    }
    FUZZ_ASSERT(paypal_err_for_status(200, r.issue) == RMA_OK);
}

static void
check_time(const char *s)
{
    time_t t;
    if (paypal_parse_time(s, &t) != RMA_OK)
        return;
    /* The date and clock fields it named, read back in UTC with the
     * offset applied, are the ones written (for in-range fields). */
    struct tm tm;
    FUZZ_ASSERT(gmtime_r(&t, &tm) != NULL);
    size_t n = strlen(s);
    FUZZ_ASSERT(n >= 20);
    const char *zone = s + 19;
    if (*zone == '.')
        zone += 1 + strspn(zone + 1, "0123456789");
    if (*zone == 'Z' || *zone == 'z') {
        int day = (s[8] - '0') * 10 + (s[9] - '0');
        int sec = (s[17] - '0') * 10 + (s[18] - '0');
        if (day <= 28 && sec <= 59) { /* no calendar or leap-second rollover */
            FUZZ_ASSERT(tm.tm_mday == day);
            FUZZ_ASSERT(tm.tm_sec == sec);
            FUZZ_ASSERT(tm.tm_min == (s[14] - '0') * 10 + (s[15] - '0'));
            FUZZ_ASSERT(tm.tm_hour == (s[11] - '0') * 10 + (s[12] - '0'));
            FUZZ_ASSERT(tm.tm_mon + 1 == (s[5] - '0') * 10 + (s[6] - '0'));
            FUZZ_ASSERT(tm.tm_year + 1900 ==
                        (s[0] - '0') * 1000 + (s[1] - '0') * 100 +
                            (s[2] - '0') * 10 + (s[3] - '0'));
        }
    }
}

static void
check_request_id(const char *s)
{
    int want = strlen(s) >= 1 && strlen(s) <= PAYPAL_REQUEST_ID_MAX;
    for (const char *p = s; want && *p; p++)
        want = *p > ' ' && *p <= '~';
    FUZZ_ASSERT(paypal_request_id_valid(s) == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_take_line(&data, &size);
    int k = -1;
    for (int i = 0; i < NKINDS; i++)
        if (strcmp(name, kind_names[i]) == 0)
            k = i;
    if (k < 0) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *p = name; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        k = (int)(h % NKINDS);
    }
    free(name);
    char *body = fuzz_strndup(data, size);

    switch ((enum kind)k) {
    case K_ORDER: check_order(body); break;
    case K_AUTHORIZATION: {
        struct paypal_authorization a;
        enum rma_err err = paypal_parse_authorization(body, &a);
        FUZZ_ASSERT(err == RMA_OK || err == RMA_EUPSTREAM);
        if (err == RMA_OK)
            check_authorization(&a);
        break;
    }
    case K_CAPTURE: check_capture(body); break;
    case K_REFUND: check_refund(body); break;
    case K_SEARCH: check_search(body); break;
    case K_ERROR: check_error(body); break;
    case K_TIME: check_time(body); break;
    case K_REQUEST_ID: check_request_id(body); break;
    case NKINDS: break;
    }
    free(body);
    return 0;
}
