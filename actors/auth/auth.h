/*
 * Digest authentication for the registrar and the call admission (RFC 7616
 * with SHA-256 and MD5, RFC 8760, qop=auth). Nonces are stateless: the time
 * they were made and an HMAC of it under a secret the cluster shares, so any
 * node can check a nonce any other node made, and an old one is "stale".
 */
#ifndef PBX_AUTH_H
#define PBX_AUTH_H

#include <stdint.h>

#include "conf.h"
#include "sip.h"

struct auth {
	unsigned char secret[32];
	char realm[128];
	uint32_t lifetime_s;
	unsigned algs; /* CONF_DIGEST_* to challenge with; 0 = both */
};

enum auth_result {
	AUTH_OK = 0,
	AUTH_NONE,      /* no credentials for our realm: challenge */
	AUTH_STALE,     /* right password, old nonce: challenge stale=true */
	AUTH_BAD_NONCE, /* not one of ours: challenge */
	AUTH_UNKNOWN,   /* no such user */
	AUTH_WRONG,     /* wrong password (or response) */
	AUTH_MALFORMED, /* unusable header: 400 */
};

/* secret may be NULL: a random one (a single node then). */
void auth_init(struct auth *a, const char *realm, const char *secret,
               uint32_t lifetime_s);
/* A fresh nonce (NUL-terminated, 64 characters) for time `now_s`. */
void auth_nonce(const struct auth *a, char *out, size_t n, uint64_t now_s);
/* Append the challenge headers of a 401/407: MD5, then SHA-256. */
int auth_challenge(const struct auth *a, struct sip_buf *b, bool proxy,
                   bool stale, uint64_t now_s);

struct auth_creds {
	struct sip_auth h; /* the header that was checked */
	struct pl username;
	uint32_t nc; /* nonce count, 0 without qop */
};

/* The Digest credentials for our realm in the request's Authorization (or
 * Proxy-Authorization) into h, and their nonce count (0 without qop): 0,
 * ENOENT when there are none, EBADMSG when qop/nc/cnonce are unusable. */
int auth_creds(const struct auth *a, const struct sip_msg *msg, bool proxy,
               struct sip_auth *h, uint32_t *nc);

/* Check the request's Authorization (or Proxy-Authorization) against the
 * directory entry that `find` returns for the username. */
enum auth_result auth_check(const struct auth *a, const struct sip_msg *msg,
                            bool proxy, uint64_t now_s,
                            const struct conf_user *(*find)(void *arg,
                                                            const struct pl *u),
                            void *find_arg, struct auth_creds *out);

#endif
