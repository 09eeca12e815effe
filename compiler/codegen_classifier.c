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

/* A class trie of one side and family, if it has prefixes; its name. */
static const char *gen_class_trie(struct gen *g, const struct ir_policy *p, const char *side,
				  enum ir_family f, const struct ir_class_prefix *cp, size_t n)
{
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

/* "v = <lookup of a field>" or the field's constant class 0. */
static void emit_field(struct gen *g, const struct ir_policy *p, const char *var,
		       const char *what, uint32_t n_cls, const char *index)
{
	if (n_cls <= 1)
		strbuf_printf(g->out, "\t__u32 %s = 0; /* one class: not looked up */\n", var);
	else
		strbuf_printf(g->out, "\t__u32 %s = polc_node_get(&%s_c_%s, %s);\n", var, p->cname,
			      what, index);
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
		strbuf_printf(g->out, "\t__u32 %s = polc_node_get(&%s_c_%s, %s * %u + %s);\n", var,
			      p->cname, what, x, t->cols, y);
}

static void emit_addr_lookup(struct gen *g, const char *var, const char *field,
			     const char *t4, const char *t6)
{
	struct strbuf *out = g->out;

	strbuf_printf(out, "\t__u32 %s = ", var);
	if (!t4 && !t6) {
		strbuf_puts(out, "0; /* one class: not looked up */\n");
		return;
	}
	if (t6)
		strbuf_printf(out, "v6 ? polc_trie_lookup128(&%s_l1, &%s_nodes, &%s_bits, %s) : ", t6,
			      t6, t6, field);
	else
		strbuf_puts(out, "v6 ? 0 : ");
	if (t4)
		strbuf_printf(out, "polc_trie_lookup32(&%s_l1, &%s_nodes, &%s_bits, %s);\n", t4, t4,
			      t4, field);
	else
		strbuf_puts(out, "0;\n");
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
	if (c->n_proto > 1)
		gen_array(g, p, "proto", c->proto, IR_PROTO_SIZE);
	if (c->n_l4a > 1)
		gen_array(g, p, "l4a", c->l4a, IR_L4A_SIZE);
	if (c->n_l4b > 1)
		gen_array(g, p, "l4b", c->l4b, IR_L4B_SIZE);
	if (c->n_mask > 1)
		gen_array(g, p, "mask", c->mask, 1u << c->n_bits);
	const char *src4 = gen_class_trie(g, p, "src", IR_V4, c->src[IR_V4], c->n_src_prefixes[IR_V4]);
	const char *src6 = gen_class_trie(g, p, "src", IR_V6, c->src[IR_V6], c->n_src_prefixes[IR_V6]);
	const char *dst4 = gen_class_trie(g, p, "dst", IR_V4, c->dst[IR_V4], c->n_dst_prefixes[IR_V4]);
	const char *dst6 = gen_class_trie(g, p, "dst", IR_V6, c->dst[IR_V6], c->n_dst_prefixes[IR_V6]);
	const struct ir_table *tables[] = { &c->ta, &c->tb, &c->tc, &c->td, &c->te };
	static const char *const table_names[] = { "ta", "tb", "tc", "td", "te" };
	for (int i = 0; i < 5; i++)
		if ((uint64_t)tables[i]->rows * tables[i]->cols > 1 && !identity(tables[i]))
			gen_array(g, p, table_names[i], tables[i]->v,
				  (uint64_t)tables[i]->rows * tables[i]->cols);

	strbuf_printf(out,
		      "\n/* The first matching rule, from the packet's classes: a fixed number of\n"
		      " * array lookups, whatever the number of rules. */\n"
		      "static __always_inline __u32 %s_classify(const struct polc_pkt *p)\n"
		      "{\n"
		      "\t__u32 v6 = p->family == 6;\n",
		      p->cname);
	emit_field(g, p, "proto", "proto", c->n_proto, "(v6 << 8) | p->l4proto");
	emit_field(g, p, "l4a", "l4a", c->n_l4a, "polc_l4a(p)");
	emit_field(g, p, "l4b", "l4b", c->n_l4b, "polc_l4b(p)");
	emit_addr_lookup(g, "src", "p->src", c->n_src > 1 ? src4 : NULL, c->n_src > 1 ? src6 : NULL);
	emit_addr_lookup(g, "dst", "p->dst", c->n_dst > 1 ? dst4 : NULL, c->n_dst > 1 ? dst6 : NULL);
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
	}
	emit_field(g, p, "mask", "mask", c->n_mask, "bits");
	emit_table(g, p, "a", "ta", &c->ta, "proto", "l4a");
	emit_table(g, p, "b", "tb", &c->tb, "a", "l4b");
	emit_table(g, p, "c", "tc", &c->tc, "src", "dst");
	emit_table(g, p, "d", "td", &c->td, "c", "mask");
	emit_table(g, p, "m", "te", &c->te, "d", "b");
	strbuf_puts(out, "\treturn m;\n}\n\n");
}
