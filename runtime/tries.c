// SPDX-License-Identifier: BSD-2-Clause
/*
 * tries.c: the array maps polctl fills: classifier arrays and tries, and
 * the tries of named sets.  Maps are written through mmap (they are
 * created BPF_F_MMAPABLE), the tries with common/dirtrie.c: a new trie is
 * built in the half programs do not read and switched in with one store.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dirtrie.h"
#include "rt.h"

/* mmap a whole array map; its value size and entries in *vsize, *entries. */
static void *map_mmap(struct polrt *rt, int fd, const char *name, uint32_t vsize, uint32_t *entries,
		      size_t *bytes)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		rt_err(rt, errno, "cannot inspect map %s: %s", name, strerror(errno));
		return NULL;
	}
	if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != vsize ||
	    !(info.map_flags & BPF_F_MMAPABLE)) {
		rt_err(rt, EINVAL, "map %s is not an mmap-able array of %u-byte values", name, vsize);
		return NULL;
	}
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	*bytes = ((size_t)info.max_entries * vsize + page - 1) / page * page;
	void *p = mmap(NULL, *bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rt_err(rt, errno, "cannot map %s: %s", name, strerror(errno));
		return NULL;
	}
	*entries = info.max_entries;
	return p;
}

int rt_trie_open(struct polrt *rt, struct rt_trie *t, const int fds[POLC_TRIE_MAPS],
		 const char *name, unsigned width, bool membership)
{
	uint32_t n_l1, n_nodes, n_bits;

	memset(t, 0, sizeof(*t));
	t->t.width = width;
	t->t.membership = membership;
	t->t.l1 = map_mmap(rt, fds[POLC_TRIE_L1], name, sizeof(struct dirtrie_node), &n_l1,
			   &t->len[0]);
	t->t.nodes = t->t.l1 ? map_mmap(rt, fds[POLC_TRIE_NODES], name,
					sizeof(struct dirtrie_node), &n_nodes, &t->len[1])
			     : NULL;
	t->t.bits = t->t.nodes ? map_mmap(rt, fds[POLC_TRIE_BITS], name,
					  sizeof(struct dirtrie_bits), &n_bits, &t->len[2])
			       : NULL;
	if (!t->t.bits) {
		rt_trie_close(t);
		return -EINVAL;
	}
	if (n_l1 != DIRTRIE_L1_ELEMS) {
		rt_trie_close(t);
		return rt_err(rt, EINVAL, "map %s has %u first-level entries, not %u", name, n_l1,
			      DIRTRIE_L1_ELEMS);
	}
	t->t.n_nodes = n_nodes;
	t->t.n_bits = n_bits;
	return 0;
}

void rt_trie_close(struct rt_trie *t)
{
	if (t->t.l1)
		munmap(t->t.l1, t->len[0]);
	if (t->t.nodes)
		munmap(t->t.nodes, t->len[1]);
	if (t->t.bits)
		munmap(t->t.bits, t->len[2]);
	memset(t, 0, sizeof(*t));
}

/* The smallest list of 16-bit prefixes covering [lo, hi]. */
static size_t range_prefixes(uint32_t lo, uint32_t hi, struct dirtrie_prefix *out)
{
	size_t n = 0;

	while (lo <= hi) {
		unsigned len = 16;
		/* the largest aligned block starting at lo that fits */
		while (len > 0) {
			uint32_t size = 1u << (16 - (len - 1));
			if ((lo & (size - 1)) || lo + size - 1 > hi)
				break;
			len--;
		}
		out[n].k[0] = lo;
		out[n].k[1] = out[n].k[2] = out[n].k[3] = 0;
		out[n].len = len;
		out[n].value = 1;
		n++;
		uint32_t next = lo + (1u << (16 - len));
		if (next <= lo)
			break;
		lo = next;
	}
	return n;
}

/*
 * The prefixes of a set's trie for family index f (0: IPv4 or the port
 * trie, 1: IPv6) from its elements, normalised.  *out is malloc'd.
 */
int rt_set_prefixes(const struct polc_meta_set *s, int f, const struct polc_meta_key *keys,
		    uint32_t n, struct dirtrie_prefix **out, size_t *n_out)
{
	bool port = s->kind == POLC_SET_PORT;
	size_t cap = port ? (size_t)n * 32 + 1 : (size_t)n + 1, m = 0;
	struct dirtrie_prefix *p = calloc(cap, sizeof(*p));
	unsigned width = port ? 16 : f == 0 ? 32 : 128;

	if (!p)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (port) {
			m += range_prefixes(keys[i].w[0], keys[i].hi, p + m);
			continue;
		}
		if (keys[i].family != (f == 0 ? POLC_FAMILY_V4 : POLC_FAMILY_V6))
			continue;
		memcpy(p[m].k, keys[i].w, sizeof(p[m].k));
		p[m].len = keys[i].len;
		p[m].value = 1;
		m++;
	}
	/* a set's store is kept sorted the way the trie wants it: sorting
	 * 100k elements again would cost most of an update */
	int err = dirtrie_is_normalised(p, m, width) ? 0 : dirtrie_normalise(p, &m, width);
	if (err) {
		free(p);
		return err;
	}
	*out = p;
	*n_out = m;
	return 0;
}

static int set_trie_width(const struct polc_meta_set *s, int f)
{
	return s->kind == POLC_SET_PORT ? 16 : f == 0 ? 32 : 128;
}

bool rt_set_has_family(const struct polc_meta_set *s, int f)
{
	return s->kind == POLC_SET_PORT ? f == 0 : (s->families >> f) & 1;
}

int rt_set_build(struct polrt *rt, const char *set, const struct polc_meta_set *s, int f,
		 const int fds[POLC_TRIE_MAPS], const struct polc_meta_key *keys, uint32_t n,
		 const struct polc_meta_key *chg, uint32_t n_chg)
{
	struct rt_trie t;
	struct dirtrie_prefix *p = NULL, *c = NULL;
	size_t np = 0, nc = 0;
	int err = rt_trie_open(rt, &t, fds, set, (unsigned)set_trie_width(s, f), true);

	if (err)
		return err;
	err = rt_set_prefixes(s, f, keys, n, &p, &np);
	if (!err && chg)
		err = rt_set_prefixes(s, f, chg, n_chg, &c, &nc);
	if (!err) {
		if (chg)
			err = dirtrie_update(&t.t, p, np, c, nc, 0);
		if (!chg || err == -ESTALE)
			err = dirtrie_build(&t.t, p, np, 0);
		if (err == -ENOSPC)
			rt_err(rt, ENOSPC,
			       "set %s is full: its trie needs more nodes than its maps hold "
			       "(%u nodes, %u bitmaps); compile it with a larger 'size'",
			       set, t.t.n_nodes, t.t.n_bits);
		else if (err)
			rt_err(rt, -err, "cannot build the trie of set %s: %s", set, strerror(-err));
	}
	if (!err)
		err = dirtrie_flip(&t.t);
	free(p);
	free(c);
	rt_trie_close(&t);
	return err;
}

int rt_fill_array(struct polrt *rt, int fd, const char *name, const uint32_t *v, uint32_t n)
{
	uint32_t entries;
	size_t bytes;
	struct dirtrie_node *nodes = map_mmap(rt, fd, name, sizeof(*nodes), &entries, &bytes);

	if (!nodes)
		return -EINVAL;
	if ((uint64_t)entries * DIRTRIE_FANOUT < n) {
		munmap(nodes, bytes);
		return rt_err(rt, EINVAL, "map %s holds %u entries, the artifact has %u", name,
			      entries * DIRTRIE_FANOUT, n);
	}
	memcpy(nodes, v, (size_t)n * sizeof(uint32_t));
	munmap(nodes, bytes);
	return 0;
}

int rt_fill_trie(struct polrt *rt, const int fds[POLC_TRIE_MAPS], const char *name,
		 unsigned width, uint32_t dflt, const struct polc_meta_key *keys, uint32_t n)
{
	struct rt_trie t;
	struct dirtrie_prefix *p = calloc(n ? n : 1, sizeof(*p));
	size_t m = n;
	int err;

	if (!p)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(p[i].k, keys[i].w, sizeof(p[i].k));
		p[i].len = keys[i].len;
		p[i].value = keys[i].value;
	}
	err = dirtrie_normalise(p, &m, width);
	if (err) {
		free(p);
		return rt_err(rt, -err, "the artifact's trie %s is invalid", name);
	}
	err = rt_trie_open(rt, &t, fds, name, width, false);
	if (!err) {
		err = dirtrie_build(&t.t, p, m, dflt);
		if (err)
			rt_err(rt, -err, "cannot build trie %s: %s", name, strerror(-err));
		else
			err = dirtrie_flip(&t.t);
		/* the program reads this static trie's half 1 directly
		 * (POLC_CTRIE_HALF in polc_classifier.h) */
		if (!err && dirtrie_active(&t.t) != 1)
			err = rt_err(rt, EINVAL, "trie %s was not fresh: built into half %u", name,
				     dirtrie_active(&t.t));
		rt_trie_close(&t);
	}
	free(p);
	return err;
}
