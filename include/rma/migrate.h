/* migrate.h - forward-only schema migrations.
 *
 * Files named NNNN_what.sql in one directory are applied in order, each in
 * its own transaction together with its record (version, name, SHA-256) in
 * rma_schema_migration.  An applied file that was edited or removed stops
 * the run before anything is applied. */
#ifndef RMA_MIGRATE_H
#define RMA_MIGRATE_H

#include <stdio.h>

#include "rma/err.h"

/* Applies pending migrations from dir over conninfo.  Says what it does on
 * out (one line each) and why it fails on err_out.  *applied counts the files
 * applied.  RMA_ECONFLICT when an applied file was edited or is missing,
 * RMA_EDB when the database is unreachable, RMA_EINVAL for a bad directory,
 * RMA_EINTERNAL when a migration's SQL fails. */
enum rma_err migrate_run(const char *conninfo, const char *dir, FILE *out,
                         FILE *err_out, int *applied);

#endif
