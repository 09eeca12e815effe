// SPDX-License-Identifier: BSD-2-Clause
/*
 * meta.c: validate and read an artifact's ".polc.meta" blob.
 *
 * The blob comes from a file an operator was handed, so nothing in it is
 * trusted: every count, offset and string index is checked against the blob
 * before a pointer is formed.  After polrt_meta_parse() succeeds, every
 * string offset in every record is known to name a NUL-terminated string.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "polrt.h"

#define META_MAX_POLICIES 4096
#define META_MAX_RULES (16u << 20)
#define META_MAX_NATS 4096 /* dnat and snat rules of one policy */

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

/*
 * A policy's dnat and snat records (its rules' strings are checked already).
 * They come in rule order; a record's index is its order among the
 * policy's records of its kind (the service id of a dnat rule), and each
 * maglev service has a table slot of its own.
 */
static int check_nats(const struct polrt_meta *m, const struct polc_meta_policy *p, char *why,
		      size_t why_len)
{
	const char *pol = m->strings + p->name_str;
	uint32_t n_kind[3] = { 0 }, n_maglev = 0, prev_rule = 0;
	uint8_t slots[META_MAX_NATS / 8] = { 0 };

	if (p->n_nats > META_MAX_NATS)
		return fail(why, why_len, "policy %s has %u nat rules, more than %u", pol, p->n_nats,
			    META_MAX_NATS);
	for (uint32_t j = 0; j < p->n_nats; j++) {
		const struct polc_meta_nat *n = &m->nats[p->first_nat + j];
		if (n->kind == POLC_NAT_DNAT && n->balance == POLC_NAT_BALANCE_MAGLEV)
			n_maglev++;
	}
	for (uint32_t j = 0; j < p->n_nats; j++) {
		const struct polc_meta_nat *n = &m->nats[p->first_nat + j];
		bool dnat = n->kind == POLC_NAT_DNAT;
		if (!dnat && n->kind != POLC_NAT_SNAT)
			return fail(why, why_len, "policy %s: nat record %u has unknown kind %u", pol, j,
				    n->kind);
		const char *what = dnat ? "dnat" : "snat";
		if (n->rule == 0 || n->rule > p->n_rules)
			return fail(why, why_len, "policy %s: %s record %u names rule %u of %u", pol,
				    what, j, n->rule, p->n_rules);
		if (n->rule <= prev_rule)
			return fail(why, why_len, "policy %s: nat records are not in rule order (rule %u "
						  "after rule %u)", pol, n->rule, prev_rule);
		prev_rule = n->rule;
		if (n->index != n_kind[n->kind]++)
			return fail(why, why_len, "policy %s: %s rule %u has index %u, expected %u", pol,
				    what, n->rule, n->index, n_kind[n->kind] - 1);
		if (n->reserved || (n->flags & ~(uint32_t)POLC_NAT_F_IFADDR) ||
		    (dnat && n->flags))
			return fail(why, why_len, "policy %s: %s rule %u has unknown flags", pol, what,
				    n->rule);
		if (dnat) {
			if (n->balance >= POLC_NAT_BALANCE_COUNT_)
				return fail(why, why_len, "policy %s: dnat rule %u has unknown balance %u",
					    pol, n->rule, n->balance);
			if (n->n_backends > POLC_NAT_POOL_MAX)
				return fail(why, why_len, "policy %s: dnat rule %u has %u backends, more "
							  "than %u", pol, n->rule, n->n_backends,
					    POLC_NAT_POOL_MAX);
			if (n->family != 0 && n->family != 4 && n->family != 6)
				return fail(why, why_len, "policy %s: dnat rule %u has family %u", pol,
					    n->rule, n->family);
			if (n->balance == POLC_NAT_BALANCE_MAGLEV) {
				uint32_t s = n->maglev_slot;
				if (s >= n_maglev || (slots[s / 8] >> (s % 8)) & 1)
					return fail(why, why_len, "policy %s: dnat rule %u has maglev slot "
								  "%u (%u maglev services)",
						    pol, n->rule, s, n_maglev);
				slots[s / 8] |= (uint8_t)(1u << (s % 8));
			}
			continue;
		}
		if (n->n_backends)
			return fail(why, why_len, "policy %s: snat rule %u has backends", pol, n->rule);
		if (n->flags & POLC_NAT_F_IFADDR) {
			if (n->family || n->addr[0] || n->addr[1] || n->addr[2] || n->addr[3])
				return fail(why, why_len, "policy %s: snat rule %u to the interface has an "
							  "address", pol, n->rule);
		} else if (n->family != 4 && n->family != 6) {
			return fail(why, why_len, "policy %s: snat rule %u has family %u", pol, n->rule,
				    n->family);
		} else if (n->family == 4 && (n->addr[1] || n->addr[2] || n->addr[3])) {
			return fail(why, why_len, "policy %s: snat rule %u has an IPv4 address of more "
						  "than 32 bits", pol, n->rule);
		}
		/* 0-0: the default range */
		if ((n->port_min || n->port_max) &&
		    (n->port_min == 0 || n->port_min > n->port_max || n->port_max > 65535))
			return fail(why, why_len, "policy %s: snat rule %u has port range %u-%u", pol,
				    n->rule, n->port_min, n->port_max);
	}
	return 0;
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
	if (h->n_nats > META_MAX_POLICIES * 16)
		return fail(why, why_len, "metadata lists %u nat records", h->n_nats);
	if (!range_ok(h->nats_off, h->n_nats, sizeof(struct polc_meta_nat), total))
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
	m->nats = (const void *)(base + h->nats_off);
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
		if (p->first_nat > h->n_nats || p->n_nats > h->n_nats - p->first_nat)
			return fail(why, why_len, "policy %u refers to nat records that do not exist", i);
		int err = check_nats(m, p, why, why_len);
		if (err)
			return err;
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

/* A dnat rule's compiled pool: inside the data, valid and without duplicates. */
static int check_backends(const struct polrt_meta *m, const struct polc_meta_policy *p,
			  const void *data, size_t data_len, char *why, size_t why_len)
{
	const char *pol = polrt_meta_str(m, p->name_str);

	for (uint32_t j = 0; j < p->n_nats; j++) {
		const struct polc_meta_nat *n = &m->nats[p->first_nat + j];
		if (n->kind != POLC_NAT_DNAT)
			continue;
		if (!data_ok(n->backends_off, n->n_backends, sizeof(struct polc_nat_backend),
			     data_len))
			return fail(why, why_len, "policy %s: the backends of dnat rule %u lie outside "
						  "the data section", pol, n->rule);
		if (!data)
			continue;
		const struct polc_nat_backend *b =
			(const void *)((const char *)data + n->backends_off);
		char text[64];
		for (uint32_t k = 0; k < n->n_backends; k++) {
			polrt_nat_backend_format(&b[k], text, sizeof(text));
			if (b[k].family != 4 && b[k].family != 6)
				return fail(why, why_len, "policy %s: dnat rule %u: backend %u has family "
							  "%u", pol, n->rule, k, b[k].family);
			if (b[k].flags || (b[k].family == 4 && (b[k].addr[1] || b[k].addr[2] ||
								  b[k].addr[3])))
				return fail(why, why_len, "policy %s: dnat rule %u: backend %u is invalid",
					    pol, n->rule, k);
			uint32_t family = n->family ? n->family : b[0].family;
			if (b[k].family != family)
				return fail(why, why_len, "policy %s: dnat rule %u's pool is IPv%u, backend "
							  "%s is not", pol, n->rule, family, text);
			for (uint32_t q = 0; q < k; q++)
				if (memcmp(&b[q], &b[k], sizeof(b[k])) == 0)
					return fail(why, why_len, "policy %s: dnat rule %u lists backend "
								  "%s twice", pol, n->rule, text);
		}
	}
	return 0;
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
	for (uint32_t i = 0; i < m->hdr->n_policies; i++) {
		int err = check_backends(m, &m->policies[i], NULL, data_len, why, why_len);
		if (err)
			return err;
	}
	return 0;
}

int polrt_meta_check_backends(const struct polrt_meta *m, const void *data, size_t data_len,
			      char *why, size_t why_len)
{
	for (uint32_t i = 0; i < m->hdr->n_policies; i++) {
		int err = check_backends(m, &m->policies[i], data, data_len, why, why_len);
		if (err)
			return err;
	}
	return 0;
}

const struct polc_nat_backend *polrt_meta_nat_backends(const struct polrt_meta *m,
						       const struct polc_meta_nat *n,
						       const void *data)
{
	(void)m;
	if (n->kind != POLC_NAT_DNAT || !n->n_backends || !data)
		return NULL;
	return (const void *)((const char *)data + n->backends_off);
}

const struct polc_meta_rule *polrt_meta_nat_rule(const struct polrt_meta *m,
						 const struct polc_meta_policy *p,
						 const struct polc_meta_nat *n)
{
	return &m->rules[p->first_rule + n->rule - 1];
}

/* (here rather than in natctl.c: the validator names backends, and the
 * artifact fuzzer links the validator alone) */
void polrt_nat_backend_format(const struct polc_nat_backend *b, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t n[4];

	for (int i = 0; i < 4; i++)
		n[i] = htonl(b->addr[i]);
	if (b->family != 4 && b->family != 6) {
		snprintf(buf, len, "(none)");
		return;
	}
	if (!inet_ntop(b->family == 6 ? AF_INET6 : AF_INET, n, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (!b->port)
		snprintf(buf, len, "%s", a);
	else if (b->family == 6)
		snprintf(buf, len, "[%s]:%u", a, b->port);
	else
		snprintf(buf, len, "%s:%u", a, b->port);
}

const char *polrt_nat_balance_name(unsigned b)
{
	return b == POLC_NAT_BALANCE_RANDOM ? "random"
	       : b == POLC_NAT_BALANCE_ROUND_ROBIN ? "round-robin"
	       : b == POLC_NAT_BALANCE_MAGLEV ? "maglev" : "?";
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
