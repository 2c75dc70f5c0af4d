/* api_return.c - the return of a unit (SPEC §4.1, §5.4, §7): the customer
 * submits the return information and prints a packing slip; the warehouse
 * records its inspection of the received unit; the detail answers show
 * what is required, what is still missing, and the attachments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/buf.h"
#include "rma/case_ops.h"
#include "rma/html.h"
#include "rma/returns.h"
#include "rma/tracking.h"

/* ------------------------------------------------------------------ */
/* Return shipment */

static const struct field return_spec[] = {
    {.name = "carrier", .type = FT_STRING, .min = 1, .max = CARRIER_MAX},
    {.name = "tracking_number", .type = FT_STRING, .min = 1, .max = 64},
    {.name = "shipping_label_id",
     .type = FT_INTEGER,
     .min = 1,
     .max = INT64_MAX},
    {.name = "postage_receipt_id",
     .type = FT_INTEGER,
     .min = 1,
     .max = INT64_MAX},
    {.name = "acknowledge_data_erasure", .type = FT_BOOLEAN},
};

/* The three items of SPEC §5.4 (with the carrier the tracking number
 * belongs to), each named when it is missing. */
static enum rma_err
require_items(struct api_ctx *ctx, json_t *body, bool pictures)
{
    static const struct {
        const char *field, *message;
    } items[] = {
        {"carrier", "the carrier is required"},
        {"tracking_number", "the tracking number is required"},
        {"shipping_label_id", "a photo of the shipping label is required: "
                              "upload it as shipping_label"},
        {"postage_receipt_id", "the postage receipt is required: upload it "
                               "as postage_receipt"},
    };
    size_t n = pictures ? sizeof(items) / sizeof(items[0]) : 2;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(body, items[i].field);
        if (v == NULL || json_is_null(v))
            return http_fail(ctx->res, RMA_ERULE, "required", items[i].message,
                             items[i].field);
    }
    return RMA_OK;
}

/* An open attachment of the case of the kind the field names. */
static enum rma_err
check_attachment(struct api_ctx *ctx, int64_t rma_id, json_int_t id,
                 const char *kind, const char *field)
{
    struct attachment a;
    enum rma_err err = db_attachment_get(&ctx->app->db, id, &a);
    if (err != RMA_OK && err != RMA_ENOTFOUND)
        return err;
    if (err == RMA_ENOTFOUND || a.rma_id != rma_id)
        return http_fail(ctx->res, RMA_ERULE, "unknown_attachment",
                         arena_printf(ctx->arena,
                                      "%s is not an attachment of this RMA",
                                      field),
                         field);
    if (strcmp(a.kind, kind) != 0)
        return http_fail(ctx->res, RMA_ERULE, "wrong_attachment_kind",
                         arena_printf(ctx->arena,
                                      "%s must name a %s attachment, not a "
                                      "%s",
                                      field, kind, a.kind),
                         field);
    return RMA_OK;
}

/* The return's information in the request's body for case r, by who: the
 * customer, with the pictures, or staff for them (who.on_behalf), who may
 * leave the pictures out (given, they are checked all the same). */
static enum rma_err
submit_return(struct api_ctx *ctx, struct rma_actor_info who, bool staff)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(return_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = require_items(ctx, body, !who.on_behalf);
    if (err == RMA_OK)
        err = staff ? api_staff_case(ctx, &r) : api_customer_case(ctx, &r);
    /* Answered early from the case as read, so that the refusals below
     * keep their order; the operation decides again under the lock. */
    if (err == RMA_OK &&
        rma_state_next(r.status, EV_SUBMIT_RETURN, r.kind, ACTOR_CUSTOMER) < 0)
        err = http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                        arena_printf(ctx->arena,
                                     "submitting the return is not "
                                     "possible while the RMA is %s",
                                     rma_status_name(r.status)),
                        NULL);
    const char *carrier_in =
        json_string_value(json_object_get(body, "carrier"));
    enum carrier carrier = carrier_identify(carrier_in ? carrier_in : "");
    const char *carrier_text = carrier_name(carrier);
    char tracking[TRACKING_MAX + 1];
    if (err == RMA_OK && carrier == CARRIER_OTHER &&
        utf8_length(carrier_in) < 2)
        err = http_fail(ctx->res, RMA_ERULE, "too_short",
                        "carrier needs at least 2 characters", "carrier");
    const char *problem =
        err == RMA_OK
            ? tracking_number_check(
                  carrier,
                  json_string_value(json_object_get(body, "tracking_number")),
                  tracking, sizeof(tracking))
            : NULL;
    if (problem != NULL)
        err = http_fail(ctx->res, RMA_ERULE, "invalid_tracking_number", problem,
                        "tracking_number");
    bool records = false;
    if (err == RMA_OK)
        err = db_rma_records_data(&ctx->app->db, r.id, &records);
    json_t *ack = json_object_get(body, "acknowledge_data_erasure");
    if (err == RMA_OK && records && !json_is_true(ack))
        err = http_fail(ctx->res, RMA_ERULE, "data_erasure_not_acknowledged",
                        "this device records video: acknowledge that the "
                        "data on it may be erased (acknowledge_data_erasure: "
                        "true)",
                        "acknowledge_data_erasure");
    json_int_t label =
        json_integer_value(json_object_get(body, "shipping_label_id"));
    json_int_t receipt =
        json_integer_value(json_object_get(body, "postage_receipt_id"));
    if (err == RMA_OK && (label != 0 || !who.on_behalf))
        err = check_attachment(ctx, r.id, label, "shipping_label",
                               "shipping_label_id");
    if (err == RMA_OK && (receipt != 0 || !who.on_behalf))
        err = check_attachment(ctx, r.id, receipt, "postage_receipt",
                               "postage_receipt_id");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }

    struct return_submission s = {r.id,
                                  carrier_text ? carrier_text : carrier_in,
                                  tracking,
                                  label,
                                  receipt,
                                  records,
                                  json_is_true(ack),
                                  who.name,
                                  who.on_behalf};
    struct hold_env env = api_hold_env(ctx, who);
    struct case_refusal no = {0};
    err = api_refused(ctx, case_submit_return(&env, &s, &no), &no);
    json_decref(body); /* after: the submission borrowed the carrier */
    if (err != RMA_OK)
        return err;
    return staff ? api_staff_detail(ctx, r.id, false)
                 : api_customer_detail(ctx, r.id);
}

enum rma_err
api_rma_return_shipment(struct api_ctx *ctx)
{
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    return submit_return(ctx, who, false);
}

/* POST /staff/rmas/{number}/return-shipment: an agent records the return
 * the customer told them of (the pictures may follow from the customer),
 * audited as on their behalf. */
enum rma_err
api_staff_rma_return_shipment(struct api_ctx *ctx)
{
    struct rma_actor_info who = api_staff_actor(ctx);
    who.on_behalf = true;
    return submit_return(ctx, who, true);
}

/* ------------------------------------------------------------------ */
/* Packing slip */

/* Whether a unit is (or may be) on its way back. */
static bool
slip_available(const struct rma_ref *r)
{
    if (r->kind == KIND_RESEND)
        return false;
    switch (r->status) {
    case ST_AWAITING_SHIPMENT: return r->kind == KIND_REPLACEMENT;
    case ST_AWAITING_RETURN:
    case ST_RETURN_SUBMITTED:
    case ST_CHARGED:
    case ST_CAPTURE_FAILED: return true;
    default: return false;
    }
}

static void
render_slip(struct buf *b, json_t *c)
{
    const char *number = json_string_value(json_object_get(c, "number"));
    json_t *address =
        json_object_get(json_object_get(c, "warehouse"), "address");
    json_t *customer = json_object_get(c, "customer");
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width\">\n"
                "<title>Packing slip ");
    html_put(b, number);
    buf_puts(b, "</title>\n</head>\n<body>\n<p>Return packing slip. Print "
                "this page, put it in the package, and write the RMA number "
                "on the outside of the box.</p>\n<h1 id=\"rma-number\">");
    html_put(b, number);
    buf_puts(b, "</h1>\n<h2>Ship to</h2>\n<address>");
    html_put_field(b, address, "name", "");
    buf_puts(b, "<br>\nAttn: ");
    html_put(b, number);
    html_put_field(b, address, "line1", "<br>\n");
    html_put_field(b, address, "line2", "<br>\n");
    html_put_field(b, address, "city", "<br>\n");
    html_put_field(b, address, "region", ", ");
    html_put_field(b, address, "postal_code", " ");
    html_put_field(b, address, "country", "<br>\n");
    buf_puts(b, "</address>\n<h2>From</h2>\n<p>");
    html_put_field(b, customer, "name", "");
    html_put_field(b, customer, "email", "<br>\n");
    buf_puts(b, "</p>\n<h2>Contents</h2>\n<table>\n<tr><th>Model</th>"
                "<th>Description</th><th>S/N or UID</th></tr>\n");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(c, "devices"), i, d)
    {
        buf_puts(b, "<tr><td>");
        html_put_field(b, d, "model", "");
        buf_puts(b, "</td><td>");
        html_put_field(b, d, "description", "");
        buf_puts(b, "</td><td>");
        html_put_field(b, d, "serial_number", "");
        html_put_field(b, d, "uid",
                       json_object_get(d, "serial_number") ? " / " : "");
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n</body>\n</html>\n");
}

enum rma_err
api_rma_packing_slip(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    if (!slip_available(&r))
        return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                         arena_printf(ctx->arena,
                                      "there is no return to ship while the "
                                      "RMA is %s",
                                      rma_status_name(r.status)),
                         NULL);
    char *text;
    err = db_rma_json(&ctx->app->db, r.id, false, ctx->arena, &text);
    if (err != RMA_OK)
        return err;
    json_t *c = json_loads(text, 0, NULL);
    if (c == NULL)
        return RMA_EINTERNAL;
    struct buf b;
    buf_init(&b, 1024 * 1024);
    render_slip(&b, c);
    json_decref(c);
    ctx->res->outcome = OUT_TEXT;
    ctx->res->content_type = "text/html; charset=utf-8";
    ctx->res->text_body = arena_strndup(ctx->arena, b.data, b.len);
    ctx->res->text_len = b.len;
    buf_free(&b);
    return RMA_OK;
}

/* ------------------------------------------------------------------ */
/* Inspection by the warehouse */

static const char *const outcomes[] = {"as_described", "damaged_in_transit",
                                       "not_faulty", "out_of_warranty", NULL};
static const struct field inspection_spec[] = {
    {.name = "outcome", .type = FT_ENUM, .required = true, .values = outcomes},
    {.name = "notes",
     .type = FT_STRING,
     .min = 1,
     .max = 2000,
     .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_inspection(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(inspection_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    const char *outcome = json_string_value(json_object_get(body, "outcome"));
    const char *notes = json_string_value(json_object_get(body, "notes"));
    char *detail_text = json_dumps(body, JSON_COMPACT);
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err = api_refused(
        ctx, case_inspect(&env, r.id, outcome, notes, detail_text, &no), &no);
    free(detail_text);
    json_decref(body);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, true) : err;
}
