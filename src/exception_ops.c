/* exception_ops.c - finance resolves an exception (exception.h): under the
 * case lock when there is a case, the exception once, the money moved
 * outside PayPal booked, a make-up claim resolved with it, a failed capture
 * closing its case. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/exception.h"
#include "rma/ledger_ops.h"
#include "rma/makeup_ops.h"

static const char *const outcome_names[] = {
    [EXCEPTION_CLOSED] = "closed",
    [EXCEPTION_COLLECTED] = "collected",
    [EXCEPTION_PAID_OUT] = "paid_out",
};

/* What the exception was about, for the other side of the booking. */
static const char *
counter_account(const char *kind)
{
    if (strncmp(kind, "makeup_", 7) == 0)
        return LEDGER_MAKEUP_INCOME;
    if (strcmp(kind, "refund_failed") == 0)
        return LEDGER_SALES_REFUNDS;
    if (strcmp(kind, "ledger_verify") == 0)
        return LEDGER_ADJUSTMENTS;
    return LEDGER_REVENUE_UNRETURNED; /* holds: captures that failed ... */
}

static enum rma_err
refuse(struct case_refusal *no, enum rma_err err, const char *code,
       const char *field, const char *message)
{
    no->code = code;
    no->field = field;
    snprintf(no->message, sizeof(no->message), "%s", message);
    return err;
}

enum rma_err
exception_resolve(struct hold_env *env, int64_t id,
                  enum exception_outcome outcome, int64_t amount,
                  const char *currency, const char *note,
                  struct case_refusal *no)
{
    struct exception_row e;
    enum rma_err err = db_begin(env->db);
    if (err == RMA_OK)
        err = db_exception_lock(env->db, id, &e);
    /* The case first, then the exception (the order every operation
     * takes): lock the case and read the exception again. */
    struct rma_ref r;
    bool have_case = err == RMA_OK && e.rma_id > 0;
    if (have_case) {
        db_rollback(env->db);
        err = case_begin(env, e.rma_id, &r);
        if (err == RMA_OK)
            err = db_exception_lock(env->db, id, &e);
    }
    if (err == RMA_ENOTFOUND)
        err = refuse(no, RMA_ENOTFOUND, "not_found", NULL, "no such exception");
    else if (err == RMA_OK && e.resolved)
        err = refuse(no, RMA_ECONFLICT, "already_resolved", NULL,
                     "the exception is already resolved");
    bool moved = outcome != EXCEPTION_CLOSED;
    if (err == RMA_OK && moved && amount <= 0)
        err = refuse(no, RMA_ERULE, "amount_required", "amount",
                     "collected and paid_out need the amount that moved");
    else if (err == RMA_OK && !moved && amount > 0)
        err = refuse(no, RMA_ERULE, "amount_not_allowed", "amount",
                     "a closed exception moves no money");
    else if (err == RMA_OK && moved && e.currency[0] != '\0' &&
             strcmp(currency, e.currency) != 0)
        err = refuse(no, RMA_ERULE, "wrong_currency", "amount",
                     "the amount must be in the exception's currency");
    const char *cur = e.currency[0] ? e.currency : currency;
    const char *who = env->who.name ? env->who.name : "rma";
    if (err == RMA_OK && e.makeup_id > 0) {
        /* The claim's exceptions and the claim, then this one's outcome. */
        bool resolved = false;
        err = db_makeup_resolve(env->db, e.makeup_id, who, note, env->now,
                                &resolved);
        if (err == RMA_OK && !resolved)
            err = refuse(no, RMA_ECONFLICT, "already_resolved", NULL,
                         "the exception is already resolved");
        if (err == RMA_OK)
            err = db_exception_set_outcome(env->db, id, outcome_names[outcome],
                                           moved ? amount : 0);
    } else if (err == RMA_OK) {
        err =
            db_exception_resolve(env->db, id, who, note, outcome_names[outcome],
                                 moved ? amount : 0, env->now);
    }
    if (err == RMA_OK && moved)
        err = ledger_exception_resolution(env->db, id, e.rma_id, cur, amount,
                                          outcome == EXCEPTION_COLLECTED,
                                          counter_account(e.kind));
    char *d = hold_detail_json("{s:I, s:s, s:s, s:s}", "exception_id",
                               (json_int_t)id, "kind", e.kind, "outcome",
                               outcome_names[outcome], "note", note);
    if (err == RMA_OK && have_case)
        err = db_rma_audit(env->db, e.rma_id, &env->who, "exception_resolved",
                           d, env->now);
    /* A failed capture resolved (collected or written off): nothing more
     * is owed on the hold, the case ends. */
    if (err == RMA_OK && have_case && r.status == ST_CAPTURE_FAILED)
        err = db_rma_transition(
            env->db, &r, ST_COMPLETED, EV_COMPLETE,
            &(struct rma_actor_info){ACTOR_SYSTEM, "rma", NULL, false}, d,
            env->now);
    free(d);
    return case_end(env, err);
}
