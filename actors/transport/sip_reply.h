/* Building responses along the flow their request came in on. */
#ifndef PBX_SIP_REPLY_H
#define PBX_SIP_REPLY_H

#include "sip_stack.h"

#define SIP_SERVER_NAME "pbx/" PBX_VERSION
#define SIP_ALLOW                                                              \
	"INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO, MESSAGE"
#define SIP_ACCEPT    "application/sdp"
#define SIP_SUPPORTED "path, outbound, timer"

/* A response to a request, what every module answers with (one builder:
 * the header copying is here only). */
struct sip_reply {
	const struct sip_msg *req;
	const Pbx__SipFlow
	    *flow; /* received/rport of the top Via; may be NULL */
	uint16_t code;
	const char *reason;     /* NULL: the code's standard phrase */
	const struct pl *totag; /* added to a To without a tag (not on 100) */
	const char *extra;      /* whole header lines ("X: y\r\n"), or NULL */
	/* more headers after extra, or NULL */
	int (*hdrs)(struct sip_buf *b, void *arg);
	void *arg;
	const char *ctype; /* the body's type, with body */
	const struct pl *body;
};

/* The whole response into b: status line, Vias (the top one with
 * received/rport from flow), From, To with totag, Call-ID, CSeq, Server,
 * extra, hdrs, Content-Length and the body. */
int sip_reply_build(struct sip_buf *b, const struct sip_reply *r);
/* Build it on the stack and send it along r->flow, statelessly (RFC 3261
 * §18.2.2). Nothing is sent to a request without a Via. */
int sip_reply_send(struct sip_stack *s, rt_actor *a, const struct sip_reply *r);
/* Logs (rate-limited) that the answer r could not be built, and why. */
void sip_reply_cannot(const struct sip_reply *r, int err);
/* The first lines of a response (sip_reply_build without extra, hdrs and
 * the end), for a caller that adds headers and ends with sip_build_end. */
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
