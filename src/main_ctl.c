/* main_ctl.c - rmactl: the operators' and jobs' command-line tool.
 * Exit status: 0 success, 1 the work failed (said on stderr), 2 usage or
 * configuration error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "rma/config.h"
#include "rma/crypto.h"
#include "rma/ctl.h"
#include "rma/db.h"
#include "rma/demo.h"
#include "rma/exception.h"
#include "rma/jobs.h"
#include "rma/ledger_verify.h"
#include "rma/log.h"
#include "rma/mail.h"
#include "rma/migrate.h"
#include "rma/paypal.h"
#include "rma/staff.h"

static const char usage_text[] =
    "usage: rmactl [--config FILE] COMMAND [ARGS]\n"
    "commands:\n"
    "  config check                       validate the configuration\n"
    "  migrate                            apply pending schema migrations\n"
    "  token create --role ROLE --name N  create a staff token (printed once)\n"
    "  token revoke --name N              revoke a staff token\n"
    "  run-jobs [--now TIME] [--concurrency N] [--dry-run]\n"
    "                                     one pass of all due work\n"
    "  mail-sender [--interval SECONDS]   deliver mail as it is queued: runs "
    "until\n"
    "                                     SIGTERM, woken by the outbox, "
    "sweeping\n"
    "                                     every SECONDS anyway (default 30); "
    "SIGHUP\n"
    "                                     rereads the configuration\n"
    "  ledger verify [--offline] [--record]\n"
    "                                     check the ledger's invariants "
    "(--offline:\n"
    "                                     without asking PayPal; --record: "
    "each\n"
    "                                     finding as a finance exception)\n"
    "  export KIND --from T --to T [--output FILE]\n"
    "                                     a finance export as CSV (kinds: "
    "ledger,\n"
    "                                     holds, captures-refunds, "
    "makeup-payments,\n"
    "                                     exceptions, rmas, shipments)\n"
    "  demo seed                          create the demo's customers and "
    "cases\n"
    "  staff add --email E --name N --role ROLE\n"
    "                                     a person who signs in to the "
    "console\n"
    "  staff list | staff deactivate --email E\n"
    "  orders import FILE.csv             original orders for the console's "
    "New\n"
    "                                     Solution (columns: rmactl orders)\n"
    "roles: agent, supervisor, warehouse, finance, admin\n";

int
ctl_usage(void)
{
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* Loads the configuration; on problems names each one and returns -1. */
static int
load(const char *path, struct rma_config *cfg, int quiet_ok)
{
    struct config_problems p;
    size_t n = config_load(path, cfg, &p);
    for (size_t i = 0; i < p.n; i++)
        fprintf(stderr, "config: %s\n", p.msg[i]);
    config_problems_free(&p);
    if (n > 0) {
        fprintf(stderr, "config: %zu problem%s%s%s\n", n, n == 1 ? "" : "s",
                path ? " in " : "",
                path ? path : " (no file: environment only)");
        config_free(cfg);
        return -1;
    }
    if (!quiet_ok)
        log_set_level((enum log_level)log_level_parse(cfg->log_level));
    return 0;
}

static int
cmd_config(const char *path, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "check") != 0)
        return ctl_usage();
    struct rma_config cfg;
    if (load(path, &cfg, 1) != 0)
        return EXIT_USAGE;
    printf("configuration ok%s%s\n", path ? ": " : "", path ? path : "");
    config_free(&cfg);
    return 0;
}

static int
cmd_migrate(const struct rma_config *cfg, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return ctl_usage();
    int applied = 0;
    enum rma_err err = migrate_run(cfg->admin_database_url, cfg->migrations_dir,
                                   stdout, stderr, &applied);
    if (err == RMA_EINVAL)
        return EXIT_USAGE;
    if (err != RMA_OK)
        return EXIT_WORK;
    printf("migrate: %d applied, schema up to date\n", applied);
    return 0;
}

static int
valid_token_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > STAFF_NAME_MAX)
        return 0;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return 0;
    return 1;
}

static int
cmd_token(const struct rma_config *cfg, int argc, char **argv)
{
    if (argc < 2)
        return ctl_usage();
    const char *verb = argv[1];
    const char *role_name = NULL, *name = NULL;
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "r:n:", opts, NULL)) != -1) {
        if (c == 'r')
            role_name = optarg;
        else if (c == 'n')
            name = optarg;
        else
            return ctl_usage();
    }
    if (optind != argc || name == NULL)
        return ctl_usage();
    if (!valid_token_name(name)) {
        fprintf(stderr, "token: --name must be 1..%d printable characters\n",
                STAFF_NAME_MAX);
        return EXIT_USAGE;
    }
    struct db db;
    db_init(&db, cfg->admin_database_url, "rmactl");
    int rc = EXIT_WORK;
    if (strcmp(verb, "create") == 0) {
        enum staff_role role = staff_role_parse(role_name);
        if (role == 0) {
            fprintf(stderr, "token: --role must be one of agent, supervisor, "
                            "warehouse, finance, admin\n");
            rc = EXIT_USAGE;
            goto done;
        }
        char token[96];
        unsigned char hash[SHA256_LEN];
        int64_t id;
        if (crypto_new_token(STAFF_TOKEN_PREFIX, token, sizeof(token)) !=
            RMA_OK)
            goto done;
        crypto_sha256(token, strlen(token), hash);
        enum rma_err err = db_staff_token_create(&db, name, role, hash, &id);
        if (err == RMA_ECONFLICT) {
            fprintf(stderr,
                    "token: %s already has an active token; revoke it "
                    "first\n",
                    name);
        } else if (err != RMA_OK) {
            fprintf(stderr, "token: cannot store the token (%s)\n",
                    rma_err_code(err));
        } else {
            printf("%s\n", token);
            fprintf(stderr, "token %s (%s) created; it is shown only once\n",
                    name, role_name);
            rc = 0;
        }
    } else if (strcmp(verb, "revoke") == 0) {
        if (role_name != NULL) {
            rc = ctl_usage();
            goto done;
        }
        enum rma_err err = db_staff_token_revoke(&db, name);
        if (err == RMA_ENOTFOUND)
            fprintf(stderr, "token: %s has no active token\n", name);
        else if (err != RMA_OK)
            fprintf(stderr, "token: cannot revoke (%s)\n", rma_err_code(err));
        else {
            fprintf(stderr, "token %s revoked\n", name);
            rc = 0;
        }
    } else {
        rc = ctl_usage();
    }
done:
    db_close(&db);
    return rc;
}

static int
cmd_run_jobs(const struct rma_config *cfg, int argc, char **argv)
{
    struct jobs_options opt = {.now = time(NULL), .concurrency = 16};
    static const struct option opts[] = {
        {"now", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},
        {"dry-run", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        struct tm tm;
        switch (c) {
        case 'n':
            memset(&tm, 0, sizeof(tm));
            end = strptime(optarg, "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (end == NULL || *end != '\0') {
                fprintf(stderr, "run-jobs: --now takes an ISO 8601 UTC time "
                                "such as 2026-12-01T10:00:00Z\n");
                return EXIT_USAGE;
            }
            opt.now = timegm(&tm);
            break;
        case 'c':
            errno = 0;
            opt.concurrency = (int)strtol(optarg, &end, 10);
            if (errno || *end || opt.concurrency < 1 || opt.concurrency > 256) {
                fprintf(stderr, "run-jobs: --concurrency takes 1..256\n");
                return EXIT_USAGE;
            }
            break;
        case 'd': opt.dry_run = true; break;
        default: return ctl_usage();
        }
    }
    if (optind != argc)
        return ctl_usage();
    if (isatty(STDERR_FILENO))
        opt.progress = stderr;
    struct db db;
    db_init(&db, cfg->database_url, "rmactl-jobs");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct jobs_summary s;
    enum rma_err err = jobs_run(&db, cfg, &opt, &s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) +
                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* For monitoring: the pass's end, whatever its outcome (a database
     * that is down records nothing, which the alerts notice). */
    if (!opt.dry_run && err != RMA_EDB &&
        db_jobs_record_run(&db, seconds,
                           err == RMA_OK && s.holds.pending == 0) != RMA_OK)
        fprintf(stderr, "run-jobs: the pass could not be recorded for "
                        "monitoring\n");
    db_close(&db);
    jobs_print_summary(stdout, &opt, &s, seconds);
    if (err != RMA_OK) {
        fprintf(stderr, "run-jobs: %s\n",
                err == RMA_EDB ? "the database is unavailable"
                               : "some work failed and stays due");
        return EXIT_WORK;
    }
    if (s.holds.pending > 0) {
        fprintf(stderr,
                "run-jobs: %d PayPal operations got no definite answer; the "
                "next run replays them\n",
                s.holds.pending);
        return EXIT_WORK;
    }
    return 0;
}

/* The mail sender's signals: SIGTERM and SIGINT stop it, SIGHUP makes it
 * reread the configuration; each also sets sender_quit and writes a byte
 * to sender_wake[1], so that a sender waiting in poll() wakes at once. */
static volatile sig_atomic_t sender_quit, sender_stop, sender_reload;
static int sender_wake[2] = {-1, -1};

static void
on_sender_signal(int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        sender_reload = 1;
    else
        sender_stop = 1;
    sender_quit = 1;
    if (sender_wake[1] >= 0) {
        ssize_t w = write(sender_wake[1], "x", 1); /* full pipe: awake */
        (void)w;
    }
    errno = saved;
}

/* Runs until SIGTERM or SIGINT (exit 0).  *cfg is replaced by the file's
 * new contents on SIGHUP when they are valid, kept (and the problems
 * logged) when not. */
static int
cmd_mail_sender(const char *path, struct rma_config *cfg, int argc, char **argv)
{
    struct mail_sender_options opt = {.interval_seconds = 30};
    static const struct option opts[] = {
        {"interval", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        long v;
        switch (c) {
        case 'i':
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > 3600) {
                fprintf(stderr, "mail-sender: --interval takes 1..3600 "
                                "seconds\n");
                return EXIT_USAGE;
            }
            opt.interval_seconds = (int)v;
            break;
        default: return ctl_usage();
        }
    }
    if (optind != argc)
        return ctl_usage();
    if (pipe2(sender_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        fprintf(stderr, "mail-sender: pipe: %s\n", strerror(errno));
        return EXIT_WORK;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sender_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct mail_sender_totals t = {0, 0, 0, 0};
    log_event(LOG_INFO, "mail_sender_started", "{s:i, s:s}", "interval_seconds",
              opt.interval_seconds, "via",
              cfg->smtp_url && cfg->smtp_url[0] ? "smtp" : "spool");
    while (!sender_stop) {
        (void)mail_sender_run(cfg, &opt, &sender_quit, sender_wake[0], &t);
        sender_quit = 0;
        if (sender_stop)
            break; /* a SIGTERM after this sets sender_quit again */
        if (sender_reload) {
            sender_reload = 0;
            struct rma_config fresh;
            if (load(path, &fresh, 0) == 0) {
                config_free(cfg);
                *cfg = fresh;
                log_event(LOG_INFO, "config_reloaded", "{s:s}", "path",
                          path ? path : "");
            } else {
                log_event(LOG_ERROR, "config_reload_failed", "{s:s}", "path",
                          path ? path : "");
            }
        }
    }
    log_event(LOG_INFO, "mail_sender_stopped", "{s:I, s:I, s:I, s:I}", "sent",
              (json_int_t)t.sent, "dropped", (json_int_t)t.dropped, "retried",
              (json_int_t)t.retried, "failed", (json_int_t)t.failed);
    close(sender_wake[0]);
    close(sender_wake[1]);
    return 0;
}

/* Exit 0 when the ledger is clean, 1 when a violation was found (each named
 * on stdout, one line each) or the checks could not run, 2 on bad usage or
 * unusable PayPal settings. */
static int
cmd_ledger(const struct rma_config *cfg, int argc, char **argv)
{
    bool offline = false, record = false;
    if (argc < 2 || strcmp(argv[1], "verify") != 0)
        return ctl_usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--offline") == 0)
            offline = true;
        else if (strcmp(argv[i], "--record") == 0)
            record = true;
        else
            return ctl_usage();
    }
    struct paypal_client *pc = NULL;
    if (!offline && cfg->paypal_base_url && cfg->paypal_base_url[0]) {
        struct paypal_client_options o = {
            .base_url = cfg->paypal_base_url,
            .client_id = cfg->paypal_client_id,
            .client_secret = cfg->paypal_client_secret,
            .ca_file = cfg->paypal_ca_file && cfg->paypal_ca_file[0]
                           ? cfg->paypal_ca_file
                           : NULL,
            .https_only = !cfg->test_mode,
        };
        pc = paypal_client_new(&o);
        if (pc == NULL) {
            fprintf(stderr, "ledger verify: the PayPal settings are "
                            "unusable (--offline skips PayPal)\n");
            return EXIT_USAGE;
        }
    }
    struct db db;
    db_init(&db, cfg->database_url, "rmactl-ledger");
    struct ledger_findings f = {0};
    enum rma_err err = ledger_verify(&db, pc, &f);
    /* --record: each finding becomes a finance exception (once per text),
     * in the exceptions list and export. */
    if (err == RMA_OK && record && f.n > 0) {
        char now[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
        for (size_t i = 0; err == RMA_OK && i < f.n; i++)
            err = db_exception_finding(&db, f.item[i].text, f.item[i].hold_id,
                                       now);
    }
    db_close(&db);
    paypal_client_free(pc);
    for (size_t i = 0; i < f.n; i++)
        printf("%s\n", f.item[i].text);
    if (f.omitted > 0)
        printf("and %zu more violations\n", f.omitted);
    size_t total = f.n + f.omitted;
    ledger_findings_free(&f);
    if (err != RMA_OK) {
        fprintf(stderr, "ledger verify: %s\n",
                err == RMA_EDB ? "the database is unavailable"
                               : "the checks could not run");
        return EXIT_WORK;
    }
    fprintf(stderr, "ledger verify: %zu violation%s%s\n", total,
            total == 1 ? "" : "s", pc ? "" : " (PayPal not checked)");
    return total > 0 ? EXIT_WORK : 0;
}

static int
cmd_demo(const struct rma_config *cfg, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "seed") != 0)
        return ctl_usage();
    struct db db;
    db_init(&db, cfg->database_url, "rmactl-demo");
    enum rma_err err = demo_seed(&db, stdout);
    db_close(&db);
    if (err != RMA_OK) {
        fprintf(stderr, "demo seed: failed (%s)\n", rma_err_code(err));
        return EXIT_WORK;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *config_path = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            config_path = argv[i] + 9;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else
            return ctl_usage();
    }
    if (i == argc)
        return ctl_usage();
    if (config_path == NULL)
        config_path = config_default_path();
    log_set_level(LOG_WARN);
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    const char *cmd = sub_argv[0];
    if (strcmp(cmd, "config") == 0)
        return cmd_config(config_path, sub_argc, sub_argv);

    struct rma_config cfg;
    if (load(config_path, &cfg, 0) != 0)
        return EXIT_USAGE;
    int rc;
    if (strcmp(cmd, "migrate") == 0)
        rc = cmd_migrate(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "token") == 0)
        rc = cmd_token(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "run-jobs") == 0)
        rc = cmd_run_jobs(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "ledger") == 0)
        rc = cmd_ledger(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "demo") == 0)
        rc = cmd_demo(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "export") == 0)
        rc = ctl_export(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "staff") == 0)
        rc = ctl_staff(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "orders") == 0)
        rc = ctl_orders(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "mail-sender") == 0)
        rc = cmd_mail_sender(config_path, &cfg, sub_argc, sub_argv);
    else
        rc = ctl_usage();
    config_free(&cfg);
    return rc;
}
