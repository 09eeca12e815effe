// SPDX-License-Identifier: BSD-2-Clause
#include "element.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

int element_parse_addr(const char *s, size_t n, struct element *e, char *why, size_t why_len,
		       size_t *at)
{
	char buf[64];
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	uint8_t bytes[16];

	memset(e, 0, sizeof(*e));
	*at = 0;
	if (alen == 0 || alen >= sizeof(buf)) {
		snprintf(why, why_len, "'%.*s' is not an address", (int)(n > 60 ? 60 : n), s);
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	bool v6 = memchr(buf, ':', alen) != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, bytes) != 1) {
		snprintf(why, why_len, "invalid %s address '%s'", v6 ? "IPv6" : "IPv4", buf);
		return -1;
	}
	unsigned max = v6 ? 128 : 32;
	unsigned long plen = max;
	if (slash && !parse_uint(slash + 1, n - alen - 1, max, &plen)) {
		*at = alen + 1;
		snprintf(why, why_len, "invalid prefix length '%.*s' (0 to %u)", (int)(n - alen - 1),
			 slash + 1, max);
		return -1;
	}
	e->family = v6 ? 6 : 4;
	e->len = (uint8_t)plen;
	for (unsigned i = 0; i < (v6 ? 4u : 1u); i++)
		e->w[i] = (uint32_t)bytes[4 * i] << 24 | (uint32_t)bytes[4 * i + 1] << 16 |
			  (uint32_t)bytes[4 * i + 2] << 8 | bytes[4 * i + 3];
	for (unsigned i = 0; i < 4; i++) {
		unsigned start = i * 32;
		uint32_t mask = e->len <= start ? 0 : e->len >= start + 32 ? ~0u : ~0u << (32 - (e->len - start));
		e->host_bits |= (e->w[i] & ~mask) != 0;
		e->w[i] &= mask;
	}
	return 0;
}

int element_parse_port(const char *s, size_t n, struct element *e, char *why, size_t why_len,
		       size_t *at)
{
	const char *dash = memchr(s, '-', n);
	unsigned long lo, hi;

	memset(e, 0, sizeof(*e));
	*at = 0;
	if (!dash) {
		if (!parse_uint(s, n, 65535, &lo)) {
			snprintf(why, why_len, "'%.*s' is not a port (0 to 65535)", (int)(n > 60 ? 60 : n), s);
			return -1;
		}
		hi = lo;
	} else if (!parse_uint(s, (size_t)(dash - s), 65535, &lo) ||
		   !parse_uint(dash + 1, n - (size_t)(dash - s) - 1, 65535, &hi)) {
		snprintf(why, why_len, "'%.*s' is not a port range (0 to 65535)", (int)(n > 60 ? 60 : n), s);
		return -1;
	} else if (lo > hi) {
		snprintf(why, why_len, "port range '%.*s' is empty", (int)(n > 60 ? 60 : n), s);
		return -1;
	}
	e->lo = (uint16_t)lo;
	e->hi = (uint16_t)hi;
	return 0;
}

void element_format(const struct element *e, bool port, char *buf, size_t len)
{
	if (port) {
		if (e->lo == e->hi)
			snprintf(buf, len, "%u", e->lo);
		else
			snprintf(buf, len, "%u-%u", e->lo, e->hi);
		return;
	}
	uint8_t b[16];
	char a[INET6_ADDRSTRLEN];
	unsigned words = e->family == 6 ? 4 : 1;
	for (unsigned i = 0; i < words; i++) {
		b[4 * i] = (uint8_t)(e->w[i] >> 24);
		b[4 * i + 1] = (uint8_t)(e->w[i] >> 16);
		b[4 * i + 2] = (uint8_t)(e->w[i] >> 8);
		b[4 * i + 3] = (uint8_t)e->w[i];
	}
	inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, b, a, sizeof(a));
	if (e->len == (e->family == 6 ? 128 : 32))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, e->len);
}
