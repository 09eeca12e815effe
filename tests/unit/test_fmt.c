// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_fmt.c: compiler/fmt.c (polc fmt) and compiler/diff.c.
 *
 * Exact output for each rule of the canonical form; then the promises
 * (fmt_oracle.h: idempotent, comments kept in order, same IR) on every
 * sample, every diag case and fuzz seed that parses, and on thousands of
 * random policies written with random spacing, separators, continuations,
 * part orders, comments and blank lines.  POLC_FMT_RANDOM=N runs N random
 * policies instead of the default; POLC_FMT_DUMP=I prints random policy I
 * and exits (to debug a failure).
 */
#include "helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt_oracle.h"
#include "util.h"

static char *fmt(const char *text, int *rc)
{
	_cleanup_unit_ struct polc_unit *u = t_unit(text);
	char *out = NULL;
	size_t len = 0;

	*rc = polc_format_mem(u, &out, &len);
	if (out)
		assert_int_equal(strlen(out), len);
	return out;
}

/* Format text and compare with want; then check the promises on it. */
static void expect_fmt(const char *text, const char *want)
{
	int rc;
	char *out = fmt(text, &rc);
	char why[512];

	assert_int_equal(rc, 0);
	if (strcmp(out, want) != 0) {
		print_message("input:\n%s\nwant:\n%s\ngot:\n%s\n", text, want, out);
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		polc_diff(f, "want", want, strlen(want), "got", out, strlen(out));
		fclose(f);
		fail_msg("unexpected format:\n%s", buf);
	}
	free(out);
	if (fmt_oracle_check("test.pol", text, strlen(text), NULL, why, sizeof(why)) < 0)
		fail_msg("%s", why);
}

/* ---- the canonical form ---------------------------------------------------- */

static void test_statements_one_a_line(void **state)
{
	expect_fmt("const a=1;const b = 2\npolicy p { attach xdp; default drop; pass tcp }\n",
		   "const a = 1\n"
		   "const b = 2\n"
		   "\n"
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass tcp\n"
		   "}\n");
}

static void test_spacing_and_values(void **state)
{
	expect_fmt("policy p{\n\tattach   tc\tegress\n default  pass\n"
		   "  drop {tcp,udp}from{10.0.0.1/8 ,2001:DB8:0:0::1/64}port 1024 - 2048 to any\n"
		   "  pass icmp type{echo-request}code 0\n}",
		   "policy p {\n"
		   "    attach tc egress\n"
		   "    default pass\n"
		   "    drop { tcp, udp } from { 10.0.0.1/8, 2001:db8::1/64 } port 1024-2048 to any\n"
		   "    pass icmp type { echo-request } code 0\n"
		   "}\n");
}

static void test_part_order(void **state)
{
	expect_fmt("policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass icmp label l code 0 type 3 to 10.0.0.1 from 10.0.0.2\n"
		   "    pass tcp to port 22 from port 1024-65535\n"
		   "}\n",
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass icmp from 10.0.0.2 to 10.0.0.1 type 3 code 0 label l\n"
		   "    pass tcp from port 1024-65535 to port 22\n"
		   "}\n");
}

static void test_labels_bare_or_quoted(void **state)
{
	expect_fmt("policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass tcp label \"web\"\n"
		   "    pass udp label \"a \\\"b\\\" \\\\ c\"\n"
		   "    pass icmp label \"pass\"\n"
		   "}\n",
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass tcp  label web\n"
		   "    pass udp  label \"a \\\"b\\\" \\\\ c\"\n"
		   "    pass icmp label \"pass\"\n"
		   "}\n");
}

static void test_sets(void **state)
{
	expect_fmt("set a:ipv4 prefix size 10{1.2.3.4}\nset bb : port file \"x.txt\"\n"
		   "set c : ip size 0 { }\n",
		   "set a  : ipv4 prefix size 10 { 1.2.3.4 }\n"
		   "set bb : port file \"x.txt\"\n"
		   "set c  : ip size 0 { }\n");
}

static void test_alignment_runs(void **state)
{
	/* '=' aligns in a run of constants; a blank line ends the run */
	expect_fmt("const a = 1\nconst long_name = 2\n\nconst b = 3\nconst cc = 4\n",
		   "const a         = 1\n"
		   "const long_name = 2\n"
		   "\n"
		   "const b  = 3\n"
		   "const cc = 4\n");
}

static void test_labels_align_across_the_policy(void **state)
{
	expect_fmt("policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass tcp to port 22 label ssh\n"
		   "\n"
		   "    # comment\n"
		   "    pass udp from 192.0.2.0/24 to port 53 label dns\n"
		   "    pass icmp\n"
		   "    pass tcp to { 192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4 } port 8080 label far\n"
		   "}\n",
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass tcp to port 22                   label ssh\n"
		   "\n"
		   "    # comment\n"
		   "    pass udp from 192.0.2.0/24 to port 53 label dns\n"
		   "    pass icmp\n"
		   "    pass tcp to { 192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4 } port 8080 label far\n"
		   "}\n");
}

static void test_long_list_one_element_a_line(void **state)
{
	expect_fmt("const blocked = { 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, "
		   "2001:db8:1::/48, 2001:db8:2::/48, 2001:db8:3::/48 }\n",
		   "const blocked = {\n"
		   "    192.0.2.0/24,\n"
		   "    198.51.100.0/24,\n"
		   "    203.0.113.0/24,\n"
		   "    2001:db8:1::/48,\n"
		   "    2001:db8:2::/48,\n"
		   "    2001:db8:3::/48,\n"
		   "}\n");
	/* the widest list of the line is broken first; the others stay */
	expect_fmt(T_POLICY("\tpass { tcp, udp } from { 192.0.2.0/24, 198.51.100.0/24, "
			    "203.0.113.0/24, 2001:db8:1::/48 } to port { 80, 443 }\n"),
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass { tcp, udp } from {\n"
		   "        192.0.2.0/24,\n"
		   "        198.51.100.0/24,\n"
		   "        203.0.113.0/24,\n"
		   "        2001:db8:1::/48,\n"
		   "    } to port { 80, 443 }\n"
		   "}\n");
}

static void test_short_list_written_on_lines_is_joined(void **state)
{
	expect_fmt("const web = {\n    80,\n    443,\n}\n", "const web = { 80, 443 }\n");
}

static void test_comments_stay(void **state)
{
	expect_fmt("# head\n"
		   "\n"
		   "\n"
		   "const a = 1 # end of line\n"
		   "# before p\n"
		   "policy p {   # the policy\n"
		   "    # before attach\n"
		   "    attach xdp;  default drop  # the default\n"
		   "\n"
		   "\n"
		   "    # closing\n"
		   "} # after\n"
		   "# tail\n",
		   "# head\n"
		   "\n"
		   "const a = 1  # end of line\n"
		   "\n"
		   "# before p\n"
		   "policy p {  # the policy\n"
		   "    # before attach\n"
		   "    attach xdp\n"
		   "    default drop  # the default\n"
		   "\n"
		   "    # closing\n"
		   "}  # after\n"
		   "# tail\n");
}

static void test_comments_in_lists(void **state)
{
	expect_fmt("const hosts = { # the hosts\n"
		   "  192.0.2.1,    # one\n"
		   "  # two and three\n"
		   "  192.0.2.2, 192.0.2.3,  # three\n"
		   "\n"
		   "  { 10.0.0.1, # nested\n"
		   "    10.0.0.2 }\n"
		   "  # last\n"
		   "}\n",
		   "const hosts = {  # the hosts\n"
		   "    192.0.2.1,   # one\n"
		   "    # two and three\n"
		   "    192.0.2.2,\n"
		   "    192.0.2.3,  # three\n"
		   "\n"
		   "    {\n"
		   "        10.0.0.1,  # nested\n"
		   "        10.0.0.2,\n"
		   "    },\n"
		   "    # last\n"
		   "}\n");
}

static void test_comments_never_reorder(void **state)
{
	/* the parts are swapped: their comments go before the rule */
	expect_fmt(T_POLICY("\tpass icmp type { echo-request, # t\n"
			    "\t\techo-reply } from { 10.0.0.1, # f\n"
			    "\t\t10.0.0.2 }  # end\n"),
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    # t\n"
		   "    # f\n"
		   "    pass icmp from { 10.0.0.1, 10.0.0.2 } type { echo-request, echo-reply }  # end\n"
		   "}\n");
	/* in order already: they stay in their lists */
	expect_fmt(T_POLICY("\tpass icmp from { 10.0.0.1, # f\n"
			    "\t\t10.0.0.2 } type { echo-request, # t\n"
			    "\t\techo-reply }\n"),
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    pass icmp from {\n"
		   "        10.0.0.1,  # f\n"
		   "        10.0.0.2,\n"
		   "    } type {\n"
		   "        echo-request,  # t\n"
		   "        echo-reply,\n"
		   "    }\n"
		   "}\n");
}

/* Found by the random policies: the canonical order prints the long port
 * list (broken for its width) before the list written first, whose comment
 * it must leave alone. */
static void test_list_printed_first_leaves_earlier_comments(void **state)
{
	expect_fmt(T_POLICY("\tdrop tcp to { 10.0.0.1, # to\n"
			    "\t\t10.0.0.2 } from port { 10001, 10002, 10003, 10004, 10005, 10006,"
			    " 10007, 10008, 10009, 10010, 10011, 10012 }\n"),
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop\n"
		   "    drop tcp from port {\n"
		   "        10001,\n        10002,\n        10003,\n        10004,\n"
		   "        10005,\n        10006,\n        10007,\n        10008,\n"
		   "        10009,\n        10010,\n        10011,\n        10012,\n"
		   "    } to {\n"
		   "        10.0.0.1,  # to\n"
		   "        10.0.0.2,\n"
		   "    }\n"
		   "}\n");
}

static void test_continuation_and_crlf(void **state)
{
	expect_fmt("policy p {\r\n  attach xdp\r\n  default drop # crlf\r\n"
		   "  pass tcp \\\r\n     to port 22\r\n}\r\n",
		   "policy p {\n"
		   "    attach xdp\n"
		   "    default drop  # crlf\n"
		   "    pass tcp to port 22\n"
		   "}\n");
}

static void test_policies_set_off(void **state)
{
	expect_fmt("policy a { attach xdp; default drop }\npolicy b { attach xdp; default drop }\n"
		   "const c = 1\n",
		   "policy a {\n    attach xdp\n    default drop\n}\n\n"
		   "policy b {\n    attach xdp\n    default drop\n}\n\n"
		   "const c = 1\n");
	expect_fmt("policy empty {}\n", "policy empty {\n}\n");
}

static void test_empty_and_comment_only_files(void **state)
{
	expect_fmt("", "");
	expect_fmt("\n\n;\n", "");
	expect_fmt("  # only   \n\n\n# comments\n", "# only\n\n# comments\n");
}

static void test_host_bits_and_semantic_errors_are_kept(void **state)
{
	/* formatting needs the syntax only; meaning is never changed */
	expect_fmt("const x = 10.1.2.3/8\npolicy p { attach xdp; default drop\n"
		   "pass tpc from $nope port 70000 }\n",
		   "const x = 10.1.2.3/8\n\n"
		   "policy p {\n    attach xdp\n    default drop\n"
		   "    pass tpc from $nope port 70000\n}\n");
}

static void test_syntax_errors_are_not_formatted(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_unit("policy p {\n\tattach xdp\n\tpass tcp port\n");
	char *out = (char *)1;
	size_t len = 7;

	rc = polc_format_mem(u, &out, &len);
	assert_int_equal(rc, POLC_EPOLICY);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_true(polc_unit_errors(u) > 0);
	free(fmt("const = 1\n", &rc));
	assert_int_equal(rc, POLC_EPOLICY);
	free(fmt("const a = 300.1.1.1\n", &rc)); /* a lexical error */
	assert_int_equal(rc, POLC_EPOLICY);
}

static void test_format_after_front(void **state)
{
	/* polc_front() then polc_format(): parsed once */
	_cleanup_unit_ struct polc_unit *u = t_front(T_POLICY("\tpass tcp\n"), NULL);
	char *out;
	size_t len;

	assert_int_equal(polc_format_mem(u, &out, &len), 0);
	assert_string_equal(out, "policy p {\n    attach xdp\n    default drop\n    pass tcp\n}\n");
	assert_int_equal(u->ast.policies.n, 1);
	free(out);
}

/* ---- the diff ---------------------------------------------------------- */

static char *diff(const char *a, const char *b, int *hunks)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*hunks = polc_diff(f, "a", a, strlen(a), "b", b, strlen(b));
	fclose(f);
	return buf;
}

static void test_diff(void **state)
{
	int hunks;
	char *d = diff("x\ny\n", "x\ny\n", &hunks);

	assert_int_equal(hunks, 0);
	assert_string_equal(d, "");
	free(d);
	d = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n",
		 &hunks);
	assert_int_equal(hunks, 2);
	assert_string_equal(d, "--- a\n+++ b\n"
			       "@@ -1,7 +1,7 @@\n 1\n 2\n 3\n-4\n+four\n 5\n 6\n 7\n"
			       "@@ -9,4 +9,3 @@\n 9\n 10\n 11\n-12\n");
	free(d);
	d = diff("a\nb", "a\nb\n", &hunks);
	assert_int_equal(hunks, 1);
	assert_string_equal(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
	free(d);
	d = diff("", "new\n", &hunks);
	assert_string_equal(d, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+new\n");
	free(d);
}

/* ---- files and random policies ------------------------------------------- */

static void check_file(const char *path, unsigned *checked)
{
	FILE *f = fopen(path, "rb");
	char buf[1 << 16];
	char why[512];

	assert_non_null(f);
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	int rc = fmt_oracle_check(path, buf, len, NULL, why, sizeof(why));
	if (rc < 0)
		fail_msg("%s: %s", path, why);
	*checked += rc == 0;
}

static void check_dir(const char *dir, unsigned *checked)
{
	DIR *d = opendir(dir);

	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 4, ".pol") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		check_file(path, checked);
	}
	closedir(d);
}

static void test_samples_and_cases(void **state)
{
	unsigned checked = 0;

	check_dir(SAMPLES_DIR, &checked);
	check_dir(DIAG_CASES_DIR, &checked);
	check_dir(FUZZ_SEEDS_DIR, &checked);
	print_message("fmt: %u files checked\n", checked);
	assert_true(checked >= 20);
}

/* A random policy file: mostly valid, written every way the grammar allows. */
struct gen {
	uint64_t s;
	char *buf;
	size_t len;
	FILE *f;
	unsigned consts, addr_sets, port_sets;
};

static unsigned rnd(struct gen *g, unsigned n)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return (unsigned)(g->s % n);
}

static void blank(struct gen *g)
{
	static const char *const sp[] = { " ", " ", " ", "  ", "\t", " \\\n  ", "" };
	fputs(sp[rnd(g, 7)], g->f);
}

/* A word; separated from the one before by blanks (or none, where that
 * cannot join the two). */
static void w(struct gen *g, const char *s)
{
	fputc(' ', g->f);
	if (rnd(g, 4) == 0)
		blank(g);
	fputs(s, g->f);
}

static const char *const words[] = { "allow", "web", "ssh", "TODO", "x", "a longer comment",
				     "#", "pass tcp", "{ not, a, list }", "\"quoted\"" };

/* The end of a line, maybe with a comment, maybe blank lines after. */
static void nl(struct gen *g)
{
	if (rnd(g, 4) == 0)
		fprintf(g->f, "%s# %s", rnd(g, 2) ? " " : "   ", words[rnd(g, 10)]);
	if (rnd(g, 8) == 0)
		fputc('\r', g->f);
	fputc('\n', g->f);
	if (rnd(g, 6) == 0)
		fputs(rnd(g, 2) ? "\n" : "\n\n\n", g->f);
	if (rnd(g, 8) == 0)
		fprintf(g->f, "%s# own line %u\n", rnd(g, 2) ? "" : "    ", rnd(g, 100));
}

static void addr(struct gen *g, int family)
{
	char s[80];

	if (family == 4 || (family == 0 && rnd(g, 2))) {
		snprintf(s, sizeof(s), "%u.%u.%u.%u", rnd(g, 256), rnd(g, 256), rnd(g, 3), rnd(g, 256));
		if (rnd(g, 2))
			snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s/%u", rnd(g, 4) ? "" : " ",
				 rnd(g, 33));
	} else {
		static const char *const v6[] = { "2001:db8::", "2001:DB8:0:0::1", "::1", "fe80::1:2",
						  "::ffff:192.0.2.1", "2001:db8:a:b:c:d:e:f" };
		snprintf(s, sizeof(s), "%s", v6[rnd(g, 6)]);
		if (rnd(g, 2))
			snprintf(s + strlen(s), sizeof(s) - strlen(s), "/%u", rnd(g, 129));
	}
	w(g, s);
}

static void port(struct gen *g)
{
	char s[32];
	unsigned lo = rnd(g, 65536);

	if (rnd(g, 3))
		snprintf(s, sizeof(s), "%u", lo);
	else
		snprintf(s, sizeof(s), "%u%s-%s%u", lo, rnd(g, 4) ? "" : " ", rnd(g, 4) ? "" : " ",
			 lo + rnd(g, 65536 - lo));
	w(g, s);
}

/* A value: a scalar of kind k (0 addr, 1 port, 2 icmp type, 3 proto), or a
 * list of them, maybe on several lines, maybe nested. */
static void val(struct gen *g, int k, int family, int depth)
{
	if (depth < 3 && rnd(g, 3) == 0) {
		unsigned n = 1 + rnd(g, rnd(g, 6) == 0 ? 14 : 4);
		w(g, "{");
		if (rnd(g, 4) == 0)
			nl(g);
		for (unsigned i = 0; i < n; i++) {
			if (i) {
				fputc(',', g->f);
				if (rnd(g, 3) == 0)
					nl(g);
			}
			val(g, k, family, depth + 1);
		}
		if (rnd(g, 3) == 0)
			fputc(',', g->f);
		if (rnd(g, 4) == 0)
			nl(g);
		w(g, "}");
		return;
	}
	char ref[32];
	switch (k) {
	case 0:
		if (rnd(g, 6) == 0 && g->addr_sets) {
			snprintf(ref, sizeof(ref), "@as%u", rnd(g, g->addr_sets));
			w(g, ref);
		} else if (rnd(g, 10) == 0) {
			w(g, "any");
		} else {
			addr(g, family);
		}
		break;
	case 1:
		if (rnd(g, 6) == 0 && g->port_sets) {
			snprintf(ref, sizeof(ref), "@ps%u", rnd(g, g->port_sets));
			w(g, ref);
		} else if (rnd(g, 6) == 0 && g->consts) {
			snprintf(ref, sizeof(ref), "$c%u", rnd(g, g->consts));
			w(g, ref);
		} else {
			port(g);
		}
		break;
	case 2: {
		static const char *const t[] = { "echo-request", "echo-reply", "destination-unreachable",
						 "time-exceeded", "3", "0" };
		w(g, t[rnd(g, 6)]);
		break;
	}
	default: {
		static const char *const p[] = { "tcp", "udp", "47", "sctp", "any" };
		w(g, p[rnd(g, 5)]);
	}
	}
}

static void rule(struct gen *g)
{
	int kind = (int)rnd(g, 4), family = (int)rnd(g, 3) * 2;
	int order[5] = { 0, 1, 2, 3, 4 };

	family = family == 2 ? 4 : family; /* 0 both, 4, 6 (rarely) */
	w(g, rnd(g, 2) ? "pass" : "drop");
	if (kind == 0) {
		w(g, rnd(g, 2) ? "tcp" : rnd(g, 2) ? "udp" : "{ tcp, udp }");
	} else if (kind == 1) {
		w(g, "icmp");
		family = 4;
	} else if (kind == 2) {
		if (rnd(g, 2))
			val(g, 3, 0, 1);
	}
	for (int i = 4; i > 0; i--) {
		int j = (int)rnd(g, (unsigned)i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < 5; i++) {
		if (rnd(g, 2))
			continue;
		switch (order[i]) {
		case 0:
		case 1: {
			bool has_addr = kind != 0 || rnd(g, 2);
			bool has_port = kind == 0 && (!has_addr || rnd(g, 2));
			w(g, order[i] ? "to" : "from");
			if (has_addr)
				val(g, 0, family, 0);
			if (has_port) {
				w(g, "port");
				val(g, 1, family, 0);
			}
			break;
		}
		case 2:
			if (kind == 1) {
				w(g, "type");
				val(g, 2, family, 0);
			}
			break;
		case 3:
			if (kind == 1 && rnd(g, 2)) {
				w(g, "code");
				w(g, rnd(g, 2) ? "0" : "4");
			}
			break;
		case 4: {
			char s[64];
			static const char *const l[] = { "web", "\"dns resolver\"", "\"a\\\"b\"", "ssh-1",
							 "\"drop\"" };
			snprintf(s, sizeof(s), "%s", l[rnd(g, 5)]);
			w(g, "label");
			w(g, s);
		}
		}
	}
}

static void end(struct gen *g)
{
	if (rnd(g, 5) == 0) {
		fputc(';', g->f);
	} else {
		nl(g);
	}
}

static char *random_policy(uint64_t seed, size_t *len)
{
	struct gen g = { .s = seed * 0x9e3779b97f4a7c15ull + 1 };
	unsigned n = 1 + rnd(&g, 6);

	g.f = open_memstream(&g.buf, &g.len);
	assert_non_null(g.f);
	if (rnd(&g, 3) == 0)
		fprintf(g.f, "# file %llu\n", (unsigned long long)seed);
	for (unsigned i = 0; i < n; i++) {
		switch (rnd(&g, 4)) {
		case 0:
			fprintf(g.f, "const c%u", g.consts++);
			w(&g, "=");
			val(&g, 1, 0, 0);
			end(&g);
			break;
		case 1:
			if (rnd(&g, 2)) {
				fprintf(g.f, "set as%u", g.addr_sets++);
				w(&g, ":");
				w(&g, rnd(&g, 2) ? "ip" : "ipv4 prefix");
				if (rnd(&g, 3) == 0)
					w(&g, "size 300");
				w(&g, "{");
				addr(&g, 4);
				w(&g, "}");
			} else {
				fprintf(g.f, "set ps%u", g.port_sets++);
				w(&g, ":");
				w(&g, "port {");
				port(&g);
				w(&g, ",");
				port(&g);
				w(&g, "}");
			}
			end(&g);
			break;
		default: {
			unsigned rules = rnd(&g, 8), at = rnd(&g, rules + 1), dt = rnd(&g, rules + 1);
			fprintf(g.f, "policy p%u", i);
			w(&g, "{");
			if (rnd(&g, 2))
				nl(&g);
			for (unsigned r = 0; r <= rules; r++) {
				if (r == at) {
					w(&g, "attach");
					w(&g, rnd(&g, 2) ? "xdp" : "tc egress");
					end(&g);
				}
				if (r == dt) {
					w(&g, "default");
					w(&g, rnd(&g, 2) ? "drop" : "pass");
					end(&g);
				}
				if (r < rules) {
					rule(&g);
					/* the last statement may run into the '}' */
					if (r + 1 < rules || at == rules || dt == rules || rnd(&g, 2))
						end(&g);
				}
			}
			w(&g, "}");
			nl(&g);
		}
		}
	}
	fclose(g.f);
	*len = g.len;
	return g.buf;
}

static void test_random_policies(void **state)
{
	const char *env = getenv("POLC_FMT_RANDOM");
	unsigned n = env ? (unsigned)strtoul(env, NULL, 10) : 3000, parsed = 0, compiled = 0;
	char why[512];

	for (unsigned i = 0; i < n; i++) {
		size_t len;
		char *text = random_policy(i, &len);
		int rc = fmt_oracle_check("random.pol", text, len, NULL, why, sizeof(why));
		if (rc < 0) {
			print_message("random policy %u:\n%s\n", i, text);
			free(text);
			fail_msg("random policy %u: %s", i, why);
		}
		parsed += rc == 0;
		if (rc == 0) {
			_cleanup_unit_ struct polc_unit *u = t_unit(text);
			compiled += polc_front(u) == 0;
		}
		free(text);
	}
	print_message("fmt: %u random policies, %u parse, %u compile\n", n, parsed, compiled);
	/* the generator must keep producing files that mean something */
	assert_true(parsed > n / 2);
	assert_true(compiled > n / 5);
}

int main(void)
{
	if (getenv("POLC_FMT_DUMP")) {
		size_t len;
		char *text = random_policy(strtoull(getenv("POLC_FMT_DUMP"), NULL, 10), &len);
		fwrite(text, 1, len, stdout);
		free(text);
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements_one_a_line),
		cmocka_unit_test(test_spacing_and_values),
		cmocka_unit_test(test_part_order),
		cmocka_unit_test(test_labels_bare_or_quoted),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_alignment_runs),
		cmocka_unit_test(test_labels_align_across_the_policy),
		cmocka_unit_test(test_long_list_one_element_a_line),
		cmocka_unit_test(test_short_list_written_on_lines_is_joined),
		cmocka_unit_test(test_comments_stay),
		cmocka_unit_test(test_comments_in_lists),
		cmocka_unit_test(test_comments_never_reorder),
		cmocka_unit_test(test_list_printed_first_leaves_earlier_comments),
		cmocka_unit_test(test_continuation_and_crlf),
		cmocka_unit_test(test_policies_set_off),
		cmocka_unit_test(test_empty_and_comment_only_files),
		cmocka_unit_test(test_host_bits_and_semantic_errors_are_kept),
		cmocka_unit_test(test_syntax_errors_are_not_formatted),
		cmocka_unit_test(test_format_after_front),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_samples_and_cases),
		cmocka_unit_test(test_random_policies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
