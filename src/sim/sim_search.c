/* sim_search.c - Transaction Search (NOTES §9) and the customer payments
 * that tests create with POST /sim/payments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/money.h"
#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"

#define MAX_RANGE_SECONDS (31 * 86400)
#define MAX_RESULTS 10000

/* The reporting API's 400: "Invalid request - see details.", no links. */
static void
search_error(struct sim_response *rs, const char *issue, const char *field,
             const char *value, const char *message)
{
    json_t *detail =
        json_pack("{s:s, s:s}", "issue", issue, "location", "query");
    if (field != NULL)
        sim_set_str(detail, "field", field);
    if (value != NULL)
        sim_set_str(detail, "value", value);
    sim_reply_json(rs, 400,
                   json_pack("{s:s, s:s, s:s, s:[o], s:[]}", "name",
                             "INVALID_REQUEST", "message",
                             message != NULL ? message
                                             : "Invalid request - see "
                                               "details.",
                             "debug_id", rs->debug_id, "details", detail,
                             "links"));
}

static bool
parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    if (s == NULL || *s == '\0')
        return false;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* fields=all or a comma-separated list: does it ask for name? */
static bool
wants(const char *fields, const char *name)
{
    if (fields == NULL)
        return strcmp(name, "transaction_info") == 0;
    if (strcmp(fields, "all") == 0)
        return true;
    size_t n = strlen(name);
    for (const char *p = fields; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = end != NULL ? end + 1 : NULL;
    }
    return false;
}

static json_t *
row_json(const json_t *row, const char *fields)
{
    char initiated[32], updated[32];
    const char *currency = sim_jstr(row, "currency");
    sim_time_search(sim_jint(row, "time"), initiated, sizeof(initiated));
    sim_time_search(sim_jint(row, "updated"), updated, sizeof(updated));
    json_t *detail = json_object();
    if (wants(fields, "transaction_info")) {
        json_t *info = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}",
            "paypal_account_id",
            sim_jstr(row, "payer_account_id") != NULL
                ? sim_jstr(row, "payer_account_id")
                : "",
            "transaction_id", sim_jstr(row, "transaction_id"),
            "transaction_event_code", sim_jstr(row, "event_code"),
            "transaction_initiation_date", initiated,
            "transaction_updated_date", updated, "transaction_amount",
            sim_money_json(sim_jint(row, "amount_minor"), currency),
            "fee_amount", sim_money_json(sim_jint(row, "fee_minor"), currency),
            "transaction_status", sim_jstr(row, "status"),
            "protection_eligibility", "02");
        const char *ref = sim_jstr(row, "reference_id");
        if (ref != NULL) {
            sim_set_str(info, "paypal_reference_id", ref);
            sim_set_str(info, "paypal_reference_id_type",
                        strlen(ref) == SIM_ID_LEN ? "TXN" : "ODR");
        }
        if (sim_jstr(row, "note") != NULL) {
            sim_set_str(info, "transaction_note", sim_jstr(row, "note"));
            sim_set_str(info, "transaction_subject", sim_jstr(row, "note"));
        }
        if (sim_jstr(row, "invoice_id") != NULL)
            sim_set_str(info, "invoice_id", sim_jstr(row, "invoice_id"));
        if (sim_jstr(row, "custom_field") != NULL)
            sim_set_str(info, "custom_field", sim_jstr(row, "custom_field"));
        if (info != NULL && sim_jstr(info, "paypal_account_id")[0] == '\0')
            json_object_del(info, "paypal_account_id");
        json_object_set_new(detail, "transaction_info", info);
    }
    if (wants(fields, "payer_info")) {
        json_t *payer = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s}", "email_address",
            sim_jstr(row, "payer_email") != NULL ? sim_jstr(row, "payer_email")
                                                 : "",
            "address_status", "Y", "payer_name", "given_name", "Sim", "surname",
            "Buyer", "alternate_full_name", "Sim Buyer", "payer_status", "Y",
            "country_code", "US");
        const char *account = sim_jstr(row, "payer_account_id");
        if (account != NULL && *account != '\0')
            sim_set_str(payer, "account_id", account);
        json_object_set_new(detail, "payer_info", payer);
    }
    static const char *const empty[] = {"shipping_info", "cart_info",
                                        "store_info", "auction_info",
                                        "incentive_info"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        if (wants(fields, empty[i]) && fields != NULL)
            json_object_set_new(detail, empty[i], json_object());
    return detail;
}

/* "[500 TO 1005]" in minor units. */
static bool
parse_amount_range(const char *s, int64_t *lo, int64_t *hi)
{
    long long a, b;
    char close;
    if (sscanf(s, "[%lld TO %lld%c", &a, &b, &close) != 3 || close != ']')
        return false;
    *lo = a;
    *hi = b;
    return true;
}

void
sim_search_transactions(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    const char *start_text = sim_jstr(rq->query, "start_date");
    const char *end_text = sim_jstr(rq->query, "end_date");
    int64_t start, end;
    if (start_text == NULL || end_text == NULL) {
        search_error(rs, "MISSING_REQUIRED_PARAMETER",
                     start_text == NULL ? "start_date" : "end_date", NULL,
                     NULL);
        return;
    }
    if (sim_time_parse(start_text, &start) != 0) {
        search_error(rs, "INVALID_PARAMETER_SYNTAX", "start_date", start_text,
                     NULL);
        return;
    }
    if (sim_time_parse(end_text, &end) != 0) {
        search_error(rs, "INVALID_PARAMETER_SYNTAX", "end_date", end_text,
                     NULL);
        return;
    }
    if (end < start) {
        search_error(rs, "end_date must be after start_date", "end_date",
                     end_text, NULL);
        return;
    }
    if (end - start > MAX_RANGE_SECONDS) {
        search_error(rs, "Date range is greater than 31 days", "end_date",
                     end_text, NULL);
        return;
    }
    long page = 1, page_size = 100;
    const char *page_text = sim_jstr(rq->query, "page");
    const char *size_text = sim_jstr(rq->query, "page_size");
    if (page_text != NULL && !parse_int(page_text, 1, 2147483647, &page)) {
        search_error(rs, "INVALID_PARAMETER_VALUE", "page", page_text, NULL);
        return;
    }
    if (size_text != NULL && !parse_int(size_text, 1, 500, &page_size)) {
        search_error(rs, "INVALID_PARAMETER_VALUE", "page_size", size_text,
                     NULL);
        return;
    }
    int64_t now = sim_now(s);
    int64_t refreshed = now - s->config.search_latency_seconds;
    if (start > refreshed) {
        search_error(rs, "INVALID_REQUEST", "start_date", start_text,
                     "Data for the given start date is not available.");
        return;
    }
    int64_t lo = 0, hi = 0;
    const char *range = sim_jstr(rq->query, "transaction_amount");
    if (range != NULL && !parse_amount_range(range, &lo, &hi)) {
        search_error(rs, "INVALID_PARAMETER_SYNTAX", "transaction_amount",
                     range, NULL);
        return;
    }
    const char *want_id = sim_jstr(rq->query, "transaction_id");
    const char *want_status = sim_jstr(rq->query, "transaction_status");
    const char *want_type = sim_jstr(rq->query, "transaction_type");
    const char *want_currency = sim_jstr(rq->query, "transaction_currency");
    const char *fields = sim_jstr(rq->query, "fields");
    json_t *matches = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(sim_transactions(s), i, row)
    {
        int64_t t = sim_jint(row, "time");
        /* The merchant's credentials see the merchant's side only. */
        if (strcmp(sim_jstr(row, "side"), "seller") != 0)
            continue;
        if (sim_jint(row, "recorded") > refreshed || t > refreshed)
            continue;
        if (t < start || t > end)
            continue;
        if (want_id != NULL &&
            strcmp(want_id, sim_jstr(row, "transaction_id")) != 0)
            continue;
        if (want_status != NULL &&
            strcmp(want_status, sim_jstr(row, "status")) != 0)
            continue;
        if (want_type != NULL &&
            strcmp(want_type, sim_jstr(row, "event_code")) != 0)
            continue;
        if (want_currency != NULL &&
            strcmp(want_currency, sim_jstr(row, "currency")) != 0)
            continue;
        int64_t amount = sim_jint(row, "amount_minor");
        if (range != NULL && (amount < lo || amount > hi))
            continue;
        json_array_append(matches, row);
    }
    size_t total = json_array_size(matches);
    if (total > MAX_RESULTS) {
        json_decref(matches);
        search_error(rs, "RESULTSET_TOO_LARGE", NULL, NULL,
                     "Result set size is greater than the maximum limit. "
                     "Change the filter criteria and try again.");
        return;
    }
    size_t total_pages = (total + (size_t)page_size - 1) / (size_t)page_size;
    json_t *details = json_array();
    size_t first = (size_t)(page - 1) * (size_t)page_size;
    for (size_t k = first; k < total && k < first + (size_t)page_size; k++)
        json_array_append_new(details,
                              row_json(json_array_get(matches, k), fields));
    json_decref(matches);
    char start_out[32], end_out[32], refreshed_out[32];
    sim_time_search(start, start_out, sizeof(start_out));
    sim_time_search(end < refreshed ? end : refreshed, end_out,
                    sizeof(end_out));
    sim_time_search(refreshed, refreshed_out, sizeof(refreshed_out));
    char self[1024];
    snprintf(self, sizeof(self),
             "%s/v1/reporting/transactions?start_date=%s&end_date=%s"
             "&page_size=%ld&page=%ld",
             s->public_url, start_text, end_text, page_size, page);
    json_t *body = json_pack(
        "{s:o, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:[{s:s, s:s, s:s}]}",
        "transaction_details", details, "account_number", SIM_MERCHANT_ID,
        "start_date", start_out, "end_date", end_out, "last_refreshed_datetime",
        refreshed_out, "page", (json_int_t)page, "total_items",
        (json_int_t)total, "total_pages", (json_int_t)total_pages, "links",
        "href", self, "rel", "self", "method", "GET");
    sim_reply_json(rs, 200, body);
}

void
sim_control_payments(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *amount = json_object_get(rq->json, "amount");
    const char *email = sim_jstr(rq->json, "payer_email");
    const char *status = sim_jstr(rq->json, "status");
    const char *time_text = sim_jstr(rq->json, "time");
    const char *note = sim_jstr(rq->json, "note");
    int64_t minor, t = sim_now(s);
    char currency[4];
    struct sim_money_check check;
    if (!json_is_object(rq->json) || email == NULL) {
        sim_reply_sim_error(rs, 400, "amount and payer_email are required");
        return;
    }
    if (!sim_money_parse(amount, &minor, currency, &check)) {
        sim_reply_sim_error(rs, 400, check.issue);
        return;
    }
    if (status == NULL)
        status = "S";
    if (strcmp(status, "S") != 0 && strcmp(status, "P") != 0 &&
        strcmp(status, "V") != 0 && strcmp(status, "D") != 0) {
        sim_reply_sim_error(rs, 400, "status must be S, P, V or D");
        return;
    }
    if (time_text != NULL && sim_time_parse(time_text, &t) != 0) {
        sim_reply_sim_error(rs, 400, "time must be ISO-8601");
        return;
    }
    char seller_id[SIM_ID_LEN + 1], buyer_id[SIM_ID_LEN + 1], payer_id[14];
    sim_random_id(seller_id, SIM_ID_LEN);
    sim_random_id(buyer_id, SIM_ID_LEN);
    sim_random_account_id(payer_id);
    int64_t fee = strcmp(status, "S") == 0 ? sim_fee(s, minor) : 0;
    if (fee > minor)
        fee = minor;
    json_t *seller = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s}",
        "transaction_id", seller_id, "side", "seller", "counterpart_id",
        buyer_id, "event_code", "T0000", "time", (json_int_t)t, "updated",
        (json_int_t)t, "amount_minor", (json_int_t)minor, "fee_minor",
        (json_int_t)-fee, "currency", currency, "status", status, "payer_email",
        email, "payer_account_id", payer_id);
    if (note != NULL)
        sim_set_str(seller, "note", note);
    json_t *buyer = json_deep_copy(seller);
    sim_set_str(buyer, "transaction_id", buyer_id);
    sim_set_str(buyer, "side", "buyer");
    sim_set_str(buyer, "counterpart_id", seller_id);
    sim_set_int(buyer, "amount_minor", -minor);
    sim_set_int(buyer, "fee_minor", 0);
    sim_add_transaction(s, seller);
    sim_add_transaction(s, buyer);
    json_t *body = json_pack("{s:s, s:s}", "seller_transaction_id", seller_id,
                             "buyer_transaction_id", buyer_id);
    /* A completed payment is a capture the merchant can refund; its id is
     * the merchant's transaction id, as for API captures. */
    if (strcmp(status, "S") == 0) {
        sim_payments_customer_capture(seller_id, minor, fee, currency, payer_id,
                                      email, t, note);
        sim_set_str(body, "capture_id", seller_id);
    }
    sim_reply_json(rs, 201, body);
}
