/* api.h - what every api_<resource>.c handler sees, and the route table.
 *
 * A handler gets a request whose route, authentication, role and body limits
 * were already checked by the http layer; it answers with an rma_err and,
 * on success, fills ctx->res. */
#ifndef RMA_API_H
#define RMA_API_H

#include <stdbool.h>
#include <time.h>

#include "rma/auth.h"
#include "rma/config.h"
#include "rma/db.h"
#include "rma/hold_ops.h"
#include "rma/http.h"
#include "rma/http_json.h"
#include "rma/rma.h"
#include "rma/staff.h"

/* Process-lifetime state, built before the accept loop. */
struct paypal_client;
struct paypal_webhook_verifier;

struct app {
    const struct rma_config *cfg; /* borrowed from main */
    struct db db;
    /* Where exports read when export_database_url is not database_url (a
     * replica); unused (conninfo NULL) otherwise.  See api_export.c. */
    struct db export_db;
    /* Made at first use (api_common.c, webhook_ops.c); NULL while PayPal is
     * not configured.  Opaque here: handlers never call PayPal. */
    struct paypal_client *paypal;
    struct paypal_webhook_verifier *webhooks;
};

struct api_ctx {
    struct app *app;
    struct http_request *req;
    struct http_response *res;
    struct arena *arena;
    struct staff_identity staff;      /* valid on staff routes */
    struct customer_session customer; /* valid on customer routes */
    time_t now_t;                     /* the request's clock (see clock) */
    char now[32];                     /* the same, ISO 8601 UTC, for SQL */
    /* The Idempotency-Key of a customer's mutating request (borrowed from
     * req), or NULL; idem_begun once it is recorded for this request (its
     * answer is then stored after the handler). */
    const char *idem_key;
    bool idem_begun;
    /* AUTH_CUSTOMER_CASE: the case the path names with its customer's
     * document, in the arena; NULL when there is no such case. */
    struct rma_detail *case_read;
};

typedef enum rma_err (*api_handler)(struct api_ctx *ctx);

enum route_auth {
    AUTH_NONE,              /* public */
    AUTH_CUSTOMER,          /* session cookie */
    AUTH_CUSTOMER_OPTIONAL, /* public; the session's customer when there is
                               one (ctx->customer.customer_id 0 otherwise) */
    AUTH_STAFF,             /* bearer token with one of route.roles */
    AUTH_CUSTOMER_CASE,     /* AUTH_CUSTOMER, and the case the path's
                               {number} names read with the session in one
                               query (ctx->case_read; SPEC §11), without
                               ctx->customer.email */
};

enum route_body {
    BODY_NONE,   /* a body is refused */
    BODY_JSON,   /* application/json, read up to max_body_bytes */
    BODY_STREAM, /* any type, left unread: the handler reads it with
                    http_body_read and bounds it (uploads) */
};

struct route {
    enum http_method method;
    const char *pattern; /* "/api/v1/rmas/{number}"; also the metrics label */
    api_handler handler;
    enum route_auth auth;
    unsigned roles; /* enum staff_role bits, for AUTH_STAFF */
    enum route_body body;
    bool csrf; /* browser-facing and mutating: needs the portal header or a
                  matching Origin (SPEC §12) */
};

extern const struct route routes[];
extern const size_t n_routes;

/* Finds the route for method and path, storing path parameters in req.
 * Returns its index, or -1 with *allowed set to the methods the path accepts
 * (0 when no pattern matches the path). */
int router_match(const char *path, enum http_method method,
                 struct http_request *req, unsigned *allowed);

/* Handlers, one file per resource. */
enum rma_err api_health_get(struct api_ctx *ctx);
enum rma_err api_metrics_get(struct api_ctx *ctx);
enum rma_err api_staff_whoami(struct api_ctx *ctx);
enum rma_err api_auth_code(struct api_ctx *ctx);
enum rma_err api_auth_session_create(struct api_ctx *ctx);
enum rma_err api_auth_session_delete(struct api_ctx *ctx);
enum rma_err api_rma_list(struct api_ctx *ctx);
enum rma_err api_rma_get(struct api_ctx *ctx);
enum rma_err api_rma_events(struct api_ctx *ctx);
enum rma_err api_rma_agree(struct api_ctx *ctx);
enum rma_err api_rma_disagree(struct api_ctx *ctx);
enum rma_err api_rma_method(struct api_ctx *ctx);
enum rma_err api_rma_address(struct api_ctx *ctx);
enum rma_err api_staff_rma_address(struct api_ctx *ctx);
enum rma_err api_staff_rma_request_proof(struct api_ctx *ctx);
enum rma_err api_staff_rma_return_shipment(struct api_ctx *ctx);
enum rma_err api_staff_rma_makeup_payment(struct api_ctx *ctx);
enum rma_err api_staff_rma_capture_refund(struct api_ctx *ctx);
enum rma_err api_staff_rma_create(struct api_ctx *ctx);
enum rma_err api_staff_rma_edit(struct api_ctx *ctx);
enum rma_err api_staff_rma_list(struct api_ctx *ctx);
enum rma_err api_staff_rma_get(struct api_ctx *ctx);
enum rma_err api_staff_rma_submit(struct api_ctx *ctx);
enum rma_err api_staff_rma_approve(struct api_ctx *ctx);
enum rma_err api_staff_rma_send_back(struct api_ctx *ctx);
enum rma_err api_staff_rma_confirm(struct api_ctx *ctx);
enum rma_err api_staff_rma_cancel(struct api_ctx *ctx);
enum rma_err api_rma_preauthorize(struct api_ctx *ctx);
enum rma_err api_paypal_return(struct api_ctx *ctx);
enum rma_err api_paypal_cancel(struct api_ctx *ctx);
enum rma_err api_paypal_webhook(struct api_ctx *ctx);
enum rma_err api_staff_rma_shipments(struct api_ctx *ctx);
enum rma_err api_staff_rma_receipt(struct api_ctx *ctx);
enum rma_err api_staff_rma_deadline_extension(struct api_ctx *ctx);
enum rma_err api_staff_rma_waive_hold(struct api_ctx *ctx);
enum rma_err api_staff_exception_list(struct api_ctx *ctx);
enum rma_err api_staff_exception_resolve(struct api_ctx *ctx);
enum rma_err api_staff_rma_refund_payout(struct api_ctx *ctx);
enum rma_err api_staff_rma_capture_now(struct api_ctx *ctx);
enum rma_err api_export_get(struct api_ctx *ctx);
/* Policies (api_policy.c; policy.h): the repair quote and its decision,
 * the RMA number's validity extension. */
enum rma_err api_staff_rma_quote(struct api_ctx *ctx);
enum rma_err api_rma_quote_decision(struct api_ctx *ctx);
enum rma_err api_staff_rma_validity_extension(struct api_ctx *ctx);

/* Attachments, the return and its inspection (api_attachment.c,
 * api_return.c; SPEC §5.4). */
enum rma_err api_attachment_put(struct api_ctx *ctx);
enum rma_err api_attachment_get(struct api_ctx *ctx);
enum rma_err api_attachment_delete(struct api_ctx *ctx);
enum rma_err api_staff_attachment_get(struct api_ctx *ctx);
enum rma_err api_rma_return_shipment(struct api_ctx *ctx);
enum rma_err api_rma_packing_slip(struct api_ctx *ctx);
enum rma_err api_staff_rma_inspection(struct api_ctx *ctx);
/* Make-up payments (api_makeup.c; SPEC §5.5): the customer's claim, the
 * finance list and resolution. */
enum rma_err api_rma_makeup_payment(struct api_ctx *ctx);
enum rma_err api_staff_makeup_list(struct api_ctx *ctx);
enum rma_err api_staff_makeup_resolve(struct api_ctx *ctx);

/* Idempotency-Key (SPEC §7; http_server.c).  The http layer records the
 * key of a customer's mutating request with a hash of its method, path and
 * body before the handler runs.  A streamed body (BODY_STREAM: uploads)
 * cannot be hashed before it is read, so its handler calls this once it
 * has the body, with the SHA-256 of its bytes.  Returns true when the
 * handler must stop at once: the first answer was replayed into ctx->res
 * (*err RMA_OK), or the request refused (*err set and answered: 422
 * idempotency_key_reused for the same key with another body, 409
 * request_in_progress).  Returns false (nothing to do) without a key. */
bool api_idempotency_stream(struct api_ctx *ctx,
                            const unsigned char body_sha256[SHA256_LEN],
                            enum rma_err *err);

/* Below the handlers: what api_<resource>.c files share lives in
 * api_common.c and api_detail.c, never in another handler file
 * (tests/check-structure). */

/* The case a path names and the detail answers (api_detail.c). */

/* The customer's visible case named by the path; RMA_ENOTFOUND (404
 * answered) for an unknown number, another customer's case or one not yet
 * visible to customers. */
enum rma_err api_customer_case(struct api_ctx *ctx, struct rma_ref *r);
/* The case named by the path, for staff; 404 answered when unknown. */
enum rma_err api_staff_case(struct api_ctx *ctx, struct rma_ref *r);
/* The acting staff member. */
struct rma_actor_info api_staff_actor(const struct api_ctx *ctx);
/* Whether the customer may set the address the replacement ships to now. */
bool api_address_editable(const struct rma_ref *r);
/* The detail answer: d's document with the members already in the
 * response body (if any), the hold's agreement while it is to be
 * accepted, the upload limits and, for the customer, the actions (the
 * make-up payment's included); RMA_ENOTFOUND when d has no document for
 * this viewer. */
enum rma_err api_detail_answer(struct api_ctx *ctx, const struct rma_detail *d,
                               bool staff);
/* The customer's detail answer for case id, read after a change. */
enum rma_err api_customer_detail(struct api_ctx *ctx, int64_t id);
/* The staff detail answer (with the timeline) for case id; 201 when
 * created. */
enum rma_err api_staff_detail(struct api_ctx *ctx, int64_t id, bool created);
/* GET /api/v1/staff/rmas/{number}: 404 when there is no such case. */
enum rma_err api_staff_detail_read(struct api_ctx *ctx);

/* Helpers shared by the handlers (api_common.c). */

/* Parses the request body against spec; see http_json.h. */
enum rma_err api_body(struct api_ctx *ctx, const struct field *spec, size_t n,
                      json_t **out);
/* Parses and checks a shipping address body (name, lines, city, region,
 * postal code, country, phone): its JSON text (sorted keys) and country,
 * both in the request's arena; 400/422 answered when invalid. */
enum rma_err api_address_body(struct api_ctx *ctx, char **json,
                              const char **country);
/* Sets the response body to the JSON text json (parsed; must be valid). */
enum rma_err api_json_text(struct api_ctx *ctx, const char *json);
/* Answers the JSON object text doc (trusted: from PostgreSQL) with the
 * members of the response body, an object whose keys doc does not have,
 * added, without parsing doc (res->json_text). */
enum rma_err api_json_merge_text(struct api_ctx *ctx, const char *doc);
/* The same with members, JSON object members as text ("a": 1, "b": [])
 * or NULL, added as well. */
enum rma_err api_json_merge_members(struct api_ctx *ctx, const char *doc,
                                    const char *members);
/* Runs in a transaction: BEGIN, then the caller's work, then api_commit or
 * api_rollback. */
enum rma_err api_begin(struct api_ctx *ctx);
enum rma_err api_commit(struct api_ctx *ctx);
void api_rollback(struct api_ctx *ctx);
/* The request path's PayPal client (hold_paypal_client's, made at first
 * use and kept for the process), NULL while PayPal is not configured. */
struct paypal_client *api_paypal_client(struct api_ctx *ctx);
/* The environment of a case operation (case_ops.h) for this request. */
struct hold_env api_hold_env(struct api_ctx *ctx, struct rma_actor_info who);
/* For a new case (doc: the create body, validated): 422
 * device_not_on_order (answered, field "devices") when a device is not
 * on its original order's lines (order_lines.h); the stored order's lines
 * when the order is already there, else the request's items. */
enum rma_err api_devices_on_order(struct api_ctx *ctx, json_t *doc);
/* For an edit of case rma_id (doc: the edit body, validated): the same
 * when doc has devices, against the case's original order. */
enum rma_err api_devices_on_case_order(struct api_ctx *ctx, int64_t rma_id,
                                       json_t *doc);
/* The answer to a case operation's error: its refusal when it refused, a
 * 409 state_changed for a bare conflict, else err as it is. */
struct case_refusal;
enum rma_err api_refused(struct api_ctx *ctx, enum rma_err err,
                         const struct case_refusal *no);

/* Serves FastCGI requests on listen_fd until *stop is set. */
int http_serve(struct app *app, int listen_fd, volatile int *stop);

/* The handlers the staff console adds (SPEC §15): people's sign-in
 * (api_staff_auth.c), their queues and the warehouse scan
 * (api_staff_console.c), the admin page's accounts and tokens
 * (api_staff_admin.c). */
/* Sign-in by one-time code, like customers' (same limits, the same answer
 * for known and unknown addresses), and the console session. */
enum rma_err api_staff_auth_code(struct api_ctx *ctx);
enum rma_err api_staff_auth_session_create(struct api_ctx *ctx);
enum rma_err api_staff_auth_session_delete(struct api_ctx *ctx);

/* GET /staff/queues: the caller's queues with counts (admin: all);
 * GET /staff/queues/{name}: one queue's items, oldest first;
 * GET /staff/scan?code=: cases by RMA number, tracking number, S/N or UID. */
enum rma_err api_staff_queues(struct api_ctx *ctx);
enum rma_err api_staff_queue_get(struct api_ctx *ctx);
enum rma_err api_staff_scan(struct api_ctx *ctx);
/* The warehouse's paper, HTML pages that print (api_staff_paper.c): a
 * case's outbound packing slip, the pick list of what awaits shipment. */
enum rma_err api_staff_packing_slip(struct api_ctx *ctx);
enum rma_err api_staff_pick_list(struct api_ctx *ctx);
/* GET /staff/orders?q=: original orders by number or customer's address,
 * for "New Solution" (orders.h). */
enum rma_err api_staff_orders(struct api_ctx *ctx);

/* The admin page: accounts and tokens. */
enum rma_err api_staff_accounts_list(struct api_ctx *ctx);
enum rma_err api_staff_accounts_create(struct api_ctx *ctx);
enum rma_err api_staff_accounts_deactivate(struct api_ctx *ctx);
enum rma_err api_staff_tokens_list(struct api_ctx *ctx);
enum rma_err api_staff_tokens_create(struct api_ctx *ctx);
enum rma_err api_staff_tokens_revoke(struct api_ctx *ctx);

#endif
