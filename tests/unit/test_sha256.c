// SPDX-License-Identifier: BSD-2-Clause
/* test_sha256.c: common/sha256.c against the FIPS 180-4 test vectors. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void expect_hex(const uint8_t d[SHA256_DIGEST_LEN], const char *want)
{
	char hex[65];

	sha256_hex(d, hex);
	assert_string_equal(hex, want);
}

static void test_empty(void **state)
{
	uint8_t d[SHA256_DIGEST_LEN];

	sha256("", 0, d);
	expect_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	uint8_t d[SHA256_DIGEST_LEN];

	sha256("abc", 3, d);
	expect_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_two_blocks(void **state)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[SHA256_DIGEST_LEN];

	sha256(m, strlen(m), d);
	expect_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a_in_uneven_pieces(void **state)
{
	struct sha256 s;
	uint8_t d[SHA256_DIGEST_LEN];
	char *a = malloc(1000000);

	assert_non_null(a);
	memset(a, 'a', 1000000);
	sha256_init(&s);
	/* pieces that straddle the 64-byte blocks */
	size_t off = 0, piece = 1;
	while (off < 1000000) {
		size_t n = piece < 1000000 - off ? piece : 1000000 - off;
		sha256_update(&s, a + off, n);
		off += n;
		piece = piece * 3 % 1000 + 1;
	}
	sha256_final(&s, d);
	free(a);
	expect_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_lengths_around_the_padding_boundary(void **state)
{
	/* one call and byte-at-a-time agree for every length near 55/56/64 */
	char m[130];

	memset(m, 'x', sizeof(m));
	for (size_t len = 50; len < sizeof(m); len++) {
		uint8_t one[SHA256_DIGEST_LEN], bytes[SHA256_DIGEST_LEN];
		struct sha256 s;

		sha256(m, len, one);
		sha256_init(&s);
		for (size_t i = 0; i < len; i++)
			sha256_update(&s, m + i, 1);
		sha256_final(&s, bytes);
		assert_memory_equal(one, bytes, SHA256_DIGEST_LEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_two_blocks),
		cmocka_unit_test(test_million_a_in_uneven_pieces),
		cmocka_unit_test(test_lengths_around_the_padding_boundary),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
