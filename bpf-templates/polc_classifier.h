/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_classifier.h: what the classifier plan's generated code reads.
 *
 * Every classifier map is an array of trie nodes (256 u32 entries each,
 * so that polctl can fill it through mmap without the kernel's 8-byte
 * element stride getting in the way); entry i lives in node i / 256.  The
 * field encodings match compiler/ir.h (IR_L4A_*, IR_L4B_*).
 */
#ifndef POLC_CLASSIFIER_H
#define POLC_CLASSIFIER_H

#include "polc_prog.h"
#include "polc_trie.h"

#define POLC_L4A_ICMP4 65536u
#define POLC_L4A_ICMP6 65792u
#define POLC_L4A_NONE 66048u
#define POLC_L4B_ICMP 65536u
#define POLC_L4B_NONE 65792u

/*
 * The verifier checks a global function once, on its own, so it cannot know
 * what this one returns: a value that went through it is an unknown scalar
 * to the caller, and precision marks stop here.  The set bits of a
 * classifier are a different constant on each path (2^n paths for n
 * lookups); indexing a table with them makes them precise, states that
 * differ in them are never pruned, and a policy of ten sets walks past the
 * verifier's 1M-instruction limit.  The planner sends the bits through this
 * when there are several (a call, a few ns).  The asm keeps clang from
 * seeing that the result is the argument.
 */
__attribute__((noinline)) int polc_opaque(__u32 x)
{
	asm volatile("" : "+r"(x));
	return x;
}

/* Entry i of an array of nodes; 0 past its end. */
static __always_inline __u32 polc_node_get(void *map, __u32 i)
{
	__u32 k = i >> 8;
	struct polc_trie_node *n = bpf_map_lookup_elem(map, &k);

	return n ? n->e[i & 255] : 0;
}

/* The source port, or the ICMP type in its family's range, or "none". */
static __always_inline __u32 polc_l4a(const struct polc_pkt *p)
{
	if (!p->has_l4)
		return POLC_L4A_NONE;
	if (p->l4proto == POLC_IPPROTO_TCP || p->l4proto == POLC_IPPROTO_UDP)
		return p->sport;
	if (p->family == 4 && p->l4proto == POLC_IPPROTO_ICMP)
		return POLC_L4A_ICMP4 + p->icmp_type;
	if (p->family == 6 && p->l4proto == POLC_IPPROTO_ICMPV6)
		return POLC_L4A_ICMP6 + p->icmp_type;
	return POLC_L4A_NONE;
}

/* The destination port, or the ICMP code, or "none". */
static __always_inline __u32 polc_l4b(const struct polc_pkt *p)
{
	if (!p->has_l4)
		return POLC_L4B_NONE;
	if (p->l4proto == POLC_IPPROTO_TCP || p->l4proto == POLC_IPPROTO_UDP)
		return p->dport;
	if ((p->family == 4 && p->l4proto == POLC_IPPROTO_ICMP) ||
	    (p->family == 6 && p->l4proto == POLC_IPPROTO_ICMPV6))
		return POLC_L4B_ICMP + p->icmp_code;
	return POLC_L4B_NONE;
}

/*
 * Classifier tries never change once loaded: polctl builds each one once,
 * into half 1 of its fresh l1 map (a build goes to the half not in use,
 * and the zeroed map uses half 0), and checks that it did.  Reading that
 * half directly saves the lookup of the active half.
 */
#define POLC_CTRIE_HALF 1

static __always_inline __u32 polc_ctrie_l1(void *l1, __u32 top16)
{
	__u32 i = POLC_CTRIE_HALF * POLC_TRIE_L1_HALF + ((top16 >> 8) & 0xff);
	struct polc_trie_node *n = bpf_map_lookup_elem(l1, &i);

	return n ? n->e[top16 & 0xff] : 0;
}

static __always_inline __u32 polc_ctrie_lookup32(void *l1, void *nodes, void *bits,
						 const __u32 *k)
{
	return polc_trie_walk(nodes, bits, k, polc_ctrie_l1(l1, k[0] >> 16), 2, 2);
}

static __always_inline __u32 polc_ctrie_lookup128(void *l1, void *nodes, void *bits,
						  const __u32 *k)
{
	return polc_trie_walk_rolled(nodes, bits, k, polc_ctrie_l1(l1, k[0] >> 16), 2, 14);
}

#endif /* POLC_CLASSIFIER_H */
