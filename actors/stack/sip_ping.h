/* An OPTIONS ping to a SIP URI through a client transaction, for operators
 * (pbxctl sip-ping). */
#ifndef PBX_SIP_PING_H
#define PBX_SIP_PING_H

#include "sip_stack.h"

extern const rt_kind sip_ping_kind;
/* The ping answers `requester` with a SipPingResult whose envelope carries
 * `correlation`, then stops. */
void *sip_ping_arg(struct sip_stack *s, const char *uri, rt_addr requester,
                   uint64_t correlation);

#endif
