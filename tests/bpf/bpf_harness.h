/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bpf_harness.h: compile policies with libpolc, load them with libpolrt
 * (polrt_load(): every map filled as `polctl apply` fills them: classifier
 * tables and tries, set tries) and run frames through them with
 * BPF_PROG_TEST_RUN.
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
 * The plan (linear or classifier) is the planner's choice unless a test
 * forces one: harness_compile_plan(), or harness_set_plan() for every
 * compile after it (to run a whole test file under each plan).  A forced
 * plan is checked against the artifact's metadata.  The unit's IR stays
 * available for reference checks (harness_ir(), harness_ir_policy(),
 * harness_reference()).
 *
 * Everything is written to one temporary directory per process, removed at
 * exit; objects are unlinked as soon as libpolrt has read them.
 */
#ifndef BPF_HARNESS_H
#define BPF_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "polc.h"
#include "polc_contract.h"
#include "pktgen.h"

/* Short verdict names for tables of expectations. */
enum {
	PASS = POLC_VERDICT_PASS,
	DROP = POLC_VERDICT_DROP,
};

/* Rules a struct harness_counters snapshot holds (expect_*() and
 * harness_check() take any number). */
#define HARNESS_MAX_RULES 256
#define HARNESS_SKIP 77 /* ctest's SKIP_RETURN_CODE */

struct polrt_loaded;

/* One policy's program and its counter maps, in a loaded object. */
struct harness_prog {
	char name[128];    /* the program: "pol_<policy>" */
	char policy[128];  /* the policy, as written */
	int prog_fd;
	int rules_fd;
	int reasons_fd;
	unsigned n_rules;  /* entries of the rules map */
	bool xdp;          /* XDP, else tc (SCHED_CLS) */
	char section[32];  /* ELF section: "xdp" or "tc" */
	enum polc_plan plan; /* from the artifact's metadata */
	struct polrt_loaded *loaded;
};

struct harness_obj;

/*
 * Route libbpf's output (warnings only), check that this process can load
 * and run BPF programs (else say why and exit(HARNESS_SKIP)) and make the
 * temporary directory.  Call first in main().
 */
void harness_init(void);

struct harness_opts {
	enum polc_plan_choice plan; /* POLC_PLAN_AUTO: the planner's choice */
	unsigned n_warnings;        /* exactly this many warnings, no errors */
	const char *name;           /* the unit's file name (set files are
				     * relative to its directory); NULL: "test.pol" */
	bool quiet;                 /* do not print the policy on failure */
	/* -W options applied before the front end ("no-shadow", ...), NULL
	 * terminated; NULL: the defaults */
	const char *const *warnings;
};

/*
 * Compile a policy file given as text (no diagnostics allowed, not even
 * warnings), write the artifact, open it with polrt_artifact_open() and
 * polrt_load() each of its policies.  On failure the diagnostics or the
 * runtime's complaint are printed and NULL is returned.
 */
struct harness_obj *harness_compile(const char *policy_src);
/* The same, for a policy that must give exactly n_warnings warnings. */
struct harness_obj *harness_compile_warned(const char *policy_src,
					   unsigned n_warnings);
/* The same with a forced plan (POLC_PLAN_FORCE_LINEAR, _CLASSIFIER). */
struct harness_obj *harness_compile_plan(const char *policy_src,
					 enum polc_plan_choice plan);
struct harness_obj *harness_compile_opts(const char *policy_src,
					 const struct harness_opts *opts);
void harness_free(struct harness_obj *o);

/* The plan harness_compile() and harness_compile_warned() force from now
 * on (POLC_PLAN_AUTO: none). */
void harness_set_plan(enum polc_plan_choice plan);
enum polc_plan_choice harness_get_plan(void);
const char *harness_plan_name(enum polc_plan_choice plan);

/* The program of the named policy (as written: "web-in"), or NULL. */
struct harness_prog *harness_prog(struct harness_obj *o, const char *policy);
/* A copy of the object's ".polc.meta" section (NULL if it had none). */
const void *harness_meta(const struct harness_obj *o, size_t *size);

/* Programs in the object, in ELF order. */
unsigned harness_n_progs(const struct harness_obj *o);

/* The IR the object was compiled from (valid until harness_free()). */
const struct ir_unit *harness_ir(const struct harness_obj *o);
const struct ir_policy *harness_ir_policy(const struct harness_obj *o,
					  const char *policy);

/*
 * The reference decision for a packet: the first rule in order with
 * ir_rule_matches() (*rule its id, *verdict its verdict), or none
 * (*rule 0, the policy's default).
 */
void harness_reference(const struct ir_policy *pol, const struct ir_packet *f,
		       int *verdict, unsigned *rule);

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

/* All of a program's counters at once (-E2BIG past HARNESS_MAX_RULES). */
struct harness_counters {
	unsigned n_rules;
	struct polc_counter rules[HARNESS_MAX_RULES]; /* [id - 1] */
	struct polc_counter reasons[POLC_REASON_COUNT_];
};

int harness_snapshot(const struct harness_prog *p, struct harness_counters *out);
/* The same for any number of rules: rules[p->n_rules]. */
int harness_read_all(const struct harness_prog *p, struct polc_counter *rules,
		     struct polc_counter reasons[POLC_REASON_COUNT_]);

/* Frames run through expect_*() or harness_check() so far in this process. */
unsigned long harness_frames_checked(void);

/* ---- decisions without cmocka ------------------------------------------ */

/* What decided a frame: a rule (by_reason false, which = id) or a reason. */
struct harness_decision {
	int verdict; /* POLC_VERDICT_*, or -1 for a foreign return code */
	bool by_reason;
	unsigned which;
};

/* "rule 7 (drop)", "reason default (pass)" */
const char *harness_decision_str(const struct harness_decision *d, char *buf,
				 size_t size);

/*
 * Run k through p once and compare with want: the verdict, and that the
 * wanted counter moved by one packet of k->len bytes while no reason
 * counter moved otherwise (other rules' counters are not read: compare
 * harness_read_all() with what was expected at the end).  On a mismatch
 * the frame is run a second time with every counter read before and after,
 * to find what decided it: *got.  Returns 0 (as wanted), 1 (mismatch) or
 * -errno.
 */
int harness_check(const struct harness_prog *p, const struct pkt *k,
		  const struct harness_decision *want, struct harness_decision *got);

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

/*
 * Compile hand-written BPF C (src[0..len)) with every embedded template
 * beside it, as polc compiles generated code, into a file whose path is put
 * in obj (TMPDIR/TAG-PID.o; the caller unlinks it).  0 or -errno (-EPROTO:
 * clang failed, its messages on stderr).
 */
int harness_build_c(const char *tag, const char *src, size_t len, char *obj, size_t obj_len);

/* harness_prog() that fails the test when the policy is missing. */
#define harness_prog_ok(o, name) harness_prog_ok_(o, name, __FILE__, __LINE__)
struct harness_prog *harness_prog_ok_(struct harness_obj *o, const char *name,
				      const char *file, int line);

#endif /* BPF_HARNESS_H */
