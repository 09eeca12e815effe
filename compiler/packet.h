/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * packet.h: packets described in words (packet.c), as test blocks and polc
 * explain write them: "tcp 203.0.113.5:40000 -> 192.0.2.10:443 syn".
 * docs/language.md, "Tests", has the full syntax.
 */
#ifndef POLC_PACKET_H
#define POLC_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct polc_packet {
	bool out;          /* "out": leaving through the device (tracked policies) */
	unsigned n_vlans;
	uint16_t vlan[2];
	int proto;         /* IP protocol; -1: ARP */
	int family;        /* 4 or 6 */
	char src[64], dst[64];
	uint16_t sport, dport;
	uint8_t tcp_flags; /* default: SYN */
	bool flags_given;
	uint8_t icmp_type, icmp_code; /* default: echo request */
	uint16_t fragment; /* a later fragment at this offset (8-byte units) */
	uint16_t payload;  /* bytes after the headers */
	uint8_t ttl;
	uint16_t truncate; /* cut the frame to this many bytes (0: no) */
};

struct polc_packet_error {
	char msg[256];
	size_t at; /* offset in the description */
};

/* Parse text[0..len): 0, or -1 with err filled. */
int polc_packet_parse(const char *text, size_t len, struct polc_packet *p,
		      struct polc_packet_error *err);

/* The Ethernet frame of a parsed packet into buf[0..cap): 0 or -1. */
int polc_packet_frame(const struct polc_packet *p, uint8_t *buf, size_t cap, size_t *len);

#endif /* POLC_PACKET_H */
