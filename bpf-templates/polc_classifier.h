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

#endif /* POLC_CLASSIFIER_H */
