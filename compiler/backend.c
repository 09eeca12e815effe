// SPDX-License-Identifier: BSD-2-Clause
/*
 * backend.c: the build pass: run clang over the generated C.
 *
 * The templates and the generated file are written to a private directory
 * and compiled there with relative paths only, so the object does not
 * depend on where polc ran.  clang rejecting generated code is a polc bug:
 * it is reported as such, with the directory kept for the bug report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codegen.h"
#include "templates.h"
#include "unit.h"
#include "util.h"

#define GEN_NAME "policy.c"
#define OBJ_NAME "policy.o"
#define CLANG_OUTPUT_MAX (64 * 1024)

static int write_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_file(const char *path, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

static void remove_dir(const char *dir)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < polc_template_count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, polc_templates[i].name);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/" GEN_NAME, dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" OBJ_NAME, dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" POLC_DATA_FILE, dir);
	unlink(path);
	rmdir(dir);
}

/*
 * Run argv in dir; collect its stderr into *output.  Returns the exit status
 * (0-255), 127 when it could not be run, or -ETIME on timeout.
 */
static int run(const char *const *argv, const char *dir, unsigned timeout_s,
	       struct strbuf *output)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		if (chdir(dir) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);

	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
	bool timed_out = false;
	for (;;) {
		int wait_ms = -1;
		if (timeout_s) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			long elapsed = (now.tv_sec - start.tv_sec) * 1000 +
				       (now.tv_nsec - start.tv_nsec) / 1000000;
			if (elapsed >= (long)timeout_s * 1000) {
				timed_out = true;
				kill(pid, SIGKILL);
				break;
			}
			wait_ms = (int)((long)timeout_s * 1000 - elapsed);
		}
		int r = poll(&pfd, 1, wait_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (output->len < CLANG_OUTPUT_MAX)
			strbuf_add(output, buf, (size_t)n);
	}
	close(pipefd[0]);

	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return -ETIME;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static const char *clang_path(const struct polc_build_opts *opts)
{
	const char *env = getenv("POLC_CLANG");

	if (opts && opts->clang)
		return opts->clang;
	if (env && *env)
		return env;
	return "clang";
}

static int write_output(const char *out_path, const char *data, size_t len)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out_path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			unlink(tmp);
			return err;
		}
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || rename(tmp, out_path) < 0) {
		int err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

int polc_backend(struct polc_unit *u, const struct polc_build_opts *opts,
		 const char *out_path)
{
	char dir[PATH_MAX - 64];
	bool keep = opts && opts->keep_dir;
	struct polc_loc nowhere = { 0 };

	if (keep) {
		if (snprintf(dir, sizeof(dir), "%s", opts->keep_dir) >= (int)sizeof(dir))
			return POLC_EUSAGE;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			polc_error(&u->diags, nowhere, "cannot create build directory '%s': %s",
				   dir, strerror(errno));
			return POLC_EUSAGE;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/polc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			polc_error(&u->diags, nowhere, "cannot create a build directory: %s",
				   strerror(errno));
			return POLC_EINTERNAL;
		}
	}

	int err = 0;
	for (size_t i = 0; i < polc_template_count && !err; i++)
		err = write_file(dir, polc_templates[i].name, polc_templates[i].text,
				 polc_templates[i].len);
	err = err ?: write_file(dir, GEN_NAME, strbuf_str(&u->gen_c), u->gen_c.len);
	err = err ?: write_file(dir, POLC_DATA_FILE, strbuf_str(&u->gen_data), u->gen_data.len);
	if (err) {
		polc_error(&u->diags, nowhere, "cannot write to build directory '%s': %s",
			   dir, strerror(-err));
		if (!keep)
			remove_dir(dir);
		return POLC_EINTERNAL;
	}

	/* -mcpu=v3: 32-bit compares and jumps, a few percent fewer
	 * instructions (kernel 5.1, below polc's minimum) */
	const char *clang = clang_path(opts);
	const char *argv[] = {
		clang, "-target", "bpf", "-O2", "-g", "-Wall", "-Wno-unused-function",
		"-fno-ident", "-fdebug-compilation-dir=.", "-mcpu=v3", "-I.", "-c", GEN_NAME,
		"-o", OBJ_NAME, NULL,
	};
	struct strbuf output = STRBUF_INIT;
	int status = run(argv, dir, opts ? opts->timeout_s : 0, &output);

	if (status == 127) {
		struct polc_diag *d = polc_error(&u->diags, nowhere, "cannot run '%s'", clang);
		polc_diag_hint(&u->diags, d, "polc needs clang with the BPF target: install clang or set POLC_CLANG");
		strbuf_release(&output);
		if (!keep)
			remove_dir(dir);
		return POLC_EBACKEND;
	}
	if (status != 0) {
		struct polc_diag *d;
		if (status == -ETIME)
			d = polc_error(&u->diags, nowhere,
				       "internal compiler error: clang did not finish within %u s on the generated code",
				       opts->timeout_s);
		else
			d = polc_error(&u->diags, nowhere,
				       "internal compiler error: clang rejected the generated code (exit %d)\n%s",
				       status, strbuf_str(&output));
		polc_diag_hint(&u->diags, d,
			       "this is a bug in polc, not in your policy; the generated C is kept in %s/" GEN_NAME
			       " for the report",
			       dir);
		strbuf_release(&output);
		return POLC_EBACKEND;
	}
	strbuf_release(&output);

	char obj[PATH_MAX];
	char *data = NULL;
	size_t len = 0;
	snprintf(obj, sizeof(obj), "%s/" OBJ_NAME, dir);
	err = read_file(obj, &data, &len);
	if (!err)
		err = write_output(out_path, data, len);
	free(data);
	if (!keep)
		remove_dir(dir);
	if (err) {
		polc_error(&u->diags, nowhere, "cannot write '%s': %s", out_path,
			   strerror(-err));
		return POLC_EUSAGE;
	}
	return 0;
}
