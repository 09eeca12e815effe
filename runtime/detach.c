// SPDX-License-Identifier: BSD-2-Clause
/* detach.c: take an instance off its hook and remove its pins. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

int polrt_detach(struct polrt *rt, const char *instance)
{
	char dir[PATH_MAX];
	struct polrt_state st;
	struct stat sb;
	int err;

	if (!pins_instance_name_ok(instance))
		return rt_err(rt, EINVAL, "'%s' is not an instance name", instance);
	if (pins_dir(rt, instance, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	if (stat(dir, &sb) < 0)
		return rt_err(rt, ENOENT, "no instance %s is applied (see polctl status)", instance);

	int lock_fd = pins_lock(rt);
	if (lock_fd < 0)
		return lock_fd;
	err = pins_read_state(rt, dir, &st);
	if (err) {
		rt_log(rt, POLRT_LOG_WARN, "instance %s has no readable state; removing its pins",
		       instance);
		err = 0;
		goto remove;
	}

	/* the namespace (and the device with it) may be gone: nothing to undo */
	if (st.netns[0] && !netns_same(st.netns, st.netns_dev, st.netns_ino)) {
		rt_log(rt, POLRT_LOG_INFO, "network namespace %s is gone; removing the pins of %s",
		       st.netns, instance);
		goto remove;
	}
	struct netns_guard ns;
	uint64_t dev, ino;
	err = netns_enter(rt, st.netns[0] ? st.netns : NULL, &ns, &dev, &ino);
	if (err)
		goto out;
	const struct attach_ops *ops = attach_ops_get(st.hook);
	if (ops)
		err = ops->detach(rt, &st, dir);
	/* a tracked policy's companion, after the policy */
	struct polrt_state comp;
	char sub[PATH_MAX];
	if (!err && rt_companion_state(rt, dir, &comp) == 0 &&
	    pins_path(dir, PIN_TRACK, sub, sizeof(sub)) == 0 && attach_ops_get(comp.hook))
		err = attach_ops_get(comp.hook)->detach(rt, &comp, sub);
	netns_leave(&ns);
	if (err)
		goto out;
remove:
	err = pins_remove_dir(dir);
	if (err)
		rt_err(rt, -err, "cannot remove %s: %s", dir, strerror(-err));
	else
		rt_log(rt, POLRT_LOG_INFO, "detached %s", instance);
out:
	close(lock_fd);
	return err;
}
