/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pktgen.h: build Ethernet frames for tests and benchmarks.
 *
 * A frame is built layer by layer, outermost first, then finished:
 *
 *	struct pkt k;
 *	pkt_init(&k);
 *	pkt_eth(&k);
 *	pkt_vlan(&k, PKT_ETH_P_8021Q, 100);
 *	pkt_ipv4(&k, &(struct pkt_ip){ .src = "192.0.2.1", .dst = "192.0.2.2" });
 *	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1234, .dport = 80,
 *				       .flags = PKT_TCP_SYN });
 *	pkt_payload(&k, 32);
 *	pkt_finish(&k);
 *
 * pkt_finish() fills in what depends on the layers that follow: ethertypes,
 * IP protocol / next header chains, IPv4 total length, IPv6 payload length,
 * UDP length, and every checksum (IPv4 header; TCP, UDP and ICMPv6 with the
 * pseudo-header; ICMP).  Fields a caller set explicitly are kept.  The
 * lengths end at the end of the last layer: pkt_pad() after pkt_finish()
 * adds Ethernet padding that the IP lengths do not cover.
 *
 * After pkt_finish() the frame can be damaged on purpose: truncated at any
 * byte, or one header field set to a value the builder would never write.
 * The setters keep the IPv4 header checksum right, so only the named field
 * is wrong.
 *
 * Misuse (a layer that does not fit, an address that does not parse) is a
 * bug in the test: the builder prints why and aborts.
 *
 * Checksums of a fragment cover the bytes of that fragment only (a real
 * fragment's L4 checksum covers the reassembled datagram); the pseudo-header
 * of an IPv6 packet with a routing header uses the IPv6 destination.
 */
#ifndef PKTGEN_H
#define PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_LEN 2048
#define PKT_MAX_LAYERS 24

#define PKT_ETH_P_IP 0x0800
#define PKT_ETH_P_ARP 0x0806
#define PKT_ETH_P_8021Q 0x8100
#define PKT_ETH_P_8021AD 0x88A8
#define PKT_ETH_P_IPV6 0x86DD
#define PKT_ETH_P_LLDP 0x88CC

#define PKT_IPPROTO_HOPOPTS 0
#define PKT_IPPROTO_ICMP 1
#define PKT_IPPROTO_TCP 6
#define PKT_IPPROTO_UDP 17
#define PKT_IPPROTO_ROUTING 43
#define PKT_IPPROTO_FRAGMENT 44
#define PKT_IPPROTO_GRE 47
#define PKT_IPPROTO_ESP 50
#define PKT_IPPROTO_AH 51
#define PKT_IPPROTO_ICMPV6 58
#define PKT_IPPROTO_NONE 59
#define PKT_IPPROTO_DSTOPTS 60

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20

#define PKT_ETH_HLEN 14
#define PKT_ETH_ZLEN 60 /* shortest frame on the wire, without FCS */

enum pkt_layer_kind {
	PKT_L_ETH,
	PKT_L_VLAN,
	PKT_L_ARP,
	PKT_L_L2_RAW,   /* the payload of another ethertype */
	PKT_L_IPV4,
	PKT_L_IPV6,
	PKT_L_IPV6_EXT, /* hop-by-hop, routing, destination options, AH */
	PKT_L_IPV6_FRAG,
	PKT_L_TCP,
	PKT_L_UDP,
	PKT_L_ICMP,
	PKT_L_ICMPV6,
	PKT_L_PAYLOAD,
};

struct pkt_layer {
	enum pkt_layer_kind kind;
	uint16_t off;   /* offset in the frame */
	uint16_t len;   /* header length (payload: its length) */
	uint16_t type;  /* ethertype (VLAN: TPID; raw L2: its ethertype) or
			 * IP protocol number (IPv6 extension headers, L4) */
	bool keep_next; /* the next-protocol field was set by the caller */
	bool keep_len;  /* the length field was set by the caller */
	bool keep_csum; /* the checksum was set by the caller */
};

struct pkt {
	uint8_t data[PKT_MAX_LEN];
	size_t len; /* bytes of the frame */
	unsigned n_layers;
	struct pkt_layer layer[PKT_MAX_LAYERS];
};

/* IPv4 or IPv6 header.  Zero fields get sensible defaults. */
struct pkt_ip {
	const char *src;      /* text; the family must match the header */
	const char *dst;
	uint8_t proto;        /* 0: from the next layer (IPv4: 255 if none) */
	uint8_t ttl;          /* IPv4 TTL / IPv6 hop limit; 0: 64 */
	uint8_t tos;          /* IPv4 TOS / IPv6 traffic class */
	uint32_t flow;        /* IPv6 flow label */
	uint16_t id;          /* IPv4 identification */
	bool df;              /* IPv4 don't fragment */
	bool mf;              /* IPv4 more fragments */
	uint16_t frag_offset; /* IPv4 fragment offset, in 8-byte units */
	uint8_t options_len;  /* IPv4 options, bytes: a multiple of 4, <= 40 */
};

struct pkt_tcp {
	uint16_t sport, dport;
	uint8_t flags;       /* PKT_TCP_* */
	uint32_t seq, ack;
	uint16_t window;     /* 0: 65535 */
	uint8_t options_len; /* bytes: a multiple of 4, <= 40 */
};

/* ---- building ----------------------------------------------------------- */

void pkt_init(struct pkt *p);

/* Ethernet with fixed test MAC addresses; its ethertype comes from the
 * next layer. */
void pkt_eth(struct pkt *p);
/* A VLAN tag: tpid is PKT_ETH_P_8021Q or PKT_ETH_P_8021AD (it becomes the
 * ethertype before the tag); tci holds the priority and VLAN id. */
void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci);
/* An ARP request (Ethernet/IPv4) for target_ip from sender_ip. */
void pkt_arp(struct pkt *p, const char *sender_ip, const char *target_ip);
/* len bytes of a frame of another ethertype (LLDP, ...). */
void pkt_l2_raw(struct pkt *p, uint16_t ethertype, size_t len);

void pkt_ipv4(struct pkt *p, const struct pkt_ip *ip);
void pkt_ipv6(struct pkt *p, const struct pkt_ip *ip);
/*
 * An IPv6 extension header: type is PKT_IPPROTO_HOPOPTS, _ROUTING,
 * _DSTOPTS (len a multiple of 8, >= 8) or _AH (len a multiple of 4, >= 12).
 * Options are padding; a routing header has segments left 0.
 */
void pkt_ipv6_ext(struct pkt *p, uint8_t type, size_t len);
/* An IPv6 fragment header; offset in 8-byte units. */
void pkt_ipv6_frag(struct pkt *p, uint16_t offset, bool more, uint32_t id);

void pkt_tcp(struct pkt *p, const struct pkt_tcp *tcp);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
/* An ICMP or ICMPv6 header: type, code, checksum, 4 more bytes (an echo's
 * identifier and sequence number: id, seq). */
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id,
	      uint16_t seq);
void pkt_icmpv6(struct pkt *p, uint8_t type, uint8_t code, uint16_t id,
		uint16_t seq);
/* len bytes of a counting pattern, or of the given data. */
void pkt_payload(struct pkt *p, size_t len);
void pkt_payload_data(struct pkt *p, const void *data, size_t len);

/* Fill lengths, next-protocol fields and checksums.  Returns p->len. */
size_t pkt_finish(struct pkt *p);

/* Pad with zero bytes to at least len (e.g. PKT_ETH_ZLEN). */
void pkt_pad(struct pkt *p, size_t len);

/* ---- one-call frames: Ethernet, IP, L4 header, payload bytes ----------- */

void pkt_tcp4(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, uint8_t flags, size_t payload);
void pkt_tcp6(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, uint8_t flags, size_t payload);
void pkt_udp4(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, size_t payload);
void pkt_udp6(struct pkt *p, const char *src, const char *dst, uint16_t sport,
	      uint16_t dport, size_t payload);
void pkt_icmp4(struct pkt *p, const char *src, const char *dst, uint8_t type,
	       uint8_t code, size_t payload);
void pkt_icmp6(struct pkt *p, const char *src, const char *dst, uint8_t type,
	       uint8_t code, size_t payload);
/* An IP packet carrying proto with payload bytes and no L4 header. */
void pkt_proto4(struct pkt *p, const char *src, const char *dst, uint8_t proto,
		size_t payload);
void pkt_proto6(struct pkt *p, const char *src, const char *dst, uint8_t proto,
		size_t payload);

/* ---- looking at a frame -------------------------------------------------- */

/* The first (or nth, from 0) layer of a kind, or NULL. */
const struct pkt_layer *pkt_find(const struct pkt *p, enum pkt_layer_kind kind);
const struct pkt_layer *pkt_find_nth(const struct pkt *p,
				     enum pkt_layer_kind kind, unsigned nth);
/* The first IPv4 or IPv6 header, or NULL. */
const struct pkt_layer *pkt_ip(const struct pkt *p);
/* The first TCP, UDP, ICMP or ICMPv6 header, or NULL. */
const struct pkt_layer *pkt_l4(const struct pkt *p);

/* Internet checksum (RFC 1071) of len bytes, starting from sum. */
uint16_t pkt_csum(const void *data, size_t len, uint32_t sum);
/* Do the IPv4 header and L4 checksums of a finished frame verify? */
bool pkt_csum_ok(const struct pkt *p);
/*
 * The same for any Ethernet frame (what a program left after rewriting
 * it): VLAN tags, IPv4 or IPv6 without extension headers, TCP, UDP (an IPv4
 * checksum of 0 means none), ICMP, ICMPv6.  True where there is nothing it
 * can verify (other protocols, fragments, short frames).
 */
bool pkt_frame_csum_ok(const uint8_t *frame, size_t len);

/* ---- damaging a finished frame ------------------------------------------ */

/* Keep only the first len bytes (len <= p->len). */
void pkt_truncate(struct pkt *p, size_t len);
/* Set the version nibble of the first IP header. */
void pkt_set_ip_version(struct pkt *p, uint8_t version);
/* IPv4: header length in 32-bit words, total length, protocol, offset
 * field (flags and offset, host order). */
void pkt_set_ipv4_ihl(struct pkt *p, uint8_t ihl);
void pkt_set_ipv4_tot_len(struct pkt *p, uint16_t tot_len);
void pkt_set_ipv4_frag(struct pkt *p, uint16_t frag_off_field);
/* IPv6 payload length. */
void pkt_set_ipv6_plen(struct pkt *p, uint16_t plen);
/* The IP protocol of the first IPv4 header or the next header of the
 * first IPv6 header. */
void pkt_set_ip_proto(struct pkt *p, uint8_t proto);
/* TCP data offset in 32-bit words. */
void pkt_set_tcp_doff(struct pkt *p, uint8_t doff);
/* The ethertype field of the layer before the first IP (or ARP) header. */
void pkt_set_ethertype(struct pkt *p, uint16_t ethertype);
/* Set the lengths of the IP headers (and UDP) as if the frame had always
 * ended at its current length (after pkt_truncate()): the frame is then
 * short only of what its L4 header claims. */
void pkt_fit_lengths(struct pkt *p);

/* ---- debugging ------------------------------------------------------------ */

/* A one-line description ("eth vlan(100) ipv4 tcp(1234>80) len 74"). */
const char *pkt_describe(const struct pkt *p, char *buf, size_t size);

#endif /* PKTGEN_H */
