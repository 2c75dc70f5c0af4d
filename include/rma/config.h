/* config.h - the service's configuration: one key = value file, every key
 * overridable by RMA_<KEY> in the environment, secrets also from <key>_file.
 *
 * config_load never stops at the first problem: it collects them all so that
 * `rmactl config check` can name each one.  The strings in struct rma_config
 * are owned by it and freed by config_free. */
#ifndef RMA_CONFIG_H
#define RMA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_REMINDERS 8
#define CONFIG_MAX_PROBLEMS 64

enum review_policy { REVIEW_ALWAYS, REVIEW_NEVER, REVIEW_THRESHOLD };

struct rma_config {
    char *database_url;
    char *admin_database_url;    /* defaults to database_url */
    char *export_database_url;   /* defaults to database_url */
    long export_max_lag_seconds; /* wait for the replica at most this */
    char *migrations_dir;
    char *public_base_url;
    char *makeup_payee;       /* who make-up payments go to (the portal) */
    char *makeup_invoice_url; /* where the customer gets an invoice, or NULL */
    char *paypal_base_url;
    char *paypal_client_id;
    char *paypal_client_secret;
    char *paypal_webhook_id;
    char *paypal_ca_file;
    char *smtp_url;
    char *smtp_user;
    char *smtp_password;
    char *mail_from;
    char *mail_spool_dir;
    long mail_lease_seconds; /* a claimed message is another's after this */
    char *upload_dir;
    char *secret_pepper;
    char *log_level;
    char *supervisor_review; /* as written */
    char *reminder_days;     /* as written */
    long return_window_days;
    long max_body_bytes;
    long session_idle_minutes;
    long session_absolute_hours;
    long staff_session_idle_minutes; /* the console's sessions */
    long staff_session_absolute_hours;
    long staff_digest_hour;    /* UTC hour of the staff digest; -1: none */
    long rate_codes_per_email; /* sign-in codes per 15 minutes */
    long rate_codes_per_address;
    long rate_sessions_per_address; /* sign-in attempts per 15 minutes */
    bool test_mode;  /* plain-HTTP PayPal (the simulator); loopback only */
    bool test_clock; /* X-Rma-Test-Now moves the clock; loopback only */
    bool capture_before_expiry;  /* stricter capture policy (SPEC §5.3.6) */
    long capture_max_attempts;   /* declined captures tried this often */
    long job_settle_connections; /* run-jobs: settling threads, 0-4 */
    long capture_retry_hours;    /* between declined capture attempts */
    long paypal_timeout_ms;      /* per HTTP attempt */
    long paypal_connect_timeout_ms;
    long paypal_max_attempts; /* per call, on network errors, 429 and 5xx */
    char *paypal_request_id_prefix; /* namespace of PayPal-Request-Ids */
    char *paypal_webhook_ca_file;   /* trust this CA for webhook certs */
    char *paypal_cert_hosts;        /* hosts webhook certs may come from */

    /* Derived from the strings above by config_load. */
    enum review_policy review_policy;
    long review_threshold_minor; /* in minor units of the case's currency */
    int reminders[CONFIG_MAX_REMINDERS];
    size_t n_reminders;
};

struct config_problems {
    char *msg[CONFIG_MAX_PROBLEMS]; /* owned; "key: what is wrong" */
    size_t n;
};

/* Loads path (may be NULL: environment only) into cfg.  Returns the number of
 * problems; each is described in problems (which the caller frees with
 * config_problems_free).  cfg is usable only when 0 is returned. */
size_t config_load(const char *path, struct rma_config *cfg,
                   struct config_problems *problems);
void config_free(struct rma_config *cfg);
void config_problems_free(struct config_problems *p);

/* The path named by --config or, failing that, RMA_CONFIG.  Borrowed. */
const char *config_default_path(void);

#endif
