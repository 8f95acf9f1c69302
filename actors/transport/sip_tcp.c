/*
 * The TCP listener actor: one per listening address, on worker 0. It accepts
 * connections and spawns a connection actor for each, spread over the
 * workers, refusing one past the node's limit (sip.tcp.max_connections, by
 * default what RLIMIT_NOFILE leaves) or from a source (an IPv4 address, an
 * IPv6 /64) that already holds sip.tcp.max_per_source. It watches every
 * connection to keep the counts. Out of descriptors anyway (EMFILE, ENFILE),
 * it stops polling the socket for a while: the pending connection stays
 * readable, and polling on would spin the worker.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
	uint32_t n_backoff;  /* pauses since accepting last worked */
	uint64_t refused_ms; /* the last line about a refusal */
	uint32_t n_refused;  /* refusals since then, not logged */
};

struct tcpl_arg {
	struct sip_stack *s;
	unsigned listener;
	int fd;
};

static uint32_t
from_source(const struct tcpl *t, const uint8_t ip[16])
{
	uint32_t n = 0;

	for (const struct conn_ref *c = t->conns; c; c = c->next)
		n += memcmp(c->ip, ip, 16) == 0;
	return n;
}

/* A flood of refusals makes a line a second, not one each. */
static bool
may_log(rt_actor *a, struct tcpl *t)
{
	uint64_t now = rt_now_ms(rt_of(a), rt_self(a).worker);

	if (t->refused_ms && now - t->refused_ms < 1000) {
		t->n_refused++;
		return false;
	}
	t->refused_ms = now;
	return true;
}

static uint32_t
quiet(struct tcpl *t)
{
	uint32_t n = t->n_refused;

	t->n_refused = 0;
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

	sip_tcp_source_key(ip, peer);
	if (atomic_load_explicit(&s->tcp_conns, memory_order_relaxed) >=
	    s->tcp_max_conns) {
		if (may_log(a, t))
			rt_warn("tcp %s: connection refused, %u connections "
			        "is the limit (%u more refused unlogged)",
			        s->listen[t->ls->listener].text,
			        s->tcp_max_conns, quiet(t));
		close(fd);
		return;
	}
	if (from_source(t, ip) >= s->tcp.max_per_source) {
		if (may_log(a, t))
			rt_warn("tcp %s: connection refused, its source has %u "
			        "connections (%u more refused unlogged)",
			        s->listen[t->ls->listener].text,
			        s->tcp.max_per_source, quiet(t));
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
	atomic_fetch_add_explicit(&s->tcp_conns, 1, memory_order_relaxed);
	rt_watch(a, conn);
}

static void poll_cb(uv_poll_t *h, int status, int events);

static void
resume_cb(rt_actor *a, void *arg)
{
	struct tcpl *t = rt_state(a);

	uv_poll_start(&t->ls->h, UV_READABLE, poll_cb);
}

/* Out of descriptors: one line when it starts, none per retry. */
static void
back_off(struct tcpl *t, int err)
{
	if (t->n_backoff++ == 0)
		rt_warn("tcp %s: accept: %s, pausing accepts (retried every "
		        "%u ms)",
		        t->ls->s->listen[t->ls->listener].text, strerror(err),
		        SIP_TCP_BACKOFF_MS);
	uv_poll_stop(&t->ls->h);
	rt_timer_start(t->ls->a, SIP_TCP_BACKOFF_MS, resume_cb, NULL);
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
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				back_off(t, errno);
			else if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return;
		}
		if (t->n_backoff) {
			rt_info("tcp %s: accepting again after %u pauses",
			        ls->s->listen[ls->listener].text, t->n_backoff);
			t->n_backoff = 0;
		}
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
			atomic_fetch_sub_explicit(&t->ls->s->tcp_conns, 1,
			                          memory_order_relaxed);
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
		if (t->ls)
			atomic_fetch_sub_explicit(&t->ls->s->tcp_conns, 1,
			                          memory_order_relaxed);
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

static uint32_t
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	uint32_t n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0; /* ".", ".." and the DIR's own */
}

uint32_t
sip_tcp_max_conns(const struct conf_sip_tcp *cf)
{
	struct rlimit rl;
	uint64_t lim = 0, used = open_fds(), room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		lim = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : rl.rlim_cur;
	room = lim > used + cf->fd_reserve ? lim - used - cf->fd_reserve : 0;
	if (room > UINT32_MAX)
		room = UINT32_MAX;
	if (cf->max_connections == 0) {
		rt_info("tcp: up to %u connections (RLIMIT_NOFILE %llu, %llu "
		        "descriptors open, %u reserved)",
		        (uint32_t)room, (unsigned long long)lim,
		        (unsigned long long)used, cf->fd_reserve);
		return (uint32_t)room;
	}
	if (cf->max_connections > room)
		rt_warn("tcp: sip.tcp.max_connections %u is more than "
		        "descriptors allow (%u: RLIMIT_NOFILE %llu, %llu open, "
		        "%u reserved); accepts will pause on EMFILE",
		        cf->max_connections, (uint32_t)room,
		        (unsigned long long)lim, (unsigned long long)used,
		        cf->fd_reserve);
	return cf->max_connections;
}
