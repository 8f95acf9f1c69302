#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"

/* 16 hex of time, 16 hex of salt, 32 hex of HMAC: the salt makes every
 * challenge's nonce its own, so two devices of one AOR challenged in the
 * same second do not share a nonce (and its nonce counts) */
#define NONCE_LEN 64

void
auth_init(struct auth *a, const char *realm, const char *secret,
          uint32_t lifetime_s)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->realm, sizeof(a->realm), "%s", realm);
	a->lifetime_s = lifetime_s;
	if (secret)
		/* any length in, 32 bytes of key out */
		EVP_Digest(secret, strlen(secret), a->secret, NULL,
		           EVP_sha256(), NULL);
	else
		RAND_bytes(a->secret, sizeof(a->secret));
}

static void
mac(const struct auth *a, uint64_t ts, uint64_t salt, unsigned char out[32])
{
	unsigned char in[16 + sizeof(a->realm)];
	size_t rl = strlen(a->realm);
	unsigned int ol = 32;

	for (int i = 0; i < 8; i++) {
		in[i] = (unsigned char)(ts >> (56 - 8 * i));
		in[8 + i] = (unsigned char)(salt >> (56 - 8 * i));
	}
	memcpy(in + 16, a->realm, rl);
	HMAC(EVP_sha256(), a->secret, sizeof(a->secret), in, 16 + rl, out, &ol);
}

static void
nonce_make(const struct auth *a, char *out, size_t n, uint64_t ts,
           uint64_t salt)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char m[32];
	int k;

	mac(a, ts, salt, m);
	k = snprintf(out, n, "%016llx%016llx", (unsigned long long)ts,
	             (unsigned long long)salt);
	for (int i = 0; i < 16 && k > 0 && (size_t)k + 2 < n; i++) {
		out[k++] = hex[m[i] >> 4];
		out[k++] = hex[m[i] & 15];
	}
	if (k > 0 && (size_t)k < n)
		out[k] = '\0';
}

void
auth_nonce(const struct auth *a, char *out, size_t n, uint64_t now_s)
{
	static _Thread_local uint64_t counter;
	uint64_t salt;

	if (RAND_bytes((unsigned char *)&salt, sizeof(salt)) != 1)
		salt = ++counter ^ ((uint64_t)(uintptr_t)&counter << 16);
	nonce_make(a, out, n, now_s, salt);
}

/* 0 and the nonce's time, or EINVAL if it is not one of ours. */
static int
nonce_time(const struct auth *a, const struct pl *nonce, uint64_t *ts)
{
	char want[NONCE_LEN + 1], tmp[17];
	unsigned long long t, salt;

	if (nonce->l != NONCE_LEN)
		return EINVAL;
	memcpy(tmp, nonce->p, 16);
	tmp[16] = '\0';
	if (sscanf(tmp, "%16llx", &t) != 1)
		return EINVAL;
	memcpy(tmp, nonce->p + 16, 16);
	if (sscanf(tmp, "%16llx", &salt) != 1)
		return EINVAL;
	nonce_make(a, want, sizeof(want), t, salt);
	if (CRYPTO_memcmp(want, nonce->p, NONCE_LEN) != 0)
		return EINVAL;
	*ts = t;
	return 0;
}

int
auth_challenge(const struct auth *a, struct sip_buf *b, bool proxy, bool stale,
               uint64_t now_s)
{
	/* MD5 first: sipp and many deployed phones answer the topmost
	 * challenge only, instead of the first they support (RFC 8760) */
	static const enum sip_digest_alg algs[] = { SIP_DIGEST_MD5,
		                                    SIP_DIGEST_SHA256 };
	char nonce[NONCE_LEN + 1];
	struct pl realm = pl_from_str(a->realm), np;
	int err = 0;

	auth_nonce(a, nonce, sizeof(nonce), now_s);
	np = pl_from_str(nonce);
	for (size_t i = 0; i < 2 && !err; i++) {
		if (a->algs &&
		    !(a->algs & (i ? CONF_DIGEST_SHA256 : CONF_DIGEST_MD5)))
			continue;
		err = sip_buf_str(b, proxy ? "Proxy-Authenticate: "
		                           : "WWW-Authenticate: ");
		err = err ? err
		          : sip_digest_challenge(b, &realm, &np, NULL, algs[i],
		                                 stale);
		err = err ? err : sip_buf_str(b, "\r\n");
	}
	return err;
}

static bool
ours(const struct auth *a, const struct sip_auth *h)
{
	return pl_eqi_str(&h->scheme, "Digest") &&
	       pl_eq_str(&h->realm, a->realm);
}

static int
pick(const struct auth *a, const struct sip_msg *msg, bool proxy,
     struct sip_auth *h)
{
	enum sip_hdr_id id =
	    proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;

	for (const struct sip_hdr *x = sip_msg_hdr(msg, id); x;
	     x = sip_msg_hdr_next(msg, x))
		if (sip_auth_decode(h, &x->val) == 0 && ours(a, h))
			return 0;
	return ENOENT;
}

static int
ha1_of(char *out, enum sip_digest_alg alg, const struct conf_user *u,
       const struct sip_auth *h)
{
	const char *stored = alg == SIP_DIGEST_MD5 ? u->ha1_md5 : u->ha1_sha256;
	struct pl pw;

	if (u->password) {
		pw = pl_from_str(u->password);
		return sip_digest_ha1(out, alg, &h->username, &h->realm, &pw);
	}
	if (!stored)
		return ENOENT;
	snprintf(out, SIP_DIGEST_HEX_MAX, "%s", stored);
	return 0;
}

int
auth_creds(const struct auth *a, const struct sip_msg *msg, bool proxy,
           struct sip_auth *h, uint32_t *nc)
{
	char ncs[16];

	*nc = 0;
	if (pick(a, msg, proxy, h) != 0)
		return ENOENT;
	if (!h->qop.l)
		return 0;
	if (!pl_eqi_str(&h->qop, "auth") || !h->nc.l || !h->cnonce.l ||
	    h->nc.l >= sizeof(ncs))
		return EBADMSG;
	memcpy(ncs, h->nc.p, h->nc.l);
	ncs[h->nc.l] = '\0';
	*nc = (uint32_t)strtoul(ncs, NULL, 16);
	return 0;
}

enum auth_result
auth_check(const struct auth *a, const struct sip_msg *msg, bool proxy,
           uint64_t now_s,
           const struct conf_user *(*find)(void *arg, const struct pl *u),
           void *find_arg, struct auth_creds *out)
{
	struct sip_auth *h = &out->h;
	enum sip_digest_alg alg = SIP_DIGEST_MD5;
	char ha1[SIP_DIGEST_HEX_MAX], ha2[SIP_DIGEST_HEX_MAX];
	char want[SIP_DIGEST_HEX_MAX];
	const struct conf_user *u;
	const struct pl *qop = NULL;
	uint64_t ts;
	int creds;

	memset(out, 0, sizeof(*out));
	creds = auth_creds(a, msg, proxy, h, &out->nc);
	if (creds == ENOENT)
		return AUTH_NONE;
	if (!h->username.l || !h->nonce.l || !h->uri.l || !h->response.l)
		return AUTH_MALFORMED;
	if (h->algorithm.l && sip_digest_alg_decode(&alg, &h->algorithm) != 0)
		return AUTH_NONE; /* e.g. -sess: challenge with ours */
	if (creds == EBADMSG)
		return AUTH_MALFORMED;
	if (h->qop.l)
		qop = &h->qop;
	out->username = h->username;
	if (nonce_time(a, &h->nonce, &ts) != 0)
		return AUTH_BAD_NONCE;
	if (!(u = find(find_arg, &h->username)))
		return AUTH_UNKNOWN;
	if (ha1_of(ha1, alg, u, h) != 0 ||
	    sip_digest_ha2(ha2, alg, &msg->method, &h->uri) != 0 ||
	    sip_digest_response(want, alg, ha1, &h->nonce, qop ? &h->nc : NULL,
	                        qop ? &h->cnonce : NULL, qop, ha2) != 0)
		return AUTH_WRONG;
	if (h->response.l != strlen(want) ||
	    strncasecmp(h->response.p, want, h->response.l) != 0)
		return AUTH_WRONG;
	if (now_s > ts + a->lifetime_s || ts > now_s + 60)
		return AUTH_STALE;
	return AUTH_OK;
}
