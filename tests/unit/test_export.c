/* test_export.c - the exports' kinds, periods and file names (no I/O; the
 * exports themselves are tested end to end by tests/e2e/export.sh). */
#include <criterion/criterion.h>
#include <string.h>

#include "rma/export.h"

static time_t
parse(const char *s)
{
    time_t t = 12345;
    cr_assert_eq(export_parse_time(s, &t), RMA_OK, "%s", s);
    return t;
}

static void
refuse(const char *s)
{
    time_t t = 12345;
    cr_assert_eq(export_parse_time(s, &t), RMA_EINVAL, "%s", s);
    cr_assert_eq(t, 12345, "%s: left alone", s);
}

Test(export, every_kind_has_its_name)
{
    static const char *const names[] = {
        "ledger",          "holds",      "captures-refunds",
        "makeup-payments", "exceptions", "rmas",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        enum export_kind k;
        cr_assert(export_kind_parse(names[i], &k), "%s", names[i]);
        cr_assert_str_eq(export_kind_name(k), names[i]);
    }
    enum export_kind k;
    cr_assert_not(export_kind_parse("Ledger", &k));
    cr_assert_not(export_kind_parse("ledger.csv", &k));
    cr_assert_not(export_kind_parse("", &k));
    cr_assert_not(export_kind_parse(NULL, &k));
}

Test(export, columns_are_named_once_and_fit_the_row_buffer)
{
    for (int k = 0; k < EXPORT_KINDS; k++) {
        size_t n = export_column_count((enum export_kind)k);
        cr_assert_gt(n, 1);
        cr_assert_leq(n, EXPORT_MAX_COLUMNS);
        bool currency = false;
        for (size_t i = 0; i < n; i++) {
            const char *a = export_column_name((enum export_kind)k, i);
            currency = currency || strcmp(a, "currency") == 0;
            for (size_t j = i + 1; j < n; j++)
                cr_assert_str_neq(a,
                                  export_column_name((enum export_kind)k, j));
        }
        /* Amounts are written in their currency's exponent; shipments
         * carry none. */
        cr_assert(currency || k == EXPORT_SHIPMENTS, "%s has a currency column",
                  export_kind_name((enum export_kind)k));
    }
}

Test(export, dates_are_midnight_utc)
{
    cr_assert_eq(parse("1970-01-01"), 0);
    cr_assert_eq(parse("2026-11-01"), 1793491200);
    cr_assert_eq(parse("2024-02-29"), 1709164800);
    cr_assert_eq(parse("2000-02-29"), 951782400);
    cr_assert_eq(parse("9999-12-31"), 253402214400);
}

Test(export, times_take_z_or_an_offset)
{
    cr_assert_eq(parse("2026-11-01T10:00:00Z"), 1793491200 + 36000);
    cr_assert_eq(parse("2026-11-01T12:00:00+02:00"), 1793491200 + 36000);
    cr_assert_eq(parse("2026-11-01T12:00:00 02:00"), 1793491200 + 36000);
    cr_assert_eq(parse("2026-11-01T05:30:00-04:30"), 1793491200 + 36000);
    cr_assert_eq(parse("2026-11-01T23:59:59Z"), 1793491200 + 86399);
    cr_assert_eq(parse("1970-01-01T00:00:00Z"), 0);
}

Test(export, refuses_what_is_not_a_date_or_utc_time)
{
    refuse(NULL);
    refuse("");
    refuse("1969-12-31"); /* before 1970 */
    refuse("2025-02-29"); /* not a leap year */
    refuse("1900-02-29"); /* nor 1900 */
    refuse("2026-04-31");
    refuse("2026-13-01");
    refuse("2026-00-10");
    refuse("2026-01-00");
    refuse("2026-1-01");
    refuse("26-11-01");
    refuse("2026-11-01 ");
    refuse("2026-11-01T");
    refuse("2026-11-01T10:00:00");    /* no zone */
    refuse("2026-11-01T10:00Z");      /* no seconds */
    refuse("2026-11-01T10:00:00.5Z"); /* no fractions */
    refuse("2026-11-01T24:00:00Z");
    refuse("2026-11-01T23:60:00Z");
    refuse("2026-11-01T23:59:60Z"); /* no leap seconds */
    refuse("2026-11-01T10:00:00z");
    refuse("2026-11-01T10:00:00+2:00");
    refuse("2026-11-01T10:00:00+24:00");
    refuse("2026-11-01T10:00:00+02:60");
    refuse("2026-11-01T10:00:00+0200");
    refuse("2026-11-01T10:00:00+02:00x");
    refuse("2026-11-01t10:00:00Z");
    refuse("2026/11/01");
}

Test(export, a_period_is_half_open_and_not_empty)
{
    struct export_period p;
    const char *field = "x";
    cr_assert_eq(export_period_parse("2026-11-01", "2026-12-01", &p, &field),
                 RMA_OK);
    cr_assert_null(field);
    cr_assert_str_eq(p.from_text, "2026-11-01T00:00:00Z");
    cr_assert_str_eq(p.to_text, "2026-12-01T00:00:00Z");
    cr_assert_eq(
        export_period_parse("2026-11-01", "2026-11-01T00:00:01Z", &p, &field),
        RMA_OK, "one second is a period");
    cr_assert_eq(export_period_parse("2026-11-01", "2026-11-01", &p, &field),
                 RMA_ERULE);
    cr_assert_str_eq(field, "to");
    cr_assert_eq(export_period_parse("2026-11-01T02:00:00+02:00",
                                     "2026-11-01T00:00:00Z", &p, &field),
                 RMA_ERULE, "the same instant");
    cr_assert_eq(export_period_parse("2026-11-02", "2026-11-01", &p, &field),
                 RMA_ERULE);
    cr_assert_eq(export_period_parse(NULL, "2026-11-01", &p, &field),
                 RMA_EINVAL);
    cr_assert_str_eq(field, "from");
    cr_assert_eq(export_period_parse("2026-11-01", "tomorrow", &p, &field),
                 RMA_EINVAL);
    cr_assert_str_eq(field, "to");
}

Test(export, the_file_name_says_kind_and_period)
{
    struct export_period p;
    const char *field;
    char name[EXPORT_FILENAME_MAX];
    cr_assert_eq(export_period_parse("2026-11-01", "2026-12-01", &p, &field),
                 RMA_OK);
    export_filename(EXPORT_LEDGER, &p, name);
    cr_assert_str_eq(name, "rma-ledger-2026-11-01_2026-12-01.csv");
    cr_assert_eq(export_period_parse("2026-11-01T12:30:00+02:00",
                                     "2026-11-02T00:00:00Z", &p, &field),
                 RMA_OK);
    export_filename(EXPORT_CAPTURES_REFUNDS, &p, name);
    cr_assert_str_eq(name,
                     "rma-captures-refunds-2026-11-01T103000Z_2026-11-02.csv");
    cr_assert_eq(
        export_period_parse("1970-01-01", "9999-12-31T23:59:59Z", &p, &field),
        RMA_OK);
    export_filename(EXPORT_MAKEUP_PAYMENTS, &p, name);
    cr_assert_str_eq(name, "rma-makeup-payments-1970-01-01_9999-12-31T235959Z"
                           ".csv");
}
