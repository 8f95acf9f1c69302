/* SDP session descriptions: lines into slices (RFC 8866 5). */
#include <errno.h>

#include "sip_int.h"

/* Next space-separated word of r. */
static int
word(struct pl *w, struct pl *r)
{
	size_t i = 0;

	while (r->l && r->p[0] == ' ')
		sip_advance(r, 1);
	while (i < r->l && r->p[i] != ' ')
		i++;
	if (!i)
		return EBADMSG;
	w->p = r->p;
	w->l = i;
	sip_advance(r, i);
	return 0;
}

static int
u16_decode(uint16_t *v, const struct pl *pl)
{
	uint32_t u;
	int err = sip_u32_decode(&u, pl, 65535);
	if (!err)
		*v = (uint16_t)u;
	return err;
}

static int
conn_decode(struct sdp_conn *c, struct pl r)
{
	struct sdp_conn cn;
	struct pl a, n;
	const char *slash;
	uint32_t u;

	memset(&cn, 0, sizeof(cn));
	if (word(&cn.nettype, &r) || word(&cn.addrtype, &r) || word(&a, &r))
		return EBADMSG;
	while (r.l && r.p[0] == ' ')
		sip_advance(&r, 1);
	if (r.l)
		return EBADMSG;
	slash = memchr(a.p, '/', a.l);
	cn.addr.p = a.p;
	cn.addr.l = slash ? (size_t)(slash - a.p) : a.l;
	if (!cn.addr.l)
		return EBADMSG;
	if (slash) {
		bool ip4 = pl_eqi_str(&cn.addrtype, "IP4");
		n.p = slash + 1;
		n.l = (size_t)(a.p + a.l - n.p);
		slash = memchr(n.p, '/', n.l);
		if (slash && !ip4)
			return EBADMSG;
		if (slash) {
			struct pl m = { slash + 1,
				        (size_t)(n.p + n.l - slash - 1) };
			n.l = (size_t)(slash - n.p);
			if (u16_decode(&cn.naddr, &m))
				return EBADMSG;
		}
		if (ip4) {
			if (sip_u32_decode(&u, &n, 255))
				return EBADMSG;
			cn.has_ttl = true;
			cn.ttl = (uint8_t)u;
		} else if (u16_decode(&cn.naddr, &n)) {
			return EBADMSG;
		}
	}
	*c = cn;
	return 0;
}

static int
origin_decode(struct sdp_origin *o, struct pl r)
{
	if (word(&o->username, &r) || word(&o->sess_id, &r) ||
	    word(&o->sess_version, &r) || word(&o->nettype, &r) ||
	    word(&o->addrtype, &r) || word(&o->addr, &r))
		return EBADMSG;
	while (r.l && r.p[0] == ' ')
		sip_advance(&r, 1);
	return r.l ? EBADMSG : 0;
}

static int
media_decode(struct sdp_media *m, struct pl r)
{
	struct pl port;
	const char *slash;

	memset(m, 0, sizeof(*m));
	if (word(&m->type, &r) || word(&port, &r) || word(&m->proto, &r))
		return EBADMSG;
	slash = memchr(port.p, '/', port.l);
	if (slash) {
		struct pl n = { slash + 1,
			        (size_t)(port.p + port.l - slash - 1) };
		port.l = (size_t)(slash - port.p);
		if (u16_decode(&m->nports, &n) || !m->nports)
			return EBADMSG;
	}
	if (u16_decode(&m->port, &port))
		return EBADMSG;
	while (r.l && r.p[0] == ' ')
		sip_advance(&r, 1);
	while (r.l && r.p[r.l - 1] == ' ')
		r.l--;
	if (!r.l)
		return EBADMSG;
	m->fmts = r;
	return 0;
}

static enum sdp_dir
dir_lookup(const struct pl *name)
{
	if (pl_eq_str(name, "sendrecv"))
		return SDP_DIR_SENDRECV;
	if (pl_eq_str(name, "sendonly"))
		return SDP_DIR_SENDONLY;
	if (pl_eq_str(name, "recvonly"))
		return SDP_DIR_RECVONLY;
	if (pl_eq_str(name, "inactive"))
		return SDP_DIR_INACTIVE;
	return SDP_DIR_NONE;
}

static int
attr_decode(struct sdp_session *sdp, struct sdp_media *m, struct pl r)
{
	struct sdp_attr *a;
	const char *colon;
	enum sdp_dir dir;

	if (sdp->attrc >= SDP_MAX_ATTRS)
		return EMSGSIZE;
	a = &sdp->attrv[sdp->attrc];
	colon = memchr(r.p, ':', r.l);
	a->name.p = r.p;
	a->name.l = colon ? (size_t)(colon - r.p) : r.l;
	a->value = (struct pl)PL_INIT;
	if (colon) {
		a->value.p = colon + 1;
		a->value.l = (size_t)(r.p + r.l - colon - 1);
	}
	if (!a->name.l || sip_span(&a->name, SIP_C_TOKEN) != a->name.l)
		return EBADMSG;
	sdp->attrc++;
	if (m)
		m->attrc++;
	else
		sdp->sess_attrc++;

	dir = a->value.p ? SDP_DIR_NONE : dir_lookup(&a->name);
	if (dir) {
		if (m)
			m->dir = dir;
		else
			sdp->dir = dir;
	}
	if (m && a->value.p) {
		uint32_t *t = pl_eq_str(&a->name, "ptime")      ? &m->ptime
		              : pl_eq_str(&a->name, "maxptime") ? &m->maxptime
		                                                : NULL;
		if (t) {
			struct pl v = a->value;
			/* ptime may be fractional ("20.0"): keep the integer */
			const char *dot = memchr(v.p, '.', v.l);
			if (dot)
				v.l = (size_t)(dot - v.p);
			sip_trim(&v);
			if (sip_u32_decode(t, &v, 100000))
				return EBADMSG;
		}
	}
	return 0;
}

int
sdp_decode(struct sdp_session *sdp, const struct pl *body)
{
	const char *p = body->p, *end = body->p + body->l;
	struct sdp_media *m = NULL;
	bool have_o = false, have_s = false, have_t = false;
	unsigned n = 0;
	int err = 0;

	sdp->version = 0;
	memset(&sdp->origin, 0, sizeof(sdp->origin));
	sdp->name = sdp->bw = sdp->t_start = sdp->t_stop = (struct pl)PL_INIT;
	memset(&sdp->conn, 0, sizeof(sdp->conn));
	sdp->dir = SDP_DIR_NONE;
	sdp->sess_attrc = sdp->attrc = sdp->mediac = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct pl line = { p, (size_t)((nl ? nl : end) - p) }, v;
		char type;

		p = nl ? nl + 1 : end;
		if (line.l && line.p[line.l - 1] == '\r')
			line.l--;
		if (!line.l)
			continue; /* tolerate blank lines, e.g. a trailing CRLF
			           */
		if (line.l < 2 || line.p[1] != '=')
			return EBADMSG;
		/* RFC 8866 9: no NUL, CR or LF inside a line */
		if (memchr(line.p, '\0', line.l) ||
		    memchr(line.p, '\r', line.l))
			return EBADMSG;
		type = line.p[0];
		v.p = line.p + 2;
		v.l = line.l - 2;
		if (n++ == 0) {
			if (type != 'v' || !pl_eq_str(&v, "0"))
				return EBADMSG;
			continue;
		}
		switch (type) {
		case 'o':
			if (m || have_o)
				return EBADMSG;
			err = origin_decode(&sdp->origin, v);
			have_o = true;
			break;
		case 's':
			if (m || have_s || !v.l)
				return EBADMSG;
			sdp->name = v;
			have_s = true;
			break;
		case 't':
			if (m)
				return EBADMSG;
			if (!have_t) {
				err = word(&sdp->t_start, &v) ||
				              word(&sdp->t_stop, &v)
				          ? EBADMSG
				          : 0;
				have_t = true;
			}
			break;
		case 'c':
			err = conn_decode(m ? &m->conn : &sdp->conn, v);
			break;
		case 'b':
			if (!(m ? m->bw.p : sdp->bw.p))
				*(m ? &m->bw : &sdp->bw) = v;
			break;
		case 'm':
			if (sdp->mediac >= SDP_MAX_MEDIA)
				return EMSGSIZE;
			m = &sdp->mediav[sdp->mediac];
			err = media_decode(m, v);
			m->attr_first = sdp->attrc;
			sdp->mediac++;
			break;
		case 'a':
			err = attr_decode(sdp, m, v);
			break;
		case 'i':
		case 'u':
		case 'e':
		case 'p':
		case 'z':
		case 'k':
		case 'r':
			break;
		default:
			return EBADMSG;
		}
		if (err)
			return err;
	}
	if (!n || !have_o || !have_s || !have_t)
		return EBADMSG;
	return 0;
}

enum sdp_dir
sdp_media_dir(const struct sdp_session *sdp, const struct sdp_media *m)
{
	if (m && m->dir)
		return m->dir;
	return sdp->dir ? sdp->dir : SDP_DIR_SENDRECV;
}

const struct sdp_conn *
sdp_media_conn(const struct sdp_session *sdp, const struct sdp_media *m)
{
	if (m && m->conn.addr.p)
		return &m->conn;
	return sdp->conn.addr.p ? &sdp->conn : NULL;
}

const char *
sdp_dir_name(enum sdp_dir dir)
{
	switch (dir) {
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	default:
		return "sendrecv";
	}
}

const struct sdp_attr *
sdp_attr_find(const struct sdp_session *sdp, const struct sdp_media *m,
              const char *name, const struct sdp_attr *after)
{
	unsigned first = m ? m->attr_first : 0;
	unsigned end = m ? m->attr_first + m->attrc : sdp->sess_attrc;
	unsigned i = after ? (unsigned)(after - sdp->attrv) + 1 : first;

	for (; i < end && i < sdp->attrc; i++) {
		if (pl_eq_str(&sdp->attrv[i].name, name))
			return &sdp->attrv[i];
	}
	return NULL;
}
