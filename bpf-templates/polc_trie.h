/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_trie.h: longest-prefix match on ARRAY maps (a "dirtrie"), the BPF side.
 *
 * A kernel LPM trie costs ~110 ns a lookup at 100k prefixes and a hash map
 * ~22 ns; an ARRAY map lookup is inlined by the verifier and costs a few ns.
 * So sets and classifier tables are multibit tries over three ARRAY maps,
 * built and updated by userspace through mmap (common/dirtrie.h is the
 * builder and the reference lookup) and read here.
 *
 * THE LAYOUT (the contract with common/dirtrie.h):
 *
 *  Keys are W bits, W = 16 (ports), 32 (IPv4) or 128 (IPv6), as `__u32 k[4]`
 *  of host-order words: a port (low 16 bits) or IPv4 address in k[0], an
 *  IPv6 address with k[0] the most significant word, as struct polc_pkt's
 *  src[4]/dst[4].  top16 is the key's first 16 bits (the port itself for
 *  W = 16, k[0] >> 16 otherwise); each further level takes the next byte.
 *
 *  <name>_l1     ARRAY, value struct polc_trie_node { __u32 e[256]; },
 *                POLC_TRIE_L1_ENTRIES (513) elements: 0..255 are half 0,
 *                256..511 half 1; element 512's e[0] is the ACTIVE half.
 *                The l1 entry of a key is
 *                l1[half * 256 + (top16 >> 8)].e[top16 & 255].
 *  <name>_nodes  ARRAY, value struct polc_trie_node, >= 1 elements.
 *  <name>_bits   ARRAY, value struct polc_trie_bits { __u32 w[8]; } (a
 *                256-bit leaf bitmap), >= 1 elements.
 *  All three have BPF_F_MMAPABLE: userspace writes them in place.
 *
 *  An entry (__u32), by its top two bits:
 *    00  the VALUE (0 .. 0x3fffffff): the lookup's result;
 *    10  child node nodes[e & 0x3fffffff], indexed by the next key byte b;
 *    11  child bitmap bits[e & 0x3fffffff]: the result is bit b of it,
 *        (w[b >> 5] >> (b & 31)) & 1 (membership tries only);
 *    01  invalid: the result is 0.
 *  W = 16 tries end at l1; W = 32 ones have at most 2 levels below it,
 *  W = 128 ones at most 14.  A failed map lookup (an index out of range)
 *  gives 0.
 *
 *  Userspace builds a new trie in the inactive half and switches with one
 *  32-bit store to element 512 (release ordering); a lookup reads the active
 *  half once and follows pointers from it, so it sees the old trie or the
 *  new one, never a mix.
 *
 * Cost: 2 array lookups for l1 (the active half, then the entry) and one per
 * level below; W = 16 is l1 only.  Every lookup is of an ARRAY map with a
 * constant map pointer, so the verifier inlines them all (tests/bpf/
 * test_trie.c checks that no helper call is left).  Instructions per call
 * (clang 14 -O2, ELF / after the verifier's rewrite): lookup16 25 / 37,
 * lookup32 96 / 126, lookup128 97 / 121 (a rolled loop),
 * lookup128_unrolled 398 / 500 (a few ns faster on deep walks).
 *
 *	POLC_TRIE_DEFINE(blocked4, 4096, 65536);
 *	...
 *	if (polc_trie_lookup32(&blocked4_l1, &blocked4_nodes, &blocked4_bits, p->src))
 *		return drop;
 */
#ifndef POLC_TRIE_H
#define POLC_TRIE_H

#include "polc_bpf.h"

#define POLC_BPF_F_MMAPABLE (1U << 10) /* BPF_F_MMAPABLE (uapi) */

#define POLC_TRIE_L1_HALF 256    /* l1 elements per half */
#define POLC_TRIE_L1_CTL 512     /* the element whose e[0] is the active half */
#define POLC_TRIE_L1_ENTRIES 513 /* max_entries of an l1 map */

#define POLC_TRIE_TAG_NODE 0x80000000u
#define POLC_TRIE_TAG_BITS 0xc0000000u
#define POLC_TRIE_VALUE_END 0x40000000u /* values are below */
#define POLC_TRIE_INDEX_MASK 0x3fffffffu

struct polc_trie_node {
	__u32 e[256];
};

struct polc_trie_bits {
	__u32 w[8];
};

/* The three maps of one trie: name_l1, name_nodes, name_bits. */
#define POLC_TRIE_DEFINE(name, n_nodes, n_bits)                  \
	struct {                                                 \
		__uint(type, BPF_MAP_TYPE_ARRAY);                \
		__uint(max_entries, POLC_TRIE_L1_ENTRIES);       \
		__uint(map_flags, POLC_BPF_F_MMAPABLE);          \
		__type(key, __u32);                              \
		__type(value, struct polc_trie_node);            \
	} name##_l1 SEC(".maps");                                \
	struct {                                                 \
		__uint(type, BPF_MAP_TYPE_ARRAY);                \
		__uint(max_entries, n_nodes);                    \
		__uint(map_flags, POLC_BPF_F_MMAPABLE);          \
		__type(key, __u32);                              \
		__type(value, struct polc_trie_node);            \
	} name##_nodes SEC(".maps");                             \
	struct {                                                 \
		__uint(type, BPF_MAP_TYPE_ARRAY);                \
		__uint(max_entries, n_bits);                     \
		__uint(map_flags, POLC_BPF_F_MMAPABLE);          \
		__type(key, __u32);                              \
		__type(value, struct polc_trie_bits);            \
	} name##_bits SEC(".maps")

/* The maps of a POLC_TRIE_DEFINE()d trie, as the lookups take them. */
#define POLC_TRIE_MAPS_OF(name) &name##_l1, &name##_nodes, &name##_bits

/* The l1 entry for top16 in the active half; 0 if a lookup fails. */
static __always_inline __u32 polc_trie_l1(void *l1, __u32 top16)
{
	__u32 i = POLC_TRIE_L1_CTL;
	struct polc_trie_node *n = bpf_map_lookup_elem(l1, &i);

	if (!n)
		return 0;
	i = ((n->e[0] & 1) << 8) | ((top16 >> 8) & 0xff);
	n = bpf_map_lookup_elem(l1, &i);
	if (!n)
		return 0;
	return n->e[top16 & 0xff];
}

/* An entry that ends the lookup: a value, or 0 for anything else. */
static __always_inline __u32 polc_trie_value(__u32 x)
{
	return x < POLC_TRIE_VALUE_END ? x : 0;
}

/*
 * Follow entry x down at most `levels` levels, the first indexed by key byte
 * `first` (bytes counted from the most significant, 0-based); first and
 * levels are constants.  Unrolled: every key access is at a fixed offset.
 */
static __always_inline __u32 polc_trie_walk(void *nodes, void *bits,
					    const __u32 *k, __u32 x,
					    const int first, const int levels)
{
#pragma unroll
	for (int d = 0; d < levels; d++) {
		const int bi = first + d;
		__u32 b = (k[bi >> 2] >> (24 - 8 * (bi & 3))) & 0xff;
		__u32 i = x & POLC_TRIE_INDEX_MASK;

		if (x < POLC_TRIE_TAG_NODE)
			break;
		if (x >= POLC_TRIE_TAG_BITS) {
			struct polc_trie_bits *m = bpf_map_lookup_elem(bits, &i);

			return m ? (m->w[b >> 5] >> (b & 31)) & 1 : 0;
		}
		struct polc_trie_node *n = bpf_map_lookup_elem(nodes, &i);
		if (!n)
			return 0;
		x = n->e[b];
	}
	return polc_trie_value(x);
}

/*
 * The same as a loop the compiler keeps rolled: a quarter of the
 * instructions of the unrolled walk for W = 128, a few ns slower when the
 * walk goes deep.  The verifier walks each iteration with the byte index
 * known, so k[bi >> 2] stays a fixed-offset access.
 */
static __always_inline __u32 polc_trie_walk_rolled(void *nodes, void *bits,
						   const __u32 *k, __u32 x,
						   const int first,
						   const int levels)
{
#pragma clang loop unroll(disable)
	for (int bi = first; bi < first + levels; bi++) {
		__u32 i = x & POLC_TRIE_INDEX_MASK;

		if (x < POLC_TRIE_TAG_NODE)
			break;
		__u32 b = (k[(bi >> 2) & 3] >> (24 - 8 * (bi & 3))) & 0xff;
		if (x >= POLC_TRIE_TAG_BITS) {
			struct polc_trie_bits *m = bpf_map_lookup_elem(bits, &i);

			return m ? (m->w[b >> 5] >> (b & 31)) & 1 : 0;
		}
		struct polc_trie_node *n = bpf_map_lookup_elem(nodes, &i);
		if (!n)
			return 0;
		x = n->e[b];
	}
	return polc_trie_value(x);
}

/* Longest-prefix match of a port (k[0], low 16 bits). */
static __always_inline __u32 polc_trie_lookup16(void *l1, void *nodes,
						void *bits, const __u32 *k)
{
	return polc_trie_value(polc_trie_l1(l1, k[0] & 0xffff));
}

/* Longest-prefix match of an IPv4 address (k[0]). */
static __always_inline __u32 polc_trie_lookup32(void *l1, void *nodes,
						void *bits, const __u32 *k)
{
	return polc_trie_walk(nodes, bits, k, polc_trie_l1(l1, k[0] >> 16), 2, 2);
}

/*
 * Longest-prefix match of an IPv6 address (k[0..3], k[0] first), compact:
 * ~100 instructions.
 */
static __always_inline __u32 polc_trie_lookup128(void *l1, void *nodes,
						 void *bits, const __u32 *k)
{
	return polc_trie_walk_rolled(nodes, bits, k, polc_trie_l1(l1, k[0] >> 16),
				     2, 14);
}

/*
 * The same, unrolled: ~400 instructions, the fastest when lookups go deep
 * (a hot single call site).
 */
static __always_inline __u32 polc_trie_lookup128_unrolled(void *l1, void *nodes,
							  void *bits,
							  const __u32 *k)
{
	return polc_trie_walk(nodes, bits, k, polc_trie_l1(l1, k[0] >> 16), 2, 14);
}

#endif /* POLC_TRIE_H */
