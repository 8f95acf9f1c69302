/* SDP attribute values: rtpmap, fmtp, rtcp (RFC 3605), crypto (RFC 4568). */
#include <errno.h>

#include "sip_int.h"

int
sdp_fmt_next(struct pl *fmt, struct pl *rest)
{
	size_t i = 0;

	while (rest->l && rest->p[0] == ' ')
		sip_advance(rest, 1);
	if (!rest->l)
		return ENOENT;
	while (i < rest->l && rest->p[i] != ' ')
		i++;
	fmt->p = rest->p;
	fmt->l = i;
	sip_advance(rest, i);
	return 0;
}

/* Leading payload type and one space. */
static int
take_pt(uint8_t *pt, struct pl *r)
{
	struct pl d = { r->p, sip_span(r, SIP_C_DIGIT) };
	uint32_t u;

	if (sip_u32_decode(&u, &d, 127) || d.l == r->l || r->p[d.l] != ' ')
		return EBADMSG;
	*pt = (uint8_t)u;
	sip_advance(r, d.l);
	while (r->l && r->p[0] == ' ')
		sip_advance(r, 1);
	return 0;
}

int
sdp_rtpmap_decode(struct sdp_rtpmap *rm, const struct pl *value)
{
	struct sdp_rtpmap m;
	struct pl r = *value, clock, ch;
	const char *slash;
	uint32_t u;

	if (take_pt(&m.pt, &r))
		return EBADMSG;
	slash = memchr(r.p, '/', r.l);
	if (!slash || slash == r.p)
		return EBADMSG;
	m.encoding.p = r.p;
	m.encoding.l = (size_t)(slash - r.p);
	clock.p = slash + 1;
	clock.l = (size_t)(r.p + r.l - clock.p);
	while (clock.l && clock.p[clock.l - 1] == ' ')
		clock.l--;
	m.channels = 1;
	slash = memchr(clock.p, '/', clock.l);
	if (slash) {
		ch.p = slash + 1;
		ch.l = (size_t)(clock.p + clock.l - ch.p);
		clock.l = (size_t)(slash - clock.p);
		if (sip_u32_decode(&u, &ch, 255) || !u)
			return EBADMSG;
		m.channels = (uint16_t)u;
	}
	if (sip_u32_decode(&m.clock, &clock, UINT32_MAX) || !m.clock)
		return EBADMSG;
	*rm = m;
	return 0;
}

int
sdp_media_rtpmap(struct sdp_rtpmap *rm, const struct sdp_session *sdp,
                 const struct sdp_media *m, uint8_t pt)
{
	const struct sdp_attr *a = NULL;
	struct sdp_rtpmap r;

	while ((a = sdp_attr_find(sdp, m, "rtpmap", a))) {
		if (sdp_rtpmap_decode(&r, &a->value) == 0 && r.pt == pt) {
			*rm = r;
			return 0;
		}
	}
	return ENOENT;
}

int
sdp_fmtp_decode(struct sdp_fmtp *fmtp, const struct pl *value)
{
	struct pl r = *value;
	uint8_t pt;

	if (take_pt(&pt, &r))
		return EBADMSG;
	while (r.l && r.p[r.l - 1] == ' ')
		r.l--;
	fmtp->pt = pt;
	fmtp->params = r;
	return 0;
}

int
sdp_fmtp_param(struct pl *val, const struct pl *params, const char *name)
{
	struct pl rest = *params;
	size_t nl = strlen(name);

	while (rest.l) {
		const char *semi = memchr(rest.p, ';', rest.l);
		struct pl e = { rest.p,
			        semi ? (size_t)(semi - rest.p) : rest.l };
		const char *eq;

		sip_advance(&rest, semi ? e.l + 1 : e.l);
		sip_trim(&e);
		eq = memchr(e.p, '=', e.l);
		if (eq && (size_t)(eq - e.p) == nl &&
		    strncasecmp(e.p, name, nl) == 0) {
			val->p = eq + 1;
			val->l = (size_t)(e.p + e.l - eq - 1);
			return 0;
		}
	}
	return ENOENT;
}

int
sdp_rtcp_decode(struct sdp_rtcp *rtcp, const struct pl *value)
{
	struct sdp_rtcp rc;
	struct pl r = *value, port;
	size_t i = 0;
	uint32_t u;

	memset(&rc, 0, sizeof(rc));
	while (i < r.l && r.p[i] != ' ')
		i++;
	port.p = r.p;
	port.l = i;
	if (sip_u32_decode(&u, &port, 65535))
		return EBADMSG;
	rc.port = (uint16_t)u;
	sip_advance(&r, i);
	while (r.l && r.p[0] == ' ')
		sip_advance(&r, 1);
	if (r.l) {
		struct pl w[3];
		for (int k = 0; k < 3; k++) {
			if (sdp_fmt_next(&w[k], &r))
				return EBADMSG;
		}
		while (r.l && r.p[0] == ' ')
			sip_advance(&r, 1);
		if (r.l)
			return EBADMSG;
		rc.conn.nettype = w[0];
		rc.conn.addrtype = w[1];
		rc.conn.addr = w[2];
	}
	*rtcp = rc;
	return 0;
}

/* "inline:" key-info, split at '|' into key, lifetime, mki. */
static int
key_params(struct sdp_crypto *c, struct pl kp)
{
	struct pl parts[3] = { PL_INIT, PL_INIT, PL_INIT };
	unsigned n = 0;
	const char *semi;

	/* only the first of several ';'-separated key-params */
	semi = memchr(kp.p, ';', kp.l);
	if (semi)
		kp.l = (size_t)(semi - kp.p);
	if (kp.l < 7 || strncmp(kp.p, "inline:", 7) != 0)
		return EBADMSG;
	sip_advance(&kp, 7);
	while (n < 3) {
		const char *bar = memchr(kp.p, '|', kp.l);
		parts[n].p = kp.p;
		parts[n].l = bar ? (size_t)(bar - kp.p) : kp.l;
		n++;
		if (!bar)
			break;
		sip_advance(&kp, parts[n - 1].l + 1);
	}
	if (!parts[0].l)
		return EBADMSG;
	c->key = parts[0];
	/* lifetime and MKI are told apart by the ':' of "MKI:length" */
	for (unsigned i = 1; i < n; i++) {
		if (!parts[i].l)
			return EBADMSG;
		if (memchr(parts[i].p, ':', parts[i].l))
			c->mki = parts[i];
		else
			c->lifetime = parts[i];
	}
	return 0;
}

int
sdp_crypto_decode(struct sdp_crypto *c, const struct pl *value)
{
	struct sdp_crypto cr;
	struct pl r = *value, tag, kp;

	memset(&cr, 0, sizeof(cr));
	if (sdp_fmt_next(&tag, &r) || sip_u32_decode(&cr.tag, &tag, 999999999))
		return EBADMSG;
	if (sdp_fmt_next(&cr.suite, &r) || sdp_fmt_next(&kp, &r))
		return EBADMSG;
	if (key_params(&cr, kp))
		return EBADMSG;
	while (r.l && r.p[0] == ' ')
		sip_advance(&r, 1);
	if (r.l)
		cr.session_params = r;
	*c = cr;
	return 0;
}
