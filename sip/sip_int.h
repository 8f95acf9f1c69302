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
	SIP_C_USER = 1 << 4,    /* userinfo: unreserved, user-unreserved, ':' */
	SIP_C_HOST = 1 << 5,    /* hostname / IPv4 characters */
	SIP_C_URIC = 1 << 6,    /* anything allowed in a URI outside <> */
	SIP_C_SCHEME = 1 << 7,  /* alpha digit + - . */
	SIP_C_LISTSEP = 1 << 8, /* " < > , : what list splitting looks at */
	SIP_C_NEST = 1 << 9,    /* " < > ( ) */
	SIP_C_PVAL = 1 << 10,   /* unquoted parameter value: token [ ] : */
	SIP_C_UPARAM = 1 << 11, /* URI characters but ; and ? (URI params) */
};

extern const uint16_t sip_ctab[256];

static inline int
sip_is(unsigned char c, int cls)
{
	return sip_ctab[c] & cls;
}

/* ASCII case-insensitive equality of n bytes. */
static inline bool
sip_casecmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x != y) {
			if (x >= 'A' && x <= 'Z')
				x += 32;
			if (y >= 'A' && y <= 'Z')
				y += 32;
			if (x != y)
				return false;
		}
	}
	return true;
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
	const unsigned char *p = (const unsigned char *)pl->p;
	size_t i = 0, l = pl->l;

	/* four bytes per bounds check: spans are mostly hosts and tokens */
	for (; i + 4 <= l; i += 4) {
		if (!(sip_ctab[p[i]] & cls))
			return i;
		if (!(sip_ctab[p[i + 1]] & cls))
			return i + 1;
		if (!(sip_ctab[p[i + 2]] & cls))
			return i + 2;
		if (!(sip_ctab[p[i + 3]] & cls))
			return i + 3;
	}
	while (i < l && (sip_ctab[p[i]] & cls))
		i++;
	return i;
}

/* Length of the leading run of characters not of class cls. */
static inline size_t
sip_cspan(const char *s, size_t l, int cls)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	for (; i + 4 <= l; i += 4) {
		if (sip_ctab[p[i]] & cls)
			return i;
		if (sip_ctab[p[i + 1]] & cls)
			return i + 1;
		if (sip_ctab[p[i + 2]] & cls)
			return i + 2;
		if (sip_ctab[p[i + 3]] & cls)
			return i + 3;
	}
	while (i < l && !(sip_ctab[p[i]] & cls))
		i++;
	return i;
}

/* Take a token off the front of pl into tok; EBADMSG if there is none. */
int sip_take_token(struct pl *tok, struct pl *pl);
/* Take a quoted string (pl starts at '"') into q, quotes removed. */
int sip_take_qstr(struct pl *q, struct pl *pl);
/* Strip surrounding quotes from a parameter value, if any. */
void sip_unquote(struct pl *v);
/* sip_hdr_lookup for a name already lowercased. */
enum sip_hdr_id sip_hdr_lookup_lc_(const char *lc, size_t len);
/* One ";name[=value]" (leading ';' optional) off the front of r, with the
 * whitespace after it; what follows is the caller's to check. */
int sip_param_take(struct pl *name, struct pl *val, struct pl *r);
/* Called for each parameter of a value being decoded; non-zero refuses. */
typedef int(sip_param_h)(void *arg, const struct pl *name,
                         const struct pl *val);
/* The *_take functions decode in place: on failure the output holds
 * garbage, which is why the public *_decode wrappers decode into a local. */
int sip_uri_take(struct sip_uri *uri, const struct pl *pl);
/* One Via value off the front of r; r is left at what follows (a ',' or
 * nothing), whitespace skipped. */
int sip_via_take(struct sip_via *via, struct pl *r);
/* One name-addr/addr-spec off the front of r, each parameter also passed
 * to ph when given; r is left as with sip_via_take. */
int sip_addr_take(struct sip_addr *addr, struct pl *r, sip_param_h *ph,
                  void *arg);
/* One Contact value (or '*') off the front of r. */
int sip_contact_take(struct sip_contact *c, struct pl *r);

#endif
