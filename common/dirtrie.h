/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirtrie.h: longest-prefix match on BPF ARRAY maps, the userspace side.
 *
 * A "dirtrie" is a multibit trie: the first level is indexed by the top 16
 * bits of the key, every further level by the next 8 bits.  It lives in three
 * BPF ARRAY maps (key u32) that userspace fills through mmap
 * (BPF_F_MMAPABLE) and BPF programs read with inlined array lookups
 * (bpf-templates/polc_trie.h).  This file is the builder, the reference
 * lookup and the description of the layout; it has no libbpf dependency and
 * works on plain memory: point a struct dirtrie at mmap'd maps or at
 * malloc'd buffers.
 *
 * THE LAYOUT (the contract with polc_trie.h):
 *
 *  Keys are W bits, W = 16 (ports), 32 (IPv4) or 128 (IPv6), given as
 *  `const uint32_t k[4]` of host-order words: a port or an IPv4 address in
 *  k[0] (a port in its low 16 bits), an IPv6 address with k[0] the most
 *  significant word (struct polc_pkt's src[4]/dst[4]).  "Bit 0" of a key is
 *  its most significant bit; top16(k) is bits 0..15 (the port itself for
 *  W = 16, k[0] >> 16 otherwise) and byte(k, i), i >= 2, is the i-th byte of
 *  the key read big-endian (bits 8i .. 8i+7).
 *
 *  l1     value struct dirtrie_node { uint32_t e[256]; } (1024 bytes),
 *         DIRTRIE_L1_ELEMS (513) elements.  Elements 0..255 are half 0,
 *         256..511 half 1: the l1 entry of a key in half h is
 *         l1[h * 256 + (top16 >> 8)].e[top16 & 255].  Element 512
 *         (DIRTRIE_L1_CTL) holds in e[0] the ACTIVE half (0 or 1); its
 *         e[16..23] record how each half was built (DIRTRIE_HDR_*, read by
 *         userspace only; BPF ignores them).
 *  nodes  value struct dirtrie_node, n_nodes >= 1 elements.
 *  bits   value struct dirtrie_bits { uint32_t w[8]; } (a 256-bit leaf
 *         bitmap), n_bits >= 1 elements.
 *
 *  Both value sizes are multiples of 8, so the kernel's element stride
 *  (round_up(value_size, 8)) is the C array stride and an mmap'd map is a
 *  plain array of these structs.
 *
 *  An entry (u32) is, by its top two bits:
 *    00  a leaf VALUE, 0 .. DIRTRIE_VALUE_MAX (0x3fffffff);
 *    10  a child node: nodes[e & 0x3fffffff], indexed by the next key byte;
 *    11  a child bitmap (membership tries only): bits[e & 0x3fffffff]; the
 *        result is bit b = next key byte of it: (w[b >> 5] >> (b & 31)) & 1;
 *    01  invalid (lookups return 0).
 *  A lookup reads the l1 entry, then follows children, one key byte per
 *  level: W = 16 stops at l1 (its entries are all values), W = 32 has at most
 *  2 levels after l1, W = 128 at most 14.  An index past a map's end reads
 *  as 0, as a failed BPF map lookup does.
 *
 * SEMANTICS: longest-prefix match over a list of (prefix, value) pairs, and a
 * default value for keys no prefix covers; a prefix of length 0 covers every
 * key (it overrides the default).  A membership set is the same with values
 * 0/1 (1: member; 0 carves a hole in a shorter prefix) and default 0; there a
 * last-level node whose entries are all 0/1 is stored as a bitmap.  A node
 * whose 256 entries are one value is not stored: the value is pushed up.
 *
 * BUILDING AND SWITCHING: a build writes a complete trie into the INACTIVE
 * half while BPF programs keep reading the active one, taking nodes and
 * bitmaps only from slots not reachable from the active half (found by
 * walking it: no allocator state is kept anywhere), then dirtrie_flip()
 * switches halves with one aligned 32-bit release store.  An incremental
 * build (dirtrie_update()) rebuilds only the l1 slots that changed prefixes
 * touch and copies every other entry of the active half, so the subtrees
 * below them are shared by both halves.
 *
 * The active half of a zeroed trie is 0, so its first build goes to half 1
 * and every later one to the half not in use: a trie built once and flipped
 * once is in half 1 (classifier tries, which never change, may read half 1
 * without looking up the active half).
 *
 * Readers still inside the old half when it is flipped away must be gone
 * before the next build overwrites its slots: BPF programs run under RCU, so
 * wait for a grace period between a flip and the next build (a userspace
 * update of an ARRAY_OF_MAPS/HASH_OF_MAPS element calls synchronize_rcu()
 * in the kernel; in practice any millisecond suffices, lookups take
 * nanoseconds).  One writer at a time per trie: builds are not thread-safe
 * against each other.
 *
 * SIZING for live updates: a build allocates only slots that the active half
 * does not reach, so the maps must hold the old trie and the new one at
 * once.  A full build needs free slots >= dirtrie_capacity() of the new list;
 * an incremental one needs at most that.  Rule: make n_nodes and n_bits at
 * least the live count (dirtrie_live()) plus dirtrie_capacity() of the new
 * list; for a set that may grow to a list of size C (capacity counts),
 * 2 * C (+ slack) never fails.  Without a prefix list, dirtrie_bound() gives
 * a worst case from the number of prefixes alone.
 *
 * Errors are negative errno values.  Nothing here allocates memory that
 * outlives a call except where said; no function keeps global state.
 */
#ifndef POLC_DIRTRIE_H
#define POLC_DIRTRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIRTRIE_FANOUT 256
#define DIRTRIE_L1_HALF 256         /* l1 elements per half */
#define DIRTRIE_L1_CTL 512          /* the l1 element holding the active half */
#define DIRTRIE_L1_ELEMS 513        /* max_entries of the l1 map */

#define DIRTRIE_VALUE_MAX 0x3fffffffu
#define DIRTRIE_TAG_MASK 0xc0000000u
#define DIRTRIE_TAG_NODE 0x80000000u
#define DIRTRIE_TAG_BITS 0xc0000000u
#define DIRTRIE_INDEX_MASK 0x3fffffffu
#define DIRTRIE_INDEX_MAX DIRTRIE_INDEX_MASK /* capacities are at most 2^30 */

/* Per half h, l1[DIRTRIE_L1_CTL].e[DIRTRIE_HDR_BASE + 4 * h + ...]: */
#define DIRTRIE_HDR_BASE 16
#define DIRTRIE_HDR_MAGIC 0       /* DIRTRIE_MAGIC once a build completed */
#define DIRTRIE_HDR_PARAMS 1      /* width | membership << 8 */
#define DIRTRIE_HDR_DEFAULT 2     /* the default value */
#define DIRTRIE_MAGIC 0x64747269u /* "dtri" */

/* In a change list given to dirtrie_merge(): remove this prefix. */
#define DIRTRIE_REMOVE UINT32_MAX

struct dirtrie_node {
	uint32_t e[DIRTRIE_FANOUT];
};

struct dirtrie_bits {
	uint32_t w[DIRTRIE_FANOUT / 32];
};

/*
 * One trie's maps as memory, owned by the caller (mmap'd maps or malloc'd
 * buffers; zero-filled memory is a valid empty trie: every key gives 0).
 */
struct dirtrie {
	struct dirtrie_node *l1;    /* DIRTRIE_L1_ELEMS elements */
	struct dirtrie_node *nodes; /* n_nodes elements */
	struct dirtrie_bits *bits;  /* n_bits elements */
	uint32_t n_nodes;           /* 1 .. DIRTRIE_INDEX_MAX */
	uint32_t n_bits;            /* 1 .. DIRTRIE_INDEX_MAX */
	unsigned width;             /* 16, 32 or 128 */
	bool membership;            /* values 0/1, last-level bitmaps */
};

/*
 * A prefix: key k (layout above), length len (0 .. width) and its value.
 * Bits past len are ignored (dirtrie_normalise() clears them).
 */
struct dirtrie_prefix {
	uint32_t k[4];
	uint32_t len;
	uint32_t value;
};

/* Nodes and bitmaps: what a prefix list needs, or what a trie uses. */
struct dirtrie_size {
	uint64_t nodes;
	uint64_t bits;
};

/*
 * Sort a prefix list in place into the order every builder wants (by key,
 * then by length: a prefix comes before the prefixes it contains), clear the
 * bits past each length and drop duplicates: of identical (key, len) the
 * LATER one in the input wins.  *n is updated.  Any values are accepted
 * (DIRTRIE_REMOVE too, for change lists).  Uses a temporary buffer of *n
 * prefixes.  -EINVAL: bad width, a len > width, a W = 16 key above 0xffff;
 * -ENOMEM.  On error the list is unchanged.
 */
int dirtrie_normalise(struct dirtrie_prefix *p, size_t *n, unsigned width);

/* 1 when p[0..n) is normalised for width (sorted, no duplicates, no bits
 * past the lengths), else 0. */
int dirtrie_is_normalised(const struct dirtrie_prefix *p, size_t n,
			  unsigned width);

/*
 * Apply a change list to a normalised list: out = base with every prefix of
 * chg added or replaced, and those whose value is DIRTRIE_REMOVE taken out.
 * base and chg must be normalised; out (room for nb + nc, not overlapping
 * either) receives a normalised list, its length in *n_out.  O(nb + nc).
 * -EINVAL when an input is not normalised.
 */
int dirtrie_merge(const struct dirtrie_prefix *base, size_t nb,
		  const struct dirtrie_prefix *chg, size_t nc, unsigned width,
		  struct dirtrie_prefix *out, size_t *n_out);

/*
 * The exact nodes and bitmaps a build of the normalised list p[0..n) with
 * this default needs (a dry run of the builder: same cost, no writes).
 * -EINVAL: not normalised, bad width, a value out of range (above
 * DIRTRIE_VALUE_MAX, or not 0/1 for a membership trie).
 */
int dirtrie_capacity(const struct dirtrie_prefix *p, size_t n, unsigned width,
		     bool membership, uint32_t dflt, struct dirtrie_size *out);

/*
 * A worst case for any list of n prefixes (for sizing maps before the list
 * is known).  Tight for IPv4 sets; very loose for IPv6, where
 * dirtrie_capacity() of the real list is the better guide.
 */
void dirtrie_bound(unsigned width, bool membership, uint64_t n,
		   struct dirtrie_size *out);

/*
 * Build the normalised list p[0..n) with default dflt into the inactive half
 * of t, using only node and bitmap slots the active half does not reach.
 * The active half is only read.  Does not switch: call dirtrie_flip().
 * -EINVAL: bad arguments (see dirtrie_capacity()), a trie description that
 * does not fit; -EUCLEAN: the active half is corrupt (an index out of range,
 * a node or bitmap reached twice, a child where none can be); -ENOSPC: not
 * enough free slots (the inactive half is then left marked unbuilt);
 * -ENOMEM.  Temporary memory: two bitsets of the capacities.
 */
int dirtrie_build(struct dirtrie *t, const struct dirtrie_prefix *p, size_t n,
		  uint32_t dflt);

/*
 * Incremental build: the same result as dirtrie_build(t, p, n, dflt), where
 * p[0..n) is the complete new list (normalised) and chg[0..nc) (any order,
 * any values, duplicates allowed) every prefix added, removed or whose value
 * changed since the list the active half was built from.  Only the l1 slots
 * the changed prefixes touch are rebuilt (a prefix of length < 16 touches
 * 2^(16 - len) slots); every other l1 entry is copied from the active half,
 * sharing its subtree.  The active half must have been built by
 * dirtrie_build()/dirtrie_update() with the same width, membership and
 * default, else -ESTALE (do a full build).  Other errors as dirtrie_build().
 */
int dirtrie_update(struct dirtrie *t, const struct dirtrie_prefix *p, size_t n,
		   const struct dirtrie_prefix *chg, size_t nc, uint32_t dflt);

/*
 * Make the half the last successful build wrote the active one: one aligned
 * 32-bit store with release ordering, so that every node, bitmap and l1
 * write of the build is visible to a reader that sees the new half.
 * -EINVAL when the inactive half holds no completed build (a failed build,
 * or flipping twice).
 */
int dirtrie_flip(struct dirtrie *t);

/* The active half, 0 or 1 (an acquire load). */
unsigned dirtrie_active(const struct dirtrie *t);

/* Longest-prefix match of key k in the active half: what BPF returns. */
uint32_t dirtrie_lookup(const struct dirtrie *t, const uint32_t k[4]);
/* The same in a given half (0 or 1), e.g. the one just built. */
uint32_t dirtrie_lookup_half(const struct dirtrie *t, unsigned half,
			     const uint32_t k[4]);

/*
 * Nodes and bitmaps reachable from a half (for status output: the live
 * trie is dirtrie_active()'s half).  -EUCLEAN when the half is corrupt;
 * -ENOMEM.
 */
int dirtrie_live(const struct dirtrie *t, unsigned half,
		 struct dirtrie_size *out);

#endif /* POLC_DIRTRIE_H */
