/* id_list.h - a growing list of row ids and PostgreSQL array literals of
 * ids ("{1,2,3}"): the jobs' "already looked at" parameter and their batch
 * leases. */
#ifndef RMA_ID_LIST_H
#define RMA_ID_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "rma/err.h"

struct id_list {
    int64_t *ids;
    size_t n, cap;
    char *text; /* the last id_list_text */
};

enum rma_err id_list_add(struct id_list *l, int64_t id);
/* The list as an array literal, owned by l until the next call or
 * id_list_free; NULL when out of memory. */
const char *id_list_text(struct id_list *l);
void id_list_free(struct id_list *l);

/* ids[0..n) as an array literal, malloc'ed; NULL when out of memory. */
char *id_array_text(const int64_t *ids, size_t n);

#endif
