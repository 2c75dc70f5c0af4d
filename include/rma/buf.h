/* buf.h - a growable byte buffer with a hard maximum (after curl's dynbuf).
 *
 * The data is always NUL-terminated.  Appending past max fails with
 * RMA_ETOOLARGE and leaves the buffer as it was. */
#ifndef RMA_BUF_H
#define RMA_BUF_H

#include <stddef.h>

#include "rma/err.h"

struct buf {
    char *data; /* caller owns via buf_free; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, size_t max);
enum rma_err buf_append(struct buf *b, const void *p, size_t n);
enum rma_err buf_puts(struct buf *b, const char *s);
enum rma_err buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Hands the data to the caller (who frees it) and leaves b empty. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
