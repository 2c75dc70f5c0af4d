/* test_read_cache.c - the read paths' stored documents (0021_read_cache.sql,
 * SPEC §11) are never stale: after random sequences of operations through
 * nginx (the customer's and staff's actions, holds through paypal-sim, the
 * scheduled job, operators' corrections in the tables, refusals and
 * retries), every document served equals one rendered from the tables now,
 * and so does every document stored, for every case.
 *
 * A property test: the seed is printed (RMA_PROPERTY_SEED replays one, its
 * default is fixed); RMA_PROPERTY_STEPS sets the length (default keeps the
 * test under a minute with the sanitizers). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness.h"

#define POOL 6

static uint64_t rng_state;

static unsigned
rnd(unsigned n)
{
    /* xorshift64*: reproducible from the printed seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static char *
sql(bool allow_fail, const char *fmt, ...)
{
    char q[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof(q), fmt, ap);
    va_end(ap);
    char *out = harness_runf(allow_fail, "%s '%s' -XAtq -c \"%s\" 2>&1",
                             harness_env("RMA_TEST_PSQL"),
                             harness_env("RMA_TEST_ADMIN_URL"), q);
    out[strcspn(out, "\n")] = '\0';
    if (getenv("RMA_PROPERTY_VERBOSE") != NULL && strncmp(q, "SELECT", 6) != 0)
        printf("sql %.40s: %s\n", q, out);
    return out;
}

struct world {
    char *agent, *supervisor, *warehouse, *finance;
    char *email, *cookie;
    char *cases[POOL];
    char *status[POOL]; /* as last rendered, or NULL */
    int n;
    char *order;   /* the last PayPal order asked for, or NULL */
    int counts[2]; /* requests answered 2xx, and otherwise */
    unsigned op;   /* the operation under way */
    int by_op[28][2];
};

static char *
token(const char *role)
{
    char *name = harness_unique_email(role);
    char *t = harness_staff_token(role, name);
    free(name);
    return t;
}

static long
call(struct world *w, const char *who, const char *method, const char *number,
     const char *what, const char *body)
{
    char path[256], auth[256];
    const char *const *h;
    if (strcmp(who, "customer") == 0) {
        snprintf(path, sizeof(path), "/api/v1/rmas/%s%s", number, what);
        h = harness_portal_headers(w->cookie, "Content-Type: application/json");
    } else {
        const char *t = strcmp(who, "agent") == 0        ? w->agent
                        : strcmp(who, "supervisor") == 0 ? w->supervisor
                        : strcmp(who, "warehouse") == 0  ? w->warehouse
                                                         : w->finance;
        snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s%s", number, what);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t);
        static const char *sh[3];
        sh[0] = auth;
        sh[1] = "Content-Type: application/json";
        sh[2] = NULL;
        h = sh;
    }
    struct http_result r =
        harness_http(method, path, h, body, body ? strlen(body) : 0);
    long status = r.status;
    cr_assert(status != 0 && status != 500, "%s %s: %ld %s", method, path,
              status, r.body);
    if (strcmp(what, "/preauthorization") == 0 && status == 201) {
        free(w->order);
        w->order =
            strdup(json_string_value(json_object_get(r.json, "order_id")));
    }
    w->counts[status < 300 ? 0 : 1]++;
    w->by_op[w->op][status < 300 ? 0 : 1]++;
    if (getenv("RMA_PROPERTY_VERBOSE") != NULL)
        printf("op %u %s %s: %ld\n", w->op, method, path, status);
    harness_http_free(&r);
    return status;
}

static void
new_case(struct world *w)
{
    static const char *const kinds[] = {"replacement", "refund", "repair"};
    char *number =
        harness_create_case(w->agent, w->email, kinds[rnd(3)], rnd(4) != 0);
    if (w->n < POOL)
        w->cases[w->n++] = number;
    else {
        unsigned i = rnd(POOL);
        free(w->cases[i]);
        free(w->status[i]);
        w->cases[i] = number;
        w->status[i] = NULL;
    }
}

/* The hold: accepted, approved at PayPal, back through the return (or,
 * sometimes, the buyer cancels at PayPal). */
static void
hold_flow(struct world *w, const char *n)
{
    if (call(w, "customer", "POST", n, "/preauthorization",
             "{\"accept_terms\":true,\"terms_version\":\"2026-11\"}") == 201 &&
        w->order != NULL) {
        char p[256];
        bool cancel = rnd(5) == 0;
        if (!cancel) {
            snprintf(p, sizeof(p), "/sim/orders/%s/approve", w->order);
            harness_sim_ok("POST", p, "{}");
        }
        snprintf(p, sizeof(p), "/api/v1/paypal/%s?token=%s&PayerID=X1",
                 cancel ? "cancel" : "return", w->order);
        struct http_result r = harness_http(
            "GET", p, harness_portal_headers(w->cookie, NULL), NULL, 0);
        cr_assert(r.status == 303, "%s: %ld %s", p, r.status, r.body);
        harness_http_free(&r);
    }
}

/* The operations (step's cases) likely to be accepted in a status, so
 * that the walk goes deep; the others are tried too, and refused. */
static const struct {
    const char *status;
    const char *ops; /* operation numbers, as letters from 'a' (0) */
} likely[] = {
    {"draft", "asa"},
    {"pending_review", "z"},
    {"pending_confirm", "bcdnoh"},
    {"rejected", "sh"},
    {"confirmed", "eeeef"},
    {"awaiting_preauth", "gggge"},
    {"awaiting_shipment", "jfy"},
    {"awaiting_return", "iiipqty"},
    {"return_submitted", "i"},
    {"received", "kjjlt"},
    {"refund_due", "rt"},
    {"quote_pending", "m"},
    {"replacement_shipped", "tj"},
    {"repair_shipped", "tj"},
    {"charged", "t"},
    {"capture_failed", "t"},
};

static unsigned
pick(const char *status)
{
    if (status != NULL && rnd(5) != 0)
        for (size_t i = 0; i < sizeof(likely) / sizeof(likely[0]); i++)
            if (strcmp(likely[i].status, status) == 0)
                return (
                    unsigned)(likely[i]
                                  .ops[rnd((unsigned)strlen(likely[i].ops))] -
                              'a');
    return rnd(28);
}

/* One random operation on a random case of the pool. */
static void
step(struct world *w)
{
    if (w->n == 0 || rnd(10) == 0) {
        new_case(w);
        return;
    }
    /* mostly a case that has not ended */
    unsigned c = rnd((unsigned)w->n);
    for (int tries = 0; tries < 4 && w->status[c] != NULL &&
                        (strcmp(w->status[c], "completed") == 0 ||
                         strcmp(w->status[c], "cancelled") == 0 ||
                         strcmp(w->status[c], "expired") == 0);
         tries++)
        c = rnd((unsigned)w->n);
    const char *n = w->cases[c];
    char body[512];
    unsigned k = pick(w->status[c]);
    w->op = k;
    switch (k) {
    case 0: call(w, "agent", "POST", n, "/submit", NULL); break;
    case 1:
    case 2: call(w, "customer", "POST", n, "/agree", NULL); break;
    case 3:
        snprintf(body, sizeof(body), "{\"comment\":\"not this %u\"}", rnd(99));
        call(w, "customer", "POST", n, "/disagree", body);
        break;
    case 4:
        call(w, "customer", "POST", n, "/replacement-method",
             rnd(3) ? "{\"method\":\"advanced\"}"
                    : "{\"method\":\"standard\"}");
        break;
    case 5:
        snprintf(body, sizeof(body),
                 "{\"name\":\"Pat %u\",\"line1\":\"%u Main St\",\"city\":"
                 "\"Springfield\",\"region\":\"IL\",\"postal_code\":\"62701\","
                 "\"country\":\"US\",\"phone\":\"+1 217 555 0100\"}",
                 rnd(99), rnd(999) + 1);
        call(w, "customer", "PUT", n, "/shipping-address", body);
        break;
    case 6: hold_flow(w, n); break;
    case 7:
        snprintf(body, sizeof(body), "{\"reason\":\"duplicate %u\"}", rnd(99));
        call(w, "agent", "POST", n, "/cancel", rnd(6) ? body : "{}");
        break;
    case 8:
        call(w, "warehouse", "POST", n, "/receipt",
             rnd(3) ? "{\"condition\":\"good\",\"serial_number\":"
                      "\"SN-E2E-0001\"}"
                    : "{\"condition\":\"good\",\"serial_number\":"
                      "\"SN-OTHER-9\"}");
        break;
    case 9:
        call(w, "warehouse", "POST", n, "/shipments",
             "{\"carrier\":\"UPS\",\"tracking_number\":"
             "\"1Z999AA10123456784\"}");
        break;
    case 10:
        call(w, "warehouse", "POST", n, "/inspection",
             rnd(2) ? "{\"outcome\":\"as_described\",\"notes\":\"ok\"}"
                    : "{\"outcome\":\"out_of_warranty\",\"notes\":\"water\"}");
        break;
    case 11:
        call(w, "warehouse", "POST", n, "/quote",
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"45.00\"},"
             "\"notes\":\"new board\"}");
        break;
    case 12:
        call(w, "customer", "POST", n, "/quote-decision",
             rnd(2) ? "{\"decision\":\"approve\"}"
                    : "{\"decision\":\"decline\"}");
        break;
    case 13:
        call(w, "agent", "POST", n, "/confirm-on-behalf",
             "{\"reason\":\"by phone\"}");
        break;
    case 14:
        call(w, "supervisor", "POST", n, "/validity-extension",
             "{\"days\":7,\"reason\":\"travelling\"}");
        break;
    case 15: {
        char dl[32];
        harness_iso(time(NULL) + 86400 * (20 + (time_t)rnd(9)), dl);
        snprintf(body, sizeof(body),
                 "{\"deadline\":\"%s\",\"reason\":\"asked\"}", dl);
        call(w, "supervisor", "POST", n, "/deadline-extension", body);
        break;
    }
    case 16:
        call(w, "supervisor", "POST", n,
             rnd(2) ? "/waive-hold" : "/capture-now",
             "{\"reason\":\"decided\"}");
        break;
    case 17:
        call(w, "finance", "POST", n, "/refund-payout",
             "{\"amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},"
             "\"reference\":\"BANK-1\"}");
        break;
    case 18:
        snprintf(body, sizeof(body), "{\"problem\":\"Edited %u.\"}", rnd(999));
        call(w, "agent", "PATCH", n, "", body);
        break;
    case 19: {
        /* the scheduled job, sometimes days later */
        char now[32];
        bool later = rnd(3) == 0;
        harness_iso(time(NULL) + (later ? 86400 * 40 : 0), now);
        free(harness_runf(true, "rmactl run-jobs --now %s 2>&1", now));
        if (later) { /* the job ended the session too */
            free(w->cookie);
            w->cookie = harness_login(w->email);
        }
        break;
    }
    /* Operators' corrections straight in the tables a document is built
     * from (refusals by constraints are fine). */
    case 20:
        w->by_op[k][0]++;
        free(sql(true,
                 "UPDATE customer SET name = 'Test Customer %u'"
                 " WHERE email = '%s'",
                 rnd(99), w->email));
        break;
    case 21:
        w->by_op[k][0]++;
        free(sql(true,
                 "UPDATE product_model SET description = 'Camera rev %u'"
                 " WHERE model = 'CAM-4K-OUT'",
                 rnd(99)));
        break;
    case 22:
        w->by_op[k][0]++;
        free(sql(true,
                 "UPDATE order_item i SET unit_price_minor = %u FROM rma r"
                 " WHERE r.number = '%s' AND i.order_id = r.order_id",
                 12999 + rnd(9), n));
        break;
    case 23:
        w->by_op[k][0]++;
        if (rnd(2))
            free(sql(true,
                     "UPDATE original_order o SET payment_reference = 'REF-%u'"
                     " FROM rma r WHERE r.number = '%s' AND o.id = r.order_id"
                     " AND o.payment_method IS NOT NULL",
                     rnd(99), n));
        else
            free(sql(true,
                     "UPDATE rma_device d SET uid = 'UID-%u' FROM rma r"
                     " WHERE r.number = '%s' AND d.rma_id = r.id",
                     1000 + rnd(99), n));
        break;
    case 24:
        w->by_op[k][0]++;
        /* any live hold of the customer's (capture_attempts is shown to
         * staff) */
        free(sql(true,
                 "UPDATE hold h SET capture_attempts = h.capture_attempts + 1"
                 " FROM rma r JOIN customer c ON c.id = r.customer_id"
                 " WHERE h.rma_id = r.id AND c.email = '%s'"
                 " AND h.status <> 'abandoned'",
                 w->email));
        break;
    case 26:
        /* a reference table: every document (a step changes one table, so
         * that this does not hide another table's missing trigger) */
        w->by_op[k][0]++;
        free(sql(true,
                 "UPDATE product_line_policy SET validity_days ="
                 " validity_days %s 1 WHERE product_line = 'camera'",
                 rnd(2) ? "+" : "-"));
        break;
    case 25:
        if (rnd(3))
            call(w, "supervisor", "POST", n, "/approve", NULL);
        else
            call(w, "supervisor", "POST", n, "/send-back",
                 "{\"reason\":\"check the serial\"}");
        break;
    default:
        w->by_op[k][0]++;
        free(sql(true,
                 "INSERT INTO audit_event (rma_id, actor_kind, actor_name,"
                 " action, detail) SELECT id, 'staff', 'operator', 'note',"
                 " jsonb_build_object('comment', 'note %u') FROM rma"
                 " WHERE number = '%s'",
                 rnd(99), n));
        break;
    }
}

/* Documents stored that differ from the tables now (one snapshot, so
 * exact whatever runs meanwhile): a description of each, or "". */
static char *
stored_stale(void)
{
    return sql(false,
               "SELECT coalesce(string_agg(x, ' '), '') FROM ("
               " SELECT 'customer:' || r.number AS x FROM rma_document d"
               " JOIN rma r ON r.id = d.rma_id WHERE d.customer_doc IS NOT NULL"
               " AND (d.customer_doc::jsonb <> rma_detail_json(r.id, false)"
               "  OR d.makeup_latest_id IS DISTINCT FROM (SELECT max(m.id)"
               "   FROM makeup_claim m WHERE m.rma_id = r.id))"
               " UNION ALL SELECT 'staff:' || r.number FROM rma_document d"
               " JOIN rma r ON r.id = d.rma_id WHERE d.staff_doc IS NOT NULL"
               " AND d.staff_doc::jsonb <> rma_detail_json(r.id, true)"
               "  || jsonb_build_object('events', rma_events_json(r.id, true))"
               /* the case's columns stored with a document, its list item */
               " UNION ALL SELECT 'columns:' || r.number FROM rma_document d"
               " JOIN rma r ON r.id = d.rma_id"
               " WHERE coalesce(d.customer_doc, d.staff_doc) IS NOT NULL"
               " AND (d.number, d.customer_id, d.status, d.kind,"
               "  d.replacement_method, d.makeup_due_minor) IS DISTINCT FROM"
               " (r.number, r.customer_id, r.status, r.kind,"
               "  r.replacement_method, r.makeup_due_minor)"
               " UNION ALL SELECT 'list:' || r.number FROM rma_document d"
               " JOIN rma r ON r.id = d.rma_id WHERE d.list_item IS NOT NULL"
               " AND d.list_item::jsonb <> rma_list_item(r.id)"
               " UNION ALL SELECT 'queue:' || r.number FROM rma_document d"
               " JOIN rma r ON r.id = d.rma_id WHERE d.queue_item IS NOT NULL"
               " AND (d.queue_item::jsonb <> rma_queue_item(r.id)"
               "  OR d.queue_since IS DISTINCT FROM rma_status_since(r.id))"
               ") s");
}

/* What each served document must equal, rendered now: {number: {status,
 * customer, staff}, "": the customer's list}. */
static json_t *
rendered(struct world *w)
{
    char in[POOL * 24 + 8] = "''";
    for (int i = 0; i < w->n; i++) {
        size_t l = strlen(in);
        snprintf(in + l, sizeof(in) - l, ",'%s'", w->cases[i]);
    }
    char *text = sql(
        false,
        "SELECT jsonb_build_object('', jsonb_build_object('rmas',"
        " (SELECT rma_list_json(c.id) FROM customer c WHERE c.email = '%s')))"
        " || coalesce(jsonb_object_agg(r.number, jsonb_build_object("
        " 'status', r.status, 'customer', rma_detail_json(r.id, false),"
        " 'staff', rma_detail_json(r.id, true) || jsonb_build_object("
        " 'events', rma_events_json(r.id, true)))), '{}')"
        " FROM rma r WHERE r.number IN (%s)",
        w->email, in);
    json_t *j = json_loads(text, 0, NULL);
    cr_assert_not_null(j, "%s", text);
    free(text);
    return j;
}

/* The answer of GET path, without what C adds per request. */
static json_t *
served(const char *path, const char *const *headers, long *status)
{
    struct http_result r = harness_http("GET", path, headers, NULL, 0);
    *status = r.status;
    json_t *j = r.json != NULL ? json_incref(r.json) : NULL;
    harness_http_free(&r);
    if (json_is_object(j))
        for (const char *const *k =
                 (const char *const[]){"actions", "upload_limits",
                                       "preauthorization", NULL};
             *k != NULL; k++)
            json_object_del(j, *k);
    return j;
}

/* Whether the world's cases in every case queue are served as rendered
 * now (rma_queue_item; the age, the reading's, aside); *why says which
 * were not. */
static bool
queues_fresh(struct world *w, char *why, size_t n)
{
    const struct {
        const char *name, *token;
    } queues[] = {
        {"drafts", w->agent},
        {"sent_back", w->agent},
        {"disagreed", w->agent},
        {"pending_review", w->supervisor},
        {"hold_decisions", w->supervisor},
        {"extensions", w->supervisor},
        {"awaiting_shipment", w->warehouse},
        {"returns_on_the_way", w->warehouse},
        {"to_inspect", w->warehouse},
        {"refunds_due", w->finance},
    };
    for (size_t q = 0; q < sizeof(queues) / sizeof(queues[0]); q++) {
        char auth[256], path[128];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
                 queues[q].token);
        snprintf(path, sizeof(path), "/api/v1/staff/queues/%s?limit=500",
                 queues[q].name);
        struct http_result r =
            harness_http("GET", path, (const char *[]){auth, NULL}, NULL, 0);
        json_t *items = json_object_get(r.json, "items");
        bool ok = r.status == 200 && json_is_array(items);
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item)
        {
            const char *number =
                json_string_value(json_object_get(item, "number"));
            bool ours = false;
            for (int c = 0; number != NULL && c < w->n; c++)
                ours = ours || strcmp(number, w->cases[c]) == 0;
            if (!ok || !ours)
                continue;
            ok = json_integer_value(json_object_get(item, "age_seconds")) >= 0;
            json_object_del(item, "age_seconds");
            char *text = sql(false,
                             "SELECT rma_queue_item(id) FROM rma"
                             " WHERE number = '%s'",
                             number);
            json_t *want = json_loads(text, 0, NULL);
            ok = ok && json_equal(item, want);
            json_decref(want);
            free(text);
            if (!ok)
                snprintf(why, n, "queue %s, %s", queues[q].name, number);
        }
        if (r.status != 200 || !json_is_array(items))
            snprintf(why, n, "queue %s (%ld)", queues[q].name, r.status);
        harness_http_free(&r);
        if (!ok)
            return false;
    }
    return true;
}

/* Whether every served document equals its rendering; *why says which
 * did not. */
static bool
served_fresh(struct world *w, char *why, size_t n)
{
    json_t *want = rendered(w);
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", w->agent);
    const char *sh[] = {auth, NULL};
    bool ok = true;
    long status;
    json_t *list = served("/api/v1/rmas",
                          harness_portal_headers(w->cookie, NULL), &status);
    if (status != 200 || !json_equal(list, json_object_get(want, ""))) {
        snprintf(why, n, "the list (%ld)", status);
        ok = false;
    }
    json_decref(list);
    for (int i = 0; ok && i < w->n; i++) {
        char path[128];
        json_t *c = json_object_get(want, w->cases[i]);
        const char *st = json_string_value(json_object_get(c, "status"));
        free(w->status[i]);
        w->status[i] = st != NULL ? strdup(st) : NULL;
        bool visible = st != NULL && strcmp(st, "draft") != 0 &&
                       strcmp(st, "pending_review") != 0;
        snprintf(path, sizeof(path), "/api/v1/rmas/%s", w->cases[i]);
        json_t *doc =
            served(path, harness_portal_headers(w->cookie, NULL), &status);
        if (visible ? status != 200 ||
                          !json_equal(doc, json_object_get(c, "customer"))
                    : status != 404) {
            snprintf(why, n, "customer %s (%ld)", w->cases[i], status);
            ok = false;
        }
        json_decref(doc);
        snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", w->cases[i]);
        doc = served(path, sh, &status);
        if (ok &&
            (status != 200 || !json_equal(doc, json_object_get(c, "staff")))) {
            snprintf(why, n, "staff %s (%ld)", w->cases[i], status);
            ok = false;
        }
        json_decref(doc);
    }
    json_decref(want);
    return ok && queues_fresh(w, why, n);
}

/* The reference tables the steps change, as they were. */
static char *saved_description, *saved_validity;

static void
restore(void)
{
    if (saved_description != NULL)
        free(sql(true,
                 "UPDATE product_model SET description = '%s'"
                 " WHERE model = 'CAM-4K-OUT'",
                 saved_description));
    if (saved_validity != NULL)
        free(sql(true,
                 "UPDATE product_line_policy SET validity_days = %s"
                 " WHERE product_line = 'camera'",
                 saved_validity));
}

Test(read_cache, served_documents_equal_a_fresh_rendering_after_any_operations,
     .fini = restore, .timeout = 300)
{
    const char *s = getenv("RMA_PROPERTY_SEED");
    const char *k = getenv("RMA_PROPERTY_STEPS");
    uint64_t seed = s != NULL ? strtoull(s, NULL, 10) : 18;
    int steps = k != NULL ? (int)strtol(k, NULL, 10) : 250;
    printf("read_cache: seed %llu, %d steps (RMA_PROPERTY_SEED,"
           " RMA_PROPERTY_STEPS)\n",
           (unsigned long long)seed, steps);
    fflush(stdout);
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;

    saved_description = sql(false, "SELECT description FROM product_model"
                                   " WHERE model = 'CAM-4K-OUT'");
    saved_validity = sql(false, "SELECT validity_days FROM product_line_policy"
                                " WHERE product_line = 'camera'");
    cr_assert(strchr(saved_description, '\'') == NULL);
    harness_sim_lock();
    harness_sim_ok("DELETE", "/sim/faults", NULL);
    struct world w;
    memset(&w, 0, sizeof(w));
    w.agent = token("agent");
    w.supervisor = token("supervisor");
    w.warehouse = token("warehouse");
    w.finance = token("finance");
    w.email = harness_unique_email("cache");
    new_case(&w);
    w.cookie = harness_login(w.email);
    /* and one with a hold, so that the walk starts with one */
    char *held = harness_create_case(w.agent, w.email, "replacement", true);
    call(&w, "customer", "POST", held, "/agree", NULL);
    call(&w, "customer", "POST", held, "/replacement-method",
         "{\"method\":\"advanced\"}");
    hold_flow(&w, held);
    w.cases[w.n++] = held;

    for (int i = 0; i < steps; i++) {
        step(&w);
        /* A webhook or the mail sender may still be moving a case: what
         * is served must become the rendering within a moment, and what
         * is stored must equal it at once. */
        char why[256] = "";
        bool ok = false;
        for (int tries = 0; !ok && tries < 20; tries++) {
            if (tries > 0)
                nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
            ok = served_fresh(&w, why, sizeof(why));
        }
        cr_assert(ok, "seed %llu step %d: served %s differs from the tables",
                  (unsigned long long)seed, i, why);
        char *stale = stored_stale();
        cr_assert_str_empty(stale, "seed %llu step %d: stored stale: %s",
                            (unsigned long long)seed, i, stale);
        free(stale);
    }
    printf("read_cache: %d steps, %d requests answered 2xx, %d refused;"
           " by operation (2xx/refused):",
           steps, w.counts[0], w.counts[1]);
    for (int i = 0; i < 28; i++)
        if (w.by_op[i][0] + w.by_op[i][1] > 0)
            printf(" %c %d/%d", 'a' + i, w.by_op[i][0], w.by_op[i][1]);
    printf("\n");
    int kinds = 0;
    for (int i = 0; i < 28; i++)
        kinds += w.by_op[i][0] > 0;
    cr_assert_geq(kinds, steps >= 200 ? 14 : 1,
                  "too few kinds of operation succeeded");
    for (int i = 0; i < w.n; i++) {
        free(w.cases[i]);
        free(w.status[i]);
    }
    free(w.order);
    free(w.agent);
    free(w.supervisor);
    free(w.warehouse);
    free(w.finance);
    free(w.email);
    free(w.cookie);
    harness_sim_ok("DELETE", "/sim/faults", NULL);
}
