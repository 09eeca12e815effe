/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unit.h: one compilation and everything it owns.
 *
 * Internal to libpolc: passes take the unit, read what earlier passes left
 * in it and add their own product.  The public face is polc.h.
 */
#ifndef POLC_UNIT_H
#define POLC_UNIT_H

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "ir.h"
#include "polc.h"
#include "source.h"
#include "strbuf.h"

struct polc_unit {
	struct arena *arena;
	struct polc_source *src;
	struct polc_diags diags;
	struct ast_file ast;  /* parse.c */
	bool parsed;          /* polc_parse() ran: it runs once */
	int parse_rc;         /* and returned this */
	struct ir_unit ir;    /* lower.c, plan.c */
	struct strbuf gen_c;  /* codegen.c */
	struct strbuf gen_data; /* codegen.c: the contents of ".polc.data" */
	enum polc_plan_choice plan_choice;
	polc_log_fn log;      /* verbose notes (plan choices, timings) */
	void *log_ctx;
};

/* The passes, in pipeline order.  Each returns 0 or a POLC_E* code and
 * reports user errors in unit->diags.  polc_parse() parses once: called
 * again (by polc_front() after polc_format(), say) it returns its first
 * result. */
int polc_parse(struct polc_unit *u);
int polc_check(struct polc_unit *u);
int polc_lower(struct polc_unit *u);
int polc_analyze(struct polc_unit *u);
/* checktest.c: the test blocks, against the IR */
int polc_check_tests(struct polc_unit *u);
int polc_plan(struct polc_unit *u);
int polc_codegen(struct polc_unit *u);
/* plan.c's helper: the classifier plan of p (p->cls), or POLC_EPOLICY with
 * the reason in *why when its tables would be too large. */
int polc_classify(struct polc_unit *u, struct ir_policy *p, const char **why);
int polc_setfile_read(struct polc_unit *u, struct ir_set *set, const char *path,
		      struct polc_loc at);
int polc_backend(struct polc_unit *u, const struct polc_build_opts *opts,
		 const char *out_path);

/* A verbose note through the unit's log callback. */
void polc_note(struct polc_unit *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* POLC_UNIT_H */
