/* export.h - the finance exports (SPEC §8): what each kind contains, the
 * period it covers, and streaming it as CSV with constant memory.
 *
 * One code path serves GET /api/v1/staff/exports/{kind}.csv and `rmactl
 * export`: export_run writes into a csv_writer whose sink is the FastCGI
 * stream or a FILE, so both give the same bytes.  The columns of every kind
 * are documented in doc/exports.md. */
#ifndef RMA_EXPORT_H
#define RMA_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rma/csv.h"
#include "rma/db.h"
#include "rma/err.h"

enum export_kind {
    EXPORT_LEDGER,
    EXPORT_HOLDS,
    EXPORT_CAPTURES_REFUNDS,
    EXPORT_MAKEUP_PAYMENTS,
    EXPORT_EXCEPTIONS,
    EXPORT_RMAS,
};
#define EXPORT_KINDS 6

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
/* The kind's columns: how many, and the name of column i (static). */
size_t export_column_count(enum export_kind kind);
const char *export_column_name(enum export_kind kind, size_t i);

/* Parses one bound of a period: a date (YYYY-MM-DD, midnight UTC) or a
 * time YYYY-MM-DDTHH:MM:SS followed by Z or an offset +HH:MM / -HH:MM (a
 * space stands for '+', as an unencoded '+' in a URL arrives).  Years 1970
 * to 9999.  RMA_EINVAL if s is anything else. */
enum rma_err export_parse_time(const char *s, time_t *out);

/* Parses both bounds into p.  RMA_EINVAL when one is missing or malformed
 * (*field names it: "from" or "to"), RMA_ERULE when to is not after from. */
enum rma_err export_period_parse(const char *from, const char *to,
                                 struct export_period *p, const char **field);

/* The download's file name, "rma-ledger-2026-11-01_2026-12-01.csv": each
 * bound as its date when it is midnight UTC, else as 2026-11-01T103000Z.
 * out holds at least EXPORT_FILENAME_MAX bytes. */
#define EXPORT_FILENAME_MAX 96
void export_filename(enum export_kind kind, const struct export_period *p,
                     char *out);

/* Writes the export of kind over p to w: the header row, then every row as
 * PostgreSQL returns it (EXPORT_FETCH_ROWS at a time from a cursor in a
 * read-only REPEATABLE READ transaction on db), then flushes w.  *rows counts
 * the data rows written.
 *
 * Returns RMA_OK when every row was read, or when reading stopped because
 * w's sink refused (then w->failed is set); RMA_EDB when the database failed
 * (the sink may have received part of the output); RMA_EINTERNAL for a value
 * that cannot be written (logged). */
enum rma_err export_run(struct db *db, enum export_kind kind,
                        const struct export_period *p, struct csv_writer *w,
                        uint64_t *rows);

/* How an export read from a replica stood (export_wait_for_replica). */
enum export_replica_state {
    EXPORT_REPLICA_CAUGHT_UP, /* or not a standby, or not checked */
    EXPORT_REPLICA_BEHIND,    /* still behind when the wait ran out */
    EXPORT_REPLICA_DOWN,      /* export_database_url unavailable */
    EXPORT_PRIMARY_DOWN,      /* database_url unavailable */
};

/* A replica serves an export only once it shows everything that was
 * committed on the primary when the export was asked for: waits until
 * replica (export_database_url) has replayed the WAL that primary
 * (database_url) had written when called, checking every 100 ms, at most
 * max_seconds.  max_seconds 0 does not check (the export shows the
 * replica's snapshot, however old); a server not in recovery has nothing to
 * wait for.  Returns RMA_OK when the export may go on, else RMA_EDB with
 * *state saying why and *behind_bytes how much WAL the replica had still
 * to replay. */
enum rma_err export_wait_for_replica(struct db *primary, struct db *replica,
                                     long max_seconds,
                                     enum export_replica_state *state,
                                     int64_t *behind_bytes);

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

/* ------------------------------------------------------------------ */
/* The database side (db_export.c). */

/* Called for each row: n values, each NUL-terminated or NULL for SQL NULL,
 * borrowed for the call.  Returns 0 to go on, non-zero to stop. */
typedef int (*db_export_row_fn)(void *arg, const char *const *values, int n);

/* Streams kind's query over [from, to) (ISO 8601 UTC texts) to row(), in a
 * read-only REPEATABLE READ transaction through a server-side cursor, with
 * TimeZone UTC and DateStyle ISO, committed at the end and rolled back on
 * any failure or stop.  Every value is text as PostgreSQL writes it; columns
 * come in the order of export_column_name(kind, i).  Returns RMA_OK when all
 * rows were passed or row() stopped; RMA_EDB or RMA_EINTERNAL (logged) when the
 * query failed or returned another number of columns than ncolumns. */
enum rma_err db_export_stream(struct db *db, enum export_kind kind,
                              const char *from, const char *to, int ncolumns,
                              db_export_row_fn row, void *arg);

/* The primary's WAL write position (pg_current_wal_lsn) as text into lsn
 * of EXPORT_LSN_TEXT bytes.  RMA_EDB when unavailable. */
#define EXPORT_LSN_TEXT 32
enum rma_err db_export_primary_lsn(struct db *db, char *lsn);

/* Whether db is a standby and, if so, whether it has replayed the WAL up to
 * lsn, and how many bytes short of it it is (0 when there). */
enum rma_err db_export_replica_position(struct db *db, const char *lsn,
                                        bool *in_recovery, bool *caught_up,
                                        int64_t *behind_bytes);

/* Appends the export to the audit trail (an audit_event without a case). */
enum rma_err db_export_audit(struct db *db, const struct export_audit *a);

#endif
