/* mail_staff.c - the texts of the messages staff get (staff_notify.h):
 * plain UTF-8, short, with a link to the console.  No I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/staff_notify.h"

#define TEXT_MAX (8 * 1024)
#define COMMENT_MAX 2000

static const char signature[] = "\nThe RMA console\n";

static bool
url_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && mail_header_value_ok(s, 500) &&
           strpbrk(s, " \t") == NULL;
}

static bool
number_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 32 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static enum rma_err
greeting(struct buf *b, const char *name)
{
    if (name == NULL || name[0] == '\0')
        return buf_puts(b, "Hello,\n\n");
    return buf_printf(b, "Hello %s,\n\n", name);
}

/* Moves subject and body into out; frees both on failure. */
static enum rma_err
finish(enum rma_err err, struct buf *subject, struct buf *body,
       struct mail_text *out)
{
    if (err == RMA_OK)
        err = buf_puts(body, signature);
    if (err != RMA_OK) {
        buf_free(subject);
        buf_free(body);
        return err;
    }
    out->subject = buf_steal(subject);
    out->body = buf_steal(body);
    return RMA_OK;
}

enum rma_err
mail_text_staff_login_code(const char *code, struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (code == NULL || strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err = buf_puts(&s, "Your RMA console sign-in code");
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "Hello,\n\n"
            "Here is your code to sign in to the RMA staff console:\n\n"
            "Code: %s\n\n"
            "It is valid for 15 minutes and works once. If you did not ask\n"
            "for it, tell your administrator: nobody can sign in without\n"
            "the code.\n",
            code);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_staff_digest(const char *base_url, const char *name,
                       const struct staff_digest_line *lines, size_t n,
                       struct mail_text *out)
{
    out->subject = out->body = NULL;
    long total = 0;
    for (size_t i = 0; i < n; i++)
        total += lines[i].count > 0 ? lines[i].count : 0;
    if (!url_ok(base_url) || total == 0 ||
        (name != NULL && !mail_header_value_ok(name, 200)))
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err =
        buf_printf(&s, "%ld RMA %s wait%s for you", total,
                   total == 1 ? "case" : "cases", total == 1 ? "s" : "");
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_puts(&b, "This is what waits in your queues today:\n\n");
    for (size_t i = 0; err == RMA_OK && i < n; i++) {
        if (lines[i].count <= 0 || !mail_header_value_ok(lines[i].title, 100))
            continue;
        err = buf_printf(&b, "  %s: %ld", lines[i].title, lines[i].count);
        if (err == RMA_OK && lines[i].oldest_days > 0)
            err = buf_printf(&b, " (the oldest for %ld day%s)",
                             lines[i].oldest_days,
                             lines[i].oldest_days == 1 ? "" : "s");
        if (err == RMA_OK)
            err = buf_puts(&b, "\n");
    }
    if (err == RMA_OK)
        err = buf_printf(&b,
                         "\nOpen the console to work on them:\n\n"
                         "%s/staff/\n",
                         base_url);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_staff_disagreed(const char *base_url, const char *name,
                          const char *rma_number, const char *comment,
                          struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!url_ok(base_url) || !number_ok(rma_number) ||
        (name != NULL && !mail_header_value_ok(name, 200)) ||
        (comment != NULL && strlen(comment) > 4 * COMMENT_MAX))
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX + 4 * COMMENT_MAX);
    enum rma_err err = buf_printf(&s, "Customer disagreed with %s", rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(&b,
                         "The customer of %s disagreed with the solution "
                         "you prepared.\n",
                         rma_number);
    if (err == RMA_OK && comment != NULL && comment[0] != '\0')
        err = buf_printf(&b, "They wrote:\n\n%s\n", comment);
    if (err == RMA_OK)
        err = buf_printf(&b,
                         "\nRevise it or cancel it in the console:\n\n"
                         "%s/staff/#/rmas/%s\n",
                         base_url, rma_number);
    return finish(err, &s, &b, out);
}
