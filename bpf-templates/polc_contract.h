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
#define POLC_META_VERSION 2

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

#endif /* POLC_CONTRACT_H */
