/*
 * Replication, the sending side: for each (peer, origin) a stream from the
 * peer's cursor, at most REPL_WINDOW batches in flight, each acked once the
 * peer committed it. The peer's ReplHave (on link up and every heartbeat)
 * says where a stream starts; an ack that does not say what we expected
 * (the peer got that range elsewhere, or holds less) makes the stream start
 * again from what the peer holds once the window is empty, so nothing is
 * lost and the peer's store skips what it already has.
 *
 * Third origins (neither us nor the peer) are sent when their origin is not
 * up for us (a dead or partitioned node: its events still spread), or when
 * the peer's cursor of that origin did not move in REPL_STUCK heartbeats
 * although we hold more (the peer does not get them from the origin itself).
 * Otherwise the origin streams them itself and we would only send duplicates.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pbx_clock.h"
#include "repl_int.h"

static int
range_cb(void *arg, uint64_t seq, const uint8_t *p, size_t n)
{
	struct repl *r = arg;
	struct repl_read *rd = &r->rd;

	(void)seq;
	if (rd->n == REPL_BATCH_EVENTS)
		return ENOSPC;
	if (r->buf_len + n > r->buf_cap) {
		size_t cap = r->buf_cap ? r->buf_cap : 64 * 1024;
		uint8_t *nb;

		while (cap < r->buf_len + n)
			cap *= 2;
		if (!(nb = realloc(r->buf, cap)))
			return ENOMEM;
		r->buf = nb;
		r->buf_cap = cap;
	}
	memcpy(r->buf + r->buf_len, p, n);
	rd->off[rd->n] = r->buf_len;
	rd->len[rd->n++] = n;
	r->buf_len += n;
	return 0;
}

bool
repl_may_send(struct repl *r, struct repl_peer *p, struct repl_out *o)
{
	struct repl_peer *op;

	if (!p->up || !p->heard || o->paused || o->restart)
		return false;
	if (o->origin == p->node)
		return false; /* the peer is the origin: it has them */
	if (o->origin == rt_node_id(r->rt))
		return true;
	op = repl_peer_get(r, o->origin, false);
	return !op || !op->up || o->gossip;
}

/* One batch from o->sent on; false when nothing was sent. */
static bool
send_batch(struct repl *r, rt_actor *a, struct repl_peer *p, struct repl_out *o)
{
	struct repl_read *rd = &r->rd;
	rt_addr to = { p->node, 0, RT_ID_REPL };
	Pbx__ReplEvents *ev;
	uint64_t upto = 0;
	rt_msg *m;
	int err;

	rd->n = 0;
	r->buf_len = 0;
	err =
	    store_events_range(r->store, o->origin, o->sent, REPL_BATCH_EVENTS,
	                       REPL_BATCH_BYTES, &upto, range_cb, r);
	if (err) {
		rt_warn("repl: reading origin %" PRIu32 " after %" PRIu64
		        ": %s",
		        o->origin, o->sent, strerror(err));
		return false;
	}
	if (upto <= o->sent)
		return false;
	m = rt_msg_new(PBX__ENVELOPE__BODY_REPL_EVENTS,
	               r->buf_len + rd->n * sizeof(ProtobufCBinaryData), &ev);
	if (!m)
		return false;
	ev->origin = o->origin;
	ev->after = o->sent;
	ev->upto = upto;
	ev->batch = ++r->next_batch;
	ev->live = o->live;
	ev->n_events = rd->n;
	ev->events = rt_msg_alloc(m, rd->n * sizeof(*ev->events));
	for (size_t i = 0; i < rd->n; i++) {
		ev->events[i].len = rd->len[i];
		ev->events[i].data =
		    rt_msg_memdup(m, r->buf + rd->off[i], rd->len[i]);
	}
	if (rt_send(a, to, m) != 0) {
		rt_msg_free(m); /* the link is down: its PeerLink follows */
		return false;
	}
	o->fl[o->n_fl++] = (struct repl_flight){ .batch = r->next_batch,
		                                 .after = o->sent,
		                                 .upto = upto,
		                                 .sent_ms = pbx_mono_ms() };
	o->sent = upto;
	atomic_fetch_add(&r->batches_sent, 1);
	return true;
}

void
repl_pump(struct repl *r, rt_actor *a, struct repl_peer *p, struct repl_out *o)
{
	const Pbx__StoreCursor *end = repl_end(r, o->origin);

	if (!end)
		return;
	while (o->n_fl < REPL_WINDOW && o->sent < end->seq &&
	       repl_may_send(r, p, o))
		if (!send_batch(r, a, p, o))
			break;
	/* caught up: from now on what we send is live (counts for lag) */
	if (o->sent >= end->seq && repl_may_send(r, p, o))
		o->live = true;
}

void
repl_on_ack(struct repl *r, rt_actor *a, uint32_t node, const Pbx__ReplAck *k)
{
	struct repl_peer *p;
	struct repl_out *o;
	struct repl_flight fl;

	pthread_mutex_lock(&r->mu);
	if (!(p = repl_peer_get(r, node, false)) ||
	    !(o = repl_out_get(p, k->origin, false)) || o->n_fl == 0 ||
	    o->fl[0].batch != k->batch)
		goto out; /* of a stream we since started again */
	fl = o->fl[0];
	memmove(&o->fl[0], &o->fl[1], --o->n_fl * sizeof(o->fl[0]));
	o->acked = k->held;
	if (k->held != fl.upto) {
		/* not applied as sent: the peer could not commit (it holds
		 * what it held: wait for its next have), or it holds another
		 * seq (start again from there) */
		if (k->held == fl.after)
			o->paused = true;
		else
			o->restart = true;
		o->live = false;
		atomic_fetch_add(&r->skipped, 1);
	}
	if (o->n_fl == 0 && (o->restart || o->paused)) {
		o->sent = o->acked;
		o->restart = false;
	}
	if (o->n_fl == 0 || !o->restart)
		repl_pump(r, a, p, o);
out:
	pthread_mutex_unlock(&r->mu);
}

static const Pbx__StoreCursor *
have_of(const Pbx__ReplHave *h, uint32_t origin)
{
	for (size_t i = 0; i < h->n_have; i++)
		if (h->have[i] && h->have[i]->origin == origin)
			return h->have[i];
	return NULL;
}

static void
have_one(struct repl *r, struct repl_peer *p, uint32_t origin,
         const Pbx__StoreCursor *c)
{
	struct repl_out *o = repl_out_get(p, origin, true);
	const Pbx__StoreCursor *end;
	bool moved;

	if (!o)
		return;
	/* the first have after a (re)start says nothing of progress */
	moved = !o->had_have || (c ? c->seq : 0) != o->have;
	o->still = moved ? 0 : o->still + 1;

	o->had_have = true;
	o->have = c ? c->seq : 0;
	o->have_at_ms = c ? c->at_ms : 0;
	if (o->n_fl == 0) {
		o->acked = o->sent = o->have;
		o->restart = o->paused = false;
	}
	end = repl_end(r, origin);
	if (origin != rt_node_id(r->rt) && origin != p->node)
		o->gossip = end && o->have < end->seq && o->still >= REPL_STUCK;
}

void
repl_on_have(struct repl *r, rt_actor *a, uint32_t node, const Pbx__ReplHave *h)
{
	struct repl_peer *p;

	pthread_mutex_lock(&r->mu);
	if (!(p = repl_peer_get(r, node, true)))
		goto out;
	if (p->incarnation && p->incarnation != h->incarnation) {
		rt_info("repl: node %" PRIu32
		        " restarted: its streams start from what it holds",
		        node);
		for (size_t i = 0; i < p->n_out; i++)
			repl_out_reset(&p->out[i], 0);
	}
	p->incarnation = h->incarnation;
	p->heard = p->ever = true;
	for (size_t i = 0; i < h->n_have; i++)
		if (h->have[i] && h->have[i]->origin)
			have_one(r, p, h->have[i]->origin, h->have[i]);
	for (size_t i = 0; i < r->n_ends; i++)
		if (!have_of(h, r->ends[i].origin))
			have_one(r, p, r->ends[i].origin, NULL);
	/* a have may come before the link's up notice: it is up */
	p->up = true;
	for (size_t i = 0; i < p->n_out; i++)
		if (repl_may_send(r, p, &p->out[i]))
			repl_pump(r, a, p, &p->out[i]);
out:
	pthread_mutex_unlock(&r->mu);
}

void
repl_on_bounce(struct repl *r, uint32_t node)
{
	struct repl_peer *p;

	pthread_mutex_lock(&r->mu);
	if ((p = repl_peer_get(r, node, false)))
		for (size_t i = 0; i < p->n_out; i++)
			if (p->out[i].n_fl)
				repl_out_reset(&p->out[i], p->out[i].acked);
	pthread_mutex_unlock(&r->mu);
}
