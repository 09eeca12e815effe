/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arena.h: the allocator that owns a compilation.
 *
 * Every AST node, IR object and string of a unit is allocated from the
 * unit's arena and freed at once with it, so passes never free anything and
 * error recovery in the parser cannot leak.  Allocation failure aborts with
 * a message: a compiler that runs out of memory has nothing better to do.
 */
#ifndef POLC_ARENA_H
#define POLC_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena **a);

/* Zeroed memory, aligned for any type. */
void *arena_alloc(struct arena *a, size_t size);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Bytes allocated so far (for -v and the benchmarks). */
size_t arena_used(const struct arena *a);

/*
 * A growable array in the arena: VEC(T) declares one; vec_push() appends.
 * Growth copies into a new block; the old block stays in the arena until the
 * unit is freed (amortised 2x, fine for a compiler).
 */
#define VEC(T)              \
	struct {            \
		T *v;       \
		size_t n;   \
		size_t cap; \
	}

void *arena_grow(struct arena *a, void *old, size_t n, size_t *cap,
		 size_t elem);

#define vec_push(a, vec, x)                                               \
	do {                                                              \
		if ((vec)->n == (vec)->cap)                               \
			(vec)->v = arena_grow((a), (vec)->v, (vec)->n,    \
					      &(vec)->cap,                \
					      sizeof(*(vec)->v));         \
		(vec)->v[(vec)->n++] = (x);                               \
	} while (0)

#endif /* POLC_ARENA_H */
