/* libFuzzer target: the eager parser, framing, every header decoder reached
 * through the index, the reply builder and the encode/decode round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

static struct sip_msg msg, again;

static void
decode_all(const struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct pl v;

	for (unsigned i = 0; i < m->hdrc; i++) {
		const struct sip_hdr *h = &m->hdrv[i];
		union {
			struct sip_addr addr;
			struct sip_via via;
			struct sip_contact ct;
			struct sip_cseq cseq;
			struct sip_ctype ctype;
			struct sip_auth auth;
			struct sip_reason reason;
			struct sip_session_expires se;
			struct sip_retry_after ra;
			uint32_t u;
			size_t z;
		} d;
		struct pl rest = h->val, e;

		switch (h->id) {
		case SIP_HDR_FROM:
		case SIP_HDR_TO:
		case SIP_HDR_REFER_TO:
		case SIP_HDR_REFERRED_BY:
			(void)sip_addr_decode(&d.addr, &h->val);
			break;
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
		case SIP_HDR_PATH:
			while (sip_list_next(&e, &rest) == 0)
				(void)sip_addr_decode(&d.addr, &e);
			break;
		case SIP_HDR_CSEQ:
			(void)sip_cseq_decode(&d.cseq, &h->val);
			break;
		case SIP_HDR_CONTENT_TYPE:
			(void)sip_ctype_decode(&d.ctype, &h->val);
			break;
		case SIP_HDR_ACCEPT:
			while (sip_list_next(&e, &rest) == 0)
				(void)sip_ctype_decode(&d.ctype, &e);
			break;
		case SIP_HDR_AUTHORIZATION:
		case SIP_HDR_PROXY_AUTHORIZATION:
		case SIP_HDR_WWW_AUTHENTICATE:
		case SIP_HDR_PROXY_AUTHENTICATE:
			(void)sip_auth_decode(&d.auth, &h->val);
			break;
		case SIP_HDR_REASON:
			(void)sip_reason_decode(&d.reason, &h->val);
			break;
		case SIP_HDR_SESSION_EXPIRES:
		case SIP_HDR_MIN_SE:
			(void)sip_session_expires_decode(&d.se, &h->val);
			break;
		case SIP_HDR_RETRY_AFTER:
			(void)sip_retry_after_decode(&d.ra, &h->val);
			break;
		case SIP_HDR_MIN_EXPIRES:
		case SIP_HDR_EXPIRES:
			(void)sip_expires_decode(&d.u, &h->val);
			break;
		case SIP_HDR_CONTENT_LENGTH:
			(void)sip_content_length_decode(&d.z, &h->val);
			break;
		default:
			while (sip_token_next(&e, &rest) == 0)
				;
			break;
		}
	}
	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		struct sip_via via;
		(void)sip_via_decode(&via, &v);
	}
	sip_hdr_iter_init(&it, m, SIP_HDR_CONTACT);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		struct sip_contact ct;
		(void)sip_contact_decode(&ct, &v);
	}
	(void)sip_msg_has_token(m, SIP_HDR_REQUIRE, "100rel");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[2 * 65536 + 1024];
	const char *buf = (const char *)data;
	struct sip_buf b;
	struct pl tag = PL("fuzztag");
	size_t fl;

	if (sip_msg_frame(&fl, buf, size, NULL) == 0 && fl > size)
		abort();
	if (sip_msg_decode(&msg, buf, size, NULL) != 0)
		return 0;
	if (msg.raw.p < buf || msg.raw.p + msg.raw.l > buf + size)
		abort();
	decode_all(&msg);
	if (msg.req) {
		struct sip_uri uri;
		(void)sip_uri_decode(&uri, &msg.ruri);
		sip_buf_init(&b, out, sizeof(out));
		if (sip_reply(&b, &msg, 400, msg.err, &tag) == 0 &&
		    sip_msg_decode(&again, out, b.pos, NULL) != 0)
			abort();
	}
	/* what we accept, we re-encode into something we accept again */
	sip_buf_init(&b, out, sizeof(out));
	if (sip_msg_encode(&b, &msg) != 0)
		abort();
	if (sip_msg_decode(&again, out, b.pos, NULL) != 0)
		abort();
	/* same lines, except that Content-Length is always written */
	if (again.hdrc - sip_msg_hdr_count(&again, SIP_HDR_CONTENT_LENGTH) !=
	        msg.hdrc - sip_msg_hdr_count(&msg, SIP_HDR_CONTENT_LENGTH) ||
	    again.body.l != msg.body.l || again.req != msg.req ||
	    again.scode != msg.scode || again.cseq != msg.cseq)
		abort();
	return 0;
}
