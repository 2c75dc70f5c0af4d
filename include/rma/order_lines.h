/* order_lines.h - whether a case's devices are on its original order
 * (SPEC §15: "devices must match the order's lines").  A rule without
 * I/O: each device's model is the model of one of the order's lines, and
 * no model has more devices than the order has units of it.  The lines
 * come from the database (db_order_lines, orders.h) or the request. */
#ifndef RMA_ORDER_LINES_H
#define RMA_ORDER_LINES_H

#include <stddef.h>

struct order_line {
    const char *model; /* borrowed from the caller */
    long quantity;     /* units of model on the line, at least 1 */
};

/* The index of the first of the n_models device models (borrowed) that
 * is not on the n_lines lines, counting units: the third device of a
 * model the order has two of is not on it.  -1 when every one is. */
long order_lines_first_missing(const struct order_line *lines, size_t n_lines,
                               const char *const *models, size_t n_models);

#endif
