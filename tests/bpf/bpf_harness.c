// SPDX-License-Identifier: BSD-2-Clause
/*
 * bpf_harness.c: compile, load and test-run policies (see bpf_harness.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bpf_harness.h"
#include "polc.h"

#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define TC_ACT_UNSPEC_ (-1)
#define TC_ACT_SHOT_ 2

#define MAX_PROGS 16

struct harness_obj {
	struct bpf_object *obj;
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

/* Copy the metadata section out of the object file, with libelf. */
static int read_meta(struct harness_obj *o, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err = -ENOENT;

	if (fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		return -EINVAL;
	}
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -EINVAL;
		goto out;
	}
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, POLC_META_SECTION) != 0)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf) {
			err = -EINVAL;
			break;
		}
		o->meta = malloc(d->d_size ? d->d_size : 1);
		if (!o->meta) {
			err = -ENOMEM;
			break;
		}
		memcpy(o->meta, d->d_buf, d->d_size);
		o->meta_size = d->d_size;
		err = 0;
		break;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

static int find_progs(struct harness_obj *o)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, o->obj) {
		if (o->n_progs == MAX_PROGS) {
			fprintf(stderr, "harness: more than %d programs\n", MAX_PROGS);
			return -E2BIG;
		}
		struct harness_prog *p = &o->progs[o->n_progs++];
		char map[256];

		snprintf(p->name, sizeof(p->name), "%s", bpf_program__name(prog));
		snprintf(p->section, sizeof(p->section), "%s",
			 bpf_program__section_name(prog));
		p->prog_fd = bpf_program__fd(prog);
		p->xdp = bpf_program__type(prog) == BPF_PROG_TYPE_XDP;
		if (!p->xdp && bpf_program__type(prog) != BPF_PROG_TYPE_SCHED_CLS) {
			fprintf(stderr, "harness: %s has program type %d\n", p->name,
				bpf_program__type(prog));
			return -EPROTO;
		}

		snprintf(map, sizeof(map), "%s" POLC_MAP_SUFFIX_RULES, p->name);
		struct bpf_map *rules = bpf_object__find_map_by_name(o->obj, map);
		snprintf(map, sizeof(map), "%s" POLC_MAP_SUFFIX_REASONS, p->name);
		struct bpf_map *reasons = bpf_object__find_map_by_name(o->obj, map);
		if (!rules || !reasons) {
			fprintf(stderr, "harness: %s has no %s map\n", p->name,
				rules ? "reasons" : "rules");
			return -ENOENT;
		}
		if (bpf_map__type(rules) != BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__type(reasons) != BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__value_size(rules) != sizeof(struct polc_counter) ||
		    bpf_map__value_size(reasons) != sizeof(struct polc_counter) ||
		    bpf_map__max_entries(reasons) != POLC_REASON_COUNT_ ||
		    bpf_map__max_entries(rules) > HARNESS_MAX_RULES) {
			fprintf(stderr, "harness: the maps of %s break the contract\n",
				p->name);
			return -EPROTO;
		}
		p->rules_fd = bpf_map__fd(rules);
		p->reasons_fd = bpf_map__fd(reasons);
		p->n_rules = bpf_map__max_entries(rules);
	}
	return 0;
}

struct harness_obj *harness_compile(const char *policy_src)
{
	return harness_compile_warned(policy_src, 0);
}

struct harness_obj *harness_compile_warned(const char *policy_src,
					   unsigned n_warnings)
{
	struct polc_unit *u = NULL;
	struct harness_obj *o = NULL;
	char path[PATH_MAX];
	int err;

	if (!tmpdir[0]) {
		fprintf(stderr, "harness: harness_init() was not called\n");
		return NULL;
	}
	err = polc_unit_new(&u, "test.pol", policy_src, strlen(policy_src));
	if (err) {
		fprintf(stderr, "harness: polc_unit_new: %d\n", err);
		return NULL;
	}
	err = polc_front(u);
	if (err || polc_unit_errors(u) || polc_unit_warning_count(u) != n_warnings) {
		fprintf(stderr, "harness: the policy has unexpected diagnostics (polc_front: %d, want %u warnings):\n",
			err, n_warnings);
		polc_unit_render_diags(u, stderr);
		fprintf(stderr, "--- policy ---\n%s--------------\n", policy_src);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/policy-%u.o", tmpdir, n_objects++);
	struct polc_build_opts opts = { .sz = sizeof(opts), .timeout_s = 120 };
	err = polc_build(u, &opts, path);
	if (err) {
		fprintf(stderr, "harness: polc_build: %d\n", err);
		polc_unit_render_diags(u, stderr);
		goto out;
	}

	o = calloc(1, sizeof(*o));
	if (!o)
		goto out_unlink;
	o->obj = bpf_object__open_file(path, NULL);
	if (!o->obj) {
		fprintf(stderr, "harness: bpf_object__open_file: %s\n", strerror(errno));
		goto fail;
	}
	err = bpf_object__load(o->obj);
	if (err) {
		fprintf(stderr, "harness: bpf_object__load: %s\n", strerror(-err));
		fprintf(stderr, "--- policy ---\n%s--------------\n", policy_src);
		goto fail;
	}
	if (find_progs(o))
		goto fail;
	err = read_meta(o, path);
	if (err) {
		fprintf(stderr, "harness: no readable %s section: %s\n",
			POLC_META_SECTION, strerror(-err));
		goto fail;
	}
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
	bpf_object__close(o->obj);
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

int harness_snapshot(const struct harness_prog *p, struct harness_counters *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out)); /* comparable as a whole */
	out->n_rules = p->n_rules;
	for (unsigned i = 0; i < p->n_rules && !err; i++)
		err = read_counter(p->rules_fd, i, &out->rules[i]);
	for (unsigned i = 0; i < POLC_REASON_COUNT_ && !err; i++)
		err = read_counter(p->reasons_fd, i, &out->reasons[i]);
	return err;
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

void harness_expect_(const struct harness_prog *p, const struct pkt *k,
		     int verdict, bool by_reason, unsigned which,
		     const char *file, int line)
{
	struct harness_counters before, after;
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

	err = harness_snapshot(p, &before);
	err = err ?: harness_run(p, k->data, k->len, &ret);
	err = err ?: harness_snapshot(p, &after);
	if (err) {
		print_error("%s: %s: running the frame failed: %s\n", p->name, desc,
			    strerror(-err));
		_fail(file, line);
	}

	int got = harness_verdict(p, ret);
	if (got != verdict) {
		print_error("%s: %s\n  verdict: got %s (return code %d), want %s\n",
			    p->name, desc, verdict_name(got), ret, verdict_name(verdict));
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
			print_error("%s: %s\n  counter %s moved by %llu packets, %llu bytes; want %llu, %llu (deciding: %s)\n",
				    p->name, desc, name, (unsigned long long)dp,
				    (unsigned long long)db, (unsigned long long)wp,
				    (unsigned long long)wb, want);
			ok = false;
		}
	}
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
