/* export.c - the finance exports (SPEC §8): kinds and their columns,
 * periods, file names, and rows turned into CSV as PostgreSQL sends them.
 *
 * Each kind's columns are one table below, in the order its query in
 * db_export.c selects them; doc/exports.md describes them for finance. */
#include "rma/export.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rma/calendar.h"
#include "rma/log.h"
#include "rma/money.h"

/* How a column's PostgreSQL text becomes a cell. */
enum column_format {
    TEXT,   /* as it is (neutralized by the writer when needed) */
    TIME,   /* timestamptz in UTC -> 2026-11-01T10:00:00Z */
    AMOUNT, /* integer minor units -> decimal string in the exponent of the
               row's `currency` column */
};

struct column {
    const char *name;
    enum column_format format;
};

/* A kind's columns (its name: export_row.c). */
struct kind {
    const struct column *columns;
    size_t ncolumns;
};

static const struct column ledger_columns[] = {
    {"effective_at", TIME},    {"entry_id", TEXT},  {"entry_kind", TEXT},
    {"posting_id", TEXT},      {"account", TEXT},   {"account_kind", TEXT},
    {"currency", TEXT},        {"amount", AMOUNT},  {"rma_number", TEXT},
    {"hold_id", TEXT},         {"paypal_id", TEXT}, {"makeup_id", TEXT},
    {"idempotency_key", TEXT}, {"memo", TEXT},      {"created_at", TIME},
};

static const struct column holds_columns[] = {
    {"authorized_at", TIME},      {"hold_id", TEXT},
    {"rma_number", TEXT},         {"status", TEXT},
    {"currency", TEXT},           {"amount", AMOUNT},
    {"authorization_id", TEXT},   {"honor_until", TIME},
    {"expires_at", TIME},         {"deadline", TIME},
    {"extensions", TEXT},         {"reauth_status", TEXT},
    {"reauthorization_id", TEXT}, {"reauthorized_at", TIME},
    {"void_reason", TEXT},        {"voided_at", TIME},
    {"capture_id", TEXT},         {"captured_amount", AMOUNT},
    {"capture_fee", AMOUNT},      {"captured_at", TIME},
    {"capture_reason", TEXT},     {"capture_attempts", TEXT},
    {"refund_id", TEXT},          {"refunded_amount", AMOUNT},
    {"refunded_at", TIME},        {"refund_reason", TEXT},
    {"ended_at", TIME},
};

static const struct column captures_refunds_columns[] = {
    {"at", TIME},         {"type", TEXT},      {"hold_id", TEXT},
    {"rma_number", TEXT}, {"paypal_id", TEXT}, {"related_paypal_id", TEXT},
    {"currency", TEXT},   {"gross", AMOUNT},   {"fee", AMOUNT},
    {"net", AMOUNT},      {"reason", TEXT},
};

/* Pending: the make-up payment claims have no table yet (doc/exports.md). */
static const struct column makeup_payments_columns[] = {
    {"claimed_at", TIME},     {"claim_id", TEXT},    {"rma_number", TEXT},
    {"reason", TEXT},         {"currency", TEXT},    {"amount_due", AMOUNT},
    {"transaction_id", TEXT}, {"outcome", TEXT},     {"matched_by", TEXT},
    {"paid_amount", AMOUNT},  {"surplus", AMOUNT},   {"reconciled_at", TIME},
    {"resolved_at", TIME},    {"resolved_by", TEXT}, {"resolution", TEXT},
};

static const struct column exceptions_columns[] = {
    {"created_at", TIME},  {"exception_id", TEXT}, {"kind", TEXT},
    {"rma_number", TEXT},  {"hold_id", TEXT},      {"currency", TEXT},
    {"amount", AMOUNT},    {"detail", TEXT},       {"status", TEXT},
    {"resolved_at", TIME}, {"resolved_by", TEXT},  {"resolution", TEXT},
};

static const struct column rmas_columns[] = {
    {"created_at", TIME},
    {"rma_number", TEXT},
    {"kind", TEXT},
    {"status", TEXT},
    {"revision", TEXT},
    {"customer_email", TEXT},
    {"customer_name", TEXT},
    {"order_number", TEXT},
    {"sales_channel", TEXT},
    {"shipping_country", TEXT},
    {"currency", TEXT},
    {"refund_amount", AMOUNT},
    {"replacement_value", AMOUNT},
    {"makeup_due", AMOUNT},
    {"makeup_reason", TEXT},
    {"replacement_method", TEXT},
    {"warehouse_region", TEXT},
    {"problem", TEXT},
    {"cancel_reason", TEXT},
    {"created_by", TEXT},
    {"updated_at", TIME},
    {"confirmed_at", TIME},
    {"closed_at", TIME},
};

static const struct column shipments_columns[] = {
    {"shipped_at", TIME},      {"shipment_id", TEXT},   {"rma_number", TEXT},
    {"rma_kind", TEXT},        {"shipment_kind", TEXT}, {"carrier", TEXT},
    {"tracking_number", TEXT}, {"tracking_url", TEXT},  {"shipped_by", TEXT},
};

#define KIND(cols)                                                             \
    {                                                                          \
        cols, sizeof(cols) / sizeof(cols[0])                                   \
    }

static const struct kind kinds[EXPORT_KINDS] = {
    [EXPORT_LEDGER] = KIND(ledger_columns),
    [EXPORT_HOLDS] = KIND(holds_columns),
    [EXPORT_CAPTURES_REFUNDS] = KIND(captures_refunds_columns),
    [EXPORT_MAKEUP_PAYMENTS] = KIND(makeup_payments_columns),
    [EXPORT_EXCEPTIONS] = KIND(exceptions_columns),
    [EXPORT_RMAS] = KIND(rmas_columns),
    [EXPORT_SHIPMENTS] = KIND(shipments_columns),
};

size_t
export_column_count(enum export_kind kind)
{
    return kinds[kind].ncolumns;
}

const char *
export_column_name(enum export_kind kind, size_t i)
{
    return kinds[kind].columns[i].name;
}

/* ------------------------------------------------------------------ */
/* Periods */

/* n decimal digits at s into *out; false if one is not a digit. */
static bool
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Z, or +HH:MM / -HH:MM (a space for '+') into seconds east of UTC. */
static bool
parse_offset(const char *s, long *offset)
{
    if (strcmp(s, "Z") == 0) {
        *offset = 0;
        return true;
    }
    int h, m;
    if ((s[0] != '+' && s[0] != '-' && s[0] != ' ') || !digits(s + 1, 2, &h) ||
        s[3] != ':' || !digits(s + 4, 2, &m) || s[6] != '\0' || h > 23 ||
        m > 59)
        return false;
    *offset = (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
    return true;
}

enum rma_err
export_parse_time(const char *s, time_t *out)
{
    int year, month, day, hour = 0, minute = 0, second = 0;
    long offset = 0;
    if (s == NULL || !digits(s, 4, &year) || s[4] != '-' ||
        !digits(s + 5, 2, &month) || s[7] != '-' || !digits(s + 8, 2, &day))
        return RMA_EINVAL;
    const char *t = s + 10;
    if (*t != '\0') {
        if (*t != 'T' || !digits(t + 1, 2, &hour) || t[3] != ':' ||
            !digits(t + 4, 2, &minute) || t[6] != ':' ||
            !digits(t + 7, 2, &second) || !parse_offset(t + 9, &offset))
            return RMA_EINVAL;
    }
    if (year < 1970 || month < 1 || month > 12 || day < 1 ||
        day > calendar_days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 59)
        return RMA_EINVAL;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    time_t when = timegm(&tm) - offset;
    /* An offset can carry the instant into year 10000
     * (9999-12-31T23:59:59-23:59), whose ISO text no longer fits
     * EXPORT_TIME_TEXT: strftime would leave it unterminated (found by
     * tests/fuzz). */
    if (when >= (time_t)253402300800) /* 10000-01-01T00:00:00Z */
        return RMA_EINVAL;
    *out = when;
    return RMA_OK;
}

static void
iso_utc(time_t t, char out[EXPORT_TIME_TEXT])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, EXPORT_TIME_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum rma_err
export_period_parse(const char *from, const char *to, struct export_period *p,
                    const char **field)
{
    *field = "from";
    if (export_parse_time(from, &p->from) != RMA_OK)
        return RMA_EINVAL;
    *field = "to";
    if (export_parse_time(to, &p->to) != RMA_OK)
        return RMA_EINVAL;
    if (p->to <= p->from)
        return RMA_ERULE;
    *field = NULL;
    iso_utc(p->from, p->from_text);
    iso_utc(p->to, p->to_text);
    return RMA_OK;
}

/* A bound in a file name: its date at midnight UTC, else compact ISO. */
static void
name_bound(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, t % 86400 == 0 ? "%Y-%m-%d" : "%Y-%m-%dT%H%M%SZ", &tm);
}

void
export_filename(enum export_kind kind, const struct export_period *p, char *out)
{
    char from[32], to[32];
    name_bound(p->from, from, sizeof(from));
    name_bound(p->to, to, sizeof(to));
    snprintf(out, EXPORT_FILENAME_MAX, "rma-%s-%s_%s.csv",
             export_kind_name(kind), from, to);
}

/* ------------------------------------------------------------------ */
/* Rows */

/* "2026-11-01 10:00:00[.ffffff]+00" (TimeZone UTC, DateStyle ISO) into
 * "2026-11-01T10:00:00Z".  Fractions of a second are dropped, as the API's
 * iso_utc() does.  false for any other shape. */
static bool
iso_from_pg(const char *s, char out[EXPORT_TIME_TEXT])
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd";
    size_t n = sizeof(shape) - 1;
    for (size_t i = 0; i < n; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        if (shape[i] == 'd' ? !digit : s[i] != shape[i])
            return false;
    }
    const char *rest = s + n;
    if (*rest == '.') {
        rest++;
        size_t frac = strspn(rest, "0123456789");
        if (frac == 0)
            return false;
        rest += frac;
    }
    if (strcmp(rest, "+00") != 0)
        return false;
    memcpy(out, s, n);
    out[10] = 'T';
    out[n] = 'Z';
    out[n + 1] = '\0';
    return true;
}

/* minor units text of currency into a decimal string; false if either is
 * not what the schema allows. */
static bool
amount_text(const char *minor, const char *currency, char out[MONEY_TEXT_MAX])
{
    int exponent = money_exponent(currency);
    if (exponent < 0 || minor[0] == '\0')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(minor, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    money_format_minor((int64_t)v, exponent, out);
    return true;
}

struct run_state {
    const struct kind *kind;
    const char *kind_name;
    int currency; /* index of the kind's currency column, -1 if none */
    struct csv_writer *w;
    uint64_t rows;
    bool bad_value;
};

static int
stop_on_bad_value(struct run_state *st, size_t column, const char *value)
{
    log_event(LOG_ERROR, "export_bad_value", "{s:s, s:s, s:s}", "kind",
              st->kind_name, "column", st->kind->columns[column].name, "value",
              value);
    st->bad_value = true;
    return 1;
}

/* One row from PostgreSQL into one CSV row; non-zero stops the export. */
static int
write_row(void *arg, const char *const *values, int n)
{
    struct run_state *st = arg;
    const struct kind *k = st->kind;
    char text[MONEY_TEXT_MAX > EXPORT_TIME_TEXT ? MONEY_TEXT_MAX
                                                : EXPORT_TIME_TEXT];
    for (size_t c = 0; c < (size_t)n; c++) {
        const char *v = values[c];
        if (v == NULL) {
            csv_text(st->w, NULL, 0);
            continue;
        }
        switch (k->columns[c].format) {
        case TEXT: csv_str(st->w, v); break;
        case TIME:
            if (!iso_from_pg(v, text))
                return stop_on_bad_value(st, c, v);
            csv_str(st->w, text);
            break;
        case AMOUNT:
            if (st->currency < 0 || !amount_text(v, values[st->currency], text))
                return stop_on_bad_value(st, c, v);
            csv_amount(st->w, text);
            break;
        }
    }
    csv_end_row(st->w);
    st->rows++;
    return st->w->failed ? 1 : 0;
}

enum rma_err
export_run(struct db *db, enum export_kind kind, const struct export_period *p,
           struct csv_writer *w, uint64_t *rows)
{
    struct run_state st = {.kind = &kinds[kind],
                           .kind_name = export_kind_name(kind),
                           .currency = -1,
                           .w = w};
    for (size_t c = 0; c < st.kind->ncolumns; c++) {
        if (strcmp(st.kind->columns[c].name, "currency") == 0)
            st.currency = (int)c;
        csv_str(w, st.kind->columns[c].name);
    }
    csv_end_row(w);
    enum rma_err err = db_export_stream(db, kind, p->from_text, p->to_text,
                                        (int)st.kind->ncolumns, write_row, &st);
    *rows = st.rows;
    if (err != RMA_OK)
        return err;
    if (st.bad_value)
        return RMA_EINTERNAL;
    (void)csv_flush(w); /* a refusal leaves w->failed set */
    return RMA_OK;
}

enum rma_err
export_wait_for_replica(struct db *primary, struct db *replica,
                        long max_seconds, enum export_replica_state *state,
                        int64_t *behind_bytes)
{
    *state = EXPORT_REPLICA_CAUGHT_UP;
    *behind_bytes = 0;
    if (max_seconds <= 0)
        return RMA_OK;
    char lsn[EXPORT_LSN_TEXT];
    if (db_export_primary_lsn(primary, lsn) != RMA_OK) {
        *state = EXPORT_PRIMARY_DOWN;
        return RMA_EDB;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        bool standby, caught_up;
        if (db_export_replica_position(replica, lsn, &standby, &caught_up,
                                       behind_bytes) != RMA_OK) {
            *state = EXPORT_REPLICA_DOWN;
            return RMA_EDB;
        }
        if (!standby || caught_up) {
            *behind_bytes = 0;
            return RMA_OK;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t waited_ms = (int64_t)(now.tv_sec - start.tv_sec) * 1000 +
                            (now.tv_nsec - start.tv_nsec) / 1000000;
        if (waited_ms >= (int64_t)max_seconds * 1000)
            break;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    *state = EXPORT_REPLICA_BEHIND;
    log_event(LOG_WARN, "export_replica_behind", "{s:s, s:I, s:i}",
              "primary_lsn", lsn, "behind_bytes", (json_int_t)*behind_bytes,
              "waited_seconds", (int)max_seconds);
    return RMA_EDB;
}
