/* demo.h - the demo's data (rmactl demo seed). */
#ifndef RMA_DEMO_H
#define RMA_DEMO_H

#include <stdio.h>

#include "rma/db.h"
#include "rma/err.h"

/* Creates the demo customers and their cases unless demo@example.com exists;
 * says what it did on out. */
enum rma_err demo_seed(struct db *db, FILE *out);

#endif
