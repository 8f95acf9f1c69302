/* name-addr / addr-spec (From, To, Route, Record-Route, Path...), Contact. */
#include <errno.h>

#include "sip_int.h"

/* Parameters after an address: ";name[=value]" each well formed. */
static int
addr_params(struct pl *params, struct pl r)
{
	struct pl n, v, rest;
	int err;

	sip_skip_ws(&r);
	if (r.l == 0) {
		*params = (struct pl){ r.p, 0 };
		return 0;
	}
	if (r.p[0] != ';')
		return EBADMSG;
	rest = r;
	while ((err = sip_param_next(&n, &v, &rest)) == 0)
		;
	if (err != ENOENT)
		return err;
	sip_advance(&r, 1);
	sip_skip_ws(&r);
	*params = r;
	return 0;
}

int
sip_addr_decode(struct sip_addr *addr, const struct pl *pl)
{
	struct sip_addr a;
	struct pl r = *pl;
	size_t i;
	int err;

	sip_trim(&r);
	if (!r.l)
		return EBADMSG;
	a.dname = (struct pl)PL_INIT;
	a.dname_quoted = false;
	if (r.p[0] == '"') {
		err = sip_take_qstr(&a.dname, &r);
		if (err)
			return err;
		a.dname_quoted = true;
		sip_skip_ws(&r);
		if (!r.l || r.p[0] != '<')
			return EBADMSG;
	} else {
		i = sip_span(&r, SIP_C_TOKEN | SIP_C_WS);
		if (i < r.l && r.p[i] == '<') {
			a.dname.p = r.p;
			a.dname.l = i;
			sip_trim(&a.dname);
			sip_advance(&r, i);
		}
	}
	if (r.p[0] == '<') {
		const char *gt = memchr(r.p, '>', r.l);
		if (!gt)
			return EBADMSG;
		a.auri.p = r.p + 1;
		a.auri.l = (size_t)(gt - r.p - 1);
		sip_advance(&r, a.auri.l + 2);
	} else {
		/* addr-spec: parameters belong to the header, not the URI */
		for (i = 0; i < r.l && r.p[i] != ';' &&
		            !sip_is((unsigned char)r.p[i], SIP_C_WS);
		     i++) {
			if (r.p[i] == '?' || r.p[i] == ',')
				return EBADMSG;
		}
		a.auri.p = r.p;
		a.auri.l = i;
		sip_advance(&r, i);
	}
	err = sip_uri_decode(&a.uri, &a.auri);
	if (err)
		return err;
	err = addr_params(&a.params, r);
	if (err)
		return err;
	a.tag = (struct pl)PL_INIT;
	(void)sip_param_get(&a.tag, &a.params, "tag");
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

int
sip_contact_decode(struct sip_contact *c, const struct pl *pl)
{
	struct sip_contact ct;
	struct pl r = *pl, v;
	int err;

	sip_trim(&r);
	memset(&ct, 0, sizeof(ct));
	if (r.l == 1 && r.p[0] == '*') {
		ct.star = true;
		*c = ct;
		return 0;
	}
	err = sip_addr_decode(&ct.addr, &r);
	if (err)
		return err;
	if (sip_param_get(&v, &ct.addr.params, "expires") == 0) {
		if (sip_u32_decode(&ct.expires, &v, UINT32_MAX))
			return EBADMSG;
		ct.has_expires = true;
	}
	if (sip_param_get(&v, &ct.addr.params, "q") == 0) {
		if (qvalue_decode(&ct.q, &v))
			return EBADMSG;
		ct.has_q = true;
	}
	if (sip_param_get(&v, &ct.addr.params, "+sip.instance") == 0) {
		sip_unquote(&v);
		ct.instance = v;
	}
	if (sip_param_get(&v, &ct.addr.params, "reg-id") == 0) {
		if (sip_u32_decode(&ct.reg_id, &v, UINT32_MAX))
			return EBADMSG;
		ct.has_reg_id = true;
	}
	*c = ct;
	return 0;
}
