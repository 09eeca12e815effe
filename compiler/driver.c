// SPDX-License-Identifier: BSD-2-Clause
/*
 * driver.c: the unit's life and the pipeline that runs over it.
 *
 *	parse → check → lower → plan → codegen → backend (clang)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "templates.h"
#include "unit.h"
#include "util.h"

int polc_unit_new(struct polc_unit **out, const char *name, const char *text,
		  size_t len)
{
	if (len > POLC_MAX_SOURCE) {
		errno = EFBIG;
		return POLC_EUSAGE;
	}
	struct polc_unit *u = calloc(1, sizeof(*u));
	if (!u)
		return POLC_EINTERNAL;
	u->arena = arena_new();
	u->src = polc_source_new(u->arena, name, text, len);
	polc_diags_init(&u->diags, u->arena);
	*out = u;
	return 0;
}

int polc_unit_load(struct polc_unit **out, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return POLC_EUSAGE;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return POLC_EUSAGE;
	}
	if (st.st_size > (off_t)POLC_MAX_SOURCE) {
		errno = EFBIG;
		return POLC_EUSAGE;
	}
	/* read to the end: the size of a pipe or /proc file is not known */
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return POLC_EINTERNAL;
	for (;;) {
		if (len == cap) {
			if (cap > POLC_MAX_SOURCE) {
				errno = EFBIG;
				return POLC_EUSAGE;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return POLC_EINTERNAL;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return POLC_EUSAGE;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return polc_unit_new(out, path, buf, len);
}

const char *polc_unit_source(const struct polc_unit *u, size_t *len)
{
	if (len)
		*len = u->src->len;
	return u->src->text;
}

void polc_unit_free(struct polc_unit **up)
{
	struct polc_unit *u = *up;

	if (!u)
		return;
	strbuf_release(&u->gen_c);
	strbuf_release(&u->gen_data);
	arena_free(&u->arena);
	free(u);
	*up = NULL;
}

void polc_unit_set_log(struct polc_unit *u, polc_log_fn fn, void *ctx)
{
	u->log = fn;
	u->log_ctx = ctx;
}

void polc_unit_set_plan(struct polc_unit *u, enum polc_plan_choice plan)
{
	u->plan_choice = plan;
}

struct polc_warning_config *polc_unit_warnings(struct polc_unit *u)
{
	return &u->diags.wconf;
}

void polc_note(struct polc_unit *u, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!u->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	u->log(u->log_ctx, msg);
}

int polc_front(struct polc_unit *u)
{
	int err = polc_parse(u);

	/* check what did parse, so one run reports every broken rule */
	if (err == POLC_EPOLICY && !polc_diags_full(&u->diags))
		err = polc_check(u) ?: err;
	else
		err = err ?: polc_check(u);
	err = err ?: polc_lower(u);
	err = err ?: polc_analyze(u);
	err = err ?: polc_check_tests(u);
	err = err ?: polc_plan(u);
	return err;
}

const struct ir_unit *polc_unit_ir(const struct polc_unit *u)
{
	return &u->ir;
}

int polc_generate(struct polc_unit *u, const char **c, size_t *len)
{
	int err = 0;

	if (u->diags.n_errors)
		return POLC_EPOLICY;
	if (!u->gen_c.len)
		err = polc_codegen(u);
	if (err)
		return err;
	if (c)
		*c = strbuf_str(&u->gen_c);
	if (len)
		*len = u->gen_c.len;
	return 0;
}

int polc_build(struct polc_unit *u, const struct polc_build_opts *opts,
	       const char *out_path)
{
	int err = polc_generate(u, NULL, NULL);

	return err ?: polc_backend(u, opts, out_path);
}

unsigned polc_unit_errors(const struct polc_unit *u)
{
	return u->diags.n_errors;
}

unsigned polc_unit_warning_count(const struct polc_unit *u)
{
	return u->diags.n_warnings;
}

void polc_unit_render_diags(const struct polc_unit *u, FILE *out)
{
	polc_diags_render(&u->diags, out);
}

void polc_unit_render_diags_json(const struct polc_unit *u, FILE *out)
{
	polc_diags_render_json(&u->diags, out);
}

const char *polc_template(const char *name, size_t *len)
{
	for (size_t i = 0; i < polc_template_count; i++) {
		if (strcmp(polc_templates[i].name, name) == 0) {
			if (len)
				*len = polc_templates[i].len;
			return polc_templates[i].text;
		}
	}
	return NULL;
}
