// SPDX-License-Identifier: BSD-2-Clause
/*
 * maglev.c: the Maglev table builder (see maglev.h).
 */
#include "maglev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool maglev_is_prime(uint32_t m)
{
	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= m; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

uint32_t maglev_prime_at_least(uint32_t n)
{
	for (uint64_t m = n < 2 ? 2 : n; m <= MAGLEV_M_MAX; m++)
		if (maglev_is_prime((uint32_t)m))
			return (uint32_t)m;
	return 0;
}

uint64_t maglev_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *b = data;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	/* splitmix64's finaliser: every input bit moves every output bit */
	h ^= (uint64_t)len;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

/* A backend while the table fills: where its permutation is. */
struct mg_perm {
	uint32_t index; /* in the caller's ids[] */
	uint32_t pos;   /* the next slot of its permutation to try */
	uint32_t skip;
	const struct maglev_id *id;
};

/* Identity order: by bytes, then length, then the caller's index (only
 * equal identities get that far: they are the same backend anyway). */
static int perm_cmp(const void *a, const void *b)
{
	const struct mg_perm *x = a, *y = b;
	size_t n = x->id->len < y->id->len ? x->id->len : y->id->len;
	int c = n ? memcmp(x->id->data, y->id->data, n) : 0;

	if (c)
		return c;
	if (x->id->len != y->id->len)
		return x->id->len < y->id->len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

int maglev_build(uint32_t *table, uint32_t m, const struct maglev_id *ids, uint32_t n)
{
	if (!table || !ids || n == 0 || m < n || m > MAGLEV_M_MAX || !maglev_is_prime(m))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (ids[i].len && !ids[i].data)
			return -EINVAL;

	struct mg_perm *p = calloc(n, sizeof(*p));
	uint32_t *t = malloc((size_t)m * sizeof(*t));
	if (!p || !t) {
		free(p);
		free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		p[i].index = i;
		p[i].id = &ids[i];
		p[i].pos = (uint32_t)(maglev_hash(ids[i].data, ids[i].len, MAGLEV_SEED_OFFSET) % m);
		p[i].skip = (uint32_t)(maglev_hash(ids[i].data, ids[i].len, MAGLEV_SEED_SKIP) %
				       (m - 1)) + 1;
	}
	/* the order of turns: by identity, not as given */
	qsort(p, n, sizeof(*p), perm_cmp);

	const uint32_t empty = UINT32_MAX;
	for (uint32_t s = 0; s < m; s++)
		t[s] = empty;
	for (uint32_t filled = 0;;) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t c = p[i].pos;

			while (t[c] != empty)
				c = (uint32_t)(((uint64_t)c + p[i].skip) % m);
			t[c] = p[i].index;
			p[i].pos = (uint32_t)(((uint64_t)c + p[i].skip) % m);
			if (++filled == m)
				goto done;
		}
	}
done:
	memcpy(table, t, (size_t)m * sizeof(*t));
	free(t);
	free(p);
	return 0;
}

/* ---- the flow hash ---------------------------------------------------------- */

static uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t murmur_mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

uint32_t maglev_flow_hash(const uint32_t src[4], const uint32_t dst[4], uint16_t sport,
			  uint16_t dport, uint8_t proto, uint8_t family)
{
	uint32_t h = 0;

	for (int i = 0; i < 4; i++)
		h = murmur_mix(h, src[i]);
	for (int i = 0; i < 4; i++)
		h = murmur_mix(h, dst[i]);
	h = murmur_mix(h, (uint32_t)sport << 16 | dport);
	h = murmur_mix(h, (uint32_t)family << 8 | proto);
	/* murmur3's finaliser, for 40 bytes */
	h ^= 40;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}
