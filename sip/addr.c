/* name-addr / addr-spec (From, To, Route, Record-Route, Path...), Contact. */
#include <errno.h>

#include "sip_int.h"

int
sip_addr_take(struct sip_addr *addr, struct pl *r, sip_param_h *ph, void *arg)
{
	struct pl n, v;
	const char *pstart;
	size_t i;
	int err;

	sip_skip_ws(r);
	if (!r->l)
		return EBADMSG;
	addr->dname = (struct pl)PL_INIT;
	addr->dname_quoted = false;
	addr->tag = (struct pl)PL_INIT;
	if (r->p[0] == '"') {
		err = sip_take_qstr(&addr->dname, r);
		if (err)
			return err;
		addr->dname_quoted = true;
		sip_skip_ws(r);
		if (!r->l || r->p[0] != '<')
			return EBADMSG;
	} else if (r->p[0] != '<') {
		i = sip_span(r, SIP_C_TOKEN | SIP_C_WS);
		if (i < r->l && r->p[i] == '<') {
			addr->dname.p = r->p;
			addr->dname.l = i;
			sip_trim(&addr->dname);
			sip_advance(r, i);
		}
	}
	if (r->p[0] == '<') {
		const char *gt = memchr(r->p, '>', r->l);
		if (!gt)
			return EBADMSG;
		addr->auri.p = r->p + 1;
		addr->auri.l = (size_t)(gt - r->p - 1);
		sip_advance(r, addr->auri.l + 2);
	} else {
		/* addr-spec: parameters belong to the header, not the URI */
		for (i = 0; i < r->l && r->p[i] != ';' && r->p[i] != ',' &&
		            !sip_is((unsigned char)r->p[i], SIP_C_WS);
		     i++) {
			if (r->p[i] == '?')
				return EBADMSG;
		}
		addr->auri.p = r->p;
		addr->auri.l = i;
		sip_advance(r, i);
	}
	err = sip_uri_take(&addr->uri, &addr->auri);
	if (err)
		return err;
	sip_skip_ws(r);
	pstart = r->p;
	while (r->l && r->p[0] == ';') {
		if (sip_param_take(&n, &v, r))
			return EBADMSG;
		if (n.l == 3 && sip_casecmp(n.p, "tag", 3))
			addr->tag = v;
		if (ph && ph(arg, &n, &v))
			return EBADMSG;
	}
	if (r->l && r->p[0] != ',')
		return EBADMSG;
	addr->params.p = pstart;
	addr->params.l = (size_t)(r->p - pstart);
	if (addr->params.l) {
		sip_advance(&addr->params, 1);
		sip_trim(&addr->params);
	}
	return 0;
}

int
sip_addr_decode(struct sip_addr *addr, const struct pl *pl)
{
	struct pl r = *pl;
	struct sip_addr a;
	int err;

	err = sip_addr_take(&a, &r, NULL, NULL);
	if (err)
		return err;
	if (r.l)
		return EBADMSG; /* several values: iterate instead */
	*addr = a;
	return 0;
}

int
sip_qstr_unescape(char *buf, size_t size, size_t *len, const struct pl *in)
{
	size_t n = 0;

	for (size_t i = 0; i < in->l; i++) {
		char c = in->p[i];
		if (c == '\\') {
			if (++i >= in->l)
				return EBADMSG;
			c = in->p[i];
		}
		if (n >= size)
			return ENOSPC;
		buf[n++] = c;
	}
	*len = n;
	return 0;
}

/* "0", "1", "0.5", "0.333", "1.000" into thousandths. */
static int
qvalue_decode(uint16_t *q, const struct pl *v)
{
	uint32_t n = 0;
	size_t i;

	if (!v->p || !v->l || (v->p[0] != '0' && v->p[0] != '1'))
		return EBADMSG;
	n = (uint32_t)(v->p[0] - '0') * 1000;
	if (v->l == 1) {
		*q = (uint16_t)n;
		return 0;
	}
	if (v->p[1] != '.' || v->l > 5)
		return EBADMSG;
	for (i = 2; i < 5; i++) {
		uint32_t d = 0;
		if (i < v->l) {
			if (v->p[i] < '0' || v->p[i] > '9')
				return EBADMSG;
			d = (uint32_t)(v->p[i] - '0');
		}
		n += d * (i == 2 ? 100 : i == 3 ? 10 : 1);
	}
	if (n > 1000)
		return EBADMSG;
	*q = (uint16_t)n;
	return 0;
}

static int
contact_param(void *arg, const struct pl *n, const struct pl *v)
{
	struct sip_contact *ct = arg;

	if (pl_eqi_str(n, "expires")) {
		if (sip_u32_decode(&ct->expires, v, UINT32_MAX))
			return EBADMSG;
		ct->has_expires = true;
	} else if (pl_eqi_str(n, "q")) {
		if (qvalue_decode(&ct->q, v))
			return EBADMSG;
		ct->has_q = true;
	} else if (pl_eqi_str(n, "+sip.instance")) {
		struct pl u = *v;
		sip_unquote(&u);
		ct->instance = u;
	} else if (pl_eqi_str(n, "reg-id")) {
		if (sip_u32_decode(&ct->reg_id, v, UINT32_MAX))
			return EBADMSG;
		ct->has_reg_id = true;
	}
	return 0;
}

int
sip_contact_take(struct sip_contact *c, struct pl *r)
{
	int err;

	sip_skip_ws(r);
	c->star = false;
	c->has_expires = c->has_q = c->has_reg_id = false;
	c->expires = c->reg_id = 0;
	c->q = 0;
	c->instance = (struct pl)PL_INIT;
	if (r->l && r->p[0] == '*') {
		struct pl t = *r;
		sip_advance(&t, 1);
		sip_skip_ws(&t);
		if (!t.l || t.p[0] == ',') {
			memset(&c->addr, 0, sizeof(c->addr));
			c->star = true;
			*r = t;
			return 0;
		}
	}
	err = sip_addr_take(&c->addr, r, contact_param, c);
	if (err)
		return err;
	return 0;
}

int
sip_contact_decode(struct sip_contact *c, const struct pl *pl)
{
	struct pl r = *pl;
	struct sip_contact ct;
	int err;

	err = sip_contact_take(&ct, &r);
	if (err)
		return err;
	if (r.l)
		return EBADMSG; /* several values: iterate instead */
	*c = ct;
	return 0;
}
