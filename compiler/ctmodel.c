// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctmodel.c: the reference interpreter's connection tracking (ctmodel.h).
 *
 * Written from polc_ct.h's rules, not from its code: a flow is two entries
 * (forward: the tuple that opened it; reply: that tuple reversed, an echo's
 * request type swapped for the reply's); a packet of a live entry passes
 * without the rules after the TCP state machine admits it; a TCP SYN, a
 * packet of no flow and one its flow's state does not admit go through the
 * rules; a new flow a pass rule admits (or the companion sees leaving) is
 * recorded.  polc test compares every decision with the kernel's.
 */
#include <string.h>

#include "ctmodel.h"
#include "maglev.h"
#include "polc_contract.h"

enum { TCP_SYN = 0x02, TCP_ACK = 0x10, TCP_FIN = 0x01, TCP_RST = 0x04 };

void polc_ct_model_reset(struct polc_ct_model *m)
{
	memset(m->e, 0, sizeof(m->e));
	memset(m->rr, 0, sizeof(m->rr));
}

bool polc_tuple_eq(const struct polc_tuple *a, const struct polc_tuple *b)
{
	return memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0 && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto && a->family == b->family;
}

static struct polc_ct_model_entry *find(struct polc_ct_model *m, const struct polc_tuple *k)
{
	for (size_t i = 0; i < POLC_CT_MODEL_MAX; i++)
		if (m->e[i].used && polc_tuple_eq(&m->e[i].key, k))
			return &m->e[i];
	return NULL;
}

static struct polc_ct_model_entry *put(struct polc_ct_model *m, const struct polc_tuple *k)
{
	struct polc_ct_model_entry *e = find(m, k);

	for (size_t i = 0; !e && i < POLC_CT_MODEL_MAX; i++)
		if (!m->e[i].used)
			e = &m->e[i];
	if (!e)
		e = &m->e[0]; /* full (a test of 256 flows): as LRU would, forget one */
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->key = *k;
	return e;
}

/* The packet's tuple: TCP and UDP with their header, echo requests and
 * replies with their identifier; not fragments. */
bool polc_tuple_of(const struct ir_packet *k, struct polc_tuple *out)
{
	memset(out, 0, sizeof(*out));
	if (!k->has_l4 || k->frag)
		return false;
	if (k->proto == 6 || k->proto == 17) {
		out->sport = k->sport;
		out->dport = k->dport;
	} else if (k->icmp_full && ((k->proto == 1 && (k->icmp_type == 8 || k->icmp_type == 0)) ||
				    (k->proto == 58 && (k->icmp_type == 128 || k->icmp_type == 129)))) {
		out->sport = k->echo_id;
		out->dport = k->icmp_type;
	} else {
		return false;
	}
	memcpy(out->src, k->src, sizeof(out->src));
	memcpy(out->dst, k->dst, sizeof(out->dst));
	out->proto = k->proto;
	out->family = k->family == IR_V6 ? 6 : 4;
	return true;
}

/* The other entry's key: the tuple reversed; an echo keeps its identifier
 * and swaps request and reply. */
static void twin_of(const struct polc_tuple *k, struct polc_tuple *t)
{
	*t = *k;
	memcpy(t->src, k->dst, sizeof(t->src));
	memcpy(t->dst, k->src, sizeof(t->dst));
	if (k->proto == 1 || k->proto == 58) {
		t->sport = k->sport;
		t->dport = k->proto == 1 ? (k->dport == 8 ? 0 : 8) : (k->dport == 128 ? 129 : 128);
	} else {
		t->sport = k->dport;
		t->dport = k->sport;
	}
}

static bool is_syn(const struct ir_packet *k)
{
	return k->proto == 6 && (k->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
}

static bool can_open(const struct ir_packet *k)
{
	if (k->proto == 6)
		return (k->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN;
	if (k->proto == 17)
		return true;
	return k->icmp_type == (k->proto == 1 ? 8 : 128);
}

static uint8_t initial_state(uint8_t proto)
{
	return proto == 6 ? POLC_CT_TCP_SYN_SENT : proto == 17 ? POLC_CT_UDP_ONEWAY : POLC_CT_ICMP_ECHO;
}

static bool needs_step(const struct polc_ct_model_entry *e, const struct ir_packet *k)
{
	if (k->proto == 6)
		return e->state != POLC_CT_TCP_ESTABLISHED ||
		       (k->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST));
	if (k->proto == 17)
		return e->state == POLC_CT_UDP_ONEWAY && e->dir == POLC_CT_DIR_REPLY;
	return false;
}

/* TCP: the state after a packet of direction dir with flags f; -1 when the
 * state does not admit it. */
static int tcp_next(uint8_t s, uint8_t dir, uint8_t f, uint8_t fin0, uint8_t fin1)
{
	bool syn = f & TCP_SYN, ack = f & TCP_ACK;

	if (f & TCP_RST)
		return POLC_CT_TCP_CLOSE;
	switch (s) {
	case POLC_CT_TCP_SYN_SENT:
		if (dir == POLC_CT_DIR_REPLY && syn)
			return POLC_CT_TCP_SYN_RECV;
		if (dir == POLC_CT_DIR_FORWARD && syn && !ack)
			return s;
		return -1;
	case POLC_CT_TCP_SYN_RECV:
		if (dir == POLC_CT_DIR_FORWARD && ack && !syn)
			s = POLC_CT_TCP_ESTABLISHED;
		break;
	case POLC_CT_TCP_ESTABLISHED:
	case POLC_CT_TCP_FIN_WAIT:
		break;
	default:
		return s; /* CLOSE: stragglers pass */
	}
	if (fin0 && fin1)
		return POLC_CT_TCP_CLOSE;
	if (fin0 || fin1)
		return s == POLC_CT_TCP_SYN_RECV ? s : POLC_CT_TCP_FIN_WAIT;
	return s;
}

/* The state machine for a packet of entry e; false if it is not admitted. */
static bool step(struct polc_ct_model *m, struct polc_ct_model_entry *e, const struct ir_packet *k)
{
	uint8_t state = e->state, fin0 = e->fin[0], fin1 = e->fin[1];

	if (k->proto == 6) {
		if (k->tcp_flags & TCP_FIN) {
			if (e->dir == POLC_CT_DIR_REPLY)
				fin1 = 1;
			else
				fin0 = 1;
		}
		int next = tcp_next(e->state, e->dir, k->tcp_flags, fin0, fin1);
		if (next < 0)
			return false;
		state = (uint8_t)next;
	} else {
		state = POLC_CT_UDP_REPLIED;
	}
	struct polc_tuple tk;
	twin_of(&e->x, &tk); /* x: what the key's packets leave as */
	struct polc_ct_model_entry *tw = find(m, &tk);
	e->state = state;
	e->fin[0] = fin0;
	e->fin[1] = fin1;
	if (tw) {
		tw->state = state;
		tw->fin[0] = fin0;
		tw->fin[1] = fin1;
	}
	return true;
}

enum { NEW, KNOWN, INVALID, UNTRACKED };

static int lookup(struct polc_ct_model *m, const struct ir_packet *k, struct polc_tuple *key,
		  bool *found, struct polc_ct_model_entry **hit)
{
	*found = false;
	*hit = NULL;
	if (!polc_tuple_of(k, key))
		return UNTRACKED;
	struct polc_ct_model_entry *e = find(m, key);
	if (!e)
		return NEW;
	if (is_syn(k)) {
		*found = true;
		return NEW;
	}
	if (needs_step(e, k) && !step(m, e, k))
		return INVALID;
	*hit = e;
	return KNOWN;
}

/* ---- NAT --------------------------------------------------------------- */

uint32_t polc_nat_flow_hash(const struct polc_tuple *t)
{
	return maglev_flow_hash(t->src, t->dst, t->sport, t->dport, t->proto, t->family);
}

/* The contract's form of a backend: maglev's identity of it. */
static void backend_record(const struct ir_backend *b, struct polc_nat_backend *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->addr, b->addr, sizeof(out->addr));
	out->port = b->port;
	out->family = b->family == IR_V4 ? 4 : 6;
}

static const uint32_t *maglev_table(struct polc_ct_model *m, const struct ir_nat *n)
{
	size_t i;

	for (i = 0; i < POLC_CT_MODEL_MAGLEV && m->maglev[i].nat; i++)
		if (m->maglev[i].nat == n)
			return m->maglev[i].table;
	if (i == POLC_CT_MODEL_MAGLEV || !m->arena)
		return NULL;
	struct polc_nat_backend *be = arena_calloc(m->arena, n->n_backends, sizeof(*be));
	struct maglev_id *ids = arena_calloc(m->arena, n->n_backends, sizeof(*ids));
	uint32_t *table = arena_calloc(m->arena, POLC_NAT_MAGLEV_M, sizeof(*table));
	for (size_t k = 0; k < n->n_backends; k++) {
		backend_record(&n->backends[k], &be[k]);
		ids[k] = (struct maglev_id){ &be[k], sizeof(be[k]) };
	}
	if (maglev_build(table, POLC_NAT_MAGLEV_M, ids, (uint32_t)n->n_backends) != 0)
		return NULL;
	m->maglev[i].nat = n;
	m->maglev[i].table = table;
	return table;
}

/* A dnat rule's backend for the flow of key; NULL: none (dropped). */
static const struct ir_backend *pick_backend(struct polc_ct_model *m, const struct ir_nat *n,
					     const struct polc_tuple *key,
					     const struct polc_ct_out *hint)
{
	if (!n->n_backends)
		return NULL;
	switch (n->balance) {
	case POLC_NAT_BALANCE_ROUND_ROBIN: {
		uint32_t c = n->index < POLC_CT_MODEL_SERVICES ? m->rr[n->index]++ : 0;
		return &n->backends[c % n->n_backends];
	}
	case POLC_NAT_BALANCE_MAGLEV: {
		const uint32_t *t = maglev_table(m, n);
		return t ? &n->backends[t[polc_nat_flow_hash(key) % POLC_NAT_MAGLEV_M]] : NULL;
	}
	default:
		/* random: what the kernel picked, if it names one of the pool */
		for (size_t i = 0; hint && hint->valid && i < n->n_backends; i++) {
			const struct ir_backend *b = &n->backends[i];
			if (memcmp(b->addr, hint->t.dst, sizeof(b->addr)) == 0 &&
			    (b->port ? b->port : key->dport) == hint->t.dport)
				return b;
		}
		return &n->backends[0];
	}
}

/* Where the datapath starts probing snat ports: a hash of the flow
 * (polc_ct.h, <name>_ct_create()). */
static uint32_t snat_base(const struct polc_tuple *k)
{
	uint32_t base = (k->src[0] ^ k->src[3]) * 0x9e3779b1u;

	base ^= (k->dst[0] ^ k->dst[3] ^ k->dport ^ ((uint32_t)k->sport << 16)) * 0x85ebca6bu;
	base ^= base >> 15;
	return base;
}

#define SNAT_PROBES POLC_NAT_SNAT_PROBES_DEFAULT

static void record(struct polc_ct_model *m, const struct polc_tuple *key, const struct polc_tuple *x,
		   const struct polc_tuple *reply_key, uint32_t rule, bool nat)
{
	struct polc_ct_model_entry *r = put(m, reply_key);
	r->state = initial_state(key->proto);
	r->dir = POLC_CT_DIR_REPLY;
	r->rule = rule;
	r->local = !rule;
	r->nat = nat;
	twin_of(key, &r->x); /* replies leave as the reverse of the opening packet */
	struct polc_ct_model_entry *f = put(m, key);
	f->state = r->state;
	f->dir = POLC_CT_DIR_FORWARD;
	f->rule = rule;
	f->local = !rule;
	f->nat = nat;
	f->x = *x;
}

/*
 * Create the flow of packet k (tuple key) for rule, translated by n (NULL:
 * not).  false when it cannot be (not a flow opener, its reply key taken,
 * no snat port free): a NAT rule then drops the packet.  *x: what the packet
 * leaves with.
 */
static bool create(struct polc_ct_model *m, const struct ir_packet *k,
		   const struct polc_tuple *key, uint32_t rule, bool found,
		   const struct ir_nat *n, const struct polc_tuple *xin, struct polc_tuple *x)
{
	struct polc_tuple tk;

	*x = *key;
	if (!can_open(k))
		return false;
	if (!rule && !found) {
		twin_of(key, &tk);
		if (find(m, &tk))
			return false; /* the companion: already a flow's reply */
	}
	if (found) {
		struct polc_ct_model_entry *old = find(m, key);
		if (old && old->dir == POLC_CT_DIR_FORWARD && old->rule == rule &&
		    (old->state == POLC_CT_TCP_SYN_SENT || old->state == POLC_CT_TCP_SYN_RECV)) {
			*x = old->x; /* a retransmitted SYN keeps its flow */
			return true;
		}
		if (old) {
			struct polc_tuple ok;
			twin_of(&old->x, &ok);
			struct polc_ct_model_entry *ot = find(m, &ok);
			if (ot && ot->dir != old->dir)
				ot->used = false;
		}
	}
	struct polc_tuple want = xin ? *xin : *key;
	if (!n || n->kind == IR_NAT_DNAT) {
		twin_of(&want, &tk);
		if (find(m, &tk))
			return false; /* another live flow owns the reply key */
		record(m, key, &want, &tk, rule, n != NULL);
		*x = want;
		return true;
	}
	/* snat: the packet's own port if the range has it, then probes */
	uint32_t range = (uint32_t)n->port_max - n->port_min + 1, base = snat_base(key);
	uint16_t first = want.sport;
	if (first < n->port_min || first > n->port_max)
		first = (uint16_t)(n->port_min + base % range);
	for (uint32_t i = 0; i < SNAT_PROBES; i++) {
		want.sport = i == 0 ? first : (uint16_t)(n->port_min + (base + i) % range);
		twin_of(&want, &tk);
		if (find(m, &tk))
			continue;
		record(m, key, &want, &tk, rule, true);
		*x = want;
		return true;
	}
	return false;
}

void polc_ct_model_in(struct polc_ct_model *m, const struct ir_policy *p, const void *frame,
		      size_t len, struct polc_decision *d, bool *established,
		      const struct polc_ct_out *hint, struct polc_ct_out *out)
{
	struct polc_tuple key;
	struct polc_ct_model_entry *e;
	bool found;

	*established = false;
	memset(out, 0, sizeof(*out));
	polc_interp_run(p, frame, len, d, NULL);
	if (d->reason != POLC_REASON_DEFAULT)
		return; /* decided before the table: non-IP, broken */
	int r = lookup(m, &d->packet, &key, &found, &e);
	if (p->has_ct) {
		/* the rules of the packet's connection state */
		static const uint8_t state[] = { [NEW] = IR_CT_NEW, [KNOWN] = IR_CT_ESTABLISHED,
						 [INVALID] = IR_CT_INVALID,
						 [UNTRACKED] = IR_CT_UNTRACKED };
		polc_interp_run_ct(p, frame, len, state[r], d, NULL);
		if (r == KNOWN && d->rule) {
			/* a 'ct established' rule decided */
			out->valid = d->verdict == POLC_VERDICT_PASS;
			out->t = e->nat ? e->x : key;
			return;
		}
	}
	if (r == KNOWN) {
		*established = true;
		d->verdict = POLC_VERDICT_PASS;
		d->rule = 0;
		out->valid = true;
		out->t = e->nat ? e->x : key;
		return;
	}
	if (d->verdict != POLC_VERDICT_PASS)
		return;
	const struct ir_nat *n = d->rule ? p->rules[d->rule - 1].nat : NULL;
	if (!n) {
		/* the rules passed it; a new flow is recorded */
		struct polc_tuple x;
		if (r == NEW)
			create(m, &d->packet, &key, d->rule, found, NULL, NULL, &x);
		out->valid = r != UNTRACKED;
		out->t = key;
		return;
	}
	/* a dnat or snat rule: a new flow translated, or the packet dropped */
	struct polc_tuple want = key, x;
	bool ok = r == NEW && can_open(&d->packet);
	if (ok && n->kind == IR_NAT_DNAT) {
		const struct ir_backend *b = pick_backend(m, n, &key, hint);
		ok = b && (b->family == IR_V4 ? 4 : 6) == key.family;
		if (ok) {
			memcpy(want.dst, b->addr, sizeof(want.dst));
			if (b->port)
				want.dport = b->port;
		}
	} else if (ok) {
		ok = !n->ifaddr && (n->family == IR_V4 ? 4 : 6) == key.family;
		if (ok)
			memcpy(want.src, n->addr, sizeof(want.src));
	}
	if (ok && !create(m, &d->packet, &key, d->rule, found, n, &want, &x))
		ok = false;
	if (!ok) {
		d->verdict = POLC_VERDICT_DROP;
		return;
	}
	out->valid = true;
	out->t = x;
}

void polc_ct_model_out(struct polc_ct_model *m, const void *frame, size_t len,
		       struct polc_ct_out *out)
{
	struct ir_packet k;
	struct polc_tuple key, x;
	struct polc_ct_model_entry *e;
	bool found;

	memset(out, 0, sizeof(*out));
	if (polc_interp_parse(frame, len, &k) != POLC_REASON_DEFAULT)
		return;
	int r = lookup(m, &k, &key, &found, &e);
	if (r == UNTRACKED)
		return;
	out->valid = true;
	out->t = r == KNOWN && e->nat ? e->x : key;
	if (r == NEW)
		create(m, &k, &key, 0, found, NULL, NULL, &x);
}
