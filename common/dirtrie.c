// SPDX-License-Identifier: BSD-2-Clause
/*
 * dirtrie.c: build, switch and look up the multibit tries of dirtrie.h.
 *
 * The builder works on a normalised list (sorted by key then length), in
 * which a prefix comes before every prefix it contains.  Filling a node's
 * entries in list order is then a correct longest-prefix match (a longer
 * prefix always overwrites the shorter ones around it), and the prefixes
 * that continue below one entry are a contiguous run: the trie is built
 * depth-first in one pass, a node written out (into a free slot) as soon as
 * its entries are complete, so the only scratch memory is one 256-entry
 * array per level on the stack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dirtrie.h"

#define L1_SLOTS 65536u      /* l1 entries per half */
#define L1_THIN_FACTOR 64    /* dirtrie_update: look slots up when few */

/* ---- keys --------------------------------------------------------------- */

static bool width_ok(unsigned width)
{
	return width == 16 || width == 32 || width == 128;
}

/* Levels below l1: 0, 2 or 14. */
static unsigned width_levels(unsigned width)
{
	return (width - 16) / 8;
}

static inline uint32_t key_top16(const uint32_t *k, unsigned width)
{
	return width == 16 ? k[0] & 0xffff : k[0] >> 16;
}

/* Byte i (i >= 2) of the key read big-endian: the index at level i - 1. */
static inline uint32_t key_byte(const uint32_t *k, unsigned i)
{
	return (k[i >> 2] >> (24 - 8 * (i & 3))) & 0xff;
}

/* The key with the bits past len cleared (and, for W < 128, the words the
 * width does not use). */
static void key_masked(const uint32_t *k, unsigned len, unsigned width,
		       uint32_t out[4])
{
	if (width == 16) {
		out[0] = len ? k[0] & (0xffffu << (16 - len)) & 0xffff : 0;
		out[1] = out[2] = out[3] = 0;
		return;
	}
	for (unsigned w = 0; w < 4; w++) {
		unsigned lo = 32 * w;

		if (32 * w >= width || len <= lo)
			out[w] = 0;
		else if (len >= lo + 32)
			out[w] = k[w];
		else
			out[w] = k[w] & (~0u << (32 - (len - lo)));
	}
}

static inline int prefix_cmp(const struct dirtrie_prefix *a,
			     const struct dirtrie_prefix *b)
{
	for (unsigned w = 0; w < 4; w++)
		if (a->k[w] != b->k[w])
			return a->k[w] < b->k[w] ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

static bool key_ok(const struct dirtrie_prefix *p, unsigned width)
{
	return p->len <= width && (width != 16 || p->k[0] <= 0xffff);
}

/* ---- normalising --------------------------------------------------------- */

/* The 8-bit digit d of the sort key, least significant first: the length,
 * then the key's bytes from the last. */
static inline unsigned sort_digit(const struct dirtrie_prefix *p, unsigned d)
{
	if (d == 0)
		return p->len & 0xff;
	d--;
	return (p->k[3 - d / 4] >> (8 * (d % 4))) & 0xff;
}

#define SORT_DIGITS 17

int dirtrie_normalise(struct dirtrie_prefix *p, size_t *n, unsigned width)
{
	size_t cnt = *n;

	if (!width_ok(width))
		return -EINVAL;
	for (size_t i = 0; i < cnt; i++)
		if (!key_ok(&p[i], width))
			return -EINVAL;
	if (cnt < 2) {
		if (cnt)
			key_masked(p[0].k, p[0].len, width, p[0].k);
		return 0;
	}
	struct dirtrie_prefix *tmp = malloc(cnt * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;

	/* LSD radix sort, stable: equal (key, len) keep their input order */
	size_t(*hist)[256] = calloc(SORT_DIGITS, sizeof(*hist));
	if (!hist) {
		free(tmp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		key_masked(p[i].k, p[i].len, width, p[i].k);
		for (unsigned d = 0; d < SORT_DIGITS; d++)
			hist[d][sort_digit(&p[i], d)]++;
	}
	struct dirtrie_prefix *src = p, *dst = tmp;
	for (unsigned d = 0; d < SORT_DIGITS; d++) {
		size_t pos = 0;
		bool trivial = false;

		for (unsigned b = 0; b < 256; b++) {
			size_t c = hist[d][b];
			if (c == cnt)
				trivial = true;
			hist[d][b] = pos;
			pos += c;
		}
		if (trivial)
			continue; /* every element has the same digit */
		for (size_t i = 0; i < cnt; i++)
			dst[hist[d][sort_digit(&src[i], d)]++] = src[i];
		struct dirtrie_prefix *s = src;
		src = dst;
		dst = s;
	}
	free(hist);

	/* of identical prefixes, the last in input order wins */
	size_t out = 0;
	for (size_t i = 0; i < cnt; i++) {
		if (i + 1 < cnt && prefix_cmp(&src[i], &src[i + 1]) == 0)
			continue;
		p[out++] = src[i];
	}
	free(tmp);
	*n = out;
	return 0;
}

int dirtrie_is_normalised(const struct dirtrie_prefix *p, size_t n,
			  unsigned width)
{
	if (!width_ok(width))
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t m[4];

		if (!key_ok(&p[i], width))
			return 0;
		key_masked(p[i].k, p[i].len, width, m);
		if (memcmp(m, p[i].k, sizeof(m)) != 0)
			return 0;
		if (i && prefix_cmp(&p[i - 1], &p[i]) >= 0)
			return 0;
	}
	return 1;
}

int dirtrie_merge(const struct dirtrie_prefix *base, size_t nb,
		  const struct dirtrie_prefix *chg, size_t nc, unsigned width,
		  struct dirtrie_prefix *out, size_t *n_out)
{
	size_t i = 0, j = 0, o = 0;

	if (!dirtrie_is_normalised(base, nb, width) ||
	    !dirtrie_is_normalised(chg, nc, width))
		return -EINVAL;
	while (i < nb || j < nc) {
		int c = i == nb ? 1 : j == nc ? -1 : prefix_cmp(&base[i], &chg[j]);

		if (c < 0) {
			out[o++] = base[i++];
			continue;
		}
		if (c == 0)
			i++; /* replaced or removed */
		if (chg[j].value != DIRTRIE_REMOVE)
			out[o++] = chg[j];
		j++;
	}
	*n_out = o;
	return 0;
}

/* ---- slot allocation ------------------------------------------------------ */

/* A bitset of slots: set bits are taken (reachable from the active half, or
 * allocated by this build). */
struct slots {
	uint64_t *used;
	uint32_t cap;
	uint32_t cursor; /* word to look in first: every one before is full */
};

static int slots_init(struct slots *s, uint32_t cap)
{
	size_t words = ((size_t)cap + 63) / 64;

	s->cap = cap;
	s->cursor = 0;
	s->used = calloc(words ? words : 1, sizeof(uint64_t));
	if (!s->used)
		return -ENOMEM;
	if (cap % 64) /* past the end is never free */
		s->used[words - 1] = ~0ull << (cap % 64);
	return 0;
}

/* Mark slot i taken; 1 if it already was. */
static inline int slots_mark(struct slots *s, uint32_t i)
{
	uint64_t bit = 1ull << (i % 64);
	int was = !!(s->used[i / 64] & bit);

	s->used[i / 64] |= bit;
	return was;
}

static int slots_alloc(struct slots *s, uint32_t *out)
{
	size_t words = ((size_t)s->cap + 63) / 64;

	for (size_t w = s->cursor; w < words; w++) {
		if (s->used[w] == ~0ull)
			continue;
		unsigned b = (unsigned)__builtin_ctzll(~s->used[w]);
		s->used[w] |= 1ull << b;
		s->cursor = (uint32_t)w;
		*out = (uint32_t)(w * 64 + b);
		return 0;
	}
	s->cursor = (uint32_t)words;
	return -ENOSPC;
}

/* ---- walking a half -------------------------------------------------------- */

struct walk {
	const struct dirtrie *t;
	unsigned levels;
	struct slots *nodes, *bits;
	struct dirtrie_size count;
};

static int walk_entries(struct walk *w, const uint32_t *e, uint32_t n,
			unsigned d);

/* Mark what child entry x (tag 10 or 11, in a node at level d; l1 is level
 * 0) reaches.  Entries tagged 01 are not followed: lookups give 0 there. */
static int walk_entry(struct walk *w, uint32_t x, unsigned d)
{
	uint32_t tag = x & DIRTRIE_TAG_MASK, idx = x & DIRTRIE_INDEX_MASK;

	if (d + 1 > w->levels)
		return -EUCLEAN; /* a child below the last level */
	if (tag == DIRTRIE_TAG_BITS) {
		if (idx >= w->t->n_bits)
			return -EUCLEAN;
		if (slots_mark(w->bits, idx))
			return -EUCLEAN; /* two parents in one half */
		w->count.bits++;
		return 0;
	}
	if (idx >= w->t->n_nodes)
		return -EUCLEAN;
	/* within one half every node has one parent (sharing is only ever
	 * between the halves): a second visit is a corrupt trie, or a cycle */
	if (slots_mark(w->nodes, idx))
		return -EUCLEAN;
	w->count.nodes++;
	if (d + 1 == w->levels)
		return 0; /* last level: values only, nothing below */
	return walk_entries(w, w->t->nodes[idx].e, DIRTRIE_FANOUT, d + 1);
}

/* Walk the children among e[0, n) (n a multiple of 32), entries of level d.
 * Most entries are values: test 32 at a time (vectorised) first. */
static int walk_entries(struct walk *w, const uint32_t *e, uint32_t n, unsigned d)
{
	for (uint32_t i = 0; i < n; i += 32) {
		uint32_t any = 0;

		for (unsigned j = 0; j < 32; j++)
			any |= e[i + j];
		if (!(any & DIRTRIE_TAG_NODE))
			continue;
		for (unsigned j = 0; j < 32; j++) {
			if (!(e[i + j] & DIRTRIE_TAG_NODE))
				continue;
			int err = walk_entry(w, e[i + j], d);
			if (err)
				return err;
		}
	}
	return 0;
}

static uint32_t *l1_half(const struct dirtrie *t, unsigned half)
{
	return t->l1[half * DIRTRIE_L1_HALF].e;
}

static int walk_half(struct walk *w, unsigned half)
{
	return walk_entries(w, l1_half(w->t, half), L1_SLOTS, 0);
}

/* ---- building ---------------------------------------------------------------- */

struct build {
	struct dirtrie *t; /* NULL for a dry run (dirtrie_capacity) */
	unsigned width, levels;
	bool membership;
	struct slots nodes, bits;
	struct dirtrie_size count;
};

/* Store a complete node's entries e (at level d >= 1) and give the entry
 * that refers to it. */
static int emit(struct build *b, const uint32_t *e, unsigned d, uint32_t *out)
{
	bool values = true, same = true;

	for (unsigned i = 0; i < DIRTRIE_FANOUT; i++) {
		if (e[i] & DIRTRIE_TAG_MASK) {
			values = false;
			same = false;
			break;
		}
		if (e[i] != e[0])
			same = false;
	}
	if (same) { /* one value: no node needed */
		*out = e[0];
		return 0;
	}
	uint32_t idx = 0;
	if (values && b->membership) {
		b->count.bits++;
		if (!b->t) {
			*out = DIRTRIE_TAG_BITS;
			return 0;
		}
		int err = slots_alloc(&b->bits, &idx);
		if (err)
			return err;
		struct dirtrie_bits bm = { { 0 } };
		for (unsigned i = 0; i < DIRTRIE_FANOUT; i++)
			bm.w[i >> 5] |= (e[i] & 1) << (i & 31);
		b->t->bits[idx] = bm;
		*out = DIRTRIE_TAG_BITS | idx;
		return 0;
	}
	b->count.nodes++;
	if (!b->t) {
		*out = DIRTRIE_TAG_NODE;
		return 0;
	}
	int err = slots_alloc(&b->nodes, &idx);
	if (err)
		return err;
	memcpy(b->t->nodes[idx].e, e, sizeof(b->t->nodes[idx].e));
	*out = DIRTRIE_TAG_NODE | idx;
	return 0;
}

/*
 * Build the node at level d >= 1 below an entry holding `inherit` (a value:
 * leaf-pushed into every entry first) from p[lo, hi): the prefixes longer
 * than the node's first bit that agree with it on every bit above.  *out
 * gets the entry for the parent.
 */
static int build_node(struct build *b, const struct dirtrie_prefix *p,
		      size_t lo, size_t hi, uint32_t inherit, unsigned d,
		      uint32_t *out)
{
	uint32_t e[DIRTRIE_FANOUT];
	unsigned end = 8 * (d + 2); /* bits [end - 8, end) index this node */
	unsigned bi = d + 1;        /* ... which is key byte bi */

	for (unsigned i = 0; i < DIRTRIE_FANOUT; i++)
		e[i] = inherit;
	for (size_t i = lo; i < hi;) {
		uint32_t x = key_byte(p[i].k, bi);

		if (p[i].len <= end) {
			uint32_t cnt = 1u << (end - p[i].len);
			for (uint32_t j = x; j < x + cnt; j++)
				e[j] = p[i].value;
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < hi && p[j].len > end && key_byte(p[j].k, bi) == x)
			j++;
		int err = build_node(b, p, i, j, e[x], d + 1, &e[x]);
		if (err)
			return err;
		i = j;
	}
	return emit(b, e, d, out);
}

/* The prefixes of p[0, n) in l1 slot s, longer than /16: p[*lo, *hi). */
static void slot_range(const struct dirtrie_prefix *p, size_t n, uint32_t s,
		       size_t *lo, size_t *hi)
{
	struct dirtrie_prefix first = { .k = { s << 16 }, .len = 17 };
	size_t a = 0, z = n;

	while (a < z) { /* first >= (slot key, /17) */
		size_t m = a + (z - a) / 2;
		if (prefix_cmp(&p[m], &first) < 0)
			a = m + 1;
		else
			z = m;
	}
	*lo = a;
	z = n;
	while (a < z) { /* first whose top 16 bits are past s */
		size_t m = a + (z - a) / 2;
		if ((p[m].k[0] >> 16) <= s)
			a = m + 1;
		else
			z = m;
	}
	*hi = a;
}

static bool find_exact(const struct dirtrie_prefix *p, size_t n,
		       const struct dirtrie_prefix *want, uint32_t *value)
{
	size_t a = 0, z = n;

	while (a < z) {
		size_t m = a + (z - a) / 2;
		int c = prefix_cmp(&p[m], want);
		if (c == 0) {
			*value = p[m].value;
			return true;
		}
		if (c < 0)
			a = m + 1;
		else
			z = m;
	}
	return false;
}

/* The l1 value of slot s: the longest prefix of length <= 16 covering it. */
static uint32_t slot_value(const struct dirtrie_prefix *p, size_t n,
			   unsigned width, uint32_t s, uint32_t dflt)
{
	uint32_t full[4] = { width == 16 ? s : s << 16 };

	for (int len = 16; len >= 0; len--) {
		struct dirtrie_prefix want = { .len = (uint32_t)len };
		uint32_t v;

		key_masked(full, (unsigned)len, width, want.k);
		if (find_exact(p, n, &want, &v))
			return v;
	}
	return dflt;
}

static inline bool touched_has(const uint64_t *touched, uint32_t s)
{
	return !touched || (touched[s / 64] >> (s % 64)) & 1;
}

/*
 * Fill the l1 entries dst[0, 65536) from p[0, n) in one pass.  With touched,
 * only those slots are built; the others are copied from src.
 */
static int build_sweep(struct build *b, const struct dirtrie_prefix *p,
		       size_t n, uint32_t dflt, uint32_t *dst,
		       const uint32_t *src, const uint64_t *touched)
{
	for (uint32_t s = 0; s < L1_SLOTS; s++)
		dst[s] = dflt;
	for (size_t i = 0; i < n;) {
		uint32_t s = key_top16(p[i].k, b->width);

		if (p[i].len <= 16) {
			uint32_t cnt = 1u << (16 - p[i].len);
			for (uint32_t j = s; j < s + cnt; j++)
				dst[j] = p[i].value;
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && p[j].len > 16 && (p[j].k[0] >> 16) == s)
			j++;
		if (touched_has(touched, s)) {
			int err = build_node(b, p, i, j, dst[s], 1, &dst[s]);
			if (err)
				return err;
		}
		i = j;
	}
	if (touched)
		for (uint32_t s = 0; s < L1_SLOTS; s++)
			if (!touched_has(touched, s))
				dst[s] = src[s];
	return 0;
}

/* Rebuild only the touched slots (n_touched of them), looking each up. */
static int build_thin(struct build *b, const struct dirtrie_prefix *p,
		      size_t n, uint32_t dflt, uint32_t *dst,
		      const uint32_t *src, const uint64_t *touched)
{
	memcpy(dst, src, L1_SLOTS * sizeof(*dst));
	for (uint32_t w = 0; w < L1_SLOTS / 64; w++) {
		for (uint64_t bits = touched[w]; bits; bits &= bits - 1) {
			uint32_t s = w * 64 + (uint32_t)__builtin_ctzll(bits);
			uint32_t x = slot_value(p, n, b->width, s, dflt);
			size_t lo = 0, hi = 0;

			if (b->width != 16)
				slot_range(p, n, s, &lo, &hi);
			if (lo < hi) {
				int err = build_node(b, p, lo, hi, x, 1, &x);
				if (err)
					return err;
			}
			dst[s] = x;
		}
	}
	return 0;
}

static bool value_ok(uint32_t v, bool membership)
{
	return membership ? v <= 1 : v <= DIRTRIE_VALUE_MAX;
}

static int check_list(const struct dirtrie_prefix *p, size_t n, unsigned width,
		      bool membership, uint32_t dflt)
{
	if (!width_ok(width) || !value_ok(dflt, membership))
		return -EINVAL;
	if (!dirtrie_is_normalised(p, n, width))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!value_ok(p[i].value, membership))
			return -EINVAL;
	return 0;
}

static int check_trie(const struct dirtrie *t)
{
	if (!t || !t->l1 || !t->nodes || !t->bits || !width_ok(t->width) ||
	    t->n_nodes < 1 || t->n_nodes > DIRTRIE_INDEX_MAX || t->n_bits < 1 ||
	    t->n_bits > DIRTRIE_INDEX_MAX)
		return -EINVAL;
	return 0;
}

int dirtrie_capacity(const struct dirtrie_prefix *p, size_t n, unsigned width,
		     bool membership, uint32_t dflt, struct dirtrie_size *out)
{
	struct build b = { .width = width, .membership = membership };
	int err = check_list(p, n, width, membership, dflt);

	if (err)
		return err;
	b.levels = width_levels(width);
	uint32_t *l1 = malloc(L1_SLOTS * sizeof(*l1));
	if (!l1)
		return -ENOMEM;
	err = build_sweep(&b, p, n, dflt, l1, NULL, NULL);
	free(l1);
	if (!err)
		*out = b.count;
	return err;
}

void dirtrie_bound(unsigned width, bool membership, uint64_t n,
		   struct dirtrie_size *out)
{
	unsigned levels = width_ok(width) ? width_levels(width) : 0;

	*out = (struct dirtrie_size){ 0 };
	/* a level-d node is named by the key's first 8 * (d + 1) bits and holds
	 * at least one prefix; a non-terminal one has a child, so is above the
	 * last level; a terminal one holds the end of some prefix */
	for (unsigned d = 1; d <= levels; d++) {
		unsigned bits = 8 * (d + 1);
		uint64_t names = bits >= 64 ? UINT64_MAX : 1ull << bits;
		uint64_t m = n < names ? n : names;

		if (!membership || d < levels)
			out->nodes += m;
	}
	if (membership && levels)
		out->bits = n;
}

static volatile uint32_t *ctl_word(const struct dirtrie *t, unsigned i)
{
	return &t->l1[DIRTRIE_L1_CTL].e[i];
}

static uint32_t hdr_get(const struct dirtrie *t, unsigned half, unsigned f)
{
	return *ctl_word(t, DIRTRIE_HDR_BASE + 4 * half + f);
}

static void hdr_set(struct dirtrie *t, unsigned half, unsigned f, uint32_t v)
{
	*ctl_word(t, DIRTRIE_HDR_BASE + 4 * half + f) = v;
}

unsigned dirtrie_active(const struct dirtrie *t)
{
	return __atomic_load_n(&t->l1[DIRTRIE_L1_CTL].e[0], __ATOMIC_ACQUIRE) & 1;
}

static uint32_t hdr_params(const struct dirtrie *t)
{
	return t->width | (uint32_t)t->membership << 8;
}

/*
 * The common part of a full and an incremental build: touched NULL builds
 * every slot.  The active half is walked for the slots it reaches, the
 * inactive half marked unbuilt, filled, then marked built.
 */
static int build_half(struct dirtrie *t, const struct dirtrie_prefix *p,
		      size_t n, uint32_t dflt, const uint64_t *touched,
		      uint32_t n_touched)
{
	struct build b = { .t = t, .width = t->width, .membership = t->membership };
	unsigned active = dirtrie_active(t), half = !active;
	int err;

	b.levels = width_levels(t->width);
	err = slots_init(&b.nodes, t->n_nodes);
	if (!err)
		err = slots_init(&b.bits, t->n_bits);
	if (err)
		goto out;
	struct walk w = { .t = t, .levels = b.levels, .nodes = &b.nodes, .bits = &b.bits };
	err = walk_half(&w, active);
	if (err)
		goto out;

	hdr_set(t, half, DIRTRIE_HDR_MAGIC, 0);
	uint32_t *dst = l1_half(t, half);
	const uint32_t *src = l1_half(t, active);
	if (touched && (uint64_t)n_touched * L1_THIN_FACTOR <= n)
		err = build_thin(&b, p, n, dflt, dst, src, touched);
	else
		err = build_sweep(&b, p, n, dflt, dst, src, touched);
	if (err)
		goto out;
	hdr_set(t, half, DIRTRIE_HDR_PARAMS, hdr_params(t));
	hdr_set(t, half, DIRTRIE_HDR_DEFAULT, dflt);
	hdr_set(t, half, DIRTRIE_HDR_MAGIC, DIRTRIE_MAGIC);
out:
	free(b.nodes.used);
	free(b.bits.used);
	return err;
}

int dirtrie_build(struct dirtrie *t, const struct dirtrie_prefix *p, size_t n,
		  uint32_t dflt)
{
	int err = check_trie(t);

	if (!err)
		err = check_list(p, n, t->width, t->membership, dflt);
	if (err)
		return err;
	return build_half(t, p, n, dflt, NULL, 0);
}

int dirtrie_update(struct dirtrie *t, const struct dirtrie_prefix *p, size_t n,
		   const struct dirtrie_prefix *chg, size_t nc, uint32_t dflt)
{
	uint64_t touched[L1_SLOTS / 64] = { 0 };
	uint32_t n_touched = 0;
	int err = check_trie(t);

	if (!err)
		err = check_list(p, n, t->width, t->membership, dflt);
	if (err)
		return err;
	unsigned active = dirtrie_active(t);
	if (hdr_get(t, active, DIRTRIE_HDR_MAGIC) != DIRTRIE_MAGIC ||
	    hdr_get(t, active, DIRTRIE_HDR_PARAMS) != hdr_params(t) ||
	    hdr_get(t, active, DIRTRIE_HDR_DEFAULT) != dflt)
		return -ESTALE;
	for (size_t i = 0; i < nc; i++) {
		uint32_t m[4];

		if (!key_ok(&chg[i], t->width))
			return -EINVAL;
		key_masked(chg[i].k, chg[i].len, t->width, m);
		uint32_t s = key_top16(m, t->width);
		uint32_t cnt = chg[i].len >= 16 ? 1 : 1u << (16 - chg[i].len);
		for (uint32_t j = s; j < s + cnt; j++) {
			uint64_t bit = 1ull << (j % 64);
			if (!(touched[j / 64] & bit)) {
				touched[j / 64] |= bit;
				n_touched++;
			}
		}
	}
	return build_half(t, p, n, dflt, touched, n_touched);
}

int dirtrie_flip(struct dirtrie *t)
{
	if (check_trie(t))
		return -EINVAL;
	unsigned active = dirtrie_active(t), half = !active;

	if (hdr_get(t, half, DIRTRIE_HDR_MAGIC) != DIRTRIE_MAGIC)
		return -EINVAL;
	/* every write of the build happens-before a reader seeing the half */
	__atomic_store_n(&t->l1[DIRTRIE_L1_CTL].e[0], half, __ATOMIC_RELEASE);
	/* the half left behind is free for the next build to overwrite */
	hdr_set(t, active, DIRTRIE_HDR_MAGIC, 0);
	return 0;
}

/* ---- reading ------------------------------------------------------------------ */

uint32_t dirtrie_lookup_half(const struct dirtrie *t, unsigned half,
			     const uint32_t k[4])
{
	unsigned levels = width_levels(t->width);
	uint32_t top = key_top16(k, t->width);
	uint32_t x = l1_half(t, half & 1)[top];

	for (unsigned d = 1; d <= levels; d++) {
		uint32_t tag = x & DIRTRIE_TAG_MASK, idx = x & DIRTRIE_INDEX_MASK;
		uint32_t b = key_byte(k, d + 1);

		if (tag == 0)
			return x;
		if (tag == DIRTRIE_TAG_BITS)
			return idx < t->n_bits ? (t->bits[idx].w[b >> 5] >> (b & 31)) & 1 : 0;
		if (tag != DIRTRIE_TAG_NODE || idx >= t->n_nodes)
			return 0;
		x = t->nodes[idx].e[b];
	}
	return x & DIRTRIE_TAG_MASK ? 0 : x;
}

uint32_t dirtrie_lookup(const struct dirtrie *t, const uint32_t k[4])
{
	return dirtrie_lookup_half(t, dirtrie_active(t), k);
}

int dirtrie_live(const struct dirtrie *t, unsigned half,
		 struct dirtrie_size *out)
{
	struct slots nodes, bits;
	int err = check_trie(t);

	if (err)
		return err;
	err = slots_init(&nodes, t->n_nodes);
	if (err)
		return err;
	err = slots_init(&bits, t->n_bits);
	if (err) {
		free(nodes.used);
		return err;
	}
	struct walk w = { .t = t, .levels = width_levels(t->width), .nodes = &nodes,
			  .bits = &bits };
	err = walk_half(&w, half & 1);
	if (!err)
		*out = w.count;
	free(nodes.used);
	free(bits.used);
	return err;
}
