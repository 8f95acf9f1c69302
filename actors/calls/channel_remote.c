/*
 * B legs on other nodes. A binding names the node whose SIP stack holds its
 * flow, and only that node can reach the phone (its UDP mapping, its TCP or
 * TLS connection), so the B leg runs there: the A channel asks that node's
 * call router (worker 0, SIP_ID_CALLS) with CallLegStart, the router spawns
 * the B channel (channel_b.c) on the worker its call hashes to, and the two
 * channels talk with Leg messages over the cluster link as they would on
 * one node. The B leg's call events are its own node's; what the A node's
 * record needs of it (who answered, where) comes with the Leg messages.
 *
 * A node that dies or cannot be reached must not leave the caller hanging:
 * the start is a request with a deadline, a Leg that cannot be sent (the
 * link is down) or comes back (Undeliverable) ends that fork, and while a
 * fork is on another node both channels say LEG_ALIVE every second; four
 * seconds of silence (a node killed or frozen before its link is seen
 * down) end it too. A fork that could not ring ends with SUBSCRIBER_ABSENT
 * (480) and the others ring on; an answered call whose other side is gone
 * ends with NETWORK_OUT_OF_ORDER.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "log.h"
#include "q850.h"

#define START_TIMEOUT_MS 3000

static void alive_tick(rt_actor *a, void *arg);

static void
alive_arm(rt_actor *a, struct chan *c)
{
	if (!c->alive_timer)
		c->alive_timer =
		    rt_timer_start(a, CALLS_ALIVE_MS, alive_tick, NULL);
}

static struct chan_fork *
fork_by_leg(struct chan *c, uint32_t leg)
{
	for (size_t i = 0; i < c->n_forks; i++)
		if (c->forks[i].remote && c->forks[i].leg == leg)
			return &c->forks[i];
	return NULL;
}

/* A fork that ended while its leg was being started: now that its address
 * is known, end the leg too (it would ring on otherwise). */
static void
end_late(rt_actor *a, struct chan_fork *f)
{
	chan_tell(a, f->chan, PBX__LEG_KIND__LEG_HANGUP, f->end_code,
	          f->end_cause ? f->end_cause : Q850_NORMAL_CLEARING, NULL, 0,
	          0);
}

static void
started(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct chan *c = rt_state(a);
	struct chan_fork *f = fork_by_leg(c, (uint32_t)(uintptr_t)arg);
	const Pbx__CallLegStarted *s =
	    !err && reply->body_case == PBX__ENVELOPE__BODY_CALL_LEG_STARTED
	        ? reply->call_leg_started
	        : NULL;
	rt_addr ch = s && s->chan ? rt_addr_from_pb(s->chan) : (rt_addr){ 0 };
	char why[96];

	if (!f || c->base.st == CS_HANGUP)
		return;
	if (!err && (!s || s->error || !ch.id || ch.node != f->chan.node))
		err = s && s->error > 0 ? s->error : EBADMSG;
	if (!err) {
		if (!f->chan.id) {
			f->chan = ch;
			if (!f->live)
				end_late(a, f);
		}
		return;
	}
	if (!f->live)
		return;
	snprintf(why, sizeof(why), "start on node %u: %s",
	         (unsigned)f->chan.node, strerror(err));
	chan_remote_gone(a, c, f, why);
}

bool
chan_remote_start(rt_actor *a, struct chan *c, struct chan_fork *f,
                  struct chan_b_arg *b, uint32_t node)
{
	const Pbx__SipFlow *bf = rt_msg_env(b->flow)->sip_packet->flow;
	Pbx__CallLegStart *s;
	rt_msg *m = rt_msg_new(
	    PBX__ENVELOPE__BODY_CALL_LEG_START,
	    b->sdp_len + 1024 + bf->remote_ip.len + bf->local_ip.len, &s);
	rt_addr router = { node, 0, SIP_ID_CALLS };
	int err = ENOMEM;

	if (!m)
		goto out;
	s->call = rt_msg_strdup(m, b->call);
	s->leg = b->leg;
	s->profile = rt_msg_strdup(m, c->base.g->cf->profiles[b->profile].name);
	s->timeout_s = b->timeout_s;
	s->caller_number = rt_msg_strdup(m, b->caller_number);
	s->caller_name = rt_msg_strdup(m, b->caller_name);
	s->target = rt_msg_strdup(m, b->target);
	s->ruri = rt_msg_strdup(m, b->ruri);
	s->to = rt_msg_strdup(m, b->to);
	s->from = rt_msg_strdup(m, b->from);
	s->max_forwards = b->max_forwards;
	s->sdp.data = rt_msg_memdup(m, b->sdp, b->sdp_len);
	s->sdp.len = b->sdp_len;
	s->flow = rt_msg_alloc(m, sizeof(*s->flow));
	if (!s->flow)
		goto out;
	*s->flow = *bf;
	s->flow->remote_ip.data =
	    rt_msg_memdup(m, bf->remote_ip.data, bf->remote_ip.len);
	s->flow->local_ip.data =
	    rt_msg_memdup(m, bf->local_ip.data, bf->local_ip.len);
	if (bf->conn) {
		s->flow->conn = rt_msg_alloc(m, sizeof(*s->flow->conn));
		if (!s->flow->conn)
			goto out;
		*s->flow->conn = *bf->conn;
	}
	err = rt_request(a, router, m, START_TIMEOUT_MS, started,
	                 (void *)(uintptr_t)b->leg);
	if (!err)
		m = NULL;
out:
	rt_msg_free(m);
	if (err) {
		rt_info("channel %s: leg %u to %s on node %u: %s", b->call,
		        b->leg, b->target, (unsigned)node, strerror(err));
	} else {
		f->remote = true;
		f->chan = (rt_addr){ node, 0, 0 };
		f->heard_ms = calls_now_ms();
		alive_arm(a, c);
		rt_debug("channel %s: leg %u to %s on node %u", b->call, b->leg,
		         b->target, (unsigned)node);
	}
	chan_b_arg_free(b);
	return err == 0;
}

struct chan_fork *
chan_remote_fork(rt_actor *a, struct chan *c, rt_addr from, const Pbx__Leg *l)
{
	struct chan_fork *f;

	if (from.node == rt_self(a).node || !l->leg ||
	    !(f = fork_by_leg(c, l->leg)) || f->chan.node != from.node)
		return NULL;
	if (!f->chan.id) {
		/* its first word came before the router's answer */
		f->chan = from;
		if (!f->live) {
			end_late(a, f);
			return NULL;
		}
	}
	if (!rt_addr_eq(f->chan, from) || !f->live)
		return NULL;
	f->heard_ms = calls_now_ms();
	return f;
}

void
chan_remote_gone(rt_actor *a, struct chan *c, struct chan_fork *f,
                 const char *why)
{
	Pbx__Leg gone = PBX__LEG__INIT;
	bool peer = c->bridged && rt_addr_eq(f->chan, c->base.peer);

	rt_info("channel %s: leg %u on node %u gone (%s)", c->base.call, f->leg,
	        (unsigned)f->chan.node, why);
	gone.kind = PBX__LEG_KIND__LEG_ENDED;
	gone.cause = peer ? Q850_NETWORK_OUT_OF_ORDER : Q850_SUBSCRIBER_ABSENT;
	gone.leg = f->leg;
	chan_fork_leg(a, c, f, &gone);
}

/* Every second while a fork is on another node: say we are alive, and end
 * the forks whose node fell silent or cannot be sent to. One at a time: an
 * ended fork may ring the next group, which renews the forks. */
static void
alive_tick(rt_actor *a, void *arg)
{
	struct chan *c = rt_state(a);
	uint64_t now = calls_now_ms();
	bool any;

	(void)arg;
	c->alive_timer = 0;
	for (size_t i = 0; i < c->n_forks && c->base.st != CS_HANGUP;) {
		struct chan_fork *f = &c->forks[i];

		if (!f->live || !f->remote) {
			i++;
		} else if (now - f->heard_ms > CALLS_SILENT_MS) {
			chan_remote_gone(a, c, f, "silent");
			i = 0;
		} else if (f->chan.id &&
		           chan_tell(a, f->chan, PBX__LEG_KIND__LEG_ALIVE, 0, 0,
		                     NULL, 0, 0) != 0) {
			chan_remote_gone(a, c, f, "link down");
			i = 0;
		} else {
			i++;
		}
	}
	any = false;
	for (size_t i = 0; i < c->n_forks; i++)
		any = any || (c->forks[i].live && c->forks[i].remote);
	if (any && c->base.st != CS_HANGUP)
		alive_arm(a, c);
}

/* --- the router's side: a B leg asked for by another node ----------------- */

static bool
text_ok(const char *s, size_t max)
{
	return s && *s && strlen(s) < max;
}

/* The profile named by the A node, by name: indexes may differ. */
static int
profile_of(const struct conf *cf, const char *name, unsigned *out)
{
	for (size_t i = 0; name && i < cf->profile_count; i++)
		if (strcmp(cf->profiles[i].name, name) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	return ENOENT;
}

/* The B leg's arguments from a CallLegStart; EINVAL for one that does not
 * hold together (it never comes from a node of ours). */
static int
leg_arg(rt_actor *a, struct calls *g, const Pbx__Envelope *env,
        struct chan_b_arg *b)
{
	const Pbx__CallLegStart *s = env->call_leg_start;
	const Pbx__SipFlow *f = s->flow;

	if (!text_ok(s->call, sizeof(b->call)) || !s->leg ||
	    !text_ok(s->ruri, 1024) || !text_ok(s->to, 1024) ||
	    !text_ok(s->from, 1024) || !f || f->listener >= g->s->n_listen ||
	    f->transport < 1 || f->transport > 3 ||
	    (f->remote_ip.len != 4 && f->remote_ip.len != 16) ||
	    (f->conn && f->conn->node != rt_self(a).node))
		return EINVAL;
	if (profile_of(g->cf, s->profile, &b->profile) != 0)
		return ENOENT;
	b->g = g;
	b->a_chan = rt_addr_from_pb(env->from);
	snprintf(b->call, sizeof(b->call), "%s", s->call);
	b->leg = s->leg;
	b->timeout_s = s->timeout_s;
	snprintf(b->caller_number, sizeof(b->caller_number), "%s",
	         s->caller_number ? s->caller_number : "");
	snprintf(b->caller_name, sizeof(b->caller_name), "%s",
	         s->caller_name ? s->caller_name : "");
	snprintf(b->target, sizeof(b->target), "%s",
	         s->target ? s->target : s->ruri);
	b->max_forwards = s->max_forwards;
	b->ruri = strdup(s->ruri);
	b->to = strdup(s->to);
	b->from = strdup(s->from);
	b->flow = sip_flow_msg(f);
	if (s->sdp.len && (b->sdp = malloc(s->sdp.len))) {
		memcpy(b->sdp, s->sdp.data, s->sdp.len);
		b->sdp_len = s->sdp.len;
	}
	if (!b->ruri || !b->to || !b->from || !b->flow ||
	    (s->sdp.len && !b->sdp))
		return ENOMEM;
	return 0;
}

void
calls_remote_leg_start(rt_actor *a, struct calls *g, const Pbx__Envelope *env)
{
	struct chan_b_arg *b = calloc(1, sizeof(*b));
	const Pbx__CallLegStart *s = env->call_leg_start;
	rt_addr from = env->from ? rt_addr_from_pb(env->from) : (rt_addr){ 0 };
	Pbx__CallLegStarted *st;
	Pbx__Addr *pa;
	rt_addr leg = { 0 };
	rt_msg *m;
	int err = ENOMEM;

	if (!s || from.node == rt_self(a).node || !from.id) {
		chan_b_arg_free(b);
		return; /* only another node's A channel asks */
	}
	if (b && (err = leg_arg(a, g, env, b)) == 0) {
		uint32_t w = rt_worker_of(rt_of(a), b->call, strlen(b->call));

		rt_debug("call %s: leg %u to %s for node %u", b->call, b->leg,
		         b->target, (unsigned)from.node);
		err = rt_spawn(rt_of(a), &channel_b_kind, w, b, &leg);
		if (!err)
			b = NULL; /* the channel's */
	}
	chan_b_arg_free(b);
	if (err)
		rt_info("call %s: leg %u for node %u refused: %s",
		        s->call ? s->call : "?", s->leg, (unsigned)from.node,
		        strerror(err));
	m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_LEG_STARTED, sizeof(*pa), &st);
	if (!m)
		return;
	st->error = err;
	if (!err && (pa = rt_msg_alloc(m, sizeof(*pa)))) {
		pbx__addr__init(pa);
		rt_addr_to_pb(pa, leg);
		st->chan = pa;
	}
	if (rt_reply(a, env, m) != 0)
		rt_msg_free(m);
}
