// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_samples: every tutorial in samples/ compiles without a diagnostic
 * and does what its comments say, checked packet by packet in the kernel
 * (BPF_PROG_TEST_RUN): the verdict and the rule (or reason) that decides.
 * A sample added without a table here fails test_every_sample_is_tested.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpf_harness.h"

#ifndef SAMPLES_DIR
#error "SAMPLES_DIR must name the samples directory"
#endif

enum pkt_kind { TCP, UDP, ICMP, ARP, TRUNC };

/* One packet and what the sample promises for it. */
struct expectation {
	const char *what;
	enum pkt_kind kind;
	const char *src, *dst;
	unsigned a, b; /* ports, or ICMP type and code */
	int verdict;
	unsigned rule; /* 0: decided by the default (or by `reason`) */
};

struct sample {
	const char *file;
	const char *policy;
	const struct expectation *exp;
	size_t n;
};

/* ---- quickstart.pol: a web server on XDP, default drop ------------------- */
static const struct expectation quickstart[] = {
	{ "ping, IPv4", ICMP, "203.0.113.5", "192.0.2.10", 8, 0, PASS, 1 },
	{ "ping, IPv6", ICMP, "2001:db8:9::5", "2001:db8::10", 128, 0, PASS, 1 },
	{ "a ping reply is not a ping", ICMP, "203.0.113.5", "192.0.2.10", 0, 0, DROP, 0 },
	{ "neighbour solicitation", ICMP, "fe80::1", "ff02::1:ff00:10", 135, 0, PASS, 2 },
	{ "neighbour advertisement", ICMP, "fe80::1", "fe80::10", 136, 0, PASS, 2 },
	{ "router advertisement is not allowed", ICMP, "fe80::1", "ff02::1", 134, 0, DROP, 0 },
	{ "http", TCP, "203.0.113.5", "192.0.2.10", 40000, 80, PASS, 3 },
	{ "https over IPv6", TCP, "2001:db8:9::5", "2001:db8::10", 40000, 443, PASS, 3 },
	{ "another port", TCP, "203.0.113.5", "192.0.2.10", 40000, 8080, DROP, 0 },
	{ "ssh from the office", TCP, "198.51.100.7", "192.0.2.10", 40000, 22, PASS, 4 },
	{ "ssh from the office, IPv6", TCP, "2001:db8:100:5::1", "2001:db8::10", 40000, 22, PASS, 4 },
	{ "ssh from elsewhere", TCP, "203.0.113.5", "192.0.2.10", 40000, 22, DROP, 0 },
	{ "a DNS answer", UDP, "192.0.2.53", "192.0.2.10", 53, 40000, PASS, 5 },
	{ "a DNS answer to a low port", UDP, "192.0.2.53", "192.0.2.10", 53, 1000, DROP, 0 },
	{ "other UDP", UDP, "203.0.113.5", "192.0.2.10", 5353, 40000, DROP, 0 },
	{ "a reply from a web server", TCP, "93.184.216.34", "192.0.2.10", 443, 40000, PASS, 6 },
	{ "ARP passes (non-IP)", ARP, "192.0.2.1", "192.0.2.10", 0, 0, PASS, 0 },
	{ "a truncated TCP header is dropped", TRUNC, "203.0.113.5", "192.0.2.10", 40000, 80, DROP, 0 },
};

/* ---- ssh-icmp.pol: a bastion on tc ingress, default drop ----------------- */
static const struct expectation bastion[] = {
	{ "fragmentation needed", ICMP, "203.0.113.1", "192.0.2.2", 3, 4, PASS, 1 },
	{ "packet too big", ICMP, "2001:db8:1::1", "2001:db8::2", 2, 0, PASS, 2 },
	{ "host unreachable", ICMP, "203.0.113.1", "192.0.2.2", 3, 1, PASS, 3 },
	{ "time exceeded, IPv6", ICMP, "2001:db8:1::1", "2001:db8::2", 3, 0, PASS, 3 },
	{ "neighbour solicitation", ICMP, "fe80::1", "ff02::1:ff00:2", 135, 0, PASS, 4 },
	{ "router advertisement", ICMP, "fe80::1", "ff02::1", 134, 0, PASS, 4 },
	{ "ping from a monitor", ICMP, "198.51.100.7", "192.0.2.2", 8, 0, PASS, 5 },
	{ "ping from a monitor, IPv6", ICMP, "2001:db8:f::7", "2001:db8::2", 128, 0, PASS, 5 },
	{ "ping from anyone else", ICMP, "198.51.100.8", "192.0.2.2", 8, 0, DROP, 6 },
	{ "ping from anyone else, IPv6", ICMP, "2001:db8:9::1", "2001:db8::2", 128, 0, DROP, 6 },
	{ "ssh from an admin network", TCP, "192.0.2.5", "192.0.2.2", 50000, 22, PASS, 7 },
	{ "ssh just outside the /28", TCP, "192.0.2.16", "192.0.2.2", 50000, 22, DROP, 0 },
	{ "the knocking range", TCP, "203.0.113.70", "192.0.2.2", 50000, 2225, PASS, 7 },
	{ "just past the knocking range", TCP, "203.0.113.70", "192.0.2.2", 50000, 2231, DROP, 0 },
	{ "ssh from an admin network, IPv6", TCP, "2001:db8:a:1::9", "2001:db8::2", 50000, 22, PASS, 7 },
	{ "a DNS answer", UDP, "192.0.2.53", "192.0.2.2", 53, 33000, PASS, 8 },
	{ "http is not served", TCP, "192.0.2.5", "192.0.2.2", 50000, 80, DROP, 0 },
};

/* ---- egress.pol: what a workload may send, tc egress, default drop ------- */
static const struct expectation egress[] = {
	{ "DNS to our resolver", UDP, "10.1.2.3", "192.0.2.53", 40000, 53, PASS, 1 },
	{ "DNS over TCP, IPv6", TCP, "2001:db8:5::3", "2001:db8::53", 40000, 53, PASS, 1 },
	{ "DNS to another resolver", UDP, "10.1.2.3", "8.8.8.8", 40000, 53, DROP, 0 },
	{ "the metadata service over http", TCP, "10.1.2.3", "169.254.169.254", 40000, 80, DROP, 2 },
	{ "the metadata service, IPv6, udp", UDP, "2001:db8:5::3", "fd00:ec2::254", 40000, 53, DROP, 2 },
	{ "the service mesh", TCP, "10.1.2.3", "10.9.8.7", 40000, 8443, PASS, 3 },
	{ "https to an internal address", TCP, "10.1.2.3", "10.9.8.7", 40000, 443, DROP, 4 },
	{ "https to the internet", TCP, "10.1.2.3", "93.184.216.34", 40000, 443, PASS, 5 },
	{ "http to the internet, IPv6", TCP, "2001:db8:5::3", "2001:db8:77::1", 40000, 80, PASS, 5 },
	{ "ntp", UDP, "10.1.2.3", "203.0.113.123", 123, 123, PASS, 6 },
	{ "answers of our web server", TCP, "10.1.2.3", "203.0.113.9", 8080, 50000, PASS, 7 },
	{ "smtp", TCP, "10.1.2.3", "93.184.216.34", 40000, 25, DROP, 0 },
	{ "time exceeded", ICMP, "10.1.2.3", "203.0.113.9", 11, 0, PASS, 8 },
	{ "ping out", ICMP, "10.1.2.3", "203.0.113.9", 8, 0, DROP, 0 },
	{ "neighbour advertisement", ICMP, "fe80::3", "fe80::1", 136, 0, PASS, 9 },
};

/* ---- stateful.pol: a tracked server on XDP, default drop ----------------- */
static const struct expectation stateful[] = {
	{ "https, a new connection", TCP, "203.0.113.5", "192.0.2.10", 40000, 443, PASS, 3 },
	{ "ssh from the admins", TCP, "198.51.100.7", "192.0.2.10", 50000, 22, PASS, 4 },
	{ "ssh from elsewhere", TCP, "203.0.113.5", "192.0.2.10", 50000, 22, DROP, 0 },
	{ "ping", ICMP, "203.0.113.5", "192.0.2.10", 8, 0, PASS, 5 },
	{ "neighbour solicitation", ICMP, "fe80::1", "fe80::10", 135, 0, PASS, 6 },
	{ "dns, no rule", UDP, "203.0.113.5", "192.0.2.10", 40000, 53, DROP, 0 },
};

static const struct sample samples[] = {
	{ "quickstart.pol", "web", quickstart, sizeof(quickstart) / sizeof(quickstart[0]) },
	{ "ssh-icmp.pol", "bastion", bastion, sizeof(bastion) / sizeof(bastion[0]) },
	{ "egress.pol", "workload-out", egress, sizeof(egress) / sizeof(egress[0]) },
	{ "stateful.pol", "server", stateful, sizeof(stateful) / sizeof(stateful[0]) },
};

static char *read_sample(const char *file)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", SAMPLES_DIR, file);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

static void build(struct pkt *k, const struct expectation *e)
{
	bool v6 = strchr(e->src, ':') != NULL;

	switch (e->kind) {
	case TCP:
	case TRUNC:
		if (v6)
			pkt_tcp6(k, e->src, e->dst, (uint16_t)e->a, (uint16_t)e->b, PKT_TCP_SYN, 0);
		else
			pkt_tcp4(k, e->src, e->dst, (uint16_t)e->a, (uint16_t)e->b, PKT_TCP_SYN, 0);
		if (e->kind == TRUNC)
			k->len -= 8; /* the TCP header ends past the frame */
		break;
	case UDP:
		if (v6)
			pkt_udp6(k, e->src, e->dst, (uint16_t)e->a, (uint16_t)e->b, 16);
		else
			pkt_udp4(k, e->src, e->dst, (uint16_t)e->a, (uint16_t)e->b, 16);
		break;
	case ICMP:
		if (v6)
			pkt_icmp6(k, e->src, e->dst, (uint8_t)e->a, (uint8_t)e->b, 16);
		else
			pkt_icmp4(k, e->src, e->dst, (uint8_t)e->a, (uint8_t)e->b, 16);
		break;
	case ARP:
		pkt_init(k);
		pkt_eth(k);
		pkt_arp(k, e->src, e->dst);
		pkt_finish(k);
		break;
	}
}

static void check_sample(const struct sample *s)
{
	char *text = read_sample(s->file);
	struct harness_obj *o = harness_compile(text);
	free(text);
	assert_non_null(o);
	struct harness_prog *p = harness_prog_ok(o, s->policy);

	for (size_t i = 0; i < s->n; i++) {
		const struct expectation *e = &s->exp[i];
		struct pkt k;

		print_message("%s: %s\n", s->file, e->what);
		build(&k, e);
		if (e->rule)
			expect_rule(p, &k, e->verdict, e->rule);
		else if (e->kind == ARP)
			expect_reason(p, &k, e->verdict, POLC_REASON_NON_IP);
		else if (e->kind == TRUNC)
			expect_reason(p, &k, e->verdict, POLC_REASON_TRUNCATED);
		else
			expect_default(p, &k, e->verdict);
	}
	/* every rule of the sample is exercised by some packet above */
	for (unsigned id = 1; id <= p->n_rules; id++) {
		bool covered = false;
		for (size_t i = 0; i < s->n; i++)
			covered |= s->exp[i].rule == id;
		if (!covered)
			fail_msg("%s: rule %u has no packet in this test", s->file, id);
	}
	harness_free(o);
}

static void test_quickstart(void **state)
{
	(void)state;
	check_sample(&samples[0]);
}

static void test_ssh_icmp(void **state)
{
	(void)state;
	check_sample(&samples[1]);
}

static void test_egress(void **state)
{
	(void)state;
	check_sample(&samples[2]);
}

/*
 * Samples whose behaviour is sequences of packets (connection tracking,
 * NAT): their own test blocks check them, every rule covered, in the
 * interpreter and the kernel (tests/samples/polc_test.sh).
 */
static const char *const tested_by_their_tests[] = { "load-balancer.pol", "snat-gateway.pol" };

static void test_every_sample_is_tested(void **state)
{
	DIR *d = opendir(SAMPLES_DIR);
	struct dirent *e;
	(void)state;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".pol") != 0)
			continue;
		bool found = false;
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
			found |= strcmp(samples[i].file, e->d_name) == 0;
		for (size_t i = 0; i < sizeof(tested_by_their_tests) / sizeof(tested_by_their_tests[0]); i++)
			found |= strcmp(tested_by_their_tests[i], e->d_name) == 0;
		if (!found)
			fail_msg("samples/%s has no expectations in tests/samples", e->d_name);
	}
	closedir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quickstart),
		cmocka_unit_test(test_ssh_icmp),
		cmocka_unit_test(test_egress),
		cmocka_unit_test(test_every_sample_is_tested),
	};

	harness_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
