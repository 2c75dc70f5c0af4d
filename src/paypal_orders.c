/* paypal_orders.c - Orders v2 (SPEC §5.7): the order of intent AUTHORIZE
 * that a hold starts with, reading it, authorizing it once the buyer
 * approved. */
#include <stdlib.h>
#include <string.h>

#include "paypal_internal.h"
#include "rma/log.h"

static bool
one_of(const char *s, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(s, *allowed) == 0)
            return true;
    return false;
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
    if (!paypal_money_ok(&p->amount) || !paypal_request_id_valid(request_id) ||
        !url_ok(p->return_url) || !url_ok(p->cancel_url) ||
        !one_of(shipping, ship) || !one_of(user_action, action) ||
        !paypal_text_ok(p->brand_name, 127) ||
        !paypal_text_ok(p->reference_id, 256) ||
        !paypal_text_ok(p->custom_id, 127) ||
        !paypal_text_ok(p->invoice_id, 127) ||
        !paypal_text_ok(p->description, 127) || !paypal_text_ok(p->locale, 10))
        return RMA_EINVAL;
    json_t *ctx = json_pack("{s:s, s:s, s:s, s:s}", "return_url", p->return_url,
                            "cancel_url", p->cancel_url, "shipping_preference",
                            shipping, "user_action", user_action);
    json_t *unit = json_pack("{s:o}", "amount", paypal_money_json(&p->amount));
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
        .body = paypal_json_dump(
            json_pack("{s:s, s:[o], s:{s:{s:o}}}", "intent", "AUTHORIZE",
                      "purchase_units", unit, "payment_source", "paypal",
                      "experience_context", ctx)),
    };
    enum rma_err err = RMA_EINTERNAL;
    if (x.body != NULL &&
        paypal_exch_url(pc, &x, "/v2/checkout/orders", NULL, NULL) == RMA_OK) {
        err = paypal_exch_run(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_order(x.resp.body.data, out);
    }
    paypal_exch_free(&x);
    return err;
}

enum rma_err
paypal_order_get(struct paypal_client *pc, const char *order_id,
                 struct paypal_order *out, struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (!paypal_id_valid(order_id))
        return RMA_EINVAL;
    struct exch x = {.op = "orders_get", .method = "GET"};
    enum rma_err err =
        paypal_exch_url(pc, &x, "/v2/checkout/orders/", order_id, NULL);
    if (err == RMA_OK) {
        err = paypal_exch_run(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_order(x.resp.body.data, out);
    }
    paypal_exch_free(&x);
    return err;
}

enum rma_err
paypal_order_authorize(struct paypal_client *pc, const char *order_id,
                       const char *request_id, struct paypal_order *out,
                       struct paypal_result *res)
{
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    if (!paypal_id_valid(order_id) || !paypal_request_id_valid(request_id))
        return RMA_EINVAL;
    struct exch x = {
        .op = "orders_authorize",
        .method = "POST",
        .request_id = request_id,
        .prefer_representation = true,
        .body = strdup("{}"),
    };
    enum rma_err err =
        paypal_exch_url(pc, &x, "/v2/checkout/orders/", order_id, "/authorize");
    if (err == RMA_OK) {
        err = paypal_exch_run(pc, &x, res);
        if (err == RMA_OK)
            err = paypal_parse_order(x.resp.body.data, out);
        if (err == RMA_OK && !out->has_authorization) {
            log_event(LOG_ERROR, "paypal_authorize_without_authorization",
                      "{s:s, s:s}", "order_id", order_id, "debug_id",
                      res ? res->debug_id : "");
            err = RMA_EUPSTREAM;
        }
    }
    paypal_exch_free(&x);
    return err;
}
