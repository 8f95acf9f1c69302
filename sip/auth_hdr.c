/* WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization
 * (RFC 3261 25, RFC 7616 3.3 and 3.4). */
#include <errno.h>

#include "sip_int.h"

static void
auth_set(struct sip_auth *a, const struct pl *n, const struct pl *v)
{
#define F(n, f)                                                                \
	{                                                                      \
		n, sizeof(n) - 1, offsetof(struct sip_auth, f)                 \
	}
	static const struct {
		const char *name;
		size_t len;
		size_t off;
	} fields[] = {
		F("realm", realm),   F("nonce", nonce),
		F("opaque", opaque), F("algorithm", algorithm),
		F("qop", qop),       F("stale", stale),
		F("domain", domain), F("username", username),
		F("uri", uri),       F("response", response),
		F("cnonce", cnonce), F("nc", nc),
	};

#undef F
	if (pl_eqi_str(n, "userhash")) {
		a->userhash = pl_eqi_str(v, "true");
		return;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (n->l == fields[i].len &&
		    sip_casecmp(n->p, fields[i].name, n->l)) {
			*(struct pl *)((char *)a + fields[i].off) = *v;
			return;
		}
	}
}

int
sip_auth_decode(struct sip_auth *auth, const struct pl *pl)
{
	struct sip_auth a;
	struct pl r = *pl;

	memset(&a, 0, sizeof(a));
	sip_trim(&r);
	if (sip_take_token(&a.scheme, &r))
		return EBADMSG;
	if (r.l && !sip_is((unsigned char)r.p[0], SIP_C_WS))
		return EBADMSG;
	sip_skip_ws(&r);
	a.params = r;
	while (r.l) {
		struct pl n, v;

		if (sip_take_token(&n, &r))
			return EBADMSG;
		sip_skip_ws(&r);
		if (!r.l || r.p[0] != '=') {
			/* RFC 7235 token68 (e.g. Basic credentials) */
			if (r.l == 0 && a.params.p == n.p)
				break;
			return EBADMSG;
		}
		sip_advance(&r, 1);
		sip_skip_ws(&r);
		if (r.l && r.p[0] == '"') {
			if (sip_take_qstr(&v, &r))
				return EBADMSG;
		} else {
			v.p = r.p;
			v.l = sip_span(&r, SIP_C_TOKEN);
			if (r.l > v.l && r.p[v.l] == '=') {
				/* token68 padding */
				while (v.l < r.l && r.p[v.l] == '=')
					v.l++;
			}
			sip_advance(&r, v.l);
		}
		auth_set(&a, &n, &v);
		sip_skip_ws(&r);
		if (r.l) {
			if (r.p[0] != ',')
				return EBADMSG;
			sip_advance(&r, 1);
			sip_skip_ws(&r);
		}
	}
	*auth = a;
	return 0;
}
