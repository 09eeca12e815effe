/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules.h: the generated policies of the traffic benchmark, shared by the
 * generator (gen_policy.c, which writes them as polc and nftables text) and
 * the sender (blast.c, which builds the frames each rule decides), so that
 * the two cannot disagree.
 *
 * Kind "rules": rule i (from 0) has one of four shapes, in rotation, the
 * same as bench/bench.c generates:
 *
 *	i % 4 == 0   drop from S4(i)/24                        (any protocol)
 *	i % 4 == 1   pass tcp from S4(i)/24 to port { 80, 443 }
 *	i % 4 == 2   pass udp from S6(i)/64 to port 1000-2000
 *	i % 4 == 3   drop tcp from S4(i).7 port 1024-65535 to 192.0.2.0/24 port 22
 *
 * with S4(i) = (10 + i / 65536).(i / 256 % 256).(i % 256) and
 * S6(i) = 2001:db8:(i / 256):(i % 256).  Every rule's source is its own
 * /24 or /64, so the rules are disjoint: the frame built for rule i is
 * decided by rule i and by no other, and the rule order does not change
 * any verdict (which is what lets the nftables "set" form group rules by
 * shape).  The default is pass.  For i < 65536 the addresses are those of
 * bench/bench.c.
 *
 * Kind "bigset": one rule, "drop from @blk" (a named set; or "$blk", a
 * constant list), where blk holds N IPv4 /24s, every other /24 from
 * 20.0.0.0 (prefix k starts at 20.0.0.0 + 512 k).
 *
 * Frames: "first" is decided by the first rule (bigset: its source is in
 * the first prefix), "last" by the last rule (the last prefix), "none" by
 * no rule (the default): TCP SYN 172.16.0.1 -> 192.0.2.1:443.  "mix" cycles
 * through F flows: flow j is the frame of rule j * N / F.
 */
#ifndef POLC_BENCH_RULES_H
#define POLC_BENCH_RULES_H

#include <stdio.h>
#include <stdint.h>

enum gen_kind { GEN_RULES, GEN_BIGSET };

#define GEN_MAX_RULES 1000000u
#define GEN_NOMATCH_SRC "172.16.0.1"

/* The /24 (without the length) or the address .host of rule i's IPv4 source. */
static inline void gen_src4(char *buf, size_t size, unsigned i, unsigned host)
{
	snprintf(buf, size, "%u.%u.%u.%u", 10 + (i >> 16), (i >> 8) & 255, i & 255, host);
}

/* Rule i's IPv6 source: the /64 (host NULL: "...::") or an address in it. */
static inline void gen_src6(char *buf, size_t size, unsigned i, const char *host)
{
	snprintf(buf, size, "2001:db8:%x:%x::%s", i >> 8, i & 255, host ? host : "");
}

/* The first address of bigset prefix k (a /24). */
static inline void gen_bigset_prefix(char *buf, size_t size, unsigned k, unsigned host)
{
	uint32_t a = (20u << 24) + 512u * k;

	snprintf(buf, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, host);
}

/* The largest bigset: 512 * k must stay below 2^32 - 20.0.0.0. */
#define GEN_BIGSET_MAX 4000000u

#endif /* POLC_BENCH_RULES_H */
