// SPDX-License-Identifier: BSD-2-Clause
/*
 * check.c: the checking pass: give the AST its meaning or say why it has none.
 *
 * Values are typed by the position they are written in (an address after
 * "from", a port after "port", a protocol after the verdict), constants are
 * resolved, and every rule is turned into a draft IR rule: per-field value
 * sets, not yet normalised (lower.c does that).  Errors point at the value
 * that is wrong and, where another place explains it, at that place too.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "unit.h"
#include "util.h"

/* ---- tables ------------------------------------------------------------- */

struct name_num {
	const char *name;
	unsigned num;
};

static const struct name_num protocols[] = {
	{ "icmp", 1 },	 { "tcp", 6 },	 { "udp", 17 }, { "gre", 47 },
	{ "esp", 50 },	 { "ah", 51 },	 { "icmpv6", 58 }, { "sctp", 132 },
};

static const struct name_num icmp4_types[] = {
	{ "echo-reply", 0 },
	{ "destination-unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo-request", 8 },
	{ "router-advertisement", 9 },
	{ "router-solicitation", 10 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp-request", 13 },
	{ "timestamp-reply", 14 },
};

static const struct name_num icmp6_types[] = {
	{ "destination-unreachable", 1 },
	{ "packet-too-big", 2 },
	{ "time-exceeded", 3 },
	{ "parameter-problem", 4 },
	{ "echo-request", 128 },
	{ "echo-reply", 129 },
	{ "mld-listener-query", 130 },
	{ "mld-listener-report", 131 },
	{ "mld-listener-done", 132 },
	{ "router-solicitation", 133 },
	{ "router-advertisement", 134 },
	{ "neighbor-solicitation", 135 },
	{ "neighbor-advertisement", 136 },
	{ "redirect", 137 },
	{ "mld2-listener-report", 143 },
};

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

static int table_find(const struct name_num *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return (int)t[i].num;
	return -1;
}

static const char *table_suggest(const struct name_num *t, size_t n,
				 const char *name)
{
	const char *names[32];

	for (size_t i = 0; i < n && i < 32; i++)
		names[i] = t[i].name;
	return polc_suggest(name, names, n < 32 ? n : 32);
}

/* ---- reporting helpers ------------------------------------------------- */

struct polc_diag *cerror(struct check_ctx *c, struct polc_loc loc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->rule_errors++;
	return polc_error(c->d, loc, "%s", msg);
}

const char *describe(struct check_ctx *c, const struct ast_value *v)
{
	char buf[64];

	switch (v->kind) {
	case AV_IPV4:
		return "an IPv4 address";
	case AV_IPV6:
		return "an IPv6 address";
	case AV_NUMBER:
		return arena_printf(c->a, "the number %llu",
				    (unsigned long long)v->num);
	case AV_RANGE:
		return arena_printf(c->a, "the range %llu-%llu",
				    (unsigned long long)v->num,
				    (unsigned long long)v->num_hi);
	case AV_IDENT:
		snprintf(buf, sizeof(buf), "the name '%s'", v->name);
		return arena_strdup(c->a, buf);
	case AV_REF:
		return arena_printf(c->a, "the constant '$%s'", v->name);
	case AV_SETREF:
		return arena_printf(c->a, "the set '@%s'", v->name);
	case AV_ANY:
		return "'any'";
	case AV_LIST:
		return "a list";
	}
	return "a value";
}

static const char *kind_words(unsigned k)
{
	if (k == 0)
		return "nothing";
	if (k & VK_ADDR && k & ~(unsigned)(VK_ADDR | VK_ANY))
		return "a mix of addresses and other values";
	if (k & VK_ADDR)
		return "addresses";
	if (k & VK_RANGE && !(k & VK_NAME))
		return "ports or port ranges";
	if (k & VK_NAME && !(k & (VK_NUM | VK_RANGE)))
		return "names";
	if (k & VK_NUM && !(k & VK_NAME))
		return "numbers";
	if (k == VK_ANY)
		return "'any'";
	return "a mix of names and numbers";
}

/* ---- constants ---------------------------------------------------------- */

static struct ast_const *find_const(struct check_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->u->ast.consts.n; i++)
		if (strcmp(c->u->ast.consts.v[i]->name, name) == 0)
			return c->u->ast.consts.v[i];
	return NULL;
}

static void unknown_const(struct check_ctx *c, const struct ast_value *v)
{
	const char *names[256];
	size_t n = 0;

	for (size_t i = 0; i < c->u->ast.consts.n && n < 256; i++)
		names[n++] = c->u->ast.consts.v[i]->name;
	struct polc_diag *d =
		cerror(c, v->loc, "unknown constant '$%s'", v->name);
	const char *s = polc_suggest(v->name, names, n);
	if (s)
		polc_diag_hint(c->d, d, "did you mean '$%s'?", s);
}

static struct ast_set *find_set(struct check_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->u->ast.sets.n; i++)
		if (strcmp(c->u->ast.sets.v[i]->name, name) == 0)
			return c->u->ast.sets.v[i];
	return NULL;
}

static void unknown_set(struct check_ctx *c, const struct ast_value *v)
{
	const char *names[256];
	size_t n = 0;

	for (size_t i = 0; i < c->u->ast.sets.n && n < 256; i++)
		names[n++] = c->u->ast.sets.v[i]->name;
	struct polc_diag *d = cerror(c, v->loc, "unknown set '@%s'", v->name);
	const char *s = polc_suggest(v->name, names, n);
	if (s)
		polc_diag_hint(c->d, d, "did you mean '@%s'?", s);
	else if (find_const(c, v->name))
		polc_diag_hint(c->d, d, "'%s' is a constant: write '$%s'", v->name, v->name);
}

static bool is_port_set(const struct ast_set *s)
{
	return s->type && strcmp(s->type, "port") == 0;
}

/* A set reference where a set of `kind` is expected: the set, marked used,
 * or NULL after reporting why not. */
static struct ast_set *resolve_set(struct check_ctx *c, const struct ast_value *v,
				   bool want_ports)
{
	struct ast_set *s = find_set(c, v->name);

	if (!s) {
		unknown_set(c, v);
		return NULL;
	}
	s->used = true;
	if (s->bad || !s->ir) {
		c->rule_errors++;
		return NULL;
	}
	if (is_port_set(s) != want_ports) {
		struct polc_diag *d = cerror(c, v->loc, "set '@%s' holds %s; %s is expected here",
					     v->name, want_ports ? "addresses" : "ports",
					     want_ports ? "a port" : "an address");
		polc_diag_related(c->d, d, s->loc, "'%s' is defined here", s->name);
		return NULL;
	}
	return s;
}

static unsigned value_kind(struct check_ctx *c, const struct ast_value *v);

static unsigned const_kind(struct check_ctx *c, struct ast_const *k)
{
	if (k->kind_known)
		return k->kind;
	if (k->resolving || !k->value)
		return 0; /* the cycle is reported by check_consts() */
	k->resolving = true;
	unsigned kind = value_kind(c, k->value);
	k->resolving = false;
	k->kind_known = true;
	k->kind = kind;
	return kind;
}

static unsigned value_kind(struct check_ctx *c, const struct ast_value *v)
{
	switch (v->kind) {
	case AV_IPV4:
	case AV_IPV6:
		return VK_ADDR;
	case AV_NUMBER:
		return VK_NUM;
	case AV_RANGE:
		return VK_RANGE;
	case AV_IDENT:
		return VK_NAME;
	case AV_ANY:
		return VK_ANY;
	case AV_REF: {
		struct ast_const *k = find_const(c, v->name);
		return k ? const_kind(c, k) : 0;
	}
	case AV_SETREF: {
		/* a set stands where its elements would */
		struct ast_set *s = find_set(c, v->name);
		return !s ? 0 : is_port_set(s) ? VK_RANGE : VK_ADDR;
	}
	case AV_LIST: {
		unsigned kind = 0;
		for (size_t i = 0; i < v->items.n; i++)
			kind |= value_kind(c, v->items.v[i]);
		return kind;
	}
	}
	return 0;
}

/*
 * Resolve a reference for use where `accept` kinds make sense.  Returns the
 * constant's value, or NULL after reporting why it cannot be used here.
 */
const struct ast_value *resolve_ref(struct check_ctx *c, const struct ast_value *v,
				    unsigned accept, const char *want)
{
	struct ast_const *k = find_const(c, v->name);

	if (!k) {
		unknown_const(c, v);
		return NULL;
	}
	k->used = true;
	if (k->bad || k->resolving) {
		c->rule_errors++;
		return NULL;
	}
	unsigned kind = const_kind(c, k);
	if (kind & ~accept) {
		struct polc_diag *d = cerror(c, v->loc,
					     "constant '$%s' holds %s; %s is expected here",
					     v->name, kind_words(kind), want);
		polc_diag_related(c->d, d, k->loc, "'%s' is defined here",
				  k->name);
		return NULL;
	}
	/* a set is a union: a constant adds nothing the second time */
	if (k->expanded_in == c->field)
		return NULL;
	k->expanded_in = c->field;
	return k->value;
}

static size_t const_index(struct check_ctx *c, const struct ast_const *k)
{
	for (size_t i = 0; i < c->u->ast.consts.n; i++)
		if (c->u->ast.consts.v[i] == k)
			return i;
	return (size_t)-1;
}

/*
 * A reference back to the constant being checked (chain[0]) closes a cycle.
 * It is reported once, when checking the cycle's first constant in the
 * file, at that constant's reference into the cycle.
 */
static void report_cycle(struct check_ctx *c, const struct ast_value *ref)
{
	size_t n = c->chain_n < ARRAY_SIZE(c->chain) ? c->chain_n : ARRAY_SIZE(c->chain);
	size_t root = const_index(c, c->chain[0]);
	char names[256] = "";
	size_t len = 0;

	for (size_t i = 1; i < n; i++)
		if (const_index(c, c->chain[i]) < root)
			return;
	if (n == 1) {
		cerror(c, ref->loc, "constant '%s' refers to itself", c->chain[0]->name);
		return;
	}
	for (size_t i = 1; i < n && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s'%s'",
					i == 1 ? "" : i == n - 1 ? " and " : ", ",
					c->chain[i]->name);
	cerror(c, c->chain_ref[1]->loc, "constant '%s' refers to itself through %s",
	       c->chain[0]->name, names);
}

/* A cycle through constants, an empty list or a mixed list in a constant's
 * definition is reported once, at the definition. */
static bool check_value_shape(struct check_ctx *c, const struct ast_value *v)
{
	bool ok = true;

	if (v->kind == AV_LIST) {
		if (v->items.n == 0) {
			cerror(c, v->loc, "empty list");
			return false;
		}
		for (size_t i = 0; i < v->items.n; i++)
			ok &= check_value_shape(c, v->items.v[i]);
	} else if (v->kind == AV_SETREF) {
		struct ast_set *s = find_set(c, v->name);
		if (!s) {
			unknown_set(c, v);
			return false;
		}
		s->used = true;
	} else if (v->kind == AV_REF) {
		struct ast_const *k = find_const(c, v->name);
		if (!k) {
			unknown_const(c, v);
			return false;
		}
		k->used = true;
		if (k->bad)
			return false; /* reported already */
		if (k->checked)
			return true; /* and on no cycle, or it would be bad */
		if (k->resolving) {
			if (k == c->chain[0])
				report_cycle(c, v);
			return false;
		}
		if (k->visited == c->root)
			return k->visited_ok; /* explored already in this check */
		if (c->chain_n < ARRAY_SIZE(c->chain)) {
			c->chain[c->chain_n] = k;
			c->chain_ref[c->chain_n] = v;
		}
		c->chain_n++;
		k->resolving = true;
		ok = check_value_shape(c, k->value);
		k->resolving = false;
		c->chain_n--;
		k->visited = c->root;
		k->visited_ok = ok;
	}
	return ok;
}

static void check_consts(struct check_ctx *c)
{
	struct ast_file *f = &c->u->ast;

	for (size_t i = 0; i < f->consts.n; i++) {
		struct ast_const *k = f->consts.v[i];
		for (size_t j = 0; j < i; j++) {
			if (strcmp(f->consts.v[j]->name, k->name) == 0) {
				struct polc_diag *d = cerror(
					c, k->loc, "constant '%s' is already defined",
					k->name);
				polc_diag_related(c->d, d, f->consts.v[j]->loc,
						  "first defined here");
				/* uses resolve to the first: no "never used" too */
				k->used = true;
				break;
			}
		}
	}
	for (size_t i = 0; i < f->consts.n; i++) {
		struct ast_const *k = f->consts.v[i];
		unsigned before = c->d->n_errors;

		if (k->bad)
			continue; /* a lexical error in its value, reported */
		k->resolving = true;
		c->root++;
		c->chain[0] = k;
		c->chain_n = 1;
		bool ok = check_value_shape(c, k->value);
		c->chain_n = 0;
		k->resolving = false;
		k->checked = true;
		unsigned kind = value_kind(c, k->value);
		if (ok && (kind & VK_ADDR) &&
		    (kind & ~(unsigned)(VK_ADDR | VK_ANY))) {
			cerror(c, k->value->loc, "constant '%s' mixes addresses and other values",
			       k->name);
			ok = false;
		}
		k->bad = !ok || c->d->n_errors != before;
	}
}

/* ---- addresses ---------------------------------------------------------- */

struct addr_acc {
	bool in_set; /* the elements of a set: no 'any', no sets */
	VEC(const struct ir_set *) sets;
	VEC(struct polc_loc) set_locs;
	bool any;
	VEC(struct ir_prefix) v;
	VEC(struct polc_loc) locs; /* of each prefix, for family errors */
};

static void add_prefix(struct check_ctx *c, const struct ast_value *v,
		       struct addr_acc *acc)
{
	bool v4 = v->kind == AV_IPV4;
	unsigned max = v4 ? 32 : 128;
	struct ir_prefix p = { .family = v4 ? IR_V4 : IR_V6 };

	if (v->has_port) {
		struct polc_diag *d = cerror(c, v->port_loc,
					     "an address with a port is a dnat backend, written after '->'");
		polc_diag_hint(c->d, d, "to match a port, write 'port %llu' after the address",
			       (unsigned long long)v->port);
		return;
	}
	if (v->prefix_len > (int)max) {
		struct polc_diag *d = cerror(c, v->prefix_loc,
					     "prefix length /%d is too long for %s (at most /%u)",
					     v->prefix_len, v4 ? "IPv4" : "IPv6",
					     max);
		if (v4 && v->prefix_len <= 128)
			polc_diag_hint(c->d, d, "an IPv6 prefix needs an IPv6 address");
		return;
	}
	p.len = v->prefix_len < 0 ? (uint8_t)max : (uint8_t)v->prefix_len;
	unsigned words = v4 ? 1 : 4;
	for (unsigned i = 0; i < words; i++)
		p.w[i] = (uint32_t)v->addr[4 * i] << 24 |
			 (uint32_t)v->addr[4 * i + 1] << 16 |
			 (uint32_t)v->addr[4 * i + 2] << 8 | v->addr[4 * i + 3];

	bool host_bits = false;
	for (unsigned i = 0; i < words; i++) {
		unsigned start = i * 32;
		uint32_t mask = p.len <= start	    ? 0 :
				p.len >= start + 32 ? ~0u :
						      ~0u << (32 - (p.len - start));
		if (p.w[i] & ~mask)
			host_bits = true;
		p.w[i] &= mask;
	}
	if (host_bits) {
		char net[64];
		if (v4)
			snprintf(net, sizeof(net), "%u.%u.%u.%u/%u", p.w[0] >> 24,
				 (p.w[0] >> 16) & 255, (p.w[0] >> 8) & 255,
				 p.w[0] & 255, p.len);
		else {
			uint8_t b[16];
			char a6[INET6_ADDRSTRLEN];
			for (unsigned i = 0; i < 16; i++)
				b[i] = (uint8_t)(p.w[i / 4] >> (24 - 8 * (i % 4)));
			inet_ntop(AF_INET6, b, a6, sizeof(a6));
			snprintf(net, sizeof(net), "%s/%u", a6, p.len);
		}
		struct polc_diag *d = polc_warning(c->d, POLC_W_HOST_BITS, v->loc,
						   "prefix has bits set past its length /%u",
						   p.len);
		polc_diag_hint(c->d, d, "it means %s", net);
	}
	vec_push(c->a, &acc->v, p);
	vec_push(c->a, &acc->locs, v->loc);
}

static void eval_addrs(struct check_ctx *c, const struct ast_value *v,
		       struct addr_acc *acc)
{
	switch (v->kind) {
	case AV_IPV4:
	case AV_IPV6:
		add_prefix(c, v, acc);
		return;
	case AV_ANY:
		if (acc->in_set) {
			cerror(c, v->loc, "a set holds addresses and prefixes, not 'any'");
			return;
		}
		acc->any = true;
		return;
	case AV_SETREF: {
		if (acc->in_set) {
			cerror(c, v->loc, "a set cannot hold another set");
			return;
		}
		struct ast_set *s = resolve_set(c, v, false);
		if (s) {
			vec_push(c->a, &acc->sets, s->ir);
			vec_push(c->a, &acc->set_locs, v->loc);
		}
		return;
	}
	case AV_LIST:
		if (v->items.n == 0)
			cerror(c, v->loc, "empty list");
		for (size_t i = 0; i < v->items.n; i++)
			eval_addrs(c, v->items.v[i], acc);
		return;
	case AV_REF: {
		const struct ast_value *r =
			resolve_ref(c, v, VK_ADDR | VK_ANY, "an address");
		if (r)
			eval_addrs(c, r, acc);
		return;
	}
	case AV_IDENT: {
		struct polc_diag *d = cerror(c, v->loc, "expected an address or prefix, found %s",
					     describe(c, v));
		if (find_const(c, v->name))
			polc_diag_hint(c->d, d, "constants are written with '$': '$%s'",
				       v->name);
		return;
	}
	case AV_NUMBER:
	case AV_RANGE: {
		struct polc_diag *d = cerror(c, v->loc, "expected an address or prefix, found %s",
					     describe(c, v));
		polc_diag_hint(c->d, d, "ports are written after 'port'");
		return;
	}
	}
}

static unsigned addr_families(const struct addr_acc *acc)
{
	unsigned f = 0;

	if (acc->any)
		return IR_FAMILIES_ALL;
	for (size_t i = 0; i < acc->v.n; i++)
		f |= IR_FAMILY_BIT(acc->v.v[i].family);
	for (size_t i = 0; i < acc->sets.n; i++)
		f |= acc->sets.v[i]->families;
	return f;
}

/* ---- ports -------------------------------------------------------------- */

struct port_acc {
	bool in_set;
	VEC(const struct ir_set *) sets;
	bool any;
	VEC(struct ir_range) v;
};

static void eval_ports(struct check_ctx *c, const struct ast_value *v,
		       struct port_acc *acc)
{
	switch (v->kind) {
	case AV_NUMBER:
		if (v->num > 65535) {
			cerror(c, v->loc, "port %llu is out of range (0 to 65535)",
			       (unsigned long long)v->num);
			return;
		}
		vec_push(c->a, &acc->v,
			 ((struct ir_range){ (uint16_t)v->num, (uint16_t)v->num }));
		return;
	case AV_RANGE:
		if (v->num > 65535 || v->num_hi > 65535) {
			cerror(c, v->loc, "port range %llu-%llu is out of range (0 to 65535)",
			       (unsigned long long)v->num,
			       (unsigned long long)v->num_hi);
			return;
		}
		if (v->num > v->num_hi) {
			struct polc_diag *d = cerror(c, v->loc, "port range %llu-%llu is empty",
						     (unsigned long long)v->num,
						     (unsigned long long)v->num_hi);
			polc_diag_hint(c->d, d, "write the low end first: %llu-%llu",
				       (unsigned long long)v->num_hi,
				       (unsigned long long)v->num);
			return;
		}
		vec_push(c->a, &acc->v,
			 ((struct ir_range){ (uint16_t)v->num, (uint16_t)v->num_hi }));
		return;
	case AV_ANY:
		if (acc->in_set) {
			cerror(c, v->loc, "a set holds ports and port ranges, not 'any'");
			return;
		}
		acc->any = true;
		return;
	case AV_SETREF: {
		if (acc->in_set) {
			cerror(c, v->loc, "a set cannot hold another set");
			return;
		}
		struct ast_set *s = resolve_set(c, v, true);
		if (s)
			vec_push(c->a, &acc->sets, s->ir);
		return;
	}
	case AV_LIST:
		if (v->items.n == 0)
			cerror(c, v->loc, "empty list");
		for (size_t i = 0; i < v->items.n; i++)
			eval_ports(c, v->items.v[i], acc);
		return;
	case AV_REF: {
		const struct ast_value *r = resolve_ref(
			c, v, VK_NUM | VK_RANGE | VK_ANY, "a port");
		if (r)
			eval_ports(c, r, acc);
		return;
	}
	case AV_IDENT:
	case AV_IPV4:
	case AV_IPV6: {
		struct polc_diag *d = cerror(c, v->loc, "expected a port or port range, found %s",
					     describe(c, v));
		if (v->kind == AV_IDENT && find_const(c, v->name))
			polc_diag_hint(c->d, d, "constants are written with '$': '$%s'",
				       v->name);
		return;
	}
	}
}

/* ---- protocols ---------------------------------------------------------- */

struct proto_acc {
	struct ir_byteset set[IR_NFAMILIES];
};

/* IPv6 extension headers: the parser walks past them to the protocol they
 * carry, so in IPv6 a rule can never see them as the protocol. */
static bool ipv6_extension(unsigned proto)
{
	return proto == 0 || proto == 43 || proto == 44 || proto == 51 ||
	       proto == 60 || proto == 135;
}

static void add_proto(struct proto_acc *acc, unsigned proto)
{
	/* icmp exists only for IPv4 and icmpv6 only for IPv6 */
	if (proto != PROTO_ICMPV6)
		ir_byteset_add(&acc->set[IR_V4], proto);
	if (proto != PROTO_ICMP && !ipv6_extension(proto))
		ir_byteset_add(&acc->set[IR_V6], proto);
}

static void eval_protos(struct check_ctx *c, const struct ast_value *v,
			struct proto_acc *acc)
{
	switch (v->kind) {
	case AV_IDENT: {
		int p = table_find(protocols, ARRAY_SIZE(protocols), v->name);
		if (p < 0) {
			struct polc_diag *d = cerror(c, v->loc, "unknown protocol '%s'",
						     v->name);
			const char *s = table_suggest(protocols,
						      ARRAY_SIZE(protocols), v->name);
			if (s)
				polc_diag_hint(c->d, d, "did you mean '%s'?", s);
			else if (find_const(c, v->name))
				polc_diag_hint(c->d, d, "constants are written with '$': '$%s'",
					       v->name);
			return;
		}
		add_proto(acc, (unsigned)p);
		return;
	}
	case AV_NUMBER:
		if (v->num > 255) {
			cerror(c, v->loc, "protocol number %llu is out of range (0 to 255)",
			       (unsigned long long)v->num);
			return;
		}
		add_proto(acc, (unsigned)v->num);
		return;
	case AV_ANY:
		acc->set[IR_V4].any = acc->set[IR_V6].any = true;
		return;
	case AV_LIST:
		if (v->items.n == 0)
			cerror(c, v->loc, "empty list");
		for (size_t i = 0; i < v->items.n; i++)
			eval_protos(c, v->items.v[i], acc);
		return;
	case AV_REF: {
		const struct ast_value *r = resolve_ref(
			c, v, VK_NAME | VK_NUM | VK_ANY, "a protocol");
		if (r)
			eval_protos(c, r, acc);
		return;
	}
	case AV_SETREF:
	case AV_IPV4:
	case AV_IPV6:
	case AV_RANGE: {
		struct polc_diag *d = cerror(c, v->loc, "expected a protocol, found %s",
					     describe(c, v));
		if (v->kind != AV_RANGE)
			polc_diag_hint(c->d, d, "addresses follow 'from' or 'to'");
		return;
	}
	}
}

/* Is every protocol in acc one of a and b? */
static bool protos_within(const struct proto_acc *acc, unsigned a, unsigned b)
{
	for (int f = 0; f < IR_NFAMILIES; f++) {
		if (acc->set[f].any)
			return false;
		for (unsigned p = 0; p < 256; p++)
			if (ir_byteset_has(&acc->set[f], p) && p != a && p != b)
				return false;
	}
	return true;
}

/* ---- ICMP types and codes ---------------------------------------------- */

struct icmp_acc {
	struct ir_byteset type[IR_NFAMILIES];
	struct ir_byteset code;
};

static void eval_icmp_types(struct check_ctx *c, const struct ast_value *v,
			    const struct proto_acc *protos,
			    struct icmp_acc *acc)
{
	bool v4 = ir_byteset_has(&protos->set[IR_V4], PROTO_ICMP);
	bool v6 = ir_byteset_has(&protos->set[IR_V6], PROTO_ICMPV6);

	switch (v->kind) {
	case AV_IDENT: {
		int t4 = table_find(icmp4_types, ARRAY_SIZE(icmp4_types), v->name);
		int t6 = table_find(icmp6_types, ARRAY_SIZE(icmp6_types), v->name);
		if ((v4 && t4 >= 0) || (v6 && t6 >= 0)) {
			if (v4 && t4 >= 0)
				ir_byteset_add(&acc->type[IR_V4], (unsigned)t4);
			if (v6 && t6 >= 0)
				ir_byteset_add(&acc->type[IR_V6], (unsigned)t6);
			return;
		}
		if (t6 >= 0 && !v6) {
			struct polc_diag *d = cerror(c, v->loc,
						     "'%s' is an ICMPv6 type, but the rule matches icmp (IPv4)",
						     v->name);
			polc_diag_hint(c->d, d, "use 'icmpv6'");
			return;
		}
		if (t4 >= 0 && !v4) {
			struct polc_diag *d = cerror(c, v->loc,
						     "'%s' is an ICMP (IPv4) type, but the rule matches icmpv6",
						     v->name);
			polc_diag_hint(c->d, d, "use 'icmp'");
			return;
		}
		struct polc_diag *d = cerror(c, v->loc, "unknown ICMP type '%s'",
					     v->name);
		const char *s = v6 && !v4 ? table_suggest(icmp6_types, ARRAY_SIZE(icmp6_types), v->name)
					  : table_suggest(icmp4_types, ARRAY_SIZE(icmp4_types), v->name);
		if (!s && v6)
			s = table_suggest(icmp6_types, ARRAY_SIZE(icmp6_types), v->name);
		if (s)
			polc_diag_hint(c->d, d, "did you mean '%s'?", s);
		return;
	}
	case AV_NUMBER:
		if (v->num > 255) {
			cerror(c, v->loc, "ICMP type %llu is out of range (0 to 255)",
			       (unsigned long long)v->num);
			return;
		}
		if (v4)
			ir_byteset_add(&acc->type[IR_V4], (unsigned)v->num);
		if (v6)
			ir_byteset_add(&acc->type[IR_V6], (unsigned)v->num);
		return;
	case AV_LIST:
		if (v->items.n == 0)
			cerror(c, v->loc, "empty list");
		for (size_t i = 0; i < v->items.n; i++)
			eval_icmp_types(c, v->items.v[i], protos, acc);
		return;
	case AV_REF: {
		const struct ast_value *r = resolve_ref(c, v, VK_NAME | VK_NUM,
							"an ICMP type");
		if (r)
			eval_icmp_types(c, r, protos, acc);
		return;
	}
	case AV_ANY:
	case AV_RANGE:
	case AV_SETREF:
	case AV_IPV4:
	case AV_IPV6:
		cerror(c, v->loc, "expected an ICMP type, found %s", describe(c, v));
		return;
	}
}

static void eval_icmp_codes(struct check_ctx *c, const struct ast_value *v,
			    struct icmp_acc *acc)
{
	switch (v->kind) {
	case AV_NUMBER:
		if (v->num > 255) {
			cerror(c, v->loc, "ICMP code %llu is out of range (0 to 255)",
			       (unsigned long long)v->num);
			return;
		}
		ir_byteset_add(&acc->code, (unsigned)v->num);
		return;
	case AV_RANGE:
		if (v->num > 255 || v->num_hi > 255) {
			cerror(c, v->loc, "ICMP code range %llu-%llu is not within 0 to 255",
			       (unsigned long long)v->num,
			       (unsigned long long)v->num_hi);
			return;
		}
		if (v->num > v->num_hi) {
			struct polc_diag *d = cerror(c, v->loc, "ICMP code range %llu-%llu is empty",
						     (unsigned long long)v->num,
						     (unsigned long long)v->num_hi);
			polc_diag_hint(c->d, d, "write the low end first: %llu-%llu",
				       (unsigned long long)v->num_hi,
				       (unsigned long long)v->num);
			return;
		}
		for (uint64_t i = v->num; i <= v->num_hi; i++)
			ir_byteset_add(&acc->code, (unsigned)i);
		return;
	case AV_LIST:
		if (v->items.n == 0)
			cerror(c, v->loc, "empty list");
		for (size_t i = 0; i < v->items.n; i++)
			eval_icmp_codes(c, v->items.v[i], acc);
		return;
	case AV_REF: {
		const struct ast_value *r =
			resolve_ref(c, v, VK_NUM | VK_RANGE, "an ICMP code");
		if (r)
			eval_icmp_codes(c, r, acc);
		return;
	}
	case AV_ANY:
	case AV_IDENT:
	case AV_SETREF:
	case AV_IPV4:
	case AV_IPV6:
		cerror(c, v->loc, "expected an ICMP code number, found %s",
		       describe(c, v));
		return;
	}
}

/* ---- rules -------------------------------------------------------------- */

static const char *const family_names[] = { "IPv4", "IPv6" };

/* Report addresses of a family the rule's protocols rule out. */
static void check_addr_families(struct check_ctx *c, const struct addr_acc *acc,
				unsigned proto_families,
				const struct ast_rule *r)
{
	for (size_t i = 0; i < acc->sets.n; i++) {
		const struct ir_set *s = acc->sets.v[i];
		if (s->families & proto_families)
			continue;
		int f = s->families == IR_FAMILY_BIT(IR_V6);
		struct polc_diag *d = cerror(c, acc->set_locs.v[i],
					     "set '@%s' holds %s addresses, but the rule matches only %s",
					     s->name, family_names[f], family_names[!f]);
		if (r->proto)
			polc_diag_related(c->d, d, r->proto->loc,
					  "the protocol limits the rule to %s", family_names[!f]);
	}
	for (size_t i = 0; i < acc->v.n; i++) {
		unsigned f = acc->v.v[i].family;
		if (proto_families & IR_FAMILY_BIT(f))
			continue;
		struct polc_diag *d = cerror(c, acc->locs.v[i],
					     "%s address in a rule that matches only %s",
					     family_names[f], family_names[!f]);
		if (r->proto)
			polc_diag_related(c->d, d, r->proto->loc,
					  "the protocol limits the rule to %s",
					  family_names[!f]);
	}
}

static void copy_addrs(struct check_ctx *c, const struct addr_acc *acc,
		       struct ir_addrset *out)
{
	out->any = acc->any || (acc->v.n == 0 && acc->sets.n == 0);
	if (out->any)
		return;
	out->n = acc->v.n;
	out->v = arena_calloc(c->a, acc->v.n ? acc->v.n : 1, sizeof(*out->v));
	if (acc->v.n)
		memcpy(out->v, acc->v.v, acc->v.n * sizeof(*out->v));
	out->n_sets = acc->sets.n;
	out->sets = acc->sets.v;
}

static void copy_ports(struct check_ctx *c, const struct port_acc *acc,
		       bool written, struct ir_portset *out)
{
	out->any = !written || acc->any;
	if (out->any)
		return;
	out->n = acc->v.n;
	out->v = arena_calloc(c->a, acc->v.n ? acc->v.n : 1, sizeof(*out->v));
	if (acc->v.n)
		memcpy(out->v, acc->v.v, acc->v.n * sizeof(*out->v));
	out->n_sets = acc->sets.n;
	out->sets = acc->sets.v;
}

/* The families in which a per-family set has members. */
static unsigned families_of(const struct ir_byteset set[IR_NFAMILIES])
{
	unsigned f = 0;

	for (int i = 0; i < IR_NFAMILIES; i++)
		if (!ir_byteset_empty(&set[i]))
			f |= IR_FAMILY_BIT(i);
	return f;
}

/* c, about to evaluate another field of a rule (see resolve_ref()). */
/* The word a rule starts with, for hints. */
static const char *rule_keyword(const struct ast_rule *r)
{
	if (r->nat)
		return r->nat == AST_NAT_DNAT ? "dnat" : "snat";
	return r->verdict == AST_PASS ? "pass" : "drop";
}

struct check_ctx *new_field(struct check_ctx *c)
{
	c->field++;
	return c;
}

static void check_rule(struct check_ctx *c, struct ast_rule *r)
{
	struct ir_rule *ir = arena_alloc(c->a, sizeof(*ir));
	struct proto_acc protos = { 0 };
	struct addr_acc src = { 0 }, dst = { 0 };
	struct port_acc sport = { 0 }, dport = { 0 };
	struct icmp_acc icmp = { 0 };

	c->rule_errors = 0;
	r->ir = ir;
	ir->verdict = r->verdict == AST_PASS ? POLC_VERDICT_PASS
					     : POLC_VERDICT_DROP;
	ir->loc = r->loc;
	ir->label = r->label;

	if (r->proto)
		eval_protos(new_field(c), r->proto, &protos);
	else
		protos.set[IR_V4].any = protos.set[IR_V6].any = true;
	unsigned proto_families = 0;
	for (int f = 0; f < IR_NFAMILIES; f++)
		if (!ir_byteset_empty(&protos.set[f]))
			proto_families |= IR_FAMILY_BIT(f);

	if (r->from.addr)
		eval_addrs(new_field(c), r->from.addr, &src);
	else
		src.any = true;
	if (r->to.addr)
		eval_addrs(new_field(c), r->to.addr, &dst);
	else
		dst.any = true;
	if (c->rule_errors == 0) {
		check_addr_families(c, &src, proto_families, r);
		check_addr_families(c, &dst, proto_families, r);
	}

	/* ports need a protocol that has them */
	bool ports = r->from.port || r->to.port;
	if (ports) {
		struct polc_loc at = r->from.port ? r->from.port_loc : r->to.port_loc;
		if (!r->proto) {
			struct polc_diag *d = cerror(c, at, "a port match needs a protocol");
			polc_diag_hint(c->d, d, "write 'tcp', 'udp' or '{ tcp, udp }' after '%s'",
				       rule_keyword(r));
		} else if (c->rule_errors == 0 &&
			   !protos_within(&protos, PROTO_TCP, PROTO_UDP)) {
			struct polc_diag *d = cerror(c, at, "ports apply only to tcp and udp");
			polc_diag_related(c->d, d, r->proto->loc,
					  "the rule's protocols include others");
		}
		if (r->from.port)
			eval_ports(new_field(c), r->from.port, &sport);
		if (r->to.port)
			eval_ports(new_field(c), r->to.port, &dport);
	}

	bool icmp_match = r->icmp_type || r->icmp_code;
	if (icmp_match) {
		struct polc_loc at = r->icmp_type ? r->icmp_type_loc : r->icmp_code_loc;
		if (!r->proto) {
			struct polc_diag *d = cerror(c, at, "an ICMP type or code needs the protocol");
			polc_diag_hint(c->d, d, "write 'icmp' or 'icmpv6' after '%s'",
				       rule_keyword(r));
		} else if (c->rule_errors == 0 &&
			   !protos_within(&protos, PROTO_ICMP, PROTO_ICMPV6)) {
			struct polc_diag *d = cerror(c, at, "ICMP types and codes apply only to icmp and icmpv6");
			polc_diag_related(c->d, d, r->proto->loc,
					  "the rule's protocols include others");
		}
		if (c->rule_errors == 0 && r->icmp_type)
			eval_icmp_types(new_field(c), r->icmp_type, &protos, &icmp);
		else
			icmp.type[IR_V4].any = icmp.type[IR_V6].any = true;
		if (r->icmp_code)
			eval_icmp_codes(new_field(c), r->icmp_code, &icmp);
		else
			icmp.code.any = true;
	} else {
		icmp.type[IR_V4].any = icmp.type[IR_V6].any = true;
		icmp.code.any = true;
	}

	/* which families can the rule match at all? */
	unsigned fam_src = addr_families(&src), fam_dst = addr_families(&dst);
	unsigned families = proto_families & fam_src & fam_dst;
	for (int f = 0; f < IR_NFAMILIES; f++)
		if (ir_byteset_empty(&icmp.type[f]))
			families &= ~IR_FAMILY_BIT(f);
	if (families == 0 && c->rule_errors == 0) {
		if (!(fam_src & fam_dst)) {
			struct polc_diag *d = cerror(c, r->to.loc,
						     "the rule can never match: its source is %s only and its destination %s only",
						     family_names[fam_src == IR_FAMILY_BIT(IR_V6)],
						     family_names[fam_dst == IR_FAMILY_BIT(IR_V6)]);
			polc_diag_related(c->d, d, r->from.loc, "source given here");
		} else if (r->icmp_type && families_of(icmp.type) &&
			   !(fam_src & fam_dst & families_of(icmp.type))) {
			/* the addresses keep one family, the types the other */
			unsigned addr = fam_src & fam_dst;
			struct polc_diag *d = cerror(c, r->icmp_type_loc,
						     "the rule can never match: its addresses are %s only and its ICMP types exist only for %s",
						     family_names[addr == IR_FAMILY_BIT(IR_V6)],
						     addr == IR_FAMILY_BIT(IR_V6) ? "ICMP (IPv4)" : "ICMPv6");
			bool by_src = fam_src != IR_FAMILIES_ALL;
			polc_diag_related(c->d, d, by_src ? r->from.loc : r->to.loc,
					  "%s given here",
					  by_src ? "source" : "destination");
		} else {
			cerror(c, r->loc, "the rule can never match: no address family is left");
		}
	}

	ir->families = (uint8_t)families;
	for (int f = 0; f < IR_NFAMILIES; f++) {
		ir->proto[f] = protos.set[f];
		ir->icmp_type[f] = icmp.type[f];
	}
	ir->icmp_code = icmp.code;
	copy_addrs(c, &src, &ir->src);
	copy_addrs(c, &dst, &ir->dst);
	copy_ports(c, &sport, r->from.port != NULL, &ir->sport);
	copy_ports(c, &dport, r->to.port != NULL, &ir->dport);
	ir->needs_l4 = ports || icmp_match;
}

/* ---- sets --------------------------------------------------------------- */

#define SET_MAX_SIZE (16u << 20)

static const char *const set_types[] = { "ipv4", "ipv6", "ip", "port" };

/* The type words: families and kind, or false after reporting. */
static bool set_type(struct check_ctx *c, const struct ast_set *s, struct ir_set *ir)
{
	if (!s->type)
		return false;
	if (strcmp(s->type, "port") == 0) {
		ir->kind = IR_SET_PORT;
	} else if (strcmp(s->type, "ipv4") == 0 || strcmp(s->type, "ipv6") == 0 ||
		   strcmp(s->type, "ip") == 0) {
		ir->kind = IR_SET_ADDR;
		ir->families = s->type[2] == '\0' ? IR_FAMILIES_ALL
			       : s->type[3] == '4' ? IR_FAMILY_BIT(IR_V4)
						   : IR_FAMILY_BIT(IR_V6);
	} else {
		struct polc_diag *d = cerror(c, s->type_loc, "unknown set type '%s'", s->type);
		const char *sug = polc_suggest(s->type, set_types, ARRAY_SIZE(set_types));
		polc_diag_hint(c->d, d, sug ? "did you mean '%s'?" : "%s", sug ? sug :
			       "a set holds 'ipv4', 'ipv6' or 'ip' (both) addresses and prefixes, or 'port's");
		return false;
	}
	if (s->type2 && (ir->kind == IR_SET_PORT || strcmp(s->type2, "prefix") != 0)) {
		struct polc_diag *d = cerror(c, s->type2_loc, "unexpected '%s' after the set type",
					     s->type2);
		if (ir->kind == IR_SET_ADDR)
			polc_diag_hint(c->d, d, "'%s prefix' is the only two-word type", s->type);
		return false;
	}
	return true;
}

/* Exact duplicates go; nothing else is merged: the elements are what
 * polctl set add/del work on. */
static void unique_prefixes(struct ir_set *s)
{
	if (s->n_prefixes < 2)
		return;
	qsort(s->prefixes, s->n_prefixes, sizeof(*s->prefixes), ir_prefix_cmp);
	size_t kept = 1;
	for (size_t i = 1; i < s->n_prefixes; i++)
		if (ir_prefix_cmp(&s->prefixes[i], &s->prefixes[kept - 1]) != 0)
			s->prefixes[kept++] = s->prefixes[i];
	s->n_prefixes = kept;
}

static void check_set(struct check_ctx *c, struct ast_set *s)
{
	struct ir_set *ir = arena_alloc(c->a, sizeof(*ir));

	ir->name = s->name;
	ir->loc = s->loc;
	char *cname = arena_printf(c->a, "set_%s", s->name);
	for (char *p = cname; *p; p++)
		if (*p == '-')
			*p = '_';
	ir->cname = cname;
	if (!set_type(c, s, ir)) {
		s->bad = true;
		return;
	}

	unsigned before = c->d->n_errors;
	if (s->elements) {
		if (ir->kind == IR_SET_ADDR) {
			struct addr_acc acc = { .in_set = true };
			eval_addrs(c, s->elements, &acc);
			for (size_t i = 0; i < acc.v.n; i++) {
				unsigned f = acc.v.v[i].family;
				if (ir->families & IR_FAMILY_BIT(f))
					continue;
				struct polc_diag *d = cerror(c, acc.locs.v[i],
							     "%s address in set '%s', which holds %s addresses",
							     family_names[f], s->name, family_names[!f]);
				polc_diag_related(c->d, d, s->type_loc, "the set's type");
			}
			ir->n_prefixes = acc.v.n;
			ir->prefixes = acc.v.v;
		} else {
			struct port_acc acc = { .in_set = true };
			eval_ports(c, s->elements, &acc);
			ir->n_ranges = acc.v.n;
			ir->ranges = acc.v.v;
		}
	} else if (s->file) {
		polc_setfile_read(c->u, ir, s->file, s->file_loc);
	}
	unique_prefixes(ir);

	size_t count = ir->kind == IR_SET_ADDR ? ir->n_prefixes : ir->n_ranges;
	if (s->size) {
		if (s->size < count) {
			cerror(c, s->size_loc, "set '%s' has %zu elements, more than its size %llu",
			       s->name, count, (unsigned long long)s->size);
		} else if (s->size > SET_MAX_SIZE) {
			cerror(c, s->size_loc, "size %llu is too large (at most %u elements)",
			       (unsigned long long)s->size, SET_MAX_SIZE);
		}
		ir->size = (uint32_t)(s->size < SET_MAX_SIZE ? s->size : SET_MAX_SIZE);
	} else {
		/* room to grow: twice the elements, at least 256 more */
		size_t size = count * 2 > count + 256 ? count * 2 : count + 256;
		ir->size = (uint32_t)(size < SET_MAX_SIZE ? size : SET_MAX_SIZE);
	}
	if (c->d->n_errors != before)
		s->bad = true;
	s->ir = ir;
}

static void check_sets(struct check_ctx *c)
{
	struct ast_file *f = &c->u->ast;

	for (size_t i = 0; i < f->sets.n && !polc_diags_full(c->d); i++) {
		struct ast_set *s = f->sets.v[i];
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++) {
			if (strcmp(f->sets.v[j]->name, s->name) != 0)
				continue;
			struct polc_diag *d = cerror(c, s->loc, "set '%s' is already defined", s->name);
			polc_diag_related(c->d, d, f->sets.v[j]->loc, "first defined here");
			dup = true;
		}
		if (dup || s->bad) {
			s->used = true; /* said enough about it */
			continue;
		}
		check_set(c, s);
	}
}

/* ---- policies ----------------------------------------------------------- */

/* Do a and the first n bytes of b make the same C identifier ('-' is '_')? */
static bool same_c_name(const char *a, const char *b, size_t n)
{
	if (strlen(a) != n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (a[k] != b[k] &&
		    !((a[k] == '-' || a[k] == '_') && (b[k] == '-' || b[k] == '_')))
			return false;
	return true;
}

/*
 * Besides its program "pol_<name>", codegen.c names a policy's maps and
 * classify function "pol_<name>_rules", "_reasons" and "_classify": the
 * suffix by which policy `name` would take one of those names of policy
 * `owner`, or NULL.
 */
static const char *generated_name_clash(const char *owner, const char *name)
{
	static const char *const suffixes[] = { "_rules", "_reasons", "_classify", "_vnew", "_vest",
						"_vrel", "_vinv", "_vunt" };
	size_t lo = strlen(owner), ln = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t ls = strlen(suffixes[i]);
		if (ln == lo + ls && same_c_name(owner, name, lo) &&
		    same_c_name(suffixes[i], name + lo, ls))
			return suffixes[i];
	}
	return NULL;
}

static void check_policy(struct check_ctx *c, struct ast_policy *p, size_t index)
{
	struct ast_file *f = &c->u->ast;

	for (size_t j = 0; j < index; j++) {
		if (strcmp(f->policies.v[j]->name, p->name) == 0) {
			struct polc_diag *d = cerror(c, p->name_loc,
						     "policy '%s' is already defined",
						     p->name);
			polc_diag_related(c->d, d, f->policies.v[j]->name_loc,
					  "first defined here");
			break;
		}
		/* names become C identifiers: '-' and '_' are the same there */
		const char *a = f->policies.v[j]->name, *b = p->name;
		size_t la = strlen(a);
		bool same = la == strlen(b);
		for (size_t k = 0; same && k < la; k++)
			same = a[k] == b[k] ||
			       ((a[k] == '-' || a[k] == '_') &&
				(b[k] == '-' || b[k] == '_'));
		if (same) {
			struct polc_diag *d = cerror(c, p->name_loc,
						     "policy '%s' cannot be told apart from '%s'",
						     b, a);
			polc_diag_related(c->d, d, f->policies.v[j]->name_loc,
					  "'%s' is defined here", a);
			polc_diag_hint(c->d, d, "'-' and '_' name the same program; rename one");
			break;
		}
	}
	for (size_t j = 0; j < index; j++) {
		const struct ast_policy *q = f->policies.v[j];
		const char *owner = q->name, *longer = p->name;
		const char *sfx = generated_name_clash(owner, longer);
		if (!sfx) {
			owner = p->name;
			longer = q->name;
			sfx = generated_name_clash(owner, longer);
		}
		if (!sfx)
			continue;
		char *cname = arena_printf(c->a, "pol_%s", longer);
		for (char *ch = cname; *ch; ch++)
			if (*ch == '-')
				*ch = '_';
		struct polc_diag *d = cerror(c, p->name_loc,
					     "policies '%s' and '%s' both need the C name '%s'",
					     q->name, p->name, cname);
		polc_diag_related(c->d, d, q->name_loc, "'%s' is defined here", q->name);
		polc_diag_hint(c->d, d, "the program of policy '%s' is '%s'; '%s' also names the %s of policy '%s'; rename one",
			       longer, cname, cname,
			       strcmp(sfx, "_classify") == 0 ? "classify function" :
			       sfx[1] == 'v'		      ? "rules of a connection state" :
							"counter map",
			       owner);
		break;
	}

	/* a skipped statement may have been the attach or the default */
	if (p->hook == AST_HOOK_NONE && !p->syntax_errors) {
		struct polc_diag *d = cerror(c, p->name_loc,
					     "policy '%s' does not say where it attaches",
					     p->name);
		polc_diag_hint(c->d, d, "add 'attach xdp', 'attach tc ingress' or 'attach tc egress'");
	}
	if (!p->has_default && !p->syntax_errors) {
		struct polc_diag *d = cerror(c, p->name_loc, "policy '%s' has no default",
					     p->name);
		polc_diag_hint(c->d, d, "every policy states its default: add 'default drop' or 'default pass'");
	}
	if (p->track && p->track_size &&
	    (p->track_size < IR_CT_SIZE_MIN || p->track_size > IR_CT_SIZE_MAX)) {
		struct polc_diag *d = cerror(c, p->track_size_loc,
					     "a conntrack table of %llu entries: the size is from %u to %u (two entries a flow)",
					     (unsigned long long)p->track_size, IR_CT_SIZE_MIN,
					     IR_CT_SIZE_MAX);
		polc_diag_hint(c->d, d, "leave 'size' out for %u entries", IR_CT_SIZE_DEFAULT);
	}
	if (p->rules.n == 0 && !p->syntax_errors)
		polc_warning(c->d, POLC_W_EMPTY, p->name_loc,
			     "policy '%s' has no rules: every packet gets the default",
			     p->name);

	for (size_t i = 0; i < p->rules.n && !polc_diags_full(c->d); i++) {
		struct ast_rule *r = p->rules.v[i];
		check_rule(c, r);
		check_nat_rule(c, p, r);
		if (!r->label)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (p->rules.v[j]->label &&
			    strcmp(p->rules.v[j]->label, r->label) == 0) {
				struct polc_diag *d = cerror(c, r->label_loc,
							     "label '%s' is already used in policy '%s'",
							     r->label, p->name);
				polc_diag_related(c->d, d, p->rules.v[j]->label_loc,
						  "first used here");
				break;
			}
		}
	}
	check_nat_policy(c, p);
}

int polc_check(struct polc_unit *u)
{
	struct check_ctx c = { .u = u, .d = &u->diags, .a = u->arena };
	struct ast_file *f = &u->ast;

	check_consts(&c);
	check_sets(&c);
	if (f->policies.n == 0) {
		struct polc_loc at = { .src = u->src };
		struct polc_diag *d = polc_error(c.d, at, "no policy in this file");
		polc_diag_hint(c.d, d, "a file holds one or more 'policy NAME { ... }' blocks");
	}
	for (size_t i = 0; i < f->policies.n && !polc_diags_full(c.d); i++)
		check_policy(&c, f->policies.v[i], i);

	for (size_t i = 0; i < f->consts.n; i++) {
		struct ast_const *k = f->consts.v[i];
		/* one with errors has been talked about enough */
		if (!k->used && !k->bad)
			polc_warning(c.d, POLC_W_UNUSED, k->loc,
				     "constant '%s' is never used", k->name);
	}
	for (size_t i = 0; i < f->sets.n; i++) {
		struct ast_set *s = f->sets.v[i];
		if (!s->used && !s->bad)
			polc_warning(c.d, POLC_W_UNUSED, s->loc, "set '%s' is never used", s->name);
	}
	return u->diags.n_errors ? POLC_EPOLICY : 0;
}
