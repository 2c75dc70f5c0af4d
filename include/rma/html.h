/* html.h - writing HTML pages the service answers itself (the packing
 * slips, the pick list): every text from data goes through html_put,
 * which escapes it. */
#ifndef RMA_HTML_H
#define RMA_HTML_H

#include <jansson.h>

#include "rma/buf.h"

/* Appends s (NULL: nothing) with & < > " ' escaped. */
void html_put(struct buf *b, const char *s);
/* Appends before (trusted markup) and the escaped string member key of
 * obj, only when it is a non-empty string. */
void html_put_field(struct buf *b, json_t *obj, const char *key,
                    const char *before);

#endif
