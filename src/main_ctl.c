/* main_ctl.c - rmactl: the operators' and jobs' command-line tool.
 * Exit status: 0 success, 1 the work failed (said on stderr), 2 usage or
 * configuration error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rma/config.h"
#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/demo.h"
#include "rma/jobs.h"
#include "rma/log.h"
#include "rma/migrate.h"
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
    return 0;
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
    else if (strcmp(cmd, "demo") == 0)
        rc = cmd_demo(&cfg, sub_argc, sub_argv);
    else
        rc = usage();
    config_free(&cfg);
    return rc;
}
