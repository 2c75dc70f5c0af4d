/* api_staff.c - staff identity: GET /api/v1/staff/whoami. */
#include "rma/api.h"

/* The caller: a token's name and role, or a person's e-mail (their actor
 * name), name and role with "via": "session" (the console). */
enum rma_err
api_staff_whoami(struct api_ctx *ctx)
{
    ctx->res->body = json_pack("{s:s, s:s, s:s}", "name", ctx->staff.name,
                               "role", staff_role_name(ctx->staff.role), "via",
                               ctx->staff.session_id ? "session" : "token");
    if (ctx->staff.session_id != 0) {
        json_object_set_new(ctx->res->body, "email",
                            json_string(ctx->staff.name));
        json_object_set_new(ctx->res->body, "display_name",
                            json_string(ctx->staff.display_name));
        json_object_set_new(
            ctx->res->body, "idle_minutes",
            json_integer(ctx->app->cfg->staff_session_idle_minutes));
    }
    return RMA_OK;
}
