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

/*
 * A named set (set NAME : TYPE ...): its elements as written (exact
 * duplicates removed, nothing merged: they are what polctl set add/del
 * work on), compiled to a trie per family whose contents polctl loads and
 * can change at run time.
 */
enum ir_set_kind {
	IR_SET_ADDR,
	IR_SET_PORT,
};

struct ir_set {
	const char *name;
	const char *cname; /* C identifier stem: "set_<name>" */
	struct polc_loc loc;
	enum ir_set_kind kind;
	uint8_t families;  /* address sets: the families it may hold */
	size_t n_prefixes; /* address sets */
	struct ir_prefix *prefixes;
	size_t n_ranges;   /* port sets */
	struct ir_range *ranges;
	uint32_t size;     /* capacity, in elements, for live updates */
	uint32_t index;    /* in ir_unit.sets */
	const char *file_text; /* a file-backed set's file, for the source hash */
	size_t file_len;
};

/* A set of addresses: "any", or the union of its prefixes and of the
 * named sets it lists. */
struct ir_addrset {
	bool any;
	size_t n;
	struct ir_prefix *v; /* sorted by family, address, length */
	size_t n_sets;
	const struct ir_set **sets;
};

struct ir_range {
	uint16_t lo;
	uint16_t hi;
};

/* A set of ports: "any", or the union of disjoint, sorted ranges and of
 * the named port sets it lists. */
struct ir_portset {
	bool any;
	size_t n;
	struct ir_range *v;
	size_t n_sets;
	const struct ir_set **sets;
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

/* A dnat rule's backend: an address of one family and a port (0: the
 * packet's own destination port). */
struct ir_backend {
	uint8_t family; /* enum ir_family */
	uint32_t addr[4];
	uint16_t port;
};

enum ir_nat_kind {
	IR_NAT_DNAT = POLC_NAT_DNAT,
	IR_NAT_SNAT = POLC_NAT_SNAT,
};

/* What a dnat or snat rule translates a new flow to (checknat.c). */
struct ir_nat {
	enum ir_nat_kind kind;
	uint32_t index;       /* service id among the policy's dnat rules, or snat id */
	/* dnat */
	enum polc_nat_balance balance;
	uint32_t maglev_slot; /* among the policy's maglev services */
	size_t n_backends;
	struct ir_backend *backends;
	/* snat: to the interface's address, or to (family, addr) */
	bool ifaddr;
	uint8_t family;
	uint32_t addr[4];
	uint16_t port_min, port_max;
};

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
	/* a dnat or snat rule (its verdict is pass); NULL for the others */
	const struct ir_nat *nat;
	/* ct STATES: the IR_CT_* a packet's connection must be in; 0: none
	 * written, which is IR_CT_RULES (known flows skip the rules) */
	uint8_t ct;
};

/* Connection states (tracked policies), as bits. */
#define IR_CT_NEW 0x01         /* no live flow: it would open one (a TCP SYN, ...) */
#define IR_CT_ESTABLISHED 0x02 /* a packet of a live flow, either way */
#define IR_CT_RELATED 0x04     /* an ICMP error about a live flow */
#define IR_CT_INVALID 0x08     /* of a live flow, but not what its state admits */
#define IR_CT_UNTRACKED 0x10   /* not trackable: fragments, other protocols, ... */
#define IR_CT_STATES 5
/* the states of packets that go through the rules when no ct is written */
#define IR_CT_RULES (IR_CT_NEW | IR_CT_INVALID | IR_CT_UNTRACKED)

/* The states a rule matches. */
static inline uint8_t ir_rule_ct(const struct ir_rule *r)
{
	return r->ct ? r->ct : IR_CT_RULES;
}

/*
 * The classifier plan (classify.c): each packet field is mapped to the class
 * of values that the same rules accept, and classes are combined through
 * cross-product tables down to the first matching rule:
 *
 *	a = ta[proto × l4a]    b = tb[a × l4b]    c = tc[src × dst]
 *	d = td[c × mask]       match = te[d × b]   (te holds POLC_MATCH values)
 *
 * proto is family * 256 + IP protocol; l4a is the TCP/UDP source port, or
 * the ICMP type shifted into its own range per family, or "no L4 header";
 * l4b likewise with the destination port or ICMP code; mask has one bit per
 * (set, side) the policy looks up at run time.  A field no rule constrains
 * has one class and is not looked up.  Per-packet cost depends on the number
 * of fields, not of rules.
 */
#define IR_PROTO_SIZE 512u
#define IR_L4A_ICMP4 65536u /* + ICMP type */
#define IR_L4A_ICMP6 65792u /* + ICMPv6 type */
#define IR_L4A_NONE 66048u  /* no L4 header: a later fragment, another protocol */
#define IR_L4A_SIZE 66049u
#define IR_L4B_ICMP 65536u  /* + ICMP or ICMPv6 code */
#define IR_L4B_NONE 65792u
#define IR_L4B_SIZE 65793u
#define IR_MAX_SETBITS 12

enum ir_side {
	IR_SIDE_SRC,
	IR_SIDE_DST,
	IR_SIDE_SPORT,
	IR_SIDE_DPORT,
};

struct ir_class_prefix {
	struct ir_prefix p;
	uint32_t cls;
};

struct ir_setbit {
	uint32_t set; /* index in ir_unit.sets */
	enum ir_side side;
};

/* rows × cols entries, row-major; n_out classes come out (final: matches) */
struct ir_table {
	uint32_t rows;
	uint32_t cols;
	uint32_t *v;
	uint32_t n_out;
};

struct ir_classifier {
	uint32_t n_proto, n_l4a, n_l4b, n_src, n_dst, n_mask; /* classes */
	uint32_t *proto; /* [IR_PROTO_SIZE] */
	uint32_t *l4a;   /* [IR_L4A_SIZE] */
	uint32_t *l4b;   /* [IR_L4B_SIZE] */
	size_t n_src_prefixes[IR_NFAMILIES]; /* address → class, longest match */
	struct ir_class_prefix *src[IR_NFAMILIES];
	size_t n_dst_prefixes[IR_NFAMILIES];
	struct ir_class_prefix *dst[IR_NFAMILIES];
	size_t n_bits;
	struct ir_setbit bits[IR_MAX_SETBITS];
	uint32_t *mask; /* [1 << n_bits] */
	struct ir_table ta, tb, tc, td, te;
	/*
	 * The same tables composed, where small enough (fewer lookups per
	 * packet): ports[(proto * n_l4a + l4a) * n_l4b + l4b] = b, and
	 * all[((src * n_dst + dst) * n_mask + mask) * tb.n_out + b] = match.
	 * v is NULL where the staged tables are used instead.
	 */
	struct ir_table ports, all;
	size_t n_subrules; /* rules after splitting ORs across fields */
	uint64_t table_bytes;
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
	/* the sets its rules use: indices into ir_unit.sets, ascending */
	size_t n_sets;
	uint32_t *sets;
	/* plan.c: the classify function is inlined into the program (fast),
	 * or a global function the verifier checks once (large policies) */
	bool classify_inline;
	struct ir_classifier *cls; /* POLC_PLAN_CLASSIFIER */
	/* track: a conntrack table of ct_size flows, and a companion program
	 * on the other direction of the device (companion_hook) */
	bool track;
	uint32_t ct_size;
	enum polc_hook companion_hook;
	/* NAT: how many dnat rules (services), of them maglev, snat rules */
	uint32_t n_dnat, n_maglev, n_snat;
	/*
	 * ct: when some rule says 'ct STATES' (has_ct), the rules that apply
	 * to packets in each connection state (IR_CT_* bit i: ct_view[i]),
	 * each a policy of its own with the original rule ids, planned and
	 * classified like one; views of the same rules are one.  A known
	 * flow's packet (established, related) that no rule of its view
	 * matches passes.  Without has_ct every view is the policy itself.
	 */
	bool has_ct;
	struct ir_policy *ct_view[IR_CT_STATES];
	bool is_view; /* this is a view of another policy */
};

#define IR_CT_SIZE_DEFAULT 65536u
#define IR_CT_SIZE_MIN 64u
#define IR_CT_SIZE_MAX (1u << 24)

struct ir_unit {
	size_t n_policies;
	struct ir_policy *policies;
	size_t n_sets;
	struct ir_set **sets;
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
	/* what connection tracking reads too (ctmodel.c) */
	uint8_t tcp_flags;
	bool icmp_full;   /* the 8-byte ICMP header is there */
	uint16_t echo_id; /* ICMP/ICMPv6: bytes 4-5 (when icmp_full) */
	bool frag;        /* a fragment, first or later */
	/* its connection's state (IR_CT_*, one bit) in a tracked policy; 0
	 * in an untracked one (where no rule says ct) */
	uint8_t ct_state;
};

/* qsort order of prefixes: family, address, then length (a covering prefix
 * before what it covers). */
int ir_prefix_cmp(const void *a, const void *b);
bool ir_prefix_contains(const struct ir_prefix *p, enum ir_family f,
			const uint32_t addr[4]);
/* Is the address (of family f) or port a member of the set? */
bool ir_set_has_addr(const struct ir_set *s, enum ir_family f, const uint32_t addr[4]);
bool ir_set_has_port(const struct ir_set *s, uint16_t port);
/* Does rule r match packet k?  The reference semantics of a rule. */
bool ir_rule_matches(const struct ir_rule *r, const struct ir_packet *k);

#endif /* POLC_IR_H */
