/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testkernel.h: polc test's kernel half, for polc's CLI (testkernel.c).
 */
#ifndef POLC_TESTKERNEL_H
#define POLC_TESTKERNEL_H

#include "testrun.h"

struct polc_test_kernel;

/* Build u into a temporary artifact and open it: 0, or -errno with why. */
int polc_test_kernel_open(struct polc_unit *u, const char *clang, struct polc_test_kernel **out,
			  char *why, size_t why_len);
/* Load one policy to see whether the kernel half can run at all. */
int polc_test_kernel_probe(struct polc_test_kernel *k, const char *policy, char *why,
			   size_t why_len);
struct polc_kernel polc_test_kernel_runner(struct polc_test_kernel *k);
void polc_test_kernel_close(struct polc_test_kernel **k);

#endif /* POLC_TESTKERNEL_H */
