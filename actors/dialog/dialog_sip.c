/*
 * The SIP side of the dialog actor (dialog.c): requests from the peer,
 * responses to what the dialog sent, 2xx retransmission until the ACK
 * (UAS), the ACK of a 2xx (UAC), the session timer (RFC 4028).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog_int.h"
#include "log.h"
#include "q850.h"
#include "sip_reply.h"
#include "txn.h"

void
dlg_end(rt_actor *a, struct dlg *d)
{
	rt_stop(a, 0);
}

/* The leg is over from the peer's side or the network's: tell the
 * channel once, then go. */
void
dlg_ended(rt_actor *a, struct dlg *d, uint32_t cause, uint32_t code,
          const char *reason)
{
	if (!d->hangup_asked)
		dlg_tell(a, d, PBX__LEG_KIND__LEG_ENDED, code, reason, cause,
		         NULL, 0, 0);
	d->hangup_asked = true;
	dlg_end(a, d);
}

void
dlg_set_sdp(uint8_t **p, size_t *l, const uint8_t *sdp, size_t len)
{
	uint8_t *c;

	if (!len || !(c = malloc(len)))
		return;
	memcpy(c, sdp, len);
	free(*p);
	*p = c;
	*l = len;
}

int
dlg_send_bye(rt_actor *a, struct dlg *d, uint32_t cause)
{
	char extra[160], reason[128];
	struct dlg_out *o = NULL;
	rt_addr txn;

	for (size_t i = 0; i < DLG_MAX_OUT && !o; i++)
		if (!d->out[i].kind)
			o = &d->out[i];
	dlg_reason(reason, sizeof(reason), cause);
	snprintf(extra, sizeof(extra), "Reason: %s\r\n", reason);
	if (!o || dlg_send_request(a, d, "BYE", ++d->lcseq, extra, NULL, NULL,
	                           0, &txn) != 0)
		return EIO;
	*o = (struct dlg_out){ .txn = txn, .kind = OUT_BYE, .cseq = d->lcseq };
	d->st = DLG_ENDING;
	return 0;
}

struct dlg_out *
dlg_out_new(struct dlg *d)
{
	for (size_t i = 0; i < DLG_MAX_OUT; i++)
		if (!d->out[i].kind)
			return &d->out[i];
	return NULL;
}

static struct dlg_out *
out_find(struct dlg *d, rt_addr txn)
{
	for (size_t i = 0; i < DLG_MAX_OUT; i++)
		if (d->out[i].kind && rt_addr_eq(d->out[i].txn, txn))
			return &d->out[i];
	return NULL;
}

bool
dlg_offer_out_pending(const struct dlg *d)
{
	for (size_t i = 0; i < DLG_MAX_OUT; i++)
		if (d->out[i].kind == OUT_OFFER ||
		    d->out[i].kind == OUT_REFRESH)
			return true;
	return false;
}

bool
dlg_offer_in_pending(const struct dlg *d)
{
	for (size_t i = 0; i < DLG_MAX_IN; i++)
		if (d->in[i].req && d->in[i].offer)
			return true;
	return false;
}

/* --- 2xx retransmission (UAS) ------------------------------------------ */

void
dlg_ok_stop(rt_actor *a, struct dlg *d)
{
	if (d->ok_timer)
		rt_timer_cancel(a, d->ok_timer);
	d->ok_timer = 0;
	free(d->ok);
	d->ok = NULL;
}

static void
ok_resend(rt_actor *a, void *arg)
{
	struct dlg *d = rt_state(a);

	d->ok_timer = 0;
	if (!d->ok)
		return;
	if (d->ok_spent >= 64 * d->s->t1) {
		/* §13.3.1.4: no ACK came; the session is over */
		dlg_ok_stop(a, d);
		rt_warn("no ACK for our 2xx (Call-ID %s): ending", d->call_id);
		if (d->st == DLG_CONFIRMED)
			dlg_send_bye(a, d, Q850_RECOVERY_ON_TIMER_EXPIRE);
		dlg_ended(a, d, Q850_RECOVERY_ON_TIMER_EXPIRE, 408, "No ACK");
		return;
	}
	sip_send_response(d->s, a, dlg_flow(d), d->ok, d->ok_len);
	d->ok_spent += d->ok_iv;
	d->ok_iv = 2 * d->ok_iv < d->s->t2 ? 2 * d->ok_iv : d->s->t2;
	d->ok_timer = rt_timer_start(a, d->ok_iv, ok_resend, NULL);
}

void
dlg_ok_start(rt_actor *a, struct dlg *d)
{
	d->ok_iv = d->s->t1;
	d->ok_spent = 0;
	/* reliable transports carry it once, but the ACK is still awaited */
	if (d->ok_timer)
		rt_timer_cancel(a, d->ok_timer);
	d->ok_timer = rt_timer_start(a, d->ok_iv, ok_resend, NULL);
	if (dlg_flow(d)->transport != SIP_FLOW_UDP)
		d->ok_iv = 64 * d->s->t1; /* one wait, no resend */
}

/* --- session timer (RFC 4028) ------------------------------------------ */

static void
se_fire(rt_actor *a, void *arg)
{
	struct dlg *d = rt_state(a);
	struct dlg_out *o;
	rt_addr txn;
	bool update = d->peer_update;

	d->se_timer = 0;
	if (d->st != DLG_CONFIRMED)
		return;
	if (!d->we_refresh) {
		rt_info("session expired (Call-ID %s)", d->call_id);
		dlg_send_bye(a, d, Q850_RECOVERY_ON_TIMER_EXPIRE);
		dlg_ended(a, d, Q850_RECOVERY_ON_TIMER_EXPIRE, 408,
		          "Session Expired");
		return;
	}
	if (!dlg_offer_out_pending(d) && !dlg_offer_in_pending(d) &&
	    (o = dlg_out_new(d)) != NULL) {
		char extra[96];

		/* refresher names a role in this transaction: we send it */
		snprintf(extra, sizeof(extra),
		         "Session-Expires: %u;refresher=uac\r\n", d->se);
		if (dlg_send_request(a, d, update ? "UPDATE" : "INVITE",
		                     ++d->lcseq, extra, "application/sdp",
		                     update ? NULL : d->lsdp,
		                     update ? 0 : d->lsdp_len, &txn) == 0)
			*o = (struct dlg_out){ .txn = txn,
				               .kind = OUT_REFRESH,
				               .invite = !update,
				               .cseq = d->lcseq };
	}
	dlg_se_start(a, d);
}

void
dlg_se_start(rt_actor *a, struct dlg *d)
{
	uint32_t ms;

	if (d->se_timer)
		rt_timer_cancel(a, d->se_timer);
	d->se_timer = 0;
	if (!d->se)
		return;
	if (d->we_refresh)
		ms = d->se * 500u;
	else
		ms = (d->se - (d->se / 3 < 32 ? d->se / 3 : 32)) * 1000u;
	d->se_timer = rt_timer_start(a, ms, se_fire, NULL);
}

/* Session-Expires of a message: interval and who refreshes. */
void
dlg_se_from(struct dlg *d, const struct sip_msg *m, bool response)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_SESSION_EXPIRES);
	struct sip_session_expires se;

	if (!h || sip_session_expires_decode(&se, &h->val) != 0) {
		if (response)
			d->se = 0; /* a 2xx without it: no timer (§7.4) */
		return;
	}
	d->se = se.delta < 90 ? 90 : se.delta;
	/* refresher names a role in this transaction, not in the dialog:
	 * in a response we are its UAC, in a request its UAS */
	if (pl_isset(&se.refresher))
		d->we_refresh =
		    pl_eqi_str(&se.refresher, response ? "uac" : "uas");
	else
		d->we_refresh = response;
	d->peer_update = sip_msg_has_token(m, SIP_HDR_ALLOW, "UPDATE");
}

/* --- what the peer sends ------------------------------------------------ */

static uint32_t
bye_cause(const struct sip_msg *m)
{
	const struct sip_hdr *h;
	struct sip_reason r;

	for (h = sip_msg_hdr(m, SIP_HDR_REASON); h; h = sip_msg_hdr_next(m, h))
		if (sip_reason_decode(&r, &h->val) == 0 &&
		    pl_eqi_str(&r.proto, "Q.850") && r.has_cause && r.cause)
			return r.cause;
	return Q850_NORMAL_CLEARING;
}

static struct dlg_in *
in_keep(struct dlg *d, const Pbx__Envelope *env, bool offer)
{
	for (size_t i = 0; i < DLG_MAX_IN; i++) {
		struct dlg_in *in = &d->in[i];

		if (in->req)
			continue;
		if (!(in->req = sip_request_copy(env->sip_request)))
			return NULL;
		in->id = ++d->seq;
		in->offer = offer;
		return in;
	}
	return NULL;
}

static void
on_offer_in(rt_actor *a, struct dlg *d, const Pbx__Envelope *env,
            const struct sip_msg *m)
{
	const Pbx__SipRequest *r = env->sip_request;
	bool invite = m->meth == SIP_METHOD_INVITE;
	struct dlg_in *in;
	char extra[96] = "";

	if (d->st != DLG_CONFIRMED || dlg_offer_out_pending(d) ||
	    dlg_offer_in_pending(d)) {
		/* glare (§14.2), or an offer before the last one is done */
		dlg_respond(a, d, r, 491, NULL, NULL, NULL, 0);
		return;
	}
	dlg_se_from(d, m, false);
	if (d->se)
		snprintf(extra, sizeof(extra),
		         "Session-Expires: %u;refresher=%s\r\n", d->se,
		         d->we_refresh ? "uas" : "uac");
	/* a refresh (no offer, or the same one): answer it ourselves */
	if (!m->body.l || (m->body.l == d->rsdp_len &&
	                   memcmp(m->body.p, d->rsdp, d->rsdp_len) == 0)) {
		dlg_respond(a, d, r, 200, NULL, extra[0] ? extra : NULL,
		            invite || m->body.l ? d->lsdp : NULL,
		            invite || m->body.l ? d->lsdp_len : 0);
		if (invite)
			dlg_ok_start(a, d);
		dlg_se_start(a, d);
		return;
	}
	if (!(in = in_keep(d, env, true))) {
		dlg_respond(a, d, r, 500, NULL, "Retry-After: 1\r\n", NULL, 0);
		return;
	}
	dlg_set_sdp(&d->rsdp, &d->rsdp_len, (const uint8_t *)m->body.p,
	            m->body.l);
	{
		Pbx__Leg *l;
		rt_msg *msg =
		    rt_msg_new(PBX__ENVELOPE__BODY_LEG, m->body.l + 64, &l);

		if (!msg)
			return;
		l->kind = PBX__LEG_KIND__LEG_OFFER;
		l->method = invite ? "INVITE" : "UPDATE";
		l->sdp.data = rt_msg_memdup(msg, m->body.p, m->body.l);
		l->sdp.len = m->body.l;
		l->id = in->id;
		if (rt_send(a, d->chan, msg) != 0)
			rt_msg_free(msg);
	}
}

static void
on_request_pass(rt_actor *a, struct dlg *d, const Pbx__Envelope *env,
                const struct sip_msg *m)
{
	const struct sip_hdr *ct = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	struct dlg_in *in = in_keep(d, env, false);
	Pbx__Leg *l;
	rt_msg *msg;

	if (!in) {
		dlg_respond(a, d, env->sip_request, 500, NULL,
		            "Retry-After: 1\r\n", NULL, 0);
		return;
	}
	msg = rt_msg_new(PBX__ENVELOPE__BODY_LEG, m->body.l + 256, &l);
	if (!msg)
		return;
	l->kind = PBX__LEG_KIND__LEG_REQUEST;
	l->method = rt_msg_memdup(msg, m->method.p, m->method.l + 1);
	l->method[m->method.l] = '\0';
	l->body.data = rt_msg_memdup(msg, m->body.p, m->body.l);
	l->body.len = m->body.l;
	if (ct) {
		l->content_type = rt_msg_memdup(msg, ct->val.p, ct->val.l + 1);
		l->content_type[ct->val.l] = '\0';
	}
	l->id = in->id;
	if (rt_send(a, d->chan, msg) != 0)
		rt_msg_free(msg);
}

static void
on_ack(rt_actor *a, struct dlg *d, const struct sip_msg *m)
{
	if (d->ok && m->cseq == d->ok_cseq)
		dlg_ok_stop(a, d);
}

void
dlg_on_ack_packet(rt_actor *a, struct dlg *d, const Pbx__SipPacket *p)
{
	struct sip_msg m;

	if (sip_msg_decode(&m, (const char *)p->data.data, p->data.len,
	                   &d->s->limits) == 0 &&
	    m.meth == SIP_METHOD_ACK && pl_eq_str(&m.callid, d->call_id))
		on_ack(a, d, &m);
}

void
dlg_on_request(rt_actor *a, struct dlg *d, const Pbx__Envelope *env)
{
	const Pbx__SipRequest *r = env->sip_request;
	struct sip_msg m;

	if (sip_msg_decode(&m, (const char *)r->data.data, r->data.len,
	                   &d->s->limits) != 0)
		return;
	if (m.meth == SIP_METHOD_ACK) {
		on_ack(a, d, &m);
		return;
	}
	if (!pl_eq_str(&m.callid, d->call_id) ||
	    !pl_eq_str(&m.to.tag, d->local_tag) ||
	    (d->remote_tag && !pl_eq_str(&m.from.tag, d->remote_tag))) {
		dlg_respond(a, d, r, 481, NULL, NULL, NULL, 0);
		return;
	}
	if (d->rcseq && m.cseq <= d->rcseq) {
		dlg_respond(a, d, r, 500, "Out Of Order CSeq", NULL, NULL, 0);
		return;
	}
	d->rcseq = m.cseq;
	switch (m.meth) {
	case SIP_METHOD_BYE:
		dlg_respond(a, d, r, 200, NULL, NULL, NULL, 0);
		dlg_ended(a, d, bye_cause(&m), 0, "BYE");
		break;
	case SIP_METHOD_INVITE:
	case SIP_METHOD_UPDATE:
		on_offer_in(a, d, env, &m);
		break;
	case SIP_METHOD_INFO:
	case SIP_METHOD_MESSAGE:
		if (d->st != DLG_CONFIRMED)
			dlg_respond(a, d, r, 491, NULL, NULL, NULL, 0);
		else
			on_request_pass(a, d, env, &m);
		break;
	case SIP_METHOD_OPTIONS:
		dlg_respond(a, d, r, 200, NULL,
		            "Allow: " SIP_ALLOW "\r\nAccept: " SIP_ACCEPT
		            "\r\nSupported: " SIP_SUPPORTED "\r\n",
		            NULL, 0);
		break;
	default:
		dlg_respond(a, d, r, 405, NULL, "Allow: " SIP_ALLOW "\r\n",
		            NULL, 0);
		break;
	}
}

/* --- what comes back to what we sent ----------------------------------- */

char *
dlg_route_lines(const struct sip_msg *m, const char *name, bool reverse)
{
	struct pl v[DLG_MAX_ROUTES];
	struct sip_hdr_iter it;
	size_t n = 0, cap = 0, at = 0;
	char *s;

	sip_hdr_iter_init(&it, m, SIP_HDR_RECORD_ROUTE);
	while (n < DLG_MAX_ROUTES && sip_hdr_iter_next(&v[n], &it) == 0)
		cap += v[n++].l + strlen(name) + 5;
	if (!n || !(s = malloc(cap + 1)))
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct pl *x = &v[reverse ? n - 1 - i : i];

		at += (size_t)snprintf(s + at, cap + 1 - at, "%s: %.*s\r\n",
		                       name, PL_ARG(*x));
	}
	return s;
}

/* The dialog from a tagged response to our INVITE (§12.1.2). */
static void
learn_peer(struct dlg *d, const struct sip_msg *m, bool final)
{
	const struct sip_hdr *to = sip_msg_hdr(m, SIP_HDR_TO);
	char *routes;

	if (!d->remote_tag && to && pl_isset(&m->to.tag)) {
		free(d->remote);
		d->remote = dlg_strdup_pl(&to->val);
		d->remote_tag = dlg_strdup_pl(&m->to.tag);
	}
	if (m->has_contact && !m->contact.star) {
		free(d->target);
		d->target = dlg_strdup_pl(&m->contact.addr.auri);
	}
	if (!final)
		return;
	/* the route set: Record-Route in reverse (§12.1.2) */
	routes = dlg_route_lines(m, "Route", true);
	free(d->routes);
	d->routes = routes;
}

static void
on_invite_response(rt_actor *a, struct dlg *d, const struct sip_msg *m)
{
	const uint8_t *body = (const uint8_t *)m->body.p;
	char reason[64];

	snprintf(reason, sizeof(reason), "%.*s", PL_ARG(m->reason));
	if (m->scode < 200) {
		if (m->scode == 100)
			return;
		if (pl_isset(&m->to.tag) && d->st == DLG_INIT)
			d->st = DLG_EARLY;
		learn_peer(d, m, false);
		if (!d->hangup_asked)
			dlg_tell(a, d, PBX__LEG_KIND__LEG_PROGRESS, m->scode,
			         reason, 0, body, m->body.l, 0);
		return;
	}
	if (m->scode >= 300) {
		dlg_ended(a, d, q850_from_sip(m->scode), m->scode, reason);
		return;
	}
	if (d->st == DLG_CONFIRMED || d->st == DLG_ENDING) {
		/* a retransmission: the same ACK again (§13.2.2.4) */
		dlg_send_request(a, d, "ACK", m->cseq, NULL, NULL, NULL, 0,
		                 NULL);
		return;
	}
	learn_peer(d, m, true);
	d->st = DLG_CONFIRMED;
	dlg_send_request(a, d, "ACK", d->inv_cseq, NULL, NULL, NULL, 0, NULL);
	if (d->hangup_asked) {
		/* answered after we gave up on it (a fork that lost) */
		dlg_send_bye(a, d, Q850_NON_SELECTED_USER_CLEARING);
		return;
	}
	dlg_set_sdp(&d->rsdp, &d->rsdp_len, body, m->body.l);
	dlg_se_from(d, m, true);
	dlg_se_start(a, d);
	dlg_tell(a, d, PBX__LEG_KIND__LEG_ANSWERED, m->scode, reason, 0, body,
	         m->body.l, 0);
}

static void
on_out_response(rt_actor *a, struct dlg *d, struct dlg_out *o,
                const struct sip_msg *m)
{
	struct dlg_out done = *o;

	if (m->scode < 200)
		return;
	o->kind = 0;
	if (done.invite && m->scode < 300)
		dlg_send_request(a, d, "ACK", done.cseq, NULL, NULL, NULL, 0,
		                 NULL);
	switch (done.kind) {
	case OUT_BYE:
		dlg_end(a, d);
		return;
	case OUT_OFFER:
		if (m->scode < 300)
			dlg_set_sdp(&d->rsdp, &d->rsdp_len,
			            (const uint8_t *)m->body.p, m->body.l);
		dlg_tell(a, d, PBX__LEG_KIND__LEG_OFFER_RESULT, m->scode, NULL,
		         0, (const uint8_t *)m->body.p,
		         m->scode < 300 ? m->body.l : 0, done.id);
		break;
	case OUT_REQ:
		dlg_tell(a, d, PBX__LEG_KIND__LEG_REQUEST_RESULT, m->scode,
		         NULL, 0, NULL, 0, done.id);
		break;
	default:
		break;
	}
	if (m->scode < 300) {
		dlg_se_from(d, m, true);
		dlg_se_start(a, d);
	} else if (m->scode == 481 || m->scode == 408) {
		/* §12.2.1.2: the dialog is gone at the peer */
		dlg_send_bye(a, d, Q850_NORMAL_TEMPORARY_FAILURE);
		dlg_ended(a, d, Q850_NORMAL_TEMPORARY_FAILURE, m->scode,
		          "Dialog Gone");
	}
}

void
dlg_on_response(rt_actor *a, struct dlg *d, const Pbx__SipResponseIn *r)
{
	rt_addr txn = rt_addr_from_pb(r->txn);
	struct dlg_out *o;
	struct sip_msg m;

	if (sip_msg_decode(&m, (const char *)r->data.data, r->data.len,
	                   &d->s->limits) != 0)
		return;
	if (d->uac && rt_addr_eq(txn, d->inv_txn) && m.cseq == d->inv_cseq)
		on_invite_response(a, d, &m);
	else if ((o = out_find(d, txn)) != NULL)
		on_out_response(a, d, o, &m);
	else if (m.scode >= 200 && m.scode < 300 &&
	         pl_eq_str(&m.cseq_method, "INVITE") && d->st == DLG_CONFIRMED)
		/* a retransmitted 2xx of a re-INVITE: ACK it again */
		dlg_send_request(a, d, "ACK", m.cseq, NULL, NULL, NULL, 0,
		                 NULL);
}

void
dlg_on_failed(rt_actor *a, struct dlg *d, const Pbx__SipTxnFailed *f)
{
	rt_addr txn = rt_addr_from_pb(f->txn);
	struct dlg_out *o;

	if (d->uac && rt_addr_eq(txn, d->inv_txn) && d->st != DLG_CONFIRMED &&
	    d->st != DLG_ENDING) {
		dlg_ended(a, d, q850_from_sip(f->code), f->code,
		          f->code == 408 ? "Request Timeout" : "Unreachable");
		return;
	}
	if (!(o = out_find(d, txn)))
		return;
	if (o->kind == OUT_BYE) {
		dlg_end(a, d);
		return;
	}
	if (o->kind == OUT_OFFER)
		dlg_tell(a, d, PBX__LEG_KIND__LEG_OFFER_RESULT, f->code, NULL,
		         0, NULL, 0, o->id);
	o->kind = 0;
	/* the peer does not answer in the dialog any more */
	dlg_ended(a, d, Q850_RECOVERY_ON_TIMER_EXPIRE, f->code, "Timeout");
}
