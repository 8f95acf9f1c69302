/*
 * The TCP listener actor: one per listening address, on worker 0. It accepts
 * connections and spawns a connection actor for each, spread over the
 * workers, refusing a source that already holds too many. It watches every
 * connection to keep the per-source count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sip_tcp.h"

struct lsock {
	uv_poll_t h;
	struct sip_stack *s;
	rt_actor *a; /* valid while the actor lives: fini closes h first */
	unsigned listener;
	int fd;
};

struct conn_ref {
	struct conn_ref *next;
	rt_addr conn;
	uint8_t ip[16];
};

struct tcpl {
	struct lsock *ls;
	struct conn_ref *conns; /* live connections and their source */
	uint32_t total;
};

struct tcpl_arg {
	struct sip_stack *s;
	unsigned listener;
	int fd;
};

static void
ip_key(uint8_t key[16], const struct sockaddr_storage *ss)
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		memcpy(key, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

static uint32_t
from_source(const struct tcpl *t, const uint8_t ip[16])
{
	uint32_t n = 0;

	for (const struct conn_ref *c = t->conns; c; c = c->next)
		n += memcmp(c->ip, ip, 16) == 0;
	return n;
}

static void
accept_one(rt_actor *a, struct tcpl *t, int fd,
           const struct sockaddr_storage *peer)
{
	struct sip_stack *s = t->ls->s;
	struct conn_ref *ref;
	uint8_t ip[16];
	rt_addr conn;
	void *arg;

	ip_key(ip, peer);
	if (t->total >= SIP_TCP_MAX_CONNS ||
	    from_source(t, ip) >= SIP_TCP_MAX_PER_SOURCE) {
		rt_warn("tcp %s: connection refused, limit reached",
		        s->listen[t->ls->listener].text);
		close(fd);
		return;
	}
	ref = calloc(1, sizeof(*ref));
	arg = sip_tcp_conn_arg(s, t->ls->listener, fd, peer,
	                       s->listen[t->ls->listener].tls ? s->tls_ctx
	                                                      : NULL);
	if (!ref || !arg ||
	    rt_spawn(rt_of(a), &sip_tcp_conn_kind, RT_WORKER_ANY, arg, &conn) !=
	        0) {
		free(ref);
		free(arg);
		close(fd);
		return;
	}
	ref->conn = conn;
	memcpy(ref->ip, ip, 16);
	ref->next = t->conns;
	t->conns = ref;
	t->total++;
	rt_watch(a, conn);
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct lsock *ls = h->data;
	struct tcpl *t = rt_state(ls->a);
	struct sockaddr_storage peer;
	socklen_t len;
	int fd;

	for (int i = 0; i < 64; i++) {
		len = sizeof(peer);
		fd = accept4(ls->fd, (struct sockaddr *)&peer, &len,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		accept_one(ls->a, t, fd, &peer);
	}
}

static void
close_cb(uv_handle_t *h)
{
	struct lsock *ls = h->data;

	close(ls->fd);
	free(ls);
}

static int
tcpl_init(rt_actor *a, void *arg)
{
	struct tcpl *t = rt_state(a);
	struct tcpl_arg *la = arg;
	struct lsock *ls = calloc(1, sizeof(*ls));
	int err;

	if (!ls) {
		close(la->fd);
		free(la);
		return ENOMEM;
	}
	ls->s = la->s;
	ls->a = a;
	ls->listener = la->listener;
	ls->fd = la->fd;
	free(la);
	ls->h.data = ls;
	err =
	    uv_poll_init(rt_loop(rt_of(a), rt_self(a).worker), &ls->h, ls->fd);
	if (err) {
		close(ls->fd);
		free(ls);
		return -err;
	}
	t->ls = ls;
	uv_poll_start(&ls->h, UV_READABLE, poll_cb);
	return 0;
}

static void
tcpl_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct tcpl *t = rt_state(a);
	rt_addr who;

	if (env->body_case != PBX__ENVELOPE__BODY_DOWN)
		return;
	who = rt_addr_from_pb(env->down->who);
	for (struct conn_ref **pp = &t->conns; *pp; pp = &(*pp)->next)
		if (rt_addr_eq((*pp)->conn, who)) {
			struct conn_ref *c = *pp;

			*pp = c->next;
			free(c);
			t->total--;
			return;
		}
}

static void
tcpl_fini(rt_actor *a, int reason)
{
	struct tcpl *t = rt_state(a);

	while (t->conns) {
		struct conn_ref *c = t->conns;

		t->conns = c->next;
		free(c);
	}
	if (t->ls)
		uv_close((uv_handle_t *)&t->ls->h, close_cb);
}

const rt_kind sip_tcp_listener_kind = {
	.name = "tcp-listen",
	.size = sizeof(struct tcpl),
	.init = tcpl_init,
	.handle = tcpl_handle,
	.fini = tcpl_fini,
};

void *
sip_tcp_listener_arg(struct sip_stack *s, unsigned listener, int fd)
{
	struct tcpl_arg *a = malloc(sizeof(*a));

	if (a) {
		a->s = s;
		a->listener = listener;
		a->fd = fd;
	}
	return a;
}
