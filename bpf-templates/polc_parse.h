/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_parse.h: turn a frame into the fields rules match on.
 *
 * The parser is shared by every hook.  It never lets a malformed or truncated
 * IP packet reach the rules: it returns the reason instead, and the program
 * drops and counts the packet under it.  Non-IP frames are reported as such
 * and passed by the caller.
 *
 * Semantics (see docs/language.md, "What a packet is"):
 *  - up to two VLAN tags (802.1Q, 802.1ad, 0x9100) are skipped; a frame with
 *    more is malformed (what it carries cannot be seen, so it cannot pass);
 *  - IPv4 options are skipped; IHL < 5, a total length shorter than the
 *    header or a version that disagrees with the ethertype is malformed;
 *  - up to POLC_MAX_EXT_HDRS IPv6 extension headers are walked; more is
 *    malformed;
 *  - a non-first fragment has no L4 header: rules that need ports, ICMP
 *    types or TCP flags do not match it; protocol and address rules do;
 *  - the L4 header must be complete (TCP data offset included) or the
 *    packet is truncated.
 */
#ifndef POLC_PARSE_H
#define POLC_PARSE_H

#define POLC_ETH_P_IP 0x0800
#define POLC_ETH_P_IPV6 0x86DD
#define POLC_ETH_P_8021Q 0x8100
#define POLC_ETH_P_8021AD 0x88A8
#define POLC_ETH_P_QINQ1 0x9100 /* pre-standard QinQ */

#define POLC_IPPROTO_HOPOPTS 0
#define POLC_IPPROTO_ICMP 1
#define POLC_IPPROTO_TCP 6
#define POLC_IPPROTO_UDP 17
#define POLC_IPPROTO_ROUTING 43
#define POLC_IPPROTO_FRAGMENT 44
#define POLC_IPPROTO_AH 51
#define POLC_IPPROTO_ICMPV6 58
#define POLC_IPPROTO_DSTOPTS 60
#define POLC_IPPROTO_MH 135

#define POLC_MAX_VLAN_TAGS 2
#define POLC_MAX_EXT_HDRS 6

/* Returned by polc_parse() when the packet goes on to the rules. */
#define POLC_PARSE_OK 0

/* The fields rules match on.  Addresses and ports are in host byte order;
 * an IPv4 address is in src[0]/dst[0]. */
struct polc_pkt {
	__u32 src[4];
	__u32 dst[4];
	__u16 sport;
	__u16 dport;
	__u8 family;    /* 4 or 6 */
	__u8 l4proto;   /* IP protocol / last IPv6 next header */
	__u8 has_l4;    /* 1 when the L4 header was read (not a later fragment) */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 tcp_flags;
	__u16 pad_;
	/* for connection tracking and NAT (polc_ct.h, polc_nat.h): */
	__u16 l3_off;  /* the IP header, bytes from the start of the frame */
	__u16 l4_off;  /* the L4 header (meaningful when has_l4) */
	__u16 echo_id; /* ICMP/ICMPv6: bytes 4-5, the identifier of an echo (when icmp_full) */
	__u8 icmp_full; /* ICMP/ICMPv6: the 8-byte header is there */
	__u8 frag;     /* a fragment, first or later (IPv4 MF or offset, IPv6 fragment header) */
};

/*
 * What only connection tracking and NAT read (l3_off, l4_off, echo_id,
 * icmp_full, frag): parsed when the program defines POLC_PARSE_FLOW before
 * it includes any template (polc_ct.h insists), skipped otherwise, so a
 * stateless policy does not pay for them.
 */
#ifdef POLC_PARSE_FLOW
#define POLC_FLOW(...) __VA_ARGS__
#else
#define POLC_FLOW(...)
#endif

#define POLC_ICMP_ECHO_REPLY 0
#define POLC_ICMP_ECHO_REQUEST 8
#define POLC_ICMPV6_ECHO_REQUEST 128
#define POLC_ICMPV6_ECHO_REPLY 129

struct polc_ethhdr {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct polc_vlanhdr {
	__be16 tci;
	__be16 proto;
};

struct polc_iphdr {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__be32 saddr;
	__be32 daddr;
};

struct polc_ipv6hdr {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

struct polc_tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res; /* data offset in the high nibble */
	__u8 flags;
	__be16 window;
	__u16 check;
	__be16 urg_ptr;
};

struct polc_udphdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__u16 check;
};

/*
 * Read the L4 header at l4, which may not extend past l4_end (the end of the
 * IP payload) nor data_end.
 */
static __always_inline int polc_parse_l4(struct polc_pkt *p, void *l4,
					 void *l4_end, void *data_end)
{
	if (p->l4proto == POLC_IPPROTO_TCP) {
		struct polc_tcphdr *th = l4;

		if ((void *)(th + 1) > data_end || (void *)(th + 1) > l4_end)
			return POLC_REASON_TRUNCATED;
		__u32 doff = (th->doff_res >> 4) * 4;
		if (doff < sizeof(*th))
			return POLC_REASON_MALFORMED;
		if (l4 + doff > l4_end)
			return POLC_REASON_TRUNCATED;
		p->sport = polc_bswap16(th->source);
		p->dport = polc_bswap16(th->dest);
		p->tcp_flags = th->flags;
		p->has_l4 = 1;
	} else if (p->l4proto == POLC_IPPROTO_UDP) {
		struct polc_udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end || (void *)(uh + 1) > l4_end)
			return POLC_REASON_TRUNCATED;
		p->sport = polc_bswap16(uh->source);
		p->dport = polc_bswap16(uh->dest);
		p->has_l4 = 1;
	} else if (p->l4proto == POLC_IPPROTO_ICMP ||
		   p->l4proto == POLC_IPPROTO_ICMPV6) {
		__u8 *ih = l4;

		/* type, code, checksum: what every ICMP message has */
		if ((void *)(ih + 4) > data_end || (void *)(ih + 4) > l4_end)
			return POLC_REASON_TRUNCATED;
		p->icmp_type = ih[0];
		p->icmp_code = ih[1];
		p->has_l4 = 1;
		/* an echo's identifier, for conntrack, when the 8-byte header
		 * is there (a shorter message is still parsed as before) */
		POLC_FLOW(if ((void *)(ih + 8) <= data_end && (void *)(ih + 8) <= l4_end) {
			p->echo_id = ((__u16)ih[4] << 8) | ih[5];
			p->icmp_full = 1;
		})
	}
	return POLC_PARSE_OK;
}

static __always_inline int polc_parse_ipv4(struct polc_pkt *p, void *l3,
					   void *data_end, __u32 l3_len)
{
	struct polc_iphdr *ip = l3;

	if ((void *)(ip + 1) > data_end)
		return POLC_REASON_TRUNCATED;
	if ((ip->ver_ihl >> 4) != 4)
		return POLC_REASON_MALFORMED;
	__u32 hlen = (ip->ver_ihl & 0x0f) * 4;
	__u32 tot_len = polc_bswap16(ip->tot_len);
	if (hlen < sizeof(*ip) || tot_len < hlen)
		return POLC_REASON_MALFORMED;
	if (tot_len > l3_len || l3 + hlen > data_end)
		return POLC_REASON_TRUNCATED;

	p->family = 4;
	p->l4proto = ip->protocol;
	p->src[0] = polc_bswap32(ip->saddr);
	p->dst[0] = polc_bswap32(ip->daddr);
	POLC_FLOW(p->l4_off = p->l3_off + hlen);
	__u16 frag_off = polc_bswap16(ip->frag_off);
	POLC_FLOW(p->frag = (frag_off & 0x3fff) != 0); /* MF or an offset */
	/* a later fragment carries no L4 header */
	if (frag_off & 0x1fff)
		return POLC_PARSE_OK;
	return polc_parse_l4(p, l3 + hlen, l3 + tot_len, data_end);
}

static __always_inline int polc_parse_ipv6(struct polc_pkt *p, void *l3,
					   void *data_end, __u32 l3_len)
{
	struct polc_ipv6hdr *ip6 = l3;

	if ((void *)(ip6 + 1) > data_end)
		return POLC_REASON_TRUNCATED;
	if ((polc_bswap32(ip6->ver_tc_flow) >> 28) != 6)
		return POLC_REASON_MALFORMED;
	__u32 plen = polc_bswap16(ip6->payload_len);
	if (plen == 0) /* jumbograms are not seen on links we attach to */
		return POLC_REASON_MALFORMED;
	if (sizeof(*ip6) + plen > l3_len)
		return POLC_REASON_TRUNCATED;

	p->family = 6;
	for (int i = 0; i < 4; i++) {
		p->src[i] = polc_bswap32(ip6->saddr[i]);
		p->dst[i] = polc_bswap32(ip6->daddr[i]);
	}

	void *end = l3 + sizeof(*ip6) + plen;
	__u8 *h = (void *)(ip6 + 1);
	__u8 nh = ip6->nexthdr;
	int later_fragment = 0;
	POLC_FLOW(__u32 hoff = sizeof(*ip6)); /* h - l3, kept as a number (cheaper to verify) */

#pragma unroll
	for (int i = 0; i < POLC_MAX_EXT_HDRS; i++) {
		__u32 hlen;

		switch (nh) {
		case POLC_IPPROTO_HOPOPTS:
		case POLC_IPPROTO_ROUTING:
		case POLC_IPPROTO_DSTOPTS:
		case POLC_IPPROTO_MH:
			if ((void *)(h + 8) > data_end || (void *)(h + 8) > end)
				return POLC_REASON_TRUNCATED;
			hlen = ((__u32)h[1] + 1) * 8;
			break;
		case POLC_IPPROTO_AH:
			if ((void *)(h + 8) > data_end || (void *)(h + 8) > end)
				return POLC_REASON_TRUNCATED;
			hlen = ((__u32)h[1] + 2) * 4;
			break;
		case POLC_IPPROTO_FRAGMENT:
			if ((void *)(h + 8) > data_end || (void *)(h + 8) > end)
				return POLC_REASON_TRUNCATED;
			hlen = 8;
			if (((h[2] << 8) | h[3]) & 0xfff8)
				later_fragment = 1;
			POLC_FLOW(p->frag = 1);
			break;
		default:
			goto done;
		}
		nh = h[0];
		h += hlen;
		POLC_FLOW(hoff += hlen);
		if ((void *)h > end)
			return POLC_REASON_TRUNCATED;
	}
	/* the loop ran out of budget while still inside extension headers */
	switch (nh) {
	case POLC_IPPROTO_HOPOPTS:
	case POLC_IPPROTO_ROUTING:
	case POLC_IPPROTO_DSTOPTS:
	case POLC_IPPROTO_MH:
	case POLC_IPPROTO_AH:
	case POLC_IPPROTO_FRAGMENT:
		return POLC_REASON_MALFORMED;
	}
done:
	p->l4proto = nh;
	POLC_FLOW(p->l4_off = p->l3_off + hoff);
	if (later_fragment)
		return POLC_PARSE_OK;
	return polc_parse_l4(p, h, end, data_end);
}

/*
 * Parse the frame in [data, data_end).  frame_len is the whole frame's length
 * (it can exceed data_end - data on tc, where only the head is linear).
 * Returns POLC_PARSE_OK or the enum polc_reason that decides the packet.
 */
static __always_inline int polc_is_vlan(__u16 proto)
{
	return proto == POLC_ETH_P_8021Q || proto == POLC_ETH_P_8021AD ||
	       proto == POLC_ETH_P_QINQ1;
}

static __always_inline int polc_parse(struct polc_pkt *p, void *data,
				      void *data_end, __u32 frame_len)
{
	struct polc_ethhdr *eth = data;
	__u32 off = sizeof(*eth);

	__builtin_memset(p, 0, sizeof(*p));
	if ((void *)(eth + 1) > data_end)
		return POLC_REASON_NON_IP; /* too short to carry IP at all */
	__u16 proto = polc_bswap16(eth->proto);

#pragma unroll
	for (int i = 0; i < POLC_MAX_VLAN_TAGS; i++) {
		if (!polc_is_vlan(proto))
			break;
		struct polc_vlanhdr *vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return POLC_REASON_TRUNCATED;
		proto = polc_bswap16(vh->proto);
		off += sizeof(*vh);
	}

	if (polc_is_vlan(proto))
		return POLC_REASON_MALFORMED; /* a third tag */
	if (frame_len < off)
		return POLC_REASON_TRUNCATED;
	POLC_FLOW(p->l3_off = off);
	if (proto == POLC_ETH_P_IP)
		return polc_parse_ipv4(p, data + off, data_end, frame_len - off);
	if (proto == POLC_ETH_P_IPV6)
		return polc_parse_ipv6(p, data + off, data_end, frame_len - off);
	return POLC_REASON_NON_IP;
}

#endif /* POLC_PARSE_H */
