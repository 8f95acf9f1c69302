/*
 * Actor messaging throughput. A pinger keeps WINDOW pings in flight to the
 * node actor of a node (which answers each with a pong) until N pongs are
 * back; every ping and every pong is one delivered message.
 *
 *   bench-actors same  [-n N] [-w WINDOW]   pinger and echo on one worker
 *   bench-actors cross [-n N] [-w WINDOW]   on two workers
 *   bench-actors node --peer URL --listen URL [-n N] [-w WINDOW]
 *                                           echo is pbxd's node actor (id 2)
 *
 * Prints one line: "MODE messages/s".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "log.h"
#include "rt.h"

struct pinger {
	rt_addr echo;
	long n, window, sent, got;
	uint64_t t0, t1;
	volatile int *done;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const uint8_t payload[32] = "a small protobuf payload, 32 B.";

static void
ping(rt_actor *a, struct pinger *p)
{
	Pbx__Ping *m;
	rt_msg *msg = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &m);

	m->seq = (uint64_t)p->sent++;
	m->payload.data = (uint8_t *)payload; /* static */
	m->payload.len = sizeof(payload);
	if (rt_send(a, p->echo, msg) != 0) {
		fprintf(stderr, "send failed\n");
		exit(1);
	}
}

static int
pinger_init(rt_actor *a, void *arg)
{
	struct pinger *p = arg;

	*(struct pinger **)rt_state(a) = p;
	p->t0 = now_ns();
	for (long i = 0; i < p->window && p->sent < p->n; i++)
		ping(a, p);
	return 0;
}

static void
pinger_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct pinger *p = *(struct pinger **)rt_state(a);

	if (env->body_case != PBX__ENVELOPE__BODY_PONG) {
		fprintf(stderr, "unexpected message %d\n", env->body_case);
		exit(1);
	}
	if (++p->got == p->n) {
		p->t1 = now_ns();
		__atomic_store_n(p->done, 1, __ATOMIC_RELEASE);
		return;
	}
	if (p->sent < p->n)
		ping(a, p);
}

static const rt_kind pinger_kind = {
	.name = "pinger",
	.size = sizeof(struct pinger *),
	.init = pinger_init,
	.handle = pinger_handle,
};

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "same";
	const char *peer = NULL, *listen = NULL;
	long n = 2000000, window = 1000;
	volatile int done = 0;
	struct pinger p = { 0 };
	struct rt_config cfg = { .node_id = 1, .node_name = "bench" };
	struct cluster *cl = NULL;
	rt *r;
	rt_addr x;
	uint32_t pw = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "-w") && i + 1 < argc)
			window = atol(argv[++i]);
		else if (!strcmp(argv[i], "--peer") && i + 1 < argc)
			peer = argv[++i];
		else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen = argv[++i];
	}
	rt_log_set_node("bench");
	cfg.workers = strcmp(mode, "cross") == 0 ? 2 : 1;
	if (rt_alloc(&r, &cfg) || rt_start(r))
		return 1;
	p.echo = (rt_addr){ 1, 0, RT_ID_NODE };
	if (!strcmp(mode, "cross")) {
		pw = 1;
	} else if (!strcmp(mode, "node")) {
		struct cluster_config cc = { .listen = listen,
			                     .peers =
			                         (const char *const *)&peer,
			                     .n_peers = 1 };
		uint32_t id;

		if (!peer || !listen || cluster_start(&cl, r, &cc))
			return 1;
		for (int i = 0; i < 100 && cluster_resolve(cl, "2", &id); i++)
			usleep(50000);
		usleep(200000); /* both directions up */
		p.echo = (rt_addr){ 2, 0, RT_ID_NODE };
	} else if (strcmp(mode, "same") != 0) {
		fprintf(stderr, "mode: same, cross or node\n");
		return 2;
	}
	p.n = n;
	p.window = window;
	p.done = &done;
	rt_spawn(r, &pinger_kind, pw, &p, &x);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		usleep(1000);
	printf("%s %.0f\n", mode,
	       2.0 * (double)n * 1e9 / (double)(p.t1 - p.t0));
	rt_shutdown(r);
	cluster_free(cl);
	rt_free(r);
	return 0;
}
