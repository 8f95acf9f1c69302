/* Via (RFC 3261 20.42, rport RFC 3581). */
#include <errno.h>

#include "sip_int.h"

static int
take_slash(struct pl *r)
{
	sip_skip_ws(r);
	if (!r->l || r->p[0] != '/')
		return EBADMSG;
	sip_advance(r, 1);
	sip_skip_ws(r);
	return 0;
}

static enum sip_transport
transport_lookup(const struct pl *t)
{
	if (pl_eqi_str(t, "UDP"))
		return SIP_TP_UDP;
	if (pl_eqi_str(t, "TCP"))
		return SIP_TP_TCP;
	if (pl_eqi_str(t, "TLS"))
		return SIP_TP_TLS;
	if (pl_eqi_str(t, "SCTP"))
		return SIP_TP_SCTP;
	if (pl_eqi_str(t, "WS"))
		return SIP_TP_WS;
	if (pl_eqi_str(t, "WSS"))
		return SIP_TP_WSS;
	return SIP_TP_OTHER;
}

/* One Via parameter into its field. */
static int
via_param(struct sip_via *v, const struct pl *n, const struct pl *val)
{
	uint32_t u;

	if (pl_eqi_str(n, "branch")) {
		if (!val->p || !val->l)
			return EBADMSG;
		v->branch = *val;
	} else if (pl_eqi_str(n, "received")) {
		if (!val->p || !val->l)
			return EBADMSG;
		v->received = *val;
	} else if (pl_eqi_str(n, "rport")) {
		v->rport = true;
		if (val->p) {
			if (sip_u32_decode(&u, val, 65535))
				return EBADMSG;
			v->rport_val = (uint16_t)u;
		}
	} else if (pl_eqi_str(n, "maddr")) {
		if (!val->p || !val->l)
			return EBADMSG;
		v->maddr = *val;
	} else if (pl_eqi_str(n, "ttl")) {
		if (!val->p || sip_u32_decode(&u, val, 255))
			return EBADMSG;
		v->has_ttl = true;
		v->ttl = (uint8_t)u;
	}
	return 0;
}

int
sip_via_take(struct sip_via *via, struct pl *r)
{
	struct pl n, val;
	const char *pstart;

	memset(via, 0, sizeof(*via));
	sip_skip_ws(r);
	if (r->l > 8 && !memcmp(r->p, "SIP/2.0/", 8)) {
		/* the usual spelling, without the LWS the grammar allows */
		via->proto = (struct pl){ r->p, 3 };
		via->ver = (struct pl){ r->p + 4, 3 };
		sip_advance(r, 8);
		if (sip_take_token(&via->transport, r))
			return EBADMSG;
	} else if (sip_take_token(&via->proto, r) || take_slash(r) ||
	           sip_take_token(&via->ver, r) || take_slash(r) ||
	           sip_take_token(&via->transport, r)) {
		return EBADMSG;
	}
	via->tp = transport_lookup(&via->transport);
	if (!r->l || !sip_is((unsigned char)r->p[0], SIP_C_WS))
		return EBADMSG;
	sip_skip_ws(r);

	if (r->l && r->p[0] == '[') {
		const char *e = memchr(r->p, ']', r->l);
		if (!e || e == r->p + 1)
			return EBADMSG;
		via->host.p = r->p + 1;
		via->host.l = (size_t)(e - r->p - 1);
		via->host_ipv6 = true;
		sip_advance(r, via->host.l + 2);
	} else {
		via->host.p = r->p;
		via->host.l = sip_span(r, SIP_C_HOST);
		if (!via->host.l)
			return EBADMSG;
		sip_advance(r, via->host.l);
	}
	sip_skip_ws(r);
	if (r->l && r->p[0] == ':') {
		struct pl d;
		uint32_t port;
		sip_advance(r, 1);
		sip_skip_ws(r);
		d.p = r->p;
		d.l = sip_span(r, SIP_C_DIGIT);
		if (sip_u32_decode(&port, &d, 65535) || !port)
			return EBADMSG;
		via->port = (uint16_t)port;
		sip_advance(r, d.l);
		sip_skip_ws(r);
	}
	pstart = r->p;
	while (r->l && r->p[0] == ';') {
		if (sip_param_take(&n, &val, r) || via_param(via, &n, &val))
			return EBADMSG;
	}
	if (r->l && r->p[0] != ',')
		return EBADMSG;
	via->params.p = pstart;
	via->params.l = (size_t)(r->p - pstart);
	if (via->params.l) {
		sip_advance(&via->params, 1);
		sip_trim(&via->params);
	}
	return 0;
}

int
sip_via_decode(struct sip_via *via, const struct pl *pl)
{
	struct pl r = *pl;
	struct sip_via v;
	int err;

	err = sip_via_take(&v, &r);
	if (err)
		return err;
	if (r.l)
		return EBADMSG; /* several values: iterate instead */
	*via = v;
	return 0;
}
