// SPDX-License-Identifier: BSD-2-Clause
/*
 * polc-bench: what a compiled policy costs per packet, next to the floor.
 *
 * Every case is a policy (a sample, or one generated with N mixed rules)
 * compiled with libpolc, loaded, and run with BPF_PROG_TEST_RUN over a few
 * packets, each chosen to be decided by a known rule (the first, the last,
 * none); the counters are read afterwards to check that the intended rule
 * did decide.  The floor is an XDP program that only returns XDP_PASS,
 * measured in the same run.  polc compile time (clang included) is measured
 * for each generated size.
 *
 *	polc-bench [--repeat N] [--runs R] [--sizes 1,10,100,1000] [--samples DIR]
 *
 * The figure of a case is the median over R runs of the kernel's average
 * over N repeats (ns per packet).  The machine's speed drifts (a VM), so
 * the floor is measured again right before every case, interleaved run by
 * run, and each ratio is against that adjacent floor.  The process is
 * pinned to one CPU.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pktgen.h"
#include "polc.h"
#include "polc_contract.h"
#include "polrt.h"
#include "strbuf.h"

struct opts {
	enum polc_plan_choice plan;
	bool sets;
	unsigned repeat;
	unsigned runs;
	unsigned sizes[16];
	unsigned n_sizes;
	const char *samples;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("polc-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t run_once(int prog_fd, const struct pkt *k, unsigned repeat, int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = k->data, .data_size_in = (uint32_t)k->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &t))
		die("BPF_PROG_TEST_RUN: %s", strerror(errno));
	*retval = (int)t.retval;
	return t.duration;
}

/*
 * Median over runs of the kernel's average ns per run of prog on pkt, and
 * (if floor_fd >= 0) of the floor program, run by run in turn.
 */
static uint32_t measure(int prog_fd, const struct pkt *k, const struct opts *o,
			int *retval, int floor_fd, uint32_t *floor_ns)
{
	uint32_t d[64], f[64];
	unsigned runs = o->runs < 64 ? o->runs : 64;
	int fret;

	for (unsigned i = 0; i < runs; i++) {
		if (floor_fd >= 0)
			f[i] = run_once(floor_fd, k, o->repeat, &fret);
		d[i] = run_once(prog_fd, k, o->repeat, retval);
	}
	qsort(d, runs, sizeof(d[0]), cmp_u32);
	if (floor_fd >= 0) {
		qsort(f, runs, sizeof(f[0]), cmp_u32);
		*floor_ns = f[runs / 2];
	}
	return d[runs / 2];
}

/* The floor: an XDP program that returns XDP_PASS and nothing else. */
static int load_floor(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_pass_floor", "GPL", insns, 2, NULL);

	if (fd < 0)
		die("cannot load the XDP_PASS floor: %s (root?)", strerror(errno));
	return fd;
}

/* ---- policies ------------------------------------------------------------- */

struct loaded {
	struct polrt *rt;
	struct polrt_artifact *art;
	struct polrt_loaded *l;
	int prog_fd;
	int rules_fd;
	int reasons_fd;
	double compile_s;
	long compile_kb; /* peak RSS of the compiling process */
	size_t insns;
	const char *plan;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN && !strstr(fmt, "skipping unrecognized") ? vfprintf(stderr, fmt, ap)
									     : 0;
}

static void log_rt(void *ctx, enum polrt_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= POLRT_LOG_WARN)
		fprintf(stderr, "polc-bench: %s\n", msg);
}

/*
 * Compile text with libpolc in a child process (its wall time and peak
 * memory are the compiler's alone), then load it as polctl would.
 */
static void load_policy(const char *file, const char *text, size_t len, const char *policy,
			const struct opts *o, struct loaded *l)
{
	char out[] = "/tmp/polc-bench-XXXXXX";
	int fd = mkstemp(out);

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		die("mkstemp: %s", strerror(errno));
	close(fd);
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		struct polc_unit *u = NULL;
		int err = polc_unit_new(&u, file, text, len);
		if (!err)
			polc_unit_set_plan(u, o->plan);
		err = err ?: polc_front(u);
		struct polc_build_opts bo = { .sz = sizeof(bo) };
		err = err ?: polc_build(u, &bo, out);
		if (err)
			polc_unit_render_diags(u, stderr);
		_exit(err ? 1 : 0);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		die("cannot run the compiler: %s", strerror(errno));
	l->compile_s = now_s() - t0;
	l->compile_kb = ru.ru_maxrss;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("cannot compile %s", file);

	struct polrt_opts ro = { .sz = sizeof(ro), .log = log_rt };
	if (polrt_new(&l->rt, &ro) || polrt_artifact_open(l->rt, out, &l->art) ||
	    polrt_load(l->rt, l->art, policy, &l->l))
		die("cannot load %s", file);
	unlink(out);

	const struct polrt_meta *m = polrt_artifact_meta(l->art);
	const struct polc_meta_policy *p = polrt_meta_policy(m, policy);
	l->prog_fd = polrt_loaded_prog_fd(l->l);
	l->rules_fd = polrt_loaded_map_fd(l->l, polrt_meta_str(m, p->rules_map_str));
	l->reasons_fd = polrt_loaded_map_fd(l->l, polrt_meta_str(m, p->reasons_map_str));
	l->plan = p->plan == POLC_PLAN_CLASSIFIER ? "classifier" : "linear";
	struct bpf_prog_info info = { 0 };
	uint32_t info_len = sizeof(info);
	if (bpf_obj_get_info_by_fd(l->prog_fd, &info, &info_len) == 0)
		l->insns = info.xlated_prog_len / 8;
}

static void unload(struct loaded *l)
{
	polrt_loaded_free(&l->l);
	polrt_artifact_free(&l->art);
	polrt_free(&l->rt);
}

static uint64_t counter(int map_fd, uint32_t index)
{
	int ncpu = libbpf_num_possible_cpus();
	struct polc_counter v[512];
	uint64_t sum = 0;

	if (ncpu > 512 || bpf_map_lookup_elem(map_fd, &index, v))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += v[i].packets;
	return sum;
}

/*
 * Run one packet and check it was decided by rule `rule` (0: by the default).
 * Prints one row.
 */
static void bench_packet(const char *label, const char *what, struct loaded *l,
			 const struct pkt *k, uint32_t rule, int floor_fd,
			 const struct opts *o)
{
	int map = rule ? l->rules_fd : l->reasons_fd;
	uint32_t index = rule ? rule - 1 : POLC_REASON_DEFAULT;
	uint64_t before = counter(map, index);
	int retval;
	uint32_t floor_ns = 0;
	uint32_t ns = measure(l->prog_fd, k, o, &retval, floor_fd, &floor_ns);
	uint64_t after = counter(map, index);

	if (after - before != (uint64_t)o->repeat * o->runs)
		die("%s %s: the packet was not decided by %s %u (counted %llu of %llu)", label,
		    what, rule ? "rule" : "the default", rule,
		    (unsigned long long)(after - before),
		    (unsigned long long)o->repeat * o->runs);
	printf("| %-22s | %-30s | %5zu | %6u | %5u | %5.2f |\n", label, what, l->insns, ns, floor_ns,
	       floor_ns ? (double)ns / floor_ns : 0.0);
	fflush(stdout);
}

/* ---- generated policies ---------------------------------------------------- */

/*
 * Rule i of a generated policy.  Kinds rotate: an IPv4 prefix, TCP ports to
 * a prefix, an IPv6 prefix with a UDP port range, and a TCP 5-field rule.
 * Every rule's source is unique (10.A.B.0/24 or 2001:db8:A:B::/64 from i),
 * so the packet built for rule i is decided by rule i and no other.
 */
/* The first two octets and the third of rule i's source: unique to 2^24. */
#define GEN_O1(i) (10 + ((i) >> 16))
#define GEN_O2(i) (((i) >> 8) & 255)
#define GEN_O3(i) ((i)&255)

static void gen_rule(struct strbuf *sb, unsigned i)
{
	unsigned o1 = GEN_O1(i), o2 = GEN_O2(i), o3 = GEN_O3(i);

	switch (i % 4) {
	case 0:
		strbuf_printf(sb, "    drop from %u.%u.%u.0/24\n", o1, o2, o3);
		break;
	case 1:
		strbuf_printf(sb, "    pass tcp from %u.%u.%u.0/24 to port { 80, 443 }\n", o1, o2, o3);
		break;
	case 2:
		strbuf_printf(sb, "    pass udp from 2001:db8:%x:%x::/64 to port 1000-2000\n",
			      (i >> 8) & 0xffff, o3);
		break;
	case 3:
		strbuf_printf(sb,
			      "    drop tcp from %u.%u.%u.7 port 1024-65535 to 192.0.2.0/24 port 22\n",
			      o1, o2, o3);
		break;
	}
}

static void gen_packet(struct pkt *k, unsigned i)
{
	unsigned o1 = GEN_O1(i), o2 = GEN_O2(i), b = GEN_O3(i);
	char src[64];

	switch (i % 4) {
	case 0:
		snprintf(src, sizeof(src), "%u.%u.%u.1", o1, o2, b);
		pkt_udp4(k, src, "192.0.2.1", 5000, 53, 16);
		break;
	case 1:
		snprintf(src, sizeof(src), "%u.%u.%u.1", o1, o2, b);
		pkt_tcp4(k, src, "192.0.2.1", 40000, 443, PKT_TCP_SYN, 0);
		break;
	case 2:
		snprintf(src, sizeof(src), "2001:db8:%x:%x::1", (i >> 8) & 0xffff, b);
		pkt_udp6(k, src, "2001:db8:ffff::1", 5000, 1500, 16);
		break;
	case 3:
		snprintf(src, sizeof(src), "%u.%u.%u.7", o1, o2, b);
		pkt_tcp4(k, src, "192.0.2.9", 40000, 22, PKT_TCP_SYN, 0);
		break;
	}
}

static void bench_generated(unsigned n, int floor_fd, const struct opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	struct loaded l;
	struct pkt k;
	char label[64];

	strbuf_printf(&sb, "policy gen {\n    attach xdp\n    default pass\n");
	for (unsigned i = 0; i < n; i++)
		gen_rule(&sb, i);
	strbuf_puts(&sb, "}\n");
	load_policy("gen.pol", strbuf_str(&sb), sb.len, "gen", o, &l);
	snprintf(label, sizeof(label), "%u rule%s, %s", n, n == 1 ? "" : "s", l.plan);

	gen_packet(&k, 0);
	bench_packet(label, "decided by rule 1", &l, &k, 1, floor_fd, o);
	if (n > 1) {
		gen_packet(&k, n - 1);
		char what[64];
		snprintf(what, sizeof(what), "decided by rule %u (last)", n);
		bench_packet(label, what, &l, &k, n, floor_fd, o);
	}
	pkt_tcp4(&k, "172.16.0.1", "192.0.2.1", 40000, 443, PKT_TCP_SYN, 0);
	bench_packet(label, "no rule matches (default)", &l, &k, 0, floor_fd, o);
	fprintf(stderr, "polc-bench: %u rules: plan %s, polc compile %.3f s (clang included), peak %.0f MiB, %zu insns\n",
		n, l.plan, l.compile_s, (double)l.compile_kb / 1024, l.insns);
	unload(&l);
	strbuf_release(&sb);
}

/* ---- samples ---------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return strbuf_steal(&sb);
}

struct sample_case {
	const char *file;
	const char *policy;
	const char *what;
	uint32_t rule; /* 0: the default */
	void (*build)(struct pkt *k);
};

static void syn_web(struct pkt *k)
{
	pkt_tcp4(k, "203.0.113.5", "192.0.2.10", 40000, 443, PKT_TCP_SYN, 0);
}

static void syn_telnet(struct pkt *k)
{
	pkt_tcp4(k, "203.0.113.5", "192.0.2.10", 40000, 23, PKT_TCP_SYN, 0);
}

static void syn_ssh6_admin(struct pkt *k)
{
	pkt_tcp6(k, "2001:db8:a::5", "2001:db8::10", 40000, 22, PKT_TCP_SYN, 0);
}

static void ping_other(struct pkt *k)
{
	pkt_icmp4(k, "203.0.113.5", "192.0.2.10", 8, 0, 56);
}

static void https_out(struct pkt *k)
{
	pkt_tcp4(k, "10.1.2.3", "93.184.216.34", 40000, 443, PKT_TCP_SYN, 0);
}

static void smtp_out(struct pkt *k)
{
	pkt_tcp4(k, "10.1.2.3", "93.184.216.34", 40000, 25, PKT_TCP_SYN, 0);
}

static const struct sample_case samples[] = {
	{ "quickstart.pol", "web", "tcp to 443 (rule 3)", 3, syn_web },
	{ "quickstart.pol", "web", "tcp to 23 (default)", 0, syn_telnet },
	{ "ssh-icmp.pol", "bastion", "ssh from admins, IPv6 (rule 7)", 7, syn_ssh6_admin },
	{ "ssh-icmp.pol", "bastion", "ping from elsewhere (rule 6)", 6, ping_other },
	{ "egress.pol", "workload-out", "https out (rule 5)", 5, https_out },
	{ "egress.pol", "workload-out", "smtp out (default)", 0, smtp_out },
};

static void bench_samples(int floor_fd, const struct opts *o)
{
	const char *loaded_file = NULL;
	struct loaded l;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample_case *s = &samples[i];
		if (!loaded_file || strcmp(loaded_file, s->file) != 0) {
			if (loaded_file)
				unload(&l);
			char path[1024];
			size_t len;
			snprintf(path, sizeof(path), "%s/%s", o->samples, s->file);
			char *text = read_all(path, &len);
			load_policy(s->file, text, len, s->policy, o, &l);
			free(text);
			loaded_file = s->file;
		}
		struct pkt k;
		s->build(&k);
		bench_packet(s->file, s->what, &l, &k, s->rule, floor_fd, o);
	}
	if (loaded_file)
		unload(&l);
}

/*
 * An artifact compiled elsewhere (e.g. from hand-edited generated C), with
 * the generated policy's packets: for experiments on the generated code.
 */
static void bench_object(const char *path, unsigned n, int floor_fd, const struct opts *o)
{
	struct loaded l = { 0 };
	struct polrt_opts ro = { .sz = sizeof(ro), .log = log_rt };
	struct pkt k;

	if (polrt_new(&l.rt, &ro) || polrt_artifact_open(l.rt, path, &l.art) ||
	    polrt_load(l.rt, l.art, "gen", &l.l))
		die("cannot load %s", path);
	const struct polrt_meta *m = polrt_artifact_meta(l.art);
	const struct polc_meta_policy *p = polrt_meta_policy(m, "gen");
	l.prog_fd = polrt_loaded_prog_fd(l.l);
	l.rules_fd = polrt_loaded_map_fd(l.l, polrt_meta_str(m, p->rules_map_str));
	l.reasons_fd = polrt_loaded_map_fd(l.l, polrt_meta_str(m, p->reasons_map_str));
	gen_packet(&k, 1);
	bench_packet(path, "decided by rule 2", &l, &k, 2, floor_fd, o);
	gen_packet(&k, n - 1);
	bench_packet(path, "decided by the last rule", &l, &k, n, floor_fd, o);
	unload(&l);
}

/* ---- sets ------------------------------------------------------------------ */

static uint32_t rng_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * A policy dropping sources in a set of n random IPv4 prefixes (/8-/32,
 * none in 198.18.0.0/15, which the packets come from), as a set file.
 */
/*
 * n random IPv4 prefixes shaped like a blocklist (60 % hosts, 25 % /24s,
 * 10 % /17-/23, 5 % /12-/16), none covering 198.18.0.0/15 (where the
 * benchmark's other packets come from), one per line into path; seed picks
 * the sequence.  Returns the n/2-th prefix's address (a member).
 */
static uint32_t write_set(const char *path, unsigned n, uint32_t seed)
{
	uint32_t x = 0x9e3779b9u ^ seed, member = 0;
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot write %s", path);
	for (unsigned i = 0; i < n; i++) {
		uint32_t a, len;
		do {
			a = rng_next(&x);
			uint32_t r = rng_next(&x) % 100;
			len = r < 60 ? 32 : r < 85 ? 24 : r < 95 ? 17 + r % 7 : 12 + r % 5;
			a &= ~0u << (32 - len);
		} while ((a >> 17) == (0xc612u >> 1) || /* 198.18.0.0/15 */
			 ((0xc6120000u & (len ? ~0u << (32 - len) : 0)) == a));
		if (i == n / 2)
			member = a;
		fprintf(f, "%u.%u.%u.%u/%u\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, len);
	}
	if (fclose(f))
		die("cannot write %s", path);
	return member;
}

static void bench_set(unsigned n, int floor_fd, const struct opts *o)
{
	char dir[] = "/tmp/polc-bench-set-XXXXXX", path[256], label[64];
	struct strbuf sb = STRBUF_INIT;

	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/set.txt", dir);
	uint32_t member = write_set(path, n, n);
	strbuf_printf(&sb,
		      "set blocklist : ipv4 prefix file \"set.txt\"\n"
		      "policy blocklist {\n    attach xdp\n    default pass\n"
		      "    drop from @blocklist\n}\n");
	snprintf(path, sizeof(path), "%s/set.pol", dir);
	struct loaded l;
	load_policy(path, strbuf_str(&sb), sb.len, "blocklist", o, &l);
	snprintf(label, sizeof(label), "set of %u prefixes", n);

	struct pkt k;
	char src[32];
	snprintf(src, sizeof(src), "%u.%u.%u.%u", member >> 24, (member >> 16) & 255,
		 (member >> 8) & 255, (member & 255) | 1);
	pkt_udp4(&k, src, "192.0.2.1", 5000, 53, 16);
	bench_packet(label, "member (dropped)", &l, &k, 1, floor_fd, o);
	pkt_udp4(&k, "198.18.0.5", "192.0.2.1", 5000, 53, 16);
	bench_packet(label, "not a member (passed)", &l, &k, 0, floor_fd, o);
	fprintf(stderr, "polc-bench: set of %u: polc compile %.3f s, peak %.0f MiB\n", n, l.compile_s,
		(double)l.compile_kb / 1024);
	unload(&l);
	snprintf(path, sizeof(path), "%s/set.txt", dir);
	unlink(path);
	rmdir(dir);
	strbuf_release(&sb);
}

/* ---- connection tracking ------------------------------------------------- */

/* One run of a program (the companion: a tc program) over a packet. */
static int run_one(int fd, const struct pkt *k)
{
	int retval;

	run_once(fd, k, 1, &retval);
	return retval;
}

/*
 * A tracked policy: the cost of a packet of an established flow (passed on
 * one conntrack lookup, no rules), checked from the table's own counter,
 * and of a new flow (the rules, then the table's insert).  The same
 * policy without track is measured alongside.
 */
static void bench_track(int floor_fd, const struct opts *o)
{
	static const char *const untracked =
		"policy srv {\n    attach xdp\n    default drop\n"
		"    pass udp to port 53\n    pass tcp to port 80\n}\n";
	static const char *const tracked =
		"policy srv {\n    attach xdp\n    default drop\n    track\n"
		"    pass udp to port 53\n    pass tcp to port 80\n}\n";
	struct loaded u, t;
	struct pkt k, syn, synack, ack;

	load_policy("untracked.pol", untracked, strlen(untracked), "srv", o, &u);
	load_policy("tracked.pol", tracked, strlen(tracked), "srv", o, &t);
	pkt_udp4(&k, "203.0.113.5", "192.0.2.10", 40000, 53, 16);
	bench_packet("udp, no track", "decided by rule 1", &u, &k, 1, floor_fd, o);

	/* a new UDP flow, then packets of it */
	int stats_fd = polrt_loaded_map_fd(t.l, "pol_srv_ct_stats");
	int comp_fd = polrt_loaded_companion_fd(t.l);
	if (stats_fd < 0 || comp_fd < 0)
		die("the tracked policy lacks its conntrack maps or companion");
	if (run_one(t.prog_fd, &k) != 2 /* XDP_PASS */)
		die("the first packet of a flow was not passed");
	uint64_t before = counter(stats_fd, POLC_CT_STAT_ESTABLISHED);
	uint64_t rule_before = counter(t.rules_fd, 0);
	int retval;
	uint32_t floor_ns = 0;
	uint32_t ns = measure(t.prog_fd, &k, o, &retval, floor_fd, &floor_ns);
	uint64_t est = counter(stats_fd, POLC_CT_STAT_ESTABLISHED) - before;
	if (retval != 2 || est != (uint64_t)o->repeat * o->runs || counter(t.rules_fd, 0) != rule_before)
		die("udp, track: the packets were not passed as an established flow (%llu of %llu)",
		    (unsigned long long)est, (unsigned long long)o->repeat * o->runs);
	printf("| %-22s | %-30s | %5zu | %6u | %5u | %5.2f |\n", "udp, track", "established flow",
	       t.insns, ns, floor_ns, floor_ns ? (double)ns / floor_ns : 0.0);

	/* TCP: the handshake through both programs, then the flow's ACKs */
	pkt_tcp4(&syn, "203.0.113.5", "192.0.2.10", 41000, 80, PKT_TCP_SYN, 0);
	pkt_tcp4(&synack, "192.0.2.10", "203.0.113.5", 80, 41000, PKT_TCP_SYN | PKT_TCP_ACK, 0);
	pkt_tcp4(&ack, "203.0.113.5", "192.0.2.10", 41000, 80, PKT_TCP_ACK, 0);
	if (run_one(t.prog_fd, &syn) != 2)
		die("the SYN was not passed");
	run_one(comp_fd, &synack);
	before = counter(stats_fd, POLC_CT_STAT_ESTABLISHED);
	rule_before = counter(t.rules_fd, 1);
	ns = measure(t.prog_fd, &ack, o, &retval, floor_fd, &floor_ns);
	est = counter(stats_fd, POLC_CT_STAT_ESTABLISHED) - before;
	if (retval != 2 || est != (uint64_t)o->repeat * o->runs || counter(t.rules_fd, 1) != rule_before)
		die("tcp, track: the ACKs were not passed as an established flow (%llu of %llu)",
		    (unsigned long long)est, (unsigned long long)o->repeat * o->runs);
	printf("| %-22s | %-30s | %5zu | %6u | %5u | %5.2f |\n", "tcp, track", "established flow",
	       t.insns, ns, floor_ns, floor_ns ? (double)ns / floor_ns : 0.0);
	/* a SYN always goes through the rules (and replaces the flow) */
	bench_packet("tcp, track", "new flow (SYN, rule 2)", &t, &syn, 2, floor_fd, o);
	bench_packet("tcp, no track", "SYN, rule 2", &u, &syn, 2, floor_fd, o);
	unload(&u);
	unload(&t);
}

/* One measured established path: packets passed as a known flow's, no rule. */
static void bench_established(const char *what, const char *how, struct loaded *l, int stats_fd,
			      const struct pkt *k, int pass, int floor_fd, const struct opts *o)
{
	uint64_t before = counter(stats_fd, POLC_CT_STAT_ESTABLISHED);
	int retval;
	uint32_t floor_ns = 0;
	uint32_t ns = measure(l->prog_fd, k, o, &retval, floor_fd, &floor_ns);
	uint64_t est = counter(stats_fd, POLC_CT_STAT_ESTABLISHED) - before;

	if (retval != pass || est != (uint64_t)o->repeat * o->runs)
		die("%s: the packets were not passed as an established flow (%llu of %llu, return %d)",
		    what, (unsigned long long)est, (unsigned long long)o->repeat * o->runs, retval);
	printf("| %-22s | %-30s | %5zu | %6u | %5u | %5.2f |\n", what, how, l->insns, ns, floor_ns,
	       floor_ns ? (double)ns / floor_ns : 0.0);
}

/*
 * DNAT on tc ingress: the cost of a packet of a translated flow (one
 * lookup, then the rewrite: address, port, IPv4 and UDP checksums).
 * BPF_PROG_TEST_RUN runs the program `repeat` times on one buffer, which
 * the first run rewrites; so the policy translates the flow both ways (a
 * service 192.0.2.10:53 on backend 10.2.1.2:5353, and the backend's
 * address back to the service), two flows whose packets turn into each
 * other: every run is a translated packet of a known flow.  Next to it the
 * same policy's untranslated flow on tc (lookup only).
 */
static void bench_nat(int floor_fd, const struct opts *o)
{
	static const char *const text =
		"policy lb {\n    attach tc ingress\n    default drop\n    track\n"
		"    dnat udp to 192.0.2.10 port 53 -> 10.2.1.2:5353\n"
		"    dnat udp to 10.2.1.2 port 5353 -> 192.0.2.10:53\n"
		"    dnat tcp to 192.0.2.10 port 80 -> { 10.2.1.2:8080, 10.2.2.2:8080, 10.2.3.2:8080 } balance maglev\n"
		"    pass udp to port 9\n}\n";
	struct loaded l;
	struct pkt a, b, plain;
	const int tc_pass = -1; /* TC_ACT_UNSPEC */

	load_policy("nat.pol", text, strlen(text), "lb", o, &l);
	int stats_fd = polrt_loaded_map_fd(l.l, "pol_lb_ct_stats");
	if (stats_fd < 0)
		die("the NAT policy lacks its conntrack maps");
	pkt_udp4(&a, "203.0.113.5", "192.0.2.10", 40000, 53, 16);
	pkt_udp4(&b, "203.0.113.5", "10.2.1.2", 40000, 5353, 16);
	pkt_udp4(&plain, "203.0.113.5", "192.0.2.9", 40000, 9, 16);
	if (run_one(l.prog_fd, &a) != tc_pass || run_one(l.prog_fd, &b) != tc_pass ||
	    run_one(l.prog_fd, &plain) != tc_pass)
		die("the first packets of the flows were not passed");
	bench_established("udp, track, tc", "established, no NAT", &l, stats_fd, &plain, tc_pass,
			  floor_fd, o);
	bench_established("udp, dnat, tc", "established, translated", &l, stats_fd, &a, tc_pass,
			  floor_fd, o);
	unload(&l);
}

int main(int argc, char **argv)
{
	struct opts o = { .repeat = 1000000, .runs = 5, .sizes = { 1, 10, 100, 1000, 10000, 100000 },
			  .n_sizes = 6,
			  .samples = "samples" };
	static const struct option lopts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "sizes", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, 'S' },
		{ "plan", required_argument, NULL, 'p' },
		{ "sets", required_argument, NULL, 'e' },
		{ "object", required_argument, NULL, 'o' },
		{ "write-policy", required_argument, NULL, 'W' },
		{ "write-set", required_argument, NULL, 'w' },
		{ "track", no_argument, NULL, 't' },
		{ "no-track", no_argument, NULL, 'T' },
		{ 0 },
	};
	int opt;

	unsigned set_sizes[8] = { 1000, 100000, 1000000 }, n_set_sizes = 3;
	const char *object = NULL, *write_policy = NULL, *write_set_to = NULL;

	bool track = true;
	while ((opt = getopt_long(argc, argv, "r:n:s:S:p:e:o:W:w:tT", lopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			track = true;
			break;
		case 'T':
			track = false;
			break;
		case 'r':
			o.repeat = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o.runs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's': {
			o.n_sizes = 0;
			for (char *t = strtok(optarg, ","); t && o.n_sizes < 16; t = strtok(NULL, ","))
				o.sizes[o.n_sizes++] = (unsigned)strtoul(t, NULL, 10);
			break;
		}
		case 'S':
			o.samples = optarg;
			break;
		case 'o':
			object = optarg;
			break;
		case 'W':
			write_policy = optarg;
			break;
		case 'w':
			write_set_to = optarg;
			break;
		case 'p':
			o.plan = strcmp(optarg, "linear") == 0	   ? POLC_PLAN_FORCE_LINEAR :
				 strcmp(optarg, "classifier") == 0 ? POLC_PLAN_FORCE_CLASSIFIER :
								     POLC_PLAN_AUTO;
			break;
		case 'e':
			n_set_sizes = 0;
			for (char *t = strtok(optarg, ","); t && n_set_sizes < 8; t = strtok(NULL, ","))
				if (strtoul(t, NULL, 10))
					set_sizes[n_set_sizes++] = (unsigned)strtoul(t, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: polc-bench [--repeat N] [--runs R] [--sizes 1,10,...] [--sets 1000,...]\n"
					"                  [--plan auto|linear|classifier] [--samples DIR]\n");
			return 2;
		}
	}
	if (!o.repeat || !o.runs)
		die("--repeat and --runs must be positive");
	/* --write-policy FILE --sizes N / --write-set FILE --sets N: the inputs
	 * of the cases, for bench/scale.sh to time polc and polctl on */
	if (write_policy) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_printf(&sb, "policy gen {\n    attach xdp\n    default pass\n");
		for (unsigned i = 0; i < o.sizes[0]; i++)
			gen_rule(&sb, i);
		strbuf_puts(&sb, "}\n");
		FILE *f = fopen(write_policy, "w");
		if (!f || fwrite(sb.buf, 1, sb.len, f) != sb.len || fclose(f))
			die("cannot write %s", write_policy);
		strbuf_release(&sb);
		return 0;
	}
	if (write_set_to) {
		write_set(write_set_to, set_sizes[0], set_sizes[0] ^ 0x5a5a);
		return 0;
	}
	libbpf_set_print(libbpf_quiet);
	setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){ RLIM_INFINITY, RLIM_INFINITY });

	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		fprintf(stderr, "polc-bench: cannot pin to CPU 0: %s\n", strerror(errno));

	int floor_fd = load_floor();
	printf("BPF_PROG_TEST_RUN, %u repeats, median of %u runs, pinned to CPU 0; the floor (an\n"
	       "XDP_PASS program) is measured interleaved with each case\n\n",
	       o.repeat, o.runs);
	printf("| %-22s | %-30s | %5s | %6s | %5s | %5s |\n", "case", "packet", "insns", "ns/pkt",
	       "floor", "x floor");
	printf("|%s|%s|%s|%s|%s|%s|\n", "------------------------", "--------------------------------",
	       "-------", "--------", "-------", "-------");
	if (object) {
		/* --object FILE --sizes N: that artifact of the generated policy of N */
		bench_object(object, o.sizes[0], floor_fd, &o);
		return 0;
	}
	bench_samples(floor_fd, &o);
	for (unsigned i = 0; i < o.n_sizes; i++)
		bench_generated(o.sizes[i], floor_fd, &o);
	for (unsigned i = 0; i < n_set_sizes; i++)
		bench_set(set_sizes[i], floor_fd, &o);
	if (track) {
		bench_track(floor_fd, &o);
		bench_nat(floor_fd, &o);
	}
	close(floor_fd);
	return 0;
}
