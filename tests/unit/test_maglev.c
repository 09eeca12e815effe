// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_maglev.c: common/maglev.c, the Maglev table builder: primes, the
 * balance of tables (every backend within one slot of M/N, so well within
 * "a few percent"), how few slots move when one backend goes or comes (about
 * 1/N), independence from the order backends are given in, a fixed table
 * for a fixed pool (nodes and versions must agree), and argument errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "maglev.h"

/* What test_fixed_table() expects (computed once with this implementation;
 * a change here breaks consistency between nodes running different builds). */
#define MAGLEV_FIXED_13 "2131203044201"
#define MAGLEV_FIXED_HASH 0xe029c704ca3ca1eaull
#define MAGLEV_HASH_EMPTY 0xf52a15e9a9b5e89bull

/* Backend identities as polctl might write them: "10.0.<i/256>.<i%256>:8080". */
struct pool {
	char text[1024][32];
	struct maglev_id id[1024];
	uint32_t n;
};

static void pool_make(struct pool *p, uint32_t n, uint32_t first)
{
	assert_true(n <= 1024);
	p->n = n;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t b = first + i;
		snprintf(p->text[i], sizeof(p->text[i]), "10.0.%u.%u:8080", b / 256, b % 256);
		p->id[i].data = p->text[i];
		p->id[i].len = strlen(p->text[i]);
	}
}

/* The pool without backend k: ids of the others, in order. */
static void pool_without(const struct pool *p, uint32_t k, struct maglev_id *out)
{
	for (uint32_t i = 0, j = 0; i < p->n; i++)
		if (i != k)
			out[j++] = p->id[i];
}

static uint32_t *build(uint32_t m, const struct maglev_id *ids, uint32_t n)
{
	uint32_t *t = calloc(m, sizeof(*t));

	assert_non_null(t);
	assert_int_equal(maglev_build(t, m, ids, n), 0);
	for (uint32_t s = 0; s < m; s++)
		assert_true(t[s] < n);
	return t;
}

/* ---- primes ------------------------------------------------------------------ */

static void test_primes(void **state)
{
	enum { LIMIT = 200000 };
	char *composite = calloc(LIMIT, 1);

	assert_non_null(composite);
	composite[0] = composite[1] = 1;
	for (uint32_t i = 2; i * i < LIMIT; i++)
		if (!composite[i])
			for (uint32_t j = i * i; j < LIMIT; j += i)
				composite[j] = 1;
	for (uint32_t i = 0; i < LIMIT; i++)
		assert_int_equal(maglev_is_prime(i), !composite[i]);
	for (uint32_t i = 0; i < 1000; i++) {
		uint32_t q = maglev_prime_at_least(i);
		assert_true(q >= i && maglev_is_prime(q));
		for (uint32_t j = i; j < q; j++)
			assert_false(maglev_is_prime(j));
	}
	assert_true(maglev_is_prime(MAGLEV_M_DEFAULT));
	assert_true(maglev_is_prime(MAGLEV_M_MAX));
	assert_int_equal(maglev_prime_at_least(MAGLEV_M_MAX), MAGLEV_M_MAX);
	assert_int_equal(maglev_prime_at_least(MAGLEV_M_MAX + 1), 0);
	free(composite);
}

/* ---- balance ------------------------------------------------------------------ */

/* Every backend gets floor(M/N) or ceil(M/N) slots. */
static void expect_balanced(uint32_t m, uint32_t n)
{
	struct pool *p = calloc(1, sizeof(*p));
	uint32_t *count = calloc(n, sizeof(*count));

	assert_non_null(p);
	assert_non_null(count);
	pool_make(p, n, 11);
	uint32_t *t = build(m, p->id, n);
	for (uint32_t s = 0; s < m; s++)
		count[t[s]]++;
	uint32_t lo = m / n, hi = (m + n - 1) / n, min = UINT32_MAX, max = 0;
	for (uint32_t i = 0; i < n; i++) {
		assert_true(count[i] >= lo && count[i] <= hi);
		min = count[i] < min ? count[i] : min;
		max = count[i] > max ? count[i] : max;
	}
	printf("  M %6u N %4u: slots per backend %u..%u (M/N %.1f, spread %.3f%%)\n", m, n, min,
	       max, (double)m / n, 100.0 * (max - min) / ((double)m / n));
	free(t);
	free(count);
	free(p);
}

static void test_balance(void **state)
{
	static const uint32_t ns[] = { 1, 2, 3, 7, 10, 64, 100, 650, 1024 };

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		expect_balanced(MAGLEV_M_DEFAULT, ns[i]);
	expect_balanced(1021, 10);
	expect_balanced(4099, 40);
	expect_balanced(7, 7);
	expect_balanced(7, 3);
}

/* ---- disruption ----------------------------------------------------------------- */

/*
 * Remove backend k of N: every slot of k moves (it must), and few others do.
 * Returns the fraction of the table that moved.
 */
static double removal(const struct pool *p, uint32_t m, uint32_t k, const uint32_t *before)
{
	struct maglev_id rest[1024];

	pool_without(p, k, rest);
	uint32_t *after = build(m, rest, p->n - 1);
	uint32_t moved = 0, of_k = 0;
	for (uint32_t s = 0; s < m; s++) {
		/* indices of the smaller pool: i < k same backend, i >= k is i + 1 */
		uint32_t b = after[s] < k ? after[s] : after[s] + 1;
		if (before[s] == k) {
			of_k++;
			assert_int_not_equal(b, k);
			moved++;
		} else if (b != before[s]) {
			moved++;
		}
	}
	free(after);
	return (double)moved / m;
}

static void test_removal(void **state)
{
	static const uint32_t ns[] = { 2, 5, 10, 20, 50, 100, 500 };
	struct pool *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint32_t n = ns[i], m = MAGLEV_M_DEFAULT;
		pool_make(p, n, 3);
		uint32_t *before = build(m, p->id, n);
		double worst = 0, sum = 0;
		uint32_t tries = n < 10 ? n : 10;
		for (uint32_t t = 0; t < tries; t++) {
			uint32_t k = (uint32_t)((uint64_t)t * n / tries);
			double f = removal(p, m, k, before);
			sum += f;
			worst = f > worst ? f : worst;
		}
		double ideal = 1.0 / n;
		printf("  M %u N %3u (M/N %5u): removing one backend moves %.2f%% of the slots on "
		       "average, %.2f%% at worst (ideal 1/N = %.2f%%)\n",
		       m, n, m / n, 100 * sum / tries, 100 * worst, 100 * ideal);
		free(before);
		/* the paper's disruption: a little more than the removed share,
		 * the less the larger M/N (maglev.h: M >= 1000 N for <= 1.4x) */
		if (m / n >= 1000)
			assert_true(worst <= ideal * 1.4);
		else
			assert_true(worst <= ideal * 2 + 0.01);
	}
	free(p);
}

/* Adding a backend to N takes about 1/(N+1) of the slots, moving few others. */
static void test_addition(void **state)
{
	struct pool *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	for (uint32_t n = 4; n <= 256; n *= 4) {
		uint32_t m = MAGLEV_M_DEFAULT;
		pool_make(p, n + 1, 40);
		uint32_t *small = build(m, p->id, n), *big = build(m, p->id, n + 1);
		uint32_t moved = 0, to_new = 0;
		for (uint32_t s = 0; s < m; s++) {
			moved += small[s] != big[s];
			to_new += big[s] == n;
		}
		double f = (double)moved / m, ideal = 1.0 / (n + 1);
		printf("  M %u N %3u -> %3u: %.2f%% of the slots move (the new backend's share %.2f%%)\n",
		       m, n, n + 1, 100 * f, 100.0 * to_new / m);
		free(small);
		free(big);
		if (m / (n + 1) >= 1000)
			assert_true(f <= ideal * 1.4);
		else
			assert_true(f <= ideal * 2 + 0.01);
	}
	free(p);
}

/* ---- determinism ---------------------------------------------------------------- */

/* The table maps identities to slots the same way whatever their order. */
static void test_order_independent(void **state)
{
	struct pool *p = calloc(1, sizeof(*p));
	struct maglev_id shuffled[64];
	uint32_t perm[64];
	uint64_t x = 0x1234567;

	assert_non_null(p);
	pool_make(p, 64, 100);
	uint32_t m = 4099;
	uint32_t *a = build(m, p->id, 64);
	for (uint32_t i = 0; i < 64; i++)
		perm[i] = i;
	for (uint32_t i = 63; i > 0; i--) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t j = (uint32_t)((x >> 33) % (i + 1)), tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (uint32_t i = 0; i < 64; i++)
		shuffled[i] = p->id[perm[i]];
	uint32_t *b = build(m, shuffled, 64);
	for (uint32_t s = 0; s < m; s++)
		assert_int_equal(perm[b[s]], a[s]);
	free(a);
	free(b);
	free(p);
}

/* A fixed pool gives a fixed table: the algorithm and its hashes are part of
 * the contract between nodes (and polctl versions) that share a service. */
static void test_fixed_table(void **state)
{
	struct pool *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	pool_make(p, 5, 11);
	uint32_t *t = build(13, p->id, 5);
	char got[64] = "";
	for (uint32_t s = 0; s < 13; s++)
		got[s] = (char)('0' + t[s]);
	printf("  M 13, 10.0.0.11..15:8080: %s\n", got);
	uint32_t *big = build(MAGLEV_M_DEFAULT, p->id, 5);
	uint64_t h = maglev_hash(big, (size_t)MAGLEV_M_DEFAULT * sizeof(*big), 0);
	printf("  M 65537: table hash %016llx\n", (unsigned long long)h);
	assert_string_equal(got, MAGLEV_FIXED_13);
	assert_true(h == MAGLEV_FIXED_HASH);
	/* and the hash function itself */
	assert_true(maglev_hash("", 0, 0) == MAGLEV_HASH_EMPTY);
	assert_true(maglev_hash("10.0.0.11:8080", 14, MAGLEV_SEED_OFFSET) !=
		    maglev_hash("10.0.0.11:8080", 14, MAGLEV_SEED_SKIP));
	free(t);
	free(big);
	free(p);
}

static void test_errors(void **state)
{
	uint32_t t[16];
	struct maglev_id id[2] = { { "a", 1 }, { "b", 1 } };

	assert_int_equal(maglev_build(t, 15, id, 2), -EINVAL); /* not prime */
	assert_int_equal(maglev_build(t, 1, id, 2), -EINVAL);  /* smaller than N */
	assert_int_equal(maglev_build(t, 13, id, 0), -EINVAL);
	assert_int_equal(maglev_build(NULL, 13, id, 2), -EINVAL);
	assert_int_equal(maglev_build(t, 13, NULL, 2), -EINVAL);
	struct maglev_id bad = { NULL, 3 };
	assert_int_equal(maglev_build(t, 13, &bad, 1), -EINVAL);
	/* one backend takes everything; M = N works */
	assert_int_equal(maglev_build(t, 13, id, 1), 0);
	for (int s = 0; s < 13; s++)
		assert_int_equal(t[s], 0);
	assert_int_equal(maglev_build(t, 2, id, 2), 0);
	assert_int_equal(t[0] + t[1], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primes),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_removal),
		cmocka_unit_test(test_addition),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_fixed_table),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
