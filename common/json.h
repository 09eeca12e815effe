/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * json.h: a small streaming JSON writer (objects, arrays, scalars).
 *
 * The writer tracks nesting and commas, so callers only say what comes next.
 * Keys are written with json_key() before a value inside an object.
 */
#ifndef POLC_JSON_H
#define POLC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *out;
	bool pretty;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* no element written yet at this depth */
	bool after_key;
};

void json_init(struct json_writer *w, FILE *out, bool pretty);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);
void json_string(struct json_writer *w, const char *s);
void json_uint(struct json_writer *w, uint64_t v);
void json_int(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* Shorthands for "key": value inside an object. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Finish the document (a newline after the top-level value). */
void json_finish(struct json_writer *w);

/* Write s as a JSON string literal (quotes included) to out. */
void json_write_escaped(FILE *out, const char *s);

#endif /* POLC_JSON_H */
