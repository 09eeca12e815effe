// SPDX-License-Identifier: BSD-2-Clause
/* context.c: the runtime context and its logging. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

int polrt_new(struct polrt **out, const struct polrt_opts *opts)
{
	const char *root = opts && opts->root ? opts->root : POLRT_DEFAULT_ROOT;
	struct polrt *rt;

	if (root[0] != '/' || strlen(root) >= sizeof(rt->root))
		return -EINVAL;
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	snprintf(rt->root, sizeof(rt->root), "%s", root);
	/* no trailing slash: paths are built as root/name */
	size_t len = strlen(rt->root);
	while (len > 1 && rt->root[len - 1] == '/')
		rt->root[--len] = '\0';
	if (opts) {
		rt->log = opts->log;
		rt->log_ctx = opts->log_ctx;
		rt->verbose = opts->verbose;
	}
	*out = rt;
	return 0;
}

void polrt_free(struct polrt **rt)
{
	free(*rt);
	*rt = NULL;
}

static void rt_vlog(struct polrt *rt, enum polrt_log_level level,
		    const char *fmt, va_list ap)
{
	char msg[2048];

	if (!rt->log || (level == POLRT_LOG_DEBUG && !rt->verbose))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	rt->log(rt->log_ctx, level, msg);
}

void rt_log(struct polrt *rt, enum polrt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vlog(rt, level, fmt, ap);
	va_end(ap);
}

int rt_err(struct polrt *rt, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vlog(rt, POLRT_LOG_ERROR, fmt, ap);
	va_end(ap);
	return err > 0 ? -err : err ? err : -EINVAL;
}
