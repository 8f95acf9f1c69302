/*
 * The UAS core (RFC 3261 §8.2). Checks in the RFC's order, each with the
 * answer an operator of Kamailio or FreeSWITCH expects:
 *   400 for what the parser let through but a UAS must refuse (a CSeq
 *       method other than the request's, missing or repeated single
 *       headers, a sip: Request-URI that does not decode, naming why), 416
 *       for a Request-URI scheme it does not serve, 420 with
 *       Unsupported for unknown Require/Proxy-Require options, 415 with
 *       Accept for a body it cannot read, 483 when Max-Forwards is spent on
 *       a request that would be forwarded, 405/501 with Allow for methods it
 *       does not serve; OPTIONS gets 200 with Allow, Accept and Supported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sip_reply.h"
#include "sip_uas.h"

struct answer {
	uint16_t code;
	const char *reason;
	char why[96];    /* a reason that names a problem */
	char extra[512]; /* header lines, each ending in CRLF */
};

static void
say(struct answer *an, uint16_t code, const char *reason)
{
	an->code = code;
	an->reason = reason;
}

static bool
supported(const struct pl *opt)
{
	char buf[] = SIP_SUPPORTED;
	struct pl rest = pl_from_str(buf), tok;

	while (sip_token_next(&tok, &rest) == 0)
		if (pl_eqi(&tok, opt))
			return true;
	return false;
}

/* 420: every option of Require and Proxy-Require we do not support. */
static bool
check_require(const struct sip_msg *msg, struct answer *an)
{
	static const enum sip_hdr_id ids[] = { SIP_HDR_REQUIRE,
		                               SIP_HDR_PROXY_REQUIRE };
	size_t n = 0;
	struct pl v;

	for (size_t i = 0; i < 2; i++) {
		struct sip_hdr_iter it;

		sip_hdr_iter_init(&it, msg, ids[i]);
		while (sip_hdr_iter_next(&v, &it) == 0) {
			if (!v.l || supported(&v))
				continue;
			n += (size_t)snprintf(
			    an->extra + n,
			    n < sizeof(an->extra) ? sizeof(an->extra) - n : 0,
			    "Unsupported: %.*s\r\n", PL_ARG(v));
		}
	}
	if (!n)
		return false;
	say(an, 420, "Bad Extension");
	return true;
}

static bool
check_body(const struct sip_msg *msg, struct answer *an)
{
	const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTENT_TYPE);
	struct sip_ctype ct;

	if (!msg->body.l)
		return false;
	if (h && sip_ctype_decode(&ct, &h->val) == 0 &&
	    sip_ctype_is(&ct, "application", "sdp"))
		return false;
	say(an, 415, "Unsupported Media Type");
	snprintf(an->extra, sizeof(an->extra), "Accept: " SIP_ACCEPT "\r\n");
	return true;
}

/* What the parser accepts but a UAS must not (RFC 4475 §3.1.2.17, 3.3.1,
 * 3.3.8): the reason names the problem. */
static bool
check_shape(const struct sip_msg *msg, struct answer *an)
{
	static const struct {
		enum sip_hdr_id id;
		const char *missing, *repeated;
	} one[] = {
		{ SIP_HDR_CALL_ID, "Missing Call-ID", "Multiple Call-ID" },
		{ SIP_HDR_FROM, "Missing From", "Multiple From" },
		{ SIP_HDR_TO, "Missing To", "Multiple To" },
		{ SIP_HDR_CSEQ, "Missing CSeq", "Multiple CSeq" },
		{ SIP_HDR_MAX_FORWARDS, NULL, "Multiple Max-Forwards" },
		{ SIP_HDR_CONTENT_TYPE, NULL, "Multiple Content-Type" },
	};

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		unsigned n = sip_msg_hdr_count(msg, one[i].id);

		if (n == 0 && one[i].missing) {
			say(an, 400, one[i].missing);
			return true;
		}
		if (n > 1) {
			say(an, 400, one[i].repeated);
			return true;
		}
	}
	if (!pl_eq(&msg->cseq_method, &msg->method)) {
		say(an, 400, "CSeq Method Does Not Match Request");
		return true;
	}
	return false;
}

/* With calls on: what goes to the call router (a new INVITE) or to a
 * dialog (a request with a To tag) through a transaction. */
static bool
for_calls(const struct sip_msg *msg, struct answer *an)
{
	bool in_dialog = pl_isset(&msg->to.tag);

	switch (msg->meth) {
	case SIP_METHOD_INVITE:
		if (!in_dialog && msg->max_forwards == 0) {
			say(an, 483, NULL);
			return true;
		}
		an->code = 0;
		return true;
	case SIP_METHOD_BYE:
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_INFO:
	case SIP_METHOD_MESSAGE:
	case SIP_METHOD_PRACK:
		if (in_dialog) {
			an->code = 0;
			return true;
		}
		if (msg->meth == SIP_METHOD_BYE ||
		    msg->meth == SIP_METHOD_UPDATE ||
		    msg->meth == SIP_METHOD_PRACK) {
			say(an, 481, NULL); /* RFC 3261 §12.2.2 */
			return true;
		}
		return false;
	default:
		return false;
	}
}

static void
decide(const struct sip_msg *msg, struct answer *an, bool calls)
{
	struct sip_uri uri;
	const char *why;
	bool bad;

	if (check_shape(msg, an))
		return;
	bad = sip_uri_decode(&uri, &msg->ruri) != 0;
	/* a sip: URI that does not decode is malformed, not unsupported */
	if (bad && (why = sip_uri_problem(&msg->ruri)) != NULL) {
		snprintf(an->why, sizeof(an->why), "Bad Request-URI: %s", why);
		say(an, 400, an->why);
		return;
	}
	if (bad ||
	    (uri.scheme != SIP_SCHEME_SIP && uri.scheme != SIP_SCHEME_SIPS)) {
		say(an, 416, "Unsupported URI Scheme");
		return;
	}
	if (msg->meth != SIP_METHOD_CANCEL && check_require(msg, an))
		return;
	/* INFO and MESSAGE inside a call carry any body to the other leg */
	if (!(calls && pl_isset(&msg->to.tag) &&
	      (msg->meth == SIP_METHOD_INFO ||
	       msg->meth == SIP_METHOD_MESSAGE)) &&
	    check_body(msg, an))
		return;
	if (calls && for_calls(msg, an))
		return;
	switch (msg->meth) {
	case SIP_METHOD_OPTIONS:
		say(an, 200, NULL);
		snprintf(an->extra, sizeof(an->extra),
		         "Allow: " SIP_ALLOW "\r\nAccept: " SIP_ACCEPT
		         "\r\nSupported: " SIP_SUPPORTED
		         "\r\nAccept-Language: en\r\n");
		return;
	case SIP_METHOD_CANCEL:
		say(an, 481, NULL); /* no INVITE of ours to cancel */
		return;
	case SIP_METHOD_REGISTER:
		an->code = 0; /* the registrar's */
		return;
	case SIP_METHOD_OTHER:
		say(an, 501, NULL);
		break;
	default:
		/* a request we would route: Max-Forwards spent? */
		if (msg->max_forwards == 0 &&
		    msg->meth != SIP_METHOD_REGISTER) {
			say(an, 483, NULL);
			return;
		}
		say(an, 405, NULL);
		break;
	}
	snprintf(an->extra, sizeof(an->extra), "Allow: " SIP_ALLOW "\r\n");
}

void
sip_uas_reply(rt_actor *a, struct sip_stack *s, const struct sip_msg *msg,
              const Pbx__SipFlow *f, uint16_t code, const char *reason)
{
	char tag[24];
	struct pl totag;

	sip_make_tag(tag, sizeof(tag), rt_self(a), msg->cseq);
	totag = pl_from_str(tag);
	/* not to a request without a Via: nowhere to send it */
	sip_reply_send(s, a,
	               &(struct sip_reply){ .req = msg,
	                                    .flow = f,
	                                    .code = code,
	                                    .reason = reason,
	                                    .totag = &totag });
}

/* 400 to a request that did not parse, with the parser's reason. When the
 * request line itself was bad, no header got indexed: index them behind a
 * stand-in request line, only to know where to answer. */
static void
reject(rt_actor *a, struct sip_stack *s, struct sip_msg *msg,
       const Pbx__SipPacket *p)
{
	static const char stand_in[] = "BAD sip:invalid SIP/2.0\r\n";
	const char *reason = msg->err ? msg->err : "Bad Request";
	const char *data = (const char *)p->data.data;
	const char *eol = memchr(data, '\n', p->data.len);
	struct sip_msg *m2;
	char *buf;
	size_t rest;

	if (sip_msg_hdr(msg, SIP_HDR_VIA) || !eol) {
		sip_uas_reply(a, s, msg, p->flow, 400, reason);
		return;
	}
	rest = p->data.len - (size_t)(eol + 1 - data);
	buf = malloc(sizeof(stand_in) + rest);
	m2 = malloc(sizeof(*m2));
	if (buf && m2) {
		memcpy(buf, stand_in, sizeof(stand_in) - 1);
		memcpy(buf + sizeof(stand_in) - 1, eol + 1, rest);
		sip_msg_decode(m2, buf, sizeof(stand_in) - 1 + rest,
		               &s->limits);
		sip_uas_reply(a, s, m2, p->flow, 400, reason);
	}
	free(buf);
	free(m2);
}

enum sip_in
sip_uas_accept(rt_actor *a, struct sip_stack *s, struct sip_msg *msg,
               const Pbx__SipPacket *p)
{
	const char *data = (const char *)p->data.data;

	if (sip_msg_decode(msg, data, p->data.len, &s->limits) != 0) {
		atomic_fetch_add_explicit(&s->n_bad, 1, memory_order_relaxed);
		rt_debug("malformed message: %s", msg->err ? msg->err : "?");
		if (p->data.len > 4 && memcmp(data, "SIP/", 4) != 0)
			reject(a, s, msg, p);
		return SIP_IN_DONE;
	}
	if (!msg->req)
		return SIP_IN_RESPONSE;
	if (!pl_eq_str(&msg->ver, "SIP/2.0")) {
		sip_uas_reply(a, s, msg, p->flow, 505, NULL);
		return SIP_IN_DONE;
	}
	return SIP_IN_REQUEST;
}

bool
sip_uas_stateless(rt_actor *a, struct sip_stack *s, const struct sip_msg *msg,
                  const Pbx__SipFlow *flow)
{
	struct answer an = { 0 };
	char tag[24];
	struct pl totag;

	decide(msg, &an, s->calls != NULL);
	if (an.code == 0 && msg->meth == SIP_METHOD_REGISTER && !s->registrar) {
		say(&an, 405, NULL);
		snprintf(an.extra, sizeof(an.extra),
		         "Allow: " SIP_ALLOW "\r\n");
	}
	/* a REGISTER is the registrar's (its 404 and 401 too: the SIP core
	 * hands it over by message, registrar_screen answers) */
	if (an.code == 0)
		return false; /* the registrar, or a transaction (calls) */
	sip_stable_tag(tag, sizeof(tag), rt_self(a).node, msg);
	totag = pl_from_str(tag);
	sip_reply_send(s, a,
	               &(struct sip_reply){ .req = msg,
	                                    .flow = flow,
	                                    .code = an.code,
	                                    .reason = an.reason,
	                                    .totag = &totag,
	                                    .extra = an.extra });
	return true;
}
