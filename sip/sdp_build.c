/* SDP encoding from a struct sdp_session (RFC 8866 5 line order). */
#include <errno.h>

#include "sip_int.h"

static int
line(struct sip_buf *b, char type, const struct pl *v)
{
	char hdr[2] = { type, '=' };
	int err = sip_buf_write(b, hdr, 2);
	err = err ? err : sip_buf_pl(b, v);
	return err ? err : sip_buf_write(b, "\r\n", 2);
}

static int
conn(struct sip_buf *b, const struct sdp_conn *c)
{
	int err;

	if (!c->addr.p)
		return 0;
	err = sip_buf_printf(b, "c=%.*s %.*s %.*s", PL_ARG(c->nettype),
	                     PL_ARG(c->addrtype), PL_ARG(c->addr));
	if (!err && c->has_ttl)
		err = sip_buf_printf(b, "/%u", c->ttl);
	if (!err && c->naddr)
		err = sip_buf_printf(b, "/%u", c->naddr);
	return err ? err : sip_buf_write(b, "\r\n", 2);
}

static int
attrs(struct sip_buf *b, const struct sdp_session *sdp, unsigned first,
      unsigned n)
{
	int err = 0;

	for (unsigned i = first; i < first + n && !err; i++) {
		const struct sdp_attr *a = &sdp->attrv[i];
		err = sip_buf_write(b, "a=", 2);
		err = err ? err : sip_buf_pl(b, &a->name);
		if (!err && a->value.p) {
			err = sip_buf_write(b, ":", 1);
			err = err ? err : sip_buf_pl(b, &a->value);
		}
		err = err ? err : sip_buf_write(b, "\r\n", 2);
	}
	return err;
}

int
sdp_encode(struct sip_buf *b, const struct sdp_session *sdp)
{
	const struct sdp_origin *o = &sdp->origin;
	size_t pos0 = b->pos;
	int err;

	if (sdp->sess_attrc > SDP_MAX_ATTRS || sdp->mediac > SDP_MAX_MEDIA)
		return EINVAL;
	err = sip_buf_printf(b, "v=%u\r\n", sdp->version);
	err = err ? err
	          : sip_buf_printf(b, "o=%.*s %.*s %.*s %.*s %.*s %.*s\r\n",
	                           PL_ARG(o->username), PL_ARG(o->sess_id),
	                           PL_ARG(o->sess_version), PL_ARG(o->nettype),
	                           PL_ARG(o->addrtype), PL_ARG(o->addr));
	if (!err) {
		struct pl s = sdp->name.p && sdp->name.l ? sdp->name : PL("-");
		err = line(b, 's', &s);
	}
	err = err ? err : conn(b, &sdp->conn);
	if (!err && sdp->bw.p)
		err = line(b, 'b', &sdp->bw);
	if (!err) {
		struct pl t0 = sdp->t_start.p ? sdp->t_start : PL("0");
		struct pl t1 = sdp->t_stop.p ? sdp->t_stop : PL("0");
		err = sip_buf_printf(b, "t=%.*s %.*s\r\n", PL_ARG(t0),
		                     PL_ARG(t1));
	}
	err = err ? err : attrs(b, sdp, 0, sdp->sess_attrc);
	for (unsigned i = 0; i < sdp->mediac && !err; i++) {
		const struct sdp_media *m = &sdp->mediav[i];
		err = sip_buf_printf(b, "m=%.*s %u", PL_ARG(m->type), m->port);
		if (!err && m->nports)
			err = sip_buf_printf(b, "/%u", m->nports);
		err = err ? err
		          : sip_buf_printf(b, " %.*s %.*s\r\n",
		                           PL_ARG(m->proto), PL_ARG(m->fmts));
		err = err ? err : conn(b, &m->conn);
		if (!err && m->bw.p)
			err = line(b, 'b', &m->bw);
		if (!err && (m->attr_first > SDP_MAX_ATTRS ||
		             m->attrc > SDP_MAX_ATTRS - m->attr_first))
			err = EINVAL;
		err = err ? err : attrs(b, sdp, m->attr_first, m->attrc);
	}
	if (err)
		b->pos = pos0;
	return err;
}
