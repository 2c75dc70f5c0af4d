/* mail_case.c - the customer's mails for the changes of a case that
 * mail_templates.c has no text of its own for (SPEC §14): one table of
 * subjects and bodies with named blanks, filled from struct
 * case_mail_facts.  No I/O; the caller enqueues the result. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rma/mail.h"

#define TEXT_MAX (8 * 1024)
#define NAME_MAX_BYTES 200

/* The blanks a text may have. */
enum blank {
    B_NUMBER = 1 << 0, /* {number}: the RMA number */
    B_AMOUNT = 1 << 1, /* {amount}: "$129.99" */
    B_WHEN = 1 << 2,   /* {when}: a time in UTC, 2026-12-31T23:59:59Z */
    B_REASON = 1 << 3, /* {reason}: in the staff member's words */
    B_LINK = 1 << 4,   /* {link}: the case in the portal */
};

struct text {
    const char *kind; /* the outbox's kind */
    unsigned needs;   /* the blanks it cannot do without */
    const char *subject;
    const char *body;
};

static const struct text texts[CASE_MAIL_COUNT] = {
    [CASE_MAIL_HOLD_PLACED] =
        {"hold_placed", B_AMOUNT | B_WHEN,
         "Your advanced replacement for {number}: PayPal hold in place",
         "PayPal has placed a hold of {amount} for the advanced replacement\n"
         "of {number}. Nothing is charged now: we ship the replacement\n"
         "first, and the hold is released when your original device is\n"
         "back with us.\n\n"
         "Please send the original device back and upload its return\n"
         "information by {when} (UTC). If it is not in by then, the hold\n"
         "is captured.\n\n"
         "Details: {link}\n"},
    [CASE_MAIL_RETURN_RECEIVED] =
        {"return_received", 0, "We have received your return for {number}",
         "Thank you: the device you returned for {number} has arrived at\n"
         "our warehouse. We will check it and tell you what happens next.\n\n"
         "Details: {link}\n"},
    [CASE_MAIL_CAPTURE_FAILED] =
        {"capture_failed", B_AMOUNT,
         "Action needed: we could not collect the hold for {number}",
         "The return information for {number} did not arrive by its\n"
         "deadline, and PayPal refused to collect the hold of {amount}\n"
         "(the hold had ended, or the funding source declined).\n\n"
         "Please send the original device back and upload its return\n"
         "information, or contact our support team to settle it:\n\n"
         "{link}\n"},
    [CASE_MAIL_CANCELLED] =
        {"cancelled", B_REASON, "Your RMA {number} has been cancelled",
         "We have cancelled your RMA {number}.\n\n"
         "Reason: {reason}\n\n"
         "Any PayPal hold for it is released. If this is unexpected, reply\n"
         "to this message or contact our support team.\n\n"
         "Details: {link}\n"},
    [CASE_MAIL_REPAIR_QUOTE] =
        {"repair_quote", B_AMOUNT,
         "Repair quote for {number}: {amount}, your decision please",
         "We have inspected your device for {number}. It is not covered by\n"
         "the warranty, and we can repair it for {amount}.\n\n"
         "Please approve or decline the quote in the portal. If you\n"
         "decline, we send the device back to you as it is.\n\n"
         "{link}\n"},
    [CASE_MAIL_EXPIRING] =
        {"rma_expiring", B_WHEN, "Your RMA {number} expires within a week",
         "Your RMA {number} is valid until {when} (UTC). Please send the\n"
         "device back and upload its return information before then: an\n"
         "expired RMA number is not accepted at our warehouse.\n\n"
         "{link}\n"},
    [CASE_MAIL_EXPIRED] =
        {"rma_expired", 0, "Your RMA {number} has expired",
         "Your RMA {number} has expired: we did not receive the return in\n"
         "time. If you still need help with your device, contact our\n"
         "support team and we will open a new request.\n\n"
         "Details: {link}\n"},
    [CASE_MAIL_CAPTURE_REFUNDED] =
        {"capture_refunded", B_AMOUNT, "We have refunded {amount} for {number}",
         "Your original device for {number} reached us after the hold had\n"
         "been captured. We have inspected it and refunded {amount} to your\n"
         "PayPal account; PayPal usually shows it within a few days.\n\n"
         "Details: {link}\n"},
    [CASE_MAIL_PROOF_REQUESTED] =
        {"proof_requested", B_REASON,
         "Please send a proof of purchase for {number}",
         "To go on with {number} we need a proof of purchase of your\n"
         "device: a picture of the receipt or the invoice, with the date\n"
         "and the seller.\n\n"
         "{reason}\n\n"
         "Upload it here (JPEG, PNG or WEBP):\n\n"
         "{link}\n"},
};

const char *
mail_case_kind(enum case_mail which)
{
    return texts[which].kind;
}

/* Appends text to b with its blanks filled; RMA_EINVAL for a blank the
 * facts do not have. */
static enum rma_err
fill(struct buf *b, const char *text, const struct case_mail_facts *f,
     const char *when)
{
    static const struct {
        const char *name;
        enum blank blank;
    } names[] = {{"{number}", B_NUMBER},
                 {"{amount}", B_AMOUNT},
                 {"{when}", B_WHEN},
                 {"{reason}", B_REASON},
                 {"{link}", B_LINK}};
    enum rma_err err = RMA_OK;
    while (err == RMA_OK && *text) {
        const char *open = strchr(text, '{');
        if (open == NULL)
            return buf_puts(b, text);
        err = buf_append(b, text, (size_t)(open - text));
        size_t i = 0;
        while (i < sizeof(names) / sizeof(names[0]) &&
               strncmp(open, names[i].name, strlen(names[i].name)) != 0)
            i++;
        if (i == sizeof(names) / sizeof(names[0]))
            return RMA_EINVAL; /* a blank this file does not know */
        const char *value = NULL;
        switch (names[i].blank) {
        case B_NUMBER: value = f->rma_number; break;
        case B_AMOUNT: value = f->amount; break;
        case B_WHEN: value = when; break;
        case B_REASON: value = f->reason; break;
        case B_LINK: value = NULL; break;
        }
        if (err == RMA_OK && names[i].blank == B_LINK)
            err = buf_printf(b, "%s/#/rmas/%s", f->base_url, f->rma_number);
        else if (err == RMA_OK)
            err = value ? buf_puts(b, value) : RMA_EINVAL;
        text = open + strlen(names[i].name);
    }
    return err;
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
facts_ok(const struct text *t, const struct case_mail_facts *f)
{
    if (f->base_url == NULL || f->base_url[0] == '\0' ||
        !mail_header_value_ok(f->base_url, 500) ||
        strpbrk(f->base_url, " \t") != NULL || !number_ok(f->rma_number) ||
        (f->name != NULL && !mail_header_value_ok(f->name, NAME_MAX_BYTES)))
        return false;
    if ((t->needs & B_AMOUNT) && (f->amount == NULL || f->amount[0] == '\0' ||
                                  !mail_header_value_ok(f->amount, 40)))
        return false;
    if ((t->needs & B_WHEN) && f->when <= 0)
        return false;
    /* The reason is the staff member's text: one paragraph of it. */
    if ((t->needs & B_REASON) &&
        (f->reason == NULL || f->reason[0] == '\0' || strlen(f->reason) > 2000))
        return false;
    return true;
}

enum rma_err
mail_text_case(enum case_mail which, const struct case_mail_facts *f,
               struct mail_text *out)
{
    out->subject = out->body = NULL;
    if ((unsigned)which >= CASE_MAIL_COUNT || !facts_ok(&texts[which], f))
        return RMA_EINVAL;
    const struct text *t = &texts[which];
    char when[32] = "";
    struct tm tm;
    if (f->when > 0 &&
        (gmtime_r(&f->when, &tm) == NULL ||
         strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0))
        return RMA_EINVAL;
    struct buf s, b;
    buf_init(&s, MAIL_SUBJECT_MAX);
    buf_init(&b, TEXT_MAX);
    enum rma_err err = fill(&s, t->subject, f, when);
    if (err == RMA_OK)
        err = f->name == NULL || f->name[0] == '\0'
                  ? buf_puts(&b, "Hello,\n\n")
                  : buf_printf(&b, "Hello %s,\n\n", f->name);
    if (err == RMA_OK)
        err = fill(&b, t->body, f, when);
    if (err == RMA_OK)
        err = buf_puts(&b, "\nThe warranty team\n");
    if (err != RMA_OK) {
        buf_free(&s);
        buf_free(&b);
        return err;
    }
    out->subject = buf_steal(&s);
    out->body = buf_steal(&b);
    return RMA_OK;
}
