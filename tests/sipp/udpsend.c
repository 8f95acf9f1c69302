/* udpsend: send one SIP message byte for byte (one UDP datagram, or over a
 * TCP connection) and report what comes back within a time limit.
 *
 * A test helper for the end-to-end SIP tests: the RFC 4475 vectors must reach
 * the PBX exactly as written (sipp rewrites what it sends), and a reply may
 * come back to the sending socket (rport, or a symmetric answer) or to the
 * port named in the top Via (RFC 3261 section 18.2.2), so it can also listen
 * on extra UDP ports.
 *
 * stdout: one line per reply, "K PORT FROM FIRST-LINE": K counts from 1, PORT
 * is the local port it arrived on, FROM the sender's ADDR:PORT. With -o PREFIX,
 * reply K is also written whole to PREFIX.K. Exit status: 0 at least one reply,
 * 1 none, 2 usage or system error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 8
#define MAX_MATCH  4
#define MAX_MSG    (1 << 20)

static void
usage(void)
{
	fprintf(
	    stderr,
	    "usage: udpsend [options] HOST:PORT [FILE]\n"
	    "       udpsend -F [-b PORT] HOST:PORT FILE...\n"
	    "  FILE      the message, sent byte for byte (default: stdin)\n"
	    "  -F        send each FILE once, in order, as one datagram, and "
	    "take\n"
	    "            no replies (many messages from one process, fast)\n"
	    "  -t        over TCP (one connection) instead of one datagram\n"
	    "  -b PORT   send from this local port (default: any free one)\n"
	    "  -a ADDR   send from this local address (default: any)\n"
	    "  -l PORT   also take replies on this local UDP port "
	    "(repeatable)\n"
	    "  -c N      send the message N times (default 1)\n"
	    "  -i MS     interval between the sends (default 200)\n"
	    "  -n N      replies expected (default 1): stop once they are in\n"
	    "  -s MS     after the N-th reply, wait MS for extra ones (default "
	    "100)\n"
	    "  -w MS     give up MS after the last send (default 1000)\n"
	    "  -m TEXT   count only the replies that contain TEXT (say, the\n"
	    "            Call-ID); the others are only noted on stderr;\n"
	    "            repeatable: a reply must contain every TEXT\n"
	    "  -o PREFIX write reply K whole to PREFIX.K\n");
	exit(2);
}

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
num(const char *s, long lo, long hi)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "udpsend: bad number \"%s\"\n", s);
		exit(2);
	}
	return (int)v;
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = (path && strcmp(path, "-") != 0) ? fopen(path, "rb") : stdin;
	char *buf;
	size_t n;
	if (!f) {
		perror(path);
		exit(2);
	}
	buf = malloc(MAX_MSG);
	if (!buf) {
		perror("malloc");
		exit(2);
	}
	n = fread(buf, 1, MAX_MSG, f);
	if (ferror(f)) {
		perror("read");
		exit(2);
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static const char *bind_addr; /* -a: the local address, else any */

/* A socket bound to PORT (0: any) on the wildcard address of FAMILY (or
 * -a's address). */
static int
bound_socket(int family, int type, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(family, type, 0), one = 1;
	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&ss, 0, sizeof ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		if (bind_addr &&
		    inet_pton(AF_INET6, bind_addr, &a->sin6_addr) != 1)
			usage();
		a->sin6_port = htons((unsigned short)port);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind_addr &&
		    inet_pton(AF_INET, bind_addr, &a->sin_addr) != 1)
			usage();
		a->sin_port = htons((unsigned short)port);
		sl = sizeof *a;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		fprintf(stderr, "udpsend: bind port %d: %s\n", port,
		        strerror(errno));
		exit(2);
	}
	return fd;
}

static int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int nreplies;
static const char *prefix, *match[MAX_MATCH];
static int nmatch;

static void
report(const char *msg, size_t len, int port,
       const struct sockaddr_storage *from, socklen_t fl)
{
	char h[NI_MAXHOST] = "?", s[NI_MAXSERV] = "?";
	size_t i;
	getnameinfo((const struct sockaddr *)from, fl, h, sizeof h, s, sizeof s,
	            NI_NUMERICHOST | NI_NUMERICSERV);
	for (i = 0; i < len && msg[i] != '\r' && msg[i] != '\n'; i++)
		;
	for (int k = 0; k < nmatch; k++)
		if (!memmem(msg, len, match[k], strlen(match[k]))) {
			fprintf(stderr, "ignored (no \"%s\"): %d %s:%s %.*s\n",
			        match[k], port, h, s, (int)i, msg);
			return;
		}
	nreplies++;
	printf("%d %d %s:%s %.*s\n", nreplies, port, h, s, (int)i, msg);
	fflush(stdout);
	if (prefix) {
		char path[4096];
		FILE *f;
		snprintf(path, sizeof path, "%s.%d", prefix, nreplies);
		f = fopen(path, "wb");
		if (!f || fwrite(msg, 1, len, f) != len || fclose(f) != 0) {
			perror(path);
			exit(2);
		}
	}
}

/* Length of the first complete message in BUF (headers, then as many body
 * bytes as Content-Length says; none if it is absent), or 0 if incomplete. */
static size_t
stream_message(const char *buf, size_t len)
{
	const char *end = NULL, *p;
	size_t hlen, clen = 0, i;
	for (i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	if (!end)
		return 0;
	hlen = (size_t)(end - buf);
	for (p = buf; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		if (!eol)
			break;
		n = (size_t)(eol - p);
		if ((n > 15 && strncasecmp(p, "Content-Length", 14) == 0 &&
		     (p[14] == ':' || p[14] == ' ' || p[14] == '\t')) ||
		    (n > 2 && (p[0] == 'l' || p[0] == 'L') &&
		     (p[1] == ':' || p[1] == ' ' || p[1] == '\t'))) {
			const char *c = memchr(p, ':', n);
			if (c)
				clen = strtoul(c + 1, NULL, 10);
		}
		p = eol + 1;
	}
	return len >= hlen + clen ? hlen + clen : 0;
}

int
main(int argc, char **argv)
{
	int tcp = 0, bind_port = 0, count = 1, interval = 200, want = 1,
	    all = 0;
	int settle = 100, wait_ms = 1000, nlisten = 0, listen_port[MAX_LISTEN];
	int fds[MAX_LISTEN + 1], ports[MAX_LISTEN + 1], nfds, sent = 0, c, i;
	/* static: what lives until exit stays reachable, so LeakSanitizer
	 * (make asan) does not count it as leaked */
	static char *host, *msg, *rbuf, *sbuf;
	static struct addrinfo *ai;
	char *colon;
	size_t len, slen = 0;
	struct addrinfo hints;
	long next_send, deadline = 0, settle_end = 0;

	while ((c = getopt(argc, argv, "Fta:b:l:c:i:n:s:w:m:o:h")) != -1) {
		switch (c) {
		case 'F':
			all = 1;
			break;
		case 't':
			tcp = 1;
			break;
		case 'a':
			bind_addr = optarg;
			break;
		case 'b':
			bind_port = num(optarg, 1, 65535);
			break;
		case 'l':
			if (nlisten == MAX_LISTEN)
				usage();
			listen_port[nlisten++] = num(optarg, 1, 65535);
			break;
		case 'c':
			count = num(optarg, 1, 100000);
			break;
		case 'i':
			interval = num(optarg, 0, 60000);
			break;
		case 'n':
			want = num(optarg, 1, 100000);
			break;
		case 's':
			settle = num(optarg, 0, 60000);
			break;
		case 'w':
			wait_ms = num(optarg, 0, 600000);
			break;
		case 'm':
			if (nmatch == MAX_MATCH)
				usage();
			match[nmatch++] = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || (!all && argc - optind > 2) ||
	    (all && (tcp || argc - optind < 2)))
		usage();
	host = strdup(argv[optind]);
	colon = strrchr(host, ':');
	if (!colon)
		usage();
	*colon = '\0';
	if (host[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		host++;
	}
	if (!all)
		msg =
		    read_all(optind + 1 < argc ? argv[optind + 1] : NULL, &len);

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
	if ((c = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		fprintf(stderr, "udpsend: %s: %s\n", argv[optind],
		        gai_strerror(c));
		return 2;
	}

	fds[0] = bound_socket(ai->ai_family, ai->ai_socktype, bind_port);
	for (i = optind + 1; all && i < argc; i++) {
		char *m = read_all(argv[i], &len);
		ssize_t w =
		    sendto(fds[0], m, len, 0, ai->ai_addr, ai->ai_addrlen);

		if (w < 0 || (size_t)w != len) {
			fprintf(stderr, "udpsend: send %s: %s\n", argv[i],
			        w < 0 ? strerror(errno) : "short write");
			return 2;
		}
		free(m);
	}
	if (all)
		return 0;
	/* UDP is not connected: a reply from another source port counts too */
	if (tcp && connect(fds[0], ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "udpsend: connect %s: %s\n", argv[optind],
		        strerror(errno));
		return 2;
	}
	ports[0] = local_port(fds[0]);
	for (i = 0; i < nlisten; i++) {
		fds[i + 1] =
		    bound_socket(ai->ai_family, SOCK_DGRAM, listen_port[i]);
		ports[i + 1] = listen_port[i];
	}
	nfds = nlisten + 1;
	rbuf = malloc(MAX_MSG);
	if (tcp)
		sbuf = malloc(MAX_MSG);
	if (!rbuf || (tcp && !sbuf)) {
		perror("malloc");
		return 2;
	}

	next_send = now_ms();
	for (;;) {
		struct pollfd pfd[MAX_LISTEN + 1];
		long t = now_ms(), until;
		if (sent < count && t >= next_send) {
			ssize_t w = tcp ? write(fds[0], msg, len)
			                : sendto(fds[0], msg, len, 0,
			                         ai->ai_addr, ai->ai_addrlen);
			if (w < 0 || (size_t)w != len) {
				fprintf(stderr, "udpsend: send: %s\n",
				        w < 0 ? strerror(errno)
				              : "short write");
				return 2;
			}
			sent++;
			next_send = t + interval;
			if (sent == count)
				deadline = t + wait_ms;
		}
		if (sent == count) {
			if (nreplies >= want && settle_end == 0)
				settle_end = t + settle;
			if (t >= deadline || (settle_end && t >= settle_end))
				break;
			until = settle_end && settle_end < deadline ? settle_end
			                                            : deadline;
		} else {
			until = next_send;
		}
		for (i = 0; i < nfds; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfds, (int)(until > t ? until - t : 0)) <
		    0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 2;
		}
		for (i = 0; i < nfds; i++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof from;
			ssize_t r;
			if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (tcp && i == 0) {
				size_t m;
				r = read(fds[0], sbuf + slen, MAX_MSG - slen);
				if (r <= 0) { /* closed: stop listening on it */
					fds[0] = -1;
					continue;
				}
				slen += (size_t)r;
				getpeername(fds[0], (struct sockaddr *)&from,
				            &fl);
				while ((m = stream_message(sbuf, slen)) > 0) {
					report(sbuf, m, ports[0], &from, fl);
					memmove(sbuf, sbuf + m, slen - m);
					slen -= m;
				}
				continue;
			}
			r = recvfrom(fds[i], rbuf, MAX_MSG, 0,
			             (struct sockaddr *)&from, &fl);
			if (r < 0) /* ICMP port unreachable: nothing listens */
				continue;
			report(rbuf, (size_t)r, ports[i], &from, fl);
		}
	}
	if (tcp && slen > 0) { /* an unframed tail: show it, not lose it */
		struct sockaddr_storage from;
		memcpy(&from, ai->ai_addr, ai->ai_addrlen);
		report(sbuf, slen, ports[0], &from, ai->ai_addrlen);
	}
	return nreplies > 0 ? 0 : 1;
}
