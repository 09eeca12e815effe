// SPDX-License-Identifier: BSD-2-Clause
/*
 * polctl: apply polc artifacts on a node and report what they do.  Parses
 * arguments, calls libpolrt, prints; nothing else.
 *
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "sha256.h"
#include "polrt.h"
#include "util.h"

static const char usage_text[] =
	"usage: polctl [options] <command> [arguments]\n"
	"\n"
	"commands:\n"
	"  apply FILE.o --dev IFACE   attach a compiled policy (replacing a running version\n"
	"                             of it atomically)\n"
	"        [--netns NAME]       the device is in network namespace NAME (ip netns)\n"
	"        [--policy NAME]      which policy of the artifact (if it holds several)\n"
	"        [--name INSTANCE]    name of the applied instance (default: the policy's)\n"
	"        [--xdp-mode MODE]    native (default) or generic\n"
	"  detach INSTANCE... | --all take instances off their hooks and remove their pins\n"
	"  status [INSTANCE]          what is applied where\n"
	"  stats [INSTANCE]           per-rule and per-reason packet and byte counters\n"
	"  show FILE.o                what an artifact holds (no root needed)\n"
	"  ct [INSTANCE]              a tracked policy's flows: tuple, state, age, counters\n"
	"  ct gc [INSTANCE]           remove the flows past their timeout\n"
	"  nat [INSTANCE]             dnat services (backends in use) and snat rules, NAT drops\n"
	"  nat set INSTANCE SERVICE [BACKEND...]\n"
	"                             replace a service's backends (SERVICE: label or rule id;\n"
	"                             BACKEND: ADDR, ADDR:PORT or [IPV6]:PORT; none: drop new flows)\n"
	"  set add|del|replace INSTANCE SET [ELEMENT...] [--file F]\n"
	"                             change a named set while the policy runs\n"
	"  set list INSTANCE SET      a set's elements and memory\n"
	"  version | help\n"
	"\n"
	"options:\n"
	"  -j, --json                 JSON output\n"
	"  -p, --pretty               indented JSON output\n"
	"      --root DIR             bpffs directory for pins (default " POLRT_DEFAULT_ROOT ")\n"
	"  -v, --verbose              more detail, libbpf's messages included\n"
	"\n"
	"exit codes: 0 ok, 1 failed, 2 usage\n";

#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct cli {
	const char *command;
	const char *dev;
	const char *netns;
	const char *policy;
	const char *name;
	const char *root;
	const char *file;
	bool xdp_generic;
	bool all;
	bool json;
	bool pretty;
	bool verbose;
	char **args;
	int n_args;
};

static bool g_verbose; /* CLI state only: libbpf's print hook has no context */

static void log_stderr(void *ctx, enum polrt_log_level level, const char *msg)
{
	(void)ctx;
	if (level == POLRT_LOG_ERROR)
		fprintf(stderr, "polctl: error: %s\n", msg);
	else if (level == POLRT_LOG_WARN)
		fprintf(stderr, "polctl: warning: %s\n", msg);
	else
		fprintf(stderr, "polctl: %s\n", msg);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];

	if (level != LIBBPF_WARN && !g_verbose)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!g_verbose) {
		/* the verifier log reaches the user through polrt's own error,
		 * and an existing clsact qdisc is what we want */
		if (strstr(line, "PROG LOAD LOG") || strstr(line, "Exclusivity flag on") ||
		    strstr(line, "-- BEGIN") || strstr(line, "-- END"))
			return 0;
	}
	return fputs(line, stderr);
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("polctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'polctl help'.\n", stderr);
	return EXIT_USAGE;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	enum { OPT_DEV = 256, OPT_NETNS, OPT_POLICY, OPT_NAME, OPT_ROOT, OPT_XDP_MODE, OPT_ALL,
	       OPT_FILE };
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, OPT_DEV },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":jpvh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_DEV:
			c->dev = optarg;
			break;
		case OPT_NETNS:
			c->netns = optarg;
			break;
		case OPT_POLICY:
			c->policy = optarg;
			break;
		case OPT_NAME:
			c->name = optarg;
			break;
		case OPT_ROOT:
			c->root = optarg;
			break;
		case OPT_XDP_MODE:
			if (strcmp(optarg, "generic") == 0 || strcmp(optarg, "skb") == 0)
				c->xdp_generic = true;
			else if (strcmp(optarg, "native") == 0 || strcmp(optarg, "driver") == 0)
				c->xdp_generic = false;
			else
				return usage_error("unknown XDP mode '%s' (native or generic)", optarg);
			break;
		case OPT_ALL:
			c->all = true;
			break;
		case OPT_FILE:
			c->file = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'p':
			c->json = c->pretty = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			c->command = "help";
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	c->command = argv[optind++];
	c->args = argv + optind;
	c->n_args = argc - optind;
	return 0;
}

static const char *time_text(uint64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%llu", (unsigned long long)t);
	return buf;
}

/* ---- apply, detach -------------------------------------------------------- */

static int cmd_apply(struct polrt *rt, const struct cli *c)
{
	struct polrt_artifact *a = NULL;

	if (c->n_args != 1)
		return usage_error("apply takes one artifact file");
	if (!c->dev)
		return usage_error("apply needs --dev IFACE");
	if (polrt_artifact_open(rt, c->args[0], &a))
		return EXIT_FAIL;
	struct polrt_apply_opts opts = {
		.sz = sizeof(opts),
		.ifname = c->dev,
		.netns = c->netns,
		.policy = c->policy,
		.instance = c->name,
		.xdp_generic = c->xdp_generic,
	};
	int err = polrt_apply(rt, a, &opts);
	polrt_artifact_free(&a);
	return err ? EXIT_FAIL : 0;
}

static int cmd_detach(struct polrt *rt, const struct cli *c)
{
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (c->all) {
		if (c->n_args)
			return usage_error("detach --all takes no instance names");
		if (polrt_instances(rt, &names, &n))
			return EXIT_FAIL;
		for (size_t i = 0; i < n; i++)
			if (polrt_detach(rt, names[i]))
				rc = EXIT_FAIL;
		polrt_names_free(names, n);
		return rc;
	}
	if (c->n_args == 0)
		return usage_error("detach needs instance names or --all");
	for (int i = 0; i < c->n_args; i++)
		if (polrt_detach(rt, c->args[i]))
			rc = EXIT_FAIL;
	return rc;
}

/* ---- status, stats -------------------------------------------------------- */

static void status_text(const struct polrt_status *s, const struct polrt_ct_table *ct)
{
	char when[32];

	printf("%s: policy %s on %s%s%s, %s, %s\n", s->instance, s->policy, s->ifname,
	       s->netns[0] ? " in netns " : "", s->netns, polrt_hook_name(s->hook),
	       s->attached ? "attached" : "NOT ATTACHED (device gone or program replaced)");
	printf("  program %u%s, %u rule%s, default %s, plan %s\n", s->prog_id,
	       s->xdp_generic ? " (generic XDP)" : "", s->n_rules, s->n_rules == 1 ? "" : "s",
	       polrt_verdict_name(s->default_verdict), s->plan == POLC_PLAN_LINEAR ? "linear" : s->plan == POLC_PLAN_CLASSIFIER ? "classifier" : "?");
	printf("  from %s (source sha256 %.16s…) by %s, artifact %s, applied %s\n", s->source,
	       s->source_sha256, s->compiler, s->artifact,
	       time_text(s->applied_at, when, sizeof(when)));
	if (s->tracked)
		printf("  companion on %s: %s\n", polrt_hook_name(s->companion_hook),
		       s->companion_attached ? "attached" : "NOT ATTACHED");
	if (ct)
		printf("  conntrack: %zu flow%s, %u of %u entries (%.1f%% full), %u expired\n", ct->n,
		       ct->n == 1 ? "" : "s", ct->entries, ct->size,
		       ct->size ? 100.0 * ct->entries / ct->size : 0.0, ct->expired);
}

/* The NAT drop counters, as polctl nat and status name them. */
static const struct {
	enum polc_ct_stat stat;
	const char *text, *json;
} nat_drops[] = {
	{ POLC_CT_STAT_NAT_NO_BACKEND, "no-backend", "nat_no_backend" },
	{ POLC_CT_STAT_NAT_NO_ADDRESS, "no-address", "nat_no_address" },
	{ POLC_CT_STAT_NAT_EXHAUSTED, "exhausted", "nat_exhausted" },
	{ POLC_CT_STAT_NAT_UNTRACKABLE, "untrackable", "nat_untrackable" },
};

static void nat_drops_text(const struct polrt_nat_info *n)
{
	printf("  nat drops:");
	for (size_t i = 0; i < ARRAY_SIZE(nat_drops); i++)
		printf("%s %s %llu", i ? "," : "", nat_drops[i].text,
		       (unsigned long long)n->ct_stats[nat_drops[i].stat].packets);
	printf("\n");
}

/* The drops in packets, like the rest of conntrack's counters in JSON. */
static void nat_drops_json(struct json_writer *w, const struct polrt_nat_info *n)
{
	for (size_t i = 0; i < ARRAY_SIZE(nat_drops); i++)
		json_kv_uint(w, nat_drops[i].json, n->ct_stats[nat_drops[i].stat].packets);
}

static void status_json(struct json_writer *w, const struct polrt_status *s,
			const struct polrt_ct_table *ct, const struct polrt_nat_info *nat)
{
	char when[32];

	json_object_begin(w);
	json_kv_string(w, "instance", s->instance);
	json_kv_string(w, "policy", s->policy);
	json_kv_string(w, "device", s->ifname);
	json_kv_uint(w, "ifindex", s->ifindex);
	json_kv_string(w, "netns", s->netns);
	json_kv_string(w, "hook", polrt_hook_name(s->hook));
	json_kv_bool(w, "attached", s->attached);
	json_kv_uint(w, "prog_id", s->prog_id);
	json_kv_bool(w, "xdp_generic", s->xdp_generic);
	json_kv_uint(w, "rules", s->n_rules);
	json_kv_string(w, "default", polrt_verdict_name(s->default_verdict));
	json_kv_string(w, "plan", s->plan == POLC_PLAN_LINEAR ? "linear" : s->plan == POLC_PLAN_CLASSIFIER ? "classifier" : "?");
	json_kv_string(w, "source", s->source);
	json_kv_string(w, "source_sha256", s->source_sha256);
	json_kv_string(w, "compiler", s->compiler);
	json_kv_string(w, "artifact", s->artifact);
	json_kv_string(w, "applied_at", time_text(s->applied_at, when, sizeof(when)));
	if (s->tracked) {
		json_kv_string(w, "companion_hook", polrt_hook_name(s->companion_hook));
		json_kv_bool(w, "companion_attached", s->companion_attached);
	}
	if (ct) {
		json_key(w, "conntrack");
		json_object_begin(w);
		json_kv_uint(w, "flows", ct->n);
		json_kv_uint(w, "entries", ct->entries);
		json_kv_uint(w, "size", ct->size);
		json_kv_uint(w, "expired", ct->expired);
		json_object_end(w);
	}
	if (nat) {
		json_key(w, "nat");
		json_object_begin(w);
		json_kv_uint(w, "services", s->nat_services);
		json_kv_uint(w, "snat_rules", s->nat_snats);
		if (nat->have_stats)
			nat_drops_json(w, nat);
		json_object_end(w);
	}
	json_object_end(w);
}

/* The instances a command is about: the one named, or all. */
static int selected(struct polrt *rt, const struct cli *c, char ***names, size_t *n)
{
	if (c->n_args > 1)
		return usage_error("%s takes at most one instance name", c->command);
	if (c->n_args == 1) {
		*names = calloc(1, sizeof(char *));
		if (!*names || !((*names)[0] = strdup(c->args[0])))
			return EXIT_FAIL;
		*n = 1;
		return 0;
	}
	return polrt_instances(rt, names, n) ? EXIT_FAIL : 0;
}

/*
 * Run one() for each selected instance, inside a JSON array with -j.  A
 * failing instance is reported (by polrt) and makes the exit code 1; the
 * others are still shown.
 */
static int for_each_instance(struct polrt *rt, const struct cli *c,
			     int (*one)(struct polrt *rt, const char *name, struct json_writer *w))
{
	char **names;
	size_t n;
	int rc = selected(rt, c, &names, &n);
	struct json_writer w;

	if (rc)
		return rc;
	if (c->json) {
		json_init(&w, stdout, c->pretty);
		json_array_begin(&w);
	} else if (n == 0) {
		printf("no policy is applied (root %s)\n", c->root ? c->root : POLRT_DEFAULT_ROOT);
	}
	for (size_t i = 0; i < n; i++)
		if (one(rt, names[i], c->json ? &w : NULL))
			rc = EXIT_FAIL;
	if (c->json) {
		json_array_end(&w);
		json_finish(&w);
	}
	polrt_names_free(names, n);
	return rc;
}

static int status_one(struct polrt *rt, const char *name, struct json_writer *w)
{
	struct polrt_status s;
	struct polrt_nat_info nat;
	int err = polrt_status(rt, name, &s);

	if (err)
		return err;
	/* a tracked policy: how full its table is */
	struct polrt_ct_table ct;
	bool tracked = s.tracked && polrt_ct_list(rt, name, &ct) == 0;
	/* NAT rules: their drops (the rest is polctl nat's) */
	bool has_nat = (s.nat_services || s.nat_snats) && polrt_nat_info(rt, name, &nat) == 0;
	if (w) {
		status_json(w, &s, tracked ? &ct : NULL, has_nat ? &nat : NULL);
	} else {
		status_text(&s, tracked ? &ct : NULL);
		if (has_nat) {
			printf("  nat: %u service%s, %u snat rule%s\n", s.nat_services,
			       s.nat_services == 1 ? "" : "s", s.nat_snats, s.nat_snats == 1 ? "" : "s");
			if (nat.have_stats)
				nat_drops_text(&nat);
		}
	}
	if (tracked)
		polrt_ct_table_release(&ct);
	if (has_nat)
		polrt_nat_info_release(&nat);
	return 0;
}

static int cmd_status(struct polrt *rt, const struct cli *c)
{
	return for_each_instance(rt, c, status_one);
}

static void stats_text(const struct polrt_stats *s)
{
	const struct polrt_status *st = &s->status;

	printf("%s: policy %s on %s%s%s (%s), default %s\n", st->instance, st->policy, st->ifname,
	       st->netns[0] ? " in netns " : "", st->netns, polrt_hook_name(st->hook),
	       polrt_verdict_name(st->default_verdict));
	printf("  %-9s %5s  %-7s %12s %14s  %s\n", "rule", "line", "verdict", "packets", "bytes",
	       "source");
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct polrt_rule_stats *r = &s->rules[i];
		char id[16];
		snprintf(id, sizeof(id), "%u", r->id);
		printf("  %-9s %5u  %-7s %12llu %14llu  %s\n", id, r->line,
		       polrt_verdict_name(r->verdict), (unsigned long long)r->counter.packets,
		       (unsigned long long)r->counter.bytes, r->text);
	}
	for (int i = 0; i < POLC_REASON_COUNT_; i++) {
		const char *verdict = i == POLC_REASON_DEFAULT ? polrt_verdict_name(st->default_verdict)
				      : i == POLC_REASON_NON_IP ? "pass"
								: "drop";
		const char *what = i == POLC_REASON_DEFAULT ? "no rule matched"
				   : i == POLC_REASON_NON_IP ? "not IPv4/IPv6"
				   : i == POLC_REASON_TRUNCATED ? "headers cut short"
								: "impossible header values";
		printf("  %-9s %5s  %-7s %12llu %14llu  (%s)\n", polrt_reason_name(i), "-", verdict,
		       (unsigned long long)s->reasons[i].packets,
		       (unsigned long long)s->reasons[i].bytes, what);
	}
}

static void counter_json(struct json_writer *w, const struct polc_counter *c)
{
	json_kv_uint(w, "packets", c->packets);
	json_kv_uint(w, "bytes", c->bytes);
}

static void stats_json(struct json_writer *w, const struct polrt_stats *s)
{
	json_object_begin(w);
	json_kv_string(w, "instance", s->status.instance);
	json_kv_string(w, "policy", s->status.policy);
	json_kv_string(w, "device", s->status.ifname);
	json_kv_string(w, "netns", s->status.netns);
	json_kv_string(w, "hook", polrt_hook_name(s->status.hook));
	json_key(w, "rules");
	json_array_begin(w);
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct polrt_rule_stats *r = &s->rules[i];
		json_object_begin(w);
		json_kv_uint(w, "id", r->id);
		json_kv_uint(w, "line", r->line);
		json_kv_uint(w, "column", r->col);
		json_kv_string(w, "verdict", polrt_verdict_name(r->verdict));
		json_kv_string(w, "source", r->text);
		if (*r->label)
			json_kv_string(w, "label", r->label);
		counter_json(w, &r->counter);
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "reasons");
	json_object_begin(w);
	for (int i = 0; i < POLC_REASON_COUNT_; i++) {
		json_key(w, polrt_reason_name(i));
		json_object_begin(w);
		counter_json(w, &s->reasons[i]);
		json_object_end(w);
	}
	json_object_end(w);
	json_object_end(w);
}

static int stats_one(struct polrt *rt, const char *name, struct json_writer *w)
{
	struct polrt_stats s;
	int err = polrt_stats(rt, name, &s);

	if (err)
		return err;
	if (w)
		stats_json(w, &s);
	else
		stats_text(&s);
	polrt_stats_release(&s);
	return 0;
}

static int cmd_stats(struct polrt *rt, const struct cli *c)
{
	return for_each_instance(rt, c, stats_one);
}

/* ---- sets ------------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmd_set_list(struct polrt *rt, const struct cli *c)
{
	struct polrt_set_info info;
	char **elems;
	struct json_writer w;

	if (c->n_args != 3)
		return usage_error("set list takes an instance and a set");
	if (polrt_set_list(rt, c->args[1], c->args[2], &info, &elems))
		return EXIT_FAIL;
	if (c->json) {
		json_init(&w, stdout, c->pretty);
		json_object_begin(&w);
		json_kv_string(&w, "set", info.name);
		json_kv_string(&w, "type", info.port ? "port" : info.families == 3 ? "ip" :
					    info.families == 1 ? "ipv4" : "ipv6");
		json_kv_uint(&w, "count", info.count);
		json_kv_uint(&w, "size", info.size);
		json_key(&w, "elements");
		json_array_begin(&w);
		for (size_t i = 0; elems[i]; i++)
			json_string(&w, elems[i]);
		json_array_end(&w);
		json_object_end(&w);
		json_finish(&w);
	} else {
		printf("set %s: %u of %u elements", info.name, info.count, info.size);
		for (int f = 0; f < 2; f++)
			if (info.nodes_cap[f])
				printf("; %s trie %u/%u nodes, %u/%u bitmaps",
				       info.port ? "port" : f ? "IPv6" : "IPv4", info.nodes[f],
				       info.nodes_cap[f], info.bits[f], info.bits_cap[f]);
		printf("\n");
		for (size_t i = 0; elems[i]; i++)
			printf("  %s\n", elems[i]);
	}
	polrt_set_elems_free(elems);
	return 0;
}

static int cmd_set(struct polrt *rt, const struct cli *c)
{
	static const struct {
		const char *name;
		enum polrt_set_op op;
		const char *done;
	} ops[] = {
		{ "add", POLRT_SET_ADD, "added to" },
		{ "del", POLRT_SET_DEL, "removed from" },
		{ "replace", POLRT_SET_REPLACE, "replaced" },
	};

	if (c->n_args < 1)
		return usage_error("set needs add, del, replace or list");
	if (strcmp(c->args[0], "list") == 0)
		return cmd_set_list(rt, c);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (strcmp(c->args[0], ops[i].name) != 0)
			continue;
		if (c->n_args < 3)
			return usage_error("set %s takes an instance, a set and elements", ops[i].name);
		if (c->n_args == 3 && !c->file && ops[i].op != POLRT_SET_REPLACE)
			return usage_error("set %s: no elements given (arguments or --file)", ops[i].name);
		struct polrt_set_result res;
		double t0 = now_ms();
		if (polrt_set_update(rt, c->args[1], c->args[2], ops[i].op,
				     (const char *const *)c->args + 3, (size_t)(c->n_args - 3), c->file,
				     &res))
			return EXIT_FAIL;
		fprintf(stderr, "polctl: set %s %s: %u → %u elements (size %u), %.1f ms\n",
			c->args[2], ops[i].done, res.before, res.after, res.size, now_ms() - t0);
		return 0;
	}
	return usage_error("unknown set operation '%s' (add, del, replace, list)", c->args[0]);
}

/* ---- show ----------------------------------------------------------------- */

static int cmd_show(struct polrt *rt, const struct cli *c)
{
	struct polrt_artifact *a = NULL;
	struct json_writer w;
	char sha[65];

	if (c->n_args != 1)
		return usage_error("show takes one artifact file");
	if (polrt_artifact_open(rt, c->args[0], &a))
		return EXIT_FAIL;
	const struct polrt_meta *m = polrt_artifact_meta(a);
	sha256_hex(m->hdr->source_sha256, sha);
	if (c->json) {
		json_init(&w, stdout, c->pretty);
		json_object_begin(&w);
		json_kv_string(&w, "source", polrt_meta_str(m, m->hdr->source_str));
		json_kv_string(&w, "source_sha256", sha);
		json_kv_string(&w, "compiler", polrt_meta_str(m, m->hdr->compiler_str));
		json_key(&w, "policies");
		json_array_begin(&w);
	} else {
		printf("%s: compiled from %s (sha256 %s) by %s\n", c->args[0],
		       polrt_meta_str(m, m->hdr->source_str), sha,
		       polrt_meta_str(m, m->hdr->compiler_str));
	}
	for (uint32_t i = 0; i < m->hdr->n_policies; i++) {
		const struct polc_meta_policy *p = &m->policies[i];
		const struct polc_meta_prog *pr = &m->progs[p->first_prog];
		if (c->json) {
			json_object_begin(&w);
			json_kv_string(&w, "name", polrt_meta_str(m, p->name_str));
			json_kv_string(&w, "hook", polrt_hook_name(pr->hook));
			json_kv_string(&w, "program", polrt_meta_str(m, pr->name_str));
			json_kv_string(&w, "default", polrt_verdict_name(p->default_verdict));
			json_kv_uint(&w, "line", p->line);
			if (p->n_progs > 1) {
				json_key(&w, "companion");
				json_object_begin(&w);
				json_kv_string(&w, "program", polrt_meta_str(m, pr[1].name_str));
				json_kv_string(&w, "hook", polrt_hook_name(pr[1].hook));
				json_object_end(&w);
			}
			json_key(&w, "rules");
			json_array_begin(&w);
		} else {
			printf("policy %s (line %u): %s, default %s, %u rule%s\n",
			       polrt_meta_str(m, p->name_str), p->line, polrt_hook_name(pr->hook),
			       polrt_verdict_name(p->default_verdict), p->n_rules,
			       p->n_rules == 1 ? "" : "s");
			if (p->n_progs > 1)
				printf("  tracked: companion %s on %s\n", polrt_meta_str(m, pr[1].name_str),
				       polrt_hook_name(pr[1].hook));
		}
		for (uint32_t j = 0; j < p->n_rules; j++) {
			const struct polc_meta_rule *r = &m->rules[p->first_rule + j];
			if (c->json) {
				json_object_begin(&w);
				json_kv_uint(&w, "id", r->id);
				json_kv_uint(&w, "line", r->line);
				json_kv_string(&w, "verdict", polrt_verdict_name(r->verdict));
				json_kv_string(&w, "source", polrt_meta_str(m, r->text_str));
				json_object_end(&w);
			} else {
				printf("  %4u  line %-5u %s\n", r->id, r->line,
				       polrt_meta_str(m, r->text_str));
			}
		}
		if (c->json) {
			json_array_end(&w);
			json_object_end(&w);
		}
	}
	if (c->json) {
		json_array_end(&w);
		json_object_end(&w);
		json_finish(&w);
	}
	polrt_artifact_free(&a);
	return 0;
}

/* ---- conntrack ------------------------------------------------------------ */

static void ct_addr(char *buf, size_t len, uint8_t family, const uint32_t a[4])
{
	/* the table holds addresses as the packet parser does: host order */
	uint32_t n[4];
	for (int i = 0; i < 4; i++)
		n[i] = htonl(a[i]);
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, n, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static const char *ct_proto(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6" : "ip";
}

/* A tuple as text: "a:p -> b:q", "[a]:p -> [b]:q" or "a -> b id N" (echo). */
static void ct_tuple(char *buf, size_t len, const struct polc_ct_key *k, const uint32_t *src,
		     const uint32_t *dst, uint16_t sport, uint16_t dport)
{
	char s[64], d[64];
	bool ports = k->proto == 6 || k->proto == 17;

	ct_addr(s, sizeof(s), k->family, src);
	ct_addr(d, sizeof(d), k->family, dst);
	if (ports && k->family == 6)
		snprintf(buf, len, "[%s]:%u -> [%s]:%u", s, sport, d, dport);
	else if (ports)
		snprintf(buf, len, "%s:%u -> %s:%u", s, sport, d, dport);
	else
		snprintf(buf, len, "%s -> %s id %u", s, d, sport);
}

/* What created a NAT flow: "dnat", "snat" (or both), from its flags. */
static const char *ct_nat_kind(const struct polc_ct_entry *e)
{
	bool d = e->flags & POLC_CT_F_DNAT, s = e->flags & POLC_CT_F_SNAT;

	if (d && s)
		return "dnat+snat";
	if (d || s)
		return d ? "dnat" : "snat";
	return e->nat & POLC_CT_NAT_DST ? "dnat" : "snat";
}

static void ct_flow_text(const struct polrt_ct_flow *f)
{
	char tuple[160];
	const struct polc_ct_key *k = &f->key;

	ct_tuple(tuple, sizeof(tuple), k, k->src, k->dst, k->sport, k->dport);
	printf("    %-6s %-46s %-12s age %5llus idle %5llus  %s  out %llu pkts  back %llu pkts%s\n",
	       ct_proto(k->proto), tuple, polrt_ct_state_name(f->fwd.state),
	       (unsigned long long)(f->age_ns / 1000000000ull),
	       (unsigned long long)(f->idle_ns / 1000000000ull),
	       f->fwd.flags & POLC_CT_F_LOCAL ? "opened by the node"
					       : "admitted by a rule ",
	       (unsigned long long)f->fwd.packets,
	       (unsigned long long)(f->has_rev ? f->rev.packets : 0),
	       f->expired ? "  (expired)" : "");
	if (f->fwd.nat) {
		ct_tuple(tuple, sizeof(tuple), k, f->fwd.xsrc, f->fwd.xdst, f->fwd.xsport,
			 f->fwd.xdport);
		printf("           %-46s %s\n", tuple, ct_nat_kind(&f->fwd));
	}
}

static void ct_flow_json(struct json_writer *w, const struct polrt_ct_flow *f)
{
	char s[64], d[64];
	const struct polc_ct_key *k = &f->key;

	ct_addr(s, sizeof(s), k->family, k->src);
	ct_addr(d, sizeof(d), k->family, k->dst);
	json_object_begin(w);
	json_kv_string(w, "proto", ct_proto(k->proto));
	json_kv_string(w, "src", s);
	json_kv_string(w, "dst", d);
	json_kv_uint(w, "sport", k->sport);
	json_kv_uint(w, "dport", k->dport);
	json_kv_string(w, "state", polrt_ct_state_name(f->fwd.state));
	json_kv_uint(w, "age_s", f->age_ns / 1000000000ull);
	json_kv_uint(w, "idle_s", f->idle_ns / 1000000000ull);
	json_kv_bool(w, "expired", f->expired);
	json_kv_bool(w, "local", f->fwd.flags & POLC_CT_F_LOCAL);
	json_kv_uint(w, "rule", f->fwd.rule);
	json_kv_uint(w, "packets_out", f->fwd.packets);
	json_kv_uint(w, "bytes_out", f->fwd.bytes);
	json_kv_uint(w, "packets_back", f->has_rev ? f->rev.packets : 0);
	json_kv_uint(w, "bytes_back", f->has_rev ? f->rev.bytes : 0);
	if (f->fwd.nat) {
		/* the tuple forward packets leave with (the contract's names) */
		ct_addr(s, sizeof(s), k->family, f->fwd.xsrc);
		ct_addr(d, sizeof(d), k->family, f->fwd.xdst);
		json_kv_string(w, "nat", ct_nat_kind(&f->fwd));
		json_kv_string(w, "xsrc", s);
		json_kv_string(w, "xdst", d);
		json_kv_uint(w, "xsport", f->fwd.xsport);
		json_kv_uint(w, "xdport", f->fwd.xdport);
		if (f->fwd.flags & POLC_CT_F_DNAT)
			json_kv_uint(w, "backend_slot", f->fwd.backend);
	}
	json_object_end(w);
}

/* One instance's expired flows removed; -ENOENT when it does not track. */
static int ct_gc_one(struct polrt *rt, const char *name, struct json_writer *w)
{
	uint32_t removed;
	int err = polrt_ct_gc(rt, name, &removed);

	if (err)
		return err;
	if (w) {
		json_object_begin(w);
		json_kv_string(w, "instance", name);
		json_kv_uint(w, "removed", removed);
		json_object_end(w);
	} else {
		printf("%s: removed %u expired entr%s\n", name, removed, removed == 1 ? "y" : "ies");
	}
	return 0;
}

/* One instance's flows listed; -ENOENT when it does not track. */
static int ct_list_one(struct polrt *rt, const char *name, struct json_writer *w)
{
	struct polrt_ct_table t;
	int err = polrt_ct_list(rt, name, &t);

	if (err)
		return err;
	if (w) {
		json_object_begin(w);
		json_kv_string(w, "instance", name);
		json_kv_uint(w, "entries", t.entries);
		json_kv_uint(w, "size", t.size);
		json_kv_uint(w, "expired", t.expired);
		json_key(w, "flows");
		json_array_begin(w);
		for (size_t j = 0; j < t.n; j++)
			ct_flow_json(w, &t.flows[j]);
		json_array_end(w);
		json_object_end(w);
	} else {
		printf("%s: %zu flow%s, %u of %u entries (%.1f%%), %u expired\n", name, t.n,
		       t.n == 1 ? "" : "s", t.entries, t.size,
		       t.size ? 100.0 * t.entries / t.size : 0.0, t.expired);
		for (size_t j = 0; j < t.n; j++)
			ct_flow_text(&t.flows[j]);
	}
	polrt_ct_table_release(&t);
	return 0;
}

/* polctl ct [gc] [INSTANCE]: without a name, the instances that track. */
static int cmd_ct(struct polrt *rt, const struct cli *c)
{
	bool gc = c->n_args >= 1 && strcmp(c->args[0], "gc") == 0;
	struct cli sub = *c;
	char **names = NULL;
	size_t n = 0, shown = 0;
	struct json_writer w;

	sub.args += gc;
	sub.n_args -= gc;
	int rc = selected(rt, &sub, &names, &n);
	if (rc)
		return rc;
	if (c->json) {
		json_init(&w, stdout, c->pretty);
		json_array_begin(&w);
	}
	for (size_t i = 0; i < n; i++) {
		struct json_writer *jw = c->json ? &w : NULL;
		int err = gc ? ct_gc_one(rt, names[i], jw) : ct_list_one(rt, names[i], jw);
		if (err == -ENOENT && sub.n_args == 0)
			continue; /* an untracked instance, not asked for by name */
		if (err)
			rc = EXIT_FAIL;
		else
			shown++;
	}
	if (c->json) {
		json_array_end(&w);
		json_finish(&w);
	} else if (!shown && sub.n_args == 0 && rc == 0) {
		printf("no applied policy tracks connections\n");
	}
	polrt_names_free(names, n);
	return rc;
}

/* ---- NAT ------------------------------------------------------------------ */

static void nat_addr_text(const struct polc_nat_snat *e, char *buf, size_t len)
{
	struct polc_nat_backend b = { .family = e->family };

	memcpy(b.addr, e->addr, sizeof(b.addr));
	if (e->family)
		polrt_nat_backend_format(&b, buf, len);
	else
		snprintf(buf, len, "none");
}

static void nat_text(const struct polrt_nat_info *n)
{
	const struct polrt_status *st = &n->status;
	char text[64];

	printf("%s: policy %s on %s%s%s (%s)\n", st->instance, st->policy, st->ifname,
	       st->netns[0] ? " in netns " : "", st->netns, polrt_hook_name(st->hook));
	for (size_t i = 0; i < n->n_services; i++) {
		const struct polrt_nat_service *s = &n->services[i];
		printf("  service%s%s (rule %u, line %u): %s, %u backend%s, half %u%s\n",
		       *s->label ? " " : "", s->label, s->rule, s->line,
		       polrt_nat_balance_name(s->balance), s->count,
		       s->count == 1 ? "" : "s", s->half, s->count ? "" : " (new flows are dropped)");
		printf("    %s\n", s->text);
		for (uint32_t j = 0; j < s->count; j++) {
			polrt_nat_backend_format(&s->backends[j], text, sizeof(text));
			printf("    -> %s\n", text);
		}
	}
	for (size_t i = 0; i < n->n_snats; i++) {
		const struct polrt_nat_snat_rule *s = &n->snats[i];
		char a4[64], a6[64];
		nat_addr_text(&s->elem[0], a4, sizeof(a4));
		nat_addr_text(&s->elem[1], a6, sizeof(a6));
		printf("  snat%s%s (rule %u, line %u): to %s: IPv4 %s, IPv6 %s, ports %u-%u\n",
		       *s->label ? " " : "", s->label, s->rule, s->line,
		       s->ifaddr ? "the interface" : "a fixed address", a4, a6, s->elem[0].port_min,
		       s->elem[0].port_max);
		printf("    %s\n", s->text);
	}
	if (n->have_stats)
		nat_drops_text(n);
}

static void nat_json(struct json_writer *w, const struct polrt_nat_info *n)
{
	const struct polrt_status *st = &n->status;
	char text[64];

	json_object_begin(w);
	json_kv_string(w, "instance", st->instance);
	json_kv_string(w, "policy", st->policy);
	json_kv_string(w, "device", st->ifname);
	json_kv_string(w, "netns", st->netns);
	json_kv_string(w, "hook", polrt_hook_name(st->hook));
	json_key(w, "services");
	json_array_begin(w);
	for (size_t i = 0; i < n->n_services; i++) {
		const struct polrt_nat_service *s = &n->services[i];
		json_object_begin(w);
		json_kv_uint(w, "id", s->id);
		json_kv_uint(w, "rule", s->rule);
		json_kv_uint(w, "line", s->line);
		json_kv_string(w, "label", s->label);
		json_kv_string(w, "source", s->text);
		json_kv_string(w, "balance", polrt_nat_balance_name(s->balance));
		json_kv_uint(w, "half", s->half);
		json_kv_uint(w, "count", s->count);
		json_key(w, "backends");
		json_array_begin(w);
		for (uint32_t j = 0; j < s->count; j++) {
			struct polc_nat_backend b = s->backends[j];
			b.port = 0;
			polrt_nat_backend_format(&b, text, sizeof(text));
			json_object_begin(w);
			json_kv_string(w, "address", text);
			json_kv_uint(w, "port", s->backends[j].port);
			json_kv_uint(w, "family", s->backends[j].family);
			json_object_end(w);
		}
		json_array_end(w);
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "snat");
	json_array_begin(w);
	for (size_t i = 0; i < n->n_snats; i++) {
		const struct polrt_nat_snat_rule *s = &n->snats[i];
		json_object_begin(w);
		json_kv_uint(w, "id", s->id);
		json_kv_uint(w, "rule", s->rule);
		json_kv_uint(w, "line", s->line);
		json_kv_string(w, "label", s->label);
		json_kv_string(w, "source", s->text);
		json_kv_bool(w, "interface", s->ifaddr);
		for (int f = 0; f < 2; f++) {
			json_key(w, f ? "ipv6" : "ipv4");
			if (s->elem[f].family) {
				nat_addr_text(&s->elem[f], text, sizeof(text));
				json_string(w, text);
			} else {
				json_null(w);
			}
		}
		json_kv_uint(w, "port_min", s->elem[0].port_min);
		json_kv_uint(w, "port_max", s->elem[0].port_max);
		json_object_end(w);
	}
	json_array_end(w);
	if (n->have_stats) {
		json_key(w, "stats");
		json_object_begin(w);
		nat_drops_json(w, n);
		json_object_end(w);
	}
	json_object_end(w);
}

static int nat_one(struct polrt *rt, const char *name, struct json_writer *w)
{
	struct polrt_nat_info n;
	int err = polrt_nat_info(rt, name, &n);

	if (err)
		return err;
	if (w)
		nat_json(w, &n);
	else
		nat_text(&n);
	polrt_nat_info_release(&n);
	return 0;
}

static int cmd_nat_set(struct polrt *rt, const struct cli *c)
{
	struct polrt_nat_set_result res;

	if (c->n_args < 3)
		return usage_error("nat set takes an instance, a service and backends (none: drop "
				   "new flows)");
	double t0 = now_ms();
	if (polrt_nat_set(rt, c->args[1], c->args[2], (const char *const *)c->args + 3,
			  (size_t)(c->n_args - 3), &res))
		return EXIT_FAIL;
	fprintf(stderr, "polctl: %s service %s%s%s%u%s: %u → %u backend%s, half %u, %.1f ms\n",
		c->args[1], res.label, *res.label ? " (" : "", "rule ", res.rule, *res.label ? ")" : "",
		res.before, res.after,
		res.after == 1 ? "" : "s", res.half, now_ms() - t0);
	return 0;
}

/* polctl nat [INSTANCE] | nat set ...: without a name, the instances with NAT rules. */
static int cmd_nat(struct polrt *rt, const struct cli *c)
{
	char **names = NULL;
	size_t n = 0, shown = 0;
	struct json_writer w;

	if (c->n_args >= 1 && strcmp(c->args[0], "set") == 0)
		return cmd_nat_set(rt, c);
	int rc = selected(rt, c, &names, &n);
	if (rc)
		return rc;
	if (c->json) {
		json_init(&w, stdout, c->pretty);
		json_array_begin(&w);
	}
	for (size_t i = 0; i < n; i++) {
		struct polrt_status st;
		if (c->n_args == 0 &&
		    (polrt_status(rt, names[i], &st) || (!st.nat_services && !st.nat_snats)))
			continue; /* not asked for by name: only the instances with NAT */
		if (nat_one(rt, names[i], c->json ? &w : NULL))
			rc = EXIT_FAIL;
		else
			shown++;
	}
	if (c->json) {
		json_array_end(&w);
		json_finish(&w);
	} else if (!shown && c->n_args == 0 && rc == 0) {
		printf("no applied policy has dnat or snat rules\n");
	}
	polrt_names_free(names, n);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct polrt *rt = NULL;
	int rc = parse_args(&c, argc, argv);

	if (rc)
		return rc;
	if (strcmp(c.command, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(c.command, "version") == 0) {
		printf("polctl %s (libbpf %s)\n", POLC_VERSION, libbpf_version_string());
		return 0;
	}

	g_verbose = c.verbose;
	libbpf_set_print(libbpf_print);
	struct polrt_opts opts = {
		.sz = sizeof(opts),
		.root = c.root,
		.log = log_stderr,
		.verbose = c.verbose,
	};
	if (polrt_new(&rt, &opts))
		return usage_error("invalid --root '%s' (an absolute path)", c.root);

	static const struct {
		const char *name;
		int (*fn)(struct polrt *, const struct cli *);
	} commands[] = {
		{ "apply", cmd_apply },	  { "detach", cmd_detach }, { "status", cmd_status },
		{ "stats", cmd_stats },	  { "show", cmd_show }, { "set", cmd_set },
		{ "ct", cmd_ct },	  { "nat", cmd_nat },
	};
	rc = -1;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(c.command, commands[i].name) == 0)
			rc = commands[i].fn(rt, &c);
	if (rc < 0)
		rc = usage_error("unknown command '%s'", c.command);
	polrt_free(&rt);
	return rc;
}
