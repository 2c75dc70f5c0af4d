/* peak_rss.c - runs a command and writes its peak resident set size, in
 * KiB, to a file: `peak_rss REPORT COMMAND [ARGS...]`.
 *
 * For the memory checks of tests/e2e/export_check.py and bench/export.sh.
 * Linux carries a process's peak RSS across exec, and a forked child starts
 * with its parent's pages, so a command started by a large process (the
 * Python test after parsing a few hundred thousand rows) reports that
 * process's size.  This helper is small and built without sanitizers: its
 * child starts from almost nothing.  Exits with the command's status (127
 * if it could not run). */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: peak_rss REPORT COMMAND [ARGS...]\n", stderr);
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak_rss: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("peak_rss: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("peak_rss: wait4");
        return 127;
    }
    FILE *report = fopen(argv[1], "w");
    if (report == NULL || fprintf(report, "%ld\n", ru.ru_maxrss) < 0 ||
        fclose(report) != 0) {
        perror("peak_rss: report");
        return 127;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
