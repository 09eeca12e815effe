// SPDX-License-Identifier: BSD-2-Clause
/*
 * setfile.c: read the elements of a file-backed set (set NAME : TYPE file
 * "path"), one per line, '#' to the end of the line a comment.
 *
 * The file becomes a source of the unit, so a bad line is reported like a
 * bad rule: file:line:col, the line, a caret.  Relative paths are relative
 * to the directory of the policy file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "element.h"
#include "unit.h"
#include "util.h"

#define SETFILE_MAX (512u << 20)

typedef VEC(struct ir_prefix) prefix_vec;
typedef VEC(struct ir_range) range_vec;

static char *resolve_path(struct polc_unit *u, const char *path)
{
	if (path[0] == '/')
		return arena_strdup(u->arena, path);
	const char *slash = strrchr(u->src->name, '/');
	if (!slash)
		return arena_strdup(u->arena, path);
	return arena_printf(u->arena, "%.*s/%s", (int)(slash - u->src->name), u->src->name, path);
}

static int read_all(const char *path, char **text, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (st.st_size > (off_t)SETFILE_MAX)
		return -EFBIG;
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *nb = cap < SETFILE_MAX ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				return -EFBIG;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;
			free(buf);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*text = buf;
	*len = n;
	return 0;
}

static struct polc_loc token_loc(const struct polc_source *src, uint32_t line, size_t col,
				 size_t len)
{
	return (struct polc_loc){ .src = src, .line = line, .col = (uint32_t)col + 1,
				  .end_line = line, .end_col = (uint32_t)(col + len) + 1 };
}

/* One address element: ADDR or ADDR/LEN. */
static void parse_addr(struct polc_unit *u, struct ir_set *set, const struct polc_source *src,
		       uint32_t line, size_t col, const char *tok, size_t len, prefix_vec *out)
{
	struct element e;
	char why[160];
	size_t at;

	if (element_parse_addr(tok, len, &e, why, sizeof(why), &at) < 0) {
		polc_error(&u->diags, token_loc(src, line, col + at, len - at), "%s", why);
		return;
	}
	struct polc_loc loc = token_loc(src, line, col, len);
	unsigned family = e.family == 6 ? IR_V6 : IR_V4;
	if (!(set->families & IR_FAMILY_BIT(family))) {
		struct polc_diag *d = polc_error(&u->diags, loc, "%s address in set '%s', which holds %s addresses",
						 e.family == 6 ? "IPv6" : "IPv4", set->name,
						 e.family == 6 ? "IPv4" : "IPv6");
		polc_diag_related(&u->diags, d, set->loc, "'%s' is declared here", set->name);
		return;
	}
	if (e.host_bits)
		polc_warning(&u->diags, POLC_W_HOST_BITS, loc,
			     "prefix has bits set past its length /%u", e.len);
	struct ir_prefix p = { .family = (uint8_t)family, .len = e.len };
	memcpy(p.w, e.w, sizeof(p.w));
	vec_push(u->arena, out, p);
}

/* One port element: N or LO-HI. */
static void parse_port(struct polc_unit *u, const struct polc_source *src, uint32_t line,
		       size_t col, const char *tok, size_t len, range_vec *out)
{
	struct element e;
	char why[160];
	size_t at;

	if (element_parse_port(tok, len, &e, why, sizeof(why), &at) < 0) {
		polc_error(&u->diags, token_loc(src, line, col + at, len - at), "%s", why);
		return;
	}
	vec_push(u->arena, out, ((struct ir_range){ e.lo, e.hi }));
}

int polc_setfile_read(struct polc_unit *u, struct ir_set *set, const char *path,
		      struct polc_loc at)
{
	char *resolved = resolve_path(u, path);
	char *text = NULL;
	size_t len = 0;
	int err = read_all(resolved, &text, &len);

	if (err) {
		polc_error(&u->diags, at, "cannot read set file '%s': %s", resolved, strerror(-err));
		return POLC_EPOLICY;
	}
	struct polc_source *src = polc_source_new(u->arena, resolved, text, len);
	free(text);
	set->file_text = src->text;
	set->file_len = src->len;

	prefix_vec prefixes = { 0 };
	range_vec ranges = { 0 };
	for (uint32_t line = 1; line <= src->n_lines && !polc_diags_full(&u->diags); line++) {
		size_t n;
		const char *s = polc_source_line(src, line, &n);
		const char *hash = memchr(s, '#', n);
		if (hash)
			n = (size_t)(hash - s);
		size_t i = 0;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t j = i;
		while (j < n && s[j] != ' ' && s[j] != '\t' && s[j] != ',')
			j++;
		if (j == i)
			continue; /* blank or comment */
		size_t k = j;
		while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == ','))
			k++;
		if (k < n) {
			polc_error(&u->diags, token_loc(src, line, k, n - k),
				   "one element per line: unexpected '%.*s'", (int)(n - k), s + k);
			continue;
		}
		if (set->kind == IR_SET_PORT)
			parse_port(u, src, line, i, s + i, j - i, &ranges);
		else
			parse_addr(u, set, src, line, i, s + i, j - i, &prefixes);
	}
	set->n_prefixes = prefixes.n;
	set->prefixes = prefixes.v;
	set->n_ranges = ranges.n;
	set->ranges = ranges.v;
	return u->diags.n_errors ? POLC_EPOLICY : 0;
}
