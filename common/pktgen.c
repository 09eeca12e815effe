// SPDX-License-Identifier: BSD-2-Clause
/*
 * pktgen.c: the packet builder (see pktgen.h).
 *
 * Layers are laid out as they are added; pkt_finish() then walks them to
 * fill in whatever depends on what follows a header.  Every multi-byte field
 * is written in network byte order through put16()/put32().
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static void __attribute__((noreturn, format(printf, 1, 2)))
pkt_die(const char *fmt, ...)
{
	va_list ap;

	fputs("pktgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void put16(uint8_t *at, uint16_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

static void put32(uint8_t *at, uint32_t v)
{
	put16(at, (uint16_t)(v >> 16));
	put16(at + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *at)
{
	return (uint16_t)(at[0] << 8 | at[1]);
}

static void parse_addr(int family, const char *text, uint8_t *out)
{
	if (!text)
		pkt_die("an IP header needs both addresses");
	if (inet_pton(family, text, out) != 1)
		pkt_die("'%s' is not an %s address", text,
			family == AF_INET ? "IPv4" : "IPv6");
}

/* Append a zeroed layer of len bytes and return its bytes. */
static uint8_t *push(struct pkt *p, enum pkt_layer_kind kind, size_t len,
		     uint16_t type)
{
	if (p->n_layers == PKT_MAX_LAYERS)
		pkt_die("more than %d layers", PKT_MAX_LAYERS);
	if (len > PKT_MAX_LEN - p->len)
		pkt_die("frame longer than %d bytes", PKT_MAX_LEN);
	struct pkt_layer *l = &p->layer[p->n_layers++];
	*l = (struct pkt_layer){ .kind = kind, .off = (uint16_t)p->len,
				 .len = (uint16_t)len, .type = type };
	uint8_t *at = p->data + p->len;
	memset(at, 0, len);
	p->len += len;
	return at;
}

void pkt_init(struct pkt *p)
{
	p->len = 0;
	p->n_layers = 0;
}

/* ---- L2 ------------------------------------------------------------------ */

void pkt_eth(struct pkt *p)
{
	uint8_t *h = push(p, PKT_L_ETH, PKT_ETH_HLEN, 0);

	memcpy(h, mac_dst, 6);
	memcpy(h + 6, mac_src, 6);
}

void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci)
{
	uint8_t *h = push(p, PKT_L_VLAN, 4, tpid);

	put16(h, tci);
}

void pkt_arp(struct pkt *p, const char *sender_ip, const char *target_ip)
{
	uint8_t *h = push(p, PKT_L_ARP, 28, PKT_ETH_P_ARP);

	put16(h, 1);            /* hardware: Ethernet */
	put16(h + 2, PKT_ETH_P_IP);
	h[4] = 6;
	h[5] = 4;
	put16(h + 6, 1);        /* request */
	memcpy(h + 8, mac_src, 6);
	parse_addr(AF_INET, sender_ip, h + 14);
	parse_addr(AF_INET, target_ip, h + 24);
}

void pkt_l2_raw(struct pkt *p, uint16_t ethertype, size_t len)
{
	uint8_t *h = push(p, PKT_L_L2_RAW, len, ethertype);

	for (size_t i = 0; i < len; i++)
		h[i] = (uint8_t)(0xa0 + i);
}

/* ---- IP -------------------------------------------------------------------- */

void pkt_ipv4(struct pkt *p, const struct pkt_ip *ip)
{
	if (ip->options_len % 4 || ip->options_len > 40)
		pkt_die("IPv4 options of %u bytes", ip->options_len);
	if (ip->frag_offset > 0x1fff)
		pkt_die("IPv4 fragment offset %u", ip->frag_offset);
	size_t hlen = 20u + ip->options_len;
	uint8_t *h = push(p, PKT_L_IPV4, hlen, PKT_ETH_P_IP);
	struct pkt_layer *l = &p->layer[p->n_layers - 1];

	h[0] = (uint8_t)(0x40 | hlen / 4);
	h[1] = ip->tos;
	put16(h + 4, ip->id);
	put16(h + 6, (uint16_t)((ip->df ? 0x4000 : 0) | (ip->mf ? 0x2000 : 0) |
				ip->frag_offset));
	h[8] = ip->ttl ? ip->ttl : 64;
	h[9] = ip->proto;
	l->keep_next = ip->proto != 0;
	parse_addr(AF_INET, ip->src, h + 12);
	parse_addr(AF_INET, ip->dst, h + 16);
	/* options: NOPs, the last one End of Options List */
	if (ip->options_len) {
		memset(h + 20, 0x01, ip->options_len);
		h[hlen - 1] = 0x00;
	}
}

void pkt_ipv6(struct pkt *p, const struct pkt_ip *ip)
{
	uint8_t *h = push(p, PKT_L_IPV6, 40, PKT_ETH_P_IPV6);
	struct pkt_layer *l = &p->layer[p->n_layers - 1];

	if (ip->options_len || ip->mf || ip->df || ip->frag_offset)
		pkt_die("IPv4 fields given for an IPv6 header");
	put32(h, 6u << 28 | (uint32_t)ip->tos << 20 | (ip->flow & 0xfffff));
	h[6] = ip->proto;
	l->keep_next = ip->proto != 0;
	h[7] = ip->ttl ? ip->ttl : 64;
	parse_addr(AF_INET6, ip->src, h + 8);
	parse_addr(AF_INET6, ip->dst, h + 24);
}

void pkt_ipv6_ext(struct pkt *p, uint8_t type, size_t len)
{
	uint8_t *h;

	switch (type) {
	case PKT_IPPROTO_HOPOPTS:
	case PKT_IPPROTO_ROUTING:
	case PKT_IPPROTO_DSTOPTS:
		if (len < 8 || len % 8 || len > 2048)
			pkt_die("extension header %u of %zu bytes", type, len);
		h = push(p, PKT_L_IPV6_EXT, len, type);
		h[1] = (uint8_t)(len / 8 - 1);
		if (type == PKT_IPPROTO_ROUTING) {
			h[2] = 4; /* segment routing; segments left 0 */
			h[3] = 0;
		} else {
			h[2] = 1; /* PadN over the rest */
			h[3] = (uint8_t)(len - 4);
		}
		break;
	case PKT_IPPROTO_AH:
		if (len < 12 || len % 4 || len > 1028)
			pkt_die("AH of %zu bytes", len);
		h = push(p, PKT_L_IPV6_EXT, len, type);
		h[1] = (uint8_t)(len / 4 - 2);
		put32(h + 4, 0x1000);   /* SPI */
		put32(h + 8, 1);        /* sequence number */
		break;
	default:
		pkt_die("%u is not an extension header pktgen builds", type);
	}
}

void pkt_ipv6_frag(struct pkt *p, uint16_t offset, bool more, uint32_t id)
{
	if (offset > 0x1fff)
		pkt_die("IPv6 fragment offset %u", offset);
	uint8_t *h = push(p, PKT_L_IPV6_FRAG, 8, PKT_IPPROTO_FRAGMENT);

	put16(h + 2, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	put32(h + 4, id);
}

/* ---- L4 -------------------------------------------------------------------- */

void pkt_tcp(struct pkt *p, const struct pkt_tcp *tcp)
{
	if (tcp->options_len % 4 || tcp->options_len > 40)
		pkt_die("TCP options of %u bytes", tcp->options_len);
	size_t hlen = 20u + tcp->options_len;
	uint8_t *h = push(p, PKT_L_TCP, hlen, PKT_IPPROTO_TCP);

	put16(h, tcp->sport);
	put16(h + 2, tcp->dport);
	put32(h + 4, tcp->seq);
	put32(h + 8, tcp->ack);
	h[12] = (uint8_t)(hlen / 4 << 4);
	h[13] = tcp->flags;
	put16(h + 14, tcp->window ? tcp->window : 65535);
	/* options: MSS when there is room, then NOPs and End of List */
	if (tcp->options_len) {
		uint8_t *o = h + 20;
		size_t n = tcp->options_len;
		memset(o, 0x01, n);
		o[n - 1] = 0x00;
		if (n >= 8) {
			o[0] = 2;
			o[1] = 4;
			put16(o + 2, 1460);
		}
	}
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = push(p, PKT_L_UDP, 8, PKT_IPPROTO_UDP);

	put16(h, sport);
	put16(h + 2, dport);
}

static void icmp_common(struct pkt *p, enum pkt_layer_kind kind, uint8_t proto,
			uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	uint8_t *h = push(p, kind, 8, proto);

	h[0] = type;
	h[1] = code;
	put16(h + 4, id);
	put16(h + 6, seq);
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id,
	      uint16_t seq)
{
	icmp_common(p, PKT_L_ICMP, PKT_IPPROTO_ICMP, type, code, id, seq);
}

void pkt_icmpv6(struct pkt *p, uint8_t type, uint8_t code, uint16_t id,
		uint16_t seq)
{
	icmp_common(p, PKT_L_ICMPV6, PKT_IPPROTO_ICMPV6, type, code, id, seq);
}

void pkt_payload(struct pkt *p, size_t len)
{
	uint8_t *h = push(p, PKT_L_PAYLOAD, len, 0);

	for (size_t i = 0; i < len; i++)
		h[i] = (uint8_t)i;
}

void pkt_payload_data(struct pkt *p, const void *data, size_t len)
{
	uint8_t *h = push(p, PKT_L_PAYLOAD, len, 0);

	memcpy(h, data, len);
}

/* ---- finishing ------------------------------------------------------------ */

static bool is_l2(enum pkt_layer_kind k)
{
	return k == PKT_L_ETH || k == PKT_L_VLAN;
}

static bool is_ip(enum pkt_layer_kind k)
{
	return k == PKT_L_IPV4 || k == PKT_L_IPV6;
}

static bool is_l4(enum pkt_layer_kind k)
{
	return k == PKT_L_TCP || k == PKT_L_UDP || k == PKT_L_ICMP ||
	       k == PKT_L_ICMPV6;
}

/* Does a layer of this kind carry an IP protocol number in .type? */
static bool has_ip_proto(enum pkt_layer_kind k)
{
	return is_l4(k) || k == PKT_L_IPV6_EXT || k == PKT_L_IPV6_FRAG;
}

/* End of the last layer: where the lengths of the headers end. */
static size_t layers_end(const struct pkt *p)
{
	size_t end = 0;

	for (unsigned i = 0; i < p->n_layers; i++)
		if ((size_t)p->layer[i].off + p->layer[i].len > end)
			end = (size_t)p->layer[i].off + p->layer[i].len;
	return end;
}

uint16_t pkt_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;
	uint64_t s = sum;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(b + i);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The unfolded sum of the pseudo-header for an L4 segment of len bytes. */
static uint32_t pseudo_sum(const struct pkt *p, const struct pkt_layer *ip,
			   uint8_t proto, size_t len)
{
	const uint8_t *h = p->data + ip->off;
	uint32_t s = 0;

	if (ip->kind == PKT_L_IPV4) {
		for (int i = 12; i < 20; i += 2)
			s += get16(h + i);
		s += proto;
		s += (uint32_t)len;
	} else {
		for (int i = 8; i < 40; i += 2)
			s += get16(h + i);
		s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
		s += proto;
	}
	return s;
}

/* The IP header an L4 layer belongs to: the closest one before it. */
static const struct pkt_layer *ip_before(const struct pkt *p, unsigned idx)
{
	for (unsigned i = idx; i-- > 0;)
		if (is_ip(p->layer[i].kind))
			return &p->layer[i];
	return NULL;
}

/* Offset of the checksum field in an L4 header. */
static size_t csum_field(enum pkt_layer_kind k)
{
	switch (k) {
	case PKT_L_TCP:
		return 16;
	case PKT_L_UDP:
		return 6;
	default:
		return 2;
	}
}

static uint16_t l4_csum(const struct pkt *p, unsigned idx, size_t end)
{
	const struct pkt_layer *l = &p->layer[idx];
	const struct pkt_layer *ip = ip_before(p, idx);
	size_t len = end > l->off ? end - l->off : 0;
	uint32_t sum = 0;

	if (l->kind != PKT_L_ICMP && ip)
		sum = pseudo_sum(p, ip, (uint8_t)l->type, len);
	return pkt_csum(p->data + l->off, len, sum);
}

static void fix_l4_csum(struct pkt *p, unsigned idx, size_t end)
{
	struct pkt_layer *l = &p->layer[idx];
	uint8_t *c = p->data + l->off + csum_field(l->kind);

	if (l->keep_csum)
		return;
	put16(c, 0);
	uint16_t sum = l4_csum(p, idx, end);
	if (sum == 0 && l->kind == PKT_L_UDP)
		sum = 0xffff; /* 0 means "no checksum" in UDP */
	put16(c, sum);
}

static void fix_ipv4_csum(struct pkt *p, const struct pkt_layer *l)
{
	uint8_t *h = p->data + l->off;

	put16(h + 10, 0);
	put16(h + 10, pkt_csum(h, l->len, 0));
}

/* The value a layer's "next" field gets for the layer after it. */
static bool next_value(const struct pkt *p, unsigned idx, bool want_ethertype,
		       uint16_t *out)
{
	if (idx + 1 >= p->n_layers)
		return false;
	const struct pkt_layer *n = &p->layer[idx + 1];
	if (want_ethertype) {
		if (is_l2(n->kind) || is_ip(n->kind) || n->kind == PKT_L_ARP ||
		    n->kind == PKT_L_L2_RAW) {
			*out = n->type;
			return true;
		}
		return false;
	}
	if (has_ip_proto(n->kind)) {
		*out = n->type;
		return true;
	}
	if (n->kind == PKT_L_IPV4) {
		*out = 4; /* IP in IP */
		return true;
	}
	if (n->kind == PKT_L_IPV6) {
		*out = 41;
		return true;
	}
	return false;
}

size_t pkt_finish(struct pkt *p)
{
	size_t end = layers_end(p);
	uint16_t v;

	/* lengths and next-protocol fields */
	for (unsigned i = 0; i < p->n_layers; i++) {
		struct pkt_layer *l = &p->layer[i];
		uint8_t *h = p->data + l->off;

		switch (l->kind) {
		case PKT_L_ETH:
			if (!l->keep_next && next_value(p, i, true, &v))
				put16(h + 12, v);
			break;
		case PKT_L_VLAN:
			if (!l->keep_next && next_value(p, i, true, &v))
				put16(h + 2, v);
			break;
		case PKT_L_IPV4:
			if (!l->keep_next)
				h[9] = next_value(p, i, false, &v) ? (uint8_t)v : 255;
			if (!l->keep_len)
				put16(h + 2, (uint16_t)(end - l->off));
			break;
		case PKT_L_IPV6:
			if (!l->keep_next)
				h[6] = next_value(p, i, false, &v) ? (uint8_t)v
								   : PKT_IPPROTO_NONE;
			if (!l->keep_len)
				put16(h + 4, (uint16_t)(end - l->off - 40));
			break;
		case PKT_L_IPV6_EXT:
		case PKT_L_IPV6_FRAG:
			if (!l->keep_next)
				h[0] = next_value(p, i, false, &v) ? (uint8_t)v
								   : PKT_IPPROTO_NONE;
			break;
		case PKT_L_UDP:
			if (!l->keep_len)
				put16(h + 4, (uint16_t)(end - l->off));
			break;
		default:
			break;
		}
	}
	/* L4 checksums, innermost first, then IPv4 headers */
	for (unsigned i = p->n_layers; i-- > 0;)
		if (is_l4(p->layer[i].kind))
			fix_l4_csum(p, i, end);
	for (unsigned i = 0; i < p->n_layers; i++)
		if (p->layer[i].kind == PKT_L_IPV4)
			fix_ipv4_csum(p, &p->layer[i]);
	return p->len;
}

void pkt_pad(struct pkt *p, size_t len)
{
	if (len > PKT_MAX_LEN)
		pkt_die("padding to %zu bytes", len);
	if (p->len < len) {
		memset(p->data + p->len, 0, len - p->len);
		p->len = len;
	}
}

/* ---- one-call frames ------------------------------------------------------- */

static void ip_for(struct pkt *p, int family, const char *src, const char *dst)
{
	pkt_init(p);
	pkt_eth(p);
	if (family == 4)
		pkt_ipv4(p, &(struct pkt_ip){ .src = src, .dst = dst });
	else
		pkt_ipv6(p, &(struct pkt_ip){ .src = src, .dst = dst });
}

static void tcp_any(struct pkt *p, int family, const char *src, const char *dst,
		    uint16_t sport, uint16_t dport, uint8_t flags, size_t payload)
{
	ip_for(p, family, src, dst);
	pkt_tcp(p, &(struct pkt_tcp){ .sport = sport, .dport = dport,
				      .flags = flags, .seq = 1 });
	if (payload)
		pkt_payload(p, payload);
	pkt_finish(p);
}

void pkt_tcp4(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, uint8_t flags, size_t payload)
{
	tcp_any(p, 4, src, dst, sport, dport, flags, payload);
}

void pkt_tcp6(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, uint8_t flags, size_t payload)
{
	tcp_any(p, 6, src, dst, sport, dport, flags, payload);
}

static void udp_any(struct pkt *p, int family, const char *src, const char *dst,
		    uint16_t sport, uint16_t dport, size_t payload)
{
	ip_for(p, family, src, dst);
	pkt_udp(p, sport, dport);
	if (payload)
		pkt_payload(p, payload);
	pkt_finish(p);
}

void pkt_udp4(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, size_t payload)
{
	udp_any(p, 4, src, dst, sport, dport, payload);
}

void pkt_udp6(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, size_t payload)
{
	udp_any(p, 6, src, dst, sport, dport, payload);
}

void pkt_icmp4(struct pkt *p, const char *src, const char *dst, uint8_t type,
	       uint8_t code, size_t payload)
{
	ip_for(p, 4, src, dst);
	pkt_icmp(p, type, code, 0x1234, 1);
	if (payload)
		pkt_payload(p, payload);
	pkt_finish(p);
}

void pkt_icmp6(struct pkt *p, const char *src, const char *dst, uint8_t type,
	       uint8_t code, size_t payload)
{
	ip_for(p, 6, src, dst);
	pkt_icmpv6(p, type, code, 0x1234, 1);
	if (payload)
		pkt_payload(p, payload);
	pkt_finish(p);
}

void pkt_proto4(struct pkt *p, const char *src, const char *dst, uint8_t proto,
		size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct pkt_ip){ .src = src, .dst = dst, .proto = proto });
	if (payload)
		pkt_payload(p, payload);
	pkt_finish(p);
	if (!proto)
		pkt_set_ip_proto(p, 0);
}

void pkt_proto6(struct pkt *p, const char *src, const char *dst, uint8_t proto,
		size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct pkt_ip){ .src = src, .dst = dst, .proto = proto });
	if (payload)
		pkt_payload(p, payload);
	pkt_finish(p);
	if (!proto)
		pkt_set_ip_proto(p, 0);
}

/* ---- looking -------------------------------------------------------------- */

const struct pkt_layer *pkt_find_nth(const struct pkt *p,
				     enum pkt_layer_kind kind, unsigned nth)
{
	for (unsigned i = 0; i < p->n_layers; i++)
		if (p->layer[i].kind == kind && nth-- == 0)
			return &p->layer[i];
	return NULL;
}

const struct pkt_layer *pkt_find(const struct pkt *p, enum pkt_layer_kind kind)
{
	return pkt_find_nth(p, kind, 0);
}

const struct pkt_layer *pkt_ip(const struct pkt *p)
{
	for (unsigned i = 0; i < p->n_layers; i++)
		if (is_ip(p->layer[i].kind))
			return &p->layer[i];
	return NULL;
}

const struct pkt_layer *pkt_l4(const struct pkt *p)
{
	for (unsigned i = 0; i < p->n_layers; i++)
		if (is_l4(p->layer[i].kind))
			return &p->layer[i];
	return NULL;
}

bool pkt_csum_ok(const struct pkt *p)
{
	size_t end = layers_end(p);

	if (end > p->len)
		return false;
	for (unsigned i = 0; i < p->n_layers; i++) {
		const struct pkt_layer *l = &p->layer[i];
		if (l->kind == PKT_L_IPV4 && pkt_csum(p->data + l->off, l->len, 0))
			return false;
		if (is_l4(l->kind) && l4_csum(p, i, end))
			return false;
	}
	return true;
}

bool pkt_frame_csum_ok(const uint8_t *f, size_t len)
{
	size_t off = 14;
	uint16_t type;

	if (len < 14)
		return true;
	type = get16(f + 12);
	while ((type == 0x8100 || type == 0x88a8) && off + 4 <= len) {
		type = get16(f + off + 2);
		off += 4;
	}
	uint32_t pseudo = 0;
	uint8_t proto;
	size_t l4, l4len;
	if (type == 0x0800) {
		if (off + 20 > len)
			return true;
		size_t ihl = (size_t)(f[off] & 15) * 4;
		size_t tot = get16(f + off + 2);
		if (ihl < 20 || off + ihl > len || tot < ihl || off + tot > len)
			return true;
		if (pkt_csum(f + off, ihl, 0))
			return false;
		if (get16(f + off + 6) & 0x3fff)
			return true; /* a fragment: its L4 checksum covers other frames too */
		proto = f[off + 9];
		l4 = off + ihl;
		l4len = tot - ihl;
		if (proto != 1) {
			for (int i = 12; i < 20; i += 2)
				pseudo += get16(f + off + i);
			pseudo += proto + (uint32_t)l4len;
		}
	} else if (type == 0x86dd) {
		if (off + 40 > len)
			return true;
		size_t plen = get16(f + off + 4);
		proto = f[off + 6];
		if (off + 40 + plen > len || proto == 0 || proto == 43 || proto == 44 || proto == 60)
			return true;
		l4 = off + 40;
		l4len = plen;
		for (int i = 8; i < 40; i += 2)
			pseudo += get16(f + off + i);
		pseudo += proto + (uint32_t)l4len;
	} else {
		return true;
	}
	if (proto == 17) {
		if (l4len < 8)
			return true;
		if (type == 0x0800 && get16(f + l4 + 6) == 0)
			return true; /* no checksum */
	} else if (proto == 6) {
		if (l4len < 20)
			return true;
	} else if (proto == 1 || proto == 58) {
		if (l4len < 4)
			return true;
	} else {
		return true;
	}
	return pkt_csum(f + l4, l4len, pseudo) == 0;
}

/* ---- damaging --------------------------------------------------------------- */

static struct pkt_layer *first_ip(struct pkt *p)
{
	struct pkt_layer *l = (struct pkt_layer *)pkt_ip(p);

	if (!l)
		pkt_die("the frame has no IP header");
	return l;
}

static struct pkt_layer *first_of(struct pkt *p, enum pkt_layer_kind kind,
				  const char *what)
{
	struct pkt_layer *l = (struct pkt_layer *)pkt_find(p, kind);

	if (!l)
		pkt_die("the frame has no %s header", what);
	return l;
}

void pkt_truncate(struct pkt *p, size_t len)
{
	if (len > p->len)
		pkt_die("cannot truncate %zu bytes to %zu", p->len, len);
	p->len = len;
}

void pkt_set_ip_version(struct pkt *p, uint8_t version)
{
	struct pkt_layer *l = first_ip(p);
	uint8_t *h = p->data + l->off;

	h[0] = (uint8_t)(version << 4 | (h[0] & 0x0f));
	if (l->kind == PKT_L_IPV4)
		fix_ipv4_csum(p, l);
}

void pkt_set_ipv4_ihl(struct pkt *p, uint8_t ihl)
{
	struct pkt_layer *l = first_of(p, PKT_L_IPV4, "IPv4");
	uint8_t *h = p->data + l->off;

	h[0] = (uint8_t)((h[0] & 0xf0) | (ihl & 0x0f));
	fix_ipv4_csum(p, l);
}

void pkt_set_ipv4_tot_len(struct pkt *p, uint16_t tot_len)
{
	struct pkt_layer *l = first_of(p, PKT_L_IPV4, "IPv4");

	put16(p->data + l->off + 2, tot_len);
	l->keep_len = true;
	fix_ipv4_csum(p, l);
}

void pkt_set_ipv4_frag(struct pkt *p, uint16_t frag_off_field)
{
	struct pkt_layer *l = first_of(p, PKT_L_IPV4, "IPv4");

	put16(p->data + l->off + 6, frag_off_field);
	fix_ipv4_csum(p, l);
}

void pkt_set_ipv6_plen(struct pkt *p, uint16_t plen)
{
	struct pkt_layer *l = first_of(p, PKT_L_IPV6, "IPv6");

	put16(p->data + l->off + 4, plen);
	l->keep_len = true;
}

void pkt_set_ip_proto(struct pkt *p, uint8_t proto)
{
	struct pkt_layer *l = first_ip(p);

	l->keep_next = true;
	if (l->kind == PKT_L_IPV4) {
		p->data[l->off + 9] = proto;
		fix_ipv4_csum(p, l);
	} else {
		p->data[l->off + 6] = proto;
	}
}

void pkt_set_tcp_doff(struct pkt *p, uint8_t doff)
{
	struct pkt_layer *l = first_of(p, PKT_L_TCP, "TCP");
	uint8_t *h = p->data + l->off;

	h[12] = (uint8_t)((doff & 0x0f) << 4 | (h[12] & 0x0f));
	fix_l4_csum(p, (unsigned)(l - p->layer), layers_end(p));
}

void pkt_set_ethertype(struct pkt *p, uint16_t ethertype)
{
	for (unsigned i = 1; i < p->n_layers; i++) {
		struct pkt_layer *l = &p->layer[i];
		if (!is_ip(l->kind) && l->kind != PKT_L_ARP)
			continue;
		struct pkt_layer *prev = &p->layer[i - 1];
		if (prev->kind == PKT_L_ETH)
			put16(p->data + prev->off + 12, ethertype);
		else if (prev->kind == PKT_L_VLAN)
			put16(p->data + prev->off + 2, ethertype);
		else
			pkt_die("no ethertype field before the network header");
		prev->keep_next = true;
		return;
	}
	pkt_die("the frame has no network header");
}

void pkt_fit_lengths(struct pkt *p)
{
	for (unsigned i = 0; i < p->n_layers; i++) {
		struct pkt_layer *l = &p->layer[i];
		uint8_t *h = p->data + l->off;
		size_t have = p->len > l->off ? p->len - l->off : 0;

		switch (l->kind) {
		case PKT_L_IPV4:
			put16(h + 2, (uint16_t)have);
			l->keep_len = true;
			if (have >= l->len)
				fix_ipv4_csum(p, l);
			break;
		case PKT_L_IPV6:
			put16(h + 4, (uint16_t)(have > 40 ? have - 40 : 0));
			l->keep_len = true;
			break;
		case PKT_L_UDP:
			if (have >= 6)
				put16(h + 4, (uint16_t)have);
			l->keep_len = true;
			break;
		default:
			break;
		}
	}
}

/* ---- debugging ------------------------------------------------------------ */

const char *pkt_describe(const struct pkt *p, char *buf, size_t size)
{
	size_t n = 0;

#define OUT(...)                                                         \
	do {                                                             \
		if (n < size)                                            \
			n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__); \
	} while (0)
	buf[0] = '\0';
	for (unsigned i = 0; i < p->n_layers; i++) {
		const struct pkt_layer *l = &p->layer[i];
		const uint8_t *h = p->data + l->off;
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

		if (i)
			OUT(" ");
		switch (l->kind) {
		case PKT_L_ETH:
			OUT("eth");
			break;
		case PKT_L_VLAN:
			OUT("vlan(%#x,%u)", l->type, get16(h) & 0xfff);
			break;
		case PKT_L_ARP:
			OUT("arp");
			break;
		case PKT_L_L2_RAW:
			OUT("ethertype(%#06x)", l->type);
			break;
		case PKT_L_IPV4:
			inet_ntop(AF_INET, h + 12, a, sizeof(a));
			inet_ntop(AF_INET, h + 16, b, sizeof(b));
			OUT("ipv4(%s>%s,p%u,hl%u,frag%#x)", a, b, h[9], l->len,
			    get16(h + 6));
			break;
		case PKT_L_IPV6:
			inet_ntop(AF_INET6, h + 8, a, sizeof(a));
			inet_ntop(AF_INET6, h + 24, b, sizeof(b));
			OUT("ipv6(%s>%s,nh%u)", a, b, h[6]);
			break;
		case PKT_L_IPV6_EXT:
			OUT("ext(%u,%u)", l->type, l->len);
			break;
		case PKT_L_IPV6_FRAG:
			OUT("frag(%u%s)", get16(h + 2) >> 3, get16(h + 2) & 1 ? ",M" : "");
			break;
		case PKT_L_TCP:
			OUT("tcp(%u>%u,%#x,hl%u)", get16(h), get16(h + 2), h[13], l->len);
			break;
		case PKT_L_UDP:
			OUT("udp(%u>%u)", get16(h), get16(h + 2));
			break;
		case PKT_L_ICMP:
			OUT("icmp(%u/%u)", h[0], h[1]);
			break;
		case PKT_L_ICMPV6:
			OUT("icmpv6(%u/%u)", h[0], h[1]);
			break;
		case PKT_L_PAYLOAD:
			OUT("data(%u)", l->len);
			break;
		}
	}
	OUT(" len %zu", p->len);
#undef OUT
	return buf;
}
