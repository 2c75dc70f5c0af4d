/* export_row.h - what the finance exports (export.h) and their SQL
 * (db_export.h) share, below both: the kinds and their names
 * (export_row.c), the limits of a run, the period, the audit row. */
#ifndef RMA_EXPORT_ROW_H
#define RMA_EXPORT_ROW_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum export_kind {
    EXPORT_LEDGER,
    EXPORT_HOLDS,
    EXPORT_CAPTURES_REFUNDS,
    EXPORT_MAKEUP_PAYMENTS,
    EXPORT_EXCEPTIONS,
    EXPORT_RMAS,
    EXPORT_SHIPMENTS,
};
#define EXPORT_KINDS 7

/* Rows PostgreSQL sends per FETCH from the export's cursor. */
#define EXPORT_FETCH_ROWS 1000
/* The most columns a kind has. */
#define EXPORT_MAX_COLUMNS 32
/* "2026-11-01T10:00:00Z" and its NUL. */
#define EXPORT_TIME_TEXT 21

/* The half-open UTC interval [from, to) an export covers. */
struct export_period {
    time_t from, to;
    char from_text[EXPORT_TIME_TEXT]; /* ISO 8601 UTC, for SQL and audit */
    char to_text[EXPORT_TIME_TEXT];
};

/* The kind named s ("ledger", "captures-refunds" ...).  false if none. */
bool export_kind_parse(const char *s, enum export_kind *out);
/* "ledger" ...  Static. */
const char *export_kind_name(enum export_kind kind);

/* One export for the audit trail: who, what, which period, how many rows,
 * and how it ended. */
struct export_audit {
    const char *actor_kind; /* "staff" or "system" */
    const char *actor_name;
    const char *actor_role; /* NULL for the system */
    const char *via;        /* "http" or "rmactl" */
    enum export_kind kind;
    const struct export_period *period;
    uint64_t rows;
    const char *outcome; /* "completed", "output_failed", "failed" */
    const char *at;      /* ISO 8601 UTC: when it ended */
};

#endif
