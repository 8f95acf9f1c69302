/*
 * Peer links: the listening pull socket, a push socket per peer, hello and
 * heartbeat, and the link state machine (connecting -> up <-> down), logged
 * once per change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include "cluster_int.h"
#include "log.h"

#define PROTO_VERSION 1

const char *
cluster_link_name(enum cluster_link s)
{
	switch (s) {
	case CLUSTER_UP:
		return "up";
	case CLUSTER_DOWN:
		return "down";
	default:
		return "connecting";
	}
}

static void
set_state(struct peer *p, enum cluster_link s, const char *why)
{
	int old = atomic_exchange(&p->state, (int)s);

	if (old == (int)s)
		return;
	p->since = nng_clock();
	if (s == CLUSTER_UP)
		rt_info("peer %s (node %" PRIu32 ", %s) link up", p->name,
		        atomic_load(&p->node), p->url);
	else
		rt_warn("peer %s (node %" PRIu32 ", %s) link down: %s",
		        p->name[0] ? p->name : "?", atomic_load(&p->node),
		        p->url, why);
}

/* Send a hello to one peer (any thread). */
static void
send_hello(struct cluster *c, struct peer *p)
{
	Pbx__Hello *h;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_HELLO, 0, &h);
	rt_addr self = { rt_node_id(c->rt), 0, RT_ID_NODE };
	rt_addr none = { 0, 0, 0 };
	nng_msg *nm;

	if (!m)
		return;
	h->node = rt_node_id(c->rt);
	h->name = (char *)rt_node_name(c->rt);
	h->listen = c->listen;
	h->version = PBX_VERSION;
	h->proto_version = PROTO_VERSION;
	h->incarnation = c->incarnation;
	rt_msg_set_route(m, self, none);
	if (nng_msg_alloc(&nm, 0) == 0) {
		if (cluster_batch_append(nm, m) != 0 ||
		    nng_sendmsg(p->push, nm, NNG_FLAG_NONBLOCK) != 0)
			nng_msg_free(nm);
	}
	rt_msg_free(m);
}

static void
pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct peer *p = arg;
	struct cluster *c = p->c;

	if (atomic_load(&c->closing))
		return;
	if (ev == NNG_PIPE_EV_ADD_POST) {
		atomic_fetch_add(&p->pipes, 1);
		send_hello(c, p);
		pthread_mutex_lock(&c->mu);
		if (atomic_load(&p->node) && atomic_load(&p->heard))
			set_state(p, CLUSTER_UP, "");
		pthread_mutex_unlock(&c->mu);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		pthread_mutex_lock(&c->mu);
		if (atomic_fetch_sub(&p->pipes, 1) == 1) {
			atomic_store(&p->heard, false);
			if (atomic_load(&p->state) == CLUSTER_UP)
				set_state(p, CLUSTER_DOWN, "connection lost");
		}
		pthread_mutex_unlock(&c->mu);
	}
}

/* Called with c->mu held. */
static struct peer *
peer_add(struct cluster *c, const char *url)
{
	size_t n = atomic_load(&c->n_peers);
	struct peer *p;
	int rv;

	if (n == CLUSTER_MAX_PEERS) {
		rt_err("cluster: too many peers, not dialling %s", url);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->batch = calloc(rt_workers(c->rt), sizeof(*p->batch));
	if (!p->batch) {
		free(p);
		return NULL;
	}
	p->c = c;
	snprintf(p->url, sizeof(p->url), "%s", url);
	p->since = nng_clock();
	if ((rv = nng_push0_open(&p->push)) != 0) {
		rt_err("cluster: push socket: %s", nng_strerror(rv));
		free(p->batch);
		free(p);
		return NULL;
	}
	nng_socket_set_int(p->push, NNG_OPT_SENDBUF, 1024);
	nng_socket_set_ms(p->push, NNG_OPT_RECONNMINT, 100);
	nng_socket_set_ms(p->push, NNG_OPT_RECONNMAXT, 1000);
	nng_pipe_notify(p->push, NNG_PIPE_EV_ADD_POST, pipe_cb, p);
	nng_pipe_notify(p->push, NNG_PIPE_EV_REM_POST, pipe_cb, p);
	rv = nng_dial(p->push, url, NULL, NNG_FLAG_NONBLOCK);
	if (rv != 0)
		rt_err("cluster: cannot dial %s: %s", url, nng_strerror(rv));
	c->peers[n] = p;
	atomic_store_explicit(&c->n_peers, n + 1, memory_order_release);
	return p;
}

static void
handle_hello(struct cluster *c, const Pbx__Hello *h)
{
	struct peer *p = NULL;
	size_t n;

	if (!h->listen || !h->listen[0])
		return;
	if (h->node == rt_node_id(c->rt)) {
		if (strcmp(h->listen, c->listen) != 0 && !c->warned_self) {
			c->warned_self = true;
			rt_err("cluster: %s claims our node id %" PRIu32
			       ": node ids must be unique",
			       h->listen, h->node);
		}
		return;
	}
	pthread_mutex_lock(&c->mu);
	n = atomic_load(&c->n_peers);
	for (size_t i = 0; i < n && !p; i++)
		if (strcmp(c->peers[i]->url, h->listen) == 0)
			p = c->peers[i];
	if (!p) {
		rt_info("cluster: learned peer %s at %s", h->name, h->listen);
		p = peer_add(c, h->listen);
	}
	if (p) {
		if (p->incarnation && p->incarnation != h->incarnation)
			rt_info("peer %s (node %" PRIu32 ") restarted", h->name,
			        h->node);
		p->incarnation = h->incarnation;
		snprintf(p->name, sizeof(p->name), "%s", h->name);
		snprintf(p->version, sizeof(p->version), "%s", h->version);
		atomic_store(&p->node, h->node);
		atomic_store(&p->heard, true);
		p->last_heard = nng_clock();
		if (atomic_load(&p->pipes) > 0)
			set_state(p, CLUSTER_UP, "");
	}
	pthread_mutex_unlock(&c->mu);
}

static void
rx_cb(void *arg)
{
	struct cluster *c = arg;
	int rv = nng_aio_result(c->rx);
	nng_msg *nm;

	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv == 0) {
		nm = nng_aio_get_msg(c->rx);
		cluster_batch_each(c, nng_msg_body(nm), nng_msg_len(nm));
		nng_msg_free(nm);
	}
	nng_recv_aio(c->pull, c->rx);
}

/* One envelope from a peer: the link layer's own, or an actor's. */
void
cluster_received(struct cluster *c, rt_msg *m)
{
	Pbx__Envelope *e = rt_msg_env(m);

	if (e->body_case == PBX__ENVELOPE__BODY_HELLO) {
		handle_hello(c, e->hello);
		rt_msg_free(m);
		return;
	}
	rt_deliver(c->rt, m);
}

static void
tick_cb(void *arg)
{
	struct cluster *c = arg;
	nng_time now = nng_clock();
	size_t n;

	if (nng_aio_result(c->tick) != 0 || atomic_load(&c->closing))
		return;
	n = atomic_load(&c->n_peers);
	for (size_t i = 0; i < n; i++) {
		struct peer *p = c->peers[i];

		if (atomic_load(&p->pipes) > 0)
			send_hello(c, p);
		pthread_mutex_lock(&c->mu);
		if (atomic_load(&p->state) == CLUSTER_UP &&
		    now - p->last_heard > (nng_time)c->hb_ms * c->dead_after) {
			atomic_store(&p->heard, false);
			set_state(p, CLUSTER_DOWN, "no heartbeat");
		}
		pthread_mutex_unlock(&c->mu);
	}
	nng_sleep_aio(c->hb_ms, c->tick);
}

int
cluster_links_open(struct cluster *c, const struct cluster_config *cfg)
{
	int rv;

	if ((rv = nng_pull0_open(&c->pull)) != 0)
		goto fail;
	nng_socket_set_size(c->pull, NNG_OPT_RECVMAXSZ, 16u << 20);
	if ((rv = nng_listen(c->pull, c->listen, NULL, 0)) != 0) {
		rt_err("cluster: cannot listen on %s: %s", c->listen,
		       nng_strerror(rv));
		goto fail;
	}
	if ((rv = nng_aio_alloc(&c->rx, rx_cb, c)) != 0 ||
	    (rv = nng_aio_alloc(&c->tick, tick_cb, c)) != 0)
		goto fail;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < cfg->n_peers; i++)
		if (strcmp(cfg->peers[i], c->listen) != 0)
			peer_add(c, cfg->peers[i]);
	pthread_mutex_unlock(&c->mu);
	nng_recv_aio(c->pull, c->rx);
	nng_sleep_aio(c->hb_ms, c->tick);
	rt_info("cluster: listening on %s, %zu peer(s) configured", c->listen,
	        cfg->n_peers);
	return 0;
fail:
	rt_err("cluster: %s", nng_strerror(rv));
	return rv == NNG_EADDRINUSE ? EADDRINUSE : EIO;
}

void
cluster_links_close(struct cluster *c)
{
	size_t n = atomic_load(&c->n_peers);

	atomic_store(&c->closing, true);
	if (c->tick)
		nng_aio_stop(c->tick);
	if (c->rx)
		nng_aio_stop(c->rx);
	nng_close(c->pull);
	for (size_t i = 0; i < n; i++)
		nng_close(c->peers[i]->push);
	nng_aio_free(c->tick);
	nng_aio_free(c->rx);
}
