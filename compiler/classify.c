// SPDX-License-Identifier: BSD-2-Clause
/*
 * classify.c: build the classifier plan of a policy (see ir.h): per-field
 * equivalence classes and the cross-product tables that turn a packet's
 * classes into its first matching rule, with first-match semantics exact.
 *
 * A rule whose address (or port) part mixes literal values with sets is an
 * OR across two fields; it is split into "subrules", one per alternative,
 * which keep the rule's id and order.  For each field, a subrule either does
 * not constrain it (it is in the field's wildcard set) or lists the values it
 * accepts.  A class is the sorted list of constraining subrules that accept a
 * value; wildcards are kept apart as a bitmap, so they are not repeated in
 * every class.  Combining fields X and Y, the subrules that accept a pair are
 * (C_x ∩ C_y) ∪ (C_x ∩ W_Y) ∪ (W_X ∩ C_y).
 *
 * A class is cut after its first subrule that constrains no field still to
 * be combined: that subrule matches whatever comes, so nothing after it can
 * be the first match.  This keeps classes short in the policies seen in
 * practice; a policy whose tables would still grow past the limits below is
 * refused with the numbers, not compiled into something the kernel cannot
 * hold.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polc_contract.h"
#include "unit.h"

#define TABLE_MAX_ENTRIES (1u << 25)  /* per table: 128 MiB of u32 */
#define TABLES_MAX_BYTES (512ull << 20)
#define WORK_MAX (4ull << 30)         /* element operations, all steps */
#define MAX_SUBRULES (1u << 24)

enum {
	F_PROTO = 1 << 0,
	F_L4A = 1 << 1,
	F_L4B = 1 << 2,
	F_SRC = 1 << 3,
	F_DST = 1 << 4,
	F_MASK = 1 << 5,
	F_ALL = 0x3f,
};

struct ivec {
	uint32_t *v;
	uint32_t n;
};

struct subrule {
	const struct ir_rule *r;
	uint32_t match;  /* POLC_MATCH(id, verdict) */
	uint8_t fields;  /* F_* it constrains */
	bool set_alt[4]; /* per enum ir_side: this alternative uses the sets */
	uint16_t groups[4]; /* mask bits of the side's sets (set_alt only) */
};

/* The classes of one field, or of several fields combined. */
struct field {
	uint8_t fields;
	uint32_t n;
	struct ivec *cls;
	uint32_t cap;
	uint64_t *wild; /* subrules constraining none of `fields` */
	uint32_t *slots; /* intern table: class + 1 */
	uint32_t n_slots;
};

struct cctx {
	struct polc_unit *u;
	struct ir_policy *p;
	struct ir_classifier *out;
	struct subrule *sub;
	uint32_t n_sub;
	uint32_t catch_all; /* first subrule constraining nothing, or n_sub */
	uint64_t work;
	uint64_t bytes;
	bool failed;
	char why[400]; /* what made the plan impossible */
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

static bool bit(const uint64_t *b, uint32_t i)
{
	return (b[i >> 6] >> (i & 63)) & 1;
}

static void fail(struct cctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct cctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->failed = true;
}

/* ---- interning classes ----------------------------------------------------- */

static uint32_t hash_vec(const uint32_t *v, uint32_t n)
{
	uint32_t h = 2166136261u ^ n;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ v[i]) * 16777619u;
	return h;
}

static void field_init(struct field *f, uint8_t fields, uint32_t n_sub)
{
	memset(f, 0, sizeof(*f));
	f->fields = fields;
	f->wild = xcalloc((n_sub + 63) / 64, sizeof(uint64_t));
}

static void field_free(struct field *f)
{
	for (uint32_t i = 0; i < f->n; i++)
		free(f->cls[i].v);
	free(f->cls);
	free(f->wild);
	free(f->slots);
	memset(f, 0, sizeof(*f));
}

static void field_rehash(struct field *f)
{
	uint32_t n = f->n_slots ? f->n_slots * 2 : 1024;
	uint32_t *slots = xcalloc(n, sizeof(uint32_t));

	for (uint32_t i = 0; i < f->n; i++) {
		uint32_t j = hash_vec(f->cls[i].v, f->cls[i].n) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(f->slots);
	f->slots = slots;
	f->n_slots = n;
}

/* The class with members v[0..n), made if new (v is copied). */
static uint32_t intern(struct cctx *c, struct field *f, const uint32_t *v, uint32_t n)
{
	if ((f->n + 1) * 2 > f->n_slots)
		field_rehash(f);
	uint32_t j = hash_vec(v, n) & (f->n_slots - 1);
	for (; f->slots[j]; j = (j + 1) & (f->n_slots - 1)) {
		const struct ivec *k = &f->cls[f->slots[j] - 1];
		c->work += n;
		if (k->n == n && (n == 0 || memcmp(k->v, v, n * sizeof(*v)) == 0))
			return f->slots[j] - 1;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->cls = realloc(f->cls, f->cap * sizeof(*f->cls));
		if (!f->cls)
			abort();
	}
	struct ivec *k = &f->cls[f->n];
	k->n = n;
	k->v = xcalloc(n, sizeof(uint32_t));
	if (n)
		memcpy(k->v, v, n * sizeof(*v));
	c->bytes += n * sizeof(uint32_t);
	f->slots[j] = f->n + 1;
	return f->n++;
}

/* Cut v after its first subrule that constrains nothing outside `done`. */
static uint32_t cut(const struct cctx *c, const uint32_t *v, uint32_t n, uint8_t done)
{
	for (uint32_t i = 0; i < n; i++)
		if (!(c->sub[v[i]].fields & ~done))
			return i + 1;
	return n;
}

/* ---- subrules -------------------------------------------------------------- */

/* The bit of (set, side), allocated on first use; -1 past the limit. */
static int set_bit(struct cctx *c, uint32_t set, enum ir_side side)
{
	struct ir_classifier *o = c->out;

	for (size_t i = 0; i < o->n_bits; i++)
		if (o->bits[i].set == set && o->bits[i].side == side)
			return (int)i;
	if (o->n_bits == IR_MAX_SETBITS) {
		fail(c, "it looks up more than %d sets (by side)", IR_MAX_SETBITS);
		return -1;
	}
	o->bits[o->n_bits] = (struct ir_setbit){ set, side };
	return (int)o->n_bits++;
}

static bool addr_literal(const struct ir_addrset *s)
{
	return !s->any && s->n > 0;
}

static bool port_literal(const struct ir_portset *s)
{
	return !s->any && s->n > 0;
}

static uint16_t side_group(struct cctx *c, enum ir_side side, const struct ir_set *const *sets,
			   size_t n)
{
	uint16_t g = 0;

	for (size_t i = 0; i < n; i++) {
		int b = set_bit(c, sets[i]->index, side);
		if (b >= 0)
			g |= (uint16_t)(1u << b);
	}
	return g;
}

static bool proto_wild(const struct ir_rule *r)
{
	return r->families == IR_FAMILIES_ALL && r->proto[IR_V4].any && r->proto[IR_V6].any;
}

static void make_subrules(struct cctx *c)
{
	const struct ir_policy *p = c->p;
	size_t cap = p->n_rules * 2 + 1;

	c->sub = xcalloc(cap, sizeof(*c->sub));
	for (size_t i = 0; i < p->n_rules && !c->failed; i++) {
		const struct ir_rule *r = &p->rules[i];
		const struct ir_set *const *sets[4] = { r->src.sets, r->dst.sets, r->sport.sets,
							r->dport.sets };
		size_t n_sets[4] = { r->src.n_sets, r->dst.n_sets, r->sport.n_sets, r->dport.n_sets };
		bool lit[4] = { addr_literal(&r->src), addr_literal(&r->dst),
				port_literal(&r->sport), port_literal(&r->dport) };
		/* per side: 1 alternative (literals, or sets, or nothing) or 2 */
		unsigned alts = 1;
		for (int s = 0; s < 4; s++)
			if (n_sets[s] && lit[s])
				alts *= 2;
		for (unsigned a = 0; a < alts; a++) {
			if (c->n_sub == cap) {
				cap *= 2;
				c->sub = realloc(c->sub, cap * sizeof(*c->sub));
				if (!c->sub)
					abort();
			}
			if (c->n_sub >= MAX_SUBRULES) {
				fail(c, "more than %u rules after splitting", MAX_SUBRULES);
				return;
			}
			struct subrule *sr = &c->sub[c->n_sub++];
			memset(sr, 0, sizeof(*sr));
			sr->r = r;
			sr->match = POLC_MATCH(r->id, r->verdict);
			unsigned k = a;
			for (int s = 0; s < 4; s++) {
				bool use_sets = n_sets[s] && !lit[s];
				if (n_sets[s] && lit[s]) {
					use_sets = k & 1;
					k >>= 1;
				}
				sr->set_alt[s] = use_sets;
				if (use_sets) {
					sr->groups[s] = side_group(c, s, sets[s], n_sets[s]);
					sr->fields |= F_MASK;
				}
			}
			if (!proto_wild(r))
				sr->fields |= F_PROTO;
			if (r->needs_l4 || (port_literal(&r->sport) && !sr->set_alt[IR_SIDE_SPORT]))
				sr->fields |= F_L4A | F_L4B;
			if (lit[IR_SIDE_SRC] && !sr->set_alt[IR_SIDE_SRC])
				sr->fields |= F_SRC;
			if (lit[IR_SIDE_DST] && !sr->set_alt[IR_SIDE_DST])
				sr->fields |= F_DST;
		}
	}
	c->catch_all = c->n_sub;
	for (uint32_t i = 0; i < c->n_sub; i++) {
		if (!c->sub[i].fields) {
			c->catch_all = i;
			break;
		}
	}
	c->out->n_subrules = c->n_sub;
}

/* ---- fields over small domains: proto, l4a, l4b, mask --------------------- */

static bool in_ranges(const struct ir_portset *s, uint32_t v)
{
	for (size_t i = 0; i < s->n; i++)
		if (v >= s->v[i].lo && v <= s->v[i].hi)
			return true;
	return false;
}

/* Does subrule sr accept value v of the field? (sr constrains the field) */
static bool accepts(const struct subrule *sr, uint8_t field, uint32_t v)
{
	const struct ir_rule *r = sr->r;

	switch (field) {
	case F_PROTO: {
		unsigned fam = v >> 8;
		return (r->families & IR_FAMILY_BIT(fam)) && ir_byteset_has(&r->proto[fam], v & 255);
	}
	case F_L4A:
		if (v == IR_L4A_NONE)
			return !r->needs_l4 && !(port_literal(&r->sport) && !sr->set_alt[IR_SIDE_SPORT]);
		if (v >= IR_L4A_ICMP4) {
			/* an ICMP type: rules with ports never see one */
			if (port_literal(&r->sport) && !sr->set_alt[IR_SIDE_SPORT])
				return false;
			unsigned fam = v >= IR_L4A_ICMP6 ? IR_V6 : IR_V4;
			return ir_byteset_has(&r->icmp_type[fam],
					      v - (fam == IR_V6 ? IR_L4A_ICMP6 : IR_L4A_ICMP4));
		}
		if (port_literal(&r->sport) && !sr->set_alt[IR_SIDE_SPORT])
			return in_ranges(&r->sport, v);
		return true; /* any port: the protocol decides */
	case F_L4B:
		if (v == IR_L4B_NONE)
			return !r->needs_l4;
		if (v >= IR_L4B_ICMP) {
			if (port_literal(&r->dport) && !sr->set_alt[IR_SIDE_DPORT])
				return false;
			return ir_byteset_has(&r->icmp_code, v - IR_L4B_ICMP);
		}
		if (port_literal(&r->dport) && !sr->set_alt[IR_SIDE_DPORT])
			return in_ranges(&r->dport, v);
		return true;
	case F_MASK:
		for (int s = 0; s < 4; s++)
			if (sr->set_alt[s] && !(v & sr->groups[s]))
				return false;
		return true;
	}
	return false;
}

/*
 * Rules with the same constraint on a field behave alike there: group
 * them (a signature per distinct constraint) so the domain is evaluated
 * once per constraint, not once per rule.
 */
struct sig {
	uint32_t first;     /* a subrule with this constraint */
	struct ivec members;
	uint32_t cap;
};

static bool same_constraint(const struct subrule *a, const struct subrule *b, uint8_t field)
{
	const struct ir_rule *x = a->r, *y = b->r;

	switch (field) {
	case F_PROTO:
		return x->families == y->families &&
		       memcmp(x->proto, y->proto, sizeof(x->proto)) == 0;
	case F_L4A:
		return x->needs_l4 == y->needs_l4 &&
		       a->set_alt[IR_SIDE_SPORT] == b->set_alt[IR_SIDE_SPORT] &&
		       x->sport.n == y->sport.n && x->sport.any == y->sport.any &&
		       (!x->sport.n || memcmp(x->sport.v, y->sport.v, x->sport.n * sizeof(*x->sport.v)) == 0) &&
		       memcmp(x->icmp_type, y->icmp_type, sizeof(x->icmp_type)) == 0;
	case F_L4B:
		return x->needs_l4 == y->needs_l4 &&
		       a->set_alt[IR_SIDE_DPORT] == b->set_alt[IR_SIDE_DPORT] &&
		       x->dport.n == y->dport.n && x->dport.any == y->dport.any &&
		       (!x->dport.n || memcmp(x->dport.v, y->dport.v, x->dport.n * sizeof(*x->dport.v)) == 0) &&
		       memcmp(&x->icmp_code, &y->icmp_code, sizeof(x->icmp_code)) == 0;
	case F_MASK:
		return memcmp(a->set_alt, b->set_alt, sizeof(a->set_alt)) == 0 &&
		       memcmp(a->groups, b->groups, sizeof(a->groups)) == 0;
	}
	return false;
}

static uint32_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t hash_constraint(const struct subrule *a, uint8_t field)
{
	const struct ir_rule *x = a->r;
	uint32_t h = field;

	switch (field) {
	case F_PROTO:
		h = hash_bytes(x->proto, sizeof(x->proto)) ^ x->families;
		break;
	case F_L4A:
		h ^= x->sport.n * 31 + (x->sport.n ? x->sport.v[0].lo * 7u + x->sport.v[0].hi : 0) +
		     x->needs_l4 + hash_bytes(x->icmp_type, sizeof(x->icmp_type));
		break;
	case F_L4B:
		h ^= x->dport.n * 31 + (x->dport.n ? x->dport.v[0].lo * 7u + x->dport.v[0].hi : 0) +
		     x->needs_l4 + hash_bytes(&x->icmp_code, sizeof(x->icmp_code));
		break;
	case F_MASK:
		h ^= hash_bytes(a->groups, sizeof(a->groups)) ^ hash_bytes(a->set_alt, sizeof(a->set_alt));
		break;
	}
	return h * 2654435761u;
}

/* Group the subrules constraining `field` by constraint, in subrule order. */
static struct sig *group(struct cctx *c, uint8_t field, struct field *f, uint32_t *n_sigs)
{
	uint32_t cap = 16, n = 0, n_slots = 1024;
	struct sig *sigs = xcalloc(cap, sizeof(*sigs));
	uint32_t *slots = xcalloc(n_slots, sizeof(uint32_t));

	for (uint32_t i = 0; i < c->catch_all; i++) {
		const struct subrule *sr = &c->sub[i];
		if (!(sr->fields & field)) {
			f->wild[i >> 6] |= 1ull << (i & 63);
			continue;
		}
		if ((n + 1) * 2 > n_slots) {
			free(slots);
			n_slots *= 2;
			slots = xcalloc(n_slots, sizeof(uint32_t));
			for (uint32_t k = 0; k < n; k++) {
				uint32_t j = hash_constraint(&c->sub[sigs[k].first], field) & (n_slots - 1);
				while (slots[j])
					j = (j + 1) & (n_slots - 1);
				slots[j] = k + 1;
			}
		}
		uint32_t j = hash_constraint(sr, field) & (n_slots - 1);
		for (; slots[j]; j = (j + 1) & (n_slots - 1))
			if (same_constraint(&c->sub[sigs[slots[j] - 1].first], sr, field))
				break;
		if (!slots[j]) {
			if (n == cap) {
				cap *= 2;
				sigs = realloc(sigs, cap * sizeof(*sigs));
				if (!sigs)
					abort();
			}
			memset(&sigs[n], 0, sizeof(sigs[n]));
			sigs[n].first = i;
			slots[j] = ++n;
		}
		struct sig *s = &sigs[slots[j] - 1];
		if (s->members.n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 4;
			s->members.v = realloc(s->members.v, s->cap * sizeof(uint32_t));
			if (!s->members.v)
				abort();
		}
		s->members.v[s->members.n++] = i;
	}
	/* catch_all and later: shadowed, in no field's wildcards either */
	free(slots);
	*n_sigs = n;
	return sigs;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Classes of a field over [0, size): classes[v] for every value. */
static void small_field(struct cctx *c, uint8_t field, uint32_t size, struct field *f,
			uint32_t **classes)
{
	uint32_t n_sigs;
	struct sig *sigs = group(c, field, f, &n_sigs);
	uint32_t *cls = xcalloc(size, sizeof(uint32_t));
	uint32_t *key = xcalloc(n_sigs + 1, sizeof(uint32_t));
	uint32_t *prev = xcalloc(n_sigs + 1, sizeof(uint32_t));
	uint32_t *buf = xcalloc(c->n_sub + 1, sizeof(uint32_t));
	uint32_t n_prev = UINT32_MAX, prev_cls = 0;

	for (uint32_t v = 0; v < size; v++) {
		uint32_t n_key = 0;
		for (uint32_t s = 0; s < n_sigs; s++)
			if (accepts(&c->sub[sigs[s].first], field, v))
				key[n_key++] = s;
		c->work += n_sigs;
		if (n_key == n_prev && memcmp(key, prev, n_key * sizeof(uint32_t)) == 0) {
			cls[v] = prev_cls; /* runs of equal values are the common case */
			continue;
		}
		uint32_t n = 0;
		for (uint32_t k = 0; k < n_key; k++) {
			const struct ivec *m = &sigs[key[k]].members;
			memcpy(buf + n, m->v, m->n * sizeof(uint32_t));
			n += m->n;
		}
		if (n_key > 1)
			qsort(buf, n, sizeof(uint32_t), cmp_u32);
		n = cut(c, buf, n, field);
		prev_cls = cls[v] = intern(c, f, buf, n);
		memcpy(prev, key, n_key * sizeof(uint32_t));
		n_prev = n_key;
	}
	for (uint32_t s = 0; s < n_sigs; s++)
		free(sigs[s].members.v);
	free(sigs);
	free(key);
	free(prev);
	free(buf);
	*classes = cls;
}

/* ---- address fields ---------------------------------------------------------- */

struct tagged_prefix {
	struct ir_prefix p;
	uint32_t sub;
};

static int tagged_cmp(const void *pa, const void *pb)
{
	const struct tagged_prefix *a = pa, *b = pb;

	if (a->p.family != b->p.family)
		return a->p.family < b->p.family ? -1 : 1;
	for (int i = 0; i < 4; i++)
		if (a->p.w[i] != b->p.w[i])
			return a->p.w[i] < b->p.w[i] ? -1 : 1;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	return a->sub < b->sub ? -1 : a->sub > b->sub;
}

/*
 * An address field: every distinct prefix gets the class of the subrules
 * listing it or a prefix containing it (its ancestors in the sorted order),
 * so a longest-prefix match gives an address its class; class 0 is the
 * empty class of addresses no prefix covers.
 */
static void addr_field(struct cctx *c, enum ir_side side, struct field *f,
		       size_t n_out[IR_NFAMILIES], struct ir_class_prefix *out[IR_NFAMILIES])
{
	uint8_t fbit = side == IR_SIDE_SRC ? F_SRC : F_DST;
	size_t n = 0, cap = 1024;
	struct tagged_prefix *t = xcalloc(cap, sizeof(*t));

	for (uint32_t i = 0; i < c->catch_all; i++) {
		const struct subrule *sr = &c->sub[i];
		if (!(sr->fields & fbit)) {
			f->wild[i >> 6] |= 1ull << (i & 63);
			continue;
		}
		const struct ir_addrset *a = side == IR_SIDE_SRC ? &sr->r->src : &sr->r->dst;
		for (size_t k = 0; k < a->n; k++) {
			if (n == cap) {
				cap *= 2;
				t = realloc(t, cap * sizeof(*t));
				if (!t)
					abort();
			}
			t[n++] = (struct tagged_prefix){ a->v[k], i };
		}
	}
	qsort(t, n, sizeof(*t), tagged_cmp);
	intern(c, f, NULL, 0); /* class 0: covered by no prefix */

	/* a stack of the enclosing prefixes and their member lists */
	struct frame {
		struct ir_prefix p;
		uint32_t *v;
		uint32_t n;
	} *stack = xcalloc(130, sizeof(*stack));
	int depth = 0;
	uint32_t *buf = xcalloc(c->n_sub + 1, sizeof(uint32_t));
	size_t outcap[IR_NFAMILIES] = { 0 };

	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && t[j].p.family == t[i].p.family && t[j].p.len == t[i].p.len &&
		       memcmp(t[j].p.w, t[i].p.w, sizeof(t[i].p.w)) == 0)
			j++;
		const struct ir_prefix *p = &t[i].p;
		while (depth > 0 && !(stack[depth - 1].p.family == p->family &&
				      ir_prefix_contains(&stack[depth - 1].p, p->family, p->w))) {
			depth--;
			free(stack[depth].v);
		}
		/* members: the enclosing prefix's and this prefix's own subrules */
		uint32_t m = 0;
		if (depth > 0) {
			memcpy(buf, stack[depth - 1].v, stack[depth - 1].n * sizeof(uint32_t));
			m = stack[depth - 1].n;
		}
		for (size_t k = i; k < j; k++)
			buf[m++] = t[k].sub;
		qsort(buf, m, sizeof(uint32_t), cmp_u32);
		uint32_t w = 0;
		for (uint32_t k = 0; k < m; k++)
			if (w == 0 || buf[w - 1] != buf[k])
				buf[w++] = buf[k];
		c->work += m;
		stack[depth].p = *p;
		stack[depth].v = xcalloc(w, sizeof(uint32_t));
		memcpy(stack[depth].v, buf, w * sizeof(uint32_t));
		stack[depth].n = w;
		depth++;

		uint32_t cls = intern(c, f, buf, cut(c, buf, w, fbit));
		unsigned fam = p->family;
		if (n_out[fam] == outcap[fam]) {
			outcap[fam] = outcap[fam] ? outcap[fam] * 2 : 64;
			out[fam] = realloc(out[fam], outcap[fam] * sizeof(*out[fam]));
			if (!out[fam])
				abort();
		}
		out[fam][n_out[fam]++] = (struct ir_class_prefix){ *p, cls };
		i = j;
	}
	while (depth > 0)
		free(stack[--depth].v);
	free(stack);
	free(buf);
	free(t);
}

/* ---- combining -------------------------------------------------------------- */

/* Members of a that are in bitmap w. */
static uint32_t filter(const struct ivec *a, const uint64_t *w, uint32_t *out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < a->n; i++)
		if (bit(w, a->v[i]))
			out[n++] = a->v[i];
	return n;
}

static bool has(const struct ivec *a, uint32_t x)
{
	uint32_t lo = 0, hi = a->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (a->v[mid] == x)
			return true;
		if (a->v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* a ∩ b, sorted, the shorter walked and looked up in the longer. */
static uint32_t intersect(struct cctx *c, const struct ivec *a, const struct ivec *b, uint32_t *out)
{
	const struct ivec *s = a->n <= b->n ? a : b, *l = a->n <= b->n ? b : a;
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->n; i++)
		if (has(l, s->v[i]))
			out[n++] = s->v[i];
	c->work += s->n;
	return n;
}

/* Merge three disjoint sorted lists. */
static uint32_t merge3(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
		       const uint32_t *x, uint32_t nx, uint32_t *out)
{
	uint32_t i = 0, j = 0, k = 0, n = 0;

	while (i < na || j < nb || k < nx) {
		uint32_t va = i < na ? a[i] : UINT32_MAX, vb = j < nb ? b[j] : UINT32_MAX,
			 vx = k < nx ? x[k] : UINT32_MAX;
		if (va <= vb && va <= vx) {
			out[n++] = va;
			i++;
		} else if (vb <= vx) {
			out[n++] = vb;
			j++;
		} else {
			out[n++] = vx;
			k++;
		}
	}
	return n;
}

/*
 * Combine x and y into z: z's class of the pair (i, j) for every pair, into
 * a rows-by-cols table.  final: the table holds the first match instead.
 */
static void combine(struct cctx *c, const char *what, struct field *x, struct field *y,
		    struct field *z, struct ir_table *t, bool final)
{
	uint64_t entries = (uint64_t)x->n * y->n;
	uint32_t words = (c->n_sub + 63) / 64;

	if (c->failed)
		return;
	if (entries > TABLE_MAX_ENTRIES || c->bytes + entries * 4 > TABLES_MAX_BYTES) {
		fail(c, "%s would need %u × %u = %llu table entries (at most %u)", what, x->n, y->n,
		     (unsigned long long)entries, TABLE_MAX_ENTRIES);
		return;
	}
	t->rows = x->n;
	t->cols = y->n;
	t->v = arena_calloc(c->u->arena, entries ? entries : 1, sizeof(uint32_t));
	c->bytes += entries * 4;

	field_init(z, x->fields | y->fields, c->n_sub);
	for (uint32_t i = 0; i < words; i++)
		z->wild[i] = x->wild[i] & y->wild[i];

	/* C_x ∩ W_Y does not depend on y, nor W_X ∩ C_y on x */
	struct ivec *ax = xcalloc(x->n, sizeof(*ax)), *by = xcalloc(y->n, sizeof(*by));
	for (uint32_t i = 0; i < x->n; i++) {
		ax[i].v = xcalloc(x->cls[i].n, sizeof(uint32_t));
		ax[i].n = filter(&x->cls[i], y->wild, ax[i].v);
	}
	for (uint32_t j = 0; j < y->n; j++) {
		by[j].v = xcalloc(y->cls[j].n, sizeof(uint32_t));
		by[j].n = filter(&y->cls[j], x->wild, by[j].v);
	}
	uint32_t *inter = xcalloc(c->n_sub + 1, sizeof(uint32_t));
	uint32_t *buf = xcalloc(c->n_sub + 1, sizeof(uint32_t));

	for (uint32_t i = 0; i < x->n && !c->failed; i++) {
		for (uint32_t j = 0; j < y->n; j++) {
			uint32_t first = c->catch_all;
			if (final) {
				/* only the first subrule of the union matters */
				if (ax[i].n && ax[i].v[0] < first)
					first = ax[i].v[0];
				if (by[j].n && by[j].v[0] < first)
					first = by[j].v[0];
				const struct ivec *s = x->cls[i].n <= y->cls[j].n ? &x->cls[i] : &y->cls[j];
				const struct ivec *l = s == &x->cls[i] ? &y->cls[j] : &x->cls[i];
				for (uint32_t k = 0; k < s->n && s->v[k] < first; k++) {
					c->work++;
					if (has(l, s->v[k])) {
						first = s->v[k];
						break;
					}
				}
				t->v[(uint64_t)i * y->n + j] =
					first < c->n_sub ? c->sub[first].match : 0;
				continue;
			}
			uint32_t ni = intersect(c, &x->cls[i], &y->cls[j], inter);
			uint32_t n = merge3(ax[i].v, ax[i].n, by[j].v, by[j].n, inter, ni, buf);
			c->work += n;
			n = cut(c, buf, n, z->fields);
			t->v[(uint64_t)i * y->n + j] = intern(c, z, buf, n);
		}
		if (c->work > WORK_MAX)
			fail(c, "building %s took more than %llu steps", what,
			     (unsigned long long)WORK_MAX);
	}
	t->n_out = final ? 0 : z->n;
	for (uint32_t i = 0; i < x->n; i++)
		free(ax[i].v);
	for (uint32_t j = 0; j < y->n; j++)
		free(by[j].v);
	free(ax);
	free(by);
	free(inter);
	free(buf);
}

/*
 * Compose the staged tables where the result stays small: two lookups per
 * packet instead of five.  Costs memory (the product of the class counts),
 * hence the limits.
 */
#define COMPOSE_PORTS_MAX (1u << 20)
#define COMPOSE_ALL_MAX (1u << 24)

static void compose(struct cctx *c, struct ir_classifier *o)
{
	uint64_t np = (uint64_t)o->n_proto * o->n_l4a * o->n_l4b;
	uint64_t na = (uint64_t)o->n_src * o->n_dst * o->n_mask * o->tb.n_out;

	if (c->failed)
		return;
	if (np <= COMPOSE_PORTS_MAX && c->bytes + np * 4 <= TABLES_MAX_BYTES) {
		o->ports.rows = o->n_proto * o->n_l4a;
		o->ports.cols = o->n_l4b;
		o->ports.v = arena_calloc(c->u->arena, np ? np : 1, sizeof(uint32_t));
		o->ports.n_out = o->tb.n_out;
		for (uint32_t p = 0; p < o->n_proto; p++)
			for (uint32_t a = 0; a < o->n_l4a; a++) {
				uint32_t x = o->ta.v[p * o->ta.cols + a];
				for (uint32_t b = 0; b < o->n_l4b; b++)
					o->ports.v[((uint64_t)p * o->n_l4a + a) * o->n_l4b + b] =
						o->tb.v[(uint64_t)x * o->tb.cols + b];
			}
		c->bytes += np * 4;
	}
	if (na <= COMPOSE_ALL_MAX && c->bytes + na * 4 <= TABLES_MAX_BYTES) {
		uint32_t nb = o->tb.n_out;
		o->all.rows = o->n_src * o->n_dst * o->n_mask;
		o->all.cols = nb;
		o->all.v = arena_calloc(c->u->arena, na ? na : 1, sizeof(uint32_t));
		for (uint32_t s = 0; s < o->n_src; s++)
			for (uint32_t d = 0; d < o->n_dst; d++) {
				uint32_t x = o->tc.v[(uint64_t)s * o->tc.cols + d];
				for (uint32_t m = 0; m < o->n_mask; m++) {
					uint32_t y = o->td.v[(uint64_t)x * o->td.cols + m];
					uint64_t row = ((uint64_t)s * o->n_dst + d) * o->n_mask + m;
					memcpy(&o->all.v[row * nb], &o->te.v[(uint64_t)y * o->te.cols],
					       nb * sizeof(uint32_t));
				}
			}
		c->bytes += na * 4;
	}
}

/* Copy a malloc'd array into the unit's arena. */
static uint32_t *to_arena(struct polc_unit *u, uint32_t *v, size_t n)
{
	uint32_t *a = arena_calloc(u->arena, n, sizeof(uint32_t));

	memcpy(a, v, n * sizeof(uint32_t));
	free(v);
	return a;
}

static struct ir_class_prefix *prefixes_to_arena(struct polc_unit *u, struct ir_class_prefix *v,
						 size_t n)
{
	struct ir_class_prefix *a = arena_calloc(u->arena, n ? n : 1, sizeof(*a));

	if (n)
		memcpy(a, v, n * sizeof(*v));
	free(v);
	return a;
}

int polc_classify(struct polc_unit *u, struct ir_policy *p, const char **why)
{
	struct ir_classifier *o = arena_alloc(u->arena, sizeof(*o));
	struct cctx c = { .u = u, .p = p, .out = o };
	struct field proto, l4a, l4b, src, dst, mask, a, b, sd, sdm, fin;
	uint32_t *cls;

	make_subrules(&c);
	if (c.failed) {
		free(c.sub);
		*why = arena_strdup(u->arena, c.why);
		return POLC_EPOLICY;
	}
	field_init(&proto, F_PROTO, c.n_sub);
	small_field(&c, F_PROTO, IR_PROTO_SIZE, &proto, &cls);
	o->proto = to_arena(u, cls, IR_PROTO_SIZE);
	field_init(&l4a, F_L4A, c.n_sub);
	small_field(&c, F_L4A, IR_L4A_SIZE, &l4a, &cls);
	o->l4a = to_arena(u, cls, IR_L4A_SIZE);
	field_init(&l4b, F_L4B, c.n_sub);
	small_field(&c, F_L4B, IR_L4B_SIZE, &l4b, &cls);
	o->l4b = to_arena(u, cls, IR_L4B_SIZE);
	field_init(&mask, F_MASK, c.n_sub);
	small_field(&c, F_MASK, 1u << o->n_bits, &mask, &cls);
	o->mask = to_arena(u, cls, 1u << o->n_bits);

	field_init(&src, F_SRC, c.n_sub);
	addr_field(&c, IR_SIDE_SRC, &src, o->n_src_prefixes, o->src);
	field_init(&dst, F_DST, c.n_sub);
	addr_field(&c, IR_SIDE_DST, &dst, o->n_dst_prefixes, o->dst);
	for (int f = 0; f < IR_NFAMILIES; f++) {
		o->src[f] = prefixes_to_arena(u, o->src[f], o->n_src_prefixes[f]);
		o->dst[f] = prefixes_to_arena(u, o->dst[f], o->n_dst_prefixes[f]);
	}
	o->n_proto = proto.n;
	o->n_l4a = l4a.n;
	o->n_l4b = l4b.n;
	o->n_src = src.n;
	o->n_dst = dst.n;
	o->n_mask = mask.n;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&sd, 0, sizeof(sd));
	memset(&sdm, 0, sizeof(sdm));
	memset(&fin, 0, sizeof(fin));
	combine(&c, "protocol × source port", &proto, &l4a, &a, &o->ta, false);
	combine(&c, "(protocol, source port) × destination port", &a, &l4b, &b, &o->tb, false);
	combine(&c, "source × destination address", &src, &dst, &sd, &o->tc, false);
	combine(&c, "addresses × sets", &sd, &mask, &sdm, &o->td, false);
	combine(&c, "addresses × ports", &sdm, &b, &fin, &o->te, true);
	compose(&c, o);
	o->table_bytes = c.bytes;

	struct field *all[] = { &proto, &l4a, &l4b, &src, &dst, &mask, &a, &b, &sd, &sdm, &fin };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		field_free(all[i]);
	free(c.sub);
	if (c.failed) {
		*why = arena_strdup(u->arena, c.why);
		return POLC_EPOLICY;
	}
	p->cls = o;
	return 0;
}
