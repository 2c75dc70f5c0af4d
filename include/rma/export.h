/* export.h - the finance exports (SPEC §8): what each kind contains, the
 * period it covers, and streaming it as CSV with constant memory.
 *
 * One code path serves GET /api/v1/staff/exports/{kind}.csv and `rmactl
 * export`: export_run writes into a csv_writer whose sink is the FastCGI
 * stream or a FILE, so both give the same bytes.  The columns of every kind
 * are documented in doc/exports.md.  The kinds, periods and audit rows it
 * shares with the database side are rma/export_row.h; the SQL is
 * rma/db_export.h. */
#ifndef RMA_EXPORT_H
#define RMA_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rma/csv.h"
#include "rma/db.h"
#include "rma/db_export.h"
#include "rma/err.h"
#include "rma/export_row.h"

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

#endif
