// SPDX-License-Identifier: BSD-2-Clause
/*
 * meta.c: validate and read an artifact's ".polc.meta" blob.
 *
 * The blob comes from a file an operator was handed, so nothing in it is
 * trusted: every count, offset and string index is checked against the blob
 * before a pointer is formed.  After polrt_meta_parse() succeeds, every
 * string offset in every record is known to name a NUL-terminated string.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "polrt.h"

#define META_MAX_POLICIES 4096
#define META_MAX_RULES (16u << 20)

static int fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Is [off, off + n * size) inside a blob of total bytes? */
static bool range_ok(uint64_t off, uint64_t n, uint64_t size, uint64_t total)
{
	if (off % 4)
		return false;
	if (n > total || size > total)
		return false;
	return off <= total && n * size <= total - off;
}

static bool str_ok(const struct polrt_meta *m, uint32_t off)
{
	return off < m->strings_size;
}

/* Names become paths and identifiers: printable, no '/', not empty. */
static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '/')
			return false;
	return true;
}

int polrt_meta_parse(const void *blob, size_t len, struct polrt_meta *m,
		     char *why, size_t why_len)
{
	const struct polc_meta_header *h = blob;

	memset(m, 0, sizeof(*m));
	if (!blob || len < sizeof(*h))
		return fail(why, why_len, "metadata is %zu bytes, shorter than its header", len);
	if ((uintptr_t)blob % 8)
		return fail(why, why_len, "metadata buffer is not aligned");
	if (h->magic != POLC_META_MAGIC)
		return fail(why, why_len, "metadata has a bad magic number (not a polc artifact?)");
	if (h->version != POLC_META_VERSION)
		return fail(why, why_len, "metadata version %u is not supported (this polctl reads version %u)",
			    h->version, POLC_META_VERSION);
	if (h->header_size != sizeof(*h))
		return fail(why, why_len, "metadata header is %u bytes, expected %zu",
			    h->header_size, sizeof(*h));
	if (h->total_size > len || h->total_size < sizeof(*h))
		return fail(why, why_len, "metadata claims %u bytes but %zu are present",
			    h->total_size, len);
	if (h->flags || h->reserved || h->reserved2)
		return fail(why, why_len, "metadata uses flags this polctl does not know");

	uint64_t total = h->total_size;
	if (h->n_policies == 0 || h->n_policies > META_MAX_POLICIES)
		return fail(why, why_len, "metadata lists %u policies", h->n_policies);
	if (h->n_progs == 0 || h->n_progs > 4 * META_MAX_POLICIES)
		return fail(why, why_len, "metadata lists %u programs", h->n_progs);
	if (h->n_rules > META_MAX_RULES)
		return fail(why, why_len, "metadata lists %u rules", h->n_rules);
	if (!range_ok(h->policies_off, h->n_policies, sizeof(struct polc_meta_policy), total) ||
	    !range_ok(h->progs_off, h->n_progs, sizeof(struct polc_meta_prog), total) ||
	    !range_ok(h->rules_off, h->n_rules, sizeof(struct polc_meta_rule), total))
		return fail(why, why_len, "metadata records lie outside the metadata");
	if (h->n_sets > META_MAX_POLICIES || h->n_setrefs > META_MAX_POLICIES * 16 ||
	    h->n_inits > META_MAX_POLICIES * 32)
		return fail(why, why_len, "metadata lists %u sets, %u set references, %u map inits",
			    h->n_sets, h->n_setrefs, h->n_inits);
	if (!range_ok(h->sets_off, h->n_sets, sizeof(struct polc_meta_set), total) ||
	    !range_ok(h->setrefs_off, h->n_setrefs, sizeof(uint32_t), total) ||
	    !range_ok(h->inits_off, h->n_inits, sizeof(struct polc_meta_init), total))
		return fail(why, why_len, "metadata records lie outside the metadata");
	if (h->strings_size == 0 || h->strings_off > total ||
	    h->strings_size > total - h->strings_off)
		return fail(why, why_len, "metadata string table lies outside the metadata");

	const char *base = blob;
	m->hdr = h;
	m->policies = (const void *)(base + h->policies_off);
	m->progs = (const void *)(base + h->progs_off);
	m->rules = (const void *)(base + h->rules_off);
	m->sets = (const void *)(base + h->sets_off);
	m->setrefs = (const void *)(base + h->setrefs_off);
	m->inits = (const void *)(base + h->inits_off);
	m->strings = base + h->strings_off;
	m->strings_size = h->strings_size;
	if (m->strings[0] != '\0' || m->strings[m->strings_size - 1] != '\0')
		goto bad_strings;
	if (!str_ok(m, h->compiler_str) || !str_ok(m, h->source_str))
		goto bad_strings;

	for (uint32_t i = 0; i < h->n_progs; i++) {
		const struct polc_meta_prog *p = &m->progs[i];
		if (!str_ok(m, p->name_str) || !name_ok(m->strings + p->name_str))
			return fail(why, why_len, "program %u has no valid name", i);
		if (p->hook == 0 || p->hook >= POLC_HOOK_MAX_)
			return fail(why, why_len, "program %u has unknown hook %u", i, p->hook);
	}
	for (uint32_t i = 0; i < h->n_sets; i++) {
		const struct polc_meta_set *s = &m->sets[i];
		if (!str_ok(m, s->name_str) || !name_ok(m->strings + s->name_str))
			return fail(why, why_len, "set %u has no valid name", i);
		if (s->kind != POLC_SET_ADDR && s->kind != POLC_SET_PORT)
			return fail(why, why_len, "set %u has an unknown kind", i);
		if (s->kind == POLC_SET_ADDR
			    ? (s->families == 0 || s->families > (POLC_FAMILY_V4 | POLC_FAMILY_V6))
			    : s->families != 0)
			return fail(why, why_len, "set %u has invalid families", i);
		if (s->n_elems > s->size || s->size > META_MAX_RULES)
			return fail(why, why_len, "set %u holds more elements than its size", i);
		for (int f = 0; f < 2; f++) {
			bool has = s->kind == POLC_SET_PORT ? f == 0 : (s->families >> f) & 1;
			for (int k = 0; k < POLC_TRIE_MAPS; k++)
				if (!str_ok(m, s->map_str[f][k]) ||
				    (has && !name_ok(m->strings + s->map_str[f][k])))
					return fail(why, why_len, "set %u lacks a map name", i);
			if (has && (s->nodes[f] == 0 || s->bits[f] == 0))
				return fail(why, why_len, "set %u has empty tries", i);
		}
	}
	for (uint32_t i = 0; i < h->n_setrefs; i++)
		if (m->setrefs[i] >= h->n_sets)
			return fail(why, why_len, "a policy refers to set %u of %u", m->setrefs[i],
				    h->n_sets);
	for (uint32_t i = 0; i < h->n_inits; i++) {
		const struct polc_meta_init *n = &m->inits[i];
		int maps = n->kind == POLC_INIT_ARRAY ? 1 : POLC_TRIE_MAPS;
		if (n->kind != POLC_INIT_ARRAY && n->kind != POLC_INIT_TRIE)
			return fail(why, why_len, "map init %u has an unknown kind", i);
		if (n->kind == POLC_INIT_TRIE && n->width != 32 && n->width != 128)
			return fail(why, why_len, "map init %u has key width %u", i, n->width);
		for (int k = 0; k < maps; k++)
			if (!str_ok(m, n->map_str[k]) || !name_ok(m->strings + n->map_str[k]))
				return fail(why, why_len, "map init %u lacks a map name", i);
		if (n->data_off % 8)
			return fail(why, why_len, "map init %u is not aligned", i);
	}
	for (uint32_t i = 0; i < h->n_policies; i++) {
		const struct polc_meta_policy *p = &m->policies[i];
		if (!str_ok(m, p->name_str) || !name_ok(m->strings + p->name_str) ||
		    !str_ok(m, p->rules_map_str) || !name_ok(m->strings + p->rules_map_str) ||
		    !str_ok(m, p->reasons_map_str) || !name_ok(m->strings + p->reasons_map_str))
			return fail(why, why_len, "policy %u has an invalid name or map name", i);
		if (p->n_progs == 0 || p->first_prog >= h->n_progs ||
		    p->n_progs > h->n_progs - p->first_prog)
			return fail(why, why_len, "policy %u refers to programs that do not exist", i);
		if (p->first_rule > h->n_rules || p->n_rules > h->n_rules - p->first_rule)
			return fail(why, why_len, "policy %u refers to rules that do not exist", i);
		if (p->default_verdict >= POLC_VERDICT_COUNT_ || p->plan >= POLC_PLAN_COUNT_)
			return fail(why, why_len, "policy %u has an unknown default or plan", i);
		if (p->first_setref > h->n_setrefs || p->n_setrefs > h->n_setrefs - p->first_setref ||
		    p->first_init > h->n_inits || p->n_inits > h->n_inits - p->first_init)
			return fail(why, why_len, "policy %u refers to sets or inits that do not exist", i);
		for (uint32_t j = 0; j < p->n_rules; j++) {
			const struct polc_meta_rule *r = &m->rules[p->first_rule + j];
			if (r->id != j + 1)
				return fail(why, why_len, "policy %u: rule %u has id %u", i, j + 1, r->id);
			if (r->verdict >= POLC_VERDICT_COUNT_)
				return fail(why, why_len, "policy %u: rule %u has an unknown verdict", i, j + 1);
			if (!str_ok(m, r->text_str) || !str_ok(m, r->label_str))
				goto bad_strings;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(m->strings + m->policies[j].name_str,
				   m->strings + p->name_str) == 0)
				return fail(why, why_len, "policy '%s' is listed twice",
					    m->strings + p->name_str);
	}
	return 0;

bad_strings:
	memset(m, 0, sizeof(*m));
	return fail(why, why_len, "metadata string references are out of range");
}

static bool data_ok(uint64_t off, uint64_t n, uint64_t size, uint64_t len)
{
	return off % 8 == 0 && off <= len && n <= len && n * size <= len - off;
}

int polrt_meta_check_data(const struct polrt_meta *m, size_t data_len, char *why,
			  size_t why_len)
{
	if (m->hdr->data_size != data_len)
		return fail(why, why_len, "the data section is %zu bytes, the metadata says %u",
			    data_len, m->hdr->data_size);
	for (uint32_t i = 0; i < m->hdr->n_sets; i++)
		if (!data_ok(m->sets[i].elems_off, m->sets[i].n_elems, sizeof(struct polc_meta_key),
			     data_len))
			return fail(why, why_len, "set %u's elements lie outside the data section", i);
	for (uint32_t i = 0; i < m->hdr->n_inits; i++) {
		const struct polc_meta_init *n = &m->inits[i];
		size_t size = n->kind == POLC_INIT_ARRAY ? sizeof(uint32_t) : sizeof(struct polc_meta_key);
		if (!data_ok(n->data_off, n->count, size, data_len))
			return fail(why, why_len, "map init %u lies outside the data section", i);
	}
	return 0;
}

const struct polc_meta_set *polrt_meta_set(const struct polrt_meta *m, const char *name)
{
	for (uint32_t i = 0; i < m->hdr->n_sets; i++)
		if (strcmp(polrt_meta_str(m, m->sets[i].name_str), name) == 0)
			return &m->sets[i];
	return NULL;
}

const char *polrt_meta_str(const struct polrt_meta *m, uint32_t off)
{
	return off < m->strings_size ? m->strings + off : "";
}

const struct polc_meta_policy *polrt_meta_policy(const struct polrt_meta *m,
						  const char *name)
{
	for (uint32_t i = 0; i < m->hdr->n_policies; i++)
		if (strcmp(polrt_meta_str(m, m->policies[i].name_str), name) == 0)
			return &m->policies[i];
	return NULL;
}

const char *polrt_hook_name(enum polc_hook hook)
{
	switch (hook) {
	case POLC_HOOK_XDP:
		return "xdp";
	case POLC_HOOK_TC_INGRESS:
		return "tc ingress";
	case POLC_HOOK_TC_EGRESS:
		return "tc egress";
	case POLC_HOOK_MAX_:
		break;
	}
	return "?";
}

const char *polrt_verdict_name(enum polc_verdict v)
{
	return v == POLC_VERDICT_PASS ? "pass" : v == POLC_VERDICT_DROP ? "drop" : "?";
}

const char *polrt_reason_name(enum polc_reason r)
{
	static const char *const names[] = {
		[POLC_REASON_DEFAULT] = "default",
		[POLC_REASON_NON_IP] = "non-ip",
		[POLC_REASON_TRUNCATED] = "truncated",
		[POLC_REASON_MALFORMED] = "malformed",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == POLC_REASON_COUNT_,
		       "a name per reason");

	return (unsigned)r < POLC_REASON_COUNT_ ? names[r] : "?";
}
