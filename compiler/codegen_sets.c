// SPDX-License-Identifier: BSD-2-Clause
/*
 * codegen_sets.c: named sets in the generated program.
 *
 * A set is a membership trie per family it may hold (a port set: one
 * 16-bit trie), in array maps that polctl fills from the elements shipped in
 * ".polc.data" and changes at run time (polctl set add/del/replace).  The
 * maps are sized here, for the set's declared size: room for the trie at
 * that size twice over, because an update builds the new trie beside the
 * one in use.
 */
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "dirtrie.h"

static const char *const family_tag[] = { "v4", "v6" };

void gen_trie_maps(struct gen *g, const char *name, uint32_t nodes, uint32_t bits)
{
	strbuf_printf(g->out, "POLC_TRIE_DEFINE(%s, %u, %u);\n", name, nodes ? nodes : 1,
		      bits ? bits : 1);
}

static uint32_t clamp(uint64_t v)
{
	if (v == 0)
		return 1;
	return v > DIRTRIE_INDEX_MAX ? DIRTRIE_INDEX_MAX : (uint32_t)v;
}

/* Nodes and bitmaps for a membership trie of family f of set s. */
static void set_capacity(const struct ir_set *s, enum ir_family f, uint32_t *nodes, uint32_t *bits)
{
	unsigned width = f == IR_V4 ? 32 : 128;
	size_t n = 0;
	struct dirtrie_prefix *p = calloc(s->n_prefixes + 1, sizeof(*p));
	struct dirtrie_size live = { 0 }, grow;

	if (!p)
		abort();
	for (size_t i = 0; i < s->n_prefixes; i++) {
		if (s->prefixes[i].family != f)
			continue;
		memcpy(p[n].k, s->prefixes[i].w, sizeof(p[n].k));
		p[n].len = s->prefixes[i].len;
		p[n].value = 1;
		n++;
	}
	if (dirtrie_normalise(p, &n, width) == 0)
		dirtrie_capacity(p, n, width, true, 0, &live);
	free(p);
	/* what the set may grow by, then twice: an update builds beside.
	 * IPv4's worst case is tight; IPv6's (13 nodes an element) is not,
	 * so there growth is priced at what the elements so far cost. */
	uint64_t more = s->size > n ? s->size - n : 0;
	dirtrie_bound(width, true, more, &grow);
	if (f == IR_V6) {
		uint64_t per = n ? (live.nodes + n - 1) / n : 4;
		grow.nodes = more * (per < 4 ? 4 : per);
		grow.bits = more;
	}
	*nodes = clamp(2 * (live.nodes + grow.nodes) + 1);
	*bits = clamp(2 * (live.bits + grow.bits) + 1);
}

static void gen_set(struct gen *g, const struct ir_set *s)
{
	struct strbuf *out = g->out;
	struct polc_meta_set rec = { 0 };
	size_t count = s->kind == IR_SET_ADDR ? s->n_prefixes : s->n_ranges;

	strbuf_printf(out, "/* set %s: %s:%u, %zu element%s, size %u */\n", s->name,
		      s->loc.src ? s->loc.src->name : "?", s->loc.line, count,
		      count == 1 ? "" : "s", s->size);
	rec.name_str = gen_str(g, s->name);
	rec.kind = s->kind == IR_SET_ADDR ? POLC_SET_ADDR : POLC_SET_PORT;
	rec.families = s->kind == IR_SET_ADDR ? s->families : 0;
	rec.size = s->size;
	rec.n_elems = (uint32_t)count;

	struct polc_meta_key *keys = calloc(count + 1, sizeof(*keys));
	if (!keys)
		abort();
	for (size_t i = 0; i < count; i++) {
		if (s->kind == IR_SET_ADDR) {
			memcpy(keys[i].w, s->prefixes[i].w, sizeof(keys[i].w));
			keys[i].len = s->prefixes[i].len;
			keys[i].family = s->prefixes[i].family == IR_V4 ? POLC_FAMILY_V4 : POLC_FAMILY_V6;
		} else {
			keys[i].w[0] = s->ranges[i].lo;
			keys[i].hi = s->ranges[i].hi;
		}
		keys[i].value = 1;
	}
	rec.elems_off = gen_data(g, keys, count * sizeof(*keys));
	free(keys);

	if (s->kind == IR_SET_PORT) {
		const char *name = arena_printf(g->u->arena, "%s_port", s->cname);
		gen_trie_maps(g, name, 1, 1);
		rec.map_str[0][POLC_TRIE_L1] = gen_str(g, arena_printf(g->u->arena, "%s_l1", name));
		rec.map_str[0][POLC_TRIE_NODES] = gen_str(g, arena_printf(g->u->arena, "%s_nodes", name));
		rec.map_str[0][POLC_TRIE_BITS] = gen_str(g, arena_printf(g->u->arena, "%s_bits", name));
		rec.nodes[0] = rec.bits[0] = 1;
		strbuf_printf(out,
			      "static __always_inline __u32 %s_has(__u32 port)\n"
			      "{\n"
			      "\t__u32 k[4] = { port };\n\n"
			      "\treturn polc_trie_lookup16(&%s_l1, &%s_nodes, &%s_bits, k);\n"
			      "}\n\n",
			      s->cname, name, name, name);
	} else {
		for (int f = 0; f < IR_NFAMILIES; f++) {
			if (!(s->families & IR_FAMILY_BIT(f)))
				continue;
			const char *name = arena_printf(g->u->arena, "%s_%s", s->cname, family_tag[f]);
			uint32_t nodes, bits;
			set_capacity(s, f, &nodes, &bits);
			gen_trie_maps(g, name, nodes, bits);
			rec.map_str[f][POLC_TRIE_L1] = gen_str(g, arena_printf(g->u->arena, "%s_l1", name));
			rec.map_str[f][POLC_TRIE_NODES] =
				gen_str(g, arena_printf(g->u->arena, "%s_nodes", name));
			rec.map_str[f][POLC_TRIE_BITS] =
				gen_str(g, arena_printf(g->u->arena, "%s_bits", name));
			rec.nodes[f] = nodes;
			rec.bits[f] = bits;
			strbuf_printf(out,
				      "static __always_inline __u32 %s_has%c(const __u32 *a)\n"
				      "{\n"
				      "\treturn polc_trie_lookup%d(&%s_l1, &%s_nodes, &%s_bits, a);\n"
				      "}\n\n",
				      s->cname, f == IR_V4 ? '4' : '6', f == IR_V4 ? 32 : 128, name, name,
				      name);
		}
	}
	vec_push(g->u->arena, &g->sets, rec);
}

void gen_sets(struct gen *g)
{
	for (size_t i = 0; i < g->u->ir.n_sets; i++)
		gen_set(g, g->u->ir.sets[i]);
}

void gen_set_has_addr(struct gen *g, struct strbuf *out, const struct ir_set *s,
		      enum ir_family f, const char *addr)
{
	(void)g;
	if (s->families & IR_FAMILY_BIT(f))
		strbuf_printf(out, "%s_has%c(%s)", s->cname, f == IR_V4 ? '4' : '6', addr);
	else
		strbuf_puts(out, "0");
}

void gen_set_has_port(struct gen *g, struct strbuf *out, const struct ir_set *s,
		      const char *port)
{
	(void)g;
	strbuf_printf(out, "%s_has(%s)", s->cname, port);
}
