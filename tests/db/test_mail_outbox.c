/* test_mail_outbox.c - the mail outbox against the suite's PostgreSQL:
 * transactional enqueue, spool delivery, SMTP delivery (to a fake server)
 * and failures, concurrent senders, `rmactl mail-sender` processes killed
 * at random, retries, leases, giving up, rights.
 *
 * mail_deliver_due takes whatever is due, so the tests that deliver hold a
 * lock file for their whole process and start from an empty queue; the
 * suite starts its own mail sender only after this tier (tests/run-suite). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness.h"
#include "rma/config.h"
#include "rma/crypto.h"
#include "rma/db.h"
#include "rma/mail.h"

static char from[] = "RMA Service <rma@example.com>";
static char unreachable[] = "smtp://127.0.0.1:1";
static char smtp_user[] = "mailer";
static char smtp_password[] = "hunter2-not-in-logs";

/* psql as the admin against the suite's database; exit status. */
static int
psql(const char *sql, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "'%s' -X -q -At -v ON_ERROR_STOP=1 -h '%s/pg' -U rma_admin -d rma "
             "-c \"%s\" 2>&1",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"), sql);
    return harness_run(cmd, out);
}

/* One line of psql output for sql, into out (n bytes), without its LF. */
static const char *
query(const char *sql, char *out, size_t n)
{
    char *res;
    int rc = psql(sql, &res);
    cr_assert_eq(rc, 0, "%s: %s", sql, res);
    res[strcspn(res, "\n")] = '\0';
    snprintf(out, n, "%s", res);
    free(res);
    return out;
}

/* A word no other test uses, to find this test's rows. */
static void
new_mark(char out[24])
{
    unsigned char r[6];
    char hex[13];
    cr_assert_eq(crypto_random(r, sizeof(r)), RMA_OK);
    snprintf(out, 24, "t%d-%s", (int)getpid(), crypto_hex(r, 6, hex));
}

static void
lock_outbox(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/mail-outbox-test.lock",
             harness_env("RMA_TEST_RUN"));
    int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(flock(fd, LOCK_EX), 0); /* released when the test exits */
}

static void
new_spool(char *dir, size_t n)
{
    snprintf(dir, n, "%s/mail-test-XXXXXX", harness_env("RMA_TEST_RUN"));
    cr_assert_not_null(mkdtemp(dir));
}

static void
spool_config(struct rma_config *cfg, char *dir)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mail_from = from;
    cfg->mail_spool_dir = dir;
}

static void
smtp_config(struct rma_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mail_from = from;
    cfg->smtp_url = unreachable;
    cfg->smtp_user = smtp_user;
    cfg->smtp_password = smtp_password;
}

/* Takes everything due (other tests' leftovers) into a scratch spool. */
static void
drain(struct db *db)
{
    char dir[1024];
    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    while (mail_deliver_due(db, &cfg, 100) > 0)
        ;
}

/* The names of the files in dir (hidden ones too), sorted by readdir. */
static int
list_dir(const char *dir, char names[][256], int max)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n < max)
            snprintf(names[n], 256, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *s = calloc(1, 1024 * 1024);
    size_t n = fread(s, 1, 1024 * 1024 - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

Test(mail_outbox, an_enqueue_rolled_back_with_its_transaction_leaves_nothing)
{
    char mark[24], subject[64], sql[256], v[64];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "rolled back %s", mark);
    struct db db;
    lock_outbox(); /* its committed message must not reach another test */
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");

    cr_assert_eq(db_begin(&db), RMA_OK);
    cr_assert_eq(mail_enqueue(&db, "action_required", 0, "ada@example.com",
                              subject, "body"),
                 RMA_OK);
    db_rollback(&db);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM mail_outbox WHERE subject LIKE '%%%s'",
             mark);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "0");

    /* The same with COMMIT leaves exactly one, so the count above means
     * something. */
    cr_assert_eq(db_begin(&db), RMA_OK);
    cr_assert_eq(mail_enqueue(&db, "action_required", 42, "ada@example.com",
                              subject, "body"),
                 RMA_OK);
    cr_assert_eq(db_commit(&db), RMA_OK);
    snprintf(sql, sizeof(sql),
             "SELECT count(*), min(rma_id), min(attempts),"
             " bool_and(sent_at IS NULL AND next_attempt_at <= now())"
             " FROM mail_outbox WHERE subject LIKE '%%%s'",
             mark);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "1|42|0|t");

    snprintf(sql, sizeof(sql),
             "DELETE FROM mail_outbox WHERE subject LIKE '%%%s'", mark);
    query(sql, v, sizeof(v));
    db_close(&db);
}

Test(mail_outbox, a_spooled_message_is_one_eml_file_and_is_marked_sent)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[256], dir[1024];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "Grüße %s", mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);

    cr_assert_eq(mail_enqueue(&db, "action_required", 0, "ada@example.com",
                              subject, "Hello Ada,\n\nsee you.\n"),
                 RMA_OK);
    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 1);

    char names[4][256];
    cr_assert_eq(list_dir(dir, names, 4), 1, "one file, no temporary left");
    snprintf(sql, sizeof(sql),
             "SELECT id, message_id, attempts, sent_at IS NOT NULL,"
             " claimed_until IS NULL, last_error IS NULL,"
             " to_char(created_at AT TIME ZONE 'UTC', 'YYYYMMDD') || 'T' ||"
             " to_char(created_at AT TIME ZONE 'UTC', 'HH24MISS') || 'Z'"
             " FROM mail_outbox WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    long long id;
    char msgid[64], stamp[32], sent[2], unclaimed[2], noerr[2];
    int attempts;
    cr_assert_eq(sscanf(v, "%lld|%63[^|]|%d|%1[tf]|%1[tf]|%1[tf]|%31s", &id,
                        msgid, &attempts, sent, unclaimed, noerr, stamp),
                 7, "%s", v);
    cr_assert_eq(attempts, 1);
    cr_assert_str_eq(sent, "t");
    cr_assert_str_eq(unclaimed, "t");
    cr_assert_str_eq(noerr, "t");

    char want[300];
    snprintf(want, sizeof(want), "%s-%lld.eml", stamp, id);
    cr_assert_str_eq(names[0], want);
    char path[1400];
    snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644);

    char *eml = read_file(path);
    cr_assert_eq(strncmp(eml, "From: RMA Service <rma@example.com>\r\n", 37), 0,
                 "%s", eml);
    cr_assert_not_null(strstr(eml, "\r\nTo: ada@example.com\r\n"));
    cr_assert_not_null(strstr(eml, "\r\nSubject: =?UTF-8?B?"));
    cr_assert_not_null(strstr(eml, "\r\nDate: "));
    snprintf(want, sizeof(want), "\r\nMessage-ID: <%s@example.com>\r\n", msgid);
    cr_assert_not_null(strstr(eml, want), "%s", eml);
    cr_assert_not_null(strstr(eml, "\r\nMIME-Version: 1.0\r\n"));
    cr_assert_not_null(
        strstr(eml, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    cr_assert_not_null(
        strstr(eml, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
    cr_assert_not_null(strstr(eml, "\r\n\r\nHello Ada,\r\n\r\nsee you.\r\n"));
    free(eml);

    /* Nothing is due any more: no second file. */
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);
    cr_assert_eq(list_dir(dir, names, 4), 1);
    db_close(&db);
}

#define CONCURRENT_MESSAGES 40

Test(mail_outbox, two_concurrent_senders_deliver_each_message_exactly_once)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[64], dir[1024];
    new_mark(mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    for (int i = 0; i < CONCURRENT_MESSAGES; i++) {
        snprintf(subject, sizeof(subject), "concurrent %s #%d", mark, i);
        cr_assert_eq(mail_enqueue(&db, "reminder", i + 1, "ada@example.com",
                                  subject, "body\n"),
                     RMA_OK);
    }
    db_close(&db); /* the children must not share its socket */

    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    int start[2], result[2];
    cr_assert_eq(pipe(start), 0);
    cr_assert_eq(pipe(result), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        cr_assert_geq(kids[k], 0);
        if (kids[k] == 0) {
            close(start[1]);
            struct db mine;
            db_init(&mine, harness_env("RMA_TEST_APP_URL"), "test_mail_kid");
            int ok = db_ensure(&mine) == RMA_OK;
            char c;
            ssize_t got = read(start[0], &c, 1); /* both start together */
            (void)got;
            int n = ok ? mail_deliver_due(&mine, &cfg, 1000) : -1;
            got = write(result[1], &n, sizeof(n));
            db_close(&mine);
            _exit(0);
        }
    }
    close(start[0]);
    close(start[1]); /* go */
    int total = 0;
    for (int k = 0; k < 2; k++) {
        int n = -1, status;
        cr_assert_eq(read(result[0], &n, sizeof(n)), (ssize_t)sizeof(n));
        cr_assert_geq(n, 0, "a sender failed");
        total += n;
        cr_assert_eq(waitpid(kids[k], &status, 0), kids[k]);
    }
    close(result[0]);
    close(result[1]);
    cr_assert_eq(total, CONCURRENT_MESSAGES, "sent %d", total);

    static char names[CONCURRENT_MESSAGES + 8][256];
    cr_assert_eq(list_dir(dir, names, CONCURRENT_MESSAGES + 8),
                 CONCURRENT_MESSAGES);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM mail_outbox WHERE subject LIKE "
             "'concurrent %s #%%' AND sent_at IS NOT NULL AND attempts = 1",
             mark);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "40",
                     "each claimed once and sent");
}

Test(mail_outbox, a_delivery_repeated_after_a_crash_replaces_its_spool_file)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[64], dir[1024];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "repeated %s", mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    cr_assert_eq(mail_enqueue(&db, "reminder", 0, "ada@example.com", subject,
                              "Hello again.\n"),
                 RMA_OK);
    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 1);
    char names[4][256], path[1400];
    cr_assert_eq(list_dir(dir, names, 4), 1);
    snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
    char *first = read_file(path);

    /* A sender killed after the file's rename, before marking it sent:
     * the message is due again once the lease runs out. */
    snprintf(sql, sizeof(sql),
             "UPDATE mail_outbox SET sent_at = NULL, claimed_until = NULL"
             " WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 1, "delivered again");
    cr_assert_eq(list_dir(dir, names, 4), 1, "still one file, no temporary");
    char *second = read_file(path);
    cr_assert_str_eq(first, second, "the same message, Message-ID and Date");
    free(first);
    free(second);
    db_close(&db);
}

#define KILLED_MESSAGES 200
#define KILLED_LEASE "2" /* seconds: a killed sender's claim frees soon */
#define KILLS_MAX 40

static uint32_t
random_below(uint32_t n)
{
    uint32_t r;
    cr_assert_eq(crypto_random_below(n, &r), RMA_OK);
    return r;
}

/* `rmactl mail-sender` on the suite's configuration (RMA_CONFIG), spooling
 * into dir with a short lease, its log appended to log. */
static pid_t
start_sender(const char *dir, const char *log)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(127);
        setenv("RMA_MAIL_SPOOL_DIR", dir, 1);
        setenv("RMA_MAIL_LEASE_SECONDS", KILLED_LEASE, 1);
        setenv("RMA_LOG_LEVEL", "info", 1);
        execlp("rmactl", "rmactl", "mail-sender", "--interval", "1",
               (char *)NULL);
        _exit(127);
    }
    return pid;
}

static long
count_sent(const char *mark)
{
    char sql[256], v[32];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM mail_outbox WHERE subject LIKE "
             "'killed %s #%%' AND sent_at IS NOT NULL",
             mark);
    return strtol(query(sql, v, sizeof(v)), NULL, 10);
}

static int
by_number(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Two senders and a run-jobs-like loop over 200 messages queued while one
 * of the senders is killed with SIGKILL at random moments (and started
 * again): each message is delivered exactly once, one spool file each. */
Test(mail_outbox, two_senders_killed_at_random_deliver_each_message_once,
     .timeout = 240)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], dir[1024], log[1100];
    new_mark(mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    new_spool(dir, sizeof(dir));
    snprintf(log, sizeof(log), "%s.log", dir);

    pid_t senders[2] = {start_sender(dir, log), start_sender(dir, log)};

    /* As run-jobs' mail step does, on its own connection, until told. */
    /* Close-on-exec: a sender started later must not hold stop open. */
    int stop[2], result[2];
    cr_assert_eq(pipe2(stop, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(result, O_CLOEXEC), 0);
    pid_t jobs = fork();
    cr_assert_geq(jobs, 0);
    if (jobs == 0) {
        close(stop[1]);
        fcntl(stop[0], F_SETFL, O_NONBLOCK);
        struct rma_config cfg;
        spool_config(&cfg, dir);
        cfg.mail_lease_seconds = 2;
        struct db mine;
        db_init(&mine, harness_env("RMA_TEST_APP_URL"), "test_mail_jobs");
        int total = 0;
        char c;
        while (read(stop[0], &c, 1) < 0) { /* EOF: stop */
            int n = mail_deliver_due(&mine, &cfg, 10);
            if (n > 0)
                total += n;
            usleep(random_below(50) * 1000);
        }
        ssize_t w = write(result[1], &total, sizeof(total));
        (void)w;
        db_close(&mine);
        _exit(0);
    }
    close(stop[0]);

    int kills = 0;
    for (int i = 0; i < KILLED_MESSAGES; i++) {
        snprintf(subject, sizeof(subject), "killed %s #%d", mark, i);
        cr_assert_eq(mail_enqueue(&db, "reminder", i + 1, "ada@example.com",
                                  subject, "body\n"),
                     RMA_OK);
        if (random_below(8) == 0 && kills < KILLS_MAX) {
            int k = (int)random_below(2);
            cr_assert_eq(kill(senders[k], SIGKILL), 0);
            cr_assert_eq(waitpid(senders[k], NULL, 0), senders[k]);
            senders[k] = start_sender(dir, log);
            kills++;
        }
        usleep(random_below(5000));
    }
    /* More kills while the queue drains. */
    while (kills < KILLS_MAX && count_sent(mark) < KILLED_MESSAGES) {
        usleep(random_below(250) * 1000);
        int k = (int)random_below(2);
        cr_assert_eq(kill(senders[k], SIGKILL), 0);
        cr_assert_eq(waitpid(senders[k], NULL, 0), senders[k]);
        senders[k] = start_sender(dir, log);
        kills++;
    }
    /* Messages a killed sender held go out once their lease runs out. */
    long sent = 0;
    for (int i = 0; i < 600 && sent < KILLED_MESSAGES; i++) {
        sent = count_sent(mark);
        if (sent < KILLED_MESSAGES)
            usleep(100 * 1000);
    }
    close(stop[1]);
    int by_jobs = -1;
    cr_assert_eq(read(result[0], &by_jobs, sizeof(by_jobs)),
                 (ssize_t)sizeof(by_jobs));
    cr_assert_eq(waitpid(jobs, NULL, 0), jobs);
    for (int k = 0; k < 2; k++) {
        int status;
        cr_assert_eq(kill(senders[k], SIGTERM), 0);
        cr_assert_eq(waitpid(senders[k], &status, 0), senders[k]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "SIGTERM stops a sender cleanly (status %d)", status);
    }
    cr_assert_eq(sent, KILLED_MESSAGES, "sent %ld of %d", sent,
                 KILLED_MESSAGES);
    cr_assert_geq(kills, 10, "only %d kills", kills);

    /* One file per message: the files' ids are exactly the messages'. */
    static char names[KILLED_MESSAGES * 2][256];
    int n = list_dir(dir, names, KILLED_MESSAGES * 2);
    long long files[KILLED_MESSAGES * 2];
    int eml = 0, temporary = 0;
    for (int i = 0; i < n && i < KILLED_MESSAGES * 2; i++) {
        if (names[i][0] == '.') { /* a write cut short by SIGKILL */
            temporary++;
            continue;
        }
        const char *dash = strrchr(names[i], '-');
        cr_assert_not_null(dash, "%s", names[i]);
        files[eml++] = strtoll(dash + 1, NULL, 10);
    }
    cr_assert_eq(eml, KILLED_MESSAGES, "%d files for %d messages", eml,
                 KILLED_MESSAGES);
    qsort(files, (size_t)eml, sizeof(files[0]), by_number);
    snprintf(sql, sizeof(sql),
             "SELECT string_agg(id::text, ',' ORDER BY id) FROM mail_outbox"
             " WHERE subject LIKE 'killed %s #%%'",
             mark);
    char *ids;
    cr_assert_eq(psql(sql, &ids), 0, "%s", ids);
    char *p = ids;
    for (int i = 0; i < eml; i++) {
        char *end;
        long long id = strtoll(p, &end, 10);
        cr_assert_eq(files[i], id, "file %d is of message %lld, not %lld", i,
                     files[i], id);
        p = *end == ',' ? end + 1 : end;
    }
    free(ids);

    /* Marked sent at most once each (the UPDATE's own guard): the
     * senders' mail_sent lines and the loop's count add up to at most the
     * number of messages, and to at least that less one per kill (a
     * sender killed between marking and logging). */
    char cmd[1400], *out;
    snprintf(cmd, sizeof(cmd), "grep -c '\"event\":\"mail_sent\"' '%s'", log);
    harness_run(cmd, &out);
    long by_senders = strtol(out, NULL, 10);
    free(out);
    cr_assert_leq(by_senders + by_jobs, KILLED_MESSAGES,
                  "senders %ld + jobs %d", by_senders, by_jobs);
    cr_assert_geq(by_senders + by_jobs, KILLED_MESSAGES - kills,
                  "senders %ld + jobs %d", by_senders, by_jobs);
    cr_log_info("%d kills; %ld by the senders, %d by the jobs loop; %d "
                "temporary files left by kills",
                kills, by_senders, by_jobs, temporary);
    db_close(&db);
}

/* A one-connection SMTP server on 127.0.0.1 that accepts one message and
 * writes what the client said to transcript.  No STARTTLS (it answers 454,
 * which a sender without credentials may accept).  Returns its port. */
static int
fake_smtp(const char *transcript, pid_t *pid)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(s, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(s, 1), 0);
    cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *pid = fork();
    cr_assert_geq(*pid, 0);
    if (*pid > 0) {
        close(s);
        return ntohs(a.sin_port);
    }
    alarm(30);
    int c = accept(s, NULL, NULL);
    FILE *in = fdopen(c, "r+");
    FILE *log = fopen(transcript, "w");
    if (in == NULL || log == NULL)
        _exit(1);
    setvbuf(in, NULL, _IONBF, 0);
    fputs("220 fake ESMTP\r\n", in);
    char line[2048];
    bool data = false;
    while (fgets(line, sizeof(line), in) != NULL) {
        fputs(line, log);
        if (data) {
            if (strcmp(line, ".\r\n") == 0) {
                data = false;
                fputs("250 queued\r\n", in);
            }
        } else if (strncmp(line, "EHLO", 4) == 0 ||
                   strncmp(line, "MAIL", 4) == 0 ||
                   strncmp(line, "RCPT", 4) == 0) {
            fputs("250 ok\r\n", in);
        } else if (strncmp(line, "STARTTLS", 8) == 0) {
            fputs("454 TLS not available\r\n", in);
        } else if (strncmp(line, "DATA", 4) == 0) {
            data = true;
            fputs("354 go ahead\r\n", in);
        } else if (strncmp(line, "QUIT", 4) == 0) {
            fputs("221 bye\r\n", in);
            break;
        } else {
            fputs("500 what\r\n", in);
        }
    }
    fclose(log);
    fclose(in);
    _exit(0);
}

Test(mail_outbox, a_message_goes_out_by_smtp_with_its_envelope)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[256], url[64], transcript[1024];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "by smtp %s", mark);
    snprintf(transcript, sizeof(transcript), "%s/smtp-%s.txt",
             harness_env("RMA_TEST_RUN"), mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    cr_assert_eq(mail_enqueue(&db, "reminder", 0, "bob@example.net", subject,
                              "Hi Bob,\n.\nbye\n"),
                 RMA_OK);
    pid_t pid;
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d",
             fake_smtp(transcript, &pid));
    struct rma_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mail_from = from;
    cfg.smtp_url = url;
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 1);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);

    char *t = read_file(transcript);
    cr_assert_not_null(strstr(t, "MAIL FROM:<rma@example.com>"), "%s", t);
    cr_assert_not_null(strstr(t, "RCPT TO:<bob@example.net>\r\n"), "%s", t);
    cr_assert_not_null(strstr(t, "\r\nTo: bob@example.net\r\n"), "%s", t);
    cr_assert_not_null(strstr(t, "\r\nSubject: by smtp "), "%s", t);
    cr_assert_not_null(strstr(t, "\r\n\r\nHi Bob,\r\n=2E\r\nbye\r\n.\r\n"),
                       "%s", t);
    free(t);
    snprintf(sql, sizeof(sql),
             "SELECT attempts, sent_at IS NOT NULL FROM mail_outbox"
             " WHERE subject = '%s'",
             subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "1|t");
    db_close(&db);
}

Test(mail_outbox, credentials_are_never_sent_without_tls)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[1100], url[64], transcript[1024];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "no tls %s", mark);
    snprintf(transcript, sizeof(transcript), "%s/smtp-%s.txt",
             harness_env("RMA_TEST_RUN"), mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    cr_assert_eq(
        mail_enqueue(&db, "reminder", 0, "bob@example.net", subject, "x\n"),
        RMA_OK);
    pid_t pid;
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d",
             fake_smtp(transcript, &pid));
    struct rma_config cfg;
    smtp_config(&cfg);
    cfg.smtp_url = url;
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    char *t = read_file(transcript);
    cr_assert_not_null(strstr(t, "EHLO"), "%s", t);
    cr_assert_null(strstr(t, "AUTH"), "%s", t);
    cr_assert_null(strstr(t, "MAIL FROM"), "%s", t);
    free(t);
    snprintf(sql, sizeof(sql),
             "SELECT attempts, sent_at IS NULL, last_error FROM mail_outbox"
             " WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    cr_assert_eq(strncmp(v, "1|t|smtp: ", 10), 0, "%s", v);
    snprintf(sql, sizeof(sql), "DELETE FROM mail_outbox WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    db_close(&db);
}

Test(mail_outbox, an_unreachable_smtp_server_keeps_the_message_for_a_retry)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[1100];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "smtp down %s", mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    cr_assert_eq(mail_enqueue(&db, "hold_released", 7, "ada@example.com",
                              subject, "body\n"),
                 RMA_OK);
    struct rma_config cfg;
    smtp_config(&cfg);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);

    snprintf(sql, sizeof(sql),
             "SELECT attempts, sent_at IS NULL, failed_at IS NULL,"
             " claimed_until IS NULL, body = 'body' || chr(10),"
             " next_attempt_at BETWEEN now() + interval '45 seconds'"
             " AND now() + interval '61 seconds'"
             " FROM mail_outbox WHERE subject = '%s'",
             subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "1|t|t|t|t|t",
                     "kept, unclaimed, retried in about a minute");
    snprintf(sql, sizeof(sql),
             "SELECT last_error FROM mail_outbox WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    cr_assert_not_null(strstr(v, "smtp: "), "%s", v);
    cr_assert_null(strstr(v, smtp_password), "no secret: %s", v);
    cr_assert_null(strstr(v, "127.0.0.1:1/"), "no URL: %s", v);

    /* Not due before its time. */
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);
    snprintf(sql, sizeof(sql),
             "SELECT attempts FROM mail_outbox WHERE subject = '%s'", subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "1");

    /* When it is due again, the next failure waits twice as long. */
    snprintf(sql, sizeof(sql),
             "UPDATE mail_outbox SET next_attempt_at = now()"
             " WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);
    snprintf(sql, sizeof(sql),
             "SELECT attempts, next_attempt_at BETWEEN"
             " now() + interval '105 seconds' AND now() + interval '121 "
             "seconds' FROM mail_outbox WHERE subject = '%s'",
             subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "2|t");

    snprintf(sql, sizeof(sql), "DELETE FROM mail_outbox WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    db_close(&db);
}

Test(mail_outbox, a_message_a_day_old_that_fails_is_marked_failed_and_kept)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[256];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "too old %s", mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    cr_assert_eq(mail_enqueue(&db, "reminder", 0, "ada@example.com", subject,
                              "still here\n"),
                 RMA_OK);
    snprintf(sql, sizeof(sql),
             "UPDATE mail_outbox SET created_at = now() - interval '25 hours'"
             " WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    struct rma_config cfg;
    smtp_config(&cfg);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);
    snprintf(sql, sizeof(sql),
             "SELECT attempts, failed_at IS NOT NULL, sent_at IS NULL,"
             " body = 'still here' || chr(10), last_error IS NOT NULL"
             " FROM mail_outbox WHERE subject = '%s'",
             subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "1|t|t|t|t");

    /* A failed message is never taken again. */
    snprintf(sql, sizeof(sql),
             "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 "
             "hour' WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0);
    snprintf(sql, sizeof(sql),
             "SELECT attempts FROM mail_outbox WHERE subject = '%s'", subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "1");
    db_close(&db);
}

Test(mail_outbox, a_leased_message_waits_for_its_lease_to_run_out)
{
    lock_outbox();
    char mark[24], subject[64], sql[512], v[256], dir[1024];
    new_mark(mark);
    snprintf(subject, sizeof(subject), "leased %s", mark);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    cr_assert_eq(
        mail_enqueue(&db, "reminder", 0, "ada@example.com", subject, "x\n"),
        RMA_OK);
    /* As if a sender had claimed it and died. */
    snprintf(sql, sizeof(sql),
             "UPDATE mail_outbox SET claimed_until = now() + interval '1 "
             "hour', attempts = 1 WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 0, "still leased");

    snprintf(sql, sizeof(sql),
             "UPDATE mail_outbox SET claimed_until = now() - interval '1 "
             "second' WHERE subject = '%s'",
             subject);
    query(sql, v, sizeof(v));
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 1, "the lease ran out");
    snprintf(sql, sizeof(sql),
             "SELECT attempts, sent_at IS NOT NULL FROM mail_outbox"
             " WHERE subject = '%s'",
             subject);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "2|t");
    db_close(&db);
}

Test(mail_outbox, a_sent_login_code_is_not_kept_in_the_outbox)
{
    lock_outbox();
    char sql[512], v[256], dir[1024];
    struct mail_text t;
    cr_assert_eq(mail_text_login_code("654321", &t), RMA_OK);
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    drain(&db);
    char to[64], mark[24];
    new_mark(mark);
    snprintf(to, sizeof(to), "%s@example.com", mark);
    cr_assert_eq(mail_enqueue(&db, "login_code", 0, to, t.subject, t.body),
                 RMA_OK);
    mail_text_free(&t);
    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), 1);

    char names[2][256], path[1400];
    cr_assert_eq(list_dir(dir, names, 2), 1);
    snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
    char *eml = read_file(path);
    cr_assert_not_null(strstr(eml, "\r\nCode: 654321\r\n"));
    free(eml);
    snprintf(sql, sizeof(sql),
             "SELECT sent_at IS NOT NULL, body FROM mail_outbox"
             " WHERE to_addr = '%s'",
             to);
    cr_assert_str_eq(query(sql, v, sizeof(v)), "t|");
    db_close(&db);
}

Test(mail_outbox, delivery_inside_a_transaction_is_refused)
{
    struct db db;
    db_init(&db, harness_env("RMA_TEST_APP_URL"), "test_mail_outbox");
    char dir[1024];
    struct rma_config cfg;
    new_spool(dir, sizeof(dir));
    spool_config(&cfg, dir);
    cr_assert_eq(db_begin(&db), RMA_OK);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), -1,
                 "a claim must commit at once to be seen");
    db_rollback(&db);
    db_close(&db);
}

Test(mail_outbox, an_unavailable_database_is_reported)
{
    struct db db;
    db_init(&db, "host=/nonexistent dbname=rma user=nobody", "test_mail");
    char dir[] = "/nonexistent";
    struct rma_config cfg;
    spool_config(&cfg, dir);
    cr_assert_eq(mail_deliver_due(&db, &cfg, 10), -1);
    db_close(&db);
}

Test(mail_outbox, the_service_role_cannot_delete_mail)
{
    char cmd[2048], *out;
    snprintf(cmd, sizeof(cmd),
             "'%s' -X -q -At -h '%s/pg' -U rma_web -d rma -c "
             "\"DELETE FROM mail_outbox WHERE false\" 2>&1",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"));
    cr_assert_neq(harness_run(cmd, &out), 0);
    cr_assert_not_null(strstr(out, "permission denied"), "%s", out);
    free(out);
}
