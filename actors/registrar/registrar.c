/*
 * The registrar actor, one per worker: authentication and dispatch of the
 * REGISTERs its worker's transports read, to the AOR's registration actor
 * wherever it lives (see registrar.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pbx_clock.h"
#include "registrar.h"
#include "sip_reply.h"
#include "sip_uas.h"
#include "txn_table.h"

struct regw {
	struct registrar *g;
};

uint64_t
registrar_now_ms(void)
{
	return pbx_wall_ms();
}

int
registrar_aor(char *out, size_t n, const struct sip_msg *msg)
{
	return sip_aor_of(out, n, &msg->to); /* decoded by sip_msg_decode */
}

/* The auth module's log lines (auth.h), in the log of whoever calls it. */
static void
auth_log(bool warn, const char *line)
{
	if (warn)
		rt_warn("%s", line);
	else
		rt_info("%s", line);
}

int
registrar_init(struct registrar *g, struct store *store,
               const struct directory *dir, const struct conf *cf)
{
	struct auth_limit_conf lim;
	int err;

	memset(g, 0, sizeof(*g));
	g->store = store;
	g->dir = dir;
	g->cfg = &cf->registrar;
	if (!cf->registrar.secret)
		rt_warn("registrar.secret is not set: nonces are valid on "
		        "this node only (set the same secret on every node)");
	auth_init(&g->auth, cf->registrar.realm, cf->registrar.secret,
	          cf->registrar.nonce_lifetime);
	g->auth.node = cf->node.id;
	g->auth.algs = cf->registrar.digest;
	g->auth.log = auth_log;
	lim =
	    (struct auth_limit_conf){ cf->registrar.throttle.failures,
		                      cf->registrar.throttle.window,
		                      cf->registrar.throttle.backoff,
		                      cf->registrar.throttle.max_backoff,
		                      cf->registrar.throttle.user_max_backoff };
	if ((err = auth_nonces_alloc(&g->auth.nonces,
	                             cf->registrar.nonce_lifetime,
	                             AUTH_NONCES_DEFAULT)) != 0 ||
	    (err = auth_limits_alloc(&g->auth.limits, &lim, auth_log)) != 0)
		return err;
	pthread_mutex_init(&g->aors_mu, NULL);
	g->aors_ready = true;
	return txn_table_init(&g->aors);
}

void
registrar_fini(struct registrar *g)
{
	auth_nonces_free(g->auth.nonces);
	auth_limits_free(g->auth.limits);
	g->auth.nonces = NULL;
	g->auth.limits = NULL;
	if (!g->aors_ready)
		return; /* not initialised */
	if (g->aors.by_key)
		txn_table_fini(&g->aors);
	pthread_mutex_destroy(&g->aors_mu);
	g->aors_ready = false;
}

int
registrar_build(rt_actor *a, char *out, size_t n, size_t *len,
                const struct sip_msg *msg, const Pbx__SipFlow *flow,
                uint16_t code, const char *reason, const char *extra,
                int (*hdrs)(struct sip_buf *b, void *arg), void *arg)
{
	char tag[24];
	struct sip_buf b;
	struct pl totag;
	int err;

	sip_stable_tag(tag, sizeof(tag), rt_self(a).node, msg);
	totag = pl_from_str(tag);
	sip_buf_init(&b, out, n);
	if ((err = sip_reply_build(&b, &(struct sip_reply){ .req = msg,
	                                                    .flow = flow,
	                                                    .code = code,
	                                                    .reason = reason,
	                                                    .totag = &totag,
	                                                    .extra = extra,
	                                                    .hdrs = hdrs,
	                                                    .arg = arg })))
		return err;
	*len = b.pos;
	return 0;
}

void
registrar_respond(rt_actor *a, struct registrar *g, const Pbx__SipFlow *flow,
                  const struct sip_msg *msg, uint16_t code, const char *reason,
                  const char *extra, int (*hdrs)(struct sip_buf *b, void *arg),
                  void *arg)
{
	char out[16384];
	size_t len;

	if (registrar_build(a, out, sizeof(out), &len, msg, flow, code, reason,
	                    extra, hdrs, arg) == 0)
		sip_send_response(g->s, a, flow, out, len);
}

struct challenge_arg {
	struct registrar *g;
	bool stale;
};

static int
challenge_hdrs(struct sip_buf *b, void *arg)
{
	struct challenge_arg *c = arg;

	return auth_challenge(&c->g->auth, b, false, c->stale,
	                      registrar_now_ms() / 1000);
}

void
registrar_challenge(rt_actor *a, struct registrar *g, const Pbx__SipFlow *flow,
                    const struct sip_msg *msg, bool stale)
{
	struct challenge_arg ca = { g, stale };
	struct sockaddr_storage ss;

	/* a source backed off for its wrong passwords gets nothing, not even
	 * a challenge (auth_verdict.c) */
	if (sip_flow_remote(flow, &ss) == 0 &&
	    auth_limits_source(g->auth.limits, (struct sockaddr *)&ss,
	                       registrar_now_ms()) != 0)
		return;

	atomic_fetch_add_explicit(&g->n_challenged, 1, memory_order_relaxed);
	registrar_respond(a, g, flow, msg, 401, NULL, NULL, challenge_hdrs,
	                  &ca);
}

/* The registration actor of aor, spawned on this worker if it has none.
 * Called with g->aors_mu, so two workers cannot both spawn one for an AOR
 * (and both expire what expired meanwhile): the mutex is held across the
 * actor's init, an LMDB read of the AOR's stored bindings, once per AOR.
 * Zero without memory. */
static rt_addr
registration_of(rt_actor *a, struct registrar *g, const char *aor)
{
	struct registration_arg *ra;
	rt_addr x = { 0, 0, 0 };

	if (txn_table_get(&g->aors, aor, strlen(aor), &x) == 0)
		return x;
	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return x;
	ra->g = g;
	snprintf(ra->aor, sizeof(ra->aor), "%s", aor);
	if (rt_spawn(rt_of(a), &registration_kind, rt_self(a).worker, ra, &x) !=
	    0) {
		free(ra);
		return (rt_addr){ 0, 0, 0 };
	}
	if (txn_table_put(&g->aors, aor, strlen(aor), x) != 0) {
		rt_exit(a, x, ENOMEM);
		return (rt_addr){ 0, 0, 0 };
	}
	rt_watch(a, x); /* its entry goes when it stops */
	return x;
}

rt_addr
registrar_ensure(rt_actor *a, struct registrar *g, const char *aor,
                 bool *spawned)
{
	rt_addr x;

	pthread_mutex_lock(&g->aors_mu);
	*spawned = txn_table_get(&g->aors, aor, strlen(aor), &x) != 0;
	if (*spawned)
		x = registration_of(a, g, aor);
	pthread_mutex_unlock(&g->aors_mu);
	*spawned = *spawned && x.id != 0;
	return x;
}

/* Pass the packet being handled on, uncopied. */
static void
forward(rt_actor *a, rt_addr to)
{
	rt_msg *m = rt_take(a);

	if (m && rt_send(a, to, m) != 0)
		rt_msg_free(m);
}

bool
registrar_admit(rt_actor *a, struct registrar *g, const Pbx__SipFlow *flow,
                const struct sip_msg *msg, struct auth_creds *crp)
{
	const struct sip_addr *ta = &msg->to; /* decoded by sip_msg_decode */
	struct sockaddr_storage ss;
	struct auth_verdict v;
	struct auth_answer an = { &g->auth, &v, false, 0 };
	uint64_t now = registrar_now_ms();

	auth_decide(&g->auth, msg, false,
	            sip_flow_remote(flow, &ss) == 0 ? (struct sockaddr *)&ss
	                                            : NULL,
	            g->dir, &ta->uri.host, now, &v);
	an.now_s = now / 1000;
	switch (v.action) {
	case AUTH_ACCEPT:
		break;
	case AUTH_CHALLENGE:
		registrar_challenge(a, g, flow, msg, v.stale);
		return false;
	case AUTH_DROP:
		return false;
	default:
		if (v.code == 403)
			atomic_fetch_add_explicit(&g->n_refused, 1,
			                          memory_order_relaxed);
		registrar_respond(a, g, flow, msg, v.code, v.reason, NULL,
		                  auth_answer_hdrs, &an);
		return false;
	}
	/* the authenticated user registers its own AOR only */
	if (!pl_eq(&v.cr.username, &ta->uri.user)) {
		atomic_fetch_add_explicit(&g->n_refused, 1,
		                          memory_order_relaxed);
		registrar_respond(a, g, flow, msg, 403,
		                  "Not Allowed To Register This AOR", NULL,
		                  NULL, NULL);
		return false;
	}
	*crp = v.cr;
	return true;
}

bool
registrar_screen(rt_actor *a, struct registrar *g, struct sip_msg *msg,
                 const Pbx__SipPacket *p)
{
	char aor[256];

	if (sip_uas_accept(a, g->s, msg, p) != SIP_IN_REQUEST ||
	    sip_uas_stateless(a, g->s, msg, p->flow))
		return false;
	if (registrar_aor(aor, sizeof(aor), msg) != 0) {
		/* RFC 3261 §10.3 step 3: no AOR of this domain */
		registrar_respond(a, g, p->flow, msg, 404,
		                  "Not Found: To is no SIP AOR", NULL, NULL,
		                  NULL);
		return false;
	}
	if (!sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION)) {
		/* a challenge needs no transaction (§8.2.7) and no
		 * registration actor (credentials of another realm get their
		 * 401 there) */
		registrar_challenge(a, g, p->flow, msg, false);
		return false;
	}
	return true;
}

/* An AOR that is no user of the directory has no registration actor, so
 * unknown AORs cannot fill the worker with actors; it is answered as the
 * credentials say (401 for none or other schemes, as RFC 4475 3.3.7 wants,
 * 403 otherwise), which does not tell who is a user. */
static void
refuse_unknown(rt_actor *a, struct regw *w, const Pbx__SipPacket *p)
{
	struct sip_msg msg;
	struct auth_creds cr;

	if (!registrar_screen(a, w->g, &msg, p) ||
	    !registrar_admit(a, w->g, p->flow, &msg, &cr))
		return;
	atomic_fetch_add_explicit(&w->g->n_refused, 1, memory_order_relaxed);
	registrar_respond(a, w->g, p->flow, &msg, 403,
	                  "Not Allowed To Register This AOR", NULL, NULL, NULL);
}

/* The AOR of a REGISTER's To: found by scanning the raw message (no
 * parse: the registration actor parses it once), or for what the scan did
 * not recognise, by decoding it (answering it if it is not to be served).
 * false: nothing more to do. */
static bool
aor_of(rt_actor *a, struct regw *w, const Pbx__SipPacket *p, char *aor,
       size_t n)
{
	struct sip_msg msg;

	const char *data = (const char *)p->data.data;

	/* the transports' scan found credentials: no parse here (a REGISTER
	 * without them comes from the SIP core, for its 401) */
	if (sip_route_in(w->g->s, rt_self(a), data, p->data.len).id ==
	        SIP_ID_REGISTRAR &&
	    sip_raw_aor(aor, n, data, p->data.len) == 0)
		return true;
	return registrar_screen(a, w->g, &msg, p) &&
	       registrar_aor(aor, n, &msg) == 0;
}

/* A REGISTER with credentials, from a transport or a SIP core of this
 * worker: to the registration actor of its AOR, wherever it lives, without
 * a copy; for a user of the directory without one, spawned here. */
static void
on_register(rt_actor *a, struct regw *w, const Pbx__SipPacket *p)
{
	struct registrar *g = w->g;
	char aor[256];
	const char *at;
	struct pl user, domain;
	rt_addr reg = { 0, 0, 0 };
	bool known;

	if (!aor_of(a, w, p, aor, sizeof(aor)))
		return;
	pthread_mutex_lock(&g->aors_mu);
	known = txn_table_get(&g->aors, aor, strlen(aor), &reg) == 0;
	if (!known) {
		at = strchr(aor, '@');
		user = (struct pl){ aor, (size_t)(at - aor) };
		domain = pl_from_str(at + 1);
		known = directory_find(g->dir, &user, &domain) != NULL;
		if (known)
			reg = registration_of(a, g, aor);
	}
	pthread_mutex_unlock(&g->aors_mu);
	if (!known) {
		refuse_unknown(a, w, p);
		return;
	}
	if (reg.id == 0) {
		struct sip_msg msg;

		if (registrar_screen(a, g, &msg, p))
			registrar_respond(a, g, p->flow, &msg, 500, NULL, NULL,
			                  NULL, NULL);
		return;
	}
	forward(a, reg);
}

/* pbxctl unregister: the AOR's actor removes and answers (spawned for an
 * AOR with stored bindings, made through other nodes); no actor, no
 * bindings. The request keeps its sender and correlation on the way. */
static void
on_unregister(rt_actor *a, struct regw *w, const Pbx__Envelope *env)
{
	const char *aor = env->unregister->aor;
	Pbx__Unregister *u;
	Pbx__AorBindings *ab = NULL;
	rt_addr reg;
	rt_msg *m;
	int found;
	bool spawned;

	pthread_mutex_lock(&w->g->aors_mu);
	found = txn_table_get(&w->g->aors, aor, strlen(aor), &reg);
	pthread_mutex_unlock(&w->g->aors_mu);
	/* bindings made through other nodes only: their AOR has no actor
	 * here yet; one removes them as for ours */
	if (found != 0 && w->g->store &&
	    store_locations_get(w->g->store, aor, &ab) == 0) {
		if (ab->n_bindings) {
			reg = registrar_ensure(a, w->g, aor, &spawned);
			found = reg.id ? 0 : ENOMEM;
		}
		pbx__aor_bindings__free_unpacked(ab, NULL);
	}
	if (found == 0 &&
	    (m = rt_msg_new(PBX__ENVELOPE__BODY_UNREGISTER,
	                    strlen(aor) + strlen(env->unregister->contact) + 2,
	                    &u)) != NULL) {
		u->aor = rt_msg_strdup(m, aor);
		u->contact = rt_msg_strdup(m, env->unregister->contact);
		rt_msg_env(m)->correlation = env->correlation;
		if (rt_inject(rt_of(a), rt_addr_from_pb(env->from), reg, m) ==
		    0)
			return;
		rt_msg_free(m);
	}
	Pbx__UnregisterResult *res;
	m = rt_msg_new(PBX__ENVELOPE__BODY_UNREGISTER_RESULT, 0, &res);
	if (m && rt_reply(a, env, m) != 0)
		rt_msg_free(m);
}

/* Whether this node keeps an actor for the AOR after a start: it holds
 * the flow of one of its bindings, or wrote one (contract §6). The others
 * belong to other nodes, which expire them; a dead node's are expired by
 * the sweep (registrar_sweep.c). */
static bool
ours(const Pbx__AorBindings *b, uint32_t self)
{
	for (size_t i = 0; i < b->n_bindings; i++)
		if (b->bindings[i]->node == self ||
		    b->bindings[i]->origin == self || !b->bindings[i]->origin)
			return true;
	return false;
}

static int
restore_one(void *arg, const Pbx__AorBindings *b)
{
	rt_actor *a = arg;
	struct regw *w = rt_state(a);

	if (!b->n_bindings || !b->bindings[0]->aor || !ours(b, rt_self(a).node))
		return 0;
	if (rt_worker_of(rt_of(a), b->bindings[0]->aor,
	                 strlen(b->bindings[0]->aor)) == rt_self(a).worker) {
		pthread_mutex_lock(&w->g->aors_mu);
		registration_of(a, w->g, b->bindings[0]->aor);
		pthread_mutex_unlock(&w->g->aors_mu);
	}
	return 0;
}

static int
regw_init(rt_actor *a, void *arg)
{
	struct regw *w = rt_state(a);

	w->g = arg;
	/* bindings that outlived a restart: their actors set the timers
	 * again, and expire what expired meanwhile */
	if (w->g->store)
		store_locations_each(w->g->store, restore_one, a);
	registrar_share_start(a, w->g);
	registrar_sweep_start(a, w->g);
	return 0;
}

static void
regw_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct regw *w = rt_state(a);

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_PACKET:
		on_register(a, w, env->sip_packet);
		break;
	case PBX__ENVELOPE__BODY_UNREGISTER:
		on_unregister(a, w, env);
		break;
	case PBX__ENVELOPE__BODY_AUTH_FAILURES:
		if (rt_self(a).worker == 0)
			registrar_share_in(a, w->g, env);
		break;
	case PBX__ENVELOPE__BODY_DOWN:
		pthread_mutex_lock(&w->g->aors_mu);
		txn_table_drop(&w->g->aors, rt_addr_from_pb(env->down->who));
		pthread_mutex_unlock(&w->g->aors_mu);
		break;
	default:
		break;
	}
}

const rt_kind registrar_kind = {
	.name = "registrar",
	.size = sizeof(struct regw),
	.init = regw_init,
	.handle = regw_handle,
};

int
registrar_start(struct registrar *g, rt *r)
{
	rt_addr x;
	int err = 0;

	for (uint32_t w = 0; w < rt_workers(r) && !err; w++)
		err = rt_spawn_named(r, &registrar_kind, w, SIP_ID_REGISTRAR, g,
		                     &x);
	return err;
}
