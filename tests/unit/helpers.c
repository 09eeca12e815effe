// SPDX-License-Identifier: BSD-2-Clause
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void t_unit_freep(struct polc_unit **u)
{
	polc_unit_free(u);
}

struct polc_unit *t_unit(const char *text)
{
	struct polc_unit *u = NULL;

	assert_int_equal(polc_unit_new(&u, "test.pol", text, strlen(text)), 0);
	assert_non_null(u);
	return u;
}

struct polc_unit *t_front(const char *text, int *rc)
{
	struct polc_unit *u = t_unit(text);
	int err = polc_front(u);

	if (rc)
		*rc = err;
	return u;
}

struct polc_unit *t_parse(const char *text, int *rc)
{
	struct polc_unit *u = t_unit(text);
	int err = polc_parse(u);

	if (rc)
		*rc = err;
	return u;
}

static char *render(const struct polc_unit *u, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		polc_unit_render_diags_json(u, f);
	else
		polc_unit_render_diags(u, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

char *t_render(const struct polc_unit *u)
{
	return render(u, false);
}

char *t_render_json(const struct polc_unit *u)
{
	return render(u, true);
}

const struct polc_diag *t_find(const struct polc_unit *u, const char *part)
{
	for (size_t i = 0; i < u->diags.list.n; i++)
		if (strstr(u->diags.list.v[i]->message, part))
			return u->diags.list.v[i];
	return NULL;
}

unsigned t_count(const struct polc_unit *u, enum polc_severity sev)
{
	unsigned n = 0;

	for (size_t i = 0; i < u->diags.list.n; i++)
		n += u->diags.list.v[i]->severity == sev;
	return n;
}

static void dump(const struct polc_unit *u)
{
	char *text = t_render(u);

	print_message("diagnostics:\n%s", text);
	free(text);
}

const struct polc_diag *t_expect(const struct polc_unit *u,
				 enum polc_severity sev, const char *part,
				 uint32_t line, uint32_t col)
{
	for (size_t i = 0; i < u->diags.list.n; i++) {
		const struct polc_diag *d = u->diags.list.v[i];
		if (d->severity == sev && d->loc.line == line &&
		    d->loc.col == col && strstr(d->message, part))
			return d;
	}
	dump(u);
	fail_msg("no %s containing \"%s\" at %u:%u",
		 sev == POLC_SEV_ERROR ? "error" : sev == POLC_SEV_WARNING ? "warning" : "note",
		 part, line, col);
	return NULL;
}

void t_expect_clean(const struct polc_unit *u)
{
	if (u->diags.list.n) {
		dump(u);
		fail_msg("expected no diagnostics, got %zu", u->diags.list.n);
	}
}

const struct ir_rule *t_rule(const struct polc_unit *u, size_t i)
{
	assert_int_equal(u->ir.n_policies, 1);
	assert_true(i < u->ir.policies[0].n_rules);
	return &u->ir.policies[0].rules[i];
}
