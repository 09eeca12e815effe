// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_hooks.c: the same policy attached to XDP, tc ingress and tc egress.
 *
 * Each hook must decide every frame the same way and count it the same
 * way; only the return codes differ: XDP_PASS (2) / XDP_DROP (1) for XDP,
 * TC_ACT_UNSPEC (-1) / TC_ACT_SHOT (2) for tc.  The artifact's metadata
 * must say which hook each program is for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bpf_harness.h"

#define RULES                                   \
	"	pass tcp to port 80          # 1\n" \
	"	drop udp                     # 2\n" \
	"	pass from 192.0.2.99         # 3\n" \
	"	drop icmpv6 type echo-request # 4\n"

static const char policy_src[] =
	"policy on-xdp {\n	attach xdp\n	default drop\n" RULES "}\n"
	"policy on-ingress {\n	attach tc ingress\n	default drop\n" RULES "}\n"
	"policy on-egress {\n	attach tc egress\n	default drop\n" RULES "}\n"
	"policy open-xdp {\n	attach xdp\n	default pass\n" RULES "}\n"
	"policy open-ingress {\n	attach tc ingress\n	default pass\n" RULES "}\n"
	"policy open-egress {\n	attach tc egress\n	default pass\n" RULES "}\n";

static struct harness_obj *obj;
/* [default drop, default pass][xdp, ingress, egress] */
static struct harness_prog *progs[2][3];
static const char *const names[2][3] = {
	{ "on-xdp", "on-ingress", "on-egress" },
	{ "open-xdp", "open-ingress", "open-egress" },
};

static int group_setup(void **state)
{
	obj = harness_compile(policy_src);
	if (!obj)
		return -1;
	for (int d = 0; d < 2; d++)
		for (int h = 0; h < 3; h++)
			if (!(progs[d][h] = harness_prog(obj, names[d][h])))
				return -1;
	return 0;
}

static int group_teardown(void **state)
{
	printf("test_hooks: %lu frames checked\n", harness_frames_checked());
	harness_free(obj);
	return 0;
}

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define A6 "2001:db8:77::1"
#define B6 "2001:db8:77::2"

/* The frame gets `verdict` by rule `id` (0: the default) on every hook. */
static void on_all_hooks(int dflt, const struct pkt *k, int verdict,
			 unsigned id)
{
	for (int h = 0; h < 3; h++) {
		if (id)
			expect_rule(progs[dflt][h], k, verdict, id);
		else
			expect_default(progs[dflt][h], k, verdict);
	}
}

static void reason_on_all_hooks(const struct pkt *k, int verdict,
				enum polc_reason reason)
{
	for (int d = 0; d < 2; d++)
		for (int h = 0; h < 3; h++)
			expect_reason(progs[d][h], k, verdict, reason);
}

static void test_program_types_and_sections(void **state)
{
	for (int d = 0; d < 2; d++) {
		assert_true(progs[d][0]->xdp);
		assert_string_equal(progs[d][0]->section, "xdp");
		for (int h = 1; h < 3; h++) {
			assert_false(progs[d][h]->xdp);
			assert_string_equal(progs[d][h]->section, "tc");
		}
	}
	assert_int_equal(harness_n_progs(obj), 6);
}

static void test_return_codes_per_hook(void **state)
{
	struct pkt pass, drop;
	int ret;

	pkt_tcp4(&pass, A4, B4, 1000, 80, PKT_TCP_SYN, 0);
	pkt_udp4(&drop, A4, B4, 1000, 80, 0);
	for (int d = 0; d < 2; d++) {
		assert_int_equal(harness_run(progs[d][0], pass.data, pass.len, &ret), 0);
		assert_int_equal(ret, 2); /* XDP_PASS */
		assert_int_equal(harness_run(progs[d][0], drop.data, drop.len, &ret), 0);
		assert_int_equal(ret, 1); /* XDP_DROP */
		for (int h = 1; h < 3; h++) {
			assert_int_equal(harness_run(progs[d][h], pass.data, pass.len, &ret), 0);
			assert_int_equal(ret, -1); /* TC_ACT_UNSPEC */
			assert_int_equal(harness_run(progs[d][h], drop.data, drop.len, &ret), 0);
			assert_int_equal(ret, 2); /* TC_ACT_SHOT */
		}
	}
}

static void test_rules_decide_alike_on_every_hook(void **state)
{
	struct pkt k;

	for (int d = 0; d < 2; d++) {
		pkt_tcp4(&k, A4, B4, 1000, 80, PKT_TCP_SYN, 0);
		on_all_hooks(d, &k, PASS, 1);
		pkt_tcp6(&k, A6, B6, 1000, 80, PKT_TCP_SYN, 100);
		on_all_hooks(d, &k, PASS, 1);
		pkt_udp6(&k, A6, B6, 1000, 80, 0);
		on_all_hooks(d, &k, DROP, 2);
		pkt_udp4(&k, "192.0.2.99", B4, 1000, 80, 0);
		on_all_hooks(d, &k, DROP, 2);
		pkt_tcp4(&k, "192.0.2.99", B4, 1000, 81, 0, 0);
		on_all_hooks(d, &k, PASS, 3);
		pkt_icmp6(&k, A6, B6, 128, 0, 32);
		on_all_hooks(d, &k, DROP, 4);
		pkt_icmp4(&k, A4, B4, 8, 0, 32);
		on_all_hooks(d, &k, d ? PASS : DROP, 0);
		pkt_tcp6(&k, A6, B6, 1000, 81, 0, 0);
		on_all_hooks(d, &k, d ? PASS : DROP, 0);
	}
}

static void test_vlan_and_extension_headers_on_every_hook(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021AD, 1);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 2);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = A4, .dst = B4, .options_len = 8 });
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 80, .options_len = 12 });
	pkt_finish(&k);
	on_all_hooks(0, &k, PASS, 1);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 3);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
	pkt_ipv6_ext(&k, PKT_IPPROTO_HOPOPTS, 8);
	pkt_ipv6_ext(&k, PKT_IPPROTO_ROUTING, 24);
	pkt_ipv6_frag(&k, 0, true, 5);
	pkt_udp(&k, 5, 6);
	pkt_finish(&k);
	on_all_hooks(1, &k, DROP, 2);
}

static void test_large_frames_on_every_hook(void **state)
{
	struct pkt k;

	/* more than the 256 bytes tc makes sure are linear */
	pkt_tcp4(&k, A4, B4, 1000, 80, PKT_TCP_ACK, 1400);
	on_all_hooks(0, &k, PASS, 1);
	pkt_udp6(&k, A6, B6, 1, 2, 1400);
	on_all_hooks(1, &k, DROP, 2);
	/* headers that end past the first 256 bytes */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = A6, .dst = B6 });
	pkt_ipv6_ext(&k, PKT_IPPROTO_HOPOPTS, 512);
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 1, .dport = 80 });
	pkt_payload(&k, 100);
	pkt_finish(&k);
	on_all_hooks(0, &k, PASS, 1);
}

/*
 * The kernel's BPF_PROG_TEST_RUN for skb programs refuses (EINVAL) a frame
 * whose ethertype is IPv4 or IPv6 but that is shorter than that header:
 * such frames are run through XDP only.  Behind a VLAN tag the kernel does
 * not look, so tagged frames cut anywhere run on tc as well.
 */
static void xdp_reason(const struct pkt *k, int verdict, enum polc_reason reason)
{
	for (int d = 0; d < 2; d++)
		expect_reason(progs[d][0], k, verdict, reason);
}

static void test_prefilter_decides_alike_on_every_hook(void **state)
{
	struct pkt k;

	pkt_init(&k);
	pkt_eth(&k);
	pkt_arp(&k, A4, B4);
	pkt_finish(&k);
	reason_on_all_hooks(&k, PASS, POLC_REASON_NON_IP);

	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 0);
	pkt_truncate(&k, k.len - 1);
	reason_on_all_hooks(&k, DROP, POLC_REASON_TRUNCATED);

	pkt_tcp6(&k, A6, B6, 1000, 80, 0, 0);
	pkt_truncate(&k, 14 + 40);
	reason_on_all_hooks(&k, DROP, POLC_REASON_TRUNCATED);
	pkt_truncate(&k, 14 + 39);
	xdp_reason(&k, DROP, POLC_REASON_TRUNCATED);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_l2_raw(&k, PKT_ETH_P_IP, 0);
	pkt_finish(&k);
	xdp_reason(&k, DROP, POLC_REASON_TRUNCATED);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 9);
	pkt_l2_raw(&k, PKT_ETH_P_IP, 0);
	pkt_finish(&k);
	reason_on_all_hooks(&k, DROP, POLC_REASON_TRUNCATED);

	pkt_tcp4(&k, A4, B4, 1000, 80, 0, 0);
	pkt_set_ipv4_ihl(&k, 3);
	reason_on_all_hooks(&k, DROP, POLC_REASON_MALFORMED);

	pkt_tcp6(&k, A6, B6, 1000, 80, 0, 0);
	pkt_set_tcp_doff(&k, 2);
	reason_on_all_hooks(&k, DROP, POLC_REASON_MALFORMED);

	pkt_udp6(&k, A6, B6, 1000, 80, 0);
	pkt_set_ipv6_plen(&k, 0);
	reason_on_all_hooks(&k, DROP, POLC_REASON_MALFORMED);
}

static void test_tc_drops_frames_cut_at_every_byte(void **state)
{
	struct pkt whole, k;

	for (int v6 = 0; v6 < 2; v6++) {
		/* tagged: every cut after the Ethernet header */
		pkt_init(&whole);
		pkt_eth(&whole);
		pkt_vlan(&whole, PKT_ETH_P_8021Q, 10);
		if (v6)
			pkt_ipv6(&whole, &(struct pkt_ip){ .src = A6, .dst = B6 });
		else
			pkt_ipv4(&whole, &(struct pkt_ip){ .src = A4, .dst = B4,
							   .options_len = 4 });
		pkt_tcp(&whole, &(struct pkt_tcp){ .sport = 1, .dport = 80 });
		pkt_payload(&whole, 3);
		pkt_finish(&whole);
		for (size_t cut = PKT_ETH_HLEN; cut < whole.len; cut++) {
			k = whole;
			pkt_truncate(&k, cut);
			reason_on_all_hooks(&k, DROP, POLC_REASON_TRUNCATED);
		}
		/* untagged: every cut after the fixed IP header */
		if (v6)
			pkt_udp6(&whole, A6, B6, 1, 2, 3);
		else
			pkt_udp4(&whole, A4, B4, 1, 2, 3);
		for (size_t cut = 14 + (v6 ? 40 : 20); cut < whole.len; cut++) {
			k = whole;
			pkt_truncate(&k, cut);
			reason_on_all_hooks(&k, DROP, POLC_REASON_TRUNCATED);
		}
	}
}

/* ---- metadata ----------------------------------------------------------- */

static const char *meta_str(const uint8_t *blob, size_t size, uint32_t off)
{
	const struct polc_meta_header *h = (const void *)blob;

	assert_true(h->strings_off <= size && h->strings_size <= size - h->strings_off);
	assert_true(off < h->strings_size);
	const char *s = (const char *)blob + h->strings_off + off;
	assert_non_null(memchr(s, '\0', h->strings_size - off));
	return s;
}

static void test_metadata_names_each_programs_hook(void **state)
{
	static const uint32_t hooks[3] = { POLC_HOOK_XDP, POLC_HOOK_TC_INGRESS,
					   POLC_HOOK_TC_EGRESS };
	size_t size;
	const uint8_t *blob = harness_meta(obj, &size);

	assert_non_null(blob);
	assert_true(size >= sizeof(struct polc_meta_header));
	const struct polc_meta_header *h = (const void *)blob;
	assert_int_equal(h->magic, POLC_META_MAGIC);
	assert_int_equal(h->version, POLC_META_VERSION);
	assert_int_equal(h->total_size, size);
	assert_int_equal(h->n_policies, 6);
	assert_int_equal(h->n_progs, 6);
	assert_int_equal(h->n_rules, 6 * 4);
	assert_true(h->policies_off + h->n_policies * sizeof(struct polc_meta_policy) <= size);
	assert_true(h->progs_off + h->n_progs * sizeof(struct polc_meta_prog) <= size);

	const struct polc_meta_policy *pol = (const void *)(blob + h->policies_off);
	const struct polc_meta_prog *prog = (const void *)(blob + h->progs_off);
	for (int d = 0; d < 2; d++) {
		for (int hk = 0; hk < 3; hk++) {
			const struct polc_meta_policy *p = NULL;
			for (uint32_t i = 0; i < h->n_policies; i++)
				if (strcmp(meta_str(blob, size, pol[i].name_str), names[d][hk]) == 0)
					p = &pol[i];
			assert_non_null(p);
			assert_int_equal(p->n_progs, 1);
			assert_true(p->first_prog < h->n_progs);
			assert_int_equal(prog[p->first_prog].hook, hooks[hk]);
			assert_string_equal(meta_str(blob, size, prog[p->first_prog].name_str),
					    progs[d][hk]->name);
			assert_int_equal(p->default_verdict, d ? POLC_VERDICT_PASS
							       : POLC_VERDICT_DROP);
			assert_int_equal(p->n_rules, 4);
			char map[160];
			snprintf(map, sizeof(map), "%s_rules", progs[d][hk]->name);
			assert_string_equal(meta_str(blob, size, p->rules_map_str), map);
			snprintf(map, sizeof(map), "%s_reasons", progs[d][hk]->name);
			assert_string_equal(meta_str(blob, size, p->reasons_map_str), map);
		}
	}
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_types_and_sections),
		cmocka_unit_test(test_return_codes_per_hook),
		cmocka_unit_test(test_rules_decide_alike_on_every_hook),
		cmocka_unit_test(test_vlan_and_extension_headers_on_every_hook),
		cmocka_unit_test(test_large_frames_on_every_hook),
		cmocka_unit_test(test_prefilter_decides_alike_on_every_hook),
		cmocka_unit_test(test_tc_drops_frames_cut_at_every_byte),
		cmocka_unit_test(test_metadata_names_each_programs_hook),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
