// SPDX-License-Identifier: BSD-2-Clause
/*
 * testreport.c: what polc test prints: a line per test and a summary, or
 * JSON, or JUnit XML (one <testsuite> per file, one <testcase> per test).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "testrun.h"

static const char *status_word(enum polc_test_status s)
{
	switch (s) {
	case POLC_TEST_PASS: return "pass";
	case POLC_TEST_FAIL: return "fail";
	case POLC_TEST_BUG: return "bug";
	case POLC_TEST_ERROR: return "error";
	}
	return "?";
}

void polc_test_print_text(FILE *out, const struct polc_test_report *r, bool verbose, bool coverage)
{
	static const char *const tag[] = { [POLC_TEST_PASS] = "PASS", [POLC_TEST_FAIL] = "FAIL",
					   [POLC_TEST_BUG] = "BUG ", [POLC_TEST_ERROR] = "ERROR" };

	for (size_t i = 0; i < r->n_tests; i++) {
		const struct polc_test_result *t = &r->tests[i];
		fprintf(out, "%s  %s:%u: %s (policy %s, %zu packet%s)\n", tag[t->status], r->file,
			t->line, t->name, t->policy, t->n_expects, t->n_expects == 1 ? "" : "s");
		for (size_t j = 0; j < t->n_expects; j++) {
			const struct polc_expect_result *x = &t->expects[j];
			if (x->status == POLC_TEST_PASS && !verbose)
				continue;
			fprintf(out, "      %s:%u:%u: \"%s\": %s\n", r->file, x->line, x->col, x->packet,
				x->status == POLC_TEST_PASS ? "as expected" : x->why);
		}
	}
	fprintf(out, "%s: %zu test%s: %zu passed, %zu failed", r->file, r->n_tests,
		r->n_tests == 1 ? "" : "s", r->passed, r->failed);
	if (r->bugs)
		fprintf(out, ", %zu compiler bug%s", r->bugs, r->bugs == 1 ? "" : "s");
	if (r->errors)
		fprintf(out, ", %zu error%s", r->errors, r->errors == 1 ? "" : "s");
	fprintf(out, " (%s)\n", r->kernel ? "interpreter and kernel" : "interpreter only");
	if (!coverage)
		return;
	fprintf(out, "%s: coverage: %zu of %zu rule%s decided a test packet\n", r->file,
		r->n_rules - r->n_uncovered, r->n_rules, r->n_rules == 1 ? "" : "s");
	for (size_t i = 0; i < r->n_uncovered; i++) {
		const struct polc_uncovered *c = &r->uncovered[i];
		fprintf(out, "%s:%u:%u: not covered: rule %u of policy %s: %s\n", r->file, c->line,
			c->col, c->rule, c->policy, c->text);
	}
}

static void seen_json(struct json_writer *w, const char *key, const struct polc_seen *s)
{
	json_key(w, key);
	json_object_begin(w);
	json_kv_string(w, "verdict", s->verdict == POLC_VERDICT_PASS ? "pass" : "drop");
	if (s->rule)
		json_kv_uint(w, "rule", s->rule);
	else
		json_kv_string(w, "by", polc_reason_word(s->reason));
	json_object_end(w);
}

void polc_test_print_json(FILE *out, const struct polc_test_report *const *rs, size_t n)
{
	struct json_writer w;

	json_init(&w, out, true);
	json_array_begin(&w);
	for (size_t f = 0; f < n; f++) {
		const struct polc_test_report *r = rs[f];
		json_object_begin(&w);
		json_kv_string(&w, "file", r->file);
		json_kv_bool(&w, "kernel", r->kernel);
		json_kv_uint(&w, "passed", r->passed);
		json_kv_uint(&w, "failed", r->failed);
		json_kv_uint(&w, "bugs", r->bugs);
		json_kv_uint(&w, "errors", r->errors);
		json_key(&w, "tests");
		json_array_begin(&w);
		for (size_t i = 0; i < r->n_tests; i++) {
			const struct polc_test_result *t = &r->tests[i];
			json_object_begin(&w);
			json_kv_string(&w, "name", t->name);
			json_kv_string(&w, "policy", t->policy);
			json_kv_uint(&w, "line", t->line);
			json_kv_string(&w, "status", status_word(t->status));
			json_key(&w, "packets");
			json_array_begin(&w);
			for (size_t j = 0; j < t->n_expects; j++) {
				const struct polc_expect_result *x = &t->expects[j];
				json_object_begin(&w);
				json_kv_uint(&w, "line", x->line);
				json_kv_string(&w, "packet", x->packet);
				json_kv_string(&w, "status", status_word(x->status));
				seen_json(&w, "interpreter", &x->interp);
				if (x->kernel_ran)
					seen_json(&w, "kernel", &x->kernel);
				if (x->status != POLC_TEST_PASS)
					json_kv_string(&w, "why", x->why);
				json_object_end(&w);
			}
			json_array_end(&w);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_key(&w, "uncovered");
		json_array_begin(&w);
		for (size_t i = 0; i < r->n_uncovered; i++) {
			const struct polc_uncovered *c = &r->uncovered[i];
			json_object_begin(&w);
			json_kv_string(&w, "policy", c->policy);
			json_kv_uint(&w, "rule", c->rule);
			json_kv_uint(&w, "line", c->line);
			json_kv_string(&w, "text", c->text);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_finish(&w);
}

static void xml(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\t')
				fprintf(out, "&#x%x;", (unsigned char)*s);
			else
				fputc(*s, out);
		}
	}
}

void polc_test_print_junit(FILE *out, const struct polc_test_report *const *rs, size_t n)
{
	size_t tests = 0, failures = 0, errors = 0;

	for (size_t f = 0; f < n; f++) {
		tests += rs[f]->n_tests;
		failures += rs[f]->failed;
		errors += rs[f]->bugs + rs[f]->errors;
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(out, "<testsuites name=\"polc test\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n",
		tests, failures, errors);
	for (size_t f = 0; f < n; f++) {
		const struct polc_test_report *r = rs[f];
		fputs("  <testsuite name=\"", out);
		xml(out, r->file);
		fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", r->n_tests, r->failed,
			r->bugs + r->errors);
		for (size_t i = 0; i < r->n_tests; i++) {
			const struct polc_test_result *t = &r->tests[i];
			fputs("    <testcase classname=\"", out);
			xml(out, t->policy);
			fputs("\" name=\"", out);
			xml(out, t->name);
			fputs("\" file=\"", out);
			xml(out, r->file);
			fprintf(out, "\" line=\"%u\"", t->line);
			if (t->status == POLC_TEST_PASS) {
				fputs("/>\n", out);
				continue;
			}
			fputs(">\n", out);
			for (size_t j = 0; j < t->n_expects; j++) {
				const struct polc_expect_result *x = &t->expects[j];
				if (x->status == POLC_TEST_PASS)
					continue;
				fprintf(out, "      <%s message=\"",
					x->status == POLC_TEST_FAIL ? "failure" : "error");
				xml(out, x->why);
				fputs("\">", out);
				fprintf(out, "%s:%u:%u: ", r->file, x->line, x->col);
				xml(out, x->packet);
				fprintf(out, "</%s>\n", x->status == POLC_TEST_FAIL ? "failure" : "error");
			}
			fputs("    </testcase>\n", out);
		}
		if (!r->kernel)
			fputs("    <system-out>the kernel half was skipped: interpreter only</system-out>\n",
			      out);
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
}
