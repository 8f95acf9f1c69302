/*
 * The server transaction actor (RFC 3261 §17.2, INVITE and non-INVITE).
 * Spawned by the SIP core for a new request, it hands the request to its
 * transaction user, sends the TU's responses along the request's flow,
 * absorbs retransmitted requests by resending the latest response, and
 * stops when the state machine terminates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sip_reply.h"
#include "txn.h"
#include "txn_fsm.h"

struct txs {
	struct sip_stack *s;
	struct txn_fsm fsm;
	rt_msg *req; /* the SipPacket that created us: data and flow */
	rt_addr tu;
	char *resp; /* latest response sent */
	size_t resp_len;
	uint64_t timer[TXN_TIMER_COUNT];
};

static const Pbx__SipPacket *
request(struct txs *t)
{
	return rt_msg_env(t->req)->sip_packet;
}

static void
tell_tu(rt_actor *a, struct txs *t, const Pbx__SipPacket *p)
{
	Pbx__SipRequest *r;
	rt_msg *m =
	    rt_msg_new(PBX__ENVELOPE__BODY_SIP_REQUEST, p->data.len + 160, &r);

	if (!m)
		return;
	r->data.data = rt_msg_memdup(m, p->data.data, p->data.len);
	r->data.len = p->data.len;
	r->flow = sip_flow_copy(m, p->flow);
	r->txn = rt_msg_alloc(m, sizeof(*r->txn));
	pbx__addr__init(r->txn);
	rt_addr_to_pb(r->txn, rt_self(a));
	if (rt_send(a, t->tu, m) != 0)
		rt_msg_free(m);
}

static void
send_100(rt_actor *a, struct txs *t)
{
	const Pbx__SipPacket *p = request(t);
	struct sip_msg msg;
	struct sip_buf b;
	char buf[4096], *out, *heap;
	size_t n = sizeof(buf);

	if (sip_msg_decode(&msg, (const char *)p->data.data, p->data.len,
	                   &t->s->limits) != 0 ||
	    !(out = sip_answer_room(&msg, buf, &n, &heap)))
		return;
	sip_buf_init(&b, out, n);
	if (sip_reply_simple(&b, &msg, p->flow, 100, NULL, NULL) == 0)
		sip_send_response(t->s, a, p->flow, out, b.pos);
	free(heap);
}

/* A completed non-INVITE transaction only resends its response: keep the
 * flow, drop the request (it waits 64*T1, so this is most of its memory). */
static void
keep_flow_only(struct txs *t)
{
	rt_msg *m = sip_flow_msg(request(t)->flow);

	if (!m)
		return;
	rt_msg_free(t->req);
	t->req = m;
}

static void timer_cb(rt_actor *a, void *arg);
static void event(rt_actor *a, struct txs *t, enum txn_ev_type type,
                  uint16_t code, enum txn_timer timer,
                  const Pbx__SipPacket *in);

/* Our user asked to cancel: tell it, with our address. */
static void
tell_cancelled(rt_actor *a, struct txs *t, const Pbx__SipCancelled *c)
{
	Pbx__SipCancelled *q;
	rt_msg *m =
	    rt_msg_new(PBX__ENVELOPE__BODY_SIP_CANCELLED, c->data.len + 64, &q);

	if (!m)
		return;
	q->data.data = rt_msg_memdup(m, c->data.data, c->data.len);
	q->data.len = c->data.len;
	q->txn = rt_msg_alloc(m, sizeof(*q->txn));
	pbx__addr__init(q->txn);
	rt_addr_to_pb(q->txn, rt_self(a));
	if (rt_send(a, t->tu, m) != 0)
		rt_msg_free(m);
}

/* Answer without a user (it is gone): as if it had sent `code`. */
static void
answer_alone(rt_actor *a, struct txs *t, uint16_t code)
{
	const Pbx__SipPacket *p = request(t);
	struct sip_msg msg;
	struct sip_buf b;
	char buf[4096], tag[24], *out, *heap = NULL;
	size_t n = sizeof(buf);
	struct pl totag;

	if (t->fsm.state != TXN_PROCEEDING && t->fsm.state != TXN_TRYING)
		return;
	if (sip_msg_decode(&msg, (const char *)p->data.data, p->data.len,
	                   &t->s->limits) != 0 ||
	    !(out = sip_answer_room(&msg, buf, &n, &heap)))
		goto out;
	sip_make_tag(tag, sizeof(tag), rt_self(a), msg.cseq);
	totag = pl_from_str(tag);
	sip_buf_init(&b, out, n);
	if (sip_reply_simple(&b, &msg, p->flow, code, NULL, &totag) != 0)
		goto out;
	free(t->resp);
	if (!(t->resp = malloc(b.pos)))
		goto out;
	memcpy(t->resp, out, b.pos);
	t->resp_len = b.pos;
	event(a, t, TXN_EV_TU_RESPONSE, code, 0, NULL);
out:
	free(heap);
}

static void
apply(rt_actor *a, struct txs *t, const struct txn_out *o,
      const Pbx__SipPacket *in)
{
	txn_timers_apply(a, t->timer, o, timer_cb);
	if (o->send == TXN_SEND_RESPONSE && t->resp)
		sip_send_response(t->s, a, request(t)->flow, t->resp,
		                  t->resp_len);
	else if (o->send == TXN_SEND_100)
		send_100(a, t);
	if (o->to_tu)
		tell_tu(a, t, in ? in : request(t));
	if (o->tu_error)
		txn_tell_failed(a, t->tu, o->tu_error);
	if (o->terminated)
		rt_stop(a, 0);
}

static void
event(rt_actor *a, struct txs *t, enum txn_ev_type type, uint16_t code,
      enum txn_timer timer, const Pbx__SipPacket *in)
{
	struct txn_ev ev = { .type = type, .code = code, .timer = timer };
	struct txn_out o;

	txn_fsm_event(&t->fsm, &ev, &o);
	apply(a, t, &o, in);
}

static void
timer_cb(rt_actor *a, void *arg)
{
	struct txs *t = rt_state(a);
	enum txn_timer w = (enum txn_timer)(uintptr_t)arg;

	t->timer[w] = 0;
	event(a, t, TXN_EV_TIMER, 0, w, NULL);
}

static int
txs_init(rt_actor *a, void *arg)
{
	struct txs *t = rt_state(a);
	struct txn_server_arg *sa = arg;
	const Pbx__SipPacket *p;

	t->s = sa->s;
	t->req = sa->req;
	t->tu = sa->tu;
	free(sa);
	p = request(t);
	txn_fsm_init(
	    &t->fsm,
	    txn_is_invite(p->data.data, p->data.len) ? TXN_IST : TXN_NIST,
	    p->flow->transport != SIP_FLOW_UDP, t->s->t1, t->s->t2, t->s->t4);
	event(a, t, TXN_EV_START, 0, 0, NULL);
	return 0;
}

static void
txs_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct txs *t = rt_state(a);
	const Pbx__SipPacket *p;
	uint16_t code;

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_PACKET: /* from the core */
		p = env->sip_packet;
		event(a, t,
		      txn_is_ack(p->data.data, p->data.len) ? TXN_EV_ACK
		                                            : TXN_EV_REQUEST,
		      0, 0, p);
		break;
	case PBX__ENVELOPE__BODY_SIP_RESPONSE: /* from the TU */
		code = txn_status_code(env->sip_response->data.data,
		                       env->sip_response->data.len);
		if (!code)
			break;
		if (t->fsm.state == TXN_PROCEEDING ||
		    t->fsm.state == TXN_TRYING ||
		    (t->fsm.state == TXN_ACCEPTED && code >= 200 &&
		     code < 300)) {
			char *c = malloc(env->sip_response->data.len);

			if (!c)
				break;
			memcpy(c, env->sip_response->data.data,
			       env->sip_response->data.len);
			free(t->resp);
			t->resp = c;
			t->resp_len = env->sip_response->data.len;
		}
		event(a, t, TXN_EV_TU_RESPONSE, code, 0, NULL);
		if (t->fsm.kind == TXN_IST && t->fsm.state == TXN_ACCEPTED &&
		    t->resp) {
			/* RFC 6026: it only absorbs retransmissions now (its
			 * user resends the 2xx): the flow is all it needs */
			free(t->resp);
			t->resp = NULL;
			keep_flow_only(t);
		}
		if (code >= 200 && t->fsm.kind == TXN_NIST)
			keep_flow_only(t);
		break;
	case PBX__ENVELOPE__BODY_SIP_TXN_ATTACH: /* a new user */
		if (env->sip_txn_attach->tu)
			t->tu = rt_addr_from_pb(env->sip_txn_attach->tu);
		break;
	case PBX__ENVELOPE__BODY_SIP_CANCELLED: /* from the core */
		if (t->fsm.state == TXN_PROCEEDING)
			tell_cancelled(a, t, env->sip_cancelled);
		break;
	case PBX__ENVELOPE__BODY_UNDELIVERABLE:
		/* our transport (a TCP connection) is gone */
		if (env->undeliverable->body_case ==
		    PBX__ENVELOPE__BODY_SIP_SEND)
			event(a, t, TXN_EV_TRANSPORT_ERROR, 0, 0, NULL);
		/* our user (a dialog) is gone: no such call */
		else if (env->undeliverable->body_case ==
		         PBX__ENVELOPE__BODY_SIP_REQUEST)
			answer_alone(a, t, 481);
		break;
	default:
		break;
	}
}

static void
txs_fini(rt_actor *a, int reason)
{
	struct txs *t = rt_state(a);

	rt_msg_free(t->req);
	free(t->resp);
}

const rt_kind txn_server_kind = {
	.name = "txn-server",
	.size = sizeof(struct txs),
	.init = txs_init,
	.handle = txs_handle,
	.fini = txs_fini,
};
