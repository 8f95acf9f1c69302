/*
 * The replication actor (repl.h): its tables, link changes, the heartbeat
 * that tells every peer what we hold, and the snapshots admin reads. The
 * sending side is in repl_send.c, the receiving side in repl_recv.c,
 * retention in repl_prune.c.
 *
 * The tables are the actor's, on worker 0; they sit under r->mu only so that
 * admin (another actor) can read a consistent snapshot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pbx_clock.h"
#include "repl_int.h"

struct repl_state {
	struct repl *r;
};

struct repl_peer *
repl_peer_get(struct repl *r, uint32_t node, bool add)
{
	for (size_t i = 0; i < r->n_peers; i++)
		if (r->peers[i].node == node)
			return &r->peers[i];
	if (!add || !node || node == rt_node_id(r->rt) ||
	    r->n_peers == REPL_MAX_PEERS)
		return NULL;
	memset(&r->peers[r->n_peers], 0, sizeof(r->peers[0]));
	r->peers[r->n_peers].node = node;
	return &r->peers[r->n_peers++];
}

struct repl_out *
repl_out_get(struct repl_peer *p, uint32_t origin, bool add)
{
	for (size_t i = 0; i < p->n_out; i++)
		if (p->out[i].origin == origin)
			return &p->out[i];
	if (!add || p->n_out == REPL_MAX_ORIGINS)
		return NULL;
	memset(&p->out[p->n_out], 0, sizeof(p->out[0]));
	p->out[p->n_out].origin = origin;
	return &p->out[p->n_out++];
}

const Pbx__StoreCursor *
repl_end(struct repl *r, uint32_t origin)
{
	for (size_t i = 0; i < r->n_ends; i++)
		if (r->ends[i].origin == origin)
			return &r->ends[i];
	return NULL;
}

/* Forget what is in flight: the stream starts again from `from`. */
void
repl_out_reset(struct repl_out *o, uint64_t from)
{
	o->n_fl = 0;
	o->acked = o->sent = from;
	o->restart = o->paused = o->live = false;
}

/* Our log's end per origin moves on (never back). */
static void
end_update(struct repl *r, const Pbx__StoreCursor *c)
{
	for (size_t i = 0; i < r->n_ends; i++) {
		if (r->ends[i].origin != c->origin)
			continue;
		if (c->seq > r->ends[i].seq) {
			r->ends[i].seq = c->seq;
			r->ends[i].at_ms = c->at_ms;
		}
		return;
	}
	if (r->n_ends == REPL_MAX_ORIGINS) {
		rt_warn("repl: more than %d origins, origin %" PRIu32
		        " not replicated",
		        REPL_MAX_ORIGINS, c->origin);
		return;
	}
	pbx__store_cursor__init(&r->ends[r->n_ends]);
	r->ends[r->n_ends].origin = c->origin;
	r->ends[r->n_ends].seq = c->seq;
	r->ends[r->n_ends++].at_ms = c->at_ms;
}

static void
ends_refresh(struct repl *r)
{
	Pbx__StoreCursor cur[REPL_MAX_ORIGINS];
	size_t n;

	for (size_t i = 0; i < REPL_MAX_ORIGINS; i++)
		pbx__store_cursor__init(&cur[i]);
	n = store_origins(r->store, cur, REPL_MAX_ORIGINS);
	for (size_t i = 0; i < n && i < REPL_MAX_ORIGINS; i++)
		end_update(r, &cur[i]);
}

/* Tell one peer what we hold. */
static void
send_have(struct repl *r, rt_actor *a, uint32_t node)
{
	rt_addr to = { node, 0, RT_ID_REPL };
	Pbx__ReplHave *h;
	Pbx__StoreCursor *cur;
	rt_msg *m;

	m = rt_msg_new(PBX__ENVELOPE__BODY_REPL_HAVE,
	               r->n_ends * (sizeof(*cur) + sizeof(cur)), &h);
	if (!m)
		return;
	h->incarnation = r->incarnation;
	h->n_have = r->n_ends;
	h->have = rt_msg_alloc(m, r->n_ends * sizeof(*h->have));
	cur = rt_msg_alloc(m, r->n_ends * sizeof(*cur));
	for (size_t i = 0; i < r->n_ends; i++) {
		cur[i] = r->ends[i];
		h->have[i] = &cur[i];
	}
	if (rt_send(a, to, m) != 0)
		rt_msg_free(m);
}

static void
link_change(struct repl *r, rt_actor *a, uint32_t node, bool up,
            uint64_t incarnation)
{
	struct repl_peer *p = repl_peer_get(r, node, true);

	(void)incarnation;
	if (!p)
		return;
	/* what was in flight may be lost either way: the peer's next have
	 * says where to go on from */
	for (size_t i = 0; i < p->n_out; i++)
		repl_out_reset(&p->out[i], p->out[i].acked);
	p->up = up;
	p->heard = false;
	if (up)
		send_have(r, a, node);
}

/* The cluster's view, each heartbeat: a link change we were not told of
 * (we started after it) is caught here. Also what retention needs: every
 * peer the cluster knows, and whether each has said what it holds. */
static void
peers_sync(struct repl *r, rt_actor *a)
{
	struct cluster_peer_info info[REPL_MAX_PEERS];
	size_t n = cluster_peers(r->cluster, info, REPL_MAX_PEERS);
	Pbx__StoreCursor hold[REPL_MAX_ORIGINS];
	bool unknown = false;

	for (size_t i = 0; i < n; i++) {
		struct repl_peer *p;
		bool up = info[i].state == CLUSTER_UP;

		if (!info[i].node) {
			unknown = true; /* configured, never heard from */
			continue;
		}
		p = repl_peer_get(r, info[i].node, true);
		if (p && p->up != up)
			link_change(r, a, info[i].node, up,
			            info[i].incarnation);
	}
	/* retention: the least seq every peer holds, per origin; a peer that
	 * has not told us yet holds nothing */
	for (size_t k = 0; k < r->n_ends; k++) {
		pbx__store_cursor__init(&hold[k]);
		hold[k].origin = r->ends[k].origin;
		hold[k].seq = unknown ? 0 : UINT64_MAX;
		for (size_t i = 0; i < n; i++) {
			struct repl_peer *p =
			    info[i].node ? repl_peer_get(r, info[i].node, false)
			                 : NULL;
			struct repl_out *o;
			uint64_t h;

			if (!p)
				continue;
			if (p->node == hold[k].origin)
				continue; /* its own events: it has them */
			o = p->ever ? repl_out_get(p, hold[k].origin, false)
			            : NULL;
			h = o ? o->have : 0;
			if (h < hold[k].seq)
				hold[k].seq = h;
		}
		if (hold[k].seq == UINT64_MAX)
			hold[k].seq = r->ends[k].seq;
	}
	repl_pruner_hold(r, n > 0, hold, r->n_ends);
}

static void
heartbeat(rt_actor *a, void *arg)
{
	struct repl *r = arg;
	uint64_t now = pbx_mono_ms();

	pthread_mutex_lock(&r->mu);
	ends_refresh(r);
	peers_sync(r, a);
	for (size_t i = 0; i < r->n_peers; i++) {
		struct repl_peer *p = &r->peers[i];

		if (!p->up)
			continue;
		send_have(r, a, p->node);
		for (size_t k = 0; k < p->n_out; k++) {
			struct repl_out *o = &p->out[k];

			if (o->n_fl && now - o->fl[0].sent_ms > REPL_STALL_MS) {
				rt_warn("repl: no ack from node %" PRIu32
				        " for origin %" PRIu32
				        " in %d ms: sending again from "
				        "seq %" PRIu64,
				        p->node, o->origin, REPL_STALL_MS,
				        o->acked);
				repl_out_reset(o, o->acked);
				repl_pump(r, a, p, o);
			}
		}
	}
	pthread_mutex_unlock(&r->mu);
	rt_timer_start(a, r->hb_ms, heartbeat, r);
}

/* New events committed (ours, or replicated): push them to every peer
 * whose stream of that origin is at the end. */
static void
advanced(struct repl *r, rt_actor *a, const Pbx__StoreAdvanced *adv)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < adv->n_cursors; i++)
		end_update(r, adv->cursors[i]);
	for (size_t i = 0; i < r->n_peers; i++) {
		struct repl_peer *p = &r->peers[i];

		if (!p->up || !p->heard)
			continue;
		for (size_t k = 0; k < adv->n_cursors; k++) {
			struct repl_out *o =
			    repl_out_get(p, adv->cursors[k]->origin, false);

			if (o && repl_may_send(r, p, o))
				repl_pump(r, a, p, o);
		}
	}
	pthread_mutex_unlock(&r->mu);
}

static int
repl_init(rt_actor *a, void *arg)
{
	struct repl_state *st = rt_state(a);

	st->r = arg;
	st->r->self = rt_self(a);
	pthread_mutex_lock(&st->r->mu);
	ends_refresh(st->r);
	pthread_mutex_unlock(&st->r->mu);
	rt_timer_start(a, st->r->hb_ms, heartbeat, st->r);
	return 0;
}

static void
repl_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct repl *r = ((struct repl_state *)rt_state(a))->r;
	uint32_t from = env->from ? env->from->node : 0;

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_PEER_LINK:
		if (from) /* never from a peer (guard.c refuses it too) */
			break;
		pthread_mutex_lock(&r->mu);
		link_change(r, a, env->peer_link->node, env->peer_link->up,
		            env->peer_link->incarnation);
		pthread_mutex_unlock(&r->mu);
		break;
	case PBX__ENVELOPE__BODY_REPL_HAVE:
		repl_on_have(r, a, from, env->repl_have);
		break;
	case PBX__ENVELOPE__BODY_REPL_ACK:
		repl_on_ack(r, a, from, env->repl_ack);
		break;
	case PBX__ENVELOPE__BODY_REPL_EVENTS:
		repl_on_events(r, a, from, env->repl_events);
		break;
	case PBX__ENVELOPE__BODY_STORE_ADVANCED:
		advanced(r, a, env->store_advanced);
		break;
	case PBX__ENVELOPE__BODY_STORE_APPLIED:
		repl_on_applied(r, a, env->correlation, env->store_applied);
		break;
	case PBX__ENVELOPE__BODY_UNDELIVERABLE:
		if (env->undeliverable->to)
			repl_on_bounce(r, env->undeliverable->to->node);
		break;
	default:
		break;
	}
}

static void
repl_fini(rt_actor *a, int reason)
{
	struct repl *r = ((struct repl_state *)rt_state(a))->r;

	(void)reason;
	repl_pending_free(r);
}

static const rt_kind repl_kind = {
	.name = "repl",
	.size = sizeof(struct repl_state),
	.init = repl_init,
	.handle = repl_handle,
	.fini = repl_fini,
};

int
repl_start(struct repl **out, rt *rtm, const struct repl_config *cfg)
{
	struct repl *r = calloc(1, sizeof(*r));
	rt_addr addr;
	int err;

	if (!r)
		return ENOMEM;
	r->rt = rtm;
	r->store = cfg->store;
	r->cluster = cfg->cluster;
	r->hb_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : 1000;
	r->incarnation = pbx_wall_ns();
	pthread_mutex_init(&r->mu, NULL);
	if ((err = repl_pruner_start(
	         r, cfg->retention_ms ? cfg->retention_ms : 3600 * 1000ull,
	         cfg->prune_interval_ms ? cfg->prune_interval_ms
	                                : 60 * 1000ull)) != 0)
		goto fail;
	if ((err = rt_spawn_named(rtm, &repl_kind, 0, RT_ID_REPL, r, &addr)) !=
	    0) {
		repl_pruner_stop(r);
		goto fail;
	}
	store_watch(r->store, addr);
	cluster_watch(r->cluster, addr);
	*out = r;
	return 0;
fail:
	pthread_mutex_destroy(&r->mu);
	free(r);
	return err;
}

void
repl_free(struct repl *r)
{
	rt_addr none = { 0, 0, 0 };

	if (!r)
		return;
	store_watch(r->store, none);
	cluster_watch(r->cluster, none);
	repl_pruner_stop(r);
	free(r->buf);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

size_t
repl_peers(struct repl *r, struct repl_peer_info *out, size_t max)
{
	size_t k = 0;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->n_peers && k < max; i++) {
		const struct repl_peer *p = &r->peers[i];
		struct repl_peer_info *o = &out[k++];

		o->node = p->node;
		o->incarnation = p->incarnation;
		o->n = 0;
		/* every origin we hold, and what the peer holds of it */
		for (size_t e = 0; e < r->n_ends; e++) {
			const Pbx__StoreCursor *end = &r->ends[e];
			struct repl_origin_info *oi = &o->o[o->n++];
			struct repl_out *ro = repl_out_get(
			    (struct repl_peer *)p, end->origin, false);

			memset(oi, 0, sizeof(*oi));
			oi->origin = end->origin;
			if (ro) {
				oi->seq =
				    ro->have > ro->acked ? ro->have : ro->acked;
				oi->at_ms = ro->have_at_ms;
			}
			if (end->origin == p->node && p->ever)
				continue; /* its own: it is the reference */
			oi->lag_events =
			    end->seq > oi->seq ? end->seq - oi->seq : 0;
			oi->lag_ms = oi->lag_events && end->at_ms > oi->at_ms
			                 ? end->at_ms - oi->at_ms
			                 : 0;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return k;
}

void
repl_stats(struct repl *r, struct repl_stats *out)
{
	out->batches_sent = atomic_load(&r->batches_sent);
	out->batches_received = atomic_load(&r->batches_received);
	out->skipped_batches = atomic_load(&r->skipped);
	out->prune_runs = atomic_load(&r->prune_runs);
	out->pruned_events = atomic_load(&r->pruned_events);
	out->pruned_calls = atomic_load(&r->pruned_calls);
	out->pruned_tombs = atomic_load(&r->pruned_tombs);
}
