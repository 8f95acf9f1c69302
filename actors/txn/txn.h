/* The transaction actors and what their creators pass them. */
#ifndef PBX_TXN_H
#define PBX_TXN_H

#include "sip_stack.h"

/* Spawn argument of a server transaction, freed by it. */
struct txn_server_arg {
	struct sip_stack *s;
	rt_msg *req; /* a SipPacket the transaction takes over */
	rt_addr tu;
};
extern const rt_kind txn_server_kind;

/* Spawn argument of a client transaction: a request without a top Via (the
 * transaction adds its own) and the flow to send it along. */
struct txn_client_arg {
	struct sip_stack *s;
	rt_addr tu;
	const void *data;
	size_t len;
	Pbx__SipFlow *flow; /* lives in keep */
	rt_msg *keep;
	char bytes[];
};
extern const rt_kind txn_client_kind;
struct txn_client_arg *txn_client_arg_new(struct sip_stack *s, const void *data,
                                          size_t len, const Pbx__SipFlow *flow,
                                          rt_addr tu);
void txn_client_arg_free(struct txn_client_arg *a);

/* What a client transaction keeps of its request to check that a response
 * is one to it: RFC 3261 §17.1.3 matches on the branch (and CSeq method)
 * alone, but a response also carries the request's Call-ID and CSeq number
 * and comes from where the request went, and a forged one need not. */
struct txn_sent_id {
	char branch[64];
	char *callid, *method; /* NUL-terminated copies */
	uint32_t cseq;
	bool cancel; /* a CANCEL went out too: its responses match */
};
/* Fill id from the request as sent (with our Via); 0, EBADMSG or ENOMEM. */
int txn_sent_id_init(struct txn_sent_id *id, const struct sip_msg *req);
void txn_sent_id_fini(struct txn_sent_id *id);
/* NULL when rsp, which came along flow `from`, answers the request sent
 * along `to` (or its CANCEL); else what does not match, for a log line. */
const char *txn_response_check(const struct txn_sent_id *id,
                               const Pbx__SipFlow *to,
                               const struct sip_msg *rsp,
                               const Pbx__SipFlow *from);

struct txn_out;
/* Cancel and start the timers a state machine step asks for; timer[] holds
 * one id per enum txn_timer, cb gets the timer as its argument. */
void txn_timers_apply(rt_actor *a, uint64_t *timer, const struct txn_out *o,
                      rt_timer_h cb);
/* Tell the transaction user it failed without a response (408, 503). */
void txn_tell_failed(rt_actor *a, rt_addr tu, uint16_t code);

/* Small looks at raw messages, without a full parse. */
bool txn_is_invite(const void *data, size_t len);
bool txn_is_ack(const void *data, size_t len);
/* Status code of a response, 0 if it is none. */
uint16_t txn_status_code(const void *data, size_t len);

#endif
