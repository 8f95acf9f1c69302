/*
 * Replication of the event log between nodes (cluster/README.md, "Log
 * replication").
 *
 * One actor per node, RT_ID_REPL on worker 0, is the store's watcher and the
 * cluster's link watcher. Each node tells each peer what it holds (ReplHave:
 * per origin, the contiguous seq and its at_ms) on link up and every
 * heartbeat; the peer sends what it holds beyond that, origin by origin, in
 * batches of at most 256 events / 256 KiB, at most 4 batches in flight per
 * (peer, origin). The receiver appends a batch with store_append_remote and
 * acks it once committed with what it then holds; each ack opens the window
 * again. New local (or gossiped) events are pushed as soon as they commit to
 * every peer whose stream is at the end.
 *
 * The same actor drives retention: a thread of its own calls store_prune
 * every prune interval with the least seq every known peer holds.
 */
#ifndef PBX_REPL_H
#define PBX_REPL_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "rt.h"

struct store;
struct repl;

#define REPL_MAX_ORIGINS 64

struct repl_config {
	struct store *store;
	struct cluster *cluster;
	uint32_t heartbeat_ms;      /* 0: 1000 */
	uint64_t retention_ms;      /* storage.retention; 0: 1 h */
	uint64_t prune_interval_ms; /* storage.prune_interval; 0: 60 s */
};

/* Spawns the actor (after rt_start and cluster_start, right after
 * store_open, before anything appends) and starts the pruning thread. */
int repl_start(struct repl **out, rt *r, const struct repl_config *cfg);
/* Stops the pruning thread and forgets the watches. After rt_shutdown,
 * before store_close. NULL is fine. */
void repl_free(struct repl *r);

/* What one origin looks like: ours, or a peer's as it last told us. */
struct repl_origin_info {
	uint32_t origin;
	uint64_t seq, at_ms;
	uint64_t lag_events, lag_ms; /* a peer's: our end minus its held */
};

struct repl_peer_info {
	uint32_t node;
	uint64_t incarnation; /* from its ReplHave */
	size_t n;
	struct repl_origin_info o[REPL_MAX_ORIGINS];
};

struct repl_lag {
	uint64_t p50_ms, p99_ms, count;
};

struct repl_stats {
	uint64_t batches_sent, batches_received, skipped_batches;
	uint64_t prune_runs, pruned_events, pruned_calls, pruned_tombs;
};

/* Snapshots (any thread). repl_peers returns how many were written. */
size_t repl_peers(struct repl *r, struct repl_peer_info *out, size_t max);
void repl_lag(struct repl *r, struct repl_lag *out);
void repl_stats(struct repl *r, struct repl_stats *out);

#endif
