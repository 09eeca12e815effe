/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* polc_tc.h: the tc (cls_bpf, direct action) side of a generated program. */
#ifndef POLC_TC_H
#define POLC_TC_H

#include "polc_prog.h"

/* Headers the parser reads must be in the linear head of the skb; this is
 * how much of it we ask for when the head is shorter. */
#define POLC_TC_PULL_LEN 256

static __always_inline void polc_tc_load(struct __sk_buff *skb, void **data,
					 void **data_end, __u32 *len)
{
	__u32 want = skb->len < POLC_TC_PULL_LEN ? skb->len : POLC_TC_PULL_LEN;

	if ((__u32)(skb->data_end - skb->data) < want)
		bpf_skb_pull_data(skb, want);
	*data = (void *)(long)skb->data;
	*data_end = (void *)(long)skb->data_end;
	*len = skb->len;
}

/* "pass" hands the packet on (to later filters, then the stack) rather
 * than ending classification: a policy decides only what it drops. */
static __always_inline int polc_tc_action(__u32 verdict)
{
	return verdict == POLC_VERDICT_PASS ? TC_ACT_UNSPEC : TC_ACT_SHOT;
}

#endif /* POLC_TC_H */
