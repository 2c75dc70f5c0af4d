/* test_mail_sender.c - through nginx: mail that a request queues reaches the
 * spool within 5 s, delivered by the stack's `rmactl mail-sender` (woken by
 * the outbox's NOTIFY), with no `run-jobs` (SPEC §14).
 *
 * The spool file of message <id> is <created>-<id>.eml (mail_send.c), and
 * the sender logs "mail_sent" with the id under its own pid, so each test
 * knows which file to wait for and who wrote it.  Nothing here runs
 * run-jobs; the workers no longer deliver (http_server.c). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"

#define DEADLINE_MS 5000

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* One value from psql as the admin; owned, without its LF. */
static char *
sql_value(const char *sql)
{
    char *out = harness_runf(false, "'%s' '%s' -XAtq -c \"%s\"",
                             harness_env("RMA_TEST_PSQL"),
                             harness_env("RMA_TEST_ADMIN_URL"), sql);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* The id of the newest message of kind to email, waiting for its row. */
static long long
message_id(const char *email, const char *kind)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT coalesce(max(id), 0) FROM mail_outbox"
             " WHERE to_addr = lower('%s') AND kind = '%s'",
             email, kind);
    char *v = sql_value(sql);
    long long id = strtoll(v, NULL, 10);
    free(v);
    cr_assert_gt(id, 0, "no %s message queued for %s", kind, email);
    return id;
}

/* Whether the spool has the file of message id; its name into name. */
static bool
spooled(long long id, char *name, size_t n)
{
    char dir[1024], suffix[40];
    snprintf(dir, sizeof(dir), "%s/mail", harness_env("RMA_TEST_RUN"));
    snprintf(suffix, sizeof(suffix), "-%lld.eml", id);
    size_t sl = strlen(suffix);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] != '.' && l > sl &&
            strcmp(e->d_name + l - sl, suffix) == 0) {
            snprintf(name, n, "%s/%s", dir, e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

/* Waits for message id's spool file; the milliseconds from t0, or -1. */
static double
wait_spooled(long long id, double t0, char *name, size_t n)
{
    while (now_ms() - t0 < DEADLINE_MS + 1000) {
        if (spooled(id, name, n))
            return now_ms() - t0;
        usleep(20 * 1000);
    }
    return -1;
}

/* Whether the stack's sender (its pid file) logged mail_sent for id. */
static bool
sent_by_sender(long long id)
{
    char *pid = harness_runf(false, "cat '%s/rma-mail-sender.pid'",
                             harness_env("RMA_TEST_RUN"));
    pid[strcspn(pid, "\n")] = '\0';
    char *n = harness_runf(
        true,
        "grep -c '\"pid\":%s,.*\"event\":\"mail_sent\",\"id\":%lld,' "
        "'%s/log/rma-mail-sender.log'",
        pid, id, harness_env("RMA_TEST_RUN"));
    bool yes = strtol(n, NULL, 10) == 1;
    free(pid);
    free(n);
    return yes;
}

/* An agent's token under a name of this process's (names are unique). */
static char *
agent_token(void)
{
    char *name = harness_unique_email("mail-sender-agent");
    char *token = harness_staff_token("agent", name);
    free(name);
    return token;
}

static void
ask_code(const char *email)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\"}", email);
    struct http_result r =
        harness_http("POST", "/api/v1/auth/code",
                     harness_portal_headers(NULL, NULL), body, strlen(body));
    cr_assert_eq(r.status, 202, "%s", r.body);
    harness_http_free(&r);
}

Test(mail_sender, a_sign_in_code_reaches_the_spool_within_5_s_without_run_jobs)
{
    char *agent = agent_token();
    char *email = harness_unique_email("sender-code");
    free(harness_create_case(agent, email, "replacement", false));

    double t0 = now_ms();
    ask_code(email);
    long long id = message_id(email, "login_code");
    char name[1400];
    double took = wait_spooled(id, t0, name, sizeof(name));
    cr_assert_geq(took, 0, "message %lld not in the spool after %d ms", id,
                  DEADLINE_MS + 1000);
    cr_assert_lt(took, DEADLINE_MS, "took %.0f ms", took);
    cr_log_info("sign-in code %lld in the spool %.0f ms after the request", id,
                took);

    char *eml = harness_runf(false, "cat '%s'", name);
    char to[300];
    snprintf(to, sizeof(to), "\r\nTo: %s\r\n", email);
    cr_assert_not_null(strstr(eml, to), "%s", eml);
    cr_assert_not_null(strstr(eml, "\r\nCode: "), "%s", eml);
    free(eml);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT sent_at IS NOT NULL AND attempts = 1 FROM mail_outbox"
             " WHERE id = %lld",
             id);
    char *v = sql_value(sql);
    cr_assert_str_eq(v, "t", "marked sent after one attempt");
    free(v);
    cr_assert(sent_by_sender(id), "the sender delivered message %lld", id);
    free(email);
    free(agent);
}

Test(mail_sender, a_staff_action_mails_the_customer_within_5_s)
{
    char *agent = agent_token();
    char *email = harness_unique_email("sender-action");

    double t0 = now_ms();
    char *number = harness_create_case(agent, email, "replacement", true);
    long long id = message_id(email, "action_required");
    char name[1400];
    double took = wait_spooled(id, t0, name, sizeof(name));
    cr_assert_geq(took, 0, "message %lld not in the spool", id);
    cr_assert_lt(took, DEADLINE_MS, "took %.0f ms", took);
    char *eml = harness_runf(false, "cat '%s'", name);
    cr_assert_not_null(strstr(eml, number), "%s", eml);
    free(eml);
    cr_assert(sent_by_sender(id), "the sender delivered message %lld", id);
    free(number);
    free(email);
    free(agent);
}

Test(mail_sender, a_code_for_an_address_without_cases_is_dropped_at_once)
{
    char *email = harness_unique_email("sender-nobody");
    double t0 = now_ms();
    ask_code(email);
    long long id = message_id(email, "login_code_unknown");
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT sent_at IS NOT NULL AND body = '' FROM mail_outbox"
             " WHERE id = %lld",
             id);
    bool done = false;
    while (!done && now_ms() - t0 < DEADLINE_MS) {
        char *v = sql_value(sql);
        done = strcmp(v, "t") == 0;
        free(v);
        if (!done)
            usleep(50 * 1000);
    }
    cr_assert(done, "message %lld not dropped within %d ms", id, DEADLINE_MS);
    char name[1400];
    cr_assert_not(spooled(id, name, sizeof(name)), "nothing delivered: %s",
                  name);
    free(email);
}
