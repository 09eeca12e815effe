// SPDX-License-Identifier: BSD-2-Clause
/* ir.c: the meaning of IR rules (used by the interpreter and the tests). */
#include "ir.h"

bool ir_byteset_empty(const struct ir_byteset *s)
{
	if (s->any)
		return false;
	for (unsigned i = 0; i < sizeof(s->bits); i++)
		if (s->bits[i])
			return false;
	return true;
}

unsigned ir_byteset_count(const struct ir_byteset *s)
{
	unsigned n = 0;

	if (s->any)
		return 256;
	for (unsigned i = 0; i < 256; i++)
		n += ir_byteset_has(s, i);
	return n;
}

static uint32_t word_mask(unsigned len, unsigned word)
{
	unsigned start = word * 32;

	if (len <= start)
		return 0;
	if (len >= start + 32)
		return ~0u;
	return ~0u << (32 - (len - start));
}

int ir_prefix_cmp(const void *pa, const void *pb)
{
	const struct ir_prefix *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	for (int i = 0; i < 4; i++)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

bool ir_prefix_contains(const struct ir_prefix *p, enum ir_family f,
			const uint32_t addr[4])
{
	if (p->family != f)
		return false;
	unsigned words = f == IR_V4 ? 1 : 4;
	for (unsigned i = 0; i < words; i++)
		if ((addr[i] & word_mask(p->len, i)) != p->w[i])
			return false;
	return true;
}

bool ir_set_has_addr(const struct ir_set *s, enum ir_family f, const uint32_t addr[4])
{
	for (size_t i = 0; i < s->n_prefixes; i++)
		if (ir_prefix_contains(&s->prefixes[i], f, addr))
			return true;
	return false;
}

bool ir_set_has_port(const struct ir_set *s, uint16_t port)
{
	for (size_t i = 0; i < s->n_ranges; i++)
		if (port >= s->ranges[i].lo && port <= s->ranges[i].hi)
			return true;
	return false;
}

static bool addrset_matches(const struct ir_addrset *s, enum ir_family f,
			    const uint32_t addr[4])
{
	if (s->any)
		return true;
	for (size_t i = 0; i < s->n; i++)
		if (ir_prefix_contains(&s->v[i], f, addr))
			return true;
	for (size_t i = 0; i < s->n_sets; i++)
		if (ir_set_has_addr(s->sets[i], f, addr))
			return true;
	return false;
}

static bool portset_matches(const struct ir_portset *s, uint16_t port)
{
	if (s->any)
		return true;
	for (size_t i = 0; i < s->n; i++)
		if (port >= s->v[i].lo && port <= s->v[i].hi)
			return true;
	for (size_t i = 0; i < s->n_sets; i++)
		if (ir_set_has_port(s->sets[i], port))
			return true;
	return false;
}

bool ir_rule_matches(const struct ir_rule *r, const struct ir_packet *k)
{
	enum ir_family f = k->family;

	if (!(r->families & IR_FAMILY_BIT(f)))
		return false;
	if (k->ct_state && !(ir_rule_ct(r) & k->ct_state))
		return false;
	if (!ir_byteset_has(&r->proto[f], k->proto))
		return false;
	if (!addrset_matches(&r->src, f, k->src) ||
	    !addrset_matches(&r->dst, f, k->dst))
		return false;
	if (!r->needs_l4)
		return true;
	if (!k->has_l4)
		return false;
	return portset_matches(&r->sport, k->sport) &&
	       portset_matches(&r->dport, k->dport) &&
	       ir_byteset_has(&r->icmp_type[f], k->icmp_type) &&
	       ir_byteset_has(&r->icmp_code, k->icmp_code);
}
