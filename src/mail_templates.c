/* mail_templates.c - the texts of the messages the service sends: plain
 * UTF-8, friendly and short.  No I/O; the caller enqueues the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/mail.h"

#define NAME_MAX_BYTES 200
#define URL_MAX_BYTES 500
#define TEXT_MAX (8 * 1024)

static const char signature[] = "\nThe warranty team\n";

void
mail_text_free(struct mail_text *t)
{
    free(t->subject);
    free(t->body);
    t->subject = t->body = NULL;
}

static bool
number_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 32 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-") == n;
}

static bool
url_ok(const char *s)
{
    if (!mail_header_value_ok(s, URL_MAX_BYTES) || s[0] == '\0')
        return false;
    return strpbrk(s, " \t") == NULL;
}

static bool
args_ok(const char *base_url, const char *name, const char *rma_number)
{
    return url_ok(base_url) && number_ok(rma_number) &&
           (name == NULL || mail_header_value_ok(name, NAME_MAX_BYTES));
}

/* "Hello Ada," or "Hello," when the name is unknown. */
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
mail_text_login_code(const char *code, struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (code == NULL || strlen(code) != 6 || strspn(code, "0123456789") != 6)
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err = buf_puts(&s, "Your RMA portal sign-in code");
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "Hello,\n\n"
            "Here is your code to sign in to the RMA portal:\n\n"
            "Code: %s\n\n"
            "It is valid for 15 minutes and works once. If you did not ask\n"
            "for it, you can ignore this message: nobody can sign in without\n"
            "the code.\n",
            code);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_action_required(const char *base_url, const char *name,
                          const char *rma_number, struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!args_ok(base_url, name, rma_number))
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err =
        buf_puts(&s, "Action Required: Please Confirm Your RMA Solution "
                     "Promptly");
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "We have prepared a solution for your warranty request %s.\n"
            "Please review it and let us know whether you agree, so that we\n"
            "can go ahead:\n\n"
            "%s/#/rmas/%s\n\n"
            "Sign in with this email address; we will send you a one-time\n"
            "code.\n",
            rma_number, base_url, rma_number);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_hold_released(const char *base_url, const char *name,
                        const char *rma_number, const char *amount,
                        struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!args_ok(base_url, name, rma_number) ||
        !mail_header_value_ok(amount, 40) || amount[0] == '\0')
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err = buf_printf(
        &s, "Your payment hold for %s has been released", rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "Thank you: we have received the device you returned for %s.\n"
            "The PayPal hold of %s has been released and you will not be\n"
            "charged. Depending on your bank, the hold may take a few days\n"
            "to disappear from your statement.\n\n"
            "Details: %s/#/rmas/%s\n",
            rma_number, amount, base_url, rma_number);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_shipped(const char *base_url, const char *name,
                  const char *rma_number, const char *carrier,
                  const char *tracking, struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!args_ok(base_url, name, rma_number) ||
        !mail_header_value_ok(carrier, 40) ||
        !mail_header_value_ok(tracking, 40))
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err =
        buf_printf(&s, "Your unit for %s is on its way", rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(&b,
                         "We have shipped your unit for %s.\n\n"
                         "Carrier: %s\nTracking number: %s\n\n"
                         "Details and the tracking link: %s/#/rmas/%s\n",
                         rma_number, carrier, tracking, base_url, rma_number);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_refund_paid(const char *base_url, const char *name,
                      const char *rma_number, const char *amount,
                      bool by_paypal, struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!args_ok(base_url, name, rma_number) ||
        !mail_header_value_ok(amount, 40) || amount[0] == '\0')
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err =
        buf_printf(&s, "Your refund for %s has been paid", rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "We have received the device you returned for %s and refunded\n"
            "%s%s.\n%s\n"
            "Details: %s/#/rmas/%s\n",
            rma_number, amount,
            by_paypal ? " to the PayPal account you paid with" : "",
            by_paypal ? "PayPal usually shows it within a few days.\n"
                      : "Depending on your bank it may take a few days to "
                        "arrive.\n",
            base_url, rma_number);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_preauth_denied(const char *base_url, const char *name,
                         const char *rma_number, struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!args_ok(base_url, name, rma_number))
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err =
        buf_printf(&s, "PayPal did not approve the hold for %s", rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "PayPal did not approve the pre-authorization for the advanced\n"
            "replacement of %s, so no money is held and nothing has shipped.\n"
            "You can try again with another PayPal funding source, or choose\n"
            "the standard replacement (return first) instead.\n\n"
            "Details: %s/#/rmas/%s\n",
            rma_number, base_url, rma_number);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_return_reminder(const char *base_url, const char *name,
                          const char *rma_number, int days_left,
                          time_t deadline, struct mail_text *out)
{
    out->subject = out->body = NULL;
    struct tm tm;
    char when[32];
    if (!args_ok(base_url, name, rma_number) || days_left < 1 ||
        days_left > 365 || gmtime_r(&deadline, &tm) == NULL ||
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return RMA_EINVAL;
    const char *unit = days_left == 1 ? "day" : "days";
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err =
        buf_printf(&s, "Reminder: %d %s left to return your device for %s",
                   days_left, unit, rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "A friendly reminder: please send back the original device for\n"
            "%s and upload its return information (carrier, tracking\n"
            "number, a photo of the shipping label and the postage receipt)\n"
            "within %d %s.\n\n"
            "Deadline: %s (UTC)\n\n"
            "If the return information is not in by then, the PayPal hold\n"
            "for your replacement will be captured. Upload it here:\n\n"
            "%s/#/rmas/%s\n",
            rma_number, days_left, unit, when, base_url, rma_number);
    return finish(err, &s, &b, out);
}

enum rma_err
mail_text_hold_captured(const char *base_url, const char *name,
                        const char *rma_number, const char *amount,
                        struct mail_text *out)
{
    out->subject = out->body = NULL;
    if (!args_ok(base_url, name, rma_number) ||
        !mail_header_value_ok(amount, 40) || amount[0] == '\0')
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err = buf_printf(
        &s, "Your payment hold for %s has been captured", rma_number);
    if (err == RMA_OK)
        err = greeting(&b, name);
    if (err == RMA_OK)
        err = buf_printf(
            &b,
            "We did not receive the return information for %s by its\n"
            "deadline, so the PayPal hold of %s has been captured.\n\n"
            "If you have sent the device back already, please upload the\n"
            "return information or contact our support team: when the\n"
            "device arrives, we refund the amount.\n\n"
            "Details: %s/#/rmas/%s\n",
            rma_number, amount, base_url, rma_number);
    return finish(err, &s, &b, out);
}
