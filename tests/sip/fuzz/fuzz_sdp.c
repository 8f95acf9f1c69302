/* libFuzzer target: SDP decoding, attribute decoders and re-encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"

static struct sdp_session sdp, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 17];
	struct pl in = { (const char *)data, size };
	struct sip_buf b;
	struct pl enc;

	if (sdp_decode(&sdp, &in) != 0)
		return 0;
	for (unsigned i = 0; i < sdp.mediac; i++) {
		const struct sdp_media *m = &sdp.mediav[i];
		struct pl rest = m->fmts, fmt, v;
		struct sdp_rtpmap rm;

		(void)sdp_media_dir(&sdp, m);
		(void)sdp_media_conn(&sdp, m);
		while (sdp_fmt_next(&fmt, &rest) == 0)
			;
		(void)sdp_media_rtpmap(&rm, &sdp, m, 0);
		for (unsigned k = m->attr_first; k < m->attr_first + m->attrc;
		     k++) {
			const struct sdp_attr *a = &sdp.attrv[k];
			struct sdp_fmtp f;
			struct sdp_rtcp r;
			struct sdp_crypto c;

			if (!a->value.p)
				continue;
			(void)sdp_rtpmap_decode(&rm, &a->value);
			if (sdp_fmtp_decode(&f, &a->value) == 0)
				(void)sdp_fmtp_param(&v, &f.params, "mode");
			(void)sdp_rtcp_decode(&r, &a->value);
			(void)sdp_crypto_decode(&c, &a->value);
		}
	}
	sip_buf_init(&b, out, sizeof(out));
	if (sdp_encode(&b, &sdp) != 0)
		abort();
	enc.p = out;
	enc.l = b.pos;
	if (sdp_decode(&again, &enc) != 0 || again.mediac != sdp.mediac ||
	    again.attrc != sdp.attrc)
		abort();
	return 0;
}
