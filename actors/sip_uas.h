/* The UAS core: what the PBX answers to requests it serves itself, and the
 * checks of RFC 3261 §8.2 every request passes first. */
#ifndef PBX_SIP_UAS_H
#define PBX_SIP_UAS_H

#include "sip_stack.h"

/* Answer a request the PBX serves itself at once, statelessly (RFC 3261
 * §8.2.7): no transaction, and a retransmission gets the same answer (the
 * To tag is a hash of the request). A REGISTER without credentials gets
 * its 401 here too. false: it needs a transaction (a REGISTER with
 * credentials, an INVITE, a request inside a dialog). */
bool sip_uas_stateless(rt_actor *a, struct sip_stack *s,
                       const struct sip_msg *msg, const Pbx__SipFlow *flow);

#endif
