/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * polc.h: libpolc, the policy compiler as a library.
 *
 * A unit is one policy file on its way to an artifact:
 *
 *	struct polc_unit *u = NULL;
 *	int err = polc_unit_load(&u, "web.pol");
 *	err = err ?: polc_front(u);                 // parse, check, lower, plan
 *	err = err ?: polc_build(u, &opts, "web.o"); // generate C, run clang
 *	polc_unit_render_diags(u, stderr);
 *	polc_unit_free(&u);
 *
 * Functions return 0 or one of the POLC_E* codes; user errors are never
 * printed by the library, they are collected as diagnostics on the unit.
 */
#ifndef POLC_H
#define POLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct polc_unit;
struct ir_unit;
struct polc_warning_config;

/* Results, in the order the CLI maps them to exit codes. */
enum polc_status {
	POLC_OK = 0,
	POLC_EPOLICY = 1,   /* the policy has errors: see the diagnostics */
	POLC_EUSAGE = 2,    /* bad arguments or an unreadable input file */
	POLC_EBACKEND = 3,  /* clang failed on generated code: a polc bug */
	POLC_EINTERNAL = 4, /* anything else that should not happen */
};

/* Verbose notes (plan choices, timings) go through this callback. */
typedef void (*polc_log_fn)(void *ctx, const char *msg);

/* Largest policy file accepted, in bytes. */
#define POLC_MAX_SOURCE (256u << 20)

/*
 * Make a unit from a file.  On failure *out is untouched and the returned
 * code is POLC_EUSAGE (unreadable, too large); errno tells why.
 */
int polc_unit_load(struct polc_unit **out, const char *path);

/* Make a unit from memory; name is used in diagnostics. */
int polc_unit_new(struct polc_unit **out, const char *name, const char *text,
		  size_t len);

/* The unit's source text (NUL-terminated; len bytes, which may hold NULs). */
const char *polc_unit_source(const struct polc_unit *u, size_t *len);

/* Free the unit and everything it owns; NULL-safe, clears *u. */
void polc_unit_free(struct polc_unit **u);

void polc_unit_set_log(struct polc_unit *u, polc_log_fn fn, void *ctx);

/* How policies are classified; AUTO lets the planner choose per policy. */
enum polc_plan_choice {
	POLC_PLAN_AUTO = 0,
	POLC_PLAN_FORCE_LINEAR,
	POLC_PLAN_FORCE_CLASSIFIER,
};

/* Before polc_front(): override the planner (for tests and benchmarks). */
void polc_unit_set_plan(struct polc_unit *u, enum polc_plan_choice plan);

/* Warning switches (-W...) apply to diagnostics reported afterwards. */
struct polc_warning_config *polc_unit_warnings(struct polc_unit *u);

/* Parse, check, lower to IR and plan.  No clang, no kernel. */
int polc_front(struct polc_unit *u);

/* After polc_front(): the IR (read-only). */
const struct ir_unit *polc_unit_ir(const struct polc_unit *u);

/* Generate the BPF C for the unit (after polc_front()); *c stays owned by
 * the unit.  The same source always gives the same bytes. */
int polc_generate(struct polc_unit *u, const char **c, size_t *len);

struct polc_build_opts {
	size_t sz;           /* sizeof(struct polc_build_opts) */
	const char *clang;   /* NULL: $POLC_CLANG, then "clang" on PATH */
	const char *keep_dir;/* keep the build directory here (NULL: temp) */
	unsigned timeout_s;  /* 0: no limit */
};

/*
 * Generate C (if not done), compile it with clang into an artifact and
 * write it to out_path atomically.  A clang failure is POLC_EBACKEND and
 * reported as an internal error with the kept generated file.
 */
int polc_build(struct polc_unit *u, const struct polc_build_opts *opts,
	       const char *out_path);

/*
 * The canonical form of the unit's source (polc fmt; docs/language.md,
 * "Formatting").  Parses the unit if that is not done yet; a file with
 * syntax errors is not formatted: POLC_EPOLICY, the errors are the unit's
 * diagnostics and nothing is written.  Only the syntax matters: what the
 * checker would report does not stop formatting.  Formatting the output
 * again gives the same bytes, every comment is kept in order, and the
 * output compiles to the same program.
 */
int polc_format(struct polc_unit *u, FILE *out);
/* The same into a malloc'd, NUL-terminated buffer (*text NULL on error). */
int polc_format_mem(struct polc_unit *u, char **text, size_t *len);

/*
 * Print a unified diff (3 lines of context) from text a to text b on out,
 * headed "--- a_name" / "+++ b_name" when they differ.  Returns the number
 * of hunks (0: identical), or -1 when out of memory.
 */
int polc_diff(FILE *out, const char *a_name, const char *a, size_t a_len,
	      const char *b_name, const char *b, size_t b_len);

/* Diagnostics so far. */
unsigned polc_unit_errors(const struct polc_unit *u);
unsigned polc_unit_warning_count(const struct polc_unit *u);
void polc_unit_render_diags(const struct polc_unit *u, FILE *out);
void polc_unit_render_diags_json(const struct polc_unit *u, FILE *out);

/* The text of the embedded templates, by file name (NULL if unknown). */
const char *polc_template(const char *name, size_t *len);

#endif /* POLC_H */
