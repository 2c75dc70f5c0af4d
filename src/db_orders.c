/* db_orders.c - SQL for imported original orders (orders.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/orders.h"

#define WARRANTY_UNTIL                                                         \
    "(o.purchase_date + make_interval(months => m.warranty_months))::date"

static const struct db_stmt stmts[] = {
    {"order_import", "SELECT order_import($1::jsonb)", 1},
    {"order_search_json",
     "SELECT coalesce(jsonb_agg(jsonb_build_object("
     " 'order_number', o.order_number, 'sales_channel', o.sales_channel,"
     " 'shipping_country', o.shipping_country, 'currency', o.currency,"
     " 'purchase_date', o.purchase_date,"
     " 'customer', jsonb_build_object('email', c.email, 'name', c.name),"
     " 'items', (SELECT coalesce(jsonb_agg(jsonb_build_object("
     "  'model', i.model, 'description', m.description,"
     "  'quantity', i.quantity,"
     "  'unit_price', money_json(i.unit_price_minor, o.currency),"
     "  'warranty_months', m.warranty_months,"
     "  'warranty_until', " WARRANTY_UNTIL ","
     "  'in_warranty', " WARRANTY_UNTIL " >= $2::date) ORDER BY i.id), '[]')"
     "  FROM order_item i JOIN product_model m ON m.model = i.model"
     "  WHERE i.order_id = o.id),"
     " 'cases', (SELECT coalesce(jsonb_agg(r.number ORDER BY r.id), '[]')"
     "  FROM rma r WHERE r.order_id = o.id))"
     " ORDER BY o.purchase_date DESC, o.id DESC), '[]')::text"
     " FROM (SELECT o.* FROM original_order o"
     "  JOIN customer c ON c.id = o.customer_id"
     "  WHERE upper(o.order_number) = upper($1) OR c.email = lower($1)"
     "  ORDER BY o.id DESC LIMIT 20) o"
     " JOIN customer c ON c.id = o.customer_id",
     2},
    /* The lines of a case's original order. */
    {"order_lines_of_rma",
     "SELECT i.model, i.quantity FROM rma r"
     " JOIN order_item i ON i.order_id = r.order_id"
     " WHERE r.id = $1 ORDER BY i.id",
     1},
    /* A stored order's lines (imported, entered once, or a case's). */
    {"order_lines",
     "SELECT i.model, i.quantity FROM original_order o"
     " JOIN order_item i ON i.order_id = o.id"
     " WHERE o.sales_channel = $1 AND o.order_number = $2 ORDER BY i.id",
     2},
};
const struct db_stmt_table db_orders_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

enum rma_err
db_order_import(struct db *db, const char *doc, enum order_import_outcome *out)
{
    const char *params[] = {doc};
    enum rma_err err;
    PGresult *r = db_run(db, "order_import", 1, params, &err);
    if (r == NULL)
        return err;
    const char *v = PQgetvalue(r, 0, 0);
    *out = strcmp(v, "created") == 0          ? ORDER_CREATED
           : strcmp(v, "exists") == 0         ? ORDER_EXISTS
           : strcmp(v, "other_customer") == 0 ? ORDER_OTHER_CUSTOMER
                                              : ORDER_DIFFERENT_LINES;
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_order_search_json(struct db *db, const char *q, const char *today,
                     struct arena *a, char **json)
{
    const char *params[] = {q, today};
    enum rma_err err;
    PGresult *r = db_run(db, "order_search_json", 2, params, &err);
    if (r == NULL)
        return err;
    *json = arena_strdup(a, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "[]");
    PQclear(r);
    return RMA_OK;
}

/* The rows of stmt (model, quantity) into *lines and *n (arena). */
static enum rma_err
lines_of(struct db *db, const char *stmt, int nparams,
         const char *const *params, struct arena *a, struct order_line **lines,
         size_t *n)
{
    enum rma_err err;
    PGresult *r = db_run(db, stmt, nparams, params, &err);
    if (r == NULL)
        return err;
    size_t rows = (size_t)PQntuples(r);
    struct order_line *out = rows ? arena_calloc(a, rows, sizeof(*out)) : NULL;
    for (size_t i = 0; out != NULL && i < rows; i++) {
        out[i].model = arena_strdup(a, PQgetvalue(r, (int)i, 0));
        out[i].quantity = strtol(PQgetvalue(r, (int)i, 1), NULL, 10);
        if (out[i].model == NULL)
            out = NULL;
    }
    PQclear(r);
    if (rows == 0)
        return RMA_ENOTFOUND;
    if (out == NULL)
        return RMA_EINTERNAL;
    *lines = out;
    *n = rows;
    return RMA_OK;
}

enum rma_err
db_order_lines(struct db *db, const char *sales_channel,
               const char *order_number, struct arena *a,
               struct order_line **lines, size_t *n)
{
    const char *params[] = {sales_channel, order_number};
    return lines_of(db, "order_lines", 2, params, a, lines, n);
}

enum rma_err
db_order_lines_of_rma(struct db *db, int64_t rma_id, struct arena *a,
                      struct order_line **lines, size_t *n)
{
    char id[24];
    const char *params[] = {db_num(id, rma_id)};
    return lines_of(db, "order_lines_of_rma", 1, params, a, lines, n);
}
