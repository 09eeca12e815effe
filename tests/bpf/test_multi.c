// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_multi.c: several policies in one file are independent programs.
 *
 * Each policy of a file gets its own program and counter maps: a frame run
 * through one of them is decided by that policy's rules alone and moves
 * only that policy's counters.  Constants are shared by the policies of a
 * file; rule ids start at 1 in each policy.  Two loads of one artifact
 * share nothing either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bpf_harness.h"
#include "polc.h"

static const char policy_src[] =
	"const dns = { 53, 853 }\n"
	"const lan = { 10.0.0.0/8, fd00::/8 }\n"
	"\n"
	"policy a {\n"
	"	attach xdp\n"
	"	default drop\n"
	"	pass tcp to port 80          # 1\n"
	"	pass udp to port $dns        # 2\n"
	"}\n"
	"\n"
	"policy b {\n"
	"	attach tc ingress\n"
	"	default pass\n"
	"	drop tcp to port 80          # 1\n"
	"	drop from $lan               # 2\n"
	"}\n"
	"\n"
	"policy c-d {\n"
	"	attach tc egress\n"
	"	default drop\n"
	"	pass udp to port $dns        # 1\n"
	"	pass from $lan               # 2\n"
	"}\n"
	"\n"
	"policy quite-a-long-policy-name-for-maps {\n"
	"	attach xdp\n"
	"	default pass\n"
	"	drop icmp                    # 1\n"
	"	drop icmpv6 type echo-request # 2\n"
	"}\n";

#define N_POLICIES 4
static const char *const names[N_POLICIES] = {
	"a", "b", "c-d", "quite-a-long-policy-name-for-maps",
};

static struct harness_obj *obj, *obj2;
static struct harness_prog *progs[N_POLICIES], *progs2[N_POLICIES];

static int group_setup(void **state)
{
	obj = harness_compile(policy_src);
	obj2 = harness_compile(policy_src);
	if (!obj || !obj2)
		return -1;
	for (int i = 0; i < N_POLICIES; i++) {
		progs[i] = harness_prog(obj, names[i]);
		progs2[i] = harness_prog(obj2, names[i]);
		if (!progs[i] || !progs2[i])
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	printf("test_multi: %lu frames checked\n", harness_frames_checked());
	harness_free(obj);
	harness_free(obj2);
	return 0;
}

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"
#define A6 "2001:db8:77::1"
#define B6 "2001:db8:77::2"

struct all_counters {
	struct harness_counters one[N_POLICIES], two[N_POLICIES];
};

static void snapshot_all(struct all_counters *c)
{
	for (int i = 0; i < N_POLICIES; i++) {
		assert_int_equal(harness_snapshot(progs[i], &c->one[i]), 0);
		assert_int_equal(harness_snapshot(progs2[i], &c->two[i]), 0);
	}
}

/* Nothing but program `except` of the first object moved. */
static void assert_only_moved(const struct all_counters *a,
			      const struct all_counters *b, int except)
{
	for (int i = 0; i < N_POLICIES; i++) {
		if (i != except)
			assert_memory_equal(&a->one[i], &b->one[i], sizeof(a->one[i]));
		assert_memory_equal(&a->two[i], &b->two[i], sizeof(a->two[i]));
	}
}

static void test_each_policy_has_its_program_and_maps(void **state)
{
	assert_int_equal(harness_n_progs(obj), N_POLICIES);
	assert_string_equal(progs[0]->name, "pol_a");
	assert_string_equal(progs[2]->name, "pol_c_d");
	assert_string_equal(progs[3]->name, "pol_quite_a_long_policy_name_for_maps");
	assert_true(progs[0]->xdp);
	assert_false(progs[1]->xdp);
	assert_false(progs[2]->xdp);
	for (int i = 0; i < N_POLICIES; i++) {
		assert_int_equal(progs[i]->n_rules, 2);
		for (int j = 0; j < i; j++) {
			assert_int_not_equal(progs[i]->rules_fd, progs[j]->rules_fd);
			assert_int_not_equal(progs[i]->reasons_fd, progs[j]->reasons_fd);
		}
	}
}

static void test_one_frame_each_policy_decides_its_own_way(void **state)
{
	struct all_counters before, after;
	struct pkt k;

	pkt_tcp4(&k, A4, B4, 1000, 80, PKT_TCP_SYN, 0);
	snapshot_all(&before);
	expect_rule(progs[0], &k, PASS, 1);
	snapshot_all(&after);
	assert_only_moved(&before, &after, 0);

	before = after;
	expect_rule(progs[1], &k, DROP, 1);
	snapshot_all(&after);
	assert_only_moved(&before, &after, 1);

	before = after;
	expect_default(progs[2], &k, DROP);
	snapshot_all(&after);
	assert_only_moved(&before, &after, 2);

	before = after;
	expect_default(progs[3], &k, PASS);
	snapshot_all(&after);
	assert_only_moved(&before, &after, 3);
}

static void test_shared_constants_mean_the_same_everywhere(void **state)
{
	struct pkt k;

	pkt_udp4(&k, "10.1.1.1", B4, 1000, 853, 0);
	expect_rule(progs[0], &k, PASS, 2);
	expect_rule(progs[1], &k, DROP, 2);
	expect_rule(progs[2], &k, PASS, 1);
	expect_default(progs[3], &k, PASS);

	pkt_tcp6(&k, "fd00:5::1", B6, 1000, 22, 0, 0);
	expect_default(progs[0], &k, DROP);
	expect_rule(progs[1], &k, DROP, 2);
	expect_rule(progs[2], &k, PASS, 2);

	pkt_udp6(&k, A6, B6, 1000, 54, 0);
	expect_default(progs[0], &k, DROP);
	expect_default(progs[1], &k, PASS);
	expect_default(progs[2], &k, DROP);
}

static void test_long_policy_name_finds_its_maps(void **state)
{
	struct pkt k;

	pkt_icmp4(&k, A4, B4, 8, 0, 0);
	expect_rule(progs[3], &k, DROP, 1);
	pkt_icmp6(&k, A6, B6, 128, 0, 0);
	expect_rule(progs[3], &k, DROP, 2);
	pkt_icmp6(&k, A6, B6, 129, 0, 0);
	expect_default(progs[3], &k, PASS);
}

static void test_two_loads_of_one_artifact_share_nothing(void **state)
{
	struct all_counters before, after;
	struct pkt k;

	pkt_udp4(&k, A4, B4, 1000, 53, 10);
	snapshot_all(&before);
	expect_rule(progs2[0], &k, PASS, 2);
	snapshot_all(&after);
	for (int i = 0; i < N_POLICIES; i++) {
		assert_memory_equal(&before.one[i], &after.one[i], sizeof(before.one[i]));
		if (i)
			assert_memory_equal(&before.two[i], &after.two[i],
					    sizeof(before.two[i]));
	}
	assert_int_equal(after.two[0].rules[1].packets - before.two[0].rules[1].packets, 1);
}

static void test_metadata_rule_table_per_policy(void **state)
{
	size_t size;
	const uint8_t *blob = harness_meta(obj, &size);

	assert_non_null(blob);
	const struct polc_meta_header *h = (const void *)blob;
	assert_int_equal(h->n_policies, N_POLICIES);
	assert_int_equal(h->n_rules, 2 * N_POLICIES);
	assert_true(h->rules_off + h->n_rules * sizeof(struct polc_meta_rule) <= size);
	const struct polc_meta_policy *pol = (const void *)(blob + h->policies_off);
	const struct polc_meta_rule *rule = (const void *)(blob + h->rules_off);
	uint32_t next = 0;
	for (uint32_t i = 0; i < h->n_policies; i++) {
		assert_int_equal(pol[i].first_rule, next);
		assert_int_equal(pol[i].n_rules, 2);
		for (uint32_t j = 0; j < pol[i].n_rules; j++)
			assert_int_equal(rule[pol[i].first_rule + j].id, j + 1);
		next += pol[i].n_rules;
	}
	/* policy b's rules: drop, drop */
	assert_int_equal(rule[2].verdict, POLC_VERDICT_DROP);
	assert_int_equal(rule[3].verdict, POLC_VERDICT_DROP);
	assert_int_equal(rule[4].verdict, POLC_VERDICT_PASS);
}

/*
 * A policy's maps and classify function are named after it in C
 * ("pol_web_rules", ...): a policy named so is an error, not a clang
 * failure on the generated code.
 */
static void test_policy_named_like_generated_names_is_an_error(void **state)
{
	static const char *const clash[] = { "web_rules", "web-reasons", "web_classify" };
	static const char *const fine[] = { "web-rule", "webrules", "web_reasonss" };
	char src[512];

	for (int order = 0; order < 2; order++) {
		for (size_t i = 0; i < 6; i++) {
			const char *other = i < 3 ? clash[i] : fine[i - 3];
			struct polc_unit *u = NULL;

			snprintf(src, sizeof(src),
				 "policy %s {\n attach xdp\n default drop\n pass tcp\n}\n"
				 "policy %s {\n attach xdp\n default drop\n pass udp\n}\n",
				 order ? other : "web", order ? "web" : other);
			assert_int_equal(polc_unit_new(&u, "clash.pol", src, strlen(src)), 0);
			int err = polc_front(u);
			if (i < 3) {
				assert_int_equal(err, POLC_EPOLICY);
				assert_int_equal(polc_unit_errors(u), 1);
			} else {
				assert_int_equal(err, 0);
			}
			polc_unit_free(&u);
		}
	}
}

/* Labels with quotes, comment marks and '#' survive into the rule text of
 * the metadata and do not break the generated C. */
static void test_odd_labels_compile_and_keep_their_text(void **state)
{
	static const char src[] =
		"policy odd {\n"
		"	attach xdp\n"
		"	default drop\n"
		"	pass tcp label \"a\\\" # b \\\\ */ c\"   # a real comment\n"
		"	pass udp label \"/*\"\n"
		"}\n";
	struct harness_obj *o = harness_compile(src);
	size_t size;

	assert_non_null(o);
	const uint8_t *blob = harness_meta(o, &size);
	assert_non_null(blob);
	const struct polc_meta_header *h = (const void *)blob;
	const struct polc_meta_rule *rule = (const void *)(blob + h->rules_off);
	const char *strings = (const char *)blob + h->strings_off;
	assert_int_equal(h->n_rules, 2);
	assert_string_equal(strings + rule[0].text_str,
			    "pass tcp label \"a\\\" # b \\\\ */ c\"");
	assert_string_equal(strings + rule[0].label_str, "a\" # b \\ */ c");
	assert_string_equal(strings + rule[1].text_str, "pass udp label \"/*\"");

	struct harness_prog *p = harness_prog_ok(o, "odd");
	struct pkt k;
	pkt_tcp4(&k, A4, B4, 1, 2, 0, 0);
	expect_rule(p, &k, PASS, 1);
	pkt_udp4(&k, A4, B4, 1, 2, 0);
	expect_rule(p, &k, PASS, 2);
	harness_free(o);
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_policy_has_its_program_and_maps),
		cmocka_unit_test(test_one_frame_each_policy_decides_its_own_way),
		cmocka_unit_test(test_shared_constants_mean_the_same_everywhere),
		cmocka_unit_test(test_long_policy_name_finds_its_maps),
		cmocka_unit_test(test_two_loads_of_one_artifact_share_nothing),
		cmocka_unit_test(test_metadata_rule_table_per_policy),
		cmocka_unit_test(test_policy_named_like_generated_names_is_an_error),
		cmocka_unit_test(test_odd_labels_compile_and_keep_their_text),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
