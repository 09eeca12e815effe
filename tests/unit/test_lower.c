// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_lower.c: compiler/lower.c: the IR of checked rules: ids, families,
 * per-family protocol and ICMP type sets, normalised address and port sets,
 * rule text and C names.  And compiler/ir.c's byte set helpers.
 */
#include "helpers.h"

#include <string.h>

/* The front end over rules in a policy; asserts it succeeded. */
static struct polc_unit *lowered(const char *text)
{
	int rc;
	struct polc_unit *u = t_front(text, &rc);

	if (rc)
		t_expect_clean(u);
	assert_int_equal(rc, 0);
	return u;
}

static unsigned bytes_count(const struct ir_byteset *s)
{
	return ir_byteset_count(s);
}

static void expect_prefix(const struct ir_prefix *p, enum ir_family f,
			  uint32_t w0, unsigned len)
{
	assert_int_equal(p->family, f);
	assert_int_equal(p->w[0], w0);
	assert_int_equal(p->len, len);
}

static void expect_range(const struct ir_range *r, unsigned lo, unsigned hi)
{
	assert_int_equal(r->lo, lo);
	assert_int_equal(r->hi, hi);
}

static void test_rule_ids_are_dense_per_policy(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(
		"policy a { attach xdp; default drop; pass; drop; pass }\n"
		"policy b { attach xdp; default drop; drop }\n");

	assert_int_equal(u->ir.n_policies, 2);
	assert_int_equal(u->ir.policies[0].n_rules, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(u->ir.policies[0].rules[i].id, i + 1);
	assert_int_equal(u->ir.policies[0].rules[1].verdict, POLC_VERDICT_DROP);
	assert_int_equal(u->ir.policies[1].rules[0].id, 1);
}

static void test_policy_fields(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(
		"policy web-in-v2 {\n attach tc egress\n default pass\n drop\n}\n"
		"policy x { attach xdp; default drop; pass }\n");
	const struct ir_policy *p = &u->ir.policies[0];

	assert_string_equal(p->name, "web-in-v2");
	assert_string_equal(p->cname, "pol_web_in_v2");
	assert_int_equal(p->hook, POLC_HOOK_TC_EGRESS);
	assert_int_equal(p->default_verdict, POLC_VERDICT_PASS);
	assert_int_equal(p->plan, POLC_PLAN_LINEAR);
	assert_int_equal(p->loc.line, 1);
	assert_string_equal(u->ir.policies[1].cname, "pol_x");
	assert_int_equal(u->ir.policies[1].hook, POLC_HOOK_XDP);
	assert_int_equal(u->ir.policies[1].default_verdict, POLC_VERDICT_DROP);
}

static void test_rule_without_matches_is_any(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY("\tpass\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILIES_ALL);
	assert_true(r->proto[IR_V4].any && r->proto[IR_V6].any);
	assert_true(r->src.any && r->dst.any);
	assert_true(r->sport.any && r->dport.any);
	assert_true(r->icmp_type[IR_V4].any && r->icmp_code.any);
	assert_false(r->needs_l4);
	assert_null(r->label);
}

static void test_icmp_is_ipv4_only(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY("\tpass icmp\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILY_BIT(IR_V4));
	assert_true(ir_byteset_has(&r->proto[IR_V4], 1));
	assert_int_equal(bytes_count(&r->proto[IR_V4]), 1);
	assert_true(ir_byteset_empty(&r->proto[IR_V6]));
}

static void test_icmpv6_is_ipv6_only(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY("\tpass icmpv6\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILY_BIT(IR_V6));
	assert_true(ir_byteset_has(&r->proto[IR_V6], 58));
	assert_int_equal(bytes_count(&r->proto[IR_V6]), 1);
	assert_true(ir_byteset_empty(&r->proto[IR_V4]));
}

/* in IPv6 the parser walks past extension headers: they never are the
 * protocol a rule sees there */
static void test_ipv6_extension_protocols_are_ipv4_only(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY("\tpass { ah, 44, 0 }\n\tpass { ah, esp }\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILY_BIT(IR_V4));
	assert_int_equal(bytes_count(&r->proto[IR_V4]), 3);
	assert_true(ir_byteset_empty(&r->proto[IR_V6]));
	r = t_rule(u, 1);
	assert_int_equal(r->families, IR_FAMILIES_ALL);
	assert_true(ir_byteset_has(&r->proto[IR_V6], 50));
	assert_false(ir_byteset_has(&r->proto[IR_V6], 51));
}

static void test_tcp_udp_in_both_families(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY("\tpass { tcp, udp, 132 }\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILIES_ALL);
	for (int f = 0; f < IR_NFAMILIES; f++) {
		assert_int_equal(bytes_count(&r->proto[f]), 3);
		assert_true(ir_byteset_has(&r->proto[f], 6));
		assert_true(ir_byteset_has(&r->proto[f], 17));
		assert_true(ir_byteset_has(&r->proto[f], 132));
	}
}

static void test_echo_request_number_per_family(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered(T_POLICY("\tpass { icmp, icmpv6 } type echo-request\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILIES_ALL);
	assert_int_equal(bytes_count(&r->icmp_type[IR_V4]), 1);
	assert_true(ir_byteset_has(&r->icmp_type[IR_V4], 8));
	assert_int_equal(bytes_count(&r->icmp_type[IR_V6]), 1);
	assert_true(ir_byteset_has(&r->icmp_type[IR_V6], 128));
	assert_true(r->icmp_code.any);
	assert_true(r->needs_l4);
}

static void test_type_known_in_one_family_only_narrows_the_rule(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered(T_POLICY("\tpass { icmp, icmpv6 } type timestamp-request\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILY_BIT(IR_V4));
	assert_true(ir_byteset_has(&r->icmp_type[IR_V4], 13));
}

static void test_icmp_code_range(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered(T_POLICY("\tpass icmp type 3 code { 0-3, 13 }\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(bytes_count(&r->icmp_code), 5);
	assert_true(ir_byteset_has(&r->icmp_code, 3));
	assert_false(ir_byteset_has(&r->icmp_code, 4));
	assert_true(ir_byteset_has(&r->icmp_code, 13));
	assert_false(r->icmp_code.any);
}

static void test_full_code_range_is_any(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered(T_POLICY("\tpass icmp code 0-255\n"));

	assert_true(t_rule(u, 0)->icmp_code.any);
}

static void test_prefixes_sorted_and_covered_removed(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY(
		"\tpass from { 192.168.1.0/24, 10.1.0.0/16, 10.0.0.0/8, 10.2.3.4, "
		"172.16.0.0/12, 2001:db8:1::/48, 2001:db8::/32, 192.168.0.0/24 }\n"));
	const struct ir_addrset *s = &t_rule(u, 0)->src;

	assert_false(s->any);
	assert_int_equal(s->n, 5);
	expect_prefix(&s->v[0], IR_V4, 0x0a000000, 8);
	expect_prefix(&s->v[1], IR_V4, 0xac100000, 12);
	expect_prefix(&s->v[2], IR_V4, 0xc0a80000, 24);
	expect_prefix(&s->v[3], IR_V4, 0xc0a80100, 24);
	expect_prefix(&s->v[4], IR_V6, 0x20010db8, 32);
}

static void test_duplicate_prefix_kept_once(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered(T_POLICY("\tpass to { 10.0.0.1, 10.0.0.1/32 }\n"));
	const struct ir_addrset *s = &t_rule(u, 0)->dst;

	assert_int_equal(s->n, 1);
	expect_prefix(&s->v[0], IR_V4, 0x0a000001, 32);
}

static void test_host_bits_are_masked(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_front(
		T_POLICY("\tpass from { 10.1.2.3/8, 2001:db8:ffff::1/40 }\n"), NULL);
	const struct ir_addrset *s = &t_rule(u, 0)->src;

	assert_int_equal(u->diags.n_errors, 0);
	assert_int_equal(s->n, 2);
	expect_prefix(&s->v[0], IR_V4, 0x0a000000, 8);
	expect_prefix(&s->v[1], IR_V6, 0x20010db8, 40);
	assert_int_equal(s->v[1].w[1], 0xff000000);
	assert_int_equal(s->v[1].w[3], 0);
}

static void test_address_families_of_the_rule(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY(
		"\tpass from 10.0.0.0/8\n\tpass to ::1\n\tpass from any to { 10.0.0.1, ::2 }\n"));

	assert_int_equal(t_rule(u, 0)->families, IR_FAMILY_BIT(IR_V4));
	assert_int_equal(t_rule(u, 1)->families, IR_FAMILY_BIT(IR_V6));
	assert_int_equal(t_rule(u, 2)->families, IR_FAMILIES_ALL);
	assert_true(t_rule(u, 2)->src.any);
}

static void test_ports_merged(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered(T_POLICY("\tpass tcp to port { 1000, 82-90, 81, 80 }\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_true(r->sport.any);
	assert_false(r->dport.any);
	assert_int_equal(r->dport.n, 2);
	expect_range(&r->dport.v[0], 80, 90);
	expect_range(&r->dport.v[1], 1000, 1000);
	assert_true(r->needs_l4);
}

static void test_overlapping_port_ranges_merged(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(
		T_POLICY("\tpass udp from port { 5000-6000, 100-200, 150-5001, 7000 }\n"));
	const struct ir_portset *s = &t_rule(u, 0)->sport;

	assert_int_equal(s->n, 2);
	expect_range(&s->v[0], 100, 6000);
	expect_range(&s->v[1], 7000, 7000);
}

static void test_full_port_range_is_any(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY(
		"\tpass tcp to port 0-65535\n\tpass tcp to port { 0-100, 101-65535 }\n"
		"\tpass tcp to port any\n"));

	for (size_t i = 0; i < 3; i++) {
		assert_true(t_rule(u, i)->dport.any);
		/* still a port match: later fragments have no ports */
		assert_true(t_rule(u, i)->needs_l4);
	}
}

static void test_rule_text_on_one_line(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(T_POLICY(
		"\tpass   tcp\tto port { # web\n"
		"\t\t80,   443   # tls\n"
		"\t} \\\n\t\tlabel \"a  # b\"\n"));

	assert_string_equal(t_rule(u, 0)->text,
			    "pass tcp to port { 80, 443 } label \"a  # b\"");
	assert_string_equal(t_rule(u, 0)->label, "a  # b");
	assert_int_equal(t_rule(u, 0)->loc.line, 4);
	assert_int_equal(t_rule(u, 0)->loc.col, 2);
}

static void test_rule_text_of_rules_sharing_a_line(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		lowered("policy p { attach xdp; default drop; pass tcp; drop udp to port 53 }\n");

	assert_string_equal(t_rule(u, 0)->text, "pass tcp");
	assert_string_equal(t_rule(u, 1)->text, "drop udp to port 53");
}

static void test_rule_text_keeps_constant_references(void **state)
{
	_cleanup_unit_ struct polc_unit *u = lowered(
		"const web = { 80, 443 }\n" T_POLICY("\tpass tcp to port $web\n"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_string_equal(r->text, "pass tcp to port $web");
	/* but the IR holds the values */
	assert_int_equal(r->dport.n, 2);
	expect_range(&r->dport.v[1], 443, 443);
}

static void test_byteset_helpers(void **state)
{
	struct ir_byteset s = { 0 };

	assert_true(ir_byteset_empty(&s));
	assert_int_equal(ir_byteset_count(&s), 0);
	ir_byteset_add(&s, 0);
	ir_byteset_add(&s, 255);
	ir_byteset_add(&s, 255);
	assert_false(ir_byteset_empty(&s));
	assert_int_equal(ir_byteset_count(&s), 2);
	assert_true(ir_byteset_has(&s, 255));
	assert_false(ir_byteset_has(&s, 254));
	s.any = true;
	assert_int_equal(ir_byteset_count(&s), 256);
	assert_true(ir_byteset_has(&s, 7));
}

static void test_prefix_contains(void **state)
{
	const struct ir_prefix v4 = { .family = IR_V4, .len = 20, .w = { 0xc0a81000 } };
	const struct ir_prefix v6 = { .family = IR_V6, .len = 33,
				      .w = { 0x20010db8, 0x80000000 } };
	const struct ir_prefix all6 = { .family = IR_V6, .len = 0 };
	const uint32_t in4[4] = { 0xc0a81fff }, out4[4] = { 0xc0a82000 };
	const uint32_t in6[4] = { 0x20010db8, 0xffffffff, 1, 2 };
	const uint32_t out6[4] = { 0x20010db8, 0x7fffffff, 0, 0 };

	assert_true(ir_prefix_contains(&v4, IR_V4, in4));
	assert_false(ir_prefix_contains(&v4, IR_V4, out4));
	assert_false(ir_prefix_contains(&v4, IR_V6, in4));
	assert_true(ir_prefix_contains(&v6, IR_V6, in6));
	assert_false(ir_prefix_contains(&v6, IR_V6, out6));
	assert_true(ir_prefix_contains(&all6, IR_V6, out6));
	assert_false(ir_prefix_contains(&all6, IR_V4, in4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_ids_are_dense_per_policy),
		cmocka_unit_test(test_policy_fields),
		cmocka_unit_test(test_rule_without_matches_is_any),
		cmocka_unit_test(test_icmp_is_ipv4_only),
		cmocka_unit_test(test_icmpv6_is_ipv6_only),
		cmocka_unit_test(test_ipv6_extension_protocols_are_ipv4_only),
		cmocka_unit_test(test_tcp_udp_in_both_families),
		cmocka_unit_test(test_echo_request_number_per_family),
		cmocka_unit_test(test_type_known_in_one_family_only_narrows_the_rule),
		cmocka_unit_test(test_icmp_code_range),
		cmocka_unit_test(test_full_code_range_is_any),
		cmocka_unit_test(test_prefixes_sorted_and_covered_removed),
		cmocka_unit_test(test_duplicate_prefix_kept_once),
		cmocka_unit_test(test_host_bits_are_masked),
		cmocka_unit_test(test_address_families_of_the_rule),
		cmocka_unit_test(test_ports_merged),
		cmocka_unit_test(test_overlapping_port_ranges_merged),
		cmocka_unit_test(test_full_port_range_is_any),
		cmocka_unit_test(test_rule_text_on_one_line),
		cmocka_unit_test(test_rule_text_of_rules_sharing_a_line),
		cmocka_unit_test(test_rule_text_keeps_constant_references),
		cmocka_unit_test(test_byteset_helpers),
		cmocka_unit_test(test_prefix_contains),
	};

	return cmocka_run_group_tests_name("lower", tests, NULL, NULL);
}
