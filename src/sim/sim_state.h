/* sim_state.h - paypal-sim's state: options, rules, clock, resources.
 *
 * One process-wide `struct sim` guarded by one mutex (sim->lock).  Every
 * resource (order, authorization, capture, refund, transaction, webhook
 * delivery, idempotency entry) is a JSON object inside sim->state, so that
 * GET /sim/state and the --state snapshot are the state itself.  Handlers
 * run with the lock held unless their route says otherwise. */
#ifndef RMA_SIM_STATE_H
#define RMA_SIM_STATE_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_MAX_CLIENTS 8
#define SIM_MAX_FAULTS 16
#define SIM_HONOR_SECONDS (3 * 86400)
#define SIM_VALIDITY_SECONDS (29 * 86400)
#define SIM_MERCHANT_ID "K7RLVKZ2J6EAU"
#define SIM_MERCHANT_EMAIL "merchant@rma-sim.example"

struct sim_client {
    const char *id;     /* borrowed from argv */
    const char *secret; /* borrowed from argv */
};

/* The rules /sim/config changes (doc/paypal-sim.md). */
struct sim_config {
    char expiry_status[8]; /* "VOIDED" or "EXPIRED" */
    int64_t reauth_limit;
    int64_t fee_percent_bp;
    int64_t fee_fixed_minor;
    int64_t token_ttl_seconds;
    bool decline_after_honor;
    int64_t search_latency_seconds;
    int64_t order_ttl_seconds;
    char link_style[16]; /* "payer-action" or "approve" */
    bool webhook_duplicates;
    int64_t max_captures;
    char auth_error_style[32]; /* "AUTHENTICATION_FAILURE"|"invalid_token" */
};

struct sim_fault {
    char kind[20]; /* 500, 503, 429, timeout, drop, 500_after_effect */
    double rate;   /* used when next == 0 */
    int64_t next;  /* remaining forced occurrences; 0 = use rate */
    char path_prefix[128];
};

/* A PayPal-Mock-Response applied as if the client had sent the header, to
 * the next `next` calls whose path ends with path_suffix (POST only). */
struct sim_mock {
    char issue[64];
    char path_suffix[64];
    int64_t next;
};
#define SIM_MAX_MOCKS 8

/* An outcome rule (/sim/outcomes): the next `next` operations of its kind
 * that would succeed answer 201 with `status` instead (sim_outcomes.c). */
struct sim_outcome {
    char operation[12]; /* "authorize", "capture" or "refund" */
    char status[12];    /* "PENDING", "DENIED", "DECLINED" or "FAILED" */
    int64_t next;       /* remaining; the rule goes at 0 */
};
#define SIM_MAX_OUTCOMES 16

struct sim {
    /* Process lifetime: set from the command line, then read-only. */
    char listen_host[64];
    int listen_port;
    char public_url[256];
    struct sim_client clients[SIM_MAX_CLIENTS];
    int n_clients;
    const char *webhook_url; /* NULL: events are kept, not delivered */
    const char *webhook_id;
    const char *state_file;
    FILE *record; /* --record, appended under record_lock */
    pthread_mutex_t record_lock;

    /* Webhook signing: the test CA and the leaf, made at startup. */
    EVP_PKEY *ca_key;
    X509 *ca_cert;
    EVP_PKEY *sign_key;
    X509 *sign_cert;
    char cert_name[64];
    char *sign_cert_pem; /* owned */
    char *ca_cert_pem;   /* owned */

    /* Everything below is guarded by lock. */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* signalled on shutdown and new webhook events */
    bool stopping;
    /* The latency's sleepers wait apart from lock and wake, so that
     * neither a new webhook event nor the state's users stir them. */
    pthread_mutex_t nap_lock;
    pthread_cond_t nap_end; /* signalled on shutdown */
    bool napping_stops;     /* under nap_lock: shutting down */
    int64_t clock_offset;   /* sim time = real time + offset */
    int64_t latency_ms;
    struct sim_config config;
    struct sim_fault faults[SIM_MAX_FAULTS];
    int n_faults;
    struct sim_mock mocks[SIM_MAX_MOCKS];
    int n_mocks;
    struct sim_outcome outcomes[SIM_MAX_OUTCOMES]; /* oldest first */
    int n_outcomes;
    json_t *state; /* owned; see sim_state_reset for its members */
    /* No live authorization expires before this sim time (a lower bound;
     * 0 after a reset or load): the sweep before every request is skipped
     * until then instead of walking every authorization. */
    int64_t next_expiry;
    /* Every webhook record before this index is final (delivered or
     * failed): the delivery thread starts looking for work here. */
    size_t webhook_scan_from;
    json_t *tokens;        /* owned; access_token -> {client_id, expires} */
    int64_t tokens_issued; /* /v1/oauth2/token answers with a token */
};

extern struct sim *g_sim;

/* The simulator's clock, seconds since the epoch. */
int64_t sim_now(const struct sim *s);
/* Real monotonic milliseconds (webhook retry schedule). */
int64_t sim_mono_ms(void);

void sim_config_defaults(struct sim_config *c);
/* Applies a /sim/config body; false (with msg) on a bad field. */
bool sim_config_apply(struct sim_config *c, json_t *body, const char **msg);
json_t *sim_config_json(const struct sim_config *c);

/* Forgets every resource; sets clock, faults, mocks, outcome rules,
 * latency and rules to defaults. */
void sim_state_reset(struct sim *s);
/* Members of sim->state, borrowed. */
json_t *sim_orders(struct sim *s);
json_t *sim_authorizations(struct sim *s);
json_t *sim_captures(struct sim *s);
json_t *sim_refunds(struct sim *s);
json_t *sim_transactions(struct sim *s);
json_t *sim_webhook_list(struct sim *s);

/* Moves authorizations and orders past their limits to their final states
 * (and queues the webhook events). */
void sim_state_sweep(struct sim *s);

/* Writes the snapshot (--state) atomically; loads it at start. */
void sim_state_save(struct sim *s);
void sim_state_load(struct sim *s);

/* Idempotency by PayPal-Request-Id (NOTES §5).  kind is "orders" (6 h) or
 * "payments" (45 days).  sim_idem_get returns the stored entry (borrowed)
 * {status, body, in_progress} or NULL. */
json_t *sim_idem_get(struct sim *s, const char *key, const char *kind);
void sim_idem_begin(struct sim *s, const char *key, const char *kind);
/* Stores a result (steals nothing; body is copied) or, with status 0,
 * forgets the in-progress mark. */
void sim_idem_finish(struct sim *s, const char *key, int status,
                     const json_t *body);
/* Counts an executed operation for a request id (GET /sim/state). */
void sim_count_execution(struct sim *s, const char *request_id);

/* Adds a transaction row (steals row) for Transaction Search. */
void sim_add_transaction(struct sim *s, json_t *row);

/* Fee for a capture: percent (basis points, half-up) + fixed. */
int64_t sim_fee(const struct sim *s, int64_t gross_minor);

#endif
