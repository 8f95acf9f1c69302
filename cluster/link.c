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

void
cluster_set_state(struct peer *p, enum cluster_link s, const char *why)
{
	int old = atomic_exchange(&p->state, (int)s);

	if (old == (int)s)
		return;
	p->since = nng_clock();
	cluster_notify(p->c, p);
	if (s == CLUSTER_UP)
		rt_info("peer %s (node %" PRIu32 ", %s) link up", p->name,
		        atomic_load(&p->node), p->url);
	else
		rt_warn("peer %s (node %" PRIu32 ", %s) link down: %s",
		        p->name[0] ? p->name : "?", atomic_load(&p->node),
		        p->url, why);
}

void
cluster_watch(struct cluster *c, rt_addr to)
{
	pthread_mutex_lock(&c->mu);
	c->watch = to;
	pthread_mutex_unlock(&c->mu);
}

void
cluster_notify(struct cluster *c, struct peer *p)
{
	Pbx__PeerLink *pl;
	rt_addr none = { 0, 0, 0 };
	rt_msg *m;

	if (!c->watch.id || !atomic_load(&p->node))
		return;
	if (!(m = rt_msg_new(PBX__ENVELOPE__BODY_PEER_LINK, 0, &pl)))
		return;
	pl->node = atomic_load(&p->node);
	pl->up = atomic_load(&p->state) == CLUSTER_UP;
	pl->incarnation = p->incarnation;
	if (rt_inject(c->rt, none, c->watch, m) != 0)
		rt_msg_free(m);
}

/* Seal a batch for p and queue it; on error the batch is as it was and
 * still the caller's. */
int
cluster_send(struct cluster *c, struct peer *p, nng_msg *nm)
{
	struct cluster_frame f = { .node = rt_node_id(c->rt),
		                   .nonce = c->nonce };
	int rv;

	pthread_mutex_lock(&p->tx_mu);
	f.peer_nonce = atomic_load(&p->peer_nonce);
	f.counter = ++p->tx_counter;
	if ((rv = cluster_frame_seal(nm, &c->key, &f)) == 0 &&
	    (rv = nng_sendmsg(p->push, nm, NNG_FLAG_NONBLOCK)) != 0) {
		cluster_frame_unseal(nm);
		rv = EHOSTUNREACH;
	}
	pthread_mutex_unlock(&p->tx_mu);
	return rv;
}

/* Send a hello to one peer (any thread). */
void
cluster_send_hello(struct cluster *c, struct peer *p)
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
		    cluster_send(c, p, nm) != 0)
			nng_msg_free(nm);
	}
	rt_msg_free(m);
}

static void
pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	struct peer *p = arg;
	struct cluster *c = p->c;

	(void)pipe;
	if (atomic_load(&c->closing))
		return;
	if (ev == NNG_PIPE_EV_ADD_POST) {
		atomic_fetch_add(&p->pipes, 1);
		cluster_send_hello(c, p);
		pthread_mutex_lock(&c->mu);
		if (atomic_load(&p->node) && atomic_load(&p->heard))
			cluster_set_state(p, CLUSTER_UP, "");
		pthread_mutex_unlock(&c->mu);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		pthread_mutex_lock(&c->mu);
		if (atomic_fetch_sub(&p->pipes, 1) == 1) {
			atomic_store(&p->heard, false);
			if (atomic_load(&p->state) == CLUSTER_UP)
				cluster_set_state(p, CLUSTER_DOWN,
				                  "connection lost");
		}
		pthread_mutex_unlock(&c->mu);
	}
}

static struct peer *
peer_new(struct cluster *c)
{
	struct peer *p = calloc(1, sizeof(*p));
	int rv;

	if (!p)
		return NULL;
	p->batch = calloc(rt_workers(c->rt), sizeof(*p->batch));
	if (!p->batch) {
		free(p);
		return NULL;
	}
	p->c = c;
	if ((rv = nng_push0_open(&p->push)) != 0) {
		rt_err("cluster: push socket: %s", nng_strerror(rv));
		free(p->batch);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->tx_mu, NULL);
	nng_socket_set_int(p->push, NNG_OPT_SENDBUF, 1024);
	nng_socket_set_ms(p->push, NNG_OPT_RECONNMINT, 100);
	nng_socket_set_ms(p->push, NNG_OPT_RECONNMAXT, 1000);
	nng_pipe_notify(p->push, NNG_PIPE_EV_ADD_POST, pipe_cb, p);
	nng_pipe_notify(p->push, NNG_PIPE_EV_REM_POST, pipe_cb, p);
	return p;
}

/* Called with c->mu held. A forgotten peer that says hello again gets its
 * slot back, push socket and dialer included (they were never closed: nng
 * has crashed on a dialer closed and a new one started on the same socket
 * under traffic). The table (read without a lock) never shrinks. */
struct peer *
cluster_peer_add(struct cluster *c, const char *url, bool learned)
{
	size_t n = atomic_load(&c->n_peers);
	struct peer *p = NULL;
	int rv;

	for (size_t i = 0; i < n && !p; i++)
		if (atomic_load(&c->peers[i]->gone) &&
		    strcmp(c->peers[i]->url, url) == 0)
			p = c->peers[i];
	if (!p) {
		if (n == CLUSTER_MAX_PEERS)
			return NULL;
		if (!(p = peer_new(c)))
			return NULL;
		snprintf(p->url, sizeof(p->url), "%s", url);
		rv = nng_dial(p->push, url, &p->dialer, NNG_FLAG_NONBLOCK);
		if (rv != 0)
			rt_err("cluster: cannot dial %s: %s", url,
			       nng_strerror(rv));
		c->peers[n] = p;
		atomic_store_explicit(&c->n_peers, n + 1, memory_order_release);
	}
	p->learned = learned;
	p->name[0] = p->version[0] = '\0';
	p->incarnation = 0;
	p->authed = false;
	atomic_store(&p->peer_nonce, 0);
	atomic_store(&p->heard, false);
	atomic_store(&p->state, CLUSTER_CONNECTING);
	p->since = p->last_heard = nng_clock();
	atomic_store(&p->gone, false);
	return p;
}

void
cluster_session_end(struct cluster *c, struct peer *p)
{
	unsigned i;

	if (!p->authed)
		return;
	i = c->n_retired++ % CLUSTER_RETIRED;
	c->retired[i].node = atomic_load(&p->node);
	c->retired[i].nonce = p->rx_nonce;
	c->retired[i].max = p->rx.max;
	p->authed = false;
}

/* A learned peer silent for too long: forget it (no longer shown, routed
 * to or trusted) until it says hello again. Called with c->mu held. */
static void
forget(struct cluster *c, struct peer *p, nng_time silent)
{
	rt_info("cluster: forgot learned peer %s at %s: silent for %" PRIu64
	        " ms",
	        p->name[0] ? p->name : "?", p->url, (uint64_t)silent);
	cluster_session_end(c, p);
	atomic_store(&p->node, 0);
	atomic_store(&p->heard, false);
	atomic_store(&p->state, CLUSTER_CONNECTING);
	atomic_store(&p->gone, true);
}

static void
tick_cb(void *arg)
{
	struct cluster *c = arg;
	nng_time now, silent, dead, forget_after;
	size_t n;

	if (nng_aio_result(c->tick) != 0 || atomic_load(&c->closing))
		return;
	dead = (nng_time)c->hb_ms * c->dead_after;
	forget_after = dead * CLUSTER_FORGET_AFTER;
	n = atomic_load(&c->n_peers);
	for (size_t i = 0; i < n; i++) {
		struct peer *p = c->peers[i];

		if (atomic_load(&p->gone))
			continue;
		if (atomic_load(&p->pipes) > 0)
			cluster_send_hello(c, p);
		pthread_mutex_lock(&c->mu);
		/* read the clock under the lock: the receiver moves last_heard
		 * on with every frame, and a time taken before it would make
		 * the silence negative, that is huge */
		now = nng_clock();
		silent = now > p->last_heard ? now - p->last_heard : 0;
		if (atomic_load(&p->state) == CLUSTER_UP && silent > dead) {
			atomic_store(&p->heard, false);
			cluster_set_state(p, CLUSTER_DOWN, "no heartbeat");
		}
		if (p->learned && !atomic_load(&p->gone) &&
		    silent > forget_after)
			forget(c, p, silent);
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
	if ((rv = nng_aio_alloc(&c->rx, cluster_rx_cb, c)) != 0 ||
	    (rv = nng_aio_alloc(&c->tick, tick_cb, c)) != 0)
		goto fail;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < cfg->n_peers; i++)
		if (strcmp(cfg->peers[i], c->listen) != 0 &&
		    !cluster_peer_add(c, cfg->peers[i], false))
			rt_err("cluster: too many peers, not dialling %s",
			       cfg->peers[i]);
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
