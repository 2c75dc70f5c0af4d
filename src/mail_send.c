/* mail_send.c - delivers the outbox: SMTP through libcurl when smtp_url is
 * set, otherwise one .eml file a message in mail_spool_dir.
 *
 * The only file besides http_client.c that uses libcurl.  Every SMTP call
 * has a connect and a total timeout shorter than the claim's lease, verifies
 * TLS, and sends credentials only over TLS. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rma/log.h"
#include "rma/mail.h"

#define SMTP_CONNECT_TIMEOUT_MS 10000L
#define SMTP_TIMEOUT_MS 60000L
#define LEASE_SECONDS 300 /* well above one delivery's longest time */
#define ERROR_MAX 500

struct sender {
    const struct rma_config *cfg;
    CURL *curl; /* owned; made at the first SMTP delivery, reused after */
};

struct upload {
    const char *p;
    size_t left;
};

static bool
empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

/* Keeps error printable, short and free of the SMTP password. */
static void
clean_error(char *error, const struct rma_config *cfg)
{
    for (char *p = error; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = ' ';
    error[strnlen(error, ERROR_MAX)] = '\0';
    const char *pw = cfg->smtp_password;
    if (!empty(pw)) {
        char *at;
        while ((at = strstr(error, pw)) != NULL)
            memset(at, '*', strlen(pw));
    }
}

/* ------------------------------------------------------------------ */
/* The spool */

static enum rma_err
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return RMA_EINTERNAL;
        p += w;
        n -= (size_t)w;
    }
    return RMA_OK;
}

/* Writes dir/<created>-<id>.eml atomically: a temporary file in the same
 * directory, fsync, mode 0644, rename, fsync of the directory.  The name
 * depends only on the message, so a delivery repeated after a crash
 * replaces the file instead of adding a second one. */
static enum rma_err
deliver_spool(const char *dir, const struct mail_outbox_row *row,
              const struct buf *msg, char *error, size_t n)
{
    char stamp[32], name[4096], tmp[4096];
    struct tm tm;
    time_t t = row->created_at;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(stamp, sizeof(stamp), "0");
    int a = snprintf(name, sizeof(name), "%s/%s-%lld.eml", dir, stamp,
                     (long long)row->id);
    int b = snprintf(tmp, sizeof(tmp), "%s/.%s-%lld.eml.XXXXXX", dir, stamp,
                     (long long)row->id);
    if (a < 0 || (size_t)a >= sizeof(name) || b < 0 ||
        (size_t)b >= sizeof(tmp)) {
        snprintf(error, n, "spool: mail_spool_dir is too long");
        return RMA_EINTERNAL;
    }
    const char *step = "create";
    int fd = mkstemp(tmp);
    if (fd < 0)
        goto fail;
    step = "write";
    if (write_all(fd, msg->data, msg->len) != RMA_OK)
        goto fail;
    step = "chmod";
    if (fchmod(fd, 0644) != 0)
        goto fail;
    step = "fsync";
    if (fsync(fd) != 0)
        goto fail;
    step = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    step = "rename";
    if (rename(tmp, name) != 0)
        goto fail;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* the rename itself is durable once this returns */
        (void)fsync(dfd);
        close(dfd);
    }
    return RMA_OK;

fail:
    snprintf(error, n, "spool: %s: %s", step, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (strcmp(step, "create") != 0)
        unlink(tmp);
    return RMA_EUPSTREAM;
}

/* ------------------------------------------------------------------ */
/* SMTP */

static size_t
read_message(char *dst, size_t size, size_t nitems, void *user)
{
    struct upload *u = user;
    size_t n = size * nitems;
    if (n > u->left)
        n = u->left;
    memcpy(dst, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static enum rma_err
deliver_smtp(struct sender *s, const char *from_addr,
             const struct mail_outbox_row *row, const struct buf *msg,
             char *error, size_t n)
{
    static bool curl_ready;
    const struct rma_config *cfg = s->cfg;
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        curl_ready = true;
    if (s->curl == NULL && (s->curl = curl_easy_init()) == NULL) {
        snprintf(error, n, "smtp: cannot initialise libcurl");
        return RMA_EINTERNAL;
    }
    CURL *c = s->curl;
    char from[MAIL_ADDR_MAX + 4], to[MAIL_ADDR_MAX + 4];
    char errbuf[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof(from), "<%s>", from_addr);
    snprintf(to, sizeof(to), "<%s>", row->to_addr);
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    if (rcpt == NULL) {
        snprintf(error, n, "smtp: out of memory");
        return RMA_EINTERNAL;
    }
    struct upload up = {msg->data, msg->len};
    bool auth = !empty(cfg->smtp_user);

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, SMTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, SMTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    /* STARTTLS when offered; required when a password is to be sent. */
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     auth ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    if (auth) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD,
                         cfg->smtp_password ? cfg->smtp_password : "");
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = curl_easy_perform(c);
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK)
        return RMA_OK;
    /* Never the URL: it may carry credentials. */
    snprintf(error, n, "smtp: %s (curl %d, reply %ld)",
             errbuf[0] ? errbuf : curl_easy_strerror(rc), (int)rc, reply);
    return RMA_EUPSTREAM;
}

/* ------------------------------------------------------------------ */

static enum rma_err
deliver(struct sender *s, const struct mail_outbox_row *row, char *error,
        size_t n)
{
    const struct rma_config *cfg = s->cfg;
    char from_addr[MAIL_ADDR_MAX + 2], from_name[MAIL_ADDR_MAX + 2];
    if (mail_parse_from(cfg->mail_from, from_addr, from_name,
                        sizeof(from_addr)) != RMA_OK) {
        snprintf(error, n, "config: mail_from is not a usable address");
        return RMA_EINVAL;
    }
    struct mail_message m = {
        .from = cfg->mail_from,
        .to = row->to_addr,
        .subject = row->subject,
        .body = row->body,
        .message_id = row->message_id,
        .date = row->created_at,
    };
    struct buf msg;
    buf_init(&msg, MAIL_RENDERED_MAX);
    enum rma_err err = mail_render(&m, &msg);
    if (err != RMA_OK)
        snprintf(error, n, "render: %s", rma_err_code(err));
    else if (!empty(cfg->smtp_url))
        err = deliver_smtp(s, from_addr, row, &msg, error, n);
    else if (!empty(cfg->mail_spool_dir))
        err = deliver_spool(cfg->mail_spool_dir, row, &msg, error, n);
    else {
        snprintf(error, n, "config: neither smtp_url nor mail_spool_dir");
        err = RMA_EINVAL;
    }
    buf_free(&msg);
    return err;
}

enum rma_err
mail_deliver_pass(struct db *db, const struct rma_config *cfg, int max,
                  const volatile sig_atomic_t *stop, struct mail_pass *out)
{
    struct sender s = {cfg, NULL};
    const char *via = !empty(cfg->smtp_url) ? "smtp" : "spool";
    int lease = cfg->mail_lease_seconds > 0 ? (int)cfg->mail_lease_seconds
                                            : LEASE_SECONDS;
    enum rma_err result = RMA_OK;
    memset(out, 0, sizeof(*out));
    while (stop == NULL || !*stop) {
        if (out->claimed == max) {
            out->more = true;
            break;
        }
        struct mail_outbox_row row;
        enum rma_err err = db_mail_claim(db, lease, &row);
        if (err == RMA_ENOTFOUND)
            break;
        if (err != RMA_OK) {
            result = err;
            break;
        }
        out->claimed++;
        char error[ERROR_MAX + 1] = "";
        if (strcmp(row.kind, MAIL_KIND_LOGIN_CODE_UNKNOWN) == 0) {
            /* Queued only so that a code request for an address without
             * cases costs what one for a customer does: dropped. */
            err = db_mail_mark_sent(db, row.id);
            if (err == RMA_OK)
                out->dropped++;
            log_event(LOG_DEBUG, "mail_dropped", "{s:I, s:s}", "id",
                      (json_int_t)row.id, "kind", row.kind);
        } else if (deliver(&s, &row, error, sizeof(error)) == RMA_OK) {
            err = db_mail_mark_sent(db, row.id);
            if (err == RMA_OK) {
                out->sent++;
                log_event(LOG_INFO, "mail_sent", "{s:I, s:s, s:s, s:i}", "id",
                          (json_int_t)row.id, "kind", row.kind, "via", via,
                          "attempts", row.attempts);
            } else {
                /* Delivered but not marked: sent again once the lease runs
                 * out, with the same Message-ID (and, in the spool, the same
                 * file name, which replaces this one). */
                log_event(LOG_ERROR, "mail_mark_sent_failed", "{s:I, s:s, s:s}",
                          "id", (json_int_t)row.id, "kind", row.kind, "error",
                          rma_err_code(err));
            }
        } else {
            clean_error(error, cfg);
            bool gave_up = false;
            err = db_mail_mark_retry(db, row.id, error, &gave_up);
            if (err == RMA_OK && gave_up)
                out->failed++;
            else if (err == RMA_OK)
                out->retried++;
            log_event(gave_up ? LOG_ERROR : LOG_WARN,
                      gave_up ? "mail_failed" : "mail_retry",
                      "{s:I, s:s, s:i, s:s}", "id", (json_int_t)row.id, "kind",
                      row.kind, "attempts", row.attempts, "error", error);
        }
        mail_outbox_row_free(&row);
        /* RMA_ENOTFOUND: another sender finished it after our lease ran
         * out; nothing to undo. */
        if (err != RMA_OK && err != RMA_ENOTFOUND) {
            result = err;
            break;
        }
    }
    if (s.curl != NULL)
        curl_easy_cleanup(s.curl);
    return result;
}

int
mail_deliver_due(struct db *db, const struct rma_config *cfg, int max)
{
    struct mail_pass pass;
    if (mail_deliver_pass(db, cfg, max, NULL, &pass) != RMA_OK)
        return -1;
    return pass.sent;
}
