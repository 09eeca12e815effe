// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_diag.c: compiler/diag.c: recording (the cap, duplicates, warning
 * classes), the exact text rendering, the JSON rendering and polc_suggest().
 * Diagnostics are made by hand over a source so every field is known.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

struct fixture {
	struct arena *a;
	struct polc_source *src;
	struct polc_diags d;
};

static struct fixture *fixture_new(const char *name, const char *text)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->a = arena_new();
	f->src = polc_source_new(f->a, name, text, strlen(text));
	polc_diags_init(&f->d, f->a);
	return f;
}

static void fixture_freep(struct fixture **f)
{
	if (!*f)
		return;
	arena_free(&(*f)->a);
	free(*f);
	*f = NULL;
}
#define _cleanup_fixture_ __attribute__((cleanup(fixture_freep)))

static struct polc_loc at(const struct fixture *f, uint32_t line, uint32_t col,
			  uint32_t end_col)
{
	return (struct polc_loc){ .src = f->src, .line = line, .col = col,
				  .end_line = line, .end_col = end_col };
}

static char *render(const struct polc_diags *d, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	if (json)
		polc_diags_render_json(d, out);
	else
		polc_diags_render(d, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void expect_render(const struct polc_diags *d, const char *want)
{
	char *got = render(d, false);

	if (strcmp(got, want) != 0)
		print_message("got:\n%s--\nexpected:\n%s--\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

static const char text[] =
	"policy p {\n"
	"\tpass tpc to port 80\n"
	"\tdrop udp\n"
	"}\n";

/* ---- text rendering ----------------------------------------------------- */

static void test_error_with_snippet_and_tab(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	polc_error(&f->d, at(f, 2, 7, 10), "unknown protocol '%s'", "tpc");
	/* the tab is copied into the marker line so the caret lines up */
	expect_render(&f->d,
		      "web.pol:2:7: error: unknown protocol 'tpc'\n"
		      "    2 | \tpass tpc to port 80\n"
		      "      | \t     ^~~\n");
}

static void test_hint_line(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);
	struct polc_diag *d = polc_error(&f->d, at(f, 2, 7, 10), "bad");

	polc_diag_hint(&f->d, d, "did you mean '%s'?", "tcp");
	expect_render(&f->d,
		      "web.pol:2:7: error: bad\n"
		      "    2 | \tpass tpc to port 80\n"
		      "      | \t     ^~~\n"
		      "      = hint: did you mean 'tcp'?\n");
}

static void test_related_on_another_line(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);
	struct polc_diag *d = polc_error(&f->d, at(f, 3, 7, 10), "second");

	polc_diag_related(&f->d, d, at(f, 1, 8, 9), "first here");
	expect_render(&f->d,
		      "web.pol:3:7: error: second\n"
		      "    3 | \tdrop udp\n"
		      "      | \t     ^~~\n"
		      "web.pol:1:8: note: first here\n"
		      "    1 | policy p {\n"
		      "      |        ~\n");
}

static void test_related_on_the_same_line_shares_the_snippet(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);
	struct polc_diag *d = polc_error(&f->d, at(f, 2, 14, 18), "ports apply only to tcp and udp");

	polc_diag_related(&f->d, d, at(f, 2, 7, 10), "the protocol");
	polc_diag_hint(&f->d, d, "advice");
	expect_render(&f->d,
		      "web.pol:2:14: error: ports apply only to tcp and udp\n"
		      "    2 | \tpass tpc to port 80\n"
		      "      | \t     ~~~    ^~~~\n"
		      "      = hint: advice\n"
		      "web.pol:2:7: note: the protocol\n");
}

static void test_warning_with_class_and_werror(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	polc_warning(&f->d, POLC_W_UNUSED, at(f, 3, 2, 6), "w1");
	f->d.wconf.as_error |= 1u << POLC_W_HOST_BITS;
	polc_warning(&f->d, POLC_W_HOST_BITS, at(f, 3, 7, 10), "w2");
	expect_render(&f->d,
		      "web.pol:3:2: warning: w1 [-Wunused]\n"
		      "    3 | \tdrop udp\n"
		      "      | \t^~~~\n"
		      "web.pol:3:7: error: w2 [-Werror=host-bits]\n"
		      "    3 | \tdrop udp\n"
		      "      | \t     ^~~\n");
	assert_int_equal(f->d.n_warnings, 1);
	assert_int_equal(f->d.n_errors, 1);
}

static void test_empty_span_gets_one_caret(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	/* the end of line 3: just past its last byte */
	polc_error(&f->d, at(f, 3, 10, 10), "unexpected end of line");
	expect_render(&f->d,
		      "web.pol:3:10: error: unexpected end of line\n"
		      "    3 | \tdrop udp\n"
		      "      | \t        ^\n");
}

static void test_span_over_lines_marks_to_end_of_first(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);
	struct polc_loc l = at(f, 2, 2, 0);

	l.end_line = 3;
	l.end_col = 5;
	polc_error(&f->d, l, "spans");
	expect_render(&f->d,
		      "web.pol:2:2: error: spans\n"
		      "    2 | \tpass tpc to port 80\n"
		      "      | \t^~~~~~~~~~~~~~~~~~~\n");
}

static void test_location_without_line(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);
	struct polc_diag *d = polc_error(&f->d, (struct polc_loc){ .src = f->src },
					 "no policy in this file");

	polc_diag_hint(&f->d, d, "h");
	polc_error(&f->d, (struct polc_loc){ 0 }, "made up");
	expect_render(&f->d,
		      "web.pol: error: no policy in this file\n"
		      "      = hint: h\n"
		      "<internal>: error: made up\n");
}

static void test_line_number_width_and_crlf(void **state)
{
	char big[2048] = "";
	size_t n = 0;

	for (int i = 1; i < 1234; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\n");
	snprintf(big + n, sizeof(big) - n, "drop\r\n");

	_cleanup_fixture_ struct fixture *f = fixture_new("w.pol", big);

	polc_error(&f->d, at(f, 1234, 1, 5), "x");
	/* the '\r' of a CRLF line is not shown */
	expect_render(&f->d,
		      "w.pol:1234:1: error: x\n"
		      " 1234 | drop\n"
		      "      | ^~~~\n");
}

static void test_nul_byte_does_not_cut_the_line(void **state)
{
	static const char src[] = "pass \0 tcp\n";
	_cleanup_fixture_ struct fixture *f = calloc(1, sizeof(*f));
	char *out = NULL;
	size_t len = 0;

	f->a = arena_new();
	f->src = polc_source_new(f->a, "n.pol", src, sizeof(src) - 1);
	polc_diags_init(&f->d, f->a);
	polc_error(&f->d, at(f, 1, 6, 7), "stray byte 0x00 in policy");

	FILE *o = open_memstream(&out, &len);
	polc_diags_render(&f->d, o);
	fclose(o);
	static const char want[] = "n.pol:1:6: error: stray byte 0x00 in policy\n"
				   "    1 | pass \0 tcp\n"
				   "      |      ^\n";
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(out, want, len);
	free(out);
}

static void test_sorted_by_location_then_order(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	polc_error(&f->d, at(f, 3, 2, 6), "c");
	polc_error(&f->d, at(f, 2, 7, 10), "b1");
	polc_error(&f->d, at(f, 2, 7, 10), "b2");
	polc_error(&f->d, at(f, 2, 2, 6), "a");
	polc_error(&f->d, (struct polc_loc){ .src = f->src }, "file");

	char *out = render(&f->d, false);
	const char *pf = strstr(out, "error: file"), *pa = strstr(out, "error: a\n"),
		   *pb1 = strstr(out, "error: b1"), *pb2 = strstr(out, "error: b2"),
		   *pc = strstr(out, "error: c");
	assert_true(pf && pa && pb1 && pb2 && pc);
	assert_true(pf < pa && pa < pb1 && pb1 < pb2 && pb2 < pc);
	free(out);
}

/* ---- recording ---------------------------------------------------------- */

static void test_same_message_same_place_recorded_once(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	assert_non_null(polc_error(&f->d, at(f, 2, 7, 10), "dup"));
	assert_null(polc_error(&f->d, at(f, 2, 7, 10), "dup"));
	assert_non_null(polc_error(&f->d, at(f, 2, 7, 10), "other"));
	assert_non_null(polc_error(&f->d, at(f, 2, 8, 10), "dup"));
	assert_int_equal(f->d.n_errors, 3);
}

static void test_error_cap(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	for (uint32_t i = 0; i < 20; i++)
		assert_non_null(polc_error(&f->d, at(f, 1, 1 + i, 2 + i), "e%u", i));
	assert_false(polc_diags_full(&f->d));
	assert_null(polc_error(&f->d, at(f, 2, 1, 2), "one too many"));
	assert_true(polc_diags_full(&f->d));
	assert_int_equal(f->d.n_errors, 20);
	/* warnings are still taken */
	assert_non_null(polc_warning(&f->d, POLC_W_UNUSED, at(f, 3, 1, 2), "w"));

	char *out = render(&f->d, false);
	const char *tail = "polc: too many errors (20), stopping\n";
	assert_string_equal(out + strlen(out) - strlen(tail), tail);
	free(out);
}

static void test_disabled_warning_not_recorded(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	assert_int_equal(polc_warning_config_apply(&f->d.wconf, "no-empty-policy"), 0);
	assert_null(polc_warning(&f->d, POLC_W_EMPTY, at(f, 1, 8, 9), "empty"));
	/* NULL-safe attachments */
	polc_diag_hint(&f->d, NULL, "x");
	polc_diag_related(&f->d, NULL, at(f, 1, 1, 2), "y");
	assert_int_equal(f->d.list.n, 0);
	expect_render(&f->d, "");
}

static void test_werror_all(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);

	assert_int_equal(polc_warning_config_apply(&f->d.wconf, "error"), 0);
	struct polc_diag *d = polc_warning(&f->d, POLC_W_EMPTY, at(f, 1, 8, 9), "e");
	assert_non_null(d);
	assert_int_equal(d->severity, POLC_SEV_ERROR);
	assert_int_equal(d->wclass, POLC_W_EMPTY);
}

/* ---- JSON --------------------------------------------------------------- */

static void test_json_rendering(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("we\"b.pol", text);
	struct polc_diag *d = polc_error(&f->d, at(f, 2, 7, 10), "unknown protocol 'tpc'");

	polc_diag_hint(&f->d, d, "did you mean 'tcp'?");
	polc_diag_related(&f->d, d, at(f, 1, 8, 9), "see\there");
	polc_warning(&f->d, POLC_W_HOST_BITS, at(f, 3, 2, 6), "w");

	char *out = render(&f->d, true);
	assert_string_equal(
		out,
		"[{\"severity\":\"error\",\"file\":\"we\\\"b.pol\",\"line\":2,\"column\":7,"
		"\"end_line\":2,\"end_column\":10,\"message\":\"unknown protocol 'tpc'\","
		"\"hint\":\"did you mean 'tcp'?\",\"related\":{\"file\":\"we\\\"b.pol\","
		"\"line\":1,\"column\":8,\"end_line\":1,\"end_column\":9,"
		"\"message\":\"see\\there\"}},"
		"{\"severity\":\"warning\",\"class\":\"host-bits\",\"file\":\"we\\\"b.pol\","
		"\"line\":3,\"column\":2,\"end_line\":3,\"end_column\":6,\"message\":\"w\"}]\n");
	free(out);
}

static void test_json_empty(void **state)
{
	_cleanup_fixture_ struct fixture *f = fixture_new("web.pol", text);
	char *out = render(&f->d, true);

	assert_string_equal(out, "[]\n");
	free(out);
}

static void test_json_through_a_unit(void **state)
{
	_cleanup_unit_ struct polc_unit *u = t_front(T_POLICY("\tpass tpc\n"), NULL);
	char *out = t_render_json(u);

	assert_non_null(strstr(out, "\"severity\":\"error\""));
	assert_non_null(strstr(out, "\"file\":\"test.pol\",\"line\":4,\"column\":7"));
	assert_non_null(strstr(out, "\"hint\":\"did you mean 'tcp'?\""));
	assert_int_equal(out[0], '[');
	assert_string_equal(out + strlen(out) - 2, "]\n");
	free(out);
}

/* ---- suggestions -------------------------------------------------------- */

static const char *const protos[] = { "icmp", "tcp", "udp", "gre", "icmpv6", "sctp" };

static const char *suggest(const char *w)
{
	return polc_suggest(w, protos, sizeof(protos) / sizeof(protos[0]));
}

static void test_suggest_transposition(void **state)
{
	assert_string_equal(suggest("tpc"), "tcp");
	assert_string_equal(suggest("pdu") ?: "(null)", "(null)");
	assert_string_equal(suggest("upd"), "udp");
}

static void test_suggest_one_edit(void **state)
{
	assert_string_equal(suggest("tcpp"), "tcp");
	assert_string_equal(suggest("udpp"), "udp");
	/* a tie goes to the first candidate */
	assert_string_equal(suggest("ucp"), "tcp");
	assert_string_equal(suggest("icmpv5"), "icmpv6");
	assert_string_equal(suggest("sctpp"), "sctp");
}

static void test_suggest_too_far_is_null(void **state)
{
	assert_null(suggest("quic"));
	assert_null(suggest("x"));
	assert_null(suggest("ospf"));
	assert_null(suggest("tcpudpgre"));
}

static void test_suggest_exact_is_null(void **state)
{
	/* an exact match is not a typo */
	assert_null(suggest("tcp"));
	assert_null(polc_suggest("tcp", NULL, 0));
}

static void test_suggest_longer_words_allow_more_edits(void **state)
{
	static const char *const types[] = { "echo-request", "echo-reply",
					     "destination-unreachable" };

	assert_string_equal(polc_suggest("echo-requst", types, 3), "echo-request");
	assert_string_equal(polc_suggest("destinaton-unreachabel", types, 3),
			    "destination-unreachable");
	assert_null(polc_suggest("ping", types, 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_with_snippet_and_tab),
		cmocka_unit_test(test_hint_line),
		cmocka_unit_test(test_related_on_another_line),
		cmocka_unit_test(test_related_on_the_same_line_shares_the_snippet),
		cmocka_unit_test(test_warning_with_class_and_werror),
		cmocka_unit_test(test_empty_span_gets_one_caret),
		cmocka_unit_test(test_span_over_lines_marks_to_end_of_first),
		cmocka_unit_test(test_location_without_line),
		cmocka_unit_test(test_line_number_width_and_crlf),
		cmocka_unit_test(test_nul_byte_does_not_cut_the_line),
		cmocka_unit_test(test_sorted_by_location_then_order),
		cmocka_unit_test(test_same_message_same_place_recorded_once),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_disabled_warning_not_recorded),
		cmocka_unit_test(test_werror_all),
		cmocka_unit_test(test_json_rendering),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_json_through_a_unit),
		cmocka_unit_test(test_suggest_transposition),
		cmocka_unit_test(test_suggest_one_edit),
		cmocka_unit_test(test_suggest_too_far_is_null),
		cmocka_unit_test(test_suggest_exact_is_null),
		cmocka_unit_test(test_suggest_longer_words_allow_more_edits),
	};

	return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
