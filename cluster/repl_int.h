/* Private to the replication files of cluster/ (repl*.c). */
#ifndef PBX_REPL_INTERNAL_H
#define PBX_REPL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "repl.h"
#include "store.h"

#define REPL_MAX_PEERS    64
#define REPL_BATCH_EVENTS 256
#define REPL_BATCH_BYTES  (256u * 1024)
#define REPL_WINDOW       4
/* batches in flight this long without an ack: lost (a bounce we did not
 * see, a peer that restarted); start again from what the peer says */
#define REPL_STALL_MS 5000
/* lag histogram: 1 ms steps to 100 ms, 10 ms to 1 s, 100 ms to 10 s, then
 * 1 s steps to 10 min */
#define REPL_LAG_BUCKETS (100 + 90 + 90 + 590 + 1)
/* a third origin's cursor at a peer that did not move in this many
 * heartbeats although we hold more: the peer does not get it from the
 * origin, we send it (gossip) */
#define REPL_STUCK 2
/* replicated batches being committed, waiting for their StoreApplied */
#define REPL_MAX_PENDING 1024

/* One batch sent and not acked yet. */
struct repl_flight {
	uint64_t batch, after, upto, sent_ms;
};

/* What we send one peer of one origin. */
struct repl_out {
	uint32_t origin;
	uint64_t acked; /* the peer holds this much (its acks, its haves) */
	uint64_t sent;  /* the end of what is in flight; acked when none */
	uint64_t have;  /* the peer's held seq as its last ReplHave said */
	uint64_t have_at_ms;
	bool had_have;  /* have is from a have of the peer: is it moving? */
	unsigned still; /* haves in a row that did not move it */
	struct repl_flight fl[REPL_WINDOW];
	unsigned n_fl;
	bool restart; /* an ack said the peer holds another seq: start from
	                 it once the window is empty */
	bool paused;  /* the peer could not commit: wait for its next have */
	bool live;    /* reached our end since the stream (re)started */
	bool gossip;  /* a third origin the peer does not get from its origin */
};

struct repl_peer {
	uint32_t node;
	bool up;    /* link up (PeerLink or the cluster's view) */
	bool heard; /* a ReplHave since the link came up */
	bool ever;  /* a ReplHave since we started: its haves mean something */
	uint64_t incarnation;
	size_t n_out;
	struct repl_out out[REPL_MAX_ORIGINS];
};

/* A received batch being committed. */
struct repl_pending {
	uint64_t corr; /* 0: free slot */
	uint32_t node, origin;
	uint64_t batch;
	size_t n_at;
	uint64_t *at_ms; /* live batches: each event's at_ms, for the lag */
};

/* The events of one batch being read (repl_send.c): offsets into buf. */
struct repl_read {
	size_t n;
	size_t off[REPL_BATCH_EVENTS], len[REPL_BATCH_EVENTS];
};

struct repl_pruner {
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	/* under mu: what every known peer holds, per origin; n_hold 0 and
	 * peers false: no peers at all */
	bool published, peers;
	size_t n_hold;
	Pbx__StoreCursor hold[REPL_MAX_ORIGINS];
	uint64_t age_ms, interval_ms;
};

struct repl {
	rt *rt;
	struct store *store;
	struct cluster *cluster;
	uint32_t hb_ms;
	uint64_t incarnation;
	rt_addr self;
	/* under mu: the tables the actor keeps and admin reads */
	pthread_mutex_t mu;
	size_t n_ends;
	Pbx__StoreCursor ends[REPL_MAX_ORIGINS]; /* our log's end per origin */
	size_t n_peers;
	struct repl_peer peers[REPL_MAX_PEERS];
	uint64_t lag[REPL_LAG_BUCKETS];
	uint64_t lag_n;
	/* the actor's alone */
	uint64_t next_batch, next_corr;
	struct repl_pending pending[REPL_MAX_PENDING];
	uint8_t *buf; /* events read for one batch */
	size_t buf_len, buf_cap;
	struct repl_read rd;
	uint64_t warned_ms; /* the last refused batch logged (rate limit) */
	uint64_t quiet;     /* refused batches not logged since */
	struct repl_pruner pruner;
	_Atomic uint64_t batches_sent, batches_received, skipped;
	_Atomic uint64_t prune_runs, pruned_events, pruned_calls, pruned_tombs;
};

/* repl.c: tables (r->mu held) */
struct repl_peer *repl_peer_get(struct repl *r, uint32_t node, bool add);
struct repl_out *repl_out_get(struct repl_peer *p, uint32_t origin, bool add);
const Pbx__StoreCursor *repl_end(struct repl *r, uint32_t origin);
void repl_out_reset(struct repl_out *o, uint64_t from);

/* repl_send.c: the sending side, on the actor (r->mu held) */
void repl_pump(struct repl *r, rt_actor *a, struct repl_peer *p,
               struct repl_out *o);
bool repl_may_send(struct repl *r, struct repl_peer *p, struct repl_out *o);
void repl_on_ack(struct repl *r, rt_actor *a, uint32_t node,
                 const Pbx__ReplAck *k);
void repl_on_have(struct repl *r, rt_actor *a, uint32_t node,
                  const Pbx__ReplHave *h);
void repl_on_bounce(struct repl *r, uint32_t node);

/* repl_recv.c: the receiving side, on the actor */
void repl_on_events(struct repl *r, rt_actor *a, uint32_t node,
                    const Pbx__ReplEvents *e);
void repl_on_applied(struct repl *r, rt_actor *a, uint64_t corr,
                     const Pbx__StoreApplied *ap);
void repl_lag_add(struct repl *r, uint64_t ms); /* r->mu held */
/* the at_ms of a packed pbx.Event, off its wire form; 0 if absent */
uint64_t repl_event_at_ms(const ProtobufCBinaryData *b);
void repl_pending_free(struct repl *r);

/* repl_prune.c */
int repl_pruner_start(struct repl *r, uint64_t age_ms, uint64_t interval_ms);
void repl_pruner_stop(struct repl *r);
/* the actor, each heartbeat: what the known peers hold */
void repl_pruner_hold(struct repl *r, bool peers, const Pbx__StoreCursor *hold,
                      size_t n);

#endif
