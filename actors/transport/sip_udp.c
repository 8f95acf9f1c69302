/*
 * The UDP transport actor: one per worker and listening address, each on a
 * socket of its own bound with SO_REUSEPORT (bound by sip_stack_open, so a
 * busy port fails the start). Datagrams are read on the loop, wrapped in a
 * SipPacket with their flow, and handed to the actor sip_route_in names: the
 * SIP core of the worker their Call-ID belongs to, or, for a REGISTER, the
 * SIP core or the registrar of this worker. Actors of the same worker send
 * on its socket directly (sip_udp_send_here); SipSend messages from others
 * are written out along their flow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sip_stack.h"

struct udp_sock {
	uv_udp_t h;
	struct sip_stack *s;
	rt_addr self;
	unsigned listener;
	int fd; /* the handle's socket, for sendto */
	char buf[65536];
};

struct udp_state {
	struct udp_sock *sock; /* freed in its close callback */
};

struct udp_arg {
	struct sip_stack *s;
	unsigned listener;
	int fd;
};

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct udp_sock *u = h->data;

	b->base = u->buf;
	b->len = sizeof(u->buf);
}

static void
recv_cb(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
        unsigned flags)
{
	struct udp_sock *u = h->data;
	struct sip_stack *s = u->s;
	Pbx__SipPacket *pkt;
	rt_msg *m;
	rt_addr core;

	if (n <= 0 || !from)
		return;
	if (flags & UV_UDP_PARTIAL) {
		char ft[INET6_ADDRSTRLEN + 8] = "?";

		atomic_fetch_add_explicit(&s->n_bad, 1, memory_order_relaxed);
		uv_ip_name(from, ft, sizeof(ft));
		SIP_WARN_LIMITED("udp: a datagram from %s is over %zu bytes: "
		                 "dropped",
		                 ft, sizeof(u->buf));
		return;
	}
	/* a keep-alive (RFC 5626 §4.4.2 on UDP is STUN; bare CRLFs too) */
	if (n <= 4 && (b->base[0] == '\r' || b->base[0] == '\n'))
		return;
	m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PACKET, (size_t)n + 128, &pkt);
	if (!m)
		return;
	pkt->data.data = rt_msg_memdup(m, b->base, (size_t)n);
	pkt->data.len = (size_t)n;
	pkt->flow = rt_msg_alloc(m, sizeof(*pkt->flow));
	pbx__sip_flow__init(pkt->flow);
	sip_flow_set(m, pkt->flow, SIP_FLOW_UDP, from, u->listener, s);
	atomic_fetch_add_explicit(&s->n_in, 1, memory_order_relaxed);
	sip_trace(s, true, pkt->flow, b->base, (size_t)n);
	core = sip_route_in(s, u->self, b->base, (size_t)n);
	if (rt_inject(s->rt, u->self, core, m) != 0)
		rt_msg_free(m);
}

static void
close_cb(uv_handle_t *h)
{
	free(h->data);
}

static int
udp_init(rt_actor *a, void *arg)
{
	struct udp_state *st = rt_state(a);
	struct udp_arg *ua = arg;
	struct udp_sock *u = calloc(1, sizeof(*u));
	uv_loop_t *loop = rt_loop(rt_of(a), rt_self(a).worker);
	int err;

	if (!u) {
		free(ua);
		return ENOMEM;
	}
	u->s = ua->s;
	u->self = rt_self(a);
	u->listener = ua->listener;
	u->fd = ua->fd;
	u->h.data = u;
	uv_udp_init(loop, &u->h);
	err = uv_udp_open(&u->h, ua->fd);
	if (!err)
		err = uv_udp_recv_start(&u->h, alloc_cb, recv_cb);
	free(ua);
	st->sock = u;
	if (err) {
		rt_err("udp %s: %s", u->s->listen[u->listener].text,
		       uv_strerror(err));
		return -err;
	}
	u->s->listen[u->listener].udp[u->self.worker] = u;
	return 0;
}

static int
udp_send(struct udp_sock *u, const Pbx__SipFlow *f, const void *data,
         size_t len)
{
	struct sockaddr_storage ss;
	int r;

	if (sip_flow_remote(f, &ss) != 0)
		return EINVAL;
	sip_trace(u->s, false, f, data, len);
	atomic_fetch_add_explicit(&u->s->n_out, 1, memory_order_relaxed);
	/* sendto, not libuv's sendmsg: nothing is ever queued on this
	 * handle, and the kernel need not copy a msghdr and an iovec in */
	do
		r = (int)sendto(
		    u->fd, data, len, 0, (const struct sockaddr *)&ss,
		    ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                             : sizeof(struct sockaddr_in));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		const char *p = data, *eol = memchr(p, '\r', len);
		char ft[160];
		int e = errno;

		/* a full socket buffer, or a message too big for a datagram
		 * (EMSGSIZE): the sender waits for it, so say what was lost */
		sip_flow_text(ft, sizeof(ft), f);
		SIP_WARN_LIMITED(
		    "udp: cannot send \"%.*s\" (%zu bytes) to %s: %s",
		    (int)((eol ? eol : p + (len < 80 ? len : 80)) - p), p, len,
		    ft, strerror(e));
	}
	return 0;
}

int
sip_udp_send_here(struct sip_stack *s, uint32_t worker, const Pbx__SipFlow *f,
                  const void *data, size_t len)
{
	struct udp_sock *u;

	if (f->listener >= s->n_listen || worker >= SIP_MAX_WORKERS ||
	    !(u = s->listen[f->listener].udp[worker]))
		return ENOENT;
	return udp_send(u, f, data, len);
}

static void
udp_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct udp_state *st = rt_state(a);

	if (env->body_case == PBX__ENVELOPE__BODY_SIP_SEND &&
	    env->sip_send->flow)
		udp_send(st->sock, env->sip_send->flow,
		         env->sip_send->data.data, env->sip_send->data.len);
}

static void
udp_fini(rt_actor *a, int reason)
{
	struct udp_state *st = rt_state(a);

	if (st->sock) {
		struct udp_sock *u = st->sock;

		if (u->s->listen[u->listener].udp[u->self.worker] == u)
			u->s->listen[u->listener].udp[u->self.worker] = NULL;
		uv_close((uv_handle_t *)&u->h, close_cb);
	}
}

const rt_kind sip_udp_kind = {
	.name = "udp",
	.size = sizeof(struct udp_state),
	.init = udp_init,
	.handle = udp_handle,
	.fini = udp_fini,
};

/* Spawn argument, freed by init. */
void *
sip_udp_arg(struct sip_stack *s, unsigned listener, int fd)
{
	struct udp_arg *a = malloc(sizeof(*a));

	if (a) {
		a->s = s;
		a->listener = listener;
		a->fd = fd;
	}
	return a;
}
