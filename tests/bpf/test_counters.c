// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_counters.c: the rules and reasons counters count what they should.
 *
 * A decided frame adds one packet and its whole length in bytes (Ethernet
 * header and padding included) to exactly one per-CPU counter: entry
 * (id - 1) of the rules map for the deciding rule, or the entry of its
 * reason in the reasons map.  Readers sum the entries of every possible CPU.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_harness.h"
#include "strbuf.h"

static const char policy_src[] =
	"policy count {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass tcp to port 80       # 1\n"
	"	pass udp to port 53       # 2\n"
	"	drop from 192.0.2.0/24    # 3\n"
	"}\n"
	"policy count-tc {\n"
	"	attach tc egress\n"
	"	default pass\n"
	"	drop tcp to port 80       # 1\n"
	"	pass udp to port 53       # 2\n"
	"}\n";

static const char empty_src[] =
	"policy nothing {\n"
	"	attach xdp\n"
	"	default pass\n"
	"}\n"
	"policy nothing-tc {\n"
	"	attach tc ingress\n"
	"	default drop\n"
	"}\n";

#define N_MANY 200

static struct harness_obj *obj, *empty, *many;
static struct harness_prog *count, *count_tc;

/*
 * Rule i + 1 for i = 0..N_MANY-1: a protocol list, a prefix of each family,
 * a source port range and a list of destination ports.  Before classify
 * functions were verified on their own, the verifier walked the rules once
 * per way through the parser and gave up on this policy (more than a
 * million instructions).
 */
static char *many_rules_src(void)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "policy many {\n\tattach xdp\n\tdefault drop\n");
	for (unsigned i = 0; i < N_MANY; i++)
		strbuf_printf(&sb, "\t%s { tcp, udp } from { 10.0.%u.0/24, fd00:%x::/48 } port 1000-2000 to port { %u, %u-%u }\n",
			      i % 2 ? "drop" : "pass", i, i, i, i + 5000, i + 5010);
	strbuf_puts(&sb, "}\n");
	return strbuf_steal(&sb);
}

static int group_setup(void **state)
{
	char *src = many_rules_src();

	obj = harness_compile(policy_src);
	empty = harness_compile_warned(empty_src, 2);
	many = src ? harness_compile(src) : NULL;
	free(src);
	if (!obj || !empty || !many)
		return -1;
	count = harness_prog(obj, "count");
	count_tc = harness_prog(obj, "count-tc");
	return count && count_tc ? 0 : -1;
}

static int group_teardown(void **state)
{
	printf("test_counters: %lu frames checked\n", harness_frames_checked());
	harness_free(obj);
	harness_free(empty);
	harness_free(many);
	return 0;
}

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define A6 "2001:db8:77::1"
#define B6 "2001:db8:77::2"

static struct polc_counter rule_counter(const struct harness_prog *p, unsigned id)
{
	struct polc_counter c;

	assert_int_equal(harness_rule_counter(p, id, &c), 0);
	return c;
}

static struct polc_counter reason_counter(const struct harness_prog *p,
					  enum polc_reason r)
{
	struct polc_counter c;

	assert_int_equal(harness_reason_counter(p, r, &c), 0);
	return c;
}

static void run(const struct harness_prog *p, const struct pkt *k)
{
	int ret;

	assert_int_equal(harness_run(p, k->data, k->len, &ret), 0);
}

static void test_rule_counter_adds_packets_and_bytes(void **state)
{
	struct polc_counter before = rule_counter(count, 2);
	uint64_t bytes = 0;
	struct pkt k;

	for (size_t n = 0; n < 20; n++) {
		if (n % 2)
			pkt_udp4(&k, A4, B4, 1, 53, n * 37);
		else
			pkt_udp6(&k, A6, B6, 1, 53, n * 37);
		bytes += k.len;
		run(count, &k);
	}
	struct polc_counter after = rule_counter(count, 2);
	assert_int_equal(after.packets - before.packets, 20);
	assert_int_equal(after.bytes - before.bytes, bytes);
}

static void test_each_reason_has_its_counter(void **state)
{
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1, 81, 0, 0);
	expect_default(count, &k, DROP);
	pkt_init(&k);
	pkt_eth(&k);
	pkt_arp(&k, A4, B4);
	pkt_finish(&k);
	expect_reason(count, &k, PASS, POLC_REASON_NON_IP);
	pkt_tcp4(&k, A4, B4, 1, 80, 0, 0);
	pkt_truncate(&k, k.len - 3);
	expect_reason(count, &k, DROP, POLC_REASON_TRUNCATED);
	pkt_tcp4(&k, A4, B4, 1, 80, 0, 0);
	pkt_set_tcp_doff(&k, 1);
	expect_reason(count, &k, DROP, POLC_REASON_MALFORMED);
}

static void test_reason_counters_accumulate(void **state)
{
	struct polc_counter before = reason_counter(count, POLC_REASON_MALFORMED);
	struct polc_counter nonip = reason_counter(count, POLC_REASON_NON_IP);
	uint64_t bytes = 0;
	struct pkt k;

	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		pkt_udp4(&k, A4, B4, 1, 53, ihl * 100u);
		pkt_set_ipv4_ihl(&k, ihl);
		bytes += k.len;
		run(count, &k);
	}
	struct polc_counter after = reason_counter(count, POLC_REASON_MALFORMED);
	assert_int_equal(after.packets - before.packets, 5);
	assert_int_equal(after.bytes - before.bytes, bytes);
	/* and the others did not move */
	after = reason_counter(count, POLC_REASON_NON_IP);
	assert_int_equal(after.packets, nonip.packets);
	assert_int_equal(after.bytes, nonip.bytes);
}

static void test_bytes_are_the_frame_length_with_padding(void **state)
{
	struct pkt k;

	pkt_udp4(&k, A4, B4, 1, 53, 0);
	pkt_pad(&k, PKT_ETH_ZLEN);
	expect_rule(count, &k, PASS, 2);
	expect_rule(count_tc, &k, PASS, 2);
	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 4);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = "192.0.2.3", .dst = B4, .options_len = 8 });
	pkt_icmp(&k, 8, 0, 1, 1);
	pkt_finish(&k);
	pkt_pad(&k, 300);
	expect_rule(count, &k, DROP, 3);
	expect_default(count_tc, &k, PASS);
}

static void test_tc_counts_like_xdp(void **state)
{
	struct polc_counter before = rule_counter(count_tc, 1);
	uint64_t bytes = 0;
	struct pkt k;

	for (size_t n = 0; n < 10; n++) {
		pkt_tcp6(&k, A6, B6, 1, 80, PKT_TCP_SYN, n * 150);
		bytes += k.len;
		run(count_tc, &k);
	}
	struct polc_counter after = rule_counter(count_tc, 1);
	assert_int_equal(after.packets - before.packets, 10);
	assert_int_equal(after.bytes - before.bytes, bytes);

	pkt_init(&k);
	pkt_eth(&k);
	pkt_l2_raw(&k, PKT_ETH_P_LLDP, 100);
	pkt_finish(&k);
	expect_reason(count_tc, &k, PASS, POLC_REASON_NON_IP);
}

static void test_repeated_runs_count_every_run(void **state)
{
	struct polc_counter before = rule_counter(count, 1);
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1, 80, 0, 10);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = k.data,
		    .data_size_in = (uint32_t)k.len, .repeat = 7);
	assert_int_equal(bpf_prog_test_run_opts(count->prog_fd, &opts), 0);
	assert_int_equal(opts.retval, 2);
	struct polc_counter after = rule_counter(count, 1);
	assert_int_equal(after.packets - before.packets, 7);
	assert_int_equal(after.bytes - before.bytes, 7 * k.len);
}

/* Frames run on one CPU land in that CPU's slot; readers add them up. */
static void test_counters_are_per_cpu_and_summed(void **state)
{
	int n = libbpf_num_possible_cpus();
	cpu_set_t saved, one;
	struct pkt k;
	uint32_t key = 0; /* rule 1 */
	struct polc_counter before[n], after[n];
	unsigned ran[n];
	unsigned total = 0;

	assert_true(n > 0);
	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(bpf_map_lookup_elem(count->rules_fd, &key, before), 0);
	struct polc_counter sum_before = rule_counter(count, 1);
	pkt_tcp4(&k, A4, B4, 1, 80, 0, 0);
	for (int cpu = 0; cpu < n; cpu++) {
		ran[cpu] = 0;
		if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue; /* offline */
		ran[cpu] = (unsigned)cpu + 1;
		for (unsigned i = 0; i < ran[cpu]; i++)
			run(count, &k);
		total += ran[cpu];
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_true(total > 0);

	assert_int_equal(bpf_map_lookup_elem(count->rules_fd, &key, after), 0);
	for (int cpu = 0; cpu < n; cpu++) {
		assert_int_equal(after[cpu].packets - before[cpu].packets, ran[cpu]);
		assert_int_equal(after[cpu].bytes - before[cpu].bytes, ran[cpu] * k.len);
	}
	struct polc_counter sum_after = rule_counter(count, 1);
	assert_int_equal(sum_after.packets - sum_before.packets, total);
	assert_int_equal(sum_after.bytes - sum_before.bytes, total * k.len);
}

static void test_policy_without_rules_counts_its_default(void **state)
{
	struct harness_prog *xdp = harness_prog_ok(empty, "nothing");
	struct harness_prog *tc = harness_prog_ok(empty, "nothing-tc");
	struct pkt k;

	assert_int_equal(xdp->n_rules, 1); /* a map cannot be empty */
	pkt_tcp4(&k, A4, B4, 1, 80, 0, 0);
	expect_default(xdp, &k, PASS);
	expect_default(tc, &k, DROP);
	pkt_icmp6(&k, A6, B6, 128, 0, 0);
	expect_default(xdp, &k, PASS);
	expect_default(tc, &k, DROP);
	pkt_set_ipv6_plen(&k, 0);
	expect_reason(xdp, &k, DROP, POLC_REASON_MALFORMED);
	expect_reason(tc, &k, DROP, POLC_REASON_MALFORMED);
}

static void test_rule_id_selects_its_counter_among_many(void **state)
{
	struct harness_prog *p = harness_prog_ok(many, "many");
	static const unsigned ids[] = { 1, 2, 3, 50, 99, 100, 101, 128, 199, 200 };
	char src[64];
	struct pkt k;

	assert_int_equal(p->n_rules, N_MANY);
	for (size_t n = 0; n < sizeof(ids) / sizeof(ids[0]); n++) {
		unsigned id = ids[n], i = id - 1;
		int verdict = id % 2 ? PASS : DROP;

		snprintf(src, sizeof(src), "10.0.%u.7", i);
		pkt_tcp4(&k, src, B4, 1500, (uint16_t)i, 0, 0);
		expect_rule(p, &k, verdict, id);
		pkt_udp4(&k, src, B4, 2000, (uint16_t)(i + 5010), 0);
		expect_rule(p, &k, verdict, id);
		pkt_udp4(&k, src, B4, 999, (uint16_t)i, 0);
		expect_default(p, &k, DROP);
		snprintf(src, sizeof(src), "fd00:%x:0:1::2", i);
		pkt_tcp6(&k, src, B6, 1000, (uint16_t)(i + 5000), 0, 0);
		expect_rule(p, &k, verdict, id);
		pkt_tcp6(&k, src, B6, 1000, (uint16_t)(i + 5011), 0, 0);
		expect_default(p, &k, DROP);
		/* the right port from another rule's prefix */
		snprintf(src, sizeof(src), "10.0.%u.7", i ? i - 1 : 1);
		pkt_tcp4(&k, src, B4, 1500, (uint16_t)i, 0, 0);
		expect_default(p, &k, DROP);
	}
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_counter_adds_packets_and_bytes),
		cmocka_unit_test(test_each_reason_has_its_counter),
		cmocka_unit_test(test_reason_counters_accumulate),
		cmocka_unit_test(test_bytes_are_the_frame_length_with_padding),
		cmocka_unit_test(test_tc_counts_like_xdp),
		cmocka_unit_test(test_repeated_runs_count_every_run),
		cmocka_unit_test(test_counters_are_per_cpu_and_summed),
		cmocka_unit_test(test_policy_without_rules_counts_its_default),
		cmocka_unit_test(test_rule_id_selects_its_counter_among_many),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
