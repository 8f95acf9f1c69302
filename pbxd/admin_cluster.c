/*
 * pbxctl cluster: replication as this node sees it. Our log's cursor per
 * origin, the locations digest (equal on two nodes = they agree), the lag
 * of live-pushed events received, and per peer its link, incarnation,
 * version and, per origin, what it holds and how far behind us it is.
 */
#include <errno.h>
#include <string.h>

#include "admin.h"
#include "admin_server.h"
#include "repl.h"
#include "store.h"

#define MAX_PEERS 64

static Pbx__ClusterOrigin *
origin_of(Pbx__ClusterOrigin *o, const struct repl_origin_info *i)
{
	pbx__cluster_origin__init(o);
	o->origin = i->origin;
	o->seq = i->seq;
	o->at_ms = i->at_ms;
	o->lag_events = i->lag_events;
	o->lag_ms = i->lag_ms;
	return o;
}

void
admin_do_cluster(struct admin_ctx *ctx, uint64_t corr)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__ClusterResponse cr = PBX__CLUSTER_RESPONSE__INIT;
	static struct repl_peer_info rp[MAX_PEERS]; /* admin's, worker 0 */
	static Pbx__ClusterOrigin po[MAX_PEERS][REPL_MAX_ORIGINS];
	static Pbx__ClusterOrigin *pop[MAX_PEERS][REPL_MAX_ORIGINS];
	struct cluster_peer_info info[MAX_PEERS];
	Pbx__ClusterPeer peers[MAX_PEERS], *pp[MAX_PEERS];
	Pbx__StoreCursor cur[REPL_MAX_ORIGINS];
	Pbx__ClusterOrigin own[REPL_MAX_ORIGINS], *ownp[REPL_MAX_ORIGINS];
	struct repl_lag lag = { 0 };
	struct repl_stats rs = { 0 };
	struct store_stats ss;
	uint8_t digest[32];
	size_t np = 0, nr = 0, nc;
	int err;

	if (!ctx->store || !ctx->repl) {
		r.error = ENOSYS;
		r.message = "no replication on this node";
		admin_server_respond(ctx->server, corr, &r);
		return;
	}
	cr.node = rt_node_id(ctx->rt);
	cr.name = (char *)rt_node_name(ctx->rt);
	if ((err = store_locations_digest(ctx->store, digest, &cr.aors,
	                                  &cr.bindings)) != 0) {
		r.error = err;
		r.message = "the locations digest could not be computed";
		admin_server_respond(ctx->server, corr, &r);
		return;
	}
	cr.digest.data = digest;
	cr.digest.len = sizeof(digest);
	repl_lag(ctx->repl, &lag);
	cr.lag_p50_ms = lag.p50_ms;
	cr.lag_p99_ms = lag.p99_ms;
	cr.lag_count = lag.count;
	store_stats(ctx->store, &ss);
	cr.remote_events = ss.remote_events;
	cr.remote_skipped = ss.remote_skipped;
	repl_stats(ctx->repl, &rs);
	cr.pruned = rs.pruned_events;
	for (size_t i = 0; i < REPL_MAX_ORIGINS; i++)
		pbx__store_cursor__init(&cur[i]);
	nc = store_origins(ctx->store, cur, REPL_MAX_ORIGINS);
	if (nc > REPL_MAX_ORIGINS)
		nc = REPL_MAX_ORIGINS;
	for (size_t i = 0; i < nc; i++) {
		pbx__cluster_origin__init(&own[i]);
		own[i].origin = cur[i].origin;
		own[i].seq = cur[i].seq;
		own[i].at_ms = cur[i].at_ms;
		ownp[i] = &own[i];
	}
	cr.n_origins = nc;
	cr.origins = ownp;
	if (ctx->cluster)
		np = cluster_peers(ctx->cluster, info, MAX_PEERS);
	nr = repl_peers(ctx->repl, rp, MAX_PEERS);
	for (size_t i = 0; i < np; i++) {
		Pbx__ClusterPeer *p = &peers[i];

		pbx__cluster_peer__init(p);
		p->node = info[i].node;
		p->name = info[i].name;
		p->state = (char *)cluster_link_name(info[i].state);
		p->incarnation = info[i].incarnation;
		p->version = info[i].version;
		for (size_t k = 0; k < nr && info[i].node; k++) {
			if (rp[k].node != info[i].node)
				continue;
			for (size_t o = 0; o < rp[k].n; o++)
				pop[k][o] = origin_of(&po[k][o], &rp[k].o[o]);
			p->n_origins = rp[k].n;
			p->origins = pop[k];
		}
		pp[i] = p;
	}
	cr.n_peers = np;
	cr.peers = pp;
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_CLUSTER;
	r.cluster = &cr;
	admin_server_respond(ctx->server, corr, &r);
}
