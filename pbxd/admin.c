/*
 * The admin actor: one request at a time from the admin socket, answered
 * from the runtime's and the cluster's state. A ping is asynchronous: it
 * sends Ping requests through the actor path to the peer's node actor and
 * answers when the last Pong (or a failure) is in. Listing and hanging up
 * calls are too: one request to the call router of every worker, answered
 * when the last reply (or its timeout) is in. CDRs are read from the store
 * here (a short read transaction).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_server.h"
#include "log.h"
#include "pbx_clock.h"
#include "q850.h"
#include "registrar.h"
#include "sip_ping.h"
#include "store.h"
#include "sip_start.h"

#define PING_TIMEOUT_MS 2000
#define MAX_PEERS       64

#define CALLS_TIMEOUT_MS 1000
#define CDR_DEFAULT      20
#define CDR_MAX          1000 /* about 300 KB: under nng's 1 MB receive limit */

struct admin_state {
	struct admin_ctx *ctx;
	struct ping_op *ops;
	struct fan_op *fans;
};

struct ping_op {
	struct ping_op *prev, *next; /* in flight, freed at stop */
	uint64_t corr;               /* admin slot */
	uint32_t node;
	char name[64];
	uint32_t count, done;
	uint64_t rtt[32];
};

uint64_t
admin_mono_ms(void)
{
	return pbx_mono_ms();
}

static void
respond_error(struct admin_ctx *ctx, uint64_t corr, int err, const char *text)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;

	r.error = err;
	r.message = (char *)text;
	admin_server_respond(ctx->server, corr, &r);
}

static void
do_status(struct admin_ctx *ctx, uint64_t corr)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__StatusResponse st = PBX__STATUS_RESPONSE__INIT;
	uint32_t nw = rt_workers(ctx->rt);
	Pbx__WorkerStatus ws[nw], *wp[nw];
	struct cluster_peer_info info[MAX_PEERS];
	size_t np = cluster_peers(ctx->cluster, info, MAX_PEERS);
	Pbx__PeerStatus ps[MAX_PEERS], *pp[MAX_PEERS];

	st.node_name = (char *)rt_node_name(ctx->rt);
	st.node_id = rt_node_id(ctx->rt);
	st.version = PBX_VERSION;
	st.uptime_ms = admin_mono_ms() - ctx->started_ms;
	st.log_level = (char *)rt_log_level_name(rt_log_level_cur);
	for (uint32_t i = 0; i < nw; i++) {
		struct rt_worker_stats s;

		rt_worker_stats(ctx->rt, i, &s);
		pbx__worker_status__init(&ws[i]);
		ws[i].index = i;
		ws[i].actors = s.actors;
		ws[i].messages = s.messages;
		wp[i] = &ws[i];
	}
	st.n_workers = nw;
	st.workers = wp;
	for (size_t i = 0; i < np; i++) {
		pbx__peer_status__init(&ps[i]);
		ps[i].node = info[i].node;
		ps[i].name = info[i].name;
		ps[i].url = info[i].url;
		ps[i].state = (char *)cluster_link_name(info[i].state);
		ps[i].since_ms = info[i].since_ms;
		ps[i].version = info[i].version;
		pp[i] = &ps[i];
	}
	st.n_peers = np;
	st.peers = pp;
	if (ctx->cluster) {
		struct cluster_stats cs;

		cluster_stats(ctx->cluster, &cs);
		st.cluster_malformed = cs.malformed;
		st.cluster_bad_mac = cs.bad_mac;
		st.cluster_unauthenticated = cs.unauthenticated;
		st.cluster_replayed = cs.replayed;
		st.cluster_refused = cs.refused;
		st.cluster_peers_full = cs.peers_full;
	}
	if (ctx->store) {
		struct store_stats ss;

		store_stats(ctx->store, &ss);
		st.events = ss.events;
		st.commits = ss.commits;
		st.store_failing = store_failing(ctx->store);
		st.aors = ss.locations;
	}
	if (ctx->reg) {
		st.registers_ok = atomic_load(&ctx->reg->n_ok);
		st.registers_challenged = atomic_load(&ctx->reg->n_challenged);
		st.registers_refused = atomic_load(&ctx->reg->n_refused);
	}
	if (ctx->sip) {
		st.sip_in = atomic_load(&ctx->sip->n_in);
		st.sip_out = atomic_load(&ctx->sip->n_out);
		st.sip_bad = atomic_load(&ctx->sip->n_bad);
	}
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_STATUS;
	r.status = &st;
	admin_server_respond(ctx->server, corr, &r);
}

static void
do_log_level(struct admin_ctx *ctx, uint64_t corr,
             const Pbx__LogLevelRequest *q)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__LogLevelResponse lr = PBX__LOG_LEVEL_RESPONSE__INIT;
	enum rt_log_level l;

	if (q->level && q->level[0]) {
		if (rt_log_level_parse(q->level, &l) != 0) {
			respond_error(ctx, corr, EINVAL,
			              "unknown level: use error, warn, info "
			              "or debug");
			return;
		}
		rt_log_set_level(l);
		rt_info("log level set to %s", rt_log_level_name(l));
	}
	lr.level = (char *)rt_log_level_name(rt_log_level_cur);
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_LOG_LEVEL;
	r.log_level = &lr;
	admin_server_respond(ctx->server, corr, &r);
}

static void
do_trace(struct admin_ctx *ctx, uint64_t corr, const Pbx__TraceRequest *q)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__TraceResponse tr = PBX__TRACE_RESPONSE__INIT;
	enum sip_trace_level l = !q->on    ? SIP_TRACE_OFF
	                         : q->full ? SIP_TRACE_FULL
	                                   : SIP_TRACE_SUMMARY;

	sip_trace_set(ctx->sip, l);
	rt_info("sip trace %s", l == SIP_TRACE_OFF    ? "off"
	                        : l == SIP_TRACE_FULL ? "on (full)"
	                                              : "on");
	tr.on = q->on;
	tr.full = q->on && q->full;
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_TRACE;
	r.trace = &tr;
	admin_server_respond(ctx->server, corr, &r);
}

static void
do_sip_ping(rt_actor *a, struct admin_ctx *ctx, uint64_t corr,
            const Pbx__SipPingRequest *q)
{
	void *arg =
	    sip_ping_arg(ctx->sip, q->uri ? q->uri : "", rt_self(a), corr);
	rt_addr x;

	if (!arg ||
	    rt_spawn(ctx->rt, &sip_ping_kind, RT_WORKER_ANY, arg, &x) != 0) {
		free(arg);
		respond_error(ctx, corr, ENOMEM, "cannot start the ping");
	}
}

static void
sip_ping_done(struct admin_ctx *ctx, const Pbx__Envelope *env)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	const Pbx__SipPingResult *p = env->sip_ping_result;

	if (p->code == 0) {
		respond_error(ctx, env->correlation, EINVAL, p->reason);
		return;
	}
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_SIP_PING;
	r.sip_ping = (Pbx__SipPingResult *)p;
	admin_server_respond(ctx->server, env->correlation, &r);
}

struct regs_acc {
	const char *user; /* filter, or NULL */
	size_t n, cap;
	Pbx__Binding **b;
	rt_msg *m; /* owns the copies */
};

static bool
user_matches(const char *filter, const char *aor)
{
	size_t l = strlen(filter);

	if (strchr(filter, '@'))
		return strcmp(filter, aor) == 0;
	return strncmp(aor, filter, l) == 0 && aor[l] == '@';
}

/* Copy one AOR's bindings into the response message's arena. */
static int
regs_one(void *arg, const Pbx__AorBindings *ab)
{
	struct regs_acc *acc = arg;

	for (size_t i = 0; i < ab->n_bindings; i++) {
		const Pbx__Binding *src = ab->bindings[i];
		Pbx__Binding *b;
		size_t sz;
		uint8_t *buf;

		if (acc->user && !user_matches(acc->user, src->aor))
			continue;
		if (acc->n == acc->cap) {
			size_t cap = acc->cap ? acc->cap * 2 : 64;
			Pbx__Binding **nb =
			    rt_msg_alloc(acc->m, cap * sizeof(*nb));

			if (!nb)
				return 1;
			if (acc->n)
				memcpy(nb, acc->b, acc->n * sizeof(*nb));
			acc->b = nb;
			acc->cap = cap;
		}
		/* deep copy through the wire form */
		sz = pbx__binding__get_packed_size(src);
		buf = malloc(sz ? sz : 1);
		if (!buf)
			return 1;
		pbx__binding__pack(src, buf);
		b = pbx__binding__unpack(NULL, sz, buf);
		free(buf);
		if (!b)
			return 1;
		acc->b[acc->n++] = b;
	}
	return 0;
}

static void
do_registrations(struct admin_ctx *ctx, uint64_t corr,
                 const Pbx__RegistrationsRequest *q)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__RegistrationsResponse rr = PBX__REGISTRATIONS_RESPONSE__INIT;
	struct regs_acc acc = { 0 };

	if (!ctx->store) {
		respond_error(ctx, corr, ENOSYS, "no storage");
		return;
	}
	acc.user = q->user && q->user[0] ? q->user : NULL;
	acc.m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, NULL);
	if (!acc.m) {
		respond_error(ctx, corr, ENOMEM, "out of memory");
		return;
	}
	store_locations_each(ctx->store, regs_one, &acc);
	rr.n_bindings = acc.n;
	rr.bindings = acc.b;
	rr.now_ms = registrar_now_ms();
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_REGISTRATIONS;
	r.registrations = &rr;
	admin_server_respond(ctx->server, corr, &r);
	for (size_t i = 0; i < acc.n; i++)
		pbx__binding__free_unpacked(acc.b[i], NULL);
	rt_msg_free(acc.m);
}

static void
unregistered(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct admin_ctx *ctx = ((struct admin_state *)rt_state(a))->ctx;
	uint64_t corr = (uint64_t)(uintptr_t)arg;
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;

	if (err || reply->body_case != PBX__ENVELOPE__BODY_UNREGISTER_RESULT) {
		respond_error(ctx, corr, err ? err : EPROTO,
		              "the registrar did not answer");
		return;
	}
	r.result_case = PBX__ADMIN_RESPONSE__RESULT_UNREGISTER;
	r.unregister = reply->unregister_result;
	admin_server_respond(ctx->server, corr, &r);
}

static void
do_unregister(rt_actor *a, struct admin_ctx *ctx, uint64_t corr,
              const Pbx__UnregisterRequest *q)
{
	Pbx__Unregister *u;
	rt_msg *m;
	rt_addr to;
	const char *aor = q->aor ? q->aor : "";

	if (!strchr(aor, '@')) {
		respond_error(ctx, corr, EINVAL,
		              "an AOR is user@domain, e.g. 1000@127.0.0.1");
		return;
	}
	m = rt_msg_new(PBX__ENVELOPE__BODY_UNREGISTER, 512, &u);
	if (!m) {
		respond_error(ctx, corr, ENOMEM, "out of memory");
		return;
	}
	u->aor = rt_msg_strdup(m, aor);
	u->contact = rt_msg_strdup(m, q->contact ? q->contact : "");
	to = (rt_addr){ rt_node_id(ctx->rt),
		        rt_worker_of(ctx->rt, aor, strlen(aor)),
		        SIP_ID_REGISTRAR };
	if (rt_request(a, to, m, 5000, unregistered, (void *)(uintptr_t)corr)) {
		rt_msg_free(m);
		respond_error(ctx, corr, EIO, "registrar unreachable");
	}
}

static void ping_next(rt_actor *a, struct ping_op *op);

static void
ping_finish(rt_actor *a, struct ping_op *op, int err)
{
	struct admin_state *st = rt_state(a);
	struct admin_ctx *ctx = st->ctx;
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__PingResponse pr = PBX__PING_RESPONSE__INIT;
	char text[160];

	if (err) {
		snprintf(text, sizeof(text), "ping %s (node %u): %s", op->name,
		         op->node, strerror(err));
		respond_error(ctx, op->corr, err, text);
	} else {
		pr.node = op->name;
		pr.node_id = op->node;
		pr.n_rtt_ns = op->done;
		pr.rtt_ns = op->rtt;
		r.result_case = PBX__ADMIN_RESPONSE__RESULT_PING;
		r.ping = &pr;
		admin_server_respond(ctx->server, op->corr, &r);
	}
	if (op->prev)
		op->prev->next = op->next;
	else
		st->ops = op->next;
	if (op->next)
		op->next->prev = op->prev;
	free(op);
}

static void
pong_cb(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct ping_op *op = arg;

	if (err) {
		ping_finish(a, op, err);
		return;
	}
	op->rtt[op->done++] = pbx_mono_ns() - reply->pong->sent_ns;
	if (op->done == op->count)
		ping_finish(a, op, 0);
	else
		ping_next(a, op);
}

static void
ping_next(rt_actor *a, struct ping_op *op)
{
	rt_addr to = { op->node, 0, RT_ID_NODE };
	Pbx__Ping *p;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_PING, 0, &p);
	int err;

	if (!m) {
		ping_finish(a, op, ENOMEM);
		return;
	}
	p->seq = op->done;
	p->sent_ns = pbx_mono_ns();
	err = rt_request(a, to, m, PING_TIMEOUT_MS, pong_cb, op);
	if (err) {
		rt_msg_free(m);
		ping_finish(a, op, err);
	}
}

static void
do_ping(rt_actor *a, struct admin_ctx *ctx, uint64_t corr,
        const Pbx__PingRequest *q)
{
	struct admin_state *st = rt_state(a);
	struct ping_op *op;
	uint32_t node;
	char text[160];

	if (!q->node || cluster_resolve(ctx->cluster, q->node, &node) != 0) {
		snprintf(text, sizeof(text), "no peer named %s",
		         q->node ? q->node : "(none)");
		respond_error(ctx, corr, ENOENT, text);
		return;
	}
	op = calloc(1, sizeof(*op));
	if (!op) {
		respond_error(ctx, corr, ENOMEM, "out of memory");
		return;
	}
	op->corr = corr;
	op->node = node;
	snprintf(op->name, sizeof(op->name), "%s", q->node);
	op->count = q->count ? q->count : 1;
	if (op->count > 32)
		op->count = 32;
	op->next = st->ops;
	if (st->ops)
		st->ops->prev = op;
	st->ops = op;
	ping_next(a, op);
}

/* A request to every worker's call router (calls, hangup); for calls,
 * also to worker 0's router of every peer, which answers for its node. */
struct fan_op {
	struct fan_op *prev, *next; /* in flight, freed at stop */
	uint64_t corr;              /* admin slot */
	bool hangup;
	uint32_t pending; /* replies still awaited */
	bool found;       /* hangup: a router had the call */
	size_t n, cap;
	Pbx__CallInfo **calls; /* calls: deep copies */
	size_t n_silent;       /* peers that did not answer */
	char silent[MAX_PEERS][64];
	char *silent_p[MAX_PEERS];
};

/* One peer asked for its calls. */
struct fan_peer {
	struct fan_op *op;
	char name[64];
};

static void
fan_free(struct fan_op *op)
{
	for (size_t i = 0; i < op->n; i++)
		pbx__call_info__free_unpacked(op->calls[i], NULL);
	free(op->calls);
	free(op);
}

static void
fan_finish(rt_actor *a, struct fan_op *op)
{
	struct admin_state *st = rt_state(a);
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__CallsResponse cr = PBX__CALLS_RESPONSE__INIT;
	Pbx__HangupResponse hr = PBX__HANGUP_RESPONSE__INIT;

	if (op->hangup && !op->found) {
		respond_error(st->ctx, op->corr, ENOENT, "no such call");
	} else if (op->hangup) {
		hr.found = true;
		r.result_case = PBX__ADMIN_RESPONSE__RESULT_HANGUP;
		r.hangup = &hr;
		admin_server_respond(st->ctx->server, op->corr, &r);
	} else {
		cr.n_calls = op->n;
		cr.calls = op->calls;
		for (size_t i = 0; i < op->n_silent; i++)
			op->silent_p[i] = op->silent[i];
		cr.n_silent_nodes = op->n_silent;
		cr.silent_nodes = op->silent_p;
		cr.now_ms = registrar_now_ms();
		r.result_case = PBX__ADMIN_RESPONSE__RESULT_CALLS;
		r.calls = &cr;
		admin_server_respond(st->ctx->server, op->corr, &r);
	}
	if (op->prev)
		op->prev->next = op->next;
	else
		st->fans = op->next;
	if (op->next)
		op->next->prev = op->prev;
	fan_free(op);
}

/* Keep a copy of a router's calls (the reply is borrowed). */
static void
fan_keep(struct fan_op *op, const Pbx__CallsListReply *lr)
{
	for (size_t i = 0; i < lr->n_calls; i++) {
		size_t sz = pbx__call_info__get_packed_size(lr->calls[i]);
		uint8_t *buf;
		Pbx__CallInfo *ci;

		if (op->n == op->cap) {
			size_t cap = op->cap ? op->cap * 2 : 32;
			Pbx__CallInfo **nc =
			    realloc(op->calls, cap * sizeof(*nc));

			if (!nc)
				return;
			op->calls = nc;
			op->cap = cap;
		}
		buf = malloc(sz ? sz : 1);
		if (!buf)
			return;
		pbx__call_info__pack(lr->calls[i], buf);
		ci = pbx__call_info__unpack(NULL, sz, buf);
		free(buf);
		if (ci)
			op->calls[op->n++] = ci;
	}
}

/* A router that is not there (ENOENT) or does not answer in time has no
 * calls for us: the others' answer stands. */
static void
fan_reply(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct fan_op *op = arg;

	if (err)
		rt_debug("admin: call router: %s", strerror(err));
	else if (reply->body_case == PBX__ENVELOPE__BODY_CALLS_LIST_REPLY)
		fan_keep(op, reply->calls_list_reply);
	else if (reply->body_case == PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY)
		op->found |= reply->call_hangup_reply->found;
	if (--op->pending == 0)
		fan_finish(a, op);
}

static void
fan_silent(struct fan_op *op, const char *name)
{
	if (op->n_silent < MAX_PEERS)
		snprintf(op->silent[op->n_silent++], sizeof(op->silent[0]),
		         "%s", name);
}

/* A peer's answer for its whole node; one that is not there or too slow
 * is named in the answer, the others' calls stand. */
static void
fan_peer_reply(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct fan_peer *fp = arg;
	struct fan_op *op = fp->op;

	if (!err && reply->body_case == PBX__ENVELOPE__BODY_CALLS_LIST_REPLY) {
		fan_keep(op, reply->calls_list_reply);
	} else if (!err &&
	           reply->body_case == PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY) {
		op->found |= reply->call_hangup_reply->found;
	} else {
		rt_debug("admin: calls of %s: %s", fp->name,
		         err ? strerror(err) : "a wrong answer");
		fan_silent(op, fp->name);
	}
	free(fp);
	if (--op->pending == 0)
		fan_finish(a, op);
}

/* Ask every peer whose link is up (its calls, or to hang call `id` up);
 * name the others at once. */
static void
fan_peers(rt_actor *a, struct admin_ctx *ctx, struct fan_op *op, const char *id,
          uint32_t cause)
{
	struct cluster_peer_info info[MAX_PEERS];
	size_t np =
	    ctx->cluster ? cluster_peers(ctx->cluster, info, MAX_PEERS) : 0;

	for (size_t i = 0; i < np; i++) {
		rt_addr to = { info[i].node, 0, SIP_ID_CALLS };
		const char *name = info[i].name[0] ? info[i].name : info[i].url;
		struct fan_peer *fp;
		Pbx__CallsList *cl;
		Pbx__CallHangup *h;
		rt_msg *m = NULL;

		if (!info[i].node || info[i].node == rt_node_id(ctx->rt))
			continue;
		if (info[i].state != CLUSTER_UP) {
			fan_silent(op, name);
			continue;
		}
		fp = calloc(1, sizeof(*fp));
		if (id && (m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_HANGUP,
		                          strlen(id) + 1, &h))) {
			h->id = rt_msg_strdup(m, id);
			h->cause = cause;
			h->node_wide = true;
		} else if (!id &&
		           (m = rt_msg_new(PBX__ENVELOPE__BODY_CALLS_LIST, 0,
		                           &cl))) {
			cl->node_wide = true;
		}
		if (!fp || !m) {
			free(fp);
			rt_msg_free(m);
			fan_silent(op, name);
			continue;
		}
		fp->op = op;
		snprintf(fp->name, sizeof(fp->name), "%s", name);
		op->pending++;
		if (rt_request(a, to, m, CALLS_TIMEOUT_MS, fan_peer_reply,
		               fp) != 0) {
			rt_msg_free(m);
			free(fp);
			op->pending--;
			fan_silent(op, name);
		}
	}
}

static void
fan_out(rt_actor *a, struct admin_ctx *ctx, uint64_t corr, const char *id,
        uint32_t cause)
{
	struct admin_state *st = rt_state(a);
	uint32_t nw = rt_workers(ctx->rt);
	struct fan_op *op = calloc(1, sizeof(*op));

	if (!op) {
		respond_error(ctx, corr, ENOMEM, "out of memory");
		return;
	}
	op->corr = corr;
	op->hangup = id != NULL;
	op->pending = nw + 1; /* + 1: no answer before every request is out */
	op->next = st->fans;
	if (st->fans)
		st->fans->prev = op;
	st->fans = op;
	for (uint32_t w = 0; w < nw; w++) {
		rt_addr to = { rt_node_id(ctx->rt), w, SIP_ID_CALLS };
		Pbx__CallHangup *h;
		rt_msg *m;

		if (id) {
			m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_HANGUP,
			               strlen(id) + 1, &h);
			if (m) {
				h->id = rt_msg_strdup(m, id);
				h->cause = cause;
			}
		} else {
			m = rt_msg_new(PBX__ENVELOPE__BODY_CALLS_LIST, 0, NULL);
		}
		if (!m || rt_request(a, to, m, CALLS_TIMEOUT_MS, fan_reply,
		                     op) != 0) {
			rt_msg_free(m);
			op->pending--;
		}
	}
	fan_peers(a, ctx, op, id, cause);
	if (--op->pending == 0)
		fan_finish(a, op);
}

static void
do_calls(rt_actor *a, struct admin_ctx *ctx, uint64_t corr)
{
	fan_out(a, ctx, corr, NULL, 0);
}

static void
do_hangup(rt_actor *a, struct admin_ctx *ctx, uint64_t corr,
          const Pbx__HangupRequest *q)
{
	if (!q->id || !q->id[0]) {
		respond_error(ctx, corr, EINVAL, "which call? (its id)");
		return;
	}
	fan_out(a, ctx, corr, q->id,
	        q->cause ? q->cause : Q850_NORMAL_CLEARING);
}

struct cdr_acc {
	size_t n;
	Pbx__CallRecord **r; /* deep copies */
};

static int
cdr_one(void *arg, const Pbx__CallRecord *rec)
{
	struct cdr_acc *acc = arg;
	size_t sz = pbx__call_record__get_packed_size(rec);
	uint8_t *buf = malloc(sz ? sz : 1);
	Pbx__CallRecord *c;

	if (!buf)
		return ENOMEM;
	pbx__call_record__pack(rec, buf);
	c = pbx__call_record__unpack(NULL, sz, buf);
	free(buf);
	if (!c)
		return ENOMEM;
	acc->r[acc->n++] = c;
	return 0;
}

static void
do_cdr(struct admin_ctx *ctx, uint64_t corr, const Pbx__CdrRequest *q)
{
	Pbx__AdminResponse r = PBX__ADMIN_RESPONSE__INIT;
	Pbx__CdrResponse cr = PBX__CDR_RESPONSE__INIT;
	uint32_t last = q->last ? q->last : CDR_DEFAULT;
	struct cdr_acc acc = { 0 };
	char text[96];
	int err;

	if (!ctx->store) {
		respond_error(ctx, corr, ENOSYS, "no storage");
		return;
	}
	if (last > CDR_MAX)
		last = CDR_MAX;
	acc.r = calloc(last, sizeof(*acc.r));
	if (!acc.r) {
		respond_error(ctx, corr, ENOMEM, "out of memory");
		return;
	}
	err = store_calls_last(ctx->store, last, cdr_one, &acc);
	if (err) {
		snprintf(text, sizeof(text), "reading the call records: %s",
		         strerror(err));
		respond_error(ctx, corr, err, text);
	} else {
		cr.n_records = acc.n;
		cr.records = acc.r;
		r.result_case = PBX__ADMIN_RESPONSE__RESULT_CDR;
		r.cdr = &cr;
		admin_server_respond(ctx->server, corr, &r);
	}
	for (size_t i = 0; i < acc.n; i++)
		pbx__call_record__free_unpacked(acc.r[i], NULL);
	free(acc.r);
}

static int
admin_init(rt_actor *a, void *arg)
{
	struct admin_state *st = rt_state(a);

	st->ctx = arg;
	return 0;
}

static void
admin_fini(rt_actor *a, int reason)
{
	struct admin_state *st = rt_state(a);

	while (st->ops) {
		struct ping_op *op = st->ops;

		st->ops = op->next;
		free(op);
	}
	while (st->fans) {
		struct fan_op *op = st->fans;

		st->fans = op->next;
		fan_free(op);
	}
}

static void
admin_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct admin_ctx *ctx = ((struct admin_state *)rt_state(a))->ctx;
	const Pbx__AdminRequest *q;

	if (env->body_case == PBX__ENVELOPE__BODY_SIP_PING_RESULT) {
		sip_ping_done(ctx, env);
		return;
	}
	if (env->body_case != PBX__ENVELOPE__BODY_ADMIN_REQUEST)
		return;
	q = env->admin_request;
	switch (q->cmd_case) {
	case PBX__ADMIN_REQUEST__CMD_STATUS:
		do_status(ctx, env->correlation);
		break;
	case PBX__ADMIN_REQUEST__CMD_PING:
		do_ping(a, ctx, env->correlation, q->ping);
		break;
	case PBX__ADMIN_REQUEST__CMD_LOG_LEVEL:
		do_log_level(ctx, env->correlation, q->log_level);
		break;
	case PBX__ADMIN_REQUEST__CMD_TRACE:
		do_trace(ctx, env->correlation, q->trace);
		break;
	case PBX__ADMIN_REQUEST__CMD_REGISTRATIONS:
		do_registrations(ctx, env->correlation, q->registrations);
		break;
	case PBX__ADMIN_REQUEST__CMD_UNREGISTER:
		do_unregister(a, ctx, env->correlation, q->unregister);
		break;
	case PBX__ADMIN_REQUEST__CMD_SIP_PING:
		do_sip_ping(a, ctx, env->correlation, q->sip_ping);
		break;
	case PBX__ADMIN_REQUEST__CMD_CALLS:
		do_calls(a, ctx, env->correlation);
		break;
	case PBX__ADMIN_REQUEST__CMD_HANGUP:
		do_hangup(a, ctx, env->correlation, q->hangup);
		break;
	case PBX__ADMIN_REQUEST__CMD_CDR:
		do_cdr(ctx, env->correlation, q->cdr);
		break;
	case PBX__ADMIN_REQUEST__CMD_CLUSTER:
		admin_do_cluster(ctx, env->correlation);
		break;
	default:
		respond_error(ctx, env->correlation, ENOTSUP,
		              "command not supported by this node");
		break;
	}
}

const rt_kind admin_kind = {
	.name = "admin",
	.size = sizeof(struct admin_state),
	.init = admin_init,
	.handle = admin_handle,
	.fini = admin_fini,
};
