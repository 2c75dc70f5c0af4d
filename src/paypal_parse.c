/* paypal_parse.c - PayPal's answers (JSON) into the plain structs of
 * paypal.h: orders, authorizations, captures, refunds, Transaction Search
 * results.  No I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paypal_internal.h"

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
        paypal_copy_text(out->approve_url, sizeof(out->approve_url), href);
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
                paypal_copy_text(out->authorization.order_id,
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

json_t *
paypal_json_load(const char *s)
{
    return s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
}

enum rma_err
paypal_parse_order(const char *s, struct paypal_order *out)
{
    json_t *j = paypal_json_load(s);
    enum rma_err err = order_from(j, out);
    json_decref(j);
    return err;
}

enum rma_err
paypal_parse_authorization(const char *s, struct paypal_authorization *out)
{
    json_t *j = paypal_json_load(s);
    enum rma_err err = authorization_from(j, out);
    json_decref(j);
    return err;
}

enum rma_err
paypal_parse_capture(const char *s, struct paypal_capture *out)
{
    json_t *j = paypal_json_load(s);
    enum rma_err err = capture_from(j, out);
    json_decref(j);
    return err;
}

enum rma_err
paypal_parse_refund(const char *s, struct paypal_refund *out)
{
    json_t *j = paypal_json_load(s);
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
    json_t *j = paypal_json_load(s);
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
