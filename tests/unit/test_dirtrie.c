// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_dirtrie.c: common/dirtrie.c against a reference longest-prefix match
 * written independently here (masking bit by bit, qsort, one binary search
 * per prefix length), over random prefix lists for W = 16, 32 and 128.
 *
 * DIRTRIE_BENCH=1 in the environment adds the 1M-prefix timings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dirtrie.h"

/* ---- random numbers ------------------------------------------------------ */

struct rng {
	uint64_t s;
};

static uint64_t rnd64(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd32(struct rng *r)
{
	return (uint32_t)(rnd64(r) >> 32);
}

/* uniform in [lo, hi] */
static uint32_t rnd_in(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rnd64(r) % ((uint64_t)hi - lo + 1));
}

/* ---- keys, bit by bit ---------------------------------------------------- */

/* Bit i (0: most significant) of a W-bit key. */
static unsigned kbit(const uint32_t *k, unsigned width, unsigned i)
{
	if (width == 16)
		return (k[0] >> (15 - i)) & 1;
	return (k[i / 32] >> (31 - i % 32)) & 1;
}

static void kset(uint32_t *k, unsigned width, unsigned i, unsigned v)
{
	uint32_t *w = width == 16 ? &k[0] : &k[i / 32];
	unsigned sh = width == 16 ? 15 - i : 31 - i % 32;

	*w = (*w & ~(1u << sh)) | (uint32_t)v << sh;
}

static void kmask(const uint32_t *k, unsigned width, unsigned len, uint32_t *out)
{
	uint32_t m[4] = { 0 };

	for (unsigned i = 0; i < len; i++)
		kset(m, width, i, kbit(k, width, i));
	memcpy(out, m, sizeof(m));
}

/* k + d (d = +1 or -1) modulo 2^W */
static void kadd(uint32_t *k, unsigned width, int d)
{
	if (width == 16) {
		k[0] = (k[0] + (uint32_t)d) & 0xffff;
		return;
	}
	for (int w = width / 32 - 1; w >= 0; w--) {
		uint32_t old = k[w];
		k[w] += (uint32_t)d;
		if ((d > 0 && k[w] > old) || (d < 0 && k[w] < old))
			return;
	}
}

static void krandom(struct rng *r, unsigned width, uint32_t *k)
{
	memset(k, 0, 16);
	if (width == 16)
		k[0] = rnd32(r) & 0xffff;
	else
		for (unsigned w = 0; w < width / 32; w++)
			k[w] = rnd32(r);
}

/* ---- the reference --------------------------------------------------------- */

struct ref {
	unsigned width;
	uint32_t dflt;
	size_t n;
	struct dirtrie_prefix *p; /* sorted, unique, masked */
};

struct ref_item {
	struct dirtrie_prefix p;
	size_t order;
};

static int ref_cmp_key(const struct dirtrie_prefix *a, const struct dirtrie_prefix *b)
{
	int c = 0;

	for (int w = 0; w < 4 && !c; w++)
		c = a->k[w] < b->k[w] ? -1 : a->k[w] > b->k[w];
	if (!c)
		c = a->len < b->len ? -1 : a->len > b->len;
	return c;
}

static int ref_cmp(const void *x, const void *y)
{
	const struct ref_item *a = x, *b = y;
	int c = ref_cmp_key(&a->p, &b->p);

	return c ? c : a->order < b->order ? -1 : a->order > b->order;
}

/* raw: any order, duplicates (the later wins), host bits set */
static void ref_init(struct ref *r, unsigned width, uint32_t dflt,
		     const struct dirtrie_prefix *raw, size_t n)
{
	struct ref_item *it = calloc(n ? n : 1, sizeof(*it));

	assert_non_null(it);
	for (size_t i = 0; i < n; i++) {
		it[i].p = raw[i];
		kmask(raw[i].k, width, raw[i].len, it[i].p.k);
		it[i].order = i;
	}
	qsort(it, n, sizeof(*it), ref_cmp);
	r->width = width;
	r->dflt = dflt;
	r->p = calloc(n ? n : 1, sizeof(*r->p));
	assert_non_null(r->p);
	r->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && ref_cmp_key(&it[i].p, &it[i + 1].p) == 0)
			continue;
		r->p[r->n++] = it[i].p;
	}
	free(it);
}

static void ref_free(struct ref *r)
{
	free(r->p);
	r->p = NULL;
}

static uint32_t ref_lookup(const struct ref *r, const uint32_t *k)
{
	struct dirtrie_prefix want = { .len = r->width };

	kmask(k, r->width, r->width, want.k);
	for (int len = (int)r->width; len >= 0; len--) {
		size_t a = 0, z = r->n;

		if (len < (int)r->width) /* one bit shorter than the last try */
			kset(want.k, r->width, (unsigned)len, 0);
		want.len = (uint32_t)len;
		while (a < z) {
			size_t m = a + (z - a) / 2;
			int c = ref_cmp_key(&r->p[m], &want);
			if (c == 0)
				return r->p[m].value;
			if (c < 0)
				a = m + 1;
			else
				z = m;
		}
	}
	return r->dflt;
}

/* Straight from the definition, for small lists: the longest covering
 * prefix, of equal ones the later. */
static uint32_t brute_lookup(const struct dirtrie_prefix *p, size_t n,
			     unsigned width, uint32_t dflt, const uint32_t *k)
{
	int best = -1;
	uint32_t v = dflt;

	for (size_t i = 0; i < n; i++) {
		bool covers = true;
		for (unsigned b = 0; b < p[i].len && covers; b++)
			covers = kbit(p[i].k, width, b) == kbit(k, width, b);
		if (covers && (int)p[i].len >= best) {
			best = (int)p[i].len;
			v = p[i].value;
		}
	}
	return v;
}

/* ---- tries in malloc'd memory ---------------------------------------------- */

static struct dirtrie *trie_new(unsigned width, bool membership,
				uint64_t n_nodes, uint64_t n_bits)
{
	struct dirtrie *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->width = width;
	t->membership = membership;
	t->n_nodes = (uint32_t)(n_nodes ? n_nodes : 1);
	t->n_bits = (uint32_t)(n_bits ? n_bits : 1);
	t->l1 = calloc(DIRTRIE_L1_ELEMS, sizeof(*t->l1));
	t->nodes = calloc(t->n_nodes, sizeof(*t->nodes));
	t->bits = calloc(t->n_bits, sizeof(*t->bits));
	assert_non_null(t->l1);
	assert_non_null(t->nodes);
	assert_non_null(t->bits);
	return t;
}

static void trie_free(struct dirtrie *t)
{
	if (!t)
		return;
	free(t->l1);
	free(t->nodes);
	free(t->bits);
	free(t);
}

/* A normalised copy of raw (dirtrie_normalise()), *n updated. */
static struct dirtrie_prefix *normalised(const struct dirtrie_prefix *raw,
					 size_t *n, unsigned width)
{
	struct dirtrie_prefix *p = malloc((*n ? *n : 1) * sizeof(*p));

	assert_non_null(p);
	if (*n)
		memcpy(p, raw, *n * sizeof(*p));
	assert_int_equal(dirtrie_normalise(p, n, width), 0);
	assert_true(dirtrie_is_normalised(p, *n, width));
	return p;
}

/* ---- random lists and keys ------------------------------------------------- */

/*
 * n prefixes of lengths [lmin, lmax]; with clusters > 0, their keys start
 * from one of `clusters` random bases (so that prefixes nest and share
 * nodes deep down) with the bits past `spread` random.  Values in [0, vmax].
 */
static struct dirtrie_prefix *gen_prefixes(struct rng *r, unsigned width,
					   size_t n, unsigned lmin, unsigned lmax,
					   unsigned clusters, unsigned spread,
					   uint32_t vmax)
{
	struct dirtrie_prefix *p = calloc(n ? n : 1, sizeof(*p));
	uint32_t base[8][4];

	assert_non_null(p);
	assert_true(clusters <= 8);
	for (unsigned c = 0; c < clusters; c++)
		krandom(r, width, base[c]);
	for (size_t i = 0; i < n; i++) {
		krandom(r, width, p[i].k);
		if (clusters) {
			const uint32_t *b = base[rnd32(r) % clusters];
			/* the first bits from the base, a few of the next at random */
			unsigned keep = spread > width ? width : spread;
			for (unsigned j = 0; j < keep; j++)
				kset(p[i].k, width, j, kbit(b, width, j));
		}
		p[i].len = rnd_in(r, lmin, lmax);
		p[i].value = rnd_in(r, 0, vmax);
	}
	return p;
}

/* Keys at and around every prefix's edges, inside, and uniform. */
static uint32_t (*gen_keys(struct rng *r, unsigned width,
			   const struct dirtrie_prefix *p, size_t n,
			   size_t n_uniform, size_t *n_keys))[4]
{
	size_t cap = n * 6 + n_uniform, m = 0;
	uint32_t(*k)[4] = calloc(cap ? cap : 1, sizeof(*k));

	assert_non_null(k);
	for (size_t i = 0; i < n; i++) {
		uint32_t lo[4], hi[4];

		kmask(p[i].k, width, p[i].len, lo);
		memcpy(hi, lo, sizeof(hi));
		for (unsigned b = p[i].len; b < width; b++)
			kset(hi, width, b, 1);
		memcpy(k[m++], lo, 16);
		memcpy(k[m++], hi, 16);
		memcpy(k[m], lo, 16);
		kadd(k[m++], width, -1);
		memcpy(k[m], hi, 16);
		kadd(k[m++], width, 1);
		memcpy(k[m], lo, 16); /* inside, at random */
		for (unsigned b = p[i].len; b < width; b++)
			kset(k[m], width, b, rnd32(r) & 1);
		m++;
		memcpy(k[m], lo, 16); /* past the prefix by one bit */
		if (p[i].len < width)
			kset(k[m], width, p[i].len, !kbit(lo, width, p[i].len));
		m++;
	}
	for (size_t i = 0; i < n_uniform; i++)
		krandom(r, width, k[m++]);
	*n_keys = m;
	return k;
}

static void print_key(const uint32_t *k)
{
	fprintf(stderr, "%08x:%08x:%08x:%08x", k[0], k[1], k[2], k[3]);
}

/* Every key gives the reference's answer in the given half. */
static void expect_half(const struct dirtrie *t, unsigned half,
			const struct ref *r, uint32_t (*keys)[4], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t got = dirtrie_lookup_half(t, half, keys[i]);
		uint32_t want = ref_lookup(r, keys[i]);
		if (got != want) {
			fprintf(stderr, "key ");
			print_key(keys[i]);
			fprintf(stderr, ": got %u, want %u (W=%u, half %u)\n", got,
				want, r->width, half);
			fail();
		}
	}
}

static void expect_active(const struct dirtrie *t, const struct ref *r,
			  uint32_t (*keys)[4], size_t n)
{
	expect_half(t, dirtrie_active(t), r, keys, n);
}

/* Build raw (normalised here) into a trie sized exactly by
 * dirtrie_capacity(), flip, and check the live count equals it. */
static struct dirtrie *build_exact(unsigned width, bool membership,
				   uint32_t dflt, const struct dirtrie_prefix *raw,
				   size_t n, struct dirtrie_size *size)
{
	size_t m = n;
	struct dirtrie_prefix *p = normalised(raw, &m, width);
	struct dirtrie_size cap, live;

	assert_int_equal(dirtrie_capacity(p, m, width, membership, dflt, &cap), 0);
	struct dirtrie *t = trie_new(width, membership, cap.nodes, cap.bits);
	assert_int_equal(dirtrie_build(t, p, m, dflt), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	assert_int_equal(dirtrie_live(t, dirtrie_active(t), &live), 0);
	assert_int_equal(live.nodes, cap.nodes);
	assert_int_equal(live.bits, cap.bits);
	if (!membership)
		assert_int_equal(live.bits, 0);
	if (size)
		*size = cap;
	free(p);
	return t;
}

/* One random case: build, check against the reference and the bound. */
static void random_case(struct rng *r, unsigned width, bool membership,
			size_t n, unsigned lmin, unsigned lmax, unsigned clusters,
			unsigned spread, size_t n_uniform)
{
	uint32_t vmax = membership ? 1 : DIRTRIE_VALUE_MAX;
	uint32_t dflt = membership ? 0 : rnd_in(r, 0, 1000);
	struct dirtrie_prefix *raw = gen_prefixes(r, width, n, lmin, lmax, clusters,
						  spread, vmax);
	struct dirtrie_size cap, bound;
	struct dirtrie *t = build_exact(width, membership, dflt, raw, n, &cap);
	struct ref ref;
	size_t n_keys;

	ref_init(&ref, width, dflt, raw, n);
	uint32_t(*keys)[4] = gen_keys(r, width, raw, n, n_uniform, &n_keys);
	expect_active(t, &ref, keys, n_keys);

	dirtrie_bound(width, membership, n, &bound);
	assert_true(cap.nodes <= bound.nodes);
	assert_true(cap.bits <= bound.bits);

	free(keys);
	ref_free(&ref);
	trie_free(t);
	free(raw);
}

/* ---- tests: semantics --------------------------------------------------------- */

static void test_reference_is_brute_force(void **state)
{
	struct rng r = { 0x1234 };
	unsigned widths[] = { 16, 32, 128 };

	for (unsigned w = 0; w < 3; w++) {
		unsigned width = widths[w];
		struct dirtrie_prefix *raw = gen_prefixes(&r, width, 300, 0, width, 2,
							  width / 2, 5);
		struct ref ref;
		size_t n_keys;

		ref_init(&ref, width, 9, raw, 300);
		uint32_t(*keys)[4] = gen_keys(&r, width, raw, 300, 300, &n_keys);
		for (size_t i = 0; i < n_keys; i++)
			assert_int_equal(ref_lookup(&ref, keys[i]),
					 brute_lookup(raw, 300, width, 9, keys[i]));
		free(keys);
		ref_free(&ref);
		free(raw);
	}
}

/* Ports: every one of the 65536 keys. */
static void test_w16_exhaustive(void **state)
{
	struct rng r = { 16 };
	size_t sizes[] = { 0, 1, 2, 10, 300, 5000 };

	for (unsigned mem = 0; mem < 2; mem++) {
		for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s];
			uint32_t dflt = mem ? 0 : 77;
			struct dirtrie_prefix *raw = gen_prefixes(&r, 16, n, 0, 16, 0, 0,
								  mem ? 1 : 100000);
			struct dirtrie_size cap;
			struct dirtrie *t = build_exact(16, mem, dflt, raw, n, &cap);
			struct ref ref;

			assert_int_equal(cap.nodes, 0); /* l1 only */
			assert_int_equal(cap.bits, 0);
			ref_init(&ref, 16, dflt, raw, n);
			for (uint32_t port = 0; port < 65536; port++) {
				uint32_t k[4] = { port };
				assert_int_equal(dirtrie_lookup(t, k), ref_lookup(&ref, k));
			}
			ref_free(&ref);
			trie_free(t);
			free(raw);
		}
	}
}

static void test_w32_random(void **state)
{
	struct rng r = { 32 };

	/* uniform, all lengths */
	random_case(&r, 32, false, 1, 0, 32, 0, 0, 1000);
	random_case(&r, 32, false, 2000, 0, 32, 0, 0, 5000);
	random_case(&r, 32, false, 20000, 8, 32, 0, 0, 5000);
	/* clustered: deep nesting below a few /12s and /20s */
	random_case(&r, 32, false, 3000, 12, 32, 4, 12, 2000);
	random_case(&r, 32, false, 3000, 16, 32, 3, 20, 2000);
	random_case(&r, 32, false, 3000, 22, 32, 2, 24, 2000);
}

static void test_w128_random(void **state)
{
	struct rng r = { 128 };

	random_case(&r, 128, false, 1, 0, 128, 0, 0, 1000);
	random_case(&r, 128, false, 2000, 0, 128, 0, 0, 3000);
	random_case(&r, 128, false, 2000, 16, 128, 3, 40, 2000);
	random_case(&r, 128, false, 2000, 40, 128, 2, 64, 2000);
	random_case(&r, 128, false, 2000, 100, 128, 2, 104, 2000);
}

static void test_membership_bitmaps(void **state)
{
	struct rng r = { 0xb17 };

	random_case(&r, 32, true, 5000, 8, 32, 0, 0, 5000);
	random_case(&r, 32, true, 3000, 16, 32, 3, 20, 2000);
	random_case(&r, 128, true, 3000, 32, 128, 3, 40, 2000);
	random_case(&r, 128, true, 3000, 100, 128, 2, 104, 2000);

	/* one /32 member: the l1 entry, a node for 10.0.x, a bitmap for 10.0.0.x */
	struct dirtrie_prefix one = { .k = { 0x0a000001 }, .len = 32, .value = 1 };
	struct dirtrie_size cap;
	struct dirtrie *t = build_exact(32, true, 0, &one, 1, &cap);
	assert_int_equal(cap.nodes, 1);
	assert_int_equal(cap.bits, 1);
	uint32_t k1[4] = { 0x0a000001 }, k0[4] = { 0x0a000002 }, kx[4] = { 0x0b000001 };
	assert_int_equal(dirtrie_lookup(t, k1), 1);
	assert_int_equal(dirtrie_lookup(t, k0), 0);
	assert_int_equal(dirtrie_lookup(t, kx), 0);
	/* the l1 entry is a node whose entry 0 is a bitmap */
	uint32_t e = t->l1[dirtrie_active(t) * DIRTRIE_L1_HALF + 0x0a].e[0x00];
	assert_int_equal(e & DIRTRIE_TAG_MASK, DIRTRIE_TAG_NODE);
	uint32_t e2 = t->nodes[e & DIRTRIE_INDEX_MASK].e[0];
	assert_int_equal(e2 & DIRTRIE_TAG_MASK, DIRTRIE_TAG_BITS);
	assert_int_equal(t->bits[e2 & DIRTRIE_INDEX_MASK].w[0], 2);
	trie_free(t);

	/* the same as a classifier: two nodes, no bitmap */
	t = build_exact(32, false, 0, &one, 1, &cap);
	assert_int_equal(cap.nodes, 2);
	assert_int_equal(cap.bits, 0);
	trie_free(t);

	/* a /24 member: the 10.0/16 node holds it as values: terminal, a bitmap */
	struct dirtrie_prefix p24 = { .k = { 0x0a000100 }, .len = 24, .value = 1 };
	t = build_exact(32, true, 0, &p24, 1, &cap);
	assert_int_equal(cap.bits, 1);
	assert_int_equal(cap.nodes, 0);
	trie_free(t);

	/* a hole: 10/8 member, 10.1.2.0/24 not */
	struct dirtrie_prefix hole[] = {
		{ .k = { 0x0a000000 }, .len = 8, .value = 1 },
		{ .k = { 0x0a010200 }, .len = 24, .value = 0 },
	};
	t = build_exact(32, true, 0, hole, 2, &cap);
	uint32_t in[4] = { 0x0a010300 }, out[4] = { 0x0a0102ff };
	assert_int_equal(dirtrie_lookup(t, in), 1);
	assert_int_equal(dirtrie_lookup(t, out), 0);
	trie_free(t);

	/* membership values are 0/1 */
	struct dirtrie_prefix two = { .k = { 0x0a000000 }, .len = 8, .value = 2 };
	assert_int_equal(dirtrie_capacity(&two, 1, 32, true, 0, &cap), -EINVAL);
	assert_int_equal(dirtrie_capacity(&one, 1, 32, true, 2, &cap), -EINVAL);
}

static void test_default_and_slash0(void **state)
{
	uint32_t keys[][4] = { { 0 }, { 0xffffffff }, { 0x0a000001 }, { 0x80000000 } };
	struct dirtrie *t = build_exact(32, false, 42, NULL, 0, NULL);

	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(dirtrie_lookup(t, keys[i]), 42);
	trie_free(t);

	struct dirtrie_prefix p[] = {
		{ .k = { 0 }, .len = 0, .value = 5 },
		{ .k = { 0x0a000000 }, .len = 8, .value = 6 },
	};
	t = build_exact(32, false, 42, p, 2, NULL);
	assert_int_equal(dirtrie_lookup(t, keys[0]), 5);
	assert_int_equal(dirtrie_lookup(t, keys[1]), 5);
	assert_int_equal(dirtrie_lookup(t, keys[2]), 6);
	trie_free(t);

	/* /0 with host bits: they are ignored */
	struct dirtrie_prefix all = { .k = { 0xdeadbeef, 1, 2, 3 }, .len = 0, .value = 1 };
	t = build_exact(128, true, 0, &all, 1, NULL);
	uint32_t k6[4] = { 0x20010db8, 0, 0, 1 };
	assert_int_equal(dirtrie_lookup(t, k6), 1);
	trie_free(t);

	/* a zeroed trie (fresh maps) answers 0 everywhere */
	t = trie_new(128, false, 1, 1);
	assert_int_equal(dirtrie_lookup(t, k6), 0);
	struct dirtrie_size live;
	assert_int_equal(dirtrie_live(t, 0, &live), 0);
	assert_int_equal(live.nodes, 0);
	trie_free(t);
}

static void test_duplicates(void **state)
{
	struct dirtrie_prefix raw[] = {
		{ .k = { 0x0a000000 }, .len = 8, .value = 1 },
		{ .k = { 0x0a010203 }, .len = 8, .value = 2 }, /* the same /8 */
		{ .k = { 0xc0000200 }, .len = 24, .value = 3 },
		{ .k = { 0x0a0000ff }, .len = 8, .value = 4 }, /* the /8 again: wins */
		{ .k = { 0xc0000201 }, .len = 32, .value = 5 },
		{ .k = { 0xc0000201 }, .len = 32, .value = 6 }, /* wins */
	};
	size_t n = 6;
	struct dirtrie_prefix *p = normalised(raw, &n, 32);

	assert_int_equal(n, 3);
	struct dirtrie *t = build_exact(32, false, 0, raw, 6, NULL);
	uint32_t a[4] = { 0x0a7f0000 }, b[4] = { 0xc0000201 }, c[4] = { 0xc0000202 };
	assert_int_equal(dirtrie_lookup(t, a), 4);
	assert_int_equal(dirtrie_lookup(t, b), 6);
	assert_int_equal(dirtrie_lookup(t, c), 3);
	trie_free(t);
	free(p);

	/* many duplicates at random: the reference keeps the later too */
	struct rng r = { 0xd0d0 };
	struct dirtrie_prefix *d = gen_prefixes(&r, 32, 4000, 20, 32, 1, 20, 1000);
	for (size_t i = 2000; i < 4000; i++) {
		d[i] = d[rnd32(&r) % 2000];
		d[i].value = rnd32(&r) % 1000;
	}
	struct ref ref;
	size_t n_keys;
	ref_init(&ref, 32, 0, d, 4000);
	t = build_exact(32, false, 0, d, 4000, NULL);
	uint32_t(*keys)[4] = gen_keys(&r, 32, d, 4000, 1000, &n_keys);
	expect_active(t, &ref, keys, n_keys);
	free(keys);
	ref_free(&ref);
	trie_free(t);
	free(d);
}

static void test_nested(void **state)
{
	struct dirtrie_prefix raw[] = {
		{ .k = { 0x0a0a0a0a }, .len = 32, .value = 32 },
		{ .k = { 0x0a0a0a00 }, .len = 24, .value = 24 },
		{ .k = { 0x0a0a0000 }, .len = 16, .value = 16 },
		{ .k = { 0x0a000000 }, .len = 8, .value = 8 },
		{ .k = { 0x0a0a0a08 }, .len = 29, .value = 29 },
		{ .k = { 0x0a0a0800 }, .len = 21, .value = 21 },
		{ .k = { 0x0a080000 }, .len = 13, .value = 13 },
	};
	struct dirtrie *t = build_exact(32, false, 1, raw, 7, NULL);
	struct {
		uint32_t k;
		uint32_t v;
	} cases[] = {
		{ 0x0a0a0a0a, 32 }, { 0x0a0a0a0b, 29 }, { 0x0a0a0a0f, 29 },
		{ 0x0a0a0a10, 24 }, { 0x0a0a0a07, 24 }, { 0x0a0a0b00, 21 },
		{ 0x0a0a0f00, 21 }, { 0x0a0a1000, 16 }, { 0x0a0b0000, 13 },
		{ 0x0a0f0000, 13 }, { 0x0a100000, 8 },  { 0x0b000000, 1 },
		{ 0x09ffffff, 1 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t k[4] = { cases[i].k };
		assert_int_equal(dirtrie_lookup(t, k), cases[i].v);
	}
	trie_free(t);

	/* IPv6: a chain of 129 nested prefixes, /0 to /128 */
	struct dirtrie_prefix chain[129];
	uint32_t base[4] = { 0x20010db8, 0x12345678, 0x9abcdef0, 0x0fedcba9 };
	for (unsigned len = 0; len <= 128; len++) {
		chain[len] = (struct dirtrie_prefix){ .len = len, .value = len + 1000 };
		memcpy(chain[len].k, base, 16);
	}
	struct dirtrie_size cap;
	t = build_exact(128, false, 0, chain, 129, &cap);
	assert_int_equal(cap.nodes, 14); /* one per level */
	uint32_t k[4];
	for (unsigned len = 0; len <= 128; len++) {
		memcpy(k, base, 16);
		if (len < 128)
			kset(k, 128, len, !kbit(base, 128, len)); /* leave at bit len */
		assert_int_equal(dirtrie_lookup(t, k), len + 1000);
	}
	trie_free(t);
}

/* ---- tests: building and switching halves -------------------------------------- */

/* FNV over the l1 half and every node and bitmap the half reaches. */
static uint64_t fnv(uint64_t h, uint32_t x)
{
	return (h ^ x) * 0x100000001b3ull;
}

static uint64_t entry_digest(const struct dirtrie *t, uint64_t h, uint32_t x,
			     unsigned depth)
{
	uint32_t idx = x & DIRTRIE_INDEX_MASK;

	h = fnv(h, x);
	assert_true(depth <= 16);
	if ((x & DIRTRIE_TAG_MASK) == DIRTRIE_TAG_BITS) {
		for (unsigned j = 0; j < 8; j++)
			h = fnv(h, t->bits[idx].w[j]);
	} else if ((x & DIRTRIE_TAG_MASK) == DIRTRIE_TAG_NODE) {
		for (unsigned j = 0; j < 256; j++)
			h = entry_digest(t, h, t->nodes[idx].e[j], depth + 1);
	}
	return h;
}

static uint64_t half_digest(const struct dirtrie *t, unsigned half)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint32_t *e = t->l1[half * DIRTRIE_L1_HALF].e;

	for (uint32_t i = 0; i < 65536; i++)
		h = entry_digest(t, h, e[i], 0);
	return h;
}

static void test_rebuild_keeps_active(void **state)
{
	struct rng r = { 0xab };
	unsigned widths[] = { 32, 128 };

	for (unsigned w = 0; w < 2; w++) {
		unsigned width = widths[w];
		size_t na = 3000, nb = 2500;
		struct dirtrie_prefix *ra = gen_prefixes(&r, width, na, 8, width, 3, 16, 1);
		struct dirtrie_prefix *rb = gen_prefixes(&r, width, nb, 8, width, 3, 16, 1);
		struct dirtrie_prefix *a = normalised(ra, &na, width);
		struct dirtrie_prefix *b = normalised(rb, &nb, width);
		struct dirtrie_size ca, cb;
		struct ref refa, refb;
		size_t nka, nkb;

		assert_int_equal(dirtrie_capacity(a, na, width, true, 0, &ca), 0);
		assert_int_equal(dirtrie_capacity(b, nb, width, true, 0, &cb), 0);
		/* the documented rule: old + new */
		struct dirtrie *t = trie_new(width, true, ca.nodes + cb.nodes,
					     ca.bits + cb.bits);
		ref_init(&refa, width, 0, a, na);
		ref_init(&refb, width, 0, b, nb);
		uint32_t(*ka)[4] = gen_keys(&r, width, a, na, 1000, &nka);
		uint32_t(*kb)[4] = gen_keys(&r, width, b, nb, 1000, &nkb);

		assert_int_equal(dirtrie_build(t, a, na, 0), 0);
		assert_int_equal(dirtrie_flip(t), 0);
		unsigned act = dirtrie_active(t);
		uint64_t before = half_digest(t, act);

		/* B into the other half: A still answers, bit for bit */
		assert_int_equal(dirtrie_build(t, b, nb, 0), 0);
		assert_int_equal(dirtrie_active(t), act);
		assert_true(half_digest(t, act) == before);
		expect_half(t, act, &refa, ka, nka);
		expect_half(t, !act, &refb, kb, nkb);
		expect_half(t, !act, &refb, ka, nka);

		/* switch, then back to A: each build leaves the other intact */
		assert_int_equal(dirtrie_flip(t), 0);
		assert_int_equal(dirtrie_active(t), !act);
		expect_active(t, &refb, kb, nkb);
		assert_int_equal(dirtrie_flip(t), -EINVAL); /* nothing built */
		uint64_t bd = half_digest(t, !act);
		assert_int_equal(dirtrie_build(t, a, na, 0), 0);
		assert_true(half_digest(t, !act) == bd);
		expect_active(t, &refb, kb, nkb);
		assert_int_equal(dirtrie_flip(t), 0);
		expect_active(t, &refa, ka, nka);
		expect_active(t, &refa, kb, nkb);

		free(ka);
		free(kb);
		ref_free(&refa);
		ref_free(&refb);
		trie_free(t);
		free(a);
		free(b);
		free(ra);
		free(rb);
	}
}

/*
 * Rounds of random changes applied with dirtrie_merge() and
 * dirtrie_update(): each round's trie answers as the reference and uses
 * exactly the nodes a full build of the new list would.
 */
static void incremental_rounds(struct rng *r, unsigned width, bool membership,
			       size_t n, unsigned lmin, unsigned clusters,
			       unsigned spread, unsigned rounds)
{
	uint32_t vmax = membership ? 1 : 1000;
	uint32_t dflt = membership ? 0 : 3;
	struct dirtrie_prefix *raw = gen_prefixes(r, width, n, lmin, width, clusters,
						  spread, vmax);
	struct dirtrie_prefix *cur = normalised(raw, &n, width);
	struct dirtrie_size cap;

	assert_int_equal(dirtrie_capacity(cur, n, width, membership, dflt, &cap), 0);
	struct dirtrie_size room;
	/* the largest the list can become, twice (old and new at once) */
	dirtrie_bound(width, membership, n + rounds * 400, &room);
	struct dirtrie *t = trie_new(width, membership, 2 * room.nodes + 1,
				     2 * room.bits + 1);
	assert_int_equal(dirtrie_build(t, cur, n, dflt), 0);
	assert_int_equal(dirtrie_flip(t), 0);

	for (unsigned round = 0; round < rounds; round++) {
		/* few changes (looked-up slots) or many, some short (the sweep) */
		size_t nc = round % 2 ? rnd_in(r, 1, 8) : rnd_in(r, 20, 400);
		struct dirtrie_prefix *chg = calloc(nc, sizeof(*chg));
		assert_non_null(chg);
		for (size_t i = 0; i < nc; i++) {
			unsigned what = rnd32(r) % 3;
			if (what == 0 && n) { /* remove an existing one */
				chg[i] = cur[rnd32(r) % n];
				chg[i].value = DIRTRIE_REMOVE;
			} else if (what == 1 && n) { /* change a value */
				chg[i] = cur[rnd32(r) % n];
				chg[i].value = rnd_in(r, 0, vmax);
			} else { /* add, near the others */
				struct dirtrie_prefix *np = gen_prefixes(
					r, width, 1, round % 2 && width > 16 ? 17 : lmin, width,
					clusters, spread, vmax);
				chg[i] = *np;
				free(np);
			}
		}
		size_t m = nc;
		struct dirtrie_prefix *nchg = normalised(chg, &m, width);
		struct dirtrie_prefix *next = calloc(n + m + 1, sizeof(*next));
		size_t nn;
		assert_non_null(next);
		assert_int_equal(dirtrie_merge(cur, n, nchg, m, width, next, &nn), 0);
		assert_true(dirtrie_is_normalised(next, nn, width));

		unsigned act = dirtrie_active(t);
		uint64_t before = half_digest(t, act);
		/* the raw change list: any order, REMOVE values, host bits */
		assert_int_equal(dirtrie_update(t, next, nn, chg, nc, dflt), 0);
		assert_true(half_digest(t, act) == before);
		assert_int_equal(dirtrie_flip(t), 0);

		struct ref ref;
		size_t n_keys;
		ref_init(&ref, width, dflt, next, nn);
		uint32_t(*keys)[4] = gen_keys(r, width, nchg, m, 0, &n_keys);
		expect_active(t, &ref, keys, n_keys);
		free(keys);
		keys = gen_keys(r, width, next, nn < 500 ? nn : 500, 500, &n_keys);
		expect_active(t, &ref, keys, n_keys);
		free(keys);

		struct dirtrie_size want, live;
		assert_int_equal(dirtrie_capacity(next, nn, width, membership, dflt, &want), 0);
		assert_int_equal(dirtrie_live(t, dirtrie_active(t), &live), 0);
		assert_int_equal(live.nodes, want.nodes);
		assert_int_equal(live.bits, want.bits);

		ref_free(&ref);
		free(cur);
		cur = next;
		n = nn;
		free(nchg);
		free(chg);
	}
	trie_free(t);
	free(cur);
	free(raw);
}

static void test_incremental(void **state)
{
	struct rng r = { 0x1ac };

	incremental_rounds(&r, 32, true, 5000, 8, 0, 0, 8);
	incremental_rounds(&r, 32, true, 3000, 12, 3, 14, 8);
	incremental_rounds(&r, 32, false, 3000, 0, 2, 12, 8);
	incremental_rounds(&r, 128, true, 2000, 8, 3, 20, 6);
	incremental_rounds(&r, 128, false, 2000, 0, 2, 40, 6);
	incremental_rounds(&r, 16, true, 500, 0, 0, 0, 6);
	incremental_rounds(&r, 16, false, 500, 0, 0, 0, 6);
}

static void test_update_needs_matching_build(void **state)
{
	struct dirtrie_prefix p = { .k = { 0x0a000000 }, .len = 8, .value = 1 };
	struct dirtrie *t = trie_new(32, true, 4, 4);

	/* never built */
	assert_int_equal(dirtrie_update(t, &p, 1, &p, 1, 0), -ESTALE);
	assert_int_equal(dirtrie_flip(t), -EINVAL);
	assert_int_equal(dirtrie_build(t, &p, 1, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	/* another default */
	assert_int_equal(dirtrie_update(t, &p, 1, &p, 1, 1), -ESTALE);
	/* another width */
	t->width = 128;
	assert_int_equal(dirtrie_update(t, &p, 1, &p, 1, 0), -ESTALE);
	t->width = 32;
	assert_int_equal(dirtrie_update(t, &p, 1, &p, 1, 0), 0);
	trie_free(t);
}

/* ---- tests: capacity and errors --------------------------------------------------- */

static void test_enospc_keeps_active(void **state)
{
	struct rng r = { 0xe05 };
	size_t na = 4000, nb = 4000;
	struct dirtrie_prefix *ra = gen_prefixes(&r, 32, na, 8, 32, 2, 12, 1);
	struct dirtrie_prefix *rb = gen_prefixes(&r, 32, nb, 8, 32, 2, 12, 1);
	struct dirtrie_prefix *a = normalised(ra, &na, 32);
	struct dirtrie_prefix *b = normalised(rb, &nb, 32);
	struct dirtrie_size ca, cb;
	struct ref refa, refb;
	size_t nk;

	assert_int_equal(dirtrie_capacity(a, na, 32, true, 0, &ca), 0);
	assert_int_equal(dirtrie_capacity(b, nb, 32, true, 0, &cb), 0);
	assert_true(cb.nodes > 0 && cb.bits > 0);
	ref_init(&refa, 32, 0, a, na);
	ref_init(&refb, 32, 0, b, nb);
	uint32_t(*keys)[4] = gen_keys(&r, 32, a, na, 2000, &nk);
	/* what changes from a to b: every prefix of either */
	struct dirtrie_prefix *ab = calloc(na + nb, sizeof(*ab));
	assert_non_null(ab);
	memcpy(ab, a, na * sizeof(*ab));
	memcpy(ab + na, b, nb * sizeof(*ab));

	for (unsigned short_of = 0; short_of < 2; short_of++) {
		/* one node short, then one bitmap short */
		struct dirtrie *t = trie_new(32, true, ca.nodes + cb.nodes - !short_of,
					     ca.bits + cb.bits - short_of);
		assert_int_equal(dirtrie_build(t, a, na, 0), 0);
		assert_int_equal(dirtrie_flip(t), 0);
		uint64_t before = half_digest(t, dirtrie_active(t));
		assert_int_equal(dirtrie_build(t, b, nb, 0), -ENOSPC);
		assert_true(half_digest(t, dirtrie_active(t)) == before);
		expect_active(t, &refa, keys, nk);
		assert_int_equal(dirtrie_flip(t), -EINVAL);
		expect_active(t, &refa, keys, nk);
		/* an incremental build that changes everything fails the same way */
		assert_int_equal(dirtrie_update(t, b, nb, ab, na + nb, 0), -ENOSPC);
		assert_int_equal(dirtrie_flip(t), -EINVAL);
		expect_active(t, &refa, keys, nk);
		trie_free(t);
	}
	/* a full trie: one new /32 in an empty slot (the looked-up slot path) */
	struct dirtrie *t = trie_new(32, true, ca.nodes, ca.bits);
	assert_int_equal(dirtrie_build(t, a, na, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	struct dirtrie_prefix add = { .len = 32, .value = 1 };
	for (uint32_t s = 0; s < 65536; s++) { /* a slot no prefix of a is in */
		uint32_t k[4] = { s << 16 };
		add.k[0] = (s << 16) | 0x0101;
		if (dirtrie_lookup(t, k) == 0 &&
		    t->l1[dirtrie_active(t) * DIRTRIE_L1_HALF + (s >> 8)].e[s & 255] == 0)
			break;
	}
	struct dirtrie_prefix *a1 = calloc(na + 1, sizeof(*a1));
	size_t na1;
	assert_non_null(a1);
	assert_int_equal(dirtrie_merge(a, na, &add, 1, 32, a1, &na1), 0);
	uint64_t before = half_digest(t, dirtrie_active(t));
	assert_int_equal(dirtrie_update(t, a1, na1, &add, 1, 0), -ENOSPC);
	assert_true(half_digest(t, dirtrie_active(t)) == before);
	assert_int_equal(dirtrie_flip(t), -EINVAL);
	expect_active(t, &refa, keys, nk);
	trie_free(t);
	/* ... and with one node and one bitmap more, it fits */
	t = trie_new(32, true, ca.nodes + 1, ca.bits + 1);
	assert_int_equal(dirtrie_build(t, a, na, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	assert_int_equal(dirtrie_update(t, a1, na1, &add, 1, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	assert_int_equal(dirtrie_lookup(t, add.k), 1);
	trie_free(t);
	free(a1);

	/* exactly enough */
	t = trie_new(32, true, ca.nodes + cb.nodes, ca.bits + cb.bits);
	assert_int_equal(dirtrie_build(t, a, na, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	assert_int_equal(dirtrie_build(t, b, nb, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	expect_active(t, &refb, keys, nk);
	trie_free(t);

	/* and the update from a to b, with room */
	t = trie_new(32, true, ca.nodes + cb.nodes, ca.bits + cb.bits);
	assert_int_equal(dirtrie_build(t, a, na, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	assert_int_equal(dirtrie_update(t, b, nb, ab, na + nb, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	expect_active(t, &refb, keys, nk);
	trie_free(t);

	free(ab);
	free(keys);
	ref_free(&refa);
	ref_free(&refb);
	free(a);
	free(b);
	free(ra);
	free(rb);
}

static void test_capacity_and_bound(void **state)
{
	struct rng r = { 0xca9 };
	struct dirtrie_size cap, bound;

	/* every prefix distinct below its own /16: the bound is reached */
	struct dirtrie_prefix p[100];
	for (unsigned i = 0; i < 100; i++)
		p[i] = (struct dirtrie_prefix){ .k = { (i << 16) | 0x0101 }, .len = 32, .value = 1 };
	assert_int_equal(dirtrie_capacity(p, 100, 32, true, 0, &cap), 0);
	dirtrie_bound(32, true, 100, &bound);
	assert_int_equal(cap.nodes, 100);
	assert_int_equal(cap.bits, 100);
	assert_int_equal(bound.nodes, 100);
	assert_int_equal(bound.bits, 100);
	dirtrie_bound(32, false, 100, &bound);
	assert_int_equal(bound.nodes, 200);
	assert_int_equal(bound.bits, 0);
	dirtrie_bound(16, true, 100, &bound);
	assert_int_equal(bound.nodes + bound.bits, 0);
	dirtrie_bound(32, true, 1000000, &bound);
	assert_int_equal(bound.nodes, 65536);

	/* random sets: the bound holds, and the trie is as small as promised:
	 * at most levels-below-l1 structures per prefix */
	for (unsigned i = 0; i < 4; i++) {
		size_t n = 3000;
		struct dirtrie_prefix *raw = gen_prefixes(&r, 32, n, 8, 32, i, 16, 1);
		struct dirtrie_prefix *q = normalised(raw, &n, 32);
		assert_int_equal(dirtrie_capacity(q, n, 32, true, 0, &cap), 0);
		dirtrie_bound(32, true, n, &bound);
		assert_true(cap.nodes <= bound.nodes && cap.bits <= bound.bits);
		assert_true(cap.nodes + cap.bits <= 2 * n);
		free(q);
		free(raw);
	}

	/* not normalised, bad widths and values */
	struct dirtrie_prefix un[2] = {
		{ .k = { 0x0b000000 }, .len = 8, .value = 1 },
		{ .k = { 0x0a000000 }, .len = 8, .value = 1 },
	};
	assert_int_equal(dirtrie_capacity(un, 2, 32, true, 0, &cap), -EINVAL);
	struct dirtrie_prefix host = { .k = { 0x0a000001 }, .len = 8, .value = 1 };
	assert_int_equal(dirtrie_capacity(&host, 1, 32, true, 0, &cap), -EINVAL);
	struct dirtrie_prefix big = { .k = { 0 }, .len = 8, .value = DIRTRIE_VALUE_MAX + 1 };
	assert_int_equal(dirtrie_capacity(&big, 1, 32, false, 0, &cap), -EINVAL);
	assert_int_equal(dirtrie_capacity(NULL, 0, 24, false, 0, &cap), -EINVAL);
	size_t n1 = 1;
	struct dirtrie_prefix port = { .k = { 0x10000 }, .len = 16 };
	assert_int_equal(dirtrie_normalise(&port, &n1, 16), -EINVAL);
	struct dirtrie_prefix longp = { .k = { 0 }, .len = 33 };
	assert_int_equal(dirtrie_normalise(&longp, &n1, 32), -EINVAL);
	assert_int_equal(n1, 1);

	struct dirtrie *t = trie_new(32, true, 1, 1);
	t->n_nodes = 0;
	assert_int_equal(dirtrie_build(t, un + 1, 1, 0), -EINVAL);
	t->n_nodes = 1;
	t->width = 64;
	assert_int_equal(dirtrie_build(t, un + 1, 1, 0), -EINVAL);
	trie_free(t);
}

static void test_corrupt_active(void **state)
{
	struct dirtrie_prefix p = { .k = { 0x0a000001 }, .len = 32, .value = 1 };
	struct dirtrie *t = trie_new(32, true, 2, 2);
	assert_int_equal(dirtrie_build(t, &p, 1, 0), 0);
	assert_int_equal(dirtrie_flip(t), 0);
	uint32_t *e = &t->l1[dirtrie_active(t) * DIRTRIE_L1_HALF + 0x0a].e[0];
	uint32_t good = *e;
	struct dirtrie_size live;

	*e = DIRTRIE_TAG_NODE | 5; /* past n_nodes */
	assert_int_equal(dirtrie_build(t, &p, 1, 0), -EUCLEAN);
	assert_int_equal(dirtrie_live(t, dirtrie_active(t), &live), -EUCLEAN);
	uint32_t k[4] = { 0x0a000001 };
	assert_int_equal(dirtrie_lookup(t, k), 0); /* as BPF: a failed lookup */
	*e = 0x40000000; /* the unused tag */
	assert_int_equal(dirtrie_lookup(t, k), 0);
	*e = good;
	/* a bitmap past n_bits, one level down */
	uint32_t *e2 = &t->nodes[good & DIRTRIE_INDEX_MASK].e[0];
	uint32_t good2 = *e2;
	*e2 = DIRTRIE_TAG_BITS | 5;
	assert_int_equal(dirtrie_build(t, &p, 1, 0), -EUCLEAN);
	*e2 = good2;
	assert_int_equal(dirtrie_build(t, &p, 1, 0), 0);
	trie_free(t);

	/* a cycle (a node that is its own child): walks see it, lookups end */
	struct dirtrie_prefix h = { .k = { 0x20010db8, 1, 2, 3 }, .len = 128, .value = 7 };
	t = build_exact(128, false, 0, &h, 1, NULL);
	uint32_t top = t->l1[dirtrie_active(t) * DIRTRIE_L1_HALF + 0x20].e[0x01];
	assert_int_equal(top & DIRTRIE_TAG_MASK, DIRTRIE_TAG_NODE);
	t->nodes[top & DIRTRIE_INDEX_MASK].e[0x0e] = top;
	assert_int_equal(dirtrie_live(t, dirtrie_active(t), &live), -EUCLEAN);
	assert_int_equal(dirtrie_build(t, &h, 1, 0), -EUCLEAN);
	uint32_t kh[4] = { 0x20010e0e, 0x0e0e0e0e, 0x0e0e0e0e, 0x0e0e0e0e };
	assert_int_equal(dirtrie_lookup(t, kh), 0);
	trie_free(t);

	/* ports: any child at l1 is corrupt */
	struct dirtrie_prefix q = { .k = { 80 }, .len = 16, .value = 1 };
	t = build_exact(16, true, 0, &q, 1, NULL);
	t->l1[dirtrie_active(t) * DIRTRIE_L1_HALF].e[80] = DIRTRIE_TAG_BITS;
	assert_int_equal(dirtrie_build(t, &q, 1, 0), -EUCLEAN);
	trie_free(t);
}

static void test_normalise_and_merge(void **state)
{
	struct rng r = { 0x4e };

	for (unsigned round = 0; round < 20; round++) {
		unsigned width = round % 3 == 0 ? 16 : round % 3 == 1 ? 32 : 128;
		size_t nb = rnd_in(&r, 0, 2000), nc = rnd_in(&r, 0, 300);
		struct dirtrie_prefix *rb = gen_prefixes(&r, width, nb, 0, width, 2,
							 width / 2, 100);
		struct dirtrie_prefix *base = normalised(rb, &nb, width);
		struct dirtrie_prefix *rc = gen_prefixes(&r, width, nc, 0, width, 2,
							 width / 2, 100);
		for (size_t i = 0; i < nc; i++) {
			if (nb && rnd32(&r) % 2)
				rc[i] = base[rnd32(&r) % nb];
			if (rnd32(&r) % 3 == 0)
				rc[i].value = DIRTRIE_REMOVE;
			else
				rc[i].value = rnd_in(&r, 0, 100);
		}
		size_t n_raw = nc;
		struct dirtrie_prefix *chg = normalised(rc, &nc, width);
		struct dirtrie_prefix *out = calloc(nb + nc + 1, sizeof(*out));
		size_t no;
		assert_int_equal(dirtrie_merge(base, nb, chg, nc, width, out, &no), 0);

		/* the same by the reference: base then changes, later wins */
		struct dirtrie_prefix *all = calloc(nb + n_raw + 1, sizeof(*all));
		memcpy(all, base, nb * sizeof(*all));
		memcpy(all + nb, rc, n_raw * sizeof(*all));
		struct ref ref;
		ref_init(&ref, width, 0, all, nb + n_raw);
		size_t k = 0;
		for (size_t i = 0; i < ref.n; i++) {
			if (ref.p[i].value == DIRTRIE_REMOVE)
				continue;
			assert_true(k < no);
			if (ref_cmp_key(&ref.p[i], &out[k])) {
				fprintf(stderr, "W=%u at %zu: ref ", width, k);
				print_key(ref.p[i].k);
				fprintf(stderr, "/%u=%u, merge ", ref.p[i].len, ref.p[i].value);
				print_key(out[k].k);
				fprintf(stderr, "/%u=%u\n", out[k].len, out[k].value);
			}
			assert_int_equal(ref_cmp_key(&ref.p[i], &out[k]), 0);
			assert_int_equal(ref.p[i].value, out[k].value);
			k++;
		}
		assert_int_equal(k, no);
		ref_free(&ref);
		free(all);
		free(out);
		free(chg);
		free(rc);
		free(base);
		free(rb);
	}
	struct dirtrie_prefix un[2] = { { .k = { 2 }, .len = 32 }, { .k = { 1 }, .len = 32 } };
	struct dirtrie_prefix out[4];
	size_t no;
	assert_int_equal(dirtrie_merge(un, 2, NULL, 0, 32, out, &no), -EINVAL);
}

/* ---- sizes and timings ------------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

enum perf_mix {
	MIX_UNIFORM,  /* lengths uniform in [lmin, lmax], every value 1 */
	MIX_HOLES,    /* the same, values 0 or 1 at random: nothing collapses */
	MIX_BLOCKLIST /* 50% /W, 30% /W-8, 20% uniform [16, W-1], values 1 */
};

static const char *const mix_names[] = { "uniform", "uniform, values 0/1",
					 "blocklist mix (50% /32, 30% /24, 20% /16-/31)" };

/* A random membership set of n prefixes, built with room for a live
 * update, then n_changes of them changed; prints the figures. */
static void perf_case(unsigned width, size_t n, unsigned lmin, unsigned lmax,
		      enum perf_mix mix, size_t n_changes)
{
	struct rng r = { 0x9e3779b97f4a7c15ull ^ n ^ width ^ mix };
	struct dirtrie_prefix *raw = gen_prefixes(&r, width, n, lmin, lmax, 0, 0, 1);
	for (size_t i = 0; i < n; i++) {
		raw[i].value = mix == MIX_HOLES ? rnd32(&r) & 1 : 1;
		unsigned pick = rnd32(&r) % 10;
		if (mix == MIX_BLOCKLIST)
			raw[i].len = pick < 5 ? width : pick < 8 ? width - 8 :
				     rnd_in(&r, 16, width - 1);
	}
	size_t m = n;
	double t0 = now_ms();
	assert_int_equal(dirtrie_normalise(raw, &m, width), 0);
	double t1 = now_ms();
	struct dirtrie_size cap;
	assert_int_equal(dirtrie_capacity(raw, m, width, true, 0, &cap), 0);
	double t2 = now_ms();
	/* the sizing rule for live updates: old and new at once */
	struct dirtrie *t = trie_new(width, true, 2 * cap.nodes + 64, 2 * cap.bits + 64);
	double t3 = now_ms();
	assert_int_equal(dirtrie_build(t, raw, m, 0), 0);
	double t4 = now_ms();
	assert_int_equal(dirtrie_flip(t), 0);
	printf("  W=%u %zu prefixes /%u-/%u %s (%zu unique): %llu nodes (%.1f MiB), %llu bitmaps (%.1f MiB)\n"
	       "    normalise %.1f ms, capacity %.1f ms, build %.1f ms\n",
	       width, n, lmin, lmax, mix_names[mix], m, (unsigned long long)cap.nodes,
	       cap.nodes * 1024.0 / (1 << 20), (unsigned long long)cap.bits,
	       cap.bits * 32.0 / (1 << 20), t1 - t0, t2 - t1, t4 - t3);

	if (n_changes) {
		/* half additions like the set's, half removals of members */
		struct dirtrie_prefix *chg = gen_prefixes(&r, width, n_changes, lmin, lmax,
							  0, 0, 1);
		for (size_t i = 0; i < n_changes; i++) {
			if (i % 2)
				chg[i] = raw[rnd32(&r) % m];
			else if (mix == MIX_BLOCKLIST)
				chg[i].len = width;
			chg[i].value = i % 2 ? DIRTRIE_REMOVE : 1;
		}
		size_t nc = n_changes, nn;
		struct dirtrie_prefix *next = malloc((m + nc) * sizeof(*next));
		assert_non_null(next);
		double u0 = now_ms();
		assert_int_equal(dirtrie_normalise(chg, &nc, width), 0);
		assert_int_equal(dirtrie_merge(raw, m, chg, nc, width, next, &nn), 0);
		double u1 = now_ms();
		assert_int_equal(dirtrie_update(t, next, nn, chg, nc, 0), 0);
		double u2 = now_ms();
		assert_int_equal(dirtrie_flip(t), 0);
		printf("    update of %zu prefixes: normalise+merge %.1f ms, incremental build %.1f ms\n",
		       n_changes, u1 - u0, u2 - u1);
		/* spot check around the changes: the new list is normalised
		 * already, so it serves as the reference's table */
		struct ref whole = { .width = width, .dflt = 0, .n = nn, .p = next };
		size_t nk;
		uint32_t(*keys)[4] = gen_keys(&r, width, chg, nc, 1000, &nk);
		for (size_t i = 0; i < nk; i++)
			assert_int_equal(dirtrie_lookup(t, keys[i]), ref_lookup(&whole, keys[i]));
		free(keys);
		free(next);
		free(chg);
	}
	trie_free(t);
	free(raw);
}

static void test_sizes_and_timings(void **state)
{
	printf("dirtrie figures (this build%s):\n",
#if defined(__SANITIZE_ADDRESS__)
	       ", ASan"
#else
	       ""
#endif
	);
	bool big = getenv("DIRTRIE_BENCH") != NULL;

	for (enum perf_mix mix = MIX_UNIFORM; mix <= MIX_BLOCKLIST; mix++) {
		perf_case(32, 100000, 8, 32, mix, 1000);
		if (big)
			perf_case(32, 1000000, 8, 32, mix, 1000);
	}
	perf_case(128, 100000, 32, 64, MIX_UNIFORM, 1000);
	if (big)
		perf_case(128, 100000, 32, 128, MIX_UNIFORM, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_is_brute_force),
		cmocka_unit_test(test_w16_exhaustive),
		cmocka_unit_test(test_w32_random),
		cmocka_unit_test(test_w128_random),
		cmocka_unit_test(test_membership_bitmaps),
		cmocka_unit_test(test_default_and_slash0),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_rebuild_keeps_active),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_update_needs_matching_build),
		cmocka_unit_test(test_enospc_keeps_active),
		cmocka_unit_test(test_capacity_and_bound),
		cmocka_unit_test(test_corrupt_active),
		cmocka_unit_test(test_normalise_and_merge),
		cmocka_unit_test(test_sizes_and_timings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
