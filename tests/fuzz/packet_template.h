/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * packet_template.h: bpf-templates/polc_parse.h, the frame parser every
 * program runs, compiled as host C (packet_template.c) so fuzz_packet can
 * run it on any bytes.
 */
#ifndef POLC_FUZZ_PACKET_TEMPLATE_H
#define POLC_FUZZ_PACKET_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

/* struct polc_pkt's fields, without the BPF types */
struct tmpl_pkt {
	uint32_t src[4], dst[4];
	uint16_t sport, dport;
	uint8_t family, l4proto, has_l4, icmp_type, icmp_code, tcp_flags;
};

/* polc_parse() on [data, data + len) of a frame of frame_len bytes:
 * POLC_PARSE_OK (0) or the enum polc_reason that decides it. */
int tmpl_parse(const void *data, size_t len, uint32_t frame_len, struct tmpl_pkt *out);

#endif /* POLC_FUZZ_PACKET_TEMPLATE_H */
