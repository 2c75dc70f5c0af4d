/* csv_reader.c - the RFC 4180 reader of rmactl's imports (csv_reader.h). */
#include "rma/csv_reader.h"

#include <string.h>

void
csv_reader_init(struct csv_reader *r, FILE *f)
{
    r->f = f;
    r->line = 0;
    r->started = 0;
}

const char *
csv_read_error(enum csv_read_result res)
{
    switch (res) {
    case CSV_TOO_LONG: return "the row is longer than 8192 bytes";
    case CSV_TOO_MANY_FIELDS: return "the row has more than 32 cells";
    case CSV_BAD_QUOTE: return "a double quote out of place";
    case CSV_READ_ERROR: return "the file cannot be read";
    default: return "no error";
    }
}

/* Appends c to the record's current cell; false when it is full. */
static int
put(struct csv_record *rec, size_t *len, char c)
{
    if (*len >= sizeof(rec->buf) - 1)
        return 0;
    rec->buf[(*len)++] = c;
    return 1;
}

enum csv_read_result
csv_read(struct csv_reader *r, struct csv_record *rec)
{
    for (;;) {
        size_t len = 0, data = 0;
        rec->n = 0;
        rec->line = r->line + 1;
        int c = getc(r->f);
        if (!r->started) { /* a UTF-8 byte order mark */
            r->started = 1;
            if (c == 0xEF) {
                int b = getc(r->f), d = getc(r->f);
                if (b != 0xBB || d != 0xBF)
                    return CSV_BAD_QUOTE;
                c = getc(r->f);
            }
        }
        if (c == EOF)
            return ferror(r->f) ? CSV_READ_ERROR : CSV_END;
        /* Cells: quoted = inside quotes; closed = after the closing one. */
        int quoted = 0, closed = 0, at_start = 1;
        rec->cell[rec->n++] = rec->buf;
        for (;; c = getc(r->f)) {
            if (c == EOF) {
                if (ferror(r->f))
                    return CSV_READ_ERROR;
                if (quoted)
                    return CSV_BAD_QUOTE;
                break;
            }
            if (quoted) {
                if (c == '"') {
                    int next = getc(r->f);
                    if (next == '"') {
                        if (!put(rec, &len, '"'))
                            return CSV_TOO_LONG;
                        data++;
                        continue;
                    }
                    ungetc(next, r->f);
                    quoted = 0;
                    closed = 1;
                    continue;
                }
                if (c == '\n')
                    r->line++;
                if (!put(rec, &len, (char)c))
                    return CSV_TOO_LONG;
                data++;
                continue;
            }
            if (c == '\r') {
                int next = getc(r->f);
                if (next != '\n')
                    ungetc(next, r->f);
                c = '\n';
            }
            if (c == '\n') {
                r->line++;
                break;
            }
            if (c == ',') {
                if (!put(rec, &len, '\0'))
                    return CSV_TOO_LONG;
                if (rec->n == CSV_READER_MAX_FIELDS)
                    return CSV_TOO_MANY_FIELDS;
                rec->cell[rec->n++] = rec->buf + len;
                closed = 0;
                at_start = 1;
                continue;
            }
            if (c == '"' && at_start) {
                quoted = 1;
                at_start = 0;
                continue;
            }
            if (c == '"' || closed)
                return CSV_BAD_QUOTE;
            at_start = 0;
            if (!put(rec, &len, (char)c))
                return CSV_TOO_LONG;
            data++;
        }
        if (c == EOF && data == 0 && rec->n == 1 && len == 0)
            return CSV_END;
        rec->buf[len] = '\0';
        if (rec->n == 1 && len == 0)
            continue; /* a blank line */
        if (len > CSV_READER_MAX_BYTES)
            return CSV_TOO_LONG;
        return CSV_RECORD;
    }
}
