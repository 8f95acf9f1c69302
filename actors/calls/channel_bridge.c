/*
 * Bridging the A leg: every target of the ringing group becomes one B-leg
 * channel per destination (a user's every live binding: forking). The
 * first 180/183 is relayed to the caller, the first 2xx wins and the other
 * forks are cancelled ("call completed elsewhere"); when every fork of a
 * group failed, the next group ('|') rings, and when none is left the call
 * fails with the most telling cause (busy beats no answer beats the rest).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "directory.h"
#include "log.h"
#include "q850.h"

#include <netdb.h>
#include <uv.h>

/* How telling a failure is, to choose what the caller hears. */
static int
cause_rank(uint32_t cause)
{
	switch (cause) {
	case Q850_USER_BUSY:
		return 5;
	case Q850_CALL_REJECTED:
		return 4;
	case Q850_NO_ANSWER:
	case Q850_NO_USER_RESPONSE:
		return 3;
	case Q850_USER_NOT_REGISTERED:
	case Q850_SUBSCRIBER_ABSENT:
		return 2;
	case Q850_UNALLOCATED_NUMBER:
		return 1;
	default:
		return 0;
	}
}

static void
note_failure(struct chan *c, uint32_t cause)
{
	if (!c->fail_cause || cause_rank(cause) > cause_rank(c->fail_cause))
		c->fail_cause = cause;
}

static void
caller_from(const struct chan *c, char *out, size_t n)
{
	const char *dom = c->user && c->user->domain
	                      ? c->user->domain
	                      : c->base.g->cf->directory.domain;

	snprintf(out, n, "\"%s\" <sip:%s@%s>", c->base.caller_name,
	         c->base.caller_number, dom);
}

/* Spawn one B leg, here or on `node` (the node holding the binding's
 * flow: channel_remote.c); false when it could not start. */
static bool
spawn_leg(rt_actor *a, struct chan *c, const struct dp_target *t,
          const char *ruri, const char *to, rt_msg *flow, uint32_t node)
{
	struct chan_b_arg *b = calloc(1, sizeof(*b));
	struct chan_fork *f = &c->forks[c->n_forks];
	uint8_t *sdp = NULL;
	size_t len = 0;
	char from[256];
	rt_addr leg;

	if (!b || c->n_forks == CHAN_MAX_FORKS) {
		free(b);
		rt_msg_free(flow);
		return false;
	}
	b->g = c->base.g;
	b->a_chan = rt_self(a);
	memcpy(b->call, c->base.call, sizeof(b->call));
	b->leg = ++c->next_leg;
	b->profile = c->base.profile;
	b->timeout_s =
	    dp_bridge_timeout(&c->br, t, c->base.g->cf->calls.timeout);
	memcpy(b->caller_number, c->base.caller_number,
	       sizeof(b->caller_number));
	memcpy(b->caller_name, c->base.caller_name, sizeof(b->caller_name));
	if (t->kind == DP_TARGET_USER)
		snprintf(b->target, sizeof(b->target), "%s", ruri);
	else
		snprintf(b->target, sizeof(b->target), "%s", t->uri);
	caller_from(c, from, sizeof(from));
	b->ruri = strdup(ruri);
	b->to = strdup(to);
	b->from = strdup(from);
	b->flow = flow;
	if (c->offer_len) {
		c->base.g->media->sdp(c->ms, 0, c->offer, c->offer_len, &sdp,
		                      &len);
		if (!sdp && (sdp = malloc(c->offer_len))) {
			memcpy(sdp, c->offer, c->offer_len);
			len = c->offer_len;
		}
	}
	b->sdp = sdp;
	b->sdp_len = len;
	/* a B2BUA still counts hops: a loop through us ends (483) */
	b->max_forwards = c->max_forwards ? c->max_forwards - 1 : 0;
	*f = (struct chan_fork){ .live = true, .leg = b->leg };
	snprintf(f->target, sizeof(f->target), "%s", b->target);
	if (!b->ruri || !b->to || !b->from) {
		chan_b_arg_free(b);
		return false;
	}
	if (node && node != rt_self(a).node) {
		if (!chan_remote_start(a, c, f, b, node)) {
			note_failure(c, Q850_SUBSCRIBER_ABSENT);
			return false;
		}
	} else if (rt_spawn(rt_of(a), &channel_b_kind, rt_self(a).worker, b,
	                    &leg) != 0) {
		chan_b_arg_free(b);
		return false;
	} else {
		f->chan = leg;
	}
	c->n_forks++;
	return true;
}

/* user/ID[@domain]: every live binding of the user, each one's B leg on
 * the node holding its flow. */
static size_t
ring_user(rt_actor *a, struct chan *c, const struct dp_target *t)
{
	const char *dom =
	    t->domain ? t->domain : c->base.g->cf->directory.domain;
	struct pl u = pl_from_str(t->user), d = pl_from_str(dom);
	const struct conf_user *cu = directory_find(c->base.g->dir, &u, &d);
	Pbx__AorBindings *bs = NULL;
	uint64_t now = calls_now_ms();
	char aor[256], to[300];
	size_t n = 0, absent = 0;

	if (!cu) {
		note_failure(c, Q850_UNALLOCATED_NUMBER);
		return 0;
	}
	snprintf(aor, sizeof(aor), "%s@%s", t->user, dom);
	for (char *p = strchr(aor, '@'); p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (store_locations_get(c->base.g->store, aor, &bs) != 0) {
		note_failure(c, Q850_USER_NOT_REGISTERED);
		return 0;
	}
	snprintf(to, sizeof(to), "<sip:%s>", aor);
	for (size_t i = 0; i < bs->n_bindings; i++) {
		const Pbx__Binding *b = bs->bindings[i];
		rt_msg *f;

		if (b->expires_at_ms <= now || !b->flow)
			continue;
		if ((f = sip_flow_msg(b->flow)) &&
		    spawn_leg(a, c, t, b->contact, to, f, b->node))
			n++;
		else if (b->node && b->node != rt_self(a).node)
			absent++; /* its node cannot be reached */
	}
	pbx__aor_bindings__free_unpacked(bs, NULL);
	if (!n && !absent)
		note_failure(c, Q850_USER_NOT_REGISTERED);
	return n;
}

/* A B leg to a sip: URI at ip (4 or 16 bytes), from the A leg's listener
 * over UDP. */
static size_t
ring_addr(rt_actor *a, struct chan *c, const struct dp_target *t,
          const uint8_t *ip, size_t iplen, uint16_t port)
{
	const Pbx__SipFlow *af =
	    c->aflow ? rt_msg_env(c->aflow)->sip_packet->flow : NULL;
	Pbx__SipPacket *p;
	char to[300];
	rt_msg *m;

	if (!af)
		return 0;
	if (!(m = sip_flow_msg(af)))
		return 0;
	p = rt_msg_env(m)->sip_packet;
	p->flow->transport = SIP_FLOW_UDP;
	p->flow->conn = NULL;
	p->flow->remote_ip.data = rt_msg_memdup(m, ip, iplen);
	p->flow->remote_ip.len = iplen;
	p->flow->remote_port = port ? port : 5060;
	snprintf(to, sizeof(to), "<%s>", t->uri);
	return spawn_leg(a, c, t, t->uri, to, m, 0) ? 1 : 0;
}

/* A host name is looked up on libuv's thread pool (getaddrinfo: the
 * system's resolver and /etc/hosts), never on the worker; the answer
 * comes back to the channel as a CallResolved message. */
struct lookup {
	uv_getaddrinfo_t req;
	rt *r;
	rt_addr chan;
	uint32_t gen, group, target;
};

static void
looked_up(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct lookup *lk = req->data;
	Pbx__CallResolved *r;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_RESOLVED, 32, &r);

	if (m) {
		r->gen = lk->gen;
		r->group = lk->group;
		r->target = lk->target;
		r->error = status;
		if (!status && res && res->ai_family == AF_INET) {
			r->ip.data = rt_msg_memdup(
			    m, &((struct sockaddr_in *)res->ai_addr)->sin_addr,
			    4);
			r->ip.len = 4;
		} else if (!status && res && res->ai_family == AF_INET6) {
			r->ip.data = rt_msg_memdup(
			    m,
			    &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
			    16);
			r->ip.len = 16;
		} else if (!status) {
			r->error = UV_EAI_NONAME;
		}
		if (rt_inject(lk->r, (rt_addr){ 0 }, lk->chan, m) != 0)
			rt_msg_free(m);
	}
	uv_freeaddrinfo(res);
	free(lk);
}

static size_t
lookup_start(rt_actor *a, struct chan *c, const char *host, uint32_t target)
{
	struct lookup *lk = calloc(1, sizeof(*lk));
	const struct sip_listener *l = &c->base.g->s->listen[0];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
		                  .ai_family = l->ss.ss_family };

	if (!lk)
		return 0;
	lk->req.data = lk;
	lk->r = rt_of(a);
	lk->chan = rt_self(a);
	lk->gen = c->br_gen;
	lk->group = (uint32_t)c->group;
	lk->target = target;
	if (uv_getaddrinfo(rt_loop(rt_of(a), rt_self(a).worker), &lk->req,
	                   looked_up, host, NULL, &hints) != 0) {
		free(lk);
		return 0;
	}
	c->resolving++;
	return 1;
}

/* sip:URI: at once for a numeric host, after a lookup for a name. */
static size_t
ring_uri(rt_actor *a, struct chan *c, const struct dp_target *t, uint32_t index)
{
	struct pl text = pl_from_str(t->uri);
	struct sip_uri uri;
	char host[256];
	uint8_t ip[16];
	int fam;

	if (sip_uri_decode(&uri, &text) != 0 || uri.host.l >= sizeof(host) ||
	    !uri.host.l) {
		note_failure(c, Q850_NO_ROUTE_DESTINATION);
		return 0;
	}
	snprintf(host, sizeof(host), "%.*s", PL_ARG(uri.host));
	fam = uri.host_ipv6 ? AF_INET6 : AF_INET;
	if (inet_pton(fam, host, ip) == 1)
		return ring_addr(a, c, t, ip, fam == AF_INET ? 4 : 16,
		                 uri.port);
	return lookup_start(a, c, host, index);
}

static void bridge_failed(rt_actor *a, struct chan *c);

/* Ring group c->group; on to the next when nothing of it could ring. */
static void
ring_group(rt_actor *a, struct chan *c)
{
	while (c->group < c->br.group_count) {
		const struct dp_group *g = &c->br.groups[c->group];
		size_t n = 0;

		c->n_forks = 0;
		c->resolving = 0;
		for (size_t i = 0; i < g->target_count; i++)
			n += g->targets[i].kind == DP_TARGET_USER
			         ? ring_user(a, c, &g->targets[i])
			         : ring_uri(a, c, &g->targets[i], (uint32_t)i);
		if (n)
			return;
		c->group++;
	}
	bridge_failed(a, c);
}

/* A leg of the group failed: when none is left ringing or being looked
 * up, on to the next group. */
static void
next_group_if_done(rt_actor *a, struct chan *c)
{
	bool any = c->resolving > 0;

	for (size_t i = 0; i < c->n_forks; i++)
		any = any || c->forks[i].live;
	if (!any) {
		c->group++;
		ring_group(a, c);
	}
}

static void
bridge_failed(rt_actor *a, struct chan *c)
{
	const char *cof = chan_var(c, "continue_on_fail");
	uint32_t cause = c->fail_cause ? c->fail_cause : Q850_NO_ANSWER;

	if (c->br_live)
		dp_bridge_free(&c->br);
	c->br_live = false;
	rt_info("channel %s: bridge failed: %s", c->base.call,
	        q850_name(cause) ? q850_name(cause) : "?");
	if (cof && strcmp(cof, "true") == 0) {
		char buf[24];

		snprintf(buf, sizeof(buf), "%s",
		         q850_name(cause) ? q850_name(cause) : "");
		chan_var_set(c, "last_bridge_hangup_cause", buf);
		chan_set_state(&c->base, CS_EXECUTE);
		chan_run(a, c);
		return;
	}
	chan_hangup(a, c, cause, "pbx");
}

void
chan_bridge_start(rt_actor *a, struct chan *c, const char *data)
{
	if (c->br_live)
		dp_bridge_free(&c->br);
	c->br_live = false;
	c->fail_cause = 0;
	if (dp_bridge_parse(data, &c->br) != 0) {
		rt_warn("channel %s: bridge %s: %s", c->base.call, data,
		        c->br.err);
		note_failure(c, Q850_NO_ROUTE_DESTINATION);
		bridge_failed(a, c);
		return;
	}
	c->br_live = true;
	c->br_gen++;
	c->group = 0;
	snprintf(c->entry.callee, sizeof(c->entry.callee), "%s", data);
	ring_group(a, c);
}

static struct chan_fork *
fork_of(struct chan *c, rt_addr from)
{
	for (size_t i = 0; i < c->n_forks; i++)
		if (c->forks[i].live && rt_addr_eq(c->forks[i].chan, from))
			return &c->forks[i];
	return NULL;
}

/* A fork that ends before its remote leg's address is known keeps what to
 * tell that leg once it is (channel_remote.c); the others are told now. */
static void
end_fork(rt_actor *a, struct chan_fork *f, uint32_t code, uint32_t cause)
{
	f->live = false;
	f->end_code = code;
	f->end_cause = cause;
	if (f->chan.id)
		chan_tell(a, f->chan, PBX__LEG_KIND__LEG_HANGUP, code, cause,
		          NULL, 0, 0);
}

static void
progress(rt_actor *a, struct chan *c, const Pbx__Leg *l)
{
	uint8_t *sdp = NULL;
	size_t len = 0;

	if (c->answered)
		return;
	if (l->sdp.len && !c->early_sent) {
		c->base.g->media->sdp(c->ms, 1, l->sdp.data, l->sdp.len, &sdp,
		                      &len);
		chan_tell(a, c->base.dialog, PBX__LEG_KIND__LEG_RING, 183, 0,
		          sdp ? sdp : l->sdp.data, sdp ? len : l->sdp.len, 0);
		free(sdp);
		if (!c->ring_sent)
			chan_record_ringing(&c->base, true);
		c->early_sent = c->ring_sent = true;
		chan_set_state(&c->base, CS_EARLY);
	} else if (!c->ring_sent && !c->early_sent && l->code >= 180) {
		chan_tell(a, c->base.dialog, PBX__LEG_KIND__LEG_RING, 180, 0,
		          NULL, 0, 0);
		chan_record_ringing(&c->base, false);
		c->ring_sent = true;
		chan_set_state(&c->base, CS_RINGING);
	}
}

static void
answered(rt_actor *a, struct chan *c, struct chan_fork *f, const Pbx__Leg *l)
{
	uint8_t *sdp = NULL;
	size_t len = 0;

	if (c->bridged) { /* a second fork answered: it lost */
		end_fork(a, f, 0, Q850_NORMAL_CLEARING);
		return;
	}
	c->bridged = true;
	c->base.peer = f->chan;
	for (size_t i = 0; i < c->n_forks; i++)
		if (c->forks[i].live && &c->forks[i] != f)
			/* 200: "call completed elsewhere" on the CANCEL */
			end_fork(a, &c->forks[i], 200, Q850_NORMAL_CLEARING);
	c->base.g->media->sdp(c->ms, 1, l->sdp.data, l->sdp.len, &sdp, &len);
	if (c->answered) /* answered before the bridge: a new offer */
		chan_tell(a, c->base.dialog, PBX__LEG_KIND__LEG_OFFER, 0, 0,
		          sdp ? sdp : l->sdp.data, sdp ? len : l->sdp.len, 0);
	else
		chan_tell(a, c->base.dialog, PBX__LEG_KIND__LEG_ANSWER, 200, 0,
		          sdp ? sdp : l->sdp.data, sdp ? len : l->sdp.len, 0);
	free(sdp);
	if (!c->answered) {
		c->answered = true;
		chan_record_answered(&c->base, f->target, f->chan.node);
	}
	chan_set_state(&c->base, CS_ANSWERED);
	/* the call is up until a leg ends it: what routed and rang it is
	 * not needed again (a long call holds only what it uses) */
	free(c->offer);
	c->offer = NULL;
	c->offer_len = 0;
	rt_msg_free(c->aflow);
	c->aflow = NULL;
	dp_actions_free(&c->acts);
	c->pc = 0;
	if (c->br_live)
		dp_bridge_free(&c->br);
	c->br_live = false;
}

bool
chan_bridge_leg(rt_actor *a, struct chan *c, rt_addr from, const Pbx__Leg *l)
{
	struct chan_fork *f = fork_of(c, from);

	if (f && f->remote)
		f->heard_ms = calls_now_ms();
	if (!f)
		f = chan_remote_fork(a, c, from, l);
	if (!f)
		return false;
	if (l->kind == PBX__LEG_KIND__LEG_ALIVE)
		return true;
	chan_fork_leg(a, c, f, l);
	return l->kind == PBX__LEG_KIND__LEG_PROGRESS ||
	       l->kind == PBX__LEG_KIND__LEG_ANSWERED ||
	       l->kind == PBX__LEG_KIND__LEG_ENDED;
}

void
chan_fork_leg(rt_actor *a, struct chan *c, struct chan_fork *f,
              const Pbx__Leg *l)
{
	switch (l->kind) {
	case PBX__LEG_KIND__LEG_PROGRESS:
		if (!c->bridged)
			progress(a, c, l);
		return;
	case PBX__LEG_KIND__LEG_ANSWERED:
		answered(a, c, f, l);
		return;
	case PBX__LEG_KIND__LEG_ENDED:
		f->live = false;
		if (c->bridged && rt_addr_eq(f->chan, c->base.peer)) {
			chan_hangup(a, c, l->cause, "callee");
			return;
		}
		if (c->bridged)
			return;
		note_failure(c, l->cause);
		next_group_if_done(a, c);
		return;
	default:
		return;
	}
}

void
chan_bridge_bounce(rt_actor *a, struct chan *c, rt_addr to, uint32_t body_case)
{
	struct chan_fork *f = fork_of(c, to);
	Pbx__Leg gone = PBX__LEG__INIT;

	(void)body_case;
	if (!f)
		return;
	if (f->remote) {
		chan_remote_gone(a, c, f, "undeliverable");
		return;
	}
	gone.kind = PBX__LEG_KIND__LEG_ENDED;
	gone.cause = Q850_NORMAL_TEMPORARY_FAILURE;
	chan_fork_leg(a, c, f, &gone);
}

void
chan_bridge_cancel(rt_actor *a, struct chan *c, uint32_t cause)
{
	for (size_t i = 0; i < c->n_forks; i++)
		if (c->forks[i].live)
			end_fork(a, &c->forks[i], 0, cause);
}

void
chan_bridge_resolved(rt_actor *a, struct chan *c, const Pbx__CallResolved *r)
{
	const struct dp_target *t;
	const struct dp_group *g;
	struct pl text;
	struct sip_uri uri;

	/* an answer for a bridge or group that is over */
	if (!c->br_live || c->bridged || c->base.st == CS_HANGUP ||
	    r->gen != c->br_gen || r->group != c->group || !c->resolving)
		return;
	c->resolving--;
	g = &c->br.groups[c->group];
	if (r->target >= g->target_count)
		return;
	t = &g->targets[r->target];
	text = pl_from_str(t->uri);
	if (r->error || sip_uri_decode(&uri, &text) != 0 ||
	    !ring_addr(a, c, t, r->ip.data, r->ip.len, uri.port)) {
		rt_info("channel %s: %s: no address (%s)", c->base.call, t->uri,
		        r->error ? uv_strerror(r->error) : "no leg");
		note_failure(c, Q850_NO_ROUTE_DESTINATION);
		next_group_if_done(a, c);
	}
}
