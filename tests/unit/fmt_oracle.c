// SPDX-License-Identifier: BSD-2-Clause
#include "fmt_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_equal.h"
#include "unit.h"

__attribute__((format(printf, 3, 4))) static int broken(char *why, size_t len,
							 const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Blank-line and trailing-blank rules of the canonical form. */
static int check_shape(const char *t, size_t len, char *why, size_t why_len)
{
	if (!len)
		return 0;
	if (t[len - 1] != '\n')
		return broken(why, why_len, "the output does not end with a newline");
	if (t[0] == '\n')
		return broken(why, why_len, "the output starts with a blank line");
	for (size_t i = 0, line = 1; i < len; i++) {
		if (t[i] != '\n')
			continue;
		if (i && (t[i - 1] == ' ' || t[i - 1] == '\t'))
			return broken(why, why_len, "line %zu of the output ends with a blank", line);
		if (i >= 2 && t[i - 1] == '\n' && t[i - 2] == '\n')
			return broken(why, why_len, "two blank lines before line %zu of the output",
				      line);
		line++;
	}
	return 0;
}

static int comments_same(const struct polc_unit *a, const struct polc_unit *b, char *why,
			 size_t why_len)
{
	const struct ast_file *x = &a->ast, *y = &b->ast;

	if (x->comments.n != y->comments.n)
		return broken(why, why_len, "%zu comments before, %zu after", x->comments.n,
			      y->comments.n);
	for (size_t i = 0; i < x->comments.n; i++) {
		const struct ast_comment *c = &x->comments.v[i], *d = &y->comments.v[i];
		if (c->len != d->len || memcmp(c->text, d->text, c->len) != 0)
			return broken(why, why_len, "comment %zu (line %u) became line %u: '%.*s'", i,
				      c->loc.line, d->loc.line, (int)(d->len > 60 ? 60 : d->len),
				      d->text);
	}
	return 0;
}

int fmt_oracle_check(const char *name, const char *text, size_t len,
		     void (*prep)(struct polc_unit *u), char *why, size_t why_len)
{
	struct polc_unit *u1 = NULL, *u2 = NULL, *u3 = NULL;
	char *f1 = NULL, *f2 = NULL;
	size_t l1 = 0, l2 = 0;
	int rc = 0;

	if (polc_unit_new(&u1, name, text, len))
		return 1;
	if (polc_format_mem(u1, &f1, &l1)) {
		rc = polc_unit_errors(u1) ? 1 : broken(why, why_len, "formatting failed");
		goto out;
	}
	if (polc_unit_new(&u2, name, f1, l1) || polc_parse(u2) != 0) {
		rc = broken(why, why_len, "the formatted file does not parse");
		goto out;
	}
	if (polc_format_mem(u2, &f2, &l2) || l1 != l2 || memcmp(f1, f2, l1) != 0) {
		rc = broken(why, why_len, "formatting the formatted file changes it");
		goto out;
	}
	rc = check_shape(f1, l1, why, why_len);
	rc = rc ?: comments_same(u1, u2, why, why_len);
	if (rc)
		goto out;

	/* the same program: a fresh unit of the formatted text, checked */
	if (polc_unit_new(&u3, name, f1, l1) || polc_parse(u3) != 0) {
		rc = broken(why, why_len, "the formatted file does not parse twice");
		goto out;
	}
	if (prep) {
		prep(u1);
		prep(u3);
	}
	int e1 = polc_front(u1), e3 = polc_front(u3);
	if ((e1 == 0) != (e3 == 0)) {
		rc = broken(why, why_len, "the original %s, the formatted file %s",
			    e1 ? "has errors" : "compiles", e3 ? "has errors" : "compiles");
	} else if (e1 == 0) {
		char diff[256];
		if (!ir_unit_equal(&u1->ir, &u3->ir, diff, sizeof(diff)))
			rc = broken(why, why_len, "the IR changed: %s", diff);
		else if (polc_unit_warning_count(u1) != polc_unit_warning_count(u3))
			rc = broken(why, why_len, "%u warnings before, %u after",
				    polc_unit_warning_count(u1), polc_unit_warning_count(u3));
	}
out:
	free(f1);
	free(f2);
	polc_unit_free(&u1);
	polc_unit_free(&u2);
	polc_unit_free(&u3);
	return rc;
}
