#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "pbx_clock.h"

/* 8 hex of time (seconds), 8 hex of the issuing node, 16 hex of salt, 32
 * hex of HMAC over the three: the salt makes every challenge's nonce its
 * own, so two devices of one AOR challenged in the same second do not share
 * a nonce (and its nonce counts); the node binds the nonce to the node that
 * remembers its counts, so that no other node of the cluster (which holds
 * the same secret but not those counts) takes a copy of it */
#define NONCE_LEN 64

/* HMAC-SHA256 keyed states per thread: struct auth is shared read-only by
 * the workers, and the registrar and the call router each have one (with
 * the same secret when it is configured, two random ones when it is not). */
#define MAC_KEYS 2

struct mac_key {
	unsigned char secret[32];
	EVP_MD_CTX *inner, *outer; /* SHA-256 over key^ipad, key^opad */
	bool set;
};

struct mac_state {
	struct mac_key keys[MAC_KEYS];
	unsigned next; /* the slot a new secret takes */
	EVP_MD_CTX *work;
};

static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static const EVP_MD *mac_md; /* SHA-256 (sip_digest_md) */
static pthread_key_t mac_tk; /* frees a thread's state when it exits */
static bool mac_tk_ok;
static _Thread_local struct mac_state *mac_tls;

static void
mac_state_free(void *p)
{
	struct mac_state *st = p;

	for (int i = 0; i < MAC_KEYS; i++) {
		EVP_MD_CTX_free(st->keys[i].inner);
		EVP_MD_CTX_free(st->keys[i].outer);
	}
	EVP_MD_CTX_free(st->work);
	free(st);
}

static void
mac_init(void)
{
	mac_md = sip_digest_md(SIP_DIGEST_SHA256);
	mac_tk_ok = pthread_key_create(&mac_tk, mac_state_free) == 0;
}

static struct mac_state *
mac_state(void)
{
	struct mac_state *st;
	bool ok;

	if (mac_tls)
		return mac_tls;
	pthread_once(&mac_once, mac_init);
	if (!mac_md || !(st = calloc(1, sizeof(*st))))
		return NULL;
	ok = (st->work = EVP_MD_CTX_new()) != NULL;
	for (int i = 0; i < MAC_KEYS; i++) {
		st->keys[i].inner = EVP_MD_CTX_new();
		st->keys[i].outer = EVP_MD_CTX_new();
		ok = ok && st->keys[i].inner && st->keys[i].outer;
	}
	if (!ok) {
		mac_state_free(st);
		return NULL;
	}
	if (mac_tk_ok)
		pthread_setspecific(mac_tk, st);
	return mac_tls = st;
}

/* This thread's keyed states for the secret, made on first use. */
static const struct mac_key *
mac_key(struct mac_state *st, const unsigned char secret[32])
{
	unsigned char pad[64];
	struct mac_key *k;
	bool ok;

	for (int i = 0; i < MAC_KEYS; i++)
		if (st->keys[i].set &&
		    memcmp(st->keys[i].secret, secret, 32) == 0)
			return &st->keys[i];
	k = &st->keys[st->next];
	st->next = (st->next + 1) % MAC_KEYS;
	/* a 32-byte key is shorter than SHA-256's block: zero-padded */
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < 32; i++)
		pad[i] ^= secret[i];
	ok = EVP_DigestInit_ex2(k->inner, mac_md, NULL) &&
	     EVP_DigestUpdate(k->inner, pad, sizeof(pad));
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex2(k->outer, mac_md, NULL) &&
	     EVP_DigestUpdate(k->outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
	k->set = ok;
	memcpy(k->secret, secret, 32);
	return ok ? k : NULL;
}

/* HMAC-SHA256(secret, in) from the keyed states: two SHA-256 blocks instead
 * of four, and no algorithm fetch per MAC (the one-shot HMAC() of OpenSSL 3
 * fetches both HMAC and SHA-256 on every call), which stays the fallback. */
static void
hmac(const unsigned char secret[32], const unsigned char *in, size_t l,
     unsigned char out[32])
{
	struct mac_state *st = mac_state();
	const struct mac_key *k = st ? mac_key(st, secret) : NULL;
	unsigned char ih[32];
	unsigned int ol = 32;

	if (k && EVP_MD_CTX_copy_ex(st->work, k->inner) &&
	    EVP_DigestUpdate(st->work, in, l) &&
	    EVP_DigestFinal_ex(st->work, ih, NULL) &&
	    EVP_MD_CTX_copy_ex(st->work, k->outer) &&
	    EVP_DigestUpdate(st->work, ih, sizeof(ih)) &&
	    EVP_DigestFinal_ex(st->work, out, NULL))
		return;
	HMAC(EVP_sha256(), secret, 32, in, l, out, &ol);
}

void
auth_logf(auth_log_h h, bool warn, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!h)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h(warn, line);
}

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
hex_put(char *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
}

/* n (8 or 16) lowercase hex digits, as nonce_make writes them. */
static bool
hex_get(const char *p, int n, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < n; i++) {
		unsigned d;

		if (p[i] >= '0' && p[i] <= '9')
			d = (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = (unsigned)(p[i] - 'a' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

/* The whole nonce, NONCE_LEN characters and a NUL, into out. */
static void
nonce_make(const struct auth *a, char *out, uint32_t ts, uint32_t node,
           uint64_t salt)
{
	unsigned char in[16 + sizeof(a->realm)], m[32];
	size_t rl = strlen(a->realm);

	for (int i = 0; i < 4; i++) {
		in[i] = (unsigned char)(ts >> (24 - 8 * i));
		in[4 + i] = (unsigned char)(node >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++)
		in[8 + i] = (unsigned char)(salt >> (56 - 8 * i));
	memcpy(in + 16, a->realm, rl);
	hmac(a->secret, in, 16 + rl, m);
	hex_put(out, in, 16); /* time, node and salt, big-endian */
	hex_put(out + 32, m, 16);
	out[NONCE_LEN] = '\0';
}

/* A salt of this thread's own: splitmix64 from a random seed, so salts do
 * not repeat within a thread and, by the seed, hardly across threads and
 * restarts. It need not be secret (the HMAC covers it), so it takes no
 * RAND_bytes (and its getpid()) per challenge. */
static uint64_t
salt_next(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local bool seeded;
	uint64_t z;

	if (!seeded) {
		if (RAND_bytes((unsigned char *)&state, sizeof(state)) != 1) {
			state = pbx_wall_ns();
			state ^= (uint64_t)(uintptr_t)&state << 16;
		}
		seeded = true;
	}
	z = (state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void
auth_nonce(const struct auth *a, char *out, size_t n, uint64_t now_s)
{
	char nonce[NONCE_LEN + 1];
	size_t l;

	if (!n)
		return;
	l = n > NONCE_LEN ? NONCE_LEN : n - 1;
	nonce_make(a, nonce, (uint32_t)now_s, a->node, salt_next());
	memcpy(out, nonce, l);
	out[l] = '\0';
}

/* 0 and the nonce's time, issuing node and salt, or EINVAL if it is not
 * one of the cluster's (made under another secret or realm, or altered). */
static int
nonce_time(const struct auth *a, const struct pl *nonce, uint64_t *ts,
           uint32_t *node, uint64_t *saltp)
{
	char want[NONCE_LEN + 1];
	uint64_t t, n, salt;

	if (nonce->l != NONCE_LEN || !hex_get(nonce->p, 8, &t) ||
	    !hex_get(nonce->p + 8, 8, &n) || !hex_get(nonce->p + 16, 16, &salt))
		return EINVAL;
	nonce_make(a, want, (uint32_t)t, (uint32_t)n, salt);
	if (CRYPTO_memcmp(want, nonce->p, NONCE_LEN) != 0)
		return EINVAL;
	*ts = t;
	*node = (uint32_t)n;
	*saltp = salt;
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

/* nc-value = 8LHEX (RFC 7616 §3.4): 1 to 8 hex digits, not zero. */
static bool
nc_decode(const struct pl *p, uint32_t *nc)
{
	uint32_t v = 0;

	if (!p->l || p->l > 8)
		return false;
	for (size_t i = 0; i < p->l; i++) {
		char c = p->p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*nc = v;
	return v != 0;
}

int
auth_creds(const struct auth *a, const struct sip_msg *msg, bool proxy,
           struct sip_auth *h, uint32_t *nc)
{
	*nc = 0;
	if (pick(a, msg, proxy, h) != 0)
		return ENOENT;
	if (!h->qop.l)
		return 0;
	if (!pl_eqi_str(&h->qop, "auth") || !h->cnonce.l ||
	    !nc_decode(&h->nc, nc))
		return EBADMSG;
	return 0;
}

/* The digest uri names the Request-URI's resource (RFC 2617 §3.2.2.5):
 * the same text, or for SIP URIs the same scheme, user, host (any case)
 * and port; parameters may be written otherwise, and a port left out on
 * one side matches any (sipp answers a REGISTER to sip:HOST with the uri
 * sip:HOST:PORT it sent to). */
static bool
uri_matches(const struct pl *duri, const struct pl *ruri)
{
	struct sip_uri a, b;

	if (pl_eq(duri, ruri))
		return true;
	if (sip_uri_decode(&a, duri) != 0 || sip_uri_decode(&b, ruri) != 0)
		return false;
	return (a.scheme == SIP_SCHEME_SIP || a.scheme == SIP_SCHEME_SIPS) &&
	       a.scheme == b.scheme && pl_eq(&a.user, &b.user) &&
	       pl_eqi(&a.host, &b.host) &&
	       (a.port == b.port || !a.port || !b.port);
}

/* The client's response against ours, in time that does not depend on
 * where they differ; hex in any case. */
static bool
response_ok(const struct pl *got, const char *want)
{
	char low[SIP_DIGEST_HEX_MAX];
	size_t l = strlen(want);

	if (got->l != l || l >= sizeof(low))
		return false;
	for (size_t i = 0; i < l; i++) {
		char c = got->p[i];

		low[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	return CRYPTO_memcmp(low, want, l) == 0;
}

enum auth_result
auth_check(const struct auth *a, const struct sip_msg *msg, bool proxy,
           uint64_t now_s,
           const struct conf_user *(*find)(void *arg, const struct pl *u),
           void *find_arg, struct auth_creds *out)
{
	int creds;

	memset(out, 0, sizeof(*out));
	creds = auth_creds(a, msg, proxy, &out->h, &out->nc);
	if (creds == ENOENT)
		return AUTH_NONE;
	if (creds == EBADMSG)
		return AUTH_MALFORMED;
	return auth_verify(a, msg, now_s, find, find_arg, out);
}

enum auth_result
auth_verify(const struct auth *a, const struct sip_msg *msg, uint64_t now_s,
            const struct conf_user *(*find)(void *arg, const struct pl *u),
            void *find_arg, struct auth_creds *out)
{
	struct sip_auth *h = &out->h;
	enum sip_digest_alg alg = SIP_DIGEST_MD5;
	char ha1[SIP_DIGEST_HEX_MAX], ha2[SIP_DIGEST_HEX_MAX];
	char want[SIP_DIGEST_HEX_MAX];
	const struct conf_user *u;
	struct auth_nonce_use use;
	uint32_t node;

	if (!h->username.l || !h->nonce.l || !h->uri.l || !h->response.l)
		return AUTH_MALFORMED;
	if (h->algorithm.l && sip_digest_alg_decode(&alg, &h->algorithm) != 0)
		return AUTH_NONE; /* e.g. -sess: challenge with ours */
	/* RFC 2069 answers (no qop) have no nonce count, so nothing tells a
	 * replay from a retry: challenge again, we offer qop=auth */
	if (!h->qop.l)
		return AUTH_NONE;
	out->username = h->username;
	if (!uri_matches(&h->uri, &msg->ruri))
		return AUTH_URI;
	if (nonce_time(a, &h->nonce, &use.ts, &node, &use.salt) != 0)
		return AUTH_BAD_NONCE;
	if (!(u = find(find_arg, &h->username)))
		return AUTH_UNKNOWN;
	if (ha1_of(ha1, alg, u, h) != 0 ||
	    sip_digest_ha2(ha2, alg, &msg->method, &h->uri) != 0 ||
	    sip_digest_response(want, alg, ha1, &h->nonce, &h->nc, &h->cnonce,
	                        &h->qop, ha2) != 0 ||
	    !response_ok(&h->response, want))
		return AUTH_WRONG;
	if (now_s > use.ts + a->lifetime_s || use.ts > now_s + 60)
		return AUTH_STALE;
	/* another node's nonce: its counts are there, not here, so a copy
	 * of a credential accepted there would pass here; the client gets
	 * our nonce instead (stale: it knows the password, it just asks
	 * again, once per node it moves to) */
	if (node != a->node)
		return AUTH_FOREIGN;
	use.nc = out->nc;
	if (a->nonces) {
		switch (auth_nonces_use(a->nonces, &use, now_s)) {
		case AUTH_NONCE_FRESH:
			break;
		case AUTH_NONCE_FORGOTTEN:
			return AUTH_STALE;
		default:
			return AUTH_REPLAYED;
		}
	}
	return AUTH_OK;
}
