// SPDX-License-Identifier: BSD-2-Clause
/*
 * polc-netfeat: the two things bench/nft.sh needs from ethtool, for
 * machines without it (the ethtool ioctl, in the caller's namespace).
 *
 *	polc-netfeat DEV FEATURE on|off...   set offload features
 *	polc-netfeat DEV --features          print every feature: name on|off
 *	polc-netfeat DEV --stats             print the driver's statistics
 *
 * FEATURE is a kernel feature name ("rx-gro", "tx-tcp-segmentation", ...)
 * or one of ethtool's short names: gro (rx-gro), gso
 * (tx-generic-segmentation), tso (every tx-tcp*-segmentation).
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *dev;
static int sock = -1;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("polc-netfeat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void ethtool(void *cmd, const char *what)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = cmd;
	/* ETHTOOL_SFEATURES answers ETHTOOL_F_* flags: >= 0 is success. */
	if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
		die("%s: %s: %s", dev, what, strerror(errno));
}

static uint32_t sset_count(uint32_t set)
{
	struct {
		struct ethtool_sset_info info;
		uint32_t data[1];
	} s = { .info = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << set } };

	ethtool(&s, "ETHTOOL_GSSET_INFO");
	return s.info.sset_mask ? s.data[0] : 0;
}

/* The names of string set `set`: n of them, ETH_GSTRING_LEN bytes each. */
static char *strings(uint32_t set, uint32_t n)
{
	struct ethtool_gstrings *g = calloc(1, sizeof(*g) + (size_t)n * ETH_GSTRING_LEN);

	if (!g)
		die("out of memory");
	g->cmd = ETHTOOL_GSTRINGS;
	g->string_set = set;
	g->len = n;
	ethtool(g, "ETHTOOL_GSTRINGS");
	char *names = malloc((size_t)n * ETH_GSTRING_LEN);
	if (!names)
		die("out of memory");
	memcpy(names, g->data, (size_t)n * ETH_GSTRING_LEN);
	for (uint32_t i = 0; i < n; i++)
		names[(i + 1) * ETH_GSTRING_LEN - 1] = '\0';
	free(g);
	return names;
}

static int print_stats(void)
{
	uint32_t n = sset_count(ETH_SS_STATS);
	char *names = strings(ETH_SS_STATS, n);
	struct ethtool_stats *st = calloc(1, sizeof(*st) + (size_t)n * sizeof(uint64_t));

	if (!st)
		die("out of memory");
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	ethtool(st, "ETHTOOL_GSTATS");
	for (uint32_t i = 0; i < n; i++)
		printf("%s %llu\n", names + i * ETH_GSTRING_LEN, (unsigned long long)st->data[i]);
	free(st);
	free(names);
	return 0;
}

/* Does the kernel feature `name` fall under what the user wrote? */
static bool feature_matches(const char *want, const char *name)
{
	if (!strcmp(want, name))
		return true;
	if (!strcmp(want, "gro"))
		return !strcmp(name, "rx-gro");
	if (!strcmp(want, "gso"))
		return !strcmp(name, "tx-generic-segmentation");
	if (!strcmp(want, "tso"))
		return !strncmp(name, "tx-tcp", 6) && strstr(name, "segmentation");
	return false;
}

static int features(int argc, char **argv, bool show)
{
	uint32_t n = sset_count(ETH_SS_FEATURES);
	uint32_t words = (n + 31) / 32;
	char *names = strings(ETH_SS_FEATURES, n);
	struct ethtool_gfeatures *gf = calloc(1, sizeof(*gf) + words * sizeof(gf->features[0]));
	struct ethtool_sfeatures *sf = calloc(1, sizeof(*sf) + words * sizeof(sf->features[0]));

	if (!gf || !sf)
		die("out of memory");
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = words;
	ethtool(gf, "ETHTOOL_GFEATURES");
	if (show) {
		for (uint32_t i = 0; i < n; i++) {
			const char *name = names + i * ETH_GSTRING_LEN;

			if (!*name)
				continue;
			bool on = gf->features[i / 32].active & (1u << (i % 32));
			bool fixed = !(gf->features[i / 32].available & (1u << (i % 32)));
			printf("%s %s%s\n", name, on ? "on" : "off", fixed ? " [fixed]" : "");
		}
		return 0;
	}
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = words;
	for (int a = 0; a + 1 < argc; a += 2) {
		bool on;
		unsigned hits = 0;

		if (!strcmp(argv[a + 1], "on"))
			on = true;
		else if (!strcmp(argv[a + 1], "off"))
			on = false;
		else
			die("%s: expected on or off after %s, not '%s'", dev, argv[a], argv[a + 1]);
		for (uint32_t i = 0; i < n; i++) {
			const char *name = names + i * ETH_GSTRING_LEN;
			uint32_t bit = 1u << (i % 32);

			if (!*name || !feature_matches(argv[a], name))
				continue;
			if (!(gf->features[i / 32].available & bit))
				continue; /* fixed: leave it, as ethtool does */
			hits++;
			sf->features[i / 32].valid |= bit;
			if (on)
				sf->features[i / 32].requested |= bit;
			else
				sf->features[i / 32].requested &= ~bit;
		}
		if (!hits)
			die("%s: no changeable feature '%s'", dev, argv[a]);
	}
	if (argc % 2)
		die("%s: feature '%s' without on or off", dev, argv[argc - 1]);
	ethtool(sf, "ETHTOOL_SFEATURES");
	free(gf);
	free(sf);
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: polc-netfeat DEV FEATURE on|off... | --features | --stats\n");
		return 2;
	}
	dev = argv[1];
	if (strlen(dev) >= IFNAMSIZ)
		die("'%s' is not a device name", dev);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0)
		die("socket: %s", strerror(errno));
	if (!strcmp(argv[2], "--stats"))
		return print_stats();
	if (!strcmp(argv[2], "--features"))
		return features(0, NULL, true);
	return features(argc - 2, argv + 2, false);
}
