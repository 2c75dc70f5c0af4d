/* test_csv_reader.c - the RFC 4180 reader of rmactl's imports. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rma/csv_reader.h"

/* A stream over a copy of s (fmemopen wants a writable buffer). */
static FILE *
text(const char *s)
{
    static char copy[2][CSV_READER_MAX_BYTES + 64];
    static int which;
    char *buf = copy[which++ % 2];
    size_t n = strlen(s);
    memcpy(buf, s, n + 1);
    return fmemopen(buf, n, "r");
}

Test(csv_reader, reads_plain_and_quoted_cells_with_crlf_and_lf)
{
    FILE *f = text("\xEF\xBB\xBF"
                   "a,b,c\r\n"
                   "1,\"two, too\",\"say \"\"hi\"\"\"\n"
                   "\n"
                   "x,,\"multi\nline\"\r\n"
                   "last,row");
    struct csv_reader r;
    struct csv_record rec;
    csv_reader_init(&r, f);
    cr_assert_eq(csv_read(&r, &rec), CSV_RECORD);
    cr_assert_eq(rec.n, 3);
    cr_assert_str_eq(rec.cell[0], "a", "the byte order mark is dropped");
    cr_assert_str_eq(rec.cell[2], "c");
    cr_assert_eq(csv_read(&r, &rec), CSV_RECORD);
    cr_assert_eq(rec.line, 2);
    cr_assert_str_eq(rec.cell[1], "two, too");
    cr_assert_str_eq(rec.cell[2], "say \"hi\"");
    cr_assert_eq(csv_read(&r, &rec), CSV_RECORD, "the blank line is skipped");
    cr_assert_eq(rec.n, 3);
    cr_assert_str_eq(rec.cell[1], "");
    cr_assert_str_eq(rec.cell[2], "multi\nline");
    cr_assert_eq(csv_read(&r, &rec), CSV_RECORD);
    cr_assert_eq(rec.line, 6, "lines are counted inside quoted cells");
    cr_assert_str_eq(rec.cell[1], "row", "the last row needs no line end");
    cr_assert_eq(csv_read(&r, &rec), CSV_END);
    fclose(f);
}

Test(csv_reader, refuses_stray_quotes_and_oversized_rows)
{
    struct csv_reader r;
    struct csv_record rec;
    const char *bad[] = {"a,b\"c\n", "\"a\"b,c\n", "\"open\n"};
    for (size_t i = 0; i < 3; i++) {
        FILE *f = text(bad[i]);
        csv_reader_init(&r, f);
        cr_assert_eq(csv_read(&r, &rec), CSV_BAD_QUOTE, "%s", bad[i]);
        fclose(f);
    }
    static char big[CSV_READER_MAX_BYTES + 10];
    memset(big, 'x', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    FILE *f = text(big);
    csv_reader_init(&r, f);
    cr_assert_eq(csv_read(&r, &rec), CSV_TOO_LONG);
    fclose(f);
    static char wide[200];
    size_t o = 0;
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(wide + o, sizeof(wide) - o, "%s1", i ? "," : "");
    f = text(wide);
    csv_reader_init(&r, f);
    cr_assert_eq(csv_read(&r, &rec), CSV_TOO_MANY_FIELDS);
    fclose(f);
}
