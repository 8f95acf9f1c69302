/* tcpload: misbehaving SIP-over-TCP clients, for the transport limit tests.
 *
 *   tcpload flood HOST PORT MAX_BYTES
 *       CRLFCRLF keep-alive pings, never reading the pongs, until the server
 *       closes the connection or MAX_BYTES are sent. "closed after N bytes"
 *       (exit 0) or "open after N bytes" (exit 1).
 *   tcpload hold HOST PORT N WAIT_MS [SRC]
 *       Opens up to N connections (from address SRC if given), one at a
 *       time, each sending an OPTIONS and waiting WAIT_MS for its answer;
 *       stops at the first one not answered. Prints "answered K", then
 *       "next closed" (the server closed it) or "next silent" (no answer),
 *       then "holding", and keeps every connection open until killed.
 *   tcpload probe HOST PORT WAIT_MS
 *       One connection, one OPTIONS: exit 0 when it is answered within
 *       WAIT_MS, 1 when not.
 *   tcpload trickle HOST PORT INTERVAL_MS [tls]
 *       An OPTIONS (with tls: a TLS record that never completes) one byte
 *       per INTERVAL_MS. "closed after N of M bytes" (exit 0) when the
 *       server closes it first, else "complete" (exit 1).
 *   tcpload partial HOST PORT N BYTES
 *       N connections each sending BYTES of a header that never ends, then,
 *       a second later, "closed K open J": how many the server closed.
 *
 * Exit status 2: usage or system error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OPTIONS_FMT                                                            \
	"OPTIONS sip:127.0.0.1 SIP/2.0\r\n"                                    \
	"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-load-%d;rport\r\n"        \
	"Max-Forwards: 70\r\n"                                                 \
	"To: <sip:127.0.0.1>\r\n"                                              \
	"From: <sip:load@127.0.0.1>;tag=x\r\n"                                 \
	"Call-ID: load-%d\r\n"                                                 \
	"CSeq: 1 OPTIONS\r\n"                                                  \
	"Content-Length: 0\r\n\r\n"

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static int
dial(const char *host, const char *port, const char *src, int rcvbuf)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("getaddrinfo");
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	/* a small receive window: what the server sends piles up there */
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (src) {
		struct addrinfo *sa;

		if (getaddrinfo(src, "0", &hints, &sa) != 0 ||
		    bind(fd, sa->ai_addr, sa->ai_addrlen) != 0)
			die("bind");
		freeaddrinfo(sa);
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("connect");
	freeaddrinfo(ai);
	return fd;
}

/* 1 when the server closed fd (EOF or reset) within ms, 0 when not; data
 * it sent is read and dropped. */
static int
closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	while (poll(&p, 1, ms) > 0) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return 1;
	}
	return 0;
}

static int
flood(const char *host, const char *port, long long max)
{
	int fd = dial(host, port, NULL, 4096);
	char buf[65536];
	long long sent = 0;
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	for (size_t i = 0; i < sizeof(buf); i += 4)
		memcpy(buf + i, "\r\n\r\n", 4);
	while (sent < max) {
		ssize_t n;

		/* the server reads whatever it is sent: a send that blocks
		 * for 30 s means it stopped reading without closing */
		if (poll(&p, 1, 30000) <= 0)
			break;
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0) {
			printf("closed after %lld bytes\n", sent);
			return 0;
		}
		sent += n;
	}
	if (closed_within(fd, 2000)) {
		printf("closed after %lld bytes\n", sent);
		return 0;
	}
	printf("open after %lld bytes\n", sent);
	return 1;
}

static int
probe(const char *host, const char *port, int ms)
{
	int fd = dial(host, port, NULL, 0);
	char msg[512], buf[4096];
	int len = snprintf(msg, sizeof(msg), OPTIONS_FMT, 0, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t k;

	if (send(fd, msg, (size_t)len, MSG_NOSIGNAL) != len ||
	    poll(&p, 1, ms) <= 0)
		return 1;
	k = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	return k > 11 && strncmp(buf, "SIP/2.0 200", 11) == 0 ? 0 : 1;
}

static int
hold(const char *host, const char *port, int n, int ms, const char *src)
{
	char msg[512], buf[4096];
	int answered = 0;

	for (int i = 0; i < n; i++) {
		int fd = dial(host, port, src, 0);
		int len = snprintf(msg, sizeof(msg), OPTIONS_FMT, i, i);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (send(fd, msg, (size_t)len, MSG_NOSIGNAL) != len) {
			printf("answered %d\nnext closed\n", answered);
			break;
		}
		if (poll(&p, 1, ms) <= 0) {
			printf("answered %d\nnext silent\n", answered);
			break;
		}
		k = recv(fd, buf, sizeof(buf) - 1, 0);
		if (k <= 0 || strncmp(buf, "SIP/2.0 200", 11) != 0) {
			printf("answered %d\nnext closed\n", answered);
			break;
		}
		answered++;
		if (i == n - 1)
			printf("answered %d\n", answered);
	}
	printf("holding\n");
	fflush(stdout);
	for (;;)
		pause(); /* until killed */
	return 0;
}

static int
trickle(const char *host, const char *port, int ms, int tls)
{
	int fd = dial(host, port, NULL, 0);
	char msg[512];
	int len;

	if (tls) { /* a handshake record of 255 bytes, never finished */
		memset(msg, 0, sizeof(msg));
		memcpy(msg, "\x16\x03\x01\x00\xff", 5);
		len = 5 + 255;
	} else {
		len = snprintf(msg, sizeof(msg), OPTIONS_FMT, 0, 0);
	}
	for (int i = 0; i < len; i++) {
		if (send(fd, msg + i, 1, MSG_NOSIGNAL) != 1 ||
		    closed_within(fd, ms)) {
			printf("closed after %d of %d bytes\n", i + 1, len);
			return 0;
		}
	}
	printf("complete\n");
	return 1;
}

static int
partial(const char *host, const char *port, int n, int bytes)
{
	int *fds = calloc((size_t)n, sizeof(int)), closed = 0;
	char *msg = malloc((size_t)bytes + 1);
	int len;

	if (!fds || !msg)
		die("malloc");
	len = snprintf(msg, (size_t)bytes + 1, OPTIONS_FMT, 0, 0);
	len -= 21; /* no Content-Length, no end of header */
	while (len + 40 < bytes)
		len += snprintf(msg + len, (size_t)(bytes + 1 - len),
		                "X-Pad: %030d\r\n", len);
	for (int i = 0; i < n; i++) {
		fds[i] = dial(host, port, NULL, 0);
		if (send(fds[i], msg, (size_t)len, MSG_NOSIGNAL) != len)
			closed++, fds[i] = -1;
	}
	sleep(1);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 && closed_within(fds[i], 0))
			closed++;
	printf("closed %d open %d\n", closed, n - closed);
	free(msg);
	free(fds);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && strcmp(argv[1], "flood") == 0)
		return flood(argv[2], argv[3], atoll(argv[4]));
	if (argc >= 6 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]),
		            argc > 6 ? argv[6] : NULL);
	if (argc >= 5 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], argv[3], atoi(argv[4]));
	if (argc >= 5 && strcmp(argv[1], "trickle") == 0)
		return trickle(argv[2], argv[3], atoi(argv[4]),
		               argc > 5 && strcmp(argv[5], "tls") == 0);
	if (argc >= 6 && strcmp(argv[1], "partial") == 0)
		return partial(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: tcpload flood|hold|probe|trickle|partial ... "
	                "(see tcpload.c)\n");
	return 2;
}
