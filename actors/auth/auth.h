/*
 * Digest authentication for the registrar and the call admission (RFC 7616
 * with SHA-256 and MD5, RFC 8760, qop=auth). Nonces are stateless: the time
 * they were made and an HMAC of it under a secret the cluster shares, so any
 * node can check a nonce any other node made, and an old one is "stale".
 * What a node remembers is what was accepted: the nonce counts used
 * (auth_nonce.c, so that no credential is accepted twice) and the failures
 * per source and per user (auth_limit.c, throttling). auth_decide
 * (auth_verdict.c) is the one verdict path of REGISTER and INVITE.
 */
#ifndef PBX_AUTH_H
#define PBX_AUTH_H

#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "sip.h"

struct auth_nonces;
struct auth_limits;

/* Where the module's log lines go, one per event, already formatted (the
 * module knows no runtime): set by the owner of the struct auth. */
typedef void (*auth_log_h)(bool warn, const char *line);

struct auth {
	unsigned char secret[32];
	char realm[128];
	uint32_t lifetime_s;
	/* this node's id: named in the nonces it makes, and only such nonces
	 * are accepted (set by the owner of the struct; auth_init: 0) */
	uint32_t node;
	unsigned algs; /* CONF_DIGEST_* to challenge with; 0 = both */
	/* the node's memory, shared by every worker (set by the owner of the
	 * struct; NULL: none kept) */
	struct auth_nonces *nonces;
	struct auth_limits *limits;
	auth_log_h log; /* NULL: no log lines */
};

/* A log line through h (NULL: none). */
void auth_logf(auth_log_h h, bool warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum auth_result {
	AUTH_OK = 0,
	AUTH_NONE,      /* no credentials for our realm: challenge */
	AUTH_STALE,     /* right password, old nonce: challenge stale=true */
	AUTH_BAD_NONCE, /* not one of ours: challenge */
	AUTH_UNKNOWN,   /* no such user */
	AUTH_WRONG,     /* wrong password (or response) */
	AUTH_MALFORMED, /* unusable header: 400 */
	AUTH_URI,       /* digest uri is not the Request-URI: 400 */
	AUTH_REPLAYED,  /* nonce count used before: challenge stale=true */
	AUTH_FOREIGN,   /* right password, another node's nonce: stale=true */
};

/* secret may be NULL: a random one (a single node then). */
void auth_init(struct auth *a, const char *realm, const char *secret,
               uint32_t lifetime_s);
/* A fresh nonce (NUL-terminated, 64 characters) for time `now_s`, naming
 * a->node. */
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
 * directory entry that `find` returns for the username: qop=auth required
 * (an RFC 2069 answer gets AUTH_NONE, a fresh challenge), the digest uri
 * must be the Request-URI, the response is compared in constant time, a
 * nonce another node made (same secret, another a->node) is AUTH_FOREIGN,
 * and with a->nonces a (nonce, nc) already accepted is AUTH_REPLAYED. */
enum auth_result auth_check(const struct auth *a, const struct sip_msg *msg,
                            bool proxy, uint64_t now_s,
                            const struct conf_user *(*find)(void *arg,
                                                            const struct pl *u),
                            void *find_arg, struct auth_creds *out);
/* The same on credentials auth_creds found (out->h, out->nc). */
enum auth_result
auth_verify(const struct auth *a, const struct sip_msg *msg, uint64_t now_s,
            const struct conf_user *(*find)(void *arg, const struct pl *u),
            void *find_arg, struct auth_creds *out);

/* --- accepted nonce counts (auth_nonce.c) ------------------------------ */

/* One accepted use of a nonce: what a node saw, and what cluster
 * replication will carry (the nonce's time and salt name it: its MAC was
 * checked). */
struct auth_nonce_use {
	uint64_t ts, salt;
	uint32_t nc;
};
enum {
	AUTH_NONCE_FRESH = 0, /* first use of this count: taken */
	AUTH_NONCE_REPLAYED,  /* this count was used */
	AUTH_NONCE_FORGOTTEN, /* maybe used, and dropped for room: stale */
};
/* Room for about `capacity` nonces (AUTH_NONCES_DEFAULT: 262144, about
 * 9 MB once all used, 20 s of 12,000 registrations/s); beyond it the
 * oldest are forgotten and answered stale. */
#define AUTH_NONCES_DEFAULT 262144
int auth_nonces_alloc(struct auth_nonces **out, uint32_t lifetime_s,
                      size_t capacity);
void auth_nonces_free(struct auth_nonces *t);
/* Record a use (any thread): AUTH_NONCE_*. A use a peer replicates will
 * be recorded the same way, its verdict ignored; the table is keyed by
 * the nonce alone, so it needs nothing else from the peer. */
int auth_nonces_use(struct auth_nonces *t, const struct auth_nonce_use *u,
                    uint64_t now_s);
/* Entries the table holds at most. */
size_t auth_nonces_capacity(const struct auth_nonces *t);

/* --- failed authentications (auth_limit.c) ----------------------------- */

/* Wrong passwords are counted per source address (IPv6: per /64) and per
 * user. `failures` within `window_s` start a backoff of `backoff_s`, doubled
 * at each new one up to `max_backoff_s` (a source) or `user_max_backoff_s`
 * (a user). failures 0: no throttling. */
struct auth_limit_conf {
	uint32_t failures, window_s, backoff_s, max_backoff_s;
	uint32_t user_max_backoff_s;
};
/* log: where the line that says a backoff starts goes. */
int auth_limits_alloc(struct auth_limits **out, const struct auth_limit_conf *c,
                      auth_log_h log);
void auth_limits_free(struct auth_limits *l);
/* ms left of the backoff of the source (0: none). Any thread. */
uint64_t auth_limits_source(struct auth_limits *l, const struct sockaddr *src,
                            uint64_t now_ms);
/* ms left of the backoff of user@realm for a request from src (0: none):
 * a source the user authenticated from before is not held back, so an
 * attacker elsewhere delays the user's new devices only. */
uint64_t auth_limits_user(struct auth_limits *l, const struct pl *user,
                          const struct pl *realm, const struct sockaddr *src,
                          uint64_t now_ms);
/* A wrong password (or unknown user: user NULL) from src; a log line when
 * a backoff starts. */
void auth_limits_failed(struct auth_limits *l, const struct pl *user,
                        const struct pl *realm, const struct sockaddr *src,
                        uint64_t now_ms);
/* Sharing with the cluster's other nodes: with on, each local failure is
 * also kept, aggregated per source and per user, for auth_limits_take. */
struct auth_failure {
	uint8_t ip[16];
	uint8_t ip_len; /* 4 or 16: a source's failures; 0: a user's */
	char user[128], realm[128];
	uint32_t count;
};
void auth_limits_share(struct auth_limits *l, bool on);
/* Take (and forget) at most max of the failures kept since the last take:
 * how many were written. Any thread. */
size_t auth_limits_take(struct auth_limits *l, struct auth_failure *out,
                        size_t max);
/* Count a peer's failures here (not kept for sharing: nothing echoes); a
 * log line when a backoff starts. */
void auth_limits_remote(struct auth_limits *l, const struct auth_failure *f,
                        uint64_t now_ms);
/* A success: src is a source of user's from now on. */
void auth_limits_passed(struct auth_limits *l, const struct pl *user,
                        const struct pl *realm, const struct sockaddr *src,
                        uint64_t now_ms);

/* --- the verdict on a request (auth_verdict.c) ------------------------- */

enum auth_action {
	AUTH_ACCEPT = 0, /* authenticated: cr and user are set */
	AUTH_CHALLENGE,  /* 401/407 with fresh challenges (stale) */
	AUTH_REFUSE,     /* answer code/reason (400, 403, 503) */
	AUTH_DROP,       /* no answer: a source that is backed off */
};

struct auth_verdict {
	enum auth_action action;
	enum auth_result result; /* what the check said */
	bool stale;
	uint16_t code;
	const char *reason;   /* NULL: the code's own */
	uint32_t retry_after; /* s, for a 503 */
	struct auth_creds cr;
	const struct conf_user *user;
};

struct directory;

/* The one verdict path of REGISTER (proxy false, Authorization, 401) and
 * INVITE (proxy true, Proxy-Authorization, 407): the source's backoff,
 * the credentials (auth_check), the user's backoff, the failures counted.
 * The user is looked up in dir under domain. Any worker. */
void auth_decide(struct auth *a, const struct sip_msg *msg, bool proxy,
                 const struct sockaddr *src, const struct directory *dir,
                 const struct pl *domain, uint64_t now_ms,
                 struct auth_verdict *v);

/* The header lines of a verdict's answer: the challenges, or Retry-After.
 * For the `hdrs` callbacks of the response builders. */
struct auth_answer {
	const struct auth *a;
	const struct auth_verdict *v;
	bool proxy;
	uint64_t now_s;
};
int auth_answer_hdrs(struct sip_buf *b, void *arg);

#endif
