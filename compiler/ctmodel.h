/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctmodel.h: connection tracking in the reference interpreter (ctmodel.c),
 * so that polc test can run a tracked policy's packet sequences: the same
 * flows, states and decisions as bpf-templates/polc_ct.h, from its
 * documented rules, without time (a test's packets are instantaneous: no
 * entry expires), with NAT: the backend a dnat rule picks (round-robin and
 * maglev exactly as the datapath does; random cannot be predicted, so the
 * model takes the kernel's pick when told it, else the first backend) and
 * the port an snat rule allocates (the datapath's probe order).
 */
#ifndef POLC_CTMODEL_H
#define POLC_CTMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "interp.h"

#define POLC_CT_MODEL_MAX 512 /* entries: two per flow */
#define POLC_CT_MODEL_SERVICES 1024 /* round-robin counters (dnat rules a policy may have) */
#define POLC_CT_MODEL_MAGLEV 64     /* maglev tables kept */

struct polc_ct_model_entry {
	bool used;
	struct polc_tuple key;
	uint8_t state; /* enum polc_ct_state */
	uint8_t dir;   /* enum polc_ct_dir */
	uint8_t fin[2];
	uint32_t rule;
	bool local;
	bool nat;              /* packets of this key are rewritten to x */
	struct polc_tuple x;   /* the tuple packets of this key leave with */
};

struct polc_ct_model {
	struct polc_ct_model_entry e[POLC_CT_MODEL_MAX];
	uint32_t rr[POLC_CT_MODEL_SERVICES]; /* round-robin counters by service */
	struct arena *arena;                 /* for maglev tables */
	struct {
		const struct ir_nat *nat;
		uint32_t *table;
	} maglev[POLC_CT_MODEL_MAGLEV];
};

/* Flows and counters forgotten (before each test); maglev tables kept. */
void polc_ct_model_reset(struct polc_ct_model *m);

/* What leaves: the verdict's packet after NAT (valid: a trackable packet
 * was passed), and what NAT decided for a new flow. */
struct polc_ct_out {
	bool valid;
	struct polc_tuple t;
};

/*
 * A packet arriving at tracked policy p: *d as polc_interp_run() gives it,
 * or d->established (pass, no rule) for a packet of a tracked flow; a new
 * flow a dnat or snat rule passes is translated (or dropped, by that rule,
 * when it cannot be).  hint (may be NULL): the kernel's output for the same
 * packet, which a random dnat rule follows when it names a backend.
 */
void polc_ct_model_in(struct polc_ct_model *m, const struct ir_policy *p, const void *frame,
		      size_t len, struct polc_decision *d, bool *established,
		      const struct polc_ct_out *hint, struct polc_ct_out *out);

/* A packet leaving through the companion program: recorded, passed (and
 * translated back when it is a reply of a NAT flow). */
void polc_ct_model_out(struct polc_ct_model *m, const void *frame, size_t len,
		       struct polc_ct_out *out);

/* The hash a maglev service indexes its table with (polc_nat.h's
 * polc_nat_flow_hash()), of a flow's forward tuple. */
uint32_t polc_nat_flow_hash(const struct polc_tuple *t);

#endif /* POLC_CTMODEL_H */
