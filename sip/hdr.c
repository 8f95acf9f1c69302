/* Character classes, the header index, lists, quoted strings and
 * parameters. */
#include <ctype.h>
#include <errno.h>

#include "sip_int.h"

#define T SIP_C_TOKEN
#define W SIP_C_WS
#define D SIP_C_DIGIT
#define A SIP_C_ALPHA
#define U SIP_C_USER
#define H SIP_C_HOST
#define C SIP_C_URIC
#define S SIP_C_SCHEME
#define L SIP_C_LISTSEP
#define N SIP_C_NEST
#define P SIP_C_PVAL
#define Q SIP_C_UPARAM

const uint16_t sip_ctab[256] = {
	/* clang-format off */
	0, 0, 0, 0, 0, 0, 0, 0,
	0, W, W, 0, 0, W, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	W, T|U|C|P|Q, L|N, C|Q, U|C|Q, T|U|C|P|Q, U|C|Q, T|U|C|P|Q,
	U|C|N|Q, U|C|N|Q, T|U|C|P|Q, T|U|C|S|P|Q, U|C|L|Q, T|U|H|C|S|P|Q, T|U|H|C|S|P|Q, U|C|Q,
	T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q,
	T|D|U|H|C|S|P|Q, T|D|U|H|C|S|P|Q, U|C|P|Q, U|C, L|N, U|C|Q, L|N, U|C,
	C|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q,
	T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q,
	T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q,
	T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, C|P|Q, C|Q, C|P|Q, C|Q, T|U|C|P|Q,
	T|C|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q,
	T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q,
	T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q,
	T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, T|A|U|H|C|S|P|Q, C|Q, C|Q, C|Q, T|U|C|P|Q, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0,
	/* clang-format on */
};

#undef T
#undef W
#undef D
#undef A
#undef U
#undef H
#undef C
#undef S
#undef L
#undef N
#undef P
#undef Q

/* ---- header index access --------------------------------------------- */

const struct sip_hdr *
sip_msg_hdr(const struct sip_msg *msg, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR_COUNT_ || !msg->first[id])
		return NULL;
	return &msg->hdrv[msg->first[id] - 1];
}

const struct sip_hdr *
sip_msg_hdr_next(const struct sip_msg *msg, const struct sip_hdr *hdr)
{
	if (!hdr || !hdr->next)
		return NULL;
	return &msg->hdrv[hdr->next - 1];
}

const struct sip_hdr *
sip_msg_hdr_byname(const struct sip_msg *msg, const char *name)
{
	for (unsigned i = 0; i < msg->hdrc; i++) {
		if (pl_eqi_str(&msg->hdrv[i].name, name))
			return &msg->hdrv[i];
	}
	return NULL;
}

unsigned
sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdr_id id)
{
	unsigned n = 0;
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = sip_msg_hdr_next(msg, h))
		n++;
	return n;
}

/* ---- lists ------------------------------------------------------------ */

int
sip_list_next(struct pl *elem, struct pl *rest)
{
	const char *p = rest->p;
	size_t i = 0, l = rest->l;
	int angle = 0;

	if (!p || l == 0)
		return ENOENT;
	for (; i < l; i++) {
		char c;
		/* most bytes are none of " < > , */
		i += sip_cspan(p + i, l - i, SIP_C_LISTSEP);
		if (i == l)
			break;
		c = p[i];
		if (c == '"') {
			for (i++; i < l && p[i] != '"'; i++) {
				if (p[i] == '\\')
					i++;
			}
		} else if (c == '<') {
			angle++;
		} else if (c == '>') {
			if (angle > 0)
				angle--;
		} else if (angle == 0) {
			break; /* ',' */
		}
	}
	if (i > l)
		i = l;
	elem->p = p;
	elem->l = i;
	sip_trim(elem);
	if (i < l) {
		/* a trailing comma is dropped; ",," yields an empty element */
		rest->p = p + i + 1;
		rest->l = l - i - 1;
		sip_skip_ws(rest);
	} else {
		rest->p = p + l;
		rest->l = 0;
	}
	return 0;
}

void
sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg,
                  enum sip_hdr_id id)
{
	it->msg = msg;
	it->hdr = sip_msg_hdr(msg, id);
	if (it->hdr)
		it->rest = it->hdr->val;
	else
		it->rest = (struct pl)PL_INIT;
}

int
sip_hdr_iter_next(struct pl *val, struct sip_hdr_iter *it)
{
	while (it->hdr) {
		if (sip_list_next(val, &it->rest) == 0)
			return 0;
		it->hdr = sip_msg_hdr_next(it->msg, it->hdr);
		if (it->hdr)
			it->rest = it->hdr->val;
	}
	return ENOENT;
}

/* ---- tokens, quoted strings, parameters ------------------------------- */

int
sip_take_token(struct pl *tok, struct pl *pl)
{
	size_t n = sip_span(pl, SIP_C_TOKEN);
	if (n == 0)
		return EBADMSG;
	tok->p = pl->p;
	tok->l = n;
	sip_advance(pl, n);
	return 0;
}

int
sip_take_qstr(struct pl *q, struct pl *pl)
{
	const char *p, *end;

	if (!pl->l || pl->p[0] != '"')
		return EBADMSG;
	end = pl->p + pl->l;
	/* a '"' closes unless an odd run of backslashes escapes it */
	for (p = pl->p + 1; (p = memchr(p, '"', (size_t)(end - p))); p++) {
		size_t bs = 0;
		while (p - bs - 1 > pl->p && p[-(ptrdiff_t)bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0) {
			q->p = pl->p + 1;
			q->l = (size_t)(p - pl->p - 1);
			sip_advance(pl, q->l + 2);
			return 0;
		}
	}
	return EBADMSG;
}

void
sip_unquote(struct pl *v)
{
	if (v->p && v->l >= 2 && v->p[0] == '"' && v->p[v->l - 1] == '"') {
		v->p++;
		v->l -= 2;
	}
}

int
sip_param_take(struct pl *name, struct pl *val, struct pl *r)
{
	struct pl n, v = PL_INIT;
	size_t i;

	if (r->l && r->p[0] == ';') {
		sip_advance(r, 1);
		sip_skip_ws(r);
	}
	n.p = r->p;
	n.l = sip_span(r, SIP_C_TOKEN);
	if (!n.l)
		return EBADMSG;
	sip_advance(r, n.l);
	sip_skip_ws(r);
	if (r->l && r->p[0] == '=') {
		sip_advance(r, 1);
		sip_skip_ws(r);
		if (r->l && r->p[0] == '"') {
			const char *start = r->p;
			struct pl q;
			if (sip_take_qstr(&q, r))
				return EBADMSG;
			v.p = start;
			v.l = (size_t)(r->p - start);
		} else {
			/* '[' ']' ':' appear in values such as received=[::1]
			 */
			i = sip_span(r, SIP_C_PVAL);
			if (i == 0)
				return EBADMSG;
			v.p = r->p;
			v.l = i;
			sip_advance(r, i);
		}
		sip_skip_ws(r);
	}
	*name = n;
	*val = v;
	return 0;
}

int
sip_param_next(struct pl *name, struct pl *val, struct pl *rest)
{
	struct pl r = *rest, n, v;
	int err;

	sip_skip_ws(&r);
	if (r.l == 0)
		return ENOENT;
	err = sip_param_take(&n, &v, &r);
	if (err)
		return err;
	if (r.l && r.p[0] != ';')
		return EBADMSG;
	*name = n;
	*val = v;
	*rest = r;
	return 0;
}

int
sip_param_get(struct pl *val, const struct pl *params, const char *name)
{
	struct pl rest = *params, n, v;

	if (!rest.p)
		return ENOENT;
	while (sip_param_next(&n, &v, &rest) == 0) {
		if (pl_eqi_str(&n, name)) {
			*val = v;
			return 0;
		}
	}
	return ENOENT;
}

bool
sip_param_exists(const struct pl *params, const char *name)
{
	struct pl v;
	return sip_param_get(&v, params, name) == 0;
}
