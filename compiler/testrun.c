// SPDX-License-Identifier: BSD-2-Clause
/*
 * testrun.c: run a unit's test blocks through the reference interpreter
 * and, when given one, the kernel (testrun.h).
 *
 * Each expect's packet becomes one Ethernet frame (packet.c); the
 * interpreter's decision must be the expected one, and the kernel's must be
 * the interpreter's, field for field: verdict, deciding rule, reason.  The
 * rules that decided some packet are counted for --coverage.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ctmodel.h"
#include "interp.h"
#include "packet.h"
#include "testrun.h"
#include "unit.h"

static bool seen_same(const struct polc_seen *a, const struct polc_seen *b)
{
	if (a->verdict != b->verdict || a->rule != b->rule || a->reason != b->reason ||
	    a->established != b->established)
		return false;
	/* what a passed packet leaves as: the same translation */
	if (a->verdict == POLC_VERDICT_PASS && a->out_valid && b->out_valid)
		return polc_tuple_eq(&a->out, &b->out);
	return true;
}

/* "tcp 10.0.0.1:40000 -> 10.2.1.2:8080" */
void polc_tuple_text(char *buf, size_t len, const struct polc_tuple *t)
{
	char a[64], b[64];
	uint8_t x[16], y[16];

	for (int i = 0; i < 16; i++) {
		x[i] = (uint8_t)(t->src[i / 4] >> (24 - 8 * (i % 4)));
		y[i] = (uint8_t)(t->dst[i / 4] >> (24 - 8 * (i % 4)));
	}
	inet_ntop(t->family == 6 ? AF_INET6 : AF_INET, x, a, sizeof(a));
	inet_ntop(t->family == 6 ? AF_INET6 : AF_INET, y, b, sizeof(b));
	const char *proto = t->proto == 6 ? "tcp" : t->proto == 17 ? "udp" : t->proto == 1 ? "icmp" : "icmpv6";
	if (t->proto == 6 || t->proto == 17)
		snprintf(buf, len, t->family == 6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u",
			 proto, a, t->sport, b, t->dport);
	else
		snprintf(buf, len, "%s %s -> %s id %u", proto, a, b, t->sport);
}

/* "drop by rule 3 (ssh, line 12)", "pass by default", "drop by truncated" */
static void describe(char *buf, size_t len, const struct ir_policy *p, const struct polc_seen *s)
{
	const char *v = s->verdict == POLC_VERDICT_PASS ? "pass" : "drop";

	if (s->established) {
		snprintf(buf, len, "%s by established (a tracked flow)", v);
	} else if (s->rule && s->rule <= p->n_rules) {
		const struct ir_rule *r = &p->rules[s->rule - 1];
		if (r->label)
			snprintf(buf, len, "%s by rule %s (line %u)", v, r->label, r->loc.line);
		else
			snprintf(buf, len, "%s by the rule on line %u", v, r->loc.line);
	} else if (s->rule) {
		snprintf(buf, len, "%s by rule id %u (not in the policy)", v, s->rule);
	} else {
		snprintf(buf, len, "%s by %s", v, polc_reason_word(s->reason));
	}
}

/* Did the interpreter decide as the expect says? */
static bool as_expected(const struct ast_expect *e, const struct polc_seen *s)
{
	enum polc_verdict want = e->verdict == AST_PASS ? POLC_VERDICT_PASS : POLC_VERDICT_DROP;

	if (s->verdict != want)
		return false;
	switch (e->by) {
	case AST_BY_NONE:
		return true;
	case AST_BY_RULE:
	case AST_BY_LINE:
		return s->rule == e->rule;
	case AST_BY_DEFAULT:
		return !s->rule && s->reason == POLC_REASON_DEFAULT && !s->established;
	case AST_BY_REASON:
		return !s->rule && s->reason == e->reason && !s->established;
	case AST_BY_FLOW:
		return s->established;
	}
	return false;
}

static void run_expect(const struct ir_policy *p, const struct ast_expect *e,
		       const struct polc_kernel *k, struct polc_ct_model *ct,
		       struct polc_expect_result *x, bool *decided)
{
	uint8_t frame[2048];
	size_t len = 0;
	char got[200], other[200];

	x->packet = e->packet;
	x->line = e->loc.line;
	x->col = e->loc.col;
	x->want.verdict = e->verdict == AST_PASS ? POLC_VERDICT_PASS : POLC_VERDICT_DROP;
	x->want.rule = e->rule;
	x->want.reason = e->by == AST_BY_REASON ? (enum polc_reason)e->reason : POLC_REASON_DEFAULT;
	x->want.established = e->by == AST_BY_FLOW;
	x->want_by = e->by != AST_BY_NONE;
	/* checktest.c parsed it (a unit with errors runs no test) */
	if (!e->pk || polc_packet_frame(e->pk, frame, sizeof(frame), &len) != 0) {
		x->status = POLC_TEST_ERROR;
		snprintf(x->why, sizeof(x->why), "the packet cannot be built");
		return;
	}

	/* the kernel first: a random dnat rule's model follows its pick */
	if (k) {
		int err = k->run(k->ctx, p->name, p->track && e->pk->out, frame, len, &x->kernel);
		if (err) {
			x->status = POLC_TEST_ERROR;
			snprintf(x->why, sizeof(x->why), "the kernel run failed: %s", strerror(-err));
			return;
		}
		x->kernel_ran = true;
	}

	struct polc_decision d;
	struct polc_ct_out o = { 0 }, hint = { x->kernel.out_valid, x->kernel.out };
	bool established = false;
	bool out = p->track && e->pk->out;
	if (out) {
		/* the companion program: records, passes, translates replies */
		polc_ct_model_out(ct, frame, len, &o);
		memset(&d, 0, sizeof(d));
		d.verdict = POLC_VERDICT_PASS;
	} else if (p->track) {
		polc_ct_model_in(ct, p, frame, len, &d, &established, k ? &hint : NULL, &o);
	} else {
		polc_interp_run(p, frame, len, &d, NULL);
		o.valid = d.verdict == POLC_VERDICT_PASS && polc_tuple_of(&d.packet, &o.t);
	}
	x->interp = (struct polc_seen){ d.verdict, d.rule, d.rule ? POLC_REASON_DEFAULT : d.reason,
					established, o.valid && d.verdict == POLC_VERDICT_PASS, o.t,
					false };
	if (x->interp.rule && x->interp.rule <= p->n_rules)
		decided[x->interp.rule - 1] = true;
	describe(got, sizeof(got), p, &x->interp);

	if (k) {
		if (x->kernel.bad_csum) {
			x->status = POLC_TEST_BUG;
			snprintf(x->why, sizeof(x->why),
				 "polc bug: the compiled program left the packet with a wrong checksum "
				 "(please report it with the policy and this packet)");
			return;
		}
		if (!seen_same(&x->interp, &x->kernel)) {
			describe(other, sizeof(other), p, &x->kernel);
			if (x->interp.verdict == x->kernel.verdict && x->interp.out_valid &&
			    x->kernel.out_valid) {
				char a[128], b[128];
				polc_tuple_text(a, sizeof(a), &x->interp.out);
				polc_tuple_text(b, sizeof(b), &x->kernel.out);
				snprintf(got + strlen(got), sizeof(got) - strlen(got), ", leaving as %s", a);
				snprintf(other + strlen(other), sizeof(other) - strlen(other),
					 ", leaving as %s", b);
			}
			x->status = POLC_TEST_BUG;
			snprintf(x->why, sizeof(x->why),
				 "polc bug: the interpreter says %s, the compiled program %s "
				 "(please report it with the policy and this packet)",
				 got, other);
			return;
		}
	}
	if (e->as && x->interp.verdict == POLC_VERDICT_PASS &&
	    !(x->interp.out_valid && polc_tuple_eq(&x->interp.out, e->as))) {
		char want[128], have[128] = "not as a flow";
		polc_tuple_text(want, sizeof(want), e->as);
		if (x->interp.out_valid)
			polc_tuple_text(have, sizeof(have), &x->interp.out);
		x->status = POLC_TEST_FAIL;
		snprintf(x->why, sizeof(x->why), "expected it to leave as %s, it leaves as %s%s", want,
			 have, k ? " (the interpreter and the kernel agree)" : "");
		return;
	}
	if (!as_expected(e, &x->interp)) {
		struct polc_seen w = x->want;
		char want[128];
		if (e->by == AST_BY_NONE) {
			snprintf(want, sizeof(want), "%s",
				 w.verdict == POLC_VERDICT_PASS ? "pass" : "drop");
		} else {
			describe(want, sizeof(want), p, &w);
		}
		x->status = POLC_TEST_FAIL;
		snprintf(x->why, sizeof(x->why), "expected %s, got %s%s", want, got,
			 k ? " (the interpreter and the kernel agree)" : "");
		return;
	}
	x->status = POLC_TEST_PASS;
}

int polc_test_run(struct polc_unit *u, const struct polc_kernel *k, struct polc_test_report *r)
{
	const struct ast_file *a = &u->ast;
	const struct ir_unit *ir = &u->ir;

	memset(r, 0, sizeof(*r));
	if (u->diags.n_errors)
		return POLC_EPOLICY;
	struct polc_ct_model *ct = arena_calloc(u->arena, 1, sizeof(*ct));
	ct->arena = u->arena;
	r->file = u->src->name;
	r->kernel = k != NULL;
	r->n_tests = a->tests.n;
	r->tests = arena_calloc(u->arena, a->tests.n ? a->tests.n : 1, sizeof(*r->tests));

	/* per policy, per rule: decided some packet */
	bool **decided = arena_calloc(u->arena, ir->n_policies ? ir->n_policies : 1, sizeof(*decided));
	for (size_t i = 0; i < ir->n_policies; i++)
		decided[i] = arena_calloc(u->arena, ir->policies[i].n_rules + 1, sizeof(bool));

	for (size_t i = 0; i < a->tests.n; i++) {
		const struct ast_test *t = a->tests.v[i];
		const struct ir_policy *p = &ir->policies[t->ir_policy];
		struct polc_test_result *tr = &r->tests[i];

		tr->name = t->name;
		tr->policy = p->name;
		tr->line = t->name_loc.line;
		tr->col = t->name_loc.col;
		tr->n_expects = t->expects.n;
		tr->expects = arena_calloc(u->arena, t->expects.n ? t->expects.n : 1,
					   sizeof(*tr->expects));
		tr->status = POLC_TEST_PASS;
		/* a test's packets are one sequence: flows live from its first
		 * packet to its last */
		polc_ct_model_reset(ct);
		if (k && k->reset && p->track)
			k->reset(k->ctx, p->name);
		for (size_t j = 0; j < t->expects.n; j++) {
			struct polc_expect_result *x = &tr->expects[j];
			run_expect(p, t->expects.v[j], k, ct, x, decided[t->ir_policy]);
			/* the worst: bug > error > fail > pass */
			static const int rank[] = { [POLC_TEST_PASS] = 0, [POLC_TEST_FAIL] = 1,
						    [POLC_TEST_ERROR] = 2, [POLC_TEST_BUG] = 3 };
			if (rank[x->status] > rank[tr->status])
				tr->status = x->status;
		}
		switch (tr->status) {
		case POLC_TEST_PASS: r->passed++; break;
		case POLC_TEST_FAIL: r->failed++; break;
		case POLC_TEST_BUG: r->bugs++; break;
		case POLC_TEST_ERROR: r->errors++; break;
		}
	}

	/* coverage: the rules of the policies this file tests */
	size_t n = 0;
	for (size_t i = 0; i < ir->n_policies; i++) {
		r->n_rules += ir->policies[i].n_rules;
		for (size_t j = 0; j < ir->policies[i].n_rules; j++)
			n += !decided[i][j];
	}
	r->uncovered = arena_calloc(u->arena, n ? n : 1, sizeof(*r->uncovered));
	for (size_t i = 0; i < ir->n_policies; i++) {
		const struct ir_policy *p = &ir->policies[i];
		for (size_t j = 0; j < p->n_rules; j++) {
			if (decided[i][j])
				continue;
			r->uncovered[r->n_uncovered++] = (struct polc_uncovered){
				p->name, p->rules[j].id, p->rules[j].loc.line, p->rules[j].loc.col,
				p->rules[j].text
			};
		}
	}
	return 0;
}
