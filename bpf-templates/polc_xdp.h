/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* polc_xdp.h: the XDP side of a generated program. */
#ifndef POLC_XDP_H
#define POLC_XDP_H

#include "polc_prog.h"

/* The whole frame is linear in XDP. */
static __always_inline void polc_xdp_load(struct xdp_md *ctx, void **data,
					  void **data_end, __u32 *len)
{
	*data = (void *)(long)ctx->data;
	*data_end = (void *)(long)ctx->data_end;
	*len = (__u32)(*data_end - *data);
}

static __always_inline int polc_xdp_action(__u32 verdict)
{
	return verdict == POLC_VERDICT_PASS ? XDP_PASS : XDP_DROP;
}

#endif /* POLC_XDP_H */
