// SPDX-License-Identifier: BSD-2-Clause
/*
 * seedgen: the fuzzers' seed corpora, made from policy files.
 *
 *	fuzz_seedgen OUT_DIR FILE.pol...
 *
 * Each FILE.pol is copied into OUT_DIR/policy (seeds for fuzz_policy).  Each one
 * that compiles is built by libpolc (clang, as polc compile does), with the
 * plan polc chooses and again with the classifier plan, and each artifact is
 * read back by libpolrt; OUT_DIR/artifact gets, per build, NAME.o (the artifact),
 * NAME.meta (its ".polc.meta" section alone) and NAME.metadata (the section
 * followed by ".polc.data"), so that both of fuzz_artifact's readers start
 * from valid input.  Nothing binary is kept in the source tree.  Artifacts
 * above SEED_MAX bytes (classifier tables on ports are 64k entries a field)
 * are left out: large inputs make every fuzzing iteration slow.
 *
 * OUT_DIR/packet gets frames for fuzz_packet, made with tests/bpf/pktgen.c:
 * TCP, UDP and ICMP over both families, VLAN tags, IPv6 extension headers,
 * fragments, and a few broken ones.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pktgen.h"
#include "polc.h"
#include "rt.h"

#define SEED_MAX (192u << 10)

static int write_file(const char *path, const void *a, size_t alen, const void *b,
		      size_t blen)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen)) {
		fprintf(stderr, "seedgen: cannot write %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		size_t n = fread(buf + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	fclose(f);
	return buf;
}

static void log_stderr(void *ctx, enum polrt_log_level level, const char *msg)
{
	(void)ctx;
	if (level == POLRT_LOG_ERROR)
		fprintf(stderr, "seedgen: %s\n", msg);
}

/* Build path with the plan into dir/stem.o, .meta, .metadata. */
static int build(struct polrt *rt, const char *path, const char *dir, const char *stem,
		 enum polc_plan_choice plan)
{
	struct polc_unit *u = NULL;
	char out[4096];
	int err;

	if (polc_unit_load(&u, path))
		return -1;
	polc_unit_set_plan(u, plan);
	struct polc_build_opts opts = { .sz = sizeof(opts), .timeout_s = 300 };
	snprintf(out, sizeof(out), "%s/%s.o", dir, stem);
	err = polc_front(u) ?: polc_build(u, &opts, out);
	polc_unit_free(&u);
	if (err)
		return 1; /* does not compile (a diag case): not a seed */

	struct polrt_artifact *a = NULL;
	struct stat st;
	if (stat(out, &st) == 0 && (size_t)st.st_size > SEED_MAX) {
		unlink(out);
		return 1;
	}
	if (polrt_artifact_open(rt, out, &a))
		return -1;
	size_t mlen;
	const void *meta = polrt_artifact_meta_blob(a, &mlen);
	snprintf(out, sizeof(out), "%s/%s.meta", dir, stem);
	err = write_file(out, meta, mlen, NULL, 0);
	snprintf(out, sizeof(out), "%s/%s.metadata", dir, stem);
	err = err ?: write_file(out, meta, mlen, a->data_blob, a->data_len);
	polrt_artifact_free(&a);
	return err;
}

static int packet(const char *dir, const char *name, struct pkt *p)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return write_file(path, p->data, p->len, NULL, 0);
}

static int packets(const char *dir)
{
	struct pkt p;
	int err = 0;

	pkt_tcp4(&p, "192.0.2.1", "198.51.100.7", 40000, 22, PKT_TCP_SYN, 0);
	err |= packet(dir, "tcp4", &p);
	pkt_tcp6(&p, "2001:db8::1", "2001:db8:100::2", 40000, 443, PKT_TCP_ACK, 10);
	err |= packet(dir, "tcp6", &p);
	pkt_udp4(&p, "192.0.2.53", "10.0.0.1", 53, 33000, 20);
	err |= packet(dir, "udp4", &p);
	pkt_udp6(&p, "2001:db8::53", "fd00::1", 53, 33000, 0);
	err |= packet(dir, "udp6", &p);
	pkt_icmp4(&p, "198.51.100.7", "192.0.2.1", 8, 0, 8);
	err |= packet(dir, "icmp4", &p);
	pkt_icmp6(&p, "fe80::1", "ff02::1", 135, 0, 8);
	err |= packet(dir, "icmp6", &p);
	pkt_proto4(&p, "192.0.2.1", "192.0.2.2", PKT_IPPROTO_GRE, 4);
	err |= packet(dir, "gre4", &p);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_vlan(&p, PKT_ETH_P_8021AD, 10);
	pkt_vlan(&p, PKT_ETH_P_8021Q, 20);
	pkt_ipv4(&p, &(struct pkt_ip){ .src = "10.1.1.1", .dst = "10.2.2.2" });
	pkt_udp(&p, 1234, 80);
	pkt_finish(&p);
	err |= packet(dir, "vlan2-udp4", &p);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct pkt_ip){ .src = "2001:db8::1", .dst = "2001:db8::2" });
	pkt_ipv6_ext(&p, PKT_IPPROTO_HOPOPTS, 8);
	pkt_ipv6_ext(&p, PKT_IPPROTO_DSTOPTS, 16);
	pkt_ipv6_frag(&p, 0, true, 7);
	pkt_tcp(&p, &(struct pkt_tcp){ .sport = 1, .dport = 2 });
	pkt_finish(&p);
	err |= packet(dir, "ext-frag-tcp6", &p);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct pkt_ip){ .src = "2001:db8::1", .dst = "2001:db8::2" });
	pkt_ipv6_frag(&p, 1480, false, 7);
	pkt_payload(&p, 16);
	pkt_finish(&p);
	err |= packet(dir, "later-frag6", &p);

	pkt_tcp4(&p, "192.0.2.1", "192.0.2.2", 1, 2, 0, 0);
	pkt_truncate(&p, p.len - 4);
	err |= packet(dir, "truncated-tcp4", &p);
	pkt_udp4(&p, "192.0.2.1", "192.0.2.2", 1, 2, 0);
	pkt_set_ipv4_ihl(&p, 4);
	err |= packet(dir, "malformed-ihl", &p);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_arp(&p, "192.0.2.1", "192.0.2.2");
	pkt_finish(&p);
	err |= packet(dir, "arp", &p);
	return err;
}

int main(int argc, char **argv)
{
	struct polrt_opts ro = { .sz = sizeof(ro), .log = log_stderr };
	struct polrt *rt = NULL;
	unsigned policies = 0, artifacts = 0;
	char dirs[3][4096];
	int err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OUT_DIR FILE.pol...\n", argv[0]);
		return 2;
	}
	mkdir(argv[1], 0755);
	snprintf(dirs[0], sizeof(dirs[0]), "%s/policy", argv[1]);
	snprintf(dirs[1], sizeof(dirs[1]), "%s/artifact", argv[1]);
	snprintf(dirs[2], sizeof(dirs[2]), "%s/packet", argv[1]);
	for (int i = 0; i < 3; i++)
		mkdir(dirs[i], 0755);
	if (packets(dirs[2]))
		return 1;
	if (polrt_new(&rt, &ro))
		return 1;
	for (int i = 2; i < argc && !err; i++) {
		char *copy = strdup(argv[i]);
		char stem[256], out[4096 + 300];
		size_t len;
		char *text = read_file(argv[i], &len);

		if (!copy || !text) {
			fprintf(stderr, "seedgen: cannot read %s\n", argv[i]);
			free(copy);
			free(text);
			err = -1;
			break;
		}
		/* samples/web.pol and cases/web.pol must not collide */
		char *base = basename(copy);
		char *dot = strrchr(base, '.');
		if (dot)
			*dot = '\0';
		snprintf(stem, sizeof(stem), "%02d-%s", i - 2, base);
		snprintf(out, sizeof(out), "%s/%s.pol", dirs[0], stem);
		err = write_file(out, text, len, NULL, 0);
		policies++;
		free(text);

		char name[300];
		snprintf(name, sizeof(name), "%s-auto", stem);
		int rc = err ?: build(rt, argv[i], dirs[1], name, POLC_PLAN_AUTO);
		if (rc == 0) {
			artifacts++;
			snprintf(name, sizeof(name), "%s-classifier", stem);
			rc = build(rt, argv[i], dirs[1], name, POLC_PLAN_FORCE_CLASSIFIER);
			artifacts += rc == 0;
		}
		if (rc < 0)
			err = rc;
		free(copy);
	}
	polrt_free(&rt);
	printf("seedgen: %u policy seeds, %u artifacts\n", policies, artifacts);
	return err ? 1 : 0;
}
