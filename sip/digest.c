/* Digest authentication helpers (RFC 7616, RFC 8760), qop=auth. */
#include <errno.h>
#include <pthread.h>

#include <openssl/evp.h>

#include "sip_int.h"

int
sip_digest_alg_decode(enum sip_digest_alg *alg, const struct pl *pl)
{
	/* absent algorithm means MD5 (RFC 7616 3.3) */
	if (!pl->p || pl_eqi_str(pl, "MD5")) {
		*alg = SIP_DIGEST_MD5;
		return 0;
	}
	if (pl_eqi_str(pl, "SHA-256")) {
		*alg = SIP_DIGEST_SHA256;
		return 0;
	}
	return EINVAL;
}

const char *
sip_digest_alg_name(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5";
}

/* The digests, fetched once: EVP_md5() and EVP_sha256() make EVP_DigestInit
 * look the implementation up in the provider store on every call. */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_md5, *md_sha256;
static pthread_key_t ctx_key; /* frees a thread's context when it exits */
static bool ctx_key_ok;
static _Thread_local EVP_MD_CTX *tls_ctx;

static void
ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
md_init(void)
{
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	ctx_key_ok = pthread_key_create(&ctx_key, ctx_free) == 0;
}

const EVP_MD *
sip_digest_md(enum sip_digest_alg alg)
{
	pthread_once(&md_once, md_init);
	return alg == SIP_DIGEST_SHA256 ? md_sha256 : md_md5;
}

/* This thread's context, reinitialised for each hash. */
static EVP_MD_CTX *
md_ctx(void)
{
	if (tls_ctx)
		return tls_ctx;
	if (!(tls_ctx = EVP_MD_CTX_new()))
		return NULL;
	if (ctx_key_ok)
		pthread_setspecific(ctx_key, tls_ctx);
	return tls_ctx;
}

/* Hash the parts joined by ':' into lowercase hex. */
static int
hash_hex(char *hex, enum sip_digest_alg alg, const struct pl *parts, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const EVP_MD *type;
	EVP_MD_CTX *ctx;

	type = sip_digest_md(alg);
	if (!type)
		return EINVAL;
	if (!(ctx = md_ctx()))
		return ENOMEM;
	if (!EVP_DigestInit_ex2(ctx, type, NULL))
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		if ((i && !EVP_DigestUpdate(ctx, ":", 1)) ||
		    (parts[i].l &&
		     !EVP_DigestUpdate(ctx, parts[i].p, parts[i].l)))
			return EINVAL;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen))
		return EINVAL;
	for (unsigned i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

static struct pl
opt(const struct pl *pl)
{
	struct pl e = { "", 0 };
	return pl && pl->p ? *pl : e;
}

int
sip_digest_ha1(char *hex, enum sip_digest_alg alg, const struct pl *user,
               const struct pl *realm, const struct pl *password)
{
	struct pl parts[3] = { opt(user), opt(realm), opt(password) };
	return hash_hex(hex, alg, parts, 3);
}

int
sip_digest_ha2(char *hex, enum sip_digest_alg alg, const struct pl *method,
               const struct pl *uri)
{
	struct pl parts[2] = { opt(method), opt(uri) };
	return hash_hex(hex, alg, parts, 2);
}

int
sip_digest_response(char *hex, enum sip_digest_alg alg, const char *ha1,
                    const struct pl *nonce, const struct pl *nc,
                    const struct pl *cnonce, const struct pl *qop,
                    const char *ha2)
{
	if (qop && qop->p) {
		struct pl parts[6] = { pl_from_str(ha1), opt(nonce),
			               opt(nc),          opt(cnonce),
			               opt(qop),         pl_from_str(ha2) };
		if (!pl_eqi_str(qop, "auth"))
			return EINVAL;
		return hash_hex(hex, alg, parts, 6);
	} else {
		struct pl parts[3] = { pl_from_str(ha1), opt(nonce),
			               pl_from_str(ha2) };
		return hash_hex(hex, alg, parts, 3);
	}
}

int
sip_digest_challenge(struct sip_buf *b, const struct pl *realm,
                     const struct pl *nonce, const struct pl *opaque,
                     enum sip_digest_alg alg, bool stale)
{
	size_t pos0 = b->pos;
	int err;

	struct pl r = opt(realm), n = opt(nonce);

	err = sip_buf_str(b, "Digest realm=\"");
	err = err ? err : sip_buf_pl(b, &r);
	err = err ? err : sip_buf_str(b, "\", nonce=\"");
	err = err ? err : sip_buf_pl(b, &n);
	err = err ? err : sip_buf_str(b, "\"");
	if (!err && opaque && opaque->p) {
		err = sip_buf_str(b, ", opaque=\"");
		err = err ? err : sip_buf_pl(b, opaque);
		err = err ? err : sip_buf_str(b, "\"");
	}
	err = err ? err : sip_buf_str(b, ", algorithm=");
	err = err ? err : sip_buf_str(b, sip_digest_alg_name(alg));
	err = err ? err : sip_buf_str(b, ", qop=\"auth\"");
	if (!err && stale)
		err = sip_buf_str(b, ", stale=true");
	if (err)
		b->pos = pos0;
	return err;
}
