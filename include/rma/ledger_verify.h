/* ledger_verify.h - `rmactl ledger verify` (ledger_verify.c; SPEC §5.6,
 * §16): the books and the business state checked against each other and
 * against PayPal. */
#ifndef RMA_LEDGER_VERIFY_H
#define RMA_LEDGER_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "rma/db.h"
#include "rma/err.h"

struct paypal_client;

/* What verify found wrong. */
struct ledger_finding {
    const char *check; /* static: unbalanced, postings, orphan, key, cause,
                          memo, capture, refund, paypal */
    int64_t entry_id;  /* the entry it is about, or 0 */
    int64_t hold_id;   /* the hold it is about, or 0 */
    char *text;        /* owned: "unbalanced entry 42 (USD: +0.05)" */
};

#define LEDGER_FINDINGS_MAX 10000

struct ledger_findings {
    struct ledger_finding *item; /* owned: ledger_findings_free */
    size_t n, cap;
    size_t omitted; /* findings beyond LEDGER_FINDINGS_MAX, only counted */
};

/* Checks every invariant of SPEC §5.6 on one snapshot of the database:
 * entries balanced per currency with two or more postings, no orphan
 * posting, unique idempotency keys, causes consistent, each hold's memo
 * balance against its status, each captured and refunded hold against its
 * entries; then, when pc is not NULL, each capture and refund entry against
 * PayPal's record (status, amount, fee, the hold it belongs to).  Findings
 * are appended to out (zeroed by the caller).  RMA_OK when the checks ran
 * (whatever they found); RMA_EDB / RMA_EINTERNAL when they could not.  A
 * PayPal record that cannot be fetched is a finding. */
enum rma_err ledger_verify(struct db *db, struct paypal_client *pc,
                           struct ledger_findings *out);
void ledger_findings_free(struct ledger_findings *f);

#endif
