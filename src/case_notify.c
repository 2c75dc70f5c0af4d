/* case_notify.c - a case operation's mail to the customer (SPEC §14):
 * the text of mail_case.c with the case's facts, queued in the outbox in
 * the operation's transaction, so it leaves exactly when the change
 * commits (the sender is woken by the outbox's NOTIFY). */
#include <stdio.h>

#include "rma/case_ops.h"
#include "rma/mail.h"
#include "rma/money.h"

enum rma_err
case_notify(struct hold_env *env, const struct rma_ref *r, enum case_mail which,
            int64_t minor, time_t when, const char *reason)
{
    char amount[MONEY_TEXT_MAX + 8] = "";
    if (minor >= 0) {
        char v[MONEY_TEXT_MAX];
        money_format_minor(minor, money_exponent(r->currency), v);
        snprintf(amount, sizeof(amount), "%s %s", v, r->currency);
    }
    struct case_mail_facts f = {
        .base_url = env->cfg->public_base_url ? env->cfg->public_base_url : "",
        .name = r->customer_name,
        .rma_number = r->number,
        .amount = minor >= 0 ? amount : NULL,
        .when = when,
        .reason = reason,
    };
    struct mail_text t = {0};
    enum rma_err err = mail_text_case(which, &f, &t);
    if (err == RMA_OK)
        err = mail_enqueue(env->db, mail_case_kind(which), r->id,
                           r->customer_email, t.subject, t.body);
    mail_text_free(&t);
    return err;
}
