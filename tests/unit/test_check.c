// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_check.c: compiler/check.c: every error and warning it reports, where
 * it points, its hint and related note, and the -W switches.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Front end over one policy's rules; asserts it failed with errors. */
static struct polc_unit *bad(const char *text)
{
	int rc;
	struct polc_unit *u = t_front(text, &rc);

	assert_int_equal(rc, POLC_EPOLICY);
	return u;
}

static void good(const char *text)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(text, &rc);

	t_expect_clean(u);
	assert_int_equal(rc, 0);
}

static void expect_related(const struct polc_diag *d, const char *msg,
			   uint32_t line, uint32_t col)
{
	assert_true(d->has_related);
	assert_string_equal(d->related_message, msg);
	assert_int_equal(d->related_loc.line, line);
	assert_int_equal(d->related_loc.col, col);
}

static void test_good_policy_is_clean(void **state)
{
	good("const office = { 192.0.2.0/24, 2001:db8::/32 }\n"
	     "const web = { 80, 443 }\n"
	     "policy web-in {\n\tattach xdp\n\tdefault drop\n"
	     "\tpass tcp from $office to port $web label web\n"
	     "\tpass { icmp, icmpv6 } type echo-request\n"
	     "\tpass icmp type 3 code 0-4\n"
	     "\tpass 47\n"
	     "\tdrop udp from port any to ::1 port 1024-65535\n}\n");
}

/* ---- protocols ---------------------------------------------------------- */

static void test_unknown_protocol_with_suggestion(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY("\tpass tpc to port 80\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unknown protocol 'tpc'", 4, 7);

	assert_int_equal(d->loc.end_col, 10);
	assert_string_equal(d->hint, "did you mean 'tcp'?");
	/* the port check does not pile on */
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_unknown_protocol_far_from_any_has_no_hint(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY("\tpass quic\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unknown protocol 'quic'", 4, 7);

	assert_null(d->hint);
}

static void test_protocol_named_like_a_constant(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad("const mine = tcp\n" T_POLICY("\tpass mine\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unknown protocol 'mine'", 5, 7);

	assert_string_equal(d->hint, "constants are written with '$': '$mine'");
}

static void test_protocol_number_out_of_range(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY("\tpass 256\n"));

	t_expect(u, POLC_SEV_ERROR, "protocol number 256 is out of range (0 to 255)", 4, 7);
}

static void test_address_where_protocol_goes(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY("\tpass 10.0.0.1\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "expected a protocol, found an IPv4 address", 4, 7);

	assert_string_equal(d->hint, "addresses follow 'from' or 'to'");
}

/* ---- ports -------------------------------------------------------------- */

static void test_port_out_of_range(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass tcp to port 65536\n\tpass tcp to port 1-70000\n"));

	t_expect(u, POLC_SEV_ERROR, "port 65536 is out of range (0 to 65535)", 4, 19);
	t_expect(u, POLC_SEV_ERROR,
		 "port range 1-70000 is out of range (0 to 65535)", 5, 19);
}

static void test_empty_port_range(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(T_POLICY("\tpass udp from port 2000-1000\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "port range 2000-1000 is empty", 4, 21);

	assert_int_equal(d->loc.end_col, 30);
	assert_string_equal(d->hint, "write the low end first: 1000-2000");
}

static void test_port_without_protocol(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY("\tdrop to port 22\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "a port match needs a protocol", 4, 10);

	assert_string_equal(d->hint, "write 'tcp', 'udp' or '{ tcp, udp }' after 'drop'");
}

static void test_ports_with_icmp(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass icmp to port 80\n\tpass { tcp, gre } from port 1\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "ports apply only to tcp and udp", 4, 15);

	expect_related(d, "the rule's protocols include others", 4, 7);
	d = t_expect(u, POLC_SEV_ERROR, "ports apply only to tcp and udp", 5, 25);
	expect_related(d, "the rule's protocols include others", 5, 7);
}

static void test_name_where_port_goes(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad("const web = 80\n" T_POLICY(
		"\tpass tcp to port http\n\tpass tcp to port web\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "expected a port or port range, found the name 'http'",
		5, 19);

	assert_null(d->hint);
	d = t_expect(u, POLC_SEV_ERROR, "found the name 'web'", 6, 19);
	assert_string_equal(d->hint, "constants are written with '$': '$web'");
}

/* ---- addresses ---------------------------------------------------------- */

static void test_ipv4_prefix_33(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass from 10.0.0.0/33\n\tpass from 10.0.0.0/300\n"
		"\tpass from 2001:db8::/129\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"prefix length /33 is too long for IPv4 (at most /32)", 4, 21);

	assert_int_equal(d->loc.end_col, 23);
	assert_string_equal(d->hint, "an IPv6 prefix needs an IPv6 address");
	/* the length as written, not clamped */
	d = t_expect(u, POLC_SEV_ERROR,
		     "prefix length /300 is too long for IPv4 (at most /32)", 5, 21);
	assert_null(d->hint);
	t_expect(u, POLC_SEV_ERROR,
		 "prefix length /129 is too long for IPv6 (at most /128)", 6, 23);
}

static void test_number_where_address_goes(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY("\tpass tcp from 80\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "expected an address or prefix, found the number 80",
		4, 16);

	assert_string_equal(d->hint, "ports are written after 'port'");
}

static void test_ipv6_in_ipv4_only_rule(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass icmp from 2001:db8::1\n\tpass icmpv6 to { ::1, 10.0.0.1 }\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "IPv6 address in a rule that matches only IPv4", 4, 17);

	expect_related(d, "the protocol limits the rule to IPv4", 4, 7);
	d = t_expect(u, POLC_SEV_ERROR,
		     "IPv4 address in a rule that matches only IPv6", 5, 24);
	expect_related(d, "the protocol limits the rule to IPv6", 5, 7);
	assert_int_equal(u->diags.n_errors, 2);
}

static void test_source_and_destination_families_conflict(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(T_POLICY("\tpass from 10.0.0.1 to 2001:db8::1\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"the rule can never match: its source is IPv4 only and its destination IPv6 only",
		4, 21);

	expect_related(d, "source given here", 4, 7);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_no_family_left(void **state)
{
	/* the source is IPv4, the only type is ICMPv6's */
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass { icmp, icmpv6 } from 10.0.0.1 type packet-too-big\n"));

	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"the rule can never match: its addresses are IPv4 only and its ICMP types exist only for ICMPv6",
		4, 38);

	expect_related(d, "source given here", 4, 24);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_no_family_left_by_destination(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass { icmp, icmpv6 } to ::1 type timestamp-reply\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"its addresses are IPv6 only and its ICMP types exist only for ICMP (IPv4)",
		4, 31);

	expect_related(d, "destination given here", 4, 24);
}

static void test_mixed_family_list_is_fine(void **state)
{
	good(T_POLICY("\tpass from { 10.0.0.0/8, fd00::/8 } to { 10.1.1.1, fd00::1 }\n"));
}

/* ---- ICMP ---------------------------------------------------------------- */

static void test_icmp_type_of_the_other_family(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass icmp type neighbor-solicitation\n"
		"\tpass icmpv6 type timestamp-request\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"'neighbor-solicitation' is an ICMPv6 type, but the rule matches icmp (IPv4)",
		4, 17);

	assert_string_equal(d->hint, "use 'icmpv6'");
	d = t_expect(u, POLC_SEV_ERROR,
		     "'timestamp-request' is an ICMP (IPv4) type, but the rule matches icmpv6",
		     5, 19);
	assert_string_equal(d->hint, "use 'icmp'");
}

static void test_unknown_icmp_type_with_suggestion(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass icmp type echo-requst\n\tpass icmpv6 type packet-to-big\n"
		"\tpass icmp type bogus\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "unknown ICMP type 'echo-requst'", 4, 17);

	assert_string_equal(d->hint, "did you mean 'echo-request'?");
	/* icmpv6 alone: suggested from the ICMPv6 names */
	d = t_expect(u, POLC_SEV_ERROR, "unknown ICMP type 'packet-to-big'", 5, 19);
	assert_string_equal(d->hint, "did you mean 'packet-too-big'?");
	d = t_expect(u, POLC_SEV_ERROR, "unknown ICMP type 'bogus'", 6, 17);
	assert_null(d->hint);
}

static void test_icmp_type_and_code_ranges(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass icmp type 256\n\tpass icmp code 300\n\tpass icmp code 5-2\n"
		"\tpass icmp type any\n\tpass icmp code echo\n\tpass icmp code 250-256\n"));

	t_expect(u, POLC_SEV_ERROR, "ICMP type 256 is out of range (0 to 255)", 4, 17);
	t_expect(u, POLC_SEV_ERROR, "ICMP code 300 is out of range (0 to 255)", 5, 17);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "ICMP code range 5-2 is empty", 6, 17);
	assert_string_equal(d->hint, "write the low end first: 2-5");
	t_expect(u, POLC_SEV_ERROR, "expected an ICMP type, found 'any'", 7, 17);
	t_expect(u, POLC_SEV_ERROR,
		 "expected an ICMP code number, found the name 'echo'", 8, 17);
	t_expect(u, POLC_SEV_ERROR, "ICMP code range 250-256 is not within 0 to 255", 9, 17);
}

static void test_icmp_type_needs_icmp(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass type echo-request\n\tpass tcp code 0\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "an ICMP type or code needs the protocol", 4, 7);

	assert_string_equal(d->hint, "write 'icmp' or 'icmpv6' after 'pass'");
	d = t_expect(u, POLC_SEV_ERROR,
		     "ICMP types and codes apply only to icmp and icmpv6", 5, 11);
	expect_related(d, "the rule's protocols include others", 5, 7);
}

/* ---- constants ---------------------------------------------------------- */

static void test_unknown_constant_with_suggestion(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad("const office = 10.0.0.0/8\n" T_POLICY("\tpass from $ofice\n\tpass from $nowhere\n\tpass from $office\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unknown constant '$ofice'", 5, 12);

	assert_string_equal(d->hint, "did you mean '$office'?");
	d = t_expect(u, POLC_SEV_ERROR, "unknown constant '$nowhere'", 6, 12);
	assert_null(d->hint);
	/* a constant used only through a misspelling is still used once */
	assert_null(t_find(u, "never used"));
}

static void test_constant_of_wrong_kind_notes_its_definition(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const web = { 80, 443 }\nconst nets = 10.0.0.0/8\nconst names = { tcp, udp }\n"
		T_POLICY("\tpass from $web\n\tpass tcp to port $nets\n\tpass $nets\n"
			 "\tpass icmp type $web\n\tpass from $names\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"constant '$web' holds numbers; an address is expected here", 7, 12);

	expect_related(d, "'web' is defined here", 1, 7);
	d = t_expect(u, POLC_SEV_ERROR,
		     "constant '$nets' holds addresses; a port is expected here", 8, 19);
	expect_related(d, "'nets' is defined here", 2, 7);
	t_expect(u, POLC_SEV_ERROR,
		 "constant '$nets' holds addresses; a protocol is expected here", 9, 7);
	/* numbers are ICMP types: this one is fine */
	assert_null(t_find(u, "an ICMP type is expected"));
	t_expect(u, POLC_SEV_ERROR,
		 "constant '$names' holds names; an address is expected here", 11, 12);
}

static void test_self_referencing_constant(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const self = { 1, $self }\n" T_POLICY("\tpass tcp to port $self\n"));

	t_expect(u, POLC_SEV_ERROR, "constant 'self' refers to itself", 1, 19);
	/* reported once, at the definition, not again at the use */
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_constant_cycle_reported_once(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const a = $b\nconst b = { 1, $c }\nconst c = $a\n"
		T_POLICY("\tpass tcp to port $b\n"));

	t_expect(u, POLC_SEV_ERROR, "constant 'a' refers to itself through 'b' and 'c'",
		 1, 11);
	assert_int_equal(u->diags.n_errors, 1);
	assert_int_equal(u->diags.n_warnings, 0);
}

static void test_cycle_not_through_first_constant(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const a = $b\nconst b = $c\nconst c = $b\n" T_POLICY("\tpass from $a\n"));

	t_expect(u, POLC_SEV_ERROR, "constant 'b' refers to itself through 'c'", 2, 11);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_duplicate_constant(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const x = 1\nconst x = 2\n" T_POLICY("\tpass tcp to port $x\n"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "constant 'x' is already defined", 2, 7);

	expect_related(d, "first defined here", 1, 7);
	/* the second is not also "never used" */
	assert_int_equal(u->diags.n_warnings, 0);
}

static void test_constant_mixing_addresses_and_ports(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad("const mix = { 10.0.0.1, 80 }\n" T_POLICY("\tpass from $mix\n"));

	t_expect(u, POLC_SEV_ERROR, "constant 'mix' mixes addresses and other values", 1, 13);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_empty_list(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad("const none = { }\n" T_POLICY("\tpass tcp from { }\n\tpass $none\n"));

	t_expect(u, POLC_SEV_ERROR, "empty list", 1, 14);
	t_expect(u, POLC_SEV_ERROR, "empty list", 5, 16);
	assert_int_equal(u->diags.n_errors, 2);
}

static void test_constant_with_syntax_error_is_not_unknown(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const x = { 1 2 }\nconst y = 99999999999\n"
		T_POLICY("\tpass tcp to port $x\n\tpass tcp to port $y\n"));

	assert_int_equal(u->diags.n_errors, 2);
	assert_null(t_find(u, "unknown constant"));
	assert_null(t_find(u, "out of range"));
}

static void test_constants_sharing_constants_are_cheap(void **state)
{
	/* each level uses the one below twice: 2^40 expansions if done
	 * naively, in either order of definition */
	char text[8192];
	int n = 0;

	for (int i = 40; i > 0; i--)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "const d%d = { $d%d, $d%d, %d }\n", i, i - 1, i - 1, 1000 + 2 * i);
	n += snprintf(text + n, sizeof(text) - (size_t)n, "const d0 = 22\n");
	for (int i = 1; i <= 40; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "const u%d = { $u%d, $u%d }\n", i, i - 1, i - 1);
	snprintf(text + n, sizeof(text) - (size_t)n, "const u0 = 80\n"
		 T_POLICY("\tpass tcp from port $d40 to port { $u40, $d40 }\n"));

	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(text, &rc);
	t_expect_clean(u);
	assert_int_equal(rc, 0);
	const struct ir_rule *r = t_rule(u, 0);
	assert_int_equal(r->sport.n, 41);
	assert_int_equal(r->dport.n, 42);
}

static void test_cycle_behind_shared_constants(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"const top = { $mid, $mid }\nconst mid = { $low, $low }\n"
		"const low = { 1, $top }\n" T_POLICY("\tpass tcp to port $top\n"));

	t_expect(u, POLC_SEV_ERROR,
		 "constant 'top' refers to itself through 'mid' and 'low'", 1, 15);
	assert_int_equal(u->diags.n_errors, 1);
}

/* ---- policies ----------------------------------------------------------- */

static void test_duplicate_policy(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"policy p { attach xdp; default drop; pass }\n"
		"policy p { attach xdp; default drop; pass }\n");
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "policy 'p' is already defined", 2, 8);

	expect_related(d, "first defined here", 1, 8);
}

static void test_policies_differing_in_dash_and_underscore(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(
		"policy web-in { attach xdp; default drop; pass }\n"
		"policy web_in { attach xdp; default drop; pass }\n");
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "policy 'web_in' cannot be told apart from 'web-in'", 2, 8);

	expect_related(d, "'web-in' is defined here", 1, 8);
	assert_string_equal(d->hint, "'-' and '_' name the same program; rename one");
}

static void test_missing_attach_and_default(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad("policy p {\n\tpass\n}\n");
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "policy 'p' does not say where it attaches", 1, 8);

	assert_string_equal(d->hint,
			    "add 'attach xdp', 'attach tc ingress' or 'attach tc egress'");
	d = t_expect(u, POLC_SEV_ERROR, "policy 'p' has no default", 1, 8);
	assert_string_equal(d->hint, "every policy states its default: add 'default drop' or 'default pass'");
}

static void test_syntax_error_hides_missing_attach(void **state)
{
	/* the broken statement may have been the attach */
	_cleanup_unit_ struct polc_unit *u = bad("policy p {\n\tatach xdp\n\tdefault drop\n}\n");

	assert_int_equal(u->diags.n_errors, 1);
	assert_null(t_find(u, "does not say where"));
}

static void test_no_policy_in_file(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad("# nothing here\n");
	const struct polc_diag *d = t_find(u, "no policy in this file");

	assert_non_null(d);
	assert_int_equal(d->loc.line, 0);
	assert_ptr_equal(d->loc.src, u->src);
	assert_string_equal(d->hint, "a file holds one or more 'policy NAME { ... }' blocks");
}

static void test_duplicate_label(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(T_POLICY(
		"\tpass tcp label web\n\tpass udp label \"web\"\n"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "label 'web' is already used in policy 'p'", 5, 17);

	expect_related(d, "first used here", 4, 17);
}

static void test_same_label_in_two_policies_is_fine(void **state)
{
	good("policy a { attach xdp; default drop; pass label x }\n"
	     "policy b { attach xdp; default drop; pass label x }\n");
}

/* ---- warnings ----------------------------------------------------------- */

static void test_unused_constant_warning(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u =
		t_front("const spare = 1\n" T_POLICY("\tpass\n"), &rc);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_WARNING, "constant 'spare' is never used", 1, 7);

	assert_int_equal(rc, 0);
	assert_int_equal(d->wclass, POLC_W_UNUSED);
	assert_int_equal(polc_unit_warning_count(u), 1);
}

static void test_host_bits_warning(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(T_POLICY(
		"\tpass from 10.1.2.3/8\n\tpass from 2001:db8::1/32\n\tpass from 11.0.0.0/8\n"),
		&rc);
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_WARNING, "prefix has bits set past its length /8", 4, 12);

	assert_int_equal(rc, 0);
	assert_int_equal(d->wclass, POLC_W_HOST_BITS);
	assert_string_equal(d->hint, "it means 10.0.0.0/8");
	d = t_expect(u, POLC_SEV_WARNING, "prefix has bits set past its length /32", 5, 12);
	assert_string_equal(d->hint, "it means 2001:db8::/32");
	assert_int_equal(u->diags.n_warnings, 2);
}

static void test_empty_policy_warning(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u =
		t_front("policy idle {\n\tattach tc ingress\n\tdefault pass\n}\n", &rc);
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_WARNING,
		"policy 'idle' has no rules: every packet gets the default", 1, 8);

	assert_int_equal(rc, 0);
	assert_int_equal(d->wclass, POLC_W_EMPTY);
}

static const char warn_src[] =
	"const spare = 1\n" T_POLICY("\tpass from 10.1.2.3/8\n");

/* A unit for warn_src with -W options applied before the front end. */
static struct polc_unit *with_options(const char *const *opts, size_t n, int *rc)
{
	struct polc_unit *u = t_unit(warn_src);

	for (size_t i = 0; i < n; i++)
		assert_int_equal(polc_warning_config_apply(polc_unit_warnings(u), opts[i]), 0);
	*rc = polc_front(u);
	return u;
}

static void test_wno_unused(void **state)
{
	static const char *const opts[] = { "no-unused" };
	int rc;
	_cleanup_unit_ struct polc_unit *u = with_options(opts, 1, &rc);

	assert_int_equal(rc, 0);
	assert_null(t_find(u, "never used"));
	assert_non_null(t_find(u, "prefix has bits"));
	assert_int_equal(u->diags.n_warnings, 1);
}

static void test_werror_host_bits(void **state)
{
	static const char *const opts[] = { "error=host-bits" };
	int rc;
	_cleanup_unit_ struct polc_unit *u = with_options(opts, 1, &rc);

	assert_int_equal(rc, POLC_EPOLICY);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "prefix has bits set", 5, 12);
	assert_int_equal(d->wclass, POLC_W_HOST_BITS);
	t_expect(u, POLC_SEV_WARNING, "constant 'spare' is never used", 1, 7);

	char *text = t_render(u);
	assert_non_null(strstr(text, "error: prefix has bits set past its length /8 [-Werror=host-bits]\n"));
	assert_non_null(strstr(text, "warning: constant 'spare' is never used [-Wunused]\n"));
	free(text);
}

static void test_werror_makes_every_warning_an_error(void **state)
{
	static const char *const opts[] = { "error" };
	int rc;
	_cleanup_unit_ struct polc_unit *u = with_options(opts, 1, &rc);

	assert_int_equal(rc, POLC_EPOLICY);
	assert_int_equal(u->diags.n_errors, 2);
	assert_int_equal(u->diags.n_warnings, 0);
}

static void test_werror_does_not_revive_a_disabled_warning(void **state)
{
	static const char *const opts[] = { "no-unused", "error" };
	int rc;
	_cleanup_unit_ struct polc_unit *u = with_options(opts, 2, &rc);

	assert_int_equal(u->diags.n_errors, 1);
	assert_null(t_find(u, "never used"));
}

static void test_warning_option_parsing(void **state)
{
	struct polc_warning_config c;

	polc_warning_config_default(&c);
	assert_true(c.enabled & (1u << POLC_W_UNUSED));
	/* a shadowed rule is an error unless allowed; nothing else is */
	assert_int_equal(c.as_error, 1u << POLC_W_SHADOW);
	assert_int_equal(polc_warning_config_apply(&c, "no-error=shadow"), 0);
	assert_int_equal(c.as_error, 0);
	assert_int_equal(polc_warning_config_apply(&c, "no-empty-policy"), 0);
	assert_false(c.enabled & (1u << POLC_W_EMPTY));
	assert_int_equal(polc_warning_config_apply(&c, "empty-policy"), 0);
	assert_true(c.enabled & (1u << POLC_W_EMPTY));
	/* -Werror=X also turns X on */
	assert_int_equal(polc_warning_config_apply(&c, "no-unused"), 0);
	assert_int_equal(polc_warning_config_apply(&c, "error=unused"), 0);
	assert_true(c.enabled & (1u << POLC_W_UNUSED));
	assert_true(c.as_error & (1u << POLC_W_UNUSED));
	assert_int_equal(polc_warning_config_apply(&c, "no-error"), 0);
	assert_int_equal(c.as_error, 0);
	assert_false(c.all_as_error);
	assert_int_equal(polc_warning_config_apply(&c, "no-host-bits"), 0);
	assert_int_equal(polc_warning_config_apply(&c, "all"), 0);
	assert_true(c.enabled & (1u << POLC_W_HOST_BITS));
	assert_int_equal(polc_warning_config_apply(&c, "error=shadow"), 0);
	assert_true(c.as_error & (1u << POLC_W_SHADOW));
	/* unknown classes are refused */
	assert_int_equal(polc_warning_config_apply(&c, "shadowed"), -1);
	assert_int_equal(polc_warning_config_apply(&c, "no-shadows"), -1);
	assert_int_equal(polc_warning_config_apply(&c, "error=hostbits"), -1);
	assert_int_equal(polc_warning_config_apply(&c, ""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_policy_is_clean),
		cmocka_unit_test(test_unknown_protocol_with_suggestion),
		cmocka_unit_test(test_unknown_protocol_far_from_any_has_no_hint),
		cmocka_unit_test(test_protocol_named_like_a_constant),
		cmocka_unit_test(test_protocol_number_out_of_range),
		cmocka_unit_test(test_address_where_protocol_goes),
		cmocka_unit_test(test_port_out_of_range),
		cmocka_unit_test(test_empty_port_range),
		cmocka_unit_test(test_port_without_protocol),
		cmocka_unit_test(test_ports_with_icmp),
		cmocka_unit_test(test_name_where_port_goes),
		cmocka_unit_test(test_ipv4_prefix_33),
		cmocka_unit_test(test_number_where_address_goes),
		cmocka_unit_test(test_ipv6_in_ipv4_only_rule),
		cmocka_unit_test(test_source_and_destination_families_conflict),
		cmocka_unit_test(test_no_family_left),
		cmocka_unit_test(test_no_family_left_by_destination),
		cmocka_unit_test(test_mixed_family_list_is_fine),
		cmocka_unit_test(test_icmp_type_of_the_other_family),
		cmocka_unit_test(test_unknown_icmp_type_with_suggestion),
		cmocka_unit_test(test_icmp_type_and_code_ranges),
		cmocka_unit_test(test_icmp_type_needs_icmp),
		cmocka_unit_test(test_unknown_constant_with_suggestion),
		cmocka_unit_test(test_constant_of_wrong_kind_notes_its_definition),
		cmocka_unit_test(test_self_referencing_constant),
		cmocka_unit_test(test_constant_cycle_reported_once),
		cmocka_unit_test(test_cycle_not_through_first_constant),
		cmocka_unit_test(test_duplicate_constant),
		cmocka_unit_test(test_constant_mixing_addresses_and_ports),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_constant_with_syntax_error_is_not_unknown),
		cmocka_unit_test(test_constants_sharing_constants_are_cheap),
		cmocka_unit_test(test_cycle_behind_shared_constants),
		cmocka_unit_test(test_duplicate_policy),
		cmocka_unit_test(test_policies_differing_in_dash_and_underscore),
		cmocka_unit_test(test_missing_attach_and_default),
		cmocka_unit_test(test_syntax_error_hides_missing_attach),
		cmocka_unit_test(test_no_policy_in_file),
		cmocka_unit_test(test_duplicate_label),
		cmocka_unit_test(test_same_label_in_two_policies_is_fine),
		cmocka_unit_test(test_unused_constant_warning),
		cmocka_unit_test(test_host_bits_warning),
		cmocka_unit_test(test_empty_policy_warning),
		cmocka_unit_test(test_wno_unused),
		cmocka_unit_test(test_werror_host_bits),
		cmocka_unit_test(test_werror_makes_every_warning_an_error),
		cmocka_unit_test(test_werror_does_not_revive_a_disabled_warning),
		cmocka_unit_test(test_warning_option_parsing),
	};

	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
