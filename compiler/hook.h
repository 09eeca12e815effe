/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hook.h: what differs between attachment points, behind one table.
 *
 * The generator never tests the hook; it reads the ops of the policy's hook.
 * Each hook's template glue (bpf-templates/polc_<glue>.h) provides
 * <glue>_load() and <glue>_action().
 */
#ifndef POLC_HOOK_H
#define POLC_HOOK_H

#include "polc_contract.h"

struct hook_ops {
	enum polc_hook hook;
	const char *name;     /* as the language writes it: "tc ingress" */
	const char *header;   /* template header with the glue */
	const char *glue;     /* prefix of the glue functions */
	const char *section;  /* ELF section name libbpf knows */
	const char *ctx_type; /* the program's context */
};

extern const struct hook_ops hook_xdp_ops;
extern const struct hook_ops hook_tc_ingress_ops;
extern const struct hook_ops hook_tc_egress_ops;

/* The ops of a hook; NULL for a value outside enum polc_hook. */
const struct hook_ops *hook_ops_get(enum polc_hook hook);

#endif /* POLC_HOOK_H */
