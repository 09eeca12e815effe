/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_prog.h: what every generated policy program is built from.
 *
 * A generated program is: load the frame (per hook, polc_xdp.h/polc_tc.h),
 * polc_prefilter() (parse; non-IP, malformed and truncated packets are
 * decided here), the policy's classify function (generated, returns a
 * POLC_MATCH() or 0), then polc_finish() (count and turn the match into a
 * verdict).
 */
#ifndef POLC_PROG_H
#define POLC_PROG_H

#include "polc_bpf.h"
#include "polc_contract.h"
#include "polc_parse.h"

/* Host-order IPv4 address and prefix mask, for readable generated code. */
#define POLC_IPV4(a, b, c, d) \
	(((__u32)(a) << 24) | ((__u32)(b) << 16) | ((__u32)(c) << 8) | (__u32)(d))
#define POLC_MASK(len) ((len) == 0 ? 0u : ~0u << (32 - (len)))

/* The counter maps every policy owns. */
#define POLC_COUNTER_MAP(name, entries)                  \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, entries);            \
		__type(key, __u32);                      \
		__type(value, struct polc_counter);      \
	} name SEC(".maps")

static __always_inline void polc_count(void *map, __u32 index, __u32 bytes)
{
	struct polc_counter *c = bpf_map_lookup_elem(map, &index);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/*
 * Parse the frame.  Returns 1 when the packet is decided before the rules
 * (its verdict in *verdict, its reason counted), 0 when the rules decide.
 */
static __always_inline int polc_prefilter(struct polc_pkt *p, void *data,
					  void *data_end, __u32 len,
					  void *reasons, __u32 *verdict)
{
	int reason = polc_parse(p, data, data_end, len);

	if (polc_likely(reason == POLC_PARSE_OK))
		return 0;
	polc_count(reasons, reason, len);
	*verdict = reason == POLC_REASON_NON_IP ? POLC_VERDICT_PASS
						: POLC_VERDICT_DROP;
	return 1;
}

/* Count the deciding rule (or the default) and return the verdict. */
static __always_inline __u32 polc_finish(__u32 match, __u32 len, void *rules,
					 void *reasons, __u32 default_verdict)
{
	if (match) {
		polc_count(rules, POLC_MATCH_RULE(match) - 1, len);
		return POLC_MATCH_VERDICT(match);
	}
	polc_count(reasons, POLC_REASON_DEFAULT, len);
	return default_verdict;
}

#endif /* POLC_PROG_H */
