// SPDX-License-Identifier: BSD-2-Clause
/*
 * testkernel.c: polc test's kernel half (polc's CLI only; libpolc does not
 * link libbpf).  The unit is built into a temporary artifact, each policy
 * is loaded with libpolrt as polctl would load it (tables and sets filled)
 * without attaching anything, and frames run through it with
 * BPF_PROG_TEST_RUN (polrt_loaded_run).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interp.h"
#include "pktgen.h"
#include "polrt.h"
#include "testkernel.h"

#define MAX_LOADED 256

struct polc_test_kernel {
	struct polrt *rt;
	struct polrt_artifact *a;
	char path[4096];
	size_t n;
	struct {
		const char *name;
		struct polrt_loaded *l;
		int err;
		int ct_fd; /* a tracked policy's conntrack table, or -1 */
		int rr_fd; /* its round-robin counters (dnat), or -1 */
	} loaded[MAX_LOADED];
	char log[1024]; /* libpolrt's last error, for the message */
};

static void keep_log(void *ctx, enum polrt_log_level level, const char *msg)
{
	struct polc_test_kernel *k = ctx;

	if (level <= POLRT_LOG_WARN)
		snprintf(k->log, sizeof(k->log), "%s", msg);
}

/* libbpf's warnings only; the verifier's log reaches the user through
 * libpolrt's error (keep_log) */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (strstr(line, "PROG LOAD LOG") || strstr(line, "-- BEGIN") || strstr(line, "-- END"))
		return 0;
	return fprintf(stderr, "polc: test: %s", line);
}

int polc_test_kernel_open(struct polc_unit *u, const char *clang, struct polc_test_kernel **out,
			  char *why, size_t why_len)
{
	struct polc_test_kernel *k = calloc(1, sizeof(*k));
	const char *tmp = getenv("TMPDIR");
	int fd, err;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	snprintf(k->path, sizeof(k->path), "%s/polc-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(k->path);
	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot create a temporary file in %s: %s",
			 tmp && *tmp ? tmp : "/tmp", strerror(errno));
		free(k);
		return err;
	}
	close(fd);

	struct polc_build_opts opts = { .sz = sizeof(opts), .clang = clang, .timeout_s = 600 };
	err = polc_build(u, &opts, k->path);
	if (err) {
		snprintf(why, why_len, "the policy did not build (exit code %d)", err);
		polc_test_kernel_close(&k);
		return -EPROTO;
	}
	libbpf_set_print(libbpf_quiet);
	struct polrt_opts ro = { .sz = sizeof(ro), .log = keep_log, .log_ctx = k };
	err = polrt_new(&k->rt, &ro);
	err = err ?: polrt_artifact_open(k->rt, k->path, &k->a);
	if (err) {
		snprintf(why, why_len, "cannot read the artifact back: %s", strerror(-err));
		polc_test_kernel_close(&k);
		return err;
	}
	*out = k;
	return 0;
}

static struct polrt_loaded *loaded(struct polc_test_kernel *k, const char *policy, int *err)
{
	for (size_t i = 0; i < k->n; i++) {
		if (strcmp(k->loaded[i].name, policy) == 0) {
			*err = k->loaded[i].err;
			return k->loaded[i].l;
		}
	}
	if (k->n == MAX_LOADED) {
		*err = -E2BIG;
		return NULL;
	}
	struct polrt_loaded *l = NULL;
	*err = polrt_load(k->rt, k->a, policy, &l);
	k->loaded[k->n].name = policy;
	k->loaded[k->n].l = l;
	k->loaded[k->n].err = *err;
	k->loaded[k->n].ct_fd = -1;
	k->loaded[k->n].rr_fd = -1;
	const struct polrt_meta *m = polrt_artifact_meta(k->a);
	const struct polc_meta_policy *p = polrt_meta_policy(m, policy);
	if (l && p && p->n_progs > 1) {
		char ct[256];
		snprintf(ct, sizeof(ct), "%s_ct", polrt_meta_str(m, m->progs[p->first_prog].name_str));
		k->loaded[k->n].ct_fd = polrt_loaded_map_fd(l, ct);
		if (p->n_nats) {
			snprintf(ct, sizeof(ct), "%s_nat_rr",
				 polrt_meta_str(m, m->progs[p->first_prog].name_str));
			k->loaded[k->n].rr_fd = polrt_loaded_map_fd(l, ct);
		}
	}
	k->n++;
	return l;
}

/* Empty a conntrack table: each test starts with no flows. */
static void flush(int fd)
{
	struct polc_ct_key key;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key) != 0)
			break;
}

static void reset(void *ctx, const char *policy)
{
	struct polc_test_kernel *k = ctx;
	int err;
	struct polrt_loaded *l = loaded(k, policy, &err);

	for (size_t i = 0; l && i < k->n; i++) {
		if (k->loaded[i].l != l)
			continue;
		if (k->loaded[i].ct_fd >= 0)
			flush(k->loaded[i].ct_fd);
		/* round-robin starts again at the first backend */
		uint32_t zero = 0;
		for (uint32_t key = 0; k->loaded[i].rr_fd >= 0; key++)
			if (bpf_map_update_elem(k->loaded[i].rr_fd, &key, &zero, BPF_ANY) != 0)
				break;
	}
}

static int run(void *ctx, const char *policy, bool out, const void *frame, size_t len,
	       struct polc_seen *seen)
{
	struct polc_test_kernel *k = ctx;
	struct polrt_decision d;
	int err;
	struct polrt_loaded *l = loaded(k, policy, &err);

	if (!l)
		return err ? err : -ENOENT;
	err = out ? polrt_loaded_run_companion(l, frame, len, &d) : polrt_loaded_run(l, frame, len, &d);
	if (err)
		return err;
	seen->verdict = d.verdict;
	seen->rule = d.rule;
	seen->reason = d.rule ? POLC_REASON_DEFAULT : d.reason;
	seen->established = d.established;
	/* what leaves, and whether its checksums still verify */
	struct ir_packet pk;
	seen->out_valid = d.verdict == POLC_VERDICT_PASS && d.out_len &&
			  polc_interp_parse(d.out, d.out_len, &pk) == POLC_REASON_DEFAULT &&
			  polc_tuple_of(&pk, &seen->out);
	seen->bad_csum = d.verdict == POLC_VERDICT_PASS && d.out_len &&
			 pkt_frame_csum_ok(frame, len) && !pkt_frame_csum_ok(d.out, d.out_len);
	return 0;
}

/* Can this process load programs at all?  Loading the first policy says. */
int polc_test_kernel_probe(struct polc_test_kernel *k, const char *policy, char *why,
			   size_t why_len)
{
	int err;

	if (loaded(k, policy, &err))
		return 0;
	if (err == -EPERM || err == -EACCES)
		snprintf(why, why_len, "no permission to load BPF programs (run as root for the "
				       "kernel half)");
	else
		snprintf(why, why_len, "policy %s did not load: %s%s%s", policy, strerror(-err),
			 k->log[0] ? ": " : "", k->log);
	return err;
}

struct polc_kernel polc_test_kernel_runner(struct polc_test_kernel *k)
{
	return (struct polc_kernel){ .run = run, .reset = reset, .ctx = k };
}

void polc_test_kernel_close(struct polc_test_kernel **kp)
{
	struct polc_test_kernel *k = *kp;

	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		polrt_loaded_free(&k->loaded[i].l);
	polrt_artifact_free(&k->a);
	polrt_free(&k->rt);
	unlink(k->path);
	free(k);
	*kp = NULL;
}
