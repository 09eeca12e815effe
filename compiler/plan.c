// SPDX-License-Identifier: BSD-2-Clause
/*
 * plan.c: the planning pass: choose, per policy, how packets are classified.
 *
 * Today every policy is planned as straight-line compares in rule order
 * (POLC_PLAN_LINEAR), which is exact first-match and the fastest form for
 * small policies.  This is the place where large policies will be planned
 * into map-driven classification (per-field lookups yielding rule bit
 * vectors, or a decision structure built here at compile time) whose cost
 * does not grow with the number of rules; the IR's normalised per-field sets
 * are what such a plan is built from.  The choice is recorded in the IR, in
 * the generated C and in the artifact's metadata.
 */
#include "unit.h"

/*
 * Inlined, the classify function is walked by the verifier once per way
 * through the parser (about 16), which exhausts its budget at a few hundred
 * rules; out of line it is checked once, but the call costs ~12 ns per
 * packet (measured: bench/RESULTS.md).  Up to this many rules the policy is
 * inlined.
 */
#define PLAN_INLINE_MAX_RULES 64

int polc_plan(struct polc_unit *u)
{
	for (size_t i = 0; i < u->ir.n_policies; i++) {
		struct ir_policy *p = &u->ir.policies[i];

		p->plan = POLC_PLAN_LINEAR;
		p->classify_inline = p->n_rules <= PLAN_INLINE_MAX_RULES;
		polc_note(u, "policy %s: %zu rule%s, plan linear (straight-line compares in rule order), classify %s",
			  p->name, p->n_rules, p->n_rules == 1 ? "" : "s",
			  p->classify_inline ? "inlined" : "out of line (verifier budget)");
	}
	return 0;
}
