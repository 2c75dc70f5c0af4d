/* ctl_export.c - `rmactl export` (SPEC §8): a finance export as CSV, the
 * same bytes as GET /api/v1/staff/exports/{kind}.csv. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "rma/db.h"
#include "rma/export.h"
#include "rma/log.h"

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
int
ctl_export(const struct rma_config *cfg, int argc, char **argv)
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
            return ctl_usage();
    }
    if (optind != argc - 1 || from == NULL || to == NULL)
        return ctl_usage();
    enum export_kind kind;
    if (!export_kind_parse(argv[optind], &kind)) {
        fprintf(stderr,
                "export: unknown kind %s (ledger, holds, "
                "captures-refunds, makeup-payments, exceptions, "
                "rmas, shipments)\n",
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
