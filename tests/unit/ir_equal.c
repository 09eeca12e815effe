// SPDX-License-Identifier: BSD-2-Clause
#include "ir_equal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static bool differ(char *why, size_t len,
							  const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool prefix_eq(const struct ir_prefix *a, const struct ir_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->w, b->w, sizeof(a->w)) == 0;
}

static bool byteset_eq(const struct ir_byteset *a, const struct ir_byteset *b)
{
	return a->any == b->any && memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

static bool sets_eq(const struct ir_set *const *a, size_t na, const struct ir_set *const *b,
		    size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_eq(a[i]->name, b[i]->name))
			return false;
	return true;
}

static bool addrset_eq(const struct ir_addrset *a, const struct ir_addrset *b)
{
	if (a->any != b->any || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!prefix_eq(&a->v[i], &b->v[i]))
			return false;
	return sets_eq(a->sets, a->n_sets, b->sets, b->n_sets);
}

static bool portset_eq(const struct ir_portset *a, const struct ir_portset *b)
{
	if (a->any != b->any || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].lo != b->v[i].lo || a->v[i].hi != b->v[i].hi)
			return false;
	return sets_eq(a->sets, a->n_sets, b->sets, b->n_sets);
}

static bool nat_eq(const struct ir_nat *a, const struct ir_nat *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || a->index != b->index || a->balance != b->balance ||
	    a->maglev_slot != b->maglev_slot || a->n_backends != b->n_backends ||
	    a->ifaddr != b->ifaddr || a->family != b->family ||
	    memcmp(a->addr, b->addr, sizeof(a->addr)) != 0 || a->port_min != b->port_min ||
	    a->port_max != b->port_max)
		return false;
	for (size_t i = 0; i < a->n_backends; i++)
		if (a->backends[i].family != b->backends[i].family ||
		    a->backends[i].port != b->backends[i].port ||
		    memcmp(a->backends[i].addr, b->backends[i].addr, sizeof(a->backends[i].addr)) != 0)
			return false;
	return true;
}

static bool rule_eq(const struct ir_rule *a, const struct ir_rule *b, char *why, size_t len)
{
	const char *what = NULL;

	if (a->id != b->id || a->verdict != b->verdict)
		what = "id or verdict";
	else if (!str_eq(a->label, b->label))
		what = "label";
	else if (a->families != b->families)
		what = "families";
	else if (!byteset_eq(&a->proto[0], &b->proto[0]) || !byteset_eq(&a->proto[1], &b->proto[1]))
		what = "protocols";
	else if (!byteset_eq(&a->icmp_type[0], &b->icmp_type[0]) ||
		 !byteset_eq(&a->icmp_type[1], &b->icmp_type[1]))
		what = "ICMP types";
	else if (!byteset_eq(&a->icmp_code, &b->icmp_code))
		what = "ICMP codes";
	else if (!addrset_eq(&a->src, &b->src))
		what = "source";
	else if (!addrset_eq(&a->dst, &b->dst))
		what = "destination";
	else if (!portset_eq(&a->sport, &b->sport))
		what = "source ports";
	else if (!portset_eq(&a->dport, &b->dport))
		what = "destination ports";
	else if (a->needs_l4 != b->needs_l4)
		what = "needs_l4";
	else if (!nat_eq(a->nat, b->nat))
		what = "translation";
	else if (a->ct != b->ct)
		what = "connection states";
	if (what)
		return differ(why, len, "rule %u (%s / %s): %s differ", a->id, a->text ? a->text : "",
			      b->text ? b->text : "", what);
	return true;
}

static bool set_eq(const struct ir_set *a, const struct ir_set *b, char *why, size_t len)
{
	bool same = str_eq(a->name, b->name) && str_eq(a->cname, b->cname) && a->kind == b->kind &&
		    a->families == b->families && a->n_prefixes == b->n_prefixes &&
		    a->n_ranges == b->n_ranges && a->size == b->size && a->index == b->index &&
		    a->file_len == b->file_len &&
		    (!a->file_len || memcmp(a->file_text, b->file_text, a->file_len) == 0);

	for (size_t i = 0; same && i < a->n_prefixes; i++)
		same = prefix_eq(&a->prefixes[i], &b->prefixes[i]);
	for (size_t i = 0; same && i < a->n_ranges; i++)
		same = a->ranges[i].lo == b->ranges[i].lo && a->ranges[i].hi == b->ranges[i].hi;
	return same || differ(why, len, "set '%s' differs", a->name);
}

bool ir_unit_equal(const struct ir_unit *a, const struct ir_unit *b, char *why, size_t len)
{
	if (a->n_policies != b->n_policies)
		return differ(why, len, "%zu policies, %zu", a->n_policies, b->n_policies);
	if (a->n_sets != b->n_sets)
		return differ(why, len, "%zu sets, %zu", a->n_sets, b->n_sets);
	for (size_t i = 0; i < a->n_sets; i++)
		if (!set_eq(a->sets[i], b->sets[i], why, len))
			return false;
	for (size_t i = 0; i < a->n_policies; i++) {
		const struct ir_policy *p = &a->policies[i], *q = &b->policies[i];
		if (!str_eq(p->name, q->name) || !str_eq(p->cname, q->cname))
			return differ(why, len, "policy %zu: '%s', '%s'", i, p->name, q->name);
		if (p->hook != q->hook || p->default_verdict != q->default_verdict ||
		    p->plan != q->plan || p->classify_inline != q->classify_inline)
			return differ(why, len, "policy '%s': hook, default or plan differ", p->name);
		if (p->n_sets != q->n_sets ||
		    (p->n_sets && memcmp(p->sets, q->sets, p->n_sets * sizeof(*p->sets))))
			return differ(why, len, "policy '%s': sets used differ", p->name);
		if (p->n_rules != q->n_rules)
			return differ(why, len, "policy '%s': %zu rules, %zu", p->name, p->n_rules,
				      q->n_rules);
		for (size_t j = 0; j < p->n_rules; j++)
			if (!rule_eq(&p->rules[j], &q->rules[j], why, len))
				return false;
	}
	return true;
}
