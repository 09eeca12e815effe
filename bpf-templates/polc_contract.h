/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_contract.h: the one contract between the BPF programs polc generates
 * and polctl, the runtime that loads them.
 *
 * Everything both sides must agree on lives here and nowhere else: the
 * verdict and reason codes, the counter layout, the names of the maps a
 * policy owns and the layout of the ".polc.meta" ELF section that makes an
 * artifact self-describing.  This header is included by the generated BPF C
 * (through polc_prog.h) and by runtime/ and compiler/ in user space, so it
 * only uses fixed-width types and no headers of its own.
 *
 * All integers in the metadata are in the byte order of the BPF target the
 * artifact was compiled for (little endian for -target bpf on x86).
 */
#ifndef POLC_CONTRACT_H
#define POLC_CONTRACT_H

#ifdef __bpf__
/* BPF side: types come from polc_bpf.h, which the template includes first. */
#else
#include <linux/types.h>
#endif

/* What a rule or a policy default decides. */
enum polc_verdict {
	POLC_VERDICT_PASS = 0,
	POLC_VERDICT_DROP = 1,
	POLC_VERDICT_COUNT_ = 2,
};

/*
 * Why a packet got its verdict when no rule decided it.  Each policy has a
 * per-CPU array "reasons" map indexed by these codes.
 */
enum polc_reason {
	POLC_REASON_DEFAULT = 0,   /* no rule matched: the policy's default */
	POLC_REASON_NON_IP = 1,    /* not IPv4/IPv6 (ARP, LLDP, ...): passed */
	POLC_REASON_TRUNCATED = 2, /* headers claim more bytes than there are */
	POLC_REASON_MALFORMED = 3, /* impossible header values */
	POLC_REASON_COUNT_ = 4,
};

/* Attachment points.  A policy has one program per hook it uses. */
enum polc_hook {
	POLC_HOOK_XDP = 1,
	POLC_HOOK_TC_INGRESS = 2,
	POLC_HOOK_TC_EGRESS = 3,
	POLC_HOOK_MAX_ = 4,
};

/* A rule's decision in one word, as classify functions return it and
 * classifier tables hold it: rule id and verdict; 0 is "no rule matched". */
#define POLC_MATCH(id, verdict) (((__u32)(id) << 1) | (__u32)(verdict))
#define POLC_MATCH_RULE(m) ((m) >> 1)
#define POLC_MATCH_VERDICT(m) ((m)&1)

/* Value of the per-CPU "rules" and "reasons" counter maps. */
struct polc_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Map names: the BPF object names a policy's maps "<policy>_rules" and
 * "<policy>_reasons" where <policy> is the C name recorded in the metadata.
 * The runtime finds them by the names stored in struct polc_meta_policy, so
 * the suffixes below are a convention of the generator, not a lookup key.
 */
#define POLC_MAP_SUFFIX_RULES "_rules"
#define POLC_MAP_SUFFIX_REASONS "_reasons"

/* ---- the ".polc.meta" section ------------------------------------------ */

#define POLC_META_SECTION ".polc.meta"
#define POLC_META_MAGIC 0x4d4c4f50u /* "POLM" read as little-endian bytes */
#define POLC_META_VERSION 3

/*
 * Bulk contents the metadata refers to by offset: set elements, classifier
 * tables and the prefixes of classifier tries.  Kept out of ".polc.meta" so
 * that reading the metadata stays cheap, and embedded into the object with
 * .incbin so clang never parses it.  Every record at an offset is 8-byte
 * aligned.
 */
#define POLC_DATA_SECTION ".polc.data"

/*
 * The section is one blob: a header, then arrays of fixed-size records at the
 * offsets the header gives (all relative to the start of the section), then a
 * string table.  Strings are referenced by their offset in the string table;
 * offset 0 is always the empty string.  Readers must check every offset and
 * count against the section size before using it.
 */
struct polc_meta_header {
	__u32 magic;        /* POLC_META_MAGIC */
	__u16 version;      /* POLC_META_VERSION */
	__u16 header_size;  /* sizeof(struct polc_meta_header) */
	__u32 total_size;   /* size of the whole blob */
	__u32 flags;        /* none defined yet: must be 0 */

	__u32 n_policies;
	__u32 policies_off; /* struct polc_meta_policy[n_policies] */
	__u32 n_progs;
	__u32 progs_off;    /* struct polc_meta_prog[n_progs] */
	__u32 n_rules;
	__u32 rules_off;    /* struct polc_meta_rule[n_rules] */
	__u32 strings_off;  /* char[strings_size], NUL-terminated strings */
	__u32 strings_size;

	__u32 compiler_str; /* "polc 0.1.0" */
	__u32 source_str;   /* policy file name as given to polc (no directory) */
	__u8 source_sha256[32]; /* of the policy and the files its sets read */
	__u32 min_kernel;   /* (major << 16) | (minor << 8) | patch */
	__u32 reserved;     /* must be 0 */

	__u32 n_sets;
	__u32 sets_off;     /* struct polc_meta_set[n_sets] */
	__u32 n_setrefs;
	__u32 setrefs_off;  /* __u32[n_setrefs]: set indices, per policy */
	__u32 n_inits;
	__u32 inits_off;    /* struct polc_meta_init[n_inits] */
	__u32 data_size;    /* bytes of the ".polc.data" section (0: none) */
	__u32 reserved2;    /* must be 0 */

	__u32 n_nats;
	__u32 nats_off;     /* struct polc_meta_nat[n_nats], per policy */
};

/* One policy of the source file. */
struct polc_meta_policy {
	__u32 name_str;        /* name as written in the policy */
	__u32 rules_map_str;   /* map of struct polc_counter, n_rules entries */
	__u32 reasons_map_str; /* map of struct polc_counter, POLC_REASON_COUNT_ */
	__u32 first_prog;      /* index into the program records */
	__u32 n_progs;
	__u32 first_rule;      /* index into the rule records */
	__u32 n_rules;
	__u32 default_verdict; /* enum polc_verdict */
	__u32 line;            /* where the policy starts in the source */
	__u32 plan;            /* enum polc_plan: how rules are classified */
	__u32 first_setref;    /* the sets its rules use: setrefs[first..+n] */
	__u32 n_setrefs;
	__u32 first_init;      /* maps polctl fills before attaching */
	__u32 n_inits;
	__u32 first_nat;       /* its dnat and snat rules: nats[first..+n] */
	__u32 n_nats;
};

/* How the compiler chose to classify a policy's packets. */
enum polc_plan {
	POLC_PLAN_LINEAR = 0,     /* straight-line compares, first match wins */
	POLC_PLAN_CLASSIFIER = 1, /* per-field classes and cross-product tables */
	POLC_PLAN_COUNT_ = 2,
};

/* One BPF program and where it attaches. */
struct polc_meta_prog {
	__u32 name_str; /* ELF symbol of the program */
	__u32 hook;     /* enum polc_hook */
};

/*
 * One rule.  A rule's counter is entry (id - 1) of its policy's rules map;
 * ids are 1-based and dense within a policy, in source order.
 */
struct polc_meta_rule {
	__u32 id;
	__u32 verdict; /* enum polc_verdict */
	__u32 line;
	__u32 col;
	__u32 text_str;  /* the rule's source text, on one line */
	__u32 label_str; /* the rule's label, or the empty string */
};

/* ---- sets and map contents -------------------------------------------- */

enum polc_set_kind {
	POLC_SET_ADDR = 1,
	POLC_SET_PORT = 2,
};

#define POLC_FAMILY_V4 1 /* bits of polc_meta_set.families */
#define POLC_FAMILY_V6 2

/* The trie maps of a set, per family: [0] IPv4 (ports: the port trie),
 * [1] IPv6; each l1, nodes, bits (see polc_trie.h). */
enum { POLC_TRIE_L1 = 0, POLC_TRIE_NODES = 1, POLC_TRIE_BITS = 2, POLC_TRIE_MAPS = 3 };

/* A named set of the source file, as polctl loads and updates it. */
struct polc_meta_set {
	__u32 name_str;
	__u32 kind;      /* enum polc_set_kind */
	__u32 families;  /* POLC_FAMILY_* it may hold (address sets) */
	__u32 size;      /* capacity, in elements */
	__u32 n_elems;   /* elements in the artifact */
	__u32 elems_off; /* in .polc.data: struct polc_meta_key[n_elems] */
	__u32 map_str[2][POLC_TRIE_MAPS]; /* 0 where a family has no trie */
	__u32 nodes[2];  /* capacity of each trie's nodes map */
	__u32 bits[2];   /* and of its bitmaps map */
};

/*
 * A key of a trie or an element of a set: a prefix (w, len; family
 * POLC_FAMILY_V4 or _V6) or a port range (w[0] to hi; family 0).  value is
 * what the trie gives for it (1 in a set, a class id in a classifier trie).
 */
struct polc_meta_key {
	__u32 w[4];
	__u32 value;
	__u8 len;
	__u8 family;
	__u16 hi;
};

enum polc_init_kind {
	POLC_INIT_ARRAY = 1, /* count __u32 values copied into an array map of trie nodes */
	POLC_INIT_TRIE = 2,  /* a trie built from count struct polc_meta_key */
};

/* How polctl fills one of a policy's maps before attaching the program. */
struct polc_meta_init {
	__u32 kind;      /* enum polc_init_kind */
	__u32 map_str[POLC_TRIE_MAPS]; /* ARRAY: [0]; TRIE: l1, nodes, bits */
	__u32 width;     /* TRIE: key bits (16, 32, 128) */
	__u32 dflt;      /* TRIE: value where no prefix matches */
	__u32 data_off;  /* in .polc.data */
	__u32 count;     /* values or keys */
	__u32 reserved[2];
};

/* ======================================================================
 * ---- connection tracking and NAT ----------------------------------------
 * ======================================================================
 *
 * What bpf-templates/polc_ct.h and polc_nat.h keep in maps, and what polctl
 * fills or reads.  The design is described in polc_ct.h; in short:
 *
 *  - a flow is TWO entries of one LRU hash map "<policy>_ct": the FORWARD key
 *    (the tuple of the packet that opened the flow, as the hook saw it) and
 *    the REPLY key (the tuple replies carry: the forward packet's tuple after
 *    NAT, reversed).  Every packet is looked up by its own tuple, as it is:
 *    one hash lookup whatever the direction, NAT or not;
 *  - each entry holds the flow's state (kept the same in both), the
 *    translated tuple for packets of its key (== the key without NAT), and
 *    counters of its direction; either entry can rebuild the other;
 *  - "<policy>_ct_cfg" (one element) holds timeouts and the test clock;
 *    zero fields mean the defaults below;
 *  - "<policy>_ct_stats" counts what conntrack and NAT decided.
 *
 * Addresses and ports are in HOST byte order everywhere here, like struct
 * polc_pkt: an IPv4 address in w[0] (the other words 0), an IPv6 address
 * with w[0] its most significant word.
 */

/* Map names (suffixes of the policy's C name, like POLC_MAP_SUFFIX_RULES). */
#define POLC_MAP_SUFFIX_CT "_ct"              /* LRU_HASH: polc_ct_key -> polc_ct_entry */
#define POLC_MAP_SUFFIX_CT_CFG "_ct_cfg"      /* ARRAY[1]: struct polc_ct_config */
#define POLC_MAP_SUFFIX_CT_STATS "_ct_stats"  /* PERCPU_ARRAY[POLC_CT_STAT_COUNT_]: polc_counter */
/* NAT (policies with dnat or snat rules; every map exists, of size >= 1): */
#define POLC_MAP_SUFFIX_NAT_SVC "_nat_svc"    /* ARRAY[services]: struct polc_nat_svc by service id */
#define POLC_MAP_SUFFIX_NAT_BACKENDS "_nat_be" /* ARRAY[services * 2 * POLC_NAT_POOL_MAX]: polc_nat_backend */
#define POLC_MAP_SUFFIX_NAT_MAGLEV "_nat_maglev" /* ARRAY[maglev services * 2 * POLC_NAT_MAGLEV_M]: __u32 slot */
#define POLC_MAP_SUFFIX_NAT_RR "_nat_rr"      /* ARRAY[services]: __u32 round-robin counter */
#define POLC_MAP_SUFFIX_NAT_SNAT "_nat_snat"  /* ARRAY[snats * 2]: struct polc_nat_snat, [2 * id + (v6)] */

/* Connection states.  Each entry's timeout is the one of its state. */
enum polc_ct_state {
	POLC_CT_NONE = 0,
	POLC_CT_TCP_SYN_SENT = 1,    /* the opening SYN seen */
	POLC_CT_TCP_SYN_RECV = 2,    /* the SYN-ACK (or a crossing SYN) seen */
	POLC_CT_TCP_ESTABLISHED = 3, /* the handshake's ACK seen */
	POLC_CT_TCP_FIN_WAIT = 4,    /* a FIN from one side */
	POLC_CT_TCP_CLOSE = 5,       /* FINs from both sides, or a RST */
	POLC_CT_UDP_ONEWAY = 6,      /* packets in the forward direction only */
	POLC_CT_UDP_REPLIED = 7,     /* a reply seen */
	POLC_CT_ICMP_ECHO = 8,       /* an echo request (and maybe replies) */
	POLC_CT_STATE_COUNT_ = 9,
};

/* Default timeouts, seconds: what Linux's nf_conntrack uses. */
#define POLC_CT_TIMEOUT_SYN_SENT_S 120
#define POLC_CT_TIMEOUT_SYN_RECV_S 60
#define POLC_CT_TIMEOUT_ESTABLISHED_S 432000 /* 5 days */
#define POLC_CT_TIMEOUT_FIN_WAIT_S 120
#define POLC_CT_TIMEOUT_CLOSE_S 10
#define POLC_CT_TIMEOUT_UDP_ONEWAY_S 30
#define POLC_CT_TIMEOUT_UDP_REPLIED_S 120
#define POLC_CT_TIMEOUT_ICMP_S 30

/* How often (ns) a busy entry refreshes its idle peer (see polc_ct.h). */
#define POLC_CT_SYNC_NS_DEFAULT 1000000000ull

/* Which way an entry's key goes, relative to the packet that opened the flow. */
enum polc_ct_dir {
	POLC_CT_DIR_FORWARD = 0,
	POLC_CT_DIR_REPLY = 1,
};

/*
 * A tuple.  TCP and UDP: the ports.  ICMP/ICMPv6 echo: sport is the echo
 * identifier and dport the message type (8/0, 128/129), so a request and
 * its reply have different keys and an echo request sent the other way is
 * not taken for a reply.  Unused words and pad are 0.
 */
struct polc_ct_key {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;  /* IP protocol */
	__u8 family; /* 4 or 6 */
	__u16 pad;
};

/* struct polc_ct_entry.nat: what packets of the key get rewritten. */
#define POLC_CT_NAT_SRC 0x1 /* source address and port (echo identifier) */
#define POLC_CT_NAT_DST 0x2 /* destination address and port (== SRC << 1) */

/* struct polc_ct_entry.flags */
#define POLC_CT_F_LOCAL 0x1 /* opened by the node: created by a companion (track-only) program */
#define POLC_CT_F_DNAT 0x2  /* the flow was created by a DNAT rule (backend is valid) */
#define POLC_CT_F_SNAT 0x4  /* the flow was created by an SNAT rule */

/* The value of both entries of a flow. */
struct polc_ct_entry {
	__u64 last_seen;  /* conntrack clock (ns): the last packet of this key, or a sync from the peer */
	__u64 timeout_ns; /* of the current state, copied from the config at each change */
	__u64 created;    /* conntrack clock when the flow was created */
	__u64 synced;     /* conntrack clock when this entry last refreshed its peer */
	__u64 packets;    /* packets and bytes of this key (this direction); */
	__u64 bytes;      /* approximate when CPUs race on one direction */
	__u32 rule;       /* the rule id that admitted the flow; 0: opened by the node */
	__u32 backend;    /* DNAT: the backend slot chosen; else 0 */
	__u8 state;       /* enum polc_ct_state; the same in both entries */
	__u8 dir;         /* enum polc_ct_dir of this key */
	__u8 nat;         /* POLC_CT_NAT_* for packets of this key */
	__u8 flags;       /* POLC_CT_F_* */
	__u8 fin[2];      /* a FIN seen from direction [enum polc_ct_dir] (one byte each: no lost updates) */
	__u16 pad;
	/* the tuple packets of this key leave with (the key itself if nat == 0) */
	__u32 xsrc[4];
	__u32 xdst[4];
	__u16 xsport;
	__u16 xdport;
};

/*
 * The one element of "<policy>_ct_cfg".  polctl (or a test) fills it; any
 * zero field means the default, so an untouched map behaves as documented.
 */
struct polc_ct_config {
	__u64 timeout_ns[POLC_CT_STATE_COUNT_]; /* per enum polc_ct_state; 0: default */
	__u64 clock_offset_ns; /* added to the kernel clock: tests move time forward */
	__u64 sync_ns;         /* peer refresh interval; 0: POLC_CT_SYNC_NS_DEFAULT */
	__u64 jiffy_ns;        /* ns per jiffy: the clock is then jiffies (inlined, cheap);
				* 0: bpf_ktime_get_coarse_ns().  polctl fills it with
				* clock_getres(CLOCK_MONOTONIC_COARSE), the tick. */
	__u32 snat_probes;     /* SNAT ports tried per new flow; 0: default; <= POLC_NAT_SNAT_MAX_PROBES */
	__u32 flags;           /* none defined: 0 */
};

/* Indices of "<policy>_ct_stats" (struct polc_counter per CPU). */
enum polc_ct_stat {
	POLC_CT_STAT_ESTABLISHED = 0, /* passed as a packet of a tracked flow (either way) */
	POLC_CT_STAT_RELATED = 1,     /* an ICMP error about a tracked flow, passed */
	POLC_CT_STAT_CREATED = 2,     /* flows created (both entries) */
	POLC_CT_STAT_INVALID = 3,     /* a tracked flow's packet its state does not admit: to the rules */
	POLC_CT_STAT_EXPIRED = 4,     /* entries met after their timeout and deleted */
	POLC_CT_STAT_CONFLICT = 5,    /* a flow not created: its reply key belongs to another live flow */
	POLC_CT_STAT_HEALED = 6,      /* a lost peer entry (LRU eviction) rebuilt from its twin */
	POLC_CT_STAT_NAT_EXHAUSTED = 7, /* SNAT found no free port: dropped */
	POLC_CT_STAT_NAT_NO_BACKEND = 8, /* DNAT to a service with no backend (or none): dropped */
	POLC_CT_STAT_TRACKED = 9,     /* companion: packets seen (flows it created count in CREATED) */
	POLC_CT_STAT_NAT_NO_ADDRESS = 10, /* SNAT to an interface without an address of the family: dropped */
	POLC_CT_STAT_NAT_UNTRACKABLE = 11, /* a dnat/snat rule matched a packet that cannot open a
					    * flow (TCP without SYN, fragment, ...): dropped */
	POLC_CT_STAT_COUNT_ = 12,
};

/* ---- NAT: services, backends, SNAT ---- */

enum polc_nat_balance {
	POLC_NAT_BALANCE_RANDOM = 0,      /* bpf_get_prandom_u32() */
	POLC_NAT_BALANCE_ROUND_ROBIN = 1, /* an atomic counter per service */
	POLC_NAT_BALANCE_MAGLEV = 2,      /* a Maglev table (common/maglev.h) per service */
	POLC_NAT_BALANCE_COUNT_ = 3,
};

/* Backend slots a service has per half of its pool (the pool is double
 * buffered: userspace writes the half the datapath does not use, then
 * switches the service to it in one update). */
#define POLC_NAT_POOL_MAX 256
/* Maglev table size of every maglev service (a prime; common/maglev.h). */
#define POLC_NAT_MAGLEV_M 65537

/*
 * A service: one dnat rule, element <id> of "<policy>_nat_svc".  Its
 * backends are slots [first, first + count) of the backends map (one half
 * of [2 * id * POLC_NAT_POOL_MAX, (2 * id + 2) * POLC_NAT_POOL_MAX)); a
 * maglev service's table is elements [maglev_base, maglev_base +
 * maglev_size) of the maglev map, each a backend slot.  To change a pool,
 * userspace writes the other half (backends and table) and then replaces
 * this value in one update: new flows use the new pool, existing flows keep
 * the backend stored in their conntrack entries.
 */
struct polc_nat_svc {
	__u32 id;          /* its index: of its round-robin counter too */
	__u32 first;       /* first backend slot */
	__u32 count;       /* backends; 0: new flows are dropped (NAT_NO_BACKEND) */
	__u32 maglev_base;
	__u32 maglev_size; /* POLC_NAT_MAGLEV_M for maglev services, else 0 */
	__u8 balance;      /* enum polc_nat_balance */
	__u8 pad[3];
};

/* A backend (an element of "<policy>_nat_be"). */
struct polc_nat_backend {
	__u32 addr[4]; /* host order, like struct polc_ct_key */
	__u16 port;    /* 0: the packet's own destination port */
	__u8 family;   /* 4 or 6: a flow of the other family is not translated (dropped) */
	__u8 flags;    /* none defined: 0 */
};

/* Most SNAT ports a new flow tries (the natural port, then hashed ones). */
#define POLC_NAT_SNAT_MAX_PROBES 16
#define POLC_NAT_SNAT_PROBES_DEFAULT 8
/* The SNAT port range when the rule gives none. */
#define POLC_NAT_SNAT_PORT_MIN_DEFAULT 1024
#define POLC_NAT_SNAT_PORT_MAX_DEFAULT 65535

/* An SNAT rule's translation for one family (an element of "<policy>_nat_snat"). */
struct polc_nat_snat {
	__u32 addr[4];  /* the address packets leave with, host order */
	__u16 port_min; /* TCP/UDP source ports and ICMP echo identifiers */
	__u16 port_max;
	__u8 family;    /* 4 or 6; 0: no address (dropped, NAT_NO_ADDRESS) */
	__u8 pad[3];
};

/* ---- NAT in the metadata ---- */

enum polc_nat_kind {
	POLC_NAT_DNAT = 1,
	POLC_NAT_SNAT = 2,
};

#define POLC_NAT_F_IFADDR 0x1 /* snat -> interface: polctl writes the address at apply */

/* One dnat or snat rule of a policy. */
struct polc_meta_nat {
	__u32 kind;         /* enum polc_nat_kind */
	__u32 rule;         /* its rule id in the policy */
	__u32 index;        /* DNAT: service id; SNAT: elements 2*index (IPv4), +1 (IPv6) */
	__u32 flags;        /* POLC_NAT_F_* */
	__u32 balance;      /* DNAT: enum polc_nat_balance */
	__u32 maglev_slot;  /* DNAT maglev: tables at elements (2*slot + half) * POLC_NAT_MAGLEV_M */
	__u32 n_backends;   /* DNAT: the pool as compiled (<= POLC_NAT_POOL_MAX) */
	__u32 backends_off; /* in .polc.data: struct polc_nat_backend[n_backends] */
	__u32 port_min;     /* SNAT: the port range */
	__u32 port_max;
	__u32 family;       /* SNAT to a fixed address: 4 or 6; IFADDR: 0.  DNAT: its pool's
			     * family, 4 or 6 (polctl nat set refuses the other); 0: unknown */
	__u32 addr[4];      /* SNAT to a fixed address */
	__u32 reserved;     /* 0 */
};

#endif /* POLC_CONTRACT_H */
