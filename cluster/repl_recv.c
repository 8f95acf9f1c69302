/*
 * Replication, the receiving side: a ReplEvents goes to the store
 * (store_append_remote), which checks the range against what we hold and
 * answers after the commit; the answer becomes a ReplAck to the sender with
 * what we then hold. The lag of live-pushed events (committed at their
 * origin while the stream was at the end) is the time from their commit
 * there (at_ms) to their commit here, kept in a histogram.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pbx_clock.h"
#include "repl_int.h"

static void
send_ack(rt_actor *a, uint32_t node, uint32_t origin, uint64_t held,
         uint64_t batch)
{
	rt_addr to = { node, 0, RT_ID_REPL };
	Pbx__ReplAck *k;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_REPL_ACK, 0, &k);

	if (!m)
		return;
	k->origin = origin;
	k->held = held;
	k->batch = batch;
	if (rt_send(a, to, m) != 0)
		rt_msg_free(m);
}

/* What we hold of one origin now. */
static uint64_t
held_of(struct repl *r, uint32_t origin)
{
	Pbx__StoreCursor cur[REPL_MAX_ORIGINS];
	size_t n;

	for (size_t i = 0; i < REPL_MAX_ORIGINS; i++)
		pbx__store_cursor__init(&cur[i]);
	n = store_origins(r->store, cur, REPL_MAX_ORIGINS);
	for (size_t i = 0; i < n && i < REPL_MAX_ORIGINS; i++)
		if (cur[i].origin == origin)
			return cur[i].seq;
	return 0;
}

/* A peer's batch we could not take, logged at most once a second (a peer
 * that keeps sending a bad range must not flood the log). */
static void
refused(struct repl *r, uint32_t node, const Pbx__ReplEvents *e, int err)
{
	uint64_t now = pbx_mono_ms();

	if (r->warned_ms && now - r->warned_ms < 1000) {
		r->quiet++;
		return;
	}
	rt_warn("repl: events of origin %" PRIu32 " (%" PRIu64 ", %" PRIu64
	        "] from node %" PRIu32 " refused: %s; %" PRIu64
	        " more refused batches not logged",
	        e->origin, e->after, e->upto, node, strerror(err), r->quiet);
	r->warned_ms = now;
	r->quiet = 0;
}

static struct repl_pending *
pending_new(struct repl *r)
{
	/* correlations rise; the slot is the correlation's remainder, so an
	 * answer finds its slot at once */
	for (size_t tries = 0; tries < REPL_MAX_PENDING; tries++) {
		uint64_t c = ++r->next_corr;
		struct repl_pending *p = &r->pending[c % REPL_MAX_PENDING];

		if (!p->corr) {
			p->corr = c;
			return p;
		}
	}
	return NULL;
}

static bool
varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned shift = 0; *pp < end && shift < 64; shift += 7) {
		uint8_t b = *(*pp)++;

		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

/* The at_ms of a packed pbx.Event (field 3, a varint), read off the wire
 * form: protobuf-c writes fields in order, so it is within the first few
 * bytes and the event need not be unpacked. 0 if it is not there. */
uint64_t
repl_event_at_ms(const ProtobufCBinaryData *b)
{
	const uint8_t *p = b->data, *end = b->data + b->len;
	uint64_t tag, v;

	while (p < end && varint(&p, end, &tag)) {
		switch (tag & 7) {
		case 0:
			if (!varint(&p, end, &v))
				return 0;
			if (tag >> 3 == 3)
				return v;
			break;
		case 1:
			if (end - p < 8)
				return 0;
			p += 8;
			break;
		case 2:
			if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
				return 0;
			p += v;
			break;
		case 5:
			if (end - p < 4)
				return 0;
			p += 4;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

void
repl_on_events(struct repl *r, rt_actor *a, uint32_t node,
               const Pbx__ReplEvents *e)
{
	struct repl_pending *p;
	int err;

	atomic_fetch_add(&r->batches_received, 1);
	if (!node || e->origin == rt_node_id(r->rt) || !e->origin) {
		refused(r, node, e, EINVAL); /* our own events, or none */
		return;
	}
	if (!(p = pending_new(r))) {
		/* more batches being committed than the windows allow: the
		 * sender starts again from what we hold */
		send_ack(a, node, e->origin, held_of(r, e->origin), e->batch);
		return;
	}
	p->node = node;
	p->origin = e->origin;
	p->batch = e->batch;
	p->n_at = 0;
	if (e->live && e->n_events) {
		p->at_ms = malloc(e->n_events * sizeof(*p->at_ms));
		for (size_t i = 0; p->at_ms && i < e->n_events; i++)
			p->at_ms[p->n_at++] = repl_event_at_ms(&e->events[i]);
	}
	err = store_append_remote(r->store, r->self, p->corr, e->origin,
	                          e->after, e->upto, e->events, e->n_events);
	if (err) {
		refused(r, node, e, err);
		free(p->at_ms);
		p->at_ms = NULL;
		p->corr = 0;
		send_ack(a, node, e->origin, held_of(r, e->origin), e->batch);
	}
}

void
repl_on_applied(struct repl *r, rt_actor *a, uint64_t corr,
                const Pbx__StoreApplied *ap)
{
	struct repl_pending *p = &r->pending[corr % REPL_MAX_PENDING];
	uint64_t now = pbx_wall_ms();

	if (!corr || p->corr != corr)
		return;
	if (ap->error)
		rt_warn("repl: events of origin %" PRIu32 " from node %" PRIu32
		        " not committed: %s",
		        ap->origin, p->node, strerror(ap->error));
	if (ap->applied && p->n_at) {
		pthread_mutex_lock(&r->mu);
		for (size_t i = 0; i < p->n_at; i++)
			repl_lag_add(r,
			             now > p->at_ms[i] ? now - p->at_ms[i] : 0);
		pthread_mutex_unlock(&r->mu);
	}
	send_ack(a, p->node, p->origin, ap->held, p->batch);
	free(p->at_ms);
	p->at_ms = NULL;
	p->corr = 0;
}

void
repl_pending_free(struct repl *r)
{
	for (size_t i = 0; i < REPL_MAX_PENDING; i++) {
		free(r->pending[i].at_ms);
		r->pending[i].at_ms = NULL;
		r->pending[i].corr = 0;
	}
}

/* --- the lag histogram ------------------------------------------------ */

static size_t
bucket_of(uint64_t ms)
{
	if (ms < 100)
		return (size_t)ms;
	if (ms < 1000)
		return 100 + (size_t)(ms - 100) / 10;
	if (ms < 10000)
		return 190 + (size_t)(ms - 1000) / 100;
	if (ms < 600000)
		return 280 + (size_t)(ms - 10000) / 1000;
	return REPL_LAG_BUCKETS - 1;
}

/* The upper edge of a bucket. */
static uint64_t
bucket_ms(size_t b)
{
	if (b < 100)
		return b + 1;
	if (b < 190)
		return 100 + (b - 100 + 1) * 10;
	if (b < 280)
		return 1000 + (b - 190 + 1) * 100;
	if (b < REPL_LAG_BUCKETS - 1)
		return 10000 + (b - 280 + 1) * 1000;
	return 600000;
}

void
repl_lag_add(struct repl *r, uint64_t ms)
{
	r->lag[bucket_of(ms)]++;
	r->lag_n++;
}

static uint64_t
quantile(const struct repl *r, uint64_t permille)
{
	uint64_t want = (r->lag_n * permille + 999) / 1000, seen = 0;

	for (size_t b = 0; b < REPL_LAG_BUCKETS; b++) {
		seen += r->lag[b];
		if (seen >= want && seen)
			return bucket_ms(b);
	}
	return 0;
}

void
repl_lag(struct repl *r, struct repl_lag *out)
{
	pthread_mutex_lock(&r->mu);
	out->count = r->lag_n;
	out->p50_ms = r->lag_n ? quantile(r, 500) : 0;
	out->p99_ms = r->lag_n ? quantile(r, 990) : 0;
	pthread_mutex_unlock(&r->mu);
}
