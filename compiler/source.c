// SPDX-License-Identifier: BSD-2-Clause
#include "source.h"

#include <string.h>

#include "arena.h"

struct polc_source *polc_source_new(struct arena *a, const char *name,
				    const char *text, size_t len)
{
	struct polc_source *src = arena_alloc(a, sizeof(*src));

	src->name = arena_strdup(a, name);
	src->text = arena_strndup(a, text, len);
	src->len = len;

	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	src->line_start = arena_calloc(a, lines, sizeof(size_t));
	src->n_lines = 0;
	src->line_start[src->n_lines++] = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n' && i + 1 <= len && src->n_lines < lines)
			src->line_start[src->n_lines++] = i + 1;
	return src;
}

const char *polc_source_line(const struct polc_source *src, uint32_t line,
			     size_t *len)
{
	if (!src || line == 0 || line > src->n_lines)
		return NULL;
	size_t start = src->line_start[line - 1];
	size_t end = start;
	while (end < src->len && src->text[end] != '\n')
		end++;
	if (end > start && src->text[end - 1] == '\r')
		end--;
	*len = end - start;
	return src->text + start;
}

struct polc_loc polc_loc_span(struct polc_loc a, struct polc_loc b)
{
	struct polc_loc l = a;

	if (b.end_line > a.end_line ||
	    (b.end_line == a.end_line && b.end_col > a.end_col)) {
		l.end_line = b.end_line;
		l.end_col = b.end_col;
	}
	return l;
}
