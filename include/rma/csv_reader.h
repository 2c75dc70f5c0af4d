/* csv_reader.h - an RFC 4180 reader for the files operators hand to
 * rmactl (`rmactl orders import FILE.csv`): comma-separated cells, double
 * quotes around a cell with a comma, a quote (doubled) or a line break,
 * rows ending in CRLF or LF, a UTF-8 byte order mark at the start ignored.
 *
 * Bounded: a record has at most CSV_READER_MAX_FIELDS cells and
 * CSV_READER_MAX_BYTES bytes, kept inside the record (no allocation). */
#ifndef RMA_CSV_READER_H
#define RMA_CSV_READER_H

#include <stddef.h>
#include <stdio.h>

#define CSV_READER_MAX_FIELDS 32
#define CSV_READER_MAX_BYTES 8192

enum csv_read_result {
    CSV_RECORD = 1, /* a record was read into rec */
    CSV_END = 0,    /* no more records */
    CSV_TOO_LONG = -1,
    CSV_TOO_MANY_FIELDS = -2,
    CSV_BAD_QUOTE = -3, /* a quote inside an unquoted cell, text after a
                           closing quote, or an unclosed quote at the end */
    CSV_READ_ERROR = -4,
};

struct csv_record {
    size_t n;                                /* cells in this record */
    const char *cell[CSV_READER_MAX_FIELDS]; /* NUL-terminated, in buf */
    char buf[CSV_READER_MAX_BYTES + CSV_READER_MAX_FIELDS];
    long line; /* the line the record starts on, from 1 */
};

struct csv_reader {
    FILE *f;   /* borrowed */
    long line; /* lines read so far */
    int started;
};

void csv_reader_init(struct csv_reader *r, FILE *f);
/* Reads the next record.  A blank line is no record (skipped). */
enum csv_read_result csv_read(struct csv_reader *r, struct csv_record *rec);
/* A short English description of a negative result. */
const char *csv_read_error(enum csv_read_result res);

#endif
