/* URIs: sip, sips, tel and opaque others (RFC 3261 19.1, RFC 3966). */
#include <errno.h>

#include "sip_int.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
sip_uri_unescape(char *buf, size_t size, size_t *len, const struct pl *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->l; i++) {
		char c = in->p[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= in->l)
				return EBADMSG;
			hi = hexval(in->p[i + 1]);
			lo = hexval(in->p[i + 2]);
			if (hi < 0 || lo < 0)
				return EBADMSG;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (n >= size)
			return ENOSPC;
		buf[n++] = c;
	}
	*len = n;
	return 0;
}

int
sip_hostport_decode(struct pl *host, bool *ipv6, uint16_t *port,
                    const struct pl *pl)
{
	struct pl r = *pl, h;
	uint32_t p = 0;
	bool v6 = false;

	if (r.l && r.p[0] == '[') {
		const char *e = memchr(r.p, ']', r.l);
		if (!e || e == r.p + 1)
			return EBADMSG;
		h.p = r.p + 1;
		h.l = (size_t)(e - r.p - 1);
		for (size_t i = 0; i < h.l; i++) {
			char c = h.p[i];
			if (!(hexval(c) >= 0 || c == ':' || c == '.'))
				return EBADMSG;
		}
		v6 = true;
		sip_advance(&r, h.l + 2);
	} else {
		h.p = r.p;
		h.l = sip_span(&r, SIP_C_HOST);
		if (h.l == 0)
			return EBADMSG;
		sip_advance(&r, h.l);
	}
	if (r.l && r.p[0] == ':') {
		struct pl d;
		sip_advance(&r, 1);
		d.p = r.p;
		d.l = r.l;
		if (sip_u32_decode(&p, &d, 65535) || p == 0)
			return EBADMSG;
		r.l = 0;
	}
	if (r.l)
		return EBADMSG;
	*host = h;
	*ipv6 = v6;
	*port = (uint16_t)p;
	return 0;
}

/* ';'-separated parameters inside a URI: non-empty names, URI characters. */
static bool
uri_params_ok(const struct pl *p)
{
	bool empty = true;

	for (size_t i = 0; i < p->l; i++) {
		char c = p->p[i];
		if (c == ';') {
			if (empty)
				return false;
			empty = true;
			continue;
		}
		if (!sip_is((unsigned char)c, SIP_C_URIC) || c == '?')
			return false;
		empty = false;
	}
	return !empty;
}

static bool
uric_only(const struct pl *p)
{
	for (size_t i = 0; i < p->l; i++) {
		if (!sip_is((unsigned char)p->p[i], SIP_C_URIC))
			return false;
	}
	return true;
}

static int
sip_part(struct sip_uri *uri, struct pl r)
{
	size_t i, hl;
	struct pl hp;

	/* userinfo ends at the first '@' reached over userinfo characters */
	i = sip_span(&r, SIP_C_USER);
	if (i < r.l && r.p[i] == '@') {
		const char *colon = memchr(r.p, ':', i);
		if (colon) {
			uri->user.p = r.p;
			uri->user.l = (size_t)(colon - r.p);
			uri->password.p = colon + 1;
			uri->password.l = (size_t)(r.p + i - colon - 1);
		} else {
			uri->user.p = r.p;
			uri->user.l = i;
		}
		if (uri->user.l == 0)
			return EBADMSG;
		sip_advance(&r, i + 1);
	}
	/* hostport runs to the first ';' or '?' */
	for (hl = 0; hl < r.l && r.p[hl] != ';' && r.p[hl] != '?'; hl++)
		;
	hp.p = r.p;
	hp.l = hl;
	if (sip_hostport_decode(&uri->host, &uri->host_ipv6, &uri->port, &hp))
		return EBADMSG;
	sip_advance(&r, hl);
	if (r.l && r.p[0] == ';') {
		const char *q = memchr(r.p, '?', r.l);
		uri->params.p = r.p + 1;
		uri->params.l = (size_t)((q ? q : r.p + r.l) - r.p - 1);
		if (!uri_params_ok(&uri->params))
			return EBADMSG;
		sip_advance(&r, uri->params.l + 1);
	}
	if (r.l && r.p[0] == '?') {
		uri->headers.p = r.p + 1;
		uri->headers.l = r.l - 1;
		if (!uric_only(&uri->headers))
			return EBADMSG;
	}
	return 0;
}

static int
tel_part(struct sip_uri *uri, struct pl r)
{
	const char *semi = memchr(r.p, ';', r.l);

	uri->user.p = r.p;
	uri->user.l = semi ? (size_t)(semi - r.p) : r.l;
	if (uri->user.l == 0 || !uric_only(&uri->user))
		return EBADMSG;
	if (semi) {
		uri->params.p = semi + 1;
		uri->params.l = (size_t)(r.p + r.l - semi - 1);
		if (!uri_params_ok(&uri->params))
			return EBADMSG;
	}
	return 0;
}

int
sip_uri_decode(struct sip_uri *uri, const struct pl *pl)
{
	struct sip_uri u;
	struct pl r = *pl;
	size_t i;
	int err;

	memset(&u, 0, sizeof(u));
	if (!r.p || !r.l || !sip_is((unsigned char)r.p[0], SIP_C_ALPHA))
		return EBADMSG;
	i = sip_span(&r, SIP_C_SCHEME);
	if (i == r.l || r.p[i] != ':')
		return EBADMSG;
	u.scheme_pl.p = r.p;
	u.scheme_pl.l = i;
	sip_advance(&r, i + 1);
	if (r.l == 0)
		return EBADMSG;
	u.opaque = r;
	if (pl_eqi_str(&u.scheme_pl, "sip"))
		u.scheme = SIP_SCHEME_SIP;
	else if (pl_eqi_str(&u.scheme_pl, "sips"))
		u.scheme = SIP_SCHEME_SIPS;
	else if (pl_eqi_str(&u.scheme_pl, "tel"))
		u.scheme = SIP_SCHEME_TEL;

	switch (u.scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		err = sip_part(&u, r);
		break;
	case SIP_SCHEME_TEL:
		err = tel_part(&u, r);
		break;
	default:
		err = uric_only(&r) ? 0 : EBADMSG;
		break;
	}
	if (err)
		return err;
	*uri = u;
	return 0;
}
