// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_meta: runtime/meta.c, the validator of an artifact's ".polc.meta".
 * A valid blob parses; every single-byte corruption, every truncation and
 * thousands of random corruptions are either refused with a reason or
 * parse into records whose every string and rule is in bounds (ASan checks
 * the reads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "polrt.h"

struct blob {
	struct polc_meta_header h;
	struct polc_meta_policy pol[2];
	struct polc_meta_prog prog[2];
	struct polc_meta_rule rule[3];
	char s[80];
};

static void make(struct blob *b)
{
	static const char strings[] = "\0polc 0.1.0\0x.pol\0web\0pol_web\0rules\0reasons\0"
				      "pass tcp\0ssh\0eg\0pol_eg";
	memset(b, 0, sizeof(*b));
	_Static_assert(sizeof(strings) <= sizeof(b->s), "strings fit");
	memcpy(b->s, strings, sizeof(strings));
	b->h = (struct polc_meta_header){
		.magic = POLC_META_MAGIC,
		.version = POLC_META_VERSION,
		.header_size = sizeof(struct polc_meta_header),
		.total_size = sizeof(*b),
		.n_policies = 2,
		.policies_off = offsetof(struct blob, pol),
		.n_progs = 2,
		.progs_off = offsetof(struct blob, prog),
		.n_rules = 3,
		.rules_off = offsetof(struct blob, rule),
		.strings_off = offsetof(struct blob, s),
		.strings_size = sizeof(b->s),
		.compiler_str = 1,
		.source_str = 12,
	};
	b->pol[0] = (struct polc_meta_policy){ .name_str = 18, .rules_map_str = 30,
					       .reasons_map_str = 36, .first_prog = 0,
					       .n_progs = 1, .first_rule = 0, .n_rules = 2 };
	b->pol[1] = (struct polc_meta_policy){ .name_str = 57, .rules_map_str = 30,
					       .reasons_map_str = 36, .first_prog = 1,
					       .n_progs = 1, .first_rule = 2, .n_rules = 1,
					       .default_verdict = POLC_VERDICT_DROP };
	b->prog[0] = (struct polc_meta_prog){ .name_str = 22, .hook = POLC_HOOK_XDP };
	b->prog[1] = (struct polc_meta_prog){ .name_str = 60, .hook = POLC_HOOK_TC_EGRESS };
	b->rule[0] = (struct polc_meta_rule){ .id = 1, .line = 3, .text_str = 44 };
	b->rule[1] = (struct polc_meta_rule){ .id = 2, .line = 4, .text_str = 44, .label_str = 53 };
	b->rule[2] = (struct polc_meta_rule){ .id = 1, .line = 9, .verdict = POLC_VERDICT_DROP };
}

/* Touch everything a reader may touch after a successful parse. */
static size_t walk(const struct polrt_meta *m)
{
	size_t sum = strlen(polrt_meta_str(m, m->hdr->compiler_str)) +
		     strlen(polrt_meta_str(m, m->hdr->source_str));

	for (uint32_t i = 0; i < m->hdr->n_policies; i++) {
		const struct polc_meta_policy *p = &m->policies[i];
		sum += strlen(polrt_meta_str(m, p->name_str));
		sum += strlen(polrt_meta_str(m, m->progs[p->first_prog].name_str));
		for (uint32_t j = 0; j < p->n_rules; j++) {
			const struct polc_meta_rule *r = &m->rules[p->first_rule + j];
			sum += strlen(polrt_meta_str(m, r->text_str)) +
			       strlen(polrt_meta_str(m, r->label_str)) + r->line;
		}
	}
	return sum;
}

static int parse_copy(const void *data, size_t len, struct polrt_meta *m, void **buf)
{
	char why[256];

	*buf = aligned_alloc(8, len ? (len + 7) & ~(size_t)7 : 8);
	assert_non_null(*buf);
	memcpy(*buf, data, len);
	int err = polrt_meta_parse(*buf, len, m, why, sizeof(why));
	if (err)
		assert_true(why[0] != '\0'); /* a refusal says why */
	return err;
}

static void test_valid_blob_parses(void **state)
{
	struct blob b;
	struct polrt_meta m;
	void *buf;
	(void)state;

	make(&b);
	assert_int_equal(parse_copy(&b, sizeof(b), &m, &buf), 0);
	assert_int_equal(m.hdr->n_policies, 2);
	assert_string_equal(polrt_meta_str(&m, m.policies[0].name_str), "web");
	assert_string_equal(polrt_meta_str(&m, m.rules[1].label_str), "ssh");
	assert_non_null(polrt_meta_policy(&m, "eg"));
	assert_null(polrt_meta_policy(&m, "nope"));
	assert_true(walk(&m) > 0);
	free(buf);
}

static void test_every_truncation_is_refused(void **state)
{
	struct blob b;
	struct polrt_meta m;
	void *buf;
	(void)state;

	make(&b);
	for (size_t len = 0; len < sizeof(b); len++) {
		assert_int_not_equal(parse_copy(&b, len, &m, &buf), 0);
		free(buf);
	}
}

static void test_every_byte_corruption_is_safe(void **state)
{
	static const int values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, -1 /* flip */ };
	struct blob b;
	struct polrt_meta m;
	void *buf;
	size_t accepted = 0, refused = 0;
	(void)state;

	make(&b);
	for (size_t i = 0; i < sizeof(b); i++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			struct blob c = b;
			uint8_t *p = (uint8_t *)&c + i;
			*p = values[v] < 0 ? (uint8_t)~*p : (uint8_t)values[v];
			if (parse_copy(&c, sizeof(c), &m, &buf) == 0) {
				walk(&m);
				accepted++;
			} else {
				refused++;
			}
			free(buf);
		}
	}
	/* corrupting a string's text or padding is harmless; structure is not */
	assert_true(refused > 0 && accepted > 0);
}

static void test_random_corruption_is_safe(void **state)
{
	struct blob b;
	struct polrt_meta m;
	void *buf;
	uint32_t x = 12345;
	(void)state;

	make(&b);
	for (int round = 0; round < 20000; round++) {
		struct blob c = b;
		int n = 1 + (int)(x % 4);
		for (int k = 0; k < n; k++) {
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % sizeof(c);
			x = x * 1103515245u + 12345u;
			((uint8_t *)&c)[at] = (uint8_t)(x >> 16);
		}
		x = x * 1103515245u + 12345u;
		size_t len = (x >> 4) % 8 == 0 ? (x >> 12) % sizeof(c) : sizeof(c);
		if (parse_copy(&c, len, &m, &buf) == 0)
			walk(&m);
		free(buf);
	}
}

static void test_misaligned_or_null_is_refused(void **state)
{
	struct blob b;
	struct polrt_meta m;
	char why[128];
	(void)state;

	make(&b);
	char *raw = aligned_alloc(8, sizeof(b) + 8);
	memcpy(raw + 1, &b, sizeof(b));
	assert_int_not_equal(polrt_meta_parse(raw + 1, sizeof(b), &m, why, sizeof(why)), 0);
	assert_int_not_equal(polrt_meta_parse(NULL, 0, &m, why, sizeof(why)), 0);
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_blob_parses),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_every_byte_corruption_is_safe),
		cmocka_unit_test(test_random_corruption_is_safe),
		cmocka_unit_test(test_misaligned_or_null_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
