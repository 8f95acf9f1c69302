/*
 * What the TCP transport decides without I/O: where a SIP message ends in a
 * byte stream (incrementally: each byte of the header is looked at about
 * once however the stream is cut into reads, and the maximum size is
 * enforced before the header is even complete), and which source a peer's
 * connections count against.
 */
#include <string.h>

#include "sip_tcp.h"

#define UNKNOWN ((size_t)-1)

void
sip_tcp_framer_reset(struct sip_tcp_framer *f)
{
	f->start = UNKNOWN;
	f->scan = 0;
	f->total = 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The Content-Length among the header lines in [p, end); EBADMSG when there
 * is none or two that differ, as sip_msg_frame has it. */
static int
content_length(size_t *out, const char *p, const char *end)
{
	bool have = false;
	size_t clen = 0, n;

	for (const char *q = p; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		const char *colon, *ne;
		struct pl val;

		if (!nl)
			nl = end;
		colon = memchr(q, ':', (size_t)(nl - q));
		if (colon && q != p) {
			ne = colon;
			while (ne > q && is_space(ne[-1]))
				ne--;
			if (sip_hdr_lookup(q, (size_t)(ne - q)) ==
			    SIP_HDR_CONTENT_LENGTH) {
				val.p = colon + 1;
				val.l = (size_t)(nl - val.p);
				if (sip_content_length_decode(&n, &val) ||
				    (have && n != clen))
					return EBADMSG;
				clen = n;
				have = true;
			}
		}
		q = nl + 1;
	}
	if (!have)
		return EBADMSG;
	*out = clen;
	return 0;
}

int
sip_tcp_frame(struct sip_tcp_framer *f, size_t *framelen, const char *buf,
              size_t len, const struct sip_limits *lim)
{
	size_t i, hend = 0, clen;
	int err;

	if (f->total)
		goto body;
	if (f->start == UNKNOWN) {
		/* leading line ends (keep-alives) belong to the message */
		while (f->scan < len &&
		       (buf[f->scan] == '\r' || buf[f->scan] == '\n'))
			f->scan++;
		if (f->scan == len)
			return ENODATA;
		f->start = f->scan;
	}
	/* the header ends at the first empty line: "\n\n" or "\n\r\n" */
	for (i = f->scan; i < len; i++) {
		const char *nl = memchr(buf + i, '\n', len - i);

		if (!nl) {
			i = len;
			break;
		}
		i = (size_t)(nl - buf);
		if (i + 1 < len && buf[i + 1] == '\n') {
			hend = i + 2;
			break;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			hend = i + 3;
			break;
		}
		if (i + 2 >= len && (i + 1 == len || buf[i + 1] == '\r'))
			break; /* the next read says: look at this '\n' again */
	}
	f->scanned += (hend ? hend : i) - f->scan + 1;
	if (!hend) {
		f->scan = i;
		return len - f->start > lim->max_size ? EMSGSIZE : ENODATA;
	}
	f->scan = hend;
	err = content_length(&clen, buf + f->start, buf + hend);
	if (err)
		return err;
	if (hend - f->start + clen > lim->max_size)
		return EMSGSIZE;
	f->total = hend + clen;
body:
	if (f->total > len)
		return ENODATA;
	*framelen = f->total;
	sip_tcp_framer_reset(f);
	return 0;
}

void
sip_tcp_source_key(uint8_t key[16], const struct sockaddr_storage *ss)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0,    0,
		                            0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a6;

	memset(key, 0, 16);
	if (ss->ss_family != AF_INET6) {
		memcpy(key, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return;
	}
	a6 = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
	if (memcmp(a6, mapped, 12) == 0) {
		memcpy(key, a6 + 12, 4); /* a dual-stack socket's IPv4 peer */
		return;
	}
	/* one subscriber gets a /64: its addresses are one source */
	key[15] = 6;
	memcpy(key, a6, 8);
}
