/* mail.c - the outbox's front door (mail_enqueue) and message rendering:
 * RFC 5322 headers, RFC 2047 encoded-words, RFC 2045 quoted-printable. */
#include "rma/mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/crypto.h"
#include "rma/log.h"

#define LINE_SOFT_MAX 78 /* RFC 5322 §2.1.1: SHOULD */
#define WORD_LINE_MAX 76 /* RFC 2047 §2: a line holding an encoded-word */
#define QP_LINE_MAX 76   /* RFC 2045 §6.7 rule 5 */
#define FROM_NAME_MAX 100

/* ------------------------------------------------------------------ */
/* Checks */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        if (s[0] == 0xe0)
            lo = 0xa0;
        else if (s[0] == 0xed)
            hi = 0x9f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        if (s[0] == 0xf0)
            lo = 0x90;
        else if (s[0] == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

static bool
utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

static bool
is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

bool
mail_header_value_ok(const char *s, size_t max)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    if (n > max || !utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false; /* CR and LF above all: no header injection */
    }
    return true;
}

static bool
local_char_ok(unsigned char c)
{
    /* RFC 5322 atext, and '.' (checked for placement below). */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

static bool
domain_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool
mail_address_ok(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n < 3 || n > MAIL_ADDR_MAX || at == NULL || strchr(at + 1, '@'))
        return false;
    size_t local = (size_t)(at - s), domain = n - local - 1;
    if (local < 1 || local > 64 || domain < 1)
        return false;
    if (s[0] == '.' || at[-1] == '.' || at[1] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < local; i++)
        if (!local_char_ok((unsigned char)s[i]) ||
            (s[i] == '.' && s[i + 1] == '.'))
            return false;
    for (const char *d = at + 1; *d; d++)
        if (!domain_char_ok((unsigned char)*d) || (d[0] == '.' && d[1] == '.'))
            return false;
    return true;
}

enum rma_err
mail_parse_from(const char *from, char *addr, char *name, size_t n)
{
    if (from == NULL || n == 0)
        return RMA_EINVAL;
    addr[0] = name[0] = '\0';
    const char *lt = strchr(from, '<');
    if (lt == NULL) {
        while (*from == ' ')
            from++;
        size_t len = strlen(from);
        while (len > 0 && from[len - 1] == ' ')
            len--;
        if (len >= n)
            return RMA_EINVAL;
        memcpy(addr, from, len);
        addr[len] = '\0';
        return mail_address_ok(addr) ? RMA_OK : RMA_EINVAL;
    }
    const char *gt = strchr(lt, '>');
    if (gt == NULL || strspn(gt + 1, " ") != strlen(gt + 1))
        return RMA_EINVAL;
    size_t alen = (size_t)(gt - lt - 1);
    if (alen >= n)
        return RMA_EINVAL;
    memcpy(addr, lt + 1, alen);
    addr[alen] = '\0';
    if (!mail_address_ok(addr))
        return RMA_EINVAL;

    const char *p = from, *e = lt;
    while (p < e && *p == ' ')
        p++;
    while (e > p && e[-1] == ' ')
        e--;
    if (e - p >= 2 && *p == '"' && e[-1] == '"') {
        p++;
        e--;
    }
    size_t nlen = (size_t)(e - p);
    if (nlen >= n || nlen > FROM_NAME_MAX)
        return RMA_EINVAL;
    memcpy(name, p, nlen);
    name[nlen] = '\0';
    if (!mail_header_value_ok(name, FROM_NAME_MAX) || strpbrk(name, "\"\\<>"))
        return RMA_EINVAL;
    return RMA_OK;
}

static bool
kind_ok(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n < 1 || n > MAIL_KIND_MAX || kind[0] < 'a' || kind[0] > 'z')
        return false;
    return strspn(kind, "abcdefghijklmnopqrstuvwxyz_") == n;
}

/* ------------------------------------------------------------------ */
/* Encodings */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static enum rma_err
base64_append(struct buf *out, const unsigned char *p, size_t n)
{
    char q[4];
    enum rma_err err = RMA_OK;
    for (size_t i = 0; i < n && err == RMA_OK; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        q[0] = b64[(v >> 18) & 63];
        q[1] = b64[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? b64[v & 63] : '=';
        err = buf_append(out, q, 4);
    }
    return err;
}

/* Appends s as "B" encoded-words (RFC 2047), each whole UTF-8 characters,
 * folding with CRLF SP so that no line passes WORD_LINE_MAX; col is the
 * column where the first word starts. */
static enum rma_err
encoded_words(struct buf *out, const char *s, size_t col)
{
    static const char pre[] = "=?UTF-8?B?", post[] = "?=";
    const size_t overhead = sizeof(pre) - 1 + sizeof(post) - 1;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    enum rma_err err = RMA_OK;
    while (i < n && err == RMA_OK) {
        if (col + overhead + 4 > WORD_LINE_MAX) {
            err = buf_puts(out, "\r\n ");
            col = 1;
            continue;
        }
        size_t room = (WORD_LINE_MAX - col - overhead) / 4 * 3, take = 0;
        while (i + take < n) {
            size_t k = utf8_seq(p + i + take, n - i - take);
            if (k == 0)
                return RMA_EINVAL;
            if (take + k > room)
                break;
            take += k;
        }
        if (take == 0) { /* not even one character fits on this line */
            err = buf_puts(out, "\r\n ");
            col = 1;
            continue;
        }
        if (err == RMA_OK)
            err = buf_puts(out, pre);
        if (err == RMA_OK)
            err = base64_append(out, p + i, take);
        if (err == RMA_OK)
            err = buf_puts(out, post);
        i += take;
        if (i < n && err == RMA_OK) {
            err = buf_puts(out, "\r\n ");
            col = 1;
        }
    }
    return err;
}

/* Appends s (ASCII, no CR/LF) folded before spaces so that lines stay within
 * LINE_SOFT_MAX where a space allows; col is the current column. */
static enum rma_err
folded_ascii(struct buf *out, const char *s, size_t col)
{
    enum rma_err err = RMA_OK;
    bool first = true;
    while (err == RMA_OK) {
        size_t len = strcspn(s, " ");
        if (!first) {
            /* Fold before this space, unless the new line would hold only
             * blanks (RFC 5322 §3.2.2). */
            if (col + 1 + len > LINE_SOFT_MAX && len > 0 && col > 1) {
                err = buf_puts(out, "\r\n");
                col = 0;
            }
            if (err == RMA_OK)
                err = buf_append(out, " ", 1);
            col++;
        }
        if (err == RMA_OK)
            err = buf_append(out, s, len);
        col += len;
        first = false;
        if (s[len] == '\0')
            break;
        s += len + 1;
    }
    return err;
}

enum rma_err
mail_header_subject(const char *value, struct buf *out)
{
    if (!mail_header_value_ok(value, MAIL_SUBJECT_MAX) || value[0] == '\0')
        return RMA_EINVAL;
    size_t start = out->len;
    enum rma_err err = buf_puts(out, "Subject: ");
    /* Text that looks like an encoded-word is encoded too, so that a reader
     * shows it as written. */
    if (err == RMA_OK && is_ascii(value) && strstr(value, "=?") == NULL)
        err = folded_ascii(out, value, 9);
    else if (err == RMA_OK)
        err = encoded_words(out, value, 9);
    if (err == RMA_OK)
        err = buf_puts(out, "\r\n");
    if (err != RMA_OK && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

static bool
qp_literal(unsigned char c)
{
    return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

enum rma_err
mail_qp_encode(const char *body, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)body;
    enum rma_err err = RMA_OK;
    while (*p != '\0' && err == RMA_OK) {
        size_t len = strcspn((const char *)p, "\r\n"), col = 0;
        for (size_t i = 0; i < len && err == RMA_OK; i++) {
            unsigned char c = p[i];
            bool last = i + 1 == len;
            /* Blanks at a line's end would be stripped in transit; a dot
             * that starts a line is escaped for SMTP and mbox readers. */
            bool literal = qp_literal(c) && !(last && (c == ' ' || c == '\t'));
            size_t w = literal && !(c == '.' && col == 0) ? 1 : 3;
            size_t max = last ? QP_LINE_MAX : QP_LINE_MAX - 1;
            if (col + w > max) {
                err = buf_puts(out, "=\r\n"); /* a soft line break */
                col = 0;
                w = literal && c != '.' ? 1 : 3;
            }
            char enc[3] = {'=', hex[c >> 4], hex[c & 15]};
            if (err == RMA_OK)
                err = w == 1 ? buf_append(out, &c, 1) : buf_append(out, enc, 3);
            col += w;
        }
        if (err == RMA_OK)
            err = buf_puts(out, "\r\n");
        p += len;
        if (p[0] == '\r' && p[1] == '\n')
            p += 2;
        else if (p[0] == '\r' || p[0] == '\n')
            p++;
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Messages */

void
mail_format_date(time_t t, char out[32])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
        tm.tm_mon < 0 || tm.tm_mon > 11)
        memset(&tm, 0, sizeof(tm)); /* cannot happen for a sane time_t */
    /* The modulos bound each field, as the 31 characters need. */
    snprintf(out, 32, "%s, %02u %s %04u %02u:%02u:%02u +0000", days[tm.tm_wday],
             (unsigned)tm.tm_mday % 100u, months[tm.tm_mon],
             (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u);
}

enum rma_err
mail_new_id(char out[MAIL_ID_LEN + 1])
{
    unsigned char r[16];
    char hex[33];
    enum rma_err err = crypto_random(r, sizeof(r));
    if (err != RMA_OK)
        return err;
    snprintf(out, MAIL_ID_LEN + 1, "rma.%s", crypto_hex(r, sizeof(r), hex));
    return RMA_OK;
}

/* Whether name may stand unquoted as a phrase: atext words and spaces. */
static bool
atext_phrase(const char *name)
{
    for (const char *s = name; *s; s++)
        if (*s == '.' || (*s != ' ' && !local_char_ok((unsigned char)*s)))
            return false;
    return true;
}

static enum rma_err
render_from(const char *from, struct buf *out)
{
    char addr[MAIL_ADDR_MAX + 2], name[MAIL_ADDR_MAX + 2];
    if (mail_parse_from(from, addr, name, sizeof(addr)) != RMA_OK)
        return RMA_EINVAL;
    enum rma_err err = buf_puts(out, "From: ");
    if (err == RMA_OK && name[0] != '\0') {
        if (!is_ascii(name))
            err = encoded_words(out, name, 6);
        else if (atext_phrase(name))
            err = buf_puts(out, name);
        else
            err = buf_printf(out, "\"%s\"", name);
        if (err == RMA_OK)
            err = buf_puts(out, " ");
    }
    if (err == RMA_OK)
        err = buf_printf(out, name[0] ? "<%s>\r\n" : "%s\r\n", addr);
    return err;
}

enum rma_err
mail_render(const struct mail_message *m, struct buf *out)
{
    if (!mail_address_ok(m->to) || m->body == NULL ||
        strlen(m->body) > MAIL_BODY_MAX ||
        !utf8_valid(m->body, strlen(m->body)) || m->message_id == NULL ||
        strlen(m->message_id) > 64 ||
        strspn(m->message_id, "abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
            strlen(m->message_id))
        return RMA_EINVAL;
    char addr[MAIL_ADDR_MAX + 2], name[MAIL_ADDR_MAX + 2], date[32];
    if (mail_parse_from(m->from, addr, name, sizeof(addr)) != RMA_OK)
        return RMA_EINVAL;
    const char *domain = strchr(addr, '@') + 1;
    mail_format_date(m->date, date);

    size_t start = out->len;
    enum rma_err err = render_from(m->from, out);
    if (err == RMA_OK)
        err = buf_printf(out, "To: %s\r\n", m->to);
    if (err == RMA_OK)
        err = mail_header_subject(m->subject, out);
    if (err == RMA_OK)
        err = buf_printf(out,
                         "Date: %s\r\n"
                         "Message-ID: <%s@%s>\r\n"
                         "Auto-Submitted: auto-generated\r\n"
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: text/plain; charset=UTF-8\r\n"
                         "Content-Transfer-Encoding: quoted-printable\r\n"
                         "\r\n",
                         date, m->message_id, domain);
    if (err == RMA_OK)
        err = mail_qp_encode(m->body, out);
    if (err != RMA_OK && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* The outbox */

enum rma_err
mail_enqueue(struct db *db, const char *kind, int64_t rma_id, const char *to,
             const char *subject, const char *body)
{
    if (!kind_ok(kind) || rma_id < 0 || !mail_address_ok(to) ||
        !mail_header_value_ok(subject, MAIL_SUBJECT_MAX) ||
        subject[0] == '\0' || body == NULL || strlen(body) > MAIL_BODY_MAX ||
        !utf8_valid(body, strlen(body))) {
        log_event(LOG_WARN, "mail_refused", "{s:s}", "kind",
                  kind_ok(kind) ? kind : "?");
        return RMA_EINVAL;
    }
    char id[MAIL_ID_LEN + 1];
    enum rma_err err = mail_new_id(id);
    if (err == RMA_OK)
        err = db_mail_insert(db, kind, rma_id, to, subject, body, id);
    if (err == RMA_OK)
        log_event(LOG_DEBUG, "mail_enqueued", "{s:s, s:s}", "kind", kind,
                  "message_id", id);
    return err;
}
