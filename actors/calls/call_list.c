/*
 * The calls of a whole node, for another node's admin (`pbxctl calls` lists
 * the cluster's calls, `pbxctl hangup` ends one wherever it is): the peer
 * asks the call router of our worker 0 once (CallsList or CallHangup with
 * node_wide), which asks every worker's router, ours too, and answers for
 * all of them. A router that does not answer in time has its calls left
 * out; the asking admin waits a bounded time as well.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "channel_int.h"
#include "log.h"

#define GATHER_TIMEOUT_MS 500

struct gather {
	rt_addr to;    /* the asking admin */
	uint64_t corr; /* its request */
	uint32_t pending;
	bool hangup, found; /* CallHangup: did a router have the call */
	size_t n, cap;
	Pbx__CallInfo **calls; /* deep copies */
};

static void
keep(struct gather *gt, const Pbx__CallsListReply *lr)
{
	for (size_t i = 0; i < lr->n_calls; i++) {
		size_t sz = pbx__call_info__get_packed_size(lr->calls[i]);
		uint8_t *buf;
		Pbx__CallInfo *ci;

		if (gt->n == gt->cap) {
			size_t cap = gt->cap ? gt->cap * 2 : 32;
			Pbx__CallInfo **nc =
			    realloc(gt->calls, cap * sizeof(*nc));

			if (!nc)
				return;
			gt->calls = nc;
			gt->cap = cap;
		}
		if (!(buf = malloc(sz ? sz : 1)))
			return;
		pbx__call_info__pack(lr->calls[i], buf);
		ci = pbx__call_info__unpack(NULL, sz, buf);
		free(buf);
		if (ci)
			gt->calls[gt->n++] = ci;
	}
}

/* A copy of ci inside m (the reply may be handed over without packing). */
static Pbx__CallInfo *
copy_in(rt_msg *m, const Pbx__CallInfo *ci)
{
	Pbx__CallInfo *c = rt_msg_alloc(m, sizeof(*c));

	if (!c)
		return NULL;
	*c = *ci;
	c->id = rt_msg_strdup(m, ci->id);
	c->caller_number = rt_msg_strdup(m, ci->caller_number);
	c->caller_name = rt_msg_strdup(m, ci->caller_name);
	c->destination = rt_msg_strdup(m, ci->destination);
	c->callee = rt_msg_strdup(m, ci->callee);
	c->state = rt_msg_strdup(m, ci->state);
	c->profile = rt_msg_strdup(m, ci->profile);
	c->sip_call_id = rt_msg_strdup(m, ci->sip_call_id);
	return c;
}

static void
finish(rt_actor *a, struct gather *gt)
{
	Pbx__CallsListReply *rep;
	Pbx__CallHangupReply *hr;
	rt_msg *m;

	if (gt->hangup) {
		if ((m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY, 0,
		                    &hr)))
			hr->found = gt->found;
		goto send;
	}
	m = rt_msg_new(PBX__ENVELOPE__BODY_CALLS_LIST_REPLY,
	               gt->n * (sizeof(Pbx__CallInfo) + 600) + 64, &rep);
	if (m &&
	    (rep->calls = rt_msg_alloc(m, (gt->n + 1) * sizeof(*rep->calls)))) {
		for (size_t i = 0; i < gt->n; i++) {
			Pbx__CallInfo *c = copy_in(m, gt->calls[i]);

			if (c)
				rep->calls[rep->n_calls++] = c;
		}
	}
send:
	if (m) {
		rt_msg_env(m)->correlation = gt->corr;
		rt_msg_env(m)->reply = true;
		if (rt_send(a, gt->to, m) != 0)
			rt_msg_free(m);
	}
	for (size_t i = 0; i < gt->n; i++)
		pbx__call_info__free_unpacked(gt->calls[i], NULL);
	free(gt->calls);
	free(gt);
}

static void
got(rt_actor *a, int err, const Pbx__Envelope *reply, void *arg)
{
	struct gather *gt = arg;

	if (err)
		rt_debug("calls list: a router: %s", strerror(err));
	else if (reply->body_case == PBX__ENVELOPE__BODY_CALLS_LIST_REPLY)
		keep(gt, reply->calls_list_reply);
	else if (reply->body_case == PBX__ENVELOPE__BODY_CALL_HANGUP_REPLY)
		gt->found |= reply->call_hangup_reply->found;
	if (--gt->pending == 0)
		finish(a, gt);
}

void
calls_list_node(rt_actor *a, const Pbx__Envelope *env)
{
	struct gather *gt = calloc(1, sizeof(*gt));
	uint32_t nw = rt_workers(rt_of(a));

	if (!gt || !env->from)
		goto fail;
	gt->to = rt_addr_from_pb(env->from);
	gt->corr = env->correlation;
	gt->pending = nw + 1; /* + 1: no answer before every request is out */
	gt->hangup = env->body_case == PBX__ENVELOPE__BODY_CALL_HANGUP;
	for (uint32_t w = 0; w < nw; w++) {
		rt_addr to = { rt_self(a).node, w, SIP_ID_CALLS };
		const Pbx__CallHangup *q = env->call_hangup;
		Pbx__CallHangup *h;
		rt_msg *m;

		if (gt->hangup) {
			m = rt_msg_new(PBX__ENVELOPE__BODY_CALL_HANGUP,
			               (q->id ? strlen(q->id) : 0) + 1, &h);
			if (m) {
				h->id = rt_msg_strdup(m, q->id ? q->id : "");
				h->cause = q->cause;
			}
		} else {
			m = rt_msg_new(PBX__ENVELOPE__BODY_CALLS_LIST, 0, NULL);
		}
		if (!m ||
		    rt_request(a, to, m, GATHER_TIMEOUT_MS, got, gt) != 0) {
			rt_msg_free(m);
			gt->pending--;
		}
	}
	if (--gt->pending == 0)
		finish(a, gt);
	return;
fail:
	free(gt);
}
