/* arena.h - a bump allocator for one request's lifetime.
 *
 * Everything allocated from an arena is freed at once by arena_reset (between
 * FastCGI requests) or arena_free.  Allocation failure aborts the process:
 * a worker out of memory cannot answer sensibly, and its supervisor restarts
 * it. */
#ifndef RMA_ARENA_H
#define RMA_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head; /* the chunk being filled */
    size_t chunk_size;        /* default size of a new chunk */
};

void arena_init(struct arena *a, size_t chunk_size);
/* Memory aligned for any type, owned by the arena. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees every chunk but the first, which is kept for the next request. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
