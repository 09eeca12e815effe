// SPDX-License-Identifier: BSD-2-Clause
/*
 * ct.c: a tracked instance's conntrack table, read from its pin
 * (<root>/<instance>/ct): the flows, their state and age, and the removal
 * of expired entries.
 *
 * Each flow is two entries (polc_ct.h): the forward one, keyed by the tuple
 * that opened it, and the reply one.  A flow is listed once, from its
 * forward entry, with the reply entry's counters.  Ages are against the
 * datapath's clock: jiffies times the tick (polrt_load() configures it;
 * the kernel's jiffies read from /proc/timer_list), else the coarse
 * monotonic clock.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

/* The kernel's jiffies, from /proc/timer_list; 0 when it cannot be read. */
static uint64_t jiffies_now(void)
{
	FILE *f = fopen("/proc/timer_list", "r");
	char line[256];
	unsigned long long j = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "jiffies: %llu", &j) == 1)
			break;
	fclose(f);
	return j;
}

/*
 * The datapath's conntrack clock now (polc_ct.h, polc_ct_clock()): jiffies
 * times the tick when the instance's config says so, else the coarse
 * monotonic clock; plus the configured offset.
 */
static uint64_t ct_now(const char *dir)
{
	char path[PATH_MAX];
	struct polc_ct_config cfg = { 0 };
	uint32_t zero = 0;
	struct timespec ts;

	if (pins_path(dir, PIN_CT_CFG, path, sizeof(path)) == 0) {
		int fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_map_lookup_elem(fd, &zero, &cfg) < 0)
				memset(&cfg, 0, sizeof(cfg));
			close(fd);
		}
	}
	uint64_t j = cfg.jiffy_ns ? jiffies_now() : 0;
	if (j)
		return j * cfg.jiffy_ns + cfg.clock_offset_ns;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + cfg.clock_offset_ns;
}

static int open_table(struct polrt *rt, const char *instance, uint32_t *size, uint64_t *now)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (!pins_instance_name_ok(instance))
		return rt_err(rt, EINVAL, "'%s' is not an instance name", instance);
	if (pins_dir(rt, instance, dir, sizeof(dir)) || pins_path(dir, PIN_CT, path, sizeof(path)))
		return -ENAMETOOLONG;
	if (access(dir, F_OK) != 0)
		return rt_err(rt, ENOENT, "no instance %s is applied (see polctl status)", instance);
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? rt_err(rt, ENOENT, "instance %s does not track connections "
							   "(its policy has no 'track')",
						instance)
				       : rt_err(rt, errno, "cannot open %s: %s", path, strerror(errno));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
	    info.key_size != sizeof(struct polc_ct_key) ||
	    info.value_size != sizeof(struct polc_ct_entry)) {
		close(fd);
		return rt_err(rt, EPROTO, "%s is not a conntrack table of this polctl's layout", path);
	}
	*size = info.max_entries;
	*now = ct_now(dir);
	return fd;
}

/* The key of an entry's twin: its translated tuple (the key itself without
 * NAT) reversed; an echo keeps its identifier and swaps request and reply. */
static void reverse_of(const struct polc_ct_entry *e, const struct polc_ct_key *k,
		       struct polc_ct_key *r)
{
	const uint32_t *src = e->nat ? e->xsrc : k->src, *dst = e->nat ? e->xdst : k->dst;
	uint16_t sport = e->nat ? e->xsport : k->sport, dport = e->nat ? e->xdport : k->dport;

	memset(r, 0, sizeof(*r));
	r->family = k->family;
	r->proto = k->proto;
	memcpy(r->src, dst, sizeof(r->src));
	memcpy(r->dst, src, sizeof(r->dst));
	r->sport = dport;
	r->dport = sport;
	if ((k->proto == 1 && (dport == 8 || dport == 0)) ||
	    (k->proto == 58 && (dport == 128 || dport == 129))) {
		r->sport = sport;
		r->dport = k->proto == 1 ? (dport == 8 ? 0 : 8) : (dport == 128 ? 129 : 128);
	}
}

static const char *const state_names[POLC_CT_STATE_COUNT_] = {
	[POLC_CT_NONE] = "none",
	[POLC_CT_TCP_SYN_SENT] = "syn-sent",
	[POLC_CT_TCP_SYN_RECV] = "syn-recv",
	[POLC_CT_TCP_ESTABLISHED] = "established",
	[POLC_CT_TCP_FIN_WAIT] = "fin-wait",
	[POLC_CT_TCP_CLOSE] = "close",
	[POLC_CT_UDP_ONEWAY] = "udp-oneway",
	[POLC_CT_UDP_REPLIED] = "udp-replied",
	[POLC_CT_ICMP_ECHO] = "icmp-echo",
};

const char *polrt_ct_state_name(unsigned state)
{
	return state < POLC_CT_STATE_COUNT_ ? state_names[state] : "?";
}

int polrt_ct_list(struct polrt *rt, const char *instance, struct polrt_ct_table *t)
{
	struct polc_ct_key key, next;
	struct polc_ct_entry e;
	uint64_t now;
	size_t cap = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	int fd = open_table(rt, instance, &t->size, &now);
	if (fd < 0)
		return fd;
	void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &e) < 0)
			continue; /* deleted meanwhile */
		t->entries++;
		bool expired = now > e.last_seen && now - e.last_seen > e.timeout_ns;
		t->expired += expired;
		if (e.dir != POLC_CT_DIR_FORWARD)
			continue;
		if (t->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct polrt_ct_flow *nf = realloc(t->flows, ncap * sizeof(*nf));
			if (!nf) {
				err = -ENOMEM;
				break;
			}
			t->flows = nf;
			cap = ncap;
		}
		struct polrt_ct_flow *f = &t->flows[t->n++];
		memset(f, 0, sizeof(*f));
		f->key = key;
		f->fwd = e;
		f->age_ns = now > e.created ? now - e.created : 0;
		f->idle_ns = now > e.last_seen ? now - e.last_seen : 0;
		f->expired = expired;
		struct polc_ct_key rk;
		reverse_of(&e, &key, &rk);
		if (bpf_map_lookup_elem(fd, &rk, &f->rev) == 0) {
			f->has_rev = true;
			uint64_t idle = now > f->rev.last_seen ? now - f->rev.last_seen : 0;
			if (idle < f->idle_ns)
				f->idle_ns = idle; /* the flow lives while either side does */
		}
	}
	close(fd);
	if (err) {
		polrt_ct_table_release(t);
		return err;
	}
	return 0;
}

void polrt_ct_table_release(struct polrt_ct_table *t)
{
	free(t->flows);
	t->flows = NULL;
	t->n = 0;
}

int polrt_ct_gc(struct polrt *rt, const char *instance, uint32_t *removed)
{
	struct polc_ct_key key, next, *prev = NULL;
	struct polc_ct_entry e;
	uint32_t size;
	uint64_t now;
	int fd = open_table(rt, instance, &size, &now);

	*removed = 0;
	if (fd < 0)
		return fd;
	/* collect first: deleting while walking restarts the walk */
	size_t n = 0, cap = 0;
	struct polc_ct_key *dead = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &e) < 0)
			continue;
		if (!(now > e.last_seen && now - e.last_seen > e.timeout_ns))
			continue;
		/* the flow lives while its twin is fresh */
		struct polc_ct_key rk;
		struct polc_ct_entry te;
		reverse_of(&e, &key, &rk);
		if (bpf_map_lookup_elem(fd, &rk, &te) == 0 && now > te.last_seen &&
		    now - te.last_seen <= te.timeout_ns)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct polc_ct_key *nd = realloc(dead, cap * sizeof(*nd));
			if (!nd) {
				free(dead);
				close(fd);
				return -ENOMEM;
			}
			dead = nd;
		}
		dead[n++] = key;
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &dead[i]) == 0)
			(*removed)++;
	free(dead);
	close(fd);
	return 0;
}
