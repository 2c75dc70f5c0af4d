/* config.c - configuration: defaults, the file, RMA_<KEY>, <key>_file. */
#include "rma/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rma/buf.h"
#include "rma/log.h"
#include "rma/money.h"

enum key_type { KEY_STR, KEY_LONG, KEY_BOOL };

struct key {
    const char *name;
    enum key_type type;
    size_t offset;
    const char *def; /* default as text; NULL for none */
    bool secret;     /* may come from <key>_file; never printed */
    long min, max;   /* for KEY_LONG */
};

#define S(field) KEY_STR, offsetof(struct rma_config, field)
#define L(field) KEY_LONG, offsetof(struct rma_config, field)
#define B(field) KEY_BOOL, offsetof(struct rma_config, field)

/* Every key the service knows, declared once. */
static const struct key keys[] = {
    {"database_url", S(database_url), NULL, false, 0, 0},
    {"admin_database_url", S(admin_database_url), NULL, false, 0, 0},
    {"export_database_url", S(export_database_url), NULL, false, 0, 0},
    {"export_max_lag_seconds", L(export_max_lag_seconds), "10", false, 0, 3600},
    {"migrations_dir", S(migrations_dir), RMA_MIGRATIONS_DIR, false, 0, 0},
    {"public_base_url", S(public_base_url), NULL, false, 0, 0},
    {"makeup_payee", S(makeup_payee), NULL, false, 0, 0},
    {"makeup_invoice_url", S(makeup_invoice_url), NULL, false, 0, 0},
    {"paypal_base_url", S(paypal_base_url), NULL, false, 0, 0},
    {"paypal_client_id", S(paypal_client_id), NULL, false, 0, 0},
    {"paypal_client_secret", S(paypal_client_secret), NULL, true, 0, 0},
    {"paypal_webhook_id", S(paypal_webhook_id), NULL, true, 0, 0},
    {"paypal_ca_file", S(paypal_ca_file), NULL, false, 0, 0},
    {"smtp_url", S(smtp_url), NULL, false, 0, 0},
    {"smtp_user", S(smtp_user), NULL, false, 0, 0},
    {"smtp_password", S(smtp_password), NULL, true, 0, 0},
    {"mail_from", S(mail_from), NULL, false, 0, 0},
    {"mail_spool_dir", S(mail_spool_dir), NULL, false, 0, 0},
    {"mail_lease_seconds", L(mail_lease_seconds), "300", false, 2, 3600},
    {"upload_dir", S(upload_dir), NULL, false, 0, 0},
    {"secret_pepper", S(secret_pepper), NULL, true, 0, 0},
    {"log_level", S(log_level), "info", false, 0, 0},
    {"supervisor_review", S(supervisor_review), "always", false, 0, 0},
    {"reminder_days", S(reminder_days), "7,2", false, 0, 0},
    {"return_window_days", L(return_window_days), "25", false, 1, 27},
    {"max_body_bytes", L(max_body_bytes), "65536", false, 1024, 1048576},
    {"session_idle_minutes", L(session_idle_minutes), "30", false, 1, 1440},
    {"session_absolute_hours", L(session_absolute_hours), "12", false, 1, 720},
    {"staff_session_idle_minutes", L(staff_session_idle_minutes), "15", false,
     1, 480},
    {"staff_session_absolute_hours", L(staff_session_absolute_hours), "10",
     false, 1, 24},
    {"staff_digest_hour", L(staff_digest_hour), "7", false, -1, 23},
    {"rate_limit_codes_per_email", L(rate_codes_per_email), "5", false, 1,
     100000},
    {"rate_limit_codes_per_address", L(rate_codes_per_address), "30", false, 1,
     100000},
    {"rate_limit_sessions_per_address", L(rate_sessions_per_address), "30",
     false, 1, 100000},
    {"test_mode", B(test_mode), "false", false, 0, 0},
    {"test_clock", B(test_clock), "false", false, 0, 0},
    {"capture_before_expiry", B(capture_before_expiry), "false", false, 0, 0},
    {"capture_max_attempts", L(capture_max_attempts), "3", false, 1, 10},
    {"capture_retry_hours", L(capture_retry_hours), "24", false, 1, 72},
    {"job_settle_connections", L(job_settle_connections), "2", false, 0, 4},
    {"paypal_timeout_ms", L(paypal_timeout_ms), "15000", false, 100, 120000},
    {"paypal_connect_timeout_ms", L(paypal_connect_timeout_ms), "3000", false,
     50, 60000},
    {"paypal_max_attempts", L(paypal_max_attempts), "4", false, 1, 10},
    {"paypal_request_id_prefix", S(paypal_request_id_prefix), "rma", false, 0,
     0},
    {"paypal_webhook_ca_file", S(paypal_webhook_ca_file), NULL, false, 0, 0},
    {"paypal_cert_hosts", S(paypal_cert_hosts), NULL, false, 0, 0},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* PayPal authorizations are valid 29 days; the return deadline must leave at
 * least two of them for the capture (SPEC §5.3.3). */
#define AUTH_VALIDITY_DAYS 29
#define DEADLINE_MARGIN_DAYS 2
/* The shortest mail lease with SMTP: above its 60-second timeout. */
#define MAIL_SMTP_LEASE_MIN 90

static void problem(struct config_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct config_problems *p, const char *fmt, ...)
{
    if (p->n >= CONFIG_MAX_PROBLEMS)
        return;
    struct buf b;
    buf_init(&b, 1024);
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    buf_puts(&b, tmp);
    p->msg[p->n++] = buf_steal(&b);
}

static char **
str_slot(struct rma_config *cfg, const struct key *k)
{
    return (char **)((char *)cfg + k->offset);
}

static const struct key *
find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int
set_value(struct rma_config *cfg, const struct key *k, const char *value,
          const char *origin, struct config_problems *p)
{
    switch (k->type) {
    case KEY_STR: {
        char **slot = str_slot(cfg, k);
        free(*slot);
        *slot = strdup(value);
        return 0;
    }
    case KEY_LONG: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0') {
            problem(p, "%s: not a whole number (from %s)", k->name, origin);
            return -1;
        }
        if (v < k->min || v > k->max) {
            problem(p, "%s: %ld is outside %ld..%ld (from %s)", k->name, v,
                    k->min, k->max, origin);
            return -1;
        }
        *(long *)((char *)cfg + k->offset) = v;
        return 0;
    }
    case KEY_BOOL: {
        bool v;
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
            strcmp(value, "1") == 0 || strcmp(value, "on") == 0)
            v = true;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
                 strcmp(value, "0") == 0 || strcmp(value, "off") == 0)
            v = false;
        else {
            problem(p, "%s: expected true or false (from %s)", k->name, origin);
            return -1;
        }
        *(bool *)((char *)cfg + k->offset) = v;
        return 0;
    }
    }
    return -1;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Reads a secret file: its content less one trailing newline. Caller owns. */
static char *
read_secret_file(const char *path, const char *key, struct config_problems *p)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        problem(p, "%s_file: cannot read %s: %s", key, path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b, 65536);
    char chunk[4096];
    size_t n;
    enum rma_err err = RMA_OK;
    while (err == RMA_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        err = buf_append(&b, chunk, n);
    fclose(f);
    if (err != RMA_OK) {
        problem(p, "%s_file: %s is larger than 64 KiB", key, path);
        buf_free(&b);
        return NULL;
    }
    while (b.len > 0 &&
           (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = '\0';
    return buf_steal(&b);
}

static void
apply_secret_file(struct rma_config *cfg, const struct key *k, const char *path,
                  struct config_problems *p)
{
    char *secret = read_secret_file(path, k->name, p);
    if (secret != NULL) {
        char **slot = str_slot(cfg, k);
        free(*slot);
        *slot = secret;
    }
}

static void
load_file(const char *path, struct rma_config *cfg, struct config_problems *p)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        problem(p, "config file: cannot open %s: %s", path, strerror(errno));
        return;
    }
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            problem(p, "%s:%d: line longer than 4095 bytes", path, lineno);
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            problem(p, "%s:%d: expected key = value", path, lineno);
            continue;
        }
        *eq = '\0';
        char *name = trim(s);
        char *value = trim(eq + 1);
        size_t vn = strlen(value);
        if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
            value[vn - 1] = '\0';
            value++;
        }
        char origin[300];
        snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
        const struct key *k = find_key(name);
        if (k != NULL) {
            set_value(cfg, k, value, origin, p);
            continue;
        }
        size_t nn = strlen(name);
        if (nn > 5 && strcmp(name + nn - 5, "_file") == 0) {
            char base[128];
            snprintf(base, sizeof(base), "%.*s", (int)(nn - 5), name);
            k = find_key(base);
            if (k != NULL && k->secret) {
                apply_secret_file(cfg, k, value, p);
                continue;
            }
        }
        problem(p, "%s:%d: unknown key '%s'", path, lineno, name);
    }
    fclose(f);
}

static void
env_name(char *out, size_t n, const char *key, const char *suffix)
{
    size_t i = 0;
    i += (size_t)snprintf(out, n, "RMA_");
    for (const char *c = key; *c && i + 1 < n; c++)
        out[i++] = (char)toupper((unsigned char)*c);
    out[i] = '\0';
    if (suffix != NULL)
        snprintf(out + i, n - i, "%s", suffix);
}

static void
load_env(struct rma_config *cfg, struct config_problems *p)
{
    char name[160];
    for (size_t i = 0; i < NKEYS; i++) {
        const struct key *k = &keys[i];
        env_name(name, sizeof(name), k->name, NULL);
        const char *v = getenv(name);
        if (v != NULL)
            set_value(cfg, k, v, name, p);
        if (k->secret) {
            env_name(name, sizeof(name), k->name, "_FILE");
            v = getenv(name);
            if (v != NULL)
                apply_secret_file(cfg, k, v, p);
        }
    }
}

static bool
empty(const char *s)
{
    return s == NULL || *s == '\0';
}

static bool
is_http_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* Whether url's host is a loopback address: 127.0.0.0/8, ::1 or localhost
 * (no user information, an optional numeric port). */
static bool
loopback_url(const char *url)
{
    const char *p = strstr(url, "://");
    if (p == NULL)
        return false;
    p += 3;
    size_t n = strcspn(p, "/?#");
    char authority[256];
    if (n == 0 || n >= sizeof(authority))
        return false;
    memcpy(authority, p, n);
    authority[n] = '\0';
    if (strchr(authority, '@') != NULL)
        return false;
    char *host = authority, *port;
    if (*host == '[') {
        char *end = strchr(host, ']');
        if (end == NULL)
            return false;
        *end = '\0';
        host++;
        port = end + 1;
        if (*port != '\0' && *port != ':')
            return false;
    } else {
        port = strchr(host, ':');
        if (port == NULL)
            port = host + strlen(host);
    }
    if (*port == ':') {
        *port++ = '\0';
        if (*port == '\0' || strspn(port, "0123456789") != strlen(port))
            return false;
    }
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    return strcmp(host, "::1") == 0 || strcasecmp(host, "localhost") == 0;
}

/* test_mode (plain-HTTP PayPal) and test_clock (X-Rma-Test-Now) are for a
 * stack on this machine only: never beside a public URL. */
static void
check_test_switches(const struct rma_config *cfg, struct config_problems *p)
{
    if (!cfg->test_mode && !cfg->test_clock)
        return;
    const char *which = cfg->test_mode && cfg->test_clock
                            ? "test_mode and test_clock"
                        : cfg->test_mode ? "test_mode"
                                         : "test_clock";
    const char *const names[] = {"public_base_url", "paypal_base_url"};
    const char *const urls[] = {cfg->public_base_url, cfg->paypal_base_url};
    for (size_t i = 0; i < 2; i++)
        if (!empty(urls[i]) && !loopback_url(urls[i]))
            problem(p,
                    "%s: %s is not a loopback address (127.0.0.0/8, ::1 or "
                    "localhost): %s may only be on for a local test stack",
                    names[i], urls[i], which);
}

static void
parse_reminders(struct rma_config *cfg, struct config_problems *p)
{
    cfg->n_reminders = 0;
    const char *s = cfg->reminder_days;
    if (empty(s))
        return; /* no reminders */
    int prev = INT_MAX;
    while (*s) {
        char *end;
        errno = 0;
        long d = strtol(s, &end, 10);
        if (errno != 0 || end == s || (*end != ',' && *end != '\0')) {
            problem(p, "reminder_days: expected a comma-separated list of "
                       "days, such as 7,2");
            cfg->n_reminders = 0;
            return;
        }
        if (d < 1 || d >= cfg->return_window_days) {
            problem(p,
                    "reminder_days: %ld must be between 1 and %ld "
                    "(return_window_days - 1)",
                    d, cfg->return_window_days - 1);
        } else if (d >= prev) {
            problem(p, "reminder_days: list days in decreasing order");
        } else if (cfg->n_reminders == CONFIG_MAX_REMINDERS) {
            problem(p, "reminder_days: at most %d reminders",
                    CONFIG_MAX_REMINDERS);
        } else {
            cfg->reminders[cfg->n_reminders++] = (int)d;
            prev = (int)d;
        }
        s = *end == ',' ? end + 1 : end;
    }
}

static void
parse_review(struct rma_config *cfg, struct config_problems *p)
{
    const char *s = cfg->supervisor_review;
    cfg->review_threshold_minor = 0;
    if (strcmp(s, "always") == 0) {
        cfg->review_policy = REVIEW_ALWAYS;
        return;
    }
    if (strcmp(s, "never") == 0) {
        cfg->review_policy = REVIEW_NEVER;
        return;
    }
    /* A threshold in major units with at most two decimals, e.g. 250.00;
     * compared in the case's own currency (money.h scales it). */
    int64_t minor;
    if (money_parse_decimal(s, 2, &minor) != RMA_OK || minor < 0 ||
        minor > MONEY_MAX_MINOR) {
        problem(p, "supervisor_review: expected always, never, or an "
                   "amount such as 250.00 (at most 10000000000.00)");
        return;
    }
    cfg->review_policy = REVIEW_THRESHOLD;
    cfg->review_threshold_minor = (long)minor;
}

static void
validate(struct rma_config *cfg, struct config_problems *p)
{
    static const char *const required[] = {
        "database_url",    "public_base_url",  "secret_pepper",
        "paypal_base_url", "paypal_client_id", "paypal_client_secret",
        "upload_dir",      "mail_from",
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const struct key *k = find_key(required[i]);
        if (empty(*str_slot(cfg, k)))
            problem(p, "%s: required", k->name);
    }
    if (!empty(cfg->public_base_url) && !is_http_url(cfg->public_base_url))
        problem(p, "public_base_url: must start with http:// or https://");
    if (!empty(cfg->public_base_url) &&
        cfg->public_base_url[strlen(cfg->public_base_url) - 1] == '/')
        problem(p, "public_base_url: must not end with a slash");
    if (!empty(cfg->makeup_payee) && (strlen(cfg->makeup_payee) > 254 ||
                                      strpbrk(cfg->makeup_payee, "\r\n<>")))
        problem(p, "makeup_payee: one line of at most 254 characters (the "
                   "PayPal account's e-mail address or name)");
    if (!empty(cfg->makeup_invoice_url) &&
        strncmp(cfg->makeup_invoice_url, "https://", 8) != 0 &&
        !(cfg->test_mode && is_http_url(cfg->makeup_invoice_url)))
        problem(p, "makeup_invoice_url: must start with https:// (or "
                   "http:// with test_mode)");
    if (!empty(cfg->paypal_base_url) && !is_http_url(cfg->paypal_base_url))
        problem(p, "paypal_base_url: must start with http:// or https://");
    if (!empty(cfg->paypal_base_url) && !cfg->test_mode &&
        strncmp(cfg->paypal_base_url, "https://", 8) != 0)
        problem(p, "paypal_base_url: must use https:// unless test_mode is on");
    if (!empty(cfg->secret_pepper) && strlen(cfg->secret_pepper) < 32)
        problem(p, "secret_pepper: must be at least 32 characters");
    if (empty(cfg->smtp_url) && empty(cfg->mail_spool_dir))
        problem(p, "smtp_url: set smtp_url or mail_spool_dir");
    if (!empty(cfg->smtp_url) && strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
        strncmp(cfg->smtp_url, "smtps://", 8) != 0)
        problem(p, "smtp_url: must start with smtp:// or smtps://");
    /* A lease must outlast one delivery, or a second sender could take
     * the message while the first still sends it (mail_send.c: an SMTP
     * delivery may take 60 s; a spool write, well under a second). */
    if (!empty(cfg->smtp_url) && cfg->mail_lease_seconds < MAIL_SMTP_LEASE_MIN)
        problem(p,
                "mail_lease_seconds: at least %d with smtp_url (an SMTP "
                "delivery may take 60 seconds)",
                MAIL_SMTP_LEASE_MIN);
    if (!empty(cfg->upload_dir) && cfg->upload_dir[0] != '/')
        problem(p, "upload_dir: must be an absolute path");
    if (!empty(cfg->mail_spool_dir) && cfg->mail_spool_dir[0] != '/')
        problem(p, "mail_spool_dir: must be an absolute path");
    if (log_level_parse(cfg->log_level) < 0)
        problem(p, "log_level: expected debug, info, warn or error");
    if (cfg->return_window_days > AUTH_VALIDITY_DAYS - DEADLINE_MARGIN_DAYS)
        problem(p,
                "return_window_days: must leave %d days before the %d-day "
                "authorization expiry",
                DEADLINE_MARGIN_DAYS, AUTH_VALIDITY_DAYS);
    /* The last capture retry must come a day before the authorization
     * expires: retries past it could only fail (SPEC §16). */
    long last_retry_h =
        cfg->return_window_days * 24 +
        (cfg->capture_max_attempts - 1) * cfg->capture_retry_hours;
    if (last_retry_h > (AUTH_VALIDITY_DAYS - 1) * 24)
        problem(p,
                "capture_max_attempts: the last retry (return_window_days "
                "+ (capture_max_attempts - 1) x capture_retry_hours = %ld "
                "hours) must come at least a day before the %d-day "
                "authorization expiry (%d hours)",
                last_retry_h, AUTH_VALIDITY_DAYS,
                (AUTH_VALIDITY_DAYS - 1) * 24);
    check_test_switches(cfg, p);
    /* Followed by '-' and the installation's 16-character prefix, within
     * the 32 characters a request id's namespace may have. */
    const char *rp = cfg->paypal_request_id_prefix;
    if (empty(rp) || strlen(rp) > 15 ||
        strspn(rp, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789-") != strlen(rp))
        problem(p, "paypal_request_id_prefix: 1 to 15 letters, digits or "
                   "'-'");
    parse_reminders(cfg, p);
    parse_review(cfg, p);
}

size_t
config_load(const char *path, struct rma_config *cfg, struct config_problems *p)
{
    memset(cfg, 0, sizeof(*cfg));
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].def != NULL)
            set_value(cfg, &keys[i], keys[i].def, "default", p);
    if (path != NULL)
        load_file(path, cfg, p);
    load_env(cfg, p);
    validate(cfg, p);
    if (empty(cfg->admin_database_url) && !empty(cfg->database_url)) {
        free(cfg->admin_database_url);
        cfg->admin_database_url = strdup(cfg->database_url);
    }
    if (empty(cfg->export_database_url) && !empty(cfg->database_url)) {
        free(cfg->export_database_url);
        cfg->export_database_url = strdup(cfg->database_url);
    }
    return p->n;
}

void
config_free(struct rma_config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].type == KEY_STR) {
            char **slot = str_slot(cfg, &keys[i]);
            free(*slot);
            *slot = NULL;
        }
}

void
config_problems_free(struct config_problems *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->msg[i]);
    p->n = 0;
}

const char *
config_default_path(void)
{
    return getenv("RMA_CONFIG");
}
