/*
 * Links between nodes over nng, and cross-node actor routing.
 *
 * Each node listens on one URL with a pull socket that takes messages from
 * every peer, and dials each peer's URL with a push socket of its own. The
 * first message on a link, repeated every second, is a Hello naming the
 * sender (node id, name, URL, version), so a node also learns peers that dial
 * it and dials them back. nng redials a lost link by itself; the link state
 * is logged once per change.
 *
 * Every link message is a frame authenticated with HMAC-SHA256 under the
 * cluster secret, naming the receiver's per-start nonce and a rising
 * counter (frame.c). Until a peer's hello arrives in such a frame, nothing
 * it sends reaches an actor; after it, only what the allow-list in guard.c
 * names. Peers learned from a hello are forgotten once silent for
 * CLUSTER_FORGET_AFTER dead times.
 *
 * Messages to another node are packed by the sending worker into a batch per
 * peer (the wire form of pbx.Batch) and flushed when the worker has drained
 * its queues, so a burst costs one nng message, not one per envelope.
 */
#ifndef PBX_CLUSTER_H
#define PBX_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

struct cluster;

struct cluster_config {
	const char *listen;       /* e.g. tcp://127.0.0.1:7100 */
	const char *const *peers; /* URLs to dial */
	size_t n_peers;
	uint32_t heartbeat_ms; /* 0: 1000 */
	uint32_t dead_after;   /* missed heartbeats before down; 0: 3 */
	/* the key of every frame, the same on every node; NULL: a built-in
	 * demo secret, refused unless every URL is on this machine */
	const char *secret;
};

/* Frames and envelopes dropped at the link, by reason. */
struct cluster_stats {
	uint64_t malformed, bad_mac, unauthenticated, replayed, refused,
	    peers_full;
};

enum cluster_link {
	CLUSTER_CONNECTING = 0, /* never reached yet */
	CLUSTER_UP,
	CLUSTER_DOWN, /* was up, lost; redialling */
};

struct cluster_peer_info {
	uint32_t node; /* 0 while unknown */
	char name[64];
	char url[256];
	char version[32];
	uint64_t incarnation; /* the peer's start, from its hello; 0 */
	enum cluster_link state;
	uint64_t since_ms; /* time in this state */
};

/* Hooks itself into the runtime (rt_set_remote); call after rt_start.
 * EPERM: no secret and a URL reachable from the network. */
int cluster_start(struct cluster **out, rt *r, const struct cluster_config *c);
/* Closes the sockets: nothing is delivered after it returns. Call after
 * rt_shutdown, before rt_free. */
void cluster_free(struct cluster *c);

/* A snapshot of the peers (any thread). Returns how many were written. */
size_t cluster_peers(struct cluster *c, struct cluster_peer_info *out,
                     size_t max);
/* Node id of a peer named by name or by number; ENOENT if unknown. */
int cluster_resolve(struct cluster *c, const char *name_or_id, uint32_t *node);
const char *cluster_link_name(enum cluster_link s);
/* Tell `to` (one actor; rt_addr{0} to stop) of every peer link going up or
 * down, and of a peer that restarted while up, with a PeerLink message. */
void cluster_watch(struct cluster *c, rt_addr to);
void cluster_stats(struct cluster *c, struct cluster_stats *out);

#endif
