/* case_address.c - the shipping address of a case (SPEC §14): the customer
 * confirms it in the portal, or staff confirm it on the customer's behalf
 * (audited as such).  A pre-authorization and any outbound shipment wait
 * for it (case_ops.c, case_ends.c: 422 address_required). */
#include <stdio.h>
#include <string.h>

#include "rma/case_ops.h"

enum rma_err
case_set_address(struct hold_env *env, int64_t rma_id, const char *address_json,
                 const char *country, struct case_refusal *no)
{
    struct rma_ref r;
    enum rma_err err = case_begin(env, rma_id, &r);
    if (err != RMA_OK)
        return err;
    bool staff = env->who.kind != ACTOR_CUSTOMER;
    bool advanced = strcmp(r.replacement_method, "advanced") == 0;
    if (!rma_address_editable(r.status, r.kind, advanced, staff)) {
        err = RMA_ECONFLICT;
        no->code = "invalid_state";
        if (r.kind == KIND_REFUND)
            snprintf(no->message, sizeof(no->message),
                     "a refund ships nothing: it has no shipping address");
        else
            snprintf(no->message, sizeof(no->message),
                     "changing the shipping address is not possible while "
                     "the RMA is %s",
                     rma_status_name(r.status));
    } else if (strcmp(country, r.order_country) != 0) {
        err = RMA_ERULE;
        no->code = "country_locked";
        no->field = "country";
        snprintf(no->message, sizeof(no->message),
                 "the country cannot change: the replacement ships to %s, "
                 "the country of the original order",
                 r.order_country);
    }
    if (err == RMA_OK)
        err = db_rma_set_address(env->db, r.id, address_json, env->now);
    if (err == RMA_OK)
        err = db_rma_audit(env->db, r.id, &env->who, "shipping_address", NULL,
                           env->now);
    return case_end(env, err);
}
