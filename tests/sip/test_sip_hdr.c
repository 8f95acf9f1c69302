/* Header decoders: Via, Contact, CSeq and scalars, token lists,
 * Content-Type/Accept, authentication, Reason, Session-Expires, Retry-After. */
#include "sip_test.h"

static int
via(struct sip_via *v, const char *s)
{
	struct pl p = pls(s);
	return sip_via_decode(v, &p);
}

START_TEST(test_via)
{
	struct sip_via v;

	ck_assert_int_eq(via(&v, "SIP/2.0/UDP pc33.atlanta.com:5066;branch="
	                         "z9hG4bK776asdhds;rport;received=192.0.2.1"),
	                 0);
	ck_assert_pl_str(v.proto, "SIP");
	ck_assert_pl_str(v.ver, "2.0");
	ck_assert_pl_str(v.transport, "UDP");
	ck_assert_int_eq(v.tp, SIP_TP_UDP);
	ck_assert_pl_str(v.host, "pc33.atlanta.com");
	ck_assert_uint_eq(v.port, 5066);
	ck_assert_pl_str(v.branch, "z9hG4bK776asdhds");
	ck_assert(v.rport);
	ck_assert_uint_eq(v.rport_val, 0);
	ck_assert_pl_str(v.received, "192.0.2.1");
	ck_assert_ptr_null(v.maddr.p);
	ck_assert(!v.has_ttl);
	ck_assert_pl_str(v.params,
	                 "branch=z9hG4bK776asdhds;rport;received=192.0.2.1");

	ck_assert_int_eq(via(&v, "SIP / 2.0 / TLS [2001:db8::9] : 5061 ; "
	                         "rport = 40000 ; maddr=224.2.0.1;ttl=16;"
	                         "branch=z9hG4bKx"),
	                 0);
	ck_assert_int_eq(v.tp, SIP_TP_TLS);
	ck_assert(v.host_ipv6);
	ck_assert_pl_str(v.host, "2001:db8::9");
	ck_assert_uint_eq(v.port, 5061);
	ck_assert_uint_eq(v.rport_val, 40000);
	ck_assert_pl_str(v.maddr, "224.2.0.1");
	ck_assert(v.has_ttl);
	ck_assert_uint_eq(v.ttl, 16);

	/* unknown transports are kept (RFC 4475 transports.dat) */
	ck_assert_int_eq(via(&v, "SIP/2.0/QUIC q.example.com"), 0);
	ck_assert_int_eq(v.tp, SIP_TP_OTHER);
	ck_assert_pl_str(v.transport, "QUIC");
	ck_assert_ptr_null(v.branch.p);
	ck_assert_int_eq(
	    via(&v, "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKa"), 0);
	ck_assert_int_eq(v.tp, SIP_TP_WSS);
}
END_TEST

START_TEST(test_via_bad)
{
	static const char *const bad[] = {
		"",
		"SIP/2.0/UDP",
		"SIP/2.0 UDP host",
		"SIP/2.0/UDPhost",
		"SIP/2.0/UDP 192.0.2.15;;",
		"SIP/2.0/UDP host;branch=",
		"SIP/2.0/UDP host:70000",
		"SIP/2.0/UDP host;rport=x",
		"SIP/2.0/UDP host;ttl=256",
		"SIP/2.0/UDP host junk",
		"SIP/2.0/UDP [::1",
	};
	struct sip_via v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(via(&v, bad[i]) == EBADMSG, "accepted %s",
		              bad[i]);
}
END_TEST

static int
contact(struct sip_contact *c, const char *s)
{
	struct pl p = pls(s);
	return sip_contact_decode(c, &p);
}

START_TEST(test_contact)
{
	struct sip_contact c;

	ck_assert_int_eq(contact(&c, "*"), 0);
	ck_assert(c.star);
	ck_assert_int_eq(
	    contact(&c, "<sip:alice@192.0.2.4;transport=tcp>;expires=3600;"
	                "q=0.7;+sip.instance=\"<urn:uuid:00000000-0000-1000"
	                "-8000-AABBCCDDEEFF>\";reg-id=1"),
	    0);
	ck_assert(!c.star);
	ck_assert(c.has_expires);
	ck_assert_uint_eq(c.expires, 3600);
	ck_assert(c.has_q);
	ck_assert_uint_eq(c.q, 700);
	ck_assert_pl_str(c.instance,
	                 "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>");
	ck_assert(c.has_reg_id);
	ck_assert_uint_eq(c.reg_id, 1);
	ck_assert_pl_str(c.addr.uri.host, "192.0.2.4");

	ck_assert_int_eq(contact(&c, "sip:a@b;q=1"), 0);
	ck_assert_uint_eq(c.q, 1000);
	ck_assert(!c.has_expires);
	ck_assert_int_eq(contact(&c, "sip:a@b;q=0.001"), 0);
	ck_assert_uint_eq(c.q, 1);
	ck_assert_int_eq(contact(&c, "sip:a@b;q=1.5"), EBADMSG);
	ck_assert_int_eq(contact(&c, "sip:a@b;q=0.1234"), EBADMSG);
	ck_assert_int_eq(contact(&c, "sip:a@b;expires=280297596632815"),
	                 EBADMSG);
	ck_assert_int_eq(contact(&c, "sip:a@b;reg-id=x"), EBADMSG);
	ck_assert_int_eq(contact(&c, "\"Joe\" <sip:joe@example.org>;;;;"),
	                 EBADMSG);
}
END_TEST

START_TEST(test_scalars)
{
	struct sip_cseq cs;
	uint32_t u;
	size_t len;
	struct pl p;

	p = pls("4711  INVITE");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), 0);
	ck_assert_uint_eq(cs.num, 4711);
	ck_assert_pl_str(cs.method, "INVITE");
	p = pls("4294967295 ACK");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), 0);
	ck_assert_uint_eq(cs.num, 4294967295u);
	p = pls("4294967296 ACK");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), EBADMSG);
	p = pls("36893488147419103232 REGISTER");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), EBADMSG);
	p = pls("1INVITE");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), EBADMSG);
	p = pls("1 INVITE x");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), EBADMSG);
	p = pls("INVITE");
	ck_assert_int_eq(sip_cseq_decode(&cs, &p), EBADMSG);

	p = pls(" 0068 ");
	ck_assert_int_eq(sip_max_forwards_decode(&u, &p), 0);
	ck_assert_uint_eq(u, 68);
	p = pls("300");
	ck_assert_int_eq(sip_max_forwards_decode(&u, &p), EBADMSG);
	p = pls("10000000000000000000000000000000000000000");
	ck_assert_int_eq(sip_expires_decode(&u, &p), EBADMSG);
	p = pls("3600");
	ck_assert_int_eq(sip_expires_decode(&u, &p), 0);
	ck_assert_uint_eq(u, 3600);
	p = pls("-999");
	ck_assert_int_eq(sip_content_length_decode(&len, &p), EBADMSG);
	p = pls("150");
	ck_assert_int_eq(sip_content_length_decode(&len, &p), 0);
	ck_assert_uint_eq(len, 150);
	p = pls("");
	ck_assert_int_eq(sip_u32_decode(&u, &p, 10), EBADMSG);

	p = pls(" a84b4c76e66710@pc33.atlanta.com ");
	ck_assert_int_eq(sip_callid_decode(&p, &p), 0);
	ck_assert_pl_str(p, "a84b4c76e66710@pc33.atlanta.com");
	p = pls("a b");
	ck_assert_int_eq(sip_callid_decode(&p, &p), EBADMSG);
}
END_TEST

START_TEST(test_tokens)
{
	static const char m[] = "OPTIONS sip:a@b SIP/2.0\r\n"
	                        "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
	                        "From: <sip:a@h>;tag=1\r\n"
	                        "To: <sip:b@h>\r\n"
	                        "Call-ID: x\r\n"
	                        "CSeq: 1 OPTIONS\r\n"
	                        "Allow: INVITE, ACK,CANCEL ,BYE\r\n"
	                        "Allow: OPTIONS\r\n"
	                        "k: timer, 100rel,,\r\n"
	                        "Require: replaces\r\n"
	                        "Unsupported: foo\r\n\r\n";
	struct sip_msg msg;
	struct pl rest, t;

	ck_assert_int_eq(sip_msg_decode(&msg, m, sizeof(m) - 1, NULL), 0);
	ck_assert(sip_msg_has_token(&msg, SIP_HDR_ALLOW, "cancel"));
	ck_assert(sip_msg_has_token(&msg, SIP_HDR_ALLOW, "OPTIONS"));
	ck_assert(!sip_msg_has_token(&msg, SIP_HDR_ALLOW, "INFO"));
	ck_assert(sip_msg_has_token(&msg, SIP_HDR_SUPPORTED, "100rel"));
	ck_assert(sip_msg_has_token(&msg, SIP_HDR_REQUIRE, "replaces"));
	ck_assert(sip_msg_has_token(&msg, SIP_HDR_UNSUPPORTED, "foo"));
	ck_assert(!sip_msg_has_token(&msg, SIP_HDR_PROXY_REQUIRE, "foo"));

	rest = sip_msg_hdr(&msg, SIP_HDR_SUPPORTED)->val;
	ck_assert_int_eq(sip_token_next(&t, &rest), 0);
	ck_assert_pl_str(t, "timer");
	ck_assert_int_eq(sip_token_next(&t, &rest), 0);
	ck_assert_pl_str(t, "100rel");
	ck_assert_int_eq(sip_token_next(&t, &rest), ENOENT);
}
END_TEST

START_TEST(test_ctype_accept)
{
	struct sip_ctype ct;
	struct pl p = pls("multipart/mixed;boundary=7a9cbec02ceef655");
	struct pl rest, e, v;
	unsigned n = 0;

	ck_assert_int_eq(sip_ctype_decode(&ct, &p), 0);
	ck_assert(sip_ctype_is(&ct, "Multipart", "MIXED"));
	ck_assert_int_eq(sip_param_get(&v, &ct.params, "boundary"), 0);
	ck_assert_pl_str(v, "7a9cbec02ceef655");
	p = pls("application / sdp");
	ck_assert_int_eq(sip_ctype_decode(&ct, &p), 0);
	ck_assert_pl_str(ct.subtype, "sdp");
	p = pls("application");
	ck_assert_int_eq(sip_ctype_decode(&ct, &p), EBADMSG);
	p = pls("text/plain junk");
	ck_assert_int_eq(sip_ctype_decode(&ct, &p), EBADMSG);

	rest = pls("application/sdp, application/pkcs7-mime,\r\n"
	           "        multipart/mixed;q=0.5, */*");
	while (sip_list_next(&e, &rest) == 0) {
		ck_assert_int_eq(sip_ctype_decode(&ct, &e), 0);
		n++;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_pl_str(ct.type, "*");
}
END_TEST

START_TEST(test_auth)
{
	struct sip_auth a;
	struct pl p = pls(
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\",\r\n"
	    " uri=\"/dir/index.html\", algorithm=SHA-256, nonce=\"7ypf/"
	    "xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
	    "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth,"
	    " response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8"
	    "db5856cb6c1\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5"
	    "tdS\", userhash=false");

	ck_assert_int_eq(sip_auth_decode(&a, &p), 0);
	ck_assert_pl_str(a.scheme, "Digest");
	ck_assert_pl_str(a.username, "Mufasa");
	ck_assert_pl_str(a.realm, "http-auth@example.org");
	ck_assert_pl_str(a.uri, "/dir/index.html");
	ck_assert_pl_str(a.algorithm, "SHA-256");
	ck_assert_pl_str(a.nonce,
	                 "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	ck_assert_pl_str(a.nc, "00000001");
	ck_assert_pl_str(a.cnonce,
	                 "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	ck_assert_pl_str(a.qop, "auth");
	ck_assert_pl_str(a.response, "753927fa0e85d155564e2e272a28d1802ca10daf"
	                             "4496794697cf8db5856cb6c1");
	ck_assert_pl_str(a.opaque,
	                 "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	ck_assert(!a.userhash);

	p = pls(
	    "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", "
	    "qop=\"auth,auth-int\", nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", "
	    "opaque=\"\", stale=FALSE, algorithm=MD5");
	ck_assert_int_eq(sip_auth_decode(&a, &p), 0);
	ck_assert_pl_str(a.qop, "auth,auth-int");
	ck_assert_pl_str(a.stale, "FALSE");
	ck_assert_pl_str(a.opaque, "");
	ck_assert_pl_str(a.domain, "sip:ss1.carrier.com");

	p = pls("NoOneKnowsThisScheme opaque-data=here");
	ck_assert_int_eq(sip_auth_decode(&a, &p), 0);
	ck_assert_pl_str(a.scheme, "NoOneKnowsThisScheme");
	p = pls("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	ck_assert_int_eq(sip_auth_decode(&a, &p), 0);
	p = pls("Digest realm=\"open");
	ck_assert_int_eq(sip_auth_decode(&a, &p), EBADMSG);
	p = pls("Digest realm=a realm=b");
	ck_assert_int_eq(sip_auth_decode(&a, &p), EBADMSG);
}
END_TEST

START_TEST(test_reason_se_ra)
{
	struct sip_reason r;
	struct sip_session_expires se;
	struct sip_retry_after ra;
	struct pl p = pls("Q.850 ;cause=16 ;text=\"Normal call clearing\"");

	ck_assert_int_eq(sip_reason_decode(&r, &p), 0);
	ck_assert_pl_str(r.proto, "Q.850");
	ck_assert(r.has_cause);
	ck_assert_uint_eq(r.cause, 16);
	ck_assert_pl_str(r.text, "Normal call clearing");
	p = pls("SIP;cause=600");
	ck_assert_int_eq(sip_reason_decode(&r, &p), 0);
	ck_assert_uint_eq(r.cause, 600);
	ck_assert_ptr_null(r.text.p);
	p = pls("SIP;cause=99999");
	ck_assert_int_eq(sip_reason_decode(&r, &p), EBADMSG);

	p = pls("1800;refresher=uac");
	ck_assert_int_eq(sip_session_expires_decode(&se, &p), 0);
	ck_assert_uint_eq(se.delta, 1800);
	ck_assert_pl_str(se.refresher, "uac");
	p = pls("90");
	ck_assert_int_eq(sip_session_expires_decode(&se, &p), 0);
	ck_assert_uint_eq(se.delta, 90);
	ck_assert_ptr_null(se.refresher.p);
	p = pls("x90");
	ck_assert_int_eq(sip_session_expires_decode(&se, &p), EBADMSG);

	p = pls("18000;duration=3600");
	ck_assert_int_eq(sip_retry_after_decode(&ra, &p), 0);
	ck_assert_uint_eq(ra.delta, 18000);
	ck_assert(ra.has_duration);
	ck_assert_uint_eq(ra.duration, 3600);
	p = pls("120 (I'm in a (long) meeting)");
	ck_assert_int_eq(sip_retry_after_decode(&ra, &p), 0);
	ck_assert_pl_str(ra.comment, "I'm in a (long) meeting");
	p = pls("949302838503028349304023988");
	ck_assert_int_eq(sip_retry_after_decode(&ra, &p), EBADMSG);
	p = pls("120 (open");
	ck_assert_int_eq(sip_retry_after_decode(&ra, &p), EBADMSG);
}
END_TEST

START_TEST(test_routes)
{
	static const char m[] =
	    "INVITE sip:a@b SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP "
	    "g;branch=z9hG4bK2\r\n"
	    "Route: <sip:p1.example.com;lr>, \"Proxy, two\" "
	    "<sip:p2.example.com;lr>\r\n"
	    "Record-Route: <sip:rr.example.com;lr>\r\n"
	    "Route: <sip:[2001:db8::1]:5070;lr;transport=tcp>\r\n"
	    "Path: <sip:edge.example.com;lr;ob>\r\n"
	    "From: <sip:a@h>;tag=1\r\n"
	    "To: <sip:b@h>\r\n"
	    "Contact: <sip:a@1.2.3.4>;expires=60, <sip:a@5.6.7.8>;q=0.5\r\n"
	    "Call-ID: x\r\n"
	    "CSeq: 1 INVITE\r\n\r\n";
	static const char *const want[] = { "p1.example.com", "p2.example.com",
		                            "2001:db8::1" };
	struct sip_msg msg;
	struct sip_hdr_iter it;
	struct sip_addr a;
	struct sip_contact c;
	struct pl v;
	unsigned n = 0;

	ck_assert_int_eq(sip_msg_decode(&msg, m, sizeof(m) - 1, NULL), 0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_ROUTE);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		ck_assert_uint_lt(n, 3);
		ck_assert_int_eq(sip_addr_decode(&a, &v), 0);
		ck_assert_pl_str(a.uri.host, want[n]);
		ck_assert(sip_param_exists(&a.uri.params, "lr"));
		n++;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_pl_str(a.uri.params, "lr;transport=tcp");
	ck_assert_uint_eq(a.uri.port, 5070);
	ck_assert(a.uri.host_ipv6);
	/* a list is not one address */
	v = sip_msg_hdr(&msg, SIP_HDR_ROUTE)->val;
	ck_assert_int_eq(sip_addr_decode(&a, &v), EBADMSG);

	sip_hdr_iter_init(&it, &msg, SIP_HDR_RECORD_ROUTE);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_addr_decode(&a, &v), 0);
	ck_assert_pl_str(a.uri.host, "rr.example.com");
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), ENOENT);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_PATH);
	ck_assert_int_eq(sip_hdr_iter_next(&v, &it), 0);
	ck_assert_int_eq(sip_addr_decode(&a, &v), 0);
	ck_assert(sip_param_exists(&a.uri.params, "ob"));

	n = 0;
	sip_hdr_iter_init(&it, &msg, SIP_HDR_CONTACT);
	while (sip_hdr_iter_next(&v, &it) == 0) {
		ck_assert_int_eq(sip_contact_decode(&c, &v), 0);
		n++;
	}
	ck_assert_uint_eq(n, 2);
	ck_assert(c.has_q);
	ck_assert_uint_eq(c.q, 500);
	ck_assert(msg.contact.has_expires);
	ck_assert_uint_eq(msg.contact.expires, 60);
	ck_assert_pl_str(msg.via.branch, "z9hG4bK1");
}
END_TEST

static void
add(TCase *tc)
{
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_via);
	tcase_add_test(tc, test_via_bad);
	tcase_add_test(tc, test_contact);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_tokens);
	tcase_add_test(tc, test_ctype_accept);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_reason_se_ra);
}

int
main(void)
{
	return run_suite("sip_hdr", add);
}
