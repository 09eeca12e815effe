// SPDX-License-Identifier: BSD-2-Clause
/*
 * attach_xdp.c: XDP through a pinned bpf_link.  Replacing a running policy
 * is bpf_link_update() on the same link: the kernel swaps the program in one
 * step, so no packet sees the device without a program.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "rt.h"
#include "util.h"

static int open_link(const char *dir)
{
	char path[PATH_MAX];

	if (pins_path(dir, PIN_LINK, path, sizeof(path)))
		return -ENAMETOOLONG;
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int xdp_attach(struct polrt *rt, struct polrt_state *st, int prog_fd,
		      const struct polrt_state *old, const char *old_dir,
		      const char *new_dir)
{
	char path[PATH_MAX];
	_cleanup_close_ int link_fd = -1;
	int err = pins_path(new_dir, PIN_LINK, path, sizeof(path));

	if (err)
		return err;
	if (old && old->hook == POLC_HOOK_XDP && old->ifindex == st->ifindex &&
	    old->xdp_flags == st->xdp_flags)
		link_fd = open_link(old_dir);
	if (link_fd >= 0) {
		if (bpf_link_update(link_fd, prog_fd, NULL) < 0)
			return rt_err(rt, errno, "cannot replace the XDP program on %s: %s",
				      st->ifname, strerror(errno));
	} else {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = st->xdp_flags);
		link_fd = bpf_link_create(prog_fd, (int)st->ifindex, BPF_XDP, &opts);
		if (link_fd < 0) {
			err = errno;
			if (err == EBUSY || err == EEXIST)
				return rt_err(rt, err,
					      "%s already runs an XDP program that polctl did not attach; "
					      "remove it first (ip link set dev %s xdp off)",
					      st->ifname, st->ifname);
			return rt_err(rt, err, "cannot attach XDP to %s: %s", st->ifname,
				      strerror(err));
		}
	}
	if (bpf_obj_pin(link_fd, path) < 0) {
		err = errno;
		/* a new link would vanish with this process: undo it */
		if (!old || !old_dir)
			bpf_link_detach(link_fd);
		return rt_err(rt, err, "cannot pin %s: %s", path, strerror(err));
	}
	return 0;
}

static int xdp_detach(struct polrt *rt, const struct polrt_state *st,
		      const char *dir)
{
	_cleanup_close_ int link_fd = open_link(dir);

	if (link_fd < 0)
		return link_fd == -ENOENT ? 0 : rt_err(rt, -link_fd, "cannot open the XDP link of %s",
						       dir);
	if (bpf_link_detach(link_fd) < 0 && errno != ENOLINK && errno != EINVAL)
		return rt_err(rt, errno, "cannot detach XDP from %s: %s", st->ifname,
			      strerror(errno));
	return 0;
}

static int xdp_query(struct polrt *rt, const struct polrt_state *st,
		     const char *dir, uint32_t *prog_id)
{
	_cleanup_close_ int link_fd = open_link(dir);
	struct bpf_link_info info;
	uint32_t len = sizeof(info);

	*prog_id = 0;
	if (link_fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
		return -errno;
	/* a link whose device went away keeps its program but no ifindex */
	if (info.xdp.ifindex == st->ifindex)
		*prog_id = info.prog_id;
	return 0;
}

const struct attach_ops attach_xdp_ops = {
	.hook = POLC_HOOK_XDP,
	.attach = xdp_attach,
	.detach = xdp_detach,
	.query = xdp_query,
};

const struct attach_ops *attach_ops_get(enum polc_hook hook)
{
	switch (hook) {
	case POLC_HOOK_XDP:
		return &attach_xdp_ops;
	case POLC_HOOK_TC_INGRESS:
	case POLC_HOOK_TC_EGRESS:
		return &attach_tc_ops;
	case POLC_HOOK_MAX_:
		break;
	}
	return NULL;
}
