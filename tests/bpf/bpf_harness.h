/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bpf_harness.h: compile policies with libpolc, load them with libbpf and
 * run frames through them with BPF_PROG_TEST_RUN.
 *
 *	harness_init();                       // in main(): exits 77 without BPF
 *	struct harness_obj *o = harness_compile(
 *		"policy web {\n attach xdp\n default drop\n pass tcp to port 80\n}\n");
 *	struct harness_prog *web = harness_prog(o, "web");
 *	int ret;
 *	harness_run(web, k.data, k.len, &ret);   // ret: XDP_PASS, TC_ACT_SHOT...
 *	harness_free(o);
 *
 * In cmocka tests, expect_rule() and expect_reason() run a frame and check
 * its verdict and that exactly one counter moved: the deciding rule's (or
 * reason's), by one packet and the frame's length in bytes.
 *
 * Everything is written to one temporary directory per process, removed at
 * exit; objects are unlinked as soon as libbpf has read them.
 */
#ifndef BPF_HARNESS_H
#define BPF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "polc_contract.h"
#include "pktgen.h"

/* Short verdict names for tables of expectations. */
enum {
	PASS = POLC_VERDICT_PASS,
	DROP = POLC_VERDICT_DROP,
};

#define HARNESS_MAX_RULES 256
#define HARNESS_SKIP 77 /* ctest's SKIP_RETURN_CODE */

/* One policy's program and its counter maps, in a loaded object. */
struct harness_prog {
	char name[128];    /* the program: "pol_<policy>" */
	int prog_fd;
	int rules_fd;
	int reasons_fd;
	unsigned n_rules;  /* entries of the rules map */
	bool xdp;          /* XDP, else tc (SCHED_CLS) */
	char section[32];  /* ELF section: "xdp" or "tc" */
};

struct harness_obj;

/*
 * Route libbpf's output (warnings only), check that this process can load
 * and run BPF programs (else say why and exit(HARNESS_SKIP)) and make the
 * temporary directory.  Call first in main().
 */
void harness_init(void);

/*
 * Compile a policy file given as text (no diagnostics allowed, not even
 * warnings), open and load the object.  On failure the diagnostics or
 * libbpf's complaint are printed and NULL is returned.
 */
struct harness_obj *harness_compile(const char *policy_src);
/* The same, for a policy that must give exactly n_warnings warnings. */
struct harness_obj *harness_compile_warned(const char *policy_src,
					   unsigned n_warnings);
void harness_free(struct harness_obj *o);

/* The program of the named policy (as written: "web-in"), or NULL. */
struct harness_prog *harness_prog(struct harness_obj *o, const char *policy);
/* A copy of the object's ".polc.meta" section (NULL if it had none). */
const void *harness_meta(const struct harness_obj *o, size_t *size);

/* Programs in the object, in ELF order. */
unsigned harness_n_progs(const struct harness_obj *o);

/* Run data once through the program.  0 or -errno. */
int harness_run(const struct harness_prog *p, const void *data, size_t len,
		int *retval);
/* POLC_VERDICT_PASS or _DROP for a return code of the program's hook, or -1
 * for a code polc never returns (XDP_ABORTED, TC_ACT_OK, ...). */
int harness_verdict(const struct harness_prog *p, int retval);

/* Counters summed over every possible CPU.  0 or -errno. */
int harness_rule_counter(const struct harness_prog *p, unsigned rule_id,
			 struct polc_counter *out);
int harness_reason_counter(const struct harness_prog *p,
			   enum polc_reason reason, struct polc_counter *out);

/* All of a program's counters at once. */
struct harness_counters {
	unsigned n_rules;
	struct polc_counter rules[HARNESS_MAX_RULES]; /* [id - 1] */
	struct polc_counter reasons[POLC_REASON_COUNT_];
};

int harness_snapshot(const struct harness_prog *p, struct harness_counters *out);

/* Frames run through expect_*() so far in this process. */
unsigned long harness_frames_checked(void);

/* ---- cmocka expectations ------------------------------------------------ */

/*
 * Run k through p and check, failing the test at the caller's line:
 *  - the return code is the one of `verdict` for the program's hook;
 *  - the counter of rule `id` (expect_rule) or of `reason` (expect_reason)
 *    grew by one packet and k->len bytes, and no other counter of p moved.
 */
#define expect_rule(p, k, verdict, id) \
	harness_expect_(p, k, verdict, false, id, __FILE__, __LINE__)
#define expect_reason(p, k, verdict, reason) \
	harness_expect_(p, k, verdict, true, reason, __FILE__, __LINE__)
/* The default verdict decided it: the POLC_REASON_DEFAULT counter moved. */
#define expect_default(p, k, verdict) \
	harness_expect_(p, k, verdict, true, POLC_REASON_DEFAULT, __FILE__, __LINE__)

void harness_expect_(const struct harness_prog *p, const struct pkt *k,
		     int verdict, bool by_reason, unsigned which,
		     const char *file, int line);

/* harness_prog() that fails the test when the policy is missing. */
#define harness_prog_ok(o, name) harness_prog_ok_(o, name, __FILE__, __LINE__)
struct harness_prog *harness_prog_ok_(struct harness_obj *o, const char *name,
				      const char *file, int line);

#endif /* BPF_HARNESS_H */
