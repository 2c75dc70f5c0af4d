/* case_attachment.c - the customer's pictures as case operations
 * (case_ops.h): recording an upload and deleting one, each in one
 * transaction under the case's row lock that re-checks the case's state
 * and the count, with its audit event.  The files themselves are upload.h;
 * receiving them is api_attachment.c. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rma/case_ops.h"
#include "rma/log.h"
#include "rma/returns.h"
#include "rma/upload.h"

static bool
return_kind(const char *kind)
{
    return strcmp(kind, "shipping_label") == 0 ||
           strcmp(kind, "postage_receipt") == 0 ||
           strcmp(kind, "product_photo") == 0;
}

bool
case_upload_open(enum rma_status status, enum rma_kind case_kind,
                 const char *kind)
{
    if (return_kind(kind))
        return rma_state_next(status, EV_SUBMIT_RETURN, case_kind,
                              ACTOR_CUSTOMER) >= 0;
    return rma_status_in_progress(status);
}

enum rma_err
case_attach(struct hold_env *env, struct upload_tmp *t,
            const struct attachment_new *a, int64_t *id,
            struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, a->rma_id, &r);
    if (err != RMA_OK)
        return err;
    int open = 0;
    if (!case_upload_open(r.status, r.kind, a->kind))
        err = case_refuse(no, RMA_ECONFLICT, "state_changed", NULL,
                          "the RMA changed meanwhile: reload it");
    if (err == RMA_OK)
        err = db_attachment_count_open(env->db, r.id, a->kind, &open);
    if (err == RMA_OK && open >= ATTACHMENT_MAX_PER_SUBMISSION)
        err = case_refuse(no, RMA_ERULE, "too_many_pictures", NULL,
                          "at most 5 pictures per submission: delete one "
                          "first");
    if (err == RMA_OK)
        err = db_attachment_lock_file(env->db, a->sha256);
    if (err == RMA_OK)
        err = db_attachment_insert(env->db, a, env->now, id);
    if (err == RMA_OK) {
        char *d = hold_detail_json("{s:I, s:s, s:s, s:I}", "attachment_id",
                                   (json_int_t)*id, "kind", a->kind, "sha256",
                                   a->sha256, "bytes", (json_int_t)a->bytes);
        err = db_rma_audit(env->db, r.id, &env->who, "attachment_added", d,
                           env->now);
        free(d);
    }
    if (err == RMA_OK)
        err = upload_tmp_store(t, env->cfg->upload_dir, a->sha256);
    err = case_end(env, err);
    if (err != RMA_OK && t->stored)
        /* Stored but not recorded: an orphan file, harmless (nothing names
         * it) and overwritten by the same upload's retry. */
        log_event(LOG_WARN, "upload_orphaned", "{s:s}", "sha256", a->sha256);
    return err;
}

/* Deletes the row, then the file when no attachment uses it any more.  The
 * file's session lock (taken after the case's, as an upload does) keeps an
 * upload of the same bytes from placing it between the two. */
enum rma_err
case_detach(struct hold_env *env, const struct attachment *a,
            struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, a->rma_id, &r);
    if (err != RMA_OK)
        return err;
    err = db_attachment_lock_file_session(env->db, a->sha256);
    if (err != RMA_OK)
        return case_end(env, err);
    /* Not deleted: its submission was made meanwhile. */
    bool deleted = false;
    if (case_upload_open(r.status, r.kind, a->kind))
        err = db_attachment_delete(env->db, a->id, r.id, &deleted);
    if (err == RMA_OK && !deleted)
        err = case_refuse(no, RMA_ECONFLICT, "already_submitted", NULL,
                          "this picture belongs to a submission already made");
    if (err == RMA_OK) {
        char *d = hold_detail_json("{s:I, s:s, s:s}", "attachment_id",
                                   (json_int_t)a->id, "kind", a->kind, "sha256",
                                   a->sha256);
        err = db_rma_audit(env->db, r.id, &env->who, "attachment_deleted", d,
                           env->now);
        free(d);
    }
    /* Rolled back before the unlock, which needs a live session. */
    err = case_end(env, err);
    /* Once committed the row is gone for good: a file left behind (the
     * database unreachable just now) would only be an orphan that nothing
     * names, so what follows is not answered. */
    long refs = 1;
    if (err == RMA_OK &&
        db_attachment_file_refs(env->db, a->sha256, &refs) == RMA_OK &&
        refs == 0)
        (void)upload_remove(env->cfg->upload_dir, a->sha256);
    db_attachment_unlock_file(env->db, a->sha256);
    return err;
}
