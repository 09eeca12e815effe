// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_lexer.c: grammar/lexer.l: the tokens, their values and their exact
 * locations, and the lexical errors.  The lexer is driven directly, token
 * by token, the way the parser's yylex() does.
 */
#include "helpers.h"

#include <string.h>

#include "parse.h"
#include "parser.h"
#include "lexer.h"

struct tok {
	int kind;
	struct polc_loc loc;
	YYSTYPE val;
};

struct lexed {
	struct polc_unit *u;
	struct tok t[64];
	/* the tokens up to and including the end of file (0), without the
	 * newline the lexer makes up at the end of the input */
	size_t n;
	struct tok eof_nl;
};

static void lexed_free(struct lexed *l)
{
	polc_unit_free(&l->u);
}
#define _cleanup_lexed_ __attribute__((cleanup(lexed_free)))

static void lex_all_len(struct lexed *l, const char *text, size_t len)
{
	struct parse_ctx ctx = { .line = 1, .col = 1 };
	yyscan_t scanner;

	memset(l, 0, sizeof(*l));
	assert_int_equal(polc_unit_new(&l->u, "test.pol", text, len), 0);
	ctx.unit = l->u;
	ctx.arena = l->u->arena;
	ctx.diags = &l->u->diags;
	assert_int_equal(yylex_init_extra(&ctx, &scanner), 0);
	YY_BUFFER_STATE buf = yy_scan_bytes(l->u->src->text, (int)len, scanner);
	do {
		struct tok *t = &l->t[l->n++];
		t->kind = polc_lex_raw(&t->val, &t->loc, scanner);
	} while (l->t[l->n - 1].kind != 0 && l->n < 64);
	assert_true(l->n >= 2);
	assert_int_equal(l->t[l->n - 2].kind, NL);
	l->eof_nl = l->t[l->n - 2];
	l->t[l->n - 2] = l->t[l->n - 1];
	l->n--;
	yy_delete_buffer(buf, scanner);
	yylex_destroy(scanner);
}

static void lex_all(struct lexed *l, const char *text)
{
	lex_all_len(l, text, strlen(text));
}

static void expect_loc(const struct tok *t, uint32_t line, uint32_t col,
		       uint32_t end_col)
{
	assert_int_equal(t->loc.line, line);
	assert_int_equal(t->loc.col, col);
	assert_int_equal(t->loc.end_line, line);
	assert_int_equal(t->loc.end_col, end_col);
}

static void expect_kinds(const struct lexed *l, const int *kinds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i >= l->n || l->t[i].kind != kinds[i])
			fail_msg("token %zu: kind %d, expected %d", i,
				 i < l->n ? l->t[i].kind : -1, kinds[i]);
	}
	assert_int_equal(l->n, n);
}
#define EXPECT_KINDS(l, ...)                                              \
	do {                                                              \
		const int kinds_[] = { __VA_ARGS__ };                     \
		expect_kinds((l), kinds_, sizeof(kinds_) / sizeof(int)); \
	} while (0)

/* ---- tokens ------------------------------------------------------------- */

static void test_keywords_are_tokens(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "policy const attach default xdp tc ingress egress pass drop "
		    "from to port type code label any\n");
	EXPECT_KINDS(&l, POLICY, CONST, ATTACH, DEFAULT, XDP, TC, INGRESS, EGRESS,
		     PASS, DROP, FROM, TO, PORT, TYPE, CODE, LABEL, ANY, NL, 0);
	t_expect_clean(l.u);
}

static void test_identifier_with_dash_is_one_token(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "echo-request web_in passx\n");
	EXPECT_KINDS(&l, IDENT, IDENT, IDENT, NL, 0);
	assert_string_equal(l.t[0].val.str, "echo-request");
	expect_loc(&l.t[0], 1, 1, 13);
	assert_string_equal(l.t[1].val.str, "web_in");
	assert_string_equal(l.t[2].val.str, "passx");
}

static void test_ipv4_value_and_location(void **state)
{
	_cleanup_lexed_ struct lexed l;
	static const uint8_t want[4] = { 192, 0, 2, 10 };

	lex_all(&l, "  192.0.2.10\n");
	EXPECT_KINDS(&l, IPV4, NL, 0);
	assert_int_equal(l.t[0].val.value->kind, AV_IPV4);
	assert_memory_equal(l.t[0].val.value->addr, want, 4);
	expect_loc(&l.t[0], 1, 3, 13);
	t_expect_clean(l.u);
}

static void test_ipv4_prefix_is_address_slash_number(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "10.0.0.0/8");
	EXPECT_KINDS(&l, IPV4, '/', NUMBER, 0);
	expect_loc(&l.t[0], 1, 1, 9);
	expect_loc(&l.t[1], 1, 9, 10);
	expect_loc(&l.t[2], 1, 10, 11);
	assert_int_equal(l.t[2].val.num, 8);
}

static void expect_ipv6(const char *text, const uint8_t want[16])
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, text);
	if (l.t[0].kind != IPV6 || l.t[1].kind != 0)
		fail_msg("'%s' is not one IPv6 token", text);
	assert_memory_equal(l.t[0].val.value->addr, want, 16);
	assert_int_equal(l.t[0].loc.col, 1);
	assert_int_equal(l.t[0].loc.end_col, strlen(text) + 1);
	t_expect_clean(l.u);
}

static void test_ipv6_forms(void **state)
{
	static const uint8_t zero[16] = { 0 };
	static const uint8_t one[16] = { [15] = 1 };
	static const uint8_t doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t full[16] = { 0, 1, 0, 2, 0, 3, 0, 4,
					  0, 5, 0, 6, 0, 7, 0, 8 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff,
					    [12] = 1, 2, 3, 4 };
	static const uint8_t tail[16] = { 0xfe, 0x80 };

	expect_ipv6("::", zero);
	expect_ipv6("::1", one);
	expect_ipv6("2001:db8::1", doc);
	expect_ipv6("2001:DB8:0:0:0:0:0:1", doc);
	expect_ipv6("1:2:3:4:5:6:7:8", full);
	expect_ipv6("::ffff:1.2.3.4", mapped);
	expect_ipv6("fe80::", tail);
}

static void test_ipv6_prefix(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "2001:db8::/32\n");
	EXPECT_KINDS(&l, IPV6, '/', NUMBER, NL, 0);
	expect_loc(&l.t[0], 1, 1, 11);
	assert_int_equal(l.t[2].val.num, 32);
}

static void test_number_and_range_tokens(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "80 1024-65535 4294967295\n");
	EXPECT_KINDS(&l, NUMBER, NUMBER, '-', NUMBER, NUMBER, NL, 0);
	assert_int_equal(l.t[0].val.num, 80);
	expect_loc(&l.t[0], 1, 1, 3);
	assert_int_equal(l.t[1].val.num, 1024);
	expect_loc(&l.t[1], 1, 4, 8);
	expect_loc(&l.t[2], 1, 8, 9);
	assert_int_equal(l.t[3].val.num, 65535);
	expect_loc(&l.t[3], 1, 9, 14);
	assert_int_equal(l.t[4].val.num, UINT32_MAX);
	t_expect_clean(l.u);
}

static void test_ref_keeps_name_without_dollar(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "from $office-v4\n");
	EXPECT_KINDS(&l, FROM, REF, NL, 0);
	assert_string_equal(l.t[1].val.str, "office-v4");
	expect_loc(&l.t[1], 1, 6, 16);
}

static void test_string_with_escapes(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "label \"say \\\"hi\\\" \\\\ # not a comment\"\n");
	EXPECT_KINDS(&l, LABEL, STRING, NL, 0);
	assert_string_equal(l.t[1].val.str, "say \"hi\" \\ # not a comment");
	expect_loc(&l.t[1], 1, 7, 38);
	t_expect_clean(l.u);
}

static void test_comment_runs_to_end_of_line(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "pass # drop tcp\n# whole line\ndrop\n");
	EXPECT_KINDS(&l, PASS, NL, NL, DROP, NL, 0);
	expect_loc(&l.t[1], 1, 16, 17);
	expect_loc(&l.t[2], 2, 13, 14);
	expect_loc(&l.t[3], 3, 1, 5);
}

static void test_backslash_continues_the_line(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "pass tcp \\\n\tto port 80\n");
	EXPECT_KINDS(&l, PASS, IDENT, TO, PORT, NUMBER, NL, 0);
	expect_loc(&l.t[2], 2, 2, 4);
	expect_loc(&l.t[4], 2, 10, 12);
}

static void test_crlf_line_ends(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "pass\r\ndrop \\\r\n tcp\r\n");
	EXPECT_KINDS(&l, PASS, NL, DROP, IDENT, NL, 0);
	expect_loc(&l.t[3], 3, 2, 5);
	t_expect_clean(l.u);
}

static void test_tab_is_one_column(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "\t\tpass\n");
	expect_loc(&l.t[0], 1, 3, 7);
}

static void test_last_line_without_newline_ends_with_nl(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "pass\ndrop");
	EXPECT_KINDS(&l, PASS, NL, DROP, 0);
	/* the made-up newline sits just past the last byte */
	expect_loc(&l.eof_nl, 2, 5, 5);
}

static void test_punctuation(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "{ a,\n b, };=\n");
	EXPECT_KINDS(&l, '{', IDENT, ',', NL, IDENT, ',', '}', ';', '=', NL, 0);
	expect_loc(&l.t[6], 2, 5, 6);
}

static void test_empty_input(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "");
	EXPECT_KINDS(&l, 0);
	expect_loc(&l.eof_nl, 1, 1, 1);
	t_expect_clean(l.u);
}

/* ---- lexical errors ----------------------------------------------------- */

static void test_ipv4_octet_300_is_an_error_at_the_address(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "from 10.300.0.1\n");
	EXPECT_KINDS(&l, FROM, IPV4, NL, 0);
	t_expect(l.u, POLC_SEV_ERROR,
		 "invalid IPv4 address '10.300.0.1': each part is 0 to 255", 1, 6);
	assert_int_equal(l.u->diags.list.v[0]->loc.end_col, 16);
	assert_int_equal(l.u->diags.n_errors, 1);
}

static void test_ipv4_four_digit_part_is_an_error(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "10.0.0.1000\n");
	EXPECT_KINDS(&l, IPV4, NL, 0);
	t_expect(l.u, POLC_SEV_ERROR, "each part is 0 to 255", 1, 1);
}

static void test_ipv4_with_wrong_part_count_is_one_error(void **state)
{
	static const char *const bad[] = { "1.2.3", "1.2.3.4.5", "1.2..3",
					   "1.2.3.4." };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_lexed_ struct lexed l;

		lex_all(&l, bad[i]);
		EXPECT_KINDS(&l, IPV4, 0);
		t_expect(l.u, POLC_SEV_ERROR, "it has four numbers separated by '.'",
			 1, 1);
		assert_int_equal(l.u->diags.n_errors, 1);
	}
}

static void test_invalid_ipv6_is_one_error(void **state)
{
	static const char *const bad[] = { "2001:db8::1::2", "1:2:3:4:5:6:7:8:9",
					   "12345::1", "::1.2.3", ":::" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_lexed_ struct lexed l;

		lex_all(&l, bad[i]);
		EXPECT_KINDS(&l, IPV6, 0);
		t_expect(l.u, POLC_SEV_ERROR, "invalid IPv6 address", 1, 1);
		assert_int_equal(l.u->diags.n_errors, 1);
	}
}

static void test_number_too_large(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "port 4294967296 99999999999999999999999\n");
	EXPECT_KINDS(&l, PORT, NUMBER, NUMBER, NL, 0);
	t_expect(l.u, POLC_SEV_ERROR, "number '4294967296' is too large", 1, 6);
	t_expect(l.u, POLC_SEV_ERROR,
		 "number '99999999999999999999999' is too large", 1, 17);
}

static void test_stray_printable_character(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "pass ! tcp\n");
	/* the character is reported and skipped ('@' is not stray: sets) */
	EXPECT_KINDS(&l, PASS, IDENT, NL, 0);
	const struct polc_diag *d =
		t_expect(l.u, POLC_SEV_ERROR, "stray '!' in policy", 1, 6);
	assert_int_equal(d->loc.end_col, 7);
}

static void test_stray_control_and_nul_bytes(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all_len(&l, "pass \001 \0 tcp\n", 13);
	EXPECT_KINDS(&l, PASS, IDENT, NL, 0);
	t_expect(l.u, POLC_SEV_ERROR, "stray byte 0x01 in policy", 1, 6);
	t_expect(l.u, POLC_SEV_ERROR, "stray byte 0x00 in policy", 1, 8);
	/* the NUL did not end the input: tcp is at its real column */
	expect_loc(&l.t[1], 1, 10, 13);
}

static void test_non_ascii_run_is_one_error(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "pass caf\xc3\xa9 tcp\n");
	EXPECT_KINDS(&l, PASS, IDENT, IDENT, NL, 0);
	const struct polc_diag *d = t_expect(
		l.u, POLC_SEV_ERROR, "stray non-ASCII bytes 0xc3 0xa9 in policy", 1, 9);
	assert_int_equal(d->loc.end_col, 11);
	assert_int_equal(l.u->diags.n_errors, 1);
}

static void test_unterminated_string(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "label \"web\npass\n");
	EXPECT_KINDS(&l, LABEL, STRING, NL, PASS, NL, 0);
	const struct polc_diag *d =
		t_expect(l.u, POLC_SEV_ERROR, "unterminated string", 1, 7);
	assert_int_equal(d->loc.end_col, 11);
}

static void test_lone_dollar(void **state)
{
	_cleanup_lexed_ struct lexed l;

	lex_all(&l, "from $ x\n");
	EXPECT_KINDS(&l, FROM, IDENT, NL, 0);
	t_expect(l.u, POLC_SEV_ERROR, "'$' must be followed by a constant's name", 1, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords_are_tokens),
		cmocka_unit_test(test_identifier_with_dash_is_one_token),
		cmocka_unit_test(test_ipv4_value_and_location),
		cmocka_unit_test(test_ipv4_prefix_is_address_slash_number),
		cmocka_unit_test(test_ipv6_forms),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_number_and_range_tokens),
		cmocka_unit_test(test_ref_keeps_name_without_dollar),
		cmocka_unit_test(test_string_with_escapes),
		cmocka_unit_test(test_comment_runs_to_end_of_line),
		cmocka_unit_test(test_backslash_continues_the_line),
		cmocka_unit_test(test_crlf_line_ends),
		cmocka_unit_test(test_tab_is_one_column),
		cmocka_unit_test(test_last_line_without_newline_ends_with_nl),
		cmocka_unit_test(test_punctuation),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_ipv4_octet_300_is_an_error_at_the_address),
		cmocka_unit_test(test_ipv4_four_digit_part_is_an_error),
		cmocka_unit_test(test_ipv4_with_wrong_part_count_is_one_error),
		cmocka_unit_test(test_invalid_ipv6_is_one_error),
		cmocka_unit_test(test_number_too_large),
		cmocka_unit_test(test_stray_printable_character),
		cmocka_unit_test(test_stray_control_and_nul_bytes),
		cmocka_unit_test(test_non_ascii_run_is_one_error),
		cmocka_unit_test(test_unterminated_string),
		cmocka_unit_test(test_lone_dollar),
	};

	return cmocka_run_group_tests_name("lexer", tests, NULL, NULL);
}
