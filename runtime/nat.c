// SPDX-License-Identifier: BSD-2-Clause
/*
 * nat.c: the NAT maps of a policy with dnat or snat rules (polc_contract.h),
 * as polctl fills them at load and changes them later.
 *
 *  <prog>_nat_svc     service i: where its pool is (half 0 or 1), its size,
 *                     its Maglev table, its balance
 *  <prog>_nat_be      service i's two halves: slots [2i*P, 2i*P + P) and
 *                     [2i*P + P, 2i*P + 2P), P = POLC_NAT_POOL_MAX
 *  <prog>_nat_maglev  maglev slot s's two tables: [(2s + h) * M, + M), each
 *                     element an ABSOLUTE backend slot
 *  <prog>_nat_rr      service i's round-robin counter
 *  <prog>_nat_snat    snat rule j: [2j] its IPv4 translation, [2j + 1] IPv6
 *
 * A pool change writes the half the service does not use (all P slots: the
 * ones past the new count become empty, so that a reader that meets a
 * half-updated service value finds no stale backend there), its Maglev
 * table, and then the service value in one update.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "rt.h"
#include "util.h"

static const char *const suffix[RT_NAT_MAPS] = {
	[RT_NAT_SVC] = POLC_MAP_SUFFIX_NAT_SVC,	      [RT_NAT_BE] = POLC_MAP_SUFFIX_NAT_BACKENDS,
	[RT_NAT_MAGLEV] = POLC_MAP_SUFFIX_NAT_MAGLEV, [RT_NAT_RR] = POLC_MAP_SUFFIX_NAT_RR,
	[RT_NAT_SNAT] = POLC_MAP_SUFFIX_NAT_SNAT,
};
static const char *const pin_name[RT_NAT_MAPS] = {
	[RT_NAT_SVC] = PIN_NAT_SVC,	  [RT_NAT_BE] = PIN_NAT_BE, [RT_NAT_MAGLEV] = PIN_NAT_MAGLEV,
	[RT_NAT_RR] = PIN_NAT_RR,	  [RT_NAT_SNAT] = PIN_NAT_SNAT,
};

const char *rt_nat_suffix(int map)
{
	return suffix[map];
}

const char *rt_nat_pin(int map)
{
	return pin_name[map];
}

void rt_nat_count(const struct polc_meta_nat *nats, uint32_t n, struct rt_nat_sizes *sz)
{
	memset(sz, 0, sizeof(*sz));
	for (uint32_t i = 0; i < n; i++) {
		if (nats[i].kind == POLC_NAT_SNAT) {
			sz->snats++;
		} else {
			sz->services++;
			sz->maglev += nats[i].balance == POLC_NAT_BALANCE_MAGLEV;
		}
	}
}

int rt_nat_check_maps(struct polrt *rt, const struct rt_nat_maps *maps,
		      const struct rt_nat_sizes *sz)
{
	static const uint32_t vsize[RT_NAT_MAPS] = {
		[RT_NAT_SVC] = sizeof(struct polc_nat_svc),
		[RT_NAT_BE] = sizeof(struct polc_nat_backend),
		[RT_NAT_MAGLEV] = sizeof(uint32_t),
		[RT_NAT_RR] = sizeof(uint32_t),
		[RT_NAT_SNAT] = sizeof(struct polc_nat_snat),
	};
	uint64_t need[RT_NAT_MAPS] = {
		[RT_NAT_SVC] = sz->services,
		[RT_NAT_BE] = (uint64_t)sz->services * 2 * POLC_NAT_POOL_MAX,
		[RT_NAT_MAGLEV] = (uint64_t)sz->maglev * 2 * POLC_NAT_MAGLEV_M,
		[RT_NAT_RR] = sz->services,
		[RT_NAT_SNAT] = (uint64_t)sz->snats * 2,
	};

	for (int i = 0; i < RT_NAT_MAPS; i++) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		if (bpf_obj_get_info_by_fd(maps->fd[i], &info, &len) < 0)
			return rt_err(rt, errno, "%s: cannot inspect map %s%s: %s", maps->where,
				      maps->prefix, suffix[i], strerror(errno));
		if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(uint32_t) ||
		    info.value_size != vsize[i] || info.max_entries < need[i])
			return rt_err(rt, EPROTO,
				      "%s: map %s%s is not an array of %llu %u-byte values as "
				      "its policy's NAT rules need (an artifact of another polc?)",
				      maps->where, maps->prefix, suffix[i],
				      (unsigned long long)need[i], vsize[i]);
	}
	return 0;
}

/* Write values[0..n) into elements first.. of an array map. */
static int write_array(struct polrt *rt, const struct rt_nat_maps *maps, int map, uint32_t first,
		       const void *values, uint32_t vsize, uint32_t n)
{
	int fd = maps->fd[map];
	_cleanup_free_ uint32_t *keys = malloc((size_t)n * sizeof(*keys));

	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		keys[i] = first + i;
	uint32_t count = n;
	if (bpf_map_update_batch(fd, keys, values, &count, NULL) == 0 && count == n)
		return 0;
	/* kernels without batch updates on arrays: one at a time */
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], (const char *)values + (size_t)i * vsize, 0) < 0)
			return rt_err(rt, errno, "%s: cannot write map %s%s: %s", maps->where,
				      maps->prefix, suffix[map], strerror(errno));
	return 0;
}

static bool is_maglev(const struct polc_meta_nat *n)
{
	return n->balance == POLC_NAT_BALANCE_MAGLEV;
}

/* Half h of service n: backends, Maglev table; then its service value. */
static int write_pool(struct polrt *rt, const struct rt_nat_maps *maps,
		      const struct polc_meta_nat *n, uint32_t h, const struct polc_nat_backend *be,
		      uint32_t count)
{
	uint32_t first = (2 * n->index + h) * POLC_NAT_POOL_MAX;
	uint32_t mbase = is_maglev(n) ? (2 * n->maglev_slot + h) * POLC_NAT_MAGLEV_M : 0;
	struct polc_nat_backend pool[POLC_NAT_POOL_MAX];
	int err;

	if (count > POLC_NAT_POOL_MAX)
		return rt_err(rt, E2BIG, "%s: %u backends, at most %u", maps->where, count,
			      POLC_NAT_POOL_MAX);
	memset(pool, 0, sizeof(pool));
	if (count)
		memcpy(pool, be, (size_t)count * sizeof(*be));
	err = write_array(rt, maps, RT_NAT_BE, first, pool, sizeof(pool[0]), POLC_NAT_POOL_MAX);
	if (err)
		return err;
	if (is_maglev(n) && count) {
		struct maglev_id ids[POLC_NAT_POOL_MAX];
		_cleanup_free_ uint32_t *table = malloc(POLC_NAT_MAGLEV_M * sizeof(*table));
		if (!table)
			return -ENOMEM;
		/* a backend's identity: its bytes as the datapath reads them */
		for (uint32_t i = 0; i < count; i++)
			ids[i] = (struct maglev_id){ .data = &pool[i], .len = sizeof(pool[i]) };
		err = maglev_build(table, POLC_NAT_MAGLEV_M, ids, count);
		if (err)
			return rt_err(rt, -err, "%s: cannot build the Maglev table: %s", maps->where,
				      strerror(-err));
		for (uint32_t i = 0; i < POLC_NAT_MAGLEV_M; i++)
			table[i] += first;
		err = write_array(rt, maps, RT_NAT_MAGLEV, mbase, table, sizeof(*table),
				  POLC_NAT_MAGLEV_M);
		if (err)
			return err;
	}
	struct polc_nat_svc svc = {
		.id = n->index,
		.first = first,
		.count = count,
		.maglev_base = mbase,
		.maglev_size = is_maglev(n) ? POLC_NAT_MAGLEV_M : 0,
		.balance = (uint8_t)n->balance,
	};
	uint32_t key = n->index;
	if (bpf_map_update_elem(maps->fd[RT_NAT_SVC], &key, &svc, 0) < 0)
		return rt_err(rt, errno, "%s: cannot write map %s%s: %s", maps->where, maps->prefix,
			      suffix[RT_NAT_SVC], strerror(errno));
	return 0;
}

static void snat_ports(const struct polc_meta_nat *n, struct polc_nat_snat *e)
{
	bool dflt = n->port_min == 0 && n->port_max == 0;

	e->port_min = (uint16_t)(dflt ? POLC_NAT_SNAT_PORT_MIN_DEFAULT : n->port_min);
	e->port_max = (uint16_t)(dflt ? POLC_NAT_SNAT_PORT_MAX_DEFAULT : n->port_max);
}

static int write_snat(struct polrt *rt, const struct rt_nat_maps *maps,
		      const struct polc_meta_nat *n, const struct polc_nat_snat e[2])
{
	return write_array(rt, maps, RT_NAT_SNAT, 2 * n->index, e, sizeof(e[0]), 2);
}

int rt_nat_fill(struct polrt *rt, const struct rt_nat_maps *maps, const struct polrt_meta *m,
		const struct polc_meta_policy *p, const void *data)
{
	for (uint32_t i = 0; i < p->n_nats; i++) {
		const struct polc_meta_nat *n = &m->nats[p->first_nat + i];
		int err;
		if (n->kind == POLC_NAT_DNAT) {
			uint32_t zero = 0, key = n->index;
			err = write_pool(rt, maps, n, 0, polrt_meta_nat_backends(m, n, data),
					 n->n_backends);
			if (!err && bpf_map_update_elem(maps->fd[RT_NAT_RR], &key, &zero, 0) < 0)
				err = rt_err(rt, errno, "%s: cannot write map %s%s: %s", maps->where,
					     maps->prefix, suffix[RT_NAT_RR], strerror(errno));
		} else {
			/* to the interface: no address until apply knows the device */
			struct polc_nat_snat e[2] = { 0 };
			snat_ports(n, &e[0]);
			snat_ports(n, &e[1]);
			if (!(n->flags & POLC_NAT_F_IFADDR)) {
				struct polc_nat_snat *x = &e[n->family == 6];
				memcpy(x->addr, n->addr, sizeof(x->addr));
				x->family = (uint8_t)n->family;
			}
			err = write_snat(rt, maps, n, e);
		}
		if (err)
			return err;
	}
	return 0;
}

int rt_nat_ifaddr(struct polrt *rt, const struct rt_nat_maps *maps,
		  const struct polc_meta_nat *nats, uint32_t n_nats, uint32_t ifindex)
{
	struct rt_ifaddr ifa;
	bool any = false;
	int err;

	for (uint32_t i = 0; i < n_nats; i++)
		any |= nats[i].kind == POLC_NAT_SNAT && (nats[i].flags & POLC_NAT_F_IFADDR);
	if (!any)
		return 0;
	err = rt_ifaddr_get(rt, ifindex, &ifa);
	if (err)
		return err;
	for (uint32_t i = 0; i < n_nats && !err; i++) {
		const struct polc_meta_nat *n = &nats[i];
		struct polc_nat_snat e[2] = { 0 };
		if (n->kind != POLC_NAT_SNAT || !(n->flags & POLC_NAT_F_IFADDR))
			continue;
		for (int f = 0; f < 2; f++) {
			snat_ports(n, &e[f]);
			if (ifa.has[f]) {
				memcpy(e[f].addr, ifa.addr[f], sizeof(e[f].addr));
				e[f].family = f ? 6 : 4;
			}
		}
		err = write_snat(rt, maps, n, e);
	}
	if (err)
		return err;
	char a4[64] = "none", a6[64] = "none";
	struct polc_nat_backend b = { .family = 4 };
	if (ifa.has[0]) {
		memcpy(b.addr, ifa.addr[0], sizeof(b.addr));
		polrt_nat_backend_format(&b, a4, sizeof(a4));
	}
	if (ifa.has[1]) {
		b.family = 6;
		memcpy(b.addr, ifa.addr[1], sizeof(b.addr));
		polrt_nat_backend_format(&b, a6, sizeof(a6));
	}
	rt_log(rt, ifa.has[0] || ifa.has[1] ? POLRT_LOG_INFO : POLRT_LOG_WARN,
	       "%s: snat to the interface (ifindex %u): IPv4 %s, IPv6 %s%s", maps->where, ifindex, a4,
	       a6, ifa.has[0] || ifa.has[1] ? "" : " (its packets are dropped: no address)");
	return 0;
}

/* Which half service n's value points at; -EUCLEAN if neither. */
static int current_half(const struct polc_meta_nat *n, const struct polc_nat_svc *svc)
{
	uint32_t base = 2 * n->index * POLC_NAT_POOL_MAX;

	if (svc->first == base)
		return 0;
	if (svc->first == base + POLC_NAT_POOL_MAX)
		return 1;
	return -EUCLEAN;
}

int rt_nat_read_pool(struct polrt *rt, const struct rt_nat_maps *maps,
		     const struct polc_meta_nat *n, struct polc_nat_svc *svc,
		     struct polc_nat_backend *be, uint32_t *count)
{
	uint32_t key = n->index;

	if (bpf_map_lookup_elem(maps->fd[RT_NAT_SVC], &key, svc) < 0)
		return rt_err(rt, errno, "%s: cannot read map %s%s: %s", maps->where, maps->prefix,
			      suffix[RT_NAT_SVC], strerror(errno));
	if (current_half(n, svc) < 0 || svc->count > POLC_NAT_POOL_MAX)
		return rt_err(rt, EUCLEAN, "%s: service %u's entry is damaged (first %u, count %u)",
			      maps->where, n->index, svc->first, svc->count);
	*count = svc->count;
	for (uint32_t i = 0; i < svc->count; i++) {
		key = svc->first + i;
		if (bpf_map_lookup_elem(maps->fd[RT_NAT_BE], &key, &be[i]) < 0)
			return rt_err(rt, errno, "%s: cannot read map %s%s: %s", maps->where,
				      maps->prefix, suffix[RT_NAT_BE], strerror(errno));
	}
	return 0;
}

int rt_nat_switch(struct polrt *rt, const struct rt_nat_maps *maps,
		  const struct polc_meta_nat *n, const struct polc_nat_backend *be, uint32_t count,
		  uint32_t *before, uint32_t *half)
{
	struct polc_nat_svc svc;
	uint32_t key = n->index;

	if (bpf_map_lookup_elem(maps->fd[RT_NAT_SVC], &key, &svc) < 0)
		return rt_err(rt, errno, "%s: cannot read map %s%s: %s", maps->where, maps->prefix,
			      suffix[RT_NAT_SVC], strerror(errno));
	int cur = current_half(n, &svc);
	if (cur < 0)
		return rt_err(rt, EUCLEAN, "%s: service %u's entry is damaged (first %u)",
			      maps->where, n->index, svc.first);
	*before = svc.count;
	*half = (uint32_t)!cur;
	return write_pool(rt, maps, n, *half, be, count);
}

/* The family of service n's pool: the metadata's, else the one of the
 * backends in use; 0 if neither tells. */
static uint32_t pool_family(const struct rt_nat_maps *maps, const struct polc_meta_nat *n)
{
	struct polc_nat_svc svc;
	struct polc_nat_backend b;
	uint32_t key = n->index;

	if (n->family)
		return n->family;
	if (bpf_map_lookup_elem(maps->fd[RT_NAT_SVC], &key, &svc) < 0 || !svc.count)
		return 0;
	key = svc.first;
	return bpf_map_lookup_elem(maps->fd[RT_NAT_BE], &key, &b) == 0 ? b.family : 0;
}

int rt_nat_check_pool(struct polrt *rt, const char *where, const struct rt_nat_maps *maps,
		      const struct polc_meta_nat *n, const struct polc_nat_backend *be,
		      uint32_t count)
{
	uint32_t family = pool_family(maps, n);
	char text[64];

	if (count > POLC_NAT_POOL_MAX)
		return rt_err(rt, E2BIG, "%s: %u backends, a service holds at most %u", where, count,
			      POLC_NAT_POOL_MAX);
	for (uint32_t i = 0; i < count; i++) {
		polrt_nat_backend_format(&be[i], text, sizeof(text));
		if (be[i].family != 4 && be[i].family != 6)
			return rt_err(rt, EINVAL, "%s: backend %u has no address family", where, i + 1);
		/* no NAT between families: a pool is of one */
		if (family && be[i].family != family)
			return rt_err(rt, EINVAL, "%s: backend %s is IPv%u, the service's pool is IPv%u",
				      where, text, be[i].family, family);
		family = be[i].family;
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(&be[i], &be[j], sizeof(be[i])) == 0)
				return rt_err(rt, EINVAL, "%s: backend %s is given twice", where, text);
	}
	return 0;
}
