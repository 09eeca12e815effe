/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * diag.h: diagnostics as records, rendered once at the end.
 *
 * A pass reports a problem with polc_error()/polc_warning(), which returns
 * the record so a secondary location or a hint can be attached.  Nothing is
 * printed from inside the passes: the driver renders the list to a FILE*
 * (text like gcc's, or JSON) after the pipeline stops.
 */
#ifndef POLC_DIAG_H
#define POLC_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "source.h"

enum polc_severity {
	POLC_SEV_ERROR,
	POLC_SEV_WARNING,
	POLC_SEV_NOTE,
};

/* Warning classes the user can switch with -W<name>, -Wno-<name> and
 * -Werror=<name>.  Keep polc_wclass_names[] in step. */
enum polc_wclass {
	POLC_W_NONE = 0,   /* errors; not switchable */
	POLC_W_HOST_BITS,  /* prefix with bits set below its length */
	POLC_W_UNUSED,     /* constant never referenced */
	POLC_W_EMPTY,      /* policy without rules */
	POLC_W_SHADOW,     /* a rule an earlier one with the other verdict covers (an error) */
	POLC_W_REDUNDANT,  /* a rule an earlier one with the same verdict covers */
	POLC_W_UNREACHABLE,/* rules after one that matches everything */
	POLC_W_OVERLAP,    /* set elements inside other elements */
	POLC_W_COUNT_,
};

extern const char *const polc_wclass_names[POLC_W_COUNT_];

struct polc_diag {
	enum polc_severity severity;
	enum polc_wclass wclass;
	struct polc_loc loc;
	char *message;
	/* optional: a second place, shown with its own message */
	bool has_related;
	struct polc_loc related_loc;
	char *related_message;
	/* optional: advice, shown after the source line */
	char *hint;
	uint32_t seq; /* order of reporting, to keep sorting stable */
};

struct polc_warning_config {
	uint32_t enabled; /* bit per enum polc_wclass */
	uint32_t as_error;
	bool all_as_error; /* -Werror */
};

struct polc_diags {
	struct arena *arena;
	VEC(struct polc_diag *) list;
	unsigned n_errors;
	unsigned n_warnings;
	unsigned max_errors; /* 0: no cap */
	bool capped;         /* stopped collecting errors */
	unsigned max_per_class; /* warnings shown per class (0: all) */
	unsigned per_class[POLC_W_COUNT_];
	struct polc_warning_config wconf;
};

/* The default configuration: every class on, none an error. */
void polc_warning_config_default(struct polc_warning_config *c);

/*
 * Apply one -W option ("shadow", "no-shadow", "error", "error=shadow", "all").
 * Returns 0, or -1 for an unknown class.
 */
int polc_warning_config_apply(struct polc_warning_config *c, const char *opt);

void polc_diags_init(struct polc_diags *d, struct arena *a);

/* Report; the returned record may be NULL when it was suppressed (a disabled
 * warning, or errors past the cap). */
struct polc_diag *polc_error(struct polc_diags *d, struct polc_loc loc,
			     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct polc_diag *polc_warning(struct polc_diags *d, enum polc_wclass wclass,
			       struct polc_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Attach a second location with its own message, or a hint. NULL-safe. */
void polc_diag_related(struct polc_diags *d, struct polc_diag *diag,
		       struct polc_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void polc_diag_hint(struct polc_diags *d, struct polc_diag *diag,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True once the error cap is reached: passes should stop early. */
bool polc_diags_full(const struct polc_diags *d);

/* Render every diagnostic, sorted by location, as text or as JSON. */
void polc_diags_render(const struct polc_diags *d, FILE *out);
void polc_diags_render_json(const struct polc_diags *d, FILE *out);

/*
 * The closest of candidates[0..n) to word by edit distance, or NULL if none
 * is close enough to be a plausible typo.
 */
const char *polc_suggest(const char *word, const char *const *candidates,
			 size_t n);

#endif /* POLC_DIAG_H */
