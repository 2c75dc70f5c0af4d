/* csv.h - an RFC 4180 writer for the finance exports (SPEC §8).
 *
 * UTF-8 text passes through unchanged; cells are separated by commas and rows
 * end with CRLF.  A cell is quoted only when it holds a comma, a double quote,
 * CR or LF, and a double quote inside it is doubled.  A text cell that a
 * spreadsheet would run as a formula (one that begins with '=', '+', '-',
 * '@', TAB or CR) gets a leading apostrophe; amounts the service formatted
 * itself are written as they are.
 *
 * Output goes through a fixed buffer inside the writer to a sink, so memory
 * stays the same whatever the number of rows.  The writer never allocates. */
#ifndef RMA_CSV_H
#define RMA_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_BUFFER_SIZE 16384

/* Takes len bytes of output (borrowed for the call).  Returns 0, or -1 when
 * the destination failed or went away: the writer then stops writing. */
typedef int (*csv_sink)(void *arg, const char *data, size_t len);

struct csv_writer {
    csv_sink sink;
    void *arg;      /* borrowed, handed to sink */
    bool failed;    /* the sink refused once: nothing more is sent */
    bool in_row;    /* a cell has been written on the current row */
    uint64_t rows;  /* rows ended so far, header included */
    uint64_t bytes; /* bytes handed to the sink so far */
    size_t len;     /* bytes waiting in buf */
    char buf[CSV_BUFFER_SIZE];
};

void csv_init(struct csv_writer *w, csv_sink sink, void *arg);

/* Appends a text cell of len bytes (s may be NULL when len is 0: an empty
 * cell), neutralized when it begins like a formula, quoted when needed. */
void csv_text(struct csv_writer *w, const char *s, size_t len);
/* The same for a NUL-terminated string; NULL is an empty cell. */
void csv_str(struct csv_writer *w, const char *s);
/* Appends an amount the service formatted itself, such as "-12.50" or
 * "1500": written as it is, never neutralized.  Anything that is not such a
 * decimal number (an optional '-', digits, optionally '.' and digits) is
 * written as a text cell instead, so that a mistake cannot open a formula. */
void csv_amount(struct csv_writer *w, const char *s);
/* Ends the current row with CRLF. */
void csv_end_row(struct csv_writer *w);
/* A whole row of text cells: n NUL-terminated names (the header row). */
void csv_row(struct csv_writer *w, const char *const *cells, size_t n);

/* Hands what is buffered to the sink.  Returns 0, or -1 when the sink has
 * refused (now or before). */
int csv_flush(struct csv_writer *w);

/* Whether csv_text would prefix a cell of len bytes with an apostrophe. */
bool csv_needs_neutralizing(const char *s, size_t len);

#endif
