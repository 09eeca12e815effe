// SPDX-License-Identifier: BSD-2-Clause
/* query.c: what is applied on this node, and its counters. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"
#include "sha256.h"
#include "util.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int polrt_instances(struct polrt *rt, char ***names, size_t *n)
{
	DIR *d = opendir(rt->root);
	char **v = NULL;
	size_t count = 0, cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT ? 0 : rt_err(rt, errno, "cannot read %s: %s", rt->root,
						    strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!pins_instance_name_ok(e->d_name))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			char **nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
		}
		v[count] = strdup(e->d_name);
		if (!v[count])
			goto oom;
		count++;
	}
	closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), name_cmp);
	*names = v;
	*n = count;
	return 0;
oom:
	closedir(d);
	polrt_names_free(v, count);
	return -ENOMEM;
}

void polrt_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static uint32_t pinned_prog_id(const char *dir)
{
	char path[PATH_MAX];
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	if (pins_path(dir, PIN_PROG, path, sizeof(path)))
		return 0;
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	return err ? 0 : info.id;
}

/* Read state and metadata of an instance; *blob is the metadata copy. */
int rt_load_instance(struct polrt *rt, const char *instance, char *dir, size_t dir_len,
		     struct polrt_state *st, void **blob, struct polrt_meta *m)
{
	char why[256];
	int err;

	if (!pins_instance_name_ok(instance))
		return rt_err(rt, EINVAL, "'%s' is not an instance name", instance);
	if (pins_dir(rt, instance, dir, dir_len))
		return -ENAMETOOLONG;
	err = pins_read_state(rt, dir, st);
	if (err == -ENOENT)
		return rt_err(rt, ENOENT, "no instance %s is applied (see polctl status)", instance);
	if (err)
		return err;
	err = pins_read_meta(rt, dir, st->meta_len, blob);
	if (err)
		return err;
	err = polrt_meta_parse(*blob, st->meta_len, m, why, sizeof(why));
	if (err) {
		free(*blob);
		*blob = NULL;
		return rt_err(rt, EINVAL, "metadata of instance %s is damaged: %s", instance, why);
	}
	return 0;
}

void rt_fill_status(struct polrt *rt, const char *instance, const char *dir,
		    const struct polrt_state *st, const struct polrt_meta *m,
		    struct polrt_status *out)
{
	const struct polc_meta_policy *p = polrt_meta_policy(m, st->policy);

	memset(out, 0, sizeof(*out));
	snprintf(out->instance, sizeof(out->instance), "%s", instance);
	snprintf(out->policy, sizeof(out->policy), "%s", st->policy);
	snprintf(out->ifname, sizeof(out->ifname), "%s", st->ifname);
	snprintf(out->netns, sizeof(out->netns), "%s", st->netns);
	snprintf(out->artifact, sizeof(out->artifact), "%s", st->artifact);
	snprintf(out->source, sizeof(out->source), "%s", polrt_meta_str(m, m->hdr->source_str));
	snprintf(out->compiler, sizeof(out->compiler), "%s",
		 polrt_meta_str(m, m->hdr->compiler_str));
	sha256_hex(m->hdr->source_sha256, out->source_sha256);
	out->ifindex = st->ifindex;
	out->hook = st->hook;
	out->applied_at = st->applied_at;
	out->xdp_generic = st->xdp_flags != 0;
	out->prog_id = pinned_prog_id(dir);
	if (p) {
		out->n_rules = p->n_rules;
		out->default_verdict = p->default_verdict;
		out->plan = p->plan;
		for (uint32_t i = 0; i < p->n_nats; i++) {
			if (m->nats[p->first_nat + i].kind == POLC_NAT_DNAT)
				out->nat_services++;
			else
				out->nat_snats++;
		}
	}

	/* is our program what the hook runs now? */
	const struct attach_ops *ops = attach_ops_get(st->hook);
	if (!ops || (st->netns[0] && !netns_same(st->netns, st->netns_dev, st->netns_ino)))
		return;
	struct netns_guard ns;
	uint64_t dev, ino;
	uint32_t running = 0;
	if (netns_enter(rt, st->netns[0] ? st->netns : NULL, &ns, &dev, &ino))
		return;
	if (ops->query(rt, st, dir, &running) == 0)
		out->attached = running != 0 && running == out->prog_id;
	struct polrt_state cs;
	char sub[PATH_MAX];
	if (rt_companion_state(rt, dir, &cs) == 0 && pins_path(dir, PIN_TRACK, sub, sizeof(sub)) == 0 &&
	    attach_ops_get(cs.hook)) {
		out->tracked = true;
		out->companion_hook = cs.hook;
		running = 0;
		if (attach_ops_get(cs.hook)->query(rt, &cs, sub, &running) == 0)
			out->companion_attached = running != 0 && running == pinned_prog_id(sub);
	}
	netns_leave(&ns);
}

int polrt_status(struct polrt *rt, const char *instance, struct polrt_status *out)
{
	char dir[PATH_MAX];
	struct polrt_state st;
	struct polrt_meta m;
	void *blob = NULL;
	int err = rt_load_instance(rt, instance, dir, sizeof(dir), &st, &blob, &m);

	if (err)
		return err;
	rt_fill_status(rt, instance, dir, &st, &m, out);
	free(blob);
	return 0;
}

/* Sum a per-CPU counter map's entries [0, n) into out[]. */
int rt_read_counters(struct polrt *rt, const char *dir, const char *pin, uint32_t n,
		     struct polc_counter *out)
{
	char path[PATH_MAX];
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0)
		return rt_err(rt, EINVAL, "cannot count the CPUs");
	if (pins_path(dir, pin, path, sizeof(path)))
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = bpf_obj_get(path);
	if (fd < 0)
		return rt_err(rt, errno, "cannot open %s: %s", path, strerror(errno));
	_cleanup_free_ struct polc_counter *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (bpf_map_lookup_elem(fd, &i, v) < 0)
			return rt_err(rt, errno, "cannot read %s: %s", path, strerror(errno));
		for (int c = 0; c < ncpu; c++) {
			out[i].packets += v[c].packets;
			out[i].bytes += v[c].bytes;
		}
	}
	return 0;
}

int polrt_stats(struct polrt *rt, const char *instance, struct polrt_stats *s)
{
	char dir[PATH_MAX];
	struct polrt_state st;
	struct polrt_meta m;
	int err;

	memset(s, 0, sizeof(*s));
	err = rt_load_instance(rt, instance, dir, sizeof(dir), &st, &s->meta_blob, &m);
	if (err)
		return err;
	rt_fill_status(rt, instance, dir, &st, &m, &s->status);
	const struct polc_meta_policy *p = polrt_meta_policy(&m, st.policy);
	if (!p) {
		polrt_stats_release(s);
		return rt_err(rt, EINVAL, "metadata of instance %s lacks policy %s", instance,
			      st.policy);
	}

	s->n_rules = p->n_rules;
	s->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*s->rules));
	_cleanup_free_ struct polc_counter *c = calloc(p->n_rules ? p->n_rules : 1, sizeof(*c));
	if (!s->rules || !c) {
		polrt_stats_release(s);
		return -ENOMEM;
	}
	err = p->n_rules ? rt_read_counters(rt, dir, PIN_RULES, p->n_rules, c) : 0;
	err = err ?: rt_read_counters(rt, dir, PIN_REASONS, POLC_REASON_COUNT_, s->reasons);
	if (err) {
		polrt_stats_release(s);
		return err;
	}
	for (uint32_t i = 0; i < p->n_rules; i++) {
		const struct polc_meta_rule *r = &m.rules[p->first_rule + i];
		s->rules[i] = (struct polrt_rule_stats){
			.id = r->id,
			.verdict = r->verdict,
			.line = r->line,
			.col = r->col,
			.text = polrt_meta_str(&m, r->text_str),
			.label = polrt_meta_str(&m, r->label_str),
			.counter = c[i],
		};
	}
	return 0;
}

void polrt_stats_release(struct polrt_stats *s)
{
	free(s->rules);
	free(s->meta_blob);
	memset(s, 0, sizeof(*s));
}
