/* paypal_payments.c - Payments v2 (SPEC §5.7): authorizations (read,
 * capture, reauthorize, void), captures and refunds, as batch items run
 * by the executor (paypal_exec.c) alone or many at a time. */
#include <string.h>

#include "paypal_internal.h"

/* Builds the exchange of a batch item (also used by the single calls). */
enum rma_err
paypal_item_exch(struct paypal_client *pc, struct paypal_batch_item *it,
                 struct exch *x)
{
    memset(x, 0, sizeof(*x));
    bool mutating = it->kind != PAYPAL_BATCH_GET_AUTHORIZATION;
    if (!paypal_id_valid(it->id) ||
        (mutating && !paypal_request_id_valid(it->request_id)) ||
        (it->has_amount && !paypal_money_ok(&it->amount)))
        return RMA_EINVAL;
    x->request_id = mutating ? it->request_id : NULL;
    x->method = mutating ? "POST" : "GET";
    x->prefer_representation = mutating;
    json_t *body = mutating ? json_object() : NULL;
    if (it->has_amount)
        json_object_set_new(body, "amount", paypal_money_json(&it->amount));
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
    if (body != NULL && (x->body = paypal_json_dump(body)) == NULL)
        return RMA_EINTERNAL;
    return paypal_exch_url(pc, x, base, it->id, action);
}

/* Parses a finished item's answer into its out union. */
enum rma_err
paypal_item_parse(struct paypal_batch_item *it, struct exch *x)
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
        if (!paypal_text_ok(note_to_payer, 255) ||
            !paypal_id_valid(capture_id) ||
            !paypal_request_id_valid(request_id) ||
            (amount != NULL && !paypal_money_ok(amount)))
            return RMA_EINVAL;
        json_t *body = json_pack("{s:s}", "note_to_payer", note_to_payer);
        if (amount != NULL)
            json_object_set_new(body, "amount", paypal_money_json(amount));
        struct exch x = {.op = "captures_refund",
                         .method = "POST",
                         .request_id = request_id,
                         .prefer_representation = true,
                         .body = paypal_json_dump(body)};
        enum rma_err err =
            x.body == NULL ? RMA_EINTERNAL
                           : paypal_exch_url(pc, &x, "/v2/payments/captures/",
                                             capture_id, "/refund");
        if (err == RMA_OK) {
            err = paypal_exch_run(pc, &x, res);
            if (err == RMA_OK)
                err = paypal_parse_refund(x.resp.body.data, out);
        }
        paypal_exch_free(&x);
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
    if (!paypal_id_valid(id))
        return RMA_EINVAL;
    x->op = op;
    x->method = "GET";
    enum rma_err err = paypal_exch_url(pc, x, base, id, NULL);
    return err == RMA_OK ? paypal_exch_run(pc, x, res) : err;
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
    paypal_exch_free(&x);
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
    paypal_exch_free(&x);
    return err;
}
