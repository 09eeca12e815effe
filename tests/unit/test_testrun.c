// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_testrun.c: test blocks from the grammar to the report: packet
 * descriptions (compiler/packet.c), the AST of a test (grammar/parser.y),
 * its checks (compiler/checktest.c), running it in the interpreter and
 * against a stand-in kernel (compiler/testrun.c), the reports
 * (compiler/testreport.c) and polc explain (compiler/explain.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "interp.h"
#include "packet.h"
#include "testrun.h"

static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* ---- packet descriptions ------------------------------------------------- */

static void test_packet_tcp4(void **state)
{
	struct polc_packet p;
	struct polc_packet_error e;
	const char *t = "tcp 203.0.113.5:40000 -> 192.0.2.10:443 syn ack";

	assert_int_equal(polc_packet_parse(t, strlen(t), &p, &e), 0);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.family, 4);
	assert_string_equal(p.src, "203.0.113.5");
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, 0x12);

	uint8_t f[2048];
	size_t len;
	struct ir_packet k;
	assert_int_equal(polc_packet_frame(&p, f, sizeof(f), &len), 0);
	assert_int_equal(len, 60); /* padded to the Ethernet minimum */
	assert_int_equal(polc_interp_parse(f, len, &k), POLC_REASON_DEFAULT);
	assert_int_equal(k.family, IR_V4);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.src[0], 0xcb007105u);
	assert_int_equal(k.dport, 443);
}

static void test_packet_defaults_and_extras(void **state)
{
	struct polc_packet p;
	struct polc_packet_error e;
	uint8_t f[2048];
	size_t len;
	struct ir_packet k;
	const char *syn = "tcp [2001:db8::1]:1 -> [2001:db8::2]:22";
	const char *ping = "vlan 100 vlan 200 icmpv6 2001:db8::1 -> 2001:db8::2";
	const char *frag = "udp 10.0.0.1:53 -> 10.0.0.2:53 fragment 8";
	const char *cut = "tcp 10.0.0.1:1 -> 10.0.0.2:80 truncate 40";

	/* a TCP packet without flags is a SYN; ICMP without a type an echo request */
	assert_int_equal(polc_packet_parse(syn, strlen(syn), &p, &e), 0);
	assert_int_equal(p.tcp_flags, 0x02);
	assert_int_equal(p.family, 6);
	assert_int_equal(polc_packet_parse(ping, strlen(ping), &p, &e), 0);
	assert_int_equal(p.n_vlans, 2);
	assert_int_equal(p.icmp_type, 128);
	assert_int_equal(polc_packet_frame(&p, f, sizeof(f), &len), 0);
	assert_int_equal(polc_interp_parse(f, len, &k), POLC_REASON_DEFAULT);
	assert_int_equal(k.icmp_type, 128);
	/* a later fragment: no L4 header for the rules */
	assert_int_equal(polc_packet_parse(frag, strlen(frag), &p, &e), 0);
	assert_int_equal(polc_packet_frame(&p, f, sizeof(f), &len), 0);
	assert_int_equal(polc_interp_parse(f, len, &k), POLC_REASON_DEFAULT);
	assert_false(k.has_l4);
	/* cut short: truncated */
	assert_int_equal(polc_packet_parse(cut, strlen(cut), &p, &e), 0);
	assert_int_equal(polc_packet_frame(&p, f, sizeof(f), &len), 0);
	assert_int_equal(len, 40);
	assert_int_equal(polc_interp_parse(f, len, &k), POLC_REASON_TRUNCATED);
}

static void bad_packet(const char *t, const char *msg, size_t at)
{
	struct polc_packet p;
	struct polc_packet_error e;

	assert_int_equal(polc_packet_parse(t, strlen(t), &p, &e), -1);
	if (!strstr(e.msg, msg))
		fail_msg("'%s': '%s' does not say '%s'", t, e.msg, msg);
	assert_int_equal(e.at, at);
}

static void test_packet_errors_point_into_the_text(void **state)
{
	bad_packet("", "an empty packet", 0);
	bad_packet("tcpp 1.2.3.4:1 -> 1.2.3.5:2", "unknown protocol 'tcpp'", 0);
	bad_packet("tcp 1.2.3.4 -> 1.2.3.5:2", "needs a port", 4);
	bad_packet("udp 1.2.3.4:1 1.2.3.5:2", "expected '->'", 14);
	bad_packet("tcp 1.2.3.4:1 -> 2001:db8::1:2", "needs a port", 17);
	bad_packet("tcp 1.2.3.4:1 -> [2001:db8::1]:2", "IPv4 and the destination IPv6", 17);
	bad_packet("udp 1.2.3.4:1 -> 1.2.3.5:2 syn", "TCP flags on a udp packet", 27);
	bad_packet("icmp 2001:db8::1 -> 2001:db8::2", "icmpv6 for IPv6", 0);
	bad_packet("icmp 1.2.3.4 -> 1.2.3.5 type packet-too-big", "not an ICMP (IPv4) type", 29);
	bad_packet("tcp 1.2.3.4:1 -> 1.2.3.5:70000", "is not a port", 17);
	bad_packet("vlan 5000 tcp 1.2.3.4:1 -> 1.2.3.5:2", "from 0 to 4095", 5);
	bad_packet("tcp 1.2.3.4:1 -> 1.2.3.5:2 truncate 3", "from 14 bytes", 36);
	bad_packet("tcp 300.2.3.4:1 -> 1.2.3.5:2", "not an IPv4 address", 4);
}

/* ---- grammar and checks ------------------------------------------------- */

#define POLICY                                                                  \
	"policy web {\n"                                                        \
	"    attach xdp\n"                                                      \
	"    default drop\n"                                                    \
	"    pass tcp to port 80 label http\n"                                  \
	"    drop udp\n"                                                        \
	"}\n"

static void test_ast_of_a_test(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(
		POLICY "test \"web\" in web {\n"
		       "    expect pass \"tcp 192.0.2.1:1 -> 192.0.2.2:80\" by rule http\n"
		       "    expect drop \"udp 192.0.2.1:1 -> 192.0.2.2:53\" by line 5; expect drop \"arp 1.2.3.4 -> 1.2.3.5\"\n"
		       "    expect drop \"tcp 192.0.2.1:1 -> 192.0.2.2:22\" by default\n"
		       "    expect drop \"tcp 192.0.2.1:1 -> 192.0.2.2:22 truncate 30\" by truncated\n"
		       "}\n",
		&rc);

	t_expect_clean(u);
	assert_int_equal(rc, 0);
	assert_int_equal(u->ast.tests.n, 1);
	const struct ast_test *t = u->ast.tests.v[0];
	assert_string_equal(t->name, "web");
	assert_string_equal(t->policy, "web");
	assert_int_equal(t->expects.n, 5);
	assert_int_equal(t->expects.v[0]->by, AST_BY_RULE);
	assert_int_equal(t->expects.v[0]->rule, 1);
	assert_int_equal(t->expects.v[1]->by, AST_BY_LINE);
	assert_int_equal(t->expects.v[1]->rule, 2);
	assert_int_equal(t->expects.v[2]->by, AST_BY_NONE);
	assert_int_equal(t->expects.v[2]->verdict, AST_DROP);
	assert_int_equal(t->expects.v[3]->by, AST_BY_DEFAULT);
	assert_int_equal(t->expects.v[4]->by, AST_BY_REASON);
	assert_int_equal(t->expects.v[4]->reason, POLC_REASON_TRUNCATED);
	/* a packet's location is its string's */
	assert_int_equal(t->expects.v[0]->packet_loc.line, 8);
	assert_int_equal(t->expects.v[0]->packet_loc.col, 17);
}

static void test_tests_do_not_change_the_program(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *a = t_front(POLICY, &rc);
	_cleanup_unit_ struct polc_unit *b =
		t_front(POLICY "test \"x\" { expect pass \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" }\n", &rc);
	const char *ca, *cb;
	size_t la, lb;

	assert_int_equal(polc_generate(a, &ca, &la), 0);
	assert_int_equal(polc_generate(b, &cb, &lb), 0);
	/* the same C but for the source hash in the metadata */
	assert_true(la == lb);
}

static void test_check_errors(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(
		POLICY "test \"t\" in web {\n"
		       "    expect pass \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" by rule htp\n"
		       "    expect drop \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" by rule http\n"
		       "    expect drop \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" by line 99\n"
		       "    expect pass \"tcp 1.2.3.4:1 -> 1.2.3.5\"\n"
		       "    expect pass \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" by malformed\n"
		       "    expect pass \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" by default\n"
		       "}\n"
		       "test \"t\" in nosuch { expect drop \"udp 1.2.3.4:1 -> 1.2.3.5:80\" }\n",
		&rc);
	const struct polc_diag *d;

	assert_int_equal(rc, POLC_EPOLICY);
	d = t_expect(u, POLC_SEV_ERROR, "no rule labelled 'htp'", 8, 55);
	assert_string_equal(d->hint, "did you mean 'http'?");
	t_expect(u, POLC_SEV_ERROR, "expects drop, but the rule it names is a 'pass' rule", 9, 5);
	t_expect(u, POLC_SEV_ERROR, "no rule of policy 'web' starts on line 99", 10, 55);
	/* the column of the bad word inside the string */
	t_expect(u, POLC_SEV_ERROR, "in the packet: '1.2.3.5' needs a port", 11, 35);
	t_expect(u, POLC_SEV_ERROR, "a malformed packet is always dropped, never passed", 12, 50);
	t_expect(u, POLC_SEV_ERROR, "expects pass by default, but policy 'web' has 'default drop'",
		 13, 50);
	t_expect(u, POLC_SEV_ERROR, "a second test named \"t\"", 15, 6);
	t_expect(u, POLC_SEV_ERROR, "is for policy 'nosuch', which this file does not have", 15, 13);
}

static void test_syntax_errors_in_tests(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(
		POLICY "test \"a\" {\n    expect maybe \"tcp 1.2.3.4:1 -> 1.2.3.5:80\"\n"
		       "    expect pass \"tcp 1.2.3.4:1 -> 1.2.3.5:80\" by line x\n}\n"
		       "test \"b\" {\n    expect pass \"udp 1.2.3.4:1 -> 1.2.3.5:2\"\n",
		&rc);

	assert_int_equal(rc, POLC_EPOLICY);
	t_expect(u, POLC_SEV_ERROR, "unexpected name 'maybe'", 8, 12);
	t_expect(u, POLC_SEV_ERROR, "expected 'by rule LABEL', 'by line N'", 9, 50);
	/* an unterminated test says which */
	assert_non_null(t_find(u, "expected '}' to close test \"b\""));
}

/* ---- running ------------------------------------------------------------ */

/* A kernel that agrees with the interpreter, but for frames of 60 bytes
 * through rule 1, which it says rule 2 decided. */
static int fake_run(void *ctx, const char *policy, bool leaving, const void *frame, size_t len,
		    struct polc_seen *out)
{
	assert_false(leaving);
	const struct polc_unit *u = ctx;
	const struct ir_unit *ir = polc_unit_ir(u);
	struct polc_decision d;

	assert_string_equal(policy, ir->policies[0].name);
	polc_interp_run(&ir->policies[0], frame, len, &d, NULL);
	*out = (struct polc_seen){ .verdict = d.verdict, .rule = d.rule,
				   .reason = d.rule ? POLC_REASON_DEFAULT : d.reason };
	if (d.rule == 1 && len == 60)
		out->rule = 2;
	if (len == 41)
		return -5; /* EIO */
	return 0;
}

static void print_text(FILE *f, const void *r)
{
	polc_test_print_text(f, r, true, true);
}

static void print_json(FILE *f, const void *r)
{
	const struct polc_test_report *rs[] = { r };
	polc_test_print_json(f, rs, 1);
}

static void print_junit(FILE *f, const void *r)
{
	const struct polc_test_report *rs[] = { r };
	polc_test_print_junit(f, rs, 1);
}

static void test_run_interpreter_and_kernel(void **state)
{
	int rc;
	struct polc_test_report r;

	/* a unit with errors runs nothing */
	_cleanup_unit_ struct polc_unit *u = t_front(POLICY "pass\n", &rc);
	assert_int_equal(polc_test_run(u, NULL, &r), POLC_EPOLICY);

	_cleanup_unit_ struct polc_unit *v = t_front(
		"policy web {\n    attach xdp\n    default drop\n    pass tcp to port 80 label http\n"
		"    drop udp\n    pass icmp\n}\n"
		"test \"good\" {\n"
		"    expect drop \"udp 192.0.2.1:1 -> 192.0.2.2:53\" by line 5\n"
		"    expect drop \"tcp 192.0.2.1:1 -> 192.0.2.2:22\" by default\n"
		"}\n"
		"test \"wrong\" {\n"
		"    expect pass \"tcp 192.0.2.1:1 -> 192.0.2.2:22\"\n"
		"}\n"
		"test \"bug\" {\n"
		"    expect pass \"tcp 192.0.2.1:1 -> 192.0.2.2:80\" by rule http\n"
		"}\n"
		"test \"error\" {\n"
		"    expect drop \"tcp 192.0.2.1:1 -> 192.0.2.2:80 truncate 41\" by truncated\n"
		"}\n",
		&rc);
	t_expect_clean(v);

	/* the interpreter alone */
	assert_int_equal(polc_test_run(v, NULL, &r), 0);
	assert_int_equal(r.n_tests, 4);
	assert_int_equal(r.passed, 3);
	assert_int_equal(r.failed, 1);
	assert_false(r.kernel);
	assert_int_equal(r.tests[1].status, POLC_TEST_FAIL);
	assert_string_equal(r.tests[1].expects[0].why,
			    "expected pass, got drop by default");
	/* rule 3 (pass icmp) decided nothing */
	assert_int_equal(r.n_rules, 3);
	assert_int_equal(r.n_uncovered, 1);
	assert_int_equal(r.uncovered[0].rule, 3);
	assert_int_equal(r.uncovered[0].line, 6);

	/* with a kernel that disagrees once and fails once */
	struct polc_kernel k = { .run = fake_run, .ctx = v };
	assert_int_equal(polc_test_run(v, &k, &r), 0);
	assert_true(r.kernel);
	assert_int_equal(r.passed, 1);
	assert_int_equal(r.failed, 1);
	assert_int_equal(r.bugs, 1);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.tests[2].status, POLC_TEST_BUG);
	assert_non_null(strstr(r.tests[2].expects[0].why,
			       "polc bug: the interpreter says pass by rule http (line 4), "
			       "the compiled program pass by the rule on line 5"));
	assert_int_equal(r.tests[3].status, POLC_TEST_ERROR);
	assert_non_null(strstr(r.tests[1].expects[0].why, "(the interpreter and the kernel agree)"));

	char *text = capture(print_text, &r);
	assert_non_null(strstr(text, "PASS  test.pol:8: good (policy web, 2 packets)\n"));
	assert_non_null(strstr(text, "FAIL  test.pol:12: wrong (policy web, 1 packet)\n"));
	assert_non_null(strstr(text, "BUG   test.pol:15: bug"));
	assert_non_null(strstr(text, "test.pol: 4 tests: 1 passed, 1 failed, 1 compiler bug, 1 error "
				     "(interpreter and kernel)\n"));
	assert_non_null(strstr(text, "test.pol:6:5: not covered: rule 3 of policy web: pass icmp\n"));
	free(text);
	char *json = capture(print_json, &r);
	assert_non_null(strstr(json, "\"status\": \"bug\""));
	assert_non_null(strstr(json, "\"kernel\": {"));
	free(json);
	char *xml = capture(print_junit, &r);
	assert_non_null(strstr(xml, "tests=\"4\" failures=\"1\" errors=\"2\""));
	assert_non_null(strstr(xml, "<failure message=\"expected pass, got drop by default"));
	assert_non_null(strstr(xml, "-&gt;"));
	free(xml);
}

/* ---- tracked policies: sequences in the interpreter's conntrack --------- */

static void test_tracked_sequences(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(
		"policy node {\n    attach xdp\n    default drop\n    track\n"
		"    pass tcp to port 80 label web\n}\n"
		"test \"handshake\" {\n"
		"    expect pass \"tcp 203.0.113.5:1000 -> 192.0.2.10:80 syn\" by rule web\n"
		"    expect pass \"out tcp 192.0.2.10:80 -> 203.0.113.5:1000 syn ack\"\n"
		"    expect pass \"tcp 203.0.113.5:1000 -> 192.0.2.10:80 ack\" by established\n"
		"    expect pass \"tcp 203.0.113.5:1000 -> 192.0.2.10:80 rst\" by established\n"
		"}\n"
		"test \"each test starts with no flows\" {\n"
		"    expect drop \"tcp 192.0.2.9:443 -> 192.0.2.10:5000 ack\" by default\n"
		"    expect pass \"out tcp 192.0.2.10:5000 -> 192.0.2.9:443 syn\"\n"
		"    expect pass \"tcp 192.0.2.9:443 -> 192.0.2.10:5000 syn ack\" by established\n"
		"}\n"
		"test \"an ACK its flow's state does not admit goes to the rules\" {\n"
		"    expect pass \"tcp 203.0.113.5:1001 -> 192.0.2.10:80 syn\" by rule web\n"
		"    expect pass \"tcp 203.0.113.5:1001 -> 192.0.2.10:80 ack\" by rule web\n"
		"    expect drop \"tcp 192.0.2.10:80 -> 203.0.113.5:1001 ack\" by default\n"
		"}\n"
		"test \"fails\" {\n"
		"    expect pass \"tcp 192.0.2.9:443 -> 192.0.2.10:5000 syn ack\" by established\n"
		"}\n",
		&rc);
	struct polc_test_report r;

	t_expect_clean(u);
	assert_int_equal(polc_test_run(u, NULL, &r), 0);
	for (size_t i = 0; i < 3; i++)
		if (r.tests[i].status != POLC_TEST_PASS)
			fail_msg("test %zu: %s", i, r.tests[i].expects[0].why);
	assert_int_equal(r.tests[3].status, POLC_TEST_FAIL);
	assert_string_equal(r.tests[3].expects[0].why,
			    "expected pass by established (a tracked flow), got drop by default");
}

/* ---- explain ------------------------------------------------------------ */

static void test_explain(void **state)
{
	int rc;
	_cleanup_unit_ struct polc_unit *u = t_front(
		"set admins : ipv4 { 192.0.2.0/28 }\n"
		"policy web {\n    attach xdp\n    default drop\n"
		"    pass tcp to port 80 label http\n"
		"    pass tcp from @admins to port 22 label ssh\n}\n",
		&rc);
	char *out = NULL, *err = NULL;
	size_t olen, elen;
	FILE *o = open_memstream(&out, &olen), *e = open_memstream(&err, &elen);

	t_expect_clean(u);
	assert_int_equal(polc_explain(u, NULL, "tcp 192.0.2.3:1 -> 192.0.2.9:22", o, e), 0);
	assert_int_equal(polc_explain(u, "nosuch", "tcp 192.0.2.3:1 -> 192.0.2.9:22", o, e),
			 POLC_EUSAGE);
	assert_int_equal(polc_explain(u, "web", "tcp 192.0.2.3 -> 192.0.2.9:22", o, e), POLC_EUSAGE);
	fclose(o);
	fclose(e);
	assert_non_null(strstr(out, "  rule 1    test.pol:5    pass tcp to port 80 label http"));
	assert_non_null(strstr(out, "no: destination port (22)\n"));
	assert_non_null(strstr(out, "@admins (source): 192.0.2.3 is a member\n"));
	assert_non_null(strstr(out, "verdict: pass by rule 2 ssh (test.pol:6:5:"));
	assert_non_null(strstr(err, "has no policy 'nosuch'"));
	assert_non_null(strstr(err, "needs a port"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_tcp4),
		cmocka_unit_test(test_packet_defaults_and_extras),
		cmocka_unit_test(test_packet_errors_point_into_the_text),
		cmocka_unit_test(test_ast_of_a_test),
		cmocka_unit_test(test_tests_do_not_change_the_program),
		cmocka_unit_test(test_check_errors),
		cmocka_unit_test(test_syntax_errors_in_tests),
		cmocka_unit_test(test_run_interpreter_and_kernel),
		cmocka_unit_test(test_tracked_sequences),
		cmocka_unit_test(test_explain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
