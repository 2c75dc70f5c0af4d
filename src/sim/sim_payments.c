/* sim_payments.c - Payments v2: authorizations, captures, refunds
 * (NOTES §3, §4): honor period, validity, reauthorization, void rules. */
#include "sim/sim_payments.h"

#include <stdio.h>
#include <string.h>

#include "rma/money.h"
#include "sim/sim_api.h"
#include "sim/sim_state.h"
#include "sim/sim_util.h"
#include "sim/sim_webhooks.h"

static json_t *
hateoas(const char *rel, const char *method, const char *prefix, const char *id,
        const char *suffix)
{
    char href[512];
    snprintf(href, sizeof(href), "%s%s%s%s", g_sim->public_url, prefix, id,
             suffix);
    return json_pack("{s:s, s:s, s:s}", "href", href, "rel", rel, "method",
                     method);
}

static void
set_time(json_t *o, const char *key, int64_t t)
{
    char text[32];
    json_object_set_new(o, key,
                        json_string(sim_time_iso(t, text, sizeof(text))));
}

void
sim_pay_copy_optional(json_t *to, const json_t *from, const char *key)
{
    const char *v = sim_jstr(from, key);
    if (v != NULL)
        sim_set_str(to, key, v);
}

static json_t *
seller_protection(void)
{
    return json_pack("{s:s, s:[s, s]}", "status", "ELIGIBLE",
                     "dispute_categories", "ITEM_NOT_RECEIVED",
                     "UNAUTHORIZED_TRANSACTION");
}

static json_t *
payee(void)
{
    return json_pack("{s:s, s:s}", "email_address", SIM_MERCHANT_EMAIL,
                     "merchant_id", SIM_MERCHANT_ID);
}

/* status_details {reason} from a record's status_reason, when it has one
 * (a PENDING authorization, capture or refund). */
static void
status_details(json_t *body, const json_t *record)
{
    const char *reason = sim_jstr(record, "status_reason");
    if (reason != NULL)
        json_object_set_new(body, "status_details",
                            json_pack("{s:s}", "reason", reason));
}

/* Whether a capture's money moved: breakdowns and refunds exist only then
 * (NOTES §4: no seller_receivable_breakdown while pending). */
bool
sim_pay_capture_settled(const json_t *cap)
{
    const char *status = sim_jstr(cap, "status");
    return strcmp(status, "COMPLETED") == 0 ||
           strcmp(status, "PARTIALLY_REFUNDED") == 0 ||
           strcmp(status, "REFUNDED") == 0;
}

#define AUTH_URL "/v2/payments/authorizations/"
#define CAPTURE_URL "/v2/payments/captures/"
#define REFUND_URL "/v2/payments/refunds/"
#define ORDER_URL "/v2/checkout/orders/"

json_t *
sim_payments_authorization_json(const json_t *auth)
{
    const char *id = sim_jstr(auth, "id");
    const char *currency = sim_jstr(auth, "currency");
    bool reauth = sim_jstr(auth, "parent_id") != NULL;
    /* Nothing can be done with a pending or denied one yet. */
    const char *status = sim_jstr(auth, "status");
    bool actionable =
        strcmp(status, "PENDING") != 0 && strcmp(status, "DENIED") != 0;
    json_t *links = json_array();
    json_array_append_new(links, hateoas("self", "GET", AUTH_URL, id, ""));
    if (actionable)
        json_array_append_new(
            links, hateoas("capture", "POST", AUTH_URL, id, "/capture"));
    if (!reauth && actionable) {
        json_array_append_new(links,
                              hateoas("void", "POST", AUTH_URL, id, "/void"));
        json_array_append_new(links, hateoas("reauthorize", "POST", AUTH_URL,
                                             id, "/reauthorize"));
    }
    json_array_append_new(
        links, hateoas("up", "GET", ORDER_URL, sim_jstr(auth, "order_id"), ""));
    json_t *body =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:{s:{s:s}}}", "id", id,
                  "status", status, "amount",
                  sim_money_json(sim_jint(auth, "amount_minor"), currency),
                  "seller_protection", seller_protection(), "links", links,
                  "payee", payee(), "supplementary_data", "related_ids",
                  "order_id", sim_jstr(auth, "order_id"));
    status_details(body, auth);
    sim_pay_copy_optional(body, auth, "invoice_id");
    sim_pay_copy_optional(body, auth, "custom_id");
    set_time(body, "expiration_time", sim_jint(auth, "expires"));
    set_time(body, "create_time", sim_jint(auth, "created"));
    set_time(body, "update_time", sim_jint(auth, "updated"));
    return body;
}

json_t *
sim_payments_capture_json(const json_t *cap)
{
    const char *id = sim_jstr(cap, "id");
    const char *currency = sim_jstr(cap, "currency");
    const char *auth_id = sim_jstr(cap, "authorization_id");
    const char *order_id = sim_jstr(cap, "order_id");
    int64_t gross = sim_jint(cap, "amount_minor");
    int64_t fee = sim_jint(cap, "fee_minor");
    bool settled = sim_pay_capture_settled(cap);
    json_t *links = json_array();
    json_array_append_new(links, hateoas("self", "GET", CAPTURE_URL, id, ""));
    if (settled)
        json_array_append_new(
            links, hateoas("refund", "POST", CAPTURE_URL, id, "/refund"));
    /* Up: the authorization, or the order of a payment without one. */
    if (auth_id != NULL)
        json_array_append_new(links,
                              hateoas("up", "GET", AUTH_URL, auth_id, ""));
    else
        json_array_append_new(links,
                              hateoas("up", "GET", ORDER_URL, order_id, ""));
    json_t *related = json_pack("{s:s}", "order_id", order_id);
    if (auth_id != NULL)
        sim_set_str(related, "authorization_id", auth_id);
    json_t *body = json_pack(
        "{s:s, s:s, s:o, s:b, s:o, s:o, s:o, s:{s:o}}", "id", id, "status",
        sim_jstr(cap, "status"), "amount", sim_money_json(gross, currency),
        "final_capture", sim_jbool(cap, "final_capture"), "seller_protection",
        seller_protection(), "links", links, "payee", payee(),
        "supplementary_data", "related_ids", related);
    if (settled)
        json_object_set_new(
            body, "seller_receivable_breakdown",
            json_pack("{s:o, s:o, s:o}", "gross_amount",
                      sim_money_json(gross, currency), "paypal_fee",
                      sim_money_json(fee, currency), "net_amount",
                      sim_money_json(gross - fee, currency)));
    status_details(body, cap);
    sim_pay_copy_optional(body, cap, "invoice_id");
    sim_pay_copy_optional(body, cap, "custom_id");
    set_time(body, "create_time", sim_jint(cap, "created"));
    set_time(body, "update_time", sim_jint(cap, "updated"));
    return body;
}

json_t *
sim_pay_refund_json(const json_t *refund)
{
    const char *id = sim_jstr(refund, "id");
    const char *currency = sim_jstr(refund, "currency");
    int64_t gross = sim_jint(refund, "amount_minor");
    int64_t fee = sim_jint(refund, "fee_minor");
    json_t *links = json_array();
    json_array_append_new(links, hateoas("self", "GET", REFUND_URL, id, ""));
    json_array_append_new(links, hateoas("up", "GET", CAPTURE_URL,
                                         sim_jstr(refund, "capture_id"), ""));
    const char *status = sim_jstr(refund, "status");
    json_t *body = json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", id, "status",
                             status, "amount", sim_money_json(gross, currency),
                             "links", links, "payer", payee());
    /* Money moved only once it completed. */
    if (strcmp(status, "COMPLETED") == 0)
        json_object_set_new(
            body, "seller_payable_breakdown",
            json_pack("{s:o, s:o, s:o, s:o}", "gross_amount",
                      sim_money_json(gross, currency), "paypal_fee",
                      sim_money_json(fee, currency), "net_amount",
                      sim_money_json(gross - fee, currency),
                      "total_refunded_amount",
                      sim_money_json(sim_jint(refund, "total_refunded_minor"),
                                     currency)));
    status_details(body, refund);
    sim_pay_copy_optional(body, refund, "invoice_id");
    sim_pay_copy_optional(body, refund, "custom_id");
    sim_pay_copy_optional(body, refund, "note_to_payer");
    set_time(body, "create_time", sim_jint(refund, "created"));
    set_time(body, "update_time", sim_jint(refund, "updated"));
    return body;
}

/* {id, status, links} for Prefer: return=minimal, from a full body. */
json_t *
sim_pay_minimal(json_t *full)
{
    json_t *body =
        json_pack("{s:O, s:O, s:O}", "id", json_object_get(full, "id"),
                  "status", json_object_get(full, "status"), "links",
                  json_object_get(full, "links"));
    json_decref(full);
    return body;
}

/* Queues PAYMENT.AUTHORIZATION.CREATED for auth. */
static void
authorization_created_event(const json_t *auth)
{
    json_t *resource = sim_payments_authorization_json(auth);
    char summary[160];
    snprintf(summary, sizeof(summary),
             "A payment authorization was created for %s %s",
             sim_jstr(json_object_get(resource, "amount"), "value"),
             sim_jstr(auth, "currency"));
    sim_webhook_queue(g_sim, "PAYMENT.AUTHORIZATION.CREATED", "authorization",
                      summary, resource);
    json_decref(resource);
}

json_t *
sim_payments_new_authorization(json_t *order, const char *parent_id,
                               int64_t amount_minor, const char *status)
{
    struct sim *s = g_sim;
    int64_t now = sim_now(s);
    char id[SIM_ID_LEN + 1];
    sim_random_id(id, SIM_ID_LEN);
    int64_t expires = now + SIM_VALIDITY_SECONDS;
    if (parent_id != NULL)
        expires = sim_jint(json_object_get(sim_authorizations(s), parent_id),
                           "expires");
    int64_t honor_end = now + SIM_HONOR_SECONDS;
    if (honor_end > expires)
        honor_end = expires;
    json_t *unit = json_array_get(json_object_get(order, "purchase_units"), 0);
    json_t *auth = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "id",
        id, "order_id", sim_jstr(order, "id"), "status", status, "currency",
        sim_jstr(order, "currency"), "amount_minor", (json_int_t)amount_minor,
        "captured_minor", (json_int_t)0, "created", (json_int_t)now, "updated",
        (json_int_t)now, "expires", (json_int_t)expires, "honor_end",
        (json_int_t)honor_end, "reauth_count", (json_int_t)0, "expired", 0);
    sim_set_str(auth, "parent_id", parent_id);
    sim_pay_copy_optional(auth, unit, "invoice_id");
    sim_pay_copy_optional(auth, unit, "custom_id");
    json_object_set_new(sim_authorizations(s), id, auth);
    if (strcmp(status, "PENDING") == 0)
        sim_set_str(auth, "status_reason", "PENDING_REVIEW");
    if (strcmp(status, "CREATED") != 0)
        return auth; /* no hold yet, or none: no event, no expiry */
    if (expires < s->next_expiry)
        s->next_expiry = expires;
    authorization_created_event(auth);
    return auth;
}

void
sim_pay_issue(struct sim_response *rs, const char *name,
              const char *description)
{
    sim_reply_error(rs, 422, name, description, NULL, NULL, NULL);
}

/* The original authorization of auth's family. */
json_t *
sim_pay_family_root(json_t *auth)
{
    const char *parent = sim_jstr(auth, "parent_id");
    if (parent == NULL)
        return auth;
    json_t *root = json_object_get(sim_authorizations(g_sim), parent);
    return root != NULL ? root : auth;
}

/* True when any authorization of the family is fully captured (the
 * capture marks the family's root: no scan of every authorization under
 * the lock each request holds). */
bool
sim_pay_family_captured(json_t *root)
{
    return sim_jbool(root, "family_captured");
}

bool
sim_pay_is_expired(json_t *auth)
{
    return sim_jbool(auth, "expired") ||
           sim_now(g_sim) >= sim_jint(auth, "expires");
}

/* Parses an optional money field; answers and returns false if bad. */
bool
sim_pay_optional_money(struct sim_request *rq, struct sim_response *rs,
                       const char *key, bool *present, int64_t *minor,
                       char currency[4])
{
    json_t *amount = json_object_get(rq->json, key);
    *present = amount != NULL;
    if (amount == NULL)
        return true;
    struct sim_money_check c;
    if (sim_money_parse(amount, minor, currency, &c))
        return true;
    char field[64];
    snprintf(field, sizeof(field), "/%s%s", key, c.field_suffix);
    sim_reply_error(rs, c.status, c.issue, c.description, field,
                    sim_jstr(amount, c.field_suffix + 1), "body");
    return false;
}

bool
sim_pay_body_ok(struct sim_request *rq, struct sim_response *rs)
{
    if (rq->body_len > 0 && !json_is_object(rq->json)) {
        sim_reply_error(rs, 400, "MALFORMED_REQUEST_JSON",
                        "The request JSON is not well formed.", NULL, NULL,
                        "body");
        return false;
    }
    return true;
}

bool
sim_pay_string_max(struct sim_request *rq, struct sim_response *rs,
                   const char *key, size_t max)
{
    json_t *v = json_object_get(rq->json, key);
    if (v == NULL)
        return true;
    char field[64];
    snprintf(field, sizeof(field), "/%s", key);
    if (!json_is_string(v) || json_string_length(v) > max ||
        json_string_length(v) == 0) {
        sim_reply_error(rs, 400, "INVALID_STRING_LENGTH",
                        "The value of a field is either too short or too "
                        "long.",
                        field, json_string_value(v), "body");
        return false;
    }
    return true;
}

/* Largest total capture: 115% of the authorization, at most +75.00 USD. */
int64_t
sim_pay_capture_limit(int64_t authorized, const char *currency)
{
    int64_t extra = money_ratio_half_up(authorized, 15, 100);
    if (strcmp(currency, "USD") == 0 && extra > 7500)
        extra = 7500;
    return authorized + extra;
}

static void
add_transaction_pair(const char *seller_id, const char *event_code,
                     int64_t amount, int64_t fee, const char *currency,
                     const json_t *order, const char *invoice_id,
                     const char *custom_id, const char *reference_id)
{
    struct sim *s = g_sim;
    int64_t now = sim_now(s);
    char buyer_id[SIM_ID_LEN + 1];
    sim_random_id(buyer_id, SIM_ID_LEN);
    const char *payer_email = sim_jstr(order, "payer_email");
    const char *payer_id = sim_jstr(order, "payer_id");
    json_t *seller = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s}",
        "transaction_id", seller_id, "side", "seller", "counterpart_id",
        buyer_id, "event_code", event_code, "time", (json_int_t)now, "updated",
        (json_int_t)now, "amount_minor", (json_int_t)amount, "fee_minor",
        (json_int_t)-fee, "currency", currency, "status", "S", "payer_email",
        payer_email != NULL ? payer_email : "", "payer_account_id",
        payer_id != NULL ? payer_id : "");
    sim_set_str(seller, "invoice_id", invoice_id);
    sim_set_str(seller, "custom_field", custom_id);
    sim_set_str(seller, "reference_id", reference_id);
    json_t *buyer = json_deep_copy(seller);
    sim_set_str(buyer, "transaction_id", buyer_id);
    sim_set_str(buyer, "side", "buyer");
    sim_set_str(buyer, "counterpart_id", seller_id);
    sim_set_int(buyer, "amount_minor", -amount);
    sim_set_int(buyer, "fee_minor", 0);
    sim_add_transaction(s, seller);
    sim_add_transaction(s, buyer);
}

/* Queues event_type about cap, with a summary "<what> <value> <currency>". */
void
sim_pay_capture_event(const json_t *cap, const char *event_type,
                      const char *what)
{
    json_t *resource = sim_payments_capture_json(cap);
    char summary[160];
    snprintf(summary, sizeof(summary), "%s %s %s", what,
             sim_jstr(json_object_get(resource, "amount"), "value"),
             sim_jstr(cap, "currency"));
    sim_webhook_queue(g_sim, event_type, "capture", summary, resource);
    json_decref(resource);
}

/* The money of a capture moves (at once, or when a pending one settles):
 * the fee, the authorization's captured amount, count and status, the
 * merchant's transactions and PAYMENT.CAPTURE.COMPLETED. */
void
sim_pay_capture_complete(json_t *cap)
{
    struct sim *s = g_sim;
    int64_t now = sim_now(s);
    const char *currency = sim_jstr(cap, "currency");
    int64_t amount = sim_jint(cap, "amount_minor");
    int64_t fee = sim_fee(s, amount);
    if (fee > amount)
        fee = amount;
    sim_set_str(cap, "status", "COMPLETED");
    json_object_del(cap, "status_reason");
    sim_set_int(cap, "fee_minor", fee);
    sim_set_int(cap, "updated", now);
    json_t *auth = json_object_get(sim_authorizations(s),
                                   sim_jstr(cap, "authorization_id"));
    if (auth != NULL) {
        int64_t captured = sim_jint(auth, "captured_minor") + amount;
        sim_set_int(auth, "captured_minor", captured);
        sim_set_int(auth, "captures", sim_jint(auth, "captures") + 1);
        bool whole = sim_jbool(cap, "final_capture") ||
                     captured >= sim_jint(auth, "amount_minor");
        /* A voided or expired one keeps its status (a pending capture
         * settled after the void). */
        const char *status = sim_jstr(auth, "status");
        if (strcmp(status, "CREATED") == 0 ||
            strcmp(status, "PARTIALLY_CAPTURED") == 0)
            sim_set_str(auth, "status",
                        whole ? "CAPTURED" : "PARTIALLY_CAPTURED");
        if (whole)
            json_object_set_new(sim_pay_family_root(auth), "family_captured",
                                json_true());
        sim_set_int(auth, "updated", now);
    }
    json_t *order = json_object_get(sim_orders(s), sim_jstr(cap, "order_id"));
    add_transaction_pair(sim_jstr(cap, "id"), "T0006", amount, fee, currency,
                         order, sim_jstr(cap, "invoice_id"),
                         sim_jstr(cap, "custom_id"), sim_jstr(cap, "order_id"));
    sim_pay_capture_event(cap, "PAYMENT.CAPTURE.COMPLETED",
                          "Payment completed for");
}

/* Marks the seller row of a transaction id as reversed (V). */
static void
reverse_transaction(const char *transaction_id)
{
    size_t i;
    json_t *row;
    json_array_foreach(sim_transactions(g_sim), i, row)
    {
        if (strcmp(sim_jstr(row, "transaction_id"), transaction_id) == 0) {
            sim_set_str(row, "status", "V");
            sim_set_int(row, "updated", sim_now(g_sim));
        }
    }
}

/* The money of a refund moves (at once, or when a pending one settles):
 * the fee back, the capture's refunded amount and status, the merchant's
 * transactions and PAYMENT.CAPTURE.REFUNDED. */
void
sim_pay_refund_complete(json_t *refund, json_t *cap)
{
    struct sim *s = g_sim;
    int64_t now = sim_now(s);
    const char *currency = sim_jstr(cap, "currency");
    const char *capture_id = sim_jstr(cap, "id");
    int64_t gross = sim_jint(cap, "amount_minor");
    int64_t refunded = sim_jint(cap, "refunded_minor");
    int64_t amount = sim_jint(refund, "amount_minor");
    bool full_refund = refunded + amount == gross;
    /* The fee comes back in proportion; the last refund takes the rest. */
    int64_t fee = sim_jint(cap, "fee_minor");
    int64_t fee_back_before = sim_jint(cap, "refunded_fee_minor");
    int64_t fee_back = full_refund ? fee - fee_back_before
                                   : money_ratio_half_up(amount, fee, gross);
    sim_set_str(refund, "status", "COMPLETED");
    json_object_del(refund, "status_reason");
    sim_set_int(refund, "fee_minor", fee_back);
    sim_set_int(refund, "total_refunded_minor", refunded + amount);
    sim_set_int(refund, "updated", now);
    sim_set_int(cap, "refunded_minor", refunded + amount);
    sim_set_int(cap, "refunded_fee_minor", fee_back_before + fee_back);
    sim_set_str(cap, "status", full_refund ? "REFUNDED" : "PARTIALLY_REFUNDED");
    sim_set_int(cap, "updated", now);
    json_t *order = json_object_get(sim_orders(s), sim_jstr(cap, "order_id"));
    add_transaction_pair(sim_jstr(refund, "id"), "T1107", -amount, -fee_back,
                         currency, order, sim_jstr(cap, "invoice_id"),
                         sim_jstr(cap, "custom_id"), capture_id);
    if (full_refund)
        reverse_transaction(capture_id);
    json_t *resource = sim_pay_refund_json(refund);
    char summary[160];
    snprintf(summary, sizeof(summary), "A %s %s capture payment was refunded",
             sim_jstr(json_object_get(resource, "amount"), "value"), currency);
    sim_webhook_queue(s, "PAYMENT.CAPTURE.REFUNDED", "refund", summary,
                      resource);
    json_decref(resource);
}

/* A pending authorization becomes CREATED (a hold: expiry and
 * PAYMENT.AUTHORIZATION.CREATED) or DENIED (PayPal has no event). */
static const char *
settle_authorization(json_t *auth, const char *status)
{
    struct sim *s = g_sim;
    sim_set_str(auth, "status", status);
    json_object_del(auth, "status_reason");
    sim_set_int(auth, "updated", sim_now(s));
    if (strcmp(status, "CREATED") != 0)
        return NULL;
    int64_t expires = sim_jint(auth, "expires");
    if (expires < s->next_expiry)
        s->next_expiry = expires;
    authorization_created_event(auth);
    return "PAYMENT.AUTHORIZATION.CREATED";
}

/* A pending capture completes, or is refused: DECLINED, DENIED (the
 * capture_status enum has no DENIED: the capture is DECLINED and the event
 * PayPal's PAYMENT.CAPTURE.DENIED) or FAILED (no event of its own: the
 * DECLINED one).  A refused capture leaves the authorization as it was. */
static const char *
settle_capture(json_t *cap, const char *status)
{
    if (strcmp(status, "COMPLETED") == 0) {
        sim_pay_capture_complete(cap);
        return "PAYMENT.CAPTURE.COMPLETED";
    }
    bool denied = strcmp(status, "DENIED") == 0;
    sim_set_str(cap, "status", denied ? "DECLINED" : status);
    json_object_del(cap, "status_reason");
    sim_set_int(cap, "updated", sim_now(g_sim));
    const char *event =
        denied ? "PAYMENT.CAPTURE.DENIED" : "PAYMENT.CAPTURE.DECLINED";
    sim_pay_capture_event(
        cap, event, denied ? "Payment denied for" : "Payment declined for");
    return event;
}

/* A pending refund completes (PAYMENT.CAPTURE.REFUNDED) or fails (no
 * event); either way its amount is no longer held. */
static const char *
settle_refund(json_t *refund, const char *status)
{
    json_t *cap =
        json_object_get(sim_captures(g_sim), sim_jstr(refund, "capture_id"));
    if (cap != NULL)
        sim_set_int(cap, "pending_refund_minor",
                    sim_jint(cap, "pending_refund_minor") -
                        sim_jint(refund, "amount_minor"));
    if (cap != NULL && strcmp(status, "COMPLETED") == 0) {
        sim_pay_refund_complete(refund, cap);
        return "PAYMENT.CAPTURE.REFUNDED";
    }
    sim_set_str(refund, "status", "FAILED");
    json_object_del(refund, "status_reason");
    sim_set_int(refund, "updated", sim_now(g_sim));
    return NULL;
}

const char *
sim_payments_settle(json_t *record, const char *kind, const char *status)
{
    if (strcmp(kind, "authorization") == 0)
        return settle_authorization(record, status);
    if (strcmp(kind, "capture") == 0)
        return settle_capture(record, status);
    return settle_refund(record, status);
}

json_t *
sim_payments_customer_capture(const char *capture_id, int64_t amount_minor,
                              int64_t fee_minor, const char *currency,
                              const char *payer_id, const char *payer_email,
                              int64_t time, const char *note)
{
    struct sim *s = g_sim;
    char order_id[SIM_ID_LEN + 1];
    sim_random_id(order_id, SIM_ID_LEN);
    json_t *unit = json_pack("{s:s, s:o}", "reference_id", "default", "amount",
                             sim_money_json(amount_minor, currency));
    if (note != NULL && strlen(note) <= 127)
        sim_set_str(unit, "description", note);
    json_t *order = json_pack(
        "{s:s, s:s, s:s, s:[o], s:s, s:I, s:I, s:I, s:I, s:s, s:b, s:s, "
        "s:s}",
        "id", order_id, "intent", "CAPTURE", "status", "COMPLETED",
        "purchase_units", unit, "currency", currency, "amount_minor",
        (json_int_t)amount_minor, "created", (json_int_t)time, "updated",
        (json_int_t)time, "expires", (json_int_t)time, "client_id", "",
        "approved", 1, "payer_id", payer_id, "payer_email", payer_email);
    json_object_set_new(sim_orders(s), order_id, order);
    json_t *cap = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:I, s:I}", "id", capture_id,
        "order_id", order_id, "status", "COMPLETED", "currency", currency,
        "amount_minor", (json_int_t)amount_minor, "fee_minor",
        (json_int_t)fee_minor, "refunded_minor", (json_int_t)0, "final_capture",
        1, "created", (json_int_t)time, "updated", (json_int_t)time);
    json_object_set_new(sim_captures(s), capture_id, cap);
    return cap;
}
