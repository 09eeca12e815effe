// SPDX-License-Identifier: BSD-2-Clause
/*
 * checktest.c: the check pass for test blocks (docs/language.md, "Tests").
 *
 * Runs after lowering, over the IR it names rules in: each test gets its
 * policy, each expect a packet that parses and a "by" that names a rule of
 * that policy (by label or by the line it starts on), the default or a
 * reason, and a verdict that the "by" can give.  A test never changes the
 * program: the generated C is the same with or without tests.
 */
#include <string.h>

#include "interp.h"
#include "packet.h"
#include "testrun.h"
#include "unit.h"

static const char *const reason_words[POLC_REASON_COUNT_] = {
	[POLC_REASON_DEFAULT] = "default",
	[POLC_REASON_NON_IP] = "non-ip",
	[POLC_REASON_TRUNCATED] = "truncated",
	[POLC_REASON_MALFORMED] = "malformed",
};

const char *polc_reason_word(enum polc_reason r)
{
	return (unsigned)r < POLC_REASON_COUNT_ ? reason_words[r] : "?";
}

/* The verdict a reason gives: non-IP passes, broken IP is dropped. */
enum polc_verdict polc_reason_verdict(enum polc_reason r)
{
	return r == POLC_REASON_NON_IP ? POLC_VERDICT_PASS : POLC_VERDICT_DROP;
}

static enum polc_verdict verdict_of(enum ast_verdict v)
{
	return v == AST_PASS ? POLC_VERDICT_PASS : POLC_VERDICT_DROP;
}

static const char *verdict_word(enum polc_verdict v)
{
	return v == POLC_VERDICT_PASS ? "pass" : "drop";
}

/* The policy a test is for; SIZE_MAX (reported) when there is none. */
static size_t test_policy(struct polc_unit *u, const struct ast_test *t)
{
	const struct ir_unit *ir = &u->ir;

	if (t->policy) {
		const char *names[256];
		size_t n = 0;
		for (size_t i = 0; i < ir->n_policies; i++) {
			if (strcmp(ir->policies[i].name, t->policy) == 0)
				return i;
			if (n < 256)
				names[n++] = ir->policies[i].name;
		}
		struct polc_diag *d = polc_error(&u->diags, t->policy_loc,
						 "test \"%s\" is for policy '%s', which this file does not have",
						 t->name, t->policy);
		const char *s = polc_suggest(t->policy, names, n);
		if (s)
			polc_diag_hint(&u->diags, d, "did you mean '%s'?", s);
		return SIZE_MAX;
	}
	if (ir->n_policies == 1)
		return 0;
	if (ir->n_policies == 0) {
		polc_error(&u->diags, t->name_loc, "test \"%s\" has no policy to test: this file has none",
			   t->name);
		return SIZE_MAX;
	}
	struct polc_diag *d = polc_error(&u->diags, t->name_loc,
					 "this file has %zu policies: say which one test \"%s\" is for",
					 ir->n_policies, t->name);
	polc_diag_hint(&u->diags, d, "write: test \"%s\" in %s { ... }", t->name,
		       ir->policies[0].name);
	return SIZE_MAX;
}

/* Where in the file offset `at` of an expect's packet text is. */
static struct polc_loc string_at(struct polc_loc l, size_t at)
{
	/* the text starts after the opening quote, on the string's line */
	l.col += 1 + (uint32_t)at;
	l.end_line = l.line;
	l.end_col = l.col + 1;
	return l;
}

static struct polc_loc packet_at(const struct ast_expect *e, size_t at)
{
	return string_at(e->packet_loc, at);
}

/* expect pass "..." as "PACKET": the tuple it must leave with. */
static void check_as(struct polc_unit *u, struct ast_expect *e)
{
	struct polc_packet pk;
	struct polc_packet_error err;
	uint8_t frame[2048];
	size_t len;
	struct ir_packet k;
	struct polc_tuple *t = arena_alloc(u->arena, sizeof(*t));

	if (e->verdict != AST_PASS) {
		polc_error(&u->diags, e->as_loc, "a dropped packet leaves as nothing: 'as' goes with 'expect pass'");
		return;
	}
	if (polc_packet_parse(e->as_packet, strlen(e->as_packet), &pk, &err) != 0) {
		struct polc_diag *d = polc_error(&u->diags, string_at(e->as_loc, err.at),
						 "in the packet after 'as': %s", err.msg);
		polc_diag_hint(&u->diags, d, "it reads like the packet, with the addresses and ports it leaves with");
		return;
	}
	if (pk.out) {
		polc_error(&u->diags, e->as_loc, "'as' says how the packet leaves: no 'in' or 'out' there");
		return;
	}
	if (polc_packet_frame(&pk, frame, sizeof(frame), &len) != 0 ||
	    polc_interp_parse(frame, len, &k) != POLC_REASON_DEFAULT || !polc_tuple_of(&k, t)) {
		polc_error(&u->diags, e->as_loc, "'as' takes a TCP, UDP or ICMP echo packet: what a flow is");
		return;
	}
	if (e->pk && (e->pk->proto != pk.proto || e->pk->family != pk.family)) {
		polc_error(&u->diags, e->as_loc, "NAT keeps the protocol and the address family: "
						 "the packet after 'as' changes one");
		return;
	}
	e->as = t;
}

static void check_by(struct polc_unit *u, const struct ir_policy *p, struct ast_expect *e)
{
	enum polc_verdict want = verdict_of(e->verdict);
	const struct ir_rule *r = NULL;

	switch (e->by) {
	case AST_BY_NONE:
		return;
	case AST_BY_DEFAULT:
		if (p->default_verdict != want)
			polc_error(&u->diags, e->by_loc,
				   "expects %s by default, but policy '%s' has 'default %s'",
				   verdict_word(want), p->name, verdict_word(p->default_verdict));
		e->reason = POLC_REASON_DEFAULT;
		return;
	case AST_BY_FLOW:
		if (!p->track)
			polc_error(&u->diags, e->by_loc,
				   "'by established' needs connection tracking: policy '%s' has no 'track'",
				   p->name);
		else if (want != POLC_VERDICT_PASS)
			polc_error(&u->diags, e->by_loc, "a packet of a tracked flow is always passed");
		return;
	case AST_BY_REASON: {
		for (int i = 1; i < POLC_REASON_COUNT_; i++) {
			if (strcmp(e->by_name, reason_words[i]) != 0)
				continue;
			e->reason = (unsigned)i;
			if (polc_reason_verdict((enum polc_reason)i) != want)
				polc_error(&u->diags, e->by_loc, "a %s packet is always %s, never %s",
					   reason_words[i],
					   polc_reason_verdict((enum polc_reason)i) == POLC_VERDICT_PASS
						   ? "passed"
						   : "dropped",
					   want == POLC_VERDICT_PASS ? "passed" : "dropped");
			return;
		}
		const char *words[] = { "rule", "line", "default", "non-ip", "truncated", "malformed",
					"established" };
		struct polc_diag *d = polc_error(&u->diags, e->by_loc,
						 "unknown 'by %s': expected 'by rule LABEL', 'by line N', "
						 "'by default', 'by established', 'by non-ip', 'by truncated' or "
						 "'by malformed'",
						 e->by_name);
		const char *s = polc_suggest(e->by_name, words, sizeof(words) / sizeof(words[0]));
		if (s)
			polc_diag_hint(&u->diags, d, "did you mean '%s'?", s);
		return;
	}
	case AST_BY_RULE: {
		const char *names[256];
		size_t n = 0;
		for (size_t i = 0; i < p->n_rules && !r; i++) {
			if (p->rules[i].label && strcmp(p->rules[i].label, e->by_name) == 0)
				r = &p->rules[i];
			else if (p->rules[i].label && n < 256)
				names[n++] = p->rules[i].label;
		}
		if (!r) {
			struct polc_diag *d = polc_error(&u->diags, e->by_loc,
							 "policy '%s' has no rule labelled '%s'", p->name,
							 e->by_name);
			const char *s = polc_suggest(e->by_name, names, n);
			if (s)
				polc_diag_hint(&u->diags, d, "did you mean '%s'?", s);
			else if (!n)
				polc_diag_hint(&u->diags, d, "give the rule one ('label NAME'), or "
							  "name it by its line: by line N");
			return;
		}
		break;
	}
	case AST_BY_LINE:
		for (size_t i = 0; i < p->n_rules && !r; i++)
			if (p->rules[i].loc.line == e->by_line)
				r = &p->rules[i];
		if (!r) {
			struct polc_diag *d = polc_error(&u->diags, e->by_loc,
							 "no rule of policy '%s' starts on line %llu", p->name,
							 (unsigned long long)e->by_line);
			if (p->n_rules)
				polc_diag_related(&u->diags, d, p->rules[0].loc,
						  "its first rule starts here");
			return;
		}
		break;
	}
	e->rule = r->id;
	/* a dnat or snat rule drops what it cannot translate */
	if (r->verdict != want && !(r->nat && want == POLC_VERDICT_DROP)) {
		struct polc_diag *d = polc_error(&u->diags, e->loc,
						 "expects %s, but the rule it names is a '%s' rule",
						 verdict_word(want), verdict_word(r->verdict));
		polc_diag_related(&u->diags, d, r->loc, "the rule");
	}
}

int polc_check_tests(struct polc_unit *u)
{
	unsigned before = u->diags.n_errors;
	struct ast_file *a = &u->ast;

	for (size_t i = 0; i < a->tests.n; i++) {
		struct ast_test *t = a->tests.v[i];

		for (size_t j = 0; j < i; j++) {
			if (strcmp(a->tests.v[j]->name, t->name) == 0) {
				struct polc_diag *d = polc_error(&u->diags, t->name_loc,
								 "a second test named \"%s\"", t->name);
				polc_diag_related(&u->diags, d, a->tests.v[j]->name_loc,
						  "the first one");
				break;
			}
		}
		if (!t->name[0])
			polc_error(&u->diags, t->name_loc, "a test needs a name");
		t->ir_policy = test_policy(u, t);
		if (!t->expects.n && !t->syntax_errors)
			polc_error(&u->diags, t->name_loc,
				   "test \"%s\" expects nothing: add 'expect pass|drop \"PACKET\"'",
				   t->name);
		bool tracked = t->ir_policy != SIZE_MAX && u->ir.policies[t->ir_policy].track;
		for (size_t k = 0; k < t->expects.n; k++) {
			struct ast_expect *e = t->expects.v[k];
			struct polc_packet *pk = arena_alloc(u->arena, sizeof(*pk));
			struct polc_packet_error err;

			if (polc_packet_parse(e->packet, strlen(e->packet), pk, &err) != 0) {
				struct polc_diag *d = polc_error(&u->diags, packet_at(e, err.at),
								 "in the packet: %s", err.msg);
				polc_diag_hint(&u->diags, d, "a packet reads like "
							  "\"tcp 192.0.2.1:40000 -> 192.0.2.2:80 syn\"");
				pk = NULL;
			} else if (tracked && pk->out && e->by != AST_BY_NONE) {
				struct polc_diag *d = polc_error(&u->diags, e->by_loc,
								 "an 'out' packet of a tracked policy goes "
								 "through its companion program, which only "
								 "records it: nothing but the verdict to expect");
				polc_diag_hint(&u->diags, d, "write: expect pass \"out ...\"");
			} else if (tracked && pk->out && e->verdict != AST_PASS) {
				polc_error(&u->diags, e->loc, "an 'out' packet of a tracked policy always "
							      "passes (the companion program never drops)");
			}
			e->pk = pk;
			if (t->ir_policy != SIZE_MAX)
				check_by(u, &u->ir.policies[t->ir_policy], e);
			if (e->as_packet)
				check_as(u, e);
		}
	}
	return u->diags.n_errors > before ? POLC_EPOLICY : 0;
}
