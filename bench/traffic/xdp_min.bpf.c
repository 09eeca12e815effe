// SPDX-License-Identifier: BSD-2-Clause
/*
 * The baselines of bench/nft.sh: an XDP program that does nothing but
 * return VERDICT (1: XDP_DROP, 2: XDP_PASS).  Built by the driver:
 *
 *	clang -O2 -target bpf -DVERDICT=1 -c xdp_min.bpf.c -o drop.o
 *
 * No headers, so that no multiarch include path is needed.
 */
#ifndef VERDICT
#define VERDICT 1 /* XDP_DROP */
#endif

struct xdp_md;

__attribute__((section("xdp"), used)) int xdp_min(struct xdp_md *ctx)
{
	return VERDICT;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
