/* api_staff.c - staff identity: GET /api/v1/staff/whoami. */
#include "rma/api.h"

enum rma_err
api_staff_whoami(struct api_ctx *ctx)
{
    ctx->res->body = json_pack("{s:s, s:s}", "name", ctx->staff.name, "role",
                               staff_role_name(ctx->staff.role));
    return RMA_OK;
}
