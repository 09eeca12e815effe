// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_parse_pkts.c: the parser and prefilter (polc_parse.h) in the kernel.
 *
 * What a packet is, per the parser's documented semantics: non-IP frames
 * pass and are counted as such; up to two VLAN tags are skipped; IPv4
 * options and up to six IPv6 extension headers are skipped and rules see
 * the real L4 header; a later fragment has no L4 header (port and ICMP type
 * rules do not match it, protocol and address rules do); a frame shorter
 * than its headers claim is dropped as truncated and impossible header
 * values as malformed, whatever the policy's default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpf_harness.h"

static const char policy_src[] =
	"policy parse {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass tcp to port 80             # 1\n"
	"	pass udp to port 53             # 2\n"
	"	pass icmp type echo-request     # 3\n"
	"	pass icmpv6 type echo-request   # 4\n"
	"	pass from 192.0.2.99            # 5: address only\n"
	"	pass 47                         # 6: protocol only\n"
	"	pass tcp from 2001:db8::99      # 7: protocol and address\n"
	"	pass from 2001:db8::98          # 8: address only\n"
	"}\n"
	"\n"
	"policy lenient {\n"
	"	attach xdp\n"
	"	default pass\n"
	"	drop udp to port 9\n"
	"}\n";

static struct harness_obj *obj;
static struct harness_prog *parse, *lenient;

static int group_setup(void **state)
{
	obj = harness_compile(policy_src);
	if (!obj)
		return -1;
	parse = harness_prog(obj, "parse");
	lenient = harness_prog(obj, "lenient");
	return parse && lenient ? 0 : -1;
}

static int group_teardown(void **state)
{
	printf("test_parse_pkts: %lu frames checked\n", harness_frames_checked());
	harness_free(obj);
	return 0;
}

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define A6 "2001:db8:77::1"
#define B6 "2001:db8:77::2"

/* Dropped before the rules for `reason`, whatever the default. */
#define expect_prefilter_drop(k, reason)                     \
	do {                                                 \
		expect_reason(parse, k, DROP, reason);       \
		expect_reason(lenient, k, DROP, reason);     \
	} while (0)

/* ---- non-IP ------------------------------------------------------------ */

static void test_arp_passes_as_non_ip(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_arp(&k, A4, B4);
	pkt_finish(&k);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);
	expect_reason(lenient, &k, PASS, POLC_REASON_NON_IP);
	pkt_pad(&k, PKT_ETH_ZLEN);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);
}

static void test_other_ethertypes_pass_as_non_ip(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_l2_raw(&k, PKT_ETH_P_LLDP, 46);
	pkt_finish(&k);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);

	/* an 802.3 length field, not an ethertype */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_l2_raw(&k, 46, 46);
	pkt_finish(&k);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);

	/* just the Ethernet header */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_l2_raw(&k, PKT_ETH_P_ARP, 0);
	pkt_finish(&k);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);
}

static void test_vlan_tagged_arp_is_non_ip(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 7);
	pkt_arp(&k, A4, B4);
	pkt_finish(&k);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021AD, 7);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 8);
	pkt_arp(&k, A4, B4);
	pkt_finish(&k);
	expect_reason(parse, &k, PASS, POLC_REASON_NON_IP);
}

/* what a third tag hides cannot be matched, so it must not pass as non-IP */
static void test_three_vlan_tags_are_malformed(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021AD, 1);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 2);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 3);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4 });
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
	pkt_finish(&k);
	expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
}

static void test_bare_ethernet_header_with_ip_ethertype_is_truncated(void **state)
{
	static const uint16_t types[] = { PKT_ETH_P_IP, PKT_ETH_P_IPV6,
					  PKT_ETH_P_8021Q, PKT_ETH_P_8021AD };
	struct pkt k;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		pkt_init(&k);
		pkt_eth(&k);
		pkt_l2_raw(&k, types[i], 0);
		pkt_finish(&k);
		expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	}
	/* a whole tag, then nothing */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 5);
	pkt_l2_raw(&k, PKT_ETH_P_IP, 0);
	pkt_finish(&k);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
}

/* ---- VLAN tags --------------------------------------------------------- */

static void tag(struct pkt *k, unsigned combo)
{
	switch (combo) {
	case 0:
		break;
	case 1:
		pkt_vlan(k, PKT_ETH_P_8021Q, 100);
		break;
	case 2:
		pkt_vlan(k, PKT_ETH_P_8021AD, 200);
		break;
	case 3:
		pkt_vlan(k, PKT_ETH_P_8021AD, 300);
		pkt_vlan(k, PKT_ETH_P_8021Q, 301);
		break;
	case 4:
		pkt_vlan(k, PKT_ETH_P_8021Q, 0x2000 | 400);
		pkt_vlan(k, PKT_ETH_P_8021Q, 401);
		break;
	case 5: /* pre-standard QinQ */
		pkt_vlan(k, 0x9100, 500);
		pkt_vlan(k, PKT_ETH_P_8021Q, 501);
		break;
	}
}

static void test_vlan_tagged_frames_match_like_untagged(void **state)
{
	struct pkt k;

	for (unsigned combo = 0; combo < 6; combo++) {
		pkt_init(&k);
		pkt_eth(&k);
		tag(&k, combo);
		pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4 });
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 1);

		pkt_init(&k);
		pkt_eth(&k);
		tag(&k, combo);
		pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4 });
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 81 });
		pkt_finish(&k);
		expect_default(parse, &k, DROP);

		pkt_init(&k);
		pkt_eth(&k);
		tag(&k, combo);
		pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
		pkt_udp(&k, 1000, 53);
		pkt_payload(&k, 20);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 2);

		pkt_init(&k);
		pkt_eth(&k);
		tag(&k, combo);
		pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
		pkt_icmpv6(&k, 128, 0, 1, 1);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 4);

		pkt_init(&k);
		pkt_eth(&k);
		tag(&k, combo);
		pkt_ipv4(&k, &(struct pkt_ip){ .src = "192.0.2.99", .dst = B4 });
		pkt_udp(&k, 1, 2);
		pkt_finish(&k);
		pkt_pad(&k, PKT_ETH_ZLEN);
		expect_rule(parse, &k, PASS, 5);
	}
}

/* ---- IPv4 options, TCP options ----------------------------------------------- */

static void test_ipv4_options_are_skipped(void **state)
{
	static const uint8_t lens[] = { 4, 8, 12, 20, 36, 40 };
	struct pkt k;

	for (size_t i = 0; i < sizeof(lens); i++) {
		struct pkt_ip ip = { .src = A4, .dst = B4, .options_len = lens[i] };

		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv4(&k, &ip);
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 1);

		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv4(&k, &ip);
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 80, .dport = 1000 });
		pkt_finish(&k);
		expect_default(parse, &k, DROP);

		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv4(&k, &ip);
		pkt_udp(&k, 1000, 53);
		pkt_payload(&k, 5);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 2);

		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv4(&k, &ip);
		pkt_icmp(&k, 8, 0, 1, 1);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 3);
	}
}

static void test_tcp_options_are_part_of_the_header(void **state)
{
	struct pkt k;

	for (uint8_t n = 4; n <= 40; n += 4) {
		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4, .options_len = 4 });
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 80,
					       .flags = PKT_TCP_SYN, .options_len = n });
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 1);

		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 80,
					       .flags = PKT_TCP_SYN, .options_len = n });
		pkt_payload(&k, 1);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 1);
	}
}

/* ---- IPv6 extension headers --------------------------------------------------- */

struct ext {
	uint8_t type; /* PKT_IPPROTO_FRAGMENT: a first fragment */
	uint16_t len;
};

static void ipv6_with(struct pkt *k, const char *src, const struct ext *e,
		      size_t n)
{
	pkt_init(k);
	pkt_eth(k);
	pkt_ipv6(k, &(struct pkt_ip){ .src = src, .dst = B6 });
	for (size_t i = 0; i < n; i++) {
		if (e[i].type == PKT_IPPROTO_FRAGMENT)
			pkt_ipv6_frag(k, 0, true, 99);
		else
			pkt_ipv6_ext(k, e[i].type, e[i].len);
	}
}

static void test_each_ipv6_extension_header_is_skipped(void **state)
{
	static const struct ext each[] = {
		{ PKT_IPPROTO_HOPOPTS, 8 },   { PKT_IPPROTO_HOPOPTS, 64 },
		{ PKT_IPPROTO_ROUTING, 24 },  { PKT_IPPROTO_DSTOPTS, 16 },
		{ PKT_IPPROTO_AH, 12 },       { PKT_IPPROTO_AH, 24 },
		{ PKT_IPPROTO_FRAGMENT, 8 },  { PKT_IPPROTO_HOPOPTS, 1024 },
	};
	struct pkt k;

	for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		ipv6_with(&k, A6, &each[i], 1);
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 1);

		ipv6_with(&k, A6, &each[i], 1);
		pkt_udp(&k, 1000, 53);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 2);

		ipv6_with(&k, A6, &each[i], 1);
		pkt_icmpv6(&k, 128, 0, 7, 7);
		pkt_payload(&k, 8);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 4);

		/* the real L4 header decides: not a port the header bytes hold */
		ipv6_with(&k, A6, &each[i], 1);
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 80, .dport = 81 });
		pkt_finish(&k);
		expect_default(parse, &k, DROP);

		ipv6_with(&k, "2001:db8::98", &each[i], 1);
		pkt_udp(&k, 1, 2);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 8);

		ipv6_with(&k, A6, &each[i], 1);
		pkt_payload(&k, 8);
		pkt_finish(&k);
		expect_default(parse, &k, DROP); /* no next header */
	}
}

static const struct ext six[] = {
	{ PKT_IPPROTO_HOPOPTS, 8 }, { PKT_IPPROTO_DSTOPTS, 16 },
	{ PKT_IPPROTO_ROUTING, 24 }, { PKT_IPPROTO_FRAGMENT, 8 },
	{ PKT_IPPROTO_AH, 24 }, { PKT_IPPROTO_DSTOPTS, 8 },
	{ PKT_IPPROTO_DSTOPTS, 8 }, { PKT_IPPROTO_DSTOPTS, 8 },
};

static void test_six_ipv6_extension_headers_are_walked(void **state)
{
	struct pkt k;

	for (size_t n = 2; n <= 6; n++) {
		ipv6_with(&k, A6, six, n);
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
		pkt_payload(&k, 10);
		pkt_finish(&k);
		expect_rule(parse, &k, PASS, 1);

		ipv6_with(&k, A6, six, n);
		pkt_payload(&k, 12);
		pkt_finish(&k);
		pkt_set_ip_proto(&k, PKT_IPPROTO_HOPOPTS);
		/* the last header's next header is GRE */
		k.data[k.layer[k.n_layers - 2].off] = PKT_IPPROTO_GRE;
		expect_rule(parse, &k, PASS, 6);
	}
}

static void test_seven_ipv6_extension_headers_are_malformed(void **state)
{
	struct pkt k;

	for (size_t n = 7; n <= 8; n++) {
		ipv6_with(&k, A6, six, n);
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
		pkt_finish(&k);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
}

/* ---- fragments ----------------------------------------------------------------- */

/* An IPv4 fragment at `offset` whose first bytes are a TCP header to 80. */
static void frag4(struct pkt *k, const char *src, uint16_t offset, bool more,
		  uint8_t proto)
{
	pkt_init(k);
	pkt_eth(k);
	pkt_ipv4(k, &(struct pkt_ip){ .src = src, .dst = B4, .mf = more,
				      .frag_offset = offset, .id = 77 });
	if (proto == PKT_IPPROTO_TCP)
		pkt_tcp(k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
	else if (proto == PKT_IPPROTO_UDP)
		pkt_udp(k, 1000, 53);
	else if (proto == PKT_IPPROTO_ICMP)
		pkt_icmp(k, 8, 0, 1, 1);
	pkt_payload(k, 16);
	pkt_finish(k);
	pkt_set_ip_proto(k, proto);
}

static void frag6(struct pkt *k, const char *src, uint16_t offset, bool more,
		  uint8_t proto)
{
	pkt_init(k);
	pkt_eth(k);
	pkt_ipv6(k, &(struct pkt_ip){ .src = src, .dst = B6 });
	pkt_ipv6_frag(k, offset, more, 77);
	if (proto == PKT_IPPROTO_TCP)
		pkt_tcp(k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
	else if (proto == PKT_IPPROTO_UDP)
		pkt_udp(k, 1000, 53);
	else if (proto == PKT_IPPROTO_ICMPV6)
		pkt_icmpv6(k, 128, 0, 1, 1);
	pkt_payload(k, 16);
	pkt_finish(k);
	k->data[k->layer[1].off + 40] = proto; /* the fragment header's */
}

static void test_first_fragment_matches_ports(void **state)
{
	struct pkt k;

	frag4(&k, A4, 0, true, PKT_IPPROTO_TCP);
	expect_rule(parse, &k, PASS, 1);
	frag4(&k, A4, 0, true, PKT_IPPROTO_UDP);
	expect_rule(parse, &k, PASS, 2);
	frag4(&k, A4, 0, true, PKT_IPPROTO_ICMP);
	expect_rule(parse, &k, PASS, 3);
	frag6(&k, A6, 0, true, PKT_IPPROTO_TCP);
	expect_rule(parse, &k, PASS, 1);
	frag6(&k, A6, 0, true, PKT_IPPROTO_ICMPV6);
	expect_rule(parse, &k, PASS, 4);
	/* an atomic fragment (offset 0, no more) is a whole packet */
	frag6(&k, A6, 0, false, PKT_IPPROTO_UDP);
	expect_rule(parse, &k, PASS, 2);
	/* don't fragment is no fragment */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4, .df = true });
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1000, .dport = 80 });
	pkt_finish(&k);
	expect_rule(parse, &k, PASS, 1);
}

static void test_later_fragment_does_not_match_ports_or_types(void **state)
{
	static const uint16_t offsets[] = { 1, 185, 0x1fff };
	struct pkt k;

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		for (int more = 0; more < 2; more++) {
			frag4(&k, A4, offsets[i], more, PKT_IPPROTO_TCP);
			expect_default(parse, &k, DROP);
			frag4(&k, A4, offsets[i], more, PKT_IPPROTO_UDP);
			expect_default(parse, &k, DROP);
			frag4(&k, A4, offsets[i], more, PKT_IPPROTO_ICMP);
			expect_default(parse, &k, DROP);
			frag6(&k, A6, offsets[i], more, PKT_IPPROTO_TCP);
			expect_default(parse, &k, DROP);
			frag6(&k, A6, offsets[i], more, PKT_IPPROTO_ICMPV6);
			expect_default(parse, &k, DROP);
		}
	}
}

static void test_later_fragment_matches_address_and_protocol_rules(void **state)
{
	struct pkt k;

	frag4(&k, "192.0.2.99", 185, true, PKT_IPPROTO_TCP);
	expect_rule(parse, &k, PASS, 5);
	frag4(&k, A4, 185, false, PKT_IPPROTO_GRE);
	expect_rule(parse, &k, PASS, 6);
	frag6(&k, A6, 100, true, PKT_IPPROTO_GRE);
	expect_rule(parse, &k, PASS, 6);
	frag6(&k, "2001:db8::99", 100, true, PKT_IPPROTO_TCP);
	expect_rule(parse, &k, PASS, 7);
	frag6(&k, "2001:db8::99", 100, true, PKT_IPPROTO_UDP);
	expect_default(parse, &k, DROP);
	frag6(&k, "2001:db8::98", 100, false, PKT_IPPROTO_UDP);
	expect_rule(parse, &k, PASS, 8);
}

static void test_short_later_fragment_is_not_truncated(void **state)
{
	struct pkt k;

	/* four bytes: less than any L4 header, but none is expected */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = "192.0.2.99", .dst = B4,
				       .proto = PKT_IPPROTO_TCP, .frag_offset = 3 });
	pkt_payload(&k, 4);
	pkt_finish(&k);
	expect_rule(parse, &k, PASS, 5);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4,
				       .proto = PKT_IPPROTO_TCP, .frag_offset = 3 });
	pkt_payload(&k, 4);
	pkt_finish(&k);
	expect_default(parse, &k, DROP);
	expect_default(lenient, &k, PASS);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = "2001:db8::99", .dst = B6 });
	pkt_ipv6_frag(&k, 3, false, 1);
	pkt_payload(&k, 2);
	pkt_finish(&k);
	k.data[14 + 40] = PKT_IPPROTO_TCP;
	expect_rule(parse, &k, PASS, 7);
}

static void test_short_first_fragment_is_truncated(void **state)
{
	struct pkt k;

	/* a first fragment must hold the whole L4 header */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4, .mf = true,
				       .proto = PKT_IPPROTO_TCP });
	pkt_payload(&k, 8);
	pkt_finish(&k);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
	pkt_ipv6_frag(&k, 0, true, 1);
	pkt_payload(&k, 4);
	pkt_finish(&k);
	k.data[14 + 40] = PKT_IPPROTO_UDP;
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
}

/* ---- truncation ------------------------------------------------------------------- */

/* Frames every rule of `parse` has something to say about, whole. */
static unsigned base_frame(unsigned i, struct pkt *k)
{
	switch (i) {
	case 0:
		pkt_tcp4(k, A4, B4, 1000, 80, PKT_TCP_SYN, 10);
		return 1;
	case 1:
		pkt_init(k);
		pkt_eth(k);
		pkt_ipv4(k, &(struct pkt_ip){ .src = A4, .dst = B4, .options_len = 12 });
		pkt_tcp(k, &(struct pkt_tcp){ .sport = 1, .dport = 80, .options_len = 12 });
		pkt_payload(k, 5);
		pkt_finish(k);
		return 1;
	case 2:
		pkt_udp4(k, A4, B4, 1000, 53, 3);
		return 2;
	case 3:
		pkt_icmp4(k, A4, B4, 8, 0, 8);
		return 3;
	case 4:
		pkt_tcp6(k, A6, B6, 1000, 80, PKT_TCP_SYN, 10);
		return 1;
	case 5:
		pkt_udp6(k, A6, B6, 1000, 53, 0);
		return 2;
	case 6:
		pkt_icmp6(k, A6, B6, 128, 0, 4);
		return 4;
	case 7:
		ipv6_with(k, A6, six, 5);
		pkt_tcp(k, &(struct pkt_tcp){ .sport = 1, .dport = 80, .options_len = 8 });
		pkt_payload(k, 2);
		pkt_finish(k);
		return 1;
	case 8:
		pkt_init(k);
		pkt_eth(k);
		pkt_vlan(k, PKT_ETH_P_8021Q, 10);
		pkt_ipv4(k, &(struct pkt_ip){ .src = A4, .dst = B4 });
		pkt_tcp(k, &(struct pkt_tcp){ .sport = 1, .dport = 80 });
		pkt_finish(k);
		return 1;
	case 9:
		pkt_init(k);
		pkt_eth(k);
		pkt_vlan(k, PKT_ETH_P_8021AD, 10);
		pkt_vlan(k, PKT_ETH_P_8021Q, 11);
		pkt_ipv6(k, &(struct pkt_ip){ .src = A6, .dst = B6 });
		pkt_udp(k, 1, 53);
		pkt_finish(k);
		return 2;
	case 10:
		pkt_proto4(k, A4, B4, PKT_IPPROTO_GRE, 4);
		return 6;
	case 11:
		pkt_proto6(k, A6, B6, PKT_IPPROTO_GRE, 4);
		return 6;
	}
	return 0;
}

#define N_BASE_FRAMES 12

static void test_base_frames_match_whole(void **state)
{
	struct pkt k;

	for (unsigned i = 0; i < N_BASE_FRAMES; i++) {
		unsigned rule = base_frame(i, &k);
		expect_rule(parse, &k, PASS, rule);
		expect_default(lenient, &k, PASS);
	}
}

static void test_truncated_at_every_byte_is_dropped(void **state)
{
	struct pkt whole, k;

	for (unsigned i = 0; i < N_BASE_FRAMES; i++) {
		base_frame(i, &whole);
		for (size_t cut = PKT_ETH_HLEN; cut < whole.len; cut++) {
			k = whole;
			pkt_truncate(&k, cut);
			expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
		}
	}
}

/*
 * Cut inside the L4 header with the IP lengths saying so: the IP packet is
 * consistent and only its L4 header is short.  An ICMP message needs its
 * first four bytes (type, code, checksum), which is all the rules read.
 */
static void test_l4_header_cut_short_is_truncated(void **state)
{
	struct pkt whole, k;

	for (unsigned i = 0; i < N_BASE_FRAMES; i++) {
		unsigned rule = base_frame(i, &whole);
		const struct pkt_layer *l4 = pkt_l4(&whole);
		const struct pkt_layer *ip = pkt_ip(&whole);
		if (!l4)
			continue;
		bool icmp = l4->kind == PKT_L_ICMP || l4->kind == PKT_L_ICMPV6;
		for (size_t cut = l4->off; cut < (size_t)l4->off + l4->len; cut++) {
			/* an empty IPv6 payload is a jumbogram: malformed */
			if (ip->kind == PKT_L_IPV6 && cut == (size_t)ip->off + 40)
				continue;
			k = whole;
			pkt_truncate(&k, cut);
			pkt_fit_lengths(&k);
			if (icmp && cut >= (size_t)l4->off + 4)
				expect_rule(parse, &k, PASS, rule);
			else
				expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
		}
	}
}

static void test_ipv6_extension_header_cut_short_is_truncated(void **state)
{
	struct pkt whole, k;

	base_frame(7, &whole);
	size_t first = whole.layer[2].off, l4 = pkt_l4(&whole)->off;
	for (size_t cut = first + 1; cut < l4; cut++) {
		k = whole;
		pkt_truncate(&k, cut);
		pkt_fit_lengths(&k);
		expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	}
	/* a header whose length runs past the payload */
	ipv6_with(&k, A6, six, 1);
	pkt_udp(&k, 1, 53);
	pkt_finish(&k);
	k.data[14 + 40 + 1] = 200;
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
}

/* ---- malformed and inconsistent lengths ---------------------------------------------- */

static void test_ipv4_ihl_below_five_is_malformed(void **state)
{
	struct pkt k;

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		pkt_tcp4(&k, A4, B4, 1000, 80, 0, 20);
		pkt_set_ipv4_ihl(&k, ihl);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
}

static void test_ip_version_must_match_ethertype(void **state)
{
	static const uint8_t bad4[] = { 0, 5, 6, 15 };
	static const uint8_t bad6[] = { 0, 4, 7, 15 };
	struct pkt k;

	for (size_t i = 0; i < sizeof(bad4); i++) {
		pkt_tcp4(&k, A4, B4, 1000, 80, 0, 40);
		pkt_set_ip_version(&k, bad4[i]);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
	for (size_t i = 0; i < sizeof(bad6); i++) {
		pkt_tcp6(&k, A6, B6, 1000, 80, 0, 0);
		pkt_set_ip_version(&k, bad6[i]);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
	/* a good packet behind the other family's ethertype */
	pkt_tcp6(&k, A6, B6, 1000, 80, 0, 0);
	pkt_set_ethertype(&k, PKT_ETH_P_IP);
	expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 40);
	pkt_set_ethertype(&k, PKT_ETH_P_IPV6);
	expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
}

static void test_ipv4_total_length_shorter_than_header_is_malformed(void **state)
{
	struct pkt k;
	static const uint16_t lens[] = { 0, 1, 19 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		pkt_tcp4(&k, A4, B4, 1000, 80, 0, 0);
		pkt_set_ipv4_tot_len(&k, lens[i]);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
	for (uint16_t len = 20; len < 32; len++) {
		pkt_init(&k);
		pkt_eth(&k);
		pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4, .options_len = 12 });
		pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 80 });
		pkt_finish(&k);
		pkt_set_ipv4_tot_len(&k, len);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
	/* a header length past the total length */
	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 0);
	pkt_set_ipv4_ihl(&k, 15);
	expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
}

static void test_ipv4_lengths_past_the_frame_are_truncated(void **state)
{
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 10);
	pkt_set_ipv4_tot_len(&k, (uint16_t)(k.len - 14 + 1));
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	pkt_set_ipv4_tot_len(&k, 65535);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	/* the total length ends inside the TCP header */
	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 10);
	pkt_set_ipv4_tot_len(&k, 20 + 19);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	/* the header length leaves no room for TCP */
	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 20);
	pkt_set_ipv4_ihl(&k, 15);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
}

static void test_bytes_past_the_ip_length_are_ignored(void **state)
{
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 30);
	pkt_set_ipv4_tot_len(&k, 40);
	expect_rule(parse, &k, PASS, 1);
	pkt_udp6(&k, A6, B6, 1000, 53, 30);
	pkt_set_ipv6_plen(&k, 8);
	expect_rule(parse, &k, PASS, 2);
	pkt_udp4(&k, A4, B4, 1000, 53, 0);
	pkt_pad(&k, PKT_ETH_ZLEN);
	expect_rule(parse, &k, PASS, 2);
	pkt_icmp6(&k, A6, B6, 128, 0, 0);
	pkt_pad(&k, 100);
	expect_rule(parse, &k, PASS, 4);
}

static void test_tcp_data_offset_below_five_is_malformed(void **state)
{
	struct pkt k;

	for (uint8_t doff = 0; doff < 5; doff++) {
		pkt_tcp4(&k, A4, B4, 1000, 80, 0, 40);
		pkt_set_tcp_doff(&k, doff);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
		pkt_tcp6(&k, A6, B6, 1000, 80, 0, 40);
		pkt_set_tcp_doff(&k, doff);
		expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	}
}

static void test_tcp_data_offset_past_the_packet_is_truncated(void **state)
{
	struct pkt k;

	for (uint8_t doff = 6; doff <= 15; doff++) {
		pkt_tcp4(&k, A4, B4, 1000, 80, 0, 0);
		pkt_set_tcp_doff(&k, doff);
		expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
		pkt_tcp6(&k, A6, B6, 1000, 80, 0, (size_t)(doff - 5) * 4 - 1);
		pkt_set_tcp_doff(&k, doff);
		expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	}
	/* padding after the IP packet is not part of the TCP header */
	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 0);
	pkt_pad(&k, PKT_ETH_ZLEN);
	pkt_set_tcp_doff(&k, 6);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	/* a data offset that takes in all of the payload is still a header */
	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 40);
	pkt_set_tcp_doff(&k, 15);
	expect_rule(parse, &k, PASS, 1);
}

static void test_ipv6_payload_length_zero_is_malformed(void **state)
{
	struct pkt k;

	pkt_tcp6(&k, A6, B6, 1000, 80, 0, 0);
	pkt_set_ipv6_plen(&k, 0);
	expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
	pkt_udp6(&k, A6, B6, 1000, 53, 0);
	pkt_set_ipv6_plen(&k, 0);
	expect_prefilter_drop(&k, POLC_REASON_MALFORMED);
}

static void test_ipv6_payload_length_past_the_frame_is_truncated(void **state)
{
	struct pkt k;

	pkt_tcp6(&k, A6, B6, 1000, 80, 0, 0);
	pkt_set_ipv6_plen(&k, 21);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	pkt_set_ipv6_plen(&k, 65535);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
	/* shorter than the TCP header */
	pkt_tcp6(&k, A6, B6, 1000, 80, 0, 10);
	pkt_set_ipv6_plen(&k, 19);
	expect_prefilter_drop(&k, POLC_REASON_TRUNCATED);
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_passes_as_non_ip),
		cmocka_unit_test(test_other_ethertypes_pass_as_non_ip),
		cmocka_unit_test(test_vlan_tagged_arp_is_non_ip),
		cmocka_unit_test(test_three_vlan_tags_are_malformed),
		cmocka_unit_test(test_bare_ethernet_header_with_ip_ethertype_is_truncated),
		cmocka_unit_test(test_vlan_tagged_frames_match_like_untagged),
		cmocka_unit_test(test_ipv4_options_are_skipped),
		cmocka_unit_test(test_tcp_options_are_part_of_the_header),
		cmocka_unit_test(test_each_ipv6_extension_header_is_skipped),
		cmocka_unit_test(test_six_ipv6_extension_headers_are_walked),
		cmocka_unit_test(test_seven_ipv6_extension_headers_are_malformed),
		cmocka_unit_test(test_first_fragment_matches_ports),
		cmocka_unit_test(test_later_fragment_does_not_match_ports_or_types),
		cmocka_unit_test(test_later_fragment_matches_address_and_protocol_rules),
		cmocka_unit_test(test_short_later_fragment_is_not_truncated),
		cmocka_unit_test(test_short_first_fragment_is_truncated),
		cmocka_unit_test(test_base_frames_match_whole),
		cmocka_unit_test(test_truncated_at_every_byte_is_dropped),
		cmocka_unit_test(test_l4_header_cut_short_is_truncated),
		cmocka_unit_test(test_ipv6_extension_header_cut_short_is_truncated),
		cmocka_unit_test(test_ipv4_ihl_below_five_is_malformed),
		cmocka_unit_test(test_ip_version_must_match_ethertype),
		cmocka_unit_test(test_ipv4_total_length_shorter_than_header_is_malformed),
		cmocka_unit_test(test_ipv4_lengths_past_the_frame_are_truncated),
		cmocka_unit_test(test_bytes_past_the_ip_length_are_ignored),
		cmocka_unit_test(test_tcp_data_offset_below_five_is_malformed),
		cmocka_unit_test(test_tcp_data_offset_past_the_packet_is_truncated),
		cmocka_unit_test(test_ipv6_payload_length_zero_is_malformed),
		cmocka_unit_test(test_ipv6_payload_length_past_the_frame_is_truncated),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
