/* api_staff_paper.c - the warehouse's paper (issue 17): a case's outbound
 * packing slip, GET /api/v1/staff/rmas/{number}/packing-slip, and the pick
 * list of the cases awaiting shipment, GET /api/v1/staff/pick-list.  Both
 * are HTML pages that print cleanly (/staff/css/paper.css; a "Print"
 * button by /staff/js/paper.js, no inline script under the CSP). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/buf.h"
#include "rma/console.h"
#include "rma/html.h"

#define PAGE_MAX (1024 * 1024)
#define PICK_LIST_MAX 500

static void
page_start(struct buf *b, const char *title, const char *number)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n<title>");
    html_put(b, title);
    if (number != NULL) {
        buf_puts(b, " ");
        html_put(b, number);
    }
    buf_puts(b, "</title>\n<link rel=\"stylesheet\" "
                "href=\"/staff/css/paper.css?v=1\">\n<script type=\"module\" "
                "src=\"/staff/js/paper.js?v=1\"></script>\n</head>\n"
                "<body class=\"paper\">\n<p class=\"no-print\"><button "
                "type=\"button\" id=\"print\">Print</button></p>\n");
}

static enum rma_err
page_answer(struct api_ctx *ctx, struct buf *b)
{
    buf_puts(b, "</body>\n</html>\n");
    ctx->res->outcome = OUT_TEXT;
    ctx->res->content_type = "text/html; charset=utf-8";
    ctx->res->text_body = arena_strndup(ctx->arena, b->data, b->len);
    ctx->res->text_len = b->len;
    buf_free(b);
    return ctx->res->text_body != NULL ? RMA_OK : RMA_EINTERNAL;
}

static void
put_address(struct buf *b, json_t *a)
{
    buf_puts(b, "<address>");
    html_put_field(b, a, "name", "");
    html_put_field(b, a, "line1", "<br>\n");
    html_put_field(b, a, "line2", "<br>\n");
    html_put_field(b, a, "city", "<br>\n");
    html_put_field(b, a, "region", ", ");
    html_put_field(b, a, "postal_code", " ");
    html_put_field(b, a, "country", "<br>\n");
    html_put_field(b, a, "phone", "<br>\nPhone ");
    buf_puts(b, "</address>\n");
}

/* The slip of case c (the staff detail): what goes in the parcel to the
 * customer, for the unit it replaces or is. */
static void
render_packing_slip(struct buf *b, json_t *c)
{
    const char *number = json_string_value(json_object_get(c, "number"));
    const char *kind = json_string_value(json_object_get(c, "kind"));
    bool repair = kind != NULL && strcmp(kind, "repair") == 0;
    json_t *order = json_object_get(c, "order");
    json_t *to = json_object_get(c, "shipping_address");
    page_start(b, "Packing slip", number);
    buf_puts(b, "<header>\n<p class=\"what\">Packing slip: ");
    buf_puts(b, repair ? "your repaired unit" : "your replacement");
    buf_puts(b, "</p>\n<h1 id=\"rma-number\">");
    html_put(b, number);
    buf_puts(b, "</h1>\n<p>");
    html_put_field(b, order, "order_number", "Original order ");
    html_put_field(b, order, "sales_channel", " (");
    if (json_object_get(order, "sales_channel") != NULL)
        buf_puts(b, ")");
    buf_puts(b, "</p>\n</header>\n<div class=\"addresses\">\n<section>\n"
                "<h2>Ship to</h2>\n");
    if (json_is_object(to))
        put_address(b, to);
    else
        buf_puts(b, "<p class=\"warn\">No shipping address confirmed "
                    "yet: ask the customer for one before the parcel "
                    "leaves.</p>\n");
    buf_puts(b, "</section>\n<section>\n<h2>From</h2>\n");
    put_address(b, json_object_get(json_object_get(c, "warehouse"), "address"));
    buf_puts(b, "</section>\n</div>\n<h2>Contents</h2>\n<table>\n<thead><tr>"
                "<th scope=\"col\">Packed</th><th scope=\"col\">Model</th>"
                "<th scope=\"col\">Description</th>");
    buf_puts(b, repair ? "<th scope=\"col\">S/N or UID</th>"
                       : "<th scope=\"col\">Replaces S/N or UID</th>");
    buf_puts(b, "</tr></thead>\n<tbody>\n");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(c, "devices"), i, d)
    {
        buf_puts(b, "<tr><td class=\"box\" aria-label=\"not yet packed\">"
                    "</td><td>");
        html_put_field(b, d, "model", "");
        buf_puts(b, "</td><td>");
        html_put_field(b, d, "description", "");
        buf_puts(b, "</td><td class=\"ident\">");
        html_put_field(b, d, "serial_number", "");
        html_put_field(b, d, "uid",
                       json_object_get(d, "serial_number") ? " / " : "");
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</tbody>\n</table>\n<p class=\"small\">Questions? Quote ");
    html_put(b, number);
    buf_puts(b, " in every message to the warranty team.</p>\n");
}

enum rma_err
api_staff_packing_slip(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    if (r.kind == KIND_REFUND)
        return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                         "a refund ships nothing to the customer", NULL);
    char *text;
    err = db_rma_json(&ctx->app->db, r.id, true, ctx->arena, &text);
    if (err != RMA_OK)
        return err;
    json_t *c = json_loads(text, 0, NULL);
    if (c == NULL)
        return RMA_EINTERNAL;
    struct buf b;
    buf_init(&b, PAGE_MAX);
    render_packing_slip(&b, c);
    json_decref(c);
    return page_answer(ctx, &b);
}

enum rma_err
api_staff_pick_list(struct api_ctx *ctx)
{
    char *json;
    enum rma_err err =
        db_console_queue_json(&ctx->app->db, "awaiting_shipment", ctx->now,
                              PICK_LIST_MAX, ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    json_t *items = json_loads(json, 0, NULL);
    if (items == NULL)
        return RMA_EINTERNAL;
    struct buf b;
    buf_init(&b, PAGE_MAX);
    page_start(&b, "Pick list", NULL);
    buf_printf(&b,
               "<h1>Pick list</h1>\n<p>%zu %s awaiting shipment, oldest "
               "first; printed ",
               json_array_size(items),
               json_array_size(items) == 1 ? "case" : "cases");
    html_put(&b, ctx->now);
    buf_puts(&b, " (UTC).</p>\n<table>\n<thead><tr><th scope=\"col\">"
                 "Picked</th><th scope=\"col\">RMA</th><th scope=\"col\">"
                 "Kind</th><th scope=\"col\">Models</th><th scope=\"col\">"
                 "Customer</th><th scope=\"col\">Waiting since</th></tr>"
                 "</thead>\n<tbody>\n");
    size_t i, k;
    json_t *it, *m;
    json_array_foreach(items, i, it)
    {
        buf_puts(&b, "<tr><td class=\"box\" aria-label=\"not yet picked\">"
                     "</td><th scope=\"row\" class=\"ident\">");
        html_put_field(&b, it, "number", "");
        buf_puts(&b, "</th><td>");
        html_put_field(&b, it, "kind", "");
        buf_puts(&b, "</td><td>");
        json_array_foreach(json_object_get(it, "devices"), k, m)
        {
            if (k > 0)
                buf_puts(&b, ", ");
            html_put(&b, json_string_value(m));
        }
        buf_puts(&b, "</td><td>");
        html_put_field(&b, it, "customer_name", "");
        html_put_field(&b, it, "customer_email", "<br>\n");
        buf_puts(&b, "</td><td>");
        html_put_field(&b, it, "since", "");
        buf_puts(&b, "</td></tr>\n");
    }
    buf_puts(&b, "</tbody>\n</table>\n");
    json_decref(items);
    return page_answer(ctx, &b);
}
