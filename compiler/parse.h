/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parse.h: what the grammar actions and the lexer share.
 *
 * The bison actions stay one line each by calling the builders below, which
 * add to the AST and report what the grammar alone cannot (an attach point
 * given twice, a rule part written twice).
 */
#ifndef POLC_PARSE_INTERNAL_H
#define POLC_PARSE_INTERNAL_H

#include "ast.h"
#include "unit.h"

struct parse_ctx {
	struct polc_unit *unit;
	struct arena *arena;
	struct polc_diags *diags;
	struct ast_policy *policy; /* being parsed */
	struct ast_rule *rule;     /* being parsed */
	struct ast_set *set;       /* being parsed */
	struct ast_test *test;     /* being parsed */
	const char *test_policy;   /* "in NAME" of the test to begin */
	struct polc_loc test_policy_loc;
	/* lexer position and the text of the last token, for messages */
	uint32_t line;
	uint32_t col;
	char last_text[48];
	bool at_eof_newline; /* the final NL before EOF was produced */
	/* where the lexer last reported an error (line 0: never): a rule or
	 * constant with a lexical error is not checked, its values are junk */
	struct polc_loc lex_error_at;
	/* error recovery: a syntax error was reported and the parser is
	 * skipping to the end of the statement */
	bool recovering;
	/* braces: how many list '{' are open, and the last two tokens (a
	 * policy's '{' follows "policy NAME") */
	unsigned list_depth;
	int prev_tok[2];
	/* the parser's stack is full (a user error: exit 1, not 4) */
	bool nested_too_deep;
};

/* The lexer saw a comment (text[0..len) from the '#'). */
void parse_comment(struct parse_ctx *c, struct polc_loc loc, const char *text,
		   size_t len);

/* The parser resynchronised at the end of a statement. */
void parse_resynced(struct parse_ctx *c);

void parse_const(struct parse_ctx *c, const char *name, struct polc_loc loc,
		 struct ast_value *value);
void parse_set_type(struct parse_ctx *c, const char *type, struct polc_loc loc,
		    const char *type2, struct polc_loc loc2);
void parse_set_size(struct parse_ctx *c, uint64_t size, struct polc_loc loc);
void parse_set_elements(struct parse_ctx *c, struct ast_value *list);
void parse_set_file(struct parse_ctx *c, const char *path, struct polc_loc loc);
void parse_set_end(struct parse_ctx *c, const char *name, struct polc_loc loc);
void parse_set_bad(struct parse_ctx *c, const char *name, struct polc_loc loc);
void parse_policy_begin(struct parse_ctx *c, const char *name,
			struct polc_loc name_loc, struct polc_loc kw_loc);
void parse_policy_end(struct parse_ctx *c, struct polc_loc loc);
void parse_attach(struct parse_ctx *c, enum ast_hook hook,
		  struct polc_loc loc);
void parse_default(struct parse_ctx *c, enum ast_verdict v,
		   struct polc_loc loc);

void parse_recovered(struct parse_ctx *c);
void parse_track(struct parse_ctx *c, uint64_t size, struct polc_loc size_loc,
		 struct polc_loc loc);

struct parse_by;
void parse_test_begin(struct parse_ctx *c, const char *name, struct polc_loc name_loc,
		      struct polc_loc kw_loc);
void parse_test_policy(struct parse_ctx *c, const char *name, struct polc_loc loc);
void parse_test_end(struct parse_ctx *c, struct polc_loc loc);
void parse_expect(struct parse_ctx *c, enum ast_verdict v, const char *packet,
		  struct polc_loc packet_loc, const struct parse_by *by, const char *as,
		  struct polc_loc as_loc, struct polc_loc loc);
void parse_rule_begin(struct parse_ctx *c, enum ast_verdict v,
		      struct polc_loc loc);
void parse_rule_proto(struct parse_ctx *c, struct ast_value *proto);
void parse_rule_endpoint(struct parse_ctx *c, bool from, struct polc_loc kw,
			 struct ast_value *addr, struct ast_value *port,
			 struct polc_loc port_loc);
void parse_rule_icmp(struct parse_ctx *c, bool code, struct polc_loc kw,
		     struct ast_value *v);
void parse_rule_label(struct parse_ctx *c, const char *label,
		      struct polc_loc loc);
void parse_rule_begin_nat(struct parse_ctx *c, enum ast_nat nat, struct polc_loc loc);
void parse_rule_target(struct parse_ctx *c, struct polc_loc arrow, struct ast_value *target,
		       bool interface, struct polc_loc target_loc, struct ast_value *port,
		       struct polc_loc port_loc);
void parse_rule_balance(struct parse_ctx *c, const char *name, struct polc_loc loc);
void parse_rule_ct(struct parse_ctx *c, struct polc_loc kw, struct ast_value *states);
void parse_rule_end(struct parse_ctx *c, struct polc_loc loc);

/* Value constructors. */
struct ast_value *ast_value_new(struct parse_ctx *c, enum ast_value_kind k,
				struct polc_loc loc);
struct ast_value *ast_list_new(struct parse_ctx *c, struct polc_loc loc);
void ast_list_add(struct parse_ctx *c, struct ast_value *list,
		  struct ast_value *item);

#endif /* POLC_PARSE_INTERNAL_H */
