/*
 * Responses to requests as they arrived: the top Via gets received= and the
 * value of rport= (RFC 3261 §18.2.1, RFC 3581), so the response finds its
 * way back to a client behind NAT; then the other Vias, From, To (with our
 * tag), Call-ID and CSeq.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip_reply.h"

/* Dotted quad without printf (glibc's inet_ntop formats IPv4 with
 * sprintf, a third of a stateless reply's cost); n >= 16. */
static void
ipv4_str(char *buf, const uint8_t *a)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
}

static void
ip_str(char *buf, size_t n, const ProtobufCBinaryData *ip)
{
	buf[0] = '\0';
	if (ip->len == 4 && n >= INET_ADDRSTRLEN)
		ipv4_str(buf, ip->data);
	else if (ip->len == 16)
		inet_ntop(AF_INET6, ip->data, buf, (socklen_t)n);
}

/* The first Via value with our parameters. */
static int
top_via(struct sip_buf *b, const struct pl *v, const Pbx__SipFlow *f)
{
	const char *semi = memchr(v->p, ';', v->l);
	struct pl head = { v->p, semi ? (size_t)(semi - v->p) : v->l };
	struct pl rest = { semi ? semi : v->p + v->l,
		           semi ? v->l - head.l : 0 };
	struct pl name, val;
	struct sip_via via;
	char ip[INET6_ADDRSTRLEN];
	bool rport = false;
	int err;

	ip_str(ip, sizeof(ip), &f->remote_ip);
	if ((err = sip_buf_str(b, "Via: ")) || (err = sip_buf_pl(b, &head)))
		return err;
	while (sip_param_next(&name, &val, &rest) == 0) {
		if (pl_eqi_str(&name, "received"))
			continue;
		if ((err = sip_buf_write(b, ";", 1)) ||
		    (err = sip_buf_pl(b, &name)))
			return err;
		if (pl_eqi_str(&name, "rport")) {
			rport = true;
			err = sip_buf_write(b, "=", 1);
			err = err ? err : sip_buf_uint(b, f->remote_port);
		} else if (pl_isset(&val)) {
			err = sip_buf_write(b, "=", 1);
			err = err ? err : sip_buf_pl(b, &val);
		}
		if (err)
			return err;
	}
	/* RFC 3581: always with rport; RFC 3261: when sent-by differs */
	if (rport || sip_via_decode(&via, v) != 0 || !pl_eq_str(&via.host, ip))
		if ((err = sip_buf_str(b, ";received=")) ||
		    (err = sip_buf_str(b, ip)))
			return err;
	return sip_buf_write(b, "\r\n", 2);
}

static int
copy_hdrs(struct sip_buf *b, const struct sip_msg *req, enum sip_hdr_id id,
          const char *name)
{
	const struct sip_hdr *h;
	int err;

	for (h = sip_msg_hdr(req, id); h; h = sip_msg_hdr_next(req, h))
		if ((err = sip_build_hdr(b, name, &h->val)))
			return err;
	return 0;
}

int
sip_reply_start(struct sip_buf *b, const struct sip_msg *req,
                const Pbx__SipFlow *f, uint16_t code, const char *reason,
                const struct pl *totag)
{
	struct sip_hdr_iter it;
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	struct sip_addr ta;
	struct pl v;
	bool first = true;
	int err;

	if ((err = sip_build_status_line(b, code, reason)))
		return err;
	sip_hdr_iter_init(&it, req, SIP_HDR_VIA);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		err = first && f ? top_via(b, &v, f)
		                 : sip_build_hdr(b, "Via", &v);
		if (err)
			return err;
		first = false;
	}
	if ((err = copy_hdrs(b, req, SIP_HDR_FROM, "From")))
		return err;
	if (to) {
		bool tagged =
		    sip_addr_decode(&ta, &to->val) == 0 && pl_isset(&ta.tag);

		if (!tagged && totag && code > 100) {
			err = sip_buf_str(b, "To: ");
			err = err ? err : sip_buf_pl(b, &to->val);
			err = err ? err : sip_buf_write(b, ";tag=", 5);
			err = err ? err : sip_buf_pl(b, totag);
			err = err ? err : sip_buf_write(b, "\r\n", 2);
		} else
			err = sip_build_hdr(b, "To", &to->val);
		if (err)
			return err;
	}
	if ((err = copy_hdrs(b, req, SIP_HDR_CALL_ID, "Call-ID")) ||
	    (err = copy_hdrs(b, req, SIP_HDR_CSEQ, "CSeq")))
		return err;
	return sip_buf_str(b, "Server: " SIP_SERVER_NAME "\r\n");
}

int
sip_reply_build(struct sip_buf *b, const struct sip_reply *r)
{
	int err =
	    sip_reply_start(b, r->req, r->flow, r->code, r->reason, r->totag);

	if (!err && r->extra)
		err = sip_buf_str(b, r->extra);
	if (!err && r->hdrs)
		err = r->hdrs(b, r->arg);
	return err ? err : sip_build_end(b, r->body ? r->ctype : NULL, r->body);
}

void
sip_reply_cannot(const struct sip_reply *r, int err)
{
	char ft[160];

	/* the sender waits for an answer it will not get: say why */
	sip_flow_text(ft, sizeof(ft), r->flow);
	SIP_WARN_LIMITED("answer %u to %.*s from %s (%zu bytes) cannot be "
	                 "built: %s",
	                 r->code, PL_ARG(r->req->method), ft, r->req->raw.l,
	                 strerror(err));
}

int
sip_reply_send(struct sip_stack *s, rt_actor *a, const struct sip_reply *r)
{
	char buf[16384], *out, *heap;
	size_t n = sizeof(buf);
	struct sip_buf b;
	int err = ENOMEM;

	if (!sip_msg_hdr(r->req, SIP_HDR_VIA))
		return EBADMSG; /* nowhere to send it */
	/* an answer repeats the request's headers: room for a large one */
	if ((out = sip_answer_room(r->req, buf, &n, &heap))) {
		sip_buf_init(&b, out, n);
		if ((err = sip_reply_build(&b, r)) == 0) {
			/* a failed send is logged where it failed */
			err = sip_send_response(s, a, r->flow, out, b.pos);
			free(heap);
			return err;
		}
		free(heap);
	}
	sip_reply_cannot(r, err);
	return err;
}

int
sip_reply_simple(struct sip_buf *b, const struct sip_msg *req,
                 const Pbx__SipFlow *f, uint16_t code, const char *reason,
                 const struct pl *totag)
{
	return sip_reply_build(b, &(struct sip_reply){ .req = req,
	                                               .flow = f,
	                                               .code = code,
	                                               .reason = reason,
	                                               .totag = totag });
}

void
sip_make_tag(char *buf, size_t n, rt_addr who, uint64_t salt)
{
	/* unique per actor and moment; no secret in it */
	uint64_t x = who.id * 0x9e3779b97f4a7c15ull ^ salt ^
	             ((uint64_t)who.worker << 56) ^ ((uint64_t)who.node << 40);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	if (n < 17) {
		if (n)
			buf[0] = '\0';
		return;
	}
	for (int i = 15; i >= 0; i--, x >>= 4)
		buf[i] = "0123456789abcdef"[x & 15];
	buf[16] = '\0';
}

void
sip_stable_tag(char *buf, size_t n, uint32_t node, const struct sip_msg *req)
{
	const struct sip_hdr *ci = sip_msg_hdr(req, SIP_HDR_CALL_ID);
	const struct sip_hdr *via = sip_msg_hdr(req, SIP_HDR_VIA);
	uint64_t h = RT_HASH_INIT;

	if (ci)
		h = rt_hash(h, ci->val.p, ci->val.l);
	if (via)
		h = rt_hash(h, via->val.p, via->val.l);
	sip_make_tag(buf, n, (rt_addr){ node, 0, h }, req->cseq);
}
