// SPDX-License-Identifier: BSD-2-Clause
/*
 * load.c: load one policy of an artifact into the kernel, with every map
 * its program reads filled (classifier tables and tries, set tries), but
 * attach nothing.  polrt_apply() builds on it; tests and benchmarks use it
 * to run the very program a node would run.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt.h"
#include "util.h"

#define VERIFIER_LOG_SIZE (1u << 20)

struct polrt_loaded {
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_program *companion; /* a tracked policy's, or NULL */
	bool xdp;
	int rules_fd;
	int reasons_fd;
	int ct_stats_fd; /* a tracked policy's conntrack counters, or -1 */
	uint32_t n_rules;
	/* a policy with NAT rules: a copy of its records, its maps (owned by obj) */
	struct polc_meta_nat *nats;
	uint32_t n_nats;
	struct rt_nat_maps nat;
	char nat_where[160];
	char nat_prefix[64];
};

struct load_ctx {
	struct bpf_program *companion; /* select_parts(): a tracked policy's */
	struct polrt *rt;
	const struct polrt_artifact *a;
	const struct polc_meta_policy *policy;
	const char *name;
};

/* Is name a map of one of the policy's sets? */
static bool set_map(const struct load_ctx *c, const char *name)
{
	const struct polrt_meta *m = &c->a->meta;

	for (uint32_t i = 0; i < c->policy->n_setrefs; i++) {
		const struct polc_meta_set *s = &m->sets[m->setrefs[c->policy->first_setref + i]];
		for (int f = 0; f < 2; f++)
			for (int k = 0; k < POLC_TRIE_MAPS; k++)
				if (rt_set_has_family(s, f) &&
				    strcmp(polrt_meta_str(m, s->map_str[f][k]), name) == 0)
					return true;
	}
	return false;
}

/* A map the policy's program uses: a set's, or one its plan fills? */
static bool policy_map(const struct load_ctx *c, const char *name)
{
	const struct polrt_meta *m = &c->a->meta;

	if (strcmp(name, polrt_meta_str(m, c->policy->rules_map_str)) == 0 ||
	    strcmp(name, polrt_meta_str(m, c->policy->reasons_map_str)) == 0 || set_map(c, name))
		return true;
	/* a tracked policy's conntrack and NAT maps: <program>_ct, _ct_cfg, ... */
	if (c->policy->n_progs > 1 || c->policy->n_nats) {
		static const char *const ct[] = {
			"_ct", "_ct_cfg", "_ct_stats", "_ct_scratch", POLC_MAP_SUFFIX_NAT_SVC,
			POLC_MAP_SUFFIX_NAT_BACKENDS, POLC_MAP_SUFFIX_NAT_MAGLEV, POLC_MAP_SUFFIX_NAT_RR,
			POLC_MAP_SUFFIX_NAT_SNAT, "_nat_scratch",
		};
		const char *prog = polrt_meta_str(m, m->progs[c->policy->first_prog].name_str);
		size_t n = strlen(prog);
		for (size_t i = 0; i < sizeof(ct) / sizeof(ct[0]); i++)
			if (strncmp(name, prog, n) == 0 && strcmp(name + n, ct[i]) == 0)
				return true;
	}
	for (uint32_t i = 0; i < c->policy->n_inits; i++) {
		const struct polc_meta_init *n = &m->inits[c->policy->first_init + i];
		int maps = n->kind == POLC_INIT_ARRAY ? 1 : POLC_TRIE_MAPS;
		for (int k = 0; k < maps; k++)
			if (strcmp(polrt_meta_str(m, n->map_str[k]), name) == 0)
				return true;
	}
	return false;
}

/* Keep only this policy's program and maps in the object. */
static int select_parts(struct load_ctx *c, struct bpf_object *obj, struct bpf_program **prog)
{
	const struct polrt_meta *m = &c->a->meta;
	const struct polc_meta_prog *mp = &m->progs[c->policy->first_prog];
	const char *prog_name = polrt_meta_str(m, mp->name_str);
	struct bpf_program *p;
	struct bpf_map *map;

	/* a tracked policy's companion: the policy's second program */
	const struct polc_meta_prog *cp =
		c->policy->n_progs > 1 ? &m->progs[c->policy->first_prog + 1] : NULL;
	const char *comp_name = cp ? polrt_meta_str(m, cp->name_str) : NULL;

	*prog = NULL;
	c->companion = NULL;
	bpf_object__for_each_program(p, obj) {
		bool ours = strcmp(bpf_program__name(p), prog_name) == 0;
		bool comp = comp_name && strcmp(bpf_program__name(p), comp_name) == 0;
		bpf_program__set_autoload(p, ours || comp);
		if (ours)
			*prog = p;
		if (comp)
			c->companion = p;
	}
	if (comp_name && (!c->companion || cp->hook == POLC_HOOK_XDP ||
			  bpf_program__type(c->companion) != BPF_PROG_TYPE_SCHED_CLS))
		return rt_err(c->rt, ENOENT, "%s: companion program %s is missing or not for tc",
			      c->a->name, comp_name);
	if (!*prog)
		return rt_err(c->rt, ENOENT, "%s: program %s named in the metadata is missing",
			      c->a->name, prog_name);
	enum bpf_prog_type want = mp->hook == POLC_HOOK_XDP ? BPF_PROG_TYPE_XDP
							    : BPF_PROG_TYPE_SCHED_CLS;
	if (bpf_program__type(*prog) != want)
		return rt_err(c->rt, EINVAL, "%s: program %s is not of the type its hook needs",
			      c->a->name, prog_name);
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		/* internal maps (.rodata, .data) belong to every program */
		if (!strchr(name, '.') && !policy_map(c, name))
			bpf_map__set_autocreate(map, false);
	}
	return 0;
}

/* The last lines of the verifier's log: what it objected to. */
static void report_refusal(struct load_ctx *c, int err, const char *log)
{
	if (err == -EPERM || err == -EACCES) {
		rt_err(c->rt, -err, "the kernel refused to load policy %s: permission denied "
				    "(loading policies needs root: CAP_BPF and CAP_NET_ADMIN)",
		       c->name);
		return;
	}
	const char *tail = log;
	size_t len = strlen(log);
	int lines = 0;
	for (size_t i = len; i > 0; i--) {
		if (log[i - 1] == '\n' && i != len && ++lines == 12) {
			tail = log + i;
			break;
		}
	}
	rt_err(c->rt, -err,
	       "the kernel's verifier refused policy %s (%s): this is a polc bug, please report it "
	       "with the policy file%s%s",
	       c->name, strerror(-err), *tail ? "; the verifier said:\n" : "", tail);
}

static int map_fd(struct load_ctx *c, struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	int fd = map ? bpf_map__fd(map) : -1;

	if (fd < 0)
		return rt_err(c->rt, ENOENT, "%s: map %s named in the metadata is missing",
			      c->a->name, name);
	return fd;
}

/* Fill what the program reads: classifier arrays and tries, set tries. */
/*
 * A tracked policy's conntrack clock: jiffies times the tick (the verifier
 * inlines bpf_jiffies64(); the clock helper costs more than the table
 * lookup, bench/RESULTS.md).  The tick is CLOCK_MONOTONIC_COARSE's
 * resolution, one jiffy.  polctl ct reads the same clock back (ct.c).
 */
static int set_ct_clock(struct load_ctx *c, struct bpf_object *obj)
{
	const struct polrt_meta *m = &c->a->meta;
	char name[256];
	struct timespec res;
	struct polc_ct_config cfg = { 0 };
	uint32_t zero = 0;

	if (c->policy->n_progs < 2)
		return 0;
	snprintf(name, sizeof(name), "%s_ct_cfg",
		 polrt_meta_str(m, m->progs[c->policy->first_prog].name_str));
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	if (!map)
		return rt_err(c->rt, ENOENT, "%s: map %s is missing", c->a->name, name);
	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0)
		cfg.jiffy_ns = (uint64_t)res.tv_nsec;
	if (bpf_map_update_elem(bpf_map__fd(map), &zero, &cfg, 0) < 0)
		return rt_err(c->rt, errno, "cannot configure %s: %s", name, strerror(errno));
	return 0;
}

static int fill_maps(struct load_ctx *c, struct bpf_object *obj)
{
	const struct polrt_meta *m = &c->a->meta;
	const char *data = c->a->data_blob;
	int err = 0;

	for (uint32_t i = 0; i < c->policy->n_inits && !err; i++) {
		const struct polc_meta_init *n = &m->inits[c->policy->first_init + i];
		int fds[POLC_TRIE_MAPS];
		int maps = n->kind == POLC_INIT_ARRAY ? 1 : POLC_TRIE_MAPS;
		for (int k = 0; k < maps && !err; k++) {
			fds[k] = map_fd(c, obj, polrt_meta_str(m, n->map_str[k]));
			if (fds[k] < 0)
				err = fds[k];
		}
		if (err)
			break;
		const char *name = polrt_meta_str(m, n->map_str[0]);
		if (n->kind == POLC_INIT_ARRAY)
			err = rt_fill_array(c->rt, fds[0], name, (const void *)(data + n->data_off),
					    n->count);
		else
			err = rt_fill_trie(c->rt, fds, name, n->width, n->dflt,
					   (const void *)(data + n->data_off), n->count);
	}
	for (uint32_t i = 0; i < c->policy->n_setrefs && !err; i++) {
		const struct polc_meta_set *s = &m->sets[m->setrefs[c->policy->first_setref + i]];
		const char *set = polrt_meta_str(m, s->name_str);
		for (int f = 0; f < 2 && !err; f++) {
			int fds[POLC_TRIE_MAPS];
			if (!rt_set_has_family(s, f))
				continue;
			for (int k = 0; k < POLC_TRIE_MAPS && !err; k++) {
				fds[k] = map_fd(c, obj, polrt_meta_str(m, s->map_str[f][k]));
				if (fds[k] < 0)
					err = fds[k];
			}
			err = err ?: rt_set_build(c->rt, set, s, f, fds,
						  (const void *)(data + s->elems_off), s->n_elems, NULL, 0);
		}
	}
	return err;
}

/* The NAT maps of a policy with dnat or snat rules, filled from the artifact. */
static int fill_nat(struct load_ctx *c, struct bpf_object *obj, struct polrt_loaded *l)
{
	const struct polrt_meta *m = &c->a->meta;
	const char *prog = polrt_meta_str(m, m->progs[c->policy->first_prog].name_str);
	struct rt_nat_sizes sz;

	for (int i = 0; i < RT_NAT_MAPS; i++)
		l->nat.fd[i] = -1;
	if (!c->policy->n_nats)
		return 0;
	snprintf(l->nat_where, sizeof(l->nat_where), "%s: policy %s", c->a->name, c->name);
	snprintf(l->nat_prefix, sizeof(l->nat_prefix), "%s", prog);
	l->nat.where = l->nat_where;
	l->nat.prefix = l->nat_prefix;
	for (int i = 0; i < RT_NAT_MAPS; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%s%s", prog, rt_nat_suffix(i));
		l->nat.fd[i] = map_fd(c, obj, name);
		if (l->nat.fd[i] < 0)
			return l->nat.fd[i];
	}
	l->nats = malloc((size_t)c->policy->n_nats * sizeof(*l->nats));
	if (!l->nats)
		return -ENOMEM;
	memcpy(l->nats, &m->nats[c->policy->first_nat], (size_t)c->policy->n_nats * sizeof(*l->nats));
	l->n_nats = c->policy->n_nats;
	rt_nat_count(l->nats, l->n_nats, &sz);
	int err = rt_nat_check_maps(c->rt, &l->nat, &sz);
	return err ?: rt_nat_fill(c->rt, &l->nat, m, c->policy, c->a->data_blob);
}

int polrt_loaded_nat_ifaddr(struct polrt *rt, struct polrt_loaded *l, uint32_t ifindex)
{
	return l->n_nats ? rt_nat_ifaddr(rt, &l->nat, l->nats, l->n_nats, ifindex) : 0;
}

int polrt_loaded_nat_set(struct polrt *rt, struct polrt_loaded *l, uint32_t service,
			 const struct polc_nat_backend *be, uint32_t n, uint32_t *half)
{
	uint32_t before, h;

	for (uint32_t i = 0; i < l->n_nats; i++) {
		const struct polc_meta_nat *nat = &l->nats[i];
		if (nat->kind != POLC_NAT_DNAT || nat->index != service)
			continue;
		int err = rt_nat_check_pool(rt, l->nat_where, &l->nat, nat, be, n);
		err = err ?: rt_nat_switch(rt, &l->nat, nat, be, n, &before, &h);
		if (!err && half)
			*half = h;
		return err;
	}
	return rt_err(rt, ENOENT, "the loaded policy has no service %u", service);
}

/* Use the map behind fd for the object's map `name` if they are alike
 * (type, key, value, size); 1 when reused, 0 when not, or -errno. */
static int reuse_map(struct polrt *rt, struct bpf_object *obj, const char *name, int fd)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (!map || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return 0;
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map)) {
		rt_log(rt, POLRT_LOG_INFO, "map %s changed shape: it starts empty", name);
		return 0;
	}
	int err = bpf_map__reuse_fd(map, fd);
	return err ? rt_err(rt, -err, "cannot reuse map %s: %s", name, strerror(-err)) : 1;
}

int polrt_load(struct polrt *rt, const struct polrt_artifact *a, const char *policy,
	       struct polrt_loaded **out)
{
	return polrt_load_reusing(rt, a, policy, NULL, -1, out);
}

int polrt_load_reusing(struct polrt *rt, const struct polrt_artifact *a, const char *policy,
		       const char *reuse_name, int reuse_fd, struct polrt_loaded **out)
{
	struct load_ctx c = { .rt = rt, .a = a };
	_cleanup_free_ char *log = calloc(1, VERIFIER_LOG_SIZE);
	struct bpf_program *prog;
	int err;

	c.policy = policy ? polrt_meta_policy(&a->meta, policy)
			  : a->meta.hdr->n_policies == 1 ? &a->meta.policies[0] : NULL;
	if (!c.policy)
		return rt_err(rt, ENOENT, "%s has no policy '%s'", a->name, policy ? policy : "");
	c.name = polrt_meta_str(&a->meta, c.policy->name_str);

	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = c.name, .kernel_log_buf = log,
		    .kernel_log_size = log ? VERIFIER_LOG_SIZE : 0);
	struct bpf_object *obj = bpf_object__open_mem(a->data, a->len, &oopts);
	if (!obj)
		return rt_err(rt, errno, "%s: libbpf cannot open the object: %s", a->name,
			      strerror(errno));
	err = select_parts(&c, obj, &prog);
	if (!err && reuse_name) {
		int r = reuse_map(rt, obj, reuse_name, reuse_fd);
		err = r < 0 ? r : 0;
	}
	if (!err) {
		err = bpf_object__load(obj);
		if (err)
			report_refusal(&c, err, log ? log : "");
	}
	err = err ?: fill_maps(&c, obj);
	err = err ?: set_ct_clock(&c, obj);
	struct polrt_loaded *l = err ? NULL : calloc(1, sizeof(*l));
	if (!err && !l)
		err = -ENOMEM;
	err = err ?: fill_nat(&c, obj, l);
	if (err) {
		if (l)
			free(l->nats);
		free(l);
		bpf_object__close(obj);
		return err;
	}
	l->obj = obj;
	l->prog = prog;
	l->companion = c.companion;
	l->xdp = a->meta.progs[c.policy->first_prog].hook == POLC_HOOK_XDP;
	l->rules_fd = polrt_loaded_map_fd(l, polrt_meta_str(&a->meta, c.policy->rules_map_str));
	l->reasons_fd = polrt_loaded_map_fd(l, polrt_meta_str(&a->meta, c.policy->reasons_map_str));
	l->n_rules = c.policy->n_rules;
	l->ct_stats_fd = -1;
	if (c.companion) {
		char name[256];
		snprintf(name, sizeof(name), "%s_ct_stats",
			 polrt_meta_str(&a->meta, a->meta.progs[c.policy->first_prog].name_str));
		l->ct_stats_fd = polrt_loaded_map_fd(l, name);
	}
	*out = l;
	return 0;
}

/* Packets counted in entry i of a per-CPU counter map. */
static int packets(int fd, uint32_t i, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct polc_counter *v;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int err = bpf_map_lookup_elem(fd, &i, v) ? -errno : 0;
	*out = 0;
	for (int c = 0; !err && c < ncpu; c++)
		*out += v[c].packets;
	free(v);
	return err;
}

/* Every counter of the program: rules first, then reasons. */
static int snapshot(const struct polrt_loaded *l, uint64_t *v)
{
	int err = 0;

	for (uint32_t i = 0; i < l->n_rules && !err; i++)
		err = packets(l->rules_fd, i, &v[i]);
	for (uint32_t i = 0; i < POLC_REASON_COUNT_ && !err; i++)
		err = packets(l->reasons_fd, i, &v[l->n_rules + i]);
	return err;
}

int polrt_loaded_run_companion(struct polrt_loaded *l, const void *frame, size_t len,
			       struct polrt_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (!l->companion)
		return -ENOENT;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = d->out, .data_size_out = sizeof(d->out), .repeat = 1);
	if (bpf_prog_test_run_opts(bpf_program__fd(l->companion), &t))
		return -errno;
	d->retval = (int)t.retval;
	d->out_len = t.data_size_out;
	if (d->retval != -1) /* TC_ACT_UNSPEC: the companion never decides */
		return -EPROTO;
	d->verdict = POLC_VERDICT_PASS;
	d->reason = POLC_REASON_DEFAULT;
	return 0;
}

int polrt_loaded_run(struct polrt_loaded *l, const void *frame, size_t len,
		     struct polrt_decision *d)
{
	uint64_t est_before = 0, est_after = 0;
	size_t n = l->n_rules + POLC_REASON_COUNT_;
	uint64_t *before = calloc(n, sizeof(*before)), *after = calloc(n, sizeof(*after));
	int err = before && after ? snapshot(l, before) : -ENOMEM;

	memset(d, 0, sizeof(*d));
	if (!err && l->ct_stats_fd >= 0)
		err = packets(l->ct_stats_fd, POLC_CT_STAT_ESTABLISHED, &est_before);
	if (!err) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = (uint32_t)len,
			    .data_out = d->out, .data_size_out = sizeof(d->out), .repeat = 1);
		err = bpf_prog_test_run_opts(bpf_program__fd(l->prog), &t) ? -errno : 0;
		d->retval = (int)t.retval;
		d->out_len = t.data_size_out;
	}
	err = err ?: snapshot(l, after);
	if (!err) {
		int moved = 0;
		for (size_t i = 0; i < n; i++) {
			if (after[i] == before[i])
				continue;
			moved++;
			if (i < l->n_rules) {
				d->rule = (uint32_t)i + 1;
				d->reason = POLC_REASON_DEFAULT;
			} else {
				d->reason = (enum polc_reason)(i - l->n_rules);
			}
		}
		/* XDP_PASS / TC_ACT_UNSPEC pass; XDP_DROP / TC_ACT_SHOT drop */
		if (l->xdp ? d->retval == 2 : d->retval == -1)
			d->verdict = POLC_VERDICT_PASS;
		else if (l->xdp ? d->retval == 1 : d->retval == 2)
			d->verdict = POLC_VERDICT_DROP;
		else
			err = -EPROTO;
		if (!err && l->ct_stats_fd >= 0)
			err = packets(l->ct_stats_fd, POLC_CT_STAT_ESTABLISHED, &est_after);
		/* a tracked flow's packet: no rule, the table counted it */
		if (!moved && est_after == est_before + 1 && d->verdict == POLC_VERDICT_PASS) {
			d->established = true;
			d->reason = POLC_REASON_DEFAULT;
		} else if (moved != 1) {
			err = -EPROTO;
		}
	}
	free(before);
	free(after);
	return err;
}

int polrt_loaded_companion_fd(const struct polrt_loaded *l)
{
	return l->companion ? bpf_program__fd(l->companion) : -ENOENT;
}

int polrt_loaded_prog_fd(const struct polrt_loaded *l)
{
	return bpf_program__fd(l->prog);
}

int polrt_loaded_map_fd(const struct polrt_loaded *l, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(l->obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

void polrt_loaded_free(struct polrt_loaded **l)
{
	if (!*l)
		return;
	bpf_object__close((*l)->obj);
	free((*l)->nats);
	free(*l);
	*l = NULL;
}
