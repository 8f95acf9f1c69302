/*
 * Throttling across the cluster, in the registrar actor of worker 0:
 * every SHARE_MS it takes the wrong passwords this node counted since the
 * last time (auth_limits_take: aggregated per source and per user, by the
 * REGISTERs of every worker and the INVITEs of the call routers) and sends
 * them as one AuthFailures to worker 0's registrar of each peer that is up;
 * what peers send it is counted here (auth_limits_remote). So a guesser
 * spreading its tries over the nodes is throttled as soon as the sum
 * reaches registrar.throttle.failures, as on one node, and each node sends
 * at most ten reports a second whatever the attack's rate. A node that
 * misses a report (link down) misses those counts: the throttle errs on
 * the side of answering.
 */
#include <string.h>

#include "log.h"
#include "registrar.h"

#define SHARE_MS   100 /* between two reports, at least */
#define SHARE_MAX  256 /* keys per report; more wait for the next one */
#define PEERS_MAX  64
#define SHARE_SIZE (sizeof(Pbx__AuthFailure *) + sizeof(Pbx__AuthFailure) + 16)

static void share_cb(rt_actor *a, void *arg);

/* One report of f[0..n) (strings and bytes copied into the message). */
static rt_msg *
report(const struct auth_failure *f, size_t n)
{
	size_t extra = n * SHARE_SIZE;
	Pbx__AuthFailures *af;
	rt_msg *m;

	for (size_t i = 0; i < n; i++)
		extra += strlen(f[i].user) + strlen(f[i].realm) + 2;
	if (!(m = rt_msg_new(PBX__ENVELOPE__BODY_AUTH_FAILURES, extra, &af)))
		return NULL;
	af->failures = rt_msg_alloc(m, n * sizeof(*af->failures));
	for (size_t i = 0; i < n && af->failures; i++) {
		Pbx__AuthFailure *x = rt_msg_alloc(m, sizeof(*x));

		if (!x)
			break;
		pbx__auth_failure__init(x);
		if (f[i].ip_len) {
			x->source.data = rt_msg_memdup(m, f[i].ip, f[i].ip_len);
			x->source.len = x->source.data ? f[i].ip_len : 0;
		} else {
			x->user = rt_msg_strdup(m, f[i].user);
			x->realm = rt_msg_strdup(m, f[i].realm);
		}
		x->count = f[i].count;
		af->failures[af->n_failures++] = x;
	}
	return m;
}

static void
share_cb(rt_actor *a, void *arg)
{
	struct registrar *g = arg;
	static _Thread_local struct auth_failure f[SHARE_MAX];
	uint32_t peers[PEERS_MAX];
	size_t n, np;

	rt_timer_start(a, SHARE_MS, share_cb, g);
	if (!(n = auth_limits_take(g->auth.limits, f, SHARE_MAX)))
		return;
	np = g->peers(g->peers_arg, peers, PEERS_MAX);
	for (size_t i = 0; i < np; i++) {
		rt_addr to = { peers[i], 0, RT_ID_REGISTRAR };
		rt_msg *m;

		if (peers[i] == rt_self(a).node)
			continue; /* counted here already */
		if ((m = report(f, n)) && rt_send(a, to, m) != 0)
			rt_msg_free(m);
	}
}

void
registrar_share_start(rt_actor *a, struct registrar *g)
{
	if (rt_self(a).worker != 0 || !g->peers || !g->auth.limits)
		return;
	auth_limits_share(g->auth.limits, true);
	rt_timer_start(a, SHARE_MS, share_cb, g);
}

void
registrar_share_in(rt_actor *a, struct registrar *g, const Pbx__Envelope *env)
{
	const Pbx__AuthFailures *af = env->auth_failures;
	uint64_t now = registrar_now_ms(), by_src = 0, by_user = 0;
	struct auth_failure f;
	size_t bad = 0;

	for (size_t i = 0; i < af->n_failures; i++) {
		const Pbx__AuthFailure *x = af->failures[i];
		size_t ul = x->user ? strlen(x->user) : 0;
		size_t rl = x->realm ? strlen(x->realm) : 0;

		memset(&f, 0, sizeof(f));
		if (x->source.len == 4 || x->source.len == 16) {
			f.ip_len = (uint8_t)x->source.len;
			memcpy(f.ip, x->source.data, x->source.len);
		} else if (x->source.len || !ul || ul >= sizeof(f.user) ||
		           rl >= sizeof(f.realm)) {
			bad++;
			continue;
		} else {
			memcpy(f.user, x->user, ul);
			memcpy(f.realm, x->realm, rl);
		}
		f.count = x->count;
		if (f.ip_len)
			by_src += x->count;
		else
			by_user += x->count;
		auth_limits_remote(g->auth.limits, &f, now);
	}
	rt_debug("auth: node %u reported failed authentications: %llu by "
	         "source, %llu by user (%zu keys, %zu unusable)",
	         env->from ? env->from->node : 0, (unsigned long long)by_src,
	         (unsigned long long)by_user, af->n_failures - bad, bad);
}
