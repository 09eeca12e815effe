// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_differential.c: the reference interpreter (compiler/interp.c) and the
 * compiled program agree, on random policies and random frames.
 *
 * Each round draws a policy of 1 to 80 rules from small pools of values (so
 * that rules overlap and packets hit them): protocols alone and in lists,
 * IPv4 and IPv6 prefixes nested in each other, ports, port ranges, ICMP
 * types and codes, named sets; shadowed and redundant rules are allowed
 * (their warnings are turned off).  It is compiled with the planner's
 * choice and, every other round, with the other plan, and run over frames
 * built from the pools (now and then with VLAN tags, IP options, IPv6
 * extension headers, fragments) and over the same frames damaged: cut
 * short, a header byte changed.  For every frame the program's verdict and
 * the counter that moved must be the interpreter's decision, parse reasons
 * (truncated, malformed, non-IP) included.  The interpreter parses frames
 * with its own code, not polc_parse.h: the two parsers are checked here too.
 *
 * (On tc, frames are cut no shorter than their IP header: BPF_PROG_TEST_RUN
 * refuses shorter skbs.)  Bounded: DIFF_ROUNDS rounds (env, default 60) of DIFF_FRAMES frames
 * (default 400), and at most DIFF_SECONDS (default 90) of wall time.  A
 * mismatch prints the seed, the policy, the frame and both decisions.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "arena.h"
#include "bpf_harness.h"
#include "ctmodel.h"
#include "interp.h"
#include "pktgen.h"
#include "polrt.h"
#include "ir.h"
#include "polc.h"

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: the same sequence for a seed on every machine */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return n ? (uint32_t)((rng * 2685821657736338717ull) >> 33) % n : 0;
}

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

static const char *const v4[] = { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3",
				  "192.0.2.0/24", "192.0.2.128/25", "198.51.100.7", "0.0.0.0/1" };
static const char *const v4_host[] = { "10.1.2.3", "10.1.2.4", "10.1.9.9", "10.200.0.1",
				       "192.0.2.1", "192.0.2.200", "198.51.100.7", "203.0.113.9",
				       "100.64.0.1" };
static const char *const v6[] = { "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:2::/64",
				  "2001:db8:1:2::3", "fd00::/8", "::1" };
static const char *const v6_host[] = { "2001:db8:1:2::3", "2001:db8:1:2::4", "2001:db8:1:9::1",
				       "2001:db8:ff::1", "fd00::5", "::1", "2001:db9::1" };
static const uint16_t ports[] = { 22, 53, 80, 443, 1000, 1023, 1024, 8080, 65535 };
static const char *const port_exprs[] = { "22", "53", "80", "443", "{ 80, 443 }", "1000-2000",
					  "1024-65535", "{ 22, 8000-8100 }", "0-1023", "@svc" };
static const char *const addr4_exprs[] = { "@nets4", "{ 10.1.2.0/24, 192.0.2.0/25 }" };
static const char *const addr6_exprs[] = { "@nets6", "{ 2001:db8:1::/48, fd00::/8 }" };

struct gen {
	char *text;
	size_t len, cap;
};

static void put(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(g->text + g->len, g->cap - g->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < g->cap - g->len) {
			g->len += (size_t)n;
			return;
		}
		g->cap = g->cap * 2 + (size_t)n + 64;
		g->text = realloc(g->text, g->cap);
		assert_non_null(g->text);
	}
}

/* An address expression of the family (4 or 6), or "" for none. */
static const char *addr(int fam)
{
	if (rnd(5) == 0)
		return fam == 4 ? PICK(addr4_exprs) : PICK(addr6_exprs);
	return fam == 4 ? PICK(v4) : PICK(v6);
}

static void gen_rule(struct gen *g)
{
	int fam = rnd(3) == 0 ? 6 : 4;
	bool any_family = rnd(4) == 0;
	unsigned shape = rnd(7);

	put(g, "    %s", rnd(2) ? "pass" : "drop");
	switch (shape) {
	case 0: /* tcp/udp with ports */
	case 1: {
		static const char *const p[] = { "tcp", "udp", "{ tcp, udp }" };
		put(g, " %s", PICK(p));
		bool from_addr = rnd(2), from_port = rnd(3) == 0;
		if (from_addr || from_port)
			put(g, " from");
		if (from_addr)
			put(g, " %s", any_family ? "any" : addr(fam));
		if (from_port)
			put(g, " port %s", PICK(port_exprs));
		put(g, " to");
		if (rnd(2) && !any_family)
			put(g, " %s", addr(fam));
		put(g, " port %s", PICK(port_exprs));
		break;
	}
	case 2: { /* icmp */
		static const char *const t[] = { "echo-request", "echo-reply",
						 "{ destination-unreachable, time-exceeded }" };
		put(g, " %s type %s", fam == 4 ? "icmp" : "icmpv6", PICK(t));
		if (rnd(3) == 0)
			put(g, " code %u", rnd(3));
		if (rnd(2))
			put(g, " from %s", addr(fam));
		break;
	}
	case 3: /* addresses only */
		put(g, " from %s", addr(fam));
		if (rnd(2))
			put(g, " to %s", addr(fam));
		break;
	case 4: { /* a protocol alone */
		static const char *const p[] = { "tcp", "udp", "icmp", "icmpv6", "47", "{ tcp, 47 }" };
		put(g, " %s", PICK(p));
		break;
	}
	case 5: /* destination only */
		put(g, " to %s", addr(fam));
		break;
	default: /* both families in one list */
		put(g, " from { %s, %s }", PICK(v4), PICK(v6));
		break;
	}
	put(g, "\n");
}

static char *gen_policy(unsigned n_rules, const char *hook)
{
	struct gen g = { 0 };

	put(&g, "set nets4 : ipv4 prefix { 10.1.0.0/16, 192.0.2.128/25, 203.0.113.9 }\n");
	put(&g, "set nets6 : ipv6 prefix { 2001:db8:1:2::/64, ::1 }\n");
	put(&g, "set svc : port { 22, 443, 8000-8100 }\n");
	put(&g, "policy diff {\n    attach %s\n    default %s\n", hook, rnd(2) ? "pass" : "drop");
	for (unsigned i = 0; i < n_rules; i++)
		gen_rule(&g);
	put(&g, "}\n");
	return g.text;
}

/* A frame from the pools, maybe with extras, maybe damaged. */
static void gen_frame(struct pkt *k, bool tc)
{
	bool six = rnd(3) == 0;
	const char *src = six ? PICK(v6_host) : PICK(v4_host);
	const char *dst = six ? PICK(v6_host) : PICK(v4_host);
	struct pkt_ip ip = { .src = src, .dst = dst };
	unsigned l4 = rnd(6);

	pkt_init(k);
	pkt_eth(k);
	if (rnd(8) == 0)
		pkt_vlan(k, PKT_ETH_P_8021Q, (uint16_t)rnd(4096));
	if (rnd(40) == 0) {
		pkt_arp(k, "192.0.2.1", "192.0.2.2");
		pkt_finish(k);
		pkt_pad(k, PKT_ETH_ZLEN);
		return;
	}
	if (!six && rnd(8) == 0)
		ip.options_len = (uint8_t)(4 * (1 + rnd(4)));
	bool later_frag = rnd(16) == 0;
	if (later_frag && !six)
		ip.frag_offset = (uint16_t)(1 + rnd(100));
	if (l4 == 5)
		ip.proto = rnd(2) ? 47 : 50;
	if (six)
		pkt_ipv6(k, &ip);
	else
		pkt_ipv4(k, &ip);
	if (six && rnd(8) == 0)
		pkt_ipv6_ext(k, PKT_IPPROTO_DSTOPTS, 8);
	if (six && later_frag)
		pkt_ipv6_frag(k, (uint16_t)(1 + rnd(100)), false, 7);
	if (later_frag) {
		pkt_payload(k, 16);
	} else {
		switch (l4) {
		case 0:
		case 1:
			pkt_tcp(k, &(struct pkt_tcp){ .sport = PICK(ports), .dport = PICK(ports),
						      .flags = PKT_TCP_SYN });
			break;
		case 2:
			pkt_udp(k, PICK(ports), PICK(ports));
			break;
		case 3:
		case 4: {
			static const uint8_t t4[] = { 0, 3, 8, 11, 13 }, t6[] = { 1, 3, 128, 129, 135 };
			uint8_t type = six ? PICK(t6) : PICK(t4);
			if (six)
				pkt_icmpv6(k, type, (uint8_t)rnd(3), 1, 1);
			else
				pkt_icmp(k, type, (uint8_t)rnd(3), 1, 1);
			break;
		}
		default:
			pkt_payload(k, 8);
			break;
		}
	}
	pkt_finish(k);
	pkt_pad(k, PKT_ETH_ZLEN);

	/* damage: one in eight cut short, one in eight with a header byte
	 * changed (the L3 header's first 20 bytes, or the L4 header's) */
	if (rnd(8) == 0) {
		/* BPF_PROG_TEST_RUN refuses an skb shorter than its IP header */
		size_t min = tc ? 14 + (six ? 40 : 20) : 14;
		if (k->len > min)
			k->len = min + rnd((uint32_t)(k->len - min));
	} else if (rnd(8) == 0) {
		const struct pkt_layer *l = rnd(2) ? pkt_ip(k) : pkt_l4(k);
		if (l && l->len) {
			size_t at = l->off + rnd((uint32_t)(l->len < 20 ? l->len : 20));
			if (at < k->len)
				k->data[at] = (uint8_t)rnd(256);
		}
	}
}

static void hexdump(const struct pkt *k)
{
	for (size_t i = 0; i < k->len; i++)
		fprintf(stderr, "%02x%s", k->data[i], i % 32 == 31 ? "\n" : " ");
	fputc('\n', stderr);
}

static unsigned long env_or(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

static void test_interpreter_and_kernel_agree(void **state)
{
	(void)state;
	const unsigned long rounds = env_or("DIFF_ROUNDS", 60), frames = env_or("DIFF_FRAMES", 400);
	const unsigned long seconds = env_or("DIFF_SECONDS", 90);
	const uint64_t seed0 = env_or("DIFF_SEED", 20261202);
	static const char *const warnings[] = { "no-shadow", "no-redundant", "no-unreachable",
						"no-overlap", "no-host-bits", "no-unused", NULL };
	time_t start = time(NULL);
	unsigned long checked = 0, rounds_run = 0, by_reason = 0, by_rule = 0;

	for (unsigned long round = 0; round < rounds && time(NULL) - start < (time_t)seconds; round++) {
		uint64_t seed = seed0 + round;
		rng = seed * 0x9e3779b97f4a7c15ull | 1;
		bool tc = rnd(4) == 0;
		unsigned n_rules = 1 + rnd(round % 3 == 2 ? 80 : 12);
		char *src = gen_policy(n_rules, tc ? "tc ingress" : "xdp");
		enum polc_plan_choice plans[2] = { POLC_PLAN_AUTO, POLC_PLAN_FORCE_CLASSIFIER };
		if (n_rules > 32)
			plans[1] = POLC_PLAN_FORCE_LINEAR;

		for (int pi = 0; pi < (round % 2 ? 2 : 1); pi++) {
			struct harness_opts o = { .plan = plans[pi], .quiet = false,
						  .warnings = warnings, .name = "diff.pol" };
			struct harness_obj *obj = harness_compile_opts(src, &o);
			if (!obj)
				fail_msg("seed %llu: the policy did not compile or load:\n%s",
					 (unsigned long long)seed, src);
			const struct ir_policy *pol = harness_ir_policy(obj, "diff");
			struct harness_prog *prog = harness_prog_ok(obj, "diff");
			uint64_t frame_rng = rng;

			for (unsigned long f = 0; f < frames; f++) {
				struct pkt k;
				struct polc_decision d;
				struct harness_decision want, got;
				char a[64], b[64];

				gen_frame(&k, tc);
				polc_interp_run(pol, k.data, k.len, &d, NULL);
				want = (struct harness_decision){ .verdict = (int)d.verdict,
								  .by_reason = d.rule == 0,
								  .which = d.rule ? d.rule : d.reason };
				int r = harness_check(prog, &k, &want, &got);
				if (r != 0) {
					fprintf(stderr, "seed %llu, plan %s, frame %lu: the interpreter says %s, "
						"the kernel %s\n--- policy ---\n%s--- frame (%zu bytes) ---\n",
						(unsigned long long)seed, harness_plan_name(plans[pi]), f,
						harness_decision_str(&want, a, sizeof(a)),
						r > 0 ? harness_decision_str(&got, b, sizeof(b)) : "an error",
						src, k.len);
					hexdump(&k);
					fail_msg("the interpreter and the kernel disagree");
				}
				checked++;
				by_reason += d.rule == 0 && d.reason != POLC_REASON_DEFAULT;
				by_rule += d.rule != 0;
			}
			rng = frame_rng;
			harness_free(obj);
		}
		rounds_run++;
		free(src);
	}
	printf("test_differential: %lu policies, %lu frames: %lu decided by a rule, %lu by a parse "
	       "reason (truncated, malformed, non-IP), the rest by the default; %ld s\n",
	       rounds_run, checked, by_rule, by_reason, (long)(time(NULL) - start));
	assert_true(checked >= 1000);
	assert_true(by_rule > checked / 10);
	assert_true(by_reason > 0);
}

/*
 * Tracked policies: random sequences of packets both ways over a few
 * tuples (so that flows open, answer, close and reopen), the policy's
 * program for the packets it sees and its companion for the others,
 * against the interpreter's conntrack model (compiler/ctmodel.c): the
 * verdict, what decided it, and for a passed packet the tuple it leaves
 * with (NAT) and that its checksums still verify.  Four kinds of policy:
 * plain rules, rules with 'ct', a dnat load balancer and an snat gateway.
 */
struct seq_kind {
	const char *name;
	const char *const *near; /* addresses on the policy's side: its packets go to them (ingress) */
	size_t n_near;           /* ... or come from them (egress) */
	const char *const *far;
	size_t n_far;
	const uint16_t *near_ports;
	size_t n_near_ports;
	const uint16_t *far_ports;
	size_t n_far_ports;
	bool egress;             /* the policy is on egress: it sees near -> far */
};

#define ARR(a) a, sizeof(a) / sizeof(a[0])

static const char *const host_in[] = { "192.0.2.10", "192.0.2.11" };
static const char *const host_out[] = { "203.0.113.5", "198.51.100.7" };
static const uint16_t host_in_ports[] = { 80, 53, 22 }, host_out_ports[] = { 40000, 40001 };
static const char *const lb_in[] = { "192.0.2.10", "192.0.2.21", "192.0.2.22" };
static const uint16_t lb_in_ports[] = { 80, 53, 8080 };
static const char *const gw_in[] = { "10.0.0.2", "10.0.0.3", "192.0.2.1" };
static const char *const gw_out[] = { "198.51.100.9", "198.51.100.10" };
static const uint16_t gw_in_ports[] = { 40000, 40001, 5000 }, gw_out_ports[] = { 80, 53 };

static const struct seq_kind seq_kinds[] = {
	{ "rules", ARR(host_in), ARR(host_out), ARR(host_in_ports), ARR(host_out_ports), false },
	{ "ct rules", ARR(host_in), ARR(host_out), ARR(host_in_ports), ARR(host_out_ports), false },
	{ "dnat", ARR(lb_in), ARR(host_out), ARR(lb_in_ports), ARR(host_out_ports), false },
	{ "snat", ARR(gw_in), ARR(gw_out), ARR(gw_in_ports), ARR(gw_out_ports), true },
};

static void seq_frame(const struct seq_kind *sk, struct pkt *k, bool *out)
{
	static const uint8_t flags[] = { PKT_TCP_SYN, PKT_TCP_SYN | PKT_TCP_ACK, PKT_TCP_ACK,
					 PKT_TCP_ACK | PKT_TCP_PSH, PKT_TCP_FIN | PKT_TCP_ACK,
					 PKT_TCP_RST, PKT_TCP_SYN | PKT_TCP_ACK };
	const char *near = sk->near[rnd((unsigned)sk->n_near)], *far = sk->far[rnd((unsigned)sk->n_far)];
	uint16_t np = sk->near_ports[rnd((unsigned)sk->n_near_ports)];
	uint16_t fp = sk->far_ports[rnd((unsigned)sk->n_far_ports)];
	unsigned kind = rnd(8);

	*out = rnd(3) == 0; /* through the companion */
	/* towards the near side: arriving at an ingress policy, or the
	 * companion's of an egress one */
	bool to_near = *out == sk->egress;
	const char *src = to_near ? far : near, *dst = to_near ? near : far;
	uint16_t sp = to_near ? fp : np, dp = to_near ? np : fp;
	if (rnd(4) == 0) { /* the other end's ports: the other side opened */
		uint16_t t = sp;
		sp = dp;
		dp = t;
	}
	if (kind < 5)
		pkt_tcp4(k, src, dst, sp, dp, PICK(flags), rnd(2) ? 0 : 20);
	else if (kind < 7)
		pkt_udp4(k, src, dst, sp, dp, 8);
	else
		pkt_icmp4(k, src, dst, rnd(2) ? 8 : 0, 0, 8);
}

static void seq_policy(unsigned kind, char *src, size_t len, bool *tc)
{
	/* not random: which backend it picks is the kernel's secret when a
	 * conflict then drops the flow (polc test follows its pick otherwise) */
	static const char *const balance[] = { "round-robin", "maglev" };
	const char *dflt = rnd(2) ? "drop" : "pass";

	*tc = kind >= 2 || rnd(3) == 0;
	switch (kind) {
	case 0:
	case 1:
		snprintf(src, len,
			 "policy diff {\n    attach %s\n    default %s\n    track size 1024\n"
			 "%s"
			 "    pass tcp to port 80\n    %s udp to port 53\n    pass icmp type echo-request\n"
			 "    %s tcp from 198.51.100.0/24\n"
			 "%s"
			 "}\n",
			 *tc ? "tc ingress" : "xdp", dflt,
			 kind == 1 ? "    drop tcp ct established from 198.51.100.7 to port 80\n"
				     "    drop tcp ct invalid to port 22\n" : "",
			 rnd(2) ? "pass" : "drop", rnd(2) ? "pass" : "drop",
			 kind == 1 ? "    pass udp ct { established, untracked }\n" : "");
		return;
	case 2:
		snprintf(src, len,
			 "policy diff {\n    attach tc ingress\n    default %s\n    track size 1024\n"
			 "    drop tcp from 198.51.100.7 to port 22\n"
			 "    dnat tcp to 192.0.2.10 port 80 -> { 192.0.2.21:8080, 192.0.2.22:8080 } balance %s\n"
			 "    dnat udp to 192.0.2.10 port 53 -> { 192.0.2.21, 192.0.2.22 } balance %s\n"
			 "    pass icmp type echo-request\n"
			 "    %s tcp to port 8080\n}\n",
			 dflt, PICK(balance), PICK(balance), rnd(2) ? "pass" : "drop");
		return;
	default:
		snprintf(src, len,
			 "policy diff {\n    attach tc egress\n    default %s\n    track size 1024\n"
			 "    pass from 192.0.2.1\n"
			 "    snat from 10.0.0.0/24 -> 192.0.2.1 port 40000-%u\n"
			 "}\n",
			 dflt, 40000 + rnd(3));
		return;
	}
}

static void test_tracked_sequences_agree(void **state)
{
	(void)state;
	const unsigned long rounds = env_or("DIFF_TRACK_ROUNDS", 24);
	const unsigned long frames = env_or("DIFF_TRACK_FRAMES", 600);
	unsigned long checked = 0, established = 0, leaving = 0, translated = 0;
	unsigned long per_kind[4] = { 0 };
	struct polc_ct_model *m = calloc(1, sizeof(*m));
	struct polrt_decision *kd = calloc(1, sizeof(*kd));

	assert_non_null(m);
	assert_non_null(kd);
	for (unsigned long round = 0; round < rounds; round++) {
		rng = (env_or("DIFF_SEED", 20261202) + 1000 + round) * 0x9e3779b97f4a7c15ull | 1;
		unsigned kind = (unsigned)(round % 4);
		const struct seq_kind *sk = &seq_kinds[kind];
		bool tc;
		char src[1024];
		seq_policy(kind, src, sizeof(src), &tc);
		static const char *const warnings[] = { "no-shadow", "no-redundant", NULL };
		struct harness_opts o = { .warnings = warnings, .name = "track.pol" };
		struct harness_obj *obj = harness_compile_opts(src, &o);
		if (!obj)
			fail_msg("the tracked policy did not compile or load:\n%s", src);
		const struct ir_policy *pol = harness_ir_policy(obj, "diff");
		struct harness_prog *prog = harness_prog_ok(obj, "diff");
		struct arena *arena = arena_new();
		polc_ct_model_reset(m);
		memset(m->maglev, 0, sizeof(m->maglev));
		m->arena = arena;

		for (unsigned long f = 0; f < frames; f++) {
			struct pkt k;
			bool out, est = false;
			struct polc_decision d;
			struct polc_ct_out mo, ko = { 0 };
			struct ir_packet kp;

			seq_frame(sk, &k, &out);
			int err = out ? polrt_loaded_run_companion(prog->loaded, k.data, k.len, kd)
				      : polrt_loaded_run(prog->loaded, k.data, k.len, kd);
			if (!err && kd->verdict == POLC_VERDICT_PASS && kd->out_len &&
			    polc_interp_parse(kd->out, kd->out_len, &kp) == POLC_REASON_DEFAULT)
				ko.valid = polc_tuple_of(&kp, &ko.t);
			bool csum_ok = !kd->out_len || pkt_frame_csum_ok(kd->out, kd->out_len);
			if (out) {
				polc_ct_model_out(m, k.data, k.len, &mo);
				memset(&d, 0, sizeof(d));
				d.verdict = POLC_VERDICT_PASS;
				leaving++;
			} else {
				polc_ct_model_in(m, pol, k.data, k.len, &d, &est, &ko, &mo);
			}
			uint32_t rule = est ? 0 : d.rule;
			bool same_out = !(mo.valid && ko.valid) || polc_tuple_eq(&mo.t, &ko.t);
			if (err || kd->verdict != d.verdict || (!out && (kd->rule != rule ||
								  kd->established != est)) ||
			    (d.verdict == POLC_VERDICT_PASS && !same_out) || !csum_ok) {
				fprintf(stderr, "round %lu (%s), packet %lu%s: the interpreter says %s rule "
					"%u%s, the kernel %s rule %u%s (error %d)%s%s\n--- policy ---\n%s",
					round, sk->name, f, out ? " (companion)" : "",
					d.verdict == POLC_VERDICT_PASS ? "pass" : "drop", rule,
					est ? " established" : "",
					kd->verdict == POLC_VERDICT_PASS ? "pass" : "drop", kd->rule,
					kd->established ? " established" : "", err,
					same_out ? "" : "; they translate it differently",
					csum_ok ? "" : "; the kernel's output has a bad checksum", src);
				hexdump(&k);
				fail_msg("the interpreter's conntrack and the kernel's disagree");
			}
			if (d.verdict == POLC_VERDICT_PASS && mo.valid) {
				struct ir_packet ip;
				struct polc_tuple it;
				if (polc_interp_parse(k.data, k.len, &ip) == POLC_REASON_DEFAULT &&
				    polc_tuple_of(&ip, &it) && !polc_tuple_eq(&it, &mo.t))
					translated++;
			}
			checked += !out;
			per_kind[kind] += !out;
			established += est;
		}
		arena_free(&arena);
		harness_free(obj);
	}
	free(m);
	free(kd);
	printf("test_differential: tracked: %lu policies, %lu arriving packets (%lu of known flows; "
	       "rules %lu, ct rules %lu, dnat %lu, snat %lu), %lu through the companion, %lu "
	       "translated\n",
	       rounds, checked, established, per_kind[0], per_kind[1], per_kind[2], per_kind[3],
	       leaving, translated);
	assert_true(established > checked / 20);
	assert_true(translated > checked / 20);
}

int main(void)
{
	harness_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interpreter_and_kernel_agree),
		cmocka_unit_test(test_tracked_sequences_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
