// SPDX-License-Identifier: BSD-2-Clause
/*
 * sets.c: named sets of an applied instance, changed while it runs.
 *
 * A set's tries are pinned in the instance directory (set-NAME-v4-l1, ...)
 * beside its element store (set-NAME-elems: an mmap-able array whose entry
 * 0 holds the count, then the elements sorted).  An update computes the new
 * element list, builds each family's trie beside the one in use (only the
 * parts the change touches), switches to it with one store, and then
 * records the new list: programs see the old set or the new one, never a
 * mixture, and counters are untouched.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "element.h"
#include "rt.h"
#include "util.h"

/*
 * Programs that read a trie's old half while it is switched away finish
 * within microseconds (they run under RCU, in one softirq); the next update
 * reuses that half's free slots, so it waits until this long after the last
 * switch.  The header of the element store records when that was.
 */
#define SET_GRACE_NS (20 * 1000 * 1000ull)

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void wait_grace(const struct polc_meta_key *hdr)
{
	uint64_t last = (uint64_t)hdr->w[3] << 32 | hdr->w[2];
	uint64_t now = boot_ns();

	if (last && now < last + SET_GRACE_NS) {
		uint64_t left = last + SET_GRACE_NS - now;
		struct timespec ts = { (time_t)(left / 1000000000ull), (long)(left % 1000000000ull) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void note_switch(struct polc_meta_key *hdr)
{
	uint64_t now = boot_ns();

	hdr->w[2] = (uint32_t)now;
	hdr->w[3] = (uint32_t)(now >> 32);
}

static const char *const family_tag[] = { "v4", "v6" };
static const char *const map_tag[] = { "l1", "nodes", "bits" };

int rt_set_pin_name(const char *set, int f, int map, char *buf, size_t len)
{
	const char *fam = f < 0 ? "port" : family_tag[f];

	if (map < 0)
		return (size_t)snprintf(buf, len, "set-%s-elems", set) >= len ? -ENAMETOOLONG : 0;
	return (size_t)snprintf(buf, len, "set-%s-%s-%s", set, fam, map_tag[map]) >= len
		       ? -ENAMETOOLONG
		       : 0;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct polc_meta_key *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	for (int i = 0; i < 4; i++)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

/* Sort and drop exact duplicates; the new count. */
static uint32_t keys_unique(struct polc_meta_key *k, uint32_t n)
{
	uint32_t m = 0;

	if (n == 0)
		return 0;
	qsort(k, n, sizeof(*k), key_cmp);
	for (uint32_t i = 0; i < n; i++)
		if (m == 0 || key_cmp(&k[m - 1], &k[i]) != 0)
			k[m++] = k[i];
	return m;
}

/* The element store, mapped: entry 0 is the header. */
struct elems {
	struct polc_meta_key *v;
	size_t bytes;
	uint32_t cap; /* elements, header excluded */
};

static int elems_map(struct polrt *rt, int fd, struct elems *e)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.value_size != sizeof(*e->v) ||
	    info.max_entries < 1)
		return rt_err(rt, EINVAL, "not a set element store");
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	e->bytes = ((size_t)info.max_entries * sizeof(*e->v) + page - 1) / page * page;
	e->v = mmap(NULL, e->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (e->v == MAP_FAILED)
		return rt_err(rt, errno, "cannot map a set element store: %s", strerror(errno));
	e->cap = info.max_entries - 1;
	return 0;
}

static void elems_unmap(struct elems *e)
{
	if (e->v && e->v != MAP_FAILED)
		munmap(e->v, e->bytes);
	e->v = NULL;
}

int rt_set_create_elems(struct polrt *rt, const struct polc_meta_set *s,
			const struct polc_meta_key *keys, uint32_t n, const char *dir,
			const char *set)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE);
	char pin[PATH_MAX], path[PATH_MAX];
	struct elems e = { 0 };
	_cleanup_close_ int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "polc_elems", sizeof(uint32_t),
						sizeof(struct polc_meta_key), s->size + 1, &o);
	int err;

	if (fd < 0)
		return rt_err(rt, errno, "cannot create the element store of set %s: %s", set,
			      strerror(errno));
	err = elems_map(rt, fd, &e);
	if (err)
		return err;
	if (n)
		memcpy(e.v + 1, keys, (size_t)n * sizeof(*keys));
	e.v[0].w[0] = SET_ELEMS_MAGIC;
	e.v[0].w[1] = n;
	note_switch(&e.v[0]);
	elems_unmap(&e);
	err = rt_set_pin_name(set, 0, -1, pin, sizeof(pin));
	err = err ?: pins_path(dir, pin, path, sizeof(path));
	if (!err && bpf_obj_pin(fd, path) < 0)
		err = rt_err(rt, errno, "cannot pin %s: %s", path, strerror(errno));
	return err;
}

/* ---- reading elements --------------------------------------------------- */

struct keylist {
	struct polc_meta_key *v;
	uint32_t n, cap;
};

static int keylist_add(struct keylist *l, const struct polc_meta_key *k)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 64;
		struct polc_meta_key *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *k;
	return 0;
}

/* Parse one element of set s; where says where it came from. */
static int parse_one(struct polrt *rt, const struct polc_meta_set *s, const char *set,
		     const char *text, size_t len, const char *where, struct keylist *out)
{
	struct element e;
	struct polc_meta_key k = { .value = 1 };
	char why[160];
	size_t at;

	if (s->kind == POLC_SET_PORT) {
		if (element_parse_port(text, len, &e, why, sizeof(why), &at) < 0)
			return rt_err(rt, EINVAL, "%s: %s", where, why);
		k.w[0] = e.lo;
		k.hi = e.hi;
	} else {
		if (element_parse_addr(text, len, &e, why, sizeof(why), &at) < 0)
			return rt_err(rt, EINVAL, "%s: %s", where, why);
		unsigned fam = e.family == 6 ? POLC_FAMILY_V6 : POLC_FAMILY_V4;
		if (!(s->families & fam))
			return rt_err(rt, EINVAL, "%s: '%.*s' is an IPv%u address; set %s holds IPv%u",
				      where, (int)len, text, e.family, set, e.family == 6 ? 4 : 6);
		memcpy(k.w, e.w, sizeof(k.w));
		k.len = e.len;
		k.family = (uint8_t)fam;
	}
	return keylist_add(out, &k) ? -ENOMEM : 0;
}

/* One element per line, '#' comments, blank lines skipped. */
static int parse_file(struct polrt *rt, const struct polc_meta_set *s, const char *set,
		      const char *path, struct keylist *out)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned no = 0;
	int err = 0;

	if (!f)
		return rt_err(rt, errno, "cannot read %s: %s", path, strerror(errno));
	while (!err && getline(&line, &cap, f) >= 0) {
		char where[PATH_MAX + 32];
		no++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t\r\n,");
		if (n == 0)
			continue;
		char *rest = p + n + strspn(p + n, " \t\r\n,");
		snprintf(where, sizeof(where), "%s:%u", path, no);
		if (*rest)
			err = rt_err(rt, EINVAL, "%s: one element per line: unexpected '%s'", where,
				     rest);
		else
			err = parse_one(rt, s, set, p, n, where, out);
	}
	free(line);
	fclose(f);
	return err;
}

/* ---- the instance's sets ---------------------------------------------- */

struct set_ctx {
	char dir[PATH_MAX];
	struct polrt_state st;
	void *blob;
	struct polrt_meta m;
	const struct polc_meta_set *s;
	int elems_fd;
	int fds[2][POLC_TRIE_MAPS];
};

static void set_ctx_release(struct set_ctx *c)
{
	if (c->elems_fd >= 0)
		close(c->elems_fd);
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < POLC_TRIE_MAPS; k++)
			if (c->fds[f][k] >= 0)
				close(c->fds[f][k]);
	free(c->blob);
	c->blob = NULL;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (pins_path(dir, name, path, sizeof(path)))
		return -ENAMETOOLONG;
	int fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int set_open(struct polrt *rt, const char *instance, const char *set, struct set_ctx *c)
{
	char why[256], pin[PATH_MAX];
	int err;

	memset(c, 0, sizeof(*c));
	c->elems_fd = -1;
	memset(c->fds, -1, sizeof(c->fds));
	if (!pins_instance_name_ok(instance))
		return rt_err(rt, EINVAL, "'%s' is not an instance name", instance);
	if (pins_dir(rt, instance, c->dir, sizeof(c->dir)))
		return -ENAMETOOLONG;
	err = pins_read_state(rt, c->dir, &c->st);
	if (err == -ENOENT)
		return rt_err(rt, ENOENT, "no instance %s is applied (see polctl status)", instance);
	if (err)
		return err;
	err = pins_read_meta(rt, c->dir, c->st.meta_len, &c->blob);
	if (err)
		return err;
	err = polrt_meta_parse(c->blob, c->st.meta_len, &c->m, why, sizeof(why));
	if (err)
		return rt_err(rt, EINVAL, "metadata of instance %s is damaged: %s", instance, why);
	c->s = polrt_meta_set(&c->m, set);
	if (!c->s)
		return rt_err(rt, ENOENT, "instance %s has no set '%s'", instance, set);
	err = rt_set_pin_name(set, 0, -1, pin, sizeof(pin));
	c->elems_fd = err ? err : open_pin(c->dir, pin);
	if (c->elems_fd < 0)
		return rt_err(rt, ENOENT, "instance %s does not use set '%s' (policy %s does not refer to it)",
			      instance, set, c->st.policy);
	for (int f = 0; f < 2; f++) {
		if (!rt_set_has_family(c->s, f))
			continue;
		for (int k = 0; k < POLC_TRIE_MAPS; k++) {
			rt_set_pin_name(set, c->s->kind == POLC_SET_PORT ? -1 : f, k, pin, sizeof(pin));
			c->fds[f][k] = open_pin(c->dir, pin);
			if (c->fds[f][k] < 0)
				return rt_err(rt, -c->fds[f][k], "cannot open %s/%s", c->dir, pin);
		}
	}
	return 0;
}

/* Is k in the sorted list v[0..n)? */
static bool keys_has(const struct polc_meta_key *v, uint32_t n, const struct polc_meta_key *k)
{
	return bsearch(k, v, n, sizeof(*v), key_cmp) != NULL;
}

int polrt_set_update(struct polrt *rt, const char *instance, const char *set,
		     enum polrt_set_op op, const char *const *elems, size_t n_elems,
		     const char *file, struct polrt_set_result *res)
{
	struct set_ctx c;
	struct keylist given = { 0 }, next = { 0 };
	struct elems e = { 0 };
	int lock_fd, err;

	if (res)
		memset(res, 0, sizeof(*res));
	err = pins_prepare_root(rt);
	if (err)
		return err;
	lock_fd = pins_lock(rt);
	if (lock_fd < 0)
		return lock_fd;
	err = set_open(rt, instance, set, &c);
	for (size_t i = 0; i < n_elems && !err; i++) {
		char where[96];
		snprintf(where, sizeof(where), "element %zu", i + 1);
		err = parse_one(rt, c.s, set, elems[i], strlen(elems[i]), where, &given);
	}
	if (!err && file)
		err = parse_file(rt, c.s, set, file, &given);
	err = err ?: elems_map(rt, c.elems_fd, &e);
	if (err)
		goto out;
	if (e.v[0].w[0] != SET_ELEMS_MAGIC || e.v[0].w[1] > e.cap) {
		err = rt_err(rt, EUCLEAN, "the element store of set %s is damaged", set);
		goto out;
	}
	uint32_t have = e.v[0].w[1];
	const struct polc_meta_key *cur = e.v + 1;
	given.n = keys_unique(given.v, given.n);

	/* the new list, and what changed */
	struct keylist chg = { 0 };
	if (op == POLRT_SET_REPLACE) {
		next = given;
		given = (struct keylist){ 0 };
	} else {
		for (uint32_t i = 0; i < have && !err; i++) {
			bool listed = keys_has(given.v, given.n, &cur[i]);
			if (op == POLRT_SET_DEL && listed)
				continue;
			err = keylist_add(&next, &cur[i]);
		}
		for (uint32_t i = 0; i < given.n && !err; i++) {
			bool present = keys_has(cur, have, &given.v[i]);
			if (op == POLRT_SET_DEL && !present) {
				char text[64];
				struct element el = { .len = given.v[i].len, .lo = (uint16_t)given.v[i].w[0],
						      .hi = given.v[i].hi,
						      .family = given.v[i].family == POLC_FAMILY_V6 ? 6 : 4 };
				memcpy(el.w, given.v[i].w, sizeof(el.w));
				element_format(&el, c.s->kind == POLC_SET_PORT, text, sizeof(text));
				err = rt_err(rt, ENOENT, "%s is not in set %s: nothing changed", text, set);
				break;
			}
			if (op == POLRT_SET_ADD && !present)
				err = keylist_add(&next, &given.v[i]);
			if (!err && (op == POLRT_SET_DEL || !present))
				err = keylist_add(&chg, &given.v[i]);
		}
		next.n = keys_unique(next.v, next.n);
	}
	if (!err && next.n > e.cap)
		err = rt_err(rt, ENOSPC, "set %s would hold %u elements, more than its size %u",
			     set, next.n, e.cap);
	/* build every family's trie first, then switch them one after the other */
	if (!err)
		wait_grace(&e.v[0]);
	for (int f = 0; f < 2 && !err; f++)
		if (rt_set_has_family(c.s, f))
			err = rt_set_build(rt, set, c.s, f, c.fds[f], next.v, next.n,
					   op == POLRT_SET_REPLACE ? NULL : chg.v,
					   op == POLRT_SET_REPLACE ? 0 : chg.n);
	if (!err) {
		if (next.n)
			memcpy(e.v + 1, next.v, (size_t)next.n * sizeof(*next.v));
		__atomic_store_n(&e.v[0].w[1], next.n, __ATOMIC_RELEASE);
		note_switch(&e.v[0]);
		if (res) {
			res->before = have;
			res->after = next.n;
			res->size = e.cap;
		}
	}
	free(chg.v);
out:
	elems_unmap(&e);
	free(given.v);
	free(next.v);
	set_ctx_release(&c);
	close(lock_fd);
	return err;
}

int polrt_set_list(struct polrt *rt, const char *instance, const char *set,
		   struct polrt_set_info *info, char ***elems)
{
	struct set_ctx c;
	struct elems e = { 0 };
	int err = set_open(rt, instance, set, &c);

	memset(info, 0, sizeof(*info));
	if (elems)
		*elems = NULL;
	err = err ?: elems_map(rt, c.elems_fd, &e);
	if (err)
		goto out;
	uint32_t n = e.v[0].w[0] == SET_ELEMS_MAGIC && e.v[0].w[1] <= e.cap ? e.v[0].w[1] : 0;
	snprintf(info->name, sizeof(info->name), "%s", set);
	info->port = c.s->kind == POLC_SET_PORT;
	info->families = c.s->families;
	info->size = e.cap;
	info->count = n;
	for (int f = 0; f < 2; f++) {
		struct rt_trie t;
		if (!rt_set_has_family(c.s, f) ||
		    rt_trie_open(rt, &t, c.fds[f], set, info->port ? 16 : f ? 128 : 32, true))
			continue;
		struct dirtrie_size live = { 0 };
		dirtrie_live(&t.t, dirtrie_active(&t.t), &live);
		info->nodes[f] = (uint32_t)live.nodes;
		info->nodes_cap[f] = t.t.n_nodes;
		info->bits[f] = (uint32_t)live.bits;
		info->bits_cap[f] = t.t.n_bits;
		rt_trie_close(&t);
	}
	if (elems) {
		char **v = calloc(n + 1, sizeof(*v));
		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < n; i++) {
			const struct polc_meta_key *k = &e.v[1 + i];
			struct element el = { .len = k->len, .lo = (uint16_t)k->w[0], .hi = k->hi,
					      .family = k->family == POLC_FAMILY_V6 ? 6 : 4 };
			char text[64];
			memcpy(el.w, k->w, sizeof(el.w));
			element_format(&el, info->port, text, sizeof(text));
			v[i] = strdup(text);
		}
		*elems = v;
	}
out:
	elems_unmap(&e);
	set_ctx_release(&c);
	return err;
}

void polrt_set_elems_free(char **elems)
{
	if (!elems)
		return;
	for (size_t i = 0; elems[i]; i++)
		free(elems[i]);
	free(elems);
}
