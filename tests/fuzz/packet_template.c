// SPDX-License-Identifier: BSD-2-Clause
/*
 * packet_template.c: the BPF frame parser as host C.  The templates carry
 * their own definitions of the kernel types and of __always_inline; glibc's
 * are put aside first.
 */
#include "packet_template.h"

#undef __always_inline
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunknown-pragmas" /* #pragma unroll: clang's */
#define POLC_PARSE_FLOW /* the whole parser, what conntrack reads included */
#include "polc_bpf.h"
#include "polc_contract.h"
#include "polc_parse.h"
#pragma GCC diagnostic pop

int tmpl_parse(const void *data, size_t len, uint32_t frame_len, struct tmpl_pkt *out)
{
	struct polc_pkt p;
	int r = polc_parse(&p, (void *)data, (void *)((const char *)data + len), frame_len);

	for (int i = 0; i < 4; i++) {
		out->src[i] = p.src[i];
		out->dst[i] = p.dst[i];
	}
	out->sport = p.sport;
	out->dport = p.dport;
	out->family = p.family;
	out->l4proto = p.l4proto;
	out->has_l4 = p.has_l4;
	out->icmp_type = p.icmp_type;
	out->icmp_code = p.icmp_code;
	out->tcp_flags = p.tcp_flags;
	return r;
}
