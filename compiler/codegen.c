// SPDX-License-Identifier: BSD-2-Clause
/*
 * codegen.c: the code generation pass: IR (as planned) to BPF C.
 *
 * The output includes the embedded templates (polc_prog.h and the hook
 * glue) and adds, per policy, its counter maps, a classify function, the
 * program and its entry in the ".polc.meta" rule table.  It is meant to be
 * read: a banner, one commented block per rule naming its source line, and
 * no timestamps or paths, so the same policy always gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "hook.h"
#include "sha256.h"
#include "util.h"

/* 5.12: global functions with pointer arguments (the classify functions) */
#define POLC_MIN_KERNEL ((5u << 16) | (12u << 8))

static const char *const verdict_names[] = {
	[POLC_VERDICT_PASS] = "pass",
	[POLC_VERDICT_DROP] = "drop",
};

static const char *const verdict_consts[] = {
	[POLC_VERDICT_PASS] = "POLC_VERDICT_PASS",
	[POLC_VERDICT_DROP] = "POLC_VERDICT_DROP",
};

/* ---- conditions --------------------------------------------------------- */

/* A conjunction of C terms being built for one rule and family. */
struct terms {
	struct strbuf sb;
	unsigned n;
	bool nested; /* inside "(p->family == N && ...)": one more space */
};

static void term_begin(struct terms *t)
{
	if (t->n++)
		strbuf_puts(&t->sb, t->nested ? " &&\n\t     " : " &&\n\t    ");
}

/* "x == 80", "(x >= 1024 && x <= 2048)", "x <= 10", ... */
static void emit_range(struct strbuf *sb, const char *field, unsigned lo,
		       unsigned hi, unsigned max)
{
	if (lo == hi)
		strbuf_printf(sb, "%s == %u", field, lo);
	else if (lo == 0)
		strbuf_printf(sb, "%s <= %u", field, hi);
	else if (hi == max)
		strbuf_printf(sb, "%s >= %u", field, lo);
	else
		strbuf_printf(sb, "(%s >= %u && %s <= %u)", field, lo, field, hi);
}

static void emit_ranges(struct terms *t, const char *field,
			const struct ir_range *r, size_t n, unsigned max)
{
	term_begin(t);
	if (n > 1)
		strbuf_putc(&t->sb, '(');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(&t->sb, " || ");
		emit_range(&t->sb, field, r[i].lo, r[i].hi, max);
	}
	if (n > 1)
		strbuf_putc(&t->sb, ')');
}

static void emit_byteset(struct terms *t, const char *field,
			 const struct ir_byteset *s)
{
	struct ir_range r[256];
	size_t n = 0;

	if (s->any)
		return;
	for (unsigned v = 0; v < 256; v++) {
		if (!ir_byteset_has(s, v))
			continue;
		if (n && r[n - 1].hi + 1u == v)
			r[n - 1].hi = (uint16_t)v;
		else
			r[n++] = (struct ir_range){ (uint16_t)v, (uint16_t)v };
	}
	emit_ranges(t, field, r, n, 255);
}

void gen_prefix_test(struct strbuf *sb, const char *field, const struct ir_prefix *p)
{
	if (p->family == IR_V4) {
		uint32_t a = p->w[0];
		if (p->len == 32)
			strbuf_printf(sb, "%s[0] == POLC_IPV4(%u, %u, %u, %u)", field,
				      a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
		else
			strbuf_printf(sb, "(%s[0] & POLC_MASK(%u)) == POLC_IPV4(%u, %u, %u, %u)",
				      field, p->len, a >> 24, (a >> 16) & 255,
				      (a >> 8) & 255, a & 255);
		return;
	}
	unsigned words = (p->len + 31) / 32;
	if (words > 1)
		strbuf_putc(sb, '(');
	for (unsigned i = 0; i < words; i++) {
		unsigned bits = p->len - i * 32 >= 32 ? 32 : p->len - i * 32;
		if (i)
			strbuf_puts(sb, " && ");
		if (bits == 32)
			strbuf_printf(sb, "%s[%u] == 0x%08x", field, i, p->w[i]);
		else
			strbuf_printf(sb, "(%s[%u] & 0x%08x) == 0x%08x", field, i,
				      ~0u << (32 - bits), p->w[i]);
	}
	if (words > 1)
		strbuf_putc(sb, ')');
}

static void emit_addrs(struct gen *g, struct terms *t, const char *field,
		       const struct ir_addrset *s, enum ir_family f)
{
	size_t n = 0;

	if (s->any)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].family != f)
			continue;
		if (s->v[i].len == 0)
			return; /* the whole family */
		n++;
	}
	for (size_t i = 0; i < s->n_sets; i++)
		n += (s->sets[i]->families & IR_FAMILY_BIT(f)) != 0;
	term_begin(t);
	if (n == 0) {
		strbuf_puts(&t->sb, "0"); /* only sets without this family */
		return;
	}
	if (n > 1)
		strbuf_putc(&t->sb, '(');
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].family != f)
			continue;
		if (k++)
			strbuf_puts(&t->sb, n > 4 ? " ||\n\t     " : " || ");
		gen_prefix_test(&t->sb, field, &s->v[i]);
	}
	for (size_t i = 0; i < s->n_sets; i++) {
		if (!(s->sets[i]->families & IR_FAMILY_BIT(f)))
			continue;
		if (k++)
			strbuf_puts(&t->sb, " || ");
		gen_set_has_addr(g, &t->sb, s->sets[i], f, field);
	}
	if (n > 1)
		strbuf_putc(&t->sb, ')');
}

/* Ports: ranges and sets. */
static void emit_ports(struct gen *g, struct terms *t, const char *field,
		       const struct ir_portset *s)
{
	if (s->any)
		return;
	if (s->n_sets == 0) {
		emit_ranges(t, field, s->v, s->n, 65535);
		return;
	}
	term_begin(t);
	strbuf_putc(&t->sb, '(');
	for (size_t i = 0; i < s->n; i++) {
		emit_range(&t->sb, field, s->v[i].lo, s->v[i].hi, 65535);
		strbuf_puts(&t->sb, " || ");
	}
	for (size_t i = 0; i < s->n_sets; i++) {
		if (i)
			strbuf_puts(&t->sb, " || ");
		gen_set_has_port(g, &t->sb, s->sets[i], field);
	}
	strbuf_putc(&t->sb, ')');
}

/* The terms of rule r for packets of family f, without the family test. */
static void rule_terms(struct gen *g, const struct ir_rule *r, enum ir_family f,
		       struct terms *t)
{
	emit_byteset(t, "p->l4proto", &r->proto[f]);
	if (r->needs_l4) {
		term_begin(t);
		strbuf_puts(&t->sb, "p->has_l4");
	}
	emit_ports(g, t, "p->sport", &r->sport);
	emit_ports(g, t, "p->dport", &r->dport);
	emit_byteset(t, "p->icmp_type", &r->icmp_type[f]);
	emit_byteset(t, "p->icmp_code", &r->icmp_code);
	emit_addrs(g, t, "p->src", &r->src, f);
	emit_addrs(g, t, "p->dst", &r->dst, f);
}

/* The whole condition of a rule. */
static void emit_condition(struct gen *g, struct strbuf *out, const struct ir_rule *r)
{
	struct terms t[IR_NFAMILIES] = { { STRBUF_INIT, 0, false }, { STRBUF_INIT, 0, false } };
	bool both = r->families == IR_FAMILIES_ALL;

	for (int f = 0; f < IR_NFAMILIES; f++)
		if (r->families & IR_FAMILY_BIT(f))
			rule_terms(g, r, f, &t[f]);
	if (both && strcmp(strbuf_str(&t[0].sb), strbuf_str(&t[1].sb)) != 0) {
		/* different per family: build them again, indented one more */
		for (int f = 0; f < IR_NFAMILIES; f++) {
			strbuf_release(&t[f].sb);
			t[f] = (struct terms){ STRBUF_INIT, 0, true };
			rule_terms(g, r, f, &t[f]);
		}
	}

	if (both && strcmp(strbuf_str(&t[0].sb), strbuf_str(&t[1].sb)) == 0) {
		/* the same test for either family */
		strbuf_puts(out, t[0].n ? strbuf_str(&t[0].sb) : "1");
	} else if (both) {
		strbuf_printf(out, "(p->family == 4%s%s) ||\n\t    (p->family == 6%s%s)",
			      t[0].n ? " &&\n\t     " : "", strbuf_str(&t[0].sb),
			      t[1].n ? " &&\n\t     " : "", strbuf_str(&t[1].sb));
	} else {
		int f = r->families == IR_FAMILY_BIT(IR_V4) ? IR_V4 : IR_V6;
		strbuf_printf(out, "p->family == %d%s%s", f == IR_V4 ? 4 : 6,
			      t[f].n ? " &&\n\t    " : "", strbuf_str(&t[f].sb));
	}
	strbuf_release(&t[0].sb);
	strbuf_release(&t[1].sb);
}

/* A comment must not end early: "*" "/" in source text is broken up. */
static void emit_comment_text(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		strbuf_putc(out, *s);
		if (s[0] == '*' && s[1] == '/')
			strbuf_putc(out, ' ');
	}
}

static const char *src_name(const struct polc_unit *u)
{
	const char *slash = strrchr(u->src->name, '/');

	return slash ? slash + 1 : u->src->name;
}

static void emit_linear_classify(struct gen *g, const struct ir_policy *p)
{
	struct strbuf *out = g->out;

	/*
	 * Out of line, a global function: the verifier checks it once, on its
	 * own, with *p unknown.  Inlined, it is walked again for every way
	 * through the parser (each leaves other known field values behind),
	 * and a policy of a few hundred rules would exceed the verifier's
	 * budget; plan.c chooses.  A global function's pointer argument may
	 * be NULL.
	 */
	if (p->classify_inline)
		strbuf_printf(out,
			      "/* Rules in source order; the first that matches decides. */\n"
			      "static __always_inline __u32 %s_classify(const struct polc_pkt *p)\n"
			      "{\n",
			      p->cname);
	else
		strbuf_printf(out,
			      "/* Rules in source order; the first that matches decides.  Not inlined:\n"
			      " * the verifier checks a global function once, not once per parser path. */\n"
			      "__attribute__((noinline)) __u32 %s_classify(const struct polc_pkt *p)\n"
			      "{\n"
			      "\tif (!p)\n"
			      "\t\treturn 0;\n",
			      p->cname);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct ir_rule *r = &p->rules[i];

		strbuf_printf(out, "\t/* rule %u: %s:%u:%u: ", r->id, src_name(g->u), r->loc.line,
			      r->loc.col);
		emit_comment_text(out, r->text);
		strbuf_puts(out, " */\n\tif (");
		emit_condition(g, out, r);
		strbuf_printf(out, ")\n\t\treturn POLC_MATCH(%u, %s);\n", r->id,
			      verdict_consts[r->verdict]);
	}
	strbuf_puts(out, "\treturn 0;\n}\n\n");
}

static const char *const plan_names[] = {
	[POLC_PLAN_LINEAR] = "linear",
	[POLC_PLAN_CLASSIFIER] = "classifier",
};

/*
 * A tracked policy: packets of known flows pass on one conntrack lookup
 * without the rules; the rest go through them, and a new flow a pass rule
 * admits is recorded.  Its companion, on the other direction of the device,
 * records the flows the node opens and keeps the state of admitted ones; it
 * never drops (polc_ct.h, "USE").
 */
static void emit_tracked(struct gen *g, const struct ir_policy *p, const struct hook_ops *ops)
{
	const struct hook_ops *co = hook_ops_get(p->companion_hook);
	const char *n = p->cname;
	/* POLC_CT_PREPARE takes the hook's short name: polc_<hook>_load() */
	const char *hook = ops->hook == POLC_HOOK_XDP ? "xdp" : "tc";
	bool nat = gen_nat_used(p);

	strbuf_printf(g->out,
		      "SEC(\"%s\")\n"
		      "int %s(%s *ctx)\n"
		      "{\n"
		      "\tstruct polc_pkt pkt;\n"
		      "\tstruct polc_ct ct;\n"
		      "\tvoid *data, *data_end;\n"
		      "\t__u32 len, verdict, m;\n"
		      "\tint r;\n"
		      "\n"
		      "\t%s_load(ctx, &data, &data_end, &len);\n"
		      "\tif (polc_prefilter(&pkt, data, data_end, len, &%s_reasons, &verdict))\n"
		      "\t\treturn %s_action(verdict);\n"
		      "\t/* a packet of a flow the policy admitted, or the node opened */\n"
		      "\tr = POLC_CT_LOOKUP(%s, %s, ctx, &pkt, len, &ct);\n",
		      ops->section, n, ops->ctx_type, ops->glue, n, ops->glue, n, hook);
	const char *pass = nat ? "polc_nat_apply_tc(ctx, &pkt, &ct)" : "POLC_VERDICT_PASS";
	const struct ir_policy *est = p->has_ct ? p->ct_view[1] : NULL;
	const struct ir_policy *rel = p->has_ct ? p->ct_view[2] : NULL;
	if ((est && est->n_rules) || (rel && rel->n_rules)) {
		/* the rules that say 'ct established' or 'ct related' see the
		 * known flows' packets first */
		strbuf_puts(g->out, "\tif (polc_ct_passes(r)) {\n");
		/* a state without such rules: no classify call */
		const char *call[2];
		const struct ir_policy *v[2] = { rel, est };
		for (int i = 0; i < 2; i++)
			call[i] = v[i]->n_rules ? arena_printf(g->u->arena, "%s_classify(&pkt)", v[i]->cname)
						: "0";
		strbuf_printf(g->out, "\t\tm = r == POLC_CT_RELATED ? %s : %s;\n", call[0], call[1]);
		strbuf_printf(g->out,
			      "\t\tif (m && polc_finish(m, len, &%s_rules, &%s_reasons, POLC_VERDICT_PASS) !=\n"
			      "\t\t\t     POLC_VERDICT_PASS)\n"
			      "\t\t\treturn %s_action(POLC_VERDICT_DROP);\n"
			      "\t\treturn %s_action(%s);\n"
			      "\t}\n",
			      n, n, ops->glue, ops->glue, pass);
	} else {
		strbuf_printf(g->out,
			      "\tif (polc_ct_passes(r))\n"
			      "\t\treturn %s_action(%s);\n",
			      ops->glue, pass);
	}
	if (p->has_ct)
		strbuf_printf(g->out,
			      "\t/* the rules of the packet's connection state */\n"
			      "\tm = r == POLC_CT_NEW ? %s_classify(&pkt) :\n"
			      "\t    r == POLC_CT_INVALID ? %s_classify(&pkt) : %s_classify(&pkt);\n",
			      p->ct_view[0]->cname, p->ct_view[3]->cname, p->ct_view[4]->cname);
	else
		strbuf_printf(g->out, "\tm = %s_classify(&pkt);\n", n);
	strbuf_printf(g->out,
		      "\tverdict = polc_finish(m, len, &%s_rules, &%s_reasons, %s);\n",
		      n, n, verdict_consts[p->default_verdict]);
	if (nat)
		gen_nat_dispatch(g, p);
	else
		strbuf_printf(g->out,
			      "\tif (verdict == POLC_VERDICT_PASS && r == POLC_CT_NEW)\n"
			      "\t\t%s_ct_create(&pkt, len, POLC_MATCH_RULE(m), 0, &ct);\n",
			      n);
	strbuf_printf(g->out,
		      "\treturn %s_action(verdict);\n"
		      "}\n\n",
		      ops->glue);
	strbuf_printf(g->out,
		      "/* %s's companion on %s: %s */\n"
		      "SEC(\"%s\")\n"
		      "int %s_track(%s *ctx)\n"
		      "{\n"
		      "\tstruct polc_pkt pkt;\n"
		      "\tstruct polc_ct ct;\n"
		      "\tvoid *data, *data_end;\n"
		      "\t__u32 len;\n"
		      "\n"
		      "\t%s_load(ctx, &data, &data_end, &len);\n"
		      "\tif (polc_parse(&pkt, data, data_end, len) != POLC_PARSE_OK)\n"
		      "\t\treturn %s_action(POLC_VERDICT_PASS);\n"
		      "\tPOLC_CT_TRACK(%s, tc, ctx, &pkt, len, &ct);\n"
		      "\treturn %s_action(%s);\n"
		      "}\n\n",
		      p->name, co->name,
		      nat ? "records, translates; drops only what it fails to rewrite"
			  : "records, never drops", co->section, n,
		      co->ctx_type, co->glue, co->glue, n, co->glue,
		      nat ? "polc_nat_apply_tc(ctx, &pkt, &ct)" : "POLC_VERDICT_PASS");
}

static void emit_policy(struct gen *g, const struct ir_policy *p, size_t index)
{
	struct strbuf *out = g->out;
	const struct hook_ops *ops = hook_ops_get(p->hook);
	struct polc_meta_policy rec = { 0 };

	strbuf_printf(out,
		      "/*\n * policy %s: %s:%u, attach %s, default %s, %zu rule%s, plan %s\n */\n",
		      p->name, src_name(g->u), p->loc.line, ops->name,
		      verdict_names[p->default_verdict], p->n_rules,
		      p->n_rules == 1 ? "" : "s", plan_names[p->plan]);
	strbuf_printf(out, "POLC_COUNTER_MAP(%s_rules, %zu);\n", p->cname,
		      p->n_rules ? p->n_rules : 1);
	strbuf_printf(out, "POLC_COUNTER_MAP(%s_reasons, POLC_REASON_COUNT_);\n\n", p->cname);
	if (p->track)
		strbuf_printf(out,
			      "/* track: the conntrack table (%u entries, two a flow) and its functions, shared\n"
			      " * with the companion program (polc_ct.h) */\n"
			      "POLC_CT_DEFINE(%s, %u)\n\n",
			      p->ct_size, p->cname, p->ct_size);
	gen_nat_maps(g, p, &rec);

	/* strings are added in a fixed order: offsets must not depend on the
	 * order a compiler evaluates arguments in */
	rec.name_str = gen_str(g, p->name);
	rec.rules_map_str = gen_str(g, arena_printf(g->u->arena, "%s_rules", p->cname));
	rec.reasons_map_str = gen_str(g, arena_printf(g->u->arena, "%s_reasons", p->cname));
	rec.first_prog = (uint32_t)index;
	rec.n_progs = p->track ? 2 : 1;
	rec.n_rules = (uint32_t)p->n_rules;
	rec.default_verdict = p->default_verdict;
	rec.line = p->loc.line;
	rec.plan = p->plan;
	rec.first_setref = (uint32_t)g->setrefs.n;
	for (size_t i = 0; i < p->n_sets; i++)
		vec_push(g->u->arena, &g->setrefs, p->sets[i]);
	rec.n_setrefs = (uint32_t)p->n_sets;
	rec.first_init = (uint32_t)g->inits.n;

	/* the classify function, or one per connection state's rules */
	for (int s = 0; s < IR_CT_STATES; s++) {
		const struct ir_policy *v = p->ct_view[s];
		bool done = false;
		for (int t = 0; t < s; t++)
			done |= p->ct_view[t] == v;
		if (done)
			continue;
		if (v->plan == POLC_PLAN_CLASSIFIER)
			gen_classifier(g, v);
		else
			emit_linear_classify(g, v);
	}
	rec.n_inits = (uint32_t)(g->inits.n - rec.first_init);
	vec_push(g->u->arena, &g->policies, rec);

	if (p->track) {
		emit_tracked(g, p, ops);
		return;
	}
	strbuf_printf(out,
		      "SEC(\"%s\")\n"
		      "int %s(%s *ctx)\n"
		      "{\n"
		      "\tstruct polc_pkt pkt;\n"
		      "\tvoid *data, *data_end;\n"
		      "\t__u32 len, verdict;\n"
		      "\n"
		      "\t%s_load(ctx, &data, &data_end, &len);\n"
		      "\tif (polc_prefilter(&pkt, data, data_end, len, &%s_reasons, &verdict))\n"
		      "\t\treturn %s_action(verdict);\n"
		      "\tverdict = polc_finish(%s_classify(&pkt), len, &%s_rules,\n"
		      "\t\t\t      &%s_reasons, %s);\n"
		      "\treturn %s_action(verdict);\n"
		      "}\n\n",
		      ops->section, p->cname, ops->ctx_type, ops->glue, p->cname,
		      ops->glue, p->cname, p->cname, p->cname,
		      verdict_consts[p->default_verdict], ops->glue);
}

/* ---- strings and data --------------------------------------------------- */

static uint32_t strtab_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	strbuf_putc(&t->data, '\0'); /* offset 0: the empty string */
}

uint32_t gen_str(struct gen *g, const char *s)
{
	struct strtab *t = &g->st;

	if (!s || !*s)
		return 0;
	if (t->used * 2 >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256;
		uint32_t *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			abort();
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i])
				continue;
			size_t j = strtab_hash(t->data.buf + t->slots[i] - 1) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	size_t j = strtab_hash(s) & (t->cap - 1);
	while (t->slots[j]) {
		if (strcmp(t->data.buf + t->slots[j] - 1, s) == 0)
			return t->slots[j] - 1;
		j = (j + 1) & (t->cap - 1);
	}
	uint32_t off = (uint32_t)t->data.len;
	strbuf_add(&t->data, s, strlen(s) + 1);
	t->slots[j] = off + 1;
	t->used++;
	return off;
}

static void strtab_release(struct strtab *t)
{
	strbuf_release(&t->data);
	free(t->slots);
}

uint32_t gen_data(struct gen *g, const void *p, size_t len)
{
	static const char zeros[8];

	if (g->data->len % 8)
		strbuf_add(g->data, zeros, 8 - g->data->len % 8);
	uint32_t off = (uint32_t)g->data->len;
	strbuf_add(g->data, p, len);
	return off;
}

/* A C string literal of n bytes; octal escapes never swallow a digit. */
static void emit_c_bytes(struct strbuf *out, const char *s, size_t n)
{
	strbuf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			strbuf_printf(out, "\\%c", ch);
		else if (ch >= 0x20 && ch < 0x7f && ch != '?')
			strbuf_putc(out, (char)ch);
		else
			strbuf_printf(out, "\\%03o", ch);
	}
	strbuf_putc(out, '"');
}

/* ---- metadata ----------------------------------------------------------- */

static const char *const hook_consts[] = {
	[POLC_HOOK_XDP] = "POLC_HOOK_XDP",
	[POLC_HOOK_TC_INGRESS] = "POLC_HOOK_TC_INGRESS",
	[POLC_HOOK_TC_EGRESS] = "POLC_HOOK_TC_EGRESS",
};

static const char *const plan_consts[] = {
	[POLC_PLAN_LINEAR] = "POLC_PLAN_LINEAR",
	[POLC_PLAN_CLASSIFIER] = "POLC_PLAN_CLASSIFIER",
};

static void source_hash(const struct polc_unit *u, uint8_t digest[SHA256_DIGEST_LEN])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, u->src->text, u->src->len);
	for (size_t i = 0; i < u->ir.n_sets; i++)
		if (u->ir.sets[i]->file_text)
			sha256_update(&h, u->ir.sets[i]->file_text, u->ir.sets[i]->file_len);
	sha256_final(&h, digest);
}

static void emit_metadata(struct gen *g)
{
	struct strbuf *out = g->out;
	const struct ir_unit *ir = &g->u->ir;
	uint8_t digest[SHA256_DIGEST_LEN];
	size_t n_rules = 0, n_progs = 0;

	for (size_t i = 0; i < ir->n_policies; i++) {
		n_rules += ir->policies[i].n_rules;
		n_progs += ir->policies[i].track ? 2 : 1;
	}
	source_hash(g->u, digest);
	uint32_t compiler = gen_str(g, "polc " POLC_VERSION);
	uint32_t source = gen_str(g, src_name(g->u));

	/* the records reference strings: build them before the table */
	struct strbuf rec = STRBUF_INIT;
	strbuf_puts(&rec, "\t.policies = {\n");
	size_t first_rule = 0;
	for (size_t i = 0; i < g->policies.n; i++) {
		const struct polc_meta_policy *p = &g->policies.v[i];
		strbuf_printf(&rec,
			      "\t\t{ .name_str = %u, .rules_map_str = %u, .reasons_map_str = %u,\n"
			      "\t\t  .first_prog = %u, .n_progs = %u, .first_rule = %zu, .n_rules = %u,\n"
			      "\t\t  .default_verdict = %s, .line = %u, .plan = %s,\n"
			      "\t\t  .first_setref = %u, .n_setrefs = %u, .first_init = %u, .n_inits = %u,\n"
			      "\t\t  .first_nat = %u, .n_nats = %u },\n",
			      p->name_str, p->rules_map_str, p->reasons_map_str, p->first_prog,
			      p->n_progs, first_rule, p->n_rules, verdict_consts[p->default_verdict], p->line,
			      plan_consts[p->plan], p->first_setref, p->n_setrefs, p->first_init,
			      p->n_inits, p->first_nat, p->n_nats);
		first_rule += p->n_rules;
	}
	strbuf_puts(&rec, "\t},\n\t.progs = {\n");
	for (size_t i = 0; i < ir->n_policies; i++) {
		const struct ir_policy *p = &ir->policies[i];
		strbuf_printf(&rec, "\t\t{ .name_str = %u, .hook = %s },\n", gen_str(g, p->cname),
			      hook_consts[p->hook]);
		if (p->track)
			strbuf_printf(&rec, "\t\t{ .name_str = %u, .hook = %s },\n",
				      gen_str(g, arena_printf(g->u->arena, "%s_track", p->cname)),
				      hook_consts[p->companion_hook]);
	}
	strbuf_puts(&rec, "\t},\n\t.rules = {\n");
	for (size_t i = 0; i < ir->n_policies; i++) {
		const struct ir_policy *p = &ir->policies[i];
		for (size_t j = 0; j < p->n_rules; j++) {
			const struct ir_rule *r = &p->rules[j];
			uint32_t text = gen_str(g, r->text);
			uint32_t label = gen_str(g, r->label);
			strbuf_printf(&rec,
				      "\t\t{ .id = %u, .verdict = %s, .line = %u, .col = %u, .text_str = %u, .label_str = %u },\n",
				      r->id, verdict_consts[r->verdict], r->loc.line, r->loc.col, text,
				      label);
		}
	}
	strbuf_puts(&rec, "\t},\n\t.sets = {\n");
	for (size_t i = 0; i < g->sets.n; i++) {
		const struct polc_meta_set *s = &g->sets.v[i];
		strbuf_printf(&rec,
			      "\t\t{ .name_str = %u, .kind = %u, .families = %u, .size = %u, .n_elems = %u, .elems_off = %u,\n"
			      "\t\t  .map_str = { { %u, %u, %u }, { %u, %u, %u } },\n"
			      "\t\t  .nodes = { %u, %u }, .bits = { %u, %u } },\n",
			      s->name_str, s->kind, s->families, s->size, s->n_elems, s->elems_off,
			      s->map_str[0][0], s->map_str[0][1], s->map_str[0][2], s->map_str[1][0],
			      s->map_str[1][1], s->map_str[1][2], s->nodes[0], s->nodes[1], s->bits[0],
			      s->bits[1]);
	}
	strbuf_puts(&rec, "\t},\n\t.setrefs = {");
	for (size_t i = 0; i < g->setrefs.n; i++)
		strbuf_printf(&rec, "%s%u", i ? ", " : " ", g->setrefs.v[i]);
	strbuf_puts(&rec, " },\n\t.inits = {\n");
	for (size_t i = 0; i < g->inits.n; i++) {
		const struct polc_meta_init *n = &g->inits.v[i];
		strbuf_printf(&rec,
			      "\t\t{ .kind = %u, .map_str = { %u, %u, %u }, .width = %u, .dflt = %u, "
			      ".data_off = %u, .count = %u },\n",
			      n->kind, n->map_str[0], n->map_str[1], n->map_str[2], n->width, n->dflt,
			      n->data_off, n->count);
	}
	strbuf_puts(&rec, "\t},\n");
	gen_nat_records(g, &rec);

	strbuf_puts(out,
		    "/*\n * What polctl reads before it loads anything: the policies, their\n"
		    " * programs, rules, sets and map contents.  Layout: struct polc_meta_* in\n"
		    " * polc_contract.h.\n */\n");
	strbuf_printf(out,
		      "struct polc_meta_blob {\n"
		      "\tstruct polc_meta_header header;\n"
		      "\tstruct polc_meta_policy policies[%zu];\n"
		      "\tstruct polc_meta_prog progs[%zu];\n"
		      "\tstruct polc_meta_rule rules[%zu];\n"
		      "\tstruct polc_meta_set sets[%zu];\n"
		      "\t__u32 setrefs[%zu];\n"
		      "\tstruct polc_meta_init inits[%zu];\n"
		      "\tstruct polc_meta_nat nats[%zu];\n"
		      "\tchar strings[%zu];\n"
		      "};\n\n",
		      ir->n_policies, n_progs, n_rules, g->sets.n, g->setrefs.n, g->inits.n,
		      g->nats.n, g->st.data.len);
	strbuf_puts(out, "static const struct polc_meta_blob polc_meta SEC(POLC_META_SECTION) = {\n");
	strbuf_printf(out,
		      "\t.header = {\n"
		      "\t\t.magic = POLC_META_MAGIC,\n"
		      "\t\t.version = POLC_META_VERSION,\n"
		      "\t\t.header_size = sizeof(struct polc_meta_header),\n"
		      "\t\t.total_size = sizeof(struct polc_meta_blob),\n"
		      "\t\t.n_policies = %zu,\n"
		      "\t\t.policies_off = __builtin_offsetof(struct polc_meta_blob, policies),\n"
		      "\t\t.n_progs = %zu,\n"
		      "\t\t.progs_off = __builtin_offsetof(struct polc_meta_blob, progs),\n"
		      "\t\t.n_rules = %zu,\n"
		      "\t\t.rules_off = __builtin_offsetof(struct polc_meta_blob, rules),\n"
		      "\t\t.strings_off = __builtin_offsetof(struct polc_meta_blob, strings),\n"
		      "\t\t.strings_size = %zu,\n"
		      "\t\t.compiler_str = %u,\n"
		      "\t\t.source_str = %u,\n"
		      "\t\t.source_sha256 = {",
		      ir->n_policies, n_progs, n_rules, g->st.data.len, compiler, source);
	for (int i = 0; i < SHA256_DIGEST_LEN; i++)
		strbuf_printf(out, "%s0x%02x", i ? ", " : " ", digest[i]);
	strbuf_printf(out,
		      " },\n"
		      "\t\t.min_kernel = 0x%06x,\n"
		      "\t\t.n_sets = %zu,\n"
		      "\t\t.sets_off = __builtin_offsetof(struct polc_meta_blob, sets),\n"
		      "\t\t.n_setrefs = %zu,\n"
		      "\t\t.setrefs_off = __builtin_offsetof(struct polc_meta_blob, setrefs),\n"
		      "\t\t.n_inits = %zu,\n"
		      "\t\t.inits_off = __builtin_offsetof(struct polc_meta_blob, inits),\n"
		      "\t\t.data_size = %zu,\n"
		      "\t\t.n_nats = %zu,\n"
		      "\t\t.nats_off = __builtin_offsetof(struct polc_meta_blob, nats),\n"
		      "\t},\n",
		      POLC_MIN_KERNEL, g->sets.n, g->setrefs.n, g->inits.n, g->data->len, g->nats.n);
	strbuf_puts(out, strbuf_str(&rec));
	strbuf_release(&rec);

	/* the strings, one per line, each with its offset */
	strbuf_puts(out, "\t.strings =\n");
	size_t off = 0;
	while (off < g->st.data.len) {
		size_t n = strlen(g->st.data.buf + off) + 1;
		strbuf_printf(out, "\t\t/* %5zu */ ", off);
		emit_c_bytes(out, g->st.data.buf + off, n);
		strbuf_putc(out, off + n < g->st.data.len ? '\n' : ',');
		off += n;
	}
	strbuf_puts(out, "\n};\n\n");
	if (g->data->len)
		strbuf_printf(out,
			      "/* Set elements and classifier tables (%zu bytes), referenced by offset\n"
			      " * from the metadata: embedded as they are, never parsed as C. */\n"
			      "__asm__(\".pushsection \" POLC_DATA_SECTION \", \\\"a\\\", @progbits\\n\"\n"
			      "\t\".p2align 3\\n\"\n"
			      "\t\".incbin \\\"" POLC_DATA_FILE "\\\"\\n\"\n"
			      "\t\".popsection\\n\");\n\n",
			      g->data->len);
}

int polc_codegen(struct polc_unit *u)
{
	const struct ir_unit *ir = &u->ir;
	bool included[POLC_HOOK_MAX_] = { false };
	struct gen g = { .u = u, .out = &u->gen_c, .data = &u->gen_data };

	strbuf_reset(g.out);
	strbuf_reset(g.data);
	strtab_init(&g.st);
	strbuf_printf(g.out,
		      "/* SPDX-License-Identifier: GPL-2.0 */\n"
		      "/*\n"
		      " * Generated by polc %s from %s.  Do not edit: change the policy and\n"
		      " * compile it again.  Templates: polc_prog.h and the hook glue headers.\n"
		      " */\n",
		      POLC_VERSION, src_name(u));
	bool track = false;
	for (size_t i = 0; i < ir->n_policies; i++)
		track |= ir->policies[i].track;
	/* conntrack reads more of each packet (polc_parse.h) */
	if (track)
		strbuf_puts(g.out, "#define POLC_PARSE_FLOW\n");
	for (size_t i = 0; i < ir->n_policies; i++) {
		const struct hook_ops *ops = hook_ops_get(ir->policies[i].hook);
		bool seen = false;
		for (int h = 1; h < POLC_HOOK_MAX_; h++)
			if (included[h] && strcmp(hook_ops_get(h)->header, ops->header) == 0)
				seen = true;
		if (!seen)
			strbuf_printf(g.out, "#include \"%s\"\n", ops->header);
		included[ops->hook] = true;
	}
	/* a companion program runs on tc */
	if (track && !included[POLC_HOOK_TC_INGRESS] && !included[POLC_HOOK_TC_EGRESS])
		strbuf_puts(g.out, "#include \"polc_tc.h\"\n");
	strbuf_puts(g.out, "#include \"polc_classifier.h\"\n");
	if (track)
		strbuf_puts(g.out, "#include \"polc_ct.h\"\n");
	for (size_t i = 0; i < ir->n_policies; i++)
		if (gen_nat_used(&ir->policies[i])) {
			strbuf_puts(g.out, "#include \"polc_nat.h\"\n");
			break;
		}
	strbuf_puts(g.out, "\n");

	gen_sets(&g);
	for (size_t i = 0, prog = 0; i < ir->n_policies; i++) {
		emit_policy(&g, &ir->policies[i], prog);
		prog += ir->policies[i].track ? 2 : 1;
	}
	emit_metadata(&g);
	strbuf_puts(g.out, "char _license[] SEC(\"license\") = \"GPL\";\n");
	strtab_release(&g.st);

	return strbuf_failed(g.out) || strbuf_failed(g.data) ? POLC_EINTERNAL : 0;
}
