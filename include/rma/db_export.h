/* db_export.h - the SQL of the finance exports (db_export.c; SPEC §8):
 * the kinds' cursors, a replica's position, the audit row.  Below the
 * exports (export.h); the rows they share are rma/export_row.h. */
#ifndef RMA_DB_EXPORT_H
#define RMA_DB_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/db.h"
#include "rma/err.h"
#include "rma/export_row.h"

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
