// SPDX-License-Identifier: BSD-2-Clause
#include "diag.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const char *const polc_wclass_names[POLC_W_COUNT_] = {
	[POLC_W_NONE] = "",
	[POLC_W_HOST_BITS] = "host-bits",
	[POLC_W_UNUSED] = "unused",
	[POLC_W_EMPTY] = "empty-policy",
	[POLC_W_SHADOW] = "shadow",
	[POLC_W_REDUNDANT] = "redundant",
	[POLC_W_UNREACHABLE] = "unreachable",
	[POLC_W_OVERLAP] = "overlap",
};
static_assert(sizeof(polc_wclass_names) / sizeof(polc_wclass_names[0]) == POLC_W_COUNT_,
	      "one name per warning class");

static const char *const severity_names[] = {
	[POLC_SEV_ERROR] = "error",
	[POLC_SEV_WARNING] = "warning",
	[POLC_SEV_NOTE] = "note",
};

void polc_warning_config_default(struct polc_warning_config *c)
{
	c->enabled = ~0u & ~1u;
	/* a shadowed rule means the policy does not do what it says */
	c->as_error = 1u << POLC_W_SHADOW;
	c->all_as_error = false;
}

static int wclass_by_name(const char *name)
{
	for (int i = 1; i < POLC_W_COUNT_; i++)
		if (strcmp(polc_wclass_names[i], name) == 0)
			return i;
	return -1;
}

int polc_warning_config_apply(struct polc_warning_config *c, const char *opt)
{
	if (strcmp(opt, "all") == 0) {
		c->enabled = ~0u & ~1u;
		return 0;
	}
	if (strcmp(opt, "error") == 0) {
		c->all_as_error = true;
		return 0;
	}
	if (strcmp(opt, "no-error") == 0) {
		c->all_as_error = false;
		c->as_error = 0;
		return 0;
	}
	if (strncmp(opt, "error=", 6) == 0) {
		int w = wclass_by_name(opt + 6);
		if (w < 0)
			return -1;
		c->as_error |= 1u << w;
		c->enabled |= 1u << w;
		return 0;
	}
	if (strncmp(opt, "no-error=", 9) == 0) {
		int w = wclass_by_name(opt + 9);
		if (w < 0)
			return -1;
		c->as_error &= ~(1u << w);
		return 0;
	}
	if (strncmp(opt, "no-", 3) == 0) {
		int w = wclass_by_name(opt + 3);
		if (w < 0)
			return -1;
		c->enabled &= ~(1u << w);
		return 0;
	}
	int w = wclass_by_name(opt);
	if (w < 0)
		return -1;
	c->enabled |= 1u << w;
	return 0;
}

void polc_diags_init(struct polc_diags *d, struct arena *a)
{
	memset(d, 0, sizeof(*d));
	d->arena = a;
	d->max_errors = 20;
	d->max_per_class = 50;
	polc_warning_config_default(&d->wconf);
}

bool polc_diags_full(const struct polc_diags *d)
{
	return d->capped;
}

static struct polc_diag *diag_add(struct polc_diags *d,
				  enum polc_severity sev,
				  enum polc_wclass wclass, struct polc_loc loc,
				  const char *fmt, va_list ap)
{
	if (sev == POLC_SEV_ERROR) {
		if (d->capped)
			return NULL;
		if (d->max_errors && d->n_errors >= d->max_errors) {
			d->capped = true;
			return NULL;
		}
	}

	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	char *message = arena_alloc(d->arena, n > 0 ? (size_t)n + 1 : 1);
	vsnprintf(message, n > 0 ? (size_t)n + 1 : 1, fmt, ap);

	/* the same problem reached twice (a constant used by several rules)
	 * is reported once */
	for (size_t i = 0; i < d->list.n && i < 4096; i++) {
		const struct polc_diag *o = d->list.v[i];
		if (o->loc.src == loc.src && o->loc.line == loc.line &&
		    o->loc.col == loc.col && strcmp(o->message, message) == 0)
			return NULL;
	}

	struct polc_diag *diag = arena_alloc(d->arena, sizeof(*diag));
	diag->message = message;
	diag->severity = sev;
	diag->wclass = wclass;
	diag->loc = loc;
	diag->seq = (uint32_t)d->list.n;
	vec_push(d->arena, &d->list, diag);
	if (sev == POLC_SEV_ERROR)
		d->n_errors++;
	else if (sev == POLC_SEV_WARNING)
		d->n_warnings++;
	return diag;
}

struct polc_diag *polc_error(struct polc_diags *d, struct polc_loc loc,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	struct polc_diag *diag = diag_add(d, POLC_SEV_ERROR, POLC_W_NONE, loc,
					  fmt, ap);
	va_end(ap);
	return diag;
}

struct polc_diag *polc_warning(struct polc_diags *d, enum polc_wclass wclass,
			       struct polc_loc loc, const char *fmt, ...)
{
	if (!(d->wconf.enabled & (1u << wclass)))
		return NULL;
	enum polc_severity sev = POLC_SEV_WARNING;
	if (d->wconf.all_as_error || (d->wconf.as_error & (1u << wclass)))
		sev = POLC_SEV_ERROR;
	/* a generated policy can have thousands of one kind: show some,
	 * count the rest (errors still count as errors) */
	if (sev == POLC_SEV_WARNING && d->max_per_class &&
	    d->per_class[wclass]++ >= d->max_per_class)
		return NULL;

	va_list ap;
	va_start(ap, fmt);
	struct polc_diag *diag = diag_add(d, sev, wclass, loc, fmt, ap);
	va_end(ap);
	return diag;
}

static char *vformat(struct arena *a, const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	char *s = arena_alloc(a, n > 0 ? (size_t)n + 1 : 1);
	vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
	return s;
}

void polc_diag_related(struct polc_diags *d, struct polc_diag *diag,
		       struct polc_loc loc, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return;
	va_start(ap, fmt);
	diag->related_message = vformat(d->arena, fmt, ap);
	va_end(ap);
	diag->related_loc = loc;
	diag->has_related = true;
}

void polc_diag_hint(struct polc_diags *d, struct polc_diag *diag,
		    const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return;
	va_start(ap, fmt);
	diag->hint = vformat(d->arena, fmt, ap);
	va_end(ap);
}

/* ---- rendering --------------------------------------------------------- */

static const char *loc_file(const struct polc_loc *l)
{
	return l->src ? l->src->name : "<internal>";
}

static void render_header(FILE *out, const struct polc_loc *l,
			  const char *severity, const char *wname,
			  const char *msg)
{
	if (l->src && l->line)
		fprintf(out, "%s:%u:%u: %s: %s", loc_file(l), l->line, l->col,
			severity, msg);
	else
		fprintf(out, "%s: %s: %s", loc_file(l), severity, msg);
	/* a warning class made an error says so, as gcc does */
	if (wname && *wname)
		fprintf(out, " [-W%s%s]",
			strcmp(severity, "error") == 0 ? "error=" : "", wname);
	fputc('\n', out);
}

/*
 * Print the line of l and a marker line under its span (and under the span
 * of other, when other is on the same line).  Tabs in the source are copied
 * into the marker line so the marks line up in any terminal.
 */
static void render_snippet(FILE *out, const struct polc_loc *l, char mark,
			   const struct polc_loc *other, char other_mark)
{
	size_t len;
	const char *text = polc_source_line(l->src, l->line, &len);

	if (!text)
		return;
	/* fwrite, not %.*s: a NUL byte in the line must not cut it short */
	fprintf(out, "%5u | ", l->line);
	fwrite(text, 1, len, out);
	fputc('\n', out);
	fputs("      | ", out);

	size_t start = l->col ? l->col - 1 : 0;
	size_t end = l->end_line == l->line ? l->end_col - 1 : len;
	if (end <= start)
		end = start + 1;
	size_t ostart = (size_t)-1, oend = 0;
	if (other && other->src == l->src && other->line == l->line) {
		ostart = other->col ? other->col - 1 : 0;
		oend = other->end_line == other->line ? other->end_col - 1 : len;
		if (oend <= ostart)
			oend = ostart + 1;
	}

	size_t last = end > oend ? end : oend;
	for (size_t i = 0; i < last; i++) {
		char c = ' ';
		if (i < len && text[i] == '\t')
			c = '\t';
		if (i == start)
			c = mark == '~' ? '~' : '^';
		else if (i > start && i < end)
			c = '~';
		else if (i >= ostart && i < oend)
			c = other_mark;
		fputc(c, out);
	}
	fputc('\n', out);
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct polc_diag *a = *(const struct polc_diag *const *)pa;
	const struct polc_diag *b = *(const struct polc_diag *const *)pb;

	/* internal locations first, then by file order of appearance */
	if (a->loc.src != b->loc.src)
		return a->seq < b->seq ? -1 : 1;
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

static struct polc_diag **sorted(const struct polc_diags *d)
{
	struct polc_diag **v = calloc(d->list.n + 1, sizeof(*v));

	if (!v)
		return NULL;
	if (d->list.n) {
		memcpy(v, d->list.v, d->list.n * sizeof(*v));
		qsort(v, d->list.n, sizeof(*v), diag_cmp);
	}
	return v;
}

void polc_diags_render(const struct polc_diags *d, FILE *out)
{
	struct polc_diag **v = sorted(d);

	if (!v)
		return;
	for (size_t i = 0; i < d->list.n; i++) {
		const struct polc_diag *g = v[i];
		bool same_line = g->has_related &&
				 g->related_loc.src == g->loc.src &&
				 g->related_loc.line == g->loc.line;

		render_header(out, &g->loc, severity_names[g->severity],
			      polc_wclass_names[g->wclass], g->message);
		render_snippet(out, &g->loc, '^',
			       same_line ? &g->related_loc : NULL, '~');
		if (g->hint)
			fprintf(out, "      = hint: %s\n", g->hint);
		if (g->has_related) {
			render_header(out, &g->related_loc, "note", NULL,
				      g->related_message);
			if (!same_line)
				render_snippet(out, &g->related_loc, '~',
					       NULL, '~');
		}
	}
	for (int w = 1; w < POLC_W_COUNT_; w++)
		if (d->max_per_class && d->per_class[w] > d->max_per_class)
			fprintf(out, "polc: %u more warnings [-W%s] not shown\n",
				d->per_class[w] - d->max_per_class, polc_wclass_names[w]);
	if (d->capped)
		fprintf(out, "polc: too many errors (%u), stopping\n",
			d->max_errors);
	free(v);
}

static void json_loc(struct json_writer *w, const struct polc_loc *l)
{
	json_kv_string(w, "file", loc_file(l));
	json_kv_uint(w, "line", l->line);
	json_kv_uint(w, "column", l->col);
	json_kv_uint(w, "end_line", l->end_line);
	json_kv_uint(w, "end_column", l->end_col);
}

void polc_diags_render_json(const struct polc_diags *d, FILE *out)
{
	struct polc_diag **v = sorted(d);
	struct json_writer w;

	if (!v)
		return;
	json_init(&w, out, false);
	json_array_begin(&w);
	for (size_t i = 0; i < d->list.n; i++) {
		const struct polc_diag *g = v[i];

		json_object_begin(&w);
		json_kv_string(&w, "severity", severity_names[g->severity]);
		if (g->wclass != POLC_W_NONE)
			json_kv_string(&w, "class",
				       polc_wclass_names[g->wclass]);
		json_loc(&w, &g->loc);
		json_kv_string(&w, "message", g->message);
		if (g->hint)
			json_kv_string(&w, "hint", g->hint);
		if (g->has_related) {
			json_key(&w, "related");
			json_object_begin(&w);
			json_loc(&w, &g->related_loc);
			json_kv_string(&w, "message", g->related_message);
			json_object_end(&w);
		}
		json_object_end(&w);
	}
	json_array_end(&w);
	json_finish(&w);
	free(v);
}

/* ---- suggestions ------------------------------------------------------- */

/* Edit distance where swapping two neighbours counts as one edit
 * (optimal string alignment): "tpc" is one edit from "tcp". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[65][65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *polc_suggest(const char *word, const char *const *candidates,
			 size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t wl = strlen(word);
	/* a third of the word may be wrong, at least one character */
	size_t limit = wl / 3 > 1 ? wl / 3 : 1;
	if (wl >= 4 && limit < 2)
		limit = 2;

	for (size_t i = 0; i < n; i++) {
		if (!candidates[i] || !*candidates[i])
			continue;
		size_t dist = edit_distance(word, candidates[i]);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best_d <= limit && best_d > 0 ? best : NULL;
}
