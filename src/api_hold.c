/* api_hold.c - the advanced replacement's hold over HTTP (SPEC §5.3, §7):
 * the customer's pre-authorization and PayPal's redirects, the warehouse's
 * shipments and receipts, the supervisor's extension, waiver and manual
 * capture, PayPal's webhooks.
 *
 * The PayPal calls of the request path are short (see hold_paypal_client):
 * what they cannot finish is written on the hold first and finished by
 * `rmactl run-jobs`. */
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/hold_ops.h"
#include "rma/log.h"
#include "rma/paypal.h"

/* ---- shared ---- */

static struct paypal_client *
paypal_of(struct app *app)
{
    if (app->paypal == NULL)
        app->paypal = hold_paypal_client(app->cfg, true);
    return app->paypal;
}

static struct hold_env
env_of(struct api_ctx *ctx, struct rma_actor_info who)
{
    struct hold_env env = {
        .db = &ctx->app->db,
        .pc = paypal_of(ctx->app),
        .cfg = ctx->app->cfg,
        .who = who,
    };
    hold_env_set_now(&env, ctx->now_t);
    return env;
}

static const struct rma_actor_info system_actor = {ACTOR_SYSTEM, "rma", NULL,
                                                   false};

static enum rma_err
conflict(struct api_ctx *ctx, const char *message)
{
    return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state", message, NULL);
}

static enum rma_err
state_changed(struct api_ctx *ctx)
{
    return http_fail(ctx->res, RMA_ECONFLICT, "state_changed",
                     "the RMA changed meanwhile: reload it", NULL);
}

void
api_hold_terms(struct api_ctx *ctx, const struct rma_ref *r)
{
    if (r->status == ST_AWAITING_PREAUTH)
        json_object_set_new(ctx->res->body, "preauthorization",
                            json_pack("{s:s, s:s}", "terms_version",
                                      HOLD_TERMS_VERSION, "terms_text",
                                      hold_terms_text()));
}

enum rma_err
api_hold_release_in_tx(struct api_ctx *ctx, int64_t rma_id, const char *reason)
{
    struct hold h;
    enum rma_err err = db_hold_live(&ctx->app->db, rma_id, &h);
    if (err == RMA_ENOTFOUND)
        return RMA_OK;
    if (err != RMA_OK)
        return err;
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h.id);
    if (h.status == HOLD_PENDING_APPROVAL) {
        const char *params[] = {id, ctx->now};
        return db_hold_exec(&ctx->app->db, "hold_abandon", 2, params);
    }
    const char *params[] = {id, ctx->now, reason};
    return db_hold_exec_any(&ctx->app->db, "hold_request_void", 3, params);
}

void
api_hold_release_now(struct api_ctx *ctx, int64_t rma_id)
{
    struct hold h;
    if (db_hold_live(&ctx->app->db, rma_id, &h) != RMA_OK ||
        h.status != HOLD_AUTHORIZED || h.void_requested_at == 0)
        return;
    struct hold_env env = env_of(ctx, system_actor);
    struct hold_work w = {.hold_id = h.id, .op = HOLD_OP_VOID};
    if (hold_run(&env, &w, 1, 1) != RMA_OK || w.outcome != HOLD_DONE)
        log_event(LOG_WARN, "hold_release_deferred", "{s:I, s:s}", "hold_id",
                  (json_int_t)h.id, "outcome", hold_outcome_name(w.outcome));
}

/* ---- the customer's pre-authorization ---- */

static const struct field preauth_spec[] = {
    {.name = "accept_terms", .type = FT_BOOLEAN, .required = true},
    {.name = "terms_version",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 32},
};

/* The customer's visible case named by the path; 404 otherwise. */
static enum rma_err
own_case(struct api_ctx *ctx, struct rma_ref *r)
{
    enum rma_err err = db_rma_find(&ctx->app->db, ctx->req->params[0], r);
    if (err == RMA_ENOTFOUND ||
        (err == RMA_OK && (r->customer_id != ctx->customer.customer_id ||
                           !rma_status_customer_visible(r->status))))
        return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such RMA", NULL);
    return err;
}

static const char *
url(struct api_ctx *ctx, const char *path)
{
    const char *base = ctx->app->cfg->public_base_url;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return arena_printf(ctx->arena, "%.*s%s", (int)n, base, path);
}

/* Creates the PayPal order of a pending hold (replayed with the same
 * PayPal-Request-Id after a failure) and stores its approval link. */
static enum rma_err
create_order(struct api_ctx *ctx, const struct rma_ref *r, struct hold *h)
{
    struct paypal_client *pc = paypal_of(ctx->app);
    if (pc == NULL)
        return http_fail(ctx->res, RMA_EUPSTREAM, "paypal_unavailable",
                         "PayPal is not configured", NULL);
    struct paypal_intent_key key = {
        .op = PAYPAL_OP_ORDER_CREATE,
        .case_id = r->id,
        .hold_id = h->id,
        .prefix = ctx->app->cfg->paypal_request_id_prefix,
    };
    struct paypal_intent in;
    enum rma_err err = paypal_intent_begin(&ctx->app->db, &key, NULL, &in);
    if (err != RMA_OK)
        return err;
    struct paypal_order_params p = {
        .amount = {.minor = h->amount_minor},
        .return_url = url(ctx, "/api/v1/paypal/return"),
        .cancel_url = url(ctx, "/api/v1/paypal/cancel"),
        .user_action = "CONTINUE",
        .reference_id = r->number,
        .custom_id = r->number,
        .invoice_id =
            arena_printf(ctx->arena, "%s-H%lld", r->number, (long long)h->id),
        .description = "Advanced replacement: hold until the return arrives",
    };
    snprintf(p.amount.currency, sizeof(p.amount.currency), "%s", h->currency);
    struct paypal_order o;
    struct paypal_result res = {0};
    err = paypal_order_create(pc, &p, in.request_id, &o, &res);
    paypal_intent_finish(&ctx->app->db, in.request_id,
                         paypal_intent_status_for(err), res.body,
                         err == RMA_OK ? o.id : NULL, &res);
    paypal_result_free(&res);
    if (err != RMA_OK) {
        log_event(LOG_WARN, "preauth_order_failed", "{s:s, s:s}", "rma",
                  r->number, "error", rma_err_code(err));
        return http_fail(ctx->res, RMA_EUPSTREAM, "paypal_unavailable",
                         "PayPal did not answer: try again in a moment", NULL);
    }
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h->id);
    const char *params[] = {id, o.id, o.approve_url, ctx->now};
    err = db_hold_exec_any(&ctx->app->db, "hold_set_order", 4, params);
    if (err == RMA_OK) {
        snprintf(h->order_id, sizeof(h->order_id), "%s", o.id);
        snprintf(h->approve_url, sizeof(h->approve_url), "%s", o.approve_url);
    }
    return err;
}

enum rma_err
api_rma_preauthorize(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(preauth_spec), &body);
    if (err != RMA_OK)
        return err;
    bool accepted = json_is_true(json_object_get(body, "accept_terms"));
    bool current =
        strcmp(json_string_value(json_object_get(body, "terms_version")),
               HOLD_TERMS_VERSION) == 0;
    json_decref(body);
    if (!accepted)
        return http_fail(ctx->res, RMA_ERULE, "terms_not_accepted",
                         "the pre-authorization agreement must be accepted",
                         "accept_terms");
    if (!current)
        return http_fail(ctx->res, RMA_ERULE, "terms_outdated",
                         "the agreement changed: reload it and accept the "
                         "current version",
                         "terms_version");
    struct rma_ref r;
    err = own_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    if (r.status != ST_AWAITING_PREAUTH)
        return conflict(ctx, arena_printf(ctx->arena,
                                          "a hold is not possible while the "
                                          "RMA is %s",
                                          rma_status_name(r.status)));
    if (r.replacement_minor <= 0)
        return http_fail(ctx->res, RMA_ERULE, "no_replacement_value",
                         "the RMA has no replacement value to hold", NULL);

    /* One live hold per case (a unique index): a repeated click finds the
     * first one and answers its approval link. */
    struct hold h;
    err = db_hold_live(&ctx->app->db, r.id, &h);
    if (err == RMA_ENOTFOUND) {
        char rma[24], customer[24], amount[24];
        snprintf(rma, sizeof(rma), "%lld", (long long)r.id);
        snprintf(customer, sizeof(customer), "%lld", (long long)r.customer_id);
        snprintf(amount, sizeof(amount), "%lld",
                 (long long)r.replacement_minor);
        const char *params[] = {
            rma,    customer,   HOLD_TERMS_VERSION,    hold_terms_text(),
            amount, r.currency, ctx->req->remote_addr, ctx->now};
        int64_t hold_id;
        struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                     false};
        char *d = NULL;
        err = api_begin(ctx);
        if (err == RMA_OK)
            err = db_hold_create(&ctx->app->db, params, &hold_id);
        if (err == RMA_OK) {
            json_t *dj =
                json_pack("{s:s, s:I}", "terms_version", HOLD_TERMS_VERSION,
                          "hold_id", (json_int_t)hold_id);
            d = json_dumps(dj, JSON_COMPACT);
            json_decref(dj);
            err = db_rma_audit(&ctx->app->db, r.id, &who, "accept_preauth", d,
                               ctx->now);
        }
        free(d);
        if (err == RMA_OK)
            err = api_commit(ctx);
        else
            api_rollback(ctx);
        if (err == RMA_ECONFLICT) /* the other click won */
            err = RMA_OK;
        if (err == RMA_OK)
            err = db_hold_live(&ctx->app->db, r.id, &h);
    }
    if (err != RMA_OK)
        return err;
    if (h.status != HOLD_PENDING_APPROVAL)
        return conflict(ctx, "the hold is already in place");
    if (h.approve_url[0] == '\0') {
        err = create_order(ctx, &r, &h);
        if (err != RMA_OK)
            return err;
    }
    ctx->res->body = json_pack("{s:s, s:s}", "approve_url", h.approve_url,
                               "order_id", h.order_id);
    ctx->res->outcome = OUT_CREATED;
    return RMA_OK;
}

/* ---- PayPal's redirects ---- */

static enum rma_err
back_to_portal(struct api_ctx *ctx, const char *number, const char *outcome)
{
    ctx->res->outcome = OUT_SEE_OTHER;
    ctx->res->location =
        number ? url(ctx, arena_printf(ctx->arena, "/#/rmas/%s?paypal=%s",
                                       number, outcome))
               : url(ctx, arena_printf(ctx->arena, "/#/?paypal=%s", outcome));
    return RMA_OK;
}

/* The order PayPal names in ?token=. */
static enum rma_err
redirected_hold(struct api_ctx *ctx, struct hold *h, struct rma_ref *r)
{
    enum rma_err err;
    const char *token = http_query_param(ctx->req, "token", &err);
    if (token == NULL || strlen(token) < 1 || strlen(token) > 64)
        return RMA_ENOTFOUND;
    err = db_hold_by_order(&ctx->app->db, token, false, h);
    if (err == RMA_OK)
        err = db_rma_find_id(&ctx->app->db, h->rma_id, r);
    return err;
}

enum rma_err
api_paypal_return(struct api_ctx *ctx)
{
    struct hold h;
    struct rma_ref r;
    enum rma_err err = redirected_hold(ctx, &h, &r);
    if (err == RMA_ENOTFOUND)
        return back_to_portal(ctx, NULL, "unknown");
    if (err != RMA_OK)
        return err;
    if (h.status == HOLD_AUTHORIZED)
        return back_to_portal(ctx, r.number, "approved"); /* a reload */
    if (h.status != HOLD_PENDING_APPROVAL)
        return back_to_portal(ctx, r.number, "expired");

    struct hold_env env = env_of(ctx, system_actor);
    if (env.pc == NULL)
        return back_to_portal(ctx, r.number, "unavailable");
    struct paypal_intent_key key = {
        .op = PAYPAL_OP_ORDER_AUTHORIZE,
        .case_id = r.id,
        .hold_id = h.id,
        .prefix = ctx->app->cfg->paypal_request_id_prefix,
    };
    struct paypal_intent in;
    err = paypal_intent_begin(&ctx->app->db, &key, NULL, &in);
    if (err != RMA_OK)
        return err;
    struct paypal_order o;
    struct paypal_result res = {0};
    err = paypal_order_authorize(env.pc, h.order_id, in.request_id, &o, &res);
    paypal_intent_finish(&ctx->app->db, in.request_id,
                         paypal_intent_status_for(err), res.body,
                         err == RMA_OK ? o.authorization.id : NULL, &res);
    if (err != RMA_OK) {
        log_event(LOG_WARN, "preauth_authorize_failed", "{s:s, s:s, s:s, s:s}",
                  "rma", r.number, "error", rma_err_code(err), "issue",
                  res.issue, "debug_id", res.debug_id);
        paypal_result_free(&res);
        return back_to_portal(ctx, r.number,
                              err == RMA_EUPSTREAM || err == RMA_EDB
                                  ? "unavailable"
                                  : "declined");
    }
    paypal_result_free(&res);

    struct hold locked;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_hold_by_id(&ctx->app->db, h.id, true, &locked);
    if (err == RMA_OK && locked.status != HOLD_PENDING_APPROVAL) {
        api_rollback(ctx); /* a second tab finished it */
        return back_to_portal(ctx, r.number, "approved");
    }
    if (err == RMA_OK)
        err = hold_apply_authorized(&env, &locked, &o.authorization);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    if (err != RMA_OK)
        return err;
    return back_to_portal(ctx, r.number, "approved");
}

enum rma_err
api_paypal_cancel(struct api_ctx *ctx)
{
    struct hold h;
    struct rma_ref r;
    enum rma_err err = redirected_hold(ctx, &h, &r);
    if (err == RMA_ENOTFOUND)
        return back_to_portal(ctx, NULL, "unknown");
    if (err != RMA_OK)
        return err;
    if (h.status == HOLD_PENDING_APPROVAL) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)h.id);
        const char *params[] = {id, ctx->now};
        struct rma_actor_info who = {ACTOR_CUSTOMER, r.customer_email, NULL,
                                     false};
        err = api_begin(ctx);
        if (err == RMA_OK)
            err = db_hold_exec_any(&ctx->app->db, "hold_abandon", 2, params);
        if (err == RMA_OK)
            err = db_rma_audit(&ctx->app->db, r.id, &who, "paypal_cancelled",
                               NULL, ctx->now);
        if (err == RMA_OK)
            err = api_commit(ctx);
        else
            api_rollback(ctx);
        if (err != RMA_OK)
            return err;
    }
    return back_to_portal(ctx, r.number, "cancelled");
}

/* ---- warehouse ---- */

static const char *const shipment_kinds[] = {"replacement", "repaired",
                                             "resend", NULL};
static const struct field shipment_spec[] = {
    {.name = "kind", .type = FT_ENUM, .values = shipment_kinds},
    {.name = "carrier",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 40},
    {.name = "tracking_number",
     .type = FT_STRING,
     .required = true,
     .min = 6,
     .max = 40},
};

static bool
tracking_ok(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-") == strlen(s);
}

/* Runs ev on the case with one extra statement in the same transaction. */
static enum rma_err
transition_with(struct api_ctx *ctx, struct rma_ref *r, enum rma_event ev,
                const struct rma_actor_info *who, const char *detail,
                const char *stmt, int n, const char *const *params)
{
    int to = rma_state_next(r->status, ev, r->kind, who->kind);
    if (to < 0)
        return conflict(ctx, arena_printf(ctx->arena,
                                          "%s is not possible while the RMA "
                                          "is %s",
                                          rma_event_name(ev),
                                          rma_status_name(r->status)));
    enum rma_err err = api_begin(ctx);
    if (err == RMA_OK && stmt != NULL)
        err = db_hold_exec(&ctx->app->db, stmt, n, params);
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, r, (enum rma_status)to, ev, who,
                                detail, ctx->now);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    if (err == RMA_ECONFLICT)
        return state_changed(ctx);
    return err;
}

enum rma_err
api_staff_rma_shipments(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(shipment_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    const char *carrier = json_string_value(json_object_get(body, "carrier"));
    const char *tracking =
        json_string_value(json_object_get(body, "tracking_number"));
    const char *kind = json_string_value(json_object_get(body, "kind"));
    if (err == RMA_OK && !tracking_ok(tracking))
        err = http_fail(ctx->res, RMA_ERULE, "invalid_tracking_number",
                        "a tracking number has letters, digits and '-' only",
                        "tracking_number");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    enum rma_event ev = r.kind == KIND_REPAIR ? EV_SHIP_REPAIRED : EV_SHIP;
    if (kind == NULL)
        kind = r.kind == KIND_REPAIR   ? "repaired"
               : r.kind == KIND_RESEND ? "resend"
                                       : "replacement";
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)r.id);
    struct rma_actor_info who = api_staff_actor(ctx);
    const char *params[] = {id,       kind,     carrier,
                            tracking, ctx->now, ctx->staff.name};
    char *detail = json_dumps(body, JSON_COMPACT);
    err = transition_with(ctx, &r, ev, &who, detail, "shipment_insert", 6,
                          params);
    free(detail);
    json_decref(body); /* after: params borrow its strings */
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

static const char *const conditions[] = {"sealed",  "good",       "used",
                                         "damaged", "incomplete", NULL};
static const struct field receipt_spec[] = {
    {.name = "condition",
     .type = FT_ENUM,
     .required = true,
     .values = conditions},
    {.name = "serial_number", .type = FT_STRING, .min = 4, .max = 40},
    {.name = "uid", .type = FT_STRING, .min = 4, .max = 64},
    {.name = "notes", .type = FT_STRING, .max = 2000, .flags = F_MULTILINE},
};

enum rma_err
api_staff_rma_receipt(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(receipt_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *sn = json_string_value(json_object_get(body, "serial_number"));
    const char *uid = json_string_value(json_object_get(body, "uid"));
    struct rma_ref r;
    err = api_staff_case(ctx, &r);
    if (err == RMA_OK && sn == NULL && uid == NULL)
        err = http_fail(ctx->res, RMA_ERULE, "serial_required",
                        "the received unit's serial_number or uid is required",
                        "serial_number");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    struct rma_actor_info who = api_staff_actor(ctx);
    int to = rma_state_next(r.status, EV_RECEIVE, r.kind, who.kind);
    if (to < 0) {
        json_decref(body);
        return conflict(ctx, arena_printf(ctx->arena,
                                          "a receipt is not possible while "
                                          "the RMA is %s",
                                          rma_status_name(r.status)));
    }
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)r.id);
    const char *params[] = {
        id,
        json_string_value(json_object_get(body, "condition")),
        sn,
        uid,
        json_string_value(json_object_get(body, "notes")),
        ctx->now,
        ctx->staff.name};
    bool match = false;
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_receipt_insert(&ctx->app->db, params, &match);
    json_object_set_new(body, "serial_match", json_boolean(match));
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (err == RMA_OK)
        err = db_rma_transition(&ctx->app->db, &r, (enum rma_status)to,
                                EV_RECEIVE, &who, detail, ctx->now);
    free(detail);
    /* The hold: released when the unit is the right one; a capture already
     * made is refunded in full; a mismatch waits for a supervisor. */
    struct hold h;
    enum rma_err herr = RMA_ENOTFOUND;
    if (err == RMA_OK)
        herr = db_hold_latest(&ctx->app->db, r.id, &h);
    struct hold_env env = env_of(ctx, who);
    if (err == RMA_OK && herr == RMA_OK && !match &&
        (h.status == HOLD_AUTHORIZED || h.status == HOLD_CAPTURED)) {
        char key[64];
        snprintf(key, sizeof(key), "hold:%lld:serial_mismatch",
                 (long long)h.id);
        err = hold_exception(&env, "serial_mismatch", r.id, h.id, h.currency,
                             h.amount_minor,
                             "the received unit's S/N or UID does not match "
                             "the case: the hold waits for a supervisor",
                             key);
    } else if (err == RMA_OK && herr == RMA_OK && h.status == HOLD_AUTHORIZED) {
        err = api_hold_release_in_tx(ctx, r.id, "received");
    } else if (err == RMA_OK && herr == RMA_OK && h.status == HOLD_CAPTURED &&
               h.refund_requested_minor == 0) {
        char hid[24], amount[24];
        snprintf(hid, sizeof(hid), "%lld", (long long)h.id);
        snprintf(amount, sizeof(amount), "%lld", (long long)h.capture_minor);
        const char *rp[] = {hid, amount, "the return arrived after the capture",
                            ctx->now};
        err = db_hold_exec_any(&ctx->app->db, "hold_request_refund", 4, rp);
    } else if (err == RMA_OK && herr != RMA_OK && herr != RMA_ENOTFOUND) {
        err = herr;
    }
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    if (err == RMA_ECONFLICT)
        return state_changed(ctx);
    if (err != RMA_OK)
        return err;
    if (herr == RMA_OK && match && h.status == HOLD_AUTHORIZED) {
        api_hold_release_now(ctx, r.id);
    } else if (herr == RMA_OK && match && h.status == HOLD_CAPTURED &&
               env.pc != NULL) {
        struct hold_work w = {.hold_id = h.id, .op = HOLD_OP_REFUND};
        hold_run(&env, &w, 1, 1);
    }
    return api_staff_detail(ctx, r.id, false);
}

/* ---- supervisor ---- */

static const struct field extension_spec[] = {
    {.name = "deadline",
     .type = FT_STRING,
     .required = true,
     .min = 20,
     .max = 20},
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

static const struct field reason_spec[] = {
    {.name = "reason",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 500,
     .flags = F_MULTILINE},
};

/* The case and its authorized hold, for a supervisor's action. */
static enum rma_err
held_case(struct api_ctx *ctx, struct rma_ref *r, struct hold *h)
{
    enum rma_err err = api_staff_case(ctx, r);
    if (err != RMA_OK)
        return err;
    err = db_hold_live(&ctx->app->db, r->id, h);
    if (err == RMA_ENOTFOUND || (err == RMA_OK && h->status != HOLD_AUTHORIZED))
        return conflict(ctx, "the RMA has no hold in place");
    if (err == RMA_OK && h->void_requested_at != 0)
        return conflict(ctx, "the hold is already being released");
    return err;
}

enum rma_err
api_staff_rma_deadline_extension(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(extension_spec), &body);
    if (err != RMA_OK)
        return err;
    const char *text = json_string_value(json_object_get(body, "deadline"));
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != '\0') {
        json_decref(body);
        return http_fail(ctx->res, RMA_EINVAL, "invalid_deadline",
                         "deadline must be YYYY-MM-DDTHH:MM:SSZ", "deadline");
    }
    time_t deadline = timegm(&tm);
    struct rma_ref r;
    struct hold h;
    err = held_case(ctx, &r, &h);
    const char *refusal =
        err == RMA_OK ? hold_extension_refusal(&h, deadline) : NULL;
    if (err == RMA_OK && refusal != NULL)
        err = http_fail(ctx->res, RMA_ERULE, "deadline_out_of_bounds", refusal,
                        "deadline");
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h.id);
    char when[32];
    snprintf(when, sizeof(when), "%s", text);
    const char *params[] = {id, when, ctx->now};
    struct rma_actor_info who = api_staff_actor(ctx);
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_hold_exec(&ctx->app->db, "hold_extend", 3, params);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, r.id, &who, "deadline_extension",
                           detail, ctx->now);
    free(detail);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    if (err == RMA_ECONFLICT)
        return state_changed(ctx);
    return err == RMA_OK ? api_staff_detail(ctx, r.id, false) : err;
}

enum rma_err
api_staff_rma_waive_hold(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(reason_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    struct hold h;
    err = api_staff_case(ctx, &r);
    if (err == RMA_OK) {
        /* A mismatched receipt leaves the case received with its hold in
         * place: the supervisor's waiver releases it. */
        err = db_hold_live(&ctx->app->db, r.id, &h);
        if (err == RMA_ENOTFOUND ||
            (err == RMA_OK && h.status != HOLD_AUTHORIZED))
            err = conflict(ctx, "the RMA has no hold in place");
    }
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    struct rma_actor_info who = api_staff_actor(ctx);
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *reason = r.status == ST_RECEIVED ? "received" : "waived";
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, r.id, &who, "waive_hold", detail,
                           ctx->now);
    free(detail);
    if (err == RMA_OK)
        err = api_hold_release_in_tx(ctx, r.id, reason);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    if (err != RMA_OK)
        return err;
    struct hold_env env = env_of(ctx, who);
    struct hold_work w = {.hold_id = h.id, .op = HOLD_OP_VOID};
    if (env.pc != NULL)
        hold_run(&env, &w, 1, 1);
    return api_staff_detail(ctx, r.id, false);
}

enum rma_err
api_staff_rma_capture_now(struct api_ctx *ctx)
{
    json_t *body;
    enum rma_err err = api_body(ctx, FIELDS(reason_spec), &body);
    if (err != RMA_OK)
        return err;
    struct rma_ref r;
    struct hold h;
    err = held_case(ctx, &r, &h);
    if (err == RMA_OK && r.status != ST_AWAITING_RETURN)
        err = conflict(ctx, arena_printf(ctx->arena,
                                         "a capture is not possible while the "
                                         "RMA is %s",
                                         rma_status_name(r.status)));
    if (err != RMA_OK) {
        json_decref(body);
        return err;
    }
    struct rma_actor_info who = api_staff_actor(ctx);
    char *detail = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h.id);
    const char *params[] = {id, ctx->now};
    err = api_begin(ctx);
    if (err == RMA_OK)
        err = db_hold_exec(&ctx->app->db, "hold_request_capture", 2, params);
    if (err == RMA_OK)
        err = db_rma_audit(&ctx->app->db, r.id, &who, "capture_now", detail,
                           ctx->now);
    free(detail);
    if (err == RMA_OK)
        err = api_commit(ctx);
    else
        api_rollback(ctx);
    if (err == RMA_ECONFLICT)
        return state_changed(ctx);
    if (err != RMA_OK)
        return err;
    struct hold_env env = env_of(ctx, who);
    struct hold_work w = {.hold_id = h.id, .op = HOLD_OP_CAPTURE};
    if (env.pc != NULL)
        hold_run(&env, &w, 1, 1);
    return api_staff_detail(ctx, r.id, false);
}
