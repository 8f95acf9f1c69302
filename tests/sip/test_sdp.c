/* SDP decoding, attribute decoders and encoding. */
#include "sip_test.h"

static const char offer[] =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.101\r\n"
    "t=0 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 49170 RTP/SAVP 0 8 111 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10; useinbandfec=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:150\r\n"
    "a=rtcp:53020 IN IP4 126.16.64.4\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
    "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20 KDR=1\r\n"
    "a=sendonly\r\n"
    "m=video 51372/2 RTP/AVP 31\r\n"
    "c=IN IP6 ff15::101/3\r\n"
    "b=AS:512\r\n"
    "a=inactive\r\n"
    "m=video 0 RTP/AVP 32\r\n";

static struct sdp_session sdp;

static int
decode(const char *s)
{
	struct pl p = pls(s);
	return sdp_decode(&sdp, &p);
}

START_TEST(test_session)
{
	const struct sdp_media *m;
	const struct sdp_conn *c;

	ck_assert_int_eq(decode(offer), 0);
	ck_assert_uint_eq(sdp.version, 0);
	ck_assert_pl_str(sdp.origin.username, "alice");
	ck_assert_pl_str(sdp.origin.sess_id, "2890844526");
	ck_assert_pl_str(sdp.origin.sess_version, "2890844527");
	ck_assert_pl_str(sdp.origin.addr, "host.atlanta.example.com");
	ck_assert_pl_str(sdp.name, "-");
	ck_assert_pl_str(sdp.conn.addr, "192.0.2.101");
	ck_assert_pl_str(sdp.t_start, "0");
	ck_assert_int_eq(sdp.dir, SDP_DIR_SENDRECV);
	ck_assert_uint_eq(sdp.sess_attrc, 1);
	ck_assert_uint_eq(sdp.mediac, 3);

	m = &sdp.mediav[0];
	ck_assert_pl_str(m->type, "audio");
	ck_assert_uint_eq(m->port, 49170);
	ck_assert_uint_eq(m->nports, 0);
	ck_assert_pl_str(m->proto, "RTP/SAVP");
	ck_assert_pl_str(m->fmts, "0 8 111 101");
	ck_assert_uint_eq(m->ptime, 20);
	ck_assert_uint_eq(m->maxptime, 150);
	ck_assert_int_eq(m->dir, SDP_DIR_SENDONLY);
	ck_assert_int_eq(sdp_media_dir(&sdp, m), SDP_DIR_SENDONLY);
	c = sdp_media_conn(&sdp, m);
	ck_assert_ptr_eq(c, &sdp.conn);
	ck_assert_uint_eq(m->attrc, 12);

	m = &sdp.mediav[1];
	ck_assert_uint_eq(m->port, 51372);
	ck_assert_uint_eq(m->nports, 2);
	c = sdp_media_conn(&sdp, m);
	ck_assert_pl_str(c->addr, "ff15::101");
	ck_assert_pl_str(c->addrtype, "IP6");
	ck_assert_uint_eq(c->naddr, 3);
	ck_assert(!c->has_ttl);
	ck_assert_pl_str(m->bw, "AS:512");
	ck_assert_int_eq(sdp_media_dir(&sdp, m), SDP_DIR_INACTIVE);
	ck_assert_str_eq(sdp_dir_name(SDP_DIR_INACTIVE), "inactive");

	m = &sdp.mediav[2];
	ck_assert_uint_eq(m->port, 0);
	ck_assert_int_eq(sdp_media_dir(&sdp, m), SDP_DIR_SENDRECV);
	ck_assert_uint_eq(m->attrc, 0);
}
END_TEST

START_TEST(test_attrs)
{
	const struct sdp_media *m;
	const struct sdp_attr *a;
	struct sdp_rtpmap rm;
	struct sdp_fmtp fmtp;
	struct sdp_rtcp rtcp;
	struct sdp_crypto cr;
	struct pl rest, fmt, v;
	unsigned n = 0;

	ck_assert_int_eq(decode(offer), 0);
	m = &sdp.mediav[0];
	rest = m->fmts;
	while (sdp_fmt_next(&fmt, &rest) == 0)
		n++;
	ck_assert_uint_eq(n, 4);
	ck_assert_pl_str(fmt, "101");

	ck_assert_int_eq(sdp_media_rtpmap(&rm, &sdp, m, 111), 0);
	ck_assert_pl_str(rm.encoding, "opus");
	ck_assert_uint_eq(rm.clock, 48000);
	ck_assert_uint_eq(rm.channels, 2);
	ck_assert_int_eq(sdp_media_rtpmap(&rm, &sdp, m, 8), 0);
	ck_assert_pl_str(rm.encoding, "PCMA");
	ck_assert_uint_eq(rm.channels, 1);
	ck_assert_int_eq(sdp_media_rtpmap(&rm, &sdp, m, 9), ENOENT);
	/* session-level lookups do not see media attributes */
	ck_assert_ptr_null(sdp_attr_find(&sdp, NULL, "rtpmap", NULL));

	a = sdp_attr_find(&sdp, m, "fmtp", NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(sdp_fmtp_decode(&fmtp, &a->value), 0);
	ck_assert_uint_eq(fmtp.pt, 111);
	ck_assert_int_eq(sdp_fmtp_param(&v, &fmtp.params, "useinbandfec"), 0);
	ck_assert_pl_str(v, "1");
	ck_assert_int_eq(sdp_fmtp_param(&v, &fmtp.params, "minptime"), 0);
	ck_assert_pl_str(v, "10");
	ck_assert_int_eq(sdp_fmtp_param(&v, &fmtp.params, "stereo"), ENOENT);
	a = sdp_attr_find(&sdp, m, "fmtp", a);
	ck_assert_int_eq(sdp_fmtp_decode(&fmtp, &a->value), 0);
	ck_assert_uint_eq(fmtp.pt, 101);
	ck_assert_pl_str(fmtp.params, "0-16");
	ck_assert_ptr_null(sdp_attr_find(&sdp, m, "fmtp", a));

	a = sdp_attr_find(&sdp, m, "rtcp", NULL);
	ck_assert_int_eq(sdp_rtcp_decode(&rtcp, &a->value), 0);
	ck_assert_uint_eq(rtcp.port, 53020);
	ck_assert_pl_str(rtcp.conn.addr, "126.16.64.4");
	v = pls("9");
	ck_assert_int_eq(sdp_rtcp_decode(&rtcp, &v), 0);
	ck_assert_uint_eq(rtcp.port, 9);
	ck_assert_ptr_null(rtcp.conn.addr.p);

	a = sdp_attr_find(&sdp, m, "crypto", NULL);
	ck_assert_int_eq(sdp_crypto_decode(&cr, &a->value), 0);
	ck_assert_uint_eq(cr.tag, 1);
	ck_assert_pl_str(cr.suite, "AES_CM_128_HMAC_SHA1_80");
	ck_assert_pl_str(cr.key, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
	ck_assert_pl_str(cr.lifetime, "2^20");
	ck_assert_pl_str(cr.mki, "1:4");
	ck_assert_ptr_null(cr.session_params.p);
	a = sdp_attr_find(&sdp, m, "crypto", a);
	ck_assert_int_eq(sdp_crypto_decode(&cr, &a->value), 0);
	ck_assert_uint_eq(cr.tag, 2);
	ck_assert_ptr_null(cr.mki.p);
	ck_assert_pl_str(cr.session_params, "KDR=1");
	v = pls("1 AES_CM_128_HMAC_SHA1_80 key:abc");
	ck_assert_int_eq(sdp_crypto_decode(&cr, &v), EBADMSG);
	v = pls("x AES_CM_128_HMAC_SHA1_80 inline:abc");
	ck_assert_int_eq(sdp_crypto_decode(&cr, &v), EBADMSG);

	v = pls("96 opus");
	ck_assert_int_eq(sdp_rtpmap_decode(&rm, &v), EBADMSG);
	v = pls("128 x/8000");
	ck_assert_int_eq(sdp_rtpmap_decode(&rm, &v), EBADMSG);
	v = pls("0 PCMU/0");
	ck_assert_int_eq(sdp_rtpmap_decode(&rm, &v), EBADMSG);
}
END_TEST

START_TEST(test_bad)
{
	static const char *const bad[] = {
		"",
		"o=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n",
		"v=1\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n",
		"v=0\r\ns=-\r\nt=0 0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\nt=0 0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\n",
		"v=0\r\no=a 1 1 IN IP4\r\ns=-\r\nt=0 0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP "
		"0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 "
		"RTP/AVP\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm =audio 1 RTP/AVP "
		"0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4\r\nt=0 0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h/300\r\nt=0 0\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nx=unknown\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP "
		"0\r\n"
		"a=ptime:x\r\n",
		"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\na=:x\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode(bad[i]) == EBADMSG, "accepted #%zu: %s", i,
		              bad[i]);
}
END_TEST

START_TEST(test_limits_and_lf)
{
	static char big[16384];
	size_t n;

	ck_assert_int_eq(decode("v=0\no=a 1 1 IN IP4 h\ns=x\nc=IN IP4 "
	                        "224.2.1.1/127/3\nt=0 0\nm=audio 9 RTP/AVP 0"),
	                 0);
	ck_assert_uint_eq(sdp.conn.ttl, 127);
	ck_assert_uint_eq(sdp.conn.naddr, 3);
	ck_assert_uint_eq(sdp.mediac, 1);
	ck_assert_pl_str(sdp.mediav[0].fmts, "0");

	n = (size_t)sprintf(big, "v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n");
	for (int i = 0; i <= SDP_MAX_MEDIA; i++)
		n +=
		    (size_t)sprintf(big + n, "m=audio %d RTP/AVP 0\r\n", i + 1);
	ck_assert_int_eq(decode(big), EMSGSIZE);
	n = (size_t)sprintf(big, "v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n");
	for (int i = 0; i <= SDP_MAX_ATTRS; i++)
		n += (size_t)sprintf(big + n, "a=x%d\r\n", i);
	ck_assert_int_eq(decode(big), EMSGSIZE);
}
END_TEST

START_TEST(test_round_trip)
{
	struct sdp_session again;
	char out[2048], out2[2048];
	struct sip_buf b;
	struct pl p;
	size_t len;

	ck_assert_int_eq(decode(offer), 0);
	sip_buf_init(&b, out, sizeof(out));
	ck_assert_int_eq(sdp_encode(&b, &sdp), 0);
	/* this offer is already in canonical form */
	ck_assert_uint_eq(b.pos, strlen(offer));
	ck_assert_mem_eq(out, offer, b.pos);
	len = b.pos;
	p.p = out;
	p.l = len;
	ck_assert_int_eq(sdp_decode(&again, &p), 0);
	ck_assert_uint_eq(again.mediac, sdp.mediac);
	ck_assert_uint_eq(again.attrc, sdp.attrc);
	for (unsigned i = 0; i < sdp.attrc; i++) {
		ck_assert(pl_eq(&again.attrv[i].name, &sdp.attrv[i].name));
		ck_assert(pl_eq(&again.attrv[i].value, &sdp.attrv[i].value));
	}
	sip_buf_init(&b, out2, sizeof(out2));
	ck_assert_int_eq(sdp_encode(&b, &again), 0);
	ck_assert_mem_eq(out, out2, len);

	for (size_t n = 0; n < len; n += 7) {
		sip_buf_init(&b, out2, n);
		ck_assert_int_eq(sdp_encode(&b, &sdp), ENOSPC);
		ck_assert_uint_eq(b.pos, 0);
	}
}
END_TEST

START_TEST(test_build_from_scratch)
{
	struct sdp_session s;
	char out[512];
	struct sip_buf b;
	struct sdp_session d;
	struct pl p;

	memset(&s, 0, sizeof(s));
	s.origin =
	    (struct sdp_origin){ pls("pbx"), pls("1"),   pls("2"),
		                 pls("IN"),  pls("IP4"), pls("192.0.2.1") };
	s.conn.nettype = pls("IN");
	s.conn.addrtype = pls("IP4");
	s.conn.addr = pls("192.0.2.1");
	s.mediac = 1;
	s.mediav[0].type = pls("audio");
	s.mediav[0].port = 30000;
	s.mediav[0].proto = pls("RTP/AVP");
	s.mediav[0].fmts = pls("0 101");
	s.attrv[0] = (struct sdp_attr){ pls("rtpmap"), pls("0 PCMU/8000") };
	s.attrv[1] = (struct sdp_attr){ pls("recvonly"), PL_INIT };
	s.attrc = 2;
	s.mediav[0].attr_first = 0;
	s.mediav[0].attrc = 2;
	sip_buf_init(&b, out, sizeof(out));
	ck_assert_int_eq(sdp_encode(&b, &s), 0);
	p.p = out;
	p.l = b.pos;
	ck_assert_pl_str(p, "v=0\r\no=pbx 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
	                    "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	                    "m=audio 30000 RTP/AVP 0 101\r\n"
	                    "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\n");
	ck_assert_int_eq(sdp_decode(&d, &p), 0);
	ck_assert_int_eq(sdp_media_dir(&d, &d.mediav[0]), SDP_DIR_RECVONLY);
}
END_TEST

/* The SDP bodies of the RFC 4475 INVITEs decode. */
START_TEST(test_rfc4475_body)
{
	static const char inv[] =
	    "v=0\r\n"
	    "o=mhandley 29739 7272939 IN IP4 192.0.2.3\r\n"
	    "s=-\r\n"
	    "c=IN IP4 192.0.2.4\r\n"
	    "t=0 0\r\n"
	    "m=audio 49217 RTP/AVP 0 12\r\n"
	    "m=video 3227 RTP/AVP 31\r\n"
	    "a=rtpmap:31 LPC\r\n";
	ck_assert_int_eq(decode(inv), 0);
	ck_assert_uint_eq(sdp.mediac, 2);
	/* "LPC" without a clock rate is not a valid rtpmap */
	ck_assert_int_eq(
	    sdp_rtpmap_decode(&(struct sdp_rtpmap){ 0 }, &sdp.attrv[0].value),
	    EBADMSG);
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_attrs);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_limits_and_lf);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_build_from_scratch);
	tcase_add_test(tc, test_rfc4475_body);
}

int
main(void)
{
	return run_suite("sip_sdp", add);
}
