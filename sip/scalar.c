/* Scalar and small headers: CSeq, Max-Forwards, Expires, Content-Length,
 * Call-ID, token lists, Content-Type, Reason, Session-Expires, Retry-After. */
#include <errno.h>

#include "sip_int.h"

int
sip_u32_decode(uint32_t *v, const struct pl *pl, uint32_t max)
{
	uint64_t n = 0;

	if (!pl->p || pl->l == 0)
		return EBADMSG;
	for (size_t i = 0; i < pl->l; i++) {
		unsigned char c = (unsigned char)pl->p[i];
		if (c < '0' || c > '9')
			return EBADMSG;
		n = n * 10 + (c - '0');
		if (n > max)
			return EBADMSG;
	}
	*v = (uint32_t)n;
	return 0;
}

/* Digits at the front of pl, then optional whitespace. */
static int
take_u32(uint32_t *v, struct pl *pl, uint32_t max)
{
	struct pl d = { pl->p, sip_span(pl, SIP_C_DIGIT) };
	int err = sip_u32_decode(v, &d, max);
	if (err)
		return err;
	sip_advance(pl, d.l);
	sip_skip_ws(pl);
	return 0;
}

int
sip_cseq_decode(struct sip_cseq *cseq, const struct pl *pl)
{
	struct pl r = *pl, m;
	uint32_t n;
	size_t digits;

	sip_trim(&r);
	digits = sip_span(&r, SIP_C_DIGIT);
	if (digits == r.l || !sip_is((unsigned char)r.p[digits], SIP_C_WS))
		return EBADMSG;
	if (take_u32(&n, &r, UINT32_MAX))
		return EBADMSG;
	if (sip_take_token(&m, &r) || r.l)
		return EBADMSG;
	cseq->num = n;
	cseq->method = m;
	return 0;
}

int
sip_max_forwards_decode(uint32_t *mf, const struct pl *pl)
{
	struct pl r = *pl;
	sip_trim(&r);
	return sip_u32_decode(mf, &r, 255);
}

int
sip_expires_decode(uint32_t *secs, const struct pl *pl)
{
	struct pl r = *pl;
	sip_trim(&r);
	return sip_u32_decode(secs, &r, UINT32_MAX);
}

int
sip_content_length_decode(size_t *len, const struct pl *pl)
{
	struct pl r = *pl;
	uint32_t n;
	int err;

	sip_trim(&r);
	err = sip_u32_decode(&n, &r, UINT32_MAX);
	if (!err)
		*len = n;
	return err;
}

int
sip_callid_decode(struct pl *callid, const struct pl *pl)
{
	struct pl r = *pl;

	sip_trim(&r);
	if (r.l == 0)
		return EBADMSG;
	/* printable ASCII only (0x21..0x7e): eight bytes at a time, a byte
	 * below 0x21 or above 0x7e sets its top bit in bad */
	size_t i = 0;
	for (; i + 8 <= r.l; i += 8) {
		const uint64_t ones = 0x0101010101010101ULL;
		const uint64_t high = 0x8080808080808080ULL;
		uint64_t w, bad;
		memcpy(&w, r.p + i, 8);
		bad = ((w - ones * 0x21) & ~w) | ((w + ones * 1) | w);
		if (bad & high)
			return EBADMSG;
	}
	for (; i < r.l; i++) {
		if ((unsigned char)(r.p[i] - 0x21) > 0x7e - 0x21)
			return EBADMSG;
	}
	*callid = r;
	return 0;
}

int
sip_token_next(struct pl *tok, struct pl *rest)
{
	struct pl e;

	while (sip_list_next(&e, rest) == 0) {
		if (e.l == 0)
			continue;
		*tok = e;
		return 0;
	}
	return ENOENT;
}

bool
sip_msg_has_token(const struct sip_msg *msg, enum sip_hdr_id id,
                  const char *tok)
{
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = sip_msg_hdr_next(msg, h)) {
		struct pl rest = h->val, t;
		while (sip_token_next(&t, &rest) == 0) {
			if (pl_eqi_str(&t, tok))
				return true;
		}
	}
	return false;
}

/* Parameters after a value: each must be well formed. */
static int
params_check(struct pl *params, const struct pl *r)
{
	struct pl rest = *r, n, v;
	int err;

	sip_skip_ws(&rest);
	if (rest.l && rest.p[0] != ';')
		return EBADMSG;
	*params = rest;
	if (params->l) {
		sip_advance(params, 1);
		sip_skip_ws(params);
	}
	while ((err = sip_param_next(&n, &v, &rest)) == 0)
		;
	return err == ENOENT ? 0 : err;
}

int
sip_ctype_decode(struct sip_ctype *ct, const struct pl *pl)
{
	struct pl r = *pl, t, s, params;

	sip_trim(&r);
	if (sip_take_token(&t, &r))
		return EBADMSG;
	sip_skip_ws(&r);
	if (!r.l || r.p[0] != '/')
		return EBADMSG;
	sip_advance(&r, 1);
	sip_skip_ws(&r);
	if (sip_take_token(&s, &r))
		return EBADMSG;
	if (params_check(&params, &r))
		return EBADMSG;
	ct->type = t;
	ct->subtype = s;
	ct->params = params;
	return 0;
}

bool
sip_ctype_is(const struct sip_ctype *ct, const char *type, const char *subtype)
{
	return pl_eqi_str(&ct->type, type) && pl_eqi_str(&ct->subtype, subtype);
}

int
sip_reason_decode(struct sip_reason *r, const struct pl *pl)
{
	struct pl rest = *pl, proto, v;
	uint32_t cause;

	sip_trim(&rest);
	if (sip_take_token(&proto, &rest))
		return EBADMSG;
	r->proto = proto;
	if (params_check(&r->params, &rest))
		return EBADMSG;
	r->has_cause = false;
	r->cause = 0;
	r->text = (struct pl)PL_INIT;
	if (sip_param_get(&v, &r->params, "cause") == 0) {
		if (sip_u32_decode(&cause, &v, 65535))
			return EBADMSG;
		r->has_cause = true;
		r->cause = (uint16_t)cause;
	}
	if (sip_param_get(&v, &r->params, "text") == 0) {
		sip_unquote(&v);
		r->text = v;
	}
	return 0;
}

int
sip_session_expires_decode(struct sip_session_expires *se, const struct pl *pl)
{
	struct pl r = *pl, v;
	uint32_t d;

	sip_trim(&r);
	if (take_u32(&d, &r, UINT32_MAX))
		return EBADMSG;
	if (params_check(&se->params, &r))
		return EBADMSG;
	se->delta = d;
	se->refresher = (struct pl)PL_INIT;
	if (sip_param_get(&v, &se->params, "refresher") == 0)
		se->refresher = v;
	return 0;
}

int
sip_retry_after_decode(struct sip_retry_after *ra, const struct pl *pl)
{
	struct pl r = *pl, v;
	uint32_t d;

	sip_trim(&r);
	if (take_u32(&d, &r, UINT32_MAX))
		return EBADMSG;
	ra->delta = d;
	ra->comment = (struct pl)PL_INIT;
	if (r.l && r.p[0] == '(') {
		int depth = 0;
		size_t i;
		for (i = 0; i < r.l; i++) {
			if (r.p[i] == '\\') {
				i++;
			} else if (r.p[i] == '(') {
				depth++;
			} else if (r.p[i] == ')' && --depth == 0) {
				break;
			}
		}
		if (i >= r.l)
			return EBADMSG;
		ra->comment.p = r.p + 1;
		ra->comment.l = i - 1;
		sip_advance(&r, i + 1);
	}
	if (params_check(&ra->params, &r))
		return EBADMSG;
	ra->has_duration = false;
	ra->duration = 0;
	if (sip_param_get(&v, &ra->params, "duration") == 0) {
		if (sip_u32_decode(&ra->duration, &v, UINT32_MAX))
			return EBADMSG;
		ra->has_duration = true;
	}
	return 0;
}
