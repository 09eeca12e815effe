// SPDX-License-Identifier: BSD-2-Clause
/*
 * explain.c: polc explain FILE 'PACKET': the reference interpreter's
 * decision for one packet, rule by rule (testrun.h).
 *
 * Sets are looked up in their contents as compiled (the file's, not what
 * polctl set may have changed on a node since).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "packet.h"
#include "testrun.h"
#include "unit.h"

static void addr_str(char *buf, size_t len, uint8_t family, const uint32_t a[4])
{
	uint8_t b[16];

	for (int i = 0; i < 4; i++) {
		b[4 * i] = (uint8_t)(a[i] >> 24);
		b[4 * i + 1] = (uint8_t)(a[i] >> 16);
		b[4 * i + 2] = (uint8_t)(a[i] >> 8);
		b[4 * i + 3] = (uint8_t)a[i];
	}
	if (!inet_ntop(family == IR_V6 ? AF_INET6 : AF_INET, b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	}
	return NULL;
}

static void print_packet(FILE *out, const struct ir_packet *k)
{
	char s[64], d[64];
	const char *pn = proto_name(k->proto);

	addr_str(s, sizeof(s), k->family, k->src);
	addr_str(d, sizeof(d), k->family, k->dst);
	fprintf(out, "  the program sees: IPv%d, ", k->family == IR_V6 ? 6 : 4);
	if (pn)
		fprintf(out, "%s", pn);
	else
		fprintf(out, "protocol %u", k->proto);
	fprintf(out, ", %s -> %s", s, d);
	if (!k->has_l4)
		fprintf(out, ", no L4 header (a later fragment, or a protocol without ports)");
	else if (k->proto == 6 || k->proto == 17)
		fprintf(out, ", ports %u -> %u", k->sport, k->dport);
	else if (k->proto == 1 || k->proto == 58)
		fprintf(out, ", type %u code %u", k->icmp_type, k->icmp_code);
	fputc('\n', out);
}

/* The packet's value of the field a rule failed on, for the reader. */
static void field_value(char *buf, size_t len, const char *field, const struct ir_packet *k)
{
	char a[64];
	const char *pn = proto_name(k->proto);

	buf[0] = '\0';
	if (strcmp(field, "source") == 0 || strcmp(field, "destination") == 0) {
		addr_str(a, sizeof(a), k->family, field[0] == 's' ? k->src : k->dst);
		snprintf(buf, len, " (%s)", a);
	} else if (strcmp(field, "source port") == 0) {
		snprintf(buf, len, " (%u)", k->sport);
	} else if (strcmp(field, "destination port") == 0) {
		snprintf(buf, len, " (%u)", k->dport);
	} else if (strcmp(field, "protocol") == 0) {
		if (pn)
			snprintf(buf, len, " (%s)", pn);
		else
			snprintf(buf, len, " (%u)", k->proto);
	} else if (strcmp(field, "ICMP type") == 0) {
		snprintf(buf, len, " (%u)", k->icmp_type);
	} else if (strcmp(field, "ICMP code") == 0) {
		snprintf(buf, len, " (%u)", k->icmp_code);
	} else if (strcmp(field, "family") == 0) {
		snprintf(buf, len, " (IPv%d)", k->family == IR_V6 ? 6 : 4);
	}
}

/* The set lookups a rule's fields make for this packet. */
static void print_set_lookups(FILE *out, const struct ir_rule *r, const struct ir_packet *k)
{
	char a[64];

	for (int side = 0; side < 2; side++) {
		const struct ir_addrset *as = side ? &r->dst : &r->src;
		const uint32_t *addr = side ? k->dst : k->src;
		for (size_t i = 0; i < as->n_sets; i++) {
			addr_str(a, sizeof(a), k->family, addr);
			fprintf(out, "          @%s (%s): %s %s\n", as->sets[i]->name,
				side ? "destination" : "source", a,
				ir_set_has_addr(as->sets[i], (enum ir_family)k->family, addr)
					? "is a member"
					: "is not a member");
		}
	}
	if (!k->has_l4 || (k->proto != 6 && k->proto != 17))
		return;
	for (int side = 0; side < 2; side++) {
		const struct ir_portset *ps = side ? &r->dport : &r->sport;
		uint16_t port = side ? k->dport : k->sport;
		for (size_t i = 0; i < ps->n_sets; i++)
			fprintf(out, "          @%s (%s port): %u %s\n", ps->sets[i]->name,
				side ? "destination" : "source", port,
				ir_set_has_port(ps->sets[i], port) ? "is a member" : "is not a member");
	}
}

int polc_explain(struct polc_unit *u, const char *policy, const char *text, FILE *out, FILE *err)
{
	const struct ir_unit *ir = &u->ir;
	const struct ir_policy *p = NULL;

	if (policy) {
		for (size_t i = 0; i < ir->n_policies && !p; i++)
			if (strcmp(ir->policies[i].name, policy) == 0)
				p = &ir->policies[i];
		if (!p) {
			fprintf(err, "polc: explain: %s has no policy '%s'\n", u->src->name, policy);
			return POLC_EUSAGE;
		}
	} else if (ir->n_policies == 1) {
		p = &ir->policies[0];
	} else {
		fprintf(err, "polc: explain: %s has %zu policies: say which with --policy NAME\n",
			u->src->name, ir->n_policies);
		return POLC_EUSAGE;
	}

	struct polc_packet pk;
	struct polc_packet_error perr;
	uint8_t frame[2048];
	size_t len;
	if (polc_packet_parse(text, strlen(text), &pk, &perr) != 0) {
		/* the packet, or 100 characters of it around the error */
		size_t n = strlen(text), from = perr.at > 50 ? perr.at - 50 : 0;
		int show = n - from > 100 ? 100 : (int)(n - from);
		fprintf(err, "polc: explain: in the packet: %.160s\n  %s%.*s%s\n  %*s^\n", perr.msg,
			from ? "..." : "", show, text + from, from + (size_t)show < n ? "..." : "",
			(int)(perr.at - from + (from ? 3 : 0)), "");
		return POLC_EUSAGE;
	}
	if (polc_packet_frame(&pk, frame, sizeof(frame), &len) != 0) {
		fprintf(err, "polc: explain: the packet is too large to build\n");
		return POLC_EUSAGE;
	}

	struct polc_trace *trace = calloc(1, sizeof(*trace));
	struct polc_decision d;
	if (!trace)
		return POLC_EINTERNAL;
	polc_interp_run(p, frame, len, &d, trace);

	fprintf(out, "policy %s (%s:%u), default %s, %zu rule%s\n", p->name, u->src->name,
		p->loc.line, p->default_verdict == POLC_VERDICT_PASS ? "pass" : "drop", p->n_rules,
		p->n_rules == 1 ? "" : "s");
	fprintf(out, "packet: %s (%zu-byte frame)\n", text, len);
	if (d.reason != POLC_REASON_DEFAULT) {
		fprintf(out, "  the frame is %s: no rule is tried\n",
			d.reason == POLC_REASON_NON_IP	  ? "not IPv4 or IPv6" :
			d.reason == POLC_REASON_TRUNCATED ? "truncated (headers claim more than there is)" :
							    "malformed (impossible header values)");
		fprintf(out, "verdict: %s by %s\n", d.verdict == POLC_VERDICT_PASS ? "pass" : "drop",
			polc_reason_word(d.reason));
		free(trace);
		return 0;
	}
	print_packet(out, &d.packet);
	for (size_t i = 0; i < trace->n; i++) {
		const struct ir_rule *r = trace->step[i].rule;
		char val[80] = "";
		if (!trace->step[i].matched)
			field_value(val, sizeof(val), trace->step[i].why, &d.packet);
		fprintf(out, "  rule %-4u %s:%-4u %-44s %s%s%s\n", r->id, u->src->name, r->loc.line,
			r->text, trace->step[i].matched ? "MATCH" : "no: ",
			trace->step[i].matched ? "" : trace->step[i].why, val);
		print_set_lookups(out, r, &d.packet);
	}
	if (trace->n == POLC_TRACE_MAX && !d.rule)
		fprintf(out, "  ... (only the first %d rules are shown)\n", POLC_TRACE_MAX);
	if (d.rule) {
		const struct ir_rule *r = &p->rules[d.rule - 1];
		fprintf(out, "verdict: %s by rule %u%s%s (%s:%u:%u: %s)\n",
			d.verdict == POLC_VERDICT_PASS ? "pass" : "drop", r->id, r->label ? " " : "",
			r->label ? r->label : "", u->src->name, r->loc.line, r->loc.col, r->text);
	} else {
		fprintf(out, "verdict: %s by default (no rule matched)\n",
			d.verdict == POLC_VERDICT_PASS ? "pass" : "drop");
	}
	free(trace);
	return 0;
}
