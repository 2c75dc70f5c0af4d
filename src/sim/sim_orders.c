/* sim_orders.c - Orders v2 (intent AUTHORIZE) and the buyer approval page. */
#include <stdio.h>
#include <string.h>

#include "rma/buf.h"
#include "rma/money.h"
#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"
#include "sim/sim_webhooks.h"

static json_t *
hateoas(const char *href, const char *rel, const char *method)
{
    return json_pack("{s:s, s:s, s:s}", "href", href, "rel", rel, "method",
                     method);
}

static json_t *
order_links(const json_t *order)
{
    struct sim *s = g_sim;
    const char *id = sim_jstr(order, "id");
    const char *status = sim_jstr(order, "status");
    char self[512], approve[512], action[1024];
    snprintf(self, sizeof(self), "%s/v2/checkout/orders/%s", s->public_url, id);
    snprintf(approve, sizeof(approve), "%s/checkoutnow?token=%s", s->public_url,
             id);
    bool authorize = strcmp(sim_jstr(order, "intent"), "AUTHORIZE") == 0;
    snprintf(action, sizeof(action), "%s/%s", self,
             authorize ? "authorize" : "capture");
    json_t *links = json_array();
    json_array_append_new(links, hateoas(self, "self", "GET"));
    if (strcmp(status, "PAYER_ACTION_REQUIRED") == 0) {
        json_array_append_new(links, hateoas(approve, "payer-action", "GET"));
    } else if (strcmp(status, "CREATED") == 0) {
        json_array_append_new(links, hateoas(approve, "approve", "GET"));
        json_array_append_new(links, hateoas(self, "update", "PATCH"));
        json_array_append_new(
            links,
            hateoas(action, authorize ? "authorize" : "capture", "POST"));
    } else if (strcmp(status, "APPROVED") == 0) {
        json_array_append_new(links, hateoas(self, "update", "PATCH"));
        json_array_append_new(
            links,
            hateoas(action, authorize ? "authorize" : "capture", "POST"));
    }
    return links;
}

/* The authorizations and captures of an order, for purchase_units[0]. */
static json_t *
order_payments(const json_t *order)
{
    struct sim *s = g_sim;
    const char *order_id = sim_jstr(order, "id");
    json_t *auths = json_array();
    json_t *caps = json_array();
    const char *key;
    json_t *rec;
    json_object_foreach(sim_authorizations(s), key, rec)
    {
        if (strcmp(sim_jstr(rec, "order_id"), order_id) == 0)
            json_array_append_new(auths, sim_payments_authorization_json(rec));
    }
    json_object_foreach(sim_captures(s), key, rec)
    {
        if (strcmp(sim_jstr(rec, "order_id"), order_id) == 0)
            json_array_append_new(caps, sim_payments_capture_json(rec));
    }
    if (json_array_size(auths) == 0 && json_array_size(caps) == 0) {
        json_decref(auths);
        json_decref(caps);
        return NULL;
    }
    json_t *payments = json_object();
    if (json_array_size(auths) > 0)
        json_object_set_new(payments, "authorizations", auths);
    else
        json_decref(auths);
    if (json_array_size(caps) > 0)
        json_object_set_new(payments, "captures", caps);
    else
        json_decref(caps);
    return payments;
}

json_t *
sim_orders_json(const json_t *order, bool full)
{
    json_t *body = json_pack("{s:s, s:s}", "id", sim_jstr(order, "id"),
                             "status", sim_jstr(order, "status"));
    if (full) {
        char created[32], updated[32];
        sim_time_iso(sim_jint(order, "created"), created, sizeof(created));
        sim_time_iso(sim_jint(order, "updated"), updated, sizeof(updated));
        json_object_set_new(body, "intent",
                            json_string(sim_jstr(order, "intent")));
        json_t *units =
            json_deep_copy(json_object_get(order, "purchase_units"));
        size_t i;
        json_t *unit;
        json_array_foreach(units, i, unit)
        {
            json_object_set_new(unit, "payee",
                                json_pack("{s:s, s:s}", "email_address",
                                          SIM_MERCHANT_EMAIL, "merchant_id",
                                          SIM_MERCHANT_ID));
            if (i == 0) {
                json_t *payments = order_payments(order);
                if (payments != NULL)
                    json_object_set_new(unit, "payments", payments);
            }
        }
        json_object_set_new(body, "purchase_units", units);
        const char *payer_id = sim_jstr(order, "payer_id");
        if (payer_id != NULL && sim_jbool(order, "approved")) {
            json_t *name = json_pack("{s:s, s:s}", "given_name", "Sim",
                                     "surname", "Buyer");
            json_object_set_new(body, "payer",
                                json_pack("{s:O, s:s, s:s, s:{s:s}}", "name",
                                          name, "email_address",
                                          sim_jstr(order, "payer_email"),
                                          "payer_id", payer_id, "address",
                                          "country_code", "US"));
            json_object_set_new(
                body, "payment_source",
                json_pack("{s:{s:s, s:s, s:s, s:O, s:{s:s}}}", "paypal",
                          "email_address", sim_jstr(order, "payer_email"),
                          "account_id", payer_id, "account_status", "VERIFIED",
                          "name", name, "address", "country_code", "US"));
            json_decref(name);
        }
        json_object_set_new(body, "create_time", json_string(created));
        json_object_set_new(body, "update_time", json_string(updated));
    }
    json_object_set_new(body, "links", order_links(order));
    return body;
}

/* Checks a string field's length; answers 400 and returns false if bad. */
static bool
check_length(struct sim_response *rs, const json_t *o, const char *key,
             size_t max, const char *prefix)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return true;
    const char *s = json_string_value(v);
    char field[128];
    snprintf(field, sizeof(field), "%s/%s", prefix, key);
    if (s == NULL) {
        sim_reply_error(rs, 400, "INVALID_PARAMETER_SYNTAX",
                        "The value of a field does not conform to the "
                        "expected format.",
                        field, NULL, "body");
        return false;
    }
    if (strlen(s) < 1 || strlen(s) > max) {
        sim_reply_error(rs, 400, "INVALID_STRING_LENGTH",
                        "The value of a field is either too short or too "
                        "long",
                        field, s, "body");
        return false;
    }
    return true;
}

static bool
check_money(struct sim_response *rs, const json_t *amount, const char *prefix,
            int64_t *minor, char currency[4])
{
    struct sim_money_check c;
    if (sim_money_parse(amount, minor, currency, &c))
        return true;
    char field[160];
    snprintf(field, sizeof(field), "%s%s", prefix, c.field_suffix);
    const char *value = sim_jstr(amount, c.field_suffix + 1);
    sim_reply_error(rs, c.status, c.issue, c.description, field, value, "body");
    return false;
}

/* The breakdown must add up to the amount (AMOUNT_MISMATCH). */
static bool
check_breakdown(struct sim_response *rs, const json_t *amount, int64_t total,
                const char *prefix)
{
    static const char *const plus[] = {"item_total", "tax_total", "shipping",
                                       "handling", "insurance"};
    static const char *const minus[] = {"shipping_discount", "discount"};
    json_t *breakdown = json_object_get(amount, "breakdown");
    if (breakdown == NULL)
        return true;
    int64_t sum = 0;
    char p[160], currency[4];
    for (size_t i = 0; i < 7; i++) {
        const char *key = i < 5 ? plus[i] : minus[i - 5];
        json_t *part = json_object_get(breakdown, key);
        if (part == NULL)
            continue;
        int64_t v;
        snprintf(p, sizeof(p), "%s/breakdown/%s", prefix, key);
        if (!check_money(rs, part, p, &v, currency))
            return false;
        sum += i < 5 ? v : -v;
    }
    if (sum != total) {
        snprintf(p, sizeof(p), "%s/value", prefix);
        sim_reply_error(rs, 422, "AMOUNT_MISMATCH",
                        "Should equal item_total + tax_total + shipping + "
                        "handling + insurance - shipping_discount - "
                        "discount.",
                        p, NULL, "body");
        return false;
    }
    return true;
}

void
sim_orders_create(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *req = rq->json;
    if (!json_is_object(req)) {
        sim_reply_error(rs, 400, "MALFORMED_REQUEST_JSON",
                        "The request JSON is not well formed.", NULL, NULL,
                        "body");
        return;
    }
    const char *intent = sim_jstr(req, "intent");
    if (intent == NULL) {
        sim_reply_error(rs, 400, "MISSING_REQUIRED_PARAMETER",
                        "A required field / parameter is missing.", "/intent",
                        NULL, "body");
        return;
    }
    if (strcmp(intent, "AUTHORIZE") != 0 && strcmp(intent, "CAPTURE") != 0) {
        sim_reply_error(rs, 400, "INVALID_PARAMETER_VALUE",
                        "A parameter value is not valid.", "/intent", intent,
                        "body");
        return;
    }
    json_t *units = json_object_get(req, "purchase_units");
    if (!json_is_array(units)) {
        sim_reply_error(rs, 400, "MISSING_REQUIRED_PARAMETER",
                        "A required field / parameter is missing.",
                        "/purchase_units", NULL, "body");
        return;
    }
    if (json_array_size(units) == 0 || json_array_size(units) > 10) {
        bool few = json_array_size(units) == 0;
        sim_reply_error(rs, 400,
                        few ? "INVALID_ARRAY_MIN_ITEMS"
                            : "INVALID_ARRAY_MAX_ITEMS",
                        few ? "The number of items in an array parameter is "
                              "too small."
                            : "The number of items in an array parameter is "
                              "too large.",
                        "/purchase_units", NULL, "body");
        return;
    }
    if (strcmp(intent, "AUTHORIZE") == 0 && json_array_size(units) > 1) {
        sim_reply_error(rs, 422, "UNSUPPORTED_INTENT",
                        "intent=AUTHORIZE is not supported for multiple "
                        "purchase units. Only intent=CAPTURE is supported.",
                        "/intent", intent, "body");
        return;
    }
    char currency[4] = "";
    int64_t first_minor = 0;
    size_t i;
    json_t *unit;
    json_array_foreach(units, i, unit)
    {
        char prefix[64], cur[4];
        int64_t minor;
        snprintf(prefix, sizeof(prefix), "/purchase_units/%zu", i);
        char amount_prefix[80];
        snprintf(amount_prefix, sizeof(amount_prefix), "%s/amount", prefix);
        if (!json_is_object(unit)) {
            sim_reply_error(rs, 400, "INVALID_PARAMETER_SYNTAX",
                            "The value of a field does not conform to the "
                            "expected format.",
                            prefix, NULL, "body");
            return;
        }
        json_t *amount = json_object_get(unit, "amount");
        if (amount == NULL) {
            sim_reply_error(rs, 400, "MISSING_REQUIRED_PARAMETER",
                            "A required field / parameter is missing.",
                            amount_prefix, NULL, "body");
            return;
        }
        if (!check_money(rs, amount, amount_prefix, &minor, cur) ||
            !check_breakdown(rs, amount, minor, amount_prefix) ||
            !check_length(rs, unit, "reference_id", 256, prefix) ||
            !check_length(rs, unit, "description", 127, prefix) ||
            !check_length(rs, unit, "custom_id", 127, prefix) ||
            !check_length(rs, unit, "invoice_id", 127, prefix) ||
            !check_length(rs, unit, "soft_descriptor", 22, prefix))
            return;
        if (i == 0) {
            memcpy(currency, cur, sizeof(currency));
            first_minor = minor;
        } else if (strcmp(cur, currency) != 0) {
            sim_reply_error(rs, 422, "MULTI_CURRENCY_ORDER",
                            "Multiple differing values of currency_code are "
                            "not supported.",
                            amount_prefix, cur, "body");
            return;
        }
    }
    json_t *experience = json_object_get(
        json_object_get(json_object_get(req, "payment_source"), "paypal"),
        "experience_context");
    json_t *app_context = json_object_get(req, "application_context");
    const char *style = s->config.link_style;
    json_t *urls = NULL;
    if (experience != NULL) {
        style = "payer-action";
        urls = experience;
    } else if (app_context != NULL) {
        style = "approve";
        urls = app_context;
    }
    char id[SIM_ID_LEN + 1];
    sim_random_id(id, SIM_ID_LEN);
    int64_t now = sim_now(s);
    json_t *stored_units = json_array();
    json_array_foreach(units, i, unit)
    {
        json_t *copy = json_object();
        static const char *const keep[] = {
            "reference_id", "amount",          "description", "custom_id",
            "invoice_id",   "soft_descriptor", "items"};
        for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
            json_t *v = json_object_get(unit, keep[k]);
            if (v != NULL)
                json_object_set(copy, keep[k], v);
        }
        if (json_object_get(copy, "reference_id") == NULL)
            sim_set_str(copy, "reference_id", "default");
        json_array_append_new(stored_units, copy);
    }
    json_t *order =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:s, s:b}",
                  "id", id, "intent", intent, "status",
                  strcmp(style, "payer-action") == 0 ? "PAYER_ACTION_REQUIRED"
                                                     : "CREATED",
                  "purchase_units", stored_units, "currency", currency,
                  "amount_minor", (json_int_t)first_minor, "created",
                  (json_int_t)now, "updated", (json_int_t)now, "expires",
                  (json_int_t)(now + s->config.order_ttl_seconds), "client_id",
                  rq->client_id, "approved", 0);
    const char *return_url = sim_jstr(urls, "return_url");
    const char *cancel_url = sim_jstr(urls, "cancel_url");
    if (return_url != NULL)
        sim_set_str(order, "return_url", return_url);
    if (cancel_url != NULL)
        sim_set_str(order, "cancel_url", cancel_url);
    json_object_set_new(sim_orders(s), id, order);
    sim_reply_json(rs, 201, sim_orders_json(order, rq->representation));
}

void
sim_orders_get(struct sim_request *rq, struct sim_response *rs)
{
    json_t *order = json_object_get(sim_orders(g_sim), rq->id);
    if (order == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    sim_reply_json(rs, 200, sim_orders_json(order, true));
}

static void
order_issue(struct sim_response *rs, const char *issue, const char *description)
{
    sim_reply_error(rs, 422, issue, description, NULL, NULL, NULL);
}

void
sim_orders_authorize(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    json_t *order = json_object_get(sim_orders(s), rq->id);
    if (order == NULL) {
        sim_reply_not_found(rs, rq->id);
        return;
    }
    const char *status = sim_jstr(order, "status");
    if (strcmp(sim_jstr(order, "intent"), "AUTHORIZE") != 0) {
        order_issue(rs, "ACTION_DOES_NOT_MATCH_INTENT",
                    "Order was created with an intent to 'CAPTURE'. Please "
                    "use v2/checkout/orders/order_id/capture to complete the "
                    "transaction or alternately Create an order with an "
                    "intent of 'AUTHORIZE'.");
        return;
    }
    if (strcmp(status, "COMPLETED") == 0) {
        order_issue(rs, "ORDER_ALREADY_AUTHORIZED",
                    "Order already authorized. If 'intent=AUTHORIZE' only "
                    "one authorization per order is allowed.");
        return;
    }
    if (strcmp(status, "VOIDED") == 0) {
        order_issue(rs, "ORDER_COMPLETED_OR_VOIDED",
                    "Order is voided or completed and hence cannot be "
                    "authorized.");
        return;
    }
    if (sim_now(s) >= sim_jint(order, "expires")) {
        order_issue(rs, "ORDER_EXPIRED", "Order is expired.");
        return;
    }
    if (strcmp(status, "APPROVED") != 0) {
        order_issue(rs, "ORDER_NOT_APPROVED",
                    "Payer has not yet approved the Order for payment. "
                    "Please redirect the payer to the 'rel':'approve' url "
                    "returned as part of the HATEOAS links within the "
                    "Create Order call or provide a valid payment_source in "
                    "the request.");
        return;
    }
    /* The order is COMPLETED whatever the authorization's status: the
     * intent was executed, the payment's status is in purchase_units[]
     * .payments (NOTES §2.1). */
    const char *outcome = sim_outcome_take(s, "authorize");
    json_t *auth = sim_payments_new_authorization(
        order, NULL, sim_jint(order, "amount_minor"),
        outcome != NULL ? outcome : "CREATED");
    sim_set_str(order, "status", "COMPLETED");
    sim_set_int(order, "updated", sim_now(s));
    sim_set_str(order, "authorization_id", sim_jstr(auth, "id"));
    sim_reply_json(rs, 201, sim_orders_json(order, rq->representation));
}

bool
sim_order_approve(const char *order_id, const char **msg)
{
    struct sim *s = g_sim;
    json_t *order = json_object_get(sim_orders(s), order_id);
    if (order == NULL) {
        *msg = "unknown order";
        return false;
    }
    const char *status = sim_jstr(order, "status");
    if (strcmp(status, "CREATED") != 0 &&
        strcmp(status, "PAYER_ACTION_REQUIRED") != 0 &&
        strcmp(status, "APPROVED") != 0) {
        *msg = "the order cannot be approved any more";
        return false;
    }
    if (sim_now(s) >= sim_jint(order, "expires")) {
        *msg = "the order has expired";
        return false;
    }
    if (strcmp(status, "APPROVED") == 0)
        return true;
    if (sim_jstr(order, "payer_id") == NULL) {
        char payer[14], email[64];
        sim_random_account_id(payer);
        snprintf(email, sizeof(email), "buyer-%s@personal.example.com", payer);
        sim_set_str(order, "payer_id", payer);
        sim_set_str(order, "payer_email", email);
    }
    sim_set_str(order, "status", "APPROVED");
    json_object_set_new(order, "approved", json_true());
    sim_set_int(order, "updated", sim_now(s));
    json_t *resource = sim_orders_json(order, true);
    char summary[160];
    snprintf(summary, sizeof(summary), "An order has been approved by buyer");
    sim_webhook_queue(s, "CHECKOUT.ORDER.APPROVED", "checkout-order", summary,
                      resource);
    json_decref(resource);
    return true;
}

static void
html_page(struct sim_response *rs, int status, const char *title,
          const char *content)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    buf_printf(&b,
               "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\">\n<title>%s</title>\n"
               "<meta name=\"viewport\" content=\"width=device-width\">\n"
               "</head>\n<body>\n<main>\n%s</main>\n</body>\n</html>\n",
               title, content);
    sim_reply_text(rs, status, "text/html; charset=utf-8",
                   b.data != NULL ? b.data : "");
    buf_free(&b);
}

void
sim_checkout_page(struct sim_request *rq, struct sim_response *rs)
{
    struct sim *s = g_sim;
    const char *token = sim_jstr(rq->query, "token");
    json_t *order =
        token != NULL ? json_object_get(sim_orders(s), token) : NULL;
    if (order == NULL) {
        html_page(rs, 404, "PayPal Checkout",
                  "<h1>We're sorry</h1>\n<p>Things don't appear to be "
                  "working at the moment. This order does not exist.</p>\n");
        return;
    }
    const char *status = sim_jstr(order, "status");
    bool open = strcmp(status, "CREATED") == 0 ||
                strcmp(status, "PAYER_ACTION_REQUIRED") == 0;
    if (!open || sim_now(s) >= sim_jint(order, "expires")) {
        html_page(rs, 200, "PayPal Checkout",
                  open ? "<h1>This order has expired</h1>\n"
                       : "<h1>This order was already processed</h1>\n");
        return;
    }
    char value[MONEY_TEXT_MAX];
    int exponent = money_exponent(sim_jstr(order, "currency"));
    money_format_minor(sim_jint(order, "amount_minor"), exponent, value);
    char id[64], description[800] = "";
    sim_html_escape(token, id, sizeof(id));
    const char *desc =
        sim_jstr(json_array_get(json_object_get(order, "purchase_units"), 0),
                 "description");
    if (desc != NULL)
        sim_html_escape(desc, description, sizeof(description));
    struct buf b;
    buf_init(&b, 64 * 1024);
    buf_printf(&b,
               "<h1>Pay with PayPal (simulator)</h1>\n"
               "<p>Merchant: RMA Demo Store</p>\n"
               "<p>%s</p>\n"
               "<p>Amount: <strong id=\"amount\">%s %s</strong></p>\n"
               "<p>Order: <span id=\"order-id\">%s</span></p>\n"
               "<form method=\"post\" action=\"/checkoutnow/approve\">\n"
               "<input type=\"hidden\" name=\"token\" value=\"%s\">\n"
               "<button type=\"submit\" id=\"approve\">Approve</button>\n"
               "</form>\n"
               "<form method=\"post\" action=\"/checkoutnow/cancel\">\n"
               "<input type=\"hidden\" name=\"token\" value=\"%s\">\n"
               "<button type=\"submit\" id=\"cancel\">Cancel</button>\n"
               "</form>\n",
               description, value, sim_jstr(order, "currency"), id, id, id);
    html_page(rs, 200, "PayPal Checkout", b.data);
    buf_free(&b);
}

/* 303 to url with token and PayerID appended. */
static void
redirect_back(struct sim_response *rs, const json_t *order, const char *url)
{
    if (url == NULL) {
        html_page(rs, 200, "PayPal Checkout",
                  "<h1>We're sorry</h1>\n<p>Things don't appear to be "
                  "working at the moment.</p>\n");
        return;
    }
    struct buf b;
    buf_init(&b, 8192);
    buf_printf(&b, "%s%stoken=%s&PayerID=%s", url,
               strchr(url, '?') != NULL ? "&" : "?", sim_jstr(order, "id"),
               sim_jstr(order, "payer_id"));
    sim_reply_text(rs, 303, "text/plain; charset=utf-8", "See Other\n");
    sim_reply_header(rs, "Location", b.data);
    buf_free(&b);
}

void
sim_checkout_approve(struct sim_request *rq, struct sim_response *rs)
{
    char token[64];
    const char *msg = NULL;
    if (!sim_form_get(rq->body, "token", token, sizeof(token)) ||
        !sim_order_approve(token, &msg)) {
        html_page(rs, 422, "PayPal Checkout",
                  "<h1>We're sorry</h1>\n<p>This order cannot be "
                  "approved.</p>\n");
        return;
    }
    json_t *order = json_object_get(sim_orders(g_sim), token);
    redirect_back(rs, order, sim_jstr(order, "return_url"));
}

void
sim_checkout_cancel(struct sim_request *rq, struct sim_response *rs)
{
    char token[64];
    json_t *order = NULL;
    if (sim_form_get(rq->body, "token", token, sizeof(token)))
        order = json_object_get(sim_orders(g_sim), token);
    if (order == NULL) {
        html_page(rs, 404, "PayPal Checkout",
                  "<h1>We're sorry</h1>\n<p>This order does not "
                  "exist.</p>\n");
        return;
    }
    if (sim_jstr(order, "payer_id") == NULL) {
        char payer[14], email[64];
        sim_random_account_id(payer);
        snprintf(email, sizeof(email), "buyer-%s@personal.example.com", payer);
        sim_set_str(order, "payer_id", payer);
        sim_set_str(order, "payer_email", email);
    }
    redirect_back(rs, order, sim_jstr(order, "cancel_url"));
}
