/* orders.h - original orders imported in bulk (SPEC §15): `rmactl orders
 * import FILE.csv` stores them; the console's "New Solution" finds one by
 * its number or its customer's address and builds the case from its lines.
 *
 * The file's columns (a header row names them, in any order):
 * order_number, sales_channel, customer_email, customer_name,
 * shipping_country, currency, purchase_date (YYYY-MM-DD), model, quantity,
 * unit_price (a decimal in the currency's exponent); one row per line, the
 * rows of one order (sales_channel, order_number) together or not. */
#ifndef RMA_ORDERS_H
#define RMA_ORDERS_H

#include <stdint.h>

#include "rma/arena.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/order_lines.h"

enum order_import_outcome {
    ORDER_CREATED,
    ORDER_EXISTS,          /* the same order, customer and lines: unchanged */
    ORDER_OTHER_CUSTOMER,  /* the number is another customer's */
    ORDER_DIFFERENT_LINES, /* stored with other lines: unchanged */
};

/* Stores one order (doc: the JSON of order_import() in
 * 0019_orders.sql, validated).  RMA_ERULE for an unknown model or a value
 * the database refuses. */
enum rma_err db_order_import(struct db *db, const char *doc,
                             enum order_import_outcome *out);

/* Orders whose number (any case) or customer's address is q, newest first,
 * at most 20, each with its customer, lines (description, warranty months,
 * warranty_until and in_warranty on day today) and the numbers of its
 * cases, as a JSON array (arena). */
enum rma_err db_order_search_json(struct db *db, const char *q,
                                  const char *today, struct arena *a,
                                  char **json);

/* The lines of the stored order (sales_channel, order_number), in the
 * order they were stored, into *lines (arena; models too) and *n;
 * RMA_ENOTFOUND when no such order is stored. */
enum rma_err db_order_lines(struct db *db, const char *sales_channel,
                            const char *order_number, struct arena *a,
                            struct order_line **lines, size_t *n);
/* The same for the original order of case rma_id. */
enum rma_err db_order_lines_of_rma(struct db *db, int64_t rma_id,
                                   struct arena *a, struct order_line **lines,
                                   size_t *n);

#endif
