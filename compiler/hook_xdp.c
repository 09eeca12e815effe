// SPDX-License-Identifier: BSD-2-Clause
/* hook_xdp.c: XDP, the driver's receive path: ingress only, whole frame
 * linear, verdicts XDP_PASS / XDP_DROP. */
#include "hook.h"

const struct hook_ops hook_xdp_ops = {
	.hook = POLC_HOOK_XDP,
	.name = "xdp",
	.header = "polc_xdp.h",
	.glue = "polc_xdp",
	.section = "xdp",
	.ctx_type = "struct xdp_md",
};

const struct hook_ops *hook_ops_get(enum polc_hook hook)
{
	switch (hook) {
	case POLC_HOOK_XDP:
		return &hook_xdp_ops;
	case POLC_HOOK_TC_INGRESS:
		return &hook_tc_ingress_ops;
	case POLC_HOOK_TC_EGRESS:
		return &hook_tc_egress_ops;
	case POLC_HOOK_MAX_:
		break;
	}
	return 0;
}
