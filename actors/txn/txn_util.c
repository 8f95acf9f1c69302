/* Looks at a raw SIP message's first line, and what else the
 * transactions share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "txn.h"
#include "txn_fsm.h"

static bool
starts(const void *data, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len > n && memcmp(data, word, n) == 0 &&
	       ((const char *)data)[n] == ' ';
}

bool
txn_is_invite(const void *data, size_t len)
{
	return starts(data, len, "INVITE");
}

bool
txn_is_ack(const void *data, size_t len)
{
	return starts(data, len, "ACK");
}

uint16_t
txn_status_code(const void *data, size_t len)
{
	const char *p = data;

	if (len < 12 || memcmp(p, "SIP/2.0 ", 8) != 0)
		return 0;
	for (int i = 8; i < 11; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return (uint16_t)((p[8] - '0') * 100 + (p[9] - '0') * 10 + p[10] - '0');
}

void
txn_timers_apply(rt_actor *a, uint64_t *timer, const struct txn_out *o,
                 rt_timer_h cb)
{
	for (int i = 0; i < TXN_TIMER_COUNT; i++)
		if ((o->cancel & (1u << i)) && timer[i]) {
			rt_timer_cancel(a, timer[i]);
			timer[i] = 0;
		}
	for (unsigned i = 0; i < o->n_start; i++) {
		enum txn_timer w = o->start[i].timer;

		if (timer[w])
			rt_timer_cancel(a, timer[w]);
		timer[w] =
		    rt_timer_start(a, o->start[i].ms, cb, (void *)(uintptr_t)w);
	}
}

void
txn_tell_failed(rt_actor *a, rt_addr tu, uint16_t code)
{
	Pbx__SipTxnFailed *f;
	rt_msg *m = rt_msg_new(PBX__ENVELOPE__BODY_SIP_TXN_FAILED, 48, &f);

	if (!m)
		return;
	f->code = code;
	f->reason = code == 408 ? "Request Timeout" : "Service Unavailable";
	f->txn = rt_msg_alloc(m, sizeof(*f->txn));
	pbx__addr__init(f->txn);
	rt_addr_to_pb(f->txn, rt_self(a));
	if (rt_send(a, tu, m) != 0)
		rt_msg_free(m);
}

int
txn_sent_id_init(struct txn_sent_id *id, const struct sip_msg *req)
{
	memset(id, 0, sizeof(*id));
	if (!pl_isset(&req->callid) || req->via.branch.l >= sizeof(id->branch))
		return EBADMSG;
	memcpy(id->branch, req->via.branch.p, req->via.branch.l);
	id->cseq = req->cseq;
	id->callid = strndup(req->callid.p, req->callid.l);
	id->method = strndup(req->method.p, req->method.l);
	if (!id->callid || !id->method) {
		txn_sent_id_fini(id);
		return ENOMEM;
	}
	return 0;
}

void
txn_sent_id_fini(struct txn_sent_id *id)
{
	free(id->callid);
	free(id->method);
	id->callid = id->method = NULL;
}

static bool
same_ip(const Pbx__SipFlow *a, const Pbx__SipFlow *b)
{
	return a->remote_ip.len == b->remote_ip.len &&
	       memcmp(a->remote_ip.data, b->remote_ip.data, a->remote_ip.len) ==
	           0;
}

const char *
txn_response_check(const struct txn_sent_id *id, const Pbx__SipFlow *to,
                   const struct sip_msg *rsp, const Pbx__SipFlow *from)
{
	if (!pl_eq_str(&rsp->via.branch, id->branch))
		return "branch";
	if (!pl_eq_str(&rsp->callid, id->callid))
		return "Call-ID";
	if (rsp->cseq != id->cseq)
		return "CSeq number";
	if (!pl_eq_str(&rsp->cseq_method, id->method) &&
	    !(id->cancel && pl_eq_str(&rsp->cseq_method, "CANCEL")))
		return "CSeq method";
	/* from the address the request went to: over UDP that address and
	 * port; over TCP or TLS a connection of that address (the other side
	 * may open its own, RFC 3261 §18.2.2) */
	if (!same_ip(to, from))
		return "source address";
	if (to->transport == SIP_FLOW_UDP
	        ? from->transport != SIP_FLOW_UDP ||
	              from->remote_port != to->remote_port
	        : from->transport == SIP_FLOW_UDP)
		return "source port or transport";
	return NULL;
}
