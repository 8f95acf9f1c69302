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

struct cluster;

struct peer {
	struct cluster *c;
	char url[256];
	nng_socket push;
	_Atomic uint32_t node; /* 0 until its hello */
	_Atomic int state;     /* enum cluster_link */
	_Atomic int pipes;     /* connected pipes of our push socket */
	_Atomic bool heard;    /* its hello since our link came up */
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
};

/* link.c */
int cluster_links_open(struct cluster *c, const struct cluster_config *cfg);
void cluster_links_close(struct cluster *c);
void cluster_received(struct cluster *c, rt_msg *m);

/* route.c */
int cluster_batch_append(nng_msg *nm, const rt_msg *m);
void cluster_batch_each(struct cluster *c, const uint8_t *p, size_t n);
int cluster_remote_send(void *arg, uint32_t worker, rt_msg *m);
void cluster_flush(void *arg, uint32_t worker);

#endif
