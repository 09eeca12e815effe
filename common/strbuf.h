/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * strbuf.h: a growable, always NUL-terminated byte buffer.
 *
 * Allocation failure is reported once through the 'failed' flag rather than
 * from every append, so that long formatting sequences stay readable; callers
 * check strbuf_failed() (or the return of strbuf_steal()) at the end.
 */
#ifndef POLC_STRBUF_H
#define POLC_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

#define STRBUF_INIT \
	{ NULL, 0, 0, false }

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);

/* The contents ("" when empty); valid until the next append. */
const char *strbuf_str(const struct strbuf *sb);
bool strbuf_failed(const struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);

/* Hand the buffer to the caller (NULL if an allocation failed) and reset. */
char *strbuf_steal(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

#endif /* POLC_STRBUF_H */
