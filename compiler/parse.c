// SPDX-License-Identifier: BSD-2-Clause
/*
 * parse.c: the parsing pass: run the flex/bison front end over the unit's
 * source and build its AST, reporting what the grammar alone cannot.
 */
#include "parse.h"

#include <string.h>

#include "parser.h"
#include "lexer.h"


/*
 * The parser's lexer: stops the parse once the error cap is reached, and
 * keeps track of list braces.  After a syntax error the parser skips tokens
 * up to the end of the statement or the policy's '}'; a list's '}' on the
 * way must not be taken for the policy's, so while recovering the tokens of
 * an open list, its '}' included, are skipped here.
 */
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner)
{
	struct parse_ctx *c = yyget_extra(scanner);

	for (;;) {
		if (polc_diags_full(c->diags))
			return YYEOF;
		int tok = polc_lex_raw(lval, lloc, scanner);
		bool list_close = false;

		/* a block's '{': "policy NAME {", "test "NAME" {",
		 * "test "NAME" in POLICY {" */
		bool block = (c->prev_tok[0] == IDENT &&
			      (c->prev_tok[1] == POLICY || c->prev_tok[1] == IN)) ||
			     (c->prev_tok[0] == STRING && c->prev_tok[1] == TEST);
		if (tok == '{' && !block) {
			c->list_depth++;
		} else if (tok == '}' && c->list_depth) {
			c->list_depth--;
			list_close = true;
		}
		c->prev_tok[1] = c->prev_tok[0];
		c->prev_tok[0] = tok;
		if (tok != YYEOF && c->recovering &&
		    (c->list_depth || list_close))
			continue;
		return tok;
	}
}

void parse_comment(struct parse_ctx *c, struct polc_loc loc, const char *text,
		   size_t len)
{
	const struct polc_source *src = c->unit->src;
	struct ast_comment k = { .loc = loc, .own_line = true };

	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
		       text[len - 1] == '\r'))
		len--;
	k.text = arena_strndup(c->arena, text, len);
	k.len = len;
	/* only blanks between the start of the line and the '#'? */
	if (loc.line >= 1 && loc.line <= src->n_lines) {
		const char *line = src->text + src->line_start[loc.line - 1];
		for (uint32_t i = 0; i + 1 < loc.col; i++)
			if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
				k.own_line = false;
	}
	vec_push(c->arena, &c->unit->ast.comments, k);
}

void parse_resynced(struct parse_ctx *c)
{
	c->recovering = false;
}

/* Did the lexer report an error at or after loc? */
static bool lex_error_since(const struct parse_ctx *c, struct polc_loc loc)
{
	const struct polc_loc *e = &c->lex_error_at;

	return e->line && (e->line > loc.line ||
			   (e->line == loc.line && e->col >= loc.col));
}

struct ast_value *ast_value_new(struct parse_ctx *c, enum ast_value_kind k,
				struct polc_loc loc)
{
	struct ast_value *v = arena_alloc(c->arena, sizeof(*v));

	v->kind = k;
	v->loc = loc;
	v->prefix_len = -1;
	return v;
}

struct ast_value *ast_list_new(struct parse_ctx *c, struct polc_loc loc)
{
	return ast_value_new(c, AV_LIST, loc);
}

void ast_list_add(struct parse_ctx *c, struct ast_value *list,
		  struct ast_value *item)
{
	vec_push(c->arena, &list->items, item);
}

void parse_const(struct parse_ctx *c, const char *name, struct polc_loc loc,
		 struct ast_value *value)
{
	struct ast_const *k = arena_alloc(c->arena, sizeof(*k));

	k->name = name;
	k->loc = loc;
	k->value = value;
	/* no value: a syntax error; its value is junk after a lexical
	 * error.  Either is reported already. */
	k->bad = !value || lex_error_since(c, loc);
	vec_push(c->arena, &c->unit->ast.consts, k);
}

/* The set being parsed; its parts arrive before its name is reduced. */
static struct ast_set *cur_set(struct parse_ctx *c)
{
	if (!c->set)
		c->set = arena_alloc(c->arena, sizeof(*c->set));
	return c->set;
}

void parse_set_type(struct parse_ctx *c, const char *type, struct polc_loc loc,
		    const char *type2, struct polc_loc loc2)
{
	struct ast_set *s = cur_set(c);

	s->type = type;
	s->type_loc = loc;
	s->type2 = type2;
	s->type2_loc = loc2;
}

void parse_set_size(struct parse_ctx *c, uint64_t size, struct polc_loc loc)
{
	struct ast_set *s = cur_set(c);

	s->size = size;
	s->size_loc = loc;
}

void parse_set_elements(struct parse_ctx *c, struct ast_value *list)
{
	cur_set(c)->elements = list;
}

void parse_set_file(struct parse_ctx *c, const char *path, struct polc_loc loc)
{
	struct ast_set *s = cur_set(c);

	s->file = path;
	s->file_loc = loc;
}

void parse_set_end(struct parse_ctx *c, const char *name, struct polc_loc loc)
{
	struct ast_set *s = cur_set(c);

	s->name = name;
	s->loc = loc;
	/* junk left by a lexical error is reported already */
	s->bad = lex_error_since(c, loc);
	vec_push(c->arena, &c->unit->ast.sets, s);
	c->set = NULL;
}

/* A set whose declaration did not parse is still defined, so its uses are
 * not reported as unknown. */
void parse_set_bad(struct parse_ctx *c, const char *name, struct polc_loc loc)
{
	struct ast_set *s = cur_set(c);

	s->name = name;
	s->loc = loc;
	s->bad = true;
	vec_push(c->arena, &c->unit->ast.sets, s);
	c->set = NULL;
}

void parse_policy_begin(struct parse_ctx *c, const char *name,
			struct polc_loc name_loc, struct polc_loc kw_loc)
{
	struct ast_policy *p = arena_alloc(c->arena, sizeof(*p));

	p->name = name;
	p->name_loc = name_loc;
	p->loc = kw_loc;
	c->policy = p;
	vec_push(c->arena, &c->unit->ast.policies, p);
}

void parse_policy_end(struct parse_ctx *c, struct polc_loc loc)
{
	if (c->policy)
		c->policy->loc = loc;
	c->policy = NULL;
}

static void twice(struct parse_ctx *c, const char *what, struct polc_loc loc,
		  struct polc_loc first)
{
	struct polc_diag *d = polc_error(c->diags, loc, "%s given twice", what);

	polc_diag_related(c->diags, d, first, "first given here");
}

void parse_attach(struct parse_ctx *c, enum ast_hook hook,
		  struct polc_loc loc)
{
	struct ast_policy *p = c->policy;

	if (p->hook != AST_HOOK_NONE) {
		twice(c, "'attach'", loc, p->hook_loc);
		return;
	}
	p->hook = hook;
	p->hook_loc = loc;
}

void parse_default(struct parse_ctx *c, enum ast_verdict v,
		   struct polc_loc loc)
{
	struct ast_policy *p = c->policy;

	if (p->has_default) {
		twice(c, "'default'", loc, p->default_loc);
		return;
	}
	p->has_default = true;
	p->default_verdict = v;
	p->default_loc = loc;
}

void parse_track(struct parse_ctx *c, uint64_t size, struct polc_loc size_loc,
		 struct polc_loc loc)
{
	struct ast_policy *p = c->policy;

	if (p->track) {
		twice(c, "'track'", loc, p->track_loc);
		return;
	}
	p->track = true;
	p->track_loc = loc;
	p->track_size = size;
	p->track_size_loc = size_loc;
}

/* A statement of the current policy or test did not parse and was skipped. */
void parse_recovered(struct parse_ctx *c)
{
	c->rule = NULL;
	if (c->policy)
		c->policy->syntax_errors = true;
	if (c->test)
		c->test->syntax_errors = true;
}

/* ---- tests ---------------------------------------------------------------- */

void parse_test_begin(struct parse_ctx *c, const char *name, struct polc_loc name_loc,
		      struct polc_loc kw_loc)
{
	struct ast_test *t = arena_alloc(c->arena, sizeof(*t));

	t->name = name;
	t->name_loc = name_loc;
	t->loc = kw_loc;
	t->policy = c->test_policy;
	t->policy_loc = c->test_policy_loc;
	c->test_policy = NULL;
	c->test = t;
	vec_push(c->arena, &c->unit->ast.tests, t);
}

void parse_test_policy(struct parse_ctx *c, const char *name, struct polc_loc loc)
{
	/* "in NAME" comes before the '{' that begins the test */
	c->test_policy = name;
	c->test_policy_loc = loc;
}

void parse_test_end(struct parse_ctx *c, struct polc_loc loc)
{
	if (c->test)
		c->test->loc = loc;
	c->test = NULL;
}

void parse_expect(struct parse_ctx *c, enum ast_verdict v, const char *packet,
		  struct polc_loc packet_loc, const struct parse_by *by, const char *as,
		  struct polc_loc as_loc, struct polc_loc loc)
{
	struct ast_expect *e = arena_alloc(c->arena, sizeof(*e));

	if (!c->test)
		return;
	e->loc = loc;
	e->verdict = v;
	e->packet = packet;
	e->packet_loc = packet_loc;
	e->as_packet = as;
	e->as_loc = as_loc;
	if (by->word) {
		e->by_loc = by->word_loc;
		if (strcmp(by->word, "default") == 0 && !by->name && !by->num) {
			e->by = AST_BY_DEFAULT;
		} else if (strcmp(by->word, "established") == 0 && !by->name && !by->num) {
			e->by = AST_BY_FLOW;
		} else if (strcmp(by->word, "rule") == 0 && by->name) {
			e->by = AST_BY_RULE;
			e->by_name = by->name;
			e->by_loc = by->arg_loc;
		} else if (strcmp(by->word, "line") == 0 && by->num) {
			e->by = AST_BY_LINE;
			e->by_line = by->num;
			e->by_loc = by->arg_loc;
		} else if (!by->name && !by->num && strcmp(by->word, "rule") != 0 &&
			   strcmp(by->word, "line") != 0) {
			e->by = AST_BY_REASON;
			e->by_name = by->word;
		} else {
			struct polc_diag *d = polc_error(c->diags, by->word_loc,
							 "expected 'by rule LABEL', 'by line N', "
							 "'by default', 'by established' or 'by REASON'");
			polc_diag_hint(c->diags, d, "for example: by rule ssh, by line 12");
			c->test->syntax_errors = true;
			return;
		}
	}
	vec_push(c->arena, &c->test->expects, e);
}

void parse_rule_begin(struct parse_ctx *c, enum ast_verdict v,
		      struct polc_loc loc)
{
	struct ast_rule *r = arena_alloc(c->arena, sizeof(*r));

	r->verdict = v;
	r->verdict_loc = loc;
	r->loc = loc;
	c->rule = r;
}

void parse_rule_proto(struct parse_ctx *c, struct ast_value *proto)
{
	c->rule->proto = proto;
}

void parse_rule_endpoint(struct parse_ctx *c, bool from, struct polc_loc kw,
			 struct ast_value *addr, struct ast_value *port,
			 struct polc_loc port_loc)
{
	struct ast_endpoint *e = from ? &c->rule->from : &c->rule->to;

	if (e->present) {
		twice(c, from ? "'from'" : "'to'", kw, e->loc);
		return;
	}
	e->present = true;
	e->loc = kw;
	e->addr = addr;
	e->port = port;
	e->port_loc = port_loc;
}

void parse_rule_icmp(struct parse_ctx *c, bool code, struct polc_loc kw,
		     struct ast_value *v)
{
	struct ast_rule *r = c->rule;
	struct ast_value **slot = code ? &r->icmp_code : &r->icmp_type;
	struct polc_loc *loc = code ? &r->icmp_code_loc : &r->icmp_type_loc;

	if (*slot) {
		twice(c, code ? "'code'" : "'type'", kw, *loc);
		return;
	}
	*slot = v;
	*loc = kw;
}

void parse_rule_label(struct parse_ctx *c, const char *label,
		      struct polc_loc loc)
{
	struct ast_rule *r = c->rule;

	if (r->label) {
		twice(c, "'label'", loc, r->label_loc);
		return;
	}
	r->label = label;
	r->label_loc = loc;
}

/* dnat / snat: a pass rule that translates (checknat.c checks the rest) */
void parse_rule_begin_nat(struct parse_ctx *c, enum ast_nat nat, struct polc_loc loc)
{
	parse_rule_begin(c, AST_PASS, loc);
	c->rule->nat = nat;
}

void parse_rule_target(struct parse_ctx *c, struct polc_loc arrow, struct ast_value *target,
		       bool interface, struct polc_loc target_loc, struct ast_value *port,
		       struct polc_loc port_loc)
{
	struct ast_rule *r = c->rule;

	if (r->arrow_loc.line) {
		twice(c, "'->'", arrow, r->arrow_loc);
		return;
	}
	r->arrow_loc = arrow;
	r->target = target;
	r->target_interface = interface;
	r->target_loc = target_loc;
	r->target_port = port;
	r->target_port_loc = port_loc;
}

void parse_rule_balance(struct parse_ctx *c, const char *name, struct polc_loc loc)
{
	struct ast_rule *r = c->rule;

	if (r->balance) {
		twice(c, "'balance'", loc, r->balance_loc);
		return;
	}
	r->balance = name;
	r->balance_loc = loc;
}

void parse_rule_ct(struct parse_ctx *c, struct polc_loc kw, struct ast_value *states)
{
	struct ast_rule *r = c->rule;

	if (r->ct) {
		twice(c, "'ct'", kw, r->ct_loc);
		return;
	}
	r->ct = states;
	r->ct_loc = kw;
}

void parse_rule_end(struct parse_ctx *c, struct polc_loc loc)
{
	struct ast_rule *r = c->rule;

	if (!r || !c->policy)
		return;
	if (lex_error_since(c, r->verdict_loc)) {
		/* the error is reported; checking the junk values it left
		 * (a number clamped, an address zeroed) would only add more */
		c->rule = NULL;
		c->policy->syntax_errors = true;
		return;
	}
	r->loc = polc_loc_span(r->verdict_loc, loc);
	vec_push(c->arena, &c->policy->rules, r);
	c->rule = NULL;
}

int polc_parse(struct polc_unit *u)
{
	struct parse_ctx ctx = {
		.unit = u,
		.arena = u->arena,
		.diags = &u->diags,
		.line = 1,
		.col = 1,
	};
	yyscan_t scanner;

	if (u->parsed)
		return u->parse_rc;
	u->parsed = true;
	u->parse_rc = POLC_EINTERNAL;
	if (yylex_init_extra(&ctx, &scanner))
		return POLC_EINTERNAL;
	YY_BUFFER_STATE buf = yy_scan_bytes(u->src->text, (int)u->src->len,
					    scanner);
	int rc = yyparse(scanner, &ctx);
	yy_delete_buffer(buf, scanner);
	yylex_destroy(scanner);

	if (rc == 2 && !ctx.nested_too_deep)
		return POLC_EINTERNAL;
	u->parse_rc = u->diags.n_errors ? POLC_EPOLICY : 0;
	return u->parse_rc;
}
