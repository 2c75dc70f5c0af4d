/* api_makeup.c - make-up payments over HTTP (SPEC §5.5, §7): the customer
 * claims a payment (PayPal transaction id and a screenshot), the detail
 * answers show the latest claim's outcome, finance lists claims and
 * resolves their exceptions with a note.
 *
 * A claim is looked up at PayPal once while the customer waits (the short
 * client of the request path, at most two pages of the fallback search);
 * what that cannot settle, `rmactl run-jobs` retries (makeup_job.c). */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/hold_ops.h"
#include "rma/log.h"
#include "rma/makeup_ops.h"
#include "rma/returns.h"

#define INTERACTIVE_PAGES 2
#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 500

/* ---- the customer's claim ---- */

static const struct field claim_spec[] = {
    {.name = "transaction_id",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "payment_receipt_id",
     .type = FT_INTEGER,
     .required = true,
     .min = 1,
     .max = INT64_MAX},
};

static const struct field staff_claim_spec[] = {
    {.name = "transaction_id",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "payment_receipt_id",
     .type = FT_INTEGER,
     .min = 1,
     .max = INT64_MAX},
};

/* The screenshot: a payment_receipt attachment of the case. */
static enum rma_err
check_receipt(struct api_ctx *ctx, int64_t rma_id, json_int_t id)
{
    struct attachment a;
    enum rma_err err = db_attachment_get(&ctx->app->db, id, &a);
    if (err != RMA_OK && err != RMA_ENOTFOUND)
        return err;
    if (err == RMA_ENOTFOUND || a.rma_id != rma_id)
        return http_fail(ctx->res, RMA_ERULE, "unknown_attachment",
                         "payment_receipt_id is not an attachment of this "
                         "RMA: upload the screenshot as payment_receipt",
                         "payment_receipt_id");
    if (strcmp(a.kind, "payment_receipt") != 0)
        return http_fail(ctx->res, RMA_ERULE, "wrong_attachment_kind",
                         arena_printf(ctx->arena,
                                      "payment_receipt_id must name a "
                                      "payment_receipt attachment, not a %s",
                                      a.kind),
                         "payment_receipt_id");
    return RMA_OK;
}

/* A claim of the transaction in the request's body on case r, by who:
 * recorded by its case operation, then one quick look at PayPal while the
 * caller waits (the job does the rest); answers the claim, 201.  The
 * screenshot is the customer's to give; staff submitting for them may
 * leave it out (the customer then hears of the outcome by mail). */
static enum rma_err
claim(struct api_ctx *ctx, const struct rma_ref *r, struct rma_actor_info who)
{
    json_t *body;
    enum rma_err err = who.on_behalf
                           ? api_body(ctx, FIELDS(staff_claim_spec), &body)
                           : api_body(ctx, FIELDS(claim_spec), &body);
    if (err != RMA_OK)
        return err;
    char txn[MAKEUP_TXN_ID_LEN + 1];
    bool txn_ok = makeup_transaction_id_normalize(
        json_string_value(json_object_get(body, "transaction_id")), txn);
    json_int_t receipt =
        json_integer_value(json_object_get(body, "payment_receipt_id"));
    json_decref(body);
    if (!txn_ok)
        return http_fail(ctx->res, RMA_ERULE, "invalid_transaction_id",
                         "a PayPal transaction ID has 17 letters and digits, "
                         "as on PayPal's receipt",
                         "transaction_id");
    if (receipt != 0 || !who.on_behalf)
        err = check_receipt(ctx, r->id, receipt);
    int64_t id = 0;
    if (err == RMA_OK) {
        struct hold_env henv = api_hold_env(ctx, who);
        struct case_refusal no = {0};
        err = api_refused(
            ctx, case_claim_makeup(&henv, r->id, txn, receipt, &id, &no), &no);
    }
    if (err != RMA_OK)
        return err;

    struct makeup_env env;
    makeup_env_init(&env, &ctx->app->db, api_paypal_client(ctx), ctx->app->cfg,
                    ctx->now_t, "rma");
    env.max_pages = INTERACTIVE_PAGES;
    env.notify = who.on_behalf; /* the customer is not the one waiting */
    enum makeup_status status = MAKEUP_PENDING;
    err = makeup_reconcile(&env, id, &status);
    if (err != RMA_OK) /* recorded and due: the job will try */
        log_event(LOG_WARN, "makeup_first_attempt_failed", "{s:I, s:s}",
                  "claim_id", (json_int_t)id, "error", rma_err_code(err));
    char *json;
    err = db_makeup_claim_json(&ctx->app->db, id, who.on_behalf, ctx->arena,
                               &json);
    if (err == RMA_OK && json == NULL)
        err = RMA_EINTERNAL;
    if (err != RMA_OK)
        return err;
    err = api_json_text(ctx, json);
    if (err == RMA_OK)
        ctx->res->outcome = OUT_CREATED;
    return err;
}

enum rma_err
api_rma_makeup_payment(struct api_ctx *ctx)
{
    /* Another customer's case is unknown, whatever the body says. */
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    return claim(ctx, &r, who);
}

/* POST /staff/rmas/{number}/makeup-payment {transaction_id,
 * payment_receipt_id?}: an agent records the customer's payment for them
 * (audited as on their behalf). */
enum rma_err
api_staff_rma_makeup_payment(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    struct rma_actor_info who = api_staff_actor(ctx);
    who.on_behalf = true;
    return claim(ctx, &r, who);
}

/* ---- finance ---- */

enum rma_err
api_staff_makeup_list(struct api_ctx *ctx)
{
    enum rma_err err;
    const char *status = http_query_param(ctx->req, "status", &err);
    const char *limit_s =
        err == RMA_OK ? http_query_param(ctx->req, "limit", &err) : NULL;
    if (err != RMA_OK)
        return http_fail(ctx->res, RMA_EINVAL, "bad_query",
                         "malformed query string", NULL);
    if (status != NULL && *status == '\0')
        status = NULL;
    if (status != NULL && strcmp(status, "open") != 0 &&
        makeup_status_parse(status) < 0)
        return http_fail(ctx->res, RMA_EINVAL, "invalid_status",
                         "status is one of pending, matched, underpaid, "
                         "overpaid, unmatched, duplicate, open",
                         "status");
    int limit = LIST_LIMIT_DEFAULT;
    if (limit_s != NULL) {
        char *end;
        long v = strtol(limit_s, &end, 10);
        if (*limit_s == '\0' || *end != '\0' || v < 1 || v > LIST_LIMIT_MAX)
            return http_fail(ctx->res, RMA_EINVAL, "invalid_limit",
                             "limit takes 1 to 500", "limit");
        limit = (int)v;
    }
    char *json;
    err = db_makeup_list_json(&ctx->app->db, status, limit, ctx->arena, &json);
    if (err != RMA_OK)
        return err;
    json_t *list = json_loads(json, 0, NULL);
    if (list == NULL)
        return RMA_EINTERNAL;
    ctx->res->body = json_pack("{s:o}", "makeup_payments", list);
    return RMA_OK;
}

static const struct field resolve_spec[] = {
    {.name = "note",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 2000,
     .flags = F_MULTILINE},
};

static enum rma_err
no_claim(struct api_ctx *ctx)
{
    return http_fail(ctx->res, RMA_ENOTFOUND, NULL,
                     "no such make-up payment claim", NULL);
}

enum rma_err
api_staff_makeup_resolve(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(resolve_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *s = ctx->req->params[0];
    char *end;
    long long id = 0;
    if (*s >= '1' && *s <= '9' && strlen(s) <= 18)
        id = strtoll(s, &end, 10);
    if (id <= 0 || *end != '\0') {
        json_decref(body);
        return no_claim(ctx);
    }
    const char *note = json_string_value(json_object_get(body, "note"));
    struct hold_env env = api_hold_env(ctx, api_staff_actor(ctx));
    struct case_refusal no = {0};
    err = case_resolve_makeup(&env, id, note, &no);
    json_decref(body); /* after: the operation borrowed the note */
    if (err == RMA_ENOTFOUND && no.code == NULL)
        return no_claim(ctx);
    err = api_refused(ctx, err, &no);
    if (err != RMA_OK)
        return err;
    char *json;
    err = db_makeup_claim_json(&ctx->app->db, id, true, ctx->arena, &json);
    if (err == RMA_OK && json == NULL)
        err = RMA_EINTERNAL;
    return err == RMA_OK ? api_json_text(ctx, json) : err;
}
