/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * polc_ct.h: connection tracking for generated programs.
 *
 * THE TABLE.  One BPF_MAP_TYPE_LRU_HASH, "<policy>_ct", struct polc_ct_key to
 * struct polc_ct_entry (polc_contract.h), for IPv4 and IPv6 alike.  A flow is
 * TWO entries:
 *
 *   forward  key = the tuple of the packet that opened the flow, as the hook
 *            saw it (before any NAT);
 *   reply    key = the tuple its replies carry: the forward tuple after NAT
 *            (the entry's "translated tuple", xsrc/xdst/xsport/xdport),
 *            reversed.  Without NAT it is just the forward key reversed.
 *
 * Every packet is looked up by its own tuple, unchanged: ONE hash lookup
 * whichever way it goes, with or without NAT, and no canonical ordering to
 * compute.  Each entry says which way its key goes (dir), what to rewrite in
 * packets of its key (nat, and the translated tuple) and counts its own
 * direction's packets and bytes.  The flow's state is kept the same in both
 * entries: a change (a handful per TCP connection) writes both, which costs
 * a second lookup then and only then.  Either entry can rebuild the other
 * (the twin's key is the reversed translated tuple, its translated tuple the
 * reversed key), which is how a twin lost to LRU eviction is healed.
 *
 * Echo requests and replies are keyed by (addresses, identifier, type): the
 * identifier is in sport, the ICMP type in dport, so the reply key of a ping
 * from A to B is (B, A, id, echo-reply) and B pinging A with the same
 * identifier is a new flow, not a reply.
 *
 * TIME.  The conntrack clock counts ns at tick resolution (plenty for
 * timeouts of seconds): jiffies times the tick when the config map gives
 * the tick (jiffy_ns; bpf_jiffies64() is inlined by the verifier), else
 * bpf_ktime_get_coarse_ns() (a helper call: 13 ns here; the precise clock,
 * POLC_CT_PRECISE_CLOCK, 32 ns), plus the config map's clock_offset_ns,
 * which tests raise to move time forward.  An entry is expired when clock - last_seen > timeout_ns, the
 * timeout of its state (struct polc_ct_config, defaults in polc_contract.h,
 * copied into the entry at each state change so the fast path does not
 * consult the config for it).  Expired entries are treated as absent and
 * deleted when met.  A flow is alive while EITHER entry is fresh: an entry
 * that looks expired asks its twin first (a second lookup, on that path
 * only).  So that a one-way flow's idle twin is not the first thing LRU
 * evicts, and rarely needs that question, an entry refreshes its twin's
 * last_seen (and LRU reference bit) at most once per sync_ns (1 s).
 *
 * TCP.  States (enum polc_ct_state), driven by the packet's flags and
 * direction (F forward, R reply):
 *
 *   (none)       F SYN (no ACK) creates the flow: SYN_SENT
 *   SYN_SENT     R SYN+ACK -> SYN_RECV; R SYN alone (simultaneous open,
 *                tolerated as Linux does) -> SYN_RECV; F SYN stays;
 *                anything else is INVALID
 *   SYN_RECV     F ACK (no SYN) -> ESTABLISHED; SYN+ACK, SYNs and R packets
 *                stay
 *   ESTABLISHED  FIN -> FIN_WAIT
 *   FIN_WAIT     FIN from the other side -> CLOSE
 *   any          RST -> CLOSE
 *   CLOSE        packets still pass (final ACKs, retransmitted FINs) until
 *                the close timeout (10 s)
 *
 * FINs are recorded per direction in separate bytes, so two CPUs closing both
 * sides at once lose neither; FIN_WAIT re-derives CLOSE from them.  There is
 * no sequence-window tracking (Linux has it): a RST or FIN with the flow's
 * tuple closes it whatever its sequence number.  Mid-stream pick-up (Linux's
 * nf_conntrack_tcp_loose) is NOT done: only a SYN creates a TCP flow.
 *
 * The generated program's contract: a TCP SYN (SYN without ACK) always goes
 * through the rules, even when an entry exists (the lookup returns
 * POLC_CT_NEW with c->found set); if a pass rule admits it, <name>_ct_create()
 * makes a fresh flow, except for a retransmitted SYN of a flow still in
 * SYN_SENT/SYN_RECV with the same rule, which keeps its entry (and backend).
 *
 * UDP: UDP_ONEWAY until a reply, then UDP_REPLIED (30 s / 120 s).  ICMP and
 * ICMPv6: an echo request creates ICMP_ECHO (30 s); replies and further
 * requests pass.  ICMP errors (destination unreachable, time exceeded,
 * parameter problem; ICMPv6 also packet too big) are RELATED when the packet
 * they quote is of a live flow: the quoted header is parsed and its tuple
 * reversed looked up, one lookup, on ICMP errors only.  Related errors are
 * passed as they are: NAT does not rewrite the quoted packet, so an error
 * about a NAT flow reaches the translated address (a documented limitation).
 * Fragments, other protocols and other ICMP messages are not tracked: they
 * always go through the rules.
 *
 * CONCURRENCY.  Lookups and updates are the kernel's (RCU, bucket locks).
 * Creation inserts the reply key with BPF_NOEXIST first, so two flows can
 * never own one reply key (SNAT port allocation relies on it).  Field writes
 * to an entry (last_seen, counters, state) are plain stores: counters are
 * approximate when two CPUs serve one direction of one flow, and an LRU
 * element recycled under a reader may take one stray timestamp or count.
 *
 * VERIFICATION.  The table's code is in global BPF functions, two per
 * policy (<name>_ct_lookup, _create, made by POLC_CT_DEFINE()) and a few per
 * hook: the verifier checks each once.  Inlined, it was re-verified for
 * every parser outcome (hundreds of states: 7x the instructions of the
 * policy alone, 0.5 s of load time).  Global functions cannot hand back map
 * pointers, so the program passes struct polc_pkt and a struct polc_ct on
 * its stack and what NAT needs of the entry is copied into the latter; the
 * pieces that read the packet (an ICMP error's quoted header, NAT rewrites)
 * take the hook's context, so that the program keeps no packet pointer live
 * after parsing (that, too, would keep the parser's outcomes apart).  Stack: the program's frame holds struct polc_pkt (52 B)
 * and struct polc_ct (88 B); the functions' frames about 250 B more at the
 * deepest (create, with its bpf_loop() callback): a generated program keeps
 * under 150 B of its own for the 512 B limit of the whole call chain.
 * Needs Linux 5.17 (bpf_loop), with BTF (clang -g).
 *
 * USE (what a generated program does; tests/bpf/test_ct.c has complete ones):
 *
 *	POLC_CT_DEFINE(pol_web, 65536);          // maps and functions
 *	...
 *	struct polc_ct ct;
 *	int r = POLC_CT_LOOKUP(pol_web, xdp, ctx, &pkt, len, &ct);
 *	if (polc_ct_passes(r))
 *		return pass;                     // (apply NAT first: polc_nat.h)
 *	match = pol_web_classify(&pkt);
 *	verdict = polc_finish(match, ...);
 *	if (verdict == POLC_VERDICT_PASS && r == POLC_CT_NEW)
 *		pol_web_ct_create(&pkt, len, POLC_MATCH_RULE(match), NULL, &ct);
 *
 * and its companion on the other direction of the same device, sharing the
 * maps (track-only: it records flows the node opens and keeps the state of
 * flows the policy admitted, and applies their NAT; it never drops):
 *
 *	POLC_CT_TRACK(pol_web, tc, skb, &pkt, len, &ct);
 *	return pass;
 */
#ifndef POLC_CT_H
#define POLC_CT_H

#ifndef POLC_PARSE_FLOW
#error "a tracked program defines POLC_PARSE_FLOW before it includes any polc template"
#endif
#include "polc_prog.h"

#ifndef BPF_MAP_TYPE_LRU_HASH
#define BPF_MAP_TYPE_LRU_HASH 9
#endif

/* Helpers conntrack uses, by their stable numbers (uapi/linux/bpf.h). */
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
				   __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_jiffies64)(void) = (void *)118;
static __u64 (*bpf_ktime_get_coarse_ns)(void) = (void *)160;
static long (*bpf_loop)(__u32 nr_loops, void *callback_fn, void *callback_ctx,
			__u64 flags) = (void *)181;

#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

#define POLC_BPF_ANY 0
#define POLC_BPF_NOEXIST 1

#define POLC_TCP_FIN 0x01
#define POLC_TCP_SYN 0x02
#define POLC_TCP_RST 0x04
#define POLC_TCP_ACK 0x10

#define POLC_NS_PER_S 1000000000ull

/*
 * Header offsets past this are not followed into the packet (ICMP errors'
 * quoted headers, NAT rewrites on XDP): the verifier needs a packet pointer's
 * variable offset plus what is read to stay below 64 KiB.
 */
#define POLC_CT_MAX_HDR_OFF 16383

/*
 * A compiler barrier: values in memory are read again after it rather than
 * kept in registers (which, short of registers, clang spills to the stack:
 * the stack is what the call chain runs short of).
 */
#define polc_ct_barrier() asm volatile("" ::: "memory")

/*
 * off (at most POLC_CT_MAX_HDR_OFF) masked so that the verifier sees the
 * bound on the very register added to the packet pointer: in asm, because
 * clang drops a mask it can prove redundant and then tests a copy.
 */
static __always_inline __u32 polc_ct_bound_off(__u32 off)
{
	__u64 v = off;

	asm volatile("%0 &= 0x3fff" : "+r"(v));
	return (__u32)v;
}

/* What <name>_ct_lookup() (and _track()) found. */
enum polc_ct_result {
	POLC_CT_NEW = 0,       /* no live entry (or a TCP SYN): the rules decide */
	POLC_CT_FORWARD = 1,   /* a packet of a tracked flow, opener to responder */
	POLC_CT_REPLY = 2,     /* a packet of a tracked flow, the other way */
	POLC_CT_RELATED = 3,   /* an ICMP error about a tracked flow */
	POLC_CT_INVALID = 4,   /* a tracked flow's packet its state does not admit:
				* the rules decide, no entry is created */
	POLC_CT_UNTRACKED = 5, /* not trackable (fragment, other protocol, ICMP
				* other than echo and errors): the rules decide */
};

/* Errors of <name>_ct_create(). */
#define POLC_CT_ENOTRACK 1  /* the packet cannot open a flow (not a SYN, ...) */
#define POLC_CT_ECONFLICT 2 /* its reply key belongs to another live flow */
#define POLC_CT_EEXHAUSTED 3 /* SNAT: no free port among the probes */
#define POLC_CT_EMAP 4      /* a map operation failed */

/*
 * One packet's conntrack context, plain data on the program's stack (the
 * per-policy functions below are global BPF functions: they get it as
 * memory and cannot hand back map pointers, so what NAT needs is copied
 * here).  polc_ct_prepare() initialises it.
 */
struct polc_ct {
	struct polc_ct_key key; /* the packet's tuple; an ICMP error's: the quoted
				 * packet's, reversed */
	/* the flow's translation for this packet (when nat is not 0) */
	__u32 xsrc[4];
	__u32 xdst[4];
	__u16 xsport;
	__u16 xdport;
	__u32 rule;     /* the rule that admitted the flow (0: the node opened it) */
	__u8 nat;       /* POLC_CT_NAT_* to apply to this packet */
	__u8 dir;       /* enum polc_ct_dir of the entry the packet hit */
	__u8 state;     /* the flow's state after this packet */
	__u8 flags;     /* the entry's POLC_CT_F_* */
	__u8 trackable; /* key is the packet's tuple */
	__u8 related;   /* key is an ICMP error's quoted tuple (set by polc_ct_prepare()) */
	__u8 found;     /* a live entry exists at key (a SYN's previous flow, for create) */
	__u8 pad;
};

/*
 * What a new flow's packets are translated to (polc_nat.h fills it): the
 * translated tuple of the forward packet and, for SNAT, the source ports (or
 * echo identifiers) it may take instead of xsport.
 */
struct polc_ct_nat_req {
	__u32 xsrc[4];
	__u32 xdst[4];
	__u16 xsport;
	__u16 xdport;
	__u16 port_min;  /* SNAT: xsport may become any of [port_min, port_max] */
	__u16 port_max;  /* (0, 0: xsport as given, the only candidate) */
	__u32 backend;   /* DNAT: the backend slot */
	__u8 nat;        /* POLC_CT_NAT_* for forward packets */
	__u8 flags;      /* POLC_CT_F_DNAT, _SNAT */
	__u8 pad[2];
};

/* ---- small pieces ------------------------------------------------------ */

/*
 * The conntrack clock, ns: jiffies times the tick (bpf_jiffies64() is two
 * instructions once the verifier inlines it; the clock helpers cost 13 and
 * 32 ns a call on the VM of bench/RESULTS.md, more than the table lookup)
 * when the config gives the tick, else bpf_ktime_get_coarse_ns(); plus the
 * configured offset.  Only differences of this clock matter.
 */
static __always_inline __u64 polc_ct_clock(const struct polc_ct_config *cfg)
{
#ifdef POLC_CT_PRECISE_CLOCK
	return bpf_ktime_get_ns() + cfg->clock_offset_ns;
#else
	__u64 tick = cfg->jiffy_ns;

	if (polc_likely(tick))
		return bpf_jiffies64() * tick + cfg->clock_offset_ns;
	return bpf_ktime_get_coarse_ns() + cfg->clock_offset_ns;
#endif
}

/* The timeout of a state: the configured one, else the default. */
static __always_inline __u64 polc_ct_timeout(const struct polc_ct_config *cfg,
					     __u32 state)
{
	__u64 s;

	if (state < POLC_CT_STATE_COUNT_ && cfg->timeout_ns[state])
		return cfg->timeout_ns[state];
	switch (state) {
	case POLC_CT_TCP_SYN_SENT:
		s = POLC_CT_TIMEOUT_SYN_SENT_S;
		break;
	case POLC_CT_TCP_SYN_RECV:
		s = POLC_CT_TIMEOUT_SYN_RECV_S;
		break;
	case POLC_CT_TCP_ESTABLISHED:
		s = POLC_CT_TIMEOUT_ESTABLISHED_S;
		break;
	case POLC_CT_TCP_FIN_WAIT:
		s = POLC_CT_TIMEOUT_FIN_WAIT_S;
		break;
	case POLC_CT_UDP_ONEWAY:
		s = POLC_CT_TIMEOUT_UDP_ONEWAY_S;
		break;
	case POLC_CT_UDP_REPLIED:
		s = POLC_CT_TIMEOUT_UDP_REPLIED_S;
		break;
	case POLC_CT_ICMP_ECHO:
		s = POLC_CT_TIMEOUT_ICMP_S;
		break;
	default: /* CLOSE, and anything unknown */
		s = POLC_CT_TIMEOUT_CLOSE_S;
		break;
	}
	return s * POLC_NS_PER_S;
}

/* The peer refresh interval. */
static __always_inline __u64 polc_ct_sync_ns(const struct polc_ct_config *cfg)
{
	return cfg->sync_ns ? cfg->sync_ns : POLC_CT_SYNC_NS_DEFAULT;
}

/* Is the entry past its timeout at `now`?  A clock that went back (a test
 * lowering its offset) never expires anything. */
static __always_inline int polc_ct_expired(const struct polc_ct_entry *e, __u64 now)
{
	return now > e->last_seen && now - e->last_seen > e->timeout_ns;
}

/* The echo type a reply to (or the request of) an echo of `type` has. */
static __always_inline __u16 polc_ct_echo_twin_type(__u8 proto, __u16 type)
{
	if (proto == POLC_IPPROTO_ICMP)
		return type == POLC_ICMP_ECHO_REQUEST ? POLC_ICMP_ECHO_REPLY
						      : POLC_ICMP_ECHO_REQUEST;
	return type == POLC_ICMPV6_ECHO_REQUEST ? POLC_ICMPV6_ECHO_REPLY
						: POLC_ICMPV6_ECHO_REQUEST;
}

static __always_inline int polc_ct_is_icmp(__u8 proto)
{
	return proto == POLC_IPPROTO_ICMP || proto == POLC_IPPROTO_ICMPV6;
}

/*
 * The key of packets going the other way: src/dst and ports swapped; for an
 * echo, the identifier kept and the type turned into its twin's.
 */
static __always_inline void polc_ct_reverse(struct polc_ct_key *out,
					    const __u32 *src, const __u32 *dst,
					    __u16 sport, __u16 dport, __u8 proto,
					    __u8 family)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		out->src[i] = dst[i];
		out->dst[i] = src[i];
	}
	if (polc_ct_is_icmp(proto)) {
		out->sport = sport;
		out->dport = polc_ct_echo_twin_type(proto, dport);
	} else {
		out->sport = dport;
		out->dport = sport;
	}
	out->proto = proto;
	out->family = family;
	out->pad = 0;
}

/* The key of entry e's twin: its translated tuple, reversed. */
static __always_inline void polc_ct_twin_key(const struct polc_ct_key *k,
					     const struct polc_ct_entry *e,
					     struct polc_ct_key *out)
{
	polc_ct_reverse(out, e->xsrc, e->xdst, e->xsport, e->xdport, k->proto,
			k->family);
}

static __always_inline int polc_ct_key_eq(const struct polc_ct_key *a,
					  const struct polc_ct_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 d = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*a) / 4); i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/*
 * Is tw (the entry at tk, a key made by polc_ct_twin_key() from k) the twin
 * of the entry at k: does its translated tuple, reversed, lead back to k?
 * Compared field by field (no key on the stack).
 */
static __always_inline int polc_ct_is_twin(const struct polc_ct_key *k,
					   const struct polc_ct_key *tk,
					   const struct polc_ct_entry *tw)
{
	__u32 d = 0;

#pragma unroll
	for (int i = 0; i < 4; i++)
		d |= (tw->xsrc[i] ^ k->dst[i]) | (tw->xdst[i] ^ k->src[i]);
	if (polc_ct_is_icmp(k->proto))
		d |= (tw->xsport ^ k->sport) |
		     (polc_ct_echo_twin_type(k->proto, tw->xdport) ^ k->dport);
	else
		d |= (tw->xsport ^ k->dport) | (tw->xdport ^ k->sport);
	return d == 0 && tk->proto == k->proto && tk->family == k->family;
}

/*
 * Turn entry e, stored at key k, into its twin, in place: the other
 * direction, the same flow state, its translated tuple k reversed (so the
 * twin's twin is e again), the opposite rewrite, counters from zero.
 */
static __always_inline void polc_ct_twinize(struct polc_ct_entry *e,
					    const struct polc_ct_key *k)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		e->xsrc[i] = k->dst[i];
		e->xdst[i] = k->src[i];
	}
	if (polc_ct_is_icmp(k->proto)) {
		e->xsport = k->sport;
		e->xdport = polc_ct_echo_twin_type(k->proto, k->dport);
	} else {
		e->xsport = k->dport;
		e->xdport = k->sport;
	}
	e->dir ^= 1;
	/* forward rewrites the source (SNAT) -> replies rewrite the destination */
	e->nat = ((e->nat & POLC_CT_NAT_SRC) << 1) | ((e->nat & POLC_CT_NAT_DST) >> 1);
	e->synced = e->last_seen;
	e->packets = 0;
	e->bytes = 0;
}

/* An ICMP/ICMPv6 echo request or reply with its identifier. */
static __always_inline int polc_pkt_is_echo(const struct polc_pkt *p)
{
	if (!p->icmp_full)
		return 0;
	if (p->l4proto == POLC_IPPROTO_ICMP)
		return p->icmp_type == POLC_ICMP_ECHO_REQUEST ||
		       p->icmp_type == POLC_ICMP_ECHO_REPLY;
	if (p->l4proto == POLC_IPPROTO_ICMPV6)
		return p->icmp_type == POLC_ICMPV6_ECHO_REQUEST ||
		       p->icmp_type == POLC_ICMPV6_ECHO_REPLY;
	return 0;
}

/*
 * The packet's tuple into k.  1 when the packet can be tracked: TCP or UDP
 * with its header (not a fragment), or an ICMP/ICMPv6 echo request or reply.
 */
static __always_inline int polc_ct_key_of(const struct polc_pkt *p,
					  struct polc_ct_key *k)
{
	if (!p->has_l4 || p->frag)
		return 0;
	if (p->l4proto == POLC_IPPROTO_TCP || p->l4proto == POLC_IPPROTO_UDP) {
		k->sport = p->sport;
		k->dport = p->dport;
	} else if (polc_pkt_is_echo(p)) {
		k->sport = p->echo_id;
		k->dport = p->icmp_type;
	} else {
		return 0;
	}
#pragma unroll
	for (int i = 0; i < 4; i++) {
		k->src[i] = p->src[i];
		k->dst[i] = p->dst[i];
	}
	k->proto = p->l4proto;
	k->family = p->family;
	k->pad = 0;
	return 1;
}

/* A TCP SYN without ACK: opens a connection, always goes to the rules. */
static __always_inline int polc_ct_is_syn(const struct polc_pkt *p)
{
	return p->l4proto == POLC_IPPROTO_TCP &&
	       (p->tcp_flags & (POLC_TCP_SYN | POLC_TCP_ACK)) == POLC_TCP_SYN;
}

/* Can this (trackable) packet open a flow?  A TCP SYN (no ACK, RST or FIN),
 * any UDP packet, an echo request. */
static __always_inline int polc_ct_can_open(const struct polc_pkt *p)
{
	if (p->l4proto == POLC_IPPROTO_TCP)
		return (p->tcp_flags & (POLC_TCP_SYN | POLC_TCP_ACK | POLC_TCP_RST |
					POLC_TCP_FIN)) == POLC_TCP_SYN;
	if (p->l4proto == POLC_IPPROTO_UDP)
		return 1;
	return p->icmp_type == (p->l4proto == POLC_IPPROTO_ICMP ? POLC_ICMP_ECHO_REQUEST
								 : POLC_ICMPV6_ECHO_REQUEST);
}

/* The state a new flow starts in. */
static __always_inline __u8 polc_ct_initial_state(__u8 proto)
{
	if (proto == POLC_IPPROTO_TCP)
		return POLC_CT_TCP_SYN_SENT;
	if (proto == POLC_IPPROTO_UDP)
		return POLC_CT_UDP_ONEWAY;
	return POLC_CT_ICMP_ECHO;
}

/* Copy what NAT and the program need of entry e into c. */
static __always_inline void polc_ct_export(struct polc_ct *c, const struct polc_ct_entry *e)
{
	c->rule = e->rule;
	c->dir = e->dir;
	c->state = e->state;
	c->flags = e->flags;
	c->nat = e->nat;
	if (e->nat) {
#pragma unroll
		for (int i = 0; i < 4; i++) {
			c->xsrc[i] = e->xsrc[i];
			c->xdst[i] = e->xdst[i];
		}
		c->xsport = e->xsport;
		c->xdport = e->xdport;
	}
}

/* What the SNAT port probes share (in the scratch map, below). */
struct polc_ct_probe {
	__u64 now;
	struct polc_ct_key tk;   /* the reply key; its port is the candidate */
	struct polc_ct_key scratch;
	__u32 first;             /* candidate 0: the flow's own port */
	__u32 range, base, pmin; /* then pmin + (base + i) % range */
	__u8 icmp;               /* the candidate is tk.sport (an echo id), else tk.dport */
	__u8 ok;
	__u16 pad;
};

/*
 * Working space of the slow paths, one element per CPU ("<name>_ct_scratch"):
 * it would not fit the 512-byte stack of the call chain.  XDP and tc
 * programs do not nest on a CPU (softirq, or BH disabled), so one element
 * suffices.  Creation: f is the forward entry being made, turned into the
 * reply entry while the reply key is claimed (it does not depend on the
 * port).  Lookup: f is a twin being rebuilt, pr.tk a twin's key.
 */
struct polc_ct_scratch {
	struct polc_ct_entry f;
	struct polc_ct_probe pr;
};

/*
 * bpf_loop()'s context, on the stack (pointers kept in map memory would be
 * mere numbers to the verifier): the table and the scratch element.
 */
struct polc_ct_cell {
	void *ct;
	struct polc_ct_scratch *sc;
};

/* ---- the state machine --------------------------------------------------- */

/*
 * Does a packet of entry e need the state machine?  Not for the established
 * fast path: TCP ESTABLISHED without SYN/FIN/RST, UDP already replied (or
 * going forward), echo.
 */
static __always_inline int polc_ct_needs_step(const struct polc_ct_entry *e,
					      const struct polc_pkt *p)
{
	if (p->l4proto == POLC_IPPROTO_TCP)
		return e->state != POLC_CT_TCP_ESTABLISHED ||
		       (p->tcp_flags & (POLC_TCP_SYN | POLC_TCP_FIN | POLC_TCP_RST));
	if (p->l4proto == POLC_IPPROTO_UDP)
		return e->state == POLC_CT_UDP_ONEWAY && e->dir == POLC_CT_DIR_REPLY;
	return 0;
}

/*
 * The state after a packet of direction dir with TCP flags f, from state s
 * with FINs fin0/fin1 seen (this packet's FIN included); -1 if the state does
 * not admit the packet.
 */
static __always_inline int polc_ct_tcp_next(__u8 s, __u8 dir, __u8 f, __u8 fin0,
					    __u8 fin1)
{
	int syn = f & POLC_TCP_SYN, ack = f & POLC_TCP_ACK;

	if (f & POLC_TCP_RST)
		return POLC_CT_TCP_CLOSE;
	switch (s) {
	case POLC_CT_TCP_SYN_SENT:
		if (dir == POLC_CT_DIR_REPLY && syn)
			return POLC_CT_TCP_SYN_RECV; /* SYN-ACK, or a crossing SYN */
		if (dir == POLC_CT_DIR_FORWARD && syn && !ack)
			return s; /* retransmitted SYN */
		return -1;
	case POLC_CT_TCP_SYN_RECV:
		if (dir == POLC_CT_DIR_FORWARD && ack && !syn)
			s = POLC_CT_TCP_ESTABLISHED;
		break;
	case POLC_CT_TCP_ESTABLISHED:
	case POLC_CT_TCP_FIN_WAIT:
		break;
	default: /* CLOSE: stragglers pass */
		return s;
	}
	if (fin0 && fin1)
		return POLC_CT_TCP_CLOSE;
	if (fin0 || fin1)
		return s == POLC_CT_TCP_SYN_RECV ? s : POLC_CT_TCP_FIN_WAIT;
	return s;
}

/* Copy the flow state of e into its twin tw. */
static __always_inline void polc_ct_copy_state(struct polc_ct_entry *tw,
					       const struct polc_ct_entry *e)
{
	tw->state = e->state;
	tw->timeout_ns = e->timeout_ns;
	tw->fin[0] = e->fin[0];
	tw->fin[1] = e->fin[1];
	if (tw->last_seen < e->last_seen)
		tw->last_seen = e->last_seen;
}

/*
 * Write the flow state of e (the entry at k) into its twin, rebuilding the
 * twin if LRU evicted it.  Returns 0, or -1 when the twin's key belongs to
 * another flow (e is then an orphan, and deleted).
 */
static __always_inline int polc_ct_push_state(void *ct, void *stats,
					      struct polc_ct_scratch *sc,
					      const struct polc_ct_key *k,
					      struct polc_ct_entry *e)
{
	struct polc_ct_key *tk = &sc->pr.tk;
	struct polc_ct_entry *tw;

	polc_ct_twin_key(k, e, tk);
	tw = bpf_map_lookup_elem(ct, tk);
	if (tw) {
		if (polc_ct_is_twin(k, tk, tw)) {
			polc_ct_copy_state(tw, e);
			return 0;
		}
		bpf_map_delete_elem(ct, k);
		return -1;
	}
	polc_ct_barrier();
	sc->f = *e;
	polc_ct_twinize(&sc->f, k);
	if (bpf_map_update_elem(ct, tk, &sc->f, POLC_BPF_NOEXIST) == 0)
		polc_count(stats, POLC_CT_STAT_HEALED, 0);
	return 0;
}

/*
 * Advance the state of entry e (at k) for packet p, going e->dir.  0, 1
 * when e turned out to be an orphan (deleted), or -1 if the packet is
 * INVALID for the state (nothing changed).
 */
static __always_inline int polc_ct_step(void *ct, void *stats,
					struct polc_ct_scratch *sc,
					const struct polc_ct_config *cfg,
					const struct polc_ct_key *k,
					struct polc_ct_entry *e,
					const struct polc_pkt *p)
{
	__u8 dir = e->dir & 1;
	int next;

	if (p->l4proto == POLC_IPPROTO_TCP) {
		__u8 fin0 = e->fin[0], fin1 = e->fin[1];
		if (p->tcp_flags & POLC_TCP_FIN) {
			if (dir)
				fin1 = 1;
			else
				fin0 = 1;
		}
		next = polc_ct_tcp_next(e->state, dir, p->tcp_flags, fin0, fin1);
		if (next < 0)
			return -1;
		if (next == e->state && fin0 == e->fin[0] && fin1 == e->fin[1])
			return 0;
		e->fin[0] = fin0;
		e->fin[1] = fin1;
	} else {
		next = POLC_CT_UDP_REPLIED; /* the only other step: a UDP reply */
		if (next == e->state)
			return 0;
	}
	e->state = next;
	e->timeout_ns = polc_ct_timeout(cfg, next);
	return polc_ct_push_state(ct, stats, sc, k, e) ? 1 : 0;
}

/* ---- expiry and the twin -------------------------------------------------- */

/*
 * Entry e at k looks expired at now.  Returns 0 if the flow is alive after
 * all (its twin is fresh), else deletes both entries and returns -1.
 */
static __always_inline int polc_ct_stale(void *ct, void *stats,
					 struct polc_ct_scratch *sc,
					 const struct polc_ct_key *k,
					 struct polc_ct_entry *e, __u64 now)
{
	struct polc_ct_key *tk = &sc->pr.tk;
	struct polc_ct_entry *tw;

	polc_ct_twin_key(k, e, tk);
	tw = bpf_map_lookup_elem(ct, tk);
	if (tw && polc_ct_is_twin(k, tk, tw)) {
		if (!polc_ct_expired(tw, now))
			return 0;
		bpf_map_delete_elem(ct, tk);
		polc_count(stats, POLC_CT_STAT_EXPIRED, 0);
	}
	bpf_map_delete_elem(ct, k);
	polc_count(stats, POLC_CT_STAT_EXPIRED, 0);
	return -1;
}

/* ---- ICMP errors ------------------------------------------------------------ */

/* Is this ICMP/ICMPv6 message an error that quotes a packet? */
static __always_inline int polc_ct_is_icmp_error(const struct polc_pkt *p)
{
	if (!p->has_l4 || p->frag)
		return 0;
	if (p->l4proto == POLC_IPPROTO_ICMP)
		return p->icmp_type == 3 || p->icmp_type == 11 || p->icmp_type == 12;
	if (p->l4proto == POLC_IPPROTO_ICMPV6)
		return p->icmp_type >= 1 && p->icmp_type <= 4;
	return 0;
}

/*
 * The tuple of the packet an ICMP error quotes, reversed (the direction the
 * error travels) into k.  The quoted IPv4 header may have options; a quoted
 * IPv6 header must be followed directly by TCP, UDP or an echo.  1 on
 * success.
 */
static __always_inline int polc_ct_quoted_key(const struct polc_pkt *p, void *data,
					      void *data_end, struct polc_ct_key *k)
{
	__u32 src[4] = { 0 }, dst[4] = { 0 };
	__u32 off = p->l4_off;
	__u8 proto;
	__u8 *l4;

	if (off > POLC_CT_MAX_HDR_OFF)
		return 0;
	__u8 *q = data + polc_ct_bound_off(off) + 8;

	if (p->family == 4) {
		struct polc_iphdr *ip = (void *)q;
		if ((void *)(ip + 1) > data_end)
			return 0;
		if ((ip->ver_ihl >> 4) != 4 || (ip->ver_ihl & 0xf) < 5)
			return 0;
		if (polc_bswap16(ip->frag_off) & 0x1fff)
			return 0;
		proto = ip->protocol;
		src[0] = polc_bswap32(ip->saddr);
		dst[0] = polc_bswap32(ip->daddr);
		l4 = q + (ip->ver_ihl & 0xf) * 4;
	} else {
		struct polc_ipv6hdr *ip6 = (void *)q;
		if ((void *)(ip6 + 1) > data_end)
			return 0;
		proto = ip6->nexthdr;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			src[i] = polc_bswap32(ip6->saddr[i]);
			dst[i] = polc_bswap32(ip6->daddr[i]);
		}
		l4 = (void *)(ip6 + 1);
	}
	if ((void *)(l4 + 8) > data_end)
		return 0;
	__u16 a = ((__u16)l4[0] << 8) | l4[1], b = ((__u16)l4[2] << 8) | l4[3];
	__u16 sport, dport;
	if (proto == POLC_IPPROTO_TCP || proto == POLC_IPPROTO_UDP) {
		sport = a;
		dport = b;
	} else if (proto == (p->family == 4 ? POLC_IPPROTO_ICMP : POLC_IPPROTO_ICMPV6) &&
		   l4[0] == (p->family == 4 ? POLC_ICMP_ECHO_REQUEST : POLC_ICMPV6_ECHO_REQUEST)) {
		sport = ((__u16)l4[4] << 8) | l4[5];
		dport = l4[0];
	} else {
		return 0;
	}
	polc_ct_reverse(k, src, dst, sport, dport, proto, p->family);
	return 1;
}

/* ---- the implementation ----------------------------------------------------- */

/*
 * Look packet p up (c prepared by polc_ct_prepare()).  The body of the
 * per-policy <name>_ct_lookup().
 */
static __always_inline int polc_ct_lookup_impl(void *ct, void *cfgmap, void *stats,
					       void *scratch, const struct polc_pkt *p,
					       __u32 len, struct polc_ct *c)
{
	__u32 zero = 0;
	struct polc_ct_config *cfg;
	struct polc_ct_scratch *sc;
	struct polc_ct_entry *e;
	__u64 now;

	c->nat = 0;
	c->found = 0;
	cfg = bpf_map_lookup_elem(cfgmap, &zero);
	if (polc_unlikely(!cfg))
		return POLC_CT_UNTRACKED;
	if (polc_unlikely(c->related)) {
		c->trackable = 0;
		e = bpf_map_lookup_elem(ct, &c->key);
		if (!e || polc_ct_expired(e, polc_ct_clock(cfg)))
			return POLC_CT_UNTRACKED;
		polc_count(stats, POLC_CT_STAT_RELATED, len);
		return POLC_CT_RELATED;
	}
	c->trackable = polc_ct_key_of(p, &c->key);
	if (polc_unlikely(!c->trackable))
		return POLC_CT_UNTRACKED;
	e = bpf_map_lookup_elem(ct, &c->key);
	if (!e)
		return POLC_CT_NEW;
	now = polc_ct_clock(cfg);
	if (polc_unlikely(polc_ct_expired(e, now))) {
		sc = bpf_map_lookup_elem(scratch, &zero);
		if (!sc || polc_ct_stale(ct, stats, sc, &c->key, e, now))
			return POLC_CT_NEW;
	}
	if (polc_ct_is_syn(p)) {
		c->found = 1;
		return POLC_CT_NEW;
	}
	if (polc_unlikely(polc_ct_needs_step(e, p))) {
		sc = bpf_map_lookup_elem(scratch, &zero);
		if (!sc)
			return POLC_CT_NEW;
		int s = polc_ct_step(ct, stats, sc, cfg, &c->key, e, p);
		if (s < 0) {
			polc_count(stats, POLC_CT_STAT_INVALID, len);
			return POLC_CT_INVALID;
		}
		if (s > 0)
			return POLC_CT_NEW;
	}
	e->last_seen = now;
	e->packets++;
	e->bytes += len;
	if (polc_unlikely(now - e->synced > polc_ct_sync_ns(cfg))) {
		e->synced = now;
		sc = bpf_map_lookup_elem(scratch, &zero);
		if (!sc || polc_ct_push_state(ct, stats, sc, &c->key, e))
			return POLC_CT_NEW;
	}
	polc_ct_export(c, e);
	polc_count(stats, POLC_CT_STAT_ESTABLISHED, len);
	return e->dir == POLC_CT_DIR_FORWARD ? POLC_CT_FORWARD : POLC_CT_REPLY;
}

/*
 * Insert the reply entry tw at tk unless another live flow owns the key (an
 * owner that is dead is replaced; ok is scratch space).  0 on success.
 */
static __always_inline int polc_ct_claim(void *ct, const struct polc_ct_key *tk,
					 const struct polc_ct_entry *tw, __u64 now,
					 struct polc_ct_key *ok)
{
	struct polc_ct_entry *old;

	if (bpf_map_update_elem(ct, tk, tw, POLC_BPF_NOEXIST) == 0)
		return 0;
	old = bpf_map_lookup_elem(ct, tk);
	if (old) {
		struct polc_ct_entry *o2;

		if (!polc_ct_expired(old, now))
			return -1;
		/* dead by its own clock: is its flow's other entry alive? */
		polc_ct_twin_key(tk, old, ok);
		o2 = bpf_map_lookup_elem(ct, ok);
		if (o2 && polc_ct_is_twin(tk, ok, o2)) {
			if (!polc_ct_expired(o2, now))
				return -1;
			bpf_map_delete_elem(ct, ok);
		}
	}
	return bpf_map_update_elem(ct, tk, tw, POLC_BPF_ANY) ? -1 : 0;
}

/*
 * Candidate i: put its port into the reply key and claim that.  A bpf_loop()
 * callback, so the verifier checks it once however many probes run; it
 * does as little as possible (the reply entry does not depend on the port).
 * 1 (stop) when claimed.
 */
static int polc_ct_probe_one(__u32 i, void *arg)
{
	struct polc_ct_cell *cell = arg;
	struct polc_ct_probe *pr = &cell->sc->pr;
	__u16 port = pr->first;

	if (i > 0 && pr->range)
		port = pr->pmin + (pr->base + i) % pr->range;
	if (pr->icmp)
		pr->tk.sport = port;
	else
		pr->tk.dport = port;
	if (polc_ct_claim(cell->ct, &pr->tk, &cell->sc->f, pr->now, &pr->scratch))
		return 0;
	pr->ok = 1;
	return 1;
}

/* The translation of a flow without NAT: its own tuple. */
static __always_inline void polc_ct_identity(struct polc_ct_entry *f,
					     const struct polc_ct_key *k)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		f->xsrc[i] = k->src[i];
		f->xdst[i] = k->dst[i];
	}
	f->xsport = k->sport;
	f->xdport = k->dport;
}

/*
 * Is the existing forward entry e (a SYN hit it) a flow still opening with
 * the same rule?  Then the SYN is a retransmission: e is kept (and a DNAT
 * flow its backend).
 */
static __always_inline int polc_ct_is_retransmit(const struct polc_ct_entry *e, __u32 rule)
{
	return e->dir == POLC_CT_DIR_FORWARD && e->rule == rule &&
	       (e->state == POLC_CT_TCP_SYN_SENT || e->state == POLC_CT_TCP_SYN_RECV);
}

/*
 * Create a flow for packet p.  The body of the per-policy <name>_ct_create():
 * see there.
 */
static __always_inline int polc_ct_create_impl(void *ct, void *cfgmap, void *stats,
					       void *scratch, const struct polc_pkt *p,
					       __u32 len, __u32 rule,
					       const struct polc_ct_nat_req *nat,
					       struct polc_ct *c)
{
	__u32 zero = 0;
	struct polc_ct_config *cfg;
	struct polc_ct_scratch *sc;
	__u64 now;

	c->nat = 0;
	cfg = bpf_map_lookup_elem(cfgmap, &zero);
	sc = bpf_map_lookup_elem(scratch, &zero);
	if (!cfg || !sc || !c->trackable)
		return POLC_CT_ENOTRACK;
	struct polc_ct_entry *fp = &sc->f;
	struct polc_ct_probe *prp = &sc->pr;
#define f (*fp)
#define pr (*prp)
	if (!rule)
		polc_count(stats, POLC_CT_STAT_TRACKED, len);
	if (!polc_ct_can_open(p))
		return POLC_CT_ENOTRACK;
	now = polc_ct_clock(cfg);
	if (!rule && !c->found) {
		/* the companion: a forward packet after DNAT or SNAT has its
		 * reverse as a live reply key; nothing to record */
		struct polc_ct_entry *o;

		polc_ct_reverse(&pr.tk, c->key.src, c->key.dst, c->key.sport,
				c->key.dport, c->key.proto, c->key.family);
		o = bpf_map_lookup_elem(ct, &pr.tk);
		if (o && !polc_ct_expired(o, now))
			return POLC_CT_ENOTRACK;
	}
	if (c->found) {
		struct polc_ct_entry *old = bpf_map_lookup_elem(ct, &c->key), *ot;

		if (old && polc_ct_is_retransmit(old, rule)) {
			old->last_seen = now;
			old->packets++;
			old->bytes += len;
			polc_ct_export(c, old);
			return 0;
		}
		/* a new connection on the tuple of an old one: the old reply
		 * entry goes */
		if (old) {
			polc_ct_twin_key(&c->key, old, &pr.tk);
			ot = bpf_map_lookup_elem(ct, &pr.tk);
			if (ot && polc_ct_is_twin(&c->key, &pr.tk, ot))
				bpf_map_delete_elem(ct, &pr.tk);
		}
	}
	polc_ct_barrier();
	__builtin_memset(&f, 0, sizeof(f));
	f.state = polc_ct_initial_state(c->key.proto);
	f.timeout_ns = polc_ct_timeout(cfg, f.state);
	f.created = now;
	f.last_seen = now;
	f.synced = now;
	f.rule = rule;
	f.dir = POLC_CT_DIR_FORWARD;
	f.flags = rule ? 0 : POLC_CT_F_LOCAL;

	__u32 n = 1, range = 0, base = 0, pmin = 0;
	if (nat) {
		f.nat = nat->nat;
		f.flags |= nat->flags;
		f.backend = nat->backend;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			f.xsrc[i] = nat->xsrc[i];
			f.xdst[i] = nat->xdst[i];
		}
		f.xsport = nat->xsport;
		f.xdport = nat->xdport;
		if (nat->port_max && nat->port_max >= nat->port_min) {
			pmin = nat->port_min;
			range = (__u32)nat->port_max - pmin + 1;
			n = cfg->snat_probes ? cfg->snat_probes : POLC_NAT_SNAT_PROBES_DEFAULT;
			if (n > POLC_NAT_SNAT_MAX_PROBES)
				n = POLC_NAT_SNAT_MAX_PROBES;
			/* where probing starts: a hash of the flow */
			base = (c->key.src[0] ^ c->key.src[3]) * 0x9e3779b1u;
			base ^= (c->key.dst[0] ^ c->key.dst[3] ^ c->key.dport ^
				 ((__u32)c->key.sport << 16)) * 0x85ebca6bu;
			base ^= base >> 15;
			/* the natural port first, when the range has it */
			if (f.xsport < pmin || f.xsport > nat->port_max)
				f.xsport = pmin + base % range;
		}
	} else {
		polc_ct_identity(&f, &c->key);
	}
	polc_ct_barrier();

	/* f turns into the reply entry for the claims (it does not depend on
	 * the port), and back into the forward one with the port claimed */
	polc_ct_barrier();
	polc_ct_twin_key(&c->key, &f, &pr.tk);
	polc_ct_twinize(&f, &c->key);
	pr.now = now;
	/* the reply key's field that holds our source port: its destination
	 * port, or for an echo its identifier */
	pr.icmp = polc_ct_is_icmp(c->key.proto);
	pr.first = pr.icmp ? pr.tk.sport : pr.tk.dport;
	pr.range = range;
	pr.base = base;
	pr.pmin = pmin;
	pr.ok = 0;
	struct polc_ct_cell cell = { .ct = ct, .sc = sc };
	bpf_loop(n, polc_ct_probe_one, &cell, 0);
	polc_ct_barrier();
	polc_ct_twinize(&f, &pr.tk);
	if (!pr.ok) {
		if (range) {
			polc_count(stats, POLC_CT_STAT_NAT_EXHAUSTED, len);
			return POLC_CT_EEXHAUSTED;
		}
		polc_count(stats, POLC_CT_STAT_CONFLICT, len);
		return POLC_CT_ECONFLICT;
	}
	f.packets = 1;
	f.bytes = len;
	if (bpf_map_update_elem(ct, &c->key, &f, POLC_BPF_ANY)) {
		bpf_map_delete_elem(ct, &pr.tk);
		return POLC_CT_EMAP;
	}
	polc_count(stats, POLC_CT_STAT_CREATED, 0);
	polc_ct_export(c, &f);
	return 0;
#undef f
#undef pr
}


/* ---- the API ---------------------------------------------------------------- */

/*
 * The maps of a tracked policy, name_ct, name_ct_cfg, name_ct_stats and
 * name_ct_scratch (struct polc_ct_scratch), and its two functions.  They are global BPF functions: the verifier checks
 * each once, whatever the paths of the program that calls them.
 *
 * int name_ct_lookup(const struct polc_pkt *p, __u32 len, struct polc_ct *c)
 *	Look the packet up (c from POLC_CT_PREPARE()).  Returns enum
 *	polc_ct_result.  On FORWARD/REPLY the state was advanced, the entry's
 *	last_seen and counters updated, and c holds the flow's translation
 *	(c->nat) and rule.  A TCP SYN is NEW even when it hits an entry
 *	(c->found): it goes through the rules.
 *
 * int name_ct_create(const struct polc_pkt *p, __u32 len, __u32 rule,
 *		      const struct polc_ct_nat_req *nat, struct polc_ct *c)
 *	After a lookup said NEW and rule `rule` passed the packet: create the
 *	flow (both entries).  nat: the translation (polc_nat.h) or NULL.  The
 *	reply key is claimed first with BPF_NOEXIST: for SNAT each candidate
 *	source port in turn (the natural one, then linear probing from a hash
 *	of the flow, at most cfg->snat_probes).  A SYN on the tuple of an older
 *	connection replaces it, except a retransmission (same rule, flow still
 *	opening), which keeps the entry and its backend.  Rule 0 is the
 *	companion's: a flow the node opened (POLC_CT_F_LOCAL), not recorded
 *	when the packet is a known flow's after NAT (its reverse a reply key).
 *	0 (c->nat and the translation set for the packet) or a POLC_CT_E* code
 *	(counted in the stats).
 */
#define POLC_CT_DEFINE(name, entries)                                                   \
	struct {                                                                        \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                    \
		__uint(max_entries, entries);                                           \
		__type(key, struct polc_ct_key);                                        \
		__type(value, struct polc_ct_entry);                                    \
	} name##_ct SEC(".maps");                                                       \
	struct {                                                                        \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                       \
		__uint(max_entries, 1);                                                 \
		__type(key, __u32);                                                     \
		__type(value, struct polc_ct_config);                                   \
	} name##_ct_cfg SEC(".maps");                                                   \
	POLC_COUNTER_MAP(name##_ct_stats, POLC_CT_STAT_COUNT_);                         \
	struct {                                                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                \
		__uint(max_entries, 1);                                                 \
		__type(key, __u32);                                                     \
		__type(value, struct polc_ct_scratch);                                  \
	} name##_ct_scratch SEC(".maps");                                               \
	__noinline int name##_ct_lookup(const struct polc_pkt *p, __u32 len,            \
					struct polc_ct *c)                              \
	{                                                                               \
		if (!p || !c)                                                           \
			return POLC_CT_UNTRACKED;                                       \
		return polc_ct_lookup_impl(&name##_ct, &name##_ct_cfg,                  \
					   &name##_ct_stats, &name##_ct_scratch, p,     \
					   len, c);                                     \
	}                                                                               \
	__noinline int name##_ct_create(const struct polc_pkt *p, __u32 len,            \
					__u32 rule, const struct polc_ct_nat_req *nat,  \
					struct polc_ct *c)                              \
	{                                                                               \
		if (!p || !c)                                                           \
			return POLC_CT_ENOTRACK;                                        \
		return polc_ct_create_impl(&name##_ct, &name##_ct_cfg,                  \
					   &name##_ct_stats, &name##_ct_scratch, p,     \
					   len, rule, nat, c);                          \
	}

/*
 * An ICMP error's quoted tuple into c (c->related), per hook: global
 * functions that read the packet through the context, so that the program
 * itself touches no packet pointer after parsing (kept live, they would
 * keep the verifier from merging the parser's outcomes).
 */
__noinline int polc_ct_quote_xdp(struct xdp_md *ctx, const struct polc_pkt *p,
				 struct polc_ct *c)
{
	if (!ctx || !p || !c)
		return 0;
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	c->related = polc_ct_quoted_key(p, data, data_end, &c->key);
	return c->related;
}

__noinline int polc_ct_quote_tc(struct __sk_buff *skb, const struct polc_pkt *p,
				struct polc_ct *c)
{
	if (!skb || !p || !c)
		return 0;
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	c->related = polc_ct_quoted_key(p, data, data_end, &c->key);
	return c->related;
}

/*
 * Prepare c for a lookup of packet p: zeroed (the global functions read it
 * whole), and for an ICMP error the quoted packet's tuple, reversed
 * (hook: xdp or tc; ctx the program's context).
 */
#define POLC_CT_PREPARE(hook, ctx, p, c)                                 \
	do {                                                             \
		__builtin_memset(c, 0, sizeof(*(c)));                    \
		if (polc_unlikely(polc_ct_is_icmp_error(p)))             \
			polc_ct_quote_##hook(ctx, p, c);                 \
	} while (0)

/* Prepare and look up: what a tracked policy's program calls first. */
#define POLC_CT_LOOKUP(name, hook, ctx, p, len, c)                       \
	({                                                               \
		POLC_CT_PREPARE(hook, ctx, p, c);                        \
		name##_ct_lookup(p, len, c);                             \
	})

/*
 * The companion program's whole job (track only, never a verdict): look up;
 * a packet that can open a flow and belongs to none is recorded as a flow
 * the node opened.  The lookup's result, FORWARD for a flow just created;
 * c->nat as after a lookup.
 */
#define POLC_CT_TRACK(name, hook, ctx, p, len, c)                          \
	({                                                                 \
		int r_ = POLC_CT_LOOKUP(name, hook, ctx, p, len, c);       \
		if (r_ == POLC_CT_NEW && name##_ct_create(p, len, 0, 0, c) == 0) \
			r_ = POLC_CT_FORWARD;                              \
		r_;                                                        \
	})

/* Does a lookup result mean "pass without the rules"? */
static __always_inline int polc_ct_passes(int r)
{
	return r == POLC_CT_FORWARD || r == POLC_CT_REPLY || r == POLC_CT_RELATED;
}

#endif /* POLC_CT_H */
