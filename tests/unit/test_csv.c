/* test_csv.c - the RFC 4180 writer: quoting, formula neutralization,
 * amounts, UTF-8, and the fixed buffer in front of the sink. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rma/buf.h"
#include "rma/csv.h"

struct collected {
    struct buf out;
    size_t calls;
    size_t largest;    /* the largest piece handed to the sink */
    size_t fail_after; /* refuse from this call on (0: never) */
};

static int
collect(void *arg, const char *data, size_t len)
{
    struct collected *c = arg;
    c->calls++;
    if (c->fail_after != 0 && c->calls >= c->fail_after)
        return -1;
    if (len > c->largest)
        c->largest = len;
    return buf_append(&c->out, data, len) == RMA_OK ? 0 : -1;
}

static struct collected sink;
static struct csv_writer w;

static void
setup(void)
{
    memset(&sink, 0, sizeof(sink));
    buf_init(&sink.out, 64 * 1024 * 1024);
    csv_init(&w, collect, &sink);
}

static void
teardown(void)
{
    buf_free(&sink.out);
}

/* A fresh writer and sink within one test. */
static void
reset(void)
{
    teardown();
    setup();
}

/* What the writer produced so far (flushed). */
static const char *
output(void)
{
    cr_assert_eq(csv_flush(&w), 0);
    return sink.out.data ? sink.out.data : "";
}

/* One text cell alone on a row, as written. */
static const char *
one_cell(const char *s)
{
    csv_str(&w, s);
    csv_end_row(&w);
    return output();
}

TestSuite(csv, .init = setup, .fini = teardown);

Test(csv, plain_cells_are_not_quoted_and_rows_end_with_crlf)
{
    const char *header[] = {"id", "name", "amount"};
    csv_row(&w, header, 3);
    csv_str(&w, "7");
    csv_str(&w, "Camera 4K");
    csv_amount(&w, "129.99");
    csv_end_row(&w);
    cr_assert_str_eq(output(), "id,name,amount\r\n7,Camera 4K,129.99\r\n");
    cr_assert_eq(w.rows, 2);
}

Test(csv, empty_and_null_cells_are_empty)
{
    csv_str(&w, NULL);
    csv_text(&w, "", 0);
    csv_str(&w, "x");
    csv_amount(&w, NULL);
    csv_end_row(&w);
    cr_assert_str_eq(output(), ",,x,\r\n");
}

Test(csv, quotes_only_cells_with_comma_quote_cr_or_lf)
{
    cr_assert_str_eq(one_cell("a,b"), "\"a,b\"\r\n");
    reset();
    cr_assert_str_eq(one_cell("say \"hi\""), "\"say \"\"hi\"\"\"\r\n");
    reset();
    cr_assert_str_eq(one_cell("line1\nline2"), "\"line1\nline2\"\r\n");
    reset();
    cr_assert_str_eq(one_cell("a\rb"), "\"a\rb\"\r\n");
    reset();
    cr_assert_str_eq(one_cell("\""), "\"\"\"\"\r\n");
    reset();
    /* Spaces, semicolons, tabs inside and apostrophes need no quotes. */
    cr_assert_str_eq(one_cell(" a;b\tc'd "), " a;b\tc'd \r\n");
}

Test(csv, neutralizes_every_formula_opener)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"=1+2", "'=1+2\r\n"},
        {"+1", "'+1\r\n"},
        {"-12.50", "'-12.50\r\n"},
        {"@SUM(A1)", "'@SUM(A1)\r\n"},
        {"\tx", "'\tx\r\n"},
        {"\rx", "\"'\rx\"\r\n"}, /* CR: neutralized, then quoted */
        {"=HYPERLINK(\"http://x\",\"y\")",
         "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"},
        {"=", "'=\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reset();
        cr_assert_str_eq(one_cell(cases[i].in), cases[i].out, "cell %zu", i);
    }
}

Test(csv, leaves_other_openers_and_later_characters_alone)
{
    cr_assert_not(csv_needs_neutralizing("a=1", 3));
    cr_assert_not(csv_needs_neutralizing(" =1", 3));
    cr_assert_not(csv_needs_neutralizing("'=1", 3));
    cr_assert_not(csv_needs_neutralizing("\n=1", 3));
    cr_assert_not(csv_needs_neutralizing("", 0));
    cr_assert_str_eq(one_cell("1-2=3"), "1-2=3\r\n");
}

Test(csv, amounts_are_never_neutralized)
{
    csv_amount(&w, "-12.50");
    csv_amount(&w, "99.99");
    csv_amount(&w, "1500");
    csv_amount(&w, "-1500");
    csv_amount(&w, "0.00");
    csv_end_row(&w);
    cr_assert_str_eq(output(), "-12.50,99.99,1500,-1500,0.00\r\n");
}

Test(csv, an_amount_that_is_not_a_decimal_is_written_as_text)
{
    csv_amount(&w, "-1+2");
    csv_amount(&w, "=1");
    csv_amount(&w, "-");
    csv_amount(&w, "1.");
    csv_amount(&w, "-.5");
    csv_amount(&w, "1,5");
    csv_end_row(&w);
    cr_assert_str_eq(output(), "'-1+2,'=1,'-,1.,'-.5,\"1,5\"\r\n");
}

Test(csv, a_memo_with_quotes_commas_and_newlines_round_trips)
{
    const char *memo = "Refund \"partial\", see note:\r\nline 2,\nline 3\r";
    csv_str(&w, "1");
    csv_str(&w, memo);
    csv_str(&w, "end");
    csv_end_row(&w);
    cr_assert_str_eq(output(), "1,\"Refund \"\"partial\"\", see note:\r\nline "
                               "2,\nline 3\r\",end\r\n");
}

Test(csv, utf8_passes_through_unchanged)
{
    const char *s = "Müller — 東京都 ✓ \xF0\x9F\x93\xB7";
    cr_assert_str_eq(one_cell(s), "Müller — 東京都 ✓ \xF0\x9F\x93\xB7\r\n");
    reset();
    cr_assert_str_eq(one_cell("é,è"), "\"é,è\"\r\n");
}

Test(csv, memory_is_one_buffer_whatever_the_output)
{
    /* 1 MiB of rows, and one cell three buffers long with quotes across
     * the buffer boundaries: the sink never gets more than one buffer. */
    for (int i = 0; i < 40000; i++) {
        csv_str(&w, "row");
        csv_amount(&w, "-12.50");
        csv_str(&w, "a \"quoted\", cell");
        csv_end_row(&w);
    }
    size_t big = 3 * CSV_BUFFER_SIZE + 7;
    char *cell = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        cell[i] = i % 5 == 0 ? '"' : 'x';
    cell[big] = '\0';
    csv_str(&w, cell);
    csv_end_row(&w);
    const char *out = output();
    cr_assert_leq(sink.largest, CSV_BUFFER_SIZE);
    cr_assert_gt(sink.calls, 60);
    cr_assert_eq(w.bytes, sink.out.len);
    const char *row = "row,-12.50,\"a \"\"quoted\"\", cell\"\r\n";
    size_t rowlen = strlen(row);
    for (int i = 0; i < 40000; i++)
        cr_assert_eq(memcmp(out + (size_t)i * rowlen, row, rowlen), 0, "row %d",
                     i);
    const char *last = out + 40000 * rowlen;
    cr_assert_eq(last[0], '"');
    size_t quotes = big / 5 + 1;
    cr_assert_eq(strlen(last), 1 + big + quotes + 1 + 2);
    size_t j = 1;
    for (size_t i = 0; i < big; i++) {
        cr_assert_eq(last[j++], cell[i], "byte %zu", i);
        if (cell[i] == '"')
            cr_assert_eq(last[j++], '"', "doubled quote at %zu", i);
    }
    cr_assert_str_eq(last + j, "\"\r\n");
    free(cell);
}

Test(csv, a_refusing_sink_stops_the_writer)
{
    sink.fail_after = 2;
    for (int i = 0; i < 5000; i++) {
        csv_str(&w, "some text to fill the buffer");
        csv_end_row(&w);
    }
    cr_assert(w.failed);
    cr_assert_eq(csv_flush(&w), -1);
    cr_assert_eq(sink.calls, 2, "nothing is offered after the refusal");
    cr_assert_eq(sink.out.len, CSV_BUFFER_SIZE);
    cr_assert_eq(w.bytes, CSV_BUFFER_SIZE);
}

Test(csv, nothing_reaches_the_sink_before_the_buffer_fills_or_a_flush)
{
    csv_str(&w, "a");
    csv_end_row(&w);
    cr_assert_eq(sink.calls, 0);
    cr_assert_eq(csv_flush(&w), 0);
    cr_assert_eq(sink.calls, 1);
    cr_assert_eq(csv_flush(&w), 0);
    cr_assert_eq(sink.calls, 1, "an empty flush does not call the sink");
}
