/* Private to sip/: character classes and scanning helpers. */
#ifndef SIP_SIP_INT_H
#define SIP_SIP_INT_H

#include <stdint.h>

#include "sip.h"

enum {
	SIP_C_TOKEN = 1 << 0, /* RFC 3261 token */
	SIP_C_WS = 1 << 1,    /* SP, HT, CR, LF (folding inside values) */
	SIP_C_DIGIT = 1 << 2,
	SIP_C_ALPHA = 1 << 3,
	SIP_C_USER = 1 << 4,   /* userinfo: unreserved, user-unreserved, ':' */
	SIP_C_HOST = 1 << 5,   /* hostname / IPv4 characters */
	SIP_C_URIC = 1 << 6,   /* anything allowed in a URI outside <> */
	SIP_C_SCHEME = 1 << 7, /* alpha digit + - . */
};

extern const uint8_t sip_ctab[256];

static inline int
sip_is(unsigned char c, int cls)
{
	return sip_ctab[c] & cls;
}

/* Trim whitespace (incl. folding) at both ends. */
static inline void
sip_trim(struct pl *pl)
{
	while (pl->l && sip_is((unsigned char)pl->p[0], SIP_C_WS)) {
		pl->p++;
		pl->l--;
	}
	while (pl->l && sip_is((unsigned char)pl->p[pl->l - 1], SIP_C_WS))
		pl->l--;
}

static inline void
sip_skip_ws(struct pl *pl)
{
	while (pl->l && sip_is((unsigned char)pl->p[0], SIP_C_WS)) {
		pl->p++;
		pl->l--;
	}
}

static inline void
sip_advance(struct pl *pl, size_t n)
{
	pl->p += n;
	pl->l -= n;
}

/* Length of the leading run of characters of class cls. */
static inline size_t
sip_span(const struct pl *pl, int cls)
{
	size_t i = 0;
	while (i < pl->l && sip_is((unsigned char)pl->p[i], cls))
		i++;
	return i;
}

/* Take a token off the front of pl into tok; EBADMSG if there is none. */
int sip_take_token(struct pl *tok, struct pl *pl);
/* Take a quoted string (pl starts at '"') into q, quotes removed. */
int sip_take_qstr(struct pl *q, struct pl *pl);
/* Strip surrounding quotes from a parameter value, if any. */
void sip_unquote(struct pl *v);
/* Host [":" port] with IPv6 references; host without []. */
int sip_hostport_decode(struct pl *host, bool *ipv6, uint16_t *port,
                        const struct pl *pl);

#endif
