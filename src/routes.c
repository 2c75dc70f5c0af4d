/* routes.c - the route table: every endpoint, who may call it, its body.
 *
 * This table is the one place where roles are granted to endpoints. */
#include "rma/api.h"

#define STAFF(roles) AUTH_STAFF, (roles)

const struct route routes[] = {
    {HTTP_GET, "/healthz", api_health_get, AUTH_NONE, 0, BODY_NONE},
    {HTTP_GET, "/metrics", api_metrics_get, AUTH_NONE, 0, BODY_NONE},
    {HTTP_GET, "/api/v1/staff/whoami", api_staff_whoami, STAFF(ROLE_ANY),
     BODY_NONE},
};

const size_t n_routes = sizeof(routes) / sizeof(routes[0]);
