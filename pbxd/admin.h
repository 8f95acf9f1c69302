/* The admin actor: answers pbxctl's commands on worker 0 of each node. */
#ifndef PBX_ADMIN_H
#define PBX_ADMIN_H

#include "cluster.h"
#include "rt.h"

struct admin_server;
struct sip_stack;
struct store;
struct registrar;
struct repl;

struct admin_ctx {
	rt *rt;
	struct cluster *cluster;
	struct sip_stack *sip;
	struct store *store;
	struct registrar *reg;
	struct repl *repl;
	struct admin_server *server; /* set before the first request */
	uint64_t started_ms;         /* CLOCK_MONOTONIC */
};

extern const rt_kind admin_kind;

uint64_t admin_mono_ms(void);

/* pbxctl cluster (admin_cluster.c) */
void admin_do_cluster(struct admin_ctx *ctx, uint64_t corr);

#endif
