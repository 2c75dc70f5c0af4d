/* fuzz.h - what the libFuzzer targets of tests/fuzz/ share.
 *
 * Each target is one file fuzz_<name>.c built by tests/fuzz/build with
 * clang -fsanitize=fuzzer,address,undefined.  Beyond "does not crash", a
 * target checks the parser's own invariants with FUZZ_ASSERT, which aborts
 * (libFuzzer then saves the input as a crash). */
#ifndef RMA_FUZZ_H
#define RMA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,         \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A NUL-terminated copy of data[0..n) (caller frees). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* Splits off the first line of *data (without its '\n') as a new string
 * (caller frees) and advances *data and *size past it. */
static inline char *
fuzz_take_line(const uint8_t **data, size_t *size)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *line = fuzz_strndup(*data, n);
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return line;
}

/* Keeps the service's log lines (rejections, warnings) off stderr, where
 * libFuzzer reports. */
static inline void
fuzz_quiet_logs(void)
{
    log_set_level((enum log_level)(LOG_ERROR + 1));
}

#endif
