/*
 * The channel actor: one leg of a call, as FreeSWITCH users know it, with
 * the states they read in logs (new, routing, execute, ringing, early,
 * answered, hangup) and a Q.850 cause when it ends. The A leg runs the
 * dialplan (channel_exec.c) and bridges (channel_bridge.c); a B leg is one
 * target of a bridge. Each channel owns a dialog actor that speaks SIP;
 * every step of a leg is a call event in the node's log.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "dialog.h"
#include "log.h"
#include "q850.h"

static const char *const state_names[] = {
	"new", "routing", "execute", "ringing", "early", "answered", "hangup",
};

void
chan_set_state(struct chan *c, enum chan_state st)
{
	if (c->st == st)
		return;
	rt_debug("channel %s leg %u: %s -> %s", c->call, c->leg,
	         state_names[c->st], state_names[st]);
	c->st = st;
	if (c->a_leg)
		c->entry.state = state_names[st];
}

void
chan_tell(rt_actor *a, rt_addr to, Pbx__LegKind kind, uint32_t code,
          uint32_t cause, const uint8_t *sdp, size_t sdp_len, uint64_t id)
{
	Pbx__Leg *l;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_LEG, sdp_len + 64, &l);

	if (!m)
		return;
	l->kind = kind;
	l->code = code;
	l->cause = cause;
	l->id = id;
	if (sdp_len) {
		l->sdp.data = rt_msg_memdup(m, sdp, sdp_len);
		l->sdp.len = sdp_len;
	}
	if (rt_send(a, to, m) != 0)
		rt_msg_free(m);
}

void
chan_forward(rt_actor *a, rt_addr to, const Pbx__Leg *l)
{
	Pbx__Leg *q;
	size_t extra = l->sdp.len + l->body.len + 256;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_LEG, extra, &q);

	if (!m)
		return;
	q->kind = l->kind;
	q->code = l->code;
	q->cause = l->cause;
	q->id = l->id;
	if (l->reason)
		q->reason = rt_msg_strdup(m, l->reason);
	if (l->method)
		q->method = rt_msg_strdup(m, l->method);
	if (l->content_type)
		q->content_type = rt_msg_strdup(m, l->content_type);
	q->sdp.data = rt_msg_memdup(m, l->sdp.data, l->sdp.len);
	q->sdp.len = l->sdp.len;
	q->body.data = rt_msg_memdup(m, l->body.data, l->body.len);
	q->body.len = l->body.len;
	if (rt_send(a, to, m) != 0)
		rt_msg_free(m);
}

/* --- call events ------------------------------------------------------- */

static void
append(struct chan *c, Pbx__Event *ev)
{
	Pbx__Event *evs[1] = { ev };

	if (c->g->store)
		store_append(c->g->store, (rt_addr){ 0 }, 0, evs, 1);
}

static void
record_started(struct chan *c)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallStarted s = PBX__CALL_STARTED__INIT;

	s.call = c->call;
	s.leg = c->leg;
	s.caller_number = c->caller_number;
	s.caller_name = c->caller_name;
	s.destination = c->a_leg ? c->destination : c->target;
	s.profile = (char *)c->g->cf->profiles[c->profile].name;
	s.context = c->context;
	s.sip_call_id = c->a_leg ? c->entry.sip_call_id : "";
	s.network_addr = c->a_leg ? c->network_addr : c->target;
	s.user = c->user ? c->user->id : "";
	ev.body_case = PBX__EVENT__BODY_CALL_STARTED;
	ev.call_started = &s;
	append(c, &ev);
}

void
chan_record_ringing(struct chan *c, bool early)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallRinging r = PBX__CALL_RINGING__INIT;

	r.call = c->call;
	r.leg = c->leg;
	r.early_media = early;
	ev.body_case = PBX__EVENT__BODY_CALL_RINGING;
	ev.call_ringing = &r;
	append(c, &ev);
}

void
chan_record_answered(struct chan *c, const char *callee)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallAnswered an = PBX__CALL_ANSWERED__INIT;

	c->answered_ms = calls_now_ms();
	if (c->a_leg)
		c->entry.answered_ms = c->answered_ms;
	an.call = c->call;
	an.leg = c->leg;
	an.callee = (char *)(callee ? callee : "");
	ev.body_case = PBX__EVENT__BODY_CALL_ANSWERED;
	ev.call_answered = &an;
	append(c, &ev);
}

static void
record_ended(struct chan *c, uint32_t cause, uint32_t code, const char *by)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallEnded e = PBX__CALL_ENDED__INIT;
	const char *name = q850_name(cause);

	e.call = c->call;
	e.leg = c->leg;
	e.cause = cause;
	e.cause_text = (char *)(name ? name : "UNKNOWN");
	e.sip_code = code;
	e.hangup_by = (char *)by;
	ev.body_case = PBX__EVENT__BODY_CALL_ENDED;
	ev.call_ended = &e;
	append(c, &ev);
}

/* --- variables and dialplan fields ------------------------------------- */

const char *
chan_var(const struct chan *c, const char *name)
{
	for (size_t i = 0; i < c->n_vars; i++)
		if (strcmp(c->vars[i].name, name) == 0)
			return c->vars[i].value;
	if (c->user)
		for (size_t i = 0; i < c->user->var_count; i++)
			if (strcmp(c->user->vars[i].name, name) == 0)
				return c->user->vars[i].value;
	return NULL;
}

int
chan_var_set(struct chan *c, const char *name, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return ENOMEM;
	for (size_t i = 0; i < c->n_vars; i++)
		if (strcmp(c->vars[i].name, name) == 0) {
			free(c->vars[i].value);
			c->vars[i].value = v;
			return 0;
		}
	if (c->n_vars == CHAN_MAX_VARS ||
	    !(c->vars[c->n_vars].name = strdup(name))) {
		free(v);
		return ENOSPC;
	}
	c->vars[c->n_vars++].value = v;
	return 0;
}

const char *
chan_field(void *arg, const char *field)
{
	struct chan *c = arg;

	if (strcmp(field, "destination_number") == 0)
		return c->destination;
	if (strcmp(field, "caller_id_number") == 0)
		return c->caller_number;
	if (strcmp(field, "caller_id_name") == 0)
		return c->caller_name;
	if (strcmp(field, "network_addr") == 0)
		return c->network_addr;
	if (strcmp(field, "profile") == 0)
		return c->g->cf->profiles[c->profile].name;
	if (strcmp(field, "context") == 0)
		return c->context;
	if (strcmp(field, "user") == 0)
		return c->user ? c->user->id : "";
	if (strcmp(field, "call_uuid") == 0 || strcmp(field, "uuid") == 0)
		return c->call;
	return chan_var(c, field);
}

/* --- hangup ------------------------------------------------------------- */

void
chan_hangup(rt_actor *a, struct chan *c, uint32_t cause, const char *by)
{
	uint32_t code = 0;

	if (c->st == CS_HANGUP)
		return;
	if (!cause)
		cause = Q850_NORMAL_CLEARING;
	if (c->a_leg && !c->answered)
		code = q850_to_sip(cause);
	chan_set_state(c, CS_HANGUP);
	if (c->a_leg)
		rt_info("call %s from %s to %s ended: %s (%u) by %s", c->call,
		        c->caller_number, c->destination,
		        q850_name(cause) ? q850_name(cause) : "?", cause, by);
	else
		rt_debug("call %s leg %u ended: %u by %s", c->call, c->leg,
		         cause, by);
	record_ended(c, cause, code, by);
	if (!c->dialog_done)
		chan_tell(a, c->dialog, PBX__LEG_KIND__LEG_HANGUP, 0, cause,
		          NULL, 0, 0);
	if (c->a_leg)
		chan_bridge_cancel(a, c, cause);
	else if (!c->peer_done) {
		/* the A leg hears of it from us */
		chan_tell(a, c->peer, PBX__LEG_KIND__LEG_ENDED, 0, cause, NULL,
		          0, 0);
	}
	rt_stop(a, 0);
}

/* --- the actor --------------------------------------------------------- */

static int
spawn_dialog(rt_actor *a, struct chan *c, struct dialog_arg *da)
{
	int err;

	da->s = c->g->s;
	da->cf = c->g->cf;
	da->chan = rt_self(a);
	err =
	    rt_spawn(rt_of(a), &dialog_kind, rt_self(a).worker, da, &c->dialog);
	return err;
}

static int
init_a(rt_actor *a, struct chan *c, struct chan_a_arg *aa)
{
	const Pbx__SipRequest *r = rt_msg_env(aa->req)->sip_request;
	struct dialog_arg *da = calloc(1, sizeof(*da));
	struct sip_msg m;
	int err;

	c->a_leg = true;
	c->profile = aa->profile;
	c->user = aa->user;
	memcpy(c->caller_number, aa->caller_number, sizeof(c->caller_number));
	memcpy(c->caller_name, aa->caller_name, sizeof(c->caller_name));
	memcpy(c->destination, aa->destination, sizeof(c->destination));
	memcpy(c->network_addr, aa->network_addr, sizeof(c->network_addr));
	snprintf(c->context, sizeof(c->context), "%s",
	         aa->user && aa->user->context
	             ? aa->user->context
	             : c->g->cf->profiles[c->profile].context);
	calls_uuid(c->call);
	if (sip_msg_decode(&m, (const char *)r->data.data, r->data.len,
	                   &c->g->s->limits) == 0) {
		snprintf(c->entry.sip_call_id, sizeof(c->entry.sip_call_id),
		         "%.*s", PL_ARG(m.callid));
		c->max_forwards =
		    m.max_forwards >= 0 ? (uint32_t)m.max_forwards : 70;
		if (m.body.l && (c->offer = malloc(m.body.l))) {
			memcpy(c->offer, m.body.p, m.body.l);
			c->offer_len = m.body.l;
		}
	}
	c->aflow = sip_flow_msg(r->flow);
	c->entry.chan = rt_self(a);
	memcpy(c->entry.id, c->call, sizeof(c->entry.id));
	memcpy(c->entry.caller_number, c->caller_number,
	       sizeof(c->entry.caller_number));
	memcpy(c->entry.caller_name, c->caller_name,
	       sizeof(c->entry.caller_name));
	memcpy(c->entry.destination, c->destination,
	       sizeof(c->entry.destination));
	c->entry.profile = c->g->cf->profiles[c->profile].name;
	c->entry.started_ms = c->started_ms;
	c->entry.state = "new";
	call_list_add(&c->g->lists[rt_self(a).worker], &c->entry);
	atomic_fetch_add_explicit(&c->g->n_active, 1, memory_order_relaxed);
	if ((err = c->g->media->open(&c->ms)) != 0 || !da) {
		free(da);
		return err ? err : ENOMEM;
	}
	da->req = aa->req;
	aa->req = NULL;
	if ((err = spawn_dialog(a, c, da)) != 0)
		return err;
	record_started(c);
	chan_route(a, c);
	return 0;
}

static void
b_timeout(rt_actor *a, void *arg)
{
	struct chan *c = rt_state(a);

	c->timeout_timer = 0;
	if (c->st != CS_ANSWERED)
		chan_hangup(a, c, Q850_NO_ANSWER, "pbx");
}

static int
init_b(rt_actor *a, struct chan *c, struct chan_b_arg *ba)
{
	struct dialog_arg *da = calloc(1, sizeof(*da));
	const Pbx__SipFlow *f = rt_msg_env(ba->flow)->sip_packet->flow;
	const char *host;
	int err;

	c->peer = ba->a_chan;
	memcpy(c->call, ba->call, sizeof(c->call));
	c->leg = ba->leg;
	c->timeout_s = ba->timeout_s;
	c->profile = ba->profile;
	snprintf(c->target, sizeof(c->target), "%s", ba->target);
	snprintf(c->caller_number, sizeof(c->caller_number), "%s",
	         ba->caller_number);
	snprintf(c->caller_name, sizeof(c->caller_name), "%s", ba->caller_name);
	if (!da)
		return ENOMEM;
	host = c->g->s->listen[f->listener].host;
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
	record_started(c);
	if ((err = spawn_dialog(a, c, da)) != 0)
		return err;
	if (c->timeout_s)
		c->timeout_timer =
		    rt_timer_start(a, c->timeout_s * 1000ull, b_timeout, NULL);
	return 0;
}

static int
chan_init(rt_actor *a, void *arg)
{
	struct chan *c = rt_state(a);
	struct chan_a_arg *aa = arg;
	int err;

	c->g = aa->g; /* both kinds of argument start with it */
	c->started_ms = calls_now_ms();
	if (aa->a_leg) {
		err = init_a(a, c, aa);
		rt_msg_free(aa->req);
		free(aa);
	} else {
		struct chan_b_arg *ba = arg;

		err = init_b(a, c, ba);
		chan_b_arg_free(ba);
	}
	if (err)
		rt_warn("channel start failed: %s", strerror(err));
	return err;
}

/* From our own dialog. */
static void
on_dialog(rt_actor *a, struct chan *c, const Pbx__Leg *l)
{
	switch (l->kind) {
	case PBX__LEG_KIND__LEG_ENDED:
		c->dialog_done = true;
		chan_hangup(a, c, l->cause, c->a_leg ? "caller" : "callee");
		return;
	case PBX__LEG_KIND__LEG_PROGRESS:
		if (!c->a_leg) {
			if (c->st < CS_RINGING)
				chan_record_ringing(c, l->sdp.len > 0);
			chan_set_state(c, l->sdp.len ? CS_EARLY : CS_RINGING);
			chan_forward(a, c->peer, l);
		}
		return;
	case PBX__LEG_KIND__LEG_ANSWERED:
		if (!c->a_leg) {
			if (c->timeout_timer)
				rt_timer_cancel(a, c->timeout_timer);
			c->timeout_timer = 0;
			chan_set_state(c, CS_ANSWERED);
			chan_record_answered(c, c->target);
			chan_forward(a, c->peer, l);
		}
		return;
	case PBX__LEG_KIND__LEG_OFFER:
	case PBX__LEG_KIND__LEG_REQUEST:
		if (c->a_leg && !c->bridged) {
			/* nobody to pass it to */
			chan_tell(a, c->dialog,
			          l->kind == PBX__LEG_KIND__LEG_OFFER
			              ? PBX__LEG_KIND__LEG_OFFER_RESULT
			              : PBX__LEG_KIND__LEG_REQUEST_RESULT,
			          l->kind == PBX__LEG_KIND__LEG_OFFER ? 488
			                                              : 200,
			          0, NULL, 0, l->id);
			return;
		}
		chan_forward(a, c->peer, l);
		return;
	case PBX__LEG_KIND__LEG_OFFER_RESULT:
	case PBX__LEG_KIND__LEG_REQUEST_RESULT:
		if (!c->a_leg || c->bridged)
			chan_forward(a, c->peer, l);
		return;
	default:
		return;
	}
}

/* A B leg, from the A leg. */
static void
on_a_leg(rt_actor *a, struct chan *c, const Pbx__Leg *l)
{
	if (l->kind == PBX__LEG_KIND__LEG_HANGUP) {
		/* a fork that lost keeps its code: 200 = answered elsewhere */
		if (l->code == 200 && c->st < CS_ANSWERED && !c->dialog_done) {
			chan_forward(a, c->dialog, l);
			c->dialog_done = true;
		}
		c->peer_done = true; /* the A leg ends us: nothing to tell it */
		chan_hangup(a, c, l->cause, "pbx");
		return;
	}
	chan_forward(a, c->dialog, l);
}

/* A Leg we sent came back: its channel is gone. For a B leg that is the
 * A leg (the call is over); for the A leg, a fork that ended. */
static void
on_bounce(rt_actor *a, struct chan *c, const Pbx__Envelope *env)
{
	const Pbx__Undeliverable *u = env->undeliverable;
	rt_addr to = u->to ? rt_addr_from_pb(u->to) : (rt_addr){ 0 };
	Pbx__Leg gone = PBX__LEG__INIT;

	if (u->body_case != PBX__ENVELOPE__BODY_LEG ||
	    rt_addr_eq(to, c->dialog))
		return;
	if (!c->a_leg) {
		if (rt_addr_eq(to, c->peer)) {
			c->peer_done = true;
			chan_hangup(a, c, Q850_NORMAL_CLEARING, "pbx");
		}
		return;
	}
	gone.kind = PBX__LEG_KIND__LEG_ENDED;
	gone.cause = Q850_NORMAL_TEMPORARY_FAILURE;
	chan_bridge_leg(a, c, to, &gone);
}

static void
chan_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct chan *c = rt_state(a);
	rt_addr from = env->from ? rt_addr_from_pb(env->from) : (rt_addr){ 0 };

	if (env->body_case == PBX__ENVELOPE__BODY_UNDELIVERABLE) {
		on_bounce(a, c, env);
		return;
	}
	if (env->body_case == PBX__ENVELOPE__BODY_CALL_RESOLVED) {
		if (c->a_leg)
			chan_bridge_resolved(a, c, env->call_resolved);
		return;
	}
	if (env->body_case != PBX__ENVELOPE__BODY_LEG)
		return;
	if (rt_addr_eq(from, c->dialog))
		on_dialog(a, c, env->leg);
	else if (!c->a_leg)
		on_a_leg(a, c, env->leg);
	else if (env->leg->kind == PBX__LEG_KIND__LEG_HANGUP)
		chan_hangup(a, c, env->leg->cause, "admin");
	else if (!chan_bridge_leg(a, c, from, env->leg) && c->bridged &&
	         rt_addr_eq(from, c->peer))
		chan_forward(a, c->dialog, env->leg);
}

static void
chan_fini(rt_actor *a, int reason)
{
	struct chan *c = rt_state(a);

	if (!c->a_leg)
		return; /* nothing else is in a B leg's state */
	if (c->entry.chan.id)
		call_list_remove(&c->g->lists[rt_self(a).worker], &c->entry);
	atomic_fetch_sub_explicit(&c->g->n_active, 1, memory_order_relaxed);
	if (c->ms)
		c->g->media->close(c->ms);
	for (size_t i = 0; i < c->n_vars; i++) {
		free(c->vars[i].name);
		free(c->vars[i].value);
	}
	free(c->offer);
	rt_msg_free(c->aflow);
	dp_actions_free(&c->acts);
	if (c->br_live)
		dp_bridge_free(&c->br);
}

const rt_kind channel_kind = {
	.name = "channel",
	.size = sizeof(struct chan),
	.init = chan_init,
	.handle = chan_handle,
	.fini = chan_fini,
};

/* A B leg never touches the A leg's part of the state: it is not there. */
const rt_kind channel_b_kind = {
	.name = "channel",
	.size = offsetof(struct chan, entry),
	.init = chan_init,
	.handle = chan_handle,
	.fini = chan_fini,
};
