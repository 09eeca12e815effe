// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf_harness.c: compile, load and test-run policies (see bpf_harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpf_harness.h"
#include "diag.h"
#include "polc.h"
#include "polrt.h"
#include "templates.h"

#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define TC_ACT_UNSPEC_ (-1)
#define TC_ACT_SHOT_ 2

#define MAX_PROGS 16

struct harness_obj {
	struct polrt_artifact *art;
	struct polc_unit *unit; /* the IR */
	void *meta;
	size_t meta_size;
	unsigned n_progs;
	struct harness_prog progs[MAX_PROGS];
};

static char tmpdir[PATH_MAX - 64];
static unsigned n_objects;
static int n_cpus;
static unsigned long frames_checked;

/* ---- setup -------------------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level > LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void remove_tmpdir(void)
{
	if (tmpdir[0] && rmdir(tmpdir) < 0)
		fprintf(stderr, "harness: cannot remove %s: %s\n", tmpdir,
			strerror(errno));
}

/* Load "return XDP_PASS" and run it once: the least this harness needs. */
static int probe_bpf(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS_ },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	uint8_t frame[PKT_ETH_ZLEN] = { 0 };
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 2, NULL);

	if (fd < 0)
		return fd;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = 1);
	int err = bpf_prog_test_run_opts(fd, &opts);
	close(fd);
	if (err)
		return -errno;
	return opts.retval == XDP_PASS_ ? 0 : -EPROTO;
}

void harness_init(void)
{
	libbpf_set_print(libbpf_print);
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: the bpf tests need root (BPF_PROG_TEST_RUN)\n");
		exit(HARNESS_SKIP);
	}
	int err = probe_bpf();
	if (err) {
		fprintf(stderr, "skipped: cannot load and run a BPF program: %s\n",
			strerror(-err));
		exit(HARNESS_SKIP);
	}
	n_cpus = libbpf_num_possible_cpus();
	if (n_cpus <= 0) {
		fprintf(stderr, "harness: libbpf_num_possible_cpus: %s\n",
			strerror(-n_cpus));
		exit(1);
	}

	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/polc-bpf-test-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		exit(1);
	}
	atexit(remove_tmpdir);
	/* polc's own build directories go in there too */
	setenv("TMPDIR", tmpdir, 1);
}

/* ---- compiling and loading ---------------------------------------------- */

static enum polc_plan_choice default_plan = POLC_PLAN_AUTO;

void harness_set_plan(enum polc_plan_choice plan)
{
	default_plan = plan;
}

enum polc_plan_choice harness_get_plan(void)
{
	return default_plan;
}

const char *harness_plan_name(enum polc_plan_choice plan)
{
	switch (plan) {
	case POLC_PLAN_AUTO:
		return "auto";
	case POLC_PLAN_FORCE_LINEAR:
		return "linear";
	case POLC_PLAN_FORCE_CLASSIFIER:
		return "classifier";
	}
	return "?";
}

static void polrt_log_cb(void *ctx, enum polrt_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= POLRT_LOG_WARN)
		fprintf(stderr, "harness: polrt: %s\n", msg);
}

static struct polrt *runtime(void)
{
	static struct polrt *rt;

	if (!rt) {
		struct polrt_opts opts = { .sz = sizeof(opts), .log = polrt_log_cb };
		int err = polrt_new(&rt, &opts);
		if (err) {
			fprintf(stderr, "harness: polrt_new: %s\n", strerror(-err));
			exit(1);
		}
	}
	return rt;
}

/* Counter map sizes and types, from the kernel. */
static int check_counter_map(const struct harness_prog *p, int fd, const char *what,
			     unsigned *entries)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (fd < 0) {
		fprintf(stderr, "harness: %s has no %s map\n", p->name, what);
		return -ENOENT;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.value_size != sizeof(struct polc_counter)) {
		fprintf(stderr, "harness: the %s map of %s breaks the contract\n", what, p->name);
		return -EPROTO;
	}
	*entries = info.max_entries;
	return 0;
}

/*
 * The programs in ELF order (libbpf opens the file, loads nothing), each
 * loaded with polrt_load() as its policy: the maps it reads are filled.
 */
static int load_progs(struct harness_obj *o, const char *path)
{
	const struct polrt_meta *m = polrt_artifact_meta(o->art);
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	int err = 0;

	if (!obj) {
		fprintf(stderr, "harness: bpf_object__open_file: %s\n", strerror(errno));
		return -errno;
	}
	bpf_object__for_each_program(prog, obj) {
		if (o->n_progs == MAX_PROGS) {
			fprintf(stderr, "harness: more than %d programs\n", MAX_PROGS);
			err = -E2BIG;
			break;
		}
		struct harness_prog *p = &o->progs[o->n_progs++];
		snprintf(p->name, sizeof(p->name), "%s", bpf_program__name(prog));
		snprintf(p->section, sizeof(p->section), "%s", bpf_program__section_name(prog));

		const struct polc_meta_policy *pol = NULL;
		for (uint32_t i = 0; i < m->hdr->n_policies && !pol; i++)
			for (uint32_t j = 0; j < m->policies[i].n_progs; j++)
				if (strcmp(polrt_meta_str(m, m->progs[m->policies[i].first_prog + j].name_str),
					   p->name) == 0)
					pol = &m->policies[i];
		if (!pol) {
			fprintf(stderr, "harness: program %s belongs to no policy of the metadata\n",
				p->name);
			err = -ENOENT;
			break;
		}
		snprintf(p->policy, sizeof(p->policy), "%s", polrt_meta_str(m, pol->name_str));
		p->plan = (enum polc_plan)pol->plan;
		err = polrt_load(runtime(), o->art, p->policy, &p->loaded);
		if (err) {
			p->loaded = NULL;
			fprintf(stderr, "harness: polrt_load %s: %s\n", p->policy, strerror(-err));
			break;
		}
		p->prog_fd = polrt_loaded_prog_fd(p->loaded);

		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		if (bpf_obj_get_info_by_fd(p->prog_fd, &info, &len)) {
			err = -errno;
			break;
		}
		p->xdp = info.type == BPF_PROG_TYPE_XDP;
		if (!p->xdp && info.type != BPF_PROG_TYPE_SCHED_CLS) {
			fprintf(stderr, "harness: %s has program type %u\n", p->name, info.type);
			err = -EPROTO;
			break;
		}

		unsigned n_reasons = 0;
		p->rules_fd = polrt_loaded_map_fd(p->loaded, polrt_meta_str(m, pol->rules_map_str));
		p->reasons_fd = polrt_loaded_map_fd(p->loaded, polrt_meta_str(m, pol->reasons_map_str));
		err = check_counter_map(p, p->rules_fd, "rules", &p->n_rules);
		err = err ?: check_counter_map(p, p->reasons_fd, "reasons", &n_reasons);
		if (!err && n_reasons != POLC_REASON_COUNT_) {
			fprintf(stderr, "harness: the reasons map of %s breaks the contract\n", p->name);
			err = -EPROTO;
		}
		if (err)
			break;
	}
	bpf_object__close(obj);
	return err;
}

struct harness_obj *harness_compile(const char *policy_src)
{
	return harness_compile_warned(policy_src, 0);
}

struct harness_obj *harness_compile_warned(const char *policy_src,
					   unsigned n_warnings)
{
	struct harness_opts opts = { .plan = default_plan, .n_warnings = n_warnings };

	return harness_compile_opts(policy_src, &opts);
}

struct harness_obj *harness_compile_plan(const char *policy_src,
					 enum polc_plan_choice plan)
{
	struct harness_opts opts = { .plan = plan };

	return harness_compile_opts(policy_src, &opts);
}

struct harness_obj *harness_compile_opts(const char *policy_src,
					 const struct harness_opts *hopts)
{
	struct polc_unit *u = NULL;
	struct harness_obj *o = NULL;
	char path[PATH_MAX];
	int err;

	if (!tmpdir[0]) {
		fprintf(stderr, "harness: harness_init() was not called\n");
		return NULL;
	}
	err = polc_unit_new(&u, hopts->name ? hopts->name : "test.pol", policy_src,
			    strlen(policy_src));
	if (err) {
		fprintf(stderr, "harness: polc_unit_new: %d\n", err);
		return NULL;
	}
	polc_unit_set_plan(u, hopts->plan);
	for (const char *const *w = hopts->warnings; w && *w; w++) {
		if (polc_warning_config_apply(polc_unit_warnings(u), *w)) {
			fprintf(stderr, "harness: unknown warning option -W%s\n", *w);
			goto out;
		}
	}
	err = polc_front(u);
	if (err || polc_unit_errors(u) || polc_unit_warning_count(u) != hopts->n_warnings) {
		fprintf(stderr, "harness: the policy has unexpected diagnostics (polc_front: %d, want %u warnings, plan %s):\n",
			err, hopts->n_warnings, harness_plan_name(hopts->plan));
		polc_unit_render_diags(u, stderr);
		if (!hopts->quiet)
			fprintf(stderr, "--- policy ---\n%s--------------\n", policy_src);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/policy-%u.o", tmpdir, n_objects++);
	struct polc_build_opts opts = { .sz = sizeof(opts), .timeout_s = 300 };
	err = polc_build(u, &opts, path);
	if (err) {
		fprintf(stderr, "harness: polc_build: %d\n", err);
		polc_unit_render_diags(u, stderr);
		goto out;
	}

	o = calloc(1, sizeof(*o));
	if (!o)
		goto out_unlink;
	err = polrt_artifact_open(runtime(), path, &o->art);
	if (err) {
		fprintf(stderr, "harness: polrt_artifact_open: %s\n", strerror(-err));
		goto fail;
	}
	err = load_progs(o, path);
	if (err) {
		if (!hopts->quiet)
			fprintf(stderr, "--- policy ---\n%s--------------\n", policy_src);
		goto fail;
	}
	size_t meta_len;
	const void *blob = polrt_artifact_meta_blob(o->art, &meta_len);
	o->meta = malloc(meta_len ? meta_len : 1);
	if (!o->meta)
		goto fail;
	memcpy(o->meta, blob, meta_len);
	o->meta_size = meta_len;
	/* a forced plan is what every policy got */
	for (unsigned i = 0; i < o->n_progs && hopts->plan != POLC_PLAN_AUTO; i++) {
		enum polc_plan want = hopts->plan == POLC_PLAN_FORCE_LINEAR ? POLC_PLAN_LINEAR
									    : POLC_PLAN_CLASSIFIER;
		if (o->progs[i].plan != want) {
			fprintf(stderr, "harness: policy %s has plan %u, not the forced %s\n",
				o->progs[i].policy, o->progs[i].plan, harness_plan_name(hopts->plan));
			goto fail;
		}
	}
	o->unit = u;
	u = NULL;
	goto out_unlink;
fail:
	harness_free(o);
	o = NULL;
out_unlink:
	unlink(path);
out:
	polc_unit_free(&u);
	return o;
}

void harness_free(struct harness_obj *o)
{
	if (!o)
		return;
	for (unsigned i = 0; i < o->n_progs; i++)
		polrt_loaded_free(&o->progs[i].loaded);
	polrt_artifact_free(&o->art);
	polc_unit_free(&o->unit);
	free(o->meta);
	free(o);
}

struct harness_prog *harness_prog(struct harness_obj *o, const char *policy)
{
	char want[sizeof(o->progs[0].name)];

	snprintf(want, sizeof(want), "pol_%s", policy);
	for (char *c = want; *c; c++)
		if (*c == '-')
			*c = '_';
	for (unsigned i = 0; i < o->n_progs; i++)
		if (strcmp(o->progs[i].name, want) == 0)
			return &o->progs[i];
	return NULL;
}

const void *harness_meta(const struct harness_obj *o, size_t *size)
{
	*size = o->meta_size;
	return o->meta;
}

unsigned harness_n_progs(const struct harness_obj *o)
{
	return o->n_progs;
}

const struct ir_unit *harness_ir(const struct harness_obj *o)
{
	return o->unit ? polc_unit_ir(o->unit) : NULL;
}

const struct ir_policy *harness_ir_policy(const struct harness_obj *o, const char *policy)
{
	const struct ir_unit *ir = harness_ir(o);

	for (size_t i = 0; ir && i < ir->n_policies; i++)
		if (strcmp(ir->policies[i].name, policy) == 0)
			return &ir->policies[i];
	return NULL;
}

void harness_reference(const struct ir_policy *pol, const struct ir_packet *f,
		       int *verdict, unsigned *rule)
{
	for (size_t i = 0; i < pol->n_rules; i++) {
		if (ir_rule_matches(&pol->rules[i], f)) {
			*verdict = pol->rules[i].verdict;
			*rule = pol->rules[i].id;
			return;
		}
	}
	*verdict = pol->default_verdict;
	*rule = 0;
}

/* ---- running ------------------------------------------------------------ */

int harness_run(const struct harness_prog *p, const void *data, size_t len,
		int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data,
		    .data_size_in = (__u32)len, .repeat = 1);

	if (bpf_prog_test_run_opts(p->prog_fd, &opts))
		return -errno;
	*retval = (int)opts.retval;
	return 0;
}

int harness_verdict(const struct harness_prog *p, int retval)
{
	if (p->xdp) {
		if (retval == XDP_PASS_)
			return POLC_VERDICT_PASS;
		if (retval == XDP_DROP_)
			return POLC_VERDICT_DROP;
		return -1;
	}
	if (retval == TC_ACT_UNSPEC_)
		return POLC_VERDICT_PASS;
	if (retval == TC_ACT_SHOT_)
		return POLC_VERDICT_DROP;
	return -1;
}

static int read_counter(int fd, uint32_t key, struct polc_counter *out)
{
	struct polc_counter v[n_cpus];

	if (bpf_map_lookup_elem(fd, &key, v))
		return -errno;
	*out = (struct polc_counter){ 0 };
	for (int i = 0; i < n_cpus; i++) {
		out->packets += v[i].packets;
		out->bytes += v[i].bytes;
	}
	return 0;
}

int harness_rule_counter(const struct harness_prog *p, unsigned rule_id,
			 struct polc_counter *out)
{
	if (rule_id == 0 || rule_id > p->n_rules)
		return -ERANGE;
	return read_counter(p->rules_fd, rule_id - 1, out);
}

int harness_reason_counter(const struct harness_prog *p,
			   enum polc_reason reason, struct polc_counter *out)
{
	if ((unsigned)reason >= POLC_REASON_COUNT_)
		return -ERANGE;
	return read_counter(p->reasons_fd, reason, out);
}

int harness_read_all(const struct harness_prog *p, struct polc_counter *rules,
		     struct polc_counter reasons[POLC_REASON_COUNT_])
{
	int err = 0;

	for (unsigned i = 0; i < p->n_rules && !err; i++)
		err = read_counter(p->rules_fd, i, &rules[i]);
	for (unsigned i = 0; i < POLC_REASON_COUNT_ && !err; i++)
		err = read_counter(p->reasons_fd, i, &reasons[i]);
	return err;
}

int harness_snapshot(const struct harness_prog *p, struct harness_counters *out)
{
	memset(out, 0, sizeof(*out)); /* comparable as a whole */
	if (p->n_rules > HARNESS_MAX_RULES)
		return -E2BIG;
	out->n_rules = p->n_rules;
	return harness_read_all(p, out->rules, out->reasons);
}

unsigned long harness_frames_checked(void)
{
	return frames_checked;
}

/* ---- expectations ------------------------------------------------------- */

static const char *const reason_names[] = {
	[POLC_REASON_DEFAULT] = "default",
	[POLC_REASON_NON_IP] = "non-ip",
	[POLC_REASON_TRUNCATED] = "truncated",
	[POLC_REASON_MALFORMED] = "malformed",
};

static const char *verdict_name(int v)
{
	return v == POLC_VERDICT_PASS ? "pass" : v == POLC_VERDICT_DROP ? "drop" : "?";
}

static void describe_counter(char *buf, size_t size, bool by_reason,
			     unsigned which)
{
	if (by_reason)
		snprintf(buf, size, "reason %s",
			 which < POLC_REASON_COUNT_ ? reason_names[which] : "?");
	else
		snprintf(buf, size, "rule %u", which);
}

const char *harness_decision_str(const struct harness_decision *d, char *buf, size_t size)
{
	char c[64];

	if (!d->by_reason && d->which == 0)
		snprintf(c, sizeof(c), "no counter");
	else
		describe_counter(c, sizeof(c), d->by_reason, d->which);
	snprintf(buf, size, "%s (%s)", c, verdict_name(d->verdict));
	return buf;
}

/* Every counter, before and after one run of k. */
struct all_counters {
	struct polc_counter *rules;
	struct polc_counter reasons[POLC_REASON_COUNT_];
};

static int run_all(const struct harness_prog *p, const struct pkt *k,
		   struct all_counters *before, struct all_counters *after, int *ret)
{
	int err;

	before->rules = calloc(p->n_rules + 1, sizeof(*before->rules));
	after->rules = calloc(p->n_rules + 1, sizeof(*after->rules));
	if (!before->rules || !after->rules)
		return -ENOMEM;
	err = harness_read_all(p, before->rules, before->reasons);
	err = err ?: harness_run(p, k->data, k->len, ret);
	err = err ?: harness_read_all(p, after->rules, after->reasons);
	return err;
}

static void free_all(struct all_counters *a, struct all_counters *b)
{
	free(a->rules);
	free(b->rules);
}

int harness_check(const struct harness_prog *p, const struct pkt *k,
		  const struct harness_decision *want, struct harness_decision *got)
{
	struct polc_counter before[POLC_REASON_COUNT_ + 1], after[POLC_REASON_COUNT_ + 1];
	int ret = 0, err = 0;
	bool ok;

	frames_checked++;
	if ((want->by_reason && want->which >= POLC_REASON_COUNT_) ||
	    (!want->by_reason && (want->which == 0 || want->which > p->n_rules)))
		return -ERANGE;
	/* [0..4): the reasons, [4]: the wanted rule */
	for (unsigned i = 0; i < POLC_REASON_COUNT_ && !err; i++)
		err = read_counter(p->reasons_fd, i, &before[i]);
	if (!want->by_reason)
		err = err ?: read_counter(p->rules_fd, want->which - 1, &before[POLC_REASON_COUNT_]);
	err = err ?: harness_run(p, k->data, k->len, &ret);
	for (unsigned i = 0; i < POLC_REASON_COUNT_ && !err; i++)
		err = read_counter(p->reasons_fd, i, &after[i]);
	if (!want->by_reason)
		err = err ?: read_counter(p->rules_fd, want->which - 1, &after[POLC_REASON_COUNT_]);
	if (err)
		return err;

	ok = harness_verdict(p, ret) == want->verdict;
	for (unsigned i = 0; i <= POLC_REASON_COUNT_; i++) {
		if (i == POLC_REASON_COUNT_ && want->by_reason)
			break;
		bool target = want->by_reason ? i == want->which : i == POLC_REASON_COUNT_;
		uint64_t dp = after[i].packets - before[i].packets;
		uint64_t db = after[i].bytes - before[i].bytes;
		if (dp != (target ? 1 : 0) || db != (target ? k->len : 0))
			ok = false;
	}
	if (ok) {
		*got = *want;
		return 0;
	}

	/* run it again, reading everything, to see what decided it */
	struct all_counters b, a;
	err = run_all(p, k, &b, &a, &ret);
	if (!err) {
		*got = (struct harness_decision){ .verdict = harness_verdict(p, ret) };
		for (unsigned i = 0; i < POLC_REASON_COUNT_; i++)
			if (a.reasons[i].packets != b.reasons[i].packets) {
				got->by_reason = true;
				got->which = i;
			}
		for (unsigned i = 0; i < p->n_rules; i++)
			if (a.rules[i].packets != b.rules[i].packets) {
				got->by_reason = false;
				got->which = i + 1;
			}
	}
	free_all(&b, &a);
	return err ?: 1;
}

void harness_expect_(const struct harness_prog *p, const struct pkt *k,
		     int verdict, bool by_reason, unsigned which,
		     const char *file, int line)
{
	struct all_counters before, after;
	char desc[512], want[64];
	int ret = 0, err;
	bool ok = true;

	frames_checked++;
	pkt_describe(k, desc, sizeof(desc));
	describe_counter(want, sizeof(want), by_reason, which);
	if ((by_reason && which >= POLC_REASON_COUNT_) ||
	    (!by_reason && (which == 0 || which > p->n_rules))) {
		print_error("%s: no such counter: %s\n", p->name, want);
		_fail(file, line);
	}

	err = run_all(p, k, &before, &after, &ret);
	if (err) {
		free_all(&before, &after);
		print_error("%s: %s: running the frame failed: %s\n", p->name, desc,
			    strerror(-err));
		_fail(file, line);
	}

	int got = harness_verdict(p, ret);
	if (got != verdict) {
		print_error("%s (plan %s): %s\n  verdict: got %s (return code %d), want %s\n",
			    p->name, p->plan == POLC_PLAN_CLASSIFIER ? "classifier" : "linear",
			    desc, verdict_name(got), ret, verdict_name(verdict));
		ok = false;
	}

	/* exactly the deciding counter moved, by one frame of k->len bytes */
	for (unsigned pass = 0; pass < 2; pass++) {
		unsigned n = pass == 0 ? p->n_rules : POLC_REASON_COUNT_;
		for (unsigned i = 0; i < n; i++) {
			const struct polc_counter *b = pass ? &before.reasons[i] : &before.rules[i];
			const struct polc_counter *a = pass ? &after.reasons[i] : &after.rules[i];
			bool target = by_reason ? pass == 1 && i == which
						: pass == 0 && i + 1 == which;
			uint64_t dp = a->packets - b->packets, db = a->bytes - b->bytes;
			uint64_t wp = target ? 1 : 0, wb = target ? k->len : 0;
			char name[64];

			if (dp == wp && db == wb)
				continue;
			describe_counter(name, sizeof(name), pass == 1,
					 pass ? i : i + 1);
			print_error("%s (plan %s): %s\n  counter %s moved by %llu packets, %llu bytes; want %llu, %llu (deciding: %s)\n",
				    p->name, p->plan == POLC_PLAN_CLASSIFIER ? "classifier" : "linear",
				    desc, name, (unsigned long long)dp,
				    (unsigned long long)db, (unsigned long long)wp,
				    (unsigned long long)wb, want);
			ok = false;
		}
	}
	free_all(&before, &after);
	if (!ok)
		_fail(file, line);
}

struct harness_prog *harness_prog_ok_(struct harness_obj *o, const char *name,
				      const char *file, int line)
{
	struct harness_prog *p = o ? harness_prog(o, name) : NULL;

	if (!p) {
		print_error("no program for policy '%s'\n", name);
		_fail(file, line);
	}
	return p;
}

/* ---- hand-written BPF C ------------------------------------------------- */

static int write_text(const char *dir, const char *name, const char *text, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	size_t n = fwrite(text, 1, len, f);
	if (fclose(f) != 0 || n != len)
		return -EIO;
	return 0;
}

int harness_build_c(const char *tag, const char *src, size_t len, char *obj, size_t obj_len)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX - 64], path[PATH_MAX];
	int err = 0;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/%s-XXXXXX", tmp, tag);
	if (!mkdtemp(dir))
		return -errno;
	for (size_t i = 0; i < polc_template_count && !err; i++)
		err = write_text(dir, polc_templates[i].name, polc_templates[i].text,
				 polc_templates[i].len);
	err = err ?: write_text(dir, "prog.c", src, len);
	if (!err) {
		const char *clang = getenv("POLC_CLANG");
		pid_t pid = fork();

		if (!clang || !*clang)
			clang = "clang";
		if (pid == 0) {
			if (chdir(dir) < 0)
				_exit(126);
			/* as polc compiles generated code (compiler/backend.c) */
			execlp(clang, clang, "-target", "bpf", "-O2", "-g", "-mcpu=v3", "-Wall",
			       "-Wno-unused-function", "-I.", "-c", "prog.c", "-o", "prog.o",
			       (char *)NULL);
			_exit(127);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			err = -errno;
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			err = -EPROTO;
	}
	snprintf(path, sizeof(path), "%s/prog.o", dir);
	snprintf(obj, obj_len, "%s/%s-%d.o", tmp, tag, (int)getpid());
	if (!err && rename(path, obj) < 0)
		err = -errno;
	for (size_t i = 0; i < polc_template_count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, polc_templates[i].name);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/prog.c", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/prog.o", dir);
	unlink(path);
	rmdir(dir);
	return err;
}
