// SPDX-License-Identifier: BSD-2-Clause
/*
 * polc-gen-policy: write one generated policy (see rules.h) as polc source
 * or as an nftables ruleset with the same first-match verdicts.
 *
 *	polc-gen-policy [--kind rules|bigset] --rules N --format FORMAT
 *			[--dev DEV] [--table NAME] [-o FILE]
 *	polc-gen-policy ... --which first|last|none
 *
 * Formats:
 *   polc        policy "gen", attach xdp, default pass (bigset: a named
 *               set "set blk : ipv4 prefix { ... }" and "drop from @blk";
 *               a polc without named sets rejects it, and bench/nft.sh
 *               then skips that case)
 *   polc-list   bigset only: the same prefixes as a constant list,
 *               "const blk = { ... }" and "drop from $blk"
 *   nft-linear  a netdev table, one chain on DEV's ingress hook, one rule
 *               per polc rule in the same order, each with a counter, then
 *               a bare "counter" that counts what the policy (accept)
 *               decides
 *   nft-set     the same verdicts written the way one writes a large
 *               nftables ruleset: one lookup rule per rule shape in an
 *               interval set (concatenated keys where the shape has more
 *               than the source), a counter on each, then the bare counter
 *
 * --which prints which rule decides a frame (see blast --template): for
 * polc the rule id polctl reports, or "default"; for nftables the position
 * of the rule in the chain, from 1, the trailing counter included.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

enum format { F_POLC, F_POLC_LIST, F_NFT_LINEAR, F_NFT_SET };

static const char *const format_names[] = { "polc", "polc-list", "nft-linear", "nft-set" };

struct gen {
	enum gen_kind kind;
	enum format format;
	unsigned n;
	const char *dev;
	const char *table;
	FILE *out;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("polc-gen-policy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- polc ----------------------------------------------------------------- */

static void polc_rule(FILE *f, unsigned i)
{
	char s[64];

	switch (i % 4) {
	case 0:
		gen_src4(s, sizeof(s), i, 0);
		fprintf(f, "    drop from %s/24\n", s);
		break;
	case 1:
		gen_src4(s, sizeof(s), i, 0);
		fprintf(f, "    pass tcp from %s/24 to port { 80, 443 }\n", s);
		break;
	case 2:
		gen_src6(s, sizeof(s), i, NULL);
		fprintf(f, "    pass udp from %s/64 to port 1000-2000\n", s);
		break;
	case 3:
		gen_src4(s, sizeof(s), i, 7);
		fprintf(f, "    drop tcp from %s port 1024-65535 to 192.0.2.0/24 port 22\n", s);
		break;
	}
}

static void bigset_elements(FILE *f, unsigned n, const char *indent)
{
	char s[32];

	for (unsigned k = 0; k < n; k++) {
		gen_bigset_prefix(s, sizeof(s), k, 0);
		fprintf(f, "%s%s/24,\n", indent, s);
	}
}

static void write_polc(const struct gen *g)
{
	FILE *f = g->out;

	if (g->kind == GEN_BIGSET) {
		if (g->format == F_POLC) {
			/* A polc without named sets rejects this; nft.sh skips it. */
			fprintf(f, "# %u IPv4 prefixes as a named set (polc set syntax)\n", g->n);
			fprintf(f, "set blk : ipv4 prefix {\n");
		} else {
			fprintf(f, "# %u IPv4 prefixes as a constant list\n", g->n);
			fprintf(f, "const blk = {\n");
		}
		bigset_elements(f, g->n, "    ");
		fprintf(f, "}\n\n");
	}
	fprintf(f, "policy gen {\n    attach xdp\n    default pass\n");
	if (g->kind == GEN_BIGSET)
		fprintf(f, "    drop from %s\n", g->format == F_POLC ? "@blk" : "$blk");
	else
		for (unsigned i = 0; i < g->n; i++)
			polc_rule(f, i);
	fprintf(f, "}\n");
}

/* ---- nftables --------------------------------------------------------------- */

static void nft_head(const struct gen *g)
{
	fprintf(g->out, "table netdev %s {\n", g->table);
}

static void nft_chain(const struct gen *g)
{
	fprintf(g->out,
		"\tchain in {\n"
		"\t\ttype filter hook ingress device \"%s\" priority 0; policy accept;\n",
		g->dev);
}

static void nft_tail(const struct gen *g)
{
	fprintf(g->out, "\t\tcounter\n\t}\n}\n");
}

static void nft_linear_rule(FILE *f, unsigned i)
{
	char s[64];

	switch (i % 4) {
	case 0:
		gen_src4(s, sizeof(s), i, 0);
		fprintf(f, "\t\tip saddr %s/24 counter drop\n", s);
		break;
	case 1:
		gen_src4(s, sizeof(s), i, 0);
		fprintf(f, "\t\tip saddr %s/24 tcp dport { 80, 443 } counter accept\n", s);
		break;
	case 2:
		gen_src6(s, sizeof(s), i, NULL);
		fprintf(f, "\t\tip6 saddr %s/64 udp dport 1000-2000 counter accept\n", s);
		break;
	case 3:
		gen_src4(s, sizeof(s), i, 7);
		fprintf(f,
			"\t\tip saddr %s ip daddr 192.0.2.0/24 tcp sport 1024-65535 tcp dport 22 counter drop\n",
			s);
		break;
	}
}

/*
 * The set form of kind "rules": one set per shape, its lookup rules in this
 * order.  A shape with no rule (small N) has no set and no rule.
 */
static const struct nft_shape {
	unsigned kind; /* i % 4 */
	const char *set;
	const char *type;
	const char *rule;
} nft_shapes[] = {
	{ 0, "drop4", "ipv4_addr", "ip saddr @drop4 counter drop" },
	{ 1, "web4", "ipv4_addr . inet_service", "ip saddr . tcp dport @web4 counter accept" },
	{ 3, "ssh4", "ipv4_addr . ipv4_addr . inet_service . inet_service",
	  "ip saddr . ip daddr . tcp sport . tcp dport @ssh4 counter drop" },
	{ 2, "udp6", "ipv6_addr . inet_service", "ip6 saddr . udp dport @udp6 counter accept" },
};

#define N_SHAPES (sizeof(nft_shapes) / sizeof(nft_shapes[0]))

static bool shape_used(unsigned n, unsigned kind)
{
	return n > kind;
}

static void nft_set_element(FILE *f, unsigned i)
{
	char s[64];

	switch (i % 4) {
	case 0:
		gen_src4(s, sizeof(s), i, 0);
		fprintf(f, "\t\t\t%s/24,\n", s);
		break;
	case 1:
		gen_src4(s, sizeof(s), i, 0);
		fprintf(f, "\t\t\t%s/24 . 80, %s/24 . 443,\n", s, s);
		break;
	case 2:
		gen_src6(s, sizeof(s), i, NULL);
		fprintf(f, "\t\t\t%s/64 . 1000-2000,\n", s);
		break;
	case 3:
		gen_src4(s, sizeof(s), i, 7);
		fprintf(f, "\t\t\t%s . 192.0.2.0/24 . 1024-65535 . 22,\n", s);
		break;
	}
}

static void write_nft(const struct gen *g)
{
	FILE *f = g->out;

	nft_head(g);
	if (g->kind == GEN_BIGSET) {
		if (g->format == F_NFT_SET) {
			fprintf(f, "\tset blk {\n\t\ttype ipv4_addr; flags interval;\n"
				   "\t\telements = {\n");
			bigset_elements(f, g->n, "\t\t\t");
			fprintf(f, "\t\t}\n\t}\n");
		}
		nft_chain(g);
		if (g->format == F_NFT_SET) {
			fprintf(f, "\t\tip saddr @blk counter drop\n");
		} else {
			char s[32];

			for (unsigned k = 0; k < g->n; k++) {
				gen_bigset_prefix(s, sizeof(s), k, 0);
				fprintf(f, "\t\tip saddr %s/24 counter drop\n", s);
			}
		}
		nft_tail(g);
		return;
	}
	if (g->format == F_NFT_SET) {
		for (size_t s = 0; s < N_SHAPES; s++) {
			const struct nft_shape *sh = &nft_shapes[s];

			if (!shape_used(g->n, sh->kind))
				continue;
			fprintf(f, "\tset %s {\n\t\ttype %s; flags interval;\n\t\telements = {\n",
				sh->set, sh->type);
			for (unsigned i = sh->kind; i < g->n; i += 4)
				nft_set_element(f, i);
			fprintf(f, "\t\t}\n\t}\n");
		}
	}
	nft_chain(g);
	if (g->format == F_NFT_SET) {
		for (size_t s = 0; s < N_SHAPES; s++)
			if (shape_used(g->n, nft_shapes[s].kind))
				fprintf(f, "\t\t%s\n", nft_shapes[s].rule);
	} else {
		for (unsigned i = 0; i < g->n; i++)
			nft_linear_rule(f, i);
	}
	nft_tail(g);
}

/* ---- which rule decides a frame --------------------------------------------- */

/* Rule index (from 0) a template's frame is built for, or -1: the default. */
static long template_rule(const char *t, unsigned n)
{
	if (!strcmp(t, "first"))
		return 0;
	if (!strcmp(t, "last"))
		return (long)n - 1;
	if (!strcmp(t, "none"))
		return -1;
	die("--which: unknown template '%s' (first, last or none)", t);
}

static void which(const struct gen *g, const char *t)
{
	long r = template_rule(t, g->n);
	bool nft = g->format == F_NFT_LINEAR || g->format == F_NFT_SET;
	unsigned n_rules; /* rules in the chain before the trailing counter */
	unsigned pos = 0; /* from 1 */

	if (g->kind == GEN_BIGSET) {
		n_rules = g->format == F_NFT_LINEAR ? g->n : 1;
		if (r >= 0)
			pos = g->format == F_NFT_LINEAR ? (unsigned)r + 1 : 1;
	} else if (g->format == F_NFT_SET) {
		n_rules = 0;
		for (size_t s = 0; s < N_SHAPES; s++) {
			if (!shape_used(g->n, nft_shapes[s].kind))
				continue;
			n_rules++;
			if (r >= 0 && (unsigned)r % 4 == nft_shapes[s].kind)
				pos = n_rules;
		}
	} else {
		n_rules = g->n;
		if (r >= 0)
			pos = (unsigned)r + 1;
	}
	if (!pos) {
		if (nft)
			printf("%u\n", n_rules + 1);
		else
			printf("default\n");
	} else {
		printf("%u\n", pos);
	}
}

int main(int argc, char **argv)
{
	struct gen g = { .kind = GEN_RULES, .format = F_POLC, .dev = "eth0",
			 .table = "polc_bench", .out = stdout };
	const char *out = NULL, *which_t = NULL;
	bool have_n = false, have_format = false;
	static const struct option lopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "rules", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "dev", required_argument, NULL, 'd' },
		{ "table", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "which", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "k:n:f:d:t:o:w:h", lopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			if (!strcmp(optarg, "rules"))
				g.kind = GEN_RULES;
			else if (!strcmp(optarg, "bigset"))
				g.kind = GEN_BIGSET;
			else
				die("unknown --kind '%s' (rules or bigset)", optarg);
			break;
		case 'n': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || !v || v > GEN_MAX_RULES)
				die("--rules must be 1..%u", GEN_MAX_RULES);
			g.n = (unsigned)v;
			have_n = true;
			break;
		}
		case 'f': {
			size_t i;
			for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
				if (!strcmp(optarg, format_names[i]))
					break;
			if (i == sizeof(format_names) / sizeof(format_names[0]))
				die("unknown --format '%s' (polc, polc-list, nft-linear, nft-set)",
				    optarg);
			g.format = (enum format)i;
			have_format = true;
			break;
		}
		case 'd':
			g.dev = optarg;
			break;
		case 't':
			g.table = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'w':
			which_t = optarg;
			break;
		case 'h':
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: polc-gen-policy [--kind rules|bigset] --rules N --format "
				"polc|polc-list|nft-linear|nft-set\n"
				"                       [--dev DEV] [--table NAME] [-o FILE] "
				"[--which first|last|none]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!have_n || !have_format)
		die("--rules and --format are required");
	if (g.format == F_POLC_LIST && g.kind != GEN_BIGSET)
		die("--format polc-list is for --kind bigset");
	if (g.kind == GEN_BIGSET && g.n > GEN_BIGSET_MAX)
		die("--kind bigset holds at most %u prefixes", GEN_BIGSET_MAX);
	if (which_t) {
		which(&g, which_t);
		return 0;
	}
	if (out && !(g.out = fopen(out, "w")))
		die("cannot write %s: %s", out, strerror(errno));
	if (g.format == F_POLC || g.format == F_POLC_LIST)
		write_polc(&g);
	else
		write_nft(&g);
	if (fflush(g.out) || (out && fclose(g.out)))
		die("cannot write %s: %s", out ? out : "stdout", strerror(errno));
	return 0;
}
