// SPDX-License-Identifier: BSD-2-Clause
/*
 * interp.c: the reference interpreter: what a policy decides for a frame,
 * computed from the IR with no kernel and no generated code.
 *
 * It parses the frame itself (written apart from bpf-templates/polc_parse.h
 * on purpose, from the rules in docs/language.md: the two are checked
 * against each other by polc test and the differential tests), then tries
 * the rules in order with ir_rule_matches(), the IR's definition of a rule.
 * With a trace it also says, rule by rule, which field decided.
 */
#include <string.h>

#include "interp.h"
#include "unit.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* L4 header at off, which may not pass end (the end of the IP payload). */
static enum polc_reason parse_l4(struct ir_packet *k, const uint8_t *f, size_t off, size_t end)
{
	switch (k->proto) {
	case 6:
		if (off + 20 > end)
			return POLC_REASON_TRUNCATED;
		if ((f[off + 12] >> 4) < 5)
			return POLC_REASON_MALFORMED;
		if (off + (size_t)(f[off + 12] >> 4) * 4 > end)
			return POLC_REASON_TRUNCATED;
		k->sport = be16(f + off);
		k->dport = be16(f + off + 2);
		k->tcp_flags = f[off + 13];
		k->has_l4 = true;
		break;
	case 17:
		if (off + 8 > end)
			return POLC_REASON_TRUNCATED;
		k->sport = be16(f + off);
		k->dport = be16(f + off + 2);
		k->has_l4 = true;
		break;
	case 1:
	case 58:
		if (off + 4 > end)
			return POLC_REASON_TRUNCATED;
		k->icmp_type = f[off];
		k->icmp_code = f[off + 1];
		k->has_l4 = true;
		if (off + 8 <= end) {
			k->icmp_full = true;
			k->echo_id = be16(f + off + 4);
		}
		break;
	}
	return POLC_REASON_DEFAULT;
}

static bool ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60 || nh == 135;
}

enum polc_reason polc_interp_parse(const void *frame, size_t len, struct ir_packet *k)
{
	const uint8_t *f = frame;
	size_t off = 14;

	memset(k, 0, sizeof(*k));
	if (len < 14)
		return POLC_REASON_NON_IP;
	uint16_t type = be16(f + 12);
	for (int tags = 0; type == 0x8100 || type == 0x88a8 || type == 0x9100; tags++) {
		if (tags == 2)
			return POLC_REASON_MALFORMED;
		if (off + 4 > len)
			return POLC_REASON_TRUNCATED;
		type = be16(f + off + 2);
		off += 4;
	}
	if (type == 0x0800) {
		if (off + 20 > len)
			return POLC_REASON_TRUNCATED;
		const uint8_t *ip = f + off;
		size_t ihl = (size_t)(ip[0] & 15) * 4, total = be16(ip + 2);
		if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl)
			return POLC_REASON_MALFORMED;
		if (off + total > len || off + ihl > len)
			return POLC_REASON_TRUNCATED;
		k->family = IR_V4;
		k->proto = ip[9];
		k->src[0] = be32(ip + 12);
		k->dst[0] = be32(ip + 16);
		k->frag = (be16(ip + 6) & 0x3fff) != 0; /* MF or an offset */
		if (be16(ip + 6) & 0x1fff)
			return POLC_REASON_DEFAULT; /* a later fragment: no L4 header */
		return parse_l4(k, f, off + ihl, off + total);
	}
	if (type != 0x86dd)
		return POLC_REASON_NON_IP;
	if (off + 40 > len)
		return POLC_REASON_TRUNCATED;
	const uint8_t *ip = f + off;
	size_t plen = be16(ip + 4);
	if ((ip[0] >> 4) != 6 || plen == 0)
		return POLC_REASON_MALFORMED;
	if (off + 40 + plen > len)
		return POLC_REASON_TRUNCATED;
	k->family = IR_V6;
	for (int i = 0; i < 4; i++) {
		k->src[i] = be32(ip + 8 + 4 * i);
		k->dst[i] = be32(ip + 24 + 4 * i);
	}
	size_t end = off + 40 + plen, h = off + 40;
	uint8_t nh = ip[6];
	bool later = false;
	for (int i = 0; ipv6_ext(nh); i++) {
		if (i == 6)
			return POLC_REASON_MALFORMED;
		if (h + 8 > end)
			return POLC_REASON_TRUNCATED;
		size_t hlen = nh == 44 ? 8 : nh == 51 ? ((size_t)f[h + 1] + 2) * 4 : ((size_t)f[h + 1] + 1) * 8;
		if (nh == 44 && (be16(f + h + 2) & 0xfff8))
			later = true;
		k->frag |= nh == 44;
		nh = f[h];
		h += hlen;
		if (h > end)
			return POLC_REASON_TRUNCATED;
	}
	k->proto = nh;
	if (later)
		return POLC_REASON_DEFAULT;
	return parse_l4(k, f, h, end);
}

/* Why rule r does not match k: the first field that fails, or NULL. */
static const char *failed_field(const struct ir_rule *r, const struct ir_packet *k)
{
	static const char *const names[] = { "family", "protocol", "source", "destination",
					      "L4 header", "source port", "destination port",
					      "ICMP type", "ICMP code", "connection state" };
	struct ir_rule t = *r;

	if (k->ct_state && !(ir_rule_ct(r) & k->ct_state))
		return names[9];
	/* which field: loosen one at a time and see whether the rule then
	 * matches (the IR's semantics stays the one definition) */
	if (!(r->families & IR_FAMILY_BIT(k->family)))
		return names[0];
	if (!ir_byteset_has(&r->proto[k->family], k->proto))
		return names[1];
	t.families = IR_FAMILIES_ALL;
	for (int f = 0; f < IR_NFAMILIES; f++)
		t.proto[f].any = true;
	struct ir_rule u = t;
	u.src.any = true;
	if (!ir_rule_matches(&t, k) && ir_rule_matches(&u, k))
		return names[2];
	t.src.any = true;
	u = t;
	u.dst.any = true;
	if (!ir_rule_matches(&t, k) && ir_rule_matches(&u, k))
		return names[3];
	t.dst.any = true;
	if (r->needs_l4 && !k->has_l4)
		return names[4];
	u = t;
	u.sport.any = true;
	if (!ir_rule_matches(&t, k) && ir_rule_matches(&u, k))
		return names[5];
	t.sport.any = true;
	u = t;
	u.dport.any = true;
	if (!ir_rule_matches(&t, k) && ir_rule_matches(&u, k))
		return names[6];
	t.dport.any = true;
	u = t;
	for (int f = 0; f < IR_NFAMILIES; f++)
		u.icmp_type[f].any = true;
	if (!ir_rule_matches(&t, k) && ir_rule_matches(&u, k))
		return names[7];
	return names[8];
}

int polc_interp_run(const struct ir_policy *p, const void *frame, size_t len,
		    struct polc_decision *d, struct polc_trace *trace)
{
	return polc_interp_run_ct(p, frame, len, p->track ? IR_CT_NEW : 0, d, trace);
}

int polc_interp_run_ct(const struct ir_policy *p, const void *frame, size_t len, uint8_t ct_state,
		       struct polc_decision *d, struct polc_trace *trace)
{
	struct ir_packet k;

	memset(d, 0, sizeof(*d));
	d->reason = polc_interp_parse(frame, len, &k);
	k.ct_state = ct_state;
	d->packet = k;
	if (d->reason != POLC_REASON_DEFAULT) {
		d->verdict = d->reason == POLC_REASON_NON_IP ? POLC_VERDICT_PASS : POLC_VERDICT_DROP;
		return 0;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct ir_rule *r = &p->rules[i];
		bool hit = ir_rule_matches(r, &k);
		if (trace && trace->n < POLC_TRACE_MAX) {
			trace->step[trace->n].rule = r;
			trace->step[trace->n].matched = hit;
			trace->step[trace->n].why = hit ? NULL : failed_field(r, &k);
			trace->n++;
		}
		if (hit) {
			d->rule = r->id;
			d->verdict = r->verdict;
			return 0;
		}
	}
	d->verdict = p->default_verdict;
	return 0;
}
