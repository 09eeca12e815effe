/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * source.h: policy source text and locations in it.
 *
 * Every token, AST node, IR rule and generated rule carries a polc_loc.  A
 * location with no source is "internal": something the compiler made up.
 */
#ifndef POLC_SOURCE_H
#define POLC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct arena;

struct polc_source {
	const char *name; /* as given by the user; printed in diagnostics */
	const char *text; /* NUL-terminated copy of the contents */
	size_t len;
	size_t *line_start; /* offset of each line's first byte */
	size_t n_lines;
};

/* Lines and columns are 1-based; columns count bytes; end_col is one past
 * the last byte of the span. */
struct polc_loc {
	const struct polc_source *src;
	uint32_t line;
	uint32_t col;
	uint32_t end_line;
	uint32_t end_col;
};

/* Copy text (which need not be NUL-terminated) into a source owned by a. */
struct polc_source *polc_source_new(struct arena *a, const char *name,
				    const char *text, size_t len);

/* The bytes of line (1-based), without its newline; NULL when out of range. */
const char *polc_source_line(const struct polc_source *src, uint32_t line,
			     size_t *len);

/* A location spanning from the start of a to the end of b. */
struct polc_loc polc_loc_span(struct polc_loc a, struct polc_loc b);

#endif /* POLC_SOURCE_H */
