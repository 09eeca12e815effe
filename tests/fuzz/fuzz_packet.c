// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_packet: the packet path on any frame.
 *
 * The input is an Ethernet frame.  Three things read it:
 *  - bpf-templates/polc_parse.h, the parser every program runs, compiled as
 *    host C (packet_template.c), on an exact-size copy so that a read past
 *    the frame is an ASan report: as on XDP (the whole frame linear) and as
 *    on tc with only a head of it linear (the first byte says how much).
 *    The copy starts 2 bytes past a 4-byte boundary, as the kernel lays
 *    frames out (NET_IP_ALIGN), so that the IP header is aligned;
 *  - polc_interp_parse(), the reference parser written apart from it
 *    (compiler/interp.c): the two must agree on the reason and, for a
 *    packet that reaches the rules, on every field the rules look at;
 *  - polc_interp_run(), with a trace, for the samples' and the seeds'
 *    policies, whose decision must be the first rule ir_rule_matches()
 *    accepts for the template's fields.
 * A disagreement aborts, as a crash would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "packet_template.h"
#include "unit.h"

static const char *const policy_files[] = {
	POLC_SOURCE_DIR "/samples/quickstart.pol",
	POLC_SOURCE_DIR "/samples/ssh-icmp.pol",
	POLC_SOURCE_DIR "/samples/egress.pol",
	POLC_SOURCE_DIR "/tests/fuzz/seeds/sets.pol",
	POLC_SOURCE_DIR "/tests/fuzz/seeds/classifier.pol",
};

static struct polc_unit *units[sizeof(policy_files) / sizeof(policy_files[0])];
static struct polc_trace trace;

static void free_units(void)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		polc_unit_free(&units[i]);
}

static void init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (polc_unit_load(&units[i], policy_files[i]) || polc_front(units[i])) {
			fprintf(stderr, "fuzz_packet: %s does not compile\n", policy_files[i]);
			abort();
		}
	}
	atexit(free_units);
}

static void disagree(const char *what, int tmpl, int ref, const struct tmpl_pkt *t,
		     const struct ir_packet *k)
{
	fprintf(stderr,
		"fuzz_packet: polc_parse.h and the interpreter disagree on %s: %d, %d\n"
		"  template:    family %u proto %u l4 %u ports %u %u icmp %u/%u\n"
		"  interpreter: family %u proto %u l4 %u ports %u %u icmp %u/%u\n",
		what, tmpl, ref, t->family, t->l4proto, t->has_l4, t->sport, t->dport,
		t->icmp_type, t->icmp_code, k->family, k->proto, k->has_l4, k->sport, k->dport,
		k->icmp_type, k->icmp_code);
	abort();
}

/* The fields the rules see, from the template, as the IR's packet. */
static void to_ir(const struct tmpl_pkt *t, struct ir_packet *k)
{
	memset(k, 0, sizeof(*k));
	k->family = t->family == 6 ? IR_V6 : IR_V4;
	k->proto = t->l4proto;
	k->has_l4 = t->has_l4;
	memcpy(k->src, t->src, sizeof(k->src));
	memcpy(k->dst, t->dst, sizeof(k->dst));
	k->sport = t->sport;
	k->dport = t->dport;
	k->icmp_type = t->icmp_type;
	k->icmp_code = t->icmp_code;
}

/* len bytes of data at 2 past a 4-byte boundary, ending at the end of the
 * allocation (free with free_frame) */
static uint8_t *frame_copy(const uint8_t *data, size_t len)
{
	uint8_t *buf = malloc(len + 2);

	if (!buf)
		abort();
	memcpy(buf + 2, data, len);
	return buf + 2;
}

static void free_frame(uint8_t *frame)
{
	free(frame - 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_pkt t;
	struct ir_packet k, kt;

	init();
	if (size > 65535)
		return 0;

	/* XDP: the whole frame is linear */
	memset(&t, 0, sizeof(t));
	uint8_t *frame = frame_copy(data, size);
	int r = tmpl_parse(frame, size, (uint32_t)size, &t);
	free_frame(frame);
	enum polc_reason rr = polc_interp_parse(data, size, &k);
	if (r != (int)rr)
		disagree("the reason", r, (int)rr, &t, &k);
	if (r == 0) {
		to_ir(&t, &kt);
		if (t.family != 4 && t.family != 6)
			disagree("the family", t.family, k.family, &t, &k);
		if (kt.family != k.family || kt.proto != k.proto || kt.has_l4 != k.has_l4)
			disagree("family, protocol or L4 header", kt.proto, k.proto, &t, &k);
		size_t words = k.family == IR_V6 ? 4 : 1;
		if (memcmp(kt.src, k.src, words * 4) || memcmp(kt.dst, k.dst, words * 4))
			disagree("the addresses", 0, 0, &t, &k);
		if (k.has_l4 && (kt.sport != k.sport || kt.dport != k.dport ||
				 kt.icmp_type != k.icmp_type || kt.icmp_code != k.icmp_code))
			disagree("the L4 fields", 0, 0, &t, &k);
	}

	/* tc: only a head of the frame is linear; the parser must not read
	 * past it (an exact-size copy of the head) */
	if (size) {
		size_t head = size > 1 ? data[0] % size : 0;
		uint8_t *copy = frame_copy(data, head);
		tmpl_parse(copy, head, (uint32_t)size, &t);
		free_frame(copy);
	}

	/* the interpreter over real policies: the first rule that matches */
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const struct ir_unit *ir = polc_unit_ir(units[i]);
		for (size_t j = 0; j < ir->n_policies; j++) {
			const struct ir_policy *p = &ir->policies[j];
			struct polc_decision d;
			polc_interp_run(p, data, size, &d, &trace);
			if (d.reason != rr)
				disagree("the decision's reason", (int)d.reason, (int)rr, &t, &k);
			if (r != 0)
				continue;
			uint32_t want = 0;
			for (size_t n = 0; n < p->n_rules && !want; n++)
				if (ir_rule_matches(&p->rules[n], &kt))
					want = p->rules[n].id;
			if (d.rule != want) {
				fprintf(stderr, "fuzz_packet: policy %s: the interpreter says rule %u, "
						"the template's fields match rule %u first\n",
					p->name, d.rule, want);
				abort();
			}
		}
	}
	return 0;
}
