/* upload.h - the file store of attachments under upload_dir (SPEC §5.4).
 *
 * Files are content-addressed: <upload_dir>/<first two hex digits of the
 * SHA-256>/<SHA-256 in hex>, mode 0640 (nginx reads them through its
 * internal location; give upload_dir nginx's group and the setgid bit in
 * production).  A file is written to a temporary file in upload_dir itself
 * (so that the rename stays on one file system), synced, then renamed into
 * place, and the directory entry is synced too: a reader sees the whole
 * file or nothing, also after a crash.  Identical uploads share one file.
 *
 * nginx serves a stored file only when a handler answers with
 * X-Accel-Redirect: UPLOAD_ACCEL_PREFIX + upload_relative_path(sha256). */
#ifndef RMA_UPLOAD_H
#define RMA_UPLOAD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "rma/crypto.h"
#include "rma/err.h"

/* The internal nginx location aliased to upload_dir (nginx/ configs). */
#define UPLOAD_ACCEL_PREFIX "/_uploads/"

/* A file being received.  Every field belongs to the upload_tmp_* calls. */
struct upload_tmp {
    int fd; /* -1 when closed */
    char path[PATH_MAX];
    size_t bytes;
    void *map; /* the file, mapped by upload_tmp_map */
    bool stored;
};

/* Creates a temporary file in dir.  RMA_EINTERNAL (logged) on failure. */
enum rma_err upload_tmp_open(const char *dir, struct upload_tmp *t);
/* Appends data[0..n). */
enum rma_err upload_tmp_write(struct upload_tmp *t, const void *data, size_t n);
/* Maps what was written (t->bytes > 0) for reading: *data is borrowed
 * until upload_tmp_discard. */
enum rma_err upload_tmp_map(struct upload_tmp *t, const unsigned char **data);
/* Syncs the file and renames it to its place for sha256 (lower-case hex)
 * in dir, then syncs the directories. */
enum rma_err upload_tmp_store(struct upload_tmp *t, const char *dir,
                              const char *sha256);
/* Unmaps and closes; removes the temporary file unless it was stored.
 * Safe to call twice and after a failed open. */
void upload_tmp_discard(struct upload_tmp *t);

/* "ab/ab12..." for sha256, into out (at least 68 bytes). */
void upload_relative_path(const char *sha256, char *out, size_t n);
/* Removes the stored file of sha256 (absent is fine). */
enum rma_err upload_remove(const char *dir, const char *sha256);

#endif
