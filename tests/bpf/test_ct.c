// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_ct.c: connection tracking (bpf-templates/polc_ct.h) in the kernel.
 *
 * The BPF program below, compiled with clang at test time next to the
 * embedded templates, is a tracked policy written by hand the way the
 * generator will write one: parse, conntrack lookup (a tracked flow's packet
 * passes with no rule), else the rules (pass tcp to port 80, udp to port 53,
 * echo requests; drop tcp to port 23; default drop) and a flow created for
 * what a rule passed.  It runs on XDP and on tc ingress, with its companion
 * on tc egress recording what the node sends; all share one table.  Packet
 * sequences go through them with BPF_PROG_TEST_RUN and the table is read
 * back: states, directions, counters, timeouts (the config map's clock
 * offset moves time), LRU pressure, twins rebuilt after eviction, ICMP
 * errors as related packets, IPv6, VLANs, fragments.  Then what the
 * established path costs next to XDP_PASS, and other table designs.
 *
 * The roles: C (198.51.100.7, 2001:db8:c::7) is a remote client, S
 * (192.0.2.10, 2001:db8:5::10) this node.  Ingress programs see C -> S, the
 * companion S -> C.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpf_harness.h"
#include "polc.h"
#include "polc_contract.h"

static const char prog_src[] =
	"#define POLC_PARSE_FLOW\n"
	"#include \"polc_xdp.h\"\n"
	"#include \"polc_tc.h\"\n"
	"#include \"polc_ct.h\"\n"
	"\n"
	"/*\n"
	" * A tracked policy written by hand, as the generator would:\n"
	" *\tpolicy ing { attach xdp | tc ingress; default drop; track\n"
	" *\t    pass tcp to port 80            # rule 1\n"
	" *\t    pass udp to port 53            # rule 2\n"
	" *\t    pass { icmp, icmpv6 } type echo-request   # rule 3\n"
	" *\t    drop tcp to port 23            # rule 4\n"
	" *\t}\n"
	" * on XDP (ing_xdp) and tc ingress (ing_tc), with its companion on tc egress\n"
	" * (ing_out); all share one table.\n"
	" */\n"
	"POLC_COUNTER_MAP(ing_rules, 4);\n"
	"POLC_COUNTER_MAP(ing_reasons, POLC_REASON_COUNT_);\n"
	"POLC_CT_DEFINE(ing, 4096)\n"
	"\n"
	"static __always_inline __u32 ing_classify(const struct polc_pkt *p)\n"
	"{\n"
	"\tif (p->l4proto == POLC_IPPROTO_TCP && p->has_l4 && p->dport == 80)\n"
	"\t\treturn POLC_MATCH(1, POLC_VERDICT_PASS);\n"
	"\tif (p->l4proto == POLC_IPPROTO_UDP && p->has_l4 && p->dport == 53)\n"
	"\t\treturn POLC_MATCH(2, POLC_VERDICT_PASS);\n"
	"\tif (p->has_l4 && ((p->family == 4 && p->l4proto == POLC_IPPROTO_ICMP && p->icmp_type == 8) ||\n"
	"\t\t\t  (p->family == 6 && p->l4proto == POLC_IPPROTO_ICMPV6 && p->icmp_type == 128)))\n"
	"\t\treturn POLC_MATCH(3, POLC_VERDICT_PASS);\n"
	"\tif (p->l4proto == POLC_IPPROTO_TCP && p->has_l4 && p->dport == 23)\n"
	"\t\treturn POLC_MATCH(4, POLC_VERDICT_DROP);\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"#define ING(hook, ctxtype)                                                              \\\n"
	"SEC(#hook) int ing_##hook(ctxtype *ctx)                                                 \\\n"
	"{                                                                                       \\\n"
	"\tstruct polc_pkt pkt;                                                            \\\n"
	"\tstruct polc_ct ct;                                                              \\\n"
	"\tvoid *data, *data_end;                                                          \\\n"
	"\t__u32 len, verdict, m;                                                          \\\n"
	"\tint r;                                                                          \\\n"
	"                                                                                        \\\n"
	"\tpolc_##hook##_load(ctx, &data, &data_end, &len);                                \\\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &ing_reasons, &verdict))          \\\n"
	"\t\treturn polc_##hook##_action(verdict);                                   \\\n"
	"\tr = POLC_CT_LOOKUP(ing, hook, ctx, &pkt, len, &ct);                             \\\n"
	"\tif (polc_ct_passes(r))                                                          \\\n"
	"\t\treturn polc_##hook##_action(POLC_VERDICT_PASS);                         \\\n"
	"\tm = ing_classify(&pkt);                                                         \\\n"
	"\tverdict = polc_finish(m, len, &ing_rules, &ing_reasons, POLC_VERDICT_DROP);     \\\n"
	"\tif (verdict == POLC_VERDICT_PASS && r == POLC_CT_NEW)                           \\\n"
	"\t\ting_ct_create(&pkt, len, POLC_MATCH_RULE(m), 0, &ct);                   \\\n"
	"\treturn polc_##hook##_action(verdict);                                           \\\n"
	"}\n"
	"\n"
	"ING(xdp, struct xdp_md)\n"
	"ING(tc, struct __sk_buff)\n"
	"\n"
	"/* The companion: records what the node sends, never drops. */\n"
	"SEC(\"tc\") int ing_out(struct __sk_buff *skb)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tstruct polc_ct ct;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len, verdict;\n"
	"\n"
	"\tpolc_tc_load(skb, &data, &data_end, &len);\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &ing_reasons, &verdict))\n"
	"\t\treturn TC_ACT_UNSPEC;\n"
	"\tPOLC_CT_TRACK(ing, tc, skb, &pkt, len, &ct);\n"
	"\treturn TC_ACT_UNSPEC;\n"
	"}\n"
	"\n"
	"/* ---- the cost of the established path, BPF_PROG_TEST_RUN ---- */\n"
	"\n"
	"/* The floor: a two-instruction program. */\n"
	"SEC(\"xdp\") int bench_pass(struct xdp_md *ctx)\n"
	"{\n"
	"\treturn XDP_PASS;\n"
	"}\n"
	"\n"
	"/* Parse only (what every policy pays). */\n"
	"SEC(\"xdp\") int bench_parse(struct xdp_md *ctx)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len, verdict;\n"
	"\n"
	"\tpolc_xdp_load(ctx, &data, &data_end, &len);\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &ing_reasons, &verdict))\n"
	"\t\treturn polc_xdp_action(verdict);\n"
	"\treturn pkt.dport == 80 ? XDP_PASS : XDP_DROP;\n"
	"}\n"
	"\n"
	"/*\n"
	" * Designs compared with the real one (ing_xdp on an established packet):\n"
	" * the same key and entry, looked up inline (no global function call) in\n"
	" * an LRU hash, a plain (preallocated) hash, an LRU hash with 16-byte IPv4\n"
	" * keys, and an open-addressed table on an ARRAY map: 4-slot buckets, one\n"
	" * verifier-inlined array lookup, a per-bucket sequence count for readers.\n"
	" */\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_HASH);\n"
	"\t__uint(max_entries, 262144);\n"
	"\t__type(key, struct polc_ct_key);\n"
	"\t__type(value, struct polc_ct_entry);\n"
	"} bench_hash SEC(\".maps\");\n"
	"\n"
	"struct bench_key4 {\n"
	"\t__u32 src, dst;\n"
	"\t__u16 sport, dport;\n"
	"\t__u8 proto, pad[3];\n"
	"};\n"
	"\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_LRU_HASH);\n"
	"\t__uint(max_entries, 262144);\n"
	"\t__type(key, struct bench_key4);\n"
	"\t__type(value, struct polc_ct_entry);\n"
	"} bench_lru4 SEC(\".maps\");\n"
	"\n"
	"struct bench_slot {\n"
	"\tstruct polc_ct_key k;\n"
	"\tstruct polc_ct_entry e;\n"
	"};\n"
	"\n"
	"struct bench_bucket {\n"
	"\t__u32 seq; /* odd while a writer changes the bucket */\n"
	"\t__u32 pad;\n"
	"\tstruct bench_slot s[4];\n"
	"};\n"
	"\n"
	"#define BENCH_BUCKETS 65536\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__uint(max_entries, BENCH_BUCKETS);\n"
	"\t__uint(map_flags, 1U << 10); /* BPF_F_MMAPABLE: filled by the test */\n"
	"\t__type(key, __u32);\n"
	"\t__type(value, struct bench_bucket);\n"
	"} bench_arr SEC(\".maps\");\n"
	"\n"
	"/* The bucket hash; the test has the same in C (bench_arr_hash()). */\n"
	"static __always_inline __u32 bench_hash_key(const struct polc_ct_key *k)\n"
	"{\n"
	"\tconst __u32 *w = (const __u32 *)k;\n"
	"\t__u32 h = 0x9747b28c;\n"
	"\n"
	"#pragma unroll\n"
	"\tfor (int i = 0; i < 10; i++) {\n"
	"\t\th ^= w[i];\n"
	"\t\th *= 0x01000193;\n"
	"\t\th ^= h >> 15;\n"
	"\t}\n"
	"\th *= 0x85ebca6b;\n"
	"\th ^= h >> 13;\n"
	"\treturn h;\n"
	"}\n"
	"\n"
	"/* The fast path's work on a found entry, as polc_ct_lookup_impl() does it. */\n"
	"static __always_inline int bench_hit(struct polc_ct_entry *e, const struct polc_pkt *p,\n"
	"\t\t\t\t     __u32 len, __u64 now)\n"
	"{\n"
	"\tif (polc_ct_expired(e, now) || polc_ct_needs_step(e, p))\n"
	"\t\treturn XDP_ABORTED;\n"
	"\te->last_seen = now;\n"
	"\te->packets++;\n"
	"\te->bytes += len;\n"
	"\treturn XDP_PASS;\n"
	"}\n"
	"\n"
	"#define BENCH_PROLOGUE                                                            \\\n"
	"\tstruct polc_pkt pkt;                                                      \\\n"
	"\tstruct polc_ct_key k;                                                     \\\n"
	"\tvoid *data, *data_end;                                                    \\\n"
	"\t__u32 len, verdict, zero = 0;                                             \\\n"
	"\tpolc_xdp_load(ctx, &data, &data_end, &len);                               \\\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &ing_reasons, &verdict))    \\\n"
	"\t\treturn polc_xdp_action(verdict);                                  \\\n"
	"\tstruct polc_ct_config *cfg = bpf_map_lookup_elem(&ing_ct_cfg, &zero);     \\\n"
	"\tif (!cfg || !polc_ct_key_of(&pkt, &k))                                    \\\n"
	"\t\treturn XDP_DROP;                                                  \\\n"
	"\t__u64 now = polc_ct_clock(cfg)\n"
	"\n"
	"SEC(\"xdp\") int bench_lru(struct xdp_md *ctx)\n"
	"{\n"
	"\tBENCH_PROLOGUE;\n"
	"\tstruct polc_ct_entry *e = bpf_map_lookup_elem(&ing_ct, &k);\n"
	"\treturn e ? bench_hit(e, &pkt, len, now) : XDP_DROP;\n"
	"}\n"
	"\n"
	"SEC(\"xdp\") int bench_hashmap(struct xdp_md *ctx)\n"
	"{\n"
	"\tBENCH_PROLOGUE;\n"
	"\tstruct polc_ct_entry *e = bpf_map_lookup_elem(&bench_hash, &k);\n"
	"\treturn e ? bench_hit(e, &pkt, len, now) : XDP_DROP;\n"
	"}\n"
	"\n"
	"SEC(\"xdp\") int bench_lru_v4key(struct xdp_md *ctx)\n"
	"{\n"
	"\tBENCH_PROLOGUE;\n"
	"\tstruct bench_key4 k4 = { .src = k.src[0], .dst = k.dst[0], .sport = k.sport,\n"
	"\t\t\t\t .dport = k.dport, .proto = k.proto };\n"
	"\tstruct polc_ct_entry *e = bpf_map_lookup_elem(&bench_lru4, &k4);\n"
	"\treturn e ? bench_hit(e, &pkt, len, now) : XDP_DROP;\n"
	"}\n"
	"\n"
	"SEC(\"xdp\") int bench_array(struct xdp_md *ctx)\n"
	"{\n"
	"\tBENCH_PROLOGUE;\n"
	"\t__u32 idx = bench_hash_key(&k) & (BENCH_BUCKETS - 1);\n"
	"\tstruct bench_bucket *b = bpf_map_lookup_elem(&bench_arr, &idx);\n"
	"\tif (!b)\n"
	"\t\treturn XDP_DROP;\n"
	"\t__u32 seq = *(volatile __u32 *)&b->seq;\n"
	"\tif (seq & 1)\n"
	"\t\treturn XDP_DROP; /* a writer is at work: the slow path */\n"
	"#pragma unroll\n"
	"\tfor (int i = 0; i < 4; i++) {\n"
	"\t\tif (polc_ct_key_eq(&b->s[i].k, &k)) {\n"
	"\t\t\tint r = bench_hit(&b->s[i].e, &pkt, len, now);\n"
	"\t\t\t/* what NAT needs would be copied out here, then: */\n"
	"\t\t\tasm volatile(\"\" ::: \"memory\");\n"
	"\t\t\treturn *(volatile __u32 *)&b->seq == seq ? r : XDP_DROP;\n"
	"\t\t}\n"
	"\t}\n"
	"\treturn XDP_DROP;\n"
	"}\n"
	"\n"
	"/*\n"
	" * The same, IPv4 only, compact: 16-byte keys, 64-byte slots (one cache\n"
	" * line: key, last_seen, timeout, counters, state, translated tuple), one\n"
	" * multiply for the hash.\n"
	" */\n"
	"struct bench_slot4 {\n"
	"\tstruct bench_key4 k;\n"
	"\t__u64 last_seen;\n"
	"\t__u64 packets, bytes;\n"
	"\t__u32 timeout_ms;\n"
	"\t__u8 state, dir, nat, flags;\n"
	"\t__u32 xsrc, xdst;\n"
	"\t__u16 xsport, xdport;\n"
	"\t__u32 rule;\n"
	"};\n"
	"\n"
	"struct bench_bucket4 {\n"
	"\tstruct bench_slot4 s[4];\n"
	"};\n"
	"\n"
	"struct {\n"
	"\t__uint(type, BPF_MAP_TYPE_ARRAY);\n"
	"\t__uint(max_entries, BENCH_BUCKETS);\n"
	"\t__uint(map_flags, 1U << 10);\n"
	"\t__type(key, __u32);\n"
	"\t__type(value, struct bench_bucket4);\n"
	"} bench_arr4 SEC(\".maps\");\n"
	"\n"
	"static __always_inline __u32 bench_hash4(const struct bench_key4 *k)\n"
	"{\n"
	"\t__u64 x = ((__u64)k->src << 32 | k->dst) ^\n"
	"\t\t  ((__u64)k->sport << 48 | (__u64)k->dport << 32 | k->proto) * 0x9e3779b97f4a7c15ull;\n"
	"\treturn (__u32)((x * 0xff51afd7ed558ccdull) >> 40);\n"
	"}\n"
	"\n"
	"SEC(\"xdp\") int bench_array_v4(struct xdp_md *ctx)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len, verdict, zero = 0;\n"
	"\n"
	"\tpolc_xdp_load(ctx, &data, &data_end, &len);\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &ing_reasons, &verdict))\n"
	"\t\treturn polc_xdp_action(verdict);\n"
	"\tstruct polc_ct_config *cfg = bpf_map_lookup_elem(&ing_ct_cfg, &zero);\n"
	"\tif (!cfg || pkt.family != 4 || !pkt.has_l4 || pkt.frag)\n"
	"\t\treturn XDP_DROP;\n"
	"\tstruct bench_key4 k = { .src = pkt.src[0], .dst = pkt.dst[0], .sport = pkt.sport,\n"
	"\t\t\t\t.dport = pkt.dport, .proto = pkt.l4proto };\n"
	"\t__u32 idx = bench_hash4(&k) & (BENCH_BUCKETS - 1);\n"
	"\tstruct bench_bucket4 *b = bpf_map_lookup_elem(&bench_arr4, &idx);\n"
	"\tif (!b)\n"
	"\t\treturn XDP_DROP;\n"
	"\t__u64 now = polc_ct_clock(cfg);\n"
	"#pragma unroll\n"
	"\tfor (int i = 0; i < 4; i++) {\n"
	"\t\tstruct bench_slot4 *s = &b->s[i];\n"
	"\t\tconst __u32 *a = (const __u32 *)&s->k, *w = (const __u32 *)&k;\n"
	"\t\tif (((a[0] ^ w[0]) | (a[1] ^ w[1]) | (a[2] ^ w[2]) | (a[3] ^ w[3])) == 0) {\n"
	"\t\t\tif ((now > s->last_seen && now - s->last_seen > (__u64)s->timeout_ms * 1000000) ||\n"
	"\t\t\t    s->state != POLC_CT_TCP_ESTABLISHED ||\n"
	"\t\t\t    (pkt.tcp_flags & (POLC_TCP_SYN | POLC_TCP_FIN | POLC_TCP_RST)))\n"
	"\t\t\t\treturn XDP_ABORTED;\n"
	"\t\t\ts->last_seen = now;\n"
	"\t\t\ts->packets++;\n"
	"\t\t\ts->bytes += len;\n"
	"\t\t\treturn XDP_PASS;\n"
	"\t\t}\n"
	"\t}\n"
	"\treturn XDP_DROP;\n"
	"}\n"
	"\n"
	"/* The two clocks. */\n"
	"SEC(\"xdp\") int bench_clock(struct xdp_md *ctx)\n"
	"{\n"
	"\treturn bpf_ktime_get_ns() & 1 ? XDP_PASS : XDP_PASS;\n"
	"}\n"
	"\n"
	"SEC(\"xdp\") int bench_clock_coarse(struct xdp_md *ctx)\n"
	"{\n"
	"\treturn bpf_ktime_get_coarse_ns() & 1 ? XDP_PASS : XDP_PASS;\n"
	"}\n"
	"\n"
	"char _license[] SEC(\"license\") = \"GPL\";\n";

/* ---- compiling and loading ---------------------------------------------- */

static char obj_path[PATH_MAX];

/* Compile src with the embedded templates into obj_path (once). */
static int compile_prog(const char *src, size_t src_len, const char *tag)
{
	return harness_build_c(tag, src, src_len, obj_path, sizeof(obj_path));
}

/* Open obj_path, give map `resize` (if any) `entries` elements, load. */
static struct bpf_object *load_obj(const char *resize, uint32_t entries)
{
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);

	assert_non_null(obj);
	if (resize) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, resize);
		assert_non_null(m);
		assert_int_equal(bpf_map__set_max_entries(m, entries), 0);
	}
	int err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "bpf_object__load: %s\n", strerror(-err));
		fail();
	}
	return obj;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	assert_non_null(p);
	return bpf_program__fd(p);
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	assert_non_null(m);
	return bpf_map__fd(m);
}

/* Run frame k once; the return code (and the frame as it left, if out). */
static int run(int fd, const struct pkt *k, struct pkt *out)
{
	static uint8_t buf[PKT_MAX_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = k->data, .data_size_in = (uint32_t)k->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	if (out) {
		*out = *k;
		assert_int_equal(opts.data_size_out, k->len);
		memcpy(out->data, buf, k->len);
	}
	return (int)opts.retval;
}

/* Sum of a per-CPU counter map's element. */
static struct polc_counter percpu_counter(int fd, uint32_t index)
{
	int ncpu = libbpf_num_possible_cpus();
	struct polc_counter *v = calloc((size_t)ncpu, sizeof(*v)), sum = { 0, 0 };

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(fd, &index, v), 0);
	for (int i = 0; i < ncpu; i++) {
		sum.packets += v[i].packets;
		sum.bytes += v[i].bytes;
	}
	free(v);
	return sum;
}

/* ---- the object under test ------------------------------------------------ */

struct hook {
	const char *name; /* the ingress program */
	int pass, drop;   /* its return codes */
};

static const struct hook hooks[] = {
	{ "ing_xdp", XDP_PASS, XDP_DROP },
	{ "ing_tc", -1 /* TC_ACT_UNSPEC */, 2 /* TC_ACT_SHOT */ },
};

struct t {
	struct bpf_object *obj;
	int in;  /* the ingress program of the hook under test */
	int out; /* the companion */
	const struct hook *h;
	int ct, cfg, stats, rules, reasons;
	struct polc_ct_config c; /* what the config map holds */
};

static struct t *t_open(uint32_t ct_entries)
{
	struct t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->obj = load_obj("ing_ct", ct_entries);
	t->out = prog_fd(t->obj, "ing_out");
	t->ct = map_fd(t->obj, "ing_ct");
	t->cfg = map_fd(t->obj, "ing_ct_cfg");
	t->stats = map_fd(t->obj, "ing_ct_stats");
	t->rules = map_fd(t->obj, "ing_rules");
	t->reasons = map_fd(t->obj, "ing_reasons");
	return t;
}

/* ns per jiffy, as polctl would fill it in: the coarse clock's resolution. */
static uint64_t tick_ns(void)
{
	struct timespec ts;

	assert_int_equal(clock_getres(CLOCK_MONOTONIC_COARSE, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cfg_write(struct t *t);

/* Test through this hook's ingress program.  Runs on tc use the jiffies
 * clock, runs on XDP the coarse clock helper: both are exercised. */
static void t_hook(struct t *t, const struct hook *h)
{
	t->h = h;
	t->in = prog_fd(t->obj, h->name);
	t->c.jiffy_ns = h == &hooks[1] ? tick_ns() : 0;
	cfg_write(t);
}

static void t_close(struct t *t)
{
	bpf_object__close(t->obj);
	free(t);
}

static void cfg_write(struct t *t)
{
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(t->cfg, &zero, &t->c, BPF_ANY), 0);
}

/* Move the conntrack clock forward. */
static void advance(struct t *t, double seconds)
{
	t->c.clock_offset_ns += (uint64_t)(seconds * 1e9);
	cfg_write(t);
}

/* Empty the table. */
static void ct_flush(struct t *t)
{
	struct polc_ct_key k, next;

	while (bpf_map_get_next_key(t->ct, NULL, &next) == 0) {
		k = next;
		assert_int_equal(bpf_map_delete_elem(t->ct, &k), 0);
	}
}

static unsigned ct_count(struct t *t)
{
	struct polc_ct_key k, next;
	unsigned n = 0;
	int err = bpf_map_get_next_key(t->ct, NULL, &next);

	while (err == 0) {
		n++;
		k = next;
		err = bpf_map_get_next_key(t->ct, &k, &next);
	}
	return n;
}

static uint64_t rule_packets(struct t *t, unsigned id)
{
	return percpu_counter(t->rules, id - 1).packets;
}

static uint64_t reason_packets(struct t *t, unsigned r)
{
	return percpu_counter(t->reasons, r).packets;
}

static uint64_t stat(struct t *t, unsigned s)
{
	return percpu_counter(t->stats, s).packets;
}

/* Addresses as polc_pkt holds them: host order words. */
static void addr_words(const char *text, uint8_t *family, uint32_t w[4])
{
	uint8_t b[16];

	memset(w, 0, 16);
	if (inet_pton(AF_INET, text, b) == 1) {
		*family = 4;
		w[0] = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, b), 1);
	*family = 6;
	for (int i = 0; i < 4; i++)
		w[i] = ((uint32_t)b[4 * i] << 24) | ((uint32_t)b[4 * i + 1] << 16) |
		       ((uint32_t)b[4 * i + 2] << 8) | b[4 * i + 3];
}

/* The key of a tuple (ICMP echo: sport is the identifier, dport the type). */
static struct polc_ct_key key(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			      uint16_t dport)
{
	struct polc_ct_key k;
	uint8_t f2;

	memset(&k, 0, sizeof(k));
	addr_words(src, &k.family, k.src);
	addr_words(dst, &f2, k.dst);
	assert_int_equal(k.family, f2);
	k.proto = proto;
	k.sport = sport;
	k.dport = dport;
	return k;
}

/* The entry at k, or false. */
static bool ct_get(struct t *t, const struct polc_ct_key *k, struct polc_ct_entry *e)
{
	return bpf_map_lookup_elem(t->ct, k, e) == 0;
}

/* The entry at k, which must exist. */
static struct polc_ct_entry ct_must(struct t *t, const struct polc_ct_key *k, int line)
{
	struct polc_ct_entry e;

	if (!ct_get(t, k, &e)) {
		fprintf(stderr, "line %d: no conntrack entry where one was expected\n", line);
		fail();
	}
	return e;
}
#define CT_MUST(t, k) ct_must(t, k, __LINE__)

static const char *const C4 = "198.51.100.7", *const S4 = "192.0.2.10";
static const char *const C6 = "2001:db8:c::7", *const S6 = "2001:db8:5::10";

/* TCP frames of a connection C:cport -> S:sport (fwd) or back (rev). */
static void tcp_fwd(struct pkt *k, int family, uint16_t cport, uint16_t sport, uint8_t flags,
		    size_t payload)
{
	if (family == 4)
		pkt_tcp4(k, C4, S4, cport, sport, flags, payload);
	else
		pkt_tcp6(k, C6, S6, cport, sport, flags, payload);
}

static void tcp_rev(struct pkt *k, int family, uint16_t cport, uint16_t sport, uint8_t flags,
		    size_t payload)
{
	if (family == 4)
		pkt_tcp4(k, S4, C4, sport, cport, flags, payload);
	else
		pkt_tcp6(k, S6, C6, sport, cport, flags, payload);
}

#define SYN PKT_TCP_SYN
#define ACK PKT_TCP_ACK
#define FIN PKT_TCP_FIN
#define RST PKT_TCP_RST
#define PSH PKT_TCP_PSH

/* A verdict of the ingress program. */
#define expect_in(t, k, want) \
	assert_int_equal(run((t)->in, k, NULL), (want) ? (t)->h->pass : (t)->h->drop)
/* The companion never drops. */
#define expect_out(t, k) assert_int_equal(run((t)->out, k, NULL), -1)

static struct t *T;

static int setup(void **state)
{
	T = t_open(4096);
	return 0;
}

static int teardown(void **state)
{
	t_close(T);
	T = NULL;
	return 0;
}

/* Fresh table and config before each test. */
static void reset(struct t *t)
{
	ct_flush(t);
	memset(&t->c, 0, sizeof(t->c));
	cfg_write(t);
}

/* ---- TCP -------------------------------------------------------------------- */

/* A handshake and data both ways: the SYN by rule 1, everything else by the
 * table; both entries' states, directions and counters. */
static void test_tcp_handshake(void **state)
{
	for (int family = 4; family <= 6; family += 2) {
		for (size_t h = 0; h < 2; h++) {
			struct t *t = T;
			struct pkt k;
			const char *c = family == 4 ? C4 : C6, *s = family == 4 ? S4 : S6;
			struct polc_ct_key fk = key(c, s, 6, 40000, 80), rk = key(s, c, 6, 80, 40000);

			reset(t);
			t_hook(t, &hooks[h]);
			uint64_t r1 = rule_packets(t, 1), est = stat(t, POLC_CT_STAT_ESTABLISHED);

			tcp_fwd(&k, family, 40000, 80, SYN, 0);
			expect_in(t, &k, true);
			assert_int_equal(rule_packets(t, 1), r1 + 1);
			struct polc_ct_entry f = CT_MUST(t, &fk), r = CT_MUST(t, &rk);
			assert_int_equal(f.state, POLC_CT_TCP_SYN_SENT);
			assert_int_equal(r.state, POLC_CT_TCP_SYN_SENT);
			assert_int_equal(f.dir, POLC_CT_DIR_FORWARD);
			assert_int_equal(r.dir, POLC_CT_DIR_REPLY);
			assert_int_equal(f.rule, 1);
			assert_int_equal(r.rule, 1);
			assert_int_equal(f.nat, 0);
			assert_int_equal(f.flags, 0);
			assert_int_equal(f.packets, 1);
			assert_int_equal(f.bytes, k.len);
			assert_int_equal(r.packets, 0);
			assert_int_equal(ct_count(t), 2);

			tcp_rev(&k, family, 40000, 80, SYN | ACK, 0);
			expect_out(t, &k);
			assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_SYN_RECV);
			assert_int_equal(CT_MUST(t, &rk).state, POLC_CT_TCP_SYN_RECV);

			tcp_fwd(&k, family, 40000, 80, ACK, 0);
			expect_in(t, &k, true);
			assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_ESTABLISHED);
			assert_int_equal(CT_MUST(t, &rk).state, POLC_CT_TCP_ESTABLISHED);

			size_t fbytes = 0, rbytes = 0;
			for (int i = 0; i < 3; i++) {
				tcp_fwd(&k, family, 40000, 80, ACK | PSH, 100 + i);
				expect_in(t, &k, true);
				fbytes += k.len;
				tcp_rev(&k, family, 40000, 80, ACK | PSH, 1000);
				expect_out(t, &k);
				rbytes += k.len;
			}
			/* no rule decided anything after the SYN */
			assert_int_equal(rule_packets(t, 1), r1 + 1);
			f = CT_MUST(t, &fk);
			r = CT_MUST(t, &rk);
			assert_int_equal(f.packets, 1 + 1 + 3); /* SYN, ACK, data */
			assert_int_equal(r.packets, 1 + 3);     /* SYN-ACK, data */
			assert_true(f.bytes > fbytes && r.bytes > rbytes);
			/* SYN-ACK, ACK and six data packets took the fast path */
			assert_int_equal(stat(t, POLC_CT_STAT_ESTABLISHED), est + 8);
			assert_int_equal(f.state, POLC_CT_TCP_ESTABLISHED);
			assert_int_equal(ct_count(t), 2);
		}
	}
}

/* The node opens a connection: the companion records it, replies pass the
 * default-drop ingress; a reply-looking packet of no flow is dropped. */
static void test_node_opened(void **state)
{
	for (size_t h = 0; h < 2; h++) {
		struct t *t = T;
		struct pkt k;
		struct polc_ct_key fk = key(S4, C4, 6, 50000, 443), rk = key(C4, S4, 6, 443, 50000);

		reset(t);
		t_hook(t, &hooks[h]);
		uint64_t dflt = reason_packets(t, POLC_REASON_DEFAULT);

		/* without the flow, the reply is dropped by the default */
		pkt_tcp4(&k, C4, S4, 443, 50000, SYN | ACK, 0);
		expect_in(t, &k, false);
		assert_int_equal(reason_packets(t, POLC_REASON_DEFAULT), dflt + 1);

		pkt_tcp4(&k, S4, C4, 50000, 443, SYN, 0);
		expect_out(t, &k);
		struct polc_ct_entry f = CT_MUST(t, &fk);
		assert_int_equal(f.rule, 0);
		assert_int_equal(f.flags, POLC_CT_F_LOCAL);
		assert_int_equal(f.state, POLC_CT_TCP_SYN_SENT);
		assert_int_equal(CT_MUST(t, &rk).dir, POLC_CT_DIR_REPLY);

		pkt_tcp4(&k, C4, S4, 443, 50000, SYN | ACK, 0);
		expect_in(t, &k, true);
		pkt_tcp4(&k, S4, C4, 50000, 443, ACK, 0);
		expect_out(t, &k);
		pkt_tcp4(&k, C4, S4, 443, 50000, ACK | PSH, 500);
		expect_in(t, &k, true);
		assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_ESTABLISHED);
		/* nothing went to the default or a rule */
		assert_int_equal(reason_packets(t, POLC_REASON_DEFAULT), dflt + 1);

		/* another port of the same peers is not part of it */
		pkt_tcp4(&k, C4, S4, 443, 50001, ACK, 0);
		expect_in(t, &k, false);
		/* nor does the companion record what is not an opening */
		pkt_tcp4(&k, S4, C4, 50002, 443, ACK, 0);
		expect_out(t, &k);
		assert_int_equal(ct_count(t), 2);
	}
}

/* An orderly close: FIN one way (FIN_WAIT), FIN the other (CLOSE), the last
 * ACK still passes; after the close timeout the flow is gone and a late ACK
 * is the rules' (rule 1 passes it, no entry is made). */
static void test_fin_close(void **state)
{
	for (size_t h = 0; h < 2; h++) {
		struct t *t = T;
		struct pkt k;
		struct polc_ct_key fk = key(C4, S4, 6, 40001, 80), rk = key(S4, C4, 6, 80, 40001);

		reset(t);
		t_hook(t, &hooks[h]);
		tcp_fwd(&k, 4, 40001, 80, SYN, 0);
		expect_in(t, &k, true);
		tcp_rev(&k, 4, 40001, 80, SYN | ACK, 0);
		expect_out(t, &k);
		tcp_fwd(&k, 4, 40001, 80, ACK, 0);
		expect_in(t, &k, true);

		tcp_fwd(&k, 4, 40001, 80, FIN | ACK, 0);
		expect_in(t, &k, true);
		struct polc_ct_entry f = CT_MUST(t, &fk), r = CT_MUST(t, &rk);
		assert_int_equal(f.state, POLC_CT_TCP_FIN_WAIT);
		assert_int_equal(r.state, POLC_CT_TCP_FIN_WAIT);
		assert_int_equal(f.fin[0], 1);
		assert_int_equal(f.fin[1], 0);
		assert_int_equal(r.fin[0], 1);
		/* data the other way still flows in a half-close */
		tcp_rev(&k, 4, 40001, 80, ACK | PSH, 200);
		expect_out(t, &k);
		assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_FIN_WAIT);

		tcp_rev(&k, 4, 40001, 80, FIN | ACK, 0);
		expect_out(t, &k);
		f = CT_MUST(t, &fk);
		assert_int_equal(f.state, POLC_CT_TCP_CLOSE);
		assert_int_equal(CT_MUST(t, &rk).state, POLC_CT_TCP_CLOSE);
		assert_int_equal(f.fin[1], 1);
		assert_int_equal(f.timeout_ns, POLC_CT_TIMEOUT_CLOSE_S * 1000000000ull);

		uint64_t r1 = rule_packets(t, 1);
		tcp_fwd(&k, 4, 40001, 80, ACK, 0);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 1), r1);

		uint64_t expired = stat(t, POLC_CT_STAT_EXPIRED);
		advance(t, POLC_CT_TIMEOUT_CLOSE_S + 1);
		tcp_fwd(&k, 4, 40001, 80, ACK, 0);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 1), r1 + 1);
		assert_int_equal(stat(t, POLC_CT_STAT_EXPIRED), expired + 2);
		assert_int_equal(ct_count(t), 0);
	}
}

/* Simultaneous close: both FINs before either ACK still ends in CLOSE. */
static void test_simultaneous_close(void **state)
{
	struct t *t = T;
	struct pkt k;
	struct polc_ct_key fk = key(C4, S4, 6, 40002, 80);

	reset(t);
	t_hook(t, &hooks[0]);
	tcp_fwd(&k, 4, 40002, 80, SYN, 0);
	expect_in(t, &k, true);
	tcp_rev(&k, 4, 40002, 80, SYN | ACK, 0);
	expect_out(t, &k);
	tcp_fwd(&k, 4, 40002, 80, ACK, 0);
	expect_in(t, &k, true);
	tcp_rev(&k, 4, 40002, 80, FIN | ACK, 0);
	expect_out(t, &k);
	tcp_fwd(&k, 4, 40002, 80, FIN | ACK, 0);
	expect_in(t, &k, true);
	struct polc_ct_entry f = CT_MUST(t, &fk);
	assert_int_equal(f.state, POLC_CT_TCP_CLOSE);
	assert_int_equal(f.fin[0] + f.fin[1], 2);
}

/* A RST from either side closes at once; stragglers pass until the close
 * timeout; a new SYN on the tuple is a new connection (through the rules). */
static void test_rst(void **state)
{
	for (int side = 0; side < 2; side++) {
		struct t *t = T;
		struct pkt k;
		struct polc_ct_key fk = key(C4, S4, 6, 40003, 80);

		reset(t);
		t_hook(t, &hooks[side]);
		tcp_fwd(&k, 4, 40003, 80, SYN, 0);
		expect_in(t, &k, true);
		tcp_rev(&k, 4, 40003, 80, SYN | ACK, 0);
		expect_out(t, &k);
		tcp_fwd(&k, 4, 40003, 80, ACK, 0);
		expect_in(t, &k, true);
		if (side) {
			tcp_rev(&k, 4, 40003, 80, RST, 0);
			expect_out(t, &k);
		} else {
			tcp_fwd(&k, 4, 40003, 80, RST | ACK, 0);
			expect_in(t, &k, true);
		}
		assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_CLOSE);
		uint64_t r1 = rule_packets(t, 1);
		tcp_fwd(&k, 4, 40003, 80, ACK, 10);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 1), r1);

		uint64_t created = stat(t, POLC_CT_STAT_CREATED);
		tcp_fwd(&k, 4, 40003, 80, SYN, 0);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 1), r1 + 1);
		assert_int_equal(stat(t, POLC_CT_STAT_CREATED), created + 1);
		assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_SYN_SENT);
		assert_int_equal(ct_count(t), 2);
	}
	/* a RST answering the node's SYN (connection refused) passes too */
	struct t *t = T;
	struct pkt k;
	reset(t);
	t_hook(t, &hooks[0]);
	pkt_tcp4(&k, S4, C4, 50010, 443, SYN, 0);
	expect_out(t, &k);
	pkt_tcp4(&k, C4, S4, 443, 50010, RST | ACK, 0);
	expect_in(t, &k, true);
	struct polc_ct_key fk = key(S4, C4, 6, 50010, 443);
	assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_CLOSE);
}

/* Only a SYN opens a TCP flow: an ACK of an unknown connection is the rules'
 * (rule 1 passes it statelessly) and leaves no entry; a SYN+ACK, a SYN+RST
 * do not open one either. */
static void test_non_syn_no_entry(void **state)
{
	for (size_t h = 0; h < 2; h++) {
		struct t *t = T;
		struct pkt k;
		static const uint8_t flags[] = { ACK, ACK | PSH, FIN | ACK, SYN | ACK, SYN | RST,
						 SYN | FIN, RST };

		reset(t);
		t_hook(t, &hooks[h]);
		for (size_t i = 0; i < sizeof(flags); i++) {
			uint64_t r1 = rule_packets(t, 1);
			tcp_fwd(&k, 4, 41000, 80, flags[i], 20);
			expect_in(t, &k, true);
			assert_int_equal(rule_packets(t, 1), r1 + 1);
			assert_int_equal(ct_count(t), 0);
		}
		/* and what a rule drops leaves nothing */
		tcp_fwd(&k, 4, 41001, 23, SYN, 0);
		expect_in(t, &k, false);
		assert_int_equal(ct_count(t), 0);
	}
}

/* A SYN always goes through the rules: a retransmitted one keeps its flow
 * (same creation time); one on an established connection's tuple makes a new
 * flow. */
static void test_syn_goes_to_rules(void **state)
{
	struct t *t = T;
	struct pkt k;
	struct polc_ct_key fk = key(C4, S4, 6, 40004, 80);

	reset(t);
	t_hook(t, &hooks[0]);
	tcp_fwd(&k, 4, 40004, 80, SYN, 0);
	expect_in(t, &k, true);
	uint64_t created = CT_MUST(t, &fk).created, r1 = rule_packets(t, 1);
	advance(t, 1);
	tcp_fwd(&k, 4, 40004, 80, SYN, 0);
	expect_in(t, &k, true);
	assert_int_equal(rule_packets(t, 1), r1 + 1);
	struct polc_ct_entry f = CT_MUST(t, &fk);
	assert_true(f.created == created);
	assert_int_equal(f.packets, 2);

	tcp_rev(&k, 4, 40004, 80, SYN | ACK, 0);
	expect_out(t, &k);
	tcp_fwd(&k, 4, 40004, 80, ACK, 0);
	expect_in(t, &k, true);
	assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_ESTABLISHED);
	advance(t, 1);
	tcp_fwd(&k, 4, 40004, 80, SYN, 0);
	expect_in(t, &k, true);
	assert_int_equal(rule_packets(t, 1), r1 + 2);
	f = CT_MUST(t, &fk);
	assert_int_equal(f.state, POLC_CT_TCP_SYN_SENT);
	assert_true(f.created > created);
	assert_int_equal(f.packets, 1);
	assert_int_equal(ct_count(t), 2);
}

/* A reply its state does not admit is INVALID: the rules decide it (the
 * default drops it) and it changes nothing. */
static void test_invalid(void **state)
{
	for (size_t h = 0; h < 2; h++) {
		struct t *t = T;
		struct pkt k;
		struct polc_ct_key fk = key(S4, C4, 6, 50003, 443);

		reset(t);
		t_hook(t, &hooks[h]);
		pkt_tcp4(&k, S4, C4, 50003, 443, SYN, 0);
		expect_out(t, &k);
		uint64_t inv = stat(t, POLC_CT_STAT_INVALID);
		/* data before any SYN-ACK */
		pkt_tcp4(&k, C4, S4, 443, 50003, ACK | PSH, 100);
		expect_in(t, &k, false);
		assert_int_equal(stat(t, POLC_CT_STAT_INVALID), inv + 1);
		struct polc_ct_entry f = CT_MUST(t, &fk);
		assert_int_equal(f.state, POLC_CT_TCP_SYN_SENT);
		/* the flow still works */
		pkt_tcp4(&k, C4, S4, 443, 50003, SYN | ACK, 0);
		expect_in(t, &k, true);
		assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_SYN_RECV);
	}
}

/* ---- UDP and ICMP ------------------------------------------------------------ */

/* A request by rule 2, its response through the table (UDP_REPLIED); the node's
 * own query and its answer under default drop. */
static void test_udp(void **state)
{
	for (size_t h = 0; h < 2; h++) {
		struct t *t = T;
		struct pkt k;
		struct polc_ct_key fk = key(C4, S4, 17, 5353, 53);

		reset(t);
		t_hook(t, &hooks[h]);
		uint64_t r2 = rule_packets(t, 2);
		pkt_udp4(&k, C4, S4, 5353, 53, 30);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 2), r2 + 1);
		struct polc_ct_entry f = CT_MUST(t, &fk);
		assert_int_equal(f.state, POLC_CT_UDP_ONEWAY);
		assert_int_equal(f.timeout_ns, POLC_CT_TIMEOUT_UDP_ONEWAY_S * 1000000000ull);
		pkt_udp4(&k, C4, S4, 5353, 53, 31);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 2), r2 + 1);
		pkt_udp4(&k, S4, C4, 53, 5353, 300);
		expect_out(t, &k);
		f = CT_MUST(t, &fk);
		assert_int_equal(f.state, POLC_CT_UDP_REPLIED);
		assert_int_equal(f.timeout_ns, POLC_CT_TIMEOUT_UDP_REPLIED_S * 1000000000ull);
		assert_int_equal(f.packets, 2);

		/* the node asks a server; the answer passes, another port's not */
		pkt_udp4(&k, S4, C4, 33333, 53, 40);
		expect_out(t, &k);
		pkt_udp4(&k, C4, S4, 53, 33333, 200);
		expect_in(t, &k, true);
		pkt_udp4(&k, C4, S4, 53, 33334, 200);
		expect_in(t, &k, false);
		struct polc_ct_key lk = key(S4, C4, 17, 33333, 53);
		f = CT_MUST(t, &lk);
		assert_int_equal(f.flags, POLC_CT_F_LOCAL);
		assert_int_equal(f.state, POLC_CT_UDP_REPLIED);
		assert_int_equal(ct_count(t), 4);
	}
}

/* An echo request or reply with 56 bytes of data. */
static void echo_frame(struct pkt *k, int family, const char *src, const char *dst, uint8_t type,
		       uint16_t id)
{
	pkt_init(k);
	pkt_eth(k);
	if (family == 4) {
		pkt_ipv4(k, &(struct pkt_ip){ .src = src, .dst = dst });
		pkt_icmp(k, type, 0, id, 1);
	} else {
		pkt_ipv6(k, &(struct pkt_ip){ .src = src, .dst = dst });
		pkt_icmpv6(k, type, 0, id, 1);
	}
	pkt_payload(k, 56);
	pkt_finish(k);
}

/* Echo: a ping by rule 3 and its reply; the node's ping and its reply under
 * default drop; a reply with another identifier, and a request the other
 * way with the same identifier, are not part of the flow. */
static void test_icmp_echo(void **state)
{
	for (int family = 4; family <= 6; family += 2) {
		for (size_t h = 0; h < 2; h++) {
			struct t *t = T;
			struct pkt k;
			const char *c = family == 4 ? C4 : C6, *s = family == 4 ? S4 : S6;
			uint8_t proto = family == 4 ? 1 : 58;
			uint8_t req = family == 4 ? 8 : 128, rep = family == 4 ? 0 : 129;

			reset(t);
			t_hook(t, &hooks[h]);
			uint64_t r3 = rule_packets(t, 3);
			echo_frame(&k, family, c, s, req, 0x1234);
			expect_in(t, &k, true);
			assert_int_equal(rule_packets(t, 3), r3 + 1);
			struct polc_ct_key fk = key(c, s, proto, 0x1234, req),
					   rk = key(s, c, proto, 0x1234, rep);
			assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_ICMP_ECHO);
			assert_int_equal(CT_MUST(t, &rk).dir, POLC_CT_DIR_REPLY);
			echo_frame(&k, family, s, c, rep, 0x1234);
			expect_out(t, &k);
			assert_int_equal(CT_MUST(t, &rk).packets, 1);

			/* the node pings */
			echo_frame(&k, family, s, c, req, 0x77);
			expect_out(t, &k);
			echo_frame(&k, family, c, s, rep, 0x77);
			expect_in(t, &k, true);
			echo_frame(&k, family, c, s, rep, 0x78);
			expect_in(t, &k, false);
			/* C pinging with the node's identifier: a new flow, by rule 3 */
			echo_frame(&k, family, c, s, req, 0x77);
			expect_in(t, &k, true);
			assert_int_equal(rule_packets(t, 3), r3 + 2);
			assert_int_equal(ct_count(t), 6);
		}
	}
}

/* The IP header and first 8 bytes of frame q, as an ICMP error quotes them. */
static size_t quote(const struct pkt *q, uint8_t *out)
{
	const struct pkt_layer *ip = pkt_ip(q), *l4 = pkt_l4(q);

	size_t n = (size_t)(l4->off - ip->off) + 8;
	memcpy(out, q->data + ip->off, n);
	return n;
}

/* ICMP errors quoting a tracked flow's packet are RELATED and pass; quoting
 * anything else they are the rules' (dropped). */
static void test_icmp_related(void **state)
{
	for (int family = 4; family <= 6; family += 2) {
		for (size_t h = 0; h < 2; h++) {
			struct t *t = T;
			struct pkt k, q;
			uint8_t body[128];
			const char *c = family == 4 ? C4 : C6, *s = family == 4 ? S4 : S6;
			const char *router = family == 4 ? "203.0.113.1" : "2001:db8:ffff::1";
			/* unreachable / too big */
			uint8_t type = family == 4 ? 3 : 2, code = family == 4 ? 4 : 0;

			reset(t);
			t_hook(t, &hooks[h]);
			/* the node opens a connection and a UDP flow */
			if (family == 4)
				pkt_tcp4(&q, s, c, 50020, 443, SYN, 0);
			else
				pkt_tcp6(&q, s, c, 50020, 443, SYN, 0);
			expect_out(t, &q);
			for (int tracked = 1; tracked >= 0; tracked--) {
				if (!tracked) {
					if (family == 4)
						pkt_tcp4(&q, s, c, 50021, 443, SYN, 0);
					else
						pkt_tcp6(&q, s, c, 50021, 443, SYN, 0);
				}
				size_t n = quote(&q, body);
				pkt_init(&k);
				pkt_eth(&k);
				if (family == 4) {
					pkt_ipv4(&k, &(struct pkt_ip){ .src = router, .dst = s });
					pkt_icmp(&k, type, code, 0, 1400);
				} else {
					pkt_ipv6(&k, &(struct pkt_ip){ .src = router, .dst = s });
					pkt_icmpv6(&k, type, code, 0, 1280);
				}
				pkt_payload_data(&k, body, n);
				pkt_finish(&k);
				uint64_t rel = stat(t, POLC_CT_STAT_RELATED);
				expect_in(t, &k, tracked);
				assert_int_equal(stat(t, POLC_CT_STAT_RELATED), rel + tracked);
			}
			/* and about the node's ping */
			pkt_init(&q);
			pkt_eth(&q);
			if (family == 4) {
				pkt_ipv4(&q, &(struct pkt_ip){ .src = s, .dst = c });
				pkt_icmp(&q, 8, 0, 0x99, 1);
			} else {
				pkt_ipv6(&q, &(struct pkt_ip){ .src = s, .dst = c });
				pkt_icmpv6(&q, 128, 0, 0x99, 1);
			}
			pkt_finish(&q);
			expect_out(t, &q);
			size_t n = quote(&q, body);
			pkt_init(&k);
			pkt_eth(&k);
			if (family == 4) {
				pkt_ipv4(&k, &(struct pkt_ip){ .src = router, .dst = s });
				pkt_icmp(&k, 11, 0, 0, 0); /* time exceeded */
			} else {
				pkt_ipv6(&k, &(struct pkt_ip){ .src = router, .dst = s });
				pkt_icmpv6(&k, 3, 0, 0, 0);
			}
			pkt_payload_data(&k, body, n);
			pkt_finish(&k);
			expect_in(t, &k, true);
		}
	}
}

/* ---- time ---------------------------------------------------------------------- */

/* Timeouts: an idle UDP flow expires (both entries deleted when met, the next
 * packet is new again); a configured short timeout; a one-way flow keeps its
 * idle reply entry alive (synced, or asked when it looks expired). */
static void test_timeouts(void **state)
{
	struct t *t = T;
	struct pkt k;
	struct polc_ct_key fk = key(C4, S4, 17, 6000, 53), rk = key(S4, C4, 17, 53, 6000);

	for (size_t h = 0; h < 2; h++) {
		reset(t);
		t_hook(t, &hooks[h]);
		pkt_udp4(&k, C4, S4, 6000, 53, 10);
		expect_in(t, &k, true);
		uint64_t created = CT_MUST(t, &fk).created;
		advance(t, POLC_CT_TIMEOUT_UDP_ONEWAY_S - 1);
		pkt_udp4(&k, C4, S4, 6000, 53, 10);
		uint64_t r2 = rule_packets(t, 2), exp = stat(t, POLC_CT_STAT_EXPIRED);
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 2), r2); /* still the flow's */
		advance(t, POLC_CT_TIMEOUT_UDP_ONEWAY_S + 1);
		/* idle too long: both entries go, the packet is new (rule 2) */
		expect_in(t, &k, true);
		assert_int_equal(rule_packets(t, 2), r2 + 1);
		assert_int_equal(stat(t, POLC_CT_STAT_EXPIRED), exp + 2);
		assert_true(CT_MUST(t, &fk).created > created);
		assert_int_equal(ct_count(t), 2);
	}

	/* short timeouts from the config */
	reset(t);
	t_hook(t, &hooks[0]);
	t->c.timeout_ns[POLC_CT_TCP_ESTABLISHED] = 2000000000ull;
	cfg_write(t);
	struct polc_ct_key tk = key(C4, S4, 6, 40010, 80);
	tcp_fwd(&k, 4, 40010, 80, SYN, 0);
	expect_in(t, &k, true);
	tcp_rev(&k, 4, 40010, 80, SYN | ACK, 0);
	expect_out(t, &k);
	tcp_fwd(&k, 4, 40010, 80, ACK, 0);
	expect_in(t, &k, true);
	assert_int_equal(CT_MUST(t, &tk).timeout_ns, 2000000000ull);
	advance(t, 1.5);
	tcp_fwd(&k, 4, 40010, 80, ACK, 0);
	uint64_t r1 = rule_packets(t, 1);
	expect_in(t, &k, true);
	assert_int_equal(rule_packets(t, 1), r1);
	advance(t, 2.5);
	expect_in(t, &k, true); /* rule 1 now, statelessly */
	assert_int_equal(rule_packets(t, 1), r1 + 1);
	assert_int_equal(ct_count(t), 0);

	/* the node streams one way for 100 s (a packet every 10 s); the answer at
	 * the end still passes the default-drop ingress: the idle reply entry was
	 * kept fresh by its twin (sync), or, with sync off, its twin vouches */
	for (int sync = 1; sync >= 0; sync--) {
		reset(t);
		t_hook(t, &hooks[0]);
		if (!sync) {
			t->c.sync_ns = 1000000000000ull;
			cfg_write(t);
		}
		struct polc_ct_key lk = key(S4, C4, 17, 7000, 514), lrk = key(C4, S4, 17, 514, 7000);
		for (int i = 0; i <= 10; i++) {
			pkt_udp4(&k, S4, C4, 7000, 514, 100);
			expect_out(t, &k);
			advance(t, 10);
		}
		struct polc_ct_entry r = CT_MUST(t, &lrk), f = CT_MUST(t, &lk);
		if (sync)
			assert_true(f.last_seen - r.last_seen <= 10000000000ull);
		else
			assert_true(f.last_seen - r.last_seen >= 90000000000ull);
		uint64_t exp = stat(t, POLC_CT_STAT_EXPIRED);
		pkt_udp4(&k, C4, S4, 514, 7000, 50);
		expect_in(t, &k, true);
		assert_int_equal(stat(t, POLC_CT_STAT_EXPIRED), exp);
		assert_int_equal(CT_MUST(t, &lk).state, POLC_CT_UDP_REPLIED);
	}
	(void)rk;
}

/* ---- the table under pressure ----------------------------------------------------- */

/* More flows than the table holds: LRU makes room, the newest flows are all
 * there, and the table never holds more than its size.  A twin lost to
 * eviction is rebuilt from the other entry (HEALED) and replies pass again. */
static void test_lru_pressure(void **state)
{
	struct t *t = t_open(512);
	struct pkt k;

	reset(t);
	t_hook(t, &hooks[0]);
	for (unsigned i = 0; i < 3000; i++) {
		char src[32];
		snprintf(src, sizeof(src), "198.51.%u.%u", 100 + i / 250, 1 + i % 250);
		pkt_udp4(&k, src, S4, (uint16_t)(10000 + i), 53, 10);
		expect_in(t, &k, true);
	}
	unsigned n = ct_count(t);
	printf("  3000 flows into a 512-entry table: %u entries\n", n);
	assert_true(n <= 512 && n >= 256);
	/* the latest flows are complete */
	unsigned whole = 0;
	for (unsigned i = 2990; i < 3000; i++) {
		char src[32];
		snprintf(src, sizeof(src), "198.51.%u.%u", 100 + i / 250, 1 + i % 250);
		struct polc_ct_key fk = key(src, S4, 17, (uint16_t)(10000 + i), 53),
				   rk = key(S4, src, 17, 53, (uint16_t)(10000 + i));
		struct polc_ct_entry e;
		whole += ct_get(t, &fk, &e) && ct_get(t, &rk, &e);
	}
	assert_int_equal(whole, 10);

	/* eviction of one twin (here: by hand) */
	struct polc_ct_key fk = key(C4, S4, 17, 9999, 53), rk = key(S4, C4, 17, 53, 9999);
	pkt_udp4(&k, C4, S4, 9999, 53, 10);
	expect_in(t, &k, true);
	assert_int_equal(bpf_map_delete_elem(t->ct, &rk), 0);
	uint64_t healed = stat(t, POLC_CT_STAT_HEALED);
	advance(t, 2); /* past the sync interval */
	expect_in(t, &k, true);
	assert_int_equal(stat(t, POLC_CT_STAT_HEALED), healed + 1);
	struct polc_ct_entry r = CT_MUST(t, &rk);
	assert_int_equal(r.dir, POLC_CT_DIR_REPLY);
	assert_int_equal(r.rule, 2);
	assert_true(CT_MUST(t, &fk).packets == 2);
	/* and the same from the other side: lose the forward entry, a reply
	 * rebuilds it on a state change */
	assert_int_equal(bpf_map_delete_elem(t->ct, &fk), 0);
	pkt_udp4(&k, S4, C4, 53, 9999, 10);
	expect_out(t, &k);
	assert_int_equal(stat(t, POLC_CT_STAT_HEALED), healed + 2);
	assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_UDP_REPLIED);
	t_close(t);
}

/* ---- what the parser gives conntrack --------------------------------------------- */

/* VLAN tags, IPv4 options and IPv6 extension headers do not change the key;
 * fragments are not tracked (the rules decide each; no entry). */
static void test_encapsulations(void **state)
{
	struct t *t = T;
	struct pkt k;

	reset(t);
	t_hook(t, &hooks[1]);
	/* a SYN with a VLAN tag and IPv4 options */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_vlan(&k, PKT_ETH_P_8021Q, 42);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = C4, .dst = S4, .options_len = 8 });
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 40100, .dport = 80, .flags = SYN });
	pkt_finish(&k);
	expect_in(t, &k, true);
	struct polc_ct_key fk = key(C4, S4, 6, 40100, 80);
	CT_MUST(t, &fk);
	/* the same flow untagged */
	tcp_rev(&k, 4, 40100, 80, SYN | ACK, 0);
	expect_out(t, &k);
	assert_int_equal(CT_MUST(t, &fk).state, POLC_CT_TCP_SYN_RECV);

	/* IPv6 with a hop-by-hop and a destination options header */
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = C6, .dst = S6 });
	pkt_ipv6_ext(&k, PKT_IPPROTO_HOPOPTS, 8);
	pkt_ipv6_ext(&k, PKT_IPPROTO_DSTOPTS, 16);
	pkt_tcp(&k, &(struct pkt_tcp){ .sport = 40101, .dport = 80, .flags = SYN });
	pkt_finish(&k);
	expect_in(t, &k, true);
	struct polc_ct_key f6 = key(C6, S6, 6, 40101, 80);
	assert_int_equal(CT_MUST(t, &f6).state, POLC_CT_TCP_SYN_SENT);

	/* fragments */
	unsigned before = ct_count(t);
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv4(&k, &(struct pkt_ip){ .src = C4, .dst = S4, .mf = true });
	pkt_udp(&k, 7777, 53);
	pkt_payload(&k, 64);
	pkt_finish(&k);
	uint64_t r2 = rule_packets(t, 2);
	expect_in(t, &k, true);
	assert_int_equal(rule_packets(t, 2), r2 + 1);
	pkt_init(&k);
	pkt_eth(&k);
	pkt_ipv6(&k, &(struct pkt_ip){ .src = C6, .dst = S6 });
	pkt_ipv6_frag(&k, 0, true, 99);
	pkt_udp(&k, 7777, 53);
	pkt_payload(&k, 64);
	pkt_finish(&k);
	expect_in(t, &k, true);
	assert_int_equal(rule_packets(t, 2), r2 + 2);
	assert_int_equal(ct_count(t), before);
}

/* ---- cost -------------------------------------------------------------------------- */

static double run_ns(int fd, const struct pkt *k, uint32_t repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = k->data, .data_size_in = (uint32_t)k->len,
		    .repeat = repeat);

	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	return opts.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The bucket hash of bench_array, as in the BPF program. */
static uint32_t bench_arr_hash(const struct polc_ct_key *k)
{
	const uint32_t *w = (const uint32_t *)k;
	uint32_t h = 0x9747b28c;

	for (int i = 0; i < 10; i++) {
		h ^= w[i];
		h *= 0x01000193;
		h ^= h >> 15;
	}
	h *= 0x85ebca6b;
	h ^= h >> 13;
	return h;
}

struct bench_slot {
	struct polc_ct_key k;
	struct polc_ct_entry e;
};

struct bench_bucket {
	uint32_t seq, pad;
	struct bench_slot s[4];
};

struct bench_key4 {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, pad[3];
};

struct bench_slot4 {
	struct bench_key4 k;
	uint64_t last_seen, packets, bytes;
	uint32_t timeout_ms;
	uint8_t state, dir, nat, flags;
	uint32_t xsrc, xdst;
	uint16_t xsport, xdport;
	uint32_t rule;
};

/* bench_array_v4's hash, as in the BPF program. */
static uint32_t bench_hash4(const struct bench_key4 *k)
{
	uint64_t x = ((uint64_t)k->src << 32 | k->dst) ^
		     ((uint64_t)k->sport << 48 | (uint64_t)k->dport << 32 | k->proto) *
			     0x9e3779b97f4a7c15ull;
	return (uint32_t)((x * 0xff51afd7ed558ccdull) >> 40);
}

/*
 * The established path next to XDP_PASS: ing_xdp on a packet of an
 * established flow, in a table of 100,000 flows (200,000 entries), and the
 * designs it could have had.  Median of rounds, each case run right after
 * the floor.
 */
static void test_bench(void **state)
{
	const uint32_t repeat = getenv("CT_BENCH_REPEAT") ? (uint32_t)atoi(getenv("CT_BENCH_REPEAT"))
							  : 1000000;
	const int rounds = getenv("CT_BENCH_ROUNDS") ? atoi(getenv("CT_BENCH_ROUNDS")) : 5;
	const unsigned flows = 100000;
	struct t *t = t_open(262144);
	struct pkt k;

	reset(t);
	t_hook(t, &hooks[0]);
	/* 100k established flows, written directly */
	struct polc_ct_entry e = { 0 };
	e.state = POLC_CT_TCP_ESTABLISHED;
	e.timeout_ns = POLC_CT_TIMEOUT_ESTABLISHED_S * 1000000000ull;
	e.last_seen = e.synced = (uint64_t)-1 / 2; /* far in the future: never stale */
	e.rule = 1;
	int hfd = map_fd(t->obj, "bench_hash"), l4fd = map_fd(t->obj, "bench_lru4");
	struct bpf_map *am = bpf_object__find_map_by_name(t->obj, "bench_arr");
	size_t alen = (size_t)bpf_map__max_entries(am) * sizeof(struct bench_bucket);
	struct bench_bucket *arr = mmap(NULL, alen, PROT_READ | PROT_WRITE, MAP_SHARED,
					bpf_map__fd(am), 0);
	assert_true(arr != MAP_FAILED);
	struct bpf_map *am4 = bpf_object__find_map_by_name(t->obj, "bench_arr4");
	size_t alen4 = (size_t)bpf_map__max_entries(am4) * 4 * sizeof(struct bench_slot4);
	struct bench_slot4 *arr4 = mmap(NULL, alen4, PROT_READ | PROT_WRITE, MAP_SHARED,
					bpf_map__fd(am4), 0);
	assert_true(arr4 != MAP_FAILED);
	_Static_assert(sizeof(struct bench_slot4) == 64, "one cache line");
	unsigned placed = 0;
	for (unsigned i = 0; i <= flows; i++) {
		char src[32];
		if (i < flows)
			snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		else
			snprintf(src, sizeof(src), "%s", C4);
		struct polc_ct_key fk = key(src, S4, 6, 40000, 80), rk = key(S4, src, 6, 80, 40000);
		e.dir = 0;
		memcpy(e.xsrc, fk.src, 16);
		memcpy(e.xdst, fk.dst, 16);
		e.xsport = fk.sport;
		e.xdport = fk.dport;
		assert_int_equal(bpf_map_update_elem(t->ct, &fk, &e, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(hfd, &fk, &e, BPF_ANY), 0);
		struct bench_key4 k4 = { fk.src[0], fk.dst[0], fk.sport, fk.dport, 6, { 0 } };
		assert_int_equal(bpf_map_update_elem(l4fd, &k4, &e, BPF_ANY), 0);
		struct bench_slot4 *b4 =
			&arr4[(size_t)(bench_hash4(&k4) & (bpf_map__max_entries(am4) - 1)) * 4];
		for (int s = 0; s < 4; s++) {
			if ((i < flows && b4[s].k.proto == 0) || (i == flows && s == 3)) {
				b4[s].k = k4;
				b4[s].last_seen = e.last_seen;
				b4[s].timeout_ms = 3600000;
				b4[s].state = POLC_CT_TCP_ESTABLISHED;
				break;
			}
		}
		struct bench_bucket *b = &arr[bench_arr_hash(&fk) & (bpf_map__max_entries(am) - 1)];
		/* the measured flow goes last in its bucket: four key compares */
		for (int s = 0; s < 4; s++) {
			if ((i < flows && b->s[s].k.family == 0) || (i == flows && s == 3)) {
				b->s[s].k = fk;
				b->s[s].e = e;
				placed++;
				break;
			}
		}
		e.dir = 1;
		memcpy(e.xsrc, rk.src, 16);
		memcpy(e.xdst, rk.dst, 16);
		e.xsport = rk.sport;
		e.xdport = rk.dport;
		assert_int_equal(bpf_map_update_elem(t->ct, &rk, &e, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(hfd, &rk, &e, BPF_ANY), 0);
	}
	printf("  table: %u entries (LRU hash, 262144 max); array table: %u of %u flows placed in "
	       "65536 4-slot buckets\n", ct_count(t), placed, flows + 1);
	tcp_fwd(&k, 4, 40000, 80, ACK | PSH, 64);
	/* every case must take its established path */
	struct {
		const char *name, *what;
		int fd;
		double ns[16];
	} c[] = {
		{ "ing_xdp", "ct: parse + <name>_ct_lookup() (LRU hash), the real program", 0, { 0 } },
		{ "bench_parse", "parse only (every policy pays it)", 0, { 0 } },
		{ "bench_lru", "LRU hash lookup inline (no global function)", 0, { 0 } },
		{ "bench_hashmap", "plain hash (preallocated) inline", 0, { 0 } },
		{ "bench_lru_v4key", "LRU hash, 16-byte IPv4 key, inline", 0, { 0 } },
		{ "bench_array", "open addressing on an ARRAY map (inlined lookup), 4-way buckets", 0,
		  { 0 } },
		{ "bench_array_v4", "the same, IPv4 keys, 64-byte slots, a one-multiply hash", 0,
		  { 0 } },
		{ "bench_clock", "bpf_ktime_get_ns() alone", 0, { 0 } },
		{ "bench_clock_coarse", "bpf_ktime_get_coarse_ns() alone", 0, { 0 } },
	};
	enum { NC = sizeof(c) / sizeof(c[0]) };
	double floor_ns[NC][16];
	int pass_fd = prog_fd(t->obj, "bench_pass");
	for (int i = 0; i < NC; i++) {
		c[i].fd = prog_fd(t->obj, c[i].name);
		if (strncmp(c[i].name, "bench_clock", 11))
			assert_int_equal(run(c[i].fd, &k, NULL), XDP_PASS);
	}
	int nr = rounds > 16 ? 16 : rounds;
	double ct_ns = 0, ct_floor = 0;
	for (int clock = 0; clock < 2; clock++) {
		/* the conntrack clock: the coarse helper, then jiffies */
		t->c.jiffy_ns = clock ? tick_ns() : 0;
		cfg_write(t);
		for (int r = 0; r < nr; r++)
			for (int i = 0; i < NC; i++) {
				floor_ns[i][r] = run_ns(pass_fd, &k, repeat);
				c[i].ns[r] = run_ns(c[i].fd, &k, repeat);
			}
		printf("  clock: %s\n", clock ? "jiffies (bpf_jiffies64(), inlined) x tick"
					      : "bpf_ktime_get_coarse_ns()");
		printf("  %-20s %8s %7s %7s  %s\n", "program", "ns/pkt", "floor", "x floor", "");
		for (int i = 0; i < NC; i++) {
			if (clock && (i == 1 || !strncmp(c[i].name, "bench_clock", 11)))
				continue; /* no conntrack clock in these */
			qsort(c[i].ns, (size_t)nr, sizeof(double), cmp_double);
			qsort(floor_ns[i], (size_t)nr, sizeof(double), cmp_double);
			double ns = c[i].ns[nr / 2], fl = floor_ns[i][nr / 2];
			printf("  %-20s %8.1f %7.1f %7.2f  %s\n", c[i].name, ns, fl, ns / fl,
			       c[i].what);
			if (i == 0 && clock) {
				ct_ns = ns;
				ct_floor = fl;
			}
		}
	}
	printf("  (%u repeats per run, median of %d rounds, each case right after the floor)\n",
	       repeat, nr);
	/* generous: only a regression to several lookups' cost fails */
	assert_true(ct_ns < ct_floor * 6);
	munmap(arr, alen);
	munmap(arr4, alen4);
	t_close(t);
}

/* Instructions and verification cost of each program: they verify, and well
 * within the kernel's budget. */
static void test_programs(void **state)
{
	static const char *const progs[] = { "ing_xdp", "ing_tc", "ing_out", "bench_parse" };

	printf("  %-12s %9s %8s %9s\n", "program", "ELF insns", "xlated", "verified");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(T->obj, progs[i]);
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);

		assert_non_null(p);
		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len), 0);
		printf("  %-12s %9zu %8u %9u\n", progs[i], bpf_program__insn_cnt(p),
		       info.xlated_prog_len / 8, info.verified_insns);
		assert_true(info.verified_insns < 400000);
	}
}

int main(void)
{
	harness_init();
	int err = compile_prog(prog_src, sizeof(prog_src) - 1, "ct");
	if (err) {
		fprintf(stderr, "cannot compile the conntrack test program: %s\n", strerror(-err));
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_handshake),
		cmocka_unit_test(test_node_opened),
		cmocka_unit_test(test_fin_close),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_rst),
		cmocka_unit_test(test_non_syn_no_entry),
		cmocka_unit_test(test_syn_goes_to_rules),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_related),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_lru_pressure),
		cmocka_unit_test(test_encapsulations),
		cmocka_unit_test(test_programs),
		cmocka_unit_test(test_bench),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	unlink(obj_path);
	return rc;
}
