// SPDX-License-Identifier: BSD-2-Clause
/*
 * attach_tc.c: tc ingress/egress as a cls_bpf filter in direct-action mode
 * on the device's clsact qdisc, at a fixed handle and priority.  Replacing
 * a running policy is a netlink filter replace at that handle, which the
 * kernel performs atomically.  This works on every kernel polc targets
 * (tcx links need 6.6).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"

static void tc_hook_of(const struct polrt_state *st, struct bpf_tc_hook *hook)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = (int)st->ifindex;
	hook->attach_point = st->hook == POLC_HOOK_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

static int tc_attached_id(const struct polrt_state *st, uint32_t *prog_id)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = st->tc_handle, .priority = st->tc_priority);

	tc_hook_of(st, &hook);
	*prog_id = 0;
	int err = bpf_tc_query(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL || err == -ENODEV)
		return 0;
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

static int tc_attach(struct polrt *rt, struct polrt_state *st, int prog_fd,
		     const struct polrt_state *old, const char *old_dir,
		     const char *new_dir)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = POLRT_TC_HANDLE,
		    .priority = POLRT_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	(void)old;
	(void)old_dir;
	(void)new_dir;

	st->tc_handle = POLRT_TC_HANDLE;
	st->tc_priority = POLRT_TC_PRIORITY;
	tc_hook_of(st, &hook);
	int err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return rt_err(rt, -err, "cannot create the clsact qdisc on %s: %s",
			      st->ifname, strerror(-err));
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return rt_err(rt, -err, "cannot attach to %s %s: %s", st->ifname,
			      polrt_hook_name(st->hook), strerror(-err));
	return 0;
}

static int tc_detach(struct polrt *rt, const struct polrt_state *st,
		     const char *dir)
{
	struct bpf_tc_hook hook;
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = st->tc_handle, .priority = st->tc_priority);
	char path[PATH_MAX];
	uint32_t attached, ours = 0;

	/* only remove the filter if it still runs our program */
	if (pins_path(dir, PIN_PROG, path, sizeof(path)) == 0) {
		int fd = bpf_obj_get(path);
		if (fd >= 0) {
			struct bpf_prog_info info = { 0 };
			uint32_t len = sizeof(info);
			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				ours = info.id;
			close(fd);
		}
	}
	if (tc_attached_id(st, &attached) || attached == 0)
		return 0;
	if (ours && attached != ours) {
		rt_log(rt, POLRT_LOG_WARN,
		       "%s %s now runs program %u, not this instance's; leaving it",
		       st->ifname, polrt_hook_name(st->hook), attached);
		return 0;
	}
	tc_hook_of(st, &hook);
	int err = bpf_tc_detach(&hook, &opts);
	if (err && err != -ENOENT)
		return rt_err(rt, -err, "cannot detach from %s %s: %s", st->ifname,
			      polrt_hook_name(st->hook), strerror(-err));
	return 0;
}

static int tc_query(struct polrt *rt, const struct polrt_state *st,
		    const char *dir, uint32_t *prog_id)
{
	(void)rt;
	(void)dir;
	return tc_attached_id(st, prog_id);
}

const struct attach_ops attach_tc_ops = {
	.hook = POLC_HOOK_TC_INGRESS,
	.attach = tc_attach,
	.detach = tc_detach,
	.query = tc_query,
};
