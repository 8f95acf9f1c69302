/*
 * Actor messaging throughput. A pinger keeps WINDOW pings in flight to the
 * node actor of a node (which answers each with a pong) until N pongs are
 * back; every ping and every pong is one delivered message.
 *
 *   bench-actors same  [-n N] [-w WINDOW]   pinger and echo on one worker
 *   bench-actors cross [-n N] [-w WINDOW]   on two workers
 *   bench-actors node --peer URL --listen URL [-n N] [-w WINDOW]
 *                                           echo is pbxd's node actor (id 2)
 *   bench-actors churn [-n N]               spawn N short-lived actors (each
 *                                           starts a timer, gets a message,
 *                                           stops): actors/s
 *   bench-actors live [-n N]                N idle actors each holding a
 *                                           timer: bytes of RSS per actor
 *
 * Prints one line: "MODE figure".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "log.h"
#include "pbx_clock.h"
#include "rt.h"

struct pinger {
	rt_addr echo;
	long n, window, sent, got;
	uint64_t t0, t1;
	volatile int *done;
};

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
	p->t0 = pbx_mono_ns();
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
		p->t1 = pbx_mono_ns();
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

/* --- churn and live: many actors --------------------------------------- */

struct crowd {
	long n, stopped;
	bool stop_at_once;
	uint64_t t0, t1;
	volatile int *done;
};
static struct crowd C;

static void
never(rt_actor *a, void *arg)
{
}

static int
member_init(rt_actor *a, void *arg)
{
	/* what a transaction does: a timer, then a message, then stop */
	rt_timer_start(a, 32000, never, NULL);
	if (C.stop_at_once) {
		Pbx__Ping *p;
		rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &p);

		if (rt_send(a, rt_self(a), m))
			rt_msg_free(m);
	}
	return 0;
}

static void
member_handle(rt_actor *a, const Pbx__Envelope *env)
{
	rt_stop(a, 0);
}

static void
member_fini(rt_actor *a, int reason)
{
	if (++C.stopped == C.n) {
		C.t1 = pbx_mono_ns();
		__atomic_store_n(C.done, 1, __ATOMIC_RELEASE);
	}
}

static const rt_kind member_kind = {
	.name = "member",
	.init = member_init,
	.handle = member_handle,
	.fini = member_fini,
};

static void
spawn_all(void *arg)
{
	rt *r = arg;
	rt_addr x;

	C.t0 = pbx_mono_ns();
	for (long i = 0; i < C.n; i++)
		rt_spawn(r, &member_kind, 0, NULL, &x);
	if (!C.stop_at_once) {
		C.t1 = pbx_mono_ns();
		__atomic_store_n(C.done, 1, __ATOMIC_RELEASE);
	}
}

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int
crowd(rt *r, const char *mode, long n)
{
	volatile int done = 0;
	long before = rss_kb();

	C = (struct crowd){ .n = n,
		            .stop_at_once = !strcmp(mode, "churn"),
		            .done = &done };
	rt_call(r, 0, spawn_all, r);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (C.stop_at_once)
		printf("churn %.0f\n", (double)n * 1e9 / (double)(C.t1 - C.t0));
	else
		printf("live %.0f\n",
		       (double)(rss_kb() - before) * 1024.0 / (double)n);
	rt_shutdown(r);
	rt_free(r);
	return 0;
}

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
	if (!strcmp(mode, "churn") || !strcmp(mode, "live"))
		return crowd(r, mode, n);
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
		fprintf(stderr, "mode: same, cross, node, churn or live\n");
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
