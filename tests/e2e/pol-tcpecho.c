/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pol-tcpecho: a tiny, bounded TCP/UDP server and client for the end-to-end
 * NAT tests.  The server tells every client who it is and whom it sees:
 *
 *   pol-tcpecho serve tcp|udp PORT NAME [--lifetime S] [--echo]
 *   pol-tcpecho connect tcp|udp ADDR PORT COUNT [--sport BASE] [--timeout MS] [--hold S]
 *                                             [--bytes N [--size S]]
 *
 * serve listens on PORT of every IPv4 and IPv6 address.  TCP: each accepted
 * connection gets one line "NAME PEER_ADDR:PEER_PORT\n" (the peer as the
 * server sees it, an IPv6 one as [ADDR]:PORT), and the same line again for
 * every chunk the client sends later; the server closes when the client
 * does.  UDP: each datagram is answered with one datagram of that text, sent
 * from the address it came to.  The server prints "listening tcp|udp PORT"
 * once its sockets are bound, then one line "tcp|udp PEER" per connection
 * or datagram, and exits after S seconds (default 120).  With --echo it
 * echoes instead: a TCP connection gets its line, then every byte the client
 * sends back (the server stops reading while its copy waits to be sent); a
 * UDP datagram other than "?\n" comes back as it is ("?\n" still gets the
 * line).
 *
 * connect makes COUNT sequential connections (UDP: exchanges, each from a
 * new socket) to ADDR PORT and prints one line per attempt: the server's
 * reply, or "ERROR <reason>".  --sport binds source port BASE+i for attempt i
 * (SO_REUSEADDR).  A TCP connection is closed with a reset (SO_LINGER 0), so
 * that no TIME_WAIT keeps a source port from being used again at once.
 * Every operation (connect, each read) gives up after --timeout MS (default
 * 2000); a UDP request is sent again twice within that time.  --hold S keeps
 * each connection (UDP: socket) open S seconds after its reply, which is
 * printed first; each second it sends a probe and expects the same reply
 * (same backend, same translated peer), then prints "HELD S s, N probes:
 * <reply>" or "ERROR held: <reason>".
 *
 * --bytes N (for a server with --echo; not with --hold) sends each
 * connection N pseudo-random bytes after its reply, which is printed first,
 * and expects them back identical, then prints "ECHOED N bytes in T ms:
 * <reply>" or "ERROR echo: <reason>".  TCP: sent and read at once, given up
 * when no byte moves either way for --timeout MS.  UDP: datagrams of --size S
 * bytes (default 1200; an 8-byte sequence number, then up to S - 8 of the N
 * bytes), one at a time, each expected back within --timeout MS and sent
 * again twice within that time; late copies of earlier ones (and of the
 * reply) are ignored.
 * The bytes of attempt i are the same on every run.  Exit status: 0 if
 * every attempt succeeded, 1 if one failed, 2 for bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 256
#define MAX_CONNS 1024
#define MAX_COUNT 100000
#define MAX_SECONDS 86400
#define UDP_SENDS 3 /* a UDP request is sent at most this many times per timeout */
#define ECHO_BUF 65536 /* TCP echo: bytes a server connection reads before it sends them back */
#define MAX_BYTES (1L << 30)
#define UDP_SEQ_LEN 8 /* --bytes over UDP: the sequence number before each datagram's bytes */
#define UDP_SIZE_MIN (UDP_SEQ_LEN + 1)
#define UDP_SIZE_MAX 65000
#define UDP_SIZE_DEFAULT 1200

static const char *prog = "pol-tcpecho";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s serve tcp|udp PORT NAME [--lifetime S] [--echo]\n"
		"       %s connect tcp|udp ADDR PORT COUNT [--sport BASE] [--timeout MS] [--hold S]\n"
		"              [--bytes N [--size S]]\n",
		prog, prog);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

/* A decimal number in [min, max]; false (and a message) otherwise. */
static bool parse_num(const char *s, long min, long max, const char *what, long *out)
{
	char *end;
	long v;

	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		goto bad;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return true;
bad:
	fprintf(stderr, "%s: %s must be a number from %ld to %ld, not '%s'\n", prog, what, min, max,
		s ? s : "");
	return false;
}

static bool parse_proto(const char *s, int *socktype)
{
	if (s && !strcmp(s, "tcp"))
		*socktype = SOCK_STREAM;
	else if (s && !strcmp(s, "udp"))
		*socktype = SOCK_DGRAM;
	else {
		fprintf(stderr, "%s: protocol must be tcp or udp, not '%s'\n", prog, s ? s : "");
		return false;
	}
	return true;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll(): >= 0, capped. */
static int left_ms(long long deadline)
{
	long long d = deadline - now_ms();

	if (d < 0)
		return 0;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* "a.b.c.d:port", "[v6]:port"; an IPv4-mapped IPv6 address as IPv4. */
static void format_peer(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
			snprintf(buf, size, "%s:%u", a, ntohs(s6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
			snprintf(buf, size, "[%s]:%u", a, ntohs(s6->sin6_port));
		}
	} else {
		snprintf(buf, size, "unknown:0");
	}
}

/* ------------------------------------------------------------------ serve */

/* --echo: what a TCP connection read and has not sent back yet */
struct echo_buf {
	char *data; /* ECHO_BUF bytes */
	size_t off, len; /* data[off, len) is still to be sent */
};

struct server {
	int socktype;
	bool echo;
	const char *name;
	int listen_fd[2]; /* IPv4, IPv6 (-1: none) */
	int conn_fd[MAX_CONNS];
	char conn_line[MAX_CONNS][LINE_MAX_LEN];
	struct echo_buf conn_echo[MAX_CONNS]; /* --echo (TCP) */
	int n_conns;
};

static int open_listener(int family, int socktype, int port)
{
	int one = 1, fd;
	struct sockaddr_storage ss = {0};
	socklen_t len;

	fd = socket(family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*s4);
		if (socktype == SOCK_DGRAM &&
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		len = sizeof(*s6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			goto fail;
		if (socktype == SOCK_DGRAM &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	if (socktype == SOCK_STREAM && listen(fd, 512) < 0)
		goto fail;
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

static void server_close_conn(struct server *s, int i)
{
	close(s->conn_fd[i]);
	free(s->conn_echo[i].data);
	s->n_conns--;
	s->conn_fd[i] = s->conn_fd[s->n_conns];
	memcpy(s->conn_line[i], s->conn_line[s->n_conns], LINE_MAX_LEN);
	s->conn_echo[i] = s->conn_echo[s->n_conns];
	s->conn_echo[s->n_conns] = (struct echo_buf){0};
}

static void server_accept(struct server *s, int lfd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char p[INET6_ADDRSTRLEN + 16];
	char *line;
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
			fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
		return;
	}
	format_peer(&peer, p, sizeof(p));
	printf("tcp %s\n", p);
	line = s->conn_line[s->n_conns];
	snprintf(line, LINE_MAX_LEN, "%s %s\n", s->name, p);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		close(fd);
		return;
	}
	s->conn_echo[s->n_conns] = (struct echo_buf){0};
	if (s->echo && !(s->conn_echo[s->n_conns].data = malloc(ECHO_BUF))) {
		fprintf(stderr, "%s: out of memory for connection of %s\n", prog, p);
		close(fd);
		return;
	}
	s->conn_fd[s->n_conns++] = fd;
}

/* --echo: send what connection i still owes; false when it is broken. */
static bool server_echo_flush(struct server *s, int i)
{
	struct echo_buf *e = &s->conn_echo[i];

	while (e->off < e->len) {
		ssize_t n = send(s->conn_fd[i], e->data + e->off, e->len - e->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		e->off += (size_t)n;
	}
	e->off = e->len = 0;
	return true;
}

/* --echo: connection i is readable (nothing owed) or writable (something
 * owed); EOF or an error closes it. */
static void server_echo(struct server *s, int i)
{
	struct echo_buf *e = &s->conn_echo[i];
	ssize_t n;

	if (e->off < e->len) {
		if (!server_echo_flush(s, i))
			server_close_conn(s, i);
		return;
	}
	n = recv(s->conn_fd[i], e->data, ECHO_BUF, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		server_close_conn(s, i);
		return;
	}
	e->off = 0;
	e->len = (size_t)n;
	if (!server_echo_flush(s, i))
		server_close_conn(s, i);
}

/* Data from a connection: answer each chunk with the line again; EOF or an
 * error closes it. */
static void server_read(struct server *s, int i)
{
	char buf[512];
	ssize_t n = recv(s->conn_fd[i], buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0 || send(s->conn_fd[i], s->conn_line[i], strlen(s->conn_line[i]),
			   MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		server_close_conn(s, i);
}

/* One datagram: reply from the address it was sent to (the pktinfo it came
 * with), so that a server with several addresses answers from the right one. */
static void server_udp(struct server *s, int fd)
{
	static char buf[65536]; /* --echo: a datagram of any size */
	char line[LINE_MAX_LEN], p[INET6_ADDRSTRLEN + 16];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cin, cout;
	struct sockaddr_storage peer;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {
		.msg_name = &peer, .msg_namelen = sizeof(peer),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cin.buf, .msg_controllen = sizeof(cin.buf),
	};
	struct cmsghdr *c, *o;
	size_t olen = 0;
	ssize_t len = recvmsg(fd, &m, MSG_DONTWAIT);

	if (len < 0)
		return;
	format_peer(&peer, p, sizeof(p));
	printf("udp %s\n", p);
	snprintf(line, sizeof(line), "%s %s\n", s->name, p);

	memset(cout.buf, 0, sizeof(cout.buf));
	o = (struct cmsghdr *)cout.buf;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			olen = CMSG_SPACE(sizeof(pi));
			break;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			if (!IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				pi.ipi6_ifindex = 0;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			olen = CMSG_SPACE(sizeof(pi));
			break;
		}
	}
	if (s->echo && !(len == 2 && !memcmp(buf, "?\n", 2))) {
		if (m.msg_flags & MSG_TRUNC) {
			fprintf(stderr, "%s: udp datagram from %s longer than %zu bytes: not echoed\n",
				prog, p, sizeof(buf));
			return;
		}
		iov.iov_len = (size_t)len; /* iov_base is still buf */
	} else {
		iov.iov_base = line;
		iov.iov_len = strlen(line);
	}
	m.msg_control = olen ? cout.buf : NULL;
	m.msg_controllen = olen;
	m.msg_flags = 0;
	if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		fprintf(stderr, "%s: udp reply to %s: %s\n", prog, p, strerror(errno));
}

static int serve(int argc, char **argv)
{
	static struct server s; /* large: not on the stack */
	struct pollfd pfd[2 + MAX_CONNS];
	long port, lifetime = 120;
	long long deadline;
	int i, n_listen = 0;

	if (argc < 5)
		return bad_usage("serve needs a protocol, a port and a name");
	if (!parse_proto(argv[2], &s.socktype) || !parse_num(argv[3], 1, 65535, "PORT", &port))
		return 2;
	s.name = argv[4];
	if (!*s.name || strlen(s.name) > 64 || strpbrk(s.name, " \t\r\n"))
		return bad_usage("NAME must be 1 to 64 characters without blanks");
	for (i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--lifetime")) {
			if (i + 1 >= argc)
				return bad_usage("'--lifetime' needs a value");
			if (!parse_num(argv[++i], 1, MAX_SECONDS, "--lifetime", &lifetime))
				return 2;
		} else if (!strcmp(argv[i], "--echo")) {
			s.echo = true;
		} else {
			return bad_usage("unknown argument '%s'", argv[i]);
		}
	}

	s.listen_fd[0] = open_listener(AF_INET, s.socktype, (int)port);
	if (s.listen_fd[0] < 0) {
		fprintf(stderr, "%s: IPv4 %s port %ld: %s\n", prog, argv[2], port, strerror(errno));
		return 1;
	}
	s.listen_fd[1] = open_listener(AF_INET6, s.socktype, (int)port);
	if (s.listen_fd[1] < 0 && errno != EAFNOSUPPORT) {
		fprintf(stderr, "%s: IPv6 %s port %ld: %s\n", prog, argv[2], port, strerror(errno));
		close(s.listen_fd[0]);
		return 1;
	}
	printf("listening %s %ld\n", argv[2], port);
	fflush(stdout);

	deadline = now_ms() + lifetime * 1000;
	while (now_ms() < deadline) {
		int n = 0, r;

		for (i = 0; i < 2; i++) {
			/* a full connection table leaves new ones in the backlog */
			if (s.listen_fd[i] >= 0 && s.n_conns < MAX_CONNS) {
				pfd[n].fd = s.listen_fd[i];
				pfd[n++].events = POLLIN;
			}
		}
		n_listen = n;
		for (i = 0; i < s.n_conns; i++) {
			pfd[n].fd = s.conn_fd[i];
			/* --echo: no more reading while a copy waits to be sent */
			pfd[n++].events = s.conn_echo[i].off < s.conn_echo[i].len ? POLLOUT : POLLIN;
		}
		r = poll(pfd, n, left_ms(deadline));
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "%s: poll: %s\n", prog, strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		/* connections first, from the last (closing one moves the last into its place) */
		for (i = n - 1; i >= n_listen; i--) {
			if (!pfd[i].revents)
				continue;
			if (s.echo)
				server_echo(&s, i - n_listen);
			else
				server_read(&s, i - n_listen);
		}
		for (i = 0; i < n_listen; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (s.socktype == SOCK_STREAM)
				server_accept(&s, pfd[i].fd);
			else
				server_udp(&s, pfd[i].fd);
		}
		fflush(stdout);
	}
	for (i = 0; i < s.n_conns; i++) {
		close(s.conn_fd[i]);
		free(s.conn_echo[i].data);
	}
	for (i = 0; i < 2; i++)
		if (s.listen_fd[i] >= 0)
			close(s.listen_fd[i]);
	return 0;
}

/* ---------------------------------------------------------------- connect */

struct client {
	int socktype;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	long count, sport, timeout_ms, hold_s;
	long bytes, size; /* --bytes, --size */
};

/* Why the current attempt failed (printed as "ERROR <why>"). */
static char why[LINE_MAX_LEN + 64];

static bool failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return false;
}

/* Wait for events on fd until deadline: true when one came. */
static bool wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do {
		r = poll(&p, 1, left_ms(deadline));
	} while (r < 0 && errno == EINTR);
	return r > 0;
}

/* Non-printable bytes of a reply as '?', the newline cut. */
static void clean_line(char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r') {
			*s = 0;
			break;
		}
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
	}
}

static int client_socket(const struct client *c, long i)
{
	int one = 1, fd;

	fd = socket(c->dst.ss_family, c->socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		failf("socket: %s", strerror(errno));
		return -1;
	}
	if (c->sport) {
		struct sockaddr_storage src = {0};
		socklen_t len;
		int port = (int)(c->sport + i);

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (c->dst.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&src;

			s4->sin_family = AF_INET;
			s4->sin_port = htons(port);
			len = sizeof(*s4);
		} else {
			struct sockaddr_in6 *s6 = (void *)&src;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(port);
			len = sizeof(*s6);
		}
		if (bind(fd, (struct sockaddr *)&src, len) < 0) {
			failf("bind source port %d: %s", port, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* TCP: one line from fd before deadline. */
static bool tcp_read_line(int fd, char *line, size_t size, long long deadline)
{
	size_t have = 0;

	for (;;) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline))
			return failf("read: no reply within the timeout");
		n = recv(fd, line + have, size - 1 - have, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return failf("read: %s", strerror(errno));
		if (n == 0)
			return failf("read: connection closed before a full reply");
		have += (size_t)n;
		line[have] = 0;
		if (memchr(line, '\n', have)) {
			clean_line(line);
			return true;
		}
		if (have == size - 1)
			return failf("read: reply longer than %zu bytes", size - 2);
	}
}

/* UDP: send a request and wait for one reply, sending it again (UDP_SENDS
 * times in all) if none comes. */
static bool udp_exchange(int fd, char *line, size_t size, long timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int sends;

	for (sends = 1; sends <= UDP_SENDS; sends++) {
		long long next = now_ms() + timeout_ms / UDP_SENDS;
		ssize_t n;

		if (sends == UDP_SENDS || next > deadline)
			next = deadline;
		if (send(fd, "?\n", 2, MSG_NOSIGNAL) < 0)
			return failf("send: %s", strerror(errno));
		while (wait_fd(fd, POLLIN, next)) {
			n = recv(fd, line, size - 1, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0)
				return failf("recv: %s", strerror(errno));
			line[n] = 0;
			clean_line(line);
			return true;
		}
	}
	return failf("no reply within %ld ms (%d requests)", timeout_ms, UDP_SENDS);
}

static bool exchange(const struct client *c, int fd, char *line, size_t size)
{
	if (c->socktype == SOCK_DGRAM)
		return udp_exchange(fd, line, size, c->timeout_ms);
	if (send(fd, "?\n", 2, MSG_NOSIGNAL) < 0)
		return failf("send: %s", strerror(errno));
	return tcp_read_line(fd, line, size, now_ms() + c->timeout_ms);
}

/* Keep the connection hold_s seconds, a probe each second: each must bring
 * back the first reply. */
static bool hold(const struct client *c, int fd, const char *first)
{
	long long end = now_ms() + c->hold_s * 1000;
	char line[LINE_MAX_LEN];
	long probes = 0;

	while (now_ms() < end) {
		long long next = now_ms() + 1000;

		if (next > end)
			next = end;
		while (left_ms(next) > 0)
			poll(NULL, 0, left_ms(next));
		if (!exchange(c, fd, line, sizeof(line))) {
			char cause[sizeof(why)];

			memcpy(cause, why, sizeof(cause));
			return failf("held: probe %ld: %s", probes + 1, cause);
		}
		probes++;
		if (strcmp(line, first))
			return failf("held: probe %ld: reply changed to '%s'", probes, line);
	}
	printf("HELD %ld s, %ld probes: %s\n", c->hold_s, probes, first);
	return true;
}

/* ---- --bytes: pseudo-random bytes, echoed ---- */

static unsigned long long splitmix64(unsigned long long x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Bytes [off, off + len) of attempt i's stream: the same on every run. */
static void stream_fill(long i, long off, unsigned char *buf, size_t len)
{
	unsigned long long seed = splitmix64(0x706f6c63ull + (unsigned long long)i), w = 0;
	long k;
	size_t j;

	for (j = 0; j < len; j++) {
		k = off + (long)j;
		if (j == 0 || k % 8 == 0)
			w = splitmix64(seed ^ (unsigned long long)(k / 8));
		buf[j] = (unsigned char)(w >> (8 * (k % 8)));
	}
}

/* The first offset where got differs from attempt i's stream at off, or -1. */
static long stream_diff(long i, long off, const unsigned char *got, size_t len,
			unsigned char *want)
{
	size_t j;

	stream_fill(i, off, want, len);
	for (j = 0; j < len; j++)
		if (got[j] != want[j])
			return off + (long)j;
	return -1;
}

/* TCP: c->bytes to fd and the same back, at once, until no byte moves for
 * c->timeout_ms. */
static bool tcp_bulk(const struct client *c, int fd, long i)
{
	static unsigned char out[ECHO_BUF], in[ECHO_BUF], want[ECHO_BUF];
	long sent = 0, got = 0;
	long long deadline = now_ms() + c->timeout_ms;

	while (got < c->bytes) {
		struct pollfd p = {.fd = fd, .events = POLLIN | (sent < c->bytes ? POLLOUT : 0)};
		int r = poll(&p, 1, left_ms(deadline));
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return failf("echo: poll: %s", strerror(errno));
		if (r == 0)
			return failf("echo: no byte moved within %ld ms (sent %ld, received %ld of %ld)",
				     c->timeout_ms, sent, got, c->bytes);
		if ((p.revents & POLLOUT) && sent < c->bytes) {
			size_t len = c->bytes - sent < (long)sizeof(out) ? (size_t)(c->bytes - sent)
									 : sizeof(out);

			stream_fill(i, sent, out, len);
			n = send(fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return failf("echo: send after %ld of %ld bytes: %s", sent, c->bytes,
					     strerror(errno));
			if (n > 0) {
				sent += n;
				deadline = now_ms() + c->timeout_ms;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			long at;

			n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				continue;
			if (n < 0)
				return failf("echo: recv after %ld of %ld bytes: %s", got, c->bytes,
					     strerror(errno));
			if (n == 0)
				return failf("echo: connection closed after %ld of %ld bytes", got,
					     c->bytes);
			if (got + n > sent)
				return failf("echo: %ld bytes back, only %ld sent", got + n, sent);
			at = stream_diff(i, got, in, (size_t)n, want);
			if (at >= 0)
				return failf("echo: byte %ld came back as 0x%02x, sent 0x%02x", at,
					     in[at - got], want[at - got]);
			got += n;
			deadline = now_ms() + c->timeout_ms;
		}
	}
	return true;
}

/* UDP: c->bytes in datagrams of c->size (sequence number first), each sent
 * until it comes back identical, UDP_SENDS times within c->timeout_ms. */
static bool udp_bulk(const struct client *c, int fd, long i, const char *first)
{
	size_t first_len = strlen(first);
	static unsigned char out[UDP_SIZE_MAX], in[UDP_SIZE_MAX + 1], want[UDP_SIZE_MAX];
	long per = c->size - UDP_SEQ_LEN, n_dgrams = (c->bytes + per - 1) / per, k;

	for (k = 0; k < n_dgrams; k++) {
		long off = k * per;
		size_t len = UDP_SEQ_LEN + (size_t)(c->bytes - off < per ? c->bytes - off : per);
		long long deadline = now_ms() + c->timeout_ms;
		bool back = false;
		int sends;

		for (int b = 0; b < UDP_SEQ_LEN; b++)
			out[b] = (unsigned char)((unsigned long long)k >> (8 * (UDP_SEQ_LEN - 1 - b)));
		stream_fill(i, off, out + UDP_SEQ_LEN, len - UDP_SEQ_LEN);
		for (sends = 1; sends <= UDP_SENDS && !back; sends++) {
			long long next = now_ms() + c->timeout_ms / UDP_SENDS;

			if (sends == UDP_SENDS || next > deadline)
				next = deadline;
			if (send(fd, out, len, MSG_NOSIGNAL) < 0)
				return failf("echo: send datagram %ld: %s", k, strerror(errno));
			while (!back && wait_fd(fd, POLLIN, next)) {
				ssize_t n = recv(fd, in, sizeof(in), 0);
				unsigned long long seq = 0;
				long at;

				if (n < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if (n < 0)
					return failf("echo: recv datagram %ld: %s", k, strerror(errno));
				if ((size_t)n == first_len + 1 && !memcmp(in, first, first_len) &&
				    in[first_len] == '\n')
					continue; /* a late answer to a request sent again */
				if (n >= UDP_SEQ_LEN)
					for (int b = 0; b < UDP_SEQ_LEN; b++)
						seq = seq << 8 | in[b];
				if (n >= UDP_SEQ_LEN && seq < (unsigned long long)k)
					continue; /* a late copy of an earlier one */
				if ((size_t)n != len || seq != (unsigned long long)k)
					return failf("echo: datagram %ld of %zu bytes came back as %zd bytes, "
						     "sequence number %llu", k, len, n, seq);
				at = stream_diff(i, off, in + UDP_SEQ_LEN, len - UDP_SEQ_LEN, want);
				if (at >= 0)
					return failf("echo: datagram %ld: byte %ld came back as 0x%02x, "
						     "sent 0x%02x", k, at, in[UDP_SEQ_LEN + at - off],
						     want[at - off]);
				back = true;
			}
		}
		if (!back)
			return failf("echo: datagram %ld of %ld not back within %ld ms (%d sends; "
				     "%ld of %ld bytes echoed)", k, n_dgrams, c->timeout_ms, UDP_SENDS,
				     off, c->bytes);
	}
	return true;
}

static bool bulk(const struct client *c, int fd, long i, const char *first)
{
	long long start = now_ms();
	bool ok = c->socktype == SOCK_STREAM ? tcp_bulk(c, fd, i) : udp_bulk(c, fd, i, first);

	if (ok)
		printf("ECHOED %ld bytes in %lld ms: %s\n", c->bytes, now_ms() - start, first);
	return ok;
}

static bool attempt(const struct client *c, long i)
{
	char line[LINE_MAX_LEN];
	int fd = client_socket(c, i);
	bool ok = false;

	if (fd < 0)
		return false;
	if (connect(fd, (const struct sockaddr *)&c->dst, c->dst_len) < 0 && errno != EINPROGRESS) {
		failf("connect: %s", strerror(errno));
		goto out;
	}
	if (c->socktype == SOCK_STREAM) {
		int err = 0;
		socklen_t elen = sizeof(err);

		if (!wait_fd(fd, POLLOUT, now_ms() + c->timeout_ms)) {
			failf("connect: no answer within %ld ms", c->timeout_ms);
			goto out;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
			failf("connect: %s", strerror(err ? err : errno));
			goto out;
		}
		/* the server speaks first */
		if (!tcp_read_line(fd, line, sizeof(line), now_ms() + c->timeout_ms))
			goto out;
	} else if (!udp_exchange(fd, line, sizeof(line), c->timeout_ms)) {
		goto out;
	}
	printf("%s\n", line);
	fflush(stdout);
	if (c->bytes)
		ok = bulk(c, fd, i, line);
	else
		ok = c->hold_s ? hold(c, fd, line) : true;
out:
	if (c->socktype == SOCK_STREAM) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(fd);
	return ok;
}

static int connect_cmd(int argc, char **argv)
{
	struct client c = {.timeout_ms = 2000};
	struct addrinfo hints = {0}, *ai = NULL;
	long port, i, failed = 0;
	int r;

	if (argc < 6)
		return bad_usage("connect needs a protocol, an address, a port and a count");
	if (!parse_proto(argv[2], &c.socktype) || !parse_num(argv[4], 1, 65535, "PORT", &port) ||
	    !parse_num(argv[5], 1, MAX_COUNT, "COUNT", &c.count))
		return 2;
	for (i = 6; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--sport") && strcmp(a, "--timeout") && strcmp(a, "--hold") &&
		    strcmp(a, "--bytes") && strcmp(a, "--size"))
			return bad_usage("unknown argument '%s'", a);
		if (i + 1 >= argc)
			return bad_usage("'%s' needs a value", a);
		if (!strcmp(a, "--sport")) {
			if (!parse_num(argv[++i], 1, 65535, "--sport", &c.sport))
				return 2;
		} else if (!strcmp(a, "--timeout")) {
			if (!parse_num(argv[++i], 1, 600000, "--timeout", &c.timeout_ms))
				return 2;
		} else if (!strcmp(a, "--hold")) {
			if (!parse_num(argv[++i], 1, MAX_SECONDS, "--hold", &c.hold_s))
				return 2;
		} else if (!strcmp(a, "--bytes")) {
			if (!parse_num(argv[++i], 1, MAX_BYTES, "--bytes", &c.bytes))
				return 2;
		} else if (!strcmp(a, "--size")) {
			if (!parse_num(argv[++i], UDP_SIZE_MIN, UDP_SIZE_MAX, "--size", &c.size))
				return 2;
		} else {
			return bad_usage("unknown argument '%s'", a);
		}
	}
	if (c.bytes && c.hold_s)
		return bad_usage("--bytes and --hold exclude each other");
	if (c.size && !c.bytes)
		return bad_usage("--size needs --bytes");
	if (c.size && c.socktype != SOCK_DGRAM)
		return bad_usage("--size is for udp (tcp sends a stream)");
	if (!c.size)
		c.size = UDP_SIZE_DEFAULT;
	if (c.sport && c.sport + c.count - 1 > 65535)
		return bad_usage("--sport %ld with COUNT %ld goes past port 65535", c.sport, c.count);

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = c.socktype;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	r = getaddrinfo(argv[3], argv[4], &hints, &ai);
	if (r || !ai)
		return bad_usage("ADDR must be an IPv4 or IPv6 address, not '%s' (%s)", argv[3],
				 r ? gai_strerror(r) : "no address");
	memcpy(&c.dst, ai->ai_addr, ai->ai_addrlen);
	c.dst_len = ai->ai_addrlen;
	freeaddrinfo(ai);

	for (i = 0; i < c.count; i++) {
		if (!attempt(&c, i)) {
			printf("ERROR %s\n", why);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "connect"))
		return connect_cmd(argc, argv);
	return bad_usage(argc < 2 ? "a command is needed" : "unknown command '%s'",
			 argc < 2 ? "" : argv[1]);
}
