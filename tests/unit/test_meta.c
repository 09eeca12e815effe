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

/* ---- NAT records ---------------------------------------------------------- */

/*
 * One tracked policy "lb" with four rules: 1 dnat maglev (2 backends), 2 a
 * pass, 3 snat to the interface, 4 snat to a fixed address.
 */
struct nblob {
	struct polc_meta_header h;
	struct polc_meta_policy pol[1];
	struct polc_meta_prog prog[2];
	struct polc_meta_rule rule[4];
	struct polc_meta_nat nat[3];
	char s[48];
};

struct ndata {
	struct polc_nat_backend be[2];
	uint32_t pad[2]; /* keeps the section a multiple of 8 */
};

static void make_nat(struct nblob *b, struct ndata *d)
{
	static const char strings[] = "\0polc 0.1.0\0lb.pol\0lb\0pol_lb\0r\0q\0pol_lb_t\0web";
	memset(b, 0, sizeof(*b));
	memset(d, 0, sizeof(*d));
	_Static_assert(sizeof(strings) <= sizeof(b->s), "strings fit");
	memcpy(b->s, strings, sizeof(strings));
	b->h = (struct polc_meta_header){
		.magic = POLC_META_MAGIC,
		.version = POLC_META_VERSION,
		.header_size = sizeof(struct polc_meta_header),
		.total_size = sizeof(*b),
		.n_policies = 1,
		.policies_off = offsetof(struct nblob, pol),
		.n_progs = 2,
		.progs_off = offsetof(struct nblob, prog),
		.n_rules = 4,
		.rules_off = offsetof(struct nblob, rule),
		.strings_off = offsetof(struct nblob, s),
		.strings_size = sizeof(b->s),
		.compiler_str = 1,
		.source_str = 12,
		.data_size = sizeof(*d),
		.n_nats = 3,
		.nats_off = offsetof(struct nblob, nat),
	};
	b->pol[0] = (struct polc_meta_policy){ .name_str = 19, .rules_map_str = 29,
					       .reasons_map_str = 31, .n_progs = 2, .n_rules = 4,
					       .n_nats = 3 };
	b->prog[0] = (struct polc_meta_prog){ .name_str = 22, .hook = POLC_HOOK_TC_INGRESS };
	b->prog[1] = (struct polc_meta_prog){ .name_str = 33, .hook = POLC_HOOK_TC_EGRESS };
	for (uint32_t i = 0; i < 4; i++)
		b->rule[i] = (struct polc_meta_rule){ .id = i + 1, .line = 5 + i };
	b->rule[0].label_str = 42;
	b->nat[0] = (struct polc_meta_nat){ .kind = POLC_NAT_DNAT, .rule = 1,
					    .balance = POLC_NAT_BALANCE_MAGLEV, .n_backends = 2,
					    .family = 4 };
	b->nat[1] = (struct polc_meta_nat){ .kind = POLC_NAT_SNAT, .rule = 3,
					    .flags = POLC_NAT_F_IFADDR };
	b->nat[2] = (struct polc_meta_nat){ .kind = POLC_NAT_SNAT, .rule = 4, .index = 1,
					    .port_min = 40000, .port_max = 40001, .family = 4,
					    .addr = { 0xc0000201 } };
	d->be[0] = (struct polc_nat_backend){ .addr = { 0x0a020102 }, .port = 8080, .family = 4 };
	d->be[1] = (struct polc_nat_backend){ .addr = { 0x0a020202 }, .port = 8080, .family = 4 };
}

/* Parse a nat blob and check its data; the reason in why. */
static int parse_nat(const struct nblob *b, const struct ndata *d, char *why, size_t len)
{
	void *buf = aligned_alloc(8, sizeof(*b));
	void *data = aligned_alloc(8, sizeof(*d));
	struct polrt_meta m;

	assert_non_null(buf);
	assert_non_null(data);
	memcpy(buf, b, sizeof(*b));
	memcpy(data, d, sizeof(*d));
	why[0] = '\0';
	int err = polrt_meta_parse(buf, sizeof(*b), &m, why, len);
	err = err ?: polrt_meta_check_data(&m, sizeof(*d), why, len);
	err = err ?: polrt_meta_check_backends(&m, data, sizeof(*d), why, len);
	if (!err) {
		/* everything a loader reads of it */
		const struct polc_meta_policy *p = &m.policies[0];
		for (uint32_t i = 0; i < p->n_nats; i++) {
			const struct polc_meta_nat *n = &m.nats[p->first_nat + i];
			const struct polc_nat_backend *be = polrt_meta_nat_backends(&m, n, data);
			assert_true(strlen(polrt_meta_str(&m, polrt_meta_nat_rule(&m, p, n)->label_str)) < 64);
			for (uint32_t k = 0; be && k < n->n_backends; k++)
				assert_true(be[k].family == 4 || be[k].family == 6);
		}
	} else {
		assert_true(why[0] != '\0');
	}
	free(buf);
	free(data);
	return err;
}

static void test_nat_valid(void **state)
{
	struct nblob b;
	struct ndata d;
	struct polrt_meta m;
	char why[256];
	(void)state;

	make_nat(&b, &d);
	assert_int_equal(parse_nat(&b, &d, why, sizeof(why)), 0);
	void *buf = aligned_alloc(8, sizeof(b));
	memcpy(buf, &b, sizeof(b));
	assert_int_equal(polrt_meta_parse(buf, sizeof(b), &m, why, sizeof(why)), 0);
	assert_int_equal(m.nats[0].kind, POLC_NAT_DNAT);
	assert_int_equal(m.nats[2].port_min, 40000);
	assert_string_equal(polrt_meta_str(&m, polrt_meta_nat_rule(&m, &m.policies[0], &m.nats[0])->label_str),
			    "web");
	assert_null(polrt_meta_nat_backends(&m, &m.nats[1], &d));
	assert_string_equal(polrt_nat_balance_name(POLC_NAT_BALANCE_MAGLEV), "maglev");
	free(buf);

	/* 0-0 is the default port range; a dnat rule's family may be unknown */
	b.nat[2].port_min = b.nat[2].port_max = 0;
	b.nat[0].family = 0;
	assert_int_equal(parse_nat(&b, &d, why, sizeof(why)), 0);
}

/* Each corruption of one field is refused with a reason naming it. */
static void test_nat_bad_records(void **state)
{
	struct nblob b;
	struct ndata d;
	char why[256];
	(void)state;

#define REFUSED(change, words)                                                   \
	do {                                                                     \
		make_nat(&b, &d);                                                \
		change;                                                          \
		assert_int_not_equal(parse_nat(&b, &d, why, sizeof(why)), 0);    \
		if (!strstr(why, words))                                         \
			fail_msg("%s: '%s' does not say '%s'", #change, why, words); \
	} while (0)

	REFUSED(b.nat[0].kind = 7, "unknown kind 7");
	REFUSED(b.nat[0].rule = 0, "names rule 0 of 4");
	REFUSED(b.nat[2].rule = 5, "names rule 5 of 4");
	REFUSED((b.nat[1].rule = 4, b.nat[2].rule = 3), "not in rule order");
	REFUSED(b.nat[1].rule = 1, "not in rule order");
	REFUSED(b.nat[2].index = 0, "index 0, expected 1");
	REFUSED(b.nat[0].index = 1, "index 1, expected 0");
	REFUSED(b.nat[1].flags = 0x10, "unknown flags");
	REFUSED(b.nat[0].flags = POLC_NAT_F_IFADDR, "unknown flags");
	REFUSED(b.nat[2].reserved = 1, "unknown flags");
	REFUSED(b.nat[0].balance = POLC_NAT_BALANCE_COUNT_, "unknown balance");
	REFUSED(b.nat[0].n_backends = POLC_NAT_POOL_MAX + 1, "more than 256");
	REFUSED(b.nat[0].maglev_slot = 1, "maglev slot 1");
	REFUSED(b.nat[0].family = 5, "family 5");
	REFUSED(b.nat[1].family = 4, "to the interface has an address");
	REFUSED(b.nat[1].addr[0] = 1, "to the interface has an address");
	REFUSED(b.nat[2].family = 0, "family 0");
	REFUSED(b.nat[2].addr[3] = 1, "more than 32 bits");
	REFUSED(b.nat[2].n_backends = 1, "snat rule 4 has backends");
	REFUSED(b.nat[2].port_min = 40002, "port range 40002-40001");
	REFUSED(b.nat[2].port_max = 70000, "port range 40000-70000");
	REFUSED(b.nat[2].port_min = 0, "port range 0-40001");
	REFUSED(b.pol[0].n_nats = 4, "nat records that do not exist");
	REFUSED(b.pol[0].first_nat = 1, "nat records that do not exist");
	REFUSED(b.h.nats_off = sizeof(b) - 8, "outside the metadata");
	REFUSED(b.h.nats_off = 2, "outside the metadata");
	/* the compiled pool, in .polc.data */
	REFUSED(b.nat[0].backends_off = 16, "outside the data section");
	REFUSED(b.nat[0].backends_off = 4, "outside the data section");
	REFUSED(b.nat[0].n_backends = 3, "outside the data section");
	REFUSED(d.be[1].family = 5, "backend 1 has family 5");
	REFUSED(d.be[1].flags = 1, "backend 1 is invalid");
	REFUSED(d.be[1].addr[2] = 1, "backend 1 is invalid");
	REFUSED(d.be[1] = d.be[0], "lists backend 10.2.1.2:8080 twice");
	REFUSED((d.be[1].family = 6, d.be[1].addr[0] = 0x20010db8), "pool is IPv4, backend [2001:db8:");
	REFUSED((b.nat[0].family = 6), "pool is IPv6, backend 10.2.1.2:8080");
#undef REFUSED
}

static void test_nat_corruption_is_safe(void **state)
{
	struct nblob b, c;
	struct ndata d;
	char why[256];
	uint32_t x = 777;
	size_t refused = 0;
	(void)state;

	make_nat(&b, &d);
	/* every byte of the records, set to a few values */
	for (size_t i = offsetof(struct nblob, nat); i < offsetof(struct nblob, s); i++) {
		for (int v = 0; v < 4; v++) {
			c = b;
			((uint8_t *)&c)[i] = (uint8_t)(v == 3 ? ~((uint8_t *)&c)[i] : v * 0x7f);
			refused += parse_nat(&c, &d, why, sizeof(why)) != 0;
		}
	}
	for (int round = 0; round < 5000; round++) {
		c = b;
		for (int k = 0; k < 3; k++) {
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % sizeof(c);
			x = x * 1103515245u + 12345u;
			((uint8_t *)&c)[at] = (uint8_t)(x >> 16);
		}
		parse_nat(&c, &d, why, sizeof(why));
	}
	assert_true(refused > 0);
}

static void test_nat_backend_text(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
		uint8_t family;
		uint16_t port;
	} cases[] = {
		{ "10.2.1.2", "10.2.1.2", 4, 0 },
		{ "10.2.1.2:8080", "10.2.1.2:8080", 4, 8080 },
		{ "2001:db8::2", "2001:db8::2", 6, 0 },
		{ "[2001:db8::2]:53", "[2001:db8::2]:53", 6, 53 },
		{ "[2001:db8::2]", "2001:db8::2", 6, 0 },
		{ "[::ffff:10.0.0.1]:1", "[::ffff:10.0.0.1]:1", 6, 1 },
		{ "10.2.1.2:65535", "10.2.1.2:65535", 4, 65535 },
		{ "10.2.1.2:0", NULL, 0, 0 },
		{ "10.2.1.2:65536", NULL, 0, 0 },
		{ "10.2.1.2:", NULL, 0, 0 },
		{ "10.2.1.2:+80", NULL, 0, 0 },
		{ "10.2.1.2:80x", NULL, 0, 0 },
		{ "[10.2.1.2]:80", NULL, 0, 0 },
		{ "[2001:db8::2", NULL, 0, 0 },
		{ "[2001:db8::2]80", NULL, 0, 0 },
		{ "10.2.1", NULL, 0, 0 },
		{ "10.2.1.2/24", NULL, 0, 0 },
		{ "", NULL, 0, 0 },
		{ "web", NULL, 0, 0 },
	};
	char why[128], text[64];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct polc_nat_backend b;
		int err = polrt_nat_backend_parse(cases[i].in, &b, why, sizeof(why));
		if (!cases[i].out) {
			if (!err)
				fail_msg("'%s' was accepted", cases[i].in);
			assert_true(why[0] != '\0');
			continue;
		}
		if (err)
			fail_msg("'%s' refused: %s", cases[i].in, why);
		assert_int_equal(b.family, cases[i].family);
		assert_int_equal(b.port, cases[i].port);
		assert_int_equal(b.flags, 0);
		polrt_nat_backend_format(&b, text, sizeof(text));
		assert_string_equal(text, cases[i].out);
	}
	/* host order, as the datapath reads it */
	struct polc_nat_backend b;
	assert_int_equal(polrt_nat_backend_parse("10.2.1.2", &b, why, sizeof(why)), 0);
	assert_int_equal(b.addr[0], 0x0a020102);
	assert_int_equal(b.addr[1] | b.addr[2] | b.addr[3], 0);
	assert_int_equal(polrt_nat_backend_parse("2001:db8::1", &b, why, sizeof(why)), 0);
	assert_int_equal(b.addr[0], 0x20010db8);
	assert_int_equal(b.addr[3], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_blob_parses),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_every_byte_corruption_is_safe),
		cmocka_unit_test(test_random_corruption_is_safe),
		cmocka_unit_test(test_misaligned_or_null_is_refused),
		cmocka_unit_test(test_nat_valid),
		cmocka_unit_test(test_nat_bad_records),
		cmocka_unit_test(test_nat_corruption_is_safe),
		cmocka_unit_test(test_nat_backend_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
