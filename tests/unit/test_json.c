// SPDX-License-Identifier: BSD-2-Clause
/* test_json.c: common/json.c: commas, nesting, escapes, pretty printing. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

static void out_expect(struct out *o, const char *want)
{
	assert_int_equal(fclose(o->f), 0);
	assert_string_equal(o->buf, want);
	free(o->buf);
}

static void test_object_with_scalars(void **state)
{
	struct out o;
	struct json_writer w;

	out_open(&o);
	json_init(&w, o.f, false);
	json_object_begin(&w);
	json_kv_string(&w, "s", "x");
	json_kv_uint(&w, "u", 18446744073709551615ull);
	json_kv_int(&w, "i", -5);
	json_kv_bool(&w, "b", false);
	json_key(&w, "n");
	json_null(&w);
	json_object_end(&w);
	json_finish(&w);
	out_expect(&o, "{\"s\":\"x\",\"u\":18446744073709551615,\"i\":-5,\"b\":false,\"n\":null}\n");
}

static void test_nested_arrays_and_empty_containers(void **state)
{
	struct out o;
	struct json_writer w;

	out_open(&o);
	json_init(&w, o.f, false);
	json_array_begin(&w);
	json_array_begin(&w);
	json_array_end(&w);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_begin(&w);
	json_uint(&w, 1);
	json_uint(&w, 2);
	json_array_end(&w);
	json_bool(&w, true);
	json_array_end(&w);
	out_expect(&o, "[[],{},[1,2],true]");
}

static void test_string_escapes(void **state)
{
	struct out o;

	out_open(&o);
	json_write_escaped(o.f, "q\" b\\ n\n t\t r\r \x01 \x1f \xc3\xa9");
	out_expect(&o, "\"q\\\" b\\\\ n\\n t\\t r\\r \\u0001 \\u001f \xc3\xa9\"");
}

static void test_null_string_is_empty(void **state)
{
	struct out o;
	struct json_writer w;

	out_open(&o);
	json_init(&w, o.f, false);
	json_string(&w, NULL);
	out_expect(&o, "\"\"");
}

static void test_pretty(void **state)
{
	struct out o;
	struct json_writer w;

	out_open(&o);
	json_init(&w, o.f, true);
	json_object_begin(&w);
	json_kv_uint(&w, "a", 1);
	json_key(&w, "l");
	json_array_begin(&w);
	json_string(&w, "x");
	json_array_end(&w);
	json_key(&w, "e");
	json_array_begin(&w);
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
	out_expect(&o, "{\n  \"a\": 1,\n  \"l\": [\n    \"x\"\n  ],\n  \"e\": []\n}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_with_scalars),
		cmocka_unit_test(test_nested_arrays_and_empty_containers),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_null_string_is_empty),
		cmocka_unit_test(test_pretty),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
