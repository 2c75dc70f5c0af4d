/* routes.c - the route table: every endpoint, who may call it, its body.
 *
 * This table is the one place where roles are granted to endpoints. */
#include "rma/api.h"

#define PUBLIC AUTH_NONE, 0
#define CUSTOMER AUTH_CUSTOMER, 0
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
    {HTTP_GET, RMA, api_rma_get, CUSTOMER, BODY_NONE, true},
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
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);
