// SPDX-License-Identifier: BSD-2-Clause
/*
 * plan.c: the planning pass: choose, per policy, how packets are classified.
 *
 *  - linear: straight-line compares in rule order.  Exact first match, the
 *    fastest form for a few rules, but its cost grows with the rules a
 *    packet passes (~0.7 ns each here) and clang and the verifier limit it
 *    to a few hundred rules.
 *  - classifier (classify.c): per-field classes and cross-product tables in
 *    array maps.  A fixed number of array lookups per packet, whatever the
 *    number of rules; the tables cost memory, and a policy whose tables
 *    would be too large cannot have it.
 *
 * Up to PLAN_LINEAR_RULES rules a policy is linear, above it classifier;
 * a policy the classifier refuses falls back to linear while that is
 * possible.  The choice is recorded in the IR (ir_policy.plan), named in the
 * generated C and in the artifact's metadata, and told by polc -v.
 */
#include "unit.h"

/* Where the classifier's fixed cost (~10 array lookups) beats compares:
 * bench/RESULTS.md measures both.  A rule with a long literal list is
 * as many compares (and, at 100,000 values, more than clang can parse):
 * values count too. */
#define PLAN_LINEAR_RULES 32
#define PLAN_LINEAR_VALUES 256
/* The largest policy the linear plan can take: clang's 16-bit jumps and the
 * verifier's budget, measured with the generated rule shapes. */
#define PLAN_LINEAR_MAX_RULES 512

/*
 * Inlined, the classify function is walked by the verifier once per way
 * through the parser (about 16), which exhausts its budget at a few hundred
 * rules; out of line it is checked once, but the call costs ~12 ns per
 * packet (measured: bench/RESULTS.md).  Up to this many rules the policy is
 * inlined.
 */
#define PLAN_INLINE_MAX_RULES 64

static void plan_linear(struct polc_unit *u, struct ir_policy *p, const char *why)
{
	p->plan = POLC_PLAN_LINEAR;
	p->classify_inline = p->n_rules <= PLAN_INLINE_MAX_RULES;
	polc_note(u, "policy %s: %zu rule%s, plan linear (%s), classify %s", p->name, p->n_rules,
		  p->n_rules == 1 ? "" : "s", why,
		  p->classify_inline ? "inlined" : "out of line (verifier budget)");
}

static int plan_classifier(struct polc_unit *u, struct ir_policy *p, bool forced)
{
	const char *why = NULL;
	int err = polc_classify(u, p, &why);

	if (!err) {
		const struct ir_classifier *c = p->cls;
		p->plan = POLC_PLAN_CLASSIFIER;
		p->classify_inline = true; /* fixed size: the verifier copes */
		polc_note(u,
			  "policy %s: %zu rule%s, plan classifier: classes proto %u, sport %u, dport %u, "
			  "source %u, destination %u, sets %u (%zu set bits); tables %u, %u, %u, %u, %u "
			  "entries; %.1f MiB",
			  p->name, p->n_rules, p->n_rules == 1 ? "" : "s", c->n_proto, c->n_l4a,
			  c->n_l4b, c->n_src, c->n_dst, c->n_mask, c->n_bits,
			  c->ta.rows * c->ta.cols, c->tb.rows * c->tb.cols, c->tc.rows * c->tc.cols,
			  c->td.rows * c->td.cols, c->te.rows * c->te.cols,
			  (double)c->table_bytes / (1 << 20));
		return 0;
	}
	if (!forced && p->n_rules <= PLAN_LINEAR_MAX_RULES) {
		plan_linear(u, p, why);
		return 0;
	}
	struct polc_diag *d = polc_error(&u->diags, p->loc,
					 "policy '%s' is too large for the linear plan and too complex for "
					 "the classifier: %s",
					 p->name, why);
	polc_diag_hint(&u->diags, d,
		       "rules that each pair their own source with their own destination multiply "
		       "the tables; named sets (set NAME : ...) or splitting the policy keep them small");
	return POLC_EPOLICY;
}

/* The literal values the linear plan would compare, one by one. */
static size_t linear_values(const struct ir_policy *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct ir_rule *r = &p->rules[i];
		n += 1 + r->src.n + r->dst.n + r->sport.n + r->dport.n;
	}
	return n;
}

static int plan_one(struct polc_unit *u, struct ir_policy *p);

int polc_plan(struct polc_unit *u)
{
	int err = 0;

	for (size_t i = 0; i < u->ir.n_policies; i++) {
		struct ir_policy *p = &u->ir.policies[i];

		if (!p->has_ct) {
			err = plan_one(u, p) ?: err;
			continue;
		}
		/* its views are what the program classifies with (ir.h) */
		for (int s = 0; s < IR_CT_STATES; s++) {
			bool done = false;
			for (int t = 0; t < s; t++)
				done |= p->ct_view[t] == p->ct_view[s];
			if (!done)
				err = plan_one(u, p->ct_view[s]) ?: err;
		}
		p->plan = p->ct_view[0]->plan;
		p->classify_inline = p->ct_view[0]->classify_inline;
	}
	return err;
}

static int plan_one(struct polc_unit *u, struct ir_policy *p)
{
	switch (u->plan_choice) {
	case POLC_PLAN_FORCE_LINEAR:
		plan_linear(u, p, "chosen with --plan");
		return 0;
	case POLC_PLAN_FORCE_CLASSIFIER:
		return plan_classifier(u, p, true);
	case POLC_PLAN_AUTO:
		break;
	}
	if (p->n_rules <= PLAN_LINEAR_RULES && linear_values(p) <= PLAN_LINEAR_VALUES) {
		plan_linear(u, p, "few rules");
		return 0;
	}
	return plan_classifier(u, p, false);
}
