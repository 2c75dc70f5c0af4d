/* order_lines.c - whether a case's devices are on its original order
 * (order_lines.h).  No I/O. */
#include "rma/order_lines.h"

#include <string.h>

long
order_lines_first_missing(const struct order_line *lines, size_t n_lines,
                          const char *const *models, size_t n_models)
{
    for (size_t i = 0; i < n_models; i++) {
        long units = 0;
        for (size_t l = 0; l < n_lines; l++)
            if (strcmp(lines[l].model, models[i]) == 0)
                units += lines[l].quantity;
        long asked = 0; /* devices of this model up to this one */
        for (size_t j = 0; j <= i; j++)
            if (strcmp(models[j], models[i]) == 0)
                asked++;
        if (asked > units)
            return (long)i;
    }
    return -1;
}
