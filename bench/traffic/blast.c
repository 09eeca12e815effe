// SPDX-License-Identifier: BSD-2-Clause
/*
 * polc-blast: send crafted Ethernet frames out of one device as fast as the
 * kernel takes them, for a bounded time or count.
 *
 *	polc-blast --dev DEV [--mode packet|xdp] [--dst-mac MAC]
 *		   [--kind rules|bigset] [--rules N]
 *		   [--template first|last|none|mix] [--flows F]
 *		   [--duration S] [--count N] [--batch B] [--cpu C]
 *		   [--no-bypass] [--describe] [-j]
 *
 * The frames are those of bench/traffic/rules.h, built with pktgen: for
 * --template first|last|none one frame, decided by the first rule, the last
 * rule or no rule of the generated policy of N rules; for mix, F frames
 * (flow j is the frame of rule j * N / F) sent in turn.  Every frame is
 * padded to 60 bytes.  The same options give the same frames in the same
 * order, whatever filter runs on the other side.
 *
 * --mode packet (the default): frames go out through an AF_PACKET socket
 * bound to DEV, in batches of B with sendmmsg(), with PACKET_QDISC_BYPASS
 * (unless --no-bypass); a veth has no qdisc anyway.  Every frame is an skb
 * from the start.  A frame the device refuses (a veth whose peer's ring is
 * full answers ENOBUFS) is counted as refused and skipped, so the order
 * stays the same.
 *
 * --mode xdp: frames are injected with BPF_PROG_TEST_RUN in live-frames
 * mode (BPF_F_TEST_XDP_LIVE_FRAMES) into a small XDP program that
 * redirects them to DEV (one frame: no mix).  While it runs the program is
 * also attached to DEV in generic mode, passing what DEV receives (see
 * blast_xdp() for why).  On a veth they reach the peer as XDP
 * frames, not skbs, as from a NIC: an XDP program there sees raw frames
 * and the kernel builds an skb only for what it passes (nftables on the
 * ingress hook sees that skb).  Frames the peer's ring has no room for are
 * dropped by the veth and counted there, not here ("refused" stays 0).
 *
 * The run stops after S seconds (default 5, at most 60) or N frames,
 * whichever comes first.
 *
 * Prints frames offered, frames the device took, frames it refused, elapsed
 * time and rate; -j as one JSON object.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pktgen.h"
#include "rules.h"

#define MAX_DURATION_S 60.0
#define MAX_BATCH 1024
#define MAX_FLOWS 65536
#define FRAME_LEN 60

enum template { T_FIRST, T_LAST, T_NONE, T_MIX };

static const char *const template_names[] = { "first", "last", "none", "mix" };

enum mode { M_PACKET, M_XDP };

struct opts {
	const char *dev;
	enum mode mode;
	uint8_t dst_mac[6];
	bool have_dst_mac;
	enum gen_kind kind;
	unsigned rules;
	enum template tmpl;
	unsigned flows;
	double duration;
	unsigned long long count;
	unsigned batch;
	int cpu;
	bool bypass;
	bool describe;
	bool json;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("polc-blast: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- frames ------------------------------------------------------------------ */

/* The frame decided by rule i of the "rules" policy (i < 0: by no rule). */
static void frame_rule(struct pkt *k, long i)
{
	char src[64];

	if (i < 0) {
		pkt_tcp4(k, GEN_NOMATCH_SRC, "192.0.2.1", 40000, 443, PKT_TCP_SYN, 0);
		return;
	}
	switch (i % 4) {
	case 0:
		gen_src4(src, sizeof(src), (unsigned)i, 1);
		pkt_udp4(k, src, "192.0.2.1", 5000, 53, 16);
		break;
	case 1:
		gen_src4(src, sizeof(src), (unsigned)i, 1);
		pkt_tcp4(k, src, "192.0.2.1", 40000, 443, PKT_TCP_SYN, 0);
		break;
	case 2:
		gen_src6(src, sizeof(src), (unsigned)i, "1");
		pkt_udp6(k, src, "2001:db8:ffff::1", 5000, 1500, 16);
		break;
	case 3:
		gen_src4(src, sizeof(src), (unsigned)i, 7);
		pkt_tcp4(k, src, "192.0.2.9", 40000, 22, PKT_TCP_SYN, 0);
		break;
	}
}

/* The frame decided by prefix k of the "bigset" policy (k < 0: by none). */
static void frame_bigset(struct pkt *p, long k)
{
	char src[32];

	if (k < 0) {
		pkt_udp4(p, GEN_NOMATCH_SRC, "192.0.2.1", 5000, 53, 16);
		return;
	}
	gen_bigset_prefix(src, sizeof(src), (unsigned)k, 1);
	pkt_udp4(p, src, "192.0.2.1", 5000, 53, 16);
}

static void build_frame(const struct opts *o, struct pkt *p, long rule)
{
	if (o->kind == GEN_BIGSET)
		frame_bigset(p, rule);
	else
		frame_rule(p, rule);
	if (p->len < FRAME_LEN)
		pkt_pad(p, FRAME_LEN);
	if (o->have_dst_mac)
		memcpy(p->data, o->dst_mac, 6);
}

/* The frames of the run, in the order they are sent. */
static struct pkt *build_frames(const struct opts *o, unsigned *n)
{
	unsigned count = o->tmpl == T_MIX ? o->flows : 1;
	struct pkt *f = calloc(count, sizeof(*f));

	if (!f)
		die("out of memory");
	for (unsigned j = 0; j < count; j++) {
		long rule;

		switch (o->tmpl) {
		case T_FIRST:
			rule = 0;
			break;
		case T_LAST:
			rule = (long)o->rules - 1;
			break;
		case T_NONE:
			rule = -1;
			break;
		default:
			rule = (long)((unsigned long long)j * o->rules / count);
			break;
		}
		build_frame(o, &f[j], rule);
	}
	*n = count;
	return f;
}

/* ---- sending ----------------------------------------------------------------- */

static int open_socket(const struct opts *o)
{
	unsigned ifindex = if_nametoindex(o->dev);
	int fd, one = 1, sndbuf = 4 << 20;

	if (!ifindex)
		die("no device %s: %s", o->dev, strerror(errno));
	/* Protocol 0: the socket sends only, nothing is delivered to it. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		die("AF_PACKET socket: %s (root?)", strerror(errno));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = (int)ifindex };
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind to %s: %s", o->dev, strerror(errno));
	if (o->bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		die("PACKET_QDISC_BYPASS: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return fd;
}

struct result {
	unsigned long long offered, sent, refused;
	double elapsed;
};

static void blast(const struct opts *o, int fd, struct pkt *frames, unsigned n_frames,
		  struct result *r)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	unsigned next = 0; /* the frame the next message carries */
	double t0 = now_s(), deadline = t0 + o->duration;

	memset(r, 0, sizeof(*r));
	for (unsigned j = 0; j < o->batch; j++) {
		msgs[j].msg_hdr.msg_iov = &iov[j];
		msgs[j].msg_hdr.msg_iovlen = 1;
	}
	while (!stop) {
		unsigned b = o->batch;

		if (o->count && o->count - r->offered < b)
			b = (unsigned)(o->count - r->offered);
		if (!b)
			break;
		for (unsigned j = 0; j < b; j++) {
			const struct pkt *p = &frames[(next + j) % n_frames];

			iov[j].iov_base = (void *)p->data;
			iov[j].iov_len = p->len;
		}
		/* Send the batch; a refused frame is counted and skipped. */
		unsigned done = 0;
		while (done < b) {
			int k = sendmmsg(fd, msgs + done, b - done, 0);

			if (k > 0) {
				done += (unsigned)k;
				r->sent += (unsigned)k;
				continue;
			}
			if (k < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
				done++;
				r->refused++;
				continue;
			}
			if (k < 0 && errno == EINTR)
				break;
			die("sendmmsg on %s: %s", o->dev, k < 0 ? strerror(errno) : "sent nothing");
		}
		r->offered += done;
		next = (unsigned)((next + done) % n_frames);
		if (now_s() >= deadline)
			break;
	}
	r->elapsed = now_s() - t0;
}

/*
 * The XDP sender: a program that redirects every frame to ifindex, run by
 * BPF_PROG_TEST_RUN over live frames.  Frames that reach the program on
 * ifindex itself (see below) are passed.
 */
static int load_redirect(unsigned ifindex)
{
	struct bpf_insn insns[] = {
		/* r2 = ctx->ingress_ifindex */
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, ingress_ifindex) },
		/* if (r2 == ifindex) goto pass */
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_2, .off = 4,
		  .imm = (int)ifindex },
		/* return bpf_redirect(ifindex, 0) */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = (int)ifindex },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect },
		{ .code = BPF_JMP | BPF_EXIT },
		/* pass: return XDP_PASS */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "blast_redirect", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		die("cannot load the XDP redirect program: %s (root?)", strerror(errno));
	return fd;
}

/*
 * Every BPF_PROG_TEST_RUN call with more than one repeat puts the program
 * into the kernel's XDP dispatcher and takes it out again: two RCU grace
 * periods, tens of milliseconds on a busy VM, during which nothing is sent.
 * A program that is attached somewhere stays in the dispatcher, and then
 * the calls do not touch it.  So for the length of the run the program is
 * also attached, in generic (skb) mode, to the sending device itself, where
 * it passes whatever the device receives (the ingress_ifindex test above).
 * If that fails (the device has an XDP program already) the run goes on,
 * slower.  Calls last about 0.1 s each; the run can end up to one call
 * late; elapsed time is measured, not assumed.  One frame per call: no mix.
 */
static void blast_xdp(const struct opts *o, struct pkt *frames, unsigned n_frames,
		      struct result *r)
{
	unsigned ifindex = if_nametoindex(o->dev);

	if (!ifindex)
		die("no device %s: %s", o->dev, strerror(errno));
	if (n_frames != 1)
		die("--mode xdp sends one frame (--template first, last or none), not a mix");
	int prog = load_redirect(ifindex);
	bool attached = !bpf_xdp_attach((int)ifindex, prog,
					XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (!attached)
		fprintf(stderr, "polc-blast: cannot keep the sender in the XDP dispatcher (%s): "
				"every call waits for RCU\n", strerror(errno));
	double t0 = now_s(), deadline = t0 + o->duration;
	unsigned long long per_run = 65536;
	const struct pkt *p = &frames[0];

	memset(r, 0, sizeof(*r));
	while (!stop) {
		unsigned long long n = per_run;

		if (o->count && o->count - r->offered < n)
			n = o->count - r->offered;
		if (!n)
			break;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = p->data,
			    .data_size_in = (uint32_t)p->len, .repeat = (uint32_t)n,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = o->batch < 256 ? o->batch : 256);
		if (bpf_prog_test_run_opts(prog, &t)) {
			if (errno == EINTR)
				break;
			die("BPF_PROG_TEST_RUN (live frames) to %s: %s", o->dev, strerror(errno));
		}
		r->offered += n;
		r->sent += n;
		double now = now_s(), left = deadline - now;
		if (left <= 0)
			break;
		double rate = (double)r->sent / (now - t0);
		double want = rate * (left < 0.1 ? left : 0.1);
		per_run = want < 4096 ? 4096 : want > 1e8 ? 100000000ull : (unsigned long long)want;
	}
	r->elapsed = now_s() - t0;
	if (attached)
		bpf_xdp_detach((int)ifindex, XDP_FLAGS_SKB_MODE, NULL);
	close(prog);
}

/* ---- options ------------------------------------------------------------------ */

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &extra) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return true;
}

static unsigned long long parse_ull(const char *name, const char *s, unsigned long long max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);

	if (errno || *end || !*s || v > max)
		die("%s: '%s' is not a number up to %llu", name, s, max);
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: polc-blast --dev DEV [--mode packet|xdp] [--dst-mac MAC]\n"
		"                  [--kind rules|bigset] [--rules N]\n"
		"                  [--template first|last|none|mix] [--flows F] [--duration S]\n"
		"                  [--count N] [--batch B] [--cpu C] [--no-bypass] [--describe] [-j]\n");
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "kind", required_argument, NULL, 'k' },
		{ "rules", required_argument, NULL, 'n' },
		{ "template", required_argument, NULL, 't' },
		{ "flows", required_argument, NULL, 'F' },
		{ "duration", required_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "no-bypass", no_argument, NULL, 'B' },
		{ "describe", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*o = (struct opts){ .kind = GEN_RULES, .rules = 1, .tmpl = T_FIRST, .flows = 64,
			    .duration = 5.0, .batch = 64, .cpu = -1, .bypass = true };
	while ((opt = getopt_long(argc, argv, "d:M:m:k:n:t:F:D:c:b:C:BSjh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o->dev = optarg;
			break;
		case 'M':
			if (!strcmp(optarg, "packet"))
				o->mode = M_PACKET;
			else if (!strcmp(optarg, "xdp"))
				o->mode = M_XDP;
			else
				die("--mode: packet or xdp, not '%s'", optarg);
			break;
		case 'm':
			if (!parse_mac(optarg, o->dst_mac))
				die("--dst-mac: '%s' is not a MAC address", optarg);
			o->have_dst_mac = true;
			break;
		case 'k':
			if (!strcmp(optarg, "rules"))
				o->kind = GEN_RULES;
			else if (!strcmp(optarg, "bigset"))
				o->kind = GEN_BIGSET;
			else
				die("--kind: rules or bigset, not '%s'", optarg);
			break;
		case 'n':
			o->rules = (unsigned)parse_ull("--rules", optarg, GEN_MAX_RULES);
			if (!o->rules)
				die("--rules must be at least 1");
			break;
		case 't': {
			size_t i;
			for (i = 0; i < 4; i++)
				if (!strcmp(optarg, template_names[i]))
					break;
			if (i == 4)
				die("--template: first, last, none or mix, not '%s'", optarg);
			o->tmpl = (enum template)i;
			break;
		}
		case 'F':
			o->flows = (unsigned)parse_ull("--flows", optarg, MAX_FLOWS);
			if (!o->flows)
				die("--flows must be at least 1");
			break;
		case 'D': {
			char *end;
			o->duration = strtod(optarg, &end);
			if (*end || !(o->duration > 0) || o->duration > MAX_DURATION_S)
				die("--duration: seconds, more than 0 and at most %.0f", MAX_DURATION_S);
			break;
		}
		case 'c':
			o->count = parse_ull("--count", optarg, 100000000000ull);
			break;
		case 'b':
			o->batch = (unsigned)parse_ull("--batch", optarg, MAX_BATCH);
			if (!o->batch)
				die("--batch must be at least 1");
			break;
		case 'C':
			o->cpu = (int)parse_ull("--cpu", optarg, CPU_SETSIZE - 1);
			break;
		case 'B':
			o->bypass = false;
			break;
		case 'S':
			o->describe = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
	if (o->kind == GEN_BIGSET && o->rules > GEN_BIGSET_MAX)
		die("--kind bigset holds at most %u prefixes", GEN_BIGSET_MAX);
	if (!o->dev && !o->describe)
		die("--dev is required");
}

int main(int argc, char **argv)
{
	struct opts o;
	unsigned n_frames;
	struct result r;
	char desc[256];

	parse_opts(argc, argv, &o);
	struct pkt *frames = build_frames(&o, &n_frames);
	if (o.describe) {
		for (unsigned j = 0; j < n_frames; j++)
			printf("%u: %s\n", j, pkt_describe(&frames[j], desc, sizeof(desc)));
		return 0;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cannot pin to CPU %d: %s", o.cpu, strerror(errno));
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (o.mode == M_XDP) {
		blast_xdp(&o, frames, n_frames, &r);
	} else {
		int fd = open_socket(&o);
		blast(&o, fd, frames, n_frames, &r);
		close(fd);
	}

	double rate = r.elapsed > 0 ? (double)r.sent / r.elapsed : 0;
	if (o.json) {
		printf("{\"dev\":\"%s\",\"mode\":\"%s\",\"template\":\"%s\",\"kind\":\"%s\",\"rules\":%u,"
		       "\"frames\":%u,\"frame_len\":%zu,\"offered\":%llu,\"sent\":%llu,"
		       "\"refused\":%llu,\"elapsed_s\":%.6f,\"sent_per_s\":%.0f}\n",
		       o.dev, o.mode == M_XDP ? "xdp" : "packet", template_names[o.tmpl], o.kind == GEN_BIGSET ? "bigset" : "rules",
		       o.rules, n_frames, frames[0].len, r.offered, r.sent, r.refused, r.elapsed,
		       rate);
	} else {
		printf("polc-blast: %s (%s): %u frame%s (%s), %llu offered, %llu sent, %llu refused by "
		       "the device, %.3f s: %.0f frames/s sent\n",
		       o.dev, o.mode == M_XDP ? "xdp" : "packet", n_frames, n_frames == 1 ? "" : "s",
		       pkt_describe(&frames[0], desc, sizeof(desc)), r.offered, r.sent, r.refused,
		       r.elapsed, rate);
	}
	free(frames);
	return 0;
}
