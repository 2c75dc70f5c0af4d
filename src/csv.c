/* csv.c - the RFC 4180 writer of the finance exports (see csv.h). */
#include "rma/csv.h"

#include <string.h>

void
csv_init(struct csv_writer *w, csv_sink sink, void *arg)
{
    w->sink = sink;
    w->arg = arg;
    w->failed = false;
    w->in_row = false;
    w->rows = 0;
    w->bytes = 0;
    w->len = 0;
}

int
csv_flush(struct csv_writer *w)
{
    if (w->failed)
        return -1;
    if (w->len == 0)
        return 0;
    if (w->sink(w->arg, w->buf, w->len) != 0) {
        w->failed = true;
        w->len = 0;
        return -1;
    }
    w->bytes += w->len;
    w->len = 0;
    return 0;
}

/* Appends n bytes, handing full buffers to the sink. */
static void
put(struct csv_writer *w, const char *p, size_t n)
{
    while (n > 0 && !w->failed) {
        if (w->len == sizeof(w->buf) && csv_flush(w) != 0)
            return;
        size_t room = sizeof(w->buf) - w->len;
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        p += k;
        n -= k;
    }
}

static void
put_char(struct csv_writer *w, char c)
{
    if (w->len < sizeof(w->buf) && !w->failed)
        w->buf[w->len++] = c;
    else
        put(w, &c, 1);
}

bool
csv_needs_neutralizing(const char *s, size_t len)
{
    if (len == 0)
        return false;
    switch (s[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r': return true;
    default: return false;
    }
}

static bool
needs_quotes(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

/* The separator before every cell but a row's first. */
static void
begin_cell(struct csv_writer *w)
{
    if (w->in_row)
        put_char(w, ',');
    w->in_row = true;
}

/* Writes s quoted, each double quote doubled. */
static void
put_quoted(struct csv_writer *w, const char *s, size_t len)
{
    const char *end = s + len;
    while (s < end) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        if (q == NULL) {
            put(w, s, (size_t)(end - s));
            break;
        }
        put(w, s, (size_t)(q - s) + 1); /* up to and with the quote ... */
        put_char(w, '"');               /* ... and the quote again */
        s = q + 1;
    }
}

void
csv_text(struct csv_writer *w, const char *s, size_t len)
{
    begin_cell(w);
    if (len == 0)
        return;
    bool neutralize = csv_needs_neutralizing(s, len);
    if (!needs_quotes(s, len)) {
        if (neutralize)
            put_char(w, '\'');
        put(w, s, len);
        return;
    }
    put_char(w, '"');
    if (neutralize)
        put_char(w, '\'');
    put_quoted(w, s, len);
    put_char(w, '"');
}

void
csv_str(struct csv_writer *w, const char *s)
{
    csv_text(w, s, s ? strlen(s) : 0);
}

/* -?[0-9]+(\.[0-9]+)? */
static bool
is_decimal(const char *s)
{
    if (*s == '-')
        s++;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0)
        return false;
    s += digits;
    if (*s == '.') {
        s++;
        digits = strspn(s, "0123456789");
        if (digits == 0)
            return false;
        s += digits;
    }
    return *s == '\0';
}

void
csv_amount(struct csv_writer *w, const char *s)
{
    if (s == NULL || !is_decimal(s)) {
        csv_str(w, s);
        return;
    }
    begin_cell(w);
    put(w, s, strlen(s));
}

void
csv_end_row(struct csv_writer *w)
{
    put(w, "\r\n", 2);
    w->in_row = false;
    w->rows++;
}

void
csv_row(struct csv_writer *w, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        csv_str(w, cells[i]);
    csv_end_row(w);
}
