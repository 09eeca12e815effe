/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_nat.h: DNAT and SNAT on tc, on top of conntrack (polc_ct.h).
 *
 * A flow's translation is decided once, when its first packet passes a dnat
 * or snat rule, and kept in both of its conntrack entries (the translated
 * tuple): every later packet is rewritten from the entry it hits, forward
 * packets to the backend / from the SNAT address, replies back.  Maps
 * changing later do not touch existing flows.  tc only: XDP has no NAT.
 *
 * NEW FLOWS: <name>_nat_open(), after a dnat or snat rule passed the packet.
 *
 *  DNAT, service `index`: element index of "<name>_nat_svc" (an ARRAY by
 *  service id) gives the backend slots [first, first + count) of
 *  "<name>_nat_be" and the balance:
 *   - RANDOM       first + bpf_get_prandom_u32() % count;
 *   - ROUND_ROBIN  first + (atomic fetch-and-add of "<name>_nat_rr"[index]) % count;
 *   - MAGLEV       "<name>_nat_maglev"[maglev_base + polc_nat_flow_hash(key) %
 *                  maglev_size], an absolute slot (tables built by common/maglev.c):
 *                  the same flow picks the same backend on every node, and
 *                  again after its entry is lost.
 *  The destination becomes the backend's address and port (port 0: the
 *  packet's own; ICMP echo: the address only).
 *
 *  SNAT, rule `index`: element 2 * index + (IPv6) of "<name>_nat_snat"
 *  gives the source address and the port range (0-0: 1024-65535);
 *  <name>_ct_create() allocates the port (TCP/UDP) or echo identifier: the
 *  packet's own if in range, then linear probing from a hash of the flow,
 *  taking the first whose reply key it can claim with BPF_NOEXIST, so two
 *  flows never share one on any CPU.
 *
 *  Drops, counted in "<name>_ct_stats": NAT_UNTRACKABLE (the packet cannot
 *  open a flow: not NEW for conntrack, TCP without a lone SYN, fragment),
 *  NAT_NO_BACKEND (no service, count 0, or a slot without a backend of the
 *  packet's family), NAT_NO_ADDRESS (SNAT element of family 0 or the other
 *  family), NAT_EXHAUSTED (by <name>_ct_create()), CONFLICT (its reply key
 *  is another live flow's).
 *
 * POOLS are double buffered: a service's slots are one half of
 * [2 * id * POLC_NAT_POOL_MAX, (2 * id + 2) * POLC_NAT_POOL_MAX) (maglev:
 * of its two tables); userspace fills the other half and then rewrites the
 * service element.  A maglev slot outside [first, first + count) is
 * refused (NO_BACKEND): a table never sends a flow into the other half.
 *
 * REWRITING (polc_nat_tc()): addresses, then ports or the echo identifier,
 * with the kernel's checksum helpers where the skb's checksum state matters,
 * so that skbs whose checksum is complete, partial or none all stay right:
 *  - IPv4: the address, port and header checksum are written directly into
 *    the packet (the header checksum is never offloaded, and it balances
 *    the address bytes in skb->csum; a port's change is balanced by the L4
 *    checksum's): helper calls cost ~15 ns each on the established path;
 *  - L4 (TCP, UDP, ICMPv6; not ICMPv4, which has no pseudo-header) for an
 *    address: bpf_l4_csum_replace() with BPF_F_PSEUDO_HDR (IPv4: once for
 *    both addresses, with their checksum difference).  On
 *    CHECKSUM_PARTIAL the field holds the pseudo-header sum, which the
 *    helper moves by +diff; on CHECKSUM_COMPLETE it also moves skb->csum by
 *    -diff, right for IPv4 (the header checksum compensates the address
 *    bytes) and, for IPv6, balanced by storing the addresses with
 *    BPF_F_RECOMPUTE_CSUM (which adds the bytes' +diff): correct on every
 *    kernel, without 6.16's BPF_F_IPV6;
 *  - ports and identifiers: bpf_l4_csum_replace() without the flag (on
 *    CHECKSUM_PARTIAL the device sums the new bytes: the field stays);
 *  - UDP: BPF_F_MARK_MANGLED_0: a checksum of 0 ("none", IPv4) stays 0,
 *    a computed 0 is sent as 0xffff.
 * ICMP errors about a NAT flow pass untranslated (polc_ct.h).  No NAT
 * between families.
 *
 * CALLS AND STACK.  A BPF function takes at most five arguments:
 * <name>_nat_open() is an inline wrapper that packs its scalars
 * (POLC_NAT_OP()) for the global <name>_nat_open_op(), verified once.  The
 * choice of a backend or address is a function of its own, a leaf
 * (<name>_nat_request()), so that what it spills (the Maglev hash) is not
 * on the deepest path of the 512-B stack, program -> _nat_open_op() ->
 * _ct_create() -> its bpf_loop() callback; the request it fills is in a
 * per-CPU map ("<name>_nat_scratch").  Frames (clang 14, test_nat.c): a tc
 * program 184 B, _nat_open_op() 40, _ct_create() 168, the callback 8:
 * 400 B; polc_nat_tc() (128) and _nat_request() (72) are leaves.
 *
 * USE (what polc generates; tests/bpf/test_nat.c has complete programs):
 *
 *	POLC_CT_DEFINE(pol_lb, 65536)
 *	POLC_NAT_DEFINE(pol_lb, services, snats, maglev_services)
 *	...
 *	r = POLC_CT_LOOKUP(pol_lb, tc, ctx, &pkt, len, &ct);
 *	if (polc_ct_passes(r))
 *		return polc_tc_action(polc_nat_apply_tc(ctx, &pkt, &ct));
 *	...a dnat rule (id 1, service 0) passed the packet:
 *		verdict = pol_lb_nat_open(ctx, &pkt, len, r, 1, POLC_NAT_DNAT, 0, &ct);
 *	and the companion, after POLC_CT_TRACK():
 *		return polc_tc_action(polc_nat_apply_tc(ctx, &pkt, &ct));
 */
#ifndef POLC_NAT_H
#define POLC_NAT_H

#include "polc_ct.h"

static __u32 (*bpf_get_prandom_u32)(void) = (void *)7;
static long (*bpf_skb_store_bytes)(void *skb, __u32 offset, const void *from, __u32 len,
				   __u64 flags) = (void *)9;
static long (*bpf_l3_csum_replace)(void *skb, __u32 offset, __u64 from, __u64 to,
				   __u64 size) = (void *)10;
static long (*bpf_l4_csum_replace)(void *skb, __u32 offset, __u64 from, __u64 to,
				   __u64 flags) = (void *)11;
static __s64 (*bpf_csum_diff)(__be32 *from, __u32 from_size, __be32 *to, __u32 to_size,
			      __u32 seed) = (void *)28;

/* helper flags (uapi/linux/bpf.h) */
#define POLC_BPF_F_RECOMPUTE_CSUM (1ULL << 0)
#define POLC_BPF_F_PSEUDO_HDR (1ULL << 4)
#define POLC_BPF_F_MARK_MANGLED_0 (1ULL << 5)

/* ---- the flow hash (Maglev) ------------------------------------------------ */

static __always_inline __u32 polc_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One murmur3 block. */
static __always_inline __u32 polc_murmur_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51u;
	k = polc_rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = polc_rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

/*
 * The hash Maglev indexes its table with: murmur3 (seed 0) of the key's ten
 * 32-bit words (src[4], dst[4], sport << 16 | dport, family << 8 | proto),
 * deterministic so every node picks alike.  common/maglev.c has the same
 * function in C (maglev_flow_hash()), for the interpreter and the tests.
 */
static __always_inline __u32 polc_nat_flow_hash(const struct polc_ct_key *k)
{
	__u32 h = 0;

#pragma unroll
	for (int i = 0; i < 4; i++)
		h = polc_murmur_mix(h, k->src[i]);
#pragma unroll
	for (int i = 0; i < 4; i++)
		h = polc_murmur_mix(h, k->dst[i]);
	h = polc_murmur_mix(h, ((__u32)k->sport << 16) | k->dport);
	h = polc_murmur_mix(h, ((__u32)k->family << 8) | k->proto);
	h ^= 40;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* ---- new flows ---------------------------------------------------------------- */

/* A request that translates nothing yet: the flow's own tuple. */
static __always_inline void polc_nat_req_init(struct polc_ct_nat_req *req,
					      const struct polc_ct_key *k)
{
	__builtin_memset(req, 0, sizeof(*req));
#pragma unroll
	for (int i = 0; i < 4; i++) {
		req->xsrc[i] = k->src[i];
		req->xdst[i] = k->dst[i];
	}
	req->xsport = k->sport;
	req->xdport = k->dport;
}

/*
 * DNAT to service `index`: pick a backend, fill req.  0, or the
 * POLC_CT_STAT_NAT_* the packet is dropped under.
 */
static __always_inline int polc_nat_dnat_req(void *svcmap, void *bemap, void *mgmap,
					     void *rrmap, __u32 index,
					     const struct polc_ct *c,
					     struct polc_ct_nat_req *req)
{
	struct polc_nat_svc *s = bpf_map_lookup_elem(svcmap, &index);
	struct polc_nat_backend *b;
	__u32 slot;

	if (!s)
		return POLC_CT_STAT_NAT_NO_BACKEND;
	__u32 count = s->count, first = s->first;
	if (!count)
		return POLC_CT_STAT_NAT_NO_BACKEND;
	if (s->balance == POLC_NAT_BALANCE_ROUND_ROBIN) {
		__u32 *ctr = bpf_map_lookup_elem(rrmap, &index);
		if (!ctr)
			return POLC_CT_STAT_NAT_NO_BACKEND;
		slot = first + __sync_fetch_and_add(ctr, 1) % count;
	} else if (s->balance == POLC_NAT_BALANCE_MAGLEV) {
		__u32 m = s->maglev_size;
		if (!m)
			return POLC_CT_STAT_NAT_NO_BACKEND;
		__u32 i = s->maglev_base + polc_nat_flow_hash(&c->key) % m;
		__u32 *t = bpf_map_lookup_elem(mgmap, &i);
		if (!t || *t - first >= count)
			return POLC_CT_STAT_NAT_NO_BACKEND;
		slot = *t;
	} else {
		slot = first + bpf_get_prandom_u32() % count;
	}
	b = bpf_map_lookup_elem(bemap, &slot);
	if (!b || b->family != c->key.family)
		return POLC_CT_STAT_NAT_NO_BACKEND;
	polc_nat_req_init(req, &c->key);
#pragma unroll
	for (int i = 0; i < 4; i++)
		req->xdst[i] = b->addr[i];
	/* an echo keeps its type in dport: only the address changes */
	if (b->port && !polc_ct_is_icmp(c->key.proto))
		req->xdport = b->port;
	req->backend = slot;
	req->nat = POLC_CT_NAT_DST;
	req->flags = POLC_CT_F_DNAT;
	return 0;
}

/* SNAT by rule `index`: fill req.  0 or POLC_CT_STAT_NAT_NO_ADDRESS. */
static __always_inline int polc_nat_snat_req(void *snatmap, __u32 index,
					     const struct polc_ct *c,
					     struct polc_ct_nat_req *req)
{
	__u32 i = 2 * index + (c->key.family == 6);
	struct polc_nat_snat *s = bpf_map_lookup_elem(snatmap, &i);

	if (!s || !s->family || s->family != c->key.family)
		return POLC_CT_STAT_NAT_NO_ADDRESS;
	polc_nat_req_init(req, &c->key);
#pragma unroll
	for (int k = 0; k < 4; k++)
		req->xsrc[k] = s->addr[k];
	req->port_min = s->port_min;
	req->port_max = s->port_max;
	if (!req->port_max) {
		req->port_min = POLC_NAT_SNAT_PORT_MIN_DEFAULT;
		req->port_max = POLC_NAT_SNAT_PORT_MAX_DEFAULT;
	}
	req->nat = POLC_CT_NAT_SRC;
	req->flags = POLC_CT_F_SNAT;
	return 0;
}

/*
 * <name>_nat_open()'s last four scalars in one argument (a BPF function
 * takes at most five): rule id, service or snat index, enum polc_nat_kind,
 * the lookup's result.
 */
#define POLC_NAT_OP(r, rule, kind, index)                                              \
	(((__u64)(__u32)(rule) << 32) | ((__u64)((index) & 0xffffffu) << 8) |           \
	 (((__u64)(kind) & 0xf) << 4) | ((__u64)(r) & 0xf))
#define POLC_NAT_OP_R(op) ((int)((op) & 0xf))
#define POLC_NAT_OP_KIND(op) ((__u32)((op) >> 4) & 0xf)
#define POLC_NAT_OP_INDEX(op) ((__u32)((op) >> 8) & 0xffffffu)
#define POLC_NAT_OP_RULE(op) ((__u32)((op) >> 32))

/* ---- rewriting (tc) ------------------------------------------------------------ */

/* One's complement arithmetic on words as they are in the packet. */
static __always_inline __u32 polc_csum_fold32(__u64 s)
{
	s = (s & 0xffffffffull) + (s >> 32);
	return (__u32)((s & 0xffffffffull) + (s >> 32));
}

/* RFC 1624, eqn. 3: header checksum hc after changes whose sum of
 * (~old + new) words is d. */
static __always_inline __u16 polc_csum_apply(__u16 hc, __u64 d)
{
	__u64 s = (__u16)~hc + (__u64)polc_csum_fold32(d);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/*
 * IPv4: addresses, port or echo identifier and header checksum written in
 * place; then the L4 checksum by the helpers (their skb-state rules): one
 * call for the addresses' pseudo-header difference, one for the port.
 * l4flags: 0 for ICMP (no pseudo-header).
 */
static __always_inline long polc_nat_tc4(struct __sk_buff *skb, const struct polc_pkt *p,
					 const struct polc_ct *c, __u32 sum, __u64 l4flags,
					 __u64 mangled, int echo)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct polc_iphdr *ip = data + polc_ct_bound_off(p->l3_off);
	__u16 *l4h = data + polc_ct_bound_off(p->l4_off);
	__u8 nat = c->nat;
	__u64 d = 0;
	__u16 po = 0, pn = 0;

	/* 8 bytes: the ports, or the echo header */
	if ((void *)(ip + 1) > end || (void *)(l4h + 4) > end)
		return -1;
	if ((nat & POLC_CT_NAT_SRC) && p->src[0] != c->xsrc[0]) {
		__u32 n = polc_bswap32(c->xsrc[0]);
		d += (__u32)~ip->saddr;
		d += n;
		ip->saddr = n;
	}
	if ((nat & POLC_CT_NAT_DST) && p->dst[0] != c->xdst[0]) {
		__u32 n = polc_bswap32(c->xdst[0]);
		d += (__u32)~ip->daddr;
		d += n;
		ip->daddr = n;
	}
	if (d)
		ip->check = polc_csum_apply(ip->check, d);
	/* at most one 16-bit field changes: the echo identifier, the source
	 * port (snat) or the destination port (dnat) */
	__u16 *f = 0;
	if (echo) {
		if (p->echo_id != c->xsport) {
			f = &l4h[2];
			pn = polc_bswap16(c->xsport);
		}
	} else if ((nat & POLC_CT_NAT_SRC) && p->sport != c->xsport) {
		f = &l4h[0];
		pn = polc_bswap16(c->xsport);
	} else if ((nat & POLC_CT_NAT_DST) && p->dport != c->xdport) {
		f = &l4h[1];
		pn = polc_bswap16(c->xdport);
	}
	if (f) {
		po = *f;
		*f = pn;
	}
	/* packet pointers are invalid from here */
	long err = 0;
	if (d && l4flags)
		err |= bpf_l4_csum_replace(skb, sum, 0, polc_csum_fold32(d), l4flags);
	if (f)
		err |= bpf_l4_csum_replace(skb, sum, po, pn, (echo ? 0 : mangled) | 2);
	return err;
}

/* An IPv6 address at l3 + off (its pseudo-header change, see above). */
static __always_inline long polc_nat_addr6(struct __sk_buff *skb, __u32 l3, __u32 off,
					   __u32 sum, const __u32 *from, const __u32 *to,
					   __u64 l4flags)
{
	__be32 o[4], n[4];

#pragma unroll
	for (int i = 0; i < 4; i++) {
		o[i] = polc_bswap32(from[i]);
		n[i] = polc_bswap32(to[i]);
	}
	long err = bpf_skb_store_bytes(skb, l3 + off, n, 16, POLC_BPF_F_RECOMPUTE_CSUM);
	__s64 d = bpf_csum_diff(o, 16, n, 16, 0);
	if (d < 0)
		return -1;
	return err | bpf_l4_csum_replace(skb, sum, 0, (__u32)d, l4flags);
}

/* A 16-bit L4 field (port, echo identifier) at off. */
static __always_inline long polc_nat_field16(struct __sk_buff *skb, __u32 off, __u32 sum,
					     __u16 from, __u16 to, __u64 mangled)
{
	__u16 o = polc_bswap16(from), n = polc_bswap16(to);
	long err = bpf_skb_store_bytes(skb, off, &n, 2, 0);

	return err | bpf_l4_csum_replace(skb, sum, o, n, mangled | 2);
}

/*
 * Rewrite packet p to the translation c->nat and c's translated tuple say
 * (from a lookup or a creation).  0, or -1 if the packet is not one NAT
 * rewrites or a helper failed (the caller drops).  Packet pointers are
 * invalid afterwards.
 */
static __always_inline int polc_nat_tc_impl(struct __sk_buff *skb, const struct polc_pkt *p,
					    const struct polc_ct *c)
{
	__u8 proto = p->l4proto, nat = c->nat;
	int echo = polc_pkt_is_echo(p);
	__u32 coff;
	long err = 0;

	if (!p->has_l4 || p->frag)
		return -1;
	if (proto == POLC_IPPROTO_TCP)
		coff = 16;
	else if (proto == POLC_IPPROTO_UDP)
		coff = 6;
	else if (echo)
		coff = 2;
	else
		return -1;
	__u64 mangled = proto == POLC_IPPROTO_UDP ? POLC_BPF_F_MARK_MANGLED_0 : 0;
	/* ICMPv4 alone has no pseudo-header */
	__u64 l4flags = proto == POLC_IPPROTO_ICMP ? 0 : POLC_BPF_F_PSEUDO_HDR | mangled;
	__u32 l3 = p->l3_off, l4 = p->l4_off, sum = l4 + coff;

	if (p->family == 4) {
		/* written in place (polc_nat_tc4()): a translation changes one
		 * side of a packet, its source (snat, dnat replies) or its
		 * destination (dnat, snat replies) */
		return polc_nat_tc4(skb, p, c, sum, l4flags, mangled, echo) ? -1 : 0;
	} else {
		if (nat & POLC_CT_NAT_SRC)
			err |= polc_nat_addr6(skb, l3, 8, sum, p->src, c->xsrc, l4flags);
		if (nat & POLC_CT_NAT_DST)
			err |= polc_nat_addr6(skb, l3, 24, sum, p->dst, c->xdst, l4flags);
	}
	if (echo) {
		/* the identifier is the key's sport whichever side changes */
		if (p->echo_id != c->xsport)
			err |= polc_nat_field16(skb, l4 + 4, sum, p->echo_id, c->xsport, 0);
	} else {
		if ((nat & POLC_CT_NAT_SRC) && p->sport != c->xsport)
			err |= polc_nat_field16(skb, l4, sum, p->sport, c->xsport, mangled);
		if ((nat & POLC_CT_NAT_DST) && p->dport != c->xdport)
			err |= polc_nat_field16(skb, l4 + 2, sum, p->dport, c->xdport, mangled);
	}
	return err ? -1 : 0;
}

/* The rewrite as a global function (verified once).  0, or -1: drop. */
__noinline int polc_nat_tc(struct __sk_buff *skb, const struct polc_pkt *p,
			   const struct polc_ct *c)
{
	if (!skb || !p || !c)
		return -1;
	return polc_nat_tc_impl(skb, p, c);
}

/*
 * What a packet of a tracked flow gets (after a lookup that passes it, and
 * in the companion): PASS when c->nat is 0, else the rewrite; DROP when
 * that failed.  enum polc_verdict.
 */
static __always_inline __u32 polc_nat_apply_tc(struct __sk_buff *skb, const struct polc_pkt *p,
					       const struct polc_ct *c)
{
	if (polc_likely(!c->nat))
		return POLC_VERDICT_PASS;
	return polc_nat_tc(skb, p, c) ? POLC_VERDICT_DROP : POLC_VERDICT_PASS;
}

/*
 * The request for a new flow into req, from the packed arguments op: 0, or
 * the POLC_CT_STAT_NAT_* the packet is dropped under.  The body of the
 * per-policy <name>_nat_request().
 */
static __always_inline int polc_nat_request(void *svcmap, void *bemap, void *mgmap,
					    void *rrmap, void *snatmap,
					    const struct polc_pkt *p, __u64 op,
					    const struct polc_ct *c,
					    struct polc_ct_nat_req *req)
{
	__u32 kind = POLC_NAT_OP_KIND(op), index = POLC_NAT_OP_INDEX(op);

	if (POLC_NAT_OP_R(op) != POLC_CT_NEW || !c->trackable || !polc_ct_can_open(p))
		return POLC_CT_STAT_NAT_UNTRACKABLE;
	if (kind == POLC_NAT_DNAT)
		return polc_nat_dnat_req(svcmap, bemap, mgmap, rrmap, index, c, req);
	if (kind == POLC_NAT_SNAT)
		return polc_nat_snat_req(snatmap, index, c, req);
	return POLC_CT_STAT_NAT_UNTRACKABLE;
}

/* Working space of <name>_nat_open_op(), per CPU (see CALLS AND STACK). */
struct polc_nat_scratch {
	struct polc_ct_nat_req req;
};

/* ---- the API ------------------------------------------------------------------ */

/*
 * The NAT maps of policy `name` (after its POLC_CT_DEFINE(): the counters
 * are the conntrack table's, flows are created by its _ct_create()):
 *
 *   name_nat_svc     ARRAY[services] of struct polc_nat_svc, by service id
 *   name_nat_be      ARRAY[services * 2 * POLC_NAT_POOL_MAX] of struct polc_nat_backend
 *   name_nat_maglev  ARRAY[max(1, maglev_services * 2 * POLC_NAT_MAGLEV_M)] of __u32 slot
 *   name_nat_rr      ARRAY[services] of __u32, round-robin counters
 *   name_nat_snat    ARRAY[snats * 2] of struct polc_nat_snat, [2 * id + (IPv6)]
 *   name_nat_scratch PERCPU_ARRAY[1], working space
 *
 * and its functions:
 *
 * int name_nat_open(struct __sk_buff *skb, const struct polc_pkt *p, __u32 len,
 *		     int r, __u32 rule, __u32 kind, __u32 index, struct polc_ct *c)
 *	After rule `rule`, a dnat (kind POLC_NAT_DNAT, service `index`) or snat
 *	(POLC_NAT_SNAT, snat rule `index`) rule, passed packet p, whose lookup
 *	returned r into c: make the flow (backend or source port chosen) and
 *	rewrite the packet.  enum polc_verdict: PASS, or DROP (counted, see
 *	the top of this file).  Inline: it packs the scalars for
 *
 * int name_nat_open_op(struct __sk_buff *skb, const struct polc_pkt *p, __u32 len,
 *			__u64 op, struct polc_ct *c)
 *	the global function that does it (op: POLC_NAT_OP()).
 */
#define POLC_NAT_DEFINE(name, services, snats, maglev_services)                           \
	struct {                                                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                         \
		__uint(max_entries, services);                                            \
		__type(key, __u32);                                                       \
		__type(value, struct polc_nat_svc);                                       \
	} name##_nat_svc SEC(".maps");                                                    \
	struct {                                                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                         \
		__uint(max_entries, (services) * 2 * POLC_NAT_POOL_MAX);                  \
		__type(key, __u32);                                                       \
		__type(value, struct polc_nat_backend);                                   \
	} name##_nat_be SEC(".maps");                                                     \
	struct {                                                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                         \
		__uint(max_entries, (maglev_services) ? (maglev_services) * 2 * POLC_NAT_MAGLEV_M : 1); \
		__type(key, __u32);                                                       \
		__type(value, __u32);                                                     \
	} name##_nat_maglev SEC(".maps");                                                 \
	struct {                                                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                         \
		__uint(max_entries, services);                                            \
		__type(key, __u32);                                                       \
		__type(value, __u32);                                                     \
	} name##_nat_rr SEC(".maps");                                                     \
	struct {                                                                          \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                         \
		__uint(max_entries, (snats) * 2);                                         \
		__type(key, __u32);                                                       \
		__type(value, struct polc_nat_snat);                                      \
	} name##_nat_snat SEC(".maps");                                                   \
	struct {                                                                          \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                  \
		__uint(max_entries, 1);                                                   \
		__type(key, __u32);                                                       \
		__type(value, struct polc_nat_scratch);                                   \
	} name##_nat_scratch SEC(".maps");                                                \
	/* choosing, a leaf of its own (static: verified with its one caller):   \
	 * what it spills (the Maglev hash) is not in _nat_open_op()'s frame */   \
	static __noinline int name##_nat_request(const struct polc_pkt *p, __u64 op,      \
						 const struct polc_ct *c,                 \
						 struct polc_ct_nat_req *req)             \
	{                                                                                 \
		return polc_nat_request(&name##_nat_svc, &name##_nat_be, &name##_nat_maglev, \
					&name##_nat_rr, &name##_nat_snat, p, op, c, req); \
	}                                                                                 \
	__noinline int name##_nat_open_op(struct __sk_buff *skb, const struct polc_pkt *p, \
					  __u32 len, __u64 op, struct polc_ct *c)         \
	{                                                                                 \
		__u32 zero = 0;                                                           \
		struct polc_nat_scratch *sc = bpf_map_lookup_elem(&name##_nat_scratch, &zero); \
		int err;                                                                  \
                                                                                          \
		if (!skb || !p || !c || !sc)                                              \
			return POLC_VERDICT_DROP;                                         \
		err = name##_nat_request(p, op, c, &sc->req);                             \
		if (err) {                                                                \
			polc_count(&name##_ct_stats, err, len);                           \
			return POLC_VERDICT_DROP;                                         \
		}                                                                         \
		err = name##_ct_create(p, len, POLC_NAT_OP_RULE(op), &sc->req, c);        \
		if (err) {                                                                \
			/* EXHAUSTED and CONFLICT are counted by _ct_create() */          \
			if (err == POLC_CT_ENOTRACK)                                      \
				polc_count(&name##_ct_stats, POLC_CT_STAT_NAT_UNTRACKABLE, len); \
			return POLC_VERDICT_DROP;                                         \
		}                                                                         \
		return polc_nat_apply_tc(skb, p, c);                                      \
	}                                                                                 \
	static __always_inline int name##_nat_open(struct __sk_buff *skb,                 \
						   const struct polc_pkt *p, __u32 len, int r,  \
						   __u32 rule, __u32 kind, __u32 index,         \
						   struct polc_ct *c)                           \
	{                                                                                 \
		return name##_nat_open_op(skb, p, len, POLC_NAT_OP(r, rule, kind, index), c); \
	}

#endif /* POLC_NAT_H */
