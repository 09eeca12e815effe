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
	void *data_blob; /* a copy of ".polc.data", aligned (may be empty) */
	size_t data_len;
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
/* a tracked policy: its companion program's directory (prog, state), and
 * the conntrack table */
#define PIN_TRACK "track"
#define PIN_CT "ct"
#define PIN_CT_CFG "ct_cfg"
#define PIN_CT_STATS "ct_stats"
/* a policy with dnat or snat rules: its NAT maps (nat.c) */
#define PIN_NAT_SVC "nat_svc"
#define PIN_NAT_BE "nat_be"
#define PIN_NAT_MAGLEV "nat_maglev"
#define PIN_NAT_RR "nat_rr"
#define PIN_NAT_SNAT "nat_snat"

/* apply.c: a tracked instance's companion state (dir/track/state), or -ENOENT */
int rt_companion_state(struct polrt *rt, const char *dir, struct polrt_state *st);

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

/* tries.c: array maps and tries filled through mmap */
#include "dirtrie.h"

struct rt_trie {
	struct dirtrie t; /* pointing at the mmap'd maps */
	size_t len[POLC_TRIE_MAPS];
};

int rt_trie_open(struct polrt *rt, struct rt_trie *t, const int fds[POLC_TRIE_MAPS],
		 const char *name, unsigned width, bool membership);
void rt_trie_close(struct rt_trie *t);
int rt_fill_array(struct polrt *rt, int fd, const char *name, const uint32_t *v, uint32_t n);
int rt_fill_trie(struct polrt *rt, const int fds[POLC_TRIE_MAPS], const char *name,
		 unsigned width, uint32_t dflt, const struct polc_meta_key *keys, uint32_t n);
/* Does set s have a trie for family index f (0: IPv4 / ports, 1: IPv6)? */
bool rt_set_has_family(const struct polc_meta_set *s, int f);
int rt_set_prefixes(const struct polc_meta_set *s, int f, const struct polc_meta_key *keys,
		    uint32_t n, struct dirtrie_prefix **out, size_t *n_out);
/* Build family f's trie of set s from its elements and switch to it; with a
 * change list, incrementally. */
int rt_set_build(struct polrt *rt, const char *set, const struct polc_meta_set *s, int f,
		 const int fds[POLC_TRIE_MAPS], const struct polc_meta_key *keys, uint32_t n,
		 const struct polc_meta_key *chg, uint32_t n_chg);

/* sets.c: the element store of a set, pinned beside its tries */
#define SET_ELEMS_MAGIC 0x534c4d45u /* "ELMS" */
int rt_set_pin_name(const char *set, int f, int map, char *buf, size_t len);
int rt_set_create_elems(struct polrt *rt, const struct polc_meta_set *s,
			const struct polc_meta_key *keys, uint32_t n, const char *dir,
			const char *set);

/* nat.c: the NAT maps of a policy, by the fds of the object or the pins */
enum { RT_NAT_SVC, RT_NAT_BE, RT_NAT_MAGLEV, RT_NAT_RR, RT_NAT_SNAT, RT_NAT_MAPS };
struct rt_nat_maps {
	int fd[RT_NAT_MAPS];
	const char *where;  /* for errors: the artifact or instance */
	const char *prefix; /* the program's name: maps are prefix + suffix */
};
struct rt_nat_sizes {
	uint32_t services, maglev, snats;
};
const char *rt_nat_suffix(int map); /* POLC_MAP_SUFFIX_NAT_* */
const char *rt_nat_pin(int map);    /* PIN_NAT_* */
void rt_nat_count(const struct polc_meta_nat *nats, uint32_t n, struct rt_nat_sizes *sz);
int rt_nat_check_maps(struct polrt *rt, const struct rt_nat_maps *maps,
		      const struct rt_nat_sizes *sz);
/* At load: compiled pools in half 0, round-robin counters 0, SNAT elements
 * (to the interface: without address). */
int rt_nat_fill(struct polrt *rt, const struct rt_nat_maps *maps, const struct polrt_meta *m,
		const struct polc_meta_policy *p, const void *data);
/* The elements of the snat-to-interface rules from ifindex's addresses. */
int rt_nat_ifaddr(struct polrt *rt, const struct rt_nat_maps *maps,
		  const struct polc_meta_nat *nats, uint32_t n_nats, uint32_t ifindex);
/* Check a new pool for service n: size, one family (the service's), no
 * duplicates. */
int rt_nat_check_pool(struct polrt *rt, const char *where, const struct rt_nat_maps *maps,
		      const struct polc_meta_nat *n, const struct polc_nat_backend *be,
		      uint32_t count);
/* Write be into the half service n does not use, then switch to it. */
int rt_nat_switch(struct polrt *rt, const struct rt_nat_maps *maps,
		  const struct polc_meta_nat *n, const struct polc_nat_backend *be, uint32_t count,
		  uint32_t *before, uint32_t *half);
/* Service n's value and active backends (be: POLC_NAT_POOL_MAX of room). */
int rt_nat_read_pool(struct polrt *rt, const struct rt_nat_maps *maps,
		     const struct polc_meta_nat *n, struct polc_nat_svc *svc,
		     struct polc_nat_backend *be, uint32_t *count);

/* ifaddr.c: a device's addresses for "snat -> interface", host order */
struct rt_ifaddr {
	bool has[2];          /* [0] IPv4, [1] IPv6 */
	uint32_t addr[2][4];
};
int rt_ifaddr_get(struct polrt *rt, uint32_t ifindex, struct rt_ifaddr *out);

/* query.c: an instance's state and metadata copy (*blob: free it) */
int rt_load_instance(struct polrt *rt, const char *instance, char *dir, size_t dir_len,
		     struct polrt_state *st, void **blob, struct polrt_meta *m);
void rt_fill_status(struct polrt *rt, const char *instance, const char *dir,
		    const struct polrt_state *st, const struct polrt_meta *m,
		    struct polrt_status *out);
/* Sum a per-CPU counter map's entries [0, n) (pinned as dir/pin) into out[]. */
int rt_read_counters(struct polrt *rt, const char *dir, const char *pin, uint32_t n,
		     struct polc_counter *out);

/* The tc filter every instance uses: one per (device, direction). */
#define POLRT_TC_HANDLE 0x504f /* "PO" */
#define POLRT_TC_PRIORITY 1

#endif /* POLRT_INTERNAL_H */
