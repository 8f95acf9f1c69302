/* Building responses along the flow their request came in on. */
#ifndef PBX_SIP_REPLY_H
#define PBX_SIP_REPLY_H

#include "sip_stack.h"

#define SIP_SERVER_NAME "pbx/" PBX_VERSION
#define SIP_ALLOW                                                              \
	"INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, MESSAGE"
#define SIP_ACCEPT    "application/sdp"
#define SIP_SUPPORTED "path, outbound, timer"

/* Status line, Vias (the top one with received/rport from flow; flow may be
 * NULL), From, To with totag added if it has none (not on 100), Call-ID,
 * CSeq, Server. The caller adds headers and ends with sip_build_end. */
int sip_reply_start(struct sip_buf *b, const struct sip_msg *req,
                    const Pbx__SipFlow *f, uint16_t code, const char *reason,
                    const struct pl *totag);
/* A complete response without body. */
int sip_reply_simple(struct sip_buf *b, const struct sip_msg *req,
                     const Pbx__SipFlow *f, uint16_t code, const char *reason,
                     const struct pl *totag);
/* A To tag (16 hex digits) unique to an actor and a salt. */
void sip_make_tag(char *buf, size_t n, rt_addr who, uint64_t salt);
/* A To tag that is the same for every retransmission of a request (a hash
 * of its Call-ID, top Via and CSeq on this node): for requests answered
 * without a transaction, which answer a retransmission anew. */
void sip_stable_tag(char *buf, size_t n, uint32_t node,
                    const struct sip_msg *req);

#endif
