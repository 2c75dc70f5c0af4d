/* db_exception.h - the SQL of finance's exceptions (db_exception.c; SPEC
 * §14): the list, locking and resolving one, findings as exceptions.
 * Below the operation (exception.h), which includes it. */
#ifndef RMA_DB_EXCEPTION_H
#define RMA_DB_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/arena.h"
#include "rma/db.h"
#include "rma/err.h"

struct exception_row {
    int64_t id;
    char kind[32];
    int64_t rma_id;    /* 0: none */
    int64_t hold_id;   /* 0: none */
    int64_t makeup_id; /* 0: none */
    char currency[4];  /* "" when none */
    bool resolved;
};

/* The list as JSON text (in a): status "open", "resolved" or "all"; kind
 * NULL for every kind; rma, an RMA number, for that case's only (NULL:
 * every case's and those of none); oldest first. */
enum rma_err db_exception_list(struct db *db, const char *status,
                               const char *kind, const char *rma, int limit,
                               struct arena *a, char **json);
enum rma_err db_exception_lock(struct db *db, int64_t id,
                               struct exception_row *out);
/* RMA_ECONFLICT when it was resolved meanwhile. */
enum rma_err db_exception_resolve(struct db *db, int64_t id, const char *who,
                                  const char *note, const char *outcome,
                                  int64_t amount, const char *now);
/* The outcome of an exception resolved in this transaction by its make-up
 * claim's resolution. */
enum rma_err db_exception_set_outcome(struct db *db, int64_t id,
                                      const char *outcome, int64_t amount);
/* A ledger-verify finding as an exception, once per text. */
enum rma_err db_exception_finding(struct db *db, const char *text,
                                  int64_t hold_id, const char *now);

#endif
