// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_parser.c: grammar/parser.y and compiler/parse.c: the AST built from
 * good input, and error recovery (one error per broken statement, the
 * statements after it still parsed, the error cap).
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ast_policy *policy(const struct polc_unit *u, size_t i)
{
	assert_true(i < u->ast.policies.n);
	return u->ast.policies.v[i];
}

static const struct ast_rule *rule(const struct polc_unit *u, size_t p,
				   size_t i)
{
	const struct ast_policy *pol = policy(u, p);

	assert_true(i < pol->rules.n);
	return pol->rules.v[i];
}

static void expect_span(struct polc_loc l, uint32_t line, uint32_t col,
			uint32_t end_line, uint32_t end_col)
{
	if (l.line != line || l.col != col || l.end_line != end_line ||
	    l.end_col != end_col)
		fail_msg("span %u:%u-%u:%u, expected %u:%u-%u:%u", l.line, l.col,
			 l.end_line, l.end_col, line, col, end_line, end_col);
}

/* ---- good input ---------------------------------------------------------- */

static void test_policy_header_fields(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"policy web-in {\n\tattach xdp\n\tdefault pass\n\tdrop udp\n}\n", &rc);

	assert_int_equal(rc, 0);
	t_expect_clean(u);
	const struct ast_policy *p = policy(u, 0);
	assert_string_equal(p->name, "web-in");
	expect_span(p->name_loc, 1, 8, 1, 14);
	assert_int_equal(p->hook, AST_HOOK_XDP);
	expect_span(p->hook_loc, 2, 9, 2, 12);
	assert_true(p->has_default);
	assert_int_equal(p->default_verdict, AST_PASS);
	assert_int_equal(p->rules.n, 1);
	assert_false(p->syntax_errors);
	/* the whole policy, from 'policy' to its '}' */
	expect_span(p->loc, 1, 1, 5, 2);
}

static void test_hooks(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"policy a { attach xdp; default drop }\n"
		"policy b { attach tc ingress; default drop }\n"
		"policy c { attach tc egress; default drop }\n", NULL);

	t_expect_clean(u);
	assert_int_equal(u->ast.policies.n, 3);
	assert_int_equal(policy(u, 0)->hook, AST_HOOK_XDP);
	assert_int_equal(policy(u, 1)->hook, AST_HOOK_TC_INGRESS);
	expect_span(policy(u, 1)->hook_loc, 2, 19, 2, 29);
	assert_int_equal(policy(u, 2)->hook, AST_HOOK_TC_EGRESS);
}

static void test_rule_parts(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY(
		"\tpass tcp from 10.0.0.0/8 port 1024-65535 to $web port { 80, 443 } label \"w\"\n"
		"\tdrop icmp type echo-request code 0 label x\n"), NULL);

	t_expect_clean(u);
	const struct ast_rule *r = rule(u, 0, 0);
	assert_int_equal(r->verdict, AST_PASS);
	assert_int_equal(r->proto->kind, AV_IDENT);
	assert_string_equal(r->proto->name, "tcp");
	assert_true(r->from.present);
	expect_span(r->from.loc, 4, 11, 4, 15);
	assert_int_equal(r->from.addr->kind, AV_IPV4);
	assert_int_equal(r->from.addr->prefix_len, 8);
	expect_span(r->from.addr->loc, 4, 16, 4, 26);
	expect_span(r->from.addr->prefix_loc, 4, 25, 4, 26);
	assert_int_equal(r->from.port->kind, AV_RANGE);
	assert_int_equal(r->from.port->num, 1024);
	assert_int_equal(r->from.port->num_hi, 65535);
	expect_span(r->from.port->loc, 4, 32, 4, 42);
	expect_span(r->from.port_loc, 4, 27, 4, 31);
	assert_int_equal(r->to.addr->kind, AV_REF);
	assert_string_equal(r->to.addr->name, "web");
	assert_int_equal(r->to.port->kind, AV_LIST);
	assert_int_equal(r->to.port->items.n, 2);
	assert_int_equal(r->to.port->items.v[1]->num, 443);
	expect_span(r->to.port->loc, 4, 56, 4, 67);
	assert_string_equal(r->label, "w");
	/* the rule runs from its verdict to its last token */
	expect_span(r->loc, 4, 2, 4, 77);

	r = rule(u, 0, 1);
	assert_int_equal(r->verdict, AST_DROP);
	assert_string_equal(r->icmp_type->name, "echo-request");
	expect_span(r->icmp_type_loc, 5, 12, 5, 16);
	assert_int_equal(r->icmp_code->kind, AV_NUMBER);
	assert_int_equal(r->icmp_code->num, 0);
	assert_string_equal(r->label, "x");
	assert_false(r->to.present);
}

static void test_rule_without_anything_matches_all(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY("\tpass\n"), NULL);
	const struct ast_rule *r = rule(u, 0, 0);

	t_expect_clean(u);
	assert_null(r->proto);
	assert_false(r->from.present);
	assert_false(r->to.present);
	assert_null(r->icmp_type);
	assert_null(r->label);
}

static void test_port_without_address(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		t_parse(T_POLICY("\tpass udp from port 53\n"), NULL);
	const struct ast_rule *r = rule(u, 0, 0);

	t_expect_clean(u);
	assert_true(r->from.present);
	assert_null(r->from.addr);
	assert_int_equal(r->from.port->num, 53);
}

static void test_multiline_list_with_trailing_comma(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY(
		"\tpass tcp to port {\n\t\t80,\n\t\t443, # https\n\n\t\t8080,\n\t}\n"
		"\tdrop\n"), NULL);

	t_expect_clean(u);
	const struct ast_rule *r = rule(u, 0, 0);
	assert_int_equal(r->to.port->kind, AV_LIST);
	assert_int_equal(r->to.port->items.n, 3);
	assert_int_equal(r->to.port->items.v[2]->num, 8080);
	expect_span(r->to.port->loc, 4, 19, 9, 3);
	expect_span(r->loc, 4, 2, 9, 3);
	assert_int_equal(policy(u, 0)->rules.n, 2);
}

static void test_nested_and_empty_lists(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"const a = { { 1, 2 }, 3 }\nconst e = { }\n", NULL);

	t_expect_clean(u);
	assert_int_equal(u->ast.consts.n, 2);
	const struct ast_value *v = u->ast.consts.v[0]->value;
	assert_int_equal(v->kind, AV_LIST);
	assert_int_equal(v->items.n, 2);
	assert_int_equal(v->items.v[0]->kind, AV_LIST);
	assert_int_equal(v->items.v[0]->items.n, 2);
	assert_int_equal(u->ast.consts.v[1]->value->items.n, 0);
}

static void test_consts(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"const office = 192.0.2.0/24\nconst any-v6 = any; const p = 22\n", NULL);

	t_expect_clean(u);
	assert_int_equal(u->ast.consts.n, 3);
	assert_string_equal(u->ast.consts.v[0]->name, "office");
	expect_span(u->ast.consts.v[0]->loc, 1, 7, 1, 13);
	assert_int_equal(u->ast.consts.v[1]->value->kind, AV_ANY);
	assert_int_equal(u->ast.consts.v[2]->value->num, 22);
	assert_false(u->ast.consts.v[0]->bad);
}

static void test_semicolons_separate_statements(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"policy p { attach xdp; default drop; pass tcp; drop udp; }", NULL);

	t_expect_clean(u);
	assert_int_equal(policy(u, 0)->rules.n, 2);
	assert_string_equal(rule(u, 0, 1)->proto->name, "udp");
	expect_span(rule(u, 0, 1)->loc, 1, 48, 1, 56);
}

static void test_several_policies(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"policy a {\n attach xdp\n default drop\n pass\n}\n\n"
		"# between\npolicy b {\n attach tc egress\n default pass\n drop\n drop\n}\n",
		NULL);

	t_expect_clean(u);
	assert_int_equal(u->ast.policies.n, 2);
	assert_string_equal(policy(u, 1)->name, "b");
	assert_int_equal(policy(u, 1)->name_loc.line, 8);
	assert_int_equal(policy(u, 1)->rules.n, 2);
}

static void test_last_line_without_newline(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"const x = 1\npolicy p {\n attach xdp\n default drop\n pass tcp to port $x\n}",
		NULL);

	t_expect_clean(u);
	assert_int_equal(policy(u, 0)->rules.n, 1);
	expect_span(policy(u, 0)->loc, 2, 1, 6, 2);
}

static void test_line_continuation_inside_rule(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		T_POLICY("\tpass tcp \\\n\t\tto port 22\n"), NULL);
	const struct ast_rule *r = rule(u, 0, 0);

	t_expect_clean(u);
	assert_int_equal(r->to.port->num, 22);
	expect_span(r->loc, 4, 2, 5, 13);
}

/* ---- errors found by the parser ----------------------------------------- */

static void test_misspelled_keyword_gets_a_hint(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u =
		t_parse(T_POLICY("\tpas tcp\n\tpass udp\n"), &rc);

	assert_int_equal(rc, POLC_EPOLICY);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unexpected name 'pas'", 4, 2);
	assert_string_equal(d->hint, "did you mean 'pass'?");
	assert_int_equal(u->diags.n_errors, 1);
	/* the next rule is still there; the policy knows it lost one */
	assert_int_equal(policy(u, 0)->rules.n, 1);
	assert_true(policy(u, 0)->syntax_errors);
}

static void test_attach_tc_without_direction(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"policy p {\n\tattach tc\n\tdefault drop\n}\n", NULL);
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"unexpected end of line, expected 'ingress' or 'egress'", 2, 11);

	assert_null(d->hint);
	assert_int_equal(u->diags.n_errors, 1);
	assert_true(policy(u, 0)->has_default);
}

static void test_recovery_one_error_per_broken_rule(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY(
		"\tpass = 1\n"
		"\tpass tcp\n"
		"\tdrop udp to port 80 port\n"
		"\tpass tcp from from 10.0.0.1\n"
		"\tdrop tcp to port 22\n"
		"\tpass udp label\n"), &rc);

	assert_int_equal(rc, POLC_EPOLICY);
	assert_int_equal(u->diags.n_errors, 4);
	t_expect(u, POLC_SEV_ERROR, "unexpected '='", 4, 7);
	t_expect(u, POLC_SEV_ERROR, "unexpected 'port'", 6, 22);
	t_expect(u, POLC_SEV_ERROR, "unexpected 'from'", 7, 16);
	t_expect(u, POLC_SEV_ERROR, "expected name or string", 9, 16);
	/* the good rules survive, in order */
	assert_int_equal(policy(u, 0)->rules.n, 2);
	assert_int_equal(rule(u, 0, 0)->loc.line, 5);
	assert_int_equal(rule(u, 0, 1)->loc.line, 8);
}

static void test_consecutive_broken_lines_each_reported(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		T_POLICY("\tpass = 1\n\tpass = 2\n\tpass = 3\n"), NULL);

	assert_int_equal(u->diags.n_errors, 3);
	for (uint32_t line = 4; line <= 6; line++)
		t_expect(u, POLC_SEV_ERROR, "unexpected '='", line, 7);
}

static void test_list_brace_does_not_end_the_policy(void **state)
{
	/* recovery skips to the end of the line: the list's '}' on the way
	 * is not the policy's */
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY(
		"\tpass tcp to port { 80 443 }\n"
		"\tdrop tcp from from { 10.0.0.1 } to port 22\n"
		"\tpass udp\n"), NULL);

	assert_int_equal(u->diags.n_errors, 2);
	t_expect(u, POLC_SEV_ERROR, "unexpected number '443'", 4, 24);
	t_expect(u, POLC_SEV_ERROR, "unexpected 'from'", 5, 16);
	assert_int_equal(u->ast.policies.n, 1);
	assert_int_equal(policy(u, 0)->rules.n, 1);
	assert_string_equal(rule(u, 0, 0)->proto->name, "udp");
}

static void test_broken_policy_header_skips_its_body(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"polcy p {\n\tattach xdp\n\tpass tcp to port { 80 }\n}\n"
		"policy q {\n\tattach xdp\n\tdefault drop\n}\n", NULL);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "unexpected name 'polcy'", 1, 1);

	assert_string_equal(d->hint, "did you mean 'policy'?");
	assert_int_equal(u->diags.n_errors, 1);
	assert_int_equal(u->ast.policies.n, 1);
	assert_string_equal(policy(u, 0)->name, "q");
}

static void test_missing_closing_brace(void **state)
{
	_cleanup_unit_ struct polc_unit *u =
		t_parse("policy p {\n\tattach xdp\n\tdefault drop\n\tpass\n", NULL);
	const struct polc_diag *d = t_expect(
		u, POLC_SEV_ERROR,
		"unexpected end of file, expected '}' to close policy 'p'", 5, 1);

	assert_true(d->has_related);
	assert_string_equal(d->related_message, "the policy starts here");
	assert_int_equal(d->related_loc.line, 1);
	assert_int_equal(d->related_loc.col, 8);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_unclosed_list_is_one_error(void **state)
{
	/* the list swallows the policy's '}': only the first error counts */
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY(
		"\tpass tcp to port { 80, 443\n\tpass udp\n"), NULL);

	t_expect(u, POLC_SEV_ERROR, "unexpected 'pass', expected end of line or '}'",
		 5, 2);
	assert_int_equal(u->diags.n_errors, 1);
}

static void test_part_given_twice(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"policy p {\n\tattach xdp\n\tattach tc ingress\n\tdefault drop\n"
		"\tpass tcp to 10.0.0.1 to 10.0.0.2 label a label b\n}\n", NULL);
	const struct polc_diag *d =
		t_expect(u, POLC_SEV_ERROR, "'attach' given twice", 3, 9);

	assert_string_equal(d->related_message, "first given here");
	assert_int_equal(d->related_loc.line, 2);
	d = t_expect(u, POLC_SEV_ERROR, "'to' given twice", 5, 23);
	assert_int_equal(d->related_loc.col, 11);
	t_expect(u, POLC_SEV_ERROR, "'label' given twice", 5, 49);
	/* the first one holds */
	assert_int_equal(policy(u, 0)->hook, AST_HOOK_XDP);
	assert_string_equal(rule(u, 0, 0)->label, "a");
}

static void test_lexical_error_drops_the_rule(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(T_POLICY(
		"\tpass tcp from 300.1.1.1\n\tpass tcp to port 99999999999\n"
		"\tpass udp @\n\tdrop\n"), NULL);

	assert_int_equal(u->diags.n_errors, 3);
	assert_int_equal(policy(u, 0)->rules.n, 1);
	assert_int_equal(rule(u, 0, 0)->verdict, AST_DROP);
	assert_true(policy(u, 0)->syntax_errors);
}

static void test_constant_with_errors_is_kept_as_bad(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_parse(
		"const a = { 1 2 }\nconst b = 1.2.3\nconst c = 3\n", NULL);

	assert_int_equal(u->diags.n_errors, 2);
	assert_int_equal(u->ast.consts.n, 3);
	assert_true(u->ast.consts.v[0]->bad);
	assert_null(u->ast.consts.v[0]->value);
	assert_true(u->ast.consts.v[1]->bad);
	assert_false(u->ast.consts.v[2]->bad);
}

static void test_error_cap_stops_the_parse(void **state)
{
	char text[4096];
	int n = snprintf(text, sizeof(text), "policy p {\n");

	for (int i = 0; i < 30; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "\tpass = %d\n", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "}\n");

	int rc;
	_cleanup_unit_ struct polc_unit *u = t_parse(text, &rc);

	assert_int_equal(rc, POLC_EPOLICY);
	assert_int_equal(u->diags.n_errors, 20);
	assert_true(u->diags.capped);
	assert_true(polc_diags_full(&u->diags));

	char *out = t_render(u);
	assert_non_null(strstr(out, "polc: too many errors (20), stopping\n"));
	free(out);
}

/* Bison's stack has a limit: lists nested past it are a located error in
 * the policy (exit 1), not an internal one. */
static void test_nesting_too_deep_is_a_policy_error(void **state)
{
	enum { DEPTH = 20000 };
	size_t len = 2 * DEPTH + 32;
	char *text = malloc(len);
	int rc;

	assert_non_null(text);
	size_t n = (size_t)snprintf(text, len, "const a = ");
	memset(text + n, '{', DEPTH);
	n += DEPTH;
	text[n++] = '1';
	memset(text + n, '}', DEPTH);
	n += DEPTH;
	text[n] = '\0';
	_cleanup_unit_ struct polc_unit *u = t_parse(text, &rc);
	free(text);
	assert_int_equal(rc, POLC_EPOLICY);
	const struct polc_diag *d = t_find(u, "nested too deeply");
	assert_non_null(d);
	assert_int_equal(d->loc.line, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_header_fields),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_rule_parts),
		cmocka_unit_test(test_rule_without_anything_matches_all),
		cmocka_unit_test(test_port_without_address),
		cmocka_unit_test(test_multiline_list_with_trailing_comma),
		cmocka_unit_test(test_nested_and_empty_lists),
		cmocka_unit_test(test_consts),
		cmocka_unit_test(test_semicolons_separate_statements),
		cmocka_unit_test(test_several_policies),
		cmocka_unit_test(test_last_line_without_newline),
		cmocka_unit_test(test_line_continuation_inside_rule),
		cmocka_unit_test(test_misspelled_keyword_gets_a_hint),
		cmocka_unit_test(test_attach_tc_without_direction),
		cmocka_unit_test(test_recovery_one_error_per_broken_rule),
		cmocka_unit_test(test_consecutive_broken_lines_each_reported),
		cmocka_unit_test(test_list_brace_does_not_end_the_policy),
		cmocka_unit_test(test_broken_policy_header_skips_its_body),
		cmocka_unit_test(test_missing_closing_brace),
		cmocka_unit_test(test_unclosed_list_is_one_error),
		cmocka_unit_test(test_part_given_twice),
		cmocka_unit_test(test_lexical_error_drops_the_rule),
		cmocka_unit_test(test_constant_with_errors_is_kept_as_bad),
		cmocka_unit_test(test_error_cap_stops_the_parse),
		cmocka_unit_test(test_nesting_too_deep_is_a_policy_error),
	};

	return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}
