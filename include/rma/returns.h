/* returns.h - attachments, the customer's return submission and the
 * warehouse inspection in the database (sql/migrations/0007_attachments.sql).
 *
 * The caller opens the transaction where several statements must commit
 * together (an upload and its audit event, a submission and its
 * transition).  The files themselves are upload.h's. */
#ifndef RMA_RETURNS_H
#define RMA_RETURNS_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/arena.h"
#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/rma_state.h"

/* SPEC §5.4: each picture at most 10 MiB, at most 5 per submission. */
#define ATTACHMENT_MAX_BYTES (10L * 1024 * 1024)
#define ATTACHMENT_MAX_PER_SUBMISSION 5

struct attachment {
    int64_t id;
    int64_t rma_id;
    char kind[24];
    char sha256[SHA256_HEX_LEN];
    int64_t bytes;
    char media_type[16];
    bool submitted; /* part of a submission made: no longer deletable */
};

/* A new attachment's metadata. */
struct attachment_new {
    int64_t rma_id;
    const char *kind;
    const char *sha256; /* lower-case hex */
    int64_t bytes;
    const char *media_type;
    uint32_t width, height;
    const char *uploaded_by;
};

/* Attachments of the case not yet submitted in the submission of kind. */
enum rma_err db_attachment_count_open(struct db *db, int64_t rma_id,
                                      const char *kind, int *n);
/* Serializes work on one stored file until the transaction ends (an upload
 * placing it against a delete removing it). */
enum rma_err db_attachment_lock_file(struct db *db, const char *sha256);
/* The same lock held by the session, for a delete that removes the file
 * after its commit; always pair with db_attachment_unlock_file. */
enum rma_err db_attachment_lock_file_session(struct db *db, const char *sha256);
void db_attachment_unlock_file(struct db *db, const char *sha256);
enum rma_err db_attachment_insert(struct db *db, const struct attachment_new *a,
                                  const char *now, int64_t *id);
/* RMA_ENOTFOUND when there is no attachment id. */
enum rma_err db_attachment_get(struct db *db, int64_t id,
                               struct attachment *out);
/* Deletes id of rma_id if it is not submitted; *deleted says whether. */
enum rma_err db_attachment_delete(struct db *db, int64_t id, int64_t rma_id,
                                  bool *deleted);
/* How many attachments (of any case) use the file. */
enum rma_err db_attachment_file_refs(struct db *db, const char *sha256,
                                     long *n);

/* Whether a device of the case records video or audio (the customer must
 * acknowledge that its data may be erased). */
enum rma_err db_rma_records_data(struct db *db, int64_t rma_id, bool *yes);

struct return_submission {
    int64_t rma_id;
    const char *carrier;
    const char *tracking_number; /* normalized (tracking.h) */
    int64_t shipping_label_id;
    int64_t postage_receipt_id;
    bool erasure_required;
    bool erasure_acknowledged;
    const char *submitted_by;
    bool on_behalf; /* by staff for the customer: pictures optional (0) */
};

/* Stores the submission and marks the case's open return attachments
 * submitted.  RMA_ECONFLICT when the case already has one. */
enum rma_err db_return_submit(struct db *db, const struct return_submission *s,
                              const char *now);

/* Stores the inspection.  RMA_ECONFLICT when the case already has one. */
enum rma_err db_inspection_insert(struct db *db, int64_t rma_id,
                                  const char *outcome, const char *notes,
                                  const char *inspected_by, const char *now);

#endif
