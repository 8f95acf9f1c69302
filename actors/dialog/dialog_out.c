/*
 * What a dialog writes: responses to the requests it serves, its INVITE as
 * a UAC, and requests inside the dialog (RFC 3261 §12.2.1.1), each through
 * a transaction of the SIP stack, and the Leg messages to its channel.
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

#define OUT_MAX 16384 /* on the worker's stack: no allocation per message */

char *
dlg_strdup_pl(const struct pl *p)
{
	char *s = malloc(p->l + 1);

	if (s) {
		memcpy(s, p->p, p->l);
		s[p->l] = '\0';
	}
	return s;
}

void
dlg_reason(char *out, size_t n, uint32_t cause)
{
	const char *name = q850_name(cause);

	snprintf(out, n, "Q.850;cause=%u;text=\"%s\"", cause,
	         name ? name : "UNKNOWN");
}

void
dlg_tell(rt_actor *a, struct dlg *d, Pbx__LegKind kind, uint32_t code,
         const char *reason, uint32_t cause, const uint8_t *sdp, size_t sdp_len,
         uint64_t id)
{
	Pbx__Leg *l;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_LEG, sdp_len + 128, &l);

	if (!m)
		return;
	l->kind = kind;
	l->code = code;
	l->cause = cause;
	l->id = id;
	if (reason)
		l->reason = rt_msg_strdup(m, reason);
	if (sdp_len) {
		l->sdp.data = rt_msg_memdup(m, sdp, sdp_len);
		l->sdp.len = sdp_len;
	}
	if (rt_send(a, d->chan, m) != 0)
		rt_msg_free(m);
}

static void
to_txn(rt_actor *a, rt_addr txn, const char *data, size_t len)
{
	Pbx__SipResponse *resp;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_RESPONSE, len, &resp);

	if (!m)
		return;
	resp->data.data = rt_msg_memdup(m, data, len);
	resp->data.len = len;
	if (rt_send(a, txn, m) != 0)
		rt_msg_free(m);
}

static int
body_end(struct sip_buf *b, const uint8_t *sdp, size_t len)
{
	struct pl body = { (const char *)sdp, len };

	return sip_build_end(b, len ? "application/sdp" : NULL,
	                     len ? &body : NULL);
}

/* What a dialog adds to a response (sip_reply_build's hdrs). */
struct dlg_hdrs {
	struct dlg *d;
	const Pbx__SipRequest *r;
	const struct sip_msg *msg;
	uint16_t code;
	const char *extra;
};

static int
dlg_hdrs(struct sip_buf *b, void *arg)
{
	const struct dlg_hdrs *h = arg;
	bool invite = h->msg->meth == SIP_METHOD_INVITE;
	bool ok = h->code >= 200 && h->code < 300;
	bool early_or_ok = h->code > 100 && h->code < 300;
	int err = 0;

	if (invite && early_or_ok && h->d->rroutes && h->r->txn &&
	    rt_addr_eq(rt_addr_from_pb(h->r->txn), h->d->inv_txn))
		err = sip_buf_str(b, h->d->rroutes);
	if (!err && early_or_ok &&
	    (invite || h->msg->meth == SIP_METHOD_UPDATE))
		err = sip_build_hdrf(b, "Contact", "%s", h->d->contact);
	if (!err && ok && invite)
		err = sip_build_hdrf(b, "Allow", "%s", SIP_ALLOW);
	if (!err && h->extra)
		err = sip_buf_str(b, h->extra);
	return err;
}

int
dlg_respond(rt_actor *a, struct dlg *d, const Pbx__SipRequest *r, uint16_t code,
            const char *reason, const char *extra, const uint8_t *sdp,
            size_t sdp_len)
{
	struct sip_msg msg;
	struct pl totag = pl_from_str(d->local_tag);
	struct pl body = { (const char *)sdp, sdp_len };
	struct dlg_hdrs h = { d, r, &msg, code, extra };
	struct sip_buf b;
	char out[OUT_MAX];
	bool invite;
	int err;

	if (sip_msg_decode(&msg, (const char *)r->data.data, r->data.len,
	                   &d->s->limits) != 0)
		return EBADMSG;
	invite = msg.meth == SIP_METHOD_INVITE;
	sip_buf_init(&b, out, OUT_MAX);
	err = sip_reply_build(
	    &b, &(struct sip_reply){ .req = &msg,
	                             .flow = r->flow,
	                             .code = code,
	                             .reason = reason,
	                             .totag = &totag,
	                             .hdrs = dlg_hdrs,
	                             .arg = &h,
	                             .ctype = "application/sdp",
	                             .body = sdp_len ? &body : NULL });
	if (err)
		return err;
	to_txn(a, rt_addr_from_pb(r->txn), out, b.pos);
	if (invite && code >= 200 && code < 300) {
		char *keep = malloc(b.pos); /* resent until the ACK */

		if (!keep)
			return ENOMEM;
		memcpy(keep, out, b.pos);
		free(d->ok);
		d->ok = keep;
		d->ok_len = b.pos;
		d->ok_cseq = msg.cseq;
	}
	return 0;
}

static int
spawn_txn(rt_actor *a, struct dlg *d, const char *data, size_t len,
          rt_addr *txn)
{
	struct txn_client_arg *ca =
	    txn_client_arg_new(d->s, data, len, dlg_flow(d), rt_self(a));
	rt_addr t;
	int err;

	if (!ca)
		return ENOMEM;
	if ((err = rt_spawn(rt_of(a), &txn_client_kind, rt_self(a).worker, ca,
	                    &t)) != 0) {
		txn_client_arg_free(ca);
		return err;
	}
	if (txn)
		*txn = t;
	return 0;
}

int
dlg_send_invite(rt_actor *a, struct dlg *d, const uint8_t *sdp, size_t len)
{
	const struct conf_calls *cc = &d->cf->calls;
	struct sip_buf b;
	char out[OUT_MAX];
	struct pl ruri = pl_from_str(d->target);
	int err;

	sip_buf_init(&b, out, OUT_MAX);
	err = sip_build_request_line(&b, &(struct pl)PL("INVITE"), &ruri);
	err = err ? err
	          : sip_build_hdrf(&b, "Max-Forwards", "%u", d->max_forwards);
	err = err ? err : sip_build_hdrf(&b, "From", "%s", d->local);
	err = err ? err : sip_build_hdrf(&b, "To", "%s", d->remote);
	err = err ? err : sip_build_hdrf(&b, "Call-ID", "%s", d->call_id);
	err = err ? err : sip_build_hdrf(&b, "CSeq", "%u INVITE", d->lcseq);
	err = err ? err : sip_build_hdrf(&b, "Contact", "%s", d->contact);
	err = err ? err : sip_build_hdrf(&b, "Allow", "%s", SIP_ALLOW);
	err = err ? err : sip_build_hdrf(&b, "Supported", "timer");
	err = err ? err
	          : sip_build_hdrf(&b, "Session-Expires", "%u",
	                           cc->session_expires);
	err = err ? err : sip_build_hdrf(&b, "Min-SE", "%u", cc->min_se);
	err =
	    err ? err : sip_build_hdrf(&b, "User-Agent", "%s", SIP_SERVER_NAME);
	err = err ? err : body_end(&b, sdp, len);
	if (!err)
		err = spawn_txn(a, d, out, b.pos, &d->inv_txn);
	d->inv_cseq = d->lcseq;
	return err;
}

int
dlg_send_request(rt_actor *a, struct dlg *d, const char *method, uint32_t cseq,
                 const char *extra, const char *ctype, const uint8_t *body,
                 size_t len, rt_addr *txn)
{
	struct sip_buf b;
	char out[OUT_MAX];
	struct pl ruri = pl_from_str(d->target), meth = pl_from_str(method);
	struct pl bd = { (const char *)body, len };
	bool ack = strcmp(method, "ACK") == 0;
	bool offer =
	    strcmp(method, "INVITE") == 0 || strcmp(method, "UPDATE") == 0;
	int err;

	sip_buf_init(&b, out, OUT_MAX);
	err = sip_build_request_line(&b, &meth, &ruri);
	if (!err && ack) {
		char branch[64];

		/* an ACK for a 2xx is a transaction of its own: our Via */
		snprintf(branch, sizeof(branch), "z9hG4bK-pbxack%08x%08x",
		         (unsigned)rand(), cseq);
		err = sip_build_hdrf(
		    &b, "Via", "SIP/2.0/%s %s:%u;branch=%s;rport",
		    dlg_flow(d)->transport == SIP_FLOW_TLS   ? "TLS"
		    : dlg_flow(d)->transport == SIP_FLOW_TCP ? "TCP"
		                                             : "UDP",
		    d->s->listen[dlg_flow(d)->listener].host,
		    d->s->listen[dlg_flow(d)->listener].port, branch);
	}
	if (!err && d->routes)
		err = sip_buf_str(&b, d->routes);
	err = err ? err : sip_build_hdrf(&b, "Max-Forwards", "70");
	err = err ? err : sip_build_hdrf(&b, "From", "%s", d->local);
	err = err ? err : sip_build_hdrf(&b, "To", "%s", d->remote);
	err = err ? err : sip_build_hdrf(&b, "Call-ID", "%s", d->call_id);
	err = err ? err : sip_build_hdrf(&b, "CSeq", "%u %s", cseq, method);
	if (!err && offer)
		err = sip_build_hdrf(&b, "Contact", "%s", d->contact);
	if (!err && extra)
		err = sip_buf_str(&b, extra);
	err =
	    err ? err : sip_build_end(&b, len ? ctype : NULL, len ? &bd : NULL);
	if (err)
		return err;
	if (ack) {
		/* not kept: a retransmitted 2xx gets a new one */
		sip_send(d->s, a, dlg_flow(d), out, b.pos);
		return 0;
	}
	return spawn_txn(a, d, out, b.pos, txn);
}
