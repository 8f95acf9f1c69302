/* Building requests and responses into one caller-owned buffer. */
#include <errno.h>
#include <stdio.h>

#include "sip_int.h"

void
sip_buf_init(struct sip_buf *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->pos = 0;
}

int
sip_buf_write(struct sip_buf *b, const void *p, size_t l)
{
	if (l > b->size - b->pos)
		return ENOSPC;
	if (l)
		memcpy(b->p + b->pos, p, l);
	b->pos += l;
	return 0;
}

int
sip_buf_str(struct sip_buf *b, const char *s)
{
	return sip_buf_write(b, s, strlen(s));
}

int
sip_buf_pl(struct sip_buf *b, const struct pl *pl)
{
	return sip_buf_write(b, pl->p, pl->p ? pl->l : 0);
}

int
sip_buf_uint(struct sip_buf *b, uint64_t v)
{
	char d[20];
	size_t n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return sip_buf_write(b, d + n, sizeof(d) - n);
}

int
sip_buf_vprintf(struct sip_buf *b, const char *fmt, va_list ap)
{
	size_t room = b->size - b->pos;
	int n;

	n = vsnprintf(room ? b->p + b->pos : NULL, room, fmt, ap);
	if (n < 0)
		return EINVAL;
	if ((size_t)n >= room)
		return ENOSPC;
	b->pos += (size_t)n;
	return 0;
}

int
sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = sip_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

const char *
sip_reason_phrase(uint16_t code)
{
	switch (code) {
	case 100:
		return "Trying";
	case 180:
		return "Ringing";
	case 181:
		return "Call Is Being Forwarded";
	case 182:
		return "Queued";
	case 183:
		return "Session Progress";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 204:
		return "No Notification";
	case 300:
		return "Multiple Choices";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Moved Temporarily";
	case 305:
		return "Use Proxy";
	case 380:
		return "Alternative Service";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 410:
		return "Gone";
	case 413:
		return "Request Entity Too Large";
	case 414:
		return "Request-URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Unsupported URI Scheme";
	case 420:
		return "Bad Extension";
	case 421:
		return "Extension Required";
	case 422:
		return "Session Interval Too Small";
	case 423:
		return "Interval Too Brief";
	case 480:
		return "Temporarily Unavailable";
	case 481:
		return "Call/Transaction Does Not Exist";
	case 482:
		return "Loop Detected";
	case 483:
		return "Too Many Hops";
	case 484:
		return "Address Incomplete";
	case 485:
		return "Ambiguous";
	case 486:
		return "Busy Here";
	case 487:
		return "Request Terminated";
	case 488:
		return "Not Acceptable Here";
	case 489:
		return "Bad Event";
	case 491:
		return "Request Pending";
	case 493:
		return "Undecipherable";
	case 500:
		return "Server Internal Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Server Time-out";
	case 505:
		return "Version Not Supported";
	case 513:
		return "Message Too Large";
	case 600:
		return "Busy Everywhere";
	case 603:
		return "Decline";
	case 604:
		return "Does Not Exist Anywhere";
	case 606:
		return "Not Acceptable";
	default:
		return "Unknown";
	}
}

/* Every builder below writes all or nothing: on error pos is restored. */
#define UNDO_ON(err, b, pos0)                                                  \
	do {                                                                   \
		if (err)                                                       \
			(b)->pos = (pos0);                                     \
	} while (0)

int
sip_build_request_line(struct sip_buf *b, const struct pl *method,
                       const struct pl *ruri)
{
	size_t pos0 = b->pos;
	int err;

	err = sip_buf_pl(b, method);
	err = err ? err : sip_buf_write(b, " ", 1);
	err = err ? err : sip_buf_pl(b, ruri);
	err = err ? err : sip_buf_str(b, " SIP/2.0\r\n");
	UNDO_ON(err, b, pos0);
	return err;
}

/* The reason as a slice: it may come from a parsed message. */
static int
status_line(struct sip_buf *b, uint16_t code, const struct pl *reason)
{
	size_t pos0 = b->pos;
	int err;

	if (code < 100 || code > 699)
		return EINVAL;
	err = sip_buf_write(b, "SIP/2.0 ", 8);
	err = err ? err : sip_buf_uint(b, code);
	err = err ? err : sip_buf_write(b, " ", 1);
	err = err ? err : sip_buf_pl(b, reason);
	err = err ? err : sip_buf_write(b, "\r\n", 2);
	UNDO_ON(err, b, pos0);
	return err;
}

int
sip_build_status_line(struct sip_buf *b, uint16_t code, const char *reason)
{
	struct pl r = pl_from_str(reason ? reason : sip_reason_phrase(code));
	return status_line(b, code, &r);
}

int
sip_build_hdr(struct sip_buf *b, const char *name, const struct pl *val)
{
	size_t pos0 = b->pos;
	int err;

	err = sip_buf_str(b, name);
	err = err ? err : sip_buf_write(b, ": ", 2);
	err = err ? err : sip_buf_pl(b, val);
	err = err ? err : sip_buf_write(b, "\r\n", 2);
	UNDO_ON(err, b, pos0);
	return err;
}

int
sip_build_hdrf(struct sip_buf *b, const char *name, const char *fmt, ...)
{
	size_t pos0 = b->pos;
	va_list ap;
	int err;

	err = sip_buf_str(b, name);
	err = err ? err : sip_buf_write(b, ": ", 2);
	if (!err) {
		va_start(ap, fmt);
		err = sip_buf_vprintf(b, fmt, ap);
		va_end(ap);
	}
	err = err ? err : sip_buf_write(b, "\r\n", 2);
	UNDO_ON(err, b, pos0);
	return err;
}

int
sip_build_end(struct sip_buf *b, const char *ctype, const struct pl *body)
{
	size_t pos0 = b->pos, blen = body && body->p ? body->l : 0;
	int err = 0;

	if (ctype && blen) {
		struct pl ct = pl_from_str(ctype);

		err = sip_build_hdr(b, "Content-Type", &ct);
	}
	err = err ? err : sip_buf_str(b, "Content-Length: ");
	err = err ? err : sip_buf_uint(b, blen);
	err = err ? err : sip_buf_write(b, "\r\n\r\n", 4);
	if (!err && blen)
		err = sip_buf_write(b, body->p, blen);
	UNDO_ON(err, b, pos0);
	return err;
}

/* Every line of header id, verbatim values under the canonical name. */
static int
copy_hdrs(struct sip_buf *b, const struct sip_msg *msg, enum sip_hdr_id id)
{
	int err = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h && !err;
	     h = sip_msg_hdr_next(msg, h))
		err = sip_build_hdr(b, sip_hdr_name(id), &h->val);
	return err;
}

int
sip_reply_begin(struct sip_buf *b, const struct sip_msg *req, uint16_t code,
                const char *reason, const struct pl *totag)
{
	size_t pos0 = b->pos;
	const struct sip_hdr *to;
	int err;

	if (!req->req)
		return EINVAL;
	err = sip_build_status_line(b, code, reason);
	err = err ? err : copy_hdrs(b, req, SIP_HDR_VIA);
	err = err ? err : copy_hdrs(b, req, SIP_HDR_FROM);
	to = sip_msg_hdr(req, SIP_HDR_TO);
	if (!err && to) {
		struct sip_addr a;
		bool add = totag && totag->p && totag->l &&
		           sip_addr_decode(&a, &to->val) == 0 && !a.tag.p;
		err = sip_buf_str(b, "To: ");
		err = err ? err : sip_buf_pl(b, &to->val);
		if (!err && add) {
			err = sip_buf_write(b, ";tag=", 5);
			err = err ? err : sip_buf_pl(b, totag);
		}
		err = err ? err : sip_buf_write(b, "\r\n", 2);
	}
	err = err ? err : copy_hdrs(b, req, SIP_HDR_CALL_ID);
	err = err ? err : copy_hdrs(b, req, SIP_HDR_CSEQ);
	UNDO_ON(err, b, pos0);
	return err;
}

int
sip_reply(struct sip_buf *b, const struct sip_msg *req, uint16_t code,
          const char *reason, const struct pl *totag)
{
	size_t pos0 = b->pos;
	int err;

	err = sip_reply_begin(b, req, code, reason, totag);
	err = err ? err : sip_build_end(b, NULL, NULL);
	UNDO_ON(err, b, pos0);
	return err;
}

int
sip_msg_encode(struct sip_buf *b, const struct sip_msg *msg)
{
	size_t pos0 = b->pos;
	int err;

	if (msg->req)
		err = sip_build_request_line(b, &msg->method, &msg->ruri);
	else
		err = status_line(b, msg->scode, &msg->reason);
	for (unsigned i = 0; i < msg->hdrc && !err; i++) {
		const struct sip_hdr *h = &msg->hdrv[i];
		if (h->id == SIP_HDR_CONTENT_LENGTH)
			continue;
		if (h->id == SIP_HDR_OTHER) {
			err = sip_buf_pl(b, &h->name);
			err = err ? err : sip_buf_write(b, ": ", 2);
			err = err ? err : sip_buf_pl(b, &h->val);
			err = err ? err : sip_buf_write(b, "\r\n", 2);
		} else {
			err = sip_build_hdr(b, sip_hdr_name(h->id), &h->val);
		}
	}
	err = err ? err : sip_build_end(b, NULL, &msg->body);
	UNDO_ON(err, b, pos0);
	return err;
}
