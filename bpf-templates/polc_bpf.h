/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_bpf.h: the few BPF definitions generated programs need.
 *
 * polc embeds its templates and must work wherever clang does, so the
 * templates do not include kernel or libbpf headers.  What is declared here is
 * stable kernel ABI: the context structures (only the leading fields we read),
 * helper numbers and return codes.
 */
#ifndef POLC_BPF_H
#define POLC_BPF_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;

#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))
#define polc_likely(x) __builtin_expect(!!(x), 1)
#define polc_unlikely(x) __builtin_expect(!!(x), 0)

/* BTF-defined maps, read by libbpf from the ".maps" section. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LPM_TRIE = 11,
};

/* Map flag: the kernel never preallocates a trie; libbpf needs it said. */
#define BPF_F_NO_PREALLOC (1U << 0)

/* Helpers, by their stable numbers (include/uapi/linux/bpf.h). */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_skb_pull_data)(void *skb, __u32 len) = (void *)39;

/* The leading fields of struct xdp_md and struct __sk_buff (uapi). */
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 vlan_present;
	__u32 vlan_tci;
	__u32 vlan_proto;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
	__u32 tc_index;
	__u32 cb[5];
	__u32 hash;
	__u32 tc_classid;
	__u32 data;
	__u32 data_end;
};

enum xdp_action {
	XDP_ABORTED = 0,
	XDP_DROP = 1,
	XDP_PASS = 2,
};

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

#define polc_bswap16(x) __builtin_bswap16(x)
#define polc_bswap32(x) __builtin_bswap32(x)

#endif /* POLC_BPF_H */
