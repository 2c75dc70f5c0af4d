/* paypal_search.c - Transaction Search (SPEC §5.5, §5.7): one page of a
 * bounded window, with only the fields reconciliation reads. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "paypal_internal.h"
#include "rma/buf.h"

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
        (q->transaction_id != NULL && !paypal_id_valid(q->transaction_id)))
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
        err = paypal_exch_url(pc, &x, "/v1/reporting/transactions?", qs.data,
                              NULL);
    buf_free(&qs);
    if (err == RMA_OK) {
        err = paypal_exch_run(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_search(x.resp.body.data, out);
    }
    paypal_exch_free(&x);
    return err;
}
