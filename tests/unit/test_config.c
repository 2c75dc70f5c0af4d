/* test_config.c - configuration file, environment overrides, secrets, and
 * the problems `rmactl config check` names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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
    snprintf(text, sizeof(text),
             "%sreturn_window_days = 27\ncapture_max_attempts = 1\n", valid);
    cr_assert_eq(config_load(write_file("w.conf", text), &c, &p), 0,
                 "27 days leaves exactly 2 before day 29");
    config_free(&c);
    snprintf(text, sizeof(text), "%sreturn_window_days = 28\n", valid);
    cr_assert_gt(config_load(write_file("w.conf", text), &c, &p), 0);
    config_problems_free(&p);
    config_free(&c);
}

Test(config, capture_retries_end_a_day_before_the_authorization_expires)
{
    char text[2048];
    struct rma_config c;
    struct config_problems p;
    /* 25 days + 2 retries 36 h apart = 672 h: exactly day 28. */
    snprintf(text, sizeof(text),
             "%scapture_max_attempts = 3\ncapture_retry_hours = 36\n", valid);
    cr_assert_eq(config_load(write_file("r.conf", text), &c, &p), 0);
    config_free(&c);
    snprintf(text, sizeof(text),
             "%scapture_max_attempts = 3\ncapture_retry_hours = 37\n", valid);
    cr_assert_gt(config_load(write_file("r.conf", text), &c, &p), 0);
    cr_assert(has_problem(&p, "capture_max_attempts: the last retry"));
    config_problems_free(&p);
    config_free(&c);
    /* The defaults with the longest window do not fit. */
    snprintf(text, sizeof(text), "%sreturn_window_days = 27\n", valid);
    cr_assert_gt(config_load(write_file("r.conf", text), &c, &p), 0);
    cr_assert(has_problem(&p, "capture_max_attempts"));
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

/* The minimal file with the given public and PayPal URLs and extra lines. */
static size_t
load_with(const char *public_url, const char *paypal_url, const char *extra,
          struct rma_config *c, struct config_problems *p)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "database_url = postgresql:///rma\n"
             "public_base_url = %s\n"
             "paypal_base_url = %s\n"
             "paypal_client_id = id\n"
             "paypal_client_secret = s3cret\n"
             "secret_pepper = 0123456789abcdef0123456789abcdef\n"
             "upload_dir = /var/lib/rma/uploads\n"
             "mail_from = RMA <rma@example.com>\n"
             "mail_spool_dir = /var/spool/rma\n"
             "%s",
             public_url, paypal_url, extra);
    return config_load(write_file("t.conf", text), c, p);
}

/* X-Rma-Test-Now moves the service's clock: its own key, off by default,
 * and like test_mode only ever beside loopback URLs. */
Test(config, test_clock_is_its_own_key_for_loopback_stacks_only)
{
    struct rma_config c;
    struct config_problems p;
    cr_assert_eq(load_with("http://127.0.0.1:8080", "http://127.0.0.1:8089",
                           "test_mode = true\ntest_clock = true\n", &c, &p),
                 0, "%s", p.n ? p.msg[0] : "");
    config_free(&c);
    cr_assert_eq(load_with("http://localhost:8080", "http://[::1]:8089",
                           "test_mode = true\ntest_clock = true\n", &c, &p),
                 0, "%s", p.n ? p.msg[0] : "");
    config_free(&c);
    cr_assert_eq(load_with("http://127.3.2.1", "https://localhost:8443",
                           "test_clock = yes\n", &c, &p),
                 0, "%s", p.n ? p.msg[0] : "");
    config_free(&c);
}

Test(config, test_mode_or_test_clock_with_a_public_url_is_refused)
{
    static const struct {
        const char *public_url, *paypal_url, *extra, *named;
    } bad[] = {
        {"https://rma.example.com", "http://127.0.0.1:8089",
         "test_mode = true\n", "public_base_url"},
        {"http://127.0.0.1:8080", "https://api-m.paypal.com",
         "test_mode = true\n", "paypal_base_url"},
        {"http://127.0.0.1:8080", "https://api-m.sandbox.paypal.com",
         "test_clock = true\n", "paypal_base_url"},
        {"https://rma.example.com", "https://api-m.paypal.com",
         "test_clock = true\n", "public_base_url"},
        {"http://127.0.0.1.example.com", "http://127.0.0.1:8089",
         "test_mode = true\n", "public_base_url"},
        {"http://localhost.example.com", "http://127.0.0.1:8089",
         "test_mode = true\n", "public_base_url"},
        {"http://127.0.0.1@evil.example.com", "http://127.0.0.1:8089",
         "test_mode = true\n", "public_base_url"},
        {"http://10.0.0.1:8080", "http://127.0.0.1:8089", "test_clock = true\n",
         "public_base_url"},
        {"http://127.0.0.1:8080", "http://[::2]:8089", "test_mode = true\n",
         "paypal_base_url"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rma_config c;
        struct config_problems p;
        cr_expect_gt(load_with(bad[i].public_url, bad[i].paypal_url,
                               bad[i].extra, &c, &p),
                     0, "case %zu is refused", i);
        int named = 0;
        for (size_t j = 0; j < p.n; j++)
            if (strstr(p.msg[j], bad[i].named) != NULL &&
                strstr(p.msg[j], "loopback") != NULL)
                named = 1;
        cr_expect(named, "case %zu names %s as not loopback: %s", i,
                  bad[i].named, p.n ? p.msg[0] : "(no problem)");
        config_problems_free(&p);
        config_free(&c);
    }
}

/* rmactl config check names it and exits 2. */
Test(config, config_check_refuses_test_mode_with_public_urls)
{
    const char *builddir = getenv("top_builddir");
    if (builddir == NULL)
        cr_skip_test("top_builddir is not set: run with make check");
    char text[2048], cmd[2048];
    snprintf(text, sizeof(text), "%stest_mode = true\n", valid);
    const char *path = write_file("check.conf", text);
    snprintf(cmd, sizeof(cmd), "'%s/rmactl' --config '%s' config check 2>&1",
             builddir, path);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    int status = pclose(f);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2, "exit %d: %s",
              WEXITSTATUS(status), out);
    cr_expect(strstr(out, "test_mode") != NULL &&
                  strstr(out, "paypal_base_url") != NULL,
              "%s", out);
}

/* The namespace of PayPal-Request-Ids leaves room for the installation's
 * random prefix (paypal_intent.h). */
Test(config, paypal_request_id_prefix_is_short_and_plain)
{
    char text[2048];
    struct rma_config c;
    struct config_problems p;
    const char *ok[] = {"rma", "rma-staging-eu1"},
               *bad[] = {"rma-staging-eu-1", "rma_x", "rma x", "\"\""};
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof(text), "%spaypal_request_id_prefix = %s\n", valid,
                 ok[i]);
        cr_assert_eq(config_load(write_file("r.conf", text), &c, &p), 0,
                     "%s is allowed", ok[i]);
        config_free(&c);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(text, sizeof(text), "%spaypal_request_id_prefix = %s\n", valid,
                 bad[i]);
        cr_assert_gt(config_load(write_file("r.conf", text), &c, &p), 0,
                     "%s is refused", bad[i]);
        cr_assert(has_problem(&p, "paypal_request_id_prefix"));
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

/* SPEC §14: the payee the portal names, and its invoice page. */
Test(config, the_makeup_payee_is_one_line_and_its_invoice_https)
{
    char text[2048];
    struct rma_config c;
    struct config_problems p;
    snprintf(text, sizeof(text),
             "%smakeup_payee = payments@vendor.example\n"
             "makeup_invoice_url = https://vendor.example/invoice\n",
             valid);
    cr_assert_eq(config_load(write_file("m.conf", text), &c, &p), 0);
    cr_assert_str_eq(c.makeup_payee, "payments@vendor.example");
    config_free(&c);
    char payee[300];
    memset(payee, 'a', 254);
    payee[254] = '\0';
    snprintf(text, sizeof(text), "%smakeup_payee = %s\n", valid, payee);
    cr_assert_eq(config_load(write_file("m.conf", text), &c, &p), 0,
                 "254 characters");
    config_free(&c);
    snprintf(text, sizeof(text), "%smakeup_payee = %sa\n", valid, payee);
    cr_assert_gt(config_load(write_file("m.conf", text), &c, &p), 0);
    cr_assert(has_problem(&p, "makeup_payee"));
    config_problems_free(&p);
    config_free(&c);
    snprintf(text, sizeof(text),
             "%smakeup_invoice_url = http://vendor.example/invoice\n", valid);
    cr_assert_gt(config_load(write_file("m.conf", text), &c, &p), 0);
    cr_assert(has_problem(&p, "makeup_invoice_url"));
    config_problems_free(&p);
    config_free(&c);
}
