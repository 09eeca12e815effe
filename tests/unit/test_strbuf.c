// SPDX-License-Identifier: BSD-2-Clause
/* test_strbuf.c: common/strbuf.c. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void test_empty_buffer_reads_as_empty_string(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	assert_string_equal(strbuf_str(&sb), "");
	assert_int_equal(sb.len, 0);
	assert_false(strbuf_failed(&sb));
	strbuf_release(&sb);
}

static void test_appends(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "rule ");
	strbuf_printf(&sb, "%u: %s", 7u, "pass");
	strbuf_putc(&sb, '!');
	strbuf_add(&sb, "xyz", 2);
	assert_string_equal(strbuf_str(&sb), "rule 7: pass!xy");
	assert_int_equal(sb.len, strlen("rule 7: pass!xy"));
	strbuf_release(&sb);
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
}

static void test_grows_past_many_blocks(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < 10000; i++)
		strbuf_printf(&sb, "%04d", i % 10000);
	assert_int_equal(sb.len, 40000);
	assert_memory_equal(sb.buf + 39996, "9999", 4);
	assert_int_equal(sb.buf[sb.len], '\0');
	strbuf_release(&sb);
}

static void test_embedded_nul_kept_by_add(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, "a\0b", 4);
	strbuf_release(&sb);
}

static void test_reset_keeps_nothing(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "old");
	strbuf_reset(&sb);
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_puts(&sb, "new");
	assert_string_equal(strbuf_str(&sb), "new");
	strbuf_release(&sb);
}

static void test_steal_hands_over_the_buffer(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "mine");
	char *s = strbuf_steal(&sb);
	assert_string_equal(s, "mine");
	assert_null(sb.buf);
	assert_int_equal(sb.len, 0);
	free(s);

	/* an empty buffer still gives a string */
	s = strbuf_steal(&sb);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_buffer_reads_as_empty_string),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_grows_past_many_blocks),
		cmocka_unit_test(test_embedded_nul_kept_by_add),
		cmocka_unit_test(test_reset_keeps_nothing),
		cmocka_unit_test(test_steal_hands_over_the_buffer),
	};

	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
