/* SPDX-License-Identifier: BSD-2-Clause */
/* util.h: small helpers shared by every library of the project. */
#ifndef POLC_UTIL_H
#define POLC_UTIL_H

#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Return the pointer and clear the variable: ownership leaves the scope. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) take_ptr_ = (p); \
		(p) = NULL;                  \
		take_ptr_;                   \
	})

#define TAKE_FD(fd)                      \
	({                               \
		int take_fd_ = (fd);     \
		(fd) = -1;               \
		take_fd_;                \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

#define POLC_VERSION "0.1.0"

#endif /* POLC_UTIL_H */
