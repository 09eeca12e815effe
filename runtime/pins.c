// SPDX-License-Identifier: BSD-2-Clause
/*
 * pins.c: the bpffs layout under the runtime's root (see polrt.h): instance
 * directories, the lock that serialises polctl invocations, and the two
 * small maps that make an instance self-describing (state and meta).
 */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "rt.h"
#include "util.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC;
}

int pins_prepare_root(struct polrt *rt)
{
	char parent[sizeof(rt->root)];

	snprintf(parent, sizeof(parent), "%s", rt->root);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return rt_err(rt, EINVAL, "root %s must be a directory below a bpffs mount",
			      rt->root);
	*slash = '\0';

	if (!on_bpffs(parent)) {
		/* the kernel's usual place may simply not be mounted yet */
		if (strcmp(parent, "/sys/fs/bpf") != 0)
			return rt_err(rt, ENOTDIR, "%s is not on a bpffs mount", parent);
		if (mount("bpf", parent, "bpf", 0, "mode=0700") < 0)
			return rt_err(rt, errno, "cannot mount bpffs on %s: %s", parent,
				      strerror(errno));
		rt_log(rt, POLRT_LOG_INFO, "mounted bpffs on %s", parent);
	}
	if (mkdir(rt->root, 0700) < 0 && errno != EEXIST)
		return rt_err(rt, errno, "cannot create %s: %s", rt->root, strerror(errno));
	return 0;
}

int pins_lock(struct polrt *rt)
{
	int fd = open(rt->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return rt_err(rt, errno, "cannot open %s: %s", rt->root, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int err = errno;
			close(fd);
			return rt_err(rt, err, "cannot lock %s: %s", rt->root, strerror(err));
		}
	}
	return fd;
}

bool pins_instance_name_ok(const char *name)
{
	size_t len = strlen(name);

	/* bpffs reserves names with a dot; '+' marks polctl's work dirs */
	if (len == 0 || len > 63)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

int pins_dir(struct polrt *rt, const char *instance, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", rt->root, instance) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pins_path(const char *dir, const char *name, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pins_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (pins_path(dir, e->d_name, path, sizeof(path)) != 0)
			continue;
		/* a tracked policy's companion has a directory of its own */
		if (e->d_type == DT_DIR)
			pins_remove_dir(path);
		else
			unlink(path);
	}
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 0;
}

static int pin_fd(struct polrt *rt, int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err = pins_path(dir, name, path, sizeof(path));

	if (err)
		return err;
	if (bpf_obj_pin(fd, path) < 0)
		return rt_err(rt, errno, "cannot pin %s: %s", path, strerror(errno));
	return 0;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (pins_path(dir, name, path, sizeof(path)))
		return -ENAMETOOLONG;
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int pins_write_state(struct polrt *rt, const char *dir,
		     const struct polrt_state *st)
{
	_cleanup_close_ int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "polc_state",
						sizeof(uint32_t), sizeof(*st), 1, NULL);
	uint32_t key = 0;

	if (fd < 0)
		return rt_err(rt, errno, "cannot create the state map: %s", strerror(errno));
	if (bpf_map_update_elem(fd, &key, st, 0) < 0)
		return rt_err(rt, errno, "cannot write the state map: %s", strerror(errno));
	return pin_fd(rt, fd, dir, PIN_STATE);
}

int pins_read_state(struct polrt *rt, const char *dir, struct polrt_state *st)
{
	_cleanup_close_ int fd = open_pin(dir, PIN_STATE);
	uint32_t key = 0;
	struct bpf_map_info info = { 0 };
	uint32_t info_len = sizeof(info);

	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) < 0 ||
	    info.value_size != sizeof(*st))
		return rt_err(rt, EINVAL, "%s/%s is not a polctl state map", dir, PIN_STATE);
	if (bpf_map_lookup_elem(fd, &key, st) < 0)
		return rt_err(rt, errno, "cannot read %s/%s: %s", dir, PIN_STATE, strerror(errno));
	if (st->magic != POLRT_STATE_MAGIC || st->version != POLRT_STATE_VERSION)
		return rt_err(rt, EINVAL, "%s/%s has an unknown layout", dir, PIN_STATE);
	st->ifname[sizeof(st->ifname) - 1] = '\0';
	st->netns[sizeof(st->netns) - 1] = '\0';
	st->policy[sizeof(st->policy) - 1] = '\0';
	st->artifact[sizeof(st->artifact) - 1] = '\0';
	return 0;
}

int pins_write_meta(struct polrt *rt, const char *dir, const void *blob,
		    size_t len)
{
	uint32_t chunks = (uint32_t)((len + META_CHUNK - 1) / META_CHUNK);
	_cleanup_close_ int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "polc_meta",
						sizeof(uint32_t), META_CHUNK,
						chunks ? chunks : 1, NULL);
	_cleanup_free_ char *chunk = calloc(1, META_CHUNK);

	if (fd < 0)
		return rt_err(rt, errno, "cannot create the metadata map: %s", strerror(errno));
	if (!chunk)
		return -ENOMEM;
	for (uint32_t i = 0; i < chunks; i++) {
		size_t n = len - (size_t)i * META_CHUNK;
		memset(chunk, 0, META_CHUNK);
		memcpy(chunk, (const char *)blob + (size_t)i * META_CHUNK,
		       n > META_CHUNK ? META_CHUNK : n);
		if (bpf_map_update_elem(fd, &i, chunk, 0) < 0)
			return rt_err(rt, errno, "cannot write the metadata map: %s",
				      strerror(errno));
	}
	/* nobody changes the record of what was applied */
	if (bpf_map_freeze(fd) < 0)
		rt_log(rt, POLRT_LOG_DEBUG, "cannot freeze the metadata map: %s",
		       strerror(errno));
	return pin_fd(rt, fd, dir, PIN_META);
}

int pins_read_meta(struct polrt *rt, const char *dir, size_t len, void **blob)
{
	_cleanup_close_ int fd = open_pin(dir, PIN_META);
	struct bpf_map_info info = { 0 };
	uint32_t info_len = sizeof(info);

	if (fd < 0)
		return rt_err(rt, -fd, "cannot open %s/%s: %s", dir, PIN_META, strerror(-fd));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) < 0 ||
	    info.value_size != META_CHUNK ||
	    (uint64_t)info.max_entries * META_CHUNK < len)
		return rt_err(rt, EINVAL, "%s/%s is not a polctl metadata map", dir, PIN_META);

	size_t size = (size_t)info.max_entries * META_CHUNK;
	char *buf = aligned_alloc(8, size);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < info.max_entries; i++) {
		if (bpf_map_lookup_elem(fd, &i, buf + (size_t)i * META_CHUNK) < 0) {
			int err = errno;
			free(buf);
			return rt_err(rt, err, "cannot read %s/%s: %s", dir, PIN_META,
				      strerror(err));
		}
	}
	*blob = buf;
	return 0;
}
