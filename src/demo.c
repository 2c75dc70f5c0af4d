/* demo.c - `rmactl demo seed`: the demo's customers and their solutions in
 * several states (SPEC §3), made through the same database functions and
 * transitions as the API, each with its audit events. */
#include "rma/demo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rma/auth.h"
#include "rma/rma.h"
#include "rma/staff_account.h"

struct demo_case {
    const char *email, *name, *order, *kind, *model, *serial, *uid, *price,
        *problem;
    /* The events applied after creation, in order. */
    enum rma_event events[4];
    size_t nevents;
};

static const struct demo_case cases[] = {
    {"demo@example.com",
     "Dana Demo",
     "WEB-100231",
     "replacement",
     "CAM-4K-OUT",
     "C4K2309A1177",
     NULL,
     "129.99",
     "The camera drops off Wi-Fi every few minutes and the night vision "
     "stays dark.",
     {EV_SUBMIT},
     1},
    {"demo@example.com",
     "Dana Demo",
     "WEB-100232",
     "refund",
     "DB-PRO",
     NULL,
     "DBP-77A1-0932",
     "89.99",
     "The doorbell chime does not ring; reset did not help.",
     {EV_SUBMIT},
     1},
    {"demo@example.com",
     "Dana Demo",
     "WEB-100233",
     "replacement",
     "NVR-8CH",
     "NVR8-5521-0042",
     NULL,
     "249.00",
     "The NVR reboots every night and loses recordings.",
     {EV_SUBMIT, EV_DISAGREE},
     2},
    {"demo@example.com",
     "Dana Demo",
     "WEB-100234",
     "replacement",
     "CAM-2K-IN",
     "C2K1100B0071",
     NULL,
     "59.99",
     "The indoor camera lens is cracked.",
     {EV_SUBMIT, EV_AGREE},
     2},
    {"other@example.com",
     "Olive Other",
     "WEB-200871",
     "replacement",
     "KIT-NVR-4CAM",
     "KIT4-0099-1200",
     NULL,
     "399.00",
     "Two cameras of the kit show no picture.",
     {EV_SUBMIT},
     1},
    /* For the console's queues: one waits for a supervisor, one is the
     * agent's draft. */
    {"other@example.com",
     "Olive Other",
     "WEB-200872",
     "replacement",
     "DB-PRO",
     "DBP-1200-7781",
     NULL,
     "149.00",
     "The doorbell's button is stuck and the camera fogs up.",
     {EV_SUBMIT_REVIEWED},
     1},
    {"other@example.com",
     "Olive Other",
     "WEB-200873",
     "replacement",
     "CAM-2K-IN",
     "C2K1100B0444",
     NULL,
     "59.99",
     "The indoor camera's microphone does not work.",
     {0},
     0},
};

/* The console's people (SPEC §15): one a role, signed in by code. */
static const struct {
    const char *email, *name;
    enum staff_role role;
} people[] = {
    {"agent@example.com", "Avery Agent", ROLE_AGENT},
    {"supervisor@example.com", "Sam Supervisor", ROLE_SUPERVISOR},
    {"warehouse@example.com", "Wes Warehouse", ROLE_WAREHOUSE},
    {"finance@example.com", "Fran Finance", ROLE_FINANCE},
    {"admin@example.com", "Ada Admin", ROLE_ADMIN},
};

/* Adds the five accounts that do not exist yet (a person may have been
 * deactivated and added again by hand: left as it is). */
static enum rma_err
seed_people(struct db *db, const char *now, FILE *out)
{
    for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
        struct staff_account a;
        enum rma_err err = db_staff_account_by_email(db, people[i].email, &a);
        if (err == RMA_OK)
            continue;
        if (err != RMA_ENOTFOUND)
            return err;
        int64_t id;
        err = db_staff_account_create(db, people[i].email, people[i].name,
                                      people[i].role, "demo", now, &id);
        if (err != RMA_OK)
            return err;
        fprintf(out, "demo seed: staff %s (%s)\n", people[i].email,
                staff_role_name(people[i].role));
    }
    return RMA_OK;
}

static char *
case_doc(const struct demo_case *c, const char *purchase_date)
{
    json_t *device = json_pack("{s:s}", "model", c->model);
    if (c->serial != NULL)
        json_object_set_new(device, "serial_number", json_string(c->serial));
    if (c->uid != NULL)
        json_object_set_new(device, "uid", json_string(c->uid));
    json_t *money =
        json_pack("{s:s, s:s}", "currency_code", "USD", "value", c->price);
    json_t *doc = json_pack(
        "{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, s:O}]}, "
        "s:s, s:s, s:[o]}",
        "customer", "email", c->email, "name", c->name, "order", "order_number",
        c->order, "sales_channel", "web", "shipping_country", "US", "currency",
        "USD", "purchase_date", purchase_date, "items", "model", c->model,
        "quantity", 1, "unit_price", money, "kind", c->kind, "problem",
        c->problem, "devices", device);
    json_object_set_new(doc,
                        strcmp(c->kind, "refund") == 0 ? "refund_amount"
                                                       : "replacement_value",
                        money);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

static enum rma_err
seed_one(struct db *db, const struct demo_case *c, const char *now,
         const char *purchase_date, char *number, size_t n)
{
    /* The demo's agent is a person of the console (people below), so that
     * their queues and their mail work from the start. */
    struct rma_actor_info agent = {ACTOR_AGENT, "agent@example.com", "agent",
                                   false};
    struct rma_actor_info customer = {ACTOR_CUSTOMER, c->email, NULL, false};
    char *doc = case_doc(c, purchase_date);
    int64_t id = 0;
    enum rma_err err = db_begin(db);
    if (err == RMA_OK)
        err = db_rma_create(db, doc, agent.name, now, &id);
    free(doc);
    if (err == RMA_OK)
        err = db_rma_snapshot(db, id, agent.name, now);
    if (err == RMA_OK)
        err = db_rma_audit(db, id, &agent, "create", NULL, now);
    struct rma_ref r;
    if (err == RMA_OK)
        err = db_rma_find_id(db, id, &r);
    for (size_t i = 0; err == RMA_OK && i < c->nevents; i++) {
        enum rma_event ev = c->events[i];
        const struct rma_actor_info *who =
            ev == EV_AGREE || ev == EV_DISAGREE ? &customer : &agent;
        int to = rma_state_next(r.status, ev, r.kind, who->kind);
        if (to < 0) {
            err = RMA_EINTERNAL;
            break;
        }
        const char *detail = NULL;
        if (ev == EV_DISAGREE) {
            detail = "{\"comment\":\"I would rather have a refund than a "
                     "replacement.\"}";
            err = db_rma_comment(db, id, "customer", c->email,
                                 "I would rather have a refund than a "
                                 "replacement.",
                                 now);
        }
        if (err == RMA_OK)
            err = db_rma_transition(db, &r, (enum rma_status)to, ev, who,
                                    detail, now);
        r.status = (enum rma_status)to;
    }
    if (err == RMA_OK)
        err = db_commit(db);
    else
        db_rollback(db);
    if (err == RMA_OK)
        snprintf(number, n, "%s (%s, %s)", r.number, c->kind,
                 rma_status_name(r.status));
    return err;
}

enum rma_err
demo_seed(struct db *db, FILE *out)
{
    time_t t = time(NULL);
    struct tm tm;
    char now[32], purchase[16];
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    enum rma_err err = seed_people(db, now, out);
    if (err != RMA_OK)
        return err;
    int64_t existing;
    err = db_customer_by_email(db, "demo@example.com", &existing);
    if (err == RMA_OK) {
        fprintf(out, "demo seed: demo@example.com exists already; nothing "
                     "changed\n");
        return RMA_OK;
    }
    if (err != RMA_ENOTFOUND)
        return err;
    time_t bought = t - 120 * 24 * 3600; /* in warranty, past 30 days */
    gmtime_r(&bought, &tm);
    strftime(purchase, sizeof(purchase), "%Y-%m-%d", &tm);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[96];
        err = seed_one(db, &cases[i], now, purchase, what, sizeof(what));
        if (err != RMA_OK)
            return err;
        fprintf(out, "demo seed: %s %s\n", cases[i].email, what);
    }
    return RMA_OK;
}
