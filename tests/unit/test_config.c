/* test_config.c - configuration file, environment overrides, secrets, and
 * the problems `rmactl config check` names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rma/config.h"

static char dir[] = "/tmp/rma-config-test-XXXXXX";

static void
setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    /* Only this test's variables: RMA_* from the caller would interfere. */
    extern char **environ;
    for (char **e = environ; *e;) {
        if (strncmp(*e, "RMA_", 4) == 0) {
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
            unsetenv(name);
        } else
            e++;
    }
}

static const char *
write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char valid[] =
    "# a comment\n"
    "database_url = postgresql:///rma\n"
    "public_base_url = https://rma.example.com\n"
    "paypal_base_url = https://api-m.sandbox.paypal.com\n"
    "paypal_client_id = id\n"
    "paypal_client_secret = \"s3cret\"\n"
    "secret_pepper = 0123456789abcdef0123456789abcdef\n"
    "upload_dir = /var/lib/rma/uploads\n"
    "mail_from = RMA <rma@example.com>\n"
    "mail_spool_dir = /var/spool/rma\n";

static int
has_problem(const struct config_problems *p, const char *needle)
{
    for (size_t i = 0; i < p->n; i++)
        if (strstr(p->msg[i], needle) != NULL)
            return 1;
    return 0;
}

TestSuite(config, .init = setup);

Test(config, a_valid_file_loads_with_defaults)
{
    struct rma_config c;
    struct config_problems p;
    size_t n = config_load(write_file("ok.conf", valid), &c, &p);
    cr_assert_eq(n, 0, "%s", p.n ? p.msg[0] : "");
    cr_assert_str_eq(c.paypal_client_secret, "s3cret", "quotes removed");
    cr_assert_eq(c.return_window_days, 25);
    cr_assert_eq(c.n_reminders, 2);
    cr_assert_eq(c.reminders[0], 7);
    cr_assert_eq(c.reminders[1], 2);
    cr_assert_eq(c.review_policy, REVIEW_ALWAYS);
    cr_assert_str_eq(c.admin_database_url, "postgresql:///rma");
    config_free(&c);
}

Test(config, environment_overrides_the_file)
{
    setenv("RMA_RETURN_WINDOW_DAYS", "20", 1);
    setenv("RMA_SUPERVISOR_REVIEW", "250.00", 1);
    struct rma_config c;
    struct config_problems p;
    cr_assert_eq(config_load(write_file("ok.conf", valid), &c, &p), 0);
    cr_assert_eq(c.return_window_days, 20);
    cr_assert_eq(c.review_policy, REVIEW_THRESHOLD);
    cr_assert_eq(c.review_threshold_minor, 25000);
    config_free(&c);
}

Test(config, secrets_come_from_files)
{
    char secret[512];
    snprintf(secret, sizeof(secret), "%s",
             write_file("pepper", "abcdefghijklmnopqrstuvwxyz0123456789\n"));
    char text[2048];
    snprintf(text, sizeof(text),
             "%s"
             "secret_pepper_file = %s\n",
             valid, secret);
    struct rma_config c;
    struct config_problems p;
    cr_assert_eq(config_load(write_file("f.conf", text), &c, &p), 0);
    cr_assert_str_eq(c.secret_pepper, "abcdefghijklmnopqrstuvwxyz0123456789",
                     "trailing newline dropped");
    config_free(&c);
    setenv("RMA_PAYPAL_CLIENT_SECRET_FILE", secret, 1);
    cr_assert_eq(config_load(write_file("f.conf", text), &c, &p), 0);
    cr_assert_str_eq(c.paypal_client_secret,
                     "abcdefghijklmnopqrstuvwxyz0123456789");
    config_free(&c);
}

Test(config, names_every_problem)
{
    struct rma_config c;
    struct config_problems p;
    size_t n =
        config_load(write_file("bad.conf", "database_url = x\n"
                                           "return_window_days = 28\n"
                                           "reminder_days = 2,7\n"
                                           "supervisor_review = sometimes\n"
                                           "public_base_url = ftp://x\n"
                                           "secret_pepper = short\n"
                                           "colour = blue\n"
                                           "no equals sign\n"
                                           "database_url_file = /x\n"),
                    &c, &p);
    cr_assert_gt(n, 8);
    cr_assert(has_problem(&p, "return_window_days"));
    cr_assert(has_problem(&p, "supervisor_review"));
    cr_assert(has_problem(&p, "public_base_url"));
    cr_assert(has_problem(&p, "secret_pepper: must be at least 32"));
    cr_assert(has_problem(&p, "unknown key 'colour'"));
    cr_assert(has_problem(&p, "unknown key 'database_url_file'"),
              "only secrets may come from files");
    cr_assert(has_problem(&p, "expected key = value"));
    cr_assert(has_problem(&p, "paypal_client_id: required"));
    cr_assert(has_problem(&p, "upload_dir: required"));
    for (size_t i = 0; i < p.n; i++)
        cr_assert_null(strstr(p.msg[i], "short"), "no secret in a message");
    config_problems_free(&p);
    config_free(&c);
}

Test(config, return_window_boundary_leaves_two_days_before_expiry)
{
    char text[2048];
    struct rma_config c;
    struct config_problems p;
    snprintf(text, sizeof(text), "%sreturn_window_days = 27\n", valid);
    cr_assert_eq(config_load(write_file("w.conf", text), &c, &p), 0,
                 "27 days leaves exactly 2 before day 29");
    config_free(&c);
    snprintf(text, sizeof(text), "%sreturn_window_days = 28\n", valid);
    cr_assert_gt(config_load(write_file("w.conf", text), &c, &p), 0);
    config_problems_free(&p);
    config_free(&c);
}

Test(config, job_settle_connections_are_0_to_4)
{
    char text[2048];
    struct rma_config c;
    struct config_problems p;
    cr_assert_eq(config_load(write_file("s.conf", valid), &c, &p), 0);
    cr_assert_eq(c.job_settle_connections, 2, "the default");
    config_free(&c);
    const char *ok[] = {"0", "4"}, *bad[] = {"-1", "5"};
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof(text), "%sjob_settle_connections = %s\n", valid,
                 ok[i]);
        cr_assert_eq(config_load(write_file("s.conf", text), &c, &p), 0,
                     "%s is allowed", ok[i]);
        cr_assert_eq(c.job_settle_connections, strtol(ok[i], NULL, 10));
        config_free(&c);
        snprintf(text, sizeof(text), "%sjob_settle_connections = %s\n", valid,
                 bad[i]);
        cr_assert_gt(config_load(write_file("s.conf", text), &c, &p), 0,
                     "%s is refused", bad[i]);
        cr_assert(has_problem(&p, "job_settle_connections"));
        config_problems_free(&p);
        config_free(&c);
    }
}

Test(config, export_max_lag_seconds_is_0_to_3600_default_10)
{
    char text[2048];
    struct rma_config c;
    struct config_problems p;
    cr_assert_eq(config_load(write_file("l.conf", valid), &c, &p), 0);
    cr_assert_eq(c.export_max_lag_seconds, 10, "the default");
    config_free(&c);
    const char *ok[] = {"0", "3600"}, *bad[] = {"-1", "3601"};
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof(text), "%sexport_max_lag_seconds = %s\n", valid,
                 ok[i]);
        cr_assert_eq(config_load(write_file("l.conf", text), &c, &p), 0,
                     "%s is allowed", ok[i]);
        cr_assert_eq(c.export_max_lag_seconds, strtol(ok[i], NULL, 10));
        config_free(&c);
        snprintf(text, sizeof(text), "%sexport_max_lag_seconds = %s\n", valid,
                 bad[i]);
        cr_assert_gt(config_load(write_file("l.conf", text), &c, &p), 0,
                     "%s is refused", bad[i]);
        cr_assert(has_problem(&p, "export_max_lag_seconds"));
        config_problems_free(&p);
        config_free(&c);
    }
}
