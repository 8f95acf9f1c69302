/*
 * Bypass media: session descriptions cross between the legs unchanged. The
 * PBX's own answer (before a bridge) accepts the offer's first audio format
 * and is inactive: there is no media relay yet to send or receive audio.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media.h"

struct media_session {
	uint32_t version;
};

static int
bp_open(struct media_session **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : ENOMEM;
}

static void
bp_close(struct media_session *ms)
{
	free(ms);
}

static int
bp_sdp(struct media_session *ms, uint32_t from, const uint8_t *in, size_t len,
       uint8_t **out, size_t *olen)
{
	*out = NULL;
	*olen = 0;
	return 0;
}

/* The line starting with `prefix` (length n) in text, or NULL. */
static const char *
find_line(const char *text, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) >= pl && memcmp(p, prefix, pl) == 0)
			return p;
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

static int
bp_answer(struct media_session *ms, const uint8_t *offer, size_t len,
          const char *ip, uint8_t **out, size_t *olen)
{
	const char *o = (const char *)offer;
	const char *m = find_line(o, len, "m=audio ");
	char proto[32] = "RTP/AVP", rtpmap[128] = "", key[24];
	unsigned port, pt = 0;
	const char *rm;
	char *buf;
	int n;

	if (!m || sscanf(m, "m=audio %u %31s %u", &port, proto, &pt) != 3)
		return EINVAL;
	snprintf(key, sizeof(key), "a=rtpmap:%u ", pt);
	if ((rm = find_line(o, len, key)) != NULL) {
		const char *eol = memchr(rm, '\n', len - (size_t)(rm - o));
		size_t l = eol ? (size_t)(eol - rm) : len - (size_t)(rm - o);

		while (l && (rm[l - 1] == '\r' || rm[l - 1] == ' '))
			l--;
		snprintf(rtpmap, sizeof(rtpmap), "%.*s\r\n", (int)l, rm);
	}
	if (!(buf = malloc(512)))
		return ENOMEM;
	ms->version++;
	n = snprintf(buf, 512,
	             "v=0\r\no=pbx 1 %u IN %s %s\r\ns=pbx\r\nc=IN %s %s\r\n"
	             "t=0 0\r\nm=audio 9 %s %u\r\n%sa=inactive\r\n",
	             ms->version, strchr(ip, ':') ? "IP6" : "IP4", ip,
	             strchr(ip, ':') ? "IP6" : "IP4", ip, proto, pt, rtpmap);
	if (n <= 0 || n >= 512) {
		free(buf);
		return ENOSPC;
	}
	*out = (uint8_t *)buf;
	*olen = (size_t)n;
	return 0;
}

const struct media_ops media_bypass = {
	.name = "bypass",
	.open = bp_open,
	.close = bp_close,
	.sdp = bp_sdp,
	.answer = bp_answer,
};
