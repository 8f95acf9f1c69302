/*
 * The media interface of a call. A channel never reads or rewrites SDP
 * itself: every session description that crosses from one leg to the other
 * goes through the call's media session, and so does an answer the PBX
 * gives on its own (the dialplan's answer or pre_answer before a bridge).
 *
 * This release has one implementation, `media_bypass` (FreeSWITCH's
 * "bypass media"): descriptions cross unchanged and the endpoints send RTP
 * to each other. A relay plugs in here: it opens its sockets in `open`,
 * rewrites c=/m= in `sdp` to point at them, and is closed with the call.
 */
#ifndef PBX_MEDIA_H
#define PBX_MEDIA_H

#include <stddef.h>
#include <stdint.h>

struct media_session;

struct media_ops {
	const char *name;
	/* A session for one call (A leg and its B legs). */
	int (*open)(struct media_session **out);
	void (*close)(struct media_session *ms);
	/* An SDP from leg `from` (0: A, 1..: B legs) for the other side of
	 * the bridge: *out is a new buffer (free it) or NULL when the bytes
	 * cross unchanged. */
	int (*sdp)(struct media_session *ms, uint32_t from, const uint8_t *in,
	           size_t len, uint8_t **out, size_t *olen);
	/* The PBX's own answer to an offer (no bridge yet), with its address
	 * `ip` (IPv4 or IPv6 text): a new buffer. */
	int (*answer)(struct media_session *ms, const uint8_t *offer,
	              size_t len, const char *ip, uint8_t **out, size_t *olen);
};

extern const struct media_ops media_bypass;

#endif
