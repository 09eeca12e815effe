// SPDX-License-Identifier: BSD-2-Clause
/*
 * codegen_classifier.c: a policy with the classifier plan (see ir.h): the
 * array maps of its field classes and tables, its class tries, the classify
 * function that looks them up, and the records that tell polctl how to fill
 * the maps from ".polc.data".  A field with one class, or a table with one
 * entry, is a constant: no map, no lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "dirtrie.h"

/*
 * A field whose values fall into a few runs of equal class is cheaper to
 * compare than to look up (an array lookup costs ~2 ns here, a compare a
 * fraction): up to INLINE_RUNS runs outside the most common class, or up to
 * INLINE_PREFIXES prefixes of an address family, become compares.
 */
#define INLINE_RUNS 6
#define INLINE_PREFIXES 6
/* From this many set lookups on, the bits go through polc_opaque(): 2^n
 * verifier paths become one.  Below it the call costs more than it saves. */
#define CLS_OPAQUE_BITS 4

static uint32_t node_count(uint64_t entries)
{
	return (uint32_t)((entries + DIRTRIE_FANOUT - 1) / DIRTRIE_FANOUT);
}

/* An array map holding values[0..n) (n > 1), and its init record. */
static void gen_array(struct gen *g, const struct ir_policy *p, const char *what,
		      const uint32_t *values, uint64_t n)
{
	const char *name = arena_printf(g->u->arena, "%s_c_%s", p->cname, what);
	struct polc_meta_init init = { .kind = POLC_INIT_ARRAY };

	strbuf_printf(g->out,
		      "struct {\n"
		      "\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
		      "\t__uint(map_flags, POLC_BPF_F_MMAPABLE);\n"
		      "\t__uint(max_entries, %u);\n"
		      "\t__type(key, __u32);\n"
		      "\t__type(value, struct polc_trie_node);\n"
		      "} %s SEC(\".maps\");\n",
		      node_count(n), name);
	init.map_str[0] = gen_str(g, name);
	init.data_off = gen_data(g, values, n * sizeof(uint32_t));
	init.count = (uint32_t)n;
	vec_push(g->u->arena, &g->inits, init);
}

/* A class trie of one side and family, if it needs one; its name. */
static const char *gen_class_trie(struct gen *g, const struct ir_policy *p, const char *side,
				  enum ir_family f, const struct ir_class_prefix *cp, size_t n)
{
	if (n <= INLINE_PREFIXES)
		return NULL; /* compared in the code: see emit_addr_family() */
	unsigned width = f == IR_V4 ? 32 : 128;
	const char *name;
	struct dirtrie_prefix *dp;
	struct polc_meta_key *keys;
	struct dirtrie_size size = { 0 };
	size_t m = n;

	if (n == 0)
		return NULL;
	name = arena_printf(g->u->arena, "%s_c_%s%c", p->cname, side, f == IR_V4 ? '4' : '6');
	dp = calloc(n, sizeof(*dp));
	keys = calloc(n, sizeof(*keys));
	if (!dp || !keys)
		abort();
	for (size_t i = 0; i < n; i++) {
		memcpy(dp[i].k, cp[i].p.w, sizeof(dp[i].k));
		dp[i].len = cp[i].p.len;
		dp[i].value = cp[i].cls;
		memcpy(keys[i].w, cp[i].p.w, sizeof(keys[i].w));
		keys[i].len = cp[i].p.len;
		keys[i].family = f == IR_V4 ? POLC_FAMILY_V4 : POLC_FAMILY_V6;
		keys[i].value = cp[i].cls;
	}
	if (dirtrie_normalise(dp, &m, width) == 0)
		dirtrie_capacity(dp, m, width, false, 0, &size);
	gen_trie_maps(g, name, (uint32_t)size.nodes, (uint32_t)size.bits);

	struct polc_meta_init init = { .kind = POLC_INIT_TRIE, .width = width, .count = (uint32_t)n };
	init.map_str[POLC_TRIE_L1] = gen_str(g, arena_printf(g->u->arena, "%s_l1", name));
	init.map_str[POLC_TRIE_NODES] = gen_str(g, arena_printf(g->u->arena, "%s_nodes", name));
	init.map_str[POLC_TRIE_BITS] = gen_str(g, arena_printf(g->u->arena, "%s_bits", name));
	init.data_off = gen_data(g, keys, n * sizeof(*keys));
	vec_push(g->u->arena, &g->inits, init);
	free(dp);
	free(keys);
	return name;
}

/*
 * A field whose values fall into a few runs of equal class is cheaper to
 * compare than to look up: up to this many runs (outside the most common
 * class) become compares.
 */

struct run {
	uint32_t lo, hi, cls;
};

/* The runs of v[0..n) not of class `common`; -1 when there are too many. */
static int runs_of(const uint32_t *v, uint32_t n, struct run *out, uint32_t *common)
{
	/* the most common class is the fallback */
	uint32_t best = v[0], best_n = 0;
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;
		while (j < n && v[j] == v[i])
			j++;
		uint32_t count = 0;
		for (uint32_t k = 0; k < n; k++)
			count += v[k] == v[i];
		if (count > best_n) {
			best_n = count;
			best = v[i];
		}
		if (best_n > n / 2)
			break;
		i = j;
	}
	int m = 0;
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;
		while (j < n && v[j] == v[i])
			j++;
		if (v[i] != best) {
			if (m == INLINE_RUNS)
				return -1;
			out[m++] = (struct run){ i, j - 1, v[i] };
		}
		i = j;
	}
	*common = best;
	return m;
}

/* "v = <the field's class>": a constant, compares or a lookup. */
static void emit_field(struct gen *g, const struct ir_policy *p, const char *var,
		       const char *what, uint32_t n_cls, const uint32_t *values, uint32_t size,
		       const char *index)
{
	struct run runs[INLINE_RUNS];
	uint32_t common;
	int n;

	if (n_cls <= 1) {
		strbuf_printf(g->out, "\t__u32 %s = 0; /* one class: not looked up */\n", var);
		return;
	}
	n = runs_of(values, size, runs, &common);
	if (n < 0) {
		strbuf_printf(g->out, "\t__u32 %s = polc_node_get(&%s_c_%s, %s);\n", var, p->cname,
			      what, index);
		return;
	}
	strbuf_printf(g->out, "\t__u32 %s_i = %s;\n\t__u32 %s = ", var, index, var);
	for (int i = 0; i < n; i++) {
		if (runs[i].lo == runs[i].hi)
			strbuf_printf(g->out, "%s_i == %u ? %u :\n\t\t", var, runs[i].lo, runs[i].cls);
		else if (runs[i].lo == 0)
			strbuf_printf(g->out, "%s_i <= %u ? %u :\n\t\t", var, runs[i].hi, runs[i].cls);
		else
			strbuf_printf(g->out, "%s_i >= %u && %s_i <= %u ? %u :\n\t\t", var, runs[i].lo,
				      var, runs[i].hi, runs[i].cls);
	}
	strbuf_printf(g->out, "%u; /* %d compare%s, no lookup */\n", common, n, n == 1 ? "" : "s");
}

/* Does the field need its array map? */
static bool field_mapped(uint32_t n_cls, const uint32_t *values, uint32_t size)
{
	struct run runs[INLINE_RUNS];
	uint32_t common;

	return n_cls > 1 && runs_of(values, size, runs, &common) < 0;
}

/* A table that gives every row its own number back: nothing to look up. */
static bool identity(const struct ir_table *t)
{
	if (t->cols != 1)
		return false;
	for (uint32_t i = 0; i < t->rows; i++)
		if (t->v[i] != i)
			return false;
	return true;
}

/* "v = table[x * cols + y]", a constant for a one-entry table. */
static void emit_table(struct gen *g, const struct ir_policy *p, const char *var,
		       const char *what, const struct ir_table *t, const char *x, const char *y)
{
	if (identity(t) && (uint64_t)t->rows * t->cols > 1)
		strbuf_printf(g->out, "\t__u32 %s = %s; /* the same classes */\n", var, x);
	else if ((uint64_t)t->rows * t->cols == 1)
		strbuf_printf(g->out, "\t__u32 %s = %u; /* one entry */\n", var, t->v[0]);
	else if (t->cols == 1)
		strbuf_printf(g->out, "\t__u32 %s = polc_node_get(&%s_c_%s, %s);\n", var, p->cname,
			      what, x);
	else if (t->rows == 1)
		strbuf_printf(g->out, "\t__u32 %s = polc_node_get(&%s_c_%s, %s);\n", var, p->cname,
			      what, y);
	else
		strbuf_printf(g->out, "\t__u32 %s = polc_node_get(&%s_c_%s, (%s) * %u + %s);\n", var,
			      p->cname, what, x, t->cols, y);
}

static int longest_first(const void *pa, const void *pb)
{
	const struct ir_class_prefix *a = pa, *b = pb;

	return a->p.len > b->p.len ? -1 : a->p.len < b->p.len;
}

/* The class of an address of one family: a trie lookup, or, for a few
 * prefixes, compares from the longest prefix down (the first that matches
 * is the longest match). */
static void emit_addr_family(struct gen *g, const char *field, const char *trie,
			     enum ir_family f, const struct ir_class_prefix *cp, size_t n)
{
	struct strbuf *out = g->out;

	if (trie) {
		strbuf_printf(out, "polc_ctrie_lookup%s(POLC_TRIE_MAPS_OF(%s), %s)",
			      f == IR_V4 ? "32" : "128", trie, field);
		return;
	}
	if (n == 0) {
		strbuf_puts(out, "0");
		return;
	}
	struct ir_class_prefix sorted[INLINE_PREFIXES];
	memcpy(sorted, cp, n * sizeof(*cp));
	qsort(sorted, n, sizeof(*sorted), longest_first);
	strbuf_putc(out, '(');
	for (size_t i = 0; i < n; i++) {
		if (sorted[i].p.len == 0) {
			strbuf_printf(out, "%u", sorted[i].cls);
			strbuf_putc(out, ')');
			return;
		}
		gen_prefix_test(out, field, &sorted[i].p);
		strbuf_printf(out, " ? %u :\n\t\t", sorted[i].cls);
	}
	strbuf_puts(out, "0)");
}

static void emit_addr_lookup(struct gen *g, const struct ir_classifier *c, const char *var,
			     const char *field, uint32_t n_cls, const char *trie[IR_NFAMILIES],
			     struct ir_class_prefix *const cp[IR_NFAMILIES], const size_t n[IR_NFAMILIES])
{
	struct strbuf *out = g->out;
	(void)c;

	strbuf_printf(out, "\t__u32 %s = ", var);
	if (n_cls <= 1) {
		strbuf_puts(out, "0; /* one class: not looked up */\n");
		return;
	}
	strbuf_puts(out, "v6 ? ");
	emit_addr_family(g, field, trie[IR_V6], IR_V6, cp[IR_V6], n[IR_V6]);
	strbuf_puts(out, " :\n\t\t");
	emit_addr_family(g, field, trie[IR_V4], IR_V4, cp[IR_V4], n[IR_V4]);
	strbuf_puts(out, ";\n");
}

static const char *const side_field[] = {
	[IR_SIDE_SRC] = "p->src",
	[IR_SIDE_DST] = "p->dst",
	[IR_SIDE_SPORT] = "p->sport",
	[IR_SIDE_DPORT] = "p->dport",
};

void gen_classifier(struct gen *g, const struct ir_policy *p)
{
	const struct ir_classifier *c = p->cls;
	struct strbuf *out = g->out;

	strbuf_printf(out,
		      "/*\n"
		      " * Classifier: %zu rules (%zu after splitting), classes: protocol %u, source\n"
		      " * port / ICMP type %u, destination port / ICMP code %u, source %u,\n"
		      " * destination %u, set lookups %u; tables %llu bytes.\n"
		      " */\n",
		      p->n_rules, c->n_subrules, c->n_proto, c->n_l4a, c->n_l4b, c->n_src, c->n_dst,
		      c->n_mask, (unsigned long long)c->table_bytes);
	if (field_mapped(c->n_proto, c->proto, IR_PROTO_SIZE))
		gen_array(g, p, "proto", c->proto, IR_PROTO_SIZE);
	if (field_mapped(c->n_l4a, c->l4a, IR_L4A_SIZE))
		gen_array(g, p, "l4a", c->l4a, IR_L4A_SIZE);
	if (field_mapped(c->n_l4b, c->l4b, IR_L4B_SIZE))
		gen_array(g, p, "l4b", c->l4b, IR_L4B_SIZE);
	if (field_mapped(c->n_mask, c->mask, 1u << c->n_bits))
		gen_array(g, p, "mask", c->mask, 1u << c->n_bits);
	const char *src_trie[IR_NFAMILIES], *dst_trie[IR_NFAMILIES];
	for (int f = 0; f < IR_NFAMILIES; f++) {
		src_trie[f] = c->n_src > 1 ? gen_class_trie(g, p, "src", f, c->src[f], c->n_src_prefixes[f])
					   : NULL;
		dst_trie[f] = c->n_dst > 1 ? gen_class_trie(g, p, "dst", f, c->dst[f], c->n_dst_prefixes[f])
					   : NULL;
	}
	/* the composed tables where there are, else the staged ones */
	const struct ir_table *tables[] = { c->ports.v ? NULL : &c->ta, c->ports.v ? NULL : &c->tb,
					    c->all.v ? NULL : &c->tc, c->all.v ? NULL : &c->td,
					    c->all.v ? NULL : &c->te,
					    c->ports.v ? &c->ports : NULL, c->all.v ? &c->all : NULL };
	static const char *const table_names[] = { "ta", "tb", "tc", "td", "te", "ports", "all" };
	uint64_t bytes = 0;
	for (int i = 0; i < 7; i++) {
		if (!tables[i] || (uint64_t)tables[i]->rows * tables[i]->cols <= 1 || identity(tables[i]))
			continue;
		gen_array(g, p, table_names[i], tables[i]->v,
			  (uint64_t)tables[i]->rows * tables[i]->cols);
		bytes += (uint64_t)tables[i]->rows * tables[i]->cols * 4;
	}
	polc_note(g->u, "policy %s: classifier tables in the artifact: %.1f MiB", p->name,
		  (double)bytes / (1 << 20));

	strbuf_printf(out,
		      "\n/* The first matching rule, from the packet's classes: a fixed number of\n"
		      " * array lookups, whatever the number of rules. */\n"
		      "static __always_inline __u32 %s_classify(const struct polc_pkt *p)\n"
		      "{\n"
		      "\t__u32 v6 = p->family == 6;\n",
		      p->cname);
	emit_field(g, p, "proto", "proto", c->n_proto, c->proto, IR_PROTO_SIZE,
		   "(v6 << 8) | p->l4proto");
	emit_field(g, p, "l4a", "l4a", c->n_l4a, c->l4a, IR_L4A_SIZE, "polc_l4a(p)");
	emit_field(g, p, "l4b", "l4b", c->n_l4b, c->l4b, IR_L4B_SIZE, "polc_l4b(p)");
	emit_addr_lookup(g, c, "src", "p->src", c->n_src, src_trie, c->src, c->n_src_prefixes);
	emit_addr_lookup(g, c, "dst", "p->dst", c->n_dst, dst_trie, c->dst, c->n_dst_prefixes);
	if (c->n_bits) {
		strbuf_puts(out, "\t__u32 bits = 0;\n");
		for (size_t i = 0; i < c->n_bits; i++) {
			const struct ir_set *s = g->u->ir.sets[c->bits[i].set];
			enum ir_side side = c->bits[i].side;
			strbuf_puts(out, "\tif (");
			if (side == IR_SIDE_SPORT || side == IR_SIDE_DPORT) {
				strbuf_printf(out, "p->has_l4 && (p->l4proto == 6 || p->l4proto == 17) && ");
				gen_set_has_port(g, out, s, side_field[side]);
			} else {
				strbuf_puts(out, "v6 ? ");
				gen_set_has_addr(g, out, s, IR_V6, side_field[side]);
				strbuf_puts(out, " : ");
				gen_set_has_addr(g, out, s, IR_V4, side_field[side]);
			}
			strbuf_printf(out, ")\n\t\tbits |= %u; /* @%s, %s */\n", 1u << i, s->name,
				      side_field[side]);
		}
		if (c->n_bits >= CLS_OPAQUE_BITS)
			strbuf_puts(out, "\tbits = polc_opaque(bits); /* the verifier: 1 path, "
					 "not 2^n (polc_classifier.h) */\n");
	}
	emit_field(g, p, "mask", "mask", c->n_mask, c->mask, 1u << c->n_bits, "bits");
	if (c->ports.v) {
		char *row = arena_printf(g->u->arena, "proto * %u + l4a", c->n_l4a);
		emit_table(g, p, "b", "ports", &c->ports, row, "l4b");
	} else {
		emit_table(g, p, "a", "ta", &c->ta, "proto", "l4a");
		emit_table(g, p, "b", "tb", &c->tb, "a", "l4b");
	}
	if (c->all.v) {
		char *row = arena_printf(g->u->arena, "(src * %u + dst) * %u + mask", c->n_dst, c->n_mask);
		emit_table(g, p, "m", "all", &c->all, row, "b");
	} else {
		emit_table(g, p, "c", "tc", &c->tc, "src", "dst");
		emit_table(g, p, "d", "td", &c->td, "c", "mask");
		emit_table(g, p, "m", "te", &c->te, "d", "b");
	}
	strbuf_puts(out, "\treturn m;\n}\n\n");
}
