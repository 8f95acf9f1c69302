/* The eager pass: start line, header index, body, RFC 4475 validation. */
#include <errno.h>

#include "sip_int.h"

void
sip_limits_default(struct sip_limits *lim)
{
	lim->max_size = 65536;
	lim->max_hdrs = SIP_MAX_HDRS;
	lim->max_depth = 8;
}

/* "SIP/" 1*DIGIT "." 1*DIGIT, name case-insensitive. */
static bool
version_ok(const struct pl *v)
{
	size_t i = 4, d;

	if (v->l == 7 && !memcmp(v->p, "SIP/2.0", 7))
		return true;
	if (v->l < 7 || strncasecmp(v->p, "SIP/", 4) != 0)
		return false;
	for (d = i; i < v->l && sip_is((unsigned char)v->p[i], SIP_C_DIGIT);)
		i++;
	if (i == d || i >= v->l || v->p[i] != '.')
		return false;
	for (d = ++i; i < v->l && sip_is((unsigned char)v->p[i], SIP_C_DIGIT);)
		i++;
	return i > d && i == v->l;
}

/* A Request-URI: scheme ":" and no LWS (RFC 4475 3.1.2.7, 3.1.2.8). Its
 * characters are checked by sip_uri_decode when someone decodes it. */
static bool
ruri_ok(const struct pl *u)
{
	size_t i = 0;

	if (!u->l || !sip_is((unsigned char)u->p[0], SIP_C_ALPHA))
		return false;
	while (i < u->l && sip_is((unsigned char)u->p[i], SIP_C_SCHEME))
		i++;
	if (i == u->l || u->p[i] != ':')
		return false;
	return !memchr(u->p, ' ', u->l) && !memchr(u->p, '\t', u->l) &&
	       u->p[u->l - 1] != '>';
}

static int
start_line(struct sip_msg *msg, struct pl line)
{
	const char *sp;

	while (line.l &&
	       (line.p[line.l - 1] == ' ' || line.p[line.l - 1] == '\t'))
		line.l--;
	if (line.l > 4 && strncasecmp(line.p, "SIP/", 4) == 0) {
		struct pl code;
		uint32_t c;

		msg->req = false;
		sp = memchr(line.p, ' ', line.l);
		if (!sp)
			goto bad_status;
		msg->ver.p = line.p;
		msg->ver.l = (size_t)(sp - line.p);
		if (!version_ok(&msg->ver))
			goto bad_status;
		code.p = sp + 1;
		code.l = line.l - msg->ver.l - 1;
		sp = memchr(code.p, ' ', code.l);
		if (sp) {
			msg->reason.p = sp + 1;
			msg->reason.l = (size_t)(line.p + line.l - sp - 1);
			code.l = (size_t)(sp - code.p);
		} else {
			msg->reason.p = code.p + code.l;
			msg->reason.l = 0;
		}
		if (code.l != 3 || sip_u32_decode(&c, &code, 699) || c < 100) {
			msg->err = "Bad status code";
			return EBADMSG;
		}
		msg->scode = (uint16_t)c;
		return 0;
	bad_status:
		msg->err = "Bad status line";
		return EBADMSG;
	}

	msg->req = true;
	msg->method.p = line.p;
	msg->method.l = sip_span(&line, SIP_C_TOKEN);
	if (!msg->method.l || msg->method.l == line.l ||
	    line.p[msg->method.l] != ' ')
		goto bad_request;
	msg->meth = sip_method_lookup(&msg->method);
	sp = line.p + line.l;
	while (sp > line.p && sp[-1] != ' ')
		sp--;
	msg->ver.p = sp;
	msg->ver.l = (size_t)(line.p + line.l - sp);
	msg->ruri.p = line.p + msg->method.l;
	msg->ruri.l = (size_t)(sp - msg->ruri.p);
	while (msg->ruri.l && msg->ruri.p[0] == ' ')
		sip_advance(&msg->ruri, 1);
	while (msg->ruri.l && msg->ruri.p[msg->ruri.l - 1] == ' ')
		msg->ruri.l--;
	if (!version_ok(&msg->ver))
		goto bad_request;
	if (!ruri_ok(&msg->ruri)) {
		msg->err = "Bad Request-URI";
		return EBADMSG;
	}
	return 0;
bad_request:
	msg->err = "Bad request line";
	return EBADMSG;
}

/* Depth of <> and () nesting, for the limit on nesting. */
static unsigned
nesting(const struct pl *v)
{
	unsigned d = 0, max = 0;
	const char *p = v->p;
	size_t l = v->l;

	for (size_t i = 0; i < l; i++) {
		char c;
		i += sip_cspan(p + i, l - i, SIP_C_NEST);
		if (i == l)
			break;
		c = p[i];
		if (c == '"') {
			for (i++; i < l && p[i] != '"'; i++) {
				if (p[i] == '\\')
					i++;
			}
		} else if (c == '<' || c == '(') {
			if (++d > max)
				max = d;
		} else if (d) {
			d--;
		}
	}
	return max;
}

static const enum sip_hdr_id single[] = {
	SIP_HDR_CALL_ID, SIP_HDR_CSEQ,         SIP_HDR_FROM,
	SIP_HDR_TO,      SIP_HDR_MAX_FORWARDS, SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_EXPIRES, SIP_HDR_CONTENT_TYPE,
};
static const char *const multiple_err[] = {
	"Multiple Call-ID", "Multiple CSeq",         "Multiple From",
	"Multiple To",      "Multiple Max-Forwards", "Multiple Content-Length",
	"Multiple Expires", "Multiple Content-Type",
};

/* Comments nest in these; addresses cannot nest (a URI holds no <>), and
 * their decoders refuse what would. */
static const enum sip_hdr_id nested[] = {
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_RETRY_AFTER,
};

/* Inline twins of sip_msg_hdr and sip_msg_hdr_next for the hot path. */
static inline const struct sip_hdr *
first_hdr(const struct sip_msg *msg, enum sip_hdr_id id)
{
	return msg->first[id] ? &msg->hdrv[msg->first[id] - 1] : NULL;
}

static inline const struct sip_hdr *
next_hdr(const struct sip_msg *msg, const struct sip_hdr *h)
{
	return h->next ? &msg->hdrv[h->next - 1] : NULL;
}

/* What the parser itself must refuse (RFC 4475 3.1.2, 3.3). */
static int
validate(struct sip_msg *msg, const struct sip_limits *lim)
{
	const struct sip_hdr *h;
	struct sip_cseq cseq;
	struct sip_via via;
	struct sip_contact ct;
	struct pl r;
	uint32_t u;

	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		unsigned k = msg->first[single[i]];
		if (k && msg->hdrv[k - 1].next) {
			msg->err = multiple_err[i];
			return EBADMSG;
		}
	}
	for (size_t i = 0; i < sizeof(nested) / sizeof(nested[0]); i++) {
		for (h = first_hdr(msg, nested[i]); h; h = next_hdr(msg, h)) {
			if (memchr(h->val.p, '(', h->val.l) &&
			    nesting(&h->val) > lim->max_depth) {
				msg->err = "Nesting too deep";
				return EMSGSIZE;
			}
		}
	}

	if (!(h = first_hdr(msg, SIP_HDR_VIA))) {
		msg->err = "Missing Via";
		return EBADMSG;
	}
	/* values are taken off each line in turn: no separate list split */
	for (bool top = true; h; h = next_hdr(msg, h)) {
		r = h->val;
		if (!r.l)
			goto bad_via;
		while (r.l) {
			if (sip_via_take(top ? &msg->via : &via, &r))
				goto bad_via;
			top = false;
			if (r.l) {
				sip_advance(&r, 1); /* the ',' */
				sip_skip_ws(&r);
			}
		}
	}
	if (!(h = first_hdr(msg, SIP_HDR_CSEQ))) {
		msg->err = "Missing CSeq";
		return EBADMSG;
	}
	if (sip_cseq_decode(&cseq, &h->val)) {
		msg->err = "Bad CSeq";
		return EBADMSG;
	}
	msg->cseq = cseq.num;
	msg->cseq_method = cseq.method;
	if (msg->req && !pl_eq(&cseq.method, &msg->method)) {
		msg->err = "CSeq method mismatch";
		return EBADMSG;
	}
	if (!(h = first_hdr(msg, SIP_HDR_CALL_ID))) {
		msg->err = "Missing Call-ID";
		return EBADMSG;
	}
	if (sip_callid_decode(&msg->callid, &h->val)) {
		msg->err = "Bad Call-ID";
		return EBADMSG;
	}
	if (!(h = first_hdr(msg, SIP_HDR_FROM))) {
		msg->err = "Missing From";
		return EBADMSG;
	}
	r = h->val;
	if (sip_addr_take(&msg->from, &r, NULL, NULL) || r.l) {
		msg->err = "Bad From";
		return EBADMSG;
	}
	if (!(h = first_hdr(msg, SIP_HDR_TO))) {
		msg->err = "Missing To";
		return EBADMSG;
	}
	r = h->val;
	if (sip_addr_take(&msg->to, &r, NULL, NULL) || r.l) {
		msg->err = "Bad To";
		return EBADMSG;
	}
	if ((h = first_hdr(msg, SIP_HDR_MAX_FORWARDS))) {
		if (sip_max_forwards_decode(&u, &h->val)) {
			msg->err = "Bad Max-Forwards";
			return EBADMSG;
		}
		msg->max_forwards = (int32_t)u;
	}
	if ((h = first_hdr(msg, SIP_HDR_EXPIRES)) &&
	    sip_expires_decode(&u, &h->val)) {
		msg->err = "Bad Expires";
		return EBADMSG;
	}
	if ((h = first_hdr(msg, SIP_HDR_RETRY_AFTER))) {
		struct sip_retry_after ra;
		if (sip_retry_after_decode(&ra, &h->val)) {
			msg->err = "Bad Retry-After";
			return EBADMSG;
		}
	}
	for (h = first_hdr(msg, SIP_HDR_CONTACT); h; h = next_hdr(msg, h)) {
		r = h->val;
		if (!r.l)
			goto bad_contact;
		while (r.l) {
			if (sip_contact_take(
			        msg->has_contact ? &ct : &msg->contact, &r))
				goto bad_contact;
			msg->has_contact = true;
			if (r.l) {
				sip_advance(&r, 1);
				sip_skip_ws(&r);
			}
		}
	}
	return 0;
bad_via:
	msg->err = "Bad Via";
	return EBADMSG;
bad_contact:
	msg->err = "Bad Contact";
	return EBADMSG;
}

/* Eight bytes of a literal (padded with NULs) as a word, for compares. */
static inline uint64_t
word8(const char *s)
{
	uint64_t v;
	memcpy(&v, s, sizeof(v));
	return v;
}

/* The first n (1..8) bytes of w, the rest zeroed. */
static inline uint64_t
head(uint64_t w, size_t n)
{
	if (n >= 8)
		return w;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w & ((1ULL << (8 * n)) - 1);
#else
	return w & ~(~0ULL >> (8 * n));
#endif
}

/* The headers every request carries, compared a word at a time before the
 * general lookup (w: the lowercased name, l its length). */
static inline enum sip_hdr_id
hot_lookup(const uint64_t *w, size_t l)
{
	switch (l) {
	case 2:
		return head(w[0], 2) == word8("to\0\0\0\0\0\0") ? SIP_HDR_TO
		                                                : SIP_HDR_OTHER;
	case 3:
		return head(w[0], 3) == word8("via\0\0\0\0\0") ? SIP_HDR_VIA
		                                               : SIP_HDR_OTHER;
	case 4:
		if (head(w[0], 4) == word8("from\0\0\0\0"))
			return SIP_HDR_FROM;
		if (head(w[0], 4) == word8("cseq\0\0\0\0"))
			return SIP_HDR_CSEQ;
		break;
	case 7:
		if (head(w[0], 7) == word8("call-id\0"))
			return SIP_HDR_CALL_ID;
		if (head(w[0], 7) == word8("contact\0"))
			return SIP_HDR_CONTACT;
		break;
	case 12:
		if (w[0] == word8("max-forw") &&
		    head(w[1], 4) == word8("ards\0\0\0\0"))
			return SIP_HDR_MAX_FORWARDS;
		if (w[0] == word8("content-") &&
		    head(w[1], 4) == word8("type\0\0\0\0"))
			return SIP_HDR_CONTENT_TYPE;
		break;
	case 14:
		if (w[0] == word8("content-") &&
		    head(w[1], 6) == word8("length\0\0"))
			return SIP_HDR_CONTENT_LENGTH;
		break;
	default:
		break;
	}
	return SIP_HDR_OTHER;
}

/* Index the header lines starting at p; *endp gets the first body byte. */
static int
index_headers(struct sip_msg *msg, const char **endp, const char *p,
              const char *end, const struct sip_limits *lim)
{
	uint16_t last[SIP_HDR_COUNT_];
	unsigned max =
	    lim->max_hdrs < SIP_MAX_HDRS ? lim->max_hdrs : SIP_MAX_HDRS;

	for (;;) {
		const char *nl, *vend, *q;
		struct sip_hdr *h;
		struct pl name;
		char lc[24]; /* = 3 words */
		enum sip_hdr_id id;

		if (p >= end) {
			msg->err = "Missing empty line after headers";
			return EBADMSG;
		}
		if (*p == '\n') {
			*endp = p + 1;
			return 0;
		}
		if (*p == '\r') {
			if (p + 1 < end && p[1] == '\n') {
				*endp = p + 2;
				return 0;
			}
			msg->err = "Malformed header line";
			return EBADMSG;
		}
		/* the line, with its continuation lines */
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl && nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t')) {
			do
				nl = memchr(nl + 1, '\n',
				            (size_t)(end - nl - 1));
			while (nl && nl + 1 < end &&
			       (nl[1] == ' ' || nl[1] == '\t'));
		}
		if (!nl) {
			msg->err = "Missing empty line after headers";
			return EBADMSG;
		}
		vend = nl;
		/* the name: token characters, then optional SP/HT and ':' */
		name.p = p;
		name.l = sip_span(&(struct pl){ p, (size_t)(vend - p) },
		                  SIP_C_TOKEN);
		if (!name.l)
			goto malformed;
		q = p + name.l;
		while (q < vend && (*q == ' ' || *q == '\t'))
			q++;
		if (q == vend || *q != ':')
			goto malformed;
		if (name.l <= sizeof(lc) && (size_t)(end - p) >= sizeof(lc)) {
			/* Lowercase 8 bytes at a time: of the token characters
			 * only 'A'..'Z' change into letters under | 0x20, and
			 * bytes past the name are cut off by its length. */
			uint64_t w[3];
			memcpy(w, p, sizeof(w));
			for (int k = 0; k < 3; k++)
				w[k] |= 0x2020202020202020ULL;
			id = hot_lookup(w, name.l);
			if (id == SIP_HDR_OTHER) {
				memcpy(lc, w, sizeof(lc));
				id = sip_hdr_lookup_lc_(lc, name.l);
			}
		} else {
			id = sip_hdr_lookup(p, name.l);
		}
		if (msg->hdrc >= max) {
			msg->err = "Too many headers";
			return EMSGSIZE;
		}
		h = &msg->hdrv[msg->hdrc];
		h->name = name;
		for (q++; q < vend && sip_is((unsigned char)*q, SIP_C_WS);)
			q++;
		while (vend > q && sip_is((unsigned char)vend[-1], SIP_C_WS))
			vend--;
		h->val.p = q;
		h->val.l = (size_t)(vend - q);
		h->id = (uint16_t)id;
		h->next = 0;
		msg->hdrc++;
		if (!msg->first[h->id])
			msg->first[h->id] = (uint16_t)msg->hdrc;
		else
			msg->hdrv[last[h->id] - 1].next = (uint16_t)msg->hdrc;
		last[h->id] = (uint16_t)msg->hdrc;
		p = nl + 1;
	}
malformed:
	msg->err = "Malformed header line";
	return EBADMSG;
}

int
sip_msg_decode(struct sip_msg *msg, const char *buf, size_t len,
               const struct sip_limits *lim)
{
	struct sip_limits dlim;
	const char *p = buf, *end = buf + len, *nl, *body;
	const struct sip_hdr *h;
	struct pl line;
	size_t clen;
	int err;

	if (!lim) {
		sip_limits_default(&dlim);
		lim = &dlim;
	}
	msg->hdrc = 0;
	memset(msg->first, 0, sizeof(msg->first));
	msg->req = false;
	msg->method = msg->ruri = msg->ver = msg->reason = (struct pl)PL_INIT;
	msg->meth = SIP_METHOD_OTHER;
	msg->scode = 0;
	msg->cseq = 0;
	msg->cseq_method = (struct pl)PL_INIT;
	msg->max_forwards = -1;
	msg->has_contact = false;
	msg->callid = (struct pl)PL_INIT;
	msg->clen = 0;
	msg->body = (struct pl)PL_INIT;
	msg->err = NULL;

	if (len > lim->max_size) {
		msg->err = "Message too large";
		err = EMSGSIZE;
		goto out;
	}
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl) {
		msg->err = "Truncated start line";
		err = EBADMSG;
		goto out;
	}
	line.p = p;
	line.l = (size_t)(nl - p);
	if (line.l && line.p[line.l - 1] == '\r')
		line.l--;
	err = start_line(msg, line);
	if (err)
		goto out;
	err = index_headers(msg, &body, nl + 1, end, lim);
	if (err)
		goto out;

	/* NUL may appear in headers (escaped in quoted strings): no check */
	clen = (size_t)(end - body);
	if ((h = first_hdr(msg, SIP_HDR_CONTENT_LENGTH))) {
		if (h->next) {
			msg->err = "Multiple Content-Length";
			err = EBADMSG;
			goto out;
		}
		if (sip_content_length_decode(&clen, &h->val) ||
		    clen > (size_t)(end - body)) {
			msg->err = "Bad Content-Length";
			err = EBADMSG;
			goto out;
		}
	}
	msg->clen = clen;
	msg->body.p = body;
	msg->body.l = clen;
	msg->raw.p = p;
	msg->raw.l = (size_t)(body + clen - p);
	err = validate(msg, lim);
out:
	return err;
}

int
sip_msg_frame(size_t *framelen, const char *buf, size_t len,
              const struct sip_limits *lim)
{
	struct sip_limits dlim;
	const char *p = buf, *end = buf + len, *hend = NULL;
	size_t clen = 0, total;
	bool have = false;

	if (!lim) {
		sip_limits_default(&dlim);
		lim = &dlim;
	}
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	/* walk the lines up to the empty one, noting Content-Length */
	for (const char *q = p; q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		struct pl name, val;
		size_t n;

		if (!nl)
			break;
		if (q == nl || (nl == q + 1 && *q == '\r')) {
			if (q != p) {
				hend = nl + 1;
				break;
			}
		}
		val.p = memchr(q, ':', (size_t)(nl - q));
		if (val.p && q != p) {
			name.p = q;
			name.l = (size_t)(val.p - q);
			sip_trim(&name);
			if (sip_hdr_lookup(name.p, name.l) ==
			    SIP_HDR_CONTENT_LENGTH) {
				val.p++;
				val.l = (size_t)(nl - val.p);
				/* folded values are not worth supporting here
				 */
				if (sip_content_length_decode(&n, &val))
					return EBADMSG;
				if (have && n != clen)
					return EBADMSG;
				clen = n;
				have = true;
			}
		}
		q = nl + 1;
	}
	if (!hend)
		return (size_t)(end - buf) > lim->max_size ? EMSGSIZE : ENODATA;
	if (!have)
		return EBADMSG;
	total = (size_t)(hend - buf) + clen;
	if (total - (size_t)(p - buf) > lim->max_size)
		return EMSGSIZE;
	if (total > len)
		return ENODATA;
	*framelen = total;
	return 0;
}
