/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check.h: what the checking pass (check.c) shares with its NAT half
 * (checknat.c).  Internal to libpolc.
 */
#ifndef POLC_CHECK_H
#define POLC_CHECK_H

#include "unit.h"

/* What a value can be, so uses can be checked against definitions. */
enum vkind {
	VK_ADDR = 1 << 0,
	VK_NUM = 1 << 1,
	VK_RANGE = 1 << 2,
	VK_NAME = 1 << 3,
	VK_ANY = 1 << 4,
};

struct check_ctx {
	struct polc_unit *u;
	struct polc_diags *d;
	struct arena *a;
	unsigned rule_errors; /* errors so far in the rule being checked */
	unsigned field;       /* numbers each rule field evaluated, from 1 */
	unsigned root;        /* numbers each constant checked, from 1 */
	/* the constants check_value_shape() is inside, from the one being
	 * checked, and the references it followed to each: for cycles */
	struct ast_const *chain[64];
	const struct ast_value *chain_ref[64];
	size_t chain_n;
};

struct polc_diag *cerror(struct check_ctx *c, struct polc_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "an IPv4 address", "the number 80", ...: a value, for messages */
const char *describe(struct check_ctx *c, const struct ast_value *v);
/* A constant's value for use where `accept` kinds make sense (VK_*), or
 * NULL after reporting why it cannot be used; NULL also when the constant
 * was already expanded into the current field. */
const struct ast_value *resolve_ref(struct check_ctx *c, const struct ast_value *v,
				    unsigned accept, const char *want);
/* A new field of the rule being checked (constants expand once in each). */
struct check_ctx *new_field(struct check_ctx *c);

/* checknat.c: a rule's dnat or snat part (rules without one: that they
 * have no '->' or 'balance'), after check.c checked the rest of it into
 * r->ir; then the policy's NAT as a whole (hook, track, numbering). */
void check_nat_rule(struct check_ctx *c, const struct ast_policy *p, struct ast_rule *r);
void check_nat_policy(struct check_ctx *c, struct ast_policy *p);

#endif /* POLC_CHECK_H */
