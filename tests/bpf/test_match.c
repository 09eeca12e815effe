// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_match.c: rules match the packets the language says they match.
 *
 * One policy per match kind (protocols, addresses and prefixes, ports, ICMP
 * types and codes, rule order, defaults), all in one file compiled once.
 * Every expectation below is worked out from the policy text: which rule
 * is the first to match, or that none does and the default decides.  The
 * file runs twice: every policy compiled with the linear plan, then with
 * the classifier plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpf_harness.h"

static const char policy_src[] =
	"const office = { 198.51.100.0/24, 2001:db8:100::/48 }\n"
	"const web = { 80, 443, 8000-8080 }\n"
	"\n"
	"policy proto {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass tcp                # 1\n"
	"	pass { udp, icmp }      # 2: icmp is IPv4 only\n"
	"	pass icmpv6             # 3\n"
	"	pass 47                 # 4: gre, by number\n"
	"}\n"
	"\n"
	"policy addrs {\n"
	"	attach xdp\n"
	"	default pass\n"
	"	drop from 192.0.2.1                 # 1\n"
	"	drop to 192.0.2.128/25              # 2\n"
	"	drop from 2001:db8::1               # 3\n"
	"	drop to 2001:db8:ff00::/40          # 4\n"
	"	drop from $office                   # 5\n"
	"	drop from { 10.0.0.0/8, 172.16.0.0/12, fd00::/8 } \\\n"
	"	     to { 10.1.0.0/16, fd00:1::/32 } # 6\n"
	"	drop tcp from 0.0.0.0/0 to 203.0.113.0/24 # 7: all of IPv4\n"
	"	drop udp from ::/0                  # 8: all of IPv6\n"
	"}\n"
	"\n"
	"policy prefixes {\n"
	"	attach xdp\n"
	"	default pass\n"
	"	drop to 10.0.0.2/31                 # 1\n"
	"	drop to 128.0.0.0/1                 # 2\n"
	"	drop to 2001:db8:1:2:8000::/65      # 3\n"
	"	drop to 2001:db8:1:3::/96           # 4\n"
	"	drop to 2001:db8:1:4::/127          # 5\n"
	"	drop to 2001:db8:1:5::abcd          # 6: /128\n"
	"	drop to 2001:db8:8000::/33          # 7\n"
	"	drop to 2001:db8::/32               # 8\n"
	"}\n"
	"\n"
	"policy ports {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass tcp to port 22                             # 1\n"
	"	pass tcp to port $web                           # 2\n"
	"	pass udp from port 53                           # 3\n"
	"	pass udp to port 1024-2047                      # 4\n"
	"	pass { tcp, udp } from port 0-1023 to port 0-1023 # 5\n"
	"	pass udp to port { 5000, 6000-6010, 65535 }     # 6\n"
	"	pass tcp from port 3000-65535 to port 3000      # 7\n"
	"	pass tcp from 192.0.2.7 port 2000 to 192.0.2.8 port 2001 # 8\n"
	"}\n"
	"\n"
	"policy icmp {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass icmp type echo-request                                  # 1\n"
	"	pass icmpv6 type { echo-request, neighbor-solicitation, neighbor-advertisement } # 2\n"
	"	pass { icmp, icmpv6 } type echo-reply                        # 3\n"
	"	pass icmp type destination-unreachable code { 0, 1, 3-4 }    # 4\n"
	"	pass icmpv6 type destination-unreachable code 4              # 5\n"
	"	pass icmp code 13                                            # 6\n"
	"	pass icmpv6 type { 200, 255 }                                # 7\n"
	"	pass { icmp, icmpv6 } type 13                                # 8\n"
	"}\n"
	"\n"
	"policy icmp-both {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass { icmp, icmpv6 } type echo-request # 1: 8 for IPv4, 128 for IPv6\n"
	"	pass { icmp, icmpv6 } type neighbor-solicitation # 2: IPv6 only\n"
	"	pass { icmp, icmpv6 } type redirect     # 3: 5 and 137\n"
	"}\n"
	"\n"
	"policy proto-names {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass ah                      # 1\n"
	"	pass { esp, sctp }           # 2\n"
	"	pass any from 192.0.2.50     # 3\n"
	"	pass tcp from any to any port 7 # 4\n"
	"}\n"
	"\n"
	"policy order {\n"
	"	attach xdp\n"
	"	default pass\n"
	"	drop tcp to port 80          # 1\n"
	"	pass tcp to port 80          # 2: never\n"
	"	pass tcp to port 81          # 3\n"
	"	drop tcp to port 81          # 4: never\n"
	"	drop from 192.0.2.0/24       # 5\n"
	"	pass tcp from 192.0.2.5      # 6: never\n"
	"	pass udp from 192.0.3.5      # 7\n"
	"	drop from 192.0.3.0/24       # 8\n"
	"}\n"
	"\n"
	"policy default-drop {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass udp to port 9\n"
	"}\n"
	"\n"
	"policy default-pass {\n"
	"	attach xdp\n"
	"	default pass\n"
	"	drop udp to port 9\n"
	"}\n";

static struct harness_obj *obj;

/* Policy "order" has rules that never decide anything, on purpose. */
static const char *const warnings[] = { "no-shadow", "no-redundant", NULL };

static int setup_linear(void **state)
{
	obj = harness_compile_opts(policy_src, &(struct harness_opts){
		.plan = POLC_PLAN_FORCE_LINEAR, .warnings = warnings });
	return obj ? 0 : -1;
}

static int setup_classifier(void **state)
{
	obj = harness_compile_opts(policy_src, &(struct harness_opts){
		.plan = POLC_PLAN_FORCE_CLASSIFIER, .warnings = warnings });
	return obj ? 0 : -1;
}

static int group_teardown(void **state)
{
	printf("test_match: %lu frames checked\n", harness_frames_checked());
	harness_free(obj);
	obj = NULL;
	return 0;
}

#define A4 "198.18.0.200"
#define B4 "198.18.0.1"
#define A6 "2001:db8:77::1"
#define B6 "2001:db8:77::2"

/* ---- protocols ----------------------------------------------------------- */

static void test_proto_tcp_matches_both_families(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "proto");
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 80, PKT_TCP_SYN, 0);
	expect_rule(p, &k, PASS, 1);
	pkt_tcp6(&k, A6, B6, 1000, 80, PKT_TCP_ACK, 100);
	expect_rule(p, &k, PASS, 1);
}

static void test_proto_list_matches_each_member(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "proto");
	struct pkt k;

	pkt_udp4(&k, A4, B4, 1000, 53, 10);
	expect_rule(p, &k, PASS, 2);
	pkt_udp6(&k, A6, B6, 1000, 53, 10);
	expect_rule(p, &k, PASS, 2);
	pkt_icmp4(&k, A4, B4, 8, 0, 0);
	expect_rule(p, &k, PASS, 2);
}

static void test_proto_icmp_is_ipv4_and_icmpv6_is_ipv6(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "proto");
	struct pkt k;

	pkt_icmp6(&k, A6, B6, 128, 0, 0);
	expect_rule(p, &k, PASS, 3);
	/* an IPv6 packet with next header 1 is not "icmp" */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
	pkt_icmp(&k, 8, 0, 1, 1);
	pkt_finish(&k);
	expect_default(p, &k, DROP);
	/* nor an IPv4 packet with protocol 58 "icmpv6" */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4 });
	pkt_icmpv6(&k, 128, 0, 1, 1);
	pkt_finish(&k);
	expect_default(p, &k, DROP);
}

static void test_proto_number_and_unlisted_protocols(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "proto");
	struct pkt k;

	pkt_proto4(&k, A4, B4, PKT_IPPROTO_GRE, 24);
	expect_rule(p, &k, PASS, 4);
	pkt_proto6(&k, A6, B6, PKT_IPPROTO_GRE, 24);
	expect_rule(p, &k, PASS, 4);
	pkt_proto4(&k, A4, B4, PKT_IPPROTO_ESP, 24);
	expect_default(p, &k, DROP);
	pkt_proto6(&k, A6, B6, 132, 24); /* sctp */
	expect_default(p, &k, DROP);
	pkt_proto6(&k, A6, B6, PKT_IPPROTO_NONE, 8);
	expect_default(p, &k, DROP);
}

static void test_proto_names_and_any(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "proto-names");
	struct pkt k;

	pkt_proto4(&k, A4, B4, PKT_IPPROTO_AH, 24);
	expect_rule(p, &k, PASS, 1);
	pkt_proto4(&k, A4, B4, PKT_IPPROTO_ESP, 24);
	expect_rule(p, &k, PASS, 2);
	pkt_proto6(&k, A6, B6, PKT_IPPROTO_ESP, 24);
	expect_rule(p, &k, PASS, 2);
	pkt_proto4(&k, A4, B4, 132, 24);
	expect_rule(p, &k, PASS, 2);
	pkt_proto6(&k, A6, B6, 132, 24);
	expect_rule(p, &k, PASS, 2);
	pkt_proto4(&k, "192.0.2.50", B4, PKT_IPPROTO_GRE, 8);
	expect_rule(p, &k, PASS, 3);
	pkt_udp4(&k, "192.0.2.50", B4, 1, 2, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_tcp4(&k, A4, B4, 1, 7, 0, 0);
	expect_rule(p, &k, PASS, 4);
	pkt_tcp6(&k, A6, B6, 1, 7, 0, 0);
	expect_rule(p, &k, PASS, 4);
	pkt_udp6(&k, A6, B6, 1, 7, 0);
	expect_default(p, &k, DROP);
}

/* In IPv6 the protocol is the last next header: AH is walked past. */
static void test_proto_ah_in_ipv6_is_an_extension_header(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "proto-names");
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
	pkt_ipv6_ext(&k, PKT_IPPROTO_AH, 24);
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 7 });
	pkt_finish(&k);
	expect_rule(p, &k, PASS, 4);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
	pkt_ipv6_ext(&k, PKT_IPPROTO_AH, 24);
	pkt_payload(&k, 16);
	pkt_finish(&k);
	expect_default(p, &k, DROP);
}

/* ---- addresses ------------------------------------------------------------ */

static void test_addr_v4_host_is_source_only(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "addrs");
	struct pkt k;

	pkt_tcp4(&k, "192.0.2.1", B4, 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 1);
	pkt_udp4(&k, "192.0.2.1", B4, 1, 2, 0);
	expect_rule(p, &k, DROP, 1);
	pkt_tcp4(&k, "192.0.2.2", "192.0.2.1", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp4(&k, "192.0.2.0", B4, 1, 2, 0, 0);
	expect_default(p, &k, PASS);
}

static void test_addr_v4_dst_prefix_bounds(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "addrs");
	struct pkt k;

	pkt_tcp4(&k, A4, "192.0.2.128", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 2);
	pkt_tcp4(&k, A4, "192.0.2.255", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 2);
	pkt_tcp4(&k, A4, "192.0.2.127", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp4(&k, A4, "192.0.3.128", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	/* the source in the prefix is not the destination */
	pkt_tcp4(&k, "192.0.2.130", B4, 1, 2, 0, 0);
	expect_default(p, &k, PASS);
}

static void test_addr_v6_host_and_prefix(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "addrs");
	struct pkt k;

	pkt_tcp6(&k, "2001:db8::1", B6, 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 3);
	pkt_tcp6(&k, "2001:db8::2", B6, 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp6(&k, A6, "2001:db8::1", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	/* /40: 2001:0db8:ff.. */
	pkt_tcp6(&k, A6, "2001:db8:ff00::5", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 4);
	pkt_tcp6(&k, A6, "2001:db8:ffff:ffff::", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 4);
	pkt_tcp6(&k, A6, "2001:db8:feff:ffff::1", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
}

static void test_addr_constant_mixes_families(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "addrs");
	struct pkt k;

	pkt_tcp4(&k, "198.51.100.77", B4, 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 5);
	pkt_udp4(&k, "198.51.100.0", B4, 1, 2, 0);
	expect_rule(p, &k, DROP, 5);
	pkt_tcp4(&k, "198.51.101.1", B4, 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp6(&k, "2001:db8:100:ffff::1", B6, 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 5);
	pkt_tcp6(&k, "2001:db8:101::1", B6, 1, 2, 0, 0);
	expect_default(p, &k, PASS);
}

static void test_addr_lists_on_both_ends(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "addrs");
	struct pkt k;

	pkt_tcp4(&k, "10.9.9.9", "10.1.2.3", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 6);
	pkt_tcp4(&k, "172.31.255.255", "10.1.0.0", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 6);
	pkt_tcp4(&k, "172.32.0.1", "10.1.2.3", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp4(&k, "10.9.9.9", "10.2.0.1", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp6(&k, "fd12::1", "fd00:1:ffff::1", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 6);
	pkt_tcp6(&k, "fd12::1", "fd00:2::1", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_tcp6(&k, "fe00::1", "fd00:1::1", 1, 2, 0, 0);
	expect_default(p, &k, PASS);
}

static void test_addr_zero_length_prefix_is_one_family(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "addrs");
	struct pkt k;

	pkt_tcp4(&k, "1.2.3.4", "203.0.113.9", 1, 2, 0, 0);
	expect_rule(p, &k, DROP, 7);
	pkt_udp4(&k, "1.2.3.4", "203.0.113.9", 1, 2, 0);
	expect_default(p, &k, PASS);
	pkt_udp6(&k, "2001:db8:5::1", B6, 1, 2, 0);
	expect_rule(p, &k, DROP, 8);
	pkt_tcp6(&k, "2001:db8:5::1", B6, 1, 2, 0, 0);
	expect_default(p, &k, PASS);
	pkt_udp4(&k, A4, B4, 1, 2, 0);
	expect_default(p, &k, PASS);
}

static void test_prefix_lengths_at_word_edges(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "prefixes");
	struct pkt k;
	static const struct {
		const char *dst;
		unsigned rule; /* 0: the default */
	} cases[] = {
		{ "10.0.0.2", 1 }, { "10.0.0.3", 1 }, { "10.0.0.1", 0 }, { "10.0.0.4", 0 },
		{ "128.0.0.0", 2 }, { "255.255.255.255", 2 }, { "127.255.255.255", 0 },
		{ "2001:db8:1:2:8000::", 3 }, { "2001:db8:1:2:ffff:ffff:ffff:ffff", 3 },
		{ "2001:db8:1:2:7fff:ffff:ffff:ffff", 8 },
		{ "2001:db8:1:3::ffff:ffff", 4 }, { "2001:db8:1:3::", 4 },
		{ "2001:db8:1:3:0:1::", 8 },
		{ "2001:db8:1:4::", 5 }, { "2001:db8:1:4::1", 5 }, { "2001:db8:1:4::2", 8 },
		{ "2001:db8:1:5::abcd", 6 }, { "2001:db8:1:5::abce", 8 },
		{ "2001:db8:8000::1", 7 }, { "2001:db8:ffff:ffff::", 7 },
		{ "2001:db8:7fff::", 8 }, { "2001:db8:9::1", 8 },
		{ "2001:db9::", 0 }, { "::", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool v6 = cases[i].dst[0] && __builtin_strchr(cases[i].dst, ':');
		if (v6)
			pkt_udp6(&k, A6, cases[i].dst, 1, 2, 0);
		else
			pkt_udp4(&k, A4, cases[i].dst, 1, 2, 0);
		if (cases[i].rule)
			expect_rule(p, &k, DROP, cases[i].rule);
		else
			expect_default(p, &k, PASS);
	}
}

static void test_prefix_of_one_family_ignores_the_other(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "prefixes");
	struct pkt k;

	/* the first word of the IPv6 address equals 10.0.0.2 */
	pkt_udp6(&k, A6, "a00:2::", 1, 2, 0);
	expect_default(p, &k, PASS);
	/* 32.1.13.184 is 0x20010db8, the first word of 2001:db8::/32 */
	pkt_udp4(&k, A4, "32.1.13.184", 1, 2, 0);
	expect_default(p, &k, PASS);
}

/* ---- ports ---------------------------------------------------------------- */

static void test_port_single(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 40000, 22, PKT_TCP_SYN, 0);
	expect_rule(p, &k, PASS, 1);
	pkt_tcp6(&k, A6, B6, 40000, 22, PKT_TCP_SYN, 0);
	expect_rule(p, &k, PASS, 1);
	pkt_tcp4(&k, A4, B4, 40000, 23, PKT_TCP_SYN, 0);
	expect_default(p, &k, DROP);
	/* the port of another protocol */
	pkt_udp4(&k, A4, B4, 40000, 22, 0);
	expect_default(p, &k, DROP);
	/* the source port is not the destination port */
	pkt_tcp4(&k, A4, B4, 22, 40000, PKT_TCP_SYN, 0);
	expect_default(p, &k, DROP);
}

static void test_port_constant_list_with_range(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	static const uint16_t in[] = { 80, 443, 8000, 8040, 8080 };
	static const uint16_t out[] = { 79, 81, 442, 444, 7999, 8081 };
	struct pkt k;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		pkt_tcp4(&k, A4, B4, 40000, in[i], PKT_TCP_SYN, 0);
		expect_rule(p, &k, PASS, 2);
		pkt_tcp6(&k, A6, B6, 40000, in[i], PKT_TCP_SYN, 0);
		expect_rule(p, &k, PASS, 2);
	}
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		pkt_tcp4(&k, A4, B4, 40000, out[i], PKT_TCP_SYN, 0);
		expect_default(p, &k, DROP);
	}
}

static void test_port_source(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	struct pkt k;

	pkt_udp4(&k, A4, B4, 53, 40000, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_udp6(&k, A6, B6, 53, 40000, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_udp4(&k, A4, B4, 54, 40000, 0);
	expect_default(p, &k, DROP);
	pkt_tcp4(&k, A4, B4, 53, 40000, 0, 0);
	expect_default(p, &k, DROP);
}

static void test_port_range_bounds(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	struct pkt k;

	pkt_udp4(&k, A4, B4, 40000, 1024, 0);
	expect_rule(p, &k, PASS, 4);
	pkt_udp4(&k, A4, B4, 40000, 1500, 0);
	expect_rule(p, &k, PASS, 4);
	pkt_udp6(&k, A6, B6, 40000, 2047, 0);
	expect_rule(p, &k, PASS, 4);
	pkt_udp4(&k, A4, B4, 40000, 1023, 0);
	expect_default(p, &k, DROP);
	pkt_udp6(&k, A6, B6, 40000, 2048, 0);
	expect_default(p, &k, DROP);
}

static void test_port_both_ends_and_both_protocols(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 999, 0, 0);
	expect_rule(p, &k, PASS, 5);
	pkt_udp6(&k, A6, B6, 0, 0, 0);
	expect_rule(p, &k, PASS, 5);
	pkt_udp4(&k, A4, B4, 1023, 1023, 0);
	expect_rule(p, &k, PASS, 5);
	pkt_tcp6(&k, A6, B6, 1000, 1024, 0, 0);
	expect_default(p, &k, DROP);
	pkt_tcp4(&k, A4, B4, 1024, 100, 0, 0);
	expect_default(p, &k, DROP);
}

static void test_port_list_of_ranges(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	static const uint16_t in[] = { 5000, 6000, 6005, 6010, 65535 };
	static const uint16_t out[] = { 4999, 5001, 5999, 6011, 65534 };
	struct pkt k;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		pkt_udp4(&k, A4, B4, 40000, in[i], 0);
		expect_rule(p, &k, PASS, 6);
	}
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		pkt_udp6(&k, A6, B6, 40000, out[i], 0);
		expect_default(p, &k, DROP);
	}
}

static void test_port_open_ended_range_and_addresses(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 3000, 3000, 0, 0);
	expect_rule(p, &k, PASS, 7);
	pkt_tcp6(&k, A6, B6, 65535, 3000, 0, 0);
	expect_rule(p, &k, PASS, 7);
	pkt_tcp4(&k, A4, B4, 2999, 3000, 0, 0);
	expect_default(p, &k, DROP);
	pkt_tcp4(&k, A4, B4, 3000, 3001, 0, 0);
	expect_default(p, &k, DROP);

	pkt_tcp4(&k, "192.0.2.7", "192.0.2.8", 2000, 2001, 0, 0);
	expect_rule(p, &k, PASS, 8);
	pkt_tcp4(&k, "192.0.2.8", "192.0.2.7", 2000, 2001, 0, 0);
	expect_default(p, &k, DROP);
	pkt_tcp4(&k, "192.0.2.7", "192.0.2.8", 2001, 2000, 0, 0);
	expect_default(p, &k, DROP);
}

static void test_port_rule_ignores_other_protocols(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "ports");
	struct pkt k;

	pkt_icmp4(&k, A4, B4, 8, 0, 0);
	expect_default(p, &k, DROP);
	pkt_proto6(&k, A6, B6, PKT_IPPROTO_GRE, 20);
	expect_default(p, &k, DROP);
}

/* ---- ICMP ------------------------------------------------------------------ */

static void test_icmp_type_names_are_per_family(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "icmp");
	struct pkt k;

	pkt_icmp4(&k, A4, B4, 8, 0, 56);
	expect_rule(p, &k, PASS, 1);
	pkt_icmp4(&k, A4, B4, 8, 5, 0); /* any code */
	expect_rule(p, &k, PASS, 1);
	pkt_icmp6(&k, A6, B6, 8, 0, 0);
	expect_default(p, &k, DROP);
	pkt_icmp6(&k, A6, B6, 128, 0, 56);
	expect_rule(p, &k, PASS, 2);
	pkt_icmp4(&k, A4, B4, 128, 0, 0);
	expect_default(p, &k, DROP);
}

static void test_icmpv6_type_list(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "icmp");
	struct pkt k;

	pkt_icmp6(&k, A6, B6, 135, 0, 16);
	expect_rule(p, &k, PASS, 2);
	pkt_icmp6(&k, A6, B6, 136, 0, 16);
	expect_rule(p, &k, PASS, 2);
	pkt_icmp6(&k, A6, B6, 134, 0, 16);
	expect_default(p, &k, DROP);
	pkt_icmp6(&k, A6, B6, 137, 0, 16);
	expect_default(p, &k, DROP);
}

static void test_icmp_both_families_one_name(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "icmp");
	struct harness_prog *both = harness_prog_ok(obj, "icmp-both");
	struct pkt k;

	pkt_icmp4(&k, A4, B4, 0, 0, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_icmp6(&k, A6, B6, 129, 0, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_icmp4(&k, A4, B4, 129, 0, 0);
	expect_default(p, &k, DROP);
	pkt_icmp6(&k, A6, B6, 0, 0, 0);
	expect_default(p, &k, DROP);

	pkt_icmp4(&k, A4, B4, 8, 0, 0);
	expect_rule(both, &k, PASS, 1);
	pkt_icmp6(&k, A6, B6, 128, 0, 0);
	expect_rule(both, &k, PASS, 1);
	pkt_icmp4(&k, A4, B4, 128, 0, 0);
	expect_default(both, &k, DROP);
	pkt_icmp6(&k, A6, B6, 8, 0, 0);
	expect_default(both, &k, DROP);
	pkt_tcp4(&k, A4, B4, 8, 8, 0, 0);
	expect_default(both, &k, DROP);
}

static void test_icmp_type_name_of_one_family_in_a_two_family_rule(void **state)
{
	struct harness_prog *both = harness_prog_ok(obj, "icmp-both");
	struct pkt k;

	pkt_icmp6(&k, A6, B6, 135, 0, 24);
	expect_rule(both, &k, PASS, 2);
	pkt_icmp4(&k, A4, B4, 135, 0, 24);
	expect_default(both, &k, DROP);
	pkt_icmp4(&k, A4, B4, 5, 1, 28);
	expect_rule(both, &k, PASS, 3);
	pkt_icmp6(&k, A6, B6, 137, 0, 40);
	expect_rule(both, &k, PASS, 3);
	pkt_icmp6(&k, A6, B6, 5, 0, 0);
	expect_default(both, &k, DROP);
	pkt_icmp4(&k, A4, B4, 137, 0, 0);
	expect_default(both, &k, DROP);
}

static void test_icmp_codes(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "icmp");
	struct pkt k;
	static const uint8_t in[] = { 0, 1, 3, 4 };
	static const uint8_t out[] = { 2, 5, 12, 255 };

	for (size_t i = 0; i < sizeof(in); i++) {
		pkt_icmp4(&k, A4, B4, 3, in[i], 28);
		expect_rule(p, &k, PASS, 4);
	}
	for (size_t i = 0; i < sizeof(out); i++) {
		pkt_icmp4(&k, A4, B4, 3, out[i], 28);
		expect_default(p, &k, DROP);
	}
	/* IPv6 destination unreachable is type 1 */
	pkt_icmp6(&k, A6, B6, 1, 4, 48);
	expect_rule(p, &k, PASS, 5);
	pkt_icmp6(&k, A6, B6, 1, 3, 48);
	expect_default(p, &k, DROP);
	pkt_icmp6(&k, A6, B6, 3, 0, 48);
	expect_default(p, &k, DROP);
	pkt_icmp4(&k, A4, B4, 1, 4, 0);
	expect_default(p, &k, DROP);
}

static void test_icmp_code_without_type(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "icmp");
	struct pkt k;

	pkt_icmp4(&k, A4, B4, 3, 13, 0);
	expect_rule(p, &k, PASS, 6);
	pkt_icmp4(&k, A4, B4, 5, 13, 0);
	expect_rule(p, &k, PASS, 6);
	pkt_icmp6(&k, A6, B6, 5, 13, 0);
	expect_default(p, &k, DROP);
}

static void test_icmp_type_numbers(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "icmp");
	struct pkt k;

	pkt_icmp6(&k, A6, B6, 200, 0, 0);
	expect_rule(p, &k, PASS, 7);
	pkt_icmp6(&k, A6, B6, 255, 9, 0);
	expect_rule(p, &k, PASS, 7);
	pkt_icmp6(&k, A6, B6, 201, 0, 0);
	expect_default(p, &k, DROP);
	pkt_icmp4(&k, A4, B4, 200, 0, 0);
	expect_default(p, &k, DROP);
	/* a number means the same in both families */
	pkt_icmp4(&k, A4, B4, 13, 0, 0);
	expect_rule(p, &k, PASS, 8);
	pkt_icmp6(&k, A6, B6, 13, 0, 0);
	expect_rule(p, &k, PASS, 8);
}

/* ---- order and defaults ------------------------------------------------------- */

static void test_first_match_drop_before_pass(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "order");
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 80, PKT_TCP_SYN, 0);
	expect_rule(p, &k, DROP, 1);
	pkt_tcp6(&k, A6, B6, 1000, 80, PKT_TCP_SYN, 0);
	expect_rule(p, &k, DROP, 1);
	pkt_tcp4(&k, "192.0.2.5", B4, 1000, 9, 0, 0);
	expect_rule(p, &k, DROP, 5);
}

static void test_first_match_pass_before_drop(void **state)
{
	struct harness_prog *p = harness_prog_ok(obj, "order");
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 81, PKT_TCP_SYN, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_tcp6(&k, A6, B6, 1000, 81, PKT_TCP_SYN, 0);
	expect_rule(p, &k, PASS, 3);
	pkt_udp4(&k, "192.0.3.5", B4, 1000, 9, 0);
	expect_rule(p, &k, PASS, 7);
	pkt_udp4(&k, "192.0.3.6", B4, 1000, 9, 0);
	expect_rule(p, &k, DROP, 8);
	pkt_tcp4(&k, "192.0.3.5", B4, 1000, 9, 0, 0);
	expect_rule(p, &k, DROP, 8);
}

static void test_default_verdicts(void **state)
{
	struct harness_prog *dd = harness_prog_ok(obj, "default-drop");
	struct harness_prog *dp = harness_prog_ok(obj, "default-pass");
	struct pkt k;

	pkt_udp4(&k, A4, B4, 1, 9, 0);
	expect_rule(dd, &k, PASS, 1);
	expect_rule(dp, &k, DROP, 1);
	pkt_udp6(&k, A6, B6, 1, 10, 0);
	expect_default(dd, &k, DROP);
	expect_default(dp, &k, PASS);
	pkt_tcp4(&k, A4, B4, 1, 9, 0, 0);
	expect_default(dd, &k, DROP);
	expect_default(dp, &k, PASS);
	pkt_icmp6(&k, A6, B6, 128, 0, 0);
	expect_default(dd, &k, DROP);
	expect_default(dp, &k, PASS);
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_tcp_matches_both_families),
		cmocka_unit_test(test_proto_list_matches_each_member),
		cmocka_unit_test(test_proto_icmp_is_ipv4_and_icmpv6_is_ipv6),
		cmocka_unit_test(test_proto_number_and_unlisted_protocols),
		cmocka_unit_test(test_proto_names_and_any),
		cmocka_unit_test(test_proto_ah_in_ipv6_is_an_extension_header),
		cmocka_unit_test(test_addr_v4_host_is_source_only),
		cmocka_unit_test(test_addr_v4_dst_prefix_bounds),
		cmocka_unit_test(test_addr_v6_host_and_prefix),
		cmocka_unit_test(test_addr_constant_mixes_families),
		cmocka_unit_test(test_addr_lists_on_both_ends),
		cmocka_unit_test(test_addr_zero_length_prefix_is_one_family),
		cmocka_unit_test(test_prefix_lengths_at_word_edges),
		cmocka_unit_test(test_prefix_of_one_family_ignores_the_other),
		cmocka_unit_test(test_port_single),
		cmocka_unit_test(test_port_constant_list_with_range),
		cmocka_unit_test(test_port_source),
		cmocka_unit_test(test_port_range_bounds),
		cmocka_unit_test(test_port_both_ends_and_both_protocols),
		cmocka_unit_test(test_port_list_of_ranges),
		cmocka_unit_test(test_port_open_ended_range_and_addresses),
		cmocka_unit_test(test_port_rule_ignores_other_protocols),
		cmocka_unit_test(test_icmp_type_names_are_per_family),
		cmocka_unit_test(test_icmpv6_type_list),
		cmocka_unit_test(test_icmp_both_families_one_name),
		cmocka_unit_test(test_icmp_type_name_of_one_family_in_a_two_family_rule),
		cmocka_unit_test(test_icmp_codes),
		cmocka_unit_test(test_icmp_code_without_type),
		cmocka_unit_test(test_icmp_type_numbers),
		cmocka_unit_test(test_first_match_drop_before_pass),
		cmocka_unit_test(test_first_match_pass_before_drop),
		cmocka_unit_test(test_default_verdicts),
	};

	/* every expectation holds under either plan */
	int failed = cmocka_run_group_tests_name("linear", tests, setup_linear, group_teardown);
	failed += cmocka_run_group_tests_name("classifier", tests, setup_classifier,
					      group_teardown);
	return failed;
}
