// SPDX-License-Identifier: BSD-2-Clause
/*
 * netns.c: do part of an operation inside a named network namespace (the
 * /run/netns/NAME files of "ip netns").
 *
 * Only the network namespace is entered, never the mount namespace, so the
 * pins stay on the host's bpffs: the instance outlives this process even
 * though its device lives in another namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt.h"

#define NETNS_RUN_DIR "/run/netns"

static int netns_path(const char *name, char *buf, size_t len)
{
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	if ((size_t)snprintf(buf, len, NETNS_RUN_DIR "/%s", name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int netns_enter(struct polrt *rt, const char *name, struct netns_guard *g,
		uint64_t *dev, uint64_t *ino)
{
	char path[PATH_MAX];
	struct stat st;

	g->orig_fd = -1;
	if (!name || !*name) {
		if (stat("/proc/self/ns/net", &st) == 0) {
			*dev = st.st_dev;
			*ino = st.st_ino;
		}
		return 0;
	}
	if (netns_path(name, path, sizeof(path)))
		return rt_err(rt, EINVAL, "'%s' is not a network namespace name", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_err(rt, errno, "no network namespace '%s' (%s: %s)", name, path,
			      strerror(errno));
	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		return rt_err(rt, err, "cannot stat %s: %s", path, strerror(err));
	}
	g->orig_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (g->orig_fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		int err = errno;
		close(fd);
		if (g->orig_fd >= 0)
			close(g->orig_fd);
		g->orig_fd = -1;
		return rt_err(rt, err, "cannot enter network namespace '%s': %s", name,
			      strerror(err));
	}
	close(fd);
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

void netns_leave(struct netns_guard *g)
{
	if (g->orig_fd < 0)
		return;
	if (setns(g->orig_fd, CLONE_NEWNET) < 0)
		perror("polrt: cannot return to the original network namespace");
	close(g->orig_fd);
	g->orig_fd = -1;
}

bool netns_same(const char *name, uint64_t dev, uint64_t ino)
{
	char path[PATH_MAX];
	struct stat st;

	if (!name || !*name)
		return stat("/proc/self/ns/net", &st) == 0 && st.st_dev == dev &&
		       st.st_ino == ino;
	if (netns_path(name, path, sizeof(path)) || stat(path, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}
