/*
 * What arrives on the pull socket, in order (one receive in flight):
 * a frame is opened (MAC checked), its counter checked against the
 * sender's session, and its envelopes handed out: a hello to the link
 * layer, anything else to an actor only if the sender's session is
 * authenticated and the allow-list (guard.c) lets it through.
 *
 * A session starts with a hello in a frame that names our nonce: the
 * sender can only have made it after hearing from this process, so a
 * recording of an earlier session cannot start one. A hello in a frame
 * that does not name our nonce (the peer has not heard from us yet, or we
 * restarted) is still worth something: it tells us where to dial, and the
 * hello we then send it carries our nonce.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cluster_int.h"
#include "log.h"

/* Who sent nm, for the log: the pipe's remote address. */
static const char *
remote(nng_msg *nm, char *buf, size_t len)
{
	nng_sockaddr sa;
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "?");
	if (nng_pipe_get_addr(nng_msg_get_pipe(nm), NNG_OPT_REMADDR, &sa) != 0)
		return buf;
	if (sa.s_family == NNG_AF_INET &&
	    inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip)))
		snprintf(buf, len, "%s:%u", ip, ntohs(sa.s_in.sa_port));
	else if (sa.s_family == NNG_AF_INET6 &&
	         inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip)))
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
	else if (sa.s_family == NNG_AF_IPC)
		snprintf(buf, len, "ipc");
	return buf;
}

/* The peer whose authenticated session f belongs to; c->mu held. */
static struct peer *
session(struct cluster *c, const struct cluster_frame *f)
{
	size_t n = atomic_load(&c->n_peers);

	for (size_t i = 0; i < n; i++) {
		struct peer *p = c->peers[i];

		if (!atomic_load(&p->gone) && p->authed &&
		    atomic_load(&p->node) == f->node && p->rx_nonce == f->nonce)
			return p;
	}
	return NULL;
}

/* The ended session f belongs to, if any; c->mu held. */
static int
retired(struct cluster *c, const struct cluster_frame *f)
{
	unsigned n =
	    c->n_retired < CLUSTER_RETIRED ? c->n_retired : CLUSTER_RETIRED;

	for (unsigned i = 0; i < n; i++)
		if (c->retired[i].node == f->node &&
		    c->retired[i].nonce == f->nonce)
			return (int)i;
	return -1;
}

static const char *
kind_name(const Pbx__Envelope *e)
{
	const ProtobufCFieldDescriptor *fd =
	    protobuf_c_message_descriptor_get_field(&pbx__envelope__descriptor,
	                                            (unsigned)e->body_case);

	return fd ? fd->name : "unknown";
}

static void
handle_hello(struct cluster *c, const struct cluster_frame *f, bool bound,
             const Pbx__Hello *h)
{
	struct peer *p = NULL;
	bool tell = false;
	const char *why;
	size_t n;
	int err, old;

	if ((err = cluster_hello_check(c, f->node, h, &why)) != 0) {
		cluster_drop(c,
		             err == EPERM ? CLUSTER_DROP_REFUSED
		                          : CLUSTER_DROP_MALFORMED,
		             PBX__ENVELOPE__BODY_HELLO,
		             "hello from node %" PRIu32 ": %s", f->node, why);
		return;
	}
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
		if (!atomic_load(&c->peers[i]->gone) &&
		    strcmp(c->peers[i]->url, h->listen) == 0)
			p = c->peers[i];
	if (!p) {
		p = cluster_peer_add(c, h->listen, true);
		if (!p) {
			pthread_mutex_unlock(&c->mu);
			cluster_drop(c, CLUSTER_DROP_PEERS_FULL,
			             PBX__ENVELOPE__BODY_HELLO,
			             "hello from %s at %s: %d peers already",
			             h->name, h->listen, CLUSTER_MAX_PEERS);
			return;
		}
		rt_info("cluster: learned peer %s at %s", h->name, h->listen);
	}
	if (bound && (!p->authed || p->rx_nonce != f->nonce) &&
	    (old = retired(c, f)) >= 0 && f->counter <= c->retired[old].max) {
		/* a recording of a session that ended (the peer restarted,
		 * or we forgot it): without this, it would reopen that
		 * session and let its old frames through again */
		pthread_mutex_unlock(&c->mu);
		cluster_drop(c, CLUSTER_DROP_REPLAY, PBX__ENVELOPE__BODY_HELLO,
		             "hello of an ended session of node %" PRIu32,
		             f->node);
		return;
	}
	/* the nonce our frames to it must name */
	tell = atomic_exchange(&p->peer_nonce, f->nonce) != f->nonce;
	/* before it can be up: our next frames must not overtake it */
	if (tell)
		cluster_send_hello(c, p);
	if (bound) {
		if (!p->authed || p->rx_nonce != f->nonce) {
			/* a new session, or one we forgot while the peer was
			 * silent: its counters start after this one (what
			 * it sent before was dropped and stays so) */
			cluster_session_end(c, p);
			p->authed = true;
			p->rx_nonce = f->nonce;
			p->rx =
			    (struct cluster_replay){ f->counter, UINT64_MAX };
		}
		bool restarted =
		    p->incarnation && p->incarnation != h->incarnation;

		if (restarted)
			rt_info("peer %s (node %" PRIu32 ") restarted", h->name,
			        h->node);
		p->incarnation = h->incarnation;
		if (restarted && atomic_load(&p->state) == CLUSTER_UP)
			cluster_notify(c, p);
		snprintf(p->name, sizeof(p->name), "%s", h->name);
		snprintf(p->version, sizeof(p->version), "%s",
		         h->version ? h->version : "");
		atomic_store(&p->node, h->node);
		atomic_store(&p->heard, true);
		p->last_heard = nng_clock();
		if (atomic_load(&p->pipes) > 0)
			cluster_set_state(p, CLUSTER_UP, "");
	}
	pthread_mutex_unlock(&c->mu);
}

void
cluster_received(struct cluster *c, const struct cluster_frame *f, bool bound,
                 rt_msg *m)
{
	Pbx__Envelope *e = rt_msg_env(m);
	const char *why;
	bool authed = false;
	int err;

	if (e->body_case == PBX__ENVELOPE__BODY_HELLO) {
		handle_hello(c, f, bound, e->hello);
		goto out;
	}
	if (bound) {
		pthread_mutex_lock(&c->mu);
		authed = session(c, f) != NULL;
		pthread_mutex_unlock(&c->mu);
	}
	if (!authed) {
		cluster_drop(c, CLUSTER_DROP_UNAUTH, (unsigned)e->body_case,
		             "%s from node %" PRIu32 " before its hello",
		             kind_name(e), f->node);
		goto out;
	}
	if ((err = cluster_filter(c, f->node, e, &why)) != 0) {
		cluster_drop(c,
		             err == EPERM ? CLUSTER_DROP_REFUSED
		                          : CLUSTER_DROP_MALFORMED,
		             (unsigned)e->body_case,
		             "%s from node %" PRIu32 " to %" PRIu32 "/%" PRIu32
		             "/%" PRIu64 ": %s",
		             kind_name(e), f->node, e->to ? e->to->node : 0,
		             e->to ? e->to->worker : 0, e->to ? e->to->id : 0,
		             why);
		goto out;
	}
	rt_deliver(c->rt, m);
	return;
out:
	rt_msg_free(m);
}

static void
frame_received(struct cluster *c, nng_msg *nm)
{
	struct cluster_frame f;
	const uint8_t *batch;
	size_t len;
	bool bound;
	char from[64];
	int err;

	err = cluster_frame_open(&f, &batch, &len, &c->key, nng_msg_body(nm),
	                         nng_msg_len(nm));
	if (err) {
		cluster_drop(c,
		             err == EACCES ? CLUSTER_DROP_BAD_MAC
		                           : CLUSTER_DROP_MALFORMED,
		             0, "%zu-byte message from %s: %s", nng_msg_len(nm),
		             remote(nm, from, sizeof(from)),
		             err == EACCES ? "wrong MAC (not our cluster "
		                             "secret?)"
		                           : "not a cluster frame");
		return;
	}
	bound = f.peer_nonce == c->nonce;
	if (bound) {
		struct peer *p;

		pthread_mutex_lock(&c->mu);
		p = session(c, &f);
		if (p && !cluster_replay_check(&p->rx, f.counter)) {
			pthread_mutex_unlock(&c->mu);
			cluster_drop(c, CLUSTER_DROP_REPLAY, 0,
			             "frame %" PRIu64 " from node %" PRIu32
			             " (%s) seen before",
			             f.counter, f.node,
			             remote(nm, from, sizeof(from)));
			return;
		}
		if (p)
			p->last_heard = nng_clock();
		pthread_mutex_unlock(&c->mu);
	}
	cluster_batch_each(c, &f, bound, batch, len);
}

void
cluster_rx_cb(void *arg)
{
	struct cluster *c = arg;
	int rv = nng_aio_result(c->rx);
	nng_msg *nm;

	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (rv == 0) {
		nm = nng_aio_get_msg(c->rx);
		frame_received(c, nm);
		nng_msg_free(nm);
	}
	nng_recv_aio(c->pull, c->rx);
}
