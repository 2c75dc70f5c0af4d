/* harness.h - what the database and end-to-end tiers share: the stack that
 * tests/run-suite started (named by RMA_TEST_* variables), HTTP through
 * nginx with libcurl, and running the project's commands. */
#ifndef RMA_TEST_HARNESS_H
#define RMA_TEST_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct http_result {
    long status;
    char *body; /* NUL-terminated, owned */
    size_t body_len;
    char *headers; /* raw header block, owned */
    json_t *json;  /* parsed body or NULL, owned */
};

/* An RMA_TEST_* variable; the test fails if it is missing. */
const char *harness_env(const char *name);
/* method path [body] with extra headers ("Name: value", NULL-terminated). */
struct http_result harness_http(const char *method, const char *path,
                                const char *const *headers, const char *body,
                                size_t body_len);
void harness_http_free(struct http_result *r);
/* The value of header name in r (case-insensitive), into out; NULL if absent.
 */
const char *harness_header(const struct http_result *r, const char *name,
                           char *out, size_t n);
/* The error code of a §7 error envelope, or NULL. Borrowed from r. */
const char *harness_error_code(const struct http_result *r);
/* Runs a shell command; returns its exit status and its stdout (owned). */
int harness_run(const char *cmd, char **out);
/* Creates a staff token through rmactl; returns it (owned). */
char *harness_staff_token(const char *role, const char *name);

/* Portal-like headers for customer requests: X-Requested-With and, when
 * cookie is not NULL, the session cookie.  Returns a NULL-terminated array
 * in static storage (one per thread of use: copy if kept). */
const char *const *harness_portal_headers(const char *cookie,
                                          const char *extra);
/* A unique email address for this test process. */
char *harness_unique_email(const char *prefix);
/* Creates a case as agent `token` for email, of kind, and submits it so
 * that it waits for the customer (pending_confirm).  Replacements, repairs
 * and resends get their shipping address confirmed by the agent (as on the
 * phone with the customer), so they may be pre-authorized and shipped.
 * Returns its number. */
char *harness_create_case(const char *token, const char *email,
                          const char *kind, bool submit);
/* The same without the confirmed address (SPEC §14: 422 address_required
 * until one is). */
char *harness_create_case_no_address(const char *token, const char *email,
                                     const char *kind, bool submit);
/* Confirms a US shipping address for case number as agent `token`. */
void harness_confirm_address(const char *token, const char *number);
/* The newest sign-in code mailed to email, waiting up to 5 s. */
char *harness_mailed_code(const char *email);
/* Signs email in; returns "rma_session=..." for a Cookie header. */
char *harness_login(const char *email);

/* Tests that change the simulator's clock or rules share one lock: the
 * caller holds it until its process exits (Criterion runs each test in a
 * process of its own). */
void harness_sim_lock(void);
/* A control call to the stack's paypal-sim (/sim/...); its JSON answer
 * (owned), the test fails if there is none. */
json_t *harness_sim(const char *method, const char *path, const char *body);
/* Outcome control of the stack's paypal-sim (SPEC §16, doc/paypal-sim.md):
 * the next `next` operations ("authorize", "capture" or "refund") that
 * would succeed answer 201 with status ("PENDING", "DENIED", "DECLINED",
 * "FAILED") instead.  Take harness_sim_lock first: the rule is global.  The
 * test fails if the simulator refuses the rule. */
void harness_sim_outcome(const char *operation, const char *status, int next);
/* Settles a PENDING authorization, capture or refund to status ("CREATED",
 * "COMPLETED", "DENIED", "DECLINED", "FAILED") and queues its webhook; the
 * answer {"id", "kind", "status", "event"} (owned).  The test fails unless
 * it was settled. */
json_t *harness_sim_settle(const char *id, const char *status);
/* t as ISO 8601 UTC ("2026-11-23T10:00:00Z"). */
void harness_iso(time_t t, char out[32]);

/* The first line of the first value of the query made from fmt, run as the
 * schema owner (owned). */
char *harness_sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Uploads tests/fixtures/images/tiny.png as an attachment of kind to case
 * number with the customer's cookie; its id. */
long long harness_upload_png(const char *cookie, const char *number,
                             const char *kind);
/* Runs the command made from fmt; its stdout (owned), asserting success
 * unless allow_fail. */
char *harness_runf(bool allow_fail, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* harness_sim without the answer; the simulator's clock set to t. */
void harness_sim_ok(const char *method, const char *path, const char *body);
void harness_sim_clock(time_t t);

#endif
