/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * maglev.h: Maglev consistent hashing (Eisenbud et al., NSDI 2016), the
 * table builder.
 *
 * A service's table has M slots, M prime; slot s holds the backend that
 * flows hashing to s go to (bpf-templates/polc_nat.h reads it as
 * table[hash(5-tuple) % M]).  Each backend has a permutation of the slots,
 * made from two hashes of its identity (any bytes: its address and port, as
 * polctl writes them):
 *
 *	offset = h1(id) % M,  skip = h2(id) % (M - 1) + 1,
 *	permutation[j] = (offset + j * skip) % M
 *
 * (M prime, so every skip walks all M slots).  Backends take turns claiming
 * the next slot of their permutation that is still free until the table is
 * full.  Hence:
 *  - balance: every backend gets floor(M/N) or ceil(M/N) slots;
 *  - disruption: removing one of N backends moves its slots (1/N of the
 *    table) and only a few others (the paper: a small fraction, lower for
 *    larger M/N);
 *  - determinism: the table depends on the SET of identities and M, not on
 *    the order they are given in (they are sorted by identity before taking
 *    turns), so every node builds the same table from the same pool.
 *
 * Table size: a prime.  Balance holds for any M >= N, but how many OTHER
 * slots move when a backend goes depends on M/N (measured, removal of one
 * backend, as a multiple of the ideal 1/N): M/N = 6553: 1.02x, 1310: 1.2x,
 * 655: 1.6x, 200: 1.35-2x, 40: 4x (adding one: about the same).  So size
 * tables M >= 1000 * N (within 1.4x) where
 * consistency matters: MAGLEV_M_DEFAULT (65537, the paper's) for pools of up
 * to ~65 backends, maglev_prime_at_least(1000 * N) above.  Building costs
 * O(M log M) expected, a few ms for M = 65537.
 */
#ifndef POLC_MAGLEV_H
#define POLC_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAGLEV_M_DEFAULT 65537u
#define MAGLEV_M_MAX 16777259u /* the first prime above 2^24: keeps j * skip in 64 bits trivially */

/* Seeds of the two hashes of an identity. */
#define MAGLEV_SEED_OFFSET 0x6d61676c65763031ull /* "maglev01" */
#define MAGLEV_SEED_SKIP 0x6d61676c65763032ull   /* "maglev02" */

/* A backend's identity: the bytes its permutation is made from. */
struct maglev_id {
	const void *data;
	size_t len;
};

/* Is m prime?  (Trial division: m is a table size, at most MAGLEV_M_MAX.) */
bool maglev_is_prime(uint32_t m);

/* The smallest prime >= n, or 0 if that is past MAGLEV_M_MAX. */
uint32_t maglev_prime_at_least(uint32_t n);

/* The 64-bit hash of len bytes under seed (FNV-1a, then a splitmix64
 * finaliser so that nearby identities and the two seeds are independent). */
uint64_t maglev_hash(const void *data, size_t len, uint64_t seed);

/*
 * The hash a flow indexes a Maglev table with, table[hash % M]: murmur3
 * (seed 0) of ten 32-bit words, src[4], dst[4] (host order, as in struct
 * polc_ct_key), sport << 16 | dport, family << 8 | proto.  The datapath
 * computes the same (bpf-templates/polc_nat.h, polc_nat_flow_hash()), so
 * the interpreter and the tests can say which backend a flow gets.
 */
uint32_t maglev_flow_hash(const uint32_t src[4], const uint32_t dst[4], uint16_t sport,
			  uint16_t dport, uint8_t proto, uint8_t family);

/*
 * Fill table[0 .. m) with indices into ids[0 .. n): the Maglev table of
 * the n backends.  m must be prime, >= n and <= MAGLEV_M_MAX; n >= 1.
 * Returns 0, -EINVAL or -ENOMEM (the table is then unchanged).
 */
int maglev_build(uint32_t *table, uint32_t m, const struct maglev_id *ids, uint32_t n);

#endif /* POLC_MAGLEV_H */
