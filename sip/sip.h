/* The SIP wire codec: parse, decode headers on demand, build. Pure: no I/O,
 * no globals, no allocation. Decoded structs hold slices (struct pl) into the
 * caller's buffer, which must outlive them.
 *
 * Errors are 0 or a positive errno: ENODATA = need more bytes (streams),
 * EBADMSG = malformed, ENOENT = absent, ENOSPC = output buffer full,
 * EMSGSIZE = over a configured limit. */
#ifndef SIP_SIP_H
#define SIP_SIP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pl.h"

/* ---- limits ---------------------------------------------------------- */

#define SIP_MAX_HDRS 128 /* hard capacity of the header index */

struct sip_limits {
	size_t max_size;   /* whole message incl. body; default 65536 */
	unsigned max_hdrs; /* header lines; default and cap SIP_MAX_HDRS */
	unsigned
	    max_depth; /* nesting of <> and quotes in one value; default 8 */
};

/* Fill lim with the defaults above. */
void sip_limits_default(struct sip_limits *lim);

/* ---- header ids ------------------------------------------------------ */

enum sip_hdr_id {
	SIP_HDR_OTHER = 0, /* unknown: kept verbatim with its name */
	SIP_HDR_ACCEPT,
	SIP_HDR_ACCEPT_CONTACT, /* a */
	SIP_HDR_ACCEPT_ENCODING,
	SIP_HDR_ACCEPT_LANGUAGE,
	SIP_HDR_ALERT_INFO,
	SIP_HDR_ALLOW,
	SIP_HDR_ALLOW_EVENTS, /* u */
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_CALL_ID, /* i */
	SIP_HDR_CALL_INFO,
	SIP_HDR_CONTACT, /* m */
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_CONTENT_ENCODING, /* e */
	SIP_HDR_CONTENT_LANGUAGE,
	SIP_HDR_CONTENT_LENGTH, /* l */
	SIP_HDR_CONTENT_TYPE,   /* c */
	SIP_HDR_CSEQ,
	SIP_HDR_DATE,
	SIP_HDR_ERROR_INFO,
	SIP_HDR_EVENT, /* o */
	SIP_HDR_EXPIRES,
	SIP_HDR_FROM,     /* f */
	SIP_HDR_IDENTITY, /* y */
	SIP_HDR_IN_REPLY_TO,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_MIME_VERSION,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_MIN_SE,
	SIP_HDR_ORGANIZATION,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_PATH,
	SIP_HDR_PRIORITY,
	SIP_HDR_PRIVACY,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_RACK,
	SIP_HDR_REASON,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_REFER_TO,       /* r */
	SIP_HDR_REFERRED_BY,    /* b */
	SIP_HDR_REJECT_CONTACT, /* j */
	SIP_HDR_REPLACES,
	SIP_HDR_REPLY_TO,
	SIP_HDR_REQUEST_DISPOSITION, /* d */
	SIP_HDR_REQUIRE,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_ROUTE,
	SIP_HDR_RSEQ,
	SIP_HDR_SERVER,
	SIP_HDR_SESSION_EXPIRES, /* x */
	SIP_HDR_SUBJECT,         /* s */
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_SUPPORTED, /* k */
	SIP_HDR_TIMESTAMP,
	SIP_HDR_TO, /* t */
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_USER_AGENT,
	SIP_HDR_VIA, /* v */
	SIP_HDR_WARNING,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_COUNT_
};

/* Header id for a name (long or compact form, any case); SIP_HDR_OTHER when
 * unknown. */
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);
/* Canonical long name of an id ("Call-ID"); NULL for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);

/* ---- parameters (";name=value" lists) -------------------------------- */

/* Next ";name[=value]" of params (leading ';' optional). val is empty with
 * p == NULL when there is no '='. Quoted values keep their quotes.
 * ENOENT at the end, EBADMSG when malformed (empty name...). */
int sip_param_next(struct pl *name, struct pl *val, struct pl *rest);
/* Find a parameter by name (case-insensitive). ENOENT if absent. */
int sip_param_get(struct pl *val, const struct pl *params, const char *name);
bool sip_param_exists(const struct pl *params, const char *name);

/* ---- URIs ------------------------------------------------------------ */

enum sip_scheme {
	SIP_SCHEME_OTHER = 0,
	SIP_SCHEME_SIP,
	SIP_SCHEME_SIPS,
	SIP_SCHEME_TEL,
};

struct sip_uri {
	enum sip_scheme scheme;
	struct pl scheme_pl;
	struct pl user;     /* still %-escaped; tel: the number */
	struct pl password; /* absent when no ':' in userinfo */
	struct pl host;     /* IPv6 references without the [] */
	bool host_ipv6;
	uint16_t port;     /* 0 = absent */
	struct pl params;  /* after the first ';' of the host part, no ';' */
	struct pl headers; /* after '?', still escaped */
	struct pl opaque;  /* SIP_SCHEME_OTHER: everything after ':' */
};

/* Decode sip:, sips:, tel: and (opaquely) any other absolute URI. */
int sip_uri_decode(struct sip_uri *uri, const struct pl *pl);
/* What is wrong with a sip: or sips: URI that sip_uri_decode refuses, as a
 * short phrase ("unclosed IPv6 bracket"); NULL when it decodes, or when its
 * scheme is another (unsupported rather than malformed). */
const char *sip_uri_problem(const struct pl *pl);
/* Undo %-escapes of in into buf (size bytes); *len gets the length. ENOSPC
 * when too small, EBADMSG on a bad escape. No NUL is appended (and %00 is a
 * legal octet). */
int sip_uri_unescape(char *buf, size_t size, size_t *len, const struct pl *in);

/* ---- name-addr / addr-spec ------------------------------------------- */

struct sip_addr {
	struct pl dname; /* display name without quotes; escapes kept */
	bool dname_quoted;
	struct pl auri; /* the URI text */
	struct sip_uri uri;
	struct pl params; /* header parameters, no leading ';' */
	struct pl tag;
};

/* One value of From, To, Route, Record-Route, Path, Refer-To... A list
 * ("a, b") is EBADMSG: split it with sip_list_next or sip_hdr_iter. */
int sip_addr_decode(struct sip_addr *addr, const struct pl *pl);

/* Unescape a quoted-string body (as in addr->dname) into buf. */
int sip_qstr_unescape(char *buf, size_t size, size_t *len, const struct pl *in);

struct sip_contact {
	bool star; /* "Contact: *" */
	struct sip_addr addr;
	bool has_expires;
	uint32_t expires;
	bool has_q;
	uint16_t q;         /* q-value times 1000 */
	struct pl instance; /* +sip.instance, quotes removed */
	bool has_reg_id;
	uint32_t reg_id;
};

/* One Contact value or "*"; expires above 2^32-1, q above 1 or with more
 * than 3 decimals, and a bad reg-id are EBADMSG. */
int sip_contact_decode(struct sip_contact *c, const struct pl *pl);

/* ---- Via ------------------------------------------------------------- */

enum sip_transport {
	SIP_TP_OTHER = 0,
	SIP_TP_UDP,
	SIP_TP_TCP,
	SIP_TP_TLS,
	SIP_TP_SCTP,
	SIP_TP_WS,
	SIP_TP_WSS,
};

struct sip_via {
	struct pl proto; /* "SIP" */
	struct pl ver;   /* "2.0" */
	struct pl transport;
	enum sip_transport tp;
	struct pl host; /* without [] */
	bool host_ipv6;
	uint16_t port; /* 0 = absent */
	struct pl params;
	struct pl branch, received, maddr;
	bool rport;         /* present, with or without a value */
	uint16_t rport_val; /* 0 = no value */
	bool has_ttl;
	uint8_t ttl;
};

/* One Via value (iterate with sip_hdr_iter for several). */
int sip_via_decode(struct sip_via *via, const struct pl *pl);

/* ---- the message ----------------------------------------------------- */

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
};

enum sip_method sip_method_lookup(const struct pl *name);

/* One header line. val is trimmed and may contain folding (CRLF + WSP),
 * which every decoder treats as whitespace. */
struct sip_hdr {
	struct pl name;
	struct pl val;
	uint16_t id; /* enum sip_hdr_id */
	uint16_t
	    next; /* 1 + index of the next line with the same id; 0 = none */
};

struct sip_msg {
	struct pl raw; /* the message from its start line to its body's end */
	bool req;
	/* request line */
	struct pl method;
	enum sip_method meth;
	struct pl ruri;
	/* "SIP/2.0" in either line; not checked to be 2.0 (answer 505) */
	struct pl ver;
	/* status line */
	uint16_t scode;
	struct pl reason;
	/* header index, in message order */
	struct sip_hdr hdrv[SIP_MAX_HDRS];
	unsigned hdrc;
	uint16_t first[SIP_HDR_COUNT_]; /* 1 + index of first line; 0 = none */
	/* What every message needs for transaction and dialog matching, which
	 * the eager pass decodes while validating: read these rather than
	 * decoding the headers again. Valid only when sip_msg_decode returned
	 * 0 (on failure, use the header index). */
	struct sip_via via;   /* the top Via value */
	struct sip_addr from; /* From, with its tag */
	struct sip_addr to;
	struct pl callid;
	bool has_contact;
	struct sip_contact contact; /* the first Contact value */
	uint32_t cseq;
	struct pl cseq_method;
	int32_t max_forwards; /* -1 when absent */
	size_t clen;          /* body length */
	struct pl body;
	/* on EBADMSG/EMSGSIZE: the reason, fit for a 400 reason phrase */
	const char *err;
};

/* Parse one datagram or one stream frame of len bytes (see sip_msg_frame).
 * Indexes every header, validates what RFC 4475 requires (start line,
 * Content-Length, CSeq, Max-Forwards, Expires, Retry-After, From, To, Via,
 * Contact, mandatory headers). On failure returns EBADMSG or EMSGSIZE and
 * sets msg->err; msg then holds what was indexed so far, which is often
 * enough to answer 400. Trailing octets after Content-Length are ignored.
 * lim may be NULL for the defaults. */
int sip_msg_decode(struct sip_msg *msg, const char *buf, size_t len,
                   const struct sip_limits *lim);

/* For streams: the length of the first complete message in buf (leading
 * CRLFs, i.e. keep-alives, included). ENODATA: need more bytes;
 * EBADMSG: no usable Content-Length; EMSGSIZE: over lim->max_size. */
int sip_msg_frame(size_t *framelen, const char *buf, size_t len,
                  const struct sip_limits *lim);

/* First header line with this id, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg,
                                  enum sip_hdr_id id);
/* Next line with the same id, or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg,
                                       const struct sip_hdr *hdr);
/* First header with this name (case-insensitive), for unknown headers. */
const struct sip_hdr *sip_msg_hdr_byname(const struct sip_msg *msg,
                                         const char *name);
/* Number of header lines with this id. */
unsigned sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdr_id id);

/* Iterator over every comma-separated value of every line of one header
 * (quotes and <> respected). */
struct sip_hdr_iter {
	const struct sip_msg *msg;
	const struct sip_hdr *hdr;
	struct pl rest;
};
void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *msg,
                       enum sip_hdr_id id);
/* Next value (trimmed) into val; ENOENT when done. Empty values are
 * returned as empty slices so that decoders can refuse them. */
int sip_hdr_iter_next(struct pl *val, struct sip_hdr_iter *it);

/* Split one element off a comma-separated list: elem gets the trimmed
 * element, rest what follows the comma. ENOENT when rest is empty. */
int sip_list_next(struct pl *elem, struct pl *rest);

/* ---- scalar and small headers ---------------------------------------- */

/* Decimal digits only, value <= max, never wrapping. */
int sip_u32_decode(uint32_t *v, const struct pl *pl, uint32_t max);

struct sip_cseq {
	uint32_t num;
	struct pl method;
};
int sip_cseq_decode(struct sip_cseq *cseq, const struct pl *pl);
int sip_max_forwards_decode(uint32_t *mf, const struct pl *pl);
/* Expires, Min-Expires: delta-seconds up to 2^32-1. */
int sip_expires_decode(uint32_t *secs, const struct pl *pl);
int sip_content_length_decode(size_t *len, const struct pl *pl);
/* Call-ID: one word ["@" word], no whitespace. */
int sip_callid_decode(struct pl *callid, const struct pl *pl);

/* Next token of a comma-separated token list (Allow, Supported, Require,
 * Proxy-Require, Unsupported...). ENOENT at the end. */
int sip_token_next(struct pl *tok, struct pl *rest);
/* Whether any line of header id lists tok (case-insensitive). */
bool sip_msg_has_token(const struct sip_msg *msg, enum sip_hdr_id id,
                       const char *tok);

struct sip_ctype {
	struct pl type, subtype;
	struct pl params;
};
/* Content-Type, and one media-range of Accept. */
int sip_ctype_decode(struct sip_ctype *ct, const struct pl *pl);
bool sip_ctype_is(const struct sip_ctype *ct, const char *type,
                  const char *subtype);

struct sip_reason {
	struct pl proto; /* "SIP", "Q.850" */
	bool has_cause;
	uint16_t cause;
	struct pl text; /* without quotes */
	struct pl params;
};
int sip_reason_decode(struct sip_reason *r, const struct pl *pl);

/* Session-Expires (with refresher) and Min-SE (refresher stays absent). */
struct sip_session_expires {
	uint32_t delta;
	struct pl refresher; /* "uac" / "uas" */
	struct pl params;
};
int sip_session_expires_decode(struct sip_session_expires *se,
                               const struct pl *pl);

struct sip_retry_after {
	uint32_t delta;
	struct pl comment; /* without the parentheses */
	bool has_duration;
	uint32_t duration;
	struct pl params;
};
int sip_retry_after_decode(struct sip_retry_after *ra, const struct pl *pl);

/* ---- authentication headers ------------------------------------------ */

/* WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization.
 * Quoted values are given without quotes (escapes kept). */
struct sip_auth {
	struct pl scheme; /* "Digest" */
	struct pl realm, nonce, opaque, algorithm, qop, stale, domain;
	struct pl username, uri, response, cnonce, nc;
	bool userhash;
	struct pl params; /* everything after the scheme */
};
int sip_auth_decode(struct sip_auth *auth, const struct pl *pl);

/* ---- builder --------------------------------------------------------- */

/* One caller-owned output buffer. Every write either fits whole or returns
 * ENOSPC and leaves pos where it was. */
struct sip_buf {
	char *p;
	size_t size;
	size_t pos;
};

void sip_buf_init(struct sip_buf *b, char *p, size_t size);
int sip_buf_write(struct sip_buf *b, const void *p, size_t l);
int sip_buf_str(struct sip_buf *b, const char *s);
int sip_buf_pl(struct sip_buf *b, const struct pl *pl);
/* v in decimal. */
int sip_buf_uint(struct sip_buf *b, uint64_t v);
int sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sip_buf_vprintf(struct sip_buf *b, const char *fmt, va_list ap);

/* Default reason phrase for a status code ("OK"); "Unknown" if none. */
const char *sip_reason_phrase(uint16_t code);

/* "METHOD RURI SIP/2.0\r\n" */
int sip_build_request_line(struct sip_buf *b, const struct pl *method,
                           const struct pl *ruri);
/* "SIP/2.0 CODE REASON\r\n"; reason NULL for the default. Codes outside
 * 100-699 are EINVAL. */
int sip_build_status_line(struct sip_buf *b, uint16_t code, const char *reason);
/* "Name: value\r\n" */
int sip_build_hdr(struct sip_buf *b, const char *name, const struct pl *val);
int sip_build_hdrf(struct sip_buf *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the header block: Content-Type (when ctype and body), Content-Length,
 * the empty line and the body. body may be NULL. */
int sip_build_end(struct sip_buf *b, const char *ctype, const struct pl *body);

/* Status line plus every Via, From, To (with ";tag=totag" added when totag
 * is given and To has none), Call-ID and CSeq of req, in that order. The
 * caller may add headers, then must call sip_build_end. */
int sip_reply_begin(struct sip_buf *b, const struct sip_msg *req, uint16_t code,
                    const char *reason, const struct pl *totag);
/* A complete response without body: sip_reply_begin + sip_build_end. */
int sip_reply(struct sip_buf *b, const struct sip_msg *req, uint16_t code,
              const char *reason, const struct pl *totag);
/* Re-encode a decoded message (long header names, same order, same body). */
int sip_msg_encode(struct sip_buf *b, const struct sip_msg *msg);

/* ---- digest (RFC 7616 / 8760) ---------------------------------------- */

enum sip_digest_alg {
	SIP_DIGEST_MD5 = 0,
	SIP_DIGEST_SHA256,
};

#define SIP_DIGEST_HEX_MAX 65 /* SHA-256 hex + NUL */

/* The algorithm's OpenSSL digest (an EVP_MD), fetched once for the process:
 * for whoever hashes with it beyond these helpers (the nonce HMAC). NULL if
 * the provider has none. */
const struct evp_md_st *sip_digest_md(enum sip_digest_alg alg);
/* "MD5", "SHA-256" (and the -sess names, which are EINVAL: unsupported). */
int sip_digest_alg_decode(enum sip_digest_alg *alg, const struct pl *pl);
const char *sip_digest_alg_name(enum sip_digest_alg alg);
/* HA1 = H(username ":" realm ":" password), lowercase hex, NUL-terminated
 * into hex[SIP_DIGEST_HEX_MAX]. */
int sip_digest_ha1(char *hex, enum sip_digest_alg alg, const struct pl *user,
                   const struct pl *realm, const struct pl *password);
/* HA2 = H(method ":" uri) (qop=auth). */
int sip_digest_ha2(char *hex, enum sip_digest_alg alg, const struct pl *method,
                   const struct pl *uri);
/* response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2); with qop
 * absent (NULL) the RFC 2069 form H(HA1 ":" nonce ":" HA2). */
int sip_digest_response(char *hex, enum sip_digest_alg alg, const char *ha1,
                        const struct pl *nonce, const struct pl *nc,
                        const struct pl *cnonce, const struct pl *qop,
                        const char *ha2);
/* The value of a WWW-Authenticate/Proxy-Authenticate challenge:
 * Digest realm="..", nonce="..", [opaque="..",] algorithm=.., qop="auth"
 * [, stale=true]. opaque may be NULL. */
int sip_digest_challenge(struct sip_buf *b, const struct pl *realm,
                         const struct pl *nonce, const struct pl *opaque,
                         enum sip_digest_alg alg, bool stale);

#include "sdp.h"

#endif
