/* main_fcgi.c - rma-fcgi: configuration, signals, and either one worker or a
 * supervisor that preforks workers, replaces the ones that die, reloads on
 * SIGHUP and stops gracefully on SIGTERM.  The listening socket is the one
 * --socket PATH opens, else the one systemd passed (LISTEN_FDS), else fd 0
 * (spawn-fcgi, StandardInput=socket). */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rma/api.h"
#include "rma/config.h"
#include "rma/log.h"
#include "rma/metrics.h"

#define MAX_WORKERS 256
#define STOP_GRACE_SECONDS 30
/* sd_listen_fds(3): the first socket systemd passes. */
#define SYSTEMD_FIRST_FD 3

static volatile int worker_stop;
static volatile sig_atomic_t got_chld, got_hup, got_term;

static void
usage(FILE *f)
{
    fprintf(f, "usage: rma-fcgi [--config FILE] [--socket PATH] [--workers N] "
               "[--socket-mode MODE]\n"
               "  without --socket, serves the socket systemd passed "
               "(LISTEN_FDS) or fd 0;\n"
               "  with --workers N (default 4 with --socket), preforks N "
               "workers on it\n");
}

/* ------------------------------------------------------------------ */
/* Worker */

static void
on_worker_term(int sig)
{
    (void)sig;
    worker_stop = 1;
    FCGX_ShutdownPending();
}

static int
worker_main(const struct rma_config *cfg, int listen_fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_worker_term; /* no SA_RESTART: accept() returns */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    struct app app = {.cfg = cfg};
    db_init(&app.db, cfg->database_url, "rma-fcgi");
    if (strcmp(cfg->export_database_url, cfg->database_url) != 0)
        db_init(&app.export_db, cfg->export_database_url, "rma-fcgi-export");
    log_event(LOG_INFO, "worker_started", NULL);
    int rc = http_serve(&app, listen_fd, &worker_stop);
    db_close(&app.db);
    db_close(&app.export_db);
    log_event(LOG_INFO, "worker_stopped", NULL);
    return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* Supervisor */

struct worker {
    pid_t pid; /* 0 = free slot */
    unsigned generation;
};

static struct worker workers[MAX_WORKERS * 2];

static void
on_signal(int sig)
{
    if (sig == SIGCHLD)
        got_chld = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
}

static pid_t
spawn(const struct rma_config *cfg, int listen_fd, unsigned generation)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_event(LOG_ERROR, "fork_failed", "{s:s}", "error", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the supervisor */
        if (getppid() == 1)
            _exit(0);
        _exit(worker_main(cfg, listen_fd));
    }
    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
        if (workers[i].pid == 0) {
            workers[i].pid = pid;
            workers[i].generation = generation;
            break;
        }
    return pid;
}

static size_t
count_workers(void)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
        n += workers[i].pid != 0;
    return n;
}

static void
signal_generation(int sig, unsigned generation, int all)
{
    for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
        if (workers[i].pid != 0 && (all || workers[i].generation == generation))
            kill(workers[i].pid, sig);
}

/* Reaps dead workers; returns how many of the current generation died. */
static int
reap(unsigned generation, int stopping)
{
    int died = 0;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
            if (workers[i].pid != pid)
                continue;
            workers[i].pid = 0;
            int current = workers[i].generation == generation;
            if (current && !stopping) {
                died++;
                if (WIFSIGNALED(status))
                    log_event(LOG_ERROR, "worker_died", "{s:i, s:i}", "worker",
                              (int)pid, "signal", WTERMSIG(status));
                else
                    log_event(LOG_ERROR, "worker_exited", "{s:i, s:i}",
                              "worker", (int)pid, "status",
                              WEXITSTATUS(status));
            }
        }
    }
    return died;
}

static int
open_socket(const char *path, int mode)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* a stale socket from an earlier run */
    int fd = FCGX_OpenSocket(path, 1024);
    if (fd < 0) {
        fprintf(stderr, "rma-fcgi: cannot listen on %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    if (chmod(path, (mode_t)mode) != 0) {
        fprintf(stderr, "rma-fcgi: chmod %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* A decimal value of the environment, or -1 if unset or not one. */
static long
env_number(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return -1;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno || *end || n < 0 ? -1 : n;
}

/* The listening socket systemd passed to this process (LISTEN_PID is ours,
 * LISTEN_FDS is 1: fd 3), or -1 when none was, or -2 when more than one was
 * (said on stderr).  Unsets the variables, as sd_listen_fds(3) does, so that
 * nothing started later takes them for its own. */
static int
systemd_socket(void)
{
    long pid = env_number("LISTEN_PID");
    long fds = env_number("LISTEN_FDS");
    if (pid != (long)getpid() || fds < 1)
        return -1;
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (fds != 1) {
        fprintf(stderr,
                "rma-fcgi: systemd passed %ld sockets; the socket unit must "
                "listen on exactly one\n",
                fds);
        return -2;
    }
    return SYSTEMD_FIRST_FD;
}

/* true when fd is a listening stream socket. */
static bool
listening(int fd)
{
    int type = 0, accepting = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_STREAM)
        return false;
    len = sizeof(accepting);
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 &&
           accepting;
}

static int
load_config(const char *path, struct rma_config *cfg)
{
    struct config_problems p;
    size_t n = config_load(path, cfg, &p);
    for (size_t i = 0; i < p.n; i++)
        log_event(LOG_ERROR, "config_problem", "{s:s}", "problem", p.msg[i]);
    config_problems_free(&p);
    if (n > 0) {
        config_free(cfg);
        return -1;
    }
    log_set_level((enum log_level)log_level_parse(cfg->log_level));
    return 0;
}

static int
supervise(const char *config_path, struct rma_config *cfg, int listen_fd,
          int nworkers)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);

    unsigned generation = 1;
    for (int i = 0; i < nworkers; i++)
        spawn(cfg, listen_fd, generation);
    log_event(LOG_INFO, "supervisor_started", "{s:i}", "workers", nworkers);

    time_t last_restart = 0;
    int fast_restarts = 0;
    while (!got_term) {
        sigsuspend(&old); /* wait for any of the blocked signals */
        if (got_chld) {
            got_chld = 0;
            int died = reap(generation, 0);
            for (int i = 0; i < died && !got_term; i++) {
                time_t now = time(NULL);
                fast_restarts = now - last_restart < 1 ? fast_restarts + 1 : 0;
                last_restart = now;
                if (fast_restarts > 10) /* crash loop: slow down */
                    sleep(1);
                metrics_count_worker_restart();
                pid_t pid = spawn(cfg, listen_fd, generation);
                log_event(LOG_INFO, "worker_replaced", "{s:i}", "worker",
                          (int)pid);
            }
        }
        if (got_hup) {
            got_hup = 0;
            struct rma_config fresh;
            if (load_config(config_path, &fresh) != 0) {
                log_event(LOG_ERROR, "reload_refused", "{s:s}", "reason",
                          "configuration has problems");
                continue;
            }
            /* New workers first, then the old ones finish and leave. */
            unsigned old_gen = generation++;
            config_free(cfg);
            *cfg = fresh;
            for (int i = 0; i < nworkers; i++)
                spawn(cfg, listen_fd, generation);
            signal_generation(SIGTERM, old_gen, 0);
            log_event(LOG_INFO, "reloaded", "{s:i}", "generation",
                      (int)generation);
        }
    }

    log_event(LOG_INFO, "supervisor_stopping", NULL);
    signal_generation(SIGTERM, 0, 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (int tick = 0; tick < STOP_GRACE_SECONDS * 10 && count_workers() > 0;
         tick++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        reap(generation, 1);
        if (tick % 10 == 9) /* a worker may have missed it entering accept */
            signal_generation(SIGTERM, 0, 1);
    }
    if (count_workers() > 0) {
        log_event(LOG_WARN, "workers_killed", "{s:i}", "count",
                  (int)count_workers());
        signal_generation(SIGKILL, 0, 1);
        while (waitpid(-1, NULL, 0) > 0)
            ;
    }
    log_event(LOG_INFO, "supervisor_stopped", NULL);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *config_path = NULL;
    const char *socket_path = NULL;
    int nworkers = 0;
    int mode = 0660;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'},
        {"workers", required_argument, NULL, 'w'},
        {"socket-mode", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:s:w:m:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'c': config_path = optarg; break;
        case 's': socket_path = optarg; break;
        case 'w':
            errno = 0;
            nworkers = (int)strtol(optarg, &end, 10);
            if (errno || *end || nworkers < 1 || nworkers > MAX_WORKERS) {
                fprintf(stderr, "rma-fcgi: --workers takes 1..%d\n",
                        MAX_WORKERS);
                return 2;
            }
            break;
        case 'm':
            errno = 0;
            mode = (int)strtol(optarg, &end, 8);
            if (errno || *end || mode < 0 || mode > 0777) {
                fprintf(stderr,
                        "rma-fcgi: --socket-mode takes an octal mode\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (config_path == NULL)
        config_path = config_default_path();

    struct rma_config cfg;
    if (load_config(config_path, &cfg) != 0) {
        fprintf(stderr, "rma-fcgi: configuration has problems (see log); "
                        "`rmactl config check` lists them\n");
        return 2;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "rma-fcgi: FCGX_Init failed\n");
        return 1;
    }
    if (metrics_init(n_routes) != RMA_OK) {
        fprintf(stderr, "rma-fcgi: cannot map the metrics\n");
        return 1;
    }

    int rc;
    if (socket_path != NULL) {
        int fd = open_socket(socket_path, mode);
        if (fd < 0)
            return 1;
        rc = supervise(config_path, &cfg, fd, nworkers ? nworkers : 4);
        close(fd);
        unlink(socket_path);
    } else {
        /* The socket belongs to whoever passed it: it is neither made nor
         * removed here. */
        int fd = systemd_socket();
        if (fd < 0 && fd != -2)
            fd = 0;
        if (fd >= 0 && !listening(fd)) {
            fprintf(stderr,
                    "rma-fcgi: fd %d is not a listening socket: run under "
                    "systemd socket activation or a FastCGI supervisor, or "
                    "use --socket PATH\n",
                    fd);
            fd = -2;
        }
        if (fd < 0) {
            rc = 2;
        } else {
            log_event(LOG_INFO, "listening", "{s:s, s:i}", "from",
                      fd == 0 ? "fd 0" : "systemd", "fd", fd);
            rc = nworkers > 0 ? supervise(config_path, &cfg, fd, nworkers)
                              : worker_main(&cfg, fd);
        }
    }
    config_free(&cfg);
    return rc;
}
