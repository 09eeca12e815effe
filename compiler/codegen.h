/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * codegen.h: what the code generator's files share.  codegen.c drives and
 * emits programs and metadata; codegen_sets.c the named sets;
 * codegen_classifier.c the classifier plan.  All of them add to one
 * generator state: the C text, the string table and the bulk data of
 * ".polc.data", and the metadata records.
 */
#ifndef POLC_CODEGEN_H
#define POLC_CODEGEN_H

#include "polc_contract.h"
#include "strbuf.h"
#include "unit.h"

/* The file the generated C embeds as ".polc.data" (backend.c writes it). */
#define POLC_DATA_FILE "polc_data.bin"

/* The metadata's string table: deduplicated, offsets in order of adding. */
struct strtab {
	struct strbuf data;
	uint32_t *slots; /* open addressing: offset + 1, 0 = empty */
	size_t cap;
	size_t used;
};

struct gen {
	struct polc_unit *u;
	struct strbuf *out; /* the C text */
	struct strtab st;
	struct strbuf *data; /* ".polc.data" */
	VEC(struct polc_meta_set) sets;
	VEC(uint32_t) setrefs;
	VEC(struct polc_meta_init) inits;
	VEC(struct polc_meta_policy) policies;
	VEC(struct polc_meta_nat) nats;
};

uint32_t gen_str(struct gen *g, const char *s);
/* Append len bytes to ".polc.data" (8-byte aligned); their offset. */
uint32_t gen_data(struct gen *g, const void *p, size_t len);

/* codegen_sets.c: the maps and membership helpers of every set, and their
 * metadata records. */
void gen_sets(struct gen *g);
/* A C expression: is the address (p->src or p->dst, family f) / the port
 * (an expression) in set s? */
void gen_set_has_addr(struct gen *g, struct strbuf *out, const struct ir_set *s,
		      enum ir_family f, const char *addr);
void gen_set_has_port(struct gen *g, struct strbuf *out, const struct ir_set *s,
		      const char *port);

/* codegen_classifier.c: the maps, the classify function and the map
 * initialisation records of a policy with the classifier plan. */
void gen_classifier(struct gen *g, const struct ir_policy *p);

/* codegen_nat.c: a policy's NAT maps and their metadata records
 * (p->first_nat/n_nats in *rec), the dispatch of a passed new flow to its
 * dnat or snat rule in the main program, and the records in the blob. */
bool gen_nat_used(const struct ir_policy *p);
void gen_nat_maps(struct gen *g, const struct ir_policy *p, struct polc_meta_policy *rec);
void gen_nat_dispatch(struct gen *g, const struct ir_policy *p);
void gen_nat_records(struct gen *g, struct strbuf *rec);

/* A C test: is the address in field (p->src/p->dst) inside prefix p? */
void gen_prefix_test(struct strbuf *sb, const char *field, const struct ir_prefix *p);

/* A trie map triple, declared with its capacities (cap 0: size 1). */
void gen_trie_maps(struct gen *g, const char *name, uint32_t nodes, uint32_t bits);

#endif /* POLC_CODEGEN_H */
