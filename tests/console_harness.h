/* console_harness.h - what the staff console's tests share (beside
 * harness.h): people added with rmactl, their sign-in by mailed code, the
 * console's request headers, and SQL as the schema owner. */
#ifndef RMA_TEST_CONSOLE_HARNESS_H
#define RMA_TEST_CONSOLE_HARNESS_H

#include "harness.h"

/* Adds a person of role with a unique address (rmactl staff add); returns
 * the address (owned). */
char *console_person(const char *role);
/* Signs email in to the console; returns "rma_staff=..." (owned).  now,
 * when not NULL, is the X-Rma-Test-Now of both requests. */
char *console_login_at(const char *email, const char *now);
char *console_login(const char *email);
/* The console's headers: X-Requested-With: rma-console (when csrf),
 * Content-Type, the cookie when not NULL, extra when not NULL.  Static
 * storage, valid until the next call. */
const char *const *console_headers(const char *cookie, bool csrf,
                                   const char *extra);
/* A request as the console makes it (csrf header on). */
struct http_result console_call(const char *method, const char *path,
                                const char *cookie, const char *body);
/* A request with a bearer token. */
struct http_result console_bearer(const char *method, const char *path,
                                  const char *token, const char *body);
/* psql as the schema owner: the first line of the answer (owned). */
char *console_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long console_sql_long(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* An ISO 8601 UTC time offset seconds from now. */
void console_time(long offset, char out[32]);

#endif
