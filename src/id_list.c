/* id_list.c - row id lists and their PostgreSQL array literals. */
#include "rma/id_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rma_err
id_list_add(struct id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int64_t *ids = realloc(l->ids, cap * sizeof(*ids));
        if (ids == NULL)
            return RMA_EINTERNAL;
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
    return RMA_OK;
}

const char *
id_list_text(struct id_list *l)
{
    free(l->text);
    l->text = id_array_text(l->ids, l->n);
    return l->text;
}

void
id_list_free(struct id_list *l)
{
    free(l->ids);
    free(l->text);
    memset(l, 0, sizeof(*l));
}

char *
id_array_text(const int64_t *ids, size_t n)
{
    size_t len = 3 + n * 21, off = 1; /* 20 digits and a comma each */
    char *text = malloc(len);
    if (text == NULL)
        return NULL;
    text[0] = '{';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(text + off, len - off, "%s%lld", i ? "," : "",
                                (long long)ids[i]);
    snprintf(text + off, len - off, "}");
    return text;
}
