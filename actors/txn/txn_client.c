/*
 * The client transaction actor (RFC 3261 §17.1, INVITE and non-INVITE).
 * Its user hands it a request without a top Via; it adds its own, with a
 * branch of 128 random bits that it files under in its worker's table of
 * client transactions, where the SIP core looks every response up. A
 * response must also carry the request's Call-ID and CSeq and come from
 * where the request went (txn_response_check): anything else is dropped,
 * since a branch is all a forger would have to guess. It retransmits on
 * unreliable transports, passes responses to its user, ACKs non-2xx finals of
 * an INVITE itself, and reports a timeout (408) or a transport failure (503)
 * when no response comes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sip_reply.h"
#include "txn.h"
#include "txn_fsm.h"
#include "txn_table.h"

struct txc {
	struct sip_stack *s;
	struct txn_fsm fsm;
	rt_msg *dest; /* a SipPacket: the request as sent, and its flow */
	rt_addr tu;
	struct txn_sent_id id;
	struct txn_table *filed; /* the table our branch is in, or NULL */
	uint64_t timer[TXN_TIMER_COUNT];
	/* CANCEL (§9.1), sent from here so that it has our branch */
	bool cancel_wanted, final_seen;
	char *cancel; /* as sent, for retransmissions */
	size_t cancel_len;
	char *cancel_reason; /* Reason header value, or NULL */
	uint32_t cancel_iv;  /* ms until the next retransmission */
	uint64_t cancel_timer, cancel_deadline;
};

static const Pbx__SipPacket *
sent(struct txc *t)
{
	return rt_msg_env(t->dest)->sip_packet;
}

/* The request with our Via after its request line, whose branch goes in
 * branch (64 bytes). */
static rt_msg *
with_via(struct sip_stack *s, rt_addr self, const struct txn_client_arg *ca,
         char *branch)
{
	const struct sip_listener *l = &s->listen[ca->flow->listener];
	const char *eol = memchr(ca->data, '\n', ca->len);
	static const char *const tp[] = { "UDP", "UDP", "TCP", "TLS" };
	char via[256];
	Pbx__SipPacket *p;
	size_t vl, head;
	rt_msg *m;
	uint8_t *d;

	if (!eol)
		return NULL;
	head = (size_t)(eol - (const char *)ca->data) + 1;
	if (sip_branch_new(branch, 64, self.worker) != 0)
		return NULL;
	vl = (size_t)snprintf(
	    via, sizeof(via),
	    l->ss.ss_family == AF_INET6
	        ? "Via: SIP/2.0/%s [%s]:%u;branch=%s;rport\r\n"
	        : "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n",
	    tp[ca->flow->transport < 4 ? ca->flow->transport : 0], l->host,
	    l->port, branch);
	m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PACKET, ca->len + vl + 160, &p);
	if (!m)
		return NULL;
	d = rt_msg_alloc(m, ca->len + vl);
	memcpy(d, ca->data, head);
	memcpy(d + head, via, vl);
	memcpy(d + head + vl, (const char *)ca->data + head, ca->len - head);
	p->data.data = d;
	p->data.len = ca->len + vl;
	p->flow = sip_flow_copy(m, ca->flow);
	return m;
}

/* ACK for a non-2xx final (§17.1.1.3) and CANCEL (§9.1): same
 * Request-URI, Via, From, Call-ID, CSeq number and Route as the INVITE; the
 * ACK has the To of the response, the CANCEL the INVITE's. */
static int
build_from_invite(struct txc *t, struct sip_buf *b, const char *method,
                  const struct pl *to, const char *reason)
{
	const Pbx__SipPacket *inv = sent(t);
	const struct sip_hdr *h;
	struct sip_msg req;
	int err;

	if (sip_msg_decode(&req, (const char *)inv->data.data, inv->data.len,
	                   &t->s->limits) != 0)
		return EBADMSG;
	struct pl meth = pl_from_str(method);

	err = sip_build_request_line(b, &meth, &req.ruri);
	h = sip_msg_hdr(&req, SIP_HDR_VIA);
	err = err ? err : sip_build_hdr(b, "Via", &h->val);
	for (h = sip_msg_hdr(&req, SIP_HDR_ROUTE); h && !err;
	     h = sip_msg_hdr_next(&req, h))
		err = sip_build_hdr(b, "Route", &h->val);
	h = sip_msg_hdr(&req, SIP_HDR_FROM);
	err = err || !h ? EBADMSG : sip_build_hdr(b, "From", &h->val);
	h = sip_msg_hdr(&req, SIP_HDR_TO);
	err = err || !h ? EBADMSG : sip_build_hdr(b, "To", to ? to : &h->val);
	h = sip_msg_hdr(&req, SIP_HDR_CALL_ID);
	err = err || !h ? EBADMSG : sip_build_hdr(b, "Call-ID", &h->val);
	err = err ? err : sip_build_hdrf(b, "CSeq", "%u %s", req.cseq, method);
	err = err ? err : sip_build_hdrf(b, "Max-Forwards", "70");
	if (reason && *reason && !err)
		err = sip_build_hdrf(b, "Reason", "%s", reason);
	return err ? err : sip_build_end(b, NULL, NULL);
}

static void
send_ack(rt_actor *a, struct txc *t, const Pbx__SipPacket *resp)
{
	struct sip_msg rsp;
	const struct sip_hdr *h;
	struct sip_buf b;
	char out[8192];

	if (sip_msg_decode(&rsp, (const char *)resp->data.data, resp->data.len,
	                   &t->s->limits) != 0 ||
	    !(h = sip_msg_hdr(&rsp, SIP_HDR_TO)))
		return;
	sip_buf_init(&b, out, sizeof(out));
	if (build_from_invite(t, &b, "ACK", &h->val, NULL) == 0)
		sip_send(t->s, a, sent(t)->flow, out, b.pos);
}

static void
tell_tu(rt_actor *a, struct txc *t, const Pbx__SipPacket *p, uint16_t fail)
{
	Pbx__SipResponseIn *r;
	rt_msg *m;

	if (fail) {
		txn_tell_failed(a, t->tu, fail);
		return;
	}
	m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_RESPONSE_IN, p->data.len + 160,
	               &r);
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

/* After a 2xx the INVITE is not sent again (its ACK is the dialog's):
 * keep the flow only, for the 64*T1 the transaction waits. */
static void
keep_flow_only(struct txc *t)
{
	rt_msg *m = sip_flow_msg(sent(t)->flow);

	if (!m)
		return;
	rt_msg_free(t->dest);
	t->dest = m;
}

static void timer_cb(rt_actor *a, void *arg);
static void event(rt_actor *a, struct txc *t, enum txn_ev_type type,
                  uint16_t code, enum txn_timer timer,
                  const Pbx__SipPacket *in);

static void
cancel_resend(rt_actor *a, void *arg)
{
	struct txc *t = rt_state(a);

	t->cancel_timer = 0;
	if (!t->cancel || t->final_seen)
		return;
	sip_send(t->s, a, sent(t)->flow, t->cancel, t->cancel_len);
	t->cancel_iv =
	    2 * t->cancel_iv < t->s->t2 ? 2 * t->cancel_iv : t->s->t2;
	t->cancel_timer = rt_timer_start(a, t->cancel_iv, cancel_resend, NULL);
}

/* No final response 64*T1 after the CANCEL: give up (§9.1). */
static void
cancel_expired(rt_actor *a, void *arg)
{
	struct txc *t = rt_state(a);

	t->cancel_deadline = 0;
	if (!t->final_seen)
		event(a, t, TXN_EV_TRANSPORT_ERROR, 0, 0, NULL);
}

/* A CANCEL goes out once a provisional response has come (§9.1). */
static void
cancel_send(rt_actor *a, struct txc *t)
{
	struct sip_buf b;
	char out[8192];

	if (t->cancel || t->final_seen || t->fsm.state != TXN_PROCEEDING)
		return;
	sip_buf_init(&b, out, sizeof(out));
	if (build_from_invite(t, &b, "CANCEL", NULL, t->cancel_reason) != 0 ||
	    !(t->cancel = malloc(b.pos)))
		return;
	memcpy(t->cancel, out, b.pos);
	t->cancel_len = b.pos;
	t->id.cancel = true; /* its responses match too */
	sip_send(t->s, a, sent(t)->flow, t->cancel, t->cancel_len);
	if (sent(t)->flow->transport == SIP_FLOW_UDP) {
		t->cancel_iv = t->s->t1;
		t->cancel_timer =
		    rt_timer_start(a, t->cancel_iv, cancel_resend, NULL);
	}
	t->cancel_deadline =
	    rt_timer_start(a, 64u * t->s->t1, cancel_expired, NULL);
}

static void
event(rt_actor *a, struct txc *t, enum txn_ev_type type, uint16_t code,
      enum txn_timer timer, const Pbx__SipPacket *in)
{
	struct txn_ev ev = { .type = type, .code = code, .timer = timer };
	struct txn_out o;

	txn_fsm_event(&t->fsm, &ev, &o);
	txn_timers_apply(a, t->timer, &o, timer_cb);
	if (o.send == TXN_SEND_REQUEST)
		sip_send(t->s, a, sent(t)->flow, sent(t)->data.data,
		         sent(t)->data.len);
	else if (o.send == TXN_SEND_ACK && in)
		send_ack(a, t, in);
	if (o.to_tu && in)
		tell_tu(a, t, in, 0);
	if (o.tu_error)
		tell_tu(a, t, NULL, o.tu_error);
	if (o.terminated)
		rt_stop(a, 0);
}

static void
timer_cb(rt_actor *a, void *arg)
{
	struct txc *t = rt_state(a);
	enum txn_timer w = (enum txn_timer)(uintptr_t)arg;

	t->timer[w] = 0;
	event(a, t, TXN_EV_TIMER, 0, w, NULL);
}

/* Know the request, and be found by its branch. */
static int
file_branch(rt_actor *a, struct txc *t, const char *branch)
{
	struct txn_table *tab = t->s->clients[rt_self(a).worker];
	struct sip_msg req;
	int err;

	if (sip_msg_decode(&req, (const char *)sent(t)->data.data,
	                   sent(t)->data.len, &t->s->limits) != 0)
		return EINVAL;
	if (!pl_eq_str(&req.via.branch, branch))
		return EINVAL;
	if ((err = txn_sent_id_init(&t->id, &req)) != 0)
		return err;
	if (!tab)
		return ENOENT; /* no SIP core on this worker */
	if ((err = txn_table_put(tab, branch, strlen(branch), rt_self(a))) != 0)
		return err;
	t->filed = tab;
	return 0;
}

static int
txc_init(rt_actor *a, void *arg)
{
	struct txc *t = rt_state(a);
	struct txn_client_arg *ca = arg;
	bool invite = txn_is_invite(ca->data, ca->len);
	char branch[64];
	int err;

	t->s = ca->s;
	t->tu = ca->tu;
	t->dest = with_via(ca->s, rt_self(a), ca, branch);
	txn_client_arg_free(ca);
	if (!t->dest)
		return EINVAL;
	if ((err = file_branch(a, t, branch)) != 0)
		return err;
	txn_fsm_init(&t->fsm, invite ? TXN_ICT : TXN_NICT,
	             sent(t)->flow->transport != SIP_FLOW_UDP, t->s->t1,
	             t->s->t2, t->s->t4);
	event(a, t, TXN_EV_START, 0, 0, NULL);
	return 0;
}

static void
txc_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct txc *t = rt_state(a);
	const Pbx__SipPacket *p;
	struct sip_msg rsp;
	const char *why;
	uint16_t code;

	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_SIP_PACKET:
		p = env->sip_packet;
		if (sip_msg_decode(&rsp, (const char *)p->data.data,
		                   p->data.len, &t->s->limits) != 0 ||
		    rsp.req)
			break;
		code = rsp.scode;
		if ((why = txn_response_check(&t->id, sent(t)->flow, &rsp,
		                              p->flow)) != NULL) {
			char ft[160];

			atomic_fetch_add_explicit(&t->s->n_bad, 1,
			                          memory_order_relaxed);
			sip_flow_text(ft, sizeof(ft), p->flow);
			SIP_WARN_LIMITED("response %u from %s to a transaction "
			                 "of ours dropped: its %s does not "
			                 "match",
			                 code, ft, why);
			break;
		}
		if (t->cancel && pl_eq_str(&rsp.cseq_method, "CANCEL")) {
			if (code >= 200 && t->cancel_timer) {
				rt_timer_cancel(a, t->cancel_timer);
				t->cancel_timer = 0;
			}
			break;
		}
		if (code >= 200)
			t->final_seen = true;
		event(a, t, TXN_EV_RESPONSE, code, 0, p);
		if (t->fsm.kind == TXN_ICT && code >= 200 && code < 300)
			keep_flow_only(t); /* RFC 6026 Accepted: no resend */
		if (code < 200 && t->cancel_wanted)
			cancel_send(a, t);
		break;
	case PBX__ENVELOPE__BODY_SIP_CANCELLED: /* from our user */
		if (t->fsm.kind != TXN_ICT || t->cancel_wanted)
			break;
		t->cancel_wanted = true;
		if (env->sip_cancelled->data.len)
			t->cancel_reason =
			    strndup((const char *)env->sip_cancelled->data.data,
			            env->sip_cancelled->data.len);
		cancel_send(a, t);
		break;
	case PBX__ENVELOPE__BODY_UNDELIVERABLE:
		if (env->undeliverable->body_case ==
		    PBX__ENVELOPE__BODY_SIP_SEND)
			event(a, t, TXN_EV_TRANSPORT_ERROR, 0, 0, NULL);
		break;
	default:
		break;
	}
}

static void
txc_fini(rt_actor *a, int reason)
{
	struct txc *t = rt_state(a);

	if (t->filed && t->filed == t->s->clients[rt_self(a).worker])
		txn_table_drop(t->filed, rt_self(a));
	txn_sent_id_fini(&t->id);
	rt_msg_free(t->dest);
	free(t->cancel);
	free(t->cancel_reason);
}

const rt_kind txn_client_kind = {
	.name = "txn-client",
	.size = sizeof(struct txc),
	.init = txc_init,
	.handle = txc_handle,
	.fini = txc_fini,
};

struct txn_client_arg *
txn_client_arg_new(struct sip_stack *s, const void *data, size_t len,
                   const Pbx__SipFlow *flow, rt_addr tu)
{
	struct txn_client_arg *a = calloc(1, sizeof(*a) + len);

	if (!a)
		return NULL;
	a->s = s;
	a->tu = tu;
	a->len = len;
	a->data = a->bytes;
	memcpy(a->bytes, data, len);
	a->keep = rt_msg_new(PBX__ENVELOPE__BODY_SIP_PACKET, 160, NULL);
	if (!a->keep) {
		free(a);
		return NULL;
	}
	a->flow = sip_flow_copy(a->keep, flow);
	return a;
}

void
txn_client_arg_free(struct txn_client_arg *a)
{
	if (a) {
		rt_msg_free(a->keep);
		free(a);
	}
}
