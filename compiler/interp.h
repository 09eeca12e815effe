/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * interp.h: the reference interpreter of the IR (interp.c).  It decides a
 * frame the way the compiled program must, from the IR alone, so polc test
 * can run a policy's tests without a kernel and compare the two.
 */
#ifndef POLC_INTERP_H
#define POLC_INTERP_H

#include <stdbool.h>
#include <stddef.h>

#include "ir.h"

struct polc_decision {
	enum polc_verdict verdict;
	uint32_t rule;          /* the deciding rule's id; 0: none decided */
	enum polc_reason reason; /* DEFAULT when the rules (or the default) decided */
	struct ir_packet packet; /* the fields the rules saw */
};

/*
 * A flow's tuple as conntrack keys it (polc_ct_key): TCP and UDP ports; an
 * ICMP echo's identifier in sport and its type in dport.  family 4 or 6.
 */
struct polc_tuple {
	uint32_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t proto, family;
};

/* The tuple of a packet conntrack can track (not a fragment, an echo if
 * ICMP); false for the others. */
bool polc_tuple_of(const struct ir_packet *k, struct polc_tuple *out);
bool polc_tuple_eq(const struct polc_tuple *a, const struct polc_tuple *b);

#define POLC_TRACE_MAX 4096

/* Rule by rule, for polc explain. */
struct polc_trace {
	size_t n;
	struct {
		const struct ir_rule *rule;
		bool matched;
		const char *why; /* the first field that did not match */
	} step[POLC_TRACE_MAX];
};

/* Parse a frame into the fields rules match on: POLC_REASON_DEFAULT when the
 * rules decide it, else the reason that does (non-IP, truncated, malformed). */
enum polc_reason polc_interp_parse(const void *frame, size_t len, struct ir_packet *k);

/* What policy p decides for the frame; trace (may be NULL) gets the rules
 * tried.  Returns 0. */
int polc_interp_run(const struct ir_policy *p, const void *frame, size_t len,
		    struct polc_decision *d, struct polc_trace *trace);
/* The same for a packet whose connection is in ct_state (IR_CT_*, one bit;
 * polc_interp_run() says IR_CT_NEW for a tracked policy): rules match only
 * in the states they admit (ir_rule_ct()).  A packet of a known flow that
 * no rule matches is the caller's to pass (d->rule 0). */
int polc_interp_run_ct(const struct ir_policy *p, const void *frame, size_t len, uint8_t ct_state,
		       struct polc_decision *d, struct polc_trace *trace);

#endif /* POLC_INTERP_H */
