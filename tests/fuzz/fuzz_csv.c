/* fuzz_csv.c - libFuzzer target: the RFC 4180 writer of the finance
 * exports (include/rma/csv.h).
 *
 * Input: cells separated by 0x1F, rows ended by 0x1E.  A cell starting
 * with 0x01 is written with csv_amount, with 0x02 with csv_str (up to a
 * NUL), any other with csv_text (all its bytes).  A first line
 * "FAIL <n>\n" makes the sink refuse once n bytes have gone through.
 *
 * Invariants: the output parses back (with an independent strict RFC 4180
 * reader) into exactly the rows and cells written, text cells that begin
 * like a formula ('=', '+', '-', '@', TAB, CR) carrying one leading
 * apostrophe, amounts written as they are only when they are decimals; no
 * parsed cell begins like a formula unless it is such an amount; the
 * writer's row and byte counts are right; after the sink refuses, nothing
 * more reaches it. */
#include "fuzz.h"
#include "rma/csv.h"

struct sink {
    char *data;
    size_t len;
    size_t fail_after; /* SIZE_MAX: never */
    int calls_after_failure;
    int failed;
};

static int
sink_write(void *arg, const char *data, size_t len)
{
    struct sink *s = arg;
    if (s->failed)
        s->calls_after_failure++;
    if (s->len + len > s->fail_after) {
        s->failed = 1;
        return -1;
    }
    char *grown = realloc(s->data, s->len + len + 1);
    FUZZ_ASSERT(grown != NULL);
    s->data = grown;
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = '\0';
    return 0;
}

/* What a cell should read as once parsed back. */
struct cell {
    char *text;
    size_t len;
    int is_amount; /* written by csv_amount as a decimal */
};

static int
formula_start(const char *s, size_t len)
{
    return len > 0 && strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
}

static int
decimal(const char *s)
{
    if (*s == '-')
        s++;
    size_t d = strspn(s, "0123456789");
    if (d == 0)
        return 0;
    s += d;
    if (*s == '.') {
        d = strspn(++s, "0123456789");
        if (d == 0)
            return 0;
        s += d;
    }
    return *s == '\0';
}

static struct cell
expected_text(const char *s, size_t len)
{
    struct cell c = {NULL, 0, 0};
    int neutralize = formula_start(s, len);
    FUZZ_ASSERT(csv_needs_neutralizing(s, len) == (neutralize != 0));
    c.text = malloc(len + 2);
    FUZZ_ASSERT(c.text != NULL);
    if (neutralize)
        c.text[c.len++] = '\'';
    if (len > 0)
        memcpy(c.text + c.len, s, len);
    c.len += len;
    return c;
}

/* A strict RFC 4180 reader: the next cell of *p into a new string;
 * *end_of_row set when the cell ended its row (CRLF). */
static char *
read_cell(const char **p, const char *end, size_t *len, int *end_of_row)
{
    const char *s = *p;
    char *out = malloc((size_t)(end - s) + 1);
    FUZZ_ASSERT(out != NULL);
    size_t n = 0;
    if (s < end && *s == '"') {
        for (s++;; s++) {
            FUZZ_ASSERT(s < end); /* an unterminated quote */
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    out[n++] = '"';
                    s++;
                    continue;
                }
                s++;
                break;
            }
            out[n++] = *s;
        }
    } else {
        for (; s < end && *s != ',' && *s != '\r'; s++) {
            FUZZ_ASSERT(*s != '"' && *s != '\n'); /* must have been quoted */
            out[n++] = *s;
        }
    }
    FUZZ_ASSERT(s < end);
    if (*s == ',') {
        *end_of_row = 0;
        s++;
    } else {
        FUZZ_ASSERT(end - s >= 2 && s[0] == '\r' && s[1] == '\n');
        *end_of_row = 1;
        s += 2;
    }
    *p = s;
    *len = n;
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sink sink = {NULL, 0, SIZE_MAX, 0, 0};
    if (size >= 5 && memcmp(data, "FAIL ", 5) == 0) {
        char *line = fuzz_take_line(&data, &size);
        sink.fail_after = strtoul(line + 5, NULL, 10);
        free(line);
    }
    struct csv_writer *w = malloc(sizeof(*w));
    FUZZ_ASSERT(w != NULL);
    csv_init(w, sink_write, &sink);

    /* Write, and remember what each row should read as. */
    struct cell *cells = malloc((size + 1) * sizeof(*cells));
    size_t *row_ends = malloc((size + 2) * sizeof(*row_ends));
    FUZZ_ASSERT(cells != NULL && row_ends != NULL);
    size_t ncells = 0, nrows = 0, row_start = 0;
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        size_t n = 0;
        while (p + n < end && p[n] != 0x1F && p[n] != 0x1E)
            n++;
        const char *s = (const char *)p;
        if (n > 0 && s[0] == 0x01) {
            char *z = fuzz_strndup(p + 1, n - 1);
            csv_amount(w, z);
            if (decimal(z))
                cells[ncells++] = (struct cell){strdup(z), strlen(z), 1};
            else
                cells[ncells++] = expected_text(z, strlen(z));
            free(z);
        } else if (n > 0 && s[0] == 0x02) {
            char *z = fuzz_strndup(p + 1, n - 1);
            csv_str(w, z);
            cells[ncells++] = expected_text(z, strlen(z));
            free(z);
        } else {
            csv_text(w, n ? s : NULL, n);
            cells[ncells++] = expected_text(s, n);
        }
        p += n;
        if (p < end && *p == 0x1E) {
            csv_end_row(w);
            row_ends[nrows++] = ncells;
            row_start = ncells;
        }
        if (p < end)
            p++;
    }
    if (ncells > row_start) { /* end the last row */
        csv_end_row(w);
        row_ends[nrows++] = ncells;
    }
    int flushed = csv_flush(w);
    FUZZ_ASSERT(w->rows == nrows);
    FUZZ_ASSERT(sink.calls_after_failure == 0);

    if (sink.failed) {
        FUZZ_ASSERT(flushed == -1 && w->failed);
        FUZZ_ASSERT(csv_flush(w) == -1);
        FUZZ_ASSERT(sink.len <= sink.fail_after);
    } else {
        FUZZ_ASSERT(flushed == 0 && w->bytes == sink.len);
        /* Read it all back. */
        const char *r = sink.data ? sink.data : "";
        const char *rend = r + sink.len;
        size_t k = 0;
        for (size_t row = 0; row < nrows; row++) {
            size_t first = k;
            for (int eor = 0; !eor;) {
                size_t len;
                char *got = read_cell(&r, rend, &len, &eor);
                /* A row of no cells reads as one empty cell. */
                FUZZ_ASSERT(k < row_ends[row] ||
                            (k == first && len == 0 && eor));
                if (k < row_ends[row]) {
                    FUZZ_ASSERT(len == cells[k].len);
                    FUZZ_ASSERT(len == 0 ||
                                memcmp(got, cells[k].text, len) == 0);
                    FUZZ_ASSERT(!formula_start(got, len) || cells[k].is_amount);
                    k++;
                }
                free(got);
            }
            FUZZ_ASSERT(k == row_ends[row]);
        }
        FUZZ_ASSERT(r == rend);
    }

    for (size_t i = 0; i < ncells; i++)
        free(cells[i].text);
    free(cells);
    free(row_ends);
    free(sink.data);
    free(w);
    return 0;
}
