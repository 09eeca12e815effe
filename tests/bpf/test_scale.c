// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_scale.c: the classifier plan is exact at scale.
 *
 * Random policies of 10, 100, 1000, 5000 and 20000 rules (a fixed seed per
 * size) mix IPv4 and IPv6 prefixes of every length, nested and in lists and
 * constants holding both families; protocols alone and in lists; ports and
 * port ranges on either side; ICMP and ICMPv6 types and codes; named sets
 * of addresses (each family and both) and of ports, alone and mixed with
 * literals in one list; catch-all rules, and a bare verdict in the middle
 * of some policies (every rule after it is dead).  Each is compiled with the
 * classifier plan (and the small ones with the linear plan too), loaded with
 * polrt_load() and run over thousands of frames: most are built to fall
 * inside one random rule (a value inside each of its fields, now and then
 * one just outside), the rest are random, with later fragments, IPv6
 * extension headers, VLAN tags and protocols no rule names.
 *
 * The expected decision of each frame is the reference: the first rule r
 * in order with ir_rule_matches(r, frame fields) — the fields the BPF
 * parser extracts — or the default.  The program must return that verdict
 * and move that rule's (or the default's) counter by one packet; at the end
 * every counter of the policy must equal the sum of its expected decisions.
 * A mismatch prints the size, the seed, the frame and both decisions, and
 * writes the policy to scale-fail-SIZE-SEED-PLAN.pol in the working directory.
 *
 *	bpf_test_scale                 the test
 *	bpf_test_scale --dump SIZE [N] print the policy of that size (the Nth
 *	                               seed of it, from 0; no root needed)
 *	bpf_test_scale --explore SIZE COUNT [SEED [--dump]]
 *	                               COUNT more policies of SIZE rules of every
 *	                               kind, seeds from SEED, 2000 frames each
 *	                               (--dump with COUNT 1: print the policy)
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bpf_harness.h"
#include "ir.h"
#include "polc.h"

#define PORT_POOL_MAX 400

struct scale_case {
	unsigned n_rules;
	uint64_t seed;
	unsigned frames;   /* per plan */
	int bare_at;       /* a bare verdict at this rule (1-based), 0: none */
	unsigned ports;    /* port values and ranges to draw from (0: a few dozen) */
	bool mixed;        /* every rule of every kind (no bulk): small n only */
	bool port_heavy;   /* mostly rules of protocols and ports */
};

static const struct scale_case cases[] = {
	{ 10, 0x5eed000000000010ull, 5000, 0, 0, false, false },
	{ 10, 0x5eed000000000011ull, 5000, 0, 0, false, false },
	{ 10, 0x5eed000000000012ull, 5000, 0, 0, false, false },
	{ 10, 0x5eed000000000013ull, 5000, 0, 0, false, false },
	{ 100, 0x5eed000000000100ull, 8000, 71, 0, false, false },
	{ 100, 0x5eed000000000101ull, 8000, 0, 0, false, false },
	{ 100, 0x5eed000000000102ull, 8000, 0, 0, false, false },
	{ 300, 0x5eed000000000300ull, 10000, 0, 0, false, false },
	{ 1000, 0x5eed000000001000ull, 15000, 0, 0, false, false },
	/* every kind of rule throughout, and many distinct ports: the product
	 * of the port classes is too large to compose */
	{ 600, 0x5eed000000000600ull, 10000, 0, PORT_POOL_MAX, true, true },
	{ 5000, 0x5eed000000005000ull, 15000, 4951, 0, false, false },
	{ 20000, 0x5eed000000020000ull, 15000, 0, 0, false, false },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Sizes up to this are also compiled with the linear plan. */
#define LINEAR_MAX_RULES 300

/* ---- random numbers -------------------------------------------------------- */

static uint64_t rng;

static void seed_rng(uint64_t s)
{
	rng = s ? s : 1;
}

static uint32_t rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static uint32_t rnd(uint32_t n)
{
	return n ? rnd32() % n : 0;
}

static bool chance(unsigned percent)
{
	return rnd(100) < percent;
}

/* ---- text ------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
		if (b->len == 0)
			b->s[0] = '\0';
	}
}

/* ---- prefixes --------------------------------------------------------------- */

struct pfx {
	int v6;
	unsigned len;
	uint32_t w[4];
};

static uint32_t word_mask(unsigned len, unsigned word)
{
	unsigned start = word * 32;

	if (len <= start)
		return 0;
	if (len >= start + 32)
		return ~0u;
	return ~0u << (32 - (len - start));
}

static void pfx_clear_host(struct pfx *p)
{
	for (unsigned i = 0; i < 4; i++)
		p->w[i] &= word_mask(p->len, i);
	if (!p->v6)
		p->w[1] = p->w[2] = p->w[3] = 0;
}

static void words_text(int v6, const uint32_t w[4], char *out, size_t size)
{
	uint8_t b[16];

	for (int i = 0; i < 4; i++) {
		b[4 * i] = (uint8_t)(w[i] >> 24);
		b[4 * i + 1] = (uint8_t)(w[i] >> 16);
		b[4 * i + 2] = (uint8_t)(w[i] >> 8);
		b[4 * i + 3] = (uint8_t)w[i];
	}
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, b, out, (socklen_t)size))
		abort();
}

static void pfx_text(const struct pfx *p, char *out, size_t size)
{
	char a[64];

	words_text(p->v6, p->w, a, sizeof(a));
	if (p->len == (p->v6 ? 128u : 32u) && chance(50))
		snprintf(out, size, "%s", a);
	else
		snprintf(out, size, "%s/%u", a, p->len);
}

/* A prefix inside `in`, of a length in [in->len, max]. */
static struct pfx pfx_inside(const struct pfx *in, unsigned len)
{
	struct pfx p = *in;

	for (int i = 0; i < (p.v6 ? 4 : 1); i++)
		p.w[i] = (in->w[i] & word_mask(in->len, i)) | (rnd32() & ~word_mask(in->len, i));
	p.len = len;
	pfx_clear_host(&p);
	return p;
}

/* ---- the generator ---------------------------------------------------------- */

enum fam { F4 = 1, F6 = 2, FB = 3 };

struct gen {
	unsigned n_rules;
	/* prefix pools: sources (large), destinations (small) */
	struct pfx *src4, *src6, *dst4, *dst6;
	unsigned n_src4, n_src6, n_dst4, n_dst6;
	unsigned used; /* bits of the sets and constants used */
	unsigned set_pct, port_set_pct; /* how often a part names a set */
	unsigned from_pct, to_pct, both_pct; /* addresses: source, destination, both */
	/* of n_rules: about how many simple rules are of a protocol and its
	 * ports or ICMP types, and pair a protocol and a source */
	bool simple; /* making a rule of the bulk */
	bool port_heavy;
	unsigned n_bulk; /* rules in the bulk */
	struct buf rules;
};

enum {
	U_S4 = 1 << 0,   /* set s4 : ipv4 prefix */
	U_S6 = 1 << 1,   /* set s6 : ipv6 */
	U_SIP = 1 << 2,  /* set sip : ip */
	U_PWEB = 1 << 3, /* set pweb : port */
	U_PHI = 1 << 4,  /* set phi : port */
	U_COFF = 1 << 5, /* const office: both families */
	U_CWEB = 1 << 6, /* const web: ports */
	U_CNET4 = 1 << 7, /* const net4: IPv4 list */
};

static const unsigned v4_lengths[] = { 8, 9, 12, 15, 16, 17, 20, 22, 23, 24, 24, 24, 25,
				       27, 28, 29, 30, 31, 32, 32, 32 };
static const unsigned v6_lengths[] = { 16, 24, 29, 32, 33, 40, 47, 48, 48, 52, 56, 60, 63,
				       64, 64, 64, 65, 72, 80, 96, 100, 112, 120, 126, 127,
				       128, 128, 128 };

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

/* A pool of n prefixes of a family, nested under a few roots (and some
 * nested under earlier members); short_pct of them of any length, the
 * rest long (/20 or more, IPv6 /56 or more): short ones shadow much. */
static struct pfx *make_pool(int v6, unsigned n, unsigned n_roots, unsigned short_pct)
{
	struct pfx *roots = calloc(n_roots, sizeof(*roots));
	struct pfx *pool = calloc(n, sizeof(*pool));

	for (unsigned i = 0; i < n_roots; i++) {
		struct pfx r = { .v6 = v6 };
		if (v6) {
			static const uint32_t tops[] = { 0x20010db8, 0xfd000000, 0x2a000000,
							 0x26000000, 0xfe800000 };
			r.w[0] = PICK(tops) | (rnd32() & 0x00ff0000u) * (i % 2);
			r.w[1] = rnd32();
			r.len = 16 + rnd(33); /* /16../48 */
		} else {
			r.w[0] = rnd32();
			r.len = 6 + rnd(11); /* /6../16 */
		}
		pfx_clear_host(&r);
		roots[i] = r;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct pfx *in = i > 8 && chance(25) ? &pool[rnd(i)] : &roots[rnd(n_roots)];
		unsigned len = v6 ? PICK(v6_lengths) : PICK(v4_lengths);
		if (!chance(short_pct))
			while (len < (v6 ? 56u : 20u))
				len = v6 ? PICK(v6_lengths) : PICK(v4_lengths);
		if (len < in->len)
			len = in->len + rnd((v6 ? 128 : 32) - in->len + 1);
		pool[i] = pfx_inside(in, len);
	}
	free(roots);
	return pool;
}

static void put_pfx(struct buf *b, const struct pfx *p)
{
	char t[80];

	pfx_text(p, t, sizeof(t));
	bprintf(b, "%s", t);
}

/* One address of a family from a pool, as text. */
static void put_pool(struct buf *b, const struct pfx *pool, unsigned n)
{
	put_pfx(b, &pool[rnd(n)]);
}

static void put_list(struct buf *b, const struct pfx *pool, unsigned n_pool)
{
	bprintf(b, "{ ");
	for (unsigned i = 0, n = 2 + rnd(3); i < n; i++) {
		put_pool(b, pool, n_pool);
		bprintf(b, i + 1 < n ? ", " : " }");
	}
}

/*
 * An address part for a side of a rule of family fam (F4, F6, or FB: the
 * part holds both families).  Sources come from the large pools, with the
 * sets s4, s6 and sip; destinations from the small pools, with sip only
 * (fewer (set, side) pairs keep the classifier's set mask small).
 */
static void put_addrs(struct gen *g, struct buf *b, enum fam fam, bool dst)
{
	const struct pfx *p4 = dst ? g->dst4 : g->src4, *p6 = dst ? g->dst6 : g->src6;
	unsigned n4 = dst ? g->n_dst4 : g->n_src4, n6 = dst ? g->n_dst6 : g->n_src6;
	unsigned k = rnd(100);
	bool set = g->simple ? rnd(g->n_bulk) < 2 : chance(g->set_pct);

	if (fam == F4) {
		if (set && !dst && k < 50) {
			bprintf(b, "@s4");
			g->used |= U_S4;
		} else if (set && !dst && k < 80) {
			bprintf(b, "{ @s4, ");
			put_pool(b, p4, n4);
			bprintf(b, " }");
			g->used |= U_S4;
		} else if (set) {
			bprintf(b, dst ? "{ @sip, " : "{ "); /* sip: both families; the rule keeps IPv4 */
			put_pool(b, p4, n4);
			bprintf(b, dst ? " }" : ", @sip }");
			g->used |= U_SIP;
		} else if (k < 75) {
			put_pool(b, p4, n4);
		} else if (k < 92) {
			put_list(b, p4, n4);
		} else {
			bprintf(b, "$net4");
			g->used |= U_CNET4;
		}
	} else if (fam == F6) {
		if (set && !dst && k < 50) {
			bprintf(b, "@s6");
			g->used |= U_S6;
		} else if (set && !dst && k < 80) {
			bprintf(b, "{ ");
			put_pool(b, p6, n6);
			bprintf(b, ", @s6 }");
			g->used |= U_S6;
		} else if (set) {
			bprintf(b, "@sip");
			g->used |= U_SIP;
		} else if (k < 78) {
			put_pool(b, p6, n6);
		} else {
			put_list(b, p6, n6);
		}
	} else {
		if (set && (dst || k < 30)) {
			bprintf(b, "@sip");
			g->used |= U_SIP;
		} else if (set && k < 55) {
			bprintf(b, "{ @s4, @s6 }");
			g->used |= U_S4 | U_S6;
		} else if (set && k < 80) {
			bprintf(b, "{ @s4, ");
			put_pool(b, p6, n6);
			bprintf(b, " }");
			g->used |= U_S4;
		} else if (set) {
			bprintf(b, "{ ");
			put_pool(b, p4, n4);
			bprintf(b, ", @s6, @sip }");
			g->used |= U_S6 | U_SIP;
		} else if (k < 85) {
			bprintf(b, "{ ");
			put_pool(b, p4, n4);
			for (unsigned i = 0, n = rnd(3); i < n; i++) {
				bprintf(b, ", ");
				if (chance(50))
					put_pool(b, p4, n4);
				else
					put_pool(b, p6, n6);
			}
			bprintf(b, ", ");
			put_pool(b, p6, n6);
			bprintf(b, " }");
		} else {
			bprintf(b, "$office");
			g->used |= U_COFF;
		}
	}
}

static const uint16_t well_known[] = { 0, 1, 7, 22, 25, 53, 80, 123, 443, 1023, 1024,
				       3000, 5353, 8000, 8080, 8443, 40000, 65535 };

/* The port values and ranges of a policy: a pool, so that the rules
 * share their port boundaries as real ones do (every distinct boundary
 * splits the classifier's port classes). */

struct port_elem {
	uint16_t lo, hi;
};

static struct port_elem port_pool[PORT_POOL_MAX];
static unsigned n_port_pool;

static void make_port_pool(unsigned n)
{
	n_port_pool = n < PORT_POOL_MAX ? n : PORT_POOL_MAX;
	for (unsigned i = 0; i < n_port_pool; i++) {
		unsigned k = rnd(100), lo, hi;
		if (k < 40) {
			lo = hi = well_known[i % (sizeof(well_known) / sizeof(well_known[0]))];
		} else if (k < 65) {
			lo = hi = rnd(65536);
		} else {
			lo = chance(30) ? PICK(well_known) : rnd(65536);
			hi = lo + (chance(50) ? rnd(16) : rnd(65536 - lo));
			if (hi > 65535)
				hi = 65535;
		}
		port_pool[i] = (struct port_elem){ (uint16_t)lo, (uint16_t)hi };
	}
}

static void put_port_value(struct buf *b)
{
	const struct port_elem *e = &port_pool[rnd(n_port_pool)];

	if (e->lo == e->hi)
		bprintf(b, "%u", e->lo);
	else
		bprintf(b, "%u-%u", e->lo, e->hi);
}

/* A port part; dst: the destination side (both port sets), else the
 * source side (phi only). */
static void put_ports(struct gen *g, struct buf *b, bool dst)
{
	unsigned k = rnd(100);

	if (chance(g->port_set_pct)) {
		if (dst && k < 30) {
			bprintf(b, "@pweb");
			g->used |= U_PWEB;
		} else if (dst && k < 50) {
			bprintf(b, "{ 22, @pweb }");
			g->used |= U_PWEB;
		} else if (k < 75) {
			bprintf(b, "@phi");
			g->used |= U_PHI;
		} else {
			bprintf(b, "{ @phi, ");
			put_port_value(b);
			bprintf(b, " }");
			g->used |= U_PHI;
		}
	} else if (k < 62) {
		put_port_value(b);
	} else if (k < 90) {
		bprintf(b, "{ ");
		for (unsigned i = 0, n = 2 + rnd(4); i < n; i++) {
			put_port_value(b);
			bprintf(b, i + 1 < n ? ", " : " }");
		}
	} else {
		bprintf(b, "$web");
		g->used |= U_CWEB;
	}
}

/* ICMP type names of both families, and of one. */
static const char *const both_types[] = { "echo-request", "echo-reply", "destination-unreachable",
					  "redirect", "time-exceeded", "parameter-problem",
					  "router-advertisement", "router-solicitation" };
static const char *const v4_types[] = { "source-quench", "timestamp-request", "timestamp-reply" };
static const char *const v6_types[] = { "packet-too-big", "neighbor-solicitation",
					"neighbor-advertisement", "mld-listener-query",
					"mld2-listener-report" };

static void put_type_value(struct buf *b, enum fam fam)
{
	unsigned k = rnd(100);

	if (k < 30)
		bprintf(b, "%u", k < 10 ? rnd(256) : rnd(20) + (fam == F6 ? 128 : 0));
	else if (k < 70 || fam == FB)
		bprintf(b, "%s", PICK(both_types));
	else if (fam == F4)
		bprintf(b, "%s", PICK(v4_types));
	else
		bprintf(b, "%s", PICK(v6_types));
}

static void put_icmp(struct buf *b, enum fam fam)
{
	bool type = chance(70), code = chance(type ? 25 : 60);

	if (type) {
		bprintf(b, " type ");
		if (chance(30)) {
			bprintf(b, "{ ");
			put_type_value(b, fam);
			bprintf(b, ", ");
			put_type_value(b, fam);
			bprintf(b, " }");
		} else {
			put_type_value(b, fam);
		}
	}
	if (code) {
		unsigned k = rnd(100);
		bprintf(b, " code ");
		if (k < 50)
			bprintf(b, "%u", rnd(16));
		else if (k < 75)
			bprintf(b, "%u-%u", rnd(4), 4 + rnd(10));
		else
			bprintf(b, "{ 0, %u, %u-%u }", 1 + rnd(3), 5 + rnd(3), 9 + rnd(100));
	}
}

/*
 * A rule of one part: a source or a destination, or a protocol with a
 * port or ICMP type, or (rarely) a protocol and a source.  bulk: a rule of
 * the long middle section of a large policy, almost always one address
 * part (these are what the classifier takes cheaply: see gen_policy()).
 */
static void gen_simple_rule(struct gen *g, unsigned id, enum fam fam, bool bulk)
{
	struct buf *b = &g->rules;
	unsigned k = rnd(bulk ? 4000 : 100);

	/* in the bulk: a few of each rare kind, whatever its length */
	unsigned n = g->n_bulk ? g->n_bulk : 1;
	g->simple = bulk;
	if (bulk)
		k = rnd(n) < 3 ? 0 : rnd(n) < 3 ? 30 : rnd(100) < 8 ? 99 : 50;
	else if (g->port_heavy)
		k = chance(85) ? 0 : 50;
	if (k < 30) {
		/* protocol and ports or ICMP */
		unsigned j = rnd(100);
		if (g->port_heavy && j < 30) {
			bprintf(b, chance(50) ? " tcp from port " : " { tcp, udp } from port ");
			put_ports(g, b, false);
			bprintf(b, " to port ");
			put_ports(g, b, true);
		} else if (j < 50) {
			bprintf(b, chance(60) ? " tcp to port " : chance(50) ? " udp to port " : " { tcp, udp } to port ");
			put_ports(g, b, true);
		} else if (j < 70) {
			bprintf(b, chance(50) ? " udp from port " : " tcp from port ");
			put_ports(g, b, false);
		} else {
			bprintf(b, fam == F4 ? " icmp" : fam == F6 ? " icmpv6" : " { icmp, icmpv6 }");
			put_icmp(b, fam);
		}
	} else if (k < 40) {
		/* a protocol and a source (blocklists per protocol) */
		bprintf(b, chance(50) ? " udp from " : chance(50) ? " tcp from " : " { gre, esp } from ");
		put_addrs(g, b, fam, false);
	} else if (k < 88) {
		bprintf(b, " from ");
		put_addrs(g, b, fam, false);
	} else {
		bprintf(b, " to ");
		put_addrs(g, b, fam, true);
	}
	g->simple = false;
	bprintf(b, "\t# %u\n", id);
}

/* One rule; fam is the family the rule's parts keep.  complex: any mix of
 * parts, else one part (gen_simple_rule(), bulk or not). */
static void gen_rule(struct gen *g, unsigned id, bool complex, bool bulk)
{
	struct buf *b = &g->rules;
	unsigned k = rnd(100);
	/* the bulk's address rules mostly list both families: a rule of one
	 * family constrains the classifier's protocol field too (the family is
	 * part of it), so it does not cut the classes of the addresses, and
	 * thousands of them multiply the tables (see the report of this test) */
	enum fam fam = bulk ? (k < 15 ? F4 : k < 25 ? F6 : FB) : k < 40 ? F4 : k < 70 ? F6 : FB;
	bool ports = false, icmp = false, noproto = false;

	bprintf(b, "\t%s", chance(50) ? "pass" : "drop");

	/* a catch-all now and then (a few per policy): one field, one prefix */
	if (rnd(g->n_rules > 30 ? g->n_rules : 30) < 3) {
		if (chance(50))
			bprintf(b, " from %s", chance(50) ? "10.0.0.0/8" : "2001:db8::/32");
		else
			bprintf(b, " to %s", chance(50) ? "0.0.0.0/2" : "fd00::/8");
		bprintf(b, "\t# %u: a catch-all of a family's addresses\n", id);
		return;
	}
	if (!complex) {
		gen_simple_rule(g, id, fam, bulk);
		return;
	}

	k = rnd(100);
	if (k < 22) {
		bprintf(b, " tcp");
		ports = true;
	} else if (k < 34) {
		bprintf(b, " udp");
		ports = true;
	} else if (k < 42) {
		bprintf(b, " { tcp, udp }");
		ports = true;
	} else if (k < 56) {
		icmp = true;
		if (fam == F4)
			bprintf(b, " icmp");
		else if (fam == F6)
			bprintf(b, " icmpv6");
		else
			bprintf(b, " { icmp, icmpv6 }");
	} else if (k < 70) {
		noproto = true;
	} else if (k < 74) {
		bprintf(b, " any");
	} else if (k < 80) {
		bprintf(b, chance(50) ? " gre" : " 47");
	} else if (k < 86) {
		bprintf(b, chance(50) ? " { gre, esp }" : " { 50, sctp, 99 }");
	} else if (k < 90) {
		bprintf(b, " sctp");
	} else if (k < 94 && fam == F4) {
		bprintf(b, chance(50) ? " ah" : " { ah, tcp }");
	} else {
		bprintf(b, " %u", 100 + rnd(30));
	}

	bool from = chance(g->from_pct), to = chance(g->to_pct);
	if (from && to && !chance(g->both_pct))
		to = false;
	/* a rule of both families may list one family on a side (or both
	 * sides): the rule then matches that family only */
	enum fam one = chance(50) ? F4 : F6;
	enum fam sfam = fam == FB && chance(20) ? one : fam;
	enum fam dfam = fam == FB && chance(20) ? one : fam;
	bool sport = ports && chance(25), dport = ports && chance(70);
	/* a rule of a protocol alone is rare: it shadows much of what follows */
	if (!from && !to && !sport && !dport && !(icmp && chance(70)) && (noproto || !chance(4)))
		from = true; /* (and never a bare verdict by chance) */
	if (from || sport) {
		bprintf(b, " from");
		if (from) {
			bprintf(b, " ");
			put_addrs(g, b, sfam, false);
		}
		if (sport) {
			bprintf(b, " port ");
			put_ports(g, b, false);
		}
	}
	if (to || dport) {
		bprintf(b, " to");
		if (to) {
			bprintf(b, " ");
			put_addrs(g, b, dfam, true);
		}
		if (dport) {
			bprintf(b, " port ");
			put_ports(g, b, true);
		}
	}
	if (icmp)
		put_icmp(b, fam);
	bprintf(b, "\t# %u\n", id);
}

static void put_set_elems(struct buf *b, const struct pfx *pool, unsigned n, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		put_pfx(b, &pool[rnd(n)]);
		bprintf(b, i + 1 < count ? ", " : "");
		if (i % 8 == 7 && i + 1 < count)
			bprintf(b, "\n\t");
	}
}

/* The policy text of a case (malloc'd). */
static char *gen_policy(const struct scale_case *c)
{
	struct gen g = { .n_rules = c->n_rules, .port_heavy = c->port_heavy, .set_pct = 12, .port_set_pct = 15,
			 .from_pct = 60, .to_pct = 35, .both_pct = 40 };
	struct buf out = { 0 };

	seed_rng(c->seed);
	g.n_src4 = 16 + c->n_rules / 3;
	g.n_src6 = 16 + c->n_rules / 4;
	/* destinations cross with sources in the classifier's tables: few */
	g.n_dst4 = 6 + c->n_rules / 2000;
	g.n_dst6 = 5 + c->n_rules / 2000;
	make_port_pool(c->ports ? c->ports : 20 + c->n_rules / 2000);
	g.src4 = make_pool(0, g.n_src4, 24, 8);
	g.src6 = make_pool(1, g.n_src6, 16, 8);
	g.dst4 = make_pool(0, g.n_dst4, 6, 15);
	g.dst6 = make_pool(1, g.n_dst6, 5, 15);

	/*
	 * Sections, as large policies are written: a head and a tail of every
	 * kind of rule (half of them of many parts), and between them the
	 * bulk: rules of one address each (blocklists), with a rare set, port
	 * or protocol.  The classifier's tables are the product of the classes
	 * a source takes and what rules before its first match make of the
	 * other fields, so what precedes the bulk is kept short: a policy of
	 * 20000 rules of every kind mixed evenly does not fit them (and is
	 * refused with the numbers; see the report of this test).
	 */
	bool mixed = c->mixed || c->n_rules <= 200;
	unsigned n_head = mixed ? c->n_rules : 5;
	unsigned n_tail = mixed ? 0 : 200 + c->n_rules / 400;
	g.n_bulk = c->n_rules - n_head - n_tail;
	for (unsigned i = 1; i <= c->n_rules; i++) {
		bool bulk = i > n_head && i <= c->n_rules - n_tail;
		bool short_head = !mixed && i <= n_head;
		/* no sets in a short head: each would split every source's class */
		g.set_pct = short_head ? 0 : 12;
		g.port_set_pct = short_head ? 0 : 15;
		if ((int)i == c->bare_at)
			bprintf(&g.rules, "\t%s\t# %u: a bare verdict, every rule after it is dead\n",
				chance(50) ? "pass" : "drop", i);
		else
			gen_rule(&g, i, bulk ? rnd(g.n_bulk) < 1 : chance(c->port_heavy ? 10 : 50), bulk);
	}

	unsigned set_n = 6 + c->n_rules / 200;
	if (set_n > 64)
		set_n = 64;
	bprintf(&out, "# generated by test_scale.c: %u rules, seed 0x%llx\n", c->n_rules,
		(unsigned long long)c->seed);
	if (g.used & U_COFF)
		bprintf(&out, "const office = { 198.51.100.0/24, 2001:db8:100::/48, 203.0.113.0/25 }\n");
	if (g.used & U_CWEB)
		bprintf(&out, "const web = { 80, 443, 8000-8080 }\n");
	if (g.used & U_CNET4) {
		bprintf(&out, "const net4 = { ");
		put_set_elems(&out, g.src4, g.n_src4, 4);
		bprintf(&out, " }\n");
	}
	if (g.used & U_S4) {
		bprintf(&out, "set s4 : ipv4 prefix {\n\t");
		put_set_elems(&out, g.src4, g.n_src4, set_n);
		bprintf(&out, "\n}\n");
	}
	if (g.used & U_S6) {
		bprintf(&out, "set s6 : ipv6 size %u {\n\t", set_n * 4);
		put_set_elems(&out, g.src6, g.n_src6, set_n);
		bprintf(&out, "\n}\n");
	}
	if (g.used & U_SIP) {
		bprintf(&out, "set sip : ip {\n\t");
		put_set_elems(&out, g.dst4, g.n_dst4, set_n / 2 + 1);
		bprintf(&out, ",\n\t");
		put_set_elems(&out, g.dst6, g.n_dst6, set_n / 2 + 1);
		bprintf(&out, "\n}\n");
	}
	if (g.used & U_PWEB)
		bprintf(&out, "set pweb : port { 80, 443, 8000-8080 }\n");
	if (g.used & U_PHI) {
		bprintf(&out, "set phi : port { 1024-2047, 5353, 6000-6999, 33434-33534, %u, %u-%u }\n",
			rnd(1024), 50000 + rnd(1000), 52000 + rnd(1000));
	}
	bprintf(&out, "\npolicy scale {\n\tattach xdp\n\tdefault %s\n%s}\n",
		c->n_rules % 2 ? "pass" : "drop", g.rules.s);

	free(g.rules.s);
	free(g.src4);
	free(g.src6);
	free(g.dst4);
	free(g.dst6);
	return out.s;
}

/* ---- frames ------------------------------------------------------------------ */

/* What a frame is built from. */
struct spec {
	int v6;
	uint8_t proto;
	uint32_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t type, code;
	bool later; /* a later fragment */
};

static const uint8_t v6_ext_numbers[] = { 0, 43, 44, 50, 51, 60, 135 };

static bool v6_ext(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(v6_ext_numbers); i++)
		if (v6_ext_numbers[i] == proto && proto != 50)
			return true;
	return false;
}

/* Build the frame of s and the fields the parser extracts from it. */
static void build(const struct spec *s, struct pkt *k, struct ir_packet *f)
{
	char src[64], dst[64];

	words_text(s->v6, s->src, src, sizeof(src));
	words_text(s->v6, s->dst, dst, sizeof(dst));
	pkt_init(k);
	pkt_eth(k);
	for (uint32_t n = rnd(6) == 0 ? 1 + rnd(2) : 0; n; n--)
		pkt_vlan(k, rnd(2) ? PKT_ETH_P_8021Q : PKT_ETH_P_8021AD, (uint16_t)rnd(4096));
	if (s->v6) {
		pkt_ipv6(k, &(struct pkt_ip){ .src = src, .dst = dst });
		static const uint8_t ext[] = { PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_DSTOPTS,
					       PKT_IPPROTO_ROUTING, PKT_IPPROTO_AH };
		for (uint32_t n = rnd(4) == 0 ? 1 + rnd(3) : 0; n; n--)
			pkt_ipv6_ext(k, PICK(ext), 8 * (2 + rnd(3)));
		if (s->later || rnd(12) == 0)
			pkt_ipv6_frag(k, s->later ? (uint16_t)(1 + rnd(1000)) : 0, rnd(2), rnd(1000));
	} else {
		pkt_ipv4(k, &(struct pkt_ip){
			.src = src, .dst = dst, .proto = s->proto,
			.options_len = (uint8_t)(rnd(5) == 0 ? 4 * (1 + rnd(10)) : 0),
			.frag_offset = s->later ? (uint16_t)(1 + rnd(1000)) : 0,
			.mf = s->later ? rnd(2) : rnd(12) == 0, .df = rnd(2) });
	}
	switch (s->proto) {
	case PKT_IPPROTO_TCP:
		pkt_tcp(k, &(struct pkt_tcp){ .sport = s->sport, .dport = s->dport,
					      .flags = (uint8_t)rnd(64),
					      .options_len = (uint8_t)(4 * rnd(3)) });
		break;
	case PKT_IPPROTO_UDP:
		pkt_udp(k, s->sport, s->dport);
		break;
	case PKT_IPPROTO_ICMP:
		pkt_icmp(k, s->type, s->code, 1, 1);
		break;
	case PKT_IPPROTO_ICMPV6:
		pkt_icmpv6(k, s->type, s->code, 1, 1);
		break;
	default:
		break;
	}
	pkt_payload(k, 1 + rnd(24));
	pkt_finish(k);
	if (s->v6) /* the last header before the payload or L4 header */
		for (unsigned i = k->n_layers; i-- > 0;)
			if (k->layer[i].kind == PKT_L_IPV6 || k->layer[i].kind == PKT_L_IPV6_EXT ||
			    k->layer[i].kind == PKT_L_IPV6_FRAG) {
				k->data[k->layer[i].off + (k->layer[i].kind == PKT_L_IPV6 ? 6 : 0)] =
					s->proto;
				break;
			}
	if (rnd(5) == 0)
		pkt_pad(k, k->len + rnd(30));

	/* what polc_parse.h extracts */
	memset(f, 0, sizeof(*f));
	f->family = s->v6 ? IR_V6 : IR_V4;
	f->proto = s->proto;
	memcpy(f->src, s->src, sizeof(f->src));
	memcpy(f->dst, s->dst, sizeof(f->dst));
	if (s->later)
		return;
	switch (s->proto) {
	case PKT_IPPROTO_TCP:
	case PKT_IPPROTO_UDP:
		f->has_l4 = true;
		f->sport = s->sport;
		f->dport = s->dport;
		break;
	case PKT_IPPROTO_ICMP:
	case PKT_IPPROTO_ICMPV6:
		f->has_l4 = true;
		f->icmp_type = s->type;
		f->icmp_code = s->code;
		break;
	}
}

/* An address inside p (edges now and then), or just outside it. */
static void addr_in(const struct ir_prefix *p, uint32_t out[4], bool outside)
{
	unsigned words = p->family == IR_V6 ? 4 : 1;
	unsigned k = rnd(8);

	memset(out, 0, 4 * sizeof(*out));
	for (unsigned i = 0; i < words; i++) {
		uint32_t host = ~word_mask(p->len, i);
		uint32_t bits = k == 0 ? 0 : k == 1 ? ~0u : rnd32();
		out[i] = p->w[i] | (bits & host);
	}
	if (!outside || p->len == 0)
		return;
	/* one past either end: the first address minus one or the last plus one */
	bool up = rnd(2);
	for (unsigned i = 0; i < words; i++)
		out[i] = p->w[i] | (up ? ~word_mask(p->len, i) : 0);
	for (int i = (int)words - 1; i >= 0; i--) {
		if (up) {
			if (++out[i] != 0)
				break;
		} else {
			if (out[i]-- != 0)
				break;
		}
	}
}

static void addr_random(int v6, uint32_t out[4])
{
	memset(out, 0, 4 * sizeof(*out));
	for (int i = 0; i < (v6 ? 4 : 1); i++)
		out[i] = rnd32();
	if (v6 && rnd(2)) /* near the documentation and ULA ranges */
		out[0] = rnd(2) ? 0x20010db8 : 0xfd000000 | (out[0] & 0xffff);
}

/* A prefix of a family from an address part: literal or set element. */
static const struct ir_prefix *addr_pick(const struct ir_addrset *a, enum ir_family f)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].family == f;
	for (size_t s = 0; s < a->n_sets; s++)
		for (size_t i = 0; i < a->sets[s]->n_prefixes; i++)
			n += a->sets[s]->prefixes[i].family == f;
	if (n == 0)
		return NULL;
	size_t want = rnd((uint32_t)n);
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].family == f && want-- == 0)
			return &a->v[i];
	for (size_t s = 0; s < a->n_sets; s++)
		for (size_t i = 0; i < a->sets[s]->n_prefixes; i++)
			if (a->sets[s]->prefixes[i].family == f && want-- == 0)
				return &a->sets[s]->prefixes[i];
	return NULL;
}

static bool addr_has(const struct ir_addrset *a, enum ir_family f)
{
	return a->any || addr_pick(a, f) != NULL;
}

static uint16_t port_pick(const struct ir_portset *s)
{
	size_t n = s->any ? 0 : s->n;

	for (size_t i = 0; !s->any && i < s->n_sets; i++)
		n += s->sets[i]->n_ranges;
	if (n == 0)
		return chance(40) ? PICK(well_known) : (uint16_t)rnd(65536);
	size_t want = rnd((uint32_t)n);
	const struct ir_range *r = NULL;
	if (want < s->n) {
		r = &s->v[want];
	} else {
		want -= s->n;
		for (size_t i = 0; i < s->n_sets && !r; i++) {
			if (want < s->sets[i]->n_ranges)
				r = &s->sets[i]->ranges[want];
			else
				want -= s->sets[i]->n_ranges;
		}
	}
	unsigned k = rnd(8);
	if (k == 0)
		return r->lo;
	if (k == 1)
		return r->hi;
	if (k == 2 && r->lo > 0) /* just outside */
		return (uint16_t)(r->lo - 1);
	if (k == 3 && r->hi < 65535)
		return (uint16_t)(r->hi + 1);
	return (uint16_t)(r->lo + rnd((uint32_t)r->hi - r->lo + 1));
}

static uint8_t byte_pick(const struct ir_byteset *s)
{
	unsigned n = ir_byteset_count(s);

	if (s->any || n == 0)
		return (uint8_t)rnd(256);
	unsigned want = rnd(n);
	for (unsigned v = 0; v < 256; v++)
		if (ir_byteset_has(s, v) && want-- == 0)
			return (uint8_t)v;
	return 0;
}

/* A protocol a packet of family f can carry as its last header. */
static uint8_t proto_any(int v6)
{
	static const uint8_t common[] = { PKT_IPPROTO_TCP, PKT_IPPROTO_TCP, PKT_IPPROTO_UDP,
					  PKT_IPPROTO_UDP, PKT_IPPROTO_ICMP, PKT_IPPROTO_GRE,
					  PKT_IPPROTO_ESP, 132, 99, 110 };
	uint8_t p = PICK(common);

	if (p == PKT_IPPROTO_ICMP && v6)
		p = rnd(6) ? PKT_IPPROTO_ICMPV6 : PKT_IPPROTO_ICMP; /* now and then the wrong one */
	else if (p == PKT_IPPROTO_ICMP && rnd(8) == 0)
		p = PKT_IPPROTO_ICMPV6;
	if (rnd(10) == 0) {
		p = (uint8_t)rnd(256);
		if (v6 && v6_ext(p))
			p = PKT_IPPROTO_NONE;
	}
	return p;
}

/* A frame inside rule r: each field from what the rule accepts. */
static bool spec_in_rule(const struct ir_rule *r, struct spec *s)
{
	enum ir_family fams[2];
	unsigned n = 0;

	for (int f = 0; f < IR_NFAMILIES; f++)
		if ((r->families & IR_FAMILY_BIT(f)) && addr_has(&r->src, f) && addr_has(&r->dst, f))
			fams[n++] = (enum ir_family)f;
	if (n == 0)
		return false;
	enum ir_family f = fams[rnd(n)];
	memset(s, 0, sizeof(*s));
	s->v6 = f == IR_V6;

	/* the protocol */
	if (r->proto[f].any) {
		s->proto = proto_any(s->v6);
	} else {
		unsigned tries = 0;
		do
			s->proto = byte_pick(&r->proto[f]);
		while (s->v6 && v6_ext(s->proto) && ++tries < 50);
		if (s->v6 && v6_ext(s->proto))
			return false;
	}
	if (r->needs_l4 && s->proto != PKT_IPPROTO_TCP && s->proto != PKT_IPPROTO_UDP &&
	    s->proto != PKT_IPPROTO_ICMP && s->proto != PKT_IPPROTO_ICMPV6)
		s->proto = r->proto[f].any ? PKT_IPPROTO_TCP : s->proto;

	/* addresses: inside (one in ten just outside) */
	bool out = chance(10);
	const struct ir_prefix *p = r->src.any ? NULL : addr_pick(&r->src, f);
	if (p)
		addr_in(p, s->src, out && chance(50));
	else
		addr_random(s->v6, s->src);
	p = r->dst.any ? NULL : addr_pick(&r->dst, f);
	if (p)
		addr_in(p, s->dst, out && chance(50));
	else
		addr_random(s->v6, s->dst);

	s->sport = port_pick(&r->sport);
	s->dport = port_pick(&r->dport);
	s->type = byte_pick(&r->icmp_type[f]);
	s->code = byte_pick(&r->icmp_code);
	s->later = !r->needs_l4 ? chance(12) : chance(3);
	return true;
}

/* A random frame: addresses from anywhere, protocols no rule names. */
static void spec_random(const struct ir_policy *pol, struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->v6 = rnd(2);
	s->proto = proto_any(s->v6);
	for (int side = 0; side < 2; side++) {
		uint32_t *a = side ? s->dst : s->src;
		/* a prefix of some rule, or anything */
		const struct ir_rule *r = &pol->rules[rnd((uint32_t)pol->n_rules)];
		const struct ir_addrset *as = side ? &r->dst : &r->src;
		const struct ir_prefix *p = as->any ? NULL : addr_pick(as, s->v6 ? IR_V6 : IR_V4);
		if (p && chance(60))
			addr_in(p, a, chance(20));
		else
			addr_random(s->v6, a);
	}
	s->sport = chance(50) ? PICK(well_known) : (uint16_t)rnd(65536);
	s->dport = chance(50) ? PICK(well_known) : (uint16_t)rnd(65536);
	s->type = (uint8_t)(chance(50) ? rnd(20) + (s->v6 ? 128 : 0) : rnd(256));
	s->code = (uint8_t)(chance(60) ? rnd(16) : rnd(256));
	s->later = chance(15);
}

/* ---- the test ----------------------------------------------------------------- */

static void describe_fields(const struct ir_packet *f, char *out, size_t size)
{
	char src[64], dst[64];

	words_text(f->family == IR_V6, f->src, src, sizeof(src));
	words_text(f->family == IR_V6, f->dst, dst, sizeof(dst));
	snprintf(out, size, "IPv%d proto %u %s -> %s, has_l4 %d, ports %u -> %u, icmp type %u code %u",
		 f->family == IR_V6 ? 6 : 4, f->proto, src, dst, f->has_l4, f->sport, f->dport,
		 f->icmp_type, f->icmp_code);
}

static const struct ir_rule *rule_by_id(const struct ir_policy *pol, unsigned id)
{
	return id >= 1 && id <= pol->n_rules ? &pol->rules[id - 1] : NULL;
}

/* N of "--dump SIZE N" for a case. */
static unsigned case_nth(const struct scale_case *c)
{
	unsigned nth = 0;

	for (const struct scale_case *o = cases; o < c; o++)
		nth += o->n_rules == c->n_rules;
	return nth;
}

static void save_policy(const struct scale_case *c, const char *plan, const char *text)
{
	char name[128];

	snprintf(name, sizeof(name), "scale-fail-%u-%llx-%s.pol", c->n_rules,
		 (unsigned long long)c->seed, plan);
	FILE *fp = fopen(name, "w");
	if (fp) {
		fputs(text, fp);
		fclose(fp);
		if (c >= cases && c < cases + N_CASES)
			print_error("the policy is in %s (or: bpf_test_scale --dump %u %u)\n", name,
				    c->n_rules, case_nth(c));
		else
			print_error("the policy is in %s (or: bpf_test_scale --explore %u 1 0x%llx --dump)\n",
				    name, c->n_rules, (unsigned long long)c->seed);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct totals {
	unsigned long frames, matched, by_rule, by_default;
};

/* Run the case's frames through one compiled plan.  The frames depend only
 * on the seed, so both plans see the same ones. */
static void run_case(const struct scale_case *c, const char *text, enum polc_plan_choice plan,
		     struct totals *t)
{
	const char *plan_name = harness_plan_name(plan);
	double t0 = now_s();
	/* random rules shadow each other, sets overlap: on purpose */
	static const char *const warnings[] = { "no-shadow", "no-redundant", "no-unreachable",
						"no-overlap", NULL };
	struct harness_obj *o = harness_compile_opts(text, &(struct harness_opts){
		.plan = plan, .quiet = c->n_rules > 100, .warnings = warnings });

	if (!o) {
		save_policy(c, plan_name, text);
		fail_msg("%u rules (seed 0x%llx): the %s plan did not compile or load", c->n_rules,
			 (unsigned long long)c->seed, plan_name);
	}
	struct harness_prog *p = harness_prog_ok(o, "scale");
	const struct ir_policy *pol = harness_ir_policy(o, "scale");
	assert_non_null(pol);
	assert_int_equal(pol->n_rules, c->n_rules);
	assert_int_equal(p->n_rules, c->n_rules);
	double t_load = now_s() - t0;
	const struct ir_classifier *cls = pol->cls;

	struct polc_counter *want_rules = calloc(c->n_rules, sizeof(*want_rules));
	struct polc_counter *got_rules = calloc(c->n_rules, sizeof(*got_rules));
	struct polc_counter want_reasons[POLC_REASON_COUNT_] = { 0 };
	struct polc_counter got_reasons[POLC_REASON_COUNT_];
	unsigned mismatches = 0, hit_rules = 0;
	unsigned long matched = 0, by_default = 0;
	bool *hit = calloc(c->n_rules + 1, sizeof(*hit));

	assert_non_null(want_rules);
	assert_non_null(got_rules);
	assert_non_null(hit);
	seed_rng(c->seed ^ 0xf4a3e5);
	double t1 = now_s();
	for (unsigned i = 0; i < c->frames; i++) {
		struct spec s;
		struct pkt k;
		struct ir_packet f;
		bool inside = chance(75);

		if (!inside || !spec_in_rule(&pol->rules[rnd((uint32_t)pol->n_rules)], &s)) {
			inside = false;
			spec_random(pol, &s);
		}
		build(&s, &k, &f);

		struct harness_decision want = { 0 }, got;
		unsigned rule;
		harness_reference(pol, &f, &want.verdict, &rule);
		want.by_reason = rule == 0;
		want.which = rule ? rule : POLC_REASON_DEFAULT;
		int err = harness_check(p, &k, &want, &got);
		if (err < 0)
			fail_msg("running frame %u: %s", i, strerror(-err));
		struct polc_counter *w = rule ? &want_rules[rule - 1] : &want_reasons[POLC_REASON_DEFAULT];
		w->packets++;
		w->bytes += k.len;
		matched += inside;
		by_default += rule == 0;
		if (!hit[rule]) {
			hit[rule] = true;
			hit_rules += rule != 0;
		}
		if (err == 0)
			continue;

		/* the counters now hold this frame's real decision twice; the
		 * final comparison is skipped after a mismatch */
		char desc[512], fields[400], a[64], b[64];
		pkt_describe(&k, desc, sizeof(desc));
		describe_fields(&f, fields, sizeof(fields));
		const struct ir_rule *wr = rule_by_id(pol, rule);
		const struct ir_rule *gr = got.by_reason ? NULL : rule_by_id(pol, got.which);
		print_error("MISMATCH: %u rules, seed 0x%llx, plan %s, frame %u (%s)\n"
			    "  frame:  %s\n  fields: %s\n"
			    "  reference: %s%s%s\n  kernel:    %s%s%s\n",
			    c->n_rules, (unsigned long long)c->seed, plan_name, i,
			    inside ? "built inside a rule" : "random", desc, fields,
			    harness_decision_str(&want, a, sizeof(a)), wr ? ": " : "",
			    wr ? wr->text : "", harness_decision_str(&got, b, sizeof(b)),
			    gr ? ": " : "", gr ? gr->text : "");
		if (++mismatches == 1)
			save_policy(c, plan_name, text);
		if (mismatches >= 10)
			break;
	}
	double t_run = now_s() - t1;

	if (!mismatches) {
		/* every counter is the sum of the decisions it was expected to take */
		assert_int_equal(harness_read_all(p, got_rules, got_reasons), 0);
		for (unsigned r = 0; r < c->n_rules; r++) {
			if (got_rules[r].packets == want_rules[r].packets &&
			    got_rules[r].bytes == want_rules[r].bytes)
				continue;
			print_error("%u rules, plan %s: rule %u counted %llu packets, %llu bytes; expected %llu, %llu\n",
				    c->n_rules, plan_name, r + 1,
				    (unsigned long long)got_rules[r].packets,
				    (unsigned long long)got_rules[r].bytes,
				    (unsigned long long)want_rules[r].packets,
				    (unsigned long long)want_rules[r].bytes);
			mismatches++;
		}
		for (unsigned r = 0; r < POLC_REASON_COUNT_; r++) {
			if (got_reasons[r].packets == want_reasons[r].packets &&
			    got_reasons[r].bytes == want_reasons[r].bytes)
				continue;
			print_error("%u rules, plan %s: reason %u counted %llu packets; expected %llu\n",
				    c->n_rules, plan_name, r, (unsigned long long)got_reasons[r].packets,
				    (unsigned long long)want_reasons[r].packets);
			mismatches++;
		}
	}

	printf("test_scale: %5u rules, %-10s: %u frames (%lu built inside a rule, %lu to the "
	       "default), %u rules decided some; compile+load %.2f s, frames %.2f s",
	       c->n_rules, plan_name, c->frames, matched, by_default, hit_rules, t_load, t_run);
	if (cls)
		printf("; %zu subrules, classes src %u dst %u, tables %.1f MiB%s%s", cls->n_subrules,
		       cls->n_src, cls->n_dst, (double)cls->table_bytes / (1 << 20),
		       cls->ports.v ? ", ports composed" : "", cls->all.v ? ", all composed" : "");
	printf("\n");
	t->frames += c->frames;
	t->matched += matched;
	t->by_default += by_default;
	t->by_rule += c->frames - by_default;

	free(want_rules);
	free(got_rules);
	free(hit);
	harness_free(o);
	if (mismatches)
		fail_msg("%u rules (seed 0x%llx), plan %s: %u mismatches", c->n_rules,
			 (unsigned long long)c->seed, plan_name, mismatches);
}

static struct totals totals;

static void check_case(const struct scale_case *c)
{
	/* kept past a failed check (cmocka jumps out of it), freed at the next */
	static char *text;

	free(text);
	text = gen_policy(c);
	if (c->n_rules <= LINEAR_MAX_RULES)
		run_case(c, text, POLC_PLAN_FORCE_LINEAR, &totals);
	run_case(c, text, POLC_PLAN_FORCE_CLASSIFIER, &totals);
	free(text);
	text = NULL;
}

/* One cmocka test per size: its cases in order. */
static void check_size(unsigned n_rules)
{
	for (size_t i = 0; i < N_CASES; i++)
		if (cases[i].n_rules == n_rules)
			check_case(&cases[i]);
}

static void test_scale_10(void **state)
{
	(void)state;
	check_size(10);
}

static void test_scale_100(void **state)
{
	(void)state;
	check_size(100);
}

static void test_scale_300_600(void **state)
{
	(void)state;
	check_size(300);
	check_size(600);
}

static void test_scale_1000(void **state)
{
	(void)state;
	check_size(1000);
}

static void test_scale_5000(void **state)
{
	(void)state;
	check_size(5000);
}

static void test_scale_20000(void **state)
{
	(void)state;
	check_size(20000);
}

static int teardown(void **state)
{
	(void)state;
	printf("test_scale: %lu frames checked against the reference (%lu decided by a rule, "
	       "%lu by the default)\n",
	       totals.frames, totals.by_rule, totals.by_default);
	return 0;
}

/* --explore: more seeds than the test runs, each case a test of its own */
static void test_explore(void **state)
{
	check_case(*state);
}

static int explore(int argc, char **argv)
{
	unsigned size = (unsigned)atoi(argv[2]), count = (unsigned)atoi(argv[3]);
	uint64_t first = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x5eed0e0000000000ull;
	bool dump = argc > 5 && strcmp(argv[5], "--dump") == 0;
	struct scale_case *cs = calloc(count ? count : 1, sizeof(*cs));
	struct CMUnitTest *ts = calloc(count ? count : 1, sizeof(*ts));
	char (*names)[64] = calloc(count ? count : 1, sizeof(*names));

	if (!cs || !ts || !names)
		return 1;
	for (unsigned i = 0; i < count; i++) {
		cs[i] = (struct scale_case){ .n_rules = size, .seed = first + i, .frames = 2000,
					     .mixed = true };
		snprintf(names[i], sizeof(names[i]), "explore_%u_0x%llx", size,
			 (unsigned long long)cs[i].seed);
		ts[i] = (struct CMUnitTest){ .name = names[i], .test_func = test_explore,
					     .initial_state = &cs[i] };
	}
	if (dump && count == 1) {
		char *text = gen_policy(&cs[0]);
		fputs(text, stdout);
		free(text);
		free(cs);
		free(ts);
		free(names);
		return 0;
	}
	harness_init();
	int failed = _cmocka_run_group_tests("explore", ts, count, NULL, teardown);
	free(cs);
	free(ts);
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--explore") == 0)
		return explore(argc, argv);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--dump") == 0) {
		unsigned nth = argc == 4 ? (unsigned)atoi(argv[3]) : 0;
		for (size_t i = 0; i < N_CASES; i++) {
			if (cases[i].n_rules != (unsigned)atoi(argv[2]) || nth-- != 0)
				continue;
			char *text = gen_policy(&cases[i]);
			fputs(text, stdout);
			free(text);
			return 0;
		}
		fprintf(stderr, "no case of %s rules\n", argv[2]);
		return 2;
	}
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_10),
		cmocka_unit_test(test_scale_100),
		cmocka_unit_test(test_scale_300_600),
		cmocka_unit_test(test_scale_1000),
		cmocka_unit_test(test_scale_5000),
		cmocka_unit_test(test_scale_20000),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
