/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * polrt.h: libpolrt, the node runtime that applies polc artifacts.
 *
 * An artifact (the .o polc writes) is self-describing: polrt reads its
 * ".polc.meta" section, validates every record, and only then hands the
 * object to libbpf.  Applied policies live under one bpffs directory (the
 * root, /sys/fs/bpf/polc by default), one sub-directory per instance:
 *
 *	<root>/<instance>/prog      the program
 *	<root>/<instance>/link      the XDP link (XDP only)
 *	<root>/<instance>/rules     per-rule counters
 *	<root>/<instance>/reasons   per-reason counters
 *	<root>/<instance>/meta      a copy of the artifact's metadata
 *	<root>/<instance>/state     where and how it is attached
 *	<root>/<instance>/track/    a tracked policy's companion (prog, state),
 *	<root>/<instance>/ct, ct_cfg, ct_stats   and its conntrack maps
 *	<root>/<instance>/nat_svc, nat_be, nat_maglev, nat_rr, nat_snat
 *	                            a policy with dnat/snat rules: its NAT maps
 *
 * (bpffs reserves names containing a dot, so instance names have none.)
 *
 * so a node can be inspected and detached without the artifact file.
 *
 * Functions return 0 or a negative errno and say what went wrong in one
 * line through the context's log callback.  There is no global state: every
 * call takes the struct polrt it works for.
 */
#ifndef POLRT_H
#define POLRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "polc_contract.h"

#define POLRT_DEFAULT_ROOT "/sys/fs/bpf/polc"

enum polrt_log_level {
	POLRT_LOG_ERROR,
	POLRT_LOG_WARN,
	POLRT_LOG_INFO,
	POLRT_LOG_DEBUG,
};

typedef void (*polrt_log_fn)(void *ctx, enum polrt_log_level level,
			     const char *msg);

struct polrt_opts {
	size_t sz;        /* sizeof(struct polrt_opts) */
	const char *root; /* NULL: POLRT_DEFAULT_ROOT */
	polrt_log_fn log;
	void *log_ctx;
	bool verbose; /* pass libbpf's info messages to the log */
};

struct polrt;

/* A runtime context.  *out is untouched on failure. */
int polrt_new(struct polrt **out, const struct polrt_opts *opts);
void polrt_free(struct polrt **rt);

/* ---- metadata ------------------------------------------------------------ */

/* A validated view of a ".polc.meta" blob; pointers point into the blob. */
struct polrt_meta {
	const struct polc_meta_header *hdr;
	const struct polc_meta_policy *policies;
	const struct polc_meta_prog *progs;
	const struct polc_meta_rule *rules;
	const struct polc_meta_set *sets;
	const uint32_t *setrefs;
	const struct polc_meta_init *inits;
	const struct polc_meta_nat *nats; /* per policy: nats[first_nat .. + n_nats) */
	const char *strings;
	uint32_t strings_size;
};

/*
 * Check every field and offset of blob[0..len) and fill *m.  On failure
 * returns -EINVAL and writes the reason into why (a sentence).  Safe on any
 * input: this is what the artifact fuzzer drives.
 */
int polrt_meta_parse(const void *blob, size_t len, struct polrt_meta *m,
		     char *why, size_t why_len);

/*
 * Check that every record's reference into ".polc.data" (data_len bytes,
 * 8-byte aligned) lies inside it.  A separate step: the metadata copy a
 * node keeps has no data section.
 */
int polrt_meta_check_data(const struct polrt_meta *m, size_t data_len, char *why,
			  size_t why_len);

/*
 * Check the compiled pools of the dnat rules (data: the ".polc.data" bytes
 * polrt_meta_check_data() accepted): families, no duplicates.
 */
int polrt_meta_check_backends(const struct polrt_meta *m, const void *data, size_t data_len,
			      char *why, size_t why_len);
/* A dnat record's compiled backends in data (n->n_backends of them), or NULL. */
const struct polc_nat_backend *polrt_meta_nat_backends(const struct polrt_meta *m,
						       const struct polc_meta_nat *n,
						       const void *data);
/* The rule of a nat record of policy p. */
const struct polc_meta_rule *polrt_meta_nat_rule(const struct polrt_meta *m,
						 const struct polc_meta_policy *p,
						 const struct polc_meta_nat *n);
const char *polrt_nat_balance_name(unsigned balance);

/* A set by name, or NULL. */
const struct polc_meta_set *polrt_meta_set(const struct polrt_meta *m, const char *name);

/* A string of the table (validated by polrt_meta_parse). */
const char *polrt_meta_str(const struct polrt_meta *m, uint32_t off);

/* The policy called name, or NULL. */
const struct polc_meta_policy *polrt_meta_policy(const struct polrt_meta *m,
						  const char *name);

const char *polrt_hook_name(enum polc_hook hook);
const char *polrt_verdict_name(enum polc_verdict v);
const char *polrt_reason_name(enum polc_reason r);

/* ---- artifacts ----------------------------------------------------------- */

struct polrt_artifact;

/* Read and validate an artifact file (an ELF object for the BPF target with
 * a valid ".polc.meta" section). */
int polrt_artifact_open(struct polrt *rt, const char *path,
			struct polrt_artifact **out);
/* The same from memory (the buffer is copied). */
int polrt_artifact_from_mem(struct polrt *rt, const void *data, size_t len,
			    const char *name, struct polrt_artifact **out);
void polrt_artifact_free(struct polrt_artifact **a);

const struct polrt_meta *polrt_artifact_meta(const struct polrt_artifact *a);
/* The metadata blob as stored in the artifact. */
const void *polrt_artifact_meta_blob(const struct polrt_artifact *a,
				     size_t *len);

/* ---- load (without attaching) ------------------------------------------- */

struct polrt_loaded;

/*
 * Load policy (NULL: the artifact's only one) into the kernel with every
 * map its program reads filled, as polrt_apply() does, but attach nothing:
 * for tests and benchmarks that run the program with BPF_PROG_TEST_RUN.
 */
int polrt_load(struct polrt *rt, const struct polrt_artifact *a, const char *policy,
	       struct polrt_loaded **out);
/* The same, with the map reuse_name of the object being the existing map
 * reuse_fd when the two are alike (a re-applied tracked policy keeps its
 * conntrack table): polctl apply's. */
int polrt_load_reusing(struct polrt *rt, const struct polrt_artifact *a, const char *policy,
		       const char *reuse_name, int reuse_fd, struct polrt_loaded **out);
int polrt_loaded_prog_fd(const struct polrt_loaded *l);
/* A tracked policy's companion program (the other direction), or -ENOENT. */
int polrt_loaded_companion_fd(const struct polrt_loaded *l);
/* A map of the loaded object by its ELF name, or -ENOENT. */
int polrt_loaded_map_fd(const struct polrt_loaded *l, const char *name);
void polrt_loaded_free(struct polrt_loaded **l);

/* What a loaded program decided for one frame. */
struct polrt_decision {
	enum polc_verdict verdict;
	uint32_t rule;           /* deciding rule id, 0 if a reason decided */
	enum polc_reason reason; /* POLC_REASON_DEFAULT when a rule or the default decided */
	bool established;        /* a tracked policy passed it as a known flow's (no rule) */
	int retval;              /* the program's return code */
	/* the frame as the program left it (NAT rewrites it), out_len bytes */
	uint8_t out[2048];
	size_t out_len;
};

/*
 * Run frame through the loaded program once (BPF_PROG_TEST_RUN) and say what
 * decided it, from which counter moved.  -EPROTO when the return code or the
 * counters do not tell one decision (a polc bug).
 */
int polrt_loaded_run(struct polrt_loaded *l, const void *frame, size_t len,
		     struct polrt_decision *d);
/* The same through a tracked policy's companion program (it passes every
 * frame; -ENOENT without one). */
int polrt_loaded_run_companion(struct polrt_loaded *l, const void *frame, size_t len,
			       struct polrt_decision *d);

/* ---- conntrack (ct.c) ---------------------------------------------------- */

/* One tracked flow: its forward entry (the tuple that opened it) and, when
 * present, its reply entry. */
struct polrt_ct_flow {
	struct polc_ct_key key;
	struct polc_ct_entry fwd, rev;
	bool has_rev;
	bool expired;     /* both entries past their state's timeout */
	uint64_t age_ns;  /* since the flow was created */
	uint64_t idle_ns; /* since the last packet either way */
};

struct polrt_ct_table {
	uint32_t size;    /* the table's capacity, in entries (two per flow) */
	uint32_t entries; /* entries in it now */
	uint32_t expired; /* of them, past their timeout (removed when met) */
	size_t n;
	struct polrt_ct_flow *flows;
};

/* The flows of a tracked instance (-ENOENT: not tracked).  Release with
 * polrt_ct_table_release(). */
int polrt_ct_list(struct polrt *rt, const char *instance, struct polrt_ct_table *t);
void polrt_ct_table_release(struct polrt_ct_table *t);
/* Remove the flows whose both entries are expired; *removed entries. */
int polrt_ct_gc(struct polrt *rt, const char *instance, uint32_t *removed);
const char *polrt_ct_state_name(unsigned state);

/* ---- apply, detach ------------------------------------------------------- */

struct polrt_apply_opts {
	size_t sz;            /* sizeof(struct polrt_apply_opts) */
	const char *ifname;   /* the device to attach to (required) */
	const char *netns;    /* a named network namespace (ip netns), or NULL */
	const char *policy;   /* the policy of the artifact to apply */
	const char *instance; /* the instance name (NULL: the policy's name) */
	bool xdp_generic;     /* XDP in generic (skb) mode */
};

/*
 * Load one policy of an artifact and attach it.  If the instance already
 * exists on the same device, the new programs replace the old ones
 * atomically (no moment without a program); a failure at any point leaves
 * the previous version running and the node as it was.
 */
int polrt_apply(struct polrt *rt, const struct polrt_artifact *a,
		const struct polrt_apply_opts *opts);

/* Detach an instance and remove its pins.  A device or namespace that is
 * gone is not an error: the pins are removed all the same. */
int polrt_detach(struct polrt *rt, const char *instance);

/* ---- status, stats ------------------------------------------------------- */

/* What polctl status reports of one instance. */
struct polrt_status {
	char instance[64];
	char policy[64];
	char ifname[16];
	char netns[64];
	uint32_t ifindex;
	enum polc_hook hook;
	bool attached;        /* our program is what the hook runs now */
	uint32_t prog_id;
	uint64_t applied_at;  /* unix time */
	char source[128];     /* policy file the artifact came from */
	char compiler[64];
	char source_sha256[65];
	char artifact[128];   /* artifact file name at apply time */
	uint32_t n_rules;
	enum polc_verdict default_verdict;
	enum polc_plan plan;
	bool xdp_generic;
	/* a tracked policy: its companion program, on the other direction */
	bool tracked;
	enum polc_hook companion_hook;
	bool companion_attached;
	/* a policy with NAT rules: how many dnat (services) and snat rules */
	uint32_t nat_services;
	uint32_t nat_snats;
};

/* Names of the applied instances, sorted; *names is malloc'd (free with
 * polrt_names_free). */
int polrt_instances(struct polrt *rt, char ***names, size_t *n);
void polrt_names_free(char **names, size_t n);

int polrt_status(struct polrt *rt, const char *instance,
		 struct polrt_status *st);

/* Counters of one instance, summed over CPUs. */
struct polrt_rule_stats {
	uint32_t id;
	enum polc_verdict verdict;
	uint32_t line;
	uint32_t col;
	const char *text;  /* points into the stats' metadata */
	const char *label;
	struct polc_counter counter;
};

struct polrt_stats {
	struct polrt_status status;
	size_t n_rules;
	struct polrt_rule_stats *rules;
	struct polc_counter reasons[POLC_REASON_COUNT_];
	void *meta_blob; /* owns the strings above */
};

int polrt_stats(struct polrt *rt, const char *instance, struct polrt_stats *s);
void polrt_stats_release(struct polrt_stats *s);

/* ---- NAT (nat.c, natctl.c) ----------------------------------------------- */

/*
 * A policy with dnat or snat rules has five maps beside its conntrack table
 * (polc_contract.h), named after its program: <prog>_nat_svc, _nat_be,
 * _nat_maglev, _nat_rr, _nat_snat.  polrt_load() fills them from the
 * artifact: each service's compiled pool in half 0 of its backends (and its
 * Maglev table), round-robin counters 0, the SNAT elements of fixed
 * addresses.  An "snat -> interface" rule's elements stay without address
 * (family 0: its packets are dropped and counted NAT_NO_ADDRESS) until
 * polrt_loaded_nat_ifaddr(); polrt_apply() calls it with the device.
 */

/* Fill the elements of every snat-to-interface rule of l with the primary
 * IPv4 address and the first global IPv6 address of device ifindex, in the
 * calling thread's network namespace (family 0 where it has none). */
int polrt_loaded_nat_ifaddr(struct polrt *rt, struct polrt_loaded *l, uint32_t ifindex);

/*
 * Give service `service` (a dnat rule's index among the policy's dnat
 * rules) the pool be[0..n), n <= POLC_NAT_POOL_MAX (0: new flows dropped):
 * written into the half the service does not use, backends and Maglev
 * table, then switched to in one update.  *half: the half now in use.  The
 * caller must let programs finish with the old half before the next change
 * (polrt_nat_set() waits 20 ms).
 */
int polrt_loaded_nat_set(struct polrt *rt, struct polrt_loaded *l, uint32_t service,
			 const struct polc_nat_backend *be, uint32_t n, uint32_t *half);

/* A backend as text: "10.2.1.2", "10.2.1.2:8080", "2001:db8::2",
 * "[2001:db8::2]:8080"; without a port, port 0 (the packet's own). */
int polrt_nat_backend_parse(const char *text, struct polc_nat_backend *b, char *why,
			    size_t why_len);
/* The reverse (an IPv6 address with a port in brackets). */
void polrt_nat_backend_format(const struct polc_nat_backend *b, char *buf, size_t len);

/* A dnat rule of an applied instance and its pool in use. */
struct polrt_nat_service {
	uint32_t id;       /* service id: the rule's order among the dnat rules */
	uint32_t rule;     /* its rule id */
	uint32_t line;
	const char *label; /* "" without one */
	const char *text;  /* the rule's source */
	enum polc_nat_balance balance;
	uint32_t family;   /* 4 or 6 when the metadata gives it, else 0 */
	uint32_t half;     /* which half of the pool is in use */
	uint32_t count;    /* active backends */
	struct polc_nat_backend *backends; /* count of them */
};

/* An snat rule and its translations as the datapath reads them. */
struct polrt_nat_snat_rule {
	uint32_t id;  /* its order among the snat rules */
	uint32_t rule;
	uint32_t line;
	const char *label;
	const char *text;
	bool ifaddr;  /* -> interface (else a fixed address) */
	struct polc_nat_snat elem[2]; /* [0] IPv4, [1] IPv6; family 0: none */
};

struct polrt_nat_info {
	struct polrt_status status;
	size_t n_services;
	struct polrt_nat_service *services;
	size_t n_snats;
	struct polrt_nat_snat_rule *snats;
	bool have_stats; /* the conntrack counters are pinned (ct_stats) */
	struct polc_counter ct_stats[POLC_CT_STAT_COUNT_];
	void *meta_blob; /* owns the strings above */
};

/* The NAT rules of an instance; -ENOENT (logged) if its policy has none.
 * Release with polrt_nat_info_release(). */
int polrt_nat_info(struct polrt *rt, const char *instance, struct polrt_nat_info *out);
void polrt_nat_info_release(struct polrt_nat_info *info);

struct polrt_nat_set_result {
	uint32_t service, rule; /* the dnat rule changed */
	char label[64];         /* its label, or "" */
	uint32_t before, after; /* backends */
	uint32_t half;          /* the half now in use */
};

/*
 * Replace the pool of a service of an applied instance: service is the
 * dnat rule's label or its rule id, backends are text (as
 * polrt_nat_backend_parse()).  Checked first (syntax, family, count,
 * duplicates): a refusal changes nothing.  Returns once no program can
 * still read the old half (20 ms after the switch).  Flows already
 * translated keep their backend.
 */
int polrt_nat_set(struct polrt *rt, const char *instance, const char *service,
		  const char *const *backends, size_t n, struct polrt_nat_set_result *res);

/* ---- named sets ----------------------------------------------------------- */

enum polrt_set_op {
	POLRT_SET_ADD,     /* add elements (already present: no change) */
	POLRT_SET_DEL,     /* remove elements (one that is absent: error, no change) */
	POLRT_SET_REPLACE, /* the set becomes exactly the elements given */
};

struct polrt_set_result {
	uint32_t before, after, size; /* elements */
};

/*
 * Change a set of an applied instance, without recompiling and without
 * touching counters.  Elements are text (as in set files: "192.0.2.0/24",
 * "80", "1024-2047"), from elems[] and/or a file (one per line, '#'
 * comments).  The change is atomic for programs: they see the set before or
 * after, never a part of it, and a failure changes nothing.
 */
int polrt_set_update(struct polrt *rt, const char *instance, const char *set,
		     enum polrt_set_op op, const char *const *elems, size_t n_elems,
		     const char *file, struct polrt_set_result *res);

struct polrt_set_info {
	char name[64];
	bool port;
	uint32_t families; /* POLC_FAMILY_* */
	uint32_t count, size;
	uint32_t nodes[2], nodes_cap[2]; /* per trie (IPv4 or ports, IPv6) */
	uint32_t bits[2], bits_cap[2];
};

/* A set's state and, if elems is not NULL, its elements as text (a
 * NULL-terminated array; free with polrt_set_elems_free). */
int polrt_set_list(struct polrt *rt, const char *instance, const char *set,
		   struct polrt_set_info *info, char ***elems);
void polrt_set_elems_free(char **elems);

#endif /* POLRT_H */
