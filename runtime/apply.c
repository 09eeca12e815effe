// SPDX-License-Identifier: BSD-2-Clause
/*
 * apply.c: load one policy of an artifact and attach it, or replace the
 * running version of it.
 *
 * The order is what makes it safe: everything that can fail (loading,
 * verification, pinning into a fresh directory) happens before the running
 * version is touched; then the hook is switched in one kernel operation; then
 * the new pin directory takes the old one's name.  A failure before the
 * switch leaves the node exactly as it was.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "util.h"

struct apply_ctx {
	struct polrt *rt;
	const struct polrt_artifact *a;
	const struct polrt_apply_opts *opts;
	const struct polc_meta_policy *policy;
	const char *instance;
	struct polrt_state st;
	char dir[PATH_MAX];     /* <root>/<instance> */
	char new_dir[PATH_MAX]; /* <root>/+new-<instance> */
	char old_dir[PATH_MAX]; /* <root>/+old-<instance> */
	bool have_old;
	struct polrt_state old;
	bool companion;         /* a tracked policy: its second program */
	struct polrt_state comp; /* the companion's attachment */
};

/* The companion's state in an instance directory: 0, or -ENOENT. */
int rt_companion_state(struct polrt *rt, const char *dir, struct polrt_state *st)
{
	char sub[PATH_MAX];

	if (pins_path(dir, PIN_TRACK, sub, sizeof(sub)))
		return -ENAMETOOLONG;
	if (access(sub, F_OK) != 0)
		return -ENOENT;
	return pins_read_state(rt, sub, st);
}

/* Attach the companion before the policy itself, so that no reply of a flow
 * the node opens meets the policy before the flow is recorded. */
static int attach_companion(struct apply_ctx *c, struct polrt_loaded *l)
{
	char sub[PATH_MAX], path[PATH_MAX], old_sub[PATH_MAX];
	struct polrt_state old_comp;
	const struct attach_ops *ops = attach_ops_get(c->comp.hook);
	int fd = polrt_loaded_companion_fd(l);
	int err = pins_path(c->new_dir, PIN_TRACK, sub, sizeof(sub));

	if (fd < 0)
		return rt_err(c->rt, ENOENT, "%s: the companion program did not load", c->a->name);
	/* the policy's state, on the companion's hook */
	uint32_t hook = c->comp.hook;
	c->comp = c->st;
	c->comp.hook = hook;
	c->comp.xdp_flags = 0;
	if (!err && mkdir(sub, 0700) < 0)
		err = rt_err(c->rt, errno, "cannot create %s: %s", sub, strerror(errno));
	err = err ?: pins_path(sub, PIN_PROG, path, sizeof(path));
	if (!err && bpf_obj_pin(fd, path) < 0)
		err = rt_err(c->rt, errno, "cannot pin %s: %s", path, strerror(errno));
	if (err)
		return err;
	bool same = c->have_old && rt_companion_state(c->rt, c->dir, &old_comp) == 0 &&
		    old_comp.hook == c->comp.hook;
	if (same && pins_path(c->dir, PIN_TRACK, old_sub, sizeof(old_sub)))
		same = false;
	err = ops->attach(c->rt, &c->comp, fd, same ? &old_comp : NULL, same ? old_sub : NULL, sub);
	return err ?: pins_write_state(c->rt, sub, &c->comp);
}

static const struct polc_meta_policy *select_policy(struct polrt *rt,
						    const struct polrt_artifact *a,
						    const char *name)
{
	const struct polrt_meta *m = &a->meta;

	if (name) {
		const struct polc_meta_policy *p = polrt_meta_policy(m, name);
		if (!p)
			rt_err(rt, ENOENT, "%s has no policy '%s'", a->name, name);
		return p;
	}
	if (m->hdr->n_policies == 1)
		return &m->policies[0];
	char names[512] = "";
	size_t len = 0;
	for (uint32_t i = 0; i < m->hdr->n_policies && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
					polrt_meta_str(m, m->policies[i].name_str));
	rt_err(rt, EINVAL, "%s holds several policies (%s): choose one with --policy", a->name,
	       names);
	return NULL;
}

/* Is another instance already on this device and hook? */
static int check_conflicts(struct apply_ctx *c)
{
	char **names = NULL;
	size_t n = 0;
	int err = polrt_instances(c->rt, &names, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		char dir[PATH_MAX];
		struct polrt_state o;
		if (strcmp(names[i], c->instance) == 0)
			continue;
		if (pins_dir(c->rt, names[i], dir, sizeof(dir)) || pins_read_state(c->rt, dir, &o))
			continue;
		struct polrt_state oc;
		bool o_comp = rt_companion_state(c->rt, dir, &oc) == 0;
		bool same_dev = o.ifindex == c->st.ifindex && o.netns_ino == c->st.netns_ino &&
				o.netns_dev == c->st.netns_dev;
		bool clash = o.hook == c->st.hook || (c->companion && o.hook == c->comp.hook) ||
			     (o_comp && (oc.hook == c->st.hook ||
					 (c->companion && oc.hook == c->comp.hook)));
		if (same_dev && clash)
			err = rt_err(c->rt, EBUSY,
				     "%s %s already runs instance '%s' (policy %s); detach it first, "
				     "or apply with --name %s to replace it",
				     c->st.ifname, polrt_hook_name(c->st.hook), names[i], o.policy,
				     names[i]);
	}
	polrt_names_free(names, n);
	return err;
}

/* Pin a map of the loaded object into the new directory. */
static int pin_map(struct apply_ctx *c, struct polrt_loaded *l, const char *map, const char *pin)
{
	char path[PATH_MAX];
	int fd = polrt_loaded_map_fd(l, map);
	int err = pins_path(c->new_dir, pin, path, sizeof(path));

	if (fd < 0)
		return rt_err(c->rt, ENOENT, "%s: map %s is missing", c->a->name, map);
	if (!err && bpf_obj_pin(fd, path) < 0)
		err = rt_err(c->rt, errno, "cannot pin %s: %s", path, strerror(errno));
	return err;
}

/* The sets' tries and element stores, pinned so polctl set can change them. */
static int pin_sets(struct apply_ctx *c, struct polrt_loaded *l)
{
	const struct polrt_meta *m = &c->a->meta;
	const char *data = c->a->data_blob;
	int err = 0;

	for (uint32_t i = 0; i < c->policy->n_setrefs && !err; i++) {
		const struct polc_meta_set *s = &m->sets[m->setrefs[c->policy->first_setref + i]];
		const char *set = polrt_meta_str(m, s->name_str);
		for (int f = 0; f < 2 && !err; f++) {
			if (!rt_set_has_family(s, f))
				continue;
			for (int k = 0; k < POLC_TRIE_MAPS && !err; k++) {
				char pin[PATH_MAX];
				err = rt_set_pin_name(set, s->kind == POLC_SET_PORT ? -1 : f, k, pin,
						      sizeof(pin));
				err = err ?: pin_map(c, l, polrt_meta_str(m, s->map_str[f][k]), pin);
			}
		}
		err = err ?: rt_set_create_elems(c->rt, s, (const void *)(data + s->elems_off),
						 s->n_elems, c->new_dir, set);
	}
	return err;
}

static int load_and_pin(struct apply_ctx *c)
{
	const struct polrt_meta *m = &c->a->meta;
	struct polrt_loaded *l = NULL;
	char path[PATH_MAX], ct[256] = "";
	int ct_fd = -1;

	/* a re-applied tracked policy keeps its flows: the old table */
	if (c->companion) {
		snprintf(ct, sizeof(ct), "%s_ct",
			 polrt_meta_str(m, m->progs[c->policy->first_prog].name_str));
		if (c->have_old && pins_path(c->dir, PIN_CT, path, sizeof(path)) == 0)
			ct_fd = bpf_obj_get(path);
	}
	int err = polrt_load_reusing(c->rt, c->a, c->st.policy, ct[0] ? ct : NULL, ct_fd, &l);

	if (ct_fd >= 0)
		close(ct_fd);
	/* snat -> interface: the device's addresses (we are in its namespace) */
	if (!err) {
		err = polrt_loaded_nat_ifaddr(c->rt, l, c->st.ifindex);
		if (err)
			polrt_loaded_free(&l);
	}
	if (err)
		return err;
	err = pins_remove_dir(c->new_dir);
	if (err && err != -ENOENT) {
		rt_err(c->rt, -err, "cannot clear %s: %s", c->new_dir, strerror(-err));
		goto out;
	}
	err = 0;
	if (mkdir(c->new_dir, 0700) < 0) {
		err = rt_err(c->rt, errno, "cannot create %s: %s", c->new_dir, strerror(errno));
		goto out;
	}
	err = pin_map(c, l, polrt_meta_str(m, c->policy->rules_map_str), PIN_RULES);
	err = err ?: pin_map(c, l, polrt_meta_str(m, c->policy->reasons_map_str), PIN_REASONS);
	err = err ?: pin_sets(c, l);
	/* the conntrack table, for polctl and the next apply */
	if (!err && c->companion) {
		char cfg[sizeof(ct) + 8];
		snprintf(cfg, sizeof(cfg), "%s_cfg", ct);
		char stats[sizeof(ct) + 8];
		snprintf(stats, sizeof(stats), "%s_stats", ct);
		err = pin_map(c, l, ct, PIN_CT);
		err = err ?: pin_map(c, l, cfg, PIN_CT_CFG);
		err = err ?: pin_map(c, l, stats, PIN_CT_STATS);
	}
	/* the NAT maps, for polctl nat */
	for (int i = 0; i < RT_NAT_MAPS && !err && c->policy->n_nats; i++) {
		char name[256];
		snprintf(name, sizeof(name), "%s%s",
			 polrt_meta_str(m, m->progs[c->policy->first_prog].name_str), rt_nat_suffix(i));
		err = pin_map(c, l, name, rt_nat_pin(i));
	}
	if (!err) {
		err = pins_path(c->new_dir, PIN_PROG, path, sizeof(path));
		if (!err && bpf_obj_pin(polrt_loaded_prog_fd(l), path) < 0)
			err = rt_err(c->rt, errno, "cannot pin %s: %s", path, strerror(errno));
	}
	size_t blob_len;
	const void *blob = polrt_artifact_meta_blob(c->a, &blob_len);
	c->st.meta_len = (uint32_t)blob_len;
	err = err ?: pins_write_meta(c->rt, c->new_dir, blob, blob_len);
	err = err ?: pins_write_state(c->rt, c->new_dir, &c->st);
	if (err)
		goto out;

	/* the switch: from here on the new version runs */
	if (c->companion) {
		err = attach_companion(c, l);
		if (err)
			goto out;
	}
	const struct attach_ops *ops = attach_ops_get(c->st.hook);
	bool same_hook = c->have_old && c->old.hook == c->st.hook;
	err = ops->attach(c->rt, &c->st, polrt_loaded_prog_fd(l), same_hook ? &c->old : NULL,
			  same_hook ? c->dir : NULL, c->new_dir);
	if (err)
		goto out;
	/* tc records its handle while attaching: store the final state */
	char state_path[PATH_MAX];
	if (pins_path(c->new_dir, PIN_STATE, state_path, sizeof(state_path)) == 0)
		unlink(state_path);
	err = pins_write_state(c->rt, c->new_dir, &c->st);
out:
	polrt_loaded_free(&l);
	return err;
}

int polrt_apply(struct polrt *rt, const struct polrt_artifact *a,
		const struct polrt_apply_opts *opts)
{
	struct apply_ctx c = { .rt = rt, .a = a, .opts = opts };
	struct netns_guard ns = { -1 };
	int lock_fd = -1, err;

	if (!opts || !opts->ifname || !*opts->ifname)
		return rt_err(rt, EINVAL, "apply needs a device (--dev)");
	if (strlen(opts->ifname) >= IF_NAMESIZE)
		return rt_err(rt, EINVAL, "'%s' is too long for a device name", opts->ifname);
	c.policy = select_policy(rt, a, opts->policy);
	if (!c.policy)
		return -ENOENT;
	const struct polrt_meta *m = &a->meta;
	const char *policy_name = polrt_meta_str(m, c.policy->name_str);
	c.instance = opts->instance ? opts->instance : policy_name;
	if (!pins_instance_name_ok(c.instance))
		return rt_err(rt, EINVAL,
			      "'%s' cannot name an instance (letters, digits, '_' and '-'; at most 63)",
			      c.instance);
	if (c.policy->n_progs != 1 && c.policy->n_progs != 2)
		return rt_err(rt, ENOTSUP, "policy %s has %u programs; this polctl attaches one, "
					   "or a tracked policy's two",
			      policy_name, c.policy->n_progs);

	/* what the new version will be */
	struct polrt_state *st = &c.st;
	st->magic = POLRT_STATE_MAGIC;
	st->version = POLRT_STATE_VERSION;
	st->hook = m->progs[c.policy->first_prog].hook;
	st->xdp_flags = st->hook == POLC_HOOK_XDP && opts->xdp_generic ? XDP_FLAGS_SKB_MODE : 0;
	st->applied_at = (uint64_t)time(NULL);
	snprintf(st->ifname, sizeof(st->ifname), "%s", opts->ifname);
	snprintf(st->netns, sizeof(st->netns), "%s", opts->netns ? opts->netns : "");
	snprintf(st->policy, sizeof(st->policy), "%s", policy_name);
	snprintf(st->artifact, sizeof(st->artifact), "%s", a->name);
	memcpy(st->artifact_sha256, a->sha256, sizeof(st->artifact_sha256));
	if (c.policy->n_progs == 2) {
		/* the rest of its state is the policy's, once the device is known
		 * (attach_companion()) */
		c.companion = true;
		c.comp.hook = m->progs[c.policy->first_prog + 1].hook;
		if (c.comp.hook == st->hook || c.comp.hook == POLC_HOOK_XDP)
			return rt_err(rt, EINVAL, "policy %s: its companion program runs on %s, "
						  "which it cannot",
				      policy_name, polrt_hook_name(c.comp.hook));
	}

	err = pins_prepare_root(rt);
	if (err)
		return err;
	lock_fd = pins_lock(rt);
	if (lock_fd < 0)
		return lock_fd;

	err = netns_enter(rt, opts->netns, &ns, &st->netns_dev, &st->netns_ino);
	if (err)
		goto out;
	st->ifindex = if_nametoindex(opts->ifname);
	if (!st->ifindex) {
		err = rt_err(rt, ENODEV, "no device %s%s%s", opts->ifname,
			     opts->netns ? " in network namespace " : "",
			     opts->netns ? opts->netns : "");
		goto out;
	}

	if (pins_dir(rt, c.instance, c.dir, sizeof(c.dir)) ||
	    snprintf(c.new_dir, sizeof(c.new_dir), "%s/+new-%s", rt->root, c.instance) >=
		    (int)sizeof(c.new_dir) ||
	    snprintf(c.old_dir, sizeof(c.old_dir), "%s/+old-%s", rt->root, c.instance) >=
		    (int)sizeof(c.old_dir)) {
		err = rt_err(rt, ENAMETOOLONG, "instance name too long");
		goto out;
	}
	struct stat sb;
	if (stat(c.dir, &sb) == 0) {
		err = pins_read_state(rt, c.dir, &c.old);
		if (err) {
			rt_err(rt, -err, "instance %s exists but its state is unreadable; "
					 "polctl detach %s removes it",
			       c.instance, c.instance);
			goto out;
		}
		c.have_old = true;
		if (c.old.ifindex != st->ifindex || c.old.netns_ino != st->netns_ino ||
		    c.old.netns_dev != st->netns_dev) {
			err = rt_err(rt, EBUSY,
				     "instance %s is attached to %s%s%s; detach it first or apply "
				     "with another --name",
				     c.instance, c.old.ifname, c.old.netns[0] ? " in " : "",
				     c.old.netns);
			goto out;
		}
	}
	err = check_conflicts(&c);
	if (err)
		goto out;

	err = load_and_pin(&c);
	if (err) {
		pins_remove_dir(c.new_dir);
		goto out;
	}

	/* the old version ran on another hook: the new one runs already, so
	 * removing the old one leaves no gap */
	if (c.have_old && c.old.hook != st->hook)
		attach_ops_get(c.old.hook)->detach(rt, &c.old, c.dir);
	/* the old version's companion, if the new one has none there */
	struct polrt_state old_comp;
	if (c.have_old && rt_companion_state(rt, c.dir, &old_comp) == 0 &&
	    (!c.companion || old_comp.hook != c.comp.hook) && old_comp.hook != st->hook) {
		char sub[PATH_MAX];
		if (pins_path(c.dir, PIN_TRACK, sub, sizeof(sub)) == 0)
			attach_ops_get(old_comp.hook)->detach(rt, &old_comp, sub);
	}

	/* the new pins take the instance's name */
	pins_remove_dir(c.old_dir);
	if (c.have_old && rename(c.dir, c.old_dir) < 0) {
		err = rt_err(rt, errno, "cannot move %s aside: %s", c.dir, strerror(errno));
		goto out;
	}
	if (rename(c.new_dir, c.dir) < 0) {
		err = rt_err(rt, errno, "cannot rename %s: %s", c.new_dir, strerror(errno));
		if (c.have_old)
			rename(c.old_dir, c.dir);
		goto out;
	}
	if (c.have_old)
		pins_remove_dir(c.old_dir);
	rt_log(rt, POLRT_LOG_INFO, "%s policy %s on %s%s%s (%s)",
	       c.have_old ? "replaced" : "applied", st->policy, st->ifname,
	       st->netns[0] ? " in " : "", st->netns, polrt_hook_name(st->hook));
out:
	netns_leave(&ns);
	close(lock_fd);
	return err;
}
