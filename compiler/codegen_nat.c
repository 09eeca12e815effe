// SPDX-License-Identifier: BSD-2-Clause
/*
 * codegen_nat.c: what a policy with dnat or snat rules adds to its program.
 *
 * The maps and functions are the template's (polc_nat.h, POLC_NAT_DEFINE);
 * the generator sizes them, writes each rule's translation into the
 * metadata (backends into ".polc.data") for polctl to load, and sends a new
 * flow that a dnat or snat rule passed to <policy>_nat_open().
 */
#include <string.h>

#include "codegen.h"
#include "unit.h"

bool gen_nat_used(const struct ir_policy *p)
{
	return p->n_dnat || p->n_snat;
}

static const char *const balance_words[POLC_NAT_BALANCE_COUNT_] = {
	[POLC_NAT_BALANCE_RANDOM] = "random",
	[POLC_NAT_BALANCE_ROUND_ROBIN] = "round-robin",
	[POLC_NAT_BALANCE_MAGLEV] = "maglev",
};

void gen_nat_maps(struct gen *g, const struct ir_policy *p, struct polc_meta_policy *rec)
{
	rec->first_nat = (uint32_t)g->nats.n;
	rec->n_nats = 0;
	if (!gen_nat_used(p))
		return;
	strbuf_printf(g->out,
		      "/* NAT: %u service%s (%u maglev), %u snat rule%s; the pools and addresses are\n"
		      " * loaded by polctl from the metadata (polc_nat.h) */\n"
		      "POLC_NAT_DEFINE(%s, %u, %u, %u)\n\n",
		      p->n_dnat, p->n_dnat == 1 ? "" : "s", p->n_maglev, p->n_snat,
		      p->n_snat == 1 ? "" : "s", p->cname, p->n_dnat ? p->n_dnat : 1,
		      p->n_snat ? p->n_snat : 1, p->n_maglev);
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct ir_rule *r = &p->rules[i];
		const struct ir_nat *n = r->nat;
		struct polc_meta_nat m = { 0 };

		if (!n)
			continue;
		m.kind = n->kind;
		m.rule = r->id;
		m.index = n->index;
		if (n->kind == IR_NAT_DNAT) {
			m.balance = n->balance;
			m.maglev_slot = n->balance == POLC_NAT_BALANCE_MAGLEV ? n->maglev_slot : 0;
			m.n_backends = (uint32_t)n->n_backends;
			/* the pool's family; 0: an empty pool, any */
			if (n->n_backends)
				m.family = n->backends[0].family == IR_V4 ? 4 : 6;
			if (n->n_backends) {
				struct polc_nat_backend *be =
					arena_calloc(g->u->arena, n->n_backends, sizeof(*be));
				for (size_t k = 0; k < n->n_backends; k++) {
					memcpy(be[k].addr, n->backends[k].addr, sizeof(be[k].addr));
					be[k].port = n->backends[k].port;
					be[k].family = n->backends[k].family == IR_V4 ? 4 : 6;
				}
				m.backends_off = gen_data(g, be, n->n_backends * sizeof(*be));
			}
		} else {
			m.flags = n->ifaddr ? POLC_NAT_F_IFADDR : 0;
			m.port_min = n->port_min;
			m.port_max = n->port_max;
			if (!n->ifaddr) {
				m.family = n->family == IR_V4 ? 4 : 6;
				memcpy(m.addr, n->addr, sizeof(m.addr));
			}
		}
		vec_push(g->u->arena, &g->nats, m);
		rec->n_nats++;
	}
}

void gen_nat_dispatch(struct gen *g, const struct ir_policy *p)
{
	struct strbuf *out = g->out;
	const char *n = p->cname;

	strbuf_puts(out, "\tif (verdict == POLC_VERDICT_PASS) {\n"
			 "\t\tswitch (POLC_MATCH_RULE(m)) {\n");
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct ir_rule *r = &p->rules[i];
		const struct ir_nat *t = r->nat;

		if (!t)
			continue;
		if (t->kind == IR_NAT_DNAT)
			strbuf_printf(out, "\t\tcase %u: /* dnat, service %u, %zu backend%s, %s */\n", r->id,
				      t->index, t->n_backends, t->n_backends == 1 ? "" : "s",
				      balance_words[t->balance]);
		else
			strbuf_printf(out, "\t\tcase %u: /* snat %u, ports %u-%u */\n", r->id, t->index,
				      t->port_min, t->port_max);
		strbuf_printf(out,
			      "\t\t\tverdict = %s_nat_open(ctx, &pkt, len, r, %u, %s, %u, &ct);\n"
			      "\t\t\tbreak;\n",
			      n, r->id, t->kind == IR_NAT_DNAT ? "POLC_NAT_DNAT" : "POLC_NAT_SNAT",
			      t->index);
	}
	strbuf_printf(out,
		      "\t\tdefault:\n"
		      "\t\t\tif (r == POLC_CT_NEW)\n"
		      "\t\t\t\t%s_ct_create(&pkt, len, POLC_MATCH_RULE(m), 0, &ct);\n"
		      "\t\t}\n"
		      "\t}\n",
		      n);
}

void gen_nat_records(struct gen *g, struct strbuf *rec)
{
	strbuf_puts(rec, "\t.nats = {\n");
	for (size_t i = 0; i < g->nats.n; i++) {
		const struct polc_meta_nat *m = &g->nats.v[i];
		strbuf_printf(rec,
			      "\t\t{ .kind = %u, .rule = %u, .index = %u, .flags = %u, .balance = %u, .maglev_slot = %u,\n"
			      "\t\t  .n_backends = %u, .backends_off = %u, .port_min = %u, .port_max = %u,\n"
			      "\t\t  .family = %u, .addr = { 0x%08x, 0x%08x, 0x%08x, 0x%08x } },\n",
			      m->kind, m->rule, m->index, m->flags, m->balance, m->maglev_slot,
			      m->n_backends, m->backends_off, m->port_min, m->port_max, m->family,
			      m->addr[0], m->addr[1], m->addr[2], m->addr[3]);
	}
	strbuf_puts(rec, "\t},\n");
}
