// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_pktgen.c: the packet builder lays out and checksums frames right.
 *
 * Every other bpf test trusts these frames, so they are checked against
 * values computed independently (the checksums below were verified with a
 * separate implementation of RFC 1071 and the pseudo-headers of RFC 768,
 * RFC 793 and RFC 8200), not against pktgen itself.  Needs no root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pktgen.h"

static uint16_t at16(const struct pkt *k, size_t off)
{
	return (uint16_t)(k->data[off] << 8 | k->data[off + 1]);
}

static void test_ipv4_header_checksum_matches_known_vector(void **state)
{
	struct pkt k;

	/* 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = "192.168.0.1", .dst = "192.168.0.199",
				       .df = true });
	pkt_udp(&k, 1, 2);
	pkt_payload(&k, 0x73 - 28);
	pkt_finish(&k);
	assert_int_equal(at16(&k, 14), 0x4500);
	assert_int_equal(at16(&k, 16), 0x0073);
	assert_int_equal(at16(&k, 20), 0x4000);
	assert_int_equal(at16(&k, 22), 0x4011);
	assert_int_equal(at16(&k, 24), 0xb861);
	assert_true(pkt_csum_ok(&k));
}

static void test_l4_checksums_match_independent_values(void **state)
{
	struct pkt k;

	pkt_tcp4(&k, "192.0.2.1", "198.51.100.7", 40000, 443, PKT_TCP_SYN, 13);
	assert_int_equal(k.len, 14 + 20 + 20 + 13);
	assert_int_equal(at16(&k, 14 + 20 + 16), 0xfb78);
	pkt_tcp6(&k, "2001:db8::1", "2001:db8:100::7", 40000, 443,
		 PKT_TCP_SYN | PKT_TCP_ACK, 13);
	assert_int_equal(at16(&k, 14 + 40 + 16), 0x8b2b);
	pkt_udp4(&k, "192.0.2.1", "198.51.100.7", 53, 5353, 7);
	assert_int_equal(at16(&k, 14 + 20 + 6), 0xf26c);
	pkt_udp6(&k, "2001:db8::1", "2001:db8:100::7", 53, 5353, 7);
	assert_int_equal(at16(&k, 14 + 40 + 6), 0x822f);
	pkt_icmp4(&k, "192.0.2.1", "198.51.100.7", 8, 0, 5);
	assert_int_equal(at16(&k, 14 + 20 + 2), 0xdfc6);
	pkt_icmp6(&k, "2001:db8::1", "2001:db8:100::7", 128, 0, 5);
	assert_int_equal(at16(&k, 14 + 40 + 2), 0x0b05);
}

static void test_ipv6_extension_chain_is_linked(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = "2001:db8::1", .dst = "2001:db8::2" });
	pkt_ipv6_ext(&k, PKT_IPPROTO_HOPOPTS, 8);
	pkt_ipv6_ext(&k, PKT_IPPROTO_DSTOPTS, 16);
	pkt_ipv6_frag(&k, 0, true, 7);
	pkt_ipv6_ext(&k, PKT_IPPROTO_AH, 24);
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 2, .options_len = 12 });
	pkt_payload(&k, 3);
	pkt_finish(&k);

	size_t ip = 14, e1 = ip + 40, e2 = e1 + 8, fr = e2 + 16, ah = fr + 8,
	       tcp = ah + 24;
	assert_int_equal(k.len, tcp + 32 + 3);
	assert_int_equal(k.data[ip + 6], PKT_IPPROTO_HOPOPTS);
	assert_int_equal(at16(&k, ip + 4), k.len - ip - 40);
	assert_int_equal(k.data[e1], PKT_IPPROTO_DSTOPTS);
	assert_int_equal(k.data[e1 + 1], 0);
	assert_int_equal(k.data[e2], PKT_IPPROTO_FRAGMENT);
	assert_int_equal(k.data[e2 + 1], 1);
	assert_int_equal(k.data[fr], PKT_IPPROTO_AH);
	assert_int_equal(at16(&k, fr + 2), 0x0001); /* offset 0, M */
	assert_int_equal(k.data[ah], PKT_IPPROTO_TCP);
	assert_int_equal(k.data[ah + 1], 24 / 4 - 2);
	assert_int_equal(k.data[tcp + 12] >> 4, 8);
	assert_int_equal(at16(&k, tcp + 16), 0x16a2);
	assert_int_equal(pkt_l4(&k)->off, tcp);
}

static void test_vlan_tags_and_ipv4_options(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021AD, 10);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 20);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = "10.1.2.3", .dst = "10.3.2.1",
				       .options_len = 8, .id = 0x1234 });
	pkt_udp(&k, 1000, 2000);
	pkt_payload(&k, 1);
	pkt_finish(&k);
	assert_int_equal(at16(&k, 12), PKT_ETH_P_8021AD);
	assert_int_equal(at16(&k, 14), 10);
	assert_int_equal(at16(&k, 16), PKT_ETH_P_8021Q);
	assert_int_equal(at16(&k, 18), 20);
	assert_int_equal(at16(&k, 20), PKT_ETH_P_IP);
	assert_int_equal(k.data[22], 0x47);
	assert_int_equal(at16(&k, 22 + 28 + 6), 0xdc1c);
	assert_int_equal(at16(&k, 22 + 28 + 4), 9); /* UDP length */
	assert_true(pkt_csum_ok(&k));
}

static void test_padding_is_not_in_the_lengths(void **state)
{
	struct pkt k;

	pkt_udp4(&k, "192.0.2.1", "192.0.2.2", 1, 2, 0);
	assert_int_equal(k.len, 42);
	pkt_pad(&k, PKT_ETH_ZLEN);
	assert_int_equal(k.len, 60);
	assert_int_equal(at16(&k, 16), 28);
	assert_int_equal(k.data[59], 0);
	assert_true(pkt_csum_ok(&k));
}

static void test_fragment_fields(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = "192.0.2.1", .dst = "192.0.2.2",
				       .mf = true, .frag_offset = 185 });
	pkt_payload(&k, 16);
	pkt_finish(&k);
	assert_int_equal(at16(&k, 20), 0x2000 | 185);
	assert_int_equal(k.data[23], 255); /* no L4 layer and none given */
	pkt_set_ip_proto(&k, PKT_IPPROTO_TCP);
	assert_int_equal(k.data[23], PKT_IPPROTO_TCP);
	assert_true(pkt_csum_ok(&k));
}

static void test_arp_and_raw_ethertypes(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_arp(&k, "192.0.2.1", "192.0.2.2");
	pkt_finish(&k);
	assert_int_equal(k.len, 42);
	assert_int_equal(at16(&k, 12), PKT_ETH_P_ARP);
	assert_int_equal(at16(&k, 20), 1);
	assert_int_equal(k.data[28 + 3], 1);  /* sender 192.0.2.1 */
	assert_int_equal(k.data[38 + 3], 2);  /* target 192.0.2.2 */

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 5);
	pkt_l2_raw(&k, PKT_ETH_P_LLDP, 30);
	pkt_finish(&k);
	assert_int_equal(at16(&k, 16), PKT_ETH_P_LLDP);
	assert_int_equal(k.len, 14 + 4 + 30);
}

static void test_damage_setters_change_one_field(void **state)
{
	struct pkt k;

	pkt_tcp4(&k, "192.0.2.1", "192.0.2.2", 1, 2, 0, 10);
	pkt_set_ipv4_ihl(&k, 4);
	assert_int_equal(k.data[14], 0x44);
	assert_int_equal(pkt_csum(k.data + 14, 20, 0), 0);
	pkt_set_ip_version(&k, 6);
	assert_int_equal(k.data[14], 0x64);
	pkt_set_ipv4_tot_len(&k, 19);
	assert_int_equal(at16(&k, 16), 19);
	assert_int_equal(pkt_csum(k.data + 14, 20, 0), 0);
	pkt_set_tcp_doff(&k, 15);
	assert_int_equal(k.data[14 + 20 + 12] >> 4, 15);
	pkt_truncate(&k, 40);
	assert_int_equal(k.len, 40);

	pkt_udp6(&k, "2001:db8::1", "2001:db8::2", 1, 2, 10);
	pkt_set_ipv6_plen(&k, 0);
	assert_int_equal(at16(&k, 18), 0);
	pkt_truncate(&k, 14 + 40 + 5);
	pkt_fit_lengths(&k);
	assert_int_equal(at16(&k, 18), 5);

	pkt_tcp4(&k, "192.0.2.1", "192.0.2.2", 1, 2, 0, 0);
	pkt_truncate(&k, 14 + 20 + 7);
	pkt_fit_lengths(&k);
	assert_int_equal(at16(&k, 16), 27);
	assert_int_equal(pkt_csum(k.data + 14, 20, 0), 0);
	pkt_set_ethertype(&k, PKT_ETH_P_IPV6);
	assert_int_equal(at16(&k, 12), PKT_ETH_P_IPV6);
}

static void test_describe_names_the_layers(void **state)
{
	struct pkt k;
	char buf[256];

	pkt_tcp6(&k, "2001:db8::1", "2001:db8::2", 1234, 80, PKT_TCP_SYN, 0);
	assert_string_equal(pkt_describe(&k, buf, sizeof(buf)),
			    "eth ipv6(2001:db8::1>2001:db8::2,nh6) tcp(1234>80,0x2,hl20) len 74");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_header_checksum_matches_known_vector),
		cmocka_unit_test(test_l4_checksums_match_independent_values),
		cmocka_unit_test(test_ipv6_extension_chain_is_linked),
		cmocka_unit_test(test_vlan_tags_and_ipv4_options),
		cmocka_unit_test(test_padding_is_not_in_the_lengths),
		cmocka_unit_test(test_fragment_fields),
		cmocka_unit_test(test_arp_and_raw_ethertypes),
		cmocka_unit_test(test_damage_setters_change_one_field),
		cmocka_unit_test(test_describe_names_the_layers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
