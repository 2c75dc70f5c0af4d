/* ctl_staff.c - `rmactl staff add|list|deactivate` (SPEC §15): the
 * console's people, managed from a shell as tokens are (`rmactl token`).
 * Audited with the operating-system user who ran it. */
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rma/ctl.h"
#include "rma/http_json.h"
#include "rma/mail.h"
#include "rma/staff_account.h"

#define EXIT_WORK 1
#define EXIT_USAGE 2

static const char staff_usage[] =
    "usage: rmactl staff add --email E --name N --role ROLE\n"
    "       rmactl staff list\n"
    "       rmactl staff deactivate --email E\n"
    "roles: agent, supervisor, warehouse, finance, admin\n";

static int
usage(void)
{
    fputs(staff_usage, stderr);
    return EXIT_USAGE;
}

static const char *
os_user(void)
{
    struct passwd *pw = getpwuid(getuid());
    return pw != NULL && pw->pw_name != NULL ? pw->pw_name : "unknown";
}

static void
now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static bool
name_ok(const char *s)
{
    /* Valid UTF-8 without control characters, 1..100 characters. */
    size_t n = strlen(s);
    return n > 0 && mail_header_value_ok(s, 4 * STAFF_DISPLAY_NAME_MAX) &&
           utf8_length(s) <= STAFF_DISPLAY_NAME_MAX && text_is_printable(s, 0);
}

/* An audit event by the operating-system user, beside the change. */
static enum rma_err
audit(struct db *db, const char *action, json_t *detail, const char *now)
{
    char *text = json_dumps(detail, JSON_COMPACT);
    json_decref(detail);
    enum rma_err err =
        db_staff_audit(db, "system", os_user(), NULL, action, text, now);
    free(text);
    return err;
}

static int
staff_add(struct db *db, const char *email, const char *name,
          const char *role_name)
{
    enum staff_role role = staff_role_parse(role_name);
    char norm[255];
    if (email == NULL || name == NULL || role_name == NULL)
        return usage();
    if (!email_normalize(email, norm)) {
        fprintf(stderr, "staff add: --email is not a usable address "
                        "(printable ASCII, name@example.com)\n");
        return EXIT_USAGE;
    }
    if (!name_ok(name)) {
        fprintf(stderr,
                "staff add: --name must be 1..%d printable "
                "characters\n",
                STAFF_DISPLAY_NAME_MAX);
        return EXIT_USAGE;
    }
    if (role == 0) {
        fprintf(stderr, "staff add: --role must be one of agent, supervisor, "
                        "warehouse, finance, admin\n");
        return EXIT_USAGE;
    }
    char now[32];
    now_iso(now);
    int64_t id = 0;
    enum rma_err err = db_begin(db);
    if (err == RMA_OK)
        err =
            db_staff_account_create(db, norm, name, role, os_user(), now, &id);
    if (err == RMA_OK)
        err = audit(db, "staff_account_add",
                    json_pack("{s:s, s:s, s:s}", "email", norm, "name", name,
                              "role", role_name),
                    now);
    if (err == RMA_OK)
        err = db_commit(db);
    else
        db_rollback(db);
    if (err == RMA_ECONFLICT) {
        fprintf(stderr, "staff add: %s has an active account already\n", norm);
        return EXIT_WORK;
    }
    if (err != RMA_OK) {
        fprintf(stderr, "staff add: cannot store the account (%s)\n",
                rma_err_code(err));
        return EXIT_WORK;
    }
    printf("staff add: %s (%s, %s) can sign in to the console\n", norm, name,
           role_name);
    return 0;
}

static int
staff_deactivate(struct db *db, const char *email)
{
    char norm[255];
    if (email == NULL)
        return usage();
    if (!email_normalize(email, norm)) {
        fprintf(stderr, "staff deactivate: --email is not a usable "
                        "address\n");
        return EXIT_USAGE;
    }
    char now[32];
    now_iso(now);
    struct staff_account gone;
    enum rma_err err = db_begin(db);
    if (err == RMA_OK)
        err = db_staff_account_deactivate(db, 0, norm, os_user(), now, &gone);
    if (err == RMA_OK)
        err = audit(db, "staff_account_deactivate",
                    json_pack("{s:s, s:s}", "email", norm, "role",
                              staff_role_name(gone.role)),
                    now);
    if (err == RMA_OK)
        err = db_commit(db);
    else
        db_rollback(db);
    if (err == RMA_ENOTFOUND) {
        fprintf(stderr, "staff deactivate: %s has no active account\n", norm);
        return EXIT_WORK;
    }
    if (err != RMA_OK) {
        fprintf(stderr, "staff deactivate: failed (%s)\n", rma_err_code(err));
        return EXIT_WORK;
    }
    printf("staff deactivate: %s deactivated; their sessions ended, their "
           "audit trail kept\n",
           norm);
    return 0;
}

static const char *
str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static int
staff_list(struct db *db)
{
    struct arena a;
    arena_init(&a, 8192);
    char *text = NULL;
    enum rma_err err = db_staff_account_list_json(db, &a, &text);
    json_t *list = err == RMA_OK ? json_loads(text, 0, NULL) : NULL;
    arena_free(&a);
    if (list == NULL) {
        fprintf(stderr, "staff list: failed (%s)\n",
                rma_err_code(err == RMA_OK ? RMA_EINTERNAL : err));
        return EXIT_WORK;
    }
    printf("%-32s %-24s %-10s %-11s %s\n", "EMAIL", "NAME", "ROLE", "STATUS",
           "LAST SIGN-IN");
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        printf("%-32s %-24s %-10s %-11s %s\n", str(p, "email"), str(p, "name"),
               str(p, "role"),
               json_is_true(json_object_get(p, "active")) ? "active"
                                                          : "deactivated",
               str(p, "last_sign_in_at"));
    }
    json_decref(list);
    return 0;
}

int
ctl_staff(const struct rma_config *cfg, int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *verb = argv[1];
    const char *email = NULL, *name = NULL, *role = NULL;
    static const struct option opts[] = {
        {"email", required_argument, NULL, 'e'},
        {"name", required_argument, NULL, 'n'},
        {"role", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'e')
            email = optarg;
        else if (c == 'n')
            name = optarg;
        else if (c == 'r')
            role = optarg;
        else
            return usage();
    }
    if (optind != argc)
        return usage();
    bool add = strcmp(verb, "add") == 0;
    bool list = strcmp(verb, "list") == 0;
    bool deactivate = strcmp(verb, "deactivate") == 0;
    if ((!add && !list && !deactivate) || (list && (email || name || role)) ||
        (deactivate && (name || role)))
        return usage();
    struct db db;
    db_init(&db, cfg->admin_database_url, "rmactl-staff");
    int rc = add          ? staff_add(&db, email, name, role)
             : deactivate ? staff_deactivate(&db, email)
                          : staff_list(&db);
    db_close(&db);
    return rc;
}
