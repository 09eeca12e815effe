/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ast.h: the syntax tree the parser builds, exactly as written.
 *
 * Nothing here is checked yet: a value in an address position may be a port
 * and a protocol name may be misspelled.  check.c gives meaning to it and
 * lower.c turns it into IR.  All nodes live in the unit's arena.
 */
#ifndef POLC_AST_H
#define POLC_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "source.h"

struct ir_rule;
struct ir_set;
struct polc_packet;
struct polc_tuple;

enum ast_value_kind {
	AV_IPV4,   /* 192.0.2.1 or 192.0.2.0/24 */
	AV_IPV6,   /* 2001:db8::1 or 2001:db8::/32 */
	AV_NUMBER, /* 80 */
	AV_RANGE,  /* 1024-65535 */
	AV_IDENT,  /* tcp, echo-request */
	AV_REF,    /* $office */
	AV_SETREF, /* @blocklist */
	AV_ANY,    /* any */
	AV_LIST,   /* { a, b, c } */
};

struct ast_value {
	enum ast_value_kind kind;
	struct polc_loc loc;
	uint8_t addr[16];  /* AV_IPV4 (first 4 bytes), AV_IPV6; network order */
	int prefix_len;    /* -1 when no "/len" was written */
	struct polc_loc prefix_loc;
	uint64_t num;      /* AV_NUMBER; AV_RANGE low end */
	uint64_t num_hi;   /* AV_RANGE high end */
	const char *name;  /* AV_IDENT, AV_REF (without '$') */
	/* AV_IPV4, AV_IPV6 written with a port, "10.0.0.1:8080" or
	 * "[2001:db8::1]:8080" (a dnat backend) */
	bool has_port;
	uint64_t port;
	struct polc_loc port_loc;
	VEC(struct ast_value *) items; /* AV_LIST */
};

/* "from ADDR port PORTS" / "to ...": either part may be missing. */
struct ast_endpoint {
	bool present;
	struct polc_loc loc; /* the keyword */
	struct ast_value *addr;
	struct ast_value *port;
	struct polc_loc port_loc;
};

enum ast_verdict {
	AST_PASS,
	AST_DROP,
};

/* dnat and snat rules: pass, and translate the flow (checknat.c) */
enum ast_nat {
	AST_NAT_NONE,
	AST_NAT_DNAT,
	AST_NAT_SNAT,
};

struct ast_rule {
	struct polc_loc loc; /* the whole rule */
	enum ast_verdict verdict;
	struct polc_loc verdict_loc;
	struct ast_value *proto; /* NULL: any protocol */
	struct ast_endpoint from, to;
	struct ast_value *icmp_type;
	struct polc_loc icmp_type_loc;
	struct ast_value *icmp_code;
	struct polc_loc icmp_code_loc;
	const char *label;
	struct polc_loc label_loc;
	/* dnat ... -> BACKENDS [balance B] | snat ... -> ADDR|interface [port R] */
	enum ast_nat nat;
	struct polc_loc arrow_loc;     /* '->' (arrow_loc.line 0: none written) */
	struct ast_value *target;      /* backends, or the snat address */
	bool target_interface;         /* snat -> interface */
	struct polc_loc target_loc;
	struct ast_value *target_port; /* snat ... port R */
	struct polc_loc target_port_loc;
	const char *balance;
	struct polc_loc balance_loc;
	/* ct STATES: new, established, related, invalid, untracked */
	struct ast_value *ct;
	struct polc_loc ct_loc;
	struct ir_rule *ir; /* filled by check.c, normalised by lower.c */
};

enum ast_hook {
	AST_HOOK_NONE,
	AST_HOOK_XDP,
	AST_HOOK_TC_INGRESS,
	AST_HOOK_TC_EGRESS,
};

struct ast_policy {
	const char *name;
	struct polc_loc loc;      /* the whole policy */
	struct polc_loc name_loc;
	enum ast_hook hook;
	struct polc_loc hook_loc;
	bool has_default;
	enum ast_verdict default_verdict;
	struct polc_loc default_loc;
	VEC(struct ast_rule *) rules;
	bool syntax_errors; /* some statement was skipped by error recovery */
	/* track [size N]: connection tracking (docs/language.md) */
	bool track;
	struct polc_loc track_loc;  /* the whole statement */
	uint64_t track_size;        /* 0: the default */
	struct polc_loc track_size_loc;
};

struct ast_const {
	const char *name;
	struct polc_loc loc; /* the name */
	struct ast_value *value;
	bool used;
	bool resolving; /* cycle detection in check.c */
	bool bad;       /* its value has errors: uses are not checked again */
	/* check.c's memos, so constants built from constants cost linear
	 * time, not exponential: its definition is checked, its kind is
	 * known, the rule field it was last expanded into, the check it was
	 * last visited by */
	bool checked;
	bool kind_known;
	unsigned kind;
	unsigned expanded_in;
	unsigned visited; /* by the check of which constant, and its result */
	bool visited_ok;
};

/* set NAME : TYPE [size N] { ... } | file "path" */
struct ast_set {
	const char *name;
	struct polc_loc loc; /* the name */
	const char *type;    /* "ipv4", "ipv6", "ip", "port" */
	struct polc_loc type_loc;
	const char *type2;   /* "prefix" or NULL */
	struct polc_loc type2_loc;
	uint64_t size;       /* 0: not given */
	struct polc_loc size_loc;
	struct ast_value *elements; /* a list, or NULL for a file */
	const char *file;
	struct polc_loc file_loc;
	bool bad; /* a syntax error: uses are not reported again */
	bool used;
	struct ir_set *ir; /* check.c */
};

/* A comment: '#' to the end of its line.  The grammar never sees them; the
 * lexer keeps them, in source order, for polc fmt. */
struct ast_comment {
	struct polc_loc loc;
	const char *text; /* from the '#', trailing blanks and CR removed */
	size_t len;       /* bytes of text (a comment may hold a NUL) */
	bool own_line;    /* nothing but blanks before it on its line */
};

/* What decides a test packet: "by rule LABEL", "by line N", "by default",
 * "by REASON" (non-ip, truncated, malformed), or not said. */
enum ast_by {
	AST_BY_NONE,
	AST_BY_RULE,
	AST_BY_LINE,
	AST_BY_DEFAULT,
	AST_BY_REASON,
	AST_BY_FLOW, /* "by established": a packet of a tracked flow */
};

/* expect pass|drop "PACKET" [by ...] */
struct ast_expect {
	struct polc_loc loc; /* the whole statement */
	enum ast_verdict verdict;
	const char *packet;  /* the description, unquoted */
	struct polc_loc packet_loc;
	enum ast_by by;
	const char *by_name; /* AST_BY_RULE: the label; AST_BY_REASON: the word */
	uint64_t by_line;    /* AST_BY_LINE */
	struct polc_loc by_loc;
	const char *as_packet; /* as "PACKET": how it leaves (NAT); NULL: not said */
	struct polc_loc as_loc;
	/* checktest.c: */
	struct polc_packet *pk; /* the packet, parsed (NULL: it does not parse) */
	struct polc_tuple *as;  /* as_packet's tuple */
	uint32_t rule;       /* the rule "by" names (AST_BY_RULE, AST_BY_LINE) */
	unsigned reason;     /* enum polc_reason, AST_BY_REASON */
};

/* test "NAME" [in POLICY] { expect ... } */
struct ast_test {
	const char *name;
	struct polc_loc loc; /* the whole test */
	struct polc_loc name_loc;
	const char *policy;  /* NULL: the file's only policy */
	struct polc_loc policy_loc;
	VEC(struct ast_expect *) expects;
	bool syntax_errors;  /* some statement was skipped by error recovery */
	size_t ir_policy;    /* checktest.c: index into ir_unit.policies */
};

struct ast_file {
	VEC(struct ast_const *) consts;
	VEC(struct ast_set *) sets;
	VEC(struct ast_policy *) policies;
	VEC(struct ast_test *) tests;
	VEC(struct ast_comment) comments;
};

#endif /* POLC_AST_H */
