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

/* A sip: or sips: URI after its scheme; *why names the first problem. */
static int
sip_part(struct sip_uri *uri, struct pl r, const char **why)
{
	size_t i = sip_span(&r, SIP_C_USER);
	uint32_t port = 0;

	/* userinfo: what precedes an '@' reached over userinfo characters
	 * ('@' is not one, so this is the first '@') */
	if (i < r.l && r.p[i] == '@') {
		const char *at = r.p + i;
		const char *colon = memchr(r.p, ':', i);
		uri->user.p = r.p;
		uri->user.l = colon ? (size_t)(colon - r.p) : i;
		if (colon) {
			uri->password.p = colon + 1;
			uri->password.l = (size_t)(at - colon - 1);
		}
		if (uri->user.l == 0) {
			*why = "empty user";
			return EBADMSG;
		}
		sip_advance(&r, i + 1);
	}
	/* host */
	if (r.l && r.p[0] == '[') {
		const char *e = memchr(r.p, ']', r.l);
		if (!e) {
			*why = "unclosed IPv6 bracket";
			return EBADMSG;
		}
		if (e == r.p + 1) {
			*why = "empty IPv6 reference";
			return EBADMSG;
		}
		for (const char *c = r.p + 1; c < e; c++) {
			if (hexval(*c) < 0 && *c != ':' && *c != '.') {
				*why = "bad IPv6 reference";
				return EBADMSG;
			}
		}
		uri->host.p = r.p + 1;
		uri->host.l = (size_t)(e - r.p - 1);
		uri->host_ipv6 = true;
		sip_advance(&r, uri->host.l + 2);
	} else {
		uri->host.p = r.p;
		uri->host.l = sip_span(&r, SIP_C_HOST);
		if (!uri->host.l) {
			*why = "no host";
			return EBADMSG;
		}
		sip_advance(&r, uri->host.l);
	}
	if (r.l && r.p[0] == ':') {
		struct pl d;
		sip_advance(&r, 1);
		d.p = r.p;
		d.l = sip_span(&r, SIP_C_DIGIT);
		if (sip_u32_decode(&port, &d, 65535) || port == 0) {
			*why = "bad port";
			return EBADMSG;
		}
		uri->port = (uint16_t)port;
		sip_advance(&r, d.l);
	}
	if (r.l && r.p[0] == ';') {
		/* non-empty runs of URI characters, each after a ';' */
		for (i = 1;;) {
			size_t n = sip_span(&(struct pl){ r.p + i, r.l - i },
			                    SIP_C_UPARAM);
			if (!n) {
				*why = "bad parameter";
				return EBADMSG;
			}
			i += n;
			if (i == r.l || r.p[i] == '?')
				break;
			if (r.p[i] != ';') {
				*why = "bad parameter";
				return EBADMSG;
			}
			i++;
		}
		uri->params.p = r.p + 1;
		uri->params.l = i - 1;
		sip_advance(&r, i);
	}
	if (r.l && r.p[0] == '?') {
		uri->headers.p = r.p + 1;
		uri->headers.l = r.l - 1;
		if (!uric_only(&uri->headers)) {
			*why = "bad headers";
			return EBADMSG;
		}
		r.l = 0;
	}
	if (r.l) {
		*why = "bad character after the host";
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

static int
uri_take(struct sip_uri *uri, const struct pl *pl, const char **why)
{
	struct pl r = *pl;
	size_t i;
	int err;

	uri->scheme = SIP_SCHEME_OTHER;
	uri->user = uri->password = uri->host = uri->params = uri->headers =
	    (struct pl)PL_INIT;
	uri->host_ipv6 = false;
	uri->port = 0;
	*why = "no scheme";
	if (!r.p || !r.l || !sip_is((unsigned char)r.p[0], SIP_C_ALPHA))
		return EBADMSG;
	i = sip_span(&r, SIP_C_SCHEME);
	if (i == r.l || r.p[i] != ':')
		return EBADMSG;
	uri->scheme_pl.p = r.p;
	uri->scheme_pl.l = i;
	sip_advance(&r, i + 1);
	if (i == 3 && (r.p[-4] | 0x20) == 's' && (r.p[-3] | 0x20) == 'i' &&
	    (r.p[-2] | 0x20) == 'p')
		uri->scheme = SIP_SCHEME_SIP;
	else if (pl_eqi_str(&uri->scheme_pl, "sips"))
		uri->scheme = SIP_SCHEME_SIPS;
	else if (pl_eqi_str(&uri->scheme_pl, "tel"))
		uri->scheme = SIP_SCHEME_TEL;
	*why = "nothing after the scheme";
	if (r.l == 0)
		return EBADMSG;
	*why = "bad character";
	uri->opaque = r;

	switch (uri->scheme) {
	case SIP_SCHEME_SIP:
	case SIP_SCHEME_SIPS:
		err = sip_part(uri, r, why);
		break;
	case SIP_SCHEME_TEL:
		err = tel_part(uri, r);
		break;
	default:
		err = uric_only(&r) ? 0 : EBADMSG;
		break;
	}
	if (err)
		return err;
	return 0;
}

int
sip_uri_take(struct sip_uri *uri, const struct pl *pl)
{
	const char *why;

	return uri_take(uri, pl, &why);
}

const char *
sip_uri_problem(const struct pl *pl)
{
	struct sip_uri u;
	const char *why = NULL;

	if (uri_take(&u, pl, &why) == 0 ||
	    (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS))
		return NULL;
	return why;
}

int
sip_uri_decode(struct sip_uri *uri, const struct pl *pl)
{
	struct sip_uri u;
	int err = sip_uri_take(&u, pl);

	if (!err)
		*uri = u;
	return err;
}
