/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fmt_oracle.h: what polc fmt promises, checked on one file.
 *
 * For a file that parses, its formatted text f1:
 *  - parses without errors, and formatting it again gives f1 exactly;
 *  - has the same comments, with the same text, in the same order;
 *  - has no trailing blanks, no two blank lines in a row, no blank first
 *    line, and ends with a newline (unless it is empty);
 *  - compiles like the original: the front end succeeds for both or fails
 *    for both, and when it succeeds the IRs are the same (ir_equal.h) and
 *    so is the number of warnings.
 * Shared by the unit tests (samples, diag cases, random policies) and the
 * fuzzer.
 */
#ifndef POLC_TEST_FMT_ORACLE_H
#define POLC_TEST_FMT_ORACLE_H

#include <stddef.h>

struct polc_unit;

/*
 * Check text[0..len) (named name in its units).  prep, if not NULL, is
 * called on each unit after it is parsed and before it is checked (the
 * fuzzer redirects set files there).  Returns 0 when every promise holds,
 * 1 when the file does not parse (nothing to check), -1 with the broken
 * promise in why.
 */
int fmt_oracle_check(const char *name, const char *text, size_t len,
		     void (*prep)(struct polc_unit *u), char *why, size_t why_len);

#endif /* POLC_TEST_FMT_ORACLE_H */
