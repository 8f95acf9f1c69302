/* Digest authentication helpers (RFC 7616, RFC 8760), qop=auth. */
#include <errno.h>

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

/* Hash the parts joined by ':' into lowercase hex. */
static int
hash_hex(char *hex, enum sip_digest_alg alg, const struct pl *parts, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int err = 0;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ENOMEM;
	if (!EVP_DigestInit_ex(
	        ctx, alg == SIP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5(),
	        NULL)) {
		err = EINVAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((i && !EVP_DigestUpdate(ctx, ":", 1)) ||
		    (parts[i].l &&
		     !EVP_DigestUpdate(ctx, parts[i].p, parts[i].l))) {
			err = EINVAL;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		err = EINVAL;
		goto out;
	}
	for (unsigned i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * mdlen] = '\0';
out:
	EVP_MD_CTX_free(ctx);
	return err;
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
