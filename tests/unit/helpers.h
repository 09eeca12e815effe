/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * helpers.h: what the unit tests share: units made from strings, the
 * diagnostics they collected, and cmocka's headers in the right order.
 */
#ifndef POLC_TEST_HELPERS_H
#define POLC_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

/* Free a unit when it goes out of scope. */
void t_unit_freep(struct polc_unit **u);
#define _cleanup_unit_ __attribute__((cleanup(t_unit_freep)))

/* A unit named "test.pol" holding text (asserts it could be made). */
struct polc_unit *t_unit(const char *text);
/* The same, with the front end (parse, check, lower, plan) run; *rc gets
 * its result when rc is not NULL. */
struct polc_unit *t_front(const char *text, int *rc);
/* Only the parser; *rc gets its result. */
struct polc_unit *t_parse(const char *text, int *rc);

/* The diagnostics rendered as text or JSON (free() the result). */
char *t_render(const struct polc_unit *u);
char *t_render_json(const struct polc_unit *u);

/* The first diagnostic whose message contains part (NULL if none). */
const struct polc_diag *t_find(const struct polc_unit *u, const char *part);
/* How many diagnostics of a severity the unit has. */
unsigned t_count(const struct polc_unit *u, enum polc_severity sev);

/* Assert a diagnostic of the severity containing part exists at line:col;
 * returns it. */
const struct polc_diag *t_expect(const struct polc_unit *u,
				 enum polc_severity sev, const char *part,
				 uint32_t line, uint32_t col);

/* Assert the unit has no diagnostics at all (prints them otherwise). */
void t_expect_clean(const struct polc_unit *u);

/* A policy file around rules: "policy p { attach xdp, default drop }". */
#define T_POLICY(rules) \
	"policy p {\n\tattach xdp\n\tdefault drop\n" rules "}\n"

/* The IR of the only policy's rule i (0-based) of a unit. */
const struct ir_rule *t_rule(const struct polc_unit *u, size_t i);

#endif /* POLC_TEST_HELPERS_H */
