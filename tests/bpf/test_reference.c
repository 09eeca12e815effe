// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_reference.c: the kernel agrees with the reference semantics.
 *
 * Thousands of well-formed frames, drawn from pools of values at and around
 * the edges of a policy's prefixes, ports and types (with VLAN tags, IPv4
 * options, IPv6 extension headers and fragments thrown in), are run through
 * the compiled policy on XDP and tc.  The expected verdict and counter come
 * from the IR's reference meaning of a rule, ir_rule_matches(), applied in
 * rule order: the code generator and the BPF parser are checked against the
 * front end's reading of the policy, independently of how they compute it.
 * A third policy does the same with named sets (of each family, of both,
 * of ports), alone and mixed with literals.  All of it twice: with the
 * linear plan and with the classifier plan.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bpf_harness.h"
#include "ir.h"
#include "polc.h"

#define RULES                                                                  \
	"	drop from 192.0.2.0/25\n"                                      \
	"	pass tcp to port $web\n"                                       \
	"	pass tcp from $office to port 22\n"                            \
	"	drop udp from { 10.0.0.0/8, fd00::/8 } to port 53\n"           \
	"	pass udp from port 53 to port 1024-65535\n"                    \
	"	pass { udp, tcp } from port 0-1023 \\\n"                        \
	"	     to { 10.0.0.0/8, 203.0.113.0/24, fd00::/8 } port 1024-2047\n" \
	"	pass icmp type { echo-request, echo-reply }\n"                 \
	"	pass icmpv6 type { echo-request, neighbor-solicitation, 200 }\n" \
	"	pass icmp type destination-unreachable code { 0, 1, 3-4 }\n"   \
	"	pass { icmp, icmpv6 } code 13\n"                               \
	"	drop 47 from 2001:db8::/32\n"                                  \
	"	pass { 47, 50 }\n"                                             \
	"	drop tcp from 10.0.0.0/8\n"                                    \
	"	pass from ::/0 to 2001:db8:ff00::/40\n"

/* Named sets over the same pools of values, alone and mixed with literals. */
#define SETS                                                                   \
	"set nets4 : ipv4 { 192.0.2.0/25, 10.0.0.0/8, 203.0.113.9 }\n"           \
	"set nets6 : ipv6 prefix { 2001:db8:100::/48, fd00::/8 }\n"              \
	"set both : ip { 198.51.100.0/24, 172.16.0.0/12, 2001:db8:ff00::/40, ::1 }\n" \
	"set svc : port { 80, 443, 8000-8080 }\n"                                \
	"set low : port { 0-1023 }\n"

#define SET_RULES                                                              \
	"	drop from @nets4 to @both\n"                                  \
	"	pass tcp to { @nets6, 203.0.113.0/24 } port @svc\n"           \
	"	pass udp from port @low to port { 53, @svc }\n"               \
	"	drop from { @both, 11.0.0.1 } to @nets4\n"                    \
	"	pass icmpv6 from @nets6 type echo-request\n"                  \
	"	pass { tcp, udp } from port { @svc, 53 } to @nets4\n"         \
	"	pass 47 from @both\n"                                         \
	"	drop to @nets6\n"                                             \
	"	pass icmp to @both code { 0, 13 }\n"                          \
	"	drop { tcp, udp } from @nets4 port @low to port @low\n"

static const char policy_src[] =
	"const office = { 198.51.100.0/24, 2001:db8:100::/48 }\n"
	"const web = { 80, 443, 8000-8080 }\n"
	"policy ref {\n	attach xdp\n	default drop\n" RULES "}\n"
	"policy ref-tc {\n	attach tc ingress\n	default pass\n" RULES "}\n";

/* In an object of its own: a policy that does not load fails its test only. */
static const char sets_src[] =
	SETS "policy ref-sets {\n	attach xdp\n	default pass\n" SET_RULES "}\n";

static struct harness_obj *obj, *obj_sets;
static enum polc_plan_choice group_plan;

/* Each group compiles the policies with one plan; the frames are the same. */
static int setup_plan(enum polc_plan_choice plan)
{
	group_plan = plan;
	obj = harness_compile_plan(policy_src, plan);
	obj_sets = harness_compile_plan(sets_src, plan);
	return obj && harness_ir(obj)->n_policies == 2 ? 0 : -1;
}

static int setup_linear(void **state)
{
	return setup_plan(POLC_PLAN_FORCE_LINEAR);
}

static int setup_classifier(void **state)
{
	return setup_plan(POLC_PLAN_FORCE_CLASSIFIER);
}

static int group_teardown(void **state)
{
	printf("test_reference: %lu frames checked\n", harness_frames_checked());
	harness_free(obj);
	harness_free(obj_sets);
	obj = obj_sets = NULL;
	return 0;
}

/* ---- drawing frames ------------------------------------------------------ */

#define RNG_SEED 0x9e3779b97f4a7c15ull
static uint64_t rng_state = RNG_SEED;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

static const char *const addrs4[] = {
	"192.0.2.1", "192.0.2.127", "192.0.2.128", "198.51.100.5", "198.51.101.5",
	"10.1.2.3", "10.255.255.255", "11.0.0.1", "172.16.5.5", "203.0.113.9",
	"203.0.114.1", "8.8.8.8", "0.0.0.0", "255.255.255.255", "128.0.0.1",
	"32.1.13.184",
};

static const char *const addrs6[] = {
	"2001:db8::1", "2001:db8:100::5", "2001:db8:100:ffff::1", "2001:db8:101::1",
	"2001:db8:ff00::1", "2001:db8:ffff::", "2001:db8:fe00::1", "fd00:1::1",
	"fd12::1", "fe00::1", "::1", "::", "2001:db9::1", "c000:280::1",
	"a00:1::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

static const uint16_t ports[] = {
	0, 1, 22, 53, 79, 80, 81, 443, 1023, 1024, 2047, 2048, 7999, 8000,
	8080, 8081, 40000, 65535,
};

static const uint8_t icmp_types[] = { 0, 1, 3, 8, 13, 128, 129, 135, 136, 200, 255 };
static const uint8_t icmp_codes[] = { 0, 1, 2, 3, 4, 5, 13, 255 };

static void to_words(int v6, const char *text, uint32_t w[4])
{
	uint8_t b[16] = { 0 };

	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, text, b), 1);
	memset(w, 0, 4 * sizeof(*w));
	for (int i = 0; i < (v6 ? 4 : 1); i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
}

/* A random well-formed frame and the fields the parser must see in it. */
static void draw(struct pkt *k, struct ir_packet *f)
{
	int v6 = rnd(2);
	static const uint8_t protos[] = { PKT_IPPROTO_TCP, PKT_IPPROTO_TCP, PKT_IPPROTO_UDP,
					  PKT_IPPROTO_UDP, PKT_IPPROTO_ICMP, PKT_IPPROTO_ICMP,
					  PKT_IPPROTO_GRE, PKT_IPPROTO_ESP, 132 };
	uint8_t proto = PICK(protos);
	const char *src = v6 ? PICK(addrs6) : PICK(addrs4);
	const char *dst = v6 ? PICK(addrs6) : PICK(addrs4);
	bool later = rnd(8) == 0;

	/* ICMP is icmpv6 in IPv6, but now and then the other one */
	if (proto == PKT_IPPROTO_ICMP && (v6 ? rnd(8) != 0 : rnd(8) == 0))
		proto = PKT_IPPROTO_ICMPV6;

	memset(f, 0, sizeof(*f));
	f->family = v6 ? IR_V6 : IR_V4;
	f->proto = proto;
	to_words(v6, src, f->src);
	to_words(v6, dst, f->dst);

	pkt_init(k);
	pkt_eth(k);
	for (uint32_t n = rnd(4) == 0 ? 1 + rnd(2) : 0; n; n--)
		pkt_vlan(k, rnd(2) ? PKT_ETH_P_8021Q : PKT_ETH_P_8021AD, (uint16_t)rnd(4096));
	if (v6) {
		pkt_ipv6(k, &(struct pkt_ip){ .src = src, .dst = dst });
		static const uint8_t ext[] = { PKT_IPPROTO_HOPOPTS, PKT_IPPROTO_DSTOPTS,
					       PKT_IPPROTO_ROUTING, PKT_IPPROTO_AH };
		for (uint32_t n = rnd(3) == 0 ? 1 + rnd(3) : 0; n; n--)
			pkt_ipv6_ext(k, PICK(ext), 8 * (2 + rnd(3)));
		if (later || rnd(10) == 0)
			pkt_ipv6_frag(k, later ? (uint16_t)(1 + rnd(1000)) : 0, rnd(2), rnd(1000));
	} else {
		pkt_ipv4(k, &(struct pkt_ip){
			.src = src, .dst = dst, .proto = proto,
			.options_len = (uint8_t)(rnd(4) == 0 ? 4 * (1 + rnd(10)) : 0),
			.frag_offset = later ? (uint16_t)(1 + rnd(1000)) : 0,
			.mf = later ? rnd(2) : rnd(10) == 0, .df = rnd(2) });
	}

	uint16_t sport = PICK(ports), dport = PICK(ports);
	uint8_t type = PICK(icmp_types), code = PICK(icmp_codes);
	switch (proto) {
	case PKT_IPPROTO_TCP:
		pkt_tcp(k, &(struct pkt_tcp){ .sport = sport, .dport = dport,
					      .flags = (uint8_t)rnd(64),
					      .options_len = (uint8_t)(4 * rnd(3)) });
		break;
	case PKT_IPPROTO_UDP:
		pkt_udp(k, sport, dport);
		break;
	case PKT_IPPROTO_ICMP:
		pkt_icmp(k, type, code, 1, 1);
		break;
	case PKT_IPPROTO_ICMPV6:
		pkt_icmpv6(k, type, code, 1, 1);
		break;
	default:
		break;
	}
	pkt_payload(k, 1 + rnd(40));
	pkt_finish(k);
	if (v6) /* the last header before the payload or L4 header */
		for (unsigned i = k->n_layers; i-- > 0;)
			if (k->layer[i].kind == PKT_L_IPV6 ||
			    k->layer[i].kind == PKT_L_IPV6_EXT ||
			    k->layer[i].kind == PKT_L_IPV6_FRAG) {
				k->data[k->layer[i].off + (k->layer[i].kind == PKT_L_IPV6 ? 6 : 0)] = proto;
				break;
			}
	if (rnd(4) == 0)
		pkt_pad(k, k->len + rnd(30));

	if (later)
		return;
	switch (proto) {
	case PKT_IPPROTO_TCP:
	case PKT_IPPROTO_UDP:
		f->has_l4 = true;
		f->sport = sport;
		f->dport = dport;
		break;
	case PKT_IPPROTO_ICMP:
	case PKT_IPPROTO_ICMPV6:
		f->has_l4 = true;
		f->icmp_type = type;
		f->icmp_code = code;
		break;
	}
}

static void check_random_frames(struct harness_obj *o, const char *name, unsigned n)
{
	struct harness_prog *p = harness_prog_ok(o, name);
	const struct ir_policy *pol = harness_ir_policy(o, name);
	unsigned hits[64] = { 0 };
	struct ir_packet f;
	struct pkt k;

	assert_non_null(pol);
	assert_true(pol->n_rules < 64);
	for (unsigned i = 0; i < n; i++) {
		int verdict;
		unsigned rule;

		draw(&k, &f);
		harness_reference(pol, &f, &verdict, &rule);
		hits[rule]++;
		if (rule)
			expect_rule(p, &k, verdict, rule);
		else
			expect_default(p, &k, verdict);
	}
	/* the draw must reach every rule, or the test proves little */
	for (size_t r = 0; r <= pol->n_rules; r++) {
		if (!hits[r])
			print_error("%s: no frame was decided by %s %zu\n", name,
				    r ? "rule" : "the default", r);
		assert_int_not_equal(hits[r], 0);
	}
}

static void test_random_frames_agree_with_reference_on_xdp(void **state)
{
	check_random_frames(obj, "ref", 2500);
}

static void test_random_frames_agree_with_reference_on_tc(void **state)
{
	check_random_frames(obj, "ref-tc", 2500);
}

static void test_random_frames_agree_with_reference_with_sets(void **state)
{
	/*
	 * Ten set lookups: under the classifier plan this is the policy whose
	 * 2^10 constant set-bit paths once walked past the verifier's limit
	 * (see polc_opaque() in polc_classifier.h).
	 */
	if (!obj_sets)
		fail_msg("policy ref-sets did not compile or load with the %s plan",
			 harness_plan_name(group_plan));
	check_random_frames(obj_sets, "ref-sets", 2500);
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_frames_agree_with_reference_on_xdp),
		cmocka_unit_test(test_random_frames_agree_with_reference_on_tc),
		cmocka_unit_test(test_random_frames_agree_with_reference_with_sets),
	};
	int failed = 0;

	/* the same frames (the generator restarts) under each plan */
	rng_state = RNG_SEED;
	failed += cmocka_run_group_tests_name("linear", tests, setup_linear, group_teardown);
	rng_state = RNG_SEED;
	failed += cmocka_run_group_tests_name("classifier", tests, setup_classifier,
					      group_teardown);
	return failed;
}
