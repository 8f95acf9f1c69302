/* Private to cluster/. */
#ifndef PBX_CLUSTER_INTERNAL_H
#define PBX_CLUSTER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "cluster.h"

#define CLUSTER_MAX_PEERS 64
/* a worker's batch to one peer is sent when it reaches this size, or when
 * the worker has drained its queues */
#define CLUSTER_BATCH_BYTES (64u * 1024)
/* a learned peer silent for this many dead times is forgotten */
#define CLUSTER_FORGET_AFTER 3
/* ended peer sessions remembered with their last counter, so that a
 * recording cannot start them again */
#define CLUSTER_RETIRED 64

#define CLUSTER_FRAME_VERSION 2
#define CLUSTER_FRAME_HDR     29
#define CLUSTER_FRAME_MAC     32

struct cluster;

/* The HMAC key of every frame: cluster.secret, or the demo secret. */
struct cluster_key {
	uint8_t key[256];
	size_t len;
};

/* The authenticated header of a frame (frame.c). */
struct cluster_frame {
	uint32_t node;       /* sender */
	uint64_t nonce;      /* the sender's, drawn at its start */
	uint64_t peer_nonce; /* the receiver's as the sender knows it; 0 */
	uint64_t counter;    /* rises with every frame to one peer */
};

/* Counters seen from one peer session: the highest and the 63 below it. */
struct cluster_replay {
	uint64_t max, seen;
};

enum cluster_drop {
	CLUSTER_DROP_MALFORMED,
	CLUSTER_DROP_BAD_MAC,
	CLUSTER_DROP_UNAUTH,
	CLUSTER_DROP_REPLAY,
	CLUSTER_DROP_REFUSED,
	CLUSTER_DROP_PEERS_FULL,
	CLUSTER_DROP_N
};

/* envelope kinds are field numbers below 320 (envelope.proto) */
#define CLUSTER_LOG_KINDS 320

/* One log line a second per reason and envelope kind, so that a flood of
 * one kind does not hide another. */
struct cluster_ratelog {
	nng_time last;
	uint64_t quiet;
};

struct peer {
	struct cluster *c;
	char url[256];
	nng_socket push;
	nng_dialer dialer;
	bool learned;          /* dialled us first; forgotten when silent */
	_Atomic bool gone;     /* forgotten: a free slot, reused by peer_add */
	_Atomic uint32_t node; /* 0 until its hello */
	_Atomic int state;     /* enum cluster_link */
	_Atomic int pipes;     /* connected pipes of our push socket */
	_Atomic bool heard;    /* its authenticated hello since our link
	                          came up */
	/* sending: the counter and the peer's nonce go into every frame,
	 * sealed and queued in one step so counters leave in order */
	pthread_mutex_t tx_mu;
	uint64_t tx_counter;
	_Atomic uint64_t peer_nonce; /* from its frames; 0 until heard */
	/* receiving, on the rx callback only: the session its authenticated
	 * hello opened */
	bool authed;
	uint64_t rx_nonce;
	struct cluster_replay rx;
	/* under c->mu */
	char name[64];
	char version[32];
	uint64_t incarnation;
	nng_time since, last_heard;
	/* one pending batch per worker, touched only by that worker */
	nng_msg **batch;
};

struct cluster {
	rt *rt;
	char listen[256];
	uint64_t incarnation;
	uint64_t nonce; /* random, per start: frames to us must name it */
	struct cluster_key key;
	bool demo_secret;
	uint32_t hb_ms, dead_after;
	nng_socket pull;
	nng_aio *rx, *tick;
	pthread_mutex_t mu;
	/* append-only: readers load n_peers (acquire) and index without a
	 * lock */
	struct peer *peers[CLUSTER_MAX_PEERS];
	_Atomic size_t n_peers;
	_Atomic bool closing;
	bool warned_self;
	rt_addr watch; /* under mu: told of link changes (PeerLink) */
	pthread_mutex_t drop_mu;
	_Atomic uint64_t drops[CLUSTER_DROP_N];
	/* under drop_mu */
	struct cluster_ratelog drop_log[CLUSTER_DROP_N][CLUSTER_LOG_KINDS];
	/* under mu: a ring of ended sessions (sender node, nonce, highest
	 * counter seen) */
	struct {
		uint32_t node;
		uint64_t nonce, max;
	} retired[CLUSTER_RETIRED];
	unsigned n_retired;
};

/* link.c */
int cluster_links_open(struct cluster *c, const struct cluster_config *cfg);
void cluster_links_close(struct cluster *c);
/* c->mu held, as for cluster_notify */
void cluster_set_state(struct peer *p, enum cluster_link s, const char *why);
/* c->mu held: a PeerLink to the watcher, if any */
void cluster_notify(struct cluster *c, struct peer *p);
void cluster_send_hello(struct cluster *c, struct peer *p);
/* c->mu held; NULL when the table is full */
struct peer *cluster_peer_add(struct cluster *c, const char *url, bool learned);
/* c->mu held: p's session is over; if its hellos open it again, its
 * counters go on from where they were */
void cluster_session_end(struct cluster *c, struct peer *p);

int cluster_send(struct cluster *c, struct peer *p, nng_msg *nm);

/* rx.c */
void cluster_rx_cb(void *arg);
void cluster_received(struct cluster *c, const struct cluster_frame *f,
                      bool bound, rt_msg *m);

/* frame.c */
int cluster_frame_seal(nng_msg *nm, const struct cluster_key *k,
                       const struct cluster_frame *f);
/* Undoes a seal: the batch alone again (a send failed). */
void cluster_frame_unseal(nng_msg *nm);
/* EBADMSG: not a frame; EACCES: the MAC does not match. */
int cluster_frame_open(struct cluster_frame *f, const uint8_t **batch,
                       size_t *len, const struct cluster_key *k,
                       const uint8_t *p, size_t n);
/* true the first time a counter is seen (within a window of 64) */
bool cluster_replay_check(struct cluster_replay *w, uint64_t counter);

/* guard.c */
/* Count a drop; log it unless one of this reason and kind (an envelope
 * body case, 0 for a whole frame) was logged in the last second. */
void cluster_drop(struct cluster *c, enum cluster_drop why, unsigned kind,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 0 if a peer may send e; else EBADMSG or EPERM and why. */
int cluster_filter(struct cluster *c, uint32_t sender, const Pbx__Envelope *e,
                   const char **why);
int cluster_hello_check(struct cluster *c, uint32_t sender, const Pbx__Hello *h,
                        const char **why);
bool cluster_url_local(const char *url);

/* route.c */
int cluster_batch_append(nng_msg *nm, const rt_msg *m);
/* Hands every envelope of a batch to cluster_received. */
void cluster_batch_each(struct cluster *c, const struct cluster_frame *f,
                        bool bound, const uint8_t *p, size_t n);
int cluster_remote_send(void *arg, uint32_t worker, rt_msg *m);
void cluster_flush(void *arg, uint32_t worker);

#endif
