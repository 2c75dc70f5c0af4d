/* routes.c - the route table: every endpoint, who may call it, its body.
 *
 * This table is the one place where roles are granted to endpoints. */
#include "rma/api.h"

#define PUBLIC AUTH_NONE, 0
#define CUSTOMER AUTH_CUSTOMER, 0
#define MAYBE_CUSTOMER AUTH_CUSTOMER_OPTIONAL, 0
#define CUSTOMER_CASE AUTH_CUSTOMER_CASE, 0
#define STAFF(roles) AUTH_STAFF, (roles)
#define CASEWORK (ROLE_AGENT | ROLE_SUPERVISOR)
#define READERS                                                                \
    (ROLE_AGENT | ROLE_SUPERVISOR | ROLE_WAREHOUSE | ROLE_FINANCE | ROLE_ADMIN)
#define RMA "/api/v1/rmas/{number}"
#define STAFF_RMA "/api/v1/staff/rmas/{number}"

const struct route routes[] = {
    {HTTP_GET, "/healthz", api_health_get, PUBLIC, BODY_NONE, false},
    {HTTP_GET, "/metrics", api_metrics_get, PUBLIC, BODY_NONE, false},

    /* Customers */
    {HTTP_POST, "/api/v1/auth/code", api_auth_code, PUBLIC, BODY_JSON, true},
    {HTTP_POST, "/api/v1/auth/session", api_auth_session_create, PUBLIC,
     BODY_JSON, true},
    {HTTP_DELETE, "/api/v1/auth/session", api_auth_session_delete, CUSTOMER,
     BODY_NONE, true},
    {HTTP_GET, "/api/v1/rmas", api_rma_list, CUSTOMER, BODY_NONE, true},
    {HTTP_GET, RMA, api_rma_get, CUSTOMER_CASE, BODY_NONE, true},
    {HTTP_GET, RMA "/events", api_rma_events, CUSTOMER, BODY_NONE, true},
    {HTTP_POST, RMA "/agree", api_rma_agree, CUSTOMER, BODY_NONE, true},
    {HTTP_POST, RMA "/disagree", api_rma_disagree, CUSTOMER, BODY_JSON, true},
    {HTTP_POST, RMA "/replacement-method", api_rma_method, CUSTOMER, BODY_JSON,
     true},
    {HTTP_PUT, RMA "/shipping-address", api_rma_address, CUSTOMER, BODY_JSON,
     true},

    /* Staff */
    {HTTP_GET, "/api/v1/staff/whoami", api_staff_whoami, STAFF(ROLE_ANY),
     BODY_NONE, false},
    {HTTP_POST, "/api/v1/staff/rmas", api_staff_rma_create, STAFF(CASEWORK),
     BODY_JSON, false},
    {HTTP_GET, "/api/v1/staff/rmas", api_staff_rma_list, STAFF(READERS),
     BODY_NONE, false},
    {HTTP_GET, STAFF_RMA, api_staff_rma_get, STAFF(READERS), BODY_NONE, false},
    {HTTP_PATCH, STAFF_RMA, api_staff_rma_edit, STAFF(CASEWORK), BODY_JSON,
     false},
    {HTTP_POST, STAFF_RMA "/submit", api_staff_rma_submit, STAFF(CASEWORK),
     BODY_NONE, false},
    {HTTP_POST, STAFF_RMA "/approve", api_staff_rma_approve,
     STAFF(ROLE_SUPERVISOR), BODY_NONE, false},
    {HTTP_POST, STAFF_RMA "/send-back", api_staff_rma_send_back,
     STAFF(ROLE_SUPERVISOR), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/confirm-on-behalf", api_staff_rma_confirm,
     STAFF(CASEWORK), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/cancel", api_staff_rma_cancel, STAFF(CASEWORK),
     BODY_JSON, false},
    {HTTP_PUT, STAFF_RMA "/shipping-address", api_staff_rma_address,
     STAFF(CASEWORK), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/return-shipment", api_staff_rma_return_shipment,
     STAFF(CASEWORK), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/makeup-payment", api_staff_rma_makeup_payment,
     STAFF(CASEWORK), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/request-proof-of-purchase",
     api_staff_rma_request_proof, STAFF(CASEWORK), BODY_JSON, false},

    /* The advanced replacement's hold (SPEC §5.3) */
    {HTTP_POST, RMA "/preauthorization", api_rma_preauthorize, CUSTOMER,
     BODY_JSON, true},
    {HTTP_GET, "/api/v1/paypal/return", api_paypal_return, PUBLIC, BODY_NONE,
     false},
    {HTTP_GET, "/api/v1/paypal/cancel", api_paypal_cancel, MAYBE_CUSTOMER,
     BODY_NONE, false},
    {HTTP_POST, "/api/v1/paypal/webhooks", api_paypal_webhook, PUBLIC,
     BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/shipments", api_staff_rma_shipments,
     STAFF(ROLE_WAREHOUSE), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/receipt", api_staff_rma_receipt,
     STAFF(ROLE_WAREHOUSE), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/deadline-extension",
     api_staff_rma_deadline_extension, STAFF(ROLE_SUPERVISOR), BODY_JSON,
     false},
    {HTTP_POST, STAFF_RMA "/waive-hold", api_staff_rma_waive_hold,
     STAFF(ROLE_SUPERVISOR), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/capture-now", api_staff_rma_capture_now,
     STAFF(ROLE_SUPERVISOR), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/capture-refund", api_staff_rma_capture_refund,
     STAFF(ROLE_SUPERVISOR), BODY_JSON, false},

    /* Attachments and the return (SPEC §5.4); uploads are raw bodies */
    {HTTP_PUT, RMA "/attachments/{kind}", api_attachment_put, CUSTOMER,
     BODY_STREAM, true},
    {HTTP_GET, RMA "/attachments/{id}", api_attachment_get, CUSTOMER, BODY_NONE,
     true},
    {HTTP_DELETE, RMA "/attachments/{id}", api_attachment_delete, CUSTOMER,
     BODY_NONE, true},
    {HTTP_POST, RMA "/return-shipment", api_rma_return_shipment, CUSTOMER,
     BODY_JSON, true},
    {HTTP_GET, RMA "/packing-slip", api_rma_packing_slip, CUSTOMER, BODY_NONE,
     true},
    {HTTP_GET, STAFF_RMA "/attachments/{id}", api_staff_attachment_get,
     STAFF(READERS), BODY_NONE, false},
    {HTTP_POST, STAFF_RMA "/refund-payout", api_staff_rma_refund_payout,
     STAFF(ROLE_FINANCE | ROLE_ADMIN), BODY_JSON, false},
    {HTTP_POST, STAFF_RMA "/inspection", api_staff_rma_inspection,
     STAFF(ROLE_WAREHOUSE), BODY_JSON, false},

    /* Repair quotes and the RMA number's validity (policy.h) */
    {HTTP_POST, STAFF_RMA "/quote", api_staff_rma_quote, STAFF(ROLE_WAREHOUSE),
     BODY_JSON, false},
    {HTTP_POST, RMA "/quote-decision", api_rma_quote_decision, CUSTOMER,
     BODY_JSON, true},
    {HTTP_POST, STAFF_RMA "/validity-extension",
     api_staff_rma_validity_extension, STAFF(ROLE_SUPERVISOR), BODY_JSON,
     false},

    /* Make-up payments (SPEC §5.5) */
    {HTTP_POST, RMA "/makeup-payment", api_rma_makeup_payment, CUSTOMER,
     BODY_JSON, true},
    {HTTP_GET, "/api/v1/staff/makeup-payments", api_staff_makeup_list,
     STAFF(ROLE_FINANCE | ROLE_ADMIN), BODY_NONE, false},
    {HTTP_POST, "/api/v1/staff/makeup-payments/{id}/resolve",
     api_staff_makeup_resolve, STAFF(ROLE_FINANCE), BODY_JSON, false},

    /* Finance's exceptions, one list (SPEC §14) */
    {HTTP_GET, "/api/v1/staff/exceptions", api_staff_exception_list,
     STAFF(ROLE_FINANCE | ROLE_ADMIN), BODY_NONE, false},
    {HTTP_POST, "/api/v1/staff/exceptions/{id}/resolve",
     api_staff_exception_resolve, STAFF(ROLE_FINANCE), BODY_JSON, false},

    /* The staff console (SPEC §15): people sign in with a code; their
     * queues, the warehouse scan box, the admin page. */
    {HTTP_POST, "/api/v1/staff/auth/code", api_staff_auth_code, PUBLIC,
     BODY_JSON, true},
    {HTTP_POST, "/api/v1/staff/auth/session", api_staff_auth_session_create,
     PUBLIC, BODY_JSON, true},
    {HTTP_DELETE, "/api/v1/staff/auth/session", api_staff_auth_session_delete,
     STAFF(ROLE_ANY), BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/queues", api_staff_queues, STAFF(ROLE_ANY),
     BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/queues/{name}", api_staff_queue_get,
     STAFF(ROLE_ANY), BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/scan", api_staff_scan, STAFF(READERS), BODY_NONE,
     false},
    {HTTP_GET, STAFF_RMA "/packing-slip", api_staff_packing_slip,
     STAFF(READERS), BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/pick-list", api_staff_pick_list,
     STAFF(ROLE_WAREHOUSE | ROLE_ADMIN), BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/orders", api_staff_orders, STAFF(CASEWORK),
     BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/accounts", api_staff_accounts_list,
     STAFF(ROLE_ADMIN), BODY_NONE, false},
    {HTTP_POST, "/api/v1/staff/accounts", api_staff_accounts_create,
     STAFF(ROLE_ADMIN), BODY_JSON, false},
    {HTTP_POST, "/api/v1/staff/accounts/{id}/deactivate",
     api_staff_accounts_deactivate, STAFF(ROLE_ADMIN), BODY_NONE, false},
    {HTTP_GET, "/api/v1/staff/tokens", api_staff_tokens_list, STAFF(ROLE_ADMIN),
     BODY_NONE, false},
    {HTTP_POST, "/api/v1/staff/tokens", api_staff_tokens_create,
     STAFF(ROLE_ADMIN), BODY_JSON, false},
    {HTTP_POST, "/api/v1/staff/tokens/{id}/revoke", api_staff_tokens_revoke,
     STAFF(ROLE_ADMIN), BODY_NONE, false},

    /* Finance exports (SPEC §8) */
    {HTTP_GET, "/api/v1/staff/exports/{kind}.csv", api_export_get,
     STAFF(ROLE_FINANCE | ROLE_ADMIN), BODY_NONE, false},
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);
