// SPDX-License-Identifier: BSD-2-Clause
/*
 * fmt.c: polc fmt: a file that parses, printed in canonical form.
 *
 * The form:
 *  - constants, sets and policies in source order, one statement a line
 *    (';' separators become newlines), 4 spaces of indentation a level;
 *  - inside a policy, its statements in source order; a rule's parts in
 *    the order verdict, protocol, from, to, type, code, label;
 *  - single spaces between words, lists as "{ a, b }"; a list that does not
 *    fit in FMT_WIDTH columns, or that holds a comment, is written one
 *    element a line with a trailing comma (the widest list of the line
 *    first, until the line fits);
 *  - values spelt one way: addresses as inet_ntop writes them (lower case,
 *    the longest run of zeros as "::") with the prefix length as written, so
 *    host bits stay (and keep their warning); numbers in decimal; ranges
 *    "lo-hi"; a label bare when it is a name, quoted otherwise;
 *  - consecutive single-line constants align their '=', sets their ':';
 *    a policy's single-line labelled rules put 'label' in one column, one
 *    space after the longest of them that is at most FMT_LABEL_MAX columns
 *    (a longer one keeps a single space); comments at the end of
 *    consecutive lines are aligned, two spaces after the longest line;
 *  - comments stay with what they precede (own-line comments) or end
 *    (end-of-line comments); a blank line in the source between two things
 *    stays one blank line; a policy is set off by a blank line before and
 *    after it.
 *
 * Comments are the lexer's (ast.comments, in source order).  Printing walks
 * the AST in output order with a cursor into them: before an element its
 * own-line comments, after it the end-of-line comment on its last line.
 * Only lists can hold comments inside a statement (a comment ends the line,
 * and only lists continue past a newline), so a list with comments in it is
 * always written one element a line and its comments stay put.  When a rule
 * with comments in two lists would have those lists swapped by the
 * canonical part order, its inner comments go before the rule instead, so
 * that comments never change order.
 *
 * Before it is returned, the output is parsed again and must give the same
 * AST (every statement, part and value, locations aside) and the same
 * comments; if not, formatting fails with an internal error rather than
 * hand back a file that means something else.  A construct added to the
 * grammar must be printed here and compared in ast_same().
 *
 * Everything is allocated in the unit's arena.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#define FMT_INDENT 4
#define FMT_WIDTH 100
#define FMT_COMMENT_GAP 2
#define FMT_LABEL_MAX 64

/* Lines of a run that align a column: what precedes the column. */
enum fmt_align {
	AL_NONE,
	AL_CONST, /* the '=' of "const NAME = VALUE" */
	AL_SET,   /* the ':' of "set NAME : TYPE ..." */
	AL_LABEL, /* the 'label' of a rule */
};

struct fmt_line {
	unsigned indent;
	const char *code;    /* NULL: a blank line */
	size_t head;         /* align: code[0..head) precedes the column */
	enum fmt_align align;
	const struct ast_comment *comment; /* at the end of the line */
};

struct fmt {
	struct arena *arena;
	const struct polc_source *src;
	/* a rule's source line -> its line in the output (0: not seen), and
	 * the map of the previous pass that "by line N" is rewritten with */
	uint32_t *rule_line, *by_line_map;
	size_t n_src_lines;
	const struct ast_comment *comments;
	size_t n_comments;
	size_t next; /* the first comment not printed yet */
	/* comments before this are not taken: a list printed before one
	 * written earlier must leave that one's comments alone */
	uint64_t floor;
	VEC(struct fmt_line) lines;
	struct strbuf cur; /* the line being built */
	unsigned cur_indent;
};

/* ---- positions ------------------------------------------------------------ */

static uint64_t pos(uint32_t line, uint32_t col)
{
	return (uint64_t)line << 32 | col;
}

static uint64_t loc_start(struct polc_loc l)
{
	return pos(l.line, l.col);
}

static uint64_t loc_end(struct polc_loc l)
{
	return pos(l.end_line, l.end_col);
}

static uint64_t comment_pos(const struct ast_comment *c)
{
	return loc_start(c->loc);
}

/* The next comment not printed yet, if it starts before limit (and not
 * before the floor). */
static const struct ast_comment *comment_before(const struct fmt *f, uint64_t limit)
{
	if (f->next < f->n_comments && comment_pos(&f->comments[f->next]) < limit &&
	    comment_pos(&f->comments[f->next]) >= f->floor)
		return &f->comments[f->next];
	return NULL;
}

/* Is there a comment not printed yet in [from, to)?  The ones before
 * `from` may be pending (a list printed before an earlier one). */
static bool comments_in(const struct fmt *f, uint64_t from, uint64_t to)
{
	size_t lo = f->next, hi = f->n_comments;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (comment_pos(&f->comments[mid]) < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n_comments && comment_pos(&f->comments[lo]) < to;
}

static bool value_has_comments(const struct fmt *f, const struct ast_value *v)
{
	return v && v->kind == AV_LIST && comments_in(f, loc_start(v->loc), loc_end(v->loc));
}

/* Is a line strictly between lines a and b blank in the source? */
static bool blank_between(const struct fmt *f, uint32_t a, uint32_t b)
{
	const struct polc_source *src = f->src;

	for (uint32_t l = a + 1; l < b && l <= src->n_lines; l++) {
		size_t len;
		const char *s = polc_source_line(src, l, &len);
		bool blank = true;
		for (size_t i = 0; i < len && blank; i++)
			blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\r';
		if (blank)
			return true;
	}
	return false;
}

/* ---- lines ---------------------------------------------------------------- */

static void add_line(struct fmt *f, unsigned indent, const char *code, size_t head,
		     enum fmt_align align)
{
	struct fmt_line l = { .indent = indent, .code = code, .head = head, .align = align };

	vec_push(f->arena, &f->lines, l);
}

static void add_blank(struct fmt *f)
{
	/* never two in a row, never first */
	if (f->lines.n && f->lines.v[f->lines.n - 1].code)
		add_line(f, 0, NULL, 0, AL_NONE);
}

static void add_comment_line(struct fmt *f, unsigned indent, const struct ast_comment *c)
{
	add_line(f, indent, "", 0, AL_NONE);
	f->lines.v[f->lines.n - 1].comment = c;
	f->next++;
}

/* The end-of-line comment c goes on the last line printed. */
static void attach_comment(struct fmt *f, const struct ast_comment *c)
{
	f->lines.v[f->lines.n - 1].comment = c;
	f->next++;
}

static void cur_begin(struct fmt *f, unsigned indent)
{
	strbuf_reset(&f->cur);
	f->cur_indent = indent;
}

static void cur_end(struct fmt *f, size_t head, enum fmt_align align)
{
	add_line(f, f->cur_indent, arena_strdup(f->arena, strbuf_str(&f->cur)), head, align);
	strbuf_reset(&f->cur);
}

/*
 * Own-line comments before limit, at indent.  *prev_line is the last source
 * line of what was printed before in the same block (0: nothing yet);
 * blank lines between are kept (one).
 */
static void leading_comments(struct fmt *f, uint64_t limit, unsigned indent, uint32_t *prev_line)
{
	const struct ast_comment *c;

	while ((c = comment_before(f, limit))) {
		if (*prev_line && blank_between(f, *prev_line, c->loc.line))
			add_blank(f);
		add_comment_line(f, indent, c);
		*prev_line = c->loc.line;
	}
}

/* The end-of-line comment of what ended at `end` on `line`, if there is
 * one before limit (where the next thing starts). */
static void trailing_comment(struct fmt *f, uint32_t line, uint64_t end, uint64_t limit,
			     uint32_t *prev_line)
{
	const struct ast_comment *c = comment_before(f, limit);

	if (c && !c->own_line && c->loc.line == line && comment_pos(c) >= end) {
		attach_comment(f, c);
		*prev_line = line;
	}
}

/* ---- values --------------------------------------------------------------- */

static bool is_keyword(const char *s)
{
	static const char *const kw[] = {
		"policy", "const", "set", "file", "size", "attach", "default", "xdp", "tc",
		"ingress", "egress", "pass", "drop", "from", "to", "port", "type", "code",
		"label", "any", "test", "expect", "by", "in", "track", "as", "dnat", "snat",
		"balance", "interface", "ct",
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcmp(s, kw[i]) == 0)
			return true;
	return false;
}

/* Would s lex as one name (IDENT)? */
static bool is_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return !is_keyword(s);
}

static void put_string(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '"');
}

static const char *label_text(struct fmt *f, const char *label)
{
	struct strbuf sb = STRBUF_INIT;

	if (is_name(label))
		return label;
	put_string(&sb, label);
	const char *s = arena_strdup(f->arena, strbuf_str(&sb));
	strbuf_release(&sb);
	return s;
}

/* A scalar as written in canonical form. */
static void put_scalar(struct strbuf *sb, const struct ast_value *v)
{
	char buf[INET6_ADDRSTRLEN];

	switch (v->kind) {
	case AV_IPV4:
		strbuf_printf(sb, "%u.%u.%u.%u", v->addr[0], v->addr[1], v->addr[2], v->addr[3]);
		if (v->prefix_len >= 0)
			strbuf_printf(sb, "/%d", v->prefix_len);
		if (v->has_port)
			strbuf_printf(sb, ":%llu", (unsigned long long)v->port);
		break;
	case AV_IPV6:
		if (!inet_ntop(AF_INET6, v->addr, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "::");
		if (v->has_port) {
			/* a backend: [address]:port */
			strbuf_printf(sb, "[%s]:%llu", buf, (unsigned long long)v->port);
			break;
		}
		strbuf_puts(sb, buf);
		if (v->prefix_len >= 0)
			strbuf_printf(sb, "/%d", v->prefix_len);
		break;
	case AV_NUMBER:
		strbuf_printf(sb, "%llu", (unsigned long long)v->num);
		break;
	case AV_RANGE:
		strbuf_printf(sb, "%llu-%llu", (unsigned long long)v->num,
			      (unsigned long long)v->num_hi);
		break;
	case AV_IDENT:
		strbuf_puts(sb, v->name);
		break;
	case AV_REF:
		strbuf_printf(sb, "$%s", v->name);
		break;
	case AV_SETREF:
		strbuf_printf(sb, "@%s", v->name);
		break;
	case AV_ANY:
		strbuf_puts(sb, "any");
		break;
	case AV_LIST:
		break;
	}
}

/* A value on one line. */
static void put_flat(struct strbuf *sb, const struct ast_value *v)
{
	if (v->kind != AV_LIST) {
		put_scalar(sb, v);
		return;
	}
	if (!v->items.n) {
		strbuf_puts(sb, "{ }");
		return;
	}
	strbuf_puts(sb, "{ ");
	for (size_t i = 0; i < v->items.n; i++) {
		if (i)
			strbuf_puts(sb, ", ");
		put_flat(sb, v->items.v[i]);
	}
	strbuf_puts(sb, " }");
}

static size_t flat_width(const struct ast_value *v)
{
	if (v->kind != AV_LIST) {
		struct strbuf sb = STRBUF_INIT;
		put_scalar(&sb, v);
		size_t n = sb.len;
		strbuf_release(&sb);
		return n;
	}
	if (!v->items.n)
		return 3;
	size_t n = 4 + 2 * (v->items.n - 1);
	for (size_t i = 0; i < v->items.n; i++)
		n += flat_width(v->items.v[i]);
	return n;
}

/* ---- statements ----------------------------------------------------------- */

/* A statement is words and values separated by single spaces; a list value
 * may be broken over lines (one element a line). */
struct piece {
	const char *text;          /* a word, or NULL */
	const struct ast_value *v; /* or a value */
	bool broken;
	size_t width; /* flat */
};

struct stmt {
	struct piece p[20];
	size_t n;
	size_t head; /* pieces [0, head) precede the aligned column (0: none) */
	enum fmt_align align;
	struct polc_loc loc; /* the whole statement in the source */
};

static void word(struct stmt *s, const char *text)
{
	s->p[s->n++] = (struct piece){ .text = text, .width = strlen(text) };
}

static void value(struct stmt *s, const struct ast_value *v)
{
	s->p[s->n++] = (struct piece){ .v = v, .width = flat_width(v) };
}

static void print_value(struct fmt *f, const struct ast_value *v, bool broken);

/*
 * Choose which lists to break: those holding comments, then, while a line
 * is wider than FMT_WIDTH, the widest list still flat on that line.
 */
static void layout(struct fmt *f, struct stmt *s, unsigned indent)
{
	for (size_t i = 0; i < s->n; i++)
		s->p[i].broken = value_has_comments(f, s->p[i].v);
	for (;;) {
		size_t w = indent, widest = SIZE_MAX;
		bool changed = false;
		for (size_t i = 0; i <= s->n && !changed; i++) {
			bool line_ends = i == s->n || s->p[i].broken;
			if (i < s->n)
				w += (w > indent) + (s->p[i].broken ? 1 : s->p[i].width);
			if (i < s->n && !s->p[i].broken && s->p[i].v &&
			    s->p[i].v->kind == AV_LIST &&
			    (widest == SIZE_MAX || s->p[i].width > s->p[widest].width))
				widest = i;
			if (!line_ends)
				continue;
			if (w > FMT_WIDTH && widest != SIZE_MAX) {
				s->p[widest].broken = true;
				changed = true;
			}
			/* the next line starts with the '}' */
			w = indent + 1;
			widest = SIZE_MAX;
		}
		if (!changed)
			return;
	}
}

/*
 * The elements of list v, one a line at indent, with their comments.  The
 * current line ends with the '{'; after this it holds the '}'.
 */
static void print_elements(struct fmt *f, const struct ast_value *v, unsigned indent)
{
	uint64_t close = loc_end(v->loc) - 1; /* the '}' */
	uint64_t first = v->items.n ? loc_start(v->items.v[0]->loc) : close;
	uint32_t prev_line = 0;
	const struct ast_comment *c;
	uint64_t floor = f->floor;

	f->floor = loc_start(v->loc);
	cur_end(f, 0, AL_NONE);
	/* a comment after the '{' on its line */
	c = comment_before(f, first);
	if (c && !c->own_line && c->loc.line == v->loc.line)
		attach_comment(f, c);
	for (size_t i = 0; i < v->items.n; i++) {
		const struct ast_value *e = v->items.v[i];
		uint64_t next = i + 1 < v->items.n ? loc_start(v->items.v[i + 1]->loc) : close;

		leading_comments(f, loc_start(e->loc), indent, &prev_line);
		if (prev_line && blank_between(f, prev_line, e->loc.line))
			add_blank(f);
		cur_begin(f, indent);
		bool broken = value_has_comments(f, e) ||
			      (e->kind == AV_LIST && indent + flat_width(e) + 1 > FMT_WIDTH);
		print_value(f, e, broken);
		strbuf_putc(&f->cur, ',');
		cur_end(f, 0, AL_NONE);
		prev_line = e->loc.end_line;
		trailing_comment(f, e->loc.end_line, loc_end(e->loc), next, &prev_line);
	}
	leading_comments(f, close, indent, &prev_line);
	f->floor = floor;
	cur_begin(f, indent - FMT_INDENT);
	strbuf_putc(&f->cur, '}');
}

static void print_value(struct fmt *f, const struct ast_value *v, bool broken)
{
	if (!broken || v->kind != AV_LIST) {
		put_flat(&f->cur, v);
		return;
	}
	strbuf_putc(&f->cur, '{');
	print_elements(f, v, f->cur_indent + FMT_INDENT);
}

/*
 * Print a statement at indent, then its end-of-line comment if one follows
 * before limit.  *prev_line: as for leading_comments().
 */
static void print_stmt(struct fmt *f, struct stmt *s, unsigned indent, uint64_t limit,
		       uint32_t *prev_line)
{
	size_t head_len = 0;
	bool single = true;

	layout(f, s, indent);
	cur_begin(f, indent);
	for (size_t i = 0; i < s->n; i++) {
		const struct piece *p = &s->p[i];
		if (f->cur.len)
			strbuf_putc(&f->cur, ' ');
		if (i == s->head && s->head)
			head_len = f->cur.len - 1;
		if (p->text) {
			strbuf_puts(&f->cur, p->text);
		} else {
			single &= !p->broken;
			print_value(f, p->v, p->broken);
		}
	}
	if (single && s->head)
		cur_end(f, head_len, s->align);
	else
		cur_end(f, 0, AL_NONE);
	*prev_line = s->loc.end_line;
	trailing_comment(f, s->loc.end_line, loc_end(s->loc), limit, prev_line);
}

/* A rule whose lists with comments would come out in another order than
 * they were written: its inner comments go before it (see the top). */
static void hoist_if_reordered(struct fmt *f, const struct stmt *s, unsigned indent)
{
	uint64_t last = 0;
	bool reordered = false;

	for (size_t i = 0; i < s->n; i++) {
		if (!value_has_comments(f, s->p[i].v))
			continue;
		uint64_t start = loc_start(s->p[i].v->loc);
		reordered |= start < last;
		last = start;
	}
	if (!reordered)
		return;
	const struct ast_comment *c;
	while ((c = comment_before(f, loc_end(s->loc))))
		add_comment_line(f, indent, c);
}

static void endpoint(struct fmt *f, struct stmt *s, const char *kw, const struct ast_endpoint *e)
{
	if (!e->present)
		return;
	word(s, kw);
	if (e->addr)
		value(s, e->addr);
	if (e->port) {
		word(s, "port");
		value(s, e->port);
	}
}

static void rule_stmt(struct fmt *f, struct stmt *s, const struct ast_rule *r)
{
	word(s, r->nat == AST_NAT_DNAT ? "dnat" :
		r->nat == AST_NAT_SNAT ? "snat" :
		r->verdict == AST_PASS ? "pass" : "drop");
	if (r->proto)
		value(s, r->proto);
	endpoint(f, s, "from", &r->from);
	endpoint(f, s, "to", &r->to);
	if (r->icmp_type) {
		word(s, "type");
		value(s, r->icmp_type);
	}
	if (r->icmp_code) {
		word(s, "code");
		value(s, r->icmp_code);
	}
	if (r->ct) {
		word(s, "ct");
		value(s, r->ct);
	}
	if (r->arrow_loc.line) {
		word(s, "->");
		if (r->target_interface)
			word(s, "interface");
		else
			value(s, r->target);
		if (r->target_port) {
			word(s, "port");
			value(s, r->target_port);
		}
	}
	if (r->balance) {
		word(s, "balance");
		word(s, r->balance);
	}
	if (r->label) {
		s->head = s->n;
		s->align = AL_LABEL;
		word(s, "label");
		word(s, label_text(f, r->label));
	}
	s->loc = r->loc;
}

/* ---- policies and the file ------------------------------------------------ */

enum item_kind { IT_CONST, IT_SET, IT_POLICY, IT_ATTACH, IT_DEFAULT, IT_RULE, IT_TEST, IT_EXPECT, IT_TRACK };

struct item {
	enum item_kind kind;
	const void *node;
	struct polc_loc loc; /* the whole statement */
};

static int item_cmp(const void *a, const void *b)
{
	uint64_t x = loc_start(((const struct item *)a)->loc);
	uint64_t y = loc_start(((const struct item *)b)->loc);

	return x < y ? -1 : x > y;
}

static void print_item(struct fmt *f, const struct item *it, unsigned indent, uint64_t limit,
		       uint32_t *prev_line);

/*
 * Print items (sorted by position) at indent, with the comments before
 * each and the ones left before close.  Blank lines between them are kept;
 * at the top level a policy is set off by one.
 */
static void print_block(struct fmt *f, struct item *items, size_t n, unsigned indent,
			uint64_t close, uint32_t prev_line)
{
	const struct ast_comment *c;

	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		uint64_t next = i + 1 < n ? loc_start(items[i + 1].loc) : close;
		bool block = it->kind == IT_POLICY || it->kind == IT_TEST;
		bool set_off = indent == 0 && i > 0 &&
			       (block || items[i - 1].kind == IT_POLICY ||
				items[i - 1].kind == IT_TEST);
		size_t first_line = f->lines.n;

		leading_comments(f, loc_start(it->loc), indent, &prev_line);
		if (prev_line && blank_between(f, prev_line, it->loc.line))
			add_blank(f);
		if (set_off) {
			/* no blank line anywhere before it: one before its comments */
			bool blank = false;
			for (size_t k = first_line; k < f->lines.n; k++)
				blank |= !f->lines.v[k].code;
			if (!blank) {
				add_line(f, 0, NULL, 0, AL_NONE);
				struct fmt_line l = f->lines.v[f->lines.n - 1];
				memmove(&f->lines.v[first_line + 1], &f->lines.v[first_line],
					(f->lines.n - 1 - first_line) * sizeof(l));
				f->lines.v[first_line] = l;
			}
		}
		print_item(f, it, indent, next, &prev_line);
	}
	while ((c = comment_before(f, close))) {
		if (prev_line && blank_between(f, prev_line, c->loc.line))
			add_blank(f);
		add_comment_line(f, indent, c);
		prev_line = c->loc.line;
	}
}

static void print_policy(struct fmt *f, const struct ast_policy *p, uint64_t limit,
			 uint32_t *prev_line)
{
	size_t n = p->rules.n + 3, k = 0;
	struct item *items = arena_calloc(f->arena, n, sizeof(*items));
	uint64_t close = loc_end(p->loc) - 1; /* the '}' */

	if (p->hook != AST_HOOK_NONE)
		items[k++] = (struct item){ IT_ATTACH, p, p->hook_loc };
	if (p->has_default)
		items[k++] = (struct item){ IT_DEFAULT, p, p->default_loc };
	if (p->track)
		items[k++] = (struct item){ IT_TRACK, p, p->track_loc };
	for (size_t i = 0; i < p->rules.n; i++)
		items[k++] = (struct item){ IT_RULE, p->rules.v[i], p->rules.v[i]->loc };
	qsort(items, k, sizeof(*items), item_cmp);

	cur_begin(f, 0);
	strbuf_printf(&f->cur, "policy %s {", p->name);
	cur_end(f, 0, AL_NONE);
	/* a comment after the '{' on its line */
	const struct ast_comment *c =
		comment_before(f, k ? loc_start(items[0].loc) : close);
	if (c && !c->own_line && comment_pos(c) > loc_end(p->name_loc))
		attach_comment(f, c);
	/* no blank line after the '{' */
	print_block(f, items, k, FMT_INDENT, close, 0);
	add_line(f, 0, "}", 0, AL_NONE);
	*prev_line = p->loc.end_line;
	trailing_comment(f, p->loc.end_line, loc_end(p->loc), limit, prev_line);
}

/* test "NAME" [in POLICY] { expect ... } */
static void print_test(struct fmt *f, const struct ast_test *t, uint64_t limit,
		       uint32_t *prev_line)
{
	size_t k = 0;
	struct item *items = arena_calloc(f->arena, t->expects.n ? t->expects.n : 1, sizeof(*items));
	uint64_t close = loc_end(t->loc) - 1; /* the '}' */
	struct strbuf name = STRBUF_INIT;

	for (size_t i = 0; i < t->expects.n; i++)
		items[k++] = (struct item){ IT_EXPECT, t->expects.v[i], t->expects.v[i]->loc };
	qsort(items, k, sizeof(*items), item_cmp);

	put_string(&name, t->name);
	cur_begin(f, 0);
	strbuf_printf(&f->cur, "test %s", strbuf_str(&name));
	if (t->policy)
		strbuf_printf(&f->cur, " in %s", t->policy);
	strbuf_puts(&f->cur, " {");
	cur_end(f, 0, AL_NONE);
	strbuf_release(&name);
	const struct ast_comment *c = comment_before(f, k ? loc_start(items[0].loc) : close);
	if (c && !c->own_line && comment_pos(c) > loc_end(t->name_loc))
		attach_comment(f, c);
	print_block(f, items, k, FMT_INDENT, close, 0);
	add_line(f, 0, "}", 0, AL_NONE);
	*prev_line = t->loc.end_line;
	trailing_comment(f, t->loc.end_line, loc_end(t->loc), limit, prev_line);
}

static void expect_stmt(struct fmt *f, struct stmt *s, const struct ast_expect *e)
{
	struct strbuf sb = STRBUF_INIT;

	word(s, "expect");
	word(s, e->verdict == AST_PASS ? "pass" : "drop");
	put_string(&sb, e->packet);
	word(s, arena_strdup(f->arena, strbuf_str(&sb)));
	strbuf_release(&sb);
	switch (e->by) {
	case AST_BY_NONE:
		break;
	case AST_BY_RULE:
		word(s, "by rule");
		word(s, label_text(f, e->by_name));
		break;
	case AST_BY_LINE: {
		/* the line the rule has in the output */
		uint64_t line = e->by_line;
		if (f->by_line_map && line < f->n_src_lines && f->by_line_map[line])
			line = f->by_line_map[line];
		word(s, arena_printf(f->arena, "by line %llu", (unsigned long long)line));
		break;
	}
	case AST_BY_DEFAULT:
		word(s, "by default");
		break;
	case AST_BY_FLOW:
		word(s, "by established");
		break;
	case AST_BY_REASON:
		word(s, "by");
		word(s, e->by_name);
		break;
	}
	if (e->as_packet) {
		struct strbuf as = STRBUF_INIT;
		put_string(&as, e->as_packet);
		word(s, "as");
		word(s, arena_strdup(f->arena, strbuf_str(&as)));
		strbuf_release(&as);
	}
}

static void print_item(struct fmt *f, const struct item *it, unsigned indent, uint64_t limit,
		       uint32_t *prev_line)
{
	struct stmt s = { .loc = it->loc };
	const struct ast_policy *p = it->node;

	switch (it->kind) {
	case IT_POLICY:
		print_policy(f, it->node, limit, prev_line);
		return;
	case IT_TEST:
		print_test(f, it->node, limit, prev_line);
		return;
	case IT_EXPECT:
		expect_stmt(f, &s, it->node);
		break;
	case IT_ATTACH:
		word(&s, "attach");
		word(&s, p->hook == AST_HOOK_XDP	 ? "xdp" :
			 p->hook == AST_HOOK_TC_INGRESS ? "tc ingress" :
							  "tc egress");
		break;
	case IT_TRACK:
		word(&s, "track");
		if (p->track_size_loc.line && p->track_size)
			word(&s, arena_printf(f->arena, "size %llu", (unsigned long long)p->track_size));
		break;
	case IT_DEFAULT:
		word(&s, "default");
		word(&s, p->default_verdict == AST_PASS ? "pass" : "drop");
		break;
	case IT_RULE: {
		const struct ast_rule *r = it->node;
		rule_stmt(f, &s, r);
		hoist_if_reordered(f, &s, indent);
		if (r->loc.line < f->n_src_lines)
			f->rule_line[r->loc.line] = (uint32_t)f->lines.n + 1;
		break;
	}
	case IT_CONST: {
		const struct ast_const *k = it->node;
		word(&s, arena_printf(f->arena, "const %s", k->name));
		s.head = s.n;
		s.align = AL_CONST;
		word(&s, "=");
		value(&s, k->value);
		break;
	}
	case IT_SET: {
		const struct ast_set *st = it->node;
		word(&s, arena_printf(f->arena, "set %s", st->name));
		s.head = s.n;
		s.align = AL_SET;
		word(&s, ":");
		word(&s, st->type);
		if (st->type2)
			word(&s, st->type2);
		if (st->size_loc.line)
			word(&s, arena_printf(f->arena, "size %llu", (unsigned long long)st->size));
		if (st->elements) {
			value(&s, st->elements);
		} else {
			struct strbuf sb = STRBUF_INIT;
			put_string(&sb, st->file ? st->file : "");
			word(&s, "file");
			word(&s, arena_strdup(f->arena, strbuf_str(&sb)));
			strbuf_release(&sb);
		}
		break;
	}
	}
	print_stmt(f, &s, indent, limit, prev_line);
}

/* Where a top-level statement is in the source: from its name (the
 * keyword is on the same line, or continued onto it) to its last token. */
static struct polc_loc const_loc(const struct ast_const *k)
{
	return polc_loc_span(k->loc, k->value->loc);
}

static struct polc_loc set_loc(const struct ast_set *s)
{
	return polc_loc_span(s->loc, s->elements ? s->elements->loc : s->file_loc);
}

/* ---- the text ------------------------------------------------------------- */

static size_t line_width(const struct fmt_line *l, size_t col)
{
	return l->indent + (l->align && col ? col + strlen(l->code + l->head + 1) :
					       strlen(l->code));
}

static void render(struct fmt *f, struct strbuf *out)
{
	size_t n = f->lines.n;
	size_t *col = arena_calloc(f->arena, n ? n : 1, sizeof(*col));
	size_t *ccol = arena_calloc(f->arena, n ? n : 1, sizeof(*ccol));

	/* labels: one column per policy (the lines between two lines that
	 * start in the first column) */
	for (size_t i = 0; i < n;) {
		size_t j = i, max = 0;
		for (; j < n && (!f->lines.v[j].code || f->lines.v[j].indent); j++) {
			const struct fmt_line *l = &f->lines.v[j];
			if (l->code && l->align == AL_LABEL && l->indent + l->head <= FMT_LABEL_MAX &&
			    l->head > max)
				max = l->head;
		}
		for (size_t k = i; k < j; k++) {
			const struct fmt_line *l = &f->lines.v[k];
			if (l->code && l->align == AL_LABEL && l->indent + l->head <= FMT_LABEL_MAX)
				col[k] = max + 1;
		}
		i = j > i ? j : i + 1;
	}
	/* the others: a column for each run of lines of the same kind and
	 * indent */
	for (size_t i = 0; i < n;) {
		const struct fmt_line *l = &f->lines.v[i];
		size_t j = i, max = 0;
		if (!l->code || !l->align || l->align == AL_LABEL) {
			i++;
			continue;
		}
		for (; j < n && f->lines.v[j].code && f->lines.v[j].align == l->align &&
		       f->lines.v[j].indent == l->indent;
		     j++)
			max = f->lines.v[j].head > max ? f->lines.v[j].head : max;
		for (size_t k = i; k < j; k++)
			col[k] = max + 1;
		i = j;
	}
	/* and of each run of lines that end with a comment */
	for (size_t i = 0; i < n;) {
		size_t j = i, max = 0;
		if (!f->lines.v[i].comment || !*f->lines.v[i].code) {
			i++;
			continue;
		}
		for (; j < n && f->lines.v[j].comment && *f->lines.v[j].code; j++) {
			size_t w = line_width(&f->lines.v[j], col[j]);
			max = w > max ? w : max;
		}
		for (size_t k = i; k < j; k++)
			ccol[k] = max + FMT_COMMENT_GAP;
		i = j;
	}

	for (size_t i = 0; i < n; i++) {
		const struct fmt_line *l = &f->lines.v[i];
		if (!l->code) {
			strbuf_putc(out, '\n');
			continue;
		}
		for (unsigned k = 0; k < l->indent; k++)
			strbuf_putc(out, ' ');
		if (l->align && col[i]) {
			strbuf_add(out, l->code, l->head);
			for (size_t k = l->head; k < col[i]; k++)
				strbuf_putc(out, ' ');
			strbuf_puts(out, l->code + l->head + 1);
		} else {
			strbuf_puts(out, l->code);
		}
		if (l->comment) {
			if (*l->code)
				for (size_t k = line_width(l, col[i]); k < ccol[i]; k++)
					strbuf_putc(out, ' ');
			strbuf_add(out, l->comment->text, l->comment->len);
		}
		strbuf_putc(out, '\n');
	}
}

/* ---- checking the output ---------------------------------------------------- */

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool value_same(const struct ast_value *a, const struct ast_value *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case AV_IPV4:
	case AV_IPV6:
		return memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 &&
		       a->prefix_len == b->prefix_len && a->has_port == b->has_port &&
		       a->port == b->port;
	case AV_NUMBER:
		return a->num == b->num;
	case AV_RANGE:
		return a->num == b->num && a->num_hi == b->num_hi;
	case AV_IDENT:
	case AV_REF:
	case AV_SETREF:
		return str_same(a->name, b->name);
	case AV_ANY:
		return true;
	case AV_LIST:
		if (a->items.n != b->items.n)
			return false;
		for (size_t i = 0; i < a->items.n; i++)
			if (!value_same(a->items.v[i], b->items.v[i]))
				return false;
		return true;
	}
	return false;
}

static bool endpoint_same(const struct ast_endpoint *a, const struct ast_endpoint *b)
{
	return a->present == b->present && value_same(a->addr, b->addr) &&
	       value_same(a->port, b->port);
}

static bool rule_same(const struct ast_rule *a, const struct ast_rule *b)
{
	return a->verdict == b->verdict && value_same(a->proto, b->proto) &&
	       endpoint_same(&a->from, &b->from) && endpoint_same(&a->to, &b->to) &&
	       value_same(a->icmp_type, b->icmp_type) && value_same(a->icmp_code, b->icmp_code) &&
	       str_same(a->label, b->label) && a->nat == b->nat &&
	       !a->arrow_loc.line == !b->arrow_loc.line && value_same(a->target, b->target) &&
	       a->target_interface == b->target_interface &&
	       value_same(a->target_port, b->target_port) && str_same(a->balance, b->balance) &&
	       value_same(a->ct, b->ct);
}

/* The same file, locations aside?  (The parser keeps statements in source
 * order, and fmt does not reorder them.) */
static bool ast_same(const struct ast_file *a, const struct ast_file *b, const uint32_t *map,
		     size_t n_map)
{
	if (a->consts.n != b->consts.n || a->sets.n != b->sets.n ||
	    a->policies.n != b->policies.n || a->comments.n != b->comments.n)
		return false;
	for (size_t i = 0; i < a->consts.n; i++)
		if (!str_same(a->consts.v[i]->name, b->consts.v[i]->name) ||
		    !value_same(a->consts.v[i]->value, b->consts.v[i]->value))
			return false;
	for (size_t i = 0; i < a->sets.n; i++) {
		const struct ast_set *s = a->sets.v[i], *t = b->sets.v[i];
		if (!str_same(s->name, t->name) || !str_same(s->type, t->type) ||
		    !str_same(s->type2, t->type2) || s->size != t->size ||
		    !s->size_loc.line != !t->size_loc.line || !str_same(s->file, t->file) ||
		    !value_same(s->elements, t->elements))
			return false;
	}
	for (size_t i = 0; i < a->policies.n; i++) {
		const struct ast_policy *p = a->policies.v[i], *q = b->policies.v[i];
		if (!str_same(p->name, q->name) || p->hook != q->hook ||
		    p->has_default != q->has_default || p->default_verdict != q->default_verdict ||
		    p->track != q->track || p->track_size != q->track_size ||
		    p->rules.n != q->rules.n)
			return false;
		for (size_t j = 0; j < p->rules.n; j++)
			if (!rule_same(p->rules.v[j], q->rules.v[j]))
				return false;
	}
	if (a->tests.n != b->tests.n)
		return false;
	for (size_t i = 0; i < a->tests.n; i++) {
		const struct ast_test *t = a->tests.v[i], *v = b->tests.v[i];
		if (!str_same(t->name, v->name) || !str_same(t->policy, v->policy) ||
		    t->expects.n != v->expects.n)
			return false;
		for (size_t j = 0; j < t->expects.n; j++) {
			const struct ast_expect *e = t->expects.v[j], *x = v->expects.v[j];
			if (e->verdict != x->verdict || !str_same(e->packet, x->packet) ||
			    e->by != x->by || !str_same(e->by_name, x->by_name) ||
			    !str_same(e->as_packet, x->as_packet))
				return false;
			uint64_t line = e->by_line;
			if (map && line < n_map && map[line])
				line = map[line];
			if (line != x->by_line)
				return false;
		}
	}
	for (size_t i = 0; i < a->comments.n; i++) {
		const struct ast_comment *c = &a->comments.v[i], *d = &b->comments.v[i];
		if (c->len != d->len || memcmp(c->text, d->text, c->len) != 0)
			return false;
	}
	return true;
}

/* Does text parse into the same file as u? */
static bool output_same(const struct polc_unit *u, const char *text, size_t len,
			const uint32_t *map, size_t n_map)
{
	struct polc_unit *v = NULL;
	bool same = polc_unit_new(&v, u->src->name, text, len) == 0 && polc_parse(v) == 0 &&
		    ast_same(&u->ast, &v->ast, map, n_map);

	polc_unit_free(&v);
	return same;
}

int polc_format_mem(struct polc_unit *u, char **text, size_t *len)
{
	int err = polc_parse(u);

	*text = NULL;
	*len = 0;
	if (err)
		return err;

	const struct ast_file *a = &u->ast;
	/* "by line N" names a rule by where it starts: when formatting moves
	 * rules, a second pass writes the lines they moved to */
	uint32_t *map = NULL;
	bool by_line = false;
	for (size_t i = 0; i < a->tests.n; i++)
		for (size_t j = 0; j < a->tests.v[i]->expects.n; j++)
			by_line |= a->tests.v[i]->expects.v[j]->by == AST_BY_LINE;
	for (int pass = 0;; pass++) {
	struct fmt f = {
		.arena = u->arena,
		.src = u->src,
		.comments = a->comments.v,
		.n_comments = a->comments.n,
		.n_src_lines = u->src->n_lines + 2,
		.by_line_map = map,
	};
	f.rule_line = arena_calloc(u->arena, f.n_src_lines, sizeof(*f.rule_line));
	size_t n = a->consts.n + a->sets.n + a->policies.n + a->tests.n, k = 0;
	struct item *items = arena_calloc(u->arena, n ? n : 1, sizeof(*items));

	for (size_t i = 0; i < a->consts.n; i++)
		items[k++] = (struct item){ IT_CONST, a->consts.v[i], const_loc(a->consts.v[i]) };
	for (size_t i = 0; i < a->sets.n; i++)
		items[k++] = (struct item){ IT_SET, a->sets.v[i], set_loc(a->sets.v[i]) };
	for (size_t i = 0; i < a->policies.n; i++)
		items[k++] = (struct item){ IT_POLICY, a->policies.v[i], a->policies.v[i]->loc };
	for (size_t i = 0; i < a->tests.n; i++)
		items[k++] = (struct item){ IT_TEST, a->tests.v[i], a->tests.v[i]->loc };
	qsort(items, k, sizeof(*items), item_cmp);

	print_block(&f, items, k, 0, UINT64_MAX, 0);
	strbuf_release(&f.cur);
	bool moved = false;
	for (size_t l = 0; l < f.n_src_lines; l++)
		moved |= f.rule_line[l] && f.rule_line[l] != l;
	if (by_line && moved && pass == 0) {
		/* a line that starts no rule has nowhere to go: formatting would
		 * make it name whatever lands there */
		int lost = 0;
		for (size_t i = 0; i < a->tests.n; i++) {
			for (size_t j = 0; j < a->tests.v[i]->expects.n; j++) {
				const struct ast_expect *e = a->tests.v[i]->expects.v[j];
				if (e->by != AST_BY_LINE ||
				    (e->by_line < f.n_src_lines && f.rule_line[e->by_line]))
					continue;
				struct polc_diag *d = polc_error(&u->diags, e->by_loc,
								 "no rule starts on line %llu, and "
								 "formatting moves the rules",
								 (unsigned long long)e->by_line);
				polc_diag_hint(&u->diags, d, "name the rule by its label (by rule "
							  "NAME), or fix the line, then format");
				lost++;
			}
		}
		if (lost)
			return POLC_EPOLICY;
		map = f.rule_line;
		continue;
	}

	struct strbuf out = STRBUF_INIT;
	render(&f, &out);
	if (strbuf_failed(&out)) {
		strbuf_release(&out);
		return POLC_EINTERNAL;
	}
	if (!output_same(u, strbuf_str(&out), out.len, map, f.n_src_lines)) {
		struct polc_loc nowhere = { 0 };
		struct polc_diag *d = polc_error(&u->diags, nowhere,
						 "internal compiler error: polc fmt would change what "
						 "'%s' means; it is left as it is",
						 u->src->name);
		polc_diag_hint(&u->diags, d, "this is a bug in polc, not in your policy");
		strbuf_release(&out);
		return POLC_EINTERNAL;
	}
	*len = out.len;
	*text = strbuf_steal(&out);
	if (!*text)
		*text = calloc(1, 1);
	return *text ? 0 : POLC_EINTERNAL;
	}
}

int polc_format(struct polc_unit *u, FILE *out)
{
	char *text;
	size_t len;
	int err = polc_format_mem(u, &text, &len);

	if (err)
		return err;
	if (fwrite(text, 1, len, out) != len)
		err = POLC_EUSAGE;
	free(text);
	return err;
}
