/*
 * The one verdict path of digest authentication (auth.h), for REGISTER
 * (registrar.c, registration.c) and INVITE (call_router.c, and the
 * stateless 407 of sip_uas.c): what the request gets is decided here, each
 * caller only sends it its own way.
 *
 * Backoffs (auth_limit.c), chosen after fail2ban and Kamailio's pike:
 *  - a source past the threshold is ignored (no answer at all): it is the
 *    one guessing, an answer would only feed it or, spoofed, reflect
 *    traffic at someone else, and a drop costs nothing;
 *  - a user past the threshold, asked from a source it never
 *    authenticated from, gets 503 with Retry-After, its password not even
 *    checked: the guessing stops wherever it comes from, and a real phone
 *    of the user's on a new address is told when to come back (RFC 3261
 *    §21.5.4) instead of a 403 that phones show as a wrong password.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "directory.h"

struct find_arg {
	const struct directory *dir;
	const struct pl *domain;
};

static const struct conf_user *
find_user(void *arg, const struct pl *user)
{
	struct find_arg *f = arg;

	return directory_find(f->dir, user, f->domain);
}

static void
refuse(struct auth_verdict *v, uint16_t code, const char *reason)
{
	v->action = AUTH_REFUSE;
	v->code = code;
	v->reason = reason;
}

static void
src_text(char *out, size_t n, const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	const void *ip;

	if (!sa) {
		snprintf(out, n, "?");
		return;
	}
	memcpy(&ss, sa,
	       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                 : sizeof(struct sockaddr_in));
	ip = sa->sa_family == AF_INET6
	         ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
	         : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
	if (!inet_ntop(sa->sa_family, ip, out, (socklen_t)n))
		snprintf(out, n, "?");
}

void
auth_decide(struct auth *a, const struct sip_msg *msg, bool proxy,
            const struct sockaddr *src, const struct directory *dir,
            const struct pl *domain, uint64_t now_ms, struct auth_verdict *v)
{
	struct find_arg fa = { dir, domain };
	uint64_t wait;
	int creds;
	char from[INET6_ADDRSTRLEN];

	memset(v, 0, sizeof(*v));
	if (auth_limits_source(a->limits, src, now_ms)) {
		v->action = AUTH_DROP;
		return;
	}
	creds = auth_creds(a, msg, proxy, &v->cr.h, &v->cr.nc);
	if (creds == ENOENT) {
		v->result = AUTH_NONE;
		v->action = AUTH_CHALLENGE;
		return;
	}
	if (creds == 0 && v->cr.h.username.l &&
	    (wait = auth_limits_user(a->limits, &v->cr.h.username, domain, src,
	                             now_ms)) != 0) {
		v->cr.username = v->cr.h.username;
		refuse(v, 503, "Too Many Failed Authentications");
		v->retry_after = (uint32_t)((wait + 999) / 1000);
		return;
	}
	v->result = creds == EBADMSG ? AUTH_MALFORMED
	                             : auth_verify(a, msg, now_ms / 1000,
	                                           find_user, &fa, &v->cr);
	switch (v->result) {
	case AUTH_OK:
		v->user = find_user(&fa, &v->cr.username);
		auth_limits_passed(a->limits, &v->cr.username, domain, src,
		                   now_ms);
		v->action = AUTH_ACCEPT;
		return;
	case AUTH_STALE:
	case AUTH_FOREIGN:
	case AUTH_REPLAYED:
		if (v->result == AUTH_REPLAYED) {
			src_text(from, sizeof(from), src);
			auth_logf(
			    a->log, false,
			    "%.*s from %s: replayed credentials of %.*s "
			    "(nonce count %u used before): challenged again",
			    PL_ARG(msg->method), from, PL_ARG(v->cr.username),
			    v->cr.nc);
		}
		v->stale = true;
		/* fall through */
	case AUTH_NONE:
	case AUTH_BAD_NONCE:
		v->action = AUTH_CHALLENGE;
		return;
	case AUTH_MALFORMED:
		refuse(v, 400,
		       proxy ? "Bad Proxy-Authorization" : "Bad Authorization");
		return;
	case AUTH_URI:
		/* RFC 2617 §3.2.2.5: the credentials are for another
		 * resource */
		refuse(v, 400, "Digest URI Does Not Match Request-URI");
		return;
	case AUTH_UNKNOWN:
	case AUTH_WRONG:
		src_text(from, sizeof(from), src);
		auth_logf(a->log, false,
		          "%.*s from %s refused: wrong credentials for %.*s",
		          PL_ARG(msg->method), from, PL_ARG(v->cr.username));
		auth_limits_failed(
		    a->limits, v->result == AUTH_WRONG ? &v->cr.username : NULL,
		    domain, src, now_ms);
		refuse(v, 403, NULL);
		return;
	}
}

int
auth_answer_hdrs(struct sip_buf *b, void *arg)
{
	const struct auth_answer *an = arg;

	if (an->v->action == AUTH_CHALLENGE)
		return auth_challenge(an->a, b, an->proxy, an->v->stale,
		                      an->now_s);
	if (an->v->retry_after)
		return sip_buf_printf(b, "Retry-After: %u\r\n",
		                      an->v->retry_after);
	return 0;
}
