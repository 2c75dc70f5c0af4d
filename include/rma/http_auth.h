/* http_auth.h - who is asking, for the request path (http_auth.c). */
#ifndef RMA_HTTP_AUTH_H
#define RMA_HTTP_AUTH_H

#include <stdbool.h>

#include "rma/api.h"

/* Whether m changes something (anything but GET and HEAD). */
bool http_method_mutating(enum http_method m);

/* Checks the request against route r: the CSRF rule of a browser route's
 * mutating request, then its authentication (ctx->staff or ctx->customer
 * filled).  A refusal is answered in ctx->res (401, 403). */
enum rma_err http_authenticate(struct api_ctx *ctx, const struct route *r);

#endif
