/* SPDX-License-Identifier: BSD-2-Clause */
/* rt.h: what libpolrt's files share and users of polrt.h do not see. */
#ifndef POLRT_INTERNAL_H
#define POLRT_INTERNAL_H

#include <limits.h>

#include "polrt.h"

struct polrt {
	char root[PATH_MAX - 128];
	polrt_log_fn log;
	void *log_ctx;
	bool verbose;
};

void rt_log(struct polrt *rt, enum polrt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Log an error and return -err (err positive). */
int rt_err(struct polrt *rt, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct polrt_artifact {
	char name[128]; /* file name, no directory */
	void *data;     /* the whole ELF file */
	size_t len;
	void *meta_blob; /* a copy of ".polc.meta", aligned */
	size_t meta_len;
	struct polrt_meta meta;
	uint8_t sha256[32]; /* of the whole file */
};

/*
 * Where and how an instance is attached.  Stored in the instance's pinned
 * "state" map (one entry), so detach and status need nothing else.
 */
#define POLRT_STATE_MAGIC 0x54534c50u /* "PLST" */
#define POLRT_STATE_VERSION 1

struct polrt_state {
	uint32_t magic;
	uint32_t version;
	uint32_t ifindex;
	uint32_t hook; /* enum polc_hook */
	uint32_t tc_handle;
	uint32_t tc_priority;
	uint32_t meta_len;
	uint32_t xdp_flags;
	uint64_t netns_dev;
	uint64_t netns_ino;
	uint64_t applied_at;
	char ifname[16];
	char netns[64];
	char policy[64];
	char artifact[128];
	uint8_t artifact_sha256[32];
};

/* Pin file names inside an instance directory. */
#define PIN_PROG "prog"
#define PIN_LINK "link"
#define PIN_RULES "rules"
#define PIN_REASONS "reasons"
#define PIN_META "meta"
#define PIN_STATE "state"

/* The metadata copy is stored in an array map of this value size. */
#define META_CHUNK 4096

/* pins.c: the bpffs layout */
int pins_prepare_root(struct polrt *rt);
int pins_lock(struct polrt *rt); /* returns the lock fd; close to unlock */
int pins_dir(struct polrt *rt, const char *instance, char *buf, size_t len);
int pins_path(const char *dir, const char *name, char *buf, size_t len);
int pins_remove_dir(const char *dir);
bool pins_instance_name_ok(const char *name);
int pins_write_state(struct polrt *rt, const char *dir,
		     const struct polrt_state *st);
int pins_read_state(struct polrt *rt, const char *dir, struct polrt_state *st);
int pins_write_meta(struct polrt *rt, const char *dir, const void *blob,
		    size_t len);
int pins_read_meta(struct polrt *rt, const char *dir, size_t len,
		   void **blob);

/* netns.c: run part of an operation inside a named network namespace */
struct netns_guard {
	int orig_fd;
};
int netns_enter(struct polrt *rt, const char *name, struct netns_guard *g,
		uint64_t *dev, uint64_t *ino);
void netns_leave(struct netns_guard *g);
/* Is the namespace still the one recorded (dev, ino)? */
bool netns_same(const char *name, uint64_t dev, uint64_t ino);

/* attach_*.c: what differs per hook, behind one table */
struct attach_ops {
	enum polc_hook hook;
	/* Attach prog_fd to st->ifindex, replacing atomically what old (may be
	 * NULL) attached; pins what must outlive the process into new_dir. */
	int (*attach)(struct polrt *rt, struct polrt_state *st, int prog_fd,
		      const struct polrt_state *old, const char *old_dir,
		      const char *new_dir);
	/* Remove the attachment recorded in st (pins in dir). */
	int (*detach)(struct polrt *rt, const struct polrt_state *st,
		      const char *dir);
	/* The id of the program the hook runs now (0: none). */
	int (*query)(struct polrt *rt, const struct polrt_state *st,
		     const char *dir, uint32_t *prog_id);
};

extern const struct attach_ops attach_xdp_ops;
extern const struct attach_ops attach_tc_ops;
const struct attach_ops *attach_ops_get(enum polc_hook hook);

/* The tc filter every instance uses: one per (device, direction). */
#define POLRT_TC_HANDLE 0x504f /* "PO" */
#define POLRT_TC_PRIORITY 1

#endif /* POLRT_INTERNAL_H */
