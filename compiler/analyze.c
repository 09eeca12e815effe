// SPDX-License-Identifier: BSD-2-Clause
/*
 * analyze.c: the analysis pass: rules that can never decide a packet, and
 * sets whose elements overlap.
 *
 *  - a rule every packet of which an earlier rule already matches never
 *    decides anything: with the other verdict it is *shadowed* (an error by
 *    default: the policy does not do what it says), with the same one it is
 *    *redundant*;
 *  - rules after one that matches every packet are *unreachable* (reported
 *    once, at the catch-all);
 *  - an element of a set inside another element of it *overlaps*.
 *
 * Coverage is exact over the IR's normalised sets: per address family, every
 * field of the later rule must lie inside the same field of the earlier one
 * (prefixes in prefixes, ranges in ranges, protocol and ICMP sets as
 * bitmaps).  Named sets are compared by identity only: their contents change
 * at run time.  Earlier rules are found through an index of their source
 * prefixes, so a policy of 10,000 rules is analysed in milliseconds.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static bool bytes_within(const struct ir_byteset *in, const struct ir_byteset *out)
{
	if (out->any)
		return true;
	if (in->any)
		return false;
	for (unsigned i = 0; i < sizeof(in->bits); i++)
		if (in->bits[i] & ~out->bits[i])
			return false;
	return true;
}

static bool ports_within(const struct ir_portset *in, const struct ir_portset *out)
{
	if (out->any)
		return true;
	if (in->any)
		return false;
	for (size_t i = 0; i < in->n_sets; i++) {
		bool found = false;
		for (size_t j = 0; j < out->n_sets && !found; j++)
			found = in->sets[i] == out->sets[j];
		if (!found)
			return false;
	}
	/* out's ranges are merged and sorted: binary search for each */
	for (size_t i = 0; i < in->n; i++) {
		size_t lo = 0, hi = out->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (out->v[mid].hi < in->v[i].lo)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == out->n || out->v[lo].lo > in->v[i].lo || out->v[lo].hi < in->v[i].hi)
			return false;
	}
	return true;
}

static int prefix_start_cmp(const struct ir_prefix *q, const struct ir_prefix *p)
{
	if (q->family != p->family)
		return q->family < p->family ? -1 : 1;
	for (int w = 0; w < 4; w++)
		if (q->w[w] != p->w[w])
			return q->w[w] < p->w[w] ? -1 : 1;
	return 0;
}

/* The prefix of out (normalised: sorted, none inside another) containing p. */
static const struct ir_prefix *containing(const struct ir_addrset *out, const struct ir_prefix *p)
{
	size_t lo = 0, hi = out->n;

	/* the last prefix that starts at or before p */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (prefix_start_cmp(&out->v[mid], p) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct ir_prefix *q = &out->v[lo - 1];
	return q->len <= p->len && ir_prefix_contains(q, p->family, p->w) ? q : NULL;
}

static bool addrs_within(const struct ir_addrset *in, const struct ir_addrset *out,
			 enum ir_family f)
{
	if (out->any)
		return true;
	if (in->any)
		return false;
	for (size_t i = 0; i < in->n_sets; i++) {
		if (!(in->sets[i]->families & IR_FAMILY_BIT(f)))
			continue;
		bool found = false;
		for (size_t j = 0; j < out->n_sets && !found; j++)
			found = in->sets[i] == out->sets[j];
		if (!found)
			return false;
	}
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].family == f && !containing(out, &in->v[i]))
			return false;
	return true;
}

/* Does every packet rule b matches also match rule a? */
static bool covers(const struct ir_rule *a, const struct ir_rule *b)
{
	if (b->families & ~a->families)
		return false;
	/* connection states b matches in that a does not */
	if (ir_rule_ct(b) & ~ir_rule_ct(a))
		return false;
	/* a later fragment matches b but not a */
	if (a->needs_l4 && !b->needs_l4)
		return false;
	for (int f = 0; f < IR_NFAMILIES; f++) {
		if (!(b->families & IR_FAMILY_BIT(f)))
			continue;
		if (!bytes_within(&b->proto[f], &a->proto[f]) ||
		    !bytes_within(&b->icmp_type[f], &a->icmp_type[f]) ||
		    !addrs_within(&b->src, &a->src, f) || !addrs_within(&b->dst, &a->dst, f))
			return false;
	}
	return bytes_within(&b->icmp_code, &a->icmp_code) && ports_within(&b->sport, &a->sport) &&
	       ports_within(&b->dport, &a->dport);
}

static bool catch_all(const struct ir_rule *r)
{
	return r->families == IR_FAMILIES_ALL && r->proto[IR_V4].any && r->proto[IR_V6].any &&
	       r->src.any && r->dst.any && !r->needs_l4;
}

/* ---- the index: earlier rules by source prefix ---------------------------- */

struct entry {
	struct ir_prefix p; /* bits past len are zero */
	uint32_t rule;      /* index in the policy */
	uint32_t next;      /* chain in the bucket, +1 */
};

struct index {
	uint32_t *buckets; /* entry + 1 */
	uint32_t n_buckets;
	struct entry *e;
	size_t n, cap;
	uint32_t *wild; /* rules whose source is any, or only sets */
	size_t n_wild, cap_wild;
};

static uint32_t prefix_hash(const struct ir_prefix *p)
{
	uint32_t h = 2166136261u ^ p->family ^ (uint32_t)p->len << 8;

	for (int i = 0; i < 4; i++)
		h = (h ^ p->w[i]) * 16777619u;
	return h;
}

static void index_add(struct index *x, const struct ir_prefix *p, uint32_t rule)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		x->e = realloc(x->e, x->cap * sizeof(*x->e));
		if (!x->e)
			abort();
	}
	uint32_t b = prefix_hash(p) & (x->n_buckets - 1);
	x->e[x->n] = (struct entry){ *p, rule, x->buckets[b] };
	x->buckets[b] = (uint32_t)++x->n;
}

static void wild_add(struct index *x, uint32_t rule)
{
	if (x->n_wild == x->cap_wild) {
		x->cap_wild = x->cap_wild ? x->cap_wild * 2 : 64;
		x->wild = realloc(x->wild, x->cap_wild * sizeof(*x->wild));
		if (!x->wild)
			abort();
	}
	x->wild[x->n_wild++] = rule;
}

static uint32_t mask_word(unsigned len, unsigned word)
{
	unsigned start = word * 32;

	return len <= start ? 0 : len >= start + 32 ? ~0u : ~0u << (32 - (len - start));
}

struct analysis {
	struct polc_unit *u;
	const struct ir_policy *p;
	uint32_t *mark; /* candidate seen for the rule being checked: its index + 1 */
	bool reported_unreachable;
};

static void report(struct analysis *an, const struct ir_rule *a, const struct ir_rule *b)
{
	struct polc_diags *d = &an->u->diags;
	struct polc_diag *g;

	if (catch_all(a)) {
		if (an->reported_unreachable)
			return;
		an->reported_unreachable = true;
		g = polc_warning(d, POLC_W_UNREACHABLE, b->loc,
				 "rule %u is never reached, nor any rule after it: rule %u before it "
				 "matches every packet", b->id, a->id);
		polc_diag_related(d, g, a->loc, "rule %u matches everything", a->id);
		return;
	}
	if (a->verdict != b->verdict) {
		g = polc_warning(d, POLC_W_SHADOW, b->loc,
				 "rule %u is shadowed: rule %u %s every packet it would %s", b->id,
				 a->id, a->verdict == POLC_VERDICT_PASS ? "passes" : "drops",
				 b->verdict == POLC_VERDICT_PASS ? "pass" : "drop");
		polc_diag_related(d, g, a->loc, "rule %u decides them first", a->id);
		polc_diag_hint(d, g, "move it before rule %u, narrow rule %u, or remove it", a->id,
			       a->id);
	} else {
		g = polc_warning(d, POLC_W_REDUNDANT, b->loc,
				 "rule %u is redundant: rule %u already %s every packet it matches",
				 b->id, a->id, a->verdict == POLC_VERDICT_PASS ? "passes" : "drops");
		polc_diag_related(d, g, a->loc, "rule %u is here", a->id);
	}
}

/* The first earlier rule that covers rule j, or NULL. */
static const struct ir_rule *covered_by(struct analysis *an, struct index *x, size_t j)
{
	const struct ir_rule *b = &an->p->rules[j];
	const struct ir_rule *best = NULL;

	/* a covering rule's source is any (or sets), or contains b's first
	 * prefix; b without prefixes can be covered only by the former */
	for (size_t i = 0; i < x->n_wild; i++) {
		const struct ir_rule *a = &an->p->rules[x->wild[i]];
		if (covers(a, b)) {
			best = a;
			break;
		}
	}
	if (b->src.any || b->src.n == 0)
		return best;
	struct ir_prefix q = b->src.v[0];
	for (int len = q.len; len >= 0; len--) {
		struct ir_prefix k = { .family = q.family, .len = (uint8_t)len };
		for (int w = 0; w < 4; w++)
			k.w[w] = q.w[w] & mask_word((unsigned)len, (unsigned)w);
		uint32_t h = prefix_hash(&k) & (x->n_buckets - 1);
		for (uint32_t e = x->buckets[h]; e; e = x->e[e - 1].next) {
			const struct entry *en = &x->e[e - 1];
			if (en->p.family != k.family || en->p.len != k.len ||
			    memcmp(en->p.w, k.w, sizeof(k.w)) != 0 || an->mark[en->rule] == j + 1)
				continue;
			an->mark[en->rule] = (uint32_t)j + 1;
			const struct ir_rule *a = &an->p->rules[en->rule];
			if ((!best || a->id < best->id) && covers(a, b))
				best = a;
		}
	}
	return best;
}

static void analyze_policy(struct polc_unit *u, const struct ir_policy *p)
{
	struct analysis an = { .u = u, .p = p };
	struct index x = { 0 };

	an.mark = calloc(p->n_rules + 1, sizeof(*an.mark));
	x.n_buckets = 1024;
	while (x.n_buckets < p->n_rules * 2)
		x.n_buckets *= 2;
	x.buckets = calloc(x.n_buckets, sizeof(*x.buckets));
	if (!an.mark || !x.buckets)
		abort();
	for (size_t j = 0; j < p->n_rules && !polc_diags_full(&u->diags); j++) {
		const struct ir_rule *b = &p->rules[j];
		const struct ir_rule *a = covered_by(&an, &x, j);
		if (a)
			report(&an, a, b);
		if (b->src.any || b->src.n == 0)
			wild_add(&x, (uint32_t)j);
		else
			for (size_t k = 0; k < b->src.n; k++)
				index_add(&x, &b->src.v[k], (uint32_t)j);
	}
	free(an.mark);
	free(x.buckets);
	free(x.e);
	free(x.wild);
}

/* ---- sets --------------------------------------------------------------------- */

#define OVERLAPS_SHOWN 5

static int range_lo_cmp(const void *pa, const void *pb)
{
	const struct ir_range *a = pa, *b = pb;

	return a->lo != b->lo ? (a->lo < b->lo ? -1 : 1) : (a->hi < b->hi ? -1 : a->hi > b->hi);
}

static void analyze_set(struct polc_unit *u, const struct ir_set *s)
{
	size_t overlaps = 0;
	const struct ir_prefix *outer = NULL;

	/* sorted by address then length: an element inside another comes
	 * after it, while the outer one is the last one that contains it */
	for (size_t i = 0; i < s->n_prefixes; i++) {
		const struct ir_prefix *p = &s->prefixes[i];
		if (outer && outer->family == p->family && outer->len <= p->len &&
		    ir_prefix_contains(outer, p->family, p->w)) {
			if (overlaps++ < OVERLAPS_SHOWN) {
				polc_warning(&u->diags, POLC_W_OVERLAP, s->loc,
					     "set '%s': element %zu lies inside element %zu",
					     s->name, i + 1, (size_t)(outer - s->prefixes) + 1);
			}
			continue;
		}
		outer = p;
	}
	/* ranges as written: sorted, each overlaps the one reaching furthest */
	struct ir_range *r = calloc(s->n_ranges + 1, sizeof(*r));
	if (!r)
		abort();
	if (s->n_ranges)
		memcpy(r, s->ranges, s->n_ranges * sizeof(*r));
	qsort(r, s->n_ranges, sizeof(*r), range_lo_cmp);
	for (size_t i = 1, far = 0; i < s->n_ranges; i++) {
		if (r[i].lo <= r[far].hi) {
			if (overlaps++ < OVERLAPS_SHOWN)
				polc_warning(&u->diags, POLC_W_OVERLAP, s->loc,
					     "set '%s': ports %u-%u overlap %u-%u", s->name, r[i].lo,
					     r[i].hi, r[far].lo, r[far].hi);
		}
		if (r[i].hi > r[far].hi)
			far = i;
	}
	free(r);
	if (overlaps > OVERLAPS_SHOWN)
		polc_warning(&u->diags, POLC_W_OVERLAP, s->loc,
			     "set '%s': %zu more overlapping elements", s->name,
			     overlaps - OVERLAPS_SHOWN);
}

int polc_analyze(struct polc_unit *u)
{
	for (size_t i = 0; i < u->ir.n_sets; i++)
		analyze_set(u, u->ir.sets[i]);
	for (size_t i = 0; i < u->ir.n_policies && !polc_diags_full(&u->diags); i++)
		analyze_policy(u, &u->ir.policies[i]);
	return u->diags.n_errors ? POLC_EPOLICY : 0;
}
