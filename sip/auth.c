/* WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization
 * (RFC 3261 25, RFC 7616 3.3 and 3.4). */
#include <errno.h>

#include "sip_int.h"

static void
auth_set(struct sip_auth *a, const struct pl *n, const struct pl *v)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "realm", offsetof(struct sip_auth, realm) },
		{ "nonce", offsetof(struct sip_auth, nonce) },
		{ "opaque", offsetof(struct sip_auth, opaque) },
		{ "algorithm", offsetof(struct sip_auth, algorithm) },
		{ "qop", offsetof(struct sip_auth, qop) },
		{ "stale", offsetof(struct sip_auth, stale) },
		{ "domain", offsetof(struct sip_auth, domain) },
		{ "username", offsetof(struct sip_auth, username) },
		{ "uri", offsetof(struct sip_auth, uri) },
		{ "response", offsetof(struct sip_auth, response) },
		{ "cnonce", offsetof(struct sip_auth, cnonce) },
		{ "nc", offsetof(struct sip_auth, nc) },
	};

	if (pl_eqi_str(n, "userhash")) {
		a->userhash = pl_eqi_str(v, "true");
		return;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (pl_eqi_str(n, fields[i].name)) {
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
