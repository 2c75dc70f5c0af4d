/* upload.c - the content-addressed file store of attachments (upload.h). */
#include "rma/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rma/log.h"

static enum rma_err
fail(const char *step, const char *path)
{
    log_event(LOG_ERROR, "upload_store_failed", "{s:s, s:s, s:s}", "step", step,
              "path", path, "error", strerror(errno));
    return RMA_EINTERNAL;
}

enum rma_err
upload_tmp_open(const char *dir, struct upload_tmp *t)
{
    memset(t, 0, sizeof(*t));
    t->fd = -1;
    int n = snprintf(t->path, sizeof(t->path), "%s/.incoming-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof(t->path)) {
        t->path[0] = '\0';
        errno = ENAMETOOLONG;
        return fail("path", dir);
    }
    t->fd = mkostemp(t->path, O_CLOEXEC);
    if (t->fd < 0) {
        enum rma_err err = fail("create", t->path);
        t->path[0] = '\0';
        return err;
    }
    return RMA_OK;
}

enum rma_err
upload_tmp_write(struct upload_tmp *t, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(t->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return fail("write", t->path);
        p += w;
        n -= (size_t)w;
        t->bytes += (size_t)w;
    }
    return RMA_OK;
}

enum rma_err
upload_tmp_map(struct upload_tmp *t, const unsigned char **data)
{
    if (t->bytes == 0)
        return RMA_EINTERNAL;
    void *m = mmap(NULL, t->bytes, PROT_READ, MAP_PRIVATE, t->fd, 0);
    if (m == MAP_FAILED)
        return fail("mmap", t->path);
    t->map = m;
    *data = m;
    return RMA_OK;
}

/* fsync of a directory, so that a rename into it survives a crash. */
static enum rma_err
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail("open directory", dir);
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? RMA_OK : fail("fsync directory", dir);
}

void
upload_relative_path(const char *sha256, char *out, size_t n)
{
    snprintf(out, n, "%.2s/%s", sha256, sha256);
}

enum rma_err
upload_tmp_store(struct upload_tmp *t, const char *dir, const char *sha256)
{
    char sub[PATH_MAX], final[PATH_MAX], rel[80];
    upload_relative_path(sha256, rel, sizeof(rel));
    int a = snprintf(sub, sizeof(sub), "%s/%.2s", dir, sha256);
    int b = snprintf(final, sizeof(final), "%s/%s", dir, rel);
    if (a < 0 || (size_t)a >= sizeof(sub) || b < 0 ||
        (size_t)b >= sizeof(final)) {
        errno = ENAMETOOLONG;
        return fail("path", dir);
    }
    if (fchmod(t->fd, 0640) != 0)
        return fail("chmod", t->path);
    if (fsync(t->fd) != 0)
        return fail("fsync", t->path);
    if (mkdir(sub, 0750) == 0) {
        enum rma_err err = sync_dir(dir); /* the new subdirectory's entry */
        if (err != RMA_OK)
            return err;
    } else if (errno != EEXIST) {
        return fail("mkdir", sub);
    }
    /* Replacing an existing file is harmless: same name, same bytes. */
    if (rename(t->path, final) != 0)
        return fail("rename", final);
    t->stored = true;
    enum rma_err err = sync_dir(sub);
    if (err == RMA_OK)
        err = sync_dir(dir); /* the temporary name is gone */
    return err;
}

void
upload_tmp_discard(struct upload_tmp *t)
{
    if (t->map != NULL)
        munmap(t->map, t->bytes);
    t->map = NULL;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    if (!t->stored && t->path[0] != '\0')
        unlink(t->path);
    t->path[0] = '\0';
}

enum rma_err
upload_remove(const char *dir, const char *sha256)
{
    char path[PATH_MAX], rel[80];
    upload_relative_path(sha256, rel, sizeof(rel));
    int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return fail("path", dir);
    }
    if (unlink(path) != 0 && errno != ENOENT)
        return fail("unlink", path);
    return RMA_OK;
}
