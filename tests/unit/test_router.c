/* test_router.c - the static route table: patterns, parameters, methods. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rma/api.h"

static struct arena arena;
static struct http_request req;

static void
setup(void)
{
    arena_init(&arena, 1024);
    memset(&req, 0, sizeof(req));
    req.arena = &arena;
}

static void
teardown(void)
{
    arena_free(&arena);
}

TestSuite(router, .init = setup, .fini = teardown);

Test(router, matches_exact_paths)
{
    unsigned allowed;
    int i = router_match("/healthz", HTTP_GET, &req, &allowed);
    cr_assert_geq(i, 0);
    cr_assert_str_eq(routes[i].pattern, "/healthz");
    cr_assert_eq(req.nparams, 0);
}

Test(router, head_is_served_by_get_routes)
{
    unsigned allowed;
    cr_assert_geq(router_match("/healthz", HTTP_HEAD, &req, &allowed), 0);
}

Test(router, unknown_path_allows_nothing)
{
    unsigned allowed = 123;
    cr_assert_eq(router_match("/nope", HTTP_GET, &req, &allowed), -1);
    cr_assert_eq(allowed, 0);
    cr_assert_eq(router_match("/healthz/", HTTP_GET, &req, &allowed), -1);
    cr_assert_eq(router_match("/healthzz", HTTP_GET, &req, &allowed), -1);
    cr_assert_eq(router_match("", HTTP_GET, &req, &allowed), -1);
}

Test(router, wrong_method_reports_allowed_methods)
{
    unsigned allowed;
    cr_assert_eq(
        router_match("/api/v1/staff/whoami", HTTP_DELETE, &req, &allowed), -1);
    cr_assert_eq(allowed, HTTP_GET);
}

Test(router, every_staff_route_names_its_roles)
{
    for (size_t i = 0; i < n_routes; i++) {
        if (routes[i].auth == AUTH_STAFF)
            cr_assert_neq(routes[i].roles, 0, "%s", routes[i].pattern);
        /* Every staff route needs a staff credential, but for the
         * console's sign-in that issues one (public, with CSRF). */
        bool sign_in =
            strncmp(routes[i].pattern, "/api/v1/staff/auth/", 19) == 0 &&
            routes[i].method == HTTP_POST;
        if (sign_in)
            cr_assert(routes[i].auth == AUTH_NONE && routes[i].csrf, "%s",
                      routes[i].pattern);
        else if (strncmp(routes[i].pattern, "/api/v1/staff/", 14) == 0)
            cr_assert_eq(routes[i].auth, AUTH_STAFF, "%s", routes[i].pattern);
        cr_assert_not_null(routes[i].handler);
    }
}

Test(router, a_parameter_ends_before_the_literal_that_follows_it)
{
    unsigned allowed;
    const char *base = "/api/v1/staff/exports/";
    char path[128];
    snprintf(path, sizeof(path), "%sledger.csv", base);
    int i = router_match(path, HTTP_GET, &req, &allowed);
    cr_assert_geq(i, 0);
    cr_assert_str_eq(routes[i].pattern, "/api/v1/staff/exports/{kind}.csv");
    cr_assert_eq(req.nparams, 1);
    cr_assert_str_eq(req.params[0], "ledger");
    snprintf(path, sizeof(path), "%scaptures-refunds.v2.csv", base);
    cr_assert_geq(router_match(path, HTTP_GET, &req, &allowed), 0);
    cr_assert_str_eq(req.params[0], "captures-refunds.v2");
    static const char *const misses[] = {".csv",        "ledger.json",
                                         "ledger.cs",   "ledger.csv/",
                                         "ledger.csvx", "ledger"};
    for (size_t k = 0; k < sizeof(misses) / sizeof(misses[0]); k++) {
        snprintf(path, sizeof(path), "%s%s", base, misses[k]);
        cr_assert_eq(router_match(path, HTTP_GET, &req, &allowed), -1, "%s",
                     path);
    }
}

Test(router, finance_exports_are_for_finance_and_admin_only)
{
    unsigned allowed;
    int i = router_match("/api/v1/staff/exports/rmas.csv", HTTP_GET, &req,
                         &allowed);
    cr_assert_geq(i, 0);
    cr_assert_eq(routes[i].auth, AUTH_STAFF);
    cr_assert_eq(routes[i].roles, ROLE_FINANCE | ROLE_ADMIN);
    cr_assert_eq(routes[i].body, BODY_NONE);
}
