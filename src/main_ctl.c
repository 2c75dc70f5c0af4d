/* main_ctl.c - rmactl: the operators' and jobs' command-line tool.
 * Exit status: 0 success, 1 the work failed (said on stderr), 2 usage or
 * configuration error. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rma/config.h"
#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/demo.h"
#include "rma/export.h"
#include "rma/jobs.h"
#include "rma/ledger_verify.h"
#include "rma/log.h"
#include "rma/migrate.h"
#include "rma/paypal.h"
#include "rma/staff.h"

#define EXIT_WORK 1
#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: rmactl [--config FILE] COMMAND [ARGS]\n"
    "commands:\n"
    "  config check                       validate the configuration\n"
    "  migrate                            apply pending schema migrations\n"
    "  token create --role ROLE --name N  create a staff token (printed once)\n"
    "  token revoke --name N              revoke a staff token\n"
    "  run-jobs [--now TIME] [--concurrency N] [--dry-run]\n"
    "                                     one pass of all due work\n"
    "  ledger verify [--offline]          check the ledger's invariants "
    "(--offline:\n"
    "                                     without asking PayPal)\n"
    "  export KIND --from T --to T [--output FILE]\n"
    "                                     a finance export as CSV (kinds: "
    "ledger,\n"
    "                                     holds, captures-refunds, "
    "makeup-payments,\n"
    "                                     exceptions, rmas)\n"
    "  demo seed                          create the demo's customers and "
    "cases\n"
    "roles: agent, supervisor, warehouse, finance, admin\n";

static int
usage(void)
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
        return usage();
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
        return usage();
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
        return usage();
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
            return usage();
    }
    if (optind != argc || name == NULL)
        return usage();
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
            rc = usage();
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
        rc = usage();
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
        default: return usage();
        }
    }
    if (optind != argc)
        return usage();
    if (isatty(STDERR_FILENO))
        opt.progress = stderr;
    struct db db;
    db_init(&db, cfg->database_url, "rmactl-jobs");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct jobs_summary s;
    enum rma_err err = jobs_run(&db, cfg, &opt, &s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    db_close(&db);
    jobs_print_summary(stdout, &opt, &s,
                       (double)(t1.tv_sec - t0.tv_sec) +
                           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
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

/* Exit 0 when the ledger is clean, 1 when a violation was found (each named
 * on stdout, one line each) or the checks could not run, 2 on bad usage or
 * unusable PayPal settings. */
static int
cmd_ledger(const struct rma_config *cfg, int argc, char **argv)
{
    bool offline = false;
    if (argc < 2 || strcmp(argv[1], "verify") != 0)
        return usage();
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--offline") != 0)
            return usage();
        offline = true;
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

/* The CSV writer's sink for rmactl export. */
static int
file_sink(void *arg, const char *data, size_t len)
{
    return fwrite(data, 1, len, arg) == len ? 0 : -1;
}

/* Who ran rmactl, for the audit trail: the operating-system user. */
static const char *
os_user(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw != NULL && pw->pw_name != NULL ? pw->pw_name : "unknown";
}

/* The same CSV as GET /api/v1/staff/exports/{kind}.csv (export_run), to
 * stdout or to --output FILE, which is written whole or not at all (a
 * temporary file beside it, renamed at the end).  Audited like the API. */
static int
cmd_export(const struct rma_config *cfg, int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *output = NULL;
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 't')
            to = optarg;
        else if (c == 'o')
            output = optarg;
        else
            return usage();
    }
    if (optind != argc - 1 || from == NULL || to == NULL)
        return usage();
    enum export_kind kind;
    if (!export_kind_parse(argv[optind], &kind)) {
        fprintf(stderr,
                "export: unknown kind %s (ledger, holds, "
                "captures-refunds, makeup-payments, exceptions, "
                "rmas)\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    struct export_period period;
    const char *field;
    enum rma_err err = export_period_parse(from, to, &period, &field);
    if (err != RMA_OK) {
        fprintf(stderr, "%s\n",
                err == RMA_ERULE ? "export: --to must be later than --from"
                                 : "export: --from and --to take a date "
                                   "(2026-11-01) or a time "
                                   "(2026-11-01T10:00:00Z)");
        return EXIT_USAGE;
    }

    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, audited */
    FILE *out = stdout;
    char tmp[4096] = "";
    if (output != NULL) {
        int n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", output);
        int fd = n > 0 && (size_t)n < sizeof(tmp) ? mkstemp(tmp) : -1;
        out = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (out == NULL) {
            fprintf(stderr, "export: cannot write beside %s: %s\n", output,
                    strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            return EXIT_WORK;
        }
    }
    bool replica = strcmp(cfg->export_database_url, cfg->database_url) != 0;
    struct db db, export_db;
    db_init(&db, cfg->database_url, "rmactl-export");
    if (replica)
        db_init(&export_db, cfg->export_database_url, "rmactl-export");
    struct csv_writer w;
    csv_init(&w, file_sink, out);
    uint64_t rows = 0;
    enum export_replica_state replica_state = EXPORT_REPLICA_CAUGHT_UP;
    int64_t behind = 0;
    err = replica ? export_wait_for_replica(&db, &export_db,
                                            cfg->export_max_lag_seconds,
                                            &replica_state, &behind)
                  : RMA_OK;
    if (err == RMA_OK)
        err = export_run(replica ? &export_db : &db, kind, &period, &w, &rows);
    bool written = !w.failed && fflush(out) == 0 && !ferror(out);
    if (output != NULL) {
        written = written && fsync(fileno(out)) == 0;
        written = fclose(out) == 0 && written;
    }
    int write_errno = written ? 0 : errno;
    const char *outcome = err != RMA_OK ? "failed"
                          : !written    ? "output_failed"
                                        : "completed";
    char now[EXPORT_TIME_TEXT];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    struct export_audit audit = {
        .actor_kind = "system",
        .actor_name = os_user(),
        .via = "rmactl",
        .kind = kind,
        .period = &period,
        .rows = rows,
        .outcome = outcome,
        .at = now,
    };
    enum rma_err audit_err = db_export_audit(&db, &audit);
    db_close(&db);
    if (replica)
        db_close(&export_db);

    int rc = EXIT_WORK;
    if (replica_state == EXPORT_REPLICA_BEHIND)
        fprintf(stderr,
                "export: the replica (export_database_url) is still %lld "
                "bytes of WAL behind the primary after %ld s "
                "(export_max_lag_seconds): export from the primary "
                "(RMA_EXPORT_DATABASE_URL set to database_url) or again "
                "once the replica has caught up\n",
                (long long)behind, cfg->export_max_lag_seconds);
    else if (err == RMA_EDB && replica && replica_state != EXPORT_PRIMARY_DOWN)
        fprintf(stderr, "export: the export database (export_database_url) "
                        "is unavailable\n");
    else if (err != RMA_OK)
        fprintf(stderr, "export: %s\n",
                err == RMA_EDB ? "the database is unavailable"
                               : "the export failed");
    else if (!written)
        fprintf(stderr, "export: cannot write the output: %s\n",
                strerror(write_errno ? write_errno : EIO));
    else if (audit_err != RMA_OK)
        fprintf(stderr, "export: the export could not be audited\n");
    else if (output != NULL && rename(tmp, output) != 0)
        fprintf(stderr, "export: cannot rename to %s: %s\n", output,
                strerror(errno));
    else
        rc = 0;
    if (rc != 0 && output != NULL)
        unlink(tmp);
    if (rc == 0)
        fprintf(stderr, "export %s: %llu rows from %s to %s\n",
                export_kind_name(kind), (unsigned long long)rows,
                period.from_text, period.to_text);
    return rc;
}

static int
cmd_demo(const struct rma_config *cfg, int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "seed") != 0)
        return usage();
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
            return usage();
    }
    if (i == argc)
        return usage();
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
        rc = cmd_export(&cfg, sub_argc, sub_argv);
    else
        rc = usage();
    config_free(&cfg);
    return rc;
}
