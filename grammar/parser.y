/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parser.y: the grammar of policy files.
 *
 * A pure (reentrant) parser with locations.  Actions are one call into
 * compiler/parse.c.  Errors are reported through yyreport_syntax_error()
 * with the expected tokens and a "did you mean" for misspelled keywords;
 * parsing resynchronises at the end of the statement, so one run reports
 * every broken rule.  Everything allocated lives in the unit's arena, so
 * error recovery discards symbols without destructors.
 */
%define api.pure full
%define parse.error custom
%define parse.lac full
%locations
%param {yyscan_t scanner}
%parse-param {struct parse_ctx *ctx}

%code requires {
#include <stdint.h>
#include "ast.h"
struct parse_ctx;
typedef void *yyscan_t;
#define YYLTYPE struct polc_loc
#define YYLLOC_DEFAULT(cur, rhs, n)                                    \
	do {                                                           \
		if (n) {                                               \
			(cur) = YYRHSLOC(rhs, 1);                      \
			(cur).end_line = YYRHSLOC(rhs, n).end_line;    \
			(cur).end_col = YYRHSLOC(rhs, n).end_col;      \
		} else {                                               \
			(cur) = YYRHSLOC(rhs, 0);                      \
			(cur).line = (cur).end_line;                   \
			(cur).col = (cur).end_col;                     \
		}                                                      \
	} while (0)
struct parse_endpoint {
	struct ast_value *addr;
	struct ast_value *port;
	YYLTYPE port_loc;
};
/* "by WORD [ARG]" of an expect; word NULL when there is none */
struct parse_by {
	const char *word;
	const char *name; /* the label (a name or a string) */
	uint64_t num;     /* the line */
	YYLTYPE word_loc, arg_loc;
};
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
int polc_lex_raw(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include <limits.h>
#include <string.h>

#include "parse.h"
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *ctx,
		    const char *msg);
}

%union {
	uint64_t num;
	const char *str;
	struct ast_value *value;
	enum ast_hook hook;
	enum ast_verdict verdict;
	struct parse_endpoint endpoint;
	struct parse_by by;
}

%token POLICY "policy" CONST "const" ATTACH "attach" DEFAULT "default"
%token SET "set" FILE_KW "file" SIZE "size"
%token XDP "xdp" TC "tc" INGRESS "ingress" EGRESS "egress"
%token PASS "pass" DROP "drop" FROM "from" TO "to" PORT "port"
%token TYPE "type" CODE "code" LABEL "label"
%token ANY "any"
%token TRACK "track"
%token TEST "test" EXPECT "expect" BY "by" IN "in"
%token CT "ct" AS "as" DNAT "dnat" SNAT "snat" BALANCE "balance" INTERFACE "interface" ARROW "->"
%token NL "end of line"
%token <num> NUMBER "number"
%token <str> IDENT "name" REF "$constant" SETREF "@set" STRING "string"
%token <value> IPV4 "IPv4 address" IPV6 "IPv6 address"

%type <value> value scalar list list_body
%type <hook> hook
%type <verdict> verdict
%type <endpoint> endpoint
%type <by> expect_by

%%

file
	: %empty
	| file top
	;

top
	: NL
	| ';'
	| const_decl
	| set_decl
	| policy_decl
	| test_decl
	| error NL                       { parse_resynced(ctx); yyerrok; }
	;

const_decl
	: CONST IDENT '=' value end      { parse_const(ctx, $2, @2, $4); }
	/* still defined (as bad), so its uses are not unknown constants */
	| CONST IDENT error end          { parse_const(ctx, $2, @2, NULL); }
	;

/* set NAME : TYPE [prefix] [size N] { ELEMENTS } | file "PATH" */
set_decl
	: SET IDENT ':' set_type set_size set_body end
	                                 { parse_set_end(ctx, $2, @2); }
	| SET IDENT error end            { parse_set_bad(ctx, $2, @2); }
	;

set_type
	: IDENT                          { parse_set_type(ctx, $1, @1, NULL, @1); }
	| IDENT IDENT                    { parse_set_type(ctx, $1, @1, $2, @2); }
	| PORT                           { parse_set_type(ctx, "port", @1, NULL, @1); }
	| PORT IDENT                     { parse_set_type(ctx, "port", @1, $2, @2); }
	;

set_size
	: %empty
	| SIZE NUMBER                    { parse_set_size(ctx, $2, @2); }
	;

set_body
	: list                           { parse_set_elements(ctx, $1); }
	| FILE_KW STRING                 { parse_set_file(ctx, $2, @2); }
	;

/* The end of a statement: after a syntax error in the statement, the next
 * one is parsed (and its errors reported) afresh. */
end
	: NL                             { parse_resynced(ctx); yyerrok; }
	| ';'                            { parse_resynced(ctx); yyerrok; }
	;

policy_decl
	: POLICY IDENT '{'               { parse_policy_begin(ctx, $2, @2, @1); }
	  policy_body '}'                { parse_policy_end(ctx, @$); parse_resynced(ctx); yyerrok; }
	;

policy_body
	: policy_item
	| policy_body end policy_item
	;

policy_item
	: %empty
	| ATTACH hook                    { parse_attach(ctx, $2, @2); }
	| DEFAULT verdict                { parse_default(ctx, $2, @2); }
	| TRACK                          { parse_track(ctx, 0, @1, @1); }
	| TRACK SIZE NUMBER              { parse_track(ctx, $3, @3, @$); }
	| rule
	| error                          { parse_recovered(ctx); }
	;

/* test "NAME" [in POLICY] { expect pass|drop "PACKET" [by ...] ... } */
test_decl
	: TEST STRING test_target '{'    { parse_test_begin(ctx, $2, @2, @1); }
	  test_body '}'                  { parse_test_end(ctx, @$); parse_resynced(ctx); yyerrok; }
	;

test_target
	: %empty
	| IN IDENT                       { parse_test_policy(ctx, $2, @2); }
	;

test_body
	: test_item
	| test_body end test_item
	;

test_item
	: %empty
	| EXPECT verdict STRING expect_by
	                                 { parse_expect(ctx, $2, $3, @3, &$4, NULL, @$, @$); }
	| EXPECT verdict STRING expect_by AS STRING
	                                 { parse_expect(ctx, $2, $3, @3, &$4, $6, @6, @$); }
	| error                          { parse_recovered(ctx); }
	;

/* by rule LABEL | by line N | by default | by REASON */
expect_by
	: %empty                         { $$ = (struct parse_by){ 0 }; }
	| BY DEFAULT                     { $$ = (struct parse_by){ "default", NULL, 0, @2, @2 }; }
	| BY IDENT                       { $$ = (struct parse_by){ $2, NULL, 0, @2, @2 }; }
	| BY IDENT IDENT                 { $$ = (struct parse_by){ $2, $3, 0, @2, @3 }; }
	| BY IDENT STRING                { $$ = (struct parse_by){ $2, $3, 0, @2, @3 }; }
	| BY IDENT NUMBER                { $$ = (struct parse_by){ $2, NULL, $3, @2, @3 }; }
	;

hook
	: XDP                            { $$ = AST_HOOK_XDP; }
	| TC INGRESS                     { $$ = AST_HOOK_TC_INGRESS; }
	| TC EGRESS                      { $$ = AST_HOOK_TC_EGRESS; }
	;

verdict
	: PASS                           { $$ = AST_PASS; }
	| DROP                           { $$ = AST_DROP; }
	;

rule
	: verdict                        { parse_rule_begin(ctx, $1, @1); }
	  rule_proto rule_parts          { parse_rule_end(ctx, @$); }
	| DNAT                           { parse_rule_begin_nat(ctx, AST_NAT_DNAT, @1); }
	  rule_proto rule_parts          { parse_rule_end(ctx, @$); }
	| SNAT                           { parse_rule_begin_nat(ctx, AST_NAT_SNAT, @1); }
	  rule_proto rule_parts          { parse_rule_end(ctx, @$); }
	;

rule_proto
	: %empty
	| value                          { parse_rule_proto(ctx, $1); }
	;

rule_parts
	: %empty
	| rule_parts rule_part
	;

rule_part
	: FROM endpoint     { parse_rule_endpoint(ctx, true, @1, $2.addr, $2.port, $2.port_loc); }
	| TO endpoint       { parse_rule_endpoint(ctx, false, @1, $2.addr, $2.port, $2.port_loc); }
	| TYPE value        { parse_rule_icmp(ctx, false, @1, $2); }
	| CODE value        { parse_rule_icmp(ctx, true, @1, $2); }
	| LABEL STRING      { parse_rule_label(ctx, $2, @2); }
	| LABEL IDENT       { parse_rule_label(ctx, $2, @2); }
	| ARROW value       { parse_rule_target(ctx, @1, $2, false, @2, NULL, @2); }
	| ARROW value PORT value
	                    { parse_rule_target(ctx, @1, $2, false, @2, $4, @3); }
	| ARROW INTERFACE   { parse_rule_target(ctx, @1, NULL, true, @2, NULL, @2); }
	| ARROW INTERFACE PORT value
	                    { parse_rule_target(ctx, @1, NULL, true, @2, $4, @3); }
	| BALANCE IDENT     { parse_rule_balance(ctx, $2, @2); }
	| CT value          { parse_rule_ct(ctx, @1, $2); }
	;

endpoint
	: value             { $$.addr = $1; $$.port = NULL; $$.port_loc = @1; }
	| value PORT value  { $$.addr = $1; $$.port = $3; $$.port_loc = @2; }
	| PORT value        { $$.addr = NULL; $$.port = $2; $$.port_loc = @1; }
	;

value
	: scalar
	| list
	;

list
	: '{' nls '}'                    { $$ = ast_list_new(ctx, @$); }
	| '{' nls list_body nls '}'      { $$ = $3; $$->loc = @$; }
	| '{' nls list_body ',' nls '}'  { $$ = $3; $$->loc = @$; }
	;

list_body
	: value                          { $$ = ast_list_new(ctx, @1); ast_list_add(ctx, $$, $1); }
	| list_body ',' nls value        { $$ = $1; ast_list_add(ctx, $$, $4); }
	;

nls
	: %empty
	| nls NL
	;

scalar
	: IPV4                           { $$ = $1; $$->prefix_len = -1; }
	| IPV4 '/' NUMBER                { $$ = $1; $$->prefix_len = (int)($3 > INT_MAX ? INT_MAX : $3); $$->prefix_loc = @3; $$->loc = @$; }
	| IPV6                           { $$ = $1; $$->prefix_len = -1; }
	| IPV6 '/' NUMBER                { $$ = $1; $$->prefix_len = (int)($3 > INT_MAX ? INT_MAX : $3); $$->prefix_loc = @3; $$->loc = @$; }
	/* an address and a port: a dnat backend */
	| IPV4 ':' NUMBER                { $$ = $1; $$->prefix_len = -1; $$->has_port = true; $$->port = $3; $$->port_loc = @3; $$->loc = @$; }
	| '[' IPV6 ']' ':' NUMBER        { $$ = $2; $$->prefix_len = -1; $$->has_port = true; $$->port = $5; $$->port_loc = @5; $$->loc = @$; }
	| NUMBER                         { $$ = ast_value_new(ctx, AV_NUMBER, @1); $$->num = $1; }
	| NUMBER '-' NUMBER              { $$ = ast_value_new(ctx, AV_RANGE, @$); $$->num = $1; $$->num_hi = $3; }
	| IDENT                          { $$ = ast_value_new(ctx, AV_IDENT, @1); $$->name = $1; }
	| REF                            { $$ = ast_value_new(ctx, AV_REF, @1); $$->name = $1; }
	| SETREF                         { $$ = ast_value_new(ctx, AV_SETREF, @1); $$->name = $1; }
	| ANY                            { $$ = ast_value_new(ctx, AV_ANY, @1); }
	;

%%

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *ctx,
		    const char *msg)
{
	(void)scanner;
	/* the only message bison reports itself: its stack is full */
	if (strcmp(msg, "memory exhausted") == 0) {
		ctx->nested_too_deep = true;
		polc_error(ctx->diags, *loc, "lists nested too deeply (at most about %d levels)",
			   YYMAXDEPTH / 2);
		return;
	}
	polc_error(ctx->diags, *loc, "%s", msg);
}

/* A token's name for messages: 'pass' for keywords and punctuation,
 * a description (end of line, a name) for the others. */
static void token_name(yysymbol_kind_t sym, char *buf, size_t size)
{
	const char *name = yysymbol_name(sym);
	size_t len = strlen(name);

	switch (sym) {
	case YYSYMBOL_YYEOF:
		snprintf(buf, size, "end of file");
		return;
	case YYSYMBOL_NL:
	case YYSYMBOL_NUMBER:
	case YYSYMBOL_IDENT:
	case YYSYMBOL_REF:
	case YYSYMBOL_SETREF:
	case YYSYMBOL_STRING:
	case YYSYMBOL_IPV4:
	case YYSYMBOL_IPV6:
		break;
	default:
		if (len && name[0] != '\'' && name[0] != '"') {
			snprintf(buf, size, "'%s'", name);
			return;
		}
	}
	if (len >= 2 && name[0] == '"' && name[len - 1] == '"')
		snprintf(buf, size, "%.*s", (int)len - 2, name + 1);
	else
		snprintf(buf, size, "%s", name);
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner,
				 struct parse_ctx *ctx)
{
	/* what may come is listed when it is a few words: a statement's
	 * keywords, a rule's parts; not where any value could */
	enum { MAX_LISTED = 8, MAX_LISTED_WORDS = 12 };
	yysymbol_kind_t expected[YYNTOKENS];
	yysymbol_kind_t got = yypcontext_token(yyctx);
	int n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
	char what[96];
	char msg[512];
	int len = 0;
	(void)scanner;

	ctx->recovering = true;
	token_name(got, what, sizeof(what));
	if (got == YYSYMBOL_YYEOF && ctx->test && !ctx->test->syntax_errors && !ctx->list_depth) {
		struct polc_diag *d = polc_error(ctx->diags, *yypcontext_location(yyctx),
						 "unexpected end of file, expected '}' to close test \"%s\"",
						 ctx->test->name);
		polc_diag_related(ctx->diags, d, ctx->test->name_loc, "the test starts here");
		return 0;
	}
	if (got == YYSYMBOL_YYEOF && ctx->test)
		return 0;
	if (got == YYSYMBOL_YYEOF && ctx->policy && ctx->policy->syntax_errors)
		return 0; /* a '}' was likely lost skipping a broken statement */
	if (got == YYSYMBOL_YYEOF && ctx->policy && !ctx->list_depth) {
		/* the usual cause; the tokens that could also come are many */
		struct polc_diag *d = polc_error(ctx->diags, *yypcontext_location(yyctx),
						 "unexpected end of file, expected '}' to close policy '%s'",
						 ctx->policy->name);
		polc_diag_related(ctx->diags, d, ctx->policy->name_loc,
				  "the policy starts here");
		return 0;
	}
	if (got == YYSYMBOL_IDENT || got == YYSYMBOL_NUMBER ||
	    got == YYSYMBOL_IPV4 || got == YYSYMBOL_IPV6 || got == YYSYMBOL_REF ||
	    got == YYSYMBOL_SETREF)
		len += snprintf(msg + len, sizeof(msg) - (size_t)len,
				"unexpected %s '%s'", what, ctx->last_text);
	else
		len += snprintf(msg + len, sizeof(msg) - (size_t)len,
				"unexpected %s", what);

	/* the keywords among the expected tokens, for a "did you mean" */
	const char *keywords[YYNTOKENS];
	char kwbuf[YYNTOKENS][24];
	size_t n_kw = 0;

	bool value_here = false;
	for (int i = 0; i < n; i++)
		value_here |= expected[i] == YYSYMBOL_IPV4;
	bool listed = n <= MAX_LISTED || (n <= MAX_LISTED_WORDS && !value_here);
	for (int i = 0; i < n; i++) {
		char name[64];
		token_name(expected[i], name, sizeof(name));
		size_t nl = strlen(name);
		bool word = nl > 2 && name[0] == '\'' && nl - 2 < sizeof(kwbuf[0]) &&
			    name[1] >= 'a' && name[1] <= 'z';
		if (word) {
			memcpy(kwbuf[n_kw], name + 1, nl - 2);
			kwbuf[n_kw][nl - 2] = '\0';
			keywords[n_kw] = kwbuf[n_kw];
			n_kw++;
		}
		if (listed && len < (int)sizeof(msg))
			len += snprintf(msg + len, sizeof(msg) - (size_t)len,
					"%s%s",
					i == 0	   ? ", expected " :
					i == n - 1 ? " or " :
						     ", ",
					name);
	}

	struct polc_diag *d = polc_error(ctx->diags, *yypcontext_location(yyctx),
					 "%s", msg);
	if (got == YYSYMBOL_IDENT && n_kw) {
		const char *s = polc_suggest(ctx->last_text, keywords, n_kw);
		if (s)
			polc_diag_hint(ctx->diags, d, "did you mean '%s'?", s);
	}
	return 0;
}
