/* Starting the SIP stack: sockets bound up front (so a busy port fails the
 * start), then the SIP cores and transports spawned on every worker. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sip_start.h"

extern const rt_kind sip_core_kind;
extern const rt_kind sip_udp_kind;
extern const rt_kind sip_tcp_listener_kind;
void *sip_udp_arg(struct sip_stack *s, unsigned listener, int fd);
void *sip_tcp_listener_arg(struct sip_stack *s, unsigned listener, int fd);
uint32_t sip_tcp_max_conns(const struct conf_sip_tcp *cf);

static int
fill(struct sip_listener *l, const struct conf_addr *a)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->text, sizeof(l->text), "%s", a->text);
	snprintf(l->host, sizeof(l->host), "%s", a->host);
	l->port = a->port;
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&l->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		if (inet_pton(AF_INET6, a->host, &s6->sin6_addr) != 1)
			return EINVAL;
		l->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&l->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		if (inet_pton(AF_INET, a->host, &s4->sin_addr) != 1)
			return EINVAL;
		l->len = sizeof(*s4);
	}
	for (int i = 0; i < SIP_MAX_WORKERS; i++)
		l->udp_fd[i] = -1;
	l->tcp_fd = -1;
	return 0;
}

/* Room for a burst: a client sending from one port lands on one worker's
 * socket, and the kernel's default buffer (~200 KB, a few hundred
 * datagrams) drops what a short busy spell leaves unread, which a UAC then
 * sees as a 500 ms retransmission. As root the system limit can be passed
 * (SO_RCVBUFFORCE); otherwise up to net.core.rmem_max. */
static void
big_buffers(int s)
{
	int sz = SIP_UDP_BUFFER;

	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/* A socket bound to the listener's address; reuseport for the per-worker
 * UDP sockets. */
static int
bound(int *fd, const struct sip_listener *l, int type, bool reuseport)
{
	int one = 1, s, err;

	s = socket(l->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	if (l->ss.ss_family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM)
		big_buffers(s);
	if (reuseport &&
	    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		err = errno;
		close(s);
		return err;
	}
	if (bind(s, (const struct sockaddr *)&l->ss, l->len) != 0) {
		err = errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

static int
open_listener(struct sip_listener *l, uint32_t workers)
{
	int probe, err;

	/* a plain bind first: it fails if anyone holds the port, even
	 * another pbxd with SO_REUSEPORT, which would silently share it */
	if (!l->tls) {
		if ((err = bound(&probe, l, SOCK_DGRAM, false)) != 0)
			return err;
		close(probe);
	}
	for (uint32_t w = 0; w < workers && !l->tls; w++)
		if ((err = bound(&l->udp_fd[w], l, SOCK_DGRAM, true)) != 0)
			return err;
	if ((err = bound(&l->tcp_fd, l, SOCK_STREAM, false)) != 0)
		return err;
	if (listen(l->tcp_fd, 1024) != 0)
		return errno;
	return 0;
}

static int
tls_context(struct sip_stack *s, const struct conf_sip_tls *t)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		rt_err("sip.tls: cannot use certificate %s and key %s: %s",
		       t->cert, t->key,
		       ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return EINVAL;
	}
	s->tls_ctx = ctx;
	return 0;
}

static void
close_fds(struct sip_stack *s)
{
	for (size_t i = 0; i < s->n_listen; i++) {
		for (int w = 0; w < SIP_MAX_WORKERS; w++)
			if (s->listen[i].udp_fd[w] >= 0) {
				close(s->listen[i].udp_fd[w]);
				s->listen[i].udp_fd[w] = -1;
			}
		if (s->listen[i].tcp_fd >= 0) {
			close(s->listen[i].tcp_fd);
			s->listen[i].tcp_fd = -1;
		}
	}
}

int
sip_stack_open(struct sip_stack **out, rt *r, const struct conf_sip *cf,
               const struct conf_addr *listen, size_t n_listen)
{
	struct sip_stack *s = calloc(1, sizeof(*s));
	uint32_t nw = rt_workers(r);
	int err = 0;

	if (!s)
		return ENOMEM;
	if (!n_listen) {
		listen = cf->listen;
		n_listen = cf->listen_count;
	}
	if (n_listen > SIP_MAX_LISTEN || nw > SIP_MAX_WORKERS) {
		free(s);
		return EINVAL;
	}
	s->rt = r;
	sip_limits_default(&s->limits);
	s->limits.max_size = cf->max_message_size;
	s->t1 = cf->timers.t1;
	s->t2 = cf->timers.t2;
	s->t4 = cf->timers.t4;
	for (size_t i = 0; i < n_listen && !err; i++) {
		s->n_listen = i + 1;
		err = fill(&s->listen[i], &listen[i]);
		if (!err)
			err = open_listener(&s->listen[i], nw);
		if (err)
			rt_err("sip: cannot listen on %s: %s", listen[i].text,
			       strerror(err));
	}
	if (!err && cf->tls.enabled) {
		size_t i = s->n_listen;

		if (i == SIP_MAX_LISTEN) {
			err = EINVAL;
		} else {
			s->n_listen = i + 1;
			err = fill(&s->listen[i], &cf->tls.listen);
			s->listen[i].tls = true;
			err = err ? err : tls_context(s, &cf->tls);
			err = err ? err : open_listener(&s->listen[i], nw);
			if (err)
				rt_err("sip: cannot listen for TLS on %s: %s",
				       cf->tls.listen.text, strerror(err));
		}
	}
	if (err) {
		close_fds(s);
		SSL_CTX_free(s->tls_ctx);
		free(s);
		return err;
	}
	s->tcp = cf->tcp;
	s->tcp_max_conns = sip_tcp_max_conns(&cf->tcp);
	*out = s;
	return 0;
}

int
sip_stack_run(struct sip_stack *s)
{
	rt *r = s->rt;
	uint32_t nw = rt_workers(r);
	rt_addr x;
	int err = 0;

	for (uint32_t w = 0; w < nw && !err; w++)
		err = rt_spawn_named(r, &sip_core_kind, w, SIP_ID_CORE, s, &x);
	for (size_t i = 0; i < s->n_listen && !err; i++) {
		struct sip_listener *l = &s->listen[i];

		for (uint32_t w = 0; w < nw && !err && !l->tls; w++) {
			err = rt_spawn_named(
			    r, &sip_udp_kind, w, SIP_ID_UDP(i),
			    sip_udp_arg(s, (unsigned)i, l->udp_fd[w]), &x);
			if (!err)
				l->udp_fd[w] = -1; /* the actor has it */
		}
		err = err ? err
		          : rt_spawn_named(
		                r, &sip_tcp_listener_kind, 0, SIP_ID_TCP(i),
		                sip_tcp_listener_arg(s, (unsigned)i, l->tcp_fd),
		                &x);
		if (!err)
			l->tcp_fd = -1;
		rt_info("sip: listening on %s (%s)", l->text,
		        l->tls ? "tls" : "udp, tcp");
	}
	if (err)
		close_fds(s); /* actors use s: freed after rt_shutdown */
	return err;
}

void
sip_stack_free(struct sip_stack *s)
{
	if (!s)
		return;
	close_fds(s);
	SSL_CTX_free(s->tls_ctx);
	free(s);
}

void
sip_trace_set(struct sip_stack *s, enum sip_trace_level l)
{
	atomic_store(&s->trace, (int)l);
}

int
sip_listen_parse(struct conf_addr *a, const char *text)
{
	const char *colon;
	char host[46];
	struct in6_addr tmp;
	unsigned long port;
	char *end;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (strlen(text) >= sizeof(a->text))
		return EINVAL;
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');

		if (!rb || rb[1] != ':')
			return EINVAL;
		hl = (size_t)(rb - text - 1);
		memcpy(host, text + 1, hl < sizeof(host) ? hl : 0);
		colon = rb + 1;
		a->family = AF_INET6;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return EINVAL;
		hl = (size_t)(colon - text);
		memcpy(host, text, hl < sizeof(host) ? hl : 0);
		a->family = AF_INET;
	}
	if (hl == 0 || hl >= sizeof(host))
		return EINVAL;
	host[hl] = '\0';
	if (inet_pton(a->family, host, &tmp) != 1)
		return EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port == 0 || port > 65535)
		return EINVAL;
	snprintf(a->text, sizeof(a->text), "%s", text);
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = (uint16_t)port;
	return 0;
}
