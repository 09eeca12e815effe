// SPDX-License-Identifier: BSD-2-Clause
/*
 * packet.c: packets described in words, for test blocks and polc explain:
 *
 *	tcp 203.0.113.5:40000 -> 192.0.2.10:443 syn
 *	udp [2001:db8::1]:5353 -> [2001:db8::2]:53 len 40
 *	icmpv6 2001:db8::1 -> 2001:db8::2 type echo-request
 *	vlan 100 tcp 10.0.0.1:1000 -> 10.0.0.2:80 syn ack fragment 8
 *	arp 192.0.2.1 -> 192.0.2.2
 *	tcp 192.0.2.1:1 -> 192.0.2.2:80 truncate 40
 *
 * A description becomes an Ethernet frame (pktgen) that the interpreter
 * and the kernel are both given.  Errors point into the description.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "pktgen.h"

struct lex {
	const char *s;
	size_t len, pos;
	char word[128];
	size_t at; /* where the word starts */
	struct polc_packet_error *err;
};

static bool fail(struct lex *l, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fail(struct lex *l, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (l->err->msg[0])
		return false;
	va_start(ap, fmt);
	vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
	va_end(ap);
	l->err->at = at;
	return false;
}

/* The next word: up to blank, or "->" on its own. */
static bool next(struct lex *l)
{
	while (l->pos < l->len && isspace((unsigned char)l->s[l->pos]))
		l->pos++;
	l->at = l->pos;
	if (l->pos >= l->len) {
		l->word[0] = '\0';
		return false;
	}
	size_t n = 0;
	if (l->s[l->pos] == '-' && l->pos + 1 < l->len && l->s[l->pos + 1] == '>') {
		l->pos += 2;
		strcpy(l->word, "->");
		return true;
	}
	while (l->pos < l->len && !isspace((unsigned char)l->s[l->pos]) && n + 1 < sizeof(l->word)) {
		if (l->s[l->pos] == '-' && l->pos + 1 < l->len && l->s[l->pos + 1] == '>')
			break;
		l->word[n++] = l->s[l->pos++];
	}
	l->word[n] = '\0';
	return true;
}

static bool number(struct lex *l, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)l->word[0]))
		return fail(l, l->at, "expected a number, found '%s'", l->word);
	*v = strtoul(l->word, &end, 10);
	if (*end || *v > max)
		return fail(l, l->at, "'%s' is not a number from 0 to %lu", l->word, max);
	return true;
}

/* ADDR, ADDR:PORT, [ADDR6] or [ADDR6]:PORT. */
static bool endpoint(struct lex *l, bool ports, char *addr, size_t alen, uint16_t *port,
		     int *family)
{
	char *w = l->word;
	char *colon;
	uint8_t buf[16];

	*port = 0;
	/* the longest address with a port: "[" 45 characters "]:65535" */
	if (strlen(w) > 56)
		return fail(l, l->at, "'%.20s...' is too long for an address", w);
	if (w[0] == '[') {
		char *close = strchr(w, ']');
		if (!close)
			return fail(l, l->at, "'%s': an IPv6 address in brackets lacks ']'", w);
		*close = '\0';
		snprintf(addr, alen, "%.56s", w + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return fail(l, l->at, "unexpected text after ']'");
		*family = 6;
	} else if (strchr(w, '.')) {
		colon = strchr(w, ':');
		snprintf(addr, alen, "%.*s", colon ? (int)(colon - w) : (int)strlen(w) & 63, w);
		*family = 4;
	} else {
		snprintf(addr, alen, "%.56s", w);
		colon = NULL;
		*family = 6;
	}
	if (inet_pton(*family == 6 ? AF_INET6 : AF_INET, addr, buf) != 1)
		return fail(l, l->at, "'%s' is not an IPv%d address", addr, *family);
	if (colon) {
		if (!ports)
			return fail(l, l->at, "a port given for a protocol without ports");
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || p > 65535)
			return fail(l, l->at, "'%s' is not a port", colon + 1);
		*port = (uint16_t)p;
	} else if (ports) {
		return fail(l, l->at, "'%s' needs a port (ADDR:PORT, or [ADDR]:PORT for IPv6)", l->word);
	}
	return true;
}

/* ICMP type names: as in the language (compiler/check.c's tables). */
static int icmp_type(const char *name, bool v6)
{
	static const struct {
		const char *name;
		int v4, v6;
	} t[] = {
		{ "echo-reply", 0, 129 },	      { "destination-unreachable", 3, 1 },
		{ "source-quench", 4, -1 },	      { "redirect", 5, 137 },
		{ "echo-request", 8, 128 },	      { "router-advertisement", 9, 134 },
		{ "router-solicitation", 10, 133 },   { "time-exceeded", 11, 3 },
		{ "parameter-problem", 12, 4 },       { "timestamp-request", 13, -1 },
		{ "timestamp-reply", 14, -1 },	      { "packet-too-big", -1, 2 },
		{ "neighbor-solicitation", -1, 135 }, { "neighbor-advertisement", -1, 136 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].name, name) == 0)
			return v6 ? t[i].v6 : t[i].v4;
	return -2;
}

int polc_packet_parse(const char *text, size_t len, struct polc_packet *p,
		      struct polc_packet_error *err)
{
	struct lex l = { .s = text, .len = len, .err = err };

	memset(p, 0, sizeof(*p));
	memset(err, 0, sizeof(*err));
	if (!next(&l))
		return fail(&l, 0, "an empty packet: write e.g. 'tcp 192.0.2.1:1000 -> 192.0.2.2:80 syn'"), -1;
	if (strcmp(l.word, "in") == 0 || strcmp(l.word, "out") == 0) {
		p->out = l.word[0] == 'o';
		next(&l);
	}
	while (strcmp(l.word, "vlan") == 0) {
		unsigned long id;
		if (p->n_vlans == 2)
			return fail(&l, l.at, "at most two VLAN tags"), -1;
		if (!next(&l) || !number(&l, 4095, &id))
			return fail(&l, l.at, "'vlan' needs a VLAN id (0 to 4095)"), -1;
		p->vlan[p->n_vlans++] = (uint16_t)id;
		next(&l);
	}
	static const struct {
		const char *name;
		int proto;
	} protos[] = { { "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 }, { "gre", 47 },
		       { "esp", 50 }, { "sctp", 132 }, { "arp", -1 } };
	p->proto = -2;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(l.word, protos[i].name) == 0)
			p->proto = protos[i].proto;
	if (p->proto == -2) {
		unsigned long n;
		if (!isdigit((unsigned char)l.word[0]) || !number(&l, 255, &n))
			return fail(&l, l.at, "unknown protocol '%s' (tcp, udp, icmp, icmpv6, gre, esp, sctp, arp or a number)",
				    l.word), -1;
		p->proto = (int)n;
	}
	bool ports = p->proto == 6 || p->proto == 17;
	int fam_src, fam_dst;
	if (!next(&l) ||
	    !endpoint(&l, ports, p->src, sizeof(p->src), &p->sport, &fam_src))
		return fail(&l, l.at, "expected the source address"), -1;
	if (!next(&l) || strcmp(l.word, "->") != 0)
		return fail(&l, l.at, "expected '->' after the source"), -1;
	if (!next(&l) ||
	    !endpoint(&l, ports, p->dst, sizeof(p->dst), &p->dport, &fam_dst))
		return fail(&l, l.at, "expected the destination address"), -1;
	if (fam_src != fam_dst)
		return fail(&l, l.at, "the source is IPv%d and the destination IPv%d", fam_src, fam_dst), -1;
	p->family = fam_src;
	if (p->proto == 1 && p->family == 6)
		return fail(&l, 0, "icmp is IPv4's; use icmpv6 for IPv6"), -1;
	if (p->proto == 58 && p->family == 4)
		return fail(&l, 0, "icmpv6 is IPv6's; use icmp for IPv4"), -1;
	if (p->proto == -1 && p->family == 6)
		return fail(&l, 0, "arp is IPv4's (IPv6 uses neighbor-solicitation)"), -1;
	if (p->proto == 1 || p->proto == 58) {
		p->icmp_type = p->proto == 1 ? 8 : 128;
		p->icmp_code = 0;
	}

	while (next(&l)) {
		static const struct {
			const char *name;
			uint8_t bit;
		} flags[] = { { "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 },
			      { "psh", 0x08 }, { "ack", 0x10 }, { "urg", 0x20 } };
		bool flag = false;
		for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			if (strcmp(l.word, flags[i].name) == 0) {
				if (p->proto != 6)
					return fail(&l, l.at, "TCP flags on a %s packet", p->proto == 17 ? "udp" : "non-TCP"), -1;
				p->tcp_flags |= flags[i].bit;
				p->flags_given = true;
				flag = true;
			}
		}
		if (flag)
			continue;
		unsigned long v;
		if (strcmp(l.word, "type") == 0) {
			if (p->proto != 1 && p->proto != 58)
				return fail(&l, l.at, "'type' needs icmp or icmpv6"), -1;
			if (!next(&l))
				return fail(&l, l.at, "'type' needs a name or a number"), -1;
			int t = icmp_type(l.word, p->proto == 58);
			if (t >= 0) {
				p->icmp_type = (uint8_t)t;
			} else if (t == -1) {
				return fail(&l, l.at, "'%s' is not an %s type", l.word,
					    p->proto == 58 ? "ICMPv6" : "ICMP (IPv4)"), -1;
			} else if (number(&l, 255, &v)) {
				p->icmp_type = (uint8_t)v;
			} else {
				return -1;
			}
		} else if (strcmp(l.word, "code") == 0) {
			if (p->proto != 1 && p->proto != 58)
				return fail(&l, l.at, "'code' needs icmp or icmpv6"), -1;
			if (!next(&l) || !number(&l, 255, &v))
				return -1;
			p->icmp_code = (uint8_t)v;
		} else if (strcmp(l.word, "len") == 0) {
			if (!next(&l) || !number(&l, 1400, &v))
				return -1;
			p->payload = (uint16_t)v;
		} else if (strcmp(l.word, "fragment") == 0) {
			/* a later fragment, at offset N (in 8-byte units) */
			if (!next(&l) || !number(&l, 8191, &v) || v == 0)
				return fail(&l, l.at, "'fragment' needs an offset from 1 to 8191 (8-byte units)"), -1;
			p->fragment = (uint16_t)v;
		} else if (strcmp(l.word, "truncate") == 0) {
			/* the frame cut to N bytes: a truncated packet */
			if (!next(&l) || !number(&l, 1500, &v) || v < 14)
				return fail(&l, l.at, "'truncate' needs a frame length from 14 bytes"), -1;
			p->truncate = (uint16_t)v;
		} else if (strcmp(l.word, "ttl") == 0) {
			if (!next(&l) || !number(&l, 255, &v))
				return -1;
			p->ttl = (uint8_t)v;
		} else {
			return fail(&l, l.at, "unexpected '%s' in the packet", l.word), -1;
		}
	}
	if (p->proto == 6 && !p->flags_given)
		p->tcp_flags = 0x02; /* a connection's first packet */
	return 0;
}

int polc_packet_frame(const struct polc_packet *p, uint8_t *buf, size_t cap, size_t *len)
{
	struct pkt k;
	struct pkt_ip ip = { .src = p->src, .dst = p->dst, .ttl = p->ttl };

	pkt_init(&k);
	pkt_eth(&k);
	for (unsigned i = 0; i < p->n_vlans; i++)
		pkt_vlan(&k, i == 0 && p->n_vlans == 2 ? PKT_ETH_P_8021AD : PKT_ETH_P_8021Q, p->vlan[i]);
	if (p->proto == -1) {
		pkt_arp(&k, p->src, p->dst);
	} else {
		/* the builder takes the protocol from the next header; without
		 * one (a later fragment, another protocol) it is said */
		bool l4 = !p->fragment && (p->proto == 6 || p->proto == 17 || p->proto == 1 ||
					   p->proto == 58);
		if (p->family == 4) {
			ip.frag_offset = p->fragment;
			if (!l4)
				ip.proto = (uint8_t)p->proto;
			pkt_ipv4(&k, &ip);
		} else {
			if (!l4 && !p->fragment)
				ip.proto = (uint8_t)p->proto;
			pkt_ipv6(&k, &ip);
			if (p->fragment)
				pkt_ipv6_frag(&k, p->fragment, false, 1);
		}
		/* a later fragment carries no L4 header, only payload */
		if (p->fragment)
			pkt_payload(&k, p->payload ? p->payload : 16);
		else if (p->proto == 6)
			pkt_tcp(&k, &(struct pkt_tcp){ .sport = p->sport, .dport = p->dport,
						       .flags = p->tcp_flags });
		else if (p->proto == 17)
			pkt_udp(&k, p->sport, p->dport);
		else if (p->proto == 1)
			pkt_icmp(&k, p->icmp_type, p->icmp_code, 1, 1);
		else if (p->proto == 58)
			pkt_icmpv6(&k, p->icmp_type, p->icmp_code, 1, 1);
		if (!p->fragment && p->payload)
			pkt_payload(&k, p->payload);
	}
	pkt_finish(&k);
	if (p->fragment && p->family == 6) {
		/* the fragment header names the protocol its payload belongs to */
		const struct pkt_layer *f = pkt_find(&k, PKT_L_IPV6_FRAG);
		if (f)
			k.data[f->off] = (uint8_t)p->proto;
	}
	pkt_pad(&k, PKT_ETH_ZLEN);
	if (k.len > cap)
		return -1;
	memcpy(buf, k.data, k.len);
	*len = p->truncate && p->truncate < k.len ? p->truncate : k.len;
	return 0;
}
