// SPDX-License-Identifier: BSD-2-Clause
/*
 * polc: the policy compiler's command line.  Parses arguments and calls
 * libpolc; nothing else.
 *
 * Exit codes: 0 success, 1 errors in the policy (fmt --check: the file is
 * not in canonical form), 2 bad usage or unreadable input, 3 clang failed on
 * generated code (a polc bug), 4 internal error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "polc.h"
#include "testkernel.h"
#include "unit.h"
#include "util.h"

static const char usage_text[] =
	"usage: polc <command> [options] FILE\n"
	"\n"
	"commands:\n"
	"  compile FILE -o OUT.o   compile a policy file into a BPF artifact\n"
	"  check FILE              parse and check only (no clang, no root)\n"
	"  fmt FILE                print FILE in canonical form ('-': stdin)\n"
	"  fmt -w FILE             rewrite FILE in canonical form (atomically)\n"
	"  fmt --check FILE        exit 1 and print a diff if FILE is not in canonical form\n"
	"  test FILE...            run the files' test blocks: in the reference interpreter,\n"
	"                          and against the compiled program in the kernel (root)\n"
	"  explain FILE 'PACKET'   what the policy decides for PACKET, rule by rule\n"
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
	"  -w, --write             fmt: rewrite the file instead of printing it\n"
	"      --check             fmt: change nothing; a diff on stdout, exit 1 if\n"
	"                          the file is not in canonical form\n"
	"      --coverage          test: list the rules no test packet was decided by\n"
	"                          (exit 1 if there are any)\n"
	"      --interpreter-only  test: do not run the kernel half\n"
	"      --format FORM       test: text (default) or json, on stdout\n"
	"      --junit FILE        test: also write JUnit XML to FILE\n"
	"      --policy NAME       explain: the policy (when the file has several)\n"
	"\n"
	"warning classes: host-bits unused empty-policy shadow (an error unless\n"
	"  -Wno-error=shadow) redundant unreachable overlap\n"
	"exit codes: 0 ok, 1 policy errors (fmt --check: not formatted; test: a test\n"
	"            failed), 2 usage, 3 clang failure, 4 internal (test: the interpreter\n"
	"            and the kernel disagree, a polc bug)\n"
	"packets: [in|out] [vlan ID]... PROTO SRC[:PORT] -> DST[:PORT] [FLAGS] [type T]\n"
	"         [code C] [len N] [fragment OFF] [ttl N] [truncate N]\n"
	"         e.g. 'tcp 203.0.113.5:40000 -> 192.0.2.10:22 syn' (docs/language.md)\n";

struct cli {
	const char *command;
	const char *file;          /* the first of files */
	const char *files[256];
	size_t n_files;
	bool coverage;             /* test */
	bool interpreter_only;     /* test */
	bool json_out;             /* test --format json */
	const char *junit;         /* test */
	const char *policy;        /* explain */
	const char *output;
	const char *emit_c;
	const char *clang;
	const char *keep_build;
	bool verbose;
	bool json;
	bool write;      /* fmt -w */
	bool check_only; /* fmt --check */
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
	enum { OPT_EMIT_C = 256, OPT_DIAG, OPT_CLANG, OPT_KEEP, OPT_PLAN, OPT_CHECK, OPT_COVERAGE,
	       OPT_INTERP, OPT_FORMAT, OPT_JUNIT, OPT_POLICY };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "emit-c", required_argument, NULL, OPT_EMIT_C },
		{ "verbose", no_argument, NULL, 'v' },
		{ "diagnostics", required_argument, NULL, OPT_DIAG },
		{ "clang", required_argument, NULL, OPT_CLANG },
		{ "keep-build", required_argument, NULL, OPT_KEEP },
		{ "plan", required_argument, NULL, OPT_PLAN },
		{ "write", no_argument, NULL, 'w' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "coverage", no_argument, NULL, OPT_COVERAGE },
		{ "interpreter-only", no_argument, NULL, OPT_INTERP },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "junit", required_argument, NULL, OPT_JUNIT },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	if (argc < 2)
		return usage_error("%s", "no command given");
	c->command = argv[1];
	optind = 2;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:vW:wh", opts, NULL)) != -1) {
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
		case 'w':
			c->write = true;
			break;
		case OPT_CHECK:
			c->check_only = true;
			break;
		case OPT_COVERAGE:
			c->coverage = true;
			break;
		case OPT_INTERP:
			c->interpreter_only = true;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				c->json_out = true;
			else if (strcmp(optarg, "text") != 0)
				return usage_error("unknown output format '%s' (text or json)", optarg);
			break;
		case OPT_JUNIT:
			c->junit = optarg;
			break;
		case OPT_POLICY:
			c->policy = optarg;
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
	/* getopt_long permutes: the operands are what is left, in order */
	while (optind < argc) {
		if (c->n_files == ARRAY_SIZE(c->files))
			return usage_error("%s", "too many files (at most 256)");
		c->files[c->n_files++] = argv[optind++];
	}
	c->file = c->n_files ? c->files[0] : NULL;
	bool many = strcmp(c->command, "test") == 0;
	size_t max = strcmp(c->command, "explain") == 0 ? 2 : 1;
	if (!many && c->n_files > max)
		return usage_error("unexpected argument '%s'", c->files[max]);
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

/* ---- fmt ------------------------------------------------------------------ */

static int read_stdin(char **text, size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap);

	*len = 0;
	if (!buf)
		return POLC_EINTERNAL;
	for (;;) {
		if (*len == cap) {
			char *nb = cap <= POLC_MAX_SOURCE ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				errno = EFBIG;
				return POLC_EUSAGE;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(STDIN_FILENO, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return POLC_EUSAGE;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	*text = buf;
	return 0;
}

/*
 * Replace path's contents atomically: a temporary file next to it (next to
 * what a symlink points at) with the same mode, synced, renamed over it.
 */
static int write_atomic(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *real = realpath(path, NULL);
	_cleanup_free_ char *dir_copy = NULL, *base_copy = NULL, *tmp = NULL;
	struct stat st;

	if (!real || stat(real, &st) < 0)
		goto fail;
	dir_copy = strdup(real);
	base_copy = strdup(real);
	if (!dir_copy || !base_copy ||
	    asprintf(&tmp, "%s/.%s.fmt-XXXXXX", dirname(dir_copy), basename(base_copy)) < 0) {
		tmp = NULL;
		goto fail;
	}
	int fd = mkstemp(tmp);
	if (fd < 0)
		goto fail;
	bool ok = fchmod(fd, st.st_mode & 07777) == 0;
	if (fchown(fd, st.st_uid, st.st_gid) < 0) {
		/* not ours to give away: the file becomes the caller's */
	}
	for (size_t off = 0; ok && off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		off += ok ? (size_t)n : 0;
	}
	ok = ok && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, real) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "polc: cannot write '%s': %s\n", path, strerror(errno));
	return POLC_EUSAGE;
}

static int run_fmt(const struct cli *c)
{
	struct polc_unit *u = NULL;
	bool from_stdin;
	int err;

	if (!c->file)
		return usage_error("%s", "fmt: no policy file given");
	if (c->write && c->check_only)
		return usage_error("%s", "fmt: -w and --check exclude each other");
	from_stdin = strcmp(c->file, "-") == 0;
	if (from_stdin && c->write)
		return usage_error("%s", "fmt: -w needs a file, not stdin");
	if (from_stdin) {
		char *text = NULL;
		size_t len = 0;
		err = read_stdin(&text, &len);
		err = err ?: polc_unit_new(&u, "<stdin>", text, len);
		free(text);
	} else {
		err = polc_unit_load(&u, c->file);
	}
	if (err) {
		fprintf(stderr, "polc: cannot read '%s': %s\n", c->file, strerror(errno));
		return err;
	}

	_cleanup_free_ char *out = NULL;
	size_t out_len = 0, src_len = 0;
	const char *src = polc_unit_source(u, &src_len);
	err = polc_format_mem(u, &out, &out_len);
	if (err) {
		if (c->json)
			polc_unit_render_diags_json(u, stderr);
		else
			polc_unit_render_diags(u, stderr);
		polc_unit_free(&u);
		return err;
	}
	bool same = out_len == src_len && memcmp(out, src, out_len) == 0;
	if (c->check_only) {
		if (!same) {
			_cleanup_free_ char *to = NULL;
			if (asprintf(&to, "%s (formatted)", c->file) < 0)
				to = NULL;
			fflush(stdout);
			polc_diff(stdout, c->file, src, src_len, to ? to : c->file, out, out_len);
			fprintf(stderr, "polc: %s is not in canonical form (polc fmt -w %s)\n",
				c->file, c->file);
			err = POLC_EPOLICY;
		}
	} else if (c->write) {
		if (!same)
			err = write_atomic(c->file, out, out_len);
	} else if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
		fprintf(stderr, "polc: cannot write the output: %s\n", strerror(errno));
		err = POLC_EUSAGE;
	}
	polc_unit_free(&u);
	return err;
}

/* ---- test, explain -------------------------------------------------------- */

/* Load, configure and check one file; diagnostics on stderr. */
static int front(const struct cli *c, const char *file, struct polc_unit **u)
{
	int err = polc_unit_load(u, file);

	if (err) {
		fprintf(stderr, "polc: cannot read '%s': %s\n", file, strerror(errno));
		return err;
	}
	for (size_t i = 0; i < c->n_wopts; i++)
		if (polc_warning_config_apply(polc_unit_warnings(*u), c->wopts[i]) < 0)
			return usage_error("unknown warning class in '-W%s'", c->wopts[i]);
	if (c->verbose)
		polc_unit_set_log(*u, log_stderr, NULL);
	polc_unit_set_plan(*u, c->plan);
	err = polc_front(*u);
	if (c->json)
		polc_unit_render_diags_json(*u, stderr);
	else
		polc_unit_render_diags(*u, stderr);
	return err;
}

static int worse(int a, int b)
{
	/* internal (a polc bug) > clang > usage > policy */
	static const int rank[] = { [0] = 0, [POLC_EPOLICY] = 1, [POLC_EUSAGE] = 2,
				    [POLC_EBACKEND] = 3, [POLC_EINTERNAL] = 4 };
	return rank[b] > rank[a] ? b : a;
}

static int run_test(const struct cli *c)
{
	struct polc_unit *units[256] = { 0 };
	struct polc_test_report reports[256];
	const struct polc_test_report *done[256];
	size_t n_done = 0;
	int rc = 0;
	bool kernel = !c->interpreter_only;
	char why[512] = "";

	if (!c->n_files)
		return usage_error("%s", "test: no policy file given");
	if (kernel && geteuid() != 0) {
		kernel = false;
		snprintf(why, sizeof(why), "not running as root");
	}
	for (size_t f = 0; f < c->n_files; f++) {
		const char *file = c->files[f];
		int err = front(c, file, &units[f]);
		if (err) {
			rc = worse(rc, err);
			continue;
		}
		struct polc_test_kernel *k = NULL;
		struct polc_kernel runner;
		const struct ir_unit *ir = polc_unit_ir(units[f]);
		if (kernel && ir->n_policies) {
			int kerr = polc_test_kernel_open(units[f], c->clang, &k, why, sizeof(why));
			if (!kerr)
				kerr = polc_test_kernel_probe(k, ir->policies[0].name, why, sizeof(why));
			if (kerr == -EPERM || kerr == -EACCES) {
				kernel = false; /* for every file: say it once */
				polc_test_kernel_close(&k);
			} else if (kerr) {
				fprintf(stderr, "polc: test: %s: the kernel half cannot run: %s\n", file,
					why);
				polc_test_kernel_close(&k);
				rc = worse(rc, kerr == -EPROTO ? POLC_EBACKEND : POLC_EINTERNAL);
				continue;
			}
		}
		if (k)
			runner = polc_test_kernel_runner(k);
		err = polc_test_run(units[f], k ? &runner : NULL, &reports[f]);
		polc_test_kernel_close(&k);
		if (err) {
			rc = worse(rc, err);
			continue;
		}
		const struct polc_test_report *r = &reports[f];
		done[n_done++] = r;
		if (!c->json_out) {
			if (!r->n_tests)
				printf("%s: no tests\n", file);
			else
				polc_test_print_text(stdout, r, c->verbose, c->coverage);
			if (!r->n_tests && c->coverage)
				polc_test_print_text(stdout, r, false, true);
		}
		if (r->bugs)
			rc = worse(rc, POLC_EINTERNAL);
		if (r->failed || r->errors || (c->coverage && r->n_uncovered))
			rc = worse(rc, POLC_EPOLICY);
	}
	if (!kernel && !c->interpreter_only)
		fprintf(stderr, "polc: test: the kernel half was skipped (%s): these are the "
				"reference interpreter's results only\n",
			why);
	if (c->json_out)
		polc_test_print_json(stdout, done, n_done);
	if (c->junit) {
		FILE *j = fopen(c->junit, "w");
		if (!j) {
			fprintf(stderr, "polc: cannot write '%s': %s\n", c->junit, strerror(errno));
			rc = worse(rc, POLC_EUSAGE);
		} else {
			polc_test_print_junit(j, done, n_done);
			if (fclose(j) != 0) {
				fprintf(stderr, "polc: cannot write '%s': %s\n", c->junit,
					strerror(errno));
				rc = worse(rc, POLC_EUSAGE);
			}
		}
	}
	fflush(stdout);
	for (size_t f = 0; f < c->n_files; f++)
		polc_unit_free(&units[f]);
	return rc;
}

static int run_explain(const struct cli *c)
{
	struct polc_unit *u = NULL;

	if (c->n_files != 2)
		return usage_error("%s", "explain needs a policy file and a packet, e.g. polc explain "
					 "web.pol 'tcp 203.0.113.5:40000 -> 192.0.2.10:22 syn'");
	int err = front(c, c->files[0], &u);
	err = err ?: polc_explain(u, c->policy, c->files[1], stdout, stderr);
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
	if (strcmp(c.command, "fmt") == 0)
		return run_fmt(&c);
	if (strcmp(c.command, "test") == 0)
		return run_test(&c);
	if (strcmp(c.command, "explain") == 0)
		return run_explain(&c);
	return usage_error("unknown command '%s'", c.command);
}
