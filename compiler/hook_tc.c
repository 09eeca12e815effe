// SPDX-License-Identifier: BSD-2-Clause
/* hook_tc.c: tc (cls_bpf in direct-action mode) on ingress or egress: an
 * skb whose head may need pulling; verdicts TC_ACT_UNSPEC / TC_ACT_SHOT. */
#include "hook.h"

const struct hook_ops hook_tc_ingress_ops = {
	.hook = POLC_HOOK_TC_INGRESS,
	.name = "tc ingress",
	.header = "polc_tc.h",
	.glue = "polc_tc",
	.section = "tc",
	.ctx_type = "struct __sk_buff",
};

const struct hook_ops hook_tc_egress_ops = {
	.hook = POLC_HOOK_TC_EGRESS,
	.name = "tc egress",
	.header = "polc_tc.h",
	.glue = "polc_tc",
	.section = "tc",
	.ctx_type = "struct __sk_buff",
};
