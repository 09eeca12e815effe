/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ir_equal.h: do two units compile to the same program?
 *
 * A structural comparison of two IRs: the same policies (name, hook,
 * default, plan, sets used), the same rules in the same order (id, verdict,
 * label, families and every field's normalised value set, named sets by
 * name) and the same sets (kind, families, elements, size, file contents).
 * Source locations and rule text are not compared: formatting a file moves
 * them and changes nothing else.  Shared by test_fmt and the fuzzer.
 */
#ifndef POLC_TEST_IR_EQUAL_H
#define POLC_TEST_IR_EQUAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ir.h"

/* True when a and b are the same program; otherwise false, with the first
 * difference in why. */
bool ir_unit_equal(const struct ir_unit *a, const struct ir_unit *b, char *why,
		   size_t why_len);

#endif /* POLC_TEST_IR_EQUAL_H */
