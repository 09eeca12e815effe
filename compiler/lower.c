// SPDX-License-Identifier: BSD-2-Clause
/*
 * lower.c: the lowering pass: assemble the checked rules into the IR.
 *
 * Gives rules their ids, normalises every value set (so later passes can
 * compare sets and emit minimal code), and records each rule's source text
 * on one line for the artifact's rule table.
 */
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "unit.h"

/* Sort, then drop every prefix covered by one kept before it: in address
 * order a covering prefix always comes first. */
static void normalise_addrs(struct ir_addrset *s)
{
	if (s->any || s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), ir_prefix_cmp);
	size_t kept = 1;
	for (size_t i = 1; i < s->n; i++) {
		const struct ir_prefix *last = &s->v[kept - 1];
		if (last->len <= s->v[i].len &&
		    ir_prefix_contains(last, last->family, s->v[i].w))
			continue;
		s->v[kept++] = s->v[i];
	}
	s->n = kept;
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct ir_range *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

/* Sort and merge overlapping or adjacent ranges; 0-65535 becomes "any". */
static void normalise_ports(struct ir_portset *s)
{
	if (s->any || s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), range_cmp);
	size_t kept = 1;
	for (size_t i = 1; i < s->n; i++) {
		struct ir_range *last = &s->v[kept - 1];
		if ((uint32_t)s->v[i].lo <= (uint32_t)last->hi + 1) {
			if (s->v[i].hi > last->hi)
				last->hi = s->v[i].hi;
			continue;
		}
		s->v[kept++] = s->v[i];
	}
	s->n = kept;
	if (s->n == 1 && s->v[0].lo == 0 && s->v[0].hi == 65535)
		s->any = true;
}

static void normalise_bytes(struct ir_byteset *s)
{
	if (!s->any && ir_byteset_count(s) == 256)
		s->any = true;
}

/*
 * The rule's source text on one line: comments dropped, runs of blanks and
 * line breaks made one space.  Quotes are respected so a '#' in a label
 * stays.
 */
static const char *rule_text(struct polc_unit *u, struct polc_loc loc)
{
	const struct polc_source *src = loc.src;
	struct strbuf sb = STRBUF_INIT;

	if (!src || !loc.line)
		return "";
	size_t start = src->line_start[loc.line - 1] + loc.col - 1;
	size_t end = loc.end_line ? src->line_start[loc.end_line - 1] + loc.end_col - 1
				  : start;
	if (end > src->len)
		end = src->len;
	bool quoted = false, space = false;
	for (size_t i = start; i < end; i++) {
		char ch = src->text[i];
		if (!quoted && ch == '#') {
			while (i < end && src->text[i] != '\n')
				i++;
			space = true;
			continue;
		}
		if (quoted && ch == '\\' && i + 1 < end) {
			/* an escape in a string: \" does not end it */
			strbuf_putc(&sb, ch);
			strbuf_putc(&sb, src->text[++i]);
			continue;
		}
		if (ch == '"')
			quoted = !quoted;
		if (!quoted && (ch == ' ' || ch == '\t' || ch == '\n' ||
				ch == '\r' || ch == '\\')) {
			space = true;
			continue;
		}
		if (space && sb.len)
			strbuf_putc(&sb, ' ');
		space = false;
		strbuf_putc(&sb, ch);
	}
	char *s = strbuf_steal(&sb);
	const char *text = arena_strdup(u->arena, s ? s : "");
	free(s);
	return text;
}

static enum polc_hook hook_of(enum ast_hook h)
{
	switch (h) {
	case AST_HOOK_XDP:
		return POLC_HOOK_XDP;
	case AST_HOOK_TC_INGRESS:
		return POLC_HOOK_TC_INGRESS;
	case AST_HOOK_TC_EGRESS:
		return POLC_HOOK_TC_EGRESS;
	case AST_HOOK_NONE:
		break;
	}
	return 0;
}

static const char *c_name(struct polc_unit *u, const char *name)
{
	char *s = arena_printf(u->arena, "pol_%s", name);

	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* Which sets the policy's rules use, ascending by index. */
static void policy_sets(struct polc_unit *u, struct ir_policy *p)
{
	bool *used = arena_calloc(u->arena, u->ir.n_sets ? u->ir.n_sets : 1, sizeof(bool));

	for (size_t j = 0; j < p->n_rules; j++) {
		const struct ir_rule *r = &p->rules[j];
		const struct ir_addrset *a[] = { &r->src, &r->dst };
		const struct ir_portset *q[] = { &r->sport, &r->dport };
		for (int k = 0; k < 2; k++) {
			for (size_t m = 0; m < a[k]->n_sets; m++)
				used[a[k]->sets[m]->index] = true;
			for (size_t m = 0; m < q[k]->n_sets; m++)
				used[q[k]->sets[m]->index] = true;
		}
	}
	p->sets = arena_calloc(u->arena, u->ir.n_sets ? u->ir.n_sets : 1, sizeof(uint32_t));
	for (size_t i = 0; i < u->ir.n_sets; i++)
		if (used[i])
			p->sets[p->n_sets++] = (uint32_t)i;
}

/*
 * A tracked policy whose rules say 'ct': the rules of each connection state
 * (ir.h, ct_view).  A view's C name is its first state's: <policy>_vnew,
 * _vest, _vrel, _vinv, _vunt.
 */
static void ct_views(struct polc_unit *u, struct ir_policy *p)
{
	static const char *const sfx[IR_CT_STATES] = { "_vnew", "_vest", "_vrel", "_vinv", "_vunt" };

	for (size_t j = 0; j < p->n_rules; j++)
		p->has_ct |= p->rules[j].ct != 0;
	for (int s = 0; s < IR_CT_STATES; s++)
		p->ct_view[s] = p;
	if (!p->has_ct)
		return;
	for (int s = 0; s < IR_CT_STATES; s++) {
		struct ir_policy *v = arena_calloc(u->arena, 1, sizeof(*v));
		*v = *p;
		v->is_view = true;
		v->has_ct = false;
		for (int t = 0; t < IR_CT_STATES; t++)
			v->ct_view[t] = v;
		v->cname = arena_printf(u->arena, "%s%s", p->cname, sfx[s]);
		v->name = arena_printf(u->arena, "%s (ct %s)", p->name, sfx[s] + 2);
		v->rules = arena_calloc(u->arena, p->n_rules ? p->n_rules : 1, sizeof(*v->rules));
		v->n_rules = 0;
		for (size_t j = 0; j < p->n_rules; j++)
			if (ir_rule_ct(&p->rules[j]) & (1u << s))
				v->rules[v->n_rules++] = p->rules[j];
		p->ct_view[s] = v;
		/* the same rules as an earlier state's: that view */
		for (int t = 0; t < s; t++) {
			const struct ir_policy *w = p->ct_view[t];
			bool same = w->n_rules == v->n_rules;
			for (size_t j = 0; same && j < v->n_rules; j++)
				same = w->rules[j].id == v->rules[j].id;
			if (same) {
				p->ct_view[s] = p->ct_view[t];
				break;
			}
		}
	}
}

int polc_lower(struct polc_unit *u)
{
	struct ast_file *f = &u->ast;
	struct ir_unit *ir = &u->ir;

	ir->sets = arena_calloc(u->arena, f->sets.n ? f->sets.n : 1, sizeof(*ir->sets));
	for (size_t i = 0; i < f->sets.n; i++) {
		struct ir_set *s = f->sets.v[i]->ir;
		if (!s)
			continue;
		s->index = (uint32_t)ir->n_sets;
		ir->sets[ir->n_sets++] = s;
	}

	ir->n_policies = f->policies.n;
	ir->policies = arena_calloc(u->arena, f->policies.n ? f->policies.n : 1,
				    sizeof(*ir->policies));
	for (size_t i = 0; i < f->policies.n; i++) {
		const struct ast_policy *ap = f->policies.v[i];
		struct ir_policy *p = &ir->policies[i];

		p->name = ap->name;
		p->cname = c_name(u, ap->name);
		p->loc = ap->loc;
		p->hook = hook_of(ap->hook);
		p->default_verdict = ap->default_verdict == AST_PASS
					     ? POLC_VERDICT_PASS
					     : POLC_VERDICT_DROP;
		p->track = ap->track;
		p->ct_size = ap->track_size ? (uint32_t)ap->track_size : IR_CT_SIZE_DEFAULT;
		/* the companion sees the other direction: what the node sends
		 * when the policy filters what it receives, and the other way */
		p->companion_hook = p->hook == POLC_HOOK_TC_EGRESS ? POLC_HOOK_TC_INGRESS
								   : POLC_HOOK_TC_EGRESS;
		p->n_rules = ap->rules.n;
		p->rules = arena_calloc(u->arena, ap->rules.n ? ap->rules.n : 1,
					sizeof(*p->rules));
		for (size_t j = 0; j < ap->rules.n; j++) {
			struct ir_rule *r = &p->rules[j];

			*r = *ap->rules.v[j]->ir;
			r->id = (uint32_t)(j + 1);
			r->text = rule_text(u, r->loc);
			normalise_addrs(&r->src);
			normalise_addrs(&r->dst);
			normalise_ports(&r->sport);
			normalise_ports(&r->dport);
			for (int fam = 0; fam < IR_NFAMILIES; fam++) {
				normalise_bytes(&r->proto[fam]);
				normalise_bytes(&r->icmp_type[fam]);
			}
			normalise_bytes(&r->icmp_code);
			if (r->nat && r->nat->kind == IR_NAT_DNAT) {
				p->n_dnat++;
				p->n_maglev += r->nat->balance == POLC_NAT_BALANCE_MAGLEV;
			} else if (r->nat) {
				p->n_snat++;
			}
		}
		policy_sets(u, p);
		ct_views(u, p);
	}
	return 0;
}
