/* SDP (RFC 8866) decoding into slices, attribute decoders and encoding.
 * No offer/answer: that belongs to the call. Included by sip.h. */
#ifndef SIP_SDP_H
#define SIP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "pl.h"

struct sip_buf;

#define SDP_MAX_MEDIA 16
#define SDP_MAX_ATTRS 128

enum sdp_dir {
	SDP_DIR_NONE = 0, /* no direction attribute at this level */
	SDP_DIR_SENDRECV,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

/* c= line; addr.p == NULL when absent. */
struct sdp_conn {
	struct pl nettype, addrtype;
	struct pl addr; /* without "/ttl/n" */
	bool has_ttl;
	uint8_t ttl;
	uint16_t naddr; /* 0 when not given */
};

struct sdp_origin {
	struct pl username, sess_id, sess_version, nettype, addrtype, addr;
};

/* a=name[:value]; value.p == NULL for property attributes. */
struct sdp_attr {
	struct pl name, value;
};

struct sdp_media {
	struct pl type; /* "audio", "video" */
	uint16_t port;
	uint16_t nports; /* 0 when not given */
	struct pl proto; /* "RTP/AVP", "RTP/SAVP"... */
	struct pl fmts;  /* "0 8 101" */
	struct sdp_conn conn;
	struct pl bw; /* first b= line's value */
	enum sdp_dir dir;
	uint32_t ptime, maxptime;   /* 0 when absent */
	unsigned attr_first, attrc; /* slice of sdp_session.attrv */
};

struct sdp_session {
	uint32_t version;
	struct sdp_origin origin;
	struct pl name;
	struct sdp_conn conn;
	struct pl bw;
	struct pl t_start, t_stop;
	enum sdp_dir dir;
	unsigned sess_attrc; /* session attributes: attrv[0, sess_attrc) */
	unsigned attrc;
	struct sdp_attr attrv[SDP_MAX_ATTRS];
	unsigned mediac;
	struct sdp_media mediav[SDP_MAX_MEDIA];
};

/* Decode an SDP body. EBADMSG when malformed (missing v/o/s/t, bad m= or
 * c= line, unknown line type), EMSGSIZE over SDP_MAX_MEDIA/SDP_MAX_ATTRS.
 * i=, u=, e=, p=, z=, k=, r= lines are checked for form and skipped. */
int sdp_decode(struct sdp_session *sdp, const struct pl *body);

/* Effective direction and connection of a media line (media level first,
 * then session level; sendrecv by default). conn NULL if neither has c=. */
enum sdp_dir sdp_media_dir(const struct sdp_session *sdp,
                           const struct sdp_media *m);
const struct sdp_conn *sdp_media_conn(const struct sdp_session *sdp,
                                      const struct sdp_media *m);
const char *sdp_dir_name(enum sdp_dir dir);

/* Next attribute named name (case-sensitive, as RFC 8866 says) after
 * "after" (NULL: the first) at media level m, or session level if m is
 * NULL. NULL when there is none. */
const struct sdp_attr *sdp_attr_find(const struct sdp_session *sdp,
                                     const struct sdp_media *m,
                                     const char *name,
                                     const struct sdp_attr *after);

/* Next payload type of m->fmts ("0 8 101"). ENOENT at the end. */
int sdp_fmt_next(struct pl *fmt, struct pl *rest);

struct sdp_rtpmap {
	uint8_t pt;
	struct pl encoding; /* "PCMU", "opus", "telephone-event" */
	uint32_t clock;
	uint16_t channels; /* 1 when not given */
};
/* a=rtpmap value: "<pt> <encoding>/<clock>[/<channels>]" */
int sdp_rtpmap_decode(struct sdp_rtpmap *rm, const struct pl *value);
/* The rtpmap of payload type pt in m; ENOENT if none. */
int sdp_media_rtpmap(struct sdp_rtpmap *rm, const struct sdp_session *sdp,
                     const struct sdp_media *m, uint8_t pt);

struct sdp_fmtp {
	uint8_t pt;
	struct pl params; /* "minptime=10;useinbandfec=1" */
};
int sdp_fmtp_decode(struct sdp_fmtp *fmtp, const struct pl *value);
/* A "name=value" of fmtp params (';'-separated). ENOENT if absent. */
int sdp_fmtp_param(struct pl *val, const struct pl *params, const char *name);

/* a=rtcp (RFC 3605): port and optional address. */
struct sdp_rtcp {
	uint16_t port;
	struct sdp_conn conn;
};
int sdp_rtcp_decode(struct sdp_rtcp *rtcp, const struct pl *value);

/* a=crypto (RFC 4568 SDES), first key-params only. */
struct sdp_crypto {
	uint32_t tag;
	struct pl suite;    /* "AES_CM_128_HMAC_SHA1_80" */
	struct pl key;      /* base64 master key||salt after "inline:" */
	struct pl lifetime; /* "2^20", absent if not given */
	struct pl mki;      /* "1:32", absent if not given */
	struct pl session_params;
};
int sdp_crypto_decode(struct sdp_crypto *c, const struct pl *value);

/* Encode sdp (v, o, s, c, b, t, a, then each m with its c, b, a) with CRLF
 * line ends. Direction and ptime are written only as they appear in
 * attrv. ENOSPC when b is too small (b->pos unchanged). */
int sdp_encode(struct sip_buf *b, const struct sdp_session *sdp);

#endif
