/* api_console.h - the handlers the staff console adds to the staff API
 * (SPEC §15): people's sign-in (api_staff_auth.c), their queues and the
 * warehouse scan (api_staff_console.c), and the admin page's accounts and
 * tokens (api_staff_admin.c).  Routes and roles are in routes.c. */
#ifndef RMA_API_CONSOLE_H
#define RMA_API_CONSOLE_H

#include "rma/api.h"

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
