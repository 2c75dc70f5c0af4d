/* fuzz_export_period.c - libFuzzer target: what GET
 * /api/v1/staff/exports/{kind}.csv and `rmactl export` read from the
 * client (include/rma/export.h): the kind, the period's bounds
 * (export_parse_time, export_period_parse) and the download's file name.
 *
 * Input: "kind\nfrom\nto".
 *
 * Invariants: a kind parses only to itself; a bound is accepted only in
 * the documented shapes (years 1970 to 9999, real dates, offsets up to
 * 23:59); an accepted period has from < to and both texts are the
 * 20-character "YYYY-MM-DDTHH:MM:SSZ" of the same instants; the file name is
 * "rma-<kind>-<from>_<to>.csv" with nothing a Content-Disposition header or
 * a file system would misread. */
#include <ctype.h>

#include "fuzz.h"
#include "rma/export.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    for (int k = 0; k < EXPORT_KINDS; k++) {
        enum export_kind back;
        FUZZ_ASSERT(export_kind_parse(export_kind_name(k), &back) &&
                    back == (enum export_kind)k);
    }
    return 0;
}

/* The documented shape of a bound, checked by hand. */
static int
shape_ok(const char *s)
{
    static const char date[] = "dddd-dd-dd", time_[] = "Tdd:dd:dd";
    for (size_t i = 0; i < 10; i++)
        if (date[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != date[i])
            return 0;
    if (s[10] == '\0')
        return 1;
    for (size_t i = 0; i < 9; i++)
        if (time_[i] == 'd' ? !isdigit((unsigned char)s[10 + i])
                            : s[10 + i] != time_[i])
            return 0;
    const char *z = s + 19;
    if (strcmp(z, "Z") == 0)
        return 1;
    return (z[0] == '+' || z[0] == '-' || z[0] == ' ') &&
           isdigit((unsigned char)z[1]) && isdigit((unsigned char)z[2]) &&
           z[3] == ':' && isdigit((unsigned char)z[4]) &&
           isdigit((unsigned char)z[5]) && z[6] == '\0';
}

/* The text names the instant t in UTC, "YYYY-MM-DDTHH:MM:SSZ". */
static void
check_text(const char *text, time_t t)
{
    FUZZ_ASSERT(memchr(text, '\0', EXPORT_TIME_TEXT) != NULL);
    struct tm tm;
    FUZZ_ASSERT(gmtime_r(&t, &tm) != NULL);
    char want[64];
    snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    FUZZ_ASSERT(strlen(want) == 20);
    FUZZ_ASSERT(strcmp(text, want) == 0);
}

static void
check_bound(const char *s)
{
    time_t t;
    if (export_parse_time(s, &t) != RMA_OK)
        return;
    FUZZ_ASSERT(shape_ok(s));
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
               (s[3] - '0');
    FUZZ_ASSERT(year >= 1970);
    struct tm tm;
    FUZZ_ASSERT(gmtime_r(&t, &tm) != NULL);
    if (s[10] == '\0' || s[19] == 'Z') { /* no offset: the fields as given */
        FUZZ_ASSERT(tm.tm_year + 1900 == year);
        FUZZ_ASSERT(tm.tm_mon + 1 == (s[5] - '0') * 10 + (s[6] - '0'));
        FUZZ_ASSERT(tm.tm_mday == (s[8] - '0') * 10 + (s[9] - '0'));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *kind_text = fuzz_take_line(&data, &size);
    char *from = fuzz_take_line(&data, &size);
    char *to = fuzz_take_line(&data, &size);

    enum export_kind kind = EXPORT_LEDGER;
    if (export_kind_parse(kind_text, &kind))
        FUZZ_ASSERT(strcmp(export_kind_name(kind), kind_text) == 0);
    else
        kind = (enum export_kind)(strlen(kind_text) % EXPORT_KINDS);
    FUZZ_ASSERT(export_column_count(kind) >= 1 &&
                export_column_count(kind) <= EXPORT_MAX_COLUMNS);

    check_bound(from);
    check_bound(to);

    struct export_period p;
    const char *field = "unset";
    enum rma_err err = export_period_parse(from, to, &p, &field);
    if (err == RMA_EINVAL) {
        FUZZ_ASSERT(field != NULL &&
                    (strcmp(field, "from") == 0 || strcmp(field, "to") == 0));
    } else if (err == RMA_ERULE) {
        FUZZ_ASSERT(p.to <= p.from);
    } else {
        FUZZ_ASSERT(err == RMA_OK && field == NULL && p.from < p.to);
        check_text(p.from_text, p.from);
        check_text(p.to_text, p.to);
        char name[EXPORT_FILENAME_MAX];
        memset(name, 0x7f, sizeof(name));
        export_filename(kind, &p, name);
        FUZZ_ASSERT(memchr(name, '\0', sizeof(name)) != NULL);
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "rma-%s-", export_kind_name(kind));
        FUZZ_ASSERT(strncmp(name, prefix, strlen(prefix)) == 0);
        size_t n = strlen(name);
        FUZZ_ASSERT(n > 4 && strcmp(name + n - 4, ".csv") == 0);
        for (const char *c = name; *c; c++)
            FUZZ_ASSERT(isalnum((unsigned char)*c) || strchr("-_.", *c));
    }

    free(kind_text);
    free(from);
    free(to);
    return 0;
}
