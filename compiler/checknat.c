// SPDX-License-Identifier: BSD-2-Clause
/*
 * checknat.c: the connection half of the checking pass: NAT and ct.
 *
 * dnat and snat rules are pass rules whose match check.c has checked; they
 * also translate the flows they admit.  Here: the translation (a dnat's
 * backends and balance, an snat's address and ports), what the rule can
 * match given it (protocols NAT can translate, the translation's family)
 * and what the policy must be for NAT to work at all: tracked (replies are
 * translated back through conntrack) and on the one hook that can do it.
 * And a rule's 'ct STATES', which only a tracked policy has.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "unit.h"

enum {
	NAT_ICMP = 1,
	NAT_TCP = 6,
	NAT_UDP = 17,
	NAT_ICMPV6 = 58,
};

static const char *const balance_names[POLC_NAT_BALANCE_COUNT_] = {
	[POLC_NAT_BALANCE_RANDOM] = "random",
	[POLC_NAT_BALANCE_ROUND_ROBIN] = "round-robin",
	[POLC_NAT_BALANCE_MAGLEV] = "maglev",
};

static const char *nat_word(const struct ast_rule *r)
{
	return r->nat == AST_NAT_DNAT ? "dnat" : "snat";
}

/* An address value's family and host-order words. */
static void addr_of(const struct ast_value *v, struct ir_backend *b)
{
	bool v4 = v->kind == AV_IPV4;
	unsigned words = v4 ? 1 : 4;

	memset(b, 0, sizeof(*b));
	b->family = v4 ? IR_V4 : IR_V6;
	for (unsigned i = 0; i < words; i++)
		b->addr[i] = (uint32_t)v->addr[4 * i] << 24 | (uint32_t)v->addr[4 * i + 1] << 16 |
			     (uint32_t)v->addr[4 * i + 2] << 8 | v->addr[4 * i + 3];
}

static const char *backend_text(struct check_ctx *c, const struct ir_backend *b)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t bytes[16];

	for (int i = 0; i < 16; i++)
		bytes[i] = (uint8_t)(b->addr[i / 4] >> (24 - 8 * (i % 4)));
	if (b->family == IR_V4)
		inet_ntop(AF_INET, bytes, a, sizeof(a));
	else
		inet_ntop(AF_INET6, bytes, a, sizeof(a));
	if (!b->port)
		return arena_strdup(c->a, a);
	return arena_printf(c->a, b->family == IR_V4 ? "%s:%u" : "[%s]:%u", a, b->port);
}

struct pool {
	VEC(struct ir_backend) v;
	VEC(struct polc_loc) locs;
};

/* A single address (no prefix); ports only where allowed. */
static bool one_address(struct check_ctx *c, const struct ast_value *v, bool port_ok,
			const char *what)
{
	if (v->prefix_len >= 0) {
		struct polc_diag *d = cerror(c, v->prefix_loc, "%s is one address, not a prefix", what);
		polc_diag_hint(c->d, d, "leave out the '/%d'", v->prefix_len);
		return false;
	}
	if (v->has_port && !port_ok) {
		struct polc_diag *d = cerror(c, v->port_loc, "%s has no port of its own", what);
		polc_diag_hint(c->d, d, "the range of source ports is written after the address: '-> ADDRESS port 20000-29999'");
		return false;
	}
	if (v->has_port && (v->port == 0 || v->port > 65535)) {
		cerror(c, v->port_loc, "port %llu: a port is 1 to 65535", (unsigned long long)v->port);
		return false;
	}
	return true;
}

static void eval_backends(struct check_ctx *c, const struct ast_value *v, struct pool *pool)
{
	switch (v->kind) {
	case AV_IPV4:
	case AV_IPV6: {
		struct ir_backend b;
		if (!one_address(c, v, true, "a backend"))
			return;
		addr_of(v, &b);
		b.port = v->has_port ? (uint16_t)v->port : 0;
		vec_push(c->a, &pool->v, b);
		vec_push(c->a, &pool->locs, v->loc);
		return;
	}
	case AV_LIST:
		for (size_t i = 0; i < v->items.n; i++)
			eval_backends(c, v->items.v[i], pool);
		return;
	case AV_REF: {
		const struct ast_value *r = resolve_ref(c, v, VK_ADDR, "backend addresses");
		if (r)
			eval_backends(c, r, pool);
		return;
	}
	default: {
		struct polc_diag *d = cerror(c, v->loc, "expected a backend, found %s", describe(c, v));
		polc_diag_hint(c->d, d, "a backend is an address with an optional port: 10.0.0.11:8080, [2001:db8::11]:8080");
		return;
	}
	}
}

/* The dnat rule's pool into n->backends; its family, or -1. */
static int check_pool(struct check_ctx *c, struct ast_rule *r, struct ir_nat *n)
{
	struct pool pool = { 0 };
	unsigned before = c->rule_errors;

	if (r->target_interface) {
		struct polc_diag *d = cerror(c, r->target_loc, "dnat translates to backends, not to the interface");
		polc_diag_hint(c->d, d, "'-> interface' is for snat");
		return -1;
	}
	eval_backends(new_field(c), r->target, &pool);
	if (c->rule_errors != before)
		return -1;

	uint64_t port = 0;
	if (r->target_port) {
		const struct ast_value *pv = r->target_port;
		if (pv->kind == AV_REF)
			pv = resolve_ref(new_field(c), pv, VK_NUM, "a port");
		if (!pv)
			return -1;
		if (pv->kind != AV_NUMBER || pv->num == 0 || pv->num > 65535) {
			struct polc_diag *d = cerror(c, pv->loc, "the backends' port is one number from 1 to 65535, found %s",
						     describe(c, pv));
			polc_diag_hint(c->d, d, "'-> { 10.0.0.11, 10.0.0.12 } port 8080' sends to port 8080 of each");
			return -1;
		}
		port = pv->num;
	}
	if (pool.v.n > POLC_NAT_POOL_MAX) {
		cerror(c, pool.locs.v[POLC_NAT_POOL_MAX], "a pool has at most %u backends; this one has %zu",
		       POLC_NAT_POOL_MAX, pool.v.n);
		return -1;
	}
	int family = -1;
	for (size_t i = 0; i < pool.v.n; i++) {
		struct ir_backend *b = &pool.v.v[i];
		if (!b->port && port)
			b->port = (uint16_t)port;
		else if (b->port && port) {
			struct polc_diag *d = cerror(c, pool.locs.v[i], "backend %s has its own port and the pool's 'port %llu' too",
						     backend_text(c, b), (unsigned long long)port);
			polc_diag_related(c->d, d, r->target_port_loc, "the pool's port");
			return -1;
		}
		if (family < 0)
			family = b->family;
		else if (b->family != family) {
			struct polc_diag *d = cerror(c, pool.locs.v[i],
						     "backends of both IPv4 and IPv6: a pool is of one family");
			polc_diag_related(c->d, d, pool.locs.v[0], "the first backend");
			polc_diag_hint(c->d, d, "polc does not translate between IPv4 and IPv6; write one dnat rule per family");
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (memcmp(&pool.v.v[j], b, sizeof(*b)) == 0) {
				struct polc_diag *d = cerror(c, pool.locs.v[i], "backend %s is listed twice",
							     backend_text(c, b));
				polc_diag_related(c->d, d, pool.locs.v[j], "first listed here");
				return -1;
			}
		}
	}
	n->n_backends = pool.v.n;
	n->backends = pool.v.v;
	return family;
}

/* The snat address (or interface) and port range into n; the family, or
 * -1 (error), or IR_NFAMILIES for the interface (either family). */
static int check_snat_target(struct check_ctx *c, struct ast_rule *r, struct ir_nat *n)
{
	int family = IR_NFAMILIES;

	if (r->target_interface) {
		n->ifaddr = true;
	} else {
		const struct ast_value *v = r->target;
		if (v->kind == AV_REF)
			v = resolve_ref(new_field(c), v, VK_ADDR, "an address");
		if (!v)
			return -1;
		if (v->kind != AV_IPV4 && v->kind != AV_IPV6) {
			struct polc_diag *d = cerror(c, v->loc, "snat translates to one address, found %s",
						     describe(c, v));
			polc_diag_hint(c->d, d, "write '-> 192.0.2.1' or '-> interface' (the address of the interface the policy is on)");
			return -1;
		}
		if (!one_address(c, v, false, "the snat address"))
			return -1;
		struct ir_backend b;
		addr_of(v, &b);
		n->family = b.family;
		memcpy(n->addr, b.addr, sizeof(n->addr));
		family = b.family;
	}

	n->port_min = POLC_NAT_SNAT_PORT_MIN_DEFAULT;
	n->port_max = POLC_NAT_SNAT_PORT_MAX_DEFAULT;
	if (r->target_port) {
		const struct ast_value *pv = r->target_port;
		if (pv->kind == AV_REF)
			pv = resolve_ref(new_field(c), pv, VK_NUM | VK_RANGE, "a port range");
		if (!pv)
			return -1;
		uint64_t lo = pv->num, hi = pv->kind == AV_RANGE ? pv->num_hi : pv->num;
		if ((pv->kind != AV_NUMBER && pv->kind != AV_RANGE) || lo == 0 || hi > 65535 || lo > hi) {
			struct polc_diag *d = cerror(c, pv->loc,
						     "the source ports snat may use are a range from 1 to 65535, found %s",
						     describe(c, pv));
			polc_diag_hint(c->d, d, "for example 'port 20000-29999'");
			return -1;
		}
		n->port_min = (uint16_t)lo;
		n->port_max = (uint16_t)hi;
	}
	return family;
}

/* The rule's protocols, within what the translation handles: `allowed`
 * per family.  Unwritten (snat): exactly those. */
static bool check_protos(struct check_ctx *c, struct ast_rule *r, const unsigned allowed[IR_NFAMILIES][3])
{
	struct ir_rule *ir = r->ir;

	if (!r->proto) {
		if (r->nat == AST_NAT_DNAT) {
			struct polc_diag *d = cerror(c, r->verdict_loc, "dnat translates TCP and UDP: say which");
			polc_diag_hint(c->d, d, "write 'dnat tcp ...', 'dnat udp ...' or 'dnat { tcp, udp } ...'");
			return false;
		}
		for (int f = 0; f < IR_NFAMILIES; f++) {
			memset(&ir->proto[f], 0, sizeof(ir->proto[f]));
			for (int k = 0; k < 3; k++)
				if (allowed[f][k])
					ir_byteset_add(&ir->proto[f], allowed[f][k]);
		}
		return true;
	}
	for (int f = 0; f < IR_NFAMILIES; f++) {
		if (!(ir->families & IR_FAMILY_BIT(f)))
			continue;
		for (unsigned p = 0; p < 256; p++) {
			if (!ir_byteset_has(&ir->proto[f], p))
				continue;
			bool ok = false;
			for (int k = 0; k < 3; k++)
				ok |= allowed[f][k] && allowed[f][k] == p;
			if (!ok) {
				struct polc_diag *d = cerror(c, r->proto->loc,
							     "%s translates %s only; the rule's protocols include others",
							     nat_word(r),
							     r->nat == AST_NAT_DNAT ? "tcp and udp" : "tcp, udp, icmp and icmpv6 (echo)");
				polc_diag_hint(c->d, d, "NAT rewrites ports (or ICMP echo identifiers): other protocols cannot share an address");
				return false;
			}
		}
	}
	return true;
}

static const char *const ct_names[IR_CT_STATES] = { "new", "established", "related", "invalid",
						     "untracked" };

static void eval_ct(struct check_ctx *c, const struct ast_value *v, uint8_t *mask)
{
	switch (v->kind) {
	case AV_IDENT: {
		for (int i = 0; i < IR_CT_STATES; i++) {
			if (strcmp(v->name, ct_names[i]) == 0) {
				*mask |= (uint8_t)(1u << i);
				return;
			}
		}
		struct polc_diag *d = cerror(c, v->loc, "unknown connection state '%s'", v->name);
		const char *s = polc_suggest(v->name, ct_names, IR_CT_STATES);
		if (s)
			polc_diag_hint(c->d, d, "did you mean '%s'?", s);
		else
			polc_diag_hint(c->d, d, "the states are new, established, related, invalid and untracked");
		return;
	}
	case AV_LIST:
		if (!v->items.n)
			cerror(c, v->loc, "empty list");
		for (size_t i = 0; i < v->items.n; i++)
			eval_ct(c, v->items.v[i], mask);
		return;
	case AV_REF: {
		const struct ast_value *r = resolve_ref(c, v, VK_NAME, "connection states");
		if (r)
			eval_ct(c, r, mask);
		return;
	}
	default: {
		struct polc_diag *d = cerror(c, v->loc, "expected a connection state, found %s",
					     describe(c, v));
		polc_diag_hint(c->d, d, "the states are new, established, related, invalid and untracked");
		return;
	}
	}
}

/* ct STATES into r->ir->ct. */
static void check_ct(struct check_ctx *c, const struct ast_policy *p, struct ast_rule *r)
{
	uint8_t mask = 0;
	unsigned before = c->rule_errors;

	eval_ct(new_field(c), r->ct, &mask);
	if (c->rule_errors != before)
		return;
	if (!p->track) {
		struct polc_diag *d = cerror(c, r->ct_loc, "'ct' matches connection state: policy '%s' has no 'track'",
					     p->name);
		polc_diag_hint(c->d, d, "add 'track' to the policy");
		return;
	}
	if (r->nat) {
		struct polc_diag *d = cerror(c, r->ct_loc, "%s translates new flows: it takes no 'ct'",
					     nat_word(r));
		polc_diag_hint(c->d, d, "the packets of a translated flow follow its translation; a rule before it can drop them");
		return;
	}
	r->ir->ct = mask;
}

void check_nat_rule(struct check_ctx *c, const struct ast_policy *p, struct ast_rule *r)
{
	if (!r->ir)
		return;
	if (r->ct)
		check_ct(c, p, r);
	if (!r->nat) {
		if (r->arrow_loc.line) {
			struct polc_diag *d = cerror(c, r->arrow_loc, "'->' is a translation: only dnat and snat rules have one");
			polc_diag_hint(c->d, d, "write 'dnat' or 'snat' instead of '%s'",
					r->verdict == AST_PASS ? "pass" : "drop");
		} else if (r->balance) {
			cerror(c, r->balance_loc, "'balance' is for dnat rules");
		}
		return;
	}
	if (c->rule_errors)
		return; /* the match is wrong already: its families mean nothing */
	if (!r->arrow_loc.line) {
		struct polc_diag *d = cerror(c, r->verdict_loc, "%s needs a translation", nat_word(r));
		polc_diag_hint(c->d, d, r->nat == AST_NAT_DNAT
						? "add '-> BACKENDS', for example '-> { 10.0.0.11:8080, 10.0.0.12:8080 }'"
						: "add '-> ADDRESS' or '-> interface'");
		return;
	}

	struct ir_nat *n = arena_calloc(c->a, 1, sizeof(*n));
	int family;
	if (r->nat == AST_NAT_DNAT) {
		static const unsigned allowed[IR_NFAMILIES][3] = { { NAT_TCP, NAT_UDP, 0 },
								   { NAT_TCP, NAT_UDP, 0 } };
		n->kind = IR_NAT_DNAT;
		if (!check_protos(c, r, allowed))
			return;
		family = check_pool(c, r, n);
		if (family < 0)
			return;
		if (n->n_backends == 0)
			family = IR_NFAMILIES; /* filled at run time: any family */
		n->balance = POLC_NAT_BALANCE_RANDOM;
		if (r->balance) {
			int b = -1;
			for (int i = 0; i < POLC_NAT_BALANCE_COUNT_; i++)
				if (strcmp(r->balance, balance_names[i]) == 0)
					b = i;
			if (b < 0) {
				struct polc_diag *d = cerror(c, r->balance_loc, "unknown balance '%s'", r->balance);
				const char *s = polc_suggest(r->balance, balance_names, POLC_NAT_BALANCE_COUNT_);
				if (s)
					polc_diag_hint(c->d, d, "did you mean '%s'?", s);
				else
					polc_diag_hint(c->d, d, "balance is random, round-robin or maglev");
				return;
			}
			n->balance = (enum polc_nat_balance)b;
		}
	} else {
		static const unsigned allowed[IR_NFAMILIES][3] = { { NAT_TCP, NAT_UDP, NAT_ICMP },
								   { NAT_TCP, NAT_UDP, NAT_ICMPV6 } };
		n->kind = IR_NAT_SNAT;
		if (r->balance) {
			struct polc_diag *d = cerror(c, r->balance_loc, "'balance' is for dnat rules");
			polc_diag_hint(c->d, d, "snat translates to one address");
			return;
		}
		if (!check_protos(c, r, allowed))
			return;
		family = check_snat_target(c, r, n);
		if (family < 0)
			return;
	}

	/* the rule matches only flows of its translation's family */
	if (family < IR_NFAMILIES) {
		if (!(r->ir->families & IR_FAMILY_BIT(family))) {
			struct polc_diag *d = cerror(c, r->arrow_loc,
						     "the rule matches %s packets only, and translates to %s",
						     family == IR_V4 ? "IPv6" : "IPv4",
						     family == IR_V4 ? "IPv4" : "IPv6");
			polc_diag_hint(c->d, d, "polc does not translate between IPv4 and IPv6");
			return;
		}
		r->ir->families &= (uint8_t)IR_FAMILY_BIT(family);
	}
	r->ir->needs_l4 = true;
	r->ir->nat = n;
}

static const char *hook_words(enum ast_hook h)
{
	switch (h) {
	case AST_HOOK_XDP:
		return "xdp";
	case AST_HOOK_TC_INGRESS:
		return "tc ingress";
	case AST_HOOK_TC_EGRESS:
		return "tc egress";
	default:
		return "?";
	}
}

void check_nat_policy(struct check_ctx *c, struct ast_policy *p)
{
	uint32_t dnat = 0, snat = 0, maglev = 0;
	bool told_track = false, told_hook[3] = { false };

	for (size_t i = 0; i < p->rules.n; i++) {
		struct ast_rule *r = p->rules.v[i];
		if (!r->nat)
			continue;
		if (!p->track && !told_track) {
			struct polc_diag *d = cerror(c, r->verdict_loc,
						     "%s needs connection tracking: add 'track' to policy '%s'",
						     nat_word(r), p->name);
			polc_diag_hint(c->d, d, "a flow's translation is kept in its conntrack entries, which is how its replies are translated back");
			told_track = true;
		}
		enum ast_hook want = r->nat == AST_NAT_DNAT ? AST_HOOK_TC_INGRESS : AST_HOOK_TC_EGRESS;
		if (p->hook != AST_HOOK_NONE && p->hook != want && !told_hook[r->nat]) {
			told_hook[r->nat] = true;
			struct polc_diag *d;
			if (r->nat == AST_NAT_DNAT)
				d = cerror(c, r->verdict_loc, "dnat is done on tc ingress, and policy '%s' attaches to %s",
					   p->name, hook_words(p->hook));
			else
				d = cerror(c, r->verdict_loc, "snat is done on tc egress, and policy '%s' attaches to %s",
					   p->name, hook_words(p->hook));
			polc_diag_related(c->d, d, p->hook_loc, "attached here");
			if (p->hook == AST_HOOK_XDP)
				polc_diag_hint(c->d, d, "XDP cannot tell a complete checksum from one the device is still to fill in, so it cannot rewrite addresses safely; attach to 'tc %s'",
					       r->nat == AST_NAT_DNAT ? "ingress" : "egress");
			else if (r->nat == AST_NAT_DNAT)
				polc_diag_hint(c->d, d, "on egress the route was chosen for the original destination: translate where packets arrive");
			else
				polc_diag_hint(c->d, d, "snat rewrites the source of packets as they leave, after routing: attach to the outgoing interface's 'tc egress'");
		}
		struct ir_nat *n = r->ir ? (struct ir_nat *)r->ir->nat : NULL;
		if (!n)
			continue;
		if (n->kind == IR_NAT_DNAT) {
			n->index = dnat++;
			if (n->balance == POLC_NAT_BALANCE_MAGLEV)
				n->maglev_slot = maglev++;
		} else {
			n->index = snat++;
		}
	}
}
