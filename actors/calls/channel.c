/*
 * Channels: one actor per leg of a call, as FreeSWITCH users know it, with
 * the states they read in logs (new, routing, execute, ringing, early,
 * answered, hangup) and a Q.850 cause when it ends. Two kinds: the A leg
 * (this file) runs the dialplan (channel_exec.c) and bridges
 * (channel_bridge.c); a B leg (channel_b.c) is one target of a bridge.
 * Each channel owns a dialog actor that speaks SIP; every step of a leg is
 * a call event in the node's log. This file also holds what both kinds
 * share (struct chan_base): states, Leg messages, call events, the dialog.
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
chan_set_state(struct chan_base *b, enum chan_state st)
{
	if (b->st == st)
		return;
	rt_debug("channel %s leg %u: %s -> %s", b->call, b->leg,
	         state_names[b->st], state_names[st]);
	b->st = st;
	if (b->entry)
		b->entry->state = state_names[st];
}

int
chan_tell(rt_actor *a, rt_addr to, Pbx__LegKind kind, uint32_t code,
          uint32_t cause, const uint8_t *sdp, size_t sdp_len, uint64_t id)
{
	Pbx__Leg *l;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_LEG, sdp_len + 64, &l);
	int err;

	if (!m)
		return ENOMEM;
	l->kind = kind;
	l->code = code;
	l->cause = cause;
	l->id = id;
	if (sdp_len) {
		l->sdp.data = rt_msg_memdup(m, sdp, sdp_len);
		l->sdp.len = sdp_len;
	}
	if ((err = rt_send(a, to, m)) != 0)
		rt_msg_free(m);
	return err;
}

int
chan_forward(rt_actor *a, rt_addr to, const Pbx__Leg *l)
{
	Pbx__Leg *q;
	size_t extra = l->sdp.len + l->body.len + 256;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_LEG, extra, &q);
	int err;

	if (!m)
		return ENOMEM;
	q->kind = l->kind;
	q->leg = l->leg;
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
	if ((err = rt_send(a, to, m)) != 0)
		rt_msg_free(m);
	return err;
}

/* --- call events ------------------------------------------------------- */

static void
append(struct chan_base *b, Pbx__Event *ev)
{
	Pbx__Event *evs[1] = { ev };

	if (b->g->store)
		store_append(b->g->store, (rt_addr){ 0 }, 0, evs, 1);
}

void
chan_record_started(struct chan_base *b, const char *destination,
                    const char *context, const char *sip_call_id,
                    const char *network_addr, const char *user)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallStarted s = PBX__CALL_STARTED__INIT;

	s.call = b->call;
	s.leg = b->leg;
	s.caller_number = b->caller_number;
	s.caller_name = b->caller_name;
	s.destination = (char *)destination;
	s.profile = (char *)b->g->cf->profiles[b->profile].name;
	s.context = (char *)context;
	s.sip_call_id = (char *)sip_call_id;
	s.network_addr = (char *)network_addr;
	s.user = (char *)user;
	ev.body_case = PBX__EVENT__BODY_CALL_STARTED;
	ev.call_started = &s;
	append(b, &ev);
}

void
chan_record_ringing(struct chan_base *b, bool early)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallRinging r = PBX__CALL_RINGING__INIT;

	r.call = b->call;
	r.leg = b->leg;
	r.early_media = early;
	ev.body_case = PBX__EVENT__BODY_CALL_RINGING;
	ev.call_ringing = &r;
	append(b, &ev);
}

void
chan_record_answered(struct chan_base *b, const char *callee,
                     uint32_t callee_node)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallAnswered an = PBX__CALL_ANSWERED__INIT;

	b->answered_ms = calls_now_ms();
	if (b->entry)
		b->entry->answered_ms = b->answered_ms;
	an.call = b->call;
	an.leg = b->leg;
	an.callee = (char *)(callee ? callee : "");
	an.callee_node = callee_node;
	ev.body_case = PBX__EVENT__BODY_CALL_ANSWERED;
	ev.call_answered = &an;
	append(b, &ev);
}

void
chan_record_ended(struct chan_base *b, uint32_t cause, uint32_t code,
                  const char *by)
{
	Pbx__Event ev = PBX__EVENT__INIT;
	Pbx__CallEnded e = PBX__CALL_ENDED__INIT;
	const char *name = q850_name(cause);

	e.call = b->call;
	e.leg = b->leg;
	e.cause = cause;
	e.cause_text = (char *)(name ? name : "UNKNOWN");
	e.sip_code = code;
	e.hangup_by = (char *)by;
	ev.body_case = PBX__EVENT__BODY_CALL_ENDED;
	ev.call_ended = &e;
	append(b, &ev);
}

int
chan_spawn_dialog(rt_actor *a, struct chan_base *b, struct dialog_arg *da)
{
	da->s = b->g->s;
	da->cf = b->g->cf;
	da->chan = rt_self(a);
	return rt_spawn(rt_of(a), &dialog_kind, rt_self(a).worker, da,
	                &b->dialog);
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
		return c->base.caller_number;
	if (strcmp(field, "caller_id_name") == 0)
		return c->base.caller_name;
	if (strcmp(field, "network_addr") == 0)
		return c->network_addr;
	if (strcmp(field, "profile") == 0)
		return c->base.g->cf->profiles[c->base.profile].name;
	if (strcmp(field, "context") == 0)
		return c->context;
	if (strcmp(field, "user") == 0)
		return c->user ? c->user->id : "";
	if (strcmp(field, "call_uuid") == 0 || strcmp(field, "uuid") == 0)
		return c->base.call;
	return chan_var(c, field);
}

/* --- the A leg ------------------------------------------------------------ */

void
chan_hangup(rt_actor *a, struct chan *c, uint32_t cause, const char *by)
{
	uint32_t code = 0;

	if (c->base.st == CS_HANGUP)
		return;
	if (!cause)
		cause = Q850_NORMAL_CLEARING;
	if (!c->answered)
		code = q850_to_sip(cause);
	chan_set_state(&c->base, CS_HANGUP);
	rt_info("call %s from %s to %s ended: %s (%u) by %s", c->base.call,
	        c->base.caller_number, c->destination,
	        q850_name(cause) ? q850_name(cause) : "?", cause, by);
	chan_record_ended(&c->base, cause, code, by);
	if (!c->base.dialog_done)
		chan_tell(a, c->base.dialog, PBX__LEG_KIND__LEG_HANGUP, 0,
		          cause, NULL, 0, 0);
	chan_bridge_cancel(a, c, cause);
	rt_stop(a, 0);
}

static int
init_a(rt_actor *a, struct chan *c, struct chan_a_arg *aa)
{
	const Pbx__SipRequest *r = rt_msg_env(aa->req)->sip_request;
	struct dialog_arg *da = calloc(1, sizeof(*da));
	struct sip_msg m;
	int err;

	c->base.profile = aa->profile;
	c->user = aa->user;
	memcpy(c->base.caller_number, aa->caller_number,
	       sizeof(c->base.caller_number));
	memcpy(c->base.caller_name, aa->caller_name,
	       sizeof(c->base.caller_name));
	memcpy(c->destination, aa->destination, sizeof(c->destination));
	memcpy(c->network_addr, aa->network_addr, sizeof(c->network_addr));
	snprintf(c->context, sizeof(c->context), "%s",
	         aa->user && aa->user->context
	             ? aa->user->context
	             : c->base.g->cf->profiles[c->base.profile].context);
	calls_uuid(c->base.call);
	if (sip_msg_decode(&m, (const char *)r->data.data, r->data.len,
	                   &c->base.g->s->limits) == 0) {
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
	c->base.entry = &c->entry;
	c->entry.chan = rt_self(a);
	memcpy(c->entry.id, c->base.call, sizeof(c->entry.id));
	memcpy(c->entry.caller_number, c->base.caller_number,
	       sizeof(c->entry.caller_number));
	memcpy(c->entry.caller_name, c->base.caller_name,
	       sizeof(c->entry.caller_name));
	memcpy(c->entry.destination, c->destination,
	       sizeof(c->entry.destination));
	c->entry.profile = c->base.g->cf->profiles[c->base.profile].name;
	c->entry.started_ms = c->base.started_ms;
	c->entry.state = "new";
	call_list_add(&c->base.g->lists[rt_self(a).worker], &c->entry);
	atomic_fetch_add_explicit(&c->base.g->n_active, 1,
	                          memory_order_relaxed);
	if ((err = c->base.g->media->open(&c->ms)) != 0 || !da) {
		free(da);
		return err ? err : ENOMEM;
	}
	da->req = aa->req;
	aa->req = NULL;
	if ((err = chan_spawn_dialog(a, &c->base, da)) != 0)
		return err;
	chan_record_started(&c->base, c->destination, c->context,
	                    c->entry.sip_call_id, c->network_addr,
	                    c->user ? c->user->id : "");
	chan_route(a, c);
	return 0;
}

static int
chan_init(rt_actor *a, void *arg)
{
	struct chan *c = rt_state(a);
	struct chan_a_arg *aa = arg;
	int err;

	c->base.g = aa->g;
	c->base.started_ms = calls_now_ms();
	err = init_a(a, c, aa);
	rt_msg_free(aa->req);
	free(aa);
	if (err)
		rt_warn("channel start failed: %s", strerror(err));
	return err;
}

/* From our own dialog: the caller's side. */
static void
on_dialog(rt_actor *a, struct chan *c, const Pbx__Leg *l)
{
	switch (l->kind) {
	case PBX__LEG_KIND__LEG_ENDED:
		c->base.dialog_done = true;
		chan_hangup(a, c, l->cause, "caller");
		return;
	case PBX__LEG_KIND__LEG_OFFER:
	case PBX__LEG_KIND__LEG_REQUEST:
		if (!c->bridged) {
			/* nobody to pass it to */
			chan_tell(a, c->base.dialog,
			          l->kind == PBX__LEG_KIND__LEG_OFFER
			              ? PBX__LEG_KIND__LEG_OFFER_RESULT
			              : PBX__LEG_KIND__LEG_REQUEST_RESULT,
			          l->kind == PBX__LEG_KIND__LEG_OFFER ? 488
			                                              : 200,
			          0, NULL, 0, l->id);
			return;
		}
		chan_forward(a, c->base.peer, l);
		return;
	case PBX__LEG_KIND__LEG_OFFER_RESULT:
	case PBX__LEG_KIND__LEG_REQUEST_RESULT:
		if (c->bridged)
			chan_forward(a, c->base.peer, l);
		return;
	default: /* progress and answers come from B legs only */
		return;
	}
}

/* A Leg we sent came back: its channel is gone, a fork that ended (or
 * its node: channel_remote.c). */
static void
on_bounce(rt_actor *a, struct chan *c, const Pbx__Envelope *env)
{
	const Pbx__Undeliverable *u = env->undeliverable;
	rt_addr to = u->to ? rt_addr_from_pb(u->to) : (rt_addr){ 0 };

	if (u->body_case != PBX__ENVELOPE__BODY_LEG ||
	    rt_addr_eq(to, c->base.dialog))
		return;
	chan_bridge_bounce(a, c, to, u->body_case);
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
		chan_bridge_resolved(a, c, env->call_resolved);
		return;
	}
	if (env->body_case != PBX__ENVELOPE__BODY_LEG)
		return;
	if (rt_addr_eq(from, c->base.dialog))
		on_dialog(a, c, env->leg);
	else if (env->leg->kind == PBX__LEG_KIND__LEG_HANGUP)
		chan_hangup(a, c, env->leg->cause, "admin");
	else if (!chan_bridge_leg(a, c, from, env->leg) && c->bridged &&
	         rt_addr_eq(from, c->base.peer))
		chan_forward(a, c->base.dialog, env->leg);
}

static void
chan_fini(rt_actor *a, int reason)
{
	struct chan *c = rt_state(a);

	if (c->entry.chan.id)
		call_list_remove(&c->base.g->lists[rt_self(a).worker],
		                 &c->entry);
	atomic_fetch_sub_explicit(&c->base.g->n_active, 1,
	                          memory_order_relaxed);
	if (c->ms)
		c->base.g->media->close(c->ms);
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
