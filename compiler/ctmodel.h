/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctmodel.h: connection tracking in the reference interpreter (ctmodel.c),
 * so that polc test can run a tracked policy's packet sequences: the same
 * flows, states and decisions as bpf-templates/polc_ct.h, from its
 * documented rules, without time (a test's packets are instantaneous: no
 * entry expires) and without NAT.
 */
#ifndef POLC_CTMODEL_H
#define POLC_CTMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interp.h"

#define POLC_CT_MODEL_MAX 512 /* entries: two per flow */

struct polc_ct_model_key {
	uint32_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t proto, family;
};

struct polc_ct_model_entry {
	bool used;
	struct polc_ct_model_key key;
	uint8_t state; /* enum polc_ct_state */
	uint8_t dir;   /* enum polc_ct_dir */
	uint8_t fin[2];
	uint32_t rule;
	bool local;
};

struct polc_ct_model {
	struct polc_ct_model_entry e[POLC_CT_MODEL_MAX];
};

void polc_ct_model_reset(struct polc_ct_model *m);

/*
 * A packet arriving at tracked policy p: *d as polc_interp_run() gives it,
 * or d->established (pass, no rule) for a packet of a tracked flow.
 */
void polc_ct_model_in(struct polc_ct_model *m, const struct ir_policy *p, const void *frame,
		      size_t len, struct polc_decision *d, bool *established);

/* A packet leaving through the companion program: recorded, always passed. */
void polc_ct_model_out(struct polc_ct_model *m, const void *frame, size_t len);

#endif /* POLC_CTMODEL_H */
