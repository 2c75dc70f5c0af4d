/* fuzz_config.c - libFuzzer target: the configuration file parser
 * (src/config.c): "key = value" lines, comments, quotes, <key>_file
 * secrets, and the checks config_load runs on the result.
 *
 * Input: the file itself.  RMA_* variables are cleared first so that only
 * the file speaks.  Secret files may name $TMPDIR/rma-fuzz-config/pepper
 * (40 characters) or .../big (70 KiB); inputs naming /dev, /proc, /sys or
 * /run are skipped (a FIFO there would block the read).
 *
 * Invariants: at most CONFIG_MAX_PROBLEMS problems, each "something: what";
 * a configuration without problems satisfies every rule config.h and
 * SPEC §9 state (required keys, ranges, URLs, reminders strictly
 * decreasing inside the return window, the review policy); everything is
 * freed (LeakSanitizer). */
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "rma/config.h"

static char path[4096];

static void
write_file(const char *name, const char *dir, size_t n, char fill)
{
    char p[4200], tmp[4300];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s.%ld", p, (long)getpid());
    FILE *f = fopen(tmp, "w");
    FUZZ_ASSERT(f != NULL);
    for (size_t i = 0; i < n; i++)
        fputc(fill + (char)(i % 10), f);
    fputc('\n', f);
    fclose(f);
    FUZZ_ASSERT(rename(tmp, p) == 0);
}

static void
remove_input(void)
{
    (void)unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_quiet_logs();
    /* Only the file speaks: no RMA_* from the environment. */
    for (;;) {
        char **e = environ;
        while (*e && strncmp(*e, "RMA_", 4) != 0)
            e++;
        if (*e == NULL)
            break;
        char name[256];
        size_t n = strcspn(*e, "=");
        snprintf(name, sizeof(name), "%.*s", (int)n, *e);
        FUZZ_ASSERT(unsetenv(name) == 0);
    }
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[2048];
    snprintf(dir, sizeof(dir), "%s/rma-fuzz-config", tmp);
    (void)mkdir(dir, 0700);
    write_file("pepper", dir, 40, '0');
    write_file("big", dir, 70 * 1024, 'a');
    snprintf(path, sizeof(path), "%s/rma-fuzz-config-XXXXXX", tmp);
    int fd = mkstemp(path);
    FUZZ_ASSERT(fd >= 0);
    close(fd);
    atexit(remove_input);
    return 0;
}

static int
empty(const char *s)
{
    return s == NULL || *s == '\0';
}

static int
starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether url's host, read independently of config.c, is 127.x.y.z,
 * [::1] or localhost. */
static int
loopback(const char *url)
{
    const char *h = strstr(url, "://");
    if (h == NULL)
        return 0;
    h += 3;
    size_t n = strcspn(h, "/?#");
    if (memchr(h, '@', n) != NULL)
        return 0;
    if (starts(h, "[::1]"))
        return n == 5 || h[5] == ':';
    size_t host = strcspn(h, ":/?#");
    if (host == 9 && strncasecmp(h, "localhost", 9) == 0)
        return 1;
    return starts(h, "127.") && strspn(h, "0123456789.") == host;
}

static void
check_valid(const struct rma_config *c)
{
    FUZZ_ASSERT(!empty(c->database_url) && !empty(c->public_base_url));
    FUZZ_ASSERT(!empty(c->paypal_base_url) && !empty(c->paypal_client_id));
    FUZZ_ASSERT(!empty(c->paypal_client_secret) && !empty(c->mail_from));
    FUZZ_ASSERT(!empty(c->admin_database_url));
    FUZZ_ASSERT(!empty(c->export_database_url));
    FUZZ_ASSERT(!empty(c->secret_pepper) && strlen(c->secret_pepper) >= 32);
    FUZZ_ASSERT(starts(c->public_base_url, "http://") ||
                starts(c->public_base_url, "https://"));
    FUZZ_ASSERT(c->public_base_url[strlen(c->public_base_url) - 1] != '/');
    FUZZ_ASSERT(starts(c->paypal_base_url, "https://") ||
                (c->test_mode && starts(c->paypal_base_url, "http://")));
    /* The test switches only ever beside loopback URLs. */
    if (c->test_mode || c->test_clock)
        FUZZ_ASSERT(loopback(c->public_base_url) &&
                    loopback(c->paypal_base_url));
    FUZZ_ASSERT(!empty(c->upload_dir) && c->upload_dir[0] == '/');
    FUZZ_ASSERT(!empty(c->smtp_url) || !empty(c->mail_spool_dir));
    FUZZ_ASSERT(empty(c->smtp_url) || starts(c->smtp_url, "smtp://") ||
                starts(c->smtp_url, "smtps://"));
    FUZZ_ASSERT(empty(c->mail_spool_dir) || c->mail_spool_dir[0] == '/');
    FUZZ_ASSERT(log_level_parse(c->log_level) >= 0);
    FUZZ_ASSERT(c->return_window_days >= 1 && c->return_window_days <= 27);
    FUZZ_ASSERT(c->max_body_bytes >= 1024 && c->max_body_bytes <= 1048576);
    FUZZ_ASSERT(c->session_idle_minutes >= 1 &&
                c->session_idle_minutes <= 1440);
    FUZZ_ASSERT(c->session_absolute_hours >= 1 &&
                c->session_absolute_hours <= 720);
    FUZZ_ASSERT(c->rate_codes_per_email >= 1 &&
                c->rate_codes_per_address >= 1 &&
                c->rate_sessions_per_address >= 1);
    FUZZ_ASSERT(c->n_reminders <= CONFIG_MAX_REMINDERS);
    for (size_t i = 0; i < c->n_reminders; i++) {
        FUZZ_ASSERT(c->reminders[i] >= 1 &&
                    c->reminders[i] < c->return_window_days);
        FUZZ_ASSERT(i == 0 || c->reminders[i] < c->reminders[i - 1]);
    }
    if (strcmp(c->supervisor_review, "always") == 0)
        FUZZ_ASSERT(c->review_policy == REVIEW_ALWAYS);
    else if (strcmp(c->supervisor_review, "never") == 0)
        FUZZ_ASSERT(c->review_policy == REVIEW_NEVER);
    else
        FUZZ_ASSERT(c->review_policy == REVIEW_THRESHOLD &&
                    c->review_threshold_minor >= 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const unsafe[] = {"/dev", "/proc", "/sys", "/run"};
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
        if (memmem(data, size, unsafe[i], strlen(unsafe[i])) != NULL)
            return 0;
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL);
    FUZZ_ASSERT(fwrite(data, 1, size, f) == size);
    fclose(f);

    struct rma_config cfg;
    struct config_problems p;
    size_t n = config_load(path, &cfg, &p);
    FUZZ_ASSERT(n == p.n && n <= CONFIG_MAX_PROBLEMS);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(p.msg[i] != NULL && p.msg[i][0] != '\0');
        FUZZ_ASSERT(strstr(p.msg[i], ": ") != NULL);
    }
    if (n == 0)
        check_valid(&cfg);
    config_free(&cfg);
    config_problems_free(&p);
    FUZZ_ASSERT(p.n == 0);
    return 0;
}
