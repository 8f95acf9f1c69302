/*
 * The B-leg channel: one target of the A leg's bridge (channel_bridge.c
 * spawns one per destination). It sends the INVITE through its own UAC
 * dialog, relays what the callee does (ringing, early media, the answer)
 * to the A leg, passes offers and requests between the legs once
 * answered, and ends when either side does. It rings at most timeout_s
 * seconds (NO_ANSWER). Its state is its own: what the A leg keeps
 * (dialplan, forks, call entry, media) is not in it.
 *
 * It may run on another node than its A leg (the one holding the callee's
 * flow, channel_remote.c): then it says LEG_ALIVE to the A leg every
 * second, and hangs its SIP side up (CANCEL or BYE, NETWORK_OUT_OF_ORDER)
 * when the A leg cannot be sent to or has been silent for 4 s: the
 * caller's node died, and the callee must not stay in a call nobody hears.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "dialog.h"
#include "log.h"
#include "q850.h"

struct chan_b {
	struct chan_base base; /* base.peer: the A leg */
	bool peer_done;        /* the A leg is over (it ended us, or is gone) */
	char target[160];      /* for records: "user/1001" or the URI */
	uint32_t timeout_s;
	uint64_t timeout_timer;
	bool remote;       /* the A leg is on another node */
	uint64_t heard_ms; /* remote: when the A leg last said anything */
};

/* To the A leg: with our leg number, by which an A leg on another node
 * knows us before it learns our address. */
static int
to_a(rt_actor *a, struct chan_b *c, const Pbx__Leg *l)
{
	Pbx__Leg x = *l;

	x.leg = c->base.leg;
	return chan_forward(a, c->base.peer, &x);
}

/* End the leg: record, hang up its dialog, tell the A leg, stop. */
static void
b_hangup(rt_actor *a, struct chan_b *c, uint32_t cause, const char *by)
{
	if (c->base.st == CS_HANGUP)
		return;
	if (!cause)
		cause = Q850_NORMAL_CLEARING;
	chan_set_state(&c->base, CS_HANGUP);
	rt_debug("call %s leg %u ended: %u by %s", c->base.call, c->base.leg,
	         cause, by);
	chan_record_ended(&c->base, cause, 0, by);
	if (!c->base.dialog_done)
		chan_tell(a, c->base.dialog, PBX__LEG_KIND__LEG_HANGUP, 0,
		          cause, NULL, 0, 0);
	if (!c->peer_done) { /* the A leg hears of it from us */
		Pbx__Leg l = PBX__LEG__INIT;

		l.kind = PBX__LEG_KIND__LEG_ENDED;
		l.cause = cause;
		to_a(a, c, &l);
	}
	rt_stop(a, 0);
}

/* The A leg is on another node: alive, or gone with its node. */
static void
b_alive(rt_actor *a, void *arg)
{
	struct chan_b *c = rt_state(a);
	Pbx__Leg l = PBX__LEG__INIT;
	const char *why = NULL;

	(void)arg;
	l.kind = PBX__LEG_KIND__LEG_ALIVE;
	if (calls_now_ms() - c->heard_ms > CALLS_SILENT_MS)
		why = "silent";
	else if (to_a(a, c, &l) != 0)
		why = "link down";
	if (why) {
		rt_info("call %s leg %u: the A leg on node %u is gone (%s)",
		        c->base.call, c->base.leg, (unsigned)c->base.peer.node,
		        why);
		c->peer_done = true;
		b_hangup(a, c, Q850_NETWORK_OUT_OF_ORDER, "pbx");
		return;
	}
	rt_timer_start(a, CALLS_ALIVE_MS, b_alive, NULL);
}

static void
b_timeout(rt_actor *a, void *arg)
{
	struct chan_b *c = rt_state(a);

	c->timeout_timer = 0;
	if (c->base.st != CS_ANSWERED)
		b_hangup(a, c, Q850_NO_ANSWER, "pbx");
}

static int
init_b(rt_actor *a, struct chan_b *c, struct chan_b_arg *ba)
{
	struct dialog_arg *da = calloc(1, sizeof(*da));
	const Pbx__SipFlow *f = rt_msg_env(ba->flow)->sip_packet->flow;
	const char *host;
	int err;

	c->base.peer = ba->a_chan;
	memcpy(c->base.call, ba->call, sizeof(c->base.call));
	c->base.leg = ba->leg;
	c->timeout_s = ba->timeout_s;
	c->base.profile = ba->profile;
	snprintf(c->target, sizeof(c->target), "%s", ba->target);
	snprintf(c->base.caller_number, sizeof(c->base.caller_number), "%s",
	         ba->caller_number);
	snprintf(c->base.caller_name, sizeof(c->base.caller_name), "%s",
	         ba->caller_name);
	if (!da)
		return ENOMEM;
	host = c->base.g->s->listen[f->listener].host;
	calls_make_call_id(rt_of(a), rt_self(a).worker, host, da->call_id,
	                   sizeof(da->call_id));
	da->uac = true;
	da->ruri = ba->ruri;
	da->to = ba->to;
	da->from = ba->from;
	da->flow = ba->flow;
	da->sdp = ba->sdp;
	da->sdp_len = ba->sdp_len;
	da->max_forwards = ba->max_forwards;
	ba->ruri = ba->to = ba->from = NULL;
	ba->flow = NULL;
	ba->sdp = NULL;
	/* a B leg has no context nor Call-ID of its own to record */
	chan_record_started(&c->base, c->target, "", "", c->target, "");
	if ((err = chan_spawn_dialog(a, &c->base, da)) != 0)
		return err;
	if (c->timeout_s)
		c->timeout_timer =
		    rt_timer_start(a, c->timeout_s * 1000ull, b_timeout, NULL);
	if ((c->remote = c->base.peer.node != rt_self(a).node)) {
		c->heard_ms = calls_now_ms();
		rt_timer_start(a, CALLS_ALIVE_MS, b_alive, NULL);
	}
	return 0;
}

static int
chan_b_init(rt_actor *a, void *arg)
{
	struct chan_b *c = rt_state(a);
	struct chan_b_arg *ba = arg;
	int err;

	c->base.g = ba->g;
	c->base.started_ms = calls_now_ms();
	err = init_b(a, c, ba);
	chan_b_arg_free(ba);
	if (err)
		rt_warn("channel start failed: %s", strerror(err));
	return err;
}

/* From our own dialog: the callee's side. */
static void
on_dialog(rt_actor *a, struct chan_b *c, const Pbx__Leg *l)
{
	switch (l->kind) {
	case PBX__LEG_KIND__LEG_ENDED:
		c->base.dialog_done = true;
		b_hangup(a, c, l->cause, "callee");
		return;
	case PBX__LEG_KIND__LEG_PROGRESS:
		if (c->base.st < CS_RINGING)
			chan_record_ringing(&c->base, l->sdp.len > 0);
		chan_set_state(&c->base, l->sdp.len ? CS_EARLY : CS_RINGING);
		to_a(a, c, l);
		return;
	case PBX__LEG_KIND__LEG_ANSWERED:
		if (c->timeout_timer)
			rt_timer_cancel(a, c->timeout_timer);
		c->timeout_timer = 0;
		chan_set_state(&c->base, CS_ANSWERED);
		chan_record_answered(&c->base, c->target, 0);
		to_a(a, c, l);
		return;
	case PBX__LEG_KIND__LEG_OFFER:
	case PBX__LEG_KIND__LEG_REQUEST:
	case PBX__LEG_KIND__LEG_OFFER_RESULT:
	case PBX__LEG_KIND__LEG_REQUEST_RESULT:
		to_a(a, c, l);
		return;
	default:
		return;
	}
}

/* From the A leg. */
static void
on_a_leg(rt_actor *a, struct chan_b *c, const Pbx__Leg *l)
{
	c->heard_ms = calls_now_ms();
	if (l->kind == PBX__LEG_KIND__LEG_ALIVE)
		return;
	if (l->kind == PBX__LEG_KIND__LEG_HANGUP) {
		/* a fork that lost keeps its code: 200 = answered elsewhere */
		if (l->code == 200 && c->base.st < CS_ANSWERED &&
		    !c->base.dialog_done) {
			chan_forward(a, c->base.dialog, l);
			c->base.dialog_done = true;
		}
		c->peer_done = true; /* the A leg ends us: nothing to tell it */
		b_hangup(a, c, l->cause, "pbx");
		return;
	}
	chan_forward(a, c->base.dialog, l);
}

/* A Leg we sent came back: if it was to the A leg, the call is over. */
static void
on_bounce(rt_actor *a, struct chan_b *c, const Pbx__Envelope *env)
{
	const Pbx__Undeliverable *u = env->undeliverable;
	rt_addr to = u->to ? rt_addr_from_pb(u->to) : (rt_addr){ 0 };

	if (u->body_case == PBX__ENVELOPE__BODY_LEG &&
	    rt_addr_eq(to, c->base.peer)) {
		c->peer_done = true;
		b_hangup(a, c, Q850_NORMAL_CLEARING, "pbx");
	}
}

static void
chan_b_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct chan_b *c = rt_state(a);
	rt_addr from = env->from ? rt_addr_from_pb(env->from) : (rt_addr){ 0 };

	if (env->body_case == PBX__ENVELOPE__BODY_UNDELIVERABLE) {
		on_bounce(a, c, env);
		return;
	}
	if (env->body_case != PBX__ENVELOPE__BODY_LEG)
		return;
	if (rt_addr_eq(from, c->base.dialog))
		on_dialog(a, c, env->leg);
	else
		on_a_leg(a, c, env->leg);
}

const rt_kind channel_b_kind = {
	.name = "channel",
	.size = sizeof(struct chan_b),
	.init = chan_b_init,
	.handle = chan_b_handle,
};
