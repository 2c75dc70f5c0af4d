/* html.c - the escaping writer of the service's own HTML pages (html.h). */
#include "rma/html.h"

void
html_put(struct buf *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&#39;"); break;
        default: buf_append(b, s, 1); break;
        }
    }
}

void
html_put_field(struct buf *b, json_t *obj, const char *key, const char *before)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (v == NULL || *v == '\0')
        return;
    buf_puts(b, before);
    html_put(b, v);
}
