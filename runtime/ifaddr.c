// SPDX-License-Identifier: BSD-2-Clause
/*
 * ifaddr.c: the addresses "snat -> interface" translates to: the device's
 * primary IPv4 address and its first global IPv6 address, asked of the
 * kernel over rtnetlink (RTM_GETADDR) in the calling thread's network
 * namespace (polrt_apply() has entered the device's).
 *
 * IPv4: the first address that is not IFA_F_SECONDARY.  IPv6: the first of
 * global scope, preferring one that is usable (not tentative, not
 * deprecated) to one that is still in duplicate address detection; an
 * address whose DAD failed is never taken.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "rt.h"
#include "util.h"

#define IFADDR_MAX_MESSAGES 65536 /* a bound on the dump we read */
#define IFADDR_BUF 32768

struct pick {
	int rank; /* 0: none yet; higher is better */
	uint32_t addr[4];
};

static void take(struct pick *p, int rank, const uint8_t *a, int family)
{
	if (rank <= p->rank)
		return;
	p->rank = rank;
	memset(p->addr, 0, sizeof(p->addr));
	for (int w = 0; w < (family == AF_INET ? 1 : 4); w++) {
		uint32_t n;
		memcpy(&n, a + 4 * w, 4);
		p->addr[w] = ntohl(n); /* host order, like struct polc_ct_key */
	}
}

/* One RTM_NEWADDR message of the dump. */
static void one(const struct nlmsghdr *h, uint32_t ifindex, struct pick pick[2])
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	const uint8_t *local = NULL, *address = NULL;
	uint32_t flags;

	if (len < 0 || ifa->ifa_index != ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return;
	flags = ifa->ifa_flags;
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) >= alen)
			local = RTA_DATA(rta);
		else if (rta->rta_type == IFA_ADDRESS && RTA_PAYLOAD(rta) >= alen)
			address = RTA_DATA(rta);
		else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= sizeof(uint32_t))
			memcpy(&flags, RTA_DATA(rta), sizeof(flags));
	}
	/* a point-to-point address: IFA_LOCAL is ours, IFA_ADDRESS the peer */
	const uint8_t *a = local ? local : address;
	if (!a)
		return;
	if (ifa->ifa_family == AF_INET) {
		if (!(flags & IFA_F_SECONDARY))
			take(&pick[0], 1, a, AF_INET);
		return;
	}
	if (ifa->ifa_scope != RT_SCOPE_UNIVERSE || (flags & IFA_F_DADFAILED))
		return;
	take(&pick[1], flags & (IFA_F_TENTATIVE | IFA_F_DEPRECATED) ? 1 : 2, a, AF_INET6);
}

int rt_ifaddr_get(struct polrt *rt, uint32_t ifindex, struct rt_ifaddr *out)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		       .nlmsg_type = RTM_GETADDR,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1 },
		.ifa = { .ifa_family = AF_UNSPEC },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 2 };
	struct pick pick[2] = { 0 };
	_cleanup_free_ char *buf = malloc(IFADDR_BUF);

	memset(out, 0, sizeof(*out));
	if (!buf)
		return -ENOMEM;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return rt_err(rt, errno, "cannot open a netlink socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return rt_err(rt, errno, "cannot ask the kernel for addresses: %s", strerror(errno));
	for (int msgs = 0; msgs < IFADDR_MAX_MESSAGES;) {
		ssize_t n = recv(fd, buf, IFADDR_BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return rt_err(rt, n < 0 ? errno : EIO, "cannot read the addresses of ifindex %u: %s",
				      ifindex, n < 0 ? strerror(errno) : "netlink closed");
		int len = (int)n;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len), msgs++) {
			if (h->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				goto done;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? -e->error : EIO;
				return rt_err(rt, err, "the kernel refused to list addresses: %s",
					      strerror(err));
			}
			if (h->nlmsg_type == RTM_NEWADDR)
				one(h, ifindex, pick);
		}
	}
	return rt_err(rt, E2BIG, "too many addresses to read (more than %d)", IFADDR_MAX_MESSAGES);
done:
	for (int f = 0; f < 2; f++) {
		out->has[f] = pick[f].rank > 0;
		memcpy(out->addr[f], pick[f].addr, sizeof(out->addr[f]));
	}
	return 0;
}
