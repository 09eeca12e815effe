// SPDX-License-Identifier: BSD-2-Clause
/*
 * diff.c: a unified diff of two texts by lines, for polc fmt --check.
 *
 * Myers' O(ND) algorithm on the lines between the common head and tail.
 * The edit graph's frontier is kept per step for the walk back, which costs
 * O(D^2) memory; past DIFF_MAX_D differences the middle is shown replaced as
 * a whole, which is still a correct diff, only a longer one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polc.h"

#define DIFF_CONTEXT 3
#define DIFF_MAX_D 1000

struct dline {
	const char *s;
	size_t len; /* with its '\n', when it has one */
};

static struct dline *split(const char *text, size_t len, size_t *n)
{
	size_t cap = 1;

	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	struct dline *v = calloc(cap, sizeof(*v));
	if (!v)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
		v[(*n)++] = (struct dline){ text + i, l };
		i += l;
	}
	return v;
}

static bool same(const struct dline *a, const struct dline *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* An edit script: for each line of a and of b, kept or not. */
struct script {
	bool *a_del; /* a's line i is deleted */
	bool *b_ins; /* b's line j is inserted */
};

/* Myers on a[0..n) and b[0..m); false when it needs more than DIFF_MAX_D. */
static bool myers(const struct dline *a, size_t n, const struct dline *b, size_t m,
		  struct script *sc)
{
	long max = (long)(n + m);
	long dmax = max < DIFF_MAX_D ? max : DIFF_MAX_D;
	long off = dmax + 1;
	long *v = calloc((size_t)(2 * off + 1), sizeof(*v));
	long **trace = calloc((size_t)dmax + 1, sizeof(*trace));
	long d, found = -1;

	if (!v || !trace) {
		free(v);
		free(trace);
		return false;
	}
	for (d = 0; d <= dmax && found < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x = k == -d || (k != d && v[off + k - 1] < v[off + k + 1]) ?
					 v[off + k + 1] :
					 v[off + k - 1] + 1;
			long y = x - k;
			while (x < (long)n && y < (long)m && same(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= (long)n && y >= (long)m) {
				found = d;
				break;
			}
		}
		trace[d] = malloc((size_t)(2 * off + 1) * sizeof(long));
		if (!trace[d]) {
			found = -1;
			break;
		}
		memcpy(trace[d], v, (size_t)(2 * off + 1) * sizeof(long));
	}
	bool ok = found >= 0;
	if (ok) {
		/* walk back from (n, m) */
		long x = (long)n, y = (long)m;
		for (d = found; d > 0; d--) {
			const long *pv = trace[d - 1];
			long k = x - y;
			long pk = k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1]) ? k + 1 : k - 1;
			long px = pv[off + pk], py = px - pk;
			while (x > px && y > py) {
				x--;
				y--;
			}
			if (pk == k + 1)
				sc->b_ins[--y] = true; /* came down: an insertion */
			else
				sc->a_del[--x] = true; /* came right: a deletion */
		}
	}
	for (d = 0; d <= dmax; d++)
		free(trace[d]);
	free(trace);
	free(v);
	return ok;
}

static void put_line(FILE *out, char mark, const struct dline *l)
{
	fputc(mark, out);
	fwrite(l->s, 1, l->len, out);
	if (!l->len || l->s[l->len - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", out);
}

int polc_diff(FILE *out, const char *a_name, const char *a_text, size_t a_len,
	      const char *b_name, const char *b_text, size_t b_len)
{
	size_t n = 0, m = 0;
	struct dline *a = split(a_text, a_len, &n);
	struct dline *b = split(b_text, b_len, &m);
	struct script sc = { calloc(n + 1, 1), calloc(m + 1, 1) };
	int hunks = -1;

	if (!a || !b || !sc.a_del || !sc.b_ins)
		goto out;
	size_t head = 0, tail = 0;
	while (head < n && head < m && same(&a[head], &b[head]))
		head++;
	while (tail < n - head && tail < m - head && same(&a[n - 1 - tail], &b[m - 1 - tail]))
		tail++;
	struct script mid = { sc.a_del + head, sc.b_ins + head };
	if (!myers(a + head, n - head - tail, b + head, m - head - tail, &mid)) {
		for (size_t i = head; i < n - tail; i++)
			sc.a_del[i] = true;
		for (size_t j = head; j < m - tail; j++)
			sc.b_ins[j] = true;
	}

	/* hunks: runs of changes with DIFF_CONTEXT lines around them */
	hunks = 0;
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		/* skip to the next change */
		size_t si = i, sj = j;
		while (si < n && sj < m && !sc.a_del[si] && !sc.b_ins[sj]) {
			si++;
			sj++;
		}
		if (si >= n && sj >= m)
			break;
		size_t ctx = si - i < DIFF_CONTEXT ? si - i : DIFF_CONTEXT;
		size_t hi = si - ctx, hj = sj - ctx;
		/* the end of the hunk: changes closer than 2 * context merge */
		size_t ei = si, ej = sj;
		for (;;) {
			while ((ei < n && sc.a_del[ei]) || (ej < m && sc.b_ins[ej])) {
				if (ei < n && sc.a_del[ei])
					ei++;
				else
					ej++;
			}
			size_t k = 0;
			while (ei + k < n && ej + k < m && !sc.a_del[ei + k] && !sc.b_ins[ej + k] &&
			       k <= 2 * DIFF_CONTEXT)
				k++;
			bool more = k <= 2 * DIFF_CONTEXT &&
				    ((ei + k < n && sc.a_del[ei + k]) || (ej + k < m && sc.b_ins[ej + k]));
			if (!more) {
				size_t c = k < DIFF_CONTEXT ? k : DIFF_CONTEXT;
				ei += c;
				ej += c;
				break;
			}
			ei += k;
			ej += k;
		}
		if (!hunks++) {
			fprintf(out, "--- %s\n", a_name);
			fprintf(out, "+++ %s\n", b_name);
		}
		fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", hi + (ei > hi), ei - hi, hj + (ej > hj),
			ej - hj);
		size_t x = hi, y = hj;
		while (x < ei || y < ej) {
			if (x < ei && sc.a_del[x]) {
				put_line(out, '-', &a[x++]);
			} else if (y < ej && sc.b_ins[y]) {
				put_line(out, '+', &b[y++]);
			} else {
				put_line(out, ' ', &a[x]);
				x++;
				y++;
			}
		}
		i = ei;
		j = ej;
	}
out:
	free(a);
	free(b);
	free(sc.a_del);
	free(sc.b_ins);
	return hunks;
}
