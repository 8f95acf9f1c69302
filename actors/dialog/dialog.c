/*
 * The dialog actor: one leg's SIP dialog (RFC 3261 §12-14), as the UAS of
 * the caller's INVITE (A leg) or the UAC of an INVITE to a callee (B leg).
 * This file is the actor and what its channel asks of it (Leg messages:
 * ring, answer, hang up, offers and requests passed through);
 * dialog_sip.c handles the SIP that arrives, dialog_out.c writes it.
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

static char *
dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *
with_tag(const char *val, const char *tag)
{
	size_t n = strlen(val) + strlen(tag) + 6;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s;tag=%s", val, tag);
	return s;
}

static void
set_contact(struct dlg *d)
{
	const Pbx__SipFlow *f = dlg_flow(d);
	const struct sip_listener *l = &d->s->listen[f->listener];
	bool v6 = strchr(l->host, ':') != NULL;

	snprintf(d->contact, sizeof(d->contact), "<sip:pbx@%s%s%s:%u%s>",
	         v6 ? "[" : "", l->host, v6 ? "]" : "", l->port,
	         f->transport == SIP_FLOW_TLS   ? ";transport=tls"
	         : f->transport == SIP_FLOW_TCP ? ";transport=tcp"
	                                        : "");
}

static int
init_uas(rt_actor *a, struct dlg *d, struct dialog_arg *da)
{
	const Pbx__SipRequest *r = rt_msg_env(da->req)->sip_request;
	const struct sip_hdr *to;
	struct sip_msg m;
	Pbx__SipTxnAttach *at;
	rt_msg *msg;

	d->inv = da->req;
	if (sip_msg_decode(&m, (const char *)r->data.data, r->data.len,
	                   &d->s->limits) != 0 ||
	    !(to = sip_msg_hdr(&m, SIP_HDR_TO)))
		return EBADMSG;
	d->flowm = sip_flow_msg(r->flow);
	d->inv_txn = rt_addr_from_pb(r->txn);
	d->call_id = dlg_strdup_pl(&m.callid);
	d->remote = dlg_strdup_pl(&sip_msg_hdr(&m, SIP_HDR_FROM)->val);
	d->remote_tag = dlg_strdup_pl(&m.from.tag);
	{
		char *tv = dlg_strdup_pl(&to->val);

		d->local = tv ? with_tag(tv, d->local_tag) : NULL;
		free(tv);
	}
	if (m.has_contact && !m.contact.star)
		d->target = dlg_strdup_pl(&m.contact.addr.auri);
	else
		d->target = dlg_strdup_pl(&m.from.auri);
	d->rroutes = dlg_route_lines(&m, "Record-Route", false);
	d->routes = dlg_route_lines(&m, "Route", false);
	d->rcseq = m.cseq;
	d->inv_cseq = m.cseq;
	dlg_set_sdp(&d->rsdp, &d->rsdp_len, (const uint8_t *)m.body.p,
	            m.body.l);
	dlg_se_from(d, &m, false);
	if (d->se && !sip_msg_hdr(&m, SIP_HDR_SESSION_EXPIRES)->val.l)
		d->se = 0;
	if (d->se) {
		struct sip_session_expires se;

		sip_session_expires_decode(
		    &se, &sip_msg_hdr(&m, SIP_HDR_SESSION_EXPIRES)->val);
		if (!pl_isset(&se.refresher))
			/* §9: the UAS chooses; the UAC refreshes if it can */
			d->we_refresh =
			    !sip_msg_has_token(&m, SIP_HDR_SUPPORTED, "timer");
	}
	if (!d->flowm || !d->call_id || !d->remote || !d->local || !d->target)
		return ENOMEM;
	set_contact(d);
	/* the transaction reports to us from now on */
	msg = rt_msg_new(PBX__ENVELOPE__BODY_SIP_TXN_ATTACH, 64, &at);
	if (!msg)
		return ENOMEM;
	at->tu = rt_msg_alloc(msg, sizeof(*at->tu));
	pbx__addr__init(at->tu);
	rt_addr_to_pb(at->tu, rt_self(a));
	if (rt_send(a, d->inv_txn, msg) != 0)
		rt_msg_free(msg);
	return 0;
}

static int
init_uac(rt_actor *a, struct dlg *d, struct dialog_arg *da)
{
	d->flowm = da->flow;
	da->flow = NULL;
	d->call_id = strdup(da->call_id);
	d->local = with_tag(da->from, d->local_tag);
	d->remote = dup_str(da->to);
	d->target = dup_str(da->ruri);
	d->max_forwards = da->max_forwards;
	d->lcseq = 1;
	if (!d->flowm || !d->call_id || !d->local || !d->remote || !d->target)
		return ENOMEM;
	set_contact(d);
	dlg_set_sdp(&d->lsdp, &d->lsdp_len, da->sdp, da->sdp_len);
	return dlg_send_invite(a, d, da->sdp, da->sdp_len);
}

static int
dlg_init(rt_actor *a, void *arg)
{
	struct dlg *d = rt_state(a);
	struct dialog_arg *da = arg;
	char tag[64];
	int err;

	d->s = da->s;
	d->cf = da->cf;
	d->chan = da->chan;
	d->uac = da->uac;
	sip_dialog_tag_encode(tag, sizeof(tag), rt_self(a), (uint32_t)rand());
	d->local_tag = strdup(tag);
	if (!d->local_tag)
		err = ENOMEM;
	else
		err = d->uac ? init_uac(a, d, da) : init_uas(a, d, da);
	if (!d->uac)
		da->req = NULL; /* ours now, freed in fini */
	rt_msg_free(da->flow);
	free(da->ruri);
	free(da->to);
	free(da->from);
	free(da->sdp);
	free(da);
	return err;
}

/* --- what the channel asks --------------------------------------------- */

static const Pbx__SipRequest *
invite(struct dlg *d)
{
	return d->inv ? rt_msg_env(d->inv)->sip_request : NULL;
}

static void
ring(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	uint16_t code = l->code ? (uint16_t)l->code : l->sdp.len ? 183 : 180;

	if (d->uac || d->final_sent || !invite(d))
		return;
	if (l->sdp.len)
		dlg_set_sdp(&d->lsdp, &d->lsdp_len, l->sdp.data, l->sdp.len);
	dlg_respond(a, d, invite(d), code, NULL, NULL, l->sdp.data, l->sdp.len);
	if (d->st == DLG_INIT)
		d->st = DLG_EARLY;
}

static void
answer(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	char extra[128] = "";

	if (d->uac || d->final_sent || !invite(d))
		return;
	if (d->se)
		snprintf(extra, sizeof(extra),
		         "Session-Expires: %u;refresher=%s\r\n%s", d->se,
		         d->we_refresh ? "uas" : "uac",
		         d->we_refresh ? "" : "Require: timer\r\n");
	dlg_set_sdp(&d->lsdp, &d->lsdp_len, l->sdp.data, l->sdp.len);
	if (dlg_respond(a, d, invite(d), 200, NULL, extra[0] ? extra : NULL,
	                l->sdp.data, l->sdp.len) != 0) {
		dlg_ended(a, d, Q850_NORMAL_TEMPORARY_FAILURE, 500,
		          "Internal Error");
		return;
	}
	d->final_sent = true;
	d->st = DLG_CONFIRMED;
	rt_msg_free(d->inv);
	d->inv = NULL;
	dlg_ok_start(a, d);
	dlg_se_start(a, d);
}

static void
hangup(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	char reason[128], extra[160];
	uint32_t cause = l->cause ? l->cause : Q850_NORMAL_CLEARING;

	if (d->hangup_asked)
		return;
	d->hangup_asked = true;
	dlg_reason(reason, sizeof(reason), cause);
	if (!d->uac && !d->final_sent) {
		uint16_t code =
		    l->code ? (uint16_t)l->code : q850_to_sip(cause);

		snprintf(extra, sizeof(extra), "Reason: %s\r\n", reason);
		if (invite(d))
			dlg_respond(a, d, invite(d), code, NULL, extra, NULL,
			            0);
		d->final_sent = true;
		dlg_end(a, d);
		return;
	}
	if (d->uac && d->st != DLG_CONFIRMED && d->st != DLG_ENDING) {
		Pbx__SipCancelled *c;
		rt_msg *m =
		    rt_msg_new(PBX__ENVELOPE__BODY_SIP_CANCELLED, 160, &c);

		if (l->code == 200)
			snprintf(reason, sizeof(reason),
			         "SIP;cause=200;text=\"Call completed "
			         "elsewhere\"");
		if (m) {
			c->data.data = rt_msg_memdup(m, reason, strlen(reason));
			c->data.len = strlen(reason);
			if (rt_send(a, d->inv_txn, m) != 0) {
				rt_msg_free(m);
				dlg_end(a, d);
			}
		}
		return; /* the 487 (or a late 2xx) ends us */
	}
	if (d->st == DLG_CONFIRMED) {
		if (dlg_send_bye(a, d, cause) != 0)
			dlg_end(a, d);
		return;
	}
	if (d->st != DLG_ENDING)
		dlg_end(a, d);
}

static void
offer(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	bool inv = !l->method || strcmp(l->method, "UPDATE") != 0;
	struct dlg_out *o;
	char extra[96] = "";
	rt_addr txn;

	if (d->st != DLG_CONFIRMED || dlg_offer_out_pending(d) ||
	    dlg_offer_in_pending(d) || !(o = dlg_out_new(d))) {
		dlg_tell(a, d, PBX__LEG_KIND__LEG_OFFER_RESULT, 491, NULL, 0,
		         NULL, 0, l->id);
		return;
	}
	if (d->se)
		snprintf(extra, sizeof(extra),
		         "Session-Expires: %u;refresher=%s\r\n", d->se,
		         d->we_refresh ? "uac" : "uas");
	if (dlg_send_request(a, d, inv ? "INVITE" : "UPDATE", ++d->lcseq,
	                     extra[0] ? extra : NULL, "application/sdp",
	                     l->sdp.data, l->sdp.len, &txn) != 0) {
		dlg_tell(a, d, PBX__LEG_KIND__LEG_OFFER_RESULT, 500, NULL, 0,
		         NULL, 0, l->id);
		return;
	}
	dlg_set_sdp(&d->lsdp, &d->lsdp_len, l->sdp.data, l->sdp.len);
	*o = (struct dlg_out){ .txn = txn,
		               .kind = OUT_OFFER,
		               .invite = inv,
		               .cseq = d->lcseq,
		               .id = l->id };
}

static struct dlg_in *
in_find(struct dlg *d, uint64_t id)
{
	for (size_t i = 0; i < DLG_MAX_IN; i++)
		if (d->in[i].req && d->in[i].id == id)
			return &d->in[i];
	return NULL;
}

static void
result(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	struct dlg_in *in = in_find(d, l->id);
	const Pbx__SipRequest *r;
	uint16_t code = l->code >= 200 && l->code < 700 ? l->code : 500;
	bool ok = code < 300;
	bool inv;

	if (!in)
		return;
	r = rt_msg_env(in->req)->sip_request;
	inv = r->data.len > 7 && memcmp(r->data.data, "INVITE ", 7) == 0;
	if (in->offer && ok)
		dlg_set_sdp(&d->lsdp, &d->lsdp_len, l->sdp.data, l->sdp.len);
	d->responded = true;
	dlg_respond(a, d, r, code, NULL, NULL,
	            in->offer && ok ? l->sdp.data : NULL,
	            in->offer && ok ? l->sdp.len : 0);
	if (in->offer && ok && inv)
		dlg_ok_start(a, d);
	if (in->offer && ok)
		dlg_se_start(a, d);
	rt_msg_free(in->req);
	in->req = NULL;
}

static void
request(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	struct dlg_out *o = dlg_out_new(d);
	rt_addr txn;

	if (d->st != DLG_CONFIRMED || !o || !l->method ||
	    dlg_send_request(a, d, l->method, ++d->lcseq, NULL,
	                     l->content_type && *l->content_type
	                         ? l->content_type
	                         : "text/plain",
	                     l->body.data, l->body.len, &txn) != 0) {
		dlg_tell(a, d, PBX__LEG_KIND__LEG_REQUEST_RESULT, 481, NULL, 0,
		         NULL, 0, l->id);
		return;
	}
	*o = (struct dlg_out){
		.txn = txn, .kind = OUT_REQ, .cseq = d->lcseq, .id = l->id
	};
}

static void
on_leg(rt_actor *a, struct dlg *d, const Pbx__Leg *l)
{
	switch (l->kind) {
	case PBX__LEG_KIND__LEG_RING:
		ring(a, d, l);
		break;
	case PBX__LEG_KIND__LEG_ANSWER:
		answer(a, d, l);
		break;
	case PBX__LEG_KIND__LEG_HANGUP:
		hangup(a, d, l);
		break;
	case PBX__LEG_KIND__LEG_OFFER:
		offer(a, d, l);
		break;
	case PBX__LEG_KIND__LEG_OFFER_RESULT:
	case PBX__LEG_KIND__LEG_REQUEST_RESULT:
		result(a, d, l);
		break;
	case PBX__LEG_KIND__LEG_REQUEST:
		request(a, d, l);
		break;
	default:
		break;
	}
}

static void
on_cancelled(rt_actor *a, struct dlg *d)
{
	/* §9.2: the INVITE gets 487, the call ends as the caller wished */
	if (d->uac || d->final_sent || !invite(d))
		return;
	dlg_respond(a, d, invite(d), 487, NULL, NULL, NULL, 0);
	d->final_sent = true;
	dlg_ended(a, d, Q850_ORIGINATOR_CANCEL, 487, "Request Terminated");
}

/* A request of ours right after an answer to the peer's (the other leg
 * sent both at once, as a call over two nodes does) would overtake that
 * answer: the answer goes through its server transaction's mailbox, the
 * request's new client transaction sends at once. Queued behind the
 * answer once, it leaves after it, as it was sent. */
static bool
defer(rt_actor *a, bool responded, const Pbx__Leg *l)
{
	rt_msg *m;

	if (!responded || (l->kind != PBX__LEG_KIND__LEG_REQUEST &&
	                   l->kind != PBX__LEG_KIND__LEG_OFFER))
		return false;
	if (!(m = rt_take(a)))
		return false;
	if (rt_send(a, rt_self(a), m) != 0)
		rt_msg_free(m);
	return true;
}

static void
dlg_handle(rt_actor *a, const Pbx__Envelope *env)
{
	struct dlg *d = rt_state(a);
	bool responded = d->responded;

	d->responded = false;
	switch (env->body_case) {
	case PBX__ENVELOPE__BODY_LEG:
		if (!defer(a, responded, env->leg))
			on_leg(a, d, env->leg);
		break;
	case PBX__ENVELOPE__BODY_SIP_REQUEST:
		dlg_on_request(a, d, env);
		break;
	case PBX__ENVELOPE__BODY_SIP_PACKET: /* an ACK for our 2xx */
		dlg_on_ack_packet(a, d, env->sip_packet);
		break;
	case PBX__ENVELOPE__BODY_SIP_RESPONSE_IN:
		dlg_on_response(a, d, env->sip_response_in);
		break;
	case PBX__ENVELOPE__BODY_SIP_TXN_FAILED:
		dlg_on_failed(a, d, env->sip_txn_failed);
		break;
	case PBX__ENVELOPE__BODY_SIP_CANCELLED:
		on_cancelled(a, d);
		break;
	default:
		break;
	}
}

static void
dlg_fini(rt_actor *a, int reason)
{
	struct dlg *d = rt_state(a);

	rt_msg_free(d->flowm);
	rt_msg_free(d->inv);
	for (size_t i = 0; i < DLG_MAX_IN; i++)
		rt_msg_free(d->in[i].req);
	free(d->call_id);
	free(d->local);
	free(d->remote);
	free(d->local_tag);
	free(d->remote_tag);
	free(d->target);
	free(d->routes);
	free(d->rroutes);
	free(d->ok);
	free(d->lsdp);
	free(d->rsdp);
}

const rt_kind dialog_kind = {
	.name = "dialog",
	.size = sizeof(struct dlg),
	.init = dlg_init,
	.handle = dlg_handle,
	.fini = dlg_fini,
};
