// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_policy: the compiler's front end on any bytes.
 *
 * The input is a policy file.  It is parsed, checked, lowered and planned
 * (polc_front), its diagnostics are rendered as text and as JSON, and when
 * the front end succeeds the BPF C is generated (no clang).  Whatever the
 * input, none of that may crash, hang, leak or trip UBSan.
 *
 * A file that parses is also formatted, and the formatter's promises are
 * checked (tests/unit/fmt_oracle.c): its output parses, formatting it again changes
 * nothing, every comment survives in order, and the formatted file compiles
 * to the same IR.  A broken promise aborts, as a crash would.
 *
 * Set files ('set s : ip file "x"') are not read from wherever the input
 * says: every path is replaced by one of a few files this harness writes,
 * chosen by the path's length, or by one that does not exist.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt_oracle.h"
#include "testrun.h"
#include "unit.h"

static char set_files[4][64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

static char set_dir[32];

static void remove_set_files(void)
{
	for (int i = 0; i < 3; i++)
		unlink(set_files[i]);
	rmdir(set_dir);
}

/* A few set files, written once: addresses, ports, junk, and none. */
static void init_set_files(void)
{
	char *dir = set_dir;

	if (set_files[0][0])
		return;
	snprintf(set_dir, sizeof(set_dir), "/tmp/polc-fuzz-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	snprintf(set_files[0], sizeof(set_files[0]), "%s/addr.txt", dir);
	snprintf(set_files[1], sizeof(set_files[1]), "%s/ports.txt", dir);
	snprintf(set_files[2], sizeof(set_files[2]), "%s/junk.txt", dir);
	snprintf(set_files[3], sizeof(set_files[3]), "%s/missing.txt", dir);
	write_file(set_files[0], "# addresses\n192.0.2.0/24\n198.51.100.7\n\n"
				 "2001:db8::/32 # v6\n10.0.0.1/8\n");
	write_file(set_files[1], "80\n443\n8000-8080 # a range\n65535\n");
	write_file(set_files[2], "10.0.0.0/33\n80-\nfoo\n300.1.1.1\n::/129\n"
				 "\x80\x01\n");
	atexit(remove_set_files);
}

static void redirect_set_files(struct polc_unit *u)
{
	for (size_t i = 0; i < u->ast.sets.n; i++) {
		struct ast_set *s = u->ast.sets.v[i];
		if (s->file)
			s->file = set_files[strlen(s->file) % 4];
	}
}

static void render(const struct polc_unit *u)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	polc_unit_render_diags(u, f);
	polc_unit_render_diags_json(u, f);
	if (fclose(f) != 0)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct polc_unit *u = NULL;

	init_set_files();
	if (polc_unit_new(&u, "fuzz.pol", (const char *)data, size))
		return 0;
	/* parse first (polc_front does not parse again), to redirect files */
	int parsed = polc_parse(u);
	redirect_set_files(u);
	int err = polc_front(u);
	render(u);
	if (!err) {
		const char *c = NULL;
		size_t len = 0;
		if (polc_generate(u, &c, &len) || !c || strlen(c) != len)
			abort();
		/* the file's tests, in the interpreter: whatever they say, no crash */
		struct polc_test_report r;
		if (polc_test_run(u, NULL, &r) != 0 || r.passed + r.failed + r.bugs + r.errors != r.n_tests)
			abort();
	}
	polc_unit_free(&u);

	if (parsed == 0) {
		char why[512];
		if (fmt_oracle_check("fuzz.pol", (const char *)data, size, redirect_set_files, why,
				     sizeof(why)) < 0) {
			fprintf(stderr, "fuzz_policy: polc fmt broke a promise: %s\n", why);
			abort();
		}
	}
	return 0;
}
