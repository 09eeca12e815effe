/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * element.h: one element of a named set, as text: an address or prefix
 * ("192.0.2.0/24", "2001:db8::1") or a port or port range ("80",
 * "1024-65535").  Used by polc for set files and by polctl for set updates,
 * so that both read elements the same way.
 */
#ifndef POLC_ELEMENT_H
#define POLC_ELEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct element {
	uint32_t w[4];   /* address: host-order words, IPv4 in w[0] */
	uint8_t len;     /* prefix length */
	uint8_t family;  /* 4 or 6; 0 for ports */
	bool host_bits;  /* bits were set past len (and are now cleared) */
	uint16_t lo, hi; /* ports */
};

/*
 * Parse s[0..n) as an address or prefix.  On error returns -1 and writes a
 * sentence into why; *at is the offset in s the error is about.
 */
int element_parse_addr(const char *s, size_t n, struct element *e, char *why, size_t why_len,
		       size_t *at);

/* The same for a port or an inclusive range LO-HI. */
int element_parse_port(const char *s, size_t n, struct element *e, char *why, size_t why_len,
		       size_t *at);

/* Write e as text (the forms the parsers read) into buf. */
void element_format(const struct element *e, bool port, char *buf, size_t len);

#endif /* POLC_ELEMENT_H */
