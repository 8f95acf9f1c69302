/* The UAS core: what the PBX answers to requests it serves itself, and the
 * checks of RFC 3261 §8.2 every request passes first. */
#ifndef PBX_SIP_UAS_H
#define PBX_SIP_UAS_H

#include "sip_stack.h"

/* What came off the wire, once decoded (sip_uas_accept). */
enum sip_in {
	SIP_IN_DONE = 0, /* answered (400, 505) or dropped: nothing to do */
	SIP_IN_REQUEST,  /* a request to serve (msg->via: its top Via) */
	SIP_IN_RESPONSE, /* a response: to its client transaction */
};

/* Decode a message as a transport read it and make the first checks every
 * request passes: one that does not parse gets a 400 whose reason names
 * the problem (a response that does not parse is dropped; the decoder
 * checks every Via, From, To, Call-ID and CSeq), another SIP version 505. The
 * SIP core and the registrar (which gets REGISTERs with credentials straight
 * from the transports) both start here. */
enum sip_in sip_uas_accept(rt_actor *a, struct sip_stack *s,
                           struct sip_msg *msg, const Pbx__SipPacket *p);
/* A response without body at once, statelessly, along the request's flow
 * (nothing when it has no Via). */
void sip_uas_reply(rt_actor *a, struct sip_stack *s, const struct sip_msg *msg,
                   const Pbx__SipFlow *f, uint16_t code, const char *reason);

/* Answer a request the PBX serves itself at once, statelessly (RFC 3261
 * §8.2.7): no transaction, and a retransmission gets the same answer (the
 * To tag is a hash of the request). false: someone else serves it (a
 * REGISTER, when there is a registrar: the registrar, which answers its
 * 404 and 401 too; an INVITE or a request inside a dialog: a
 * transaction). */
bool sip_uas_stateless(rt_actor *a, struct sip_stack *s,
                       const struct sip_msg *msg, const Pbx__SipFlow *flow);

#endif
