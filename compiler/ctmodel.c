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
#include "polc_contract.h"

enum { TCP_SYN = 0x02, TCP_ACK = 0x10, TCP_FIN = 0x01, TCP_RST = 0x04 };

void polc_ct_model_reset(struct polc_ct_model *m)
{
	memset(m, 0, sizeof(*m));
}

static bool key_eq(const struct polc_ct_model_key *a, const struct polc_ct_model_key *b)
{
	return memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0 && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto && a->family == b->family;
}

static struct polc_ct_model_entry *find(struct polc_ct_model *m, const struct polc_ct_model_key *k)
{
	for (size_t i = 0; i < POLC_CT_MODEL_MAX; i++)
		if (m->e[i].used && key_eq(&m->e[i].key, k))
			return &m->e[i];
	return NULL;
}

static struct polc_ct_model_entry *put(struct polc_ct_model *m, const struct polc_ct_model_key *k)
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
static bool key_of(const struct ir_packet *k, struct polc_ct_model_key *out)
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
static void twin_of(const struct polc_ct_model_key *k, struct polc_ct_model_key *t)
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
	struct polc_ct_model_key tk;
	twin_of(&e->key, &tk);
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

static int lookup(struct polc_ct_model *m, const struct ir_packet *k, struct polc_ct_model_key *key,
		  bool *found)
{
	*found = false;
	if (!key_of(k, key))
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
	return KNOWN;
}

static void create(struct polc_ct_model *m, const struct ir_packet *k,
		   const struct polc_ct_model_key *key, uint32_t rule, bool found)
{
	struct polc_ct_model_key tk;

	if (!can_open(k))
		return;
	twin_of(key, &tk);
	if (!rule && !found && find(m, &tk))
		return; /* the companion: already a flow's reply */
	if (found) {
		struct polc_ct_model_entry *old = find(m, key);
		if (old && old->dir == POLC_CT_DIR_FORWARD && old->rule == rule &&
		    (old->state == POLC_CT_TCP_SYN_SENT || old->state == POLC_CT_TCP_SYN_RECV))
			return; /* a retransmitted SYN keeps its flow */
		if (old) {
			struct polc_ct_model_key ok;
			twin_of(key, &ok);
			struct polc_ct_model_entry *ot = find(m, &ok);
			if (ot && ot->dir != old->dir)
				ot->used = false;
		}
	}
	if (find(m, &tk))
		return; /* another live flow owns the reply key */
	struct polc_ct_model_entry *r = put(m, &tk);
	r->state = initial_state(key->proto);
	r->dir = POLC_CT_DIR_REPLY;
	r->rule = rule;
	r->local = !rule;
	struct polc_ct_model_entry *f = put(m, key);
	f->state = r->state;
	f->dir = POLC_CT_DIR_FORWARD;
	f->rule = rule;
	f->local = !rule;
}

void polc_ct_model_in(struct polc_ct_model *m, const struct ir_policy *p, const void *frame,
		      size_t len, struct polc_decision *d, bool *established)
{
	struct polc_ct_model_key key;
	bool found;

	*established = false;
	polc_interp_run(p, frame, len, d, NULL);
	if (d->reason != POLC_REASON_DEFAULT)
		return; /* decided before the table: non-IP, broken */
	int r = lookup(m, &d->packet, &key, &found);
	if (r == KNOWN) {
		*established = true;
		d->verdict = POLC_VERDICT_PASS;
		d->rule = 0;
		return;
	}
	/* the rules decided (d); a new flow they pass is recorded */
	if (r == NEW && d->verdict == POLC_VERDICT_PASS)
		create(m, &d->packet, &key, d->rule, found);
}

void polc_ct_model_out(struct polc_ct_model *m, const void *frame, size_t len)
{
	struct ir_packet k;
	struct polc_ct_model_key key;
	bool found;

	if (polc_interp_parse(frame, len, &k) != POLC_REASON_DEFAULT)
		return;
	if (lookup(m, &k, &key, &found) == NEW)
		create(m, &k, &key, 0, found);
}
