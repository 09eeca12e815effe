// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_artifact: the runtime's artifact reader on any bytes.
 *
 * The input goes, whole, to two readers:
 *  - polrt_artifact_from_mem(): the ELF object (libelf), its ".polc.meta"
 *    and ".polc.data" sections, the metadata validated;
 *  - polrt_meta_parse() directly, on an aligned copy: the metadata blob
 *    alone, as polctl reads it back from an instance's pinned "meta" map.
 * Seeds of both kinds (artifacts polc compiled, and their metadata
 * sections) let each reader be reached past its first checks.
 *
 * Whatever is accepted is walked: every record, every string, every byte of
 * ".polc.data" a record points at, read as polctl would read it, so ASan
 * sees any offset the validator let through out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

static volatile size_t sink;

static void log_discard(void *ctx, enum polrt_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	sink += strlen(msg);
}

static size_t str(const struct polrt_meta *m, uint32_t off)
{
	return strlen(polrt_meta_str(m, off));
}

static size_t bytes(const void *data, size_t len, uint64_t off, uint64_t n, size_t size)
{
	const unsigned char *p = (const unsigned char *)data + off;
	size_t sum = 0;

	if (!data || off > len || n * size > len - off)
		abort(); /* polrt_meta_check_data() should have refused it */
	for (uint64_t i = 0; i < n * size; i++)
		sum += p[i];
	return sum;
}

/* Everything a reader may touch after a successful parse; with data (the
 * ".polc.data" section, checked by polrt_meta_check_data()) the records'
 * contents too. */
static size_t walk(const struct polrt_meta *m, const void *data, size_t data_len)
{
	const struct polc_meta_header *h = m->hdr;
	size_t sum = str(m, h->compiler_str) + str(m, h->source_str);

	for (uint32_t i = 0; i < h->n_progs; i++)
		sum += str(m, m->progs[i].name_str) + m->progs[i].hook;
	for (uint32_t i = 0; i < h->n_sets; i++) {
		const struct polc_meta_set *s = &m->sets[i];
		sum += str(m, s->name_str);
		for (int f = 0; f < 2; f++)
			for (int k = 0; k < POLC_TRIE_MAPS; k++)
				sum += str(m, s->map_str[f][k]);
		if (polrt_meta_set(m, polrt_meta_str(m, s->name_str)) == NULL)
			abort();
		if (data)
			sum += bytes(data, data_len, s->elems_off, s->n_elems,
				     sizeof(struct polc_meta_key));
	}
	for (uint32_t i = 0; i < h->n_inits; i++) {
		const struct polc_meta_init *n = &m->inits[i];
		for (int k = 0; k < POLC_TRIE_MAPS; k++)
			sum += str(m, n->map_str[k]);
		if (data)
			sum += bytes(data, data_len, n->data_off, n->count,
				     n->kind == POLC_INIT_ARRAY ? sizeof(uint32_t) :
								  sizeof(struct polc_meta_key));
	}
	for (uint32_t i = 0; i < h->n_policies; i++) {
		const struct polc_meta_policy *p = &m->policies[i];
		sum += str(m, p->name_str) + str(m, p->rules_map_str) + str(m, p->reasons_map_str);
		if (polrt_meta_policy(m, polrt_meta_str(m, p->name_str)) != p)
			abort(); /* names are unique */
		sum += strlen(polrt_verdict_name(p->default_verdict));
		for (uint32_t j = 0; j < p->n_progs; j++) {
			const struct polc_meta_prog *pr = &m->progs[p->first_prog + j];
			sum += str(m, pr->name_str) + strlen(polrt_hook_name(pr->hook));
		}
		for (uint32_t j = 0; j < p->n_rules; j++) {
			const struct polc_meta_rule *r = &m->rules[p->first_rule + j];
			sum += str(m, r->text_str) + str(m, r->label_str) + r->line + r->col;
			sum += strlen(polrt_verdict_name(r->verdict));
		}
		for (uint32_t j = 0; j < p->n_setrefs; j++)
			sum += str(m, m->sets[m->setrefs[p->first_setref + j]].name_str);
		for (uint32_t j = 0; j < p->n_inits; j++)
			sum += m->inits[p->first_init + j].count;
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct polrt *rt;
	struct polrt_artifact *a = NULL;

	if (!rt) {
		struct polrt_opts opts = { .sz = sizeof(opts), .log = log_discard };
		if (polrt_new(&rt, &opts))
			abort();
	}

	/* the whole artifact */
	if (polrt_artifact_from_mem(rt, data, size, "fuzz.o", &a) == 0) {
		size_t len;
		const void *blob = polrt_artifact_meta_blob(a, &len);
		sink += walk(polrt_artifact_meta(a), a->data_blob, a->data_len);
		sink += len + (blob != NULL);
		polrt_artifact_free(&a);
	}

	/* the metadata alone, as read back from a pinned "meta" map */
	void *blob = aligned_alloc(8, size ? (size + 7) & ~(size_t)7 : 8);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	struct polrt_meta m;
	char why[256];
	if (polrt_meta_parse(blob, size, &m, why, sizeof(why)) == 0) {
		sink += walk(&m, NULL, 0);
		/* the bytes after the metadata, as if they were its data */
		size_t rest = size - m.hdr->total_size;
		const char *tail = (const char *)blob + m.hdr->total_size;
		if (polrt_meta_check_data(&m, rest, why, sizeof(why)) == 0)
			sink += walk(&m, tail, rest);
	} else {
		sink += strlen(why);
	}
	free(blob);
	return 0;
}
