/* ledger_load.c - the ledger benchmark's load (SPEC §11, bench/ledger.sh):
 * CLIENTS processes, each with its own connection, post for SECONDS against
 * holds 1..HOLDS (whose case has the same id), one transaction at a time:
 *
 *   pair    what a capture posts (hold_outcomes.c): the hold's release and
 *           the capture, two entries in one statement
 *           (ledger_capture_with_release), each transaction on a hold of its
 *           own (a hold is released once: its key is hold:<id>:captured),
 *           from hold FIRST (default 1) on; running out of holds is an
 *           error;
 *   single  one capture entry per transaction (ledger_capture), the holds
 *           taken in turn.
 *
 * Prints one line:
 *
 *     entries=N seconds=S entries_per_s=X errors=E
 *
 * usage: ledger_load CONNINFO CLIENTS SECONDS HOLDS [pair|single [FIRST]] */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rma/db.h"
#include "rma/ledger.h"
#include "rma/ledger_ops.h"
#include "rma/log.h"

#define CLIENTS_MAX 256

struct tally {
    long entries;
    long errors;
};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
parse_long(const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
        return -1;
    return v;
}

/* One client: connects, waits for the start signal on go, posts until the
 * deadline, writes its tally to out. */
static int
client(const char *conninfo, int number, int clients, bool pair, long first,
       double seconds, long holds, int go, int out)
{
    struct db db;
    struct tally t = {0, 0};
    db_init(&db, conninfo, "ledger_load");
    if (db_ensure(&db) != RMA_OK) {
        fprintf(stderr, "ledger_load: client %d cannot connect\n", number);
        return 1;
    }
    char byte;
    if (read(go, &byte, 1) != 1)
        return 1;
    double deadline = now_s() + seconds;
    for (long n = 0; now_s() < deadline; n++) {
        char capture_id[48];
        snprintf(capture_id, sizeof(capture_id), "BENCH%d-%d-%ld",
                 (int)getpid(), number, n);
        int64_t hold = pair ? first + number + n * clients
                            : 1 + (number + n * CLIENTS_MAX) % holds;
        if (hold > holds) {
            fprintf(stderr, "ledger_load: client %d ran out of holds\n",
                    number);
            t.errors++;
            break;
        }
        enum rma_err err = db_begin(&db);
        if (err == RMA_OK && pair)
            err = ledger_capture_with_release(&db, hold, hold, 0, capture_id,
                                              "USD", 12999, 12999, 483);
        else if (err == RMA_OK)
            err = ledger_capture(&db, hold, hold, 0, capture_id, "USD", 12999,
                                 483);
        if (err == RMA_OK)
            err = db_commit(&db);
        if (err == RMA_OK) {
            t.entries += pair ? 2 : 1;
        } else {
            db_rollback(&db);
            t.errors++;
        }
    }
    db_close(&db);
    return write(out, &t, sizeof(t)) == (ssize_t)sizeof(t) ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc < 5 || argc > 7) {
        fputs("usage: ledger_load CONNINFO CLIENTS SECONDS HOLDS"
              " [pair|single [FIRST]]\n",
              stderr);
        return 2;
    }
    const char *mode = argc >= 6 ? argv[5] : "pair";
    long first = argc == 7 ? parse_long(argv[6], 1, 100000000) : 1;
    if (strcmp(mode, "pair") != 0 && strcmp(mode, "single") != 0) {
        fputs("ledger_load: the mode is pair or single\n", stderr);
        return 2;
    }
    long clients = parse_long(argv[2], 1, CLIENTS_MAX);
    long seconds = parse_long(argv[3], 1, 3600);
    long holds = parse_long(argv[4], 1, 100000000);
    if (clients < 0 || seconds < 0 || holds < 0 || first < 0) {
        fputs("ledger_load: CLIENTS 1..256, SECONDS 1..3600, HOLDS and FIRST"
              " >= 1\n",
              stderr);
        return 2;
    }
    log_set_level(LOG_ERROR);
    int go[2], results[2];
    if (pipe(go) != 0 || pipe(results) != 0)
        return 1;
    pid_t pids[CLIENTS_MAX];
    for (int i = 0; i < clients; i++) {
        pids[i] = fork();
        if (pids[i] < 0)
            return 1;
        if (pids[i] == 0) {
            close(go[1]);
            close(results[0]);
            _exit(client(argv[1], i, (int)clients, strcmp(mode, "pair") == 0,
                         first, (double)seconds, holds, go[0], results[1]));
        }
    }
    close(go[0]);
    close(results[1]);
    sleep(1); /* let every client connect */
    double start = now_s();
    char bytes[CLIENTS_MAX];
    memset(bytes, 'g', sizeof(bytes));
    if (write(go[1], bytes, (size_t)clients) != (ssize_t)clients)
        return 1;
    struct tally sum = {0, 0}, t;
    int reported = 0;
    while (read(results[0], &t, sizeof(t)) == (ssize_t)sizeof(t)) {
        sum.entries += t.entries;
        sum.errors += t.errors;
        reported++;
    }
    double elapsed = now_s() - start;
    int failed = 0;
    for (int i = 0; i < clients; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            failed = 1;
    }
    printf("entries=%ld seconds=%.2f entries_per_s=%.1f errors=%ld\n",
           sum.entries, elapsed, (double)sum.entries / elapsed, sum.errors);
    return failed || reported != clients ? 1 : 0;
}
