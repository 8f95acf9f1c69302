/* SDP encoding from a struct sdp_session (RFC 8866 5 line order). Slices
 * are written with sip_buf_pl, never through printf, so that a NUL in a
 * slice cannot shorten the output. */
#include <errno.h>

#include "sip_int.h"

/* "X=" then the slices joined by single spaces, then CRLF. */
static int
line(struct sip_buf *b, char type, const struct pl *const *v, unsigned n)
{
	char hdr[2] = { type, '=' };
	int err = sip_buf_write(b, hdr, 2);

	for (unsigned i = 0; i < n && !err; i++) {
		if (i)
			err = sip_buf_write(b, " ", 1);
		err = err ? err : sip_buf_pl(b, v[i]);
	}
	return err ? err : sip_buf_write(b, "\r\n", 2);
}

static int
conn(struct sip_buf *b, const struct sdp_conn *c)
{
	const struct pl *const v[] = { &c->nettype, &c->addrtype, &c->addr };
	size_t pos0 = b->pos;
	int err;

	if (!c->addr.p)
		return 0;
	err = line(b, 'c', v, 3);
	if (err || (!c->has_ttl && !c->naddr))
		return err;
	/* append "/ttl[/n]" before the CRLF just written */
	b->pos -= 2;
	if (c->has_ttl)
		err = sip_buf_printf(b, "/%u", c->ttl);
	if (!err && c->naddr)
		err = sip_buf_printf(b, "/%u", c->naddr);
	err = err ? err : sip_buf_write(b, "\r\n", 2);
	if (err)
		b->pos = pos0;
	return err;
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

static int
media(struct sip_buf *b, const struct sdp_session *sdp,
      const struct sdp_media *m)
{
	const struct pl *const v[] = { &m->proto, &m->fmts };
	int err;

	if (m->attr_first > SDP_MAX_ATTRS ||
	    m->attrc > SDP_MAX_ATTRS - m->attr_first)
		return EINVAL;
	err = sip_buf_write(b, "m=", 2);
	err = err ? err : sip_buf_pl(b, &m->type);
	err = err ? err : sip_buf_printf(b, " %u", m->port);
	if (!err && m->nports)
		err = sip_buf_printf(b, "/%u", m->nports);
	err = err ? err : sip_buf_write(b, " ", 1);
	for (unsigned i = 0; i < 2 && !err; i++) {
		if (i)
			err = sip_buf_write(b, " ", 1);
		err = err ? err : sip_buf_pl(b, v[i]);
	}
	err = err ? err : sip_buf_write(b, "\r\n", 2);
	err = err ? err : conn(b, &m->conn);
	if (!err && m->bw.p)
		err = line(b, 'b', (const struct pl *const[]){ &m->bw }, 1);
	return err ? err : attrs(b, sdp, m->attr_first, m->attrc);
}

int
sdp_encode(struct sip_buf *b, const struct sdp_session *sdp)
{
	const struct sdp_origin *o = &sdp->origin;
	const struct pl *const ov[] = { &o->username,     &o->sess_id,
		                        &o->sess_version, &o->nettype,
		                        &o->addrtype,     &o->addr };
	struct pl s = sdp->name.p && sdp->name.l ? sdp->name : PL("-");
	struct pl t0 = sdp->t_start.p ? sdp->t_start : PL("0");
	struct pl t1 = sdp->t_stop.p ? sdp->t_stop : PL("0");
	size_t pos0 = b->pos;
	int err;

	if (sdp->sess_attrc > SDP_MAX_ATTRS || sdp->mediac > SDP_MAX_MEDIA)
		return EINVAL;
	err = sip_buf_printf(b, "v=%u\r\n", sdp->version);
	err = err ? err : line(b, 'o', ov, 6);
	err = err ? err : line(b, 's', (const struct pl *const[]){ &s }, 1);
	err = err ? err : conn(b, &sdp->conn);
	if (!err && sdp->bw.p)
		err = line(b, 'b', (const struct pl *const[]){ &sdp->bw }, 1);
	err =
	    err ? err : line(b, 't', (const struct pl *const[]){ &t0, &t1 }, 2);
	err = err ? err : attrs(b, sdp, 0, sdp->sess_attrc);
	for (unsigned i = 0; i < sdp->mediac && !err; i++)
		err = media(b, sdp, &sdp->mediav[i]);
	if (err)
		b->pos = pos0;
	return err;
}
