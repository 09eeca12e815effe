/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ir.h: the checked, normalised form of a policy file.
 *
 * A rule is a conjunction over packet fields; each field holds the set of
 * values it accepts (a disjunction), normalised: prefixes sorted and with
 * covered ones removed, port ranges sorted and merged, protocol and ICMP
 * type sets as bitmaps per address family.  This is the form every back end
 * reads: the code generator's planner (straight-line compares today; per
 * field lookups yielding rule bit vectors for large policies), the reference
 * interpreter and the rule analyses.  Nothing in it refers to the AST except
 * source locations.
 */
#ifndef POLC_IR_H
#define POLC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "polc_contract.h"
#include "source.h"

enum ir_family {
	IR_V4 = 0,
	IR_V6 = 1,
	IR_NFAMILIES = 2,
};

#define IR_FAMILY_BIT(f) (1u << (f))
#define IR_FAMILIES_ALL (IR_FAMILY_BIT(IR_V4) | IR_FAMILY_BIT(IR_V6))

/* An address prefix: w[] holds the address as host-order 32-bit words (an
 * IPv4 address in w[0]); bits past len are zero. */
struct ir_prefix {
	uint8_t family; /* enum ir_family */
	uint8_t len;    /* 0..32 or 0..128 */
	uint32_t w[4];
};

/* A set of addresses: "any", or the union of its prefixes. */
struct ir_addrset {
	bool any;
	size_t n;
	struct ir_prefix *v; /* sorted by family, address, length */
};

struct ir_range {
	uint16_t lo;
	uint16_t hi;
};

/* A set of ports: "any", or the union of disjoint, sorted ranges. */
struct ir_portset {
	bool any;
	size_t n;
	struct ir_range *v;
};

/* A set of byte values (IP protocols, ICMP types and codes). */
struct ir_byteset {
	bool any;
	uint8_t bits[32];
};

static inline bool ir_byteset_has(const struct ir_byteset *s, unsigned v)
{
	return s->any || (s->bits[v >> 3] >> (v & 7)) & 1;
}

static inline void ir_byteset_add(struct ir_byteset *s, unsigned v)
{
	s->bits[v >> 3] |= (uint8_t)(1u << (v & 7));
}

bool ir_byteset_empty(const struct ir_byteset *s);
unsigned ir_byteset_count(const struct ir_byteset *s);

struct ir_rule {
	uint32_t id;           /* 1-based, dense within the policy */
	enum polc_verdict verdict;
	struct polc_loc loc;
	const char *text;      /* source text on one line */
	const char *label;     /* NULL when none */

	/*
	 * Which families the rule can match at all, and per family the
	 * protocols (icmp only exists for IPv4, icmpv6 for IPv6) and ICMP
	 * types (names mean different numbers per family).
	 */
	uint8_t families;
	struct ir_byteset proto[IR_NFAMILIES];
	struct ir_byteset icmp_type[IR_NFAMILIES];
	struct ir_byteset icmp_code;
	struct ir_addrset src, dst;
	struct ir_portset sport, dport;
	/* the rule reads the L4 header: it cannot match a later fragment */
	bool needs_l4;
};

struct ir_policy {
	const char *name;  /* as written */
	const char *cname; /* C identifier stem: "pol_<name>" */
	struct polc_loc loc;
	enum polc_hook hook;
	enum polc_verdict default_verdict;
	size_t n_rules;
	struct ir_rule *rules;
	enum polc_plan plan; /* plan.c */
	/* plan.c: the classify function is inlined into the program (fast),
	 * or a global function the verifier checks once (large policies) */
	bool classify_inline;
};

struct ir_unit {
	size_t n_policies;
	struct ir_policy *policies;
};

/*
 * The packet fields a rule is matched against; what the BPF parser
 * (polc_parse.h) extracts, in the same units.  Used by the interpreter and
 * the tests.
 */
struct ir_packet {
	uint8_t family; /* enum ir_family */
	uint8_t proto;
	bool has_l4;
	uint32_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_code;
};

bool ir_prefix_contains(const struct ir_prefix *p, enum ir_family f,
			const uint32_t addr[4]);
/* Does rule r match packet k?  The reference semantics of a rule. */
bool ir_rule_matches(const struct ir_rule *r, const struct ir_packet *k);

#endif /* POLC_IR_H */
