// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_nat.c: DNAT and SNAT (bpf-templates/polc_nat.h) in the kernel.
 *
 * The BPF programs below, compiled with clang at test time next to the
 * embedded templates, are two NAT policies written by hand the way polc
 * generates them: "lb" (dnat rules, tc ingress, its companion on egress)
 * and "gw" (snat rules, tc egress, its companion on ingress).  The test
 * fills their maps as polctl does (services, the two halves of each pool,
 * Maglev tables from common/maglev.c, SNAT addresses) and runs packet
 * sequences through them with BPF_PROG_TEST_RUN.  Every rewritten frame is
 * compared byte for byte with the frame pktgen builds for the translated
 * tuple, and its checksums (IPv4 header; TCP, UDP, ICMP, ICMPv6) are
 * recomputed here from scratch and must match.
 *
 * The roles.  lb: clients C (198.51.100.7, 2001:db8:c::7) reach the
 * services at the VIPs (192.0.2.80, 2001:db8:80::80) and are sent to the
 * backends B (10.2.x.2:8080, 2001:db8:bx::2 port 8080).  gw: LAN hosts
 * (10.0.0.x, fd00:a::x) reach servers (203.0.113.9, 2001:db8:99::9)
 * from the SNAT address (192.0.2.1, 2001:db8:1::1).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpf_harness.h"
#include "maglev.h"
#include "pktgen.h"
#include "polc_contract.h"

static const char prog_src[] =
	"#define POLC_PARSE_FLOW\n"
	"#include \"polc_tc.h\"\n"
	"#include \"polc_ct.h\"\n"
	"#include \"polc_nat.h\"\n"
	"\n"
	"/*\n"
	" * Two NAT policies written by hand, as polc generates them:\n"
	" *\n"
	" *\tpolicy lb { attach tc ingress; default pass; track\n"
	" *\t    dnat tcp to 192.0.2.80 port 80 -> { ... }        # rule 1, service 0\n"
	" *\t    dnat udp to 192.0.2.80 port 53 -> { ... }        # rule 2, service 1\n"
	" *\t    dnat tcp to 2001:db8:80::80 port 80 -> { ... }   # rule 3, service 2\n"
	" *\t    pass tcp to port 22                              # rule 4\n"
	" *\t}\n"
	" * on tc ingress (lb), its companion on tc egress (lb_track);\n"
	" *\n"
	" *\tpolicy gw { attach tc egress; default pass; track\n"
	" *\t    snat from 10.0.0.0/24 -> 192.0.2.1               # rule 1, snat 0\n"
	" *\t    snat from fd00:a::/64 -> 2001:db8:1::1           # rule 2, snat 1\n"
	" *\t    snat from 10.0.9.0/24 -> interface               # rule 3, snat 2\n"
	" *\t}\n"
	" * on tc egress (gw), its companion on tc ingress (gw_track).  The pools,\n"
	" * balances and addresses are in the maps, filled by the test.\n"
	" */\n"
	"POLC_COUNTER_MAP(lb_rules, 4);\n"
	"POLC_COUNTER_MAP(lb_reasons, POLC_REASON_COUNT_);\n"
	"POLC_CT_DEFINE(lb, 4096)\n"
	"POLC_NAT_DEFINE(lb, 3, 1, 2)\n"
	"\n"
	"POLC_COUNTER_MAP(gw_rules, 3);\n"
	"POLC_COUNTER_MAP(gw_reasons, POLC_REASON_COUNT_);\n"
	"POLC_CT_DEFINE(gw, 4096)\n"
	"POLC_NAT_DEFINE(gw, 1, 3, 0)\n"
	"\n"
	"static __always_inline __u32 lb_classify(const struct polc_pkt *p)\n"
	"{\n"
	"\tif (p->family == 4 && p->dst[0] == POLC_IPV4(192, 0, 2, 80) &&\n"
	"\t    p->l4proto == POLC_IPPROTO_TCP && p->has_l4 && p->dport == 80)\n"
	"\t\treturn POLC_MATCH(1, POLC_VERDICT_PASS);\n"
	"\tif (p->family == 4 && p->dst[0] == POLC_IPV4(192, 0, 2, 80) &&\n"
	"\t    p->l4proto == POLC_IPPROTO_UDP && p->has_l4 && p->dport == 53)\n"
	"\t\treturn POLC_MATCH(2, POLC_VERDICT_PASS);\n"
	"\tif (p->family == 6 && p->dst[0] == 0x20010db8 && p->dst[1] == 0x00800000 && p->dst[2] == 0 &&\n"
	"\t    p->dst[3] == 0x80 && p->l4proto == POLC_IPPROTO_TCP && p->has_l4 && p->dport == 80)\n"
	"\t\treturn POLC_MATCH(3, POLC_VERDICT_PASS);\n"
	"\tif (p->l4proto == POLC_IPPROTO_TCP && p->has_l4 && p->dport == 22)\n"
	"\t\treturn POLC_MATCH(4, POLC_VERDICT_PASS);\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"static __always_inline __u32 gw_classify(const struct polc_pkt *p)\n"
	"{\n"
	"\tif (p->family == 4 && (p->src[0] & POLC_MASK(24)) == POLC_IPV4(10, 0, 0, 0))\n"
	"\t\treturn POLC_MATCH(1, POLC_VERDICT_PASS);\n"
	"\tif (p->family == 6 && p->src[0] == 0xfd00000a && p->src[1] == 0)\n"
	"\t\treturn POLC_MATCH(2, POLC_VERDICT_PASS);\n"
	"\tif (p->family == 4 && (p->src[0] & POLC_MASK(24)) == POLC_IPV4(10, 0, 9, 0))\n"
	"\t\treturn POLC_MATCH(3, POLC_VERDICT_PASS);\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"SEC(\"tc\") int lb(struct __sk_buff *ctx)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tstruct polc_ct ct;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len, verdict, m;\n"
	"\tint r;\n"
	"\n"
	"\tpolc_tc_load(ctx, &data, &data_end, &len);\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &lb_reasons, &verdict))\n"
	"\t\treturn polc_tc_action(verdict);\n"
	"\tr = POLC_CT_LOOKUP(lb, tc, ctx, &pkt, len, &ct);\n"
	"\tif (polc_ct_passes(r))\n"
	"\t\treturn polc_tc_action(polc_nat_apply_tc(ctx, &pkt, &ct));\n"
	"\tm = lb_classify(&pkt);\n"
	"\tverdict = polc_finish(m, len, &lb_rules, &lb_reasons, POLC_VERDICT_PASS);\n"
	"\tif (verdict == POLC_VERDICT_PASS) {\n"
	"\t\tswitch (POLC_MATCH_RULE(m)) {\n"
	"\t\tcase 1:\n"
	"\t\t\tverdict = lb_nat_open(ctx, &pkt, len, r, 1, POLC_NAT_DNAT, 0, &ct);\n"
	"\t\t\tbreak;\n"
	"\t\tcase 2:\n"
	"\t\t\tverdict = lb_nat_open(ctx, &pkt, len, r, 2, POLC_NAT_DNAT, 1, &ct);\n"
	"\t\t\tbreak;\n"
	"\t\tcase 3:\n"
	"\t\t\tverdict = lb_nat_open(ctx, &pkt, len, r, 3, POLC_NAT_DNAT, 2, &ct);\n"
	"\t\t\tbreak;\n"
	"\t\tdefault:\n"
	"\t\t\tif (r == POLC_CT_NEW)\n"
	"\t\t\t\tlb_ct_create(&pkt, len, POLC_MATCH_RULE(m), 0, &ct);\n"
	"\t\t}\n"
	"\t}\n"
	"\treturn polc_tc_action(verdict);\n"
	"}\n"
	"\n"
	"SEC(\"tc\") int lb_track(struct __sk_buff *ctx)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tstruct polc_ct ct;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len;\n"
	"\n"
	"\tpolc_tc_load(ctx, &data, &data_end, &len);\n"
	"\tif (polc_parse(&pkt, data, data_end, len) != POLC_PARSE_OK)\n"
	"\t\treturn polc_tc_action(POLC_VERDICT_PASS);\n"
	"\tPOLC_CT_TRACK(lb, tc, ctx, &pkt, len, &ct);\n"
	"\treturn polc_tc_action(polc_nat_apply_tc(ctx, &pkt, &ct));\n"
	"}\n"
	"\n"
	"SEC(\"tc\") int gw(struct __sk_buff *ctx)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tstruct polc_ct ct;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len, verdict, m;\n"
	"\tint r;\n"
	"\n"
	"\tpolc_tc_load(ctx, &data, &data_end, &len);\n"
	"\tif (polc_prefilter(&pkt, data, data_end, len, &gw_reasons, &verdict))\n"
	"\t\treturn polc_tc_action(verdict);\n"
	"\tr = POLC_CT_LOOKUP(gw, tc, ctx, &pkt, len, &ct);\n"
	"\tif (polc_ct_passes(r))\n"
	"\t\treturn polc_tc_action(polc_nat_apply_tc(ctx, &pkt, &ct));\n"
	"\tm = gw_classify(&pkt);\n"
	"\tverdict = polc_finish(m, len, &gw_rules, &gw_reasons, POLC_VERDICT_PASS);\n"
	"\tif (verdict == POLC_VERDICT_PASS) {\n"
	"\t\tswitch (POLC_MATCH_RULE(m)) {\n"
	"\t\tcase 1:\n"
	"\t\t\tverdict = gw_nat_open(ctx, &pkt, len, r, 1, POLC_NAT_SNAT, 0, &ct);\n"
	"\t\t\tbreak;\n"
	"\t\tcase 2:\n"
	"\t\t\tverdict = gw_nat_open(ctx, &pkt, len, r, 2, POLC_NAT_SNAT, 1, &ct);\n"
	"\t\t\tbreak;\n"
	"\t\tcase 3:\n"
	"\t\t\tverdict = gw_nat_open(ctx, &pkt, len, r, 3, POLC_NAT_SNAT, 2, &ct);\n"
	"\t\t\tbreak;\n"
	"\t\tdefault:\n"
	"\t\t\tif (r == POLC_CT_NEW)\n"
	"\t\t\t\tgw_ct_create(&pkt, len, POLC_MATCH_RULE(m), 0, &ct);\n"
	"\t\t}\n"
	"\t}\n"
	"\treturn polc_tc_action(verdict);\n"
	"}\n"
	"\n"
	"SEC(\"tc\") int gw_track(struct __sk_buff *ctx)\n"
	"{\n"
	"\tstruct polc_pkt pkt;\n"
	"\tstruct polc_ct ct;\n"
	"\tvoid *data, *data_end;\n"
	"\t__u32 len;\n"
	"\n"
	"\tpolc_tc_load(ctx, &data, &data_end, &len);\n"
	"\tif (polc_parse(&pkt, data, data_end, len) != POLC_PARSE_OK)\n"
	"\t\treturn polc_tc_action(POLC_VERDICT_PASS);\n"
	"\tPOLC_CT_TRACK(gw, tc, ctx, &pkt, len, &ct);\n"
	"\treturn polc_tc_action(polc_nat_apply_tc(ctx, &pkt, &ct));\n"
	"}\n"
	"\n"
	"char _license[] SEC(\"license\") = \"GPL\";\n";

/* ---- loading ---------------------------------------------------------------- */

#define TC_PASS (-1) /* TC_ACT_UNSPEC: what "pass" returns on tc */
#define TC_DROP 2    /* TC_ACT_SHOT */

static char obj_path[PATH_MAX];
static struct bpf_object *OBJ;

/* A policy's programs and maps. */
struct pol {
	const char *name;
	int prog, track; /* the policy's program and its companion */
	int ct, cfg, stats, rules;
	int svc, be, maglev, rr, snat;
};

static struct pol LB = { .name = "lb" }, GW = { .name = "gw" };

static int fd_of_map(const char *pol, const char *suffix)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s", pol, suffix);
	struct bpf_map *m = bpf_object__find_map_by_name(OBJ, name);
	if (!m) {
		fprintf(stderr, "no map %s\n", name);
		fail();
	}
	return bpf_map__fd(m);
}

static int fd_of_prog(const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(OBJ, name);

	if (!p) {
		fprintf(stderr, "no program %s\n", name);
		fail();
	}
	return bpf_program__fd(p);
}

static void pol_open(struct pol *p)
{
	char track[64];

	snprintf(track, sizeof(track), "%s_track", p->name);
	p->prog = fd_of_prog(p->name);
	p->track = fd_of_prog(track);
	p->ct = fd_of_map(p->name, POLC_MAP_SUFFIX_CT);
	p->cfg = fd_of_map(p->name, POLC_MAP_SUFFIX_CT_CFG);
	p->stats = fd_of_map(p->name, POLC_MAP_SUFFIX_CT_STATS);
	p->rules = fd_of_map(p->name, POLC_MAP_SUFFIX_RULES);
	p->svc = fd_of_map(p->name, POLC_MAP_SUFFIX_NAT_SVC);
	p->be = fd_of_map(p->name, POLC_MAP_SUFFIX_NAT_BACKENDS);
	p->maglev = fd_of_map(p->name, POLC_MAP_SUFFIX_NAT_MAGLEV);
	p->rr = fd_of_map(p->name, POLC_MAP_SUFFIX_NAT_RR);
	p->snat = fd_of_map(p->name, POLC_MAP_SUFFIX_NAT_SNAT);
}

static int setup(void **state)
{
	OBJ = bpf_object__open_file(obj_path, NULL);
	assert_non_null(OBJ);
	int err = bpf_object__load(OBJ);
	if (err) {
		fprintf(stderr, "bpf_object__load: %s\n", strerror(-err));
		return -1;
	}
	pol_open(&LB);
	pol_open(&GW);
	return 0;
}

static int teardown(void **state)
{
	bpf_object__close(OBJ);
	OBJ = NULL;
	return 0;
}

/* Run frame k once through fd; the return code, the frame as it left in out. */
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

/* ---- maps ------------------------------------------------------------------- */

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

static uint64_t stat(const struct pol *p, unsigned s)
{
	return percpu_counter(p->stats, s).packets;
}

/* Every conntrack statistic, to check that exactly the expected ones moved. */
struct stats {
	uint64_t v[POLC_CT_STAT_COUNT_];
};

static struct stats stats_get(const struct pol *p)
{
	struct stats s;

	for (unsigned i = 0; i < POLC_CT_STAT_COUNT_; i++)
		s.v[i] = stat(p, i);
	return s;
}

/* After `before`, statistic `which` moved by n and none other but those in also (bits). */
static void stats_moved(const struct pol *p, const struct stats *before, unsigned which,
			uint64_t n, unsigned also, int line)
{
	struct stats now = stats_get(p);

	for (unsigned i = 0; i < POLC_CT_STAT_COUNT_; i++) {
		uint64_t d = now.v[i] - before->v[i];
		if (i == which ? d != n : (d && !(also & (1u << i)))) {
			fprintf(stderr, "line %d: %s stat %u moved by %llu\n", line, p->name, i,
				(unsigned long long)d);
			fail();
		}
	}
}
#define STATS_MOVED(p, before, which, n, also) stats_moved(p, before, which, n, also, __LINE__)

static void ct_flush(const struct pol *p)
{
	struct polc_ct_key k, next;

	while (bpf_map_get_next_key(p->ct, NULL, &next) == 0) {
		k = next;
		assert_int_equal(bpf_map_delete_elem(p->ct, &k), 0);
	}
}

static unsigned ct_count(const struct pol *p)
{
	struct polc_ct_key k, next;
	unsigned n = 0;
	int err = bpf_map_get_next_key(p->ct, NULL, &next);

	while (err == 0) {
		n++;
		k = next;
		err = bpf_map_get_next_key(p->ct, &k, &next);
	}
	return n;
}

/* Addresses as the maps hold them: host order words. */
static uint8_t addr_words(const char *text, uint32_t w[4])
{
	uint8_t b[16];

	memset(w, 0, 16);
	if (inet_pton(AF_INET, text, b) == 1) {
		w[0] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		return 4;
	}
	assert_int_equal(inet_pton(AF_INET6, text, b), 1);
	for (int i = 0; i < 4; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	return 6;
}

static struct polc_ct_key key(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			      uint16_t dport)
{
	struct polc_ct_key k;

	memset(&k, 0, sizeof(k));
	k.family = addr_words(src, k.src);
	assert_int_equal(addr_words(dst, k.dst), k.family);
	k.proto = proto;
	k.sport = sport;
	k.dport = dport;
	return k;
}

static struct polc_ct_entry ct_must(const struct pol *p, const struct polc_ct_key *k, int line)
{
	struct polc_ct_entry e;

	if (bpf_map_lookup_elem(p->ct, k, &e)) {
		fprintf(stderr, "line %d: no conntrack entry where one was expected\n", line);
		fail();
	}
	return e;
}
#define CT_MUST(p, k) ct_must(p, k, __LINE__)

static bool ct_has(const struct pol *p, const struct polc_ct_key *k)
{
	struct polc_ct_entry e;

	return bpf_map_lookup_elem(p->ct, k, &e) == 0;
}

static void put(int fd, uint32_t i, const void *v)
{
	assert_int_equal(bpf_map_update_elem(fd, &i, v, BPF_ANY), 0);
}

static struct polc_nat_backend backend(const char *addr, uint16_t port)
{
	struct polc_nat_backend b;

	memset(&b, 0, sizeof(b));
	b.family = addr_words(addr, b.addr);
	b.port = port;
	return b;
}

/* The last Maglev table written per (service, half): indices into its pool. */
static uint32_t *maglev_tables[3][2];

/*
 * Pool `half` of service id, as polctl writes it: its backends at slots
 * (2 * id + half) * POLC_NAT_POOL_MAX on, a maglev service's table (maglev
 * slot mslot) at elements (2 * mslot + half) * M on, holding absolute
 * slots, and then the service element, in one update.
 */
static void pool_set(const struct pol *p, uint32_t id, uint32_t half, uint8_t balance,
		     uint32_t mslot, const struct polc_nat_backend *b, uint32_t n)
{
	uint32_t first = (2 * id + half) * POLC_NAT_POOL_MAX;
	struct polc_nat_svc s = { .id = id, .first = first, .count = n, .balance = balance };

	for (uint32_t i = 0; i < n; i++)
		put(p->be, first + i, &b[i]);
	if (balance == POLC_NAT_BALANCE_MAGLEV) {
		const uint32_t m = POLC_NAT_MAGLEV_M;
		struct maglev_id ids[POLC_NAT_POOL_MAX];
		uint32_t *table = calloc(m, sizeof(*table)), *keys = calloc(m, sizeof(*keys)),
			 *vals = calloc(m, sizeof(*vals));

		assert_true(table && keys && vals && n <= POLC_NAT_POOL_MAX && id < 3);
		for (uint32_t i = 0; i < n; i++)
			ids[i] = (struct maglev_id){ &b[i], sizeof(b[i]) };
		assert_int_equal(maglev_build(table, m, ids, n), 0);
		s.maglev_base = (2 * mslot + half) * m;
		s.maglev_size = m;
		for (uint32_t j = 0; j < m; j++) {
			keys[j] = s.maglev_base + j;
			vals[j] = first + table[j];
		}
		__u32 count = m;
		assert_int_equal(bpf_map_update_batch(p->maglev, keys, vals, &count, NULL), 0);
		assert_int_equal(count, m);
		free(maglev_tables[id][half]);
		maglev_tables[id][half] = table;
		free(keys);
		free(vals);
	}
	put(p->svc, id, &s);
}

static void snat_set(const struct pol *p, uint32_t index, const char *addr, uint16_t pmin,
		     uint16_t pmax)
{
	struct polc_nat_snat s;

	memset(&s, 0, sizeof(s));
	s.family = addr_words(addr, s.addr);
	s.port_min = pmin;
	s.port_max = pmax;
	put(p->snat, 2 * index + (s.family == 6), &s);
}

static void snat_clear(const struct pol *p, uint32_t index, int family)
{
	struct polc_nat_snat s;

	memset(&s, 0, sizeof(s));
	put(p->snat, 2 * index + (family == 6), &s);
}

/* Empty tables, default config, round-robin counters at 0, no pools. */
static void reset(void)
{
	const struct pol *ps[] = { &LB, &GW };

	for (int i = 0; i < 2; i++) {
		const struct pol *p = ps[i];
		struct polc_ct_config c;
		struct polc_nat_svc s;
		uint32_t zero = 0;

		ct_flush(p);
		memset(&c, 0, sizeof(c));
		put(p->cfg, 0, &c);
		memset(&s, 0, sizeof(s));
		for (uint32_t id = 0; id < (p == &LB ? 3u : 1u); id++) {
			put(p->svc, id, &s);
			put(p->rr, id, &zero);
		}
	}
	for (uint32_t i = 0; i < 3; i++)
		snat_clear(&GW, i, 4), snat_clear(&GW, i, 6);
}

/* ---- checksums, from scratch ------------------------------------------------ */

static uint64_t sum16(const uint8_t *d, size_t n, uint64_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (n & 1)
		s += (uint32_t)d[n - 1] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Where a frame's headers are (Ethernet, IPv4 or IPv6 without extension
 * headers, then TCP, UDP, ICMP or ICMPv6). */
struct view {
	int family;
	size_t l3, ihl, l4, l4len, csum; /* csum: offset of the L4 checksum field */
	uint8_t proto;
};

static bool frame_view(const uint8_t *d, size_t len, struct view *v)
{
	size_t off = 14;

	if (len < off)
		return false;
	uint16_t et = (uint16_t)(d[12] << 8 | d[13]);
	v->l3 = off;
	if (et == 0x0800) {
		if (len < off + 20)
			return false;
		v->family = 4;
		v->ihl = (d[off] & 0xfu) * 4;
		size_t tot = (size_t)(d[off + 2] << 8 | d[off + 3]);
		v->proto = d[off + 9];
		v->l4 = off + v->ihl;
		v->l4len = tot - v->ihl;
	} else if (et == 0x86dd) {
		if (len < off + 40)
			return false;
		v->family = 6;
		v->ihl = 40;
		v->proto = d[off + 6];
		v->l4 = off + 40;
		v->l4len = (size_t)(d[off + 4] << 8 | d[off + 5]);
	} else {
		return false;
	}
	if (v->l4 + v->l4len > len)
		return false;
	switch (v->proto) {
	case PKT_IPPROTO_TCP:
		v->csum = v->l4 + 16;
		break;
	case PKT_IPPROTO_UDP:
		v->csum = v->l4 + 6;
		break;
	case PKT_IPPROTO_ICMP:
	case PKT_IPPROTO_ICMPV6:
		v->csum = v->l4 + 2;
		break;
	default:
		return false;
	}
	return v->csum + 2 <= v->l4 + v->l4len;
}

/*
 * Recompute the frame's checksums from scratch and compare them with its
 * fields: the IPv4 header's, and the L4 one (pseudo-header for TCP, UDP,
 * ICMPv6).  0 when all are right, 1 when they are and the UDP/IPv4
 * checksum is 0 (none), -1 otherwise (why says what).
 */
static int csum_check(const uint8_t *d, size_t len, char *why, size_t wlen)
{
	struct view v;

	if (!frame_view(d, len, &v)) {
		snprintf(why, wlen, "frame not parsed");
		return -1;
	}
	if (v.family == 4 && fold(sum16(d + v.l3, v.ihl, 0)) != 0xffff) {
		snprintf(why, wlen, "IPv4 header checksum 0x%04x wrong", d[v.l3 + 10] << 8 | d[v.l3 + 11]);
		return -1;
	}
	uint64_t s = 0;
	if (v.proto != PKT_IPPROTO_ICMP) {
		if (v.family == 4) {
			s = sum16(d + v.l3 + 12, 8, 0) + v.proto + v.l4len;
		} else {
			s = sum16(d + v.l3 + 8, 32, 0) + (v.l4len >> 16) + (v.l4len & 0xffff) + v.proto;
		}
	}
	uint16_t field = (uint16_t)(d[v.csum] << 8 | d[v.csum + 1]);
	if (v.proto == PKT_IPPROTO_UDP && v.family == 4 && field == 0)
		return 1;
	/* the field is a 16-bit word of the sum: take it out */
	s += sum16(d + v.l4, v.l4len, 0) - field;
	uint16_t want = (uint16_t)~fold(s);
	if (v.proto == PKT_IPPROTO_UDP && want == 0)
		want = 0xffff;
	/* 0 and 0xffff are the same one's complement number */
	bool ok = field == want || (want == 0 && field == 0xffff);
	if (!ok || fold(s + field) != 0xffff) {
		snprintf(why, wlen, "L4 (proto %u) checksum 0x%04x, computed 0x%04x", v.proto, field,
			 want);
		return -1;
	}
	return 0;
}

/*
 * got (a frame a program let out) must be want (the frame built for the
 * translated tuple) byte for byte but for the L4 checksum, and its
 * checksums must all be right (or both have no UDP checksum).
 */
static void frame_expect(const struct pkt *got, const struct pkt *want, int line)
{
	static uint8_t a[PKT_MAX_LEN], b[PKT_MAX_LEN];
	char why[128], d1[128], d2[128];
	struct view v;

	if (got->len != want->len || !frame_view(want->data, want->len, &v)) {
		fprintf(stderr, "line %d: frame of %zu bytes, expected %zu\n", line, got->len,
			want->len);
		fail();
	}
	memcpy(a, got->data, got->len);
	memcpy(b, want->data, want->len);
	a[v.csum] = a[v.csum + 1] = b[v.csum] = b[v.csum + 1] = 0;
	for (size_t i = 0; i < got->len; i++)
		if (a[i] != b[i]) {
			fprintf(stderr, "line %d: byte %zu is 0x%02x, expected 0x%02x\n  got  %s\n  want %s\n",
				line, i, a[i], b[i], pkt_describe(got, d1, sizeof(d1)),
				pkt_describe(want, d2, sizeof(d2)));
			fail();
		}
	int want_none = csum_check(want->data, want->len, why, sizeof(why));
	assert_true(want_none >= 0);
	int r = csum_check(got->data, got->len, why, sizeof(why));
	if (r != want_none) {
		fprintf(stderr, "line %d: %s\n", line,
			r < 0 ? why : "a UDP checksum of 0 where none was expected, or the reverse");
		fail();
	}
}

/* Run in through fd: it must pass, leaving as want. */
static void pass_as(int fd, const struct pkt *in, const struct pkt *want, int line)
{
	struct pkt out;
	int ret = run(fd, in, &out);

	if (ret != TC_PASS) {
		fprintf(stderr, "line %d: returned %d, expected pass\n", line, ret);
		fail();
	}
	frame_expect(&out, want, line);
}
#define PASS_AS(fd, in, want) pass_as(fd, in, want, __LINE__)
/* ... or pass unchanged. */
#define PASS_SAME(fd, in) pass_as(fd, in, in, __LINE__)

#define DROPPED(fd, in) assert_int_equal(run(fd, in, NULL), TC_DROP)

/* ---- frames ----------------------------------------------------------------- */

static bool is6(const char *a)
{
	return strchr(a, ':') != NULL;
}

static void tcp(struct pkt *k, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		uint8_t flags, size_t payload)
{
	if (is6(src))
		pkt_tcp6(k, src, dst, sport, dport, flags, payload);
	else
		pkt_tcp4(k, src, dst, sport, dport, flags, payload);
}

static void udp(struct pkt *k, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		size_t payload)
{
	if (is6(src))
		pkt_udp6(k, src, dst, sport, dport, payload);
	else
		pkt_udp4(k, src, dst, sport, dport, payload);
}

/* A UDP/IPv4 frame without a checksum (0). */
static void udp_nocsum(struct pkt *k, const char *src, const char *dst, uint16_t sport,
		       uint16_t dport, size_t payload)
{
	struct view v;

	pkt_udp4(k, src, dst, sport, dport, payload);
	assert_true(frame_view(k->data, k->len, &v));
	k->data[v.csum] = k->data[v.csum + 1] = 0;
}

/* An echo request or reply (ICMP or ICMPv6 by the addresses). */
static void echo(struct pkt *k, const char *src, const char *dst, bool request, uint16_t id,
		 uint16_t seq)
{
	pkt_init(k);
	pkt_eth(k);
	if (is6(src)) {
		pkt_ipv6(k, &(struct pkt_ip){ .src = src, .dst = dst });
		pkt_icmpv6(k, request ? 128 : 129, 0, id, seq);
	} else {
		pkt_ipv4(k, &(struct pkt_ip){ .src = src, .dst = dst });
		pkt_icmp(k, request ? 8 : 0, 0, id, seq);
	}
	pkt_payload(k, 40);
	pkt_finish(k);
}

#define SYN PKT_TCP_SYN
#define ACK PKT_TCP_ACK
#define FIN PKT_TCP_FIN
#define RST PKT_TCP_RST
#define PSH PKT_TCP_PSH

static const char *const C4 = "198.51.100.7", *const C6 = "2001:db8:c::7";
static const char *const VIP4 = "192.0.2.80", *const VIP6 = "2001:db8:80::80";
static const char *const B4[3] = { "10.2.1.2", "10.2.2.2", "10.2.3.2" };
static const char *const B6[3] = { "2001:db8:b1::2", "2001:db8:b2::2", "2001:db8:b3::2" };

static const char *const LAN4 = "10.0.0.5", *const LAN4B = "10.0.0.6", *const LAN9 = "10.0.9.5";
static const char *const LAN6 = "fd00:a::5", *const LAN6B = "fd00:a::6";
static const char *const SRV4 = "203.0.113.9", *const SRV6 = "2001:db8:99::9";
static const char *const SNAT4 = "192.0.2.1", *const SNAT6 = "2001:db8:1::1";

/* The service of lb's TCP dnat rule of a family (0: IPv4, 2: IPv6), its
 * client, VIP and backends. */
struct fam {
	uint32_t svc;
	const char *c, *vip;
	const char *const *b;
};

static const struct fam FAMS[2] = {
	{ 0, C4, VIP4, B4 },
	{ 2, C6, VIP6, B6 },
};

/* The pool of 3 backends of a family, port 8080. */
static void pool3(const struct fam *f, struct polc_nat_backend b[3])
{
	for (int i = 0; i < 3; i++)
		b[i] = backend(f->b[i], 8080);
}

/* Which of f's backends the frame is addressed to (port 8080), or -1. */
static int backend_of(const struct fam *f, const struct pkt *k)
{
	struct view v;
	uint8_t a[16];

	assert_true(frame_view(k->data, k->len, &v));
	for (int i = 0; i < 3; i++) {
		int af = is6(f->b[i]) ? AF_INET6 : AF_INET;
		assert_int_equal(inet_pton(af, f->b[i], a), 1);
		if (!memcmp(k->data + v.l3 + (v.family == 4 ? 16 : 24), a, v.family == 4 ? 4 : 16) &&
		    (k->data[v.l4 + 2] << 8 | k->data[v.l4 + 3]) == 8080)
			return i;
	}
	return -1;
}

/* The Maglev hash: common/maglev.c has the C twin of polc_nat_flow_hash(). */
static uint32_t flow_hash(const struct polc_ct_key *k)
{
	return maglev_flow_hash(k->src, k->dst, k->sport, k->dport, k->proto, k->family);
}

/* ---- DNAT ------------------------------------------------------------------- */

/*
 * A connection to the VIP, from handshake to close: each packet rewritten
 * (to the backend, replies back to the VIP), through lb and, where the
 * node forwards it out again, its companion, which passes translated
 * packets as they are and records nothing; both entries and their
 * translation; replies through the companion translated too.
 */
static void test_dnat_tcp(void **state)
{
	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		const char *b = f->b[1];
		struct polc_nat_backend be = backend(b, 8080);
		struct pkt in, want;

		reset();
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_RANDOM, 0, &be, 1);
		struct stats st = stats_get(&LB);
		uint64_t rule = percpu_counter(LB.rules, f->svc == 0 ? 0 : 2).packets;

		tcp(&in, f->c, f->vip, 40000, 80, SYN, 0);
		tcp(&want, f->c, b, 40000, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_CREATED, 1, 0);
		assert_int_equal(percpu_counter(LB.rules, f->svc == 0 ? 0 : 2).packets, rule + 1);
		struct polc_ct_key fk = key(f->c, f->vip, 6, 40000, 80), rk = key(b, f->c, 6, 8080, 40000);
		struct polc_ct_entry fe = CT_MUST(&LB, &fk), re = CT_MUST(&LB, &rk);
		struct polc_ct_key bk = key(f->c, b, 6, 40000, 8080), vk = key(f->vip, f->c, 6, 80, 40000);
		assert_int_equal(ct_count(&LB), 2);
		assert_int_equal(fe.dir, POLC_CT_DIR_FORWARD);
		assert_int_equal(fe.nat, POLC_CT_NAT_DST);
		assert_int_equal(fe.flags, POLC_CT_F_DNAT);
		assert_int_equal(fe.rule, f->svc == 0 ? 1 : 3);
		assert_int_equal(fe.backend, 2 * f->svc * POLC_NAT_POOL_MAX);
		assert_memory_equal(fe.xdst, bk.dst, 16);
		assert_memory_equal(fe.xsrc, fk.src, 16);
		assert_int_equal(fe.xsport, 40000);
		assert_int_equal(fe.xdport, 8080);
		assert_int_equal(re.dir, POLC_CT_DIR_REPLY);
		assert_int_equal(re.nat, POLC_CT_NAT_SRC);
		assert_memory_equal(re.xsrc, vk.src, 16);
		assert_int_equal(re.xsport, 80);
		assert_int_equal(re.xdport, 40000);
		assert_int_equal(re.state, POLC_CT_TCP_SYN_SENT);

		/* the node forwards it to the backend: the companion passes it
		 * as it is and records nothing */
		PASS_SAME(LB.track, &want);
		assert_int_equal(ct_count(&LB), 2);

		/* the SYN-ACK from the backend, back to the VIP's address */
		tcp(&in, b, f->c, 8080, 40000, SYN | ACK, 0);
		tcp(&want, f->vip, f->c, 80, 40000, SYN | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		PASS_SAME(LB.track, &want);
		assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_TCP_SYN_RECV);

		/* ACK and data both ways; a reply through the companion (the
		 * backend on the other side of the node) is translated too */
		tcp(&in, f->c, f->vip, 40000, 80, ACK, 0);
		tcp(&want, f->c, b, 40000, 8080, ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_TCP_ESTABLISHED);
		for (int i = 0; i < 3; i++) {
			tcp(&in, f->c, f->vip, 40000, 80, PSH | ACK, 100 + 301 * (size_t)i);
			tcp(&want, f->c, b, 40000, 8080, PSH | ACK, 100 + 301 * (size_t)i);
			PASS_AS(LB.prog, &in, &want);
			tcp(&in, b, f->c, 8080, 40000, PSH | ACK, 1 + 517 * (size_t)i);
			tcp(&want, f->vip, f->c, 80, 40000, PSH | ACK, 1 + 517 * (size_t)i);
			PASS_AS(i == 1 ? LB.track : LB.prog, &in, &want);
		}
		assert_int_equal(CT_MUST(&LB, &fk).packets, 5);
		assert_int_equal(CT_MUST(&LB, &rk).packets, 4);

		/* the close */
		tcp(&in, f->c, f->vip, 40000, 80, FIN | ACK, 0);
		tcp(&want, f->c, b, 40000, 8080, FIN | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_TCP_FIN_WAIT);
		tcp(&in, b, f->c, 8080, 40000, FIN | ACK, 0);
		tcp(&want, f->vip, f->c, 80, 40000, FIN | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_TCP_CLOSE);
		assert_int_equal(CT_MUST(&LB, &rk).state, POLC_CT_TCP_CLOSE);
		tcp(&in, f->c, f->vip, 40000, 80, ACK, 0);
		tcp(&want, f->c, b, 40000, 8080, ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		assert_int_equal(ct_count(&LB), 2);
		assert_false(ct_has(&LB, &bk));
		assert_false(ct_has(&LB, &vk));
	}
}

/* A RST from the backend closes the flow; stragglers still translated. */
static void test_dnat_rst(void **state)
{
	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct polc_nat_backend be = backend(f->b[2], 8080);
		struct pkt in, want;

		reset();
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_ROUND_ROBIN, 0, &be, 1);
		tcp(&in, f->c, f->vip, 40001, 80, SYN, 0);
		tcp(&want, f->c, f->b[2], 40001, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->b[2], f->c, 8080, 40001, RST | ACK, 0);
		tcp(&want, f->vip, f->c, 80, 40001, RST | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		struct polc_ct_key fk = key(f->c, f->vip, 6, 40001, 80);
		assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_TCP_CLOSE);
		tcp(&in, f->c, f->vip, 40001, 80, ACK, 0);
		tcp(&want, f->c, f->b[2], 40001, 8080, ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		/* a client's RST on an established flow, likewise */
		tcp(&in, f->c, f->vip, 40002, 80, SYN, 0);
		tcp(&want, f->c, f->b[2], 40002, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->b[2], f->c, 8080, 40002, SYN | ACK, 0);
		tcp(&want, f->vip, f->c, 80, 40002, SYN | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 40002, 80, RST, 0);
		tcp(&want, f->c, f->b[2], 40002, 8080, RST, 0);
		PASS_AS(LB.prog, &in, &want);
		struct polc_ct_key fk2 = key(f->c, f->vip, 6, 40002, 80);
		assert_int_equal(CT_MUST(&LB, &fk2).state, POLC_CT_TCP_CLOSE);
	}
}

/*
 * Random balance: every choice within the pool, every backend chosen, and
 * every packet of a flow (a retransmitted SYN included) to its flow's
 * backend, the one its entries hold.
 */
static void test_dnat_random(void **state)
{
	enum { FLOWS = 60 };

	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct polc_nat_backend be[3];
		unsigned hits[3] = { 0, 0, 0 };
		struct pkt in, out, want;

		reset();
		pool3(f, be);
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_RANDOM, 0, be, 3);
		for (uint16_t i = 0; i < FLOWS; i++) {
			uint16_t port = (uint16_t)(41000 + i);

			tcp(&in, f->c, f->vip, port, 80, SYN, 0);
			assert_int_equal(run(LB.prog, &in, &out), TC_PASS);
			int bi = backend_of(f, &out);
			assert_in_range(bi, 0, 2);
			hits[bi]++;
			tcp(&want, f->c, f->b[bi], port, 8080, SYN, 0);
			frame_expect(&out, &want, __LINE__);
			struct polc_ct_key fk = key(f->c, f->vip, 6, port, 80);
			assert_int_equal(CT_MUST(&LB, &fk).backend,
					 2 * f->svc * POLC_NAT_POOL_MAX + (uint32_t)bi);
			/* retransmitted: the same backend */
			PASS_AS(LB.prog, &in, &want);
			tcp(&in, f->b[bi], f->c, 8080, port, SYN | ACK, 0);
			tcp(&want, f->vip, f->c, 80, port, SYN | ACK, 0);
			PASS_AS(LB.prog, &in, &want);
			for (int j = 0; j < 3; j++) {
				tcp(&in, f->c, f->vip, port, 80, ACK | (j ? PSH : 0), 64 * (size_t)j);
				tcp(&want, f->c, f->b[bi], port, 8080, ACK | (j ? PSH : 0), 64 * (size_t)j);
				PASS_AS(LB.prog, &in, &want);
			}
		}
		assert_int_equal(hits[0] + hits[1] + hits[2], FLOWS);
		for (int i = 0; i < 3; i++)
			assert_true(hits[i] > 0); /* each misses 60 draws with p = 2e-11 */
		assert_int_equal(ct_count(&LB), 2 * FLOWS);
	}
}

/* Round robin: flow n to slot first + n % count, exactly. */
static void test_dnat_round_robin(void **state)
{
	enum { FLOWS = 30 };

	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct polc_nat_backend be[3];
		unsigned hits[3] = { 0, 0, 0 };
		struct pkt in, want;

		reset();
		pool3(f, be);
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_ROUND_ROBIN, 0, be, 3);
		for (uint16_t i = 0; i < FLOWS; i++) {
			uint16_t port = (uint16_t)(42000 + i);
			int bi = i % 3;

			tcp(&in, f->c, f->vip, port, 80, SYN, 0);
			tcp(&want, f->c, f->b[bi], port, 8080, SYN, 0);
			PASS_AS(LB.prog, &in, &want);
			hits[bi]++;
		}
		for (int i = 0; i < 3; i++)
			assert_int_equal(hits[i], FLOWS / 3);
		uint32_t ctr;
		assert_int_equal(bpf_map_lookup_elem(LB.rr, &f->svc, &ctr), 0);
		assert_int_equal(ctr, FLOWS);
	}
}

/*
 * Maglev: the backend is table[hash(flow) % M], the hash computed here by
 * the C twin of polc_nat_flow_hash() and the table by common/maglev.c; the
 * same flow gets the same backend again after its entries are lost.
 */
static void test_dnat_maglev(void **state)
{
	enum { FLOWS = 150 };

	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct polc_nat_backend be[3];
		unsigned hits[3] = { 0, 0, 0 };
		uint32_t mslot = (uint32_t)fi;
		struct pkt in, want;

		reset();
		pool3(f, be);
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_MAGLEV, mslot, be, 3);
		const uint32_t *table = maglev_tables[f->svc][0];
		for (int round = 0; round < 2; round++) {
			for (uint16_t i = 0; i < FLOWS; i++) {
				uint16_t port = (uint16_t)(1024 + 397 * i);
				struct polc_ct_key fk = key(f->c, f->vip, 6, port, 80);
				uint32_t bi = table[flow_hash(&fk) % POLC_NAT_MAGLEV_M];

				assert_in_range(bi, 0, 2);
				tcp(&in, f->c, f->vip, port, 80, SYN, 0);
				tcp(&want, f->c, f->b[bi], port, 8080, SYN, 0);
				PASS_AS(LB.prog, &in, &want);
				assert_int_equal(CT_MUST(&LB, &fk).backend,
						 2 * f->svc * POLC_NAT_POOL_MAX + bi);
				if (!round)
					hits[bi]++;
			}
			/* the entries lost (another node, a restart): the same picks */
			ct_flush(&LB);
		}
		for (int i = 0; i < 3; i++)
			assert_true(hits[i] > FLOWS / 6);
	}
}

/*
 * A pool changed the way polctl does it (the other half written, then the
 * service element): existing flows keep their backend, new flows get the
 * new pool; and back.
 */
static void test_dnat_pool_change(void **state)
{
	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct polc_nat_backend a = backend(f->b[0], 8080), b = backend(f->b[1], 8080),
					c = backend(f->b[2], 8080);
		struct pkt in, want;

		reset();
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_ROUND_ROBIN, 0, &a, 1);
		tcp(&in, f->c, f->vip, 43000, 80, SYN, 0);
		tcp(&want, f->c, f->b[0], 43000, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);

		pool_set(&LB, f->svc, 1, POLC_NAT_BALANCE_ROUND_ROBIN, 0, &b, 1);
		tcp(&in, f->b[0], f->c, 8080, 43000, SYN | ACK, 0);
		tcp(&want, f->vip, f->c, 80, 43000, SYN | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 43000, 80, ACK, 10);
		tcp(&want, f->c, f->b[0], 43000, 8080, ACK, 10);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 43001, 80, SYN, 0);
		tcp(&want, f->c, f->b[1], 43001, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);
		struct polc_ct_key k0 = key(f->c, f->vip, 6, 43000, 80), k1 = key(f->c, f->vip, 6, 43001, 80);
		assert_int_equal(CT_MUST(&LB, &k0).backend, 2 * f->svc * POLC_NAT_POOL_MAX);
		assert_int_equal(CT_MUST(&LB, &k1).backend, (2 * f->svc + 1) * POLC_NAT_POOL_MAX);

		/* back to half 0, with another backend */
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_ROUND_ROBIN, 0, &c, 1);
		tcp(&in, f->b[1], f->c, 8080, 43001, SYN | ACK, 0);
		tcp(&want, f->vip, f->c, 80, 43001, SYN | ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 43001, 80, ACK, 0);
		tcp(&want, f->c, f->b[1], 43001, 8080, ACK, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 43002, 80, SYN, 0);
		tcp(&want, f->c, f->b[2], 43002, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 43000, 80, PSH | ACK, 20);
		tcp(&want, f->c, f->b[0], 43000, 8080, PSH | ACK, 20);
		PASS_AS(LB.prog, &in, &want);
	}
}

/* No backend (none, count 0, a slot of the other family): dropped,
 * NAT_NO_BACKEND, nothing created. */
static void test_dnat_no_backend(void **state)
{
	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct pkt in;

		reset();
		struct stats st = stats_get(&LB);
		tcp(&in, f->c, f->vip, 44000, 80, SYN, 0);
		uint64_t bytes = percpu_counter(LB.stats, POLC_CT_STAT_NAT_NO_BACKEND).bytes;
		DROPPED(LB.prog, &in);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_NAT_NO_BACKEND, 1, 0);
		assert_int_equal(percpu_counter(LB.stats, POLC_CT_STAT_NAT_NO_BACKEND).bytes,
				 bytes + in.len);

		/* a backend of the other family */
		struct polc_nat_backend other = backend(FAMS[!fi].b[0], 8080);
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_RANDOM, 0, &other, 1);
		st = stats_get(&LB);
		DROPPED(LB.prog, &in);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_NAT_NO_BACKEND, 1, 0);

		/* a maglev service whose pool was emptied */
		struct polc_nat_backend be[3];
		pool3(f, be);
		pool_set(&LB, f->svc, 1, POLC_NAT_BALANCE_MAGLEV, (uint32_t)fi, be, 3);
		struct polc_nat_svc s;
		assert_int_equal(bpf_map_lookup_elem(LB.svc, &f->svc, &s), 0);
		s.count = 0;
		put(LB.svc, f->svc, &s);
		st = stats_get(&LB);
		DROPPED(LB.prog, &in);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_NAT_NO_BACKEND, 1, 0);
		assert_int_equal(ct_count(&LB), 0);
	}
}

/*
 * A packet a dnat rule matches that cannot open a flow: a TCP ACK without
 * one, a fragment, a packet its flow's state refuses (INVALID).  Dropped,
 * NAT_UNTRACKABLE, once.
 */
static void test_dnat_untrackable(void **state)
{
	for (int fi = 0; fi < 2; fi++) {
		const struct fam *f = &FAMS[fi];
		struct polc_nat_backend be = backend(f->b[0], 8080);
		struct pkt in, want;

		reset();
		pool_set(&LB, f->svc, 0, POLC_NAT_BALANCE_ROUND_ROBIN, 0, &be, 1);
		struct stats st = stats_get(&LB);
		tcp(&in, f->c, f->vip, 45000, 80, ACK, 20);
		DROPPED(LB.prog, &in);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_NAT_UNTRACKABLE, 1, 0);
		assert_int_equal(ct_count(&LB), 0);
		uint32_t ctr;
		assert_int_equal(bpf_map_lookup_elem(LB.rr, &f->svc, &ctr), 0);
		assert_int_equal(ctr, 0); /* no backend was chosen for it */

		/* a first fragment: it has the ports, but is not tracked */
		pkt_init(&in);
		pkt_eth(&in);
		if (fi == 0) {
			pkt_ipv4(&in, &(struct pkt_ip){ .src = f->c, .dst = f->vip, .mf = true });
		} else {
			pkt_ipv6(&in, &(struct pkt_ip){ .src = f->c, .dst = f->vip });
			pkt_ipv6_frag(&in, 0, true, 7);
		}
		pkt_tcp(&in, &(struct pkt_tcp){ .sport = 45001, .dport = 80, .flags = SYN });
		pkt_payload(&in, 64);
		pkt_finish(&in);
		st = stats_get(&LB);
		DROPPED(LB.prog, &in);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_NAT_UNTRACKABLE, 1, 0);

		/* INVALID: a client ACK while the flow waits for the SYN-ACK */
		tcp(&in, f->c, f->vip, 45002, 80, SYN, 0);
		tcp(&want, f->c, f->b[0], 45002, 8080, SYN, 0);
		PASS_AS(LB.prog, &in, &want);
		tcp(&in, f->c, f->vip, 45002, 80, ACK, 0);
		st = stats_get(&LB);
		DROPPED(LB.prog, &in);
		STATS_MOVED(&LB, &st, POLC_CT_STAT_NAT_UNTRACKABLE, 1, 1u << POLC_CT_STAT_INVALID);
		assert_int_equal(stat(&LB, POLC_CT_STAT_INVALID), st.v[POLC_CT_STAT_INVALID] + 1);
		assert_int_equal(ct_count(&LB), 2);
	}
}

/*
 * UDP to a service whose backend keeps the destination port (port 0), a
 * datagram without a checksum (it stays without), and one whose checksum
 * after translation is 0 (sent as 0xffff).
 */
static void test_dnat_udp(void **state)
{
	struct polc_nat_backend be = backend(B4[0], 0);
	struct pkt in, want;

	reset();
	pool_set(&LB, 1, 0, POLC_NAT_BALANCE_RANDOM, 0, &be, 1);
	udp(&in, C4, VIP4, 5000, 53, 33);
	udp(&want, C4, B4[0], 5000, 53, 33);
	PASS_AS(LB.prog, &in, &want);
	udp(&in, B4[0], C4, 53, 5000, 120);
	udp(&want, VIP4, C4, 53, 5000, 120);
	PASS_AS(LB.prog, &in, &want);
	struct polc_ct_key fk = key(C4, VIP4, 17, 5000, 53);
	assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_UDP_REPLIED);

	udp_nocsum(&in, C4, VIP4, 5001, 53, 20);
	udp_nocsum(&want, C4, B4[0], 5001, 53, 20);
	PASS_AS(LB.prog, &in, &want);
	udp_nocsum(&in, B4[0], C4, 53, 5001, 21);
	udp_nocsum(&want, VIP4, C4, 53, 5001, 21);
	PASS_AS(LB.prog, &in, &want);

	/* find the client port whose translated datagram sums to 0 */
	char why[128];
	uint16_t port = 0;
	for (uint32_t p = 1024; p < 65536 && !port; p++) {
		struct view v;

		udp(&want, C4, B4[0], (uint16_t)p, 53, 16);
		assert_true(frame_view(want.data, want.len, &v));
		if (want.data[v.csum] == 0xff && want.data[v.csum + 1] == 0xff)
			port = (uint16_t)p;
	}
	assert_true(port != 0);
	udp(&in, C4, VIP4, port, 53, 16);
	assert_int_equal(csum_check(want.data, want.len, why, sizeof(why)), 0);
	PASS_AS(LB.prog, &in, &want);
	struct pkt out;
	struct view v;
	run(LB.prog, &in, &out);
	assert_true(frame_view(out.data, out.len, &v));
	assert_int_equal(out.data[v.csum] << 8 | out.data[v.csum + 1], 0xffff);
}

/* A plain pass rule of the NAT policy: tracked, nothing rewritten. */
static void test_dnat_policy_plain_rule(void **state)
{
	struct pkt in;

	reset();
	tcp(&in, C4, "192.0.2.22", 46000, 22, SYN, 0);
	PASS_SAME(LB.prog, &in);
	struct polc_ct_key fk = key(C4, "192.0.2.22", 6, 46000, 22);
	struct polc_ct_entry e = CT_MUST(&LB, &fk);
	assert_int_equal(e.nat, 0);
	assert_int_equal(e.rule, 4);
	tcp(&in, "192.0.2.22", C4, 22, 46000, SYN | ACK, 0);
	PASS_SAME(LB.prog, &in);
	tcp(&in, C4, "192.0.2.22", 46000, 22, ACK, 30);
	PASS_SAME(LB.prog, &in);
	assert_int_equal(CT_MUST(&LB, &fk).state, POLC_CT_TCP_ESTABLISHED);
}

/* ---- SNAT ------------------------------------------------------------------- */

/* A LAN host's connection leaves from the SNAT address (its own port, in
 * the default range), replies come back to it; both entries. */
static void test_snat_tcp(void **state)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		const char *lan = fam == 4 ? LAN4 : LAN6, *srv = fam == 4 ? SRV4 : SRV6;
		const char *nat = fam == 4 ? SNAT4 : SNAT6;
		uint8_t proto = 6;
		struct pkt in, want;

		reset();
		snat_set(&GW, fam == 4 ? 0 : 1, nat, 0, 0); /* 0-0: the default range */
		struct stats st = stats_get(&GW);
		tcp(&in, lan, srv, 40000, 443, SYN, 0);
		tcp(&want, nat, srv, 40000, 443, SYN, 0);
		PASS_AS(GW.prog, &in, &want);
		STATS_MOVED(&GW, &st, POLC_CT_STAT_CREATED, 1, 0);
		struct polc_ct_key fk = key(lan, srv, proto, 40000, 443),
				   rk = key(srv, nat, proto, 443, 40000);
		struct polc_ct_entry fe = CT_MUST(&GW, &fk), re = CT_MUST(&GW, &rk);
		assert_int_equal(ct_count(&GW), 2);
		assert_int_equal(fe.nat, POLC_CT_NAT_SRC);
		assert_int_equal(fe.flags, POLC_CT_F_SNAT);
		assert_int_equal(fe.rule, fam == 4 ? 1 : 2);
		assert_memory_equal(fe.xsrc, rk.dst, 16);
		assert_int_equal(fe.xsport, 40000);
		assert_int_equal(re.nat, POLC_CT_NAT_DST);
		assert_memory_equal(re.xdst, fk.src, 16);
		assert_int_equal(re.xdport, 40000);

		tcp(&in, srv, nat, 443, 40000, SYN | ACK, 0);
		tcp(&want, srv, lan, 443, 40000, SYN | ACK, 0);
		PASS_AS(GW.track, &in, &want);
		assert_int_equal(ct_count(&GW), 2);
		for (int i = 0; i < 3; i++) {
			tcp(&in, lan, srv, 40000, 443, ACK | (i ? PSH : 0), 200 * (size_t)i);
			tcp(&want, nat, srv, 40000, 443, ACK | (i ? PSH : 0), 200 * (size_t)i);
			PASS_AS(GW.prog, &in, &want);
			tcp(&in, srv, nat, 443, 40000, PSH | ACK, 1 + 700 * (size_t)i);
			tcp(&want, srv, lan, 443, 40000, PSH | ACK, 1 + 700 * (size_t)i);
			PASS_AS(GW.track, &in, &want);
		}
		assert_int_equal(CT_MUST(&GW, &fk).state, POLC_CT_TCP_ESTABLISHED);
		tcp(&in, srv, nat, 443, 40000, FIN | ACK, 0);
		tcp(&want, srv, lan, 443, 40000, FIN | ACK, 0);
		PASS_AS(GW.track, &in, &want);
		tcp(&in, lan, srv, 40000, 443, FIN | ACK, 0);
		tcp(&want, nat, srv, 40000, 443, FIN | ACK, 0);
		PASS_AS(GW.prog, &in, &want);
		assert_int_equal(CT_MUST(&GW, &fk).state, POLC_CT_TCP_CLOSE);
		tcp(&in, srv, nat, 443, 40000, ACK, 0);
		tcp(&want, srv, lan, 443, 40000, ACK, 0);
		PASS_AS(GW.track, &in, &want);
		assert_int_equal(ct_count(&GW), 2);
	}
}

/* The same source port from two hosts to the same server: distinct
 * translated ports, in the range, each flow's replies to its host. */
static void test_snat_collision(void **state)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		const char *lan = fam == 4 ? LAN4 : LAN6, *lanb = fam == 4 ? LAN4B : LAN6B;
		const char *srv = fam == 4 ? SRV4 : SRV6, *nat = fam == 4 ? SNAT4 : SNAT6;
		struct pkt in, want;

		reset();
		snat_set(&GW, fam == 4 ? 0 : 1, nat, 1024, 65535);
		tcp(&in, lan, srv, 40000, 443, SYN, 0);
		tcp(&want, nat, srv, 40000, 443, SYN, 0);
		PASS_AS(GW.prog, &in, &want);
		struct stats st = stats_get(&GW);
		tcp(&in, lanb, srv, 40000, 443, SYN, 0);
		struct polc_ct_key fk = key(lanb, srv, 6, 40000, 443);
		struct pkt out;
		assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
		uint16_t p2 = CT_MUST(&GW, &fk).xsport;
		assert_true(p2 != 40000 && p2 >= 1024);
		tcp(&want, nat, srv, p2, 443, SYN, 0);
		frame_expect(&out, &want, __LINE__);
		STATS_MOVED(&GW, &st, POLC_CT_STAT_CREATED, 1, 0);
		assert_int_equal(ct_count(&GW), 4);

		tcp(&in, srv, nat, 443, p2, SYN | ACK, 0);
		tcp(&want, srv, lanb, 443, 40000, SYN | ACK, 0);
		PASS_AS(GW.track, &in, &want);
		tcp(&in, srv, nat, 443, 40000, SYN | ACK, 0);
		tcp(&want, srv, lan, 443, 40000, SYN | ACK, 0);
		PASS_AS(GW.track, &in, &want);
		tcp(&in, lanb, srv, 40000, 443, ACK, 5);
		tcp(&want, nat, srv, p2, 443, ACK, 5);
		PASS_AS(GW.prog, &in, &want);
	}
}

/* A range of two ports: two flows to one server get both, a third is
 * dropped and counted NAT_EXHAUSTED once. */
static void test_snat_exhausted(void **state)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		const char *lan = fam == 4 ? LAN4 : LAN6, *lanb = fam == 4 ? LAN4B : LAN6B;
		const char *srv = fam == 4 ? SRV4 : SRV6, *nat = fam == 4 ? SNAT4 : SNAT6;
		const char *hosts[3] = { lan, lan, lanb };
		uint16_t ports[3] = { 40000, 40001, 40000 }, got[2];
		struct pkt in, want, out;

		reset();
		snat_set(&GW, fam == 4 ? 0 : 1, nat, 50000, 50001);
		for (int i = 0; i < 2; i++) {
			tcp(&in, hosts[i], srv, ports[i], 443, SYN, 0);
			assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
			struct polc_ct_key fk = key(hosts[i], srv, 6, ports[i], 443);
			got[i] = CT_MUST(&GW, &fk).xsport;
			assert_in_range(got[i], 50000, 50001);
			tcp(&want, nat, srv, got[i], 443, SYN, 0);
			frame_expect(&out, &want, __LINE__);
		}
		assert_int_not_equal(got[0], got[1]);
		struct stats st = stats_get(&GW);
		uint64_t bytes = percpu_counter(GW.stats, POLC_CT_STAT_NAT_EXHAUSTED).bytes;
		tcp(&in, hosts[2], srv, ports[2], 443, SYN, 0);
		DROPPED(GW.prog, &in);
		STATS_MOVED(&GW, &st, POLC_CT_STAT_NAT_EXHAUSTED, 1, 0);
		assert_int_equal(percpu_counter(GW.stats, POLC_CT_STAT_NAT_EXHAUSTED).bytes,
				 bytes + in.len);
		assert_int_equal(ct_count(&GW), 4);
		/* another server: the same ports are free there */
		tcp(&in, hosts[2], fam == 4 ? "203.0.113.10" : "2001:db8:99::10", ports[2], 443, SYN, 0);
		assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
		assert_int_equal(ct_count(&GW), 6);
	}
}

/* An snat element without an address (an interface without one of the
 * family): dropped, NAT_NO_ADDRESS. */
static void test_snat_no_address(void **state)
{
	struct pkt in;

	reset();
	snat_set(&GW, 2, "2001:db8:1::9", 0, 0); /* IPv6 only */
	struct stats st = stats_get(&GW);
	tcp(&in, LAN9, SRV4, 40000, 443, SYN, 0);
	DROPPED(GW.prog, &in);
	STATS_MOVED(&GW, &st, POLC_CT_STAT_NAT_NO_ADDRESS, 1, 0);
	st = stats_get(&GW);
	tcp(&in, LAN6, SRV6, 40000, 443, SYN, 0);
	DROPPED(GW.prog, &in);
	STATS_MOVED(&GW, &st, POLC_CT_STAT_NAT_NO_ADDRESS, 1, 0);
	assert_int_equal(ct_count(&GW), 0);
	/* a UDP datagram and an echo request likewise */
	st = stats_get(&GW);
	udp(&in, LAN9, SRV4, 5353, 53, 10);
	DROPPED(GW.prog, &in);
	echo(&in, LAN9, SRV4, true, 7, 1);
	DROPPED(GW.prog, &in);
	STATS_MOVED(&GW, &st, POLC_CT_STAT_NAT_NO_ADDRESS, 2, 0);
}

/* Echo requests: the identifier translated into the range (ICMP: no
 * pseudo-header; ICMPv6: one), replies back to the host's identifier. */
static void test_snat_icmp(void **state)
{
	for (int fam = 4; fam <= 6; fam += 2) {
		const char *lan = fam == 4 ? LAN4 : LAN6, *lanb = fam == 4 ? LAN4B : LAN6B;
		const char *srv = fam == 4 ? SRV4 : SRV6, *nat = fam == 4 ? SNAT4 : SNAT6;
		uint8_t proto = fam == 4 ? 1 : 58, req = fam == 4 ? 8 : 128;
		struct pkt in, want, out;

		reset();
		snat_set(&GW, fam == 4 ? 0 : 1, nat, 30000, 30010);
		echo(&in, lan, srv, true, 0x1234, 1);
		assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
		struct polc_ct_key fk = key(lan, srv, proto, 0x1234, req);
		uint16_t id = CT_MUST(&GW, &fk).xsport;
		assert_in_range(id, 30000, 30010);
		echo(&want, nat, srv, true, id, 1);
		frame_expect(&out, &want, __LINE__);

		echo(&in, srv, nat, false, id, 1);
		echo(&want, srv, lan, false, 0x1234, 1);
		PASS_AS(GW.track, &in, &want);
		echo(&in, lan, srv, true, 0x1234, 2);
		echo(&want, nat, srv, true, id, 2);
		PASS_AS(GW.prog, &in, &want);

		/* another host with the same identifier: another one */
		echo(&in, lanb, srv, true, 0x1234, 1);
		assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
		struct polc_ct_key fk2 = key(lanb, srv, proto, 0x1234, req);
		uint16_t id2 = CT_MUST(&GW, &fk2).xsport;
		assert_in_range(id2, 30000, 30010);
		assert_int_not_equal(id, id2);
		echo(&want, nat, srv, true, id2, 1);
		frame_expect(&out, &want, __LINE__);
		echo(&in, srv, nat, false, id2, 1);
		echo(&want, srv, lanb, false, 0x1234, 1);
		PASS_AS(GW.track, &in, &want);
	}
}

/* UDP: a datagram without a checksum keeps none both ways; one with a
 * checksum has it right after the port changes. */
static void test_snat_udp(void **state)
{
	struct pkt in, want, out;

	reset();
	snat_set(&GW, 0, SNAT4, 60000, 60010);
	snat_set(&GW, 1, SNAT6, 60000, 60010);
	udp_nocsum(&in, LAN4, SRV4, 5353, 53, 31);
	assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
	struct polc_ct_key fk = key(LAN4, SRV4, 17, 5353, 53);
	uint16_t port = CT_MUST(&GW, &fk).xsport;
	assert_in_range(port, 60000, 60010);
	udp_nocsum(&want, SNAT4, SRV4, port, 53, 31);
	frame_expect(&out, &want, __LINE__);
	udp_nocsum(&in, SRV4, SNAT4, 53, port, 77);
	udp_nocsum(&want, SRV4, LAN4, 53, 5353, 77);
	PASS_AS(GW.track, &in, &want);

	for (int fam = 4; fam <= 6; fam += 2) {
		const char *lan = fam == 4 ? LAN4B : LAN6, *srv = fam == 4 ? SRV4 : SRV6;
		const char *nat = fam == 4 ? SNAT4 : SNAT6;

		udp(&in, lan, srv, 5353, 53, 40);
		assert_int_equal(run(GW.prog, &in, &out), TC_PASS);
		struct polc_ct_key k = key(lan, srv, 17, 5353, 53);
		uint16_t p = CT_MUST(&GW, &k).xsport;
		assert_in_range(p, 60000, 60010);
		udp(&want, nat, srv, p, 53, 40);
		frame_expect(&out, &want, __LINE__);
		udp(&in, srv, nat, 53, p, 90);
		udp(&want, srv, lan, 53, 5353, 90);
		PASS_AS(GW.track, &in, &want);
		assert_int_equal(CT_MUST(&GW, &k).state, POLC_CT_UDP_REPLIED);
	}
}

/* ---- the programs ------------------------------------------------------------ */

/*
 * What each program costs the verifier and how deep its stack goes: the
 * object loaded once more with the verifier's statistics, the frames of
 * its functions named from its BTF.
 */
static void test_programs(void **state)
{
	static char logs[4][1 << 16];
	static const char *const names[4] = { "lb", "lb_track", "gw", "gw_track" };
	struct bpf_object *o = bpf_object__open_file(obj_path, NULL);

	assert_non_null(o);
	for (int i = 0; i < 4; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(o, names[i]);
		assert_non_null(p);
		bpf_program__set_log_level(p, 4); /* statistics */
		bpf_program__set_log_buf(p, logs[i], sizeof(logs[i]));
	}
	assert_int_equal(bpf_object__load(o), 0);
	struct btf *btf = bpf_object__btf(o);
	assert_non_null(btf);
	printf("  %-9s %6s %9s  %s\n", "program", "xlated", "verified", "stack: frame per function");
	for (int i = 0; i < 4; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(o, names[i]);
		struct bpf_func_info fi[16];
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		info.nr_func_info = 16;
		info.func_info_rec_size = sizeof(fi[0]);
		info.func_info = (__u64)(unsigned long)fi;
		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len), 0);
		assert_true(info.nr_func_info <= 16);
		const char *sd = strstr(logs[i], "stack depth ");
		assert_non_null(sd);
		sd += strlen("stack depth ");
		printf("  %-9s %6u %9u  ", names[i], info.xlated_prog_len / 8, info.verified_insns);
		for (unsigned j = 0; j < info.nr_func_info; j++) {
			const struct btf_type *t = btf__type_by_id(btf, fi[j].type_id);
			unsigned depth = (unsigned)strtoul(sd, (char **)&sd, 10);
			if (*sd == '+')
				sd++;
			printf("%s%s %u", j ? ", " : "", t ? btf__name_by_offset(btf, t->name_off) : "?",
			       depth);
			assert_true(depth <= 512);
		}
		printf("\n");
		assert_true(info.verified_insns < 400000);
	}
	bpf_object__close(o);
}

int main(void)
{
	harness_init();
	int err = harness_build_c("nat", prog_src, sizeof(prog_src) - 1, obj_path, sizeof(obj_path));
	if (err) {
		fprintf(stderr, "cannot compile the NAT test programs: %s\n", strerror(-err));
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnat_tcp),
		cmocka_unit_test(test_dnat_rst),
		cmocka_unit_test(test_dnat_random),
		cmocka_unit_test(test_dnat_round_robin),
		cmocka_unit_test(test_dnat_maglev),
		cmocka_unit_test(test_dnat_pool_change),
		cmocka_unit_test(test_dnat_no_backend),
		cmocka_unit_test(test_dnat_untrackable),
		cmocka_unit_test(test_dnat_udp),
		cmocka_unit_test(test_dnat_policy_plain_rule),
		cmocka_unit_test(test_snat_tcp),
		cmocka_unit_test(test_snat_collision),
		cmocka_unit_test(test_snat_exhausted),
		cmocka_unit_test(test_snat_no_address),
		cmocka_unit_test(test_snat_icmp),
		cmocka_unit_test(test_snat_udp),
		cmocka_unit_test(test_programs),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	for (int i = 0; i < 3; i++)
		for (int h = 0; h < 2; h++)
			free(maglev_tables[i][h]);
	unlink(obj_path);
	return rc;
}
