/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * testrun.h: polc test and polc explain (testrun.c, testreport.c,
 * explain.c).
 *
 * A policy file's test blocks run two ways: through the reference
 * interpreter of the IR (interp.c, always) and through the compiled program
 * in the kernel (BPF_PROG_TEST_RUN, when the caller gives a kernel runner:
 * polc's main.c does, with libpolrt, when it may load programs).  Every
 * packet must get the expected decision from the interpreter, and the
 * kernel must decide it exactly as the interpreter did; a difference
 * between the two is a compiler bug, reported with the packet.
 */
#ifndef POLC_TESTRUN_H
#define POLC_TESTRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "interp.h"
#include "polc.h"
#include "polc_contract.h"

/* A decision: the verdict and what gave it (a rule, else the default or a
 * reason). */
struct polc_seen {
	enum polc_verdict verdict;
	uint32_t rule;           /* 1-based rule id; 0: no rule decided */
	enum polc_reason reason; /* POLC_REASON_DEFAULT when a rule or the default did */
	bool established;        /* passed as a packet of a tracked flow (no rule) */
	/* a passed packet as it leaves (NAT rewrites it); out_valid: a
	 * trackable packet (TCP, UDP, ICMP echo) was passed */
	bool out_valid;
	struct polc_tuple out;
	bool bad_csum;           /* kernel: it left with a wrong checksum */
};

/* Runs frames through the compiled programs. */
struct polc_kernel {
	/* Policy `policy`'s decision for the frame: 0, or -errno.  out: the
	 * frame leaves (a tracked policy's companion program runs it). */
	int (*run)(void *ctx, const char *policy, bool out, const void *frame, size_t len,
		   struct polc_seen *seen);
	/* Forget the flows of a tracked policy (before each test); may be NULL. */
	void (*reset)(void *ctx, const char *policy);
	void *ctx;
};

enum polc_test_status {
	POLC_TEST_PASS,
	POLC_TEST_FAIL,  /* not the expected decision (interpreter and kernel agree) */
	POLC_TEST_BUG,   /* the interpreter and the kernel disagree: a polc bug */
	POLC_TEST_ERROR, /* the kernel run itself failed */
};

struct polc_expect_result {
	const char *packet;
	uint32_t line, col;            /* the expect statement */
	struct polc_seen want;         /* want.rule 0 and want_by false: any */
	bool want_by;                  /* the expect says what decides */
	struct polc_seen interp, kernel;
	bool kernel_ran;
	enum polc_test_status status;
	char why[512];                 /* what went wrong, one line */
};

struct polc_test_result {
	const char *name;
	const char *policy;
	uint32_t line, col;
	enum polc_test_status status; /* the worst of its expects */
	size_t n_expects;
	struct polc_expect_result *expects;
};

/* A rule no test packet was decided by. */
struct polc_uncovered {
	const char *policy;
	uint32_t rule, line, col;
	const char *text;
};

struct polc_test_report {
	const char *file;
	size_t n_tests, passed, failed, bugs, errors;
	struct polc_test_result *tests;
	bool kernel;             /* the kernel half ran */
	size_t n_rules;          /* rules of the policies tested */
	size_t n_uncovered;
	struct polc_uncovered *uncovered;
};

/*
 * Run the unit's tests (after polc_front() succeeded).  k NULL: the
 * interpreter only.  The report lives in the unit's arena.  Returns 0 (the
 * outcome is in the report) or a POLC_E* code.
 */
/* "tcp 10.0.0.1:40000 -> 10.2.1.2:8080", for messages */
void polc_tuple_text(char *buf, size_t len, const struct polc_tuple *t);

int polc_test_run(struct polc_unit *u, const struct polc_kernel *k, struct polc_test_report *r);

/* testreport.c: a line per test and a summary; JSON; JUnit XML. */
void polc_test_print_text(FILE *out, const struct polc_test_report *r, bool verbose,
			  bool coverage);
void polc_test_print_json(FILE *out, const struct polc_test_report *const *r, size_t n);
void polc_test_print_junit(FILE *out, const struct polc_test_report *const *r, size_t n);

/*
 * explain.c: the decision of policy `policy` (NULL: the file's only one)
 * for the packet described in text, rule by rule, on out.  POLC_EPOLICY with
 * a message on err when the packet does not parse or the policy is not
 * there.
 */
int polc_explain(struct polc_unit *u, const char *policy, const char *text, FILE *out,
		 FILE *err);

const char *polc_reason_word(enum polc_reason r);
enum polc_verdict polc_reason_verdict(enum polc_reason r);

#endif /* POLC_TESTRUN_H */
