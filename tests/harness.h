/* harness.h - what the database and end-to-end tiers share: the stack that
 * tests/run-suite started (named by RMA_TEST_* variables), HTTP through
 * nginx with libcurl, and running the project's commands. */
#ifndef RMA_TEST_HARNESS_H
#define RMA_TEST_HARNESS_H

#include <jansson.h>
#include <stddef.h>

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

#endif
