/* The UAS core: what the PBX answers to requests it serves itself, and the
 * checks of RFC 3261 §8.2 every request passes first. */
#ifndef PBX_SIP_UAS_H
#define PBX_SIP_UAS_H

#include "sip_stack.h"

/* A request from a server transaction; the answer goes back to it. */
void sip_uas_request(rt_actor *a, struct sip_stack *s,
                     const Pbx__SipRequest *r);

#endif
