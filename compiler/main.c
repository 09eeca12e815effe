// SPDX-License-Identifier: BSD-2-Clause
/*
 * polc: the policy compiler's command line.  Parses arguments and calls
 * libpolc; nothing else.
 *
 * Exit codes: 0 success, 1 errors in the policy, 2 bad usage or unreadable
 * input, 3 clang failed on generated code (a polc bug), 4 internal error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "polc.h"
#include "util.h"

static const char usage_text[] =
	"usage: polc <command> [options] FILE\n"
	"\n"
	"commands:\n"
	"  compile FILE -o OUT.o   compile a policy file into a BPF artifact\n"
	"  check FILE              parse and check only (no clang, no root)\n"
	"  version                 print the version\n"
	"  help                    print this help\n"
	"\n"
	"options:\n"
	"  -o, --output FILE       where compile writes the artifact\n"
	"      --emit-c FILE       also write the generated C to FILE ('-': stdout)\n"
	"  -v, --verbose           say what the compiler decided (plans, timings)\n"
	"  -W NAME, -Wno-NAME      enable or disable a warning class\n"
	"  -Werror, -Werror=NAME   make warnings (or one class) errors\n"
	"      --diagnostics=FORM  text (default) or json, on stderr\n"
	"      --plan PLAN         auto (default), linear or classifier: how rules\n"
	"                          are matched (polc -v says what auto chose)\n"
	"      --clang PATH        the clang to run (default: $POLC_CLANG, clang)\n"
	"      --keep-build DIR    build in DIR and keep it\n"
	"\n"
	"warning classes: host-bits unused empty-policy\n"
	"exit codes: 0 ok, 1 policy errors, 2 usage, 3 clang failure, 4 internal\n";

struct cli {
	const char *command;
	const char *file;
	const char *output;
	const char *emit_c;
	const char *clang;
	const char *keep_build;
	bool verbose;
	bool json;
	enum polc_plan_choice plan;
	const char *wopts[64];
	size_t n_wopts;
};

static void log_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "polc: %s\n", msg);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("polc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'polc help'.\n", stderr);
	return POLC_EUSAGE;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	enum { OPT_EMIT_C = 256, OPT_DIAG, OPT_CLANG, OPT_KEEP, OPT_PLAN };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "emit-c", required_argument, NULL, OPT_EMIT_C },
		{ "verbose", no_argument, NULL, 'v' },
		{ "diagnostics", required_argument, NULL, OPT_DIAG },
		{ "clang", required_argument, NULL, OPT_CLANG },
		{ "keep-build", required_argument, NULL, OPT_KEEP },
		{ "plan", required_argument, NULL, OPT_PLAN },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	if (argc < 2)
		return usage_error("%s", "no command given");
	c->command = argv[1];
	optind = 2;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:vW:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			c->output = optarg;
			break;
		case OPT_EMIT_C:
			c->emit_c = optarg;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'W':
			if (c->n_wopts == ARRAY_SIZE(c->wopts))
				return usage_error("%s", "too many -W options");
			c->wopts[c->n_wopts++] = optarg;
			break;
		case OPT_DIAG:
			if (strcmp(optarg, "json") == 0)
				c->json = true;
			else if (strcmp(optarg, "text") != 0)
				return usage_error("unknown diagnostics format '%s' (text or json)",
						   optarg);
			break;
		case OPT_CLANG:
			c->clang = optarg;
			break;
		case OPT_KEEP:
			c->keep_build = optarg;
			break;
		case OPT_PLAN:
			if (strcmp(optarg, "auto") == 0)
				c->plan = POLC_PLAN_AUTO;
			else if (strcmp(optarg, "linear") == 0)
				c->plan = POLC_PLAN_FORCE_LINEAR;
			else if (strcmp(optarg, "classifier") == 0)
				c->plan = POLC_PLAN_FORCE_CLASSIFIER;
			else
				return usage_error("unknown plan '%s' (auto, linear or classifier)", optarg);
			break;
		case 'h':
			c->command = "help";
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		c->file = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int write_c(const char *path, const char *c, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");

	if (!f) {
		fprintf(stderr, "polc: cannot write '%s': %s\n", path, strerror(errno));
		return POLC_EUSAGE;
	}
	fwrite(c, 1, len, f);
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "polc: cannot write '%s': %s\n", path, strerror(errno));
		return POLC_EUSAGE;
	}
	return 0;
}

static int run(const struct cli *c)
{
	bool compile = strcmp(c->command, "compile") == 0;
	struct polc_unit *u = NULL;
	double t0 = now_ms();

	if (!c->file)
		return usage_error("%s: no policy file given", c->command);
	if (compile && !c->output && !c->emit_c)
		return usage_error("%s", "compile needs -o OUT.o (or --emit-c FILE)");

	int err = polc_unit_load(&u, c->file);
	if (err) {
		fprintf(stderr, "polc: cannot read '%s': %s\n", c->file, strerror(errno));
		return err;
	}
	for (size_t i = 0; i < c->n_wopts; i++) {
		if (polc_warning_config_apply(polc_unit_warnings(u), c->wopts[i]) < 0) {
			polc_unit_free(&u);
			return usage_error("unknown warning class in '-W%s'", c->wopts[i]);
		}
	}
	if (c->verbose)
		polc_unit_set_log(u, log_stderr, NULL);
	polc_unit_set_plan(u, c->plan);

	err = polc_front(u);
	double t_front = now_ms();
	if (!err && compile && c->emit_c) {
		const char *text;
		size_t len;
		err = polc_generate(u, &text, &len);
		err = err ?: write_c(c->emit_c, text, len);
	}
	if (!err && compile && c->output) {
		struct polc_build_opts opts = {
			.sz = sizeof(opts),
			.clang = c->clang,
			.keep_dir = c->keep_build,
			.timeout_s = 600,
		};
		err = polc_build(u, &opts, c->output);
	}
	double t_end = now_ms();

	if (c->json)
		polc_unit_render_diags_json(u, stderr);
	else
		polc_unit_render_diags(u, stderr);
	if (c->verbose)
		fprintf(stderr, "polc: front end %.1f ms, back end %.1f ms\n",
			t_front - t0, t_end - t_front);
	if (!err && !c->json && strcmp(c->command, "check") == 0 && c->verbose)
		fprintf(stderr, "polc: %s: ok\n", c->file);
	polc_unit_free(&u);
	return err;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	int err = parse_args(&c, argc, argv);

	if (err)
		return err;
	if (strcmp(c.command, "help") == 0 || strcmp(c.command, "--help") == 0 ||
	    strcmp(c.command, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(c.command, "version") == 0 || strcmp(c.command, "--version") == 0) {
		printf("polc %s\n", POLC_VERSION);
		return 0;
	}
	if (strcmp(c.command, "compile") == 0 || strcmp(c.command, "check") == 0)
		return run(&c);
	return usage_error("unknown command '%s'", c.command);
}
