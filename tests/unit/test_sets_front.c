// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_sets_front.c: named sets in the front end (compiler/check.c,
 * compiler/setfile.c): every error and warning about a set, where it
 * points, its hint and note; set files (file:line:col of a bad line, paths
 * relative to the policy file); what a good set becomes in the IR.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Front end over text; asserts it failed with errors. */
static struct polc_unit *bad(const char *text)
{
	int rc;
	struct polc_unit *u = t_front(text, &rc);

	if (rc != POLC_EPOLICY) {
		char *r = t_render(u);
		print_message("diagnostics:\n%s", r);
		free(r);
	}
	assert_int_equal(rc, POLC_EPOLICY);
	return u;
}

static struct polc_unit *good(const char *text)
{
	int rc;
	struct polc_unit *u = t_front(text, &rc);

	t_expect_clean(u);
	assert_int_equal(rc, 0);
	return u;
}

static void expect_related(const struct polc_diag *d, const char *msg, uint32_t line,
			   uint32_t col)
{
	assert_true(d->has_related);
	assert_string_equal(d->related_message, msg);
	assert_int_equal(d->related_loc.line, line);
	assert_int_equal(d->related_loc.col, col);
}

/* A policy around one rule, after set declarations. */
#define SETS_POLICY(sets, rule) sets "policy p {\n\tattach xdp\n\tdefault drop\n\t" rule "\n}\n"

/* ---- references ---------------------------------------------------------- */

static void test_unknown_set_with_suggestion(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set blocklist : ipv4 { 192.0.2.0/24 }\n", "drop from @blocklst"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "unknown set '@blocklst'", 5, 12);

	assert_int_equal(d->loc.end_col, 21);
	assert_string_equal(d->hint, "did you mean '@blocklist'?");
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_unknown_set_far_from_any_has_no_hint(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set blocklist : ipv4 { 192.0.2.0/24 }\n", "drop to @zzz"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "unknown set '@zzz'", 5, 10);

	assert_null(d->hint);
}

static void test_unknown_set_named_like_a_constant(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("const office = { 192.0.2.0/24 }\n", "pass from @office"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "unknown set '@office'", 5, 12);

	assert_string_equal(d->hint, "'office' is a constant: write '$office'");
}

static void test_unknown_port_set(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set web : port { 80, 443 }\n", "pass tcp to port @wbe"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "unknown set '@wbe'", 5, 19);

	assert_string_equal(d->hint, "did you mean '@web'?");
}

static void test_duplicate_set(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(SETS_POLICY(
		"set a : ipv4 { 192.0.2.0/24 }\nset a : ipv6 { 2001:db8::/32 }\n", "drop from @a"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "set 'a' is already defined", 2, 5);

	expect_related(d, "first defined here", 1, 5);
	assert_int_equal(u->diags.n_errors, 1);
	/* the duplicate is not reported unused on top */
	assert_int_equal(t_count(u, POLC_SEV_WARNING), 0);
}

/* ---- types ------------------------------------------------------------------ */

static void test_unknown_set_type_with_suggestion(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ipv5 { 192.0.2.0/24 }\n", "drop from @a"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "unknown set type 'ipv5'", 1, 9);

	assert_int_equal(d->loc.end_col, 13);
	assert_string_equal(d->hint, "did you mean 'ipv4'?");
	/* the bad set is not reported again where it is used, nor as unused */
	assert_int_equal(u->diags.n_errors, 1);
	assert_int_equal(t_count(u, POLC_SEV_WARNING), 0);
}

static void test_unknown_set_type_far_from_any(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : mac { 192.0.2.0/24 }\n", "drop from @a"));
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "unknown set type 'mac'", 1, 9);

	assert_non_null(d->hint);
	assert_non_null(strstr(d->hint, "'ipv4', 'ipv6' or 'ip'"));
}

static void test_port_set_takes_no_prefix(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : port prefix { 80 }\n", "drop tcp to port @a"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unexpected 'prefix' after the set type", 1, 14);

	assert_int_equal(d->loc.end_col, 20);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_address_set_second_word_must_be_prefix(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ip bogus { 192.0.2.0/24 }\n", "drop from @a"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unexpected 'bogus' after the set type", 1, 12);

	assert_string_equal(d->hint, "'ip prefix' is the only two-word type");
}

static void test_good_set_types(void **state)
{
	_cleanup_unit_ struct polc_unit *u = good(
		"set a4 : ipv4 { 192.0.2.0/24, 198.51.100.7 }\n"
		"set a6 : ipv6 prefix { 2001:db8::/32 }\n"
		"set both : ip prefix size 1000 { 203.0.113.0/24, fd00::/8 }\n"
		"set web : port { 80, 443, 8000-8080 }\n"
		"policy p {\n\tattach xdp\n\tdefault drop\n"
		"\tdrop from { @a4, @a6 } to @both\n"
		"\tpass tcp to port { @web, 22 }\n}\n");
	const struct ir_unit *ir = polc_unit_ir(u);

	assert_int_equal(ir->n_sets, 4);
	const struct ir_set *a4 = ir->sets[0], *a6 = ir->sets[1], *both = ir->sets[2],
			    *web = ir->sets[3];
	assert_string_equal(a4->name, "a4");
	assert_int_equal(a4->kind, IR_SET_ADDR);
	assert_int_equal(a4->families, IR_FAMILY_BIT(IR_V4));
	assert_int_equal(a4->n_prefixes, 2);
	assert_int_equal(a6->families, IR_FAMILY_BIT(IR_V6));
	assert_int_equal(both->families, IR_FAMILIES_ALL);
	assert_int_equal(both->size, 1000);
	assert_int_equal(web->kind, IR_SET_PORT);
	assert_int_equal(web->n_ranges, 3);

	/* the rules keep the sets as sets */
	const struct ir_rule *r = t_rule(u, 0);
	assert_false(r->src.any);
	assert_int_equal(r->src.n, 0);
	assert_int_equal(r->src.n_sets, 2);
	assert_int_equal(r->dst.n_sets, 1);
	assert_ptr_equal(r->dst.sets[0], both);
	r = t_rule(u, 1);
	assert_int_equal(r->dport.n, 1); /* 22 */
	assert_int_equal(r->dport.n_sets, 1);
	assert_ptr_equal(r->dport.sets[0], web);
}

/* ---- elements ---------------------------------------------------------------- */

static void test_wrong_family_element_in_a_literal_set(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ipv4 { 192.0.2.0/24, 2001:db8::/32 }\n", "drop from @a"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "IPv6 address in set 'a', which holds IPv4 addresses", 1, 30);

	assert_int_equal(d->loc.end_col, 43);
	expect_related(d, "the set's type", 1, 9);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_wrong_family_element_in_an_ipv6_set(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ipv6 {\n\t2001:db8::/32,\n\t10.0.0.0/8\n}\n", "drop from @a"));

	t_expect(u, POLC_SEV_ERROR, "IPv4 address in set 'a', which holds IPv6 addresses", 3, 2);
}

static void test_set_holds_no_any_and_no_sets(void **state)
{
	_cleanup_unit_ struct polc_unit *u1 =
		bad(SETS_POLICY("set a : ipv4 { any }\n", "drop from @a"));
	t_expect(u1, POLC_SEV_ERROR, "a set holds addresses and prefixes, not 'any'", 1, 16);

	_cleanup_unit_ struct polc_unit *u2 =
		bad(SETS_POLICY("set a : port { 80, any }\n", "drop tcp to port @a"));
	t_expect(u2, POLC_SEV_ERROR, "a set holds ports and port ranges, not 'any'", 1, 20);

	_cleanup_unit_ struct polc_unit *u3 = bad(SETS_POLICY(
		"set a : ipv4 { 192.0.2.0/24 }\nset b : ipv4 { @a }\n", "drop from @b"));
	t_expect(u3, POLC_SEV_ERROR, "a set cannot hold another set", 2, 16);
}

static void test_bad_port_elements(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : port { 80, 70000, 9-3 }\n", "drop tcp to port @a"));

	t_expect(u, POLC_SEV_ERROR, "port 70000 is out of range", 1, 20);
	t_expect(u, POLC_SEV_ERROR, "port range 9-3 is empty", 1, 27);
}

static void test_size_smaller_than_the_elements(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(SETS_POLICY(
		"set a : ipv4 size 2 { 192.0.2.0/24, 192.0.3.0/24, 192.0.4.0/24 }\n", "drop from @a"));
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "set 'a' has 3 elements, more than its size 2", 1, 19);

	assert_int_equal(d->loc.end_col, 20);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_size_counts_distinct_elements(void **state)
{
	/* an exact duplicate is one element */
	_cleanup_unit_ struct polc_unit *u = good(SETS_POLICY(
		"set a : ipv4 size 2 { 192.0.2.0/24, 192.0.3.0/24, 192.0.2.0/24 }\n", "drop from @a"));

	assert_int_equal(polc_unit_ir(u)->sets[0]->n_prefixes, 2);
	assert_int_equal(polc_unit_ir(u)->sets[0]->size, 2);
}

static void test_size_too_large(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ipv4 size 99999999999 { 192.0.2.0/24 }\n", "drop from @a"));

	t_expect(u, POLC_SEV_ERROR, "is too large", 1, 19);
}

static void test_default_size_leaves_room(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		good(SETS_POLICY("set a : ipv4 { 192.0.2.0/24 }\n", "drop from @a"));

	assert_true(polc_unit_ir(u)->sets[0]->size >= 257);
}

/* ---- kinds and families in rules ------------------------------------------------ */

static void test_port_set_used_as_an_address(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set web : port { 80, 443 }\n", "drop from @web"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "set '@web' holds ports; an address is expected here", 5, 12);

	expect_related(d, "'web' is defined here", 1, 5);
	/* a set used wrongly is still used */
	assert_int_equal(t_count(u, POLC_SEV_WARNING), 0);
}

static void test_address_set_used_as_a_port(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ipv4 { 192.0.2.0/24 }\n", "drop tcp to port @a"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "set '@a' holds addresses; a port is expected here", 5, 19);

	expect_related(d, "'a' is defined here", 1, 5);
}

static void test_address_set_in_a_port_list(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set a : ipv4 { 192.0.2.0/24 }\n", "drop tcp to port { 22, @a }"));

	t_expect(u, POLC_SEV_ERROR, "set '@a' holds addresses; a port is expected here", 5, 25);
}

static void test_set_family_against_the_protocol(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set v4set : ipv4 { 192.0.2.0/24 }\n", "pass icmpv6 from @v4set"));
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "set '@v4set' holds IPv4 addresses, but the rule matches only IPv6",
		5, 19);

	expect_related(d, "the protocol limits the rule to IPv6", 5, 7);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_ipv6_set_against_icmp(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		bad(SETS_POLICY("set v6 : ipv6 { 2001:db8::/32 }\n", "pass icmp to @v6 type echo-request"));

	t_expect(u, POLC_SEV_ERROR,
		 "set '@v6' holds IPv6 addresses, but the rule matches only IPv4", 5, 15);
}

static void test_set_of_both_families_fits_any_protocol(void **state)
{
	_cleanup_unit_ struct polc_unit *u = good(SETS_POLICY(
		"set both : ip { 192.0.2.0/24, 2001:db8::/32 }\n", "pass icmpv6 from @both"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILY_BIT(IR_V6));
}

static void test_set_restricts_the_rule_family(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		good(SETS_POLICY("set v4set : ipv4 { 192.0.2.0/24 }\n", "drop from @v4set"));

	assert_int_equal(t_rule(u, 0)->families, IR_FAMILY_BIT(IR_V4));
}

static void test_set_mixed_with_literals(void **state)
{
	_cleanup_unit_ struct polc_unit *u = good(SETS_POLICY(
		"set s : ipv4 { 192.0.2.0/24 }\n", "drop from { @s, 2001:db8::/32, 198.51.100.0/24 }"));
	const struct ir_rule *r = t_rule(u, 0);

	assert_int_equal(r->families, IR_FAMILIES_ALL);
	assert_int_equal(r->src.n, 2);
	assert_int_equal(r->src.n_sets, 1);
}

/* ---- unused ------------------------------------------------------------------------ */

static void test_unused_set_warning(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u =
		t_front(SETS_POLICY("set a : ipv4 { 192.0.2.0/24 }\n", "pass tcp"), &rc);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_WARNING, "set 'a' is never used", 1, 5);

	assert_int_equal(rc, 0);
	assert_int_equal(d->wclass, POLC_W_UNUSED);
	assert_int_equal(u->diags.n_errors, 0);
}

static void test_unused_set_warning_switched_off(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		t_unit(SETS_POLICY("set a : ipv4 { 192.0.2.0/24 }\n", "pass tcp"));

	assert_int_equal(polc_warning_config_apply(polc_unit_warnings(u), "no-unused"), 0);
	assert_int_equal(polc_front(u), 0);
	t_expect_clean(u);
}

static void test_set_used_only_by_a_bad_rule_is_used(void **state)
{
	_cleanup_unit_ struct polc_unit *u = bad(SETS_POLICY(
		"set a : ipv4 { 192.0.2.0/24 }\n", "drop tcp from @a to 2001:db8::1"));

	assert_int_equal(t_count(u, POLC_SEV_WARNING), 0);
}

/* ---- set files ------------------------------------------------------------------------ */

static char dir[PATH_MAX / 2];

static int make_dir(void **state)
{
	const char *base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/polc-sets-front-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* sub-directories on the way */
	for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The unit of policy file `name` in the directory (loaded from its path),
 * front end run; *rc its result. */
static struct polc_unit *load_policy(const char *name, int *rc)
{
	char path[PATH_MAX];
	struct polc_unit *u = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(polc_unit_load(&u, path), 0);
	*rc = polc_front(u);
	return u;
}

static const char *diag_file(const struct polc_diag *d)
{
	const char *slash = strrchr(d->loc.src->name, '/');

	return slash ? slash + 1 : d->loc.src->name;
}

static void test_set_file_is_read(void **state)
{
	int rc;

	write_file("good.txt", "# a blocklist\n192.0.2.0/24\n\n  198.51.100.7   # one host\n"
			       "203.0.113.0/25\n203.0.113.0/25\n");
	write_file("good.pol", SETS_POLICY("set bl : ipv4 prefix file \"good.txt\"\n",
					   "drop from @bl"));
	_cleanup_unit_ struct polc_unit *u = load_policy("good.pol", &rc);
	t_expect_clean(u);
	assert_int_equal(rc, 0);
	const struct ir_set *s = polc_unit_ir(u)->sets[0];
	assert_int_equal(s->n_prefixes, 3); /* the duplicate is one */
	assert_non_null(s->file_text);
}

static void test_port_set_file(void **state)
{
	int rc;

	write_file("ports.txt", "80\n443 # https\n8000-8080\n");
	write_file("ports.pol", SETS_POLICY("set web : port file \"ports.txt\"\n",
					    "pass tcp to port @web"));
	_cleanup_unit_ struct polc_unit *u = load_policy("ports.pol", &rc);
	t_expect_clean(u);
	assert_int_equal(polc_unit_ir(u)->sets[0]->n_ranges, 3);
}

static void test_wrong_family_in_a_set_file(void **state)
{
	int rc;

	write_file("fam.txt", "192.0.2.0/24\n  2001:db8::/32   # not IPv4\n");
	write_file("fam.pol", SETS_POLICY("set bl : ipv4 file \"fam.txt\"\n", "drop from @bl"));
	_cleanup_unit_ struct polc_unit *u = load_policy("fam.pol", &rc);
	assert_int_equal(rc, POLC_EPOLICY);
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR, "IPv6 address in set 'bl', which holds IPv4 addresses", 2, 3);

	assert_string_equal(diag_file(d), "fam.txt");
	assert_int_equal(d->loc.end_col, 16);
	/* the note points at the declaration, in the policy file */
	assert_true(d->has_related);
	assert_string_equal(d->related_message, "'bl' is declared here");
	assert_int_equal(d->related_loc.line, 1);
	assert_int_equal(d->related_loc.col, 5);
	assert_non_null(strstr(d->related_loc.src->name, "fam.pol"));

	/* rendered as file:line:col with the set file's line */
	char *text = t_render(u);
	assert_non_null(strstr(text, "fam.txt:2:3: error: IPv6 address in set 'bl'"));
	assert_non_null(strstr(text, "  2001:db8::/32   # not IPv4"));
	free(text);
}

static void test_bad_lines_in_a_set_file(void **state)
{
	int rc;

	write_file("bad.txt", "# comment\n192.0.2.0/24\n198.51.100.0/33\nnot-an-address\n"
			      "203.0.113.0/24 10.0.0.0/8\n203.0.113.0/24, 10.0.0.0/8\n\n"
			      "192.0.2.300\n");
	write_file("bad.pol", SETS_POLICY("set bl : ipv4 file \"bad.txt\"\n", "drop from @bl"));
	_cleanup_unit_ struct polc_unit *u = load_policy("bad.pol", &rc);
	assert_int_equal(rc, POLC_EPOLICY);

	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "invalid prefix length '33'", 3, 14);
	assert_string_equal(diag_file(d), "bad.txt");
	d = t_expect(u, POLC_SEV_ERROR, "invalid IPv4 address 'not-an-address'", 4, 1);
	assert_string_equal(diag_file(d), "bad.txt");
	d = t_expect(u, POLC_SEV_ERROR, "one element per line: unexpected '10.0.0.0/8'", 5, 16);
	assert_string_equal(diag_file(d), "bad.txt");
	t_expect(u, POLC_SEV_ERROR, "one element per line", 6, 17);
	t_expect(u, POLC_SEV_ERROR, "192.0.2.300", 8, 1);
	assert_int_equal(u->diags.n_errors, 5);
}

static void test_bad_lines_in_a_port_set_file(void **state)
{
	int rc;

	write_file("badports.txt", "80\n70000\n9-3\nhttp\n");
	write_file("badports.pol", SETS_POLICY("set web : port file \"badports.txt\"\n",
					       "pass tcp to port @web"));
	_cleanup_unit_ struct polc_unit *u = load_policy("badports.pol", &rc);
	assert_int_equal(rc, POLC_EPOLICY);

	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "'70000' is not a port", 2, 1);
	assert_string_equal(diag_file(d), "badports.txt");
	t_expect(u, POLC_SEV_ERROR, "port range '9-3' is empty", 3, 1);
	t_expect(u, POLC_SEV_ERROR, "'http' is not a port", 4, 1);
}

static void test_size_smaller_than_a_set_file(void **state)
{
	int rc;

	write_file("three.txt", "192.0.2.0/24\n192.0.3.0/24\n192.0.4.0/24\n");
	write_file("three.pol",
		   SETS_POLICY("set bl : ipv4 size 2 file \"three.txt\"\n", "drop from @bl"));
	_cleanup_unit_ struct polc_unit *u = load_policy("three.pol", &rc);
	assert_int_equal(rc, POLC_EPOLICY);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "set 'bl' has 3 elements, more than its size 2", 1, 20);
	assert_non_null(strstr(d->loc.src->name, "three.pol"));
}

static void test_set_file_relative_to_the_policy_file(void **state)
{
	int rc;
	char cwd[PATH_MAX];

	write_file("lists/v4.txt", "192.0.2.0/24\n198.51.100.0/24\n");
	write_file("lists/v6.txt", "2001:db8::/32\n");
	write_file("policies/rel.pol",
		   SETS_POLICY("set v4 : ipv4 file \"../lists/v4.txt\"\n"
			       "set v6 : ipv6 file \"../lists/v6.txt\"\n",
			       "drop from { @v4, @v6 }"));
	/* from another working directory: the path is the policy file's */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	struct polc_unit *u = load_policy("policies/rel.pol", &rc);
	assert_int_equal(chdir(cwd), 0);
	t_expect_clean(u);
	assert_int_equal(rc, 0);
	assert_int_equal(polc_unit_ir(u)->sets[0]->n_prefixes, 2);
	assert_int_equal(polc_unit_ir(u)->sets[1]->n_prefixes, 1);
	polc_unit_free(&u);
}

static void test_set_file_absolute_path(void **state)
{
	int rc;
	char text[PATH_MAX + 256];

	write_file("abs/list.txt", "10.0.0.0/8\n");
	snprintf(text, sizeof(text),
		 SETS_POLICY("set bl : ipv4 file \"%s/abs/list.txt\"\n", "drop from @bl"), dir);
	write_file("elsewhere/abs.pol", text);
	_cleanup_unit_ struct polc_unit *u = load_policy("elsewhere/abs.pol", &rc);
	t_expect_clean(u);
	assert_int_equal(polc_unit_ir(u)->sets[0]->n_prefixes, 1);
}

static void test_missing_set_file(void **state)
{
	int rc;

	write_file("missing/m.pol",
		   SETS_POLICY("set bl : ipv4 file \"nosuch.txt\"\n", "drop from @bl"));
	_cleanup_unit_ struct polc_unit *u = load_policy("missing/m.pol", &rc);
	assert_int_equal(rc, POLC_EPOLICY);
	const struct polc_diag *d = t_expect(u, POLC_SEV_ERROR, "cannot read set file", 1, 20);

	/* named as resolved: next to the policy, not in the working directory */
	assert_non_null(strstr(d->message, "missing/nosuch.txt"));
	assert_non_null(strstr(d->message, strerror(ENOENT)));
	/* and the set is not reported again where it is used */
	assert_int_equal(u->diags.n_errors, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_set_with_suggestion),
		cmocka_unit_test(test_unknown_set_far_from_any_has_no_hint),
		cmocka_unit_test(test_unknown_set_named_like_a_constant),
		cmocka_unit_test(test_unknown_port_set),
		cmocka_unit_test(test_duplicate_set),
		cmocka_unit_test(test_unknown_set_type_with_suggestion),
		cmocka_unit_test(test_unknown_set_type_far_from_any),
		cmocka_unit_test(test_port_set_takes_no_prefix),
		cmocka_unit_test(test_address_set_second_word_must_be_prefix),
		cmocka_unit_test(test_good_set_types),
		cmocka_unit_test(test_wrong_family_element_in_a_literal_set),
		cmocka_unit_test(test_wrong_family_element_in_an_ipv6_set),
		cmocka_unit_test(test_set_holds_no_any_and_no_sets),
		cmocka_unit_test(test_bad_port_elements),
		cmocka_unit_test(test_size_smaller_than_the_elements),
		cmocka_unit_test(test_size_counts_distinct_elements),
		cmocka_unit_test(test_size_too_large),
		cmocka_unit_test(test_default_size_leaves_room),
		cmocka_unit_test(test_port_set_used_as_an_address),
		cmocka_unit_test(test_address_set_used_as_a_port),
		cmocka_unit_test(test_address_set_in_a_port_list),
		cmocka_unit_test(test_set_family_against_the_protocol),
		cmocka_unit_test(test_ipv6_set_against_icmp),
		cmocka_unit_test(test_set_of_both_families_fits_any_protocol),
		cmocka_unit_test(test_set_restricts_the_rule_family),
		cmocka_unit_test(test_set_mixed_with_literals),
		cmocka_unit_test(test_unused_set_warning),
		cmocka_unit_test(test_unused_set_warning_switched_off),
		cmocka_unit_test(test_set_used_only_by_a_bad_rule_is_used),
		cmocka_unit_test(test_set_file_is_read),
		cmocka_unit_test(test_port_set_file),
		cmocka_unit_test(test_wrong_family_in_a_set_file),
		cmocka_unit_test(test_bad_lines_in_a_set_file),
		cmocka_unit_test(test_bad_lines_in_a_port_set_file),
		cmocka_unit_test(test_size_smaller_than_a_set_file),
		cmocka_unit_test(test_set_file_relative_to_the_policy_file),
		cmocka_unit_test(test_set_file_absolute_path),
		cmocka_unit_test(test_missing_set_file),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
