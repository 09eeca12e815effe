// SPDX-License-Identifier: BSD-2-Clause
/*
 * natctl.c: the NAT rules of an applied instance, read and changed through
 * its pins (<root>/<instance>/nat_svc, nat_be, nat_maglev, nat_rr,
 * nat_snat; the counters in ct_stats): what polctl nat shows and what
 * polctl nat set changes.  The labels and lines come from the instance's
 * metadata copy; everything else from the maps, as the datapath sees it.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "util.h"

/* Programs that read a half finish within microseconds (one softirq, under
 * RCU); the next change may rewrite the half that was just left. */
#define NAT_GRACE_NS (20 * 1000 * 1000l)

__attribute__((format(printf, 3, 4))) static int why_fail(char *why, size_t len, const char *fmt,
							  ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void to_host(uint32_t *w, const uint8_t *a, int words)
{
	for (int i = 0; i < words; i++) {
		uint32_t n;
		memcpy(&n, a + 4 * i, 4);
		w[i] = ntohl(n);
	}
}

int polrt_nat_backend_parse(const char *text, struct polc_nat_backend *b, char *why,
			    size_t why_len)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *port = NULL;
	bool bracket = text[0] == '[';
	uint8_t raw[16];

	memset(b, 0, sizeof(*b));
	if (bracket) {
		const char *end = strchr(text, ']');
		if (!end)
			return why_fail(why, why_len, "'[' without ']'");
		if (end[1] && end[1] != ':')
			return why_fail(why, why_len, "junk after ']' (expected :PORT)");
		if ((size_t)(end - text - 1) >= sizeof(addr))
			return why_fail(why, why_len, "not an address");
		memcpy(addr, text + 1, (size_t)(end - text - 1));
		addr[end - text - 1] = '\0';
		port = end[1] ? end + 2 : NULL;
	} else {
		const char *colon = strchr(text, ':');
		bool v4port = colon && !strchr(colon + 1, ':');
		size_t n = v4port ? (size_t)(colon - text) : strlen(text);
		if (n >= sizeof(addr))
			return why_fail(why, why_len, "not an address");
		memcpy(addr, text, n);
		addr[n] = '\0';
		port = v4port ? colon + 1 : NULL;
	}
	if (inet_pton(AF_INET6, addr, raw) == 1) {
		if (!bracket && port)
			return why_fail(why, why_len, "an IPv6 address with a port is written [ADDR]:PORT");
		b->family = 6;
		to_host(b->addr, raw, 4);
	} else if (inet_pton(AF_INET, addr, raw) == 1) {
		if (bracket)
			return why_fail(why, why_len, "brackets are for IPv6 addresses");
		b->family = 4;
		to_host(b->addr, raw, 1);
	} else {
		return why_fail(why, why_len, "'%s' is not an IPv4 or IPv6 address", addr);
	}
	if (port) {
		char *end;
		unsigned long v = 0;
		if (*port < '0' || *port > '9' || (v = strtoul(port, &end, 10), *end) || v == 0 ||
		    v > 65535)
			return why_fail(why, why_len, "port '%s' is not a number from 1 to 65535", port);
		b->port = (uint16_t)v;
	}
	return 0;
}

/* An instance whose policy has NAT rules, with its maps open. */
struct nat_ctx {
	char dir[PATH_MAX];
	char where[96];
	struct polrt_state st;
	void *blob;
	struct polrt_meta m;
	const struct polc_meta_policy *p;
	struct rt_nat_maps maps;
};

static void nat_ctx_release(struct nat_ctx *c)
{
	for (int i = 0; i < RT_NAT_MAPS; i++)
		if (c->maps.fd[i] >= 0)
			close(c->maps.fd[i]);
	free(c->blob);
	c->blob = NULL;
}

static int nat_open(struct polrt *rt, const char *instance, struct nat_ctx *c)
{
	struct rt_nat_sizes sz;
	int err;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < RT_NAT_MAPS; i++)
		c->maps.fd[i] = -1;
	err = rt_load_instance(rt, instance, c->dir, sizeof(c->dir), &c->st, &c->blob, &c->m);
	if (err)
		return err;
	snprintf(c->where, sizeof(c->where), "instance %s", instance);
	c->maps.where = c->where;
	c->p = polrt_meta_policy(&c->m, c->st.policy);
	if (!c->p || !c->p->n_nats) {
		nat_ctx_release(c);
		return rt_err(rt, ENOENT, "instance %s has no dnat or snat rules", instance);
	}
	c->maps.prefix = polrt_meta_str(&c->m, c->m.progs[c->p->first_prog].name_str);
	for (int i = 0; i < RT_NAT_MAPS; i++) {
		char path[PATH_MAX];
		if (pins_path(c->dir, rt_nat_pin(i), path, sizeof(path))) {
			nat_ctx_release(c);
			return -ENAMETOOLONG;
		}
		c->maps.fd[i] = bpf_obj_get(path);
		if (c->maps.fd[i] < 0) {
			err = errno;
			nat_ctx_release(c);
			return err == ENOENT ? rt_err(rt, ENOENT, "instance %s has no pinned NAT maps "
								  "(applied by an older polctl? "
								  "apply it again)", instance)
					     : rt_err(rt, err, "cannot open %s: %s", path, strerror(err));
		}
	}
	rt_nat_count(&c->m.nats[c->p->first_nat], c->p->n_nats, &sz);
	err = rt_nat_check_maps(rt, &c->maps, &sz);
	if (err)
		nat_ctx_release(c);
	return err;
}

int polrt_nat_info(struct polrt *rt, const char *instance, struct polrt_nat_info *out)
{
	struct nat_ctx c;
	int err = nat_open(rt, instance, &c);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	rt_fill_status(rt, instance, c.dir, &c.st, &c.m, &out->status);
	out->services = calloc(out->status.nat_services + 1, sizeof(*out->services));
	out->snats = calloc(out->status.nat_snats + 1, sizeof(*out->snats));
	if (!out->services || !out->snats)
		err = -ENOMEM;
	for (uint32_t i = 0; i < c.p->n_nats && !err; i++) {
		const struct polc_meta_nat *n = &c.m.nats[c.p->first_nat + i];
		const struct polc_meta_rule *r = polrt_meta_nat_rule(&c.m, c.p, n);
		if (n->kind == POLC_NAT_SNAT) {
			struct polrt_nat_snat_rule *s = &out->snats[out->n_snats++];
			*s = (struct polrt_nat_snat_rule){
				.id = n->index,
				.rule = n->rule,
				.line = r->line,
				.label = polrt_meta_str(&c.m, r->label_str),
				.text = polrt_meta_str(&c.m, r->text_str),
				.ifaddr = n->flags & POLC_NAT_F_IFADDR,
			};
			for (uint32_t f = 0; f < 2 && !err; f++) {
				uint32_t key = 2 * n->index + f;
				if (bpf_map_lookup_elem(c.maps.fd[RT_NAT_SNAT], &key, &s->elem[f]) < 0)
					err = rt_err(rt, errno, "instance %s: cannot read its snat map: %s",
						     instance, strerror(errno));
			}
			continue;
		}
		struct polrt_nat_service *s = &out->services[out->n_services++];
		struct polc_nat_svc svc;
		*s = (struct polrt_nat_service){
			.id = n->index,
			.rule = n->rule,
			.line = r->line,
			.label = polrt_meta_str(&c.m, r->label_str),
			.text = polrt_meta_str(&c.m, r->text_str),
			.balance = n->balance,
			.family = n->family,
		};
		s->backends = calloc(POLC_NAT_POOL_MAX, sizeof(*s->backends));
		if (!s->backends) {
			err = -ENOMEM;
			break;
		}
		err = rt_nat_read_pool(rt, &c.maps, n, &svc, s->backends, &s->count);
		s->half = (svc.first / POLC_NAT_POOL_MAX) & 1;
	}
	char path[PATH_MAX];
	if (!err && pins_path(c.dir, PIN_CT_STATS, path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0) {
		err = rt_read_counters(rt, c.dir, PIN_CT_STATS, POLC_CT_STAT_COUNT_, out->ct_stats);
		out->have_stats = !err;
	}
	out->meta_blob = TAKE_PTR(c.blob);
	nat_ctx_release(&c);
	if (err)
		polrt_nat_info_release(out);
	return err;
}

void polrt_nat_info_release(struct polrt_nat_info *info)
{
	for (size_t i = 0; info->services && i < info->n_services; i++)
		free(info->services[i].backends);
	free(info->services);
	free(info->snats);
	free(info->meta_blob);
	memset(info, 0, sizeof(*info));
}

/* The dnat record a SERVICE argument names: a label, or a rule id. */
static const struct polc_meta_nat *find_service(struct polrt *rt, const char *instance,
						 const struct nat_ctx *c, const char *service)
{
	char *end;
	unsigned long id = strtoul(service, &end, 10);
	bool numeric = *service >= '0' && *service <= '9' && !*end;
	char names[512] = "";
	size_t len = 0;

	for (uint32_t i = 0; i < c->p->n_nats; i++) {
		const struct polc_meta_nat *n = &c->m.nats[c->p->first_nat + i];
		const char *label = polrt_meta_str(&c->m, polrt_meta_nat_rule(&c->m, c->p, n)->label_str);
		if (numeric && n->rule == id) {
			if (n->kind == POLC_NAT_DNAT)
				return n;
			rt_err(rt, EINVAL, "instance %s: rule %lu is an snat rule, not a service",
			       instance, id);
			return NULL;
		}
		if (n->kind != POLC_NAT_DNAT)
			continue;
		if (!numeric && *label && strcmp(label, service) == 0)
			return n;
		if (len < sizeof(names))
			len += (size_t)snprintf(names + len, sizeof(names) - len,
						*label ? "%s%s (rule %u)" : "%s%srule %u", len ? ", " : "",
						label, n->rule);
	}
	if (numeric && id >= 1 && id <= c->p->n_rules)
		rt_err(rt, EINVAL, "instance %s: rule %lu is not a dnat rule (services: %s)", instance,
		       id, *names ? names : "none");
	else
		rt_err(rt, ENOENT, "instance %s has no service '%s' (services: %s)", instance, service,
		       *names ? names : "none");
	return NULL;
}

int polrt_nat_set(struct polrt *rt, const char *instance, const char *service,
		  const char *const *backends, size_t n, struct polrt_nat_set_result *res)
{
	struct polc_nat_backend be[POLC_NAT_POOL_MAX];
	struct nat_ctx c;
	char where[160];
	uint32_t before = 0, half = 0;
	int lock_fd, err;

	if (res)
		memset(res, 0, sizeof(*res));
	if (n > POLC_NAT_POOL_MAX)
		return rt_err(rt, E2BIG, "%zu backends: a service holds at most %u", n,
			      POLC_NAT_POOL_MAX);
	for (size_t i = 0; i < n; i++) {
		char why[128];
		if (polrt_nat_backend_parse(backends[i], &be[i], why, sizeof(why)))
			return rt_err(rt, EINVAL, "backend '%s': %s", backends[i], why);
	}
	err = pins_prepare_root(rt);
	if (err)
		return err;
	lock_fd = pins_lock(rt);
	if (lock_fd < 0)
		return lock_fd;
	err = nat_open(rt, instance, &c);
	if (err) {
		close(lock_fd);
		return err;
	}
	const struct polc_meta_nat *nat = find_service(rt, instance, &c, service);
	if (!nat) {
		err = -ENOENT;
		goto out;
	}
	snprintf(where, sizeof(where), "instance %s, service %s", instance, service);
	err = rt_nat_check_pool(rt, where, &c.maps, nat, be, (uint32_t)n);
	err = err ?: rt_nat_switch(rt, &c.maps, nat, be, (uint32_t)n, &before, &half);
	if (err)
		goto out;
	/* no program reads the old half any more when the next change comes */
	struct timespec ts = { 0, NAT_GRACE_NS };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	if (res) {
		*res = (struct polrt_nat_set_result){ .service = nat->index, .rule = nat->rule,
						      .before = before, .after = (uint32_t)n,
						      .half = half };
		snprintf(res->label, sizeof(res->label), "%s",
			 polrt_meta_str(&c.m, polrt_meta_nat_rule(&c.m, c.p, nat)->label_str));
	}
out:
	nat_ctx_release(&c);
	close(lock_fd);
	return err;
}
